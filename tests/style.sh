# errand tests: the tree is clean against .clang-format, and no banned
# string function (STYLE.md) is used outside tests/.
. "$top_srcdir/tests/lib/tap.sh"

cd "$top_srcdir" || exit 1
if ! command -v clang-format >/dev/null 2>&1; then
	tap_skip_all "clang-format is not installed"
fi
for f in src/*.[ch] ui/*.[ch] net/*.[ch] cache/*.[ch] tests/unit/*.c \
    tests/fuzz/*.c; do
	[ -f "$f" ] || continue
	if out=$(clang-format --dry-run -Werror "$f" 2>&1); then
		tap_ok "clang-format: $f"
	else
		tap_fail "clang-format: $f" "$(printf '%s\n' "$out" | head -n 12)"
	fi
done
banned=$(grep -nwE 'strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok' \
    src/*.[ch] ui/*.[ch] net/*.[ch] 2>/dev/null)
tap_eq "no banned string functions" "$banned" ""
tap_done
