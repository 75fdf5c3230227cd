/* errand: a terminal mail user agent. See LICENSE.
 * mutt's pattern language: a recursive-descent parser into a tree of
 * terms, a matcher in three values (yes, no, needs the body) over cache
 * rows that allocates nothing, and a translation to IMAP SEARCH keys. */

#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/pattern.h"
#include "xmalloc.h"
#include "cache/store.h"

#define PATTERN_DEPTH 64 /* nesting of ( and ! */

enum pat_op {
	PAT_AND,
	PAT_OR,
	PAT_NOT,
	PAT_TERM,
};

/* How a string term compares. */
enum pat_how {
	PAT_SUB,   /* substring (=x, and ~x whose argument has no regex) */
	PAT_REGEX, /* POSIX extended regular expression */
};

struct pat_node {
	enum pat_op op;
	struct pat_node *a, *b; /* operands of and, or (a, b) and not (a) */
	int term;               /* the letter: 'f', 's', 'N'... */
	int eq;                 /* written =x */
	size_t col;             /* 1-based column of the term */
	enum pat_how how;
	char *needle;             /* the argument (lower-cased when icase) */
	unsigned char shift[256]; /* icase: Horspool's skip by the last byte */
	size_t nlen;
	int icase;  /* no upper-case letter: ignore case */
	int has_re; /* re is compiled */
	regex_t re;
	int64_t lo, hi; /* ~d ~r ~z: inclusive bounds */
	int absolute;   /* ~d ~r: day bounds (IMAP can say them) */
};

struct pattern {
	struct pat_node *root;
	const char *user; /* copy, or NULL */
	char *user_copy;
	int body, tags;    /* some term needs them */
	unsigned int cols; /* the STORE_COL_* the terms read */
};

/* The parser's state. */
struct pat_parse {
	const char *s, *p;
	const struct pattern_opts *opts;
	int64_t now;
	char *err;
	int depth;
	struct pattern *pat;
};

/* What each term letter reads. */
enum pat_kind {
	PAT_K_STRING, /* takes a string or regex */
	PAT_K_DATE,
	PAT_K_SIZE,
	PAT_K_FLAG, /* no argument */
};

static const struct {
	int c;
	enum pat_kind kind;
	const char *imap; /* IMAP key, or NULL */
} pat_terms[] = {
    {'f', PAT_K_STRING, "FROM"},
    {'t', PAT_K_STRING, "TO"},
    {'c', PAT_K_STRING, "CC"},
    {'C', PAT_K_STRING, NULL},
    {'s', PAT_K_STRING, "SUBJECT"},
    {'b', PAT_K_STRING, "BODY"},
    {'B', PAT_K_STRING, "TEXT"},
    {'h', PAT_K_STRING, NULL},
    {'e', PAT_K_STRING, "HEADER Sender"},
    {'i', PAT_K_STRING, "HEADER Message-ID"},
    {'x', PAT_K_STRING, "HEADER References"},
    {'y', PAT_K_STRING, NULL},
    {'d', PAT_K_DATE, NULL},
    {'r', PAT_K_DATE, NULL},
    {'z', PAT_K_SIZE, NULL},
    {'N', PAT_K_FLAG, "UNSEEN"},
    {'O', PAT_K_FLAG, NULL},
    {'U', PAT_K_FLAG, "UNSEEN"},
    {'R', PAT_K_FLAG, "SEEN"},
    {'F', PAT_K_FLAG, "FLAGGED"},
    {'D', PAT_K_FLAG, "DELETED"},
    {'T', PAT_K_FLAG, NULL},
    {'Q', PAT_K_FLAG, "ANSWERED"},
    {'A', PAT_K_FLAG, "ALL"},
    {'P', PAT_K_FLAG, NULL},
    {'p', PAT_K_FLAG, NULL},
};

static int pat_error(struct pat_parse *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static size_t pat_col(const struct pat_parse *, const char *);
static void pat_skip(struct pat_parse *);
static struct pat_node *pat_node(
    enum pat_op, struct pat_node *, struct pat_node *);
static void pat_node_free(struct pat_node *);
static struct pat_node *pat_or(struct pat_parse *);
static struct pat_node *pat_and(struct pat_parse *);
static struct pat_node *pat_unary(struct pat_parse *);
static struct pat_node *pat_term(struct pat_parse *);
static struct pat_node *pat_word(struct pat_parse *);
static int pat_arg(struct pat_parse *, char **, size_t *);
static int pat_kind(int, enum pat_kind *);
static int pat_string(struct pat_parse *, struct pat_node *, char *, size_t);
static int pat_date(struct pat_parse *, struct pat_node *, const char *);
static int pat_size(struct pat_parse *, struct pat_node *, const char *);
static int pat_day(const char *, const char **, int64_t, int64_t *, int64_t *);
static int64_t pat_ago(int64_t, long, int);
static int64_t pat_day_start(int64_t);
static int pat_find(const struct pat_node *, const char *, size_t);
static int pat_str(const struct pat_node *, const char *);
static int pat_header(
    const struct pat_node *, const char *, size_t, const char *);
static size_t pat_head_len(const char *, size_t);
static int pat_names_user(const char *, const char *);
static int pat_is_user(const char *, const char *);
static enum pattern_result pat_eval(const struct pattern *,
    const struct pat_node *, const struct store_msg *,
    const struct pattern_row *);
static enum pattern_result pat_eval_term(const struct pattern *,
    const struct pat_node *, const struct store_msg *,
    const struct pattern_row *);
static int pat_imap(
    const struct pat_node *, char **, size_t *, size_t *, int *, char **);
static void pat_cat(char **, size_t *, size_t *, const char *, ...)
    __attribute__((format(printf, 4, 5)));
static int pat_imap_string(
    const struct pat_node *, char **, size_t *, size_t *, int *);
static void pat_imap_date(char **, size_t *, size_t *, const char *, int64_t);
static unsigned int pat_cols(const struct pat_node *);

static const unsigned char pat_lower[256] = {
#define L(c) ((unsigned char)((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c)))
#define L4(c) L(c), L(c + 1), L(c + 2), L(c + 3)
#define L16(c) L4(c), L4(c + 4), L4(c + 8), L4(c + 12)
#define L64(c) L16(c), L16(c + 16), L16(c + 32), L16(c + 48)
    L64(0), L64(64), L64(128), L64(192)
#undef L64
#undef L16
#undef L4
#undef L
};

/* Set the parse error "pattern: WHAT at column N"; returns -1. */
static int
pat_error(struct pat_parse *ps, size_t col, const char *fmt, ...)
{
	va_list ap;
	char *what;

	if (ps->err != NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) == -1)
		fatalx("%s: out of memory", __func__);
	va_end(ap);
	xasprintf(&ps->err, "pattern: %s at column %zu", what, col);
	free(what);
	return -1;
}

