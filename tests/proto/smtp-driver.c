/* errand: a terminal mail user agent. See LICENSE.
 * Test driver for the SMTP session (net/smtp.c): sends one message file
 * through smtp_send() (or checks the account with smtp_check()) and prints
 * the outcome one fact a line, so shell tests against a scripted server or
 * a real MTA can grep them. */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "xmalloc.h"
#include "net/conn.h"
#include "net/plog.h"
#include "net/sasl.h"
#include "net/smtp.h"

static void usage(void);
static void done_cb(const struct smtp_result *, void *);
static const char *secret_cb(void *);
static char *read_password(const char *);

static int status = 2;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: smtp-driver [-S] [-c] [-a CA] [-d LOG] [-u USER] "
	    "[-p PWFILE]\n"
	    "    [-f FROM] [-r RCPT]... [-m FILE] [-t SECONDS] HOST PORT\n"
	    "  -S  smtp:// with STARTTLS (default: smtps://)\n"
	    "  -c  check only: connect, EHLO, AUTH, QUIT\n"
	    "  -m  the message to send\n");
	exit(2);
}

static const char *
secret_cb(void *arg)
{
	return arg;
}

static char *
read_password(const char *path)
{
	char buf[1024];
	FILE *f;

	if ((f = fopen(path, "r")) == NULL ||
	    fgets(buf, sizeof buf, f) == NULL) {
		fprintf(stderr, "smtp-driver: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return xstrdup(buf);
}

static void
done_cb(const struct smtp_result *r, void *arg)
{
	size_t i;

	for (i = 0; i < r->nrefused; i++)
		printf("refused %s code=%d enhanced=%s: %s\n",
		    r->refused[i].rcpt, r->refused[i].code,
		    r->refused[i].enhanced ? r->refused[i].enhanced : "-",
		    r->refused[i].text);
	printf("%s code=%d enhanced=%s network=%d data_sent=%d tls=%s "
	       "mech=%s%s%s\n",
	    r->status == SMTP_OK             ? "ok"
	        : r->status == SMTP_TEMPFAIL ? "tempfail"
	                                     : "permfail",
	    r->code, r->enhanced ? r->enhanced : "-", r->network, r->data_sent,
	    r->tls_version ? r->tls_version : "-", r->mech ? r->mech : "-",
	    r->text ? ": " : "", r->text ? r->text : "");
	status = r->status == SMTP_OK ? 0 : 1;
	event_base_loopbreak(arg); /* evdns keeps the loop alive */
}

int
main(int argc, char **argv)
{
	struct smtp_params p;
	struct event_base *base;
	struct plog *log = NULL;
	const char *pwfile = NULL, *logpath = NULL, *from = "demo@example.org";
	const char *msg = NULL, *rcpts[64];
	size_t nrcpt = 0;
	char *err, *pw = NULL, *end;
	int ch, check = 0, fd = -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&p, 0, sizeof p);
	p.tls = SMTP_TLS_IMPLICIT;
	p.connect_timeout = 10;
	p.timeout = 10;
	while ((ch = getopt(argc, argv, "Sca:d:u:p:f:r:m:t:H:M:")) != -1) {
		switch (ch) {
		case 'S':
			p.tls = SMTP_TLS_STARTTLS;
			break;
		case 'c':
			check = 1;
			break;
		case 'a':
			p.ca_file = optarg;
			break;
		case 'd':
			logpath = optarg;
			break;
		case 'u':
			p.user = optarg;
			break;
		case 'p':
			pwfile = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'r':
			if (nrcpt == sizeof rcpts / sizeof rcpts[0])
				usage();
			rcpts[nrcpt++] = optarg;
			break;
		case 'm':
			msg = optarg;
			break;
		case 'H':
			p.helo = optarg;
			break;
		case 'M':
			if ((p.auth = sasl_mech_from_name(
			         optarg, strlen(optarg))) < 0)
				usage();
			break;
		case 't':
			p.timeout = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || p.timeout <= 0)
				usage();
			p.connect_timeout = p.timeout;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || (!check && msg == NULL))
		usage();
	p.host = argv[0];
	p.port = (int)strtol(argv[1], &end, 10);
	if (*end != '\0')
		usage();
	if (pwfile != NULL) {
		pw = read_password(pwfile);
		p.secret = secret_cb;
		p.secret_arg = pw;
	}
	if (logpath != NULL && (log = plog_open(logpath, &err)) == NULL) {
		fprintf(stderr, "smtp-driver: %s\n", err);
		exit(2);
	}
	p.log = log;
	if (msg != NULL && (fd = open(msg, O_RDONLY)) == -1) {
		fprintf(stderr, "smtp-driver: cannot open %s\n", msg);
		exit(2);
	}
	base = event_base_new();
	p.dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (check)
		smtp_check(base, &p, done_cb, base);
	else
		smtp_send(base, &p, from, rcpts, nrcpt, fd, done_cb, base);
	event_base_dispatch(base);
	evdns_base_free(p.dns, 0);
	conn_base_free(base);
	plog_close(log);
	if (fd != -1)
		close(fd);
	free(pw);
	return status;
}
