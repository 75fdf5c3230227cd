# errand tests: the journal of offline changes against a real Dovecot, in
# the style of sync-kill.sh: changes queued in a mailbox that another
# device deletes and makes again (new UIDVALIDITY) are held, never sent,
# then re-targeted by Message-ID or discarded (errand push); a cache cut
# short or damaged keeps its changes in the new cache, checked the same
# way; a COPY or MOVE whose answer is lost (the connection cut right after
# it reached the server, or errand killed) is not done twice.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "no python3"
dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/work
mkdir -p "$work"
U=$DOVECOT_USER
conf=$work/direct.conf
errand_write_config "$conf" imaps

# seed MAILBOX NAME...: deliver one message per NAME, Message-ID
# <NAME@journal.test>, in that order (UIDs in that order).
seed()
{
	_box=$1
	shift
	rm -rf "$work/seed"
	mkdir -p "$work/seed"
	_i=0
	for _n in "$@"; do
		_i=$((_i + 1))
		printf 'Date: Tue, 01 Jan 2019 10:00:0%d +0000\r\nFrom: a@example.org\r\nTo: demo@example.org\r\nSubject: %s\r\nMessage-ID: <%s@journal.test>\r\n\r\nbody of %s\r\n' \
		    "$_i" "$_n" "$_n" "$_n" >"$work/seed/$(printf %03d "$_i")"
	done
	dovecot_seed "$work/seed" "$_box"
}
# remake MAILBOX NAME...: another device deletes MAILBOX and makes it again
# (a new UIDVALIDITY) with these messages.
remake()
{
	_box=$1
	shift
	dv_doveadm mailbox delete -u "$U" "$_box"
	dv_doveadm mailbox create -u "$U" "$_box"
	seed "$_box" "$@"
}
uidvalidity_of()
{
	dv_doveadm -f flow mailbox status -u "$U" uidvalidity "$1" |
	    sed 's/.*uidvalidity=//'
}
count_of()
{
	dv_doveadm -f flow mailbox status -u "$U" messages "$1" |
	    sed 's/.*messages=//'
}
# flags_by MAILBOX NAME: the flags of the message NAME, by Message-ID.
flags_by()
{
	dv_doveadm -f flow fetch -u "$U" flags mailbox "$1" \
	    header message-id "<$2@journal.test>" | sed 's/^flags=//'
}
# subject_uids MAILBOX: "UID SUBJECT" lines of the mailbox.
subject_uids()
{
	dv_doveadm -f flow fetch -u "$U" "uid hdr.subject" mailbox "$1" all |
	    sed 's/^uid=\([0-9]*\) hdr.subject=\(.*\)/\1 \2/'
}
# The account's journal (errand keeps it in its data, not the cache).
jdb=$XDG_DATA_HOME/errand/demo/errand-journal.db
# sql CACHE SQL: run SQL on the cache of CACHE with the journal attached
# (python's sqlite3); "journal" is the cache's own while it has one.
sql()
{
	python3 - "$1/errand/demo.db" "$2" "$jdb" <<'EOF'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
if os.path.exists(sys.argv[3]):
    db.execute("ATTACH ? AS data", (sys.argv[3],))
for row in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
db.commit()
EOF
}
# queue CACHE FOLDER UID OP ARG: a change queued offline as an errand that
# kept its journal in the cache (schema 6) wrote it: the row, with the
# folder's UIDVALIDITY and the message's Message-ID as the cache holds
# them. The next errand moves it to the account's data.
queue()
{
	python3 - "$1/errand/demo.db" "$2" "$3" "$4" "$5" <<'EOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE IF NOT EXISTS main.journal (id INTEGER PRIMARY KEY,"
           " folder INTEGER, uid INTEGER NOT NULL DEFAULT 0,"
           " op TEXT NOT NULL, arg TEXT, created INTEGER NOT NULL,"
           " uidvalidity INTEGER NOT NULL DEFAULT 0, message_id TEXT,"
           " state INTEGER NOT NULL DEFAULT 0,"
           " mark INTEGER NOT NULL DEFAULT 0)")
