# errand tests: a private mail submission chain on loopback: Dovecot's
# submission service (STARTTLS and implicit TLS, AUTH against the Dovecot
# harness's user) relaying to a private OpenSMTPD that delivers into a
# Maildir the test reads. OpenSMTPD 6.8 cannot do TLS under OpenSSL 3
# (OpenSMTPD issue 1171), so TLS and AUTH are Dovecot's and the MTA
# listens in plain text on loopback only. Source it after tests/lib/tap.sh.
#
#	smtpd_start	start both (needs root for smtpd); 1 if it cannot
#	smtpd_wait_mail N	wait until N messages arrived; true if so
#
# Sets SUBMISSION_PORT (STARTTLS), SUBMISSIONS_PORT (TLS), RELAY_PORT,
# SMTPD_DIR, SMTPD_MAILDIR (new mail lands in its new/), and the Dovecot
# harness's variables (DOVECOT_CA, DOVECOT_USER, DOVECOT_PASSWORD_FILE).
# Known recipients: one@example.org, two@example.org, three@example.org;
# any other @example.org address is refused with 550 at RCPT. Both
# servers are stopped when the shell exits.
. "$top_srcdir/tests/lib/dovecot.sh"

smtpd_start()
{
	command -v smtpd >/dev/null 2>&1 || [ -x /usr/sbin/smtpd ] || return 1
	[ "$(id -u)" = 0 ] || return 1
	# OpenSMTPD keeps its queue and control socket in fixed places, so
	# one private instance runs at a time: a suite holds the lock until
	# it exits (its exit trap stops the daemon first), the next waits.
	exec 8>"${TMPDIR:-/tmp}/errand-smtpd.lock" || return 1
	flock -w 900 8 || return 1
	SMTPD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/errand-smtpd.XXXXXX") || return 1
	errand_at_exit 'rm -rf "$SMTPD_DIR"'
	chmod 0711 "$SMTPD_DIR"
	SMTPD_MAILDIR=$SMTPD_DIR/Maildir
	mkdir -p "$SMTPD_MAILDIR/new" "$SMTPD_MAILDIR/cur" "$SMTPD_MAILDIR/tmp"
	# Delivery runs as nobody (never as root).
	chown -R nobody "$SMTPD_MAILDIR"
	for _sd_r in one two three; do
		printf '%s@example.org nobody\n' "$_sd_r"
	done >"$SMTPD_DIR/vusers"
	set -- $(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))
')
	RELAY_PORT=$1 SUBMISSION_PORT=$2 SUBMISSIONS_PORT=$3
	export RELAY_PORT SUBMISSION_PORT SUBMISSIONS_PORT SMTPD_DIR \
	    SMTPD_MAILDIR
	cat >"$SMTPD_DIR/smtpd.conf" <<EOF
# A private OpenSMTPD for errand's tests, written by tests/lib/smtpd.sh.
table vusers file:$SMTPD_DIR/vusers
smtp max-message-size 64M
listen on 127.0.0.1 port $RELAY_PORT hostname localhost
action "local" maildir "$SMTPD_MAILDIR" virtual <vusers>
match from local for domain "example.org" action "local"
EOF
	smtpd -n -f "$SMTPD_DIR/smtpd.conf" >"$SMTPD_DIR/check.out" 2>&1 ||
		{ cat "$SMTPD_DIR/check.out" >&2; return 1; }
	setsid smtpd -d -f "$SMTPD_DIR/smtpd.conf" \
	    >"$SMTPD_DIR/smtpd.log" 2>&1 </dev/null &
	_sd_pid=$!
	errand_at_exit "_smtpd_stop $_sd_pid"
	if ! wait_until 15 _smtpd_greets "$RELAY_PORT"; then
		cat "$SMTPD_DIR/smtpd.log" >&2
		return 1
	fi

	DOVECOT_EXTRA_PROTOCOLS=submission
	DOVECOT_EXTRA_CONF="hostname = localhost
submission_relay_host = 127.0.0.1
submission_relay_port = $RELAY_PORT
submission_relay_trusted = yes
submission_max_mail_size = ${SMTPD_MAX_SIZE:-10M}
service submission-login {
  inet_listener submission {
    port = $SUBMISSION_PORT
  }
  inet_listener submissions {
    port = $SUBMISSIONS_PORT
    ssl = yes
  }
}"
	dovecot_start || return 1
	wait_until 15 _smtpd_greets "$SUBMISSION_PORT"
}

# _smtpd_stop PID: stop the MTA and its children (its own session).
_smtpd_stop()
{
	kill -TERM -- "-$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null
	wait_until 10 _smtpd_gone "$1" || kill -KILL -- "-$1" 2>/dev/null
	:
}

_smtpd_gone()
{
	! kill -0 "$1" 2>/dev/null
}

# _smtpd_greets PORT: the port answers with a 220 greeting.
_smtpd_greets()
{
	python3 - "$1" <<'EOF' >/dev/null 2>&1
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)
s.settimeout(2)
sys.exit(0 if s.recv(512).startswith(b"220") else 1)
EOF
}

# smtpd_wait_mail N: N messages in the Maildir's new/.
smtpd_wait_mail()
{
	wait_until 20 _smtpd_count "$1"
}

_smtpd_count()
{
	[ "$(find "$SMTPD_MAILDIR/new" -type f | wc -l)" -ge "$1" ]
}
