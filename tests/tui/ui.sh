# errand tests: the full-screen interface, driven through tmux against the
# real Dovecot behind a fault-injecting proxy: the index from the cache and
# the sync, the cursor on the first unread, the pager, help, folder list and
# completion, inert escape sequences, offline and back online by itself, a
# stalled server that never freezes the keys, key bindings from the config.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"
. "$top_srcdir/tests/lib/proxy.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/ui
mkdir -p "$work/mail" "$work/cache"

# Four messages, oldest first; the last two unread. The third's subject
# tries to set the terminal title and clear the screen.
msg()
{
	printf 'From: %s\nTo: demo@example.org\nSubject: %s\nDate: %s\n' \
	    "$2" "$3" "$4"
	printf 'Message-ID: <%s@example.org>\n\n%s\n' "$1" "$5"
}
msg m1 'Alice Example <alice@example.org>' 'First read message' \
    'Mon, 02 Nov 2026 09:00:00 +0000' 'Body of the first.' >"$work/mail/1"
msg m2 'Bob <bob@example.org>' 'Second read message' \
    'Tue, 03 Nov 2026 09:00:00 +0000' 'Body of the second.' >"$work/mail/2"
msg m3 'Mallory <mallory@example.org>' \
    "$(printf 'Evil \033]0;pwned\007title \033[2Jclear')" \
    'Wed, 04 Nov 2026 09:00:00 +0000' 'Body of the evil one.' >"$work/mail/3"
msg m4 '=?utf-8?q?J=C3=BCrgen?= <j@example.org>' \
    '=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_Berlin?=' \
    'Thu, 05 Nov 2026 09:00:00 +0000' 'Viele Grüße, Jürgen.' >"$work/mail/4"
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }
dv_doveadm flags add -u demo '\Seen' mailbox INBOX uid 1:2

# The proxy: errand talks to Dovecot through it.
proxy_start "$IMAPS_PORT" "$work" ||
    { echo "Bail out! the proxy did not start"; exit 1; }
conf=$work/errand.conf
cat >"$conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:$pport
password-command = cat $DOVECOT_PASSWORD_FILE
ca-file = $DOVECOT_CA

[bindings index]
G = last
g = first
CONF

run_ui()
{
	tui_start "${COLS:-100}" "${ROWS:-20}" env \
	    XDG_CACHE_HOME="$work/cache" TERM=xterm-256color LANG=C.UTF-8 \
	    LC_ALL=C.UTF-8 "$ERRAND" -c "$conf" "$@"
}

# --- first start: empty cache, the sync fills the index --------------------
run_ui
check_screen "a cold start shows the messages once synced" \
    "Second read message" 15
check_screen "the status line says online" "online" 10
screen=$(tui_screen)
tap_like "the status line names account and folder" "$screen" \
    "demo: INBOX \[4 msgs, 2 unread\]"
tap_like "decoded sender and subject" "$screen" "Jürgen +Grüße aus Berlin"
tap_like "unread messages are marked N" "$screen" "^N +\+ +Nov 05"
tap_like "the evil subject is shown inert" "$screen" \
    'Evil \^\[\]0;pwned\^Gtitle \^\[\[2Jclear'
tap_unlike "the pane title was not changed" \
    "$(tui_tmux display -p '#{pane_title}')" "pwned"
tap_like "oldest at the top" "$(printf '%s\n' "$screen" | head -n 1)" \
    "First read message"

# Enter opens the first unread message: the cursor starts there.
tui_send Enter
check_screen "Enter opens the first unread message" "Body of the evil one."
screen=$(tui_screen)
tap_like "the pager shows the decoded header" "$screen" "Subject: Evil"
tui_send J
check_screen "J shows the next message" "Viele Grüße, Jürgen."
tui_send q
check_screen "q goes back to the index" "Second read message"

# Help lists the keys of the screen it came from.
tui_send '?'
check_screen "? shows the index keys" "Keys of the index screen"
tap_like "help lists a user binding" "$(tui_screen)" " G .* last "
tui_send q
check_screen "q leaves help" "First read message"

# Search.
tui_send /
tui_send -l Berlin
tui_send Enter
tui_send Enter
check_screen "/ finds a message by subject" "Viele Grüße, Jürgen."
tui_send q

# The folder list: INBOX and the special-use folders first.
tui_send y
check_screen "y shows the folder list" "Trash"
screen=$(tui_screen)
tap_like "INBOX comes first" "$(printf '%s\n' "$screen" | head -n 1)" \
    "^INBOX"
tap_like "INBOX shows its counts" "$(printf '%s\n' "$screen" | head -n 1)" \
    "2 +4 *$"
tui_send q

