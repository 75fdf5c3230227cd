/* errand: a terminal mail user agent. See LICENSE.
 * Message bodies for the pager: a second IMAP session beside the sync,
 * opened with the live session (or on the first request), that EXAMINEs
 * the folder (read-only: no flag changes) and fetches BODY.PEEK[] into
 * the cache, with the parts
 * that BODY[] cannot carry whole fetched again as BINARY (RFC 3516).
 * Requests queue on the session in order; only the latest one's callback
 * runs. */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "config.h"
#include "engine/fetch.h"
#include "content/mime.h"
#include "content/render.h"
#include "engine/session.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"
#include "net/imap.h"

/* Parts of one message fetched again with BINARY, at most; the others
 * keep what BODY[] gave. */
#define FETCH_PARTS_MAX 100

/* A part of a fetched message to take from BINARY[section] instead. */
struct fetch_part {
	char section[64];  /* "2", "1.3" */
	size_t start, end; /* its content in the raw message */
	int unit;          /* wide text: 2 (UTF-16) or 4 (UTF-32), else 0 */
	int be;            /* wide text labelled big-endian (or no order) */
	char *data;        /* what BINARY (or BODY) gave, or NULL */
	size_t len;
	int done;
};

/* The message BODY[] gave, waiting for its parts. */
struct fetch_splice {
	char *raw;
	size_t len;
	int partial; /* the message is cut at body-cache-max */
	struct fetch_part *part;
	size_t n, waiting;
};

struct fetch_req {
	struct fetch *f;
	unsigned int gen; /* the request number: stale ones call nobody */
	int64_t folder;
	uint32_t uid;
	size_t max; /* bytes to keep, 0: all */
	fetch_cb cb;
	void *arg;
	struct fetch_splice *splice; /* parts on their way, or NULL */
	struct fetch_req *next;
};

struct fetch {
	const struct account *a;
	struct store *st;
	struct session *s; /* the account's: credentials */
	struct imap *im;
	int dead;       /* the session failed: a new one on the next request */
	char *selected; /* the folder examined (raw name), or NULL */
	unsigned int gen;
	struct fetch_req *reqs; /* in flight */
};

static void fetch_connect(struct fetch *);
static void fetch_finish(struct fetch_req *, enum fetch_result, const char *);
static void fetch_on_connect(
    struct imap *, enum imap_err, const char *, void *);
static void fetch_on_select(struct imap *, enum imap_err, const char *,
    const struct imap_selected *, void *);
static void fetch_on_body(struct imap *, enum imap_err, const char *,
    const struct imap_body *, void *);
static void fetch_on_warm(struct imap *, enum imap_err, const char *,
    const struct imap_body *, void *);
static enum fetch_result fetch_class(struct fetch *, enum imap_err);
static void fetch_req_free(struct fetch_req *);
static int fetch_wide_charset(const char *, int *);
static size_t fetch_unfold_cr(char *, size_t, int, int);
static int fetch_same_part(const char *, size_t, const char *, size_t);
static void fetch_walk(
    struct fetch_splice *, const char *, GMimeObject *, const char *, int);
static void fetch_leaf(struct fetch_splice *, const char *, GMimePart *,
    const char *, const char *);
static int fetch_boundary_at(const char *, size_t);
static size_t fetch_find_parts(struct fetch_splice *, const char *);
static void fetch_on_part(struct imap *, enum imap_err, const char *,
    const struct imap_part *, void *);
static void fetch_store(struct fetch_req *, const char *, size_t);

struct fetch *
fetch_new(struct session *s)
{
	struct fetch *f = xcalloc(1, sizeof *f);

	f->a = session_account(s);
	f->st = session_store(s);
	f->s = s;
	return f;
}

void
fetch_free(struct fetch *f)
{
	struct fetch_req *r;

	if (f == NULL)
		return;
	imap_free(f->im);
	while ((r = f->reqs) != NULL) {
		f->reqs = r->next;
		fetch_req_free(r);
	}
	free(f->selected);
	free(f);
}

/* A failure's class: offline when the server cannot be reached. */
static enum fetch_result
fetch_class(struct fetch *f, enum imap_err e)
{
	return session_imap_err(f->im, e) == SESSION_ERR_OFFLINE ? FETCH_OFFLINE
	                                                         : FETCH_FAILED;
}

