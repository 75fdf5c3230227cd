/* errand: a terminal mail user agent. See LICENSE.
 * The SMTP submission session: one state machine over net/conn and the
 * reply parser, for one message (or none, to check the account). The
 * envelope goes out in one write under PIPELINING; the message streams
 * from its file through the dot-stuffer as the socket drains.
 * RFC 5321, RFC 6409, RFC 3207, RFC 8314, RFC 4954, RFC 4616, RFC 2920,
 * RFC 6152, RFC 6531, RFC 1870, RFC 3463. */

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "content/text.h"
#include "xmalloc.h"
#include "conn.h"
#include "plog.h"
#include "sasl.h"
#include "smtp-parse.h"
#include "smtp.h"

#define SMTP_MAX_TEXT 300    /* bytes of server text in a message */
#define SMTP_CHUNK 65536     /* bytes of the message read at a time */
#define SMTP_DRAIN_LOW 65536 /* queue more below this much output */
#define SMTP_SCAN_STEP 16    /* chunks scanned a loop turn (1 MiB) */
#define SMTP_QUIT_TIMEOUT 10 /* seconds to wait for QUIT's answer */
#define SMTP_MAX_ADDR 998    /* bytes of an address */

enum smtp_state {
	SMTP_STATE_CONNECTING, /* lookup, TCP, implicit TLS */
	SMTP_STATE_GREETING,   /* waiting for 220 */
	SMTP_STATE_EHLO,       /* EHLO sent */
	SMTP_STATE_HELO,       /* HELO sent after EHLO was refused */
	SMTP_STATE_STARTTLS,   /* STARTTLS sent */
	SMTP_STATE_HANDSHAKE,  /* TLS handshake after STARTTLS */
	SMTP_STATE_AUTH,       /* AUTH exchange */
	SMTP_STATE_ENVELOPE,   /* MAIL, RCPT, DATA sent, replies awaited */
	SMTP_STATE_BODY,       /* the message streams */
	SMTP_STATE_DOT,        /* the final "." sent */
	SMTP_STATE_RSET,       /* RSET sent after a refusal */
	SMTP_STATE_QUIT,       /* QUIT sent; the outcome is known */
	SMTP_STATE_DONE,       /* over; done is about to run */
};

static const char *smtp_state_names[] = {
    "connecting",
    "greeting",
    "ehlo",
    "helo",
    "starttls",
    "handshake",
    "auth",
    "envelope",
    "body",
    "dot",
    "rset",
    "quit",
    "done",
};

struct smtp {
	struct event_base *base;
	struct conn *conn;
	struct smtp_parser *parser;
	struct plog *log;
	enum smtp_state state;

	char *host;
	int port;
	enum smtp_tls tls;
	char *user;
	const char *(*secret)(void *);
	void *secret_arg;
	char *helo;
	int timeout;
	int check; /* smtp_check(): no message */

	char *from;
	char **rcpts;
	size_t nrcpt;
	int fd;
	off_t off;     /* next byte of the file to read */
	uint64_t wire; /* the message's size on the wire */
	int eightbit;  /* the message has a byte over 127 */
	int utf8;      /* an address is not ASCII */
	struct smtp_stuff st;
	struct smtp_stuff scan_st; /* the first reading, SIZE's */
	off_t scanned;             /* bytes of it read */
	int scan_done;             /* wire and eightbit are known */
	int envelope_due;          /* the envelope waits for them */
	struct event *scan_ev;     /* reads the next step from the loop */
	char *chunk;               /* SMTP_CHUNK bytes read */
	char *coded;   /* their encoding, 2 * SMTP_CHUNK + 2 bytes */
	uint64_t sent; /* body bytes queued */

	struct smtp_ext ext;
	int tls_up;         /* TLS runs (implicit or after STARTTLS) */
	struct sasl *sasl;  /* the AUTH exchange, while it runs */
	const char *mech;   /* the AUTH mechanism used */
	int auth, auth_can; /* from the params */
	int pipelined;      /* the envelope went in one write */
	size_t nsent;       /* envelope commands sent (MAIL, RCPT..., DATA) */
	size_t nreplies;    /* envelope replies read */
	size_t accepted;    /* recipients the server took */
	int refuse_perm;    /* a RCPT refused with 5xx */
	int refuse_temp;    /* a RCPT refused with 4xx */
	int decided;        /* res holds the outcome */

	struct smtp_result res;
	size_t caprefused;
	struct event *timer;    /* the wait for a reply, or the stream */
	struct event *deferred; /* runs done */
	smtp_done_cb done;
	void *arg;
	int (*before_dot)(void *);
	void *before_dot_arg;
};

static struct smtp *smtp_new(
    struct event_base *, const struct smtp_params *, smtp_done_cb, void *);
