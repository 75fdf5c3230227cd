# errand tests: the interface on a POP3 account's local folders, against
# the real Dovecot's POP3: mail fetched in the background shows in the
# index, the status line says "local flags", flags go into the Maildir file
# names and survive a restart, folders made, renamed and deleted are
# Maildir++ folders another tool (Python's mailbox module) reads, moves,
# copies, undo and expunge change the files.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
. "$top_srcdir/tests/lib/tmux.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "tmux not found"
command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not found"

dovecot_start || { echo "Bail out! dovecot did not start"; exit 1; }
work=$DOVECOT_DIR/local-ui
mkdir -p "$work/mail"
for i in 1 2 3 4 5; do
	printf 'From: Sender %s <s%s@example.org>\nTo: demo@example.org\n' \
	    "$i" "$i" >"$work/mail/$i"
	printf 'Subject: Local number %s\nMessage-ID: <l%s@example.org>\n' \
	    "$i" "$i" >>"$work/mail/$i"
	printf 'Date: Mon, 0%s Nov 2026 09:00:00 +0000\n\nBody %s.\n' \
	    "$i" "$i" >>"$work/mail/$i"
done
dovecot_seed "$work/mail" || { echo "Bail out! seeding failed"; exit 1; }
conf=$work/errand.conf
errand_write_config "$conf" pop3s "pop3-keep = always"
md=$work/data/errand/demo

run_ui()
{
	tui_start 100 20 env XDG_CACHE_HOME="$work/cache" \
	    XDG_DATA_HOME="$work/data" TERM=xterm-256color LANG=C.UTF-8 \
	    LC_ALL=C.UTF-8 "$ERRAND" -c "$conf" "$@"
}

pick()
{
	tui_send /
	tui_send -l "Local number $1"
	tui_send Enter
}

