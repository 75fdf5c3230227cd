/* errand: a terminal mail user agent. See LICENSE.
 * password-command on the event loop: fork /bin/sh -c in a process group
 * of its own, read the first line of its stdout with a size cap, then reap
 * the command itself (never what it left in the background) and report
 * what went wrong by name; one timer kills the group when it is too slow. */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine/secret.h"
#include "content/text.h"
#include "xmalloc.h"

#define SECRET_EXIT_POLL 10 /* ms between looks for its exit after the line */

struct secret_run {
	pid_t pid;  /* -1 once reaped */
	int out_fd; /* from its stdout; -1 once the line is read */
	int err_fd; /* from its stderr when quiet; -1 otherwise or at EOF */
	struct event *ev_out, *ev_err, *ev_timer;
	char buf[SECRET_MAX + 1]; /* its output up to the first line */
	size_t len;
	char ebuf[SECRET_ERR_MAX + 1]; /* the start of its stderr (quiet) */
	size_t elen;
	char *cmd;        /* the command, cleaned, for messages */
	const char *what; /* the config key: "password-command" */
	const char *noun; /* what it prints: "password", "token" */
	char *fail;       /* it could not start: why, told from the loop */
	int timeout;
	struct timespec start;
	secret_cb cb;
	void *arg;
};

/* For secret_from_command(): where the callback leaves the result. */
struct secret_wait {
	int done;
	char *password;
	char *err;
};

