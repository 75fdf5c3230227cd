# errand tests: the IMAP operations the interface and live flag sync use
# (net/imap.c), against a real Dovecot through tests/proto/imap-driver:
# body fetch, STORE with UNCHANGEDSINCE, MOVE and its fallbacks, EXPUNGE,
# IDLE with another client's changes, folder changes with a non-ASCII name,
# STATUS and APPEND (from memory, and streamed from a file that may change
# under it). doveadm checks the server's side. RFC 3501, RFC 9051,
# RFC 4315 (UIDPLUS), RFC 6851 (MOVE), RFC 7162, RFC 2177 (IDLE), RFC 7888.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
driver=${IMAP_DRIVER:-$top_builddir/tests/proto/imap-driver}
[ -x "$driver" ] || tap_skip_all "no imap-driver at $driver"
dovecot_start || tap_skip_all "cannot start a private dovecot"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/errand-imap-ops.XXXXXX") || exit 1
errand_at_exit 'rm -rf "$tmp"'
U=$DOVECOT_USER

# Eight messages; message 3 has a longer body with 8-bit bytes.
mkdir "$tmp/seed"
for i in 1 2 3 4 5 6 7 8; do
	printf 'Date: Tue, 0%d Jan 2019 10:00:00 +0000\r\nFrom: Sender %d <s%d@example.org>\r\nTo: demo@example.org\r\nSubject: message %d\r\nMessage-ID: <ops%d@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nbody %d\r\n' \
	    "$i" "$i" "$i" "$i" "$i" "$i" >"$tmp/seed/$i"
done
for i in $(seq 1 200); do
	printf 'Grüße, line %d of a longer body: \342\202\254 \303\251\r\n' \
	    "$i" >>"$tmp/seed/3"
done
dovecot_seed "$tmp/seed" || tap_skip_all "cannot seed the mailbox"

# drive NAME [OPTION...] HOST PORT [COMMAND...]: run the driver; sets out, rc.
drive()
{
	_name=$1
	shift
	out=$("$driver" -a "$DOVECOT_CA" -p "$DOVECOT_PASSWORD_FILE" \
	    -d "$tmp/$_name.log" -t 10 "$@" 2>&1)
	rc=$?
}
H=127.0.0.1
P=$IMAPS_PORT

# flags_of MAILBOX UID: the flags doveadm sees.
flags_of()
{
	dv_doveadm -f flow fetch -u "$U" flags mailbox "$1" uid "$2" |
	    sed 's/^flags=//'
}
# count_of MAILBOX: messages doveadm sees.
count_of()
{
	dv_doveadm -f flow mailbox status -u "$U" messages "$1" |
	    sed 's/.*messages=//'
}

# --- body ------------------------------------------------------------------
drive body -x s $H $P body 3 0 "$tmp/body3" body 3 40 "$tmp/part3" \
    body 99 0 "$tmp/none" logout
tap_eq "body: exit 1 (the missing message)" "$rc" 1
size3=$(wc -c <"$tmp/seed/3" | tr -d ' ')
tap_like "body: whole message with its size" "$out" \
    "^body uid=3 len=$size3 size=$size3 partial=0\$"
dv_doveadm fetch -u "$U" text mailbox INBOX uid 3 | sed '1d' \
    >"$tmp/doveadm3"
tr -d '\r' <"$tmp/body3" >"$tmp/body3.lf"
tr -d '\r' <"$tmp/doveadm3" >"$tmp/doveadm3.lf"
if cmp -s "$tmp/body3.lf" "$tmp/doveadm3.lf"; then
	tap_ok "body: the bytes doveadm fetch gives"
else
	tap_fail "body: the bytes doveadm fetch gives" \
	    "$(diff "$tmp/body3.lf" "$tmp/doveadm3.lf" | head -n 10)"
fi
if cmp -s "$tmp/body3" "$tmp/seed/3"; then
	tap_ok "body: byte for byte what was delivered"
else
	tap_fail "body: byte for byte what was delivered"
fi
tap_like "body: partial fetch" "$out" \
    "^body uid=3 len=40 size=$size3 partial=1\$"
tap_eq "body: partial bytes are the start" "$(cat "$tmp/part3")" \
    "$(head -c 40 "$tmp/seed/3")"
