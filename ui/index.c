/* errand: a terminal mail user agent. See LICENSE.
 * The index: one line a message (flags, date, sender or "To: recipient",
 * subject, size) from the folder's model, a cursor that stays on its
 * message when the sync reloads the model, sort, and the pattern keys:
 * search (/), tag (T) and limit (l), through src/engine/pattern.h. */

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "cmd/cmd.h"
#include "config.h"
#include "engine/backend.h"
#include "engine/pattern.h"
#include "private.h"
#include "content/text.h"
#include "xmalloc.h"
#include "engine/view.h"

#define UI_FROM_COLS 20                        /* sender column */
#define UI_PATTERN_BODY_MAX (25 * 1024 * 1024) /* a local body searched */

/* The UIDs of the open folder a pattern selects, sorted. */
struct ui_select {
	struct ui *ui;
	uint32_t *uids;
	size_t n, cap;
	size_t nbody; /* not searched: the body is not cached */
};

static int ui_index_is_mine(const struct ui *, const struct model_msg *);
static int ui_index_names_user(const struct ui *, const char *);
static char ui_index_to_char(const struct ui *, const struct model_msg *);
static int ui_select_found(uint32_t, enum pattern_result, void *);
static int ui_select_tagged(uint32_t, void *);
static int ui_select_body(uint32_t, void **, size_t *, void *);
static int ui_select_cmp(const void *, const void *);
static int ui_select(struct ui *, const char *, struct ui_select *);
static int ui_selected(const struct model_msg *, void *);

/* Whether the message was sent by the account's user (From is theirs). */
static int
ui_index_is_mine(const struct ui *ui, const struct model_msg *m)
{
	const char *addr = model_str(ui->model, m->from_addr);
	const char *user = ui->a->url.user;

	if (user == NULL || *addr == '\0')
		return 0;
	if (strchr(user, '@') != NULL)
		return strcasecmp(addr, user) == 0;
	return strncasecmp(addr, user, strlen(user)) == 0 &&
	    addr[strlen(user)] == '@';
}

/* Whether an address list (To: or Cc: as the cache has it) holds the
 * account's user. */
static int
ui_index_names_user(const struct ui *ui, const char *list)
{
	const char *user = ui->a->url.user, *p;
	size_t len;
	int bare;

	if (user == NULL || *user == '\0')
		return 0;
	/* A user name without a domain is the local part of an address. */
	bare = strchr(user, '@') == NULL;
	len = strlen(user);
	for (p = list; (p = strcasestr(p, user)) != NULL; p++) {
		if (p != list && strchr(" <,\t\"", p[-1]) == NULL)
			continue;
		if (bare ? p[len] == '@'
		         : p[len] == '\0' || strchr(">, \t\"", p[len]) != NULL)
			return 1;
	}
	return 0;
}

/* mutt's $to_chars for the third flag column: F from the user, + to the
 * user alone, T to the user among others, C a copy to the user, else a
 * space. */
static char
ui_index_to_char(const struct ui *ui, const struct model_msg *m)
{
	const char *to = model_str(ui->model, m->to);
	const char *cc = model_str(ui->model, m->cc);

	if (ui_index_is_mine(ui, m))
		return 'F';
	if (ui_index_names_user(ui, to))
		return strchr(to, ',') == NULL && *cc == '\0' ? '+' : 'T';
	if (ui_index_names_user(ui, cc))
		return 'C';
	return ' ';
}

