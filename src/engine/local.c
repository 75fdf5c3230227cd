/* errand: a terminal mail user agent. See LICENSE.
 * Local folders: the Maildir++ tree of a POP3 account in the cache. Every
 * change is made on disk first (a rename, a delivery, an unlink), then in
 * the cache in one transaction; a cache write that fails leaves the disk
 * right and the folder's stamp stale, so the next index reads it again. */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/local.h"
#include "engine/maildir-index.h"
#include "engine/maildir.h"
#include "content/text.h"
#include "xmalloc.h"
#include "cache/store.h"
#include "net/imap-utf7.h"

#define LOCAL_NAME_MAX 200 /* bytes of a folder's display name */
#define LOCAL_BODY_MAX ((size_t)1 << 30)

struct local {
	struct store *st;
	char *root;
	char *charset;
};

static int local_fail(char **, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int local_name_ok(const char *, char **);
static char *local_dir(struct local *, const char *);
static const char *local_special(const char *);
static struct maildir *local_md(
    struct local *, const char *, struct store_folder *, char **);
static char *local_letters(const char *);
static void local_info(unsigned int, const char *, char *, size_t);
static int local_counts(struct local *, int64_t);
static int local_count_add(
    struct local *, const struct store_folder *, int, int);
static int local_restamp(struct local *, const struct store_folder *,
    struct maildir *, const uint64_t *, uint32_t);
static int local_upsert(struct local *, const char *, const char *, int);
static int local_find(struct local *, struct maildir *,
    const struct store_folder *, uint32_t, char **, char **, unsigned int *,
    char **);
static int local_copy_file(struct maildir *, const char *, struct maildir *,
    char **, char **, char **);
static int local_deleted_cb(const struct store_msg *, void *);
static int local_rmtree(const char *);
static int local_has_children(struct local *, const char *, int *);

static int
local_fail(char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xvasprintf(err, fmt, ap);
	va_end(ap);
	return -1;
}

/* A name errand may make: UTF-8 text, no "/" and no empty level. */
static int
local_name_ok(const char *name, char **err)
{
	const unsigned char *p;
	size_t len = strlen(name);

	if (len == 0)
		return local_fail(err, "a folder needs a name");
	if (len > LOCAL_NAME_MAX)
		return local_fail(
		    err, "folder name longer than %d bytes", LOCAL_NAME_MAX);
	if (!text_utf8_valid(name, len))
		return local_fail(err, "folder name is not valid UTF-8");
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return local_fail(
			    err, "folder name holds a control character");
	}
	if (strchr(name, '/') != NULL)
		return local_fail(
		    err, "folder '%s': '/' is not allowed in a name", name);
	if (name[0] == '.' || name[len - 1] == '.' ||
	    strstr(name, "..") != NULL)
		return local_fail(err,
		    "folder '%s': '.' separates levels and cannot start, end "
		    "or repeat",
		    name);
	if (strcasecmp(name, "INBOX") == 0)
		return local_fail(err, "INBOX is the top of the Maildir");
	return 0;
}

/* The directory of a folder: the root for INBOX, else root/.NAME with the
 * name in modified UTF-7. NULL when the name cannot be encoded. */
static char *
local_dir(struct local *l, const char *name)
{
	char *enc, *dir;

	if (strcasecmp(name, "INBOX") == 0)
		return xstrdup(l->root);
	if ((enc = imap_utf7_encode(name, strlen(name))) == NULL)
		return NULL;
	xasprintf(&dir, "%s/.%s", l->root, enc);
	free(enc);
	return dir;
}

/* The special use of a top-level folder, by the names clients give them. */
static const char *
local_special(const char *name)
{
	static const struct {
		const char *name, *use;
	} uses[] = {
	    {"Drafts", "\\Drafts"},
	    {"Sent", "\\Sent"},
	    {"Archive", "\\Archive"},
	    {"Junk", "\\Junk"},
	    {"Spam", "\\Junk"},
	    {"Trash", "\\Trash"},
	};
	size_t i;

	for (i = 0; i < sizeof uses / sizeof uses[0]; i++) {
		if (strcasecmp(name, uses[i].name) == 0)
			return uses[i].use;
	}
	return NULL;
}

