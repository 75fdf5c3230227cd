/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/htmlcmd.c on a real event loop: the viewer's output
 * comes back; a viewer that fails, hangs, floods or is cancelled gives
 * nothing and is gone afterwards; the loop stays free meanwhile. */

#include <sys/types.h>

#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "htmlcmd.h"

struct got {
	int called;
	char *out;
	size_t len;
	struct event_base *base;
};

static void
done(char *out, size_t len, void *arg)
{
	struct got *g = arg;

	g->called++;
	g->out = out;
	g->len = len;
	event_base_loopbreak(g->base);
}

/* Run cmd on in and the loop until it reports (or 20 s pass). */
static struct got
run(const char *cmd, const char *in, int timeout_ms)
{
	struct got g = {0, NULL, 0, event_base_new()};
	struct timeval limit = {20, 0};
	struct htmlcmd *h;

	h = htmlcmd_start(g.base, cmd, in, strlen(in), timeout_ms, done, &g);
	ck_assert_ptr_nonnull(h);
	event_base_loopexit(g.base, &limit);
	event_base_dispatch(g.base);
	event_base_free(g.base);
	return g;
}

START_TEST(test_htmlcmd_output)
{
	struct got g = run("sed -e 's/<[^>]*>//g' -e 's/^/CMD:/'",
	    "<p>one</p>\n<p>two</p>\n", 0);

	ck_assert_int_eq(g.called, 1);
	ck_assert_ptr_nonnull(g.out);
	ck_assert_str_eq(g.out, "CMD:one\nCMD:two\n");
	ck_assert_uint_eq(g.len, 16);
	free(g.out);

	/* No input at all: stdin is at its end at once. */
	g = run("cat; echo end", "", 0);
	ck_assert_int_eq(g.called, 1);
	ck_assert_str_eq(g.out, "end\n");
	free(g.out);
}
END_TEST

START_TEST(test_htmlcmd_failures)
{
	struct got g;
	time_t start;

	/* Exits non-zero; writes nothing; is not there. */
	g = run("cat; exit 3", "<p>x</p>", 0);
	ck_assert_int_eq(g.called, 1);
	ck_assert_ptr_null(g.out);
	g = run("cat >/dev/null", "<p>x</p>", 0);
	ck_assert_ptr_null(g.out);
	g = run("/nonexistent/viewer", "<p>x</p>", 0);
	ck_assert_ptr_null(g.out);
	/* Hangs (a pipeline, so its process group matters): given up at
	 * the timeout. */
	start = time(NULL);
	g = run("sleep 20 | cat", "<p>x</p>", 300);
	ck_assert_int_eq(g.called, 1);
	ck_assert_ptr_null(g.out);
	ck_assert_int_le(time(NULL) - start, 3);
	/* Writes without end: stopped at HTMLCMD_OUT_MAX. */
	g = run("yes", "<p>x</p>", 0);
	ck_assert_int_eq(g.called, 1);
	ck_assert_ptr_null(g.out);
}
END_TEST

START_TEST(test_htmlcmd_cancel)
{
	struct event_base *base = event_base_new();
	struct got g = {0, NULL, 0, base};
	struct timeval tick = {0, 200000};
	struct htmlcmd *h;
	char pidfile[] = "/tmp/errand-test-htmlcmd.XXXXXX", cmd[128];
	FILE *f;
	int fd, pid = 0;

	ck_assert_int_ne(fd = mkstemp(pidfile), -1);
	close(fd);
	snprintf(cmd, sizeof cmd, "echo $$ > %s; exec sleep 30", pidfile);
	h = htmlcmd_start(base, cmd, "<p>x</p>", 8, 60000, done, &g);
	ck_assert_ptr_nonnull(h);
	/* The loop runs while the viewer does. */
	event_base_loopexit(base, &tick);
	event_base_dispatch(base);
	ck_assert_int_eq(g.called, 0);
	ck_assert_ptr_nonnull(f = fopen(pidfile, "r"));
	ck_assert_int_eq(fscanf(f, "%d", &pid), 1);
	fclose(f);
	htmlcmd_cancel(h);
	htmlcmd_cancel(NULL);
	/* Killed and reaped, and no callback. */
	ck_assert_int_eq(kill(pid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(g.called, 0);
	unlink(pidfile);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("htmlcmd");
	TCase *tc = tcase_create("htmlcmd");
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_htmlcmd_output);
	tcase_add_test(tc, test_htmlcmd_failures);
	tcase_add_test(tc, test_htmlcmd_cancel);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
