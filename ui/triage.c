/* errand: a terminal mail user agent. See LICENSE.
 * Triage from the index and the pager: a flag change goes into the model,
 * the cache and the journal in one transaction, then the live session
 * sends it; expunge after a confirmation; quitting with changes pending
 * asks whether to wait, keep them for next time or discard them. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "live.h"
#include "sync.h"
#include "private.h"
#include "xmalloc.h"
#include "cache/store.h"

static unsigned int ui_triage_bit(char);

static unsigned int
ui_triage_bit(char letter)
{
	switch (letter) {
	case 'S':
		return STORE_FLAG_SEEN;
	case 'F':
		return STORE_FLAG_FLAGGED;
	case 'D':
		return STORE_FLAG_DELETED;
	case 'A':
		return STORE_FLAG_ANSWERED;
	default:
		return 0;
	}
}

int
ui_triage_flag(struct ui *ui, uint32_t uid, char letter, int set)
{
	struct store_folder f;
	struct store_msg m;
	unsigned int bit = ui_triage_bit(letter), flags;
	char *arg;
	long at;

	if (ui->folder_id == 0 || store_folder_get(ui->st, ui->folder, &f) != 0)
		return -1;
	if (store_msg_get(ui->st, ui->folder_id, uid, &m) != 0) {
		store_folder_clear(&f);
		ui_message(ui, 1, "message %u is no longer in the cache", uid);
		return -1;
	}
	if (set < 0)
		set = !(m.flags & bit);
	flags = set ? m.flags | bit : m.flags & ~bit;
	if (flags == m.flags) {
		store_folder_clear(&f);
		return 0;
	}
	arg = live_flags_arg(set ? '+' : '-', letter, m.modseq, f.raw_name);
	store_folder_clear(&f);
	/* The change and its journal row together, or neither; a running
	 * sync's open chunk is committed first. */
	if (sync_flush(ui->sync) != 0 || store_begin(ui->st) != 0 ||
	    store_msg_set_flags(
	        ui->st, ui->folder_id, uid, flags, m.keywords, 0) != 0 ||
	    store_journal_add(ui->st, ui->folder_id, uid, "flags", arg, NULL) !=
	        0 ||
	    store_commit(ui->st) != 0) {
		ui_message(ui, 1, "%s", store_error(ui->st));
		if (store_in_transaction(ui->st))
			store_rollback(ui->st);
		free(arg);
		return -1;
	}
	free(arg);
	if (ui->model != NULL && (at = model_find_uid(ui->model, uid)) >= 0)
		model_set_flags(ui->model, (size_t)at, flags);
	if (ui->live != NULL)
		live_kick(ui->live);
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
ui_triage_key(struct ui *ui, enum keymap_action a)
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
	default:
		return 0;
	}
	if ((uid = ui_triage_uid(ui)) == 0)
		return 1;
	switch (a) {
	case KEYMAP_MOVE:
	case KEYMAP_COPY:
		if (ui->folders == NULL)
			ui_folders_load(ui);
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
	uint32_t count = 0;
	char *s = NULL, *t;

	for (i = 0; i < n; i++) {
		if (!(model_msg(ui->model, i)->flags & STORE_FLAG_DELETED))
			continue;
		xasprintf(&t, "%s%s%u", s != NULL ? s : "",
		    s != NULL ? "," : "", model_msg(ui->model, i)->uid);
		free(s);
		s = t;
		count++;
	}
	if (uids != NULL)
		*uids = s;
	else
		free(s);
	return count;
}

void
ui_triage_expunge(struct ui *ui)
{
	struct store_folder f;
	char *uids, *arg;
	uint32_t n = ui_triage_deleted(ui, &uids);

	if (n == 0 || store_folder_get(ui->st, ui->folder, &f) != 0) {
		free(uids);
		return;
	}
	xasprintf(&arg, "%s\t%s", uids, f.raw_name);
	store_folder_clear(&f);
	free(uids);
	if (sync_flush(ui->sync) != 0 ||
	    store_journal_add(ui->st, ui->folder_id, 0, "expunge", arg, NULL) !=
	        0)
		ui_message(ui, 1, "%s", store_error(ui->st));
	else
		ui_message(
		    ui, 0, "expunging %u message%s", n, n == 1 ? "" : "s");
	free(arg);
	if (ui->live != NULL)
		live_kick(ui->live);
}

int64_t
ui_triage_pending(struct ui *ui)
{
	int64_t n = 0;

	if (store_journal_count(ui->st, &n) != 0)
		return 0;
	return n;
}

int
ui_triage_move(struct ui *ui, uint32_t uid, const char *dest, int copy)
{
	struct store_folder f, d;
	char *arg;
	struct store_msg m;
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
	arg = live_move_arg(d.raw_name, f.raw_name);
	store_folder_clear(&f);
	if (store_msg_get(ui->st, ui->folder_id, uid, &m) != 0) {
		free(arg);
		store_folder_clear(&d);
		return -1;
	}
	/* A move leaves the index at once; the journal row makes it real. */
	if (sync_flush(ui->sync) != 0 || store_begin(ui->st) != 0 ||
	    (!copy &&
	        store_msg_set_flags(ui->st, ui->folder_id, uid,
	            m.flags | STORE_FLAG_HIDDEN, m.keywords, 0) != 0) ||
	    store_journal_add(ui->st, ui->folder_id, uid,
	        copy ? "copy" : "move", arg, NULL) != 0 ||
	    store_commit(ui->st) != 0) {
		ui_message(ui, 1, "%s", store_error(ui->st));
		if (store_in_transaction(ui->st))
			store_rollback(ui->st);
		free(arg);
		store_folder_clear(&d);
		return -1;
	}
	free(arg);
	ui_message(ui, 0, "%s to %s", copy ? "copied" : "moved", d.name);
	store_folder_clear(&d);
	if (!copy)
		ui_index_reload(ui);
	if (ui->live != NULL)
		live_kick(ui->live);
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
