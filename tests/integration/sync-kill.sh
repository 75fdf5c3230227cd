# errand tests: a sync killed with SIGKILL at several points (before login,
# at the SELECT, at the first FETCH, after one and two committed chunks,
# and a warm sync applying flag changes), then rerun, gives
# the cache a clean sync gives, resumes where it stopped, and every killed
# database passes PRAGMA integrity_check. At LOGOUT nothing is left to
# kill: the sync ends without waiting for its answer.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "no python3"
dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/work
mkdir -p "$work/mail"
# The sync commits every 1,000 messages: three chunks and a tail.
n=3000
python3 "$top_srcdir/demo/generate-mail.py" -n "$n" --seed 7 \
    --now 2026-06-01 "$work/mail" >/dev/null
dovecot_seed "$work/mail" Big
tap_like "the folder holds $n messages" \
    "$(dv_doveadm -f flow mailbox status -u demo messages Big)" \
    "messages=$n\$"

# A relay between errand and Dovecot that passes the server's bytes at a
# bounded rate and answers each turn of the client a little late, so a cold
# sync takes seconds instead of a tenth of one and each kill point is
# reached with time to spare. The control file can say "crawl" (an eighth
# of the rate) or "hold" (full speed until the client's next bytes, the
# LOGOUT when armed after the FETCH went out; nothing from the server after
# them).
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


def pump(src, dst, st, up):
    try:
        while True:
            data = src.recv(4096)
            if not data:
                break
            if up:
                if word() == "hold":
                    st["held"] = True
                st["turn"] = time.monotonic() + 0.15
                dst.sendall(data)
                continue
            while st["held"] or time.monotonic() < st["turn"]:
                time.sleep(0.01)
            dst.sendall(data)
            w = word()
            if w != "hold":
                time.sleep(len(data) / (rate / 8 if w == "crawl" else rate))
    except OSError:
        pass
    st["held"] = False
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(c):
    try:
        s = socket.create_connection(("127.0.0.1", target))
    except OSError:
        c.close()
        return
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
control=$work/slow.control
python3 "$work/slow.py" "$IMAPS_PORT" "$work/slow.port" "$control" 600000 \
    </dev/null >"$work/slow.out" 2>&1 &
slow_pid=$!
errand_at_exit "kill $slow_pid 2>/dev/null; wait $slow_pid 2>/dev/null"
wait_until 10 test -s "$work/slow.port" ||
    { echo "Bail out! the slow relay did not start"; exit 1; }
slow_port=$(cat "$work/slow.port")

conf=$work/direct.conf
errand_write_config "$conf" imaps
slow=$work/slow.conf
errand_write_config "$slow" imaps
sed -i "s/:$IMAPS_PORT\$/:$slow_port/" "$slow"

# The reference: one clean cold sync straight to the server.
out=$(XDG_CACHE_HOME=$work/ref "$ERRAND" -c "$conf" sync demo Big 2>&1)
tap_like "reference sync stores every message" "$out" "^Big: $n new, "
ref_list=$(XDG_CACHE_HOME=$work/ref "$ERRAND" -c "$conf" list --offline Big)
ref_folders=$(XDG_CACHE_HOME=$work/ref "$ERRAND" -c "$conf" folders --offline)
tap_eq "reference list has every message" \
    "$(printf '%s\n' "$ref_list" | wc -l)" "$n"

# log_has ERE / log_count_ge ERE N: the protocol log of the run being
# killed ($klog) has a line matching ERE / at least N of them.
log_has() { grep -Eq -- "$1" "$klog"; }
log_count_ge() { [ "$(grep -Ec -- "$1" "$klog")" -ge "$2" ]; }

# db_state DIR: "integrity committed rows" of the cache in DIR, read from a
# copy so that the rerun finds the files exactly as the kill left them.
db_state()
{
	rm -rf "$1.copy"
	mkdir -p "$1.copy"
	cp "$1/errand/"demo.db* "$1.copy/" 2>/dev/null
	python3 - "$1.copy/demo.db" <<'EOF'
import os, sqlite3, sys
if not os.path.exists(sys.argv[1]):
    print("ok 0 0 (no database)")
    sys.exit(0)
db = sqlite3.connect(sys.argv[1])
ok = db.execute("PRAGMA integrity_check").fetchone()[0]
try:
    row = db.execute("SELECT id, synced_uid_max FROM folder"
                     " WHERE name = 'Big'").fetchone()
except sqlite3.Error:
    row = None
if row is None:
    print(ok, 0, 0)
else:
    rows = db.execute("SELECT count(*) FROM message WHERE folder = ?",
                      (row[0],)).fetchone()[0]
    print(ok, row[1], rows)
EOF
}

# header_from LOG: the first UID of the header FETCH in LOG, or "none".
header_from()
{
	_f=$(grep -Eo '> [^ ]+ UID FETCH [0-9]+:\* \(UID FLAGS INTERNALDATE' \
	    "$1" | head -n 1 | sed 's/.*UID FETCH \([0-9]*\):.*/\1/')
	echo "${_f:-none}"
}

