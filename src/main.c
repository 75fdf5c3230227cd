/* errand: a terminal mail user agent. See LICENSE.
 * The command line: options, the configuration, and the commands. Exit
 * status 0 on success, 1 when a command fails, 2 for a usage or
 * configuration error (then nothing else has started). */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "config.h"
#include "secret.h"
#include "url.h"
#include "xmalloc.h"
#include "net/greet.h"
#include "net/plog.h"
#include "ui/prompt.h"

#define EXIT_USAGE 2

struct check {
	const struct account *account;
	char *url;
	int ok;
};

static void usage(FILE *);
static int cmd_check(struct config *, const char *, struct plog *);
static void check_done(struct greet *, const struct greet_result *, void *);
static char *account_password(const struct account *, char **);

static const char *progname = "errand";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [-c FILE] [-d LOGFILE] COMMAND [ARGS]\n"
	    "\n"
	    "A terminal mail user agent for IMAP and POP3.\n"
	    "\n"
	    "Commands:\n"
	    "  check [ACCOUNT]   connect to the account (default: the first),\n"
	    "                    verify TLS, log in and report\n"
	    "\n"
	    "Options:\n"
	    "  -c, --config FILE   read FILE instead of "
	    "$XDG_CONFIG_HOME/errand/config\n"
	    "  -d, --debug FILE    append a protocol log to FILE "
	    "(passwords shown as <secret>)\n"
	    "  -h, --help          show this help and exit\n"
	    "  -V, --version       show the version and exit\n"
	    "\n"
	    "Exit status: 0 success, 1 a command failed, 2 usage or "
	    "configuration error.\n"
	    "See errand(1) and errand.conf(5).\n",
	    progname);
}

/* The password from password-command, or asked for on the terminal. */
static char *
account_password(const struct account *a, char **err)
{
	char *pw, *prompt;

	if (a->password_command != NULL) {
		if (secret_from_command(a->password_command, &pw, err) != 0)
			return NULL;
		return pw;
	}
	xasprintf(&prompt, "Password for %s@%s: ",
	    a->url.user != NULL ? a->url.user : getenv("USER"), a->url.host);
	pw = prompt_password(prompt, err);
	free(prompt);
	return pw;
}

static void
check_done(struct greet *g, const struct greet_result *r, void *arg)
{
	struct check *c = arg;

	if (r->ok) {
		printf("%s: ok (%s, %s, logged in)\n", c->account->name, c->url,
		    r->tls_version != NULL ? r->tls_version : "no TLS");
		c->ok = 1;
	} else
		fprintf(stderr, "%s: %s: %s\n", progname, c->account->name,
		    r->error);
	greet_free(g);
}

static int
cmd_check(struct config *cf, const char *name, struct plog *log)
{
	struct event_base *base;
	struct evdns_base *dns;
	struct greet_params gp;
	struct check c;
	const struct account *a;
	char *password, *err, *user;

	if ((a = config_account(cf, name)) == NULL) {
		fprintf(stderr, "%s: no account '%s' in %s\n", progname, name,
		    cf->path);
		return EXIT_USAGE;
	}
	if ((password = account_password(a, &err)) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", progname, a->name, err);
		free(err);
		return 1;
	}
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	/* Name servers are read after the base is made: with
	 * EVDNS_BASE_INITIALIZE_NAMESERVERS, libevent 2.1 keeps the loop
	 * alive after the last lookup. This also reads /etc/hosts. */
	dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (dns != NULL)
		evdns_base_resolv_conf_parse(
		    dns, DNS_OPTIONS_ALL, "/etc/resolv.conf");
	if (dns == NULL)
		fatalx("evdns_base_new failed");

	user = a->url.user != NULL ? a->url.user : getenv("USER");
	memset(&gp, 0, sizeof gp);
	gp.conn.host = a->url.host;
	gp.conn.port = a->url.port;
	gp.conn.tls = url_is_implicit_tls(a->url.scheme) ? CONN_TLS_IMPLICIT
	                                                 : CONN_TLS_NONE;
	gp.conn.ca_file = a->ca_file;
	gp.conn.fingerprint = a->tls_fingerprint;
	gp.conn.connect_timeout = a->connect_timeout;
	gp.conn.idle_timeout = a->timeout;
	gp.conn.log = log;
	gp.proto = url_is_imap(a->url.scheme) ? GREET_IMAP : GREET_POP3;
	gp.starttls = !url_is_implicit_tls(a->url.scheme);
	gp.user = user != NULL ? user : "";
	gp.password = password;

	memset(&c, 0, sizeof c);
	c.account = a;
	c.url = url_format(&a->url);
	greet_start(base, dns, &gp, check_done, &c);
	event_base_dispatch(base);
	secret_free(password);
	free(c.url);
	evdns_base_free(dns, 0);
	event_base_free(base);
	return c.ok ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"debug", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct config *cf;
	struct plog *log = NULL;
	char *path = NULL, *logpath = NULL, *err;
	const char *cmd;
	int ch, rc;

	/* A server that closes while we write must not kill errand. */
	signal(SIGPIPE, SIG_IGN);

	while (
	    (ch = getopt_long(argc, argv, "+c:d:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			free(path);
			path = xstrdup(optarg);
			break;
		case 'd':
			logpath = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("errand %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		fprintf(stderr,
		    "%s: no command given; the full-screen "
		    "interface comes later (try '%s check')\n",
		    progname, progname);
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[0];
	if (strcmp(cmd, "check") != 0) {
		fprintf(stderr, "%s: unknown command '%s'\n", progname, cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argc > 2) {
		fprintf(
		    stderr, "%s: check takes at most one account\n", progname);
		return EXIT_USAGE;
	}

	if (path == NULL && (path = config_default_path()) == NULL) {
		fprintf(stderr,
		    "%s: neither XDG_CONFIG_HOME nor HOME is set; "
		    "use -c FILE\n",
		    progname);
		return EXIT_USAGE;
	}
	if (config_load(path, &cf, &err) != 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		free(path);
		return EXIT_USAGE;
	}
	if (logpath != NULL && (log = plog_open(logpath, &err)) == NULL) {
		fprintf(stderr, "%s: %s\n", progname, err);
		free(err);
		config_free(cf);
		free(path);
		return EXIT_USAGE;
	}
	rc = cmd_check(cf, argc > 1 ? argv[1] : NULL, log);
	plog_close(log);
	config_free(cf);
	free(path);
	return rc;
}
