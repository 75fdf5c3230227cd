/* errand: a terminal mail user agent. See LICENSE.
 * The benchmark's floor: a minimal IMAP client that logs in over TLS,
 * selects a mailbox and runs one UID FETCH 1:* of the fields errand fetches,
 * reading the answer and throwing it away, so that its time is the cost of
 * the protocol itself. Can also set flags (one UID STORE) for the bench.
 * RFC 9051 / RFC 3501 (IMAP), RFC 7162 (CONDSTORE), RFC 8314 (imaps).
 */

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define FETCH_FULL                                                             \
	"UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE "                   \
	"MODSEQ BODY.PEEK[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID "  \
	"IN-REPLY-TO REFERENCES CONTENT-TYPE)])"
#define FETCH_FLAGS "UID FETCH 1:* (UID FLAGS)"

#define HEAD_MAX 64 /* bytes kept from the start of a response */
#define TAIL_MAX 32 /* bytes kept from the end of a line */

struct conn {
	SSL *ssl;
	unsigned char buf[256 * 1024];
	size_t off;     /* next unread byte in buf */
	size_t len;     /* bytes in buf */
	uint64_t bytes; /* bytes read in all */
	unsigned tag;   /* last tag sent */
};

static void die(const char *, ...);
static int fill(struct conn *);
static void send_cmd(struct conn *, const char *, ...);
static int read_response(struct conn *, char *, size_t, uint64_t *);
static int run_cmd(struct conn *, const char *, uint64_t *, ...);

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("floor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* Read more into the buffer; 0 on success, -1 at end of stream. */
static int
fill(struct conn *c)
{
	int n;

	c->off = 0;
	n = SSL_read(c->ssl, c->buf, sizeof c->buf);
	if (n <= 0) {
		c->len = 0;
		return -1;
	}
	c->len = n;
	c->bytes += n;
	return 0;
}

static void
send_cmd(struct conn *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, m;

	n = snprintf(line, sizeof line, "a%u ", ++c->tag);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof line - n - 2, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= sizeof line - n - 2)
		die("command too long");
	n += m;
	line[n++] = '\r';
	line[n++] = '\n';
	if (SSL_write(c->ssl, line, n) != n)
		die("write failed");
}

/*
 * Read one response (a line with its literals) and keep its first bytes in
 * HEAD, NUL-terminated. Literals are skipped without copying; *LITBYTES
 * grows by their size. 0 on success, -1 if the server went away.
 */
static int
read_response(struct conn *c, char *head, size_t headsz, uint64_t *litbytes)
{
	char tail[TAIL_MAX];
	size_t hlen = 0, tlen = 0, n, k;
	unsigned char *nl;
	uint64_t lit;
	char *p;

	for (;;) {
		if (c->off == c->len && fill(c) == -1)
			return -1;
		nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		n = (nl != NULL ? (size_t)(nl - c->buf) : c->len) - c->off;
		k = n < headsz - 1 - hlen ? n : headsz - 1 - hlen;
		memcpy(head + hlen, c->buf + c->off, k);
		hlen += k;
		if (n >= TAIL_MAX) {
			memcpy(tail, c->buf + c->off + n - TAIL_MAX, TAIL_MAX);
			tlen = TAIL_MAX;
		} else {
			if (tlen + n > TAIL_MAX) {
				memmove(tail, tail + tlen + n - TAIL_MAX,
				    TAIL_MAX - n);
				tlen = TAIL_MAX - n;
			}
			memcpy(tail + tlen, c->buf + c->off, n);
			tlen += n;
		}
		c->off += n;
		if (nl == NULL)
			continue;
		c->off++; /* the newline */

		/* A line ending in {N}\r goes on after N bytes of literal. */
		if (tlen >= 4 && tail[tlen - 1] == '\r' &&
		    tail[tlen - 2] == '}') {
			p = tail + tlen - 3;
			lit = 0;
			while (p > tail && *p >= '0' && *p <= '9')
				p--;
			if (*p == '{' && p < tail + tlen - 3) {
				lit = strtoull(p + 1, NULL, 10);
				*litbytes += lit;
				while (lit > 0) {
					if (c->off == c->len && fill(c) == -1)
						return -1;
					k = c->len - c->off;
					if (k > lit)
						k = lit;
					c->off += k;
					lit -= k;
				}
				tlen = 0;
				continue;
			}
		}
		head[hlen] = '\0';
		return 0;
	}
}

