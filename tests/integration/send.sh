# errand tests: errand send and errand outbox with sendmail-command (a
# script that records its stdin and arguments and exits as told) against a
# real Dovecot for the Sent copy and \Answered: sent at once, a temporary
# failure waits and errand push sends it once, a refusal is held with the
# command's words, send-delay keeps it for take back, and errand killed
# at each step of a send never sends twice.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "no python3"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/work
mkdir -p "$work/seed" "$work/got"
U=$DOVECOT_USER
export XDG_CACHE_HOME=$work/cache XDG_DATA_HOME=$work/data

# The MTA: each message as got/N.eml, its arguments as got/N.args; it
# exits with the number in $work/exit (0 when none) after printing the
# words in $work/words on stderr.
sm=$work/sendmail
cat >"$sm" <<EOF
#!/bin/sh
n=\$(ls "$work/got" | grep -c '\.eml\$')
cat >"$work/got/\$n.eml"
printf '%s\n' "\$@" >"$work/got/\$n.args"
[ -f "$work/words" ] && cat "$work/words" >&2
exit \$(cat "$work/exit" 2>/dev/null || echo 0)
EOF
chmod +x "$sm"
conf=$work/errand.conf
errand_write_config "$conf" imaps "sendmail-command = $sm -oi"
delayed=$work/delayed.conf
errand_write_config "$delayed" imaps "sendmail-command = $sm -oi" \
    "send-delay = 300"

# The message answered, in INBOX.
printf 'Date: Tue, 01 Jan 2019 10:00:00 +0000\r\nFrom: Alice <alice@example.org>\r\nTo: demo@example.org\r\nSubject: lunch?\r\nMessage-ID: <orig@send.test>\r\n\r\nlunch at noon?\r\n' \
    >"$work/seed/1"
dovecot_seed "$work/seed" INBOX

# oneline TEXT: its lines joined by ~, for a regular expression on all.
oneline()
{
	printf '%s\n' "$1" | tr '\n' '~'
}
run()
{
	out=$("$ERRAND" -c "$conf" "$@" 2>&1)
	rc=$?
}
# message NAME [HEADER...]: a reply to alice with Message-ID <NAME@send.test>.
message()
{
	_m=$1
	{
		printf 'From: Demo <demo@example.org>\n'
		printf 'To: Alice <alice@example.org>\n'
		printf 'Cc: bob@example.org\n'
		printf 'Bcc: carol@example.org\n'
		printf 'Subject: Re: lunch? (%s)\n' "$1"
		printf 'Message-ID: <%s@send.test>\n' "$1"
		shift
		for h in "$@"; do printf '%s\n' "$h"; done
		printf '\nyes, %s\n' "$_m"
	} >"$work/$_m.eml"
}
# times NAME: how many times the MTA got the message NAME.
times()
{
	grep -l "^Message-ID: <$1@send.test>" "$work"/got/*.eml 2>/dev/null |
	    wc -l | tr -d ' '
}
# in_sent NAME: how many copies Sent holds.
in_sent()
{
	dv_doveadm search -u "$U" mailbox Sent header message-id \
	    "<$1@send.test>" 2>/dev/null | wc -l | tr -d ' '
}
flags_orig()
{
	dv_doveadm -f flow fetch -u "$U" flags mailbox INBOX \
	    header message-id "<orig@send.test>" | sed 's/^flags=//'
}
id_of()
{
	printf '%s\n' "$out" | sed -n 's/^queued \([0-9a-z-]*\).*/\1/p' |
	    head -n 1
}

run sync demo
tap_eq "the cache holds INBOX" "$rc" 0

# Online: sent at once, Bcc a recipient but not in the copy.
message one "In-Reply-To: <orig@send.test>"
run send "$work/one.eml"
id=$(id_of)
tap_eq "send: queued then sent to 3" "$rc:$out" \
    "0:queued $id
sent $id to 3 recipients"
tap_eq "the MTA got it once" "$(times one)" 1
tap_eq "recipients as arguments, Bcc too" \
    "$(tr '\n' ' ' <"$work/got/0.args")" \
    "-oi alice@example.org bob@example.org carol@example.org "
tap_file_unlike "no Bcc in what went" "$work/got/0.eml" "^Bcc|carol"
tap_eq "a copy in Sent" "$(in_sent one)" 1
run outbox
tap_eq "the outbox is empty" "$rc:$out" "0:"
run push
tap_eq "push sends the \\Answered change" "$rc:$out" \
    "0:1 sent, 0 pending, 0 held"
tap_like "the original is answered" "$(flags_orig)" 'Answered'

