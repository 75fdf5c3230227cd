# errand tests: without a password-command, errand asks for the password on
# the terminal with echo off; driven through tmux against the real Dovecot.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
conf=$DOVECOT_DIR/errand.conf
cat >"$conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:$IMAPS_PORT
ca-file = $DOVECOT_CA
CONF
pw=$(cat "$DOVECOT_PASSWORD_FILE")

tui_start 80 24 "$ERRAND" -c "$conf" check
if tui_wait_for "Password for demo@127.0.0.1:" 10; then
	tap_ok "asks for the password on the terminal"
else
	tap_fail "asks for the password on the terminal" "$(tui_screen)"
fi
tui_send -l "$pw"
tui_send Enter
if tui_wait_for "demo: ok" 15; then
	tap_ok "logs in with the typed password"
else
	tap_fail "logs in with the typed password" "$(tui_screen)"
fi
tap_unlike "the password is not echoed" "$(tui_screen)" "$pw"
tap_eq "exit status 0" "$(tui_wait_exit 10)" 0
tui_stop

tui_start 80 24 "$ERRAND" -c "$conf" check
tui_wait_for "Password for" 10
tui_send -l "not-the-password"
tui_send Enter
if tui_wait_for "login refused" 15; then
	tap_ok "a wrong password is refused by name"
else
	tap_fail "a wrong password is refused by name" "$(tui_screen)"
fi
tap_eq "exit status 1" "$(tui_wait_exit 10)" 1
tui_stop

tap_done
