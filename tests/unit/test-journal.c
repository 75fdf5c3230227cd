/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/engine/journal.c: every operation encodes and decodes back
 * to the same arguments and text, rows written by earlier versions still
 * read, and each kind of bad row is refused with a reason; then the journal
 * in the account's data against a real store in a temporary directory:
 * the cache's rows moved there, and a cache deleted and made again. */

#include <sys/stat.h>

#include <check.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/journal.h"
#include "xmalloc.h"
#include "cache/store.h"

/* Encode a, check the text, decode it back and compare field by field. */
static void
round_trip(const struct journal_args *a, const char *want)
{
	struct journal_args b;
	const char *err = "x";
	char *s;

	s = journal_encode(a);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, want);
	ck_assert_int_eq(
	    journal_decode(journal_op_name(a->op), s, &b, &err), 0);
	ck_assert_ptr_null(err);
	ck_assert_int_eq(b.op, a->op);
	ck_assert_str_eq(b.folder, a->folder);
	switch (a->op) {
	case JOURNAL_FLAGS:
		ck_assert_int_eq(b.u.flags.sign, a->u.flags.sign);
		ck_assert_int_eq(b.u.flags.letter, a->u.flags.letter);
		ck_assert_uint_eq(b.u.flags.modseq, a->u.flags.modseq);
		if (a->u.flags.keyword == NULL)
			ck_assert_ptr_null(b.u.flags.keyword);
		else
			ck_assert_str_eq(b.u.flags.keyword, a->u.flags.keyword);
		break;
	case JOURNAL_MOVE:
	case JOURNAL_COPY:
		ck_assert_str_eq(b.u.move.dest, a->u.move.dest);
		break;
	case JOURNAL_EXPUNGE:
		ck_assert_str_eq(b.u.expunge.uids, a->u.expunge.uids);
		break;
	case JOURNAL_MOVEBACK:
		ck_assert_uint_eq(b.u.moveback.uid, a->u.moveback.uid);
		ck_assert_str_eq(b.u.moveback.to, a->u.moveback.to);
		break;
	default:
		ck_abort_msg("no round trip for op %d", a->op);
	}
	journal_args_clear(&b);
	ck_assert_ptr_null(b.folder);
	free(s);
}

START_TEST(test_journal_round_trip)
{
	struct journal_args a;

	memset(&a, 0, sizeof a);
	a.op = JOURNAL_FLAGS;
	a.folder = "INBOX";
	a.u.flags.sign = '+';
	a.u.flags.letter = 'S';
	round_trip(&a, "+S\t0\tINBOX");
	a.u.flags.sign = '-';
	a.u.flags.letter = 'A';
	a.u.flags.modseq = UINT64_MAX;
	a.folder = "Archive/2024\twith a tab";
	round_trip(&a, "-A\t18446744073709551615\tArchive/2024\twith a tab");
	/* A keyword: its atom after ':', so that "S" as a keyword is not
	 * \Seen. */
	memset(&a, 0, sizeof a);
	a.op = JOURNAL_FLAGS;
	a.folder = "INBOX";
	a.u.flags.sign = '+';
	a.u.flags.keyword = "$Work";
	round_trip(&a, "+:$Work\t0\tINBOX");
	a.u.flags.sign = '-';
	a.u.flags.keyword = "S";
	a.u.flags.modseq = 7;
	round_trip(&a, "-:S\t7\tINBOX");

	memset(&a, 0, sizeof a);
	a.op = JOURNAL_MOVE;
	a.folder = "INBOX";
	a.u.move.dest = "&AOQ-hnlich";
	round_trip(&a, "&AOQ-hnlich\tINBOX");
	a.op = JOURNAL_COPY;
	round_trip(&a, "&AOQ-hnlich\tINBOX");

	memset(&a, 0, sizeof a);
	a.op = JOURNAL_EXPUNGE;
	a.folder = "INBOX";
	a.u.expunge.uids = "1:3,7,9:*";
	round_trip(&a, "1:3,7,9:*\tINBOX");

	memset(&a, 0, sizeof a);
	a.op = JOURNAL_MOVEBACK;
	a.folder = "Archive";
	a.u.moveback.uid = UINT32_MAX;
	a.u.moveback.to = "INBOX";
	round_trip(&a, "4294967295\tArchive\tINBOX");
}
END_TEST

/* The helpers write what the encoder writes, rows made by earlier
 * versions (same text) read, and names go both ways. */
