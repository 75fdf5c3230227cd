# errand tests: logging in through net/sasl against a scripted server, for
# what Dovecot will not do on request: only PLAIN and LOGIN offered on a
# port without TLS (nothing is sent), a named mechanism the server lacks,
# SCRAM with the server's signature right, wrong and missing (OK said
# without it), the same with a sync's batch (ENABLE, SELECT) sent with the
# client-final and answered with what would empty the cache, or such
# mailbox data sent before the first challenge (nothing of it may be taken
# before the proof), SCRAM-SHA-256-PLUS
# bound to tls-unique on TLS 1.2 (the scripted server plays SCRAM's server
# side), an OAUTHBEARER error continuation, and a
# server that keeps sending "+". Through errand check (the account's
# auth = key) and through tests/proto/imap-driver and pop3-driver (-P: a
# plain port without STARTTLS, which an account cannot ask for).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/scripted.sh"

scripted_init sasl
imap_driver=${IMAP_DRIVER:-$top_builddir/tests/proto/imap-driver}
pop3_driver=${POP3_DRIVER:-$top_builddir/tests/proto/pop3-driver}
[ -x "$imap_driver" ] || tap_skip_all "no imap-driver at $imap_driver"
[ -x "$pop3_driver" ] || tap_skip_all "no pop3-driver at $pop3_driver"

# check_case NAME SCRIPT SCHEME [CONFIG-LINE...]: errand check against
# SCRIPT. Sets out, rc, tr (the server's transcript), log (errand's
# protocol log) and src (the server's status).
check_case()
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

# drive_case NAME SCRIPT DRIVER [OPTION...]: the driver against SCRIPT.
drive_case()
{
	_name=$1 _driver=$3
	scripted_serve "$1" "$2" || return
	shift 3
	out=$("$_driver" -a "$tmp/cert.pem" -p "$tmp/$_name.pw" -d "$log" \
	    -t 5 "$@" 127.0.0.1 "$port" 2>&1)
	rc=$?
	scripted_done
}

# hidden NAME: the password is in neither the transcript nor the log.
hidden()
{
	tap_file_unlike "$1: password not in the log" "$log" "$PW"
	tap_file_unlike "$1: password not in base64 in the log" "$log" \
	    "$(printf '%s' "$PW" | base64)"
}

# --- no TLS: PLAIN and LOGIN are never sent -------------------------------

drive_case imap-clear imap-sasl-cleartext.txt "$imap_driver" -P -x o
tap_eq "imap, no TLS, PLAIN only: exit 1" "$rc" 1
tap_like "imap, no TLS, PLAIN only: says why" "$out" \
    "error connect [a-z]+: cannot log in to 127\\.0\\.0\\.1: the server offers only PLAIN LOGIN, which would send the password over an unencrypted connection"
tap_file_unlike "imap, no TLS, PLAIN only: nothing sent" "$tr" '^C:'
hidden "imap, no TLS"

drive_case imap-clear-plain imap-sasl-cleartext.txt "$imap_driver" -P \
    -M plain -x o
tap_like "imap, no TLS, auth = plain: refused" "$out" \
    "cannot log in to 127\\.0\\.0\\.1: auth = PLAIN would send the password over an unencrypted connection"
tap_file_unlike "imap, no TLS, auth = plain: nothing sent" "$tr" '^C:'

drive_case pop3-clear pop3-sasl-cleartext.txt "$pop3_driver" -P -x quit
tap_eq "pop3, no TLS, PLAIN only: exit 1" "$rc" 1
tap_like "pop3, no TLS, PLAIN only: says why" "$out" \
    "cannot log in to 127\\.0\\.0\\.1: the server offers only PLAIN LOGIN, which would send the password"
tap_eq "pop3, no TLS, PLAIN only: only CAPA sent" \
    "$(grep '^C:' "$tr")" "C: CAPA"
hidden "pop3, no TLS"

# --- a named mechanism the server does not offer --------------------------