static void smtp_set_state(struct smtp *, enum smtp_state);
static void smtp_conn_cb(struct conn *, enum conn_event, void *);
static void smtp_drain_cb(struct conn *, void *);
static void smtp_timer_cb(evutil_socket_t, short, void *);
static void smtp_deferred_cb(evutil_socket_t, short, void *);
static void smtp_read(struct smtp *);
static void smtp_reply(struct smtp *, const struct smtp_reply *);
static void smtp_wait(struct smtp *, int);
static void smtp_send_line(struct smtp *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void smtp_ehlo(struct smtp *);
static void smtp_after_ehlo(struct smtp *);
static int smtp_auth(struct smtp *, const struct smtp_reply *);
static void smtp_envelope(struct smtp *);
static void smtp_envelope_reply(struct smtp *, const struct smtp_reply *);
static void smtp_body(struct smtp *);
static void smtp_refused(
    struct smtp *, const char *, const struct smtp_reply *);
static void smtp_decide_reply(
    struct smtp *, const struct smtp_reply *, const char *);
static void smtp_decide(struct smtp *, enum smtp_status, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));
static void smtp_quit(struct smtp *);
static void smtp_finish(struct smtp *);
static char *smtp_reply_text(const struct smtp_reply *);
static void smtp_scan_cb(evutil_socket_t, short, void *);
static int smtp_addr_bad(const char *, int *);

/* --- the public side --------------------------------------------------- */

struct smtp *
smtp_send(struct event_base *base, const struct smtp_params *p,
    const char *from, const char *const *rcpts, size_t nrcpt, int msgfd,
    smtp_done_cb done, void *arg)
{
	struct smtp *s = smtp_new(base, p, done, arg);
	struct timeval now = {0, 0};
	const char *at;
	size_t i;
	int nonascii = 0;

	s->from = xstrdup(from != NULL ? from : "");
	s->rcpts = xcalloc(nrcpt + 1, sizeof *s->rcpts);
	for (i = 0; i < nrcpt; i++)
		s->rcpts[i] = xstrdup(rcpts[i]);
	s->nrcpt = nrcpt;
	s->fd = msgfd;
	if (p->helo == NULL && (at = strrchr(s->from, '@')) != NULL &&
	    at[1] != '\0' &&
	    strspn(at + 1,
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "0123456789.-") == strlen(at + 1)) {
		free(s->helo);
		s->helo = xstrdup(at + 1);
	}
	if (smtp_addr_bad(s->from, &nonascii)) {
		smtp_decide(s, SMTP_PERMFAIL, 0,
		    "cannot send: invalid sender address '%s'", s->from);
		smtp_finish(s);
		return s;
	}
	if (nrcpt == 0) {
		smtp_decide(s, SMTP_PERMFAIL, 0, "cannot send: no recipients");
		smtp_finish(s);
		return s;
	}
	for (i = 0; i < nrcpt; i++) {
		if (s->rcpts[i][0] == '\0' ||
		    smtp_addr_bad(s->rcpts[i], &nonascii)) {
			smtp_decide(s, SMTP_PERMFAIL, 0,
			    "cannot send: invalid recipient address '%s'",
			    s->rcpts[i]);
			smtp_finish(s);
			return s;
		}
	}
	s->utf8 = nonascii;
	/* The message is read once for SIZE while the connection is made,
	 * a step a loop turn: a large one never holds the loop. */
	s->chunk = xmalloc(SMTP_CHUNK);
	s->coded = xmalloc(2 * SMTP_CHUNK + 2);
	smtp_stuff_init(&s->scan_st);
	if ((s->scan_ev = evtimer_new(base, smtp_scan_cb, s)) == NULL)
		fatalx("%s: evtimer_new failed", __func__);
	evtimer_add(s->scan_ev, &now);
	conn_connect(s->conn);
	return s;
}

struct smtp *
smtp_check(struct event_base *base, const struct smtp_params *p,
    smtp_done_cb done, void *arg)
{
	struct smtp *s = smtp_new(base, p, done, arg);

	s->check = 1;
	s->fd = -1;
	conn_connect(s->conn);
	return s;
}

void
smtp_cancel(struct smtp *s)
{
	size_t i;

	if (s == NULL)
		return;
	conn_free(s->conn);
	smtp_parser_free(s->parser);
	event_free(s->timer);
	event_free(s->deferred);
	if (s->scan_ev != NULL)
		event_free(s->scan_ev);
	for (i = 0; i < s->res.nrefused; i++) {
		free(s->res.refused[i].rcpt);
		free(s->res.refused[i].enhanced);
		free(s->res.refused[i].text);
	}
	free(s->res.refused);
	free(s->res.enhanced);
	free(s->res.text);
	for (i = 0; i < s->nrcpt; i++)
		free(s->rcpts[i]);
	free(s->rcpts);
	free(s->from);
	free(s->chunk);
	free(s->coded);
	free(s->host);
	free(s->user);
	free(s->helo);
	sasl_free(s->sasl);
	free(s);
}

/* The session common to sending and checking; the conn is made, not
 * connected. */
