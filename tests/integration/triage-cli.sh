# errand tests: errand flag, move, copy and delete against a real Dovecot,
# doveadm as the other device: offline the changes are journaled and go
# with the next errand push, online they go at once; a bad flag or pattern
# is a usage error naming it, and a match set prints as a UID set.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/work
mkdir -p "$work/seed"
U=$DOVECOT_USER
conf=$work/errand.conf
errand_write_config "$conf" imaps
export XDG_CACHE_HOME=$work/cache

# Six messages: 1-3 from alice (2 a report), 4-5 from bob, 6 from carol.
i=0
for who in alice alice alice bob bob carol; do
	i=$((i + 1))
	subj="note $i"
	[ $i -eq 2 ] && subj="the report"
	printf 'Date: Tue, 0%d Jan 2019 10:00:00 +0000\r\nFrom: %s <%s@example.org>\r\nTo: demo@example.org\r\nSubject: %s\r\nMessage-ID: <t%d@cli.test>\r\n\r\nbody %d\r\n' \
	    "$i" "$who" "$who" "$subj" "$i" "$i" >"$work/seed/$i"
done
dovecot_seed "$work/seed" INBOX
dv_doveadm mailbox create -u "$U" Archive

# flags_of UID [MAILBOX]: the server's flags of a message.
flags_of()
{
	dv_doveadm -f flow fetch -u "$U" flags mailbox "${2:-INBOX}" uid "$1" |
	    sed 's/^flags=//'
}
subjects_of()
{
	dv_doveadm -f flow fetch -u "$U" hdr.subject mailbox "$1" all |
	    sed 's/^hdr.subject=//' | sort | tr '\n' '|'
}
run()
{
	out=$("$ERRAND" -c "$conf" "$@" 2>&1)
	rc=$?
}

run sync demo
tap_eq "the cache holds INBOX" "$rc" 0

# Offline: journaled, nothing on the server until push.
run flag --offline +read +flagged ~f alice
tap_eq "offline flag: exits 0 and says what it did" "$rc:$out" \
    "0:3 messages +read +flagged in 'INBOX', UIDs 1:3 (6 changes)"
tap_eq "offline flag: the server has none of it yet" "$(flags_of 1)" ""
run push
tap_eq "push sends the six" "$rc:$out" "0:6 sent, 0 pending, 0 held"
for u in 1 2 3; do
	tap_eq "alice's message $u is read and flagged" \
	    "$(flags_of "$u" | tr ' ' '\n' | sort | tr '\n' ' ')" \
	    '\Flagged \Seen '
done
tap_eq "bob's are not" "$(flags_of 4)" ""

# Online: sent at once, and what is already so is said.
run flag -read '~s report'
tap_eq "online flag: one change, then sent" "$rc:$out" \
    "0:1 message -read in 'INBOX', UIDs 2 (1 change)
1 sent, 0 pending, 0 held"
tap_eq "the report is unread on the server" "$(flags_of 2)" '\Flagged'
run flag +flagged ~f alice
tap_eq "flags already set: no change" "$rc:$out" \
    "0:3 messages +flagged in 'INBOX', UIDs 1:3 (0 changes, the rest already so)"

# Copy and move, online and offline.
run copy Archive ~f carol
tap_eq "copy: carol's message copied" "$rc:$out" \
    "0:1 message copied to 'Archive' in 'INBOX', UIDs 6 (1 change)
1 sent, 0 pending, 0 held"
run move --offline Archive ~f bob
tap_eq "offline move: journaled" "$rc:$out" \
    "0:2 messages moved to 'Archive' in 'INBOX', UIDs 4:5 (2 changes)"
tap_eq "offline move: still in INBOX on the server" \
    "$(subjects_of INBOX)" "note 1|note 3|note 4|note 5|note 6|the report|"
run list --offline demo INBOX
tap_unlike "offline move: hidden from the cache's list" "$out" "note 4"
run push
tap_eq "push moves them" "$rc:$out" "0:2 sent, 0 pending, 0 held"
tap_eq "Archive holds bob's two and carol's copy" "$(subjects_of Archive)" \
    "note 4|note 5|note 6|"

# Delete, then delete and expunge.
run delete ~f carol
tap_eq "delete marks deleted" "$rc:$out:$(flags_of 6)" \
    "0:1 message deleted in 'INBOX', UIDs 6 (1 change)
1 sent, 0 pending, 0 held:\\Deleted"
run delete --expunge '~s note 3'
tap_eq "delete --expunge removes it" "$rc:$(subjects_of INBOX)" \
    "0:note 1|note 6|the report|"

# Keywords: journaled offline as UID STORE +FLAGS (Keyword), then push.
run flag --offline +Work +\$Later '~s report'
tap_eq "offline keyword: journaled" "$rc:$out" \
    "0:1 message +Work +\$Later in 'INBOX', UIDs 2 (2 changes)"
tap_eq "offline keyword: the server has none of it yet" "$(flags_of 2)" \
    '\Flagged'
run search --offline '~y work'
tap_like "offline keyword: in the cache at once (~y)" "$rc:$out" \
    "^0:2	.*the report"
