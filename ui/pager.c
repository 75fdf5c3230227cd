/* errand: a terminal mail user agent. See LICENSE.
 * The pager: the message rendered by src/render from the cached body, or
 * fetched (BODY.PEEK[], so opening does not mark it read) and cached first;
 * "not cached" when offline. HTML shows at once through the built-in
 * converter and again when the mailcap's viewer, run on the loop, is done.
 * Scrolling, search, next and previous message. */

#include <sys/stat.h>

#include <curses.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "config.h"
#include "cmd/cmd.h"
#include "engine/fetch.h"
#include "content/htmlcmd.h"
#include "engine/backend.h"
#include "private.h"
#include "content/render.h"
#include "content/text.h"
#include "xmalloc.h"

#define UI_BODY_MAX (25 * 1024 * 1024) /* default body-cache-max */

/* The viewer's text for each HTML part of one message, in the order the
 * renderer asks for them. The message is known by its bytes too, so a UID
 * that names another message (a new UIDVALIDITY) is never given it. */
struct ui_html {
	int64_t folder_id;
	uint32_t uid;
	uint64_t sum; /* ui_html_sum() of the message */
	struct ui_html_part {
		char *in; /* the part as UTF-8, until converted */
		size_t inlen;
		char *out; /* the viewer's text; NULL: it failed */
		size_t outlen;
		int done;
	} * part;
	size_t n, asked;         /* parts known; asked for by this render */
	size_t next;             /* the first part not done */
	struct htmlcmd *running; /* converting part[next] */
	int changed;             /* a part got text since the last render */
};

static int ui_pager_raw(struct ui *, void **, size_t *, char **);
static char *ui_save_dir(void);
static void ui_pager_save(struct ui *);
static void ui_pager_render(struct ui *);
static char *ui_html_text(void *, const char *, size_t, size_t *);
static void ui_html_run(struct ui *);
static void ui_html_done(char *, size_t, void *);
static void ui_html_free(struct ui_html *);
static uint64_t ui_html_sum(const void *, size_t);
static void ui_pager_fetched(enum fetch_result, const char *, void *);
static int ui_pager_color(enum render_kind, int);
static void ui_pager_runs(int, size_t, const struct render_line *, int);
static void ui_pager_mark_read(struct ui *);
static size_t ui_pager_char(const char *, uint32_t *);
static const char *ui_pager_find(const char *, const char *, size_t *);
static void ui_pager_highlight(struct ui *, int, const char *);

/* The raw message ui->puid from the Maildir (local mail is its own copy)
 * or the cache: 0 with it in *raw (the caller's), 1 when it is not cached,
 * -1 with *err set (the caller's). */
static int
ui_pager_raw(struct ui *ui, void **raw, size_t *len, char **err)
{
	*raw = NULL;
	*len = 0;
	return ui->be->ops->body(ui->be, ui->folder, ui->folder_id, ui->puid,
	    ui->ctx->cf->body_max != 0 ? ui->ctx->cf->body_max : UI_BODY_MAX,
	    raw, len, err);
}

/* The folder attachments are saved in: $XDG_DOWNLOAD_DIR, ~/Downloads when
 * there is one, else the home directory. The caller's. */
static char *
ui_save_dir(void)
{
	const char *home = getenv("HOME"), *dl = getenv("XDG_DOWNLOAD_DIR");
	struct stat sb;
	char *dir;

	if (dl != NULL && dl[0] == '/')
		return xstrdup(dl);
	if (home == NULL || home[0] != '/')
		return xstrdup(".");
	xasprintf(&dir, "%s/Downloads", home);
	if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
		return dir;
	free(dir);
	return xstrdup(home);
}

/* Save each attachment of the message shown (render_attachment_save())
 * and say where they went, or what failed. */
static void
ui_pager_save(struct ui *ui)
{
	struct render_opts ro;
	size_t i, n = render_nattachments(ui->doc), len, saved = 0;
	char *dir, *path, *err = NULL, *first = NULL;
	void *raw;
	int rc;

	if (ui->doc == NULL || ui->pstate != UI_PAGER_SHOWN) {
		ui_message(ui, 1, "no message shown");
		return;
	}
	if (n == 0) {
		ui_message(ui, 0, "no attachments");
		return;
	}
	if ((rc = ui_pager_raw(ui, &raw, &len, &err)) != 0) {
		ui_message(ui, 1, "cannot save: %s",
		    rc > 0 ? "the message is not cached any more" : err);
		free(err);
		return;
	}
	memset(&ro, 0, sizeof ro);
	ro.width = ui->cols > 1 ? (size_t)ui->cols - 1 : 1;
	ro.charset = ui->a->fallback_charset;
	dir = ui_save_dir();
	for (i = 0; i < n; i++) {
		if (render_attachment_save(
		        raw, len, &ro, i, dir, &path, &err) != 0) {
			ui_message(ui, 1, "%s", err);
			free(err);
			break;
		}
		if (first == NULL)
			first = path;
		else
			free(path);
		saved++;
	}
	if (i == n && saved == 1)
		ui_message(ui, 0, "saved %s", first);
	else if (i == n)
		ui_message(ui, 0, "saved %zu attachments in %s", saved, dir);
	free(first);
	free(dir);
	free(raw);
}

