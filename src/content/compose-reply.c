/* errand: a terminal mail user agent. See LICENSE.
 * Drafts made from a message as cached: replies (to the author, to all, to
 * the list; Reply-To, Mail-Followup-To and List-Post (RFC 2369) honoured,
 * In-Reply-To and References as RFC 5322 3.6.4 says, the text quoted) and
 * forwards (inline with the original's attachments, or as message/rfc822). */

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "content/compose-private.h"
#include "content/compose.h"
#include "content/mime.h"
#include "content/render.h"
#include "content/text.h"
#include "xmalloc.h"

/* The user's own addresses. */
struct compose_me {
	char *addr;  /* ident->from's address, or NULL */
	regex_t *re; /* the alternates that compiled */
	size_t nre;
};

/* Mailboxes gathered for a field, each address once. */
struct compose_alist {
	InternetAddressList *list;
};

static GMimeMessage *compose_parse(const char *, size_t, char **);
static char *compose_raw_header(GMimeMessage *, const char *);
static void compose_me_init(struct compose_me *, const struct compose_ident *);
static void compose_me_free(struct compose_me *);
static int compose_me_is(const struct compose_me *, const char *);
static int compose_has(InternetAddressList *, const char *);
static void compose_gather(InternetAddressList *, InternetAddressList *,
    const struct compose_me *, InternetAddressList *);
static char *compose_list_string(InternetAddressList *);
static int compose_same(InternetAddressList *, InternetAddressList *);
static char *compose_strip(const char *, const char *const *);
static char *compose_text(const char *, size_t, int);
static char *compose_attribution(GMimeMessage *, const char *);
static char *compose_list_post(GMimeMessage *);
static char *compose_references(GMimeMessage *);

static const char *const compose_re[] = {
    "re", "aw", "sv", "vs", "antw", "odp", NULL};
static const char *const compose_fwd[] = {"fwd", "fw", "wg", "tr", NULL};

/* The message raw parsed by GMime. Bytes that do not start with a header
 * (white space before the first field, or no header at all) are read
 * again without the white space, then as a body alone. */
static GMimeMessage *
compose_parse(const char *raw, size_t len, char **err)
{
	GMimeStream *s;
	GMimeParser *p;
	GMimeMessage *m = NULL;
	char *copy;
	size_t skip = 0;
	int pass;

	mime_init();
	if (raw == NULL)
		raw = "";
	for (pass = 0; pass < 3 && m == NULL; pass++) {
		if (pass == 0)
			s = g_mime_stream_mem_new_with_buffer(raw, len);
		else if (pass == 1) {
			while (skip < len &&
			    (raw[skip] == ' ' || raw[skip] == '\t' ||
			        raw[skip] == '\r' || raw[skip] == '\n'))
				skip++;
			s = g_mime_stream_mem_new_with_buffer(
			    raw + skip, len - skip);
		} else {
			copy = xmalloc(len + 1);
			copy[0] = '\n';
			memcpy(copy + 1, raw, len);
			s = g_mime_stream_mem_new_with_buffer(copy, len + 1);
			free(copy);
		}
		p = g_mime_parser_new_with_stream(s);
		m = g_mime_parser_construct_message(p, NULL);
		g_object_unref(p);
		g_object_unref(s);
	}
	if (m == NULL)
		xasprintf(err, "cannot read the message");
	return m;
}

/* The value of header name of m as in the message (unfolded, not
 * decoded), or NULL. The caller's. */
static char *
compose_raw_header(GMimeMessage *m, const char *name)
{
	GMimeHeaderList *hl;
	GMimeHeader *h;
	const char *v;
	char *s, *o, *p;

	hl = g_mime_object_get_header_list(GMIME_OBJECT(m));
	if (hl == NULL || (h = g_mime_header_list_get_header(hl, name)) == NULL)
		return NULL;
	if ((v = g_mime_header_get_raw_value(h)) == NULL)
		return NULL;
	s = xstrndup(v, strnlen(v, MIME_FIELD_MAX));
	for (o = p = s; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		*o++ = *p;
	}
	*o = '\0';
	return s;
}

