# errand tests: errand sync of a POP3 account into its Maildir against the
# real Dovecot: 1,000 messages fetched byte for byte (pipelined RETR), a
# second run fetching nothing, files whose records were lost recognised by
# the tag in their name,
# pop3-keep = never emptying the server only once all are home, pop3-keep =
# DAYS deleting exactly the old ones, SIGKILL at several points of a fetch
# that deletes, a connection cut in a RETR and a Maildir failing mid-run (no
# message lost or doubled, nothing half-written in new/ or cur/), stale
# tmp/ files cleaned, no UIDL (two copies of one message), STLS without
# PIPELINING, and errors with the server's -ERR text and code (a scripted
# server for [SYS/TEMP] and [IN-USE]).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "no python3"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/work
mkdir -p "$work"
n=1000
python3 "$top_srcdir/demo/generate-mail.py" -n "$n" --seed 11 \
    --now 2026-06-01 "$work/mail" >/dev/null
dovecot_seed "$work/mail" INBOX

# server_count: messages in the server's INBOX.
server_count()
{
	dv_doveadm -f flow mailbox status -u demo messages INBOX |
	    sed 's/.*messages=//'
}

# md_count DIR: messages in new/ and cur/ of the Maildir under data DIR.
md_count()
{
	ls "$1/errand/demo/new" "$1/errand/demo/cur" | grep -c '^[0-9]'
}

# same_mail SEED DATA: every message under SEED is in the Maildir of DATA
# exactly once and byte for byte, and nothing else is: prints "same", or
# what differs.
same_mail()
{
	python3 - "$1" "$2/errand/demo" <<'EOF'
import collections, os, sys
def files(*dirs):
    out = collections.Counter()
    for d in dirs:
        for f in os.listdir(d):
            with open(os.path.join(d, f), "rb") as fp:
                out[fp.read()] += 1
    return out
seed = files(sys.argv[1])
home = files(os.path.join(sys.argv[2], "new"), os.path.join(sys.argv[2], "cur"))
missing = sum((seed - home).values())
extra = sum((home - seed).values())
print("same" if missing == 0 and extra == 0 else
      "missing %d, extra or doubled %d" % (missing, extra))
EOF
}

# seen_rows DATA: records in the POP3 state of the Maildir under data DIR
# (errand-pop3.db, beside cur/ new/ tmp/).
seen_rows()
{
	python3 - "$1/errand/demo/errand-pop3.db" <<'EOF'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(
    "SELECT count(*) FROM fetched").fetchone()[0])
EOF
}

# run NAME CONF [ARGS...]: errand sync with XDG dirs under $work/NAME;
# stdout in $out, stderr in $err, status in $rc, the protocol log in
# $work/NAME.log.
run()
{
	_name=$1 _conf=$2
	shift 2
	: >"$work/$_name.log"
	out=$(XDG_CACHE_HOME=$work/$_name/cache XDG_DATA_HOME=$work/$_name/data \
	    "$ERRAND" -c "$_conf" -d "$work/$_name.log" sync "$@" \
	    2>"$work/$_name.err")
	rc=$?
	err=$(cat "$work/$_name.err")
}

errand_write_config "$work/always.conf" pop3s
errand_write_config "$work/never.conf" pop3s "pop3-keep = never"
errand_write_config "$work/days.conf" pop3s "pop3-keep = 3"

# --- keep = always: everything comes home, nothing is deleted -------------
start=$(date +%s)
run a "$work/always.conf"
tap_eq "cold fetch exits 0" "$rc" 0
tap_eq "cold fetch: summary line" "$out" \
    "INBOX: $n new, 0 changed, 0 deleted on server (pop3)"
tap_eq "cold fetch: $n messages in new/" \
    "$(ls "$work/a/data/errand/demo/new" | wc -l | tr -d ' ')" "$n"
tap_eq "cold fetch: every message byte for byte, once" \
    "$(same_mail "$work/mail" "$work/a/data")" same
tap_eq "cold fetch: the server keeps all" "$(server_count)" "$n"
tap_eq "cold fetch: $n ids recorded" "$(seen_rows "$work/a/data")" "$n"
tap_eq "cold fetch: the state is in the data, none in the cache" \
    "$(ls "$work/a/data/errand/demo/errand-pop3.db" |
    wc -l) $(ls "$work/a/cache/errand" | grep -c pop3)" "1 0"
