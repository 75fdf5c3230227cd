# errand tests: the command line: --help, --version, usage errors, and that
# the man pages document what --help lists.
. "$top_srcdir/tests/lib/tap.sh"

out=$("$ERRAND" --help 2>&1); rc=$?
tap_eq "--help exits 0" "$rc" 0
tap_like "--help names the check command" "$out" \
    '^  check \[-a ACCOUNT \| ACCOUNT\]'
tap_like "--help names -c" "$out" '-c, --config FILE'
tap_like "--help names -d" "$out" '-d, --debug FILE'

out=$("$ERRAND" --version); rc=$?
tap_eq "--version exits 0" "$rc" 0
tap_like "--version prints the version" "$out" '^errand [0-9]+\.[0-9]+\.[0-9]+$'

out=$("$ERRAND" </dev/null 2>&1); rc=$?
tap_eq "no command and no terminal: exit 2" "$rc" 2
tap_like "no command and no terminal: says so" "$out" \
    'no command given, and the full-screen interface needs a terminal'

out=$("$ERRAND" -f Archive list 2>&1); rc=$?
tap_eq "-f with a command: exit 2" "$rc" 2
tap_like "-f with a command: says so" "$out" "-f is for the interface"

out=$("$ERRAND" frobnicate 2>&1); rc=$?
tap_eq "unknown command: exit 2" "$rc" 2
tap_like "unknown command: named" "$out" "unknown command 'frobnicate'"

out=$("$ERRAND" --bogus check 2>&1); rc=$?
tap_eq "unknown option: exit 2" "$rc" 2

out=$("$ERRAND" -c /nonexistent/errand.conf check 2>&1); rc=$?
tap_eq "missing config file: exit 2" "$rc" 2
tap_eq "missing config file: named" "$out" \
    "/nonexistent/errand.conf: No such file or directory"

out=$(env -u XDG_CONFIG_HOME HOME=/nonexistent "$ERRAND" check 2>&1); rc=$?
tap_eq "default config path is under HOME" "$out" \
    "/nonexistent/.config/errand/config: No such file or directory"

# Every option and command in --help is in errand(1); every key that the
# parser knows is in errand.conf(5).
help=$("$ERRAND" --help)
page=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$top_srcdir/man/errand.1")
for word in check sync folders list --config --debug --account --folder \
    --sync-timeout 124 \
    --help --version; do
	tap_like "errand.1 documents $word" "$page" "$word"
done
conf=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$top_srcdir/man/errand.conf.5")
for key in $(sed -n 's/.*strcmp(key, "\([a-z-]*\)").*/\1/p' \
    "$top_srcdir/src/config.c"); do
	tap_like "errand.conf.5 documents $key" "$conf" "^\.BI $key "
done
# Every action a key can be bound to.
for action in $(sed -n 's/.*\[KEYMAP_[A-Z_]*\] = {"\([a-z-]*\)".*/\1/p' \
    "$top_srcdir/src/keymap.c"); do
	tap_like "errand.conf.5 documents action $action" "$conf" \
	    "^\.B $action$"
done

tap_done
