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
#include "engine/session.h"

struct session;
struct live;
struct live_params;
struct local;
struct backend;
struct sync;
struct pop3_fetch;
struct maildir;
struct event;

/* Folder operations, by display name. */
enum backend_folder_op {
	BACKEND_FOLDER_CREATE,      /* name */
	BACKEND_FOLDER_DELETE,      /* name */
	BACKEND_FOLDER_RENAME,      /* name to to */
	BACKEND_FOLDER_SUBSCRIBE,   /* name */
	BACKEND_FOLDER_UNSUBSCRIBE, /* name */
};

/* How the open folder changed in the cache, for its view. */
enum backend_change {
	BACKEND_CHANGE_NONE, /* refreshed, nothing new: load it if empty */
	BACKEND_CHANGE_NOW,  /* messages came or went: reload now */
	BACKEND_CHANGE_SOON, /* flags changed (maybe a burst): reload once
	                      * before the next key or draw */
};

/* What a backend tells its owner (the interface), always from the loop.
 * Every member may be NULL. */
struct backend_events {
	/* The open folder (id: its row, 0 while not in the cache) changed. */
	void (*changed)(int64_t id, enum backend_change, void *arg);
	/* A refresh's progress: done of total, 0 of 0 when one starts;
	 * stored: the open folder's cache holds what is done so far. */
	void (*progress)(uint32_t done, uint32_t total, int stored, void *arg);
	/* The folder list or its counts changed in the cache; synced: a
	 * refresh of the whole list ended (a folder just made is there). */
	void (*listed)(int synced, void *arg);
	/* The network state or the pending changes changed: redraw. */
	void (*state)(void *arg);
	/* A line for the user: a notice, or an error (error 1). */
	void (*message)(int error, const char *text, void *arg);
	/* A move is done on the server: message uid of folder is dest_uid in
	 * dest_raw, under dest_uidvalidity (0 when the server did not say). */
	void (*moved)(int64_t folder, uint32_t uid, const char *dest_raw,
	    uint32_t dest_uidvalidity, uint32_t dest_uid, void *arg);
	void *arg;
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
	/* A folder made is subscribed to next (IMAP: so that errand sync,
	 * which takes the subscribed folders, brings it). */
	int subscribe_created;
	/* Folder operations change the cache themselves, before their
	 * callback: the folder is there at once. */
	int folders_cached;
	/* Where deleting a folder deletes its messages: "on the server". */
	const char *delete_where;
	/* What Ctrl-G says once cancel() stopped a refresh. */
	const char *cancel_text;

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
	/* Start the refresh the owner wants (want_folder: the open folder,
	 * want_list: the folder list, counts and new mail) unless one runs:
	 * IMAP a sync, local folders an index of the Maildir and a POP3
	 * fetch. Its end, progress and errors go to the events; offline, the
	 * session's retry calls backend_refresh() again. */
	void (*refresh)(struct backend *);
	/* The open folder changes: drop the work running for the old one. */
	void (*leave)(struct backend *);
	/* Stop what runs in the background (a sync, a POP3 fetch): 1 when
	 * something was stopped. */
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

	/* The refresh (backend.c and each refresh()): what the owner wants
	 * and the work running for it. */
	struct backend_events ev;
	char *folder;            /* the open folder (display name), or NULL */
	int64_t folder_id;       /* its row, 0 until the cache has it */
	int want_folder;         /* the open folder needs a refresh */
	int want_list;           /* the folder list and new mail do */
	int list_running;        /* the running sync is the list's */
	struct sync *sync;       /* IMAP: the sync running, or NULL */
	struct pop3_fetch *pop3; /* local: the POP3 fetch running, or NULL */
	struct maildir *pop3_md; /* and the Maildir it delivers into */
	struct backoff locked;   /* the wait after a sync met another's lock */
	struct event *ev_poll;   /* backend_poll_start()'s timer */
};

/* The backend of the session's account: IMAP for an imap(s) URL, else
 * local folders under the account's Maildir (maildir_default_path()).
 * NULL with *err set (the caller frees it) when the Maildir cannot be
 * made. Free with backend_free(). */
struct backend *backend_open(struct session *, char **err);

/* Stop the refresh, then ops->free(); NULL is a no-op. */
void backend_free(struct backend *);

/* --- the refresh, whatever the backend (backend.c) ----------------------- */

/* Tell ev (copied) of what happens from now on. */
void backend_events(struct backend *, const struct backend_events *ev);

/* Open the folder called name (id: its row, 0 when not in the cache):
 * the work on the old one stops, the new one is watched and wanted; the
 * refresh starts at the next backend_refresh(). */
void backend_open_folder(struct backend *, const char *name, int64_t id);

/* The open folder was renamed: it goes by name from now on. */
void backend_folder_renamed(struct backend *, const char *name);

/* Want the open folder (folder 1) and the folder list (list 1) refreshed
 * too, and start what is wanted unless a refresh runs; the credentials
 * are asked for when needed (session_creds()). */
void backend_refresh(struct backend *, int folder, int list);

/* The same without starting it. */
void backend_want(struct backend *, int folder, int list);

/* Every poll-interval (60 s when 0), while the network is not offline
 * or in error: refresh the folder list (other folders' counts, new POP3
 * mail). Stopped by backend_free(). */
void backend_poll_start(struct backend *);

/* The credentials came: connect (IMAP: the live session on the open
 * folder) and refresh everything. */
void backend_creds_ready(struct backend *);

/* ops->folder_op(), the cache following the server's folders. */
int backend_folder_op(struct backend *, enum backend_folder_op,
    const char *name, const char *to, backend_done_cb, void *arg);

/* ops->fetch() of message uid of the folder called folder: 0, or -1
 * (nothing asked, cb not called) when the cache has no such folder. */
int backend_fetch_body(struct backend *, const char *folder, uint32_t uid,
    size_t max, fetch_cb cb, void *arg);

/* Ctrl-G: stop the running refresh. The line to show. */
const char *backend_stop(struct backend *);

/* 1 while a sync runs. */
int backend_busy(const struct backend *);

/* Commit what a running sync holds open, before another write to the
 * cache. 0, or -1. */
int backend_flush(struct backend *);

/* Whether the journal row id is being sent right now. */
int backend_in_flight(const struct backend *, int64_t id);

/* Drop every change not yet sent (quitting with d). 0, or -1 with *err
 * set (the caller frees it). */
int backend_discard(struct backend *, char **err);

/* For the implementations' refresh(): a refresh starts (progress 0 of 0,
 * "syncing" unless offline or connecting); the open folder is in the
 * cache now (found: its row looked up, watched); tell the owner. */
void backend_refresh_begins(struct backend *);
void backend_folder_found(struct backend *);
void backend_changed(struct backend *, enum backend_change);
void backend_message(struct backend *, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The live session of an IMAP backend once connected, else NULL; the
 * local folders of a local one, else NULL. For tests: the interface
 * and the commands go through the vtable and the functions above. */
struct live *backend_live(const struct backend *);
struct local *backend_local(const struct backend *);

/* The implementations, for backend_open(). */
struct backend *backend_imap_new(struct session *);
struct backend *backend_local_new(struct session *, char **err);

/* The IMAP backend's refresh, leave and cancel: a sync
 * (src/engine/backend-imap-sync.c). */
void backend_imap_refresh(struct backend *);
void backend_imap_leave(struct backend *);
int backend_imap_cancel(struct backend *);

#endif
