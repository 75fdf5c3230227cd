/* errand: a terminal mail user agent. See LICENSE.
 * errand sync [ACCOUNT [FOLDER...]]: bring the cache up to date with the
 * server, one summary line a folder (new, changed, vanished). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "sync.h"
#include "text.h"
#include "xmalloc.h"
#include "cache/store.h"

static int cmd_sync_exec(struct cmd_ctx *, int, char **);
static void sync_print(const struct sync_folder_stats *, void *);
static void sync_progress(const char *, uint32_t, uint32_t, void *);
static void sync_alert(const char *, void *);

const struct cmd_entry cmd_sync_entry = {
    "sync",
    "[ACCOUNT [FOLDER...]]",
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

static void
sync_alert(const char *text, void *arg)
{
	char *t;

	(void)arg;
	t = text_clean_line(text);
	cmd_error("server alert: %s", t);
	free(t);
}

static void
sync_print(const struct sync_folder_stats *s, void *arg)
{
	char *name;

	if (*(int *)arg) {
		fputc('\n', stderr);
		*(int *)arg = 0;
	}
	name = text_clean_line(s->name);
	printf("%s: %u new, %u changed, %u vanished%s (%s)\n", name, s->added,
	    s->changed, s->vanished, s->reset ? ", cache rebuilt" : "",
	    s->method);
	free(name);
	fflush(stdout);
}

static int
cmd_sync_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct account *a;
	struct sync_params sp;
	struct store *st;
	char *err;
	enum sync_result r;
	int progress_shown = 0;

	if ((a = cmd_account(ctx, argc > 1 ? argv[1] : NULL)) == NULL)
		return CMD_EXIT_USAGE;
	if ((st = cmd_store_open(a)) == NULL)
		return CMD_EXIT_FAIL;
	memset(&sp, 0, sizeof sp);
	if (argc > 2) {
		sp.folders = (const char *const *)argv + 2;
		sp.nfolders = argc - 2;
	}
	if (isatty(STDERR_FILENO))
		sp.progress = sync_progress;
	sp.alert = sync_alert;
	sp.done = sync_print;
	sp.arg = &progress_shown;
	r = sync_run(ctx, a, st, &sp, &err);
	store_close(st);
	if (r != SYNC_OK) {
		cmd_error("%s: %s%s", a->name,
		    r == SYNC_OFFLINE ? "offline: " : "", err);
		free(err);
		return CMD_EXIT_FAIL;
	}
	return CMD_EXIT_OK;
}