f = db.execute("SELECT id FROM folder WHERE name = ?",
               (sys.argv[2],)).fetchone()[0]
uid = int(sys.argv[3])
db.execute("INSERT INTO journal (folder, uid, op, arg, created, uidvalidity,"
           " message_id) VALUES (?, ?, ?, ?, ?, (SELECT uidvalidity FROM"
           " folder WHERE id = ?), (SELECT message_id FROM message WHERE"
           " folder = ? AND uid = ?))",
           (f, uid, sys.argv[4], sys.argv[5].replace("\\t", "\t"),
            int(time.time()), f, f, uid))
db.commit()
EOF
}
# queue_data CACHE FOLDER UID OP ARG: the same change as errand writes it
# now, into the journal in the account's data, with the folder's names.
queue_data()
{
	python3 - "$1/errand/demo.db" "$2" "$3" "$4" "$5" "$jdb" <<'EOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("ATTACH ? AS data", (sys.argv[6],))
f = db.execute("SELECT id FROM folder WHERE name = ?",
               (sys.argv[2],)).fetchone()[0]
uid = int(sys.argv[3])
db.execute("INSERT INTO data.journal (folder, uid, op, arg, created,"
           " uidvalidity, message_id, folder_name, folder_raw) VALUES"
           " (?, ?, ?, ?, ?, (SELECT uidvalidity FROM folder WHERE id = ?),"
           " (SELECT message_id FROM message WHERE folder = ? AND uid = ?),"
           " (SELECT name FROM folder WHERE id = ?),"
           " (SELECT raw_name FROM folder WHERE id = ?))",
           (f, uid, sys.argv[4], sys.argv[5].replace("\\t", "\t"),
            int(time.time()), f, f, uid, f, f))
db.commit()
EOF
}
# push CACHE [ARGS...]: errand push; sets out (stdout and stderr) and rc.
push()
{
	_c=$1
	shift
	out=$(XDG_CACHE_HOME=$_c "$ERRAND" -c "$conf" push "$@" 2>&1)
	rc=$?
}

# --- 1. a mailbox deleted and made again while changes wait ----------------
seed Work w1 w2 w3
c1=$work/c1
out=$(XDG_CACHE_HOME=$c1 "$ERRAND" -c "$conf" sync demo Work 2>&1)
tap_like "uidvalidity: the cache holds Work" "$out" "^Work: 3 new, "
old_uv=$(uidvalidity_of Work)
# Offline: w1 deleted and expunged, w2 flagged.
queue "$c1" Work 1 flags '+D\t0\tWork'
queue "$c1" Work 0 expunge '1\tWork'
# (The interface gives an expunge the Message-IDs of what it expunges.)
sql "$c1" "UPDATE journal SET message_id = 'w1@journal.test'
    WHERE op = 'expunge'" >/dev/null
queue "$c1" Work 2 flags '+F\t0\tWork'
tap_eq "uidvalidity: rows made under UIDVALIDITY $old_uv, with Message-IDs" \
    "$(sql "$c1" "SELECT uid, uidvalidity, message_id FROM journal ORDER BY id")" \
    "1|$old_uv|w1@journal.test
0|$old_uv|w1@journal.test
2|$old_uv|w2@journal.test"
# Another device: Work deleted and made again; its UID 1 is now x1, which
# errand has never shown, and w1 is back as UID 2.
remake Work x1 w1
new_uv=$(uidvalidity_of Work)
tap_unlike "uidvalidity: Work has a new UIDVALIDITY" "$new_uv" "^$old_uv\$"

push "$c1"
tap_eq "uidvalidity: push exits 1 while changes are held" "$rc" 1
tap_like "uidvalidity: push says 0 sent, 3 held" "$out" \
    "^0 sent, 0 pending, 3 held\$"
