/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/engine/pattern.c: edge inputs first, then a table of patterns
 * run by pattern_scan() over five messages in a real store (some bodies
 * cached, some not), every parse error with its column, and the IMAP SEARCH
 * translation. */

#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/pattern.h"
#include "xmalloc.h"
#include "cache/store.h"

#define USER "me@example.org"

static char *tmp;        /* this test's directory */
static struct store *st; /* its store */
static int64_t folder;   /* INBOX */
static int64_t now;      /* 05/12/2026 12:00 UTC */

static int rm_entry(const char *, const struct stat *, int, struct FTW *);
static int64_t day(int, int, int, int);
static void setup(void);
static void teardown(void);
static int tagged(uint32_t, void *);
static int collect(uint32_t, enum pattern_result, void *);
static char *run(const char *);

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* DD/MM/YYYY HH:00 UTC. */
static int64_t
day(int d, int m, int y, int h)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_mday = d;
	tm.tm_mon = m - 1;
	tm.tm_year = y - 1900;
	tm.tm_hour = h;
	return (int64_t)timegm(&tm);
}

/* Five messages; UID 2 tagged, bodies of 1, 2 and 5 cached. */
static void
setup(void)
{
	static const char *const body1 =
	    "From: Alice Smith <alice@example.org>\n"
	    "Sender: list@lists.example\n"
	    "X-Mailer: mutt\n"
	    "Subject: Quarterly report\n"
	    "\n"
	    "The numbers are attached.\n";
	static const char *const body2 = "From: Bob <bob@example.com>\n"
	                                 "Subject: Re: Quarterly report\n"
	                                 "\n"
	                                 "Looks GOOD to me.\n";
	static const char *const body5 = "Subject: x\r\n\r\nbody with CRLF\r\n";
	struct store_folder f = {.name = "INBOX", .delim = "/"};
	struct store_msg m[5];
	char *path, *err;
	const char *t;
	size_t i;

	setenv("TZ", "UTC", 1);
	tzset();
	now = day(5, 12, 2026, 12);
	t = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	xasprintf(&tmp, "%s/errand-test-pattern-XXXXXX", t);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	xasprintf(&path, "%s/acct.db", tmp);
	st = store_open(path, &err);
	ck_assert_ptr_nonnull(st);
	free(path);
	ck_assert_int_eq(store_folder_upsert(st, &f, &folder), 0);

	memset(m, 0, sizeof m);
	m[0].uid = 1;
	m[0].flags = STORE_FLAG_SEEN;
	m[0].date = day(1, 12, 2026, 10);
	m[0].size = 2000;
	m[0].from_name = "Alice Smith";
	m[0].from_addr = "alice@example.org";
	m[0].to_addr = "me@example.org";
	m[0].subject = "Quarterly report";
	m[0].message_id = "a1@example.org";

	m[1].uid = 2;
	m[1].flags = STORE_FLAG_SEEN | STORE_FLAG_ANSWERED;
	m[1].date = day(3, 12, 2026, 10);
	m[1].size = 15000;
	m[1].from_name = "Bob";
	m[1].from_addr = "bob@example.com";
	m[1].to_addr = "alice@example.org, me@example.org";
	m[1].cc = "carol@example.net";
	m[1].subject = "Re: Quarterly report";
	m[1].message_id = "b2@example.com";
	m[1].in_reply_to = "a1@example.org";
	m[1].refs = "a1@example.org";

	m[2].uid = 3;
	m[2].flags = STORE_FLAG_FLAGGED;
	m[2].keywords = "$Work todo";
	m[2].date = day(4, 12, 2026, 11);
	m[2].size = 500;
	m[2].from_name = "me";
	m[2].from_addr = "me@example.org";
	m[2].to_addr = "bob@example.com";
	m[2].subject = "lunch?";

	m[3].uid = 4;
	m[3].flags = STORE_FLAG_SEEN | STORE_FLAG_DELETED;
	m[3].date = day(10, 11, 2026, 10);
	m[3].size = 3 * 1024 * 1024;
	m[3].from_name = "Carol";
	m[3].from_addr = "carol@example.net";
	m[3].to_addr = "team@example.net";
	m[3].cc = "me@example.org";
	m[3].subject = "Report: \xc3\x89T\xc3\x89 \xc3\xa9t\xc3\xa9";

	m[4].uid = 5;
	m[4].internaldate = day(5, 12, 2026, 8);
	m[4].size = 1024;
	m[4].from_addr = "alice@example.org";

	for (i = 0; i < 5; i++) {
		if (m[i].internaldate == 0)
			m[i].internaldate = m[i].date + 300;
		ck_assert_int_eq(store_msg_put(st, folder, &m[i]), 0);
	}
	ck_assert_int_eq(
	    store_body_put(st, folder, 1, body1, strlen(body1)), 0);
	ck_assert_int_eq(
	    store_body_put(st, folder, 2, body2, strlen(body2)), 0);
	ck_assert_int_eq(
	    store_body_put(st, folder, 5, body5, strlen(body5)), 0);
}

