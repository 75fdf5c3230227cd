# errand tests: the local work of a connection overlaps its TCP connect.
# errand sync starts the connect before it opens the cache, and the TLS
# context, the account's ca-file and the kept TLS session are made while
# the SYN is on its way (the protocol log shows the session offered before
# the connect's answer), not after the SYN-ACK. The errors stay as they
# were: an unreadable cache is named (the connection started for it is
# dropped before a byte is sent), a bad ca-file is named, a config error
# connects to nothing, and without a password-command (a prompt, which may
# take long) nothing connects before the password is at hand.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
DOVECOT_LOGIN_REUSE=1 dovecot_start ||
	tap_skip_all "cannot start a private dovecot"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/errand-ce.XXXXXX") || exit 1
errand_at_exit 'rm -rf "$tmp"'
mkdir -p "$tmp/seed"
for i in 1 2 3; do
	printf 'From: a@example.org\nSubject: ce %d\nMessage-ID: <ce%d@x>\n\nbody %d\n' \
	    $i $i $i >"$tmp/seed/m$i"
done
dovecot_seed "$tmp/seed" || tap_skip_all "cannot seed the mailbox"

conf=$tmp/errand.conf
errand_write_config "$conf" imaps

# sync NAME [CONF]: errand sync of INBOX with the protocol log
# $tmp/NAME.log; sets out and rc.
sync_one()
{
	out=$(XDG_CACHE_HOME=$tmp/cache XDG_DATA_HOME=$tmp/data "$ERRAND" \
	    -c "${2:-$conf}" -d "$tmp/$1.log" sync "$DOVECOT_USER" INBOX 2>&1)
	rc=$?
}

# line LOG PATTERN: the number of LOG's first line matching PATTERN, or 0.
line()
{
	awk -v p="$2" '$0 ~ p { print NR; found = 1; exit }
	    END { if (!found) print 0 }' "$1"
}

sync_one cold
tap_eq "cold sync exit 0 ($out)" "$rc" 0
sync_one warm
tap_like "warm sync exit 0 ($out)" "$rc $out" '^0 INBOX: 0 new'
tap_file_like "warm: the TLS session resumed" "$tmp/warm.log" \
    'TLS session resumed'
syn=$(line "$tmp/warm.log" ' \* connecting to 127\.0\.0\.1 port ')
offer=$(line "$tmp/warm.log" ' \* offering the kept TLS session$')
up=$(line "$tmp/warm.log" ' \* connected$')
if [ "$syn" -gt 0 ] && [ "$syn" -lt "$offer" ] && [ "$offer" -lt "$up" ]; then
	tap_ok "the TLS session made while the SYN is out (lines $syn < $offer < $up)"
else
	tap_fail "the TLS session made while the SYN is out" \
	    "connecting at line $syn, offered at $offer, connected at $up"
fi

# A ca-file that holds no certificate: named as before, no login.
echo "not a certificate" >"$tmp/bad-ca.pem"
errand_write_config "$tmp/badca.conf" imaps
sed -i "s|^ca-file = .*|ca-file = $tmp/bad-ca.pem|" "$tmp/badca.conf"
rm -f "$tmp/cache/errand/$DOVECOT_USER.tls"
sync_one badca "$tmp/badca.conf"
tap_eq "bad ca-file: sync exit 1" "$rc" 1
tap_like "bad ca-file: named ($out)" "$out" \
    "cannot load CA file '$tmp/bad-ca\\.pem'"
tap_file_unlike "bad ca-file: no login" "$tmp/badca.log" ' > '

# An unreadable cache: the same error as ever; the connect had started
# while it was opened, and nothing went over it.
mkdir -p "$tmp/badcache/errand/$DOVECOT_USER.db"
out=$(XDG_CACHE_HOME=$tmp/badcache XDG_DATA_HOME=$tmp/data "$ERRAND" \
    -c "$conf" -d "$tmp/badcache.log" sync "$DOVECOT_USER" INBOX 2>&1)
rc=$?
tap_eq "unreadable cache: sync exit 1" "$rc" 1
tap_eq "unreadable cache: named as before" "$out" \
    "errand: cannot open cache '$tmp/badcache/errand/$DOVECOT_USER.db': Is a directory"
tap_file_like "unreadable cache: the connect started before the cache opened" \
    "$tmp/badcache.log" ' \* connecting to 127\.0\.0\.1 port '
tap_file_unlike "unreadable cache: nothing sent" "$tmp/badcache.log" \
    ' > |TLS established'

# No password-command and no terminal to ask on: no password, and no
# connection made for it.
errand_write_config "$tmp/nopw.conf" imaps
sed -i '/^password-command/d' "$tmp/nopw.conf"
sync_one nopw "$tmp/nopw.conf" </dev/null
tap_eq "no password: sync exit 1" "$rc" 1
tap_like "no password: named ($out)" "$out" 'no password'
tap_eq "no password: nothing connected" \
    "$(grep -c 'connecting to' "$tmp/nopw.log" 2>/dev/null)" 0

# A config error: no connection at all.
errand_write_config "$tmp/badconf.conf" imaps "no-such-key = 1"
sync_one badconf "$tmp/badconf.conf"
tap_eq "config error: exit 2" "$rc" 2
tap_eq "config error: nothing connected" \
    "$(cat "$tmp/badconf.log" 2>/dev/null | grep -c 'connecting to')" 0

tap_done