static struct smtp *
smtp_new(struct event_base *base, const struct smtp_params *p,
    smtp_done_cb done, void *arg)
{
	struct smtp *s = xcalloc(1, sizeof *s);
	struct conn_params cp;
	char name[128];
	size_t i, n;

	s->base = base;
	s->log = p->log;
	s->host = xstrdup(p->host != NULL ? p->host : "");
	s->port = p->port;
	s->tls = p->tls;
	s->user = p->user != NULL ? xstrdup(p->user) : NULL;
	s->secret = p->secret;
	s->secret_arg = p->secret_arg;
	s->auth = p->auth;
	s->auth_can = p->auth_can;
	s->helo = xstrdup(p->helo != NULL ? p->helo : "localhost");
	s->timeout = p->timeout > 0 ? p->timeout : 60;
	s->fd = -1;
	s->done = done;
	s->arg = arg;
	s->before_dot = p->before_dot;
	s->before_dot_arg = p->before_dot_arg;
	s->parser = smtp_parser_new(0, 0);
	s->timer = evtimer_new(base, smtp_timer_cb, s);
	s->deferred = evtimer_new(base, smtp_deferred_cb, s);

	/* The kept TLS session is named after the server. */
	n = (size_t)snprintf(
	    name, sizeof name, "smtp-%.80s-%d", s->host, s->port);
	for (i = 0; i < n && i < sizeof name; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '.' &&
		    name[i] != '-')
			name[i] = '_';
	memset(&cp, 0, sizeof cp);
	cp.host = s->host;
	cp.port = p->port;
	cp.tls =
	    p->tls == SMTP_TLS_IMPLICIT ? CONN_TLS_IMPLICIT : CONN_TLS_NONE;
	cp.ca_file = p->ca_file;
	cp.fingerprint = p->tls_fingerprint;
	cp.connect_timeout = p->connect_timeout;
	cp.idle_timeout = s->timeout;
	cp.session_name = name;
	cp.log = p->log;
	s->conn = conn_new(base, p->dns, &cp, smtp_conn_cb, s);
	smtp_set_state(s, SMTP_STATE_CONNECTING);
	return s;
}

static void
smtp_set_state(struct smtp *s, enum smtp_state st)
{
	if (s->state != st)
		plog_note(s->log, s->host, "smtp: %s -> %s",
		    smtp_state_names[s->state], smtp_state_names[st]);
	s->state = st;
}

/* --- the message ------------------------------------------------------- */

/* Read the message once, SMTP_SCAN_STEP chunks a call: its size on the
 * wire (CRLF, dot-stuffed) for SIZE, and whether it has 8-bit bytes for
 * BODY=8BITMIME. The envelope waits for the end if it comes first. */
static void
smtp_scan_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp *s = arg;
	struct timeval now = {0, 0};
	char end[8];
	ssize_t n;
	size_t i;
	int step = 0;

	(void)fd;
	(void)what;
	while (step < SMTP_SCAN_STEP) {
		n = pread(s->fd, s->chunk, SMTP_CHUNK, s->scanned);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			smtp_decide(s, SMTP_TEMPFAIL, 0,
			    "cannot read the message: %s", strerror(errno));
			smtp_finish(s);
			return;
		}
		if (n == 0) {
			s->wire += smtp_stuff_end(&s->scan_st, end);
			s->scan_done = 1;
			if (s->envelope_due)
				smtp_envelope(s);
			return;
		}
		s->scanned += n;
		for (i = 0; i < (size_t)n && !s->eightbit; i++)
			if ((unsigned char)s->chunk[i] > 127)
				s->eightbit = 1;
		s->wire +=
		    smtp_stuff(&s->scan_st, s->chunk, (size_t)n, s->coded);
		step++;
	}
	/* A timer, not event_active(): the loop polls between steps. */
	evtimer_add(s->scan_ev, &now);
}

/* Queue the next pieces of the message while the output is short; the
 * final "." once the file is read. */
static void
smtp_body(struct smtp *s)
{
	char end[8];
	ssize_t n;
	size_t len;

	while (s->state == SMTP_STATE_BODY &&
	    conn_output_length(s->conn) < SMTP_DRAIN_LOW) {
		n = pread(s->fd, s->chunk, SMTP_CHUNK, s->off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			/* The server must not deliver a message cut short:
			 * closing the connection without the "." drops it. */
			smtp_decide(s, SMTP_TEMPFAIL, 0,
			    "cannot read the message: %s", strerror(errno));
			smtp_finish(s);
			return;
		}
		if (n == 0) {
			/* The caller's mark first: the "." after it. */
			if (s->before_dot != NULL &&
			    s->before_dot(s->before_dot_arg) != 0) {
				smtp_decide(s, SMTP_TEMPFAIL, 0,
				    "cannot send: the message's state cannot "
				    "be recorded");
				smtp_finish(s);
				return;
			}
			len = smtp_stuff_end(&s->st, end);
			conn_write_unlogged(s->conn, end, len);
			s->sent += len;
			plog_note(s->log, s->host,
			    "smtp: message of %llu bytes sent",
			    (unsigned long long)s->sent);
			plog_write(s->log, s->host, '>', ".", 1);
			conn_set_drain(s->conn, 0, NULL);
			s->res.data_sent = 1;
			smtp_set_state(s, SMTP_STATE_DOT);
			smtp_wait(s, s->timeout);
			return;
		}
		s->off += n;
		len = smtp_stuff(&s->st, s->chunk, (size_t)n, s->coded);
		conn_write_unlogged(s->conn, s->coded, len);
		s->sent += len;
	}
	smtp_wait(s, s->timeout); /* each drain restarts the clock */
}

