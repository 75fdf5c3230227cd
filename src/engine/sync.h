/* errand: a terminal mail user agent. See LICENSE.
 * Sync: bring the cache up to date with an IMAP account. Connects, lists
 * the folders, and for each folder asked for applies what changed since
 * the last sync (QRESYNC, else CONDSTORE, else a full flag fetch) and
 * fetches the headers of new mail in chunks, each in one transaction. */
#ifndef ERRAND_SYNC_H
#define ERRAND_SYNC_H

#include <stddef.h>
#include <stdint.h>

struct account;
struct store;
struct session;

enum sync_result {
	SYNC_OK,
	SYNC_OFFLINE, /* the server could not be reached: use the cache */
	SYNC_FAILED,  /* anything else: TLS, login, protocol, disk */
};

/* What happened to one folder, for the summary line. */
struct sync_folder_stats {
	const char *name;   /* display name */
	uint32_t added;     /* headers fetched */
	uint32_t changed;   /* flag changes applied */
	uint32_t vanished;  /* messages removed */
	int reset;          /* UIDVALIDITY changed: rows dropped */
	const char *method; /* "qresync", "condstore" or "full" */
};

typedef void (*sync_folder_cb)(const struct sync_folder_stats *, void *);
/* Progress of a header fetch: done of about total messages. */
typedef void (*sync_progress_cb)(const char *, uint32_t, uint32_t, void *);
/* The end: SYNC_OK, or why not and a message valid during the call. The
 * sync may be freed in it. */
typedef void (*sync_finished_cb)(enum sync_result, const char *, void *);
/* Text the server marked [ALERT]: the user must see it. */
typedef void (*sync_alert_cb)(const char *, void *);

/* Filled in by the caller. */
struct sync_params {
	const char *const *folders; /* display names; NULL: subscribed ones */
	size_t nfolders;
	int list_only;       /* 1: refresh the folder list and counts only */
	sync_folder_cb done; /* called after each folder, or NULL */
	sync_progress_cb progress; /* every 1,000 headers stored, or NULL */
	sync_alert_cb alert;       /* or NULL */
	sync_finished_cb finished; /* sync_start(): at the end, once */
	void *arg;
};

struct sync;

/* Start syncing the session's account on its loop with its credentials
 * (which must be at hand: session_creds()) and return at once; params
 * (copied, with the folder names) says what and whom to tell. Free with
 * sync_free(), which also cancels a running sync (the cache stays
 * consistent: the open chunk is rolled back). */
struct sync *sync_start(struct session *, const struct sync_params *);

/* Commit what the sync has written so far (with its resume point), so the
 * caller may write to the store: a running sync keeps a transaction open
 * while it waits for the server. 0, or -1 (the sync then fails). */
int sync_flush(struct sync *);

/* 1 when the sync failed because another process (a second errand) held
 * the cache's write lock for longer than the store waits: start it again
 * later. */
int sync_locked(const struct sync *);

/* 1 when the sync failed because the server refused the credentials. */
int sync_auth_refused(const struct sync *);

/* Cancel if running, and free; sync_free(NULL) is a no-op. */
void sync_free(struct sync *);

/* Run the sync on the session's loop until it ends, getting the
 * credentials first (session_creds(); "no password" when they fail).
 * On failure *err is set (the caller frees it): "cannot select 'Archive':
 * Mailbox doesn't exist". params->finished is not used. */
enum sync_result sync_run(
    struct session *, const struct sync_params *, char **err);

/* The cache's flags (STORE_FLAG_*) for a message's IMAP_FLAG_* bits. */
unsigned int sync_flags_from_imap(unsigned int);

#endif
