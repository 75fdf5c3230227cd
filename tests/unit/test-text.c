/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/content/text.c: nothing that moves the cursor, sets a title or
 * writes the clipboard gets through; widths count wide and combining
 * characters. */

#include <check.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/text.h"

#define FFFD TEXT_REPLACEMENT

static const struct {
	const char *in;
	size_t len; /* 0: strlen(in) */
	int flags;
	const char *out;
} clean[] = {
    {"", 0, 0, ""},
    {"plain ASCII ~!@#$%^&*()", 0, 0, "plain ASCII ~!@#$%^&*()"},
    {"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", 0, 0,
        "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"},
    /* C0, DEL: shown inert in caret notation, as mutt shows them; tab
     * and newline become spaces unless kept */
    {"a\x01"
     "b\x07"
     "c\x7f"
     "d",
        0, 0, "a^Ab^Gc^?d"},
    {"a\tb", 0, 0, "a b"}, {"a\tb", 0, TEXT_KEEP_TAB, "a\tb"},
    {"a\nb\r\nc\rd", 0, 0, "a b c d"},
    {"a\nb\r\nc\rd", 0, TEXT_KEEP_NEWLINE, "a\nb\ncd"}, {"a\0b", 3, 0, "a^@b"},
    {"page\fbreak\x1f", 0, 0, "page^Lbreak^_"},
    /* escape sequences: the ESC shows as ^[ and the rest as text, so CSI,
     * OSC (title, OSC 52 clipboard), DCS and the others do nothing */
    {"\x1b[31mred\x1b[0m", 0, 0, "^[[31mred^[[0m"},
    {"\x1b[2J\x1b[1;1Hhome", 0, 0, "^[[2J^[[1;1Hhome"},
    {"\x1b[?1049h", 0, 0, "^[[?1049h"},
    {"x\x1b]0;pwned\x07y", 0, 0, "x^[]0;pwned^Gy"},
    {"x\x1b]2;title\x1b\\y", 0, 0, "x^[]2;title^[\\y"},
    {"x\x1b]52;c;cm0gLXJmIH4=\x07y", 0, 0, "x^[]52;c;cm0gLXJmIH4=^Gy"},
    {"x\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\y", 0, 0,
        "x^[]8;;http://evil/^[\\link^[]8;;^[\\y"},
    {"x\x1bPq#0;2;0;0;0\x1b\\y", 0, 0, "x^[Pq#0;2;0;0;0^[\\y"},
    {"x\x1b]0;unterminated", 0, 0, "x^[]0;unterminated"},
    {"x\x1b]0;body\nnext", 0, TEXT_KEEP_NEWLINE, "x^[]0;body\nnext"},
    {"x\x1b(By", 0, 0, "x^[(By"},
    {"x\x1b"
     "cy",
        0, 0, "x^[cy"},
    {"x\x1b", 0, 0, "x^["}, {"x\x1b\x1b[1my", 0, 0, "x^[^[[1my"},
    /* C1 controls as UTF-8: ESC and their 7-bit letter */
    {"a\xc2\x85"
     "b\xc2\x9f"
     "c",
        0, 0, "a^[Eb^[_c"},
    {"x\xc2\x9b"
     "31my",
        0, 0, "x^[[31my"},
    {"x\xc2\x9d"
     "0;t\xc2\x9cy",
        0, 0, "x^[]0;t^[\\y"},
    /* bidi overrides and isolates go; marks stay */
    {"a\xe2\x80\xae"
     "b\xe2\x81\xa6"
     "c\xe2\x80\x8f"
     "d",
        0, 0,
        "abc\xe2\x80\x8f"
        "d"},
    {"a\xe2\x80\xa8"
     "b",
        0, 0, "a b"},
    /* invalid UTF-8 */
    {"caf\xe9", 0, 0, "caf" FFFD}, {"\xff\xfe", 0, 0, FFFD FFFD},
    {"\xc0\xaf", 0, 0, FFFD FFFD},                   /* overlong '/' */
    {"\xed\xa0\x80", 0, 0, FFFD FFFD FFFD},          /* a surrogate */
    {"\xf4\x90\x80\x80", 0, 0, FFFD FFFD FFFD FFFD}, /* over U+10FFFF */
    {"\xe2\x82", 0, 0, FFFD FFFD},                   /* cut short */
    {"\x9b"
     "31m",
        0, 0, FFFD "31m"}, /* raw 8-bit CSI */
};

