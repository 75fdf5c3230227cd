# errand tests: writing mail through the interface, against the real
# Dovecot, with EDITOR a script that edits the draft and sendmail-command a
# script that keeps what it is given: m with Tab completing a seen sender,
# r with mutt's Reply-To question, g without the user's own addresses, L,
# f, attach and detach (a missing file and a directory are refused,
# nothing lost), P and R, q with its question, U within send-delay, and a
# draft left by SIGKILL offered at the next start.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/compose
mkdir -p "$work/mail" "$work/cache" "$work/sent" "$work/files/sub"
cat >"$work/mail/1" <<'EOF'
From: Alice Example <alice@example.org>
To: Demo User <demo@example.org>
Cc: Carol <carol@example.org>
Reply-To: Lunch Club <replies@example.org>
Subject: Lunch plans
Message-ID: <lunch@example.org>
Date: Mon, 02 Nov 2026 09:00:00 +0000

Shall we eat at noon?
EOF
cat >"$work/mail/2" <<'EOF'
From: Bob Builder <bob@example.org>
To: demo@example.org, Other Me <me-alt@example.net>
Cc: dave@example.org
Subject: Project status
Message-ID: <project@example.org>
Date: Tue, 03 Nov 2026 09:00:00 +0000

The project is on time.
EOF
cat >"$work/mail/3" <<'EOF'
From: Erin <erin@example.org>
To: devs@lists.example.org
List-Post: <mailto:devs@lists.example.org>
Subject: Release notes
Message-ID: <release@example.org>
Date: Wed, 04 Nov 2026 09:00:00 +0000

Notes for the release.
EOF
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }

printf 'attached text\n' >"$work/files/attach-me.txt"
printf 'second file\n' >"$work/files/second.txt"

# The editor: runs what the test put in edit-step on the draft ($1).
cat >"$work/editor" <<EOF
#!/bin/sh
work=$work
f=\$1
cp "\$f" "$work/editor-saw"
. "$work/edit-step"
EOF
chmod +x "$work/editor"
# sendmail-command: each message and its recipients, numbered.
cat >"$work/sendmail" <<EOF
#!/bin/sh
n=\$(ls "$work/sent" | grep -c msg)
printf '%s\n' "\$@" >"$work/sent/\$n.rcpt"
cat >"$work/sent/\$n.tmp" && mv "$work/sent/\$n.tmp" "$work/sent/\$n.msg"
EOF
chmod +x "$work/sendmail"

# query-command, in mutt's format: a status line, then address TAB name.
cat >"$work/query" <<'EOF'
#!/bin/sh
case $1 in
zed*) printf 'Searching... 1 entry\nzed@example.org\tZed Query\tfriends\n' ;;
*) echo "no match"; exit 1 ;;
esac
EOF
chmod +x "$work/query"

write_conf()
{
	cat >"$work/errand.conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:$IMAPS_PORT
password-command = cat $DOVECOT_PASSWORD_FILE
ca-file = $DOVECOT_CA
from = Demo User <demo@example.org>
alternates = me-alt@example\\.net
sendmail-command = $work/sendmail
send-delay = $1
query-command = $work/query '%s'
CONF
}
write_conf 0

run_ui()
{
	tui_start 100 24 env XDG_CACHE_HOME="$work/cache" \
	    XDG_STATE_HOME="$work/state" XDG_DATA_HOME="$work/data" \
	    EDITOR="$work/editor" VISUAL= HOME="$work" \
	    TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
	    "$ERRAND" -c "$work/errand.conf" -d "$work/errand.log"
}

# edit CMDS: what the editor does next time (sh, on the draft "$f").
edit() { printf '%s\n' "$1" >"$work/edit-step"; }
# sent_count: how many messages sendmail-command got.
sent_count() { ls "$work/sent" | grep -c '\.msg$'; }
has_sent() { [ "$(sent_count)" -ge "$1" ]; }
# msg N PYTHON: evaluate an expression over message N (m), parsed.
msg()
{
	python3 - "$work/sent/$1.msg" "$2" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'),
    policy=email.policy.default)
def body(m):
    p = m.get_body(('plain',))
    return p.get_content() if p is not None else ''
def names(m):
    return [p.get_filename() for p in m.iter_attachments()]
