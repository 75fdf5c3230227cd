# errand tests: what a mutt user notices in the first hour (issue 12,
# items 10-20), through the real binary in tmux against the real Dovecot:
# the three flag columns, the sort label, the cursor on the first unread
# with the rest in view, pager search (marked, wrapped, not found that
# goes), parents the server does not list, move to a new folder (created,
# subscribed), the rename prompt, purge on quit, and a message not cached
# offline that stays unread.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"
. "$top_srcdir/tests/lib/proxy.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/details
mkdir -p "$work/mail" "$work/cache"

# Thirty messages, one a day of November; 1-24 read, 25-30 unread.
# 1 is from the user; 24 is long, with "needle" twice; 25 is flagged;
# 26 has the user in Cc, 27 in To among others; 28 has an attachment.
for i in $(seq -w 1 30); do
	to=demo@example.org cc= from="Sender $i <s$i@example.org>"
	case $i in
	01) from="Demo <demo@example.org>" to="Friend <friend@example.org>" ;;
	26) to=other@example.org cc=demo@example.org ;;
	27) to="demo@example.org, other@example.org" ;;
	esac
	{
		printf 'From: %s\nTo: %s\n' "$from" "$to"
		[ -n "$cc" ] && printf 'Cc: %s\n' "$cc"
		printf 'Subject: Item %s\nMessage-ID: <d%s@example.org>\n' \
		    "$i" "$i"
		printf 'Date: %s Nov 2026 09:00:00 +0000\nMIME-Version: 1.0\n' \
		    "$i"
		if [ "$i" = 28 ]; then
			printf 'Content-Type: multipart/mixed; boundary=b\n\n'
			printf -- '--b\nContent-Type: text/plain\n\nSee.\n'
			printf -- '--b\nContent-Type: application/octet-stream\n'
			printf 'Content-Disposition: attachment; filename=a.bin\n'
			printf 'Content-Transfer-Encoding: base64\n\nAAEC\n--b--\n'
		elif [ "$i" = 24 ]; then
			printf '\n'
			for l in $(seq 1 60); do
				case $l in
				5 | 50) echo "line $l has the needle in it" ;;
				*) echo "line $l" ;;
				esac
			done
		else
			printf '\nBody %s.\n' "$i"
		fi
	} >"$work/mail/$i"
done
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }
dv_doveadm flags add -u demo '\Seen' mailbox INBOX uid 1:24
dv_doveadm flags add -u demo '\Flagged' mailbox INBOX uid 25
# A folder whose parent the server does not have (\NonExistent).
dv_doveadm mailbox create -u demo "Projects/Café 2026"

proxy_start "$IMAPS_PORT" "$work" ||
    { echo "Bail out! the proxy did not start"; exit 1; }
conf=$work/errand.conf
cat >"$conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:$pport
password-command = cat $DOVECOT_PASSWORD_FILE
ca-file = $DOVECOT_CA
CONF

run_ui()
{
	tui_start 100 20 env XDG_CACHE_HOME="$work/cache" \
	    TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
	    "$ERRAND" -c "${CONF:-$conf}" "$@"
}
# The screen with its attributes (capture-pane -e).
screen_attrs() { tui_tmux capture-pane -e -p -t "$_tui_target"; }
# reversed TEXT: TEXT is drawn in reverse video on the screen.
reversed()
{
	screen_attrs | grep -q "$(printf '\033')\[[0-9;]*7m$1"
}
server_has()
{
	dv_doveadm fetch -u demo flags mailbox INBOX uid "$1" 2>/dev/null |
	    grep -q -- "$2"
}
server_gone()
{
	! dv_doveadm search -u demo mailbox INBOX uid "$1" 2>/dev/null |
	    grep -q .
}
count_is()
{
	test "$(dv_doveadm search -u demo mailbox "$1" all 2>/dev/null |
	    grep -c .)" = "$2"
}
subscribed() { dv_doveadm mailbox list -u demo -s | grep -qxF "$1"; }

