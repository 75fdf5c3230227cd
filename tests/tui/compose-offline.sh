# errand tests: writing mail with the server out of reach, through the
# interface, against the real submission chain (tests/lib/smtpd.sh) with
# the fault proxy in front of both the mail port and the submission port:
# a message written offline waits in the outbox ("outbox: N"), still after
# quitting and starting again, and once the proxies are back it is
# delivered exactly once without a key press, its copy is in the server's
# Sent once and the outbox is empty; a reply written offline marks the
# original \Answered once it went; while offline errand does not spin
# over the outbox; one whose attempt failed while errand still believed it
# was online goes on the reconnect, not at the end of its backoff. A POP3
# account: the same, its copy in the local Sent.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/smtpd.sh"
. "$top_srcdir/tests/lib/tmux.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not found"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
[ -x /usr/lib/dovecot/submission ] ||
	tap_skip_all "dovecot's submission service not installed"
[ "$(id -u)" = 0 ] || tap_skip_all "OpenSMTPD needs root"
smtpd_start || tap_skip_all "cannot start the private OpenSMTPD and Dovecot"

work=$DOVECOT_DIR/compose-offline
mkdir -p "$work/mail"
U=$DOVECOT_USER
cat >"$work/mail/1" <<'EOF'
From: Two Person <two@example.org>
To: Demo User <demo@example.org>
Subject: Lunch plans
Message-ID: <lunch@offline.test>
Date: Mon, 02 Nov 2026 09:00:00 +0000

Shall we eat at noon?
EOF
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }

# The proxies: one for the mail port (IMAPS, then POP3S), one for the
# submission port, each with its control file: the network goes and comes
# back as a whole (net_down, net_up), or the submission port alone.
ctl=$work/net ctl_smtp=$work/net-smtp
echo up >"$ctl"
echo up >"$ctl_smtp"
# proxy PORT NAME CONTROL: a proxy to PORT; its port in $work/NAME.port
# (not in a command substitution: the exit trap would stop it with the
# subshell).
proxy()
{
	python3 "$top_srcdir/tests/lib/proxy.py" "$1" "$work/$2.port" "$3" \
	    </dev/null >/dev/null &
	errand_at_exit "kill $! 2>/dev/null"
	wait_until 10 test -s "$work/$2.port"
}
refuses()
{
	python3 -c 'import socket, sys
for p in sys.argv[1:]:
    try:
        socket.create_connection(("127.0.0.1", int(p)), 1).close()
        sys.exit(1)
    except ConnectionRefusedError:
        pass' "$@"
}
proxy "$IMAPS_PORT" imap "$ctl" &&
    proxy "$SUBMISSION_PORT" smtp "$ctl_smtp" &&
    proxy "$POP3S_PORT" pop "$ctl" ||
    { echo "Bail out! the proxies did not start"; exit 1; }
pimap=$(cat "$work/imap.port") psmtp=$(cat "$work/smtp.port")
ppop=$(cat "$work/pop.port")
net_down()
{
	echo down >"$ctl"
	echo down >"$ctl_smtp"
	wait_until 10 refuses "$pimap" "$psmtp" "$ppop" ||
	    tap_fail "the proxies refuse connections"
}
net_up()
{
	echo up >"$ctl_smtp"
	echo up >"$ctl"
}

# The editor appends what edit-body holds to the draft ($1).
cat >"$work/editor" <<EOF
#!/bin/sh
cat "$work/edit-body" >>"\$1"
EOF
chmod +x "$work/editor"
edit() { printf '%s\n' "$1" >"$work/edit-body"; }

conf=$work/errand.conf
errand_write_config "$conf" imaps \
    "from = Demo User <$U@example.org>" \
    "smtp = smtp://$U@127.0.0.1:$psmtp"
sed -i "s/:$IMAPS_PORT\$/:$pimap/" "$conf"
pconf=$work/pop.conf
errand_write_config "$pconf" pop3s \
    "from = Demo User <$U@example.org>" \
    "smtp = smtp://$U@127.0.0.1:$psmtp" "pop3-keep = always"
sed -i "s/:$POP3S_PORT\$/:$ppop/" "$pconf"