tap_like "uidvalidity: push lists the held delete with its Message-ID" "$out" \
    "^1	held	flags \+D of UID 1 in 'Work'	<w1@journal.test>	UIDVALIDITY $old_uv\$"
tap_like "uidvalidity: and says how to re-target or discard" "$out" \
    "3 changes held: .*--retarget ID.*--discard ID"
tap_eq "uidvalidity: x1 (the new UID 1) is there, not deleted" \
    "$(subject_uids Work | grep -c ' x1$'):$(flags_by Work x1)" "1:"
tap_eq "uidvalidity: Work still has both messages" "$(count_of Work)" 2
tap_eq "uidvalidity: w1 is not flagged either" "$(flags_by Work w1)" ""

push "$c1" --list demo
tap_eq "uidvalidity: push --list shows every row" "$out" \
    "1	held	flags +D of UID 1 in 'Work'	<w1@journal.test>	UIDVALIDITY $old_uv
2	held	expunge of UIDs 1 in 'Work'	<w1@journal.test>	UIDVALIDITY $old_uv
3	held	flags +F of UID 2 in 'Work'	<w2@journal.test>	UIDVALIDITY $old_uv"

push "$c1" --retarget 1
tap_eq "uidvalidity: --retarget finds w1 at its new UID" "$rc:$out" \
    "0:change 1 now names UID 2 in 'Work' (UIDVALIDITY $new_uv); errand push sends it"
push "$c1" --retarget 3
tap_eq "uidvalidity: --retarget of a message no longer there fails" "$rc" 1
tap_like "uidvalidity: naming its Message-ID" "$out" \
    "cannot re-target change 3: no message with Message-ID <w2@journal.test> in 'Work'"
push "$c1" --retarget 2
tap_eq "uidvalidity: --retarget of an expunge finds each of its messages" \
    "$rc:$out" \
    "0:change 2 now names UIDs 2 in 'Work' (UIDVALIDITY $new_uv); errand push sends it"
push "$c1" demo --discard 3
tap_eq "uidvalidity: --discard drops a held row (account first)" \
    "$rc:$out" "0:change 3 discarded"
push "$c1" --discard 1 -a demo
tap_like "uidvalidity: --discard of a row not held fails" "$rc:$out" \
    "^1:errand: push: change 1 is not held"
push "$c1" --discard 99 demo
tap_like "uidvalidity: --discard of no such row fails (account after)" \
    "$rc:$out" "^1:errand: push: no change 99 in the journal"
push "$c1" --list --discard 1
tap_like "uidvalidity: one action at a time" "$rc:$out" \
    "^2:errand: usage: errand push "
push "$c1"
tap_eq "uidvalidity: push sends the re-targeted rows and exits 0" "$rc:$out" \
    "0:2 sent, 0 pending, 0 held"
tap_eq "uidvalidity: w1, at its new UID, is expunged; x1 untouched" \
    "$(subject_uids Work):$(flags_by Work x1)" "1 x1:"

# --- 2. the whole cache deleted while changes wait -------------------------
# The journal is the account's data: changes made offline survive rm -rf
# of the cache directory, and push sends them from a cache made anew.
seed Lost l1 l2 l3
dv_doveadm mailbox create -u "$U" Kept
c2=$work/c2
out=$(XDG_CACHE_HOME=$c2 "$ERRAND" -c "$conf" sync demo Lost Kept 2>&1)
tap_like "cache gone: the cache holds Lost" "$out" "^Lost: 3 new, "
queue_data "$c2" Lost 1 flags '+F\t0\tLost'
queue_data "$c2" Lost 2 move 'Kept\tLost'
queue_data "$c2" Lost 3 flags '+S\t0\tLost'
tap_eq "cache gone: three rows in the data journal, none in the cache" \
    "$(sql "$c2" "SELECT count(*) FROM data.journal"):$(sql "$c2" \
        "SELECT count(*) FROM main.sqlite_schema WHERE name = 'journal'")" \
    "3:0"