START_TEST(test_journal_helpers)
{
	struct journal_args a;
	char *s;

	s = journal_flags_arg('+', 'D', 12, "INBOX");
	ck_assert_str_eq(s, "+D\t12\tINBOX");
	free(s);
	s = journal_move_arg("Archive", "INBOX");
	ck_assert_str_eq(s, "Archive\tINBOX");
	free(s);
	s = journal_keyword_arg('+', "Junk", 0, "INBOX");
	ck_assert_str_eq(s, "+:Junk\t0\tINBOX");
	free(s);
	/* Not atoms, or a system flag by name: refused with a reason. */
	ck_assert_ptr_null(journal_keyword_bad("$Label1"));
	ck_assert_ptr_null(journal_keyword_bad("work-2024.q1"));
	ck_assert_ptr_nonnull(journal_keyword_bad(""));
	ck_assert_ptr_nonnull(journal_keyword_bad("two words"));
	ck_assert_ptr_nonnull(journal_keyword_bad("a(b"));
	ck_assert_ptr_nonnull(journal_keyword_bad("x]"));
	ck_assert_ptr_nonnull(journal_keyword_bad("100%"));
	ck_assert_ptr_nonnull(journal_keyword_bad("\\Seen"));
	ck_assert_ptr_nonnull(journal_keyword_bad("seen"));
	ck_assert_ptr_nonnull(journal_keyword_bad("Draft"));
	ck_assert_ptr_nonnull(journal_keyword_bad("caf\xc3\xa9"));
	ck_assert_ptr_null(journal_keyword_arg('+', "a b", 0, "INBOX"));
	ck_assert_ptr_null(journal_keyword_arg('*', "Junk", 0, "INBOX"));
	ck_assert_ptr_null(journal_keyword_arg('+', "Deleted", 0, "INBOX"));
	/* The cached list edited as IMAP compares keywords. */
	s = journal_keywords_edit("Junk $Work", "$WORK", 1);
	ck_assert_ptr_null(s);
	s = journal_keywords_edit("Junk $Work", "$work", 0);
	ck_assert_str_eq(s, "Junk");
	free(s);
	s = journal_keywords_edit("", "Todo", 1);
	ck_assert_str_eq(s, "Todo");
	free(s);
	s = journal_keywords_edit(NULL, "Todo", 0);
	ck_assert_ptr_null(s);
	s = journal_expunge_arg("5", "INBOX");
	ck_assert_str_eq(s, "5\tINBOX");
	free(s);
	s = journal_moveback_arg(3, "Archive", "INBOX");
	ck_assert_str_eq(s, "3\tArchive\tINBOX");
	free(s);
	ck_assert_str_eq(journal_op_name(JOURNAL_FLAGS), "flags");
	ck_assert_str_eq(journal_op_name(JOURNAL_MOVEBACK), "moveback");
	ck_assert_str_eq(journal_op_name(JOURNAL_APPEND), "append");
	ck_assert_str_eq(journal_op_name(JOURNAL_SEND), "send");
	ck_assert_ptr_null(journal_op_name(JOURNAL_UNKNOWN));
	ck_assert_ptr_null(journal_op_name((enum journal_op)99));
	/* Fields that would not read back are refused, not stored. */
	ck_assert_ptr_null(journal_flags_arg('*', 'S', 0, "INBOX"));
	ck_assert_ptr_null(journal_flags_arg('+', 'X', 0, "INBOX"));
	ck_assert_ptr_null(journal_flags_arg('+', '\0', 0, "INBOX"));
	ck_assert_ptr_null(journal_flags_arg('+', 'S', 0, ""));
	ck_assert_ptr_null(journal_move_arg("A\tB", "INBOX"));
	ck_assert_ptr_null(journal_move_arg("", "INBOX"));
	ck_assert_ptr_null(journal_expunge_arg("1 2", "INBOX"));
	ck_assert_ptr_null(journal_moveback_arg(0, "Archive", "INBOX"));
	ck_assert_ptr_null(journal_moveback_arg(1, "A\tB", "INBOX"));
	memset(&a, 0, sizeof a);
	a.op = JOURNAL_APPEND;
	a.folder = "INBOX";
	ck_assert_ptr_null(journal_encode(&a));
}
END_TEST

