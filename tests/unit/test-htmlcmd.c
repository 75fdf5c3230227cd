/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/content/htmlcmd.c on a real event loop: the viewer's output
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

#include "content/htmlcmd.h"

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

/* The pid written to path by a shell, waiting for it up to 10 s; 0 if none
 * came. */
static int
read_pid(const char *path)
{
	time_t deadline = time(NULL) + 10;
	FILE *f;
	int pid = 0;

	while (pid == 0 && time(NULL) < deadline) {
		if ((f = fopen(path, "r")) != NULL) {
			if (fscanf(f, "%d", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		if (pid == 0)
			usleep(20000);
	}
	return pid;
}

/* Whether process pid is gone (or a zombie for init to reap), waiting for
 * that up to 10 s. */
static int
gone(int pid)
{
	time_t deadline = time(NULL) + 10;
	char path[64], state = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	while (time(NULL) < deadline) {
		if (kill(pid, 0) == -1 && errno == ESRCH)
			return 1;
		if ((f = fopen(path, "r")) != NULL) {
			if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
				state = 0;
			fclose(f);
			if (state == 'Z')
				return 1;
		}
		usleep(20000);
	}
	return 0;
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
	/* Writes without end: stopped at HTMLCMD_OUT_MAX, long before a
	 * timeout of 20 s. */
	start = time(NULL);
	g = run("yes", "<p>x</p>", 20000);
	ck_assert_int_eq(g.called, 1);
	ck_assert_ptr_null(g.out);
	ck_assert_int_le(time(NULL) - start, 10);
}
END_TEST

START_TEST(test_htmlcmd_hang)
{
	char pidfile[] = "/tmp/errand-test-htmlcmd.XXXXXX", cmd[160];
	struct got g;
	time_t start;
	int fd, pid;

	/* Hangs, in a child of its own: given up at the timeout, and the
	 * whole process group is killed, the child too. */
	ck_assert_int_ne(fd = mkstemp(pidfile), -1);
	close(fd);
	snprintf(cmd, sizeof cmd, "sleep 30 & echo $! > %s; wait", pidfile);
	start = time(NULL);
	g = run(cmd, "<p>x</p>", 1000);
	ck_assert_int_eq(g.called, 1);
	ck_assert_ptr_null(g.out);
	ck_assert_int_le(time(NULL) - start, 5);
	ck_assert_int_gt(pid = read_pid(pidfile), 0);
	ck_assert_msg(gone(pid), "the viewer's child %d still runs", pid);
	unlink(pidfile);
}
END_TEST

START_TEST(test_htmlcmd_cancel)
{
	struct event_base *base = event_base_new();
	struct got g = {0, NULL, 0, base};
	struct timeval tick = {0, 100000};
	struct htmlcmd *h;
	char pidfile[] = "/tmp/errand-test-htmlcmd.XXXXXX", cmd[128];
	int fd, pid;

	ck_assert_int_ne(fd = mkstemp(pidfile), -1);
	close(fd);
	snprintf(cmd, sizeof cmd, "echo $$ > %s; exec sleep 30", pidfile);
	h = htmlcmd_start(base, cmd, "<p>x</p>", 8, 60000, done, &g);
	ck_assert_ptr_nonnull(h);
	/* The loop runs while the viewer does. */
	ck_assert_int_gt(pid = read_pid(pidfile), 0);
	event_base_loopexit(base, &tick);
	event_base_dispatch(base);
	ck_assert_int_eq(g.called, 0);
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
	tcase_add_test(tc, test_htmlcmd_hang);
	tcase_add_test(tc, test_htmlcmd_cancel);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
