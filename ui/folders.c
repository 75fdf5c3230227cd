/* errand: a terminal mail user agent. See LICENSE.
 * The folder list: every folder of the account from the cache with its
 * unread and total counts, INBOX and the special-use folders first, the
 * hierarchy indented; and folder-name completion for the "c" prompt. */

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/backend.h"
#include "engine/live.h"
#include "private.h"
#include "content/text.h"
#include "xmalloc.h"
#include "engine/view.h"

static int ui_folders_rank(const struct view_folder *);
static void ui_folders_parents(struct ui *);
static void ui_folders_op(
    struct ui *, enum live_folder_op, const char *, const char *, int);
static void ui_folders_done(const char *, void *);

/* What a folder operation is for, to say so and follow it in the cache. */
struct ui_fop {
	struct ui *ui;
	enum live_folder_op what;
	char *name, *to;
	int created; /* a subscribe that follows a create (IMAP) */
	int move;    /* then the prompt's move goes there (ui->move_to) */
};

#define UI_FOP_MOVE 0x1    /* ui_fop.move */
#define UI_FOP_CREATED 0x2 /* ui_fop.created */

static void
ui_folders_done(const char *err, void *arg)
{
	struct ui_fop *op = arg;
	struct ui *ui = op->ui;
	static const char *const verbs[] = {"created", "deleted", "renamed",
	    "subscribed to", "unsubscribed from"};

	if (err == NULL && op->what == LIVE_CREATE &&
	    ui->be->ops->subscribe_created) {
		/* As other clients do: a folder made here is subscribed, so
		 * that errand sync (subscribed folders) brings it too. */
		ui_folders_op(ui, LIVE_SUBSCRIBE, op->name, NULL,
		    UI_FOP_CREATED | (op->move ? UI_FOP_MOVE : 0));
		free(op->name);
		free(op->to);
		free(op);
		return;
	}
	if (err != NULL && !op->created) {
		ui_message(ui, 1, "%s", err);
		if (op->move) {
			free(ui->move_to);
			ui->move_to = NULL;
		}
	} else {
		/* The open folder goes by its new name from now on. */
		if (op->what == LIVE_RENAME &&
		    strcmp(op->name, ui->folder) == 0) {
			free(ui->folder);
			ui->folder = xstrdup(op->to);
			backend_folder_renamed(ui->be, op->to);
		}
		if (err != NULL) /* made, but the subscribe failed */
			ui_message(ui, 1, "created '%s', not subscribed: %s",
			    op->name, err);
		else
			ui_message(ui, 0, "%s '%s'",
			    op->created ? "created" : verbs[op->what],
			    op->what == LIVE_RENAME ? op->to : op->name);
		/* The server's names and attributes, as LIST says. */
		backend_refresh(ui->be, 0, 1);
		ui_folders_load(ui);
		/* Local folders are in the cache already: move now. */
		if (op->move && ui->be->ops->folders_cached)
			ui_folders_listed(ui);
	}
	free(op->name);
	free(op->to);
	free(op);
}

/* Start a folder operation; flags are UI_FOP_* bits. */
static void
ui_folders_op(struct ui *ui, enum live_folder_op what, const char *name,
    const char *to, int flags)
{
	struct ui_fop *op = xcalloc(1, sizeof *op);

	op->ui = ui;
	op->what = what;
	op->name = xstrdup(name);
	op->to = to != NULL ? xstrdup(to) : NULL;
	op->move = (flags & UI_FOP_MOVE) != 0;
	op->created = (flags & UI_FOP_CREATED) != 0;
	/* enum live_folder_op and enum backend_folder_op agree (asserted in
	 * src/engine/backend-imap.c). */
	if (backend_folder_op(ui->be, (enum backend_folder_op)what, name, to,
	        ui_folders_done, op) != 0) {
		ui_message(ui, 1, "offline: folder changes need the server");
		if (op->move) {
			free(ui->move_to);
			ui->move_to = NULL;
		}
		free(op->name);
		free(op->to);
		free(op);
	}
}