static void
compose_me_init(struct compose_me *me, const struct compose_ident *ident)
{
	InternetAddressList *l;
	InternetAddress *ia;
	size_t i, n = 0;

	memset(me, 0, sizeof *me);
	if (ident == NULL)
		return;
	if (ident->from != NULL &&
	    (l = internet_address_list_parse(NULL, ident->from)) != NULL) {
		if (internet_address_list_length(l) > 0) {
			ia = internet_address_list_get_address(l, 0);
			if (INTERNET_ADDRESS_IS_MAILBOX(ia))
				me->addr =
				    xstrdup(internet_address_mailbox_get_addr(
				        INTERNET_ADDRESS_MAILBOX(ia)));
		}
		g_object_unref(l);
	}
	if (ident->alternates == NULL)
		return;
	while (ident->alternates[n] != NULL)
		n++;
	me->re = xcalloc(n + 1, sizeof *me->re);
	for (i = 0; i < n; i++) {
		if (regcomp(&me->re[me->nre], ident->alternates[i],
		        REG_EXTENDED | REG_ICASE | REG_NOSUB) == 0)
			me->nre++;
	}
}

static void
compose_me_free(struct compose_me *me)
{
	size_t i;

	for (i = 0; i < me->nre; i++)
		regfree(&me->re[i]);
	free(me->re);
	free(me->addr);
}

/* Whether addr is one of the user's. */
static int
compose_me_is(const struct compose_me *me, const char *addr)
{
	size_t i;

	if (addr == NULL)
		return 0;
	if (me->addr != NULL && strcasecmp(me->addr, addr) == 0)
		return 1;
	for (i = 0; i < me->nre; i++) {
		if (regexec(&me->re[i], addr, 0, NULL, 0) == 0)
			return 1;
	}
	return 0;
}

/* Whether list holds a mailbox addr (ignoring case). */
static int
compose_has(InternetAddressList *list, const char *addr)
{
	InternetAddress *ia;
	int i, n;

	n = internet_address_list_length(list);
	for (i = 0; i < n; i++) {
		ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			if (compose_has(internet_address_group_get_members(
			                    INTERNET_ADDRESS_GROUP(ia)),
			        addr))
				return 1;
		} else if (strcasecmp(internet_address_mailbox_get_addr(
		                          INTERNET_ADDRESS_MAILBOX(ia)),
		               addr) == 0)
			return 1;
	}
	return 0;
}

/* The mailboxes of from (groups opened) into out, leaving out the user's
 * (me may be NULL), those in seen (may be NULL) and those already in out
 * and any that is not an address. */
static void
compose_gather(InternetAddressList *out, InternetAddressList *from,
    const struct compose_me *me, InternetAddressList *seen)
{
	InternetAddress *ia;
	const char *addr;
	int i, n;

	if (from == NULL)
		return;
	n = internet_address_list_length(from);
	for (i = 0; i < n; i++) {
		ia = internet_address_list_get_address(from, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			compose_gather(out,
			    internet_address_group_get_members(
			        INTERNET_ADDRESS_GROUP(ia)),
			    me, seen);
			continue;
		}
		addr = internet_address_mailbox_get_addr(
		    INTERNET_ADDRESS_MAILBOX(ia));
		if (!compose_addr_valid(addr) ||
		    (me != NULL && compose_me_is(me, addr)) ||
		    (seen != NULL && compose_has(seen, addr)) ||
		    compose_has(out, addr))
			continue;
		internet_address_list_add(out, ia);
	}
}

/* list as the draft shows it: "Name <a@b>, c@d", UTF-8. The caller's. */
static char *
compose_list_string(InternetAddressList *list)
{
	char *g, *s;

	if (list == NULL || internet_address_list_length(list) == 0)
		return xstrdup("");
	g = internet_address_list_to_string(list, NULL, FALSE);
	if (g == NULL)
		return xstrdup("");
	s = text_utf8_valid(g, strlen(g)) ? xstrdup(g)
	                                  : text_utf8_repair(g, strlen(g));
	g_free(g);
	return s;
}

