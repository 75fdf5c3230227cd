/* errand: a terminal mail user agent. See LICENSE.
 * The draft file (a header block the user edits in $EDITOR, then the body)
 * and the message GMime builds from it: RFC 5322 headers, RFC 2047 encoded
 * words and RFC 2231 file names, transfer encodings chosen by content,
 * RFC 3676 format=flowed, attachments typed by mime.types or libmagic and
 * streamed from disk as the message is written. */

#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "content/compose.h"
#include "content/compose-private.h"
#include "content/mime.h"
#include "content/text.h"
#include "xmalloc.h"

/* The text part wraps format=flowed lines at this many characters. */
#define COMPOSE_FLOW_WIDTH 72
/* Lines up to this many characters are left as they are. */
#define COMPOSE_FLOW_MAX 78

/* The header fields of a draft file, in the order they are written. */
enum compose_field {
	COMPOSE_FROM,
	COMPOSE_TO,
	COMPOSE_CC,
	COMPOSE_BCC,
	COMPOSE_SUBJECT,
	COMPOSE_REPLY_TO,
	COMPOSE_IN_REPLY_TO,
	COMPOSE_REFERENCES,
	COMPOSE_NFIELDS
};

static const struct {
	const char *name;
	int address; /* an address list, checked */
	int always;  /* written even when empty, for the user to fill in */
} compose_fields[COMPOSE_NFIELDS] = {
    {"From", 1, 1},
    {"To", 1, 1},
    {"Cc", 1, 1},
    {"Bcc", 1, 1},
    {"Subject", 0, 1},
    {"Reply-To", 1, 0},
    {"In-Reply-To", 0, 0},
    {"References", 0, 0},
};

static char **compose_field_ptr(struct draft *, enum compose_field);
static const char *compose_field_get(const struct draft *, enum compose_field);
static int compose_header(struct draft *, const char *, size_t, const char *,
    size_t, int *, struct compose_sbuf *, char **);
static int compose_attach_line(struct draft *, char *, char **);
static char *compose_trim(char *);
static int compose_write_all(int, const char *, size_t);
static char *compose_flow(const char *);
static char *compose_mime_types(const char *, const char *);
static char *compose_magic(const char *, int);
static GMimeObject *compose_attachment_part(
    const struct compose_attachment *, const char *, char **);
static GMimeObject *compose_text_part(const struct draft *, int);
static GMimeContentEncoding compose_text_encoding(GMimePart *);
static GMimeContentEncoding compose_scan(const char *);
static int compose_envelope_add(struct compose_envelope *, const char *);

void
compose_sbuf_add(struct compose_sbuf *b, const char *s, size_t len)
{
	size_t want;

	if (b->s == NULL || b->len + len + 1 > b->size) {
		want = b->size == 0 ? 256 : b->size;
		while (want < b->len + len + 1)
			want *= 2;
		b->s = xreallocarray(b->s, 1, want);
		b->size = want;
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void
compose_sbuf_str(struct compose_sbuf *b, const char *s)
{
	compose_sbuf_add(b, s, strlen(s));
}

char *
compose_sbuf_take(struct compose_sbuf *b)
{
	char *s;

	if (b->s == NULL)
		return xstrdup("");
	s = b->s;
	b->s = NULL;
	b->len = b->size = 0;
	return s;
}

void
compose_draft_init(struct draft *d)
{
	memset(d, 0, sizeof *d);
}

void
compose_draft_free(struct draft *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < COMPOSE_NFIELDS; i++)
		free(*compose_field_ptr(d, i));
	for (i = 0; i < d->nattach; i++) {
		free(d->attach[i].path);
		free(d->attach[i].description);
		free(d->attach[i].type);
	}
	free(d->attach);
	free(d->body);
	free(d->extra);
	memset(d, 0, sizeof *d);
}

void
compose_draft_attach(struct draft *d, const char *path, const char *description,
    const char *type)
{
	struct compose_attachment *a;

	d->attach = xreallocarray(d->attach, d->nattach + 1, sizeof *d->attach);
	a = &d->attach[d->nattach++];
	a->path = xstrdup(path);
	a->description = description != NULL && *description != '\0'
	    ? xstrdup(description)
	    : NULL;
	a->type = type != NULL && *type != '\0' ? xstrdup(type) : NULL;
}

void
compose_draft_detach(struct draft *d, size_t i)
{
	if (i >= d->nattach)
		return;
	free(d->attach[i].path);
	free(d->attach[i].description);
	free(d->attach[i].type);
	memmove(&d->attach[i], &d->attach[i + 1],
	    (d->nattach - i - 1) * sizeof *d->attach);
	d->nattach--;
}

static char **
compose_field_ptr(struct draft *d, enum compose_field f)
{
	switch (f) {
	case COMPOSE_FROM:
		return &d->from;
	case COMPOSE_TO:
		return &d->to;
	case COMPOSE_CC:
		return &d->cc;
	case COMPOSE_BCC:
		return &d->bcc;
	case COMPOSE_SUBJECT:
		return &d->subject;
	case COMPOSE_REPLY_TO:
		return &d->reply_to;
	case COMPOSE_IN_REPLY_TO:
		return &d->in_reply_to;
	case COMPOSE_REFERENCES:
		return &d->references;
	default:
		fatalx("%s: bad field %d", __func__, (int)f);
	}
}

static const char *
compose_field_get(const struct draft *d, enum compose_field f)
{
	const char *s = *compose_field_ptr((struct draft *)d, f);

	return s != NULL ? s : "";
}

static char *
compose_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* Whether a mailbox address looks like local@domain. */
int
compose_addr_valid(const char *addr)
{
	const char *at, *p;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL || at == addr ||
	    at[1] == '\0' || at[1] == '.' || at[strlen(at) - 1] == '.')
		return 0;
	for (p = addr; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' ||
		    strchr("<>,;()[]\\\"", *p) != NULL)
			return 0;
	}
	return 1;
}