int
ui_folders_ask_create(struct ui *ui, const char *dest, int copy)
{
	struct view_folder f;

	if (view_folder_get(ui->s, dest, &f) != 1) {
		view_folder_clear(&f);
		return 0; /* there, or an error the move will say */
	}
	free(ui->prompt_folder);
	ui->prompt_folder = xstrdup(dest);
	ui->move_copy = copy;
	ui_message(ui, 0, "create '%s'? ([yes]/no)", dest);
	ui->prompt = UI_PROMPT_MOVE_CREATE;
	return 1;
}

void
ui_folders_create_answer(struct ui *ui, int key)
{
	if (ui->prompt_folder == NULL)
		return;
	if (key != 'y' && key != 'Y' && key != '\r' && key != '\n') {
		ui_message(ui, 0, "not %s", ui->move_copy ? "copied" : "moved");
		return;
	}
	free(ui->move_to);
	ui->move_to = xstrdup(ui->prompt_folder);
	ui_folders_op(ui, LIVE_CREATE, ui->prompt_folder, NULL, UI_FOP_MOVE);
}

void
ui_folders_listed(struct ui *ui)
{
	struct view_folder f;
	char *dest = ui->move_to;

	if (dest == NULL || view_folder_get(ui->s, dest, &f) != 0)
		return; /* not listed yet: the next list */
	view_folder_clear(&f);
	ui->move_to = NULL;
	ui_triage_move_prompted(ui, dest, ui->move_copy);
	free(dest);
}

void
ui_folders_prompted(struct ui *ui, enum ui_prompt p, const char *text)
{
	/* The folder the key was pressed on, whatever moved since. */
	const char *name = ui->prompt_folder;

	switch (p) {
	case UI_PROMPT_CREATE:
		ui_folders_op(ui, LIVE_CREATE, text, NULL, 0);
		break;
	case UI_PROMPT_RENAME:
		if (name != NULL)
			ui_folders_op(ui, LIVE_RENAME, name, text, 0);
		break;
	case UI_PROMPT_DELETE:
		if (name == NULL)
			break;
		if (strcmp(name, ui->folder) == 0) {
			ui_message(ui, 1,
			    "'%s' is open: open another folder first", name);
			break;
		}
		ui_folders_op(ui, LIVE_DELETE, name, NULL, 0);
		break;
	default:
		break;
	}
}
static int ui_folders_cmp(const void *, const void *);

/* Where a folder goes: INBOX, then Drafts, Sent, Archive, Junk, Trash,
 * then the rest by name. */
static int
ui_folders_rank(const struct view_folder *f)
{
	static const char *const order[] = {
	    "\\Drafts", "\\Sent", "\\Archive", "\\Junk", "\\Trash"};
	size_t i;

	if (strcasecmp(f->name, "INBOX") == 0)
		return 0;
	for (i = 0; f->special_use != NULL && i < sizeof order / sizeof *order;
	     i++) {
		if (strcasecmp(f->special_use, order[i]) == 0)
			return 1 + (int)i;
	}
	return 10;
}

static int
ui_folders_cmp(const void *a, const void *b)
{
	const struct view_folder *x = a, *y = b;
	int rx = ui_folders_rank(x), ry = ui_folders_rank(y);

	if (rx != ry)
		return rx - ry;
	return strcmp(x->name, y->name);
}

/* Every level above a folder is listed, as a container when the server
 * did not list it (\NonExistent, or left out) or cannot select it
 * (\Noselect): "Projects" above "Projects/Café 2026", as the local
 * folders of a POP3 account are. */
