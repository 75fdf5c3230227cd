/* errand: a terminal mail user agent. See LICENSE.
 * The interface's core: curses on the libevent loop (keys read when stdin
 * is readable, SIGWINCH, one redraw a loop pass), the status and message
 * lines, the prompt, and the background sync with its retry when offline. */

#include <sys/ioctl.h>

#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmd/cmd.h"
#include "config.h"
#include "content/mailcap.h"
#include "private.h"
#include "content/render.h"
#include "engine/backend.h"
#include "engine/session.h"
#include "content/text.h"
#include "url.h"
#include "ui.h"
#include "xmalloc.h"
#include "engine/view.h"

static void ui_on_stdin(evutil_socket_t, short, void *);
static void ui_on_winch(evutil_socket_t, short, void *);
static void ui_on_redraw(evutil_socket_t, short, void *);
static void ui_on_retry(struct session *, void *);
static void ui_key(struct ui *, int);
static void ui_prompt_key(struct ui *, int);
static void ui_prompt_start(struct ui *, enum ui_prompt);
static void ui_prompt_done(struct ui *);
static void ui_draw_status(struct ui *);
static void ui_draw_message(struct ui *);
static int ui_curses_key(int);
static void ui_be_changed(int64_t, enum backend_change, void *);
static void ui_be_progress(uint32_t, uint32_t, int, void *);
static void ui_be_listed(int, void *);
static void ui_be_state(void *);
static void ui_be_message(int, const char *, void *);
static void ui_be_moved(
    int64_t, uint32_t, const char *, uint32_t, uint32_t, void *);
static void ui_cancel(struct ui *);
static void ui_resize(struct ui *);
static void ui_on_wait(evutil_socket_t, short, void *);
static void ui_quit(struct ui *);
static int ui_quit_purge(struct ui *, int *);
static void ui_quit_index(struct ui *, int);
static void ui_run_free(struct ui *);
static void ui_on_ask(
    struct session *, enum session_cred, const char *, void *);
static void ui_on_creds(struct session *, const char *, void *);
static int ui_account_open(
    struct ui *, struct ui_account *, const struct account *);
static void ui_account_close(struct ui_account *);
static void ui_account_show(struct ui *, struct ui_account *);
static void ui_password_got(struct ui_account *);
static void ui_password_failed(struct ui_account *, const char *);

void
ui_dirty(struct ui *ui)
{
	event_active(ui->ev_redraw, 0, 0);
}

void
ui_message(struct ui *ui, int error, const char *fmt, ...)
{
	va_list ap;

	free(ui->msg);
	va_start(ap, fmt);
	xvasprintf(&ui->msg, fmt, ap);
	va_end(ap);
	ui->msg_error = error;
	ui_dirty(ui);
}

size_t
ui_list_rows(const struct ui *ui)
{
	return ui->rows > 2 ? (size_t)ui->rows - 2 : 1;
}

void
ui_show(struct ui *ui, enum keymap_screen s)
{
	ui->screen = s;
	ui_dirty(ui);
}

int
ui_move(enum keymap_action a, size_t *cur, size_t *top, size_t n, size_t rows)
{
	size_t half = rows / 2 > 0 ? rows / 2 : 1;

	if (n == 0)
		return a == KEYMAP_NEXT || a == KEYMAP_PREV ||
		    a == KEYMAP_PAGE_DOWN || a == KEYMAP_PAGE_UP ||
		    a == KEYMAP_HALF_DOWN || a == KEYMAP_HALF_UP ||
		    a == KEYMAP_FIRST || a == KEYMAP_LAST;
	switch (a) {
	case KEYMAP_NEXT:
		if (*cur + 1 < n)
			(*cur)++;
		break;
	case KEYMAP_PREV:
		if (*cur > 0)
			(*cur)--;
		break;
	case KEYMAP_PAGE_DOWN:
		*cur = *cur + rows < n ? *cur + rows : n - 1;
		*top = *top + rows < n ? *top + rows : *top;
		break;
	case KEYMAP_PAGE_UP:
		*cur = *cur > rows ? *cur - rows : 0;
		*top = *top > rows ? *top - rows : 0;
		break;
	case KEYMAP_HALF_DOWN:
		*cur = *cur + half < n ? *cur + half : n - 1;
		*top = *top + half < n ? *top + half : *top;
		break;
	case KEYMAP_HALF_UP:
		*cur = *cur > half ? *cur - half : 0;
		*top = *top > half ? *top - half : 0;
		break;
	case KEYMAP_FIRST:
		*cur = 0;
		break;
	case KEYMAP_LAST:
		*cur = n - 1;
		break;
	default:
		return 0;
	}
	/* Keep the cursor on the screen. */
	if (*cur < *top)
		*top = *cur;
	if (*cur >= *top + rows)
		*top = *cur - rows + 1;
	return 1;
}

/* --- the backend's refresh ---------------------------------------------- */

/* The open folder changed in the cache (or its row is known now). */
static void
ui_be_changed(int64_t id, enum backend_change how, void *arg)
{
	struct ui_account *ua = arg;
	struct ui *ui = ua->ui;

	if (ua != ui->acct)
		return; /* not shown */
	if (ui->folder_id == 0)
		ui->folder_id = id;
	if (how == BACKEND_CHANGE_SOON)
		ui_index_reload_soon(ui);
	else if (how == BACKEND_CHANGE_NOW || ui->model == NULL ||
	    model_count(ui->model) == 0)
		ui_index_reload(ui);
	ui_dirty(ui);
}

