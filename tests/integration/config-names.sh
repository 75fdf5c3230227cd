# errand tests: an account's name becomes a directory under
# $XDG_DATA_HOME/errand and a file under $XDG_CACHE_HOME/errand, so only a
# single plain path component is accepted ("." and ".." once put a Maildir
# straight in $XDG_DATA_HOME or above the other accounts); and -c FILE that
# is not a regular file (a FIFO hung in open()) is refused at once, as
# is -d LOGFILE naming a FIFO that nobody reads.
. "$top_srcdir/tests/lib/tap.sh"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export XDG_DATA_HOME="$dir/data" XDG_CACHE_HOME="$dir/cache"

# name NAME ERE: [account NAME] is refused at line 2 with a message
# matching ERE, and nothing is made under the data or cache directory.
refused()
{
	printf '# accounts\n[account %s]\nsource = pop3s://u@127.0.0.1:1\n' \
	    "$1" >"$dir/c.conf"
	out=$("$ERRAND" -c "$dir/c.conf" list --offline 2>&1)
	rc=$?
	tap_eq "'$1': exit status 2" "$rc" 2
	tap_like "'$1': FILE:LINE and the reason" "$out" \
	    "^$dir/c.conf:2: $2\$"
	tap_eq "'$1': nothing made" "$(ls -A "$dir" | tr '\n' ' ')" "c.conf "
}

refused . "account name '\.': cannot start with '\.' \(it names a directory\)"
refused .. "account name '\.\.': cannot start with '\.' \(it names a directory\)"
refused .hidden "account name '\.hidden': cannot start with '\.'.*"
refused -x "account name '-x': cannot start with '-'"
refused a/b "account name 'a/b': use letters, digits and - _ \. @"
refused ../up "account name '\.\./up': use letters, digits and - _ \. @"
refused 'tab	in' "account name 'tab.in': use letters, digits and - _ \. @"
refused 'Grüße' "account name 'Grüße': use letters, digits and - _ \. @"
long=$(printf '%0101d' 0)
refused "$long" "account name '0{20}\.\.\.': longer than 100 bytes"
# A C1 control (U+009B, CSI) in the name is not echoed to the terminal.
out=$(printf '[account a\302\233]\nsource = pop3s://u@127.0.0.1:1\n' \
    >"$dir/c.conf"; "$ERRAND" -c "$dir/c.conf" list --offline 2>&1)
tap_unlike "a C1 control in a name is not echoed" "$out" \
    "$(printf '\302\233')"
tap_like "the error is still given" "$out" "c.conf:1: account name 'a"

# Two names that differ only in case would share a directory where case
# is ignored (macOS, a casefolded ext4 directory).
printf '[account Work]\nsource = pop3s://u@127.0.0.1:1\n[account work]\nsource = pop3s://v@127.0.0.1:1\n' \
    >"$dir/c.conf"
out=$("$ERRAND" -c "$dir/c.conf" list --offline 2>&1); rc=$?
tap_eq "names differing in case: exit status 2" "$rc" 2
tap_eq "names differing in case: says so" "$out" \
    "$dir/c.conf:3: account 'work': only the case differs from 'Work' at line 1"

# Names that were always fine still are: a dotted address, 100 bytes.
for good in me@example.org work.mail a_b-c "$(printf '%0100d' 0)"; do
	printf '[account %s]\nsource = pop3s://u@127.0.0.1:1\n' "$good" \
	    >"$dir/c.conf"
	out=$("$ERRAND" -c "$dir/c.conf" list --offline 2>&1)
	tap_unlike "'$good' is accepted" "$out" "account name"
	rm -rf "$dir/data" "$dir/cache"
done

printf '[account ok]\nsource = pop3s://u@127.0.0.1:1\n' >"$dir/ok.conf"

# -c FILE: a FIFO is refused at once (it hung in open() waiting for a
# writer), and so is a directory.
mkfifo "$dir/fifo"
out=$(timeout 10 "$ERRAND" -c "$dir/fifo" list --offline 2>&1); rc=$?
tap_eq "-c FIFO: exit status 2, not a hang" "$rc" 2
tap_eq "-c FIFO: says so" "$out" "$dir/fifo: not a regular file (a FIFO)"
out=$(timeout 10 "$ERRAND" -c "$dir" list --offline 2>&1); rc=$?
tap_eq "-c DIRECTORY: exit status 2" "$rc" 2
tap_eq "-c DIRECTORY: says so" "$out" \
    "$dir: not a regular file (a directory)"
out=$(timeout 10 "$ERRAND" -c /dev/null list --offline 2>&1); rc=$?
tap_eq "-c /dev/null: exit status 2" "$rc" 2
tap_eq "-c /dev/null: says so" "$out" "/dev/null: not a regular file"
# -d LOGFILE: a FIFO nobody reads is refused at once (it hung in open()
# waiting for a reader); one that is read gets the log.
out=$(timeout 10 "$ERRAND" -c "$dir/ok.conf" -d "$dir/fifo" list --offline \
    2>&1); rc=$?
tap_eq "-d FIFO without a reader: exit status 2, not a hang" "$rc" 2
tap_eq "-d FIFO without a reader: says so" "$out" \
    "errand: cannot open log '$dir/fifo': a FIFO with no reader"
# This shell holds the FIFO open for reading (read-write: no wait).
exec 3<>"$dir/fifo"
timeout 10 "$ERRAND" -c "$dir/ok.conf" -d "$dir/fifo" list --offline \
    >/dev/null 2>&1
tap_eq "-d FIFO with a reader: no hang, exit status 0" "$?" 0
exec 3<&-

# ca-file is read by OpenSSL when errand connects: a FIFO would hang it.
printf '[account ok]\nsource = pop3s://u@127.0.0.1:1\nca-file = %s\n' \
    "$dir/fifo" >"$dir/ca.conf"
out=$(timeout 10 "$ERRAND" -c "$dir/ca.conf" check 2>&1); rc=$?
tap_eq "ca-file FIFO: exit status 2" "$rc" 2
tap_eq "ca-file FIFO: FILE:LINE says so" "$out" \
    "$dir/ca.conf:3: ca-file '$dir/fifo': not a regular file"

# The default path is read the same way.
mkdir -p "$dir/xdg/errand"
mkfifo "$dir/xdg/errand/config"
out=$(XDG_CONFIG_HOME=$dir/xdg timeout 10 "$ERRAND" list --offline 2>&1)
rc=$?
tap_eq "a FIFO at the default path: exit status 2" "$rc" 2
rm -rf "$dir/xdg"

tap_done
