# errand tests: list and folders on a POP3 account, from the local Maildir
# through the cache: messages fetched with errand list, flags following the
# file names (another Maildir tool's renames), files removed, and the list
# from the Maildir when the server is out of reach.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/p3l
mkdir -p "$work/mail"
for i in 1 2 3 4 5; do
	printf 'From: =?utf-8?q?J=C3=BCrgen?= <j%s@example.org>\n' "$i" \
	    >"$work/mail/$i"
	printf 'Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_Nummer?= %s\n' "$i" \
	    >>"$work/mail/$i"
	printf 'Date: Mon, 0%s Nov 2026 09:00:00 +0000\n\nBody %s.\n' \
	    "$i" "$i" >>"$work/mail/$i"
done
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }
conf=$work/errand.conf
errand_write_config "$conf" pop3s "pop3-keep = always"
export XDG_CACHE_HOME="$work/cache" XDG_DATA_HOME="$work/data"

out=$("$ERRAND" -c "$conf" list 2>"$work/err"); rc=$?
tap_eq "list on a POP3 account: exit 0" "$rc" 0
tap_eq "it fetched and lists every message" \
    "$(printf '%s\n' "$out" | grep -c .)" 5
tap_like "decoded sender and subject, unread" "$out" \
    "^[0-9]+	N	2026-11-05T[^	]*	Jürgen	Grüße Nummer 5$"
md=$work/data/errand/demo
tap_eq "the Maildir holds them" "$(ls "$md/new" | grep -c .)" 5

# Another tool marks one read (Maildir flags are in the name), and removes
# another.
first=$(ls "$md/new" | sort | head -n 1)
mv "$md/new/$first" "$md/cur/$first:2,S"
second=$(ls "$md/new" | sort | head -n 1)
rm "$md/new/$second"
out=$("$ERRAND" -c "$conf" list --offline); rc=$?
tap_eq "list --offline: exit 0" "$rc" 0
tap_eq "a removed file leaves the list" \
    "$(printf '%s\n' "$out" | grep -c .)" 4
tap_eq "a file renamed with S is read" \
    "$(printf '%s\n' "$out" | grep -c '	-	')" 1
out=$("$ERRAND" -c "$conf" folders --offline); rc=$?
tap_eq "folders: exit 0" "$rc" 0
tap_like "folders counts the Maildir" "$out" "^INBOX	4	3$"

# Another program delivers into new/ only (cur/ unchanged: errand reads
# new/ alone), then takes it away again unread.
printf 'From: x@example.org\nSubject: Dropped in\n\nHi.\n' \
    >"$md/tmp/1700000000.M1P1.other"
mv "$md/tmp/1700000000.M1P1.other" "$md/new/1700000000.M1P1.other"
out=$("$ERRAND" -c "$conf" list --offline)
tap_like "a file delivered into new/ by another program lists" "$out" \
    "	N	[^	]*	x@example.org	Dropped in$"
out=$("$ERRAND" -c "$conf" folders --offline)
tap_like "and counts, unread" "$out" "^INBOX	5	4$"
rm "$md/new/1700000000.M1P1.other"
out=$("$ERRAND" -c "$conf" list --offline)
tap_eq "taken away from new/, it leaves the list" \
    "$(printf '%s\n' "$out" | grep -c .)" 4
out=$("$ERRAND" -c "$conf" folders --offline)
tap_like "and the counts" "$out" "^INBOX	4	3$"
# Read by another program: new/ to cur/ with S.
third=$(ls "$md/new" | sort | head -n 1)
mv "$md/new/$third" "$md/cur/$third:2,S"
out=$("$ERRAND" -c "$conf" folders --offline)
tap_like "a file moved from new/ to cur/ as read counts read" "$out" \
    "^INBOX	4	2$"

# The server out of reach: the Maildir still lists.
errand_write_config "$work/off.conf" pop3s "pop3-keep = always"
sed -i "s/:$POP3S_PORT/:1/" "$work/off.conf"
out=$("$ERRAND" -c "$work/off.conf" list 2>"$work/err"); rc=$?
tap_eq "offline list: exit 0" "$rc" 0
tap_file_like "offline list says why" "$work/err" "offline:"
tap_eq "offline list shows the Maildir" \
    "$(printf '%s\n' "$out" | grep -c .)" 4

tap_done