tap_like "body: a missing message says so" "$out" \
    '^error body no: message 99 no longer exists$'
tap_like "body: session goes on after it" "$out" '^logout ok$'
tap_file_like "body: BODY.PEEK with a range" "$tmp/body.log" \
    '> a[0-9]+ UID FETCH 3 \(UID RFC822.SIZE BODY.PEEK\[\]<0.40>\)$'
tap_unlike "body: not marked seen" "$(flags_of INBOX 3)" 'Seen'

# --- store -----------------------------------------------------------------
drive store -x s $H $P store 1 + SF - 0 store 2 + - '$Label1 $Work' 0 \
    store 1 - F - 0 logout
tap_eq "store: exit 0" "$rc" 0
tap_eq "store: +FLAGS then -FLAGS" "$(flags_of INBOX 1)" '\Seen'
tap_eq "store: keywords" "$(flags_of INBOX 2)" '$Label1 $Work'
tap_file_like "store: silent" "$tmp/store.log" \
    '> a[0-9]+ UID STORE 1 \+FLAGS.SILENT \(\\\\Seen \\\\Flagged\)$'
tap_like "store: the new MODSEQ comes as a fetch event" "$out" \
    '^event fetch uid=1 .* modseq=[1-9]'
tap_like "store: nothing modified" "$out" '^store ok modified count=0$'

# UNCHANGEDSINCE with a modseq another client has moved past.
old=$(dv_doveadm -f flow fetch -u "$U" modseq mailbox INBOX uid 4 |
    sed 's/^modseq=//')
dv_doveadm flags add -u "$U" '\Answered' mailbox INBOX uid 4
drive cond -x s $H $P store 4 + F - "$old" store 5 + F - 999999 logout
tap_eq "unchangedsince: exit 0" "$rc" 0
tap_like "unchangedsince: MODIFIED names the message" "$out" \
    '^store ok modified count=1 4$'
tap_file_like "unchangedsince: sent" "$tmp/cond.log" \
    "> a[0-9]+ UID STORE 4 \\(UNCHANGEDSINCE $old\\) \\+FLAGS.SILENT \\(\\\\\\\\Flagged\\)\$"
tap_eq "unchangedsince: the refused change was not made" \
    "$(flags_of INBOX 4)" '\Answered'
tap_eq "unchangedsince: the allowed one was" "$(flags_of INBOX 5)" \
    '\Flagged'

# --- copy, move, expunge ----------------------------------------------------
drive move -x s $H $P move 1 Archive copy 2 Archive move 8 Nowhere logout
tap_eq "move: exit 1 (the missing folder)" "$rc" 1
tap_like "move: MOVE with COPYUID" "$out" \
    '^move ok how=move uidvalidity=[1-9][0-9]*$'
tap_like "move: COPYUID source" "$out" '^copyuid src count=1 1$'
tap_file_like "move: UID MOVE sent" "$tmp/move.log" \
    '> a[0-9]+ UID MOVE 1 "Archive"$'
tap_like "copy: COPY" "$out" '^copy ok how=copy uidvalidity=[1-9]'
tap_like "move: TRYCREATE in the message" "$out" \
    "^error move no: cannot move 1 message to 'Nowhere': \\[TRYCREATE\\] "
tap_eq "move: Archive has both" "$(count_of Archive)" 2
tap_eq "move: INBOX lost only the moved one" "$(count_of INBOX)" 7

drive movex -i MOVE -x s $H $P move 2 Archive logout
tap_eq "move without MOVE: exit 0" "$rc" 0
tap_like "move without MOVE: COPY, STORE, UID EXPUNGE" "$out" \
    '^move ok how=expunge uidvalidity=[1-9]'
tap_file_like "move without MOVE: UID EXPUNGE of the set" \
    "$tmp/movex.log" '> a[0-9]+ UID EXPUNGE 2$'
tap_file_like "move without MOVE: \\Deleted set" "$tmp/movex.log" \
    '> a[0-9]+ UID STORE 2 \+FLAGS.SILENT \(\\\\Deleted\)$'
tap_eq "move without MOVE: INBOX" "$(count_of INBOX)" 6
tap_eq "move without MOVE: Archive" "$(count_of Archive)" 3

