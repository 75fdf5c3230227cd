/* errand: a terminal mail user agent. See LICENSE.
 * Account URLs: imap://, imaps://, pop3://, pop3s:// (source) and smtp://,
 * smtps:// (sending) with a user, a host (name, IPv4 or [IPv6]) and an
 * optional port (RFC 5092/2384 subset). */
#ifndef ERRAND_URL_H
#define ERRAND_URL_H

enum url_scheme {
	URL_IMAP,  /* IMAP on a plain port, STARTTLS required */
	URL_IMAPS, /* IMAP over TLS */
	URL_POP3,  /* POP3 on a plain port, STLS required */
	URL_POP3S, /* POP3 over TLS */
	URL_SMTP,  /* submission on port 587, STARTTLS required */
	URL_SMTPS, /* submission over TLS, port 465 */
};

struct url {
	enum url_scheme scheme;
	char *user; /* decoded login name, or NULL when the URL has none */
	char *host; /* host name or address, without [] */
	int port;   /* the given port or the scheme's default */
};

/* Parse s into *u. Returns 0, or -1 with *err set to a message (freed by
 * the caller) such as "unknown scheme 'http'". The strings in *u are the
 * caller's; free them with url_clear(). */
int url_parse(const char *s, struct url *u, char **err);

/* Free the strings of u; safe on a zeroed or cleared url. */
void url_clear(struct url *u);

/* "imaps" and so on. */
const char *url_scheme_name(enum url_scheme);

/* 1 for IMAP schemes, 0 for POP3. */
int url_is_imap(enum url_scheme);

/* 1 for the sending schemes, smtp and smtps. */
int url_is_smtp(enum url_scheme);

/* 1 when the scheme is TLS from the first byte. */
int url_is_implicit_tls(enum url_scheme);

/* The URL written back, e.g. "imaps://demo@127.0.0.1:993"; caller frees. */
char *url_format(const struct url *u);

#endif
