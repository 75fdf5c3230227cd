# errand tests: the round trips of a warm open, and TLS session resumption,
# against the harness's Dovecot (one imap-login process, so its TLS
# sessions resume; imap_zlib for COMPRESS). A warm sync of a folder with
# nothing changed takes two round trips after the TCP connect on TLS 1.3,
# counted in the protocol log: the handshake, then AUTHENTICATE (sent
# before the greeting, as the server took SASL-IR last time) with ENABLE,
# SELECT (QRESYNC) and COMPRESS behind it; LOGOUT is sent and not waited
# for. What follows the SELECT goes compressed; a refused login in that
# batch is a clear error. The second connection
# resumes the TLS session kept in $XDG_CACHE_HOME (0600); another host
# name, a changed pin or a session file whose certificate was swapped
# never resumes. auth = plain; then SCRAM (what auto takes here): its
# AUTHENTICATE also goes before the greeting, then the client-final with
# the empty answer to the server's proof, ENABLE, SELECT and COMPRESS in
# one flight: three round trips. Nothing the server answers is taken
# before its signature is checked. A wrong password stores nothing; a
# mechanism no longer offered is refused, and the login goes again after
# the greeting.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
command -v openssl >/dev/null 2>&1 || tap_skip_all "openssl not found"
DOVECOT_LOGIN_REUSE=1 dovecot_start ||
	tap_skip_all "cannot start a private dovecot"
[ -e /usr/lib/dovecot/modules/lib30_imap_zlib_plugin.so ] ||
	tap_skip_all "Dovecot's imap_zlib plugin is not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/errand-rt.XXXXXX") || exit 1
errand_at_exit 'rm -rf "$tmp"'
mkdir -p "$tmp/seed"
for i in 1 2 3 4 5; do
	printf 'From: a@example.org\nSubject: rt %d\nMessage-ID: <rt%d@x>\n\nbody %d\n' \
	    $i $i $i >"$tmp/seed/m$i"
done
dovecot_seed "$tmp/seed" || tap_skip_all "cannot seed the mailbox"

conf=$tmp/errand.conf
errand_write_config "$conf" imaps "compress = yes" "auth = plain"
session=$tmp/cache/errand/$DOVECOT_USER.tls

# sync NAME [CONF]: errand sync of INBOX with the protocol log
# $tmp/NAME.log; sets out and rc.
sync_one()
{
	out=$(XDG_CACHE_HOME=$tmp/cache "$ERRAND" -c "${2:-$conf}" \
	    -d "$tmp/$1.log" sync "$DOVECOT_USER" INBOX 2>&1)
	rc=$?
}

# turns LOG: the round trips of LOG after the TCP connect, up to LOGOUT:
# one for the TLS handshake, one for the greeting if it was waited for
# before sending, and one for each batch of commands sent that waited for
# a reply. The commands of each batch ("+" for an AUTHENTICATE
# response), "|" between batches, go to LOG.batches.
turns()
{
	awk '
	/ \* connected$/ { up = 1; next }
	!up { next }
	/ \* TLS established/ { n++; next }
	/ < / { if (!greeted) { greeted = 1; if (!sent) n++ } wait = 0; next }
	/ > [^ ]+ LOGOUT$/ { exit }
	/ > / {
		sent = 1
		if (!wait) { n++; wait = 1; b = b "|" }
		if (/ > <secret>$/) { b = b " +"; next }
		sub(/.* > [^ ]+ /, ""); sub(/ .*/, ""); b = b " " $0
	}
	END { print n; print b > "/dev/stderr" }' "$1" 2>"$1.batches"
}

sync_one cold
tap_eq "cold sync exit 0 ($out)" "$rc" 0
tap_file_like "cold: TLS 1.3" "$tmp/cold.log" 'TLS established: TLSv1\.3$'
tap_file_like "cold: the TLS session kept" "$tmp/cold.log" \
    'TLS session kept for next time'
tap_eq "the session file is mode 0600" "$(stat -c %a "$session")" 600

sync_one warm
tap_like "warm sync exit 0, nothing changed ($out)" "$rc $out" \
    '^0 INBOX: 0 new, 0 changed, 0 vanished \(qresync\)$'
tap_file_like "warm: the TLS session resumed" "$tmp/warm.log" \
    'TLS session resumed'
n=$(turns "$tmp/warm.log")
batches=$(cat "$tmp/warm.log.batches")
if [ "$n" -le 2 ]; then
	tap_ok "warm open in $n round trips after connect (<= 2):$batches"
else
	tap_fail "warm open in at most 2 round trips" "got $n:$batches"