/* The 1-based column of p in the pattern (characters, not bytes). */
static size_t
pat_col(const struct pat_parse *ps, const char *p)
{
	const char *q;
	size_t col = 1;

	for (q = ps->s; q < p; q++) {
		if (((unsigned char)*q & 0xc0) != 0x80)
			col++;
	}
	return col;
}

static void
pat_skip(struct pat_parse *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

static struct pat_node *
pat_node(enum pat_op op, struct pat_node *a, struct pat_node *b)
{
	struct pat_node *n = xcalloc(1, sizeof *n);

	n->op = op;
	n->a = a;
	n->b = b;
	return n;
}

static void
pat_node_free(struct pat_node *n)
{
	if (n == NULL)
		return;
	pat_node_free(n->a);
	pat_node_free(n->b);
	if (n->has_re)
		regfree(&n->re);
	free(n->needle);
	free(n);
}

/* or := and ('|' and)* */
static struct pat_node *
pat_or(struct pat_parse *ps)
{
	struct pat_node *l, *r;
	const char *bar;

	if ((l = pat_and(ps)) == NULL)
		return NULL;
	for (;;) {
		pat_skip(ps);
		if (*ps->p != '|')
			return l;
		bar = ps->p++;
		pat_skip(ps);
		if (*ps->p == '\0' || *ps->p == '|' || *ps->p == ')') {
			pat_error(
			    ps, pat_col(ps, bar), "'|' needs a term after it");
			pat_node_free(l);
			return NULL;
		}
		if ((r = pat_and(ps)) == NULL) {
			pat_node_free(l);
			return NULL;
		}
		l = pat_node(PAT_OR, l, r);
	}
}

/* and := unary unary* (terms side by side must all match) */
static struct pat_node *
pat_and(struct pat_parse *ps)
{
	struct pat_node *l, *r;

	pat_skip(ps);
	if (*ps->p == '|') {
		pat_error(ps, pat_col(ps, ps->p), "'|' needs a term before it");
		return NULL;
	}
	if ((l = pat_unary(ps)) == NULL)
		return NULL;
	for (;;) {
		pat_skip(ps);
		if (*ps->p == '\0' || *ps->p == '|' || *ps->p == ')')
			return l;
		if ((r = pat_unary(ps)) == NULL) {
			pat_node_free(l);
			return NULL;
		}
		l = pat_node(PAT_AND, l, r);
	}
}

/* unary := '!' unary | '(' or ')' | term */
static struct pat_node *
pat_unary(struct pat_parse *ps)
{
	struct pat_node *n;
	const char *at;

	pat_skip(ps);
	at = ps->p;
	if (++ps->depth > PATTERN_DEPTH) {
		pat_error(ps, pat_col(ps, at), "nested too deep");
		return NULL;
	}
	if (*at == '!') {
		ps->p++;
		pat_skip(ps);
		if (*ps->p == '\0' || *ps->p == '|' || *ps->p == ')') {
			pat_error(
			    ps, pat_col(ps, at), "'!' needs a term after it");
			return NULL;
		}
		if ((n = pat_unary(ps)) == NULL)
			return NULL;
		ps->depth--;
		return pat_node(PAT_NOT, n, NULL);
	}
	if (*at == '(') {
		ps->p++;
		pat_skip(ps);
		if (*ps->p == ')') {
			pat_error(ps, pat_col(ps, at), "empty '()'");
			return NULL;
		}
		if ((n = pat_or(ps)) == NULL)
			return NULL;
		pat_skip(ps);
		if (*ps->p != ')') {
			pat_node_free(n);
			pat_error(ps, pat_col(ps, at), "unmatched '('");
			return NULL;
		}
		ps->p++;
		ps->depth--;
		return n;
	}
	if (*at == ')') {
		pat_error(ps, pat_col(ps, at), "unmatched ')'");
		return NULL;
	}
	ps->depth--;
	if ((*at == '~' || *at == '=') && at[1] != '\0' &&
	    isalpha((unsigned char)at[1]))
		return pat_term(ps);
	if (*at == '~' || *at == '=') {
		pat_error(
		    ps, pat_col(ps, at), "'%c' needs a letter after it", *at);
		return NULL;
	}
	return pat_word(ps);
}

static int
pat_kind(int c, enum pat_kind *kind)
{
	size_t i;

	for (i = 0; i < sizeof pat_terms / sizeof pat_terms[0]; i++) {
		if (pat_terms[i].c == c) {
			*kind = pat_terms[i].kind;
			return 0;
		}
	}
	return -1;
}

/* A term: ~X or =X and its argument. */
static struct pat_node *
pat_term(struct pat_parse *ps)
{
	struct pat_node *n;
	enum pat_kind kind;
	const char *at = ps->p;
	char *arg;
	size_t len;
	int rc;

	ps->p += 2;
	if (pat_kind((unsigned char)at[1], &kind) == -1 ||
	    (*at == '=' && kind != PAT_K_STRING)) {
		pat_error(
		    ps, pat_col(ps, at), "unknown term '%c%c'", at[0], at[1]);
		return NULL;
	}
	n = pat_node(PAT_TERM, NULL, NULL);
	n->term = at[1];
	n->eq = *at == '=';
	n->col = pat_col(ps, at);
	if (n->term == 'T')
		ps->pat->tags = 1;
	if (strchr("bBhe", n->term) != NULL)
		ps->pat->body = 1;
	if (kind == PAT_K_FLAG) {
		/* ~Fx is an error, not ~F then x */
		if (*ps->p != '\0' && strchr(" \t|)", *ps->p) == NULL) {
			pat_error(ps, n->col, "unknown term '%c%c%c'", at[0],
			    at[1], *ps->p);
			pat_node_free(n);
			return NULL;
		}
		return n;
	}
	if (*ps->p != ' ' && *ps->p != '\t' && *ps->p != '\0' &&
	    *ps->p != '\'' && *ps->p != '"' && kind == PAT_K_STRING) {
		pat_error(
		    ps, n->col, "unknown term '%c%c%c'", at[0], at[1], *ps->p);
		pat_node_free(n);
		return NULL;
	}
	pat_skip(ps);
	if (*ps->p == '\0' || *ps->p == ')' || *ps->p == '|') {
		pat_error(ps, n->col, "'%c%c' needs an argument", at[0], at[1]);
		pat_node_free(n);
		return NULL;
	}
	if (pat_arg(ps, &arg, &len) == -1) {
		pat_node_free(n);
		return NULL;
	}
	if (kind == PAT_K_STRING)
		rc = pat_string(ps, n, arg, len); /* takes arg */
	else {
		rc = kind == PAT_K_DATE ? pat_date(ps, n, arg)
		                        : pat_size(ps, n, arg);
		free(arg);
	}
	if (rc == -1) {
		pat_node_free(n);
		return NULL;
	}
	return n;
}

/* A plain word or quoted string: ~f word | ~s word, as substrings (mutt's
 * default simple search, without its regular expression). */
static struct pat_node *
pat_word(struct pat_parse *ps)
{
	struct pat_node *f, *s;
	const char *at = ps->p;
	char *arg;
	size_t len;

	if (pat_arg(ps, &arg, &len) == -1)
		return NULL;
	f = pat_node(PAT_TERM, NULL, NULL);
	f->term = 'f';
	f->eq = 1;
	f->col = pat_col(ps, at);
	s = pat_node(PAT_TERM, NULL, NULL);
	s->term = 's';
	s->eq = 1;
	s->col = f->col;
	if (pat_string(ps, f, xstrdup(arg), len) == -1 ||
	    pat_string(ps, s, arg, len) == -1) {
		pat_node_free(f);
		pat_node_free(s);
		return NULL;
	}
	return pat_node(PAT_OR, f, s);
}

/* An argument: 'single quoted' (as written), "double quoted" or bare (up to
 * a space or a ')' that closes no '(' of its own), where a backslash takes
 * the next space, quote or backslash as it is (and stays before anything
 * else, for regular expressions). *arg is the caller's. */
static int
pat_arg(struct pat_parse *ps, char **arg, size_t *len)
{
	const char *at = ps->p, *p = ps->p;
	char *out, q = 0;
	size_t n = 0;
	int depth = 0;

	out = xmalloc(strlen(p) + 1);
	if (*p == '\'' || *p == '"')
		q = *p++;
	for (;; p++) {
		if (*p == '\0') {
			if (q != 0) {
				free(out);
				return pat_error(ps, pat_col(ps, at),
				    "unclosed %s quote",
				    q == '"' ? "double" : "single");
			}
			break;
		}
		if (q != 0 && *p == q) {
			p++;
			break;
		}
		if (q == 0 && (*p == ' ' || *p == '\t'))
			break;
		if (q == 0 && *p == '(')
			depth++;
		if (q == 0 && *p == ')' && depth-- == 0)
			break;
		if (*p == '\\' && q != '\'' && p[1] != '\0' &&
		    strchr(" \t'\"\\()", p[1]) != NULL) {
			out[n++] = *++p;
			continue;
		}
		out[n++] = *p;
	}
	out[n] = '\0';
	ps->p = p;
	if (q != 0 && *p != '\0' && strchr(" \t|)", *p) == NULL) {
		free(out);
		return pat_error(ps, pat_col(ps, p),
		    "a space is needed after a quoted string");
	}
	*arg = out;
	*len = n;
	return 0;
}

/* Set up a string term from arg (taken): smart case, and a regular
 * expression for ~x unless the argument is a plain string. */
static int
pat_string(struct pat_parse *ps, struct pat_node *n, char *arg, size_t len)
{
	size_t i, skip;
	int rc, flags = REG_EXTENDED | REG_NOSUB;
	unsigned char c;
	char buf[256];

	n->needle = arg;
	n->nlen = len;
	n->icase = 1;
	for (i = 0; i < len; i++) {
		if (isupper((unsigned char)arg[i]))
			n->icase = 0;
	}
	if (n->eq || strpbrk(arg, ".[]()*+?{}|^$\\") == NULL) {
		n->how = PAT_SUB;
		if (n->icase) {
			for (i = 0; i < len; i++)
				arg[i] = (char)pat_lower[(unsigned char)arg[i]];
			/* Horspool: how far a window may move by its last
			 * byte, either case of it (at most 255: safe). */
			memset(n->shift, len < 255 ? (int)len : 255,
			    sizeof n->shift);
			for (i = 0; i + 1 < len; i++) {
				c = (unsigned char)arg[i];
				skip = len - 1 - i < 255 ? len - 1 - i : 255;
				n->shift[c] = (unsigned char)skip;
				if (c >= 'a' && c <= 'z')
					n->shift[c - 32] = (unsigned char)skip;
			}
		}
		return 0;
	}
	n->how = PAT_REGEX;
	if (n->icase)
		flags |= REG_ICASE;
	if ((rc = regcomp(&n->re, arg, flags)) != 0) {
		regerror(rc, &n->re, buf, sizeof buf);
		return pat_error(
		    ps, n->col, "bad regular expression '%s' (%s)", arg, buf);
	}
	n->has_re = 1;
	return 0;
}

/* Midnight (local time) of the day holding t. */
static int64_t
pat_day_start(int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (localtime_r(&tt, &tm) == NULL)
		return t;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

/* now less n units (d w m y). */
static int64_t
pat_ago(int64_t now, long n, int unit)
{
	struct tm tm;
	time_t tt = (time_t)now;

	if (localtime_r(&tt, &tm) == NULL)
		return now;
	switch (unit) {
	case 'd':
		tm.tm_mday -= (int)n;
		break;
	case 'w':
		tm.tm_mday -= (int)(7 * n);
		break;
	case 'm':
		tm.tm_mon -= (int)n;
		break;
	default:
		tm.tm_year -= (int)n;
		break;
	}
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

/* A day DD[/MM[/YY[YY]]] (month and year default to now's) at s: its first
 * and last second in *lo and *hi, *end after it. 0, or -1. */
static int
pat_day(const char *s, const char **end, int64_t now, int64_t *lo, int64_t *hi)
{
	struct tm tm, chk;
	time_t tt = (time_t)now;
	long v[3] = {0, 0, 0};
	int i, digits;

	if (localtime_r(&tt, &tm) == NULL)
		return -1;
	v[1] = tm.tm_mon + 1;
	v[2] = tm.tm_year + 1900;
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (*s != '/')
				break;
			s++;
		}
		for (digits = 0, v[i] = 0; isdigit((unsigned char)*s);
		     s++, digits++) {
			if (digits == 4)
				return -1;
			v[i] = v[i] * 10 + (*s - '0');
		}
		if (digits == 0 || (i < 2 && digits > 2) ||
		    (i == 2 && digits != 2 && digits != 4))
			return -1;
		if (i == 2 && digits == 2)
			v[2] += v[2] < 70 ? 2000 : 1900;
	}
	memset(&tm, 0, sizeof tm);
	tm.tm_mday = (int)v[0];
	tm.tm_mon = (int)v[1] - 1;
	tm.tm_year = (int)v[2] - 1900;
	tm.tm_isdst = -1;
	chk = tm;
	*lo = (int64_t)mktime(&tm);
	if (v[0] < 1 || v[0] > 31 || v[1] < 1 || v[1] > 12 ||
	    tm.tm_mday != chk.tm_mday || tm.tm_mon != chk.tm_mon)
		return -1; /* 31/02 */
	tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	*hi = (int64_t)mktime(&tm) - 1;
	*end = s;
	return 0;
}

/* ~d and ~r: DD/MM/YYYY[-DD/MM/YYYY], -DD/MM/YYYY, DD/MM/YYYY-, or <Nu
 * (newer than N units), >Nu (older), =Nu (that day), u one of d w m y. */
static int
pat_date(struct pat_parse *ps, struct pat_node *n, const char *arg)
{
	const char *p = arg;
	int64_t lo, hi, lo2, hi2, t;
	char *end;
	long v;

	if (*p == '<' || *p == '>' || *p == '=') {
		v = strtol(p + 1, &end, 10);
		if (!isdigit((unsigned char)p[1]) || v < 0 || v > 100000 ||
		    end[0] == '\0' || strchr("dwmy", end[0]) == NULL ||
		    end[1] != '\0')
			return pat_error(ps, n->col,
			    "bad relative date '%s' (e.g. <3d, >2w, =1m)", arg);
		t = pat_ago(ps->now, v, end[0]);
		if (*p == '<') {
			n->lo = t;
			n->hi = INT64_MAX;
		} else if (*p == '>') {
			n->lo = INT64_MIN;
			n->hi = t - 1;
		} else {
			n->lo = pat_day_start(t);
			n->hi = pat_ago(n->lo, -1, 'd') - 1;
		}
		return 0;
	}
	n->absolute = 1;
	n->lo = INT64_MIN;
	n->hi = INT64_MAX;
	if (*p != '-') {
		if (pat_day(p, &p, ps->now, &lo, &hi) == -1)
			goto bad;
		n->lo = lo;
		n->hi = hi;
		if (*p == '\0')
			return 0;
		if (*p != '-')
			goto bad;
		n->hi = INT64_MAX;
	}
	p++; /* '-' */
	if (*p == '\0')
		return n->lo == INT64_MIN
		    ? pat_error(ps, n->col, "bad date range '%s'", arg)
		    : 0;
	if (pat_day(p, &p, ps->now, &lo2, &hi2) == -1 || *p != '\0')
		goto bad;
	n->hi = hi2;
	if (n->lo > n->hi)
		return pat_error(ps, n->col,
		    "date range '%s' ends before it "
		    "begins",
		    arg);
	return 0;
bad:
	return pat_error(ps, n->col,
	    "bad date '%s' (DD/MM/YYYY, a range D1-D2, or <3d, >2w)", arg);
}

/* ~z: <N, >N, N (exactly), MIN-MAX, -MAX, MIN-; N with K or M after it. */
static int
pat_size(struct pat_parse *ps, struct pat_node *n, const char *arg)
{
	const char *p = arg;
	int64_t v[2] = {-1, -1};
	int i, cmp = 0;
	char *end;
	unsigned long long u;

	if (*p == '<' || *p == '>')
		cmp = *p++;
	for (i = 0; i < 2; i++) {
		if (isdigit((unsigned char)*p)) {
			u = strtoull(p, &end, 10);
			if (u > (1ULL << 40))
				goto bad;
			v[i] = (int64_t)u;
			p = end;
			if (*p == 'K' || *p == 'k') {
				v[i] *= 1024;
				p++;
			} else if (*p == 'M' || *p == 'm') {
				v[i] *= 1024 * 1024;
				p++;
			}
		}
		if (i == 0 && *p == '-' && cmp == 0) {
			p++;
			continue;
		}
		break;
	}
	if (*p != '\0' || (v[0] < 0 && v[1] < 0))
		goto bad;
	if (cmp == '<') {
		n->lo = 0;
		n->hi = v[0] - 1;
	} else if (cmp == '>') {
		n->lo = v[0] + 1;
		n->hi = INT64_MAX;
	} else if (strchr(arg, '-') == NULL) {
		n->lo = n->hi = v[0];
	} else {
		n->lo = v[0] < 0 ? 0 : v[0];
		n->hi = v[1] < 0 ? INT64_MAX : v[1];
		if (n->lo > n->hi)
			return pat_error(ps, n->col,
			    "size range '%s' ends before it begins", arg);
	}
	return 0;
bad:
	return pat_error(
	    ps, n->col, "bad size '%s' (e.g. <10K, >1M, 10K-1M)", arg);
}

struct pattern *
pattern_compile(const char *s, const struct pattern_opts *opts, char **err)
{
	struct pat_parse ps;
	struct pattern *pat;

	*err = NULL;
	memset(&ps, 0, sizeof ps);
	ps.s = ps.p = s;
	ps.opts = opts;
	ps.now =
	    opts != NULL && opts->now != 0 ? opts->now : (int64_t)time(NULL);
	pat = xcalloc(1, sizeof *pat);
	ps.pat = pat;
	pat_skip(&ps);
	if (*ps.p == '\0') {
		free(pat);
		*err = xstrdup("pattern: empty pattern");
		return NULL;
	}
	pat->root = pat_or(&ps);
	if (pat->root != NULL && *ps.p != '\0') {
		/* only a ')' stops pat_or() early */
		pat_error(&ps, pat_col(&ps, ps.p), "unmatched ')'");
	}
	if (ps.err != NULL) {
		pattern_free(pat);
		*err = ps.err;
		return NULL;
	}
	if (opts != NULL && opts->user != NULL && *opts->user != '\0')
		pat->user = pat->user_copy = xstrdup(opts->user);
	pat->cols = pat_cols(pat->root);
	return pat;
}

/* The cache's strings the terms under n read. */
static unsigned int
pat_cols(const struct pat_node *n)
{
	if (n->op != PAT_TERM)
		return pat_cols(n->a) | (n->b != NULL ? pat_cols(n->b) : 0);
	switch (n->term) {
	case 'f':
	case 'P':
		return STORE_COL_FROM;
	case 't':
		return STORE_COL_TO;
	case 'c':
		return STORE_COL_CC;
	case 'C':
	case 'p':
		return STORE_COL_TO | STORE_COL_CC;
	case 's':
		return STORE_COL_SUBJECT;
	case 'i':
	case 'x':
		return STORE_COL_IDS;
	case 'y':
		return STORE_COL_KEYWORDS;
	default:
		return 0;
	}
}

void
pattern_free(struct pattern *pat)
{
	if (pat == NULL)
		return;
	pat_node_free(pat->root);
	free(pat->user_copy);
	free(pat);
}

int
pattern_needs_body(const struct pattern *pat)
{
	return pat->body;
}

int
pattern_needs_tags(const struct pattern *pat)
{
	return pat->tags;
}

/* Whether the term's string is in hay (len bytes, NUL not needed). */
static int
pat_find(const struct pat_node *n, const char *hay, size_t len)
{
	const unsigned char *h = (const unsigned char *)hay, *end;
	const unsigned char *nd = (const unsigned char *)n->needle;
	unsigned char c0, c1, last;
	size_t i;
	regmatch_t rm;

	if (n->how == PAT_REGEX) {
		rm.rm_so = 0;
		rm.rm_eo = (regoff_t)len;
		return regexec(&n->re, hay, 1, &rm, REG_STARTEND) == 0;
	}
	if (n->nlen == 0)
		return 1;
	if (len < n->nlen)
		return 0;
	end = h + len - n->nlen + 1;
	if (!n->icase) {
		for (; (h = memchr(h, nd[0], (size_t)(end - h))) != NULL; h++) {
			if (memcmp(h, nd, n->nlen) == 0)
				return 1;
		}
		return 0;
	}
	if (n->nlen >= 3) {
		/* Horspool over the lower-cased needle */
		last = nd[n->nlen - 1];
		for (; h < end; h += n->shift[h[n->nlen - 1]]) {
			if (pat_lower[h[n->nlen - 1]] != last)
				continue;
			for (i = 0; i + 1 < n->nlen; i++) {
				if (pat_lower[h[i]] != nd[i])
					break;
			}
			if (i + 1 == n->nlen)
				return 1;
		}
		return 0;
	}
	c0 = nd[0];
	c1 = c0 >= 'a' && c0 <= 'z' ? (unsigned char)(c0 - 32) : c0;
	for (; h < end; h++) {
		if (*h != c0 && *h != c1)
			continue;
		for (i = 1; i < n->nlen; i++) {
			if (pat_lower[h[i]] != nd[i])
				break;
		}
		if (i == n->nlen)
			return 1;
	}
	return 0;
}

static int
pat_str(const struct pat_node *n, const char *s)
{
	return pat_find(n, s, strlen(s));
}

/* The length of the header section of a raw message (up to the empty
 * line, or all of it). */
static size_t
pat_head_len(const char *raw, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (raw[i] != '\n')
			continue;
		if (raw[i + 1] == '\n')
			return i + 1;
		if (raw[i + 1] == '\r' && i + 2 < len && raw[i + 2] == '\n')
			return i + 1;
	}
	return len;
}

