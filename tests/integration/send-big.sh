# errand tests: the copy in Sent of a large message (a 16 MB attachment)
# against a real Dovecot, once with LITERAL+ and once on a server that does
# not offer it (imap_capability without it: APPEND waits for '+'). The copy
# arrives byte for byte (doveadm fetch), and errand send's peak RSS stays
# under its idle peak plus 3/4 of the message: the copy is streamed from
# the outbox file, never held whole (a figure, not a time: not flaky).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v python3 >/dev/null 2>&1 || tap_skip_all "no python3"
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/errand-send-big.XXXXXX") || exit 1
errand_at_exit 'rm -rf "$tmp"'
export XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data

# The MTA takes the message and forgets it.
sm=$tmp/sendmail
printf '#!/bin/sh\ncat >/dev/null\n' >"$sm"
chmod +x "$sm"

# big NAME: a message with Message-ID <NAME@big.test>, CRLF lines, no Bcc
# (the outbox keeps it as it is), a 16 MB attachment in base64.
big()
{
	{
		printf 'Date: Tue, 01 Jan 2019 10:00:00 +0000\r\n'
		printf 'From: Demo <demo@example.org>\r\n'
		printf 'To: Alice <alice@example.org>\r\n'
		printf 'Subject: big %s\r\n' "$1"
		printf 'Message-ID: <%s@big.test>\r\n' "$1"
		printf 'MIME-Version: 1.0\r\n'
		printf 'Content-Type: application/octet-stream\r\n'
		printf 'Content-Transfer-Encoding: base64\r\n\r\n'
		head -c 16000000 /dev/urandom | base64 -w 76 | sed 's/$/\r/'
	} >"$tmp/$1.eml"
}
# peak CMD...: run CMD, set out and rc, and peak to its peak RSS in kB.
# Under ASan freed memory is held back (its quarantine) and so stays
# resident: none is held, so that the figure is what the program keeps.
peak()
{
	out=$(ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
	    python3 -c '
import resource, subprocess, sys
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE,
    stderr=subprocess.STDOUT)
sys.stdout.write(p.stdout.decode("utf-8", "replace"))
print("rc=%d peak=%d" % (p.returncode,
    resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
' "$@")
	peak=$(printf '%s\n' "$out" | sed -n 's/^rc=[0-9]* peak=//p')
	rc=$(printf '%s\n' "$out" | sed -n 's/^rc=\([0-9]*\) peak=.*/\1/p')
	out=$(printf '%s\n' "$out" | sed '/^rc=[0-9]* peak=/d')
}
# same_in_sent NAME: Sent's copy of NAME is NAME.eml, byte for byte.
same_in_sent()
{
	dv_doveadm fetch -u "$DOVECOT_USER" text mailbox Sent header \
	    message-id "<$1@big.test>" | sed '1d' | tr -d '\r' >"$tmp/$1.got"
	tr -d '\r' <"$tmp/$1.eml" >"$tmp/$1.lf"
	cmp -s "$tmp/$1.got" "$tmp/$1.lf"
}

# round NAME: send NAME with a copy in Sent and check it.
round()
{
	conf=$tmp/$1.conf
	errand_write_config "$conf" imaps "sendmail-command = $sm"
	"$ERRAND" -c "$conf" sync "$DOVECOT_USER" >/dev/null 2>&1
	peak "$ERRAND" -c "$conf" outbox
	idle=$peak
	big "$1"
	size=$(wc -c <"$tmp/$1.eml" | tr -d ' ')
	peak "$ERRAND" -c "$conf" -d "$tmp/$1.log" send "$tmp/$1.eml"
	tap_like "$1: sent" "$rc:$out" "^0:queued [^ ]+
sent [^ ]+ to 1 recipient"
	tap_eq "$1: the outbox is empty (the copy made)" \
	    "$("$ERRAND" -c "$conf" outbox 2>&1)" ""
	if same_in_sent "$1"; then
		tap_ok "$1: the copy in Sent is the message, byte for byte"
	else
		tap_fail "$1: the copy in Sent is the message, byte for byte"
	fi
	if [ "$peak" -lt $((idle + size * 3 / 4096)) ]; then
		tap_ok "$1: peak RSS ${peak} kB, idle ${idle} kB, message $((size / 1024)) kB"
	else
		tap_fail "$1: peak RSS ${peak} kB, over idle ${idle} kB + 3/4 of the message ($((size * 3 / 4096)) kB)"
	fi
}

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
round literalplus
tap_file_like "literalplus: a non-synchronising literal" "$tmp/literalplus.log" \
    "> a[0-9]+ APPEND \"Sent\" \\(\\\\\\\\Seen\\) \\{$size\\+\\}\$"
dovecot_stop

# A server without LITERAL+ (nor LITERAL-): the literal waits for '+'.
DOVECOT_EXTRA_CONF='protocol imap {
  imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE NAMESPACE UIDPLUS CHILDREN UNSELECT LIST-EXTENDED LIST-STATUS SPECIAL-USE ESEARCH MOVE CONDSTORE QRESYNC
}'
export DOVECOT_EXTRA_CONF
dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
round synchronising
tap_file_like "synchronising: APPEND waited for the '+'" \
    "$tmp/synchronising.log" \
    "> a[0-9]+ APPEND \"Sent\" \\(\\\\\\\\Seen\\) \\{$size\\}\$"
tap_file_like "synchronising: the '+' came" "$tmp/synchronising.log" '< \+ '
tap_file_unlike "synchronising: no LITERAL+ offered" "$tmp/synchronising.log" \
    '< \* CAPABILITY .*LITERAL\+'
tap_done
