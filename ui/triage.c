/* errand: a terminal mail user agent. See LICENSE.
 * Triage from the index and the pager: a flag change goes into the model,
 * the cache and the journal in one transaction, then the live session
 * sends it; expunge after a confirmation; quitting with changes pending
 * asks whether to wait, keep them for next time or discard them. While
 * another errand holds the cache's write lock, changes wait in memory,
 * shown as done, and are written in order as soon as it lets go. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cmd/cmd.h"
#include "engine/backend.h"
#include "engine/journal.h"
#include "engine/live.h"
#include "private.h"
#include "xmalloc.h"
#include "engine/view.h"

#define UI_QUEUE_RETRY_MS 200 /* between two tries to write the queue */

static void ui_triage_done(struct ui *);
static void ui_triage_queue_arm(struct ui *);
static void ui_triage_on_queue(evutil_socket_t, short, void *);

/* New journal rows: the live session may send them. */
static void
ui_triage_wake(void *arg)
{
	struct ui_account *ua = arg;

	ua->be->ops->wake(ua->be);
}

/* Before a write: a running sync's open chunk is committed first. */
static int
ui_triage_prepare(void *arg)
{
	struct ui_account *ua = arg;

	return backend_flush(ua->be);
}

void
ui_triage_init(struct ui_account *ua)
{
	triage_init(&ua->triage, session_store(ua->s), ui_triage_wake,
	    ui_triage_prepare, ua);
}

/* After an operation: changes left for the cache are tried again soon. */
static void
ui_triage_done(struct ui *ui)
{
	if (ui->acct->triage.nqueue > 0)
		ui_triage_queue_arm(ui);
}

/* Try the queue again in a moment. */
static void
ui_triage_queue_arm(struct ui *ui)
{
	struct timeval tv = {0, UI_QUEUE_RETRY_MS * 1000};

	if (ui->ev_queue == NULL)
		ui->ev_queue =
		    evtimer_new(ui->ctx->base, ui_triage_on_queue, ui);
	if (!evtimer_pending(ui->ev_queue, NULL))
		evtimer_add(ui->ev_queue, &tv);
}

static void
ui_triage_on_queue(evutil_socket_t fd, short what, void *arg)
{
	struct ui *ui = arg;

	(void)fd;
	(void)what;
	ui_triage_queue_write(ui, UI_BUSY_WAIT_MS);
}

int
ui_triage_queue_write(struct ui *ui, int wait_ms)
{
	size_t before = ui->acct->triage.nqueue;
	int rc;

	if (ui->acct->triage.nqueue == 0)
		return 0;
	if (wait_ms != UI_BUSY_WAIT_MS)
		view_busy_wait(ui->s, wait_ms);
	rc = triage_flush(&ui->acct->triage);
	if (wait_ms != UI_BUSY_WAIT_MS)
		view_busy_wait(ui->s, UI_BUSY_WAIT_MS);
	if (ui->acct->triage.nqueue < before)
		ui_dirty(ui);
	if (rc == 0)
		return 0;
	/* A lock goes away by itself; another failure (a full disk) is
	 * shown, and the changes are kept all the same. */
	if (!view_locked(ui->s))
		ui_message(ui, 1, "%s (%zu change%s kept in memory)",
		    view_error(ui->s), ui->acct->triage.nqueue,
		    ui->acct->triage.nqueue == 1 ? "" : "s");
	ui_triage_queue_arm(ui);
	return -1;
}

void
ui_triage_queue_show(struct ui *ui)
{
	const struct triage_change *c;
	size_t i;
	long at;

	for (i = 0; ui->model != NULL && i < ui->acct->triage.nqueue; i++) {
		c = &ui->acct->triage.queue[i];
		if (c->folder != ui->folder_id || !c->set_flags ||
		    (at = model_find_uid(ui->model, c->uid)) < 0)
			continue;
		model_set_flags(ui->model, (size_t)at, c->flags);
	}
}

void
ui_triage_queue_free(struct ui *ui)
{
	triage_clear(&ui->acct->triage);
	if (ui->ev_queue != NULL)
		event_free(ui->ev_queue);
	ui->ev_queue = NULL;
}