# run_ui CONF DATA: errand on CONF with its data (outbox, Maildir) in DATA.
run_ui()
{
	tui_start 120 24 env XDG_CACHE_HOME="$work/cache-$2" \
	    XDG_STATE_HOME="$work/state-$2" XDG_DATA_HOME="$work/$2" \
	    EDITOR="$work/editor" VISUAL= HOME="$work" \
	    TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
	    "$ERRAND" -c "$1" -d "$work/errand-$2.log"
}
quit_ui()
{
	tui_send q
	if tui_wait_for "(k)eep" 2 2>/dev/null; then tui_send k; fi
	tap_eq "$1" "$(tui_wait_exit 20)" 0
}
# compose TO SUBJECT: m, To, Subject, the editor, y.
compose()
{
	tui_send m
	tui_wait_for "To:" 10 >/dev/null
	tui_send -l "$1"
	tui_send Enter
	tui_wait_for "Subject:" 10 >/dev/null
	tui_send -l "$2"
	tui_send Enter
	tui_wait_for "y:send" 10 >/dev/null
	tui_send y
}
# errand_pid: the pane's errand (a child of the pane's shell).
errand_pid()
{
	pgrep -P "$(tui_tmux display-message -p -t errand-test \
	    '#{pane_pid}')" -x errand | head -n 1
}
# quiet SECONDS: errand makes fewer than 500 system calls that read in
# SECONDS (a loop over the outbox makes thousands a second, even on a
# loaded machine; one waiting on the network a handful).
syscr() { sed -n 's/^syscr: //p' "/proc/$1/io"; }
quiet()
{
	_q_pid=$(errand_pid)
	[ -n "$_q_pid" ] && [ -r "/proc/$_q_pid/io" ] || return 2
	_q_a=$(syscr "$_q_pid")
	_q_end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt "$_q_end" ]; do sleep 0.2; done
	_q_b=$(syscr "$_q_pid")
	echo "# $(($_q_b - $_q_a)) reads in $1 s" >&2
	[ $(($_q_b - $_q_a)) -lt 500 ]
}
# arrived SUBJECT-WORD: how many delivered messages have it in Subject.
arrived()
{
	python3 - "$SMTPD_MAILDIR/new" "$1" <<'PY'
import email, email.policy, os, sys
n = 0
for f in os.listdir(sys.argv[1]):
    with open(os.path.join(sys.argv[1], f), "rb") as fh:
        m = email.message_from_binary_file(fh, policy=email.policy.default)
    if sys.argv[2] in str(m["Subject"]):
        n += 1
print(n)
PY
}
arrived_is() { [ "$(arrived "$1")" = "$2" ]; }
# delivered SUBJECT-WORD EXPR: EXPR over the one message delivered with it.
delivered()
{
	python3 - "$SMTPD_MAILDIR/new" "$1" "$2" <<'PY'
import email, email.policy, os, sys
for f in sorted(os.listdir(sys.argv[1])):
    with open(os.path.join(sys.argv[1], f), "rb") as fh:
        m = email.message_from_binary_file(fh, policy=email.policy.default)
    if sys.argv[2] in str(m["Subject"]):
        b = m.get_body(("plain",))
        body = b.get_content() if b is not None else ""
        print(eval(sys.argv[3]))
        break
PY
}
in_sent()
{
	dv_doveadm search -u "$U" mailbox Sent header message-id "$1" \
	    2>/dev/null | wc -l | tr -d ' '
}
in_sent_is() { [ "$(in_sent "$1")" = "$2" ]; }
# outbox DATA: the messages in the account's outbox, listed.
outbox()
{
	XDG_DATA_HOME=$work/$1 XDG_CACHE_HOME=$work/cache-$1 \
	    "$ERRAND" -c "$2" outbox 2>&1
}
outbox_empty() { [ -z "$(outbox "$@")" ]; }
answered()
{
	dv_doveadm -f flow fetch -u "$U" flags mailbox INBOX \
	    header message-id '<lunch@offline.test>' 2>/dev/null
}
is_answered() { answered | grep -q 'Answered'; }

# --- IMAP: online once, so that the message to answer is cached ---------------
run_ui "$conf" imap
check_screen "the index shows the message" "Lunch plans" 30
tui_send Enter
check_screen "its body is read (and cached)" "Shall we eat at noon?" 20
tui_send i
net_down
check_screen "the account is offline" "offline" 30

# --- (a) compose offline ------------------------------------------------------
edit 'Written on the train. Köln.'
compose "One <one@example.org>" "Grüße vom Zug"
check_screen "y: the status line says it waits" "outbox: 1" 20

# --- (b) a reply offline --------------------------------------------------------
edit 'Noon is fine.'
tui_send r
check_screen "r: the reply's compose screen" "Noon is fine." 20
tui_send y
check_screen "the reply waits too" "outbox: 2" 20
tap_eq "nothing went" "$(arrived Zug):$(arrived Lunch)" "0:0"
if quiet 3; then tap_ok "offline with the outbox, errand waits quietly"
else tap_fail "offline with the outbox, errand waits quietly" \
    "it keeps reading"; fi
quit_ui "q: errand quits offline"

run_ui "$conf" imap
check_screen "started again offline: the outbox is still shown" \
    "outbox: 2" 20
check_screen "and the account is offline" "offline" 30
if quiet 3; then tap_ok "and waits quietly"
else tap_fail "and waits quietly" "it keeps reading"; fi
tap_eq "nothing went" "$(arrived Zug):$(arrived Lunch)" "0:0"

# The network is back: no key is pressed.
net_up
if wait_until 90 outbox_empty imap "$conf"; then
	tap_ok "the network back: the outbox empties without a key"
else
	tap_fail "the network back: the outbox empties without a key" \
	    "$(outbox imap "$conf")"
fi
if wait_until 20 tui_lacks "outbox: "; then
	tap_ok "the status line's outbox count is gone"
else
	tap_fail "the status line's outbox count is gone" \
	    "$(tui_screen | tail -n 2)"
