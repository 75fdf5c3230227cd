/* errand: a terminal mail user agent. See LICENSE.
 * Transport: looks the host up with evdns, tries each address in turn with a
 * non-blocking connect, and runs TLS (OpenSSL 3) over a bufferevent filter,
 * from the first byte or after STARTTLS. Certificates are checked after the
 * handshake so a failure can name its reason and the leaf's fingerprint.
 * RFC 4978 DEFLATE (zlib) sits between the bufferevent and the protocol
 * once the protocol layer turns it on. */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdint.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <zlib.h>

#include "xmalloc.h"
#include "conn.h"
#include "plog.h"

#define CONN_CONNECT_TIMEOUT 30
#define CONN_IDLE_TIMEOUT 60
#define CONN_MAX_LINE (64 * 1024)
#define CONN_MAX_NAMES 8           /* names listed in a host name mismatch */
#define CONN_ZBUF_MAX (256 * 1024) /* inflated bytes held ahead */
#define CONN_ZCHUNK 16384
#define CONN_SESSION_MAX (64 * 1024) /* a kept TLS session file */
#define CONN_HINT_MAX 1024

enum conn_state {
	CONN_STATE_NEW,
	CONN_STATE_RESOLVING,
	CONN_STATE_CONNECTING,
	CONN_STATE_HANDSHAKE, /* TLS handshake, implicit or STARTTLS */
	CONN_STATE_UP,
	CONN_STATE_FAILED,
};

struct conn {
	struct event_base *base;
	struct evdns_base *dns;
	int own_dns; /* dns was made here, free it */

	char *host;
	int port;
	enum conn_tls tls;
	char *ca_file;
	char *fingerprint;
	int connect_timeout;
	int idle_timeout;
	size_t max_line;
	struct plog *log;
	int host_is_ip; /* host is an IPv4 or IPv6 literal */

	conn_cb cb;
	void *arg;

	enum conn_state state;
	int starttls; /* the handshake running is a STARTTLS one */
	struct evdns_getaddrinfo_request *dnsreq;
	struct evutil_addrinfo *ai;      /* lookup result */
	struct evutil_addrinfo *ai_next; /* next address to try */
	int fd;                          /* socket while connecting, else -1 */
	struct event *connev;            /* writable: the connect finished */
	struct bufferevent *bev; /* the top bufferevent (TLS or plain) */
	SSL_CTX *ctx;
	SSL *ssl; /* made while the TCP connect is under way, not yet
	           * handed to the TLS bufferevent */
	const char *tls_version;

	struct event *timer;    /* connect or idle timeout */
	int expect;             /* idle timeout armed */
	struct event *deferred; /* delivers the start and CONN_EV_ERROR */

	enum conn_fail fail;
	char *error;
	char *last_error; /* last address's connect error */

	struct timespec t_connect;      /* connect() called */
	long rtt_usec;                  /* TCP connect time, -1 unknown */
	int loopback;                   /* connected to a loopback address */
	struct evutil_addrinfo *ai_cur; /* address being tried */

	char *session_path; /* kept TLS session, or NULL */
	char *saved_leaf;   /* its certificate's fingerprint */
	char *hint;         /* conn_session_hint() */
	SSL_SESSION *sess;  /* the newest session, to keep */
	char *leaf;         /* this handshake's certificate fingerprint */
	int tls_ok;         /* the certificate was accepted */
	int resumed;        /* the handshake resumed a kept session */

	z_stream *zin, *zout;  /* RFC 4978 DEFLATE, NULL when off */
	struct evbuffer *zbuf; /* inflated input the protocol reads */
	int zbroken;           /* failed on a corrupt compressed stream */
	int zended;            /* the server ended its stream */
	uint64_t zraw_in, zwire_in, zraw_out, zwire_out;

	void (*drain_cb)(struct conn *, void *); /* conn_set_drain() */
	size_t drain_low;

	int in_cb; /* inside the user callback */
	int dead;  /* conn_free() called there */

	int taken;         /* conn_take(): conn_connect() was called */
	unsigned int held; /* 1 << event that came without a callback */
};

#define CONN_TLS_WQUEUE (256 * 1024) /* bytes queued under TLS at most */

static int conn_deliver(struct conn *, enum conn_event);
static void conn_destroy(struct conn *);
static void conn_teardown(struct conn *);
static void conn_failv(struct conn *, enum conn_fail, const char *, va_list)
    __attribute__((format(printf, 3, 0)));