run_ui
check_screen "the index shows" "Item 25" 15
check_screen "the first sync is over" "online" 15

# 18: the cursor on the first unread, the unread after it in view.
tap_like "the unread after the cursor are on the screen" "$(tui_screen)" \
    "Item 30"
if reversed ".*Item 25"; then tap_ok "the cursor is on the first unread"
else tap_fail "the cursor is on the first unread" "$(screen_attrs)"; fi

# 10: mutt's three flag columns, then the attachment.
screen=$(tui_screen)
tap_like "flagged and unread: N and !" "$screen" "^N!\+  .*Item 25"
tap_like "a copy to the user: C" "$screen" "^N C  .*Item 26"
tap_like "to the user among others: T" "$screen" "^N T  .*Item 27"
tap_like "to the user alone: +, attachment: @" "$screen" "^N \+@ .*Item 28"
tui_send t
if wait_until 5 tui_shows '^N\*\+  .*Item 25'; then
	tap_ok "a tag shows in the second column, N kept"
else tap_fail "a tag shows in the second column, N kept" "$(tui_screen)"; fi
tui_send k # t moves on: back to it, and untag it
tui_send t

# 11: the sort label says what is shown.
tap_like "the default order is called date" "$(tui_screen)" "sort: date "
tui_send =
check_screen "= goes to the first" "sort: date "
tap_like "oldest at the top" "$(tui_screen | head -n 1)" "Item 01"
tui_send O
check_screen "O turns it round: reverse-date" "sort: reverse-date "
tui_send =
if wait_until 5 sh -c "env -u TMUX tmux -S '$_tui_dir/sock' capture-pane \
    -p -t errand-test | head -n 1 | grep -q 'Item 30'"; then
	tap_ok "newest at the top"
else tap_fail "newest at the top" "$(tui_screen)"; fi
tui_send O
check_screen "O again: date" "sort: date "

# 17: pager search marks the match, wraps saying so, a miss goes away.
tui_send /
tui_send -l "Item 24"
tui_send Enter
tui_send Enter
check_screen "the long message opens" "line 1"
tui_send /
tui_send -l needle
tui_send Enter
check_screen "the search finds the first match" "line 5 has the needle"
if wait_until 5 reversed needle; then tap_ok "the match is marked"
else tap_fail "the match is marked" "$(screen_attrs)"; fi
tui_send n
check_screen "n finds the second" "line 50 has the needle"
tui_send n
check_screen "n again wraps round to the first, saying so" "search wrapped"
tap_like "back at the first match" "$(tui_screen | head -n 1)" "line 5 has"
tui_send /
tui_send -l nowhere-to-be-found
tui_send Enter
check_screen "a miss says not found" "not found: nowhere-to-be-found"
tui_send j
if wait_until 5 tui_lacks "not found"; then
	tap_ok "the next key takes not found away"
else tap_fail "the next key takes not found away" "$(tui_screen)"; fi
tui_send q

# 15, 20: a move to a new folder offers to create it, then moves; the
# folder is subscribed.
tui_send /
tui_send -l "Item 03"
tui_send Enter
tui_send s
tui_send -l Newbox
tui_send Enter
check_screen "a move to a folder that does not exist asks" \
    "create 'Newbox'? ([yes]/no)"
tui_send y
if wait_until 20 count_is Newbox 1; then
	tap_ok "y creates it and moves the message there"
else tap_fail "y creates it and moves the message there" "$(tui_screen)"; fi
if subscribed Newbox; then tap_ok "the new folder is subscribed"
else tap_fail "the new folder is subscribed" \
    "$(dv_doveadm mailbox list -u demo -s)"; fi
tui_send y
tui_send C
tui_send -l Madehere
tui_send Enter
if wait_until 10 subscribed Madehere; then
	tap_ok "a folder made in the list is subscribed"
