/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/engine/addrbook.c: addresses of header lists are
 * found, ranked by how often and how recently they were seen, completed
 * on a name's words too; mutt's query output is parsed and its command
 * run with a deadline. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/addrbook.h"

#define DAY 86400
#define NOW ((int64_t)1800000000)

START_TEST(test_addrbook_rank)
{
	struct addrbook *ab = addrbook_new(NOW);
	char **m;
	size_t n, i;

	/* Bob often but long ago, Bea once yesterday, Ben twice this week. */
	for (i = 0; i < 3; i++)
		addrbook_see(ab, "Bob Old", "bob@example.org", NOW - 400 * DAY);
	addrbook_see(ab, "Bea", "bea@example.org", NOW - DAY);
	addrbook_see(ab, "", "ben@example.org", NOW - 2 * DAY);
	addrbook_see(ab, "Ben Recent", "BEN@example.org", NOW - 3 * DAY);
	n = addrbook_complete(ab, "b", 10, &m);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(m[0], "Ben Recent <ben@example.org>");
	ck_assert_str_eq(m[1], "Bea <bea@example.org>");
	ck_assert_str_eq(m[2], "Bob Old <bob@example.org>");
	addrbook_list_free(m, n);
	/* A word of the name matches, any case; max is kept. */
	n = addrbook_complete(ab, "rec", 10, &m);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(m[0], "Ben Recent <ben@example.org>");
	addrbook_list_free(m, n);
	n = addrbook_complete(ab, "B", 1, &m);
	ck_assert_uint_eq(n, 1);
	addrbook_list_free(m, n);
	ck_assert_uint_eq(addrbook_complete(ab, "zed", 10, &m), 0);
	ck_assert_ptr_null(m);
	addrbook_free(ab);
}
END_TEST

START_TEST(test_addrbook_lists)
{
	struct addrbook *ab = addrbook_new(NOW);
	char **m;
	size_t n;

	addrbook_see_list(ab,
	    "\"Doe, Jane\" <jane@example.org>, carl@example.org; "
	    "Kim <kim@example.org>, not an address, <> ,",
	    NOW);
	n = addrbook_complete(ab, "", 10, &m);
	ck_assert_uint_eq(n, 3);
	addrbook_list_free(m, n);
	n = addrbook_complete(ab, "jane", 10, &m);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(m[0], "\"Doe, Jane\" <jane@example.org>");
	addrbook_list_free(m, n);
	n = addrbook_complete(ab, "doe", 10, &m);
	ck_assert_uint_eq(n, 1);
	addrbook_list_free(m, n);
	addrbook_free(ab);
}
END_TEST

START_TEST(test_addrbook_query_parse)
{
	const char out[] = "Searching database ... 3 entries\n"
	                   "ann@example.org\tAnn Smith\tfriends\n"
	                   "no-at-sign\tBroken\n"
	                   "\n"
	                   "zoe@example.org\tZoe\n"
	                   "raw@example.org";
	char **m;
	size_t n;

	n = addrbook_query_parse(out, sizeof out - 1, &m);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(m[0], "Ann Smith <ann@example.org>");
	ck_assert_str_eq(m[1], "Zoe <zoe@example.org>");
	ck_assert_str_eq(m[2], "raw@example.org");
	addrbook_list_free(m, n);
	/* The status line alone: nothing. */
	ck_assert_uint_eq(addrbook_query_parse("No matches\n", 11, &m), 0);
}
END_TEST

START_TEST(test_addrbook_query_run)
{
	char **m, *err = NULL;
	int n;

	n = addrbook_query(
	    "printf 'ok\\n%s@example.org\\tQ Person\\n'", "qq", 5, &m, &err);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(m[0], "Q Person <qq@example.org>");
	addrbook_list_free(m, (size_t)n);
	/* No %s: the query is appended, quoted. */
	n = addrbook_query(
	    "f() { printf 'x\\n%s@h\\n' \"$1\"; }; f", "ab", 5, &m, &err);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(m[0], "ab@h");
	addrbook_list_free(m, (size_t)n);
	/* mutt's "nothing found" exit status 1 is not an error. */
	ck_assert_int_eq(
	    addrbook_query("echo none; exit 1", "x", 5, &m, &err), 0);
	ck_assert_int_eq(addrbook_query("exit 3", "x", 5, &m, &err), -1);
	ck_assert_str_eq(err, "query-command 'exit 3' exited with status 3");
	free(err);
	ck_assert_int_eq(addrbook_query("sleep 30; :", "x", 1, &m, &err), -1);
	ck_assert_str_eq(
	    err, "query-command 'sleep 30; :' did not finish in 1 second");
	free(err);
	ck_assert_int_eq(addrbook_query("echo '%s'", "it's", 5, &m, &err), -1);
	free(err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("addrbook");
	TCase *tc = tcase_create("addrbook");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_addrbook_rank);
	tcase_add_test(tc, test_addrbook_lists);
	tcase_add_test(tc, test_addrbook_query_parse);
	tcase_add_test(tc, test_addrbook_query_run);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
