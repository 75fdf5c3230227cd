# errand tests: what the interface says about the journal, against the real
# Dovecot behind the fault proxy: a delete made offline is queued with its
# folder's UIDVALIDITY and its message's Message-ID; after another device
# deleted and made the folder again, the delete is held (not sent) and the
# status line says so; a damaged cache's notice shows on the screen, not
# only on standard error before curses starts.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"
. "$top_srcdir/tests/lib/proxy.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/journal
mkdir -p "$work/mail" "$work/cache"
U=$DOVECOT_USER

# seed MAILBOX NAME...: one message per NAME, Message-ID <NAME@tui.test>.
seed()
{
	_box=$1
	shift
	rm -rf "$work/mail"
	mkdir -p "$work/mail"
	_i=0
	for _n in "$@"; do
		_i=$((_i + 1))
		printf 'From: a@example.org\nSubject: Subject %s\nMessage-ID: <%s@tui.test>\nDate: Mon, 0%d Nov 2026 09:00:00 +0000\n\nBody.\n' \
		    "$_n" "$_n" "$_i" >"$work/mail/$_i"
	done
	dovecot_seed "$work/mail" "$_box"
}
seed Work w1

proxy_start "$IMAPS_PORT" "$work" ||
    { echo "Bail out! the proxy did not start"; exit 1; }
conf=$work/errand.conf
cat >"$conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:$pport
password-command = cat $DOVECOT_PASSWORD_FILE
ca-file = $DOVECOT_CA
CONF
db=$work/cache/errand/demo.db

run_ui()
{
	tui_start 320 12 env XDG_CACHE_HOME="$work/cache" \
	    XDG_DATA_HOME="$XDG_DATA_HOME" TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
	    "$ERRAND" -c "$conf" -d "$work/errand.log" "$@"
}
# The journal is in the account's data: attached as "data", and "journal"
# names it once the cache has none of its own.
jdb=$XDG_DATA_HOME/errand/demo/errand-journal.db
sql()
{
	python3 -c 'import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
if os.path.exists(sys.argv[3]):
    db.execute("ATTACH ? AS data", (sys.argv[3],))
for r in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in r))' "$db" "$1" "$jdb"
}

out=$(XDG_CACHE_HOME=$work/cache "$ERRAND" -c "$conf" sync demo Work 2>&1)
tap_like "the cache holds Work" "$out" "^Work: 1 new, "
old_uv=$(dv_doveadm -f flow mailbox status -u "$U" uidvalidity Work |
    sed 's/.*uidvalidity=//')

# Offline: d on w1, then keep the change for next time.
proxy_set down
run_ui -f Work
check_screen "the index shows w1 from the cache" "Subject w1" 15
tui_send d
check_screen "the delete waits" "1 pending" 5
tui_send '$'
check_screen "expunge asks first" "expunge 1 deleted message? (y/n)" 5
tui_send y
check_screen "the expunge waits too" "2 pending" 5
tui_send q
check_screen "quitting offers to purge the deleted message" "purge 1 deleted"
tui_send n
check_screen "then asks about the pending changes" "(k)eep"
tui_send k
tap_eq "the interface exits 0" "$(tui_wait_exit 10)" 0
tap_eq "the rows have the folder's UIDVALIDITY and the Message-ID" \
    "$(sql "SELECT op, uid, uidvalidity, message_id, state FROM journal")" \
    "flags|1|$old_uv|w1@tui.test|0
expunge|0|$old_uv|w1@tui.test|0"

# Another device deletes Work and makes it again: UID 1 is x1 now.
dv_doveadm mailbox delete -u "$U" Work
dv_doveadm mailbox create -u "$U" Work
seed Work x1 w1
proxy_set up
run_ui -f Work
check_screen "the status line says the changes are held" \
    "0 pending, 2 held (errand push)" 20
check_screen "and the message line why" \
    "change 2 (expunge) held: 'Work' is not the mailbox it was made in" 5
x1=$(dv_doveadm -f flow fetch -u "$U" flags mailbox Work \
    header message-id '<x1@tui.test>')
tap_eq "x1 on the server is not deleted" "$x1" "flags="
tap_eq "Work still holds both" "$(dv_doveadm -f flow mailbox status -u "$U" \
    messages Work | sed 's/.*messages=//')" 2
# (Once the sync has shown the new mailbox: until then the cache still
# shows the old w1 marked deleted, and q would offer to purge it.)
check_screen "the sync shows the new x1" "Subject x1" 20
tui_send q
tap_eq "quitting does not wait for a held change" "$(tui_wait_exit 10)" 0

# A damaged cache: the notice is on the screen.
python3 - "$db" <<'EOF'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
root = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = "
                  "'message'").fetchone()[0]
size = db.execute("PRAGMA page_size").fetchone()[0]
db.close()
with open(sys.argv[1], "r+b") as f:
    f.seek((root - 1) * size)
    f.write(b"\xff" * size)
EOF
# message_line_has TEXT: the interface's last line holds TEXT (what was on
# standard error before curses started is elsewhere, or gone).
message_line_has()
{
	tui_screen 2>/dev/null | tail -n 1 | grep -qF -- "$1"
}
run_ui -f Work
check_screen "the interface is up" "0 pending, 2 held" 20
if wait_until 5 message_line_has "was damaged and moved to"; then
	tap_ok "the message line says the cache was damaged"
else
	tap_fail "the message line says the cache was damaged" \
	    "$(tui_screen | tail -n 3)"
fi
# The changes were never in the cache: nothing to carry over.
if wait_until 5 message_line_has "a new one was made" &&
    ! message_line_has "carried over"; then
	tap_ok "and that the held changes came over"
else
	tap_fail "and that the held changes came over" \
	    "$(tui_screen | tail -n 3)"
fi
check_screen "the changes are still held" "0 pending, 2 held (errand push)" 20
tui_send q
tap_eq "the interface exits 0" "$(tui_wait_exit 10)" 0

# A change made while another errand holds the cache is written later:
# it keeps the UIDVALIDITY of when it was made, even when that errand has
# meanwhile stored another one for the folder (a remade mailbox).
seed Lock l1
out=$(XDG_CACHE_HOME=$work/cache "$ERRAND" -c "$conf" sync demo Lock 2>&1)
lock_uv=$(sql "SELECT uidvalidity FROM folder WHERE name = 'Lock'")
proxy_set down # so that the row stays in the journal to be read
run_ui -f Lock
check_screen "the index shows l1" "Subject l1" 15
: >"$work/holding"
rm -f "$work/held"
python3 - "$db" "$work/held" "$work/holding" <<'EOF2' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
while os.path.exists(sys.argv[3]):
    time.sleep(0.02)
c.execute("UPDATE folder SET uidvalidity = 999 WHERE name = 'Lock'")
c.execute("COMMIT")
EOF2
hpid=$!
wait_until 10 test -e "$work/held" ||
    tap_fail "another process takes the write lock"
tui_send d
check_screen "d is queued while the cache is locked" "1 pending" 5
rm -f "$work/holding"
wait "$hpid"
queued_row()
{
	[ -n "$(sql "SELECT j.id FROM journal j JOIN folder f ON f.id = j.folder
	    WHERE f.name = 'Lock'")" ]
}
wait_until 10 queued_row || tap_fail "the queued change is written"
tap_eq "the queued change keeps the UIDVALIDITY it was made under" \
    "$(sql "SELECT j.uidvalidity, j.message_id FROM journal j JOIN folder f
        ON f.id = j.folder WHERE f.name = 'Lock'")" "$lock_uv|l1@tui.test"
tui_stop

tap_done
