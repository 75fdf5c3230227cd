/* errand: a terminal mail user agent. See LICENSE.
 * Key bindings: the interface's screens and actions by name, key names as
 * the config writes them ("j", "Down", "C-g", "PgDn", "Enter"), mutt's
 * defaults, and the user's [bindings SCREEN] lines on top of them. */
#ifndef ERRAND_KEYMAP_H
#define ERRAND_KEYMAP_H

#include <stddef.h>

enum keymap_screen {
	KEYMAP_INDEX,
	KEYMAP_PAGER,
	KEYMAP_FOLDERS,
	KEYMAP_HELP,
	KEYMAP_COMPOSE, /* the message being written */
	KEYMAP_NSCREENS,
};

enum keymap_action {
	KEYMAP_NONE,
	KEYMAP_NEXT,          /* next line or message */
	KEYMAP_PREV,          /* previous line or message */
	KEYMAP_PAGE_DOWN,     /* a page down */
	KEYMAP_PAGE_UP,       /* a page up */
	KEYMAP_HALF_DOWN,     /* half a page down */
	KEYMAP_HALF_UP,       /* half a page up */
	KEYMAP_FIRST,         /* first line or message */
	KEYMAP_LAST,          /* last line or message */
	KEYMAP_OPEN,          /* open the message or folder */
	KEYMAP_QUIT,          /* back, or quit from the index */
	KEYMAP_SEARCH,        /* search forward */
	KEYMAP_SEARCH_BACK,   /* search backward */
	KEYMAP_SEARCH_NEXT,   /* the search again */
	KEYMAP_CHANGE_FOLDER, /* prompt for a folder */
	KEYMAP_FOLDER_LIST,   /* the folder list */
	KEYMAP_SYNC,          /* sync now */
	KEYMAP_HELP_SCREEN,   /* the key bindings */
	KEYMAP_REDRAW,        /* redraw the screen */
	KEYMAP_SORT,          /* cycle the sort key */
	KEYMAP_SORT_REVERSE,  /* reverse the sort */
	KEYMAP_CANCEL,        /* cancel long work */
	KEYMAP_NEXT_MESSAGE,  /* pager: the next message */
	KEYMAP_PREV_MESSAGE,  /* pager: the previous message */
	KEYMAP_TOGGLE_NEW,    /* mark new or read */
	KEYMAP_TOGGLE_FLAG,   /* flag or unflag */
	KEYMAP_DELETE,        /* mark deleted */
	KEYMAP_UNDELETE,      /* clear the deleted mark */
	KEYMAP_MOVE,          /* move to a folder */
	KEYMAP_COPY,          /* copy to a folder */
	KEYMAP_ARCHIVE,       /* move to the Archive folder */
	KEYMAP_TAG,           /* tag or untag the message */
	KEYMAP_TAG_PATTERN,   /* tag the messages matching a pattern */
	KEYMAP_TAG_PREFIX,    /* apply the next action to the tagged ones */
	KEYMAP_LIMIT,         /* show only the messages matching a pattern */
	KEYMAP_UNDO,          /* undo the last triage action */
	KEYMAP_FOLDER_CREATE, /* folder list: create a folder */
	KEYMAP_FOLDER_RENAME, /* folder list: rename the folder */
	KEYMAP_FOLDER_DELETE, /* folder list: delete the folder */
	KEYMAP_SUBSCRIBE,     /* folder list: subscribe */
	KEYMAP_UNSUBSCRIBE,   /* folder list: unsubscribe */
	KEYMAP_SAVE_ATTACH,   /* pager: save the attachments */
	KEYMAP_MAIL,          /* write a new message */
	KEYMAP_REPLY,         /* reply to the sender */
	KEYMAP_GROUP_REPLY,   /* reply to the sender and every recipient */
	KEYMAP_LIST_REPLY,    /* reply to the mailing list */
	KEYMAP_FORWARD,       /* forward the message */
	KEYMAP_RECALL,        /* resume a postponed message */
	KEYMAP_ATTACH,        /* compose: attach a file */
	KEYMAP_DETACH,        /* compose: drop the selected attachment */
	KEYMAP_EDIT_TO,       /* compose: edit To */
	KEYMAP_EDIT_CC,       /* compose: edit Cc */
	KEYMAP_EDIT_BCC,      /* compose: edit Bcc */
	KEYMAP_EDIT_SUBJECT,  /* compose: edit Subject */
	KEYMAP_EDIT_MESSAGE,  /* compose: edit the message in the editor */
	KEYMAP_SEND,          /* compose: send the message */
	KEYMAP_POSTPONE,      /* compose: keep it in the drafts for later */
	KEYMAP_NACTIONS,
};

/* Key codes: a byte (ASCII or a control character), or a KEYMAP_KEY_*
 * value for the keys curses reports by name. */
#define KEYMAP_KEY_BASE 0x1000
#define KEYMAP_KEY_UP (KEYMAP_KEY_BASE + 1)
#define KEYMAP_KEY_DOWN (KEYMAP_KEY_BASE + 2)
#define KEYMAP_KEY_LEFT (KEYMAP_KEY_BASE + 3)
#define KEYMAP_KEY_RIGHT (KEYMAP_KEY_BASE + 4)
#define KEYMAP_KEY_PGUP (KEYMAP_KEY_BASE + 5)
#define KEYMAP_KEY_PGDN (KEYMAP_KEY_BASE + 6)
#define KEYMAP_KEY_HOME (KEYMAP_KEY_BASE + 7)
#define KEYMAP_KEY_END (KEYMAP_KEY_BASE + 8)
#define KEYMAP_KEY_BACKSPACE (KEYMAP_KEY_BASE + 9)
#define KEYMAP_KEY_DELETE (KEYMAP_KEY_BASE + 10)
#define KEYMAP_KEY_F(n) (KEYMAP_KEY_BASE + 32 + (n)) /* F1..F12 */

#define KEYMAP_MAX_BINDINGS 32 /* keys one action may have */

/* The screen called name ("index"), or -1. */
int keymap_screen_from_name(const char *);
const char *keymap_screen_name(enum keymap_screen);

/* The action called name ("next-page"), or KEYMAP_NONE. */
enum keymap_action keymap_action_from_name(const char *);
const char *keymap_action_name(enum keymap_action);

/* A line of help for an action. */
const char *keymap_action_help(enum keymap_action);

/* The key code for a name ("j", "C-g", "Down", "Space", "F5"), or -1. */
int keymap_key_from_name(const char *);

/* The name of a key code into buf (at least 16 bytes). */
const char *keymap_key_name(int key, char *buf, size_t size);

/* A map of each screen's keys, with mutt's defaults. */
struct keymap *keymap_new(void);
void keymap_free(struct keymap *);

/* Bind key to action on a screen (KEYMAP_NONE unbinds it). */
void keymap_bind(
    struct keymap *, enum keymap_screen, int key, enum keymap_action);

/* The action of key on a screen, or KEYMAP_NONE. */
enum keymap_action keymap_lookup(
    const struct keymap *, enum keymap_screen, int key);

/* The keys bound to action on a screen, in ascending order, into keys (at
 * most max); returns how many. */
size_t keymap_keys(const struct keymap *, enum keymap_screen,
    enum keymap_action, int *keys, size_t max);

#endif