static void
ui_be_progress(uint32_t done, uint32_t total, int stored, void *arg)
{
	struct ui_account *ua = arg;
	struct ui *ui = ua->ui;
	struct timespec now;
	int64_t ms;

	if (ua != ui->acct)
		return;
	ui->prog_done = done;
	ui->prog_total = total;
	if (done == 0 && total == 0)
		return; /* one starts */
	/* Show what is stored so far, once a second: a reload of 100,000
	 * messages every 1,000 would cost more than the sync. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (stored &&
	    (ui->model == NULL || model_count(ui->model) == 0 ||
	        ms - ui->reload_ms >= 1000)) {
		ui->reload_ms = ms;
		ui_index_reload(ui);
	}
	ui_dirty(ui);
}

/* The folder list or counts changed; synced: a list refresh ended. */
static void
ui_be_listed(int synced, void *arg)
{
	struct ui_account *ua = arg;
	struct ui *ui = ua->ui;

	if (ua != ui->acct)
		return;
	if (ui->folders != NULL || (synced && ui->screen == KEYMAP_FOLDERS))
		ui_folders_load(ui);
	if (synced)
		ui_folders_listed(ui);
	ui_dirty(ui);
}

static void
ui_be_state(void *arg)
{
	struct ui_account *ua = arg;

	/* The outbox goes once the server is there. */
	if (ua == ua->ui->acct && session_net(ua->s) == SESSION_NET_ONLINE)
		ui_compose_kick(ua->ui);
	ui_dirty(ua->ui);
}

static void
ui_be_message(int error, const char *text, void *arg)
{
	struct ui_account *ua = arg;

	ui_message(ua->ui, error, "%s", text);
}

static void
ui_be_moved(int64_t folder, uint32_t uid, const char *dest_raw,
    uint32_t dest_uidvalidity, uint32_t dest_uid, void *arg)
{
	struct ui_account *ua = arg;

	if (ua == ua->ui->acct && folder == ua->ui->folder_id)
		triage_moved(
		    &ua->triage, uid, dest_raw, dest_uidvalidity, dest_uid);
}

/* The session's backoff ran out: try the network again. */
static void
ui_on_retry(struct session *s, void *arg)
{
	struct ui_account *ua = arg;

	(void)s;
	backend_refresh(ua->be, 0, 0);
}

/* Ctrl-G: stop the running sync or fetch; what it stored stays. */
static void
ui_cancel(struct ui *ui)
{
	if (session_creds_cancel(ui->s))
		return; /* ui_on_creds() says so */
	ui_message(ui, 0, "%s", backend_stop(ui->be));
}

/* --- password ------------------------------------------------------------ */

int
ui_password(struct ui *ui)
{
	return session_creds(ui->s) == 1;
}

/* The session asks for the password (no password-command): on the bottom
 * line, once no other prompt is open. */
static void
ui_on_ask(
    struct session *s, enum session_cred kind, const char *prompt, void *arg)
{
	struct ui_account *ua = arg;
	struct ui *ui = ua->ui;

	(void)kind;
	(void)prompt; /* the prompt line says "Password for ..." itself */
	if (ui->prompt != UI_PROMPT_NONE) {
		session_creds_later(s);
		session_retry_later(s); /* ask once the open prompt is done */
		return;
	}
	ui_prompt_start(ui, UI_PROMPT_PASSWORD);
}

/* The end of getting the password, by command or prompt. */
static void
ui_on_creds(struct session *s, const char *err, void *arg)
{
	(void)s;
	if (err != NULL)
		ui_password_failed(arg, err);
	else
		ui_password_got(arg);
}

/* The network may start: the live session, and the sync still wanted. */
static void
ui_password_got(struct ui_account *ua)
{
	backend_creds_ready(ua->be);
	ui_dirty(ua->ui);
}

static void
ui_password_failed(struct ui_account *ua, const char *err)
{
	session_set_net(ua->s, SESSION_NET_ERROR, err);
	ui_message(ua->ui, 1, "%s: %s ($ to try again)", ua->a->name, err);
}

/* --- folders ------------------------------------------------------------- */

void
ui_open_folder(struct ui *ui, const char *name)
{
	struct view_folder f;
	int rc;

	if ((rc = view_folder_get(ui->s, name, &f)) < 0) {
		ui_message(ui, 1, "%s", view_error(ui->s));
		return;
	}
	if (rc == 1 && strcasecmp(name, "INBOX") != 0 && ui->folders != NULL) {
		ui_message(ui, 1, "no folder '%s'", name);
		return;
	}
	if (rc == 0 && f.noselect) {
		ui_message(ui, 1, "'%s' holds folders, not messages", name);
		view_folder_clear(&f);
		return;
	}
	ui->ntags = 0; /* tags are of one folder's UIDs */
	free(ui->limit);
	ui->limit = NULL;
	triage_undo_clear(&ui->acct->triage);
	free(ui->folder);
	ui->folder = xstrdup(rc == 0 ? f.name : name);
	ui->folder_id = rc == 0 ? f.id : 0;
	backend_open_folder(ui->be, ui->folder, ui->folder_id);
	view_folder_clear(&f);
	model_free(ui->model);
	ui->model = NULL;
	ui->cur = ui->top = 0;
	ui_index_reload(ui);
	ui_index_home(ui);
	ui_show(ui, KEYMAP_INDEX);
	if (session_net(ui->s) != SESSION_NET_OFFLINE)
		backend_refresh(ui->be, 0, 0);
}

/* --- prompt -------------------------------------------------------------- */

static void
ui_prompt_start(struct ui *ui, enum ui_prompt p)
{
	ui->prompt = p;
	ui->plen = 0;
	ui->pbuf[0] = '\0';
	ui_dirty(ui);
}

void
ui_prompt_begin(struct ui *ui, enum ui_prompt p, const char *text)
{
	ui_prompt_start(ui, p);
	if (text != NULL) {
		ui->plen = strlen(text) < sizeof ui->pbuf - 1
		    ? strlen(text)
		    : sizeof ui->pbuf - 1;
		memcpy(ui->pbuf, text, ui->plen);
		ui->pbuf[ui->plen] = '\0';
	}
}

static void
ui_prompt_done(struct ui *ui)
{
	enum ui_prompt p = ui->prompt;

	ui->prompt = UI_PROMPT_NONE;
	ui_dirty(ui);
	if (UI_PROMPT_COMPOSE_LINE(p)) {
		ui_compose_complete_end(ui);
		ui_compose_prompted(ui, p, ui->pbuf, 0);
		return;
	}
	if (p == UI_PROMPT_PASSWORD) {
		if (ui->plen == 0)
			session_creds_fail(ui->s, "no password given");
		else
			session_creds_set(ui->s, xstrdup(ui->pbuf));
		explicit_bzero(ui->pbuf, sizeof ui->pbuf);
		ui->plen = 0;
		return;
	}
	if (p == UI_PROMPT_FOLDER) {
		if (ui->plen > 0)
			ui_open_folder(ui, ui->pbuf);
		return;
	}
	if (p == UI_PROMPT_MOVE || p == UI_PROMPT_COPY) {
		if (ui->plen > 0 &&
		    ui_folders_ask_create(ui, ui->pbuf, p == UI_PROMPT_COPY))
			return;
		if (ui->plen > 0 &&
		    ui_triage_move_prompted(
		        ui, ui->pbuf, p == UI_PROMPT_COPY) == 0 &&
		    p == UI_PROMPT_MOVE && ui->screen == KEYMAP_PAGER)
			ui_show(ui, KEYMAP_INDEX);
		return;
	}
	if (p == UI_PROMPT_CREATE || p == UI_PROMPT_RENAME) {
		if (ui->plen > 0)
			ui_folders_prompted(ui, p, ui->pbuf);
		return;
	}
	if (p == UI_PROMPT_TAG) {
		if (ui->plen > 0)
			ui_tag_pattern(ui, ui->pbuf);
		return;
	}
	if (p == UI_PROMPT_LIMIT) {
		ui_index_limit(ui, ui->pbuf);
		return;
	}
	if (ui->plen > 0) {
		free(ui->search);
		ui->search = xstrdup(ui->pbuf);
	}
	if (ui->search == NULL)
		return;
	ui->search_back = p == UI_PROMPT_SEARCH_BACK;
	if (ui->screen == KEYMAP_PAGER)
		ui_pager_search(ui, ui->search_back);
	else
		ui_index_search(ui, ui->search_back);
}

static void
ui_prompt_key(struct ui *ui, int key)
{
	enum ui_prompt p;

	if (UI_PROMPT_COMPOSE_YN(ui->prompt)) {
		p = ui->prompt;
		ui->prompt = UI_PROMPT_NONE;
		ui_compose_answer(ui, p, key);
		ui_dirty(ui);
		return;
	}
	if (key != '\t')
		ui_compose_complete_end(ui);
	if (ui->prompt == UI_PROMPT_DELETE) {
		ui->prompt = UI_PROMPT_NONE;
		if (key == 'y' || key == 'Y')
			ui_folders_prompted(ui, UI_PROMPT_DELETE, "");
		else
			ui_message(ui, 0, "not deleted");
		ui_dirty(ui);
		return;
	}
	if (ui->prompt == UI_PROMPT_EXPUNGE) {
		ui->prompt = UI_PROMPT_NONE;
		if (key == 'y' || key == 'Y')
			ui_triage_expunge(ui);
		backend_refresh(ui->be, 1, 1);
		ui_dirty(ui);
		return;
	}
	if (ui->prompt == UI_PROMPT_MOVE_CREATE) {
		ui->prompt = UI_PROMPT_NONE;
		ui_folders_create_answer(ui, key);
		ui_dirty(ui);
		return;
	}
	if (ui->prompt == UI_PROMPT_PURGE) {
		int purge;

		ui->prompt = UI_PROMPT_NONE;
		ui_dirty(ui);
		if (key == 0x07 || key == 0x1b) {
			ui_message(ui, 0, "not quitting");
			return;
		}
		purge = key == 'y' || key == 'Y' ||
		    ((key == '\r' || key == '\n') &&
		        ui->ctx->cf->delete_quad == CONFIG_QUAD_ASK_YES);
		if (purge)
			ui_triage_expunge(ui);
		ui_quit_index(ui, purge);
		return;
	}
	if (ui->prompt == UI_PROMPT_QUIT) {
		char *err;

		ui->prompt = UI_PROMPT_NONE;
		ui_dirty(ui);
		switch (key) {
		case 'w':
		case 'W':
			ui->quit_when_done = 1;
			ui_message(ui, 0, "waiting for the server (C-g: stop)");
			ui_on_wait(-1, 0, ui);
			break;
		case 'k':
		case 'K':
			ui_quit(ui);
			break;
		case 'd':
		case 'D':
			if (backend_discard(ui->be, &err) != 0) {
				ui_message(ui, 1, "%s", err);
				free(err);
			} else {
				ui_triage_queue_free(ui); /* never written */
				ui_quit(ui);
			}
			break;
		default:
			break;
		}
		return;
	}
	switch (key) {
	case 0x07: /* C-g */
	case 0x1b: /* Escape */
		if (ui->prompt == UI_PROMPT_PASSWORD) {
			explicit_bzero(ui->pbuf, sizeof ui->pbuf);
			ui->plen = 0;
			ui->prompt = UI_PROMPT_NONE;
			session_creds_fail(ui->s, "no password given");
		}
		p = ui->prompt;
		ui->prompt = UI_PROMPT_NONE;
		ui_dirty(ui);
		if (UI_PROMPT_COMPOSE_LINE(p))
			ui_compose_prompted(ui, p, ui->pbuf, 1);
		return;
	case '\r':
	case '\n':
		ui_prompt_done(ui);
		return;
	case '\t':
		if (ui->prompt == UI_PROMPT_FOLDER ||
		    ui->prompt == UI_PROMPT_MOVE ||
		    ui->prompt == UI_PROMPT_COPY)
			ui_folders_complete(ui);
		else if (UI_PROMPT_COMPOSE_LINE(ui->prompt))
			ui_compose_complete(ui);
		break;
	case KEYMAP_KEY_BACKSPACE:
	case 0x7f:
	case 0x08:
		/* Drop one UTF-8 character. */
		while (ui->plen > 0 &&
		    ((unsigned char)ui->pbuf[--ui->plen] & 0xc0) == 0x80)
			;
		ui->pbuf[ui->plen] = '\0';
		break;
	case 0x15: /* C-u */
		ui->plen = 0;
		ui->pbuf[0] = '\0';
		break;
	default:
		if (key >= 0x20 && key < 0x100 && key != 0x7f &&
		    ui->plen + 1 < sizeof ui->pbuf) {
			ui->pbuf[ui->plen++] = (char)key;
			ui->pbuf[ui->plen] = '\0';
		}
		break;
	}
	ui_dirty(ui);
}

/* --- keys ---------------------------------------------------------------- */

static int
ui_curses_key(int ch)
{
	switch (ch) {
	case KEY_UP:
		return KEYMAP_KEY_UP;
	case KEY_DOWN:
		return KEYMAP_KEY_DOWN;
	case KEY_LEFT:
		return KEYMAP_KEY_LEFT;
	case KEY_RIGHT:
		return KEYMAP_KEY_RIGHT;
	case KEY_PPAGE:
		return KEYMAP_KEY_PGUP;
	case KEY_NPAGE:
		return KEYMAP_KEY_PGDN;
	case KEY_HOME:
		return KEYMAP_KEY_HOME;
	case KEY_END:
		return KEYMAP_KEY_END;
	case KEY_BACKSPACE:
		return KEYMAP_KEY_BACKSPACE;
	case KEY_DC:
		return KEYMAP_KEY_DELETE;
	case KEY_ENTER:
		return '\r';
	default:
		if (ch >= KEY_F(1) && ch <= KEY_F(12))
			return KEYMAP_KEY_F(ch - KEY_F(0));
		if (ch >= 0 && ch < 0x100)
			return ch;
		return -1;
	}
}

static void
ui_key(struct ui *ui, int key)
{
	enum keymap_action a;
	uint32_t n;
	int tagged;

	if (ui->prompt != UI_PROMPT_NONE) {
		ui_prompt_key(ui, key);
		return;
	}
	if (ui->reload_wanted)
		ui_index_reload(ui); /* a key acts on the index as it is */
	a = keymap_lookup(ui->km, ui->screen, key);
	/* ";" is for the very next key only. */
	tagged = ui->tag_prefix;
	ui->tag_prefix = 0;
	if (a != KEYMAP_NONE && ui->msg != NULL && !ui->msg_error) {
		free(ui->msg);
		ui->msg = NULL;
	}
	switch (a) {
	case KEYMAP_NONE:
		if (key != KEY_RESIZE) {
			char name[16];

			ui_message(ui, 0, "key %s is not bound (? for help)",
			    keymap_key_name(key, name, sizeof name));
		}
		return;
	case KEYMAP_REDRAW:
		clearok(curscr, TRUE);
		ui_dirty(ui);
		return;
	case KEYMAP_HELP_SCREEN:
		if (ui->screen != KEYMAP_HELP) {
			ui->help_from = ui->screen;
			ui->htop = 0;
			ui_show(ui, KEYMAP_HELP);
		}
		return;
	case KEYMAP_CANCEL:
		if (ui->quit_when_done) {
			ui->quit_when_done = 0;
			ui_message(ui, 0, "not quitting");
			return;
		}
		ui_cancel(ui);
		return;
	case KEYMAP_SYNC:
		if ((n = ui_triage_deleted(ui, NULL)) > 0) {
			ui_message(ui, 0, "expunge %u deleted message%s? (y/n)",
			    n, n == 1 ? "" : "s");
			ui->prompt = UI_PROMPT_EXPUNGE;
			return;
		}
		if (backend_busy(ui->be)) {
			ui_message(ui, 0, "a sync is running");
			return;
		}
		session_retry_reset(ui->s);
		backend_refresh(ui->be, 1, 1);
		return;
	case KEYMAP_CHANGE_FOLDER:
		if (ui->folders == NULL)
			ui_folders_load(ui);
		ui_prompt_start(ui, UI_PROMPT_FOLDER);
		return;
	case KEYMAP_FOLDER_LIST:
		ui_folders_load(ui);
		ui_show(ui, KEYMAP_FOLDERS);
		return;
	case KEYMAP_SEARCH:
		ui_prompt_start(ui, UI_PROMPT_SEARCH);
		return;
	case KEYMAP_SEARCH_BACK:
		ui_prompt_start(ui, UI_PROMPT_SEARCH_BACK);
		return;
	case KEYMAP_SEARCH_NEXT:
		if (ui->search == NULL) {
			ui_message(ui, 0, "no search yet (/ to search)");
			return;
		}
		if (ui->screen == KEYMAP_PAGER)
			ui_pager_search(ui, ui->search_back);
		else
			ui_index_search(ui, ui->search_back);
		return;
	default:
		break;
	}
	if ((ui->screen == KEYMAP_INDEX || ui->screen == KEYMAP_PAGER) &&
	    ui_compose_key_start(ui, a))
		return;
	if (ui->screen == KEYMAP_INDEX && a == KEYMAP_UNDO && !tagged &&
	    ui_compose_undo_send(ui))
		return;
	if ((ui->screen == KEYMAP_INDEX || ui->screen == KEYMAP_PAGER) &&
	    ui_triage_key(ui, a, tagged))
		return;
	if (ui->screen == KEYMAP_INDEX && a == KEYMAP_QUIT) {
		int purged;

		if (!ui_quit_purge(ui, &purged))
			ui_quit_index(ui, purged);
		return;
	}
	switch (ui->screen) {
	case KEYMAP_INDEX:
		ui_index_key(ui, a);
		break;
	case KEYMAP_PAGER:
		ui_pager_key(ui, a);
		break;
	case KEYMAP_FOLDERS:
		ui_folders_key(ui, a);
		break;
	case KEYMAP_HELP:
		ui_help_key(ui, a);
		break;
	case KEYMAP_COMPOSE:
		ui_compose_key(ui, a);
		break;
	default:
		break;
	}
}

static void
ui_on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct ui *ui = arg;
	struct pollfd pfd;
	int ch, key, n = 0, avail;

	(void)what;
	while (!ui->quit && (ch = getch()) != ERR) {
		n++;
		if (ch == KEY_RESIZE) {
			/* curses has resized already (after resizeterm()). */
			ui->rows = LINES;
			ui->cols = COLS;
			ui_dirty(ui);
			continue;
		}
		if ((key = ui_curses_key(ch)) >= 0)
			ui_key(ui, key);
	}
	/* Woken with no key, and the terminal still says "readable" with
	 * nothing in it (end of file, or a hangup that sent no SIGHUP): it
	 * is gone. Quit as on q, without purging, rather than wake for ever.
	 * (Bytes curses took for a key not complete yet leave nothing
	 * readable, so they do not look like this.) */
	if (n == 0 && !ui->quit) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 1 &&
		    ((pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) ||
		        (ioctl(fd, FIONREAD, &avail) == 0 && avail == 0)))
			ui->quit = 1;
	}
	if (ui->quit)
		event_base_loopbreak(ui->ctx->base);
}