/* Render the cached body of ui->puid, if there is one. 1 when shown. */
static void
ui_pager_render(struct ui *ui)
{
	struct render_opts ro;
	void *raw = NULL;
	size_t len = 0;
	char *err;
	int rc;

	render_free(ui->doc);
	ui->doc = NULL;
	if ((rc = ui_pager_raw(ui, &raw, &len, &err)) < 0) {
		ui->pstate = UI_PAGER_FAILED;
		free(ui->pager_error);
		ui->pager_error = err;
		return;
	}
	if (rc == 1) {
		ui->pstate = UI_PAGER_NOT_CACHED;
		return;
	}
	memset(&ro, 0, sizeof ro);
	ro.width = ui->cols > 1 ? (size_t)ui->cols - 1 : 1;
	ro.charset = ui->a->fallback_charset;
	if (ui->html_command != NULL) {
		uint64_t sum = ui_html_sum(raw, len);

		if (ui->html != NULL &&
		    (ui->html->uid != ui->puid ||
		        ui->html->folder_id != ui->folder_id ||
		        ui->html->sum != sum)) {
			ui_html_free(ui->html);
			ui->html = NULL;
		}
		if (ui->html == NULL) {
			ui->html = xcalloc(1, sizeof *ui->html);
			ui->html->uid = ui->puid;
			ui->html->folder_id = ui->folder_id;
			ui->html->sum = sum;
		}
		ui->html->asked = 0;
		ui->html->changed = 0;
		ro.html = ui_html_text;
		ro.html_arg = ui->html;
	}
	ui->doc = render_message(raw, len, &ro);
	free(raw);
	ui->pstate = UI_PAGER_SHOWN;
	ui_html_run(ui);
}

/* The renderer asks for HTML part h->asked: its text when the viewer has
 * made it, else NULL (the built-in's text shows meanwhile) and the part is
 * queued for the viewer. */
static char *
ui_html_text(void *arg, const char *html, size_t len, size_t *outlen)
{
	struct ui_html *h = arg;
	struct ui_html_part *p;
	size_t i = h->asked++;
	char *out;

	if (i == h->n) {
		h->part = xreallocarray(h->part, h->n + 1, sizeof *h->part);
		p = &h->part[h->n++];
		memset(p, 0, sizeof *p);
		p->in = xmalloc(len + 1);
		memcpy(p->in, html, len);
		p->inlen = len;
	}
	if (i >= h->n || !h->part[i].done || h->part[i].out == NULL)
		return NULL;
	p = &h->part[i];
	out = xmalloc(p->outlen + 1);
	memcpy(out, p->out, p->outlen + 1);
	*outlen = p->outlen;
	return out;
}

/* Start the viewer on the next part waiting for it, one at a time. */
static void
ui_html_run(struct ui *ui)
{
	struct ui_html *h = ui->html;
	struct ui_html_part *p;

	if (h == NULL || h->running != NULL)
		return;
	for (; h->next < h->n; h->next++) {
		p = &h->part[h->next];
		if (p->done)
			continue;
		h->running = htmlcmd_start(ui->ctx->base, ui->html_command,
		    p->in, p->inlen, 0, ui_html_done, ui);
		if (h->running != NULL)
			return;
		p->done = 1; /* cannot start it: the built-in's text stays */
	}
}

/* The viewer is done with part h->next (out NULL: it failed). When no part
 * is left, the message is rendered again if the pager still has it (also
 * behind the help screen). */
static void
ui_html_done(char *out, size_t len, void *arg)
{
	struct ui *ui = arg;
	struct ui_html *h = ui->html;
	struct ui_html_part *p = &h->part[h->next];

	h->running = NULL;
	p->done = 1;
	p->out = out;
	p->outlen = len;
	free(p->in);
	p->in = NULL;
	if (out != NULL)
		h->changed = 1;
	ui_html_run(ui);
	if (h->running != NULL || !h->changed)
		return;
	if (ui->puid == h->uid && ui->folder_id == h->folder_id)
		ui_pager_rerender(ui);
}

