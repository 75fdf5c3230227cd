# errand tests: the POP3 fetch state is data, not cache, against the real
# Dovecot: 20 messages fetched with pop3-keep = always stay 20 files when the
# whole cache is removed, when the state file (errand-pop3.db in the
# Maildir) is removed or damaged, and when both are; the state an earlier
# errand kept in the cache is brought over once (deliveries it left under
# way settled by the Maildir) and its files tagged; and pop3-keep = never
# then deletes each message once it is recorded, those whose record a crash
# lost included.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "no python3"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/state
mkdir -p "$work"
n=20
python3 "$top_srcdir/demo/generate-mail.py" -n "$n" --seed 21 \
    --now 2026-06-01 "$work/mail" >/dev/null
dovecot_seed "$work/mail" INBOX
errand_write_config "$work/always.conf" pop3s "pop3-keep = always"
errand_write_config "$work/never.conf" pop3s "pop3-keep = never"
md=$work/data/errand/demo
db=$md/errand-pop3.db

# run CONF: errand sync; stdout in $out, stderr in $err, status in $rc,
# the protocol log in $work/log.
run()
{
	: >"$work/log"
	out=$(XDG_CACHE_HOME=$work/cache XDG_DATA_HOME=$work/data \
	    "$ERRAND" -c "$1" -d "$work/log" sync 2>"$work/err")
	rc=$?
	err=$(cat "$work/err")
}

# files: messages in new/ and cur/.
files()
{
	ls "$md/new" "$md/cur" | grep -c '^[0-9]'
}

# records: rows of the state.
records()
{
	python3 - "$db" <<'EOF'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(
    "SELECT count(*) FROM fetched").fetchone()[0])
EOF
}

# retrs: RETR commands in the last run's log.
retrs()
{
	grep -c '> RETR ' "$work/log"
}

run "$work/always.conf"
tap_eq "first fetch" "$rc $out" \
    "0 INBOX: $n new, 0 changed, 0 deleted on server (pop3)"
tap_eq "first fetch: $n files, $n records" "$(files) $(records)" "$n $n"
tap_eq "every file carries the tag of its UIDL in its name" \
    "$(ls "$md/new" | grep -Ec ',P=[0-9a-f]{32}$')" "$n"

rm -rf "$work/cache"
run "$work/always.conf"
tap_eq "cache removed: nothing fetched again" "$rc $(retrs) $(files)" \
    "0 0 $n"

rm -f "$db" "$db-wal" "$db-shm"
run "$work/always.conf"
tap_eq "state removed: nothing fetched again" "$rc $(retrs) $(files)" \
    "0 0 $n"
tap_eq "state removed: rebuilt from the Maildir" "$(records)" "$n"

rm -rf "$work/cache"
rm -f "$db" "$db-wal" "$db-shm"
run "$work/always.conf"
tap_eq "cache and state removed: nothing fetched again" \
    "$rc $(retrs) $(files) $(records)" "0 0 $n $n"

# A file opened by a mail reader (renamed into cur/ with flags) keeps its
# tag: still recognised.
f=$(ls "$md/new" | head -n 1)
mv "$md/new/$f" "$md/cur/$f:2,S"
rm -f "$db" "$db-wal" "$db-shm"
run "$work/always.conf"
tap_eq "a file read and flagged in cur/ is still recognised" \
    "$rc $(retrs) $(files)" "0 0 $n"

# A damaged state is moved aside and rebuilt.
printf 'this is not a database, not at all\n%.0s' $(seq 1 200) >"$db"
rm -f "$db-wal" "$db-shm"
run "$work/always.conf"
tap_eq "damaged state: nothing fetched again" "$rc $(retrs) $(files)" \
    "0 0 $n"
tap_like "damaged state: said, with where it went" "$err" \
    "^errand: '$db' was damaged \\(.*\\) and was moved to '$db\\.damaged-[0-9]+'; the POP3 state is rebuilt from the Maildir\$"
tap_eq "damaged state: kept aside" \
    "$(ls "$md" | grep -c '^errand-pop3\.db\.damaged-[0-9]*$')" 1
rm -f "$md"/errand-pop3.db.damaged-*

# An earlier errand: its state in the cache (table pop3_seen), its files
# without tags, one delivery left under way ("tmp/NAME") that reached new/
# and one that did not.
python3 - "$db" "$md" "$work/cache/errand/demo.db" <<'EOF'
import hashlib, os, sqlite3, sys
state, md, cache = sys.argv[1:4]
ids = [r[0] for r in sqlite3.connect(state).execute(
    "SELECT id FROM fetched ORDER BY id")]
for s in ("", "-wal", "-shm"):
    if os.path.exists(state + s):
        os.unlink(state + s)
names = {}
for d in ("new", "cur"):
    for f in os.listdir(os.path.join(md, d)):
        base, _, info = f.partition(":")
        stem, _, tag = base.rpartition(",P=")
        names[tag] = stem
        os.rename(os.path.join(md, d, f), os.path.join(md, d, stem +
                  (":" + info if info else "")))
db = sqlite3.connect(cache)
db.execute("DELETE FROM pop3_seen")
for i, u in enumerate(ids):
    name = names[hashlib.sha256(u.encode()).hexdigest()[:32]]
    if i == 1:
        for d in ("new", "cur"):
            for f in os.listdir(os.path.join(md, d)):
                if f.startswith(name):
                    os.unlink(os.path.join(md, d, f))
    db.execute("INSERT INTO pop3_seen VALUES (?, 1700000000, ?)",
               (u, ("tmp/" + name) if i < 2 else name))
db.commit()
EOF
tap_eq "an earlier errand's Maildir: no tags, no state" \
    "$(ls "$md/new" "$md/cur" | grep -c ',P='; test -e "$db" || echo none)" \
    "0
none"
run "$work/always.conf"
tap_eq "state brought over from the cache: only the delivery that never got home is fetched" \
    "$rc $(retrs) $(files) $(records)" "0 1 $n $n"
tap_eq "state brought over: once" "$out" \
    "INBOX: 1 new, 0 changed, 0 deleted on server (pop3)"
tap_eq "state brought over: the older files now carry their tags too" \
    "$(ls "$md/new" "$md/cur" | grep -Ec ',P=[0-9a-f]{32}(:2,.*)?$')" "$n"
rm -rf "$work/cache"
run "$work/always.conf"
tap_eq "and the cache can go after that" "$rc $(retrs) $(files)" "0 0 $n"

# A run killed after a batch reached new/ and before its commit: five
# files home but not recorded. keep = never: every message deleted once
# (those five once recognised and recorded), none fetched, all still home.
python3 - "$db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DELETE FROM fetched WHERE id IN "
           "(SELECT id FROM fetched ORDER BY id LIMIT 5)")
db.commit()
EOF
tap_eq "five records lost" "$(records)" $((n - 5))
run "$work/never.conf"
tap_eq "keep = never: all deleted, none fetched" "$rc $(retrs) $out" \
    "0 0 INBOX: 0 new, 0 changed, $n deleted on server (pop3)"
tap_eq "keep = never: the server is empty, the Maildir full" \
    "$(dv_doveadm -f flow mailbox status -u demo messages INBOX |
    sed 's/.*messages=//') $(files)" "0 $n"

tap_done
