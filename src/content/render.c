/* errand: a terminal mail user agent. See LICENSE.
 * A message made into pager lines: GMime parses the MIME tree (RFC 2045,
 * RFC 2046, RFC 2231), the readable parts are decoded, converted to UTF-8,
 * reflowed (RFC 3676 format=flowed) or made text from HTML, cleaned with
 * text_clean() and wrapped to a width; the other parts become a list. */

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wctype.h>

#include <gmime/gmime.h>

#include "content/mime.h"
#include "content/render.h"
#include "content/text.h"
#include "xmalloc.h"

/* Columns when the caller gives none, and the narrowest and widest kept. */
#define RENDER_WIDTH 80
#define RENDER_WIDTH_MIN 10
#define RENDER_WIDTH_MAX 1000

/* The most '>' drawn in front of a reflowed quote. */
#define RENDER_QUOTE_MAX 16

struct render_doc {
	struct render_line *lines;
	size_t nlines;
	size_t alines;
	struct render_attachment *att;
	size_t natt;
	size_t aatt;
};

/* The state of one render_message() call. */
struct render_ctx {
	struct render_doc *doc;
	size_t width;
	const char *charset; /* the fallback */
	render_html_fn html; /* or NULL */
	void *html_arg;
	const char *const *headers;
	size_t nparts;                  /* parts looked at */
	int ntext;                      /* text parts shown */
	int full;                       /* RENDER_LINES_MAX reached */
	int cut;                        /* a bound was hit and said so */
	const unsigned char *attr;      /* render_wrap(): the RENDER_ATTR_ of */
	                                /* each byte of s, or NULL for none */
	const unsigned char *line_attr; /* render_add(): the same for its */
	                                /* line, or NULL */
	size_t want;     /* render_attachment_content(): the attachment */
	char *want_data; /* wanted, SIZE_MAX for none; its content */
	size_t want_len;
};

/* A growing string, always NUL-terminated once anything is added. */
struct render_buf {
	char *s;
	size_t len;
	size_t size;
};

/* The built-in HTML converter's state. */
struct render_html {
	struct render_buf out;
	int pre;      /* inside <pre> */
	int space;    /* white space seen, not yet written */
	int nl;       /* line breaks wanted before the next text */
	int bol;      /* the next text starts a line: write the prefix */
	int quote;    /* <blockquote> depth */
	int list;     /* list depth */
	int olist[8]; /* per list depth: the next number, 0 for <ul> */
	int cell;     /* cells seen in this row */
	char *href;   /* the open <a>'s target */
	size_t link;  /* where its text starts in out */
};

/* The text/enriched converter's state (RFC 1896). */
struct render_enriched {
	struct render_buf out;       /* the text, LF between lines */
	struct render_buf attr;      /* the RENDER_ATTR_ of each byte of out */
	int bold, italic, underline; /* open <bold>, ... (nesting counts) */
	int nofill;                  /* inside <nofill>: LF is a line break */
	int param;                   /* inside <param>: text is dropped */
	int excerpt;                 /* <excerpt> depth: quoted */
	int bol;                     /* out is at the start of a line */
};

static void render_buf_add(struct render_buf *, const char *, size_t);
static void render_add(
    struct render_ctx *, const char *, size_t, enum render_kind, int, size_t);
static void render_note(struct render_ctx *, const char *);
static void render_wrap(struct render_ctx *, char *, size_t, enum render_kind,
    int, const char *, const char *, size_t);
static char *render_expand_tabs(const char *);
static int render_quote_level(const char *, size_t *);
static void render_quote_prefix(char *, size_t, int, size_t);
static void render_text(struct render_ctx *, char *, int, int);
static void render_flush_para(
    struct render_ctx *, struct render_buf *, int, int);
static char *render_to_utf8(
    const char *, size_t, const char *, const char *, size_t *);
static size_t render_utf8(uint32_t, char *);
static char *render_part_bytes(GMimePart *, size_t *);
static char *render_not_base64(GMimePart *, size_t *);
static size_t render_part_size(GMimePart *);
static char *render_html_text(const char *, size_t, size_t *);
static void render_html_put(struct render_html *, const char *, size_t);
static void render_html_chars(struct render_html *, const char *, size_t);
static void render_html_break(struct render_html *, int);
static const char *render_html_tag(
    struct render_html *, const char *, const char *);
static char *render_html_attr(const char *, const char *, const char *);
static const char *render_html_entity(
    const char *, const char *, char *, size_t *);
static char *render_html_decode(const char *, size_t);
static void render_enriched(struct render_ctx *, const char *);
static void render_enriched_put(struct render_enriched *, const char *, size_t);
static void render_enriched_tag(struct render_enriched *, const char *, size_t);
static void render_headers(struct render_ctx *, GMimeObject *);
static void render_object(struct render_ctx *, GMimeObject *, int);
static void render_leaf(struct render_ctx *, GMimePart *);
static int render_has_plain(GMimeObject *, int);
static GMimeObject *render_pick(GMimeMultipart *);
static void render_attach(struct render_ctx *, GMimePart *, const char *);
static struct render_attachment *render_att_new(
    struct render_ctx *, const char *, const char *);
static size_t render_uu_line(const char *, size_t, char *);
static const char *render_uu_block(
    struct render_ctx *, const char *, const char *, const char *);
static void render_uu(struct render_ctx *, char *, size_t *);
static void render_attachments(struct render_ctx *);
static char *render_fold(const char *);