struct local *
local_open(struct store *st, const char *root, const char *charset, char **err)
{
	struct maildir *md;
	struct local *l;

	if ((md = maildir_open(root, err)) == NULL)
		return NULL;
	maildir_close(md);
	l = xcalloc(1, sizeof *l);
	l->st = st;
	l->root = xstrdup(root);
	l->charset = charset != NULL ? xstrdup(charset) : NULL;
	return l;
}

const char *
local_root(const struct local *l)
{
	return l->root;
}

void
local_close(struct local *l)
{
	if (l == NULL)
		return;
	free(l->root);
	free(l->charset);
	free(l);
}

/* The cache's row of a folder (in *f, cleared by the caller) and its
 * Maildir, which must still be on disk. */
static struct maildir *
local_md(struct local *l, const char *name, struct store_folder *f, char **err)
{
	struct maildir *md;
	struct stat sb;
	char *cur;
	int rc;

	memset(f, 0, sizeof *f);
	if ((rc = store_folder_get(l->st, name, f)) != 0) {
		if (rc == 1)
			local_fail(err, "no folder '%s'", name);
		else
			local_fail(err, "%s", store_error(l->st));
		return NULL;
	}
	xasprintf(&cur, "%s/cur", f->raw_name);
	rc = stat(cur, &sb);
	free(cur);
	if (rc != 0) {
		local_fail(err, "folder '%s' is gone from '%s'", name, l->root);
		store_folder_clear(f);
		return NULL;
	}
	if ((md = maildir_open(f->raw_name, err)) == NULL)
		store_folder_clear(f);
	return md;
}

/* The flag letters of the file at path (relative), read the way the
 * index reads them; the caller's, "" when none. */
static char *
local_letters(const char *path)
{
	char *name, *letters;

	if (maildir_name_parse(
	        path + 4, strncmp(path, "new/", 4) == 0, &name, &letters) != 0)
		return xstrdup("");
	free(name);
	return letters;
}

/* The letters for flags, keeping the other letters of the path's info. */
static void
local_info(unsigned int flags, const char *path, char *out, size_t size)
{
	char *letters = local_letters(path);
	const char *info;
	size_t n;

	maildir_index_letters(flags, out);
	n = strlen(out);
	for (info = letters; *info != '\0' && n + 1 < size; info++) {
		if (*info >= 'a' && *info <= 'z' && strchr(out, *info) == NULL)
			out[n++] = *info;
		out[n] = '\0';
	}
	free(letters);
}

/* Recount a folder for the folder list. */
static int
local_counts(struct local *l, int64_t folder)
{
	uint32_t total, unseen;

	return store_msg_count(l->st, folder, &total, &unseen) != 0 ||
	        store_folder_set_status(l->st, folder, total, unseen) != 0
	    ? -1
	    : 0;
}

/* Move the folder's counts by what one change did, without a recount of
 * every row (one is a scan of the whole folder). */
static int
local_count_add(
    struct local *l, const struct store_folder *f, int dtotal, int dunseen)
{
	int64_t total = (int64_t)f->total + dtotal;
	int64_t unseen = (int64_t)f->unseen + dunseen;

	if (total < 0 || unseen < 0 || unseen > total)
		return local_counts(l, f->id);
	return store_folder_set_status(
	    l->st, f->id, (uint32_t)total, (uint32_t)unseen);
}

/* After a change of errand's own: when the folder's stamps were current
 * before it, record the new ones, so the change costs no index. */
static int
local_restamp(struct local *l, const struct store_folder *f, struct maildir *md,
    const uint64_t *before, uint32_t uidnext)
{
	uint64_t cur = f->md_stamp_cur, new_stamp = f->md_stamp_new;

	if (before[0] != 0 && before[0] == f->md_stamp_cur &&
	    before[1] == f->md_stamp_new)
		maildir_stamps(md, &cur, &new_stamp);
	return store_folder_set_sync(l->st, f->id, 1, uidnext, 0) != 0 ||
	        store_folder_set_mdstamp(l->st, f->id, cur, new_stamp) != 0
	    ? -1
	    : 0;
}

/* The file of message uid: its unique name and relative path in *name and
 * *path (the caller's), and its flags in the cache in *flags. 0, or -1. */