static void
smtp_drain_cb(struct conn *c, void *arg)
{
	struct smtp *s = arg;

	(void)c;
	if (s->state == SMTP_STATE_BODY)
		smtp_body(s);
}

/* --- I/O --------------------------------------------------------------- */

static void
smtp_conn_cb(struct conn *c, enum conn_event ev, void *arg)
{
	struct smtp *s = arg;
	const char *msg;

	switch (ev) {
	case CONN_EV_CONNECTED:
		s->tls_up = s->tls == SMTP_TLS_IMPLICIT;
		smtp_set_state(s, SMTP_STATE_GREETING);
		smtp_wait(s, s->timeout);
		break;
	case CONN_EV_TLS:
		s->tls_up = 1;
		/* What the server offered before TLS is not trusted
		 * (RFC 3207 4.2): ask again. */
		smtp_ehlo(s);
		break;
	case CONN_EV_READ:
		smtp_read(s);
		break;
	case CONN_EV_ERROR:
		msg = conn_error(c);
		if (s->state == SMTP_STATE_QUIT) {
			smtp_finish(s); /* the outcome was known */
			break;
		}
		s->res.network = 1;
		if (s->res.data_sent)
			smtp_decide(s, SMTP_TEMPFAIL, 0,
			    "cannot tell whether %s took the message: %s "
			    "after the end of the message was sent",
			    s->host, msg != NULL ? msg : "connection failed");
		else
			smtp_decide(s, SMTP_TEMPFAIL, 0,
			    "cannot send via %s: %s", s->host,
			    msg != NULL ? msg : "connection failed");
		s->res.network = 1;
		smtp_finish(s);
		break;
	}
}

/* Feed what arrived to the parser and act on each reply. */
static void
smtp_read(struct smtp *s)
{
	struct smtp_reply r;
	struct evbuffer *in;
	struct evbuffer_iovec v;
	size_t used;
	int rc;

	while (s->conn != NULL && s->state != SMTP_STATE_HANDSHAKE &&
	    s->state != SMTP_STATE_DONE) {
		in = conn_input(s->conn);
		if (in == NULL || evbuffer_peek(in, -1, NULL, &v, 1) < 1 ||
		    v.iov_len == 0)
			break;
		rc = smtp_parser_feed(
		    s->parser, v.iov_base, v.iov_len, &used, &r);
		plog_write(s->log, s->host, '<', v.iov_base, used);
		evbuffer_drain(in, used);
		if (rc == -1) {
			if (s->state == SMTP_STATE_QUIT) {
				smtp_finish(s);
				return;
			}
			smtp_decide(s, SMTP_TEMPFAIL, 0,
			    "protocol error from %s: %s", s->host,
			    smtp_parser_error(s->parser));
			smtp_finish(s);
			return;
		}
		if (rc == 1)
			smtp_reply(s, &r);
	}
}

/* Arm the wait for the next reply (seconds), or disarm it (0). */
static void
smtp_wait(struct smtp *s, int secs)
{
	struct timeval tv = {secs, 0};

	if (s->conn != NULL)
		conn_expect_reply(s->conn, 0); /* the session keeps time */
	if (secs > 0)
		evtimer_add(s->timer, &tv);
	else
		evtimer_del(s->timer);
}

static void
smtp_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp *s = arg;

	(void)fd;
	(void)what;
	if (s->state == SMTP_STATE_QUIT) {
		smtp_finish(s);
		return;
	}
	s->res.network = 1;
	if (s->state == SMTP_STATE_BODY)
		smtp_decide(s, SMTP_TEMPFAIL, 0,
		    "cannot send via %s: no progress sending the message "
		    "for %d seconds",
		    s->host, s->timeout);
	else if (s->res.data_sent)
		smtp_decide(s, SMTP_TEMPFAIL, 0,
		    "cannot tell whether %s took the message: no reply for "
		    "%d seconds after the end of the message",
		    s->host, s->timeout);
	else
		smtp_decide(s, SMTP_TEMPFAIL, 0,
		    "cannot send via %s: no reply for %d seconds (%s)", s->host,
		    s->timeout, smtp_state_names[s->state]);
	s->res.network = 1;
	smtp_finish(s);
}

static void
smtp_send_line(struct smtp *s, const char *fmt, ...)
{
	char *line;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = xvasprintf(&line, fmt, ap);
	va_end(ap);
	conn_write(s->conn, line, (size_t)n);
	free(line);
}

/* --- replies ----------------------------------------------------------- */