/* Append n bytes of s to b. */
static void
render_buf_add(struct render_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size) {
		while (b->len + n + 1 > b->size)
			b->size = b->size == 0 ? 256 : b->size * 2;
		b->s = xreallocarray(b->s, 1, b->size);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Add one line of len bytes of clean text s that fits the width. */
static void
render_add(struct render_ctx *c, const char *s, size_t len,
    enum render_kind kind, int level, size_t name_len)
{
	struct render_doc *d = c->doc;
	struct render_line *l;
	unsigned char *attr;
	char *text;
	size_t i;

	if (c->full)
		return;
	if (d->nlines >= RENDER_LINES_MAX) {
		c->full = 1;
		s = "[-- message too long: the rest is not shown --]";
		len = text_fit(s, c->width, NULL);
		kind = RENDER_SEPARATOR;
		level = 0;
		name_len = 0;
	}
	if (d->nlines == d->alines) {
		d->alines = d->alines == 0 ? 64 : d->alines * 2;
		d->lines = xreallocarray(d->lines, d->alines, sizeof *d->lines);
	}
	text = xstrndup(s, len);
	l = &d->lines[d->nlines++];
	l->text = text;
	l->len = len;
	l->attr = NULL;
	if (c->line_attr != NULL && !c->full) {
		for (i = 0; i < len && c->line_attr[i] == 0; i++)
			;
		if (i < len) {
			attr = xmalloc(len + 1);
			memcpy(attr, c->line_attr, len);
			l->attr = attr;
		}
	}
	l->width = text_width(text);
	l->kind = kind;
	l->level = level;
	l->name_len = name_len;
}

/* A separator line saying why something is not shown, once a message. */
static void
render_note(struct render_ctx *c, const char *why)
{
	char *s;

	if (c->cut)
		return;
	c->cut = 1;
	xasprintf(&s, "[-- %s --]", why);
	render_wrap(c, s, strlen(s), RENDER_SEPARATOR, 0, "", "", 0);
	free(s);
}

/*
 * Add len bytes of s (clean text, one line, no tabs; this writes into it
 * and puts it back) as lines of at most the width: broken after the last
 * space that fits, or inside a word longer than a line, never inside a
 * character. The first line starts with prefix, the others with cont
 * (short ASCII strings).
 */
static void
render_wrap(struct render_ctx *c, char *s, size_t len, enum render_kind kind,
    int level, const char *prefix, const char *cont, size_t name_len)
{
	struct render_buf line = {NULL, 0, 0}, lattr = {NULL, 0, 0};
	const unsigned char *attr = c->attr;
	char *p = s, *end = s + len, *wend, save;
	const char *pre = prefix;
	size_t avail, n, b, w, lead;

	if (strlen(prefix) + 4 > c->width)
		prefix = "";
	if (strlen(cont) + 4 > c->width)
		cont = "";
	pre = prefix;
	do {
		avail = c->width - strlen(pre);
		/* text_fit() measures to the NUL: give it a window. */
		wend = p +
		    ((size_t)(end - p) < avail * 4 + 64 ? (size_t)(end - p)
		                                        : avail * 4 + 64);
		while (wend > p && wend < end &&
		    ((unsigned char)*wend & 0xc0) == 0x80)
			wend--;
		save = *wend;
		*wend = '\0';
		n = text_fit(p, avail, &w);
		*wend = save;
		if (p + n < end) {
			for (lead = 0; lead < n && p[lead] == ' '; lead++)
				;
			for (b = n; b > lead && p[b] != ' '; b--)
				;
			if (b > lead)
				n = b;
			else if (n == 0) {
				n = 1;
				while (p + n < end &&
				    ((unsigned char)p[n] & 0xc0) == 0x80)
					n++;
			}
		}
		line.len = 0;
		render_buf_add(&line, pre, strlen(pre));
		render_buf_add(&line, p, n);
		while (line.len > 0 && line.s[line.len - 1] == ' ')
			line.len--;
		if (attr != NULL) {
			lattr.len = 0;
			render_buf_add(&lattr, "", 0);
			memset(lattr.s, 0, lattr.size);
			for (b = 0; b < strlen(pre); b++)
				render_buf_add(&lattr, "", 1);
			render_buf_add(&lattr, (const char *)attr + (p - s), n);
			c->line_attr = (const unsigned char *)lattr.s;
		}
		render_add(c, line.s, line.len, kind, level,
		    pre == prefix ? name_len : 0);
		c->line_attr = NULL;
		p += n;
		while (p < end && *p == ' ')
			p++;
		pre = cont;
	} while (p < end && !c->full);
	free(line.s);
	free(lattr.s);
}

/* s with each tab made spaces to the next multiple of eight columns
 * (counting a character a column). The result is the caller's. */
static char *
render_expand_tabs(const char *s)
{
	struct render_buf b = {NULL, 0, 0};
	const char *p, *t;
	size_t col = 0;

	if (strchr(s, '\t') == NULL)
		return xstrdup(s);
	for (p = s; (t = strchr(p, '\t')) != NULL; p = t + 1) {
		render_buf_add(&b, p, (size_t)(t - p));
		for (; p < t; p++) {
			if (((unsigned char)*p & 0xc0) != 0x80)
				col++;
		}
		do {
			render_buf_add(&b, " ", 1);
		} while (++col % 8 != 0);
	}
	render_buf_add(&b, p, strlen(p));
	return b.s;
}

/* The quote depth of line s: its leading '>', spaces between them allowed;
 * *skip is set to the bytes they take. */
static int
render_quote_level(const char *s, size_t *skip)
{
	size_t i = 0;
	int level = 0;

	for (;;) {
		if (s[i] == '>') {
			level++;
			i++;
		} else if (s[i] == ' ' && level > 0 && s[i + 1] == '>')
			i++;
		else
			break;
	}
	*skip = i;
	return level;
}

/* The prefix drawn before reflowed text at quote depth level. */
static void
render_quote_prefix(char *buf, size_t size, int level, size_t width)
{
	size_t n = (size_t)level, max = RENDER_QUOTE_MAX;

	if (width / 4 < max)
		max = width / 4;
	if (n > max)
		n = max;
	if (n + 2 > size)
		n = size - 2;
	memset(buf, '>', n);
	buf[n] = n > 0 ? ' ' : '\0';
	buf[n + 1] = '\0';
}

/* Wrap the paragraph in para at quote depth level and empty it. */
static void
render_flush_para(
    struct render_ctx *c, struct render_buf *para, int level, int sig)
{
	char prefix[RENDER_QUOTE_MAX + 2];

	render_quote_prefix(prefix, sizeof prefix, level, c->width);
	if (para->s == NULL)
		render_buf_add(para, "", 0);
	render_wrap(c, para->s, para->len,
	    sig ? RENDER_SIGNATURE : (level > 0 ? RENDER_QUOTE : RENDER_BODY),
	    level, prefix, prefix, 0);
	para->len = 0;
	para->s[0] = '\0';
}

/*
 * Add the lines of text (clean, LF and TAB kept; this writes into it). With
 * flowed, lines ending in a space join the next one of the same quote depth
 * (RFC 3676 4.1), a leading space is unstuffed (4.4), and with delsp that
 * trailing space goes (4.2). Quote depth and the signature are marked.
 */
static void
render_text(struct render_ctx *c, char *text, int flowed, int delsp)
{
	struct render_buf para = {NULL, 0, 0};
	char *p = text, *eol, *line, *rest, prefix[RENDER_QUOTE_MAX + 2];
	size_t len, skip, n;
	int last, sig = 0, level, plevel = -1, open = 0, flowing;

	len = strlen(text);
	while (len > 0 &&
	    (text[len - 1] == '\n' || text[len - 1] == ' ' ||
	        text[len - 1] == '\t'))
		len--;
	text[len] = '\0';
	for (;;) {
		if ((eol = strchr(p, '\n')) == NULL)
			eol = p + strlen(p);
		last = *eol == '\0';
		*eol = '\0';
		line = render_expand_tabs(p);
		n = strlen(line);
		if (!flowed) {
			level = render_quote_level(line, &skip);
			if (strcmp(line, "-- ") == 0 || strcmp(line, "--") == 0)
				sig = 1;
			/* A wrapped quote goes on with the quote's marks. */
			render_quote_prefix(
			    prefix, sizeof prefix, level, c->width);
			render_wrap(c, line, n,
			    sig ? RENDER_SIGNATURE
			        : (level > 0 ? RENDER_QUOTE : RENDER_BODY),
			    level, "", prefix, 0);
		} else {
			for (level = 0; line[level] == '>'; level++)
				;
			rest = line + level;
			if (*rest == ' ')
				rest++;
			n = strlen(rest);
			if (open && level != plevel) {
				render_flush_para(c, &para, plevel, sig);
				open = 0;
			}
			if (strcmp(rest, "-- ") == 0) {
				if (open)
					render_flush_para(
					    c, &para, plevel, sig);
				open = 0;
				if (level == 0)
					sig = 1; /* not a quoted one */
				n = 2; /* the separator line stays alone */
				render_buf_add(&para, rest, n);
				render_flush_para(c, &para, level, sig);
			} else {
				flowing = n > 0 && rest[n - 1] == ' ';
				if (flowing && delsp)
					n--;
				render_buf_add(&para, rest, n);
				plevel = level;
				open = 1;
				if (!flowing || last) {
					render_flush_para(c, &para, level, sig);
					open = 0;
				}
			}
		}
		free(line);
		if (last || c->full)
			break;
		p = eol + 1;
	}
	if (open)
		render_flush_para(c, &para, plevel, sig);
	free(para.s);
}

/* Add n bytes of text s to e->out with the attributes open, starting each
 * line inside <excerpt> with its '>' marks. */
static void
render_enriched_put(struct render_enriched *e, const char *s, size_t n)
{
	unsigned char a = 0;
	size_t i;
	int q;

	if (e->param > 0)
		return;
	if (e->bold > 0)
		a |= RENDER_ATTR_BOLD;
	if (e->italic > 0)
		a |= RENDER_ATTR_ITALIC;
	if (e->underline > 0)
		a |= RENDER_ATTR_UNDERLINE;
	for (i = 0; i < n; i++) {
		if (e->bol && s[i] != '\n' && e->excerpt > 0) {
			for (q = 0; q < e->excerpt && q < RENDER_QUOTE_MAX;
			     q++) {
				render_buf_add(&e->out, ">", 1);
				render_buf_add(&e->attr, "", 1);
			}
			render_buf_add(&e->out, " ", 1);
			render_buf_add(&e->attr, "", 1);
		}
		render_buf_add(&e->out, s + i, 1);
		render_buf_add(&e->attr, (const char *)&a, 1);
		e->bol = s[i] == '\n';
	}
}

/* Act on the formatting command name (n bytes, '/' first to close it). */
static void
render_enriched_tag(struct render_enriched *e, const char *name, size_t n)
{
	int close = n > 0 && name[0] == '/', d;
	int *count = NULL;

	if (close) {
		name++;
		n--;
	}
	d = close ? -1 : 1;
	if (n == 4 && g_ascii_strncasecmp(name, "bold", 4) == 0)
		count = &e->bold;
	else if (n == 6 && g_ascii_strncasecmp(name, "italic", 6) == 0)
		count = &e->italic;
	else if (n == 9 && g_ascii_strncasecmp(name, "underline", 9) == 0)
		count = &e->underline;
	else if (n == 5 && g_ascii_strncasecmp(name, "param", 5) == 0)
		count = &e->param;
	else if (n == 6 && g_ascii_strncasecmp(name, "nofill", 6) == 0)
		count = &e->nofill;
	else if (n == 7 && g_ascii_strncasecmp(name, "excerpt", 7) == 0) {
		/* A quote is a paragraph of its own. */
		if (!e->bol && e->param == 0)
			render_enriched_put(e, "\n", 1);
		count = &e->excerpt;
	}
	/* The others (fixed, center, flushleft, color, fontfamily, indent,
	 * smaller, bigger, lang, unknown ones) have no look here. */
	if (count != NULL && (d > 0 || *count > 0) && *count < 1000)
		*count += d;
}

/*
 * Add text/enriched text (RFC 1896; clean UTF-8, LF kept) as lines: "<<" is
 * '<', the formatting commands go and bold, italic and underline become
 * attributes of the characters, <param> text is dropped, a single newline
 * is a space and n > 1 newlines are n - 1 line breaks (each a line break
 * inside <nofill>), <excerpt> is quoted.
 */
static void
render_enriched(struct render_ctx *c, const char *text)
{
	struct render_enriched e;
	const char *p = text, *q;
	char prefix[RENDER_QUOTE_MAX + 2], *line, *eol;
	size_t n, skip, len, at;
	int level;

	memset(&e, 0, sizeof e);
	e.bol = 1;
	render_buf_add(&e.out, "", 0);
	render_buf_add(&e.attr, "", 0);
	while (*p != '\0') {
		if (*p == '<' && p[1] == '<') {
			render_enriched_put(&e, "<", 1);
			p += 2;
		} else if (*p == '<') {
			/* A command: up to 60 characters of name. */
			for (q = p + 1; *q != '\0' && *q != '>' && q - p <= 62;
			     q++)
				;
			if (*q != '>') {
				render_enriched_put(&e, p, 1);
				p++;
				continue;
			}
			render_enriched_tag(&e, p + 1, (size_t)(q - p - 1));
			p = q + 1;
		} else if (*p == '\n') {
			for (n = 0; p[n] == '\n'; n++)
				;
			p += n;
			if (e.nofill > 0) {
				while (n-- > 0)
					render_enriched_put(&e, "\n", 1);
			} else if (n == 1) {
				if (!e.bol) /* no space to start a line */
					render_enriched_put(&e, " ", 1);
			} else {
				while (--n > 0)
					render_enriched_put(&e, "\n", 1);
			}
		} else {
			n = strcspn(p, "<\n");
			render_enriched_put(&e, p, n);
			p += n;
		}
	}

	/* The lines, without the trailing blank ones, each wrapped with its
	 * attributes. */
	len = e.out.len;
	while (len > 0 && (e.out.s[len - 1] == '\n' || e.out.s[len - 1] == ' '))
		len--;
	e.out.s[len] = '\0';
	for (at = 0; at < len && !c->full; at = (size_t)(eol - e.out.s) + 1) {
		line = e.out.s + at;
		if ((eol = strchr(line, '\n')) == NULL)
			eol = e.out.s + len;
		*eol = '\0';
		level = render_quote_level(line, &skip);
		render_quote_prefix(prefix, sizeof prefix, level, c->width);
		c->attr = (const unsigned char *)e.attr.s + at;
		render_wrap(c, line, (size_t)(eol - line),
		    level > 0 ? RENDER_QUOTE : RENDER_BODY, level, "", prefix,
		    0);
		c->attr = NULL;
		if (eol == e.out.s + len)
			break;
	}
	free(e.out.s);
	free(e.attr.s);
}

/* Code point cp as UTF-8 in out (room for 4); its length. */
static size_t
render_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * len bytes of s in charset cs (NULL when the part names none) as UTF-8,
 * NUL-terminated, its length in *outlen; the caller's. Labels go through
 * mime_charset_name()'s aliases (ISO-8859-1 is windows-1252, GB2312 is GBK,
 * as WHATWG reads them). Unlabelled or ASCII text that is not UTF-8, and an
 * unknown charset, are read in fallback. Text that is valid UTF-8 with 8-bit
 * bytes is taken as UTF-8 whatever its label says (mime_prefer_utf8()). A
 * byte that does not convert is U+FFFD. Declared UTF-8 is left for
 * text_clean() to repair.
 */