static void
ui_resize(struct ui *ui)
{
	struct winsize ws;
	int cols = ui->cols;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0 && (ws.ws_row != LINES || ws.ws_col != COLS))
		resizeterm(ws.ws_row, ws.ws_col);
	ui->rows = LINES;
	ui->cols = COLS;
	if (ui->cols != cols)
		ui_pager_rerender(ui); /* wrapped for the new width */
	clearok(curscr, TRUE);
	ui_dirty(ui);
}

void
ui_relayout(struct ui *ui)
{
	ui_resize(ui);
}

static void
ui_on_winch(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ui_resize(arg);
}

/* --- drawing ------------------------------------------------------------- */

static void
ui_draw_status(struct ui *ui)
{
	char net[256], a[32], b[32], total[32], unread[32];
	const char *sorts[] = {"date", "from", "subject", "size", "uid"};
	uint32_t n = 0, nu = 0;
	size_t i;

	if (ui->model != NULL) {
		n = (uint32_t)model_count(ui->model);
		for (i = 0; i < n; i++) {
			if (!(model_msg(ui->model, i)->flags & MODEL_FLAG_SEEN))
				nu++;
		}
	}
	switch (session_net(ui->s)) {
	case SESSION_NET_CONNECTING:
		snprintf(net, sizeof net, "%s", ui->be->ops->connect_verb);
		break;
	case SESSION_NET_SYNCING:
		if (ui->prog_total > 0)
			snprintf(net, sizeof net, "%s %s/%s",
			    ui->be->ops->refresh_verb,
			    ui_count(ui->prog_done, a, sizeof a),
			    ui_count(ui->prog_total, b, sizeof b));
		else
			snprintf(
			    net, sizeof net, "%s", ui->be->ops->refresh_verb);
		break;
	case SESSION_NET_ONLINE:
		snprintf(net, sizeof net, "online");
		break;
	case SESSION_NET_OFFLINE:
		snprintf(net, sizeof net, "offline: %s",
		    session_net_reason(ui->s) != NULL
		        ? session_net_reason(ui->s)
		        : "");
		break;
	case SESSION_NET_ERROR:
		snprintf(net, sizeof net, "error: %s",
		    session_net_reason(ui->s) != NULL
		        ? session_net_reason(ui->s)
		        : "");
		break;
	}
	attron(A_REVERSE);
	move(ui->rows - 2, 0);
	{
		char *line;

		char pos[32] = "";
		size_t nl;

		if (ui->screen == KEYMAP_PAGER && ui->doc != NULL &&
		    (nl = render_nlines(ui->doc)) > 0)
			snprintf(pos, sizeof pos, " (%zu%%)",
			    ui->ptop + ui_list_rows(ui) >= nl
			        ? (size_t)100
			        : (ui->ptop + ui_list_rows(ui)) * 100 / nl);
		char pend[96] = "";
		int64_t np = ui_triage_pending(ui), nh = 0;

		/* Held: made in a mailbox since recreated (errand push). */
		if (view_held(ui->s, &nh) != 0)
			nh = 0;
		if (nh > 0)
			snprintf(pend, sizeof pend,
			    " -- %lld pending, %lld held (errand push)",
			    (long long)np, (long long)nh);
		else if (np > 0)
			snprintf(pend, sizeof pend, " -- %lld pending",
			    (long long)np);
		/* Local folders: the flags are the Maildir's, and the
		 * network only brings mail home. "outbox: N" before the
		 * network's state, whose reason may run off the line. */
		if (ui->screen == KEYMAP_COMPOSE)
			xasprintf(&line,
			    "-- %s: compose -- y:send P:postpone q:abort "
			    "a:attach e:edit ?:help%s",
			    ui->a->name, ui_compose_status(ui));
		else
			xasprintf(&line,
			    "-- %s: %s [%s msgs, %s unread] sort: "
			    "%s%s%s%s%s%s%s -- %s%s%s",
			    ui->a->name, ui->folder,
			    ui_count(n, total, sizeof total),
			    ui_count(nu, unread, sizeof unread),
			    ui->reverse ? "reverse-" : "", sorts[ui->sort],
			    ui->limit != NULL ? " limit: " : "",
			    ui->limit != NULL ? ui->limit : "", pos, pend,
			    ui_compose_status(ui),
			    ui->be->ops->local_flags ? "local flags" : "",
			    ui->be->ops->local_flags &&
			            session_net(ui->s) != SESSION_NET_ONLINE
			        ? ", "
			        : "",
			    ui->be->ops->local_flags &&
			            session_net(ui->s) == SESSION_NET_ONLINE
			        ? ""
			        : net);
		ui_draw(ui->rows - 2, 0, (size_t)ui->cols, line, 1);
		free(line);
	}
	attroff(A_REVERSE);
}

