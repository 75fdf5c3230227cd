# errand tests: sync-timeout, the overall deadline of a headless command,
# against a scripted server that trickles a byte every half second (each
# read comes well within `timeout`, so only the deadline can stop it).
# Headers stored before it passed stay in the cache, the exit status is
# 124, and the message says how far it got; check gives up the same way.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/scripted.sh"

scripted_init sync-timeout
export XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data

# write_config NAME [LINE...]: an imaps account (pop3s when $scheme says
# so) on the server just started.
write_config()
{
	_conf=$tmp/$1.conf
	shift
	{
		echo "[account demo]"
		echo "source = ${scheme:-imaps}://demo@127.0.0.1:$port"
		echo "password-command = cat $tmp/$_name.pw"
		echo "ca-file = $tmp/cert.pem"
		echo "timeout = 2"
		for _l in "$@"; do printf '%s\n' "$_l"; done
	} >"$_conf"
}

# trickle TEXT: script lines that send TEXT a byte every half second.
trickle()
{
	printf '%s' "$1" | fold -w 1 | while IFS= read -r _c; do
		printf 'RAW: %s\nSLEEP 0.5\n' "$_c"
	done
}

# fetch_line N: a complete FETCH response for UID N, its header a literal.
fetch_line()
{
	_h="Subject: stored message $1\\r\\nMessage-ID: <m$1@example.org>\\r\\n\\r\\n"
	_len=$(printf "$_h" | wc -c)
	printf 'RAW: * %d FETCH (UID %d FLAGS () INTERNALDATE "01-Jan-2019 10:00:00 +0000" RFC822.SIZE 100 BODY[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE)] {%d}\\r\\n%s)\\r\\n\n' \
	    "$1" "$1" "$_len" "$_h"
}

# Five messages: three come whole, the fourth a byte at a time.
{
	cat <<'SCRIPT'
TLS
S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] scripted IMAP ready
C: ^a1 AUTHENTICATE PLAIN AGRlbW8AaHVudGVyMi1zZWNyZXQ=$
S: a1 OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] Logged in
C: ^a2 SELECT "INBOX"$
S: * 5 EXISTS
S: * OK [UIDVALIDITY 7] UIDs valid
S: * OK [UIDNEXT 6] next
S: a2 OK [READ-WRITE] Select completed
C: ^a3 UID FETCH 1:\* 
SCRIPT
	fetch_line 1
	fetch_line 2
	fetch_line 3
	trickle '* 4 FETCH (UID 4 FLAGS () INTERNALDATE "01-Jan-2019'
} >"$tmp/trickle.txt"

_name=sync
scripted_serve sync "$tmp/trickle.txt" || exit 1
write_config sync "sync-timeout = 3"
_t0=$(date +%s)
out=$("$ERRAND" -c "$tmp/sync.conf" sync demo INBOX 2>&1)
rc=$?
secs=$(($(date +%s) - _t0))
scripted_done
tap_eq "trickling server: exit 124" "$rc" 124
tap_like "trickling server: says how far it got" "$out" \
    "^errand: sync: 'demo' timed out after 3 s; 3 of 5 headers stored in 'INBOX'\$"
tap_like "trickling server: given up within 9 s (took $secs)" "$secs" \
    '^[3-9]$'
tap_file_like "trickling server: it was fetching when stopped" "$tr" \
    '^C: a3 UID FETCH 1:\*'
list=$("$ERRAND" -c "$tmp/sync.conf" list --offline INBOX 2>&1)
tap_eq "what was stored stays: three messages in the cache" \
    "$(printf '%s\n' "$list" | grep -c 'stored message')" 3
tap_like "what was stored stays: the third" "$list" 'stored message 3'

# list syncs the folder first: the same deadline, named after list, and
# the same status (with an empty cache of its own).
_name=list
scripted_serve list "$tmp/trickle.txt" || exit 1
write_config list "sync-timeout = 2"
out=$(XDG_CACHE_HOME=$tmp/cache-list "$ERRAND" -c "$tmp/list.conf" list INBOX \
    2>&1)
rc=$?
scripted_done
tap_eq "list, trickling server: exit 124" "$rc" 124
tap_like "list, trickling server: says how far it got" "$out" \
    "^errand: list: 'demo' timed out after 2 s; 3 of 5 headers stored in 'INBOX'\$"

