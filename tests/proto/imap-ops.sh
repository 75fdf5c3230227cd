# errand tests: the interface's IMAP operations (net/imap.c) against a
# scripted server, for what a real server will not do on request: BYE while
# idle, NO [TRYCREATE] on MOVE, a server that never answers DONE, and
# [MODIFIED] on a conditional STORE. RFC 2177, RFC 6851, RFC 7162, RFC 4315.
# Driven by tests/proto/imap-driver ($IMAP_DRIVER).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/scripted.sh"

scripted_init imap-ops
driver=${IMAP_DRIVER:-$top_builddir/tests/proto/imap-driver}
[ -x "$driver" ] || tap_skip_all "no imap-driver at $driver"

# run_case NAME SCRIPT [DRIVER-OPTION...] -- [COMMAND...]: play SCRIPT on a
# new scripted server and run the driver against it. Sets out, rc, secs,
# tr (the server's transcript), log (the protocol log) and src.
run_case()
{
	_name=$1
	scripted_serve "$1" "$2" || return
	shift 2
	_opts=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_opts="$_opts $1"
		shift
	done
	[ $# -gt 0 ] && shift
	_t0=$(date +%s)
	# shellcheck disable=SC2086
	out=$("$driver" -a "$tmp/cert.pem" -p "$tmp/$_name.pw" -d "$log" \
	    $_opts 127.0.0.1 "$port" "$@" 2>&1)
	rc=$?
	secs=$(($(date +%s) - _t0))
	scripted_done
}

run_case idle-bye imap-ops-idle-bye.txt -t 5 -x s -- idle waitfor gone 1 10
tap_eq "BYE while idle: exit 1" "$rc" 1
tap_like "BYE while idle: IDLE accepted" "$out" '^idle ok$'
tap_like "BYE while idle: EXISTS before it delivered" "$out" \
    '^event exists 3$'
tap_like "BYE while idle: closed with the server's text" "$out" \
    '^event closed proto: 127\.0\.0\.1 closed the session: Server shutting down for maintenance$'
tap_unlike "BYE while idle: no DONE after BYE" "$(cat "$tr")" '^C: DONE'

run_case trycreate imap-ops-move-trycreate.txt -t 5 -x s -- \
    move 1:2 Archive move 3 Archive logout
tap_eq "MOVE NO [TRYCREATE]: server script ran to the end" "$src" 0
tap_like "MOVE NO [TRYCREATE]: message with the code" "$out" \
    "^error move no: cannot move 2 messages to 'Archive': \\[TRYCREATE\\] Mailbox doesn't exist: Archive\$"
tap_like "MOVE NO [TRYCREATE]: said it tried MOVE" "$out" '^move how=move$'
tap_like "MOVE after it: COPYUID from the untagged OK" "$out" \
    '^move ok how=move uidvalidity=9$'
tap_like "MOVE after it: destination UIDs" "$out" '^copyuid dst count=1 17$'
tap_like "MOVE after it: EXPUNGE is an event" "$out" '^event expunge 3$'
tap_like "MOVE: session goes on" "$out" '^logout ok$'

run_case no-done imap-ops-idle-no-done.txt -t 1 -x s -- idle noop
tap_eq "DONE never answered: exit 1" "$rc" 1
tap_like "DONE never answered: IDLE accepted" "$out" '^idle ok$'
tap_like "DONE never answered: the NOOP behind it times out" "$out" \
    '^error noop closed: 127\.0\.0\.1 did not answer in 1 second$'
tap_like "DONE never answered: given up within 4 s (took $secs)" "$secs" \
    '^[0-3]$'
tap_file_like "DONE never answered: DONE was sent" "$tr" '^C: DONE$'
tap_file_unlike "DONE never answered: NOOP not sent before the OK" "$tr" \
    'NOOP'

run_case modified imap-ops-store-modified.txt -t 5 -x s -- \
    store 1:5 + S '$Work' 80 copy 1 'Old "mail"' logout
tap_eq "MODIFIED: server script ran to the end" "$src" 0
tap_like "MODIFIED: the set passed back" "$out" \
    '^store ok modified count=3 2,4:5$'
tap_like "MODIFIED: new MODSEQ as events" "$out" \
    '^event fetch uid=3 seq=3 flags=0 keywords=- modseq=92$'
tap_like "COPY: COPYUID from the tagged OK" "$out" \
    '^copy ok how=copy uidvalidity=9$'
tap_like "COPY: quoted name" "$out" '^copyuid dst count=1 40$'

tap_done