dv_doveadm flags add -u "$U" '\Deleted' mailbox INBOX uid 6
drive moved -i MOVE,UIDPLUS -x s $H $P move 3 Archive logout
tap_eq "move without UIDPLUS: exit 0" "$rc" 0
tap_like "move without UIDPLUS: COPY and \\Deleted only" "$out" \
    '^move ok how=deleted '
tap_like "move without UIDPLUS: original kept, marked" "$(flags_of INBOX 3)" \
    'Deleted'
tap_eq "move without UIDPLUS: nothing expunged" "$(count_of INBOX)" 6

drive expunge -x s $H $P expunge 3 logout
tap_eq "expunge of a set: exit 0" "$rc" 0
tap_file_like "expunge of a set: UID EXPUNGE" "$tmp/expunge.log" \
    '> a[0-9]+ UID EXPUNGE 3$'
tap_like "expunge of a set: reported" "$out" '^event vanished count=1 3$'
tap_eq "expunge of a set: uid 6 (also \\Deleted) stays" "$(count_of INBOX)" 5
drive expall -i UIDPLUS -x s $H $P expunge - logout
tap_file_like "expunge without UIDPLUS: EXPUNGE" "$tmp/expall.log" \
    '> a[0-9]+ EXPUNGE$'
tap_eq "expunge without UIDPLUS: every \\Deleted one" "$(count_of INBOX)" 4

# --- idle ------------------------------------------------------------------
# INBOX now holds UIDs 4, 5, 7, 8. Another client flags 7 and expunges 8
# while the driver idles; then a NOOP during IDLE ends it first.
"$driver" -a "$DOVECOT_CA" -p "$DOVECOT_PASSWORD_FILE" -d "$tmp/idle.log" \
    -t 10 -x s $H $P idle waitfor fetch 1 10 waitfor gone 1 10 noop idle \
    idle-stop logout >"$tmp/idle.out" 2>&1 &
dpid=$!
errand_at_exit 'kill $dpid 2>/dev/null'
if wait_until 10 grep -q '^idle ok$' "$tmp/idle.out"; then
	tap_ok "idle: accepted"
else
	tap_fail "idle: accepted" "$(cat "$tmp/idle.out")"
fi
dv_doveadm flags add -u "$U" '\Flagged' mailbox INBOX uid 7
if wait_until 2 grep -q '^event fetch uid=7 .*flags=0x4 ' "$tmp/idle.out"
then
	tap_ok "idle: another client's flag within 2 s"
else
	tap_fail "idle: another client's flag within 2 s" "$(cat "$tmp/idle.out")"
fi
dv_doveadm expunge -u "$U" mailbox INBOX uid 8
if wait_until 2 grep -q '^event vanished count=1 8$' "$tmp/idle.out"; then
	tap_ok "idle: another client's expunge within 2 s"
else
	tap_fail "idle: another client's expunge within 2 s" \
	    "$(cat "$tmp/idle.out")"
fi
wait "$dpid"
tap_eq "idle: driver exit 0" "$?" 0
out=$(cat "$tmp/idle.out")
tap_like "idle: NOOP during IDLE worked" "$out" '^noop ok$'
tap_eq "idle: resumed afterwards" "$(grep -c '^idle ok$' "$tmp/idle.out")" 2
tap_like "idle: stopped" "$out" '^idle-stop idling=0$'
tap_like "idle: logout after it" "$out" '^logout ok$'
tap_eq "idle: DONE sent before NOOP" \
    "$(sed -n 's/.*> \(DONE\|a[0-9]* NOOP\)$/\1/p' "$tmp/idle.log" |
        sed 's/a[0-9]* //' | tr '\n' ' ')" "DONE NOOP DONE "

drive renew -R 1 -x s $H $P idle pause 3 idle-stop logout
tap_eq "idle renewal: exit 0" "$rc" 0
n=$(grep -c '> a[0-9]* IDLE$' "$tmp/renew.log")
if [ "$n" -ge 2 ]; then tap_ok "idle renewal: IDLE sent again ($n)"
else tap_fail "idle renewal: IDLE sent again" "$(cat "$tmp/renew.log")"; fi
drive noidle -i IDLE -x s $H $P idle noop logout
tap_like "idle not offered: says so" "$out" \
    '^error idle no: cannot idle: 127\.0\.0\.1 does not offer IDLE$'
