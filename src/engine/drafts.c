/* errand: a terminal mail user agent. See LICENSE.
 * The Drafts folder as the cache has it: what another device (or an
 * earlier errand) postponed there, for R to offer besides the drafts of
 * this machine. */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/drafts.h"
#include "xmalloc.h"
#include "cache/store.h"

struct drafts_walk {
	const char *folder;
	int64_t id;
	struct drafts_msg *v;
	size_t n;
};

static int
drafts_cb(const struct store_msg *m, void *arg)
{
	struct drafts_walk *w = arg;
	struct drafts_msg *d;

	if (m->flags & (STORE_FLAG_DELETED | STORE_FLAG_HIDDEN))
		return 0;
	w->v = xreallocarray(w->v, w->n + 1, sizeof *w->v);
	d = &w->v[w->n++];
	d->folder = xstrdup(w->folder);
	d->folder_id = w->id;
	d->uid = m->uid;
	d->message_id = xstrdup(m->message_id);
	d->to = xstrdup(m->to_addr);
	d->subject = xstrdup(m->subject);
	return 0;
}

int
drafts_list(struct store *st, struct drafts_msg **v, size_t *n, char **err)
{
	struct store_folder *f;
	struct drafts_walk w;
	size_t nf, i, pick = (size_t)-1;
	int rc;

	*v = NULL;
	*n = 0;
	if (store_folder_list(st, &f, &nf) != 0) {
		*err = xstrdup(store_error(st));
		return -1;
	}
	for (i = 0; i < nf && pick == (size_t)-1; i++)
		if (f[i].special_use != NULL &&
		    strcasecmp(f[i].special_use, "\\Drafts") == 0)
			pick = i;
	for (i = 0; i < nf && pick == (size_t)-1; i++)
		if (strcmp(f[i].name, "Drafts") == 0)
			pick = i;
	if (pick == (size_t)-1) {
		store_folder_list_free(f, nf);
		return 0;
	}
	memset(&w, 0, sizeof w);
	w.folder = f[pick].name;
	w.id = f[pick].id;
	rc = store_msg_foreach(st, w.id, STORE_ORDER_DATE, drafts_cb, &w);
	store_folder_list_free(f, nf);
	if (rc < 0) {
		drafts_list_free(w.v, w.n);
		*err = xstrdup(store_error(st));
		return -1;
	}
	*v = w.v;
	*n = w.n;
	return 0;
}

void
drafts_list_free(struct drafts_msg *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].folder);
		free(v[i].message_id);
		free(v[i].to);
		free(v[i].subject);
	}
	free(v);
}
