# errand tests: live flag sync and triage through the interface, against
# the real Dovecot behind a fault-injecting proxy, with doveadm as the
# other device: errand's changes reach the server within 2 s, the other
# device's reach errand's screen within 2 s (IDLE), changes made offline
# and changes of a process killed with SIGKILL are replayed once; a change
# made offline loses to a later one of the other device (MODSEQ).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"
. "$top_srcdir/tests/lib/proxy.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/triage
mkdir -p "$work/mail" "$work/cache"
for i in 1 2 3 4 5; do
	printf 'From: Sender %s <s%s@example.org>\nTo: demo@example.org\n' \
	    "$i" "$i" >"$work/mail/$i"
	printf 'Subject: Subject number %s\nMessage-ID: <t%s@example.org>\n' \
	    "$i" "$i" >>"$work/mail/$i"
	printf 'Date: Mon, 0%s Nov 2026 09:00:00 +0000\n\nBody %s.\n' \
	    "$i" "$i" >>"$work/mail/$i"
done
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }

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
	rm -f "$work/errand.log" # idle_on reads this run's log only
	tui_start 100 20 env XDG_CACHE_HOME="$work/cache" \
	    TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
	    "$ERRAND" -c "$conf" -d "$work/errand.log" "$@"
}

# server_has UID FLAG: the server's flags of INBOX message UID hold FLAG.
server_has()
{
	dv_doveadm fetch -u demo flags mailbox INBOX uid "$1" 2>/dev/null |
	    grep -q -- "$2"
}
# server_lacks UID FLAG: the server answered for the message and FLAG is
# not among its flags (a failed doveadm, or a message gone, proves nothing).
server_lacks()
{
	_sf=$(dv_doveadm fetch -u demo flags mailbox INBOX uid "$1" \
	    2>/dev/null) && printf '%s\n' "$_sf" | grep -q '^flags:' &&
	    ! printf '%s\n' "$_sf" | grep -q -- "$2"
}
server_gone()
{
	! dv_doveadm search -u demo mailbox INBOX uid "$1" 2>/dev/null |
	    grep -q .
}

# Wait for the live session's IDLE before measuring "within 2 s".
idle_on()
{
	grep -q '> [^ ]* IDLE' "$work/errand.log" 2>/dev/null
}

run_ui
check_screen "the index shows" "Subject number 5" 15
wait_until 20 idle_on || tap_fail "errand idles" "no IDLE in the log"

# errand -> server.
tui_send Enter
check_screen "Enter opens the first unread message" "Body 1."
if wait_until 2 server_has 1 '\\Seen'; then
	tap_ok "opening marks it read on the server within 2 s"
else tap_fail "opening marks it read on the server within 2 s" \
    "$(dv_doveadm fetch -u demo flags mailbox INBOX uid 1)"; fi
tui_send q
tui_send F
if wait_until 2 server_has 1 '\\Flagged'; then
	tap_ok "F flags it on the server within 2 s"
else tap_fail "F flags it on the server within 2 s" "not flagged"; fi
if wait_until 10 tui_shows '^ !.  Nov 01'; then
	tap_ok "F shows ! on the screen"
else tap_fail "F shows ! on the screen" "$(tui_screen)"; fi
tui_send F
if wait_until 2 server_lacks 1 '\\Flagged'; then
	tap_ok "F again unflags it on the server"
else tap_fail "F again unflags it on the server" "still flagged"; fi
tui_send N
if wait_until 2 server_lacks 1 '\\Seen'; then
	tap_ok "N marks it new again on the server"
else tap_fail "N marks it new again on the server" "still seen"; fi

# server (the other device) -> errand, through IDLE.
wait_until 20 idle_on
dv_doveadm flags add -u demo '\Flagged' mailbox INBOX uid 3
if wait_until 2 tui_shows '^.!.*Subject number 3'; then
	tap_ok "a flag set on another device shows within 2 s"
else tap_fail "a flag set on another device shows within 2 s" \
    "$(tui_screen)"; fi
dv_doveadm flags add -u demo 'work' mailbox INBOX uid 3
if wait_until 2 tui_shows '\[work\] Subject number 3'; then
	tap_ok "a keyword set on another device shows within 2 s"
else tap_fail "a keyword set on another device shows within 2 s" \
    "$(tui_screen)"; fi
dv_doveadm flags remove -u demo 'work' mailbox INBOX uid 3
dv_doveadm flags add -u demo '\Seen' mailbox INBOX uid 4
if wait_until 2 tui_lacks '^N.*Subject number 4'; then
	tap_ok "a message read on another device loses N within 2 s"
