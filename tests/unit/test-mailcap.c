/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/content/mailcap.c: a table of mailcap files and what the
 * pager gets from each for text/html. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "content/mailcap.h"

static const struct {
	const char *file; /* the mailcap's text */
	const char *want; /* the command, or NULL for none */
} cases[] = {
    {"text/html; w3m -dump -T text/html %s; copiousoutput\n",
        "w3m -dump -T text/html /dev/stdin"},
    /* Not copiousoutput: a viewer for a window, not for the pager. */
    {"text/html; firefox %s\n", NULL},
    /* The first copiousoutput entry wins; an interactive one is passed. */
    {"text/html; firefox %s\ntext/html; lynx -dump %s; copiousoutput\n",
        "lynx -dump /dev/stdin"},
    /* test= entries are not run, so not taken. */
    {"text/html; elinks -dump; test=test -n \"$DISPLAY\"; copiousoutput\n"
     "text/html; html2text; copiousoutput\n",
        "html2text"},
    /* Comments, blank lines, continuation lines, \; and %t, %{charset}. */
    {"# a comment\n\ntext/html; \\\n  pandoc -f %t -t plain \\; cat \\\n"
     "  --charset=%{charset}; copiousoutput\n",
        "pandoc -f text/html -t plain ; cat   --charset=utf-8"},
    /* text with a star subtype matches; other types do not. */
    {"image/png; feh %s\ntext/*; less; copiousoutput\n", "less"},
    {"text/plain; cat; copiousoutput\n", NULL},
    {"", NULL},
    {"text/html\n", NULL},
    {"text/html;;copiousoutput\n", NULL},
};

START_TEST(test_mailcap_table)
{
	char path[] = "/tmp/errand-mailcap.XXXXXX", *got;
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(cases[_i].file, f);
	fclose(f);
	got = mailcap_viewer_in(path, "text/html");
	unlink(path);
	if (cases[_i].want == NULL)
		ck_assert_ptr_null(got);
	else {
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, cases[_i].want);
	}
	free(got);
}
END_TEST

START_TEST(test_mailcap_paths)
{
	char *got;

	/* Missing files are skipped, not errors. */
	got = mailcap_viewer_in("/nonexistent/a:/nonexistent/b", "text/html");
	ck_assert_ptr_null(got);
	setenv("MAILCAPS", "/nonexistent/c", 1);
	ck_assert_ptr_null(mailcap_viewer("text/html"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mailcap");
	TCase *tc = tcase_create("lookup");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(
	    tc, test_mailcap_table, 0, sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, test_mailcap_paths);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