check_case not-offered imap-sasl-not-offered.txt imaps "auth = scram-sha-256"
tap_eq "not offered: exit 1" "$rc" 1
tap_like "not offered: names what is offered" "$out" \
    "^errand: demo: cannot log in to 127\\.0\\.0\\.1: the server does not offer SCRAM-SHA-256 \\(it offers PLAIN LOGIN\\)\$"
tap_file_unlike "not offered: nothing sent" "$tr" '^C:'

# --- SCRAM ----------------------------------------------------------------

check_case scram imap-sasl-scram.txt imaps
tap_eq "scram: exit 0 ($out)" "$rc" 0
tap_like "scram: auto picks SCRAM-SHA-256, check says so" "$out" \
    '^demo: ok \(imaps://demo@127\.0\.0\.1:[0-9]+, TLSv1\.[23], SCRAM-SHA-256\)$'
tap_eq "scram: the server script ran to its end" "$src" 0
tap_file_like "scram: initial response logged as secret" "$log" \
    '> a1 AUTHENTICATE SCRAM-SHA-256 <secret>$'
tap_eq "scram: every line sent in the exchange logged as secret" \
    "$(sed -n '/> a1 AUTHENTICATE/,/< a1 /p' "$log" | grep ' > ' |
	grep -vc '<secret>$')" 0
tap_eq "scram: two continuations answered" \
    "$(sed -n '/> a1 AUTHENTICATE/,/< a1 /p' "$log" |
	grep -c ' > <secret>$')" 2
hidden "scram"

check_case plus imap-sasl-scram-plus.txt imaps "auth = scram-sha-256"
tap_eq "scram-plus: exit 0 ($out)" "$rc" 0
tap_like "scram-plus: SCRAM-SHA-256-PLUS on TLS 1.2" "$out" \
    '^demo: ok \(imaps://demo@127\.0\.0\.1:[0-9]+, TLSv1\.2, SCRAM-SHA-256-PLUS\)$'
tap_eq "scram-plus: tls-unique matched the server's" "$src" 0

check_case tampered imap-sasl-scram-tampered.txt imaps
tap_eq "scram, wrong server signature: exit 1" "$rc" 1
tap_like "scram, wrong server signature: not trusted" "$out" \
    "^errand: demo: cannot log in to 127\\.0\\.0\\.1: the server is not trusted: its SCRAM-SHA-256 signature is wrong \\(it does not know the password\\)\$"
tap_eq "scram, wrong server signature: only the empty answer to the proof" \
    "$(grep '^C:' "$tr" | sed -n '3,$p')" "C: "
hidden "scram, wrong server signature"

check_case nofinal imap-sasl-scram-nofinal.txt imaps
tap_eq "scram, OK without the server's proof: exit 1" "$rc" 1
tap_like "scram, OK without the server's proof: not trusted" "$out" \
    "^errand: demo: cannot log in to 127\\.0\\.0\\.1: the server is not trusted: it said OK before SCRAM-SHA-256 finished\$"
tap_eq "scram, OK without the server's proof: only the empty answer" \
    "$(grep '^C:' "$tr" | sed -n '3,$p')" "C: "

# --- SCRAM with a sync's batch ahead of the server's proof ----------------

# sync_case NAME SCRIPT: errand sync of INBOX against SCRIPT, into the
# cache and with the TLS session kept by the sync cases before it (under
# $tmp/sync). Each scripted server listens on a new port, and the kept
# session names the port it was made for: it is moved to the new one (the
# ticket does not resume with a new server; the hint it carries applies).
sync_case()
{
	scripted_serve "$1" "$2" || return
	_kept=$tmp/sync/cache/errand/demo.tls
	[ -f "$_kept" ] && sed -i "s/^port .*/port $port/" "$_kept"
	{
		echo "[account demo]"
		echo "source = imaps://demo@127.0.0.1:$port"
		echo "password-command = cat $tmp/$1.pw"
		echo "ca-file = $tmp/cert.pem"
		echo "connect-timeout = 5"
		echo "timeout = 5"
	} >"$tmp/$1.conf"
	out=$(XDG_CACHE_HOME=$tmp/sync/cache XDG_DATA_HOME=$tmp/sync/data \
	    "$ERRAND" -c "$tmp/$1.conf" -d "$log" sync demo INBOX 2>&1)
	rc=$?
	scripted_done
}

