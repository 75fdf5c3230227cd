/* errand: a terminal mail user agent. See LICENSE.
 * Key bindings: one table of actions a screen, indexed by key code, filled
 * with mutt's defaults and then the user's [bindings SCREEN] lines. Names
 * of keys, screens and actions are the config's and the help screen's. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keymap.h"
#include "xmalloc.h"

#define KEYMAP_NKEYS (KEYMAP_KEY_BASE + 64)

struct keymap {
	unsigned char act[KEYMAP_NSCREENS][KEYMAP_NKEYS];
};

static const char *const keymap_screens[KEYMAP_NSCREENS] = {
    "index",
    "pager",
    "folders",
    "help",
    "compose",
};

static const struct {
	const char *name;
	const char *help;
} keymap_actions[KEYMAP_NACTIONS] = {
    [KEYMAP_NONE] = {"noop", "do nothing (unbinds a key)"},
    [KEYMAP_NEXT] = {"next", "move down a line"},
    [KEYMAP_PREV] = {"previous", "move up a line"},
    [KEYMAP_PAGE_DOWN] = {"next-page", "move down a page"},
    [KEYMAP_PAGE_UP] = {"previous-page", "move up a page"},
    [KEYMAP_HALF_DOWN] = {"half-down", "move down half a page"},
    [KEYMAP_HALF_UP] = {"half-up", "move up half a page"},
    [KEYMAP_FIRST] = {"first", "go to the first line"},
    [KEYMAP_LAST] = {"last", "go to the last line"},
    [KEYMAP_OPEN] = {"open", "open the message or folder"},
    [KEYMAP_QUIT] = {"quit", "go back; quit from the index, asking to purge"},
    [KEYMAP_SEARCH] = {"search", "search forward, marking the matches"},
    [KEYMAP_SEARCH_BACK] = {"search-reverse", "search backward"},
    [KEYMAP_SEARCH_NEXT] = {"search-next", "repeat the last search"},
    [KEYMAP_CHANGE_FOLDER] = {"change-folder", "open a folder by name"},
    [KEYMAP_FOLDER_LIST] = {"folder-list", "show the folder list"},
    [KEYMAP_SYNC] = {"sync", "sync with the server now"},
    [KEYMAP_HELP_SCREEN] = {"help", "show the key bindings"},
    [KEYMAP_REDRAW] = {"redraw", "redraw the screen"},
    [KEYMAP_SORT] = {"sort", "sort by the next key"},
    [KEYMAP_SORT_REVERSE] = {"sort-reverse", "reverse the sort"},
    [KEYMAP_CANCEL] = {"cancel", "cancel what is running"},
    [KEYMAP_NEXT_MESSAGE] = {"next-message", "show the next message"},
    [KEYMAP_PREV_MESSAGE] = {"previous-message", "show the previous message"},
    [KEYMAP_TOGGLE_NEW] = {"toggle-new", "mark the message new or read"},
    [KEYMAP_TOGGLE_FLAG] = {"flag", "flag or unflag the message"},
    [KEYMAP_DELETE] = {"delete", "mark the message deleted"},
    [KEYMAP_UNDELETE] = {"undelete", "clear the deleted mark"},
    [KEYMAP_MOVE] = {"move", "move the message to a folder (made if new)"},
    [KEYMAP_COPY] = {"copy", "copy the message to a folder (made if new)"},
    [KEYMAP_ARCHIVE] = {"archive", "move the message to the Archive folder"},
    [KEYMAP_TAG] = {"tag", "tag or untag the message"},
    [KEYMAP_TAG_PATTERN] = {"tag-pattern",
        "tag the messages matching a pattern"},
    [KEYMAP_LIMIT] = {"limit",
        "show only the messages matching a pattern (all: every one)"},
    [KEYMAP_TAG_PREFIX] = {"tag-prefix",
        "apply the next action to the tagged messages"},
    [KEYMAP_UNDO] = {"undo", "undo the last triage action, on the server too"},
    [KEYMAP_FOLDER_CREATE] = {"create-folder",
        "create a folder and subscribe to it"},
    [KEYMAP_FOLDER_RENAME] = {"rename-folder",
        "rename the folder, starting from its name"},
    [KEYMAP_FOLDER_DELETE] = {"delete-folder",
        "delete the folder on the server"},
    [KEYMAP_SUBSCRIBE] = {"subscribe", "subscribe to the folder"},
    [KEYMAP_UNSUBSCRIBE] = {"unsubscribe", "unsubscribe from the folder"},
    [KEYMAP_SAVE_ATTACH] = {"save-attachments",
        "save the message's attachments in the download folder"},
    [KEYMAP_MAIL] = {"mail", "write a new message"},
    [KEYMAP_REPLY] = {"reply", "reply to the sender (Reply-To asked)"},
    [KEYMAP_GROUP_REPLY] = {"group-reply",
        "reply to the sender and every recipient but you"},
    [KEYMAP_LIST_REPLY] = {"list-reply",
        "reply to the mailing list (List-Post)"},
    [KEYMAP_FORWARD] = {"forward-message", "forward the message"},
    [KEYMAP_RECALL] = {"recall-message", "resume a postponed message"},
    [KEYMAP_ATTACH] = {"attach-file", "attach a file (Tab completes)"},
    [KEYMAP_DETACH] = {"detach-file", "drop the selected attachment"},
    [KEYMAP_EDIT_TO] = {"edit-to", "edit the To addresses"},
    [KEYMAP_EDIT_CC] = {"edit-cc", "edit the Cc addresses"},
    [KEYMAP_EDIT_BCC] = {"edit-bcc", "edit the Bcc addresses"},
    [KEYMAP_EDIT_SUBJECT] = {"edit-subject", "edit the subject"},
    [KEYMAP_EDIT_MESSAGE] = {"edit-message",
        "edit the message again in the editor"},
    [KEYMAP_SEND] = {"send-message", "send the message (through the outbox)"},
    [KEYMAP_POSTPONE] = {"postpone-message",
        "keep the message in the drafts for later (R)"},
};

static const struct {
	const char *name;
	int key;
} keymap_names[] = {
    {"Up", KEYMAP_KEY_UP},
    {"Down", KEYMAP_KEY_DOWN},
    {"Left", KEYMAP_KEY_LEFT},
    {"Right", KEYMAP_KEY_RIGHT},
    {"PgUp", KEYMAP_KEY_PGUP},
    {"PgDn", KEYMAP_KEY_PGDN},
    {"Home", KEYMAP_KEY_HOME},
    {"End", KEYMAP_KEY_END},
    {"Backspace", KEYMAP_KEY_BACKSPACE},
    {"Delete", KEYMAP_KEY_DELETE},
    {"Enter", '\r'},
    {"Tab", '\t'},
    {"Space", ' '},
    {"Escape", 0x1b},
};

/* A default binding: the keys' names, space-separated, and the action. */
struct keymap_default {
	const char *keys;
	enum keymap_action action;
};