static void
fetch_connect(struct fetch *f)
{
	struct imap_params ip;

	session_imap_params(f->s, &ip);
	f->im = imap_new(session_base(f->s), session_dns(f->s), &ip);
	f->dead = 0;
	free(f->selected);
	f->selected = NULL;
	imap_connect(f->im, fetch_on_connect, f);
}

static void
fetch_on_connect(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct fetch *f = arg;

	(void)im;
	(void)msg;
	if (e != IMAP_ERR_NONE)
		f->dead = 1; /* the queued operations fail on their own */
}

/* Call the request's callback if it is the latest, and forget it. */
static void
fetch_finish(struct fetch_req *r, enum fetch_result res, const char *err)
{
	struct fetch *f = r->f;
	struct fetch_req **p;

	for (p = &f->reqs; *p != NULL; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	if (r->gen == f->gen && r->cb != NULL)
		r->cb(res, err != NULL ? err : "", r->arg);
	fetch_req_free(r);
}

static void
fetch_req_free(struct fetch_req *r)
{
	struct fetch_splice *sp = r->splice;
	size_t i;

	if (sp != NULL) {
		for (i = 0; i < sp->n; i++)
			free(sp->part[i].data);
		free(sp->part);
		free(sp->raw);
		free(sp);
	}
	free(r);
}

static void
fetch_on_select(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_selected *sel, void *arg)
{
	struct fetch *f = arg;

	(void)msg;
	if (e != IMAP_ERR_NONE) {
		free(f->selected);
		f->selected = NULL;
		if (e != IMAP_ERR_NO)
			f->dead = 1;
		return;
	}
	/*
	 * A server pays for the first message file a session opens: Dovecot
	 * on a Maildir of 100,000 messages reads its UID list, 0.25-0.4 s.
	 * Open one now, a byte of the newest message, so that the message
	 * the reader opens next does not wait for it.
	 */
	if (sel != NULL && sel->exists > 0 && sel->uidnext > 1)
		imap_fetch_body(im, sel->uidnext - 1, 1, fetch_on_warm, f);
}

/* The warm-up's answer: nothing to keep, and a NO (the newest message
 * gone) is no fault of the session. */
static void
fetch_on_warm(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_body *b, void *arg)
{
	struct fetch *f = arg;

	(void)im;
	(void)msg;
	(void)b;
	if (e != IMAP_ERR_NONE && e != IMAP_ERR_NO)
		f->dead = 1;
}

static void
fetch_on_body(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_body *b, void *arg)
{
	struct fetch_req *r = arg;
	struct fetch *f = r->f;

	(void)im;
	if (e != IMAP_ERR_NONE) {
		if (e != IMAP_ERR_NO)
			f->dead = 1;
		fetch_finish(r, fetch_class(f, e),
		    msg != NULL ? msg : "cannot fetch the message");
		return;
	}
	/*
	 * BODY[] is a string of lines: a server replaces a NUL with another
	 * byte and puts CR before a bare LF, which spoils a part that is not
	 * in a transfer encoding (a UTF-16 text, a binary file). Take such
	 * parts from BINARY[n], which is the part as it is, when the server
	 * has it; the rest as BODY[] gave it. Of a message cut at
	 * body-cache-max, only the parts before the cut. Parts in base64 or
	 * quoted-printable come whole in BODY[] already.
	 */
	if (imap_caps(im) & IMAP_CAP_BINARY) {
		struct fetch_splice *sp = xcalloc(1, sizeof *sp);
		size_t i;

		sp->len = r->max > 0 && b->len > r->max ? r->max : b->len;
		sp->partial = b->partial || sp->len < b->len;
		if (fetch_find_parts(sp, b->data) > 0) {
			sp->raw = xmalloc(sp->len + 1);
			memcpy(sp->raw, b->data, sp->len);
			sp->raw[sp->len] = '\0';
			r->splice = sp;
			sp->waiting = sp->n;
			for (i = 0; i < sp->n; i++)
				imap_fetch_part(im, r->uid, sp->part[i].section,
				    fetch_on_part, r);
			return;
		}
		free(sp->part);
		free(sp);
	}
	/* body-cache-max holds whatever the server sent. */
	fetch_store(
	    r, b->data, r->max > 0 && b->len > r->max ? r->max : b->len);
}

/* Store the message and say so. */
static void
fetch_store(struct fetch_req *r, const char *data, size_t len)
{
	struct fetch *f = r->f;

	if (store_body_put(f->st, r->folder, r->uid, data, len) != 0) {
		fetch_finish(r, FETCH_FAILED, store_error(f->st));
		return;
	}
	fetch_finish(r, FETCH_OK, "");
}

/* A part of r->splice came (or failed: BODY[]'s bytes stay). Once all
 * have, the message is stored with them in place of BODY[]'s. */
static void
fetch_on_part(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_part *p, void *arg)
{
	struct fetch_req *r = arg;
	struct fetch_splice *sp = r->splice;
	struct fetch_part *fp = NULL;
	char *out;
	size_t i, at, n;

	(void)im;
	(void)msg;
	if (e != IMAP_ERR_NONE && e != IMAP_ERR_NO)
		r->f->dead = 1;
	for (i = 0; i < sp->n && p != NULL; i++) {
		if (!sp->part[i].done &&
		    strcmp(sp->part[i].section, p->section) == 0) {
			fp = &sp->part[i];
			break;
		}
	}
	/* Parsed otherwise by the server, it gave another part: keep
	 * BODY[]'s bytes. */
	if (fp != NULL &&
	    !fetch_same_part(
	        sp->raw + fp->start, fp->end - fp->start, p->data, p->len))
		fp = NULL;
	if (fp != NULL) {
		fp->data = xmalloc(p->len + 1);
		memcpy(fp->data, p->data, p->len);
		fp->len = p->len;
		fp->done = 1;
		if (fp->unit > 0)
			fp->len = fetch_unfold_cr(
			    fp->data, fp->len, fp->unit, fp->be);
	}
	if (--sp->waiting > 0)
		return;
	/* The parts are in order and do not overlap. */
	n = sp->len;
	for (i = 0; i < sp->n; i++)
		if (sp->part[i].data != NULL)
			n = n - (sp->part[i].end - sp->part[i].start) +
			    sp->part[i].len;
	out = xmalloc(n + 1);
	at = 0;
	n = 0;
	for (i = 0; i < sp->n; i++) {
		fp = &sp->part[i];
		if (fp->data == NULL)
			continue;
		memcpy(out + n, sp->raw + at, fp->start - at);
		n += fp->start - at;
		memcpy(out + n, fp->data, fp->len);
		n += fp->len;
		at = fp->end;
	}
	memcpy(out + n, sp->raw + at, sp->len - at);
	n += sp->len - at;
	out[n] = '\0';
	fetch_store(r, out, n);
	free(out);
}

/* 1 if b (a part from BINARY) is what a (the same part in BODY[]) was
 * before the server made it text: equal but for CRs, and where b has a
 * NUL, which BODY[] cannot carry. */
static int
fetch_same_part(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < alen && a[i] == '\r')
			i++;
		while (j < blen && b[j] == '\r')
			j++;
		if (i == alen || j == blen)
			return i == alen && j == blen;
		if (b[j] != '\0' && a[i] != b[j])
			return 0;
		i++;
		j++;
	}
}