static char *
render_to_utf8(const char *s, size_t len, const char *cs, const char *fallback,
    size_t *outlen)
{
	struct render_buf b = {NULL, 0, 0};
	char *in = (char *)s, *o, chunk[4096], name[MIME_CHARSET_MAX];
	char fname[MIME_CHARSET_MAX];
	size_t inleft = len, outleft, i;
	iconv_t cd = (iconv_t)-1;

	if (cs != NULL &&
	    (strcasecmp(cs, "us-ascii") == 0 || strcasecmp(cs, "ascii") == 0))
		cs = NULL; /* 8-bit bytes in it are the sender's own charset */
	mime_charset_name(cs, name, sizeof name);
	if (strcasecmp(name, "UTF-8") == 0 ||
	    (*name == '\0' && text_utf8_valid(s, len)) ||
	    (*name != '\0' && mime_prefer_utf8(name, s, len))) {
		render_buf_add(&b, s, len);
		*outlen = len;
		return b.s;
	}
	/* RFC 2781 4.3: UTF-16 (and UTF-32) without a byte order mark is
	 * big-endian, not the machine's order iconv would take. */
	if (strcasecmp(name, "UTF-16") == 0 && len >= 2 &&
	    !((unsigned char)s[0] == 0xfe && (unsigned char)s[1] == 0xff) &&
	    !((unsigned char)s[0] == 0xff && (unsigned char)s[1] == 0xfe))
		memcpy(name, "UTF-16BE", sizeof "UTF-16BE");
	else if (strcasecmp(name, "UTF-32") == 0 && len >= 4 &&
	    memcmp(s, "\0\0\xfe\xff", 4) != 0 &&
	    memcmp(s, "\xff\xfe\0\0", 4) != 0)
		memcpy(name, "UTF-32BE", sizeof "UTF-32BE");
	mime_charset_name(fallback, fname, sizeof fname);
	if (*name != '\0')
		cd = g_mime_iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1 && *fname != '\0')
		cd = g_mime_iconv_open("UTF-8", fname);
	render_buf_add(&b, "", 0);
	if (cd == (iconv_t)-1) {
		/* Not even the fallback: ISO-8859-1, which always works. */
		for (i = 0; i < len; i++) {
			render_buf_add(
			    &b, chunk, render_utf8((unsigned char)s[i], chunk));
		}
		*outlen = b.len;
		return b.s;
	}
	while (inleft > 0) {
		o = chunk;
		outleft = sizeof chunk;
		if (iconv(cd, &in, &inleft, &o, &outleft) != (size_t)-1 ||
		    errno == E2BIG) {
			render_buf_add(&b, chunk, (size_t)(o - chunk));
			continue;
		}
		/* EILSEQ, or EINVAL at the end: skip the byte. */
		render_buf_add(&b, chunk, (size_t)(o - chunk));
		render_buf_add(&b, TEXT_REPLACEMENT, 3);
		in++;
		inleft--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	o = chunk;
	outleft = sizeof chunk;
	iconv(cd, NULL, NULL, &o, &outleft);
	render_buf_add(&b, chunk, (size_t)(o - chunk));
	g_mime_iconv_close(cd);
	*outlen = b.len;
	return b.s;
}

/* The content of part with its transfer encoding undone; the caller's. */
static char *
render_part_bytes(GMimePart *part, size_t *len)
{
	GMimeDataWrapper *w;
	GMimeStream *mem;
	GByteArray *ba;
	char *out;

	*len = 0;
	if ((w = g_mime_part_get_content(part)) == NULL)
		return xstrdup("");
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	out = xmalloc(ba->len + 1);
	if (ba->len > 0)
		memcpy(out, ba->data, ba->len);
	out[ba->len] = '\0';
	*len = ba->len;
	g_object_unref(mem);
	return out;
}

/*
 * The bytes of text part as they are when it says base64 but is not: most of
 * its lines hold white space inside or characters base64 does not have
 * (plain text mislabelled; decoding it makes nonsense, Python's email shows
 * it as it is too). NULL when it is base64, or says another encoding. The
 * result is the caller's, its length in *len.
 */
