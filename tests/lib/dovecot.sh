# errand tests: a private Dovecot (IMAP, IMAPS, POP3, POP3S) on loopback.
# Source it from a test (after tests/lib/tap.sh) or a tool. dovecot_start
# runs "dovecot -F" as a child of the calling shell with its own directory,
# config, CA and server certificate, user and Maildir, on free ports; the
# system Dovecot and its config are never touched.
#
#	dovecot_start [DIR]	start; DIR is kept (made if missing, its mail
#				reused), else a mktemp -d dir removed on stop
#	dovecot_stop		stop it; remove the dir unless KEEP_DOVECOT=1
#	dovecot_load DIR	set the variables below for a running DIR
#	dovecot_running DIR	true if DIR's server is up and greets
#	dovecot_seed DIR [MBOX]	put every file under DIR into MBOX (INBOX)
#	dv_doveadm ARGS...	doveadm on this instance (the "other device")
#	dv_greets PORT [TEXT]	true if PORT greets with TEXT ("* OK")
#	dv_talk PORT LINE...	send LINEs in plain text, print the replies
#	errand_write_config FILE [SCHEME] [LINE...]
#
# Sets and exports DOVECOT_DIR, DOVECOT_CONF, IMAP_PORT (STARTTLS),
# IMAPS_PORT, POP3_PORT (STLS), POP3S_PORT, DOVECOT_CA, DOVECOT_USER,
# DOVECOT_PASSWORD_FILE, DOVECOT_SCRAM_USER (same password, stored as
# {SCRAM-SHA-256}, its own empty Maildir). The SASL mechanisms offered
# are DOVECOT_AUTH_MECHS (default below; add to it, e.g. oauthbearer).
# With DOVECOT_OAUTH2_URL set (an RFC 7662 token introspection endpoint,
# tests/lib/oauth2-server.py), OAUTHBEARER and XOAUTH2 are offered too and
# checked by an oauth2 passdb that asks it (Dovecot 2.3: introspection_mode
# = post). dovecot_start stops the server when the shell
# exits, is interrupted or terminated, unless DOVECOT_NO_TRAP=1. With
# DOVECOT_LOGIN_REUSE=1 one imap-login process serves every client (TLS
# sessions resume).
#
# As root the mail belongs to the "dovecot" user (Dovecot will not keep
# mail as uid 0) and logins run as "dovenull"; as any other user everything
# runs as that user, without chroot.

# wait_until comes from tap.sh; tools that do not source it get this copy.
if ! command -v wait_until >/dev/null 2>&1; then
wait_until()
{
	_deadline=$(($(date +%s) + $1))
	shift
	while :; do
		"$@" && return 0
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		sleep 0.05
	done
}
fi

# errand_at_exit CMD: eval CMD when this shell exits or gets SIGINT or
# SIGTERM, last registered first. A subshell starts a list of its own, so
# it never stops what its parent started. (Shared with tests/lib/tmux.sh.)
if ! command -v errand_at_exit >/dev/null 2>&1; then
errand_at_exit()
{
	_ae_pid=$(exec sh -c 'echo $PPID')
	if [ "${_errand_exit_pid:-}" != "$_ae_pid" ]; then
		_errand_exit_pid=$_ae_pid
		_errand_exit_cmds=
		trap '_ae_st=$?; _errand_run_exit; exit $_ae_st' EXIT
		trap '_errand_run_exit; trap - EXIT; exit 130' INT
		trap '_errand_run_exit; trap - EXIT; exit 143' TERM
	fi
	_errand_exit_cmds="$1 || :
$_errand_exit_cmds"
}
_errand_run_exit()
{
	_ae_cmds=$_errand_exit_cmds
	_errand_exit_cmds=
	eval "$_ae_cmds"
}
fi

DOVECOT_USER=demo
DOVECOT_SCRAM_USER=scram
: "${DOVECOT_AUTH_MECHS:=plain login scram-sha-1 scram-sha-256}"
export DOVECOT_USER DOVECOT_SCRAM_USER DOVECOT_AUTH_MECHS

# _dv_quote STRING: STRING quoted for sh.
_dv_quote()
{
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# _dv_alive PID: the process exists and is not a zombie.
_dv_alive()
{
	_dv_st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $_dv_st in
	Z*|"") return 1 ;;
	esac
	return 0
}
_dv_dead() { ! _dv_alive "$1"; }

