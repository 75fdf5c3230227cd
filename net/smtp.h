/* errand: a terminal mail user agent. See LICENSE.
 * SMTP submission on net/conn: one message to its recipients per session.
 * EHLO (HELO fallback), STARTTLS (required on a plain port) or implicit TLS,
 * AUTH PLAIN/LOGIN, PIPELINING, 8BITMIME, SMTPUTF8, SIZE, DATA streamed
 * from a file with dot-stuffing and CRLF line ends, QUIT. Never blocks.
 * RFC 5321, RFC 6409 (submission), RFC 3207 (STARTTLS), RFC 8314
 * (implicit TLS), RFC 4954 (AUTH), RFC 2920 (PIPELINING), RFC 6152
 * (8BITMIME), RFC 6531 (SMTPUTF8), RFC 1870 (SIZE), RFC 3463 (codes). */
#ifndef ERRAND_NET_SMTP_H
#define ERRAND_NET_SMTP_H

#include <stddef.h>

struct event_base;
struct evdns_base;
struct plog;
struct smtp;

enum smtp_tls {
	SMTP_TLS_IMPLICIT, /* smtps://, port 465: TLS from the first byte */
	SMTP_TLS_STARTTLS, /* smtp://, port 587: STARTTLS required */
};

/* Filled in by the caller; strings are copied by smtp_send(). */
struct smtp_params {
	const char *host;  /* server name or address */
	int port;          /* TCP port */
	enum smtp_tls tls; /* how TLS starts */
	const char *user;  /* AUTH name; NULL: no AUTH */
	/* The password, asked at AUTH time (the caller keeps the one copy);
	 * a NULL return fails the send. */
	const char *(*secret)(void *arg);
	void *secret_arg;            /* passed to secret */
	const char *ca_file;         /* extra trust anchor (PEM), or NULL */
	const char *tls_fingerprint; /* "sha256:HEX" pinned, or NULL */
	int connect_timeout;         /* seconds; 0: 30 */
	int timeout;                 /* seconds per reply; 0: 60 */
	struct plog *log;            /* protocol log or NULL; AUTH: <secret> */
	const char *helo;            /* EHLO name; NULL: From's domain */
	struct evdns_base *dns;      /* resolver for host */
	/* The mechanism (net/sasl: SASL_AUTO for the strongest offered) and
	 * what the account can do (SASL_CAN_PASSWORD, SASL_CAN_TOKEN; 0 is
	 * taken as a password), as for IMAP and POP3. */
	int auth;     /* enum sasl_mech */
	int auth_can; /* SASL_CAN_* */
	/* Called once, synchronously, right before the final "." is queued
	 * (the body may still be in flight: before the "." the server keeps
	 * nothing); or NULL. Not -1: the "." does not go, the send fails
	 * (SMTP_TEMPFAIL, the connection closed). Not smtp_cancel() from it. */
	int (*before_dot)(void *arg);
	void *before_dot_arg;
};

enum smtp_status {
	SMTP_OK,       /* the server took the message (250 after DATA) */
	SMTP_TEMPFAIL, /* 4xx, or the network: retry later */
	SMTP_PERMFAIL, /* 5xx, or a refusal before sending: hold */
};

/* A recipient the server refused at RCPT TO. */
struct smtp_refusal {
	char *rcpt;     /* the address as given */
	int code;       /* e.g. 550 */
	char *enhanced; /* "5.1.1", or NULL */
	char *text;     /* the server's words, control characters removed */
};

/* The outcome; valid only during the callback. */
struct smtp_result {
	enum smtp_status status;
	int code;       /* the deciding reply's code, 0 when none */
	char *enhanced; /* its enhanced status code ("5.7.1") or NULL */
	char *text;     /* for the user: "550 5.7.1 relaying denied", or
	                 * our own words ("cannot send: message of 9000000
	                 * bytes exceeds the server's limit of 5000000"),
	                 * control characters removed; NULL on success */
	struct smtp_refusal *refused; /* recipients refused; when some are
	                               * refused nothing is sent (RSET) */
	size_t nrefused;
	int network;             /* 1 when it failed on the network (lookup,
	                          * connect, TLS, timeout, a cut connection),
	                          * not by a reply */
	int data_sent;           /* 1 once the final "." went out: a network
	                          * failure after it leaves the outcome
	                          * uncertain (the server may have taken it) */
	const char *tls_version; /* "TLSv1.3", or NULL */
	const char *mech;        /* AUTH mechanism used ("PLAIN"), or NULL */
	int auth_refused;        /* 1 when the server refused the login (an
	                          * OAuth2 token may just have expired) */
};

typedef void (*smtp_done_cb)(const struct smtp_result *, void *arg);

/* Send the message read from msgfd (from its start, LF or CRLF line ends,
 * streamed: never all in memory) from the envelope sender from to rcpts.
 * done runs exactly once, on the loop, never from within smtp_send(),
 * unless smtp_cancel() came first. msgfd stays the caller's: it is not
 * closed, but must stay open until done. Returns the session, freed after
 * done returns. */
struct smtp *smtp_send(struct event_base *, const struct smtp_params *,
    const char *from, const char *const *rcpts, size_t nrcpt, int msgfd,
    smtp_done_cb, void *arg);

/* Stop at once, close the connection and free; no callback after it.
 * smtp_cancel(NULL) is a no-op. Not from within the done callback. */
void smtp_cancel(struct smtp *);

/* Connect, EHLO, STARTTLS, EHLO, AUTH, QUIT: nothing sent, for `errand
 * check`. done runs as for smtp_send(); SMTP_OK when all went well, with
 * tls_version and mech set. */
struct smtp *smtp_check(
    struct event_base *, const struct smtp_params *, smtp_done_cb, void *arg);

#endif
