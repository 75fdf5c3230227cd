/* errand: a terminal mail user agent. See LICENSE.
 * Account check for `errand check`: greeting, capabilities, STARTTLS (IMAP,
 * RFC 3501 6.2.1) or STLS (POP3, RFC 2595 4), then LOGIN or USER/PASS and a
 * polite LOGOUT or QUIT. A credential is never written to a connection that
 * is not TLS. RFC 3501, RFC 2595, RFC 2449 (CAPA), RFC 1939. */

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "greet.h"
#include "plog.h"

#define GREET_MAX_CAPS 256 /* capabilities kept */
#define GREET_MAX_TEXT 200 /* server text quoted in a message */

enum greet_state {
	GREET_STATE_CONNECTING,
	GREET_STATE_GREETING,
	GREET_STATE_CAPA,      /* CAPABILITY / CAPA sent */
	GREET_STATE_CAPA_LIST, /* POP3: reading the CAPA list */
	GREET_STATE_STARTTLS,  /* STARTTLS / STLS sent */
	GREET_STATE_HANDSHAKE, /* conn_starttls() running */
	GREET_STATE_LOGIN,     /* IMAP LOGIN sent (or its literals) */
	GREET_STATE_USER,      /* POP3 USER sent */
	GREET_STATE_PASS,      /* POP3 PASS sent */
	GREET_STATE_LOGOUT,    /* LOGOUT / QUIT sent */
	GREET_STATE_DONE,
};

static const char *greet_state_names[] = {
    "connecting",
    "greeting",
    "capa",
    "capa-list",
    "starttls",
    "handshake",
    "login",
    "user",
    "pass",
    "logout",
    "done",
};

struct greet {
	struct conn *conn;
	struct plog *log;
	enum greet_proto proto;
	int starttls;
	char *user;
	char *password;
	char *host;

	greet_cb cb;
	void *arg;

	enum greet_state state;
	int tag;      /* IMAP tag number of the command awaited */
	int tls_done; /* STARTTLS upgrade finished */
	int logged_in;
	char *caps; /* space-separated */
	size_t ncaps;
	char *bye;       /* text of an untagged BYE */
	char *lit[2];    /* LOGIN pieces to send on each "+" */
	char *litlog[2]; /* what the log shows for each */
	size_t nlit;     /* how many of lit are left */

	struct greet_result result;
	char *error;
	char *tls_version;

	int busy; /* inside a conn callback */
	int dead; /* greet_free() called while busy */
};