# c with Tab completion opens another folder.
tui_send c
tui_send -l Arc
tui_send Tab
check_screen "Tab completes the folder name" "Open folder: Archive"
tui_send Enter
check_screen "the folder opens" "demo: Archive"
tui_send c
tui_send -l INBOX
tui_send Enter
check_screen "and back to INBOX" "demo: INBOX"

# A message changed elsewhere shows after $ (sync now).
dv_doveadm flags add -u demo '\Flagged' mailbox INBOX uid 2
tui_send '$'
if wait_until 10 tui_shows '^.!.*Second read message'; then
	tap_ok "a flag set by another client shows after a sync"
else
	tap_fail "a flag set by another client shows after a sync" \
	    "$(tui_screen)"
fi

# Resize: the status line moves to the new last line but one.
tui_tmux resize-window -t errand-test -x 90 -y 15 2>/dev/null ||
    tui_tmux resize-pane -t errand-test -x 90 -y 15
if wait_until 10 sh -c "env -u TMUX tmux -S '$_tui_dir/sock' capture-pane \
    -p -t errand-test | sed -n 14p | grep -q 'demo: INBOX'"; then
	tap_ok "a resize redraws for the new size"
else
	tap_fail "a resize redraws for the new size" "$(tui_screen)"
fi
tui_send q
tap_eq "q quits with status 0" "$(tui_wait_exit 10)" 0
tui_stop

# --- offline: the cache answers, retries go online by themselves ----------
proxy_set down || tap_fail "the proxy goes down" "still open"
run_ui
check_screen "offline: the cached index shows" "Second read message"
check_screen "the status line says offline and why" "offline:" 10
tui_send G
tui_send Enter
check_screen "a message read before is cached" "Viele Grüße, Jürgen."
tui_send q
tui_send g
tui_send Enter
check_screen "one never opened says not cached" "not cached"
tui_send q
proxy_set up
check_screen "back online by itself" "online" 20
tui_send g
tui_send Enter
check_screen "then it is fetched" "Body of the first." 10
tui_send q
tui_send q
tui_wait_exit 10 >/dev/null
tui_stop

# --- a stalled server never freezes the screen ------------------------------
proxy_set stall
run_ui
check_screen "stalled: the cached index shows" "Second read message"
tui_send G
tui_send Enter
check_screen "stalled: a cached message opens" "Viele Grüße, Jürgen."
tui_send q
tui_send C-g
check_screen "C-g cancels the stalled sync" "sync cancelled"
tui_send q
tap_eq "stalled: q quits at once" "$(tui_wait_exit 5)" 0
tui_stop
proxy_set up

# --- a terminal that goes away without SIGHUP --------------------------------
# Its input hung up: errand quits (as on q, nothing purged) instead of
# waking for ever on a descriptor that is always readable.
tui_start 100 20 python3 -c '
import os, pty, subprocess, sys, time
m, s = pty.openpty()
p = subprocess.Popen(sys.argv[2:], stdin=s)
os.close(s)
# The far side of its input goes away once the interface is up.
deadline = time.time() + 10
while time.time() < deadline and not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
os.close(m)
sys.exit(p.wait())' "$work/up" env \
    XDG_CACHE_HOME="$work/cache" TERM=xterm-256color LANG=C.UTF-8 \
    LC_ALL=C.UTF-8 "$ERRAND" -c "$conf"
check_screen "input going away: the index shows first" "Second read message"
: >"$work/up"
tap_eq "input gone: errand quits" "$(tui_wait_exit 10)" 0
tui_stop

# --- bad bindings are a FILE:LINE error -------------------------------------
printf '[bindings index]\nj = fly\n' >"$work/bad.conf"
cat "$conf" >>"$work/bad.conf"
out=$("$ERRAND" -c "$work/bad.conf" list --offline 2>&1); rc=$?
tap_eq "an unknown action: exit 2" "$rc" 2
tap_like "an unknown action names file and line" "$out" \
    "bad.conf:2: unknown action 'fly'"
printf '[bindings index]\nHyper-x = next\n' >"$work/bad2.conf"
cat "$conf" >>"$work/bad2.conf"
out=$("$ERRAND" -c "$work/bad2.conf" list --offline 2>&1); rc=$?
tap_like "an unknown key names file and line" "$out" \
    "bad2.conf:2: unknown key 'Hyper-x'"
printf '[bindings inbox]\n' >"$work/bad3.conf"
out=$("$ERRAND" -c "$work/bad3.conf" list --offline 2>&1); rc=$?
tap_like "an unknown screen names file and line" "$out" \
    "bad3.conf:1: \[bindings inbox\]: unknown screen"

tap_done