static int
local_find(struct local *l, struct maildir *md, const struct store_folder *f,
    uint32_t uid, char **name, char **path, unsigned int *flags, char **err)
{
	struct store_msg m;
	char hint[8];
	int rc;

	*name = *path = NULL;
	if ((rc = store_msg_get(l->st, f->id, uid, &m)) != 0 ||
	    (rc = store_mdfile_name(l->st, f->id, uid, name)) != 0)
		return local_fail(err, "%s",
		    rc == 1 ? "the message is no longer in the cache"
		            : store_error(l->st));
	*flags = m.flags;
	maildir_index_letters(m.flags, hint);
	if ((rc = maildir_find(md, *name, hint, path)) == 1)
		return 0;
	if (rc == 0)
		local_fail(err,
		    "message %u: its file is gone from '%s' (another "
		    "program moved it)",
		    uid, maildir_path(md));
	else
		local_fail(err, "%s", maildir_error(md));
	free(*name);
	*name = NULL;
	return -1;
}

int
local_set_flags(struct local *l, const char *folder, uint32_t uid,
    unsigned int flags, char **err)
{
	struct store_folder f;
	struct maildir *md;
	struct stat sb;
	char *name, *path, *newpath = NULL, *abs, info[64];
	uint64_t before[2];
	int64_t mtime = 0;
	unsigned int was;
	int ret = -1, left_new;

	*err = NULL;
	flags &= ~(unsigned int)STORE_FLAG_HIDDEN;
	if ((md = local_md(l, folder, &f, err)) == NULL)
		return -1;
	maildir_stamps(md, &before[0], &before[1]);
	if (local_find(l, md, &f, uid, &name, &path, &was, err) != 0)
		goto out;
	local_info(flags, path, info, sizeof info);
	if (maildir_set_flags(md, path, info, &newpath) != 0) {
		local_fail(err, "%s", maildir_error(md));
		goto out_name;
	}
	/* A file that left new/ is recorded in cur/: a later index that
	 * reads new/ alone must not take it for gone. */
	if ((left_new = strncmp(path, "new/", 4) == 0)) {
		xasprintf(&abs, "%s/%s", maildir_path(md), newpath);
		if (stat(abs, &sb) == 0)
			mtime = (int64_t)sb.st_mtime;
		free(abs);
	}
	/* Local messages have no keywords beyond the flags. */
	if (store_begin(l->st) != 0 ||
	    store_msg_set_flags(l->st, f.id, uid, flags, NULL, 0) != 0 ||
	    (left_new &&
	        store_mdfile_put(l->st, f.id, name, uid, mtime, 0) != 0) ||
	    local_count_add(l, &f, 0,
	        !((was ^ flags) & STORE_FLAG_SEEN) ? 0
	            : flags & STORE_FLAG_SEEN      ? -1
	                                           : 1) != 0 ||
	    local_restamp(l, &f, md, before, f.uidnext) != 0 ||
	    store_commit(l->st) != 0) {
		local_fail(err, "%s", store_error(l->st));
		if (store_in_transaction(l->st))
			store_rollback(l->st);
		goto out_name;
	}
	ret = 0;
out_name:
	free(name);
	free(path);
	free(newpath);
out:
	maildir_close(md);
	store_folder_clear(&f);
	return ret;
}

/* Deliver a copy of the file at path of md into to: its new relative
 * path in *newpath, its unique name in *newname. 0, or -1. */
static int
local_copy_file(struct maildir *md, const char *path, struct maildir *to,
    char **newname, char **newpath, char **err)
{
	struct maildir_delivery *d;
	void *raw;
	size_t len;
	char *name, *np, *letters, info[64];

	*newname = *newpath = NULL;
	if (maildir_read(md, path, LOCAL_BODY_MAX, &raw, &len) != 0)
		return local_fail(err, "%s", maildir_error(md));
	if ((d = maildir_deliver_begin(to, 0)) == NULL ||
	    maildir_deliver_write(d, raw, len) != 0) {
		free(raw);
		maildir_deliver_abort(d);
		return local_fail(err, "%s", maildir_error(to));
	}
	free(raw);
	if (maildir_deliver_commit(d, &name) != 0)
		return local_fail(err, "%s", maildir_error(to));
	xasprintf(&np, "new/%s", name);
	/* The copy's flags are the original's: the letters errand knows
	 * and other tools' keywords, not whatever else the name holds. */
	letters = local_letters(path);
	local_info(maildir_index_flags(letters), path, info, sizeof info);
	free(letters);
	if (*info != '\0') {
		char *moved;

		if (maildir_set_flags(to, np, info, &moved) == 0) {
			free(np);
			np = moved;
		}
	}
	*newname = name;
	*newpath = np;
	return 0;
}

