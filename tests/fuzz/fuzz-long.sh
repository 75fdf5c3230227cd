# errand: run each libFuzzer target for a set time on a copy of its seed
# corpus and print one line a target: executions, coverage (libFuzzer's
# cov:, the edges reached) and what it found. Run by make fuzz-long (not
# part of make check or CI); a target tests/fuzz/fuzz-NAME uses the corpus
# CORPUS/NAME. Exit status 1 when a target crashed, leaked or hung.
#
# usage: fuzz-long.sh [-t SECONDS] -c CORPUS -o OUTDIR TARGET...

secs=60 corpus= out=
while getopts t:c:o: opt; do
	case $opt in
	t) secs=$OPTARG ;;
	c) corpus=$OPTARG ;;
	o) out=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ -z "$corpus" ] || [ -z "$out" ] || [ $# -eq 0 ]; then
	echo "usage: fuzz-long.sh [-t SECONDS] -c CORPUS -o OUTDIR TARGET..." >&2
	exit 2
fi
mkdir -p "$out" || exit 1

status=0
table=$out/table.txt
printf '%-22s %12s %8s  %s\n' target executions cov result >"$table"
for t in "$@"; do
	name=${t##*/}
	name=${name#fuzz-}
	dir=$out/$name
	rm -rf "$dir"
	mkdir -p "$dir/corpus"
	[ -d "$corpus/$name" ] && cp "$corpus/$name"/* "$dir/corpus/" 2>/dev/null
	echo "fuzz-long: $t for $secs s (log $dir/log)" >&2
	"$t" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$dir/" "$dir/corpus" >"$dir/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" |
	    tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$dir/log" | tail -n 1)
	found=$(ls "$dir" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' |
	    head -n 3 | tr '\n' ' ')
	if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
		result="no crash"
	else
		why=$(grep -m 1 -E '^SUMMARY|ERROR: libFuzzer|==ERROR' \
		    "$dir/log" | cut -c 1-100)
		result="FOUND (exit $rc) ${found:+in $dir: $found}${why:+: $why}"
		status=1
	fi
	printf '%-22s %12s %8s  %s\n' "$name" "${execs:-?}" "${cov:-?}" \
	    "$result" >>"$table"
done
cat "$table"
exit $status
