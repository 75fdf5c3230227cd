/* errand: a terminal mail user agent. See LICENSE.
 * The local backend: a POP3 account's Maildir++ folders (src/local). Every
 * change is made on disk at once, then in the cache: no journal, no
 * server; folder operations end before they return. */

#include <stdlib.h>

#include "engine/backend.h"
#include "config.h"
#include "engine/local.h"
#include "engine/maildir.h"
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
static int bl_cancel(struct backend *);
static void bl_free(struct backend *);

static const struct backend_ops backend_local_ops = {
    .name = "maildir",
    .refresh_verb = "fetching",
    .connect_verb = "fetching",
    .local_flags = 1,
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

static int
bl_cancel(struct backend *b)
{
	(void)b;
	return 0; /* the POP3 fetch is still the interface's (ui/local.c) */
}

static void
bl_free(struct backend *b)
{
	local_close(b->local);
	free(b);
}
