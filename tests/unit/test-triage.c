/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/engine/triage.c against a real store and data journal in a
 * temporary directory: each operation's journal row and cache change, its
 * undo, the backend woken, bad input refused, and a change that meets
 * another process's lock on the cache queued and written later; then the
 * interface's triage through a recording fake backend (local folders'
 * changes made at once) or the journal, and its undo. */

#include <sys/stat.h>

#include <check.h>
#include <stdarg.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/backend.h"
#include "engine/journal.h"
#include "engine/triage.h"
#include "xmalloc.h"
#include "cache/store.h"

static char *tmp;   /* this test's directory */
static char *cache; /* tmp/cache/acct.db */
static struct store *st;
static struct triage t;
static int woken;     /* wake() calls */
static int64_t inbox; /* folder ids */
static int64_t archive;

/* A fake backend that records what it is asked and answers fake_rc:
 * 0 done at home (local folders), 1 through the journal, -1 refused. */
static int fake_rc;
static char fake_log[512];

static void fake_note(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
fake_note(const char *fmt, ...)
{
	size_t len = strlen(fake_log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fake_log + len, sizeof fake_log - len, fmt, ap);
	va_end(ap);
}

static int
fake_set_flags(struct backend *b, const char *folder, uint32_t uid,
    unsigned int flags, char **err)
{
	(void)b;
	fake_note("flags %s %u %u;", folder, uid, flags);
	/* At home: the cache follows at once, as local folders' does. */
	if (fake_rc == 0)
		ck_assert_int_eq(
		    store_msg_set_flags(st, inbox, uid, flags, NULL, 0), 0);
	*err = fake_rc < 0 ? xstrdup("refused") : NULL;
	return fake_rc;
}

static int
fake_move(struct backend *b, const char *folder, uint32_t uid, const char *dest,
    int copy, uint32_t *dest_uid, char **err)
{
	(void)b;
	fake_note("%s %s %u %s;", copy ? "copy" : "move", folder, uid, dest);
	if (dest_uid != NULL)
		*dest_uid = 90 + uid;
	*err = fake_rc < 0 ? xstrdup("refused") : NULL;
	return fake_rc;
}

static int
fake_expunge(struct backend *b, const char *folder, uint32_t *n, char **err)
{
	(void)b;
	fake_note("expunge %s %u;", folder, *n);
	*err = fake_rc < 0 ? xstrdup("refused") : NULL;
	return fake_rc;
}

static const struct backend_ops fake_ops = {
    .name = "fake",
    .set_flags = fake_set_flags,
    .move = fake_move,
    .expunge = fake_expunge,
};
static struct backend fake = {.ops = &fake_ops};

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
wake(void *arg)
{
	(void)arg;
	woken++;
}

static void
setup(void)
{
	struct store_folder f = {.name = "INBOX", .raw_name = "INBOX"};
	struct store_msg m = {.subject = "s"};
	const char *d;
	char *data, *err, id[32];
	uint32_t u;

	d = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	xasprintf(&tmp, "%s/errand-test-triage-XXXXXX", d);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	xasprintf(&data, "%s/data", tmp);
	setenv("XDG_DATA_HOME", data, 1);
	free(data);
	xasprintf(&cache, "%s/cache/acct.db", tmp);
	st = store_open(cache, &err);
	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_msg(journal_open(st, "acct", &err) == 0, "%s", err);
	ck_assert_int_eq(store_folder_upsert(st, &f, &inbox), 0);
	ck_assert_int_eq(store_folder_set_sync(st, inbox, 31, 0, 0), 0);
	f.name = f.raw_name = "Archive";
	ck_assert_int_eq(store_folder_upsert(st, &f, &archive), 0);
	for (u = 1; u <= 3; u++) {
		m.uid = u;
		snprintf(id, sizeof id, "m%u@x", u);
		m.message_id = id;
		ck_assert_int_eq(store_msg_put(st, inbox, &m), 0);
	}
	woken = 0;
	triage_init(&t, st, wake, NULL, NULL);
}

static void
teardown(void)
{
	triage_clear(&t);
	store_close(st);
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
	free(cache);
}

/* The journal's rows as "op uid arg uidvalidity message_id;" lines. */
static int
rows_cb(const struct store_journal *j, void *arg)
{
	char **acc = arg, *s;

	xasprintf(&s, "%s%s %u %s %u %s;", *acc, j->op, j->uid, j->arg,
	    j->uidvalidity, j->message_id != NULL ? j->message_id : "");
	free(*acc);
	*acc = s;
	return 0;
}

static char *
rows(void)
{
	char *acc = xstrdup("");

	ck_assert_int_eq(store_journal_foreach(st, rows_cb, &acc), 0);
	return acc;
}

static unsigned int
flags_of(uint32_t uid)
{
	struct store_msg m;

	ck_assert_int_eq(store_msg_get(st, inbox, uid, &m), 0);
	return m.flags;
}

START_TEST(test_triage_flag)
{
	unsigned int f;
	char *err, *r;
	int was;

	ck_assert_int_eq(
	    triage_flag(&t, "INBOX", 1, 'S', 1, &f, &was, &err), 0);
	ck_assert_uint_eq(f, STORE_FLAG_SEEN);
	ck_assert_int_eq(was, 0);
	ck_assert_uint_eq(flags_of(1), STORE_FLAG_SEEN);
	ck_assert_int_eq(woken, 1);
	/* Set again: nothing to do, no row. */
	ck_assert_int_eq(
	    triage_flag(&t, "INBOX", 1, 'S', 1, NULL, &was, &err), 1);
	ck_assert_int_eq(was, 1);
	/* Toggle: off again (the undo of the first). */
	ck_assert_int_eq(
	    triage_flag(&t, "INBOX", 1, 'S', -1, &f, NULL, &err), 0);
	ck_assert_uint_eq(flags_of(1), 0);
	ck_assert_int_eq(
	    triage_flag(&t, "INBOX", 2, 'F', 1, NULL, NULL, &err), 0);
	ck_assert_uint_eq(flags_of(2), STORE_FLAG_FLAGGED);
	r = rows();
	ck_assert_str_eq(r,
	    "flags 1 +S\t0\tINBOX 31 m1@x;flags 1 -S\t0\tINBOX 31 m1@x;"
	    "flags 2 +F\t0\tINBOX 31 m2@x;");
	free(r);
	ck_assert_int_eq(triage_pending(&t), 3);
	ck_assert_int_eq(woken, 3);

	ck_assert_int_eq(
	    triage_flag(&t, "INBOX", 1, 'X', 1, NULL, NULL, &err), -1);
	ck_assert_str_eq(err, "no flag 'X'");
	free(err);
	ck_assert_int_eq(
	    triage_flag(&t, "Nope", 1, 'S', 1, NULL, NULL, &err), -1);
	ck_assert_str_eq(err, "no folder 'Nope'");
	free(err);
	ck_assert_int_eq(
	    triage_flag(&t, "INBOX", 9, 'S', 1, NULL, NULL, &err), -1);
	ck_assert_str_eq(err, "message 9 is no longer in the cache");
	free(err);
	ck_assert_int_eq(triage_pending(&t), 3);
}
END_TEST

static int
busy(int64_t id, void *arg)
{
	(void)id;
	(void)arg;
	return 1;
}

START_TEST(test_triage_move_undo)
{
	char *err, *r;

	ck_assert_int_eq(triage_move(&t, "INBOX", 2, "Archive", 0, &err), 0);
	ck_assert_uint_eq(flags_of(2), STORE_FLAG_HIDDEN);
	ck_assert_int_eq(triage_move(&t, "INBOX", 3, "Archive", 1, &err), 0);
	ck_assert_uint_eq(flags_of(3), 0); /* a copy stays */
	r = rows();
	ck_assert_str_eq(
	    r, "move 2 Archive\tINBOX 31 m2@x;copy 3 Archive\tINBOX 31 m3@x;");
	free(r);
	ck_assert_int_eq(woken, 2);

	/* With the server right now: not undone, the row stays. */
	ck_assert_int_eq(
	    triage_unmove(&t, "INBOX", 2, NULL, 0, 0, busy, NULL, &err), 1);
	ck_assert_uint_eq(flags_of(2), STORE_FLAG_HIDDEN);
	/* Not sent: the row goes, the message shows again. */
	ck_assert_int_eq(
	    triage_unmove(&t, "INBOX", 2, NULL, 0, 0, NULL, NULL, &err), 0);
	ck_assert_uint_eq(flags_of(2), 0);
	r = rows();
	ck_assert_str_eq(r, "copy 3 Archive\tINBOX 31 m3@x;");
	free(r);
	/* Sent (no row): moved back from where the server put it. */
	ck_assert_int_eq(
	    triage_unmove(&t, "INBOX", 2, NULL, 0, 0, NULL, NULL, &err), -1);
	ck_assert_str_eq(
	    err, "the server did not say where the message went (no UIDPLUS)");
	free(err);
	ck_assert_int_eq(
	    triage_unmove(&t, "INBOX", 2, "Archive", 7, 44, NULL, NULL, &err),
	    0);
	r = rows();
	ck_assert_str_eq(r,
	    "copy 3 Archive\tINBOX 31 m3@x;moveback 0 7\tArchive\tINBOX 44 ;");
	free(r);

	ck_assert_int_eq(triage_move(&t, "INBOX", 1, "INBOX", 0, &err), -1);
	ck_assert_str_eq(err, "cannot move to 'INBOX': same folder");
	free(err);
	ck_assert_int_eq(triage_move(&t, "INBOX", 1, "Nope", 1, &err), -1);
	ck_assert_str_eq(err, "no folder 'Nope'");
	free(err);
	ck_assert_uint_eq(flags_of(1), 0);
}
END_TEST

START_TEST(test_triage_expunge)
{
	char *err, *r;

	ck_assert_int_eq(
	    triage_expunge(&t, "INBOX", "1:2", "m1@x m2@x", &err), 0);
	r = rows();
	ck_assert_str_eq(r, "expunge 0 1:2\tINBOX 31 m1@x m2@x;");
	free(r);
	ck_assert_int_eq(woken, 1);
	ck_assert_int_eq(triage_expunge(&t, "INBOX", "1 2", NULL, &err), -1);
	ck_assert_str_eq(err, "cannot journal an expunge in 'INBOX'");
	free(err);
}
END_TEST

/* Another process holds the cache: the row is written (the journal is not
 * the cache), the cache's flag waits in the queue and shows meanwhile. */
START_TEST(test_triage_locked)
{
	sqlite3 *other;
	unsigned int f;
	char *err, *r;

	ck_assert_int_eq(sqlite3_open(cache, &other), SQLITE_OK);
	ck_assert_int_eq(
	    sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	store_set_busy_wait(st, 10);
	ck_assert_int_eq(
	    triage_flag(&t, "INBOX", 1, 'F', 1, &f, NULL, &err), 0);
	ck_assert_uint_eq(t.nqueue, 1);
	ck_assert_int_eq(t.queue[0].journaled, 1);
	ck_assert_int_eq(woken, 1); /* the row may go now */
	ck_assert_uint_eq(flags_of(1), 0);
	ck_assert_uint_eq(triage_flags(&t, inbox, 1, 0), STORE_FLAG_FLAGGED);
	ck_assert_int_eq(triage_pending(&t), 1); /* counted once */
	/* Still locked: the queue waits, the next change behind it. */
	ck_assert_int_eq(triage_flush(&t), -1);
	ck_assert_int_eq(store_locked(st), 1);
	ck_assert_int_eq(
	    triage_flag(&t, "INBOX", 2, 'S', 1, NULL, NULL, &err), 0);
	ck_assert_uint_eq(t.nqueue, 2);
	ck_assert_int_eq(t.queue[1].journaled, 0); /* in order: not yet */
	ck_assert_int_eq(triage_pending(&t), 2);
	ck_assert_int_eq(
	    sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	ck_assert_int_eq(triage_flush(&t), 0);
	ck_assert_uint_eq(t.nqueue, 0);
	ck_assert_uint_eq(flags_of(1), STORE_FLAG_FLAGGED);
	ck_assert_uint_eq(flags_of(2), STORE_FLAG_SEEN);
	r = rows();
	ck_assert_str_eq(
	    r, "flags 1 +F\t0\tINBOX 31 m1@x;flags 2 +S\t0\tINBOX 31 m2@x;");
	free(r);
}
END_TEST

/* A batch: nothing is written until the flush, which writes every row
 * and then the cache; two changes of one message both show. */
START_TEST(test_triage_batch)
{
	char *err, *r;

	t.batch = 1;
	ck_assert_int_eq(
	    triage_flag(&t, "INBOX", 1, 'S', 1, NULL, NULL, &err), 0);
	ck_assert_int_eq(
	    triage_flag(&t, "INBOX", 1, 'F', 1, NULL, NULL, &err), 0);
	ck_assert_int_eq(triage_move(&t, "INBOX", 2, "Archive", 0, &err), 0);
	ck_assert_uint_eq(t.nqueue, 3);
	ck_assert_uint_eq(flags_of(1), 0);
	r = rows();
	ck_assert_str_eq(r, "");
	free(r);
	ck_assert_int_eq(triage_pending(&t), 3);
	ck_assert_int_eq(woken, 0);
	ck_assert_int_eq(triage_flush(&t), 0);
	ck_assert_uint_eq(t.nqueue, 0);
	ck_assert_int_eq(woken, 1);
	ck_assert_uint_eq(flags_of(1), STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	ck_assert_uint_eq(flags_of(2), STORE_FLAG_HIDDEN);
	r = rows();
	ck_assert_str_eq(r,
	    "flags 1 +S\t0\tINBOX 31 m1@x;flags 1 +F\t0\tINBOX 31 m1@x;"
	    "move 2 Archive\tINBOX 31 m2@x;");
	free(r);
	ck_assert_int_eq(triage_pending(&t), 3);
}
END_TEST

/* Through the journal (no backend): flags and a move, then U takes the
 * whole action back, newest first. */
START_TEST(test_triage_undo_journal)
{
	unsigned int f;
	char *err, *name, *r;

	ck_assert_int_eq(triage_undo(&t, "INBOX", &err), TRIAGE_UNDO_NONE);
	ck_assert_int_eq(triage_mark(&t, "INBOX", 1, 'S', 1, &f, &err), 0);
	ck_assert_uint_eq(f, STORE_FLAG_SEEN);
	ck_assert_int_eq(triage_mark(&t, "INBOX", 1, 'S', 1, &f, &err), 1);
	ck_assert_int_eq(triage_mark(&t, "INBOX", 2, 'F', -1, &f, &err), 0);
	ck_assert_int_eq(
	    triage_file(&t, "INBOX", 3, "archive", 0, &name, &err), -1);
	ck_assert_str_eq(err, "no folder 'archive'");
	free(err);
	ck_assert_int_eq(
	    triage_file(&t, "INBOX", 3, "Archive", 0, &name, &err), 0);
	ck_assert_str_eq(name, "Archive");
	free(name);
	ck_assert_int_eq(
	    triage_file(&t, "INBOX", 1, "Archive", 1, &name, &err), 0);
	free(name);
	ck_assert_uint_eq(t.nundo, 3); /* a copy is not undone */
	ck_assert_int_eq(triage_mark(&t, "INBOX", 9, 'S', 1, &f, &err), -1);
	ck_assert_str_eq(err, "message 9 is no longer in the cache");
	free(err);
	ck_assert_uint_eq(t.nundo, 3);
	ck_assert_uint_eq(flags_of(3), STORE_FLAG_HIDDEN);

	ck_assert_int_eq(triage_undo(&t, "INBOX", &err), TRIAGE_UNDONE);
	ck_assert_uint_eq(t.nundo, 0);
	ck_assert_uint_eq(flags_of(1), 0);
	ck_assert_uint_eq(flags_of(2), 0);
	ck_assert_uint_eq(flags_of(3), 0); /* the move was not sent */
	r = rows();
	ck_assert_str_eq(r,
	    "flags 1 +S\t0\tINBOX 31 m1@x;flags 2 +F\t0\tINBOX 31 m2@x;"
	    "copy 1 Archive\tINBOX 31 m1@x;flags 2 -F\t0\tINBOX 31 m2@x;"
	    "flags 1 -S\t0\tINBOX 31 m1@x;");
	free(r);
	ck_assert_int_eq(triage_undo(&t, "INBOX", &err), TRIAGE_UNDO_NONE);

	/* A move the server has done goes back from where it went. */
	ck_assert_int_eq(
	    triage_file(&t, "INBOX", 2, "Archive", 0, &name, &err), 0);
	free(name);
	triage_moved(&t, 2, "Archive", 44, 7);
	triage_moved(&t, 3, "Elsewhere", 1, 1); /* not in the list */
	ck_assert_str_eq(t.undo[0].dest_raw, "Archive");
	ck_assert_uint_eq(t.undo[0].dest_uid, 7);
	ck_assert_int_eq(triage_undo(&t, "INBOX", &err), TRIAGE_UNDONE);
	r = rows(); /* not sent yet: its row went */
	ck_assert_ptr_null(strstr(r, "move 2"));
	free(r);
	ck_assert_uint_eq(flags_of(2), 0);

	/* An expunge is journaled (1), with the Message-IDs. */
	ck_assert_int_eq(
	    triage_purge(&t, "INBOX", (uint32_t[]){1, 3}, 2, &f, &err), 1);
	r = rows();
	ck_assert_ptr_nonnull(strstr(r, "expunge 0 1,3\tINBOX 31 m1@x m3@x;"));
	free(r);
}
END_TEST

/* Through a backend that changes local folders at once: nothing is
 * journaled, a move's destination is known at once, U puts it back. */
START_TEST(test_triage_undo_backend)
{
	unsigned int f;
	uint32_t n;
	char *err, *name, *r;

	fake.s = NULL;
	triage_set_backend(&t, &fake);
	fake_rc = 0;
	fake_log[0] = '\0';
	ck_assert_int_eq(triage_mark(&t, "INBOX", 1, 'S', 1, &f, &err), 0);
	ck_assert_uint_eq(f, STORE_FLAG_SEEN);
	ck_assert_int_eq(
	    triage_file(&t, "INBOX", 2, "Archive", 0, &name, &err), 0);
	free(name);
	ck_assert_str_eq(t.undo[1].dest_raw, "Archive");
	ck_assert_uint_eq(t.undo[1].dest_uid, 92);
	ck_assert_int_eq(woken, 0);
	r = rows();
	ck_assert_str_eq(r, "");
	free(r);
	/* Refused: said, and not remembered for undo. */
	fake_rc = -1;
	ck_assert_int_eq(triage_mark(&t, "INBOX", 3, 'F', 1, &f, &err), -1);
	ck_assert_str_eq(err, "refused");
	free(err);
	ck_assert_uint_eq(t.nundo, 2);
	fake_rc = 0;
	ck_assert_int_eq(triage_undo(&t, "INBOX", &err), TRIAGE_UNDONE);
	ck_assert_str_eq(fake_log,
	    "flags INBOX 1 1;move INBOX 2 Archive;flags INBOX 3 4;"
	    "move Archive 92 INBOX;flags INBOX 1 0;");
	/* A move back that fails forgets the rest. */
	ck_assert_int_eq(
	    triage_file(&t, "INBOX", 3, "Archive", 0, &name, &err), 0);
	free(name);
	fake_rc = -1;
	ck_assert_int_eq(triage_undo(&t, "INBOX", &err), TRIAGE_UNDO_FAILED);
	ck_assert_str_eq(err, "refused");
	free(err);
	ck_assert_uint_eq(t.nundo, 0);
	/* An expunge at home: counted, nothing journaled. */
	fake_rc = 0;
	ck_assert_int_eq(
	    triage_purge(&t, "INBOX", (uint32_t[]){1}, 1, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	r = rows();
	ck_assert_str_eq(r, "");
	free(r);
	/* The backend says the server must: the journal, as without one. */
	fake_rc = 1;
	ck_assert_int_eq(triage_mark(&t, "INBOX", 2, 'D', 1, &f, &err), 0);
	r = rows();
	ck_assert_str_eq(r, "flags 2 +D\t0\tINBOX 31 m2@x;");
	free(r);
	ck_assert_int_eq(woken, 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("triage");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_triage_flag);
	tcase_add_test(tc, test_triage_move_undo);
	tcase_add_test(tc, test_triage_expunge);
	tcase_add_test(tc, test_triage_locked);
	tcase_add_test(tc, test_triage_batch);
	tcase_add_test(tc, test_triage_undo_journal);
	tcase_add_test(tc, test_triage_undo_backend);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
