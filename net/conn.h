/* errand: a terminal mail user agent. See LICENSE.
 * Transport: one TCP connection on the libevent loop, with TLS (OpenSSL 3)
 * from the start or upgraded in place (STARTTLS), name lookup through evdns,
 * connect and idle timeouts, and the protocol log. Never blocks. */
#ifndef ERRAND_NET_CONN_H
#define ERRAND_NET_CONN_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evdns_base;
struct evbuffer;
struct plog;
struct conn;

enum conn_tls {
	CONN_TLS_NONE,     /* plain TCP; conn_starttls() may upgrade */
	CONN_TLS_IMPLICIT, /* TLS from the first byte (imaps, pop3s) */
};

/* Why a connection failed: the class the UI acts on. */
enum conn_fail {
	CONN_FAIL_NONE,
	CONN_FAIL_RESOLVE, /* the host name could not be looked up */
	CONN_FAIL_CONNECT, /* TCP connect refused or unreachable */
	CONN_FAIL_TIMEOUT, /* connect or idle timeout */
	CONN_FAIL_TLS,     /* handshake or certificate verification */
	CONN_FAIL_CLOSED,  /* the server closed the connection */
	CONN_FAIL_IO,      /* read or write error */
	CONN_FAIL_PROTO,   /* the protocol layer gave up (conn_fail_set) */
};

/* 1 when a failure means the server is out of reach (lookup, connect,
 * timeout, a cut connection) rather than wrong (TLS, protocol): then the
 * cache answers and errand tries again later. */
int conn_fail_is_offline(enum conn_fail);

/* Filled in by the caller; copied by conn_new(). */
struct conn_params {
	const char *host;    /* name or address; also SNI and name checked */
	int port;            /* TCP port */
	enum conn_tls tls;   /* TLS from the start or not */
	const char *ca_file; /* extra trust anchor (PEM), or NULL */
	const char
	    *fingerprint; /* "sha256:HEX" trusted whatever the chain, or NULL */
	int connect_timeout; /* seconds for lookup+connect+TLS; 0: 30 */
	int idle_timeout; /* seconds of silence while a reply is awaited; 0: 60 */
	size_t max_line; /* longest line conn_read_line() accepts; 0: 64 KiB */
	const char *session_name; /* keep the TLS session (1.3 ticket, 1.2
	                           * id) in $XDG_CACHE_HOME/errand/NAME.tls
	                           * (0600) and resume it next time, for the
	                           * same host, port and certificate settings
	                           * only; NULL: never */
	struct plog *log;         /* protocol log, or NULL */
};

enum conn_event {
	CONN_EV_CONNECTED, /* TCP up (and TLS, for CONN_TLS_IMPLICIT) */
	CONN_EV_TLS,       /* conn_starttls() upgrade finished */
	CONN_EV_READ,      /* new bytes wait in the input buffer */
	CONN_EV_ERROR,     /* failed and closed; see conn_error() */
};

typedef void (*conn_cb)(struct conn *, enum conn_event, void *);

/* A new, unconnected connection. Strings in params are copied. The
 * callback runs on the loop for every event; it may call conn_free(). */
struct conn *conn_new(struct event_base *, struct evdns_base *,
    const struct conn_params *, conn_cb, void *);

/* Take over a connection started before its owner was made (conn_new()
 * with a NULL callback, then conn_connect()): its events go to cb from
 * now on, and the owner's conn_connect() finds it under way. When early is
 * NULL, or was made for another host, port or TLS, it is freed and a new
 * connection made for params, as conn_new() does. */
struct conn *conn_take(struct conn *early, struct event_base *,
    struct evdns_base *, const struct conn_params *, conn_cb, void *);

/* Close and free; conn_free(NULL) is a no-op. No callback runs after. */
void conn_free(struct conn *);

/* Free a loop that ran connections. A TLS connection freed with one of
 * libevent's deferred callbacks still queued (a read that came with the
 * last reply) is only let go when that callback has run, so one
 * non-blocking pass runs what is queued first. NULL is a no-op. */
void conn_base_free(struct event_base *);

/* Start the lookup and connect; CONN_EV_CONNECTED or CONN_EV_ERROR follows.
 * Once on a connection taken over by conn_take() it only arms the connect
 * timeout again. */
