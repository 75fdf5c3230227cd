# errand tests: the POP3 session (net/pop3.c) against a scripted server,
# for what a real server will not do on request: a login refused with
# [IN-USE] or [AUTH], no UIDL in CAPA, UIDL refused, garbage instead of
# +OK, a connection cut or stalled inside RETR, STLS refused or not
# offered (no credential may follow), and PIPELINING with replies held
# back until every command was read. Driven by tests/proto/pop3-driver
# ($POP3_DRIVER).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/scripted.sh"

scripted_init pop3-proto
driver=${POP3_DRIVER:-$top_builddir/tests/proto/pop3-driver}
[ -x "$driver" ] || tap_skip_all "no pop3-driver at $driver"

# run_case NAME SCRIPT [DRIVER-OPTION...]: play SCRIPT on a new scripted
# server and run the driver against it. Sets out, rc, tr (the server's
# transcript), log (the protocol log), dir (bodies) and src (the server's
# status).
run_case()
{
	_name=$1 dir=$tmp/$1.d
	mkdir -p "$dir"
	scripted_serve "$1" "$2" || return
	shift 2
	out=$("$driver" -a "$tmp/cert.pem" -p "$tmp/$_name.pw" -d "$log" \
	    -o "$dir" -t 5 "$@" 127.0.0.1 "$port" 2>&1)
	rc=$?
	scripted_done
}

run_case in-use pop3-session-in-use.txt -A -x stat,quit
tap_eq "[IN-USE] login: exit 1" "$rc" 1
tap_like "[IN-USE] login: the code and the server's text reach the user" \
    "$out" \
    '^error connect err IN-USE: login refused by 127\.0\.0\.1: -ERR \[IN-USE\] Mailbox is locked by another POP3 session$'
tap_like "[IN-USE] login: queued work fails as closed" "$out" \
    '^error stat closed: '
tap_file_like "[IN-USE] login: AUTH PLAIN logged as secret" "$log" \
    '> AUTH PLAIN <secret>$'
tap_file_unlike "[IN-USE] login: password not in the log" "$log" "$PW"
tap_file_unlike "[IN-USE] login: base64 password not in the log" "$log" \
    'AGRlbW8AaHVudGVyMi1zZWNyZXQ='
tap_file_like "[IN-USE] login: the reply in the log" "$log" \
    '< -ERR \[IN-USE\] Mailbox is locked'
tap_file_like "[IN-USE] login: state changes in the log" "$log" \
    'pop3: auth -> closed$'

run_case auth pop3-session-auth.txt -x stat,quit
tap_like "[AUTH] login: a credentials error" "$out" \
    '^error connect auth AUTH: login refused by 127\.0\.0\.1: -ERR \[AUTH\] Authentication failed\.$'
tap_eq "[AUTH] login: script ran to the end" "$src" 0
tap_file_like "USER/PASS: PASS logged as secret" "$log" '> PASS <secret>$'
tap_file_unlike "USER/PASS: password not in the log" "$log" "$PW"

long=$(printf 'u%.0s' $(seq 1 200))
run_case auth-long pop3-session-auth-long.txt -u "$long" -x noop,rset,quit
tap_eq "long AUTH PLAIN: exit 0" "$rc" 0
tap_eq "long AUTH PLAIN: response sent after the \"+\"" "$src" 0
tap_file_like "long AUTH PLAIN: response logged as secret" "$log" \
    '> <secret>$'
tap_file_unlike "long AUTH PLAIN: password not in the log" "$log" "$PW"
tap_like "NOOP and RSET" "$out" '^rset ok$'

run_case no-uidl pop3-session-no-uidl.txt -x uidl,stat,quit
tap_eq "CAPA without UIDL: exit 1 (one step failed)" "$rc" 1
tap_like "CAPA without UIDL: says the server cannot" "$out" \
    '^error uidl err: cannot list unique ids: 127\.0\.0\.1 does not support UIDL$'
tap_like "CAPA without UIDL: the session goes on" "$out" \
    '^stat count=2 size=320$'
tap_like "CAPA without UIDL: quit" "$out" '^quit ok$'
tap_like "greeting: APOP timestamp noted" "$out" \
    '^apop <4711\.1700000000@pop\.example>$'
tap_eq "CAPA without UIDL: UIDL never sent (script ran to the end)" "$src" 0
tap_file_unlike "CAPA without UIDL: no UIDL in the transcript" "$tr" \
    '^C: UIDL'

run_case uidl-err pop3-session-uidl-err.txt -x uidl,stat,quit
tap_like "UIDL -ERR: the server's text" "$out" \
    '^error uidl err: cannot list unique ids: -ERR unknown command UIDL$'
tap_like "UIDL -ERR: the session goes on" "$out" '^stat count=2 size=320$'
tap_eq "UIDL -ERR: script ran to the end" "$src" 0
tap_like "no CAPA: USER/PASS" "$out" '^connected tls=TLSv1\.[23] caps=0$'

