# errand tests: the copy in Sent made by the outbox (errand send with
# sendmail-command) against a scripted IMAP server, for what Dovecot will
# not do on request: no LITERAL+ (the message goes after the '+'), a NO
# that is not [TRYCREATE] (the copy stays owed with the server's words, no
# CREATE, and the next errand push makes it), and NO [TRYCREATE] (the
# folder is created and the copy made, once).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/scripted.sh"

scripted_init outbox-sent
export XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache

# The MTA takes the message and forgets it.
printf '#!/bin/sh\ncat >/dev/null\n' >"$tmp/sendmail"
chmod +x "$tmp/sendmail"

# serve NAME SCRIPT: a scripted IMAP server and an account on it.
serve()
{
	scripted_serve "$1" "$2" || return
	conf=$tmp/$1.conf
	{
		echo "[account demo]"
		echo "source = imaps://demo@127.0.0.1:$port"
		echo "password-command = cat $tmp/$1.pw"
		echo "ca-file = $tmp/cert.pem"
		echo "sendmail-command = $tmp/sendmail"
		echo "connect-timeout = 5"
		echo "timeout = 5"
	} >"$conf"
}
run()
{
	out=$("$ERRAND" -c "$conf" "$@" 2>&1)
	rc=$?
}
# mail NAME: a message from demo with Message-ID <NAME@outbox.test>.
mail()
{
	printf 'Date: Tue, 01 Jan 2019 10:00:00 +0000\r\nFrom: demo@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\nMessage-ID: <%s@outbox.test>\r\n\r\nbody %s\r\n' \
	    "$1" "$1" "$1" >"$tmp/$1.eml"
}
id_of()
{
	printf '%s\n' "$out" | sed -n 's/^queued \([0-9a-z-]*\).*/\1/p'
}

serve sync outbox-sent-sync.txt
mail one
run send "$tmp/one.eml"
id=$(id_of)
tap_eq "no LITERAL+: sent" "$rc:$out" "0:queued $id
sent $id to 1 recipient"
scripted_done
tap_eq "no LITERAL+: the message went after the '+'" "$src" 0
run outbox
tap_eq "no LITERAL+: the copy made, the outbox is empty" "$out" ""

serve no outbox-sent-no.txt
mail two
run send "$tmp/two.eml"
id=$(id_of)
tap_eq "NO: sent, the copy owed" "$rc:$out" "0:queued $id
sent $id to 1 recipient"
run outbox
tap_eq "NO: kept with the server's words" "$out" \
    "$id	sent	alice@example.org	two	sent; the copy in Sent is not made yet: cannot append to 'Sent': [OVERQUOTA] Quota exceeded (mailbox for user is full)"
tap_file_unlike "NO: no CREATE for a NO without [TRYCREATE]" "$tr" '^C: a[0-9]+ CREATE'
run push
tap_eq "NO: push makes the copy" "$rc:$out" "0:0 sent, 0 pending, 0 held"
scripted_done
tap_eq "NO: the server saw both connections to the end" "$src" 0
run outbox
tap_eq "NO: then the outbox is empty" "$out" ""

serve trycreate outbox-sent-trycreate.txt
mail three
run send "$tmp/three.eml"
id=$(id_of)
tap_eq "TRYCREATE: sent" "$rc:$out" "0:queued $id
sent $id to 1 recipient"
scripted_done
tap_eq "TRYCREATE: the server saw the script to its end" "$src" 0
run outbox
tap_eq "TRYCREATE: the copy made, the outbox is empty" "$out" ""
tap_done
