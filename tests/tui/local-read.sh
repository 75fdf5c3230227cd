# errand tests: a message read in the interface on a POP3 account (its file
# renamed into cur/ with ":2,S") is still listed after new mail arrives and
# errand starts again: in the index, in `errand list` and in the counts of
# `errand folders`. With pop3-keep = never that file is the only copy.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/local-read
mkdir -p "$work/mail1" "$work/mail2"
message()
{
	printf 'From: Sender %s <s%s@example.org>\nTo: demo@example.org\n' \
	    "$1" "$1"
	printf 'Subject: Kept number %s\nMessage-ID: <k%s@example.org>\n' \
	    "$1" "$1"
	printf 'Date: Mon, 0%s Nov 2026 09:00:00 +0000\n\nBody %s.\n' "$1" "$1"
}
message 1 >"$work/mail1/1"
message 2 >"$work/mail1/2"
message 3 >"$work/mail2/3"
dovecot_seed "$work/mail1" || { echo "Bail out! seeding failed"; exit 1; }
conf=$work/errand.conf
errand_write_config "$conf" pop3s "pop3-keep = never"
md=$work/data/errand/demo

run_ui()
{
	tui_start 100 20 env XDG_CACHE_HOME="$work/cache" \
	    XDG_DATA_HOME="$work/data" TERM=xterm-256color LANG=C.UTF-8 \
	    LC_ALL=C.UTF-8 "$ERRAND" -c "$conf" "$@"
}
offline()
{
	env XDG_CACHE_HOME="$work/cache" XDG_DATA_HOME="$work/data" \
	    LC_ALL=C.UTF-8 "$ERRAND" -c "$conf" "$@" --offline 2>&1
}
read_in_cur()
{
	ls "$md/cur" 2>/dev/null | grep -q ':2,S$'
}
three_files()
{
	test "$(ls "$md/new" "$md/cur" | grep -c '^[0-9]')" = 3
}

run_ui
check_screen "the fetched mail shows" "Kept number 2" 20
tui_send /
tui_send -l "Kept number 1"
tui_send Enter
tui_send Enter
check_screen "the pager shows it" "Body 1." 10
if wait_until 10 read_in_cur; then tap_ok "opening renames it into cur/ with S"
else tap_fail "opening renames it into cur/ with S" "$(ls -R "$md")"; fi
tui_send q
tui_send q
tap_eq "q quits" "$(tui_wait_exit 10)" 0
tui_stop

# New mail, then errand again: the fetch delivers it and indexes new/.
dovecot_seed "$work/mail2" || tap_fail "seeding the new mail"
run_ui
check_screen "the new mail shows" "Kept number 3" 20
if wait_until 10 three_files; then tap_ok "three files in the Maildir"
else tap_fail "three files in the Maildir" "$(ls -R "$md")"; fi
if wait_until 10 tui_shows 'Kept number 1'; then
	tap_ok "the read message is still in the index"
else tap_fail "the read message is still in the index" "$(tui_screen)"; fi
tui_send q
tap_eq "q quits again" "$(tui_wait_exit 10)" 0
tui_stop

out=$(offline list)
tap_like "errand list shows the read message" "$out" "Kept number 1"
tap_like "and the new one" "$out" "Kept number 3"
tap_like "errand folders counts three, two unseen" "$(offline folders)" \
    "^INBOX[[:space:]]+3[[:space:]]+2$"

tap_done
