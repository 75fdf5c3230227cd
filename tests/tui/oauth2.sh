# errand tests: the interface logs in with an OAuth2 token from
# oauth2-token-command against the real Dovecot (oauth2 passdb, the local
# introspection server). An expired token is renewed once, in the
# background, and the folder fills; a revoked one shows the server's
# words after the command ran twice, not more.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"
. "$top_srcdir/tests/lib/oauth2.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"

work=$(mktemp -d "${TMPDIR:-/tmp}/errand-oauth2-ui.XXXXXX") || exit 1
errand_at_exit "rm -rf '$work'"
oauth2_server_start "$work/o" ||
    { echo "Bail out! the OAuth2 server did not start"; exit 1; }
DOVECOT_OAUTH2_URL=$OAUTH2_URL/introspect dovecot_start ||
    { echo "Bail out! dovecot did not start"; exit 1; }
mkdir -p "$work/mail"
printf 'From: Alice <alice@example.org>\nTo: demo@example.org\nSubject: Token subject\nDate: Mon, 02 Nov 2026 09:00:00 +0000\nMessage-ID: <t1@example.org>\n\nbody\n' \
    >"$work/mail/1"
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }
printf 'tok-old expired\ntok-new valid\ntok-bad1 revoked\ntok-bad2 revoked\n' \
    >"$work/o/tokens"

# Each run is counted and prints the next line of $work/issue.
cat >"$work/token-cmd" <<'SH'
#!/bin/sh
d=$(dirname "$0")
echo run >>"$d/runs"
n=$(wc -l <"$d/runs")
sed -n "${n}p" "$d/issue" | grep . || tail -n 1 "$d/issue"
SH
chmod +x "$work/token-cmd"
errand_write_config "$work/conf" imaps "auth = xoauth2" \
    "oauth2-token-command = $work/token-cmd"
sed -i '/^password-command/d' "$work/conf"

run_ui()
{
	printf '%s\n' "$@" >"$work/issue"
	: >"$work/runs"
	: >"$work/o/requests.log"
	rm -rf "$work/cache"
	tui_start 100 20 env XDG_CACHE_HOME="$work/cache" \
	    TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
	    "$ERRAND" -c "$work/conf"
}
runs() { wc -l <"$work/runs" | tr -d ' '; }

run_ui tok-old tok-new
check_screen "expired token: renewed, the folder fills" "Token subject" 15
tap_eq "expired token: the command ran twice" "$(runs)" 2
tap_like "expired token: the new one logged in" \
    "$(oauth2_count introspect tok-new)" '^[1-9]$'
tui_send q
tap_eq "expired token: q quits" "$(tui_wait_exit 10)" 0
tui_stop

run_ui tok-bad1 tok-bad2 tok-new
check_screen "revoked token: the server's words" "Authentication failed" 15
tap_eq "revoked token: the command ran twice, not more" "$(runs)" 2
tui_send q
tap_eq "revoked token: q quits" "$(tui_wait_exit 10)" 0
tui_stop

tap_done
