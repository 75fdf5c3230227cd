# errand tests: the interface beside another process that holds the
# cache's write lock (a second errand syncing): keys are answered, a d
# shows at once and is kept until the cache takes it, then reaches the
# server; a sync that meets the lock is tried again and completes; no
# "database is locked" error; a change the server has done while the cache
# is locked is not sent again; quitting writes what waits. The lock is held
# by tests/lib/cachelock.py for longer than the old 2 s busy timeout.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"
. "$top_srcdir/tests/lib/proxy.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/lock
mkdir -p "$work/mail" "$work/cache"
for i in 1 2 3 4 5; do
	printf 'From: Sender %s <s%s@example.org>\nTo: demo@example.org\n' \
	    "$i" "$i" >"$work/mail/$i"
	printf 'Subject: Subject number %s\nMessage-ID: <l%s@example.org>\n' \
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
db=$work/cache/errand/demo.db
lock=$top_srcdir/tests/lib/cachelock.py

server_has()
{
	dv_doveadm fetch -u demo flags mailbox INBOX uid "$1" 2>/dev/null |
	    grep -q -- "$2"
}
idle_on()
{
	grep -q '> [^ ]* IDLE' "$work/errand.log" 2>/dev/null
}

tui_start 100 20 env XDG_CACHE_HOME="$work/cache" TERM=xterm-256color \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 "$ERRAND" -c "$conf" -d "$work/errand.log"
check_screen "the index shows" "Subject number 5" 15
wait_until 20 idle_on || tap_fail "errand idles" "no IDLE in the log"

# selects: how many SELECTs the server has answered so far.
selects()
{
	grep -Ec '< [^ *]+ OK \[READ-WRITE\]' "$work/errand.log"
}
selected_more() { [ "$(selects)" -gt "$1" ]; }

# Another process takes the write lock; new mail arrives (IDLE asks for
# a sync, which selects INBOX and meets the lock).
: >"$work/holding"
python3 "$lock" hold "$db" "$work/held" "$work/holding" &
hpid=$!
wait_until 10 test -e "$work/held" ||
    tap_fail "the other process takes the write lock"
before=$(selects)
printf 'From: Late <late@example.org>\nSubject: Arrived while locked\n\nHi.\n' |
    dv_doveadm save -u demo -m INBOX
if wait_until 10 selected_more "$before"; then
	tap_ok "a sync selects INBOX while the cache is locked"
else tap_fail "a sync selects INBOX while the cache is locked" \
    "$(tail -n 5 "$work/errand.log")"; fi
tui_send =
tui_send d
if wait_until 1 tui_shows '^D.*Nov 01'; then
	tap_ok "d shows D at once while the cache is locked"
else tap_fail "d shows D at once while the cache is locked" "$(tui_screen)"; fi
# Counted as pending until the server has it, which no longer waits for
# the cache's lock (see below).
pending_or_sent()
{
	tui_shows '1 pending' || server_has 1 '\\Deleted'
}
if wait_until 2 pending_or_sent; then
	tap_ok "the change is counted as pending"
else tap_fail "the change is counted as pending" "$(tui_screen)"; fi
# Past the old 2 s busy timeout, keys are still answered.
sleep 3
tui_send '?'
check_screen "keys are answered while the lock is held" "sync with the" 2
tui_send q
if tui_lacks 'database is locked|error:'; then
	tap_ok "no error while the lock is held"
else tap_fail "no error while the lock is held" "$(tui_screen)"; fi
# The journal is the account's data, not the cache: its row is written
# while the cache is locked, and goes to the server at once.
if wait_until 10 server_has 1 '\\Deleted'; then
	tap_ok "the d reaches the server while the cache is locked"
else tap_fail "the d reaches the server while the cache is locked" \
    "$(dv_doveadm fetch -u demo flags mailbox INBOX uid 1)"; fi
if test -e "$work/holding"; then
	tap_ok "the lock was held all along"
else tap_fail "the lock was held all along"; fi

rm -f "$work/holding"
wait "$hpid"
if wait_until 10 server_has 1 '\\Deleted'; then
	tap_ok "the d reaches the server once the lock is gone"
else tap_fail "the d reaches the server once the lock is gone" \
    "$(dv_doveadm fetch -u demo flags mailbox INBOX uid 1)"; fi
if wait_until 10 tui_shows 'Arrived while locked'; then
	tap_ok "the sync that met the lock is tried again and completes"
