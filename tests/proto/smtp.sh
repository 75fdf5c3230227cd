# errand tests: the SMTP session (net/smtp.c) against a scripted server,
# for what a real MTA will not do on request: PIPELINING checked by holding
# every reply back, STARTTLS not offered (nothing sent), a recipient
# refused among accepted ones (nothing sent, the address named), 4xx and
# 5xx, SIZE exceeded, a drop after the final dot, garbage, a stall, a line
# over the bound, AUTH refused and AUTH LOGIN, HELO for an old server.
# Driven by tests/proto/smtp-driver ($SMTP_DRIVER).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/scripted.sh"

scripted_init smtp-proto
driver=${SMTP_DRIVER:-$top_builddir/tests/proto/smtp-driver}
[ -x "$driver" ] || tap_skip_all "no smtp-driver at $driver"

printf 'Subject: hello\n\nbody\n' >"$tmp/plain.eml"
printf 'Subject: hello\n\n.leading dot\n.\ncaf\303\251\nlast line without end' \
    >"$tmp/dots.eml"

# run_case NAME SCRIPT [DRIVER-OPTION...]: play SCRIPT on a new scripted
# server and run the driver against it (implicit TLS unless -S). Sets out,
# rc, tr (the server's transcript), log (the protocol log) and src.
run_case()
{
	_name=$1
	scripted_serve "$1" "$2" || return
	shift 2
	out=$("$driver" -a "$tmp/cert.pem" -d "$log" -t 5 "$@" \
	    127.0.0.1 "$port" 2>&1)
	rc=$?
	scripted_done
}

run_case pipelined smtp-starttls-pipelined.txt -S -u demo \
    -p "$tmp/pipelined.pw" -r one@example.org -r two@example.org \
    -m "$tmp/dots.eml"
tap_eq "STARTTLS + PIPELINING: exit 0" "$rc" 0
tap_eq "STARTTLS + PIPELINING: script ran to the end (all sent first)" \
    "$src" 0
tap_like "STARTTLS + PIPELINING: ok over TLS with PLAIN" "$out" \
    '^ok code=250 enhanced=2\.0\.0 network=0 data_sent=1 tls=TLSv1\.[23] mech=PLAIN$'
tap_file_like "STARTTLS: EHLO again after TLS" "$tr" \
    '^S: 220 2\.0\.0 ready to start TLS$'
tap_file_like "SIZE and BODY=8BITMIME on MAIL (the exact wire size)" "$tr" \
    '^C: MAIL FROM:<demo@example\.org> SIZE=70 BODY=8BITMIME$'
tap_file_like "AUTH PLAIN logged as secret" "$log" '> AUTH PLAIN <secret>$'
tap_file_unlike "password not in the log" "$log" "$PW"
tap_file_unlike "base64 password not in the log" "$log" \
    'AGRlbW8AaHVudGVyMi1zZWNyZXQ='
tap_file_like "the message body is summed up in the log" "$log" \
    'smtp: message of 70 bytes sent$'

run_case no-starttls smtp-no-starttls.txt -S -u demo \
    -p "$tmp/no-starttls.pw" -r one@example.org -m "$tmp/plain.eml"
tap_eq "no STARTTLS offered: exit 1" "$rc" 1
tap_like "no STARTTLS offered: a clear permanent error" "$out" \
    "^permfail code=0 enhanced=- network=0 data_sent=0 tls=- mech=-: cannot send via 127\\.0\\.0\\.1: it does not offer STARTTLS, and errand sends nothing in clear text"
tap_eq "no STARTTLS offered: script ran to the end" "$src" 0
tap_file_unlike "no STARTTLS offered: no AUTH or MAIL" "$tr" \
    '^C: (AUTH|MAIL|RCPT|DATA)'

run_case refused-pipe smtp-refused-pipelined.txt -r one@example.org \
    -r nobody@example.org -r three@example.org -m "$tmp/plain.eml"
tap_eq "refused recipient (PIPELINING): exit 1" "$rc" 1
tap_like "refused recipient (PIPELINING): permanent, named" "$out" \
    "^permfail code=550 enhanced=5\\.1\\.1 network=0 data_sent=0 tls=TLSv1\\.[23] mech=-: cannot send: 127\\.0\\.0\\.1 refused recipient 'nobody@example\\.org' \\(550 5\\.1\\.1 <nobody@example\\.org>: user unknown\\)\$"
tap_like "refused recipient (PIPELINING): listed with its reply" "$out" \
    '^refused nobody@example\.org code=550 enhanced=5\.1\.1: <nobody@example\.org>: user unknown$'
tap_file_unlike "refused recipient (PIPELINING): the message not sent" \
    "$tr" '^C: (Subject|body|\.)'
tap_unlike "refused recipient (PIPELINING): the others not listed" "$out" \
    '^refused (one|three)@'

run_case refused-serial smtp-refused-serial.txt -r one@example.org \
    -r nobody@example.org -r three@example.org -m "$tmp/plain.eml"
tap_eq "refused recipient: script ran to the end (RSET, no DATA)" "$src" 0
tap_like "refused recipient: permanent, named" "$out" \
    "^permfail code=550 .*refused recipient 'nobody@example\\.org' \\(550 5\\.1\\.1 user unknown\\)\$"
tap_file_unlike "refused recipient: no DATA" "$tr" '^C: DATA'