/* A charset whose text is not ASCII bytes with more on top, so that a
 * server's line ending or NUL changes break it: its code unit, 2 or 4, and
 * in *be whether it is big-endian when no BOM says (RFC 2781); else 0. */
static int
fetch_wide_charset(const char *cs, int *be)
{
	size_t n;

	if (cs == NULL)
		return 0;
	n = strlen(cs);
	*be = !(n > 2 && strcasecmp(cs + n - 2, "le") == 0);
	if (strncasecmp(cs, "utf-16", 6) == 0 ||
	    strncasecmp(cs, "ucs-2", 5) == 0 ||
	    strncasecmp(cs, "ucs2", 4) == 0 || strcasecmp(cs, "unicode") == 0)
		return 2;
	if (strncasecmp(cs, "utf-32", 6) == 0 ||
	    strncasecmp(cs, "ucs-4", 5) == 0 || strncasecmp(cs, "ucs4", 4) == 0)
		return 4;
	return 0;
}

/*
 * Undo a server's CR before each bare LF byte in wide text (Dovecot keeps
 * line ends CRLF in BINARY too): in code units of unit bytes, a line feed
 * unit with a 0x0D byte just before its 0x0A byte loses that byte. The
 * pattern is a unit no text holds (U+0A0D, or a CR unit followed by one
 * that starts with 0x0A). A BOM sets the byte order. The new length.
 */
