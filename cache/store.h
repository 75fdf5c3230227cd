/* errand: a terminal mail user agent. See LICENSE.
 * The on-disk cache: one SQLite 3 database per account holding folders,
 * message headers and flags, raw bodies, the journal of changes not yet on
 * the server, and (read only to bring it over into the Maildir's own state,
 * src/engine/pop3-seen.c) the POP3 UIDLs an older errand recorded. Every call is
 * synchronous; errors return -1 and leave a message on the store. */
#ifndef ERRAND_STORE_H
#define ERRAND_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* The schema version this code writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 6

/* System flags kept as bits of store_msg.flags; other keywords go in the
 * space-separated store_msg.keywords. */
enum store_flag {
	STORE_FLAG_SEEN = 0x01,      /* \Seen */
	STORE_FLAG_ANSWERED = 0x02,  /* \Answered */
	STORE_FLAG_FLAGGED = 0x04,   /* \Flagged */
	STORE_FLAG_DELETED = 0x08,   /* \Deleted */
	STORE_FLAG_DRAFT = 0x10,     /* \Draft */
	STORE_FLAG_FORWARDED = 0x20, /* $Forwarded */
	STORE_FLAG_HIDDEN = 0x80,    /* local only: a move is pending */
};

/* Order of store_msg_foreach(). */
enum store_order {
	STORE_ORDER_DATE, /* newest Date: first, ties by higher UID first */
	STORE_ORDER_UID,  /* highest UID first */
};

/* One folder. store_folder_upsert() reads name, raw_name, delim,
 * special_use, subscribed and noselect only; the sync state and the server's
 * counts have their own setters. From store_folder_get() and
 * store_folder_list() every string is the caller's (free them with
 * store_folder_clear()) and a missing string is NULL. */
struct store_folder {
	int64_t id;           /* row id, set by the store; messages use it */
	const char *name;     /* UTF-8 display name, unique in the account */
	const char *raw_name; /* the server's name (modified UTF-7 or UTF-8) */
	const char *delim;    /* hierarchy delimiter, NULL when flat */
	const char *special_use; /* "\\Sent", "\\Trash"... or NULL */
	int subscribed;          /* 1 when in LSUB / \Subscribed */
	int noselect;            /* 1 for \Noselect or \NonExistent */
	uint32_t uidvalidity;    /* 0 until first selected */
	uint32_t uidnext;        /* UIDNEXT at the last sync */
	uint64_t highestmodseq;  /* HIGHESTMODSEQ at the last sync, 0 if none */
	uint32_t synced_uid_max; /* highest UID whose headers are all stored */
	uint32_t total;  /* the server's message count (STATUS/SELECT) */
	uint32_t unseen; /* the server's unseen count */
	/* A local folder: maildir_stamp() of cur/ and new/ when last indexed,
	 * 0 when never. */
	uint64_t md_stamp_cur, md_stamp_new;
};

/* One message's headers and flags. For store_msg_put() the strings are the
 * caller's and may be NULL. In a store_msg_foreach() callback the strings
 * belong to the store, are valid only during the callback, and are never
 * NULL ("" when absent). */
struct store_msg {
	uint32_t uid;            /* the IMAP UID, 1 or more */
	uint64_t modseq;         /* MODSEQ, 0 without CONDSTORE */
	unsigned int flags;      /* STORE_FLAG_* bits */
	const char *keywords;    /* other keywords, space separated */
	int64_t internaldate;    /* INTERNALDATE, seconds since the epoch */
	int64_t size;            /* RFC822.SIZE in bytes */
	int64_t date;            /* Date: header, seconds since the epoch, 0 */
	const char *from_name;   /* decoded display name of the first From: */
	const char *from_addr;   /* addr-spec of the first From: */
	const char *to_addr;     /* To: as decoded text */
	const char *cc;          /* Cc: as decoded text */
	const char *subject;     /* decoded Subject: */
	const char *message_id;  /* Message-ID: without <> */
	const char *in_reply_to; /* In-Reply-To: */
	const char *refs;        /* References:, space separated */
	int has_attachment;      /* 1 when BODYSTRUCTURE shows an attachment */
};

/* Where a journal row stands. */
enum store_journal_state {
	STORE_JOURNAL_PENDING = 0, /* waiting to be sent */
	STORE_JOURNAL_SENT = 1,    /* sent without an answer yet: after a crash
	                         * or a lost reply, check before resending */
	STORE_JOURNAL_HELD = 2,    /* its folder's UIDVALIDITY changed: never
	                         * sent as it is (errand push --retarget or
	                         * --discard) */
};