/* Whether the header field name (e.g. "Sender") of the header section
 * matches the term, folded lines joined by the search. */
static int
pat_header(
    const struct pat_node *n, const char *head, size_t len, const char *name)
{
	size_t nl = strlen(name), i = 0, j;

	while (i < len) {
		j = i;
		while (j < len && head[j] != '\n')
			j++;
		/* the field and its continuation lines */
		while (j + 1 < len &&
		    (head[j + 1] == ' ' || head[j + 1] == '\t')) {
			j++;
			while (j < len && head[j] != '\n')
				j++;
		}
		if (j - i > nl && head[i + nl] == ':' &&
		    strncasecmp(head + i, name, nl) == 0 &&
		    pat_find(n, head + i + nl + 1, j - i - nl - 1))
			return 1;
		i = j + 1;
	}
	return 0;
}

/* Whether addr is the user's address: user itself, or user@anything when
 * user has no domain. */
static int
pat_is_user(const char *addr, const char *user)
{
	size_t len = strlen(user);

	if (*addr == '\0')
		return 0;
	if (strchr(user, '@') != NULL)
		return strcasecmp(addr, user) == 0;
	return strncasecmp(addr, user, len) == 0 && addr[len] == '@';
}

/* Whether an address list (To: or Cc: as cached) names the user. */
static int
pat_names_user(const char *list, const char *user)
{
	const char *p;
	size_t len = strlen(user);
	int bare = strchr(user, '@') == NULL;

	for (p = list; (p = strcasestr(p, user)) != NULL; p++) {
		if (p != list && strchr(" <,\t\"", p[-1]) == NULL)
			continue;
		if (bare ? p[len] == '@'
		         : p[len] == '\0' || strchr(">, \t\"", p[len]) != NULL)
			return 1;
	}
	return 0;
}

