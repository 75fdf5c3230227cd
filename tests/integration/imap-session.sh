# errand tests: the IMAP session (net/imap.c) against a real Dovecot, through
# tests/proto/imap-driver ($IMAP_DRIVER): login over imaps and over
# imap+STARTTLS, LIST with special use and a non-ASCII folder name, SELECT,
# a header fetch of seeded mail, QRESYNC reporting VANISHED after another
# client expunged, CHANGEDSINCE seeing flags another client set, and the
# fallbacks when QRESYNC, CONDSTORE, LIST-EXTENDED and ESEARCH are ignored.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
driver=${IMAP_DRIVER:-$top_builddir/tests/proto/imap-driver}
[ -x "$driver" ] || tap_skip_all "no imap-driver at $driver"
dovecot_start || tap_skip_all "cannot start a private dovecot"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/errand-imap-session.XXXXXX") || exit 1
errand_at_exit 'rm -rf "$tmp"'
password=$(head -n 1 "$DOVECOT_PASSWORD_FILE")

# Five messages with known subjects, and a folder with a non-ASCII name.
mkdir "$tmp/seed"
for i in 1 2 3 4 5; do
	printf 'Date: Tue, 0%d Jan 2019 10:00:00 +0000\r\nFrom: Sender %d <s%d@example.org>\r\nTo: demo@example.org\r\nSubject: seeded message %d\r\nMessage-ID: <seed%d@example.org>\r\n\r\nbody %d\r\n' \
	    "$i" "$i" "$i" "$i" "$i" "$i" >"$tmp/seed/$i"
done
dovecot_seed "$tmp/seed" || tap_skip_all "cannot seed the mailbox"
dv_doveadm mailbox create -u "$DOVECOT_USER" 'Entwürfe'

# drive NAME [OPTION...]: run the driver as the demo user; sets out, rc.
drive()
{
	_name=$1
	shift
	out=$("$driver" -a "$DOVECOT_CA" -p "$DOVECOT_PASSWORD_FILE" \
	    -d "$tmp/$_name.log" -t 10 "$@" 2>&1)
	rc=$?
}

drive imaps -M plain -x lsfFuo 127.0.0.1 "$IMAPS_PORT"
tap_eq "imaps: exit 0" "$rc" 0
tap_like "imaps: TLS" "$out" '^connected tls=TLSv1\.[23] '
tap_like "imaps: QRESYNC and CONDSTORE enabled" "$out" \
    '^connected .* enabled=0x600$'
tap_like "list: Sent has special use" "$out" \
    '^folder raw=Sent name=Sent delim=/ special=\\Sent subscribed=1 noselect=0 total=0 unseen=0$'
tap_like "list: Archive, Drafts, Junk, Trash special" "$out" \
    'special=\\Archive'
tap_like "list: non-ASCII name decoded" "$out" \
    '^folder raw=Entw&APw-rfe name=Entwürfe delim=/ special=- '
tap_like "list: INBOX counts from LIST-STATUS" "$out" \
    '^folder raw=INBOX name=INBOX .* total=5 unseen=5$'
tap_like "select: counts and modseq" "$out" \
    '^selected uidvalidity=[0-9]+ uidnext=6 exists=5 highestmodseq=[1-9][0-9]* nomodseq=0 qresync=0 readonly=0$'
tap_eq "fetch: five messages" "$(printf '%s\n' "$out" | grep -c '^msg ')" 5
tap_like "fetch: headers, date and size" "$out" \
    '^msg uid=3 seq=3 flags=0x20 keywords=- modseq=[1-9][0-9]* date=1546509600 size=[0-9]+ header=[0-9]+ subject=seeded message 3$'
tap_eq "flags: five messages" "$(printf '%s\n' "$out" | grep -c '^flags uid=')" 5
tap_like "search: every UID" "$out" '^uids count=5 1:5$'
tap_like "logout" "$out" '^logout ok$'
tap_file_like "imaps: AUTHENTICATE PLAIN with SASL-IR, logged as secret" \
    "$tmp/imaps.log" '> a1 AUTHENTICATE PLAIN <secret>$'
tap_file_unlike "imaps: password not in the log" "$tmp/imaps.log" "$password"
tap_file_like "imaps: ENABLE sent" "$tmp/imaps.log" \
    '> a[0-9]+ ENABLE CONDSTORE QRESYNC$'
tap_file_like "imaps: LIST-EXTENDED with STATUS" "$tmp/imaps.log" \
    '> a[0-9]+ LIST "" "\*" RETURN \(SUBSCRIBED SPECIAL-USE STATUS \(MESSAGES UNSEEN\)\)$'
uidvalidity=$(printf '%s\n' "$out" | sed -n 's/^selected uidvalidity=\([0-9]*\) .*/\1/p')
modseq=$(printf '%s\n' "$out" | sed -n 's/^selected .* highestmodseq=\([0-9]*\) .*/\1/p')

