# errand tests: COMPRESS=DEFLATE (RFC 4978) against the harness's Dovecot
# with imap_zlib. compress = yes turns it on (the protocol log shows it
# asked, the server agreed, and fewer bytes on the wire than inflated);
# auto leaves it off on loopback and errand check says why; a folder synced
# through compression equals the same folder synced without.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
dovecot_start || tap_skip_all "cannot start a private dovecot"
[ -e /usr/lib/dovecot/modules/lib30_imap_zlib_plugin.so ] ||
	tap_skip_all "Dovecot's imap_zlib plugin is not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/errand-compress.XXXXXX") || exit 1
errand_at_exit 'rm -rf "$tmp"'

# Forty messages with bodies that compress, in INBOX.
mkdir -p "$tmp/seed"
i=1
while [ $i -le 40 ]; do
	{
		printf 'From: Sender %d <s%d@example.org>\n' $i $i
		printf 'To: demo@example.org\n'
		printf 'Subject: compressible %d\n' $i
		printf 'Message-ID: <c%d@example.org>\n' $i
		printf 'Date: Mon, 1 Jan 2024 10:%02d:00 +0000\n\n' $((i % 60))
		j=0
		while [ $j -lt 20 ]; do
			printf 'Line %d of message %d, the same words again.\n' $j $i
			j=$((j + 1))
		done
	} >"$tmp/seed/m$i"
	i=$((i + 1))
done
dovecot_seed "$tmp/seed" || tap_skip_all "cannot seed the mailbox"
dv_doveadm flags add '\Seen' mailbox INBOX 1:10 >/dev/null 2>&1

# sync NAME COMPRESS: errand sync of INBOX into $tmp/NAME; sets out, rc.
sync_one()
{
	errand_write_config "$tmp/$1.conf" imaps "compress = $2"
	out=$(XDG_CACHE_HOME=$tmp/$1/cache XDG_DATA_HOME=$tmp/$1/data \
	    "$ERRAND" -c "$tmp/$1.conf" -d "$tmp/$1.log" sync 2>&1)
	rc=$?
}
# list NAME: what the cache of NAME holds for INBOX, flags and all.
list()
{
	XDG_CACHE_HOME=$tmp/$1/cache XDG_DATA_HOME=$tmp/$1/data "$ERRAND" \
	    -c "$tmp/$1.conf" list -a "$DOVECOT_USER" --offline INBOX 2>&1
}

sync_one zip yes
tap_eq "compress = yes: sync exit 0 ($out)" "$rc" 0
tap_file_like "compress = yes: asked for" "$tmp/zip.log" \
    '> a[0-9]+ COMPRESS DEFLATE$'
tap_file_like "compress = yes: the server agreed" "$tmp/zip.log" \
    '< a[0-9]+ OK .*compression'
tap_file_like "compress = yes: headers came through it" "$tmp/zip.log" \
    'Subject: compressible 40'
bytes=$(sed -n 's/.*DEFLATE: received \([0-9]*\) bytes as \([0-9]*\),.*/\1 \2/p' \
    "$tmp/zip.log" | tail -n 1)
raw=${bytes% *} wire=${bytes#* }
if [ -n "$bytes" ] && [ "$raw" -gt 0 ] && [ "$wire" -lt "$raw" ]; then
	tap_ok "compress = yes: fewer bytes on the wire ($wire) than inflated ($raw)"
else
	tap_fail "compress = yes: fewer bytes on the wire than inflated" \
	    "got '$bytes'"
fi

sync_one plain no
tap_eq "compress = no: sync exit 0 ($out)" "$rc" 0
tap_file_unlike "compress = no: never asked for" "$tmp/plain.log" \
    '> a[0-9]+ COMPRESS'
a=$(list zip)
b=$(list plain)
tap_like "the folder synced lists 40 messages" "$a" 'compressible 40'
tap_eq "synced through compression equals synced without" "$a" "$b"

sync_one auto auto
tap_eq "compress = auto: sync exit 0 ($out)" "$rc" 0
tap_file_like "compress = auto: off on loopback" "$tmp/auto.log" \
    'compression off: the server is on a loopback address'
tap_file_unlike "compress = auto: not asked for" "$tmp/auto.log" \
    '> a[0-9]+ COMPRESS'

errand_write_config "$tmp/c1.conf" imaps "compress = yes"
out=$("$ERRAND" -c "$tmp/c1.conf" check 2>&1)
tap_like "check reports compression on" "$out" \
    "^$DOVECOT_USER: compression on\$"
errand_write_config "$tmp/c2.conf" imaps
out=$("$ERRAND" -c "$tmp/c2.conf" check 2>&1)
tap_like "check reports why it is off" "$out" \
    "^$DOVECOT_USER: compression off: the server is on a loopback address\$"
errand_write_config "$tmp/c3.conf" imaps "compress = sometimes"
out=$("$ERRAND" -c "$tmp/c3.conf" check 2>&1)
rc=$?
tap_eq "compress = sometimes: exit 2" "$rc" 2
tap_like "compress = sometimes: named with file and line" "$out" \
    "c3\\.conf:[0-9]+: compress: 'sometimes' is not auto, yes or no"

tap_done