static size_t
fetch_unfold_cr(char *d, size_t len, int unit, int be)
{
	unsigned char *b = (unsigned char *)d;
	size_t i = 0, o = 0, u = (size_t)unit, k, lf;
	int zero;

	if (len >= u && b[0] == 0xff && b[1] == 0xfe)
		be = 0;
	else if (len >= u &&
	    ((u == 2 && b[0] == 0xfe && b[1] == 0xff) ||
	        (u == 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xfe &&
	            b[3] == 0xff)))
		be = 1;
	lf = be ? u - 1 : 0; /* where the 0x0A byte of a LF unit is */
	while (i + u <= len) {
		/* Is there a LF unit at i + 1 with 0x0D at i + lf? */
		if (i + u + 1 <= len && b[i + lf] == 0x0d &&
		    b[i + lf + 1] == 0x0a) {
			zero = 1;
			for (k = 0; k < u; k++)
				if (k != lf && b[i + (k < lf ? k : k + 1)] != 0)
					zero = 0;
			if (zero) {
				for (k = 0; k < u; k++)
					b[o + k] = k == lf ? 0x0a : 0;
				o += u;
				i += u + 1;
				continue;
			}
		}
		memmove(b + o, b + i, u);
		o += u;
		i += u;
	}
	memmove(b + o, b + i, len - i);
	o += len - i;
	d[o] = '\0';
	return o;
}

/* 1 if the n bytes at p start with the line break and "--" that open a
 * boundary line. */
static int
fetch_boundary_at(const char *p, size_t n)
{
	if (n >= 4 && memcmp(p, "\r\n--", 4) == 0)
		return 1;
	return n >= 3 && memcmp(p, "\n--", 3) == 0;
}

/* A leaf part at section: wanted when its content is not in a transfer
 * encoding (7bit, 8bit, binary or none) and is binary or wide text. */
static void
fetch_leaf(struct fetch_splice *sp, const char *raw, GMimePart *part,
    const char *section, const char *type)
{
	GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeContentType *ct;
	GMimeStream *st;
	struct fetch_part *fp;
	int unit = 0, be = 1;

	if (enc != GMIME_CONTENT_ENCODING_DEFAULT &&
	    enc != GMIME_CONTENT_ENCODING_7BIT &&
	    enc != GMIME_CONTENT_ENCODING_8BIT &&
	    enc != GMIME_CONTENT_ENCODING_BINARY)
		return;
	ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	if (strncmp(type, "text/", 5) == 0)
		unit = fetch_wide_charset(ct != NULL
		        ? g_mime_content_type_get_parameter(ct, "charset")
		        : NULL,
		    &be);
	if (enc != GMIME_CONTENT_ENCODING_BINARY &&
	    strncmp(type, "text/", 5) == 0 && unit == 0)
		return;
	if (w == NULL || (st = g_mime_data_wrapper_get_stream(w)) == NULL)
		return;
	/* The content as a piece of the message parsed (never copied: the
	 * parser keeps its stream), else nothing to put it back in. */
	if (st->bound_start < 0 || st->bound_end < st->bound_start ||
	    (size_t)st->bound_end > sp->len ||
	    strlen(section) >= sizeof fp->section ||
	    (sp->n > 0 && (size_t)st->bound_start < sp->part[sp->n - 1].end))
		return;
	/* In a message cut short, a part is whole if a boundary follows. */
	if (sp->partial &&
	    !fetch_boundary_at(
	        raw + st->bound_end, sp->len - (size_t)st->bound_end))
		return;
	sp->part = xreallocarray(sp->part, sp->n + 1, sizeof *sp->part);
	fp = &sp->part[sp->n++];
	memset(fp, 0, sizeof *fp);
	memcpy(fp->section, section, strlen(section) + 1);
	fp->start = (size_t)st->bound_start;
	fp->end = (size_t)st->bound_end;
	fp->unit = unit;
	fp->be = be;
}