void
ui_index_draw(struct ui *ui)
{
	const struct model_msg *m;
	size_t rows = ui_list_rows(ui), i, n, x, w, subj_cols;
	char flags[6], date[32], size[16], *who, *subj;
	const char *from, *kw;

	n = ui->model != NULL ? model_count(ui->model) : 0;
	if (n == 0) {
		ui_draw(0, 0, (size_t)ui->cols,
		    session_net(ui->s) == SESSION_NET_CONNECTING ||
		            session_net(ui->s) == SESSION_NET_SYNCING
		        ? "(no messages in the cache yet: syncing)"
		        : "(no messages)",
		    0);
		return;
	}
	if (ui->cur >= n)
		ui->cur = n - 1;
	if (ui->cur < ui->top)
		ui->top = ui->cur;
	if (ui->cur >= ui->top + rows)
		ui->top = ui->cur - rows + 1;
	for (i = 0; i < rows && ui->top + i < n; i++) {
		m = model_msg(ui->model, ui->top + i);
		/* mutt's %Z: deleted, new or replied; tagged or flagged;
		 * to whom. Then the attachment hint. */
		flags[0] = m->flags & MODEL_FLAG_DELETED ? 'D'
		    : !(m->flags & MODEL_FLAG_SEEN)      ? 'N'
		    : m->flags & MODEL_FLAG_ANSWERED     ? 'r'
		                                         : ' ';
		flags[1] = ui_tagged(ui, m->uid)    ? '*'
		    : m->flags & MODEL_FLAG_FLAGGED ? '!'
		                                    : ' ';
		flags[2] = ui_index_to_char(ui, m);
		flags[3] = m->has_attachment ? '@' : ' ';
		flags[4] = '\0';
		if (ui_index_is_mine(ui, m) && *model_str(ui->model, m->to))
			xasprintf(&who, "To: %s", model_str(ui->model, m->to));
		else {
			from = model_str(ui->model, m->from);
			who = xstrdup(*from != '\0' ? from : "(nobody)");
		}
		if (ui->top + i == ui->cur)
			attron(A_REVERSE);
		else if (!(m->flags & MODEL_FLAG_SEEN))
			attron(A_BOLD);
		move((int)i, 0);
		x = ui_draw((int)i, 0, 5, flags, 1);
		x += ui_draw(
		    (int)i, (int)x, 11, ui_date(m->date, date, sizeof date), 1);
		x += ui_draw((int)i, (int)x, UI_FROM_COLS, who, 1);
		x += ui_draw((int)i, (int)x, 1, " ", 1);
		free(who);
		ui_size(m->size, size, sizeof size);
		w = strlen(size) + 2;
		subj_cols =
		    (size_t)ui->cols > x + w ? (size_t)ui->cols - x - w : 0;
		kw = model_str(ui->model, m->keywords);
		if (*kw != '\0') {
			/* Keywords (labels) first, as [work urgent]. */
			xasprintf(&subj, "[%s] %s", kw,
			    model_str(ui->model, m->subject));
			x += ui_draw((int)i, (int)x, subj_cols, subj, 1);
			free(subj);
		} else
			x += ui_draw((int)i, (int)x, subj_cols,
			    model_str(ui->model, m->subject), 1);
		ui_draw((int)i, (int)x, (size_t)ui->cols - x, "  ", 1);
		if ((size_t)ui->cols > w)
			ui_draw((int)i, ui->cols - (int)w + 2, w - 2, size, 0);
		if (ui->top + i == ui->cur)
			attroff(A_REVERSE);
		else
			attroff(A_BOLD);
	}
}

void
ui_index_home(struct ui *ui)
{
	size_t i, n = ui->model != NULL ? model_count(ui->model) : 0;
	size_t rows = ui_list_rows(ui), above;

	if (n == 0)
		return;
	/* mutt: the first unread message in the order shown that is not
	 * marked deleted, else the newest, at the bottom unless the order
	 * is reversed. */
	ui->cur = ui->reverse ? 0 : n - 1;
	for (i = 0; i < n; i++) {
		if (!(model_msg(ui->model, i)->flags &
		        (MODEL_FLAG_SEEN | MODEL_FLAG_DELETED))) {
			ui->cur = i;
			break;
		}
	}
	/* A few messages above for context, and as many of the ones after
	 * it (more unread) as fit below; no empty rows at the end. */
	above = rows / 4;
	ui->top = ui->cur > above ? ui->cur - above : 0;
	if (ui->top + rows > n)
		ui->top = n > rows ? n - rows : 0;
}

void
ui_index_reload_soon(struct ui *ui)
{
	ui->reload_wanted = 1;
	ui_dirty(ui);
}

