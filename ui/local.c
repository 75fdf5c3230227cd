/* errand: a terminal mail user agent. See LICENSE.
 * The interface on a POP3 account's local folders: what a sync is for an
 * IMAP folder is here an index of the Maildir (src/local) and, for the
 * folder list and every poll-interval, a POP3 fetch on the loop, so new
 * mail comes home while the keys keep working. */

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "engine/local.h"
#include "engine/maildir-index.h"
#include "engine/maildir.h"
#include "engine/pop3-fetch.h"
#include "private.h"
#include "xmalloc.h"

static void ui_local_progress(const char *, uint32_t, uint32_t, void *);
static void ui_local_notice(const char *, void *);
static void ui_local_done(const struct pop3_fetch_stats *, void *);
static void ui_local_finished(enum pop3_fetch_result, const char *, void *);
static void ui_local_fetch(struct ui *);
static void ui_local_index(struct ui *, const char *);

/* Index a folder and show what changed. */
static void
ui_local_index(struct ui *ui, const char *name)
{
	struct maildir_index_stats stats;
	char *err;

	memset(&stats, 0, sizeof stats);
	if (local_refresh_folder(ui->local, name, 0, &stats, &err) != 0) {
		ui_message(ui, 1, "%s", err);
		free(err);
		return;
	}
	if (strcmp(name, ui->folder) == 0 &&
	    (stats.added != 0 || stats.changed != 0 || stats.removed != 0))
		ui_index_reload(ui);
}

void
ui_local_sync(struct ui *ui)
{
	char *err;

	/* The open folder first: reloaded only when its files changed. The
	 * refresh of every folder then finds it current. */
	if (ui->want_folder || ui->want_list) {
		ui->want_folder = 0;
		ui_local_index(ui, ui->folder);
	}
	if (!ui->want_list)
		return;
	ui->want_list = 0;
	if (local_refresh(ui->local, 0, &err) != 0) {
		ui_message(ui, 1, "%s", err);
		free(err);
	} else if (ui->folders != NULL)
		ui_folders_load(ui);
	ui_local_fetch(ui);
	ui_dirty(ui);
}

/* Bring new mail home, unless a fetch is running. */
static void
ui_local_fetch(struct ui *ui)
{
	struct pop3_fetch_params pp;
	char *err;

	if (ui->pop3 != NULL || !ui_password(ui))
		return;
	session_retry_cancel(ui->s);
	if (ui->pop3_md == NULL &&
	    (ui->pop3_md = maildir_open(local_root(ui->local), &err)) == NULL) {
		session_set_net(ui->s, SESSION_NET_ERROR, err);
		free(err);
		return;
	}
	memset(&pp, 0, sizeof pp);
	pp.progress = ui_local_progress;
	pp.notice = ui_local_notice;
	pp.done = ui_local_done;
	pp.finished = ui_local_finished;
	pp.arg = ui;
	ui_sync_begins(ui);
	ui->pop3 = pop3_fetch_start(ui->s, ui->pop3_md, &pp);
}

static void
ui_local_progress(const char *folder, uint32_t done, uint32_t total, void *arg)
{
	struct ui *ui = arg;

	(void)folder;
	ui->prog_done = done;
	ui->prog_total = total;
	session_set_net(ui->s, SESSION_NET_SYNCING, session_net_reason(ui->s));
	ui_dirty(ui);
}

static void
ui_local_notice(const char *text, void *arg)
{
	ui_message(arg, 0, "%s", text);
}

static void
ui_local_done(const struct pop3_fetch_stats *st, void *arg)
{
	struct ui *ui = arg;

	if (st->added > 0)
		ui_message(ui, 0, "%u new message%s", st->added,
		    st->added == 1 ? "" : "s");
}

static void
ui_local_finished(enum pop3_fetch_result r, const char *err, void *arg)
{
	struct ui *ui = arg;

	switch (r) {
	case POP3_FETCH_OK:
		session_set_net(ui->s, SESSION_NET_ONLINE, NULL);
		session_retry_reset(ui->s);
		break;
	case POP3_FETCH_OFFLINE:
		session_set_net(ui->s, SESSION_NET_OFFLINE, err);
		ui->want_list = 1;
		session_retry_later(ui->s);
		break;
	case POP3_FETCH_FAILED:
		session_set_net(ui->s, SESSION_NET_ERROR, err);
		ui_message(ui, 1, "%s", err);
		break;
	}
	/* err belongs to the fetch: used above, before it goes. */
	pop3_fetch_free(ui->pop3);
	ui->pop3 = NULL;
	/* What came home, in the index and the counts. */
	ui_local_index(ui, "INBOX");
	if (ui->folders != NULL)
		ui_folders_load(ui);
	ui_dirty(ui);
}

int
ui_local_cancel(struct ui *ui)
{
	if (ui->pop3 == NULL)
		return 0;
	/* Dropped without QUIT: nothing is deleted on the server. */
	pop3_fetch_free(ui->pop3);
	ui->pop3 = NULL;
	session_set_net(ui->s, SESSION_NET_ONLINE, session_net_reason(ui->s));
	ui_local_index(ui, "INBOX");
	return 1;
}

void
ui_local_free(struct ui *ui)
{
	pop3_fetch_free(ui->pop3);
	ui->pop3 = NULL;
	maildir_close(ui->pop3_md);
	ui->pop3_md = NULL;
}
