# errand tests: mail decoded as a reader expects, in the real interface
# (tmux, against the real Dovecot): a message with a line of spaces before
# its headers, a raw 8-bit subject the same in the index and the pager,
# text/enriched drawn with the terminal's bold and underline, a uuencoded
# file listed as an attachment and saved with S.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/decoding
mkdir -p "$work/mail" "$work/cache" "$work/dl"

# A line of spaces before the header fields, as some exporters write.
printf '   \nFrom: Ann <ann@example.org>\nTo: demo@example.org\n' \
    >"$work/mail/1"
cat >>"$work/mail/1" <<'MSG'
Subject: Spaced export
Date: Mon, 02 Nov 2026 09:00:00 +0000
Message-ID: <d1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

The text of the spaced one.
--b
Content-Type: application/pdf; name=spaced.pdf
Content-Transfer-Encoding: base64

JVBERg==
--b--
MSG
# A raw EUC-KR subject ("Korean title"), the body's charset saying so.
printf 'From: Kim <kim@example.kr>\nTo: demo@example.org\n' >"$work/mail/2"
printf 'Subject: \307\321\261\271\276\356 \301\246\270\361\n' >>"$work/mail/2"
cat >>"$work/mail/2" <<'MSG'
Date: Tue, 03 Nov 2026 09:00:00 +0000
Message-ID: <d2@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=euc-kr

Korean body.
MSG
cat >"$work/mail/3" <<'MSG'
From: Rich <rich@example.org>
To: demo@example.org
Subject: Rich letter
Date: Wed, 04 Nov 2026 09:00:00 +0000
Message-ID: <d3@example.org>
MIME-Version: 1.0
Content-Type: text/enriched

Plain <bold>BOLDWORD</bold> and <underline>UNDERWORD</underline>
<<markup> stays.
MSG
cat >"$work/mail/4" <<'MSG'
From: Uu <uu@example.org>
To: demo@example.org
Subject: Files inside
Date: Thu, 05 Nov 2026 09:00:00 +0000
Message-ID: <d4@example.org>
Content-Type: text/plain

Here it is:
begin 644 greeting.txt
):&5L;&\@=74*
`
end
Bye.
MSG
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }

conf=$work/errand.conf
errand_write_config "$conf" imaps

tui_start 100 20 env XDG_CACHE_HOME="$work/cache" TERM=xterm-256color \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 XDG_DOWNLOAD_DIR="$work/dl" \
    "$ERRAND" -c "$conf"
check_screen "the index shows the messages" "Files inside" 15

# open SUBJECT: find the message and open it.
open()
{
	tui_send /
	tui_send -l "$1"
	tui_send Enter
	tui_send Enter
}

open "Spaced export"
check_screen "a line of spaces first: the text shows" \
    "The text of the spaced one." 10
screen=$(tui_screen)
tap_like "and the header fields" "$screen" "^Subject: Spaced export"
tap_like "and the attachment" "$screen" \
    "Attachment #1: spaced.pdf, application/pdf, 4 bytes"
tap_unlike "not the raw source" "$screen" "MIME-Version|^--b|JVBERg"
tui_send q

korean=$(printf '\355\225\234\352\265\255\354\226\264 \354\240\234\353\252\251')
check_screen "the raw EUC-KR subject in the index" "$korean" 5
tui_send /
tui_send -l "Kim"
tui_send Enter
tui_send Enter
check_screen "the same subject in the pager" "Subject: $korean" 10
tui_send q

open "Rich letter"
check_screen "text/enriched shows as text" "Plain BOLDWORD and UNDERWORD" 10
tap_like "'<<' is '<', one newline a space" "$(tui_screen)" \
    "UNDERWORD <markup> stays\.$"
# capture-pane -e keeps the attributes as SGR sequences.
esc=$(printf '\033')
attrs=$(tui_tmux capture-pane -e -p -t "$_tui_target" | grep BOLDWORD)
tap_like "bold is the terminal's bold" "$attrs" "${esc}\[[0-9;]*1[0-9;]*mBOLDWORD"
tap_like "underline is the terminal's underline" "$attrs" \
    "${esc}\[[0-9;]*4[0-9;]*mUNDERWORD"
tap_unlike "the plain word is plain" "$attrs" "${esc}\[[0-9;]*[14]mPlain"
tui_send q

open "Files inside"
check_screen "the uuencoded file is an attachment" \
    "Attachment #1: greeting.txt, application/octet-stream, 9 bytes" 10
tap_unlike "its lines are not text" "$(tui_screen)" "begin 644|^end$"
tui_send S
if wait_until 10 test -s "$work/dl/greeting.txt"; then
	tap_ok "S saves it in the download folder"
else
	tap_fail "S saves it in the download folder" "$(ls -la "$work/dl")"
fi
tap_eq "with its content" "$(cat "$work/dl/greeting.txt")" "hello uu"
check_screen "and says where" "saved $work/dl/greeting.txt" 5
tui_send S
if wait_until 10 test -s "$work/dl/greeting-1.txt"; then
	tap_ok "S again does not replace it"
else
	tap_fail "S again does not replace it" "$(ls -la "$work/dl")"
fi
tap_eq "the file is the reader's alone" \
    "$(stat -c %a "$work/dl/greeting.txt")" 600

tui_send q
tui_send q
tap_eq "errand exits" "$(tui_wait_exit 10)" 0
tap_done
