/* errand: a terminal mail user agent. See LICENSE.
 * Test driver for the POP3 session (net/pop3.c): connects with the options
 * given, logs in, runs the steps asked for (stat, list, uidl, retr, top,
 * dele, rset, noop, quit, drop) and prints one line per result, so shell
 * tests against a scripted server or Dovecot can grep them. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "xmalloc.h"
#include "net/conn.h"
#include "net/plog.h"
#include "net/pop3.h"

/* One step and what it is about. */
struct step {
	char name[16];
	uint32_t n;
	uint32_t lines;
	FILE *out; /* retr, top: the body goes here */
	size_t bytes;
	size_t pieces;
};

static void usage(void);
static void parse_steps(const char *);
static void next_step(void);
static void start_step(struct step *);
static const char *err_name(enum pop3_err);
static void connect_cb(struct pop3 *, const struct pop3_result *, void *);
static void done_cb(struct pop3 *, const struct pop3_result *, void *);
static void data_cb(struct pop3 *, const char *, size_t, void *);
static char *read_password(const char *);

static struct event_base *base;
static struct pop3 *pp;
static struct step steps[256];
static size_t nsteps, cur, ndone;
static int all_at_once;
static const char *outdir;
static int status = 0;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pop3-driver [-S] [-P] [-M MECH] [-A] [-L] [-a CA] [-d LOG] "
	    "[-i CAPS] "
	    "[-u USER]\n"
	    "    [-p PWFILE] [-o DIR] [-x STEPS] [-t SECONDS] HOST PORT\n"
	    "  -S  plain port with STLS (default: pop3s)\n"
	    "  -A  start every step at once (pipelined where offered)\n"
	    "  -L  USER/PASS rather than AUTH\n"
	    "  -P  plain port without STLS\n"
	    "  -M  SASL mechanism (auto, plain, scram-sha-256...); prints "
	    "auth=MECH\n"
	    "  -i  capabilities to ignore, comma-separated: PIPELINING,UIDL,"
	    "TOP,SASL\n"
	    "  -o  write each retr/top body to DIR/N\n"
	    "  -x  steps, comma-separated: stat list list:N uidl uidl:N "
	    "retr:N top:N:LINES dele:N rset noop quit drop (default "
	    "stat,quit)\n");
	exit(2);
}

