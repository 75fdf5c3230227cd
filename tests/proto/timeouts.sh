# errand tests: timeouts and connect errors against a scripted server. A
# server that stalls after the greeting or in the middle of a reply is given
# up after `timeout` seconds; one that never finishes the TLS handshake after
# `connect-timeout`; a closed port is "connection refused". "localhost" is
# looked up (evdns, /etc/hosts) and each address tried in turn.
. "$top_srcdir/tests/lib/tap.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not found"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/errand-proto.XXXXXX") || exit 1
spid=
cleanup()
{
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

server=$top_srcdir/tests/proto/scripted-server.py
scripts=$top_srcdir/tests/proto/scripts
printf 'hunter2-secret\n' >"$tmp/pw"

# run_case NAME SCRIPT SCHEME HOST [CONFIG-LINE...]: errand check against a
# scripted server playing SCRIPT. Sets out, rc, secs (whole seconds errand
# ran), tr and log. The server is stopped once errand has returned, as it
# may still be stalling.
run_case()
{
	_name=$1 _script=$scripts/$2 _scheme=$3 _host=$4
	shift 4
	tr=$tmp/$_name.tr log=$tmp/$_name.log
	python3 "$server" "$_script" "$tr" "$tmp/$_name.port" &
	spid=$!
	if ! wait_until 10 test -s "$tmp/$_name.port"; then
		out="scripted server did not start" rc=99 secs=99
		return
	fi
	write_config "$tmp/$_name.conf" \
	    "$_scheme://demo@$_host:$(cat "$tmp/$_name.port")" "$@"
	_t0=$(date +%s)
	out=$("$ERRAND" -c "$tmp/$_name.conf" -d "$log" check demo 2>&1)
	rc=$?
	secs=$(($(date +%s) - _t0))
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	spid=
}

# write_config FILE URL [LINE...]
write_config()
{
	_f=$1 _url=$2
	shift 2
	{
		echo "[account demo]"
		echo "source = $_url"
		echo "password-command = cat $tmp/pw"
		for _l in "$@"; do printf '%s\n' "$_l"; done
	} >"$_f"
}

run_case idle imap-stall-after-greeting.txt imap 127.0.0.1 "timeout = 1"
tap_eq "stall after greeting: exit 1" "$rc" 1
tap_like "stall after greeting: did not answer" "$out" \
    '^errand: demo: 127\.0\.0\.1 did not answer in 1 second$'
tap_like "stall after greeting: given up within 4 s (took $secs)" "$secs" \
    '^[0-3]$'

run_case mid imap-stall-mid-reply.txt imap 127.0.0.1 "timeout = 1"
tap_eq "stall mid-reply: exit 1" "$rc" 1
tap_like "stall mid-reply: did not answer" "$out" 'did not answer in 1 second'
tap_like "stall mid-reply: given up within 4 s (took $secs)" "$secs" '^[0-3]$'

run_case handshake tls-silent.txt imaps 127.0.0.1 "connect-timeout = 1" \
    "timeout = 30"
tap_eq "TLS handshake never answered: exit 1" "$rc" 1
tap_like "TLS handshake never answered: connect timeout" "$out" \
    '^errand: demo: connection to 127\.0\.0\.1 timed out$'
tap_like "TLS handshake never answered: within 4 s (took $secs)" "$secs" \
    '^[0-3]$'

# "localhost" is looked up and its addresses tried in turn (::1 may come
# first while the server listens on 127.0.0.1 only).
run_case localhost imap-no-starttls.txt imap localhost "timeout = 5"
tap_like "localhost: reached the server" "$out" \
    'localhost does not offer STARTTLS'
tap_file_like "localhost: greeting read" "$tr" '^C: a1 CAPABILITY$'

# A port nothing listens on: take a free one and close it again.
port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
write_config "$tmp/refused.conf" "imaps://demo@127.0.0.1:$port"
out=$("$ERRAND" -c "$tmp/refused.conf" check demo 2>&1)
rc=$?
tap_eq "closed port: exit 1" "$rc" 1
tap_like "closed port: connection refused" "$out" \
    "^errand: demo: cannot connect to 127\.0\.0\.1 port $port: Connection refused\$"

tap_done