START_TEST(test_text_clean_null)
{
	char *s = text_clean(NULL, 5, 0);

	ck_assert_str_eq(s, "");
	free(s);
	s = text_clean_line(NULL);
	ck_assert_str_eq(s, "");
	free(s);
	s = text_clean("abc", 0, 0);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

/* A server's words: cleaned like any text (a C1 CSI goes too), cut. */
START_TEST(test_text_clean_max)
{
	char *s = text_clean_max("NO \xc2\x9b"
	                         "2J [AUTH] bad\x1b]0;x\x07!",
	    64);

	ck_assert_str_eq(s, "NO ^[[2J [AUTH] bad^[]0;x^G!"); /* all inert */
	free(s);
	s = text_clean_max("abcdef", 3);
	ck_assert_str_eq(s, "abc...");
	free(s);
	s = text_clean_max("abc", 3);
	ck_assert_str_eq(s, "abc");
	free(s);
	s = text_clean_max(NULL, 3);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_text_clean_huge)
{
	size_t i, n = 1 << 20;
	char *in, *out;

	in = malloc(n);
	for (i = 0; i < n; i++)
		in[i] = (char)(i % 7 == 0 ? 0x1b : i % 5 == 0 ? 0xff : '[');
	out = text_clean(in, n, 0);
	ck_assert(text_utf8_valid(out, strlen(out)));
	ck_assert_ptr_null(strchr(out, 0x1b));
	free(out);
	free(in);
}
END_TEST

START_TEST(test_text_clean_table)
{
	size_t len = clean[_i].len ? clean[_i].len : strlen(clean[_i].in);
	char *s = text_clean(clean[_i].in, len, clean[_i].flags);

	ck_assert_str_eq(s, clean[_i].out);
	ck_assert(text_utf8_valid(s, strlen(s)));
	free(s);
}
END_TEST

START_TEST(test_text_clean_all_bytes)
{
	char in[3], *s;
	const unsigned char *p;
	int a, b;

	/* No two bytes make a control or invalid UTF-8 in the result. */
	for (a = 0; a < 256; a++) {
		for (b = 0; b < 256; b++) {
			in[0] = (char)a;
			in[1] = (char)b;
			in[2] = 'z';
			s = text_clean(in, 3, 0);
			ck_assert(text_utf8_valid(s, strlen(s)));
			for (p = (const unsigned char *)s; *p != '\0'; p++)
				ck_assert(*p >= 0x20 && *p != 0x7f);
			ck_assert_ptr_null(strstr(s, "\xc2\x9b"));
			free(s);
		}
	}
}
END_TEST

START_TEST(test_text_utf8_valid)
{
	ck_assert(text_utf8_valid("", 0));
	ck_assert(text_utf8_valid("a\0b", 3));
	ck_assert(text_utf8_valid("\xf0\x9f\x98\x80", 4));
	ck_assert(!text_utf8_valid("\xf0\x9f\x98", 3));
	ck_assert(!text_utf8_valid("\xe9", 1));
	ck_assert(!text_utf8_valid("\xc1\xbf", 2));
}
END_TEST

/* UTF-8 with a bad byte is still UTF-8; a legacy charset is not. */
START_TEST(test_text_utf8_likely)
{
	char *s;

	/* Cyrillic "Иван" with one byte cut off the second letter */
	ck_assert(text_utf8_likely("\xd0\x98\xd0\xb2\xd0\xb0\xd0", 7));
	ck_assert(text_utf8_likely("caf\xc3\xa9", 5));
	ck_assert(!text_utf8_likely("caf\xe9", 4));      /* Latin-1 */
	ck_assert(!text_utf8_likely("\xf0\xd2\xc9", 3)); /* KOI8-R */
	ck_assert(!text_utf8_likely("plain", 5));
	ck_assert(!text_utf8_likely("", 0));
	/* one accidental pair among Latin-1 letters does not make UTF-8 */
	ck_assert(!text_utf8_likely("\xe9t\xe9 \xc3\xa9 \xe0", 9));

	s = text_utf8_repair("\xd0\x98\xd0\xb2\xd0\xb0\xd0", 7);
	ck_assert_str_eq(s, "\xd0\x98\xd0\xb2\xd0\xb0" FFFD);
	free(s);
	s = text_utf8_repair("a\x1b\xff"
	                     "b",
	    4);
	ck_assert_str_eq(s, "a\x1b" FFFD "b"); /* controls are not its job */
	free(s);
}
END_TEST

static const struct {
	const char *s;
	size_t width;
} widths[] = {
    {"", 0}, {"abc", 3}, {"caf\xc3\xa9", 4},     /* precomposed */
    {"cafe\xcc\x81", 4},                         /* e + combining acute */
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 6}, /* CJK: two each */
    {"\xef\xbc\xa1", 2},                         /* fullwidth A */
    {"\xf0\x9f\x98\x80", 2},                     /* emoji */
    {"a\xe2\x80\x8b"
     "b",
        2},      /* zero-width space */
    {"\xe9", 1}, /* invalid: one U+FFFD */
    {"a\tb", 2}, /* a control: none */
};