# dv_greets PORT [TEXT]: a plain connection to PORT reads a first line
# starting with TEXT ("* OK" by default) within two seconds.
dv_greets()
{
	python3 - "$1" "${2:-* OK}" <<'EOF'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    line = s.makefile("rb").readline()
    s.close()
except OSError:
    sys.exit(1)
sys.exit(0 if line.startswith(sys.argv[2].encode()) else 1)
EOF
}

# dv_talk PORT LINE...: connect in plain text, read the greeting, send each
# LINE with CRLF, print everything the server says until it closes (send a
# LOGOUT or QUIT last) or five seconds pass.
dv_talk()
{
	python3 - "$@" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
out = [f.readline()]
s.sendall(b"".join(a.encode() + b"\r\n" for a in sys.argv[2:]))
try:
    out.append(f.read())
except OSError:
    pass
sys.stdout.write(b"".join(out).decode("utf-8", "replace").replace("\r", ""))
EOF
}

# _dv_free_ports: four distinct free loopback ports. Another process can
# take one before Dovecot binds it; dovecot_start then tries again.
_dv_free_ports()
{
	python3 -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))
'
}

# _dv_make_tls DIR: a CA and a server certificate for IP:127.0.0.1 only, so
# that "localhost" is a host-name mismatch. Kept if they are still valid.
_dv_make_tls()
{
	if [ -s "$1/ca.pem" ] && [ -s "$1/server.pem" ] && [ -s "$1/server.key" ] &&
	    openssl x509 -checkend 86400 -noout -in "$1/server.pem" >/dev/null 2>&1
	then
		return 0
	fi
	(
		cd "$1" || exit 1
		umask 077
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout ca.key -out ca.pem -days 3650 \
		    -subj "/O=errand tests/CN=errand test CA" \
		    -addext "basicConstraints=critical,CA:TRUE" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout server.key -out server.csr \
		    -subj "/O=errand tests/CN=errand test server" &&
		printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		    "keyUsage=critical,digitalSignature,keyEncipherment" \
		    "extendedKeyUsage=serverAuth" \
		    "subjectAltName=IP:127.0.0.1" >server.ext &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		    -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
		    -days 3650 -extfile server.ext -out server.pem &&
		rm -f server.csr server.ext &&
		chmod 0644 ca.pem server.pem
	) >"$1/openssl.log" 2>&1 || {
		cat "$1/openssl.log" >&2
		return 1
	}
}

# _dv_write_conf: dovecot.conf for the ports in IMAP_PORT and friends.
_dv_write_conf()
{
	{
		cat <<EOF
# A private Dovecot for errand's tests, written by tests/lib/dovecot.sh.
instance_name = $_dv_instance
base_dir = $_dv_base
state_dir = $DOVECOT_DIR/state
log_path = $DOVECOT_DIR/dovecot.log
listen = 127.0.0.1
protocols = imap pop3${DOVECOT_EXTRA_PROTOCOLS:+ $DOVECOT_EXTRA_PROTOCOLS}
shutdown_clients = yes

ssl = yes
ssl_cert = <$DOVECOT_DIR/server.pem
ssl_key = <$DOVECOT_DIR/server.key
ssl_min_protocol = TLSv1.2
EOF
		[ -r /usr/share/dovecot/dh.pem ] &&
		    echo "ssl_dh = </usr/share/dovecot/dh.pem"
		cat <<EOF

disable_plaintext_auth = yes
auth_mechanisms = $DOVECOT_AUTH_MECHS${DOVECOT_OAUTH2_URL:+ oauthbearer xoauth2}
auth_verbose = yes
auth_failure_delay = 0
$_dv_oauth2_passdb
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $DOVECOT_DIR/users
}
userdb {
  driver = passwd-file
  args = username_format=%n $DOVECOT_DIR/users
}
first_valid_uid = 1
default_internal_user = $_dv_internal
default_internal_group = $_dv_igroup
default_login_user = $_dv_login

mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}

# COMPRESS=DEFLATE (RFC 4978) for the tests that ask for it; errand's
# default (compress = auto) leaves it off on loopback.
mail_plugins = \$mail_plugins zlib
protocol imap {
  mail_max_userip_connections = 100
  mail_plugins = \$mail_plugins imap_zlib
}
protocol pop3 {
  mail_max_userip_connections = 100
}
pop3_uidl_format = %08Xu%08Xv