void
ui_pager_rerender(struct ui *ui)
{
	struct render_doc *old = ui->doc;
	size_t n;

	if (ui->doc == NULL || ui->pstate != UI_PAGER_SHOWN)
		return;
	ui->doc = NULL;
	ui_pager_render(ui);
	if (ui->pstate != UI_PAGER_SHOWN) {
		/* Gone from the cache meanwhile: keep what is shown. */
		render_free(ui->doc);
		ui->doc = old;
		ui->pstate = UI_PAGER_SHOWN;
	} else
		render_free(old);
	n = render_nlines(ui->doc);
	if (ui->ptop >= n)
		ui->ptop = n > 0 ? n - 1 : 0;
	ui_dirty(ui);
}

/* FNV-1a of the len bytes at p. */
static uint64_t
ui_html_sum(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len-- > 0) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
ui_html_free(struct ui_html *h)
{
	size_t i;

	if (h == NULL)
		return;
	htmlcmd_cancel(h->running);
	for (i = 0; i < h->n; i++) {
		free(h->part[i].in);
		free(h->part[i].out);
	}
	free(h->part);
	free(h);
}

static void
ui_pager_fetched(enum fetch_result r, const char *err, void *arg)
{
	struct ui *ui = arg;

	/* The pager went on to a message in the cache meanwhile. */
	if (ui->pstate != UI_PAGER_LOADING)
		return;
	switch (r) {
	case FETCH_OK:
		ui_pager_render(ui);
		ui_pager_mark_read(ui);
		break;
	case FETCH_OFFLINE:
		ui->pstate = UI_PAGER_NOT_CACHED;
		break;
	case FETCH_FAILED:
		ui->pstate = UI_PAGER_FAILED;
		free(ui->pager_error);
		ui->pager_error = xstrdup(err);
		break;
	}
	ui_dirty(ui);
	ui_compose_fetched(ui, ui->pstate == UI_PAGER_SHOWN);
}

/* Showing a message marks it read, on the server too; one that is not
 * shown (not cached offline, still loading, failed) stays unread. */
static void
ui_pager_mark_read(struct ui *ui)
{
	long at;

	if (ui->pstate != UI_PAGER_SHOWN || ui->screen != KEYMAP_PAGER ||
	    ui->model == NULL ||
	    (at = model_find_uid(ui->model, ui->puid)) < 0 ||
	    model_msg(ui->model, (size_t)at)->flags & MODEL_FLAG_SEEN)
		return;
	/* An action of its own: U then undoes this, not also the one
	 * before it. */
	triage_undo_clear(&ui->acct->triage);
	ui_triage_flag(ui, ui->puid, 'S', 1);
}

void
ui_pager_open(struct ui *ui, uint32_t uid)
{
	const struct config *cf = ui->ctx->cf;

	ui->puid = uid;
	ui->ptop = 0;
	ui->phighlight = 0;
	ui_pager_render(ui);
	ui_show(ui, KEYMAP_PAGER);
	ui_pager_mark_read(ui);
	if (ui->pstate != UI_PAGER_NOT_CACHED)
		return;
	if (session_net(ui->s) == SESSION_NET_OFFLINE)
		return; /* "not cached" until the server is back */
	if (ui->folder_id == 0 || !ui_password(ui))
		return; /* "not cached" until the password comes */
	ui->pstate = UI_PAGER_LOADING;
	if (backend_fetch_body(ui->be, ui->folder, uid,
	        cf->body_max != 0 ? cf->body_max : UI_BODY_MAX,
	        ui_pager_fetched, ui) != 0)
		ui->pstate = UI_PAGER_NOT_CACHED;
}

void
ui_pager_close(struct ui *ui)
{
	render_free(ui->doc);
	ui->doc = NULL;
	ui_html_free(ui->html);
	ui->html = NULL;
}

/* The colour pair of a line: quote levels alternate two colours. */
static int
ui_pager_color(enum render_kind kind, int quote)
{
	if (!has_colors())
		return 0;
	switch (kind) {
	case RENDER_HEADER:
	case RENDER_SEPARATOR:
		return 1;
	case RENDER_QUOTE:
		return quote % 2 == 1 ? 2 : 3;
	case RENDER_SIGNATURE:
		return 4;
	case RENDER_ATTACHMENT:
		return 5;
	default:
		return 0;
	}
}

/* Draw line l on row y in runs of the same attributes (text/enriched's
 * bold, italic, underline) as the terminal's attributes. */
