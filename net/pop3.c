/* errand: a terminal mail user agent. See LICENSE.
 * The POP3 session: one state machine over net/conn and the push parser.
 * Operations queue up and run in order, one at a time, or back to back
 * when the server offers PIPELINING, the first of them behind the login
 * command; QUIT waits for the pipe to drain.
 * RFC 1939, RFC 2449, RFC 2595, RFC 3206, RFC 5034, RFC 4616. */

#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "content/text.h"
#include "xmalloc.h"
#include "conn.h"
#include "plog.h"
#include "pop3-parse.h"
#include "pop3.h"

#define POP3_MAX_TEXT 200      /* server text quoted in a message */
#define POP3_MAX_LOG 4096      /* bytes of one message body in the plog */
#define POP3_MAX_CAPS 4096     /* bytes of the CAPA string kept */
#define POP3_MAX_STAMP 256     /* bytes of an APOP timestamp */
#define POP3_MAX_PIPELINE 16   /* commands in flight by default */
#define POP3_MAX_AUTH_LINE 255 /* RFC 5034 4: AUTH with its response */

static const char *pop3_state_names[] = {
    "new",
    "connecting",
    "greeting",
    "capa",
    "stls",
    "handshake",
    "auth",
    "user",
    "pass",
    "transaction",
    "quit",
    "closed",
};

enum pop3_op_kind {
	POP3_OP_CONNECT,
	POP3_OP_STAT,
	POP3_OP_LIST,
	POP3_OP_UIDL,
	POP3_OP_RETR,
	POP3_OP_TOP,
	POP3_OP_DELE,
	POP3_OP_RSET,
	POP3_OP_NOOP,
	POP3_OP_QUIT,
};

/* One operation the caller asked for. */
struct pop3_op {
	TAILQ_ENTRY(pop3_op) entry;
	enum pop3_op_kind kind;
	uint32_t n;     /* message number, 0 for all */
	uint32_t lines; /* TOP */
	int started;    /* its command is on the wire */
	pop3_done_cb done;
	pop3_data_cb data;
	void *arg;
	struct pop3_result res;
	char *error;
	struct pop3_msginfo *msgs; /* LIST, UIDL; uidl strings owned */
	size_t nmsgs, capmsgs;
	size_t logged; /* body bytes in the log */
	uint64_t body; /* body bytes received */
};

TAILQ_HEAD(pop3_ops, pop3_op);

struct pop3 {
	struct event_base *base;
	struct conn *conn;
	struct plog *log;
	struct pop3_parser *parser;
	struct event *deferred; /* runs failed operations' callbacks */
	char *host;
	char *user;
	sasl_secret_cb secret; /* asked for at login, never kept */
	void *secret_arg;
	enum sasl_mech auth;       /* the account's wish */
	int auth_can;              /* SASL_CAN_* */
	unsigned int sasl_offered; /* SASL_BIT()s of CAPA's SASL list */
	struct sasl *sasl;         /* the AUTH exchange under way */
	char *auth_ir;             /* its initial response, held for the "+" */
	const char *mech_used;     /* after login: its name (static) */
	int port;
	int starttls;
	unsigned int ignore_caps;
	int no_sasl;
	int early_ready;
	size_t max_pipeline;

	enum pop3_state state;
	unsigned int caps;
	int caps_known;
	char *capstr;
	char *stamp;    /* APOP timestamp */
	int tls_done;   /* STLS finished */
	int login_pipe; /* the last login line sent, PIPELINING offered */
	enum conn_fail conn_fail;
	struct evbuffer *logbuf; /* start of a body, for the log */

	struct pop3_ops ops;
	int busy;
	int dead;
};

