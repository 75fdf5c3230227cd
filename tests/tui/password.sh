# errand tests: the interface opens from the cache before it has the
# password. A password-command that hangs leaves the cached index on the
# screen (and is killed after `timeout`, named); without a password-command
# the password is asked on the interface's bottom line, the cached index
# shown above it, and nothing typed is echoed.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/pw
mkdir -p "$work/mail" "$work/cache"
for i in 1 2 3; do
	printf 'From: Alice <alice@example.org>\nTo: demo@example.org\nSubject: Cached subject %d\nDate: Mon, 0%d Nov 2026 09:00:00 +0000\nMessage-ID: <c%d@example.org>\n\nbody %d\n' \
	    "$i" "$i" "$i" "$i" >"$work/mail/$i"
done
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }
export XDG_CACHE_HOME=$work/cache
pw=$(head -n 1 "$DOVECOT_PASSWORD_FILE")

# The cache, filled by a sync with a working password-command.
errand_write_config "$work/good.conf" imaps
out=$("$ERRAND" -c "$work/good.conf" sync demo INBOX 2>&1)
tap_like "the cache is filled first" "$out" '^INBOX: 3 new'

run_ui()
{
	tui_start 100 20 env XDG_CACHE_HOME="$work/cache" \
	    TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
	    "$ERRAND" -c "$1"
}

# A password-command that hangs: the index is there at once, well before
# its timeout, and C-g stops it.
errand_write_config "$work/hang.conf" imaps "timeout = 30"
sed -i 's|^password-command = .*|password-command = sleep 60|' \
    "$work/hang.conf"
run_ui "$work/hang.conf"
check_screen "password-command hangs: the cached index shows" \
    "Cached subject 3" 10
if tui_shows 'connecting'; then
	tap_ok "password-command hangs: still connecting meanwhile"
else
	tap_fail "password-command hangs: still connecting meanwhile" \
	    "$(tui_screen)"
fi
tui_send C-g
check_screen "C-g stops the password-command" "password-command stopped" 5
tui_send q
tap_eq "after C-g: q quits" "$(tui_wait_exit 10)" 0
tui_stop

# Left alone, it is killed when the account's timeout passes, and named.
sed -i 's|^timeout = 30|timeout = 3|' "$work/hang.conf"
run_ui "$work/hang.conf"
check_screen "password-command hangs: the index again" "Cached subject 3" 10
check_screen "password-command hangs: killed after timeout, named" \
    "password-command 'sleep 60' did not print a password in 3 seconds" 15
tui_send q
tap_eq "password-command hangs: q quits" "$(tui_wait_exit 10)" 0
tui_stop

# No password-command: asked for on the bottom line, under the index.
errand_write_config "$work/ask.conf" imaps
sed -i '/^password-command/d' "$work/ask.conf"
run_ui "$work/ask.conf"
check_screen "no password-command: asks on the bottom line" \
    "Password for demo@127.0.0.1:" 10
if tui_shows 'Cached subject 3'; then
	tap_ok "no password-command: the cached index shows while it asks"
else
	tap_fail "no password-command: the cached index shows while it asks" \
	    "$(tui_screen)"
fi
tui_send -l "$pw"
tui_send Enter
check_screen "no password-command: online with the typed password" \
    "online" 15
tap_unlike "no password-command: the password is not echoed" \
    "$(tui_screen)" "$pw"
tui_send q
tap_eq "no password-command: q quits" "$(tui_wait_exit 10)" 0
tui_stop

tap_done
