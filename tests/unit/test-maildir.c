/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/engine/maildir.c: edge inputs first, then the default path,
 * directory and file modes, delivery names and CRLF pieces, listing,
 * flags renamed into cur/ in ASCII order, and the cleaning of tmp/. */

#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "engine/maildir.h"
#include "xmalloc.h"

static char *tmp; /* this test's directory */
static char *mdp; /* tmp/data/errand/acct */

static int rm_entry(const char *, const struct stat *, int, struct FTW *);
static void setup(void);
static void teardown(void);
static char *slurp(const char *);
static size_t count_dir(const char *);
static char *deliver(struct maildir *, int, const char *const *);

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static void
setup(void)
{
	const char *t;

	t = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	xasprintf(&tmp, "%s/errand-test-maildir-XXXXXX", t);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	xasprintf(&mdp, "%s/data/errand/acct", tmp);
}

static void
teardown(void)
{
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
	free(mdp);
}

/* The whole file as a string. */
static char *
slurp(const char *path)
{
	char *buf;
	FILE *fp;
	long n;

	ck_assert_ptr_nonnull(fp = fopen(path, "rb"));
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = xmalloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Entries of a directory, without dot files. */
static size_t
count_dir(const char *path)
{
	struct dirent *de;
	size_t n = 0;
	DIR *dp;

	ck_assert_ptr_nonnull(dp = opendir(path));
	while ((de = readdir(dp)) != NULL)
		n += de->d_name[0] != '.';
	closedir(dp);
	return n;
}

/* Deliver the pieces (NULL-terminated); the final name. */
static char *
deliver(struct maildir *md, int crlf, const char *const *pieces)
{
	struct maildir_delivery *d;
	char *name;

	ck_assert_ptr_nonnull(d = maildir_deliver_begin(md, crlf));
	for (; *pieces != NULL; pieces++)
		ck_assert_int_eq(
		    maildir_deliver_write(d, *pieces, strlen(*pieces)), 0);
	ck_assert_int_eq(maildir_deliver_commit(d, &name), 0);
	ck_assert_ptr_nonnull(name);
	return name;
}

START_TEST(test_maildir_edge)
{
	char *err, *path, *want;
	int fd;

	ck_assert_ptr_null(maildir_open(NULL, &err));
	ck_assert_str_eq(err, "cannot open Maildir: no path");
	free(err);
	ck_assert_ptr_null(maildir_open("", &err));
	free(err);
	ck_assert_ptr_null(maildir_open("/proc/self/nope/x", &err));
	ck_assert_ptr_nonnull(strstr(err, "cannot make Maildir '/proc/"));
	free(err);
	/* A file where new/ should be. */
	xasprintf(&path, "%s/new", tmp);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT, 0600), -1);
	close(fd);
	ck_assert_ptr_null(maildir_open(tmp, &err));
	xasprintf(&want, "cannot make Maildir '%s': Not a directory", path);
	ck_assert_str_eq(err, want);
	free(want);
	free(path);
	free(err);
	maildir_close(NULL);
	maildir_deliver_abort(NULL);
	maildir_list_free(NULL, 0);
}
END_TEST

START_TEST(test_maildir_default_path)
{
	char *p;

	setenv("XDG_DATA_HOME", "/x/data", 1);
	p = maildir_default_path("work");
	ck_assert_str_eq(p, "/x/data/errand/work");
	free(p);
	/* A relative XDG_DATA_HOME is ignored (XDG base directory spec). */
	setenv("XDG_DATA_HOME", "rel", 1);
	setenv("HOME", "/home/u", 1);
	p = maildir_default_path("work");
	ck_assert_str_eq(p, "/home/u/.local/share/errand/work");
	free(p);
	unsetenv("XDG_DATA_HOME");
	unsetenv("HOME");
	ck_assert_ptr_null(maildir_default_path("work"));
}
END_TEST