static void pop3_destroy(struct pop3 *);
static void pop3_set_state(struct pop3 *, enum pop3_state);
static void pop3_conn_cb(struct conn *, enum conn_event, void *);
static void pop3_read(struct pop3 *);
static void pop3_deferred_cb(evutil_socket_t, short, void *);
static void pop3_event(struct pop3 *, const struct pop3_event *);
static void pop3_greeting(struct pop3 *, const struct pop3_event *);
static void pop3_capa(struct pop3 *, const struct pop3_event *);
static void pop3_login_reply(struct pop3 *, const struct pop3_event *);
static void pop3_op_reply(struct pop3 *, const struct pop3_event *);
static void pop3_failf(struct pop3 *, enum pop3_err, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void pop3_vfail(struct pop3 *, enum pop3_err, enum pop3_code,
    const char *, va_list) __attribute__((format(printf, 4, 0)));
static void pop3_fail_code(struct pop3 *, enum pop3_err, enum pop3_code,
    const char *, ...) __attribute__((format(printf, 4, 5)));
static struct pop3_op *pop3_op_new(
    struct pop3 *, enum pop3_op_kind, uint32_t, pop3_done_cb, void *);
static void pop3_op_fail(struct pop3 *, struct pop3_op *, enum pop3_err,
    enum pop3_code, const char *, ...) __attribute__((format(printf, 5, 6)));
static void pop3_op_finish(struct pop3 *, struct pop3_op *);
static void pop3_op_free(struct pop3_op *);
static void pop3_run(struct pop3 *);
static int pop3_op_start(struct pop3 *, struct pop3_op *);
static void pop3_send(struct pop3 *, enum pop3_expect, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void pop3_send_secret(struct pop3 *, enum pop3_expect, const char *,
    const char *, ...) __attribute__((format(printf, 4, 5)));
static void pop3_expect_reply(struct pop3 *);
static void pop3_after_caps(struct pop3 *);
static void pop3_authenticate(struct pop3 *);
static void pop3_login_sent(struct pop3 *);
static void pop3_ready(struct pop3 *);
static void pop3_caps_add(struct pop3 *, const char *);
static char *pop3_reply_text(const struct pop3_event *);
static char *pop3_text(const char *);
static int pop3_number(const char **, uint64_t *);
static int pop3_msginfo(struct pop3_op *, const char *);
static const char *pop3_op_what(const struct pop3_op *, char *, size_t);
static void pop3_log_body(struct pop3 *, struct pop3_op *);

struct pop3 *
pop3_new(struct event_base *base, struct evdns_base *dns,
    const struct pop3_params *p)
{
	struct pop3 *pp;

	pp = xcalloc(1, sizeof *pp);
	pp->base = base;
	pp->log = p->conn.log;
	pp->host = xstrdup(p->conn.host);
	pp->user = xstrdup(p->user != NULL ? p->user : "");
	pp->secret = p->secret;
	pp->secret_arg = p->secret_arg;
	pp->auth = p->auth;
	pp->auth_can = p->auth_can != 0 ? p->auth_can : SASL_CAN_PASSWORD;
	pp->port = p->conn.port;
	pp->starttls = p->starttls;
	pp->ignore_caps = p->ignore_caps;
	pp->no_sasl = p->no_sasl;
	pp->early_ready = p->early_ready;
	pp->max_pipeline =
	    p->max_pipeline > 0 ? p->max_pipeline : POP3_MAX_PIPELINE;
	pp->parser = pop3_parser_new(&p->limits);
	pp->capstr = xstrdup("");
	pp->logbuf = evbuffer_new();
	pp->deferred = event_new(base, -1, 0, pop3_deferred_cb, pp);
	if (pp->logbuf == NULL || pp->deferred == NULL)
		fatalx("%s: out of memory", __func__);
	TAILQ_INIT(&pp->ops);
	pp->conn = conn_new(base, dns, &p->conn, pop3_conn_cb, pp);
	return pp;
}

void
pop3_free(struct pop3 *p)
{
	if (p == NULL)
		return;
	if (p->busy) {
		p->dead = 1;
		conn_free(p->conn); /* no more conn callbacks */
		p->conn = NULL;
		return;
	}
	pop3_destroy(p);
}

static void
pop3_destroy(struct pop3 *p)
{
	struct pop3_op *op;

	while ((op = TAILQ_FIRST(&p->ops)) != NULL) {
		TAILQ_REMOVE(&p->ops, op, entry);
		pop3_op_free(op);
	}
	conn_free(p->conn);
	pop3_parser_free(p->parser);
	event_free(p->deferred);
	evbuffer_free(p->logbuf);
	sasl_free(p->sasl);
	sasl_wipe_free(p->auth_ir);
	free(p->host);
	free(p->user);
	free(p->capstr);
	free(p->stamp);
	free(p);
}

void
pop3_connect(struct pop3 *p, pop3_done_cb done, void *arg)
{
	struct pop3_op *op;

	if (p->state != POP3_STATE_NEW)
		fatalx(
		    "%s: bad state %s", __func__, pop3_state_names[p->state]);
	op = xcalloc(1, sizeof *op);
	op->kind = POP3_OP_CONNECT;
	op->done = done;
	op->arg = arg;
	op->started = 1;
	TAILQ_INSERT_HEAD(&p->ops, op, entry);
	pop3_set_state(p, POP3_STATE_CONNECTING);
	pop3_parser_expect(p->parser, POP3_EXPECT_LINE); /* the greeting */
	conn_expect_reply(p->conn, 1);
	conn_connect(p->conn);
}

void
pop3_stat(struct pop3 *p, pop3_done_cb done, void *arg)
{
	pop3_op_new(p, POP3_OP_STAT, 0, done, arg);
}

void
pop3_list(struct pop3 *p, uint32_t n, pop3_done_cb done, void *arg)
{
	pop3_op_new(p, POP3_OP_LIST, n, done, arg);
}

void
pop3_uidl(struct pop3 *p, uint32_t n, pop3_done_cb done, void *arg)
{
	pop3_op_new(p, POP3_OP_UIDL, n, done, arg);
}

void
pop3_retr(
    struct pop3 *p, uint32_t n, pop3_data_cb data, pop3_done_cb done, void *arg)
{
	struct pop3_op *op = pop3_op_new(p, POP3_OP_RETR, n, done, arg);

	op->data = data;
}

void
pop3_top(struct pop3 *p, uint32_t n, uint32_t lines, pop3_data_cb data,
    pop3_done_cb done, void *arg)
{
	struct pop3_op *op = pop3_op_new(p, POP3_OP_TOP, n, done, arg);

	op->data = data;
	op->lines = lines;
}

void
pop3_dele(struct pop3 *p, uint32_t n, pop3_done_cb done, void *arg)
{
	pop3_op_new(p, POP3_OP_DELE, n, done, arg);
}

void
pop3_rset(struct pop3 *p, pop3_done_cb done, void *arg)
{
	pop3_op_new(p, POP3_OP_RSET, 0, done, arg);
}

void
pop3_noop(struct pop3 *p, pop3_done_cb done, void *arg)
{
	pop3_op_new(p, POP3_OP_NOOP, 0, done, arg);
}

void
pop3_quit(struct pop3 *p, pop3_done_cb done, void *arg)
{
	pop3_op_new(p, POP3_OP_QUIT, 0, done, arg);
}

enum pop3_state
pop3_state(const struct pop3 *p)
{
	return p->state;
}

unsigned int
pop3_caps(const struct pop3 *p)
{
	return p->caps;
}

int
pop3_caps_known(const struct pop3 *p)
{
	return p->caps_known;
}

const char *
pop3_capa_string(const struct pop3 *p)
{
	return p->capstr;
}

const char *
pop3_apop_timestamp(const struct pop3 *p)
{
	return p->stamp;
}

enum conn_fail
pop3_conn_fail(const struct pop3 *p)
{
	return p->conn_fail;
}

const char *
pop3_auth_mech(const struct pop3 *p)
{
	return p->mech_used;
}

const char *
pop3_tls_version(const struct pop3 *p)
{
	return p->conn != NULL ? conn_tls_version(p->conn) : NULL;
}

static void
pop3_set_state(struct pop3 *p, enum pop3_state s)
{
	if (p->state != s)
		plog_note(p->log, p->host, "pop3: %s -> %s",
		    pop3_state_names[p->state], pop3_state_names[s]);
	p->state = s;
}

/* --- operations --------------------------------------------------------- */

/* Queue an operation; on a closed session it fails from the loop. */
static struct pop3_op *
pop3_op_new(struct pop3 *p, enum pop3_op_kind kind, uint32_t n,
    pop3_done_cb done, void *arg)
{
	struct pop3_op *op = xcalloc(1, sizeof *op);

	op->kind = kind;
	op->n = n;
	op->done = done;
	op->arg = arg;
	TAILQ_INSERT_TAIL(&p->ops, op, entry);
	if (p->state == POP3_STATE_CLOSED || p->state == POP3_STATE_QUIT ||
	    p->dead)
		pop3_op_fail(p, op, POP3_ERR_CLOSED, POP3_CODE_NONE,
		    "the session with %s is over", p->host);
	/* Started from the loop, so no callback runs inside this call. */
	event_active(p->deferred, 0, 0);
	return op;
}

/* Send what may be sent: in order, one at a time, or up to max_pipeline
 * with PIPELINING; QUIT only once the pipe is empty. An operation that
 * fails without the wire waits to reach the head, to keep the order. */
static void
pop3_run(struct pop3 *p)
{
	struct pop3_op *op;
	size_t active = 0;

	TAILQ_FOREACH(op, &p->ops, entry)
	{
		if (p->dead || p->conn == NULL)
			return;
		if (op->started) {
			if (op->kind == POP3_OP_QUIT ||
			    op->kind == POP3_OP_CONNECT)
				return;
			active++;
			continue;
		}
		if (op->res.err != POP3_ERR_NONE) {
			if (op == TAILQ_FIRST(&p->ops))
				event_active(p->deferred, 0, 0);
			return;
		}
		if (p->state != POP3_STATE_TRANSACTION && !p->login_pipe)
			return;
		/* A login in flight counts as a command awaiting its reply. */
		if ((active > 0 || p->state != POP3_STATE_TRANSACTION) &&
		    (!(p->caps & POP3_CAP_PIPELINING) ||
		        active >= p->max_pipeline || op->kind == POP3_OP_QUIT))
			return;
		if (pop3_op_start(p, op) == -1) {
			if (op == TAILQ_FIRST(&p->ops))
				event_active(p->deferred, 0, 0);
			return;
		}
		if (op->kind == POP3_OP_QUIT)
			return;
		active++;
	}
}

/* Put the operation's command on the wire: 0, or -1 when it failed at
 * once (the server cannot do it). */
static int
pop3_op_start(struct pop3 *p, struct pop3_op *op)
{
	const char *need = NULL;
	char what[64];

	if (op->kind == POP3_OP_UIDL && p->caps_known &&
	    !(p->caps & POP3_CAP_UIDL))
		need = "UIDL";
	if (op->kind == POP3_OP_TOP && p->caps_known &&
	    !(p->caps & POP3_CAP_TOP))
		need = "TOP";
	if (need != NULL) {
		pop3_op_fail(p, op, POP3_ERR_ERR, POP3_CODE_NONE,
		    "cannot %s: %s does not support %s",
		    pop3_op_what(op, what, sizeof what), p->host, need);
		return -1;
	}
	op->started = 1;
	switch (op->kind) {
	case POP3_OP_STAT:
		pop3_send(p, POP3_EXPECT_LINE, "STAT");
		break;
	case POP3_OP_LIST:
	case POP3_OP_UIDL:
		if (op->n > 0)
			pop3_send(p, POP3_EXPECT_LINE, "%s %u",
			    op->kind == POP3_OP_LIST ? "LIST" : "UIDL", op->n);
		else
			pop3_send(p, POP3_EXPECT_LISTING, "%s",
			    op->kind == POP3_OP_LIST ? "LIST" : "UIDL");
		break;
	case POP3_OP_RETR:
		pop3_send(p, POP3_EXPECT_BODY, "RETR %u", op->n);
		break;
	case POP3_OP_TOP:
		pop3_send(p, POP3_EXPECT_BODY, "TOP %u %u", op->n, op->lines);
		break;
	case POP3_OP_DELE:
		pop3_send(p, POP3_EXPECT_LINE, "DELE %u", op->n);
		break;
	case POP3_OP_RSET:
		pop3_send(p, POP3_EXPECT_LINE, "RSET");
		break;
	case POP3_OP_NOOP:
		pop3_send(p, POP3_EXPECT_LINE, "NOOP");
		break;
	case POP3_OP_QUIT:
		pop3_set_state(p, POP3_STATE_QUIT);
		pop3_send(p, POP3_EXPECT_LINE, "QUIT");
		break;
	case POP3_OP_CONNECT:
		fatalx("%s: connect is not queued", __func__);
	}
	return 0;
}

/* What an operation does, for "cannot ..." messages. */
static const char *
pop3_op_what(const struct pop3_op *op, char *buf, size_t size)
{
	switch (op->kind) {
	case POP3_OP_CONNECT:
		snprintf(buf, size, "log in");
		break;
	case POP3_OP_STAT:
		snprintf(buf, size, "count messages");
		break;
	case POP3_OP_LIST:
		if (op->n > 0)
			snprintf(buf, size, "list message %u", op->n);
		else
			snprintf(buf, size, "list messages");
		break;
	case POP3_OP_UIDL:
		if (op->n > 0)
			snprintf(buf, size, "get the unique id of message %u",
			    op->n);
		else
			snprintf(buf, size, "list unique ids");
		break;
	case POP3_OP_RETR:
		snprintf(buf, size, "retrieve message %u", op->n);
		break;
	case POP3_OP_TOP:
		snprintf(buf, size, "retrieve the header of message %u", op->n);
		break;
	case POP3_OP_DELE:
		snprintf(buf, size, "delete message %u", op->n);
		break;
	case POP3_OP_RSET:
		snprintf(buf, size, "undo deletions");
		break;
	case POP3_OP_NOOP:
		snprintf(buf, size, "keep the session alive");
		break;
	case POP3_OP_QUIT:
		snprintf(buf, size, "quit");
		break;
	}
	return buf;
}

/* Record the first failure of an operation; it is also the session's
 * last error. */
static void
pop3_op_fail(struct pop3 *p, struct pop3_op *op, enum pop3_err err,
    enum pop3_code code, const char *fmt, ...)
{
	va_list ap;

	if (op->res.err != POP3_ERR_NONE)
		return;
	op->res.err = err;
	op->res.code = code;
	va_start(ap, fmt);
	xvasprintf(&op->error, fmt, ap);
	va_end(ap);
	op->res.error = op->error;
	plog_note(p->log, p->host, "pop3: %s", op->error);
}

/* Remove the operation, run its callback, free it. */
static void
pop3_op_finish(struct pop3 *p, struct pop3_op *op)
{
	TAILQ_REMOVE(&p->ops, op, entry);
	if (!p->dead && op->done != NULL) {
		if (op->res.err == POP3_ERR_NONE) {
			op->res.msgs = op->msgs;
			op->res.nmsgs = op->nmsgs;
		} else {
			op->res.msgs = NULL;
			op->res.nmsgs = 0;
		}
		p->busy++;
		op->done(p, &op->res, op->arg);
		p->busy--;
	}
	pop3_op_free(op);
}

static void
pop3_op_free(struct pop3_op *op)
{
	size_t i;

	for (i = 0; i < op->nmsgs; i++)
		free((char *)op->msgs[i].uidl);
	free(op->msgs);
	free(op->error);
	free(op);
}

/* Operations that failed without reaching the wire, and queued work. */
static void
pop3_deferred_cb(evutil_socket_t fd, short events, void *arg)
{
	struct pop3 *p = arg;
	struct pop3_op *op;

	p->busy++;
	while (!p->dead && (op = TAILQ_FIRST(&p->ops)) != NULL &&
	    !op->started && op->res.err != POP3_ERR_NONE)
		pop3_op_finish(p, op);
	if (!p->dead && p->state != POP3_STATE_CLOSED)
		pop3_run(p);
	/* A session that ended: whatever is queued fails in order. */
	while (!p->dead && p->state == POP3_STATE_CLOSED &&
	    (op = TAILQ_FIRST(&p->ops)) != NULL) {
		pop3_op_fail(p, op, POP3_ERR_CLOSED, POP3_CODE_NONE,
		    "the session with %s is over", p->host);
		pop3_op_finish(p, op);
	}
	p->busy--;
	if (p->dead && p->busy == 0)
		pop3_destroy(p);
}

/* End the session: every operation fails, in order. */
static void
pop3_failf(struct pop3 *p, enum pop3_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pop3_vfail(p, err, POP3_CODE_NONE, fmt, ap);
	va_end(ap);
}

/* The same, for a -ERR that ends the session (a refused login). */
static void
pop3_fail_code(struct pop3 *p, enum pop3_err err, enum pop3_code code,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pop3_vfail(p, err, code, fmt, ap);
	va_end(ap);
}

static void
pop3_vfail(struct pop3 *p, enum pop3_err err, enum pop3_code code,
    const char *fmt, va_list ap)
{
	struct pop3_op *op;
	char *msg;

	if (p->state == POP3_STATE_CLOSED)
		return;
	xvasprintf(&msg, fmt, ap);
	plog_note(p->log, p->host, "pop3: session failed: %s", msg);
	pop3_set_state(p, POP3_STATE_CLOSED);
	if (p->conn != NULL && conn_fail(p->conn) != CONN_FAIL_NONE)
		p->conn_fail = conn_fail(p->conn);
	conn_free(p->conn);
	p->conn = NULL;

	p->busy++;
	while ((op = TAILQ_FIRST(&p->ops)) != NULL && !p->dead) {
		if (op->res.err == POP3_ERR_NONE) {
			op->res.err = op->started ? err : POP3_ERR_CLOSED;
			op->res.code = op->started ? code : POP3_CODE_NONE;
			op->error = xstrdup(msg);
			op->res.error = op->error;
		}
		pop3_op_finish(p, op);
	}
	p->busy--;
	free(msg);
}

/* --- commands ----------------------------------------------------------- */

/* Send one command line; the parser learns what its reply will be. */
static void
pop3_send(struct pop3 *p, enum pop3_expect e, const char *fmt, ...)
{
	va_list ap;
	char *s, *line;
	int n;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	n = xasprintf(&line, "%s\r\n", s);
	conn_write(p->conn, line, (size_t)n);
	pop3_parser_expect(p->parser, e);
	pop3_expect_reply(p);
	free(line);
	free(s);
}

/* Send a command holding a secret; the log shows logtext instead. */
static void
pop3_send_secret(struct pop3 *p, enum pop3_expect e, const char *logtext,
    const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	conn_write_secret(p->conn, s, (size_t)n, logtext);
	pop3_parser_expect(p->parser, e);
	pop3_expect_reply(p);
	OPENSSL_cleanse(s, (size_t)n);
	free(s);
}

/* The idle timeout runs while a reply is awaited. */
static void
pop3_expect_reply(struct pop3 *p)
{
	if (p->conn != NULL && p->state != POP3_STATE_HANDSHAKE)
		conn_expect_reply(p->conn, pop3_parser_queued(p->parser) > 0);
}

/* --- connect sequence --------------------------------------------------- */

static void
pop3_greeting(struct pop3 *p, const struct pop3_event *ev)
{
	const char *lt, *gt;
	char *text;

	if (ev->type != POP3_EV_STATUS || !ev->ok) {
		text = pop3_reply_text(ev);
		pop3_failf(p, POP3_ERR_PROTO, "%s refused the connection: %s",
		    p->host, text);
		free(text);
		return;
	}
	/* RFC 1939 7: an APOP timestamp is a msg-id in the greeting. */
	if ((lt = strchr(ev->text, '<')) != NULL &&
	    (gt = strchr(lt, '>')) != NULL && gt - lt < POP3_MAX_STAMP &&
	    memchr(lt, '@', (size_t)(gt - lt)) != NULL) {
		free(p->stamp);
		p->stamp = xstrndup(lt, (size_t)(gt - lt) + 1);
	}
	pop3_set_state(p, POP3_STATE_CAPA);
	pop3_send(p, POP3_EXPECT_LISTING, "CAPA");
}

static void
pop3_capa(struct pop3 *p, const struct pop3_event *ev)
{
	switch (ev->type) {
	case POP3_EV_STATUS:
		p->caps = 0;
		if (!ev->ok) /* no CAPA (RFC 1939 only): no STLS either */
			pop3_after_caps(p);
		break;
	case POP3_EV_LINE:
		pop3_caps_add(p, ev->text);
		break;
	case POP3_EV_END:
		p->caps &= ~p->ignore_caps;
		p->caps_known = 1;
		pop3_after_caps(p);
		break;
	default:
		pop3_failf(p, POP3_ERR_PROTO,
		    "protocol error from %s: unexpected reply to CAPA",
		    p->host);
		break;
	}
}

/* One CAPA line: its name sets a bit, the line joins the string. */
static void
pop3_caps_add(struct pop3 *p, const char *line)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} known[] = {
	    {"STLS", POP3_CAP_STLS},
	    {"USER", POP3_CAP_USER},
	    {"TOP", POP3_CAP_TOP},
	    {"UIDL", POP3_CAP_UIDL},
	    {"PIPELINING", POP3_CAP_PIPELINING},
	    {"RESP-CODES", POP3_CAP_RESP_CODES},
	    {"AUTH-RESP-CODE", POP3_CAP_AUTH_RESP_CODE},
	};
	size_t i, n, old;
	const char *s;
	char *caps;
	int m;

	n = strcspn(line, " ");
	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (strlen(known[i].name) == n &&
		    strncasecmp(line, known[i].name, n) == 0)
			p->caps |= known[i].bit;
	}
	if (n == 4 && strncasecmp(line, "SASL", 4) == 0) {
		for (s = line + n; *s != '\0';) {
			while (*s == ' ')
				s++;
			n = strcspn(s, " ");
			if (n == 5 && strncasecmp(s, "PLAIN", 5) == 0)
				p->caps |= POP3_CAP_SASL_PLAIN;
			if ((m = sasl_mech_from_name(s, n)) > 0)
				p->sasl_offered |= SASL_BIT(m);
			s += n;
		}
	}
	old = strlen(p->capstr);
	n = strlen(line);
	if (old + n + 2 > POP3_MAX_CAPS)
		return;
	caps = xmalloc(old + n + 2);
	memcpy(caps, p->capstr, old);
	if (old > 0)
		caps[old++] = ' ';
	memcpy(caps + old, line, n + 1);
	free(p->capstr);
	p->capstr = caps;
}