static enum pattern_result
pat_eval_term(const struct pattern *pat, const struct pat_node *n,
    const struct store_msg *m, const struct pattern_row *row)
{
	const char *raw = row != NULL ? row->raw : NULL;
	size_t rawlen = row != NULL ? row->rawlen : 0, hl;
	int64_t v;
	int r = 0;

	switch (n->term) {
	case 'f':
		r = pat_str(n, m->from_addr) || pat_str(n, m->from_name);
		break;
	case 't':
		r = pat_str(n, m->to_addr);
		break;
	case 'c':
		r = pat_str(n, m->cc);
		break;
	case 'C':
		r = pat_str(n, m->to_addr) || pat_str(n, m->cc);
		break;
	case 's':
		r = pat_str(n, m->subject);
		break;
	case 'i':
		r = pat_str(n, m->message_id);
		break;
	case 'x':
		r = pat_str(n, m->refs) || pat_str(n, m->in_reply_to);
		break;
	case 'y':
		r = pat_str(n, m->keywords);
		break;
	case 'b':
	case 'B':
	case 'h':
	case 'e':
		if (raw == NULL)
			return PATTERN_BODY;
		hl = pat_head_len(raw, rawlen);
		if (n->term == 'b')
			r = pat_find(n, raw + hl, rawlen - hl);
		else if (n->term == 'B')
			r = pat_find(n, raw, rawlen);
		else if (n->term == 'h')
			r = pat_find(n, raw, hl);
		else
			r = pat_header(n, raw, hl, "Sender");
		break;
	case 'd':
	case 'r':
		v = n->term == 'd' && m->date != 0 ? m->date : m->internaldate;
		r = v >= n->lo && v <= n->hi;
		break;
	case 'z':
		r = m->size >= n->lo && m->size <= n->hi;
		break;
	case 'N':
	case 'U':
		r = !(m->flags & STORE_FLAG_SEEN);
		break;
	case 'O':
		r = 0; /* errand keeps no "old" state (mutt's mark_old unset) */
		break;
	case 'R':
		r = (m->flags & STORE_FLAG_SEEN) != 0;
		break;
	case 'F':
		r = (m->flags & STORE_FLAG_FLAGGED) != 0;
		break;
	case 'D':
		r = (m->flags & STORE_FLAG_DELETED) != 0;
		break;
	case 'Q':
		r = (m->flags & STORE_FLAG_ANSWERED) != 0;
		break;
	case 'T':
		r = row != NULL && row->tagged;
		break;
	case 'A':
		r = 1;
		break;
	case 'P':
		r = pat->user != NULL && pat_is_user(m->from_addr, pat->user);
		break;
	case 'p':
		r = pat->user != NULL &&
		    (pat_names_user(m->to_addr, pat->user) ||
		        pat_names_user(m->cc, pat->user));
		break;
	default:
		fatalx("%s: bad term %c", __func__, n->term);
	}
	return r ? PATTERN_YES : PATTERN_NO;
}