/* One whole reply, in the state that awaited it. */
static void
smtp_reply(struct smtp *s, const struct smtp_reply *r)
{
	int cls = SMTP_CLASS(r->code);

	smtp_wait(s, s->timeout);
	if (r->code == 421 && s->state != SMTP_STATE_QUIT) {
		/* The server is closing, whatever was asked (RFC 5321
		 * 3.8). */
		smtp_decide_reply(s, r, "");
		smtp_finish(s);
		return;
	}
	switch (s->state) {
	case SMTP_STATE_GREETING:
		if (cls != 2) {
			smtp_decide_reply(s, r, "");
			smtp_quit(s);
			return;
		}
		smtp_ehlo(s);
		break;
	case SMTP_STATE_EHLO:
		if (cls == 5 && !s->tls_up && s->tls == SMTP_TLS_STARTTLS) {
			smtp_decide(s, SMTP_PERMFAIL, 0,
			    "cannot send via %s: it does not offer STARTTLS "
			    "(EHLO refused), and errand sends nothing in "
			    "clear text",
			    s->host);
			smtp_quit(s);
			return;
		}
		if (cls == 5) {
			smtp_set_state(s, SMTP_STATE_HELO);
			smtp_send_line(s, "HELO %s\r\n", s->helo);
			return;
		}
		if (cls != 2) {
			smtp_decide_reply(s, r, "");
			smtp_quit(s);
			return;
		}
		smtp_ext_parse(r, &s->ext);
		smtp_after_ehlo(s);
		break;
	case SMTP_STATE_HELO:
		if (cls != 2) {
			smtp_decide_reply(s, r, "");
			smtp_quit(s);
			return;
		}
		memset(&s->ext, 0, sizeof s->ext);
		smtp_after_ehlo(s);
		break;
	case SMTP_STATE_STARTTLS:
		if (r->code != 220) {
			smtp_decide_reply(s, r, "STARTTLS refused: ");
			smtp_quit(s);
			return;
		}
		smtp_set_state(s, SMTP_STATE_HANDSHAKE);
		smtp_wait(s, 0);
		conn_starttls(s->conn);
		break;
	case SMTP_STATE_AUTH:
		if (smtp_auth(s, r) == 1)
			smtp_envelope(s);
		break;
	case SMTP_STATE_ENVELOPE:
		smtp_envelope_reply(s, r);
		break;
	case SMTP_STATE_BODY:
		/* A reply while the message streams: the server gave up
		 * on it. */
		smtp_decide_reply(s, r, "");
		smtp_finish(s);
		break;
	case SMTP_STATE_DOT:
		if (cls == 2) {
			s->decided = 1;
			s->res.status = SMTP_OK;
			s->res.code = r->code;
			free(s->res.enhanced);
			s->res.enhanced = r->enhanced[0] != '\0'
			    ? xstrdup(r->enhanced)
			    : NULL;
		} else
			smtp_decide_reply(s, r, "");
		smtp_quit(s);
		break;
	case SMTP_STATE_RSET:
		smtp_quit(s);
		break;
	case SMTP_STATE_QUIT:
		smtp_finish(s);
		break;
	default:
		smtp_decide(s, SMTP_TEMPFAIL, 0,
		    "protocol error from %s: a reply nothing asked for",
		    s->host);
		smtp_finish(s);
		break;
	}
}

static void
smtp_ehlo(struct smtp *s)
{
	smtp_set_state(s, SMTP_STATE_EHLO);
	smtp_send_line(s, "EHLO %s\r\n", s->helo);
	smtp_wait(s, s->timeout);
}

/* EHLO (or HELO) answered: TLS first, then AUTH, then the message. */
static void
smtp_after_ehlo(struct smtp *s)
{
	if (!s->tls_up) {
		if (!(s->ext.ext & SMTP_EXT_STARTTLS)) {
			smtp_decide(s, SMTP_PERMFAIL, 0,
			    "cannot send via %s: it does not offer STARTTLS, "
			    "and errand sends nothing in clear text "
			    "(smtps:// for TLS from the start)",
			    s->host);
			smtp_quit(s);
			return;
		}
		smtp_set_state(s, SMTP_STATE_STARTTLS);
		smtp_send_line(s, "STARTTLS\r\n");
		return;
	}
	s->res.tls_version = conn_tls_version(s->conn);
	if (s->user != NULL) {
		smtp_set_state(s, SMTP_STATE_AUTH);
		if (smtp_auth(s, NULL) != 1)
			return;
	}
	smtp_envelope(s);
}

/* AUTH in one place, through net/sasl: start it (r NULL) or take a
 * reply. Returns 1 once logged in, 0 while the exchange goes on, -1 when
 * it failed (decided). The initial response goes with the command (RFC
 * 4954 4 allows AUTH lines of 12288 octets, room for any token); every
 * response is logged as <secret>. */