static void
ui_pager_runs(int y, size_t cols, const struct render_line *l, int pair)
{
	size_t i = 0, j, x = 0;
	attr_t a;
	char *run;

	while (i < l->len && x < cols) {
		for (j = i; j < l->len && l->attr[j] == l->attr[i]; j++)
			;
		a = COLOR_PAIR(pair);
		if (l->attr[i] & RENDER_ATTR_BOLD)
			a |= A_BOLD;
		if (l->attr[i] & RENDER_ATTR_UNDERLINE)
			a |= A_UNDERLINE;
#ifdef A_ITALIC
		if (l->attr[i] & RENDER_ATTR_ITALIC)
			a |= A_ITALIC;
#else
		if (l->attr[i] & RENDER_ATTR_ITALIC)
			a |= A_UNDERLINE;
#endif
		run = xstrndup(l->text + i, j - i);
		attron(a);
		x += ui_draw(y, (int)x, cols - x, run, 0);
		attroff(a);
		free(run);
		i = j;
	}
}

void
ui_pager_draw(struct ui *ui)
{
	const struct render_line *l;
	size_t rows = ui_list_rows(ui), i, n, x;
	const char *why = NULL;
	int pair;

	switch (ui->pstate) {
	case UI_PAGER_LOADING:
		why = "loading the message...";
		break;
	case UI_PAGER_NOT_CACHED:
		why = "not cached (offline: it is fetched when the server is "
		      "back)";
		break;
	case UI_PAGER_FAILED:
		why = ui->pager_error != NULL ? ui->pager_error : "failed";
		break;
	case UI_PAGER_SHOWN:
		break;
	}
	if (why != NULL || ui->doc == NULL) {
		ui_draw(0, 0, (size_t)ui->cols, why != NULL ? why : "", 0);
		return;
	}
	n = render_nlines(ui->doc);
	if (ui->ptop >= n)
		ui->ptop = n > 0 ? n - 1 : 0;
	for (i = 0; i < rows && ui->ptop + i < n; i++) {
		l = render_line(ui->doc, ui->ptop + i);
		pair = ui_pager_color(l->kind, l->level);
		if (l->kind == RENDER_HEADER && l->name_len > 0) {
			/* The name bold, the value plain. */
			char name[128];
			size_t nl = l->name_len < sizeof name ? l->name_len
			                                      : sizeof name - 1;

			memcpy(name, l->text, nl);
			name[nl] = '\0';
			attron(A_BOLD | COLOR_PAIR(pair));
			x = ui_draw((int)i, 0, (size_t)ui->cols, name, 0);
			attroff(A_BOLD | COLOR_PAIR(pair));
			ui_draw((int)i, (int)x,
			    (size_t)ui->cols > x ? (size_t)ui->cols - x : 0,
			    l->text + l->name_len, 0);
			ui_pager_highlight(ui, (int)i, l->text);
			continue;
		}
		if (l->attr != NULL) {
			ui_pager_runs((int)i, (size_t)ui->cols, l, pair);
			ui_pager_highlight(ui, (int)i, l->text);
			continue;
		}
		if (pair != 0)
			attron(COLOR_PAIR(pair));
		ui_draw((int)i, 0, (size_t)ui->cols, l->text, 0);
		if (pair != 0)
			attroff(COLOR_PAIR(pair));
		ui_pager_highlight(ui, (int)i, l->text);
	}
}

/* The code point of the UTF-8 character at s into *cp; returns its bytes.
 * A byte that starts no valid character is one character of its own. */
static size_t
ui_pager_char(const char *s, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i;

	if (*p < 0xc2 || *p > 0xf4) {
		*cp = *p;
		return 1;
	}
	n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
	*cp = *p & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*cp = *p;
			return 1;
		}
		*cp = *cp << 6 | (p[i] & 0x3f);
	}
	return n;
}

/* The first place in text where needle is, ignoring case as the search
 * does (render_search()), and the bytes it takes there in *len; NULL when
 * it is not there. */
static const char *
ui_pager_find(const char *text, const char *needle, size_t *len)
{
	const char *p, *t, *n;
	uint32_t a, b;
	size_t step;

	if (*needle == '\0')
		return NULL;
	for (p = text; *p != '\0'; p += ui_pager_char(p, &a)) {
		for (t = p, n = needle; *n != '\0' && *t != '\0';) {
			step = ui_pager_char(t, &a);
			n += ui_pager_char(n, &b);
			if (towlower((wint_t)a) != towlower((wint_t)b))
				break;
			t += step;
			if (*n == '\0') {
				*len = (size_t)(t - p);
				return p;
			}
		}
	}
	return NULL;
}

