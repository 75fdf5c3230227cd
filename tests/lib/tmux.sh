# errand tests: run a program in a detached tmux session on a private
# socket and read its screen, as tmux's own regress/*.sh do. Source it after
# tests/lib/tap.sh. One session at a time:
#
#	tui_start COLS ROWS CMD [ARG...]	run CMD in a COLSxROWS pane
#	tui_send KEYS...		tmux send-keys ("-l text" for literal)
#	tui_screen			the pane's text (capture-pane -p)
#	tui_wait_for TEXT [SECONDS]	wait (10 s) for TEXT, a fixed string
#	tui_wait_exit [SECONDS]		wait (10 s) for CMD to exit; prints
#					its status ("signal N" above 128)
#	tui_tmux ARGS...		any tmux command on the private server
#	tui_stop			kill the server (also done at exit)
#	tui_shows/tui_lacks REGEX	a screen line matches / none does
#	check_screen NAME TEXT [SECONDS] a TAP test that TEXT shows
#
# The pane stays after CMD exits (remain-on-exit), so its last screen can be
# read. The server has no user config (-f /dev/null) and no status line, so
# the pane is exactly COLS x ROWS. On a timeout the screen is printed to
# stderr as "# " lines and the function returns 1.

# errand_at_exit CMD: eval CMD when this shell exits or gets SIGINT or
# SIGTERM, last registered first. A subshell starts a list of its own, so
# it never stops what its parent started. (Shared with tests/lib/dovecot.sh.)
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

_tui_dir=
_tui_target=errand-test:0.0

tui_tmux()
{
	[ -n "$_tui_dir" ] || {
		echo "tmux.sh: no session; call tui_start first" >&2
		return 1
	}
	env -u TMUX tmux -S "$_tui_dir/sock" -f /dev/null "$@"
}

tui_start()
{
	[ $# -ge 3 ] || {
		echo "usage: tui_start COLS ROWS CMD [ARG...]" >&2
		return 1
	}
	_tui_cols=$1 _tui_rows=$2
	shift 2
	tui_stop
	_tui_dir=$(mktemp -d "${TMPDIR:-/tmp}/errand-tmux.XXXXXX") || return 1
	errand_at_exit "_tui_stop_dir '$_tui_dir'"
	# The command goes through a script, not tmux's argument list, where
	# an argument that ends in ";" would end the tmux command. The script
	# writes the exit status itself: tmux 3.3 sometimes never reaps a
	# command that dies at once, and then has no #{pane_dead_status}.
	{
		for _tui_a in "$@"; do
			printf "'%s' " "$(printf '%s' "$_tui_a" |
			    sed "s/'/'\\\\''/g")"
		done
		printf '\n'
		printf 'echo $? >%s.tmp && mv %s.tmp %s\n' "'$_tui_dir/status'" \
		    "'$_tui_dir/status'" "'$_tui_dir/status'"
	} >"$_tui_dir/run"
	# The options are set before the session exists: a command that
	# exits at once still leaves its pane. An empty remain-on-exit-format
	# (tmux 3.3) keeps tmux from scrolling a "Pane is dead" line in.
	tui_tmux start-server \; \
	    set-option -g exit-empty off \; \
	    set-option -g remain-on-exit on \; \
	    set-option -g status off \; \
	    set-option -sg escape-time 0 || return 1
	tui_tmux set-option -g remain-on-exit-format '' 2>/dev/null
	tui_tmux new-session -d -s errand-test -x "$_tui_cols" \
	    -y "$_tui_rows" "sh $_tui_dir/run"
}

tui_send()
{
	tui_tmux send-keys -t "$_tui_target" "$@"
}

tui_screen()
{
	tui_tmux capture-pane -p -t "$_tui_target"
}

# check_screen NAME TEXT [SECONDS]: a test that TEXT shows on the screen
# within SECONDS (10).
check_screen()
{
	if tui_wait_for "$2" "${3:-10}"; then tap_ok "$1"
	else tap_fail "$1" "screen lacks '$2'"; fi
}

# tui_shows REGEX, tui_lacks REGEX: the screen, captured (and not empty,
# so a failed capture proves nothing), has a line matching the extended
# regular expression, or has none. For wait_until.
tui_shows()
{
	_tui_s=$(tui_screen 2>/dev/null) && [ -n "$_tui_s" ] &&
	    printf '%s\n' "$_tui_s" | grep -Eq -- "$1"
}
tui_lacks()
{
	_tui_s=$(tui_screen 2>/dev/null) && [ -n "$_tui_s" ] &&
	    ! printf '%s\n' "$_tui_s" | grep -Eq -- "$1"
}

_tui_has()
{
	tui_screen 2>/dev/null | grep -qF -- "$1"
}

_tui_show()
{
	echo "# $1; the screen:" >&2
	tui_screen 2>&1 | sed 's/^/# |/' >&2
}

# _tui_until SECONDS CMD...: wait_until with a deadline in milliseconds,
# so that a short wait lasts as long as it says (GNU date; else seconds).
_tui_until()
{
	case $(date +%N) in
	*N*|"") wait_until "$@"; return ;;
	esac
	_tui_end=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while :; do
		"$@" && return 0
		[ "$(($(date +%s%N) / 1000000))" -ge "$_tui_end" ] && return 1
		sleep 0.05
	done
}

tui_wait_for()
{
	if _tui_until "${2:-10}" _tui_has "$1"; then
		return 0
	fi
	_tui_show "'$1' did not appear within ${2:-10} s"
	return 1
}

# _tui_dead: the command has exited and its status is known.
_tui_dead()
{
	[ -s "$_tui_dir/status" ]
}

tui_wait_exit()
{
	if ! _tui_until "${1:-10}" _tui_dead; then
		_tui_show "the command did not exit within ${1:-10} s"
		return 1
	fi
	_tui_st=$(cat "$_tui_dir/status")
	if [ "$_tui_st" -gt 128 ]; then
		echo "signal $((_tui_st - 128))"
	else
		echo "$_tui_st"
	fi
}

# _tui_stop_dir DIR: kill the server on DIR/sock and remove DIR.
_tui_stop_dir()
{
	env -u TMUX tmux -S "$1/sock" -f /dev/null kill-server \
	    >/dev/null 2>&1
	rm -rf "$1"
}

tui_stop()
{
	[ -n "$_tui_dir" ] || return 0
	_tui_stop_dir "$_tui_dir"
	_tui_dir=
}
