# errand tests: the fault-injecting proxy (tests/lib/proxy.py) in front of
# a real server. Source after tests/lib/tap.sh and tests/lib/dovecot.sh (or
# tmux.sh), which provide wait_until and errand_at_exit.
#
#	proxy_start TARGET_PORT DIR	start it; sets pport (its port) and
#					proxy_control; stopped at exit
#	proxy_set up|down|stall|slow|crawl
#				change what it does
#	proxy_refuses			true once its port refuses connections

proxy_start()
{
	proxy_control=$2/proxy.control
	echo up >"$proxy_control"
	python3 "$top_srcdir/tests/lib/proxy.py" "$1" "$2/proxy.port" \
	    "$proxy_control" &
	_proxy_pid=$!
	errand_at_exit "kill $_proxy_pid 2>/dev/null"
	wait_until 10 test -s "$2/proxy.port" || return 1
	pport=$(cat "$2/proxy.port")
}

proxy_set()
{
	echo "$1" >"$proxy_control"
	if [ "$1" = down ]; then
		wait_until 10 proxy_refuses
	fi
}

proxy_refuses()
{
	python3 -c 'import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)' "$pport"
}