static void conn_failf(struct conn *, enum conn_fail, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void conn_set_state(struct conn *, enum conn_state);
static void conn_arm_timer(struct conn *, int);
static void conn_timer_cb(evutil_socket_t, short, void *);
static void conn_deferred_cb(evutil_socket_t, short, void *);
static void conn_resolve(struct conn *);
static void conn_dns_cb(int, struct evutil_addrinfo *, void *);
static void conn_try_next(struct conn *);
static void conn_connect_cb(evutil_socket_t, short, void *);
static void conn_tcp_up(struct conn *);
static int conn_tls_prepare(struct conn *);
static void conn_tls_start(struct conn *, struct bufferevent *);
static int conn_tls_check(struct conn *);
static void conn_ca_dir(SSL_CTX *);
static int conn_issuer_error(long);
static long conn_verify_full(struct conn *, SSL *, X509 *);
static void conn_tls_failed(struct conn *);
static void conn_read_cb(struct bufferevent *, void *);
static void conn_write_cb(struct bufferevent *, void *);
static void conn_event_cb(struct bufferevent *, short, void *);
static char *conn_addr_string(const struct sockaddr *);
static int conn_fingerprint_parse(const char *, unsigned char *);
static char *conn_fingerprint_format(const unsigned char *, unsigned int);
static char *conn_cert_names(X509 *);
static void conn_names_add(char **, size_t *, int *, const char *, size_t);
static struct evbuffer *conn_inbuf(struct conn *);
static void conn_push(struct conn *);
static int conn_inflate(struct conn *);
static void conn_deflate(struct conn *, const char *, size_t);
static int conn_addr_loopback(const struct sockaddr *);
static char *conn_session_path(const char *);
static void conn_session_load(struct conn *, SSL *);
static int conn_session_new_cb(SSL *, SSL_SESSION *);
static void conn_session_save(struct conn *);
static char *conn_trust(const struct conn *);

static const char *conn_state_names[] = {
    "new",
    "resolving",
    "connecting",
    "handshake",
    "up",
    "failed",
};

struct conn *
conn_new(struct event_base *base, struct evdns_base *dns,
    const struct conn_params *p, conn_cb cb, void *arg)
{
	struct conn *c;
	struct in6_addr a6;
	struct in_addr a4;

	if (p->host == NULL || *p->host == '\0')
		fatalx("%s: no host", __func__);
	c = xcalloc(1, sizeof *c);
	c->base = base;
	c->dns = dns;
	c->host = xstrdup(p->host);
	c->port = p->port;
	c->tls = p->tls;
	c->ca_file = p->ca_file != NULL ? xstrdup(p->ca_file) : NULL;
	c->fingerprint =
	    p->fingerprint != NULL ? xstrdup(p->fingerprint) : NULL;
	c->connect_timeout =
	    p->connect_timeout > 0 ? p->connect_timeout : CONN_CONNECT_TIMEOUT;
	c->idle_timeout =
	    p->idle_timeout > 0 ? p->idle_timeout : CONN_IDLE_TIMEOUT;
	c->max_line = p->max_line > 0 ? p->max_line : CONN_MAX_LINE;
	c->log = p->log;
	c->host_is_ip = inet_pton(AF_INET, c->host, &a4) == 1 ||
	    inet_pton(AF_INET6, c->host, &a6) == 1;
	c->cb = cb;
	c->arg = arg;
	c->fd = -1;
	c->rtt_usec = -1;
	c->state = CONN_STATE_NEW;
	if (p->session_name != NULL)
		c->session_path = conn_session_path(p->session_name);

	c->timer = evtimer_new(base, conn_timer_cb, c);
	c->deferred = event_new(base, -1, 0, conn_deferred_cb, c);
	if (c->timer == NULL || c->deferred == NULL)
		fatalx("%s: event_new failed", __func__);
	return c;
}

struct conn *
conn_take(struct conn *early, struct event_base *base, struct evdns_base *dns,
    const struct conn_params *p, conn_cb cb, void *arg)
{
	if (early == NULL || early->base != base ||
	    strcmp(early->host, p->host) != 0 || early->port != p->port ||
	    early->tls != p->tls) {
		conn_free(early);
		return conn_new(base, dns, p, cb, arg);
	}
	early->cb = cb;
	early->arg = arg;
	early->taken = early->state != CONN_STATE_NEW;
	/* What came before there was anyone to tell, from the loop. */
	if (early->held != 0)
		event_active(early->deferred, 0, 0);
	return early;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	c->cb = NULL;
	conn_push(c);
	conn_teardown(c);
	if (c->in_cb) {
		c->dead = 1; /* freed when the callback returns */
		return;
	}
	conn_destroy(c);
}

void
conn_base_free(struct event_base *base)
{
	if (base == NULL)
		return;
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
}

void
conn_connect(struct conn *c)
{
	if (c->taken) {
		/* Started before its owner was made: the time the owner took
		 * is not the server's. */
		c->taken = 0;
		if (c->state < CONN_STATE_UP)
			conn_arm_timer(c, c->connect_timeout);
		return;
	}
	if (c->state != CONN_STATE_NEW)
		fatalx(
		    "%s: bad state %s", __func__, conn_state_names[c->state]);
	conn_set_state(c, CONN_STATE_RESOLVING);
	conn_arm_timer(c, c->connect_timeout);
	/* The lookup starts now, and with an address at hand (a literal,
	 * the hosts file) so does the TCP connect: its round trip overlaps
	 * whatever the caller does before it runs the loop. No callback runs
	 * inside conn_connect(): events and failures come from the loop. */
	conn_resolve(c);
}

void
conn_starttls(struct conn *c)
{
	struct evbuffer *in;
	size_t left;

	if (c->state != CONN_STATE_UP || c->tls_version != NULL)
		fatalx(
		    "%s: bad state %s", __func__, conn_state_names[c->state]);
	/* RFC 2595 3.1: what came before the handshake is not trusted. */
	in = bufferevent_get_input(c->bev);
	if ((left = evbuffer_get_length(in)) > 0) {
		plog_note(c->log, c->host,
		    "discarding %zu bytes received before TLS", left);
		evbuffer_drain(in, left);
	}
	c->starttls = 1;
	conn_set_state(c, CONN_STATE_HANDSHAKE);
	conn_arm_timer(c, c->connect_timeout);
	conn_tls_start(c, c->bev);
}

void
conn_write(struct conn *c, const char *data, size_t len)
{
	if (c->bev == NULL || c->state == CONN_STATE_FAILED)
		return;
	plog_write(c->log, c->host, '>', data, len);
	if (c->zout != NULL)
		conn_deflate(c, data, len);
	else
		bufferevent_write(c->bev, data, len);
}

void
conn_write_secret(
    struct conn *c, const char *data, size_t len, const char *logtext)
{
	if (c->bev == NULL || c->state == CONN_STATE_FAILED)
		return;
	plog_write(c->log, c->host, '>', logtext, strlen(logtext));
	if (c->zout != NULL)
		conn_deflate(c, data, len);
	else
		bufferevent_write(c->bev, data, len);
}

void
conn_write_unlogged(struct conn *c, const char *data, size_t len)
{
	if (c->bev == NULL || c->state == CONN_STATE_FAILED)
		return;
	if (c->zout != NULL)
		conn_deflate(c, data, len);
	else
		bufferevent_write(c->bev, data, len);
}

size_t
conn_output_length(const struct conn *c)
{
	if (c->bev == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

void
conn_set_drain(struct conn *c, size_t low, void (*cb)(struct conn *, void *))
{
	c->drain_cb = cb;
	c->drain_low = cb != NULL ? low : 0;
	if (c->bev != NULL)
		bufferevent_setwatermark(c->bev, EV_WRITE, c->drain_low, 0);
}

int
conn_read_line(struct conn *c, char **line, size_t *len)
{
	struct evbuffer *in;
	struct evbuffer_ptr eol;
	size_t eol_len, n;
	char *s;

	*line = NULL;
	*len = 0;
	if (c->state != CONN_STATE_UP)
		return c->state == CONN_STATE_FAILED ? -1 : 0;
	if ((in = conn_inbuf(c)) == NULL)
		return -1;
	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos == -1) {
		if (evbuffer_get_length(in) <= c->max_line)
			return 0;
		n = evbuffer_get_length(in);
	} else
		n = (size_t)eol.pos;
	if (n > c->max_line) {
		conn_failf(c, CONN_FAIL_PROTO,
		    "%s sent a line longer than %zu bytes", c->host,
		    c->max_line);
		return -1;
	}

	s = xmalloc(n + 1);
	if (n > 0 && evbuffer_remove(in, s, n) != (int)n)
		fatalx("%s: short evbuffer_remove", __func__);
	evbuffer_drain(in, eol_len);
	if (n > 0 && s[n - 1] == '\r')
		n--;
	s[n] = '\0';
	plog_write(c->log, c->host, '<', s, n);
	*line = s;
	*len = n;
	return 1;
}

struct evbuffer *
conn_input(struct conn *c)
{
	if (c->bev == NULL)
		return NULL;
	return conn_inbuf(c);
}

void
conn_compress(struct conn *c)
{
	if (c->state != CONN_STATE_UP || c->zin != NULL)
		fatalx(
		    "%s: bad state %s", __func__, conn_state_names[c->state]);
	c->zin = xcalloc(1, sizeof *c->zin);
	c->zout = xcalloc(1, sizeof *c->zout);
	if (inflateInit2(c->zin, -15) != Z_OK ||
	    deflateInit2(c->zout, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
	        Z_DEFAULT_STRATEGY) != Z_OK)
		fatalx("%s: zlib init failed", __func__);
	if ((c->zbuf = evbuffer_new()) == NULL)
		fatalx("%s: evbuffer_new failed", __func__);
	plog_note(c->log, c->host, "DEFLATE compression on");
	/* What came after the agreement is compressed already. */
	(void)conn_inbuf(c);
}

int
conn_compressed(const struct conn *c)
{
	return c->zin != NULL;
}

int
conn_compress_broken(const struct conn *c)
{
	return c->zbroken;
}

void
conn_compress_stats(const struct conn *c, uint64_t *raw_in, uint64_t *wire_in,
    uint64_t *raw_out, uint64_t *wire_out)
{
	*raw_in = c->zraw_in;
	*wire_in = c->zwire_in;
	*raw_out = c->zraw_out;
	*wire_out = c->zwire_out;
}

int
conn_tls_resumed(const struct conn *c)
{
	return c->resumed;
}

const char *
conn_session_hint(const struct conn *c)
{
	return c->hint;
}

void
conn_session_set_hint(struct conn *c, const char *hint)
{
	if (c->hint != NULL && strcmp(c->hint, hint) == 0)
		return;
	free(c->hint);
	c->hint = xstrndup(hint, CONN_HINT_MAX);
	c->hint[strcspn(c->hint, "\r\n")] = '\0';
	if (c->sess != NULL && c->tls_ok)
		conn_session_save(c);
}

/* $XDG_CACHE_HOME/errand/NAME.tls, else ~/.cache/errand/NAME.tls; NULL
 * without either. The caller frees it. */
static char *
conn_session_path(const char *name)
{
	const char *xdg, *home;
	char *s;

	if ((xdg = getenv("XDG_CACHE_HOME")) != NULL && *xdg == '/') {
		xasprintf(&s, "%s/errand/%s.tls", xdg, name);
		return s;
	}
	if ((home = getenv("HOME")) == NULL || *home == '\0')
		return NULL;
	xasprintf(&s, "%s/.cache/errand/%s.tls", home, name);
	return s;
}

/* Offer the kept session, if it was made for this host, port and these
 * certificate settings. The file: "key value" lines, then the PEM. */
static void
conn_session_load(struct conn *c, SSL *ssl)
{
	char buf[CONN_SESSION_MAX + 1], *line, *next, *val, *pem = NULL;
	const char *host = NULL, *pin = NULL, *ca = NULL, *leaf = NULL;
	const char *hint = NULL;
	char *trust;
	SSL_SESSION *sess;
	ssize_t n;
	BIO *bio;
	int fd, port = 0;

	if ((fd = open(c->session_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
	    -1)
		return;
	n = read(fd, buf, sizeof buf);
	close(fd);
	if (n <= 0 || n > CONN_SESSION_MAX)
		return;
	buf[n] = '\0';
	if (strncmp(buf, "errand-tls-session 1\n", 21) != 0)
		return;
	for (line = buf + 21; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) == NULL)
			return;
		*next++ = '\0';
		if (strncmp(line, "-----BEGIN", 10) == 0) {
			next[-1] = '\n';
			pem = line;
			break;
		}
		if ((val = strchr(line, ' ')) == NULL)
			continue;
		*val++ = '\0';
		if (strcmp(line, "host") == 0)
			host = val;
		else if (strcmp(line, "port") == 0)
			port = (int)strtol(val, NULL, 10);
		else if (strcmp(line, "pin") == 0)
			pin = val;
		else if (strcmp(line, "ca") == 0)
			ca = val;
		else if (strcmp(line, "leaf") == 0)
			leaf = val;
		else if (strcmp(line, "hint") == 0)
			hint = val;
	}
	if (pem == NULL || host == NULL || pin == NULL || ca == NULL ||
	    leaf == NULL)
		return;
	if (strcmp(host, c->host) != 0 || port != c->port) {
		plog_note(c->log, c->host,
		    "not resuming the TLS session kept for %s port %d", host,
		    port);
		return;
	}
	trust = conn_trust(c);
	if (strcmp(pin, c->fingerprint != NULL ? c->fingerprint : "-") != 0 ||
	    strcmp(ca, trust) != 0) {
		plog_note(c->log, c->host,
		    "not resuming the TLS session: the certificate settings "
		    "changed");
		free(trust);
		return;
	}
	free(trust);
	free(c->hint);
	c->hint = hint != NULL ? xstrdup(hint) : NULL;
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL)
		return;
	sess = PEM_read_bio_SSL_SESSION(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (sess == NULL)
		return;
	if (SSL_SESSION_is_resumable(sess) && SSL_set_session(ssl, sess) == 1) {
		free(c->saved_leaf);
		c->saved_leaf = xstrdup(leaf);
		plog_note(c->log, c->host, "offering the kept TLS session");
	}
	SSL_SESSION_free(sess);
}

/* OpenSSL made a session (TLS 1.2: at the handshake; 1.3: a ticket after
 * it): keep the newest, written once the certificate is accepted. */
static int
conn_session_new_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct conn *c = SSL_get_app_data(ssl);

	if (c == NULL || c->session_path == NULL ||
	    !SSL_SESSION_is_resumable(sess))
		return 0;
	SSL_SESSION_free(c->sess);
	c->sess = sess; /* the reference is ours */
	if (c->tls_ok)
		conn_session_save(c);
	return 1;
}

/* What the certificate was checked against: ca-file and the system's
 * authorities as the environment names them. The caller frees it. */
static char *
conn_trust(const struct conn *c)
{
	const char *file = getenv(X509_get_default_cert_file_env());
	const char *dir = getenv(X509_get_default_cert_dir_env());
	char *s;

	xasprintf(&s, "%s|%s|%s", c->ca_file != NULL ? c->ca_file : "-",
	    file != NULL ? file : "-", dir != NULL ? dir : "-");
	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

/* Write the session file, 0600, through a temporary file and rename. */
static void
conn_session_save(struct conn *c)
{
	char *tmp, *dir, *slash, *data, *pem, *trust;
	size_t len;
	long pemlen;
	BIO *bio;
	int fd, ok;

	if (c->session_path == NULL || c->sess == NULL || c->leaf == NULL)
		return;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (PEM_write_bio_SSL_SESSION(bio, c->sess) != 1 ||
	    (pemlen = BIO_get_mem_data(bio, &pem)) <= 0) {
		BIO_free(bio);
		ERR_clear_error();
		return;
	}
	trust = conn_trust(c);
	len = (size_t)xasprintf(&data,
	    "errand-tls-session 1\nhost %s\nport %d\npin %s\nca %s\n"
	    "leaf %s\nhint %s\n%.*s",
	    c->host, c->port, c->fingerprint != NULL ? c->fingerprint : "-",
	    trust, c->leaf, c->hint != NULL ? c->hint : "", (int)pemlen, pem);
	BIO_free(bio);
	free(trust);
	xasprintf(&tmp, "%s.%ld.tmp", c->session_path, (long)getpid());
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1 && errno == ENOENT) {
		dir = xstrdup(c->session_path);
		if ((slash = strrchr(dir, '/')) != NULL) {
			*slash = '\0';
			if ((slash = strrchr(dir, '/')) != NULL) {
				*slash = '\0';
				(void)mkdir(dir, 0700); /* ~/.cache */
				*slash = '/';
			}
			(void)mkdir(dir, 0700);
		}
		free(dir);
		fd = open(tmp,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	}
	ok = fd != -1 && fchmod(fd, 0600) == 0 &&
	    write(fd, data, len) == (ssize_t)len;
	if (fd != -1 && close(fd) != 0)
		ok = 0;
	if (ok && rename(tmp, c->session_path) == 0)
		plog_note(c->log, c->host, "TLS session kept for next time");
	else {
		plog_note(c->log, c->host, "cannot keep the TLS session: %s",
		    strerror(errno));
		if (fd != -1)
			unlink(tmp);
	}
	explicit_bzero(data, len);
	free(data);
	free(tmp);
}

int
conn_is_loopback(const struct conn *c)
{
	return c->loopback;
}

long
conn_rtt_usec(const struct conn *c)
{
	return c->rtt_usec;
}

/* Closing: one non-blocking try to send what is still queued (a LOGOUT
 * whose reply nobody waits for), through TLS to the socket. */
static void
conn_push(struct conn *c)
{
	struct bufferevent *under;
	struct evbuffer *out;
	evutil_socket_t fd;

	if (c->state != CONN_STATE_UP || c->bev == NULL)
		return;
	if ((under = bufferevent_get_underlying(c->bev)) == NULL)
		under = c->bev;
	else
		bufferevent_flush(c->bev, EV_WRITE, BEV_FLUSH);
	if ((fd = bufferevent_getfd(under)) == -1)
		return;
	/* The bufferevent holds its output's start; it is closing. */
	out = bufferevent_get_output(under);
	evbuffer_unfreeze(out, 1);
	while (evbuffer_get_length(out) > 0 && evbuffer_write(out, fd) > 0)
		continue;
}

/* The buffer the protocol reads: the socket's, or the inflated one topped
 * up from it. NULL when the compressed stream broke (the conn failed). */
static struct evbuffer *
conn_inbuf(struct conn *c)
{
	if (c->zin == NULL)
		return bufferevent_get_input(c->bev);
	if (conn_inflate(c) != 0)
		return NULL;
	return c->zbuf;
}

/* Inflate what the socket has into zbuf, up to CONN_ZBUF_MAX held: a
 * small stream that inflates to a huge one is read as the protocol
 * consumes it. 0, or -1 after failing the conn. */
static int
conn_inflate(struct conn *c)
{
	struct evbuffer *in;
	struct evbuffer_iovec v;
	unsigned char out[CONN_ZCHUNK];
	size_t used, made;
	int rc;

	if (c->bev == NULL)
		return -1;
	in = bufferevent_get_input(c->bev);
	while (evbuffer_get_length(in) > 0 &&
	    evbuffer_get_length(c->zbuf) < CONN_ZBUF_MAX) {
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		c->zin->next_in = v.iov_base;
		c->zin->avail_in = (uInt)v.iov_len;
		c->zin->next_out = out;
		c->zin->avail_out = sizeof out;
		rc = inflate(c->zin, Z_SYNC_FLUSH);
		used = v.iov_len - c->zin->avail_in;
		made = sizeof out - c->zin->avail_out;
		if (c->zended || rc == Z_NEED_DICT || rc == Z_DATA_ERROR ||
		    rc == Z_MEM_ERROR) {
			c->zbroken = 1;
			conn_failf(c, CONN_FAIL_PROTO,
			    "corrupt compressed data from %s: %s", c->host,
			    c->zended                 ? "data after the end"
			        : c->zin->msg != NULL ? c->zin->msg
			                              : "inflate failed");
			return -1;
		}
		/* A server ends the stream as it closes (after LOGOUT). */
		if (rc == Z_STREAM_END)
			c->zended = 1;
		evbuffer_drain(in, used);
		c->zwire_in += used;
		c->zraw_in += made;
		if (made > 0)
			evbuffer_add(c->zbuf, out, made);
		if ((used == 0 && made == 0) ||
		    (c->zended && evbuffer_get_length(in) == 0))
			break;
	}
	return 0;
}

/* Compress bytes to send, flushed so the server can act on them now. */
static void
conn_deflate(struct conn *c, const char *data, size_t len)
{
	unsigned char out[CONN_ZCHUNK];
	size_t made;

	c->zout->next_in = (unsigned char *)(uintptr_t)data;
	c->zout->avail_in = (uInt)len;
	c->zraw_out += len;
	do {
		c->zout->next_out = out;
		c->zout->avail_out = sizeof out;
		if (deflate(c->zout, Z_SYNC_FLUSH) == Z_STREAM_ERROR)
			fatalx("%s: deflate failed", __func__);
		made = sizeof out - c->zout->avail_out;
		c->zwire_out += made;
		bufferevent_write(c->bev, out, made);
	} while (c->zout->avail_out == 0);
}

void
conn_expect_reply(struct conn *c, int on)
{
	c->expect = on;
	if (c->state != CONN_STATE_UP)
		return; /* the connect timeout is running */
	if (on)
		conn_arm_timer(c, c->idle_timeout);
	else
		evtimer_del(c->timer);
}

void
conn_fail_set(struct conn *c, enum conn_fail fail, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conn_failv(c, fail, fmt, ap);
	va_end(ap);
}

const char *
conn_error(const struct conn *c)
{
	return c->error;
}

enum conn_fail
conn_fail(const struct conn *c)
{
	return c->fail;
}

const char *
conn_tls_version(const struct conn *c)
{
	return c->tls_version;
}

int
conn_channel_binding(
    const struct conn *c, const char **type, unsigned char *buf, size_t *len)
{
	SSL *ssl;

	*len = 0;
	if (c->tls_version == NULL || c->bev == NULL ||
	    (ssl = bufferevent_openssl_get_ssl(c->bev)) == NULL)
		return -1;
	if (SSL_version(ssl) >= TLS1_3_VERSION) {
		*type = "tls-exporter";
		if (SSL_export_keying_material(ssl, buf, 32,
		        "EXPORTER-Channel-Binding", 24, NULL, 0, 0) != 1)
			return -1;
		*len = 32;
		return 0;
	}
	/* The first Finished of the handshake: ours, or the server's on a
	 * resumed session. */
	*type = "tls-unique";
	*len = SSL_session_reused(ssl)
	    ? SSL_get_peer_finished(ssl, buf, CONN_CB_MAX)
	    : SSL_get_finished(ssl, buf, CONN_CB_MAX);
	if (*len == 0 || *len > CONN_CB_MAX)
		return -1;
	return 0;
}

const char *
conn_host(const struct conn *c)
{
	return c->host;
}

/* Run the user callback; returns 1 if the conn was freed inside it. */
static int
conn_deliver(struct conn *c, enum conn_event ev)
{
	if (c->cb == NULL) {
		/* Started early, not yet taken over (conn_take()). */
		if (!c->dead)
			c->held |= 1U << ev;
		return c->dead;
	}
	c->in_cb++;
	c->cb(c, ev, c->arg);
	c->in_cb--;
	if (c->dead && c->in_cb == 0) {
		conn_destroy(c);
		return 1;
	}
	return c->dead;
}

static void
conn_destroy(struct conn *c)
{
	conn_teardown(c);
	event_free(c->timer);
	event_free(c->deferred);
	if (c->own_dns)
		evdns_base_free(c->dns, 0);
	SSL_CTX_free(c->ctx);
	SSL_SESSION_free(c->sess);
	free(c->session_path);
	free(c->saved_leaf);
	free(c->hint);
	free(c->leaf);
	free(c->host);
	free(c->ca_file);
	free(c->fingerprint);
	free(c->error);
	free(c->last_error);
	free(c);
}

/* Close the socket and stop every event but the deferred one. */
static void
conn_teardown(struct conn *c)
{
	struct evdns_getaddrinfo_request *req;

	if ((req = c->dnsreq) != NULL) {
		c->dnsreq = NULL;
		evdns_getaddrinfo_cancel(req); /* calls back with CANCEL */
	}
	if (c->ai != NULL) {
		evutil_freeaddrinfo(c->ai);
		c->ai = c->ai_next = c->ai_cur = NULL;
	}
	if (c->connev != NULL) {
		event_free(c->connev);
		c->connev = NULL;
	}
	SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->zin != NULL) {
		plog_note(c->log, c->host,
		    "DEFLATE: received %llu bytes as %llu, sent %llu as %llu",
		    (unsigned long long)c->zraw_in,
		    (unsigned long long)c->zwire_in,
		    (unsigned long long)c->zraw_out,
		    (unsigned long long)c->zwire_out);
		inflateEnd(c->zin);
		deflateEnd(c->zout);
		free(c->zin);
		free(c->zout);
		c->zin = c->zout = NULL;
		evbuffer_free(c->zbuf);
		c->zbuf = NULL;
	}
	if (c->bev != NULL) {
		bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	evtimer_del(c->timer);
}

static void
conn_failv(struct conn *c, enum conn_fail fail, const char *fmt, va_list ap)
{
	if (c->state == CONN_STATE_FAILED)
		return; /* the first failure is the one to report */
	free(c->error);
	xvasprintf(&c->error, fmt, ap);
	c->fail = fail;
	plog_note(c->log, c->host, "error: %s", c->error);
	conn_teardown(c);
	conn_set_state(c, CONN_STATE_FAILED);
	/* Deliver from the loop: the caller may be inside its callback. */
	event_active(c->deferred, 0, 0);
}

static void
conn_failf(struct conn *c, enum conn_fail fail, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conn_failv(c, fail, fmt, ap);
	va_end(ap);
}

static void
conn_set_state(struct conn *c, enum conn_state s)
{
	if (c->state != s)
		plog_note(c->log, c->host, "state %s -> %s",
		    conn_state_names[c->state], conn_state_names[s]);
	c->state = s;
}

static void
conn_arm_timer(struct conn *c, int seconds)
{
	struct timeval tv = {seconds, 0};

	evtimer_add(c->timer, &tv);
}

static void
conn_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *c = arg;

	switch (c->state) {
	case CONN_STATE_RESOLVING:
	case CONN_STATE_CONNECTING:
	case CONN_STATE_HANDSHAKE:
		conn_failf(c, CONN_FAIL_TIMEOUT, "connection to %s timed out",
		    c->host);
		break;
	case CONN_STATE_UP:
		if (c->expect)
			conn_failf(c, CONN_FAIL_TIMEOUT,
			    "%s did not answer in %d second%s", c->host,
			    c->idle_timeout, c->idle_timeout == 1 ? "" : "s");
		break;
	default:
		break;
	}
}

/* The delivery of an error, and of the events held for conn_take(). */
static void
conn_deferred_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *c = arg;
	unsigned int held = c->held;

	if (c->state == CONN_STATE_FAILED) {
		conn_deliver(c, CONN_EV_ERROR);
		return;
	}
	/* Events held until conn_take(), in their order. */
	c->held = 0;
	if ((held & (1U << CONN_EV_CONNECTED)) &&
	    conn_deliver(c, CONN_EV_CONNECTED))
		return;
	if ((held & (1U << CONN_EV_READ)) && c->state == CONN_STATE_UP)
		conn_deliver(c, CONN_EV_READ);
}

