# errand tests: errand send end to end through a real submission chain
# (tests/lib/smtpd.sh: Dovecot's submission service with STARTTLS and AUTH,
# relaying to a private OpenSMTPD that delivers into a Maildir): what
# arrived is parsed with Python's email package (To, Cc, a non-ASCII
# Subject, no Bcc, the body), each recipient once, Bcc included; the copy
# lands in the account's Sent (doveadm); an unknown recipient is held with
# the server's words and nothing is delivered; offline (the submission port
# closed) it waits and errand push sends it once. Killed before the final
# dot (ERRAND_OUTBOX_DIE_AT=sending) the next push sends it, delivered once;
# killed once the dot is marked (=dot) it is held, never resent.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/smtpd.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "no python3"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
[ -x /usr/lib/dovecot/submission ] ||
	tap_skip_all "dovecot's submission service not installed"
[ "$(id -u)" = 0 ] || tap_skip_all "OpenSMTPD needs root"
smtpd_start || tap_skip_all "cannot start the private OpenSMTPD and Dovecot"

work=$DOVECOT_DIR/work
mkdir -p "$work"
U=$DOVECOT_USER
export XDG_CACHE_HOME=$work/cache XDG_DATA_HOME=$work/data
conf=$work/errand.conf
errand_write_config "$conf" imaps \
    "smtp = smtp://$U@127.0.0.1:$SUBMISSION_PORT"
run()
{
	out=$("$ERRAND" -c "$conf" "$@" 2>&1)
	rc=$?
}
oneline()
{
	printf '%s\n' "$1" | tr '\n' '~'
}
# arrived NAME: the files delivered with Message-ID <NAME@send.test>.
arrived()
{
	grep -l "^Message-ID: <$1@send.test>" "$SMTPD_MAILDIR"/new/* \
	    2>/dev/null | wc -l | tr -d ' '
}
in_sent()
{
	dv_doveadm search -u "$U" mailbox Sent header message-id \
	    "<$1@send.test>" 2>/dev/null | wc -l | tr -d ' '
}

run sync
tap_eq "the cache is made" "$rc" 0

printf 'From: Demo <%s@example.org>\nTo: One <one@example.org>\nCc: two@example.org\nBcc: three@example.org\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\nMessage-ID: <one@send.test>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nK\303\266ln\n.a leading dot\n' \
    "$U" >"$work/one.eml"
run send "$work/one.eml"
tap_like "sent over STARTTLS with AUTH" "$(oneline "$rc:$out")" \
    "^0:queued [0-9a-z-]+~sent [0-9a-z-]+ to 3 recipients~$"
smtpd_wait_mail 3
tap_eq "one copy a recipient, Bcc included" "$(arrived one)" 3
f=$(grep -l "^Message-ID: <one@send.test>" "$SMTPD_MAILDIR"/new/* |
    head -n 1)
tap_eq "what arrived, read by Python's email package" "$(python3 - "$f" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                   policy=email.policy.default)
print(m["To"], "|", m["Cc"], "|", m["Subject"], "|", m["Bcc"], "|",
      m.get_content().replace("\n", "/"))
PY
)" "One <one@example.org> | two@example.org | Grüße | None | Köln/.a leading dot/"
tap_eq "the copy in Sent" "$(in_sent one)" 1
tap_unlike "no Bcc in the copy either" "$(dv_doveadm fetch -u "$U" hdr \
    mailbox Sent header message-id "<one@send.test>")" "^Bcc:|three@"

# An unknown recipient: 550 at RCPT, held with the words, none delivered.
printf 'From: %s@example.org\nTo: one@example.org, nobody@example.org\nSubject: two\nMessage-ID: <two@send.test>\n\nhi\n' \
    "$U" >"$work/two.eml"
run send "$work/two.eml"
tap_like "an unknown recipient: held, named" "$(oneline "$rc:$out")" \
    "^1:queued [^~]+~.*nobody@example.org: 5[0-9][0-9] .*~?held "
tap_eq "nothing delivered to anyone" "$(arrived two)" 0
run outbox
tap_like "listed held with the server's words" "$out" "	held	.*5[0-9][0-9]"

# Offline: the submission port is wrong; push sends it once it is right.
sed "s/:$SUBMISSION_PORT\$/:1/" "$conf" >"$work/off.conf"
printf 'From: %s@example.org\nTo: one@example.org\nSubject: three\nMessage-ID: <three@send.test>\n\nhi\n' \
    "$U" >"$work/three.eml"
out=$("$ERRAND" -c "$work/off.conf" send "$work/three.eml" 2>&1)
tap_like "offline: it waits" "$(oneline "$?:$out")" "^1:queued [^~]+~waiting "
tap_eq "nothing delivered" "$(arrived three)" 0
run push
tap_like "push sends it" "$out" "^outbox: 1 sent"
smtpd_wait_mail 4
tap_eq "delivered once" "$(arrived three)" 1
run push
tap_eq "a second push: once still" "$(arrived three)" 1

# Killed while the body went, before the final dot: the server dropped it,
# the next start queues it again and push delivers it once.
printf 'From: %s@example.org\nTo: one@example.org\nSubject: four\nMessage-ID: <four@send.test>\n\nhi\n' \
    "$U" >"$work/four.eml"
ERRAND_OUTBOX_DIE_AT=sending "$ERRAND" -c "$conf" send "$work/four.eml" \
    >/dev/null 2>&1
tap_eq "killed before the dot: by SIGKILL" "$?" 137
run outbox
tap_like "queued again, not held" "$out" "	queued	.*	four"
run push
tap_like "push sends it" "$out" "^outbox: 1 sent"
smtpd_wait_mail 5
tap_eq "delivered once" "$(arrived four)" 1
run push
tap_eq "a second push: once still" "$(arrived four)" 1

# Killed right after the dot was marked, before it went: it may have gone
# for all errand knows, so it is held and never resent by itself.
printf 'From: %s@example.org\nTo: one@example.org\nSubject: five\nMessage-ID: <five@send.test>\n\nhi\n' \
    "$U" >"$work/five.eml"
ERRAND_OUTBOX_DIE_AT=dot "$ERRAND" -c "$conf" send "$work/five.eml" \
    >/dev/null 2>&1
tap_eq "killed at the dot: by SIGKILL" "$?" 137
run outbox
id=$(printf '%s\n' "$out" | grep '	five' | cut -f 1)
tap_like "held as uncertain" "$out" \
    "	held	.*may have been sent: check Sent and use errand outbox --retry $id"
run push
run outbox
tap_like "push does not resend it" "$(arrived five):$(oneline "$out")" \
    "^0:.*$id	held	[^~]*may have been sent"

tap_done