else tap_fail "a message read on another device loses N within 2 s" \
    "$(tui_screen)"; fi
dv_doveadm expunge -u demo mailbox INBOX uid 5
if wait_until 2 tui_lacks 'Subject number 5'; then
	tap_ok "a message expunged on another device goes within 2 s"
else tap_fail "a message expunged on another device goes within 2 s" \
    "$(tui_screen)"; fi
printf 'From: Late <late@example.org>\nSubject: Arrived later\n\nHi.\n' |
    dv_doveadm save -u demo -m INBOX
if wait_until 3 tui_shows 'Arrived later'; then
	tap_ok "new mail shows within 3 s"
else tap_fail "new mail shows within 3 s" "$(tui_screen)"; fi

# d marks deleted; $ asks, then expunges on the server.
tui_send =
tui_send d
if wait_until 10 tui_shows '^D.*Nov 01'; then
	tap_ok "d marks the message D"
else tap_fail "d marks the message D" "$(tui_screen)"; fi
tui_send '$'
check_screen "\$ asks before expunging" "expunge 1 deleted message? (y/n)"
tui_send y
if wait_until 3 server_gone 1; then
	tap_ok "y expunges it on the server"
else tap_fail "y expunges it on the server" "uid 1 still there"; fi

# Offline: changes wait in the journal and go once the server is back.
# (First the expunge's row must be done: the server may have acted on it
# before errand read its OK.)
wait_until 20 tui_lacks pending
proxy_set down
check_screen "offline is shown" "offline:" 15
tui_send =
tui_send F
tui_send j
tui_send N
check_screen "pending changes are counted" "2 pending"
proxy_set up
if wait_until 30 server_has 2 '\\Flagged'; then
	tap_ok "offline changes reach the server when it is back"
else tap_fail "offline changes reach the server when it is back" \
    "$(tui_screen)"; fi
if wait_until 20 tui_lacks pending; then
	tap_ok "the pending count goes"
else tap_fail "the pending count goes" "$(tui_screen)"; fi
tap_eq "a flag is sent once" \
    "$(grep -Ec 'UID STORE 2 .*\+FLAGS.SILENT \(\\\\Flagged\)' \
    "$work/errand.log")" 1

# Killed with SIGKILL right after an action: the next run sends it.
proxy_set down
check_screen "offline again" "offline:" 15
tui_send =
tui_send F
check_screen "the action is pending" "1 pending"
pkill -KILL -f "errand -c $conf" || :
tap_eq "errand died of SIGKILL" "$(tui_wait_exit 5)" "signal 9"
tui_stop
proxy_set up
run_ui
if wait_until 15 server_lacks 2 '\\Flagged'; then
	tap_ok "a change made before SIGKILL is sent by the next run"
else tap_fail "a change made before SIGKILL is sent by the next run" \
    "$(tui_screen)"; fi

# Quitting with pending changes asks; k keeps them for next time.
proxy_set down
check_screen "offline before quitting" "offline:" 15
tui_send =
tui_send F
tui_send q
check_screen "q with pending changes asks" "(w)ait, (k)eep"
tui_send k
tap_eq "k quits with status 0" "$(tui_wait_exit 5)" 0
tui_stop
proxy_set up
out=$(XDG_CACHE_HOME="$work/cache" "$ERRAND" -c "$conf" list --offline \
    INBOX)
tap_like "the kept change is still in the cache" "$out" \
    "^2	[^	]*![^	]*	.*Subject number 2$"

# Move, archive and copy.
folder_count()
{
	dv_doveadm search -u demo mailbox "$1" all 2>/dev/null | grep -c .
}
# count_is FOLDER N: a condition for wait_until, asked again each time
# (a "$(...)" in wait_until's arguments would be counted only once).
count_is() { test "$(folder_count "$1")" = "$2"; }
run_ui
check_screen "back in the index" "Arrived later" 15
wait_until 20 idle_on
tui_send "*"
tui_send s
tui_send -l Arch
tui_send Tab
check_screen "s asks for a folder, with completion" \
    "Move to folder: Archive"
tui_send Enter
check_screen "the move is confirmed" "moved to Archive"
if wait_until 3 tui_lacks 'Arrived later'; then
	tap_ok "a moved message leaves the index"
else tap_fail "a moved message leaves the index" "$(tui_screen)"; fi
if wait_until 20 count_is Archive 1; then
	tap_ok "the server has it in Archive"
else tap_fail "the server has it in Archive" "$(folder_count Archive)"; fi
tap_eq "and no longer in INBOX" "$(folder_count INBOX)" 3
tui_send "*"
tui_send A
if wait_until 20 count_is Archive 2; then
	tap_ok "A archives to the special-use Archive folder"
