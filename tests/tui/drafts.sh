# errand tests: P on the compose screen puts the message in the server's
# \Drafts folder (APPEND with \Draft, through the outbox, so that it is
# made once the network allows), where the user's other devices see it,
# against the real Dovecot with EDITOR a script; offline (a proxy taken
# away), once the server is back. A draft recalled with R has one copy
# there: postponed again, the new copy replaces the old; sent, none is
# left; aborted, the old copy stays.
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

# The editor adds a line, and the text of $work/more when there is one.
cat >"$work/editor" <<EOF
#!/bin/sh
printf 'Finish this later.\n' >>"\$1"
if [ -f "$work/more" ]; then cat "$work/more" >>"\$1"; fi
EOF
chmod +x "$work/editor"
cat >"$work/sendmail" <<EOF
#!/bin/sh
cat >"\$(mktemp "$work/sent/msg.XXXXXX")"
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

# recall SUBJECT: R, then y for the draft about SUBJECT (n for others).
recall()
{
	tui_send R
	_n=0
	while [ $_n -lt 5 ]; do
		tui_wait_for "Resume the draft to" 10 || return 1
		if tui_shows "Resume the draft .*'$1'"; then
			tui_send y
			tui_wait_for "-- Message (e: edit)" 10
			return
		fi
		tui_send n
		_n=$((_n + 1))
		tui_wait_for "Resume the draft to|no more postponed" 10
	done
	return 1
}
# drafts_text SUBJECT: the text of each message in Drafts with SUBJECT.
drafts_text()
{
	dv_doveadm fetch -u demo text mailbox Drafts header Subject "$1" \
	    2>/dev/null
}
# one_draft_saying SUBJECT TEXT: one message in Drafts with SUBJECT, and
# it has TEXT (in one look: an old copy goes only after the new one came).
one_draft_saying()
{
	_ods=$(dv_doveadm fetch -u demo 'uid text' mailbox Drafts \
	    header Subject "$1" 2>/dev/null)
	[ "$(printf '%s\n' "$_ods" | grep -c '^uid: ')" = 1 ] &&
	    printf '%s\n' "$_ods" | grep -qF -- "$2"
}
sent_count() { ls "$work/sent" | grep -c msg; }
sent_some() { [ "$(sent_count)" -ge 1 ]; }
no_draft() { [ "$(in_drafts "$1")" = 0 ]; }

# R, e (a second text), P: the new copy replaces the old one.
if recall "Postponed one"; then
	tap_ok "R recalls the draft"
else
	tap_fail "R recalls the draft" "$(tui_screen | tail -n 3)"
fi
printf 'Second text.\n' >"$work/more"
tui_send e
check_screen "the draft edited again" "Second text."
rm -f "$work/more"
tui_send P
check_screen "P postpones it again" "postponed"
if wait_until 30 one_draft_saying "Postponed one" "Second text."; then
	tap_ok "P again: one copy in Drafts, the new one"
else
	tap_fail "P again: one copy in Drafts, the new one" \
	    "$(in_drafts "Postponed one") copies" "$(drafts_text "Postponed one")"
fi
tap_eq "not sent" "$(sent_count)" "0"

# Offline: R, e, P keeps the old copy until the new one is made, then
# the old one goes (the purge waits in the journal with the copy).
proxy_set down
check_screen "offline again" "offline:" 30
recall "Postponed one"
printf 'Third text.\n' >"$work/more"
tui_send e
check_screen "edited offline" "Third text."
rm -f "$work/more"
tui_send P
check_screen "postponed offline" "postponed"
tap_eq "offline: the old copy stays" "$(in_drafts "Postponed one")" "1"
tap_unlike "offline: no new copy yet" "$(drafts_text "Postponed one")" \
    "Third text."
proxy_set up
if wait_until 60 one_draft_saying "Postponed one" "Third text."; then
	tap_ok "back online: one copy, the new one"
else
	tap_fail "back online: one copy, the new one" \
	    "$(in_drafts "Postponed one") copies" "$(drafts_text "Postponed one")"
fi

# Drafts made again on the server (another device; a new UIDVALIDITY)
# with the copy moved into it: the old copy is still found, by its
# Message-ID, and goes.
uv() { dv_doveadm -f flow mailbox status -u demo uidvalidity Drafts; }
uv_before=$(uv)
dv_doveadm mailbox rename -u demo Drafts Drafts-old &&
    dv_doveadm mailbox create -u demo Drafts &&
    dv_doveadm move -u demo Drafts mailbox Drafts-old all &&
    dv_doveadm mailbox delete -u demo Drafts-old
tap_unlike "Drafts has a new UIDVALIDITY" "$(uv)" "^$uv_before\$"
recall "Postponed one"
printf 'Fourth text.\n' >"$work/more"
tui_send e
check_screen "edited once more" "Fourth text."
rm -f "$work/more"
tui_send P
check_screen "postponed once more" "postponed"
if wait_until 30 one_draft_saying "Postponed one" "Fourth text."; then
	tap_ok "new UIDVALIDITY: one copy, the new one"
else
	tap_fail "new UIDVALIDITY: one copy, the new one" \
	    "$(in_drafts "Postponed one") copies" "$(drafts_text "Postponed one")"
fi

# R, q, y (abort): the copy in Drafts stays (only this machine's draft
# goes).
recall "Offline one"
tui_send q
check_screen "q asks" "Abort this message?"
tui_send y
check_screen "aborted, its copy stays" "(its copy in Drafts stays)"

# R, y (send): delivered once, and no copy left in Drafts.
recall "Postponed one"
tui_send y
if wait_until 10 tui_shows "queued for sending|sent to 1 recipient"; then
	tap_ok "y queues it"
else
	tap_fail "y queues it" "$(tui_screen | tail -n 2)"
