# errand tests: the POP3 session (net/pop3.c) against a real Dovecot,
# through tests/proto/pop3-driver ($POP3_DRIVER): login over pop3s and over
# pop3+STLS (AUTH PLAIN and USER/PASS), STAT, LIST, UIDL and RETR of seeded
# mail checked against doveadm and the seeded bytes, TOP n 0, pipelined
# RETR, a wrong password, DELE then QUIT removing the message, DELE on a
# connection dropped without QUIT removing nothing, and RSET.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
driver=${POP3_DRIVER:-$top_builddir/tests/proto/pop3-driver}
[ -x "$driver" ] || tap_skip_all "no pop3-driver at $driver"
dovecot_start || tap_skip_all "cannot start a private dovecot"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/errand-pop3-session.XXXXXX") || exit 1
errand_at_exit 'rm -rf "$tmp"'
password=$(head -n 1 "$DOVECOT_PASSWORD_FILE")

# Three messages with CRLF line ends (POP3 sends them as stored), one with
# lines that start with a dot, one with 8-bit text.
mkdir "$tmp/seed"
for i in 1 2 3; do
	printf 'Date: Tue, 0%d Jan 2019 10:00:00 +0000\r\nFrom: Sender %d <s%d@example.org>\r\nTo: demo@example.org\r\nSubject: seeded message %d\r\nMessage-ID: <pop%d@example.org>\r\n\r\nbody %d\r\n' \
	    "$i" "$i" "$i" "$i" "$i" "$i" >"$tmp/seed/$i"
done
printf '.leading dot\r\n..two dots\r\n.\r\nend\r\n' >>"$tmp/seed/2"
printf 'Gr\303\274\303\237e, 8-bit \377 bytes\r\n' >>"$tmp/seed/3"
dovecot_seed "$tmp/seed" || tap_skip_all "cannot seed the mailbox"
size=$(cat "$tmp/seed/1" "$tmp/seed/2" "$tmp/seed/3" | wc -c | tr -d ' ')

# drive NAME [OPTION...]: run the driver as the demo user; sets out, rc.
drive()
{
	_name=$1
	shift
	mkdir -p "$tmp/$_name.d"
	out=$("$driver" -a "$DOVECOT_CA" -p "$DOVECOT_PASSWORD_FILE" \
	    -d "$tmp/$_name.log" -o "$tmp/$_name.d" -t 10 "$@" 2>&1)
	rc=$?
}

# The UIDLs Dovecot gives, "uidl n=N uid=U" a line: pop3_uidl_format is
# %08Xu%08Xv (tests/lib/dovecot.sh; Dovecot's %X is lower-case hex) of
# the UID and UIDVALIDITY doveadm reports.
doveadm_uidls()
{
	_v=$(dv_doveadm -f flow mailbox status -u "$DOVECOT_USER" uidvalidity \
	    INBOX | sed 's/.*uidvalidity=//')
	dv_doveadm -f tab fetch -u "$DOVECOT_USER" 'seq uid' mailbox INBOX all |
	    while read -r _seq _uid; do
		case $_seq in *[!0-9]* | '') continue ;; esac
		printf 'uidl n=%s uid=%08x%08x\n' "$_seq" "$_uid" "$_v"
	done
}

# messages_left: the message count doveadm sees in INBOX.
messages_left()
{
	dv_doveadm -f flow mailbox status -u "$DOVECOT_USER" messages INBOX |
	    sed 's/.*messages=//'
}

drive pop3s -M plain -x stat,list,uidl,retr:1,retr:2,retr:3,top:1:0,quit \
    127.0.0.1 "$POP3S_PORT"
tap_eq "pop3s: exit 0" "$rc" 0
tap_like "pop3s: TLS" "$out" '^connected tls=TLSv1\.[23] '
tap_like "pop3s: CAPA read" "$out" '^capa .*UIDL'
tap_like "pop3s: STAT counts the seeded messages and their bytes" "$out" \
    "^stat count=3 size=$size\$"
tap_like "pop3s: LIST has message 2's size" "$out" \
    "^list n=2 size=$(wc -c <"$tmp/seed/2" | tr -d ' ')\$"
want=$(doveadm_uidls)
got=$(printf '%s\n' "$out" | grep '^uidl n=')
tap_eq "pop3s: UIDL matches doveadm's pop3.uidl" "$got" "$want"
tap_eq "pop3s: three UIDLs" "$(printf '%s\n' "$got" | grep -c .)" 3
for i in 1 2 3; do
	if cmp -s "$tmp/seed/$i" "$tmp/pop3s.d/retr-$i"; then
		tap_ok "pop3s: RETR $i gives the seeded bytes"
	else
		tap_fail "pop3s: RETR $i gives the seeded bytes" \
		    "$(od -c "$tmp/pop3s.d/retr-$i" | head -n 20)"
	fi