print(eval(sys.argv[2]))
PY
}
# quit_ui: q, keeping what is not on the server yet for next time.
quit_ui()
{
	tui_send q
	if tui_wait_for "(k)eep" 2 2>/dev/null; then tui_send k; fi
	tui_wait_exit 10 >/dev/null
}
drafts() { ls "$work/state/errand/drafts/demo" 2>/dev/null | grep -c '\.eml$'; }

run_ui
check_screen "the index shows" "Release notes" 20

# --- m: To with Tab from a seen sender, Subject, the editor, y -------------
edit 'printf "Body from the editor.\n" >>"$f"; sed -i "s/^Cc:.*/Cc: carol@example.org/" "$f"'
tui_send m
check_screen "m asks To" "To:"
tui_send -l "ali"
tui_send Tab
check_screen "Tab completes a seen sender" "To: Alice Example <alice@example.org>"
tui_send Enter
check_screen "then Subject" "Subject:"
tui_send -l "Hello there"
tui_send Enter
check_screen "the compose screen after the editor" "Body from the editor."
check_screen "with the header the editor added" "Cc: carol@example.org"
tui_send y
if wait_until 10 has_sent 1; then
	tap_ok "y sends through sendmail-command"
else
	tap_fail "y sends through sendmail-command" "nothing sent"
fi
check_screen "back on the index" "Release notes"
tap_eq "the message's To" "$(msg 0 'm["To"]')" \
    "Alice Example <alice@example.org>"
tap_eq "its Cc, added in the editor" "$(msg 0 'm["Cc"]')" \
    "carol@example.org"
tap_eq "its Subject" "$(msg 0 'm["Subject"]')" "Hello there"
tap_eq "its From" "$(msg 0 'm["From"]')" "Demo User <demo@example.org>"
tap_like "its body" "$(msg 0 'body(m)')" "Body from the editor."
tap_eq "its envelope" "$(sort "$work/sent/0.rcpt" | tr '\n' ' ')" \
    "alice@example.org carol@example.org "
tap_eq "no draft is left" "$(drafts)" "0"

# --- a and D: a missing file, a directory, two files, one detached ---------
edit 'printf "With files.\n" >>"$f"'
tui_send m
tui_send -l "bob@example.org"
tui_send Enter
tui_send -l "Files"
tui_send Enter
check_screen "compose screen for the files" "With files."
tui_send a
tui_send -l "$work/files/nothing-here.txt"
tui_send Enter
check_screen "a missing file is a clear message" "nothing-here.txt"
tui_wait_for "no such file" 2 >/dev/null ||
    tui_wait_for "No such file" 2 >/dev/null
if tui_shows "o such file"; then tap_ok "it says no such file"
else tap_fail "it says no such file" "$(tui_screen | tail -n 2)"; fi
check_screen "nothing lost: the body still there" "With files."
tui_send a
tui_send -l "$work/files/sub"
tui_send Enter
if wait_until 5 tui_shows "directory"; then tap_ok "a directory is refused"
else tap_fail "a directory is refused" "$(tui_screen | tail -n 2)"; fi
tui_send a
tui_send -l "$work/files/att"
tui_send Tab
check_screen "Tab completes the file name" "files/attach-me.txt"
tui_send Enter
check_screen "the file is listed" "attach-me.txt ["
tui_send a
tui_send -l "$work/files/second.txt"
tui_send Enter
check_screen "the second file is listed" "second.txt ["
tui_send D
check_screen "D detaches the selected one" "detached"
if tui_lacks "second.txt \["; then tap_ok "it is gone from the list"
else tap_fail "it is gone from the list" "still listed"; fi
# c, b and s on the compose screen; Tab from a seen recipient, then cycling.
tui_send c
tui_send -l "car"
tui_send Tab
check_screen "c: Tab completes a seen recipient" "Cc: Carol <carol@example.org>"
tui_send Enter
tui_send b
tui_send -l "d"
tui_send Tab
check_screen "several matches are listed" "dave@example.org"
check_screen "the best first" "Bcc: Demo User <demo@example.org>"
tui_send Tab
check_screen "Tab again: the next one, the newer first" \
    "Bcc: devs@lists.example.org"