else tap_fail "A archives to the special-use Archive folder" \
    "$(tui_screen)"; fi
tui_send =
tui_send C
tui_send -l Trash
tui_send Enter
if wait_until 20 count_is Trash 1; then
	tap_ok "C copies to another folder"
else tap_fail "C copies to another folder" "$(tui_screen)"; fi
tap_eq "a copy stays in INBOX" "$(folder_count INBOX)" 2
tui_send C
tui_send -l Nowhere
tui_send Enter
check_screen "a copy to a folder that does not exist asks to create it" \
    "create 'Nowhere'? ([yes]/no)"
tui_send n
check_screen "n leaves it" "not copied"

# Tags: T by pattern, ; applies the next action to them all, U undoes.
tui_send T
tui_send -l "~s number"
tui_send Enter
check_screen "T tags by pattern" "2 messages tagged"
tap_like "tagged messages show *" "$(tui_screen)" "^.\*.. .*Subject number 2"
tui_send '\;' # tmux reads a bare ; as its own separator
tui_send F
if wait_until 3 server_lacks 2 '\\Flagged' &&
    wait_until 3 server_lacks 3 '\\Flagged'; then
	tap_ok "; F unflags every tagged message on the server"
else tap_fail "; F unflags every tagged message on the server" \
    "$(tui_screen)"; fi

# Server folders from the folder list; names in any script round-trip.
mbox_exists()
{
	dv_doveadm mailbox list -u demo 2>/dev/null | grep -qxF "$1"
}
mbox_gone() { ! mbox_exists "$1"; }
tui_send y
check_screen "the folder list" "Archive"
tui_send C
tui_send -l "Projekte/Ärger & Co"
tui_send Enter
if wait_until 3 mbox_exists "Projekte/Ärger & Co"; then
	tap_ok "C creates a folder with a non-ASCII name on the server"
else tap_fail "C creates a folder with a non-ASCII name on the server" \
    "$(dv_doveadm mailbox list -u demo)"; fi
if wait_until 5 tui_shows '^  Ärger & Co '; then
	tap_ok "the folder list shows it, indented under its parent"
else tap_fail "the folder list shows it, indented under its parent" \
    "$(tui_screen)"; fi
tui_send "*"
tui_send r
check_screen "r starts from the folder's name" \
    "Rename to: Projekte/Ärger & Co"
tui_send C-u
tui_send -l "Projekte/Erledigt"
tui_send Enter
if wait_until 3 mbox_exists "Projekte/Erledigt" &&
    ! mbox_exists "Projekte/Ärger & Co"; then
	tap_ok "r renames it on the server"
else tap_fail "r renames it on the server" \
    "$(dv_doveadm mailbox list -u demo)"; fi
if wait_until 5 tui_shows '^  Erledigt '; then
	tap_ok "the folder list follows"
else tap_fail "the folder list follows" "$(tui_screen)"; fi
tui_send "*"
tui_send d
check_screen "d asks, naming the message count" \
    "delete 'Projekte/Erledigt' and its 0 messages on the server? (y/n)"
tui_send y
if wait_until 3 mbox_gone "Projekte/Erledigt"; then
	tap_ok "y deletes it on the server"
else tap_fail "y deletes it on the server" \
    "$(dv_doveadm mailbox list -u demo)"; fi
# NOTIFY: new mail in another folder shows in the list within 2 s.
printf 'From: J <j@example.org>\nSubject: spam\n\nx\n' |
    dv_doveadm save -u demo -m Junk
if wait_until 2 tui_shows '^Junk +1 +1 *$'; then
	tap_ok "new mail in another folder shows in the list within 2 s"
else tap_fail "new mail in another folder shows in the list within 2 s" \
    "$(tui_screen)"; fi
tui_send q

tui_send U
if wait_until 3 server_has 2 '\\Flagged' &&
    wait_until 3 server_has 3 '\\Flagged'; then
	tap_ok "U undoes it on the server"
else tap_fail "U undoes it on the server" "$(tui_screen)"; fi
# ";" is for the very next key only: after "; j" a d is for one message.
deleted_count()
{
	dv_doveadm search -u demo mailbox INBOX deleted 2>/dev/null | grep -c .
}
deleted_at_least() { test "$(deleted_count)" -ge "$1"; }
test_deleted_none() { test "$(deleted_count)" -eq 0; }
tui_send '\;'
tui_send j
tui_send d
if wait_until 3 deleted_at_least 1; then
	tap_eq "; then a move, then d: one message deleted, not the tagged" \
	    "$(deleted_count)" 1