# Another device changes that message meanwhile: a sync brings its flags
# and keeps showing the keywords still waiting to be sent.
dv_doveadm flags add -u "$U" '\Answered' mailbox INBOX uid 2
run sync demo INBOX
tap_eq "sync before push: the other device's change comes" "$rc:$out" \
    "0:INBOX: 0 new, 1 changed, 0 vanished (qresync)"
run search --offline '~y work ~Q'
tap_like "and the pending keyword stays shown" "$rc:$out" \
    "^0:2	.*the report"
dv_doveadm flags remove -u "$U" '\Answered' mailbox INBOX uid 2
run -d "$work/kw.log" push
tap_eq "push sends the keywords" "$rc:$out" "0:2 sent, 0 pending, 0 held"
tap_eq "as UID STORE +FLAGS of each keyword" \
    "$(grep -Ec '> [^ ]+ UID STORE 2 (\(UNCHANGEDSINCE [0-9]+\) )?\+FLAGS(\.SILENT)? \((Work|\$Later)\)' "$work/kw.log")" 2
tap_eq "the server has both keywords" \
    "$(flags_of 2 | tr ' ' '\n' | sort | tr '\n' ' ')" '$Later Work \Flagged '
run flag -Work '~s report'
tap_eq "online keyword removal: sent at once" "$rc:$out" \
    "0:1 message -Work in 'INBOX', UIDs 2 (1 change)
1 sent, 0 pending, 0 held"
tap_eq "the server has Work no more" \
    "$(flags_of 2 | tr ' ' '\n' | sort | tr '\n' ' ')" '$Later \Flagged '
run flag --offline -Work '~s report'
tap_eq "a keyword not there: nothing to do" "$rc:$out" \
    "0:1 message -Work in 'INBOX', UIDs 2 (0 changes, the rest already so)"

# Bad input.
run flag +Seen ~f alice
tap_eq "a system flag's name is not a keyword" "$rc:$out" \
    "2:errand: +Seen: not a flag change (+read, -read, +flagged, -flagged, +answered, -answered, +deleted, -deleted) nor a keyword: the name of a system flag (use +read, +flagged, +answered, +deleted)"
run flag '+a(b' ~f alice
tap_eq "a keyword that is not an IMAP atom is a usage error" "$rc:$out" \
    "2:errand: +a(b: not a flag change (+read, -read, +flagged, -flagged, +answered, -answered, +deleted, -deleted) nor a keyword: ( ) { % * \" \\ ] may not be in a keyword"
run flag +read '~Z x'
tap_eq "a bad pattern names its column" "$rc" 2
tap_like "and says where" "$out" "column 1"
run move Archive
tap_like "move without a pattern is a usage error" "$rc:$out" \
    "^2:errand: usage: errand move "
run move Nowhere ~f alice
tap_eq "move to no such folder fails" "$rc" 1
tap_like "naming it" "$out" "no folder 'Nowhere'"
run flag --offline +read ~f nobody
tap_eq "no match: nothing to do" "$rc:$out" \
    "0:0 messages +read in 'INBOX' (0 changes)"

# A big set goes as one UID STORE of a UID set, online and through push.
rm -rf "$work/seed"
mkdir -p "$work/seed"
i=0
while [ $i -lt 60 ]; do
	i=$((i + 1))
	printf 'From: alice <alice@example.org>\r\nSubject: many %d\r\nMessage-ID: <many%d@cli.test>\r\n\r\nx\r\n' \
	    "$i" "$i" >"$work/seed/$(printf %03d "$i")"
done
dv_doveadm mailbox create -u "$U" Many
dovecot_seed "$work/seed" Many
run sync demo Many
count_flagged()
{
	dv_doveadm search -u "$U" mailbox Many "$1" | wc -l | tr -d ' '
}
run -d "$work/many.log" flag -f Many +flagged ~f alice
tap_eq "60 matches: flagged and sent" "$rc:$out" \
    "0:60 messages +flagged in 'Many', UIDs 1:60 (60 changes)
60 sent, 0 pending, 0 held"
tap_eq "as one UID STORE" \
    "$(grep -Ec '> [^ ]+ UID STORE 1:60 \+FLAGS' "$work/many.log"):$(grep -Ec '> [^ ]+ UID STORE ' "$work/many.log")" \
    "1:1"
tap_eq "the server has all 60 flagged" "$(count_flagged flagged)" 60
run flag --offline -f Many +read '~s many 1'
# (The words are anded: "many" and "1" in From: or Subject:.)
tap_like "offline: the matches journaled" "$rc:$out" \
    "^0:15 messages \+read in 'Many', UIDs 1,10:19,21,31,41,51 \(15 changes\)\$"
run -d "$work/many2.log" push
tap_eq "push sends them" "$rc:$out" "0:15 sent, 0 pending, 0 held"
tap_eq "as one UID STORE of their set" \
    "$(grep -Ec '> [^ ]+ UID STORE 1,10:19,21,31,41,51 \+FLAGS' "$work/many2.log"):$(grep -Ec '> [^ ]+ UID STORE ' "$work/many2.log")" \
    "1:1"
tap_eq "the server has them read" "$(count_flagged seen)" 15

tap_done
