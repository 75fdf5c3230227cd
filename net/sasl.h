/* errand: a terminal mail user agent. See LICENSE.
 * SASL client, sans I/O: picks a mechanism from what a server offers and
 * turns its challenges into responses, all base64, for IMAP AUTHENTICATE,
 * POP3 AUTH and SMTP AUTH alike. RFC 4422 (SASL), RFC 4616 (PLAIN), RFC
 * 5802 and RFC 7677 (SCRAM, through GNU SASL), RFC 7628 (OAUTHBEARER),
 * Google's XOAUTH2, and the LOGIN mechanism of old. */
#ifndef ERRAND_NET_SASL_H
#define ERRAND_NET_SASL_H

#include <stddef.h>

/* Mechanisms, weakest first within the password and the token kinds. */
enum sasl_mech {
	SASL_AUTO,  /* as a wish: the strongest the server offers */
	SASL_LOGIN, /* the old LOGIN: user, then password, in the open */
	SASL_PLAIN, /* RFC 4616 */
	SASL_SCRAM_SHA_1,
	SASL_SCRAM_SHA_1_PLUS, /* with channel binding */
	SASL_SCRAM_SHA_256,
	SASL_SCRAM_SHA_256_PLUS,
	SASL_XOAUTH2,     /* Google's and Microsoft's bearer token */
	SASL_OAUTHBEARER, /* RFC 7628 */
	SASL_MECH_COUNT
};

/* A set of mechanisms (1u << mech), as offered by a server. */
#define SASL_BIT(m) (1u << (m))

/* What the account can do, for sasl_choose(). */
#define SASL_CAN_PASSWORD 0x01 /* has a password */
#define SASL_CAN_TOKEN 0x02    /* has an OAuth2 token command */
#define SASL_TLS 0x04          /* the connection is encrypted */
#define SASL_CB 0x08           /* channel binding data is available */

/* The account's secret (password or token), asked for when a login
 * starts: the giver's string, read into the exchange by sasl_new() at
 * once and never kept by the connection. NULL when there is none. */
typedef const char *(*sasl_secret_cb)(void *arg);

/* What a mechanism needs and the server it talks to. The strings are
 * borrowed for the call to sasl_new() only. */
struct sasl_creds {
	const char *user;        /* authentication identity */
	const char *secret;      /* password, or OAuth2 access token */
	const char *host;        /* server name, for OAUTHBEARER; may be NULL */
	int port;                /* server port, for OAUTHBEARER; 0: left out */
	const char *cb_type;     /* "tls-exporter", "tls-unique", or NULL */
	const unsigned char *cb; /* channel binding data, for -PLUS */
	size_t cblen;
	/* SCRAM: the salt (base64) and iteration count the server sent last
	 * time, for sasl_prepare(); salt NULL when not known. */
	const char *salt;
	unsigned int iter;
};

/* Where an exchange stands after sasl_step(). */
enum sasl_res {
	SASL_MORE, /* send *out (base64, maybe ""), then wait for the server */
	SASL_OK,   /* send *out; the mechanism is satisfied (SCRAM: the server
	            * proved it knows the password) */
	SASL_FAIL, /* stop (cancel with "*"): sasl_error() says why */
};

struct sasl;

/* The upper-case name of a mechanism ("SCRAM-SHA-256-PLUS"); "auto" for
 * SASL_AUTO. */
const char *sasl_mech_name(enum sasl_mech);

/* The mechanism named by n bytes at name (any case), or -1. */
int sasl_mech_from_name(const char *name, size_t n);

/* The names in a set, space separated ("PLAIN LOGIN"); the caller frees
 * it. "nothing" for an empty set. */
char *sasl_mechs_string(unsigned int set);

/* The mechanism to use: want (SASL_AUTO, or a named one: SCRAM names the
 * family and takes -PLUS when it can) among offered, with flags
 * (SASL_CAN_*, SASL_TLS, SASL_CB). PLAIN and LOGIN only over TLS. 0 and
 * *mech, or -1 and *why, a reason the caller frees ("the server does not
 * offer SCRAM-SHA-256 (it offers PLAIN LOGIN)"). */
int sasl_choose(enum sasl_mech want, unsigned int offered, int flags,
    enum sasl_mech *mech, char **why);

/* Start an exchange with mech (not SASL_AUTO). NULL and *err (the
 * caller's) when the credentials do not fit the mechanism. Free it with
 * sasl_free(), which wipes what it holds. */
struct sasl *sasl_new(enum sasl_mech, const struct sasl_creds *, char **err);

/* Whether the mechanism starts with a client response (all but LOGIN):
 * sent with the command where the protocol allows (SASL-IR, AUTH with an
 * initial response), else after the server's first empty challenge. */
int sasl_has_initial(const struct sasl *);

/* One step. challenge: the server's base64 text, or NULL to get the
 * initial response. *out: the base64 response to send, "" for an empty
 * one; the caller frees it with sasl_wipe_free(). Bounded: a server that
 * keeps asking is refused with SASL_FAIL. */
enum sasl_res sasl_step(struct sasl *, const char *challenge, char **out);

/* Why the exchange failed, or what the server said in a challenge it
 * sent before refusing (OAUTHBEARER's error JSON), or NULL. */
const char *sasl_error(const struct sasl *);

/* OAUTHBEARER/XOAUTH2: the "status" of the server's error JSON ("401"),
 * or NULL. */
const char *sasl_oauth_status(const struct sasl *);

/* Whether the exchange reached its end on the client's side; a server
 * that says OK before SCRAM proved it knows the password is not
 * trusted. */
int sasl_complete(const struct sasl *);

/* Whether the client said its last word and only the server's proof is
 * still to come (SCRAM, once the client-final is made): the answer to
 * that proof is empty, and may be sent ahead of it. */
int sasl_proof_pending(const struct sasl *);

enum sasl_mech sasl_mech(const struct sasl *);

/* SCRAM with the last login's salt and iteration count (struct
 * sasl_creds): hash the password with them now, while the network is
 * idle, so that the client-final follows the server-first at once when
 * the server sends the same again (else it is hashed then, as without).
 * Kept in memory only, and wiped once the server-first came. 1 when
 * made, 0 when there is nothing to do. */
int sasl_prepare(struct sasl *);

/* Whether the server-first took the value made by sasl_prepare(). */
int sasl_prepared(const struct sasl *);

/* SCRAM, once the server proved it knows the password: the salt (base64,
 * borrowed from the exchange) and the iteration count it sent, which are
 * not secret; NULL otherwise. */
const char *sasl_scram_salt(const struct sasl *, unsigned int *iter);

/* Wipes and frees; NULL is a no-op. */
void sasl_free(struct sasl *);

/* Base64 of n bytes (RFC 4648); the caller frees it. */
char *sasl_b64_encode(const void *, size_t);

/* Decode base64 text (whitespace not allowed); NULL when it is not
 * base64, else the bytes with a NUL after them and *n. */
unsigned char *sasl_b64_decode(const char *, size_t *n);

/* Wipe a string and free it; NULL is a no-op. */
void sasl_wipe_free(char *);

#endif