/* The capabilities are known (or CAPA was refused): upgrade or log in. */
static void
pop3_after_caps(struct pop3 *p)
{
	if (p->starttls && !p->tls_done) {
		if (!(p->caps & POP3_CAP_STLS)) {
			pop3_failf(p, POP3_ERR_PROTO,
			    "%s does not offer STLS; not sending the password "
			    "over an unencrypted connection",
			    p->host);
			return;
		}
		pop3_set_state(p, POP3_STATE_STLS);
		pop3_send(p, POP3_EXPECT_LINE, "STLS");
		return;
	}
	pop3_authenticate(p);
}

/* AUTH (RFC 5034) with the mechanism net/sasl picks from CAPA's SASL
 * list, its initial response in the command unless the line would pass
 * 255 octets (then after the "+"); USER and PASS only where no SASL is
 * offered and auth is auto or plain, over TLS. The secret is asked for
 * now and not kept. */
static void
pop3_authenticate(struct pop3 *p)
{
	struct sasl_creds c = {0};
	unsigned char cb[CONN_CB_MAX];
	const char *secret, *type;
	enum sasl_mech mech;
	unsigned int flags = (unsigned int)p->auth_can;
	char *why, *ir;
	size_t n;

	sasl_free(p->sasl);
	p->sasl = NULL;
	sasl_wipe_free(p->auth_ir);
	p->auth_ir = NULL;
	secret = p->secret != NULL ? p->secret(p->secret_arg) : NULL;
	if (secret == NULL) {
		pop3_failf(p, POP3_ERR_AUTH, "no password for %s", p->host);
		return;
	}
	if (conn_tls_version(p->conn) != NULL)
		flags |= SASL_TLS;
	if (conn_channel_binding(p->conn, &type, cb, &n) == 0)
		flags |= SASL_CB;
	if (p->ignore_caps & POP3_CAP_SASL_PLAIN)
		p->sasl_offered &= ~SASL_BIT(SASL_PLAIN);
	if (p->no_sasl ||
	    (p->sasl_offered == 0 &&
	        (p->auth == SASL_AUTO || p->auth == SASL_PLAIN) &&
	        (flags & SASL_CAN_PASSWORD))) {
		if (!(flags & SASL_TLS)) {
			pop3_failf(p, POP3_ERR_PROTO,
			    "cannot log in to %s: not sending the password "
			    "over an unencrypted connection",
			    p->host);
			return;
		}
		/* A line break would end the command and start another. */
		if (strpbrk(p->user, "\r\n") != NULL ||
		    strpbrk(secret, "\r\n") != NULL) {
			pop3_failf(p, POP3_ERR_AUTH,
			    "the user name or password for %s holds a line "
			    "break",
			    p->host);
			return;
		}
		pop3_set_state(p, POP3_STATE_USER);
		pop3_send(p, POP3_EXPECT_LINE, "USER %s", p->user);
		return;
	}
	if (sasl_choose(p->auth, p->sasl_offered, (int)flags, &mech, &why) !=
	    0) {
		pop3_failf(
		    p, POP3_ERR_PROTO, "cannot log in to %s: %s", p->host, why);
		free(why);
		return;
	}
	c.user = p->user;
	c.secret = secret;
	c.host = p->host;
	c.port = p->port;
	if (conn_channel_binding(p->conn, &c.cb_type, cb, &c.cblen) == 0)
		c.cb = cb;
	p->sasl = sasl_new(mech, &c, &why);
	OPENSSL_cleanse(cb, sizeof cb);
	if (p->sasl == NULL) {
		pop3_failf(
		    p, POP3_ERR_PROTO, "cannot log in to %s: %s", p->host, why);
		free(why);
		return;
	}
	pop3_set_state(p, POP3_STATE_AUTH);
	ir = NULL;
	if (sasl_has_initial(p->sasl) &&
	    sasl_step(p->sasl, NULL, &ir) == SASL_FAIL) {
		pop3_failf(p, POP3_ERR_PROTO, "cannot log in to %s: %s",
		    p->host, sasl_error(p->sasl));
		return;
	}
	if (ir != NULL &&
	    strlen(ir) + strlen(sasl_mech_name(mech)) + 8 <=
	        POP3_MAX_AUTH_LINE) {
		xasprintf(&why, "AUTH %s <secret>", sasl_mech_name(mech));
		pop3_send_secret(p, POP3_EXPECT_SASL, why, "AUTH %s %s\r\n",
		    sasl_mech_name(mech), *ir != '\0' ? ir : "=");
		free(why);
		sasl_wipe_free(ir);
		/* PLAIN is one line: what follows may be pipelined. */
		if (mech == SASL_PLAIN)
			pop3_login_sent(p);
		return;
	}
	/* None (LOGIN), or too long for the line: after the "+". */
	p->auth_ir = ir;
	pop3_send(p, POP3_EXPECT_SASL, "AUTH %s", sasl_mech_name(mech));
}

