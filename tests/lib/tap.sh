# errand tests: TAP output for shell tests, so automake counts every case.
# Source it, call the tap_* checks, end with tap_done. A condition is waited
# for with wait_until and a deadline, never with a bare sleep.

_tap_n=0
_tap_failed=0

# tap_result STATUS DESC [DETAIL...]: one result line; DETAIL as diagnostics.
tap_result()
{
	_st=$1 _desc=$2
	shift 2
	_tap_n=$((_tap_n + 1))
	if [ "$_st" -eq 0 ]; then
		echo "ok $_tap_n - $_desc"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $_desc"
		for _d in "$@"; do
			printf '%s\n' "$_d" | sed 's/^/# /'
		done
	fi
}

tap_ok() { tap_result 0 "$1"; }
tap_fail() { _d=$1; shift; tap_result 1 "$_d" "$@"; }

# tap_eq DESC GOT WANT
tap_eq()
{
	if [ "$2" = "$3" ]; then tap_ok "$1"; else
		tap_fail "$1" "got:  $2" "want: $3"; fi
}

# tap_like DESC TEXT ERE: TEXT matches the extended regular expression.
tap_like()
{
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then tap_ok "$1"; else
		tap_fail "$1" "text: $2" "does not match: $3"; fi
}

# tap_unlike DESC TEXT ERE: TEXT does not match.
tap_unlike()
{
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		tap_fail "$1" "text: $2" "matches: $3"; else tap_ok "$1"; fi
}

# tap_file_like DESC FILE ERE / tap_file_unlike DESC FILE ERE
tap_file_like()
{
	if grep -Eq -- "$3" "$2" 2>/dev/null; then tap_ok "$1"; else
		tap_fail "$1" "file $2 has no line matching: $3" \
		    "$(tail -n 20 "$2" 2>/dev/null)"; fi
}
tap_file_unlike()
{
	# A file that is not there says nothing: that is not a pass.
	if [ ! -f "$2" ]; then
		tap_fail "$1" "no file $2"
	elif grep -Eq -- "$3" "$2"; then
		tap_fail "$1" "file $2 has: $(grep -E -- "$3" "$2" | head -n 3)"
	else tap_ok "$1"; fi
}

# wait_until SECONDS CMD...: run CMD until it succeeds or the deadline
# passes; returns CMD's last status. The short pause is a poll interval.
wait_until()
{
	# Whole seconds: +1 so a deadline of N never ends early.
	_deadline=$(($(date +%s) + $1 + 1))
	shift
	while :; do
		"$@" && return 0
		[ "$(date +%s)" -gt "$_deadline" ] && return 1
		sleep 0.05
	done
}

# tap_skip_all REASON: this whole test does not apply here.
tap_skip_all()
{
	echo "1..0 # SKIP $1"
	exit 0
}

tap_done()
{
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}
