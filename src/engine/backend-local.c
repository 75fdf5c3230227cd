/* errand: a terminal mail user agent. See LICENSE.
 * The local backend: a POP3 account's Maildir++ folders (src/local). Every
 * change is made on disk at once, then in the cache: no journal, no
 * server; folder operations end before they return. */

#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "config.h"
#include "engine/local.h"
#include "engine/maildir-index.h"
#include "engine/maildir.h"
#include "engine/pop3-fetch.h"
#include "engine/session.h"
#include "xmalloc.h"

static void bl_connect(struct backend *, const struct live_params *);
static int bl_open(
    struct backend *, const char *, int64_t, const char *, char **);
static int bl_refresh(struct backend *, char **);
static int bl_body(struct backend *, const char *, int64_t, uint32_t, size_t,
    void **, size_t *, char **);
static void bl_fetch(struct backend *, int64_t, const char *, uint32_t, size_t,
    fetch_cb, void *);
static int bl_set_flags(
    struct backend *, const char *, uint32_t, unsigned int, char **);
static int bl_move(struct backend *, const char *, uint32_t, const char *, int,
    uint32_t *, char **);
static int bl_expunge(struct backend *, const char *, uint32_t *, char **);
static void bl_wake(struct backend *);
static int bl_folder_op(struct backend *, enum backend_folder_op, const char *,
    const char *, backend_done_cb, void *);
static int bl_append(struct backend *, const char *, const void *, size_t,
    unsigned int, backend_done_cb, void *);
static void bl_refresh_start(struct backend *);
static void bl_leave(struct backend *);
static int bl_cancel(struct backend *);
static void bl_index(struct backend *, const char *);
static void bl_fetch_start(struct backend *);
static void bl_progress(const char *, uint32_t, uint32_t, void *);
static void bl_notice(const char *, void *);
static void bl_done(const struct pop3_fetch_stats *, void *);
static void bl_finished(enum pop3_fetch_result, const char *, void *);
static void bl_free(struct backend *);

static const struct backend_ops backend_local_ops = {
    .name = "maildir",
    .refresh_verb = "fetching",
    .connect_verb = "fetching",
    .local_flags = 1,
    .subscribe_created = 0,
    .folders_cached = 1,
    .delete_where = "from the Maildir",
    .cancel_text = "fetch stopped ($ to fetch again)",
    .connect = bl_connect,
    .open = bl_open,
    .refresh_all = bl_refresh,
    .body = bl_body,
    .fetch = bl_fetch,
    .set_flags = bl_set_flags,
    .move = bl_move,
    .expunge = bl_expunge,
    .wake = bl_wake,
    .folder_op = bl_folder_op,
    .append = bl_append,
    .refresh = bl_refresh_start,
    .leave = bl_leave,
    .cancel = bl_cancel,
    .free = bl_free,
};

struct backend *
backend_local_new(struct session *s, char **err)
{
	const struct account *a = session_account(s);
	struct backend *b;
	struct local *l;
	char *root;

	*err = NULL;
	if ((root = maildir_default_path(a->name)) == NULL) {
		*err = xstrdup("neither XDG_DATA_HOME nor HOME is set");
		return NULL;
	}
	l = local_open(session_store(s), root, a->fallback_charset, err);
	free(root);
	if (l == NULL)
		return NULL;
	b = xcalloc(1, sizeof *b);
	b->ops = &backend_local_ops;
	b->s = s;
	b->local = l;
	return b;
}

static void
bl_connect(struct backend *b, const struct live_params *p)
{
	(void)b;
	(void)p; /* the Maildir is here: nothing to watch */
}

static int
bl_open(struct backend *b, const char *folder, int64_t id, const char *raw,
    char **err)
{
	(void)id;
	(void)raw;
	return local_refresh_folder(b->local, folder, 0, NULL, err);
}

static int
bl_refresh(struct backend *b, char **err)
{
	return local_refresh(b->local, 0, err);
}

static int
bl_body(struct backend *b, const char *folder, int64_t id, uint32_t uid,
    size_t max, void **raw, size_t *len, char **err)
{
	(void)id;
	/* Local mail is its own copy: never "not cached". */
	return local_body(b->local, folder, uid, max, raw, len, err) != 0 ? -1
	                                                                  : 0;
}

static void
bl_fetch(struct backend *b, int64_t id, const char *raw, uint32_t uid,
    size_t max, fetch_cb cb, void *arg)
{
	(void)b;
	(void)id;
	(void)raw;
	(void)uid;
	(void)max;
	cb(FETCH_FAILED, "local mail has no server to fetch from", arg);
}

static int
bl_set_flags(struct backend *b, const char *folder, uint32_t uid,
    unsigned int flags, char **err)
{
	return local_set_flags(b->local, folder, uid, flags, err);
}

static int
bl_move(struct backend *b, const char *folder, uint32_t uid, const char *dest,
    int copy, uint32_t *dest_uid, char **err)
{
	return local_move(b->local, folder, uid, dest, copy, dest_uid, err);
}

static int
bl_expunge(struct backend *b, const char *folder, uint32_t *n, char **err)
{
	return local_expunge(b->local, folder, n, err);
}

static void
bl_wake(struct backend *b)
{
	(void)b; /* nothing is journaled */
}