/* Start the lookup; conn_dns_cb() connects (maybe before this returns). */
static void
conn_resolve(struct conn *c)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	char port[16];

	if (c->dns == NULL) {
		/* Nameservers after the flag: libevent 2.1.12 adds their
		 * events for good if they come first, and the loop never
		 * ends. */
		c->dns =
		    evdns_base_new(c->base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (c->dns == NULL)
			fatalx("%s: evdns_base_new failed", __func__);
		c->own_dns = 1;
		evdns_base_resolv_conf_parse(
		    c->dns, DNS_OPTIONS_ALL, "/etc/resolv.conf");
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_NUMERICSERV;
	snprintf(port, sizeof port, "%d", c->port);
	plog_note(c->log, c->host, "looking up %s", c->host);
	/* The callback may run before this returns (literals, hosts file). */
	req = evdns_getaddrinfo(c->dns, c->host, port, &hints, conn_dns_cb, c);
	if (c->state == CONN_STATE_RESOLVING && c->ai == NULL)
		c->dnsreq = req;
}

static void
conn_dns_cb(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct conn *c = arg;

	if (result == EVUTIL_EAI_CANCEL)
		return; /* conn_teardown() cancelled it */
	c->dnsreq = NULL;
	if (result != 0) {
		conn_failf(c, CONN_FAIL_RESOLVE, "cannot resolve '%s': %s",
		    c->host, evutil_gai_strerror(result));
		return;
	}
	if (ai == NULL) {
		conn_failf(c, CONN_FAIL_RESOLVE,
		    "cannot resolve '%s': no addresses", c->host);
		return;
	}
	c->ai = c->ai_next = ai;
	conn_set_state(c, CONN_STATE_CONNECTING);
	conn_try_next(c);
}

/* Connect to the next address, or fail with the last address's error. */
static void
conn_try_next(struct conn *c)
{
	struct evutil_addrinfo *ai;
	char *addr;
	int fd;

	while ((ai = c->ai_next) != NULL) {
		c->ai_next = ai->ai_next;
		addr = conn_addr_string(ai->ai_addr);
		plog_note(
		    c->log, c->host, "connecting to %s port %d", addr, c->port);
		free(addr);

		fd = socket(ai->ai_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			free(c->last_error);
			xasprintf(&c->last_error, "%s", strerror(errno));
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &c->t_connect);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			c->fd = fd;
			c->ai_cur = ai;
			c->connev = event_new(
			    c->base, fd, EV_WRITE, conn_connect_cb, c);
			if (c->connev == NULL)
				fatalx("%s: event_new failed", __func__);
			event_add(c->connev, NULL);
			/* The TLS context, the authorities and the kept
			 * session are made while the SYN is on its way, so
			 * that the ClientHello follows the SYN-ACK at once. */
			if (c->tls == CONN_TLS_IMPLICIT)
				(void)conn_tls_prepare(c);
			return;
		}
		free(c->last_error);
		xasprintf(&c->last_error, "%s", strerror(errno));
		close(fd);
	}
	conn_failf(c, CONN_FAIL_CONNECT, "cannot connect to %s port %d: %s",
	    c->host, c->port,
	    c->last_error != NULL ? c->last_error : "no usable address");
}