static void
ui_draw_message(struct ui *ui)
{
	const char *label = "";
	char *line;
	size_t w;

	move(ui->rows - 1, 0);
	clrtoeol();
	if (ui->prompt == UI_PROMPT_EXPUNGE || ui->prompt == UI_PROMPT_QUIT ||
	    ui->prompt == UI_PROMPT_DELETE || ui->prompt == UI_PROMPT_PURGE ||
	    ui->prompt == UI_PROMPT_MOVE_CREATE ||
	    UI_PROMPT_COMPOSE_YN(ui->prompt)) {
		curs_set(0);
		attron(A_BOLD);
		ui_draw(ui->rows - 1, 0, (size_t)ui->cols,
		    ui->msg != NULL ? ui->msg : "", 0);
		attroff(A_BOLD);
		return;
	}
	if (ui->prompt != UI_PROMPT_NONE) {
		switch (ui->prompt) {
		case UI_PROMPT_SEARCH:
			label = "Search for: ";
			break;
		case UI_PROMPT_SEARCH_BACK:
			label = "Search backward for: ";
			break;
		case UI_PROMPT_FOLDER:
			label = "Open folder: ";
			break;
		case UI_PROMPT_MOVE:
			label = "Move to folder: ";
			break;
		case UI_PROMPT_COPY:
			label = ui->prompt_tagged ? "Copy tagged to folder: "
			                          : "Copy to folder: ";
			break;
		case UI_PROMPT_TAG:
			label = "Tag messages matching: ";
			break;
		case UI_PROMPT_LIMIT:
			label = "Limit to messages matching: ";
			break;
		case UI_PROMPT_CREATE:
			label = "Create folder: ";
			break;
		case UI_PROMPT_RENAME:
			label = "Rename to: ";
			break;
		case UI_PROMPT_TO:
		case UI_PROMPT_CC:
		case UI_PROMPT_BCC:
		case UI_PROMPT_SUBJECT:
		case UI_PROMPT_ATTACH:
			label = ui_compose_label(ui, ui->prompt);
			break;
		default:
			break;
		}
		if (ui->prompt == UI_PROMPT_PASSWORD) {
			const char *user = ui->a->url.user;

			if (user == NULL && (user = getenv("USER")) == NULL)
				user = "";
			/* Nothing typed is shown, not even its length. */
			xasprintf(&line, "Password for %s@%s: ", user,
			    ui->a->url.host);
		} else
			xasprintf(&line, "%s%s", label, ui->pbuf);
		w = ui_draw(ui->rows - 1, 0, (size_t)ui->cols, line, 0);
		free(line);
		move(ui->rows - 1, (int)(w < (size_t)ui->cols ? w : w - 1));
		curs_set(1);
		return;
	}
	curs_set(0);
	if (ui->msg == NULL)
		return;
	if (ui->msg_error)
		attron(A_BOLD);
	ui_draw(ui->rows - 1, 0, (size_t)ui->cols, ui->msg, 0);
	if (ui->msg_error)
		attroff(A_BOLD);
}

