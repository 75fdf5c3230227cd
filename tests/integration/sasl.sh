# errand tests: logging in with each SASL mechanism against the harness's
# Dovecot (auth_mechanisms = plain login scram-sha-1 scram-sha-256), over
# IMAP and POP3, through tests/proto/imap-driver and pop3-driver (-M) and
# errand check (auth =): every mechanism logs in, auto takes SCRAM-SHA-256,
# the protocol log shows <secret> for every line of the exchange, a user
# whose password is kept only as a SCRAM-SHA-256 hash logs in with SCRAM
# (and SCRAM-SHA-1, which needs another hash, is refused), and a wrong
# password with SCRAM is a clear error.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
imap_driver=${IMAP_DRIVER:-$top_builddir/tests/proto/imap-driver}
pop3_driver=${POP3_DRIVER:-$top_builddir/tests/proto/pop3-driver}
[ -x "$imap_driver" ] || tap_skip_all "no imap-driver at $imap_driver"
[ -x "$pop3_driver" ] || tap_skip_all "no pop3-driver at $pop3_driver"
dovecot_start || tap_skip_all "cannot start a private dovecot"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/errand-sasl.XXXXXX") || exit 1
errand_at_exit 'rm -rf "$tmp"'
password=$(cat "$DOVECOT_PASSWORD_FILE")
printf 'not-%s\n' "$password" >"$tmp/wrong.pw"

# drive NAME DRIVER [OPTION...]: run a driver with the harness's password
# and a protocol log $tmp/NAME.log; sets out, rc.
drive()
{
	_name=$1 _driver=$2
	shift 2
	out=$("$_driver" -a "$DOVECOT_CA" -p "$DOVECOT_PASSWORD_FILE" \
	    -d "$tmp/$_name.log" -t 10 "$@" 2>&1)
	rc=$?
}

# secret_lines LOG START END: lines sent from the one matching START to
# the next received one matching END that are not "<secret>" ones.
secret_lines()
{
	sed -n "/$2/,/$3/p" "$1" | grep ' > ' | grep -vc '<secret>$'
}

# hidden NAME: the password, plain or in base64, is not in NAME's log.
hidden()
{
	tap_file_unlike "$1: password not in the log" "$tmp/$1.log" "$password"
	tap_file_unlike "$1: no base64 of the password in the log" \
	    "$tmp/$1.log" "$(printf '%s' "$password" | base64 | tr -d =)"
}

for mech in plain login scram-sha-1 scram-sha-256; do
	MECH=$(printf '%s' "$mech" | tr a-z A-Z)

	drive "imap-$mech" "$imap_driver" -M "$mech" -x o \
	    127.0.0.1 "$IMAPS_PORT"
	tap_eq "imaps $mech: exit 0 ($out)" "$rc" 0
	tap_like "imaps $mech: used" "$out" "^auth=$MECH\$"
	tap_file_like "imaps $mech: AUTHENTICATE $MECH" "$tmp/imap-$mech.log" \
	    "> a1 AUTHENTICATE $MECH( <secret>)?\$"
	tap_eq "imaps $mech: every line of the exchange logged as <secret>" \
	    "$(secret_lines "$tmp/imap-$mech.log" '> a1 AUTHENTICATE' \
		'< a1 ')" \
	    "$(grep -c '> a1 AUTHENTICATE [A-Z0-9-]*$' "$tmp/imap-$mech.log")"
	hidden "imap-$mech"

	drive "pop3-$mech" "$pop3_driver" -M "$mech" -x quit \
	    127.0.0.1 "$POP3S_PORT"
	tap_eq "pop3s $mech: exit 0 ($out)" "$rc" 0
	tap_like "pop3s $mech: used" "$out" "^auth=$MECH\$"
	tap_file_like "pop3s $mech: AUTH $MECH" "$tmp/pop3-$mech.log" \
	    "> AUTH $MECH( <secret>)?\$"
	tap_eq "pop3s $mech: every line of the exchange logged as <secret>" \
	    "$(secret_lines "$tmp/pop3-$mech.log" '> AUTH ' '< [+-]OK\|< -ERR')" \
	    "$(grep -c '> AUTH [A-Z0-9-]*$' "$tmp/pop3-$mech.log")"
	hidden "pop3-$mech"
done

# The exchange lines counted: a SCRAM IMAP login answers two challenges.
tap_eq "imaps scram-sha-256: two continuations answered" \
    "$(grep -c ' > <secret>$' "$tmp/imap-scram-sha-256.log")" 2
tap_eq "imaps login: user and password answered" \
    "$(grep -c ' > <secret>$' "$tmp/imap-login.log")" 2