tap_eq "cold fetch: Maildir and message modes 0700 and 0600" \
    "$(stat -c %a "$work/a/data/errand/demo" "$work/a/data/errand/demo/new" \
    "$work/a/data/errand/demo/new/$(ls "$work/a/data/errand/demo/new" |
    head -n 1)" | tr '\n' ' ')" "700 700 600 "
# Pipelining: a RETR goes out before the previous one is answered.
awk '/> RETR 1$/ { getline; print }' "$work/a.log" >"$work/after1"
tap_file_like "cold fetch: RETR 2 sent before RETR 1 was answered" \
    "$work/after1" '> RETR 2$'

# Against doveadm: a sample of messages, matched by Message-ID.
bad=
for uid in 1 2 500 999 1000; do
	dv_doveadm fetch -u demo text mailbox INBOX uid "$uid" |
	    sed '1s/^text:$//; 1{/^$/d}' >"$work/dv.$uid"
	mid=$(grep -i -m1 '^message-id:' "$work/dv.$uid")
	f=$(grep -lFx -- "$mid" "$work/a/data/errand/demo/new/"* | head -n 1)
	if [ -z "$f" ] || ! cmp -s "$work/dv.$uid" "$f"; then
		bad="$bad $uid"
	fi
done
tap_eq "doveadm fetch text equals the Maildir copy (uid 1 2 500 999 1000)" \
    "${bad:-none}" none

run a "$work/always.conf"
tap_eq "warm fetch exits 0" "$rc" 0
tap_eq "warm fetch: nothing new" "$out" \
    "INBOX: 0 new, 0 changed, 0 deleted on server (pop3)"
tap_file_unlike "warm fetch: no RETR" "$work/a.log" '> RETR '
tap_file_unlike "warm fetch: no DELE" "$work/a.log" '> DELE '
tap_file_like "warm fetch: ends with QUIT" "$work/a.log" '> QUIT$'
tap_eq "warm fetch: the Maildir still has $n" "$(md_count "$work/a/data")" "$n"

# A run killed after its files reached new/ and before their commit left
# them unrecorded: recognised by the tag of their UIDL in the name (and
# fetched again when the file is gone too).
python3 - "$work/a/data/errand/demo" <<'EOF'
import hashlib, os, sqlite3, sys
d = sys.argv[1]
db = sqlite3.connect(os.path.join(d, "errand-pop3.db"))
ids = [r[0] for r in db.execute("SELECT id FROM fetched ORDER BY id LIMIT 2")]
for i in ids:
    db.execute("DELETE FROM fetched WHERE id = ?", (i,))
db.commit()
tag = ",P=" + hashlib.sha256(ids[1].encode()).hexdigest()[:32]
gone = [f for f in os.listdir(os.path.join(d, "new")) if tag in f]
assert len(gone) == 1, gone
os.unlink(os.path.join(d, "new", gone[0]))
EOF
tap_eq "two records lost" "$(seen_rows "$work/a/data")" $((n - 2))
run a "$work/always.conf"
tap_eq "records lost: only the one whose file is gone is fetched again" \
    "$out" "INBOX: 1 new, 0 changed, 0 deleted on server (pop3)"
tap_eq "records lost: recorded again" "$(seen_rows "$work/a/data")" "$n"
tap_eq "records lost: every message byte for byte, once" \
    "$(same_mail "$work/mail" "$work/a/data")" same

# --- keep = never: deleted once home, made real by QUIT --------------------
run b "$work/never.conf"
tap_eq "never: exits 0" "$rc" 0
tap_eq "never: summary line" "$out" \
    "INBOX: $n new, 0 changed, $n deleted on server (pop3)"
tap_eq "never: the server is empty" "$(server_count)" 0
tap_eq "never: the Maildir has exactly $n" "$(md_count "$work/b/data")" "$n"
tap_eq "never: every message byte for byte, once" \
    "$(same_mail "$work/mail" "$work/b/data")" same
# Each DELE n comes after the whole of RETR n was read.
tap_eq "never: every DELE follows its RETR's end" "$(awk '
	/> RETR [0-9]+$/ { q[++t] = $NF }
	/ < \.$/ { if (h < t) done[q[++h]] = 1 }
	/> DELE [0-9]+$/ { if (!done[$NF]) bad++ }
	END { print bad + 0 }' "$work/b.log")" 0