static int ui_triage_tagged(struct ui *, enum keymap_action);

int
ui_tagged(const struct ui *ui, uint32_t uid)
{
	size_t i;

	for (i = 0; i < ui->ntags; i++) {
		if (ui->tags[i] == uid)
			return 1;
	}
	return 0;
}

void
ui_tag(struct ui *ui, uint32_t uid, int on)
{
	size_t i;

	for (i = 0; i < ui->ntags; i++) {
		if (ui->tags[i] == uid) {
			if (!on)
				ui->tags[i] = ui->tags[--ui->ntags];
			return;
		}
	}
	if (!on)
		return;
	ui->tags = xreallocarray(ui->tags, ui->ntags + 1, sizeof *ui->tags);
	ui->tags[ui->ntags++] = uid;
}

/* ";" then an action: the action for each tagged message. */
static int
ui_triage_tagged(struct ui *ui, enum keymap_action a)
{
	uint32_t *uids;
	size_t i, n = ui->ntags;
	unsigned int bit = 0;
	int all = 1;
	long at;

	triage_undo_clear(&ui->acct->triage);
	if (a == KEYMAP_MOVE || a == KEYMAP_COPY) {
		if (ui->folders == NULL)
			ui_folders_load(ui);
		ui->prompt_tagged = 1;
		ui->prompt = a == KEYMAP_MOVE ? UI_PROMPT_MOVE : UI_PROMPT_COPY;
		ui->plen = 0;
		ui->pbuf[0] = '\0';
		ui_dirty(ui);
		return 1;
	}
	/* A copy: moves take messages out of the folder (and the tags). */
	uids = xreallocarray(NULL, n > 0 ? n : 1, sizeof *uids);
	memcpy(uids, ui->tags, n * sizeof *uids);
	if (a == KEYMAP_TOGGLE_NEW || a == KEYMAP_TOGGLE_FLAG) {
		/* Like mutt: set on all unless all have it already. */
		bit = a == KEYMAP_TOGGLE_NEW ? MODEL_FLAG_SEEN
		                             : MODEL_FLAG_FLAGGED;
		for (i = 0; i < n; i++) {
			at = model_find_uid(ui->model, uids[i]);
			if (at >= 0 &&
			    !(model_msg(ui->model, (size_t)at)->flags & bit))
				all = 0;
		}
	}
	for (i = 0; i < n; i++) {
		switch (a) {
		case KEYMAP_TOGGLE_NEW:
			ui_triage_flag(ui, uids[i], 'S', !all);
			break;
		case KEYMAP_TOGGLE_FLAG:
			ui_triage_flag(ui, uids[i], 'F', !all);
			break;
		case KEYMAP_DELETE:
		case KEYMAP_UNDELETE:
			ui_triage_flag(ui, uids[i], 'D', a == KEYMAP_DELETE);
			break;
		case KEYMAP_ARCHIVE:
			if (ui_triage_archive(ui, uids[i]) == 0)
				ui_tag(ui, uids[i], 0);
			break;
		default:
			break;
		}
	}
	free(uids);
	ui_message(
	    ui, 0, "done for %zu tagged message%s", n, n == 1 ? "" : "s");
	return 1;
}

int
ui_triage_move_prompted(struct ui *ui, const char *dest, int copy)
{
	uint32_t *uids;
	size_t i, n;
	int rc = 0;

	if (!ui->prompt_tagged)
		return ui_triage_move(ui, ui->prompt_uid, dest, copy);
	n = ui->ntags;
	uids = xreallocarray(NULL, n > 0 ? n : 1, sizeof *uids);
	memcpy(uids, ui->tags, n * sizeof *uids);
	for (i = 0; i < n && rc == 0; i++) {
		rc = ui_triage_move(ui, uids[i], dest, copy);
		if (rc == 0 && !copy)
			ui_tag(ui, uids[i], 0);
	}
	free(uids);
	return rc;
}

