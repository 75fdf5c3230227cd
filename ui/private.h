/* errand: a terminal mail user agent. See LICENSE.
 * What the screens of ui/ share: the interface's state, drawing helpers,
 * and each screen's draw and key functions. Not for use outside ui/. */
#ifndef ERRAND_UI_PRIVATE_H
#define ERRAND_UI_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "keymap.h"
#include "engine/model.h"
#include "engine/session.h"
#include "engine/triage.h"

struct cmd_ctx;
struct account;
struct view_folder;
struct render_doc;
struct ui_html;
struct event;
struct session;
struct backend;

enum ui_prompt {
	UI_PROMPT_NONE,
	UI_PROMPT_SEARCH,      /* "/" */
	UI_PROMPT_SEARCH_BACK, /* "\" */
	UI_PROMPT_FOLDER,      /* "c" */
	UI_PROMPT_MOVE,        /* "s" */
	UI_PROMPT_COPY,        /* "C" */
	UI_PROMPT_TAG,         /* "T" */
	UI_PROMPT_LIMIT,       /* "l" */
	UI_PROMPT_CREATE,      /* folder list "C" */
	UI_PROMPT_RENAME,      /* folder list "r" */
	UI_PROMPT_DELETE,      /* folder list "d": y or n */
	UI_PROMPT_EXPUNGE,     /* "$" with deleted messages: y or n */
	UI_PROMPT_QUIT,        /* "q" with changes pending: w, k or d */
	UI_PROMPT_PASSWORD,    /* the account's password, not echoed */
	UI_PROMPT_PURGE,       /* "q" with deleted messages: y, n or Enter */
	UI_PROMPT_MOVE_CREATE, /* "s" or "C" to a new folder: y, n or Enter */
	UI_PROMPT_TO,          /* compose: To, Tab completes */
	UI_PROMPT_CC,          /* compose: Cc */
	UI_PROMPT_BCC,         /* compose: Bcc */
	UI_PROMPT_SUBJECT,     /* compose: Subject */
	UI_PROMPT_ATTACH,      /* compose "a": a file, Tab completes */
	UI_PROMPT_REPLY_TO,    /* "r": reply to Reply-To? y or n */
	UI_PROMPT_ABORT,       /* compose "q": y or n */
	UI_PROMPT_RESUME,      /* resume a draft? y or n */
};

/* A y/n question about the message being written (ui_compose_answer()). */
#define UI_PROMPT_COMPOSE_YN(p)                                                \
	((p) == UI_PROMPT_REPLY_TO || (p) == UI_PROMPT_ABORT ||                \
	    (p) == UI_PROMPT_RESUME)
/* A line typed for it (ui_compose_prompted()). */
#define UI_PROMPT_COMPOSE_LINE(p)                                              \
	((p) >= UI_PROMPT_TO && (p) <= UI_PROMPT_ATTACH)

enum ui_pager_state {
	UI_PAGER_SHOWN,      /* doc holds the message */
	UI_PAGER_LOADING,    /* the body is being fetched */
	UI_PAGER_NOT_CACHED, /* offline and not in the cache */
	UI_PAGER_FAILED,     /* the fetch failed: pager_error says why */
};

/* An account the interface shows: the engine's parts of it. */
struct ui_account {
	struct ui *ui;           /* the interface, for the engine's callbacks */
	const struct account *a; /* its configuration */
	/* Its session: the cache, credentials, network state and retry. */
	struct session *s;
	/* Its backend: the sync or fetch, folders, bodies, local changes. */
	struct backend *be;
	/* Its changes: the queue waiting for the cache, the undo list. */
	struct triage triage;
};

struct ui {
	struct cmd_ctx *ctx;
	/* The accounts, one shown at a time (one today); a, s and be are the
	 * shown one's, for short. */
	struct ui_account *accounts;
	size_t naccounts;
	struct ui_account *acct; /* the one shown */
	const struct account *a;
	struct session *s;
	struct backend *be;
	struct keymap *km;
	char *html_command; /* the mailcap's text/html viewer, or NULL */

	struct event *ev_stdin, *ev_winch, *ev_redraw;
	int rows, cols;
	int quit;

	enum keymap_screen screen;     /* shown */
	enum keymap_screen help_from;  /* the screen help was opened on */
	enum keymap_screen pager_from; /* index or folders */

	/* The open folder and its index. */
	char *folder;      /* display name */
	int64_t folder_id; /* store row, 0 when not in the cache yet */
	struct model *model;
	size_t cur, top;
	int reload_wanted; /* ui_index_reload_soon() was asked */
	enum model_sort sort;
	int reverse;

	/* The folder list. */
	struct view_folder *folders;
	size_t nfolders, fcur, ftop;

	/* The pager. */
	struct render_doc *doc;
	enum ui_pager_state pstate;
	char *pager_error;
	uint32_t puid;
	size_t ptop;
	struct ui_html *html; /* the viewer's text for its HTML parts */
	int phighlight;       /* a search found this message: mark matches */