/* A "+" during AUTH: the mechanism's answer, logged as a secret. */
static void
pop3_sasl_continue(struct pop3 *p, const char *challenge)
{
	char *out, *line;
	int n;

	if (p->state != POP3_STATE_AUTH || p->sasl == NULL) {
		pop3_failf(p, POP3_ERR_PROTO,
		    "protocol error from %s: unexpected SASL challenge",
		    p->host);
		return;
	}
	if (p->auth_ir != NULL) {
		out = p->auth_ir;
		p->auth_ir = NULL;
	} else if (sasl_step(p->sasl, challenge, &out) == SASL_FAIL) {
		pop3_failf(p, POP3_ERR_PROTO, "cannot log in to %s: %s",
		    p->host, sasl_error(p->sasl));
		return;
	}
	/* The same expectation goes on: a status or another "+". */
	n = xasprintf(&line, "%s\r\n", out != NULL ? out : "");
	sasl_wipe_free(out);
	conn_write_secret(p->conn, line, (size_t)n, "<secret>");
	OPENSSL_cleanse(line, (size_t)n);
	free(line);
}

/* The last login line is on the wire. With PIPELINING (RFC 2449 6.6)
 * the queued commands follow it without waiting for its reply, saving a
 * round trip; a refused login fails them with its error. early_ready
 * lets the caller queue its first commands now. */