# kill_run NAME CACHE COMMITTED CONDITION...: start a sync through the
# slow relay (config $kconf, else $slow) into CACHE, wait for CONDITION,
# SIGKILL it, check the database it left: sound, and with the resume point
# (synced_uid_max) at the rows stored, at least COMMITTED (a chunk of 1,000
# is always committed; a transaction also ends whenever errand has nothing
# more to read or has held it for 25 ms, so more may be).
kill_run()
{
	kname=$1 kcache=$2 kwant=$3
	shift 3
	klog=$work/$kname.killed.log
	: >"$klog"
	XDG_CACHE_HOME=$kcache "$ERRAND" -c "${kconf:-$slow}" -d "$klog" \
	    sync demo Big >"$work/$kname.killed.out" 2>&1 &
	kpid=$!
	if wait_until 30 "$@"; then reached=yes; else reached=no; fi
	kill -9 "$kpid" 2>/dev/null
	# (The braces keep the shell's "Killed" off the output.)
	{ wait "$kpid"; } 2>/dev/null
	kst=$?
	rm -f "$control"
	tap_eq "$kname: the sync reached the point and died of SIGKILL" \
	    "$reached $kst" "yes 137"
	set -- $(db_state "$kcache")
	tap_eq "$kname: integrity_check of the killed database" "$1" ok
	committed=$2 stored=$3
	if [ "$committed" = "$stored" ] && [ "$committed" -ge "$kwant" ]; then
		tap_ok "$kname: messages committed when killed ($committed)"
	else
		tap_fail "$kname: messages committed when killed" \
		    "resume point $committed, rows $stored, want >= $kwant"
	fi
}

# rerun NAME CACHE: sync CACHE again straight to the server; the result
# must be the reference's, fetching only what the killed run did not store.
rerun()
{
	rlog=$work/$1.rerun.log
	out=$(XDG_CACHE_HOME=$2 "$ERRAND" -c "$conf" -d "$rlog" sync demo Big \
	    2>&1)
	tap_eq "$1: rerun exits 0" "$?" 0
	tap_like "$1: rerun fetches the $((n - stored)) not stored" "$out" \
	    "^Big: $((n - stored)) new, "
	if [ "$stored" -ge "$n" ]; then
		want=none
	else
		want=$((committed + 1))
	fi
	tap_eq "$1: rerun's header FETCH starts after what was committed" \
	    "$(header_from "$rlog")" "$want"
	tap_eq "$1: list --offline is the reference's" \
	    "$(XDG_CACHE_HOME=$2 "$ERRAND" -c "$conf" list --offline Big)" \
	    "$ref_list"
	tap_eq "$1: folders --offline is the reference's" \
	    "$(XDG_CACHE_HOME=$2 "$ERRAND" -c "$conf" folders --offline)" \
	    "$ref_folders"
}

fetched='< \* [0-9]+ FETCH \(UID'

kill_run start "$work/c-start" 0 log_has 'imap: new -> connecting'
rerun start "$work/c-start"

kill_run select "$work/c-select" 0 log_has '> [^ ]+ SELECT '
rerun select "$work/c-select"

kill_run first-fetch "$work/c-first" 0 log_has "$fetched"
rerun first-fetch "$work/c-first"

# past_one NAME: the rerun of NAME did not start its fetch at UID 1.
past_one()
{
	_f=$(header_from "$work/$1.rerun.log")
	if [ "$_f" != none ] && [ "$_f" -gt 1 ]; then
		tap_ok "$1: the rerun fetches from UID $_f, not 1"
	else
		tap_fail "$1: the rerun fetches from UID $_f, not 1"
	fi
}

kill_run one-chunk "$work/c-one" 1000 log_count_ge "$fetched" 1300
rerun one-chunk "$work/c-one"
past_one one-chunk

kill_run two-chunks "$work/c-two" 2000 log_count_ge "$fetched" 2200
rerun two-chunks "$work/c-two"
past_one two-chunks

# During LOGOUT: arm the relay once the FETCH is flowing, so the LOGOUT
# is never answered and the kill finds the sync waiting for it.
arm_then_logout()
{
	if [ ! -e "$control" ]; then
		log_count_ge "$fetched" 100 || return 1
		echo hold >"$control"
	fi
	log_has '> [^ ]+ LOGOUT'
}
# The sync does not wait for the answer to LOGOUT (its work is committed
# by then): with the answer held back it ends at once, all stored.
klog=$work/logout.log
: >"$klog"
XDG_CACHE_HOME=$work/c-logout "$ERRAND" -c "$slow" -d "$klog" \
    sync demo Big >"$work/logout.out" 2>&1 &
kpid=$!
if wait_until 30 arm_then_logout; then reached=yes; else reached=no; fi
gone() { ! kill -0 "$kpid" 2>/dev/null; }
if wait_until 10 gone; then ended=yes; else ended=no; fi
kill -9 "$kpid" 2>/dev/null
{ wait "$kpid"; } 2>/dev/null
kst=$?
rm -f "$control"
tap_eq "logout: the sync ends without the answer to LOGOUT" \
    "$reached $ended $kst" "yes yes 0"