tui_send Tab
check_screen "and the next" "Bcc: dave@example.org"
tui_send Enter
check_screen "Bcc set" "     Bcc: dave@example.org"
tui_send s
tui_send C-u
tui_send -l "Files renamed"
tui_send Enter
check_screen "s: the subject edited" "Subject: Files renamed"
tui_send y
if wait_until 10 has_sent 2; then tap_ok "sent with its attachment"
else tap_fail "sent with its attachment" "nothing sent"; fi
tap_eq "the Cc from c" "$(msg 1 'm["Cc"]')" "Carol <carol@example.org>"
tap_eq "the subject from s" "$(msg 1 'm["Subject"]')" "Files renamed"
tap_eq "no Bcc in the message" "$(msg 1 'm["Bcc"]')" "None"
tap_eq "but in the envelope" "$(sort "$work/sent/1.rcpt" | tr '\n' ' ')" \
    "bob@example.org carol@example.org dave@example.org "
tap_eq "the attachment went" "$(msg 1 'names(m)')" "['attach-me.txt']"
tap_eq "its bytes" "$(msg 1 '[p.get_content() for p in m.iter_attachments()][0].strip()')" \
    "attached text"

# --- r: Reply-To asked, quoted body, attribution, In-Reply-To ------------------
edit 'printf "My reply.\n" >>"$f"'

tui_send /
tui_send -l "Lunch plans"
tui_send Enter
tui_send Enter
check_screen "the message opens" "Shall we eat at noon?"
tui_send r
check_screen "r asks about Reply-To" "Reply to Lunch Club <replies@example.org>? (y/n)"
tui_send y
check_screen "the reply's compose screen" "My reply."
check_screen "the original quoted" "> Shall we eat at noon?"
tui_send y
if wait_until 10 has_sent 3; then tap_ok "the reply is sent"
else tap_fail "the reply is sent" "nothing sent"; fi
tap_eq "to Reply-To" "$(msg 2 'm["To"]')" "Lunch Club <replies@example.org>"
tap_eq "Re: once" "$(msg 2 'm["Subject"]')" "Re: Lunch plans"
tap_eq "In-Reply-To" "$(msg 2 'm["In-Reply-To"]')" "<lunch@example.org>"
tap_like "the attribution" "$(msg 2 'body(m)')" "Alice Example wrote:"
tap_like "the quote" "$(msg 2 'body(m)')" "> Shall we eat at noon\\?"

# r again answered n: the author instead.
edit ':'
tui_send r
check_screen "asked again" "Reply to Lunch Club"
tui_send n
check_screen "n: to the author" "To: Alice Example <alice@example.org>"
tui_send q
check_screen "q asks" "Abort this message? (y/n)"
tui_send n
if wait_until 3 tui_shows "To: Alice Example"; then
	tap_ok "n keeps the message"
else tap_fail "n keeps the message" "compose screen gone"; fi
tui_send q
check_screen "q asks again" "Abort this message? (y/n)"
tui_send y
check_screen "y aborts" "message aborted"
tap_eq "the aborted draft is removed" "$(drafts)" "0"

# --- g from the index on a message not cached: fetched, then written ---------
# --- and without the user's own addresses ----------------------------------
tui_send i
tui_send /
tui_send -l "Project status"
tui_send Enter
edit 'printf "To all.\n" >>"$f"'
tui_send g
check_screen "g writes to all" "To all."
check_screen "quoting the message fetched for it" "> The project is on time."
tui_send y
if wait_until 10 has_sent 4; then tap_ok "the group reply is sent"
else tap_fail "the group reply is sent" "nothing sent"; fi
rcpts=$(sort "$work/sent/3.rcpt" | tr '\n' ' ')
tap_eq "to the author and the others" "$rcpts" \
    "bob@example.org dave@example.org "

# --- L: list reply -----------------------------------------------------------
tui_send i
tui_send /
tui_send -l "Release notes"
tui_send Enter
tui_send Enter
check_screen "the list message opens" "Notes for the release."
edit 'printf "To the list.\n" >>"$f"'
tui_send L
check_screen "L writes to the list" "To: devs@lists.example.org"
tui_send y
if wait_until 10 has_sent 5; then tap_ok "the list reply is sent"
else tap_fail "the list reply is sent" "nothing sent"; fi
tap_eq "to the list only" "$(cat "$work/sent/4.rcpt")" \
    "devs@lists.example.org"

# --- f: forward ---------------------------------------------------------------
edit 'printf "FYI.\n" >>"$f"'
tui_send f
check_screen "f asks To" "To:"
tui_send -l "frank@example.org"
tui_send Enter
check_screen "the forward's compose screen" "FYI."
tui_send y
if wait_until 10 has_sent 6; then tap_ok "the forward is sent"
else tap_fail "the forward is sent" "nothing sent"; fi
tap_eq "Fwd: subject" "$(msg 5 'm["Subject"]')" "Fwd: Release notes"
tap_like "the original inline" "$(msg 5 'body(m)')" "Notes for the release."
tui_send i

