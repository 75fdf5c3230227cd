/* errand: a terminal mail user agent. See LICENSE.
 * Index a Maildir into the cache: the names recorded last time are loaded,
 * the Maildir is listed once, new files have their header read and decoded
 * (src/mime), known ones only have their flags compared, and rows of files
 * that went are deleted; writes go in transactions of 1,000. A Maildir
 * whose stamps (maildir_stamps()) are the ones recorded is skipped; one
 * whose cur/ did not change has only new/ read, unless a file it knew
 * there left it. */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/maildir-index.h"
#include "engine/maildir.h"
#include "content/mime.h"
#include "xmalloc.h"
#include "cache/store.h"

#define MDX_CHUNK 1000        /* writes a transaction */
#define MDX_HEADER_MAX 262144 /* header bytes read from a file */
#define MDX_READ 16384        /* bytes a read() */

struct mdx_known {
	char *name;
	uint32_t uid;
	int64_t mtime;
	unsigned int flags; /* the cache's */
	int in_new;         /* the cache has it in new/ */
	int seen;           /* still in the Maildir */
};

struct mdx_list {
	struct mdx_known *k;
	size_t n, cap;
};

static int mdx_collect(
    const char *, uint32_t, int64_t, unsigned int, int, void *);
static int mdx_cmp(const void *, const void *);
static int mdx_missing(struct mdx_list *, const struct maildir_entry *, size_t);
static void mdx_known_free(struct mdx_list *);
static int mdx_add(struct store *, struct maildir *, int64_t,
    const struct maildir_entry *, uint32_t, const char *, char *);

static int
mdx_collect(const char *name, uint32_t uid, int64_t mtime, unsigned int flags,
    int in_new, void *arg)
{
	struct mdx_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 256 : l->cap * 2;
		l->k = xreallocarray(l->k, l->cap, sizeof *l->k);
	}
	l->k[l->n].name = xstrdup(name);
	l->k[l->n].uid = uid;
	l->k[l->n].flags = flags;
	l->k[l->n].mtime = mtime;
	l->k[l->n].in_new = in_new;
	l->k[l->n].seen = 0;
	l->n++;
	return 0;
}

static int
mdx_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mdx_known *)a)->name,
	    ((const struct mdx_known *)b)->name);
}

/* Whether a file of known (sorted by name) is not in list; marks those
 * that are as seen. */
static int
mdx_missing(struct mdx_list *known, const struct maildir_entry *list, size_t n)
{
	struct mdx_known key, *k;
	size_t i;

	for (i = 0; i < n && known->n > 0; i++) {
		key.name = list[i].name;
		if ((k = bsearch(&key, known->k, known->n, sizeof *known->k,
		         mdx_cmp)) != NULL)
			k->seen = 1;
	}
	for (i = 0; i < known->n; i++) {
		if (!known->k[i].seen)
			return 1;
	}
	return 0;
}

static void
mdx_known_free(struct mdx_list *known)
{
	size_t i;

	for (i = 0; i < known->n; i++)
		free(known->k[i].name);
	free(known->k);
	memset(known, 0, sizeof *known);
}

/* The flag letters of maildir(5) and the cache's bits, in ASCII order. */
static const struct {
	char letter;
	unsigned int bit;
} mdx_letters[] = {
    {'D', STORE_FLAG_DRAFT},
    {'F', STORE_FLAG_FLAGGED},
    {'P', STORE_FLAG_FORWARDED},
    {'R', STORE_FLAG_ANSWERED},
    {'S', STORE_FLAG_SEEN},
    {'T', STORE_FLAG_DELETED},
};

unsigned int
maildir_index_flags(const char *letters)
{
	unsigned int f = 0;
	size_t i;

	for (i = 0; i < sizeof mdx_letters / sizeof mdx_letters[0]; i++) {
		if (strchr(letters, mdx_letters[i].letter) != NULL)
			f |= mdx_letters[i].bit;
	}
	return f;
}

void
maildir_index_letters(unsigned int flags, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < sizeof mdx_letters / sizeof mdx_letters[0]; i++) {
		if (flags & mdx_letters[i].bit)
			out[n++] = mdx_letters[i].letter;
	}
	out[n] = '\0';
}