static void
conn_connect_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *c = arg;
	struct timespec now;
#ifdef TCP_INFO
	struct tcp_info ti;
#endif
	socklen_t len;
	int error;

	clock_gettime(CLOCK_MONOTONIC, &now);
	len = sizeof error;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1)
		error = errno;
	event_free(c->connev);
	c->connev = NULL;
	if (error != 0) {
		plog_note(c->log, c->host, "connect: %s", strerror(error));
		free(c->last_error);
		xasprintf(&c->last_error, "%s", strerror(error));
		close(c->fd);
		c->fd = -1;
		conn_try_next(c);
		return;
	}
	c->rtt_usec = (long)(now.tv_sec - c->t_connect.tv_sec) * 1000000 +
	    (now.tv_nsec - c->t_connect.tv_nsec) / 1000;
#ifdef TCP_INFO
	/* The TLS set-up made while the SYN was out may have kept the loop
	 * past the SYN-ACK: the kernel's own measure of the round trip. */
	len = sizeof ti;
	if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    ti.tcpi_rtt > 0 && (long)ti.tcpi_rtt < c->rtt_usec)
		c->rtt_usec = (long)ti.tcpi_rtt;
#endif
	c->loopback =
	    c->ai_cur != NULL && conn_addr_loopback(c->ai_cur->ai_addr);
	plog_note(c->log, c->host, "TCP connect took %ld.%03ld ms%s",
	    c->rtt_usec / 1000, c->rtt_usec % 1000,
	    c->loopback ? " (loopback)" : "");
	conn_tcp_up(c);
}

