# errand tests: body-cache-max holds whatever the server sends. A partial
# fetch (BODY.PEEK[]<0.n>) answered with the whole 60 MB message keeps its
# first n bytes, reads and drops the rest without buffering it, marks the
# body partial and goes on with the session. Driven by
# tests/proto/imap-driver ($IMAP_DRIVER) against a scripted server.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/scripted.sh"

scripted_init body-cut
driver=${IMAP_DRIVER:-$top_builddir/tests/proto/imap-driver}
[ -x "$driver" ] || tap_skip_all "no imap-driver at $driver"

scripted_serve whole imap-body-whole.txt || exit 1
timer=
[ -x /usr/bin/time ] && timer="/usr/bin/time -f rss=%M -o $tmp/whole.time"
# ASan's quarantine of freed memory (256 MB) would count in the peak RSS;
# a small one leaves what the driver really holds.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8
export ASAN_OPTIONS
# shellcheck disable=SC2086
out=$($timer "$driver" -a "$tmp/cert.pem" -p "$tmp/whole.pw" -d "$log" \
    -t 10 -x s 127.0.0.1 "$port" body 5 1048576 "$tmp/body" noop logout 2>&1)
rc=$?
scripted_done

tap_eq "whole body for a partial fetch: exit 0" "$rc" 0
tap_eq "whole body for a partial fetch: server script ran to the end" \
    "$src" 0
tap_like "whole body for a partial fetch: 1 MiB kept, marked partial" \
    "$out" '^body uid=5 len=1048576 size=62914576 partial=1$'
tap_eq "whole body for a partial fetch: 1 MiB written" \
    "$(wc -c <"$tmp/body" | tr -d ' ')" 1048576
tap_like "whole body for a partial fetch: the kept part is the start" \
    "$(head -c 14 "$tmp/body")" '^Subject: big'
tap_like "whole body for a partial fetch: the session goes on" "$out" \
    '^noop ok$'
if [ -n "$timer" ]; then
	rss=$(sed -n 's/^rss=//p' "$tmp/whole.time")
	# 60 MB buffered and copied took over 120 MB; an ASan build of the
	# driver alone stays far below the bound.
	tap_like "whole body for a partial fetch: peak RSS under 80 MB ($rss KiB)" \
	    "$rss" '^([0-9]{1,4}|[0-7][0-9]{4})$'
fi
tap_done
