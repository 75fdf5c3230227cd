/* errand: a terminal mail user agent. See LICENSE.
 * The local Maildir: safe delivery (tmp/, fsync, rename into new/, fsync
 * the directory), listing, flags as ":2,FLAGS" renames into cur/, and the
 * cleaning of tmp/ after a run that died. maildir(5). */

#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/maildir.h"
#include "xmalloc.h"

#define MAILDIR_BUF 65536 /* bytes held before a write() */
#define MAILDIR_SETTLE 2  /* seconds a directory's change time may lag */
/* The flags errand knows, then the letters other tools use for keywords
 * (Dovecot: a-z), all in ASCII order: kept when errand renames a file. */
#define MAILDIR_FLAGS "DFPRSTabcdefghijklmnopqrstuvwxyz"

struct maildir {
	char *path;
	char *host;  /* gethostname(), '/' and ':' escaped */
	char *error; /* the last error */
	unsigned long counter;
};

struct maildir_delivery {
	struct maildir *md;
	char *name; /* the unique name */
	char *tmp;  /* full path in tmp/ */
	int fd;
	int crlf;    /* store CRLF as LF */
	int held_cr; /* the last piece ended in a CR not yet written */
	int failed;
	char *buf;
	size_t len;
};

static void maildir_fail(struct maildir *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int maildir_mkdirs(const char *);
static int maildir_flush(struct maildir_delivery *);
static int maildir_put(struct maildir_delivery *, const char *, size_t);
static int maildir_fsync_dir(const char *);
static int maildir_scan(
    struct maildir *, const char *, struct maildir_entry **, size_t *);
static int maildir_cmp_entry(const void *, const void *);
static char *maildir_host(void);
static uint64_t maildir_stamp_dir(const char *);
static int maildir_rel_ok(const char *);

static void
maildir_fail(struct maildir *md, const char *fmt, ...)
{
	va_list ap;

	free(md->error);
	va_start(ap, fmt);
	xvasprintf(&md->error, fmt, ap);
	va_end(ap);
}

char *
maildir_default_path(const char *account)
{
	const char *xdg, *home;
	char *s;

	if ((xdg = getenv("XDG_DATA_HOME")) != NULL && *xdg == '/') {
		xasprintf(&s, "%s/errand/%s", xdg, account);
		return s;
	}
	if ((home = getenv("HOME")) == NULL || *home == '\0')
		return NULL;
	xasprintf(&s, "%s/.local/share/errand/%s", home, account);
	return s;
}

/* mkdir -p with mode 0700 for what is made. */
static int
maildir_mkdirs(const char *path)
{
	char *p, *s, c;
	int rc = 0;

	p = xstrdup(path);
	for (s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			rc = -1;
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/* The host name as maildir(5) wants it: '/' as \057 and ':' as \072. */
static char *
maildir_host(void)
{
	char h[256], *out, *o;
	size_t i;

	if (gethostname(h, sizeof h) != 0 || *h == '\0')
		snprintf(h, sizeof h, "localhost");
	h[sizeof h - 1] = '\0';
	o = out = xmalloc(strlen(h) * 4 + 1);
	for (i = 0; h[i] != '\0'; i++) {
		if (h[i] == '/' || h[i] == ':') {
			snprintf(o, 5, "\\%03o", (unsigned char)h[i]);
			o += 4;
		} else
			*o++ = h[i];
	}
	*o = '\0';
	return out;
}

struct maildir *
maildir_open(const char *path, char **err)
{
	static const char *sub[] = {"cur", "new", "tmp"};
	struct maildir *md;
	struct stat sb;
	char *d;
	size_t i;
	int rc;

	*err = NULL;
	if (path == NULL || *path == '\0') {
		*err = xstrdup("cannot open Maildir: no path");
		return NULL;
	}
	for (i = 0; i < 3; i++) {
		xasprintf(&d, "%s/%s", path, sub[i]);
		/* Made only when missing: opening is on every local action. */
		rc = stat(d, &sb);
		if (rc != 0 && errno == ENOENT && (rc = maildir_mkdirs(d)) == 0)
			rc = stat(d, &sb);
		if (rc == 0 && !S_ISDIR(sb.st_mode)) {
			errno = ENOTDIR;
			rc = -1;
		}
		if (rc != 0) {
			xasprintf(err, "cannot make Maildir '%s': %s", d,
			    strerror(errno));
			free(d);
			return NULL;
		}
		free(d);
	}
	md = xcalloc(1, sizeof *md);
	md->path = xstrdup(path);
	md->error = xstrdup("");
	return md;
}

void
maildir_close(struct maildir *md)
{
	if (md == NULL)
		return;
	free(md->path);
	free(md->host);
	free(md->error);
	free(md);
}

const char *
maildir_path(const struct maildir *md)
{
	return md->path;
}

const char *
maildir_error(const struct maildir *md)
{
	return md->error;
}

struct maildir_delivery *
maildir_deliver_begin(struct maildir *md, int crlf)
{
	return maildir_deliver_begin_suffix(md, crlf, NULL);
}

struct maildir_delivery *
maildir_deliver_begin_suffix(struct maildir *md, int crlf, const char *suffix)
{
	struct maildir_delivery *d;
	struct timeval tv;
	char *name, *tmp;
	int fd, tries;

	if (md->host == NULL) /* the first delivery: most opens make none */
		md->host = maildir_host();
	if (suffix == NULL)
		suffix = "";
	if (strchr(suffix, '/') != NULL || strchr(suffix, ':') != NULL)
		fatalx("%s: bad suffix '%s'", __func__, suffix);
	for (tries = 0; tries < 100; tries++) {
		gettimeofday(&tv, NULL);
		xasprintf(&name, "%lld.M%ldP%ldQ%lu.%s%s", (long long)tv.tv_sec,
		    (long)tv.tv_usec, (long)getpid(), ++md->counter, md->host,
		    suffix);
		xasprintf(&tmp, "%s/tmp/%s", md->path, name);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd != -1) {
			d = xcalloc(1, sizeof *d);
			d->md = md;
			d->name = name;
			d->tmp = tmp;
			d->fd = fd;
			d->crlf = crlf;
			d->buf = xmalloc(MAILDIR_BUF);
			return d;
		}
		free(name);
		if (errno != EEXIST) {
			maildir_fail(
			    md, "cannot create '%s': %s", tmp, strerror(errno));
			free(tmp);
			return NULL;
		}
		free(tmp);
	}
	maildir_fail(md, "cannot create a unique file in '%s/tmp'", md->path);
	return NULL;
}

static int
maildir_flush(struct maildir_delivery *d)
{
	size_t off = 0;
	ssize_t w;

	while (off < d->len) {
		w = write(d->fd, d->buf + off, d->len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			maildir_fail(d->md, "cannot write '%s': %s", d->tmp,
			    w == 0 ? "short write" : strerror(errno));
			d->failed = 1;
			return -1;
		}
		off += (size_t)w;
	}
	d->len = 0;
	return 0;
}

/* Add bytes to the buffer, flushing when full. */
static int
maildir_put(struct maildir_delivery *d, const char *p, size_t n)
{
	size_t k;

	while (n > 0) {
		if (d->len == MAILDIR_BUF && maildir_flush(d) != 0)
			return -1;
		k = MAILDIR_BUF - d->len;
		if (k > n)
			k = n;
		memcpy(d->buf + d->len, p, k);
		d->len += k;
		p += k;
		n -= k;
	}
	return 0;
}

int
maildir_deliver_write(struct maildir_delivery *d, const void *data, size_t len)
{
	const char *p = data, *cr;
	size_t n;

	if (d->failed)
		return -1;
	if (!d->crlf)
		return maildir_put(d, p, len);
	/* A CR is written unless an LF follows it, even across pieces. */
	if (d->held_cr && len > 0) {
		d->held_cr = 0;
		if (*p != '\n' && maildir_put(d, "\r", 1) != 0)
			return -1;
	}
	while (len > 0) {
		if ((cr = memchr(p, '\r', len)) == NULL)
			return maildir_put(d, p, len);
		n = (size_t)(cr - p);
		if (maildir_put(d, p, n) != 0)
			return -1;
		p += n + 1;
		len -= n + 1;
		if (len == 0)
			d->held_cr = 1;
		else if (*p != '\n' && maildir_put(d, "\r", 1) != 0)
			return -1;
	}
	return 0;
}

const char *
maildir_deliver_name(const struct maildir_delivery *d)
{
	return d->name;
}

static int
maildir_fsync_dir(const char *path)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
maildir_deliver_commit(struct maildir_delivery *d, char **name)
{
	struct maildir *md = d->md;
	char *dst, *dir;
	int rc = -1;

	*name = NULL;
	if (d->held_cr && maildir_put(d, "\r", 1) != 0)
		goto out;
	d->held_cr = 0;
	if (d->failed || maildir_flush(d) != 0)
		goto out;
	if (fsync(d->fd) != 0) {
		maildir_fail(
		    md, "cannot sync '%s': %s", d->tmp, strerror(errno));
		goto out;
	}
	if (close(d->fd) != 0) {
		d->fd = -1;
		maildir_fail(
		    md, "cannot close '%s': %s", d->tmp, strerror(errno));
		goto out;
	}
	d->fd = -1;
	xasprintf(&dst, "%s/new/%s", md->path, d->name);
	/* link() never replaces a file; the name is unique in any case. */
	if (rename(d->tmp, dst) != 0) {
		maildir_fail(md, "cannot move '%s' to '%s': %s", d->tmp, dst,
		    strerror(errno));
		free(dst);
		goto out;
	}
	free(dst);
	xasprintf(&dir, "%s/new", md->path);
	if (maildir_fsync_dir(dir) != 0) {
		maildir_fail(md, "cannot sync '%s': %s", dir, strerror(errno));
		free(dir);
		free(d->tmp);
		d->tmp = NULL; /* renamed: not to be removed */
		goto out;
	}
	free(dir);
	free(d->tmp);
	d->tmp = NULL;
	*name = d->name;
	d->name = NULL;
	rc = 0;
out:
	maildir_deliver_abort(d);
	return rc;
}

/* Write out what is held and start the file's writeback, so that the
 * fsyncs of a batch share the file system's commits. */
static int
maildir_deliver_flush(struct maildir_delivery *d)
{
	if (d->held_cr && maildir_put(d, "\r", 1) != 0)
		return -1;
	d->held_cr = 0;
	if (d->failed || maildir_flush(d) != 0)
		return -1;
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(d->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
	return 0;
}

int
maildir_deliver_commit_many(
    struct maildir_delivery **v, size_t n, char **names, size_t *ok)
{
	struct maildir *md;
	char *dst, *dir;
	size_t i, k;
	int rc = 0;

	*ok = 0;
	if (n == 0)
		return 0;
	md = v[0]->md;
	for (i = 0; i < n; i++)
		names[i] = NULL;
	/* Written out, then synced one by one: each file is on disk before
	 * its name is in new/. The first failure ends the batch there. */
	for (k = 0; k < n && maildir_deliver_flush(v[k]) == 0; k++)
		;
	for (i = 0; i < k; i++) {
		if (fsync(v[i]->fd) != 0) {
			maildir_fail(md, "cannot sync '%s': %s", v[i]->tmp,
			    strerror(errno));
			break;
		}
		if (close(v[i]->fd) != 0) {
			v[i]->fd = -1;
			maildir_fail(md, "cannot close '%s': %s", v[i]->tmp,
			    strerror(errno));
			break;
		}
		v[i]->fd = -1;
	}
	for (k = i, i = 0; i < k; i++) {
		xasprintf(&dst, "%s/new/%s", md->path, v[i]->name);
		if (rename(v[i]->tmp, dst) != 0) {
			maildir_fail(md, "cannot move '%s' to '%s': %s",
			    v[i]->tmp, dst, strerror(errno));
			free(dst);
			break;
		}
		free(dst);
		free(v[i]->tmp);
		v[i]->tmp = NULL; /* renamed: not to be removed */
	}
	k = i;
	if (k > 0) {
		xasprintf(&dir, "%s/new", md->path);
		if (maildir_fsync_dir(dir) != 0) {
			maildir_fail(
			    md, "cannot sync '%s': %s", dir, strerror(errno));
			rc = -1;
		}
		free(dir);
	}
	for (i = 0; i < n; i++) {
		if (i < k && rc == 0) {
			names[i] = v[i]->name;
			v[i]->name = NULL;
		}
		maildir_deliver_abort(v[i]);
		v[i] = NULL;
	}
	if (rc == 0)
		*ok = k;
	return rc == 0 && k == n ? 0 : -1;
}

void
maildir_deliver_abort(struct maildir_delivery *d)
{
	if (d == NULL)
		return;
	if (d->fd != -1)
		close(d->fd);
	if (d->tmp != NULL)
		unlink(d->tmp);
	free(d->tmp);
	free(d->name);
	free(d->buf);
	free(d);
}

static int
maildir_cmp_entry(const void *a, const void *b)
{
	const struct maildir_entry *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* Append the messages of sub ("new" or "cur") to *list, sorted. */
static int
maildir_scan(
    struct maildir *md, const char *sub, struct maildir_entry **list, size_t *n)
{
	struct maildir_entry *e;
	struct dirent *de;
	char *dir;
	size_t first = *n;
	DIR *dp;

	xasprintf(&dir, "%s/%s", md->path, sub);
	if ((dp = opendir(dir)) == NULL) {
		maildir_fail(md, "cannot read '%s': %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		*list = xreallocarray(*list, *n + 1, sizeof **list);
		e = &(*list)[(*n)++];
		xasprintf(&e->path, "%s/%s", sub, de->d_name);
		e->is_new = strcmp(sub, "new") == 0;
		/* A directory entry holds no '/' and this one no leading
		 * '.': it parses. */
		maildir_name_parse(de->d_name, e->is_new, &e->name, &e->flags);
	}
	closedir(dp);
	free(dir);
	if (*n > first)
		qsort(*list + first, *n - first, sizeof **list,
		    maildir_cmp_entry);
	return 0;
}

int
maildir_list(struct maildir *md, struct maildir_entry **list, size_t *n)
{
	*list = NULL;
	*n = 0;
	if (maildir_scan(md, "new", list, n) != 0 ||
	    maildir_scan(md, "cur", list, n) != 0) {
		maildir_list_free(*list, *n);
		*list = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void
maildir_list_free(struct maildir_entry *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(list[i].path);
		free(list[i].name);
		free(list[i].flags);
	}
	free(list);
}

int
maildir_find(
    struct maildir *md, const char *name, const char *hint, char **path)
{
	static const char *const subs[] = {"cur", "new"};
	struct dirent *de;
	struct stat sb;
	size_t i, len = strlen(name);
	char *p;
	DIR *dp;
	int found = 0;

	*path = NULL;
	if (*name == '\0' || *name == '.' || strchr(name, '/') != NULL)
		return 0;
	xasprintf(&p, "%s/new/%s", md->path, name);
	found = stat(p, &sb) == 0;
	free(p);
	if (found) {
		xasprintf(path, "new/%s", name);
		return 1;
	}
	if (hint != NULL && strchr(hint, '/') == NULL) {
		xasprintf(&p, "%s/cur/%s:2,%s", md->path, name, hint);
		found = stat(p, &sb) == 0;
		free(p);
		if (found) {
			xasprintf(path, "cur/%s:2,%s", name, hint);
			return 1;
		}
	}
	/* Any flags in cur/; and new/ may hold a name with an info part
	 * (another tool moved it back), which is not its unique name. */
	for (i = 0; i < 2 && !found; i++) {
		xasprintf(&p, "%s/%s", md->path, subs[i]);
		if ((dp = opendir(p)) == NULL) {
			maildir_fail(
			    md, "cannot read '%s': %s", p, strerror(errno));
			free(p);
			return -1;
		}
		while (!found && (de = readdir(dp)) != NULL) {
			found = strncmp(de->d_name, name, len) == 0 &&
			    (de->d_name[len] == '\0' ||
			        strncmp(de->d_name + len, ":2,", 3) == 0);
			if (found)
				xasprintf(path, "%s/%s", subs[i], de->d_name);
		}
		closedir(dp);
		free(p);
	}
	return found;
}

int
maildir_exists(struct maildir *md, const char *name)
{
	char *path;
	int rc = maildir_find(md, name, NULL, &path);

	free(path);
	return rc;
}

int
maildir_name_parse(const char *file, int in_new, char **name, char **flags)
{
	const char *info;

	*name = *flags = NULL;
	if (*file == '\0' || *file == '.' || strchr(file, '/') != NULL)
		return -1;
	/* The info starts at the first ":2," that has a unique part before
	 * it, in new/ as in cur/, so that a name keeps its unique part
	 * wherever another tool moves it. */
	if ((info = strstr(file + 1, ":2,")) == NULL) {
		*name = xstrdup(file);
		*flags = xstrdup("");
	} else {
		*name = xstrndup(file, (size_t)(info - file));
		*flags = xstrdup(in_new ? "" : info + 3);
	}
	return 0;
}

char *
maildir_flags_path(const char *path, const char *flags)
{
	char set[sizeof MAILDIR_FLAGS], *name, *old, *rel;
	const char *s;
	size_t i, n = 0;

	for (s = flags; *s != '\0'; s++) {
		if (strchr(MAILDIR_FLAGS, *s) == NULL)
			return NULL;
	}
	if (!maildir_rel_ok(path) ||
	    maildir_name_parse(path + 4, path[0] == 'n', &name, &old) != 0)
		return NULL;
	/* MAILDIR_FLAGS is in ASCII order: walk it for the sorted set. */
	for (i = 0; MAILDIR_FLAGS[i] != '\0'; i++) {
		if (strchr(flags, MAILDIR_FLAGS[i]) != NULL)
			set[n++] = MAILDIR_FLAGS[i];
	}
	set[n] = '\0';
	xasprintf(&rel, "cur/%s:2,%s", name, set);
	free(name);
	free(old);
	return rel;
}

int
maildir_set_flags(
    struct maildir *md, const char *path, const char *flags, char **newpath)
{
	char *src, *dst, *rel;
	size_t bad;

	if (newpath != NULL)
		*newpath = NULL;
	if ((rel = maildir_flags_path(path, flags)) == NULL) {
		if ((bad = strspn(flags, MAILDIR_FLAGS)) != strlen(flags))
			maildir_fail(
			    md, "unknown Maildir flag '%c'", flags[bad]);
		else
			maildir_fail(md, "not a Maildir message: '%s'", path);
		return -1;
	}
	xasprintf(&src, "%s/%s", md->path, path);
	xasprintf(&dst, "%s/%s", md->path, rel);
	if (strcmp(src, dst) != 0 && rename(src, dst) != 0) {
		maildir_fail(
		    md, "cannot set flags of '%s': %s", path, strerror(errno));
		free(src);
		free(dst);
		free(rel);
		return -1;
	}
	free(src);
	free(dst);
	if (newpath != NULL)
		*newpath = rel;
	else
		free(rel);
	return 0;
}

int
maildir_clean_tmp(struct maildir *md, time_t age, size_t *removed)
{
	struct dirent *de;
	struct stat sb;
	time_t now = time(NULL);
	char *dir, *f;
	DIR *dp;

	if (removed != NULL)
		*removed = 0;
	xasprintf(&dir, "%s/tmp", md->path);
	if ((dp = opendir(dir)) == NULL) {
		maildir_fail(md, "cannot read '%s': %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&f, "%s/%s", dir, de->d_name);
		if (lstat(f, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_mtime + age < now && unlink(f) == 0 &&
		    removed != NULL)
			(*removed)++;
		free(f);
	}
	closedir(dp);
	free(dir);
	return 0;
}

/* A stamp of one directory: its identity, size and change time. */
static uint64_t
maildir_stamp_dir(const char *path)
{
	static uint64_t unsettled;
	struct timespec now;
	struct stat sb;
	uint64_t h = 0xcbf29ce484222325ULL, w[4];
	size_t i;

	if (stat(path, &sb) != 0)
		return 0;
	w[0] = (uint64_t)sb.st_ino;
	w[1] = (uint64_t)sb.st_mtim.tv_sec;
	w[2] = (uint64_t)sb.st_mtim.tv_nsec;
	w[3] = (uint64_t)sb.st_size;
	/* File systems keep change times in ticks (jiffies, or seconds):
	 * a directory changed in the last seconds can change again in the
	 * same tick and keep its time. Its stamp is then one that matches
	 * nothing, so whoever recorded it looks again next time. */
	clock_gettime(CLOCK_REALTIME, &now);
	if (sb.st_mtim.tv_sec >= now.tv_sec - MAILDIR_SETTLE) {
		w[1] ^= (uint64_t)now.tv_nsec << 20 ^ (uint64_t)getpid();
		w[2] ^= ++unsettled;
		w[3] ^= (uint64_t)now.tv_sec;
	}
	for (i = 0; i < 4; i++) {
		h ^= w[i];
		h *= 0x100000001b3ULL; /* FNV-1a's prime, a word at a time */
		h ^= h >> 29;
	}
	/* Positive in SQLite's signed integers, and never 0 ("none"). */
	return (h & 0x7fffffffffffffffULL) | 1;
}

int
maildir_sync(struct maildir *md)
{
	static const char *sub[] = {"new", "cur"};
	char *p;
	size_t i;

	for (i = 0; i < 2; i++) {
		xasprintf(&p, "%s/%s", md->path, sub[i]);
		if (maildir_fsync_dir(p) != 0) {
			maildir_fail(
			    md, "cannot sync '%s': %s", p, strerror(errno));
			free(p);
			return -1;
		}
		free(p);
	}
	return 0;
}

int
maildir_stamps(struct maildir *md, uint64_t *cur, uint64_t *new_stamp)
{
	char *p;

	xasprintf(&p, "%s/cur", md->path);
	*cur = maildir_stamp_dir(p);
	free(p);
	xasprintf(&p, "%s/new", md->path);
	*new_stamp = maildir_stamp_dir(p);
	free(p);
	return *cur != 0 && *new_stamp != 0 ? 0 : -1;
}

int
maildir_list_new(struct maildir *md, struct maildir_entry **list, size_t *n)
{
	*list = NULL;
	*n = 0;
	if (maildir_scan(md, "new", list, n) != 0) {
		maildir_list_free(*list, *n);
		*list = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* 1 when rel is a message path of a Maildir: new/NAME or cur/NAME. */
static int
maildir_rel_ok(const char *rel)
{
	return (strncmp(rel, "new/", 4) == 0 || strncmp(rel, "cur/", 4) == 0) &&
	    rel[4] != '\0' && rel[4] != '.' && strchr(rel + 4, '/') == NULL;
}

int
maildir_move(
    struct maildir *from, const char *path, struct maildir *to, char **newpath)
{
	char *src, *dst, *dir;
	int rc;

	*newpath = NULL;
	if (!maildir_rel_ok(path)) {
		maildir_fail(from, "not a Maildir message: '%s'", path);
		return -1;
	}
	xasprintf(&src, "%s/%s", from->path, path);
	xasprintf(&dst, "%s/%s", to->path, path);
	rc = rename(src, dst);
	if (rc != 0)
		maildir_fail(from, "cannot move '%s' to '%s': %s", src,
		    to->path, strerror(errno));
	free(src);
	free(dst);
	if (rc != 0)
		return -1;
	/* The new name first: a crash between the two leaves the message in
	 * both directories' view at worst, never in neither. */
	xasprintf(&dir, "%s/%.3s", to->path, path);
	rc = maildir_fsync_dir(dir);
	free(dir);
	xasprintf(&dir, "%s/%.3s", from->path, path);
	rc |= maildir_fsync_dir(dir);
	free(dir);
	*newpath = xstrdup(path);
	if (rc != 0)
		maildir_fail(
		    from, "cannot sync '%s': %s", to->path, strerror(errno));
	return 0;
}

int
maildir_add_suffix(
    struct maildir *md, const char *path, const char *suffix, char **newpath)
{
	const char *info;
	char *rel, *src, *dst;
	int rc;

	*newpath = NULL;
	if (!maildir_rel_ok(path) || strchr(suffix, '/') != NULL ||
	    strchr(suffix, ':') != NULL) {
		maildir_fail(md, "not a Maildir message: '%s'", path);
		return -1;
	}
	info = strchr(path + 4, ':');
	if (info == NULL)
		info = path + strlen(path);
	xasprintf(&rel, "%.*s%s%s", (int)(info - path), path, suffix, info);
	xasprintf(&src, "%s/%s", md->path, path);
	xasprintf(&dst, "%s/%s", md->path, rel);
	if ((rc = rename(src, dst)) != 0) {
		maildir_fail(
		    md, "cannot rename '%s': %s", src, strerror(errno));
		free(rel);
	} else
		*newpath = rel;
	free(src);
	free(dst);
	return rc == 0 ? 0 : -1;
}

int
maildir_remove(struct maildir *md, const char *path)
{
	char *p;
	int rc;

	if (!maildir_rel_ok(path)) {
		maildir_fail(md, "not a Maildir message: '%s'", path);
		return -1;
	}
	xasprintf(&p, "%s/%s", md->path, path);
	if ((rc = unlink(p)) != 0)
		maildir_fail(md, "cannot remove '%s': %s", p, strerror(errno));
	free(p);
	return rc == 0 ? 0 : -1;
}

int
maildir_read(
    struct maildir *md, const char *path, size_t max, void **buf, size_t *len)
{
	struct stat sb;
	char *p, *b = NULL;
	size_t n = 0, want;
	ssize_t r;
	int fd;

	*buf = NULL;
	*len = 0;
	if (!maildir_rel_ok(path)) {
		maildir_fail(md, "not a Maildir message: '%s'", path);
		return -1;
	}
	xasprintf(&p, "%s/%s", md->path, path);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		maildir_fail(md, "cannot read '%s': %s", p, strerror(errno));
		if (fd != -1)
			close(fd);
		free(p);
		return -1;
	}
	/* Maildir files do not change once delivered: their size is it. */
	want = (uint64_t)sb.st_size < max ? (size_t)sb.st_size : max;
	b = xmalloc(want + 1);
	while (n < want && (r = read(fd, b + n, want - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			maildir_fail(
			    md, "cannot read '%s': %s", p, strerror(errno));
			close(fd);
			free(p);
			free(b);
			return -1;
		}
		n += (size_t)r;
	}
	close(fd);
	free(p);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}