static void
ui_folders_parents(struct ui *ui)
{
	struct view_folder *f;
	const char *p;
	char *parent;
	size_t i, k;

	for (i = 0; i < ui->nfolders; i++) {
		f = &ui->folders[i];
		if (f->delim == NULL || *f->delim == '\0' ||
		    (p = strrchr(f->name, *f->delim)) == NULL || p == f->name)
			continue;
		parent = xstrndup(f->name, (size_t)(p - f->name));
		for (k = 0; k < ui->nfolders; k++) {
			if (strcmp(ui->folders[k].name, parent) == 0)
				break;
		}
		if (k < ui->nfolders) {
			free(parent);
			continue;
		}
		/* Added at the end: its own parent is looked for in turn. */
		ui->folders = xreallocarray(
		    ui->folders, ui->nfolders + 1, sizeof *ui->folders);
		f = &ui->folders[i];
		memset(&ui->folders[ui->nfolders], 0, sizeof *ui->folders);
		ui->folders[ui->nfolders].name = parent;
		ui->folders[ui->nfolders].delim = xstrdup(f->delim);
		ui->folders[ui->nfolders].noselect = 1;
		ui->nfolders++;
	}
}

void
ui_folders_load(struct ui *ui)
{
	char *cur = NULL;
	size_t i;

	if (ui->folders != NULL && ui->fcur < ui->nfolders)
		cur = xstrdup(ui->folders[ui->fcur].name);
	ui_folders_free(ui);
	if (view_folder_list(ui->s, &ui->folders, &ui->nfolders) != 0) {
		ui_message(ui, 1, "%s", view_error(ui->s));
		ui->folders = NULL;
		ui->nfolders = 0;
		free(cur);
		return;
	}
	ui_folders_parents(ui);
	qsort(ui->folders, ui->nfolders, sizeof *ui->folders, ui_folders_cmp);
	ui->fcur = 0;
	for (i = 0; i < ui->nfolders; i++) {
		if (strcmp(ui->folders[i].name,
		        cur != NULL ? cur : ui->folder) == 0)
			ui->fcur = i;
	}
	free(cur);
	ui_dirty(ui);
}

void
ui_folders_free(struct ui *ui)
{
	if (ui->folders != NULL)
		view_folder_list_free(ui->folders, ui->nfolders);
	ui->folders = NULL;
	ui->nfolders = 0;
}

void
ui_folders_draw(struct ui *ui)
{
	const struct view_folder *f;
	size_t rows = ui_list_rows(ui), i, depth, x;
	const char *leaf, *p;
	char counts[64], a[32], b[32], *line;

	if (ui->nfolders == 0) {
		ui_draw(0, 0, (size_t)ui->cols,
		    "(no folders in the cache yet: $ to sync)", 0);
		return;
	}
	if (ui->fcur >= ui->nfolders)
		ui->fcur = ui->nfolders - 1;
	if (ui->fcur < ui->ftop)
		ui->ftop = ui->fcur;
	if (ui->fcur >= ui->ftop + rows)
		ui->ftop = ui->fcur - rows + 1;
	for (i = 0; i < rows && ui->ftop + i < ui->nfolders; i++) {
		f = &ui->folders[ui->ftop + i];
		depth = 0;
		leaf = f->name;
		if (f->delim != NULL && *f->delim != '\0') {
			for (p = f->name; (p = strchr(p, *f->delim)) != NULL;
			     p++) {
				depth++;
				leaf = p + 1;
			}
		}
		if (f->noselect)
			snprintf(counts, sizeof counts, "%s", "");
		else
			snprintf(counts, sizeof counts, "%6s %8s",
			    f->unseen > 0 ? ui_count(f->unseen, a, sizeof a)
			                  : "",
			    ui_count(f->total, b, sizeof b));
		xasprintf(&line, "%*s%s", (int)(depth * 2), "", leaf);
		if (ui->ftop + i == ui->fcur)
			attron(A_REVERSE);
		else if (f->unseen > 0)
			attron(A_BOLD);
		x = strlen(counts);
		ui_draw((int)i, 0,
		    (size_t)ui->cols > x + 1 ? (size_t)ui->cols - x - 1 : 0,
		    line, 1);
		if ((size_t)ui->cols > x)
			ui_draw(
			    (int)i, ui->cols - (int)x - 1, x + 1, counts, 1);
		free(line);
		if (ui->ftop + i == ui->fcur)
			attroff(A_REVERSE);
		else
			attroff(A_BOLD);
	}
}