START_TEST(test_maildir_open_modes)
{
	static const char *sub[] = {"", "/cur", "/new", "/tmp"};
	struct maildir *md;
	struct stat sb;
	char *err, *p, *name;
	size_t i;
	static const char *const pieces[] = {"x\n", NULL};

	ck_assert_ptr_nonnull(md = maildir_open(mdp, &err));
	ck_assert_str_eq(maildir_path(md), mdp);
	ck_assert_str_eq(maildir_error(md), "");
	for (i = 0; i < 4; i++) {
		xasprintf(&p, "%s%s", mdp, sub[i]);
		ck_assert_int_eq(stat(p, &sb), 0);
		ck_assert(S_ISDIR(sb.st_mode));
		ck_assert_uint_eq(sb.st_mode & 07777, 0700);
		free(p);
	}
	name = deliver(md, 0, pieces);
	xasprintf(&p, "%s/new/%s", mdp, name);
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0600);
	free(p);
	free(name);
	maildir_close(md);
	/* Opening again keeps what is there. */
	ck_assert_ptr_nonnull(md = maildir_open(mdp, &err));
	xasprintf(&p, "%s/new", mdp);
	ck_assert_uint_eq(count_dir(p), 1);
	free(p);
	maildir_close(md);
}
END_TEST

START_TEST(test_maildir_names)
{
	struct maildir *md;
	regex_t re;
	char *err, *a, *b, *p, *want;
	static const char *const pieces[] = {"m\n", NULL};

	ck_assert_ptr_nonnull(md = maildir_open(mdp, &err));
	ck_assert_int_eq(
	    regcomp(&re, "^[0-9]+\\.M[0-9]+P[0-9]+Q[0-9]+\\.[^/:]+$",
	        REG_EXTENDED | REG_NOSUB),
	    0);
	a = deliver(md, 0, pieces);
	b = deliver(md, 0, pieces);
	{
		struct maildir_delivery *d;
		char *c;

		ck_assert_ptr_nonnull(d = maildir_deliver_begin(md, 0));
		ck_assert_int_eq(
		    regexec(&re, maildir_deliver_name(d), 0, NULL, 0), 0);
		want = xstrdup(maildir_deliver_name(d));
		ck_assert_int_eq(maildir_exists(md, want), 0);
		ck_assert_int_eq(maildir_deliver_commit(d, &c), 0);
		ck_assert_str_eq(c, want); /* the name it said */
		ck_assert_int_eq(maildir_exists(md, want), 1);
		free(want);
		free(c);
	}
	ck_assert_int_eq(regexec(&re, a, 0, NULL, 0), 0);
	ck_assert_int_eq(regexec(&re, b, 0, NULL, 0), 0);
	ck_assert_str_ne(a, b);
	xasprintf(&want, "P%ldQ1.", (long)getpid());
	ck_assert_ptr_nonnull(strstr(a, want));
	free(want);
	xasprintf(&want, "P%ldQ2.", (long)getpid());
	ck_assert_ptr_nonnull(strstr(b, want));
	free(want);
	xasprintf(&p, "%s/tmp", mdp);
	ck_assert_uint_eq(count_dir(p), 0); /* nothing left behind */
	free(p);
	regfree(&re);
	free(a);
	free(b);
	maildir_close(md);
}
END_TEST

/* CRLF pieces, cut at every place, are stored with LF; a lone CR stays. */
START_TEST(test_maildir_crlf)
{
	static const struct {
		const char *pieces[4];
		const char *want;
	} cases[] = {
	    {{"a\r\nb\r\n", NULL}, "a\nb\n"},
	    {{"a\r", "\nb\r\n", NULL}, "a\nb\n"},
	    {{"a\r", "b\r", "\r\n", NULL}, "a\rb\r\n"},
	    {{"x\r", NULL}, "x\r"},
	    {{"\r", "\n", "\r\n", NULL}, "\n\n"},
	    {{"", "no line end", NULL}, "no line end"},
	    {{NULL}, ""},
	};
	struct maildir *md;
	char *err, *name, *p, *got;
	size_t i;

	ck_assert_ptr_nonnull(md = maildir_open(mdp, &err));
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		name = deliver(md, 1, cases[i].pieces);
		xasprintf(&p, "%s/new/%s", mdp, name);
		got = slurp(p);
		ck_assert_msg(strcmp(got, cases[i].want) == 0,
		    "case %zu: got '%s'", i, got);
		free(got);
		free(p);
		free(name);
	}
	/* Without crlf the bytes are kept as they are. */
	{
		static const char *const raw[] = {"a\r\n", NULL};

		name = deliver(md, 0, raw);
		xasprintf(&p, "%s/new/%s", mdp, name);
		got = slurp(p);
		ck_assert_str_eq(got, "a\r\n");
		free(got);
		free(p);
		free(name);
	}
	maildir_close(md);
}
END_TEST

