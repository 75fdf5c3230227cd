# errand tests: y queues off the loop. With a large attachment the index is
# back and answers keys while the message is built ("outbox: 1 queuing"),
# before anything is in the outbox; a build error (the attachment deleted
# meanwhile) brings the compose screen back with the draft; q waits for a
# message queuing; SIGKILL while queuing offers the draft again at the next
# start, and SIGKILL once it is queued removes the draft: each message is
# sent once; a draft kept for U (NAME.eml.sent) that a crash left goes at
# the next start once an hour old and its message is out of the outbox,
# and stays while fresh or while the outbox holds its message (held
# here). ERRAND_QUEUE_HOLD (tests only) keeps the build waiting until
# a file exists, so that the queuing state is seen for certain.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/queue
mkdir -p "$work/mail" "$work/cache" "$work/sent" "$work/files"
cat >"$work/mail/1" <<'EOF'
From: Alice Example <alice@example.org>
To: Demo User <demo@example.org>
Subject: Lunch plans
Message-ID: <lunch@example.org>
Date: Mon, 02 Nov 2026 09:00:00 +0000

Shall we eat at noon?
EOF
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }

# A real large attachment: base64 of it is what made y slow.
head -c 12582912 /dev/urandom >"$work/files/big.bin"
printf 'small file\n' >"$work/files/small.txt"

cat >"$work/editor" <<EOF
#!/bin/sh
printf 'Body of the message.\n' >>"\$1"
EOF
chmod +x "$work/editor"
# sendmail-command: each message, numbered.
cat >"$work/sendmail" <<EOF
#!/bin/sh
n=\$(ls "$work/sent" | grep -c msg)
cat >"$work/sent/\$n.tmp" && mv "$work/sent/\$n.tmp" "$work/sent/\$n.msg"
EOF
chmod +x "$work/sendmail"
cat >"$work/errand.conf" <<CONF
[account demo]
source = imaps://demo@127.0.0.1:$IMAPS_PORT
password-command = cat $DOVECOT_PASSWORD_FILE
ca-file = $DOVECOT_CA
from = Demo User <demo@example.org>
sendmail-command = $work/sendmail
send-delay = 0
save-sent = no
CONF

