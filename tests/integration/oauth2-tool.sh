# errand tests: tools/errand-oauth2 against the local OAuth2 server
# (tests/lib/oauth2-server.py). The device flow waits through
# authorization_pending and slows down on slow_down (the gap between polls
# measured by the server), fails clearly on expired_token and
# access_denied; the refresh token is kept in a file of mode 0600 or
# through a store command; "token" renews with the refresh grant, caches
# the access token, and keeps a rotated refresh token.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/oauth2.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/errand-oauth2.XXXXXX") || exit 1
errand_at_exit "rm -rf '$work'"
oauth2_server_start "$work/server" ||
    { echo "Bail out! the OAuth2 server did not start"; exit 1; }
XDG_DATA_HOME=$work/data
export XDG_DATA_HOME
tool=$top_srcdir/tools/errand-oauth2
conf=$work/server/config
dev=$work/server/device
log=$work/server/requests.log

# authorize ACCOUNT [ARGS...]: sets out and rc.
authorize()
{
	_acct=$1
	shift
	out=$(python3 "$tool" --provider-file "$OAUTH2_PROVIDERS" authorize \
	    "$_acct" --provider google --client-id cid-1 \
	    --email demo@example.org "$@" 2>&1)
	rc=$?
}
token()
{
	out=$(ERRAND_OAUTH2_PROVIDERS=$OAUTH2_PROVIDERS python3 "$tool" \
	    token "$@" 2>&1)
	rc=$?
}

# The server's poll script goes on where it stopped: start a fresh one.
restart_polls()
{
	kill "$_oauth2_pid" 2>/dev/null
	wait "$_oauth2_pid" 2>/dev/null
	oauth2_server_start "$work/server"
}

# --- the device flow --------------------------------------------------------
printf 'pending\npending\nok\n' >"$dev"
authorize work
tap_eq "authorize: exit 0" "$rc" 0
tap_like "authorize: the URL is shown" "$out" \
    "^  $OAUTH2_URL/device\$"
tap_like "authorize: the user code is shown" "$out" '^  WDJB-MJHT$'
tap_eq "authorize: one device request" "$(oauth2_count device cid-1)" 1
tap_eq "authorize: polled through two authorization_pending" \
    "$(oauth2_count poll)" 3
tap_eq "authorize: the refresh token is kept" \
    "$(cat "$XDG_DATA_HOME/errand/work/refresh-token")" refresh-1
tap_eq "authorize: the refresh token file has mode 0600" \
    "$(stat -c %a "$XDG_DATA_HOME/errand/work/refresh-token")" 600
tap_eq "authorize: the access token cache has mode 0600" \
    "$(stat -c %a "$XDG_DATA_HOME/errand/work/access-token")" 600
tap_eq "authorize: the settings have mode 0600 (a client secret)" \
    "$(stat -c %a "$XDG_DATA_HOME/errand/work/oauth2.json")" 600
tap_like "authorize: the scope asked for is the provider's" \
    "$(cat "$log")" ' device cid-1 mail\+offline_access$'

# slow_down: every later poll waits 5 s more (RFC 8628 3.5); the server
# measures the gap, interval is 0.
: >"$log"
printf 'slow_down\nok\n' >"$dev"
restart_polls
authorize slow
tap_eq "slow_down: exit 0" "$rc" 0
tap_eq "slow_down: two polls" "$(oauth2_count poll)" 2
gap=$(awk '$2 == "poll" { t[n++] = $1 } END { printf "%d", t[1] - t[0] }' \
    "$log")
tap_like "slow_down: the next poll came 5 s later (gap $gap s)" "$gap" \
    '^[5-9]$'

printf 'pending\nexpired\n' >"$dev"
restart_polls
authorize late
tap_eq "expired_token: exit 1" "$rc" 1
tap_like "expired_token: named, with the provider" "$out" \
    "^errand-oauth2: google: the code WDJB-MJHT expired .*\\(expired_token\\)"
tap_eq "expired_token: no refresh token kept" \
    "$(ls "$XDG_DATA_HOME/errand/late" 2>/dev/null)" ""

printf 'denied\n' >"$dev"
restart_polls
authorize denied
tap_eq "access_denied: exit 1" "$rc" 1
tap_like "access_denied: named, with the provider" "$out" \
    '^errand-oauth2: google: access was denied \(access_denied\)'

out=$(python3 "$tool" --provider-file "$OAUTH2_PROVIDERS" authorize x \
    --provider google --client-id bad-client --email a@b 2>&1)
tap_like "a refused client: the HTTP status and OAuth error" "$out" \
    '^errand-oauth2: google: device authorization endpoint: HTTP 401: invalid_client \(no such client\)$'

