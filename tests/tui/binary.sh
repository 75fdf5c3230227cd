# errand tests: parts that BODY[] cannot carry (RFC 3516 BINARY), in the
# real interface against the real Dovecot. A UTF-16 text and a file sent
# with Content-Transfer-Encoding: binary hold NULs and bare LFs, which
# Dovecot's BODY[] changes; errand takes them from BINARY.PEEK[n], so the
# pager shows the text, S saves the file's bytes and the cache holds the
# message as it was. Of a message cut at body-cache-max, the parts before
# the cut.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/binary
mkdir -p "$work/mail" "$work/cache" "$work/dl"

# The message, CRLF throughout but inside the binary parts. blob.bin is
# every byte value four times (NULs, CRs) but LF: Dovecot puts CR before
# a bare LF in BINARY[n] too, which no client can undo in a file (errand
# does in UTF-16 and UTF-32 text, where the pattern is never a character).
python3 - "$work" <<'PY'
import base64, sys
work = sys.argv[1]
wide = "Zweite Zeile: Grüße, Привет, 日本語.\nDritte Zeile.\n"
files = {"blob.bin": bytes(b for b in range(256) if b != 10) * 4,
    "inner.bin": b"\x00inner\x00\r\x00" * 3,
    "fwd.bin": b"\x00\xff fwd \x00" * 5}
for name, data in files.items():
    open(work + "/" + name, "wb").write(data)
def part(b, head, body):
    return b"--" + b + b"\r\n" + head + b"\r\n\r\n" + body + b"\r\n"
def att(name):
    return (b"Content-Type: application/octet-stream; name=" +
        name.encode() + b"\r\nContent-Transfer-Encoding: binary", files[name])
# 5 is a multipart of its own (5.1, 5.2); 6 a forwarded message (6.1, 6.2).
inner = (part(b"c", b"Content-Type: text/plain", b"Innen.") +
    part(b"c", *att("inner.bin")) + b"--c--")
fwd = (b"From: Fwd <fwd@example.org>\r\nSubject: inside\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=d"
    b"\r\n\r\n" + part(b"d", b"Content-Type: text/plain", b"Weiter.") +
    part(b"d", *att("fwd.bin")) + b"--d--")
msg = (b"From: Wide <wide@example.org>\r\nTo: demo@example.org\r\n"
    b"Subject: Wide and binary\r\nDate: Mon, 02 Nov 2026 09:00:00 +0000\r\n"
    b"Message-ID: <bin1@example.org>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
    part(b"b", b"Content-Type: text/plain; charset=utf-8", b"Erste Zeile.") +
    part(b"b", b"Content-Type: text/plain; charset=utf-16\r\n"
        b"Content-Transfer-Encoding: binary", wide.encode("utf-16")) +
    part(b"b", b"Content-Type: text/plain; charset=utf-16le\r\n"
        b"Content-Transfer-Encoding: base64",
        base64.encodebytes("Base64 Zeile: Köln.\n".encode("utf-16-le"))
        .replace(b"\n", b"\r\n").rstrip()) +
    part(b"b", *att("blob.bin")) +
    part(b"b", b"Content-Type: multipart/mixed; boundary=c", inner) +
    part(b"b", b"Content-Type: message/rfc822", fwd) +
    b"--b--\r\n")
open(work + "/mail/1", "wb").write(msg)
# Cut at body-cache-max (8K): a file before the cut, a long text after.
early = b"\x00early\x00\r\x00" * 4
open(work + "/early.bin", "wb").write(early)
big = base64.encodebytes(b"x" * 30000).replace(b"\n", b"\r\n").rstrip()
msg = (b"From: Cut <cut@example.org>\r\nTo: demo@example.org\r\n"
    b"Subject: Cut short\r\nDate: Tue, 03 Nov 2026 09:00:00 +0000\r\n"
    b"Message-ID: <bin2@example.org>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
    part(b"b", b"Content-Type: text/plain", b"Vorne.") +
    part(b"b", b"Content-Type: application/octet-stream; name=early.bin"
        b"\r\nContent-Transfer-Encoding: binary", early) +
    part(b"b", b"Content-Type: application/octet-stream; name=late.bin"
        b"\r\nContent-Transfer-Encoding: binary", b"\x00late" * 4000) +
    part(b"b", b"Content-Type: text/plain\r\n"
        b"Content-Transfer-Encoding: base64", big) + b"--b--\r\n")
open(work + "/mail/2", "wb").write(msg)
PY
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }

conf=$work/errand.conf
errand_write_config "$conf" imaps
printf '[ui]\nbody-cache-max = 8K\n' >>"$conf"

tui_start 100 50 env XDG_CACHE_HOME="$work/cache" TERM=xterm-256color \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 XDG_DOWNLOAD_DIR="$work/dl" \
    "$ERRAND" -c "$conf" -d "$work/errand.log"
