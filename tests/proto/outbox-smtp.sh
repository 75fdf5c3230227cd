# errand tests: errand send over SMTP against a scripted server, for what a
# real MTA will not do on request: the connection cut after the final dot
# (held as "may have been sent", never resent), one of three recipients
# refused (held, the address and the words said), a 451 then success on
# the next errand push, a plain success with Bcc as a recipient only, and
# an OAuth2 token refused once (renewed) and twice (held).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/scripted.sh"

scripted_init outbox-smtp
export XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache

# serve NAME SCRIPT: a scripted SMTP server and an account sending to it.
serve()
{
	scripted_serve "$1" "$2" || return
	conf=$tmp/$1.conf
	{
		echo "[account demo]"
		echo "source = pop3s://demo@127.0.0.1:1"
		echo "password-command = cat $tmp/$1.pw"
		echo "ca-file = $tmp/cert.pem"
		echo "smtp = smtps://127.0.0.1:$port"
		echo "save-sent = no"
		echo "connect-timeout = 5"
		echo "timeout = 5"
	} >"$conf"
}
# oneline TEXT: its lines joined by ~, for a regular expression on all.
oneline()
{
	printf '%s\n' "$1" | tr '\n' '~'
}
run()
{
	out=$("$ERRAND" -c "$conf" "$@" 2>&1)
	rc=$?
}
# mail NAME TO...: a message from demo with Message-ID <NAME@outbox.test>.
mail()
{
	_n=$1
	shift
	{
		printf 'Message-ID: <%s@outbox.test>\n' "$_n"
		printf 'From: demo@example.org\n'
		printf 'To: %s\n' "$1"
		shift
		for _b in "$@"; do printf 'Bcc: %s\n' "$_b"; done
		printf 'Subject: %s\n\nbody %s\n' "$_n" "$_n"
	} >"$tmp/$_n.eml"
}
id_of()
{
	printf '%s\n' "$out" | sed -n 's/^queued \([0-9a-z-]*\).*/\1/p'
}

serve ok outbox-ok.txt
mail one alice@example.org carol@example.org
run send "$tmp/one.eml"
id=$(id_of)
tap_eq "sent at once" "$rc:$out" "0:queued $id
sent $id to 2 recipients"
scripted_done
tap_eq "the server saw the script to its end" "$src" 0
tap_file_unlike "no Bcc header went" "$tr" "^C: Bcc"
tap_file_unlike "the password is not in the transcript" "$tr" "$PW"

serve cut outbox-cut-after-dot.txt
mail two alice@example.org
run send "$tmp/two.eml"
id=$(id_of)
tap_like "cut after the dot: held" "$(oneline "$rc:$out")" \
    "^1:queued $id~held $id: may have been sent \\(.*\\): check Sent and use errand outbox --retry $id~$"
scripted_done
tap_eq "cut after the dot: the server saw the dot" "$src" 0
run outbox
tap_like "listed as held" "$out" "^$id	held	alice@example.org	two	may have been sent"
run push
tap_eq "push does not send it again" "$rc:$out" "0:0 sent, 0 pending, 0 held"

run outbox --discard "$id"
serve refused outbox-rcpt-refused.txt
mail three alice@example.org nobody@example.org bob@example.org
run send "$tmp/three.eml"
id=$(id_of)
tap_like "a recipient refused: held, said by address" \
    "$(oneline "$rc:$out")" \
    "^1:queued $id~(errand: $id: refused nobody@example.org: 550 5.1.1 <nobody@example.org>: no such user~held $id: [^~]+|held $id: [^~]+~errand: $id: refused nobody@example.org: 550 5.1.1 <nobody@example.org>: no such user)~$"
scripted_done
tap_file_unlike "nothing sent: no DATA" "$tr" "^C: DATA"
run outbox --discard "$id"

serve temp outbox-tempfail-then-ok.txt
mail four alice@example.org
run send "$tmp/four.eml"
id=$(id_of)
tap_eq "451: waits with the words" "$rc:$out" "1:queued $id
waiting $id: sender refused: 451 4.3.0 mailbox busy, try later"
run push
tap_eq "push sends it on a new connection" "$rc:$out" "0:outbox: 1 sent
0 sent, 0 pending, 0 held"
scripted_done
tap_eq "the server saw both connections to the end" "$src" 0
run outbox
tap_eq "the outbox is empty" "$out" ""