service imap-login {
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = $IMAPS_PORT
    ssl = yes
  }
$_dv_chroot$_dv_login_reuse}
service pop3-login {
  inet_listener pop3 {
    port = $POP3_PORT
  }
  inet_listener pop3s {
    port = $POP3S_PORT
    ssl = yes
  }
$_dv_chroot}
# No growing delay after a failed login (tests fail logins on purpose):
# auth cannot reach the penalty socket, so it keeps no penalties.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
$_dv_chroot}
EOF
		# More for a harness built on this one (tests/lib/smtpd.sh).
		if [ -n "${DOVECOT_EXTRA_CONF:-}" ]; then
			printf '%s\n' "$DOVECOT_EXTRA_CONF"
		fi
	} >"$DOVECOT_CONF"
}

# _dv_write_env: DIR/env, read back by dovecot_load.
_dv_write_env()
{
	for _dv_v in DOVECOT_DIR DOVECOT_CONF IMAP_PORT IMAPS_PORT POP3_PORT \
	    POP3S_PORT DOVECOT_CA DOVECOT_USER DOVECOT_PASSWORD_FILE; do
		eval "printf '%s=%s\n' $_dv_v \"\$(_dv_quote \"\$$_dv_v\")\""
	done >"$DOVECOT_DIR/env"
}

# dovecot_load DIR: the variables of DIR's instance, written at its start.
dovecot_load()
{
	[ -r "$1/env" ] || return 1
	. "$1/env"
	export DOVECOT_DIR DOVECOT_CONF IMAP_PORT IMAPS_PORT POP3_PORT \
	    POP3S_PORT DOVECOT_CA DOVECOT_USER DOVECOT_PASSWORD_FILE
}

# dovecot_running DIR: DIR's server is running and its IMAP port greets.
dovecot_running()
{
	[ -r "$1/dovecot.pid" ] && [ -r "$1/env" ] || return 1
	_dv_alive "$(cat "$1/dovecot.pid")" || return 1
	(dovecot_load "$1" && dv_greets "$IMAP_PORT")
}

