/* errand: a terminal mail user agent. See LICENSE.
 * The mail backends behind one vtable, as mbsync's drivers: IMAP (the live
 * session that replays the journal and watches, the body fetch, beside the
 * sync) and local Maildir folders (src/local, with POP3 bringing mail
 * home). Their owner calls these, never the implementations. */
#ifndef ERRAND_BACKEND_H
#define ERRAND_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "engine/fetch.h"

struct session;
struct live;
struct live_params;
struct local;
struct backend;

/* Folder operations, by display name. */
enum backend_folder_op {
	BACKEND_FOLDER_CREATE,      /* name */
	BACKEND_FOLDER_DELETE,      /* name */
	BACKEND_FOLDER_RENAME,      /* name to to */
	BACKEND_FOLDER_SUBSCRIBE,   /* name */
	BACKEND_FOLDER_UNSUBSCRIBE, /* name */
};

/* The end of an operation: err NULL on success, else why (valid during
 * the call). */
typedef void (*backend_done_cb)(const char *err, void *arg);

struct backend_ops {
	const char *name; /* "imap", "maildir" */
	/* What the status line calls a refresh under way, and the first one:
	 * "syncing" and "connecting", or "fetching" for both. */
	const char *refresh_verb, *connect_verb;
	/* The flags live at home (in the Maildir's file names): changes are
	 * made at once, with no journal and no server. */
	int local_flags;

	/* Start what watches the server and sends the journal (IMAP: the
	 * live session with p's callbacks); nothing for local folders. */
	void (*connect)(struct backend *, const struct live_params *p);
	/* Open (or refresh) a folder: the folder row the live session
	 * watches (raw: its server name), or the Maildir indexed again. 0,
	 * or -1 with *err set (the caller frees it). */
	int (*open)(struct backend *, const char *folder, int64_t id,
	    const char *raw, char **err);
	/* Every folder: the Maildir tree indexed again (IMAP: the sync's
	 * work, nothing here). 0, or -1 with *err set. */
	int (*refresh_all)(struct backend *, char **err);
	/* The raw message uid of the folder (display name; id: its row), at
	 * most max bytes, in *raw (the caller's): 0; 1 when it must come from
	 * the server (fetch()); -1 with *err set (the caller's). */
	int (*body)(struct backend *, const char *folder, int64_t id,
	    uint32_t uid, size_t max, void **raw, size_t *len, char **err);
	/* Bring message uid of the folder (row id, server name raw) into
	 * the cache, at most max bytes; cb once, from the loop. A new call
	 * replaces a running one (only its cb runs). The credentials must be
	 * at hand (session_creds()). */
	void (*fetch)(struct backend *, int64_t id, const char *raw,
	    uint32_t uid, size_t max, fetch_cb cb, void *arg);
	/* Set a message's flags (STORE_FLAG_* bits), move or copy it to dest
	 * (*dest_uid its UID there when known), expunge the deleted messages
	 * of a folder (*n counts them): 0 when done at home; 1 when the
	 * change goes to the server through the journal (write the row, then
	 * wake()); -1 with *err set. */
	int (*set_flags)(struct backend *, const char *folder, uint32_t uid,
	    unsigned int flags, char **err);
	int (*move)(struct backend *, const char *folder, uint32_t uid,
	    const char *dest, int copy, uint32_t *dest_uid, char **err);
	int (*expunge)(
	    struct backend *, const char *folder, uint32_t *n, char **err);
	/* New journal rows wait: send them now if connected. */
	void (*wake)(struct backend *);
	/* A folder operation: cb runs once, now (local) or from the loop
	 * (IMAP), unless -1 is returned: the server is out of reach. */
	int (*folder_op)(struct backend *, enum backend_folder_op,
	    const char *name, const char *to, backend_done_cb, void *arg);
	/* Store a whole message into a folder (for the outbox and sending,
	 * next): cb as folder_op's. */
	int (*append)(struct backend *, const char *folder, const void *raw,
	    size_t len, unsigned int flags, backend_done_cb, void *arg);
	/* Stop what runs in the background (a POP3 fetch): 1 when something
	 * was stopped. */
	int (*cancel)(struct backend *);
	/* Close and free. */
	void (*free)(struct backend *);
};

/* What every backend starts with; each implementation extends it. */
struct backend {
	const struct backend_ops *ops;
	struct session *s;   /* the account's session: store, credentials */
	struct live *live;   /* IMAP: the live session, once connected */
	struct fetch *fetch; /* IMAP: the body fetch, once asked */
	struct local *local; /* local: the Maildir folders */
};

/* The backend of the session's account: IMAP for an imap(s) URL, else
 * local folders under the account's Maildir (maildir_default_path()).
 * NULL with *err set (the caller frees it) when the Maildir cannot be
 * made. Free with backend_free(). */
struct backend *backend_open(struct session *, char **err);

/* ops->free(); NULL is a no-op. */
void backend_free(struct backend *);

/* The live session of an IMAP backend once connected, else NULL; the
 * local folders of a local one, else NULL. For the callers that still
 * reach past the vtable (the triage of ui/triage.c). */
struct live *backend_live(const struct backend *);
struct local *backend_local(const struct backend *);

/* The implementations, for backend_open(). */
struct backend *backend_imap_new(struct session *);
struct backend *backend_local_new(struct session *, char **err);

#endif
