/* errand: a terminal mail user agent. See LICENSE.
 * IMAP response parser. Bytes are gathered into one buffer per response
 * (lines, then each literal's bytes, bounded as they come), and a whole
 * response is tokenised in one pass into an arena that is reset for the
 * next one, so the hot path allocates nothing. Then the interpreters.
 * RFC 3501 sections 7 and 9, RFC 9051, RFC 7162, RFC 4731, RFC 5258,
 * RFC 5819, RFC 6154, RFC 3516 (literal8). */

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "imap-parse.h"

#define IMAP_PARSE_MAX_LITERAL ((size_t)64 * 1024 * 1024)
#define IMAP_PARSE_MAX_LINE ((size_t)16 * 1024 * 1024)
#define IMAP_PARSE_MAX_RESPONSE ((size_t)96 * 1024 * 1024)
#define IMAP_PARSE_MAX_DEPTH 64
#define IMAP_PARSE_MAX_ITEMS 100000
#define IMAP_PARSE_BLOCK (64 * 1024) /* arena block kept between responses */
#define IMAP_PARSE_KEEP_BUF (1024 * 1024) /* response buffer kept */

/* A block of the per-response arena. */
struct imap_block {
	struct imap_block *next;
	size_t size;
	size_t used;
	/* data follows, aligned */
};

/* A literal cut to the keep bound: where its kept bytes start in buf and
 * the size the server announced. */
struct imap_cut {
	size_t off;
	uint64_t size;
};

struct imap_parser {
	struct imap_parse_limits lim;
	size_t max_literal; /* bound in force now */
	size_t lit_keep;    /* literals over this are cut to it; 0: none */

	/* The response being gathered: lines with LF for CRLF, each literal's
	 * bytes after its line, then a NUL. */
	char *buf;
	size_t len, cap;
	size_t line_start; /* where the current line starts in buf */
	size_t lit_left;   /* literal bytes still to come */
	uint64_t lit_drop; /* then bytes of a cut literal to read and drop */
	struct imap_cut *cuts; /* the literals cut in this response */
	size_t ncuts, capcuts, nextcut;
	int in_literal;
	int no_literals; /* a status response or continuation */
	size_t wire;     /* bytes taken from the wire for this response */
	int returned;    /* a response was handed out; reset on next feed */

	struct imap_block *blocks; /* arena, the block in use first */
	struct imap_block *keep;   /* the first block, kept between responses */
	struct imap_resp resp;

	char *error;
	int failed;
};

/* The tokeniser's position in a response. */
struct imap_cur {
	struct imap_parser *p;
	const char *s;
	const char *end;
};