rm -rf "$c2"
push "$c2"
tap_eq "cache gone: push sends all three from a new cache" "$rc:$out" \
    "0:3 sent, 0 pending, 0 held"
tap_like "cache gone: l1 is flagged" "$(flags_by Lost l1)" '\\Flagged'
tap_like "cache gone: l3 is read" "$(flags_by Lost l3)" '\\Seen'
tap_eq "cache gone: l2 moved to Kept" \
    "$(subject_uids Lost | sed 's/^[0-9]* //' | tr '\n' ' ')|$(subject_uids Kept | sed 's/^[0-9]* //')" \
    "l1 l3 |l2"
# Offline again, the cache gone again before errand starts: the list shows
# the pending flag once the folder is synced anew.
out=$(XDG_CACHE_HOME=$c2 "$ERRAND" -c "$conf" sync demo Lost 2>&1)
queue_data "$c2" Lost 1 flags '-F\t0\tLost'
rm -rf "$c2"
out=$(XDG_CACHE_HOME=$c2 "$ERRAND" -c "$conf" sync demo Lost 2>&1)
tap_eq "cache gone: the new cache shows the pending change" \
    "$(XDG_CACHE_HOME=$c2 "$ERRAND" -c "$conf" list --offline demo Lost |
        grep -c 'F')" 0
push "$c2"
tap_eq "cache gone: and push sends it" "$rc:$out:$(flags_by Lost l1)" \
    "0:1 sent, 0 pending, 0 held:"

# --- 4. a cache cut short, and a damaged one -------------------------------
# Enough messages that the file has pages to lose past the journal's.
i=0
names=
while [ $i -lt 300 ]; do
	i=$((i + 1))
	names="$names t$i"
done
seed Keep $names
seed Gone g1 g2
c4=$work/c4
out=$(XDG_CACHE_HOME=$c4 "$ERRAND" -c "$conf" sync demo Keep Gone 2>&1)
tap_like "damaged: the cache holds Keep" "$out" "^Keep: 300 new, "
queue_data "$c4" Keep 1 flags '+F\t0\tKeep'
queue_data "$c4" Gone 1 flags '+D\t0\tGone'
remake Gone y1 g1
python3 - "$c4/errand/demo.db" <<'EOF'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
os.truncate(sys.argv[1], os.path.getsize(sys.argv[1]) // 2)
EOF
push "$c4"
# The changes were never in the cache: nothing to carry over, none lost.
tap_like "truncated: the notice says the cache was remade, nothing lost" \
    "$out" \
    "cache '.*demo.db' was damaged and moved to '.*demo.db.corrupt-[0-9]+'; a new one was made"
tap_unlike "truncated: and carries over nothing from it" "$out" "carried over"
tap_eq "truncated: push exits 1 (one held)" "$rc" 1
tap_like "truncated: one sent, one held" "$out" "^1 sent, 0 pending, 1 held\$"
tap_like "truncated: the Keep change went" "$(flags_by Keep t1)" '\\Flagged'
tap_eq "truncated: y1 in the remade Gone is not deleted" \
    "$(subject_uids Gone | grep -c ' y1$'):$(flags_by Gone y1)" "1:"
tap_like "truncated: the Gone change is held with its Message-ID" "$out" \
    "held	flags \+D of UID 1 in 'Gone'	<g1@journal.test>"
# The journal is the account's, whatever the cache: the held change would
# still be there for the next case. Drop it.
held=$(printf '%s\n' "$out" | sed -n 's/^\([0-9][0-9]*\)	held	.*/\1/p')
push "$c4" --discard "$held"
tap_eq "truncated: the held change is discarded" "$rc:$out" \
    "0:change $held discarded"

# The same cache wrecked in the middle (the message table's root page),
# after a clean close whose record would let the next start skip its
# check, and with the file's modification time put back: found all the
# same.
c5=$work/c5
out=$(XDG_CACHE_HOME=$c5 "$ERRAND" -c "$conf" sync demo Keep 2>&1)
queue_data "$c5" Keep 2 flags '+F\t0\tKeep'
if [ -f "$c5/errand/demo.db-clean" ]; then
	tap_ok "damaged: the clean close was recorded"
else
	tap_fail "damaged: the clean close was recorded" "$(ls -l "$c5/errand")"
fi
python3 - "$c5/errand/demo.db" <<'EOF'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
root = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = "
                  "'message'").fetchone()[0]