/* Check every mailbox of list, groups included; the first bad one into
 * *bad (a pointer into list). */
static int
compose_list_check(InternetAddressList *list, const char **bad)
{
	InternetAddress *ia;
	int i, n;

	n = internet_address_list_length(list);
	for (i = 0; i < n; i++) {
		ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			if (compose_list_check(
			        internet_address_group_get_members(
			            INTERNET_ADDRESS_GROUP(ia)),
			        bad) != 0)
				return -1;
			continue;
		}
		if (!compose_addr_valid(internet_address_mailbox_get_addr(
		        INTERNET_ADDRESS_MAILBOX(ia)))) {
			*bad = internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(ia));
			return -1;
		}
	}
	return 0;
}

/* Whether a value a user typed holds anything but white space and
 * commas. */
static int
compose_blank(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != ',')
			return 0;
	return 1;
}

int
compose_addresses_check(const char *list, char **err)
{
	InternetAddressList *l;
	const char *bad = NULL;
	int rc = 0;

	*err = NULL;
	mime_init();
	if (compose_blank(list)) {
		xasprintf(err, "no address given");
		return -1;
	}
	l = internet_address_list_parse(NULL, list);
	if (l == NULL || internet_address_list_length(l) == 0) {
		xasprintf(err, "'%s' is not an address", list);
		rc = -1;
	} else if (compose_list_check(l, &bad) != 0) {
		xasprintf(err, "'%s' is not an address", bad);
		rc = -1;
	}
	if (l != NULL)
		g_object_unref(l);
	return rc;
}

