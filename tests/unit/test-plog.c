/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for net/plog: a NULL log does nothing, the file is private
 * (0600) whatever the umask, and each protocol line becomes one log line
 * with its control bytes escaped and its line end removed. */

#include <sys/types.h>
#include <sys/stat.h>

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"
#include "net/plog.h"

static char tmpdir[PATH_MAX];
static char logpath[PATH_MAX + 8];

static void setup(void);
static void teardown(void);
static char *slurp(const char *);
static const char *after_stamp(const char *);
static char *next_line(char **);

static void
setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof tmpdir, "%s/test-plog.XXXXXX",
	    base != NULL ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(logpath, sizeof logpath, "%s/log", tmpdir);
}

static void
teardown(void)
{
	unlink(logpath);
	rmdir(tmpdir);
}

/* The whole file as a string; the caller frees it. */
static char *
slurp(const char *path)
{
	FILE *f;
	char *buf;
	size_t n;

	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	buf = xcalloc(1, 1 << 16);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A log line without its "HH:MM:SS.mmm " time stamp. */
static const char *
after_stamp(const char *line)
{
	ck_assert_msg(strlen(line) > 13 && line[2] == ':' && line[5] == ':' &&
	        line[8] == '.' && line[12] == ' ',
	    "no time stamp in '%s'", line);
	return line + 13;
}

/* The next newline-terminated line of *p, cut in place, or NULL. */
static char *
next_line(char **p)
{
	char *line = *p, *nl;

	if ((nl = strchr(line, '\n')) == NULL)
		return NULL;
	*nl = '\0';
	*p = nl + 1;
	return line;
}

START_TEST(test_null_log)
{
	/* Every call on a NULL log is a no-op. */
	plog_write(NULL, "host", '>', "a1 NOOP\r\n", 9);
	plog_note(NULL, "host", "note %d", 1);
	plog_close(NULL);
}
END_TEST

START_TEST(test_open_fails)
{
	char *err = NULL;
	struct plog *pl;

	pl = plog_open("/nonexistent/dir/log", &err);
	ck_assert_ptr_null(pl);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, "/nonexistent/dir/log") != NULL,
	    "error does not name the file: %s", err);
	free(err);
}
END_TEST

START_TEST(test_mode_0600)
{
	struct plog *pl;
	struct stat st;
	mode_t old;
	char *err = NULL;

	old = umask(0);
	pl = plog_open(logpath, &err);
	umask(old);
	ck_assert_ptr_nonnull(pl);
	ck_assert_int_eq(stat(logpath, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	plog_close(pl);
}
END_TEST

START_TEST(test_mode_narrowed)
{
	struct plog *pl;
	struct stat st;
	FILE *f;
	char *err = NULL;

	/* A log someone left readable by all is made private. */
	f = fopen(logpath, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(chmod(logpath, 0644), 0);
	pl = plog_open(logpath, &err);
	ck_assert_ptr_nonnull(pl);
	ck_assert_int_eq(stat(logpath, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	plog_close(pl);
}
END_TEST

START_TEST(test_empty_write)
{
	struct plog *pl;
	char *err = NULL, *text;

	pl = plog_open(logpath, &err);
	ck_assert_ptr_nonnull(pl);
	plog_write(pl, "host", '>', "", 0);
	plog_close(pl);
	text = slurp(logpath);
	ck_assert_str_eq(text, "");
	free(text);
}
END_TEST

START_TEST(test_append)
{
	struct plog *pl;
	char *err = NULL, *text;

	pl = plog_open(logpath, &err);
	plog_write(pl, "h", '>', "one\r\n", 5);
	plog_close(pl);
	pl = plog_open(logpath, &err);
	plog_write(pl, "h", '<', "two\r\n", 5);
	plog_close(pl);
	text = slurp(logpath);
	ck_assert_msg(strstr(text, "h > one\n") != NULL &&
	        strstr(text, "h < two\n") != NULL &&
	        strstr(text, "one") < strstr(text, "two"),
	    "not appended: %s", text);
	free(text);
}
END_TEST

/* One write, the lines it should log (without time stamps). */
#define D(s) s, sizeof(s) - 1
static const struct {
	const char *data;
	size_t len;
	char dir;
	const char *want[4];
} cases[] = {
    {D("a1 CAPABILITY\r\n"), '>', {"imap.example > a1 CAPABILITY"}},
    {D("* OK ready"), '<', {"imap.example < * OK ready"}},
    {D("one\r\ntwo\nthree\r\n"), '<',
        {"imap.example < one", "imap.example < two", "imap.example < three"}},
    {D("bare\rcr\x01\x1b[2J\x7f\r\n"), '<',
        {"imap.example < bare\\rcr\\x01\\x1b[2J\\x7f"}},
    {D("tab\there\\\r\n"), '>', {"imap.example > tab\\there\\\\"}},
    {D("nul\0byte\r\n"), '<', {"imap.example < nul\\x00byte"}},
    {D("caf\xc3\xa9\r\n"), '<', {"imap.example < caf\xc3\xa9"}},
    {D("\r\n"), '<', {"imap.example < "}},
};

START_TEST(test_lines)
{
	struct plog *pl;
	char *err = NULL, *text, *line, *p;
	int i;

	pl = plog_open(logpath, &err);
	ck_assert_ptr_nonnull(pl);
	plog_write(
	    pl, "imap.example", cases[_i].dir, cases[_i].data, cases[_i].len);
	plog_close(pl);

	text = slurp(logpath);
	ck_assert_msg(text[strlen(text) - 1] == '\n', "no final newline");
	p = text;
	line = next_line(&p);
	for (i = 0; i < 4 && cases[_i].want[i] != NULL; i++) {
		ck_assert_msg(line != NULL, "case %d: line %d missing", _i, i);
		ck_assert_str_eq(after_stamp(line), cases[_i].want[i]);
		line = next_line(&p);
	}
	ck_assert_msg(line == NULL, "case %d: extra line '%s'", _i, line);
	free(text);
}
END_TEST

START_TEST(test_note)
{
	struct plog *pl;
	char *err = NULL, *text;

	pl = plog_open(logpath, &err);
	plog_note(pl, "pop.example", "TLS established: %s", "TLSv1.3");
	plog_close(pl);
	text = slurp(logpath);
	text[strcspn(text, "\n")] = '\0';
	ck_assert_str_eq(
	    after_stamp(text), "pop.example * TLS established: TLSv1.3");
	free(text);
}
END_TEST

START_TEST(test_huge_line)
{
	struct plog *pl;
	char *err = NULL, *text, *big;
	size_t n = 100 * 1024;

	/* A 100 KB line is cut in the log, and says how much was cut. */
	big = xmalloc(n);
	memset(big, 'x', n);
	pl = plog_open(logpath, &err);
	plog_write(pl, "h", '<', big, n);
	plog_close(pl);
	text = slurp(logpath);
	ck_assert_msg(strlen(text) < 8192, "log line not capped");
	ck_assert_msg(strstr(text, "more bytes]") != NULL, "no cut note");
	free(text);
	free(big);
}
END_TEST

static Suite *
plog_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("plog");
	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_null_log);
	tcase_add_test(tc, test_open_fails);
	tcase_add_test(tc, test_mode_0600);
	tcase_add_test(tc, test_mode_narrowed);
	tcase_add_test(tc, test_empty_write);
	tcase_add_test(tc, test_append);
	tcase_add_loop_test(
	    tc, test_lines, 0, (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, test_note);
	tcase_add_test(tc, test_huge_line);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(plog_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