static void greet_conn_cb(struct conn *, enum conn_event, void *);
static void greet_destroy(struct greet *);
static void greet_set_state(struct greet *, enum greet_state);
static void greet_finish(struct greet *, int);
static void greet_failf(struct greet *, enum conn_fail, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void greet_line(struct greet *, char *, size_t);
static void greet_imap_line(struct greet *, char *);
static void greet_pop3_line(struct greet *, char *);
static void greet_send(struct greet *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void greet_send_secret(struct greet *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void greet_wipe(char *);
static void greet_caps_add(struct greet *, const char *);
static int greet_has_cap(const struct greet *, const char *);
static void greet_after_caps(struct greet *);
static void greet_imap_login(struct greet *);
static void greet_imap_next_literal(struct greet *);
static char *greet_imap_astring(const char *, char **);
static void greet_pop3_user(struct greet *);
static void greet_logout(struct greet *);
static char *greet_text(const char *);
static int greet_word(char **, const char *);

struct greet *
greet_start(struct event_base *base, struct evdns_base *dns,
    const struct greet_params *p, greet_cb cb, void *arg)
{
	struct greet *g;

	g = xcalloc(1, sizeof *g);
	g->proto = p->proto;
	g->starttls = p->starttls;
	g->user = xstrdup(p->user != NULL ? p->user : "");
	g->password = p->password != NULL ? xstrdup(p->password) : NULL;
	g->host = xstrdup(p->conn.host);
	g->log = p->conn.log;
	g->cb = cb;
	g->arg = arg;
	g->caps = xstrdup("");
	g->state = GREET_STATE_CONNECTING;

	g->conn = conn_new(base, dns, &p->conn, greet_conn_cb, g);
	conn_expect_reply(g->conn, 1); /* the greeting */
	conn_connect(g->conn);
	return g;
}

void
greet_free(struct greet *g)
{
	if (g == NULL)
		return;
	g->cb = NULL;
	if (g->busy) {
		g->dead = 1;
		return;
	}
	greet_destroy(g);
}

static void
greet_destroy(struct greet *g)
{
	size_t i;

	conn_free(g->conn);
	greet_wipe(g->password);
	for (i = 0; i < 2; i++) {
		greet_wipe(g->lit[i]);
		free(g->litlog[i]);
	}
	free(g->user);
	free(g->host);
	free(g->caps);
	free(g->bye);
	free(g->error);
	free(g->tls_version);
	free(g);
}

static void
greet_conn_cb(struct conn *c, enum conn_event ev, void *arg)
{
	struct greet *g = arg;
	size_t len;
	char *line;
	int r;

	g->busy++;
	switch (ev) {
	case CONN_EV_CONNECTED:
		if (conn_tls_version(c) != NULL)
			g->tls_version = xstrdup(conn_tls_version(c));
		greet_set_state(g, GREET_STATE_GREETING);
		break;
	case CONN_EV_TLS:
		g->tls_version = xstrdup(conn_tls_version(c));
		g->tls_done = 1;
		/* Capabilities seen before TLS are forgotten (RFC 3501 6.2.1). */
		free(g->caps);
		g->caps = xstrdup("");
		g->ncaps = 0;
		greet_set_state(g, GREET_STATE_CAPA);
		if (g->proto == GREET_IMAP)
			greet_send(g, "a%d CAPABILITY\r\n", ++g->tag);
		else
			greet_send(g, "CAPA\r\n");
		break;
	case CONN_EV_READ:
		while (g->state != GREET_STATE_DONE &&
		    g->state != GREET_STATE_HANDSHAKE &&
		    (r = conn_read_line(c, &line, &len)) == 1) {
			greet_line(g, line, len);
			free(line);
		}
		break;
	case CONN_EV_ERROR:
		if (g->state == GREET_STATE_LOGOUT) {
			greet_finish(g, g->error == NULL); /* done anyway */
			break;
		}
		if (conn_fail(c) == CONN_FAIL_CLOSED && g->bye != NULL)
			greet_failf(g, CONN_FAIL_CLOSED,
			    "%s closed the connection: %s", g->host, g->bye);
		else
			greet_failf(g, conn_fail(c), "%s", conn_error(c));
		break;
	}
	g->busy--;
	if (g->dead && g->busy == 0)
		greet_destroy(g);
}

static void
greet_set_state(struct greet *g, enum greet_state s)
{
	if (g->state != s)
		plog_note(g->log, g->host, "check: %s -> %s",
		    greet_state_names[g->state], greet_state_names[s]);
	g->state = s;
}

/* Report the result once and close the connection. */
static void
greet_finish(struct greet *g, int ok)
{
	if (g->state == GREET_STATE_DONE)
		return;
	greet_set_state(g, GREET_STATE_DONE);
	conn_free(g->conn);
	g->conn = NULL;

	g->result.ok = ok && g->error == NULL;
	g->result.error = g->error;
	g->result.tls_version = g->tls_version;
	g->result.capabilities = g->caps;
	if (g->cb != NULL)
		g->cb(g, &g->result, g->arg);
}

/* Fail the check with a message; the first failure is the one kept. */
static void
greet_failf(struct greet *g, enum conn_fail fail, const char *fmt, ...)
{
	va_list ap;

	if (g->state == GREET_STATE_DONE)
		return;
	if (g->error == NULL) {
		va_start(ap, fmt);
		xvasprintf(&g->error, fmt, ap);
		va_end(ap);
		g->result.fail = fail;
		plog_note(g->log, g->host, "check failed: %s", g->error);
	}
	greet_finish(g, 0);
}

static void
greet_line(struct greet *g, char *line, size_t len)
{
	if (strlen(line) != len) {
		greet_failf(g, CONN_FAIL_PROTO, "%s sent a NUL byte", g->host);
		return;
	}
	if (g->proto == GREET_IMAP)
		greet_imap_line(g, line);
	else
		greet_pop3_line(g, line);
}

static void
greet_imap_line(struct greet *g, char *line)
{
	char *p = line, *text, tag[32];

	if (g->state == GREET_STATE_GREETING) {
		if (greet_word(&p, "*") && greet_word(&p, "OK")) {
			greet_set_state(g, GREET_STATE_CAPA);
			greet_send(g, "a%d CAPABILITY\r\n", ++g->tag);
		} else if (p = line,
		    greet_word(&p, "*") && greet_word(&p, "PREAUTH")) {
			if (g->starttls || conn_tls_version(g->conn) == NULL) {
				greet_failf(g, CONN_FAIL_PROTO,
				    "%s logged in without TLS (PREAUTH); "
				    "STARTTLS is not possible",
				    g->host);
				return;
			}
			g->logged_in = 1;
			greet_set_state(g, GREET_STATE_CAPA);
			greet_send(g, "a%d CAPABILITY\r\n", ++g->tag);
		} else if (p = line,
		    greet_word(&p, "*") && greet_word(&p, "BYE")) {
			text = greet_text(p);
			greet_failf(g, CONN_FAIL_PROTO,
			    "%s refused the connection: %s", g->host, text);
			free(text);
		} else {
			text = greet_text(line);
			greet_failf(g, CONN_FAIL_PROTO,
			    "%s is not an IMAP server: it said '%s'", g->host,
			    text);
			free(text);
		}
		return;
	}

	/* Untagged data and continuations. */
	if (greet_word(&p, "*")) {
		if (greet_word(&p, "CAPABILITY"))
			greet_caps_add(g, p);
		else if (greet_word(&p, "BYE")) {
			free(g->bye);
			g->bye = greet_text(p);
		}
		return;
	}
	p = line;
	if (*p == '+' && (p[1] == ' ' || p[1] == '\0')) {
		if (g->state == GREET_STATE_LOGIN && g->nlit > 0)
			greet_imap_next_literal(g);
		else {
			greet_failf(g, CONN_FAIL_PROTO,
			    "unexpected continuation from %s", g->host);
		}
		return;
	}

	/* The tagged reply to the command in flight. */
	snprintf(tag, sizeof tag, "a%d", g->tag);
	if (!greet_word(&p, tag)) {
		text = greet_text(line);
		greet_failf(g, CONN_FAIL_PROTO,
		    "unexpected reply from %s: '%s'", g->host, text);
		free(text);
		return;
	}
	text = NULL;
	switch (g->state) {
	case GREET_STATE_CAPA:
		if (!greet_word(&p, "OK")) {
			text = greet_text(line);
			greet_failf(g, CONN_FAIL_PROTO,
			    "CAPABILITY failed at %s: '%s'", g->host, text);
			break;
		}
		greet_after_caps(g);
		break;
	case GREET_STATE_STARTTLS:
		if (!greet_word(&p, "OK")) {
			if (!greet_word(&p, "NO"))
				greet_word(&p, "BAD");
			text = greet_text(p);
			greet_failf(g, CONN_FAIL_PROTO,
			    "%s refused STARTTLS: %s", g->host, text);
			break;
		}
		greet_set_state(g, GREET_STATE_HANDSHAKE);
		conn_starttls(g->conn);
		break;
	case GREET_STATE_LOGIN:
		if (greet_word(&p, "OK")) {
			g->logged_in = 1;
			greet_logout(g);
			break;
		}
		text = greet_text(p);
		if (greet_word(&p, "NO")) {
			free(text);
			text = greet_text(p);
			g->result.auth_failed = 1;
			xasprintf(&g->error, "login refused by %s: %s", g->host,
			    text);
			plog_note(
			    g->log, g->host, "check failed: %s", g->error);
			greet_logout(g);
		} else
			greet_failf(g, CONN_FAIL_PROTO, "%s rejected LOGIN: %s",
			    g->host, text);
		break;
	case GREET_STATE_LOGOUT:
		greet_finish(g, 1);
		break;
	default:
		text = greet_text(line);
		greet_failf(g, CONN_FAIL_PROTO,
		    "unexpected reply from %s: '%s'", g->host, text);
		break;
	}
	free(text);
}

static void
greet_pop3_line(struct greet *g, char *line)
{
	char *p = line, *text = NULL;
	int ok;

	if (g->state == GREET_STATE_CAPA_LIST) {
		if (strcmp(line, ".") == 0)
			greet_after_caps(g);
		else {
			if (*p == '.')
				p++; /* dot-stuffed */
			greet_caps_add(g, p);
		}
		return;
	}

	ok = greet_word(&p, "+OK");
	if (!ok && !greet_word(&p, "-ERR")) {
		text = greet_text(line);
		if (g->state == GREET_STATE_GREETING)
			greet_failf(g, CONN_FAIL_PROTO,
			    "%s is not a POP3 server: it said '%s'", g->host,
			    text);
		else
			greet_failf(g, CONN_FAIL_PROTO,
			    "unexpected reply from %s: '%s'", g->host, text);
		free(text);
		return;
	}
	text = greet_text(p);

	switch (g->state) {
	case GREET_STATE_GREETING:
		if (!ok) {
			greet_failf(g, CONN_FAIL_PROTO,
			    "%s refused the connection: %s", g->host, text);
			break;
		}
		greet_set_state(g, GREET_STATE_CAPA);
		greet_send(g, "CAPA\r\n");
		break;
	case GREET_STATE_CAPA:
		if (ok)
			greet_set_state(g, GREET_STATE_CAPA_LIST);
		else
			greet_after_caps(g); /* no CAPA: no STLS either */
		break;
	case GREET_STATE_STARTTLS:
		if (!ok) {
			greet_failf(g, CONN_FAIL_PROTO, "%s refused STLS: %s",
			    g->host, text);
			break;
		}
		greet_set_state(g, GREET_STATE_HANDSHAKE);
		conn_starttls(g->conn);
		break;
	case GREET_STATE_USER:
	case GREET_STATE_PASS:
		if (!ok) {
			g->result.auth_failed = 1;
			xasprintf(&g->error, "login refused by %s: %s", g->host,
			    text);
			plog_note(
			    g->log, g->host, "check failed: %s", g->error);
			greet_logout(g);
		} else if (g->state == GREET_STATE_USER) {
			greet_set_state(g, GREET_STATE_PASS);
			greet_send_secret(
			    g, "PASS <secret>", "PASS %s\r\n", g->password);
		} else {
			g->logged_in = 1;
			greet_logout(g);
		}
		break;
	case GREET_STATE_LOGOUT:
		greet_finish(g, 1);
		break;
	default:
		greet_failf(g, CONN_FAIL_PROTO,
		    "unexpected reply from %s: '%s'", g->host, text);
		break;
	}
	free(text);
}

/* Queue one command line and wait for its reply. */
static void
greet_send(struct greet *g, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	conn_write(g->conn, s, (size_t)n);
	conn_expect_reply(g->conn, 1);
	free(s);
}

/* Queue a command holding a secret; the log shows logtext instead. */
static void
greet_send_secret(struct greet *g, const char *logtext, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	conn_write_secret(g->conn, s, (size_t)n, logtext);
	conn_expect_reply(g->conn, 1);
	greet_wipe(s);
}

/* Clear and free a string that held a secret; NULL is a no-op. */
static void
greet_wipe(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Add the space-separated capabilities in s, up to GREET_MAX_CAPS. */
static void
greet_caps_add(struct greet *g, const char *s)
{
	size_t n, old;
	char *caps;

	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\0' || g->ncaps >= GREET_MAX_CAPS)
			return;
		n = strcspn(s, " ");
		old = strlen(g->caps);
		caps = xmalloc(old + n + 2);
		memcpy(caps, g->caps, old);
		if (old > 0)
			caps[old++] = ' ';
		memcpy(caps + old, s, n);
		caps[old + n] = '\0';
		free(g->caps);
		g->caps = caps;
		g->ncaps++;
		s += n;
	}
}

static int
greet_has_cap(const struct greet *g, const char *cap)
{
	const char *p = g->caps;
	size_t n = strlen(cap), w;

	while (*p != '\0') {
		w = strcspn(p, " ");
		if (w == n && strncasecmp(p, cap, n) == 0)
			return 1;
		p += w;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* The capability list is complete: upgrade, log in or finish. */
static void
greet_after_caps(struct greet *g)
{
	const char *cap = g->proto == GREET_IMAP ? "STARTTLS" : "STLS";

	if (g->starttls && !g->tls_done) {
		if (!greet_has_cap(g, cap)) {
			greet_failf(g, CONN_FAIL_PROTO,
			    "%s does not offer %s; not sending the password "
			    "over an unencrypted connection",
			    g->host, cap);
			return;
		}
		greet_set_state(g, GREET_STATE_STARTTLS);
		if (g->proto == GREET_IMAP)
			greet_send(g, "a%d STARTTLS\r\n", ++g->tag);
		else
			greet_send(g, "STLS\r\n");
		return;
	}
	if (g->password == NULL || g->logged_in) {
		greet_logout(g);
		return;
	}
	if (conn_tls_version(g->conn) == NULL) {
		greet_failf(g, CONN_FAIL_PROTO,
		    "not sending the password to %s over an unencrypted "
		    "connection",
		    g->host);
		return;
	}
	if (g->proto == GREET_IMAP)
		greet_imap_login(g);
	else
		greet_pop3_user(g);
}

/* LOGIN with quoted strings, or synchronising literals (RFC 3501 4.3)
 * where a quoted string cannot hold the bytes: the command goes out up to
 * the first literal header, and each "+" releases the next piece. */
static void
greet_imap_login(struct greet *g)
{
	char *u, *pw, *ulit, *pwlit, *log;

	if (greet_has_cap(g, "LOGINDISABLED")) {
		greet_failf(g, CONN_FAIL_PROTO,
		    "%s does not allow LOGIN (LOGINDISABLED)", g->host);
		return;
	}
	u = greet_imap_astring(g->user, &ulit);
	pw = greet_imap_astring(g->password, &pwlit);
	greet_set_state(g, GREET_STATE_LOGIN);
	g->tag++;
	g->nlit = 0;

	if (ulit == NULL && pwlit == NULL) {
		xasprintf(&log, "a%d LOGIN %s <secret>", g->tag, u);
		greet_send_secret(g, log, "a%d LOGIN %s %s\r\n", g->tag, u, pw);
		free(log);
	} else if (ulit != NULL) {
		greet_send(g, "a%d LOGIN %s\r\n", g->tag, u);
		xasprintf(&g->lit[g->nlit], "%s %s\r\n", ulit, pw);
		xasprintf(&g->litlog[g->nlit++], "%s %s", ulit,
		    pwlit != NULL ? pw : "<secret>");
	} else
		greet_send(g, "a%d LOGIN %s %s\r\n", g->tag, u, pw);
	if (pwlit != NULL) {
		xasprintf(&g->lit[g->nlit], "%s\r\n", pwlit);
		g->litlog[g->nlit++] = xstrdup("<secret>");
	}

	free(u);
	free(ulit);
	greet_wipe(pw);
	greet_wipe(pwlit);
}

/* The server said "+": send the next piece of the LOGIN command. */
static void
greet_imap_next_literal(struct greet *g)
{
	conn_write_secret(g->conn, g->lit[0], strlen(g->lit[0]), g->litlog[0]);
	greet_wipe(g->lit[0]);
	free(g->litlog[0]);
	g->lit[0] = g->lit[1];
	g->litlog[0] = g->litlog[1];
	g->lit[1] = g->litlog[1] = NULL;
	g->nlit--;
	conn_expect_reply(g->conn, 1);
}

/* An IMAP astring for s: a quoted string, or, when s holds bytes a quoted
 * string cannot, the literal header "{n}" returned with *lit set to the
 * bytes. The caller frees both. */
static char *
greet_imap_astring(const char *s, char **lit)
{
	const unsigned char *p;
	char *q, *out;
	size_t n = 0;

	*lit = NULL;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n' || *p >= 0x80) {
			*lit = xstrdup(s);
			xasprintf(&out, "{%zu}", strlen(s));
			return out;
		}
		n += (*p == '"' || *p == '\\') ? 2 : 1;
	}
	q = out = xmalloc(n + 3);
	*q++ = '"';
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			*q++ = '\\';
		*q++ = (char)*p;
	}
	*q++ = '"';
	*q = '\0';
	return out;
}

static void
greet_pop3_user(struct greet *g)
{
	if (strpbrk(g->user, "\r\n") != NULL ||
	    strpbrk(g->password, "\r\n") != NULL) {
		greet_failf(g, CONN_FAIL_PROTO,
		    "the user name or password holds a line break");
		return;
	}
	greet_set_state(g, GREET_STATE_USER);
	greet_send(g, "USER %s\r\n", g->user);
}

static void
greet_logout(struct greet *g)
{
	greet_set_state(g, GREET_STATE_LOGOUT);
	if (g->proto == GREET_IMAP)
		greet_send(g, "a%d LOGOUT\r\n", ++g->tag);
	else
		greet_send(g, "QUIT\r\n");
}

/* Server text made safe to show: controls replaced, length capped. */
static char *
greet_text(const char *s)
{
	size_t i, n;
	char *out;

	while (*s == ' ')
		s++;
	n = strlen(s);
	if (n > GREET_MAX_TEXT)
		n = GREET_MAX_TEXT;
	out = xmalloc(n + 4);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	if (n < strlen(s)) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

/* If *p starts with word (any case) then a space or the end, step past it
 * and return 1. */
static int
greet_word(char **p, const char *word)
{
	size_t n = strlen(word);

	if (strncasecmp(*p, word, n) != 0 ||
	    ((*p)[n] != ' ' && (*p)[n] != '\0'))
		return 0;
	*p += n;
	while (**p == ' ')
		(*p)++;
	return 1;
}