int
local_move(struct local *l, const char *folder, uint32_t uid, const char *dest,
    int copy, uint32_t *dest_uid, char **err)
{
	struct store_folder f, d;
	struct store_msg m;
	struct maildir *md, *mdd;
	struct stat sb;
	char *name = NULL, *path = NULL, *dname = NULL, *dpath = NULL, *abs;
	uint64_t before[2], dbefore[2];
	uint32_t max, nuid;
	int64_t mtime = 0;
	unsigned int was;
	int ret = -1, unseen;

	*err = NULL;
	if ((md = local_md(l, folder, &f, err)) == NULL)
		return -1;
	if ((mdd = local_md(l, dest, &d, err)) == NULL) {
		maildir_close(md);
		store_folder_clear(&f);
		return -1;
	}
	if (d.id == f.id) {
		local_fail(err, "cannot %s to '%s': same folder",
		    copy ? "copy" : "move", dest);
		goto out;
	}
	maildir_stamps(md, &before[0], &before[1]);
	maildir_stamps(mdd, &dbefore[0], &dbefore[1]);
	if (local_find(l, md, &f, uid, &name, &path, &was, err) != 0)
		goto out;
	if (copy) {
		if (local_copy_file(md, path, mdd, &dname, &dpath, err) != 0)
			goto out;
	} else {
		if (maildir_move(md, path, mdd, &dpath) != 0) {
			local_fail(err, "%s", maildir_error(md));
			goto out;
		}
		dname = xstrdup(name);
	}
	xasprintf(&abs, "%s/%s", d.raw_name, dpath);
	if (stat(abs, &sb) == 0)
		mtime = (int64_t)sb.st_mtime;
	free(abs);
	if (store_msg_uid_max(l->st, d.id, &max) != 0)
		goto store_fail;
	if (d.uidnext > 0 && d.uidnext - 1 > max)
		max = d.uidnext - 1;
	nuid = max + 1;
	/* The row's strings live until the next store_msg_get(). */
	if (store_msg_get(l->st, f.id, uid, &m) != 0 || store_begin(l->st) != 0)
		goto store_fail;
	m.uid = nuid;
	m.flags &= ~(unsigned int)STORE_FLAG_HIDDEN;
	unseen = !(m.flags & STORE_FLAG_SEEN);
	if (store_msg_put(l->st, d.id, &m) != 0 ||
	    store_mdfile_put(l->st, d.id, dname, nuid, mtime,
	        strncmp(dpath, "new/", 4) == 0) != 0 ||
	    (!copy &&
	        (store_msg_delete(l->st, f.id, uid) != 0 ||
	            store_mdfile_delete(l->st, f.id, name) != 0 ||
	            local_count_add(l, &f, -1, -unseen) != 0 ||
	            local_restamp(l, &f, md, before, f.uidnext) != 0)) ||
	    local_count_add(l, &d, 1, unseen) != 0 ||
	    local_restamp(l, &d, mdd, dbefore, nuid + 1) != 0 ||
	    store_commit(l->st) != 0)
		goto store_fail;
	if (dest_uid != NULL)
		*dest_uid = nuid;
	ret = 0;
	goto out;
store_fail:
	local_fail(err, "%s", store_error(l->st));
	if (store_in_transaction(l->st))
		store_rollback(l->st);
out:
	free(name);
	free(path);
	free(dname);
	free(dpath);
	maildir_close(md);
	maildir_close(mdd);
	store_folder_clear(&f);
	store_folder_clear(&d);
	return ret;
}

/* The UIDs of the messages marked deleted. */
struct local_uids {
	uint32_t *v;
	size_t n;
};

