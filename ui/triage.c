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
#include "cache/store.h"

#define UI_QUEUE_RETRY_MS 200 /* between two tries to write the queue */

static void ui_undo_note(struct ui *, uint32_t, char, int);
static void ui_triage_done(struct ui *);
static void ui_triage_queue_arm(struct ui *);
static void ui_triage_on_queue(evutil_socket_t, short, void *);
static unsigned int ui_triage_queued_flags(struct ui *, uint32_t, unsigned int);

/* New journal rows: the live session may send them. */
static void
ui_triage_wake(void *arg)
{
	struct ui *ui = arg;

	ui->be->ops->wake(ui->be);
}

/* Before a write: a running sync's open chunk is committed first. */
static int
ui_triage_prepare(void *arg)
{
	struct ui *ui = arg;

	return backend_flush(ui->be);
}

void
ui_triage_init(struct ui *ui)
{
	triage_init(&ui->triage, ui->st, ui_triage_wake, ui_triage_prepare, ui);
}

/* After an operation: changes left for the cache are tried again soon. */
static void
ui_triage_done(struct ui *ui)
{
	if (ui->triage.nqueue > 0)
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
	size_t before = ui->triage.nqueue;
	int rc;

	if (ui->triage.nqueue == 0)
		return 0;
	if (wait_ms != UI_BUSY_WAIT_MS)
		store_set_busy_wait(ui->st, wait_ms);
	rc = triage_flush(&ui->triage);
	if (wait_ms != UI_BUSY_WAIT_MS)
		store_set_busy_wait(ui->st, UI_BUSY_WAIT_MS);
	if (ui->triage.nqueue < before)
		ui_dirty(ui);
	if (rc == 0)
		return 0;
	/* A lock goes away by itself; another failure (a full disk) is
	 * shown, and the changes are kept all the same. */
	if (!store_locked(ui->st))
		ui_message(ui, 1, "%s (%zu change%s kept in memory)",
		    store_error(ui->st), ui->triage.nqueue,
		    ui->triage.nqueue == 1 ? "" : "s");
	ui_triage_queue_arm(ui);
	return -1;
}

void
ui_triage_queue_show(struct ui *ui)
{
	const struct triage_change *c;
	size_t i;
	long at;

	for (i = 0; ui->model != NULL && i < ui->triage.nqueue; i++) {
		c = &ui->triage.queue[i];
		if (c->folder != ui->folder_id || !c->set_flags ||
		    (at = model_find_uid(ui->model, c->uid)) < 0)
			continue;
		model_set_flags(ui->model, (size_t)at, c->flags);
	}
}

void
ui_triage_queue_free(struct ui *ui)
{
	triage_clear(&ui->triage);
	if (ui->ev_queue != NULL)
		event_free(ui->ev_queue);
	ui->ev_queue = NULL;
}

/* A message's flags as the queue will leave them (the cache's are stale
 * while changes to it wait). */
static unsigned int
ui_triage_queued_flags(struct ui *ui, uint32_t uid, unsigned int flags)
{
	return triage_flags(&ui->triage, ui->folder_id, uid, flags);
}
static char *ui_triage_deleted_ids(struct ui *);

void
ui_undo_clear(struct ui *ui)
{
	size_t i;

	for (i = 0; i < ui->nundo; i++)
		free(ui->undo[i].dest_raw);
	ui->nundo = 0;
}

void
ui_triage_moved(struct ui *ui, uint32_t uid, const char *dest_raw,
    uint32_t dest_uidvalidity, uint32_t dest_uid)
{
	size_t i;

	for (i = 0; i < ui->nundo; i++) {
		if (ui->undo[i].letter == 'M' && ui->undo[i].uid == uid) {
			free(ui->undo[i].dest_raw);
			ui->undo[i].dest_raw = xstrdup(dest_raw);
			ui->undo[i].dest_uid = dest_uid;
			ui->undo[i].dest_uidvalidity = dest_uidvalidity;
		}
	}
}
static int ui_triage_tagged(struct ui *, enum keymap_action);

/* Remember a change for U (not while undoing). */
static void
ui_undo_note(struct ui *ui, uint32_t uid, char letter, int was_set)
{
	if (ui->undoing)
		return;
	ui->undo = xreallocarray(ui->undo, ui->nundo + 1, sizeof *ui->undo);
	memset(&ui->undo[ui->nundo], 0, sizeof *ui->undo);
	ui->undo[ui->nundo].uid = uid;
	ui->undo[ui->nundo].letter = letter;
	ui->undo[ui->nundo].was_set = was_set;
	ui->nundo++;
}

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

	ui_undo_clear(ui);
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
		bit = a == KEYMAP_TOGGLE_NEW ? STORE_FLAG_SEEN
		                             : STORE_FLAG_FLAGGED;
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

