# errand tests: every message of the real-world corpus (tests/data/corpus)
# as errand shows it (Subject, From, To in the index; the body text and the
# attachment names in the pager: tests/unit/corpus-dump) held against
# Python's email package (policy.default) run now, by
# tests/data/corpus-python.py. A difference must be listed with its reason
# in tests/data/corpus-known.tsv; one that is not fails, and so does a
# listed one that has gone. No server: it reads the files.
. "$top_srcdir/tests/lib/tap.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "no python3"
data=$top_srcdir/tests/data
dump=$top_builddir/tests/unit/corpus-dump
[ -x "$dump" ] || { echo "Bail out! no $dump"; exit 1; }
out=$(mktemp "${TMPDIR:-/tmp}/errand-corpus.XXXXXX") ||
    { echo "Bail out! mktemp failed"; exit 1; }
trap 'rm -f "$out"' EXIT

# The messages, named relative to messages/, as INDEX.txt lists them.
(cd "$data/corpus/messages" && tr '\n' '\0' <"$data/corpus/INDEX.txt" |
    xargs -0 "$dump" .) >"$out" || { echo "Bail out! corpus-dump failed"; exit 1; }
python3 "$data/corpus-python.py" "$data/corpus/messages" \
    "$data/corpus-known.tsv" <"$out"
