# errand tests: list --offline and folders --offline read a cache they
# cannot write: a read-only (0400) file, a read-only directory (no -wal or
# -shm can be made: the file is opened immutable) and a full disk. As root,
# where permissions do not bite, the obstacles are real ones: chattr +i,
# and a small tmpfs filled up in a private mount namespace (unshare -m);
# without those a full disk is stood in for by RLIMIT_FSIZE.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/ro
mkdir -p "$work/mail"
python3 "$top_srcdir/demo/generate-mail.py" -n 30 --seed 5 \
    --now 2026-06-01 "$work/mail" >/dev/null
dovecot_seed "$work/mail" INBOX || { echo "Bail out! seeding failed"; exit 1; }
conf=$work/errand.conf
errand_write_config "$conf" imaps
export XDG_CACHE_HOME=$work/cache
dir=$XDG_CACHE_HOME/errand
db=$dir/demo.db

"$ERRAND" -c "$conf" sync >/dev/null 2>&1
tap_eq "the first sync exits 0" "$?" 0
ref_list=$("$ERRAND" -c "$conf" list --offline INBOX)
ref_folders=$("$ERRAND" -c "$conf" folders --offline)
tap_eq "the reference list has every message" \
    "$(printf '%s\n' "$ref_list" | wc -l | tr -d ' ')" 30

root=0
[ "$(id -u)" = 0 ] && root=1
# skip_cases REASON N: N cases that cannot run here.
skip_cases()
{
	_i=0
	while [ $_i -lt "$2" ]; do
		tap_ok "$1 # SKIP"
		_i=$((_i + 1))
	done
}
# immutable PATH / mutable PATH: chattr +i as root (where a mode does
# not stop a write); true when it took.
immutable()
{
	[ $root = 1 ] || return 0
	chattr +i "$1" 2>/dev/null
}
mutable()
{
	[ $root = 1 ] || return 0
	chattr -i "$1" 2>/dev/null || :
}
# check_offline NAME: list and folders --offline give the reference.
check_offline()
{
	out=$("$ERRAND" -c "$conf" list --offline INBOX 2>"$work/err")
	tap_eq "$1: list --offline exits 0" "$?" 0
	tap_eq "$1: it lists every message" "$out" "$ref_list"
	tap_eq "$1: no error" "$(cat "$work/err")" ""
	out=$("$ERRAND" -c "$conf" folders --offline 2>"$work/err")
	tap_eq "$1: folders --offline exits 0" "$?" 0
	tap_eq "$1: it lists every folder" "$out" "$ref_folders"
}

# A 0400 file.
chmod 0400 "$db"
if immutable "$db"; then
	if ( : >>"$db" ) 2>/dev/null; then
		tap_fail "0400: the file cannot be written" "it can"
	else
		tap_ok "0400: the file cannot be written"
	fi
	check_offline 0400
	mutable "$db"
else
	skip_cases "0400: chattr +i does not work here" 6
fi
chmod 0600 "$db"

# A read-only directory: no -wal or -shm can be made.
chmod 0500 "$dir"
if immutable "$dir"; then
	if ( : >"$dir/probe" ) 2>/dev/null; then
		rm -f "$dir/probe"
		tap_fail "read-only directory: nothing can be made in it" "it can"
	else
		tap_ok "read-only directory: nothing can be made in it"
	fi
	check_offline "read-only directory"
	mutable "$dir"
else
	skip_cases "read-only directory: chattr +i does not work here" 6
fi
chmod 0700 "$dir"