/* Whether the live session is sending the journal row id right now. */
static int
ui_triage_in_flight(int64_t id, void *arg)
{
	struct ui *ui = arg;

	return backend_in_flight(ui->be, id);
}

void
ui_triage_undo(struct ui *ui)
{
	size_t i, n = ui->nundo;
	char *err;
	int rc;

	if (n == 0) {
		ui_message(ui, 0, "nothing to undo");
		return;
	}
	if (ui_triage_queue_write(ui, UI_BUSY_WAIT_MS) != 0) {
		ui_message(ui, 1,
		    "cannot undo yet: another errand is writing to the cache");
		return;
	}
	ui->undoing = 1;
	for (i = n; i > 0; i--) {
		struct ui_undo *u = &ui->undo[i - 1];

		if (u->letter != 'M') {
			ui_triage_flag(ui, u->uid, u->letter, u->was_set);
			continue;
		}
		/* Local folders: the file goes back at once (0); IMAP
		 * through the journal (1). */
		rc = u->dest_raw == NULL
		    ? 1
		    : ui->be->ops->move(ui->be, u->dest_raw, u->dest_uid,
		          ui->folder, 0, NULL, &err);
		if (rc < 0) {
			ui_message(ui, 1, "cannot undo: %s", err);
			free(err);
			ui->undoing = 0;
			ui_undo_clear(ui);
			ui_index_reload(ui);
			return;
		}
		if (rc == 0)
			continue;
		rc = triage_unmove(&ui->triage, ui->folder, u->uid, u->dest_raw,
		    u->dest_uid, u->dest_uidvalidity, ui_triage_in_flight, ui,
		    &err);
		if (rc == 1) {
			ui_message(ui, 1,
			    "the move is with the server right now: U again "
			    "in a moment");
			ui->undoing = 0;
			return;
		}
		if (rc != 0) {
			ui_message(ui, 1, "cannot undo: %s", err);
			free(err);
		}
	}
	ui->undoing = 0;
	ui_undo_clear(ui);
	ui_index_reload(ui);
	ui_message(ui, 0, "undone");
}

