/* errand: a terminal mail user agent. See LICENSE.
 * Account check: connect, read the greeting and capabilities, upgrade with
 * STARTTLS (IMAP) or STLS (POP3) where the URL asks for it, and log in.
 * What `errand check` runs; the full sessions build on net/conn the same way.
 * RFC 3501 (CAPABILITY, STARTTLS, LOGIN), RFC 2595 (STLS), RFC 2449 (CAPA),
 * RFC 1939 (USER/PASS). */
#ifndef ERRAND_NET_GREET_H
#define ERRAND_NET_GREET_H

#include "conn.h"

struct greet;

enum greet_proto {
	GREET_IMAP,
	GREET_POP3,
};

/* Filled in by the caller; copied by greet_start(). */
struct greet_params {
	struct conn_params conn; /* where and how to connect */
	enum greet_proto proto;  /* IMAP or POP3 */
	int starttls;            /* 1: plain port, STARTTLS/STLS required */
	const char *user;        /* login name */
	const char *password;    /* NULL: stop after TLS, do not log in */
};

/* The outcome, valid in the done callback until greet_free(). */
struct greet_result {
	int ok;              /* 1: every step succeeded */
	enum conn_fail fail; /* why not, when !ok and the transport failed */
	int auth_failed;     /* 1: the server refused the credentials */
	const char *error;   /* "..." message when !ok */
	const char *tls_version; /* "TLSv1.3" */
	const char
	    *capabilities; /* the server's capability list, space-separated */
};

typedef void (*greet_cb)(struct greet *, const struct greet_result *, void *);

/* Start the check on the loop; cb runs once with the result. */
struct greet *greet_start(struct event_base *, struct evdns_base *,
    const struct greet_params *, greet_cb, void *);

/* Free; greet_free(NULL) is a no-op. Safe inside the callback. */
void greet_free(struct greet *);

#endif
