/* errand: a terminal mail user agent. See LICENSE.
 * The IMAP backend: changes go to the server through the journal, sent in
 * order by the live session (src/engine/live.c), which also watches the open
 * folder; bodies come from the cache, else the body fetch (src/engine/fetch.c);
 * folder operations are made on the server at once. */

#include <stdlib.h>

#include "engine/backend.h"
#include "engine/fetch.h"
#include "engine/live.h"
#include "engine/session.h"
#include "xmalloc.h"
#include "cache/store.h"

/* ui/folders.c passes its enum live_folder_op as it is. */
_Static_assert(BACKEND_FOLDER_CREATE == (int)LIVE_CREATE &&
        BACKEND_FOLDER_DELETE == (int)LIVE_DELETE &&
        BACKEND_FOLDER_RENAME == (int)LIVE_RENAME &&
        BACKEND_FOLDER_SUBSCRIBE == (int)LIVE_SUBSCRIBE &&
        BACKEND_FOLDER_UNSUBSCRIBE == (int)LIVE_UNSUBSCRIBE,
    "folder operations in the same order");

static void bi_connect(struct backend *, const struct live_params *);
static int bi_open(
    struct backend *, const char *, int64_t, const char *, char **);
static int bi_refresh(struct backend *, char **);
static int bi_body(struct backend *, const char *, int64_t, uint32_t, size_t,
    void **, size_t *, char **);
static void bi_fetch(struct backend *, int64_t, const char *, uint32_t, size_t,
    fetch_cb, void *);
static int bi_set_flags(
    struct backend *, const char *, uint32_t, unsigned int, char **);
static int bi_move(struct backend *, const char *, uint32_t, const char *, int,
    uint32_t *, char **);
static int bi_expunge(struct backend *, const char *, uint32_t *, char **);
static void bi_wake(struct backend *);
static int bi_folder_op(struct backend *, enum backend_folder_op, const char *,
    const char *, backend_done_cb, void *);
static int bi_append(struct backend *, const char *, const void *, size_t,
    unsigned int, backend_done_cb, void *);
static void bi_free(struct backend *);

static const struct backend_ops backend_imap_ops = {
    .name = "imap",
    .refresh_verb = "syncing",
    .connect_verb = "connecting",
    .local_flags = 0,
    .subscribe_created = 1,
    .folders_cached = 0,
    .delete_where = "on the server",
    .cancel_text = "sync cancelled ($ to sync again)",
    .connect = bi_connect,
    .open = bi_open,
    .refresh_all = bi_refresh,
    .body = bi_body,
    .fetch = bi_fetch,
    .set_flags = bi_set_flags,
    .move = bi_move,
    .expunge = bi_expunge,
    .wake = bi_wake,
    .folder_op = bi_folder_op,
    .append = bi_append,
    .refresh = backend_imap_refresh,
    .leave = backend_imap_leave,
    .cancel = backend_imap_cancel,
    .free = bi_free,
};

struct backend *
backend_imap_new(struct session *s)
{
	struct backend *b = xcalloc(1, sizeof *b);

	b->ops = &backend_imap_ops;
	b->s = s;
	return b;
}

static void
bi_connect(struct backend *b, const struct live_params *p)
{
	if (b->live == NULL)
		b->live = live_new(b->s, p);
}

static int
bi_open(struct backend *b, const char *folder, int64_t id, const char *raw,
    char **err)
{
	(void)folder;
	*err = NULL;
	if (b->live != NULL && raw != NULL)
		live_open(b->live, id, raw);
	return 0;
}

static int
bi_refresh(struct backend *b, char **err)
{
	(void)b;
	*err = NULL;
	return 0; /* the sync's work */
}

static int
bi_body(struct backend *b, const char *folder, int64_t id, uint32_t uid,
    size_t max, void **raw, size_t *len, char **err)
{
	struct store *st = session_store(b->s);
	int rc;

	(void)folder;
	(void)max; /* the fetch kept at most that */
	*err = NULL;
	rc = store_body_get(st, id, uid, raw, len);
	if (rc < 0)
		*err = xstrdup(store_error(st));
	return rc;
}

static void
bi_fetch(struct backend *b, int64_t id, const char *raw, uint32_t uid,
    size_t max, fetch_cb cb, void *arg)
{
	if (b->fetch == NULL)
		b->fetch = fetch_new(b->s);
	fetch_body(b->fetch, id, raw, uid, max, cb, arg);
}

static int
bi_set_flags(struct backend *b, const char *folder, uint32_t uid,
    unsigned int flags, char **err)
{
	(void)b;
	(void)folder;
	(void)uid;
	(void)flags;
	*err = NULL;
	return 1; /* through the journal */
}

static int
bi_move(struct backend *b, const char *folder, uint32_t uid, const char *dest,
    int copy, uint32_t *dest_uid, char **err)
{
	(void)b;
	(void)folder;
	(void)uid;
	(void)dest;
	(void)copy;
	if (dest_uid != NULL)
		*dest_uid = 0; /* COPYUID says, once sent */
	*err = NULL;
	return 1;
}

static int
bi_expunge(struct backend *b, const char *folder, uint32_t *n, char **err)
{
	(void)b;
	(void)folder;
	(void)n;
	*err = NULL;
	return 1;
}

static void
bi_wake(struct backend *b)
{
	if (b->live != NULL)
		live_kick(b->live);
}

static int
bi_folder_op(struct backend *b, enum backend_folder_op what, const char *name,
    const char *to, backend_done_cb cb, void *arg)
{
	static const enum live_folder_op ops[] = {
	    [BACKEND_FOLDER_CREATE] = LIVE_CREATE,
	    [BACKEND_FOLDER_DELETE] = LIVE_DELETE,
	    [BACKEND_FOLDER_RENAME] = LIVE_RENAME,
	    [BACKEND_FOLDER_SUBSCRIBE] = LIVE_SUBSCRIBE,
	    [BACKEND_FOLDER_UNSUBSCRIBE] = LIVE_UNSUBSCRIBE,
	};

	if (b->live == NULL)
		return -1;
	return live_folder(b->live, ops[what], name, to, cb, arg);
}

static int
bi_append(struct backend *b, const char *folder, const void *raw, size_t len,
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

static void
bi_free(struct backend *b)
{
	fetch_free(b->fetch);
	live_free(b->live);
	free(b);
}