static const struct keymap_default keymap_common[] = {
    {"c", KEYMAP_CHANGE_FOLDER},
    {"y", KEYMAP_FOLDER_LIST},
    {"$", KEYMAP_SYNC},
    {"?", KEYMAP_HELP_SCREEN},
    {"C-l", KEYMAP_REDRAW},
    {"C-g", KEYMAP_CANCEL},
    {"q", KEYMAP_QUIT},
    {"Home =", KEYMAP_FIRST},
    {"End *", KEYMAP_LAST},
    {"PgDn", KEYMAP_PAGE_DOWN},
    {"PgUp", KEYMAP_PAGE_UP},
    {"] C-d", KEYMAP_HALF_DOWN},
    {"[ C-u", KEYMAP_HALF_UP},
    {"/", KEYMAP_SEARCH},
    {"\\", KEYMAP_SEARCH_BACK},
    {"n", KEYMAP_SEARCH_NEXT},
};

static const struct keymap_default keymap_index[] = {
    {"j Down", KEYMAP_NEXT},
    {"k Up", KEYMAP_PREV},
    {"Space > z", KEYMAP_PAGE_DOWN},
    {"< Z", KEYMAP_PAGE_UP},
    {"Enter Right", KEYMAP_OPEN},
    {"o", KEYMAP_SORT},
    {"O", KEYMAP_SORT_REVERSE},
    {"N", KEYMAP_TOGGLE_NEW},
    {"F", KEYMAP_TOGGLE_FLAG},
    {"d", KEYMAP_DELETE},
    {"u", KEYMAP_UNDELETE},
    {"s", KEYMAP_MOVE},
    {"C", KEYMAP_COPY},
    {"A", KEYMAP_ARCHIVE},
    {"t", KEYMAP_TAG},
    {"T", KEYMAP_TAG_PATTERN},
    {";", KEYMAP_TAG_PREFIX},
    {"l", KEYMAP_LIMIT},
    {"U", KEYMAP_UNDO},
    {"m", KEYMAP_MAIL},
    {"r", KEYMAP_REPLY},
    {"g", KEYMAP_GROUP_REPLY},
    {"L", KEYMAP_LIST_REPLY},
    {"f", KEYMAP_FORWARD},
    {"R", KEYMAP_RECALL},
};