	/* The help screen. */
	size_t htop;

	/* The network. */
	int quit_when_done;    /* quit once the journal is empty */
	struct event *ev_wait; /* checks it */
	uint32_t prog_done, prog_total;
	int64_t reload_ms; /* when the index was last reloaded for progress */

	/* The message line. */
	char *msg;
	int msg_error;

	/* The prompt on the message line. */
	enum ui_prompt prompt;
	char pbuf[512];
	size_t plen;
	uint32_t prompt_uid; /* the message a move or copy prompt is for */
	int prompt_tagged;   /* the prompt is for every tagged message */
	char *prompt_folder; /* the folder a rename or delete prompt is for */
	char *move_to;       /* a folder being made for the prompt's move */
	int move_copy;       /* and it is a copy */

	/* Tags: UIDs of the open folder, in the order tagged. */
	uint32_t *tags;
	size_t ntags;
	int tag_prefix;  /* ";" was typed: the next action is for the tags */
	char *search;    /* the last search */
	int search_back; /* it went backward */
	char *limit;     /* the index shows what this pattern matches (l) */

	/* Writes the shown account's triage changes that another process (a
	 * second errand) kept from the cache, in order; shown as done
	 * meanwhile. */
	struct event *ev_queue;

	/* Writing mail (compose.c): the message being written or NULL,
	 * the address book, the outbox and its sending. */
	struct ui_compose *compose;
	struct ui_writing *writing;
};

/* --- ui.c ---------------------------------------------------------------- */

/* How long a write to the cache waits for another process's lock before
 * it is tried again from the loop: keys wait no longer than this. */
#define UI_BUSY_WAIT_MS 50

/* Redraw at the end of this loop pass. */
void ui_dirty(struct ui *);