static void
ui_on_redraw(evutil_socket_t fd, short what, void *arg)
{
	struct ui *ui = arg;

	(void)fd;
	(void)what;
	if (ui->quit)
		return;
	erase();
	if (ui->rows < 3 || ui->cols < 10) {
		ui_draw(0, 0, (size_t)ui->cols, "terminal too small", 0);
		refresh();
		return;
	}
	if (ui->reload_wanted)
		ui_index_reload(ui);
	switch (ui->screen) {
	case KEYMAP_INDEX:
		ui_index_draw(ui);
		break;
	case KEYMAP_PAGER:
		ui_pager_draw(ui);
		break;
	case KEYMAP_FOLDERS:
		ui_folders_draw(ui);
		break;
	case KEYMAP_HELP:
		ui_help_draw(ui);
		break;
	case KEYMAP_COMPOSE:
		ui_compose_draw(ui);
		break;
	default:
		break;
	}
	ui_draw_status(ui);
	if (UI_PROMPT_COMPOSE_LINE(ui->prompt))
		ui_compose_draw_matches(ui);
	ui_draw_message(ui);
	refresh();
}

/* --- the live session ---------------------------------------------------- */

static void
ui_quit(struct ui *ui)
{
	ui->quit = 1;
	event_base_loopbreak(ui->ctx->base);
}

