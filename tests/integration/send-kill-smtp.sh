# errand tests: errand push killed with SIGKILL at random moments while it
# sends 20 messages over SMTP through the real submission chain
# (tests/lib/smtpd.sh), again and again until none is left to send: each
# message is delivered once, or held as "may have been sent" (killed
# between its final dot and the answer), never twice. A kill before the
# final dot sends the message again on the next run, so most arrive.
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
    "smtp = smtp://$U@127.0.0.1:$SUBMISSION_PORT" "save-sent = no"
# arrived NAME: the files delivered with Message-ID <NAME@kill.test>.
arrived()
{
	grep -l "^Message-ID: <$1@kill.test>" "$SMTPD_MAILDIR"/new/* \
	    2>/dev/null | wc -l | tr -d ' '
}

i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	printf 'From: %s@example.org\nTo: one@example.org\nSubject: %d\nMessage-ID: <k%d@kill.test>\n\nbody %d\n' \
	    "$U" "$i" "$i" "$i" | "$ERRAND" -c "$conf" send --queue >/dev/null ||
		tap_fail "queue message $i"
done
tap_eq "20 queued" "$("$ERRAND" -c "$conf" outbox | grep -c '	queued	')" 20

# pending: messages still to send (queued or waiting).
pending()
{
	"$ERRAND" -c "$conf" outbox | grep -Ec '	(queued|retry)' || :
}
rounds=0
while [ "$(pending)" -gt 0 ] && [ $rounds -lt 80 ]; do
	rounds=$((rounds + 1))
	"$ERRAND" -c "$conf" push >/dev/null 2>&1 &
	pid=$!
	# A random moment within the run (the fault, not a synchronisation).
	sleep "0.$(awk -v s=$rounds 'BEGIN { srand(s); printf "%02d", rand() * 40 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done
tap_ok "killed $rounds times until nothing was left to send"
"$ERRAND" -c "$conf" push >/dev/null 2>&1
held=$("$ERRAND" -c "$conf" outbox | grep -c 'may have been sent' || :)
left=$("$ERRAND" -c "$conf" outbox | grep -vc 'may have been sent' || :)
# What the server accepted is delivered: at least the ones not held. A
# last message sent after all of them, once arrived, says the relay is
# through with the earlier ones.
printf 'From: %s@example.org\nTo: one@example.org\nSubject: last\nMessage-ID: <last@kill.test>\n\nlast\n' \
    "$U" | "$ERRAND" -c "$conf" send >/dev/null 2>&1 ||
	tap_fail "send the last message"
wait_until 20 sh -c "[ \$(grep -l '^Message-ID: <last@kill.test>' \
    '$SMTPD_MAILDIR'/new/* 2>/dev/null | wc -l) -ge 1 ]" ||
	tap_fail "the last message did not arrive"
smtpd_wait_mail $((21 - held)) || tap_fail "fewer delivered than sent"

twice=0 once=0 never=0
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	case $(arrived "k$i") in
	0) never=$((never + 1)) ;;
	1) once=$((once + 1)) ;;
	*) twice=$((twice + 1)) ;;
	esac
done
tap_eq "none delivered twice" "$twice" 0
tap_eq "every message delivered or held as uncertain" \
    "$((once + held >= 20)):$left" "1:0"
tap_eq "none lost: what is not held arrived" "$((never <= held))" 1
tap_ok "delivered once: $once, held as may have been sent: $held"

tap_done
