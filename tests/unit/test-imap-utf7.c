/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for net/imap-utf7.c: edge inputs first, then a table of
 * names both ways and a table of input each direction must refuse. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net/imap-utf7.h"

static const struct {
	const char *utf8;
	const char *utf7;
} pairs[] = {
    {"INBOX", "INBOX"},
    {"", ""},
    {"&", "&-"},
    {"a&b", "a&-b"},
    {"Entwürfe", "Entw&APw-rfe"},
    {"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
    {"Gelöschte Elemente", "Gel&APY-schte Elemente"},
    {"Корзина", "&BBoEPgRABDcEOAQ9BDA-"},
    {"😀", "&2D3eAA-"},
    {"ü&ü", "&APw-&-&APw-"},
    {"\xc3\xa4\xc3\xb6", "&AOQA9g-"},
};

static const char *bad_utf7[] = {
    "&",          /* unterminated */
    "&APw",       /* unterminated */
    "&AGE-",      /* encodes "a", which must be plain */
    "&Jjo!",      /* bad base64 */
    "&2D0-",      /* high surrogate alone */
    "&3gA-",      /* low surrogate alone */
    "&APx-",      /* non-zero padding bits */
    "&AP-",       /* half a unit */
    "a\x80",      /* 8-bit */
    "a\tb",       /* control */
    "&APw-&APw-", /* two shifts where one would do */
};

static const char *bad_utf8[] = {
    "\xc3",             /* cut */
    "\xc0\xaf",         /* overlong */
    "\xed\xa0\x80",     /* surrogate */
    "\xf4\x90\x80\x80", /* past U+10FFFF */
    "\xff",
};

START_TEST(test_edge)
{
	char *s;

	s = imap_utf7_decode("", 0);
	ck_assert_str_eq(s, "");
	free(s);
	s = imap_utf7_encode("", 0);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_ptr_null(imap_utf7_encode("a\0b", 3));
	ck_assert_ptr_null(imap_utf7_decode("a\0b", 3));
	/* Only the length given is read. */
	s = imap_utf7_decode("&APw-rfe", 5);
	ck_assert_str_eq(s, "ü");
	free(s);
}
END_TEST

START_TEST(test_pairs)
{
	char *s;

	s = imap_utf7_decode(pairs[_i].utf7, strlen(pairs[_i].utf7));
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, pairs[_i].utf8);
	free(s);
	s = imap_utf7_encode(pairs[_i].utf8, strlen(pairs[_i].utf8));
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, pairs[_i].utf7);
	free(s);
}
END_TEST

START_TEST(test_bad_utf7)
{
	char *s = imap_utf7_decode(bad_utf7[_i], strlen(bad_utf7[_i]));

	ck_assert_msg(s == NULL, "'%s' decoded to '%s'", bad_utf7[_i], s);
}
END_TEST

START_TEST(test_bad_utf8)
{
	char *s = imap_utf7_encode(bad_utf8[_i], strlen(bad_utf8[_i]));

	ck_assert_msg(s == NULL, "bad UTF-8 %d encoded to '%s'", _i, s);
}
END_TEST

/* Every code point of the BMP and a sample above it round-trips. */
START_TEST(test_roundtrip)
{
	char in[8], *e, *d;
	unsigned int u;
	size_t n;

	for (u = 1; u < 0x110000; u += (u < 0x10000 ? 1 : 977)) {
		if (u >= 0xd800 && u <= 0xdfff)
			continue;
		if (u < 0x80) {
			in[0] = (char)u;
			n = 1;
		} else if (u < 0x800) {
			in[0] = (char)(0xc0 | (u >> 6));
			in[1] = (char)(0x80 | (u & 0x3f));
			n = 2;
		} else if (u < 0x10000) {
			in[0] = (char)(0xe0 | (u >> 12));
			in[1] = (char)(0x80 | ((u >> 6) & 0x3f));
			in[2] = (char)(0x80 | (u & 0x3f));
			n = 3;
		} else {
			in[0] = (char)(0xf0 | (u >> 18));
			in[1] = (char)(0x80 | ((u >> 12) & 0x3f));
			in[2] = (char)(0x80 | ((u >> 6) & 0x3f));
			in[3] = (char)(0x80 | (u & 0x3f));
			n = 4;
		}
		in[n] = 'x';
		in[n + 1] = '\0';
		e = imap_utf7_encode(in, n + 1);
		ck_assert_msg(e != NULL, "U+%04X not encoded", u);
		d = imap_utf7_decode(e, strlen(e));
		ck_assert_msg(d != NULL && strcmp(d, in) == 0,
		    "U+%04X: '%s' does not decode back", u, e);
		free(e);
		free(d);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap-utf7");
	TCase *tc = tcase_create("utf7");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_edge);
	tcase_add_loop_test(tc, test_pairs, 0, sizeof pairs / sizeof pairs[0]);
	tcase_add_loop_test(
	    tc, test_bad_utf7, 0, sizeof bad_utf7 / sizeof bad_utf7[0]);
	tcase_add_loop_test(
	    tc, test_bad_utf8, 0, sizeof bad_utf8 / sizeof bad_utf8[0]);
	tcase_add_test(tc, test_roundtrip);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
