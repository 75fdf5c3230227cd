# errand tests: sync into the cache against the real Dovecot. Cold sync,
# warm sync that sends no full FETCH under QRESYNC, changes made by another
# client (doveadm) picked up, UIDVALIDITY change, non-ASCII folder names,
# CONDSTORE-only and plain modes giving the same cache, offline answers.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/work
mkdir -p "$work/mail"
python3 "$top_srcdir/demo/generate-mail.py" -n 60 --now 2026-06-01 \
    "$work/mail" >/dev/null
dovecot_seed "$work/mail" INBOX
nmsg=$(ls "$work/mail" | wc -l)

conf=$work/errand.conf
errand_write_config "$conf" imaps
export XDG_CACHE_HOME=$work/cache
log=$work/proto.log

# sync_out ARGS...: run errand sync, keep stdout in $out, status in $rc.
sync_out()
{
	out=$("$ERRAND" -c "$conf" -d "$log" sync "$@" 2>"$work/err"); rc=$?
}

: >"$log"
sync_out demo INBOX
tap_eq "cold sync exits 0" "$rc" 0
tap_like "cold sync fetches every message" "$out" \
    "^INBOX: $nmsg new, 0 changed, 0 vanished"
lines=$("$ERRAND" -c "$conf" list --offline INBOX | wc -l)
tap_eq "list --offline shows every message" "$lines" "$nmsg"

: >"$log"
sync_out demo INBOX
tap_like "warm sync: nothing new" "$out" \
    "^INBOX: 0 new, 0 changed, 0 vanished \(qresync\)"
tap_file_like "warm sync selects with QRESYNC" "$log" ' > [^ ]+ SELECT .*QRESYNC'
tap_file_unlike "warm sync sends no full FETCH" "$log" '> .*FETCH 1:\*'
tap_file_unlike "warm sync fetches no headers" "$log" '> .*HEADER\.FIELDS'

# Another device: flag one, mark one read, expunge one, deliver one.
dv_doveadm flags add -u demo '\Flagged' mailbox INBOX uid 3
dv_doveadm flags add -u demo '\Seen' mailbox INBOX uid 4
dv_doveadm expunge -u demo mailbox INBOX uid 5
printf 'From: Late Sender <late@example.org>\r\nTo: demo@example.org\r\nSubject: =?UTF-8?B?R3LDvMOfZQ==?= late\r\nDate: Mon, 1 Jun 2026 12:00:00 +0000\r\nMessage-ID: <late@example.org>\r\n\r\nhi\r\n' |
    dv_doveadm save -u demo -m INBOX
sync_out demo INBOX
tap_like "changes by another client are picked up" "$out" \
    "^INBOX: 1 new, 2 changed, 1 vanished \(qresync\)"
list=$("$ERRAND" -c "$conf" list --offline INBOX)
tap_like "flagged message shows !" "$list" "^3	N?!	"
tap_like "read message loses N" "$list" "^4	-	"
tap_unlike "expunged message is gone" "$list" "^5	"
tap_like "new message listed first with decoded subject" \
    "$(printf '%s\n' "$list" | head -n 1)" "	Late Sender	Grüße late$"

# The same final cache from CONDSTORE-only and plain servers.
for mode in condstore plain; do
	case $mode in
	condstore) disable="imap-disable = QRESYNC" ;;
	plain) disable="imap-disable = QRESYNC CONDSTORE" ;;
	esac
	errand_write_config "$work/$mode.conf" imaps "$disable"
	XDG_CACHE_HOME=$work/cache-$mode "$ERRAND" -c "$work/$mode.conf" \
	    sync demo INBOX >/dev/null 2>&1
	dv_doveadm flags remove -u demo '\Flagged' mailbox INBOX uid 3
	dv_doveadm expunge -u demo mailbox INBOX uid 6
	out=$(XDG_CACHE_HOME=$work/cache-$mode "$ERRAND" -c \
	    "$work/$mode.conf" -d "$work/$mode.log" sync demo INBOX 2>&1)
	tap_like "$mode: changes picked up" "$out" \
	    "^INBOX: 0 new, 1 changed, 1 vanished \($mode|full\)"
	sync_out demo INBOX
	a=$(XDG_CACHE_HOME=$work/cache-$mode "$ERRAND" -c "$work/$mode.conf" \
	    list --offline INBOX)
	b=$("$ERRAND" -c "$conf" list --offline INBOX)
	tap_eq "$mode: same cache as with QRESYNC" "$a" "$b"
	tap_file_unlike "$mode: no QRESYNC used" "$work/$mode.log" \
	    ' > [^ ]+ (SELECT|EXAMINE) .*QRESYNC'
	# Put things back for the next mode.
	dv_doveadm flags add -u demo '\Flagged' mailbox INBOX uid 3