static void
teardown(void)
{
	store_close(st);
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
}

static int
tagged(uint32_t uid, void *arg)
{
	(void)arg;
	return uid == 2;
}

/* Marks uid's result in a table of 6 (index = UID). */
static int
collect(uint32_t uid, enum pattern_result r, void *arg)
{
	char *seen = arg;

	ck_assert_uint_le(uid, 5);
	seen[uid] = r == PATTERN_YES ? 'y' : '?';
	return 0;
}

/* The UIDs the pattern matches, ascending, "N?" for those whose body it
 * needs and the cache does not hold; "ERR: message" for an error. */
static char *
run(const char *s)
{
	struct pattern_opts o = {.user = USER, .now = now};
	struct pattern *p;
	char seen[6], buf[64], *err, *got;
	size_t len = 0, i;

	if ((p = pattern_compile(s, &o, &err)) == NULL) {
		xasprintf(&got, "ERR: %s", err);
		free(err);
		return got;
	}
	memset(seen, 0, sizeof seen);
	ck_assert_int_eq(
	    pattern_scan(st, folder, p, tagged, NULL, collect, seen), 0);
	pattern_free(p);
	buf[0] = '\0';
	for (i = 1; i <= 5; i++) {
		if (seen[i] == 0)
			continue;
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%zu%s",
		    len > 0 ? " " : "", i, seen[i] == '?' ? "?" : "");
	}
	return xstrdup(buf);
}

START_TEST(test_pattern_edge)
{
	struct store_msg m;
	struct pattern_row row;
	struct pattern *p;
	char *err;

	/* NULL row: no tag and no body; the body is then unknown */
	memset(&m, 0, sizeof m);
	m.from_name = m.from_addr = m.to_addr = m.cc = m.subject = "";
	m.message_id = m.in_reply_to = m.refs = m.keywords = "";
	p = pattern_compile("~b x", NULL, &err);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(pattern_needs_body(p), 1);
	ck_assert_int_eq(pattern_needs_tags(p), 0);
	ck_assert_int_eq(pattern_match(p, &m, NULL), PATTERN_BODY);
	memset(&row, 0, sizeof row);
	row.raw = "\n\nx";
	row.rawlen = 3;
	ck_assert_int_eq(pattern_match(p, &m, &row), PATTERN_YES);
	row.rawlen = 2; /* the length counts, not a NUL */
	ck_assert_int_eq(pattern_match(p, &m, &row), PATTERN_NO);
	pattern_free(p);
	p = pattern_compile("~T", NULL, &err);
	ck_assert_int_eq(pattern_needs_tags(p), 1);
	ck_assert_int_eq(pattern_match(p, &m, NULL), PATTERN_NO);
	pattern_free(p);
	/* no user: ~P and ~p match nothing */
	p = pattern_compile("~P | ~p", NULL, &err);
	ck_assert_int_eq(pattern_match(p, &m, NULL), PATTERN_NO);
	pattern_free(p);
	pattern_free(NULL);
	/* a long pattern */
	{
		char *big = xmalloc(100001);

		memset(big, 'a', 100000);
		big[100000] = '\0';
		p = pattern_compile(big, NULL, &err);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(pattern_match(p, &m, NULL), PATTERN_NO);
		pattern_free(p);
		free(big);
	}
}
END_TEST