void
ui_folders_key(struct ui *ui, enum keymap_action a)
{
	if (ui_move(a, &ui->fcur, &ui->ftop, ui->nfolders, ui_list_rows(ui))) {
		ui_dirty(ui);
		return;
	}
	const struct view_folder *f =
	    ui->nfolders > 0 ? &ui->folders[ui->fcur] : NULL;
	char total[32];

	switch (a) {
	case KEYMAP_OPEN:
		if (f != NULL && f->noselect)
			ui_message(
			    ui, 0, "'%s' holds folders, not messages", f->name);
		else if (f != NULL)
			ui_open_folder(ui, f->name);
		break;
	case KEYMAP_FOLDER_CREATE:
	case KEYMAP_FOLDER_RENAME:
		if (a == KEYMAP_FOLDER_RENAME && f == NULL)
			break;
		free(ui->prompt_folder);
		ui->prompt_folder = f != NULL ? xstrdup(f->name) : NULL;
		ui->prompt = a == KEYMAP_FOLDER_CREATE ? UI_PROMPT_CREATE
		                                       : UI_PROMPT_RENAME;
		/* Rename starts from the current name, to edit. */
		ui->plen = 0;
		if (a == KEYMAP_FOLDER_RENAME &&
		    strlen(f->name) < sizeof ui->pbuf)
			ui->plen = strlen(f->name);
		memcpy(ui->pbuf, f != NULL ? f->name : "", ui->plen);
		ui->pbuf[ui->plen] = '\0';
		ui_dirty(ui);
		break;
	case KEYMAP_FOLDER_DELETE:
		if (f == NULL)
			break;
		free(ui->prompt_folder);
		ui->prompt_folder = xstrdup(f->name);
		ui_message(ui, 0, "delete '%s' and its %s message%s %s? (y/n)",
		    f->name, ui_count(f->total, total, sizeof total),
		    f->total == 1 ? "" : "s", ui->be->ops->delete_where);
		ui->prompt = UI_PROMPT_DELETE;
		break;
	case KEYMAP_SUBSCRIBE:
	case KEYMAP_UNSUBSCRIBE:
		if (f == NULL)
			break;
		ui_folders_op(ui,
		    a == KEYMAP_SUBSCRIBE ? LIVE_SUBSCRIBE : LIVE_UNSUBSCRIBE,
		    f->name, NULL, 0);
		break;
	case KEYMAP_QUIT:
		ui_show(ui, KEYMAP_INDEX);
		break;
	default:
		break;
	}
}

/* Tab in the folder prompt: extend the text to the longest prefix shared by
 * the names it starts; list them when there are several. */
void
ui_folders_complete(struct ui *ui)
{
	size_t i, n = 0, common = 0, len = ui->plen, k;
	const char *first = NULL, *name;
	char *list = NULL, *tmp;

	for (i = 0; i < ui->nfolders; i++) {
		name = ui->folders[i].name;
		if (ui->folders[i].noselect ||
		    strncasecmp(name, ui->pbuf, len) != 0)
			continue;
		if (first == NULL) {
			first = name;
			common = strlen(name);
		} else {
			for (k = 0; k < common && name[k] == first[k]; k++)
				;
			common = k;
		}
		n++;
		xasprintf(&tmp, "%s%s%s", list != NULL ? list : "",
		    list != NULL ? "  " : "", name);
		free(list);
		list = tmp;
	}
	if (n == 0) {
		ui_message(ui, 1, "no folder starts with '%s'", ui->pbuf);
	} else {
		/* Never cut a UTF-8 character in two. */
		while (common > len &&
		    ((unsigned char)first[common] & 0xc0) == 0x80)
			common--;
		if (common >= len && common < sizeof ui->pbuf) {
			memcpy(ui->pbuf, first, common);
			ui->pbuf[common] = '\0';
			ui->plen = common;
		}
		if (n > 1)
			ui_message(ui, 0, "%s", list);
	}
	free(list);
	ui_dirty(ui);
}