static char *
render_not_base64(GMimePart *part, size_t *len)
{
	GMimeDataWrapper *w;
	GMimeStream *src, *mem;
	GByteArray *ba;
	const unsigned char *p, *end, *eol, *q;
	size_t lines = 0, bad = 0, n;
	char *out;

	if (g_mime_part_get_content_encoding(part) !=
	        GMIME_CONTENT_ENCODING_BASE64 ||
	    (w = g_mime_part_get_content(part)) == NULL ||
	    (src = g_mime_data_wrapper_get_stream(w)) == NULL)
		return NULL;
	mem = g_mime_stream_mem_new();
	g_mime_stream_reset(src);
	g_mime_stream_write_to_stream(src, mem);
	g_mime_stream_reset(src);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	p = ba->data;
	end = p != NULL ? p + ba->len : p; /* an empty part has no buffer */
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		for (n = (size_t)(eol - p); n > 0 &&
		     (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t');
		     n--)
			;
		if (n == 0)
			continue;
		lines++;
		for (q = p; q < p + n; q++) {
			if (!g_ascii_isalnum(*q) && *q != '+' && *q != '/' &&
			    *q != '=')
				break;
		}
		if (q < p + n)
			bad++;
		if (eol == end)
			break;
	}
	out = NULL;
	if (lines > 0 && bad * 2 > lines) {
		out = xmalloc(ba->len + 1);
		if (ba->len > 0)
			memcpy(out, ba->data, ba->len);
		out[ba->len] = '\0';
		*len = ba->len;
	}
	g_object_unref(mem);
	return out;
}

/* The decoded size of part, counted without keeping it. */
static size_t
render_part_size(GMimePart *part)
{
	GMimeDataWrapper *w;
	GMimeStream *null;
	size_t n;

	if ((w = g_mime_part_get_content(part)) == NULL)
		return 0;
	null = g_mime_stream_null_new();
	g_mime_data_wrapper_write_to_stream(w, null);
	n = GMIME_STREAM_NULL(null)->written;
	g_object_unref(null);
	return n;
}

/* Named character references the built-in converter knows. */
static const struct {
	const char *name;
	const char *utf8;
} render_entities[] = {
    {"amp", "&"},
    {"lt", "<"},
    {"gt", ">"},
    {"quot", "\""},
    {"apos", "'"},
    {"nbsp", " "},
    {"ensp", " "},
    {"emsp", " "},
    {"thinsp", " "},
    {"shy", ""},
    {"zwnj", ""},
    {"zwj", ""},
    {"lrm", ""},
    {"rlm", ""},
    {"copy", "\xc2\xa9"},
    {"reg", "\xc2\xae"},
    {"trade", "\xe2\x84\xa2"},
    {"hellip", "\xe2\x80\xa6"},
    {"mdash", "\xe2\x80\x94"},
    {"ndash", "\xe2\x80\x93"},
    {"lsquo", "\xe2\x80\x98"},
    {"rsquo", "\xe2\x80\x99"},
    {"sbquo", "\xe2\x80\x9a"},
    {"ldquo", "\xe2\x80\x9c"},
    {"rdquo", "\xe2\x80\x9d"},
    {"bdquo", "\xe2\x80\x9e"},
    {"laquo", "\xc2\xab"},
    {"raquo", "\xc2\xbb"},
    {"bull", "\xe2\x80\xa2"},
    {"middot", "\xc2\xb7"},
    {"dagger", "\xe2\x80\xa0"},
    {"euro", "\xe2\x82\xac"},
    {"pound", "\xc2\xa3"},
    {"yen", "\xc2\xa5"},
    {"cent", "\xc2\xa2"},
    {"sect", "\xc2\xa7"},
    {"para", "\xc2\xb6"},
    {"deg", "\xc2\xb0"},
    {"plusmn", "\xc2\xb1"},
    {"times", "\xc3\x97"},
    {"divide", "\xc3\xb7"},
    {"micro", "\xc2\xb5"},
    {"iexcl", "\xc2\xa1"},
    {"iquest", "\xc2\xbf"},
    {"frac12", "\xc2\xbd"},
    {"frac14", "\xc2\xbc"},
    {"frac34", "\xc2\xbe"},
    {"sup2", "\xc2\xb2"},
    {"rarr", "\xe2\x86\x92"},
    {"larr", "\xe2\x86\x90"},
    {"uarr", "\xe2\x86\x91"},
    {"darr", "\xe2\x86\x93"},
    {"auml", "\xc3\xa4"},
    {"ouml", "\xc3\xb6"},
    {"uuml", "\xc3\xbc"},
    {"Auml", "\xc3\x84"},
    {"Ouml", "\xc3\x96"},
    {"Uuml", "\xc3\x9c"},
    {"szlig", "\xc3\x9f"},
    {"aacute", "\xc3\xa1"},
    {"agrave", "\xc3\xa0"},
    {"acirc", "\xc3\xa2"},
    {"aring", "\xc3\xa5"},
    {"aelig", "\xc3\xa6"},
    {"ccedil", "\xc3\xa7"},
    {"eacute", "\xc3\xa9"},
    {"egrave", "\xc3\xa8"},
    {"ecirc", "\xc3\xaa"},
    {"Eacute", "\xc3\x89"},
    {"iacute", "\xc3\xad"},
    {"ntilde", "\xc3\xb1"},
    {"oacute", "\xc3\xb3"},
    {"ograve", "\xc3\xb2"},
    {"ocirc", "\xc3\xb4"},
    {"oslash", "\xc3\xb8"},
    {"uacute", "\xc3\xba"},
};

/*
 * The character reference at p (just past its '&') before end, written to
 * out (room for 8) with its length in *n; the end of the reference, or NULL
 * when it is not one (the '&' is then text). Numeric ones give U+FFFD for
 * what is not a character and nothing for controls.
 */
static const char *
render_html_entity(const char *p, const char *end, char *out, size_t *n)
{
	const char *q;
	uint32_t cp = 0;
	size_t i, len;
	int hex, digits = 0;

	if (p < end && *p == '#') {
		p++;
		hex = p < end && (*p == 'x' || *p == 'X');
		if (hex)
			p++;
		for (; p < end; p++, digits++) {
			if (*p >= '0' && *p <= '9')
				i = (size_t)(*p - '0');
			else if (hex && g_ascii_isxdigit(*p))
				i = (size_t)g_ascii_xdigit_value(*p);
			else
				break;
			if (cp <= 0x10ffff)
				cp = cp * (hex ? 16 : 10) + (uint32_t)i;
		}
		if (digits == 0)
			return NULL;
		if (p < end && *p == ';')
			p++;
		if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			cp = 0xfffd;
		if ((cp < 0x20 && cp != '\t' && cp != '\n') ||
		    (cp >= 0x7f && cp < 0xa0)) {
			*n = 0;
			return p;
		}
		*n = render_utf8(cp, out);
		return p;
	}
	for (q = p; q < end && q - p < 10 && g_ascii_isalnum(*q); q++)
		;
	len = (size_t)(q - p);
	for (i = 0; i < sizeof render_entities / sizeof render_entities[0];
	     i++) {
		if (strlen(render_entities[i].name) != len ||
		    strncmp(render_entities[i].name, p, len) != 0)
			continue;
		if (q < end && *q == ';')
			q++;
		else if (i > 5) /* only the old few may lack the ';' */
			return NULL;
		*n = strlen(render_entities[i].utf8);
		memcpy(out, render_entities[i].utf8, *n);
		return q;
	}
	return NULL;
}

/* len bytes of an attribute value with its references decoded. */
static char *
render_html_decode(const char *s, size_t len)
{
	struct render_buf b = {NULL, 0, 0};
	const char *p = s, *end = s + len, *q;
	char ch[8];
	size_t n;

	render_buf_add(&b, "", 0);
	while (p < end) {
		if (*p == '&' &&
		    (q = render_html_entity(p + 1, end, ch, &n)) != NULL) {
			render_buf_add(&b, ch, n);
			p = q;
		} else
			render_buf_add(&b, p++, 1);
	}
	return b.s;
}

/* Attribute name of the tag from p to end, decoded, or NULL. */
static char *
render_html_attr(const char *p, const char *end, const char *name)
{
	const char *n, *v, *ve;
	size_t nlen;

	while (p < end && !g_ascii_isspace(*p) && *p != '/')
		p++; /* the tag's name */
	while (p < end) {
		while (p < end && (g_ascii_isspace(*p) || *p == '/'))
			p++;
		for (n = p;
		     p < end && !g_ascii_isspace(*p) && *p != '=' && *p != '/';
		     p++)
			;
		nlen = (size_t)(p - n);
		while (p < end && g_ascii_isspace(*p))
			p++;
		v = ve = p;
		if (p < end && *p == '=') {
			p++;
			while (p < end && g_ascii_isspace(*p))
				p++;
			if (p < end && (*p == '"' || *p == '\'')) {
				v = p + 1;
				for (ve = v; ve < end && *ve != *p; ve++)
					;
				p = ve < end ? ve + 1 : end;
			} else {
				for (v = p; p < end && !g_ascii_isspace(*p);
				     p++)
					;
				ve = p;
			}
		}
		if (nlen == 0 && p == n) {
			p++;
			continue;
		}
		if (nlen == strlen(name) &&
		    g_ascii_strncasecmp(n, name, nlen) == 0)
			return render_html_decode(v, (size_t)(ve - v));
	}
	return NULL;
}