static const struct {
	const char *pattern, *want;
} match_cases[] = {
    {"~A", "1 2 3 4 5"},
    {"alice", "1 5"},
    {"report", "1 2 4"},
    {"Report", "4"},
    {"~f alice", "1 5"},
    {"~f Alice", "1"},
    {"~f alice ~s report", "1"},
    {"~f alice ~s report !~F", "1"},
    {"~s report !~R", ""},
    {"~t me@example.org", "1 2"},
    {"~c me@", "4"},
    {"~C carol", "2"},
    {"~C me@example", "1 2 4"},
    {"~s '^re:'", "2"},
    {"~s 'report$'", "1 2"},
    {"~s 'rep.rt'", "1 2 4"},
    {"=s rep.rt", ""},
    {"~s \"lunch?\"", "3"},
    {"=s lunch?", "3"},
    {"~s \xc3\xa9t\xc3\xa9", "4"},
    {"~i b2@", "2"},
    {"~i 'a1@example\\.org'", "1"},
    {"~x a1@example.org", "2"},
    {"~y todo", "3"},
    {"~y Work", "3"},
    {"~y work", "3"},
    {"~y WORK", ""},
    {"~b numbers", "1 3? 4?"},
    {"~b GOOD", "2 3? 4?"},
    {"~b good", "2 3? 4?"},
    {"~f alice ~b numbers", "1"},
    {"~B X-Mailer", "1 3? 4?"},
    {"~b X-Mailer", "3? 4?"},
    {"~h 'X-Mailer: mutt'", "1 3? 4?"},
    {"~e lists.example", "1 3? 4?"},
    {"~e alice", "3? 4?"},
    {"~b crlf", "3? 4? 5"},
    {"~h crlf", "3? 4?"},
    {"!~b numbers", "2 3? 4? 5"},
    {"~b numbers | ~F", "1 3 4?"},
    {"~N", "3 5"},
    {"~U", "3 5"},
    {"~O", ""},
    {"~R", "1 2 4"},
    {"~F", "3"},
    {"~D", "4"},
    {"~T", "2"},
    {"!~T ~R", "1 4"},
    {"~Q", "2"},
    {"~P", "3"},
    {"~p", "1 2 4"},
    {"!~P ~p", "1 2 4"},
    {"~z <1K", "3"},
    {"~z >1M", "4"},
    {"~z 1K", "5"},
    {"~z 1k-2000", "1 5"},
    {"~z -1K", "3 5"},
    {"~z 10K-", "2 4"},
    {"~d 01/12/2026", "1"},
    {"~d 01/12/2026-03/12/2026", "1 2"},
    {"~d 1/12/2026-3/12", "1 2"},
    {"~d -30/11/2026", "4"},
    {"~d 03/12/2026-", "2 3 5"},
    {"~d <3d", "2 3 5"},
    {"~d<3d", "2 3 5"},
    {"~d >2w", "4"},
    {"~d =1d", "3"},
    {"~d =25d", "4"},
    {"~d <20d", "1 2 3 5"},
    {"~d <1m", "1 2 3 4 5"},
    {"~d >1y", ""},
    {"~r 01/12/2026", "1"},
    {"~r 05/12/26", "5"},
    {"(~f alice | ~f bob) ~s report", "1 2"},
    {"~f alice | ~f bob ~s lunch", "1 5"},
    {"!(~f alice | ~f bob)", "3 4"},
    {"!!~F", "3"},
    {"~s 'quarterly report'", "1 2"},
    {"~s \"quarterly report\"", "1 2"},
    {"~s quarterly\\ report", "1 2"},
    {"'quarterly report'", "1 2"},
    {"~s (lunch)", "3"},
    {"(~s lunch)", "3"},
    {"( ~s lunch )", "3"},
    {"~s '(re|qu)'", "1 2 4"},
    {"~s ''", "1 2 3 4 5"},
    {"=f ALICE", ""},
    {"~f alice@example.org !~s report", "5"},
    {"~f \"Alice Smith\"", "1"},
    {"~A !~A", ""},
    {"~F|~D", "3 4"},
    {"  ~F   |   ~D  ", "3 4"},
};

START_TEST(test_pattern_match_table)
{
	size_t i;
	char *got;

	for (i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
		got = run(match_cases[i].pattern);
		ck_assert_msg(strcmp(got, match_cases[i].want) == 0,
		    "pattern \"%s\": got \"%s\", want \"%s\"",
		    match_cases[i].pattern, got, match_cases[i].want);
		free(got);
	}
}
END_TEST