/* q on the index with messages marked deleted: purge them as the delete
 * option says (mutt's quad-option); 1 when it asks first, else *purged
 * says whether it purged. */
static int
ui_quit_purge(struct ui *ui, int *purged)
{
	enum config_quad q = ui->ctx->cf->delete_quad;
	uint32_t n;

	*purged = 0;
	if (q == CONFIG_QUAD_NO || (n = ui_triage_deleted(ui, NULL)) == 0)
		return 0;
	if (q == CONFIG_QUAD_YES) {
		ui_triage_expunge(ui);
		*purged = 1;
		return 0;
	}
	ui_message(ui, 0, "purge %u deleted message%s? (%s)", n,
	    n == 1 ? "" : "s",
	    q == CONFIG_QUAD_ASK_YES ? "[yes]/no" : "yes/[no]");
	ui->prompt = UI_PROMPT_PURGE;
	return 1;
}

/* q on the index once the deleted messages are seen to: quit, asking
 * first when changes are not on the server yet; after a purge (purged)
 * online, wait for the server as mutt does. */
static void
ui_quit_index(struct ui *ui, int purged)
{
	int64_t pending;

	if ((pending = ui_triage_pending(ui)) > 0 && purged &&
	    session_net(ui->s) == SESSION_NET_ONLINE) {
		ui->quit_when_done = 1;
		ui_message(
		    ui, 0, "purging: waiting for the server (C-g: stop)");
		ui_on_wait(-1, 0, ui);
		return;
	}
	if (pending > 0) {
		ui_message(ui, 0,
		    "%lld change%s not on the server yet: (w)ait, (k)eep for "
		    "next time, (d)iscard?",
		    (long long)pending, pending == 1 ? "" : "s");
		ui->prompt = UI_PROMPT_QUIT;
		return;
	}
	ui_index_key(ui, KEYMAP_QUIT);
}

