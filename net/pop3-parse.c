/* errand: a terminal mail user agent. See LICENSE.
 * The POP3 response parser. Status and listing lines gather in one buffer
 * bounded by max_line; a body is never gathered: its bytes go out as
 * pieces of the input, split only where a stuffed dot is removed.
 * RFC 1939, RFC 2449, RFC 3206, RFC 5034. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmalloc.h"
#include "pop3-parse.h"

#define POP3_MAX_LINE 4096
#define POP3_MAX_LISTING (32 * 1024 * 1024)
#define POP3_SNIPPET 40 /* bytes of garbage quoted in an error */

enum pop3_pstate {
	POP3_P_IDLE,    /* between responses */
	POP3_P_STATUS,  /* reading a status line */
	POP3_P_LISTING, /* reading listing lines */
	POP3_P_BODY,    /* reading a body */
	POP3_P_FAILED,  /* a protocol error: every call fails */
};

/* Where a body is, byte by byte, for unstuffing and the end. */
enum pop3_bstate {
	POP3_B_BOL,    /* at the start of a line */
	POP3_B_MID,    /* inside a line */
	POP3_B_DOT,    /* a line began with '.', not yet passed on */
	POP3_B_DOT_CR, /* a line began with ".\r" */
};

struct pop3_parser {
	size_t max_line;
	size_t max_listing;
	enum pop3_pstate state;
	enum pop3_bstate bstate;
	char *line;          /* the line being gathered, NUL-terminated */
	char *code;          /* the response code of the last status line */
	size_t linelen;      /* bytes in line */
	size_t listing;      /* bytes of the listing so far */
	int line_done;       /* line holds a whole line not yet handled */
	enum pop3_expect *q; /* expected responses, oldest at qhead */
	size_t qhead, qlen, qcap;
	char *error;
};