/* One pending change from the journal; strings as in store_msg callbacks. */
struct store_journal {
	int64_t id;      /* row id, for store_journal_remove() */
	int64_t folder;  /* folder id (not a foreign key: entries outlive it) */
	uint32_t uid;    /* 0 when the change is not about one message */
	const char *op;  /* what to do, e.g. "flags", "move", "expunge" */
	const char *arg; /* its argument, "" when none */
	int64_t created; /* seconds since the epoch */
	uint32_t uidvalidity;   /* the UIDVALIDITY its UIDs belong to, 0 if
	                         * unknown (then never sent as it is) */
	const char *message_id; /* the message's Message-ID when queued
	                         * (without <>), "" when none */
	int state;              /* enum store_journal_state */
	uint32_t mark;          /* SENT copy or move: the destination's
	                         * UIDNEXT before it went, 0 if unknown */
};

/* Called once a row; return 0 to go on, anything else to stop (the foreach
 * then returns that value). */
typedef int (*store_msg_cb)(const struct store_msg *, void *);
typedef int (*store_journal_cb)(const struct store_journal *, void *);

/* --- opening ------------------------------------------------------------ */

/* Open or create the cache at path, making missing directories (0700) and
 * the file (0600), migrating its schema and running PRAGMA quick_check
 * unless the file is as the last clean close left it (see store_checked()).
 * A file that is damaged or not a database, or that SQLite found damaged
 * while in use (see store_damaged()), is moved aside to
 * path.corrupt-YYYYmmddHHMMSS and a new one made, with the journal rows
 * that can still be read from the old one: see store_recovered().
 * Returns the store (free it with store_close()), or NULL with *err set to a
 * message the caller frees, such as "cannot open cache '/p': ...". */
struct store *store_open(const char *path, char **err);

/* 1 when store_open() ran PRAGMA quick_check: the last close was not clean
 * (a crash, a kill, another errand still had the file open), the file
 * changed since (its size, times or inode are not those recorded at that
 * close), or the last check is more than STORE_CHECK_INTERVAL old. 0 when
 * the check was skipped, and for store_open_readonly(). */
int store_checked(const struct store *);
#define STORE_CHECK_INTERVAL (24 * 60 * 60) /* seconds */

/* 1 when SQLite met a damaged page in the file since it was opened: the
 * call failed with a message saying so, and the next store_open() moves
 * the file aside and makes a new one. */
int store_damaged(const struct store *);

/* Open the cache at path for reading only: nothing is made, migrated or
 * moved aside, so a read-only file or directory or a full disk do not stop
 * it. Where the -wal and -shm files cannot be made (a read-only directory,
 * a full disk) it opens the file as immutable, which does not see changes
 * still in another process's -wal. Every write fails. Returns the store
 * (free it with store_close()), or NULL with *err set as store_open(). */
struct store *store_open_readonly(const char *path, char **err);

/* 1 when opened by store_open_readonly(). */
int store_readonly(const struct store *);

/* How long a call waits for another process that holds the cache's write
 * lock (another errand syncing) before it fails with store_locked() set.
 * store_open() waits up to STORE_BUSY_WAIT_MS, for commands without a
 * screen; the interface, which must answer keys, waits briefly and tries
 * again from its event loop. */
#define STORE_BUSY_WAIT_MS (5 * 60 * 1000)
void store_set_busy_wait(struct store *, int ms);

/* 1 when the last call that failed did because another process held the
 * write lock ("database is locked"): trying again later may work. */
int store_locked(const struct store *);

/* Close the store, rolling back an open transaction; NULL is a no-op.
 * When it was the file's last user and nothing was found damaged, it
 * records the file as cleanly closed (path-clean) so that the next
 * store_open() need not check it. */
void store_close(struct store *);

/* The last error, e.g. "cannot rename folder 'a': no such folder"; owned by
 * the store, valid until the next call. "" when there was none. */
const char *store_error(const struct store *);

/* The database path given to store_open(); owned by the store. */
const char *store_path(const struct store *);

/* 1 when store_open() moved a damaged file aside and started afresh. */
int store_recovered(const struct store *);