static void
pop3_login_sent(struct pop3 *p)
{
	struct pop3_op *op;

	if (!(p->caps & POP3_CAP_PIPELINING))
		return;
	p->login_pipe = 1;
	op = TAILQ_FIRST(&p->ops);
	if (p->early_ready && op != NULL && op->kind == POP3_OP_CONNECT)
		pop3_op_finish(p, op);
	if (!p->dead)
		pop3_run(p);
}

/* The reply to AUTH, USER or PASS. */
static void
pop3_login_reply(struct pop3 *p, const struct pop3_event *ev)
{
	enum pop3_err err;
	const char *secret;
	char *text;

	if (ev->type == POP3_EV_CONTINUE) {
		pop3_sasl_continue(p, ev->text);
		return;
	}
	if (ev->type != POP3_EV_STATUS) {
		pop3_failf(p, POP3_ERR_PROTO,
		    "protocol error from %s: unexpected reply to %s", p->host,
		    pop3_state_names[p->state]);
		return;
	}
	if (ev->ok && p->state == POP3_STATE_USER) {
		secret = p->secret != NULL ? p->secret(p->secret_arg) : NULL;
		if (secret == NULL || strpbrk(secret, "\r\n") != NULL) {
			pop3_failf(p, POP3_ERR_AUTH,
			    "no usable password for %s", p->host);
			return;
		}
		pop3_set_state(p, POP3_STATE_PASS);
		pop3_send_secret(p, POP3_EXPECT_LINE, "PASS <secret>",
		    "PASS %s\r\n", secret);
		pop3_login_sent(p);
		return;
	}
	if (ev->ok && p->sasl != NULL && !sasl_complete(p->sasl)) {
		pop3_failf(p, POP3_ERR_PROTO,
		    "cannot log in to %s: the server is not trusted: it said "
		    "+OK before %s finished",
		    p->host, sasl_mech_name(sasl_mech(p->sasl)));
		return;
	}
	if (ev->ok) {
		p->mech_used = p->sasl != NULL
		    ? sasl_mech_name(sasl_mech(p->sasl))
		    : "USER";
		sasl_free(p->sasl);
		p->sasl = NULL;
		pop3_ready(p);
		return;
	}
	/* Refused. Only a refusal that is about the credentials asks for
	 * another password (RFC 3206 4 and 5). */
	switch (ev->code) {
	case POP3_CODE_IN_USE:
	case POP3_CODE_LOGIN_DELAY:
	case POP3_CODE_SYS_TEMP:
	case POP3_CODE_SYS_PERM:
		err = POP3_ERR_ERR;
		break;
	default:
		err = POP3_ERR_AUTH;
		break;
	}
	text = pop3_reply_text(ev);
	if (p->sasl != NULL && sasl_error(p->sasl) != NULL)
		pop3_fail_code(p, err, ev->code, "login refused by %s: %s (%s)",
		    p->host, text, sasl_error(p->sasl));
	else
		pop3_fail_code(
		    p, err, ev->code, "login refused by %s: %s", p->host, text);
	free(text);
}