# A full disk: a copy of the cache on a small tmpfs that is then filled,
# in a private mount namespace; else a file size limit of 0 (every write
# that grows a file fails with EFBIG).
full=$work/full
mkdir -p "$full"
cat >"$work/full.sh" <<EOS
set -e
mount -t tmpfs -o size=512k tmpfs "$full"
mkdir -p "$full/errand"
cp "$db" "$full/errand/demo.db"
dd if=/dev/zero of="$full/fill" bs=4k 2>/dev/null || :
if ( echo x >"$full/more" ) 2>/dev/null; then echo "not full"; exit 1; fi
export XDG_CACHE_HOME="$full"
"$ERRAND" -c "$conf" list --offline INBOX >"$work/full.list" 2>"$work/full.err"
"$ERRAND" -c "$conf" folders --offline >"$work/full.folders" \
    2>>"$work/full.err"
EOS
if unshare -m true 2>/dev/null; then
	how="full tmpfs"
	unshare -m sh "$work/full.sh"
	rc=$?
elif unshare -rm true 2>/dev/null; then
	how="full tmpfs"
	unshare -rm sh "$work/full.sh"
	rc=$?
else
	how="RLIMIT_FSIZE 0"
	mkdir -p "$full/errand"
	cp "$db" "$full/errand/demo.db"
	# Output through pipes: a file would meet the limit too.
	rl()
	{
		XDG_CACHE_HOME=$full sh -c 'trap "" XFSZ; ulimit -f 0; exec "$@"' \
		    sh "$ERRAND" -c "$conf" "$@" 2>&1
	}
	: >"$work/full.err"
	out=$(rl list --offline INBOX) && printf '%s\n' "$out" >"$work/full.list" &&
	    out=$(rl folders --offline) &&
	    printf '%s\n' "$out" >"$work/full.folders"
	rc=$?
	[ $rc = 0 ] || printf '%s\n' "$out" >"$work/full.err"
fi
tap_eq "full disk ($how): list and folders --offline exit 0" "$rc" 0
tap_eq "full disk: it lists every message" "$(cat "$work/full.list")" \
    "$ref_list"
tap_eq "full disk: it lists every folder" "$(cat "$work/full.folders")" \
    "$ref_folders"
tap_eq "full disk: no error" "$(cat "$work/full.err")" ""

# A POP3 account indexes its Maildir into the cache first; a cache it
# cannot write answers as it is, saying so.
pconf=$work/pop3.conf
errand_write_config "$pconf" pop3s "pop3-keep = always"
pcache=$work/pcache
out=$(XDG_CACHE_HOME=$pcache XDG_DATA_HOME=$work/data "$ERRAND" -c "$pconf" \
    list 2>/dev/null)
tap_eq "pop3: the fetch lists every message" \
    "$(printf '%s\n' "$out" | grep -c .)" 30
pref=$(XDG_CACHE_HOME=$pcache XDG_DATA_HOME=$work/data "$ERRAND" \
    -c "$pconf" list --offline 2>/dev/null)
chmod 0400 "$pcache/errand/demo.db"
if immutable "$pcache/errand/demo.db"; then
	out=$(XDG_CACHE_HOME=$pcache XDG_DATA_HOME=$work/data "$ERRAND" \
	    -c "$pconf" list --offline 2>"$work/err")
	tap_eq "pop3, 0400: list --offline exits 0" "$?" 0
	tap_eq "pop3, 0400: it lists what the cache holds" "$out" "$pref"
	tap_like "pop3, 0400: and says the cache cannot be written" \
	    "$(cat "$work/err")" "cannot open cache .*: listing what it holds"
	mutable "$pcache/errand/demo.db"
else
	skip_cases "pop3, 0400: chattr +i does not work here" 3
fi
chmod 0600 "$pcache/errand/demo.db"

# What errand sync still needs: a writable cache, and it says so.
chmod 0400 "$db"
if immutable "$db"; then
	"$ERRAND" -c "$conf" sync >/dev/null 2>"$work/err"
	tap_eq "sync on a read-only cache fails" "$?" 1
	tap_like "and says which cache" "$(cat "$work/err")" \
	    "cannot open cache '$db'"
	mutable "$db"
else
	skip_cases "sync on a read-only cache: chattr +i does not work" 2
fi
chmod 0600 "$db"

tap_done