/*
 * Send a command and read until its tagged answer. Returns the number of
 * FETCH responses; dies unless the answer is OK.
 */
static int
run_cmd(struct conn *c, const char *fmt, uint64_t *litbytes, ...)
{
	char head[HEAD_MAX], tag[16];
	char line[1024];
	va_list ap;
	int fetches = 0, m;

	va_start(ap, litbytes);
	m = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= sizeof line)
		die("command too long");
	send_cmd(c, "%s", line);
	snprintf(tag, sizeof tag, "a%u ", c->tag);
	for (;;) {
		if (read_response(c, head, sizeof head, litbytes) == -1)
			die("connection closed during a%u", c->tag);
		if (head[0] == '*') {
			if (strstr(head, " FETCH ") != NULL)
				fetches++;
			continue;
		}
		if (strncmp(head, tag, strlen(tag)) == 0) {
			if (strncmp(head + strlen(tag), "OK", 2) != 0)
				die("a%u: %s", c->tag, head);
			return fetches;
		}
	}
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: floor [-f | -s UIDSET FLAGOP] -p PORT -u USER "
	    "-w PASSFILE -C CAFILE [-m MAILBOX]\n"
	    "  -f  fetch only (UID FLAGS), not the headers\n"
	    "  -s  instead of fetching, UID STORE UIDSET FLAGOP, e.g. "
	    "'1,5:9' '+FLAGS.SILENT (\\Flagged)'\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *user = NULL, *passfile = NULL, *cafile = NULL;
	const char *mailbox = "INBOX", *storeset = NULL, *storeop = NULL;
	struct sockaddr_in sin;
	struct conn *c;
	struct timespec t0, t1;
	char head[HEAD_MAX], pass[256];
	uint64_t lit = 0;
	SSL_CTX *ctx;
	FILE *fp;
	int ch, fd, one = 1, flags_only = 0, port = 0, n;

	while ((ch = getopt(argc, argv, "C:fm:p:s:u:w:")) != -1) {
		switch (ch) {
		case 'C':
			cafile = optarg;
			break;
		case 'f':
			flags_only = 1;
			break;
		case 'm':
			mailbox = optarg;
			break;
		case 'p':
			port = (int)strtol(optarg, NULL, 10);
			break;
		case 's':
			storeset = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'w':
			passfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (storeset != NULL) {
		if (optind >= argc)
			usage();
		storeop = argv[optind++];
	}
	if (optind != argc || user == NULL || passfile == NULL ||
	    cafile == NULL || port <= 0 || port > 65535)
		usage();
	if ((fp = fopen(passfile, "r")) == NULL ||
	    fgets(pass, sizeof pass, fp) == NULL)
		die("cannot read '%s'", passfile);
	fclose(fp);
	pass[strcspn(pass, "\r\n")] = '\0';

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		die("SSL_CTX_new");
	if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1)
		die("cannot load '%s'", cafile);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		die("connect: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

	if ((c = calloc(1, sizeof *c)) == NULL)
		die("out of memory");
	if ((c->ssl = SSL_new(ctx)) == NULL)
		die("SSL_new");
	X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), "127.0.0.1");
	SSL_set_fd(c->ssl, fd);
	if (SSL_connect(c->ssl) != 1)
		die("TLS handshake failed");

	if (read_response(c, head, sizeof head, &lit) == -1 ||
	    strncmp(head, "* OK", 4) != 0)
		die("no greeting");
	/* A quoted password: the test passwords are hex, nothing to escape. */
	run_cmd(c, "LOGIN %s \"%s\"", &lit, user, pass);
	run_cmd(c, "SELECT \"%s\"", &lit, mailbox);
	if (storeset != NULL) {
		n = run_cmd(c, "UID STORE %s %s", &lit, storeset, storeop);
	} else
		n = run_cmd(
		    c, "%s", &lit, flags_only ? FETCH_FLAGS : FETCH_FULL);
	send_cmd(c, "LOGOUT");
	clock_gettime(CLOCK_MONOTONIC, &t1);

	printf("messages %d bytes %llu literal-bytes %llu seconds %.3f\n", n,
	    (unsigned long long)c->bytes, (unsigned long long)lit,
	    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	SSL_free(c->ssl);
	SSL_CTX_free(ctx);
	close(fd);
	free(c);
	return 0;
}
