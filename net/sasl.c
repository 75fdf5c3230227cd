/* errand: a terminal mail user agent. See LICENSE.
 * SASL client, sans I/O. PLAIN (RFC 4616), LOGIN, OAUTHBEARER (RFC 7628)
 * and XOAUTH2 are a line or two each and written here; the SCRAM family
 * (RFC 5802, RFC 7677, RFC 5929 and RFC 9266 channel bindings) goes
 * through GNU SASL, so that its proofs and the check of the server's
 * signature are not ours to get wrong. */

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gsasl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "xmalloc.h"
#include "net/sasl.h"

#define SASL_MAX_STEPS 8      /* challenges answered before giving up */
#define SASL_MAX_DATA 65536   /* bytes of a decoded challenge */
#define SASL_MAX_SALT 128     /* base64 characters of a SCRAM salt kept */
#define SASL_MAX_ITER 1000000 /* SCRAM iterations hashed ahead */

struct sasl {
	enum sasl_mech mech;
	char *user;
	char *secret;
	char *host;
	int port;
	Gsasl_session *gs; /* SCRAM */
	int started;       /* initial response given */
	int steps;         /* challenges answered */
	int complete;
	char *error;
	char *status;      /* OAuth error JSON "status" */
	char *salt;        /* SCRAM: the server-first's salt (base64) */
	unsigned int iter; /* and its iteration count */
	char *pre_salt;    /* sasl_prepare(): the salt it hashes with */
	unsigned int pre_iter;
	char *pre_hex; /* the salted password (hex), until the server-first */
	int pre_used;  /* sasl_prepared() */
};

static const char *sasl_names[SASL_MECH_COUNT] = {
    "auto",
    "LOGIN",
    "PLAIN",
    "SCRAM-SHA-1",
    "SCRAM-SHA-1-PLUS",
    "SCRAM-SHA-256",
    "SCRAM-SHA-256-PLUS",
    "XOAUTH2",
    "OAUTHBEARER",
};

/* The order auto tries them in, strongest first. */
static const enum sasl_mech sasl_order[] = {
    SASL_OAUTHBEARER,
    SASL_XOAUTH2,
    SASL_SCRAM_SHA_256_PLUS,
    SASL_SCRAM_SHA_256,
    SASL_SCRAM_SHA_1_PLUS,
    SASL_SCRAM_SHA_1,
    SASL_PLAIN,
    SASL_LOGIN,
};

static Gsasl *sasl_gsasl; /* one GNU SASL context for the process */