static enum pattern_result
pat_eval(const struct pattern *pat, const struct pat_node *n,
    const struct store_msg *m, const struct pattern_row *row)
{
	enum pattern_result a, b;

	switch (n->op) {
	case PAT_TERM:
		return pat_eval_term(pat, n, m, row);
	case PAT_NOT:
		a = pat_eval(pat, n->a, m, row);
		return a == PATTERN_BODY ? a
		    : a == PATTERN_YES   ? PATTERN_NO
		                         : PATTERN_YES;
	case PAT_AND:
		if ((a = pat_eval(pat, n->a, m, row)) == PATTERN_NO)
			return PATTERN_NO;
		if ((b = pat_eval(pat, n->b, m, row)) == PATTERN_NO)
			return PATTERN_NO;
		return a == PATTERN_BODY || b == PATTERN_BODY ? PATTERN_BODY
		                                              : PATTERN_YES;
	case PAT_OR:
		if ((a = pat_eval(pat, n->a, m, row)) == PATTERN_YES)
			return PATTERN_YES;
		if ((b = pat_eval(pat, n->b, m, row)) == PATTERN_YES)
			return PATTERN_YES;
		return a == PATTERN_BODY || b == PATTERN_BODY ? PATTERN_BODY
		                                              : PATTERN_NO;
	}
	fatalx("%s: bad op %d", __func__, n->op);
}

