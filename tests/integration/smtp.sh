# errand tests: the SMTP session (net/smtp.c) against real servers:
# Dovecot's submission service (STARTTLS and implicit TLS, AUTH) relaying
# to a private OpenSMTPD that delivers into a Maildir (tests/lib/smtpd.sh),
# through tests/proto/smtp-driver ($SMTP_DRIVER). Each message arrives
# once with its body byte for byte: dot-stuffed lines, a line that is a
# lone dot, 8-bit UTF-8, a 5 MB attachment; a wrong password gives the
# server's words; a refused recipient is named and nothing is delivered;
# errand check reports the account's SMTP server.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/smtpd.sh"

driver=${SMTP_DRIVER:-$top_builddir/tests/proto/smtp-driver}
[ -x "$driver" ] || tap_skip_all "no smtp-driver at $driver"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
[ -x /usr/lib/dovecot/submission ] ||
	tap_skip_all "dovecot's submission service not installed"
[ "$(id -u)" = 0 ] || tap_skip_all "OpenSMTPD needs root"
smtpd_start || tap_skip_all "cannot start the private OpenSMTPD and Dovecot"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/errand-smtp.XXXXXX") || exit 1
errand_at_exit 'rm -rf "$tmp"'

# send NAME PORT [OPTION...]: the driver as the Dovecot user; sets out, rc.
send()
{
	_name=$1 _port=$2
	shift 2
	out=$("$driver" -a "$DOVECOT_CA" -u "$DOVECOT_USER" \
	    -p "$DOVECOT_PASSWORD_FILE" -d "$tmp/$_name.log" -t 20 "$@" \
	    127.0.0.1 "$_port" 2>&1)
	rc=$?
}

