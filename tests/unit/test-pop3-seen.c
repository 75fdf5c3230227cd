/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/engine/pop3-seen.c and the batch delivery of src/engine/maildir.c it
 * relies on: edge inputs first, then the tag in Maildir names (and what is
 * not one), records across a close, a damaged state moved aside, and a
 * batch committed into new/ with its names tagged. */

#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/maildir.h"
#include "engine/pop3-seen.h"
#include "xmalloc.h"

static char *tmp; /* this test's directory */

static int rm_entry(const char *, const struct stat *, int, struct FTW *);
static void setup(void);
static void teardown(void);
static int collect(const char *, int64_t, void *);

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
	xasprintf(&tmp, "%s/errand-test-pop3-seen-XXXXXX", t);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void
teardown(void)
{
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
}

/* Appends "id=time;" for each record; stops at "stop". */
static int
collect(const char *id, int64_t at, void *arg)
{
	char **acc = arg, *t;

	if (strcmp(id, "stop") == 0)
		return 7;
	xasprintf(&t, "%s%s=%lld;", *acc, id, (long long)at);
	free(*acc);
	*acc = t;
	return 0;
}

START_TEST(test_pop3_seen_tags)
{
	static const struct {
		const char *name;
		int ok;
	} cases[] = {
	    {"1.M1P1Q1.host,P=0123456789abcdef0123456789abcdef", 1},
	    {"1.M1P1Q1.host,P=0123456789abcdef0123456789abcdef:2,S", 1},
	    {"1.M1P1Q1.host,S=12,P=0123456789abcdef0123456789abcdef,W=14", 1},
	    {"1.M1P1Q1.host", 0}, {"", 0}, {",P=", 0},
	    {"1.host,P=0123456789abcdef0123456789abcde", 0},      /* 31 */
	    {"1.host,P=0123456789abcdef0123456789abcdef0", 0},    /* 33 */
	    {"1.host,P=0123456789ABCDEF0123456789abcdef", 0},     /* upper */
	    {"1.host:2,S,P=0123456789abcdef0123456789abcdef", 0}, /* info */
	};
	char tag[POP3_SEEN_TAG_LEN + 1], suffix[POP3_SEEN_TAG_LEN + 4];
	char *name;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(
		    pop3_seen_name_tag(cases[i].name, tag) == cases[i].ok,
		    "case %zu: '%s'", i, cases[i].name);
		if (cases[i].ok)
			ck_assert_str_eq(
			    tag, "0123456789abcdef0123456789abcdef");
	}
	/* SHA-256 of "uidl-1", its first 16 bytes. */
	pop3_seen_tag("uidl-1", tag);
	ck_assert_uint_eq(strlen(tag), POP3_SEEN_TAG_LEN);
	pop3_seen_suffix("uidl-1", suffix);
	ck_assert_int_eq(strncmp(suffix, ",P=", 3), 0);
	ck_assert_str_eq(suffix + 3, tag);
	xasprintf(&name, "1700000000.M1P2Q3.host%s:2,RS", suffix);
	ck_assert_int_eq(pop3_seen_name_tag(name, tag), 1);
	ck_assert_str_eq(suffix + 3, tag);
	free(name);
	pop3_seen_tag("uidl-2", tag);
	ck_assert_str_ne(suffix + 3, tag);
}
END_TEST

START_TEST(test_pop3_seen_records)
{
	struct pop3_seen *s;
	char *err, *note, *acc, *bad;
	int created;

	/* A directory that cannot hold it. */
	xasprintf(&bad, "%s/no/such/dir", tmp);
	ck_assert_ptr_null(pop3_seen_open(bad, &created, &note, &err));
	ck_assert_ptr_nonnull(strstr(err, "cannot open '"));
	ck_assert_ptr_null(note);
	free(err);
	free(bad);

	ck_assert_ptr_nonnull(s = pop3_seen_open(tmp, &created, &note, &err));
	ck_assert_int_eq(created, 1);
	ck_assert_ptr_null(note);
	ck_assert_int_eq(pop3_seen_add(s, NULL, 1), -1);
	ck_assert_int_eq(pop3_seen_add(s, "", 1), -1);
	ck_assert_int_eq(pop3_seen_begin(s), 0);
	ck_assert_int_eq(pop3_seen_add(s, "b", 20), 0);
	ck_assert_int_eq(pop3_seen_add(s, "a", 10), 0);
	ck_assert_int_eq(pop3_seen_add(s, "gone", 30), 0);
	ck_assert_int_eq(pop3_seen_commit(s), 0);
	/* Rolled back: not there after a close. */
	ck_assert_int_eq(pop3_seen_begin(s), 0);
	ck_assert_int_eq(pop3_seen_add(s, "rolled", 40), 0);
	pop3_seen_rollback(s);
	ck_assert_int_eq(pop3_seen_remove(s, "gone"), 0);
	ck_assert_int_eq(pop3_seen_remove(s, "never"), 0);
	pop3_seen_close(s);
	pop3_seen_close(NULL);

	ck_assert_ptr_nonnull(s = pop3_seen_open(tmp, &created, &note, &err));
	ck_assert_int_eq(created, 0);
	acc = xstrdup("");
	ck_assert_int_eq(pop3_seen_foreach(s, collect, &acc), 0);
	ck_assert_str_eq(acc, "a=10;b=20;");
	ck_assert_int_eq(pop3_seen_add(s, "stop", 1), 0);
	ck_assert_int_eq(pop3_seen_foreach(s, collect, &acc), 7);
	free(acc);
	pop3_seen_close(s);
}
END_TEST