/* For the UI after a recovery, e.g. "cache '/p' was damaged and moved to
 * '/p.corrupt-20250101120000'; a new one was made; 3 pending changes
 * carried over, to be checked against the server before sending (errand
 * push)", or what could not be read; NULL when nothing happened. Owned by
 * the store. */
const char *store_notice(const struct store *);

/* Where the damaged file went after a recovery, NULL otherwise; owned by the
 * store. */
const char *store_moved_path(const struct store *);

/* The damaged file's journal rows after a recovery: the count, 0 when none,
 * -1 when they could not be counted. */
int64_t store_moved_pending(const struct store *);

/* How many of them were read and brought into the new cache (they keep
 * their UIDVALIDITY and are checked against the server's before going). */
int64_t store_moved_imported(const struct store *);

/* --- transactions --------------------------------------------------------- */

/* Begin a write transaction (BEGIN IMMEDIATE); they do not nest. Write a
 * chunk of up to 1000 messages in one, with store_folder_set_synced() for
 * the same chunk, so a crash keeps either all of it or none. A transaction
 * holds the write lock of every process on the cache: never keep one open
 * while waiting for the network. Calls made outside a transaction are each
 * atomic on their own. */
int store_begin(struct store *);
int store_commit(struct store *);
int store_rollback(struct store *);

/* 1 while a transaction begun by store_begin() is open. */
int store_in_transaction(const struct store *);

/* --- folders -------------------------------------------------------------- */

/* Insert the folder f->name, or update its LIST attributes (raw_name, delim,
 * special_use, subscribed, noselect) keeping its sync state. A NULL
 * raw_name means the same as name. *id, when not NULL, is set to its row id. */
int store_folder_upsert(
    struct store *, const struct store_folder *f, int64_t *id);

/* Fill *f with the folder called name. Returns 0, 1 when there is no such
 * folder (*f zeroed), or -1. Free the strings with store_folder_clear(). */
int store_folder_get(struct store *, const char *name, struct store_folder *f);

/* Free the strings of a folder from store_folder_get() and zero it. */
void store_folder_clear(struct store_folder *f);

/* Every folder, sorted by name, in *list (*n of them); the list is the
 * caller's: free it with store_folder_list_free(). */
int store_folder_list(struct store *, struct store_folder **list, size_t *n);

/* Free a list from store_folder_list(); NULL is a no-op. */
void store_folder_list_free(struct store_folder *list, size_t n);

/* Delete the folder called name with its messages and bodies (journal rows
 * stay). Deleting a folder that does not exist is not an error. */
int store_folder_delete(struct store *, const char *name);

/* Rename folder from to the display name to and server name raw_to (NULL
 * keeps the raw name). Fails when from does not exist or to does. */
int store_folder_rename(
    struct store *, const char *from, const char *to, const char *raw_to);

/* Record UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ after a SELECT or sync. If
 * uidvalidity differs from the stored one, call store_folder_reset() instead:
 * this does not drop rows. */
int store_folder_set_sync(struct store *, int64_t folder, uint32_t uidvalidity,
    uint32_t uidnext, uint64_t highestmodseq);

/* Record that every header up to uid is stored; call it inside the
 * transaction that stored them. */
int store_folder_set_synced(struct store *, int64_t folder, uint32_t uid);

/* Record the stamps of a local folder's cur/ and new/ once indexed. */
int store_folder_set_mdstamp(
    struct store *, int64_t folder, uint64_t cur, uint64_t new_stamp);

/* Record the server's total and unseen counts (STATUS or SELECT). */
int store_folder_set_status(
    struct store *, int64_t folder, uint32_t total, uint32_t unseen);

/* UIDVALIDITY changed: drop the folder's messages and bodies, set the new
 * uidvalidity and clear uidnext, highestmodseq and synced_uid_max, all in one
 * transaction (or inside the caller's). Journal rows stay. */
int store_folder_reset(struct store *, int64_t folder, uint32_t uidvalidity);

/* --- messages ------------------------------------------------------------- */

/* Insert m into the folder, or replace the stored row with the same UID
 * (its body stays). The folder must exist and m->uid must not be 0. */
int store_msg_put(struct store *, int64_t folder, const struct store_msg *m);

/* Set the flags and keywords (NULL for none) of one message, and its modseq
 * when modseq is not 0. A UID that is not stored is not an error. With a
 * modseq, news older than what is stored is ignored: two connections may
 * report one message's flags out of order, and MODSEQ says which is new
 * (RFC 7162). modseq 0 (a local change) always applies. */