run_case rcpt-temp smtp-rcpt-temp.txt -r one@example.org -m "$tmp/plain.eml"
tap_eq "450 on RCPT: script ran to the end" "$src" 0
tap_like "450 on RCPT: temporary" "$out" \
    "^tempfail code=450 enhanced=4\\.2\\.1 network=0 .*refused recipient 'one@example\\.org' \\(450 4\\.2\\.1 mailbox busy, try later\\)\$"

run_case mail-refused smtp-mail-refused.txt -r one@example.org \
    -m "$tmp/plain.eml"
tap_eq "553 on MAIL: script ran to the end (no RCPT)" "$src" 0
tap_like "553 on MAIL: permanent with the server's words" "$out" \
    '^permfail code=553 enhanced=5\.7\.1 .*: sender refused: 553 5\.7\.1 sender address rejected: not owned by user demo$'

run_case size smtp-size.txt -r one@example.org -m "$tmp/plain.eml"
tap_eq "SIZE exceeded: script ran to the end (QUIT, no MAIL)" "$src" 0
tap_like "SIZE exceeded: permanent, says the sizes" "$out" \
    '^permfail code=0 .*: cannot send: the message of 27 bytes is larger than the 10 bytes 127\.0\.0\.1 accepts$'
# A message of 31 MB is read for SIZE a step a loop turn while the
# connection is made (longer than the handshake here: the log says "the
# envelope waits for the message's size"): MAIL waits for the whole size.
{
	printf 'Subject: big\n\n'
	head -c 23000000 /dev/urandom | base64 -w 76
} >"$tmp/big.eml"
wire=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(len(d) + d.count(b"\n") + 3)' "$tmp/big.eml")
run_case sizebig smtp-size.txt -r one@example.org -m "$tmp/big.eml"
tap_like "SIZE exceeded, a big message: the whole size, read in steps" \
    "$out" \
    "^permfail code=0 .*: cannot send: the message of $wire bytes is larger than the 10 bytes 127\\.0\\.0\\.1 accepts\$"

run_case drop smtp-drop-after-dot.txt -r one@example.org -m "$tmp/plain.eml"
tap_eq "drop after the dot: exit 1" "$rc" 1
tap_like "drop after the dot: uncertain, on the network" "$out" \
    '^tempfail code=0 enhanced=- network=1 data_sent=1 .*: cannot tell whether 127\.0\.0\.1 took the message: '

run_case data-temp smtp-data-temp.txt -r one@example.org -m "$tmp/plain.eml"
tap_eq "452 after the dot: script ran to the end" "$src" 0
tap_like "452 after the dot: temporary, the server's words" "$out" \
    '^tempfail code=452 enhanced=4\.3\.1 network=0 data_sent=1 .*: 452 4\.3\.1 insufficient system storage$'

run_case garbage smtp-garbage.txt -r one@example.org -m "$tmp/plain.eml"
tap_like "garbage greeting: a protocol error" "$out" \
    '^tempfail code=0 enhanced=- network=0 data_sent=0 .*: protocol error from 127\.0\.0\.1: reply line without a reply code$'
tap_file_unlike "garbage greeting: nothing sent" "$tr" '^C: '

run_case long smtp-long-line.txt -r one@example.org -m "$tmp/plain.eml"
tap_like "a reply line over the bound: a clear error" "$out" \
    ': protocol error from 127\.0\.0\.1: reply line of more than 4096 bytes$'

run_case stall smtp-stall.txt -t 1 -r one@example.org -m "$tmp/plain.eml"
tap_like "a greeting that never comes: the timeout ends it" "$out" \
    '^tempfail code=0 enhanced=- network=1 data_sent=0 .*: cannot send via 127\.0\.0\.1: no reply for 1 seconds \(greeting\)$'

run_case auth-fail smtp-auth-fail.txt -u demo -p "$tmp/auth-fail.pw" \
    -r one@example.org -m "$tmp/plain.eml"
tap_eq "AUTH refused: script ran to the end (no MAIL)" "$src" 0
tap_like "AUTH refused: the server's words" "$out" \
    "^permfail code=535 enhanced=5\\.7\\.8 .*: cannot log in to 127\\.0\\.0\\.1 as 'demo': 535 5\\.7\\.8 Error: authentication failed: bad password\$"

run_case auth-login smtp-auth-login.txt -c -u demo -p "$tmp/auth-login.pw"
tap_eq "AUTH LOGIN (check): script ran to the end" "$src" 0
tap_like "AUTH LOGIN (check): ok" "$out" \
    '^ok code=0 .* tls=TLSv1\.[23] mech=LOGIN$'
tap_file_like "AUTH LOGIN: the password logged as secret" "$log" \
    '> <secret>$'
tap_file_unlike "AUTH LOGIN: password not in the log" "$log" \
    'aHVudGVyMi1zZWNyZXQ='

run_case helo smtp-helo.txt -r one@example.org -m "$tmp/plain.eml"
tap_eq "HELO fallback: script ran to the end (one command at a time)" \
    "$src" 0
tap_like "control characters in a reply are cleaned" "$out" \
    '^permfail code=554 enhanced=5\.7\.0 .*: 554 5\.7\.0 rejected \^\[\[31mred\^\[\[0m text$'

run_case utf8 smtp-utf8.txt -r "$(printf 'j\303\270rn@example.org')" \
    -m "$tmp/plain.eml"
tap_eq "non-ASCII address without SMTPUTF8: no MAIL" "$src" 0
tap_like "non-ASCII address without SMTPUTF8: says so" "$out" \
    '^permfail .*: cannot send: an address is not ASCII and 127\.0\.0\.1 does not offer SMTPUTF8$'

tap_done
