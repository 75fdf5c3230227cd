/* errand: a terminal mail user agent. See LICENSE.
 * The live session: one IMAP connection that replays the journal of
 * triage changes in order (each row goes when the server says OK), then
 * IDLEs on the open folder (or polls with NOOP) and applies what other
 * devices change. Reconnects with backoff when the connection drops. */
#ifndef ERRAND_LIVE_H
#define ERRAND_LIVE_H

#include <stdint.h>

struct account;
struct store;
struct live;
struct session;
struct store_journal;

/* Filled in by the caller; copied by live_new(). */
struct live_params {
	/* The cache changed under the open folder: reload it; need_sync when
	 * new or expunged messages need a sync to be known. */
	void (*changed)(int need_sync, void *arg);
	/* The connection came up (online 1) or went (0, with why). */
	void (*state)(int online, const char *reason, void *arg);
	/* A journal row went to the server (the pending count fell). */
	void (*sent)(void *arg);
	/* Another folder's counts changed (NOTIFY); the cache has them. */
	void (*counts)(void *arg);
	/* A move is done: the message uid of folder is now dest_uid in the
	 * folder dest_raw, whose UIDVALIDITY is dest_uidvalidity (both 0 when
	 * the server did not say, no UIDPLUS). */
	void (*moved)(int64_t folder, uint32_t uid, const char *dest_raw,
	    uint32_t dest_uidvalidity, uint32_t dest_uid, void *arg);
	/* A change the server refused (rolled back), a row held because its
	 * folder's UIDVALIDITY changed, or a server alert. */
	void (*notice)(int error, const char *text, void *arg);
	/* Every row that may go went (held ones stay): may be NULL. */
	void (*drained)(void *arg);
	void *arg;
	int poll_secs; /* NOOP interval without IDLE; 0: 60 */
};

/* A live session for the session's account, with its credentials (at
 * hand: session_creds()); the session must outlive it. Connects at once. */
struct live *live_new(struct session *, const struct live_params *);

/* Close and free; NULL is a no-op. Pending journal rows stay for later. */
void live_free(struct live *);

/* Watch this folder (store row, server name) for changes from now on. */
void live_open(struct live *, int64_t folder, const char *raw);

/* Also tell fn(raw, arg) the server name of each folder live_open() is
 * given (the backend's body session examines it ahead); fn NULL: none. */
void live_on_open(struct live *, void (*fn)(const char *raw, void *), void *);

/* New journal rows are waiting: send them now if connected. */
void live_kick(struct live *);

/* Drop every pending change, putting the cache's flags back as they were
 * before each. Returns how many were dropped, or -1. */
int live_discard(struct store *);

/* The server's flags (STORE_FLAG_* bits) of a message with the changes
 * still pending for it in the journal applied on top, oldest first: what
 * the cache must show while they wait to be sent. */
unsigned int live_pending_flags(
    struct store *, int64_t folder, uint32_t uid, unsigned int flags);

/* The same for the keywords (space separated; NULL is none): the caller
 * frees the result. */
char *live_pending_keywords(
    struct store *, int64_t folder, uint32_t uid, const char *keywords);

enum live_folder_op {
	LIVE_CREATE,      /* name */
	LIVE_DELETE,      /* name */
	LIVE_RENAME,      /* name to to */
	LIVE_SUBSCRIBE,   /* name */
	LIVE_UNSUBSCRIBE, /* name */
};

/* Called when a folder operation ends: err NULL on success. */
typedef void (*live_folder_cb)(const char *err, void *arg);

/* Create, delete, rename or (un)subscribe a folder on the server now, by
 * display names (encoded for the server here). Needs the connection: -1
 * (and no callback) when offline. */
int live_folder(struct live *, enum live_folder_op, const char *name,
    const char *to, live_folder_cb, void *);

/* 1 while the journal row with this id is with the server. */
int live_in_flight(const struct live *, int64_t id);

/* The cache's flag (store 1: STORE_FLAG_*) or the IMAP flag (store 0:
 * IMAP_FLAG_*) of a journal letter: S, F, D, A for \\Answered; 0 else. */
unsigned int live_flag_bit(char letter, int store);

#endif
