# errand tests: errand push killed with SIGKILL at random moments while it
# sends 20 messages through sendmail-command, again and again until none is
# left to send: each message is delivered once, or held as "may have been
# sent" (delivered at most once), never twice. No server is needed: the
# account's copies are off (save-sent = no).
. "$top_srcdir/tests/lib/tap.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/errand-send-kill.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME=$work/data XDG_CACHE_HOME=$work/cache
mkdir -p "$work/got"
# The MTA: a little slow, so that kills land while it runs too; each
# delivery is a file of its own (atomic rename).
cat >"$work/sendmail" <<EOF2
#!/bin/sh
t=\$(mktemp "$work/got/.t.XXXXXX")
cat >"\$t"
sleep 0.05
mv "\$t" "$work/got/m\${t##*.}.eml"
EOF2
chmod +x "$work/sendmail"
conf=$work/errand.conf
cat >"$conf" <<EOF2
[account demo]
source = pop3s://demo@127.0.0.1:1
password-command = echo unused
sendmail-command = $work/sendmail
save-sent = no
EOF2

i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	printf 'From: demo@example.org\nTo: a@example.org\nSubject: %d\nMessage-ID: <k%d@kill.test>\n\nbody %d\n' \
	    "$i" "$i" "$i" | "$ERRAND" -c "$conf" send --queue >/dev/null ||
		tap_fail "queue message $i"
done
tap_eq "20 queued" "$("$ERRAND" -c "$conf" outbox | grep -c '	queued	')" 20

# pending: messages still to send (queued or waiting).
pending()
{
	"$ERRAND" -c "$conf" outbox | grep -Ec '	(queued|retry)' || :
}
rounds=0
while [ "$(pending)" -gt 0 ] && [ $rounds -lt 60 ]; do
	rounds=$((rounds + 1))
	"$ERRAND" -c "$conf" push >/dev/null 2>&1 &
	pid=$!
	# A random moment within the run (the fault, not a synchronisation).
	sleep "0.$(awk -v s=$rounds 'BEGIN { srand(s); printf "%02d", rand() * 30 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done
tap_ok "killed $rounds times until nothing was left to send"
# What the killed runs left running (the MTA, in a process group of its
# own) finishes its delivery.
wait_until 20 sh -c "! pgrep -f '$work/[s]endmail' >/dev/null" ||
	tap_fail "the MTAs left running did not finish"
"$ERRAND" -c "$conf" push >/dev/null 2>&1

twice=0 once=0 never=0
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	n=$(grep -l "^Message-ID: <k$i@kill.test>" "$work"/got/*.eml \
	    2>/dev/null | wc -l | tr -d ' ')
	case $n in
	0) never=$((never + 1)) ;;
	1) once=$((once + 1)) ;;
	*) twice=$((twice + 1)) ;;
	esac
done
held=$("$ERRAND" -c "$conf" outbox | grep -c 'may have been sent' || :)
left=$("$ERRAND" -c "$conf" outbox | grep -vc 'may have been sent' || :)
tap_eq "none delivered twice" "$twice" 0
tap_eq "every message delivered or held as uncertain" \
    "$((once + held >= 20)):$left" "1:0"
tap_ok "delivered once: $once, held as may have been sent: $held"

tap_done
