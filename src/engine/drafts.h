/* errand: a terminal mail user agent. See LICENSE.
 * The Drafts folder as the cache has it: what another device (or an
 * earlier errand) postponed there, for R to offer besides the drafts of
 * this machine. */
#ifndef ERRAND_DRAFTS_H
#define ERRAND_DRAFTS_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* One message of Drafts; the strings are the struct's. */
struct drafts_msg {
	char *folder;      /* the folder's display name */
	int64_t folder_id; /* and its row */
	uint32_t uid;
	char *message_id; /* without <>, "" when none */
	char *to;         /* decoded To, "" when none */
	char *subject;    /* decoded Subject, "" when none */
};

/* The cached messages of the account's Drafts folder (the \Drafts special
 * use, else the folder named Drafts), neither deleted nor being moved,
 * newest first, in *v (*n of them; free with drafts_list_free()). 0 (no
 * such folder: none), or -1 with *err (the caller's). */
int drafts_list(struct store *, struct drafts_msg **v, size_t *n, char **err);

/* NULL is a no-op. */
void drafts_list_free(struct drafts_msg *, size_t);

#endif