run_case garbage pop3-session-garbage.txt -x stat,quit
tap_eq "garbage greeting: exit 1" "$rc" 1
tap_like "garbage greeting: protocol error quoting it" "$out" \
    "^error connect proto: protocol error from 127\\.0\\.0\\.1: reply is neither \\+OK nor -ERR: '\\?\\?\\?garbage\\?\\?\\? here'\$"
tap_file_unlike "garbage greeting: nothing sent" "$tr" '^C: '

run_case garbage-stat pop3-session-garbage-stat.txt -x stat,quit
tap_like "garbage instead of +OK: protocol error" "$out" \
    "^error stat proto: protocol error from 127\\.0\\.0\\.1: reply is neither \\+OK nor -ERR: '\\* OK this is IMAP'\$"
tap_unlike "garbage instead of +OK: no quit" "$out" '^quit ok$'
tap_file_unlike "garbage instead of +OK: no QUIT sent after" "$tr" '^C: QUIT'

run_case cut pop3-session-cut-retr.txt -x retr:1,quit
tap_eq "cut inside RETR: exit 1" "$rc" 1
tap_like "cut inside RETR: says so" "$out" \
    '^error retr 1 conn: 127\.0\.0\.1 closed the connection in the middle of a reply$'
tap_unlike "cut inside RETR: not reported as retrieved" "$out" '^retr 1 ok$'

run_case stall pop3-session-stall-retr.txt -x retr:1,quit -t 1
tap_like "stall inside RETR: the idle timeout ends it" "$out" \
    '^error retr 1 conn: 127\.0\.0\.1 did not answer in 1 second$'
tap_unlike "stall inside RETR: not reported as retrieved" "$out" '^retr 1 ok$'

run_case stls-refused pop3-session-stls-refused.txt -S -x stat,quit
tap_eq "STLS refused: exit 1" "$rc" 1
tap_like "STLS refused: says so" "$out" \
    '^error connect proto: 127\.0\.0\.1 refused STLS: -ERR TLS is resting; not sending the password over an unencrypted connection$'
tap_file_unlike "STLS refused: no credential sent" "$tr" \
    '^C: (USER|PASS|AUTH|APOP)'
tap_file_like "STLS refused: STLS was asked" "$tr" '^C: STLS$'

run_case no-stls pop3-session-no-stls.txt -S -x stat,quit
tap_like "no STLS offered: refuses" "$out" \
    '^error connect proto: 127\.0\.0\.1 does not offer STLS; not sending the password over an unencrypted connection$'
tap_file_unlike "no STLS offered: nothing sent after CAPA" "$tr" \
    '^C: (USER|PASS|AUTH|APOP|STLS)'

run_case stls pop3-session-stls.txt -S -x uidl,quit
tap_eq "STLS: exit 0" "$rc" 0
tap_eq "STLS: script ran to the end" "$src" 0
tap_like "STLS: TLS" "$out" '^connected tls=TLSv1\.[23] '
tap_like "STLS: CAPA after TLS is the one used" "$out" '^capa SASL PLAIN UIDL$'
tap_like "STLS: UIDL listing" "$out" '^uidl n=2 uid=AAAA0002$'
tap_file_like "STLS: state machine logged" "$log" 'pop3: handshake -> capa$'

run_case pipelined pop3-session-pipelined.txt -A \
    -x retr:1,retr:2,retr:3,dele:1,quit
tap_eq "PIPELINING: script ran to the end (commands sent back to back)" \
    "$src" 0
tap_like "PIPELINING: message 1" "$out" '^retr 1 bytes=39 pieces=[0-9]+$'
tap_eq "PIPELINING: message 1 unstuffed" "$(od -c <"$dir/retr-1")" \
    "$(printf 'Subject: one\r\n\r\n.leading dot\r\n..\r\nend\r\n' | od -c)"
tap_like "PIPELINING: [SYS/TEMP] on message 2, worded like git" "$out" \
    '^error retr 2 err SYS/TEMP: cannot retrieve message 2: -ERR \[SYS/TEMP\] disk on fire$'
tap_like "PIPELINING: message 3 after the failure" "$out" '^retr 3 ok$'
tap_like "PIPELINING: DELE" "$out" '^dele 1 ok$'
tap_like "PIPELINING: QUIT after the replies" "$out" '^quit ok$'
tap_file_like "PIPELINING: the log has the body's lines" "$log" \
    '< \.leading dot$'
tap_eq "PIPELINING: the body is logged before its end" \
    "$(sed -n '/< Subject: one$/,$p' "$log" | grep -E '< (end|\.)$' |
	head -n 2 | sed 's/.* < //' | tr '\n' ' ')" "end . "

tap_done