static const struct keymap_default keymap_pager[] = {
    {"j Down Enter", KEYMAP_NEXT},
    {"k Up Backspace", KEYMAP_PREV},
    {"Space", KEYMAP_PAGE_DOWN},
    {"-", KEYMAP_PAGE_UP},
    {"J Right", KEYMAP_NEXT_MESSAGE},
    {"K Left", KEYMAP_PREV_MESSAGE},
    {"i", KEYMAP_QUIT},
    {"N", KEYMAP_TOGGLE_NEW},
    {"F", KEYMAP_TOGGLE_FLAG},
    {"d", KEYMAP_DELETE},
    {"u", KEYMAP_UNDELETE},
    {"s", KEYMAP_MOVE},
    {"C", KEYMAP_COPY},
    {"A", KEYMAP_ARCHIVE},
    {"U", KEYMAP_UNDO},
    {"S", KEYMAP_SAVE_ATTACH},
    {"m", KEYMAP_MAIL},
    {"r", KEYMAP_REPLY},
    {"g", KEYMAP_GROUP_REPLY},
    {"L", KEYMAP_LIST_REPLY},
    {"f", KEYMAP_FORWARD},
    {"R", KEYMAP_RECALL},
};

static const struct keymap_default keymap_folders[] = {
    {"C", KEYMAP_FOLDER_CREATE},
    {"r", KEYMAP_FOLDER_RENAME},
    {"d", KEYMAP_FOLDER_DELETE},
    {"s", KEYMAP_SUBSCRIBE},
    {"u", KEYMAP_UNSUBSCRIBE},
    {"j Down", KEYMAP_NEXT},
    {"k Up", KEYMAP_PREV},
    {"Space", KEYMAP_PAGE_DOWN},
    {"-", KEYMAP_PAGE_UP},
    {"Enter Right", KEYMAP_OPEN},
};

static const struct keymap_default keymap_help[] = {
    {"j Down Enter", KEYMAP_NEXT},
    {"k Up", KEYMAP_PREV},
    {"Space", KEYMAP_PAGE_DOWN},
    {"-", KEYMAP_PAGE_UP},
};

/* mutt's compose menu; its c and y win over the common change-folder and
 * folder-list, and searching has nothing to search there. */
static const struct keymap_default keymap_compose[] = {
    {"/ \\ n $", KEYMAP_NONE},
    {"j Down", KEYMAP_NEXT},
    {"k Up", KEYMAP_PREV},
    {"a", KEYMAP_ATTACH},
    {"D", KEYMAP_DETACH},
    {"t", KEYMAP_EDIT_TO},
    {"c", KEYMAP_EDIT_CC},
    {"b", KEYMAP_EDIT_BCC},
    {"s", KEYMAP_EDIT_SUBJECT},
    {"e", KEYMAP_EDIT_MESSAGE},
    {"y", KEYMAP_SEND},
    {"P", KEYMAP_POSTPONE},
};

static void keymap_defaults(
    struct keymap *, enum keymap_screen, const char *, enum keymap_action);

int
keymap_screen_from_name(const char *name)
{
	int i;

	for (i = 0; i < KEYMAP_NSCREENS; i++) {
		if (strcmp(keymap_screens[i], name) == 0)
			return i;
	}
	return -1;
}

const char *
keymap_screen_name(enum keymap_screen s)
{
	return (unsigned)s < KEYMAP_NSCREENS ? keymap_screens[s] : "?";
}

enum keymap_action
keymap_action_from_name(const char *name)
{
	int i;

	for (i = 1; i < KEYMAP_NACTIONS; i++) {
		if (keymap_actions[i].name != NULL &&
		    strcmp(keymap_actions[i].name, name) == 0)
			return (enum keymap_action)i;
	}
	return KEYMAP_NONE;
}

const char *
keymap_action_name(enum keymap_action a)
{
	return (unsigned)a < KEYMAP_NACTIONS ? keymap_actions[a].name : "?";
}

const char *
keymap_action_help(enum keymap_action a)
{
	return (unsigned)a < KEYMAP_NACTIONS ? keymap_actions[a].help : "";
}

