# errand tests: STARTTLS and the first replies against a scripted server.
# A credential must never leave on a plain connection: a server without
# STARTTLS/STLS, or one that refuses it, ends the check before LOGIN/USER.
# Also odd greetings (BYE, garbage, cut, 100 KB with no line end) and the
# RFC 2595 3.1 injection of a line sent before the TLS handshake.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/scripted.sh"

scripted_init proto

# run_case NAME SCRIPT SCHEME [CONFIG-LINE...]: play SCRIPT (a file name in
# scripts/ or a path) on a new scripted server and run errand check against
# it. Sets out (stdout and stderr), rc, tr (the server's transcript), log
# (errand's protocol log) and src (the server's status).
run_case()
{
	_name=$1 _scheme=$3
	scripted_serve "$1" "$2" || return
	shift 3
	{
		echo "[account demo]"
		echo "source = $_scheme://demo@127.0.0.1:$port"
		echo "password-command = cat $tmp/$_name.pw"
		echo "ca-file = $tmp/cert.pem"
		echo "connect-timeout = 5"
		echo "timeout = 5"
		for _l in "$@"; do printf '%s\n' "$_l"; done
	} >"$tmp/$_name.conf"
	out=$("$ERRAND" -c "$tmp/$_name.conf" -d "$log" check demo 2>&1)
	rc=$?
	scripted_done
}

# refused NAME: the check failed cleanly and no credential went out.
refused()
{
	tap_eq "$1: exit 1" "$rc" 1
	tap_file_unlike "$1: no LOGIN or USER sent" "$tr" \
	    '^C: (a[0-9]+ LOGIN|USER|PASS|AUTH)'
	tap_file_unlike "$1: password not in transcript" "$tr" "$PW"
	tap_file_unlike "$1: password not in log" "$log" "$PW"
}

run_case no-starttls imap-no-starttls.txt imap
tap_like "imap without STARTTLS: says so" "$out" \
    '^errand: demo: 127\.0\.0\.1 does not offer STARTTLS; not sending the password over an unencrypted connection$'
refused "imap without STARTTLS"
tap_file_like "imap without STARTTLS: asked for CAPABILITY" "$tr" \
    '^C: a1 CAPABILITY$'

run_case no-stls pop3-no-stls.txt pop3
tap_like "pop3 without STLS: says so" "$out" \
    'does not offer STLS; not sending the password'
refused "pop3 without STLS"

run_case no-capa pop3-no-capa.txt pop3
tap_like "pop3 without CAPA: refuses" "$out" 'does not offer STLS'
refused "pop3 without CAPA"

run_case starttls-no imap-starttls-no.txt imap
tap_like "STARTTLS answered NO: says so" "$out" \
    "127\.0\.0\.1 refused STARTTLS: \[UNAVAILABLE\] TLS is resting"
refused "STARTTLS answered NO"

run_case stls-err pop3-stls-err.txt pop3
tap_like "STLS answered -ERR: says so" "$out" \
    "127\.0\.0\.1 refused STLS: -ERR TLS is resting; not sending the password"
refused "STLS answered -ERR"

run_case bye imap-bye.txt imap
tap_like "greeting BYE: says so" "$out" \
    'refused the connection: too many connections'
refused "greeting BYE"

run_case garbage imap-garbage.txt imap
tap_like "garbage greeting: not IMAP" "$out" \
    "127\.0\.0\.1 is not an IMAP server: it said '"
tap_unlike "garbage greeting: no control bytes echoed" "$out" \
    "$(printf '[\001-\010\016-\037]')"
refused "garbage greeting"

run_case cut imap-cut-greeting.txt imap
tap_like "greeting cut half-way: connection closed" "$out" \
    '127\.0\.0\.1 closed the connection'
refused "greeting cut half-way"

# 100 KB and no line end: under the line bound (16 MiB), so it waits for
# the rest until the timeout, without a crash or a password sent.
{
	printf 'RAW: * OK '
	head -c 102400 /dev/zero | tr '\0' x
	printf '\nSLEEP 8\n'
} >"$tmp/huge.txt"
run_case huge "$tmp/huge.txt" imap
tap_like "100 KB greeting line: times out" "$out" \
    '127\.0\.0\.1 did not answer in 5 seconds'
refused "100 KB greeting line"

run_case preauth imap-preauth-plain.txt imap
tap_like "PREAUTH on a plain port: refused" "$out" 'PREAUTH'
refused "PREAUTH on a plain port"

run_case starttls imap-starttls-login.txt imap
tap_eq "imap STARTTLS then LOGIN: exit 0" "$rc" 0
tap_like "imap STARTTLS then LOGIN: reports TLS" "$out" \
    '^demo: ok \(imap://demo@127\.0\.0\.1:[0-9]+, TLSv1\.[23], LOGIN\)$'
tap_eq "imap STARTTLS then LOGIN: server script ran to the end" "$src" 0
tap_file_like "imap STARTTLS then LOGIN: log hides the password" "$log" \
    '> a4 LOGIN "demo" <secret>$'
tap_file_unlike "imap STARTTLS then LOGIN: password not in log" "$log" "$PW"
tap_eq "imap STARTTLS then LOGIN: log mode 0600" \
    "$(stat -c %a "$log" 2>/dev/null)" 600
# LOGINDISABLED before TLS is fine: it is about the plain connection.
tap_eq "imap STARTTLS then LOGIN: LOGIN only after TLS" \
    "$(sed -n '/^\* TLS established/,$p' "$tr" | grep -c '^C: a4 LOGIN')" 1

run_case injection imap-starttls-injection.txt imap
tap_eq "STARTTLS injection: line before TLS not read after it" "$rc" 0
tap_unlike "STARTTLS injection: no trace in the result" "$out" 'injected'
tap_file_like "STARTTLS injection: logged as discarded" "$log" \
    'discarding [0-9]+ bytes received before TLS'

run_case refused imap-login-refused.txt imap
tap_eq "wrong password: exit 1" "$rc" 1
tap_like "wrong password: server's text" "$out" \
    '^errand: demo: login refused by 127\.0\.0\.1: \[AUTHENTICATIONFAILED\] Authentication failed\.$'
tap_eq "wrong password: not tried again" \
    "$(grep -c '^C: a[0-9]* LOGIN' "$tr")" 1

run_case logindisabled imap-logindisabled-tls.txt imap
tap_like "LOGINDISABLED after TLS: refused" "$out" 'LOGINDISABLED'
tap_file_unlike "LOGINDISABLED after TLS: no LOGIN" "$tr" '^C: a[0-9]+ LOGIN'

PW=hunter2-sécret
run_case literal imap-login-literal.txt imap
tap_eq "8-bit password: sent as a literal" "$rc" 0
tap_eq "8-bit password: server script ran to the end" "$src" 0
tap_file_unlike "8-bit password: not in log" "$log" "$PW"
PW=hunter2-secret

run_case pop3-stls pop3-stls-login.txt pop3
tap_eq "pop3 STLS then USER/PASS: exit 0" "$rc" 0
tap_eq "pop3 STLS then USER/PASS: server script ran to the end" "$src" 0
tap_file_like "pop3 STLS then USER/PASS: log hides PASS" "$log" \
    '> PASS <secret>$'
tap_file_unlike "pop3 STLS then USER/PASS: password not in log" "$log" "$PW"

tap_done