enum pattern_result
pattern_match(const struct pattern *pat, const struct store_msg *m,
    const struct pattern_row *row)
{
	return pat_eval(pat, pat->root, m, row);
}

/* Append to a growing string. */
static void
pat_cat(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			fatalx("%s: vsnprintf failed", __func__);
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return;
		}
		*cap = (*cap + (size_t)n + 1) * 2;
		*buf = xreallocarray(*buf, *cap, 1);
	}
}

/* A term's string as an IMAP quoted string; -1 when it cannot be one (a
 * regular expression, a line break). */
static int
pat_imap_string(
    const struct pat_node *n, char **buf, size_t *len, size_t *cap, int *utf8)
{
	size_t i;

	if (n->how == PAT_REGEX)
		return -1;
	for (i = 0; i < n->nlen; i++) {
		if (n->needle[i] == '\r' || n->needle[i] == '\n' ||
		    n->needle[i] == '\0')
			return -1;
		if ((unsigned char)n->needle[i] >= 0x80)
			*utf8 = 1;
	}
	pat_cat(buf, len, cap, "\"");
	for (i = 0; i < n->nlen; i++) {
		if (n->needle[i] == '"' || n->needle[i] == '\\')
			pat_cat(buf, len, cap, "\\");
		pat_cat(buf, len, cap, "%c", n->needle[i]);
	}
	pat_cat(buf, len, cap, "\"");
	return 0;
}