dovecot_start()
{
	if [ $# -gt 0 ]; then
		mkdir -p "$1" || return 1
		DOVECOT_DIR=$(cd "$1" && pwd) || return 1
		_dv_stop_dir "$DOVECOT_DIR"	# a stale server of an earlier run
		rm -f "$DOVECOT_DIR/remove-on-stop"
	else
		DOVECOT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/errand-dovecot.XXXXXX") ||
		    return 1
		: >"$DOVECOT_DIR/remove-on-stop"
	fi
	chmod 0711 "$DOVECOT_DIR"
	# errand's journal is data: this server's own, unless the test chose.
	if [ "${XDG_DATA_HOME:-}" = "${ERRAND_TEST_DATA_HOME:-}" ]; then
		XDG_DATA_HOME=$DOVECOT_DIR/data
		export XDG_DATA_HOME
	fi
	DOVECOT_CONF=$DOVECOT_DIR/dovecot.conf
	DOVECOT_CA=$DOVECOT_DIR/ca.pem
	DOVECOT_PASSWORD_FILE=$DOVECOT_DIR/password
	export DOVECOT_DIR DOVECOT_CONF DOVECOT_CA DOVECOT_PASSWORD_FILE

	_dv_instance=errand-$(basename "$DOVECOT_DIR" | tr -c 'A-Za-z0-9\n' -)
	# Socket paths are limited to about 100 bytes.
	_dv_base=$DOVECOT_DIR/run
	if [ ${#_dv_base} -gt 60 ]; then
		if [ -r "$DOVECOT_DIR/base_dir" ] &&
		    [ -d "$(cat "$DOVECOT_DIR/base_dir")" ]; then
			_dv_base=$(cat "$DOVECOT_DIR/base_dir")
		else
			_dv_base=$(mktemp -d /tmp/errand-dv.XXXXXX) || return 1
			chmod 0755 "$_dv_base"
			echo "$_dv_base" >"$DOVECOT_DIR/base_dir"
		fi
	fi

	if [ "$(id -u)" -eq 0 ]; then
		_dv_internal=dovecot
		_dv_igroup=dovecot
		_dv_login=dovenull
		_dv_uid=$(id -u dovecot) && _dv_gid=$(id -g dovecot) || {
			echo "dovecot.sh: no 'dovecot' user" >&2
			return 1
		}
		_dv_chroot=
	else
		_dv_internal=$(id -un)
		_dv_igroup=$(id -gn)
		_dv_login=$_dv_internal
		_dv_uid=$(id -u)
		_dv_gid=$(id -g)
		_dv_chroot="  chroot =
"
	fi

	# DOVECOT_LOGIN_REUSE=1: one imap-login process serves every client,
	# so TLS sessions it hands out can be resumed (Dovecot's default, a
	# process per connection, never resumes one).
	_dv_login_reuse=
	[ "${DOVECOT_LOGIN_REUSE:-0}" = 1 ] && _dv_login_reuse="  service_count = 0
"
	_dv_make_tls "$DOVECOT_DIR" || return 1
	_dv_oauth2_passdb=
	if [ -n "${DOVECOT_OAUTH2_URL:-}" ]; then
		_dv_oauth2_passdb="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $DOVECOT_DIR/dovecot-oauth2.conf.ext
  result_failure = return-fail
}"
		printf '%s\n' "introspection_mode = post" \
		    "introspection_url = $DOVECOT_OAUTH2_URL" \
		    "username_attribute = username" \
		    "active_attribute = active" "active_value = true" \
		    >"$DOVECOT_DIR/dovecot-oauth2.conf.ext"
	fi
	if [ ! -s "$DOVECOT_PASSWORD_FILE" ]; then
		(umask 077 && od -An -N15 -tx1 /dev/urandom | tr -d ' \n' &&
		    echo) >"$DOVECOT_PASSWORD_FILE" || return 1
	fi
	chmod 0600 "$DOVECOT_PASSWORD_FILE"
	mkdir -p "$DOVECOT_DIR/state" "$DOVECOT_DIR/home/$DOVECOT_USER"
	chown "$_dv_uid:$_dv_gid" "$DOVECOT_DIR/home/$DOVECOT_USER"
	(umask 077 && printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$DOVECOT_USER" \
	    "$(cat "$DOVECOT_PASSWORD_FILE")" "$_dv_uid" "$_dv_gid" \
	    "$DOVECOT_DIR/home/$DOVECOT_USER" >"$DOVECOT_DIR/users")
	# A user whose password is kept only as a SCRAM-SHA-256 hash.
	mkdir -p "$DOVECOT_DIR/home/$DOVECOT_SCRAM_USER"
	chown "$_dv_uid:$_dv_gid" "$DOVECOT_DIR/home/$DOVECOT_SCRAM_USER"
	_dv_scram=$(doveadm pw -s SCRAM-SHA-256 \
	    -p "$(cat "$DOVECOT_PASSWORD_FILE")") || return 1
	(umask 077 && printf '%s:%s:%s:%s::%s::\n' "$DOVECOT_SCRAM_USER" \
	    "$_dv_scram" "$_dv_uid" "$_dv_gid" \
	    "$DOVECOT_DIR/home/$DOVECOT_SCRAM_USER" >>"$DOVECOT_DIR/users")
	chown "$_dv_internal" "$DOVECOT_DIR/users"
	# As root, the dovecot user must be able to reach the dir.
	if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 &&
	    ! setpriv --reuid="$_dv_uid" --regid="$_dv_gid" --clear-groups \
	    test -x "$DOVECOT_DIR/home/$DOVECOT_USER"; then
		echo "dovecot.sh: user 'dovecot' cannot reach $DOVECOT_DIR;" \
		    "let it search the parent directories (chmod o+x)" >&2
		return 1
	fi

	_dv_try=0
	while :; do
		_dv_try=$((_dv_try + 1))
		set -- $(_dv_free_ports)
		IMAP_PORT=$1 IMAPS_PORT=$2 POP3_PORT=$3 POP3S_PORT=$4
		export IMAP_PORT IMAPS_PORT POP3_PORT POP3S_PORT
		_dv_write_conf
		: >"$DOVECOT_DIR/dovecot.log"
		rm -f "$_dv_base/master.pid"
		# In a session of its own, so that dovecot_stop can signal all
		# its processes at once (the master alone takes a second to
		# stop) and a terminal's ^C reaches only our trap. setsid -w
		# stays as long as dovecot if it has to fork.
		if command -v setsid >/dev/null 2>&1; then
			setsid -w dovecot -F -c "$DOVECOT_CONF" \
			    >"$DOVECOT_DIR/dovecot.out" 2>&1 </dev/null &
		else
			dovecot -F -c "$DOVECOT_CONF" \
			    >"$DOVECOT_DIR/dovecot.out" 2>&1 </dev/null &
		fi
		_dv_pid=$!
		echo "$_dv_pid" >"$DOVECOT_DIR/dovecot.pid"
		echo "$_dv_pid" >"$DOVECOT_DIR/child.pid"
		wait_until 15 _dv_up_or_dead "$_dv_pid"
		if _dv_alive "$_dv_pid" && dv_greets "$IMAP_PORT" &&
		    [ -s "$_dv_base/master.pid" ]; then
			# The master's own pid, in case setsid forked.
			cp "$_dv_base/master.pid" "$DOVECOT_DIR/dovecot.pid"
			break
		fi
		_dv_kill "$DOVECOT_DIR"
		if [ "$_dv_try" -lt 5 ] && grep -qi 'address already in use' \
		    "$DOVECOT_DIR/dovecot.log" "$DOVECOT_DIR/dovecot.out"; then
			continue	# lost a race for a port: new ones
		fi
		echo "dovecot.sh: dovecot did not start; its log:" >&2
		cat "$DOVECOT_DIR/dovecot.out" "$DOVECOT_DIR/dovecot.log" >&2
		_dv_stop_dir "$DOVECOT_DIR"
		return 1
	done
	_dv_write_env
	if [ "${DOVECOT_NO_TRAP:-0}" != 1 ]; then
		errand_at_exit "_dv_stop_dir $(_dv_quote "$DOVECOT_DIR")"
	fi
	return 0
}

_dv_up_or_dead()
{
	_dv_dead "$1" || dv_greets "$IMAP_PORT"
}

# _dv_stop_dir DIR: stop DIR's server if it runs; remove DIR if it was
# made by dovecot_start, unless KEEP_DOVECOT=1.
_dv_stop_dir()
{
	[ -d "$1" ] || return 0
	_dv_kill "$1"
	if [ -e "$1/remove-on-stop" ] && [ "${KEEP_DOVECOT:-0}" != 1 ]; then
		if [ -r "$1/base_dir" ]; then
			rm -rf "$(cat "$1/base_dir")"
		fi
		rm -rf "$1"
	elif [ -e "$1/remove-on-stop" ]; then
		echo "dovecot.sh: kept $1" >&2
	fi
	return 0
}

# _dv_kill DIR: stop DIR's server and wait until its ports are closed.
_dv_kill()
{
	if [ -r "$1/dovecot.pid" ]; then
		_dv_spid=$(cat "$1/dovecot.pid")
		# Only a process that runs this DIR's config; all of its
		# session (group) if it leads one.
		case $(ps -o args= -p "$_dv_spid" 2>/dev/null) in
		*"$1/dovecot.conf"*)
			if [ "$(ps -o pgid= -p "$_dv_spid" | tr -d ' ')" = \
			    "$_dv_spid" ]; then
				kill -s TERM -- "-$_dv_spid" 2>/dev/null
			else
				kill -TERM "$_dv_spid" 2>/dev/null
			fi
			wait_until 10 _dv_dead "$_dv_spid" ||
			    kill -KILL "$_dv_spid" 2>/dev/null
			;;
		esac
		rm -f "$1/dovecot.pid"
	fi
	# Reap the child this shell started (dovecot or setsid), if it is.
	if [ -r "$1/child.pid" ]; then
		_dv_spid=$(cat "$1/child.pid")
		wait_until 5 _dv_dead "$_dv_spid"
		wait "$_dv_spid" 2>/dev/null
		rm -f "$1/child.pid"
	fi
	# Make sure nothing listens any more (login processes can outlive
	# the master for a moment).
	if [ -r "$1/env" ]; then
		(
			dovecot_load "$1" &&
			wait_until 5 _dv_ports_closed
		)
	fi
	return 0
}

_dv_ports_closed()
{
	python3 - "$IMAP_PORT" "$IMAPS_PORT" "$POP3_PORT" "$POP3S_PORT" <<'EOF'
import socket, sys
for port in sys.argv[1:]:
    try:
        socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
        sys.exit(1)
    except OSError:
        pass
EOF
}

dovecot_stop()
{
	[ -n "${DOVECOT_DIR:-}" ] || return 0
	_dv_stop_dir "$DOVECOT_DIR"
}

# dv_doveadm ARGS...: doveadm on this instance, e.g.
#	dv_doveadm flags add -u demo '\Seen' mailbox INBOX uid 1
#	dv_doveadm save -u demo -m Folder <message
dv_doveadm()
{
	doveadm -c "$DOVECOT_CONF" "$@"
}

# dovecot_seed DIR [MAILBOX]: deliver every file under DIR (recursively,
# sorted by path, hidden files skipped) to MAILBOX (INBOX by default),
# creating it. The files go straight into the Maildir, each with its Date
# as mtime (Dovecot's INTERNALDATE), and get UIDs in path order.
dovecot_seed()
{
	_dv_mbox=${2:-INBOX}
	[ "$_dv_mbox" = INBOX ] ||
	    dv_doveadm mailbox create -u "$DOVECOT_USER" "$_dv_mbox" \
	    2>/dev/null || :
	_dv_path=$(dv_doveadm -f flow mailbox path -u "$DOVECOT_USER" \
	    "$_dv_mbox") || return 1
	_dv_path=${_dv_path#path=}
	python3 - "$1" "$_dv_path" "$DOVECOT_DIR/home/$DOVECOT_USER" \
	    <<'EOF' || return 1
import email.utils, os, sys, time
src, box = sys.argv[1], sys.argv[2]
files = []
for root, dirs, names in os.walk(src):
    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
    files += [os.path.join(root, n) for n in names if not n.startswith(".")]
files.sort()
for d in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(box, d), exist_ok=True)
st = os.stat(sys.argv[3])
uid, gid = st.st_uid, st.st_gid
now = int(time.time())
if os.getuid() == 0:
    for d in ("", "cur", "new", "tmp"):
        os.chown(os.path.join(box, d), uid, gid)
for i, path in enumerate(files):
    with open(path, "rb") as f:
        data = f.read()
    when = now
    head = data.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    for line in head.splitlines():
        if line[:5].lower() == b"date:":
            try:
                t = email.utils.parsedate_to_datetime(
                    line[5:].decode("ascii", "replace").strip())
                when = int(t.timestamp())
            except Exception:
                pass
            break
    # Dovecot gives new files UIDs in the order of the time in their
    # names, then the microseconds, so these keep the order of "files".
    name = "%d.M%dP%d.errand,S=%d" % (now, i, os.getpid(), len(data))
    tmp = os.path.join(box, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    if os.getuid() == 0:
        os.chown(tmp, uid, gid)
    os.utime(tmp, (when, when))
    os.rename(tmp, os.path.join(box, "new", name))
EOF
	# Let Dovecot see them now, so the UIDs are given before any client.
	dv_doveadm mailbox status -u "$DOVECOT_USER" messages "$_dv_mbox" \
	    >/dev/null
}

# errand_write_config FILE [SCHEME] [LINE...]: an errand config for the
# demo account on this server; SCHEME is imaps (default), imap (STARTTLS),
# pop3s or pop3 (STLS). Each LINE is appended to the account section.
errand_write_config()
{
	_dv_file=$1
	_dv_scheme=${2:-imaps}
	[ $# -ge 2 ] && shift 2 || shift $#
	case $_dv_scheme in
	imap) _dv_port=$IMAP_PORT ;;
	imaps) _dv_port=$IMAPS_PORT ;;
	pop3) _dv_port=$POP3_PORT ;;
	pop3s) _dv_port=$POP3S_PORT ;;
	*)
		echo "errand_write_config: unknown scheme '$_dv_scheme'" >&2
		return 1
		;;
	esac
	{
		echo "[account $DOVECOT_USER]"
		echo "source = $_dv_scheme://$DOVECOT_USER@127.0.0.1:$_dv_port"
		echo "password-command = cat $DOVECOT_PASSWORD_FILE"
		echo "ca-file = $DOVECOT_CA"
		for _dv_line in "$@"; do
			printf '%s\n' "$_dv_line"
		done
	} >"$_dv_file"
}