# A temporary failure: it waits; push sends it, once.
echo 75 >"$work/exit"
echo "451 4.4.1 no answer from host" >"$work/words"
message two
run send "$work/two.eml"
id=$(id_of)
tap_eq "send 75: waits, with the words, exit 1" "$rc:$out" \
    "1:queued $id
waiting $id: sendmail-command exited with status 75: 451 4.4.1 no answer from host"
run outbox --list
tap_like "listed as retry" "$out" "^$id	retry in [0-9]+s	alice@example.org,bob@example.org,carol@example.org	Re: lunch\\? \\(two\\)	sendmail-command exited with status 75"
run push
tap_like "push while it still fails: waiting" "$rc:$out" \
    "^1:outbox: 0 sent, 1 waiting \\(sendmail-command exited with status 75: 451 4.4.1"
rm -f "$work/exit" "$work/words"
run push
tap_eq "push once the MTA takes it" "$rc:$out" \
    "0:outbox: 1 sent
0 sent, 0 pending, 0 held"
tap_eq "three attempts, delivered on the third" "$(times two)" 3
run push
tap_eq "push again: nothing more" "$rc:$out" "0:0 sent, 0 pending, 0 held"
tap_eq "still three" "$(times two)" 3
tap_eq "one copy in Sent" "$(in_sent two)" 1

# A refusal: held with the words, never sent again by itself.
echo 1 >"$work/exit"
echo "550 5.1.1 <bob@example.org>: no such user" >"$work/words"
message three
run send "$work/three.eml"
id=$(id_of)
tap_eq "send 1: held with the words" "$rc:$out" \
    "1:queued $id
held $id: sendmail-command exited with status 1: 550 5.1.1 <bob@example.org>: no such user"
rm -f "$work/exit" "$work/words"
run push
tap_eq "push leaves it held" "$rc:$(times three)" "0:1"
run outbox
tap_like "listed held with the words" "$out" "^$id	held	.*550 5.1.1"
run outbox --retry "$id"
tap_eq "--retry queues it" "$rc:$out" "0:queued $id again; errand push sends it"
run push
tap_like "and push sends it" "$rc:$out" "^0:outbox: 1 sent"
tap_eq "twice in all: the refusal and the send" "$(times three)" 2
run outbox --discard nosuch
tap_eq "discard of no message" "$rc:$out" \
    "1:errand: outbox: no message nosuch in the outbox"

# send-delay: it stays; take back returns the file, Bcc said.
message four
out=$("$ERRAND" -c "$delayed" send "$work/four.eml" 2>&1)
rc=$?
id=$(id_of)
tap_like "send with a delay: queued only" "$(oneline "$rc:$out")" \
    "^0:queued $id~sent after send-delay \\(300 s\\) .*~$"
out=$("$ERRAND" -c "$delayed" push 2>&1)
tap_eq "push within the delay sends nothing" "$(times four)" 0
out=$("$ERRAND" -c "$delayed" outbox 2>&1)
tap_like "listed as queued for later" "$out" "^$id	queued in [0-9]+s	"
out=$("$ERRAND" -c "$delayed" outbox --take-back "$id" 2>&1)
rc=$?
path=$(printf '%s\n' "$out" | head -n 1)
tap_eq "take back: the file and its Bcc" "$rc:$(printf '%s\n' "$out" |
    sed 1d)" "0:Bcc: carol@example.org"
tap_file_like "the file is the message" "$path" "^yes, four"
out=$("$ERRAND" -c "$delayed" outbox 2>&1)
tap_eq "the outbox is empty again" "$out" ""
tap_eq "never sent" "$(times four)" 0

# Killed at each step (ERRAND_OUTBOX_DIE_AT ends it as kill -9 would).
# After queuing: the next push sends it once.
message five
ERRAND_OUTBOX_DIE_AT=queued "$ERRAND" -c "$conf" send "$work/five.eml" \
    >/dev/null 2>&1
tap_eq "killed after queuing: by SIGKILL" "$?" 137
run push
tap_like "push sends it" "$out" "^outbox: 1 sent"
tap_eq "once" "$(times five)" 1
# Marked sending, before sendmail-command ran: nothing went, the next
# push sends it once.
message twelve
ERRAND_OUTBOX_DIE_AT=sending "$ERRAND" -c "$conf" send "$work/twelve.eml" \
    >/dev/null 2>&1
tap_eq "killed before the command: by SIGKILL" "$?" 137
run outbox
tap_like "queued again, not held" "$out" "	queued	"
run push
tap_like "push sends it" "$out" "^outbox: 1 sent"
tap_eq "once" "$(times twelve)" 1
# Marked dot (sendmail-command about to run): it may have gone: held, not
# resent.
message six
ERRAND_OUTBOX_DIE_AT=dot "$ERRAND" -c "$conf" send "$work/six.eml" \
    >/dev/null 2>&1