out=$(python3 "$tool" --provider-file "$OAUTH2_PROVIDERS" authorize x \
    --provider yahoo --client-id c --email a@b 2>&1)
tap_like "an unknown provider is named" "$out" \
    "^errand-oauth2: unknown provider 'yahoo'"

# --- the refresh grant ------------------------------------------------------
: >"$log"
token work
tap_eq "token: the cached access token" "$out" access-1
tap_eq "token: cached, no request" "$(oauth2_count refresh)" 0
printf 'access access-2\n' >"$conf"
token work --force
tap_eq "token --force: a new access token" "$out" access-2
tap_eq "token --force: one refresh grant with the kept token" \
    "$(oauth2_count refresh refresh-1)" 1

# An access token about to expire is renewed.
printf 'access access-3\nexpires_in 30\n' >"$conf"
token work --force
token work
tap_eq "token: one expiring within 2 minutes is renewed" "$out" access-3
tap_eq "token: three refresh grants in all" "$(oauth2_count refresh refresh-1)" 3

# Rotation: the provider returns a new refresh token, which is kept.
printf 'access access-4\nrotate refresh-2\n' >"$conf"
token work --force
tap_eq "rotation: the access token" "$out" access-4
tap_eq "rotation: the new refresh token is kept" \
    "$(cat "$XDG_DATA_HOME/errand/work/refresh-token")" refresh-2
tap_eq "rotation: still mode 0600" \
    "$(stat -c %a "$XDG_DATA_HOME/errand/work/refresh-token")" 600

printf 'access access-5\n' >"$conf"  # refresh-2 is no longer known
token work --force
tap_eq "a revoked refresh token: exit 1" "$rc" 1
tap_like "a revoked refresh token: the OAuth error, and what to do" "$out" \
    "^errand-oauth2: google: token endpoint: HTTP 400: invalid_grant \\(Token has been expired or revoked.\\); run 'errand-oauth2 authorize work' again\$"

token nobody
tap_like "token for an account never authorized" "$out" \
    "^errand-oauth2: account 'nobody' is not authorized"

# --- the browser flow (PKCE, loopback redirect) ----------------------------
# browse ACCOUNT: authorize with --flow browser in the background, "open"
# the address it prints (the server redirects to the tool's loopback
# port), wait for it; sets out and rc.
browse()
{
	: >"$work/browse.out"
	python3 "$tool" --provider-file "$OAUTH2_PROVIDERS" authorize "$1" \
	    --provider google --client-id cid-2 --client-secret s3cret \
	    --email demo@example.org --flow browser >"$work/browse.out" 2>&1 &
	_bpid=$!
	if wait_until 10 grep -q '^  http' "$work/browse.out"; then
		python3 -c 'import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=10).read()' \
		    "$(sed -n 's/^  //p' "$work/browse.out")" >/dev/null 2>&1
	fi
	wait "$_bpid"
	rc=$?
	out=$(cat "$work/browse.out")
}
printf 'access access-b\nrefresh refresh-b\n' >"$conf"
: >"$log"
browse web
tap_eq "browser flow: exit 0" "$rc" 0
tap_like "browser flow: the address has a PKCE challenge" "$out" \
    'code_challenge_method=S256'
tap_eq "browser flow: one authorization with S256" \
    "$(oauth2_count authorize cid-2)" 1
tap_eq "browser flow: the code grant with the right verifier" \
    "$(oauth2_count code ok)" 1
tap_eq "browser flow: the refresh token is kept" \
    "$(cat "$XDG_DATA_HOME/errand/web/refresh-token")" refresh-b
tap_eq "browser flow: mode 0600" \
    "$(stat -c %a "$XDG_DATA_HOME/errand/web/refresh-token")" 600
printf 'authorize access_denied\n' >"$conf"
browse web2
tap_eq "browser flow refused: exit 1" "$rc" 1
tap_like "browser flow refused: the OAuth error" "$out" \
    '^errand-oauth2: google: authorization refused: access_denied$'

# --- a store command (pass, gpg) --------------------------------------------
printf 'ok\n' >"$dev"
: >"$conf"
restart_polls
authorize piped --store-command "cat >'$work/vault'" \
    --load-command "cat '$work/vault'"
tap_eq "store command: exit 0" "$rc" 0
tap_eq "store command: it got the refresh token" "$(cat "$work/vault")" \
    refresh-1
tap_eq "store command: no refresh token file" \
    "$(ls "$XDG_DATA_HOME/errand/piped/refresh-token" 2>/dev/null)" ""
: >"$log"
token piped --force
tap_eq "load command: the refresh grant used its token" \
    "$(oauth2_count refresh refresh-1)" 1
tap_eq "load command: the access token" "$out" access-1

tap_done