static void secret_on_out(evutil_socket_t, short, void *);
static void secret_on_err(evutil_socket_t, short, void *);
static void secret_on_timer(evutil_socket_t, short, void *);
static void secret_line_done(struct secret_run *);
static void secret_judge(struct secret_run *, int);
static void secret_finish(struct secret_run *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void secret_kill(struct secret_run *);
static void secret_close_err(struct secret_run *);
static void secret_wait_cb(char *, const char *, void *);

struct secret_run *
secret_run_start(struct event_base *base, const char *cmd, int timeout,
    int quiet, secret_cb cb, void *arg)
{
	return secret_run_start_as(
	    base, SECRET_PASSWORD, cmd, timeout, quiet, cb, arg);
}

struct secret_run *
secret_run_start_as(struct event_base *base, enum secret_kind kind,
    const char *cmd, int timeout, int quiet, secret_cb cb, void *arg)
{
	struct secret_run *r;
	int out[2], err[2] = {-1, -1}, devnull;
	pid_t pid;
	char *why;

	r = xcalloc(1, sizeof *r);
	r->pid = -1;
	r->out_fd = r->err_fd = -1;
	r->cmd = text_clean_line(cmd);
	r->what =
	    kind == SECRET_TOKEN ? "oauth2-token-command" : "password-command";
	r->noun = kind == SECRET_TOKEN ? "token" : "password";
	r->timeout = timeout > 0 ? timeout : SECRET_TIMEOUT;
	r->cb = cb;
	r->arg = arg;
	r->ev_timer = evtimer_new(base, secret_on_timer, r);
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	if (pipe2(out, O_CLOEXEC) == -1) {
		xasprintf(&why, "%s: pipe: %s", r->what, strerror(errno));
		goto fail;
	}
	if (quiet && pipe2(err, O_CLOEXEC) == -1) {
		xasprintf(&why, "%s: pipe: %s", r->what, strerror(errno));
		close(out[0]);
		close(out[1]);
		goto fail;
	}
	if ((pid = fork()) == -1) {
		xasprintf(&why, "%s: fork: %s", r->what, strerror(errno));
		close(out[0]);
		close(out[1]);
		if (quiet) {
			close(err[0]);
			close(err[1]);
		}
		goto fail;
	}
	if (pid == 0) {
		setpgid(0, 0);
		if ((devnull = open("/dev/null", O_RDONLY)) != -1)
			dup2(devnull, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		if (quiet)
			dup2(err[1], STDERR_FILENO);
		closefrom(3);             /* none of errand's files */
		signal(SIGPIPE, SIG_DFL); /* errand ignores it */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid); /* also here: whichever runs first */
	r->pid = pid;
	close(out[1]);
	r->out_fd = out[0];
	evutil_make_socket_nonblocking(r->out_fd);
	r->ev_out =
	    event_new(base, r->out_fd, EV_READ | EV_PERSIST, secret_on_out, r);
	event_add(r->ev_out, NULL);
	if (quiet) {
		close(err[1]);
		r->err_fd = err[0];
		evutil_make_socket_nonblocking(r->err_fd);
		r->ev_err = event_new(
		    base, r->err_fd, EV_READ | EV_PERSIST, secret_on_err, r);
		event_add(r->ev_err, NULL);
	}
	secret_on_timer(-1, 0, r); /* arms the timer */
	return r;

fail:
	/* The callback runs from the loop, as it does for every end. */
	r->fail = why;
	event_active(r->ev_timer, EV_TIMEOUT, 0);
	return r;
}

void
secret_run_cancel(struct secret_run *r)
{
	if (r == NULL)
		return;
	secret_kill(r);
	if (r->ev_out != NULL)
		event_free(r->ev_out);
	if (r->out_fd != -1)
		close(r->out_fd);
	secret_close_err(r);
	event_free(r->ev_timer);
	explicit_bzero(r->buf, sizeof r->buf);
	free(r->cmd);
	free(r->fail);
	free(r);
}

/* Kill its process group (a pipeline or a shell's children go too) and
 * reap the command itself, which SIGKILL ends at once. */
static void
secret_kill(struct secret_run *r)
{
	int status;

	if (r->pid <= 0)
		return;
	kill(-r->pid, SIGKILL);
	kill(r->pid, SIGKILL);
	while (waitpid(r->pid, &status, 0) == -1 && errno == EINTR)
		;
	r->pid = -1;
}

static void
secret_close_err(struct secret_run *r)
{
	if (r->ev_err != NULL) {
		event_free(r->ev_err);
		r->ev_err = NULL;
	}
	if (r->err_fd != -1) {
		close(r->err_fd);
		r->err_fd = -1;
	}
}

static void
secret_on_out(evutil_socket_t fd, short what, void *arg)
{
	struct secret_run *r = arg;
	ssize_t n;

	(void)what;
	n = read(fd, r->buf + r->len, SECRET_MAX - r->len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		secret_finish(r, "%s: read: %s", r->what, strerror(errno));
		return;
	}
	if (n > 0) {
		r->len += (size_t)n;
		if (memchr(r->buf + r->len - n, '\n', n) == NULL &&
		    r->len < SECRET_MAX)
			return;
	}
	/* A line, a full buffer or the end of its output. */
	secret_line_done(r);
}

/* Keep the start of its stderr for an error message; drop the rest. */
static void
secret_on_err(evutil_socket_t fd, short what, void *arg)
{
	struct secret_run *r = arg;
	char sink[512];
	ssize_t n;

	(void)what;
	if (r->elen < SECRET_ERR_MAX)
		n = read(fd, r->ebuf + r->elen, SECRET_ERR_MAX - r->elen);
	else
		n = read(fd, sink, sizeof sink);
	if (n > 0 && r->elen < SECRET_ERR_MAX)
		r->elen += (size_t)n;
	else if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
		secret_close_err(r);
}

/* Stop reading: what follows the first line is not wanted, and whatever
 * still holds the pipe (a child left in the background) is not waited
 * for. Then look for the command's own exit. */
static void
secret_line_done(struct secret_run *r)
{
	event_free(r->ev_out);
	r->ev_out = NULL;
	close(r->out_fd);
	r->out_fd = -1;
	secret_on_timer(-1, 0, r);
}

static void
secret_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct secret_run *r = arg;
	struct timespec now;
	struct timeval tv;
	long left;
	int status;
	pid_t p;

	(void)fd;
	(void)what;
	if (r->fail != NULL) {
		secret_finish(r, "%s", r->fail);
		return;
	}
	if (r->out_fd == -1 && r->pid > 0) {
		p = waitpid(r->pid, &status, WNOHANG);
		if (p == r->pid || (p == -1 && errno == ECHILD)) {
			/* Reaped by someone else: the output alone says. */
			r->pid = -1;
			secret_judge(r, p == -1 ? 0 : status);
			return;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	left = (long)r->timeout * 1000 -
	    ((now.tv_sec - r->start.tv_sec) * 1000 +
	        (now.tv_nsec - r->start.tv_nsec) / 1000000);
	if (left <= 0) {
		secret_kill(r);
		secret_finish(r, "%s '%s' did not %s%s in %d second%s (killed)",
		    r->what, r->cmd, r->out_fd == -1 ? "exit" : "print a ",
		    r->out_fd == -1 ? "" : r->noun, r->timeout,
		    r->timeout == 1 ? "" : "s");
		return;
	}
	if (r->out_fd == -1 && left > SECRET_EXIT_POLL)
		left = SECRET_EXIT_POLL;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	evtimer_add(r->ev_timer, &tv);
}

/* The command has exited (status) after its line was read. */
static void
secret_judge(struct secret_run *r, int status)
{
	char *nl;
	int line = r->len > 0;

	r->buf[r->len] = '\0';
	if ((nl = memchr(r->buf, '\n', r->len)) != NULL)
		*nl = '\0';
	if ((nl = memchr(r->buf, '\r', strlen(r->buf))) != NULL)
		*nl = '\0';
	/* Killed by SIGPIPE after its line: it wrote more than was read,
	 * as "yes secret" does; a shell reports that as 128 + SIGPIPE. */
	if (line &&
	    ((WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) ||
	        (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGPIPE)))
		status = 0;
	if (WIFSIGNALED(status))
		secret_finish(
		    r, "%s was killed by signal %d", r->what, WTERMSIG(status));
	else if (WEXITSTATUS(status) == 127)
		secret_finish(
		    r, "%s: command not found or not executable", r->what);
	else if (WEXITSTATUS(status) != 0)
		secret_finish(r, "%s exited with status %d", r->what,
		    WEXITSTATUS(status));
	else if (r->buf[0] == '\0' && r->noun[0] == 'p')
		secret_finish(r, "%s printed no password", r->what);
	else if (r->buf[0] == '\0')
		/* Name the command: an empty token is a helper's failure
		 * the user has to find. */
		secret_finish(
		    r, "%s '%s' printed no %s", r->what, r->cmd, r->noun);
	else
		secret_finish(r, NULL);
}

/* The end: hand the password (fmt NULL) or the error to the callback,
 * then free everything. */
static void
secret_finish(struct secret_run *r, const char *fmt, ...)
{
	secret_cb cb = r->cb;
	void *arg = r->arg;
	va_list ap;
	char *err = NULL, *msg, *tail, *nl;

	if (fmt != NULL) {
		va_start(ap, fmt);
		xvasprintf(&msg, fmt, ap);
		va_end(ap);
		r->ebuf[r->elen] = '\0';
		if ((nl = strchr(r->ebuf, '\n')) != NULL)
			*nl = '\0';
		tail = text_clean_line(r->ebuf);
		if (*tail != '\0')
			xasprintf(&err, "%s: %s", msg, tail);
		else
			err = xstrdup(msg);
		free(tail);
		free(msg);
	}
	r->cb = NULL;
	if (cb != NULL)
		cb(err == NULL ? xstrdup(r->buf) : NULL, err, arg);
	free(err);
	secret_run_cancel(r);
}

static void
secret_wait_cb(char *password, const char *err, void *arg)
{
	struct secret_wait *w = arg;

	w->done = 1;
	w->password = password;
	if (err != NULL)
		w->err = xstrdup(err);
}

int
secret_from_command(const char *cmd, int timeout, char **password, char **err)
{
	return secret_from_command_as(
	    SECRET_PASSWORD, cmd, timeout, password, err);
}

int
secret_from_command_as(enum secret_kind kind, const char *cmd, int timeout,
    char **password, char **err)
{
	struct event_base *base;
	struct secret_wait w;

	*password = NULL;
	*err = NULL;
	memset(&w, 0, sizeof w);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	secret_run_start_as(base, kind, cmd, timeout, 0, secret_wait_cb, &w);
	while (!w.done)
		event_base_loop(base, EVLOOP_ONCE);
	event_base_free(base);
	if (w.password == NULL) {
		*err = w.err != NULL ? w.err
		                     : xstrdup(kind == SECRET_TOKEN
		                               ? "oauth2-token-command failed"
		                               : "password-command failed");
		return -1;
	}
	*password = w.password;
	return 0;
}

char *
secret_from_tty(const char *prompt, char **err)
{
	struct termios old, quiet;
	char buf[SECRET_MAX + 1], c;
	size_t len = 0;
	ssize_t n;
	int fd, restore = 0;
	char *s;

	*err = NULL;
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1) {
		xasprintf(err,
		    "no terminal to ask for the password on (%s); "
		    "set password-command",
		    strerror(errno));
		return NULL;
	}
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
			restore = 1;
	}
	(void)!write(fd, prompt, strlen(prompt));
	for (;;) {
		n = read(fd, &c, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n' || c == '\r')
			break;
		if (len < SECRET_MAX)
			buf[len++] = c;
	}
	buf[len] = '\0';
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	close(fd);
	if (n <= 0 && len == 0) {
		xasprintf(err, "no password given");
		explicit_bzero(buf, sizeof buf);
		return NULL;
	}
	s = xstrdup(buf);
	explicit_bzero(buf, sizeof buf);
	return s;
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}