# stored NAME: what the cache holds after NAME, offline: each message's
# UID, flags and subject, one line.
stored()
{
	XDG_CACHE_HOME=$tmp/sync/cache XDG_DATA_HOME=$tmp/sync/data \
	    "$ERRAND" -c "$tmp/$1.conf" list -a demo --offline INBOX 2>&1 |
	    awk -F '\t' '{ printf "%s%s%s ", $1, $2, $NF }'
}

# The first sync: four messages, and the hint (SCRAM, QRESYNC, and the
# salt and count of the login, never a hash of the password) kept.
sync_case batch-sync imap-sasl-scram-sync.txt
tap_eq "scram sync: exit 0 ($out)" "$rc" 0
tap_eq "scram sync: the script ran to its end" "$src" 0
tap_eq "scram sync: four messages stored" "$(stored batch-sync)" \
    "4-m4 3-m3 2-m2 1-m1 "
tap_file_like "scram sync: the hint kept" "$tmp/sync/cache/errand/demo.tls" \
    '^hint early-auth=SCRAM-SHA-256 CONDSTORE QRESYNC scram=4096,ZXJyYW5kLXNhbHQtMDEyMw==$'
db=$tmp/sync/cache/errand/demo.db
sum=$(cat "$db" "$db-wal" 2>/dev/null | cksum)

# batch_fails NAME WHAT ERROR: the case NAME failed with ERROR (a regex)
# at the first response read after its batch went with the client-final
# (what followed it not even read), and nothing of what the server said
# reached the cache.
batch_fails()
{
	tap_eq "$2: exit 1" "$rc" 1
	tap_like "$2: the error names it ($out)" "$out" "$3"
	tap_file_like "$2: the SELECT went with the client-final" "$tr" \
	    '^C: a3 SELECT "INBOX" \(QRESYNC \(7 10 1:4\)\)$'
	tap_file_like "$2: the server's answers were sent" "$tr" \
	    '^S: \* OK \[UIDVALIDITY 99\]'
	tap_eq "$2: failed at the first response read after the batch" \
	    "$(awk '/ > a3 SELECT/ { s = 1; next }
		s && / < / { getline; sub(/.* \* imap: /, ""); print; exit }' \
	    "$log" | cut -c1-15)" "session failed:"
	tap_eq "$2: the cache untouched" \
	    "$(cat "$db" "$db-wal" 2>/dev/null | cksum)" "$sum"
	tap_eq "$2: the same four messages listed" "$(stored "$1")" \
	    "4-m4 3-m3 2-m2 1-m1 "
	hidden "$2"
}

sync_case batch-tampered imap-sasl-scram-batch-tampered.txt
batch_fails batch-tampered "scram batch, wrong signature" \
    "^errand: demo: cannot log in to 127\\.0\\.0\\.1: the server is not trusted: its SCRAM-SHA-256 signature is wrong \\(it does not know the password\\)\$"
tap_file_like "scram batch, wrong signature: logged in before the greeting" \
    "$log" 'logging in before the greeting \(AUTHENTICATE SCRAM-SHA-256 '

sync_case batch-early imap-sasl-scram-batch-early.txt
batch_fails batch-early "scram batch, answered before the proof" \
    "^errand: demo: cannot log in to 127\\.0\\.0\\.1: the server is not trusted: it answered before proving it knows the password \\(SCRAM-SHA-256\\)\$"

sync_case batch-nofinal imap-sasl-scram-batch-nofinal.txt
batch_fails batch-nofinal "scram batch, OK without the proof" \
    "^errand: demo: cannot log in to 127\\.0\\.0\\.1: the server is not trusted: it said OK before SCRAM-SHA-256 finished\$"

# Before the client-final, mailbox data (what the sync waiting behind the
# login would take for the folder's news) refused as well: the proof has
# not even been asked for.
sync_case batch-pre imap-sasl-scram-batch-pre.txt
tap_eq "scram, data before the challenge: exit 1" "$rc" 1
tap_like "scram, data before the challenge: the error names it ($out)" \
    "$out" "^errand: demo: cannot log in to 127\\.0\\.0\\.1: the server is not trusted: it sent mailbox data before proving it knows the password \\(SCRAM-SHA-256\\)\$"
