/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/engine/local.c and src/engine/maildir-index.c on a real Maildir and
 * cache: a message read (renamed into cur/) survives the next delivery,
 * and a property test: random, seeded sequences of errand's own flag
 * changes, other tools' renames, deliveries and removals, after each of
 * which the index is the directory listing. */

#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/local.h"
#include "engine/maildir-index.h"
#include "engine/maildir.h"
#include "xmalloc.h"
#include "cache/store.h"

#define STEPS 400 /* operations a property run */

static char *tmp;       /* this test's directory */
static char *root;      /* tmp/md: INBOX's Maildir */
static char *db;        /* tmp/cache.db */
static uint64_t seed;   /* of the property test, printed at the start */
static uint64_t rstate; /* xorshift64 state */
static time_t vclock;   /* age_dirs()' clock, far in the past */
static time_t aged[2];  /* the times it gave cur/ and new/ */

/* A file the cache records: from store_mdfile_foreach(). */
struct row {
	char *name;
	uint32_t uid;
	unsigned int flags;
	int in_new;
};

struct rows {
	struct row *v;
	size_t n;
};

/* A name and the UID it was given first: UIDs never change. */
struct uidmap {
	char **names;
	uint32_t *uids;
	size_t n;
};

static int rm_entry(const char *, const struct stat *, int, struct FTW *);
static void setup(void);
static void teardown(void);
static uint64_t rnd(void);
static size_t rnd_below(size_t);
static struct store *open_store(void);
static char *deliver(struct maildir *, unsigned int);
static int row_cb(const char *, uint32_t, int64_t, unsigned int, int, void *);
static void rows_load(struct store *, struct rows *);
static void rows_free(struct rows *);
static const struct row *rows_find(const struct rows *, const char *);
static void refresh(struct local *);
static char *ident_of(const char *);
static void uidmap_free(struct uidmap *);
static void check_index(
    struct store *, struct maildir *, struct uidmap *, const char *);
static void random_letters(char *, size_t);
static void set_mtime(const char *, time_t);
static void age_dirs(void);

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
setup(void)
{
	const char *t;

	t = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	xasprintf(&tmp, "%s/errand-test-local-XXXXXX", t);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	xasprintf(&root, "%s/md", tmp);
	xasprintf(&db, "%s/cache.db", tmp);
	vclock = aged[0] = aged[1] = 0;
}

static void
teardown(void)
{
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
	free(root);
	free(db);
}

/* xorshift64*: the same sequence for a seed on every libc. */
static uint64_t
rnd(void)
{
	rstate ^= rstate >> 12;
	rstate ^= rstate << 25;
	rstate ^= rstate >> 27;
	return rstate * 0x2545f4914f6cdd1dULL;
}

static size_t
rnd_below(size_t n)
{
	return (size_t)(rnd() % n);
}

static struct store *
open_store(void)
{
	struct store *st;
	char *err;

	st = store_open(db, &err);
	ck_assert_msg(st != NULL, "%s", err);
	return st;
}

/* Deliver message number i into new/; its unique name. */
static char *
deliver(struct maildir *md, unsigned int i)
{
	struct maildir_delivery *d;
	char *name, *text;

	ck_assert_ptr_nonnull(d = maildir_deliver_begin(md, 0));
	xasprintf(&text,
	    "From: Sender <s@example.org>\nSubject: number %u\n"
	    "Message-ID: <%u@example.org>\n\nBody %u.\n",
	    i, i, i);
	ck_assert_int_eq(maildir_deliver_write(d, text, strlen(text)), 0);
	free(text);
	ck_assert_msg(
	    maildir_deliver_commit(d, &name) == 0, "%s", maildir_error(md));
	return name;
}

static int
row_cb(const char *name, uint32_t uid, int64_t mtime, unsigned int flags,
    int in_new, void *arg)
{
	struct rows *r = arg;

	(void)mtime;
	r->v = xreallocarray(r->v, r->n + 1, sizeof *r->v);
	r->v[r->n].name = xstrdup(name);
	r->v[r->n].uid = uid;
	r->v[r->n].flags = flags;
	r->v[r->n].in_new = in_new;
	r->n++;
	return 0;
}