static int
smtp_auth(struct smtp *s, const struct smtp_reply *r)
{
	struct sasl_creds c = {0};
	unsigned char cb[CONN_CB_MAX];
	const char *pw, *type;
	enum sasl_mech mech;
	enum sasl_res res;
	char *why, *out, *line, *text;
	size_t n;
	int flags;

	if (r == NULL) {
		if (!(s->ext.ext & SMTP_EXT_AUTH)) {
			smtp_decide(s, SMTP_PERMFAIL, 0,
			    "cannot log in to %s as '%s': it offers no AUTH",
			    s->host, s->user);
			smtp_quit(s);
			return -1;
		}
		flags = s->auth_can != 0 ? s->auth_can : SASL_CAN_PASSWORD;
		if (conn_tls_version(s->conn) != NULL)
			flags |= SASL_TLS;
		if (conn_channel_binding(s->conn, &type, cb, &n) == 0)
			flags |= SASL_CB;
		OPENSSL_cleanse(cb, sizeof cb);
		if (sasl_choose((enum sasl_mech)s->auth, s->ext.sasl, flags,
		        &mech, &why) != 0) {
			smtp_decide(s, SMTP_PERMFAIL, 0,
			    "cannot log in to %s as '%s': %s", s->host, s->user,
			    why);
			free(why);
			smtp_quit(s);
			return -1;
		}
		pw = s->secret != NULL ? s->secret(s->secret_arg) : NULL;
		if (pw == NULL) {
			smtp_decide(s, SMTP_PERMFAIL, 0,
			    "cannot log in to %s as '%s': no %s", s->host,
			    s->user,
			    mech == SASL_XOAUTH2 || mech == SASL_OAUTHBEARER
			        ? "token"
			        : "password");
			smtp_quit(s);
			return -1;
		}
		c.user = s->user;
		c.secret = pw;
		c.host = s->host;
		c.port = s->port;
		if (conn_channel_binding(s->conn, &c.cb_type, cb, &c.cblen) ==
		    0)
			c.cb = cb;
		sasl_free(s->sasl);
		s->sasl = sasl_new(mech, &c, &why);
		OPENSSL_cleanse(cb, sizeof cb);
		if (s->sasl == NULL) {
			smtp_decide(s, SMTP_PERMFAIL, 0,
			    "cannot log in to %s as '%s': %s", s->host, s->user,
			    why);
			free(why);
			smtp_quit(s);
			return -1;
		}
		s->mech = sasl_mech_name(mech);
		s->res.mech = s->mech;
		if (!sasl_has_initial(s->sasl)) {
			smtp_send_line(s, "AUTH %s\r\n", s->mech);
			return 0;
		}
		if (sasl_step(s->sasl, NULL, &out) == SASL_FAIL)
			goto fail;
		xasprintf(
		    &line, "AUTH %s %s\r\n", s->mech, *out != '\0' ? out : "=");
		xasprintf(&text, "AUTH %s <secret>", s->mech);
		conn_write_secret(s->conn, line, strlen(line), text);
		free(text);
		sasl_wipe_free(line);
		sasl_wipe_free(out);
		return 0;
	}
	if (r->code == 334 && s->sasl != NULL) {
		res =
		    sasl_step(s->sasl, r->nlines > 0 ? r->lines[0] : "", &out);
		if (res == SASL_FAIL) {
			/* Cancel (RFC 4954 4); the 501 that follows ends it
			 * with the mechanism's reason. */
			smtp_send_line(s, "*\r\n");
			return 0;
		}
		if (out == NULL)
			out = xstrdup("");
		xasprintf(&line, "%s\r\n", out);
		conn_write_secret(s->conn, line, strlen(line), "<secret>");
		sasl_wipe_free(line);
		sasl_wipe_free(out);
		return 0;
	}
	if (r->code == 334) {
		smtp_send_line(s, "*\r\n");
		return 0;
	}
	if (SMTP_CLASS(r->code) == 2) {
		if (s->sasl != NULL && !sasl_complete(s->sasl)) {
			smtp_decide(s, SMTP_PERMFAIL, 0,
			    "cannot log in to %s: it accepted %s before "
			    "proving it knows the password: the server is not "
			    "trusted",
			    s->host, s->mech);
			smtp_quit(s);
			return -1;
		}
		sasl_free(s->sasl);
		s->sasl = NULL;
		return 1;
	}
	smtp_decide_reply(s, r, "");
	s->res.auth_refused = 1;
	free(s->res.text);
	text = smtp_reply_text(r);
	if (s->sasl != NULL && sasl_error(s->sasl) != NULL)
		xasprintf(&s->res.text, "cannot log in to %s as '%s': %s (%s)",
		    s->host, s->user, text, sasl_error(s->sasl));
	else
		xasprintf(&s->res.text, "cannot log in to %s as '%s': %s",
		    s->host, s->user, text);
	free(text);
	sasl_free(s->sasl);
	s->sasl = NULL;
	smtp_quit(s);
	return -1;
fail:
	smtp_decide(s, SMTP_PERMFAIL, 0, "cannot log in to %s as '%s': %s",
	    s->host, s->user,
	    sasl_error(s->sasl) != NULL ? sasl_error(s->sasl)
	                                : "the exchange failed");
	sasl_free(s->sasl);
	s->sasl = NULL;
	smtp_quit(s);
	return -1;
}

/* Logged in: QUIT for a check; else SIZE, SMTPUTF8, then MAIL, RCPT and
 * DATA, in one write with PIPELINING. */