# arrived ID: the delivered file whose Message-ID is <ID@example.org>.
arrived()
{
	grep -l "^Message-ID: <$1@example.org>" "$SMTPD_MAILDIR"/new/* \
	    2>/dev/null
}

# The message: LF line ends (as errand writes them), the lines the
# dot-stuffer must double, 8-bit UTF-8 text, and a 5 MB attachment.
make_msg()
{
	printf 'Date: Sat, 05 Dec 2026 10:00:00 +0000\nFrom: demo@example.org\nTo: one@example.org, two@example.org\nSubject: dots and bytes\nMessage-ID: <%s@example.org>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n.leading dot\n..two dots\n.\n. \nGr\303\274\303\237e aus K\303\266ln\nend\n' "$1"
	if [ -n "${2:-}" ]; then
		printf -- '--b\nContent-Type: application/octet-stream; name="big.bin"\nContent-Transfer-Encoding: base64\n\n'
		head -c "$2" /dev/urandom | base64 -w 76
	fi
	printf -- '--b--\n'
}

make_msg m1 5000000 >"$tmp/m1.eml"
send starttls "$SUBMISSION_PORT" -S -r one@example.org -r two@example.org \
    -m "$tmp/m1.eml"
tap_eq "STARTTLS: exit 0" "$rc" 0
tap_like "STARTTLS: taken over TLS after AUTH SCRAM-SHA-256 (the strongest)" \
    "$out" '^ok code=250 .* data_sent=1 tls=TLSv1\.[23] mech=SCRAM-SHA-256$'
smtpd_wait_mail 2
f=$(arrived m1 | head -n 1)
tap_eq "STARTTLS: delivered once to each of two recipients" \
    "$(arrived m1 | wc -l | tr -d ' ')" 2
size=$(wc -c <"$tmp/m1.eml" | tr -d ' ')
if [ -n "$f" ] && tail -c "$size" "$f" | cmp -s - "$tmp/m1.eml"; then
	tap_ok "STARTTLS: the 5 MB message arrived byte for byte (dots, UTF-8)"
else
	tap_fail "STARTTLS: the 5 MB message arrived byte for byte (dots, UTF-8)" \
	    "$(tail -c "$size" "$f" 2>/dev/null | cmp - "$tmp/m1.eml" 2>&1)"
fi
tap_file_like "STARTTLS: a lone dot line arrived as a dot" "$f" '^\.$'
tap_file_like "STARTTLS: the body streamed, logged as a summary" \
    "$tmp/starttls.log" 'smtp: message of [0-9]+ bytes sent$'
tap_file_unlike "STARTTLS: the body is not in the log" "$tmp/starttls.log" \
    'two dots'

make_msg m2 >"$tmp/m2.eml"
send implicit "$SUBMISSIONS_PORT" -M PLAIN -r three@example.org \
    -m "$tmp/m2.eml"
tap_like "implicit TLS: ok, AUTH PLAIN as asked" "$out" \
    '^ok code=250 .* tls=TLSv1\.[23] mech=PLAIN$'
smtpd_wait_mail 3
tap_eq "implicit TLS: delivered once" "$(arrived m2 | wc -l | tr -d ' ')" 1
f=$(arrived m2)
if [ -n "$f" ] && tail -c "$(wc -c <"$tmp/m2.eml")" "$f" |
    cmp -s - "$tmp/m2.eml"; then
	tap_ok "implicit TLS: the message arrived byte for byte"
else
	tap_fail "implicit TLS: the message arrived byte for byte"
fi

printf 'not the password\n' >"$tmp/wrong.pw"
make_msg m3 >"$tmp/m3.eml"
out=$("$driver" -a "$DOVECOT_CA" -u "$DOVECOT_USER" -p "$tmp/wrong.pw" \
    -t 20 -r one@example.org -m "$tmp/m3.eml" 127.0.0.1 \
    "$SUBMISSIONS_PORT" 2>&1)
tap_like "wrong password: permanent, with the server's words" "$out" \
    "^permfail code=535 .*: cannot log in to 127\\.0\\.0\\.1 as '$DOVECOT_USER': 535 .*[Aa]uthentication failed"

make_msg m4 >"$tmp/m4.eml"
send refused "$SUBMISSIONS_PORT" -r one@example.org -r nobody@example.org \
    -m "$tmp/m4.eml"
tap_like "refused recipient: permanent, named" "$out" \
    "^permfail code=5[0-9][0-9] .*refused recipient 'nobody@example\\.org'"
tap_like "refused recipient: listed" "$out" '^refused nobody@example\.org '

# errand check with smtp = (nothing is sent).
conf=$tmp/errand.conf
errand_write_config "$conf" imaps \
    "smtp = smtp://$DOVECOT_USER@127.0.0.1:$SUBMISSION_PORT"
out=$("$ERRAND" -c "$conf" check 2>&1)
rc=$?
tap_eq "check with smtp: exit 0" "$rc" 0
tap_like "check with smtp: the SMTP line, SCRAM by auth = auto" "$out" \
    "^$DOVECOT_USER smtp: ok \\(smtp://$DOVECOT_USER@127\\.0\\.0\\.1:$SUBMISSION_PORT, TLSv1\\.[23], SCRAM-SHA-256\\)\$"
errand_write_config "$conf" imaps \
    "smtp = smtp://$DOVECOT_USER@127.0.0.1:$SUBMISSION_PORT" "auth = plain"
out=$("$ERRAND" -c "$conf" -d "$tmp/check-plain.log" check 2>&1)
tap_like "check with smtp and auth = plain: PLAIN on both" "$out" \
    "^$DOVECOT_USER smtp: ok \\(smtp://$DOVECOT_USER@127\\.0\\.0\\.1:$SUBMISSION_PORT, TLSv1\\.[23], PLAIN\\)\$"
tap_like "check with smtp: AUTH logged as a secret" \
    "$(grep 'AUTH PLAIN' "$tmp/check-plain.log")" 'AUTH PLAIN <secret>'
errand_write_config "$conf" imaps \
    "smtp = smtp://$DOVECOT_USER@127.0.0.1:$SUBMISSION_PORT" "auth = xoauth2"
out=$("$ERRAND" -c "$conf" check 2>&1)
tap_like "check with auth = xoauth2 and no token command: named" "$out" \
    "oauth2-token-command"
errand_write_config "$conf" imaps \
    "smtp = smtps://$DOVECOT_USER@127.0.0.1:$RELAY_PORT"
out=$("$ERRAND" -c "$conf" check 2>&1)
rc=$?
tap_eq "check with a broken smtp: exit 1" "$rc" 1
tap_like "check with a broken smtp: says so" "$out" \
    "^errand: $DOVECOT_USER smtp: cannot send via 127\\.0\\.0\\.1: "

# Nothing more arrived: m3 and m4 were not delivered, check sent nothing.
n=$(find "$SMTPD_MAILDIR/new" -type f | wc -l | tr -d ' ')
tap_eq "nothing delivered but the sent messages" "$n" 3

tap_done