fi
smtpd_wait_mail 2
tap_eq "the message delivered once" "$(arrived Zug)" 1
tap_eq "its To" "$(delivered Zug 'm["To"]')" "One <one@example.org>"
tap_eq "its Subject, not ASCII" "$(delivered Zug 'm["Subject"]')" \
    "Grüße vom Zug"
tap_eq "its From" "$(delivered Zug 'm["From"]')" \
    "Demo User <$U@example.org>"
tap_like "its body" "$(delivered Zug 'body')" "Written on the train. Köln."
mid=$(delivered Zug 'm["Message-ID"]')
if wait_until 20 in_sent_is "$mid" 1; then
	tap_ok "its copy in the server's Sent"
else tap_fail "its copy in the server's Sent" "$(in_sent "$mid") copies"; fi

tap_eq "the reply delivered once" "$(arrived 'Re: Lunch plans')" 1
tap_eq "to the author" "$(delivered 'Re: Lunch' 'm["To"]')" \
    "Two Person <two@example.org>"
tap_eq "answering it" "$(delivered 'Re: Lunch' 'm["In-Reply-To"]')" \
    "<lunch@offline.test>"
rmid=$(delivered 'Re: Lunch' 'm["Message-ID"]')
if wait_until 20 in_sent_is "$rmid" 1; then
	tap_ok "its copy in the server's Sent"
else tap_fail "its copy in the server's Sent" "$(in_sent "$rmid") copies"; fi
if wait_until 20 is_answered; then
	tap_ok "the original is \\Answered on the server"
else
	tap_fail "the original is \\Answered on the server" "$(answered)"
fi

# --- (d) sent while errand believed it online: retried on the reconnect -------
# The submission port alone goes: the attempt fails and waits its backoff
# (30 s). The whole network then goes and comes back: the reconnect says
# the network is back, and the message goes then, not at the backoff's end.
echo down >"$ctl_smtp"
wait_until 10 refuses "$psmtp" || tap_fail "the submission proxy refuses"
check_screen "online, before the attempt" "-- online" 30
edit 'Tried while the submission port was closed.'
compose "one@example.org" "Retried on the reconnect"
retry_in()
{
	outbox imap "$conf" | sed -n 's/.*	retry in \([0-9]*\)s	.*/\1/p'
}
waits() { [ -n "$(retry_in)" ]; }
if wait_until 30 waits; then
	due=$(($(date +%s) + $(retry_in)))
	tap_ok "the failed attempt waits its backoff"
else
	due=$(($(date +%s) + 30))
	tap_fail "the failed attempt waits its backoff" "$(outbox imap "$conf")"
fi
net_down
check_screen "then the whole network goes" "offline" 30
net_up
if wait_until 60 arrived_is Retried 1; then
	tap_ok "the network back: it is delivered"
else tap_fail "the network back: it is delivered" "$(arrived Retried)"; fi
now=$(date +%s)
if [ "$now" -lt "$due" ]; then
	tap_ok "on the reconnect, before its backoff ran out"
else
	tap_fail "on the reconnect, before its backoff ran out" \
	    "$((now - due)) s after it"
fi
wait_until 30 outbox_empty imap "$conf" ||
    tap_fail "the outbox empties" "$(outbox imap "$conf")"

quit_ui "errand quits"
tap_eq "still once each" \
    "$(arrived Zug):$(arrived 'Re: Lunch'):$(arrived Retried)" "1:1:1"
tap_eq "the Sent copies once each" "$(in_sent "$mid"):$(in_sent "$rmid")" \
    "1:1"

# --- (c) POP3: offline compose, delivered once, the copy in the local Sent ------
net_down
run_ui "$pconf" pop
check_screen "POP3: the account is offline" "offline" 30
edit 'Sent from a POP3 account.'
compose "two@example.org" "Offline über POP3"
check_screen "POP3: it waits" "outbox: 1" 20
quit_ui "POP3: errand quits offline"
run_ui "$pconf" pop
check_screen "POP3: started again, still waiting" "outbox: 1" 20
check_screen "POP3: and offline" "offline" 30
net_up
if wait_until 90 outbox_empty pop "$pconf"; then
	tap_ok "POP3: the network back, the outbox empties"
else
	tap_fail "POP3: the network back, the outbox empties" \
	    "$(outbox pop "$pconf")"
fi
smtpd_wait_mail 4
tap_eq "POP3: delivered once" "$(arrived POP3)" 1
tap_eq "its Subject" "$(delivered POP3 'm["Subject"]')" "Offline über POP3"
tap_like "its body" "$(delivered POP3 'body')" "Sent from a POP3 account."
pmid=$(delivered POP3 'm["Message-ID"]')
# local_sent: the messages with Message-ID $pmid in the local Sent.
local_sent()
{
	python3 - "$work/pop/errand/$U/.Sent" "$pmid" <<'PY'
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], create=False)
print(sum(1 for m in md if m["Message-ID"] == sys.argv[2]))
PY
}
tap_eq "its copy in the local Sent, once" "$(local_sent)" 1
tap_eq "not in the server's Sent" "$(in_sent "$pmid")" 0
quit_ui "POP3: errand quits"
tap_eq "POP3: still once" "$(arrived POP3)" 1

tap_done