/* KEY d-Mon-yyyy (RFC 3501 date) of the local day holding t. */
static void
pat_imap_date(char **buf, size_t *len, size_t *cap, const char *key, int64_t t)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	time_t tt = (time_t)t;

	if (localtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	pat_cat(buf, len, cap, "%s %d-%s-%d", key, tm.tm_mday,
	    mon[tm.tm_mon % 12], tm.tm_year + 1900);
}

/* Translate n; -1 with *err set when a term has no IMAP form. */
static int
pat_imap(const struct pat_node *n, char **buf, size_t *len, size_t *cap,
    int *utf8, char **err)
{
	const char *key = NULL, *colon;
	size_t i;

	switch (n->op) {
	case PAT_NOT:
		pat_cat(buf, len, cap, "NOT ");
		return pat_imap(n->a, buf, len, cap, utf8, err);
	case PAT_OR:
		pat_cat(buf, len, cap, "OR ");
		if (pat_imap(n->a, buf, len, cap, utf8, err) == -1)
			return -1;
		pat_cat(buf, len, cap, " ");
		return pat_imap(n->b, buf, len, cap, utf8, err);
	case PAT_AND:
		pat_cat(buf, len, cap, "(");
		if (pat_imap(n->a, buf, len, cap, utf8, err) == -1)
			return -1;
		pat_cat(buf, len, cap, " ");
		if (pat_imap(n->b, buf, len, cap, utf8, err) == -1)
			return -1;
		pat_cat(buf, len, cap, ")");
		return 0;
	case PAT_TERM:
		break;
	}
	for (i = 0; i < sizeof pat_terms / sizeof pat_terms[0]; i++) {
		if (pat_terms[i].c == n->term)
			key = pat_terms[i].imap;
	}
	switch (n->term) {
	case 'C':
		pat_cat(buf, len, cap, "OR TO ");
		if (pat_imap_string(n, buf, len, cap, utf8) == -1)
			break;
		pat_cat(buf, len, cap, " CC ");
		if (pat_imap_string(n, buf, len, cap, utf8) == -1)
			break;
		return 0;
	case 'h':
		/* "Name: value" is HEADER Name value; a bare name, any value */
		colon = n->needle != NULL ? strchr(n->needle, ':') : NULL;
		if (colon == NULL || n->how == PAT_REGEX ||
		    colon == n->needle ||
		    strcspn(n->needle, " \t\"\\") < (size_t)(colon - n->needle))
			break;
		pat_cat(buf, len, cap, "HEADER %.*s \"",
		    (int)(colon - n->needle), n->needle);
		for (colon++; *colon == ' ' || *colon == '\t'; colon++)
			;
		for (; *colon != '\0'; colon++) {
			if (*colon == '\r' || *colon == '\n')
				goto cannot;
			if ((unsigned char)*colon >= 0x80)
				*utf8 = 1;
			if (*colon == '"' || *colon == '\\')
				pat_cat(buf, len, cap, "\\");
			pat_cat(buf, len, cap, "%c", *colon);
		}
		pat_cat(buf, len, cap, "\"");
		return 0;
	case 'd':
	case 'r':
		if (!n->absolute)
			break;
		if (n->lo != INT64_MIN)
			pat_imap_date(buf, len, cap,
			    n->term == 'd' ? "SENTSINCE" : "SINCE", n->lo);
		if (n->lo != INT64_MIN && n->hi != INT64_MAX)
			pat_cat(buf, len, cap, " ");
		if (n->hi != INT64_MAX)
			pat_imap_date(buf, len, cap,
			    n->term == 'd' ? "SENTBEFORE" : "BEFORE",
			    n->hi + 1);
		return 0;
	case 'z':
		if (n->lo > 0 && n->hi != INT64_MAX)
			pat_cat(buf, len, cap, "LARGER %lld SMALLER %lld",
			    (long long)(n->lo - 1), (long long)(n->hi + 1));
		else if (n->lo > 0)
			pat_cat(buf, len, cap, "LARGER %lld",
			    (long long)(n->lo - 1));
		else if (n->hi != INT64_MAX)
			pat_cat(buf, len, cap, "SMALLER %lld",
			    (long long)(n->hi + 1));
		else
			pat_cat(buf, len, cap, "ALL");
		return 0;
	default:
		if (key == NULL)
			break;
		pat_cat(buf, len, cap, "%s", key);
		if (n->needle == NULL)
			return 0;
		pat_cat(buf, len, cap, " ");
		if (pat_imap_string(n, buf, len, cap, utf8) == -1)
			break;
		return 0;
	}
cannot:
	xasprintf(err,
	    "cannot translate '%c%c' at column %zu to an IMAP "
	    "search%s",
	    n->eq ? '=' : '~', n->term, n->col,
	    n->how == PAT_REGEX ? " (a regular expression)" : "");
	return -1;
}

