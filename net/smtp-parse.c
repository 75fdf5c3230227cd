/* errand: a terminal mail user agent. See LICENSE.
 * SMTP reply parser: lines are gathered into replies, each bounded, and
 * checked for a reply code; EHLO keywords become extension bits.
 * RFC 5321 4.2, RFC 3463, RFC 2034, RFC 1870, RFC 4954. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmalloc.h"
#include "sasl.h"
#include "smtp-parse.h"

struct smtp_parser {
	size_t max_line;
	size_t max_lines;
	char *line; /* the line being read, max_line bytes and a NUL */
	size_t len;
	int code; /* the reply's code, 0 before its first line */
	char enhanced[16];
	char **lines; /* the reply's line texts */
	size_t nlines;
	char *text; /* the last whole reply's joined text */
	char *error;
};

static void smtp_parser_clear(struct smtp_parser *);
static int smtp_parser_fail(struct smtp_parser *, const char *);
static int smtp_parser_toolong(struct smtp_parser *);
static int smtp_parser_line(struct smtp_parser *, int *);
static size_t smtp_enhanced_len(const char *, int);

struct smtp_parser *
smtp_parser_new(size_t max_line, size_t max_lines)
{
	struct smtp_parser *p = xcalloc(1, sizeof *p);

	p->max_line = max_line != 0 ? max_line : SMTP_MAX_LINE;
	p->max_lines = max_lines != 0 ? max_lines : SMTP_MAX_LINES;
	p->line = xmalloc(p->max_line + 2);
	p->lines = xcalloc(p->max_lines + 1, sizeof *p->lines);
	return p;
}

void
smtp_parser_free(struct smtp_parser *p)
{
	if (p == NULL)
		return;
	smtp_parser_clear(p);
	free(p->lines);
	free(p->line);
	free(p->error);
	free(p);
}

/* Forget the last reply's lines and text. */
static void
smtp_parser_clear(struct smtp_parser *p)
{
	size_t i;

	for (i = 0; i < p->nlines; i++)
		free(p->lines[i]);
	p->nlines = 0;
	p->code = 0;
	p->enhanced[0] = '\0';
	free(p->text);
	p->text = NULL;
}

static int
smtp_parser_fail(struct smtp_parser *p, const char *msg)
{
	if (p->error == NULL)
		p->error = xstrdup(msg);
	return -1;
}

static int
smtp_parser_toolong(struct smtp_parser *p)
{
	char msg[64];

	snprintf(
	    msg, sizeof msg, "reply line of more than %zu bytes", p->max_line);
	return smtp_parser_fail(p, msg);
}

const char *
smtp_parser_error(const struct smtp_parser *p)
{
	return p->error;
}

int
smtp_parser_pending(const struct smtp_parser *p)
{
	return p->len != 0 || (p->nlines != 0 && p->text == NULL);
}

/* The length of an RFC 3463 code ("5.7.1") at the start of s whose class
 * is cls, followed by a space or the end; 0 when there is none. */
static size_t
smtp_enhanced_len(const char *s, int cls)
{
	size_t i = 0, n;
	int part;

	if (s[0] != '0' + cls || s[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; isdigit((unsigned char)s[i]) && n < 4; n++)
			i++;
		if (n == 0 || n > 3)
			return 0;
		if (part == 0) {
			if (s[i] != '.')
				return 0;
			i++;
		}
	}
	if (s[i] != '\0' && s[i] != ' ')
		return 0;
	return i;
}

/* Take the line in p->line: 1 in *done when it ended the reply. */
static int
smtp_parser_line(struct smtp_parser *p, int *done)
{
	char *s = p->line, *text;
	size_t n;
	int code, last;

	if (p->len > 0 && s[p->len - 1] == '\r')
		p->len--;
	s[p->len] = '\0';
	if (p->len < 3 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]) ||
	    s[0] < '2' || s[0] > '5')
		return smtp_parser_fail(p, "reply line without a reply code");
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (p->len == 3 || s[3] == ' ')
		last = 1;
	else if (s[3] == '-')
		last = 0;
	else
		return smtp_parser_fail(p, "reply line without a reply code");
	if (p->nlines != 0 && code != p->code)
		return smtp_parser_fail(p, "multi-line reply with mixed codes");
	if (p->nlines == p->max_lines)
		return smtp_parser_fail(p, "reply of too many lines");
	text = p->len > 4 ? s + 4 : s + p->len;
	if ((n = smtp_enhanced_len(text, s[0] - '0')) != 0) {
		if (p->nlines == 0 && n < sizeof p->enhanced) {
			memcpy(p->enhanced, text, n);
			p->enhanced[n] = '\0';
		}
		text += n;
		if (*text == ' ')
			text++;
	}
	p->code = code;
	p->lines[p->nlines++] = xstrdup(text);
	*done = last;
	return 0;
}