void
ui_index_reload(struct ui *ui)
{
	struct model *m;
	uint32_t uid = 0;
	long at;
	char *err;

	ui->reload_wanted = 0;
	int first = ui->model == NULL || model_count(ui->model) == 0;

	if (ui->folder_id == 0)
		return;
	if (!first && ui->cur < model_count(ui->model))
		uid = model_msg(ui->model, ui->cur)->uid;
	if ((m = model_load(session_store(ui->s), ui->folder_id, &err)) ==
	    NULL) {
		ui_message(ui, 1, "%s", err);
		free(err);
		return;
	}
	model_sort(m, ui->sort, ui->reverse);
	if (ui->limit != NULL) {
		struct ui_select sel;

		if (ui_select(ui, ui->limit, &sel) == 0) {
			model_keep(m, ui_selected, &sel);
			free(sel.uids);
		}
	}
	model_free(ui->model);
	ui->model = m;
	ui_triage_queue_show(ui); /* changes waiting for the cache */
	if (first)
		ui_index_home(ui);
	else if ((at = model_find_uid(m, uid)) >= 0)
		ui->cur = (size_t)at;
	else if (ui->cur >= model_count(m))
		ui->cur = model_count(m) > 0 ? model_count(m) - 1 : 0;
	ui_dirty(ui);
}

static int
ui_select_found(uint32_t uid, enum pattern_result r, void *arg)
{
	struct ui_select *sel = arg;

	if (r != PATTERN_YES) {
		sel->nbody++;
		return 0;
	}
	if (sel->n == sel->cap) {
		sel->cap = sel->cap == 0 ? 256 : sel->cap * 2;
		sel->uids =
		    xreallocarray(sel->uids, sel->cap, sizeof *sel->uids);
	}
	sel->uids[sel->n++] = uid;
	return 0;
}

static int
ui_select_tagged(uint32_t uid, void *arg)
{
	struct ui_select *sel = arg;

	return ui_tagged(sel->ui, uid);
}

/* A body from the cache, or a local folder's from its Maildir file. */
static int
ui_select_body(uint32_t uid, void **raw, size_t *len, void *arg)
{
	struct ui *ui = ((struct ui_select *)arg)->ui;
	char *err;

	int rc;

	rc = ui->be->ops->body(ui->be, ui->folder, ui->folder_id, uid,
	    UI_PATTERN_BODY_MAX, raw, len, &err);
	if (rc < 0) {
		free(err); /* its file is gone: no body to match */
		return 1;
	}
	return rc;
}

static int
ui_select_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* What the pattern text selects in the open folder's cache; -1 after
 * showing what is wrong with it. Free sel->uids. */
static int
ui_select(struct ui *ui, const char *text, struct ui_select *sel)
{
	struct pattern_opts po;
	struct pattern *pat;
	char *err;
	int rc;

	memset(sel, 0, sizeof *sel);
	sel->ui = ui;
	memset(&po, 0, sizeof po);
	po.user = ui->a->url.user;
	if ((pat = pattern_compile(text, &po, &err)) == NULL) {
		ui_message(ui, 1, "%s", err);
		free(err);
		return -1;
	}
	rc = ui->folder_id == 0
	    ? 0
	    : pattern_scan(session_store(ui->s), ui->folder_id, pat,
	          ui_select_tagged, ui_select_body, ui_select_found, sel);
	pattern_free(pat);
	if (rc != 0) {
		ui_message(ui, 1, "%s", view_error(ui->s));
		free(sel->uids);
		sel->uids = NULL;
		return -1;
	}
	if (sel->n > 1)
		qsort(sel->uids, sel->n, sizeof *sel->uids, ui_select_cmp);
	return 0;
}

/* Whether the message is in a selection (model_keep()'s test). */
static int
ui_selected(const struct model_msg *m, void *arg)
{
	const struct ui_select *sel = arg;

	return sel->n > 0 &&
	    bsearch(&m->uid, sel->uids, sel->n, sizeof *sel->uids,
	        ui_select_cmp) != NULL;
}