static int
local_deleted_cb(const struct store_msg *m, void *arg)
{
	struct local_uids *u = arg;

	if (m->flags & STORE_FLAG_DELETED) {
		u->v = xreallocarray(u->v, u->n + 1, sizeof *u->v);
		u->v[u->n++] = m->uid;
	}
	return 0;
}

int
local_expunge(struct local *l, const char *folder, uint32_t *n, char **err)
{
	struct store_folder f;
	struct local_uids u;
	struct maildir *md;
	char *name, *path, *letters;
	uint64_t before[2];
	size_t i;
	uint32_t done = 0;
	unsigned int was;
	int ret = -1, marked;

	*err = NULL;
	if (n != NULL)
		*n = 0;
	memset(&u, 0, sizeof u);
	if ((md = local_md(l, folder, &f, err)) == NULL)
		return -1;
	maildir_stamps(md, &before[0], &before[1]);
	if (store_msg_foreach(
	        l->st, f.id, STORE_ORDER_UID, local_deleted_cb, &u) < 0) {
		local_fail(err, "%s", store_error(l->st));
		goto out;
	}
	if (store_begin(l->st) != 0)
		goto store_fail;
	for (i = 0; i < u.n; i++) {
		if (local_find(l, md, &f, u.v[i], &name, &path, &was, err) !=
		    0) {
			free(*err);
			*err = NULL;
			continue; /* gone already: the next index drops it */
		}
		/* Only what is marked on disk too: another program may have
		 * taken the mark off meanwhile. */
		letters = local_letters(path);
		marked = strchr(letters, 'T') != NULL;
		free(letters);
		if (marked && maildir_remove(md, path) == 0) {
			if (store_msg_delete(l->st, f.id, u.v[i]) != 0 ||
			    store_mdfile_delete(l->st, f.id, name) != 0) {
				free(name);
				free(path);
				goto store_fail;
			}
			done++;
		}
		free(name);
		free(path);
	}
	if (local_counts(l, f.id) != 0 ||
	    local_restamp(l, &f, md, before, f.uidnext) != 0 ||
	    store_commit(l->st) != 0)
		goto store_fail;
	if (n != NULL)
		*n = done;
	ret = 0;
	goto out;
store_fail:
	local_fail(err, "%s", store_error(l->st));
	if (store_in_transaction(l->st))
		store_rollback(l->st);
out:
	free(u.v);
	maildir_close(md);
	store_folder_clear(&f);
	return ret;
}

int
local_body(struct local *l, const char *folder, uint32_t uid, size_t max,
    void **raw, size_t *len, char **err)
{
	struct store_folder f;
	struct maildir *md;
	char *name, *path;
	unsigned int was;
	int ret = -1;

	*err = NULL;
	*raw = NULL;
	*len = 0;
	if ((md = local_md(l, folder, &f, err)) == NULL)
		return -1;
	if (local_find(l, md, &f, uid, &name, &path, &was, err) != 0)
		goto out;
	if (maildir_read(md, path, max, raw, len) != 0)
		local_fail(err, "%s", maildir_error(md));
	else
		ret = 0;
	free(name);
	free(path);
out:
	maildir_close(md);
	store_folder_clear(&f);
	return ret;
}

/* Insert or update the cache's row of a folder on disk at dir. */
static int
local_upsert(struct local *l, const char *name, const char *dir, int noselect)
{
	struct store_folder f, old;
	int same;

	memset(&f, 0, sizeof f);
	f.name = name;
	f.raw_name = dir;
	f.delim = ".";
	f.special_use = strchr(name, '.') == NULL ? local_special(name) : NULL;
	f.subscribed = 1;
	f.noselect = noselect;
	/* Each refresh sees every folder: write only what changed. */
	if (store_folder_get(l->st, name, &old) == 0) {
		same = old.raw_name != NULL && strcmp(old.raw_name, dir) == 0 &&
		    old.noselect == noselect && old.subscribed &&
		    (old.special_use == NULL) == (f.special_use == NULL) &&
		    (f.special_use == NULL ||
		        strcmp(old.special_use, f.special_use) == 0);
		store_folder_clear(&old);
		if (same)
			return 0;
	}
	return store_folder_upsert(l->st, &f, NULL);
}