/* Walk obj, RFC 3501 part section ("" for the top multipart), for the
 * parts BINARY should give: a multipart's parts are "section.N" ("N" at
 * the top), a message's body is "section.1", or its parts "section.N" if
 * it is a multipart. */
static void
fetch_walk(struct fetch_splice *sp, const char *raw, GMimeObject *obj,
    const char *section, int depth)
{
	GMimeMessage *m;
	GMimeObject *sub;
	char *type, *child, *t;
	int i, n;

	if (obj == NULL || depth > RENDER_DEPTH_MAX || sp->n >= FETCH_PARTS_MAX)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < n && i < RENDER_PARTS_MAX; i++) {
			xasprintf(&child, "%s%s%d", section,
			    section[0] != '\0' ? "." : "", i + 1);
			fetch_walk(sp, raw,
			    g_mime_multipart_get_part(GMIME_MULTIPART(obj), i),
			    child, depth + 1);
			free(child);
		}
		return;
	}
	if (section[0] == '\0')
		return;
	if (GMIME_IS_MESSAGE_PART(obj)) {
		m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (m == NULL ||
		    (sub = g_mime_message_get_mime_part(m)) == NULL)
			return;
		if (GMIME_IS_MULTIPART(sub))
			fetch_walk(sp, raw, sub, section, depth + 1);
		else {
			xasprintf(&child, "%s.1", section);
			fetch_walk(sp, raw, sub, child, depth + 1);
			free(child);
		}
		return;
	}
	if (!GMIME_IS_PART(obj))
		return;
	type = g_mime_content_type_get_mime_type(
	    g_mime_object_get_content_type(obj));
	for (t = type; *t != '\0'; t++)
		if (*t >= 'A' && *t <= 'Z')
			*t += 'a' - 'A';
	fetch_leaf(sp, raw, GMIME_PART(obj), section, type);
	g_free(type);
}

/* Fill sp->part with the parts of the message raw (sp->len bytes) to take
 * from BINARY, in order, at most FETCH_PARTS_MAX; their number. */
static size_t
fetch_find_parts(struct fetch_splice *sp, const char *raw)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimeObject *top;

	mime_init();
	stream = g_mime_stream_mem_new_with_buffer(raw, sp->len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_set_persist_stream(parser, TRUE);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg != NULL) {
		top = g_mime_message_get_mime_part(msg);
		fetch_walk(sp, raw, top,
		    top != NULL && GMIME_IS_MULTIPART(top) ? "" : "1", 0);
		g_object_unref(msg);
	}
	g_object_unref(parser);
	g_object_unref(stream);
	return sp->n;
}

void
fetch_prepare(struct fetch *f, const char *raw)
{
	struct imap_select_params sp;
	struct fetch_req *r;

	if (f->im != NULL &&
	    (f->dead || imap_state(f->im) == IMAP_STATE_CLOSED)) {
		/* Requests it still held are dropped with it. */
		imap_free(f->im);
		f->im = NULL;
		while ((r = f->reqs) != NULL) {
			f->reqs = r->next;
			fetch_req_free(r);
		}
	}
	if (f->im == NULL)
		fetch_connect(f);
	if (raw != NULL &&
	    (f->selected == NULL || strcmp(f->selected, raw) != 0)) {
		memset(&sp, 0, sizeof sp);
		sp.mailbox = raw;
		sp.readonly = 1;
		free(f->selected);
		f->selected = xstrdup(raw);
		imap_select(f->im, &sp, fetch_on_select, f);
	}
}

void
fetch_body(struct fetch *f, int64_t folder, const char *raw, uint32_t uid,
    size_t max, fetch_cb cb, void *arg)
{
	struct fetch_req *r;

	fetch_prepare(f, raw);
	r = xcalloc(1, sizeof *r);
	r->f = f;
	r->gen = ++f->gen;
	r->folder = folder;
	r->uid = uid;
	r->max = max;
	r->cb = cb;
	r->arg = arg;
	r->next = f->reqs;
	f->reqs = r;
	imap_fetch_body(f->im, uid, max, fetch_on_body, r);
}
