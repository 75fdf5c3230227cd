# errand tests: an HTML message in the pager with a mailcap viewer that is
# slow. Driven through tmux against the real Dovecot: the message shows at
# once through the built-in converter, keys are answered while the viewer
# runs, and its text replaces the built-in's when it is done. The viewer
# here waits for a file the test creates, so "slow" is as long as the test
# says, not a guess at timing. A narrower terminal wraps the letter again.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/html
mkdir -p "$work/mail" "$work/cache"

cat >"$work/mail/1" <<'MSG'
From: Newsletter <news@example.org>
To: demo@example.org
Subject: An HTML letter
Date: Mon, 02 Nov 2026 09:00:00 +0000
Message-ID: <h1@example.org>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body><p>Hello from the letter, in a paragraph long enough to wrap ENDMARK</p><ul><li>alpha</li></ul></body></html>
MSG
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }

# The viewer: waits until the test says go, then strips the tags.
cat >"$work/viewer.sh" <<VIEWER
while [ ! -e "$work/go" ]; do sleep 0.05; done
sed -e 's/<[^>]*>//g' -e 's/^/VIEWER:/'
touch "$work/done"
VIEWER
printf 'text/html; sh %s; copiousoutput\n' "$work/viewer.sh" \
    >"$work/mailcap"

conf=$work/errand.conf
cat >"$conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:$IMAPS_PORT
password-command = cat $DOVECOT_PASSWORD_FILE
ca-file = $DOVECOT_CA
CONF

tui_start 100 20 env XDG_CACHE_HOME="$work/cache" TERM=xterm-256color \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 MAILCAPS="$work/mailcap" \
    "$ERRAND" -c "$conf"
check_screen "the index shows the HTML letter" "An HTML letter" 15
tui_send Enter
# The viewer is still waiting: what shows is the built-in's text.
check_screen "the letter shows before the viewer is done" \
    "Hello from the letter" 3
tap_like "shown by the built-in converter meanwhile" "$(tui_screen)" \
    "\* alpha"
tui_send '?'
check_screen "keys are answered while the viewer runs" \
    "Keys of the pager screen" 3
# The viewer finishes while help is open (and within its 5 s); its text
# is there when the pager is back.
touch "$work/go"
wait_until 10 test -e "$work/done"
tui_send q
check_screen "the viewer's text replaces the built-in's" \
    "VIEWER:Hello from the letter" 10
if wait_until 10 tui_lacks '\* alpha'; then
	tap_ok "the built-in's text is gone"
else
	tap_fail "the built-in's text is gone" "'* alpha' still shown"
fi

# Again, from the cache of the viewer's text: no second run.
rm -f "$work/go"
tui_send q
check_screen "q goes back to the index" "An HTML letter" 10
tui_send Enter
check_screen "reopened, the viewer's text shows at once" \
    "VIEWER:Hello from the letter" 10

# 100 columns hold the paragraph on one line; at 40 it is wrapped anew, so
# its last word is not cut off at the edge.
tap_like "at 100 columns the paragraph is one line" "$(tui_screen)" \
    "VIEWER:Hello from the letter, .*ENDMARK"
tui_tmux resize-window -t errand-test -x 40 -y 20 2>/dev/null ||
    tui_tmux resize-pane -t errand-test -x 40 -y 20
check_screen "a narrower terminal wraps the letter again" "ENDMARK" 10

tap_done