/* Whether a and b name the same addresses. */
static int
compose_same(InternetAddressList *a, InternetAddressList *b)
{
	InternetAddressList *x, *y;
	int same;

	x = internet_address_list_new();
	y = internet_address_list_new();
	compose_gather(x, a, NULL, NULL);
	compose_gather(y, b, NULL, NULL);
	same =
	    internet_address_list_length(x) == internet_address_list_length(y);
	if (same) {
		InternetAddressList *z = internet_address_list_new();

		compose_gather(z, x, NULL, y);
		same = internet_address_list_length(z) == 0;
		g_object_unref(z);
	}
	g_object_unref(x);
	g_object_unref(y);
	return same;
}

/* subject decoded, without the leading prefixes of kinds ("Re:",
 * "RE :", "Re[2]:", "Re(2):", repeated). The caller's. */
static char *
compose_strip(const char *subject, const char *const *kinds)
{
	char *dec, *s, *p, *out;
	size_t i, k;
	int again = 1;

	dec = mime_decode_words(
	    subject, subject != NULL ? strlen(subject) : 0, NULL);
	s = dec;
	while (again) {
		again = 0;
		while (*s == ' ' || *s == '\t')
			s++;
		for (k = 0; kinds[k] != NULL; k++) {
			i = strlen(kinds[k]);
			if (strncasecmp(s, kinds[k], i) != 0)
				continue;
			p = s + i;
			if (*p == '[' || *p == '(') {
				char close = *p == '[' ? ']' : ')';

				p++;
				while (*p >= '0' && *p <= '9')
					p++;
				if (*p != close)
					continue;
				p++;
			}
			while (*p == ' ')
				p++;
			if (*p != ':')
				continue;
			s = p + 1;
			again = 1;
			break;
		}
	}
	out = xstrdup(s);
	free(dec);
	return out;
}

char *
compose_reply_subject(const char *subject)
{
	char *s, *out;

	mime_init();
	s = compose_strip(subject, compose_re);
	xasprintf(&out, "Re: %s", s);
	free(s);
	return out;
}

char *
compose_forward_subject(const char *subject)
{
	char *s, *out;

	mime_init();
	s = compose_strip(subject, compose_fwd);
	xasprintf(&out, "Fwd: %s", s);
	free(s);
	return out;
}

/* The readable text of the message, as the pager shows it without its
 * headers and attachment lines: text/plain, else HTML made text. The
 * signature is left out when sig is 0. The caller's. */
static char *
compose_text(const char *raw, size_t len, int sig)
{
	static const char *const noheaders[] = {NULL};
	struct compose_sbuf b = {NULL, 0, 0};
	const struct render_line *l;
	struct render_opts ro;
	struct render_doc *doc;
	size_t i, n, blank = 0;
	char *s;

	memset(&ro, 0, sizeof ro);
	ro.width = 1000;
	ro.headers = noheaders;
	doc = render_message(raw, len, &ro);
	n = render_nlines(doc);
	for (i = 0; i < n; i++) {
		l = render_line(doc, i);
		if (l->kind == RENDER_HEADER || l->kind == RENDER_ATTACHMENT ||
		    l->kind == RENDER_SEPARATOR ||
		    (!sig && l->kind == RENDER_SIGNATURE))
			continue;
		if (l->len == 0) {
			blank++;
			continue;
		}
		/* Blank lines between text kept, not those around it. */
		if (b.len > 0)
			for (; blank > 0; blank--)
				compose_sbuf_add(&b, "\n", 1);
		blank = 0;
		compose_sbuf_add(&b, l->text, l->len);
		compose_sbuf_add(&b, "\n", 1);
	}
	render_free(doc);
	s = compose_sbuf_take(&b);
	return s;
}