tap_eq "never: $n DELE sent" "$(grep -c '> DELE ' "$work/b.log")" "$n"

# --- keep = DAYS: only what was fetched more than DAYS ago -----------------
dovecot_seed "$work/mail" INBOX
run c "$work/always.conf"
tap_eq "days: first fetch" "$out" \
    "INBOX: $n new, 0 changed, 0 deleted on server (pop3)"
# Age 100 records by four days and 100 by two.
python3 - "$work/c/data/errand/demo/errand-pop3.db" "$work/old-ids" <<'EOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
ids = [r[0] for r in db.execute("SELECT id FROM fetched ORDER BY id")]
now = int(time.time())
for i, u in enumerate(ids[:200]):
    db.execute("UPDATE fetched SET fetched_at = ? WHERE id = ?",
               (now - (4 if i < 100 else 2) * 86400, u))
db.commit()
with open(sys.argv[2], "w") as f:
    f.write("\n".join(ids[:100]) + "\n")
EOF
run c "$work/days.conf"
tap_eq "days: exits 0" "$rc" 0
tap_eq "days: deletes the 100 older than 3 days" "$out" \
    "INBOX: 0 new, 0 changed, 100 deleted on server (pop3)"
tap_eq "days: the server keeps $((n - 100))" "$(server_count)" $((n - 100))
# The UIDLs left on the server (pop3_uidl_format %08Xu%08Xv).
v=$(dv_doveadm -f flow mailbox status -u demo uidvalidity INBOX |
    sed 's/.*uidvalidity=//')
dv_doveadm -f tab fetch -u demo uid mailbox INBOX all | grep -E '^[0-9]+$' |
    while read -r uid; do printf '%08x%08x\n' "$uid" "$v"; done |
    sort >"$work/left-ids"
tap_eq "days: exactly the old ones are gone" \
    "$(sort "$work/old-ids" | comm -12 - "$work/left-ids" | wc -l | tr -d ' ')" 0
run c "$work/days.conf"
tap_eq "days: the next run deletes nothing more" "$out" \
    "INBOX: 0 new, 0 changed, 0 deleted on server (pop3)"
tap_eq "days: records of deleted messages are forgotten" \
    "$(seen_rows "$work/c/data")" $((n - 100))
tap_eq "days: the Maildir keeps all $n" "$(md_count "$work/c/data")" "$n"
echo "# 1,000-message runs took $(($(date +%s) - start)) s"

# --- killed and cut fetches, keep = never ----------------------------------
dv_doveadm expunge -u demo mailbox INBOX all
k=300
python3 "$top_srcdir/demo/generate-mail.py" -n "$k" --seed 12 \
    --now 2026-06-01 "$work/mail300" >/dev/null
dovecot_seed "$work/mail300" INBOX
tap_eq "the server holds $k for the kill tests" "$(server_count)" "$k"
python3 - "$work/mail300" >"$work/all-mids" <<'EOF'
import os, re, sys
for f in sorted(os.listdir(sys.argv[1])):
    m = re.search(rb"(?im)^message-id:\s*(\S+)", open(os.path.join(sys.argv[1], f), "rb").read())
    print(m.group(1).decode())
EOF

# A relay that passes the server's bytes at a bounded rate (a turn of the
# client answered a little late), so each kill point is reached in time.
# Its control file: "crawl" (a tenth of the rate), "cut" (close every
# connection now).
cat >"$work/slow.py" <<'EOF'
import os, socket, sys, threading, time
target, portfile, control, rate = (int(sys.argv[1]), sys.argv[2],
                                   sys.argv[3], int(sys.argv[4]))
def word():
    try:
        with open(control) as f:
            return f.read().strip()
    except OSError:
        return ""
def close(*ss):
    for s in ss:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