static int
bl_folder_op(struct backend *b, enum backend_folder_op what, const char *name,
    const char *to, backend_done_cb cb, void *arg)
{
	char *err = NULL;
	int rc;

	switch (what) {
	case BACKEND_FOLDER_CREATE:
		rc = local_create(b->local, name, &err);
		break;
	case BACKEND_FOLDER_RENAME:
		rc = local_rename(b->local, name, to, &err);
		break;
	case BACKEND_FOLDER_DELETE:
		rc = local_delete(b->local, name, &err);
		break;
	default:
		rc = -1;
		err = xstrdup("local folders are always subscribed");
		break;
	}
	cb(rc == 0 ? NULL : err, arg);
	free(err);
	return 0;
}

static int
bl_append(struct backend *b, const char *folder, const void *raw, size_t len,
    unsigned int flags, backend_done_cb cb, void *arg)
{
	(void)b;
	(void)folder;
	(void)raw;
	(void)len;
	(void)flags;
	cb("append is not supported yet", arg);
	return 0;
}

/* --- the refresh: the Maildir indexed, POP3 bringing mail home ----------- */

/* Index a folder and tell the owner when the open one changed. */
static void
bl_index(struct backend *b, const char *name)
{
	struct maildir_index_stats stats;
	char *err;

	memset(&stats, 0, sizeof stats);
	if (local_refresh_folder(b->local, name, 0, &stats, &err) != 0) {
		backend_message(b, 1, "%s", err);
		free(err);
		return;
	}
	if (b->folder != NULL && strcmp(name, b->folder) == 0 &&
	    (stats.added != 0 || stats.changed != 0 || stats.removed != 0)) {
		backend_folder_found(b);
		backend_changed(b, BACKEND_CHANGE_NOW);
	}
}

static void
bl_refresh_start(struct backend *b)
{
	char *err;

	/* The open folder first: reloaded only when its files changed. The
	 * refresh of every folder then finds it current. */
	if (b->want_folder || b->want_list) {
		b->want_folder = 0;
		bl_index(b, b->folder);
	}
	if (!b->want_list)
		return;
	b->want_list = 0;
	if (local_refresh(b->local, 0, &err) != 0) {
		backend_message(b, 1, "%s", err);
		free(err);
	} else if (b->ev.listed != NULL)
		b->ev.listed(0, b->ev.arg);
	bl_fetch_start(b);
	if (b->ev.state != NULL)
		b->ev.state(b->ev.arg);
}

static void
bl_leave(struct backend *b)
{
	(void)b; /* the POP3 fetch brings every folder's mail: it goes on */
}

/* Bring new mail home, unless a fetch is running. */
static void
bl_fetch_start(struct backend *b)
{
	struct pop3_fetch_params pp;
	char *err;

	if (b->pop3 != NULL || session_creds(b->s) != 1)
		return;
	session_retry_cancel(b->s);
	if (b->pop3_md == NULL &&
	    (b->pop3_md = maildir_open(local_root(b->local), &err)) == NULL) {
		session_set_net(b->s, SESSION_NET_ERROR, err);
		free(err);
		return;
	}
	memset(&pp, 0, sizeof pp);
	pp.progress = bl_progress;
	pp.notice = bl_notice;
	pp.done = bl_done;
	pp.finished = bl_finished;
	pp.arg = b;
	backend_refresh_begins(b);
	b->pop3 = pop3_fetch_start(b->s, b->pop3_md, &pp);
}

static void
bl_progress(const char *folder, uint32_t done, uint32_t total, void *arg)
{
	struct backend *b = arg;

	(void)folder;
	session_set_net(b->s, SESSION_NET_SYNCING, session_net_reason(b->s));
	if (b->ev.progress != NULL)
		b->ev.progress(done, total, 0, b->ev.arg);
}

static void
bl_notice(const char *text, void *arg)
{
	backend_message(arg, 0, "%s", text);
}

static void
bl_done(const struct pop3_fetch_stats *st, void *arg)
{
	if (st->added > 0)
		backend_message(arg, 0, "%u new message%s", st->added,
		    st->added == 1 ? "" : "s");
}

static void
bl_finished(enum pop3_fetch_result r, const char *err, void *arg)
{
	struct backend *b = arg;

	switch (r) {
	case POP3_FETCH_OK:
		session_set_net(b->s, SESSION_NET_ONLINE, NULL);
		session_retry_reset(b->s);
		break;
	case POP3_FETCH_OFFLINE:
		session_set_net(b->s, SESSION_NET_OFFLINE, err);
		b->want_list = 1;
		session_retry_later(b->s);
		break;
	case POP3_FETCH_FAILED:
		session_set_net(b->s, SESSION_NET_ERROR, err);
		backend_message(b, 1, "%s", err);
		break;
	}
	/* err belongs to the fetch: used above, before it goes. */
	pop3_fetch_free(b->pop3);
	b->pop3 = NULL;
	/* What came home, in the index and the counts. */
	bl_index(b, "INBOX");
	if (b->ev.listed != NULL)
		b->ev.listed(0, b->ev.arg);
	if (b->ev.state != NULL)
		b->ev.state(b->ev.arg);
}

static int
bl_cancel(struct backend *b)
{
	if (b->pop3 == NULL)
		return 0;
	/* Dropped without QUIT: nothing is deleted on the server. */
	pop3_fetch_free(b->pop3);
	b->pop3 = NULL;
	session_set_net(b->s, SESSION_NET_ONLINE, session_net_reason(b->s));
	bl_index(b, "INBOX");
	return 1;
}

static void
bl_free(struct backend *b)
{
	local_close(b->local);
	free(b);
}