static const struct {
	const char *pattern, *want;
} error_cases[] = {
    {"", "pattern: empty pattern"},
    {"   ", "pattern: empty pattern"},
    {"~Z", "pattern: unknown term '~Z' at column 1"},
    {"~f alice ~Z", "pattern: unknown term '~Z' at column 10"},
    {"\xc3\xa9t\xc3\xa9 ~Z", "pattern: unknown term '~Z' at column 5"},
    {"~f", "pattern: '~f' needs an argument at column 1"},
    {"~z", "pattern: '~z' needs an argument at column 1"},
    {"~s report | ", "pattern: '|' needs a term after it at column 11"},
    {"~F | | ~D", "pattern: '|' needs a term after it at column 4"},
    {"| ~F", "pattern: '|' needs a term before it at column 1"},
    {"(~F", "pattern: unmatched '(' at column 1"},
    {"~F (~D | (~N)", "pattern: unmatched '(' at column 4"},
    {"~F )", "pattern: unmatched ')' at column 4"},
    {")", "pattern: unmatched ')' at column 1"},
    {"!", "pattern: '!' needs a term after it at column 1"},
    {"~F !", "pattern: '!' needs a term after it at column 4"},
    {"~s 'abc", "pattern: unclosed single quote at column 4"},
    {"~s \"abc", "pattern: unclosed double quote at column 4"},
    {"~s 'a'b",
        "pattern: a space is needed after a quoted string at "
        "column 7"},
    {"~d 32/12/2026",
        "pattern: bad date '32/12/2026' (DD/MM/YYYY, a "
        "range D1-D2, or <3d, >2w) at column 1"},
    {"~d 31/02/2026",
        "pattern: bad date '31/02/2026' (DD/MM/YYYY, a "
        "range D1-D2, or <3d, >2w) at column 1"},
    {"~F ~r 1/13/2026",
        "pattern: bad date '1/13/2026' (DD/MM/YYYY, a "
        "range D1-D2, or <3d, >2w) at column 4"},
    {"~d 01/12/2026-x",
        "pattern: bad date '01/12/2026-x' (DD/MM/YYYY, "
        "a range D1-D2, or <3d, >2w) at column 1"},
    {"~d <3x",
        "pattern: bad relative date '<3x' (e.g. <3d, >2w, =1m) at "
        "column 1"},
    {"~d <d",
        "pattern: bad relative date '<d' (e.g. <3d, >2w, =1m) at "
        "column 1"},
    {"~d 05/12/2026-01/12/2026",
        "pattern: date range "
        "'05/12/2026-01/12/2026' ends before it "
        "begins at column 1"},
    {"~d -", "pattern: bad date range '-' at column 1"},
    {"~z 1Q", "pattern: bad size '1Q' (e.g. <10K, >1M, 10K-1M) at column 1"},
    {"~z <", "pattern: bad size '<' (e.g. <10K, >1M, 10K-1M) at column 1"},
    {"~z 2M-1K",
        "pattern: size range '2M-1K' ends before it begins at "
        "column 1"},
    {"~Fx", "pattern: unknown term '~Fx' at column 1"},
    {"~fx", "pattern: unknown term '~fx' at column 1"},
    {"=F", "pattern: unknown term '=F' at column 1"},
    {"=d 01/12/2026", "pattern: unknown term '=d' at column 1"},
    {"~", "pattern: '~' needs a letter after it at column 1"},
    {"~F =", "pattern: '=' needs a letter after it at column 4"},
    {"()", "pattern: empty '()' at column 1"},
};

START_TEST(test_pattern_errors)
{
	struct pattern *p;
	size_t i;
	char *err, *deep;

	for (i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		p = pattern_compile(error_cases[i].pattern, NULL, &err);
		ck_assert_msg(p == NULL, "pattern \"%s\" compiled",
		    error_cases[i].pattern);
		ck_assert_msg(strcmp(err, error_cases[i].want) == 0,
		    "pattern \"%s\": got \"%s\", want \"%s\"",
		    error_cases[i].pattern, err, error_cases[i].want);
		free(err);
	}
	/* a bad regular expression: regerror()'s words are the libc's */
	p = pattern_compile("~F ~s 'a('", NULL, &err);
	ck_assert_ptr_null(p);
	ck_assert_msg(
	    strncmp(err, "pattern: bad regular expression 'a(' (", 38) == 0 &&
	        strstr(err, ") at column 4") != NULL,
	    "%s", err);
	free(err);
	/* nesting has a bound: the 65th '(' */
	deep = xmalloc(200);
	memset(deep, '(', 70);
	memcpy(deep + 70, "~A", 2);
	memset(deep + 72, ')', 70);
	deep[142] = '\0';
	p = pattern_compile(deep, NULL, &err);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err, "pattern: nested too deep at column 65");
	free(err);
	memset(deep, '!', 100);
	memcpy(deep + 100, "~A", 3);
	p = pattern_compile(deep, NULL, &err);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err, "pattern: nested too deep at column 65");
	free(err);
	free(deep);
}
END_TEST

