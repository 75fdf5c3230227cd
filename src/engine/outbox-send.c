/* errand: a terminal mail user agent. See LICENSE.
 * Sending the outbox on the loop: each due message is marked sending on
 * disk, then dot right before its final "." (or sendmail-command) can go:
 * a crash before it sends it again, after it holds it. It goes through
 * net/smtp or sendmail-command; its end is on disk
 * before anything else (sent, held with the server's words, or waiting
 * after a temporary failure). A sent message then has its copy made in Sent
 * (IMAP APPEND, or the local Sent Maildir) and \Answered on the message it
 * answers, the older copy in Drafts of a recalled draft is removed, and it
 * leaves the outbox. */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "engine/journal.h"
#include "engine/local.h"
#include "engine/maildir.h"
#include "engine/outbox.h"
#include "engine/outbox-private.h"
#include "engine/secret.h"
#include "engine/session.h"
#include "engine/triage.h"
#include "content/text.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"
#include "net/imap-parse.h"
#include "net/imap.h"
#include "net/smtp.h"

#define OUTBOX_ERR_MAX 512          /* bytes of sendmail-command's stderr */
#define OUTBOX_SENDMAIL_TIMEOUT 120 /* seconds, when the account has none */
#define OUTBOX_POLL_MS 10           /* between looks for its exit */
#define OUTBOX_RETRY_MIN 30         /* seconds before the first retry */
#define OUTBOX_RETRY_MAX 1800       /* and the longest wait */

struct outbox_run {
	struct outbox *ob;
	struct outbox_run_params p;
	const struct account *a;
	struct event *ev_step;
	char **ids; /* the messages due when the run started */
	size_t nids, at;
	struct outbox_entry cur; /* the one under way */
	int have_cur;
	int offline; /* the server is out of reach: the rest waits */
	int done;    /* finished() was called */

	/* sendmail-command */
	pid_t pid;
	int errfd, msgfd;
	struct event *ev_err, *ev_poll;
	char ebuf[OUTBOX_ERR_MAX + 1];
	size_t elen;
	struct timespec start;
	int timeout;

	/* SMTP */
	struct smtp *smtp;
	struct secret_run *sr;
	char *password;                     /* from smtp-password-command */
	const char *(*sess_secret)(void *); /* else the session's */
	void *sess_secret_arg;
	int auth, auth_can; /* the account's auth = and what it can do */
	char *host, *user;
	int port, implicit;

	/* the Sent copy over IMAP */
	struct imap *im;
	int sentfd;  /* the message, streamed by imap_append_file() */
	int created; /* the Sent folder was made by this run */

	/* the older copy of a recalled draft, removed from Drafts */
	char *forget_folder;   /* its server name */
	uint32_t forget_valid; /* that folder's UIDVALIDITY */
};

static void run_step(evutil_socket_t, short, void *);
static void run_next(struct outbox_run *);
static void run_finish(struct outbox_run *);
static void run_send(struct outbox_run *);
static void run_end(struct outbox_run *, enum outbox_state, int uncertain,
    const char *reason, char **refused, size_t nrefused);
static void run_after(struct outbox_run *);
static void run_sendmail(struct outbox_run *);
static void sm_on_err(evutil_socket_t, short, void *);
static void sm_on_poll(evutil_socket_t, short, void *);
static void sm_kill(struct outbox_run *);
static void sm_judge(struct outbox_run *, int);
static void run_smtp(struct outbox_run *);
static void run_smtp_go(struct outbox_run *);
static void run_smtp_secret(char *, const char *, void *);
static const char *run_smtp_pw(void *);
static void run_smtp_done(const struct smtp_result *, void *);
static int run_dot(void *);
static int run_smtp_url(struct outbox_run *, char **);
static void run_answered(struct outbox_run *);
static void run_save(struct outbox_run *);
static void run_save_local(struct outbox_run *);
static void run_save_imap(struct outbox_run *);
static void run_sent_connect(struct outbox_run *, imap_done_cb);
static void run_imap_connected(
    struct imap *, enum imap_err, const char *, void *);
static void run_imap_appended(
    struct imap *, enum imap_err, const char *, uint32_t, uint32_t, void *);
static void run_imap_created(
    struct imap *, enum imap_err, const char *, void *);
static void run_saved(struct outbox_run *, const char *, int);
static void run_copy_selected(struct imap *, enum imap_err, const char *,
    const struct imap_selected *, void *);
static void run_copy_found(struct imap *, enum imap_err, const char *,
    const struct imap_uidset *, void *);
static void run_check_sent(struct outbox_run *);
static void run_check_connected(
    struct imap *, enum imap_err, const char *, void *);
static void run_check_selected(struct imap *, enum imap_err, const char *,
    const struct imap_selected *, void *);
static void run_check_found(struct imap *, enum imap_err, const char *,
    const struct imap_uidset *, void *);
static char *run_sent_folder(struct outbox_run *);
static void run_forget(struct outbox_run *);
static void run_forgot(struct outbox_run *, const char *, int);
static void run_forget_local(struct outbox_run *);
static void run_forget_imap(struct outbox_run *);
static void run_forget_connected(
    struct imap *, enum imap_err, const char *, void *);
static void run_forget_selected(struct imap *, enum imap_err, const char *,
    const struct imap_selected *, void *);
static void run_forget_found(struct imap *, enum imap_err, const char *,
    const struct imap_uidset *, void *);

static void
run_free_transport(struct outbox_run *r)
{
	sm_kill(r);
	if (r->ev_err != NULL)
		event_free(r->ev_err);
	r->ev_err = NULL;
	if (r->ev_poll != NULL)
		event_free(r->ev_poll);
	r->ev_poll = NULL;
	if (r->errfd != -1)
		close(r->errfd);
	r->errfd = -1;
	if (r->msgfd != -1)
		close(r->msgfd);
	r->msgfd = -1;
	smtp_cancel(r->smtp);
	r->smtp = NULL;
	secret_run_cancel(r->sr);
	r->sr = NULL;
	if (r->password != NULL) {
		secret_free(r->password);
		r->password = NULL;
	}
	r->sess_secret = NULL;
	r->sess_secret_arg = NULL;
	free(r->host);
	free(r->user);
	r->host = r->user = NULL;
	imap_free(r->im);
	r->im = NULL;
	if (r->sentfd != -1)
		close(r->sentfd);
	r->sentfd = -1;
	r->created = 0;
	free(r->forget_folder);
	r->forget_folder = NULL;
	r->forget_valid = 0;
}