fi
tap_like "AUTHENTICATE, ENABLE, SELECT and COMPRESS in one batch" \
    "$batches" '(^|\|) AUTHENTICATE ENABLE SELECT COMPRESS(\||$)'
tap_file_like "warm: logged in before the greeting" "$tmp/warm.log" \
    'logging in before the greeting'
tap_file_like "SELECT with QRESYNC" "$tmp/warm.log" \
    '> a[0-9]+ SELECT "INBOX" \(QRESYNC \('
tap_file_like "LOGOUT sent" "$tmp/warm.log" '> a[0-9]+ LOGOUT$'
tap_file_like "the server saw the LOGOUT" "$DOVECOT_DIR/dovecot.log" \
    'Logged out'

# A new message: its headers are fetched after COMPRESS's answer, through
# DEFLATE.
mkdir -p "$tmp/seed2"
printf 'From: b@example.org\nSubject: rt 6\nMessage-ID: <rt6@x>\n\nbody 6\n' \
    >"$tmp/seed2/m6"
dovecot_seed "$tmp/seed2" || tap_fail "seeding a sixth message"
sync_one new
tap_like "a new message through the pipelined login ($out)" "$rc $out" \
    '^0 INBOX: 1 new, 0 changed, 0 vanished \(qresync\)$'
tap_eq "its FETCH after DEFLATE went on" "$(awk '
	/DEFLATE compression on/ { on = 1 }
	/ > [^ ]+ UID FETCH / { print on ? "compressed" : "plain"; exit }' \
    "$tmp/new.log")" compressed
n=$(turns "$tmp/new.log")
tap_eq "the SELECT in the login's batch again" \
    "$(cut -d'|' -f2 "$tmp/new.log.batches")" \
    ' AUTHENTICATE ENABLE SELECT COMPRESS'

# A wrong password in the pipelined batch: the login's refusal is the
# error, not the SELECT's.
{
	echo "[account $DOVECOT_USER]"
	echo "source = imaps://$DOVECOT_USER@127.0.0.1:$IMAPS_PORT"
	echo "password-command = echo wrong-password"
	echo "ca-file = $DOVECOT_CA"
	echo "compress = yes"
} >"$tmp/wrong.conf"
cp "$session" "$tmp/kept-wrong.tls"
sync_one wrong "$tmp/wrong.conf"
tap_eq "wrong password: sync exit 1" "$rc" 1
tap_like "wrong password: the login refused, named ($out)" "$out" \
    'login refused by 127\.0\.0\.1'
tap_file_like "wrong password: it was the pipelined batch" "$tmp/wrong.log" \
    'ENABLE and SELECT pipelined behind the login'
cp "$tmp/kept-wrong.tls" "$session"

# Another name for the same server: the pin lets the certificate (for IP
# 127.0.0.1) pass; the session kept for 127.0.0.1 is not offered.
fp=$(openssl x509 -in "$DOVECOT_DIR/server.pem" -noout -fingerprint \
    -sha256 | sed 's/.*=//')
{
	echo "[account $DOVECOT_USER]"
	echo "source = imaps://$DOVECOT_USER@localhost:$IMAPS_PORT"
	echo "password-command = cat $DOVECOT_PASSWORD_FILE"
	echo "ca-file = $DOVECOT_CA"
	echo "compress = yes"
	echo "tls-fingerprint = sha256:$fp"
} >"$tmp/host.conf"
cp "$session" "$tmp/kept.tls"
sync_one host "$tmp/host.conf"
tap_eq "another host name: sync exit 0 ($out)" "$rc" 0
tap_file_like "another host name: the session not offered" "$tmp/host.log" \
    'not resuming the TLS session kept for 127\.0\.0\.1 port'
tap_file_unlike "another host name: not resumed" "$tmp/host.log" \
    'TLS session resumed'

# The same host with a pin added: the certificate settings changed.
cp "$tmp/kept.tls" "$session"
errand_write_config "$tmp/pin.conf" imaps "compress = yes" "auth = plain" \
    "tls-fingerprint = sha256:$fp"
sync_one pin "$tmp/pin.conf"
tap_eq "pin added: sync exit 0 ($out)" "$rc" 0
tap_file_like "pin added: the session not offered" "$tmp/pin.log" \
    'not resuming the TLS session: the certificate settings changed'
tap_file_unlike "pin added: not resumed" "$tmp/pin.log" 'TLS session resumed'

# A session file whose certificate was swapped: the server resumes, errand
# refuses, names it and forgets the session; the next run starts afresh.
sed 's/^leaf .*/leaf 00:11:22/' "$tmp/kept.tls" >"$session"
sync_one swapped
tap_eq "swapped certificate: sync exit 1" "$rc" 1
tap_like "swapped certificate: named" "$out" \
    'resumed TLS session with 127\.0\.0\.1 is not for the certificate kept with it'