fi
if wait_until 30 sent_some; then
	tap_ok "the recalled draft is sent"
else
	tap_fail "the recalled draft is sent" "$(tui_screen | tail -n 2)"
fi
if wait_until 30 no_draft "Postponed one"; then
	tap_ok "sent: its copy leaves Drafts"
else
	tap_fail "sent: its copy leaves Drafts" \
	    "$(in_drafts "Postponed one") copies left"
fi
tap_eq "delivered once" "$(sent_count)" "1"
tap_like "the text sent is the last" "$(cat "$work"/sent/msg.*)" \
    "Fourth text."
# The send and its purge went after the abort: a purge the abort had
# queued would have gone before them.
tap_eq "aborted: its copy stays in Drafts" "$(in_drafts "Offline one")" "1"
tap_eq "Drafts holds nothing else" \
    "$(dv_doveadm search -u demo mailbox Drafts all 2>/dev/null | grep -c .)" \
    "1"
# A draft postponed on another device (the phone): R offers it from
# Drafts once the cache has it; sent, it leaves Drafts.
dv_doveadm save -u demo -m Drafts <<'EOF'
From: Demo User <demo@example.org>
To: Erin <erin@example.org>
Subject: From the phone
Message-ID: <phone@example.org>
Date: Tue, 03 Nov 2026 09:00:00 +0000

Typed on the phone.
EOF
tap_eq "the phone's draft is in Drafts" "$(in_drafts "From the phone")" "1"
tui_send c
tui_send -l Drafts
tui_send Enter
check_screen "Drafts opens" "From the phone" 20
tui_send /
tui_send -l "From the phone"
tui_send Enter
tui_send Enter
check_screen "the phone's draft is read (and cached)" "Typed on the phone."
tui_send q
if recall "From the phone"; then
	tap_ok "R offers the phone's draft"
else
	tap_fail "R offers the phone's draft" "$(tui_screen | tail -n 3)"
fi
check_screen "its To" "To: Erin <erin@example.org>"
check_screen "its text" "Typed on the phone."
tui_send y
if wait_until 30 no_draft "From the phone"; then
	tap_ok "sent: the phone's draft leaves Drafts"
else
	tap_fail "sent: the phone's draft leaves Drafts" \
	    "$(in_drafts "From the phone") left" "$(tui_screen | tail -n 2)"
fi
tap_eq "it was sent once" \
    "$(grep -l "Typed on the phone." "$work"/sent/msg.* | grep -c .)" "1"
tap_eq "the aborted one still stays" "$(in_drafts "Offline one")" "1"

tui_send q
if tui_wait_for "(k)eep" 2 2>/dev/null; then tui_send k; fi
tap_eq "errand quits cleanly" "$(tui_wait_exit 10)" "0"

# A POP3 account: the Drafts folder of the Maildir at home, the same way.
errand_write_config "$work/pop.conf" pop3s "pop3-keep = always" \
    "from = Demo User <demo@example.org>" "sendmail-command = $work/sendmail"
pmd=$work/pdata/errand/demo/.Drafts
# local_drafts TEXT: the messages in the local Drafts holding TEXT.
local_drafts()
{
	cat "$pmd"/cur/* "$pmd"/new/* 2>/dev/null | grep -c -- "$1"
}
local_count() { find "$pmd"/cur "$pmd"/new -type f 2>/dev/null | grep -c .; }
local_one_saying() { [ "$(local_count)" = 1 ] && [ "$(local_drafts "$1")" = 1 ]; }
local_none() { [ "$(local_count)" = 0 ]; }
sent_two() { [ "$(sent_count)" -ge 2 ]; }
tui_start 100 24 env XDG_CACHE_HOME="$work/pcache" \
    XDG_STATE_HOME="$work/pstate" XDG_DATA_HOME="$work/pdata" \
    EDITOR="$work/editor" VISUAL= HOME="$work" \
    TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    "$ERRAND" -c "$work/pop.conf" -d "$work/pop.log"
check_screen "POP3: the index shows" "Lunch plans" 20
tui_send m
tui_send -l "dave@example.org"
tui_send Enter
tui_send -l "Local one"
tui_send Enter
check_screen "POP3: a message to postpone" "Finish this later."
tui_send P
check_screen "POP3: P postpones" "postponed to Drafts"
if wait_until 15 local_one_saying "Finish this later."; then
	tap_ok "POP3: P puts it in the local Drafts"
else
	tap_fail "POP3: P puts it in the local Drafts" "$(local_count) there"
fi
recall "Local one"
printf 'Local second.\n' >"$work/more"
tui_send e
check_screen "POP3: edited again" "Local second."
rm -f "$work/more"
tui_send P
if wait_until 15 local_one_saying "Local second."; then
	tap_ok "POP3: P again: one copy, the new one"
else
	tap_fail "POP3: P again: one copy, the new one" \
	    "$(local_count) there" "$(cat "$pmd"/cur/* 2>/dev/null)"
fi
recall "Local one"
tui_send y
if wait_until 30 local_none; then
	tap_ok "POP3: sent: no copy left in the local Drafts"
else
	tap_fail "POP3: sent: no copy left in the local Drafts" \
	    "$(local_count) there"
fi
if wait_until 30 sent_two; then
	tap_ok "POP3: the recalled draft is sent"
else
	tap_fail "POP3: the recalled draft is sent" "$(tui_screen | tail -n 2)"
fi
tap_eq "POP3: delivered once" "$(grep -l "Local second." "$work"/sent/msg.* |
    grep -c .)" "1"
tui_send q
if tui_wait_for "(k)eep" 2 2>/dev/null; then tui_send k; fi
tap_eq "POP3: errand quits cleanly" "$(tui_wait_exit 10)" "0"
tap_done
