/* errand: a terminal mail user agent. See LICENSE.
 * Triage in the engine: set or clear a flag, move, copy, expunge, and the
 * undo of a move. Each writes its journal row first (on disk by itself),
 * then the cache, then wakes the backend; a cache another process holds
 * keeps the change in a queue, written in order once it lets go. */
#ifndef ERRAND_TRIAGE_H
#define ERRAND_TRIAGE_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct backend;

/* One change: its journal row and what the cache's message row becomes. */
struct triage_change {
	int64_t folder;       /* folder row */
	uint32_t uid;         /* 0 when not about one message */
	int set_flags;        /* also set the message row's flags */
	unsigned int flags;   /* to these (STORE_FLAG_*) */
	char *keywords;       /* and keywords, NULL for none */
	char *op, *arg;       /* the journal row (src/engine/journal.h) */
	uint32_t uidvalidity; /* the folder's when the change was made */
	char *message_ids;    /* its message's Message-ID (an expunge: its
	                       * messages'), or NULL */
	int journaled;        /* its row is written: only the cache waits */
};

/* A change U can take back: a flag as it was, or a move. */
struct triage_undo {
	uint32_t uid;
	char letter;               /* S F D A, or 'M' for a move */
	int was_set;               /* a flag: whether it was set */
	char *dest_raw;            /* a move: where it went, once known */
	uint32_t dest_uid;         /* and its UID there (COPYUID) */
	uint32_t dest_uidvalidity; /* under this UIDVALIDITY */
};

struct triage {
	struct store *st;
	/* The account's backend (triage_set_backend()): local folders
	 * change through it at once; NULL: every change is journaled. */
	struct backend *be;
	/* New journal rows: the backend may send them. May be NULL. */
	void (*wake)(void *arg);
	/* Before each write (a running sync's open chunk committed): 0 to
	 * go on. May be NULL. */
	int (*prepare)(void *arg);
	void *arg;
	struct triage_change *queue; /* waiting for the cache, oldest first */
	size_t nqueue;
	/* 1: changes wait in the queue until triage_flush(), which writes
	 * their rows in one commit and then the cache in one (a script's
	 * thousands of changes cost two syncs to disk, not thousands). */
	int batch;
	/* The last action's changes, oldest first, for triage_undo(). */
	struct triage_undo *undo;
	size_t nundo;
	int undoing; /* triage_undo() runs: record nothing */
};

/* Set t up for the store st; wake(arg) is called after rows are written,
 * prepare(arg) before each write (either may be NULL). */
void triage_init(struct triage *t, struct store *st, void (*wake)(void *),
    int (*prepare)(void *), void *arg);

/* Make the changes of triage_mark(), triage_file() and triage_purge()
 * through be (its set_flags, move, expunge ops), the journal when they
 * say the server must; NULL: the journal always. */
void triage_set_backend(struct triage *t, struct backend *be);

/* Free the queue (its changes never written to the cache) and the undo
 * list. */
void triage_clear(struct triage *t);

/* Write the queued changes, oldest first: every row first (one commit),
 * then the cache (one commit), else one change after the other. 0 when
 * none is left, else -1 (store_locked() says whether another process
 * holds the cache). */
int triage_flush(struct triage *t);

/* The changes not yet sent: the journal's pending rows and the queued
 * changes whose row is not written yet. */
int64_t triage_pending(struct triage *t);

/* A message's flags as the queue will leave them. */
unsigned int triage_flags(
    const struct triage *t, int64_t folder, uint32_t uid, unsigned int flags);

/* Set (set 1), clear (0) or toggle (-1) the flag letter (S, F, D, A) of
 * message uid of the folder called folder. *flags (may be NULL) is set to the
 * message's new flags, *was whether it had the flag. 0 done (or queued),
 * 1 nothing to do, -1 with *err (the caller's). */
int triage_flag(struct triage *t, const char *folder, uint32_t uid, char letter,
    int set, unsigned int *flags, int *was, char **err);

/* Move (copy 0) or copy message uid of folder to the folder dest (display
 * names): a move hides it at once. 0, or -1 with *err. */
int triage_move(struct triage *t, const char *folder, uint32_t uid,
    const char *dest, int copy, char **err);

/* Expunge the UID set uids of folder (message_ids: theirs, space
 * separated, or NULL). 0, or -1 with *err. */
int triage_expunge(struct triage *t, const char *folder, const char *uids,
    const char *message_ids, char **err);

/* Undo a move of message uid of folder: a move not yet sent is dropped
 * and the message shown again (0); one the server has done is moved back
 * from dest_raw, where it is dest_uid under dest_uidvalidity (0; -1 with
 * *err when dest_uid is unknown). 1 when the move is with the server right
 * now (in_flight said so for its row): try again later. */
int triage_unmove(struct triage *t, const char *folder, uint32_t uid,
    const char *dest_raw, uint32_t dest_uid, uint32_t dest_uidvalidity,
    int (*in_flight)(int64_t id, void *arg), void *arg, char **err);

/* --- through the backend, with undo (the interface's triage) ----------- */

/* Set (1), clear (0) or toggle (-1) the flag letter of message uid of
 * folder, through the backend (local folders: the file's name at once)
 * or the journal, and remember it for triage_undo(). *flags is set to
 * the message's new flags. 0 done, 1 nothing to do, -1 with *err (the
 * caller's). */
int triage_mark(struct triage *t, const char *folder, uint32_t uid, char letter,
    int set, unsigned int *flags, char **err);

/* Move (copy 0) or copy message uid of folder to dest (display names)
 * the same way; a move is remembered for undo. *dest_name (the caller's)
 * is the destination's name as the cache has it. 0, or -1 with *err. */
int triage_file(struct triage *t, const char *folder, uint32_t uid,
    const char *dest, int copy, char **dest_name, char **err);

/* Expunge the n messages uids of folder: 0 when done at home (*count of
 * them expunged, the undo list forgotten), 1 when journaled for the
 * server (with their Message-IDs, for errand push --retarget), -1 with
 * *err (the undo list forgotten for local folders too). */
int triage_purge(struct triage *t, const char *folder, const uint32_t *uids,
    size_t n, uint32_t *count, char **err);

/* A move was done on the server: where message uid went, for undo. */
void triage_moved(struct triage *t, uint32_t uid, const char *dest_raw,
    uint32_t dest_uidvalidity, uint32_t dest_uid);

/* Forget the last action's changes. */
void triage_undo_clear(struct triage *t);

enum triage_undo_result {
	TRIAGE_UNDONE,      /* every change of the last action taken back */
	TRIAGE_UNDO_NONE,   /* nothing to undo */
	TRIAGE_UNDO_BUSY,   /* a move is with the server right now: the
	                     * list is kept, try again in a moment */
	TRIAGE_UNDO_FAILED, /* a local move could not go back: *err says
	                     * why (the caller's), the list is forgotten */
};

/* Undo the last action in folder, newest change first (the queue must be
 * written: triage_flush()). */
enum triage_undo_result triage_undo(
    struct triage *t, const char *folder, char **err);

#endif
