/* errand: a terminal mail user agent. See LICENSE.
 * The POP3 session on net/conn: connect (pop3s, or STLS which is then
 * required), CAPA, AUTH through net/sasl (or USER/PASS), then
 * STAT, LIST, UIDL, TOP, RETR (the body streamed in pieces), DELE, RSET,
 * NOOP and QUIT. Never blocks: every operation takes a callback and an
 * opaque argument; with PIPELINING the commands go out back to back.
 * RFC 1939, RFC 2449 (CAPA, response codes), RFC 2595 (STLS), RFC 3206
 * (AUTH, SYS codes), RFC 5034 (SASL AUTH). */
#ifndef ERRAND_NET_POP3_H
#define ERRAND_NET_POP3_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "pop3-parse.h"
#include "sasl.h"

struct event_base;
struct evdns_base;
struct pop3;

/* Capabilities the session knows and acts on, as bits. */
#define POP3_CAP_STLS 0x01
#define POP3_CAP_USER 0x02
#define POP3_CAP_SASL_PLAIN 0x04 /* SASL with PLAIN in its list */
#define POP3_CAP_TOP 0x08
#define POP3_CAP_UIDL 0x10
#define POP3_CAP_PIPELINING 0x20
#define POP3_CAP_RESP_CODES 0x40
#define POP3_CAP_AUTH_RESP_CODE 0x80

/* The session's state; pop3_set_state() logs every change to the plog. */
enum pop3_state {
	POP3_STATE_NEW,         /* made, pop3_connect() not called yet */
	POP3_STATE_CONNECTING,  /* lookup, TCP, implicit TLS */
	POP3_STATE_GREETING,    /* waiting for "+OK" */
	POP3_STATE_CAPA,        /* CAPA sent */
	POP3_STATE_STLS,        /* STLS sent */
	POP3_STATE_HANDSHAKE,   /* TLS handshake after STLS */
	POP3_STATE_AUTH,        /* AUTH sent */
	POP3_STATE_USER,        /* USER sent */
	POP3_STATE_PASS,        /* PASS sent */
	POP3_STATE_TRANSACTION, /* logged in: operations run */
	POP3_STATE_QUIT,        /* QUIT sent */
	POP3_STATE_CLOSED,      /* over: quit or failed */
};

/* Why an operation failed: the class the caller acts on. */
enum pop3_err {
	POP3_ERR_NONE,   /* success */
	POP3_ERR_ERR,    /* the server said -ERR (see code); the session goes
	                  * on, except when it refused the login for a reason
	                  * other than the credentials ([IN-USE],
	                  * [LOGIN-DELAY], [SYS/...]): then it is over */
	POP3_ERR_AUTH,   /* the server refused the credentials; over */
	POP3_ERR_CONN,   /* connection lost, timed out, TLS failed; see
	                  * pop3_conn_fail(); over */
	POP3_ERR_PROTO,  /* the server broke the protocol, exceeded a bound,
	                  * or STLS was not possible; over */
	POP3_ERR_CLOSED, /* the session was already over, or ended by QUIT
	                  * before this operation ran */
};

/* One message in a LIST or UIDL answer. */
struct pop3_msginfo {
	uint32_t n;       /* message number */
	uint64_t size;    /* LIST: octets; UIDL: 0 */
	const char *uidl; /* UIDL: the unique id; LIST: NULL */
};

/* The end of an operation; everything is valid only during the callback. */
struct pop3_result {
	enum pop3_err err;   /* POP3_ERR_NONE on success */
	enum pop3_code code; /* POP3_ERR_ERR, _AUTH: the response code */
	const char *error;   /* the message when err is not NONE, e.g.
	                        * "cannot retrieve message 3: -ERR [SYS/TEMP]
	                        * disk full"; NULL on success */
	uint32_t count;      /* STAT: messages */
	uint64_t size;       /* STAT: octets in all; RETR: the octets its
	                      * "+OK n octets" announced, 0 when it did not */
	const struct pop3_msginfo *msgs; /* LIST, UIDL: in server order */
	size_t nmsgs;                    /* LIST, UIDL: entries in msgs */
};

typedef void (*pop3_done_cb)(struct pop3 *, const struct pop3_result *, void *);

/* A piece of a message (RETR, TOP), dot-unstuffed, CRLF line ends as sent;
 * valid only during the callback. */
typedef void (*pop3_data_cb)(struct pop3 *, const char *, size_t, void *);

