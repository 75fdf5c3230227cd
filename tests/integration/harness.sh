# errand integration tests: the private Dovecot of tests/lib/dovecot.sh
# itself, so a failure there is not taken for a failure of errand.

: "${top_srcdir:=.}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

command -v dovecot >/dev/null 2>&1 || tap_skip_all "no dovecot"
command -v doveadm >/dev/null 2>&1 || tap_skip_all "no doveadm"
command -v openssl >/dev/null 2>&1 || tap_skip_all "no openssl"
command -v python3 >/dev/null 2>&1 || tap_skip_all "no python3"

work=$(mktemp -d "${TMPDIR:-/tmp}/errand-harness.XXXXXX")
errand_at_exit "rm -rf '$work'"

# tls PORT [s_client options...]: a TLS session that logs out at once.
tls()
{
	_port=$1
	shift
	printf 'a LOGOUT\r\nQUIT\r\n' | openssl s_client -connect \
	    "127.0.0.1:$_port" -CAfile "$DOVECOT_CA" -verify_return_error \
	    -ign_eof "$@" 2>&1 | tr -d '\000'
}

t0=$(date +%s)
if dovecot_start; then
	tap_ok "dovecot starts"
else
	tap_fail "dovecot starts"
	tap_done
	exit 1
fi
tap_like "it starts within 5 s" "$(($(date +%s) - t0))" '^[0-5]$'
tap_like "four distinct ports" \
    "$(printf '%s\n' "$IMAP_PORT" "$IMAPS_PORT" "$POP3_PORT" "$POP3S_PORT" |
    sort -u | wc -l | tr -d ' ')" '^4$'
tap_eq "the password file is private" \
    "$(stat -c %a "$DOVECOT_PASSWORD_FILE")" 600
tap_like "the master runs our config" \
    "$(ps -o args= -p "$(cat "$DOVECOT_DIR/dovecot.pid")")" \
    "dovecot -F -c $DOVECOT_CONF"

out=$(tls "$IMAPS_PORT" -verify_ip 127.0.0.1)
tap_like "IMAPS greets over verified TLS" "$out" '^\* OK'
tap_like "IMAPS certificate verifies against DOVECOT_CA" "$out" \
    'Verify return code: 0 \(ok\)'
out=$(tls "$IMAPS_PORT" -verify_hostname localhost)
tap_like "the certificate does not match 'localhost'" "$out" \
    'Verify return code: 62 |hostname mismatch'
out=$(tls "$POP3S_PORT")
tap_like "POP3S greets over TLS" "$out" '^\+OK'

out=$(dv_talk "$IMAP_PORT" 'a CAPABILITY' 'b LOGOUT')
tap_like "IMAP greets in plain text" "$out" '^\* OK'
tap_like "IMAP offers STARTTLS" "$out" '^\* CAPABILITY .*STARTTLS'
out=$(tls "$IMAP_PORT" -starttls imap)
tap_like "IMAP STARTTLS verifies" "$out" 'Verify return code: 0 \(ok\)'

out=$(dv_talk "$POP3_PORT" CAPA QUIT)
tap_like "POP3 greets in plain text" "$out" '^\+OK'
tap_like "POP3 offers STLS" "$out" '^STLS'
out=$(tls "$POP3_PORT" -starttls pop3)
tap_like "POP3 STLS verifies" "$out" 'Verify return code: 0 \(ok\)'

pw=$(cat "$DOVECOT_PASSWORD_FILE")
out=$(printf 'a LOGIN %s %s\r\nb LOGOUT\r\n' "$DOVECOT_USER" "$pw" |
    openssl s_client -quiet -connect "127.0.0.1:$IMAPS_PORT" \
    -CAfile "$DOVECOT_CA" -ign_eof 2>/dev/null)
tap_like "demo logs in over IMAPS" "$out" '^a OK'
out=$(printf 'a LOGIN %s wrong\r\nb LOGOUT\r\n' "$DOVECOT_USER" |
    openssl s_client -quiet -connect "127.0.0.1:$IMAPS_PORT" \
    -CAfile "$DOVECOT_CA" -ign_eof 2>/dev/null)
tap_like "a wrong password is refused" "$out" '^a NO'
out=$(printf 'USER %s\r\nPASS %s\r\nSTAT\r\nQUIT\r\n' "$DOVECOT_USER" "$pw" |
    openssl s_client -quiet -connect "127.0.0.1:$POP3S_PORT" \
    -CAfile "$DOVECOT_CA" -ign_eof 2>/dev/null)
tap_like "demo logs in over POP3S" "$out" '^\+OK 0 0'

# Seeding: generated mail into INBOX, keeping the file order as UID order.
python3 "$top_srcdir/demo/generate-mail.py" -n 40 --now 2024-06-01 \
    "$work/gen" >/dev/null
tap_eq "the generator wrote 40 messages" \
    "$(find "$work/gen" -type f | wc -l | tr -d ' ')" 40
t0=$(date +%s)
dovecot_seed "$work/gen"
tap_like "seeding 40 shows 40 in INBOX" \
    "$(dv_doveadm mailbox status -u demo messages INBOX)" " messages=40$"
want=$(sed -n 's/^Message-ID: //p' "$work/gen/gen-0001.eml" \
    "$work/gen/gen-0040.eml" | tr '\n' ' ')