/* The first From mailbox of m, or NULL. */
static InternetAddressMailbox *
compose_author(GMimeMessage *m)
{
	InternetAddressList *l = g_mime_message_get_from(m);
	InternetAddress *ia;

	if (l == NULL || internet_address_list_length(l) == 0)
		return NULL;
	ia = internet_address_list_get_address(l, 0);
	return INTERNET_ADDRESS_IS_MAILBOX(ia) ? INTERNET_ADDRESS_MAILBOX(ia)
	                                       : NULL;
}

/* fmt with its % escapes expanded for m: %n, %a, %d, %s, %%. */
static char *
compose_attribution(GMimeMessage *m, const char *fmt)
{
	struct compose_sbuf b = {NULL, 0, 0};
	InternetAddressMailbox *mb = compose_author(m);
	const char *name = NULL, *addr = "", *p;
	char *raw, *date, *subject, *clean, *s;

	if (mb != NULL) {
		addr = internet_address_mailbox_get_addr(mb);
		name = internet_address_get_name(INTERNET_ADDRESS(mb));
	}
	if (name == NULL || *name == '\0')
		name = addr;
	raw = compose_raw_header(m, "Date");
	date = mime_decode_words(raw, raw != NULL ? strlen(raw) : 0, NULL);
	free(raw);
	raw = compose_raw_header(m, "Subject");
	subject = mime_decode_words(raw, raw != NULL ? strlen(raw) : 0, NULL);
	free(raw);
	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			compose_sbuf_add(&b, p, 1);
			continue;
		}
		switch (*++p) {
		case 'n':
			compose_sbuf_str(&b, name);
			break;
		case 'a':
			compose_sbuf_str(&b, addr);
			break;
		case 'd':
			compose_sbuf_str(&b, date);
			break;
		case 's':
			compose_sbuf_str(&b, subject);
			break;
		case '%':
			compose_sbuf_add(&b, "%", 1);
			break;
		default:
			compose_sbuf_add(&b, p - 1, 2);
			break;
		}
	}
	free(date);
	free(subject);
	s = compose_sbuf_take(&b);
	clean = text_clean(s, strlen(s), 0);
	free(s);
	return clean;
}

/* The address of List-Post's first mailto: URL, or NULL. */
static char *
compose_list_post(GMimeMessage *m)
{
	char *v, *p, *e, *out = NULL;

	if ((v = compose_raw_header(m, "List-Post")) == NULL)
		return NULL;
	for (p = v; (p = strchr(p, '<')) != NULL; p++) {
		if (strncasecmp(p + 1, "mailto:", 7) != 0)
			continue;
		p += 8;
		e = p + strcspn(p, ">?");
		out = xstrndup(p, (size_t)(e - p));
		break;
	}
	free(v);
	if (out != NULL && !compose_addr_valid(out)) {
		free(out);
		out = NULL;
	}
	return out;
}

/* References for a reply: the original's References (or In-Reply-To)
 * and its Message-ID, at most COMPOSE_REFERENCES_MAX of them (the first
 * and the last). The caller's; "" when there is none. */
static char *
compose_references(GMimeMessage *m)
{
	struct compose_sbuf b = {NULL, 0, 0};
	GMimeReferences *refs = NULL;
	const char *id, **ids;
	char *v;
	int i, n = 0, k = 0;

	v = compose_raw_header(m, "References");
	if (v == NULL)
		v = compose_raw_header(m, "In-Reply-To");
	if (v != NULL)
		refs = g_mime_references_parse(NULL, v);
	free(v);
	if (refs != NULL)
		n = g_mime_references_length(refs);
	ids = xcalloc((size_t)n + 1, sizeof *ids);
	for (i = 0; i < n; i++) {
		id = g_mime_references_get_message_id(refs, i);
		if (id != NULL && *id != '\0' && strlen(id) < 998 &&
		    strpbrk(id, "<> \t") == NULL)
			ids[k++] = id;
	}
	id = g_mime_message_get_message_id(m);
	if (id != NULL && *id != '\0' && strlen(id) < 998 &&
	    strpbrk(id, "<> \t") == NULL &&
	    (k == 0 || strcmp(ids[k - 1], id) != 0))
		ids[k++] = id;
	for (i = 0; i < k; i++) {
		/* The first, then the last COMPOSE_REFERENCES_MAX - 1. */
		if (i > 0 && i < k - (COMPOSE_REFERENCES_MAX - 1))
			continue;
		if (b.len > 0)
			compose_sbuf_add(&b, " ", 1);
		compose_sbuf_add(&b, "<", 1);
		compose_sbuf_str(&b, ids[i]);
		compose_sbuf_add(&b, ">", 1);
	}
	free(ids);
	if (refs != NULL)
		g_mime_references_free(refs);
	v = compose_sbuf_take(&b);
	if (!text_utf8_valid(v, strlen(v))) {
		free(v);
		v = xstrdup("");
	}
	return v;
}

