/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/engine/model.c: the subject base for sorting (edge inputs,
 * then a table of prefixes), and the order of every sort key, ties and
 * reverse, on a model loaded from a real store. */

#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model.h"
#include "xmalloc.h"
#include "cache/store.h"

static char *tmp; /* this test's directory */

static int rm_entry(const char *, const struct stat *, int, struct FTW *);
static void setup(void);
static void teardown(void);
static struct model *load(void);
static const char *order(struct model *, enum model_sort, int);

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
	xasprintf(&tmp, "%s/errand-test-model-XXXXXX", t);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void
teardown(void)
{
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
}

/* Six messages (UID, date, sender, subject, size); UIDs 2 and 5 from the
 * same sender, UIDs 1, 3 and 6 on one subject under prefixes. */
static struct model *
load(void)
{
	static const struct {
		uint32_t uid;
		int64_t date;
		const char *from, *subject;
		int64_t size;
	} rows[] = {
	    {1, 1000, "Carol", "Budget", 300},
	    {2, 2000, "Alice", "Zebra", 100},
	    {3, 3000, "Dave", "Re: Budget", 500},
	    {4, 4000, "Bob", "apples", 200},
	    {5, 5000, "alice", "Lunch", 600},
	    {6, 6000, "Eve", "AW: Fwd: budget", 400},
	};
	struct store *st;
	struct store_folder f = {.name = "INBOX", .delim = "/"};
	struct store_msg m;
	struct model *md;
	int64_t id = 0;
	char *path, *err;
	size_t i;

	xasprintf(&path, "%s/acct.db", tmp);
	st = store_open(path, &err);
	free(path);
	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_int_eq(store_folder_upsert(st, &f, &id), 0);
	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		memset(&m, 0, sizeof m);
		m.uid = rows[i].uid;
		m.date = rows[i].date;
		m.from_name = rows[i].from;
		m.from_addr = "x@example.org";
		m.subject = rows[i].subject;
		m.size = rows[i].size;
		ck_assert_msg(
		    store_msg_put(st, id, &m) == 0, "%s", store_error(st));
	}
	md = model_load(st, id, &err);
	ck_assert_msg(md != NULL, "%s", err);
	store_close(st);
	return md;
}

/* The UIDs in the order of key (reversed or not), as "1 2 3". */
static const char *
order(struct model *md, enum model_sort key, int reverse)
{
	static char buf[64];
	size_t i, len = 0;

	model_sort(md, key, reverse);
	buf[0] = '\0';
	for (i = 0; i < model_count(md); i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%u",
		    i > 0 ? " " : "", model_msg(md, i)->uid);
	return buf;
}

START_TEST(test_model_subject_base_edge)
{
	ck_assert_str_eq(model_subject_base(""), "");
	ck_assert_str_eq(model_subject_base("Re:"), "");
	ck_assert_str_eq(model_subject_base("   "), "");
	/* Words that only start like a prefix stay. */
	ck_assert_str_eq(model_subject_base("Report"), "Report");
	ck_assert_str_eq(model_subject_base("Re [x]: y"), "Re [x]: y");
	ck_assert_str_eq(model_subject_base("Re[2 x"), "Re[2 x");
}
END_TEST

START_TEST(test_model_subject_base_table)
{
	static const struct {
		const char *in, *out;
	} t[] = {
	    {"Re: Budget", "Budget"},
	    {"RE: Budget", "Budget"},
	    {"re:Budget", "Budget"},
	    {"Fwd: Budget", "Budget"},
	    {"Fw: Budget", "Budget"},
	    {"AW: Budget", "Budget"},
	    {"SV: Budget", "Budget"},
	    {"WG: Budget", "Budget"},
	    {"VS: Budget", "Budget"},
	    {"Antw: Budget", "Budget"},
	    {"Re[2]: Budget", "Budget"},
	    {"AW(3): Budget", "Budget"},
	    {"Re: Fwd: AW: Budget", "Budget"},
	    {"  Re:  Budget", "Budget"},
	    {"Budget: Re: x", "Budget: Re: x"},
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof *t; i++)
		ck_assert_msg(
		    strcmp(model_subject_base(t[i].in), t[i].out) == 0,
		    "'%s' gave '%s', want '%s'", t[i].in,
		    model_subject_base(t[i].in), t[i].out);
}
END_TEST

START_TEST(test_model_sort_orders)
{
	struct model *md = load();

	/* Ascending as mutt's sort = KEY; reverse-KEY turns it round. */
	ck_assert_str_eq(order(md, MODEL_SORT_DATE, 0), "1 2 3 4 5 6");
	ck_assert_str_eq(order(md, MODEL_SORT_DATE, 1), "6 5 4 3 2 1");
	ck_assert_str_eq(order(md, MODEL_SORT_SIZE, 0), "2 4 1 6 3 5");
	ck_assert_str_eq(order(md, MODEL_SORT_SIZE, 1), "5 3 6 1 4 2");
	ck_assert_str_eq(order(md, MODEL_SORT_UID, 0), "1 2 3 4 5 6");
	/* A tie (one sender in two cases) goes oldest first. */
	ck_assert_str_eq(order(md, MODEL_SORT_FROM, 0), "2 5 4 1 3 6");
	ck_assert_str_eq(order(md, MODEL_SORT_FROM, 1), "6 3 1 4 5 2");
	/* Re:, AW: and Fwd: are not part of the subject; ties oldest
	 * first. */
	ck_assert_str_eq(order(md, MODEL_SORT_SUBJECT, 0), "4 1 3 6 5 2");
	ck_assert_str_eq(order(md, MODEL_SORT_SUBJECT, 1), "2 5 6 3 1 4");
	model_free(md);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("model");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_model_subject_base_edge);
	tcase_add_test(tc, test_model_subject_base_table);
	tcase_add_test(tc, test_model_sort_orders);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
