# errand tests: P on the compose screen puts the message in the server's
# \Drafts folder (APPEND with \Draft, through the outbox, so that it is
# made once the network allows), where the user's other devices see it,
# against the real Dovecot with EDITOR a script; offline (a proxy taken
# away), once the server is back.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"
. "$top_srcdir/tests/lib/proxy.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/drafts
mkdir -p "$work/mail" "$work/cache" "$work/sent"
cat >"$work/mail/1" <<'EOF'
From: Alice Example <alice@example.org>
To: Demo User <demo@example.org>
Subject: Lunch plans
Message-ID: <lunch@example.org>
Date: Mon, 02 Nov 2026 09:00:00 +0000

Shall we eat at noon?
EOF
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }
proxy_start "$IMAPS_PORT" "$work" ||
    { echo "Bail out! the proxy did not start"; exit 1; }

cat >"$work/editor" <<EOF
#!/bin/sh
printf 'Finish this later.\n' >>"\$1"
EOF
chmod +x "$work/editor"
cat >"$work/sendmail" <<EOF
#!/bin/sh
cat >"$work/sent/msg"
EOF
chmod +x "$work/sendmail"
cat >"$work/errand.conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:$pport
password-command = cat $DOVECOT_PASSWORD_FILE
ca-file = $DOVECOT_CA
from = Demo User <demo@example.org>
sendmail-command = $work/sendmail
CONF

# in_drafts SUBJECT: the number of messages in Drafts with that Subject.
in_drafts()
{
	dv_doveadm search -u demo mailbox Drafts header Subject "$1" \
	    2>/dev/null | grep -c .
}
has_draft() { [ "$(in_drafts "$1")" -ge 1 ]; }

tui_start 100 24 env XDG_CACHE_HOME="$work/cache" \
    XDG_STATE_HOME="$work/state" XDG_DATA_HOME="$work/data" \
    EDITOR="$work/editor" VISUAL= HOME="$work" \
    TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    "$ERRAND" -c "$work/errand.conf" -d "$work/errand.log"
check_screen "the index shows" "Lunch plans" 20

tap_eq "Drafts is empty at first" "$(in_drafts "Postponed one")" "0"
tui_send m
tui_send -l "bob@example.org"
tui_send Enter
tui_send -l "Postponed one"
tui_send Enter
check_screen "a message to postpone" "Finish this later."
tui_send P
check_screen "P postpones" "postponed"
if wait_until 15 has_draft "Postponed one"; then
	tap_ok "P appends the message to Drafts on the server"
else
	tap_fail "P appends the message to Drafts on the server" \
	    "$(dv_doveadm search -u demo mailbox Drafts all 2>&1)"
fi
tap_eq "once" "$(in_drafts "Postponed one")" "1"
flags=$(dv_doveadm fetch -u demo flags mailbox Drafts \
    header Subject "Postponed one" 2>/dev/null)
tap_like "with \\Draft" "$flags" '\\Draft'
tap_like "and \\Seen" "$flags" '\\Seen'
text=$(dv_doveadm fetch -u demo text mailbox Drafts \
    header Subject "Postponed one" 2>/dev/null)
tap_like "its body is the draft's" "$text" "Finish this later."
tap_like "its To" "$text" "bob@example.org"
tap_eq "nothing was sent" "$(ls "$work/sent" | grep -c msg)" "0"
tui_send R
check_screen "R still recalls the local draft" "Resume the draft to bob@example.org"
tui_send n

# Offline: P keeps the copy owed, made once the server is back.
proxy_set down
check_screen "offline is shown" "offline:" 30
tui_send m
tui_send -l "carol@example.org"
tui_send Enter
tui_send -l "Offline one"
tui_send Enter
check_screen "a message to postpone offline" "Finish this later."
tui_send P
check_screen "P postpones offline" "postponed"
tap_eq "not in Drafts while offline" "$(in_drafts "Offline one")" "0"
proxy_set up
if wait_until 60 has_draft "Offline one"; then
	tap_ok "in Drafts once the server is back"
else
	tap_fail "in Drafts once the server is back" \
	    "$(tui_screen | tail -n 2)"
fi
tap_eq "once only" "$(in_drafts "Offline one")" "1"
tui_send q
if tui_wait_for "(k)eep" 2 2>/dev/null; then tui_send k; fi
tui_wait_exit 10 >/dev/null
tap_done