# Without SASL-IR the first response goes after an empty "+".
for mech in plain scram-sha-256; do
	MECH=$(printf '%s' "$mech" | tr a-z A-Z)
	drive "noir-$mech" "$imap_driver" -i SASL-IR -M "$mech" -x o \
	    127.0.0.1 "$IMAPS_PORT"
	tap_eq "imaps $mech without SASL-IR: exit 0 ($out)" "$rc" 0
	tap_file_like "imaps $mech without SASL-IR: bare AUTHENTICATE" \
	    "$tmp/noir-$mech.log" "> a1 AUTHENTICATE $MECH\$"
	want=1
	[ "$mech" = plain ] || want=3
	tap_eq "imaps $mech without SASL-IR: $want answers, all <secret>" \
	    "$(grep -c ' > <secret>$' "$tmp/noir-$mech.log")" "$want"
	hidden "noir-$mech"
done

drive imap-auto "$imap_driver" -M auto -x o 127.0.0.1 "$IMAPS_PORT"
tap_like "imaps auto: SCRAM-SHA-256 ($out)" "$out" '^auth=SCRAM-SHA-256$'
drive pop3-auto "$pop3_driver" -M auto -x quit 127.0.0.1 "$POP3S_PORT"
tap_like "pop3s auto: SCRAM-SHA-256 ($out)" "$out" '^auth=SCRAM-SHA-256$'
drive imap-stls "$imap_driver" -S -M auto -x o 127.0.0.1 "$IMAP_PORT"
tap_like "imap STARTTLS auto: SCRAM-SHA-256 ($out)" "$out" \
    '^auth=SCRAM-SHA-256$'
tap_file_like "imap STARTTLS auto: after the handshake" "$tmp/imap-stls.log" \
    'TLS established'

# A password kept only as a SCRAM-SHA-256 hash: SCRAM-SHA-256 logs in,
# SCRAM-SHA-1 cannot be checked against it.
drive scram-user "$imap_driver" -u "$DOVECOT_SCRAM_USER" -M scram-sha-256 \
    -x o 127.0.0.1 "$IMAPS_PORT"
tap_eq "hashed password, imaps SCRAM-SHA-256: exit 0 ($out)" "$rc" 0
drive scram-user-pop3 "$pop3_driver" -u "$DOVECOT_SCRAM_USER" \
    -M scram-sha-256 -x quit 127.0.0.1 "$POP3S_PORT"
tap_eq "hashed password, pop3s SCRAM-SHA-256: exit 0 ($out)" "$rc" 0
drive scram-user-sha1 "$imap_driver" -u "$DOVECOT_SCRAM_USER" \
    -M scram-sha-1 -x o 127.0.0.1 "$IMAPS_PORT"
tap_eq "hashed password, SCRAM-SHA-1: refused" "$rc" 1
tap_like "hashed password, SCRAM-SHA-1: login refused" "$out" \
    '^error connect auth: login refused by 127\.0\.0\.1'

# errand check with auth =: the mechanism in its line; a wrong password.
for a in scram-sha-1 scram-sha-256 auto; do
	errand_write_config "$tmp/$a.conf" imaps "auth = $a"
	out=$("$ERRAND" -c "$tmp/$a.conf" check 2>&1)
	rc=$?
	want=$(printf '%s' "$a" | tr a-z A-Z)
	[ "$a" = auto ] && want=SCRAM-SHA-256
	tap_like "check, auth = $a: $want ($out)" "$out" \
	    "^$DOVECOT_USER: ok \\(imaps://$DOVECOT_USER@127\\.0\\.0\\.1:[0-9]+, TLSv1\\.[23], $want\\)\$"
done
errand_write_config "$tmp/pop3.conf" pop3s "auth = scram-sha-1"
out=$("$ERRAND" -c "$tmp/pop3.conf" check 2>&1)
tap_like "check pop3s, auth = scram-sha-1 ($out)" "$out" \
    ', TLSv1\.[23], SCRAM-SHA-1\)$'

for scheme in imaps pop3s; do
	errand_write_config "$tmp/right-$scheme.conf" "$scheme" \
	    "auth = scram-sha-256"
	sed "s|^password-command = .*|password-command = cat $tmp/wrong.pw|" \
	    "$tmp/right-$scheme.conf" >"$tmp/wrong-$scheme.conf"
	out=$("$ERRAND" -c "$tmp/wrong-$scheme.conf" -d "$tmp/wrong-$scheme.log" \
	    check 2>&1)
	rc=$?
	tap_eq "$scheme SCRAM, wrong password: exit 1" "$rc" 1
	tap_like "$scheme SCRAM, wrong password: clear error ($out)" "$out" \
	    "^errand: $DOVECOT_USER: login refused by 127\\.0\\.0\\.1: .*[Aa]uthentication failed"
	tap_file_like "$scheme SCRAM, wrong password: SCRAM was tried" \
	    "$tmp/wrong-$scheme.log" '> (a1 )?AUTH(ENTICATE)? SCRAM-SHA-256'
done

tap_done