void
compose_reply_info_free(struct compose_reply_info *info)
{
	if (info == NULL)
		return;
	free(info->alt_to);
	free(info->alt_cc);
	memset(info, 0, sizeof *info);
}

int
compose_reply(const char *raw, size_t len, enum compose_reply_kind kind,
    const struct compose_ident *ident, const char *attribution,
    struct draft *out, struct compose_reply_info *info, char **err)
{
	InternetAddressList *from, *rt, *to, *cc, *mft = NULL, *author;
	InternetAddressList *nto, *ncc, *ato = NULL, *acc = NULL;
	struct compose_sbuf b = {NULL, 0, 0};
	struct compose_me me;
	GMimeMessage *m;
	const char *id, *p, *eol;
	char *v, *text, *attr, *post = NULL;
	int differs;

	*err = NULL;
	compose_draft_init(out);
	if (info != NULL)
		memset(info, 0, sizeof *info);
	if ((m = compose_parse(raw, len, err)) == NULL)
		return -1;
	compose_me_init(&me, ident);
	from = g_mime_message_get_from(m);
	rt = g_mime_message_get_reply_to(m);
	to = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO);
	cc = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_CC);
	if ((v = compose_raw_header(m, "Mail-Followup-To")) != NULL) {
		mft = internet_address_list_parse(NULL, v);
		free(v);
		if (mft != NULL && internet_address_list_length(mft) == 0) {
			g_object_unref(mft);
			mft = NULL;
		}
	}
	author = from;
	differs = 0;
	if (rt != NULL && internet_address_list_length(rt) > 0) {
		author = rt;
		differs = !compose_same(rt, from);
	}
	nto = internet_address_list_new();
	ncc = internet_address_list_new();
	switch (kind) {
	case COMPOSE_REPLY:
		compose_gather(nto, author, &me, NULL);
		if (internet_address_list_length(nto) == 0 && author == from)
			compose_gather(nto, to, &me, NULL); /* mine: to To */
		if (differs) {
			ato = internet_address_list_new();
			compose_gather(ato, from, &me, NULL);
		}
		break;
	case COMPOSE_GROUP:
		if (mft != NULL) {
			compose_gather(nto, mft, &me, NULL);
			differs = 0;
			break;
		}
		compose_gather(nto, author, &me, NULL);
		compose_gather(nto, to, &me, NULL);
		compose_gather(ncc, cc, &me, nto);
		if (differs) {
			ato = internet_address_list_new();
			acc = internet_address_list_new();
			compose_gather(ato, from, &me, NULL);
			compose_gather(ato, to, &me, NULL);
			compose_gather(acc, cc, &me, ato);
		}
		break;
	case COMPOSE_LIST:
		differs = 0;
		if (mft != NULL) {
			compose_gather(nto, mft, &me, NULL);
			break;
		}
		if ((post = compose_list_post(m)) == NULL) {
			xasprintf(err,
			    "cannot reply to the list: the message "
			    "has no List-Post: mailto: address");
			goto fail;
		}
		{
			InternetAddress *ia =
			    internet_address_mailbox_new(NULL, post);

			internet_address_list_add(nto, ia);
			g_object_unref(ia);
		}
		break;
	default:
		fatalx("%s: bad reply kind %d", __func__, (int)kind);
	}
	/* Nothing left but the user: write to the author all the same. */
	if (internet_address_list_length(nto) == 0 &&
	    internet_address_list_length(ncc) == 0)
		compose_gather(nto, author, NULL, NULL);
	if (internet_address_list_length(nto) == 0) {
		InternetAddressList *t = nto;

		nto = ncc;
		ncc = t;
	}
	out->to = compose_list_string(nto);
	out->cc = compose_list_string(ncc);
	out->from =
	    xstrdup(ident != NULL && ident->from != NULL ? ident->from : "");
	v = compose_raw_header(m, "Subject");
	out->subject = compose_reply_subject(v != NULL ? v : "");
	free(v);
	if ((id = g_mime_message_get_message_id(m)) != NULL && *id != '\0' &&
	    strlen(id) < 998 && strpbrk(id, "<> \t") == NULL &&
	    text_utf8_valid(id, strlen(id)))
		xasprintf(&out->in_reply_to, "<%s>", id);
	out->references = compose_references(m);
	if (info != NULL) {
		info->reply_to_differs = differs;
		if (differs) {
			info->alt_to = compose_list_string(ato);
			info->alt_cc = compose_list_string(acc);
		}
	}

	attr = compose_attribution(
	    m, attribution != NULL ? attribution : COMPOSE_ATTRIBUTION);
	compose_sbuf_str(&b, attr);
	compose_sbuf_add(&b, "\n", 1);
	free(attr);
	text = compose_text(raw, len, 0);
	for (p = text; *p != '\0'; p = eol + 1) {
		eol = strchr(p, '\n');
		if (eol == p)
			compose_sbuf_str(&b, ">");
		else if (*p == '>')
			compose_sbuf_add(&b, ">", 1);
		else
			compose_sbuf_add(&b, "> ", 2);
		compose_sbuf_add(&b, p, (size_t)(eol - p));
		compose_sbuf_add(&b, "\n", 1);
	}
	free(text);
	out->body = compose_sbuf_take(&b);

	g_object_unref(nto);
	g_object_unref(ncc);
	if (ato != NULL)
		g_object_unref(ato);
	if (acc != NULL)
		g_object_unref(acc);
	if (mft != NULL)
		g_object_unref(mft);
	free(post);
	compose_me_free(&me);
	g_object_unref(m);
	return 0;
