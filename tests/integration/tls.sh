# errand tests: TLS against a real Dovecot on loopback. The server's
# certificate is for IP 127.0.0.1 only and signed by a CA made on the spot:
# it verifies with ca-file, fails without it (naming OpenSSL's reason and
# the fingerprint), fails for "localhost" (host name mismatch), and passes
# without ca-file when pinned with tls-fingerprint. STARTTLS and STLS, a
# wrong password, and a protocol log that never holds the password. The
# system's authorities are found in the hashed directory, else the bundle.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] ||
	tap_skip_all "dovecot not installed"
command -v openssl >/dev/null 2>&1 || tap_skip_all "openssl not found"
dovecot_start || tap_skip_all "cannot start a private dovecot"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/errand-tls.XXXXXX") || exit 1
errand_at_exit 'rm -rf "$tmp"'
password=$(head -n 1 "$DOVECOT_PASSWORD_FILE")

# check NAME CONFIG: run errand check; sets out and rc.
check()
{
	out=$("$ERRAND" -c "$2" -d "$tmp/$1.log" check 2>&1)
	rc=$?
}

for scheme in imaps imap pop3s pop3; do
	errand_write_config "$tmp/$scheme.conf" "$scheme"
	check "$scheme" "$tmp/$scheme.conf"
	tap_eq "$scheme with ca-file: exit 0" "$rc" 0
	tap_like "$scheme with ca-file: TLS 1.2 or later" "$out" \
	    "^$DOVECOT_USER: ok \\($scheme://$DOVECOT_USER@127\\.0\\.0\\.1:[0-9]+, TLSv1\\.[23], SCRAM-SHA-256\\)\$"
	tap_file_unlike "$scheme: password not in the log" "$tmp/$scheme.log" \
	    "$password"
done
tap_file_like "imap: STARTTLS in the log" "$tmp/imap.log" '> a[0-9]+ STARTTLS$'
tap_file_like "pop3: STLS in the log" "$tmp/pop3.log" '> STLS$'
tap_file_like "imaps: the login logged with <secret>" "$tmp/imaps.log" \
    "> a[0-9]+ (LOGIN \"$DOVECOT_USER\"|AUTHENTICATE [A-Z0-9-]+) <secret>\$"
tap_file_like "pop3s: the login logged with <secret>" "$tmp/pop3s.log" \
    '> (PASS|AUTH [A-Z0-9-]+) <secret>$'
tap_eq "log is mode 0600" "$(stat -c %a "$tmp/imaps.log")" 600

# No ca-file: the system store does not know the test CA.
errand_write_config "$tmp/noca.conf" imaps
sed -i '/^ca-file/d' "$tmp/noca.conf"
check noca "$tmp/noca.conf"
tap_eq "imaps without ca-file: exit 1" "$rc" 1
tap_like "imaps without ca-file: certificate verify failed" "$out" \
    '^errand: demo: certificate verify failed for 127\.0\.0\.1: .+ \(sha256 fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}\)$'
tap_file_unlike "imaps without ca-file: no LOGIN sent" "$tmp/noca.log" \
    '> a[0-9]+ LOGIN'

# The system's authorities: errand reads the hashed directory first and
# the bundle file only when the directory does not know the issuer. An
# empty SSL_CERT_DIR with the test CA as SSL_CERT_FILE takes that second
# path; the same with another CA's file fails as before.
mkdir -p "$tmp/nocerts"
out=$(SSL_CERT_DIR="$tmp/nocerts" SSL_CERT_FILE="$DOVECOT_CA" "$ERRAND" \
    -c "$tmp/noca.conf" -d "$tmp/bundle.log" check 2>&1)
rc=$?
tap_eq "the CA only in SSL_CERT_FILE (the bundle): exit 0" "$rc" 0
tap_file_like "the bundle was read only after the directory failed" \
    "$tmp/bundle.log" "verified again with the bundled authorities: ok"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/other.key" \
    -out "$tmp/other.pem" -days 2 -subj "/CN=other CA" >/dev/null 2>&1
out=$(SSL_CERT_DIR="$tmp/nocerts" SSL_CERT_FILE="$tmp/other.pem" \
    "$ERRAND" -c "$tmp/noca.conf" check 2>&1)