static void pop3_parser_fail(struct pop3_parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int pop3_take_line(struct pop3_parser *, const char *, size_t, size_t *);
static int pop3_status(struct pop3_parser *, struct pop3_event *);
static int pop3_listing_line(struct pop3_parser *, struct pop3_event *);
static int pop3_body(
    struct pop3_parser *, const char *, size_t, size_t *, struct pop3_event *);
static void pop3_pop(struct pop3_parser *);
static enum pop3_code pop3_code_from(const char *);
static char *pop3_snippet(const char *, size_t);

struct pop3_parser *
pop3_parser_new(const struct pop3_parse_limits *lim)
{
	struct pop3_parser *p = xcalloc(1, sizeof *p);

	p->max_line = POP3_MAX_LINE;
	p->max_listing = POP3_MAX_LISTING;
	if (lim != NULL && lim->max_line > 0)
		p->max_line = lim->max_line;
	if (lim != NULL && lim->max_listing > 0)
		p->max_listing = lim->max_listing;
	/* The line and its CR, and the NUL. */
	p->line = xmalloc(p->max_line + 2);
	p->line[0] = '\0';
	p->code = xmalloc(p->max_line + 2);
	return p;
}

void
pop3_parser_free(struct pop3_parser *p)
{
	if (p == NULL)
		return;
	free(p->line);
	free(p->code);
	free(p->q);
	free(p->error);
	free(p);
}

void
pop3_parser_expect(struct pop3_parser *p, enum pop3_expect e)
{
	size_t i, cap;
	enum pop3_expect *nq;

	if (p->qlen == p->qcap) {
		cap = p->qcap > 0 ? p->qcap * 2 : 8;
		nq = xreallocarray(NULL, cap, sizeof *nq);
		for (i = 0; i < p->qlen; i++)
			nq[i] = p->q[(p->qhead + i) % p->qcap];
		free(p->q);
		p->q = nq;
		p->qcap = cap;
		p->qhead = 0;
	}
	p->q[(p->qhead + p->qlen) % p->qcap] = e;
	p->qlen++;
}

const char *
pop3_parser_error(const struct pop3_parser *p)
{
	return p->error;
}

int
pop3_parser_pending(const struct pop3_parser *p)
{
	return p->state == POP3_P_LISTING || p->state == POP3_P_BODY ||
	    (p->state == POP3_P_STATUS && (p->linelen > 0 || p->line_done));
}

size_t
pop3_parser_queued(const struct pop3_parser *p)
{
	return p->qlen;
}

const char *
pop3_code_name(enum pop3_code c)
{
	switch (c) {
	case POP3_CODE_IN_USE:
		return "IN-USE";
	case POP3_CODE_LOGIN_DELAY:
		return "LOGIN-DELAY";
	case POP3_CODE_AUTH:
		return "AUTH";
	case POP3_CODE_SYS_TEMP:
		return "SYS/TEMP";
	case POP3_CODE_SYS_PERM:
		return "SYS/PERM";
	case POP3_CODE_NONE:
	case POP3_CODE_OTHER:
		break;
	}
	return NULL;
}

int
pop3_parser_feed(struct pop3_parser *p, const void *buf, size_t len,
    size_t *used, struct pop3_event *ev)
{
	const char *data = buf;
	size_t n;
	int rc;

	*used = 0;
	memset(ev, 0, sizeof *ev);
	ev->code_name = "";
	ev->text = "";
	if (p->state == POP3_P_FAILED)
		return -1;
	while (*used < len) {
		switch (p->state) {
		case POP3_P_IDLE:
			if (p->qlen == 0) {
				char *s =
				    pop3_snippet(data + *used, len - *used);

				pop3_parser_fail(
				    p, "reply when none was expected: '%s'", s);
				free(s);
				return -1;
			}
			p->state = POP3_P_STATUS;
			break;
		case POP3_P_STATUS:
		case POP3_P_LISTING:
			rc = pop3_take_line(p, data + *used, len - *used, &n);
			*used += n;
			if (rc == -1)
				return -1;
			if (rc == 0)
				return 0;
			p->line_done = 0;
			rc = p->state == POP3_P_STATUS
			    ? pop3_status(p, ev)
			    : pop3_listing_line(p, ev);
			p->linelen = 0;
			return rc;
		case POP3_P_BODY:
			rc = pop3_body(p, data + *used, len - *used, &n, ev);
			*used += n;
			return rc;
		case POP3_P_FAILED:
			return -1;
		}
	}
	return 0;
}

/* Record the first protocol error; the parser stays failed. */
static void
pop3_parser_fail(struct pop3_parser *p, const char *fmt, ...)
{
	va_list ap;

	p->state = POP3_P_FAILED;
	if (p->error != NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&p->error, fmt, ap);
	va_end(ap);
}

/* Gather bytes up to a line end. 1: p->line holds the line (line end
 * removed); 0: all taken, more needed; -1: over the bound or a NUL. */
static int
pop3_take_line(struct pop3_parser *p, const char *d, size_t len, size_t *used)
{
	const char *nl;
	size_t n, room;

	nl = memchr(d, '\n', len);
	n = nl != NULL ? (size_t)(nl - d) : len;
	room = p->max_line + 1 - p->linelen; /* the CR may still come */
	if (n > room) {
		*used = room;
		pop3_parser_fail(p, "line of more than %zu bytes", p->max_line);
		return -1;
	}
	if (memchr(d, '\0', n) != NULL) {
		*used = n;
		pop3_parser_fail(p, "NUL byte in a line");
		return -1;
	}
	memcpy(p->line + p->linelen, d, n);
	p->linelen += n;
	p->line[p->linelen] = '\0';
	if (nl == NULL) {
		*used = len;
		return 0;
	}
	*used = n + 1;
	if (p->state == POP3_P_LISTING) {
		p->listing += p->linelen + 1;
		if (p->listing > p->max_listing) {
			pop3_parser_fail(p, "listing of more than %zu bytes",
			    p->max_listing);
			return -1;
		}
	}
	if (p->linelen > 0 && p->line[p->linelen - 1] == '\r')
		p->line[--p->linelen] = '\0';
	if (p->linelen > p->max_line) {
		pop3_parser_fail(p, "line of more than %zu bytes", p->max_line);
		return -1;
	}
	p->line_done = 1;
	return 1;
}

/* The status line in p->line: +OK, -ERR, or a SASL continuation. */
static int
pop3_status(struct pop3_parser *p, struct pop3_event *ev)
{
	enum pop3_expect e = p->q[p->qhead];
	char *s = p->line, *end, *snip;

	if (e == POP3_EXPECT_SASL && s[0] == '+' &&
	    (s[1] == ' ' || s[1] == '\0')) {
		ev->type = POP3_EV_CONTINUE;
		ev->line = p->line;
		ev->text = s[1] == ' ' ? s + 2 : s + 1;
		ev->data = ev->text;
		ev->len = strlen(ev->text);
		return 1; /* the same response goes on */
	}
	if (strncasecmp(s, "+OK", 3) == 0 && (s[3] == ' ' || s[3] == '\0')) {
		ev->ok = 1;
		s += 3;
	} else if (strncasecmp(s, "-ERR", 4) == 0 &&
	    (s[4] == ' ' || s[4] == '\0')) {
		s += 4;
	} else {
		snip = pop3_snippet(p->line, p->linelen);
		pop3_parser_fail(
		    p, "reply is neither +OK nor -ERR: '%s'", snip);
		free(snip);
		return -1;
	}
	ev->type = POP3_EV_STATUS;
	ev->line = p->line;
	while (*s == ' ')
		s++;
	if (*s == '[' && (end = strchr(s, ']')) != NULL) {
		memcpy(p->code, s + 1, (size_t)(end - s - 1));
		p->code[end - s - 1] = '\0';
		ev->code_name = p->code;
		ev->code = pop3_code_from(p->code);
		s = end + 1;
		while (*s == ' ')
			s++;
	}
	ev->text = s;
	ev->data = s;
	ev->len = strlen(s);
	if (ev->ok && (e == POP3_EXPECT_LISTING || e == POP3_EXPECT_BODY)) {
		ev->more = 1;
		p->listing = 0;
		if (e == POP3_EXPECT_LISTING)
			p->state = POP3_P_LISTING;
		else {
			p->state = POP3_P_BODY;
			p->bstate = POP3_B_BOL;
		}
		return 1;
	}
	pop3_pop(p);
	return 1;
}

/* A listing line in p->line: "." ends it, a leading dot is removed. */
static int
pop3_listing_line(struct pop3_parser *p, struct pop3_event *ev)
{
	char *s = p->line;
	size_t n = p->linelen;

	ev->line = p->line;
	if (s[0] == '.' && n == 1) {
		ev->type = POP3_EV_END;
		pop3_pop(p);
		return 1;
	}
	if (s[0] == '.') {
		s++;
		n--;
	}
	ev->type = POP3_EV_LINE;
	ev->text = s;
	ev->data = s;
	ev->len = n;
	return 1;
}

/* Body bytes: a run of input up to the next stuffed dot or the end. */
static int
pop3_body(struct pop3_parser *p, const char *d, size_t len, size_t *used,
    struct pop3_event *ev)
{
	static const char cr[] = "\r";
	const char *nl;
	size_t i = 0, start = 0;

	while (i < len) {
		switch (p->bstate) {
		case POP3_B_BOL:
			if (d[i] != '.') {
				p->bstate = POP3_B_MID;
				break;
			}
			if (i > start) {
				/* Pass on what comes before the dot first. */
				ev->type = POP3_EV_DATA;
				ev->data = d + start;
				ev->len = i - start;
				*used = i;
				return 1;
			}
			p->bstate = POP3_B_DOT;
			start = ++i;
			break;
		case POP3_B_MID:
			nl = memchr(d + i, '\n', len - i);
			if (nl == NULL)
				i = len;
			else {
				i = (size_t)(nl - d) + 1;
				p->bstate = POP3_B_BOL;
			}
			break;
		case POP3_B_DOT:
			if (d[i] == '\r') {
				p->bstate = POP3_B_DOT_CR;
				start = ++i;
				break;
			}
			if (d[i] == '\n') {
				*used = i + 1;
				ev->type = POP3_EV_END;
				pop3_pop(p);
				return 1;
			}
			/* A stuffed dot: dropped, the line goes on. */
			p->bstate = POP3_B_MID;
			break;
		case POP3_B_DOT_CR:
			if (d[i] == '\n') {
				*used = i + 1;
				ev->type = POP3_EV_END;
				pop3_pop(p);
				return 1;
			}
			/* ".\r" and more: the CR held back was data. */
			p->bstate = POP3_B_MID;
			ev->type = POP3_EV_DATA;
			ev->data = cr;
			ev->len = 1;
			*used = i;
			return 1;
		}
	}
	*used = len;
	if (i > start) {
		ev->type = POP3_EV_DATA;
		ev->data = d + start;
		ev->len = i - start;
		return 1;
	}
	return 0;
}

/* The response at the head of the queue is complete. */
static void
pop3_pop(struct pop3_parser *p)
{
	if (p->qlen == 0)
		fatalx("%s: nothing expected", __func__);
	p->qhead = (p->qhead + 1) % p->qcap;
	p->qlen--;
	p->state = POP3_P_IDLE;
}

static enum pop3_code
pop3_code_from(const char *s)
{
	static const struct {
		const char *name;
		enum pop3_code code;
	} codes[] = {
	    {"IN-USE", POP3_CODE_IN_USE},
	    {"LOGIN-DELAY", POP3_CODE_LOGIN_DELAY},
	    {"AUTH", POP3_CODE_AUTH},
	    {"SYS/TEMP", POP3_CODE_SYS_TEMP},
	    {"SYS/PERM", POP3_CODE_SYS_PERM},
	};
	size_t i, n;

	/* Codes are hierarchical: "SYS/TEMP/DISK" is a SYS/TEMP. */
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		n = strlen(codes[i].name);
		if (strncasecmp(s, codes[i].name, n) == 0 &&
		    (s[n] == '\0' || s[n] == '/'))
			return codes[i].code;
	}
	return POP3_CODE_OTHER;
}

/* The start of some bytes, safe to quote: controls as '?'. */
static char *
pop3_snippet(const char *s, size_t len)
{
	size_t i, n = len > POP3_SNIPPET ? POP3_SNIPPET : len;
	char *out = xmalloc(n + 4);
	unsigned char ch;

	for (i = 0; i < n && s[i] != '\r' && s[i] != '\n'; i++) {
		ch = (unsigned char)s[i];
		out[i] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
	}
	if (i == POP3_SNIPPET && len > POP3_SNIPPET) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}