else tap_fail "a folder made in the list is subscribed" \
    "$(dv_doveadm mailbox list -u demo -s)"; fi

# 12: a parent the server does not list shows as a container.
if wait_until 10 tui_shows '^Projects *$' &&
    tui_shows '^  Café 2026 '; then
	tap_ok "the parent shows, the folder indented under it"
else tap_fail "the parent shows, the folder indented under it" \
    "$(tui_screen)"; fi

# 16: rename starts from the current name.
tui_send "*" # the last: Projects/Café 2026
tui_send r
check_screen "r starts from the folder's name" \
    "Rename to: Projects/Café 2026"
tui_send C-g
tui_send q

# 14: q with a message marked deleted asks to purge; n keeps it.
tui_send /
tui_send -l "Item 02"
tui_send Enter
tui_send d
if wait_until 10 server_has 2 '\\Deleted' &&
    wait_until 10 tui_lacks pending; then
	tap_ok "d marks it deleted on the server"
else tap_fail "d marks it deleted on the server" "$(tui_screen)"; fi
tui_send q
check_screen "q asks to purge, yes by default" \
    "purge 1 deleted message? ([yes]/no)"
tui_send n
tap_eq "n quits" "$(tui_wait_exit 10)" 0
if server_has 2 '\\Deleted'; then tap_ok "and keeps the message"
else tap_fail "and keeps the message" "gone"; fi
tui_stop

# 13: offline, a message that is not cached is not marked read.
proxy_set down
run_ui
check_screen "offline: the cached index" "Item 29" 15
check_screen "offline is shown" "offline:" 15
tui_send /
tui_send -l "Item 29"
tui_send Enter
tui_send Enter
check_screen "not cached offline" "not cached"
tui_send q
if wait_until 5 tui_shows '^N.*Item 29'; then
	tap_ok "a message not shown stays unread"
else tap_fail "a message not shown stays unread" "$(tui_screen)"; fi
tap_like "the unread count is unchanged" "$(tui_screen)" "6 unread"
tui_send q
check_screen "q asks to purge offline too" "purge 1 deleted message?"
tui_send n
tap_eq "n quits offline" "$(tui_wait_exit 10)" 0
tui_stop
proxy_set up
if dv_doveadm fetch -u demo flags mailbox INBOX uid 29 | grep -q Seen; then
	tap_fail "the server has it unread" "seen"
else tap_ok "the server has it unread"; fi

# 14: Enter takes the default, yes: purged before errand quits.
run_ui
check_screen "online again" "online" 15
tui_send q
check_screen "q asks to purge again" "purge 1 deleted message?"
tui_send Enter
tap_eq "Enter purges and quits" "$(tui_wait_exit 15)" 0
if server_gone 2; then tap_ok "the message is gone from the server"
else tap_fail "the message is gone from the server" "still there"; fi
tui_stop

# 14: delete = no quits without asking; 18 with reverse-date: the cursor
# on the newest unread at the top, passing one marked deleted (as mutt).
dv_doveadm flags add -u demo '\Deleted' mailbox INBOX uid 30
CONF=$work/no.conf
{ cat "$conf"; printf '[ui]\ndelete = no\nsort = reverse-date\n'; } >"$CONF"
# The cache knows it (the cursor is placed from the cache, before a sync).
XDG_CACHE_HOME="$work/cache" "$ERRAND" -c "$CONF" sync >/dev/null
run_ui
check_screen "reverse-date: the index shows" "sort: reverse-date" 15
if wait_until 10 reversed ".*Item 29"; then
	tap_ok "reverse-date: the cursor on the newest unread not deleted"
else tap_fail "reverse-date: the cursor on the newest unread not deleted" \
    "$(screen_attrs)"; fi
tap_like "the newest is above it, marked deleted" \
    "$(tui_screen | head -n 1)" "^D.*Item 30"
tui_send q
tap_eq "delete = no: q quits without asking" "$(tui_wait_exit 10)" 0
tui_stop

tap_done