# --- P and R ------------------------------------------------------------------
edit 'printf "Later.\n" >>"$f"'
tui_send m
tui_send -l "bob@example.org"
tui_send Enter
tui_send -l "Postponed one"
tui_send Enter
check_screen "a message to postpone" "Later."
tui_send P
check_screen "P postpones" "postponed"
tap_eq "its draft stays" "$(drafts)" "1"
tui_send R
check_screen "R offers it" "Resume the draft to bob@example.org about 'Postponed one'? (y/n)"
tui_send y
check_screen "y resumes it" "Subject: Postponed one"
check_screen "with its body" "Later."
tui_send q
tui_send y
check_screen "aborted" "message aborted"
tui_send R
check_screen "nothing left to recall" "no postponed messages"

# --- a resize while the editor runs: laid out again after it ------------------
edit 'printf "Resized.\n" >>"$f"; : >"$work/editor-open"; n=0; while [ ! -e "$work/editor-go" ] && [ $n -lt 400 ]; do sleep 0.05; n=$((n + 1)); done'
rm -f "$work/editor-open" "$work/editor-go"
editor_open() { [ -e "$work/editor-open" ]; }
tui_send m
tui_send -l "bob@example.org"
tui_send Enter
tui_send -l "Resize"
tui_send Enter
if wait_until 10 editor_open; then tap_ok "the editor runs for the resize"
else tap_fail "the editor runs for the resize" "no editor"; fi
tui_tmux resize-window -t errand-test -x 80 -y 20
: >"$work/editor-go"
check_screen "back from the editor" "Resized."
status_at() { tui_screen | sed -n "${1}p" | grep -q "demo: compose"; }
if wait_until 5 status_at 19; then
	tap_ok "the status line is laid out for the new size"
else
	tap_fail "the status line is laid out for the new size" \
	    "$(tui_screen | tail -n 3)"
fi
tui_send q
tui_send y
check_screen "the resized one aborted" "message aborted"
tui_tmux resize-window -t errand-test -x 100 -y 24

# --- a crash with the editor open: the draft is offered at the next start ----
edit 'printf "Half written.\n" >>"$f"; : >"$work/editor-open"; n=0; while [ ! -e "$work/editor-go" ] && [ $n -lt 400 ]; do sleep 0.05; n=$((n + 1)); done'
rm -f "$work/editor-open" "$work/editor-go"
tui_send m
tui_send -l "alice@example.org"
tui_send Enter
tui_send -l "Crash draft"
tui_send Enter
if wait_until 10 editor_open; then tap_ok "the editor runs"
else tap_fail "the editor runs" "no editor"; fi
pid=$(cat "$work"/state/errand/drafts/demo/*.lock 2>/dev/null | head -n 1)
if [ -n "$pid" ] && kill -9 "$pid"; then
	tap_ok "errand killed with the editor open"
else tap_fail "errand killed with the editor open" "no pid in the lock"; fi
: >"$work/editor-go"
tui_wait_exit 10 >/dev/null
run_ui
check_screen "the next start offers the draft" \
    "Resume the draft to alice@example.org about 'Crash draft'? (y/n)" 20
tui_send y
check_screen "resumed with what was written" "Half written."
tui_send q
tui_send y
check_screen "and aborted" "message aborted"
quit_ui

# --- U within send-delay ------------------------------------------------------
write_conf 60
run_ui
check_screen "the index again" "Release notes" 20
before=$(sent_count)
edit 'printf "Take me back.\n" >>"$f"'
tui_send m
tui_send -l "zed"
tui_send Tab
check_screen "Tab asks query-command too" "To: Zed Query <zed@example.org>"
tui_send Enter
tui_send -l "Undo me"
tui_send Enter
check_screen "a message to take back" "Take me back."
tui_send y
check_screen "queued with the delay" "U: take it back"
check_screen "the status line counts it" "outbox: 1"
tui_send U
check_screen "U takes it back" "taken back: not sent"
check_screen "into the compose screen" "Subject: Undo me"
tui_send q
tui_send y
check_screen "then dropped" "message aborted"
if tui_lacks "outbox: 1"; then tap_ok "the outbox is empty"
else tap_fail "the outbox is empty" "still counted"; fi
tap_eq "nothing more was sent" "$(sent_count)" "$before"
quit_ui
tap_done