else tap_fail "; then a move, then d: one message deleted, not the tagged" \
    "$(tui_screen)"; fi
tui_send U
if wait_until 3 test_deleted_none; then
	tap_ok "U takes that delete back"
else tap_fail "U takes that delete back" "$(tui_screen)"; fi
tui_send q
tui_wait_exit 5 >/dev/null

# Several changes made offline (a flag, a delete, two moves), then the
# server back: each reaches it once; a move the server refuses (its folder
# was deleted meanwhile) comes back with the server's words.
for n in 1 2 3 4 5 6 7 8; do
	printf 'From: B <b@example.org>\nSubject: Batch %s\n\nx\n' "$n" |
	    dv_doveadm save -u demo -m INBOX
done
dv_doveadm mailbox create -u demo Later Gone
batch_uid()
{
	dv_doveadm search -u demo mailbox INBOX subject "Batch $1" |
	    awk '{ print $2 }'
}
b1=$(batch_uid 1) b2=$(batch_uid 2) b4=$(batch_uid 4) b5=$(batch_uid 5)
b6=$(batch_uid 6) b7=$(batch_uid 7) b8=$(batch_uid 8)
run_ui
check_screen "the batch is listed" "Batch 3" 15
wait_until 20 idle_on
tui_send y
check_screen "the new folders are known" "Later" 15
tui_send q
proxy_set down
check_screen "offline for the batch" "offline:" 15
pick()
{
	tui_send /
	tui_send -l "Batch $1"
	tui_send Enter
}
pick 1
tui_send F
pick 2
tui_send d
pick 3
tui_send s
tui_send -l Later
tui_send Enter
pick 1
tui_send s
tui_send -l Gone
tui_send Enter
pick 4
tui_send F
pick 5
tui_send F
pick 6
tui_send N
pick 7
tui_send N
pick 8
tui_send d
pick 6
tui_send F
check_screen "ten changes pending" "10 pending"
dv_doveadm mailbox delete -u demo Gone
proxy_set up
if wait_until 20 server_has "$b1" '\\Flagged' &&
    wait_until 5 server_has "$b2" '\\Deleted' &&
    wait_until 5 count_is Later 1; then
	tap_ok "flag, delete and move made offline all reach the server"
else tap_fail "flag, delete and move made offline all reach the server" \
    "$(tui_screen)"; fi
if wait_until 5 server_has "$b4" '\\Flagged' &&
    server_has "$b5" '\\Flagged' && server_has "$b6" '\\Seen' &&
    server_has "$b6" '\\Flagged' && server_has "$b7" '\\Seen' &&
    server_has "$b8" '\\Deleted'; then
	tap_ok "and the six other changes, all ten in all"
else tap_fail "and the six other changes, all ten in all" \
    "$(tui_screen)"; fi
tap_eq "every change was sent once" \
    "$(grep -Ec '> [^ ]+ UID (STORE|MOVE) ' "$work/errand.log")" 10
check_screen "the refused move is reported with the server's words" \
    "cannot move"
if wait_until 5 tui_shows "Batch 1"; then
	tap_ok "the refused move's message is back in the index"
else tap_fail "the refused move's message is back in the index" \
    "$(tui_screen)"; fi
tap_eq "the flag was sent once" \
    "$(grep -Ec "UID STORE $b1 .*\\+FLAGS.SILENT \\(\\\\\\\\Flagged\\)" \
    "$work/errand.log")" 1
# U after a move that reached the server moves it back (COPYUID).
pick 1
tui_send s
tui_send -l Later
tui_send Enter
moves_done() # the tagged OKs of MOVE errand has read
{
	grep -Ec '< a[0-9]+ OK .*Move completed' "$work/errand.log"
}
moves_at_least() { test "$(moves_done)" -ge "$1"; }
if wait_until 15 count_is Later 2 &&
    wait_until 15 moves_at_least 2; then
	tap_ok "a move is on the server, and errand knows"
else tap_fail "a move is on the server, and errand knows" "$(tui_screen)"; fi
tui_send U
if wait_until 15 count_is Later 1 &&
    wait_until 15 tui_shows "Batch 1"; then
	tap_ok "U moves it back from the server's folder"
else tap_fail "U moves it back from the server's folder" "$(tui_screen)"; fi

# A change waiting for a message another device expunges meanwhile is
# dropped with a note, not sent.
proxy_set down
check_screen "offline once more" "offline:" 15
pick 2
tui_send u
check_screen "the undelete is pending" "1 pending"
dv_doveadm expunge -u demo mailbox INBOX uid "$b2"
proxy_set up
check_screen "a change for an expunged message is dropped with a note" \
    "was deleted on another device: change dropped" 20
