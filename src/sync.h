/* errand: a terminal mail user agent. See LICENSE.
 * Sync: bring the cache up to date with an IMAP account. Connects, lists
 * the folders, and for each folder asked for applies what changed since
 * the last sync (QRESYNC, else CONDSTORE, else a full flag fetch) and
 * fetches the headers of new mail in chunks, each in one transaction. */
#ifndef ERRAND_SYNC_H
#define ERRAND_SYNC_H

#include <stddef.h>
#include <stdint.h>

struct cmd_ctx;
struct account;
struct store;

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

/* Filled in by the caller. */
struct sync_params {
	const char *const *folders; /* display names; NULL: subscribed ones */
	size_t nfolders;
	int list_only;       /* 1: refresh the folder list and counts only */
	int progress;        /* 1: report progress on stderr */
	sync_folder_cb done; /* called after each folder, or NULL */
	void *arg;
};

/* Run the sync on ctx's loop until it ends. On failure *err is set (the
 * caller frees it): "cannot select 'Archive': Mailbox doesn't exist". */
enum sync_result sync_run(struct cmd_ctx *, const struct account *,
    struct store *, const struct sync_params *, char **err);

#endif