rc=$?
tap_eq "another CA in SSL_CERT_FILE: exit 1" "$rc" 1
tap_like "another CA in SSL_CERT_FILE: certificate verify failed" "$out" \
    'certificate verify failed for 127\.0\.0\.1'

# The fingerprint it printed pins the certificate, without ca-file.
fp=$(printf '%s\n' "$out" | sed -n 's/.*(sha256 fingerprint \([0-9A-F:]*\)).*/\1/p')
want=$(openssl x509 -in "$DOVECOT_DIR/server.pem" -noout -fingerprint \
    -sha256 2>/dev/null | sed 's/.*=//')
tap_eq "the fingerprint printed is the server certificate's" "$fp" "$want"
errand_write_config "$tmp/pin.conf" imaps "tls-fingerprint = sha256:$fp"
sed -i '/^ca-file/d' "$tmp/pin.conf"
check pin "$tmp/pin.conf"
tap_eq "tls-fingerprint without ca-file: exit 0" "$rc" 0
tap_like "tls-fingerprint without ca-file: ok" "$out" '^demo: ok \(imaps://'
lower=$(printf '%s' "$fp" | tr -d : | tr 'A-F' 'a-f')
errand_write_config "$tmp/pin2.conf" imaps "tls-fingerprint = sha256:$lower"
sed -i '/^ca-file/d' "$tmp/pin2.conf"
check pin2 "$tmp/pin2.conf"
tap_eq "tls-fingerprint lower case, no colons: exit 0" "$rc" 0
wrong=$(printf '%s' "$lower" | sed 's/^./0/; t; s/^/0/')
[ "$wrong" = "$lower" ] && wrong=$(printf '%s' "$lower" | sed 's/^./1/')
errand_write_config "$tmp/pin3.conf" imaps "tls-fingerprint = sha256:$wrong"
sed -i '/^ca-file/d' "$tmp/pin3.conf"
check pin3 "$tmp/pin3.conf"
tap_eq "wrong tls-fingerprint: exit 1" "$rc" 1
tap_like "wrong tls-fingerprint: certificate verify failed" "$out" \
    'certificate verify failed for 127\.0\.0\.1'

# "localhost": the chain is good, the name is not.
errand_write_config "$tmp/localhost.conf" imaps
sed -i 's/@127\.0\.0\.1:/@localhost:/' "$tmp/localhost.conf"
check localhost "$tmp/localhost.conf"
tap_eq "localhost: exit 1" "$rc" 1
tap_like "localhost: host name mismatch" "$out" \
    '^errand: demo: host name mismatch for localhost: certificate is for 127\.0\.0\.1 \(sha256 fingerprint [0-9A-F:]+\)$'
tap_file_unlike "localhost: no LOGIN sent" "$tmp/localhost.log" '> a[0-9]+ LOGIN'

# STARTTLS that cannot verify stops before LOGIN too.
errand_write_config "$tmp/imapnoca.conf" imap
sed -i '/^ca-file/d' "$tmp/imapnoca.conf"
check imapnoca "$tmp/imapnoca.conf"
tap_eq "imap STARTTLS without ca-file: exit 1" "$rc" 1
tap_like "imap STARTTLS without ca-file: certificate verify failed" "$out" \
    'certificate verify failed for 127\.0\.0\.1'
tap_file_unlike "imap STARTTLS without ca-file: no LOGIN" \
    "$tmp/imapnoca.log" '> a[0-9]+ LOGIN'

# A wrong password.
printf 'not-the-password\n' >"$tmp/wrong.pw"
for scheme in imaps pop3s; do
	errand_write_config "$tmp/wrong-$scheme.conf" "$scheme"
	sed -i "s|^password-command = .*|password-command = cat $tmp/wrong.pw|" \
	    "$tmp/wrong-$scheme.conf"
	check "wrong-$scheme" "$tmp/wrong-$scheme.conf"
	tap_eq "$scheme wrong password: exit 1" "$rc" 1
	tap_like "$scheme wrong password: login refused" "$out" \
	    '^errand: demo: login refused by 127\.0\.0\.1: .*[Aa]uthentication failed'
	tap_file_unlike "$scheme wrong password: not in the log" \
	    "$tmp/wrong-$scheme.log" 'not-the-password'
done

tap_done