static const struct {
	const char *op, *arg, *why;
} bad[] = {
    {"", "", "an unknown operation"},
    {"delete", "1\tINBOX", "an unknown operation"},
    {"FLAGS", "+S\t0\tINBOX", "an unknown operation"},
    {"append", "INBOX", "a bad outbox message"},
    {"send", "", "a bad outbox message"},
    {"flags", "", "not a flag change"},
    {"flags", "+D", "no modseq"},
    {"flags", "+X\t0\tINBOX", "not a flag change"},
    {"flags", "S+\t0\tINBOX", "not a flag change"},
    {"flags", "+SF\t0\tINBOX", "not a flag change"},
    {"flags", "+:\t0\tINBOX", "not a flag change"},
    {"flags", "+:a b\t0\tINBOX", "a bad keyword"},
    {"flags", "+:Seen\t0\tINBOX", "a bad keyword"},
    {"flags", "*:Junk\t0\tINBOX", "not a flag change"},
    {"flags", "+:Junk", "no modseq"},
    {"flags", "+S\t\tINBOX", "a bad modseq"},
    {"flags", "+S\t-1\tINBOX", "a bad modseq"},
    {"flags", "+S\t18446744073709551616\tINBOX", "a bad modseq"},
    {"flags", "+S\t0", "no folder"},
    {"flags", "+S\t0\t", "no folder"},
    {"move", "", "no destination"},
    {"move", "\t", "no destination"},
    {"move", "Archive", "no folder"},
    {"copy", "Archive\t", "no folder"},
    {"expunge", "", "a bad UID set"},
    {"expunge", "1 2\tINBOX", "a bad UID set"},
    {"expunge", "5", "no folder"},
    {"moveback", "12\tArchive", "no destination"},
    {"moveback", "0\tArchive\tINBOX", "a bad UID"},
    {"moveback", "4294967296\tArchive\tINBOX", "a bad UID"},
    {"moveback", "x\tArchive\tINBOX", "a bad UID"},
    {"moveback", "12", "no folder"},
    {"moveback", "12\t\tINBOX", "no folder"},
};

START_TEST(test_journal_bad)
{
	struct journal_args a;
	const char *err;

	err = NULL;
	ck_assert_int_eq(journal_decode(bad[_i].op, bad[_i].arg, &a, &err), -1);
	ck_assert_int_eq(a.op, JOURNAL_UNKNOWN);
	ck_assert_ptr_null(a.folder);
	ck_assert_msg(err != NULL && strcmp(err, bad[_i].why) == 0,
	    "'%s' '%s': '%s', not '%s'", bad[_i].op, bad[_i].arg,
	    err != NULL ? err : "(none)", bad[_i].why);
	journal_args_clear(&a);
}
END_TEST

/* What errand push prints and re-targets, from rows. */
START_TEST(test_journal_rows)
{
	struct store_journal j;
	char *s;

	memset(&j, 0, sizeof j);
	j.uid = 5;
	j.op = "flags";
	j.arg = "+D\t77\tINBOX";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "flags +D of UID 5 in 'INBOX'");
	free(s);
	s = journal_retarget_arg(&j, 9);
	ck_assert_str_eq(s, "+D\t0\tINBOX"); /* the modseq is forgotten */
	free(s);
	s = journal_folder(&j);
	ck_assert_str_eq(s, "INBOX");
	free(s);
	j.arg = "-:$Work\t12\tINBOX";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "keyword -$Work of UID 5 in 'INBOX'");
	free(s);
	s = journal_retarget_arg(&j, 9);
	ck_assert_str_eq(s, "-:$Work\t0\tINBOX");
	free(s);

	j.op = "moveback";
	j.arg = "12\tArchive\tINBOX";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "move back of UID 12 from 'Archive' to 'INBOX'");
	free(s);
	s = journal_retarget_arg(&j, 30);
	ck_assert_str_eq(s, "30\tArchive\tINBOX");
	free(s);
	s = journal_folder(&j);
	ck_assert_str_eq(s, "Archive");
	free(s);

	j.op = "copy";
	j.arg = "Archive\tINBOX";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "copy of UID 5 from 'INBOX' to 'Archive'");
	free(s);

	j.op = "expunge";
	j.arg = "1:4\tINBOX";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "expunge of UIDs 1:4 in 'INBOX'");
	free(s);

	j.op = "delete";
	j.arg = "x";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "delete (unknown to this errand)");
	free(s);
	ck_assert_ptr_null(journal_folder(&j));
	s = journal_retarget_arg(&j, 9);
	ck_assert_str_eq(s, "x"); /* kept as it is */
	free(s);

	j.op = "flags";
	j.arg = "+D";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "flags (unreadable to this errand)");
	free(s);
}
END_TEST

static char *tmp; /* this test's directory */

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
	char *data;

	t = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	xasprintf(&tmp, "%s/errand-test-journal-XXXXXX", t);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	xasprintf(&data, "%s/data", tmp);
	setenv("XDG_DATA_HOME", data, 1);
	free(data);
}

static void
teardown(void)
{
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
}

