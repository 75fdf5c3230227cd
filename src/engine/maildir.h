/* errand: a terminal mail user agent. See LICENSE.
 * A local Maildir, where POP3 mail lives: made if missing (0700 dirs, 0600
 * files), messages delivered through tmp/ (written, fsynced, renamed into
 * new/, the directory fsynced), listed, and flagged by renaming into cur/
 * with ":2,FLAGS". The format of D. J. Bernstein's maildir(5). */
#ifndef ERRAND_MAILDIR_H
#define ERRAND_MAILDIR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct maildir;
struct maildir_delivery;

/* One message from maildir_list(). */
struct maildir_entry {
	char *path;  /* relative: "new/NAME" or "cur/NAME:2,FLAGS" */
	char *name;  /* the unique part, without the ":2," info */
	char *flags; /* the flag letters, "" when none or in new/ */
	int is_new;  /* 1 when in new/ */
};

/* $XDG_DATA_HOME/errand/ACCOUNT, else ~/.local/share/errand/ACCOUNT; the
 * caller frees. NULL when neither variable is set. */
char *maildir_default_path(const char *account);

/* Open the Maildir at path, making it and its cur/, new/ and tmp/ (and
 * missing parents) with mode 0700. Returns it (free with maildir_close()),
 * or NULL with *err set to a message the caller frees, such as "cannot make
 * Maildir '/p': Permission denied". */
struct maildir *maildir_open(const char *path, char **err);

/* Close; NULL is a no-op. Deliveries must be finished first. */
void maildir_close(struct maildir *);

/* The path given to maildir_open(); owned by the Maildir. */
const char *maildir_path(const struct maildir *);

/* The last error, e.g. "cannot write 'tmp/NAME': No space left on device";
 * owned by the Maildir, valid until the next call. "" when none. */
const char *maildir_error(const struct maildir *);

/* Begin a delivery: a new file in tmp/ named TIME.M<usec>P<pid>Q<n>.HOST,
 * mode 0600. With crlf 1 the CRLF line ends written are stored as LF (mail
 * from the network, stored the Unix way). NULL on error (see
 * maildir_error()). End it with maildir_deliver_commit() or
 * maildir_deliver_abort(). */
struct maildir_delivery *maildir_deliver_begin(struct maildir *, int crlf);

/* Like maildir_deliver_begin(), with suffix (say ",P=TAG"; no '/' or ':')
 * appended to the unique name, where other Maildir tools keep it. */
struct maildir_delivery *maildir_deliver_begin_suffix(
    struct maildir *, int crlf, const char *suffix);

/* Append len bytes; 0, or -1 (the delivery is then only good to abort). */
int maildir_deliver_write(struct maildir_delivery *, const void *, size_t);

/* The unique name the message will have in new/; owned by the delivery. */
const char *maildir_deliver_name(const struct maildir_delivery *);

/* Flush and fsync the file, rename it into new/ and fsync new/. Returns 0
 * with the final name ("NAME", in new/) in *name, the caller's to free; or
 * -1 after removing the file, unless it was already renamed (only the sync
 * of new/ failed). The delivery is freed either way. */
int maildir_deliver_commit(struct maildir_delivery *, char **name);

/* Commit a batch of n deliveries into new/ at once: every file flushed and
 * fsynced, then renamed, then one fsync of new/. *ok is the number of
 * leading deliveries now safe, each with its name in names[i] (the
 * caller's to free; the others NULL). Returns 0 when all n are, -1 when
 * not (maildir_error() says why): those after the first failure are
 * removed from tmp/, and when only the sync of new/ failed *ok is 0 though
 * the files are in new/. Every delivery is freed and v[i] set to NULL. */
int maildir_deliver_commit_many(
    struct maildir_delivery **v, size_t n, char **names, size_t *ok);

/* Drop the delivery and its file in tmp/; NULL is a no-op. */
void maildir_deliver_abort(struct maildir_delivery *);

/* Every message in new/ and cur/, new/ first, each sorted by name, in
 * *list (*n of them); free with maildir_list_free(). 0 or -1. */
