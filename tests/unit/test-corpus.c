/* errand: a terminal mail user agent. See LICENSE.
 * The real-world corpus (tests/data/corpus) against src/content/mime.c: for every
 * message, Subject and the first From mailbox must match what Python's email
 * package decoded (expect.tsv, made by tests/data/corpus-tsv.py). */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/mime.h"
#include "content/text.h"
#include "xmalloc.h"

/* One line of expect.tsv. */
struct corpus_record {
	char *path;
	int soft; /* Python reported defects: a hint, not an oracle */
	char *subject;
	char *from_name;
	char *from_addr;
};

/*
 * Non-soft records where errand is right and Python is not, with errand's
 * value. A difference here that goes away, or changes, fails the test, so
 * the list stays true.
 */
/*
 * "From: addr (Full Name)", the old style of RFC 822: the comment is the only
 * name the sender gave. GMime, mutt and Thunderbird show it; Python drops
 * comments and gives no name.
 */
#define COMMENT_NAME "the name is in a comment"

static const struct {
	const char *path;
	const char *field; /* "subject", "from_name" or "from_addr" */
	const char *value; /* what errand gives */
	const char *reason;
} corpus_exceptions[] = {
    {"mimekit/UnitTests/TestData/mbox/content-length.mbox.txt.split/0020.eml",
        "from_name", "Dan Werbel", COMMENT_NAME},
    {"mimekit/UnitTests/TestData/mbox/content-length.mbox.txt.split/0024.eml",
        "from_name", "John T. Gildred", COMMENT_NAME},
    {"mimekit/UnitTests/TestData/mbox/content-length.mbox.txt.split/0027.eml",
        "from_name", "John T. Gildred", COMMENT_NAME},
    {"mimekit/UnitTests/TestData/mbox/content-length.mbox.txt.split/0029.eml",
        "from_name", "Dr. Mark K. Joseph", COMMENT_NAME},
    {"mimekit/UnitTests/TestData/messages/bounce.txt", "from_name",
        "Mail Delivery System", COMMENT_NAME},
    {"postal-mime/test/fixtures/bounce.eml", "from_name",
        "Mail Delivery System", COMMENT_NAME},
    {"ruby-mail/spec/fixtures/emails/multipart_report_emails/"
     "multi_address_bounce1.eml",
        "from_name", "Mail Delivery System", COMMENT_NAME},
    {"spamassassin-tdata/t/data/nice.mbox.split/0002.eml", "from_name",
        "Nathaniel Borenstein", COMMENT_NAME},
    {"spamassassin-tdata/t/data/nice/mime2", "from_name",
        "Nathaniel Borenstein", COMMENT_NAME},
    {"spamassassin-tdata/t/data/nice/mime3", "from_name",
        "Nathaniel Borenstein", COMMENT_NAME},
    {"spamassassin-tdata/t/data/nice/mime5", "from_name", "Stephen A Uhler",
        COMMENT_NAME},
    {"spamassassin-tdata/t/data/nice/mime6", "from_name",
        "Nathaniel Borenstein", COMMENT_NAME},
    {"spamassassin-tdata/t/data/nice/mime7", "from_name",
        "Nathaniel Borenstein", COMMENT_NAME},
    {NULL, NULL, NULL, NULL},
};

static struct corpus_record *records;
static size_t nrecords;
static char *corpus_dir;

static char *corpus_read(const char *, size_t *);
static char *corpus_unescape(const char *, const char *);
static char *corpus_clean(char *);
static void corpus_load(void);
static const char *corpus_exception(const char *, const char *);
static int corpus_compare(
    const struct corpus_record *, const struct mime_headers *, int);

/* The whole file at path, NUL-terminated, or NULL. */
static char *
corpus_read(const char *path, size_t *len)
{
	FILE *f;
	char *buf;
	long size;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = xmalloc((size_t)size + 1);
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[size] = '\0';
	*len = (size_t)size;
	return buf;
}

/* The field from s to end with \\ \t \n \r undone. */
static char *
corpus_unescape(const char *s, const char *end)
{
	char *out, *o;

	o = out = xmalloc((size_t)(end - s) + 1);
	for (; s < end; s++) {
		if (*s != '\\' || s + 1 == end) {
			*o++ = *s;
			continue;
		}
		switch (*++s) {
		case 't':
			*o++ = '\t';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		default:
			*o++ = *s;
			break;
		}
	}
	*o = '\0';
	return out;
}

/* s (which this takes) through text_clean(). */
static char *
corpus_clean(char *s)
{
	char *out = text_clean_line(s);

	free(s);
	return out;
}

/* Read expect.tsv from corpus_dir into records, each value made
 * terminal-safe as errand's are (a tab becomes a space). */
