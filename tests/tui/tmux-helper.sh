# errand terminal tests: tests/lib/tmux.sh itself, with a trivial command,
# so a failure there is not taken for a failure of errand.

: "${top_srcdir:=.}"
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/tmux.sh"

command -v tmux >/dev/null 2>&1 || tap_skip_all "no tmux"

# A prompt, an answer, an exit status of 3; the ";" at the end of an
# argument must reach the command, not split tmux's command line.
tui_start 40 10 sh -c 'printf "name? "; read x; echo "hello $x"; exit 3;'
tap_eq "tui_start succeeds" "$?" 0
sock=$_tui_dir/sock
if tui_wait_for "name?" 5; then tap_ok "the prompt appears"; else
	tap_fail "the prompt appears"; fi
tap_eq "the pane is 40x10" \
    "$(tui_tmux display-message -p -t "$_tui_target" \
    '#{pane_width}x#{pane_height}')" 40x10
tui_send -l 'world; and "all"'
tui_send Enter
if tui_wait_for 'hello world; and "all"' 5; then
	tap_ok "keys reach the command and its answer appears"
else
	tap_fail "keys reach the command and its answer appears"
fi
tap_eq "tui_wait_exit gives the exit status" "$(tui_wait_exit 5)" 3
tap_like "the last screen stays readable" "$(tui_screen)" \
    '^hello world; and "all"$'

t0=$(date +%s)
if out=$(tui_wait_for "text that never appears" 1 2>&1); then
	tap_fail "tui_wait_for fails for text that never appears"
else
	tap_ok "tui_wait_for fails for text that never appears"
fi
tap_like "and it fails in time" "$(($(date +%s) - t0))" '^[12]$'
tap_like "and it shows the screen" "$out" '^# \|hello world'

# A command that exits at once still leaves its screen; a signal is told
# apart from a status.
tui_start 20 5 sh -c 'echo quick'
tap_eq "tui_start stops the previous server" \
    "$(env -u TMUX tmux -S "$sock" has-session 2>/dev/null && echo up)" ""
tap_eq "a command that exits at once: status" "$(tui_wait_exit 5)" 0
tap_like "a command that exits at once: screen" "$(tui_screen)" '^quick$'
tui_start 20 5 sh -c 'kill -9 $$'
tap_eq "a killed command" "$(tui_wait_exit 5)" "signal 9"

tui_start 20 5 sh -c 'read x'
if tui_wait_exit 1 2>/dev/null >/dev/null; then
	tap_fail "tui_wait_exit fails while the command runs"
else
	tap_ok "tui_wait_exit fails while the command runs"
fi
sock=$_tui_dir/sock
tui_stop
if env -u TMUX tmux -S "$sock" has-session 2>/dev/null; then
	tap_fail "tui_stop kills the server"
else
	tap_ok "tui_stop kills the server"
fi
tap_eq "tui_stop removes its directory" "$(ls -d "${sock%/sock}" 2>/dev/null)" ""

# The exit trap stops a server left running by a subshell.
sock=$( (tui_start 20 5 sh -c 'read x' >/dev/null 2>&1 && echo "$_tui_dir/sock") )
if [ -n "$sock" ] && ! env -u TMUX tmux -S "$sock" has-session 2>/dev/null &&
    [ ! -e "$sock" ]; then
	tap_ok "the exit trap kills a forgotten server"
else
	tap_fail "the exit trap kills a forgotten server" "socket: $sock"
fi
tap_done