char *
pattern_imap(const struct pattern *pat, char **err)
{
	size_t len = 0, cap = 256;
	char *buf = xmalloc(cap), *out;
	int utf8 = 0;

	*err = NULL;
	buf[0] = '\0';
	if (pat_imap(pat->root, &buf, &len, &cap, &utf8, err) == -1) {
		free(buf);
		return NULL;
	}
	if (!utf8)
		return buf;
	xasprintf(&out, "CHARSET UTF-8 %s", buf);
	free(buf);
	return out;
}

/* pattern_scan()'s state. */
struct pat_scan {
	struct store *st;
	int64_t folder;
	const struct pattern *pat;
	pattern_tagged_fn tagged;
	pattern_body_fn body;
	pattern_scan_cb cb;
	void *arg;
};

static int
pat_scan_row(const struct store_msg *m, void *arg)
{
	struct pat_scan *sc = arg;
	struct pattern_row row;
	enum pattern_result r;
	void *raw = NULL;
	size_t len = 0;
	int rc;

	if (m->flags & STORE_FLAG_HIDDEN)
		return 0;
	memset(&row, 0, sizeof row);
	if (sc->tagged != NULL && sc->pat->tags)
		row.tagged = sc->tagged(m->uid, sc->arg);
	r = pattern_match(sc->pat, m, &row);
	if (r == PATTERN_BODY) {
		if ((rc = store_body_get(
		         sc->st, sc->folder, m->uid, &raw, &len)) == -1)
			return -1;
		if (rc == 0) {
			row.raw = raw != NULL ? raw : "";
			row.rawlen = len;
			r = pattern_match(sc->pat, m, &row);
		}
		free(raw);
	}
	return r == PATTERN_NO ? 0 : sc->cb(m->uid, r, sc->arg);
}

int
pattern_scan(struct store *st, int64_t folder, const struct pattern *pat,
    pattern_tagged_fn tagged, pattern_body_fn body, pattern_scan_cb cb,
    void *arg)
{
	struct pat_scan sc;

	sc.st = st;
	sc.folder = folder;
	sc.pat = pat;
	sc.tagged = tagged;
	sc.body = body;
	sc.cb = cb;
	sc.arg = arg;
	return store_msg_foreach_cols(st, folder, pat->cols, pat_scan_row, &sc);
}