static void
corpus_load(void)
{
	struct corpus_record *r;
	char *buf, *p, *eol, *path, *f[5];
	size_t len;
	int i;

	xasprintf(&path, "%s/expect.tsv", corpus_dir);
	if ((buf = corpus_read(path, &len)) == NULL)
		fatalx("cannot read %s", path);
	free(path);
	for (p = buf; *p != '\0'; p = eol + 1) {
		if ((eol = strchr(p, '\n')) == NULL)
			eol = p + strlen(p);
		if (*p == '#' || eol == p) {
			if (*eol == '\0')
				break;
			continue;
		}
		f[0] = p;
		for (i = 1; i < 5; i++) {
			f[i] = memchr(f[i - 1], '\t', (size_t)(eol - f[i - 1]));
			if (f[i] == NULL)
				fatalx("expect.tsv: short line: %.40s", p);
			f[i]++;
		}
		records = xreallocarray(records, nrecords + 1, sizeof *records);
		r = &records[nrecords++];
		r->path = corpus_unescape(f[0], f[1] - 1);
		r->soft = f[1][0] == '1';
		r->subject = corpus_clean(corpus_unescape(f[2], f[3] - 1));
		r->from_name = corpus_clean(corpus_unescape(f[3], f[4] - 1));
		r->from_addr = corpus_clean(corpus_unescape(f[4], eol));
		if (*eol == '\0')
			break;
	}
	free(buf);
}

/* errand's value for field of path when it is a known exception, or NULL. */
static const char *
corpus_exception(const char *path, const char *field)
{
	size_t i;

	for (i = 0; corpus_exceptions[i].path != NULL; i++) {
		if (strcmp(corpus_exceptions[i].path, path) == 0 &&
		    strcmp(corpus_exceptions[i].field, field) == 0)
			return corpus_exceptions[i].value;
	}
	return NULL;
}

/*
 * The number of fields of r that h gets wrong, each printed as a TAP
 * diagnostic when verbose; a known exception counts as right when errand
 * still gives the value listed.
 */
static int
corpus_compare(
    const struct corpus_record *r, const struct mime_headers *h, int verbose)
{
	const char *names[3] = {"subject", "from_name", "from_addr"};
	const char *want[3] = {r->subject, r->from_name, r->from_addr};
	const char *got[3] = {h->subject, h->from_name, h->from_addr};
	const char *ex;
	int i, bad = 0;

	for (i = 0; i < 3; i++) {
		if ((ex = corpus_exception(r->path, names[i])) != NULL) {
			if (strcmp(got[i], ex) != 0) {
				bad++;
				if (verbose)
					printf("# %s: %s: exception no longer "
					       "holds: got '%s', listed '%s'\n",
					    r->path, names[i], got[i], ex);
			}
			continue;
		}
		if (strcmp(got[i], want[i]) != 0) {
			bad++;
			if (verbose)
				printf("# %s%s: %s: got '%s', python '%s'\n",
				    r->path, r->soft ? " (soft)" : "", names[i],
				    got[i], want[i]);
		}
	}
	return bad;
}

START_TEST(test_corpus_message)
{
	const struct corpus_record *r = &records[_i];
	struct mime_headers *h;
	char *path, *buf;
	size_t len;

	xasprintf(&path, "%s/messages/%s", corpus_dir, r->path);
	buf = corpus_read(path, &len);
	ck_assert_msg(buf != NULL, "cannot read %s", path);
	h = mime_headers_decode(buf, len, NULL);
	if (r->soft)
		corpus_compare(r, h, 1); /* differences are only reported */
	else
		ck_assert_msg(corpus_compare(r, h, 1) == 0,
		    "%s: decoded differently", r->path);
	mime_headers_free(h);
	free(buf);
	free(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("corpus");
	TCase *tc = tcase_create("headers");
	struct mime_headers *h;
	SRunner *sr;
	char *path, *buf;
	size_t i, len, match = 0, soft = 0, softbad = 0, hardbad = 0;
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("top_srcdir") != NULL)
		xasprintf(
		    &corpus_dir, "%s/tests/data/corpus", getenv("top_srcdir"));
	else
		corpus_dir = xstrdup("tests/data/corpus");
	corpus_load();

	/* The tally, before Check runs each message as its own test. */
	for (i = 0; i < nrecords; i++) {
		xasprintf(&path, "%s/messages/%s", corpus_dir, records[i].path);
		if ((buf = corpus_read(path, &len)) == NULL)
			fatalx("cannot read %s", path);
		h = mime_headers_decode(buf, len, NULL);
		soft += records[i].soft;
		if (corpus_compare(&records[i], h, 0) == 0)
			match++;
		else if (records[i].soft)
			softbad++;
		else
			hardbad++;
		mime_headers_free(h);
		free(buf);
		free(path);
	}
	printf("# corpus: %zu messages, %zu match (%zu soft of which %zu "
	       "differ), %zu non-soft differ\n",
	    nrecords, match, soft, softbad, hardbad);

	fflush(stdout);
	tcase_add_loop_test(tc, test_corpus_message, 0, (int)nrecords);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	mime_shutdown();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