void
ui_triage_undo(struct ui *ui)
{
	char *err;

	if (ui->acct->triage.nundo == 0) {
		ui_message(ui, 0, "nothing to undo");
		return;
	}
	if (ui_triage_queue_write(ui, UI_BUSY_WAIT_MS) != 0) {
		ui_message(ui, 1,
		    "cannot undo yet: another errand is writing to the cache");
		return;
	}
	switch (triage_undo(&ui->acct->triage, ui->folder, &err)) {
	case TRIAGE_UNDO_NONE:
		ui_message(ui, 0, "nothing to undo");
		return;
	case TRIAGE_UNDO_BUSY:
		ui_message(ui, 1,
		    "the move is with the server right now: U again in a "
		    "moment");
		return;
	case TRIAGE_UNDO_FAILED:
		ui_message(ui, 1, "cannot undo: %s", err);
		free(err);
		ui_index_reload(ui);
		return;
	case TRIAGE_UNDONE:
		break;
	}
	ui_triage_done(ui);
	ui_index_reload(ui);
	ui_message(ui, 0, "undone");
}

int
ui_triage_flag(struct ui *ui, uint32_t uid, char letter, int set)
{
	unsigned int flags;
	char *err;
	long at;
	int rc;

	if (ui->folder_id == 0)
		return -1;
	rc = triage_mark(
	    &ui->acct->triage, ui->folder, uid, letter, set, &flags, &err);
	if (rc < 0) {
		ui_message(ui, 1, "%s", err);
		free(err);
		return -1;
	}
	if (rc == 1)
		return 0; /* it is so already */
	ui_triage_done(ui);
	if (ui->model != NULL && (at = model_find_uid(ui->model, uid)) >= 0)
		model_set_flags(ui->model, (size_t)at, flags);
	ui_dirty(ui);
	return 0;
}

/* The UID the action is about: the pager's message, else the cursor's. */
static uint32_t
ui_triage_uid(struct ui *ui)
{
	if (ui->screen == KEYMAP_PAGER)
		return ui->puid;
	if (ui->model == NULL || ui->cur >= model_count(ui->model))
		return 0;
	return model_msg(ui->model, ui->cur)->uid;
}

int
ui_triage_key(struct ui *ui, enum keymap_action a, int tagged)
{
	uint32_t uid;
	size_t n;

	switch (a) {
	case KEYMAP_TOGGLE_NEW:
	case KEYMAP_TOGGLE_FLAG:
	case KEYMAP_DELETE:
	case KEYMAP_UNDELETE:
	case KEYMAP_MOVE:
	case KEYMAP_COPY:
	case KEYMAP_ARCHIVE:
		break;
	case KEYMAP_TAG_PREFIX:
		if (ui->ntags == 0) {
			ui_message(ui, 1, "no tagged messages (t tags one)");
			return 1;
		}
		ui->tag_prefix = 1;
		ui_message(ui, 0, "tag- (the next action is for %zu tagged)",
		    ui->ntags);
		return 1;
	case KEYMAP_TAG_PATTERN:
		ui->prompt = UI_PROMPT_TAG;
		ui->plen = 0;
		ui->pbuf[0] = '\0';
		ui_dirty(ui);
		return 1;
	case KEYMAP_UNDO:
		ui_triage_undo(ui);
		return 1;
	case KEYMAP_TAG:
		if ((uid = ui_triage_uid(ui)) == 0)
			return 1;
		ui_tag(ui, uid, !ui_tagged(ui, uid));
		n = ui->model != NULL ? model_count(ui->model) : 0;
		if (ui->screen == KEYMAP_INDEX && ui->cur + 1 < n)
			ui->cur++;
		ui_dirty(ui);
		return 1;
	default:
		return 0;
	}
	if (tagged)
		return ui_triage_tagged(ui, a);
	if ((uid = ui_triage_uid(ui)) == 0)
		return 1;
	triage_undo_clear(&ui->acct->triage);
	switch (a) {
	case KEYMAP_MOVE:
	case KEYMAP_COPY:
		if (ui->folders == NULL)
			ui_folders_load(ui);
		ui->prompt_tagged = 0;
		ui->prompt_uid = uid;
		ui->prompt = a == KEYMAP_MOVE ? UI_PROMPT_MOVE : UI_PROMPT_COPY;
		ui->plen = 0;
		ui->pbuf[0] = '\0';
		ui_dirty(ui);
		break;
	case KEYMAP_ARCHIVE:
		if (ui_triage_archive(ui, uid) == 0 &&
		    ui->screen == KEYMAP_PAGER)
			ui_show(ui, KEYMAP_INDEX);
		break;
	case KEYMAP_TOGGLE_NEW:
		ui_triage_flag(ui, uid, 'S', -1);
		break;
	case KEYMAP_TOGGLE_FLAG:
		ui_triage_flag(ui, uid, 'F', -1);
		break;
	case KEYMAP_DELETE:
	case KEYMAP_UNDELETE:
		ui_triage_flag(ui, uid, 'D', a == KEYMAP_DELETE);
		/* mutt moves on after d and u in the index. */
		n = ui->model != NULL ? model_count(ui->model) : 0;
		if (ui->screen == KEYMAP_INDEX && ui->cur + 1 < n)
			ui->cur++;
		break;
	default:
		break;
	}
	return 1;
}