int
keymap_key_from_name(const char *name)
{
	size_t i, len = strlen(name);
	char *end;
	long n;

	for (i = 0; i < sizeof keymap_names / sizeof *keymap_names; i++) {
		if (strcasecmp(keymap_names[i].name, name) == 0)
			return keymap_names[i].key;
	}
	if (len == 1 && name[0] > 0x20 && name[0] < 0x7f)
		return (unsigned char)name[0];
	if (len == 3 && (name[0] == 'C' || name[0] == 'c') && name[1] == '-' &&
	    ((name[2] >= 'a' && name[2] <= 'z') ||
	        (name[2] >= 'A' && name[2] <= 'Z')))
		return (name[2] | 0x20) - 'a' + 1;
	if (len >= 2 && len <= 3 && (name[0] == 'F' || name[0] == 'f')) {
		n = strtol(name + 1, &end, 10);
		if (*end == '\0' && n >= 1 && n <= 12)
			return KEYMAP_KEY_F(n);
	}
	return -1;
}

const char *
keymap_key_name(int key, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < sizeof keymap_names / sizeof *keymap_names; i++) {
		if (keymap_names[i].key == key) {
			snprintf(buf, size, "%s", keymap_names[i].name);
			return buf;
		}
	}
	if (key > 0x20 && key < 0x7f)
		snprintf(buf, size, "%c", key);
	else if (key >= 1 && key <= 26)
		snprintf(buf, size, "C-%c", 'a' + key - 1);
	else if (key >= KEYMAP_KEY_F(1) && key <= KEYMAP_KEY_F(12))
		snprintf(buf, size, "F%d", key - KEYMAP_KEY_F(0));
	else
		snprintf(buf, size, "0x%x", (unsigned)key);
	return buf;
}

/* Bind each key named in keys (space-separated) on screen s. */
static void
keymap_defaults(struct keymap *km, enum keymap_screen s, const char *keys,
    enum keymap_action a)
{
	char name[16];
	const char *p = keys;
	size_t n;
	int key;

	while (*p != '\0') {
		n = strcspn(p, " ");
		if (n == 0 || n >= sizeof name)
			fatalx("%s: bad default key list '%s'", __func__, keys);
		memcpy(name, p, n);
		name[n] = '\0';
		if ((key = keymap_key_from_name(name)) < 0)
			fatalx("%s: bad default key '%s'", __func__, name);
		km->act[s][key] = (unsigned char)a;
		p += n;
		p += strspn(p, " ");
	}
}

struct keymap *
keymap_new(void)
{
	struct keymap *km = xcalloc(1, sizeof *km);
	size_t i;
	int s;

	for (s = 0; s < KEYMAP_NSCREENS; s++) {
		for (i = 0; i < sizeof keymap_common / sizeof *keymap_common;
		     i++)
			keymap_defaults(km, (enum keymap_screen)s,
			    keymap_common[i].keys, keymap_common[i].action);
	}
#define KEYMAP_FILL(table, screen)                                             \
	for (i = 0; i < sizeof table / sizeof *table; i++)                     \
	keymap_defaults(km, screen, table[i].keys, table[i].action)
	KEYMAP_FILL(keymap_index, KEYMAP_INDEX);
	KEYMAP_FILL(keymap_pager, KEYMAP_PAGER);
	KEYMAP_FILL(keymap_folders, KEYMAP_FOLDERS);
	KEYMAP_FILL(keymap_help, KEYMAP_HELP);
	KEYMAP_FILL(keymap_compose, KEYMAP_COMPOSE);
#undef KEYMAP_FILL
	/* Enter also arrives as LF on some terminals. */
	for (s = 0; s < KEYMAP_NSCREENS; s++)
		km->act[s]['\n'] = km->act[s]['\r'];
	return km;
}

void
keymap_free(struct keymap *km)
{
	free(km);
}

void
keymap_bind(
    struct keymap *km, enum keymap_screen s, int key, enum keymap_action a)
{
	if ((unsigned)s >= KEYMAP_NSCREENS || key < 0 || key >= KEYMAP_NKEYS)
		fatalx("%s: bad binding %d %d", __func__, (int)s, key);
	km->act[s][key] = (unsigned char)a;
	if (key == '\r')
		km->act[s]['\n'] = (unsigned char)a;
}

enum keymap_action
keymap_lookup(const struct keymap *km, enum keymap_screen s, int key)
{
	if ((unsigned)s >= KEYMAP_NSCREENS || key < 0 || key >= KEYMAP_NKEYS)
		return KEYMAP_NONE;
	return (enum keymap_action)km->act[s][key];
}

size_t
keymap_keys(const struct keymap *km, enum keymap_screen s, enum keymap_action a,
    int *keys, size_t max)
{
	size_t n = 0;
	int key;

	for (key = 0; key < KEYMAP_NKEYS && n < max; key++) {
		if (key == '\n')
			continue; /* shown as Enter */
		if (km->act[s][key] == a)
			keys[n++] = key;
	}
	return n;
}