static unsigned int
cap_bits(const char *s)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} caps[] = {
	    {"PIPELINING", POP3_CAP_PIPELINING},
	    {"UIDL", POP3_CAP_UIDL},
	    {"TOP", POP3_CAP_TOP},
	    {"SASL", POP3_CAP_SASL_PLAIN},
	    {"STLS", POP3_CAP_STLS},
	};
	unsigned int bits = 0;
	size_t i, n;

	while (*s != '\0') {
		n = strcspn(s, ",");
		for (i = 0; i < sizeof caps / sizeof caps[0]; i++) {
			if (strlen(caps[i].name) == n &&
			    strncasecmp(s, caps[i].name, n) == 0)
				bits |= caps[i].bit;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return bits;
}

static char *password;
static int show_auth;

/* The password for a login starting now, as the session gives it. */
static const char *
give_secret(void *arg)
{
	return password;
}

int
main(int argc, char **argv)
{
	struct pop3_params p;
	struct plog *log = NULL;
	const char *pwfile = NULL, *logpath = NULL, *stepstr = "stat,quit";
	char *err, *end;
	int ch, m;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&p, 0, sizeof p);
	p.conn.tls = CONN_TLS_IMPLICIT;
	p.user = "demo";
	p.conn.connect_timeout = 10;
	p.conn.idle_timeout = 10;
	while ((ch = getopt(argc, argv, "SPM:ALa:d:i:u:p:o:x:t:")) != -1) {
		switch (ch) {
		case 'S':
			p.starttls = 1;
			p.conn.tls = CONN_TLS_NONE;
			break;
		case 'A':
			all_at_once = 1;
			break;
		case 'P':
			p.starttls = 0;
			p.conn.tls = CONN_TLS_NONE;
			break;
		case 'M':
			show_auth = 1;
			if (strcmp(optarg, "auto") == 0)
				p.auth = SASL_AUTO;
			else if ((m = sasl_mech_from_name(
			              optarg, strlen(optarg))) > 0)
				p.auth = m;
			else
				usage();
			if (p.auth == SASL_OAUTHBEARER ||
			    p.auth == SASL_XOAUTH2)
				p.auth_can = SASL_CAN_TOKEN;
			break;
		case 'L':
			p.no_sasl = 1;
			break;
		case 'a':
			p.conn.ca_file = optarg;
			break;
		case 'd':
			logpath = optarg;
			break;
		case 'i':
			p.ignore_caps = cap_bits(optarg);
			break;
		case 'u':
			p.user = optarg;
			break;
		case 'p':
			pwfile = optarg;
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'x':
			stepstr = optarg;
			break;
		case 't':
			p.conn.idle_timeout = (int)strtol(optarg, &end, 10);
			p.conn.connect_timeout = p.conn.idle_timeout;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	parse_steps(stepstr);
	p.conn.host = argv[optind];
	p.conn.port = (int)strtol(argv[optind + 1], &end, 10);
	if (logpath != NULL && (log = plog_open(logpath, &err)) == NULL) {
		fprintf(stderr, "pop3-driver: %s\n", err);
		return 2;
	}
	p.conn.log = log;
	password = pwfile != NULL ? read_password(pwfile) : NULL;
	p.secret = give_secret;

	base = event_base_new();
	pp = pop3_new(base, NULL, &p);
	pop3_connect(pp, connect_cb, NULL);
	if (all_at_once) {
		/* Queued before the login completes: they wait for it. */
		while (cur < nsteps && strcmp(steps[cur].name, "drop") != 0)
			start_step(&steps[cur++]);
	}
	event_base_dispatch(base);
	pop3_free(pp);
	conn_base_free(base);
	plog_close(log);
	free(password);
	return status;
}

static void
parse_steps(const char *s)
{
	struct step *st;
	size_t n;
	char buf[64], *q;

	while (*s != '\0') {
		n = strcspn(s, ",");
		if (n >= sizeof buf || nsteps == sizeof steps / sizeof steps[0])
			usage();
		memcpy(buf, s, n);
		buf[n] = '\0';
		st = &steps[nsteps++];
		memset(st, 0, sizeof *st);
		if ((q = strchr(buf, ':')) != NULL) {
			*q++ = '\0';
			st->n = (uint32_t)strtoul(q, &q, 10);
			if (*q == ':')
				st->lines = (uint32_t)strtoul(q + 1, &q, 10);
		}
		if (strlen(buf) >= sizeof st->name)
			usage();
		memcpy(st->name, buf, strlen(buf) + 1);
		s += n;
		if (*s == ',')
			s++;
	}
}

static char *
read_password(const char *path)
{
	char buf[1024];
	FILE *f;

	if ((f = fopen(path, "r")) == NULL ||
	    fgets(buf, sizeof buf, f) == NULL) {
		fprintf(stderr, "pop3-driver: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return xstrdup(buf);
}

static const char *
err_name(enum pop3_err e)
{
	switch (e) {
	case POP3_ERR_NONE:
		return "none";
	case POP3_ERR_ERR:
		return "err";
	case POP3_ERR_AUTH:
		return "auth";
	case POP3_ERR_CONN:
		return "conn";
	case POP3_ERR_PROTO:
		return "proto";
	case POP3_ERR_CLOSED:
		return "closed";
	}
	return "?";
}

/* Print the failure; a -ERR lets the steps go on if the session does. */
static int
failed(const char *what, const struct pop3_result *r)
{
	const char *code = pop3_code_name(r->code);

	if (r->err == POP3_ERR_NONE)
		return 0;
	printf("error %s %s%s%s: %s\n", what, err_name(r->err),
	    code != NULL ? " " : "", code != NULL ? code : "", r->error);
	status = 1;
	if (r->err != POP3_ERR_ERR || pop3_state(pp) == POP3_STATE_CLOSED)
		event_base_loopbreak(base);
	return 1;
}

static void
next_step(void)
{
	if (all_at_once) {
		if (++ndone >= cur) {
			if (cur < nsteps) /* drop */
				printf("drop\n");
			event_base_loopbreak(base);
		}
		return;
	}
	if (cur == nsteps) {
		event_base_loopbreak(base);
		return;
	}
	if (strcmp(steps[cur].name, "drop") == 0) {
		/* Leave without QUIT: pop3_free() in main closes. */
		printf("drop\n");
		event_base_loopbreak(base);
		return;
	}
	start_step(&steps[cur++]);
}

static void
start_step(struct step *st)
{
	char path[4096];

	if (outdir != NULL &&
	    (strcmp(st->name, "retr") == 0 || strcmp(st->name, "top") == 0)) {
		snprintf(
		    path, sizeof path, "%s/%s-%u", outdir, st->name, st->n);
		if ((st->out = fopen(path, "wb")) == NULL) {
			fprintf(stderr, "pop3-driver: cannot write %s\n", path);
			exit(2);
		}
	}
	if (strcmp(st->name, "stat") == 0)
		pop3_stat(pp, done_cb, st);
	else if (strcmp(st->name, "list") == 0)
		pop3_list(pp, st->n, done_cb, st);
	else if (strcmp(st->name, "uidl") == 0)
		pop3_uidl(pp, st->n, done_cb, st);
	else if (strcmp(st->name, "retr") == 0)
		pop3_retr(pp, st->n, data_cb, done_cb, st);
	else if (strcmp(st->name, "top") == 0)
		pop3_top(pp, st->n, st->lines, data_cb, done_cb, st);
	else if (strcmp(st->name, "dele") == 0)
		pop3_dele(pp, st->n, done_cb, st);
	else if (strcmp(st->name, "rset") == 0)
		pop3_rset(pp, done_cb, st);
	else if (strcmp(st->name, "noop") == 0)
		pop3_noop(pp, done_cb, st);
	else if (strcmp(st->name, "quit") == 0)
		pop3_quit(pp, done_cb, st);
	else {
		fprintf(stderr, "pop3-driver: unknown step '%s'\n", st->name);
		exit(2);
	}
}

static void
connect_cb(struct pop3 *p, const struct pop3_result *r, void *arg)
{
	const char *stamp = pop3_apop_timestamp(p);

	if (failed("connect", r))
		return;
	printf("connected tls=%s caps=%#x\n",
	    pop3_tls_version(p) != NULL ? pop3_tls_version(p) : "none",
	    pop3_caps(p));
	printf("capa %s\n", pop3_capa_string(p));
	if (show_auth)
		printf("auth=%s\n",
		    pop3_auth_mech(p) != NULL ? pop3_auth_mech(p) : "none");
	if (stamp != NULL)
		printf("apop %s\n", stamp);
	if (!all_at_once)
		next_step();
}

static void
data_cb(struct pop3 *p, const char *data, size_t len, void *arg)
{
	struct step *st = arg;

	st->bytes += len;
	st->pieces++;
	if (st->out != NULL && fwrite(data, 1, len, st->out) != len) {
		fprintf(stderr, "pop3-driver: write failed\n");
		exit(2);
	}
}

static void
done_cb(struct pop3 *p, const struct pop3_result *r, void *arg)
{
	struct step *st = arg;
	char what[32];
	size_t i;

	if (st->out != NULL) {
		fclose(st->out);
		st->out = NULL;
	}
	snprintf(what, sizeof what, "%s", st->name);
	if (st->n > 0)
		snprintf(what, sizeof what, "%s %u", st->name, st->n);
	if (failed(what, r)) {
		if (r->err == POP3_ERR_ERR &&
		    pop3_state(pp) != POP3_STATE_CLOSED)
			next_step();
		return;
	}
	if (strcmp(st->name, "stat") == 0)
		printf("stat count=%u size=%llu\n", r->count,
		    (unsigned long long)r->size);
	for (i = 0; i < r->nmsgs; i++) {
		if (r->msgs[i].uidl != NULL)
			printf("uidl n=%u uid=%s\n", r->msgs[i].n,
			    r->msgs[i].uidl);
		else
			printf("list n=%u size=%llu\n", r->msgs[i].n,
			    (unsigned long long)r->msgs[i].size);
	}
	if (strcmp(st->name, "retr") == 0 || strcmp(st->name, "top") == 0)
		printf(
		    "%s bytes=%zu pieces=%zu\n", what, st->bytes, st->pieces);
	printf("%s ok\n", what);
	next_step();
}