/* Filled in by the caller; copied by pop3_new(). */
struct pop3_params {
	struct conn_params conn;  /* where and how; conn.tls IMPLICIT: pop3s */
	int starttls;             /* 1: plain port, STLS required first */
	const char *user;         /* login name */
	sasl_secret_cb secret;    /* the password or token, asked for at
	                           * login and never kept; NULL: none */
	void *secret_arg;         /* passed to secret */
	enum sasl_mech auth;      /* the mechanism; SASL_AUTO: the strongest
	                           * offered that auth_can allows */
	int auth_can;             /* SASL_CAN_PASSWORD, SASL_CAN_TOKEN; 0 is
	                           * SASL_CAN_PASSWORD */
	unsigned int ignore_caps; /* POP3_CAP_* to pretend absent (tests) */
	int no_sasl;              /* 1: USER/PASS even if SASL is on (tests) */
	int early_ready;          /* 1: with PIPELINING, pop3_connect's done
	                           * runs once the login is sent, so the
	                           * first commands follow it; a refused
	                           * login fails them (POP3_ERR_AUTH) */
	size_t max_pipeline;      /* commands in flight with PIPELINING;
	                           * 0: 16 */
	struct pop3_parse_limits limits; /* parser bounds; zeros: defaults */
};

/* A new session; strings in params are copied. Nothing happens until
 * pop3_connect(). Free with pop3_free(). */
struct pop3 *pop3_new(
    struct event_base *, struct evdns_base *, const struct pop3_params *);

/* Close at once and free; no callback runs afterwards, pending operations
 * are dropped silently and no QUIT is sent, so nothing marked with DELE is
 * deleted. pop3_free(NULL) is a no-op; safe in any callback. */
void pop3_free(struct pop3 *);

/* Connect, read the greeting, CAPA, STLS if asked, log in. done runs once:
 * POP3_ERR_NONE in POP3_STATE_TRANSACTION (or, with early_ready and
 * PIPELINING, once the login is sent). Operations may be called before
 * it finishes; they are queued until the login is sent (PIPELINING) or
 * the session is logged in. */
void pop3_connect(struct pop3 *, pop3_done_cb, void *);

/* STAT: result count and size. */
void pop3_stat(struct pop3 *, pop3_done_cb, void *);

/* LIST (n 0: every message) or LIST n: result msgs with sizes. */
void pop3_list(struct pop3 *, uint32_t n, pop3_done_cb, void *);

/* UIDL (n 0: every message) or UIDL n: result msgs with uidl. Fails with
 * POP3_ERR_ERR without asking when CAPA was answered without UIDL. */
void pop3_uidl(struct pop3 *, uint32_t n, pop3_done_cb, void *);

/* RETR n: the message goes to data piece by piece, then done runs. On a
 * failure done says so; pieces already passed are the caller's to drop. */
void pop3_retr(struct pop3 *, uint32_t n, pop3_data_cb, pop3_done_cb, void *);

/* TOP n lines: the header and that many body lines, as pop3_retr(). */
void pop3_top(struct pop3 *, uint32_t n, uint32_t lines, pop3_data_cb,
    pop3_done_cb, void *);

/* DELE n: marked for deletion, made real only by pop3_quit(). */
void pop3_dele(struct pop3 *, uint32_t n, pop3_done_cb, void *);

/* RSET: unmark every message. */
void pop3_rset(struct pop3 *, pop3_done_cb, void *);

/* NOOP. */
void pop3_noop(struct pop3 *, pop3_done_cb, void *);

/* QUIT: deletions become real; done runs when the server answered.
 * Operations queued behind it fail with POP3_ERR_CLOSED. */
void pop3_quit(struct pop3 *, pop3_done_cb, void *);

enum pop3_state pop3_state(const struct pop3 *);

/* POP3_CAP_* bits offered (after ignore_caps). */
unsigned int pop3_caps(const struct pop3 *);

/* 1 once CAPA was answered with a list (capabilities are known). */
int pop3_caps_known(const struct pop3 *);

/* The CAPA list as sent, one capability a line joined by spaces; owned
 * by the session. */
const char *pop3_capa_string(const struct pop3 *);

/* The APOP timestamp of the greeting ("<1896.697170952@dbc.mtview.ca.us>"),
 * or NULL; owned by the session. */
const char *pop3_apop_timestamp(const struct pop3 *);

/* The transport's failure class when the session ended with POP3_ERR_CONN. */
enum conn_fail pop3_conn_fail(const struct pop3 *);

/* "TLSv1.3", or NULL before TLS. */
const char *pop3_tls_version(const struct pop3 *);

/* The mechanism the login used ("SCRAM-SHA-256", "USER" for USER/PASS),
 * or NULL before a login. */
const char *pop3_auth_mech(const struct pop3 *);

#endif
