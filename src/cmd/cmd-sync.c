/* errand: a terminal mail user agent. See LICENSE.
 * errand sync [ACCOUNT [FOLDER...]]: bring the cache up to date with the
 * server, one summary line a folder (new, changed, vanished); for a POP3
 * account, bring the mail home into its Maildir instead. Then send the
 * outbox. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "engine/pop3-fetch.h"
#include "engine/session.h"
#include "engine/sync.h"
#include "content/text.h"
#include "xmalloc.h"
#include "cache/store.h"

static int cmd_sync_exec(struct cmd_ctx *, int, char **);
static void sync_print(const struct sync_folder_stats *, void *);
static void sync_progress(const char *, uint32_t, uint32_t, void *);
static void sync_alert(const char *, void *);
static int cmd_sync_pop3(
    struct cmd_ctx *, const struct account *, int, char **, int);
static void pop3_print(const struct pop3_fetch_stats *, void *);
static void pop3_notice(const char *, void *);
static void progress_end(void *);

const struct cmd_entry cmd_sync_entry = {
    "sync",
    "[-a ACCOUNT | ACCOUNT] [FOLDER...]",
    "bring the cache up to date (default: subscribed folders)",
    cmd_sync_exec,
};

/* "INBOX: 12000/100000" over itself on a terminal. */
static void
sync_progress(const char *folder, uint32_t done, uint32_t total, void *arg)
{
	char *name;

	name = text_clean_line(folder);
	fprintf(stderr, "\r%s: %u/%u", name, done, total);
	free(name);
	*(int *)arg = 1;
}

/* End the "\rINBOX: n/m" line, if there is one, before other output. */
static void
progress_end(void *arg)
{
	if (*(int *)arg) {
		fputc('\n', stderr);
		*(int *)arg = 0;
	}
}

static void
sync_alert(const char *text, void *arg)
{
	char *t;

	progress_end(arg);
	t = text_clean_line(text);
	cmd_error("server alert: %s", t);
	free(t);
}

static void
sync_print(const struct sync_folder_stats *s, void *arg)
{
	char *name;

	progress_end(arg);
	name = text_clean_line(s->name);
	printf("%s: %u new, %u changed, %u vanished%s (%s)\n", name, s->added,
	    s->changed, s->vanished, s->reset ? ", cache rebuilt" : "",
	    s->method);
	free(name);
	fflush(stdout);
}

static void
pop3_print(const struct pop3_fetch_stats *s, void *arg)
{
	progress_end(arg);
	printf("%s: %u new, 0 changed, %u deleted on server (%s)\n", s->name,
	    s->added, s->deleted, s->method);
	fflush(stdout);
}

static void
pop3_notice(const char *text, void *arg)
{
	char *t;

	progress_end(arg);
	t = text_clean_line(text);
	cmd_error("%s", t);
	free(t);
}

/* A POP3 account has one folder, INBOX, brought home into the Maildir. */
static int
cmd_sync_pop3(struct cmd_ctx *ctx, const struct account *a, int argc,
    char **argv, int first)
{
	struct pop3_fetch_params pp;
	enum pop3_fetch_result r;
	struct session *s;
	struct store *st;
	char *err;
	int i, progress_shown = 0, rc;

	for (i = first; i < argc; i++) {
		if (strcasecmp(argv[i], "INBOX") != 0) {
			cmd_error("%s: no folder '%s': a POP3 account has only "
			          "INBOX",
			    a->name, argv[i]);
			return CMD_EXIT_USAGE;
		}
	}
	if ((st = cmd_store_open(a)) == NULL)
		return CMD_EXIT_FAIL;
	memset(&pp, 0, sizeof pp);
	if (isatty(STDERR_FILENO))
		pp.progress = sync_progress;
	pp.notice = pop3_notice;
	pp.done = pop3_print;
	pp.arg = &progress_shown;
	s = cmd_session(ctx, a, st);
	r = pop3_fetch_run(s, &pp, &err);
	session_free(s);
	/* The cache follows the Maildir, for list and the interface. */
	if (r == POP3_FETCH_OK && cmd_local_refresh(ctx, a, st, 1) != 0) {
		store_close(st);
		return CMD_EXIT_FAIL;
	}
	progress_end(&progress_shown);
	/* Online: the outbox goes too. */
	rc = r == POP3_FETCH_OK ? cmd_outbox_flush(ctx, a, st) : CMD_EXIT_OK;
	store_close(st);
	if (r != POP3_FETCH_OK) {
		if (ctx->dl.passed)
			cmd_error_account(ctx, a, err);
		else
			cmd_error("%s: %s%s", a->name,
			    r == POP3_FETCH_OFFLINE ? "offline: " : "", err);
		free(err);
		return cmd_exit_failed(ctx);
	}
	return rc;
}

static int
cmd_sync_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct account *a;
	struct sync_params sp;
	struct session *s;
	struct store *st;
	char *err;
	enum sync_result r;
	int progress_shown = 0, first, rc;

	if ((a = cmd_account_arg(ctx, &cmd_sync_entry, argc, argv, &first)) ==
	    NULL)
		return CMD_EXIT_USAGE;
	if (!url_is_imap(a->url.scheme))
		return cmd_sync_pop3(ctx, a, argc, argv, first);
	/* The SYN (and the TLS set-up) go while the cache opens. */
	s = cmd_session(ctx, a, NULL);
	session_connect_early(s);
	if ((st = cmd_store_open(a)) == NULL) {
		session_free(s);
		return CMD_EXIT_FAIL;
	}
	session_set_store(s, st);
	memset(&sp, 0, sizeof sp);
	if (argc > first) {
		sp.folders = (const char *const *)argv + first;
		sp.nfolders = argc - first;
	}
	if (isatty(STDERR_FILENO))
		sp.progress = sync_progress;
	sp.alert = sync_alert;
	sp.done = sync_print;
	sp.arg = &progress_shown;
	r = sync_run(s, &sp, &err);
	session_free(s);
	progress_end(&progress_shown);
	/* Online: the outbox goes too. */
	rc = r == SYNC_OK ? cmd_outbox_flush(ctx, a, st) : CMD_EXIT_OK;
	store_close(st);
	if (r != SYNC_OK) {
		if (ctx->dl.passed)
			cmd_error_account(ctx, a, err);
		else
			cmd_error("%s: %s%s", a->name,
			    r == SYNC_OFFLINE ? "offline: " : "", err);
		free(err);
		return cmd_exit_failed(ctx);
	}
	return rc;
}