struct outbox_run *
outbox_run_start(struct outbox *ob, const struct outbox_run_params *p)
{
	struct outbox_run *r;
	struct outbox_entry *v;
	size_t n, i;
	time_t now = time(NULL);
	char *err = NULL;
	char **ids = NULL;
	size_t nids = 0;
	int due;

	if (outbox_lock_send(ob, &err) != 0) {
		free(err);
		return NULL;
	}
	if (outbox_list(ob, &v, &n, &err) != 0) {
		free(err);
		outbox_unlock_send(ob);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		switch (v[i].state) {
		case OUTBOX_QUEUED:
			due = v[i].not_before <= now;
			break;
		case OUTBOX_RETRY:
			due = p->now || v[i].not_before <= now;
			break;
		case OUTBOX_SENT:
			due = 1;
			break;
		case OUTBOX_HELD:
			/* It may have been sent: its copy in Sent says so. */
			due = v[i].uncertain && v[i].save_sent &&
			    p->s != NULL && ob->a != NULL &&
			    url_is_imap(ob->a->url.scheme) &&
			    *v[i].message_id != '\0';
			break;
		default:
			due = 0;
			break;
		}
		if (!due)
			continue;
		ids = xreallocarray(ids, nids + 1, sizeof *ids);
		ids[nids++] = xstrdup(v[i].id);
	}
	outbox_entries_free(v, n);
	if (p->s != NULL)
		ob->checked_sent = 1;
	if (nids == 0) {
		outbox_unlock_send(ob);
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->ob = ob;
	r->p = *p;
	r->a = ob->a;
	r->ids = ids;
	r->nids = nids;
	r->pid = -1;
	r->errfd = r->msgfd = r->sentfd = -1;
	r->ev_step = event_new(p->base, -1, 0, run_step, r);
	event_active(r->ev_step, EV_TIMEOUT, 0);
	return r;
}

void
outbox_run_free(struct outbox_run *r)
{
	size_t i;

	if (r == NULL)
		return;
	run_free_transport(r);
	event_free(r->ev_step);
	if (r->have_cur)
		outbox_entry_clear(&r->cur);
	for (i = 0; i < r->nids; i++)
		free(r->ids[i]);
	free(r->ids);
	outbox_unlock_send(r->ob);
	free(r);
}

static void
run_next(struct outbox_run *r)
{
	run_free_transport(r);
	if (r->have_cur)
		outbox_entry_clear(&r->cur);
	r->have_cur = 0;
	r->at++;
	event_active(r->ev_step, EV_TIMEOUT, 0);
}

static void
run_finish(struct outbox_run *r)
{
	if (r->done)
		return;
	r->done = 1;
	if (r->p.finished != NULL)
		r->p.finished(r->offline, r->p.arg);
}

/* The next message: fresh from disk (the user may have taken it back). */
static void
run_step(evutil_socket_t fd, short what, void *arg)
{
	struct outbox_run *r = arg;
	struct outbox_entry *e = &r->cur;
	char *err = NULL;
	time_t now = time(NULL);

	(void)fd;
	(void)what;
	if (r->offline || r->at >= r->nids) {
		run_finish(r);
		return;
	}
	if (outbox_lock(r->ob, &err) != 0) {
		free(err);
		r->at = r->nids;
		run_finish(r);
		return;
	}
	if (outbox_read(r->ob, r->ids[r->at], e, NULL) != 0) {
		outbox_unlock(r->ob);
		r->at++;
		event_active(r->ev_step, EV_TIMEOUT, 0);
		return;
	}
	r->have_cur = 1;
	if (e->state == OUTBOX_SENT) {
		outbox_unlock(r->ob);
		run_after(r);
		return;
	}
	if (e->state == OUTBOX_HELD && e->uncertain) {
		outbox_unlock(r->ob);
		run_check_sent(r);
		return;
	}
	if (!((e->state == OUTBOX_QUEUED && e->not_before <= now) ||
	        (e->state == OUTBOX_RETRY &&
	            (r->p.now || e->not_before <= now)))) {
		outbox_unlock(r->ob);
		run_next(r);
		return;
	}
	/* On disk before a byte goes: found so after a crash, it is sent
	 * again (dot, written later, holds it). */
	e->state = OUTBOX_SENDING;
	e->tries++;
	if (outbox_state_write(r->ob, e, &err) != 0) {
		outbox_unlock(r->ob);
		e->state = OUTBOX_QUEUED;
		run_end(r, OUTBOX_RETRY, 0, err, NULL, 0);
		free(err);
		return;
	}
	outbox_unlock(r->ob);
	run_send(r);
}

static void
run_send(struct outbox_run *r)
{
	if (r->a != NULL && r->a->sendmail_command != NULL)
		run_sendmail(r);
	else if (r->a != NULL && r->a->smtp != NULL)
		run_smtp(r);
	else
		run_end(r, OUTBOX_HELD, 0,
		    "cannot send: the account has neither smtp = nor "
		    "sendmail-command =",
		    NULL, 0);
}

/* The attempt's end, on disk first; then the caller is told. */
static void
run_end(struct outbox_run *r, enum outbox_state state, int uncertain,
    const char *reason, char **refused, size_t nrefused)
{
	struct outbox_result res;
	struct outbox_entry *e = &r->cur;
	struct backoff b;
	char *err = NULL;
	int i, ok;

	e->state = state;
	e->uncertain = uncertain;
	free(e->reason);
	e->reason = reason != NULL ? xstrdup(reason) : NULL;
	if (state == OUTBOX_RETRY) {
		b.min = OUTBOX_RETRY_MIN;
		b.max = OUTBOX_RETRY_MAX;
		b.secs = 0;
		for (i = 0; i < e->tries && i < 16; i++)
			backoff_next(&b);
		e->not_before = time(NULL) + (b.secs > 0 ? b.secs : b.min);
	}
	if (state == OUTBOX_SENT)
		e->appending = e->save_sent;
	ok = 0;
	if (outbox_lock(r->ob, &err) == 0) {
		ok = outbox_state_write(r->ob, e, &err) == 0;
		outbox_unlock(r->ob);
	}
	if (!ok) {
		/* Left as sending (sent again at the next start) or dot
		 * (held, never resent). */
		free(err);
		err = NULL;
	}
	if (state == OUTBOX_SENT)
		outbox_die_at("sent");
	memset(&res, 0, sizeof res);
	res.id = e->id;
	res.state = state;
	res.reason = e->reason;
	res.nrcpt = e->nrcpt;
	res.refused = (const char *const *)refused;
	res.nrefused = nrefused;
	if (r->p.done != NULL)
		r->p.done(&res, r->p.arg);
	if (state == OUTBOX_SENT) {
		run_free_transport(r);
		run_after(r);
		return;
	}
	run_next(r);
}

/* --- sendmail-command ---------------------------------------------------- */

/* /bin/sh -c 'COMMAND "$@"' sh RCPT...: the message on stdin, the
 * recipients (Bcc too) as arguments after the user's words. */
static void
run_sendmail(struct outbox_run *r)
{
	struct outbox_entry *e = &r->cur;
	struct timeval tv = {0, OUTBOX_POLL_MS * 1000};
	char *cmd, *why, **argv;
	int err[2], devnull;
	size_t i;
	pid_t pid;

	if ((r->msgfd = open(e->path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(
		    &why, "cannot read '%s': %s", e->path, strerror(errno));
		run_end(r, OUTBOX_HELD, 0, why, NULL, 0);
		free(why);
		return;
	}
	/* The command may deliver as soon as it runs: a crash from now on
	 * leaves the message held. */
	if (run_dot(r) != 0) {
		run_end(r, OUTBOX_RETRY, 0,
		    "cannot send: the message's state cannot be recorded", NULL,
		    0);
		return;
	}
	if (pipe2(err, O_CLOEXEC) == -1) {
		xasprintf(&why, "sendmail-command: pipe: %s", strerror(errno));
		run_end(r, OUTBOX_RETRY, 0, why, NULL, 0);
		free(why);
		return;
	}
	xasprintf(&cmd, "%s \"$@\"", r->a->sendmail_command);
	argv = xcalloc(e->nrcpt + 5, sizeof *argv);
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = cmd;
	argv[3] = "sh";
	for (i = 0; i < e->nrcpt; i++)
		argv[4 + i] = e->rcpts[i];
	if ((pid = fork()) == -1) {
		xasprintf(&why, "sendmail-command: fork: %s", strerror(errno));
		close(err[0]);
		close(err[1]);
		free(cmd);
		free(argv);
		run_end(r, OUTBOX_RETRY, 0, why, NULL, 0);
		free(why);
		return;
	}
	if (pid == 0) {
		setpgid(0, 0);
		dup2(r->msgfd, STDIN_FILENO);
		if ((devnull = open("/dev/null", O_WRONLY)) != -1)
			dup2(devnull, STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		closefrom(3);
		signal(SIGPIPE, SIG_DFL);
		execv("/bin/sh", argv);
		_exit(127);
	}
	setpgid(pid, pid);
	free(cmd);
	free(argv);
	close(err[1]);
	r->pid = pid;
	r->errfd = err[0];
	r->elen = 0;
	r->timeout =
	    r->a->timeout > 0 ? r->a->timeout : OUTBOX_SENDMAIL_TIMEOUT;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	evutil_make_socket_nonblocking(r->errfd);
	r->ev_err =
	    event_new(r->p.base, r->errfd, EV_READ | EV_PERSIST, sm_on_err, r);
	event_add(r->ev_err, NULL);
	r->ev_poll = evtimer_new(r->p.base, sm_on_poll, r);
	evtimer_add(r->ev_poll, &tv);
}

static void
sm_on_err(evutil_socket_t fd, short what, void *arg)
{
	struct outbox_run *r = arg;
	char buf[4096];
	ssize_t n;
	size_t k;

	(void)what;
	n = read(fd, buf, sizeof buf);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		event_del(r->ev_err);
		return;
	}
	k = (size_t)n;
	if (k > OUTBOX_ERR_MAX - r->elen)
		k = OUTBOX_ERR_MAX - r->elen;
	memcpy(r->ebuf + r->elen, buf, k);
	r->elen += k;
}

static void
sm_kill(struct outbox_run *r)
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
sm_on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct outbox_run *r = arg;
	struct timeval tv = {0, OUTBOX_POLL_MS * 1000};
	struct timespec now;
	char *why;
	pid_t p;
	int status;

	(void)fd;
	(void)what;
	p = waitpid(r->pid, &status, WNOHANG);
	if (p == r->pid) {
		r->pid = -1;
		/* What it wrote before it ended. */
		if (r->ev_err != NULL)
			sm_on_err(r->errfd, EV_READ, r);
		sm_judge(r, status);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - r->start.tv_sec >= r->timeout) {
		sm_kill(r);
		xasprintf(&why,
		    "may have been sent: sendmail-command did not finish in "
		    "%d seconds (killed); check and use errand outbox --retry "
		    "%s",
		    r->timeout, r->cur.id);
		run_end(r, OUTBOX_HELD, 1, why, NULL, 0);
		free(why);
		return;
	}
	evtimer_add(r->ev_poll, &tv);
}

/* exit 0: sent; 75 (EX_TEMPFAIL): later; anything else: held, with the
 * first line of its stderr. */
static void
sm_judge(struct outbox_run *r, int status)
{
	char *line, *nl, *why;

	r->ebuf[r->elen] = '\0';
	line = r->ebuf;
	while (*line == '\n' || *line == '\r')
		line++;
	if ((nl = strpbrk(line, "\r\n")) != NULL)
		*nl = '\0';
	line = text_clean_line(line);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		free(line);
		run_end(r, OUTBOX_SENT, 0, NULL, NULL, 0);
		return;
	}
	if (WIFSIGNALED(status))
		xasprintf(&why, "sendmail-command was killed by signal %d%s%s",
		    WTERMSIG(status), *line != '\0' ? ": " : "", line);
	else if (WEXITSTATUS(status) == 127)
		xasprintf(&why, "sendmail-command: command not found%s%s",
		    *line != '\0' ? ": " : "", line);
	else
		xasprintf(&why, "sendmail-command exited with status %d%s%s",
		    WEXITSTATUS(status), *line != '\0' ? ": " : "", line);
	free(line);
	run_end(r,
	    WIFEXITED(status) && WEXITSTATUS(status) == 75 ? OUTBOX_RETRY
	                                                   : OUTBOX_HELD,
	    0, why, NULL, 0);
	free(why);
}

/* --- SMTP ---------------------------------------------------------------- */

/* smtp = smtp[s]://[user@]host[:port] */
static int
run_smtp_url(struct outbox_run *r, char **err)
{
	const char *s = r->a->smtp, *p, *at, *colon, *end;
	char *port;
	long v;

	if (strncmp(s, "smtps://", 8) == 0) {
		r->implicit = 1;
		p = s + 8;
	} else if (strncmp(s, "smtp://", 7) == 0) {
		r->implicit = 0;
		p = s + 7;
	} else {
		xasprintf(err, "smtp = '%s': not smtp:// or smtps://", s);
		return -1;
	}
	end = p + strcspn(p, "/");
	if ((at = memchr(p, '@', (size_t)(end - p))) != NULL) {
		r->user = xstrndup(p, (size_t)(at - p));
		p = at + 1;
	}
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));
		if (rb == NULL) {
			xasprintf(err, "smtp = '%s': no ']'", s);
			return -1;
		}
		r->host = xstrndup(p + 1, (size_t)(rb - p - 1));
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		r->host =
		    xstrndup(p, (size_t)((colon != NULL ? colon : end) - p));
	}
	r->port = r->implicit ? 465 : 587;
	if (colon != NULL) {
		port = xstrndup(colon + 1, (size_t)(end - colon - 1));
		v = strtol(port, NULL, 10);
		free(port);
		if (v <= 0 || v > 65535) {
			xasprintf(err, "smtp = '%s': a bad port", s);
			return -1;
		}
		r->port = (int)v;
	}
	if (*r->host == '\0') {
		xasprintf(err, "smtp = '%s': no host", s);
		return -1;
	}
	if (r->user == NULL && r->a->url.user != NULL)
		r->user = xstrdup(r->a->url.user);
	return 0;
}