/* Read the header of a new file and add its row as uid. */
static int
mdx_add(struct store *st, struct maildir *md, int64_t folder,
    const struct maildir_entry *e, uint32_t uid, const char *charset, char *buf)
{
	struct mime_headers *mh;
	struct store_msg m;
	struct stat sb;
	char *path, *end;
	ssize_t r;
	size_t len = 0, want;
	int fd, rc;

	xasprintf(&path, "%s/%s", maildir_path(md), e->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return 1; /* gone since the listing: the next run sees it */
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return 1;
	}
	/* The header is near the start: read a piece at a time until its
	 * end, not the whole (perhaps large) message. */
	while (len < MDX_HEADER_MAX &&
	    (r = read(fd, buf + len,
	         (want = MDX_HEADER_MAX - len) > MDX_READ ? MDX_READ : want)) >
	        0) {
		len += (size_t)r;
		buf[len] = '\0';
		if (strstr(buf, "\n\n") != NULL || strstr(buf, "\r\n\r\n"))
			break;
	}
	close(fd);
	buf[len] = '\0';
	if ((end = strstr(buf, "\n\n")) != NULL)
		len = (size_t)(end - buf) + 1;
	mh = mime_headers_decode(buf, len, charset);
	memset(&m, 0, sizeof m);
	m.uid = uid;
	m.flags = maildir_index_flags(e->flags);
	m.internaldate = (int64_t)sb.st_mtime;
	m.size = (int64_t)sb.st_size;
	m.date = mh->date;
	m.from_name = mh->from_name;
	m.from_addr = mh->from_addr;
	m.to_addr = mh->to;
	m.cc = mh->cc;
	m.subject = mh->subject;
	m.message_id = mh->message_id;
	m.in_reply_to = mh->in_reply_to;
	m.refs = mh->references;
	m.has_attachment = mh->has_attachment;
	rc = store_msg_put(st, folder, &m) != 0 ||
	        store_mdfile_put(st, folder, e->name, uid, (int64_t)sb.st_mtime,
	            e->is_new) != 0
	    ? -1
	    : 0;
	mime_headers_free(mh);
	return rc;
}

