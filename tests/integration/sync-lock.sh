# errand tests: two processes on one cache. A sync through a slow server
# keeps every write transaction short (a second process trying to write
# all along measures the longest time it could not), in the header fetch
# and in a warm sync's flag changes; a sync that meets another process
# holding the write lock for longer than the old 2 s busy timeout waits
# for it and completes.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/proxy.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not found"
dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/lock
mkdir -p "$work/mail"
n=200
python3 "$top_srcdir/demo/generate-mail.py" -n "$n" --seed 3 \
    --now 2026-06-01 "$work/mail" >/dev/null
dovecot_seed "$work/mail" INBOX || { echo "Bail out! seeding failed"; exit 1; }
proxy_start "$IMAPS_PORT" "$work" ||
    { echo "Bail out! the proxy did not start"; exit 1; }
conf=$work/errand.conf
cat >"$conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:$pport
password-command = cat $DOVECOT_PASSWORD_FILE
ca-file = $DOVECOT_CA
CONF
export XDG_CACHE_HOME=$work/cache
db=$XDG_CACHE_HOME/errand/demo.db
lock=$top_srcdir/tests/lib/cachelock.py
bound=1000 # ms: the longest write transaction allowed

now_ms()
{
	python3 -c 'import time; print(int(time.monotonic() * 1000))'
}

# probed_sync NAME SPEED ARGS...: errand sync through the proxy set to
# SPEED (slow, crawl) while cachelock.py probes; sets rc, out, took (ms),
# longest (ms).
probed_sync()
{
	_name=$1 _speed=$2
	shift 2
	rm -f "$work/probe"
	: >"$work/probing"
	python3 "$lock" probe "$db" "$work/probe" "$work/probing" &
	_ppid=$!
	proxy_set "$_speed"
	_t0=$(now_ms)
	out=$("$ERRAND" -c "$conf" -d "$work/$_name.log" sync "$@" \
	    2>"$work/$_name.err")
	rc=$?
	took=$(($(now_ms) - _t0))
	proxy_set up
	rm -f "$work/probing"
	wait "$_ppid"
	read -r longest _ <"$work/probe" || longest=unknown
}

# The cache and its folder list, no message yet.
"$ERRAND" -c "$conf" folders >/dev/null 2>"$work/err"
tap_eq "folders makes the cache" "$?" 0

# 1. A cold sync of every header through a server that trickles.
probed_sync cold slow demo INBOX
tap_eq "cold: the slow sync exits 0" "$rc" 0
tap_like "cold: it stores every message" "$out" "^INBOX: $n new, "
if [ "$took" -gt $((2 * bound)) ]; then
	tap_ok "cold: the sync takes more than $((2 * bound)) ms ($took)"
else
	tap_fail "cold: the sync takes more than $((2 * bound)) ms" \
	    "it took $took ms: too fast to tell a long transaction"
fi
if [ "$longest" != unknown ] && [ "$longest" -lt "$bound" ]; then
	tap_ok "cold: no write transaction of $bound ms or more ($longest)"
else
	tap_fail "cold: no write transaction of $bound ms or more" \
	    "another process could not write for $longest ms of $took"
fi

# 2. A warm sync with every message's flags changed: QRESYNC sends them
# with the SELECT, at a crawl.
dv_doveadm flags add -u demo '\Flagged' mailbox INBOX all
probed_sync warm crawl demo INBOX
tap_eq "warm: the slow sync exits 0" "$rc" 0
tap_like "warm: it applies every change" "$out" \
    "^INBOX: 0 new, $n changed, 0 vanished"
if [ "$took" -gt $((2 * bound)) ]; then
	tap_ok "warm: the sync takes more than $((2 * bound)) ms ($took)"
else
	tap_fail "warm: the sync takes more than $((2 * bound)) ms" \
	    "it took $took ms: too fast to tell a long transaction"
fi
if [ "$longest" != unknown ] && [ "$longest" -lt "$bound" ]; then
	tap_ok "warm: no write transaction of $bound ms or more ($longest)"
else
	tap_fail "warm: no write transaction of $bound ms or more" \
	    "another process could not write for $longest ms of $took"
fi

# 3. Another process holds the write lock: errand sync waits for it past
# the old 2 s, then completes.
for i in 1 2 3; do
	printf 'From: Late %s <late%s@example.org>\r\nTo: demo@example.org\r\nSubject: Late %s\r\nDate: Mon, 1 Jun 2026 12:0%s:00 +0000\r\nMessage-ID: <late%s@example.org>\r\n\r\nhi\r\n' \
	    "$i" "$i" "$i" "$i" "$i" | dv_doveadm save -u demo -m INBOX
done
: >"$work/holding"
python3 "$lock" hold "$db" "$work/held" "$work/holding" &
hpid=$!
wait_until 10 test -e "$work/held" ||
    tap_fail "the other process takes the write lock"
"$ERRAND" -c "$conf" -d "$work/held.log" sync demo INBOX \
    >"$work/held.out" 2>"$work/held.err" &
epid=$!
# Once the SELECT is answered errand has something to write; the lock
# stays 3 s more, longer than the old busy timeout.
wait_until 20 grep -q '< [^ *]* OK \[READ-WRITE\]' "$work/held.log" ||
    tap_fail "errand selects INBOX while the cache is locked"
sleep 3
rm -f "$work/holding"
wait "$hpid"
wait "$epid"
tap_eq "locked: errand sync waits and exits 0" "$?" 0
tap_like "locked: it stores the new mail" "$(cat "$work/held.out")" \
    "^INBOX: 3 new, "
tap_eq "locked: no error" "$(cat "$work/held.err")" ""
tap_eq "locked: list --offline has every message" \
    "$("$ERRAND" -c "$conf" list --offline INBOX | wc -l | tr -d ' ')" \
    "$((n + 3))"

# 4. The lock is not let go: errand sync stops waiting at its deadline.
printf 'From: Later <later@example.org>\r\nSubject: Later\r\n\r\nhi\r\n' |
    dv_doveadm save -u demo -m INBOX
: >"$work/holding"
rm -f "$work/held"
python3 "$lock" hold "$db" "$work/held" "$work/holding" &
hpid=$!
wait_until 10 test -e "$work/held" ||
    tap_fail "the other process takes the write lock again"
t0=$(now_ms)
"$ERRAND" -c "$conf" --sync-timeout 3 sync demo INBOX >"$work/dl.out" \
    2>"$work/dl.err"
rc=$?
took=$(($(now_ms) - t0))
rm -f "$work/holding"
wait "$hpid"
if [ "$rc" != 0 ] && [ "$took" -lt 10000 ]; then
	tap_ok "a lock kept past --sync-timeout 3: errand sync gives up ($took ms)"
else
	tap_fail "a lock kept past --sync-timeout 3: errand sync gives up" \
	    "status $rc after $took ms: $(cat "$work/dl.err")"
fi
tap_like "and says why" "$(cat "$work/dl.err")" "locked|timed out"

tap_done