int
compose_attachment_check(const char *path, char **err)
{
	struct stat st;
	int fd;

	*err = NULL;
	if (path == NULL || *path == '\0') {
		xasprintf(err, "cannot attach '': no file named");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			xasprintf(
			    err, "cannot attach '%s': no such file", path);
		else
			xasprintf(err, "cannot attach '%s': %s", path,
			    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		xasprintf(err, "cannot attach '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (S_ISDIR(st.st_mode)) {
		xasprintf(err, "cannot attach '%s': is a directory", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		xasprintf(err, "cannot attach '%s': not a regular file", path);
		return -1;
	}
	return 0;
}

/* "Attach: PATH [; type=TYPE/SUB] [; DESCRIPTION]", PATH in double
 * quotes (with \" and \\) when it holds a ';' or starts with a quote. */
static int
compose_attach_line(struct draft *d, char *v, char **why)
{
	char *path, *type = NULL, *desc = NULL, *semi, *home, *full = NULL;
	char *o, *rest;

	path = rest = v;
	if (*v == '"') {
		path = o = v + 1;
		for (rest = v + 1; *rest != '"'; rest++) {
			if (*rest == '\\' && rest[1] != '\0')
				rest++;
			else if (*rest == '\0') {
				xasprintf(why, "no closing quote");
				return -1;
			}
			*o++ = *rest;
		}
		*o = '\0';
		rest = compose_trim(rest + 1);
		if (*rest != '\0' && *rest != ';') {
			xasprintf(why, "'%s' after the quoted file name", rest);
			return -1;
		}
	}
	if ((semi = strchr(rest, ';')) != NULL) {
		*semi = '\0';
		desc = compose_trim(semi + 1);
		if (strncasecmp(desc, "type=", 5) == 0) {
			type = desc + 5;
			if ((semi = strchr(type, ';')) != NULL) {
				*semi = '\0';
				desc = compose_trim(semi + 1);
			} else
				desc = NULL;
			type = compose_trim(type);
			if (strchr(type, '/') == NULL || strchr(type, ' ') ||
			    type[0] == '/' || type[strlen(type) - 1] == '/') {
				xasprintf(
				    why, "'%s' is not a content type", type);
				return -1;
			}
		}
	}
	if (*v != '"')
		path = compose_trim(path);
	if (*path == '\0') {
		xasprintf(why, "no file named");
		return -1;
	}
	if (path[0] == '~' && path[1] == '/' &&
	    (home = getenv("HOME")) != NULL) {
		xasprintf(&full, "%s%s", home, path + 1);
		path = full;
	}
	compose_draft_attach(d, path, desc, type);
	free(full);
	return 0;
}

/* One header field of a draft file; *seen has a bit a field given, extra
 * gathers the fields that are not ours. */
static int
compose_header(struct draft *d, const char *name, size_t nlen,
    const char *value, size_t vlen, int *seen, struct compose_sbuf *extra,
    char **why)
{
	char *v, *t, **p, *e = NULL;
	int f;

	v = xstrndup(value, vlen);
	t = compose_trim(v);
	for (f = 0; f < COMPOSE_NFIELDS; f++) {
		if (strlen(compose_fields[f].name) == nlen &&
		    strncasecmp(compose_fields[f].name, name, nlen) == 0)
			break;
	}
	if (f < COMPOSE_NFIELDS) {
		if (*seen & (1 << f)) {
			xasprintf(
			    why, "%s: given twice", compose_fields[f].name);
			goto fail;
		}
		*seen |= 1 << f;
		if (compose_fields[f].address && !compose_blank(t) &&
		    compose_addresses_check(t, &e) != 0) {
			xasprintf(why, "%s: %s", compose_fields[f].name, e);
			free(e);
			goto fail;
		}
		p = compose_field_ptr(d, f);
		*p = xstrdup(t);
	} else if (nlen == 6 && strncasecmp(name, "Attach", 6) == 0) {
		if (compose_attach_line(d, t, &e) != 0) {
			xasprintf(why, "Attach: %s", e);
			free(e);
			goto fail;
		}
	} else if (nlen == 6 && strncasecmp(name, "Flowed", 6) == 0) {
		if (strcasecmp(t, "yes") == 0)
			d->flowed = 1;
		else if (strcasecmp(t, "no") == 0 || *t == '\0')
			d->flowed = 0;
		else {
			xasprintf(why, "Flowed: '%s' is not yes or no", t);
			goto fail;
		}
	} else {
		compose_sbuf_add(extra, name, nlen);
		compose_sbuf_add(extra, ": ", 2);
		compose_sbuf_str(extra, t);
		compose_sbuf_add(extra, "\n", 1);
	}
	free(v);
	return 0;
fail:
	free(v);
	return -1;
}

int
compose_draft_parse(
    const char *buf, size_t len, const char *name, struct draft *d, char **err)
{
	const char *p = buf, *end = buf + len, *eol, *colon, *n;
	struct compose_sbuf field = {NULL, 0, 0}, extra = {NULL, 0, 0};
	size_t lineno = 0, fieldline = 0, flen, nlen = 0;
	int seen = 0, rc = -1;
	char *why = NULL;

	compose_draft_init(d);
	*err = NULL;
	mime_init();
	if (memchr(buf, '\0', len) != NULL) {
		n = memchr(buf, '\0', len);
		for (p = buf; p < n; p++)
			lineno += *p == '\n';
		xasprintf(err, "%s:%zu: a NUL byte", name, lineno + 1);
		return -1;
	}
	if (!text_utf8_valid(buf, len)) {
		for (p = buf; p < end; p = eol + 1) {
			lineno++;
			if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
				eol = end;
			if (!text_utf8_valid(p, (size_t)(eol - p)) ||
			    eol == end)
				break;
		}
		xasprintf(err, "%s:%zu: not UTF-8 text", name, lineno);
		return -1;
	}
	/* The header block: fields, folded lines, up to an empty line. */
	for (;;) {
		if (p >= end)
			eol = end;
		else if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		flen = p < end ? (size_t)(eol - p) : 0;
		if (flen > 0 && p[flen - 1] == '\r')
			flen--;
		if (p < end)
			lineno++;
		if (p < end && flen > 0 && (*p == ' ' || *p == '\t')) {
			if (field.s == NULL) {
				xasprintf(err,
				    "%s:%zu: a continuation line with no "
				    "field before it",
				    name, lineno);
				goto out;
			}
			compose_sbuf_add(&field, p, flen);
		} else {
			if (field.s != NULL) {
				colon = field.s + nlen;
				if (compose_header(d, field.s, nlen, colon + 1,
				        field.len - nlen - 1, &seen, &extra,
				        &why) != 0) {
					xasprintf(err, "%s:%zu: %s", name,
					    fieldline, why);
					free(why);
					goto out;
				}
				free(field.s);
				field.s = NULL;
				field.len = field.size = 0;
			}
			if (p >= end || flen == 0)
				break;
			if (flen > COMPOSE_HEADER_LINE_MAX) {
				xasprintf(err, "%s:%zu: header line too long",
				    name, lineno);
				goto out;
			}
			for (n = p; n < p + flen && *n != ':'; n++) {
				if (*n <= ' ' || *n > '~')
					break;
			}
			if (n == p || n == p + flen || *n != ':') {
				xasprintf(err,
				    "%s:%zu: '%.*s' is not a header field "
				    "(an empty line ends the header)",
				    name, lineno, (int)(flen > 40 ? 40 : flen),
				    p);
				goto out;
			}
			nlen = (size_t)(n - p);
			fieldline = lineno;
			compose_sbuf_add(&field, p, flen);
		}
		if (field.len > COMPOSE_HEADER_LINE_MAX) {
			xasprintf(err, "%s:%zu: header field too long", name,
			    fieldline);
			goto out;
		}
		p = eol < end ? eol + 1 : end;
	}
	/* The body, CRLF made LF. */
	{
		struct compose_sbuf b = {NULL, 0, 0};
		const char *q;

		if (eol < end) {
			for (q = eol + 1; q < end; q++) {
				if (*q == '\r' && q + 1 < end && q[1] == '\n')
					continue;
				compose_sbuf_add(&b, q, 1);
			}
		}
		d->body = compose_sbuf_take(&b);
	}
	if (extra.s != NULL)
		d->extra = compose_sbuf_take(&extra);
	rc = 0;
out:
	free(field.s);
	free(extra.s);
	if (rc != 0) {
		compose_draft_free(d);
		compose_draft_init(d);
	}
	return rc;
}

int
compose_draft_read(const char *path, struct draft *d, char **err)
{
	struct compose_sbuf b = {NULL, 0, 0};
	const char *name;
	char chunk[65536];
	ssize_t n;
	int fd, rc;

	compose_draft_init(d);
	*err = NULL;
	name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		xasprintf(err, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if ((n = read(fd, chunk, sizeof chunk)) < 0) {
			if (errno == EINTR)
				continue;
			xasprintf(
			    err, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > COMPOSE_DRAFT_MAX) {
			xasprintf(err, "cannot read '%s': larger than %d MB",
			    path, COMPOSE_DRAFT_MAX / (1024 * 1024));
			break;
		}
		compose_sbuf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (*err != NULL) {
		free(b.s);
		return -1;
	}
	rc = compose_draft_parse(b.s != NULL ? b.s : "", b.len, name, d, err);
	free(b.s);
	return rc;
}

static int
compose_write_all(int fd, const char *s, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, s, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

/* A header value for one line of the draft file: newlines made spaces. */
static void
compose_sbuf_value(struct compose_sbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n' || *s == '\r')
			compose_sbuf_add(b, " ", 1);
		else
			compose_sbuf_add(b, s, 1);
	}
}

int
compose_draft_write(const struct draft *d, const char *path, char **err)
{
	struct compose_sbuf b = {NULL, 0, 0};
	char *tmp = NULL, *dir, *slash;
	const char *v;
	size_t i;
	int f, fd = -1, dfd;

	*err = NULL;
	for (f = 0; f < COMPOSE_NFIELDS; f++) {
		v = compose_field_get(d, f);
		if (*v == '\0' && !compose_fields[f].always)
			continue;
		compose_sbuf_str(&b, compose_fields[f].name);
		compose_sbuf_add(&b, ": ", 2);
		compose_sbuf_value(&b, v);
		compose_sbuf_add(&b, "\n", 1);
	}
	for (i = 0; i < d->nattach; i++) {
		const struct compose_attachment *a = &d->attach[i];

		if (strpbrk(a->path, "\r\n") != NULL) {
			xasprintf(err,
			    "cannot write '%s': the attachment '%s' has a "
			    "newline in its name",
			    path, a->path);
			free(b.s);
			return -1;
		}
		compose_sbuf_str(&b, "Attach: ");
		if (strchr(a->path, ';') != NULL || a->path[0] == '"' ||
		    a->path[0] == ' ' || a->path[0] == '\t' ||
		    (*a->path != '\0' &&
		        strchr(" \t", a->path[strlen(a->path) - 1]) != NULL)) {
			compose_sbuf_add(&b, "\"", 1);
			for (v = a->path; *v != '\0'; v++) {
				if (*v == '"' || *v == '\\')
					compose_sbuf_add(&b, "\\", 1);
				compose_sbuf_add(&b, v, 1);
			}
			compose_sbuf_add(&b, "\"", 1);
		} else
			compose_sbuf_str(&b, a->path);
		if (a->type != NULL) {
			compose_sbuf_str(&b, "; type=");
			compose_sbuf_value(&b, a->type);
		}
		if (a->description != NULL) {
			compose_sbuf_str(&b, "; ");
			compose_sbuf_value(&b, a->description);
		}
		compose_sbuf_add(&b, "\n", 1);
	}
	if (d->flowed)
		compose_sbuf_str(&b, "Flowed: yes\n");
	if (d->extra != NULL)
		compose_sbuf_str(&b, d->extra);
	compose_sbuf_add(&b, "\n", 1);
	if (d->body != NULL)
		compose_sbuf_str(&b, d->body);

	xasprintf(&tmp, "%s.tmpXXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		xasprintf(err, "cannot write '%s': %s", path, strerror(errno));
		free(tmp);
		tmp = NULL; /* nothing made to remove */
		goto fail;
	}
	if (fchmod(fd, 0600) != 0 || compose_write_all(fd, b.s, b.len) != 0 ||
	    fsync(fd) != 0) {
		xasprintf(err, "cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		xasprintf(err, "cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		xasprintf(err, "cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		slash[slash == dir ? 1 : 0] = '\0';
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >=
		    0) {
			fsync(dfd);
			close(dfd);
		}
	}
	free(dir);
	free(tmp);
	free(b.s);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(b.s);
	return -1;
}

int
compose_add_signature(char **body, const char *path, char **err)
{
	struct compose_sbuf b = {NULL, 0, 0};
	char chunk[4096];
	ssize_t n;
	int fd;

	*err = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		xasprintf(err, "cannot read the signature '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if (*body != NULL)
		compose_sbuf_str(&b, *body);
	if (b.len > 0 && b.s[b.len - 1] != '\n')
		compose_sbuf_add(&b, "\n", 1);
	compose_sbuf_str(&b, "-- \n");
	for (;;) {
		if ((n = read(fd, chunk, sizeof chunk)) < 0) {
			if (errno == EINTR)
				continue;
			xasprintf(err, "cannot read the signature '%s': %s",
			    path, strerror(errno));
			close(fd);
			free(b.s);
			return -1;
		}
		if (n == 0)
			break;
		if (b.len > 1024 * 1024) {
			xasprintf(err,
			    "cannot read the signature '%s': too large", path);
			close(fd);
			free(b.s);
			return -1;
		}
		compose_sbuf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (b.s[b.len - 1] != '\n')
		compose_sbuf_add(&b, "\n", 1);
	free(*body);
	*body = compose_sbuf_take(&b);
	return 0;
}

/*
 * The body as RFC 3676 format=flowed text: trailing spaces dropped (but
 * the signature separator's), lines over COMPOSE_FLOW_MAX characters
 * broken after a space near COMPOSE_FLOW_WIDTH with the space left at the
 * end (a soft break), quoted lines keeping their '>' marks, and lines
 * starting with a space, "From " or (unquoted) '>' space-stuffed.
 */
static char *
compose_flow(const char *body)
{
	struct compose_sbuf b = {NULL, 0, 0};
	const char *p = body, *eol, *q, *text, *brk;
	size_t len, depth, chars, n;

	while (*p != '\0') {
		if ((eol = strchr(p, '\n')) == NULL)
			eol = p + strlen(p);
		len = (size_t)(eol - p);
		if (!(len == 3 && strncmp(p, "-- ", 3) == 0)) {
			while (len > 0 && p[len - 1] == ' ')
				len--;
		}
		for (depth = 0; depth < len && p[depth] == '>'; depth++)
			;
		text = p + depth;
		if (depth > 0 && text < p + len && *text == ' ')
			text++;
		for (;;) {
			/* The characters left, and the last space to break
			 * after within the width (else the first after it). */
			brk = NULL;
			chars = depth + (depth > 0 ? 1 : 0);
			for (q = text; q < p + len; q++) {
				if (((unsigned char)*q & 0xc0) == 0x80)
					continue;
				chars++;
				if (*q == ' ' && q > text && q[-1] != ' ' &&
				    q + 1 < p + len &&
				    (brk == NULL ||
				        chars <= COMPOSE_FLOW_WIDTH))
					brk = q;
			}
			if (depth > 0) {
				compose_sbuf_add(&b, p, depth);
				compose_sbuf_add(&b, " ", 1);
			} else if (*text == ' ' || *text == '>' ||
			    strncmp(text, "From ", 5) == 0)
				compose_sbuf_add(&b, " ", 1);
			n = (size_t)(p + len - text);
			if (chars <= COMPOSE_FLOW_MAX || brk == NULL) {
				if (n > 0 || depth == 0)
					compose_sbuf_add(&b, text, n);
				else
					b.s[--b.len] = '\0';
				break;
			}
			/* Break after the space: it ends the line soft. */
			compose_sbuf_add(&b, text, (size_t)(brk + 1 - text));
			compose_sbuf_add(&b, "\n", 1);
			text = brk + 1;
		}
		compose_sbuf_add(&b, "\n", 1);
		if (*eol == '\0')
			break;
		p = eol + 1;
	}
	return compose_sbuf_take(&b);
}

/* The type mime.types gives the extension of name, or NULL. */
static char *
compose_mime_types(const char *file, const char *name)
{
	const char *ext, *base;
	char line[4096], *p, *type, *tok, *save = NULL;
	FILE *f;

	base = strrchr(name, '/') != NULL ? strrchr(name, '/') + 1 : name;
	if ((ext = strrchr(base, '.')) == NULL || ext == base || ext[1] == '\0')
		return NULL;
	ext++;
	if ((f = fopen(file != NULL ? file : "/etc/mime.types", "re")) == NULL)
		return NULL;
	while (fgets(line, sizeof line, f) != NULL) {
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		type = strtok_r(line, " \t\r\n", &save);
		if (type == NULL || strchr(type, '/') == NULL)
			continue;
		while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			if (strcasecmp(tok, ext) == 0) {
				fclose(f);
				for (p = type; *p != '\0'; p++)
					*p = (char)tolower((unsigned char)*p);
				return xstrdup(type);
			}
		}
	}
	fclose(f);
	return NULL;
}

/* What libmagic says of the file: its type, or with encoding its
 * charset ("us-ascii", "utf-8", ...). NULL when it cannot tell. */
static char *
compose_magic(const char *path, int encoding)
{
	magic_t m;
	const char *r;
	char *out = NULL;

	if ((m = magic_open(
	         encoding ? MAGIC_MIME_ENCODING : MAGIC_MIME_TYPE)) == NULL)
		return NULL;
	if (magic_load(m, NULL) == 0 && (r = magic_file(m, path)) != NULL &&
	    strchr(r, ' ') == NULL && (encoding || strchr(r, '/') != NULL))
		out = xstrdup(r);
	magic_close(m);
	return out;
}

char *
compose_guess_type(const char *path, const char *mime_types)
{
	char *t;

	if ((t = compose_mime_types(mime_types, path)) != NULL)
		return t;
	if ((t = compose_magic(path, 0)) != NULL)
		return t;
	return xstrdup("application/octet-stream");
}

/* The transfer encoding of a text part: 7bit when it is 7-bit text in
 * lines SMTP takes, else quoted-printable (readable, and safe for any
 * line length), never base64. */
static GMimeContentEncoding
compose_text_encoding(GMimePart *part)
{
	GMimeContentEncoding enc;

	enc = g_mime_part_get_best_content_encoding(
	    part, GMIME_ENCODING_CONSTRAINT_7BIT);
	if (enc == GMIME_CONTENT_ENCODING_DEFAULT) /* nothing to encode */
		return GMIME_CONTENT_ENCODING_7BIT;
	if (enc == GMIME_CONTENT_ENCODING_7BIT)
		return enc;
	return GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
}

/* The encoding of a message/rfc822 file, read through once: 7bit, 8bit,
 * or base64 when it has NUL bytes or lines over 998 octets. */
static GMimeContentEncoding
compose_scan(const char *path)
{
	unsigned char buf[65536];
	size_t line = 0;
	ssize_t n, i;
	int fd, eight = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return GMIME_CONTENT_ENCODING_BASE64;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				line = 0;
				continue;
			}
			if (buf[i] == '\0' || ++line > 998) {
				close(fd);
				return GMIME_CONTENT_ENCODING_BASE64;
			}
			eight |= buf[i] >= 0x80;
		}
	}
	close(fd);
	if (n < 0)
		return GMIME_CONTENT_ENCODING_BASE64;
	return eight ? GMIME_CONTENT_ENCODING_8BIT
	             : GMIME_CONTENT_ENCODING_7BIT;
}

/* A part for attachment a, its file opened (and kept open by the part's
 * stream) now; NULL with *err when it cannot be attached. */
static GMimeObject *
compose_attachment_part(
    const struct compose_attachment *a, const char *mime_types, char **err)
{
	GMimeContentEncoding enc;
	GMimeDataWrapper *w;
	GMimeStream *s;
	GMimePart *part;
	GMimeContentType *ct;
	struct stat st;
	const char *base;
	char *type, *cs;
	int fd;

	if (compose_attachment_check(a->path, err) != 0)
		return NULL;
	if ((fd = open(a->path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		xasprintf(err, "cannot attach '%s': %s", a->path,
		    fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	type = a->type != NULL ? xstrdup(a->type)
	                       : compose_guess_type(a->path, mime_types);
	ct = g_mime_content_type_parse(NULL, type);
	part = g_mime_part_new();
	g_mime_object_set_content_type(GMIME_OBJECT(part), ct);
	g_object_unref(ct);
	s = g_mime_stream_fs_new(fd);
	w = g_mime_data_wrapper_new_with_stream(
	    s, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, w);
	g_object_unref(w);
	g_object_unref(s);
	base =
	    strrchr(a->path, '/') != NULL ? strrchr(a->path, '/') + 1 : a->path;
	if (strncasecmp(type, "message/", 8) == 0) {
		/* RFC 2046 5.2.1: no encoding but 7bit, 8bit or binary;
		 * base64 only for what SMTP cannot carry as it is. */
		enc = compose_scan(a->path);
		g_mime_object_set_disposition(GMIME_OBJECT(part), "inline");
	} else {
		if (strncasecmp(type, "text/", 5) == 0) {
			if ((cs = compose_magic(a->path, 1)) != NULL &&
			    strcmp(cs, "binary") != 0 &&
			    strcmp(cs, "unknown-8bit") != 0)
				g_mime_object_set_content_type_parameter(
				    GMIME_OBJECT(part), "charset", cs);
			free(cs);
			enc = compose_text_encoding(part);
		} else
			enc = GMIME_CONTENT_ENCODING_BASE64;
		g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
		g_mime_part_set_filename(part, base);
	}
	g_mime_part_set_content_encoding(part, enc);
	if (a->description != NULL)
		g_mime_part_set_content_description(part, a->description);
	free(type);
	return GMIME_OBJECT(part);
}

/* The text/plain part of d's body. */
static GMimeObject *
compose_text_part(const struct draft *d, int flowed)
{
	GMimeDataWrapper *w;
	GMimeStream *s;
	GMimePart *part;
	char *text;

	text = flowed ? compose_flow(d->body != NULL ? d->body : "")
	              : xstrdup(d->body != NULL ? d->body : "");
	part = g_mime_part_new_with_type("text", "plain");
	g_mime_object_set_content_type_parameter(
	    GMIME_OBJECT(part), "charset", "utf-8");
	if (flowed) {
		g_mime_object_set_content_type_parameter(
		    GMIME_OBJECT(part), "format", "flowed");
		g_mime_object_set_content_type_parameter(
		    GMIME_OBJECT(part), "delsp", "no");
	}
	s = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	w = g_mime_data_wrapper_new_with_stream(
	    s, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, w);
	g_object_unref(w);
	g_object_unref(s);
	g_mime_part_set_content_encoding(part, compose_text_encoding(part));
	free(text);
	return GMIME_OBJECT(part);
}

void
compose_envelope_free(struct compose_envelope *env)
{
	size_t i;

	if (env == NULL)
		return;
	free(env->from);
	for (i = 0; i < env->nrcpt; i++)
		free(env->rcpt[i]);
	free(env->rcpt);
	free(env->message_id);
	memset(env, 0, sizeof *env);
}

static int
compose_envelope_add(struct compose_envelope *env, const char *addr)
{
	size_t i;

	for (i = 0; i < env->nrcpt; i++) {
		if (strcasecmp(env->rcpt[i], addr) == 0)
			return 0;
	}
	env->rcpt = xreallocarray(env->rcpt, env->nrcpt + 1, sizeof *env->rcpt);
	env->rcpt[env->nrcpt++] = xstrdup(addr);
	return 1;
}

/* Every mailbox of list into env's recipients. */
static void
compose_envelope_list(struct compose_envelope *env, InternetAddressList *list)
{
	InternetAddress *ia;
	int i, n;

	n = internet_address_list_length(list);
	for (i = 0; i < n; i++) {
		ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia))
			compose_envelope_list(env,
			    internet_address_group_get_members(
			        INTERNET_ADDRESS_GROUP(ia)));
		else
			compose_envelope_add(env,
			    internet_address_mailbox_get_addr(
			        INTERNET_ADDRESS_MAILBOX(ia)));
	}
}

/* s with CR and LF made spaces, so that a value set by hand cannot start
 * a header of its own. The caller's. */
static char *
compose_oneline(const char *s)
{
	char *o = xstrdup(s), *p;

	for (p = o; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	return o;
}

/* The address list of field f of d, parsed and checked; NULL with *err
 * when it is bad, an empty list when it is blank. */
static InternetAddressList *
compose_parse_field(
    const struct draft *d, const char *name, const char *v, char **err)
{
	InternetAddressList *l;
	char *e;

	if (compose_blank(v))
		return internet_address_list_new();
	if (compose_addresses_check(v, &e) != 0) {
		xasprintf(err, "%s: %s", name, e);
		free(e);
		return NULL;
	}
	l = internet_address_list_parse(NULL, v);
	return l != NULL ? l : internet_address_list_new();
}

int
compose_build(const struct draft *d, const struct compose_opts *opts, int outfd,
    struct compose_envelope *env, char **err)
{
	static const struct compose_opts none;
	InternetAddressList *lists[5] = {NULL, NULL, NULL, NULL, NULL};
	static const enum compose_field lf[5] = {COMPOSE_FROM, COMPOSE_TO,
	    COMPOSE_CC, COMPOSE_BCC, COMPOSE_REPLY_TO};
	GMimeMessage *msg = NULL;
	GMimeMultipart *mixed = NULL;
	GMimeObject *body, *part;
	GMimeStream *fs = NULL, *filtered = NULL;
	GMimeFilter *crlf;
	GMimeFormatOptions *fmt;
	GDateTime *date;
	InternetAddress *ia;
	struct compose_envelope e;
	const char *v, *addr, *domain;
	char *id = NULL, *line;
	size_t i;
	int k, rc = -1;

	*err = NULL;
	memset(&e, 0, sizeof e);
	if (env != NULL)
		memset(env, 0, sizeof *env);
	if (opts == NULL)
		opts = &none;
	mime_init();

	for (k = 0; k < 5; k++) {
		v = compose_field_get(d, lf[k]);
		if (lf[k] == COMPOSE_FROM && compose_blank(v) &&
		    opts->from != NULL)
			v = opts->from;
		lists[k] =
		    compose_parse_field(d, compose_fields[lf[k]].name, v, err);
		if (lists[k] == NULL)
			goto out;
	}
	if (internet_address_list_length(lists[0]) == 0 ||
	    INTERNET_ADDRESS_IS_GROUP(
	        internet_address_list_get_address(lists[0], 0))) {
		xasprintf(err, "From: no address of the sender");
		goto out;
	}
	ia = internet_address_list_get_address(lists[0], 0);
	addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
	e.from = xstrdup(addr);
	for (k = 1; k < 4; k++)
		compose_envelope_list(&e, lists[k]);
	if (e.nrcpt == 0) {
		xasprintf(err, "To: no recipient");
		goto out;
	}

	/* The headers in the order they are set; empty ones not at all. */
	msg = g_mime_message_new(FALSE);
	date = g_date_time_new_from_unix_local(
	    opts->date != 0 ? (gint64)opts->date : (gint64)time(NULL));
	g_mime_message_set_date(msg, date);
	g_date_time_unref(date);
	internet_address_list_append(g_mime_message_get_from(msg), lists[0]);
	if (internet_address_list_length(lists[1]) > 0)
		internet_address_list_append(
		    g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_TO),
		    lists[1]);
	if (internet_address_list_length(lists[2]) > 0)
		internet_address_list_append(
		    g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_CC),
		    lists[2]);
	if (internet_address_list_length(lists[4]) > 0)
		internet_address_list_append(
		    g_mime_message_get_reply_to(msg), lists[4]);
	line = compose_oneline(compose_field_get(d, COMPOSE_SUBJECT));
	g_mime_message_set_subject(msg, line, "utf-8");
	free(line);
	domain = opts->msgid_domain;
	if (domain == NULL || *domain == '\0')
		domain = strrchr(e.from, '@') + 1;
	id = g_mime_utils_generate_message_id(domain);
	g_mime_message_set_message_id(msg, id);
	e.message_id = xstrdup(id);
	g_free(id);
	if (*(v = compose_field_get(d, COMPOSE_IN_REPLY_TO)) != '\0') {
		line = compose_oneline(v);
		g_mime_object_set_header(
		    GMIME_OBJECT(msg), "In-Reply-To", line, NULL);
		free(line);
	}
	if (*(v = compose_field_get(d, COMPOSE_REFERENCES)) != '\0') {
		line = compose_oneline(v);
		g_mime_object_set_header(
		    GMIME_OBJECT(msg), "References", line, NULL);
		free(line);
	}

	body = compose_text_part(d, d->flowed || opts->text_flowed);
	if (d->nattach > 0) {
		mixed = g_mime_multipart_new_with_subtype("mixed");
		g_mime_multipart_add(mixed, body);
		g_object_unref(body);
		for (i = 0; i < d->nattach; i++) {
			part = compose_attachment_part(
			    &d->attach[i], opts->mime_types, err);
			if (part == NULL)
				goto out;
			g_mime_multipart_add(mixed, part);
			g_object_unref(part);
		}
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
	} else {
		g_mime_message_set_mime_part(msg, body);
		g_object_unref(body);
	}
	g_mime_object_set_header(
	    GMIME_OBJECT(msg), "MIME-Version", "1.0", NULL);

	/* Written with LF by GMime, made CRLF on the way out. */
	fs = g_mime_stream_pipe_new(outfd); /* never seeks: any fd */
	g_mime_stream_pipe_set_owner(GMIME_STREAM_PIPE(fs), FALSE);
	filtered = g_mime_stream_filter_new(fs);
	crlf = g_mime_filter_unix2dos_new(FALSE);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), crlf);
	g_object_unref(crlf);
	fmt = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(
	    fmt, GMIME_NEWLINE_FORMAT_UNIX);
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), fmt, filtered) <
	        0 ||
	    g_mime_stream_flush(filtered) != 0) {
		xasprintf(err, "cannot write the message: %s",
		    errno != 0 ? strerror(errno) : "write error");
		g_mime_format_options_free(fmt);
		goto out;
	}
	g_mime_format_options_free(fmt);
	rc = 0;
	if (env != NULL) {
		*env = e;
		memset(&e, 0, sizeof e);
	}
out:
	compose_envelope_free(&e);
	for (k = 0; k < 5; k++)
		if (lists[k] != NULL)
			g_object_unref(lists[k]);
	if (filtered != NULL)
		g_object_unref(filtered);
	if (fs != NULL)
		g_object_unref(fs);
	if (mixed != NULL)
		g_object_unref(mixed);
	if (msg != NULL)
		g_object_unref(msg);
	return rc;
}
