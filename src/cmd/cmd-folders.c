/* errand: a terminal mail user agent. See LICENSE.
 * errand folders [-a ACCOUNT | ACCOUNT] [--offline]: refresh the folder list and its
 * counts (unless --offline) and print one line a folder: the decoded name,
 * the total and the unseen count, tab-separated, INBOX first. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/cmd.h"
#include "url.h"
#include "engine/sync.h"
#include "content/text.h"
#include "xmalloc.h"
#include "cache/store.h"

static int cmd_folders_exec(struct cmd_ctx *, int, char **);
static void folders_print(const struct store_folder *);

const struct cmd_entry cmd_folders_entry = {
    "folders",
    "[-a ACCOUNT | ACCOUNT] [--offline]",
    "list the folders with total and unseen counts",
    cmd_folders_exec,
};

static void
folders_print(const struct store_folder *f)
{
	char *name;

	name = text_clean_line(f->name);
	printf("%s\t%u\t%u\n", name, f->total, f->unseen);
	free(name);
}

static int
cmd_folders_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct account *a;
	struct sync_params sp;
	struct store_folder *list;
	struct store *st;
	struct cmd_opts o;
	size_t i, n;
	int rc, offline;

	if ((rc = cmd_open_cache(ctx, &cmd_folders_entry, argc, argv, 1, &o)) !=
	    CMD_EXIT_OK)
		return rc;
	if (o.nargs == 1) {
		/* The positional form: folders ACCOUNT. */
		store_close(o.st);
		if (o.named) {
			cmd_error(
			    "usage: errand folders %s", cmd_folders_entry.args);
			return CMD_EXIT_USAGE;
		}
		if ((o.a = cmd_account(ctx, o.args[0])) == NULL)
			return CMD_EXIT_USAGE;
		if ((o.st = cmd_store_open(o.a)) == NULL)
			return CMD_EXIT_FAIL;
	}
	a = o.a;
	st = o.st;
	offline = o.offline;
	if (!url_is_imap(a->url.scheme)) {
		if (cmd_local_refresh(ctx, a, st, offline) != 0) {
			store_close(st);
			return cmd_exit_failed(ctx);
		}
	} else if (!offline) {
		memset(&sp, 0, sizeof sp);
		sp.list_only = 1;
		if (cmd_sync_or_offline(ctx, a, st, &sp) != 0) {
			store_close(st);
			return cmd_exit_failed(ctx);
		}
	}
	if (store_folder_list(st, &list, &n) != 0) {
		cmd_error("%s", store_error(st));
		store_close(st);
		return CMD_EXIT_FAIL;
	}
	if (n == 0) {
		cmd_error("%s: no folders in the cache%s", a->name,
		    offline ? " (sync first)" : "");
		store_folder_list_free(list, n);
		store_close(st);
		return CMD_EXIT_FAIL;
	}
	for (i = 0; i < n; i++) {
		if (strcasecmp(list[i].name, "INBOX") == 0)
			folders_print(&list[i]);
	}
	for (i = 0; i < n; i++) {
		if (strcasecmp(list[i].name, "INBOX") != 0)
			folders_print(&list[i]);
	}
	store_folder_list_free(list, n);
	store_close(st);
	return CMD_EXIT_OK;
}