int
local_refresh_folder(struct local *l, const char *name, int full,
    struct maildir_index_stats *stats, char **err)
{
	struct maildir_index_stats scratch;
	struct store_folder f;
	struct maildir *md;
	int rc;

	*err = NULL;
	if ((md = local_md(l, name, &f, err)) == NULL)
		return -1;
	rc = maildir_index(l->st, md, f.name, l->charset, full,
	    stats != NULL ? stats : &scratch, err);
	maildir_close(md);
	store_folder_clear(&f);
	return rc;
}

int
local_refresh(struct local *l, int full, char **err)
{
	struct store_folder *list;
	struct dirent *de;
	struct stat sb;
	DIR *dp;
	char **names = NULL, *name, *cur, *dot;
	size_t i, j, n = 0, nl, nreal;
	int ret = -1, keep;

	*err = NULL;
	if ((dp = opendir(l->root)) == NULL)
		return local_fail(
		    err, "cannot read '%s': %s", l->root, strerror(errno));
	names = xreallocarray(NULL, 1, sizeof *names);
	names[n++] = xstrdup("INBOX");
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&cur, "%s/%s/cur", l->root, de->d_name);
		keep = stat(cur, &sb) == 0 && S_ISDIR(sb.st_mode);
		free(cur);
		if (!keep)
			continue;
		name = imap_utf7_decode(de->d_name + 1, strlen(de->d_name + 1));
		if (name == NULL)
			continue; /* not a name errand could have made */
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = name;
	}
	closedir(dp);
	/* A level with no Maildir of its own above one that has (.A.B but
	 * no .A) is listed as holding folders only, as IMAP servers do. */
	nreal = n;
	for (i = 1; i < nreal; i++) {
		for (dot = strchr(names[i], '.'); dot != NULL;
		     dot = strchr(dot + 1, '.')) {
			name = xstrndup(names[i], (size_t)(dot - names[i]));
			for (j = 0; j < n && strcmp(names[j], name) != 0; j++)
				;
			if (j < n) {
				free(name);
				continue;
			}
			names = xreallocarray(names, n + 1, sizeof *names);
			names[n++] = name;
		}
	}
	for (i = 0; i < n; i++) {
		char *dir = local_dir(l, names[i]);

		if (dir == NULL) {
			local_fail(err,
			    "folder '%s': not a name errand can "
			    "write on disk",
			    names[i]);
			goto out;
		}
		if (local_upsert(l, names[i], dir, i >= nreal) != 0) {
			free(dir);
			local_fail(err, "%s", store_error(l->st));
			goto out;
		}
		free(dir);
		if (i < nreal &&
		    local_refresh_folder(l, names[i], full, NULL, err) != 0)
			goto out;
	}
	/* Folders another program deleted. */
	if (store_folder_list(l->st, &list, &nl) != 0) {
		local_fail(err, "%s", store_error(l->st));
		goto out;
	}
	for (i = 0; i < nl; i++) {
		for (j = 0; j < n && strcmp(names[j], list[i].name) != 0; j++)
			;
		if (j == n && store_folder_delete(l->st, list[i].name) != 0) {
			local_fail(err, "%s", store_error(l->st));
			store_folder_list_free(list, nl);
			goto out;
		}
	}
	store_folder_list_free(list, nl);
	ret = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