/* A large message written in many pieces arrives whole. */
START_TEST(test_maildir_large)
{
	struct maildir_delivery *d;
	struct maildir *md;
	struct stat sb;
	char *err, *name, *p, piece[1000];
	size_t i;

	memset(piece, 'z', sizeof piece);
	ck_assert_ptr_nonnull(md = maildir_open(mdp, &err));
	ck_assert_ptr_nonnull(d = maildir_deliver_begin(md, 1));
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(
		    maildir_deliver_write(d, piece, sizeof piece), 0);
	ck_assert_int_eq(maildir_deliver_commit(d, &name), 0);
	xasprintf(&p, "%s/new/%s", mdp, name);
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_int_eq(sb.st_size, 1000000);
	free(p);
	free(name);
	maildir_close(md);
}
END_TEST

START_TEST(test_maildir_abort)
{
	struct maildir_delivery *d;
	struct maildir *md;
	char *err, *p;

	ck_assert_ptr_nonnull(md = maildir_open(mdp, &err));
	ck_assert_ptr_nonnull(d = maildir_deliver_begin(md, 1));
	ck_assert_int_eq(maildir_deliver_write(d, "half", 4), 0);
	xasprintf(&p, "%s/tmp", mdp);
	maildir_deliver_abort(d);
	ck_assert_uint_eq(count_dir(p), 0);
	free(p);
	xasprintf(&p, "%s/new", mdp);
	ck_assert_uint_eq(count_dir(p), 0);
	free(p);
	maildir_close(md);
}
END_TEST