size = db.execute("PRAGMA page_size").fetchone()[0]
db.close()
st = os.stat(sys.argv[1])
with open(sys.argv[1], "r+b") as f:
    f.seek((root - 1) * size)
    f.write(b"\xff" * size)
os.utime(sys.argv[1], ns=(st.st_atime_ns, st.st_mtime_ns))
EOF
push "$c5"
tap_like "damaged: the change, kept in the data, went" "$rc:$out" \
    "^0:.*a new one was made
1 sent, 0 pending, 0 held\$"
tap_like "damaged: t2 is flagged" "$(flags_by Keep t2)" '\\Flagged'

# Damage that errand meets in use rather than at its start (list --offline
# reads without checking): the command fails saying so, and the next start
# moves the cache aside and syncs it anew.
c6=$work/c6
out=$(XDG_CACHE_HOME=$c6 "$ERRAND" -c "$conf" sync demo Keep 2>&1)
python3 - "$c6/errand/demo.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
root = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = "
                  "'message'").fetchone()[0]
size = db.execute("PRAGMA page_size").fetchone()[0]
db.close()
with open(sys.argv[1], "r+b") as f:
    f.seek((root - 1) * size)
    f.write(b"\xff" * size)
EOF
out=$(XDG_CACHE_HOME=$c6 "$ERRAND" -c "$conf" list -a demo --offline Keep 2>&1)
rc=$?
tap_like "damaged in use: list fails and says what comes next" "$rc:$out" \
    "^1:errand: .*cache '.*demo.db' is damaged \\(database disk image is malformed\\); it is moved aside and made again when errand next starts\$"
out=$(XDG_CACHE_HOME=$c6 "$ERRAND" -c "$conf" sync demo Keep 2>&1)
tap_like "damaged in use: the next start moves it aside and syncs anew" \
    "$out" \
    "cache '.*demo.db' was damaged and moved to '.*demo.db.corrupt-[0-9]+'; a new one was made
.*Keep: 300 new, "

# --- 7. a COPY or MOVE whose answer is lost --------------------------------
# A relay that passes bytes both ways, the server's a little late after
# each turn of the client (so the test can arm it in time); once the
# control file says "hold", the client's next bytes go through and nothing
# of the server's comes back; "cut" then closes both sides.
cat >"$work/relay.py" <<'EOF'
import os, socket, sys, threading, time
target, portfile, control = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def word():
    try:
        with open(control) as f:
            return f.read().strip()
    except OSError:
        return ""


def pump(src, dst, st, up):
    try:
        while True:
            src.settimeout(0.05)
            try:
                data = src.recv(4096)
            except socket.timeout:
                if word() == "cut":
                    break
                continue
            if not data:
                break
            if up:
                if word() == "hold":
                    st["held"] = True
                st["turn"] = time.monotonic() + 0.3
                dst.sendall(data)
                continue
            while st["held"] or time.monotonic() < st["turn"]:
                if word() == "cut":
                    raise OSError("cut")
                time.sleep(0.01)
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(c):
    s = socket.create_connection(("127.0.0.1", target))
    st = {"held": False, "turn": 0}
    for a, b, up in ((c, s, True), (s, c, False)):
        threading.Thread(target=pump, args=(a, b, st, up),
                         daemon=True).start()


ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = ls.accept()
    serve(c)