void
ui_index_search(struct ui *ui, int backward)
{
	size_t n = ui->model != NULL ? model_count(ui->model) : 0, i, at;
	struct ui_select sel;

	if (n == 0 || ui->search == NULL)
		return;
	if (ui_select(ui, ui->search, &sel) == -1)
		return;
	for (i = 1; i <= n; i++) {
		at = backward ? (ui->cur + n - i) % n : (ui->cur + i) % n;
		if (ui_selected(model_msg(ui->model, at), &sel)) {
			if (backward ? at > ui->cur : at < ui->cur)
				ui_message(ui, 0, "search wrapped");
			ui->cur = at;
			ui_dirty(ui);
			free(sel.uids);
			return;
		}
	}
	free(sel.uids);
	ui_message(ui, 0, "not found: %s", ui->search);
}

void
ui_tag_pattern(struct ui *ui, const char *text)
{
	size_t i, n = 0, count = ui->model != NULL ? model_count(ui->model) : 0;
	const struct model_msg *m;
	struct ui_select sel;

	if (ui_select(ui, text, &sel) == -1)
		return;
	for (i = 0; i < count; i++) {
		m = model_msg(ui->model, i);
		if (ui_selected(m, &sel)) {
			ui_tag(ui, m->uid, 1);
			n++;
		}
	}
	free(sel.uids);
	ui_dirty(ui);
	if (sel.nbody > 0)
		ui_message(ui, n == 0,
		    "%zu message%s tagged; %zu not searched: not cached", n,
		    n == 1 ? "" : "s", sel.nbody);
	else
		ui_message(
		    ui, n == 0, "%zu message%s tagged", n, n == 1 ? "" : "s");
}

void
ui_index_limit(struct ui *ui, const char *text)
{
	struct ui_select sel;
	size_t n;

	text += strspn(text, " \t");
	if (*text == '\0' || strcmp(text, "all") == 0 ||
	    strcmp(text, "~A") == 0) {
		free(ui->limit);
		ui->limit = NULL;
		ui_index_reload(ui);
		ui_message(ui, 0, "showing all messages");
		return;
	}
	if (ui_select(ui, text, &sel) == -1)
		return;
	n = sel.n;
	free(sel.uids);
	if (n == 0) {
		ui_message(ui, 1, "no message matches '%s'%s", text,
		    sel.nbody > 0 ? " (some bodies not cached)" : "");
		return;
	}
	free(ui->limit);
	ui->limit = xstrdup(text);
	ui_index_reload(ui);
	ui_message(ui, 0, "limited to %zu message%s matching '%s'", n,
	    n == 1 ? "" : "s", text);
}

void
ui_index_key(struct ui *ui, enum keymap_action a)
{
	size_t n = ui->model != NULL ? model_count(ui->model) : 0;
	static const char *const names[] = {"date", "from", "subject", "size"};

	if (ui_move(a, &ui->cur, &ui->top, n, ui_list_rows(ui))) {
		ui_dirty(ui);
		return;
	}
	switch (a) {
	case KEYMAP_OPEN:
		if (n == 0)
			return;
		ui->pager_from = KEYMAP_INDEX;
		ui_pager_open(ui, model_msg(ui->model, ui->cur)->uid);
		break;
	case KEYMAP_QUIT:
		ui->quit = 1;
		event_base_loopbreak(ui->ctx->base);
		break;
	case KEYMAP_SORT:
		ui->sort = ui->sort == MODEL_SORT_SIZE
		    ? MODEL_SORT_DATE
		    : (enum model_sort)(ui->sort + 1);
		ui->reverse = 0;
		ui_index_reload(ui);
		ui_message(ui, 0, "sorted by %s", names[ui->sort]);
		break;
	case KEYMAP_SORT_REVERSE:
		ui->reverse = !ui->reverse;
		ui_index_reload(ui);
		ui_message(ui, 0, "order reversed");
		break;
	case KEYMAP_LIMIT:
		ui->prompt = UI_PROMPT_LIMIT;
		ui->plen = 0;
		ui->pbuf[0] = '\0';
		ui_dirty(ui);
		break;
	default:
		break;
	}
}