int store_msg_set_flags(struct store *, int64_t folder, uint32_t uid,
    unsigned int flags, const char *keywords, uint64_t modseq);

/* Delete one message and its body; a UID not stored is not an error. */
int store_msg_delete(struct store *, int64_t folder, uint32_t uid);

/* Delete the n messages in uids (any order) and their bodies, atomically. */
int store_msg_delete_uids(
    struct store *, int64_t folder, const uint32_t *uids, size_t n);

/* Delete every message with lo <= UID <= hi and their bodies, atomically:
 * one range of a VANISHED set. */
int store_msg_delete_range(
    struct store *, int64_t folder, uint32_t lo, uint32_t hi);

/* Every stored UID of the folder in ascending order, for expunge detection.
 * *uids is the caller's (free() it); NULL when *n is 0. */
int store_msg_uids(struct store *, int64_t folder, uint32_t **uids, size_t *n);

/* Call cb for each message of the folder in the given order. Returns 0, -1,
 * or the non-zero value cb stopped with. cb may call store_msg_get() and
 * store_body_get() but must not write to the store or start another
 * foreach. */
int store_msg_foreach(struct store *, int64_t folder, enum store_order order,
    store_msg_cb cb, void *arg);

/* Fill *m with one message; its strings belong to the store, are never NULL
 * and stay valid until the next store_msg_get() or store_close(). Returns 0,
 * 1 when it is not stored (*m zeroed), or -1. */
int store_msg_get(
    struct store *, int64_t folder, uint32_t uid, struct store_msg *m);

/* Count the stored messages of the folder and those without \Seen. */
int store_msg_count(
    struct store *, int64_t folder, uint32_t *total, uint32_t *unseen);

/* The highest stored UID of the folder in *uid, 0 when it has none. */
int store_msg_uid_max(struct store *, int64_t folder, uint32_t *uid);

/* The strings store_msg_foreach_cols() reads; the others are "". */
enum store_col {
	STORE_COL_KEYWORDS = 0x01, /* keywords */
	STORE_COL_FROM = 0x02,     /* from_name, from_addr */
	STORE_COL_TO = 0x04,       /* to_addr */
	STORE_COL_CC = 0x08,       /* cc */
	STORE_COL_SUBJECT = 0x10,  /* subject */
	STORE_COL_IDS = 0x20,      /* message_id, in_reply_to, refs */
	STORE_COL_ALL = 0x3f,
};

/* store_msg_foreach() in STORE_ORDER_UID reading only the strings in cols
 * (STORE_COL_* bits; numbers and flags always): for a pattern over a big
 * folder, which needs a few. */
int store_msg_foreach_cols(struct store *, int64_t folder, unsigned int cols,
    store_msg_cb cb, void *arg);

/* --- bodies --------------------------------------------------------------- */

/* Store the raw RFC 5322 text of a message already put. */
int store_body_put(
    struct store *, int64_t folder, uint32_t uid, const void *raw, size_t len);

/* The raw text in *raw (the caller's: free() it) and *len. Returns 0, 1 when
 * no body is stored (*raw NULL), or -1. */
int store_body_get(
    struct store *, int64_t folder, uint32_t uid, void **raw, size_t *len);

/* --- journal of changes not yet on the server ----------------------------- */

/* Add a pending change; write it in the same transaction as the change
 * to the cache. *id, when not NULL, is set to its row id. arg may be NULL.
 * The row takes the folder's stored UIDVALIDITY and, with a uid, the cached
 * message's Message-ID, so that it can be checked and re-targeted later. */
int store_journal_add(struct store *, int64_t folder, uint32_t uid,
    const char *op, const char *arg, int64_t *id);

/* Add a row as j says (its id is ignored; created 0 means now): for rows
 * whose UIDVALIDITY is not the folder's, and rows brought over from a
 * damaged cache. */
int store_journal_put(
    struct store *, const struct store_journal *j, int64_t *id);

/* Remove a change once the server has said OK. */
int store_journal_remove(struct store *, int64_t id);

/* Set the state of a row and its mark (see struct store_journal). */
int store_journal_set_state(
    struct store *, int64_t id, int state, uint32_t mark);

/* Point a row at message uid under uidvalidity, with a new argument
 * (NULL keeps it), and make it pending again. */
int store_journal_retarget(struct store *, int64_t id, uint32_t uid,
    uint32_t uidvalidity, const char *arg);

