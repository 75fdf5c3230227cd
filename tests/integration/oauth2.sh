# errand tests: OAuth2 access tokens from oauth2-token-command, against the
# real Dovecot with an oauth2 passdb whose token introspection is the local
# server (tests/lib/oauth2-server.py), which says valid, expired or revoked
# per token and logs each question. OAUTHBEARER and XOAUTH2 over IMAP and
# POP3; an expired token makes errand run the command again, once, and log
# in; a revoked one ends with the server's words, once; a command that
# hangs is killed after timeout, one that prints nothing is named; the
# protocol log shows <secret> for the token.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/oauth2.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/errand-oauth2.XXXXXX") || exit 1
errand_at_exit "rm -rf '$work'"
oauth2_server_start "$work/o" ||
    { echo "Bail out! the OAuth2 server did not start"; exit 1; }
DOVECOT_OAUTH2_URL=$OAUTH2_URL/introspect dovecot_start ||
    { echo "Bail out! dovecot did not start"; exit 1; }
mkdir -p "$work/mail"
python3 "$top_srcdir/demo/generate-mail.py" -n 3 --now 2026-06-01 \
    "$work/mail" >/dev/null
dovecot_seed "$work/mail" INBOX
export XDG_CACHE_HOME=$work/cache
tokens=$work/o/tokens
runs=$work/runs

# The token command: each run is counted in $runs and prints the next
# line of $work/issue (the last one again when they run out).
cat >"$work/token-cmd" <<'SH'
#!/bin/sh
d=$(dirname "$0")
echo run >>"$d/runs"
n=$(wc -l <"$d/runs")
sed -n "${n}p" "$d/issue" | grep . || tail -n 1 "$d/issue"
SH
chmod +x "$work/token-cmd"

# issue TOKEN...: what the command prints, run after run; the run count
# and the server's request log start again.
issue()
{
	printf '%s\n' "$@" >"$work/issue"
	: >"$runs"
	: >"$work/o/requests.log"
}

# run SCHEME AUTH COMMAND [CONFIG-LINE...]: errand -d COMMAND demo with
# that auth and the token command; sets out, rc and n (command runs).
run()
{
	_scheme=$1 _auth=$2 _cmd=$3
	shift 3
	errand_write_config "$work/conf" "$_scheme" "auth = $_auth" \
	    "oauth2-token-command = $work/token-cmd" "timeout = 5" "$@"
	sed -i '/^password-command/d' "$work/conf"
	rm -f "$work/log"
	out=$("$ERRAND" -c "$work/conf" -d "$work/log" "$_cmd" demo 2>&1)
	rc=$?
	n=$(wc -l <"$runs" | tr -d ' ')
}

# --- each mechanism over IMAP and POP3 ------------------------------------
printf 'tok-good valid\ntok-old expired\ntok-new valid\n' >"$tokens"
printf 'tok-bad1 revoked\ntok-bad2 revoked\n' >>"$tokens"
for scheme in imaps pop3s; do
	for auth in xoauth2 oauthbearer; do
		issue tok-good
		run "$scheme" "$auth" check
		tap_eq "$scheme $auth: check exits 0" "$rc" 0
		tap_like "$scheme $auth: logged in" "$out" '^demo: ok '
		tap_eq "$scheme $auth: the command ran once" "$n" 1
		tap_eq "$scheme $auth: one introspection of the token" \
		    "$(oauth2_count introspect tok-good)" 1
		tap_file_like "$scheme $auth: the log names the mechanism" \
		    "$work/log" "(AUTHENTICATE|AUTH) $(echo "$auth" |
		    tr a-z A-Z)"
		tap_file_like "$scheme $auth: the log hides the token" \
		    "$work/log" '<secret>'
		tap_file_unlike "$scheme $auth: the token is not in the log" \
		    "$work/log" "$(printf 'user=demo\001auth=Bearer tok' |
		    base64 | cut -c 1-20)|tok-good"
	done
done

issue tok-good
run imaps xoauth2 sync
tap_eq "imaps sync: exit 0" "$rc" 0
tap_eq "imaps sync: the token came from one run for every connection" \
    "$n" 1

# --- an expired token: the command runs again, once -----------------------
for scheme in imaps pop3s; do
	for cmd in check sync; do
		issue tok-old tok-new
		run "$scheme" oauthbearer "$cmd"
		tap_eq "$scheme $cmd, expired token: exit 0" "$rc" 0
		tap_eq "$scheme $cmd, expired token: the command ran twice" \
		    "$n" 2
		tap_eq "$scheme $cmd, expired token: the old one asked once" \
		    "$(oauth2_count introspect tok-old)" 1
		tap_eq "$scheme $cmd, expired token: the new one asked" \
		    "$(oauth2_count introspect tok-new)" 1
		tap_unlike "$scheme $cmd, expired token: no error" "$out" \
		    '^errand:'
	done
done
issue tok-old tok-new
run imaps xoauth2 sync
tap_eq "imaps sync xoauth2, expired token: exit 0" "$rc" 0
tap_eq "imaps sync xoauth2, expired token: the command ran twice" "$n" 2

# --- a revoked token: the server's words, once ----------------------------
for scheme in imaps pop3s; do
	for cmd in check sync; do
		issue tok-bad1 tok-bad2 tok-good
		run "$scheme" xoauth2 "$cmd"
		tap_eq "$scheme $cmd, revoked token: exit 1" "$rc" 1
		tap_eq "$scheme $cmd, revoked token: the command ran twice" \
		    "$n" 2
		tap_eq "$scheme $cmd, revoked token: two introspections" \
		    "$(oauth2_count introspect)" 2
		tap_like "$scheme $cmd, revoked token: the server's words" \
		    "$out" '^errand: demo: .*Authentication failed'
		tap_eq "$scheme $cmd, revoked token: one error" \
		    "$(printf '%s\n' "$out" | grep -c '^errand:')" 1
	done
done

# --- the command itself ---------------------------------------------------
issue tok-good
errand_write_config "$work/conf" imaps "auth = xoauth2" "timeout = 2" \
    "oauth2-token-command = sleep 60"
sed -i '/^password-command/d' "$work/conf"
t0=$(date +%s)
out=$("$ERRAND" -c "$work/conf" check demo 2>&1)
rc=$?
secs=$(($(date +%s) - t0))
tap_eq "a command that hangs: exit 1" "$rc" 1
tap_like "a command that hangs: killed and named" "$out" \
    "^errand: demo: oauth2-token-command 'sleep 60' did not print a token in 2 seconds \\(killed\\)\$"
tap_like "a command that hangs: given up within 5 s (took $secs)" "$secs" \
    '^[0-5]$'

for cmd in check sync; do
	errand_write_config "$work/conf" imaps "auth = oauthbearer" \
	    "oauth2-token-command = true"
	sed -i '/^password-command/d' "$work/conf"
	out=$("$ERRAND" -c "$work/conf" "$cmd" demo 2>&1)
	rc=$?
	tap_eq "$cmd, a command that prints nothing: exit 1" "$rc" 1
	tap_like "$cmd, a command that prints nothing: named" "$out" \
	    "^errand: demo: oauth2-token-command 'true' printed no token\$"
done

errand_write_config "$work/conf" imaps "auth = xoauth2"
sed -i '/^password-command/d' "$work/conf"
out=$("$ERRAND" -c "$work/conf" check demo 2>&1)
tap_like "auth = xoauth2 without a token command" "$out" \
    '^errand: demo: no oauth2-token-command to run'

tap_done