tap_file_like "scram, data before the challenge: sent" "$tr" \
    '^S: \* VANISHED \(EARLIER\) 1:3$'
tap_eq "scram, data before the challenge: the cache untouched" \
    "$(cat "$db" "$db-wal" 2>/dev/null | cksum)" "$sum"
tap_eq "scram, data before the challenge: the same four messages listed" \
    "$(stored batch-pre)" "4-m4 3-m3 2-m2 1-m1 "

# The signature right: the same batch, and what the server says of the
# folder is stored.
sync_case batch-ok imap-sasl-scram-batch-ok.txt
tap_eq "scram batch, right signature: exit 0 ($out)" "$rc" 0
tap_eq "scram batch, right signature: the script ran to its end" "$src" 0
tap_eq "scram batch, right signature: the proof checked first" \
    "$(awk '/ > a3 SELECT/ { sent = 1; next }
	!sent { next }
	/ < \+ / { proof = 1; next }
	/ < / { print proof ? "?" : "answer before the proof"; exit }
	/signature checked/ { print "proof checked first"; exit }' "$log")" \
    "proof checked first"
tap_eq "scram batch, right signature: UID 4 gone, UID 1 flagged" \
    "$(stored batch-ok)" "3-m3 2-m2 1!m1 "

check_case pop3-scram pop3-sasl-scram.txt pop3s
tap_eq "pop3 scram: exit 0 ($out)" "$rc" 0
tap_like "pop3 scram: check says SCRAM-SHA-256" "$out" \
    '^demo: ok \(pop3s://demo@127\.0\.0\.1:[0-9]+, TLSv1\.[23], SCRAM-SHA-256\)$'
tap_eq "pop3 scram: the server script ran to its end" "$src" 0
tap_file_like "pop3 scram: AUTH logged as secret" "$log" \
    '> AUTH SCRAM-SHA-256 <secret>$'
tap_eq "pop3 scram: continuations logged as secret" \
    "$(grep -c ' > <secret>$' "$log")" 2
hidden "pop3 scram"

check_case pop3-tampered pop3-sasl-scram-tampered.txt pop3s \
    "auth = scram-sha-1"
tap_eq "pop3 scram-sha-1, wrong server signature: exit 1" "$rc" 1
tap_like "pop3 scram-sha-1, wrong server signature: not trusted" "$out" \
    'cannot log in to 127\.0\.0\.1: the server is not trusted: its SCRAM-SHA-1 signature is wrong'
tap_eq "pop3 scram-sha-1, wrong server signature: nothing after the proof" \
    "$(grep -c '^C:' "$tr")" 3

# --- OAUTHBEARER error continuation ---------------------------------------

drive_case oauth imap-sasl-oauthbearer-error.txt "$imap_driver" \
    -M oauthbearer -x o
tap_eq "oauthbearer refused: exit 1" "$rc" 1
tap_eq "oauthbearer refused: the error answered with ^A, script ran" \
    "$src" 0
tap_like "oauthbearer refused: the server's status reported" "$out" \
    'error connect auth: login refused by 127\.0\.0\.1: \[AUTHENTICATIONFAILED\] Authentication failed \(\{"status":"401","schemes":"bearer","scope":"https://mail\.google\.com/"\}\)'
tap_file_like "oauthbearer: the ^A answer logged as secret" "$log" \
    ' > <secret>$'
hidden "oauthbearer"

# --- a server that keeps asking -------------------------------------------

check_case endless imap-sasl-endless.txt imaps "auth = login"
tap_eq "endless challenges: exit 1" "$rc" 1
tap_like "endless challenges: clear error" "$out" \
    "^errand: demo: cannot log in to 127\\.0\\.0\\.1: the server asks for more after the LOGIN password\$"
tap_eq "endless challenges: the third + is not answered" \
    "$(grep -c '^C:' "$tr")" 3

tap_done