/* Show a message (printf-like) on the message line; error ones stand out. */
void ui_message(struct ui *, int error, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Open a folder by display name: its cached index now, a sync behind. */
void ui_open_folder(struct ui *, const char *name);

/* 1 when the account's password is at hand; else 0, after starting to get
 * it (the password-command on the loop, or the prompt) unless that is
 * under way: the index stays usable meanwhile, and the sync that was
 * wanted starts when the password comes. */
int ui_password(struct ui *);

/* Switch screens. */
void ui_show(struct ui *, enum keymap_screen);

/* Rows for a screen's list: the screen less the status and message lines. */
size_t ui_list_rows(const struct ui *);

/* Move a cursor over n lines shown rows at a time for a movement action;
 * returns 1 when the action was a movement. */
int ui_move(
    enum keymap_action, size_t *cur, size_t *top, size_t n, size_t rows);

/* --- draw.c -------------------------------------------------------------- */

/* Draw s at y, x in at most cols columns (made terminal-safe first); pad
 * with spaces to cols when pad is set. Returns the columns drawn. */
size_t ui_draw(int y, int x, size_t cols, const char *s, int pad);

/* A count with thousands separators into buf: 12,400. */
const char *ui_count(uint32_t n, char *buf, size_t size);

/* A size for the index: 512, 12K, 1.2M. */
const char *ui_size(uint32_t n, char *buf, size_t size);

/* A date for the index: today "14:05", this year "Nov 03", else
 * "2019-06-11". */
const char *ui_date(int64_t t, char *buf, size_t size);

/* --- index.c ------------------------------------------------------------- */

void ui_index_draw(struct ui *);
void ui_index_key(struct ui *, enum keymap_action);
/* Put the cursor on the first unread message, else the newest. */
void ui_index_home(struct ui *);
/* Reload the model from the cache keeping the cursor's message. */
void ui_index_reload(struct ui *);
/* The same before the next key or redraw, once however often asked. */
void ui_index_reload_soon(struct ui *);
/* Search the index for the last search string from the cursor. */
void ui_index_search(struct ui *, int backward);

/* --- pager.c ------------------------------------------------------------- */

void ui_pager_open(struct ui *, uint32_t uid);
void ui_pager_draw(struct ui *);
void ui_pager_key(struct ui *, enum keymap_action);
void ui_pager_search(struct ui *, int backward);
void ui_pager_close(struct ui *);
/* Render the message shown again (the width or the viewer's text changed),
 * keeping the place as far as it still exists. */
void ui_pager_rerender(struct ui *);

/* --- folders.c ----------------------------------------------------------- */

void ui_folders_load(struct ui *);
void ui_folders_draw(struct ui *);
void ui_folders_key(struct ui *, enum keymap_action);
void ui_folders_free(struct ui *);
/* The answer to a create, rename or delete prompt. */
void ui_folders_prompted(struct ui *, enum ui_prompt, const char *);
/* Complete the prompt buffer to a folder name (Tab). */
void ui_folders_complete(struct ui *);
/* A move or copy to dest that does not exist: ask to create it (1), or
 * 0 when it exists. */
int ui_folders_ask_create(struct ui *, const char *dest, int copy);
/* The answer (a key) to that question: create, then move. */
void ui_folders_create_answer(struct ui *, int key);
/* The folder list was synced: a move waiting for its folder goes on. */
void ui_folders_listed(struct ui *);

/* --- triage.c ------------------------------------------------------------ */

/* Set (1), clear (0) or toggle (-1) a flag (S F D A) of a message: model,
 * cache and journal now, the server through the live session. */
int ui_triage_flag(struct ui *, uint32_t uid, char letter, int set);
/* A triage action on the current message, or on every tagged one when the
 * key came right after ";" (tagged); 0 when a is not one. */
int ui_triage_key(struct ui *, enum keymap_action, int tagged);
/* The messages marked deleted in the open folder, and their UIDs in
 * *uids (the caller frees it) when uids is not NULL. */
uint32_t ui_triage_deleted(struct ui *, uint32_t **uids);
/* Move (or copy) a message to the folder called dest (display name). */
int ui_triage_move(struct ui *, uint32_t uid, const char *dest, int copy);
/* Move a message to the special-use Archive folder. */
int ui_triage_archive(struct ui *, uint32_t uid);
/* Move or copy the prompt's message, or every tagged one. */
int ui_triage_move_prompted(struct ui *, const char *dest, int copy);
/* Whether a message is tagged; tag or untag one. */
int ui_tagged(const struct ui *, uint32_t uid);
void ui_tag(struct ui *, uint32_t uid, int on);
/* Tag the messages matching a T pattern (src/engine/pattern.h), saying how many
 * or what is wrong with it. */
void ui_tag_pattern(struct ui *, const char *pattern);
/* Limit the index to the messages matching a pattern; "", "all" or "~A"
 * shows all again. */
void ui_index_limit(struct ui *, const char *pattern);
/* Undo the last triage action. */
void ui_triage_undo(struct ui *);
/* Journal an expunge of the deleted messages. */
void ui_triage_expunge(struct ui *);
/* Changes not yet on the server (queued ones included). */
int64_t ui_triage_pending(struct ui *);
/* Write the queued changes that the cache takes now; the rest wait for
 * ev_queue. wait_ms is how long to wait for another's lock. 0 when none
 * is left. */
int ui_triage_queue_write(struct ui *, int wait_ms);
/* After the model is loaded: show the queued changes of the open folder. */
void ui_triage_queue_show(struct ui *);
/* Forget the queued changes and free ev_queue. */
void ui_triage_queue_free(struct ui *);
/* Set up an account's triage once its cache is open. */
void ui_triage_init(struct ui_account *);

/* --- compose.c ---------------------------------------------------------- */

/* Start a prompt with text already typed. */
void ui_prompt_begin(struct ui *, enum ui_prompt, const char *text);
/* Lay the screen out again after the terminal was handed over. */
void ui_relayout(struct ui *);

/* Once the interface is up: the outbox, and the drafts a crashed errand
 * left (each offered for resuming). */
void ui_compose_init(struct ui *);
/* m r g L f R from the index or the pager: 1 when a was one of them. */
int ui_compose_key_start(struct ui *, enum keymap_action);
/* The pager's fetch of a message ended (ok: it is shown): a reply or
 * forward waiting for it goes on. */
void ui_compose_fetched(struct ui *, int ok);
/* U in the index: take the last message sent back within send-delay;
 * 1 when it did (or said why not), 0 when there is none to take back. */
int ui_compose_undo_send(struct ui *);
/* The compose screen. */
void ui_compose_draw(struct ui *);
void ui_compose_key(struct ui *, enum keymap_action);
/* A line typed at a compose prompt; Escape (cancelled) too. */
void ui_compose_prompted(
    struct ui *, enum ui_prompt, const char *, int cancelled);
/* The answer to a y/n compose question. */
void ui_compose_answer(struct ui *, enum ui_prompt, int key);
/* The label of a compose prompt ("To: "). */
const char *ui_compose_label(struct ui *, enum ui_prompt);
/* Tab in a compose prompt: complete the address or the path; any other
 * key ends the cycling through matches (ui_compose_complete_end()). */
void ui_compose_complete(struct ui *);
void ui_compose_complete_end(struct ui *);
/* The matches being cycled through, above the prompt. */
void ui_compose_draw_matches(struct ui *);
/* Send what the outbox holds now (after a sync found the server). */
void ui_compose_kick(struct ui *);
/* "outbox: N" for the status line, or "". */
const char *ui_compose_status(struct ui *);
/* Free what compose.c made (the draft being written is kept on disk). */
void ui_compose_free(struct ui *);

/* --- help.c -------------------------------------------------------------- */

void ui_help_draw(struct ui *);
void ui_help_key(struct ui *, enum keymap_action);

#endif
