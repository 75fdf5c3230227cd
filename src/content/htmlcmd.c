/* errand: a terminal mail user agent. See LICENSE.
 * The HTML viewer as a child process watched by the event loop (see
 * htmlcmd.h): its stdin a socket fed as it reads, its stdout a pipe read as
 * it writes, one timer for the whole run; killed (its process group, so a
 * pipeline goes too) on timeout, on too much output or on cancel. */

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "content/htmlcmd.h"
#include "xmalloc.h"

#define HTMLCMD_EXIT_POLL 10 /* ms between looks for its exit after EOF */

struct htmlcmd {
	pid_t pid;  /* -1 once reaped */
	int in_fd;  /* to its stdin; -1 once all is sent */
	int out_fd; /* from its stdout; -1 at the end */
	struct event *ev_in, *ev_out, *ev_timer;
	char *in;        /* a copy of the input */
	size_t len, off; /* its length, and how much is sent */
	char *out;       /* its output so far */
	size_t olen, osize;
	struct timespec start;
	int timeout_ms;
	htmlcmd_cb cb;
	void *arg;
};

static void htmlcmd_on_in(evutil_socket_t, short, void *);
static void htmlcmd_on_out(evutil_socket_t, short, void *);
static void htmlcmd_on_timer(evutil_socket_t, short, void *);
static long htmlcmd_left(const struct htmlcmd *);
static void htmlcmd_wait(struct htmlcmd *, long);
static void htmlcmd_close_in(struct htmlcmd *);
static void htmlcmd_free(struct htmlcmd *);
static void htmlcmd_finish(struct htmlcmd *, int);