uint32_t
ui_triage_deleted(struct ui *ui, uint32_t **uids)
{
	size_t i, n = ui->model != NULL ? model_count(ui->model) : 0;
	uint32_t count = 0;

	if (uids != NULL)
		*uids = xreallocarray(NULL, n > 0 ? n : 1, sizeof **uids);
	for (i = 0; i < n; i++) {
		if (!(model_msg(ui->model, i)->flags & MODEL_FLAG_DELETED))
			continue;
		if (uids != NULL)
			(*uids)[count] = model_msg(ui->model, i)->uid;
		count++;
	}
	return count;
}

void
ui_triage_expunge(struct ui *ui)
{
	uint32_t *uids, n = ui_triage_deleted(ui, &uids), count;
	char *err;
	int rc;

	if (n == 0) {
		free(uids);
		return;
	}
	rc = triage_purge(&ui->acct->triage, ui->folder, uids, n, &count, &err);
	free(uids);
	if (rc < 0) {
		ui_message(ui, 1, "%s", err);
		free(err);
	} else if (rc == 0)
		ui_message(ui, 0, "expunged %u message%s", count,
		    count == 1 ? "" : "s");
	else
		ui_message(
		    ui, 0, "expunging %u message%s", n, n == 1 ? "" : "s");
	if (rc != 1) /* local folders: gone from the cache already */
		ui_index_reload(ui);
	ui_triage_done(ui);
}

int64_t
ui_triage_pending(struct ui *ui)
{
	return triage_pending(&ui->acct->triage);
}

int
ui_triage_move(struct ui *ui, uint32_t uid, const char *dest, int copy)
{
	char *name, *err;

	if (ui->folder_id == 0)
		return -1;
	if (triage_file(&ui->acct->triage, ui->folder, uid, dest, copy, &name,
	        &err) != 0) {
		ui_message(ui, 1, "%s", err);
		free(err);
		return -1;
	}
	ui_triage_done(ui);
	ui_message(ui, 0, "%s to %s", copy ? "copied" : "moved", name);
	free(name);
	if (!copy)
		ui_index_reload_soon(ui);
	return 0;
}

int
ui_triage_archive(struct ui *ui, uint32_t uid)
{
	struct view_folder *list;
	size_t i, n;
	int rc = -1;

	if (view_folder_list(ui->s, &list, &n) != 0) {
		ui_message(ui, 1, "%s", view_error(ui->s));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (list[i].special_use != NULL &&
		    strcmp(list[i].special_use, "\\Archive") == 0)
			break;
	}
	if (i == n)
		ui_message(ui, 1,
		    "no Archive folder: the server marks none as \\Archive "
		    "(use s to move)");
	else
		rc = ui_triage_move(ui, uid, list[i].name, 0);
	view_folder_list_free(list, n);
	return rc;
}