fail:
	g_object_unref(nto);
	g_object_unref(ncc);
	if (ato != NULL)
		g_object_unref(ato);
	if (acc != NULL)
		g_object_unref(acc);
	if (mft != NULL)
		g_object_unref(mft);
	free(post);
	compose_me_free(&me);
	g_object_unref(m);
	compose_draft_free(out);
	if (info != NULL)
		compose_reply_info_free(info);
	return -1;
}

/* A new private directory "fwd-XXXXXX" under dir. The caller's. */
static char *
compose_fwd_dir(const char *dir, char **err)
{
	char *t;

	xasprintf(&t, "%s/fwd-XXXXXX", dir);
	if (mkdtemp(t) == NULL) {
		xasprintf(err, "cannot make a directory in '%s': %s", dir,
		    strerror(errno));
		free(t);
		return NULL;
	}
	return t;
}

/* Saves each attachment of the message raw into its own directory under a
 * new *fdir in dir (made on the first one), and attaches it to out; verb
 * names the action in an error ("cannot forward attachment #2: ..."). */
static int
compose_take_attachments(const char *raw, size_t len, const char *dir,
    const char *verb, struct draft *out, char **fdir, char **err)
{
	const struct render_attachment *a;
	struct render_doc *doc;
	struct render_opts ro;
	char *sub, *path, *e;
	size_t i, n;

	memset(&ro, 0, sizeof ro);
	doc = render_message(raw, len, &ro);
	n = render_nattachments(doc);
	for (i = 0; i < n; i++) {
		a = render_attachment(doc, i);
		if (*fdir == NULL &&
		    (*fdir = compose_fwd_dir(dir, err)) == NULL) {
			render_free(doc);
			return -1;
		}
		xasprintf(&sub, "%s/%zu", *fdir, i + 1);
		e = NULL;
		if (mkdir(sub, 0700) != 0)
			xasprintf(
			    &e, "cannot make '%s': %s", sub, strerror(errno));
		else if (render_attachment_save(
		             raw, len, &ro, i, sub, &path, &e) != 0)
			rmdir(sub);
		if (e != NULL) {
			xasprintf(err, "cannot %s attachment #%zu: %s", verb,
			    i + 1, e);
			free(e);
			free(sub);
			render_free(doc);
			return -1;
		}
		compose_draft_attach(out, path, NULL,
		    strcmp(a->type, "application/octet-stream") != 0 ? a->type
		                                                     : NULL);
		free(path);
		free(sub);
	}
	render_free(doc);
	return 0;
}

