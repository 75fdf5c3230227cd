/* errand: a terminal mail user agent. See LICENSE.
 * The command line: global options, the configuration, and the dispatch
 * to a command from cmd_table. Exit status 0 on success, 1 when a command
 * fails, 2 for a usage or configuration error (nothing else has started),
 * 124 when its sync-timeout passed. */

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "config.h"
#include "content/text.h"
#include "xmalloc.h"
#include "net/plog.h"
#include "ui/ui.h"

static void usage(FILE *);

static void
usage(FILE *f)
{
	const struct cmd_entry **ce;
	char *head;

	fprintf(f,
	    "usage: errand [-c FILE] [-d LOGFILE] [-a ACCOUNT] [-f FOLDER]\n"
	    "       errand [-c FILE] [-d LOGFILE] [-a ACCOUNT] [-T SECONDS] "
	    "COMMAND [ARGS]\n"
	    "\n"
	    "A terminal mail user agent for IMAP and POP3. Without a "
	    "command,\nthe full-screen interface opens on the account's "
	    "INBOX (? shows the keys).\n"
	    "\n"
	    "Commands:\n");
	for (ce = cmd_table; *ce != NULL; ce++) {
		xasprintf(&head, "%s %s", (*ce)->name, (*ce)->args);
		if (strlen(head) > 30)
			fprintf(
			    f, "  %s\n  %-30s  %s\n", head, "", (*ce)->help);
		else
			fprintf(f, "  %-30s  %s\n", head, (*ce)->help);
		free(head);
	}
	fprintf(f,
	    "\n"
	    "Options:\n"
	    "  -c, --config FILE   read FILE instead of "
	    "$XDG_CONFIG_HOME/errand/config\n"
	    "  -d, --debug FILE    append a protocol log to FILE "
	    "(passwords shown as <secret>)\n"
	    "  -a, --account NAME  use this account (default: the "
	    "first)\n"
	    "  -f, --folder NAME   open this folder instead of INBOX\n"
	    "  -T, --sync-timeout SECONDS\n"
	    "                      give up a command that talks to the "
	    "server after\n"
	    "                      SECONDS (or none), keeping what it "
	    "stored\n"
	    "  -h, --help          show this help and exit\n"
	    "  -V, --version       show the version and exit\n"
	    "\n"
	    "Exit status: 0 success, 1 a command failed, 2 usage or "
	    "configuration error,\n"
	    "124 the command's sync-timeout passed.\n"
	    "See errand(1) and errand.conf(5).\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"debug", required_argument, NULL, 'd'},
	    {"account", required_argument, NULL, 'a'},
	    {"folder", required_argument, NULL, 'f'},
	    {"sync-timeout", required_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const struct cmd_entry **ce;
	struct cmd_ctx ctx;
	char *path = NULL, *logpath = NULL, *err, *clean, *folder = NULL;
	const struct account *a;
	int ch, rc;

	/* A server that closes while we write must not kill errand. */
	signal(SIGPIPE, SIG_IGN);
	memset(&ctx, 0, sizeof ctx);

	opterr = 0; /* getopt would echo a bad option raw */
	while ((ch = getopt_long(
	            argc, argv, "+:a:c:d:f:hT:V", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			ctx.account = optarg;
			break;
		case 'c':
			path = optarg;
			break;
		case 'd':
			logpath = optarg;
			break;
		case 'f':
			folder = optarg;
			break;
		case 'T':
			if (config_parse_sync_timeout(
			        optarg, &ctx.sync_timeout) != 0) {
				cmd_error("--sync-timeout: '%s' is not none or "
				          "a number of seconds from 1 to %d",
				    optarg, CONFIG_SYNC_TIMEOUT_MAX);
				return CMD_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return CMD_EXIT_OK;
		case 'V':
			printf("errand %s\n", PACKAGE_VERSION);
			return CMD_EXIT_OK;
		default:
			cmd_option_error(ch, argv);
			usage(stderr);
			return CMD_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	ce = NULL;
	if (argc > 0) {
		for (ce = cmd_table; *ce != NULL; ce++) {
			if (strcmp((*ce)->name, argv[0]) == 0)
				break;
		}
	}
	if (argc > 0 && folder != NULL) {
		cmd_error("-f is for the interface, not '%s'", argv[0]);
		usage(stderr);
		return CMD_EXIT_USAGE;
	}
	if (ce == NULL && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		cmd_error("no command given, and the full-screen interface "
		          "needs a terminal (for scripts: errand list, errand "
		          "sync)");
		return CMD_EXIT_USAGE;
	}
	if (ce != NULL && *ce == NULL) {
		cmd_error("unknown command '%s'", argv[0]);
		usage(stderr);
		return CMD_EXIT_USAGE;
	}

	path = path != NULL ? xstrdup(path) : config_default_path();
	if (path == NULL) {
		cmd_error("neither XDG_CONFIG_HOME nor HOME is set; use -c "
		          "FILE");
		return CMD_EXIT_USAGE;
	}
	if (config_load(path, &ctx.cf, &err) != 0) {
		/* It names the file, which may be any bytes given to -c. */
		clean = text_clean_line(err);
		fprintf(stderr, "%s\n", clean);
		free(clean);
		free(err);
		free(path);
		return CMD_EXIT_USAGE;
	}
	free(path);
	if (logpath != NULL && (ctx.log = plog_open(logpath, &err)) == NULL) {
		cmd_error("%s", err);
		free(err);
		config_free(ctx.cf);
		return CMD_EXIT_USAGE;
	}
	if (ce == NULL) {
		if ((a = cmd_account(&ctx, NULL)) == NULL)
			rc = CMD_EXIT_USAGE;
		else
			rc = ui_run(&ctx, a, folder);
	} else {
		/* Commands parse their own options from argv[0] on. */
		optind = 0;
		ctx.command = (*ce)->name;
		rc = (*ce)->exec(&ctx, argc, argv);
	}
	cmd_loop_free(&ctx);
	plog_close(ctx.log);
	config_free(ctx.cf);
	return rc;
}
