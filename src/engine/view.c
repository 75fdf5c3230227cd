/* errand: a terminal mail user agent. See LICENSE.
 * The interface's reads of the cache besides its messages, as copies:
 * folders and counts, the journal's held changes, errors and notices. */

#include <stdlib.h>
#include <string.h>

#include "engine/session.h"
#include "engine/view.h"
#include "xmalloc.h"
#include "cache/store.h"

_Static_assert(VIEW_WAIT_LONG_MS == STORE_BUSY_WAIT_MS,
    "the long wait is the store's default");

static char *view_dup(const char *);
static void view_copy(struct view_folder *, const struct store_folder *);

static char *
view_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
view_copy(struct view_folder *v, const struct store_folder *f)
{
	memset(v, 0, sizeof *v);
	v->id = f->id;
	v->name = view_dup(f->name);
	v->delim = view_dup(f->delim);
	v->special_use = view_dup(f->special_use);
	v->noselect = f->noselect;
	v->total = f->total;
	v->unseen = f->unseen;
}

int
view_folder_get(struct session *s, const char *name, struct view_folder *v)
{
	struct store_folder f;
	int rc;

	memset(v, 0, sizeof *v);
	if ((rc = store_folder_get(session_store(s), name, &f)) != 0)
		return rc;
	view_copy(v, &f);
	store_folder_clear(&f);
	return 0;
}

void
view_folder_clear(struct view_folder *v)
{
	if (v == NULL)
		return;
	free(v->name);
	free(v->delim);
	free(v->special_use);
	memset(v, 0, sizeof *v);
}

int
view_folder_list(struct session *s, struct view_folder **list, size_t *n)
{
	struct store_folder *f;
	size_t i, nf;

	*list = NULL;
	*n = 0;
	if (store_folder_list(session_store(s), &f, &nf) != 0)
		return -1;
	*list = xreallocarray(NULL, nf > 0 ? nf : 1, sizeof **list);
	for (i = 0; i < nf; i++)
		view_copy(&(*list)[i], &f[i]);
	*n = nf;
	store_folder_list_free(f, nf);
	return 0;
}

void
view_folder_list_free(struct view_folder *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		view_folder_clear(&list[i]);
	free(list);
}

int
view_held(struct session *s, int64_t *n)
{
	return store_journal_held(session_store(s), n);
}

const char *
view_error(const struct session *s)
{
	return store_error(session_store(s));
}

const char *
view_notice(const struct session *s)
{
	return store_notice(session_store(s));
}

void
view_busy_wait(struct session *s, int ms)
{
	store_set_busy_wait(session_store(s), ms);
}

int
view_locked(const struct session *s)
{
	return store_locked(session_store(s));
}