/* 127.0.0.0/8, ::1 or ::ffff:127.x.y.z. */
static int
conn_addr_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;

	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
		        s6->sin6_addr.s6_addr[12] == 127);
	}
	return 0;
}

/* TCP is connected: make the bufferevent, start TLS or report it up. */
static void
conn_tcp_up(struct conn *c)
{
	struct bufferevent *bev;

	evutil_freeaddrinfo(c->ai);
	c->ai = c->ai_next = c->ai_cur = NULL;
	bev = bufferevent_socket_new(c->base, c->fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatalx("%s: bufferevent_socket_new failed", __func__);
	c->fd = -1; /* the bufferevent owns it */
	c->bev = bev;
	plog_note(c->log, c->host, "connected");

	if (c->tls == CONN_TLS_IMPLICIT) {
		conn_set_state(c, CONN_STATE_HANDSHAKE);
		conn_tls_start(c, bev);
		return;
	}
	bufferevent_setcb(bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(bev, EV_WRITE, c->drain_low, 0);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	conn_set_state(c, CONN_STATE_UP);
	if (c->expect)
		conn_arm_timer(c, c->idle_timeout);
	else
		evtimer_del(c->timer);
	conn_deliver(c, CONN_EV_CONNECTED);
}

/* The SSL of this connection, with the context (made once), the account's
 * authorities, the kept session and the name to check: in c->ssl. 0, or
 * -1 after failing the conn. */
static int
conn_tls_prepare(struct conn *c)
{
	X509_VERIFY_PARAM *param;
	unsigned long e;
	SSL *ssl;

	if (c->ssl != NULL)
		return 0;
	ERR_clear_error();
	if (c->ctx == NULL) {
		c->ctx = SSL_CTX_new(TLS_client_method());
		if (c->ctx == NULL)
			fatalx("%s: SSL_CTX_new failed", __func__);
		SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
		SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
		/* Verified after the handshake, by conn_tls_check(). */
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
		/* Sessions go to the file, not OpenSSL's cache. */
		SSL_CTX_set_session_cache_mode(c->ctx,
		    SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(c->ctx, conn_session_new_cb);
		/* The system's authorities from the hashed directory, read
		 * one when a chain needs it: the bundle file parsed up front
		 * is ~17 ms of every connection. conn_tls_check() tries the
		 * full default set when the directory alone does not do. */
		conn_ca_dir(c->ctx);
		if (c->ca_file != NULL &&
		    SSL_CTX_load_verify_locations(c->ctx, c->ca_file, NULL) !=
		        1) {
			e = ERR_peek_last_error();
			conn_failf(c, CONN_FAIL_TLS,
			    "cannot load CA file '%s': %s", c->ca_file,
			    e != 0 ? ERR_reason_error_string(e) : "bad file");
			return -1;
		}
	}
	if ((ssl = SSL_new(c->ctx)) == NULL)
		fatalx("%s: SSL_new failed", __func__);
	SSL_set_app_data(ssl, c);
	if (c->session_path != NULL)
		conn_session_load(c, ssl);
	param = SSL_get0_param(ssl);
	X509_VERIFY_PARAM_set_hostflags(
	    param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (c->host_is_ip)
		X509_VERIFY_PARAM_set1_ip_asc(param, c->host);
	else {
		SSL_set_tlsext_host_name(ssl, c->host);
		SSL_set1_host(ssl, c->host);
	}
	c->ssl = ssl;
	return 0;
}

/* Wrap the plain bufferevent in a TLS filter and start the handshake. */
static void
conn_tls_start(struct conn *c, struct bufferevent *under)
{
	struct bufferevent *bev;
	SSL *ssl;

	if (conn_tls_prepare(c) != 0)
		return;
	ssl = c->ssl;
	c->ssl = NULL; /* the bufferevent's now */
	bufferevent_setcb(under, NULL, NULL, NULL, NULL);
	bev = bufferevent_openssl_filter_new(c->base, under, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatalx("%s: bufferevent_openssl_filter_new failed", __func__);
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	/* The filter moves what is written into the socket's buffer only
	 * up to this mark, so that a writer streaming a large body through
	 * conn_set_drain() holds a bounded amount, not the whole body. */
	bufferevent_setwatermark(under, EV_WRITE, 0, CONN_TLS_WQUEUE);
	c->bev = bev; /* owns the plain one and the SSL */
	bufferevent_setcb(bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(bev, EV_WRITE, c->drain_low, 0);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* The system's certificate directory (SSL_CERT_DIR, else OpenSSL's) as a
 * lazy lookup. */
static void
conn_ca_dir(SSL_CTX *ctx)
{
	const char *dir = getenv(X509_get_default_cert_dir_env());

	if (dir == NULL || *dir == '\0')
		dir = X509_get_default_cert_dir();
	SSL_CTX_load_verify_dir(ctx, dir);
}

/* Whether a verification failed for want of an authority, which the full
 * default set (the bundle file too) may have. */
static int
conn_issuer_error(long vr)
{
	return vr == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
	    vr == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	    vr == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE ||
	    vr == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
	    vr == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
}

/* Verify the peer's chain again against every default authority (file
 * and directory, as SSL_CERT_FILE and SSL_CERT_DIR say) and the account's
 * ca-file, with the same host name and IP checks. The result code. */
static long
conn_verify_full(struct conn *c, SSL *ssl, X509 *cert)
{
	X509_STORE *store;
	X509_STORE_CTX *vc;
	long vr = X509_V_ERR_UNSPECIFIED;

	if ((store = X509_STORE_new()) == NULL ||
	    (vc = X509_STORE_CTX_new()) == NULL) {
		X509_STORE_free(store);
		return vr;
	}
	if (X509_STORE_set_default_paths(store) == 1 &&
	    (c->ca_file == NULL ||
	        X509_STORE_load_file(store, c->ca_file) == 1) &&
	    X509_STORE_CTX_init(
	        vc, store, cert, SSL_get_peer_cert_chain(ssl)) == 1 &&
	    X509_STORE_CTX_set_default(vc, "ssl_server") == 1 &&
	    X509_VERIFY_PARAM_set1(
	        X509_STORE_CTX_get0_param(vc), SSL_get0_param(ssl)) == 1) {
		vr = X509_verify_cert(vc) == 1 ? X509_V_OK
		                               : X509_STORE_CTX_get_error(vc);
		plog_note(c->log, c->host,
		    "verified again with the bundled authorities: %s",
		    X509_verify_cert_error_string(vr));
	}
	X509_STORE_CTX_free(vc);
	X509_STORE_free(store);
	return vr;
}

/* The handshake is done: check the certificate. Returns 0 or fails. */
static int
conn_tls_check(struct conn *c)
{
	unsigned char md[EVP_MAX_MD_SIZE], want[32];
	unsigned int mdlen;
	char *fp, *names;
	long vr;
	X509 *cert;
	SSL *ssl;
	int pinned;

	ssl = bufferevent_openssl_get_ssl(c->bev);
	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL) {
		conn_failf(c, CONN_FAIL_TLS, "%s sent no certificate", c->host);
		return -1;
	}
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1)
		fatalx("%s: X509_digest failed", __func__);
	fp = conn_fingerprint_format(md, mdlen);
	vr = SSL_get_verify_result(ssl);

	/* A resumed session was verified when it was made, for this host,
	 * port and these certificate settings (conn_session_load()). */
	if (SSL_session_reused(ssl)) {
		if (c->saved_leaf == NULL || strcmp(fp, c->saved_leaf) != 0) {
			/* Not trusted again: the next connection starts
			 * afresh. */
			if (c->session_path != NULL)
				unlink(c->session_path);
			conn_failf(c, CONN_FAIL_TLS,
			    "resumed TLS session with %s is not for the "
			    "certificate kept with it",
			    c->host);
			goto fail;
		}
		c->resumed = 1;
		plog_note(c->log, c->host,
		    "TLS session resumed (certificate sha256 %s)", fp);
		goto ok;
	}

	pinned = 0;
	if (c->fingerprint != NULL) {
		if (conn_fingerprint_parse(c->fingerprint, want) != 0) {
			conn_failf(c, CONN_FAIL_TLS,
			    "bad tls-fingerprint '%s': want sha256: and 64 hex "
			    "digits",
			    c->fingerprint);
			goto fail;
		}
		pinned =
		    mdlen == sizeof want && memcmp(md, want, sizeof want) == 0;
	}
	/* Not pinned, and the directory alone did not know the issuer: the
	 * bundle file too (a pinned certificate needs neither). */
	if (!pinned && conn_issuer_error(vr))
		vr = conn_verify_full(c, ssl, cert);
	if (pinned) {
		plog_note(c->log, c->host,
		    "certificate sha256 %s matches tls-fingerprint", fp);
	} else if (vr == X509_V_ERR_HOSTNAME_MISMATCH ||
	    vr == X509_V_ERR_IP_ADDRESS_MISMATCH) {
		names = conn_cert_names(cert);
		conn_failf(c, CONN_FAIL_TLS,
		    "host name mismatch for %s: certificate is for %s "
		    "(sha256 fingerprint %s)",
		    c->host, names, fp);
		free(names);
		goto fail;
	} else if (vr != X509_V_OK) {
		conn_failf(c, CONN_FAIL_TLS,
		    "certificate verify failed for %s: %s (sha256 "
		    "fingerprint %s)",
		    c->host, X509_verify_cert_error_string(vr), fp);
		goto fail;
	}
ok:
	free(c->leaf);
	c->leaf = fp;
	c->tls_ok = 1;
	if (c->sess != NULL)
		conn_session_save(c);
	X509_free(cert);
	return 0;

fail:
	free(fp);
	X509_free(cert);
	return -1;
}

/* The handshake failed: name OpenSSL's reason, or the socket's. */
static void
conn_tls_failed(struct conn *c)
{
	unsigned long e, last;
	int saved = EVUTIL_SOCKET_ERROR();
	const char *why;

	last = 0;
	while ((e = bufferevent_get_openssl_error(c->bev)) != 0)
		last = e;
	if (last == 0)
		last = ERR_peek_last_error();
	ERR_clear_error();
	if (last != 0 && (why = ERR_reason_error_string(last)) != NULL)
		conn_failf(c, CONN_FAIL_TLS, "TLS handshake with %s failed: %s",
		    c->host, why);
	else if (saved != 0 && saved != EAGAIN && saved != EINPROGRESS)
		/* The network, not TLS: a reset is a connection lost. */
		conn_failf(c, CONN_FAIL_IO, "TLS handshake with %s failed: %s",
		    c->host, strerror(saved));
	else
		conn_failf(c, CONN_FAIL_CLOSED,
		    "%s closed the connection during the TLS handshake",
		    c->host);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->state != CONN_STATE_UP)
		return;
	if (c->expect)
		conn_arm_timer(c, c->idle_timeout); /* it is talking */
	if (c->zin != NULL &&
	    (conn_inflate(c) != 0 || evbuffer_get_length(c->zbuf) == 0))
		return; /* failed, or not a whole deflate block yet */
	conn_deliver(c, CONN_EV_READ);
}

/* The output fell to the drain mark: the writer may queue more. */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->state != CONN_STATE_UP || c->drain_cb == NULL || c->dead)
		return;
	c->in_cb++;
	c->drain_cb(c, c->arg);
	c->in_cb--;
	if (c->dead && c->in_cb == 0)
		conn_destroy(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	int saved = EVUTIL_SOCKET_ERROR();
	unsigned long e;

	if (c->state == CONN_STATE_HANDSHAKE) {
		if (what & BEV_EVENT_CONNECTED) {
			if (conn_tls_check(c) != 0)
				return;
			c->tls_version = SSL_get_version(
			    bufferevent_openssl_get_ssl(c->bev));
			plog_note(c->log, c->host, "TLS established: %s",
			    c->tls_version);
			conn_set_state(c, CONN_STATE_UP);
			if (c->expect)
				conn_arm_timer(c, c->idle_timeout);
			else
				evtimer_del(c->timer);
			conn_deliver(
			    c, c->starttls ? CONN_EV_TLS : CONN_EV_CONNECTED);
			return;
		}
		if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
			EVUTIL_SET_SOCKET_ERROR(saved);
			conn_tls_failed(c);
		}
		return;
	}
	if (c->state != CONN_STATE_UP)
		return;
	/* Let the protocol layer read what came before the end (a BYE). */
	if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) != 0 && c->zin != NULL &&
	    conn_inflate(c) != 0)
		return; /* failed on the compressed stream */
	if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) != 0 &&
	    evbuffer_get_length(conn_inbuf(c)) > 0) {
		if (conn_deliver(c, CONN_EV_READ) || c->state != CONN_STATE_UP)
			return;
	}
	if (what & BEV_EVENT_EOF)
		conn_failf(
		    c, CONN_FAIL_CLOSED, "%s closed the connection", c->host);
	else if (what & BEV_EVENT_ERROR) {
		if (c->tls_version != NULL &&
		    (e = bufferevent_get_openssl_error(bev)) != 0)
			conn_failf(c, CONN_FAIL_IO, "TLS error with %s: %s",
			    c->host,
			    ERR_reason_error_string(e) != NULL
			        ? ERR_reason_error_string(e)
			        : "unknown");
		else if (saved == ECONNRESET || saved == 0)
			conn_failf(c, CONN_FAIL_CLOSED,
			    "%s closed the connection", c->host);
		else
			conn_failf(c, CONN_FAIL_IO,
			    "connection to %s failed: %s", c->host,
			    strerror(saved));
	}
}