/* Write text at the current place: first the pending line breaks, the
 * line's quote prefix and a pending space. */
static void
render_html_put(struct render_html *h, const char *s, size_t n)
{
	size_t have;
	int i;

	if (h->nl > 0 && h->out.len > 0) {
		for (have = 0; have < h->out.len &&
		     h->out.s[h->out.len - 1 - have] == '\n';
		     have++)
			;
		for (; (int)have < h->nl; have++)
			render_buf_add(&h->out, "\n", 1);
		h->bol = 1;
	}
	h->nl = 0;
	if (h->bol) {
		for (i = 0; i < h->quote; i++)
			render_buf_add(&h->out, "> ", 2);
		h->bol = 0;
		h->space = 0;
	}
	if (h->space) {
		render_buf_add(&h->out, " ", 1);
		h->space = 0;
	}
	render_buf_add(&h->out, s, n);
}

/* Text of the document: references decoded, white space collapsed except
 * inside <pre>. */
static void
render_html_chars(struct render_html *h, const char *s, size_t len)
{
	const char *p = s, *end = s + len, *q;
	char ch[8];
	size_t n;

	while (p < end) {
		if (*p == '&' &&
		    (q = render_html_entity(p + 1, end, ch, &n)) != NULL) {
			if (n > 0)
				render_html_put(h, ch, n);
			p = q;
		} else if (*p == '\n' && h->pre) {
			render_html_put(h, "", 0);
			render_buf_add(&h->out, "\n", 1);
			h->bol = 1;
			p++;
		} else if (g_ascii_isspace(*p) && !h->pre) {
			if (h->out.len > 0 && !h->bol)
				h->space = 1;
			p++;
		} else {
			for (q = p + 1; q < end && *q != '&' && *q != '\n' &&
			     (h->pre || !g_ascii_isspace(*q));
			     q++)
				;
			render_html_put(h, p, (size_t)(q - p));
			p = q;
		}
	}
}

/* Ask for n line breaks (2: a blank line) before the next text. */
static void
render_html_break(struct render_html *h, int n)
{
	if (h->out.len == 0)
		return;
	if (h->nl < n)
		h->nl = n;
	h->space = 0;
}

/*
 * Act on the tag at p ('<' already passed) before end; where the document
 * goes on. Elements whose content is not text (script, style, title) are
 * skipped to their end tag.
 */
static const char *
render_html_tag(struct render_html *h, const char *p, const char *end)
{
	static const char *skip[] = {
	    "script", "style", "title", "template", "xml", "head"};
	static const char *para[] = {"p", "h1", "h2", "h3", "h4", "h5", "h6",
	    "table", "dl", "pre", "blockquote", "ul", "ol"};
	static const char *line[] = {"div", "tr", "section", "article",
	    "header", "footer", "nav", "aside", "main", "figure", "address",
	    "center", "form", "dt", "dd", "caption", "fieldset", "details",
	    "summary", "li", "body", "html"};
	const char *q, *t, *name;
	char tag[16], bullet[32], *alt, *text;
	size_t n, i, tl;
	int close = 0;

	if (p < end && *p == '!') {
		if (end - p >= 3 && p[1] == '-' && p[2] == '-') {
			for (q = p + 3; q + 2 < end; q++) {
				if (q[0] == '-' && q[1] == '-' && q[2] == '>')
					return q + 3;
			}
			return end;
		}
	}
	/* The first '>' ends the tag, even in a quoted value: a stray
	 * quote cannot swallow the document. */
	for (q = p; q < end && *q != '>'; q++)
		;
	t = q;
	q = q < end ? q + 1 : end;
	if (p < end && *p == '/') {
		close = 1;
		p++;
	}
	for (n = 0; p + n < t && n < sizeof tag - 1 &&
	     (g_ascii_isalnum(p[n]) || p[n] == ':');
	     n++)
		tag[n] = g_ascii_tolower(p[n]);
	tag[n] = '\0';
	if (n == 0)
		return q;
	name = tag;
	if (!close) {
		for (i = 0; i < sizeof skip / sizeof skip[0]; i++) {
			if (strcmp(name, skip[i]) != 0)
				continue;
			if (t > p && t[-1] == '/')
				return q;
			tl = strlen(name);
			for (; q + tl + 2 <= end; q++) {
				if (q[0] == '<' && q[1] == '/' &&
				    g_ascii_strncasecmp(q + 2, name, tl) == 0) {
					for (; q < end && *q != '>'; q++)
						;
					return q < end ? q + 1 : end;
				}
			}
			/* No end tag: head ends where body starts; the
			 * others run to the end, as in a browser. */
			return strcmp(name, "head") == 0 ? q : end;
		}
	}
	if (strcmp(name, "br") == 0) {
		if (h->out.len > 0) {
			render_html_put(h, "", 0);
			render_buf_add(&h->out, "\n", 1);
			h->bol = 1;
		}
		return q;
	}
	if (strcmp(name, "hr") == 0) {
		render_html_break(h, 1);
		render_html_put(h, "----------", 10);
		render_html_break(h, 1);
		return q;
	}
	if (strcmp(name, "img") == 0) {
		if ((alt = render_html_attr(p, t, "alt")) != NULL) {
			render_html_chars(h, alt, strlen(alt));
			free(alt);
		}
		return q;
	}
	if (strcmp(name, "a") == 0) {
		if (!close) {
			free(h->href);
			h->href = render_html_attr(p, t, "href");
			h->link = h->out.len;
			return q;
		}
		if (h->href == NULL)
			return q;
		text = h->out.s != NULL && h->link <= h->out.len
		    ? h->out.s + h->link
		    : "";
		while (*text == ' ')
			text++;
		if (*h->href != '\0' && *h->href != '#' &&
		    g_ascii_strncasecmp(h->href, "javascript:", 11) != 0 &&
		    strcmp(text, h->href) != 0 &&
		    !(g_ascii_strncasecmp(h->href, "mailto:", 7) == 0 &&
		        strcmp(text, h->href + 7) == 0)) {
			if (*text != '\0')
				h->space = 1;
			render_html_put(h, "<", 1);
			render_html_chars(h, h->href, strlen(h->href));
			render_html_put(h, ">", 1);
		}
		free(h->href);
		h->href = NULL;
		return q;
	}
	if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
		if (!close && h->cell++ > 0)
			h->space = 1;
		return q;
	}
	if (strcmp(name, "tr") == 0)
		h->cell = 0;
	if (strcmp(name, "blockquote") == 0) {
		render_html_break(h, 2);
		if (close && h->quote > 0)
			h->quote--;
		else if (!close && h->quote < RENDER_QUOTE_MAX)
			h->quote++;
		h->bol = 1;
		return q;
	}
	if (strcmp(name, "pre") == 0)
		h->pre = close ? 0 : 1;
	if (strcmp(name, "ul") == 0 || strcmp(name, "ol") == 0) {
		if (close && h->list > 0)
			h->list--;
		else if (!close && h->list < 8) {
			h->olist[h->list] = name[0] == 'o' ? 1 : 0;
			h->list++;
		}
		render_html_break(h, h->list > 0 ? 1 : 2);
		return q;
	}
	if (strcmp(name, "li") == 0 && !close) {
		render_html_break(h, 1);
		if (h->out.len == 0)
			h->nl = 0;
		n = 0;
		for (i = 1; i < (size_t)h->list && n + 2 < sizeof bullet; i++) {
			bullet[n++] = ' ';
			bullet[n++] = ' ';
		}
		if (h->list > 0 && h->olist[h->list - 1] > 0)
			n += (size_t)snprintf(bullet + n, sizeof bullet - n,
			    "%d. ", h->olist[h->list - 1]++ % 100000);
		else
			n += (size_t)snprintf(
			    bullet + n, sizeof bullet - n, "* ");
		h->space = 0;
		render_html_put(h, bullet, n < sizeof bullet ? n : 0);
		h->space = 0;
		return q;
	}
	for (i = 0; i < sizeof para / sizeof para[0]; i++) {
		if (strcmp(name, para[i]) == 0) {
			render_html_break(h, 2);
			return q;
		}
	}
	for (i = 0; i < sizeof line / sizeof line[0]; i++) {
		if (strcmp(name, line[i]) == 0) {
			render_html_break(h, 1);
			return q;
		}
	}
	return q;
}