hold=$work/go
outbox=$work/data/errand/demo/outbox
drafts_dir=$work/state/errand/drafts/demo
# run_ui [VAR=VALUE...]: errand in tmux, the build held until $hold exists.
run_ui()
{
	tui_start 100 24 env XDG_CACHE_HOME="$work/cache" \
	    XDG_STATE_HOME="$work/state" XDG_DATA_HOME="$work/data" \
	    EDITOR="$work/editor" VISUAL= HOME="$work" \
	    TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
	    ERRAND_QUEUE_HOLD="$hold" "$@" \
	    "$ERRAND" -c "$work/errand.conf" -d "$work/errand.log"
}
sent_count() { ls "$work/sent" | grep -c '\.msg$'; }
has_sent() { [ "$(sent_count)" -ge "$1" ]; }
# in_outbox SUBJECT: how many messages the outbox holds with it.
in_outbox()
{
	grep -l "^Subject: $1" "$outbox"/*.eml 2>/dev/null | wc -l | tr -d ' '
}
drafts() { ls "$drafts_dir" 2>/dev/null | grep -c '\.eml$'; }
errand_pid() { cat "$drafts_dir"/*.lock 2>/dev/null | head -n 1; }
# write_to TO SUBJECT: m, the prompts, the editor, the compose screen.
write_to()
{
	tui_send m
	tui_wait_for "To:" 10 >/dev/null
	tui_send -l "$1"
	tui_send Enter
	tui_wait_for "Subject:" 10 >/dev/null
	tui_send -l "$2"
	tui_send Enter
	tui_wait_for "Body of the message." 10 >/dev/null
}
attach()
{
	tui_send a
	tui_wait_for "Attach" 10 >/dev/null
	tui_send -l "$1"
	tui_send Enter
	tui_wait_for "$(basename "$1") [" 10 >/dev/null
}
quit_ui()
{
	tui_send q
	if tui_wait_for "(k)eep" 2 2>/dev/null; then tui_send k; fi
	tui_wait_exit 10 >/dev/null
}

rm -f "$hold"
run_ui
check_screen "the index shows" "Lunch plans" 20

# --- a large attachment: the index is back before the outbox has it --------
write_to "bob@example.org" "Big one"
attach "$work/files/big.bin"
check_screen "the attachment is listed" "big.bin ["
tui_send y
check_screen "y: back on the index at once" "Lunch plans"
check_screen "the status line says queuing" "outbox: 1 queuing"
check_screen "and the message" "queuing 'Big one'"
tui_send m
check_screen "a key is answered while it queues" "To:"
tui_send C-g
if wait_until 5 tui_lacks "To:"; then tap_ok "and the next one"
else tap_fail "and the next one" "the To prompt stayed"; fi
tap_eq "nothing in the outbox yet" "$(in_outbox 'Big one')" "0"
tap_eq "nothing sent yet" "$(sent_count)" "0"
tap_eq "the draft is kept while it queues" "$(drafts)" "1"
: >"$hold"
if wait_until 20 has_sent 1; then tap_ok "once built, it is queued and sent"
else tap_fail "once built, it is queued and sent" "nothing sent"; fi
if wait_until 10 tui_lacks "queuing"; then tap_ok "no longer queuing"
else tap_fail "no longer queuing" "$(tui_screen | tail -n 2)"; fi
tap_eq "the draft is gone" "$(drafts)" "0"
got=$(python3 - "$work/sent/0.msg" "$work/files/big.bin" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'),
    policy=email.policy.default)
a = [p for p in m.iter_attachments()]
print(m["Subject"], a[0].get_filename(),
      a[0].get_content() == open(sys.argv[2], 'rb').read())
PY
)
tap_eq "the message and its attachment's bytes" "$got" "Big one big.bin True"

# --- a build error: the compose screen comes back, the draft kept ----------
rm -f "$hold"
cp "$work/files/small.txt" "$work/files/gone.txt"
write_to "bob@example.org" "Broken attachment"
attach "$work/files/gone.txt"
tui_send y
check_screen "queuing the broken one" "outbox: 1 queuing"
rm -f "$work/files/gone.txt"
: >"$hold"
check_screen "the error is shown" "not sent: "
check_screen "naming the file" "gone.txt"
check_screen "the compose screen is back" "Subject: Broken attachment"
tap_eq "its draft is kept" "$(drafts)" "1"
tap_eq "nothing sent" "$(sent_count)" "1"
tui_send D
check_screen "the missing file detached" "detached"
tui_send y
if wait_until 20 has_sent 2; then tap_ok "then sent without it"
else tap_fail "then sent without it" "nothing sent"; fi
tap_eq "no draft left" "$(drafts)" "0"

# --- q while queuing waits for the message ---------------------------------
rm -f "$hold"
write_to "bob@example.org" "Quit while queuing"
tui_send y
check_screen "queuing before q" "outbox: 1 queuing"
pid=$(errand_pid)
tui_send q
check_screen "q waits for it" "waiting for the message being queued"
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
	tap_ok "errand still runs"
else tap_fail "errand still runs" "it ended (pid '$pid')"; fi
: >"$hold"
st=$(tui_wait_exit 20)
tap_eq "then it ends" "$st" "0"
tap_eq "the message is in the outbox" "$(in_outbox 'Quit while')" "1"
tap_eq "its draft is gone" "$(drafts)" "0"
run_ui
check_screen "the next start" "Lunch plans" 20
if wait_until 20 has_sent 3; then tap_ok "sends what q waited for"
else tap_fail "sends what q waited for" "nothing sent"; fi

# --- SIGKILL while queuing: the draft offered again, sent once --------------
rm -f "$hold"
write_to "carol@example.org" "Killed while queuing"
tui_send y
check_screen "queuing before the kill" "outbox: 1 queuing"
pid=$(errand_pid)
if [ -n "$pid" ] && kill -9 "$pid"; then tap_ok "errand killed while queuing"
else tap_fail "errand killed while queuing" "no pid in the lock"; fi
tui_wait_exit 10 >/dev/null
tap_eq "nothing reached the outbox" "$(in_outbox 'Killed while')" "0"
: >"$hold"
run_ui
check_screen "the next start offers the draft" \
    "Resume the draft to carol@example.org about 'Killed while queuing'? (y/n)" 20
tui_send y
check_screen "resumed" "Subject: Killed while queuing"
tui_send y
if wait_until 20 has_sent 4; then tap_ok "sent once resumed"
else tap_fail "sent once resumed" "nothing sent"; fi
tap_eq "no draft left after it" "$(drafts)" "0"
quit_ui

# --- SIGKILL once queued, before the draft goes: not offered, sent once -----
run_ui ERRAND_OUTBOX_DIE_AT=queued
check_screen "a start that dies once queued" "Lunch plans" 20
write_to "dave@example.org" "Killed once queued"
tui_send y
st=$(tui_wait_exit 20)
tap_eq "killed once in the outbox" "$st" "signal 9"
tap_eq "the message is in the outbox" "$(in_outbox 'Killed once')" "1"
tap_eq "its draft was not removed yet" "$(drafts)" "1"
# Drafts kept for U that a crash left: one an hour old whose message is
# out of the outbox, one fresh, one old whose message is held there.
cat >"$work/held.eml" <<'EOF'
From: Demo User <demo@example.org>
To: erin@example.org
Subject: Held for U

Held.
EOF
held_id=$(env XDG_DATA_HOME="$work/data" HOME="$work" \
    "$ERRAND" -c "$work/errand.conf" send --queue "$work/held.eml" |
    sed -n 's/^queued //p')
sed -i 's/^state queued$/state held/' "$outbox/$held_id.state"
sent_draft()
{
	printf 'To: erin@example.org\nSubject: %s\nX-Errand-Queued: %s\n\n' \
	    "$2" "$3" >"$drafts_dir/$1.eml.sent"
	printf 'Body.\n' >>"$drafts_dir/$1.eml.sent"
}
sent_draft old-gone "Old gone" 1000-deadbeef
sent_draft fresh-gone "Fresh gone" 1000-deadbeef
sent_draft old-held "Old held" "$held_id"
touch -d '2 hours ago' "$drafts_dir/old-gone.eml.sent" \
    "$drafts_dir/old-held.eml.sent"
run_ui
check_screen "the next start" "Lunch plans" 20
if wait_until 10 test ! -e "$drafts_dir/old-gone.eml.sent"; then
	tap_ok "an old draft kept for U, its message gone, is removed"
else tap_fail "an old draft kept for U, its message gone, is removed" \
    "it stayed"; fi
tap_eq "a fresh one stays" \
    "$(ls "$drafts_dir" | grep -c '^fresh-gone\.eml\.sent$')" "1"
tap_eq "one whose message the outbox holds stays" \
    "$(ls "$drafts_dir" | grep -c '^old-held\.eml\.sent$')" "1"
# A draft to resume is asked about before the first screen is drawn.
if tui_lacks "Resume the draft"; then tap_ok "its draft is not offered"
else tap_fail "its draft is not offered" "$(tui_screen | tail -n 1)"; fi
if wait_until 20 has_sent 5; then tap_ok "the outbox sends it"
else tap_fail "the outbox sends it" "nothing sent"; fi
tap_eq "and is removed" "$(drafts)" "0"
quit_ui
tap_eq "each message sent once" "$(sent_count)" "5"
subjects=$(for f in "$work"/sent/*.msg; do
	sed -n 's/^Subject: //p' "$f" | tr -d '\r'
done | sort | tr '\n' '|')
tap_eq "the five subjects" "$subjects" \
    "Big one|Broken attachment|Killed once queued|Killed while queuing|Quit while queuing|"
tap_done