static void
run_smtp(struct outbox_run *r)
{
	struct imap_params ip;
	char *err = NULL;

	if (run_smtp_url(r, &err) != 0) {
		run_end(r, OUTBOX_HELD, 0, err, NULL, 0);
		free(err);
		return;
	}
	if (r->p.s != NULL) {
		/* The account's auth = holds for SMTP too. */
		memset(&ip, 0, sizeof ip);
		session_imap_params(r->p.s, &ip);
		r->auth = (int)ip.auth;
		r->auth_can = r->a->smtp_password_command != NULL
		    ? SASL_CAN_PASSWORD
		    : ip.auth_can;
	}
	if (r->a->smtp_password_command != NULL) {
		r->sr = secret_run_start(r->p.base, r->a->smtp_password_command,
		    r->a->timeout, 1, run_smtp_secret, r);
		return;
	}
	if (r->user != NULL && r->p.s != NULL && session_creds(r->p.s) == 1) {
		/* The account's own secret, asked for when AUTH starts. */
		memset(&ip, 0, sizeof ip);
		session_imap_params(r->p.s, &ip);
		r->sess_secret = ip.secret;
		r->sess_secret_arg = ip.secret_arg;
	}
	if (r->user != NULL && r->sess_secret == NULL) {
		/* Not yet: the session has them once it connects. */
		run_end(r, OUTBOX_RETRY, 0,
		    "cannot send: no password for smtp yet", NULL, 0);
		return;
	}
	run_smtp_go(r);
}