/*
 * The built-in HTML to text: len bytes of UTF-8 html as lines of text;
 * blocks start lines, lists get bullets, links show their target, quotes
 * get '>'. The result is the caller's, its length in *outlen.
 */
static char *
render_html_text(const char *html, size_t len, size_t *outlen)
{
	struct render_html h;
	struct render_buf b = {NULL, 0, 0};
	const char *p = html, *end = html + len, *q;
	size_t i, j, start, nl = 0;

	memset(&h, 0, sizeof h);
	render_buf_add(&h.out, "", 0);
	while (p < end) {
		if (*p == '<' && p + 1 < end &&
		    (g_ascii_isalpha(p[1]) || p[1] == '/' || p[1] == '!' ||
		        p[1] == '?')) {
			p = render_html_tag(&h, p + 1, end);
			continue;
		}
		for (q = p + 1; q < end && *q != '<'; q++)
			;
		render_html_chars(&h, p, (size_t)(q - p));
		p = q;
	}
	free(h.href);

	/* Lines without trailing spaces, at most one blank line between. */
	render_buf_add(&b, "", 0);
	for (i = 0; i < h.out.len; i = j + 1) {
		for (j = i; j < h.out.len && h.out.s[j] != '\n'; j++)
			;
		for (start = j; start > i && h.out.s[start - 1] == ' '; start--)
			;
		if (start == i) {
			nl++;
			continue;
		}
		if (b.len > 0)
			render_buf_add(&b, "\n\n", nl > 1 ? 2 : 1);
		render_buf_add(&b, h.out.s + i, start - i);
		nl = 0;
	}
	free(h.out.s);
	*outlen = b.len;
	return b.s;
}

/* The header fields of obj the caller asked for, one line each. */
static void
render_headers(struct render_ctx *c, GMimeObject *obj)
{
	static const char *const fallback[] = {
	    "From", "To", "Cc", "Date", "Subject", NULL};
	const char *const *names = c->headers != NULL ? c->headers : fallback;
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	GMimeHeaderList *ctlist = list;
	GMimeObject *body;
	GMimeHeader *hdr;
	const char *raw, *ct = NULL;
	char *block, *value, *line;
	size_t i;

	/* The same decoder as the index's, with the same charset hint: the
	 * Content-Type, which GMime keeps on the message's body part. */
	if (GMIME_IS_MESSAGE(obj) &&
	    (body = g_mime_message_get_mime_part(GMIME_MESSAGE(obj))) != NULL)
		ctlist = g_mime_object_get_header_list(body);
	if (ctlist != NULL &&
	    (hdr = g_mime_header_list_get_header(ctlist, "Content-Type")) !=
	        NULL)
		ct = g_mime_header_get_raw_value(hdr);
	for (i = 0; names[i] != NULL && !c->full; i++) {
		if (list == NULL || strlen(names[i]) > 64 ||
		    (hdr = g_mime_header_list_get_header(list, names[i])) ==
		        NULL)
			continue;
		if ((raw = g_mime_header_get_raw_value(hdr)) == NULL)
			raw = "";
		value = mime_decode_field(
		    names[i], raw, strlen(raw), ct, c->charset);
		block = text_clean_line(names[i]);
		xasprintf(&line, "%s: %s", block, value);
		render_wrap(c, line, strlen(line), RENDER_HEADER, 0, "", "    ",
		    strlen(block) + 1);
		free(line);
		free(block);
		free(value);
	}
}

/* Whether obj holds a text/plain part to show, looking depth levels down. */
static int
render_has_plain(GMimeObject *obj, int depth)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeContentDisposition *cd;
	int i, n;

	if (GMIME_IS_MULTIPART(obj) && depth > 0) {
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < n && i < 64; i++) {
			if (render_has_plain(g_mime_multipart_get_part(
			                         GMIME_MULTIPART(obj), i),
			        depth - 1))
				return 1;
		}
		return 0;
	}
	if (!GMIME_IS_PART(obj) || ct == NULL ||
	    !g_mime_content_type_is_type(ct, "text", "plain"))
		return 0;
	cd = g_mime_object_get_content_disposition(obj);
	return cd == NULL || !g_mime_content_disposition_is_attachment(cd);
}

/*
 * The part of a multipart/alternative to show: the last one with plain
 * text (RFC 2046 5.1.4 puts the preferred last), else the last HTML one,
 * else the last one.
 */
static GMimeObject *
render_pick(GMimeMultipart *mp)
{
	GMimeObject *part, *plain = NULL, *html = NULL, *other = NULL;
	GMimeContentType *ct;
	int i, n = g_mime_multipart_get_count(mp);

	for (i = 0; i < n && i < RENDER_PARTS_MAX; i++) {
		part = g_mime_multipart_get_part(mp, i);
		ct = g_mime_object_get_content_type(part);
		if (render_has_plain(part, 4))
			plain = part;
		else if (ct != NULL &&
		    (g_mime_content_type_is_type(ct, "text", "html") ||
		        GMIME_IS_MULTIPART(part)))
			html = part;
		else
			other = part;
	}
	return plain != NULL ? plain : html != NULL ? html : other;
}

/* A new entry at the end of the attachment list, type and name cleaned. */
static struct render_attachment *
render_att_new(struct render_ctx *c, const char *type, const char *name)
{
	struct render_doc *d = c->doc;
	struct render_attachment *a;

	if (d->natt == d->aatt) {
		d->aatt = d->aatt == 0 ? 8 : d->aatt * 2;
		d->att = xreallocarray(d->att, d->aatt, sizeof *d->att);
	}
	a = &d->att[d->natt++];
	a->type = text_clean_line(type);
	a->filename = text_clean_line(name);
	a->size = 0;
	return a;
}

/* Note part as an attachment of type type. */
static void
render_attach(struct render_ctx *c, GMimePart *part, const char *type)
{
	struct render_attachment *a;

	a = render_att_new(c, type, g_mime_part_get_filename(part));
	if (c->doc->natt - 1 == c->want && c->want_data == NULL) {
		c->want_data = render_part_bytes(part, &c->want_len);
		a->size = c->want_len;
	} else
		a->size = render_part_size(part);
}

/*
 * Decode the uuencoded line s of n bytes (no newline) into out (room for
 * 64 bytes); its length, or (size_t)-1 when s is not such a line: a length
 * character, then characters from ' ' to '`' for that many bytes (trailing
 * spaces a mail system cut are taken as there, a checksum character is
 * allowed).
 */
static size_t
render_uu_line(const char *s, size_t n, char *out)
{
	size_t len, need, i, o = 0;
	unsigned char v[4];
	int k;

	if (n == 0 || s[0] < ' ' || s[0] > '`')
		return (size_t)-1;
	len = (size_t)((s[0] - ' ') & 0x3f);
	need = (len + 2) / 3 * 4;
	if (n - 1 > need + 2)
		return (size_t)-1;
	for (i = 1; i < n; i++) {
		if (s[i] < ' ' || s[i] > '`')
			return (size_t)-1;
	}
	for (i = 1; o < len; i += 4) {
		for (k = 0; k < 4; k++)
			v[k] = i + (size_t)k < n
			    ? (unsigned char)((s[i + k] - ' ') & 0x3f)
			    : 0;
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		if (o < len)
			out[o++] = (char)(v[1] << 4 | v[2] >> 2);
		if (o < len)
			out[o++] = (char)(v[2] << 6 | v[3]);
	}
	return len;
}

/*
 * The uuencoded file whose lines start at p (after its "begin" line) in
 * text ending at end: when every line up to an "end" line decodes, it is
 * listed as an attachment called name and this returns where the text
 * goes on after it; NULL when it is not one.
 */
static const char *
render_uu_block(
    struct render_ctx *c, const char *p, const char *end, const char *name)
{
	struct render_attachment *a;
	struct render_buf data = {NULL, 0, 0};
	const char *eol, *next;
	char out[64];
	size_t n, got;
	int want = c->doc->natt == c->want && c->want_data == NULL;

	for (; p < end; p = next) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		next = eol < end ? eol + 1 : end;
		for (n = (size_t)(eol - p);
		     n > 0 && (p[n - 1] == '\r' || (n > 1 && p[n - 1] == ' '));
		     n--)
			;
		if (n == 3 && memcmp(p, "end", 3) == 0) {
			a = render_att_new(c, "application/octet-stream", name);
			a->size = data.len;
			if (want) {
				render_buf_add(&data, "", 0);
				c->want_data = data.s;
				c->want_len = data.len;
			} else
				free(data.s);
			return next;
		}
		if ((got = render_uu_line(p, n, out)) == (size_t)-1)
			break;
		if (want)
			render_buf_add(&data, out, got);
		else
			data.len += got;
	}
	free(data.s);
	return NULL;
}

