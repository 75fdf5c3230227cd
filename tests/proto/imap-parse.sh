# errand tests: the IMAP session (net/imap.c) against a scripted server,
# for what a real server will not do on request: a literal larger than the
# bound, unbalanced parentheses, a reply cut inside a literal, unknown
# response codes, BYE in the middle of a command, a tagged NO that keeps
# the session, a synchronising literal, and no STARTTLS on a plain port.
# Driven by tests/proto/imap-driver ($IMAP_DRIVER).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/scripted.sh"

scripted_init imap-proto
driver=${IMAP_DRIVER:-$top_builddir/tests/proto/imap-driver}
[ -x "$driver" ] || tap_skip_all "no imap-driver at $driver"

# run_case NAME SCRIPT [DRIVER-OPTION...]: play SCRIPT on a new scripted
# server and run the driver against it. Sets out, rc, tr (the server's
# transcript), log (the protocol log) and src (the server's status).
run_case()
{
	_name=$1
	scripted_serve "$1" "$2" || return
	shift 2
	out=$("$driver" -a "$tmp/cert.pem" -p "$tmp/$_name.pw" -d "$log" \
	    -t 5 "$@" 127.0.0.1 "$port" 2>&1)
	rc=$?
	scripted_done
}

run_case too-big imap-literal-too-big.txt -x sfo
tap_eq "literal over the bound: exit 1" "$rc" 1
tap_like "literal over the bound: protocol error naming the bound" "$out" \
    '^error fetch proto: protocol error from 127\.0\.0\.1: literal of 2147483648 bytes exceeds the 1048576-byte limit$'
tap_like "literal over the bound: session closed event" "$out" \
    '^event closed proto: protocol error'
tap_unlike "literal over the bound: no message delivered" "$out" '^msg '

run_case unbalanced imap-unbalanced.txt -x sfo
tap_eq "unbalanced parentheses: exit 1" "$rc" 1
tap_like "unbalanced parentheses: protocol error" "$out" \
    '^error fetch proto: protocol error from 127\.0\.0\.1: unbalanced parentheses: a list is not closed$'

run_case cut imap-cut-literal.txt -x sfo
tap_eq "reply cut inside a literal: exit 1" "$rc" 1
tap_like "reply cut inside a literal: says so" "$out" \
    '^error fetch conn: 127\.0\.0\.1 closed the connection in the middle of a response$'

run_case unknown imap-unknown-codes.txt -x sfo
tap_eq "unknown codes: exit 0" "$rc" 0
tap_eq "unknown codes: server script ran to the end" "$src" 0
tap_like "unknown codes: select went on" "$out" \
    '^selected uidvalidity=7 uidnext=0 exists=2 '
tap_like "unknown codes: ALERT delivered" "$out" \
    '^event alert maintenance at noon$'
tap_like "unknown codes: message delivered" "$out" \
    '^msg uid=1 seq=1 flags=0x1 keywords=\$Forwarded modseq=0 date=837596665 size=42 header=13 subject=hi$'
tap_like "unknown codes: unsolicited FETCH is an event" "$out" \
    '^event fetch uid=0 seq=2 flags=0x8 '
tap_like "unknown codes: logout" "$out" '^logout ok$'

run_case bye imap-bye-fetch.txt -x sfo
tap_eq "BYE during FETCH: exit 1" "$rc" 1
tap_like "BYE during FETCH: message before it delivered" "$out" \
    '^msg uid=1 '
tap_like "BYE during FETCH: fails with the server's text" "$out" \
    "^error fetch proto: 127\\.0\\.0\\.1 closed the session: Server shutting down for maintenance\$"
tap_like "BYE during FETCH: closed event" "$out" \
    '^event closed proto: 127\.0\.0\.1 closed the session'

run_case select-no imap-select-no.txt -m Archive -x so
tap_like "tagged NO: the operation fails with the server's text" "$out" \
    "^error select no: cannot select 'Archive': Mailbox doesn't exist: Archive\$"
tap_like "tagged NO: the session goes on" "$out" '^logout ok$'
tap_eq "tagged NO: server script ran to the end" "$src" 0

PW=hunter2-sécret
run_case sync-literal imap-login-sync-literal.txt -x o
tap_eq "sync literal: exit 0" "$rc" 0
tap_eq "sync literal: password sent after the continuation" "$src" 0
tap_file_unlike "sync literal: password not in log" "$log" "$PW"
tap_file_like "sync literal: log shows <secret>" "$log" '> <secret>$'
PW=hunter2-secret

run_case no-starttls imap-session-no-starttls.txt -S -x o
tap_eq "no STARTTLS: exit 1" "$rc" 1
tap_like "no STARTTLS: refuses" "$out" \
    'does not offer STARTTLS; not sending the password over an unencrypted connection'
tap_file_unlike "no STARTTLS: nothing sent" "$tr" '^C: '

tap_done
