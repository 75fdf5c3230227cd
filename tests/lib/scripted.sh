# errand tests: the shared part of the scripted-server tests: a temporary
# directory and a certificate for 127.0.0.1 made at the start (both gone at
# exit), and one scripted server a case (tests/proto/scripted-server.py).
# Source it after tests/lib/tap.sh.
#
#	scripted_init NAME		$tmp, $tmp/cert.pem and key.pem; sets
#					server, scripts and PW; skips all
#					tests without python3 or openssl
#	scripted_serve NAME SCRIPT	play SCRIPT (a name in scripts/ or a
#					path) on a new server: sets tr (its
#					transcript), log, port, spid and
#					writes the password to $tmp/NAME.pw;
#					1 (out, rc, src set) if it did not
#					start
#	scripted_done			wait for the server: sets src

scripted_init()
{
	command -v python3 >/dev/null 2>&1 || tap_skip_all "python3 not found"
	command -v openssl >/dev/null 2>&1 || tap_skip_all "openssl not found"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/errand-$1.XXXXXX") || exit 1
	spid=
	trap '_scripted_cleanup' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	server=$top_srcdir/tests/proto/scripted-server.py
	scripts=$top_srcdir/tests/proto/scripts
	PW=hunter2-secret
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 \
	    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	    >/dev/null 2>&1 ||
		tap_skip_all "cannot make a test certificate with openssl"
}

_scripted_cleanup()
{
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	rm -rf "$tmp"
}

scripted_serve()
{
	_sname=$1 _sscript=$2
	case $_sscript in
	/*) ;;
	*) _sscript=$scripts/$_sscript ;;
	esac
	tr=$tmp/$_sname.tr log=$tmp/$_sname.log
	printf '%s\n' "$PW" >"$tmp/$_sname.pw"
	python3 "$server" "$_sscript" "$tr" "$tmp/$_sname.port" \
	    --cert "$tmp/cert.pem" --key "$tmp/key.pem" &
	spid=$!
	if ! wait_until 10 test -s "$tmp/$_sname.port"; then
		out="scripted server did not start" rc=99 src=99
		return 1
	fi
	port=$(cat "$tmp/$_sname.port")
}

scripted_done()
{
	wait "$spid"
	src=$?
	spid=
}