# An OAuth2 token refused over SMTP (XOAUTH2): it may have expired, so the
# message waits and the next try runs oauth2-token-command again and logs
# in with the new token. A token refused again and again is tried once a
# run, each time with the server's words (never a loop of logins).
ir()
{
	printf 'user=demo\001auth=Bearer %s\001\001' "$1" | base64 -w 0
}
cat >"$tmp/token.sh" <<'EOT'
#!/bin/sh
n=$(($(cat "$0.n" 2>/dev/null || echo 0) + 1))
echo "$n" >"$0.n"
echo "tok$n"
EOT
chmod +x "$tmp/token.sh"
{
	echo "TLS"
	echo "S: 220 smtp.example ESMTP scripted"
	echo "C: ^EHLO"
	echo "S: 250-smtp.example hello"
	echo "S: 250 AUTH PLAIN XOAUTH2"
	echo "C: ^AUTH XOAUTH2 $(ir tok1)\$"
	echo "S: 535 5.7.8 token expired"
	echo "C: ^QUIT"
	echo "S: 221 bye"
	echo "ACCEPT"
	echo "TLS"
	echo "S: 220 smtp.example ESMTP scripted"
	echo "C: ^EHLO"
	echo "S: 250-smtp.example hello"
	echo "S: 250 AUTH PLAIN XOAUTH2"
	echo "C: ^AUTH XOAUTH2 $(ir tok2)\$"
	echo "S: 235 2.7.0 ok"
	echo "C: ^MAIL FROM:<demo@example.org>"
	echo "S: 250 ok"
	echo "C: ^RCPT TO:<alice@example.org>"
	echo "S: 250 ok"
	echo "C: ^DATA\$"
	echo "S: 354 go ahead"
	echo "C: ^Date: "
	echo "C: ^Message-ID: <five@outbox.test>\$"
	echo "C: ^From: demo@example.org\$"
	echo "C: ^To: alice@example.org\$"
	echo "C: ^Subject: five\$"
	echo "C: ^\$"
	echo "C: ^body five\$"
	echo "C: ^\\.\$"
	echo "S: 250 2.0.0 queued as 5"
	echo "C: ^QUIT"
	echo "S: 221 bye"
} >"$tmp/token-renew.txt"
serve token "$tmp/token-renew.txt"
{
	echo "[account demo]"
	echo "source = pop3s://demo@127.0.0.1:1"
	echo "auth = xoauth2"
	echo "oauth2-token-command = $tmp/token.sh"
	echo "ca-file = $tmp/cert.pem"
	echo "smtp = smtps://demo@127.0.0.1:$port"
	echo "save-sent = no"
	echo "connect-timeout = 5"
	echo "timeout = 5"
} >"$conf"
mail five alice@example.org
run send "$tmp/five.eml"
id=$(id_of)
tap_like "XOAUTH2 refused: waits, the token to be renewed" \
    "$(oneline "$rc:$out")" \
    "^1:queued $id~waiting $id: .*535 5\\.7\\.8 token expired.*renewed"
run push
tap_eq "push logs in with a new token and sends it" "$rc:$out" "0:outbox: 1 sent
0 sent, 0 pending, 0 held"
scripted_done
tap_eq "the server saw tok1 refused, then tok2" "$src" 0
tap_eq "the token command ran twice" "$(cat "$tmp/token.sh.n")" 2

{
	echo "TLS"
	echo "S: 220 smtp.example ESMTP scripted"
	echo "C: ^EHLO"
	echo "S: 250-smtp.example hello"
	echo "S: 250 AUTH XOAUTH2"
	echo "C: ^AUTH XOAUTH2 "
	echo "S: 535 5.7.8 token revoked"
	echo "C: ^QUIT"
	echo "S: 221 bye"
	echo "ACCEPT"
	echo "TLS"
	echo "S: 220 smtp.example ESMTP scripted"
	echo "C: ^EHLO"
	echo "S: 250-smtp.example hello"
	echo "S: 250 AUTH XOAUTH2"
	echo "C: ^AUTH XOAUTH2 "
	echo "S: 535 5.7.8 token revoked"
	echo "C: ^QUIT"
	echo "S: 221 bye"
} >"$tmp/token-revoked.txt"
rm -f "$tmp/token.sh.n"
sed -i "s|^smtp = .*|smtp = smtps://demo@127.0.0.1:PORT|" "$conf"
cp "$conf" "$tmp/token.conf.in"
scripted_serve revoked "$tmp/token-revoked.txt"
sed "s|PORT|$port|" "$tmp/token.conf.in" >"$conf"
mail six alice@example.org
run send "$tmp/six.eml"
id=$(id_of)
run push
tap_like "refused again: waiting with the server's words" \
    "$(oneline "$rc:$out")" "1 waiting.*535 5\\.7\\.8 token revoked"
scripted_done
tap_eq "revoked: one login a run, no third" "$src" 0
tap_eq "revoked: the token command ran once a run" \
    "$(cat "$tmp/token.sh.n")" 2

tap_done