static const struct {
	const char *pattern, *want;
} imap_cases[] = {
    {"~b numbers", "BODY \"numbers\""},
    {"~f alice ~s report", "(FROM \"alice\" SUBJECT \"report\")"},
    {"~b a | !~B b", "OR BODY \"a\" NOT TEXT \"b\""},
    {"~C x", "OR TO \"x\" CC \"x\""},
    {"~h 'X-Mailer: mutt'", "HEADER X-Mailer \"mutt\""},
    {"~e list ~i id ~x ref",
        "((HEADER Sender \"list\" HEADER Message-ID \"id\") "
        "HEADER References \"ref\")"},
    {"~d 01/12/2026-03/12/2026", "SENTSINCE 1-Dec-2026 SENTBEFORE 4-Dec-2026"},
    {"~r -03/12/2026", "BEFORE 4-Dec-2026"},
    {"~z >1M", "LARGER 1048576"},
    {"~z <1K", "SMALLER 1024"},
    {"~z 1K-2K", "LARGER 1023 SMALLER 2049"},
    {"~N ~F", "(UNSEEN FLAGGED)"},
    {"~R | ~D | ~Q | ~A", "OR OR OR SEEN DELETED ANSWERED ALL"},
    {"alice", "OR FROM \"alice\" SUBJECT \"alice\""},
    {"~b \xc3\xa9t\xc3\xa9", "CHARSET UTF-8 BODY \"\xc3\xa9t\xc3\xa9\""},
    {"=b 'say \"hi\\'", "BODY \"say \\\"hi\\\\\""},
    {"~T", "ERR: cannot translate '~T' at column 1 to an IMAP search"},
    {"~b x ~s '^re'",
        "ERR: cannot translate '~s' at column 6 to an IMAP "
        "search (a regular expression)"},
    {"~d <3d", "ERR: cannot translate '~d' at column 1 to an IMAP search"},
    {"~h mutt", "ERR: cannot translate '~h' at column 1 to an IMAP search"},
    {"~P", "ERR: cannot translate '~P' at column 1 to an IMAP search"},
};

START_TEST(test_pattern_imap)
{
	struct pattern *p;
	size_t i;
	char *err, *got;

	for (i = 0; i < sizeof imap_cases / sizeof imap_cases[0]; i++) {
		p = pattern_compile(imap_cases[i].pattern, NULL, &err);
		ck_assert_msg(p != NULL, "%s", err);
		if ((got = pattern_imap(p, &err)) == NULL) {
			xasprintf(&got, "ERR: %s", err);
			free(err);
		}
		ck_assert_msg(strcmp(got, imap_cases[i].want) == 0,
		    "pattern \"%s\": got \"%s\", want \"%s\"",
		    imap_cases[i].pattern, got, imap_cases[i].want);
		free(got);
		pattern_free(p);
	}
}
END_TEST

/* Random strings of the language's characters: each compiles or fails with
 * a message naming a column, and what compiles matches and translates
 * without a fault (ASan runs this too). */
START_TEST(test_pattern_garbage)
{
	static const char alpha[] = "~=!|()'\"\\ -<>/0123456789dKMfsbBhTAzr"
	                            "x.*[]^$a\xc3\xa9";
	struct pattern_opts o = {.user = USER, .now = now};
	struct store_msg m;
	struct pattern_row row;
	struct pattern *p;
	char s[24], *err, *q;
	unsigned int seed = 4711;
	size_t i, j, len;

	memset(&m, 0, sizeof m);
	m.from_name = m.from_addr = m.to_addr = m.cc = m.subject = "a";
	m.message_id = m.in_reply_to = m.refs = m.keywords = "";
	memset(&row, 0, sizeof row);
	row.raw = "Sender: x\n\nbody";
	row.rawlen = strlen(row.raw);
	for (i = 0; i < 20000; i++) {
		len = (size_t)(rand_r(&seed) % (sizeof s - 1));
		for (j = 0; j < len; j++)
			s[j] = alpha[rand_r(&seed) % (sizeof alpha - 1)];
		s[len] = '\0';
		if ((p = pattern_compile(s, &o, &err)) == NULL) {
			ck_assert_msg(strncmp(err, "pattern: ", 9) == 0 &&
			        (strstr(err, " at column ") != NULL ||
			            strcmp(err, "pattern: empty pattern") == 0),
			    "\"%s\": %s", s, err);
			free(err);
			continue;
		}
		(void)pattern_match(p, &m, &row);
		(void)pattern_match(p, &m, NULL);
		if ((q = pattern_imap(p, &err)) != NULL)
			free(q);
		else
			free(err);
		pattern_free(p);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pattern");
	TCase *tc = tcase_create("pattern");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pattern_edge);
	tcase_add_test(tc, test_pattern_match_table);
	tcase_add_test(tc, test_pattern_errors);
	tcase_add_test(tc, test_pattern_imap);
	tcase_add_test(tc, test_pattern_garbage);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