/* "127.0.0.1" or "::1"; the caller frees it. */
static char *
conn_addr_string(const struct sockaddr *sa)
{
	char buf[INET6_ADDRSTRLEN];
	const void *a;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else
		return xstrdup("?");
	if (inet_ntop(sa->sa_family, a, buf, sizeof buf) == NULL)
		return xstrdup("?");
	return xstrdup(buf);
}

/* Parse "sha256:HEX" (colons optional, any case) into 32 bytes. */
static int
conn_fingerprint_parse(const char *s, unsigned char *out)
{
	size_t n;
	int hi, v;

	if (strncasecmp(s, "sha256:", 7) == 0)
		s += 7;
	n = 0;
	hi = -1;
	for (; *s != '\0'; s++) {
		if (*s == ':' || *s == ' ')
			continue;
		if (!isxdigit((unsigned char)*s))
			return -1;
		if (isdigit((unsigned char)*s))
			v = *s - '0';
		else
			v = tolower((unsigned char)*s) - 'a' + 10;
		if (hi == -1)
			hi = v;
		else {
			if (n == 32)
				return -1;
			out[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	return (n == 32 && hi == -1) ? 0 : -1;
}

/* "AB:CD:..."; the caller frees it. */
static char *
conn_fingerprint_format(const unsigned char *md, unsigned int len)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned int i;
	char *s, *p;

	p = s = xmalloc(len * 3 + 1);
	for (i = 0; i < len; i++) {
		if (i > 0)
			*p++ = ':';
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 0xf];
	}
	*p = '\0';
	return s;
}

/* The names a certificate is for, "a, b, c"; the caller frees it. */
static char *
conn_cert_names(X509 *cert)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *gen;
	X509_NAME *subj;
	char *out = NULL, buf[INET6_ADDRSTRLEN], cn[256];
	size_t len = 0;
	int i, count = 0, n;

	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		gen = sk_GENERAL_NAME_value(gens, i);
		if (gen->type == GEN_DNS)
			conn_names_add(&out, &len, &count,
			    (const char *)ASN1_STRING_get0_data(gen->d.dNSName),
			    (size_t)ASN1_STRING_length(gen->d.dNSName));
		else if (gen->type == GEN_IPADD) {
			n = ASN1_STRING_length(gen->d.iPAddress);
			if ((n == 4 &&
			        inet_ntop(AF_INET,
			            ASN1_STRING_get0_data(gen->d.iPAddress),
			            buf, sizeof buf) != NULL) ||
			    (n == 16 &&
			        inet_ntop(AF_INET6,
			            ASN1_STRING_get0_data(gen->d.iPAddress),
			            buf, sizeof buf) != NULL))
				conn_names_add(
				    &out, &len, &count, buf, strlen(buf));
		}
	}
	GENERAL_NAMES_free(gens);
	if (count == 0 && (subj = X509_get_subject_name(cert)) != NULL) {
		n = X509_NAME_get_text_by_NID(
		    subj, NID_commonName, cn, sizeof cn);
		if (n > 0)
			conn_names_add(&out, &len, &count, cn, (size_t)n);
	}
	if (out == NULL)
		return xstrdup("no names");
	return out;
}

/* Append one name to the list, made safe to print; a few at most. */
static void
conn_names_add(char **out, size_t *len, int *count, const char *name, size_t n)
{
	size_t i, need;
	char *p;

	if (*count > CONN_MAX_NAMES)
		return;
	if (*count == CONN_MAX_NAMES) {
		name = "...";
		n = 3;
	}
	if (n > 253)
		n = 253;
	need = *len + n + 3;
	*out = xreallocarray(*out, need, 1);
	p = *out + *len;
	if (*count > 0) {
		*p++ = ',';
		*p++ = ' ';
	}
	for (i = 0; i < n; i++) {
		/* A certificate is untrusted input: no control bytes. */
		unsigned char ch = (unsigned char)name[i];
		*p++ = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
	}
	*p = '\0';
	*len = (size_t)(p - *out);
	(*count)++;
}

int
conn_fail_is_offline(enum conn_fail f)
{
	return f == CONN_FAIL_RESOLVE || f == CONN_FAIL_CONNECT ||
	    f == CONN_FAIL_TIMEOUT || f == CONN_FAIL_CLOSED ||
	    f == CONN_FAIL_IO;
}
