/* errand: a terminal mail user agent. See LICENSE.
 * The benchmark's pattern figure: the time one pattern takes over a
 * folder's cached headers inside the process, compiled once. It times
 * pattern_scan() (rows read from SQLite and matched) and pattern_match()
 * alone over the same rows held in memory, each the median of K runs.
 *
 *	pattern-time [-r K] -c CACHE.db [-f FOLDER] PATTERN
 *	pattern-time [-r K] -n N [-u] [-o CACHE.db] PATTERN
 * The second form makes a cache of N rows like the benchmark's, in a
 * temporary directory, or at CACHE.db (kept) for errand search and
 * errand flag to time; -u: every message unread and unflagged.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/pattern.h"
#include "xmalloc.h"
#include "cache/store.h"

#define RUNS_MAX 101

/* The rows, copied for pattern_match() alone. */
struct rows {
	struct store_msg *m;
	size_t n, cap;
};

static double now_ms(clockid_t);
static int count_cb(uint32_t, enum pattern_result, void *);
static int copy_cb(const struct store_msg *, void *);
static char *dup0(const char *);
static int cmp_double(const void *, const void *);
static void make_cache(struct store *, int64_t, long);
static int unread;

static double
now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
count_cb(uint32_t uid, enum pattern_result r, void *arg)
{
	(void)uid;
	if (r == PATTERN_YES)
		(*(size_t *)arg)++;
	return 0;
}