tap_like "idle not offered: NOOP for polling" "$out" '^noop ok$'

# --- folders ---------------------------------------------------------------
name='Entwürfe/Ünïcødé & more'
drive folders -x '' $H $P create "$name" subscribe "$name" status "$name" \
    rename "$name" 'Entwürfe/Ünïcødé & less' unsubscribe \
    'Entwürfe/Ünïcødé & less' create 'Say "hi" to \ me' logout
tap_eq "folders: exit 0" "$rc" 0
tap_like "folders: created" "$out" '^create ok$'
tap_file_like "folders: sent in modified UTF-7" "$tmp/folders.log" \
    '> a[0-9]+ CREATE "Entw&APw-rfe/&ANw-n&AO8-c&APg-d&AOk- &- more"$'
tap_like "folders: status" "$out" \
    '^status total=0 unseen=0 uidnext=1 uidvalidity=[1-9][0-9]* highestmodseq=[0-9]+$'
list=$(dv_doveadm mailbox list -u "$U")
tap_like "folders: renamed, seen by doveadm" "$list" \
    '^Entwürfe/Ünïcødé & less$'
tap_unlike "folders: old name gone" "$list" '^Entwürfe/Ünïcødé & more$'
tap_like "folders: quotes and backslash quoted" "$list" \
    '^Say "hi" to \\ me$'
tap_file_like "folders: quoted on the wire" "$tmp/folders.log" \
    '> a[0-9]+ CREATE "Say \\\\"hi\\\\" to \\\\\\\\ me"$'
tap_unlike "folders: unsubscribed" "$(dv_doveadm mailbox list -u "$U" -s)" \
    'less'
drive folders2 -x '' $H $P subscribe 'Entwürfe/Ünïcødé & less' logout
tap_like "folders: subscribed, seen by doveadm" \
    "$(dv_doveadm mailbox list -u "$U" -s)" '^Entwürfe/Ünïcødé & less$'
drive folders3 -x '' $H $P delete 'Entwürfe/Ünïcødé & less' \
    delete 'Entwürfe/Ünïcødé & less' logout
tap_like "folders: deleted" "$out" '^delete ok$'
tap_like "folders: deleting again names it" "$out" \
    "^error delete no: cannot delete 'Entwürfe/Ünïcødé & less': "
tap_unlike "folders: gone for doveadm" "$(dv_doveadm mailbox list -u "$U")" \
    'less'

# --- append ----------------------------------------------------------------
cp "$tmp/seed/3" "$tmp/new.eml"
drive append -x '' $H $P append Drafts ST "$tmp/new.eml" logout
tap_eq "append LITERAL+: exit 0" "$rc" 0
tap_like "append LITERAL+: APPENDUID" "$out" \
    '^append ok uidvalidity=[1-9][0-9]* uid=1$'
tap_file_like "append LITERAL+: non-synchronising" "$tmp/append.log" \
    "> a[0-9]+ APPEND \"Drafts\" \\(\\\\\\\\Seen \\\\\\\\Draft\\) \\{$size3\\+\\}"
tap_like "append LITERAL+: flags set" "$(flags_of Drafts 1)" '^\\Seen \\Draft( |$)'
dv_doveadm fetch -u "$U" text mailbox Drafts uid 1 | sed '1d' |
    tr -d '\r' >"$tmp/drafts1.lf"
tr -d '\r' <"$tmp/new.eml" >"$tmp/new.lf"
if cmp -s "$tmp/drafts1.lf" "$tmp/new.lf"; then
	tap_ok "append LITERAL+: the bytes arrived"
else
	tap_fail "append LITERAL+: the bytes arrived"
fi
drive appendsync -i LITERAL+,LITERAL- -x '' $H $P \
    append Drafts - "$tmp/new.eml" append Nowhere - "$tmp/new.eml" logout
tap_like "append synchronising: APPENDUID" "$out" \
    '^append ok uidvalidity=[1-9][0-9]* uid=2$'