int
local_create(struct local *l, const char *name, char **err)
{
	struct maildir *md;
	struct stat sb;
	char *dir, *mark;
	int fd;

	*err = NULL;
	if (local_name_ok(name, err) != 0)
		return -1;
	if ((dir = local_dir(l, name)) == NULL)
		return local_fail(err, "folder name is not valid UTF-8");
	if (stat(dir, &sb) == 0) {
		free(dir);
		return local_fail(err, "folder '%s' exists", name);
	}
	if ((md = maildir_open(dir, err)) == NULL) {
		free(dir);
		return -1;
	}
	maildir_close(md);
	/* Maildir++: the mark that this is a folder of a Maildir. */
	xasprintf(&mark, "%s/maildirfolder", dir);
	if ((fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
	free(mark);
	if (local_upsert(l, name, dir, 0) != 0) {
		free(dir);
		return local_fail(err, "%s", store_error(l->st));
	}
	free(dir);
	return local_refresh_folder(l, name, 1, NULL, err);
}

/* Whether folders sit below name (name.X) in the cache. */
static int
local_has_children(struct local *l, const char *name, int *yes)
{
	struct store_folder *list;
	size_t i, n, len = strlen(name);

	*yes = 0;
	if (store_folder_list(l->st, &list, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strncmp(list[i].name, name, len) == 0 &&
		    list[i].name[len] == '.')
			*yes = 1;
	}
	store_folder_list_free(list, n);
	return 0;
}

int
local_rename(struct local *l, const char *from, const char *to, char **err)
{
	struct store_folder *list;
	size_t i, n, len = strlen(from);
	struct stat sb;
	char *src, *dst, *nto;
	int ret = 0;

	*err = NULL;
	if (strcasecmp(from, "INBOX") == 0)
		return local_fail(err, "INBOX cannot be renamed");
	if (local_name_ok(to, err) != 0)
		return -1;
	if (store_folder_list(l->st, &list, &n) != 0)
		return local_fail(err, "%s", store_error(l->st));
	/* The folder, then the ones below it: Maildir++ keeps each level
	 * in a directory of its own. */
	for (i = 0; i < n && ret == 0; i++) {
		/* A level without a Maildir: its folders below carry it. */
		if (list[i].noselect)
			continue;
		if (strcmp(list[i].name, from) == 0)
			nto = xstrdup(to);
		else if (strncmp(list[i].name, from, len) == 0 &&
		    list[i].name[len] == '.')
			xasprintf(&nto, "%s%s", to, list[i].name + len);
		else
			continue;
		src = local_dir(l, list[i].name);
		dst = local_dir(l, nto);
		if (src == NULL || dst == NULL)
			ret = local_fail(err, "folder name is not valid UTF-8");
		else if (stat(dst, &sb) == 0)
			ret = local_fail(err, "folder '%s' exists", nto);
		else if (rename(src, dst) != 0)
			ret = local_fail(err, "cannot rename '%s': %s", src,
			    strerror(errno));
		else if (store_folder_rename(l->st, list[i].name, nto, dst) !=
		    0)
			ret = local_fail(err, "%s", store_error(l->st));
		free(src);
		free(dst);
		free(nto);
	}
	store_folder_list_free(list, n);
	return ret;
}

/* Remove a Maildir: the files of cur/, new/ and tmp/, those beside them
 * (maildirfolder, other tools' indexes), then the directories. */
static int
local_rmtree(const char *dir)
{
	static const char *const subs[] = {"cur", "new", "tmp", ""};
	struct dirent *de;
	char *d, *p;
	DIR *dp;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		xasprintf(&d, "%s/%s", dir, subs[i]);
		if ((dp = opendir(d)) != NULL) {
			while ((de = readdir(dp)) != NULL) {
				if (strcmp(de->d_name, ".") == 0 ||
				    strcmp(de->d_name, "..") == 0)
					continue;
				xasprintf(&p, "%s/%s", d, de->d_name);
				if (unlink(p) != 0 && errno != EISDIR &&
				    errno != EPERM)
					rc = -1;
				free(p);
			}
			closedir(dp);
		}
		if (*subs[i] != '\0' && rmdir(d) != 0 && errno != ENOENT)
			rc = -1;
		free(d);
	}
	if (rmdir(dir) != 0)
		rc = -1;
	return rc;
}

int
local_delete(struct local *l, const char *name, char **err)
{
	char *dir;
	int below;

	*err = NULL;
	if (strcasecmp(name, "INBOX") == 0)
		return local_fail(err, "INBOX cannot be deleted");
	if (local_has_children(l, name, &below) != 0)
		return local_fail(err, "%s", store_error(l->st));
	if (below)
		return local_fail(
		    err, "'%s' has folders below it: delete those first", name);
	if ((dir = local_dir(l, name)) == NULL)
		return local_fail(err, "folder name is not valid UTF-8");
	if (local_rmtree(dir) != 0) {
		local_fail(err, "cannot delete '%s': %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	if (store_folder_delete(l->st, name) != 0)
		return local_fail(err, "%s", store_error(l->st));
	return 0;
}