tap_eq "swapped certificate: the session file removed" \
    "$(test -e "$session" && echo kept || echo removed)" removed
sync_one after
tap_eq "after: sync exit 0 ($out)" "$rc" 0
tap_file_unlike "after: a full handshake" "$tmp/after.log" \
    'TLS session resumed'

# SCRAM: the first login waits for the greeting and keeps the hint; the
# next sends AUTHENTICATE SCRAM-SHA-256 before it, and ENABLE, SELECT and
# COMPRESS with the client-final, ahead of the server's signature.
errand_write_config "$tmp/scram.conf" imaps "compress = yes" \
    "auth = scram-sha-256"
sync_one scram1 "$tmp/scram.conf"
tap_eq "scram: first sync exit 0 ($out)" "$rc" 0
sync_one scram "$tmp/scram.conf"
tap_like "scram: warm sync exit 0, nothing changed ($out)" "$rc $out" \
    '^0 INBOX: 0 new, 0 changed, 0 vanished \(qresync\)$'
n=$(turns "$tmp/scram.log")
batches=$(cat "$tmp/scram.log.batches")
if [ "$n" -le 3 ]; then
	tap_ok "scram: warm open in $n round trips after connect (<= 3):$batches"
else
	tap_fail "scram: warm open in at most 3 round trips" "got $n:$batches"
fi
tap_like "scram: ENABLE, SELECT and COMPRESS with the client-final" \
    "$batches" '^\| AUTHENTICATE\| \+ \+ ENABLE SELECT COMPRESS$'
tap_file_like "scram: logged in before the greeting" "$tmp/scram.log" \
    'logging in before the greeting \(AUTHENTICATE SCRAM-SHA-256 '
# The batch goes before the proof; what the server says is taken only
# after it: the first response read after the batch went is the proof,
# checked before the next one is read.
tap_eq "scram: nothing taken before the server's signature was checked" \
    "$(awk '/ > a[0-9]+ SELECT/ { sent = 1; next }
	!sent { next }
	/ < / && !proof { if ($0 ~ / < \+ /) { proof = 1; next }
	    print "answer before the proof: " $0; exit }
	/ < / { print "read before the check: " $0; exit }
	/signature checked/ { print proof ? "proof checked first" : "?"
	    exit }' "$tmp/scram.log")" "proof checked first"

# A wrong password: the login's refusal is the error; the batch went with
# the client-final, nothing it brought back is taken, nothing is stored.
{
	echo "[account $DOVECOT_USER]"
	echo "source = imaps://$DOVECOT_USER@127.0.0.1:$IMAPS_PORT"
	echo "password-command = echo wrong-password"
	echo "ca-file = $DOVECOT_CA"
	echo "compress = yes"
	echo "auth = scram-sha-256"
} >"$tmp/scram-wrong.conf"
cp "$session" "$tmp/kept-scram.tls"
db=$tmp/cache/errand/$DOVECOT_USER.db
sum=$(cksum <"$db")
sync_one scramwrong "$tmp/scram-wrong.conf"
tap_eq "scram, wrong password: sync exit 1" "$rc" 1
tap_like "scram, wrong password: the login refused, named ($out)" "$out" \
    'login refused by 127\.0\.0\.1: \[AUTHENTICATIONFAILED\]'
tap_file_like "scram, wrong password: sent before the greeting" \
    "$tmp/scramwrong.log" 'logging in before the greeting \(AUTHENTICATE SCRAM'
tap_file_like "scram, wrong password: the batch went with the proof" \
    "$tmp/scramwrong.log" '> a[0-9]+ SELECT "INBOX" \(QRESYNC'
tap_file_unlike "scram, wrong password: no signature checked" \
    "$tmp/scramwrong.log" 'signature checked'
tap_eq "scram, wrong password: nothing stored" "$(cksum <"$db")" "$sum"

# A hint naming a mechanism the server no longer offers: refused, and the
# login goes again with what the greeting offers, the held batch behind
# it; the hint is mended for the next login.
sed 's/^hint early-auth=SCRAM-SHA-256 /hint early-auth=SCRAM-SHA-256-PLUS /' \
    "$tmp/kept-scram.tls" >"$session"
sync_one stale "$tmp/scram.conf"
tap_file_like "stale hint: SCRAM-SHA-256-PLUS sent before the greeting" \
    "$tmp/stale.log" '> a1 AUTHENTICATE SCRAM-SHA-256-PLUS '
