# errand tests: errand search against a real Dovecot: header terms on the
# cache after a sync, the same lines as list, body terms on cached bodies
# offline, online by the server's UID SEARCH (or fetched when the pattern
# has no IMAP form), -f FOLDER, ~P from the account's user, and a bad
# pattern's error with its column.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/search
mkdir -p "$work/inbox" "$work/archive"
msg()
{
	printf 'From: %s\nTo: someone@example.org\nSubject: %s\n' "$2" "$3" \
	    >"$1"
	printf 'Date: Mon, 0%s Nov 2026 09:00:00 +0000\n' "$4" >>"$1"
	printf 'Message-ID: <m%s@example.org>\n\n%s\n' "$4" "$5" >>"$1"
}
msg "$work/inbox/1" 'Alice <alice@example.org>' 'Quarterly report' 1 \
    'The numbers are attached.'
msg "$work/inbox/2" 'Bob <bob@example.com>' 'Re: Quarterly report' 2 \
    'Looks good.'
msg "$work/inbox/3" 'Alice <alice@example.org>' 'Lunch' 3 \
    'The report is late.'
msg "$work/inbox/4" 'Carol <carol@example.net>' 'Budget' 4 \
    'We need more pineapple.'
msg "$work/inbox/5" "Me <$DOVECOT_USER@example.org>" 'Sent by me' 5 'Hi.'
msg "$work/archive/1" 'Alice <alice@example.org>' 'Old report' 6 'Old.'
dovecot_seed "$work/inbox" || { echo "Bail out! seeding failed"; exit 1; }
dovecot_seed "$work/archive" Archive ||
    { echo "Bail out! seeding failed"; exit 1; }
dv_doveadm flags add -u "$DOVECOT_USER" '\Flagged' mailbox INBOX uid 1 ||
    { echo "Bail out! doveadm flags failed"; exit 1; }
conf=$work/errand.conf
errand_write_config "$conf" imaps
export XDG_CACHE_HOME="$work/cache" XDG_DATA_HOME="$work/data"

# Online: a sync first, then the cache answers, in list's lines.
out=$("$ERRAND" -c "$conf" search '~f alice' 2>"$work/err"); rc=$?
tap_eq "search online: exit 0" "$rc" 0
tap_eq "search online: nothing on stderr" "$(cat "$work/err")" ""
list=$("$ERRAND" -c "$conf" list --offline)
tap_eq "the lines are list's lines for the matches" "$out" \
    "$(printf '%s\n' "$list" | grep '	Alice	')"
tap_eq "two from alice" "$(printf '%s\n' "$out" | cut -f1 | tr '\n' ' ')" \
    "3 1 "
out=$("$ERRAND" -c "$conf" search ~f alice); rc=$?
tap_eq "the words of the pattern make one pattern" \
    "$(printf '%s\n' "$out" | cut -f1 | tr '\n' ' ')" "3 1 "

out=$("$ERRAND" -c "$conf" search --offline '~f alice ~s report'); rc=$?
tap_eq "offline: exit 0" "$rc" 0
tap_like "offline: header terms on the cache" "$out" \
    "^1	N!	[^	]*	Alice	Quarterly report$"
out=$("$ERRAND" -c "$conf" search --offline '~f alice ~s report !~F')
tap_eq "offline: the flag from the server counts" "$out" ""
out=$("$ERRAND" -c "$conf" search --offline 'report | ~s budget')
tap_eq "plain words, | and the date order" \
    "$(printf '%s\n' "$out" | cut -f1 | tr '\n' ' ')" "4 2 1 "
out=$("$ERRAND" -c "$conf" search --offline '~P')
tap_eq "~P: from the account's user" "$(printf '%s\n' "$out" | cut -f1)" 5

# Bodies: none cached yet.
out=$("$ERRAND" -c "$conf" search --offline '~b pineapple' 2>"$work/err")
rc=$?
tap_eq "offline body search, nothing cached: exit 0" "$rc" 0
tap_eq "offline body search, nothing cached: no match" "$out" ""
tap_eq "it says what it could not search" "$(cat "$work/err")" \
    "errand: 5 messages not searched: their bodies are not in the cache\
 (without --offline the server searches them)"
rm -f "$work/log"
out=$("$ERRAND" -c "$conf" -d "$work/log" search '~b pineapple | ~s nothing' \
    2>"$work/err"); rc=$?
tap_eq "online body search: exit 0" "$rc" 0
tap_eq "online body search: the server found it" \
    "$(printf '%s\n' "$out" | cut -f1)" 4
tap_eq "online body search: nothing left unsearched" "$(cat "$work/err")" ""
tap_like "online body search: one UID SEARCH of the pattern" \
    "$(grep -c 'UID SEARCH RETURN (ALL) OR BODY "pineapple" SUBJECT "nothing"' \
    "$work/log")" '^1$'
tap_eq "online body search: no body fetched" \
    "$(grep -c 'BODY.PEEK' "$work/log")" 0
out=$("$ERRAND" -c "$conf" search --offline '~b pineapple' 2>"$work/err")
tap_eq "the server's answer is not a cached body" "$(cat "$work/err")" \
    "errand: 5 messages not searched: their bodies are not in the cache\
 (without --offline the server searches them)"
# A regular expression has no IMAP form: the bodies are fetched.
out=$("$ERRAND" -c "$conf" search '~b "pine.*le"' 2>"$work/err"); rc=$?
tap_eq "online regex body search: exit 0" "$rc" 0
tap_eq "online regex body search: fetched and found" \
    "$(printf '%s\n' "$out" | cut -f1)" 4
tap_eq "online regex body search: nothing left" "$(cat "$work/err")" ""
out=$("$ERRAND" -c "$conf" search --offline '~b report | ~b PINEAPPLE' \
    2>"$work/err")
tap_eq "offline again: the fetched bodies are searched" \
    "$(printf '%s\n' "$out" | cut -f1)" 3
tap_eq "offline again: nothing left unsearched" "$(cat "$work/err")" ""

# Another folder.
out=$("$ERRAND" -c "$conf" search -f Archive --offline report 2>&1); rc=$?
tap_eq "-f a folder not synced, offline: exit 1" "$rc" 1
tap_eq "-f a folder not synced, offline: says so" "$out" \
    "errand: $DOVECOT_USER: no folder 'Archive' in the cache (sync it first)"
out=$("$ERRAND" -c "$conf" search -f Archive report); rc=$?
tap_eq "-f Archive online: exit 0" "$rc" 0
tap_like "-f Archive online: its message" "$out" \
    "^1	N	[^	]*	Alice	Old report$"

# Errors.
out=$("$ERRAND" -c "$conf" search --offline '~f alice ~Z' 2>&1); rc=$?
tap_eq "a bad pattern: exit 2" "$rc" 2
tap_eq "a bad pattern: the column" "$out" \
    "errand: pattern: unknown term '~Z' at column 10"
out=$("$ERRAND" -c "$conf" search --offline 2>&1); rc=$?
tap_eq "no pattern: exit 2" "$rc" 2
tap_like "no pattern: usage" "$out" "usage: errand search"
out=$("$ERRAND" -c "$conf" search -x y 2>&1); rc=$?
tap_eq "an unknown option: exit 2" "$rc" 2

tap_done