int
ui_triage_flag(struct ui *ui, uint32_t uid, char letter, int set)
{
	struct store_folder f;
	struct store_msg m;
	unsigned int bit = live_flag_bit(letter, 1), flags;
	char *err;
	long at;
	int rc;

	if (ui->folder_id == 0 || store_folder_get(ui->st, ui->folder, &f) != 0)
		return -1;
	if (store_msg_get(ui->st, ui->folder_id, uid, &m) != 0) {
		store_folder_clear(&f);
		ui_message(ui, 1, "message %u is no longer in the cache", uid);
		return -1;
	}
	m.flags = ui_triage_queued_flags(ui, uid, m.flags);
	if (set < 0)
		set = !(m.flags & bit);
	flags = set ? m.flags | bit : m.flags & ~bit;
	if (flags == m.flags) {
		store_folder_clear(&f);
		return 0;
	}
	ui_undo_note(ui, uid, letter, (m.flags & bit) != 0);
	if ((rc = ui->be->ops->set_flags(
	         ui->be, ui->folder, uid, flags, &err)) != 1) {
		store_folder_clear(&f);
		if (rc != 0) {
			ui_message(ui, 1, "%s", err);
			free(err);
			if (!ui->undoing && ui->nundo > 0)
				ui->nundo--;
			return -1;
		}
		if (ui->model != NULL &&
		    (at = model_find_uid(ui->model, uid)) >= 0)
			model_set_flags(ui->model, (size_t)at, flags);
		ui_dirty(ui);
		return 0;
	}
	store_folder_clear(&f);
	if (triage_flag(&ui->triage, ui->folder, uid, letter, set, &flags, NULL,
	        &err) < 0) {
		ui_message(ui, 1, "%s", err);
		free(err);
		if (!ui->undoing && ui->nundo > 0)
			ui->nundo--;
		return -1;
	}
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
	ui_undo_clear(ui);
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
ui_triage_deleted(struct ui *ui, char **uids)
{
	size_t i, n = ui->model != NULL ? model_count(ui->model) : 0;
	size_t len = 0, cap = 0;
	uint32_t count = 0;
	char *s = NULL;
	int w;

	for (i = 0; i < n; i++) {
		if (!(model_msg(ui->model, i)->flags & STORE_FLAG_DELETED))
			continue;
		count++;
		if (uids == NULL)
			continue;
		/* One growing buffer: "12,40,41" for any count. */
		if (len + 12 > cap) {
			cap = cap == 0 ? 256 : cap * 2;
			s = xreallocarray(s, cap, 1);
		}
		w = snprintf(s + len, cap - len, "%s%u", len > 0 ? "," : "",
		    model_msg(ui->model, i)->uid);
		len += (size_t)w;
	}
	if (uids != NULL)
		*uids = s;
	return count;
}

/* The Message-IDs of the messages marked deleted, space separated in the
 * order of ui_triage_deleted(); NULL when one has none (or one a search
 * could not name). The caller frees it. */
static char *
ui_triage_deleted_ids(struct ui *ui)
{
	size_t i, n = ui->model != NULL ? model_count(ui->model) : 0;
	size_t len = 0, cap = 0, need;
	struct store_msg m;
	char *s = NULL;
	uint32_t uid;

	for (i = 0; i < n; i++) {
		if (!(model_msg(ui->model, i)->flags & STORE_FLAG_DELETED))
			continue;
		uid = model_msg(ui->model, i)->uid;
		if (store_msg_get(ui->st, ui->folder_id, uid, &m) != 0 ||
		    *m.message_id == '\0' ||
		    strpbrk(m.message_id, " \t") != NULL) {
			free(s);
			return NULL;
		}
		/* One growing buffer, as for the UIDs. */
		need = len + strlen(m.message_id) + 2;
		if (need > cap) {
			cap = need > cap * 2 ? need : cap * 2;
			s = xreallocarray(s, cap, 1);
		}
		if (len > 0)
			s[len++] = ' ';
		memcpy(s + len, m.message_id, strlen(m.message_id) + 1);
		len += strlen(m.message_id);
	}
	return s;
}

void
ui_triage_expunge(struct ui *ui)
{
	char *uids, *ids, *err;
	uint32_t n = ui_triage_deleted(ui, &uids);
	int rc;

	if (n > 0 &&
	    (rc = ui->be->ops->expunge(ui->be, ui->folder, &n, &err)) != 1) {
		free(uids);
		if (rc != 0) {
			ui_message(ui, 1, "%s", err);
			free(err);
		} else
			ui_message(ui, 0, "expunged %u message%s", n,
			    n == 1 ? "" : "s");
		ui_undo_clear(ui);
		ui_index_reload(ui);
		return;
	}
	if (n == 0) {
		free(uids);
		return;
	}
	/* With the messages' Message-IDs, for errand push --retarget. */
	ids = ui_triage_deleted_ids(ui);
	if (triage_expunge(&ui->triage, ui->folder, uids, ids, &err) == 0)
		ui_message(
		    ui, 0, "expunging %u message%s", n, n == 1 ? "" : "s");
	else {
		ui_message(ui, 1, "%s", err);
		free(err);
	}
	free(ids);
	free(uids);
	ui_triage_done(ui);
}

int64_t
ui_triage_pending(struct ui *ui)
{
	return triage_pending(&ui->triage);
}

int
ui_triage_move(struct ui *ui, uint32_t uid, const char *dest, int copy)
{
	struct store_folder f, d;
	uint32_t duid;
	char *err;
	int rc;

	if (ui->folder_id == 0 || store_folder_get(ui->st, ui->folder, &f) != 0)
		return -1;
	if ((rc = store_folder_get(ui->st, dest, &d)) != 0) {
		store_folder_clear(&f);
		ui_message(ui, 1, "no folder '%s'", dest);
		return -1;
	}
	if (d.id == f.id || d.noselect) {
		ui_message(ui, 1, "cannot %s to '%s'%s", copy ? "copy" : "move",
		    dest,
		    d.noselect ? ": it holds folders only" : ": same folder");
		store_folder_clear(&f);
		store_folder_clear(&d);
		return -1;
	}
	if ((rc = ui->be->ops->move(
	         ui->be, ui->folder, uid, d.name, copy, &duid, &err)) != 1) {
		store_folder_clear(&f);
		if (rc != 0) {
			ui_message(ui, 1, "%s", err);
			free(err);
			store_folder_clear(&d);
			return -1;
		}
		if (!copy) {
			ui_undo_note(ui, uid, 'M', 0);
			ui_triage_moved(ui, uid, d.name, 0, duid);
			ui_index_reload_soon(ui);
		}
		ui_message(
		    ui, 0, "%s to %s", copy ? "copied" : "moved", d.name);
		store_folder_clear(&d);
		return 0;
	}
	store_folder_clear(&f);
	if (triage_move(&ui->triage, ui->folder, uid, dest, copy, &err) != 0) {
		ui_message(ui, 1, "%s", err);
		free(err);
		store_folder_clear(&d);
		return -1;
	}
	ui_triage_done(ui);
	if (!copy)
		ui_undo_note(ui, uid, 'M', 0);
	ui_message(ui, 0, "%s to %s", copy ? "copied" : "moved", d.name);
	store_folder_clear(&d);
	if (!copy)
		ui_index_reload_soon(ui);
	return 0;
}

int
ui_triage_archive(struct ui *ui, uint32_t uid)
{
	struct store_folder *list;
	size_t i, n;
	int rc = -1;

	if (store_folder_list(ui->st, &list, &n) != 0) {
		ui_message(ui, 1, "%s", store_error(ui->st));
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
	store_folder_list_free(list, n);
	return rc;
}