START_TEST(test_maildir_list_flags)
{
	static const struct {
		const char *flags;
		const char *want; /* the info after ":2," */
	} cases[] = {
	    {"", ""}, {"S", "S"}, {"SRF", "FRS"}, {"TSRPFD", "DFPRST"},
	    {"SS", "S"}, {"aSb", "Sab"}, /* other tools' keywords stay */
	};
	struct maildir_entry *list;
	struct maildir *md;
	char *err, *name, *path, *np, *want, *p;
	size_t n, i;
	static const char *const pieces[] = {"m\n", NULL};

	ck_assert_ptr_nonnull(md = maildir_open(mdp, &err));
	ck_assert_int_eq(maildir_list(md, &list, &n), 0);
	ck_assert_uint_eq(n, 0);
	maildir_list_free(list, n);

	name = deliver(md, 0, pieces);
	ck_assert_int_eq(maildir_list(md, &list, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(list[0].is_new, 1);
	ck_assert_str_eq(list[0].name, name);
	ck_assert_str_eq(list[0].flags, "");
	xasprintf(&want, "new/%s", name);
	ck_assert_str_eq(list[0].path, want);
	free(want);
	path = xstrdup(list[0].path);
	maildir_list_free(list, n);

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(
		    maildir_set_flags(md, path, cases[i].flags, &np), 0);
		xasprintf(&want, "cur/%s:2,%s", name, cases[i].want);
		ck_assert_str_eq(np, want);
		xasprintf(&p, "%s/%s", mdp, np);
		ck_assert_int_eq(access(p, F_OK), 0);
		free(p);
		free(want);
		free(path);
		path = np;
		ck_assert_int_eq(maildir_list(md, &list, &n), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_int_eq(list[0].is_new, 0);
		ck_assert_str_eq(list[0].name, name);
		ck_assert_str_eq(list[0].flags, cases[i].want);
		maildir_list_free(list, n);
	}
	/* Found in cur/ with its flags; not by a prefix or a bad name. */
	ck_assert_int_eq(maildir_exists(md, name), 1);
	xasprintf(&p, "%.*s", (int)strlen(name) - 1, name);
	ck_assert_int_eq(maildir_exists(md, p), 0);
	free(p);
	ck_assert_int_eq(maildir_exists(md, ""), 0);
	ck_assert_int_eq(maildir_exists(md, "../new"), 0);
	/* maildir_find() gives the path, with a good hint or without. */
	ck_assert_int_eq(maildir_find(md, name, "Sab", &p), 1);
	ck_assert_str_eq(p, path);
	free(p);
	ck_assert_int_eq(maildir_find(md, name, "F", &p), 1);
	ck_assert_str_eq(p, path);
	free(p);
	ck_assert_int_eq(maildir_find(md, "gone", NULL, &p), 0);
	ck_assert_ptr_null(p);
	/* Bad letters and bad paths change nothing. */
	ck_assert_int_eq(maildir_set_flags(md, path, "S1", &np), -1);
	ck_assert_ptr_null(np);
	ck_assert_str_eq(maildir_error(md), "unknown Maildir flag '1'");
	ck_assert_int_eq(maildir_set_flags(md, "tmp/x", "S", NULL), -1);
	ck_assert_int_eq(maildir_set_flags(md, "cur/../x", "S", NULL), -1);
	ck_assert_int_eq(maildir_set_flags(md, "new/", "S", NULL), -1);
	ck_assert_int_eq(maildir_set_flags(md, "new/gone", "S", NULL), -1);
	ck_assert_ptr_nonnull(strstr(maildir_error(md), "cannot set flags"));
	free(path);
	free(name);

	/* Listing: new/ first, then cur/, each sorted. */
	name = deliver(md, 0, pieces);
	free(name);
	ck_assert_int_eq(maildir_list(md, &list, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(list[0].is_new, 1);
	ck_assert_int_eq(list[1].is_new, 0);
	maildir_list_free(list, n);
	maildir_close(md);
}
END_TEST

START_TEST(test_maildir_clean_tmp)
{
	struct maildir *md;
	struct utimbuf ut;
	char *err, *old, *fresh, *dir;
	size_t removed = 9;
	int fd;

	ck_assert_ptr_nonnull(md = maildir_open(mdp, &err));
	ck_assert_int_eq(maildir_clean_tmp(md, 129600, &removed), 0);
	ck_assert_uint_eq(removed, 0);
	xasprintf(&old, "%s/tmp/old", mdp);
	xasprintf(&fresh, "%s/tmp/fresh", mdp);
	xasprintf(&dir, "%s/tmp/adir", mdp);
	ck_assert_int_ne(fd = open(old, O_WRONLY | O_CREAT, 0600), -1);
	close(fd);
	ck_assert_int_ne(fd = open(fresh, O_WRONLY | O_CREAT, 0600), -1);
	close(fd);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	/* 37 hours old, and a directory as old: only the file goes. */
	ut.actime = ut.modtime = time(NULL) - 37 * 3600;
	ck_assert_int_eq(utime(old, &ut), 0);
	ck_assert_int_eq(utime(dir, &ut), 0);
	ck_assert_int_eq(maildir_clean_tmp(md, 129600, &removed), 0);
	ck_assert_uint_eq(removed, 1);
	ck_assert_int_eq(access(old, F_OK), -1);
	ck_assert_int_eq(access(fresh, F_OK), 0);
	ck_assert_int_eq(access(dir, F_OK), 0);
	/* 35 hours is not stale. */
	ut.actime = ut.modtime = time(NULL) - 35 * 3600;
	ck_assert_int_eq(utime(fresh, &ut), 0);
	ck_assert_int_eq(maildir_clean_tmp(md, 129600, NULL), 0);
	ck_assert_int_eq(access(fresh, F_OK), 0);
	free(old);
	free(fresh);
	free(dir);
	maildir_close(md);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;
	SRunner *sr;
	int failed;

	s = suite_create("maildir");
	tc = tcase_create("maildir");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_maildir_edge);
	tcase_add_test(tc, test_maildir_default_path);
	tcase_add_test(tc, test_maildir_open_modes);
	tcase_add_test(tc, test_maildir_names);
	tcase_add_test(tc, test_maildir_crlf);
	tcase_add_test(tc, test_maildir_large);
	tcase_add_test(tc, test_maildir_abort);
	tcase_add_test(tc, test_maildir_list_flags);
	tcase_add_test(tc, test_maildir_clean_tmp);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