tap_file_like "append synchronising: waited for +" "$tmp/appendsync.log" \
    "> a[0-9]+ APPEND \"Drafts\" \\(\\) \\{$size3\\}\$"
tap_file_like "append synchronising: continuation seen" \
    "$tmp/appendsync.log" '< \+ '
tap_like "append: a missing folder says so" "$out" \
    "^error append no: cannot append to 'Nowhere': \\[TRYCREATE\\] "
tap_like "append: session goes on" "$out" '^logout ok$'
tap_eq "append: two in Drafts" "$(count_of Drafts)" 2

# A message of 6 MB streamed from its file (imap_append_file), with LITERAL+
# and synchronising: the bytes arrive whole. A file that shrinks or grows
# after its size went out drops the connection and saves nothing.
{
	printf 'Date: Tue, 01 Jan 2019 10:00:00 +0000\r\nFrom: demo@example.org\r\n'
	printf 'To: demo@example.org\r\nSubject: big\r\nMessage-ID: <big@example.org>\r\n'
	printf 'MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n'
	printf 'Content-Transfer-Encoding: base64\r\n\r\n'
	head -c 4500000 /dev/urandom | base64 -w 76 | sed 's/$/\r/'
} >"$tmp/big.eml"
sizebig=$(wc -c <"$tmp/big.eml" | tr -d ' ')
tr -d '\r' <"$tmp/big.eml" >"$tmp/big.lf"
# same_as_big UID: Drafts' message UID is big.eml, byte for byte.
same_as_big()
{
	dv_doveadm fetch -u "$U" text mailbox Drafts uid "$1" | sed '1d' |
	    tr -d '\r' >"$tmp/drafts$1.lf"
	cmp -s "$tmp/drafts$1.lf" "$tmp/big.lf"
}
drive appendfile -x '' $H $P appendfile Drafts S "$tmp/big.eml" = logout
tap_like "append file LITERAL+: APPENDUID" "$out" \
    '^append ok uidvalidity=[1-9][0-9]* uid=3$'
tap_file_like "append file LITERAL+: non-synchronising" \
    "$tmp/appendfile.log" "> a[0-9]+ APPEND \"Drafts\" \\(\\\\\\\\Seen\\) \\{$sizebig\\+\\}\$"
tap_file_like "append file LITERAL+: logged as a summary" \
    "$tmp/appendfile.log" "> <message of $sizebig bytes>\$"
if same_as_big 3; then
	tap_ok "append file LITERAL+: the bytes arrived"
else
	tap_fail "append file LITERAL+: the bytes arrived"
fi
drive appendfilesync -i LITERAL+,LITERAL- -x '' $H $P \
    appendfile Drafts - "$tmp/big.eml" = noop logout
tap_like "append file synchronising: APPENDUID" "$out" \
    '^append ok uidvalidity=[1-9][0-9]* uid=4$'
tap_file_like "append file synchronising: waited for +" \
    "$tmp/appendfilesync.log" "> a[0-9]+ APPEND \"Drafts\" \\(\\) \\{$sizebig\\}\$"
tap_like "append file synchronising: a command after it" "$out" '^noop ok$'
if same_as_big 4; then
	tap_ok "append file synchronising: the bytes arrived"
else
	tap_fail "append file synchronising: the bytes arrived"
fi
cp "$tmp/big.eml" "$tmp/shrink.eml"
drive appendshrink -x '' $H $P appendfile Drafts - "$tmp/shrink.eml" shrink \
    logout
tap_like "append file shrunk: the error says so" "$out" \
    "^error append conn: cannot append to 'Drafts': the message file shrank from $sizebig to $((sizebig / 2)) bytes while it was sent; the connection to 127\\.0\\.0\\.1 is dropped, as a literal cannot be cut short\$"
cp "$tmp/big.eml" "$tmp/grow.eml"
drive appendgrow -i LITERAL+,LITERAL- -x '' $H $P \
    appendfile Drafts - "$tmp/grow.eml" grow logout
tap_like "append file grown: the error says so" "$out" \
    "^error append conn: cannot append to 'Drafts': the message file grew past $sizebig bytes while it was sent; the connection to 127\\.0\\.0\\.1 is dropped"
tap_eq "append file changed: nothing saved" "$(count_of Drafts)" 4

tap_done
