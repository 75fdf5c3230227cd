# errand tests: the local OAuth2 server (tests/lib/oauth2-server.py). Source
# after tests/lib/tap.sh and tests/lib/dovecot.sh, which provide wait_until
# and errand_at_exit.
#
#	oauth2_server_start DIR	start it on DIR (its files: see the server);
#				sets OAUTH2_PORT, OAUTH2_URL and
#				OAUTH2_PROVIDERS (a provider file pointing
#				google, microsoft and local at it); stopped
#				at exit
#	oauth2_count WORD [ARG]	how many requests.log lines are WORD (and ARG)

oauth2_server_start()
{
	OAUTH2_DIR=$1
	mkdir -p "$OAUTH2_DIR" || return 1
	rm -f "$OAUTH2_DIR/port"
	python3 "$top_srcdir/tests/lib/oauth2-server.py" "$OAUTH2_DIR" &
	_oauth2_pid=$!
	errand_at_exit "kill $_oauth2_pid 2>/dev/null"
	wait_until 10 test -s "$OAUTH2_DIR/port" || return 1
	OAUTH2_PORT=$(cat "$OAUTH2_DIR/port")
	OAUTH2_URL=http://127.0.0.1:$OAUTH2_PORT
	OAUTH2_PROVIDERS=$OAUTH2_DIR/providers.json
	python3 - "$OAUTH2_URL" >"$OAUTH2_PROVIDERS" <<'PY'
import json, sys
u = sys.argv[1]
p = {"device_url": u + "/device/code", "token_url": u + "/token",
     "auth_url": u + "/authorize", "scope": "mail offline_access",
     "flow": "device"}
print(json.dumps({"google": p, "microsoft": p, "local": p}))
PY
	export OAUTH2_DIR OAUTH2_PORT OAUTH2_URL OAUTH2_PROVIDERS
}

oauth2_count()
{
	if [ $# -gt 1 ]; then
		awk -v w="$1" -v a="$2" '$2 == w && $3 == a' \
		    "$OAUTH2_DIR/requests.log" 2>/dev/null | wc -l | tr -d ' '
	else
		awk -v w="$1" '$2 == w' "$OAUTH2_DIR/requests.log" \
		    2>/dev/null | wc -l | tr -d ' '
	fi
}