/* Call cb for each row, held ones too, oldest first; returns as foreach. */
int store_journal_foreach(struct store *, store_journal_cb cb, void *arg);

/* The rows of one message that apply to the folder as cached now (not
 * held, same UIDVALIDITY), oldest first. */
int store_journal_foreach_msg(struct store *, int64_t folder, uint32_t uid,
    store_journal_cb cb, void *arg);

/* The number of changes waiting to be sent (held rows not counted). */
int store_journal_count(struct store *, int64_t *n);

/* The number of held rows. */
int store_journal_held(struct store *, int64_t *n);

/* --- addresses ---------------------------------------------------------- */

/* The addresses of one cached message, for the address book: the strings
 * are valid during the call only, "" when absent. */
typedef int (*store_addr_cb)(const char *from_name, const char *from_addr,
    const char *to, const char *cc, int64_t date, void *arg);

/* Call cb for the newest max cached messages of every folder, newest
 * first, until it returns non-zero. 0, or -1 (store_error()). */
int store_addresses(struct store *, size_t max, store_addr_cb, void *arg);

/* Keep the journal in the database at path (the account's data, made 0600
 * with its directories: WAL, every commit synced) instead of the cache, so
 * that deleting the cache loses no change. The cache's own rows move there
 * first; each row is pointed at its folder's row in this cache by server
 * name (made when missing). From then on a journal row is on disk before
 * the cache change made after it. 0, or -1 with *err (the caller's). */
int store_journal_attach(struct store *, const char *path, char **err);

/* --- Maildir files (local folders) --------------------------------------- */

/* A Maildir message's unique name (without ":2,FLAGS") as a message of a
 * folder: the UID its row has, the file's mtime when it was read, the
 * row's flags (STORE_FLAG_* bits) and whether the file was in new/. */
typedef int (*store_mdfile_cb)(const char *name, uint32_t uid, int64_t mtime,
    unsigned int flags, int in_new, void *arg);

/* Call cb for each file recorded for the folder (only those in new/ when
 * only_new is set) that has its message row; returns as foreach, and cb
 * must not write to the store. */
int store_mdfile_foreach(struct store *, int64_t folder, int only_new,
    store_mdfile_cb cb, void *arg);

/* Record (or update) a file, in new/ when in_new is set; forget one. */
int store_mdfile_put(struct store *, int64_t folder, const char *name,
    uint32_t uid, int64_t mtime, int in_new);
int store_mdfile_delete(struct store *, int64_t folder, const char *name);

/* The unique name of the file that is message uid of the folder, in *name
 * (the caller's). 0, 1 when there is none (*name NULL), or -1. */
int store_mdfile_name(
    struct store *, int64_t folder, uint32_t uid, char **name);

/* --- POP3 ----------------------------------------------------------------- */

/* The fetch state now lives in the Maildir (src/engine/pop3-seen.c); errand reads
 * this table once, with store_pop3_seen_foreach(), to bring it over. */

/* Record that the message with this UIDL is safe in the Maildir under
 * maildir_name (may be NULL). Replaces an earlier record. */
int store_pop3_seen_add(
    struct store *, const char *uidl, const char *maildir_name);

/* 1 when uidl was recorded, 0 when not, -1 on error. */
int store_pop3_seen_has(struct store *, const char *uidl);

/* Forget uidl (the server no longer lists it). */
int store_pop3_seen_remove(struct store *, const char *uidl);

/* A maildir_name of "tmp/NAME" marks a delivery under way, not yet safe:
 * src/engine/pop3-fetch.c writes it before moving the file into new/ and settles
 * it (NAME, or no row) at its next start; store_pop3_seen_has() counts such
 * a row as recorded. */

/* 1 with *fetched_at (seconds since the epoch) when uidl was recorded, 0
 * (*fetched_at 0) when not, -1 on error. */
int store_pop3_seen_get(struct store *, const char *uidl, int64_t *fetched_at);

/* Called once a recorded message: its UIDL, when it was recorded and its
 * Maildir name ("" when none); the strings are the store's, valid during
 * the call. Return 0 to go on, anything else to stop. */
typedef int (*store_pop3_cb)(const char *, int64_t, const char *, void *);

/* Call cb for every recorded message in UIDL order (byte order); returns as
 * store_msg_foreach(), and cb must not write to the store either. */
int store_pop3_seen_foreach(struct store *, store_pop3_cb cb, void *arg);

#endif