check_screen "the index shows the message" "Wide and binary" 15
# The body session connects and examines the folder beside the sync, so
# that the first message opened costs no connect, TLS, login or EXAMINE.
if wait_until 10 grep -q '> [^ ]* EXAMINE "INBOX"' "$work/errand.log"; then
	tap_ok "the body session examines INBOX before a message is opened"
else
	tap_fail "the body session examines INBOX before a message is opened" \
	    "$(cat "$work/errand.log")"
fi
# And it opens a message file at once (a byte of the newest message), so
# that the server's first-file cost (Dovecot reads a Maildir's UID list:
# 0.25-0.4 s at 100,000 messages) is not paid by the message opened.
if wait_until 10 grep -q \
    '> [^ ]* UID FETCH [0-9]* (UID RFC822.SIZE BODY.PEEK\[\]<0\.1>)$' \
    "$work/errand.log"; then
	tap_ok "the body session opens a message file before one is opened"
else
	tap_fail "the body session opens a message file before one is opened" \
	    "$(grep ' > ' "$work/errand.log")"
fi
conns=$(grep -c ' \* connected$' "$work/errand.log")
# open SUBJECT: find the message and open it.
open()
{
	tui_send /
	tui_send -l "$1"
	tui_send Enter
	tui_send Enter
}

open "Wide and binary"
check_screen "the UTF-16 part sent as binary shows as text" \
    "Zweite Zeile: Grüße, Привет, 日本語." 10
tap_eq "opening it made no new connection" \
    "$(grep -c ' \* connected$' "$work/errand.log")" "$conns"
screen=$(tui_screen)
tap_like "all of it" "$screen" "^Dritte Zeile\.$"
tap_like "the UTF-16 part in base64 too" "$screen" "^Base64 Zeile: Köln\.$"
tap_like "the file is an attachment" "$screen" \
    "Attachment #1: blob.bin, application/octet-stream, 1020 bytes"

log=$(cat "$work/errand.log")
tap_like "the binary parts came from BINARY.PEEK" "$log" \
    "UID FETCH 1 \(UID BINARY\.PEEK\[2\]\)"
tap_like "the file's too" "$log" "UID FETCH 1 \(UID BINARY\.PEEK\[4\]\)"
tap_like "the one in a multipart inside" "$log" \
    "UID FETCH 1 \(UID BINARY\.PEEK\[5\.2\]\)"
tap_like "the one in a forwarded message" "$log" \
    "UID FETCH 1 \(UID BINARY\.PEEK\[6\.2\]\)"
tap_unlike "not the parts in base64 or UTF-8" "$log" \
    "BINARY\.PEEK\[([13]|5\.1|6|6\.1)\]"

tui_send S
if wait_until 10 test -s "$work/dl/fwd.bin"; then
	tap_ok "S saves the files"
else
	tap_fail "S saves the files" "$(ls -la "$work/dl")"
fi
for f in blob.bin inner.bin fwd.bin; do
	if cmp "$work/$f" "$work/dl/$f" >/dev/null 2>&1; then
		tap_ok "$f byte for byte"
	else
		tap_fail "$f byte for byte" "$(cmp "$work/$f" "$work/dl/$f" 2>&1)"
	fi
done

# The cache holds the message as it was sent, for reading offline.
cached=$(python3 - "$work/cache/errand/demo.db" "$work/mail/1" <<'PY'
import sqlite3, sys
raw = sqlite3.connect(sys.argv[1]).execute(
    "SELECT raw FROM body WHERE uid = 1").fetchone()[0]
print("same" if raw == open(sys.argv[2], "rb").read() else
    "differs: %d bytes, not %d" % (len(raw),
    len(open(sys.argv[2], "rb").read())))
PY
)
tap_eq "the cache holds the message as it was" "$cached" same
tui_send q

open "Cut short"
check_screen "a message cut at body-cache-max shows" "Vorne." 10
cut=$(grep -a 'UID FETCH 2 ' "$work/errand.log")
tap_like "its file before the cut came from BINARY.PEEK" "$cut" \
    "UID FETCH 2 \(UID BINARY\.PEEK\[2\]\)"
tap_unlike "not the one the cut runs through, nor after" "$cut" \
    "BINARY\.PEEK\[[34]\]"
rm -f "$work/dl/early.bin"
tui_send S
if wait_until 10 test -s "$work/dl/early.bin"; then
	tap_ok "S saves the file before the cut"
else
	tap_fail "S saves the file before the cut" "$(ls -la "$work/dl")"
fi
if cmp "$work/early.bin" "$work/dl/early.bin" >/dev/null 2>&1; then
	tap_ok "early.bin byte for byte"
else
	tap_fail "early.bin byte for byte" \
	    "$(cmp "$work/early.bin" "$work/dl/early.bin" 2>&1)"
fi
tui_send q
tui_send q
tap_eq "errand exits" "$(tui_wait_exit 10)" 0
tap_done