/*
 * Take the uuencoded files out of text (*len bytes, NUL-terminated; this
 * rewrites it and sets *len): each "begin mode name" line, the lines of the
 * file and its "end" line go from the text and the file is listed as an
 * attachment, when all of its lines decode. Anything else stays text.
 */
static void
render_uu(struct render_ctx *c, char *text, size_t *len)
{
	char *p, *o = text, *end = text + *len, *eol, *next, *name;
	const char *after, *m, *nm;
	size_t n;

	if (strstr(text, "begin ") == NULL)
		return;
	for (p = text; p < end; p = next) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		next = eol < end ? eol + 1 : end;
		after = NULL;
		if ((size_t)(eol - p) > 6 && memcmp(p, "begin ", 6) == 0 &&
		    c->doc->natt < RENDER_PARTS_MAX) {
			for (m = p + 6; m < eol && *m >= '0' && *m <= '7'; m++)
				;
			for (nm = m; nm < eol && *nm == ' '; nm++)
				;
			for (n = (size_t)(eol - nm);
			     n > 0 && (nm[n - 1] == '\r' || nm[n - 1] == ' ');
			     n--)
				;
			if (m - p >= 9 && m - p <= 10 && nm > m) {
				name = xstrndup(nm, n);
				after = render_uu_block(c, next, end, name);
				free(name);
			}
		}
		if (after != NULL) {
			next = text + (after - text);
			continue;
		}
		memmove(o, p, (size_t)(next - p));
		o += next - p;
	}
	*o = '\0';
	*len = (size_t)(o - text);
}

/* Show leaf part inline when it is text, or list it. */
static void
render_leaf(struct render_ctx *c, GMimePart *part)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeContentDisposition *cd =
	    g_mime_object_get_content_disposition(obj);
	const char *cs, *fmt, *delsp;
	char *type, *raw, *utf8, *text, *html = NULL, *sep;
	size_t len, ulen, hlen = 0;
	int is_html, inline_text;

	type = ct != NULL ? g_mime_content_type_get_mime_type(ct)
	                  : g_strdup("text/plain");
	for (raw = type; *raw != '\0'; raw++)
		*raw = g_ascii_tolower(*raw);
	is_html = strcmp(type, "text/html") == 0;
	inline_text =
	    (strncmp(type, "text/", 5) == 0 ||
	        strcmp(type, "message/delivery-status") == 0 ||
	        strcmp(type, "message/disposition-notification") == 0) &&
	    (cd == NULL || !g_mime_content_disposition_is_attachment(cd)) &&
	    (g_mime_part_get_filename(part) == NULL ||
	        strcmp(type, "text/plain") == 0 || is_html);
	if (!inline_text) {
		render_attach(c, part, type);
		g_free(type);
		return;
	}
	if (c->ntext++ > 0) {
		render_add(c, "", 0, RENDER_BODY, 0, 0);
		raw = text_clean_line(type);
		xasprintf(&sep, "[-- %s --]", raw);
		free(raw);
		render_wrap(
		    c, sep, strlen(sep), RENDER_SEPARATOR, 0, "", "", 0);
		free(sep);
	}
	if ((raw = render_not_base64(part, &len)) == NULL)
		raw = render_part_bytes(part, &len);
	cs = g_mime_object_get_content_type_parameter(obj, "charset");
	utf8 = render_to_utf8(raw, len, cs, c->charset, &ulen);
	free(raw);
	if (is_html) {
		if (c->html != NULL)
			html = c->html(c->html_arg, utf8, ulen, &hlen);
		if (html != NULL) {
			raw =
			    render_to_utf8(html, hlen, NULL, c->charset, &hlen);
			free(html);
			html = raw;
		} else
			html = render_html_text(utf8, ulen, &hlen);
		free(utf8);
		utf8 = html;
		ulen = hlen;
	}
	if (!is_html)
		render_uu(c, utf8, &ulen);
	if (strcmp(type, "text/enriched") == 0) {
		text = text_clean(utf8, ulen, TEXT_KEEP_NEWLINE);
		free(utf8);
		render_enriched(c, text);
		free(text);
		g_free(type);
		return;
	}
	text = text_clean(utf8, ulen, TEXT_KEEP_NEWLINE | TEXT_KEEP_TAB);
	free(utf8);
	fmt = g_mime_object_get_content_type_parameter(obj, "format");
	delsp = g_mime_object_get_content_type_parameter(obj, "delsp");
	render_text(c, text,
	    !is_html && fmt != NULL && g_ascii_strcasecmp(fmt, "flowed") == 0,
	    delsp != NULL && g_ascii_strcasecmp(delsp, "yes") == 0);
	free(text);
	g_free(type);
}

/* Render obj, depth levels into the message. */
static void
render_object(struct render_ctx *c, GMimeObject *obj, int depth)
{
	GMimeMessage *msg;
	GMimeMultipart *mp;
	GMimeObject *body;
	GMimeContentType *ct;
	char *sep;
	int i, n;

	if (obj == NULL || c->full)
		return;
	if (++c->nparts > RENDER_PARTS_MAX) {
		render_note(c, "too many parts: the rest is not shown");
		return;
	}
	if (depth > RENDER_DEPTH_MAX) {
		render_note(c, "parts nested too deep: not shown");
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {
		msg = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (msg == NULL)
			return;
		render_add(c, "", 0, RENDER_BODY, 0, 0);
		sep = xstrdup("[-- Attached message --]");
		render_wrap(
		    c, sep, strlen(sep), RENDER_SEPARATOR, 0, "", "", 0);
		free(sep);
		n = (int)c->doc->nlines;
		render_headers(c, GMIME_OBJECT(msg));
		if ((int)c->doc->nlines > n)
			render_add(c, "", 0, RENDER_BODY, 0, 0);
		c->ntext = 0;
		body = g_mime_message_get_mime_part(msg);
		render_object(c, body, depth + 1);
		c->ntext = 1;
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		mp = GMIME_MULTIPART(obj);
		ct = g_mime_object_get_content_type(obj);
		if (ct != NULL &&
		    g_mime_content_type_is_type(
		        ct, "multipart", "alternative")) {
			render_object(c, render_pick(mp), depth + 1);
			return;
		}
		n = g_mime_multipart_get_count(mp);
		for (i = 0; i < n && !c->full; i++)
			render_object(
			    c, g_mime_multipart_get_part(mp, i), depth + 1);
		return;
	}
	if (GMIME_IS_PART(obj))
		render_leaf(c, GMIME_PART(obj));
}

/* The list of attachments, at the end. */
static void
render_attachments(struct render_ctx *c)
{
	struct render_attachment *a;
	char *s, size[32];
	size_t i;

	if (c->doc->natt > 0)
		render_add(c, "", 0, RENDER_BODY, 0, 0);
	for (i = 0; i < c->doc->natt && !c->full; i++) {
		a = &c->doc->att[i];
		if (a->size < 1024)
			snprintf(size, sizeof size, "%zu bytes", a->size);
		else if (a->size < 1024 * 1024)
			snprintf(size, sizeof size, "%.1fK", a->size / 1024.0);
		else
			snprintf(size, sizeof size, "%.1fM",
			    a->size / (1024.0 * 1024.0));
		xasprintf(&s, "[-- Attachment #%zu: %s%s%s, %s --]", i + 1,
		    a->filename, *a->filename != '\0' ? ", " : "", a->type,
		    size);
		render_wrap(
		    c, s, strlen(s), RENDER_ATTACHMENT, 0, "", "    ", 0);
		free(s);
	}
}

/* Render as render_message() does into c (zeroed by the caller, want
 * set). */
static void
render_run(struct render_ctx *c, const char *raw, size_t len,
    const struct render_opts *opts)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	const char *eol;
	char *utf8, *text;
	size_t ulen;

	mime_init();
	c->doc = xcalloc(1, sizeof *c->doc);
	c->width = RENDER_WIDTH;
	c->charset = MIME_FALLBACK_CHARSET;
	if (opts != NULL) {
		if (opts->width != 0)
			c->width = opts->width;
		if (opts->charset != NULL)
			c->charset = opts->charset;
		c->html = opts->html;
		c->html_arg = opts->html_arg;
		c->headers = opts->headers;
	}
	if (c->width < RENDER_WIDTH_MIN)
		c->width = RENDER_WIDTH_MIN;
	if (c->width > RENDER_WIDTH_MAX)
		c->width = RENDER_WIDTH_MAX;
	if (raw == NULL)
		len = 0;

	/*
	 * Lines before the first field that start with white space (some
	 * exporters write a line of spaces first) continue no field: drop
	 * them, as Python's email, mutt and mime_headers_decode() do, or GMime
	 * takes the message for one without headers.
	 */
	while (len > 0 && (*raw == ' ' || *raw == '\t')) {
		if ((eol = memchr(raw, '\n', len)) == NULL)
			eol = raw + len - 1;
		len -= (size_t)(eol + 1 - raw);
		raw = eol + 1;
	}
	stream = len > 0 ? g_mime_stream_mem_new_with_buffer(raw, len)
	                 : g_mime_stream_mem_new();
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (msg != NULL) {
		render_headers(c, GMIME_OBJECT(msg));
		if (c->doc->nlines > 0)
			render_add(c, "", 0, RENDER_BODY, 0, 0);
		render_object(c, g_mime_message_get_mime_part(msg), 0);
		g_object_unref(msg);
	} else if (len > 0) {
		/* Not a message GMime can read: show the bytes as text. */
		utf8 = render_to_utf8(raw, len, NULL, c->charset, &ulen);
		text =
		    text_clean(utf8, ulen, TEXT_KEEP_NEWLINE | TEXT_KEEP_TAB);
		free(utf8);
		render_text(c, text, 0, 0);
		free(text);
	}
	render_attachments(c);
}

