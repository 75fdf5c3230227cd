/* errand: a terminal mail user agent. See LICENSE.
 * A local Maildir folder in the cache: each file a message row (headers
 * read once, keyed by the file's unique name), flags following the file
 * names, files gone removed; so a local folder lists like an IMAP one. */
#ifndef ERRAND_MAILDIR_INDEX_H
#define ERRAND_MAILDIR_INDEX_H

#include <stdint.h>

struct store;
struct maildir;

/* What an index run did. */
struct maildir_index_stats {
	uint32_t added;   /* files read for the first time */
	uint32_t changed; /* flags changed in the file names */
	uint32_t removed; /* files gone */
};

/* Bring the cache's folder called name (made if missing, its raw name the
 * Maildir's path) up to date with the Maildir md. Raw 8-bit headers are
 * read in fallback_charset (NULL: windows-1252). Unless full is set, a
 * Maildir whose new/ and cur/ did not change since the last run is not
 * read at all. 0, or -1 with *err set (the caller frees it). */
int maildir_index(struct store *, struct maildir *, const char *name,
    const char *fallback_charset, int full, struct maildir_index_stats *,
    char **err);

/* The cache's flags (STORE_FLAG_*) of a file's ":2," letters, and back:
 * the letters of flags into out (at least 7 bytes), in ASCII order. A
 * file in new/ has no letters: unseen. */
unsigned int maildir_index_flags(const char *letters);
void maildir_index_letters(unsigned int flags, char *out);

#endif