int
maildir_index(struct store *st, struct maildir *md, const char *name,
    const char *charset, int full, struct maildir_index_stats *stats,
    char **err)
{
	struct store_folder f, nf;
	struct maildir_entry *list = NULL;
	struct mdx_list known;
	struct mdx_known key, *k;
	char *buf = NULL; /* one header buffer for every new file */
	size_t i, n = 0, writes = 0;
	uint32_t max, total, unseen;
	uint64_t cur, new_stamp;
	int64_t dtotal = 0, dunseen = 0;
	unsigned int flags;
	int rc, ret = -1, only_new;

	*err = NULL;
	memset(stats, 0, sizeof *stats);
	memset(&known, 0, sizeof known);
	memset(&f, 0, sizeof f);
	if ((rc = store_folder_get(st, name, &f)) == 1) {
		memset(&nf, 0, sizeof nf);
		nf.name = name;
		nf.raw_name = maildir_path(md);
		nf.subscribed = 1;
		if (store_folder_upsert(st, &nf, NULL) != 0 ||
		    store_folder_get(st, name, &f) != 0)
			goto store_fail;
	} else if (rc != 0)
		goto store_fail;
	/* Taken before the listing: a change made while it runs changes a
	 * stamp again, so the next run looks. */
	if (maildir_stamps(md, &cur, &new_stamp) != 0) {
		xasprintf(
		    err, "cannot read the Maildir '%s'", maildir_path(md));
		goto out;
	}
	if (!full && f.md_stamp_cur == cur && f.md_stamp_new == new_stamp) {
		ret = 0;
		goto out;
	}
	/* Only new/ changed (mail delivered): nothing entered or left cur/,
	 * so new/ and the files known there say it all. */
	only_new = !full && f.md_stamp_cur == cur;
again:
	if (store_mdfile_foreach(st, f.id, only_new, mdx_collect, &known) !=
	        0 ||
	    store_msg_uid_max(st, f.id, &max) != 0)
		goto store_fail;
	/* UIDs are not given twice, even after the highest went. */
	if (f.uidnext > 0 && f.uidnext - 1 > max)
		max = f.uidnext - 1;
	if (known.n > 0)
		qsort(known.k, known.n, sizeof *known.k, mdx_cmp);
	if ((only_new ? maildir_list_new(md, &list, &n)
	              : maildir_list(md, &list, &n)) != 0) {
		xasprintf(err, "%s", maildir_error(md));
		goto out;
	}
	/* A file known in new/ that left it went to cur/ or away: only a
	 * listing of cur/ tells which (cur/ changed in the same clock tick
	 * as the stamp, or a cache that missed a rename), so read it all. */
	if (only_new && mdx_missing(&known, list, n)) {
		mdx_known_free(&known);
		maildir_list_free(list, n);
		list = NULL;
		n = 0;
		only_new = 0;
		goto again;
	}
	if (store_begin(st) != 0)
		goto store_fail;
	for (i = 0; i < n; i++) {
		key.name = list[i].name;
		k = known.n > 0
		    ? bsearch(&key, known.k, known.n, sizeof *known.k, mdx_cmp)
		    : NULL;
		if (k == NULL) {
			if (buf == NULL)
				buf = xmalloc(MDX_HEADER_MAX + 1);
			if ((rc = mdx_add(st, md, f.id, &list[i], max + 1,
			         charset, buf)) < 0)
				goto store_fail;
			if (rc == 0) {
				max++;
				stats->added++;
				dtotal++;
				if (!(maildir_index_flags(list[i].flags) &
				        STORE_FLAG_SEEN))
					dunseen++;
			}
		} else {
			k->seen = 1;
			flags = maildir_index_flags(list[i].flags);
			if (k->flags == flags && k->in_new == list[i].is_new)
				continue;
			/* Where it is decides what a new/-only run reads. */
			if (k->in_new != list[i].is_new &&
			    store_mdfile_put(st, f.id, k->name, k->uid,
			        k->mtime, list[i].is_new) != 0)
				goto store_fail;
			/* Local messages have no keywords beyond the flags. */
			if (k->flags != flags) {
				if (store_msg_set_flags(
				        st, f.id, k->uid, flags, NULL, 0) != 0)
					goto store_fail;
				stats->changed++;
				if ((k->flags ^ flags) & STORE_FLAG_SEEN)
					dunseen +=
					    flags & STORE_FLAG_SEEN ? -1 : 1;
			}
		}
		if (++writes % MDX_CHUNK == 0 &&
		    (store_commit(st) != 0 || store_begin(st) != 0))
			goto store_fail;
	}
	for (i = 0; i < known.n; i++) {
		if (known.k[i].seen)
			continue;
		if (store_msg_delete(st, f.id, known.k[i].uid) != 0 ||
		    store_mdfile_delete(st, f.id, known.k[i].name) != 0)
			goto store_fail;
		stats->removed++;
		dtotal--;
		if (!(known.k[i].flags & STORE_FLAG_SEEN))
			dunseen--;
	}
	/* A run over new/ alone keeps the counts by what it changed; a full
	 * one counts again (counting 100,000 rows costs more than new/). */
	if (only_new && (int64_t)f.total + dtotal >= 0 &&
	    (int64_t)f.unseen + dunseen >= 0) {
		total = (uint32_t)((int64_t)f.total + dtotal);
		unseen = (uint32_t)((int64_t)f.unseen + dunseen);
	} else if (store_msg_count(st, f.id, &total, &unseen) != 0)
		goto store_fail;
	if (store_folder_set_status(st, f.id, total, unseen) != 0 ||
	    store_folder_set_sync(st, f.id, 1, max + 1, 0) != 0 ||
	    store_folder_set_mdstamp(st, f.id, cur, new_stamp) != 0 ||
	    store_commit(st) != 0)
		goto store_fail;
	ret = 0;
	goto out;
store_fail:
	xasprintf(err, "%s", store_error(st));
	if (store_in_transaction(st))
		store_rollback(st);
out:
	free(buf);
	store_folder_clear(&f);
	maildir_list_free(list, n);
	mdx_known_free(&known);
	return ret;
}