tap_like "stale hint: sync exit 0, nothing changed ($out)" "$rc $out" \
    'INBOX: 0 new, 0 changed, 0 vanished \(qresync\)$'
tap_unlike "stale hint: the refusal not shown as an alert" "$out" 'alert'
tap_file_like "stale hint: logged in again after the greeting" \
    "$tmp/stale.log" 'refused SCRAM-SHA-256-PLUS .*logging in again'
turns "$tmp/stale.log" >/dev/null
tap_like "stale hint: the batch behind the second login" \
    "$(cat "$tmp/stale.log.batches")" \
    '^\| AUTHENTICATE\| AUTHENTICATE\| \+ \+ ENABLE SELECT COMPRESS$'
sync_one stale2 "$tmp/scram.conf"
tap_eq "stale hint: the next sync exit 0 ($out)" "$rc" 0
tap_file_like "stale hint: the next login early with SCRAM-SHA-256" \
    "$tmp/stale2.log" 'before the greeting \(AUTHENTICATE SCRAM-SHA-256 '
cp "$tmp/kept-scram.tls" "$session"

# A password kept as a SCRAM-SHA-256 hash, as servers keep it, has the
# same salt at each login (for a {PLAIN} one Dovecot makes a new salt each
# time). Its salt and count are kept with the session, never a hash of the
# password; the next login hashes the password for them while it waits
# for the server-first, which takes it.
{
	echo "[account $DOVECOT_SCRAM_USER]"
	echo "source = imaps://$DOVECOT_SCRAM_USER@127.0.0.1:$IMAPS_PORT"
	echo "password-command = cat $DOVECOT_PASSWORD_FILE"
	echo "ca-file = $DOVECOT_CA"
	echo "auth = scram-sha-256"
} >"$tmp/hashed.conf"
hsession=$tmp/cache/errand/$DOVECOT_SCRAM_USER.tls
sync_hashed()
{
	out=$(XDG_CACHE_HOME=$tmp/cache "$ERRAND" -c "$tmp/hashed.conf" \
	    -d "$tmp/$1.log" sync "$DOVECOT_SCRAM_USER" INBOX 2>&1)
	rc=$?
}
sync_hashed hashed1
tap_eq "hashed: first sync exit 0 ($out)" "$rc" 0
tap_file_unlike "hashed: first login, nothing hashed ahead" \
    "$tmp/hashed1.log" 'hashed ahead'
hint=$(sed -n 's/^hint //p' "$hsession")
tap_like "hashed: the salt and count kept in the hint, nothing more" \
    "$hint" '^early-auth=SCRAM-SHA-256( [A-Z=]+)* scram=[1-9][0-9]*,[A-Za-z0-9+/]+=*$'
sync_hashed hashed2
tap_eq "hashed: warm sync exit 0 ($out)" "$rc" 0
tap_file_like "hashed: the password hashed ahead for the kept salt" \
    "$tmp/hashed2.log" 'SCRAM-SHA-256 password hashed ahead for the salt kept'
tap_file_like "hashed: the server-first took it" "$tmp/hashed2.log" \
    'SCRAM-SHA-256 took the password hashed ahead'
tap_file_like "hashed: the server's signature checked" "$tmp/hashed2.log" \
    "the server's SCRAM-SHA-256 signature checked"
# Another salt kept than the server's: hashed ahead but not taken, the
# login goes the normal way, and the hint is mended.
sed 's/ scram=\([0-9]*\),[^ ]*$/ scram=\1,b3RoZXJzYWx0b3RoZXJzYQ==/' \
    "$hsession" >"$tmp/othersalt.tls"
cp "$tmp/othersalt.tls" "$hsession"
sync_hashed othersalt
tap_eq "hashed, other salt kept: sync exit 0 ($out)" "$rc" 0
tap_file_like "hashed, other salt kept: hashed ahead" "$tmp/othersalt.log" \
    'password hashed ahead for the salt kept'
tap_file_unlike "hashed, other salt kept: not taken" "$tmp/othersalt.log" \
    'took the password hashed ahead'
tap_eq "hashed, other salt kept: the hint mended" \
    "$(sed -n 's/^hint //p' "$hsession")" "$hint"

# compress = auto on loopback: the pipelined COMPRESS is not sent.
errand_write_config "$tmp/auto.conf" imaps "auth = plain"
sync_one auto "$tmp/auto.conf"
tap_eq "auto: sync exit 0 ($out)" "$rc" 0
tap_file_unlike "auto: no COMPRESS on loopback" "$tmp/auto.log" \
    '> a[0-9]+ COMPRESS'

tap_done