static int sasl_is_scram(enum sasl_mech);
static int sasl_is_plus(enum sasl_mech);
static int sasl_is_token(enum sasl_mech);
static int sasl_can(enum sasl_mech, int);
static enum sasl_res sasl_failf(struct sasl *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static char *sasl_raw(const char *, size_t);
static enum sasl_res sasl_initial(struct sasl *, char **);
static enum sasl_res sasl_scram(struct sasl *, const char *, char **);
static enum sasl_res sasl_oauth_error(struct sasl *, const char *, char **);
static char *sasl_json_string(const char *, const char *);
static void sasl_forget(struct sasl *);
static char *sasl_saslname(const char *);
static void sasl_server_first(struct sasl *, const char *);

const char *
sasl_mech_name(enum sasl_mech m)
{
	if ((int)m < 0 || m >= SASL_MECH_COUNT)
		return "?";
	return sasl_names[m];
}

int
sasl_mech_from_name(const char *name, size_t n)
{
	int m;

	for (m = SASL_LOGIN; m < SASL_MECH_COUNT; m++) {
		if (strlen(sasl_names[m]) == n &&
		    strncasecmp(sasl_names[m], name, n) == 0)
			return m;
	}
	return -1;
}

char *
sasl_mechs_string(unsigned int set)
{
	char *s = NULL, *t;
	size_t i;

	/* Strongest first. */
	for (i = 0; i < sizeof sasl_order / sizeof sasl_order[0]; i++) {
		if (!(set & SASL_BIT(sasl_order[i])))
			continue;
		if (s == NULL)
			s = xstrdup(sasl_names[sasl_order[i]]);
		else {
			xasprintf(&t, "%s %s", s, sasl_names[sasl_order[i]]);
			free(s);
			s = t;
		}
	}
	return s != NULL ? s : xstrdup("nothing");
}

static int
sasl_is_scram(enum sasl_mech m)
{
	return m >= SASL_SCRAM_SHA_1 && m <= SASL_SCRAM_SHA_256_PLUS;
}

static int
sasl_is_plus(enum sasl_mech m)
{
	return m == SASL_SCRAM_SHA_1_PLUS || m == SASL_SCRAM_SHA_256_PLUS;
}

static int
sasl_is_token(enum sasl_mech m)
{
	return m == SASL_XOAUTH2 || m == SASL_OAUTHBEARER;
}

/* Whether the account and the connection allow m. */
static int
sasl_can(enum sasl_mech m, int flags)
{
	if (sasl_is_token(m))
		return (flags & SASL_CAN_TOKEN) != 0;
	if (!(flags & SASL_CAN_PASSWORD))
		return 0;
	if (sasl_is_plus(m))
		return (flags & (SASL_TLS | SASL_CB)) == (SASL_TLS | SASL_CB);
	if (m == SASL_PLAIN || m == SASL_LOGIN)
		return (flags & SASL_TLS) != 0;
	return 1;
}

int
sasl_choose(enum sasl_mech want, unsigned int offered, int flags,
    enum sasl_mech *mech, char **why)
{
	char *list;
	size_t i;

	*why = NULL;
	if (want == SASL_AUTO) {
		for (i = 0; i < sizeof sasl_order / sizeof sasl_order[0]; i++) {
			if ((offered & SASL_BIT(sasl_order[i])) &&
			    sasl_can(sasl_order[i], flags)) {
				*mech = sasl_order[i];
				return 0;
			}
		}
		list = sasl_mechs_string(offered);
		if (!(flags & SASL_TLS) &&
		    (offered & (SASL_BIT(SASL_PLAIN) | SASL_BIT(SASL_LOGIN))))
			xasprintf(why,
			    "the server offers only %s, which would send the "
			    "password over an unencrypted connection",
			    list);
		else
			xasprintf(why,
			    "no mechanism the account can use is offered "
			    "(the server offers %s)",
			    list);
		free(list);
		return -1;
	}
	/* A SCRAM name means the family: with channel binding when it can. */
	if ((want == SASL_SCRAM_SHA_256 || want == SASL_SCRAM_SHA_1) &&
	    (offered & SASL_BIT(want + 1)) && sasl_can(want + 1, flags)) {
		*mech = want + 1;
		return 0;
	}
	if ((want == SASL_PLAIN || want == SASL_LOGIN) && !(flags & SASL_TLS)) {
		xasprintf(why,
		    "auth = %s would send the password over an unencrypted "
		    "connection",
		    sasl_names[want]);
		return -1;
	}
	if (!(offered & SASL_BIT(want))) {
		list = sasl_mechs_string(offered);
		xasprintf(why, "the server does not offer %s (it offers %s)",
		    sasl_names[want], list);
		free(list);
		return -1;
	}
	if (!sasl_can(want, flags)) {
		xasprintf(why, "%s needs %s, which the account does not have",
		    sasl_names[want],
		    sasl_is_token(want) ? "an oauth2-token-command"
		                        : "a password");
		return -1;
	}
	*mech = want;
	return 0;
}

struct sasl *
sasl_new(enum sasl_mech mech, const struct sasl_creds *c, char **err)
{
	struct sasl *s;
	char *cb;
	int rc;

	*err = NULL;
	if (mech <= SASL_AUTO || mech >= SASL_MECH_COUNT) {
		xasprintf(err, "no SASL mechanism chosen");
		return NULL;
	}
	if (c->secret == NULL) {
		xasprintf(err, "%s needs %s", sasl_names[mech],
		    sasl_is_token(mech) ? "a token" : "a password");
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->mech = mech;
	s->user = xstrdup(c->user != NULL ? c->user : "");
	s->secret = xstrdup(c->secret);
	s->host = c->host != NULL ? xstrdup(c->host) : NULL;
	s->port = c->port;
	if (!sasl_is_scram(mech))
		return s;

	if (sasl_gsasl == NULL && (rc = gsasl_init(&sasl_gsasl)) != GSASL_OK) {
		sasl_gsasl = NULL;
		xasprintf(err, "cannot start GNU SASL: %s", gsasl_strerror(rc));
		sasl_free(s);
		return NULL;
	}
	if ((rc = gsasl_client_start(sasl_gsasl, sasl_names[mech], &s->gs)) !=
	    GSASL_OK) {
		s->gs = NULL;
		xasprintf(err, "cannot start %s: %s", sasl_names[mech],
		    gsasl_strerror(rc));
		sasl_free(s);
		return NULL;
	}
	gsasl_property_set(s->gs, GSASL_AUTHID, s->user);
	gsasl_property_set(s->gs, GSASL_PASSWORD, s->secret);
	if (sasl_is_plus(mech)) {
		if (c->cb == NULL || c->cblen == 0 || c->cb_type == NULL) {
			xasprintf(err, "%s needs channel binding data",
			    sasl_names[mech]);
			sasl_free(s);
			return NULL;
		}
		cb = sasl_b64_encode(c->cb, c->cblen);
		gsasl_property_set(s->gs,
		    strcmp(c->cb_type, "tls-unique") == 0
		        ? GSASL_CB_TLS_UNIQUE
		        : GSASL_CB_TLS_EXPORTER,
		    cb);
		free(cb);
	}
	if (c->salt != NULL && *c->salt != '\0' &&
	    strlen(c->salt) <= SASL_MAX_SALT && c->iter > 0 &&
	    c->iter <= SASL_MAX_ITER) {
		s->pre_salt = xstrdup(c->salt);
		s->pre_iter = c->iter;
	}
	sasl_forget(s); /* GNU SASL holds it now */
	return s;
}

int
sasl_has_initial(const struct sasl *s)
{
	return s->mech != SASL_LOGIN;
}

enum sasl_mech
sasl_mech(const struct sasl *s)
{
	return s->mech;
}

const char *
sasl_error(const struct sasl *s)
{
	return s->error;
}

const char *
sasl_oauth_status(const struct sasl *s)
{
	return s->status;
}

int
sasl_complete(const struct sasl *s)
{
	return s->complete;
}

int
sasl_proof_pending(const struct sasl *s)
{
	return sasl_is_scram(s->mech) && s->steps == 1 && !s->complete &&
	    s->error == NULL;
}

/* The secret is not needed any more: wipe our copy. */
static void
sasl_forget(struct sasl *s)
{
	sasl_wipe_free(s->secret);
	s->secret = xstrdup("");
}

void
sasl_free(struct sasl *s)
{
	if (s == NULL)
		return;
	if (s->gs != NULL)
		gsasl_finish(s->gs);
	sasl_wipe_free(s->secret);
	sasl_wipe_free(s->pre_hex);
	free(s->pre_salt);
	free(s->salt);
	free(s->user);
	free(s->host);
	free(s->error);
	free(s->status);
	free(s);
}

int
sasl_prepare(struct sasl *s)
{
	char salted[GSASL_HASH_MAX_SIZE], ck[GSASL_HASH_MAX_SIZE];
	char sk[GSASL_HASH_MAX_SIZE], stk[GSASL_HASH_MAX_SIZE];
	static const char hex[] = "0123456789abcdef";
	Gsasl_hash hash;
	const char *pw;
	unsigned char *salt;
	size_t n, i, hl;
	int rc;

	if (s->gs == NULL || s->pre_salt == NULL || s->pre_hex != NULL ||
	    s->steps > 0 ||
	    (pw = gsasl_property_fast(s->gs, GSASL_PASSWORD)) == NULL ||
	    (salt = sasl_b64_decode(s->pre_salt, &n)) == NULL)
		return 0;
	hash = s->mech == SASL_SCRAM_SHA_1 || s->mech == SASL_SCRAM_SHA_1_PLUS
	    ? GSASL_HASH_SHA1
	    : GSASL_HASH_SHA256;
	/* The same call GNU SASL's client makes from the password. */
	rc = gsasl_scram_secrets_from_password(
	    hash, pw, s->pre_iter, (const char *)salt, n, salted, ck, sk, stk);
	free(salt);
	if (rc == GSASL_OK) {
		hl = gsasl_hash_length(hash);
		s->pre_hex = xmalloc(2 * hl + 1);
		for (i = 0; i < hl; i++) {
			s->pre_hex[2 * i] = hex[(unsigned char)salted[i] >> 4];
			s->pre_hex[2 * i + 1] = hex[salted[i] & 0x0f];
		}
		s->pre_hex[2 * hl] = '\0';
	}
	OPENSSL_cleanse(salted, sizeof salted);
	OPENSSL_cleanse(ck, sizeof ck);
	OPENSSL_cleanse(sk, sizeof sk);
	OPENSSL_cleanse(stk, sizeof stk);
	return rc == GSASL_OK;
}

int
sasl_prepared(const struct sasl *s)
{
	return s->pre_used;
}

const char *
sasl_scram_salt(const struct sasl *s, unsigned int *iter)
{
	if (!sasl_is_scram(s->mech) || !s->complete || s->salt == NULL)
		return NULL;
	*iter = s->iter;
	return s->salt;
}

/* The server-first (base64, checked by GNU SASL after): keep its salt
 * and iteration count, and when they are what sasl_prepare() hashed
 * with, give GNU SASL the salted password instead of the password. */
static void
sasl_server_first(struct sasl *s, const char *challenge)
{
	unsigned char *data;
	char *p, *end, *salt = NULL;
	unsigned long iter = 0;
	size_t n;

	if ((data = sasl_b64_decode(challenge, &n)) == NULL)
		return;
	for (p = (char *)data; p != NULL && *p != '\0'; p = end) {
		if ((end = strchr(p, ',')) != NULL)
			*end++ = '\0';
		if (strncmp(p, "s=", 2) == 0 && salt == NULL &&
		    strlen(p + 2) <= SASL_MAX_SALT)
			salt = p + 2;
		else if (strncmp(p, "i=", 2) == 0 && iter == 0 && p[2] >= '1' &&
		    p[2] <= '9' &&
		    strspn(p + 2, "0123456789") == strlen(p + 2) &&
		    strlen(p + 2) <= 9)
			iter = strtoul(p + 2, NULL, 10);
	}
	if (salt != NULL && *salt != '\0' && iter > 0) {
		s->salt = xstrdup(salt);
		s->iter = (unsigned int)iter;
		if (s->pre_hex != NULL && s->pre_iter == s->iter &&
		    strcmp(s->pre_salt, s->salt) == 0) {
			gsasl_property_set(
			    s->gs, GSASL_SCRAM_SALTED_PASSWORD, s->pre_hex);
			s->pre_used = 1;
		}
	}
	free(data);
}

static enum sasl_res
sasl_failf(struct sasl *s, const char *fmt, ...)
{
	va_list ap;

	free(s->error);
	va_start(ap, fmt);
	xvasprintf(&s->error, fmt, ap);
	va_end(ap);
	return SASL_FAIL;
}

/* Base64 of n raw bytes, then the raw bytes wiped and freed. */
static char *
sasl_raw(const char *raw, size_t n)
{
	char *b64 = sasl_b64_encode(raw, n);

	OPENSSL_cleanse((void *)raw, n);
	free((void *)raw);
	return b64;
}

enum sasl_res
sasl_step(struct sasl *s, const char *challenge, char **out)
{
	unsigned char *data;
	size_t n;
	enum sasl_res res;

	*out = NULL;
	if (challenge == NULL || (!s->started && sasl_has_initial(s))) {
		/* The initial response, or the empty challenge that asks
		 * for it when the command could not carry it. */
		if (!sasl_has_initial(s))
			return SASL_MORE; /* *out NULL: nothing to send */
		if (s->started)
			return sasl_failf(s, "%s: initial response asked twice",
			    sasl_names[s->mech]);
		s->started = 1;
		return sasl_initial(s, out);
	}
	if (++s->steps > SASL_MAX_STEPS)
		return sasl_failf(s,
		    "the server keeps asking (%d %s challenges)",
		    SASL_MAX_STEPS, sasl_names[s->mech]);
	if (strlen(challenge) > SASL_MAX_DATA * 4 / 3 + 4)
		return sasl_failf(s, "the server's %s challenge is too long",
		    sasl_names[s->mech]);
	if (sasl_is_scram(s->mech))
		return sasl_scram(s, challenge, out);
	if ((data = sasl_b64_decode(challenge, &n)) == NULL)
		return sasl_failf(s, "the server's %s challenge is not base64",
		    sasl_names[s->mech]);
	switch (s->mech) {
	case SASL_LOGIN:
		/* "Username:", then "Password:"; the prompts are not to be
		 * trusted, the order is. */
		if (s->steps == 1)
			*out = sasl_b64_encode(s->user, strlen(s->user));
		else if (s->steps == 2) {
			*out = sasl_b64_encode(s->secret, strlen(s->secret));
			sasl_forget(s);
			s->complete = 1;
		}
		res = *out != NULL ? SASL_MORE : SASL_FAIL;
		if (res == SASL_FAIL)
			sasl_failf(s,
			    "the server asks for more after the "
			    "LOGIN password");
		break;
	case SASL_OAUTHBEARER:
	case SASL_XOAUTH2:
		res = sasl_oauth_error(s, (const char *)data, out);
		break;
	default:
		res = sasl_failf(s,
		    "the server asks for more after the %s response",
		    sasl_names[s->mech]);
		break;
	}
	OPENSSL_cleanse(data, n);
	free(data);
	return res;
}

/* The first response of the mechanisms that have one. */
static enum sasl_res
sasl_initial(struct sasl *s, char **out)
{
	char *raw, *b64, *a;
	size_t ulen = strlen(s->user), plen = strlen(s->secret);
	int n, rc;

	switch (s->mech) {
	case SASL_PLAIN:
		/* authzid NUL authcid NUL passwd, authzid empty. */
		raw = xmalloc(ulen + plen + 2);
		raw[0] = '\0';
		memcpy(raw + 1, s->user, ulen);
		raw[1 + ulen] = '\0';
		memcpy(raw + 2 + ulen, s->secret, plen);
		*out = sasl_raw(raw, ulen + plen + 2);
		sasl_forget(s);
		s->complete = 1;
		return SASL_OK;
	case SASL_OAUTHBEARER:
		/* RFC 7628 section 3.1: gs2 header, then key=value pairs
		 * each ended by ^A, and one more ^A; the user as an RFC
		 * 5801 saslname. */
		a = sasl_saslname(s->user);
		if (s->host != NULL && s->port > 0)
			n = xasprintf(&raw,
			    "n,a=%s,\001host=%s\001port=%d\001auth=Bearer "
			    "%s\001\001",
			    a, s->host, s->port, s->secret);
		else if (s->host != NULL)
			n = xasprintf(&raw,
			    "n,a=%s,\001host=%s\001auth=Bearer %s\001\001", a,
			    s->host, s->secret);
		else
			n = xasprintf(&raw, "n,a=%s,\001auth=Bearer %s\001\001",
			    a, s->secret);
		*out = sasl_raw(raw, (size_t)n);
		free(a);
		sasl_forget(s);
		s->complete = 1;
		return SASL_OK;
	case SASL_XOAUTH2:
		n = xasprintf(&raw, "user=%s\001auth=Bearer %s\001\001",
		    s->user, s->secret);
		*out = sasl_raw(raw, (size_t)n);
		sasl_forget(s);
		s->complete = 1;
		return SASL_OK;
	default:
		break;
	}
	if (!sasl_is_scram(s->mech))
		fatalx("%s: bad mechanism %d", __func__, s->mech);
	b64 = NULL;
	rc = gsasl_step64(s->gs, "", &b64);
	if (rc != GSASL_NEEDS_MORE) {
		gsasl_free(b64);
		return sasl_failf(
		    s, "%s: %s", sasl_names[s->mech], gsasl_strerror(rc));
	}
	*out = xstrdup(b64);
	gsasl_free(b64);
	return SASL_MORE;
}

/* A SCRAM challenge: server-first is answered with the client proof;
 * server-final is checked (a wrong signature means the server does not
 * know the password: it is not trusted). */
static enum sasl_res
sasl_scram(struct sasl *s, const char *challenge, char **out)
{
	char *b64 = NULL;
	int rc;

	if (s->complete)
		return sasl_failf(s,
		    "the server asks for more after %s "
		    "finished",
		    sasl_names[s->mech]);
	if (s->steps == 1)
		sasl_server_first(s, challenge);
	rc = gsasl_step64(s->gs, challenge, &b64);
	if (s->pre_hex != NULL) {
		/* Used or not, the value is not needed again. */
		sasl_wipe_free(s->pre_hex);
		s->pre_hex = NULL;
	}
	if (rc == GSASL_NEEDS_MORE || rc == GSASL_OK) {
		*out = xstrdup(b64 != NULL ? b64 : "");
		if (b64 != NULL) {
			OPENSSL_cleanse(b64, strlen(b64));
			gsasl_free(b64);
		}
		if (rc == GSASL_OK) {
			s->complete = 1;
			return SASL_OK;
		}
		/* The proof is made: the password is not needed again. */
		gsasl_property_free(s->gs, GSASL_PASSWORD);
		return SASL_MORE;
	}
	gsasl_free(b64);
	if (rc == GSASL_AUTHENTICATION_ERROR && s->steps >= 2)
		return sasl_failf(s,
		    "the server is not trusted: its %s signature is wrong "
		    "(it does not know the password)",
		    sasl_names[s->mech]);
	return sasl_failf(s, "%s: %s", sasl_names[s->mech], gsasl_strerror(rc));
}

/* An OAUTHBEARER or XOAUTH2 challenge is the server's error JSON: keep
 * its status and answer ^A (RFC 7628 section 3.2.3) or an empty line
 * (XOAUTH2), after which the server refuses. */
static enum sasl_res
sasl_oauth_error(struct sasl *s, const char *json, char **out)
{
	char *status;
	size_t i;

	if (s->steps > 1)
		return sasl_failf(s,
		    "the server asks for more after the %s error",
		    sasl_names[s->mech]);
	status = sasl_json_string(json, "status");
	free(s->status);
	s->status = status;
	free(s->error);
	s->error = xstrdup(json);
	for (i = 0; s->error[i] != '\0'; i++) {
		if (iscntrl((unsigned char)s->error[i]))
			s->error[i] = ' ';
	}
	*out = s->mech == SASL_OAUTHBEARER ? sasl_b64_encode("\001", 1)
	                                   : xstrdup("");
	return SASL_MORE;
}

/* An RFC 5801 saslname: "," and "=" as "=2C" and "=3D". */
static char *
sasl_saslname(const char *u)
{
	char *out = xmalloc(3 * strlen(u) + 1), *o = out;

	for (; *u != '\0'; u++) {
		if (*u == ',' || *u == '=') {
			memcpy(o, *u == ',' ? "=2C" : "=3D", 3);
			o += 3;
		} else
			*o++ = *u;
	}
	*o = '\0';
	return out;
}

/* The string value of "key" in a flat JSON object, or NULL; enough for
 * the OAuth error object, not a JSON parser. */
static char *
sasl_json_string(const char *json, const char *key)
{
	const char *p, *e;
	char *pat;

	xasprintf(&pat, "\"%s\"", key);
	p = strstr(json, pat);
	free(pat);
	if (p == NULL)
		return NULL;
	p += strlen(key) + 2;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p++ != ':')
		return NULL;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p != '"')
		return NULL;
	p++;
	if ((e = strchr(p, '"')) == NULL || e - p > 64)
		return NULL;
	return xstrndup(p, (size_t)(e - p));
}

char *
sasl_b64_encode(const void *in, size_t n)
{
	char *out;

	if (n > SASL_MAX_DATA * 16)
		fatalx("%s: %zu bytes", __func__, n);
	out = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

unsigned char *
sasl_b64_decode(const char *in, size_t *n)
{
	size_t len = strlen(in), pad = 0, i;
	unsigned char *out;
	int r;

	*n = 0;
	if (len % 4 != 0 || len > SASL_MAX_DATA * 2)
		return NULL;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)in[i]) && in[i] != '+' &&
		    in[i] != '/' && !(in[i] == '=' && i + 2 >= len))
			return NULL;
	}
	if (len > 0 && in[len - 1] == '=')
		pad++;
	if (len > 1 && in[len - 2] == '=') {
		if (pad == 0)
			return NULL;
		pad++;
	}
	out = xmalloc(len / 4 * 3 + 1);
	r = len > 0 ? EVP_DecodeBlock(out, (const unsigned char *)in, (int)len)
	            : 0;
	if (r < 0 || (size_t)r < pad) {
		free(out);
		return NULL;
	}
	*n = (size_t)r - pad;
	out[*n] = '\0';
	return out;
}

void
sasl_wipe_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}