EOF
control=$work/relay.control
: >"$control"
python3 "$work/relay.py" "$IMAPS_PORT" "$work/relay.port" "$control" \
    </dev/null >"$work/relay.out" 2>&1 &
relay_pid=$!
errand_at_exit "kill $relay_pid 2>/dev/null; wait $relay_pid 2>/dev/null"
wait_until 10 test -s "$work/relay.port" ||
    { echo "Bail out! the relay did not start"; exit 1; }
relayed=$work/relay.conf
errand_write_config "$relayed" imaps
sed -i "s/:$IMAPS_PORT\$/:$(cat "$work/relay.port")/" "$relayed"

log_has() { grep -Eq -- "$1" "$klog"; }
# lose_answer NAME CACHE OP-RE DEST WANT: push CACHE through the relay,
# hold the server's answers from the command after the STATUS that marks
# the row (the OP-RE command), wait until DEST holds WANT messages (the
# server did it), then cut or kill (KILL=1) errand.
lose_answer()
{
	klog=$work/$1.log
	: >"$klog"
	: >"$control"
	XDG_CACHE_HOME=$2 "$ERRAND" -c "$relayed" -d "$klog" push \
	    >"$work/$1.out" 2>&1 &
	kpid=$!
	if wait_until 30 log_has '> [^ ]+ STATUS '; then
		echo hold >"$control"
		if wait_until 30 log_has "> [^ ]+ $3 " &&
		    wait_until 30 test "$(count_of "$4")" = "$5"; then
			reached=yes
		else
			reached=no
		fi
	else
		reached=no
	fi
	if [ "${KILL:-0}" = 1 ]; then
		kill -9 "$kpid" 2>/dev/null
	else
		echo cut >"$control"
	fi
	{ wait "$kpid"; } 2>/dev/null
	kst=$?
	: >"$control"
	if [ "${KILL:-0}" = 1 ]; then _want=137; else _want=1; fi
	tap_eq "$1: the server did it and the answer never came" \
	    "$reached $kst" "yes $_want"
}

seed Src c1 c2
dv_doveadm mailbox create -u "$U" Dst
c7=$work/c7
out=$(XDG_CACHE_HOME=$c7 "$ERRAND" -c "$conf" sync demo Src Dst 2>&1)
tap_like "lost answer: the cache holds Src" "$out" "^Src: 2 new, "
queue "$c7" Src 1 copy 'Dst\tSrc'
lose_answer copy-cut "$c7" 'UID COPY' Dst 1
tap_eq "copy-cut: the row is marked as sent, with Dst's UIDNEXT" \
    "$(sql "$c7" "SELECT op, state, mark, message_id FROM journal")" \
    "copy|1|1|c1@journal.test"
klog=$work/copy-cut.rerun.log
out=$(XDG_CACHE_HOME=$c7 "$ERRAND" -c "$conf" -d "$klog" push 2>&1)
tap_eq "copy-cut: the rerun exits 0, the row done" "$?:$out" \
    "0:1 sent, 0 pending, 0 held"
tap_file_like "copy-cut: it looked in Dst by Message-ID" "$klog" \
    '> [^ ]+ UID SEARCH .*HEADER Message-ID "<c1@journal.test>"'
tap_file_unlike "copy-cut: and sent no second COPY" "$klog" 'UID COPY'
tap_eq "copy-cut: Dst holds one copy" "$(count_of Dst)" 1

# A MOVE, errand killed while the answer is held.
queue "$c7" Src 2 move 'Dst\tSrc'
KILL=1 lose_answer move-kill "$c7" 'UID MOVE' Dst 2
tap_eq "move-kill: the row is marked as sent" \
    "$(sql "$c7" "SELECT op, state, mark FROM journal")" "move|1|2"
