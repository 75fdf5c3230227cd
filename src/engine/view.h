/* errand: a terminal mail user agent. See LICENSE.
 * What the interface reads of an account's cache besides its messages
 * (src/engine/model.h): the folders with their counts, the journal's held
 * changes, the cache's errors and notices. Copies, so that ui/ includes
 * no cache/ header. */
#ifndef ERRAND_VIEW_H
#define ERRAND_VIEW_H

#include <stddef.h>
#include <stdint.h>

struct session;

/* A folder as the cache has it. Every string is the folder's own: free
 * them with view_folder_clear() (a list's with view_folder_list_free()). */
struct view_folder {
	int64_t id;        /* row id; 0 for a parent made up for the list */
	char *name;        /* UTF-8 display name */
	char *delim;       /* hierarchy delimiter, NULL when flat */
	char *special_use; /* "\\Sent", "\\Archive"... or NULL */
	int noselect;      /* holds folders, not messages */
	uint32_t total;    /* messages, as the server (or Maildir) counts */
	uint32_t unseen;   /* and unread ones */
};

/* How long a write waits for another process's lock at most: a headless
 * command's wait, for what must be written before the interface exits. */
#define VIEW_WAIT_LONG_MS (5 * 60 * 1000)

/* The folder called name in *f: 0, 1 when there is none (*f zeroed), or
 * -1 (view_error() says why). */
int view_folder_get(struct session *, const char *name, struct view_folder *f);

/* Free the strings of *f and zero it; NULL is a no-op. */
void view_folder_clear(struct view_folder *f);

/* Every folder, sorted by name, in *list (*n of them): 0, or -1. The
 * list is the caller's: free it with view_folder_list_free(). */
int view_folder_list(struct session *, struct view_folder **list, size_t *n);

/* Free a list; NULL is a no-op. */
void view_folder_list_free(struct view_folder *list, size_t n);

/* The journal's changes held (made in a folder recreated since: errand
 * push decides) in *n: 0, or -1. */
int view_held(struct session *, int64_t *n);

/* The cache's last error, and what opening it had to say (a cache made
 * anew), or NULL. */
const char *view_error(const struct session *);
const char *view_notice(const struct session *);

/* How long a write waits for another process's lock before it fails with
 * view_locked() set. */
void view_busy_wait(struct session *, int ms);
int view_locked(const struct session *);

#endif
