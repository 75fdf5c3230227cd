# errand tests: mutt's patterns in the interface, against a real Dovecot
# with doveadm as the other device: l limits the index (the status line
# says so, a sync keeps it, l all ends it), T tags by pattern, / searches
# by pattern, and a bad pattern says which column.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/pattern
mkdir -p "$work/mail" "$work/cache"
msg()
{
	printf 'From: %s\nTo: demo@example.org\nSubject: %s\n' "$2" "$3" \
	    >"$work/mail/$1"
	printf 'Date: Mon, 0%s Nov 2026 09:00:00 +0000\n\nBody %s.\n' \
	    "$1" "$1" >>"$work/mail/$1"
}
msg 1 'Alice <alice@example.org>' 'Quarterly report'
msg 2 'Bob <bob@example.com>' 'Re: Quarterly report'
msg 3 'Alice <alice@example.org>' 'Lunch plans'
msg 4 'Carol <carol@example.net>' 'Budget'
msg 5 'Dave <dave@example.net>' 'Weekly report'
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }
dv_doveadm flags add -u "$DOVECOT_USER" '\Flagged' mailbox INBOX uid 2 ||
    { echo "Bail out! doveadm flags failed"; exit 1; }
conf=$work/errand.conf
errand_write_config "$conf" imaps

tui_start 100 20 env XDG_CACHE_HOME="$work/cache" TERM=xterm-256color \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 "$ERRAND" -c "$conf"
check_screen "the index shows" "Weekly report" 15
wait_until 15 tui_shows 'online' || tap_fail "errand goes online" "$(tui_screen)"

# l: the index shows the matches only.
tui_send l
check_screen "l asks for a pattern" "Limit to messages matching:"
tui_send -l '~s report !~F'
tui_send Enter
check_screen "l says how many match" \
    "limited to 2 messages matching '~s report !~F'"
tap_like "the status line shows the limit" "$(tui_screen)" \
    'sort: date limit: ~s report !~F'
if wait_until 2 tui_lacks 'Lunch plans|Budget|Re: Quarterly'; then
	tap_ok "the other messages are not in the index"
else tap_fail "the other messages are not in the index" "$(tui_screen)"; fi
tap_like "the matches are" "$(tui_screen)" 'Quarterly report'

# A bad pattern: the column, and the limit stays.
tui_send l
tui_send -l '~s report ~Z'
tui_send Enter
check_screen "a bad pattern names the column" \
    "pattern: unknown term '~Z' at column 11"
tap_like "and the limit stays" "$(tui_screen)" 'limit: ~s report !~F'

# The other device flags message 5: a sync reloads, the limit holds.
dv_doveadm flags add -u "$DOVECOT_USER" '\Flagged' mailbox INBOX uid 5 ||
    tap_fail "doveadm flags" "failed"
if wait_until 10 tui_lacks 'Weekly report'; then
	tap_ok "a change from the server is seen through the limit"
else tap_fail "a change from the server is seen through the limit" \
    "$(tui_screen)"; fi

# l all: every message again.
tui_send l
tui_send -l all
tui_send Enter
check_screen "l all shows every message" "showing all messages"
if wait_until 2 tui_shows 'Lunch plans' && tui_lacks 'limit:'; then
	tap_ok "and the status line no longer shows a limit"
else tap_fail "and the status line no longer shows a limit" \
    "$(tui_screen)"; fi

# T: tag by pattern.
tui_send T
tui_send -l '~f alice'
tui_send Enter
check_screen "T tags by pattern" "2 messages tagged"
tap_like "Alice's messages are tagged" "$(tui_screen)" \
    '^.\*.. .*Lunch plans'
tap_eq "only they are" "$(tui_screen | grep -c '^.\*')" 2
tui_send T
tui_send -l '(~f bob'
tui_send Enter
check_screen "T with a bad pattern names the column" \
    "pattern: unmatched '(' at column 1"
tui_send T
tui_send -l '~T ~s lunch'
tui_send Enter
check_screen "~T reads the tags" "1 message tagged"

# l with an empty answer shows all; / searches by pattern.
tui_send l
tui_send -l '~F'
tui_send Enter
check_screen "l ~F" "limited to 2 messages matching '~F'"
tui_send l
tui_send Enter
check_screen "l with an empty answer shows all" "showing all messages"
tui_send /
tui_send -l '~f zed | ~s nothing'
tui_send Enter
check_screen "/ takes a pattern" "not found: ~f zed | ~s nothing"
tui_send /
tui_send -l '~f'
tui_send Enter
check_screen "/ with a bad pattern says why" \
    "pattern: '~f' needs an argument at column 1"

tui_send q
tui_wait_exit 10 >/dev/null
tap_done