done
tap_eq "pop3s: TOP 1 0 is the header and the blank line" \
    "$(od -c <"$tmp/pop3s.d/top-1")" \
    "$(sed -n '1,/^\r$/p' "$tmp/seed/1" | od -c)"
tap_like "pop3s: quit" "$out" '^quit ok$'
tap_file_like "pop3s: AUTH PLAIN logged as secret" "$tmp/pop3s.log" \
    '> AUTH PLAIN <secret>$'
tap_file_unlike "pop3s: password not in the log" "$tmp/pop3s.log" "$password"

drive stls -S -x stat,quit 127.0.0.1 "$POP3_PORT"
tap_eq "pop3+STLS: exit 0" "$rc" 0
tap_like "pop3+STLS: TLS" "$out" '^connected tls=TLSv1\.[23] '
tap_like "pop3+STLS: STAT" "$out" "^stat count=3 size=$size\$"
tap_eq "pop3+STLS: STLS before any credential" \
    "$(grep -E '> (STLS|AUTH|USER|PASS)' "$tmp/stls.log" | head -n 1 |
	sed 's/.* > //')" "STLS"
tap_file_unlike "pop3+STLS: password not in the log" "$tmp/stls.log" \
    "$password"

drive user -L -x uidl:2,quit 127.0.0.1 "$POP3S_PORT"
tap_eq "USER/PASS: exit 0" "$rc" 0
tap_file_like "USER/PASS: PASS logged as secret" "$tmp/user.log" \
    '> PASS <secret>$'
tap_like "USER/PASS: UIDL 2 matches doveadm" "$out" \
    "^$(printf '%s\n' "$want" | sed -n 2p)\$"

drive pipe -A -x retr:3,retr:1,retr:2,noop,quit 127.0.0.1 "$POP3S_PORT"
tap_eq "pipelined: exit 0" "$rc" 0
tap_file_like "pipelined: PIPELINING offered" "$tmp/pipe.log" \
    '< PIPELINING$'
tap_eq "pipelined: RETR 3 1 2 and NOOP went out before the first reply" \
    "$(sed -n '/> RETR 3$/,/< +OK/p' "$tmp/pipe.log" | grep -c '> ')" 4
if cmp -s "$tmp/seed/2" "$tmp/pipe.d/retr-2"; then
	tap_ok "pipelined: RETR 2 gives the seeded bytes"
else
	tap_fail "pipelined: RETR 2 gives the seeded bytes"
fi

printf 'wrong\n' >"$tmp/wrong.pw"
out=$("$driver" -a "$DOVECOT_CA" -p "$tmp/wrong.pw" -t 10 -x stat \
    127.0.0.1 "$POP3S_PORT" 2>&1)
tap_like "wrong password: auth error with Dovecot's text" "$out" \
    '^error connect auth( AUTH)?: login refused by 127\.0\.0\.1: -ERR (\[AUTH\] )?Authentication failed\.$'

# DELE on a connection dropped without QUIT: nothing is removed.
drive drop -x dele:1,drop 127.0.0.1 "$POP3S_PORT"
tap_like "drop: DELE answered" "$out" '^dele 1 ok$'
tap_like "drop: left without QUIT" "$out" '^drop$'
tap_file_unlike "drop: no QUIT sent" "$tmp/drop.log" '> QUIT'
drive after-drop -x stat,quit 127.0.0.1 "$POP3S_PORT"
tap_like "drop: still three messages over POP3" "$out" \
    "^stat count=3 size=$size\$"
tap_eq "drop: still three messages for doveadm" "$(messages_left)" 3

# DELE then QUIT: the message is gone.
first=$(printf '%s\n' "$want" | sed -n '1s/.* uid=//p')
drive dele -x dele:1,quit 127.0.0.1 "$POP3S_PORT"
tap_eq "DELE+QUIT: exit 0" "$rc" 0
tap_like "DELE+QUIT: quit" "$out" '^quit ok$'
tap_eq "DELE+QUIT: two messages left for doveadm" "$(messages_left)" 2
drive after-dele -x uidl,quit 127.0.0.1 "$POP3S_PORT"
tap_unlike "DELE+QUIT: its UIDL is gone" "$out" "uid=$first\$"
tap_eq "DELE+QUIT: two UIDLs left" \
    "$(printf '%s\n' "$out" | grep -c '^uidl n=')" 2

# RSET undoes a DELE; a DELE of a message that is not there is a -ERR
# and the session goes on.
drive rset -x dele:1,rset,dele:99,quit 127.0.0.1 "$POP3S_PORT"
tap_like "RSET: answered" "$out" '^rset ok$'
tap_like "DELE of a missing message: -ERR, worded like git" "$out" \
    '^error dele 99 err: cannot delete message 99: -ERR '
tap_like "DELE of a missing message: the session goes on" "$out" '^quit ok$'
tap_eq "RSET: nothing removed" "$(messages_left)" 2

tap_done