struct htmlcmd *
htmlcmd_start(struct event_base *base, const char *cmd, const char *in,
    size_t len, int timeout_ms, htmlcmd_cb cb, void *arg)
{
	struct htmlcmd *h;
	int sv[2], out[2], devnull;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return NULL;
	if (pipe(out) == -1) {
		close(sv[0]);
		close(sv[1]);
		return NULL;
	}
	if ((pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		close(out[0]);
		close(out[1]);
		return NULL;
	}
	if (pid == 0) {
		setpgid(0, 0);
		devnull = open("/dev/null", O_WRONLY);
		if (dup2(sv[1], 0) == -1 || dup2(out[1], 1) == -1)
			_exit(127);
		if (devnull != -1)
			dup2(devnull, 2);
		closefrom(3);             /* none of errand's files */
		signal(SIGPIPE, SIG_DFL); /* errand ignores it */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	close(out[1]);
	setpgid(pid, pid); /* also here: whichever runs first */
	evutil_make_socket_nonblocking(sv[0]);
	evutil_make_socket_nonblocking(out[0]);
	evutil_make_socket_closeonexec(sv[0]);
	evutil_make_socket_closeonexec(out[0]);

	h = xcalloc(1, sizeof *h);
	h->pid = pid;
	h->in_fd = sv[0];
	h->out_fd = out[0];
	h->len = len;
	h->in = xmalloc(len + 1);
	if (len > 0)
		memcpy(h->in, in, len);
	h->timeout_ms = timeout_ms > 0 ? timeout_ms : HTMLCMD_TIMEOUT;
	h->cb = cb;
	h->arg = arg;
	clock_gettime(CLOCK_MONOTONIC, &h->start);
	h->ev_out =
	    event_new(base, h->out_fd, EV_READ | EV_PERSIST, htmlcmd_on_out, h);
	h->ev_timer = evtimer_new(base, htmlcmd_on_timer, h);
	event_add(h->ev_out, NULL);
	htmlcmd_wait(h, h->timeout_ms);
	if (len > 0) {
		h->ev_in = event_new(
		    base, h->in_fd, EV_WRITE | EV_PERSIST, htmlcmd_on_in, h);
		event_add(h->ev_in, NULL);
	} else
		htmlcmd_close_in(h);
	return h;
}

void
htmlcmd_cancel(struct htmlcmd *h)
{
	if (h != NULL)
		htmlcmd_free(h);
}

/* Milliseconds left of the run's time. */
static long
htmlcmd_left(const struct htmlcmd *h)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return h->timeout_ms -
	    ((now.tv_sec - h->start.tv_sec) * 1000 +
	        (now.tv_nsec - h->start.tv_nsec) / 1000000);
}

/* Look again in ms milliseconds. */
static void
htmlcmd_wait(struct htmlcmd *h, long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(h->ev_timer, &tv);
}

static void
htmlcmd_close_in(struct htmlcmd *h)
{
	if (h->ev_in != NULL) {
		event_free(h->ev_in);
		h->ev_in = NULL;
	}
	if (h->in_fd != -1) {
		close(h->in_fd);
		h->in_fd = -1;
	}
}

static void
htmlcmd_on_in(evutil_socket_t fd, short what, void *arg)
{
	struct htmlcmd *h = arg;
	ssize_t n;

	(void)what;
	n = send(
	    fd, h->in + h->off, h->len - h->off, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0)
		h->off += (size_t)n;
	/* Sent, or it stopped reading (its output still counts). */
	if ((n == -1 && errno != EAGAIN && errno != EINTR) || h->off == h->len)
		htmlcmd_close_in(h);
}

static void
htmlcmd_on_out(evutil_socket_t fd, short what, void *arg)
{
	struct htmlcmd *h = arg;
	ssize_t n;

	(void)what;
	if (h->osize - h->olen < 8192) {
		h->osize = h->osize == 0 ? 16384 : h->osize * 2;
		h->out = xreallocarray(h->out, h->osize, 1);
	}
	n = read(fd, h->out + h->olen, h->osize - h->olen - 1);
	if (n > 0) {
		h->olen += (size_t)n;
		if (h->olen > HTMLCMD_OUT_MAX)
			htmlcmd_finish(h, 0);
		return;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		htmlcmd_finish(h, 0);
		return;
	}
	/* The end of its output: now wait for it to exit. */
	event_free(h->ev_out);
	h->ev_out = NULL;
	close(h->out_fd);
	h->out_fd = -1;
	htmlcmd_on_timer(-1, 0, h);
}

static void
htmlcmd_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct htmlcmd *h = arg;
	int status;
	pid_t r;
	long left;

	(void)fd;
	(void)what;
	left = htmlcmd_left(h);
	if (h->out_fd == -1) {
		r = waitpid(h->pid, &status, WNOHANG);
		if (r == h->pid) {
			h->pid = -1;
			htmlcmd_finish(h,
			    WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
			        h->olen > 0);
			return;
		}
		if (r == -1 && errno == ECHILD) {
			/* Reaped by someone else: its output is all there
			 * is to judge by. */
			h->pid = -1;
			htmlcmd_finish(h, h->olen > 0);
			return;
		}
	}
	if (left <= 0) {
		htmlcmd_finish(h, 0);
		return;
	}
	if (h->out_fd == -1)
		htmlcmd_wait(
		    h, left < HTMLCMD_EXIT_POLL ? left : HTMLCMD_EXIT_POLL);
	else
		htmlcmd_wait(h, left);
}

/* Stop the child (if it still runs), close and free everything. */
static void
htmlcmd_free(struct htmlcmd *h)
{
	int status;

	if (h->pid > 0) {
		kill(-h->pid, SIGKILL);
		kill(h->pid, SIGKILL);
		while (waitpid(h->pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	htmlcmd_close_in(h);
	if (h->ev_out != NULL)
		event_free(h->ev_out);
	if (h->out_fd != -1)
		close(h->out_fd);
	event_free(h->ev_timer);
	free(h->in);
	free(h->out);
	free(h);
}

/* The end of the run: hand over the output (ok) or NULL, then free. */
static void
htmlcmd_finish(struct htmlcmd *h, int ok)
{
	htmlcmd_cb cb = h->cb;
	void *arg = h->arg;
	char *out = NULL;
	size_t len = 0;

	if (ok) {
		out = h->out;
		len = h->olen;
		out[len] = '\0';
		h->out = NULL;
	}
	htmlcmd_free(h);
	cb(out, len, arg);
}
