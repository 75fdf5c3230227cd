# errand tests: the round trips of a POP3 fetch from the TCP connect to
# the first UIDL answer, against the harness's Dovecot (which offers
# PIPELINING and SASL PLAIN), counted in the protocol log. Over pop3s:
# the TLS handshake, the greeting, CAPA, then AUTH PLAIN with UIDL and
# LIST behind it (RFC 2449 6.6): four. Over STLS the CAPA is asked again
# after the handshake (RFC 2595 4), so six. A wrong password still fails
# the fetch as a refused login, and nothing is stored. auth = plain: with
# SCRAM (what auto takes here) nothing can follow AUTH before its end.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
dovecot_start || tap_skip_all "cannot start a private dovecot"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/errand-pop3-rt.XXXXXX") || exit 1
errand_at_exit 'rm -rf "$tmp"'
mkdir -p "$tmp/seed"
for i in 1 2 3; do
	printf 'From: a@example.org\r\nSubject: rt %d\r\nMessage-ID: <prt%d@x>\r\n\r\nbody %d\r\n' \
	    $i $i $i >"$tmp/seed/m$i"
done
dovecot_seed "$tmp/seed" || tap_skip_all "cannot seed the mailbox"

# fetch NAME CONF: errand sync with XDG dirs under $tmp/NAME and the
# protocol log $tmp/NAME.log; sets out and rc.
fetch()
{
	out=$(XDG_CACHE_HOME=$tmp/$1/cache XDG_DATA_HOME=$tmp/$1/data \
	    "$ERRAND" -c "$2" -d "$tmp/$1.log" sync 2>&1)
	rc=$?
}

# turns LOG: the round trips of LOG from the TCP connect to the first
# reply to UIDL: one for each TLS handshake, and one for each wait for
# the server (the greeting, or a batch of commands sent together before
# a reply came). The commands of each batch, "|" between batches, go to
# LOG.batches.
turns()
{
	awk '
	/ \* connected$/ { up = 1; wait = 1; n = 1; next }
	!up { next }
	/ \* TLS established/ { n++; next }
	/ < / {
		if (uidl) exit
		wait = 0; next
	}
	/ > / {
		if (!wait) { n++; wait = 1; b = b "|" }
		c = $0; sub(/.* > /, "", c); sub(/ .*/, "", c); b = b " " c
		if (c == "UIDL") uidl = 1
	}
	END { print n; print b > "/dev/stderr" }' "$1" 2>"$1.batches"
}

errand_write_config "$tmp/pop3s.conf" pop3s "auth = plain"
fetch pop3s "$tmp/pop3s.conf"
tap_eq "pop3s fetch exits 0 ($out)" "$rc" 0
tap_eq "pop3s: three messages fetched" \
    "$(ls "$tmp/pop3s/data/errand/demo/new" | wc -l | tr -d ' ')" 3
n=$(turns "$tmp/pop3s.log")
tap_eq "pop3s: 4 round trips to the first UIDL answer ($(cat \
    "$tmp/pop3s.log.batches"))" "$n" 4
tap_file_like "pop3s: UIDL and LIST follow AUTH" "$tmp/pop3s.log.batches" \
    '^\| CAPA\| AUTH UIDL LIST$'

errand_write_config "$tmp/stls.conf" pop3 "auth = plain"
fetch stls "$tmp/stls.conf"
tap_eq "STLS fetch exits 0 ($out)" "$rc" 0
n=$(turns "$tmp/stls.log")
tap_eq "STLS: 6 round trips to the first UIDL answer ($(cat \
    "$tmp/stls.log.batches"))" "$n" 6
tap_file_like "STLS: CAPA asked again after the handshake" \
    "$tmp/stls.log.batches" '^\| CAPA\| STLS\| CAPA\| AUTH UIDL LIST$'

# A refused login fails the commands behind it with its own error.
sed 's/^password-command = .*/password-command = echo wrong/' \
    "$tmp/pop3s.conf" >"$tmp/wrong.conf"
grep -q '^password-command = echo wrong' "$tmp/wrong.conf" ||
	tap_fail "cannot write a wrong password into $tmp/wrong.conf"
fetch wrong "$tmp/wrong.conf"
tap_like "wrong password: exit 1, login refused ($out)" "$rc $out" \
    '^1 .*login refused by'
tap_file_like "wrong password: UIDL was sent behind AUTH" "$tmp/wrong.log" \
    '> UIDL$'
tap_eq "wrong password: nothing stored" \
    "$(ls "$tmp/wrong/data/errand/demo/new" 2>/dev/null | wc -l | tr -d ' ')" 0

tap_done