/* Write len bytes of s into the new file path, mode 0600. */
static int
compose_write_file(const char *path, const char *s, size_t len, char **err)
{
	ssize_t w;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) <
	    0) {
		xasprintf(err, "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	while (len > 0) {
		if ((w = write(fd, s, len)) < 0) {
			if (errno == EINTR)
				continue;
			xasprintf(err, "cannot write '%s': %s", path,
			    strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		s += w;
		len -= (size_t)w;
	}
	if (close(fd) != 0) {
		xasprintf(err, "cannot write '%s': %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/* A "Name: value" line of the forwarded block, when value is not empty. */
static void
compose_fwd_line(struct compose_sbuf *b, const char *name, char *value)
{
	if (value != NULL && *value != '\0') {
		compose_sbuf_str(b, name);
		compose_sbuf_str(b, ": ");
		compose_sbuf_str(b, value);
		compose_sbuf_add(b, "\n", 1);
	}
	free(value);
}

int
compose_forward(const char *raw, size_t len, int as_attachment, const char *dir,
    struct draft *out, char **err)
{
	struct compose_sbuf b = {NULL, 0, 0};
	GMimeMessage *m;
	char *v, *fdir = NULL, *path, *e, *name, *text;

	*err = NULL;
	compose_draft_init(out);
	if ((m = compose_parse(raw, len, err)) == NULL)
		return -1;
	v = compose_raw_header(m, "Subject");
	out->subject = compose_forward_subject(v != NULL ? v : "");
	free(v);

	if (as_attachment) {
		if ((fdir = compose_fwd_dir(dir, err)) == NULL)
			goto fail;
		v = compose_strip(out->subject + 5, compose_fwd);
		xasprintf(&e, "%s.eml", *v != '\0' ? v : "forwarded message");
		name = render_safe_filename(e, 1);
		free(e);
		free(v);
		xasprintf(&path, "%s/%s", fdir, name);
		free(name);
		if (compose_write_file(path, raw, len, err) != 0) {
			free(path);
			goto fail;
		}
		compose_draft_attach(out, path, NULL, "message/rfc822");
		free(path);
		out->body = xstrdup("");
		goto done;
	}

	compose_sbuf_str(&b, "\n---------- Forwarded message ----------\n");
	v = compose_raw_header(m, "From");
	compose_fwd_line(&b, "From",
	    mime_decode_addresses(v, v != NULL ? strlen(v) : 0, NULL));
	free(v);
	v = compose_raw_header(m, "Date");
	compose_fwd_line(
	    &b, "Date", mime_decode_words(v, v != NULL ? strlen(v) : 0, NULL));
	free(v);
	v = compose_raw_header(m, "Subject");
	compose_fwd_line(&b, "Subject",
	    mime_decode_words(v, v != NULL ? strlen(v) : 0, NULL));
	free(v);
	v = compose_raw_header(m, "To");
	compose_fwd_line(&b, "To",
	    mime_decode_addresses(v, v != NULL ? strlen(v) : 0, NULL));
	free(v);
	v = compose_raw_header(m, "Cc");
	compose_fwd_line(&b, "Cc",
	    mime_decode_addresses(v, v != NULL ? strlen(v) : 0, NULL));
	free(v);
	compose_sbuf_add(&b, "\n", 1);
	text = compose_text(raw, len, 1);
	compose_sbuf_str(&b, text);
	free(text);
	out->body = compose_sbuf_take(&b);

	/* The attachments, each in a directory of its own to keep its name. */
	if (compose_take_attachments(
	        raw, len, dir, "forward", out, &fdir, err) != 0)
		goto fail;
done:
	free(fdir);
	g_object_unref(m);
	return 0;
fail:
	free(b.s);
	if (fdir != NULL) {
		compose_cleanup(out, dir);
		rmdir(fdir);
	}
	free(fdir);
	g_object_unref(m);
	compose_draft_free(out);
	return -1;
}

/* Header name of m decoded (addresses as addresses), or NULL when the
 * message has none or it is empty. The caller's. */
static char *
compose_recall_field(GMimeMessage *m, const char *name, int addresses)
{
	char *v, *d;

	if ((v = compose_raw_header(m, name)) == NULL)
		return NULL;
	d = addresses ? mime_decode_addresses(v, strlen(v), NULL)
	              : mime_decode_words(v, strlen(v), NULL);
	free(v);
	if (d != NULL && (v = d + strspn(d, " \t")) != d)
		memmove(d, v, strlen(v) + 1);
	if (d != NULL && *d == '\0') {
		free(d);
		d = NULL;
	}
	return d;
}

int
compose_recall(
    const char *raw, size_t len, const char *dir, struct draft *out, char **err)
{
	GMimeMessage *m;
	char *fdir = NULL;

	*err = NULL;
	compose_draft_init(out);
	if ((m = compose_parse(raw, len, err)) == NULL)
		return -1;
	out->from = compose_recall_field(m, "From", 1);
	out->to = compose_recall_field(m, "To", 1);
	out->cc = compose_recall_field(m, "Cc", 1);
	out->bcc = compose_recall_field(m, "Bcc", 1);
	out->reply_to = compose_recall_field(m, "Reply-To", 1);
	out->subject = compose_recall_field(m, "Subject", 0);
	out->in_reply_to = compose_recall_field(m, "In-Reply-To", 0);
	out->references = compose_recall_field(m, "References", 0);
	out->body = compose_text(raw, len, 1);

	/* The attachments, each in a directory of its own to keep its
	 * name, as for a forward (compose_cleanup() removes them). */
	if (compose_take_attachments(
	        raw, len, dir, "recall", out, &fdir, err) != 0)
		goto fail;
	free(fdir);
	g_object_unref(m);
	return 0;
fail:
	if (fdir != NULL) {
		compose_cleanup(out, dir);
		rmdir(fdir);
	}
	free(fdir);
	g_object_unref(m);
	compose_draft_free(out);
	return -1;
}

void
compose_cleanup(const struct draft *d, const char *dir)
{
	size_t i, dlen = strlen(dir);
	const char *path, *rest;
	char *p, *slash;

	for (i = 0; i < d->nattach; i++) {
		path = d->attach[i].path;
		if (strncmp(path, dir, dlen) != 0 ||
		    strncmp(path + dlen, "/fwd-", 5) != 0)
			continue;
		rest = path + dlen + 1;
		if (strstr(rest, "/../") != NULL || strchr(rest, '/') == NULL)
			continue;
		unlink(path);
		p = xstrdup(path);
		/* Each directory up to the fwd- one; a full one stays. */
		while ((slash = strrchr(p, '/')) != NULL &&
		    (size_t)(slash - p) > dlen) {
			*slash = '\0';
			if (rmdir(p) != 0)
				break;
		}
		free(p);
	}
}