/* While quitting waits for the journal to empty: look again soon. */
static void
ui_on_wait(evutil_socket_t fd, short what, void *arg)
{
	struct ui *ui = arg;
	struct timeval tv = {0, 100000};

	(void)fd;
	(void)what;
	if (!ui->quit_when_done)
		return;
	if (ui_triage_pending(ui) == 0) {
		ui_quit(ui);
		return;
	}
	evtimer_add(ui->ev_wait, &tv);
}

/* --- run ----------------------------------------------------------------- */

/* Free what ui_run() made. */
static void
ui_run_free(struct ui *ui)
{
	size_t i;

	ui_compose_free(ui); /* its sending uses the session */
	ui_triage_queue_free(ui);
	for (i = 0; i < ui->naccounts; i++) {
		/* The sync or fetch, the live session, the local folders. */
		backend_free(ui->accounts[i].be);
		ui->accounts[i].be = NULL;
		triage_clear(&ui->accounts[i].triage);
	}
	event_free(ui->ev_wait);
	ui_pager_close(ui);
	ui_folders_free(ui);
	event_free(ui->ev_stdin);
	event_free(ui->ev_winch);
	event_free(ui->ev_redraw);
	model_free(ui->model);
	free(ui->folder);
	free(ui->msg);
	free(ui->search);
	free(ui->limit);
	free(ui->pager_error);
	free(ui->html_command);
	free(ui->tags);
	free(ui->prompt_folder);
	free(ui->move_to);
	keymap_free(ui->km);
	for (i = 0; i < ui->naccounts; i++)
		ui_account_close(&ui->accounts[i]);
	free(ui->accounts);
}

/* Open an account for the interface: its cache first (the password is
 * got when the network needs it, ui_password(), so a slow
 * password-command or a prompt never keeps the cached mail from
 * showing), its session, triage and backend. 0, or -1 after saying why. */
static int
ui_account_open(struct ui *ui, struct ui_account *ua, const struct account *a)
{
	struct session_params sp;
	struct backend_events ev;
	struct store *st;
	char *err;

	memset(ua, 0, sizeof *ua);
	ua->ui = ui;
	ua->a = a;
	if ((st = cmd_store_open(a)) == NULL)
		return -1;
	cmd_loop(ui->ctx);
	memset(&sp, 0, sizeof sp);
	sp.base = ui->ctx->base;
	sp.dns = ui->ctx->dns;
	sp.log = ui->ctx->log;
	sp.a = a;
	sp.st = st;
	sp.own_store = 1;
	sp.ask = ui_on_ask;
	sp.ready = ui_on_creds;
	sp.retry = ui_on_retry;
	sp.arg = ua;
	ua->s = session_new(&sp);
	/* Keys must not wait on another errand's write: a write that meets
	 * one is tried again from the loop. */
	view_busy_wait(ua->s, UI_BUSY_WAIT_MS);
	ui_triage_init(ua);
	if ((ua->be = backend_open(ua->s, &err)) == NULL) {
		cmd_error("%s: %s", a->name, err);
		free(err);
		ui_account_close(ua);
		return -1;
	}
	memset(&ev, 0, sizeof ev);
	ev.changed = ui_be_changed;
	ev.progress = ui_be_progress;
	ev.listed = ui_be_listed;
	ev.state = ui_be_state;
	ev.message = ui_be_message;
	ev.moved = ui_be_moved;
	ev.arg = ua;
	backend_events(ua->be, &ev);
	triage_set_backend(&ua->triage, ua->be);
	return 0;
}