static void imap_failf(struct imap_parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int imap_softf(struct imap_parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void imap_reset(struct imap_parser *);
static void *imap_alloc(struct imap_parser *, size_t);
static char *imap_copy(struct imap_parser *, const char *, size_t);
static int imap_buf_append(struct imap_parser *, const char *, size_t);
static int imap_line_done(struct imap_parser *);
static int imap_line_is_status(const char *, size_t);
static int imap_literal_marker(
    struct imap_parser *, const char *, size_t, int *, uint64_t *, size_t *);
static void imap_literal_cut(struct imap_parser *, size_t, uint64_t *);
static int imap_tokenise(struct imap_parser *);
static int imap_eol(const struct imap_cur *);
static void imap_skip_sp(struct imap_cur *);
static const char *imap_word(struct imap_cur *, size_t *);
static int imap_resp_text(struct imap_cur *, struct imap_resp *);
static int imap_args(
    struct imap_cur *, const char *, const struct imap_tok **, size_t *);
static struct imap_tok *imap_value(struct imap_cur *, unsigned int);
static int imap_atom_len(struct imap_cur *, size_t *);
static enum imap_data imap_data_kind(const char *, int);
static enum imap_code imap_code_kind(const char *);
static int imap_ieq(const char *, size_t, const char *);
static unsigned int imap_flag_bit(const char *);
static int imap_range_cmp(const void *, const void *);
static int imap_code_words(struct imap_parser *, const struct imap_resp *,
    enum imap_code, char **, int);
static int imap_code_u32(const char *, uint32_t *);
static void imap_uidset_finish(
    struct imap_range *, size_t, struct imap_uidset *, int);
static int64_t imap_days_from_civil(int64_t, unsigned int, unsigned int);

/* Characters that end an atom: SP ( ) " CR LF NUL and other controls. */
static unsigned char imap_atom_end[256];
static int imap_atom_end_ready;

static const char *imap_special_names[] = {
    NULL,
    "\\All",
    "\\Archive",
    "\\Drafts",
    "\\Flagged",
    "\\Junk",
    "\\Sent",
    "\\Trash",
};

struct imap_parser *
imap_parser_new(const struct imap_parse_limits *lim)
{
	struct imap_parser *p;
	int i;

	if (!imap_atom_end_ready) {
		for (i = 0; i < 256; i++)
			imap_atom_end[i] = i < 0x20 || i == 0x7f || i == ' ' ||
			    i == '(' || i == ')' || i == '"';
		imap_atom_end_ready = 1;
	}
	p = xcalloc(1, sizeof *p);
	if (lim != NULL)
		p->lim = *lim;
	if (p->lim.max_literal == 0)
		p->lim.max_literal = IMAP_PARSE_MAX_LITERAL;
	if (p->lim.max_line == 0)
		p->lim.max_line = IMAP_PARSE_MAX_LINE;
	if (p->lim.max_response == 0)
		p->lim.max_response = IMAP_PARSE_MAX_RESPONSE;
	if (p->lim.max_depth == 0)
		p->lim.max_depth = IMAP_PARSE_MAX_DEPTH;
	if (p->lim.max_items == 0)
		p->lim.max_items = IMAP_PARSE_MAX_ITEMS;
	p->max_literal = p->lim.max_literal;
	return p;
}

void
imap_parser_free(struct imap_parser *p)
{
	struct imap_block *b, *next;

	if (p == NULL)
		return;
	for (b = p->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(p->buf);
	free(p->cuts);
	free(p->error);
	free(p);
}

void
imap_parser_set_max_literal(struct imap_parser *p, size_t n)
{
	p->max_literal = n > 0 ? n : p->lim.max_literal;
}

void
imap_parser_set_literal_keep(struct imap_parser *p, size_t n)
{
	p->lit_keep = n;
}

const char *
imap_parser_error(const struct imap_parser *p)
{
	return p->error;
}

int
imap_parser_pending(const struct imap_parser *p)
{
	return !p->returned && p->wire > 0;
}

int
imap_parser_feed(struct imap_parser *p, const void *data, size_t n,
    size_t *used, const struct imap_resp **resp)
{
	const char *in = data, *lf;
	size_t off = 0, k, linelen;

	*used = 0;
	*resp = NULL;
	if (p->failed)
		return -1;
	if (p->returned)
		imap_reset(p);

	while (off < n) {
		if (p->in_literal) {
			k = n - off < p->lit_left ? n - off : p->lit_left;
			if (imap_buf_append(p, in + off, k) != 0)
				return -1;
			off += k;
			p->wire += k;
			p->lit_left -= k;
			if (p->lit_left == 0 && p->lit_drop > 0) {
				/* The rest of a cut literal is read, never
				 * kept. */
				k = (uint64_t)(n - off) < p->lit_drop
				    ? n - off
				    : (size_t)p->lit_drop;
				off += k;
				p->wire += k;
				p->lit_drop -= k;
			}
			if (p->lit_left == 0 && p->lit_drop == 0) {
				if (imap_buf_append(p, "", 1) != 0)
					return -1;
				p->in_literal = 0;
				p->line_start = p->len;
			}
			continue;
		}
		lf = memchr(in + off, '\n', n - off);
		k = lf != NULL ? (size_t)(lf - (in + off)) : n - off;
		linelen = p->len - p->line_start + k;
		/* One more byte for a CR that is stripped below. */
		if (linelen > p->lim.max_line + 1) {
			imap_failf(p, "response line of more than %zu bytes",
			    p->lim.max_line);
			return -1;
		}
		if (imap_buf_append(p, in + off, k) != 0)
			return -1;
		off += k;
		p->wire += k;
		if (lf == NULL)
			break;
		off++;
		p->wire++;
		switch (imap_line_done(p)) {
		case -1:
			*used = off;
			return -1;
		case 0: /* a literal follows */
			continue;
		default:
			break;
		}
		if (imap_tokenise(p) != 0) {
			*used = off;
			return -1;
		}
		p->resp.size = p->wire;
		p->returned = 1;
		*used = off;
		*resp = &p->resp;
		return 1;
	}
	*used = off;
	return 0;
}

/* A line ended: returns 1 if the response is whole, 0 if a literal follows,
 * -1 on error. */
static int
imap_line_done(struct imap_parser *p)
{
	const char *line;
	size_t linelen;
	uint64_t size;
	size_t digits;
	int lit8;

	linelen = p->len - p->line_start;
	if (linelen > 0 && p->buf[p->len - 1] == '\r') {
		p->len--;
		linelen--;
	}
	if (linelen > p->lim.max_line) {
		imap_failf(
		    p, "response line of more than %zu bytes", p->lim.max_line);
		return -1;
	}
	/* An empty first line has no buffer yet: no pointer into it. */
	line = linelen > 0 ? p->buf + p->line_start : "";
	if (linelen > 0 && memchr(line, '\0', linelen) != NULL) {
		imap_failf(p, "NUL byte in a response line");
		return -1;
	}
	if (p->line_start == 0)
		p->no_literals = imap_line_is_status(line, linelen);
	if (!p->no_literals) {
		switch (imap_literal_marker(
		    p, line, linelen, &lit8, &size, &digits)) {
		case -1:
			return -1;
		case 1:
			if (p->lit_keep > 0 && size > p->lit_keep)
				imap_literal_cut(p, digits, &size);
			if (size > p->max_literal) {
				imap_failf(p,
				    "literal of %llu bytes exceeds the "
				    "%zu-byte limit",
				    (unsigned long long)size, p->max_literal);
				return -1;
			}
			if (p->len + 2 + size > p->lim.max_response) {
				imap_failf(p, "response of more than %zu bytes",
				    p->lim.max_response);
				return -1;
			}
			if (imap_buf_append(p, "\n", 1) != 0)
				return -1;
			p->lit_left = (size_t)size;
			if (size == 0) {
				if (imap_buf_append(p, "", 1) != 0)
					return -1;
				p->line_start = p->len;
			} else
				p->in_literal = 1;
			return 0;
		default:
			break;
		}
	}
	if (imap_buf_append(p, "\n", 1) != 0 || imap_buf_append(p, "", 1) != 0)
		return -1;
	p->len--; /* the NUL is not part of the response */
	return 1;
}

/* A continuation, a tagged response or an untagged status response: their
 * text never holds a literal, whatever it ends with. */
static int
imap_line_is_status(const char *line, size_t len)
{
	static const char *conds[] = {"OK", "NO", "BAD", "BYE", "PREAUTH"};
	size_t i, n;

	if (len < 2 || line[0] != '*' || line[1] != ' ')
		return 1;
	for (i = 0; i < sizeof conds / sizeof conds[0]; i++) {
		n = strlen(conds[i]);
		if (len >= 2 + n && strncasecmp(line + 2, conds[i], n) == 0 &&
		    (len == 2 + n || line[2 + n] == ' '))
			return 1;
	}
	return 0;
}

/* Does the line end with {n}, {n+} or ~{n}? 1 with the size and where its
 * digits start in the line, 0 if not, -1 on a size that does not fit. */
static int
imap_literal_marker(struct imap_parser *p, const char *line, size_t len,
    int *lit8, uint64_t *size, size_t *at)
{
	size_t i, end, digits;
	uint64_t v = 0;

	if (len < 3 || line[len - 1] != '}')
		return 0;
	end = len - 1;
	if (line[end - 1] == '+')
		end--;
	i = end;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	digits = end - i;
	if (digits == 0 || i == 0 || line[i - 1] != '{')
		return 0;
	*lit8 = i >= 2 && line[i - 2] == '~';
	if (digits > 19) {
		imap_failf(
		    p, "literal size %.*s is too large", (int)digits, line + i);
		return -1;
	}
	*at = i;
	for (; i < end; i++)
		v = v * 10 + (uint64_t)(line[i] - '0');
	*size = v;
	return 1;
}

/*
 * Cut the literal announced at the end of the current line to the keep
 * bound: its first lit_keep bytes are kept and the rest read and dropped,
 * so a server that answers BODY[]<0.n> with the whole message costs n bytes
 * of memory, not the message. The marker's digits (at in the line) are
 * rewritten to the kept size, zero-padded, and the cut recorded for the
 * token.
 */
static void
imap_literal_cut(struct imap_parser *p, size_t at, uint64_t *size)
{
	char *d = p->buf + p->line_start + at;
	uint64_t v = p->lit_keep;
	size_t i = 0;

	while (d[i] >= '0' && d[i] <= '9')
		i++;
	while (i > 0) {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	}
	if (p->ncuts == p->capcuts) {
		p->capcuts = p->capcuts > 0 ? p->capcuts * 2 : 4;
		p->cuts = xreallocarray(p->cuts, p->capcuts, sizeof *p->cuts);
	}
	/* The kept bytes follow the line and its LF. */
	p->cuts[p->ncuts].off = p->len + 1;
	p->cuts[p->ncuts].size = *size;
	p->ncuts++;
	p->lit_drop = *size - p->lit_keep;
	*size = p->lit_keep;
}

static int
imap_buf_append(struct imap_parser *p, const char *data, size_t n)
{
	size_t cap;

	if (n == 0)
		return 0; /* p->buf may still be NULL: no memcpy() */
	if (p->len + n > p->lim.max_response + 2) {
		imap_failf(
		    p, "response of more than %zu bytes", p->lim.max_response);
		return -1;
	}
	if (p->len + n > p->cap) {
		cap = p->cap > 0 ? p->cap : 4096;
		while (cap < p->len + n)
			cap *= 2;
		p->buf = xreallocarray(p->buf, 1, cap);
		p->cap = cap;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	return 0;
}

/* Forget the last response: keep the first arena block and a modest
 * buffer. */
static void
imap_reset(struct imap_parser *p)
{
	struct imap_block *b, *next;

	for (b = p->blocks; b != NULL; b = next) {
		next = b->next;
		if (b != p->keep)
			free(b);
	}
	p->blocks = p->keep;
	if (p->keep != NULL) {
		p->keep->next = NULL;
		p->keep->used = 0;
	}
	if (p->cap > IMAP_PARSE_KEEP_BUF) {
		free(p->buf);
		p->buf = NULL;
		p->cap = 0;
	}
	p->len = p->line_start = p->lit_left = p->wire = 0;
	p->lit_drop = 0;
	p->ncuts = p->nextcut = 0;
	p->in_literal = p->no_literals = p->returned = 0;
	memset(&p->resp, 0, sizeof p->resp);
}

static void
imap_failf(struct imap_parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	free(p->error);
	va_start(ap, fmt);
	xvasprintf(&p->error, fmt, ap);
	va_end(ap);
	p->failed = 1;
}

/* An interpreter's error: the stream is fine, this response is not.
 * Returns -1. */
static int
imap_softf(struct imap_parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return -1;
	free(p->error);
	va_start(ap, fmt);
	xvasprintf(&p->error, fmt, ap);
	va_end(ap);
	return -1;
}

/* Arena memory, 8-byte aligned, for this response only. A block too
 * small for the request is followed by a new one at the head of the list;
 * imap_reset() frees all but the kept block. */
static void *
imap_alloc(struct imap_parser *p, size_t n)
{
	struct imap_block *b = p->blocks;
	size_t hdr = (sizeof *b + 7) & ~(size_t)7, size;
	void *ptr;

	n = (n + 7) & ~(size_t)7;
	if (b == NULL || b->size - b->used < n) {
		size = n > IMAP_PARSE_BLOCK ? n : IMAP_PARSE_BLOCK;
		b = xmalloc(hdr + size);
		b->size = size;
		b->used = 0;
		b->next = p->blocks;
		p->blocks = b;
		if (p->keep == NULL)
			p->keep = b;
	}
	ptr = (char *)b + hdr + b->used;
	b->used += n;
	return ptr;
}

static char *
imap_copy(struct imap_parser *p, const char *s, size_t n)
{
	char *out = imap_alloc(p, n + 1);

	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/* --- tokeniser ---------------------------------------------------------- */

/* Turn the gathered bytes into p->resp. */
static int
imap_tokenise(struct imap_parser *p)
{
	struct imap_resp *r = &p->resp;
	struct imap_cur c;
	const char *w, *save;
	size_t n;
	uint32_t num;

	c.p = p;
	c.s = p->buf;
	c.end = p->buf + p->len;
	r->tag = r->name = r->code_name = r->code_text = r->text = "";

	if (*c.s == '+') {
		r->type = IMAP_RESP_CONTINUE;
		r->tag = "+";
		c.s++;
		if (*c.s == ' ')
			c.s++;
		n = (size_t)(c.end - 1 - c.s);
		r->text = imap_copy(p, c.s, n);
		return 0;
	}
	if ((w = imap_word(&c, &n)) == NULL || n == 0) {
		imap_failf(p, "response without a tag");
		return -1;
	}
	if (n == 1 && *w == '*') {
		r->type = IMAP_RESP_UNTAGGED;
		r->tag = "*";
	} else {
		r->type = IMAP_RESP_TAGGED;
		r->tag = imap_copy(p, w, n);
	}
	if (*c.s != ' ') {
		imap_failf(p, "response with nothing after its tag");
		return -1;
	}
	imap_skip_sp(&c);

	if (r->type == IMAP_RESP_UNTAGGED && *c.s >= '0' && *c.s <= '9') {
		w = imap_word(&c, &n);
		num = 0;
		while (n-- > 0) {
			if (*w < '0' || *w > '9' ||
			    num > (UINT32_MAX - (uint32_t)(*w - '0')) / 10) {
				imap_failf(p, "bad message number in response");
				return -1;
			}
			num = num * 10 + (uint32_t)(*w++ - '0');
		}
		r->number = num;
		r->has_number = 1;
		imap_skip_sp(&c);
	}
	w = imap_word(&c, &n);
	if (w == NULL || n == 0) {
		imap_failf(p, "response without a name or condition");
		return -1;
	}
	if (!r->has_number) {
		if (imap_ieq(w, n, "OK"))
			r->cond = IMAP_COND_OK;
		else if (imap_ieq(w, n, "NO"))
			r->cond = IMAP_COND_NO;
		else if (imap_ieq(w, n, "BAD"))
			r->cond = IMAP_COND_BAD;
		else if (r->type == IMAP_RESP_UNTAGGED && imap_ieq(w, n, "BYE"))
			r->cond = IMAP_COND_BYE;
		else if (r->type == IMAP_RESP_UNTAGGED &&
		    imap_ieq(w, n, "PREAUTH"))
			r->cond = IMAP_COND_PREAUTH;
	}
	if (r->cond != IMAP_COND_NONE)
		return imap_resp_text(&c, r);
	if (r->type == IMAP_RESP_TAGGED) {
		imap_failf(
		    p, "tagged response '%s' without OK, NO or BAD", r->tag);
		return -1;
	}
	r->name = imap_copy(p, w, n);
	r->data = imap_data_kind(r->name, r->has_number);
	save = c.s;
	if (imap_args(&c, r->name, &r->args, &r->nargs) == 0)
		return 0;
	if (r->data != IMAP_DATA_OTHER)
		return -1;
	/* An unknown response may hold free text: keep it as such. */
	free(p->error);
	p->error = NULL;
	p->failed = 0;
	r->args = NULL;
	r->nargs = 0;
	c.s = save;
	imap_skip_sp(&c);
	r->text = imap_copy(p, c.s, (size_t)(c.end - 1 - c.s));
	return 0;
}

/* The rest of a status response: an optional [code] and the text. */
static int
imap_resp_text(struct imap_cur *c, struct imap_resp *r)
{
	struct imap_parser *p = c->p;
	struct imap_cur sub;
	const char *w, *close;
	size_t n;

	imap_skip_sp(c);
	if (*c->s == '[') {
		c->s++;
		w = c->s;
		while (*c->s != ' ' && *c->s != ']' && *c->s != '\n')
			c->s++;
		n = (size_t)(c->s - w);
		if (n == 0) {
			imap_failf(p, "empty response code");
			return -1;
		}
		r->code_name = imap_copy(p, w, n);
		r->code = imap_code_kind(r->code_name);
		close = memchr(c->s, ']', (size_t)(c->end - c->s));
		if (close == NULL ||
		    memchr(c->s, '\n', (size_t)(close - c->s))) {
			imap_failf(
			    p, "unterminated response code [%s", r->code_name);
			return -1;
		}
		if (*c->s == ' ')
			c->s++;
		r->code_text = imap_copy(p, c->s, (size_t)(close - c->s));
		if (r->code != IMAP_CODE_OTHER && *r->code_text != '\0') {
			sub.p = p;
			sub.s = r->code_text;
			sub.end = r->code_text + strlen(r->code_text);
			if (imap_args(&sub, r->code_name, &r->code_args, &n) !=
			    0)
				return -1;
		}
		c->s = close + 1;
		imap_skip_sp(c);
	}
	r->text = imap_copy(p, c->s, (size_t)(c->end - 1 - c->s));
	return 0;
}

/* Tokens up to the end of the line (or of c->end). */
static int
imap_args(struct imap_cur *c, const char *what, const struct imap_tok **first,
    size_t *count)
{
	struct imap_tok *t, *last = NULL;

	*first = NULL;
	*count = 0;
	for (;;) {
		imap_skip_sp(c);
		if (imap_eol(c))
			break;
		if (*c->s == ')') {
			imap_failf(c->p,
			    "unbalanced parentheses in %s: unexpected ')'",
			    what);
			return -1;
		}
		if ((t = imap_value(c, 0)) == NULL)
			return -1;
		if (last == NULL)
			*first = t;
		else
			last->next = t;
		last = t;
		(*count)++;
	}
	if (c->s < c->end && *c->s == '\n' && c->s + 1 != c->end) {
		imap_failf(
		    c->p, "%s: bytes after the end of the response", what);
		return -1;
	}
	return 0;
}

static int
imap_eol(const struct imap_cur *c)
{
	return c->s >= c->end || *c->s == '\n' || *c->s == '\0';
}

static void
imap_skip_sp(struct imap_cur *c)
{
	while (c->s < c->end && *c->s == ' ')
		c->s++;
}

/* The word at c up to a space or the line end (tag, name, number). */
static const char *
imap_word(struct imap_cur *c, size_t *n)
{
	const char *w = c->s;

	while (c->s < c->end && *c->s != ' ' && *c->s != '\n')
		c->s++;
	*n = (size_t)(c->s - w);
	return w;
}

/* One value: list, quoted string, literal, NIL or atom. */
static struct imap_tok *
imap_value(struct imap_cur *c, unsigned int depth)
{
	struct imap_parser *p = c->p;
	struct imap_tok *t, *item, *last = NULL;
	const char *s, *q;
	char *out;
	size_t n;
	uint64_t size;

	t = imap_alloc(p, sizeof *t);
	memset(t, 0, sizeof *t);
	t->s = "";
	switch (*c->s) {
	case '(':
		if (depth + 1 > p->lim.max_depth) {
			imap_failf(p, "lists nested deeper than %u levels",
			    p->lim.max_depth);
			return NULL;
		}
		t->type = IMAP_TOK_LIST;
		c->s++;
		for (;;) {
			imap_skip_sp(c);
			if (imap_eol(c)) {
				imap_failf(p,
				    "unbalanced parentheses: a list is not "
				    "closed");
				return NULL;
			}
			if (*c->s == ')') {
				c->s++;
				break;
			}
			if (t->n >= p->lim.max_items) {
				imap_failf(p, "list of more than %zu items",
				    p->lim.max_items);
				return NULL;
			}
			if ((item = imap_value(c, depth + 1)) == NULL)
				return NULL;
			if (last == NULL)
				t->first = item;
			else
				last->next = item;
			last = item;
			t->n++;
		}
		return t;
	case '"':
		t->type = IMAP_TOK_QUOTED;
		s = ++c->s;
		n = 0;
		for (q = s; q < c->end && *q != '"'; q++) {
			if (*q == '\n')
				break;
			if (*q == '\\' && q + 1 < c->end && q[1] != '\n')
				q++;
			n++;
		}
		if (q >= c->end || *q != '"') {
			imap_failf(p, "unterminated quoted string");
			return NULL;
		}
		out = imap_alloc(p, n + 1);
		t->s = out;
		t->len = n;
		for (; s < q; s++) {
			if (*s == '\\')
				s++;
			*out++ = *s;
		}
		*out = '\0';
		c->s = q + 1;
		return t;
	case '~':
	case '{':
		if (*c->s == '~') {
			if (c->s + 1 >= c->end || c->s[1] != '{')
				break; /* an atom starting with ~ */
			t->literal8 = 1;
			c->s++;
		}
		c->s++;
		size = 0;
		for (n = 0; c->s < c->end && *c->s >= '0' && *c->s <= '9'; n++)
			size = size * 10 + (uint64_t)(*c->s++ - '0');
		if (c->s < c->end && *c->s == '+')
			c->s++;
		if (n == 0 || n > 19 || c->s + 2 > c->end || c->s[0] != '}' ||
		    c->s[1] != '\n') {
			imap_failf(p, "malformed literal");
			return NULL;
		}
		c->s += 2;
		if (size >= (uint64_t)(c->end - c->s)) {
			imap_failf(p, "literal cut short");
			return NULL;
		}
		t->type = IMAP_TOK_LITERAL;
		t->s = c->s;
		t->len = (size_t)size;
		t->size = size;
		/* Literals come in order: the next cut is this one or later. */
		while (p->nextcut < p->ncuts &&
		    p->cuts[p->nextcut].off < (size_t)(c->s - p->buf))
			p->nextcut++;
		if (p->nextcut < p->ncuts &&
		    p->cuts[p->nextcut].off == (size_t)(c->s - p->buf))
			t->size = p->cuts[p->nextcut].size;
		c->s += size + 1; /* the bytes and their NUL */
		return t;
	default:
		break;
	}
	if (imap_atom_len(c, &n) != 0)
		return NULL;
	if (n == 0) {
		imap_failf(p, "unexpected character 0x%02x in response",
		    (unsigned char)*c->s);
		return NULL;
	}
	if (n == 3 && imap_ieq(c->s, 3, "NIL"))
		t->type = IMAP_TOK_NIL;
	else {
		t->type = IMAP_TOK_ATOM;
		t->s = imap_copy(p, c->s, n);
		t->len = n;
	}
	c->s += n;
	return t;
}

/* The length of the atom at c. A '[' takes everything to its ']' (a
 * section such as BODY[HEADER.FIELDS (A B)]), and the atom goes on. */
static int
imap_atom_len(struct imap_cur *c, size_t *len)
{
	const unsigned char *s = (const unsigned char *)c->s;
	const unsigned char *end = (const unsigned char *)c->end;
	int depth;

	while (s < end && !imap_atom_end[*s]) {
		if (*s != '[') {
			s++;
			continue;
		}
		depth = 0;
		for (; s < end && *s != '\n'; s++) {
			if (*s == '[')
				depth++;
			else if (*s == ']' && --depth == 0)
				break;
		}
		if (s >= end || *s != ']') {
			imap_failf(c->p, "unterminated section '['");
			return -1;
		}
		s++;
	}
	*len = (size_t)((const char *)s - c->s);
	return 0;
}

static enum imap_data
imap_data_kind(const char *name, int numbered)
{
	static const struct {
		const char *name;
		enum imap_data data;
		int numbered;
	} kinds[] = {
	    {"FETCH", IMAP_DATA_FETCH, 1},
	    {"EXISTS", IMAP_DATA_EXISTS, 1},
	    {"EXPUNGE", IMAP_DATA_EXPUNGE, 1},
	    {"RECENT", IMAP_DATA_RECENT, 1},
	    {"CAPABILITY", IMAP_DATA_CAPABILITY, 0},
	    {"ENABLED", IMAP_DATA_ENABLED, 0},
	    {"LIST", IMAP_DATA_LIST, 0},
	    {"LSUB", IMAP_DATA_LSUB, 0},
	    {"STATUS", IMAP_DATA_STATUS, 0},
	    {"FLAGS", IMAP_DATA_FLAGS, 0},
	    {"SEARCH", IMAP_DATA_SEARCH, 0},
	    {"ESEARCH", IMAP_DATA_ESEARCH, 0},
	    {"VANISHED", IMAP_DATA_VANISHED, 0},
	};
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (kinds[i].numbered == numbered &&
		    strcasecmp(name, kinds[i].name) == 0)
			return kinds[i].data;
	}
	return IMAP_DATA_OTHER;
}

static enum imap_code
imap_code_kind(const char *name)
{
	static const struct {
		const char *name;
		enum imap_code code;
	} codes[] = {
	    {"ALERT", IMAP_CODE_ALERT},
	    {"CAPABILITY", IMAP_CODE_CAPABILITY},
	    {"PERMANENTFLAGS", IMAP_CODE_PERMANENTFLAGS},
	    {"UIDVALIDITY", IMAP_CODE_UIDVALIDITY},
	    {"UIDNEXT", IMAP_CODE_UIDNEXT},
	    {"HIGHESTMODSEQ", IMAP_CODE_HIGHESTMODSEQ},
	    {"NOMODSEQ", IMAP_CODE_NOMODSEQ},
	    {"CLOSED", IMAP_CODE_CLOSED},
	    {"READ-ONLY", IMAP_CODE_READ_ONLY},
	    {"READ-WRITE", IMAP_CODE_READ_WRITE},
	    {"TRYCREATE", IMAP_CODE_TRYCREATE},
	    {"UNSEEN", IMAP_CODE_UNSEEN},
	    {"AUTHENTICATIONFAILED", IMAP_CODE_AUTHENTICATIONFAILED},
	    {"COPYUID", IMAP_CODE_COPYUID},
	    {"APPENDUID", IMAP_CODE_APPENDUID},
	    {"MODIFIED", IMAP_CODE_MODIFIED},
	};
	size_t i;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		if (strcasecmp(name, codes[i].name) == 0)
			return codes[i].code;
	}
	return IMAP_CODE_OTHER;
}

static int
imap_ieq(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* --- tokens ------------------------------------------------------------- */

int
imap_tok_is(const struct imap_tok *t, const char *s)
{
	return t != NULL && t->type == IMAP_TOK_ATOM &&
	    strcasecmp(t->s, s) == 0;
}

int
imap_tok_u64(const struct imap_tok *t, uint64_t *v)
{
	const char *s;
	uint64_t n = 0;

	if (t == NULL || t->type != IMAP_TOK_ATOM || t->len == 0 || t->len > 20)
		return -1;
	for (s = t->s; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' ||
		    n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*v = n;
	return 0;
}

int
imap_tok_u32(const struct imap_tok *t, uint32_t *v)
{
	uint64_t n;

	if (imap_tok_u64(t, &n) != 0 || n > UINT32_MAX)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

int
imap_tok_is_string(const struct imap_tok *t)
{
	return t != NULL &&
	    (t->type == IMAP_TOK_ATOM || t->type == IMAP_TOK_QUOTED ||
	        t->type == IMAP_TOK_LITERAL);
}

/* --- interpreters ------------------------------------------------------- */

static unsigned int
imap_flag_bit(const char *f)
{
	if (f[0] != '\\')
		return 0;
	if (strcasecmp(f, "\\Seen") == 0)
		return IMAP_FLAG_SEEN;
	if (strcasecmp(f, "\\Answered") == 0)
		return IMAP_FLAG_ANSWERED;
	if (strcasecmp(f, "\\Flagged") == 0)
		return IMAP_FLAG_FLAGGED;
	if (strcasecmp(f, "\\Deleted") == 0)
		return IMAP_FLAG_DELETED;
	if (strcasecmp(f, "\\Draft") == 0)
		return IMAP_FLAG_DRAFT;
	if (strcasecmp(f, "\\Recent") == 0)
		return IMAP_FLAG_RECENT;
	return 0;
}

int
imap_parse_fetch(
    struct imap_parser *p, const struct imap_resp *r, struct imap_fetch *f)
{
	const struct imap_tok *it, *v, *fl;
	struct imap_fetch_body *b;
	const char *name, *lb, *rb, *lt;
	char *kw;
	size_t kwlen;
	uint32_t origin;

	memset(f, 0, sizeof *f);
	f->keywords = "";
	if (r->data != IMAP_DATA_FETCH || r->args == NULL ||
	    r->args->type != IMAP_TOK_LIST || r->nargs != 1) {
		return imap_softf(p, "malformed FETCH response");
	}
	f->seq = r->number;
	for (it = r->args->first; it != NULL; it = v->next) {
		if (it->type != IMAP_TOK_ATOM || (v = it->next) == NULL) {
			return imap_softf(p, "FETCH item without a value");
		}
		name = it->s;
		if (strcasecmp(name, "UID") == 0) {
			if (imap_tok_u32(v, &f->uid) != 0 || f->uid == 0)
				goto bad_item;
		} else if (strcasecmp(name, "FLAGS") == 0) {
			if (v->type != IMAP_TOK_LIST)
				goto bad_item;
			f->has_flags = 1;
			kwlen = 0;
			for (fl = v->first; fl != NULL; fl = fl->next) {
				if (fl->type != IMAP_TOK_ATOM)
					goto bad_item;
				if (imap_flag_bit(fl->s) == 0)
					kwlen += fl->len + 1;
			}
			kw = imap_alloc(p, kwlen + 1);
			f->keywords = kw;
			for (fl = v->first; fl != NULL; fl = fl->next) {
				unsigned int bit = imap_flag_bit(fl->s);

				if (bit != 0) {
					f->flags |= bit;
					continue;
				}
				if (kw != f->keywords)
					*kw++ = ' ';
				memcpy(kw, fl->s, fl->len);
				kw += fl->len;
			}
			*kw = '\0';
		} else if (strcasecmp(name, "MODSEQ") == 0) {
			if (v->type != IMAP_TOK_LIST || v->n != 1 ||
			    imap_tok_u64(v->first, &f->modseq) != 0)
				goto bad_item;
			f->has_modseq = 1;
		} else if (strcasecmp(name, "INTERNALDATE") == 0) {
			if (!imap_tok_is_string(v) ||
			    imap_parse_date_time(v->s, &f->internaldate) != 0)
				goto bad_item;
			f->has_internaldate = 1;
		} else if (strcasecmp(name, "RFC822.SIZE") == 0) {
			if (imap_tok_u64(v, &f->size) != 0)
				goto bad_item;
			f->has_size = 1;
		} else if (strcasecmp(name, "ENVELOPE") == 0) {
			if (v->type != IMAP_TOK_LIST)
				goto bad_item;
			f->envelope = v;
		} else if (strcasecmp(name, "BODYSTRUCTURE") == 0 ||
		    strcasecmp(name, "BODY") == 0) {
			if (v->type != IMAP_TOK_LIST)
				goto bad_item;
			f->bodystructure = v;
		} else if ((strncasecmp(name, "BODY[", 5) == 0 ||
		               strncasecmp(name, "BINARY[", 7) == 0 ||
		               strcasecmp(name, "RFC822") == 0 ||
		               strcasecmp(name, "RFC822.HEADER") == 0 ||
		               strcasecmp(name, "RFC822.TEXT") == 0)) {
			if (v->type != IMAP_TOK_NIL && !imap_tok_is_string(v))
				goto bad_item;
			if (f->nbody >= IMAP_FETCH_MAX_BODIES)
				continue;
			b = &f->body[f->nbody++];
			b->section = "";
			if ((lb = strchr(name, '[')) != NULL) {
				rb = strrchr(name, ']');
				b->section =
				    imap_copy(p, lb + 1, (size_t)(rb - lb - 1));
				origin = 0;
				if ((lt = strchr(rb, '<')) != NULL) {
					for (lt++; *lt >= '0' && *lt <= '9';
					     lt++)
						origin = origin * 10 +
						    (uint32_t)(*lt - '0');
				}
				b->origin = origin;
			} else if (strcasecmp(name, "RFC822.HEADER") == 0)
				b->section = "HEADER";
			else if (strcasecmp(name, "RFC822.TEXT") == 0)
				b->section = "TEXT";
			if (v->type != IMAP_TOK_NIL) {
				b->data = v->s;
				b->len = v->len;
				b->cut = v->type == IMAP_TOK_LITERAL &&
				    v->size > v->len;
			}
		}
		/* Anything else (X-GM-*, EMAILID, ...) is skipped. */
	}
	return 0;

bad_item:
	return imap_softf(p, "bad %s in FETCH response", it->s);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
imap_days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int
imap_parse_date_time(const char *s, time_t *t)
{
	static const char *months = "JanFebMarAprMayJunJulAugSepOctNovDec";
	unsigned int day, mon, year, hh, mm, ss, zh, zm;
	const char *m;
	int sign;
	int64_t secs;

	if (*s == ' ')
		s++;
	if (!isdigit((unsigned char)s[0]))
		return -1;
	day = (unsigned int)(s[0] - '0');
	s++;
	if (isdigit((unsigned char)*s))
		day = day * 10 + (unsigned int)(*s++ - '0');
	if (*s++ != '-' || strlen(s) < 3)
		return -1;
	for (m = months; *m != '\0'; m += 3) {
		if (strncasecmp(s, m, 3) == 0)
			break;
	}
	if (*m == '\0')
		return -1;
	mon = (unsigned int)((m - months) / 3) + 1;
	s += 3;
#define IMAP_D(i) (isdigit((unsigned char)s[i]))
#define IMAP_N(i) ((unsigned int)(s[i] - '0'))
	if (s[0] != '-' || !IMAP_D(1) || !IMAP_D(2) || !IMAP_D(3) ||
	    !IMAP_D(4) || s[5] != ' ' || !IMAP_D(6) || !IMAP_D(7) ||
	    s[8] != ':' || !IMAP_D(9) || !IMAP_D(10) || s[11] != ':' ||
	    !IMAP_D(12) || !IMAP_D(13) || s[14] != ' ' ||
	    (s[15] != '+' && s[15] != '-') || !IMAP_D(16) || !IMAP_D(17) ||
	    !IMAP_D(18) || !IMAP_D(19) || s[20] != '\0')
		return -1;
	year = IMAP_N(1) * 1000 + IMAP_N(2) * 100 + IMAP_N(3) * 10 + IMAP_N(4);
	hh = IMAP_N(6) * 10 + IMAP_N(7);
	mm = IMAP_N(9) * 10 + IMAP_N(10);
	ss = IMAP_N(12) * 10 + IMAP_N(13);
	sign = s[15] == '-' ? -1 : 1;
	zh = IMAP_N(16) * 10 + IMAP_N(17);
	zm = IMAP_N(18) * 10 + IMAP_N(19);
#undef IMAP_D
#undef IMAP_N
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || zm > 59)
		return -1;
	secs = imap_days_from_civil(year, mon, day) * 86400 +
	    (int64_t)hh * 3600 + mm * 60 + ss;
	secs -= sign * ((int64_t)zh * 3600 + zm * 60);
	*t = (time_t)secs;
	return 0;
}

enum imap_special
imap_special_from_attr(const char *a)
{
	size_t i;

	for (i = 1; i < sizeof imap_special_names / sizeof *imap_special_names;
	     i++) {
		if (strcasecmp(a, imap_special_names[i]) == 0)
			return (enum imap_special)i;
	}
	return IMAP_SPECIAL_NONE;
}

const char *
imap_special_name(enum imap_special s)
{
	if ((size_t)s >= sizeof imap_special_names / sizeof *imap_special_names)
		return NULL;
	return imap_special_names[s];
}

int
imap_parse_list(
    struct imap_parser *p, const struct imap_resp *r, struct imap_list_item *l)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} attrs[] = {
	    {"\\Noselect", IMAP_LIST_NOSELECT},
	    {"\\NonExistent", IMAP_LIST_NONEXISTENT},
	    {"\\Noinferiors", IMAP_LIST_NOINFERIORS},
	    {"\\HasChildren", IMAP_LIST_HASCHILDREN},
	    {"\\HasNoChildren", IMAP_LIST_HASNOCHILDREN},
	    {"\\Marked", IMAP_LIST_MARKED},
	    {"\\Unmarked", IMAP_LIST_UNMARKED},
	    {"\\Subscribed", IMAP_LIST_SUBSCRIBED},
	    {"\\Remote", IMAP_LIST_REMOTE},
	};
	const struct imap_tok *a, *d, *n;
	enum imap_special sp;
	size_t i;

	memset(l, 0, sizeof *l);
	a = r->args;
	if ((r->data != IMAP_DATA_LIST && r->data != IMAP_DATA_LSUB) ||
	    a == NULL || a->type != IMAP_TOK_LIST || (d = a->next) == NULL ||
	    (n = d->next) == NULL || !imap_tok_is_string(n) ||
	    (d->type != IMAP_TOK_NIL && !imap_tok_is_string(d))) {
		return imap_softf(p, "malformed %s response", r->name);
	}
	for (a = a->first; a != NULL; a = a->next) {
		if (a->type != IMAP_TOK_ATOM)
			continue;
		for (i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
			if (strcasecmp(a->s, attrs[i].name) == 0)
				l->attrs |= attrs[i].bit;
		}
		if ((sp = imap_special_from_attr(a->s)) != IMAP_SPECIAL_NONE)
			l->special = sp;
	}
	l->delim = d->type == IMAP_TOK_NIL ? '\0' : d->s[0];
	l->name = n->s;
	l->namelen = n->len;
	return 0;
}

int
imap_parse_status(struct imap_parser *p, const struct imap_resp *r,
    struct imap_status_item *st)
{
	const struct imap_tok *n, *l, *it, *v;
	uint64_t u;

	memset(st, 0, sizeof *st);
	n = r->args;
	if (r->data != IMAP_DATA_STATUS || !imap_tok_is_string(n) ||
	    (l = n->next) == NULL || l->type != IMAP_TOK_LIST)
		goto bad;
	st->name = n->s;
	st->namelen = n->len;
	for (it = l->first; it != NULL; it = v->next) {
		if ((v = it->next) == NULL || imap_tok_u64(v, &u) != 0)
			goto bad;
		if (imap_tok_is(it, "HIGHESTMODSEQ")) {
			st->highestmodseq = u;
			st->has_highestmodseq = 1;
			continue;
		}
		if (u > UINT32_MAX)
			goto bad;
		if (imap_tok_is(it, "MESSAGES")) {
			st->messages = (uint32_t)u;
			st->has_messages = 1;
		} else if (imap_tok_is(it, "UNSEEN")) {
			st->unseen = (uint32_t)u;
			st->has_unseen = 1;
		} else if (imap_tok_is(it, "UIDNEXT")) {
			st->uidnext = (uint32_t)u;
			st->has_uidnext = 1;
		} else if (imap_tok_is(it, "UIDVALIDITY")) {
			st->uidvalidity = (uint32_t)u;
			st->has_uidvalidity = 1;
		} else if (imap_tok_is(it, "RECENT")) {
			st->recent = (uint32_t)u;
			st->has_recent = 1;
		}
	}
	return 0;
bad:
	return imap_softf(p, "malformed STATUS response");
}

static int
imap_range_cmp(const void *a, const void *b)
{
	const struct imap_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

/* Sort (unless already sorted) and merge ranges in place into *set. */
static void
imap_uidset_finish(
    struct imap_range *r, size_t n, struct imap_uidset *set, int sorted)
{
	size_t i, out = 0;

	if (!sorted)
		qsort(r, n, sizeof *r, imap_range_cmp);
	set->count = 0;
	for (i = 0; i < n; i++) {
		if (out > 0 &&
		    (uint64_t)r[i].lo <= (uint64_t)r[out - 1].hi + 1) {
			if (r[i].hi > r[out - 1].hi)
				r[out - 1].hi = r[i].hi;
			continue;
		}
		r[out++] = r[i];
	}
	for (i = 0; i < out; i++)
		set->count += (uint64_t)r[i].hi - r[i].lo + 1;
	set->r = r;
	set->n = out;
}

int
imap_uidset_contains(const struct imap_uidset *set, uint32_t uid)
{
	size_t lo = 0, hi = set->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (uid < set->r[mid].lo)
			hi = mid;
		else if (uid > set->r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/*
 * One range of the uid set at *sp ("7", "3:9", "5:*"), moving *sp past it:
 * v[0] and v[1] its ends, '*' read as star (0: not allowed), *starred set
 * when one end was '*'. 0, or -1 when it is not a range of UIDs 1 and up.
 */
static int
imap_uidset_range(const char **sp, uint32_t star, uint64_t v[2], int *starred)
{
	const char *s = *sp;
	int k;

	*starred = 0;
	for (k = 0; k < 2; k++) {
		if (*s == '*') {
			v[k] = star;
			*starred = 1;
			s++;
		} else {
			if (*s < '0' || *s > '9')
				return -1;
			for (v[k] = 0; *s >= '0' && *s <= '9'; s++) {
				v[k] = v[k] * 10 + (uint64_t)(*s - '0');
				if (v[k] > UINT32_MAX)
					return -1;
			}
		}
		if (v[k] == 0)
			return -1;
		if (k == 0 && *s != ':') {
			v[1] = v[0];
			break;
		}
		if (k == 0)
			s++;
	}
	*sp = s;
	return 0;
}

int
imap_uidset_valid(const char *s, uint64_t *count)
{
	uint64_t v[2], n = 0;
	int starred;

	for (;;) {
		if (imap_uidset_range(&s, UINT32_MAX, v, &starred) != 0)
			return 0;
		n +=
		    starred ? 1 : (v[0] < v[1] ? v[1] - v[0] : v[0] - v[1]) + 1;
		if (*s == '\0')
			break;
		if (*s++ != ',')
			return 0;
	}
	if (count != NULL)
		*count = n;
	return 1;
}

int
imap_parse_uidset(struct imap_parser *p, const char *s, uint32_t star,
    struct imap_uidset *set)
{
	struct imap_range *r;
	const char *q;
	size_t n = 1, i = 0;
	uint64_t v[2];
	int starred, sorted = 1;

	memset(set, 0, sizeof *set);
	for (q = s; *q != '\0'; q++)
		n += *q == ',';
	r = imap_alloc(p, n * sizeof *r);
	for (;;) {
		if (imap_uidset_range(&s, star, v, &starred) != 0)
			goto bad;
		r[i].lo = (uint32_t)(v[0] < v[1] ? v[0] : v[1]);
		r[i].hi = (uint32_t)(v[0] < v[1] ? v[1] : v[0]);
		if (i > 0 && r[i].lo <= r[i - 1].hi)
			sorted = 0;
		i++;
		if (*s == '\0')
			break;
		if (*s++ != ',' || i >= n)
			goto bad;
	}
	imap_uidset_finish(r, i, set, sorted);
	return 0;
bad:
	memset(set, 0, sizeof *set);
	return imap_softf(p, "malformed uid set");
}

int
imap_parse_vanished(struct imap_parser *p, const struct imap_resp *r,
    int *earlier, struct imap_uidset *set)
{
	const struct imap_tok *t = r->args;

	*earlier = 0;
	memset(set, 0, sizeof *set);
	if (r->data != IMAP_DATA_VANISHED)
		goto bad;
	if (t != NULL && t->type == IMAP_TOK_LIST) {
		if (t->n != 1 || !imap_tok_is(t->first, "EARLIER"))
			goto bad;
		*earlier = 1;
		t = t->next;
	}
	if (t == NULL || t->type != IMAP_TOK_ATOM || t->next != NULL)
		goto bad;
	return imap_parse_uidset(p, t->s, 0, set);
bad:
	return imap_softf(p, "malformed VANISHED response");
}

int
imap_parse_search(
    struct imap_parser *p, const struct imap_resp *r, struct imap_uidset *set)
{
	const struct imap_tok *t;
	struct imap_range *rg;
	uint32_t v;
	size_t n = 0;
	int sorted = 1;

	memset(set, 0, sizeof *set);
	if (r->data == IMAP_DATA_SEARCH) {
		rg = imap_alloc(p, (r->nargs > 0 ? r->nargs : 1) * sizeof *rg);
		for (t = r->args; t != NULL; t = t->next) {
			if (t->type == IMAP_TOK_LIST && t->next == NULL)
				break; /* (MODSEQ n) of CONDSTORE */
			if (imap_tok_u32(t, &v) != 0 || v == 0)
				goto bad;
			if (n > 0 && v <= rg[n - 1].hi)
				sorted = 0;
			rg[n].lo = rg[n].hi = v;
			n++;
		}
		imap_uidset_finish(rg, n, set, sorted);
		return 0;
	}
	if (r->data != IMAP_DATA_ESEARCH)
		goto bad;
	t = r->args;
	if (t != NULL && t->type == IMAP_TOK_LIST) /* (TAG "a1") */
		t = t->next;
	if (imap_tok_is(t, "UID"))
		t = t->next;
	for (; t != NULL; t = t->next->next) {
		if (t->type != IMAP_TOK_ATOM || t->next == NULL)
			goto bad;
		if (imap_tok_is(t, "ALL")) {
			if (t->next->type != IMAP_TOK_ATOM)
				goto bad;
			return imap_parse_uidset(p, t->next->s, 0, set);
		}
	}
	return 0;
bad:
	return imap_softf(p, "malformed %s response", r->name);
}

/* The code's arguments split at spaces into want words in the arena. */
static int
imap_code_words(struct imap_parser *p, const struct imap_resp *r,
    enum imap_code code, char **w, int want)
{
	const char *s, *e;
	int n = 0;

	if (r->code != code)
		return -1;
	for (s = r->code_text; *s != '\0';) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		e = s + strcspn(s, " ");
		if (n == want)
			return -1;
		w[n++] = imap_copy(p, s, (size_t)(e - s));
		s = e;
	}
	return n == want ? 0 : -1;
}

static int
imap_code_u32(const char *s, uint32_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > UINT32_MAX)
			return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

int
imap_parse_copyuid(struct imap_parser *p, const struct imap_resp *r,
    uint32_t *uidvalidity, struct imap_uidset *src, struct imap_uidset *dst)
{
	char *w[3];

	memset(src, 0, sizeof *src);
	memset(dst, 0, sizeof *dst);
	*uidvalidity = 0;
	if (imap_code_words(p, r, IMAP_CODE_COPYUID, w, 3) != 0 ||
	    imap_code_u32(w[0], uidvalidity) != 0 || *uidvalidity == 0 ||
	    imap_parse_uidset(p, w[1], 0, src) != 0 ||
	    imap_parse_uidset(p, w[2], 0, dst) != 0 ||
	    src->count != dst->count) {
		memset(src, 0, sizeof *src);
		memset(dst, 0, sizeof *dst);
		return imap_softf(p, "malformed COPYUID response code");
	}
	return 0;
}

int
imap_parse_appenduid(struct imap_parser *p, const struct imap_resp *r,
    uint32_t *uidvalidity, struct imap_uidset *set)
{
	char *w[2];

	memset(set, 0, sizeof *set);
	*uidvalidity = 0;
	if (imap_code_words(p, r, IMAP_CODE_APPENDUID, w, 2) != 0 ||
	    imap_code_u32(w[0], uidvalidity) != 0 || *uidvalidity == 0 ||
	    imap_parse_uidset(p, w[1], 0, set) != 0) {
		memset(set, 0, sizeof *set);
		return imap_softf(p, "malformed APPENDUID response code");
	}
	return 0;
}

int
imap_parse_modified(
    struct imap_parser *p, const struct imap_resp *r, struct imap_uidset *set)
{
	char *w[1];

	memset(set, 0, sizeof *set);
	if (imap_code_words(p, r, IMAP_CODE_MODIFIED, w, 1) != 0 ||
	    imap_parse_uidset(p, w[0], 0, set) != 0) {
		memset(set, 0, sizeof *set);
		return imap_softf(p, "malformed MODIFIED response code");
	}
	return 0;
}