static void
smtp_envelope(struct smtp *s)
{
	struct evbuffer *b;
	char *line;
	size_t i, len;

	if (s->check) {
		s->decided = 1;
		s->res.status = SMTP_OK;
		smtp_quit(s);
		return;
	}
	if (!s->scan_done) {
		plog_note(s->log, s->host,
		    "smtp: the envelope waits for the message's size");
		s->envelope_due = 1; /* smtp_scan_cb() calls again */
		return;
	}
	s->envelope_due = 0;
	if (s->ext.size != 0 && s->wire > s->ext.size) {
		smtp_decide(s, SMTP_PERMFAIL, 0,
		    "cannot send: the message of %llu bytes is larger than "
		    "the %llu bytes %s accepts",
		    (unsigned long long)s->wire,
		    (unsigned long long)s->ext.size, s->host);
		smtp_quit(s);
		return;
	}
	if (s->utf8 && !(s->ext.ext & SMTP_EXT_SMTPUTF8)) {
		smtp_decide(s, SMTP_PERMFAIL, 0,
		    "cannot send: an address is not ASCII and %s does not "
		    "offer SMTPUTF8",
		    s->host);
		smtp_quit(s);
		return;
	}
	smtp_set_state(s, SMTP_STATE_ENVELOPE);
	s->pipelined = (s->ext.ext & SMTP_EXT_PIPELINING) != 0;
	b = evbuffer_new();
	evbuffer_add_printf(b, "MAIL FROM:<%s>", s->from);
	if (s->ext.ext & SMTP_EXT_SIZE)
		evbuffer_add_printf(
		    b, " SIZE=%llu", (unsigned long long)s->wire);
	if (s->eightbit && (s->ext.ext & SMTP_EXT_8BITMIME))
		evbuffer_add_printf(b, " BODY=8BITMIME");
	if (s->utf8)
		evbuffer_add_printf(b, " SMTPUTF8");
	evbuffer_add(b, "\r\n", 2);
	s->nsent = 1;
	if (s->pipelined) {
		for (i = 0; i < s->nrcpt; i++)
			evbuffer_add_printf(b, "RCPT TO:<%s>\r\n", s->rcpts[i]);
		evbuffer_add_printf(b, "DATA\r\n");
		s->nsent += s->nrcpt + 1;
	}
	len = evbuffer_get_length(b);
	line = xmalloc(len);
	evbuffer_remove(b, line, len);
	evbuffer_free(b);
	conn_write(s->conn, line, len);
	free(line);
	smtp_wait(s, s->timeout);
}

/* Record a refused recipient. */
static void
smtp_refused(struct smtp *s, const char *rcpt, const struct smtp_reply *r)
{
	struct smtp_refusal *f;

	if (s->res.nrefused == s->caprefused) {
		s->caprefused = s->caprefused ? 2 * s->caprefused : 4;
		s->res.refused = xreallocarray(
		    s->res.refused, s->caprefused, sizeof *s->res.refused);
	}
	f = &s->res.refused[s->res.nrefused++];
	f->rcpt = xstrdup(rcpt);
	f->code = r->code;
	f->enhanced = r->enhanced[0] != '\0' ? xstrdup(r->enhanced) : NULL;
	f->text = text_clean_max(r->text, SMTP_MAX_TEXT);
	if (SMTP_CLASS(r->code) == 4)
		s->refuse_temp = 1;
	else
		s->refuse_perm = 1;
}

/* One reply to MAIL (index 0), a RCPT (1..n) or DATA (n + 1). Nothing
 * is sent unless every recipient was taken. */
static void
smtp_envelope_reply(struct smtp *s, const struct smtp_reply *r)
{
	size_t idx = s->nreplies++;
	int cls = SMTP_CLASS(r->code);
	size_t i;

	if (idx == 0) {
		if (cls != 2)
			smtp_decide_reply(s, r, "sender refused: ");
	} else if (idx <= s->nrcpt) {
		if (cls == 2)
			s->accepted++;
		else if (!s->decided)
			smtp_refused(s, s->rcpts[idx - 1], r);
		if (idx == s->nrcpt && !s->decided && s->res.nrefused != 0) {
			/* Decide on the refusals, naming them. */
			struct evbuffer *b = evbuffer_new();

			for (i = 0; i < s->res.nrefused; i++)
				evbuffer_add_printf(b, "%s'%s' (%d%s%s %s)",
				    i ? ", " : "", s->res.refused[i].rcpt,
				    s->res.refused[i].code,
				    s->res.refused[i].enhanced ? " " : "",
				    s->res.refused[i].enhanced
				        ? s->res.refused[i].enhanced
				        : "",
				    s->res.refused[i].text);
			evbuffer_add(b, "", 1);
			smtp_decide(s,
			    s->refuse_perm ? SMTP_PERMFAIL : SMTP_TEMPFAIL,
			    s->res.refused[0].code,
			    "cannot send: %s refused %s%s", s->host,
			    s->res.nrefused == 1 ? "recipient " : "recipients ",
			    (const char *)evbuffer_pullup(b, -1));
			if (s->res.refused[0].enhanced != NULL)
				s->res.enhanced =
				    xstrdup(s->res.refused[0].enhanced);
			evbuffer_free(b);
		}
	} else {
		/* DATA. */
		if (r->code == 354 && s->decided) {
			/* A pipelined DATA went through though the
			 * envelope failed: close without the message, so
			 * nothing is delivered (RFC 5321 3.3). */
			smtp_finish(s);
			return;
		}
		if (r->code == 354) {
			smtp_set_state(s, SMTP_STATE_BODY);
			smtp_stuff_init(&s->st);
			s->off = 0;
			conn_set_drain(s->conn, SMTP_DRAIN_LOW, smtp_drain_cb);
			plog_note(s->log, s->host,
			    "smtp: sending the message (%llu bytes)",
			    (unsigned long long)s->wire);
			smtp_body(s);
			return;
		}
		if (!s->decided)
			smtp_decide_reply(s, r, "");
		smtp_set_state(s, SMTP_STATE_RSET);
		smtp_send_line(s, "RSET\r\n");
		return;
	}
	if (s->pipelined) {
		if (s->nreplies < s->nsent)
			return; /* more replies to come */
		/* all read: only DATA's reply decides, handled above */
		return;
	}
	/* One at a time: the next command, or stop. */
	if (s->decided) {
		smtp_set_state(s, SMTP_STATE_RSET);
		smtp_send_line(s, "RSET\r\n");
		return;
	}
	if (s->nsent <= s->nrcpt) {
		smtp_send_line(s, "RCPT TO:<%s>\r\n", s->rcpts[s->nsent - 1]);
		s->nsent++;
	} else {
		smtp_send_line(s, "DATA\r\n");
		s->nsent++;
	}
}