START_TEST(test_pop3_seen_damaged)
{
	struct pop3_seen *s;
	char *err, *note, *path, *aside;
	FILE *fp;
	int created, i;

	xasprintf(&path, "%s/%s", tmp, POP3_SEEN_FILE);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	for (i = 0; i < 400; i++)
		fputs("this is not an SQLite database\n", fp);
	fclose(fp);
	ck_assert_ptr_nonnull(s = pop3_seen_open(tmp, &created, &note, &err));
	ck_assert_int_eq(created, 1);
	ck_assert_ptr_nonnull(note);
	ck_assert_ptr_nonnull(strstr(note, "was damaged"));
	xasprintf(&aside, "and was moved to '%s.damaged-", path);
	ck_assert_ptr_nonnull(strstr(note, aside));
	free(note);
	ck_assert_int_eq(pop3_seen_add(s, "x", 1), 0);
	pop3_seen_close(s);
	free(aside);
	free(path);
}
END_TEST

START_TEST(test_pop3_seen_batch)
{
	struct maildir_delivery *v[3];
	struct maildir_entry *list;
	struct maildir *md;
	char suffix[POP3_SEEN_TAG_LEN + 4], tag[POP3_SEEN_TAG_LEN + 1];
	char *names[3], *err, *p;
	size_t ok, n, i;

	xasprintf(&p, "%s/md", tmp);
	ck_assert_ptr_nonnull(md = maildir_open(p, &err));
	free(p);
	ck_assert_int_eq(maildir_deliver_commit_many(v, 0, names, &ok), 0);
	ck_assert_uint_eq(ok, 0);
	for (i = 0; i < 3; i++) {
		xasprintf(&p, "id-%zu", i);
		pop3_seen_suffix(p, suffix);
		free(p);
		ck_assert_ptr_nonnull(
		    v[i] = maildir_deliver_begin_suffix(md, 1, suffix));
		ck_assert_int_eq(
		    maildir_deliver_write(v[i], "Subject: x\r", 11), 0);
		ck_assert_int_eq(
		    maildir_deliver_write(v[i], "\n\r\nbody\r\n", 9), 0);
	}
	/* Nothing in new/ before the commit. */
	ck_assert_int_eq(maildir_list(md, &list, &n), 0);
	ck_assert_uint_eq(n, 0);
	maildir_list_free(list, n);
	ck_assert_int_eq(maildir_deliver_commit_many(v, 3, names, &ok), 0);
	ck_assert_uint_eq(ok, 3);
	ck_assert_int_eq(maildir_list(md, &list, &n), 0);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_ptr_null(v[i]);
		ck_assert_int_eq(maildir_exists(md, names[i]), 1);
		ck_assert_int_eq(pop3_seen_name_tag(names[i], tag), 1);
		xasprintf(&p, "id-%zu", i);
		pop3_seen_suffix(p, suffix);
		free(p);
		ck_assert_str_eq(tag, suffix + 3);
		ck_assert_int_eq(
		    maildir_read(md, list[i].path, 100, (void **)&p, &ok), 0);
		ck_assert_str_eq(p, "Subject: x\n\nbody\n");
		free(p);
		free(names[i]);
	}

	/* A suffix added to a file in cur/ goes before its flags. */
	ck_assert_int_eq(maildir_set_flags(md, list[0].path, "S", &p), 0);
	ck_assert_int_eq(maildir_add_suffix(md, p, ",P=x", &err), 0);
	ck_assert_ptr_nonnull(strstr(err, ",P=x:2,S"));
	ck_assert_int_eq(strncmp(err, "cur/", 4), 0);
	free(p);
	free(err);
	ck_assert_int_eq(maildir_add_suffix(md, "cur/nosuch", ",P=y", &p), -1);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(maildir_add_suffix(md, "../x", ",P=y", &p), -1);
	maildir_list_free(list, n);

	/* new/ is not a directory: nothing is renamed, nothing is safe, and
	 * nothing stays in tmp/. */
	for (i = 0; i < 3; i++) {
		ck_assert_ptr_nonnull(v[i] = maildir_deliver_begin(md, 0));
		ck_assert_int_eq(maildir_deliver_write(v[i], "a\n", 2), 0);
	}
	xasprintf(&p, "%s/md/new", tmp);
	xasprintf(&err, "%s/md/new.moved", tmp);
	ck_assert_int_eq(rename(p, err), 0);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(rmdir(p), 0);
	fclose(fopen(p, "w"));
	ck_assert_int_eq(maildir_deliver_commit_many(v, 3, names, &ok), -1);
	ck_assert_uint_eq(ok, 0);
	ck_assert_ptr_nonnull(strstr(maildir_error(md), "cannot move '"));
	for (i = 0; i < 3; i++) {
		ck_assert_ptr_null(v[i]);
		ck_assert_ptr_null(names[i]);
	}
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(rename(err, p), 0);
	free(p);
	free(err);
	xasprintf(&p, "%s/md/tmp", tmp);
	ck_assert_int_eq(rmdir(p), 0); /* empty */
	free(p);
	maildir_close(md);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pop3-seen");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pop3_seen_tags);
	tcase_add_test(tc, test_pop3_seen_records);
	tcase_add_test(tc, test_pop3_seen_damaged);
	tcase_add_test(tc, test_pop3_seen_batch);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