static void
rows_load(struct store *st, struct rows *r)
{
	struct store_folder f;

	memset(r, 0, sizeof *r);
	ck_assert_int_eq(store_folder_get(st, "INBOX", &f), 0);
	ck_assert_msg(store_mdfile_foreach(st, f.id, 0, row_cb, r) == 0, "%s",
	    store_error(st));
	store_folder_clear(&f);
}

static void
rows_free(struct rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].name);
	free(r->v);
}

static const struct row *
rows_find(const struct rows *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->v[i].name, name) == 0)
			return &r->v[i];
	}
	return NULL;
}

/* What every caller does to look at the folder: index it (not in full). */
static void
refresh(struct local *l)
{
	struct maildir_index_stats stats;
	char *err;

	ck_assert_msg(
	    local_refresh_folder(l, "INBOX", 0, &stats, &err) == 0, "%s", err);
}

/* The name a file at path (relative) was delivered under: errand's
 * delivered names hold no ':', and the tools here only change what
 * follows it. The caller's. */
static char *
ident_of(const char *path)
{
	return xstrndup(path + 4, strcspn(path + 4, ":"));
}

static void
uidmap_free(struct uidmap *um)
{
	size_t i;

	for (i = 0; i < um->n; i++)
		free(um->names[i]);
	free(um->names);
	free(um->uids);
}

/* The property: the cache's files are the Maildir's, with their flags and
 * place; each message row has its file; the counts are the rows'; a name
 * keeps the UID it was first given. what names the last step. */
static void
check_index(
    struct store *st, struct maildir *md, struct uidmap *um, const char *what)
{
	struct maildir_entry *list;
	struct store_folder f;
	struct rows r;
	const struct row *w;
	char *ident;
	uint32_t *uids, total, unseen, n_unseen = 0;
	size_t n, nuids, i, j;

	ck_assert_int_eq(maildir_list(md, &list, &n), 0);
	rows_load(st, &r);
	for (i = 0; i < n; i++) {
		w = rows_find(&r, list[i].name);
		ck_assert_msg(w != NULL,
		    "seed %" PRIu64 ", after %s: '%s' is on disk, not in the "
		    "index",
		    seed, what, list[i].path);
		ck_assert_msg(w->flags == maildir_index_flags(list[i].flags),
		    "seed %" PRIu64 ", after %s: '%s' has flags %#x in the "
		    "index",
		    seed, what, list[i].path, w->flags);
		ck_assert_msg(w->in_new == list[i].is_new,
		    "seed %" PRIu64 ", after %s: '%s' is in_new %d in the "
		    "index",
		    seed, what, list[i].path, w->in_new);
		if (!(w->flags & STORE_FLAG_SEEN))
			n_unseen++;
		/* The message, by the name it was delivered under. */
		ident = ident_of(list[i].path);
		for (j = 0; j < um->n && strcmp(um->names[j], ident) != 0; j++)
			;
		if (j == um->n) {
			um->names = xreallocarray(
			    um->names, um->n + 1, sizeof *um->names);
			um->uids = xreallocarray(
			    um->uids, um->n + 1, sizeof *um->uids);
			um->names[um->n] = ident;
			um->uids[um->n++] = w->uid;
		} else {
			ck_assert_msg(um->uids[j] == w->uid,
			    "seed %" PRIu64 ", after %s: '%s' was UID %u, "
			    "now %u",
			    seed, what, list[i].path, um->uids[j], w->uid);
			free(ident);
		}
	}
	ck_assert_msg(r.n == n,
	    "seed %" PRIu64 ", after %s: %zu files, %zu in the index", seed,
	    what, n, r.n);
	ck_assert_int_eq(store_folder_get(st, "INBOX", &f), 0);
	ck_assert_int_eq(store_msg_uids(st, f.id, &uids, &nuids), 0);
	free(uids);
	ck_assert_msg(nuids == n,
	    "seed %" PRIu64 ", after %s: %zu files, %zu message rows", seed,
	    what, n, nuids);
	ck_assert_int_eq(store_msg_count(st, f.id, &total, &unseen), 0);
	ck_assert_msg(f.total == n && f.unseen == n_unseen,
	    "seed %" PRIu64 ", after %s: counts %u/%u, files %zu/%u", seed,
	    what, f.total, f.unseen, n, n_unseen);
	store_folder_clear(&f);
	rows_free(&r);
	maildir_list_free(list, n);
}