START_TEST(test_text_width)
{
	ck_assert_uint_eq(text_width(widths[_i].s), widths[_i].width);
}
END_TEST

START_TEST(test_text_fit)
{
	size_t w;

	ck_assert_uint_eq(text_fit(NULL, 5, &w), 0);
	ck_assert_uint_eq(w, 0);
	ck_assert_uint_eq(text_fit("abc", 0, &w), 0);
	ck_assert_uint_eq(text_fit("abc", 2, &w), 2);
	ck_assert_uint_eq(w, 2);
	/* a wide character that does not fit whole is left out */
	ck_assert_uint_eq(text_fit("a\xe6\x97\xa5"
	                           "b",
	                      2, &w),
	    1);
	ck_assert_uint_eq(w, 1);
	/* the combining mark goes with its base */
	ck_assert_uint_eq(text_fit("e\xcc\x81x", 1, &w), 3);
	ck_assert_uint_eq(w, 1);
	ck_assert_uint_eq(text_fit("abc", 10, NULL), 3);
}
END_TEST

START_TEST(test_text_truncate)
{
	static const struct {
		const char *s;
		size_t cols;
		const char *out;
	} t[] = {
	    {"hello", 10, "hello"},
	    {"hello", 5, "hello"},
	    {"hello", 4, "hel\xe2\x80\xa6"},
	    {"hello", 1, "\xe2\x80\xa6"},
	    {"hello", 0, ""},
	    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 5,
	        "\xe6\x97\xa5\xe6\x9c\xac\xe2\x80\xa6"},
	    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4,
	        "\xe6\x97\xa5\xe2\x80\xa6"},
	    {"e\xcc\x81"
	     "abc",
	        2, "e\xcc\x81\xe2\x80\xa6"},
	};
	size_t i;
	char *s;

	s = text_truncate(NULL, 3);
	ck_assert_str_eq(s, "");
	free(s);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		s = text_truncate(t[i].s, t[i].cols);
		ck_assert_str_eq(s, t[i].out);
		ck_assert_uint_le(text_width(s), t[i].cols);
		free(s);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("text");
	SRunner *sr;
	int failed;

	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL &&
	    setlocale(LC_CTYPE, "en_US.UTF-8") == NULL) {
		puts("1..0 # SKIP no UTF-8 locale for wcwidth");
		return EXIT_SUCCESS;
	}
	tcase_add_test(tc, test_text_clean_null);
	tcase_add_test(tc, test_text_clean_max);
	tcase_add_test(tc, test_text_clean_huge);
	tcase_add_loop_test(
	    tc, test_text_clean_table, 0, sizeof clean / sizeof clean[0]);
	tcase_add_test(tc, test_text_clean_all_bytes);
	tcase_add_test(tc, test_text_utf8_valid);
	tcase_add_test(tc, test_text_utf8_likely);
	tcase_add_loop_test(
	    tc, test_text_width, 0, sizeof widths / sizeof widths[0]);
	tcase_add_test(tc, test_text_fit);
	tcase_add_test(tc, test_text_truncate);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