/* One number from SQL on the file at path. */
static int64_t
sql_int(const char *path, const char *q)
{
	sqlite3 *d;
	sqlite3_stmt *st;
	int64_t n = -1;

	ck_assert_int_eq(sqlite3_open(path, &d), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(d, q, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", q, sqlite3_errmsg(d));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(d);
	return n;
}

/* The cache at tmp/acct.db with its journal in the data; fails the test
 * when either cannot open. */
static struct store *
open_both(void)
{
	struct store *st;
	char *path, *err;

	xasprintf(&path, "%s/cache/acct.db", tmp);
	st = store_open(path, &err);
	free(path);
	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_msg(journal_open(st, "acct", &err) == 0, "%s", err);
	return st;
}

struct rows {
	int64_t folder[8];
	char op[8][16];
	size_t n;
};

static int
rows_cb(const struct store_journal *j, void *arg)
{
	struct rows *r = arg;

	if (r->n < 8) {
		r->folder[r->n] = j->folder;
		snprintf(r->op[r->n], sizeof r->op[0], "%s", j->op);
		r->n++;
	}
	return 0;
}

/* A cache of the schema that kept the journal: its rows move to the data,
 * the cache shows them, and deleting the cache loses none. */
START_TEST(test_journal_data)
{
	struct store_folder f = {.name = "Ärger", .raw_name = "&AMQ-rger"};
	struct store_msg m = {.uid = 1, .subject = "a", .message_id = "a@x"};
	struct store *st;
	struct rows r;
	struct stat sb;
	char *cache, *data, *arg;
	int64_t id, id2, n;

	xasprintf(&cache, "%s/cache/acct.db", tmp);
	xasprintf(&data, "%s/data/errand/acct/errand-journal.db", tmp);
	st = store_open(cache, &arg);
	ck_assert_msg(st != NULL, "%s", arg);
	ck_assert_int_eq(store_folder_upsert(st, &f, &id), 0);
	ck_assert_int_eq(store_folder_set_sync(st, id, 31, 0, 0), 0);
	ck_assert_int_eq(store_msg_put(st, id, &m), 0);
	m.uid = 2;
	m.message_id = "b@x";
	ck_assert_int_eq(store_msg_put(st, id, &m), 0);
	/* As the cache's own rows, the flags not yet shown (a crash). */
	arg = journal_flags_arg('+', 'S', 0, "&AMQ-rger");
	ck_assert_int_eq(store_journal_add(st, id, 1, "flags", arg, NULL), 0);
	free(arg);
	arg = journal_move_arg("Archive", "&AMQ-rger");
	ck_assert_int_eq(store_journal_add(st, id, 2, "move", arg, NULL), 0);
	free(arg);
	store_close(st);

	st = open_both();
	ck_assert_int_eq(store_journal_count(st, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(store_msg_get(st, id, 1, &m), 0);
	ck_assert_uint_eq(m.flags & STORE_FLAG_SEEN, STORE_FLAG_SEEN);
	ck_assert_int_eq(store_msg_get(st, id, 2, &m), 0);
	ck_assert_uint_eq(m.flags & STORE_FLAG_HIDDEN, STORE_FLAG_HIDDEN);
	store_close(st);
	ck_assert_int_eq(sql_int(cache,
	                     "SELECT count(*) FROM sqlite_schema WHERE name = "
	                     "'journal'"),
	    0);
	ck_assert_int_eq(sql_int(data,
	                     "SELECT count(*) FROM journal WHERE folder_raw = "
	                     "'&AMQ-rger' AND folder_name = 'Ärger' AND "
	                     "uidvalidity = 31"),
	    2);
	ck_assert_int_eq(stat(data, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);

	/* The cache deleted: a new one has the folder again, by its names,
	 * and the rows point at it. */
	ck_assert_int_eq(unlink(cache), 0);
	xasprintf(&arg, "%s-wal", cache);
	unlink(arg);
	free(arg);
	xasprintf(&arg, "%s-shm", cache);
	unlink(arg);
	free(arg);
	st = open_both();
	/* A folder made first takes another id. */
	ck_assert_int_eq(store_journal_count(st, &n), 0);
	ck_assert_int_eq(n, 2);
	memset(&f, 0, sizeof f);
	ck_assert_int_eq(store_folder_get(st, "Ärger", &f), 0);
	ck_assert_str_eq(f.raw_name, "&AMQ-rger");
	id2 = f.id;
	store_folder_clear(&f);
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(store_journal_foreach(st, rows_cb, &r), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_int_eq(r.folder[0], id2);
	ck_assert_int_eq(r.folder[1], id2);
	ck_assert_str_eq(r.op[0], "flags");
	ck_assert_str_eq(r.op[1], "move");
	/* New rows go to the data journal too, with the folder's names. */
	arg = journal_flags_arg('+', 'F', 0, "&AMQ-rger");
	ck_assert_int_eq(store_journal_add(st, id2, 1, "flags", arg, NULL), 0);
	free(arg);
	store_close(st);
	ck_assert_int_eq(sql_int(data,
	                     "SELECT count(*) FROM journal WHERE folder_raw = "
	                     "'&AMQ-rger'"),
	    3);

	/* Opened again: nothing moves twice. */
	st = open_both();
	ck_assert_int_eq(store_journal_count(st, &n), 0);
	ck_assert_int_eq(n, 3);
	store_close(st);
	free(cache);
	free(data);
}
END_TEST

/* A damaged journal file is an error naming it, never a fresh start. */
START_TEST(test_journal_data_damaged)
{
	struct store *st;
	char *cache, *data, *err;
	FILE *fp;

	xasprintf(&cache, "%s/cache/acct.db", tmp);
	st = open_both();
	store_close(st);
	xasprintf(&data, "%s/data/errand/acct/errand-journal.db", tmp);
	ck_assert_ptr_nonnull(fp = fopen(data, "w"));
	fputs("this is not a database, not at all, but long enough to "
	      "be read as a header by SQLite's first page check ......",
	    fp);
	fclose(fp);
	st = store_open(cache, &err);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(journal_open(st, "acct", &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot open the journal '"));
	ck_assert_ptr_nonnull(strstr(err, data));
	free(err);
	store_close(st);
	free(cache);
	free(data);
}
END_TEST

struct purge_rows {
	struct store_journal j[4];
	char *arg[4], *msgid[4], op[4][16];
	size_t n;
};

static int
purge_cb(const struct store_journal *j, void *arg)
{
	struct purge_rows *r = arg;

	if (r->n < 4) {
		r->j[r->n] = *j;
		r->arg[r->n] = xstrdup(j->arg);
		r->msgid[r->n] = xstrdup(j->message_id);
		snprintf(r->op[r->n], sizeof r->op[0], "%s", j->op);
		r->n++;
	}
	return 0;
}

/* The purge of one message (a finished move's source, a recalled
 * draft's older copy): \Deleted on its UID, then UID EXPUNGE of it
 * alone, under its UIDVALIDITY, with its Message-ID for a re-target;
 * into the data's journal, also for a folder the cache does not know. */
START_TEST(test_journal_purge)
{
	struct store_folder f = {.name = "Drafts", .raw_name = "Drafts"};
	struct purge_rows r;
	struct store *st;
	int64_t id;
	size_t i;

	st = open_both();
	ck_assert_int_eq(store_folder_upsert(st, &f, &id), 0);
	ck_assert_int_eq(
	    journal_put_purge(st, id, "Drafts", 7, 5, "old@example.org"), 0);
	ck_assert_int_eq(journal_put_purge(st, 0, "Other", 9, 3, NULL), 0);
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(store_journal_foreach(st, purge_cb, &r), 0);
	ck_assert_uint_eq(r.n, 4);
	ck_assert_str_eq(r.op[0], "flags");
	ck_assert_int_eq(r.j[0].folder, id);
	ck_assert_uint_eq(r.j[0].uid, 5);
	ck_assert_uint_eq(r.j[0].uidvalidity, 7);
	ck_assert_str_eq(r.msgid[0], "old@example.org");
	ck_assert_str_eq(r.arg[0], "+D\t0\tDrafts");
	ck_assert_str_eq(r.op[1], "expunge");
	ck_assert_uint_eq(r.j[1].uid, 0);
	ck_assert_uint_eq(r.j[1].uidvalidity, 7);
	ck_assert_str_eq(r.arg[1], "5\tDrafts");
	ck_assert_str_eq(r.msgid[1], "old@example.org");
	ck_assert_int_eq(r.j[2].folder, 0);
	ck_assert_uint_eq(r.j[2].uid, 3);
	ck_assert_str_eq(r.msgid[2], "");
	ck_assert_str_eq(r.arg[3], "3\tOther");
	for (i = 0; i < r.n; i++) {
		free(r.arg[i]);
		free(r.msgid[i]);
	}
	store_close(st);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_journal_round_trip);
	tcase_add_test(tc, test_journal_helpers);
	tcase_add_loop_test(
	    tc, test_journal_bad, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, test_journal_rows);
	suite_add_tcase(s, tc);
	tc = tcase_create("data");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_journal_data);
	tcase_add_test(tc, test_journal_data_damaged);
	tcase_add_test(tc, test_journal_purge);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