/* Random info letters: flags errand knows and a keyword of another
 * tool's, in any order (errand must not care). */
static void
random_letters(char *out, size_t size)
{
	static const char pool[] = "SFRTDPa";
	size_t i, n = 0;

	for (i = 0; i < sizeof pool - 1 && n + 1 < size; i++) {
		if (rnd() % 3 == 0)
			out[n++] = pool[i];
	}
	out[n] = '\0';
}

/* The case of the report: read (renamed into cur/ with S), then new mail
 * delivered, then a look at the folder: the read one is still there. */
START_TEST(test_local_read_then_deliver)
{
	struct maildir_index_stats stats;
	struct store *st;
	struct maildir *md;
	struct local *l;
	struct store_msg m;
	struct store_folder f;
	struct uidmap um = {0};
	char *err, *a, *b, *c;

	st = open_store();
	ck_assert_ptr_nonnull(l = local_open(st, root, NULL, &err));
	ck_assert_ptr_nonnull(md = maildir_open(root, &err));
	a = deliver(md, 1);
	b = deliver(md, 2);
	ck_assert_msg(local_refresh(l, 0, &err) == 0, "%s", err);
	check_index(st, md, &um, "two deliveries");
	ck_assert_int_eq(store_folder_get(st, "INBOX", &f), 0);
	ck_assert_msg(
	    local_set_flags(l, "INBOX", 1, STORE_FLAG_SEEN, &err) == 0, "%s",
	    err);
	check_index(st, md, &um, "reading the first");
	/* Quit, start again: a new cache connection, new mail meanwhile. */
	local_close(l);
	store_close(st);
	c = deliver(md, 3);
	st = open_store();
	ck_assert_ptr_nonnull(l = local_open(st, root, NULL, &err));
	ck_assert_msg(
	    local_refresh_folder(l, "INBOX", 0, &stats, &err) == 0, "%s", err);
	ck_assert_uint_eq(stats.added, 1);
	ck_assert_uint_eq(stats.removed, 0);
	check_index(st, md, &um, "a delivery after the read");
	ck_assert_int_eq(store_msg_get(st, f.id, 1, &m), 0);
	ck_assert_uint_eq(m.flags & STORE_FLAG_SEEN, STORE_FLAG_SEEN);
	store_folder_clear(&f);
	uidmap_free(&um);
	local_close(l);
	store_close(st);
	maildir_close(md);
	free(a);
	free(b);
	free(c);
}
END_TEST

/* A cache written before errand kept the place of the files it renamed:
 * a file the cache has in new/ but that is now in cur/ is not removed by
 * a run that looks at new/ alone. */
START_TEST(test_local_stale_place)
{
	struct maildir_index_stats stats;
	struct store_folder f;
	struct store *st;
	struct maildir *md;
	struct local *l;
	struct uidmap um = {0};
	char *err, *a, *b, *path;

	st = open_store();
	ck_assert_ptr_nonnull(l = local_open(st, root, NULL, &err));
	ck_assert_ptr_nonnull(md = maildir_open(root, &err));
	a = deliver(md, 1);
	ck_assert_msg(local_refresh(l, 0, &err) == 0, "%s", err);
	ck_assert_msg(
	    local_set_flags(l, "INBOX", 1, STORE_FLAG_SEEN, &err) == 0, "%s",
	    err);
	age_dirs();
	refresh(l); /* the stamps of both, trusted */
	/* As the older errand left it: still "in new/". */
	ck_assert_int_eq(store_folder_get(st, "INBOX", &f), 0);
	ck_assert_int_eq(store_mdfile_put(st, f.id, a, 1, 0, 1), 0);
	store_folder_clear(&f);
	b = deliver(md, 2);
	age_dirs(); /* only new/ changed */
	ck_assert_msg(
	    local_refresh_folder(l, "INBOX", 0, &stats, &err) == 0, "%s", err);
	ck_assert_uint_eq(stats.removed, 0);
	check_index(st, md, &um, "a delivery over a stale place");
	ck_assert_int_eq(maildir_find(md, a, "S", &path), 1);
	free(path);
	uidmap_free(&um);
	local_close(l);
	store_close(st);
	maildir_close(md);
	free(a);
	free(b);
}
END_TEST