else tap_fail "the sync that met the lock is tried again and completes" \
    "$(tui_screen)"; fi
if wait_until 10 tui_lacks pending; then
	tap_ok "the pending count goes"
else tap_fail "the pending count goes" "$(tui_screen)"; fi
tap_like "the d is in the cache" \
    "$(XDG_CACHE_HOME="$work/cache" "$ERRAND" -c "$conf" list --offline)" \
    "^1	[^	]*D[^	]*	.*Subject number 1$"
if tui_lacks 'database is locked|error'; then
	tap_ok "no error shown"
else tap_fail "no error shown" "$(tui_screen)"; fi

# The server answers a change while the cache is locked: the change is
# done and must not be sent again (a COPY would copy twice). The proxy
# holds the session's bytes while F is journaled and the lock is taken.
stores()
{
	grep -Ec '< [^ *]+ OK Store completed' "$work/errand.log"
}
stored_more() { [ "$(stores)" -gt "$1" ]; }
wait_until 20 idle_on
proxy_set stall
before=$(stores)
tui_send =
tui_send j
tui_send j
tui_send F
if wait_until 2 tui_shows '^.!.  Nov 03'; then
	tap_ok "F on message 3 shows at once"
else tap_fail "F on message 3 shows at once" "$(tui_screen)"; fi
: >"$work/holding"
rm -f "$work/held"
python3 "$lock" hold "$db" "$work/held" "$work/holding" &
hpid=$!
wait_until 10 test -e "$work/held" ||
    tap_fail "the other process takes the write lock again"
proxy_set up
if wait_until 10 server_has 3 '\\Flagged'; then
	tap_ok "the server flags message 3 while the cache is locked"
else tap_fail "the server flags message 3 while the cache is locked" \
    "$(dv_doveadm fetch -u demo flags mailbox INBOX uid 3)"; fi
wait_until 10 stored_more "$before" ||
    tap_fail "the server answers the STORE" "$(tail -n 3 "$work/errand.log")"
sleep 3
rm -f "$work/holding"
wait "$hpid"
if wait_until 10 tui_lacks pending; then
	tap_ok "the done change leaves the journal once the lock goes"
else tap_fail "the done change leaves the journal once the lock goes" \
    "$(tui_screen)"; fi
tap_eq "it is sent once" \
    "$(grep -Ec '> [^ ]* UID STORE 3 ' "$work/errand.log")" 1

# Quitting while a change waits for the cache: k keeps it, and errand
# writes it before it exits, once the lock goes.
: >"$work/holding"
rm -f "$work/held"
python3 "$lock" hold "$db" "$work/held" "$work/holding" &
hpid=$!
wait_until 10 test -e "$work/held" ||
    tap_fail "the other process takes the write lock again"
tui_send =
tui_send j
tui_send F
if wait_until 2 tui_shows '^.!.  Nov 02'; then
	tap_ok "F shows ! at once while the cache is locked"
else tap_fail "F shows ! at once while the cache is locked" "$(tui_screen)"; fi
# Its journal row is not in the cache: it goes to the server at once, and
# only the cache's copy of the flag waits.
if wait_until 10 server_has 2 '\\Flagged'; then
	tap_ok "the F reaches the server while the cache is locked"
else tap_fail "the F reaches the server while the cache is locked" \
    "$(dv_doveadm fetch -u demo flags mailbox INBOX uid 2)"; fi
wait_until 10 tui_lacks pending || tap_fail "the sent F is no longer pending"
tui_send q
check_screen "q asks to purge the deleted one first" \
    "purge 1 deleted message? ([yes]/no)" 2
tui_send n
if wait_until 2 tui_lacks '(w)ait, (k)eep'; then
	tap_ok "q with the change sent does not ask to wait or keep"
else tap_fail "q with the change sent does not ask to wait or keep" \
    "$(tui_screen)"; fi
check_screen "errand says it waits for the cache" \
    "waiting for the cache to write 1 change" 5
tap_eq "errand waits for the cache before it exits" \
    "$(tui_wait_exit 0 2>/dev/null || echo running)" running
rm -f "$work/holding"
wait "$hpid"
tap_eq "then exits with status 0" "$(tui_wait_exit 10)" 0
tui_stop
tap_like "the kept change is in the cache" \
    "$(XDG_CACHE_HOME="$work/cache" "$ERRAND" -c "$conf" list --offline)" \
    "^2	[^	]*![^	]*	.*Subject number 2$"

tap_done