got=$(dv_doveadm -f flow fetch -u demo hdr.message-id mailbox INBOX \
    uid 1,40 | sed 's/^hdr.message-id=//' | tr '\n' ' ')
tap_eq "UIDs follow the seeded files' order" "$got" "$want"
mkdir -p "$work/one"
cp "$work/gen/gen-0007.eml" "$work/gen/gen-0008.eml" "$work/one/"
dovecot_seed "$work/one" "Lists/Dev"
tap_like "seeding into a new mailbox" \
    "$(dv_doveadm mailbox status -u demo messages Lists/Dev)" " messages=2$"
dv_doveadm save -u demo -m INBOX <"$work/gen/gen-0009.eml"
tap_like "doveadm save adds one" \
    "$(dv_doveadm mailbox status -u demo messages INBOX)" " messages=41$"
dv_doveadm flags add -u demo '\Seen' mailbox INBOX uid 1
tap_like "doveadm sets a flag" \
    "$(dv_doveadm -f flow fetch -u demo flags mailbox INBOX uid 1)" '\\Seen'
mkdir -p "$work/many"
python3 "$top_srcdir/demo/generate-mail.py" -n 400 "$work/many" >/dev/null
t0=$(date +%s)
dovecot_seed "$work/many" Bulk
tap_like "seeding 400 messages" \
    "$(dv_doveadm mailbox status -u demo messages Bulk)" " messages=400$"
tap_like "seeding 400 takes under 5 s" "$(($(date +%s) - t0))" '^[0-5]$'

# errand_write_config for each scheme.
errand_write_config "$work/config"
tap_file_like "config: imaps by default" "$work/config" \
    "^source = imaps://demo@127\.0\.0\.1:$IMAPS_PORT\$"
errand_write_config "$work/config" pop3 "timeout = 5"
tap_file_like "config: pop3 uses the STLS port" "$work/config" \
    "^source = pop3://demo@127\.0\.0\.1:$POP3_PORT\$"
tap_file_like "config: extra lines" "$work/config" '^timeout = 5$'
tap_file_like "config: password command" "$work/config" \
    "^password-command = cat $DOVECOT_PASSWORD_FILE\$"
tap_eq "config: the password command prints the password" \
    "$(sh -c "$(sed -n 's/^password-command = //p' "$work/config")")" "$pw"

# Two more instances at once, in subshells, beside this one.
for i in 1 2; do
	(
		dovecot_start >"$work/other$i.err" 2>&1 || exit 1
		echo "$DOVECOT_DIR $IMAP_PORT $IMAPS_PORT $POP3_PORT $POP3S_PORT" \
		    >"$work/other$i"
		dv_greets "$IMAP_PORT" && echo up >>"$work/other$i"
		dovecot_stop
	) &
	pids="${pids:-} $!"
done
wait $pids	# not a bare wait: the first server is a child too
tap_file_like "a second instance starts beside the first" "$work/other1" '^up$'
tap_file_like "a third starts at the same time" "$work/other2" '^up$'
ports=$( (echo "$IMAP_PORT $IMAPS_PORT $POP3_PORT $POP3S_PORT"
    head -n 1 "$work/other1" | cut -d ' ' -f 2-
    head -n 1 "$work/other2" | cut -d ' ' -f 2-) | tr ' ' '\n' | grep .)
tap_eq "the instances use different ports" \
    "$(echo "$ports" | sort -u | wc -l | tr -d ' ')" 12
tap_like "and different directories" \
    "$(cut -d ' ' -f 1 "$work/other1" "$work/other2" | head -n 2 |
    sort -u | grep -v "^$DOVECOT_DIR\$" | wc -l | tr -d ' ')" '^2$'
if dv_greets "$IMAP_PORT"; then
	tap_ok "the subshells did not stop the first instance"
else
	tap_fail "the subshells did not stop the first instance"
fi

# A subshell that exits without dovecot_stop: its trap stops the server.
(
	dovecot_start >/dev/null 2>&1 || exit 1
	echo "$DOVECOT_DIR $IMAP_PORT" >"$work/trapped"
	exit 3
)
tap_eq "a failing subshell keeps its exit status" "$?" 3
read -r tdir tport <"$work/trapped"
if [ -n "$tdir" ] && [ ! -e "$tdir" ] && ! dv_greets "$tport"; then
	tap_ok "the exit trap stopped it and removed its dir"
else
	tap_fail "the exit trap stopped it and removed its dir" "dir $tdir"
fi

# dovecot_stop.
dir=$DOVECOT_DIR
pid=$(cat "$DOVECOT_DIR/dovecot.pid")
dovecot_stop
if dv_greets "$IMAP_PORT" ""; then
	tap_fail "after dovecot_stop IMAP no longer answers"
else
	tap_ok "after dovecot_stop IMAP no longer answers"
fi
if dv_greets "$POP3S_PORT" ""; then
	tap_fail "after dovecot_stop POP3S no longer answers"
else
	tap_ok "after dovecot_stop POP3S no longer answers"
fi
if _dv_alive "$pid"; then
	tap_fail "the master has gone"
else
	tap_ok "the master has gone"
fi
if [ -e "$dir" ]; then
	tap_fail "its directory is removed" "$(ls -la "$dir")"
else
	tap_ok "its directory is removed"
fi
tap_done