static void
run_smtp_secret(char *password, const char *err, void *arg)
{
	struct outbox_run *r = arg;
	char *why;

	r->sr = NULL;
	if (password == NULL) {
		xasprintf(&why, "smtp-%s", err != NULL ? err : "no password");
		run_end(r, OUTBOX_RETRY, 0, why, NULL, 0);
		free(why);
		return;
	}
	r->password = password;
	run_smtp_go(r);
}

static const char *
run_smtp_pw(void *arg)
{
	struct outbox_run *r = arg;

	if (r->password != NULL)
		return r->password;
	return r->sess_secret != NULL ? r->sess_secret(r->sess_secret_arg)
	                              : NULL;
}

static void
run_smtp_go(struct outbox_run *r)
{
	struct outbox_entry *e = &r->cur;
	struct smtp_params sp;
	char *why;

	if ((r->msgfd = open(e->path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(
		    &why, "cannot read '%s': %s", e->path, strerror(errno));
		run_end(r, OUTBOX_HELD, 0, why, NULL, 0);
		free(why);
		return;
	}
	memset(&sp, 0, sizeof sp);
	sp.host = r->host;
	sp.port = r->port;
	sp.tls = r->implicit ? SMTP_TLS_IMPLICIT : SMTP_TLS_STARTTLS;
	sp.user = r->user;
	sp.secret = run_smtp_pw;
	sp.secret_arg = r;
	sp.ca_file = r->a->ca_file;
	/* A pin is for the account's server, not another one. */
	if (r->a->url.host != NULL && strcmp(r->a->url.host, r->host) == 0)
		sp.tls_fingerprint = r->a->tls_fingerprint;
	sp.connect_timeout = r->a->connect_timeout;
	sp.timeout = r->a->timeout;
	sp.dns = r->p.s != NULL ? session_dns(r->p.s) : NULL;
	sp.auth = r->auth;
	sp.auth_can = r->auth_can;
	sp.before_dot = run_dot;
	sp.before_dot_arg = r;
	r->smtp =
	    smtp_send(r->p.base, &sp, e->from, (const char *const *)e->rcpts,
	        e->nrcpt, r->msgfd, run_smtp_done, r);
}

/* Right before the final "." (or sendmail-command): state dot on disk
 * (fsynced, the directory too), so that a crash after it holds the
 * message rather than sending it twice. Up to here nothing was taken. */
static int
run_dot(void *arg)
{
	struct outbox_run *r = arg;
	struct outbox_entry *e = &r->cur;
	char *err = NULL;
	int rc = -1;

	outbox_die_at("sending");
	e->dot = 1;
	if (outbox_lock(r->ob, &err) == 0) {
		rc = outbox_state_write(r->ob, e, &err);
		outbox_unlock(r->ob);
	}
	free(err);
	if (rc != 0) {
		e->dot = 0;
		return -1;
	}
	outbox_die_at("dot");
	return 0;
}

static void
run_smtp_done(const struct smtp_result *res, void *arg)
{
	struct outbox_run *r = arg;
	char **refused = NULL, *why;
	size_t i;

	r->smtp = NULL; /* freed after this returns */
	if (res->nrefused > 0) {
		refused = xcalloc(res->nrefused, sizeof *refused);
		for (i = 0; i < res->nrefused; i++)
			xasprintf(&refused[i], "%s: %d%s%s %s",
			    res->refused[i].rcpt, res->refused[i].code,
			    res->refused[i].enhanced != NULL ? " " : "",
			    res->refused[i].enhanced != NULL
			        ? res->refused[i].enhanced
			        : "",
			    res->refused[i].text != NULL ? res->refused[i].text
			                                 : "");
	}
	if (res->status == SMTP_OK)
		run_end(r, OUTBOX_SENT, 0, NULL, NULL, 0);
	else if (res->auth_refused && r->p.s != NULL &&
	    r->a->smtp_password_command == NULL &&
	    session_creds_refused(
	        r->p.s, res->text != NULL ? res->text : "refused") == 1) {
		/* An OAuth2 token refused for the first time: it may have
		 * expired. Forgotten, so the next attempt runs the token
		 * command again; a second refusal holds the message. */
		xasprintf(&why, "%s (the token is renewed for the next try)",
		    res->text != NULL ? res->text : "login refused");
		run_end(r, OUTBOX_RETRY, 0, why, refused, res->nrefused);
		free(why);
	} else if (res->data_sent &&
	    (res->network || res->status == SMTP_TEMPFAIL)) {
		/* The final "." went and no answer came: it may be there. */
		xasprintf(&why,
		    "may have been sent (%s): check Sent and use errand "
		    "outbox --retry %s",
		    res->text != NULL ? res->text : "no answer", r->cur.id);
		run_end(r, OUTBOX_HELD, 1, why, refused, res->nrefused);
		free(why);
	} else if (res->status == SMTP_TEMPFAIL) {
		r->offline = res->network;
		run_end(r, OUTBOX_RETRY, 0,
		    res->text != NULL ? res->text : "temporary failure",
		    refused, res->nrefused);
	} else {
		if (res->nrefused > 0 &&
		    (res->text == NULL || *res->text == '\0')) {
			xasprintf(&why, "recipient refused: %s", refused[0]);
			run_end(r, OUTBOX_HELD, 0, why, refused, res->nrefused);
			free(why);
		} else
			run_end(r, OUTBOX_HELD, 0,
			    res->text != NULL ? res->text : "refused", refused,
			    res->nrefused);
	}
	for (i = 0; i < res->nrefused; i++)
		free(refused[i]);
	free(refused);
}

/* --- after sending ------------------------------------------------------- */

/* Sent: \Answered on the original, the copy in Sent, then it leaves. */
static void
run_after(struct outbox_run *r)
{
	if (!r->cur.draft) /* a postponed reply answers nothing yet */
		run_answered(r);
	run_save(r);
}

struct run_find {
	const char *id;
	uint32_t uid;
};

static int
run_find_cb(const struct store_msg *m, void *arg)
{
	struct run_find *f = arg;

	if (strcmp(m->message_id, f->id) != 0)
		return 0;
	f->uid = m->uid;
	return 1;
}

/* The cached message whose Message-ID is msgid, INBOX first: its folder's
 * display name (the caller's) and UID, or NULL. */
static char *
run_find_msgid(struct store *st, const char *msgid, uint32_t *uid)
{
	struct store_folder *v;
	struct run_find f;
	char *name = NULL;
	size_t n, i, k;

	if (store_folder_list(st, &v, &n) != 0)
		return NULL;
	memset(&f, 0, sizeof f);
	f.id = msgid;
	for (k = 0; k < 2 && name == NULL; k++)
		for (i = 0; i < n && name == NULL; i++) {
			if ((strcasecmp(v[i].name, "INBOX") == 0) != (k == 0))
				continue;
			if (store_msg_foreach_cols(st, v[i].id, STORE_COL_IDS,
			        run_find_cb, &f) == 1 &&
			    f.uid != 0) {
				name = xstrdup(v[i].name);
				*uid = f.uid;
			}
		}
	store_folder_list_free(v, n);
	return name;
}

static void
run_answered(struct outbox_run *r)
{
	struct outbox_entry *e = &r->cur;
	struct store_folder f;
	struct store_msg m;
	struct triage t;
	struct store *st;
	struct local *l;
	char *err = NULL, *root;

	if (r->p.s == NULL)
		return;
	st = session_store(r->p.s);
	if ((e->reply_folder == NULL || e->reply_uid == 0) &&
	    e->in_reply_to != NULL && *e->in_reply_to != '\0') {
		free(e->reply_folder);
		e->reply_folder =
		    run_find_msgid(st, e->in_reply_to, &e->reply_uid);
	}
	if (e->reply_folder == NULL || e->reply_uid == 0)
		return;
	if (url_is_imap(r->a->url.scheme)) {
		/* A journaled flag change, sent with the others: the
		 * backend is woken, it may be idle on the server. */
		triage_init(&t, st, r->p.wake, r->p.prepare, r->p.arg);
		if (triage_flag(&t, e->reply_folder, e->reply_uid, 'A', 1, NULL,
		        NULL, &err) < 0 ||
		    triage_flush(&t) != 0) {
			free(err);
			err = NULL;
		}
		triage_clear(&t);
		return;
	}
	/* Local folders: the flag is in the file's name. */
	if ((root = maildir_default_path(r->a->name)) == NULL)
		return;
	l = local_open(st, root, r->a->fallback_charset, &err);
	free(root);
	if (l == NULL) {
		free(err);
		return;
	}
	memset(&f, 0, sizeof f);
	if (store_folder_get(st, e->reply_folder, &f) == 0 &&
	    store_msg_get(st, f.id, e->reply_uid, &m) == 0 &&
	    local_set_flags(l, e->reply_folder, e->reply_uid,
	        m.flags | STORE_FLAG_ANSWERED, &err) != 0) {
		free(err);
		err = NULL;
	}
	store_folder_clear(&f);
	local_close(l);
}

static void
run_save(struct outbox_run *r)
{
	if (!r->cur.appending) {
		run_saved(r, NULL, 0);
		return;
	}
	if (r->a == NULL || !url_is_imap(r->a->url.scheme))
		run_save_local(r);
	else if (r->p.s == NULL)
		run_next(r); /* the copy waits for a session */
	else
		run_save_imap(r);
}

/* The copy done (err NULL) or not: the message leaves the outbox, or
 * stays owed. */
static void
run_saved(struct outbox_run *r, const char *err, int offline)
{
	struct outbox_entry *e = &r->cur;
	char *why = NULL;

	if (err == NULL) {
		outbox_die_at("appended");
		if (e->replaces != NULL) {
			run_forget(r);
			return;
		}
		if (outbox_lock(r->ob, &why) == 0) {
			outbox_remove(r->ob, e->id, &why);
			outbox_unlock(r->ob);
		}
		free(why);
		run_next(r);
		return;
	}
	free(e->reason);
	if (e->draft)
		xasprintf(&e->reason,
		    "postponed; the copy in Drafts is not made yet: %s", err);
	else
		xasprintf(&e->reason,
		    "sent; the copy in Sent is not made yet: %s", err);
	if (outbox_lock(r->ob, &why) == 0) {
		outbox_state_write(r->ob, e, &why);
		outbox_unlock(r->ob);
	}
	free(why);
	r->offline = offline;
	run_next(r);
}

/* Open the message for a copy: the session streams it from the file
 * (imap_append_file()), so a big attachment is never in memory. */
static int
run_open_msg(struct outbox_run *r, char **err)
{
	if ((r->sentfd = open(r->cur.path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(
		    err, "cannot read '%s': %s", r->cur.path, strerror(errno));
		return -1;
	}
	return 0;
}

/* POP3 and local accounts: the Sent folder of the Maildir at home. */
static void
run_save_local(struct outbox_run *r)
{
	struct maildir_delivery *d;
	struct maildir *md;
	char *root, *path, *err = NULL, *name = NULL, buf[65536];
	ssize_t n;
	int fd = -1;

	if ((root = maildir_default_path(r->a != NULL ? r->a->name : "")) ==
	    NULL) {
		run_saved(r, "neither XDG_DATA_HOME nor HOME is set", 0);
		return;
	}
	xasprintf(&path, "%s/%s", root, r->cur.draft ? ".Drafts" : ".Sent");
	free(root);
	if ((md = maildir_open(path, &err)) == NULL) {
		run_saved(r, err, 0);
		free(err);
		free(path);
		return;
	}
	free(path);
	if ((fd = open(r->cur.path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(
		    &err, "cannot read '%s': %s", r->cur.path, strerror(errno));
		goto fail;
	}
	/* Streamed: a big attachment is never all in memory. */
	if ((d = maildir_deliver_begin(md, 1)) == NULL) {
		err = xstrdup(maildir_error(md));
		goto fail;
	}
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(&err, "cannot read '%s': %s", r->cur.path,
			    strerror(errno));
			maildir_deliver_abort(d);
			goto fail;
		}
		if (maildir_deliver_write(d, buf, (size_t)n) != 0) {
			err = xstrdup(maildir_error(md));
			maildir_deliver_abort(d);
			goto fail;
		}
	}
	/* The delivery is freed either way. */
	if (maildir_deliver_commit(d, &name) != 0) {
		err = xstrdup(maildir_error(md));
		goto fail;
	}
	if (r->cur.draft) {
		/* Seen and a draft, as the IMAP copy: into cur/. Not done,
		 * it is there all the same: never delivered twice. */
		xasprintf(&path, "new/%s", name);
		(void)maildir_set_flags(md, path, "DS", NULL);
		free(path);
	}
	free(name);
	close(fd);
	maildir_close(md);
	run_saved(r, NULL, 0);
	return;

fail:
	if (fd != -1)
		close(fd);
	maildir_close(md);
	run_saved(r, err, 0);
	free(err);
}

/* The flags of the copy: a postponed message is a \Draft. */
static int
run_copy_flags(const struct outbox_run *r)
{
	return IMAP_FLAG_SEEN | (r->cur.draft ? IMAP_FLAG_DRAFT : 0);
}

/* The server name of the \Sent folder, else "Sent" (\Drafts, else
 * "Drafts", for a postponed message). */
static char *
run_sent_folder(struct outbox_run *r)
{
	struct store_folder *v;
	const char *use = r->cur.draft ? "\\Drafts" : "\\Sent";
	char *s = NULL;
	size_t n, i;

	if (r->cur.sent_folder != NULL)
		return xstrdup(r->cur.sent_folder);
	if (store_folder_list(session_store(r->p.s), &v, &n) == 0) {
		for (i = 0; i < n && s == NULL; i++)
			if (v[i].special_use != NULL &&
			    strcasecmp(v[i].special_use, use) == 0)
				s = xstrdup(v[i].raw_name != NULL
				        ? v[i].raw_name
				        : v[i].name);
		store_folder_list_free(v, n);
	}
	if (s == NULL)
		s = xstrdup(r->cur.draft ? "Drafts" : "Sent");
	return s;
}

/* Connect to the account's server for its Sent folder (found now and
 * kept in r->cur.sent_folder); done runs when logged in. */
static void
run_sent_connect(struct outbox_run *r, imap_done_cb done)
{
	struct imap_params ip;
	char *folder;

	/* Found before the old name goes: it may be where it starts. */
	folder = run_sent_folder(r);
	free(r->cur.sent_folder);
	r->cur.sent_folder = folder;
	session_imap_params(r->p.s, &ip);
	r->im = imap_new(r->p.base, session_dns(r->p.s), &ip);
	imap_connect(r->im, done, r);
}

static void
run_save_imap(struct outbox_run *r)
{
	char *err = NULL;

	if (session_creds(r->p.s) != 1) {
		run_saved(r, "no credentials yet", 0);
		return;
	}
	if (run_open_msg(r, &err) != 0) {
		run_saved(r, err, 0);
		free(err);
		return;
	}
	run_sent_connect(r, run_imap_connected);
}

static void
run_imap_connected(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct outbox_run *r = arg;

	struct imap_select_params sp;
	char *err = NULL;

	if (e != IMAP_ERR_NONE) {
		run_saved(r, msg != NULL ? msg : imap_error(im),
		    session_imap_err(im, e) == SESSION_ERR_OFFLINE);
		return;
	}
	if (r->cur.append_tried && *r->cur.message_id != '\0') {
		/* An APPEND went before without its answer recorded (a
		 * crash, a cut): the copy may be there already. */
		memset(&sp, 0, sizeof sp);
		sp.mailbox = r->cur.sent_folder;
		sp.readonly = 1;
		imap_select(im, &sp, run_copy_selected, r);
		return;
	}
	r->cur.append_tried = 1;
	if (outbox_lock(r->ob, &err) == 0) {
		outbox_state_write(r->ob, &r->cur, &err);
		outbox_unlock(r->ob);
	}
	free(err);
	imap_append_file(im, r->cur.sent_folder, run_copy_flags(r), r->sentfd,
	    run_imap_appended, r);
}

static void
run_copy_selected(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_selected *sel, void *arg)
{
	struct outbox_run *r = arg;

	(void)msg;
	(void)sel;
	if (e != IMAP_ERR_NONE) {
		/* No Sent folder yet: no copy in it either. */
		imap_append_file(im, r->cur.sent_folder, run_copy_flags(r),
		    r->sentfd, run_imap_appended, r);
		return;
	}
	imap_search_msgid(im, 1, r->cur.message_id, run_copy_found, r);
}

static void
run_copy_found(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_uidset *found, void *arg)
{
	struct outbox_run *r = arg;

	if (e != IMAP_ERR_NONE) {
		run_saved(r, msg != NULL ? msg : imap_error(im),
		    session_imap_err(im, e) == SESSION_ERR_OFFLINE);
		return;
	}
	if (found != NULL && found->count > 0) {
		run_saved(r, NULL, 0); /* it is there: not twice */
		return;
	}
	imap_append_file(im, r->cur.sent_folder, run_copy_flags(r), r->sentfd,
	    run_imap_appended, r);
}

/* The folder was made: the copy goes again, once. */
static void
run_imap_created(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct outbox_run *r = arg;
	char *why;

	if (e != IMAP_ERR_NONE) {
		xasprintf(&why, "cannot create '%s': %s", r->cur.sent_folder,
		    msg != NULL ? msg : imap_error(im));
		run_saved(
		    r, why, session_imap_err(im, e) == SESSION_ERR_OFFLINE);
		free(why);
		return;
	}
	r->created = 1;
	imap_append_file(im, r->cur.sent_folder, run_copy_flags(r), r->sentfd,
	    run_imap_appended, r);
}

static void
run_imap_appended(struct imap *im, enum imap_err e, const char *msg,
    uint32_t uidvalidity, uint32_t uid, void *arg)
{
	struct outbox_run *r = arg;
	char *why;

	(void)uidvalidity;
	(void)uid;
	if (e != IMAP_ERR_NONE && !r->created &&
	    session_imap_err(im, e) == SESSION_ERR_NO && msg != NULL &&
	    strstr(msg, "[TRYCREATE]") != NULL) {
		/* No Sent folder yet ([TRYCREATE], RFC 3501): make it. Any
		 * other NO (over quota, too big) is kept in its words. */
		imap_create(im, r->cur.sent_folder, run_imap_created, r);
		return;
	}
	if (e != IMAP_ERR_NONE) {
		if (msg == NULL)
			msg = imap_error(im);
		/* The session's own words name the folder already. */
		if (msg != NULL && strncmp(msg, "cannot append to ", 17) == 0)
			why = xstrdup(msg);
		else
			xasprintf(&why, "cannot append to '%s': %s",
			    r->cur.sent_folder, msg);
		run_saved(
		    r, why, session_imap_err(im, e) == SESSION_ERR_OFFLINE);
		free(why);
		return;
	}
	run_saved(r, NULL, 0);
}

/* --- the older copy of a recalled draft -------------------------------- */

/* This message is safe (sent, or its own copy made): the copy of the
 * draft it was recalled from leaves Drafts, so that one draft is one
 * message there. Over IMAP it is found by Message-ID (whatever its UID,
 * under whatever UIDVALIDITY) and purged through the journal, so that it
 * goes offline too; at home its file is removed. */
static void
run_forget(struct outbox_run *r)
{
	struct outbox_entry *e = &r->cur;
	char *why = NULL;

	if (e->appending) {
		/* Made: never made again, whatever becomes of the older. */
		e->appending = 0;
		if (outbox_lock(r->ob, &why) == 0) {
			outbox_state_write(r->ob, e, &why);
			outbox_unlock(r->ob);
		}
		free(why);
	}
	outbox_die_at("forget");
	if (r->a == NULL || !url_is_imap(r->a->url.scheme))
		run_forget_local(r);
	else if (r->p.s == NULL)
		run_next(r); /* waits for a session */
	else
		run_forget_imap(r);
}

/* The older copy is gone (err NULL; its purge journaled) and the message
 * leaves the outbox, or it stays owed with why. */
static void
run_forgot(struct outbox_run *r, const char *err, int offline)
{
	struct outbox_entry *e = &r->cur;
	char *why = NULL;

	if (err == NULL) {
		free(e->replaces);
		e->replaces = NULL;
		run_saved(r, NULL, 0);
		return;
	}
	free(e->reason);
	xasprintf(&e->reason,
	    "%s; the older copy in Drafts is not removed yet: %s",
	    e->draft ? "postponed" : "sent", err);
	if (outbox_lock(r->ob, &why) == 0) {
		outbox_state_write(r->ob, e, &why);
		outbox_unlock(r->ob);
	}
	free(why);
	r->offline = offline;
	run_next(r);
}

/* The Message-ID (no <>) in the header section of the len bytes of buf,
 * or NULL. The caller's. */
static char *
run_header_msgid(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *eol, *v, *lt, *gt;

	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (eol == p || (eol == p + 1 && *p == '\r'))
			break; /* the end of the header */
		if ((size_t)(eol - p) > 11 &&
		    strncasecmp(p, "Message-ID:", 11) == 0) {
			v = p + 11;
			/* Folded: the value may go on to the next line. */
			while (
			    eol + 1 < end && (eol[1] == ' ' || eol[1] == '\t'))
				if ((eol = memchr(eol + 1, '\n',
				         (size_t)(end - eol - 1))) == NULL)
					eol = end;
			lt = memchr(v, '<', (size_t)(eol - v));
			gt = lt != NULL ? memchr(lt, '>', (size_t)(eol - lt))
			                : NULL;
			if (gt != NULL && gt > lt + 1)
				return xstrndup(lt + 1, (size_t)(gt - lt - 1));
			return NULL;
		}
		p = eol + 1;
	}
	return NULL;
}

#define OUTBOX_FORGET_HEAD (256 * 1024) /* bytes read to find its id */

/* POP3 and local accounts: the file in the Drafts of the Maildir at home
 * with that Message-ID. */
static void
run_forget_local(struct outbox_run *r)
{
	struct maildir_entry *v = NULL;
	struct maildir *md;
	char *root, *path, *err = NULL, *id;
	void *buf;
	size_t n = 0, i, len;

	if ((root = maildir_default_path(r->a != NULL ? r->a->name : "")) ==
	    NULL) {
		run_forgot(r, "neither XDG_DATA_HOME nor HOME is set", 0);
		return;
	}
	xasprintf(&path, "%s/.Drafts", root);
	free(root);
	if ((md = maildir_open(path, &err)) == NULL) {
		free(path);
		run_forgot(r, err, 0);
		free(err);
		return;
	}
	free(path);
	if (maildir_list(md, &v, &n) != 0) {
		err = xstrdup(maildir_error(md));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (maildir_read(
		        md, v[i].path, OUTBOX_FORGET_HEAD, &buf, &len) != 0)
			continue; /* gone meanwhile */
		id = run_header_msgid(buf, len);
		free(buf);
		if (id != NULL && strcmp(id, r->cur.replaces) == 0 &&
		    maildir_remove(md, v[i].path) != 0 && err == NULL)
			err = xstrdup(maildir_error(md));
		free(id);
	}
	if (err == NULL && maildir_sync(md) != 0)
		err = xstrdup(maildir_error(md));
out:
	maildir_list_free(v, n);
	maildir_close(md);
	run_forgot(r, err, 0);
	free(err);
}

/* The server name of the folder with special use use, else dflt. */
static char *
run_special_folder(struct outbox_run *r, const char *use, const char *dflt)
{
	struct store_folder *v;
	char *s = NULL;
	size_t n, i;

	if (store_folder_list(session_store(r->p.s), &v, &n) == 0) {
		for (i = 0; i < n && s == NULL; i++)
			if (v[i].special_use != NULL &&
			    strcasecmp(v[i].special_use, use) == 0)
				s = xstrdup(v[i].raw_name != NULL
				        ? v[i].raw_name
				        : v[i].name);
		store_folder_list_free(v, n);
	}
	return s != NULL ? s : xstrdup(dflt);
}

static void
run_forget_imap(struct outbox_run *r)
{
	struct imap_params ip;

	if (session_creds(r->p.s) != 1) {
		run_forgot(r, "no credentials yet", 0);
		return;
	}
	/* A draft's own copy went where the older one did. */
	free(r->forget_folder);
	r->forget_folder = r->cur.draft && r->cur.sent_folder != NULL
	    ? xstrdup(r->cur.sent_folder)
	    : run_special_folder(r, "\\Drafts", "Drafts");
	if (r->im != NULL) {
		/* Logged in for the copy just made. */
		run_forget_connected(r->im, IMAP_ERR_NONE, NULL, r);
		return;
	}
	session_imap_params(r->p.s, &ip);
	r->im = imap_new(r->p.base, session_dns(r->p.s), &ip);
	imap_connect(r->im, run_forget_connected, r);
}

static void
run_forget_connected(
    struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct outbox_run *r = arg;
	struct imap_select_params sp;

	if (e != IMAP_ERR_NONE) {
		run_forgot(r, msg != NULL ? msg : imap_error(im),
		    session_imap_err(im, e) == SESSION_ERR_OFFLINE);
		return;
	}
	memset(&sp, 0, sizeof sp);
	sp.mailbox = r->forget_folder;
	sp.readonly = 1;
	imap_select(im, &sp, run_forget_selected, r);
}

static void
run_forget_selected(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_selected *sel, void *arg)
{
	struct outbox_run *r = arg;

	if (e != IMAP_ERR_NONE && session_imap_err(im, e) == SESSION_ERR_NO) {
		run_forgot(r, NULL, 0); /* no Drafts: nothing to remove */
		return;
	}
	if (e != IMAP_ERR_NONE || sel == NULL) {
		run_forgot(r, msg != NULL ? msg : imap_error(im),
		    session_imap_err(im, e) == SESSION_ERR_OFFLINE);
		return;
	}
	r->forget_valid = sel->uidvalidity;
	imap_search_msgid(im, 1, r->cur.replaces, run_forget_found, r);
}

#define OUTBOX_FORGET_MAX 64 /* copies of one draft purged at most */

/* Each message found: \Deleted and UID EXPUNGE of its UID, journaled
 * (a copy gone meanwhile costs nothing). */
static void
run_forget_found(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_uidset *found, void *arg)
{
	struct outbox_run *r = arg;
	struct store *st = session_store(r->p.s);
	struct store_folder *v;
	int64_t folder = 0;
	uint32_t uid;
	size_t n, i, k = 0;

	if (e != IMAP_ERR_NONE) {
		run_forgot(r, msg != NULL ? msg : imap_error(im),
		    session_imap_err(im, e) == SESSION_ERR_OFFLINE);
		return;
	}
	if (store_folder_list(st, &v, &n) == 0) {
		for (i = 0; i < n && folder == 0; i++)
			if (strcmp(v[i].raw_name != NULL ? v[i].raw_name
			                                 : v[i].name,
			        r->forget_folder) == 0)
				folder = v[i].id;
		store_folder_list_free(v, n);
	}
	for (i = 0; found != NULL && i < found->n; i++)
		for (uid = found->r[i].lo;
		     uid != 0 && uid <= found->r[i].hi && k < OUTBOX_FORGET_MAX;
		     uid++, k++)
			if (journal_put_purge(st, folder, r->forget_folder,
			        r->forget_valid, uid, r->cur.replaces) != 0) {
				run_forgot(r, store_error(st), 0);
				return;
			}
	if (k > 0 && r->p.wake != NULL)
		r->p.wake(r->p.arg); /* the purge goes now */
	run_forgot(r, NULL, 0);
}

/* --- a message that may have been sent ---------------------------------- */

/* Held as uncertain: when its Message-ID is in Sent (a server that keeps
 * a copy of what it takes), it was sent: recorded so, with no copy to
 * make. Otherwise it stays held for the user. */
static void
run_check_sent(struct outbox_run *r)
{
	if (session_creds(r->p.s) != 1) {
		run_next(r);
		return;
	}
	run_sent_connect(r, run_check_connected);
}

static void
run_check_connected(
    struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct outbox_run *r = arg;
	struct imap_select_params sp;

	(void)msg;
	if (e != IMAP_ERR_NONE) {
		r->offline = session_imap_err(im, e) == SESSION_ERR_OFFLINE;
		run_next(r);
		return;
	}
	memset(&sp, 0, sizeof sp);
	sp.mailbox = r->cur.sent_folder;
	sp.readonly = 1;
	imap_select(im, &sp, run_check_selected, r);
}

static void
run_check_selected(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_selected *sel, void *arg)
{
	struct outbox_run *r = arg;

	(void)msg;
	(void)sel;
	if (e != IMAP_ERR_NONE) {
		run_next(r);
		return;
	}
	imap_search_msgid(im, 1, r->cur.message_id, run_check_found, r);
}

static void
run_check_found(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_uidset *found, void *arg)
{
	struct outbox_run *r = arg;

	(void)im;
	(void)msg;
	if (e != IMAP_ERR_NONE || found == NULL || found->count == 0) {
		run_next(r);
		return;
	}
	r->cur.save_sent = 0; /* the copy is there */
	run_end(r, OUTBOX_SENT, 0, "found in Sent", NULL, 0);
}

/* --- the interface's sender ---------------------------------------------- */

struct outbox_sender {
	struct outbox_sender_params p;
	struct outbox *ob;
	struct outbox_run *run;
	struct event *ev_timer; /* the next send-delay or retry */
	struct event *ev_reap;  /* frees a finished run from the loop */
	int count;
	unsigned int reconnects; /* session_reconnects() at the last run */
};

static void sender_recount(struct outbox_sender *);
static void sender_on_timer(evutil_socket_t, short, void *);
static void sender_on_reap(evutil_socket_t, short, void *);
static void sender_done(const struct outbox_result *, void *);
static void sender_finished(int, void *);
static void sender_wake(void *);
static int sender_prepare(void *);

struct outbox_sender *
outbox_sender_new(const struct outbox_sender_params *p, char **err)
{
	struct outbox_sender *os;
	struct outbox *ob;

	if ((ob = outbox_open(session_account(p->s), err)) == NULL)
		return NULL;
	os = xcalloc(1, sizeof *os);
	os->p = *p;
	os->ob = ob;
	os->ev_timer = evtimer_new(session_base(p->s), sender_on_timer, os);
	os->ev_reap = event_new(session_base(p->s), -1, 0, sender_on_reap, os);
	os->reconnects = session_reconnects(p->s);
	sender_recount(os);
	return os;
}

void
outbox_sender_free(struct outbox_sender *os)
{
	if (os == NULL)
		return;
	outbox_run_free(os->run);
	event_free(os->ev_timer);
	event_free(os->ev_reap);
	outbox_free(os->ob);
	free(os);
}

struct outbox *
outbox_sender_outbox(struct outbox_sender *os)
{
	return os->ob;
}

int
outbox_sender_count(const struct outbox_sender *os)
{
	return os->count;
}

/* Count again and arm the timer for the next message due. One due now
 * needs no timer while a run is under way (its end counts again) or while
 * the session is not online (coming back online kicks): armed at once, it
 * would spin over the outbox until then. Due now and online, kick() starts
 * the run; should it not (another errand sends), a look a second later. */
static void
sender_recount(struct outbox_sender *os)
{
	struct outbox_entry *v;
	struct timeval tv;
	size_t n, i;
	time_t due, now = time(NULL);
	int c = 0;

	if (outbox_list(os->ob, &v, &n, NULL) == 0) {
		for (i = 0; i < n; i++)
			c += v[i].state != OUTBOX_SENT;
		outbox_entries_free(v, n);
	}
	os->count = c;
	evtimer_del(os->ev_timer);
	if ((due = outbox_next_due(os->ob)) != 0 &&
	    (due > now ||
	        (os->run == NULL &&
	            session_net(os->p.s) == SESSION_NET_ONLINE))) {
		tv.tv_sec = due > now ? due - now : 1;
		tv.tv_usec = 0;
		evtimer_add(os->ev_timer, &tv);
	}
}

void
outbox_sender_kick(struct outbox_sender *os)
{
	struct outbox_run_params rp;

	sender_recount(os);
	if (os->p.changed != NULL)
		os->p.changed(os->p.arg);
	if (os->run != NULL || session_net(os->p.s) != SESSION_NET_ONLINE)
		return;
	memset(&rp, 0, sizeof rp);
	rp.base = session_base(os->p.s);
	rp.s = os->p.s;
	rp.done = sender_done;
	rp.finished = sender_finished;
	rp.wake = sender_wake;
	rp.prepare = sender_prepare;
	rp.arg = os;
	/* The network is back: what waits after a failure goes now, not
	 * at the end of a backoff that counted the time it was away. */
	rp.now = session_reconnects(os->p.s) != os->reconnects;
	os->reconnects = session_reconnects(os->p.s);
	os->run = outbox_run_start(os->ob, &rp);
}

static void
sender_on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	outbox_sender_kick(arg);
}

static void
sender_done(const struct outbox_result *res, void *arg)
{
	struct outbox_sender *os = arg;

	if (os->p.result != NULL)
		os->p.result(res, os->p.arg);
}

static void
sender_finished(int offline, void *arg)
{
	struct outbox_sender *os = arg;

	(void)offline;
	/* Not from inside the run: freed on the next pass. */
	event_active(os->ev_reap, EV_TIMEOUT, 0);
}

static void
sender_wake(void *arg)
{
	struct outbox_sender *os = arg;

	if (os->p.wake != NULL)
		os->p.wake(os->p.arg);
}

static int
sender_prepare(void *arg)
{
	struct outbox_sender *os = arg;

	return os->p.prepare != NULL ? os->p.prepare(os->p.arg) : 0;
}

static void
sender_on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct outbox_sender *os = arg;

	(void)fd;
	(void)what;
	outbox_run_free(os->run);
	os->run = NULL;
	sender_recount(os);
	if (os->p.changed != NULL)
		os->p.changed(os->p.arg);
}
