# errand tests: naming the account on the command line: -a ACCOUNT for
# every command (after the command or before it), the positional forms
# kept (check ACCOUNT, sync ACCOUNT [FOLDER...], folders ACCOUNT), and a
# name that is both a folder and an account said to be one of them.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/accounts
mkdir -p "$work/mail" "$work/box"
for i in 1 2; do
	printf 'From: A <a@example.org>\nSubject: Inbox %s\n' "$i" \
	    >"$work/mail/$i"
	printf 'Date: Mon, 0%s Nov 2026 09:00:00 +0000\n\nBody.\n' "$i" \
	    >>"$work/mail/$i"
done
printf 'From: A <a@example.org>\nSubject: In the pop folder\n\nx\n' \
    >"$work/box/1"
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }
# A folder of the IMAP account called as the POP3 account is.
dovecot_seed "$work/box" pop || { echo "Bail out! seeding failed"; exit 1; }
conf=$work/errand.conf
errand_write_config "$work/imap.conf" imaps
errand_write_config "$work/pop.conf" pop3s "pop3-keep = always"
{
	cat "$work/imap.conf"
	sed "s/^\[account $DOVECOT_USER\]/[account pop]/" "$work/pop.conf"
	sed "s/^\[account $DOVECOT_USER\]/[account other]/" "$work/imap.conf"
} >"$conf"
export XDG_CACHE_HOME="$work/cache" XDG_DATA_HOME="$work/data"
e() { "$ERRAND" -c "$conf" "$@"; }

out=$(e check -a pop 2>&1); rc=$?
tap_eq "check -a ACCOUNT: exit 0" "$rc" 0
tap_like "check -a ACCOUNT checks that account" "$out" "^pop: ok \(pop3s://"
out=$(e check pop 2>&1)
tap_like "check ACCOUNT still works" "$out" "^pop: ok \(pop3s://"
out=$(e -a pop check 2>&1)
tap_like "-a before check works" "$out" "^pop: ok \(pop3s://"
out=$(e check -a pop demo 2>&1); rc=$?
tap_eq "check with two accounts: exit 2" "$rc" 2
tap_like "and says how" "$out" "usage: errand check"

out=$(e sync -a "$DOVECOT_USER" pop 2>&1); rc=$?
tap_eq "sync -a ACCOUNT FOLDER: exit 0" "$rc" 0
tap_like "it syncs that folder" "$out" "^pop: 1 new"
out=$(e -a "$DOVECOT_USER" sync INBOX 2>&1); rc=$?
tap_eq "-a ACCOUNT sync FOLDER: exit 0" "$rc" 0
tap_like "the argument is a folder there" "$out" "^INBOX: 2 new"
out=$(e sync "$DOVECOT_USER" INBOX 2>&1); rc=$?
tap_eq "sync ACCOUNT FOLDER still works" "$rc" 0
out=$(e sync -a pop 2>&1); rc=$?
tap_eq "sync -a POP3-ACCOUNT: exit 0" "$rc" 0
tap_like "it fetches by POP3" "$out" "^INBOX: 2 new.*\(pop3\)"
out=$(e sync nosuch 2>&1); rc=$?
tap_eq "sync NAME that is no account: exit 2" "$rc" 2
tap_like "says how to name a folder" "$out" \
    "no account 'nosuch' in .* \(for the folder of $DOVECOT_USER: errand sync -a $DOVECOT_USER nosuch\)"

out=$(e list -a pop 2>&1); rc=$?
tap_eq "list -a ACCOUNT: exit 0" "$rc" 0
tap_eq "it lists that account's INBOX" \
    "$(printf '%s\n' "$out" | grep -c 'Inbox [12]$')" 2
out=$(e list pop 2>"$work/err"); rc=$?
tap_eq "list NAME, a folder and an account: exit 0" "$rc" 0
tap_like "it lists the folder" "$out" "In the pop folder"
tap_file_like "and says which is meant" "$work/err" \
    "'pop' is a folder of $DOVECOT_USER and an account: listing the folder \(for the account: errand list -a pop\)"
e list -a "$DOVECOT_USER" pop >/dev/null 2>"$work/err"
tap_file_unlike "with -a there is nothing to say" "$work/err" "an account"
out=$(e list other 2>&1); rc=$?
tap_eq "list NAME, only an account: exit 1" "$rc" 1
tap_like "says how to name the account" "$out" \
    "for the account 'other': errand list -a other"
out=$(e list --offline other 2>&1); rc=$?
tap_like "the same offline" "$out" \
    "no folder 'other' \(for the account 'other': errand list -a other\)"

out=$(e folders pop 2>&1); rc=$?
tap_eq "folders ACCOUNT: exit 0" "$rc" 0
tap_eq "it lists that account's folders" "$out" "INBOX	2	2"
out=$(e folders -a pop --offline 2>&1); rc=$?
tap_eq "folders -a ACCOUNT: the same" "$out" "INBOX	2	2"
out=$(e folders -a pop demo 2>&1); rc=$?
tap_eq "folders with two accounts: exit 2" "$rc" 2

tap_done