static void
pop3_ready(struct pop3 *p)
{
	struct pop3_op *op;

	pop3_set_state(p, POP3_STATE_TRANSACTION);
	p->login_pipe = 0;
	pop3_expect_reply(p);
	op = TAILQ_FIRST(&p->ops);
	if (op != NULL && op->kind == POP3_OP_CONNECT)
		pop3_op_finish(p, op);
	if (!p->dead && p->state == POP3_STATE_TRANSACTION)
		pop3_run(p);
}

/* --- replies to operations ---------------------------------------------- */

static void
pop3_op_reply(struct pop3 *p, const struct pop3_event *ev)
{
	struct pop3_op *op = TAILQ_FIRST(&p->ops);
	const char *s;
	uint64_t v;
	char what[64], *text;

	if (op == NULL || !op->started || op->kind == POP3_OP_CONNECT) {
		pop3_failf(p, POP3_ERR_PROTO,
		    "protocol error from %s: reply to no command", p->host);
		return;
	}
	switch (ev->type) {
	case POP3_EV_CONTINUE:
		pop3_failf(p, POP3_ERR_PROTO,
		    "protocol error from %s: unexpected continuation", p->host);
		return;
	case POP3_EV_DATA:
		op->body += ev->len;
		if (p->log != NULL && op->logged < POP3_MAX_LOG) {
			v = POP3_MAX_LOG - op->logged;
			evbuffer_add(p->logbuf, ev->data,
			    ev->len < v ? ev->len : (size_t)v);
			op->logged += ev->len < v ? ev->len : (size_t)v;
		}
		if (op->data != NULL && op->res.err == POP3_ERR_NONE) {
			p->busy++;
			op->data(p, ev->data, ev->len, op->arg);
			p->busy--;
		}
		return;
	case POP3_EV_LINE:
		plog_write(p->log, p->host, '<', ev->line, strlen(ev->line));
		if (op->res.err == POP3_ERR_NONE &&
		    pop3_msginfo(op, ev->text) == -1) {
			text = pop3_text(ev->text);
			pop3_failf(p, POP3_ERR_PROTO,
			    "protocol error from %s: bad %s line '%s'", p->host,
			    op->kind == POP3_OP_LIST ? "LIST" : "UIDL", text);
			free(text);
		}
		return;
	case POP3_EV_END:
		if (op->kind == POP3_OP_RETR || op->kind == POP3_OP_TOP)
			pop3_log_body(p, op);
		plog_write(p->log, p->host, '<', ".", 1);
		break;
	case POP3_EV_STATUS:
		plog_write(p->log, p->host, '<', ev->line, strlen(ev->line));
		if (!ev->ok) {
			text = pop3_reply_text(ev);
			pop3_op_fail(p, op, POP3_ERR_ERR, ev->code,
			    "cannot %s: %s",
			    pop3_op_what(op, what, sizeof what), text);
			free(text);
			if (op->kind == POP3_OP_QUIT) {
				/* RFC 1939 6: some deletions failed; the
				 * server closes anyway. */
				pop3_set_state(p, POP3_STATE_CLOSED);
				conn_free(p->conn);
				p->conn = NULL;
			}
			break;
		}
		if (ev->more) {
			/* RETR: "+OK 120 octets" (RFC 1939 7 suggests it). */
			s = ev->text;
			if (op->kind == POP3_OP_RETR &&
			    (pop3_number(&s, &v) != 0 ||
			        strncasecmp(s, " octets", 7) != 0))
				v = 0;
			if (op->kind == POP3_OP_RETR)
				op->res.size = v;
			return; /* the listing or body follows */
		}
		s = ev->text;
		if (op->kind == POP3_OP_STAT) {
			if (pop3_number(&s, &v) == 0 && v <= UINT32_MAX)
				op->res.count = (uint32_t)v;
			else
				s = "";
			if (pop3_number(&s, &op->res.size) == -1) {
				text = pop3_text(ev->text);
				pop3_failf(p, POP3_ERR_PROTO,
				    "protocol error from %s: bad STAT reply "
				    "'%s'",
				    p->host, text);
				free(text);
				return;
			}
		} else if ((op->kind == POP3_OP_LIST ||
		               op->kind == POP3_OP_UIDL) &&
		    pop3_msginfo(op, ev->text) == -1) {
			text = pop3_text(ev->text);
			pop3_failf(p, POP3_ERR_PROTO,
			    "protocol error from %s: bad %s reply '%s'",
			    p->host, op->kind == POP3_OP_LIST ? "LIST" : "UIDL",
			    text);
			free(text);
			return;
		}
		if (op->kind == POP3_OP_QUIT) {
			pop3_set_state(p, POP3_STATE_CLOSED);
			conn_free(p->conn);
			p->conn = NULL;
		}
		break;
	}
	/* The reply is complete. */
	pop3_op_finish(p, op);
	if (p->dead)
		return;
	if (p->state == POP3_STATE_CLOSED) {
		event_active(p->deferred, 0, 0); /* those behind QUIT */
		return;
	}
	pop3_expect_reply(p);
	pop3_run(p);
}