drive starttls -S -x lso 127.0.0.1 "$IMAP_PORT"
tap_eq "imap+STARTTLS: exit 0" "$rc" 0
tap_like "imap+STARTTLS: TLS" "$out" '^connected tls=TLSv1\.[23] '
tap_file_like "imap+STARTTLS: STARTTLS before login" "$tmp/starttls.log" \
    '> a1 STARTTLS$'
tap_file_unlike "imap+STARTTLS: password not in the log" \
    "$tmp/starttls.log" "$password"

# The other device expunges one message and flags another.
dv_doveadm expunge -u "$DOVECOT_USER" mailbox INBOX uid 2
dv_doveadm flags add -u "$DOVECOT_USER" '\Flagged $Forwarded' mailbox INBOX uid 4

drive qresync -Q "$uidvalidity:$modseq:1:5" -C "$modseq" -x sFuo \
    127.0.0.1 "$IMAPS_PORT"
tap_eq "QRESYNC: exit 0" "$rc" 0
tap_like "QRESYNC: SELECT used it" "$out" \
    '^selected uidvalidity=[0-9]+ uidnext=6 exists=4 .* qresync=1 '
tap_like "QRESYNC: VANISHED (EARLIER) names the expunged UID" "$out" \
    '^event vanished earlier count=1 2$'
tap_like "QRESYNC: the flag change comes with the select" "$out" \
    '^event fetch uid=4 seq=3 flags=0x4 keywords=\$Forwarded modseq=[0-9]+$'
tap_like "CHANGEDSINCE: only the changed message" "$out" \
    '^flags uid=4 seq=3 flags=0x4 keywords=\$Forwarded modseq=[0-9]+$'
tap_eq "CHANGEDSINCE: one message" \
    "$(printf '%s\n' "$out" | grep -c '^flags uid=')" 1
tap_like "search after expunge" "$out" '^uids count=4 1,3:5$'
tap_file_like "QRESYNC: sent with the known UIDs" "$tmp/qresync.log" \
    "> a[0-9]+ SELECT \"INBOX\" \\(QRESYNC \\($uidvalidity $modseq 1:5\\)\\)\$"

# Without QRESYNC, CONDSTORE, LIST-EXTENDED, ESEARCH and AUTH=PLAIN.
drive plain -L -i QRESYNC,CONDSTORE,LIST-EXTENDED,ESEARCH,AUTH=PLAIN \
    -x lsFuo 127.0.0.1 "$IMAPS_PORT"
tap_eq "fallbacks: exit 0" "$rc" 0
tap_file_like "fallbacks: LOGIN" "$tmp/plain.log" '> a1 LOGIN "demo" <secret>$'
tap_file_like "fallbacks: LSUB" "$tmp/plain.log" '> a[0-9]+ LSUB "" "\*"$'
tap_file_like "fallbacks: STATUS per folder" "$tmp/plain.log" \
    '> a[0-9]+ STATUS "Entw&APw-rfe" \(MESSAGES UNSEEN\)$'
tap_like "fallbacks: subscribed from LSUB" "$out" \
    '^folder raw=Trash name=Trash delim=/ special=\\Trash subscribed=1 '
tap_like "fallbacks: counts from STATUS" "$out" \
    '^folder raw=INBOX name=INBOX .* total=4 unseen=4$'
tap_like "fallbacks: plain SELECT, no modseq" "$out" \
    '^selected .* highestmodseq=0 nomodseq=1 qresync=0 '
tap_file_like "fallbacks: plain SELECT sent" "$tmp/plain.log" \
    '> a[0-9]+ SELECT "INBOX"$'
tap_eq "fallbacks: every flag fetched" \
    "$(printf '%s\n' "$out" | grep -c '^flags uid=')" 4
tap_like "fallbacks: UID SEARCH ALL" "$out" '^uids count=4 1,3:5$'

# A folder that does not exist: NO, and the session goes on.
drive nobox -m Nonexistent -x so 127.0.0.1 "$IMAPS_PORT"
tap_like "select of a missing folder: the server's text" "$out" \
    "^error select no: cannot select 'Nonexistent': "
tap_like "select of a missing folder: session goes on" "$out" '^logout ok$'

# A wrong password.
printf 'wrong\n' >"$tmp/wrong.pw"
out=$("$driver" -a "$DOVECOT_CA" -p "$tmp/wrong.pw" -t 10 -x o 127.0.0.1 \
    "$IMAPS_PORT" 2>&1)
tap_like "wrong password: auth error" "$out" \
    '^error connect auth: login refused by 127\.0\.0\.1: \[AUTHENTICATIONFAILED\] Authentication failed\.$'

tap_done
