/* errand: a terminal mail user agent. See LICENSE.
 * The local folders of a POP3 account: the Maildir++ tree of its Maildir
 * (INBOX at the top, every other folder a ".Name" Maildir beside it, "."
 * the hierarchy delimiter, names in modified UTF-7 on disk as Dovecot and
 * Courier write them), kept in the cache as IMAP folders are. Flags live in
 * the file names; moves, copies, expunge and folder changes are made on
 * disk first, then in the cache. */
#ifndef ERRAND_LOCAL_H
#define ERRAND_LOCAL_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct local;
struct maildir_index_stats;

/* The tree at root (made if missing) with its cache st, which stays the
 * caller's; raw 8-bit headers are read in charset (NULL: windows-1252).
 * NULL with *err set (the caller frees it) when root cannot be made. */
struct local *local_open(
    struct store *st, const char *root, const char *charset, char **err);

/* Free; NULL is a no-op. */
void local_close(struct local *);

/* The root given to local_open(): INBOX's Maildir. */
const char *local_root(const struct local *);

/* Index every folder of the tree into the cache (a folder whose files did
 * not change since the last time costs two stat()s, unless full), and
 * forget the folders gone from disk. 0, or -1 with *err set. */
int local_refresh(struct local *, int full, char **err);

/* Index one folder, by display name; stats may be NULL. 0, or -1. */
int local_refresh_folder(struct local *, const char *name, int full,
    struct maildir_index_stats *stats, char **err);

/* Set the flags (STORE_FLAG_* bits; HIDDEN ignored) of message uid of the
 * folder: the file is renamed, then the cache follows. Letters other tools
 * set (keywords a-z) stay. 0, or -1 with *err set. */
int local_set_flags(struct local *, const char *folder, uint32_t uid,
    unsigned int flags, char **err);

/* Move (or copy) message uid of the folder to the folder dest; *dest_uid
 * (when not NULL) is its UID there. 0, or -1 with *err set. */
int local_move(struct local *, const char *folder, uint32_t uid,
    const char *dest, int copy, uint32_t *dest_uid, char **err);

/* Remove the messages of the folder marked deleted (in the cache and in
 * their file names both); *n (when not NULL) counts them. 0, or -1. */
int local_expunge(struct local *, const char *folder, uint32_t *n, char **err);

/* The raw text of message uid of the folder, at most max bytes, in *raw
 * (the caller's) and *len. 0, or -1 with *err set (its file gone, say). */
int local_body(struct local *, const char *folder, uint32_t uid, size_t max,
    void **raw, size_t *len, char **err);

/* Make, rename (with the folders below it) or delete a folder. Delete
 * removes its messages; a folder with folders below it is refused. 0, or
 * -1 with *err set, e.g. "folder 'a/b': '/' is not allowed in a name". */
int local_create(struct local *, const char *name, char **err);
int local_rename(struct local *, const char *from, const char *to, char **err);
int local_delete(struct local *, const char *name, char **err);

#endif
