/* errand: a terminal mail user agent. See LICENSE.
 * Parsing of account source URLs. Only what errand connects to is accepted;
 * everything else is an error that says what was wrong. */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "url.h"
#include "xmalloc.h"

static const struct {
	const char *name;
	enum url_scheme scheme;
	int port;
} schemes[] = {
    {"imap", URL_IMAP, 143},
    {"imaps", URL_IMAPS, 993},
    {"pop3", URL_POP3, 110},
    {"pop3s", URL_POP3S, 995},
    {"smtp", URL_SMTP, 587},
    {"smtps", URL_SMTPS, 465},
};

static int url_fail(char **, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static char *url_unescape(const char *, size_t);

static int
url_fail(char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xvasprintf(err, fmt, ap);
	va_end(ap);
	return -1;
}

/* Decode %XX escapes; NULL when one is malformed or decodes to NUL. */
static char *
url_unescape(const char *s, size_t len)
{
	char *out, *p;
	size_t i;
	int hi, lo;

	out = p = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] != '%') {
			*p++ = s[i];
			continue;
		}
		if (i + 2 >= len)
			goto bad;
		if (!isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2]))
			goto bad;
		hi = isdigit((unsigned char)s[i + 1])
		    ? s[i + 1] - '0'
		    : tolower((unsigned char)s[i + 1]) - 'a' + 10;
		lo = isdigit((unsigned char)s[i + 2])
		    ? s[i + 2] - '0'
		    : tolower((unsigned char)s[i + 2]) - 'a' + 10;
		if (hi == 0 && lo == 0)
			goto bad;
		*p++ = (char)(hi * 16 + lo);
		i += 2;
	}
	*p = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

int
url_parse(const char *s, struct url *u, char **err)
{
	const char *p, *rest, *at, *host, *hostend, *port;
	size_t i, n, slen;
	long v;
	char *end;

	memset(u, 0, sizeof *u);
	*err = NULL;
	if ((p = strstr(s, "://")) == NULL)
		return url_fail(err,
		    "'%s' is not a URL: expected "
		    "imap://, imaps://, pop3:// or pop3s://",
		    s);
	n = p - s;
	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		if (strlen(schemes[i].name) == n &&
		    strncasecmp(s, schemes[i].name, n) == 0)
			break;
	}
	if (i == sizeof schemes / sizeof schemes[0])
		return url_fail(err,
		    "unknown scheme '%.*s' (use imap, imaps, "
		    "pop3 or pop3s)",
		    (int)n, s);
	u->scheme = schemes[i].scheme;
	u->port = schemes[i].port;

	rest = p + 3;
	slen = strlen(rest);
	if (slen > 0 && rest[slen - 1] == '/')
		slen--;
	if (memchr(rest, '/', slen) != NULL || memchr(rest, '?', slen) != NULL)
		return url_fail(err, "'%s': a path or query is not allowed", s);
	for (i = 0; i < slen; i++) {
		if ((unsigned char)rest[i] <= ' ' || rest[i] == 0x7f)
			return url_fail(err,
			    "'%s': space or control "
			    "character in URL",
			    s);
	}

	/* The last '@' ends the user part: a raw '@' in a user name is
	 * common ("me@example.org@imap.example.org"). */
	at = NULL;
	for (i = 0; i < slen; i++) {
		if (rest[i] == '@')
			at = rest + i;
	}
	host = rest;
	if (at != NULL) {
		if (at == rest)
			return url_fail(err, "'%s': empty user name", s);
		if ((u->user = url_unescape(rest, at - rest)) == NULL)
			return url_fail(err,
			    "'%s': bad %%-escape in user "
			    "name",
			    s);
		host = at + 1;
	}
	hostend = rest + slen;
	port = NULL;
	if (*host == '[') {
		if ((p = memchr(host, ']', hostend - host)) == NULL) {
			url_clear(u);
			return url_fail(err, "'%s': unterminated [ in host", s);
		}
		u->host = xstrndup(host + 1, p - host - 1);
		p++;
		if (p < hostend) {
			if (*p != ':') {
				url_clear(u);
				return url_fail(err, "'%s': junk after ]", s);
			}
			port = p + 1;
		}
	} else {
		p = memchr(host, ':', hostend - host);
		u->host = xstrndup(host, (p != NULL ? p : hostend) - host);
		if (p != NULL)
			port = p + 1;
	}
	if (*u->host == '\0') {
		url_clear(u);
		return url_fail(err, "'%s': no host name", s);
	}
	if (port != NULL) {
		n = hostend - port;
		errno = 0;
		v = strtol(port, &end, 10);
		if (n == 0 || end != hostend || errno != 0 || v < 1 ||
		    v > 65535 || !isdigit((unsigned char)*port)) {
			url_clear(u);
			return url_fail(
			    err, "'%s': bad port '%.*s'", s, (int)n, port);
		}
		u->port = (int)v;
	}
	return 0;
}

void
url_clear(struct url *u)
{
	free(u->user);
	free(u->host);
	u->user = u->host = NULL;
}

const char *
url_scheme_name(enum url_scheme scheme)
{
	size_t i;

	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		if (schemes[i].scheme == scheme)
			return schemes[i].name;
	}
	fatalx("%s: bad scheme %d", __func__, scheme);
}

int
url_is_imap(enum url_scheme scheme)
{
	return scheme == URL_IMAP || scheme == URL_IMAPS;
}

int
url_is_smtp(enum url_scheme scheme)
{
	return scheme == URL_SMTP || scheme == URL_SMTPS;
}

int
url_is_implicit_tls(enum url_scheme scheme)
{
	return scheme == URL_IMAPS || scheme == URL_POP3S ||
	    scheme == URL_SMTPS;
}

char *
url_format(const struct url *u)
{
	char *s;
	int v6;

	v6 = strchr(u->host, ':') != NULL;
	xasprintf(&s, "%s://%s%s%s%s%s:%d", url_scheme_name(u->scheme),
	    u->user != NULL ? u->user : "", u->user != NULL ? "@" : "",
	    v6 ? "[" : "", u->host, v6 ? "]" : "", u->port);
	return s;
}