int
smtp_parser_feed(struct smtp_parser *p, const void *buf, size_t len,
    size_t *used, struct smtp_reply *r)
{
	const unsigned char *b = buf;
	size_t i, total, k;
	int done;
	char *t;

	*used = 0;
	if (p->error != NULL)
		return -1;
	if (p->text != NULL)
		smtp_parser_clear(p);
	for (i = 0; i < len; i++) {
		if (b[i] == '\0') {
			*used = i;
			return smtp_parser_fail(p, "NUL byte in a reply");
		}
		if (b[i] != '\n') {
			/* room for max_line bytes and the CR of CRLF */
			if (p->len == p->max_line + 1) {
				*used = i;
				return smtp_parser_toolong(p);
			}
			p->line[p->len++] = (char)b[i];
			continue;
		}
		if (p->len == p->max_line + 1 && p->line[p->max_line] != '\r') {
			*used = i;
			return smtp_parser_toolong(p);
		}
		done = 0;
		if (smtp_parser_line(p, &done) == -1) {
			*used = i + 1;
			return -1;
		}
		p->len = 0;
		if (!done)
			continue;
		*used = i + 1;
		total = 1;
		for (k = 0; k < p->nlines; k++)
			total += strlen(p->lines[k]) + 1;
		p->text = t = xmalloc(total);
		for (k = 0; k < p->nlines; k++) {
			size_t l = strlen(p->lines[k]);

			memcpy(t, p->lines[k], l);
			t += l;
			*t++ = '\n';
		}
		if (t != p->text)
			t--;
		*t = '\0';
		r->code = p->code;
		r->enhanced = p->enhanced;
		r->text = p->text;
		r->lines = (const char *const *)p->lines;
		r->nlines = p->nlines;
		return 1;
	}
	*used = len;
	return 0;
}

void
smtp_ext_parse(const struct smtp_reply *r, struct smtp_ext *e)
{
	size_t i, n;
	int m;
	const char *s, *kw;
	unsigned long long v;
	char *end;

	memset(e, 0, sizeof *e);
	for (i = 1; i < r->nlines; i++) {
		s = r->lines[i];
		while (*s == ' ')
			s++;
		kw = s;
		n = strcspn(s, " =");
		s += n;
		if (n == 10 && strncasecmp(kw, "PIPELINING", n) == 0)
			e->ext |= SMTP_EXT_PIPELINING;
		else if (n == 8 && strncasecmp(kw, "8BITMIME", n) == 0)
			e->ext |= SMTP_EXT_8BITMIME;
		else if (n == 8 && strncasecmp(kw, "SMTPUTF8", n) == 0)
			e->ext |= SMTP_EXT_SMTPUTF8;
		else if (n == 8 && strncasecmp(kw, "STARTTLS", n) == 0)
			e->ext |= SMTP_EXT_STARTTLS;
		else if (n == 19 &&
		    strncasecmp(kw, "ENHANCEDSTATUSCODES", n) == 0)
			e->ext |= SMTP_EXT_ENHANCEDSTATUSCODES;
		else if (n == 4 && strncasecmp(kw, "SIZE", n) == 0) {
			e->ext |= SMTP_EXT_SIZE;
			while (*s == ' ')
				s++;
			e->size = 0;
			if (isdigit((unsigned char)*s)) {
				v = strtoull(s, &end, 10);
				if (*end == '\0' || *end == ' ')
					e->size = v;
			}
		} else if (n == 4 && strncasecmp(kw, "AUTH", n) == 0) {
			e->ext |= SMTP_EXT_AUTH;
			while (*s != '\0') {
				while (*s == ' ' || *s == '=')
					s++;
				kw = s;
				n = strcspn(s, " ");
				s += n;
				if (n == 0)
					break;
				if ((m = sasl_mech_from_name(kw, n)) > 0)
					e->sasl |= SASL_BIT(m);
				if (n == 5 && strncasecmp(kw, "PLAIN", n) == 0)
					e->auth |= SMTP_AUTH_PLAIN;
				else if (n == 5 &&
				    strncasecmp(kw, "LOGIN", n) == 0)
					e->auth |= SMTP_AUTH_LOGIN;
				else if (n == 7 &&
				    strncasecmp(kw, "XOAUTH2", n) == 0)
					e->auth |= SMTP_AUTH_XOAUTH2;
				else if (n == 11 &&
				    strncasecmp(kw, "OAUTHBEARER", n) == 0)
					e->auth |= SMTP_AUTH_OAUTHBEARER;
				else if (n == 8 &&
				    strncasecmp(kw, "CRAM-MD5", n) == 0)
					e->auth |= SMTP_AUTH_CRAM_MD5;
				else
					e->auth |= SMTP_AUTH_OTHER;
			}
		}
	}
}

void
smtp_stuff_init(struct smtp_stuff *st)
{
	st->bol = 1;
	st->cr = 0;
}

size_t
smtp_stuff(struct smtp_stuff *st, const char *in, size_t n, char *out)
{
	size_t i, o = 0;
	char c;

	for (i = 0; i < n; i++) {
		c = in[i];
		if (st->cr) {
			st->cr = 0;
			out[o++] = '\r';
			out[o++] = '\n';
			st->bol = 1;
			if (c == '\n')
				continue;
		}
		if (c == '\r') {
			st->cr = 1;
			continue;
		}
		if (c == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			st->bol = 1;
			continue;
		}
		if (st->bol && c == '.')
			out[o++] = '.';
		st->bol = 0;
		out[o++] = c;
	}
	return o;
}

size_t
smtp_stuff_end(struct smtp_stuff *st, char *out)
{
	size_t o = 0;

	if (st->cr || !st->bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	st->cr = 0;
	st->bol = 1;
	out[o++] = '.';
	out[o++] = '\r';
	out[o++] = '\n';
	return o;
}