/* Free what ui_account_open() made (a backend left, the triage), then the
 * session: it wipes the password and closes the cache. */
static void
ui_account_close(struct ui_account *ua)
{
	backend_free(ua->be);
	ua->be = NULL;
	triage_clear(&ua->triage);
	session_free(ua->s);
	ua->s = NULL;
}

/* Show the account ua (its folders, index and network). */
static void
ui_account_show(struct ui *ui, struct ui_account *ua)
{
	ui->acct = ua;
	ui->a = ua->a;
	ui->s = ua->s;
	ui->be = ua->be;
}

int
ui_run(struct cmd_ctx *ctx, const struct account *a, const char *folder)
{
	struct ui ui;
	size_t i;
	const struct config *cf = ctx->cf;
	char *last_error = NULL;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cmd_error("the interface needs a terminal (for scripts: "
		          "errand list, errand sync)");
		return CMD_EXIT_USAGE;
	}
	memset(&ui, 0, sizeof ui);
	ui.ctx = ctx;
	/* One account today; the list is for several later. */
	ui.accounts = xcalloc(1, sizeof *ui.accounts);
	if (ui_account_open(&ui, &ui.accounts[0], a) != 0) {
		free(ui.accounts);
		return CMD_EXIT_FAIL;
	}
	ui.naccounts = 1;
	ui_account_show(&ui, &ui.accounts[0]);
	ui.km = keymap_new();
	ui.html_command = mailcap_viewer("text/html");
	for (i = 0; i < cf->nbindings; i++)
		keymap_bind(ui.km, (enum keymap_screen)cf->bindings[i].screen,
		    cf->bindings[i].key,
		    (enum keymap_action)cf->bindings[i].action);
	switch (cf->sort) {
	case CONFIG_SORT_DATE:
		ui.sort = MODEL_SORT_DATE;
		ui.reverse = cf->sort_reverse;
		break;
	case CONFIG_SORT_FROM:
		ui.sort = MODEL_SORT_FROM;
		ui.reverse = cf->sort_reverse;
		break;
	case CONFIG_SORT_SUBJECT:
		ui.sort = MODEL_SORT_SUBJECT;
		ui.reverse = cf->sort_reverse;
		break;
	case CONFIG_SORT_SIZE:
		ui.sort = MODEL_SORT_SIZE;
		ui.reverse = cf->sort_reverse;
		break;
	}

	setlocale(LC_ALL, "");
	if (getenv("ESCDELAY") == NULL)
		set_escdelay(25);
	if (initscr() == NULL) {
		cmd_error("cannot start the terminal interface (TERM=%s)",
		    getenv("TERM") != NULL ? getenv("TERM") : "");
		free(ui.html_command);
		keymap_free(ui.km);
		ui_account_close(&ui.accounts[0]);
		free(ui.accounts);
		return CMD_EXIT_FAIL;
	}
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_CYAN, -1);    /* headers */
		init_pair(2, COLOR_GREEN, -1);   /* quote levels 1, 3, ... */
		init_pair(3, COLOR_YELLOW, -1);  /* quote levels 2, 4, ... */
		init_pair(4, COLOR_BLUE, -1);    /* signature */
		init_pair(5, COLOR_MAGENTA, -1); /* attachments */
	}
	ui.rows = LINES;
	ui.cols = COLS;

	ui.ev_stdin = event_new(
	    ctx->base, STDIN_FILENO, EV_READ | EV_PERSIST, ui_on_stdin, &ui);
	ui.ev_winch = evsignal_new(ctx->base, SIGWINCH, ui_on_winch, &ui);
	ui.ev_redraw = event_new(ctx->base, -1, 0, ui_on_redraw, &ui);
	event_add(ui.ev_stdin, NULL);
	event_add(ui.ev_winch, NULL);

	{
		char *err;

		/* Local folders: every one from disk now, two stat()s each
		 * when nothing changed since the last run. */
		if (ui.be->ops->refresh_all(ui.be, &err) != 0) {
			ui_message(&ui, 1, "%s", err);
			free(err);
		}
	}
	ui.ev_wait = evtimer_new(ctx->base, ui_on_wait, &ui);
	backend_poll_start(ui.be);
	backend_want(ui.be, 0, 1);
	ui_open_folder(&ui, folder != NULL ? folder : "INBOX");
	/* Said on stderr before curses too, where nobody sees it. */
	if (view_notice(ui.s) != NULL)
		ui_message(&ui, 1, "%s", view_notice(ui.s));
	ui_compose_init(&ui);
	ui_on_redraw(-1, 0, &ui);
	while (!ui.quit)
		event_base_dispatch(ctx->base);

	endwin();
	if (ui_triage_queue_write(&ui, UI_BUSY_WAIT_MS) != 0) {
		/* Kept for next time: written once the other errand lets
		 * go, however long that takes. */
		cmd_error("waiting for the cache to write %zu change%s",
		    ui.acct->triage.nqueue,
		    ui.acct->triage.nqueue == 1 ? "" : "s");
		if (ui_triage_queue_write(&ui, VIEW_WAIT_LONG_MS) != 0)
			cmd_error("%zu change%s lost: %s",
			    ui.acct->triage.nqueue,
			    ui.acct->triage.nqueue == 1 ? "" : "s",
			    view_error(ui.s));
	}
	if (session_net(ui.s) == SESSION_NET_ERROR &&
	    session_net_reason(ui.s) != NULL)
		last_error = xstrdup(session_net_reason(ui.s));
	ui_run_free(&ui);
	if (last_error != NULL) {
		cmd_error("%s", last_error);
		free(last_error);
	}
	return CMD_EXIT_OK;
}