tap_eq "killed while sending: by SIGKILL" "$?" 137
run outbox
id=$(printf '%s\n' "$out" | cut -f 1)
tap_like "held as uncertain" "$out" \
    "	held	.*may have been sent: check Sent and use errand outbox --retry $id"
run push
tap_eq "push does not resend it" "$(times six)" 0
run outbox --retry "$id"
run push
tap_eq "sent once the user says so" "$(times six)" 1
# Killed while sending, and the server kept a copy in Sent: it was sent.
message nine
ERRAND_OUTBOX_DIE_AT=dot "$ERRAND" -c "$conf" send "$work/nine.eml" \
    >/dev/null 2>&1
tap_eq "killed while sending again: by SIGKILL" "$?" 137
dv_doveadm save -u "$U" -m Sent <"$work/nine.eml"
run push
tap_eq "found in Sent: recorded as sent, not resent" \
    "$rc:$(times nine):$(in_sent nine)" "0:0:1"
run outbox
tap_eq "and gone from the outbox" "$out" ""
# After the MTA took it, before the copy: the copy only, no resend.
message seven
ERRAND_OUTBOX_DIE_AT=sent "$ERRAND" -c "$conf" send "$work/seven.eml" \
    >/dev/null 2>&1
tap_eq "killed after sent: by SIGKILL" "$?" 137
tap_eq "the MTA has it once" "$(times seven)" 1
tap_eq "no copy yet" "$(in_sent seven)" 0
run push
tap_eq "push makes the copy, sends nothing" "$(times seven):$(in_sent seven)" \
    "1:1"
run outbox
tap_eq "and the outbox is empty" "$out" ""

# After the copy, before it left the outbox: not a second copy.
message ten
ERRAND_OUTBOX_DIE_AT=appended "$ERRAND" -c "$conf" send "$work/ten.eml" \
    >/dev/null 2>&1
tap_eq "killed after the copy: by SIGKILL" "$?" 137
tap_eq "sent once, one copy" "$(times ten):$(in_sent ten)" "1:1"
run push
tap_eq "push: still one copy, not resent" "$rc:$(times ten):$(in_sent ten)" \
    "0:1:1"
run outbox
tap_eq "the outbox is empty after it" "$out" ""

# Bad input.
printf 'From: demo@example.org\nSubject: nobody\n\nhi\n' >"$work/none.eml"
run send "$work/none.eml"
tap_eq "no recipients: said, exit 1" "$rc:$out" \
    "1:errand: send: cannot queue the message: no recipients (no address in To, Cc or Bcc)"
run send "$work/missing.eml"
tap_like "a missing file: named" "$rc:$out" "^1:errand: send: cannot read '.*missing.eml'"
run send a b
tap_like "two files: usage" "$rc:$out" "^2:errand: usage: errand send "
printf 'From: demo@example.org\nTo: x@example.org\nSubject: stdin\nMessage-ID: <eight@send.test>\n\nfrom stdin\n' |
    "$ERRAND" -c "$conf" send >/dev/null 2>&1
tap_eq "from stdin" "$?:$(times eight)" "0:1"

# A POP3 account: the copy goes to the local Maildir's Sent, and the
# answered message at home gets its R flag.
pconf=$work/pop3.conf
export XDG_CACHE_HOME=$work/pop3-cache XDG_DATA_HOME=$work/pop3-data
errand_write_config "$pconf" pop3s "sendmail-command = $sm -oi"
out=$("$ERRAND" -c "$pconf" sync 2>&1)
tap_eq "pop3: the message is home" "$?" 0
message eleven "In-Reply-To: <orig@send.test>"
out=$("$ERRAND" -c "$pconf" send "$work/eleven.eml" 2>&1)
tap_like "pop3: sent" "$(oneline "$?:$out")" "^0:queued [^~]*~sent "
tap_eq "pop3: the MTA got it once" "$(times eleven)" 1
home=$XDG_DATA_HOME/errand/$U
sent=$(grep -l "^Message-ID: <eleven@send.test>" "$home"/.Sent/new/* \
    "$home"/.Sent/cur/* 2>/dev/null | wc -l | tr -d ' ')
tap_eq "pop3: a copy in the local Sent" "$sent" 1
orig=$(grep -l "^Message-ID: <orig@send.test>" "$home"/cur/* \
    "$home"/new/* 2>/dev/null | head -n 1)
tap_like "pop3: the original is answered at home" "$orig" ':2,[A-Z]*R'

tap_done