static char *
dup0(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

static int
copy_cb(const struct store_msg *sm, void *arg)
{
	struct rows *r = arg;
	struct store_msg *m;

	if (r->n == r->cap) {
		r->cap = r->cap == 0 ? 1024 : r->cap * 2;
		r->m = xreallocarray(r->m, r->cap, sizeof *r->m);
	}
	m = &r->m[r->n++];
	*m = *sm;
	m->keywords = dup0(sm->keywords);
	m->from_name = dup0(sm->from_name);
	m->from_addr = dup0(sm->from_addr);
	m->to_addr = dup0(sm->to_addr);
	m->cc = dup0(sm->cc);
	m->subject = dup0(sm->subject);
	m->message_id = dup0(sm->message_id);
	m->in_reply_to = dup0(sm->in_reply_to);
	m->refs = dup0(sm->refs);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* N rows like the benchmark's mailbox: a few senders and subjects. */
static void
make_cache(struct store *st, int64_t folder, long n)
{
	static const char *const names[] = {"Alice Martin", "Bob Okafor",
	    "Carol Nguyen", "Frank O'Neill", "Zo\xc3\xab M\xc3\xbcller",
	    "Dmitry Volkov", "Grace Hopper"};
	static const char *const subjects[] = {"Quarterly report numbers",
	    "Question about the backup schedule", "Lunch on Friday?",
	    "Re: Budget review", "Weekly report", "Team notes",
	    "Caf\xc3\xa9 opening hours"};
	struct store_msg m;
	char addr[64], id[64];
	long i;

	if (store_begin(st) != 0)
		goto fail;
	for (i = 1; i <= n; i++) {
		memset(&m, 0, sizeof m);
		m.uid = (uint32_t)i;
		m.flags = (i % 3 ? STORE_FLAG_SEEN : 0) |
		    (i % 17 == 0 ? STORE_FLAG_FLAGGED : 0);
		if (unread)
			m.flags = 0;
		m.date = m.internaldate = 1700000000 + i * 60;
		m.size = 1000 + i % 5000;
		m.from_name = names[i % 7];
		snprintf(addr, sizeof addr, "%.5s%ld@example.org", names[i % 7],
		    i % 7);
		m.from_addr = addr;
		m.to_addr = "demo@example.org";
		m.subject = subjects[(i / 7) % 7];
		snprintf(id, sizeof id, "m%ld@example.org", i);
		m.message_id = id;
		if (store_msg_put(st, folder, &m) != 0)
			goto fail;
		if (i % 1000 == 0 &&
		    (store_commit(st) != 0 || store_begin(st) != 0))
			goto fail;
	}
	if (store_commit(st) == 0)
		return;
fail:
	fprintf(stderr, "pattern-time: %s\n", store_error(st));
	exit(1);
}

int
main(int argc, char **argv)
{
	struct store_folder f = {.name = "INBOX",
	    .raw_name = "INBOX",
	    .delim = "/",
	    .uidvalidity = 1};
	struct rows rows = {NULL, 0, 0};
	double scan[RUNS_MAX], scan_cpu[RUNS_MAX], match[RUNS_MAX], t0, c0;
	const char *cache = NULL, *folder = "INBOX", *keep = NULL;
	char *err, *tmp = NULL, *path = NULL;
	struct pattern *pat;
	struct store *st;
	int64_t id;
	long n = 0;
	size_t hits = 0, hits2, i;
	int ch, runs = 5, r;

	while ((ch = getopt(argc, argv, "c:f:n:o:r:u")) != -1) {
		switch (ch) {
		case 'c':
			cache = optarg;
			break;
		case 'f':
			folder = optarg;
			break;
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'o':
			keep = optarg;
			break;
		case 'r':
			runs = (int)strtol(optarg, NULL, 10);
			break;
		case 'u':
			unread = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || (cache == NULL) == (n <= 0) || runs < 1 ||
	    runs > RUNS_MAX)
		goto usage;
	if (cache != NULL) {
		if ((st = store_open_readonly(cache, &err)) == NULL) {
			fprintf(stderr, "pattern-time: %s\n", err);
			return 1;
		}
		if (store_folder_get(st, folder, &f) != 0) {
			fprintf(
			    stderr, "pattern-time: no folder '%s'\n", folder);
			return 1;
		}
		id = f.id;
	} else if (keep != NULL) {
		if ((st = store_open(keep, &err)) == NULL ||
		    store_folder_upsert(st, &f, &id) != 0) {
			fprintf(
			    stderr, "pattern-time: cannot make '%s'\n", keep);
			return 1;
		}
		make_cache(st, id, n);
	} else {
		xasprintf(&tmp, "%s/errand-pattern-time-XXXXXX",
		    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
		if (mkdtemp(tmp) == NULL) {
			perror(tmp);
			return 1;
		}
		xasprintf(&path, "%s/cache.db", tmp);
		if ((st = store_open(path, &err)) == NULL ||
		    store_folder_upsert(st, &f, &id) != 0) {
			fprintf(stderr, "pattern-time: cannot make a cache\n");
			return 1;
		}
		make_cache(st, id, n);
	}

	t0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
	if ((pat = pattern_compile(argv[optind], NULL, &err)) == NULL) {
		fprintf(stderr, "pattern-time: %s\n", err);
		return 1;
	}
	c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID) - t0;
	for (r = 0; r < runs; r++) {
		hits = 0;
		t0 = now_ms(CLOCK_MONOTONIC);
		c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
		if (pattern_scan(st, id, pat, NULL, NULL, count_cb, &hits) !=
		    0) {
			fprintf(stderr, "pattern-time: %s\n", store_error(st));
			return 1;
		}
		scan[r] = now_ms(CLOCK_MONOTONIC) - t0;
		scan_cpu[r] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
	}
	if (store_msg_foreach(st, id, STORE_ORDER_DATE, copy_cb, &rows) != 0)
		return 1;
	for (r = 0; r < runs; r++) {
		hits2 = 0;
		c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
		for (i = 0; i < rows.n; i++)
			hits2 +=
			    pattern_match(pat, &rows.m[i], NULL) == PATTERN_YES;
		match[r] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
	}
	if (hits2 != hits)
		fprintf(stderr,
		    "pattern-time: %zu matches scanning, %zu in "
		    "memory\n",
		    hits, hits2);
	qsort(scan, (size_t)runs, sizeof *scan, cmp_double);
	qsort(scan_cpu, (size_t)runs, sizeof *scan_cpu, cmp_double);
	qsort(match, (size_t)runs, sizeof *match, cmp_double);
	printf("rows %zu matches %zu scan_ms %.2f scan_cpu_ms %.2f "
	       "match_ms %.2f\n",
	    rows.n, hits, scan[runs / 2], scan_cpu[runs / 2], match[runs / 2]);
	pattern_free(pat);
	if (cache != NULL)
		store_folder_clear(&f);
	store_close(st);
	if (tmp != NULL) {
		unlink(path);
		xasprintf(&err, "%s-wal", path);
		unlink(err);
		free(err);
		xasprintf(&err, "%s-shm", path);
		unlink(err);
		free(err);
		rmdir(tmp);
	}
	return 0;
usage:
	fprintf(stderr,
	    "usage: pattern-time [-r K] -c CACHE.db [-f FOLDER] "
	    "PATTERN\n       pattern-time [-r K] -n N [-u] [-o CACHE.db] "
	    "PATTERN\n");
	return 2;
}