set -- $(db_state "$work/c-logout")
tap_eq "logout: every message committed" "$1 $2 $3" "ok $n $n"

# A warm sync applying many flag changes (QRESYNC sends them with the
# SELECT), killed mid-way, then rerun, against a clean warm sync.
cp -R "$work/c-one" "$work/c-warm"
dv_doveadm flags add -u demo '\Seen' mailbox Big all
dv_doveadm flags add -u demo '\Flagged' mailbox Big uid 1:1500
ref_out=$(XDG_CACHE_HOME=$work/ref "$ERRAND" -c "$conf" sync demo Big 2>&1)
tap_like "warm reference sync sees every change" "$ref_out" \
    "^Big: 0 new, $n changed, 0 vanished \(qresync\)"
ref_list=$(XDG_CACHE_HOME=$work/ref "$ERRAND" -c "$conf" list --offline Big)
ref_folders=$(XDG_CACHE_HOME=$work/ref "$ERRAND" -c "$conf" folders --offline)
tap_unlike "warm reference list has no unseen message left" "$ref_list" \
    '^[0-9]+	N'

echo crawl >"$control"
kill_run warm-flags "$work/c-warm" "$n" log_count_ge \
    '< \* [0-9]+ FETCH \(UID [0-9]+ (FLAGS|MODSEQ)' 1000
tap_file_unlike "warm-flags: killed before the SELECT finished" "$klog" \
    '< [^ *]+ OK \[READ-WRITE\]'
out=$(XDG_CACHE_HOME=$work/c-warm "$ERRAND" -c "$conf" -d \
    "$work/warm-flags.rerun.log" sync demo Big 2>&1)
tap_eq "warm-flags: rerun exits 0" "$?" 0
# What was stored before the kill stays: the rerun applies the rest.
tap_like "warm-flags: rerun applies the changes not yet stored" "$out" \
    "^Big: 0 new, [0-9]+ changed, 0 vanished \(qresync\)"
tap_eq "warm-flags: list --offline is the clean sync's" \
    "$(XDG_CACHE_HOME=$work/c-warm "$ERRAND" -c "$conf" list --offline Big)" \
    "$ref_list"
tap_eq "warm-flags: folders --offline is the clean sync's" \
    "$(XDG_CACHE_HOME=$work/c-warm "$ERRAND" -c "$conf" folders --offline)" \
    "$ref_folders"

# The same without QRESYNC and CONDSTORE: every flag comes in one
# UID FETCH 1:* (UID FLAGS), killed mid-way.
cp -R "$work/c-warm" "$work/c-plain"
errand_write_config "$work/plain.conf" imaps "imap-disable = QRESYNC CONDSTORE"
sed "s/:$IMAPS_PORT\$/:$slow_port/" "$work/plain.conf" >"$work/slow-plain.conf"
dv_doveadm flags remove -u demo '\Seen' mailbox Big uid 1:2000
dv_doveadm flags remove -u demo '\Flagged' mailbox Big uid 1001:1500
ref_out=$(XDG_CACHE_HOME=$work/ref "$ERRAND" -c "$conf" sync demo Big 2>&1)
tap_like "plain: the reference sees the changes" "$ref_out" \
    "^Big: 0 new, 2000 changed, 0 vanished \(qresync\)"
ref_list=$(XDG_CACHE_HOME=$work/ref "$ERRAND" -c "$conf" list --offline Big)
ref_folders=$(XDG_CACHE_HOME=$work/ref "$ERRAND" -c "$conf" folders --offline)
echo crawl >"$control"
kconf=$work/slow-plain.conf
kill_run plain-flags "$work/c-plain" "$n" log_count_ge \
    '< \* [0-9]+ FETCH \(UID [0-9]+ FLAGS' 1000
kconf=
tap_file_like "plain-flags: killed in the full flag fetch" "$klog" \
    '> [^ ]+ UID FETCH 1:\* \(UID FLAGS\)'
tap_file_unlike "plain-flags: killed before it finished" "$klog" \
    '< [^ *]+ OK Fetch completed'
out=$(XDG_CACHE_HOME=$work/c-plain "$ERRAND" -c "$work/plain.conf" sync demo \
    Big 2>&1)
tap_eq "plain-flags: rerun exits 0" "$?" 0
# What was stored before the kill stays (a write transaction lasts only
# while errand handles what has arrived): the rerun applies the rest.
tap_like "plain-flags: rerun applies the changes not yet stored" "$out" \
    "^Big: 0 new, [0-9]+ changed, 0 vanished \((plain|full)\)"
tap_eq "plain-flags: list --offline is the clean sync's" \
    "$(XDG_CACHE_HOME=$work/c-plain "$ERRAND" -c "$conf" list --offline Big)" \
    "$ref_list"
tap_eq "plain-flags: folders --offline is the clean sync's" \
    "$(XDG_CACHE_HOME=$work/c-plain "$ERRAND" -c "$conf" folders --offline)" \
    "$ref_folders"

tap_done
