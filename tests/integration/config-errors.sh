# errand tests: a bad configuration file stops errand with FILE:LINE and
# exit status 2 before anything else starts (no password-command runs, no
# connection is made).
. "$top_srcdir/tests/lib/tap.sh"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
marker=$dir/password-command-ran

# expect NAME LINE MESSAGE-ERE: the config in $dir/c.conf fails at LINE.
expect()
{
	out=$("$ERRAND" -c "$dir/c.conf" check 2>&1)
	rc=$?
	tap_eq "$1: exit status 2" "$rc" 2
	tap_like "$1: message names the line" "$out" "^$dir/c.conf:$2: $3\$"
	if [ -e "$marker" ]; then
		tap_fail "$1: nothing else started"
		rm -f "$marker"
	else
		tap_ok "$1: nothing else started"
	fi
}

# The password-command would leave a marker if anything ran.
pwcmd="password-command = touch $marker; echo pw"

cat >"$dir/c.conf" <<CONF
# a comment
[account demo]
source = imaps://demo@127.0.0.1:1
$pwcmd
colour = blue
CONF
expect "unknown key" 5 "unknown key 'colour'"

cat >"$dir/c.conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:1
$pwcmd

[account second]
$pwcmd
CONF
expect "section without source" 5 "account 'second' has no source"

cat >"$dir/c.conf" <<CONF
[account demo]
$pwcmd
source = imap5://demo@127.0.0.1
CONF
expect "bad URL scheme" 3 "source: unknown scheme 'imap5'.*"

cat >"$dir/c.conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:70000
CONF
expect "bad URL port" 2 "source: .*bad port '70000'"

cat >"$dir/c.conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:1
$pwcmd
ca-file = $dir/no-such-ca.pem
CONF
expect "missing ca-file" 4 "ca-file '$dir/no-such-ca.pem': No such file or directory"

cat >"$dir/c.conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:1
$pwcmd
timeout = soon
CONF
expect "bad timeout" 4 "timeout: 'soon' is not a number of seconds from 1 to 3600"

printf '[account demo]\nsource = imaps://h\n[account demo]\nsource = imaps://h\n' \
    >"$dir/c.conf"
expect "duplicate account" 3 "account 'demo' already defined at line 1"

# A good file, but an account that is not there: exit 2 too.
cat >"$dir/c.conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:1
$pwcmd
CONF
out=$("$ERRAND" -c "$dir/c.conf" check nosuch 2>&1); rc=$?
tap_eq "unknown account: exit 2" "$rc" 2
tap_like "unknown account: named" "$out" "no account 'nosuch' in $dir/c.conf"
if [ -e "$marker" ]; then tap_fail "unknown account: nothing ran"; else
	tap_ok "unknown account: nothing ran"; fi

tap_done
