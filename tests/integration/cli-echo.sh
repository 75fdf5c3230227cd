# errand tests: what errand echoes from its command line, its config file
# and its environment in an error passes the same terminal-safe filter as
# all other text: no escape sequence or other control byte given as an
# argument reaches the terminal (errand list --offline $'IN\e]0;x\aBOX'
# set the terminal's title), and the message still says what was wrong,
# with each control shown inert (caret notation: ESC as ^[).
. "$top_srcdir/tests/lib/tap.sh"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export XDG_DATA_HOME="$dir/data" XDG_CACHE_HOME="$dir/cache"
printf '[account demo]\nsource = pop3s://u@127.0.0.1:1\n' >"$dir/pop.conf"
printf '[account mail]\nsource = imaps://u@127.0.0.1:1\n' >"$dir/imap.conf"
ESC=$(printf '\033')
BEL=$(printf '\007')
C0=$(printf '[\001-\011\013-\037\177]')
C1=$(printf '\302[\200-\237]')

# clean DESC ERE CMD...: CMD fails, its output has no control byte (but
# newlines) and no C1 control, and matches ERE.
clean()
{
	_cwhat=$1 _cere=$2
	shift 2
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		tap_fail "$_cwhat: fails" "exit status 0"
	else
		tap_ok "$_cwhat: fails"
	fi
	if printf '%s' "$out" | LC_ALL=C grep -q "$C0\|$C1"; then
		tap_fail "$_cwhat: no control bytes echoed" \
		    "$(printf '%s' "$out" | od -c | head -n 8)"
	else
		tap_ok "$_cwhat: no control bytes echoed"
	fi
	tap_like "$_cwhat: says what" "$out" "$_cere"
}

clean "a folder name (POP3)" "no folder 'IN\\^\\[]0;x\\^GBOX'" \
    "$ERRAND" -c "$dir/pop.conf" list --offline "IN${ESC}]0;x${BEL}BOX"
clean "a folder name (IMAP)" "no folder 'IN\\^\\[]0;x\\^GBOX' in the cache" \
    "$ERRAND" -c "$dir/imap.conf" list --offline "IN${ESC}]0;x${BEL}BOX"
clean "a folder to sync" "no folder 'F\\^\\[\\[5m': a POP3 account has only INBOX" \
    "$ERRAND" -c "$dir/pop.conf" sync demo "F${ESC}[5m"
clean "a command" "unknown command 'fr\\^\\[\\[2Job'" \
    "$ERRAND" -c "$dir/pop.conf" "fr${ESC}[2Job"
clean "an option" "unknown option '--x\\^\\[]0;t\\^G'" \
    "$ERRAND" "--x${ESC}]0;t${BEL}"
clean "a short option" "unknown option '-' with byte 0x1b" "$ERRAND" "-${ESC}"
clean "a command's option" "unknown option '--y\\^\\[\\[31m'" \
    "$ERRAND" -c "$dir/pop.conf" list --offline "--y${ESC}[31m"
clean "an account" "no account 'no\\^\\[]0;t\\^G' in" \
    "$ERRAND" -c "$dir/pop.conf" -a "no${ESC}]0;t${BEL}" list --offline
clean "an account to check" "no account 'x\\^\\[\\[1m' in" \
    "$ERRAND" -c "$dir/pop.conf" check "x${ESC}[1m"
clean "a config path" "^/nonexistent/\\^\\[\\[2Jerrand: No such file" \
    "$ERRAND" -c "/nonexistent/${ESC}[2Jerrand" list --offline
clean "a log path" "/nonexistent/\\^\\[\\[2Jlog" \
    "$ERRAND" -c "$dir/pop.conf" -d "/nonexistent/${ESC}[2Jlog" \
    list --offline
clean "a command after -f" "-f is for the interface, not 'li\\^\\[\\[1mst'" \
    "$ERRAND" -c "$dir/pop.conf" -f x "li${ESC}[1mst"
# The config file's own words: DEL and C1 controls pass its line check.
printf '[account demo]\nsource = pop3s://u@127.0.0.1:1\ncol\177our\302\233 = 1\n' \
    >"$dir/bad.conf"
clean "a key in the config file" "bad.conf:3: unknown key 'col\\^\\?our\\^\\[\\['" \
    "$ERRAND" -c "$dir/bad.conf" list --offline
# Not only ESC: a C1 CSI (U+009B) in an argument.
clean "a C1 control in a folder name" "no folder 'IN\\^\\[\\[2JBOX'" \
    "$ERRAND" -c "$dir/pop.conf" list --offline "$(printf 'IN\302\2332JBOX')"

# The password prompt names user@host from the config file, on the tty
# (script(1) gives errand one and records what it writes there).
if command -v script >/dev/null 2>&1; then
	printf '[account demo]\nsource = pop3s://u\302\2332Jx@127.0.0.1:1\n' \
	    >"$dir/user.conf"
	printf 'pw\n' | timeout 20 script -q -e -c \
	    "'$ERRAND' -c '$dir/user.conf' check" "$dir/tty" >/dev/null 2>&1
	if LC_ALL=C grep -q "$C1" "$dir/tty"; then
		tap_fail "the password prompt: no control bytes echoed" \
		    "$(od -c "$dir/tty" | head -n 12)"
	else
		tap_ok "the password prompt: no control bytes echoed"
	fi
	tap_file_like "the password prompt: still asks" "$dir/tty" \
	    "Password for u\\^\\[\\[2Jx@127\.0\.0\.1: "
else
	tap_ok "# SKIP script(1) not installed"
	tap_ok "# SKIP script(1) not installed"
fi

tap_done
