# errand tests: a part fetched on its own (imap_fetch_part): BINARY.PEEK
# (RFC 3516) where the server offers it, its literal8 kept byte for byte;
# BODY.PEEK where it does not, or where it answers NO [UNKNOWN-CTE]. The
# transcript shows each command the server got. Driven by
# tests/proto/imap-driver ($IMAP_DRIVER) against a scripted server.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/scripted.sh"

scripted_init binary
driver=${IMAP_DRIVER:-$top_builddir/tests/proto/imap-driver}
[ -x "$driver" ] || tap_skip_all "no imap-driver at $driver"

# run NAME SCRIPT UID SECTION: the driver fetches the part into $tmp/NAME.
run()
{
	scripted_serve "$1" "$2" || return
	out=$("$driver" -a "$tmp/cert.pem" -p "$tmp/$1.pw" -d "$log" -t 10 \
	    -x s 127.0.0.1 "$port" part "$3" "$4" "$tmp/$1" logout 2>&1)
	rc=$?
	scripted_done
}

run binary imap-part-binary.txt 5 2
tap_eq "BINARY offered: exit 0" "$rc" 0
tap_eq "BINARY offered: the script ran to the end" "$src" 0
tap_like "BINARY offered: BINARY.PEEK[2] asked for" "$(cat "$tr")" \
    '^C: a3 UID FETCH 5 \(UID BINARY\.PEEK\[2\]\)$'
tap_like "BINARY offered: the part, decoded by the server" "$out" \
    '^part uid=5 section=2 len=8 decoded=1$'
tap_eq "BINARY offered: the literal8's bytes, NULs and all" \
    "$(od -An -tx1 "$tmp/binary" | tr -s ' \n' ' ')" \
    " ff fe 41 00 0a 00 0d 00 "

run cte imap-part-unknown-cte.txt 5 1.2
tap_eq "NO [UNKNOWN-CTE]: exit 0" "$rc" 0
tap_eq "NO [UNKNOWN-CTE]: the script ran to the end" "$src" 0
tap_like "NO [UNKNOWN-CTE]: asked again as BODY.PEEK[1.2]" "$(cat "$tr")" \
    '^C: a4 UID FETCH 5 \(UID BODY\.PEEK\[1\.2\]\)$'
tap_like "NO [UNKNOWN-CTE]: the part as the message has it" "$out" \
    '^part uid=5 section=1\.2 len=11 decoded=0$'
tap_eq "NO [UNKNOWN-CTE]: its bytes" "$(cat "$tmp/cte")" "uryyb jbeyq"

run plain imap-part-no-binary.txt 5 3
tap_eq "no BINARY: exit 0" "$rc" 0
tap_eq "no BINARY: the script ran to the end" "$src" 0
tap_unlike "no BINARY: never BINARY.PEEK" "$(cat "$tr")" 'BINARY\.PEEK'
tap_like "no BINARY: the part in its transfer encoding" "$out" \
    '^part uid=5 section=3 len=8 decoded=0$'
tap_eq "no BINARY: its bytes" "$(cat "$tmp/plain")" "aGVsbG8="
tap_done