def pump(src, dst, up):
    try:
        while True:
            data = src.recv(2048)
            if not data or word() == "cut":
                break
            if not up:
                time.sleep(len(data) / (rate / 10 if word() == "crawl"
                                        else rate))
            if word() == "cut":
                if not up:  # half of what came, then nothing
                    dst.sendall(data[:len(data) // 2])
                break
            dst.sendall(data)
    except OSError:
        pass
    close(src, dst)
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = ls.accept()
    try:
        s = socket.create_connection(("127.0.0.1", target))
    except OSError:
        c.close()
        continue
    for a, b, up in ((c, s, True), (s, c, False)):
        threading.Thread(target=pump, args=(a, b, up), daemon=True).start()
EOF
control=$work/slow.control
python3 "$work/slow.py" "$POP3S_PORT" "$work/slow.port" "$control" 400000 \
    </dev/null >"$work/slow.out" 2>&1 &
slow_pid=$!
errand_at_exit "kill $slow_pid 2>/dev/null; wait $slow_pid 2>/dev/null"
wait_until 10 test -s "$work/slow.port" ||
    { echo "Bail out! the slow relay did not start"; exit 1; }
slow_port=$(cat "$work/slow.port")
sed "s/:$POP3S_PORT\$/:$slow_port/" "$work/never.conf" >"$work/slow.conf"

klog=$work/k.log
log_has() { grep -Eq -- "$1" "$klog"; }
log_count_ge() { [ "$(grep -Ec -- "$1" "$klog")" -ge "$2" ]; }

# mids_state [DIR...]: "doubled D lost L" over the Message-IDs of the
# files in DIRs (by default new/ and cur/ of $work/k's Maildir) and on the
# server: none doubled at home, none gone from both.
mids_state()
{
	[ $# -gt 0 ] ||
	    set -- "$work/k/data/errand/demo/new" "$work/k/data/errand/demo/cur"
	dv_doveadm -f tab fetch -u demo hdr.message-id mailbox INBOX all |
	    tail -n +2 | tr -d ' \r' >"$work/server-mids"
	python3 - "$work/all-mids" "$work/server-mids" "$@" <<'EOF'
import collections, os, re, sys
want = set(open(sys.argv[1]).read().split())
server = set(open(sys.argv[2]).read().split())
home = collections.Counter()
for d in sys.argv[3:]:
    for f in os.listdir(d) if os.path.isdir(d) else []:
        head = open(os.path.join(d, f), "rb").read().split(b"\n\n", 1)[0]
        m = re.search(rb"(?im)^message-id:\s*(\S+)", head)
        home[m.group(1).decode() if m else "none:" + f] += 1
print("doubled %d lost %d" % (sum(1 for v in home.values() if v > 1),
                              len(want - server - set(home))))
EOF
}

# whole_files: files in new/ and cur/ of $work/k that are not exactly one
# of the seeded messages.
whole_files()
{
	python3 - "$work/mail300" "$work/k/data/errand/demo" <<'EOF'
import os, sys
seed = set(open(os.path.join(sys.argv[1], f), "rb").read()
           for f in os.listdir(sys.argv[1]))
bad = 0
for d in ("new", "cur"):
    p = os.path.join(sys.argv[2], d)
    bad += sum(open(os.path.join(p, f), "rb").read() not in seed
               for f in os.listdir(p))
print(bad)
EOF
}

# kill_at NAME CONDITION...: start a fetch through the relay, wait for
# CONDITION in its protocol log, SIGKILL it, check what it left.
kill_at()
{
	kname=$1
	shift
	: >"$klog"
	XDG_CACHE_HOME=$work/k/cache XDG_DATA_HOME=$work/k/data "$ERRAND" \
	    -c "$work/slow.conf" -d "$klog" sync >"$work/k.out" 2>&1 &
	kpid=$!
	if wait_until 30 "$@"; then reached=yes; else reached=no; fi
	kill -9 "$kpid" 2>/dev/null
	{ wait "$kpid"; } 2>/dev/null
	kst=$?
	tap_eq "$kname: reached and died of SIGKILL" "$reached $kst" "yes 137"
	tap_eq "$kname: nothing doubled at home, nothing lost" \
	    "$(mids_state)" "doubled 0 lost 0"
	tap_eq "$kname: every file in new/ and cur/ is a whole message" \
	    "$(whole_files)" 0
}

kill_at login log_has 'pop3: [a-z]+ -> transaction'
kill_at retr-20 log_count_ge '> RETR ' 20
tap_file_unlike "retr-20: killed before any QUIT" "$klog" '> QUIT'
home1=$(md_count "$work/k/data")
kill_at dele-60 log_count_ge '> DELE ' 60
home2=$(md_count "$work/k/data")
if [ "$home2" -gt "$home1" ]; then
	tap_ok "dele-60: the second run brought more home ($home1, $home2)"
else
	tap_fail "dele-60: the second run brought more home ($home1, $home2)"
fi
kill_at dele-200 log_count_ge '> DELE ' 200

# SIGKILL may leave in tmp/ the files of a batch not yet committed and of
# the RETR in flight (64 + 16), never more.
left=$(ls "$work/k/data/errand/demo/tmp" | wc -l | tr -d ' ')
if [ "$left" -le $((4 * (64 + 16))) ]; then
	tap_ok "the kills left at most a batch and a window a run in tmp/"
else
	tap_fail "the kills left at most a batch and a window a run in tmp/ ($left)"
fi
rm -f "$work/k/data/errand/demo/tmp/"*

# Cut in the middle of a RETR: the relay crawls, then closes.
echo crawl >"$control"
: >"$klog"
XDG_CACHE_HOME=$work/k/cache XDG_DATA_HOME=$work/k/data "$ERRAND" \
    -c "$work/slow.conf" -d "$klog" sync >"$work/k.out" 2>"$work/k.err" &
kpid=$!
wait_until 30 log_count_ge '> RETR ' 3 && reached=yes || reached=no
echo cut >"$control"
wait "$kpid"
krc=$?
rm -f "$control"
cp "$klog" "$work/cut.log"
tap_eq "cut: the fetch fails" "$reached $krc" "yes 1"
# (Under TLS half a record never reaches the parser: the message may not
# say "in the middle of a reply".)
tap_like "cut: the error names the closed connection" "$(cat "$work/k.err")" \
    '^errand: demo: 127\.0\.0\.1 closed the connection'
tap_eq "cut: a RETR was unanswered when the connection went" \
    "$(awk '/> RETR / { r++ } / < \.$/ { e++ } END { print (r - (e - 1) > 0) }' \
    "$work/cut.log")" 1
tap_eq "cut: nothing doubled at home, nothing lost" "$(mids_state)" \
    "doubled 0 lost 0"
tap_eq "cut: no partial file in new/ or cur/" "$(whole_files)" 0
tap_eq "cut: the partial RETR was dropped from tmp/" \
    "$(ls "$work/k/data/errand/demo/tmp" | wc -l | tr -d ' ')" 0

# A partial file a dead run left 37 hours ago is cleaned; a recent one
# stays (it may be another run's).
printf 'Subject: half' >"$work/k/data/errand/demo/tmp/1.M1P1Q1.old"
printf 'Subject: half' >"$work/k/data/errand/demo/tmp/1.M1P1Q2.recent"
touch -d '37 hours ago' "$work/k/data/errand/demo/tmp/1.M1P1Q1.old"
run k "$work/never.conf"
tap_eq "rerun after the kills exits 0" "$rc" 0
tap_like "rerun: fetches the rest" "$out" \
    "^INBOX: [0-9]+ new, 0 changed, [0-9]+ deleted on server \(pop3\)$"
tap_eq "rerun: the server is empty" "$(server_count)" 0
tap_eq "rerun: every message home exactly once, byte for byte" \
    "$(same_mail "$work/mail300" "$work/k/data")" same
tap_eq "rerun: the stale tmp/ file is removed, the recent one kept" \
    "$(ls "$work/k/data/errand/demo/tmp" | tr '\n' ' ')" "1.M1P1Q2.recent "

# --- the Maildir fails in the middle, keep = never -------------------------
# new/ is replaced by a file while messages arrive: the fetch stops, QUIT
# deletes only what was recorded, and nothing is lost.
dovecot_seed "$work/mail300" INBOX
L=$work/l/data/errand/demo
: >"$klog"
XDG_CACHE_HOME=$work/l/cache XDG_DATA_HOME=$work/l/data "$ERRAND" \
    -c "$work/slow.conf" -d "$klog" sync >"$work/l.out" 2>"$work/l.err" &
kpid=$!
wait_until 30 log_count_ge '> DELE ' 20 && reached=yes || reached=no
mv "$L/new" "$L/new.moved" && : >"$L/new"
wait "$kpid"
krc=$?
tap_eq "Maildir failure: the fetch fails" "$reached $krc" "yes 1"
tap_like "Maildir failure: the error names the file" "$(cat "$work/l.err")" \
    "^errand: demo: cannot move '$L/tmp/[^']+' to '$L/new/[^']+': (Not a directory|No such file or directory)\$"
tap_file_like "Maildir failure: QUIT was sent" "$klog" '> QUIT$'
tap_eq "Maildir failure: deleted on the server = recorded" \
    "$(($(server_count) + $(seen_rows "$work/l/data")))" "$k"
tap_eq "Maildir failure: the failed batch was removed from tmp/" \
    "$(ls "$L/tmp" | wc -l | tr -d ' ')" 0
tap_eq "Maildir failure: nothing doubled, nothing lost" \
    "$(mids_state "$L/new.moved")" "doubled 0 lost 0"
rm -f "$L/new"
mv "$L/new.moved" "$L/new"
run l "$work/never.conf"
tap_eq "Maildir failure: the next run completes" "$rc $(server_count)" "0 0"
tap_eq "Maildir failure: every message home exactly once" \
    "$(same_mail "$work/mail300" "$work/l/data")" same
run l "$work/never.conf"
tap_eq "Maildir failure: the records of deleted messages are then forgotten" \
    "$(seen_rows "$work/l/data") $out" \
    "0 INBOX: 0 new, 0 changed, 0 deleted on server (pop3)"

# --- no UIDL: ids from TOP n 0 -----------------------------------------------
# Two copies of one message among them: two ids.
mkdir "$work/mailu"
cp "$work/mail300/"* "$work/mailu/"
printf 'From: twice@example.org\nSubject: twice\n\nsame bytes\n' \
    >"$work/mailu/twice-1"
cp "$work/mailu/twice-1" "$work/mailu/twice-2"
ku=$((k + 2))
dovecot_seed "$work/mailu" INBOX
errand_write_config "$work/nouidl.conf" pop3s "pop3-disable = UIDL"
run u "$work/nouidl.conf"
tap_eq "no UIDL: exits 0" "$rc" 0
tap_eq "no UIDL: fetches all" "$out" \
    "INBOX: $ku new, 0 changed, 0 deleted on server (pop3)"
tap_like "no UIDL: said once on stderr" "$err" \
    '^errand: 127\.0\.0\.1 does not support UIDL; .*digest'
tap_eq "no UIDL: said once" "$(printf '%s\n' "$err" | grep -c UIDL)" 1
tap_file_like "no UIDL: TOP n 0 asked" "$work/u.log" '> TOP 1 0$'
tap_file_unlike "no UIDL: no UIDL sent" "$work/u.log" '> UIDL'
run u "$work/nouidl.conf"
tap_eq "no UIDL: the ids hold across runs" "$out" \
    "INBOX: 0 new, 0 changed, 0 deleted on server (pop3)"
tap_eq "no UIDL: every message byte for byte, both copies once each" \
    "$(same_mail "$work/mailu" "$work/u/data")" same
tap_eq "no UIDL: the copies are known as ID and ID+2" "$(python3 - \
    "$work/u/data/errand/demo/errand-pop3.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
two = [r[0] for r in db.execute(
    "SELECT id FROM fetched WHERE id LIKE '%+2'")]
print(len(two), db.execute("SELECT count(*) FROM fetched WHERE id = ?",
                           (two[0][:-2] if two else "",)).fetchone()[0])
EOF
)" "1 1"

# --- STLS on the plain port, without PIPELINING ------------------------------
errand_write_config "$work/stls.conf" pop3 "pop3-disable = PIPELINING"
run s "$work/stls.conf"
tap_eq "STLS: fetches all" "$out" \
    "INBOX: $ku new, 0 changed, 0 deleted on server (pop3)"
tap_file_like "STLS: asked for" "$work/s.log" '> STLS$'
awk '/> RETR 1$/ { getline; print }' "$work/s.log" >"$work/after1"
tap_file_unlike "no PIPELINING: one RETR at a time" "$work/after1" '> RETR'

# --- a scripted server: what Dovecot will not do on request ----------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$work/s-key.pem" -out "$work/s-cert.pem" -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1

# scripted NAME KEEP: play $work/NAME.txt and run errand sync against it
# with pop3-keep = KEEP; sets out, err, rc and src (the server's status).
scripted()
{
	rm -f "$work/$1.port"
	python3 "$top_srcdir/tests/proto/scripted-server.py" "$work/$1.txt" \
	    "$work/$1.tr" "$work/$1.port" --cert "$work/s-cert.pem" \
	    --key "$work/s-key.pem" &
	_spid=$!
	wait_until 10 test -s "$work/$1.port"
	{
		echo "[account demo]"
		echo "source = pop3s://demo@127.0.0.1:$(cat "$work/$1.port")"
		echo "password-command = echo hunter2"
		echo "ca-file = $work/s-cert.pem"
		echo "pop3-keep = $2"
	} >"$work/$1.conf"
	run "$1" "$work/$1.conf"
	wait "$_spid"
	src=$?
}

cat >"$work/sys-temp.txt" <<'EOF'
TLS
S: +OK scripted POP3 ready
C: ^CAPA$
S: +OK
S: USER
S: UIDL
S: RESP-CODES
S: .
C: ^USER demo$
S: +OK
C: ^PASS hunter2$
S: +OK Logged in.
C: ^UIDL$
S: +OK
S: 1 first-id
S: 2 second-id
S: .
C: ^LIST$
S: +OK
S: 1 50
S: 2 60
S: .
C: ^RETR 1$
S: +OK
S: Subject: one
S:
S: ..a line that starts with a dot
S: .
C: ^RETR 2$
S: -ERR [SYS/TEMP] disk full
C: ^DELE 1$
S: +OK
C: ^QUIT$
S: +OK bye
EOF
scripted sys-temp never
tap_eq "RETR -ERR: exit 1, the script played to its end" "$rc $src" "1 0"
tap_eq "RETR -ERR: the server's text and code named" "$err" \
    "errand: demo: cannot retrieve message 2: -ERR [SYS/TEMP] disk full"
tap_eq "RETR -ERR: the message that came is home, unstuffed" \
    "$(cat "$work/sys-temp/data/errand/demo/new/"*)" \
    "$(printf 'Subject: one\n\n.a line that starts with a dot')"
tap_file_unlike "RETR -ERR: the failed message is not deleted" \
    "$work/sys-temp.tr" '^C: DELE 2'

cat >"$work/in-use.txt" <<'EOF'
TLS
S: +OK scripted POP3 ready
C: ^CAPA$
S: +OK
S: USER
S: RESP-CODES
S: .
C: ^USER demo$
S: +OK
C: ^PASS hunter2$
S: -ERR [IN-USE] Mailbox is locked by another session
EOF
scripted in-use always
tap_eq "[IN-USE]: exit 1" "$rc $src" "1 0"
tap_eq "[IN-USE]: the server's text and code named" "$err" \
    "errand: demo: login refused by 127.0.0.1: -ERR [IN-USE] Mailbox is locked by another session"

# --- errors ----------------------------------------------------------------
errand_write_config "$work/badpw.conf" pop3s
sed -i 's/^password-command = .*/password-command = echo wrong/' \
    "$work/badpw.conf"
run e "$work/badpw.conf"
tap_eq "wrong password: exit 1" "$rc" 1
tap_like "wrong password: the server's -ERR text and code" "$err" \
    '^errand: demo: login refused by 127\.0\.0\.1: -ERR \[AUTH\] '
run e "$work/always.conf" demo Archive
tap_eq "a folder other than INBOX: usage error" "$rc" 2
tap_like "a folder other than INBOX: said" "$err" \
    "^errand: demo: no folder 'Archive': a POP3 account has only INBOX$"
errand_write_config "$work/badkeep.conf" pop3s "pop3-keep = soon"
run e "$work/badkeep.conf"
tap_eq "pop3-keep = soon: configuration error" "$rc" 2
tap_like "pop3-keep = soon: said with the line" "$err" \
    "badkeep\\.conf:5: pop3-keep: 'soon' is not always, never or a number of days from 1 to 36500\$"
errand_write_config "$work/baddis.conf" pop3s "pop3-disable = UIDL TOP"
run e "$work/baddis.conf"
tap_like "pop3-disable = TOP: said" "$rc $err" \
    "^2 .*baddis\\.conf:5: pop3-disable: unknown extension 'TOP' \\(use UIDL or PIPELINING\\)\$"
sed "s/:$POP3S_PORT\$/:1/" "$work/always.conf" >"$work/off.conf"
run e "$work/off.conf"
tap_eq "unreachable: exit 1" "$rc" 1
tap_like "unreachable: offline" "$err" '^errand: demo: offline: .*refused'

tap_done