/* --- the end ----------------------------------------------------------- */

/* "550 5.7.1 relaying denied", cleaned; the caller frees it. */
static char *
smtp_reply_text(const struct smtp_reply *r)
{
	char *clean, *out;

	clean = text_clean_max(r->text, SMTP_MAX_TEXT);
	xasprintf(&out, "%d%s%s%s%s", r->code, r->enhanced[0] ? " " : "",
	    r->enhanced, clean[0] ? " " : "", clean);
	free(clean);
	return out;
}

/* The outcome is a reply: its class decides. */
static void
smtp_decide_reply(
    struct smtp *s, const struct smtp_reply *r, const char *prefix)
{
	char *t = smtp_reply_text(r);

	smtp_decide(s, SMTP_CLASS(r->code) == 5 ? SMTP_PERMFAIL : SMTP_TEMPFAIL,
	    r->code, "%s%s", prefix, t);
	if (r->enhanced[0] != '\0')
		s->res.enhanced = xstrdup(r->enhanced);
	free(t);
}

/* Keep the first outcome; later failures (QUIT's) do not change it. */
static void
smtp_decide(struct smtp *s, enum smtp_status st, int code, const char *fmt, ...)
{
	va_list ap;
	char *t;

	if (s->decided)
		return;
	s->decided = 1;
	s->res.status = st;
	s->res.code = code;
	va_start(ap, fmt);
	xvasprintf(&t, fmt, ap);
	va_end(ap);
	s->res.text = text_clean_line(t);
	free(t);
	plog_note(s->log, s->host, "smtp: %s", s->res.text);
}

/* Say goodbye; done runs on its answer, the close, or a short timeout. */
static void
smtp_quit(struct smtp *s)
{
	if (s->conn == NULL || s->state == SMTP_STATE_CONNECTING) {
		smtp_finish(s);
		return;
	}
	smtp_set_state(s, SMTP_STATE_QUIT);
	conn_set_drain(s->conn, 0, NULL);
	smtp_send_line(s, "QUIT\r\n");
	smtp_wait(
	    s, s->timeout < SMTP_QUIT_TIMEOUT ? s->timeout : SMTP_QUIT_TIMEOUT);
}

/* Close and run done from the loop. */
static void
smtp_finish(struct smtp *s)
{
	struct timeval tv = {0, 0};

	if (s->state == SMTP_STATE_DONE)
		return;
	if (!s->decided)
		smtp_decide(s, SMTP_TEMPFAIL, 0, "cannot send via %s: %s",
		    s->host, "the session ended early");
	if (s->res.status == SMTP_OK) {
		free(s->res.text);
		s->res.text = NULL;
	}
	if (s->conn != NULL && s->res.tls_version == NULL &&
	    conn_tls_version(s->conn) != NULL)
		s->res.tls_version = conn_tls_version(s->conn);
	smtp_set_state(s, SMTP_STATE_DONE);
	conn_free(s->conn);
	s->conn = NULL;
	evtimer_del(s->timer);
	if (s->scan_ev != NULL)
		event_del(s->scan_ev);
	evtimer_add(s->deferred, &tv);
}

static void
smtp_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp *s = arg;

	(void)fd;
	(void)what;
	if (s->done != NULL)
		s->done(&s->res, s->arg);
	smtp_cancel(s);
}

/* --- small helpers ----------------------------------------------------- */

/* 1 when an address cannot go in MAIL or RCPT: a control byte, a space
 * or an angle bracket, or too long; *nonascii set when it has 8-bit
 * bytes. */
static int
smtp_addr_bad(const char *a, int *nonascii)
{
	const unsigned char *p;

	if (strlen(a) > SMTP_MAX_ADDR)
		return 1;
	for (p = (const unsigned char *)a; *p != '\0'; p++) {
		if (*p < 0x21 || *p == 0x7f || *p == '<' || *p == '>')
			return 1;
		if (*p > 127)
			*nonascii = 1;
	}
	return 0;
}