/* Set the change time of the Maildir's sub ("cur" or "new") to when. */
static void
set_mtime(const char *sub, time_t when)
{
	struct timespec ts[2];
	char *dir;

	ts[0].tv_sec = ts[1].tv_sec = when;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	xasprintf(&dir, "%s/%s", root, sub);
	ck_assert_int_eq(utimensat(AT_FDCWD, dir, ts, 0), 0);
	free(dir);
}

/* Give cur/ and new/, where changed since the last call, a time from a
 * clock far in the past, one tick on for each: a directory's stamp is
 * only trusted some seconds after its last change (maildir_stamps()), and
 * this lets every run of the test see the paths an index takes then. */
static void
age_dirs(void)
{
	static const char *const subs[] = {"cur", "new"};
	struct stat sb;
	char *dir;
	size_t i;

	if (vclock == 0)
		vclock = time(NULL) - 1000000;
	for (i = 0; i < 2; i++) {
		xasprintf(&dir, "%s/%s", root, subs[i]);
		ck_assert_int_eq(stat(dir, &sb), 0);
		free(dir);
		if (sb.st_mtim.tv_sec == aged[i] && sb.st_mtim.tv_nsec == 0)
			continue;
		vclock += 10;
		set_mtime(subs[i], vclock);
		aged[i] = vclock;
	}
}

/* A file system that keeps change times in coarse ticks (jiffies; whole
 * seconds on some) leaves a directory's time as it was when a second
 * change falls in the tick of the first: an index that stamped the
 * directory in that tick must not take the second change for none.
 * Simulated by giving both directories a time in the current tick (the
 * future, as a clock ahead on NFS would) and putting it back after
 * another tool's rename. */
START_TEST(test_local_same_tick)
{
	struct store *st;
	struct maildir *md;
	struct local *l;
	struct uidmap um = {0};
	char *err, *a, *src, *dst;
	time_t tick = time(NULL) + 30;

	st = open_store();
	ck_assert_ptr_nonnull(l = local_open(st, root, NULL, &err));
	ck_assert_ptr_nonnull(md = maildir_open(root, &err));
	a = deliver(md, 1);
	set_mtime("cur", tick);
	set_mtime("new", tick);
	ck_assert_msg(local_refresh(l, 0, &err) == 0, "%s", err);
	check_index(st, md, &um, "a delivery");
	xasprintf(&src, "%s/new/%s", root, a);
	xasprintf(&dst, "%s/cur/%s:2,S", root, a);
	ck_assert_int_eq(rename(src, dst), 0);
	set_mtime("cur", tick);
	set_mtime("new", tick);
	refresh(l);
	check_index(st, md, &um, "another tool's rename in the same tick");
	/* Long after: the stamps are trusted again, and still right. */
	set_mtime("cur", tick - 3600);
	set_mtime("new", tick - 3600);
	refresh(l);
	refresh(l);
	check_index(st, md, &um, "settled directories");
	free(src);
	free(dst);
	uidmap_free(&um);
	local_close(l);
	store_close(st);
	maildir_close(md);
	free(a);
}
END_TEST

