# errand tests: COMPRESS=DEFLATE (RFC 4978) against a scripted server doing
# what Dovecot will not: advertise COMPRESS and refuse it (the session goes
# on uncompressed), send a corrupt deflate stream before anything came
# through it (errand connects again without compression and the sync
# completes), and a stream that turns corrupt in the middle of the headers
# (the sync fails naming it, and stores nothing of the cut fetch).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/scripted.sh"

scripted_init compress

# run_sync NAME SCRIPT: errand sync of INBOX with compress = yes against a
# new scripted server playing SCRIPT, cache under $tmp/NAME. Sets out, rc,
# src, tr and log.
run_sync()
{
	scripted_serve "$1" "$2" || return
	{
		echo "[account demo]"
		echo "source = imaps://demo@127.0.0.1:$port"
		echo "password-command = cat $tmp/$1.pw"
		echo "ca-file = $tmp/cert.pem"
		echo "compress = yes"
	} >"$tmp/$1.conf"
	out=$(XDG_CACHE_HOME=$tmp/$1.cache XDG_DATA_HOME=$tmp/$1.data \
	    "$ERRAND" -c "$tmp/$1.conf" -d "$log" sync demo INBOX 2>&1)
	rc=$?
	scripted_done
}

# list NAME: the subjects in NAME's cache, one line.
list()
{
	XDG_CACHE_HOME=$tmp/$1.cache XDG_DATA_HOME=$tmp/$1.data "$ERRAND" \
	    -c "$tmp/$1.conf" list -a demo --offline INBOX 2>&1 |
	    sed -n 's/.*\(m[0-9]\).*/\1/p' | sort | tr '\n' ' '
}

run_sync no imap-compress-no.txt
tap_eq "COMPRESS refused: sync exit 0 ($out)" "$rc" 0
tap_eq "COMPRESS refused: the script ran to its end" "$src" 0
tap_file_like "COMPRESS refused: said in the log" "$log" \
    'refused COMPRESS DEFLATE \(\[COMPRESSIONACTIVE\] Not now\); going on without compression'
tap_eq "COMPRESS refused: the message stored" "$(list no)" "m1 "

run_sync corrupt imap-compress-corrupt.txt
tap_eq "corrupt stream at once: sync exit 0 ($out)" "$rc" 0
tap_eq "corrupt stream at once: the script ran to its end" "$src" 0
tap_file_like "corrupt stream at once: the error in the log" "$log" \
    'corrupt compressed data from 127\.0\.0\.1: invalid block type; connecting again without compression'
tap_eq "corrupt stream at once: COMPRESS asked for once" \
    "$(grep -c 'COMPRESS DEFLATE$' "$tr")" 1
tap_eq "corrupt stream at once: both messages stored" "$(list corrupt)" \
    "m1 m2 "

run_sync late imap-compress-corrupt-late.txt
tap_eq "corrupt stream later: sync exit 1" "$rc" 1
tap_like "corrupt stream later: named" "$out" \
    'corrupt compressed data from 127\.0\.0\.1: invalid block type'
tap_eq "corrupt stream later: nothing half-stored" "$(list late)" ""
tap_file_unlike "corrupt stream later: no second connection" "$log" \
    'connecting again without compression'

tap_done