if wait_until 5 tui_lacks pending; then
	tap_ok "and nothing stays pending"
else tap_fail "and nothing stays pending" "$(tui_screen)"; fi
# Ten changes made offline, then SIGKILL, then the server back and errand
# started again: each reaches the server once.
proxy_set down
check_screen "offline before the kill" "offline:" 15
for n in 4 5 6 7 8; do
	pick "$n"
	tui_send F
	tui_send N
done
check_screen "ten changes pending before the kill" "10 pending"
pkill -KILL -f "errand -c $conf" || :
tap_eq "errand died of SIGKILL, ten changes pending" "$(tui_wait_exit 5)" \
    "signal 9"
tui_stop
proxy_set up
run_ui
# The replay runs in order, one change after the other: wait for the
# whole end state, not for its first change.
ten_on_server()
{
	server_lacks "$b4" '\\Flagged' && server_has "$b4" '\\Seen' &&
	    server_lacks "$b5" '\\Flagged' && server_has "$b5" '\\Seen' &&
	    server_lacks "$b6" '\\Flagged' && server_lacks "$b6" '\\Seen' &&
	    server_has "$b7" '\\Flagged' && server_lacks "$b7" '\\Seen' &&
	    server_has "$b8" '\\Flagged' && server_has "$b8" '\\Seen'
}
if wait_until 30 ten_on_server; then
	tap_ok "ten changes made before SIGKILL all reach the server"
else tap_fail "ten changes made before SIGKILL all reach the server" \
    "$(tui_screen)"; fi
wait_until 15 tui_lacks pending
tap_eq "each of them once" \
    "$(grep -Ec '> [^ ]+ UID STORE ' "$work/errand.log")" 10
# A change made offline loses to a later one from the other device: the
# server refuses ours by MODSEQ (UNCHANGEDSINCE, [MODIFIED], RFC 7162) and
# errand ends showing the server's flags, not its own.
proxy_set down
check_screen "offline for the conflict" "offline:" 15
pick 5
tui_send F
check_screen "our flag on Batch 5 is pending" "1 pending"
dv_doveadm flags remove -u demo '\Seen' mailbox INBOX uid "$b5"
proxy_set up
if wait_until 20 tui_lacks pending &&
    wait_until 20 tui_shows '^N .*Batch 5 '; then
	tap_ok "the later change wins: errand shows the server's flags"
else tap_fail "the later change wins: errand shows the server's flags" \
    "$(tui_screen)"; fi
if server_lacks "$b5" '\\Flagged' && server_lacks "$b5" '\\Seen'; then
	tap_ok "and the server keeps the other device's"
else tap_fail "and the server keeps the other device's" \
    "$(dv_doveadm fetch -u demo flags mailbox INBOX uid "$b5")"; fi
tap_file_like "by MODSEQ: the server answered [MODIFIED]" "$work/errand.log" \
    "< [^ ]+ OK \\[MODIFIED $b5\\]"
tui_send q
check_screen "q asks to purge the deleted one" \
    "purge 1 deleted message? ([yes]/no)"
tui_send n
tap_eq "n: nothing pending, q quits at once" "$(tui_wait_exit 5)" 0
tui_stop

# Without IDLE (hidden from errand), changes show within poll-interval.
conf_poll=$work/poll.conf
cat "$conf" >"$conf_poll"
printf 'imap-disable = IDLE\npoll-interval = 1\n' >>"$conf_poll"
tui_start 100 20 env XDG_CACHE_HOME="$work/cache" TERM=xterm-256color \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 "$ERRAND" -c "$conf_poll" \
    -d "$work/poll.log"
check_screen "polling: the index shows" "Subject number 3" 15
# Polling has started (and the first sync is over) before the change.
if wait_until 20 grep -q '> [^ ]* NOOP' "$work/poll.log"; then
	tap_ok "polling: NOOP sent"
else tap_fail "polling: NOOP sent" "no NOOP in the log"; fi
dv_doveadm flags remove -u demo '\Flagged' mailbox INBOX uid 3
if wait_until 3 tui_shows '^ .*Subject number 3'; then
	tap_ok "without IDLE a change shows within poll-interval (1 s)"
else tap_fail "without IDLE a change shows within poll-interval (1 s)" \
    "$(tui_screen)"; fi
tap_file_unlike "polling: no IDLE sent" "$work/poll.log" '> [^ ]* IDLE'
tui_send q
tui_wait_exit 5 >/dev/null

tap_done