done

# Non-ASCII folder names round-trip through modified UTF-7.
dv_doveadm mailbox create -u demo 'Entwürfe'
dv_doveadm mailbox create -u demo 'Отправленные'
printf 'From: a@example.org\r\nSubject: in a folder\r\n\r\nx\r\n' |
    dv_doveadm save -u demo -m 'Entwürfe'
folders=$("$ERRAND" -c "$conf" folders)
tap_like "folders lists a decoded German name" "$folders" "^Entwürfe	1	1$"
tap_like "folders lists a decoded Cyrillic name" "$folders" \
    "^Отправленные	0	0$"
tap_like "folders lists INBOX first" "$(printf '%s\n' "$folders" | head -n 1)" \
    "^INBOX	"
sync_out demo 'Entwürfe'
tap_like "a non-ASCII folder syncs by its decoded name" "$out" \
    "^Entwürfe: 1 new"
tap_like "its message lists" \
    "$("$ERRAND" -c "$conf" list --offline 'Entwürfe')" "	in a folder$"

# A recreated mailbox has a new UIDVALIDITY: the cache is rebuilt.
dv_doveadm mailbox create -u demo Again
printf 'Subject: one\r\n\r\nx\r\n' | dv_doveadm save -u demo -m Again
sync_out demo Again
dv_doveadm mailbox delete -u demo Again
dv_doveadm mailbox create -u demo Again
printf 'Subject: two\r\n\r\nx\r\n' | dv_doveadm save -u demo -m Again
sync_out demo Again
tap_like "new UIDVALIDITY rebuilds the folder" "$out" \
    "^Again: 1 new, 0 changed, 0 vanished, cache rebuilt"
list=$("$ERRAND" -c "$conf" list --offline Again)
tap_like "rebuilt folder has the new message" "$list" "	two$"
tap_unlike "rebuilt folder lost the old one" "$list" "	one$"

# Offline: the server cannot be reached; the cache answers.
errand_write_config "$work/off.conf" imaps
sed -i "s/:$IMAPS_PORT/:1/" "$work/off.conf"
out=$("$ERRAND" -c "$work/off.conf" list INBOX 2>"$work/err"); rc=$?
tap_eq "offline list exits 0" "$rc" 0
tap_like "offline list says why on stderr" "$(cat "$work/err")" \
    '^errand: offline: .*refused'
tap_eq "offline list shows the cache" "$(printf '%s\n' "$out" | wc -l)" \
    "$("$ERRAND" -c "$conf" list --offline INBOX | wc -l)"
out=$("$ERRAND" -c "$work/off.conf" folders 2>/dev/null); rc=$?
tap_eq "offline folders exits 0" "$rc" 0
tap_like "offline folders shows the cache" "$out" "^INBOX	"
out=$(XDG_CACHE_HOME=$work/none "$ERRAND" -c "$work/off.conf" list INBOX \
    2>&1); rc=$?
tap_eq "offline without a cache fails" "$rc" 1

# A TLS failure is not "offline": it is an error.
errand_write_config "$work/tls.conf" imaps
sed -i '/^ca-file/d' "$work/tls.conf"
out=$("$ERRAND" -c "$work/tls.conf" list INBOX 2>&1); rc=$?
tap_eq "TLS failure: exit 1" "$rc" 1
tap_like "TLS failure: named" "$out" 'certificate verify failed'

tap_done