klog=$work/move-kill.rerun.log
out=$(XDG_CACHE_HOME=$c7 "$ERRAND" -c "$conf" -d "$klog" push 2>&1)
tap_eq "move-kill: the rerun exits 0, the row done" "$?:$out" \
    "0:3 sent, 0 pending, 0 held"
tap_file_unlike "move-kill: no second MOVE" "$klog" 'UID (MOVE|COPY)'
tap_file_like "move-kill: the source UID expunged by UID, in case" "$klog" \
    '> [^ ]+ UID EXPUNGE 2$'
tap_eq "move-kill: Dst holds c1 and c2 once each" \
    "$(subject_uids Dst | cut -d' ' -f2 | sort | tr '\n' ' ')" "c1 c2 "
tap_eq "move-kill: Src holds c1 alone (c2 moved)" \
    "$(subject_uids Src | cut -d' ' -f2)" "c1"

# A move that stopped after its copy (COPY, STORE, EXPUNGE without MOVE,
# the connection lost after the COPY): the destination has it, the source
# too; the rerun removes the source's and copies nothing.
seed Src c4
out=$(XDG_CACHE_HOME=$c7 "$ERRAND" -c "$conf" sync demo Src Dst 2>&1)
c4uid=$(subject_uids Src | sed -n 's/ c4$//p')
dv_doveadm copy -u "$U" Dst mailbox Src uid "$c4uid"
queue "$c7" Src "$c4uid" move 'Dst\tSrc'
sql "$c7" "UPDATE journal SET state = 1, mark = 3" >/dev/null
klog=$work/move-half.log
out=$(XDG_CACHE_HOME=$c7 "$ERRAND" -c "$conf" -d "$klog" push 2>&1)
tap_eq "move-half: the rerun exits 0" "$?:$out" "0:3 sent, 0 pending, 0 held"
tap_file_unlike "move-half: no second MOVE or COPY" "$klog" 'UID (MOVE|COPY)'
tap_eq "move-half: c4 is in Dst once" \
    "$(subject_uids Dst | grep -c ' c4$')" 1
tap_eq "move-half: and no longer in Src" \
    "$(subject_uids Src | grep -c ' c4$')" 0

# Marked as sent, but it never reached the server (killed between the
# mark and the command): the rerun finds nothing and sends it.
seed Src c3
out=$(XDG_CACHE_HOME=$c7 "$ERRAND" -c "$conf" sync demo Src Dst 2>&1)
c3uid=$(subject_uids Src | sed -n 's/ c3$//p')
queue "$c7" Src "$c3uid" copy 'Dst\tSrc'
sql "$c7" "UPDATE journal SET state = 1, mark = 4" >/dev/null
klog=$work/copy-unsent.log
out=$(XDG_CACHE_HOME=$c7 "$ERRAND" -c "$conf" -d "$klog" push 2>&1)
tap_eq "copy-unsent: the rerun exits 0" "$?:$out" \
    "0:1 sent, 0 pending, 0 held"
tap_file_like "copy-unsent: it looked first" "$klog" \
    'UID SEARCH .*HEADER Message-ID "<c3@journal.test>"'
tap_file_like "copy-unsent: then copied" "$klog" "> [^ ]+ UID COPY $c3uid "
tap_eq "copy-unsent: Dst holds c3 once" \
    "$(subject_uids Dst | grep -c ' c3$')" 1

# A server that never answers: push stops at its deadline (-T), exit 124,
# and the change stays for the next push.
queue "$c7" Src 1 flags '+F\t0\tSrc'
echo hold >"$control"
out=$(XDG_CACHE_HOME=$c7 "$ERRAND" -c "$relayed" -T 2 push 2>&1)
tap_eq "deadline: push exits 124" "$?" 124
tap_like "deadline: and says so" "$out" \
    "^errand: push: 'demo' timed out after 2 s; 1 change not sent\$"
: >"$control"
tap_eq "deadline: the change stays" \
    "$(sql "$c7" "SELECT op, state FROM journal")" "flags|0"

tap_done
