# errand tests: the tree is clean against .clang-format, no banned string
# function (STYLE.md) is used outside tests/, and the layers include only
# what DESIGN.md lets them (ui/ no net/ or cache/, src/ no ui/).
. "$top_srcdir/tests/lib/tap.sh"

cd "$top_srcdir" || exit 1

# --- layering: plain greps, with or without clang-format ------------------

got=$(grep -l '^#include "\(src/\)\?ui/\|^#include "ui\.h"\|^#include "private\.h"' \
    src/*.[ch] src/*/*.[ch] 2>/dev/null | grep -v '^src/main\.c$')
tap_eq "layering: src/ includes no ui/ header (but main.c)" "$got" ""
got=$(grep -l '^#include "net/' ui/*.[ch] 2>/dev/null)
tap_eq "layering: ui/ includes no net/ header" "$got" ""
got=$(grep -l '^#include "cache/' ui/*.[ch] 2>/dev/null)
tap_eq "layering: ui/ includes no cache/ header" "$got" ""
# The interface drives every account alike through the backend interface
# (src/engine/backend.h): no branch of its own for local folders.
got=$(grep -n 'ui->local\b' ui/*.[ch] 2>/dev/null)
tap_eq "layering: ui/ has no branch for local folders (ui->local)" "$got" ""
# The engine (sessions, backends, sync, live, fetch) takes its loop from the
# session: only the commands and the interface include cmd/ headers.
got=$(grep -l '^#include "cmd/' src/engine/*.[ch] src/content/*.[ch] \
    src/*.[ch] 2>/dev/null | grep -v '^src/main\.c$')
tap_eq "layering: the engine and content include no cmd/ header" "$got" ""
# Message content (MIME, rendering, text) knows nothing of accounts,
# servers or the cache: it is what the engine and the interface share.
got=$(grep -l '^#include "\(engine\|cmd\|net\|cache\)/' \
    src/content/*.[ch] 2>/dev/null)
tap_eq "layering: content/ includes no engine/, cmd/, net/ or cache/ header" \
    "$got" ""

# --- formatting and banned functions ---------------------------------------

banned=$(grep -nwE 'strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok' \
    src/*.[ch] src/*/*.[ch] ui/*.[ch] net/*.[ch] 2>/dev/null)
tap_eq "no banned string functions" "$banned" ""
if ! command -v clang-format >/dev/null 2>&1; then
	echo "# clang-format is not installed: formatting not checked"
	tap_done
	exit $?
fi
for f in src/*.[ch] src/*/*.[ch] ui/*.[ch] net/*.[ch] cache/*.[ch] tests/unit/*.c \
    tests/fuzz/*.c tests/proto/*.c tests/bench/*.c; do
	[ -f "$f" ] || continue
	if out=$(clang-format --dry-run -Werror "$f" 2>&1); then
		tap_ok "clang-format: $f"
	else
		tap_fail "clang-format: $f" "$(printf '%s\n' "$out" | head -n 12)"
	fi
done
tap_done