# The info part of the file holding message N ("" when in new/).
file_flags()
{
	f=$(grep -l "^Subject: Local number $1\$" "$md"/cur/* "$md"/new/* \
	    2>/dev/null | head -n 1)
	case $f in
	*:2,*) printf '%s\n' "${f##*:2,}" ;;
	"") printf 'missing\n' ;;
	*) printf '\n' ;;
	esac
}
flags_are() { test "$(file_flags "$1")" = "$2"; }

# Python's mailbox module: another Maildir++ reader. Prints each folder's
# name and message count, and the subjects with flags of one folder.
py_folders()
{
	python3 - "$md" <<'PY'
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
print("INBOX %d" % len(md.keys()))
for name in sorted(md.list_folders()):
    print("%s %d" % (name, len(md.get_folder(name).keys())))
PY
}

run_ui
check_screen "the fetched mail shows in the index" "Local number 5" 20
check_screen "the status line says local flags" "local flags" 15
tap_eq "the Maildir holds the five" "$(ls "$md/new" "$md/cur" |
    grep -c '^[0-9]')" 5

# Flags: F, N and d rename the files.
pick 2
tui_send F
if wait_until 10 flags_are 2 F; then tap_ok "F renames the file with F"
else tap_fail "F renames the file with F" "$(file_flags 2)"; fi
pick 3
tui_send N
if wait_until 10 flags_are 3 S; then tap_ok "N marks it read: S"
else tap_fail "N marks it read: S" "$(file_flags 3)"; fi
pick 4
tui_send d
if wait_until 10 flags_are 4 T; then tap_ok "d marks it deleted: T"
else tap_fail "d marks it deleted: T" "$(file_flags 4)"; fi
pick 1
tui_send Enter
check_screen "the pager shows the body from the Maildir" "Body 1." 10
if wait_until 10 flags_are 1 S; then tap_ok "opening marks it read: S"
else tap_fail "opening marks it read: S" "$(file_flags 1)"; fi
tui_send q
tui_send U
if wait_until 10 flags_are 1 ""; then
	tap_ok "U takes the read mark back off the file"
else tap_fail "U takes the read mark back off the file" "$(file_flags 1)"; fi

# Quit and start again: the flags are the files'.
tui_send q
check_screen "q asks to purge the deleted one" "purge 1 deleted message?"
tui_send n
tap_eq "n quits at once (nothing pending)" "$(tui_wait_exit 10)" 0
tui_stop
run_ui
check_screen "after a restart the index shows" "Local number 5" 15
if wait_until 10 tui_shows '^N!.  .*Local number 2' &&
    tui_shows '^D.*Local number 4' &&
    tui_shows '^  .  [0-9A-Z].*Local number 3' &&
    tui_shows '^N.*Local number 1'; then
	tap_ok "flags survive the restart (N! D read N)"
else tap_fail "flags survive the restart (N! D read N)" "$(tui_screen)"; fi

# Another tool flags a file: errand shows it on $.
f5=$(grep -l "^Subject: Local number 5\$" "$md"/new/* "$md"/cur/* | head -n 1)
mv "$f5" "$md/cur/$(basename "${f5%%:2,*}"):2,F"
tui_send '$'
check_screen "\$ first offers to expunge the deleted one" "expunge 1 deleted" 10
tui_send n # no: only look again
if wait_until 15 tui_shows '^.!.*Local number 5'; then
	tap_ok "another tool's flag shows after \$"
else tap_fail "another tool's flag shows after \$" "$(tui_screen)"; fi

# Folders: made from the folder list, a valid Maildir++ folder.
tui_send y
check_screen "the folder list shows INBOX" "INBOX" 10
tui_send C
tui_send -l "Projekte.Grüße"
tui_send Enter
check_screen "the folder is made" "created 'Projekte.Grüße'" 10
if wait_until 10 tui_shows '^Projekte *$' &&
    tui_shows '^  Grüße '; then
	tap_ok "listed under a Projekte level that holds folders only"
else tap_fail "listed under a Projekte level that holds folders only" \
    "$(tui_screen)"; fi
tui_send c
tui_send -l Projekte
tui_send Enter
check_screen "that level cannot be opened" "'Projekte' holds folders, not messages" 10
tap_eq "on disk as .Projekte.Gr&APwA3w-e, a Maildir++ folder" \
    "$(ls "$md/.Projekte.Gr&APwA3w-e" | tr '\n' ' ')" \
    "cur maildirfolder new tmp "
tap_like "Python's mailbox reads it" "$(py_folders)" \
    "Projekte.Gr&APwA3w-e 0"
tui_send C
tui_send -l Later
tui_send Enter
check_screen "a second folder is made" "created 'Later'" 10
tui_send q

# Move, copy, undo of a move.
pick 5
tui_send s
tui_send -l Later
tui_send Enter
check_screen "s moves it" "moved to Later" 10
tap_like "the file went to .Later/cur" "$(py_folders)" "Later 1"
tap_eq "and left INBOX" "$(file_flags 5)" "missing"
tui_send U
if wait_until 10 flags_are 5 F; then tap_ok "U moves it back, flags kept"
else tap_fail "U moves it back, flags kept" "$(file_flags 5)"; fi
tap_like "Later is empty again" "$(py_folders)" "Later 0"
pick 3
tui_send C
tui_send -l Later
tui_send Enter
check_screen "C copies it" "copied to Later" 10
tap_like "a copy in Later" "$(py_folders)" "Later 1"
tap_like "and the original in INBOX" "$(py_folders)" "INBOX 5"
tap_eq "the original keeps its flags" "$(file_flags 3)" "S"

# Expunge: the file marked T goes, only it.
tui_send '$'
check_screen "\$ asks to expunge the deleted one" "expunge 1 deleted" 10
tui_send y
check_screen "it is expunged" "expunged 1 message" 10
tap_eq "its file is gone" "$(file_flags 4)" "missing"
tap_like "the others stay" "$(py_folders)" "INBOX 4"

# Rename and delete in the folder list.
tui_send y
check_screen "the folder list shows Later" "Later" 10
tui_send =
tui_send j # INBOX, then Later, then Projekte.Grüße
tui_send r
tui_send C-u
tui_send -l Später
tui_send Enter
check_screen "the folder is renamed" "renamed 'Später'" 10
tap_like "on disk as .Sp&AOQ-ter" "$(py_folders)" "Sp&AOQ-ter 1"
# Renaming the open folder: errand goes on with it under the new name.
tui_send q
tui_send c
tui_send -l Später
tui_send Enter
check_screen "Später opens" "demo: Später [" 10
tui_send y
tui_send "*" # INBOX, Projekte, Projekte.Grüße, Später
tui_send r
tui_send C-u
tui_send -l Spät
tui_send Enter
check_screen "the open folder is renamed" "renamed 'Spät'" 10
tui_send q
check_screen "the status line follows the new name" "demo: Spät [" 10
tui_send =
tui_send F
flagged_in_spaet()
{
	ls "$md/.Sp&AOQ-t/cur" 2>/dev/null | grep -q ':2,.*F'
}
if wait_until 10 flagged_in_spaet; then
	tap_ok "triage works in the renamed open folder"
else tap_fail "triage works in the renamed open folder" "$(tui_screen)"; fi
tui_send c
tui_send -l INBOX
tui_send Enter
tui_send y
tui_send "*"
tui_send d
check_screen "delete asks, naming the count" \
    "delete 'Spät' and its 1 message from the Maildir" 10
tui_send y
check_screen "the folder is deleted" "deleted 'Spät'" 10
tap_eq "its directory is gone" \
    "$(ls -d "$md/.Sp&AOQ-t" 2>/dev/null | grep -c .)" 0
tui_send q
tui_send q
tap_eq "q quits" "$(tui_wait_exit 10)" 0
tui_stop

tap_done