struct render_doc *
render_message(const char *raw, size_t len, const struct render_opts *opts)
{
	struct render_ctx c;

	memset(&c, 0, sizeof c);
	c.want = SIZE_MAX;
	render_run(&c, raw, len, opts);
	return c.doc;
}

char *
render_attachment_content(const char *raw, size_t len,
    const struct render_opts *opts, size_t i, size_t *outlen)
{
	struct render_ctx c;

	memset(&c, 0, sizeof c);
	c.want = i;
	render_run(&c, raw, len, opts);
	render_free(c.doc);
	*outlen = c.want_len;
	return c.want_data;
}

void
render_free(struct render_doc *doc)
{
	size_t i;

	if (doc == NULL)
		return;
	for (i = 0; i < doc->nlines; i++) {
		free((char *)doc->lines[i].text);
		free((unsigned char *)doc->lines[i].attr);
	}
	for (i = 0; i < doc->natt; i++) {
		free((char *)doc->att[i].type);
		free((char *)doc->att[i].filename);
	}
	free(doc->lines);
	free(doc->att);
	free(doc);
}

size_t
render_nlines(const struct render_doc *doc)
{
	return doc != NULL ? doc->nlines : 0;
}

const struct render_line *
render_line(const struct render_doc *doc, size_t i)
{
	if (doc == NULL || i >= doc->nlines)
		return NULL;
	return &doc->lines[i];
}

size_t
render_nattachments(const struct render_doc *doc)
{
	return doc != NULL ? doc->natt : 0;
}

const struct render_attachment *
render_attachment(const struct render_doc *doc, size_t i)
{
	if (doc == NULL || i >= doc->natt)
		return NULL;
	return &doc->att[i];
}

/* s (valid UTF-8) with each character lowered; the caller's. */
static char *
render_fold(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;
	uint32_t cp;
	size_t n;

	o = out = xreallocarray(NULL, strlen(s) + 1, 4);
	while (*p != '\0') {
		if (*p < 0x80) {
			*o++ = (char)g_ascii_tolower(*p++);
			continue;
		}
		if (*p >= 0xf0 && p[1] != 0 && p[2] != 0 && p[3] != 0) {
			cp = ((uint32_t)(p[0] & 0x07) << 18) |
			    ((uint32_t)(p[1] & 0x3f) << 12) |
			    ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
			n = 4;
		} else if (*p >= 0xe0 && p[1] != 0 && p[2] != 0) {
			cp = ((uint32_t)(p[0] & 0x0f) << 12) |
			    ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
			n = 3;
		} else if (*p >= 0xc0 && p[1] != 0) {
			cp = ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
			n = 2;
		} else {
			*o++ = (char)*p++;
			continue;
		}
		cp = (uint32_t)towlower((wint_t)cp);
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			cp = 0xfffd;
		o += render_utf8(cp, o);
		p += n;
	}
	*o = '\0';
	return out;
}

char *
render_safe_filename(const char *name, size_t n)
{
	const char *p, *base = name != NULL ? name : "";
	char *clean, *out, *o;
	size_t len;

	for (p = base; *p != '\0'; p++) {
		if (*p == '/' || *p == '\\')
			base = p + 1;
	}
	clean = text_clean_line(base);
	o = out = xmalloc(strlen(clean) + 1);
	for (p = clean; *p != '\0'; p++) {
		/* text_clean() showed controls as ^X: those go too */
		if (p[0] == '^' && p[1] != '\0' &&
		    ((unsigned char)p[1] >= 0x3f &&
		        (unsigned char)p[1] <= 0x5f)) {
			p++;
			continue;
		}
		if (o == out && (*p == '.' || *p == ' ' || *p == '-'))
			continue;
		*o++ = *p;
	}
	*o = '\0';
	free(clean);
	/* At most 200 bytes, not inside a character. */
	if ((len = strlen(out)) > 200) {
		len = 200;
		while (len > 0 && ((unsigned char)out[len] & 0xc0) == 0x80)
			len--;
		out[len] = '\0';
	}
	o = out + strlen(out);
	while (o > out && o[-1] == ' ')
		*--o = '\0';
	if (*out == '\0') {
		free(out);
		xasprintf(&out, "attachment-%zu", n);
	}
	return out;
}

int
render_attachment_save(const char *raw, size_t len,
    const struct render_opts *opts, size_t i, const char *dir, char **path,
    char **err)
{
	struct render_doc *doc;
	const struct render_attachment *a;
	char *data, *name, *ext, *try = NULL;
	size_t dlen, off;
	ssize_t w;
	int fd = -1, k;

	*path = NULL;
	*err = NULL;
	doc = render_message(raw, len, opts);
	if ((a = render_attachment(doc, i)) == NULL) {
		xasprintf(err, "no attachment #%zu", i + 1);
		render_free(doc);
		return -1;
	}
	name = render_safe_filename(a->filename, i + 1);
	render_free(doc);
	if ((data = render_attachment_content(raw, len, opts, i, &dlen)) ==
	    NULL) {
		xasprintf(err, "cannot read attachment #%zu", i + 1);
		free(name);
		return -1;
	}
	ext = strrchr(name, '.');
	if (ext == name)
		ext = NULL;
	for (k = 0; k < 1000 && fd < 0; k++) {
		free(try);
		if (k == 0)
			xasprintf(&try, "%s/%s", dir, name);
		else
			xasprintf(&try, "%s/%.*s-%d%s", dir,
			    (int)(ext != NULL ? (size_t)(ext - name)
			                      : strlen(name)),
			    name, k, ext != NULL ? ext : "");
		fd = open(try, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		xasprintf(err, "cannot save '%s' in '%s': %s", name, dir,
		    errno == EEXIST ? "too many files of that name"
		                    : strerror(errno));
		goto fail;
	}
	for (off = 0; off < dlen; off += (size_t)w) {
		if ((w = write(fd, data + off, dlen - off)) < 0) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			break;
		}
	}
	if (off < dlen || close(fd) != 0) {
		xasprintf(err, "cannot write '%s': %s", try, strerror(errno));
		if (off < dlen)
			close(fd);
		unlink(try);
		goto fail;
	}
	free(data);
	free(name);
	*path = try;
	return 0;
fail:
	free(data);
	free(name);
	free(try);
	return -1;
}

size_t
render_search(const struct render_doc *doc, size_t from, const char *needle,
    int direction)
{
	char *fneedle, *fline;
	size_t i, found = RENDER_NOT_FOUND;

	if (doc == NULL || needle == NULL || *needle == '\0' ||
	    doc->nlines == 0)
		return RENDER_NOT_FOUND;
	if (direction != RENDER_BACKWARD && from >= doc->nlines)
		return RENDER_NOT_FOUND;
	if (from >= doc->nlines)
		from = doc->nlines - 1;
	fneedle = render_fold(needle);
	for (i = from;; i += direction == RENDER_BACKWARD ? (size_t)-1 : 1) {
		fline = render_fold(doc->lines[i].text);
		if (strstr(fline, fneedle) != NULL)
			found = i;
		free(fline);
		if (found != RENDER_NOT_FOUND ||
		    (direction == RENDER_BACKWARD && i == 0) ||
		    (direction != RENDER_BACKWARD && i + 1 == doc->nlines))
			break;
	}
	free(fneedle);
	return found;
}
