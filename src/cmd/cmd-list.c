/* errand: a terminal mail user agent. See LICENSE.
 * errand list [-a ACCOUNT] [--offline] [FOLDER]: sync the folder (unless
 * --offline), then print its messages newest first, one a line:
 * UID, mutt's flag letters, ISO 8601 date, sender, subject, tab-separated. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "config.h"
#include "url.h"
#include "engine/model.h"
#include "engine/sync.h"
#include "content/text.h"
#include "xmalloc.h"
#include "cache/store.h"

static int cmd_list_exec(struct cmd_ctx *, int, char **);
static void list_flags(unsigned int, char *);
static void list_date(int64_t, char *, size_t);

const struct cmd_entry cmd_list_entry = {
    "list",
    "[-a ACCOUNT] [--offline] [FOLDER]",
    "sync a folder (default INBOX) and list its messages",
    cmd_list_exec,
};

/* mutt's letters: N unseen, r answered, ! flagged, D deleted, - none. */
static void
list_flags(unsigned int flags, char *out)
{
	char *p = out;

	if (!(flags & STORE_FLAG_SEEN))
		*p++ = 'N';
	if (flags & STORE_FLAG_ANSWERED)
		*p++ = 'r';
	if (flags & STORE_FLAG_FLAGGED)
		*p++ = '!';
	if (flags & STORE_FLAG_DELETED)
		*p++ = 'D';
	if (p == out)
		*p++ = '-';
	*p = '\0';
}

/* Local time as 2026-11-27T09:05:00+01:00. */
static void
list_date(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;
	size_t n;

	if (t == 0 || localtime_r(&tt, &tm) == NULL ||
	    (n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm)) < 5) {
		snprintf(buf, size, "-");
		return;
	}
	/* +0100 → +01:00 */
	if (n + 2 <= size) {
		memmove(buf + n - 1, buf + n - 2, 3);
		buf[n - 2] = ':';
	}
}

void
cmd_list_line(uint32_t uid, unsigned int mflags, int64_t mdate,
    const char *mfrom, const char *msubject)
{
	char *from, *subject, flags[8], date[40];

	list_flags(mflags, flags);
	list_date(mdate, date, sizeof date);
	from = text_clean_line(mfrom);
	subject = text_clean_line(msubject);
	printf("%u\t%s\t%s\t%s\t%s\n", uid, flags, date, from, subject);
	free(from);
	free(subject);
}

static int
cmd_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct account *a, *other;
	struct sync_params sp;
	struct store_folder f;
	const struct model_msg *mm;
	struct store *st;
	struct model *m;
	struct cmd_opts o;
	const char *folder = "INBOX";
	char *err;
	size_t i, n;
	int offline, rc;

	if ((rc = cmd_open_cache(ctx, &cmd_list_entry, argc, argv, 1, &o)) !=
	    CMD_EXIT_OK)
		return rc;
	a = o.a;
	st = o.st;
	offline = o.offline;
	if (o.nargs == 1)
		folder = o.args[0];
	/* A name that is also another account's: say which is meant. */
	other = config_account(ctx->cf, folder);
	if (other == a)
		other = NULL;

	if (!url_is_imap(a->url.scheme)) {
		/* POP3: the mail is home, in the Maildir. */
		if (cmd_local_refresh(ctx, a, st, offline) != 0) {
			store_close(st);
			return cmd_exit_failed(ctx);
		}
	} else if (!offline) {
		memset(&sp, 0, sizeof sp);
		sp.folders = &folder;
		sp.nfolders = 1;
		if (cmd_sync_or_offline(ctx, a, st, &sp) != 0) {
			if (other != NULL)
				cmd_error("for the account '%s': errand list "
				          "-a %s",
				    folder, folder);
			store_close(st);
			return cmd_exit_failed(ctx);
		}
	}

	if ((rc = store_folder_get(st, folder, &f)) != 0) {
		if (rc == 1 && other != NULL)
			cmd_error("%s: no folder '%s' (for the account '%s': "
			          "errand list -a %s)",
			    a->name, folder, folder, folder);
		else if (rc == 1)
			cmd_error("%s: no folder '%s' in the cache%s", a->name,
			    folder, offline ? " (sync it first)" : "");
		else
			cmd_error("%s", store_error(st));
		store_close(st);
		return CMD_EXIT_FAIL;
	}
	if (other != NULL && !o.named)
		fprintf(stderr,
		    "errand: '%s' is a folder of %s and an account: listing "
		    "the folder (for the account: errand list -a %s)\n",
		    folder, a->name, folder);
	m = model_load(st, f.id, &err);
	store_folder_clear(&f);
	if (m == NULL) {
		cmd_error("%s", err);
		free(err);
		store_close(st);
		return CMD_EXIT_FAIL;
	}
	n = model_count(m);
	for (i = 0; i < n; i++) {
		mm = model_msg(m, i);
		cmd_list_line(mm->uid, mm->flags, mm->date,
		    model_str(m, mm->from), model_str(m, mm->subject));
	}
	model_free(m);
	store_close(st);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cmd_error("writing the list: %s", "output error");
		return CMD_EXIT_FAIL;
	}
	return CMD_EXIT_OK;
}