/* One LIST or UIDL entry, "n value"; -1 if malformed. */
static int
pop3_msginfo(struct pop3_op *op, const char *line)
{
	struct pop3_msginfo *m;
	const char *s = line;
	uint64_t n, size = 0;
	size_t len;

	if (pop3_number(&s, &n) == -1 || n == 0 || n > UINT32_MAX)
		return -1;
	while (*s == ' ')
		s++;
	if (op->kind == POP3_OP_LIST) {
		if (pop3_number(&s, &size) == -1)
			return -1;
		len = 0;
	} else {
		len = strcspn(s, " ");
		if (len == 0)
			return -1;
		for (size_t i = 0; i < len; i++) {
			if ((unsigned char)s[i] < 0x21 ||
			    (unsigned char)s[i] > 0x7e)
				return -1;
		}
	}
	if (op->nmsgs == op->capmsgs) {
		op->capmsgs = op->capmsgs > 0 ? op->capmsgs * 2 : 64;
		op->msgs =
		    xreallocarray(op->msgs, op->capmsgs, sizeof *op->msgs);
	}
	m = &op->msgs[op->nmsgs++];
	m->n = (uint32_t)n;
	m->size = size;
	m->uidl = op->kind == POP3_OP_UIDL ? xstrndup(s, len) : NULL;
	return 0;
}

/* A decimal number, then spaces or the end; *s moves past it. */
static int
pop3_number(const char **s, uint64_t *v)
{
	const char *q = *s;
	uint64_t n = 0;

	while (*q == ' ')
		q++;
	if (*q < '0' || *q > '9')
		return -1;
	for (; *q >= '0' && *q <= '9'; q++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*q - '0');
	}
	if (*q != ' ' && *q != '\0')
		return -1;
	*v = n;
	*s = q;
	return 0;
}