void conn_connect(struct conn *);

/* Upgrade a plain connection to TLS in place, once the server has agreed
 * (IMAP "OK Begin TLS", POP3 "+OK"). CONN_EV_TLS or CONN_EV_ERROR follows.
 * Any bytes the server sent after agreeing are discarded (RFC 2595 §3.1). */
void conn_starttls(struct conn *);

/* Queue bytes to send; logged as sent. */
void conn_write(struct conn *, const char *, size_t);

/* Queue bytes that hold a secret; the log shows logtext instead, e.g.
 * "a1 LOGIN demo <secret>". */
void conn_write_secret(
    struct conn *, const char *, size_t, const char *logtext);

/* Queue bytes without logging them: a message body, which the caller
 * sums up in the log itself. */
void conn_write_unlogged(struct conn *, const char *, size_t);

/* Bytes queued and not yet taken by the socket (or the TLS layer). */
size_t conn_output_length(const struct conn *);

/* Call cb (with the conn's argument) each time the queued output falls to
 * low bytes or fewer, so that a writer can stream a large body without
 * holding it; NULL cb: never. cb may call conn_free(). */
void conn_set_drain(
    struct conn *, size_t low, void (*cb)(struct conn *, void *));

/* Take one CRLF- (or LF-) terminated line from the input, without the line
 * end. Returns 1 and a NUL-terminated line the caller frees; 0 when no
 * whole line is there yet; -1 when the line passes max_line (the connection
 * is then failed with CONN_FAIL_PROTO). */
int conn_read_line(struct conn *, char **, size_t *);

/* The input buffer, for protocol layers that read literals themselves. */
struct evbuffer *conn_input(struct conn *);

/* Arm (1) or disarm (0) the idle timeout: armed while a reply is awaited. */
void conn_expect_reply(struct conn *, int);

/* Fail the connection from the protocol layer: close it, keep the message
 * (printf-style, lower case), and deliver CONN_EV_ERROR. */
void conn_fail_set(struct conn *, enum conn_fail, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* The message of the failure, e.g. "certificate verify failed for
 * 127.0.0.1: self-signed certificate", or NULL. Owned by the conn. */
const char *conn_error(const struct conn *);
enum conn_fail conn_fail(const struct conn *);

/* Turn RFC 4978 DEFLATE on both ways, once the server has agreed (IMAP
 * "OK" to COMPRESS DEFLATE): what is written from now on is compressed,
 * what arrives (the bytes after the agreement too) is inflated before
 * conn_read_line() and conn_input() see it. A corrupt stream fails the
 * connection with CONN_FAIL_PROTO and conn_compress_broken() 1. */
void conn_compress(struct conn *);
int conn_compressed(const struct conn *);
int conn_compress_broken(const struct conn *);

/* Bytes through DEFLATE so far: inflated and on the wire, each way. */
void conn_compress_stats(const struct conn *, uint64_t *raw_in,
    uint64_t *wire_in, uint64_t *raw_out, uint64_t *wire_out);

/* 1 when the address connected to is a loopback one (127/8, ::1). */
int conn_is_loopback(const struct conn *);

/* The TCP connect's duration in microseconds (one round trip), -1 before
 * it is known. */
long conn_rtt_usec(const struct conn *);

/* 1 when the TLS handshake resumed a kept session. */
int conn_tls_resumed(const struct conn *);

/* A short note kept with the TLS session for the protocol layer (IMAP:
 * the capabilities after login), as loaded for this host, or NULL; and
 * set for the next connection. */
const char *conn_session_hint(const struct conn *);
void conn_session_set_hint(struct conn *, const char *);

/* "TLSv1.3" once TLS is up, else NULL. */
const char *conn_tls_version(const struct conn *);

/* Channel binding data of the TLS connection for SCRAM -PLUS: RFC 9266
 * tls-exporter on TLS 1.3, RFC 5929 tls-unique before. 0, *type and *len
 * bytes in buf (room for CONN_CB_MAX); -1 without TLS. */
#define CONN_CB_MAX 64
int conn_channel_binding(
    const struct conn *, const char **type, unsigned char *buf, size_t *len);

/* The host name the connection was made for ("host" in the params). */
const char *conn_host(const struct conn *);

#endif