int maildir_list(struct maildir *, struct maildir_entry **list, size_t *n);

/* Free a list from maildir_list(); NULL is a no-op. */
void maildir_list_free(struct maildir_entry *list, size_t n);

/* 1 when the message with the unique name is in new/ or in cur/ (with
 * any flags), 0 when not, -1 when the Maildir cannot be read. */
int maildir_exists(struct maildir *, const char *name);

/* Find the message with the unique name: 1 with *path its relative path
 * ("new/NAME" or "cur/NAME:2,FLAGS", the caller's), 0 when it is not there
 * (*path NULL), -1 when the Maildir cannot be read. hint, when not NULL,
 * is the flag letters it probably has, tried before reading cur/. */
int maildir_find(
    struct maildir *, const char *name, const char *hint, char **path);

/* Set the flags of the message at path (relative, as maildir_list() gives)
 * to the letters in flags (any order; D F P R S T, and a-z for other
 * tools' keywords; repeats ignored): renamed to cur/NAME:2,FLAGS with
 * the letters in ASCII order. On success *newpath (when not NULL) is the
 * new relative path, the caller's. 0, or -1 for an unknown letter, a bad
 * path or a failed rename. */
int maildir_set_flags(
    struct maildir *, const char *path, const char *flags, char **newpath);

/* Split the file name of a message found in new/ (in_new 1) or cur/ into
 * its unique part (*name) and flag letters (*flags; "" in new/): the info
 * begins at the first ":2," after the first byte. Both are the caller's.
 * 0, or -1 (*name and *flags NULL) for "", a dot file or a name with '/'.
 * Touches no file. */
int maildir_name_parse(const char *file, int in_new, char **name, char **flags);

/* The relative path "cur/NAME:2,FLAGS" maildir_set_flags() gives the
 * message at path (relative) for the letters flags, sorted; the caller's.
 * NULL for a path that is not a message's or an unknown letter. Touches
 * no file. */
char *maildir_flags_path(const char *path, const char *flags);

/* Move the message at path (relative) from one Maildir to the same place
 * in another (on the same file system): renamed, both directories synced.
 * *newpath is its relative path there, the caller's. 0 once moved (a
 * failed sync then only leaves maildir_error() set), or -1. */
int maildir_move(
    struct maildir *from, const char *path, struct maildir *to, char **newpath);

/* Rename the message at path (relative) in its directory with suffix
 * appended to its unique name (before any ":2,FLAGS"); not synced (see
 * maildir_sync()). *newpath is its new relative path, the caller's. 0 or
 * -1. */
int maildir_add_suffix(
    struct maildir *, const char *path, const char *suffix, char **newpath);

/* Remove the message at path (relative). 0 or -1. */
int maildir_remove(struct maildir *, const char *path);

/* Read at most max bytes of the message at path (relative) into *buf (the
 * caller's, NUL-terminated) and *len. 0 or -1. */
int maildir_read(
    struct maildir *, const char *path, size_t max, void **buf, size_t *len);

/* fsync new/ and cur/: what was renamed into them stays. 0 or -1. */
int maildir_sync(struct maildir *);

/* Stamps of cur/ and new/ (inode, size and change time): a directory's
 * differs as soon as a file arrives in it, leaves it or is renamed in it,
 * so an index can skip what it has seen. A directory changed in the last
 * two seconds (a change in the same clock tick would keep its time) has
 * a stamp that equals no other, so it is read again. 0 and -1 when a
 * directory cannot be read (its stamp then 0). */
int maildir_stamps(struct maildir *, uint64_t *cur, uint64_t *new_stamp);

/* Like maildir_list(), new/ alone. */
int maildir_list_new(struct maildir *, struct maildir_entry **, size_t *);

/* Remove the files in tmp/ last changed more than age seconds ago (partial
 * deliveries of a run that died); *removed (when not NULL) counts them.
 * 0, or -1 when tmp/ cannot be read. */
int maildir_clean_tmp(struct maildir *, time_t age, size_t *removed);

#endif