# --sync-timeout on the command line overrides the account's key, and
# check stops the same way (the greeting itself trickles).
trickle '* OK scripted IMAP ready' | sed '1i TLS' >"$tmp/greeting.txt"
_name=check
scripted_serve check "$tmp/greeting.txt" || exit 1
write_config check "sync-timeout = 600"
_t0=$(date +%s)
out=$("$ERRAND" -c "$tmp/check.conf" --sync-timeout 2 check demo 2>&1)
rc=$?
secs=$(($(date +%s) - _t0))
scripted_done
tap_eq "check, trickled greeting: exit 124" "$rc" 124
tap_eq "check, trickled greeting: says so" "$out" \
    "errand: check: 'demo' timed out after 2 s"
tap_like "check, trickled greeting: within 8 s (took $secs)" "$secs" \
    '^[2-8]$'

out=$("$ERRAND" -c "$tmp/check.conf" --sync-timeout 0 check demo 2>&1)
tap_eq "--sync-timeout 0: a usage error" "$?" 2
tap_like "--sync-timeout 0: named" "$out" \
    "--sync-timeout: '0' is not none or a number of seconds"

# The key's values: none or 1 to 86400 seconds; anything else is named.
for v in 0 86401 10m -5; do
	printf '[account demo]\nsource = imaps://demo@127.0.0.1:1\nsync-timeout = %s\n' \
	    "$v" >"$tmp/bad.conf"
	out=$("$ERRAND" -c "$tmp/bad.conf" check demo 2>&1)
	rc=$?
	tap_eq "sync-timeout = $v: exit 2" "$rc" 2
	tap_like "sync-timeout = $v: named" "$out" \
	    "bad\\.conf:3: sync-timeout: '$v' is not none or a number of seconds from 1 to 86400\$"
done
printf '[account demo]\nsource = imaps://demo@127.0.0.1:1\nsync-timeout = none\npassword-command = echo pw\n' \
    >"$tmp/none.conf"
out=$("$ERRAND" -c "$tmp/none.conf" check demo 2>&1)
tap_like "sync-timeout = none: accepted (the server is what fails)" "$out" \
    'cannot connect to 127\.0\.0\.1 port 1'

# POP3: the first message comes whole, the second a byte at a time. It
# stays in the Maildir; nothing is deleted (no QUIT is sent).
{
	cat <<'SCRIPT'
TLS
S: +OK scripted POP3 ready
C: ^CAPA$
S: +OK
S: USER
S: SASL PLAIN
S: UIDL
S: .
C: ^AUTH PLAIN AGRlbW8AaHVudGVyMi1zZWNyZXQ=$
S: +OK Logged in.
C: ^UIDL$
S: +OK
S: 1 u1
S: 2 u2
S: 3 u3
S: .
C: ^LIST$
S: +OK
S: 1 33
S: 2 40
S: 3 40
S: .
C: ^RETR 1$
S: +OK
S: Subject: first of three
S:
S: body
S: .
C: ^RETR 2$
S: +OK
SCRIPT
	trickle 'Subject: second of three'
} >"$tmp/pop3.txt"
_name=pop3 scheme=pop3s
scripted_serve pop3 "$tmp/pop3.txt" || exit 1
write_config pop3 "sync-timeout = 2"
_t0=$(date +%s)
out=$("$ERRAND" -c "$tmp/pop3.conf" sync demo 2>&1)
rc=$?
secs=$(($(date +%s) - _t0))
scripted_done
tap_eq "POP3, trickling RETR: exit 124" "$rc" 124
tap_like "POP3, trickling RETR: says how far it got" "$out" \
    "^errand: sync: 'demo' timed out after 2 s; 1 of 3 messages stored\$"
tap_like "POP3, trickling RETR: within 8 s (took $secs)" "$secs" '^[2-8]$'
tap_eq "POP3, trickling RETR: the first message is in the Maildir" \
    "$(grep -l 'first of three' "$XDG_DATA_HOME"/errand/demo/new/* |
        wc -l)" 1
tap_file_unlike "POP3, trickling RETR: no QUIT, so nothing deleted" "$tr" \
    '^C: (QUIT|DELE)'

tap_done