/* Draw every match of the search on row y of the pager in reverse video,
 * over the line text as drawn from column 0. */
static void
ui_pager_highlight(struct ui *ui, int y, const char *text)
{
	const char *at, *from = text;
	char *s;
	size_t len, col;

	if (!ui->phighlight || ui->search == NULL)
		return;
	while ((at = ui_pager_find(from, ui->search, &len)) != NULL) {
		s = xstrndup(text, (size_t)(at - text));
		col = text_width(s);
		free(s);
		if (col >= (size_t)ui->cols)
			break;
		s = xstrndup(at, len);
		attron(A_REVERSE);
		ui_draw(y, (int)col, (size_t)ui->cols - col, s, 0);
		attroff(A_REVERSE);
		free(s);
		from = at + len;
	}
}

void
ui_pager_search(struct ui *ui, int backward)
{
	size_t at = RENDER_NOT_FOUND, n;

	if (ui->doc == NULL || ui->search == NULL)
		return;
	n = render_nlines(ui->doc);
	if (backward ? ui->ptop > 0 : ui->ptop + 1 < n)
		at = render_search(ui->doc,
		    backward ? ui->ptop - 1 : ui->ptop + 1, ui->search,
		    backward ? RENDER_BACKWARD : RENDER_FORWARD);
	if (at == RENDER_NOT_FOUND && n > 0) {
		/* Round the end to the other end, as mutt does. */
		at = render_search(ui->doc, backward ? n - 1 : 0, ui->search,
		    backward ? RENDER_BACKWARD : RENDER_FORWARD);
		if (at != RENDER_NOT_FOUND)
			ui_message(ui, 0, "search wrapped");
	}
	if (at == RENDER_NOT_FOUND) {
		/* Said, not an error: it goes with the next key. */
		ui_message(ui, 0, "not found: %s", ui->search);
		return;
	}
	ui->ptop = at;
	ui->phighlight = 1;
	ui_dirty(ui);
}

void
ui_pager_key(struct ui *ui, enum keymap_action a)
{
	size_t n = ui->doc != NULL ? render_nlines(ui->doc) : 0;
	size_t rows = ui_list_rows(ui), cur;
	size_t mcount = ui->model != NULL ? model_count(ui->model) : 0;
	long at;

	switch (a) {
	case KEYMAP_NEXT:
		if (ui->ptop + rows < n)
			ui->ptop++;
		break;
	case KEYMAP_PREV:
		if (ui->ptop > 0)
			ui->ptop--;
		break;
	case KEYMAP_PAGE_DOWN:
		if (ui->ptop + rows < n)
			ui->ptop += rows > 1 ? rows - 1 : 1;
		else if (ui->pager_from == KEYMAP_INDEX)
			goto next; /* mutt: Space at the end goes on */
		break;
	case KEYMAP_PAGE_UP:
		ui->ptop = ui->ptop > rows - 1 ? ui->ptop - (rows - 1) : 0;
		break;
	case KEYMAP_HALF_DOWN:
		if (ui->ptop + rows < n)
			ui->ptop += rows / 2 > 0 ? rows / 2 : 1;
		break;
	case KEYMAP_HALF_UP:
		ui->ptop = ui->ptop > rows / 2 ? ui->ptop - rows / 2 : 0;
		break;
	case KEYMAP_FIRST:
		ui->ptop = 0;
		break;
	case KEYMAP_LAST:
		ui->ptop = n > rows ? n - rows : 0;
		break;
	case KEYMAP_QUIT:
		free(ui->msg);
		ui->msg = NULL;
		ui_show(ui, ui->pager_from);
		return;
	case KEYMAP_SAVE_ATTACH:
		ui_pager_save(ui);
		return;
	case KEYMAP_NEXT_MESSAGE:
	next:
		at = ui->model != NULL ? model_find_uid(ui->model, ui->puid)
		                       : -1;
		if (at < 0 || (size_t)at + 1 >= mcount) {
			ui_message(ui, 0, "no next message");
			return;
		}
		cur = (size_t)at + 1;
		ui->cur = cur;
		ui_pager_open(ui, model_msg(ui->model, cur)->uid);
		return;
	case KEYMAP_PREV_MESSAGE:
		at = ui->model != NULL ? model_find_uid(ui->model, ui->puid)
		                       : -1;
		if (at <= 0) {
			ui_message(ui, 0, "no previous message");
			return;
		}
		ui->cur = (size_t)at - 1;
		ui_pager_open(ui, model_msg(ui->model, ui->cur)->uid);
		return;
	default:
		return;
	}
	ui_dirty(ui);
}