/* The property test. ERRAND_TEST_SEED=N repeats a run. */
START_TEST(test_local_property)
{
	struct maildir_entry *list;
	struct store *st;
	struct maildir *md;
	struct local *l;
	struct rows r;
	struct uidmap um = {0};
	char *err, *name, *src, *dst, letters[16], what[160];
	unsigned int next = 1, flags;
	size_t n, i, step;
	uint32_t expunged;
	int op, back;

	rstate = seed != 0 ? seed : 1;
	st = open_store();
	ck_assert_ptr_nonnull(l = local_open(st, root, NULL, &err));
	ck_assert_ptr_nonnull(md = maildir_open(root, &err));
	age_dirs();
	ck_assert_msg(local_refresh(l, 0, &err) == 0, "%s", err);
	for (step = 0; step < STEPS; step++) {
		op = (int)rnd_below(100);
		ck_assert_int_eq(maildir_list(md, &list, &n), 0);
		if (n == 0 || op < 25) {
			/* Mail delivered (POP3, or another program). */
			name = deliver(md, next);
			snprintf(what, sizeof what, "step %zu: delivery %u",
			    step, next++);
			free(name);
		} else if (op < 55) {
			/* errand's own flag change on a message of the
			 * index (which is the listing, as checked). */
			rows_load(st, &r);
			ck_assert_uint_gt(r.n, 0);
			i = rnd_below(r.n);
			flags = (unsigned int)rnd() &
			    (STORE_FLAG_SEEN | STORE_FLAG_FLAGGED |
			        STORE_FLAG_ANSWERED | STORE_FLAG_DELETED |
			        STORE_FLAG_DRAFT);
			ck_assert_msg(local_set_flags(l, "INBOX", r.v[i].uid,
			                  flags, &err) == 0,
			    "seed %" PRIu64 ", step %zu: %s", seed, step, err);
			snprintf(what, sizeof what,
			    "step %zu: errand sets flags %#x on UID %u", step,
			    flags, r.v[i].uid);
			rows_free(&r);
		} else if (op < 80) {
			/* Another tool renames a file: into cur/ with
			 * other letters, or (rarely) back into new/,
			 * with its info or without. */
			i = rnd_below(n);
			random_letters(letters, sizeof letters);
			xasprintf(&src, "%s/%s", root, list[i].path);
			name = ident_of(list[i].path);
			if (!list[i].is_new && rnd_below(8) == 0) {
				back = (int)rnd_below(3); /* how much info */
				xasprintf(&dst, "%s/new/%s%s%s", root, name,
				    back > 0 ? ":2," : "",
				    back > 1 ? letters : "");
			} else
				xasprintf(&dst, "%s/cur/%s:2,%s", root, name,
				    letters);
			free(name);
			if (strcmp(src, dst) != 0)
				ck_assert_int_eq(rename(src, dst), 0);
			snprintf(what, sizeof what,
			    "step %zu: another tool renames '%s' to '%s'", step,
			    list[i].path, dst + strlen(root) + 1);
			free(src);
			free(dst);
		} else if (op < 93) {
			/* Another tool removes a file. */
			i = rnd_below(n);
			xasprintf(&src, "%s/%s", root, list[i].path);
			ck_assert_int_eq(unlink(src), 0);
			snprintf(what, sizeof what,
			    "step %zu: another tool removes '%s'", step,
			    list[i].path);
			free(src);
		} else if (op < 97) {
			/* errand expunges what is marked deleted. */
			ck_assert_msg(
			    local_expunge(l, "INBOX", &expunged, &err) == 0,
			    "%s", err);
			snprintf(what, sizeof what, "step %zu: expunge", step);
		} else {
			/* Quit and start again. */
			local_close(l);
			store_close(st);
			st = open_store();
			ck_assert_ptr_nonnull(
			    l = local_open(st, root, NULL, &err));
			snprintf(what, sizeof what, "step %zu: restart", step);
		}
		maildir_list_free(list, n);
		age_dirs();
		refresh(l);
		check_index(st, md, &um, what);
	}
	/* A full index finds nothing the quick ones missed. */
	ck_assert_msg(local_refresh(l, 1, &err) == 0, "%s", err);
	check_index(st, md, &um, "the full index at the end");
	uidmap_free(&um);
	local_close(l);
	store_close(st);
	maildir_close(md);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;
	SRunner *sr;
	const char *e;
	int failed;

	if ((e = getenv("ERRAND_TEST_SEED")) != NULL && *e != '\0')
		seed = strtoull(e, NULL, 10);
	else
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	printf("# test-local: seed %" PRIu64 " (ERRAND_TEST_SEED=%" PRIu64
	       " repeats it)\n",
	    seed, seed);
	fflush(stdout);
	s = suite_create("local");
	tc = tcase_create("local");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_local_read_then_deliver);
	tcase_add_test(tc, test_local_stale_place);
	tcase_add_test(tc, test_local_same_tick);
	tcase_add_test(tc, test_local_property);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
