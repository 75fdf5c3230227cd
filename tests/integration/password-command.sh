# errand tests: password-command runs on the event loop with the account's
# timeout. One that hangs is killed and named; one that leaves a child
# holding its output is not waited for past its first line; one that writes
# more than a line (yes) is not failed for the SIGPIPE that ends it. Each
# through errand check and errand sync against the real Dovecot.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/work
mkdir -p "$work/mail"
python3 "$top_srcdir/demo/generate-mail.py" -n 5 --now 2026-06-01 \
    "$work/mail" >/dev/null
dovecot_seed "$work/mail" INBOX
export XDG_CACHE_HOME=$work/cache
pw=$(head -n 1 "$DOVECOT_PASSWORD_FILE")
pidfile=$work/grandchild.pid
errand_at_exit '[ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null'

# run NAME COMMAND PASSWORD-COMMAND: errand COMMAND with that
# password-command and timeout = 2; sets out, rc and secs.
run()
{
	_conf=$work/$1.conf
	errand_write_config "$_conf" imaps "timeout = 2"
	sed -i '/^password-command/d' "$_conf"
	printf 'password-command = %s\n' "$3" >>"$_conf"
	_t0=$(date +%s)
	out=$("$ERRAND" -c "$_conf" "$2" demo 2>&1)
	rc=$?
	secs=$(($(date +%s) - _t0))
}

for cmd in check sync; do
	run hang "$cmd" "sleep 60"
	tap_eq "$cmd, command hangs: exit 1" "$rc" 1
	tap_like "$cmd, command hangs: killed and named" "$out" \
	    "^errand: demo: password-command 'sleep 60' did not print a password in 2 seconds \\(killed\\)\$"
	tap_like "$cmd, command hangs: given up within 5 s (took $secs)" \
	    "$secs" '^[0-5]$'

	# The background sleep keeps the password pipe open for 30 s; its
	# stderr goes elsewhere so that only that pipe is held.
	rm -f "$pidfile"
	run grandchild "$cmd" \
	    "cat $DOVECOT_PASSWORD_FILE; exec 2>/dev/null; sleep 30 & echo \$! >$pidfile"
	tap_eq "$cmd, child left holding the output: exit 0" "$rc" 0
	tap_like "$cmd, child left holding the output: back in under 10 s (took $secs)" \
	    "$secs" '^[0-9]$'
	if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		tap_ok "$cmd, child left holding the output: the child still runs"
		kill "$(cat "$pidfile")"
	else
		tap_fail "$cmd, child left holding the output: the child still runs"
	fi

	run yes "$cmd" "yes $pw"
	tap_eq "$cmd, command writes on (yes): exit 0" "$rc" 0
	tap_unlike "$cmd, command writes on (yes): no error" "$out" \
	    'password-command'
done
tap_like "check with yes: logged in" "$(run yes check "yes $pw"; echo "$out")" \
    '^demo: ok '

run fails check "echo $pw; exit 3"
tap_eq "a line then exit 3: exit 1" "$rc" 1
tap_like "a line then exit 3: the status is named" "$out" \
    '^errand: demo: password-command exited with status 3$'

run quiet check "echo oops >&2; exit 2"
tap_like "stderr passes through headless" "$out" '^oops$'

tap_done