/* The start of a body in the log, then how much was left out. */
static void
pop3_log_body(struct pop3 *p, struct pop3_op *op)
{
	size_t n;
	char *s;

	if (p->log == NULL)
		return;
	n = evbuffer_get_length(p->logbuf);
	s = (char *)evbuffer_pullup(p->logbuf, -1);
	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	plog_write(p->log, p->host, '<', s, n);
	if (op->body > op->logged)
		plog_note(p->log, p->host,
		    "(%llu bytes of the message not logged)",
		    (unsigned long long)(op->body - op->logged));
	evbuffer_drain(p->logbuf, evbuffer_get_length(p->logbuf));
}

/* --- input -------------------------------------------------------------- */

static void
pop3_conn_cb(struct conn *c, enum conn_event ev, void *arg)
{
	struct pop3 *p = arg;
	const char *msg;

	p->busy++;
	switch (ev) {
	case CONN_EV_CONNECTED:
		pop3_set_state(p, POP3_STATE_GREETING);
		break;
	case CONN_EV_TLS:
		p->tls_done = 1;
		/* Capabilities from before TLS are not trusted (RFC 2595
		 * 4). */
		p->caps = 0;
		p->caps_known = 0;
		free(p->capstr);
		p->capstr = xstrdup("");
		pop3_set_state(p, POP3_STATE_CAPA);
		pop3_send(p, POP3_EXPECT_LISTING, "CAPA");
		break;
	case CONN_EV_READ:
		pop3_read(p);
		break;
	case CONN_EV_ERROR:
		p->conn_fail = conn_fail(c);
		msg = conn_error(c);
		if (p->state == POP3_STATE_QUIT)
			pop3_failf(p, POP3_ERR_CONN,
			    "%s closed the connection before answering QUIT",
			    p->host);
		else if (conn_fail(c) == CONN_FAIL_CLOSED &&
		    pop3_parser_pending(p->parser))
			pop3_failf(p, POP3_ERR_CONN,
			    "%s closed the connection in the middle of a "
			    "reply",
			    p->host);
		else
			pop3_failf(p, POP3_ERR_CONN, "%s",
			    msg != NULL ? msg : "connection failed");
		break;
	}
	p->busy--;
	if (p->dead && p->busy == 0)
		pop3_destroy(p);
}

/* Feed what arrived to the parser and handle each event. */
static void
pop3_read(struct pop3 *p)
{
	struct pop3_event ev;
	struct evbuffer *in;
	struct evbuffer_iovec v;
	size_t used;
	int rc;

	while (!p->dead && p->conn != NULL &&
	    p->state != POP3_STATE_HANDSHAKE && p->state != POP3_STATE_CLOSED) {
		in = conn_input(p->conn);
		if (in == NULL || evbuffer_peek(in, -1, NULL, &v, 1) < 1 ||
		    v.iov_len == 0)
			break;
		rc = pop3_parser_feed(
		    p->parser, v.iov_base, v.iov_len, &used, &ev);
		if (rc == -1) {
			pop3_failf(p, POP3_ERR_PROTO,
			    "protocol error from %s: %s", p->host,
			    pop3_parser_error(p->parser));
			return;
		}
		if (rc == 1 && ev.type == POP3_EV_DATA) {
			/* Data points into the buffer: drain after. */
			pop3_event(p, &ev);
			if (p->conn != NULL && !p->dead)
				evbuffer_drain(in, used);
			continue;
		}
		/* Lines are the parser's; STLS may replace the buffer. */
		evbuffer_drain(in, used);
		if (rc == 1)
			pop3_event(p, &ev);
	}
}

static void
pop3_event(struct pop3 *p, const struct pop3_event *ev)
{
	if (p->state != POP3_STATE_TRANSACTION && p->state != POP3_STATE_QUIT &&
	    ev->line != NULL && ev->type != POP3_EV_DATA)
		plog_write(p->log, p->host, '<', ev->line, strlen(ev->line));
	switch (p->state) {
	case POP3_STATE_GREETING:
		pop3_greeting(p, ev);
		break;
	case POP3_STATE_CAPA:
		pop3_capa(p, ev);
		break;
	case POP3_STATE_STLS:
		if (ev->type != POP3_EV_STATUS || !ev->ok) {
			char *text = pop3_reply_text(ev);

			pop3_failf(p, POP3_ERR_PROTO,
			    "%s refused STLS: %s; not sending the password "
			    "over an unencrypted connection",
			    p->host, text);
			free(text);
			break;
		}
		pop3_set_state(p, POP3_STATE_HANDSHAKE);
		conn_starttls(p->conn);
		break;
	case POP3_STATE_AUTH:
	case POP3_STATE_USER:
	case POP3_STATE_PASS:
		pop3_login_reply(p, ev);
		break;
	case POP3_STATE_TRANSACTION:
	case POP3_STATE_QUIT:
		pop3_op_reply(p, ev);
		break;
	default:
		pop3_failf(p, POP3_ERR_PROTO,
		    "protocol error from %s: reply in state %s", p->host,
		    pop3_state_names[p->state]);
		break;
	}
}

/* --- helpers ------------------------------------------------------------ */

/* "-ERR [CODE] text" of a status line, made safe to quote. */
static char *
pop3_reply_text(const struct pop3_event *ev)
{
	char *text, *out;

	if (ev->type != POP3_EV_STATUS)
		return pop3_text(ev->line != NULL ? ev->line : "");
	text = pop3_text(ev->text);
	xasprintf(&out, "%s%s%s%s%s%s", ev->ok ? "+OK" : "-ERR",
	    *ev->code_name != '\0' ? " [" : "", ev->code_name,
	    *ev->code_name != '\0' ? "]" : "", *text != '\0' ? " " : "", text);
	free(text);
	return out;
}

/* Server text made safe to quote (text_clean), length capped. */
static char *
pop3_text(const char *s)
{
	return text_clean_max(s, POP3_MAX_TEXT);
}
