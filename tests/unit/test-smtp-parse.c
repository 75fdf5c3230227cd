/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for net/smtp-parse.c: edge inputs first, then replies fed
 * whole and one byte at a time, multi-line replies, enhanced status codes,
 * EHLO keywords, the bounds and garbage that must fail, and the DATA
 * encoder split at every byte. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/sasl.h"
#include "net/smtp-parse.h"

/* Feed s (one byte at a time when bytewise) and keep the first reply:
 * "CODE|ENHANCED|TEXT" in out; returns the feed's result. */
static int
feed(const char *s, int bytewise, char *out, size_t size,
    struct smtp_parser **pp)
{
	struct smtp_parser *p = smtp_parser_new(0, 0);
	struct smtp_reply r;
	size_t len = strlen(s), off = 0, used, n;
	int rc = 0;

	out[0] = '\0';
	while (off < len) {
		n = bytewise ? 1 : len - off;
		rc = smtp_parser_feed(p, s + off, n, &used, &r);
		ck_assert_uint_le(used, n);
		off += used;
		if (rc == 1) {
			snprintf(
			    out, size, "%d|%s|%s", r.code, r.enhanced, r.text);
			break;
		}
		if (rc == -1)
			break;
	}
	if (pp != NULL)
		*pp = p;
	else
		smtp_parser_free(p);
	return rc;
}

START_TEST(test_edges)
{
	struct smtp_parser *p = smtp_parser_new(0, 0);
	struct smtp_reply r;
	size_t used = 99;
	char out[256];

	smtp_parser_free(NULL);
	ck_assert_int_eq(smtp_parser_feed(p, "", 0, &used, &r), 0);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(smtp_parser_pending(p), 0);
	ck_assert_ptr_null(smtp_parser_error(p));
	ck_assert_int_eq(smtp_parser_feed(p, "250", 3, &used, &r), 0);
	ck_assert_int_eq(smtp_parser_pending(p), 1);
	smtp_parser_free(p);
	/* A bare code is a whole reply. */
	ck_assert_int_eq(feed("250\r\n", 0, out, sizeof out, NULL), 1);
	ck_assert_str_eq(out, "250||");
}
END_TEST

static const struct {
	const char *in;
	int rc;
	const char *out; /* rc 1: the reply; rc -1: the error */
} cases[] = {
    {"220 smtp.example ESMTP\r\n", 1, "220||smtp.example ESMTP"},
    {"250 ok\n", 1, "250||ok"},
    {"550 5.7.1 relaying denied\r\n", 1, "550|5.7.1|relaying denied"},
    {"250-first\r\n250-second\r\n250 third\r\n", 1,
        "250||first\nsecond\nthird"},
    {"550-5.1.1 no such\r\n550 5.1.1 user\r\n", 1, "550|5.1.1|no such\nuser"},
    /* a code of another class is text, not an enhanced code */
    {"250 5.1.1 odd\r\n", 1, "250||5.1.1 odd"},
    {"452 4.3.1\r\n", 1, "452|4.3.1|"},
    {"250 2.0.0.1 x\r\n", 1, "250||2.0.0.1 x"},
    {"250 2.1000.0 x\r\n", 1, "250||2.1000.0 x"},
    {"* OK imap\r\n", -1, "reply line without a reply code"},
    {"25\r\n", -1, "reply line without a reply code"},
    {"150 what\r\n", -1, "reply line without a reply code"},
    {"650 what\r\n", -1, "reply line without a reply code"},
    {"250_x\r\n", -1, "reply line without a reply code"},
    {"250-a\r\n354 b\r\n", -1, "multi-line reply with mixed codes"},
    {"\r\n", -1, "reply line without a reply code"},
};

START_TEST(test_table)
{
	struct smtp_parser *p;
	char out[256];
	int bytewise, rc;

	for (bytewise = 0; bytewise < 2; bytewise++) {
		rc = feed(cases[_i].in, bytewise, out, sizeof out, &p);
		ck_assert_msg(rc == cases[_i].rc, "case %d: rc %d", _i, rc);
		if (rc == 1)
			ck_assert_str_eq(out, cases[_i].out);
		else {
			ck_assert_str_eq(smtp_parser_error(p), cases[_i].out);
			ck_assert_int_eq(
			    smtp_parser_feed(p, "250 ok\r\n", 8, &(size_t){0},
			        &(struct smtp_reply){0}),
			    -1);
		}
		smtp_parser_free(p);
	}
}
END_TEST

START_TEST(test_pipelined)
{
	const char *in = "250 2.1.0 ok\r\n550 5.1.1 unknown\r\n354 go\r\n";
	struct smtp_parser *p = smtp_parser_new(0, 0);
	struct smtp_reply r;
	size_t off = 0, used, len = strlen(in);
	int codes[3], n = 0;

	while (off < len && n < 3) {
		ck_assert_int_eq(
		    smtp_parser_feed(p, in + off, len - off, &used, &r), 1);
		codes[n++] = r.code;
		off += used;
	}
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(codes[0], 250);
	ck_assert_int_eq(codes[1], 550);
	ck_assert_int_eq(codes[2], 354);
	ck_assert_uint_eq(off, len);
	smtp_parser_free(p);
}
END_TEST

START_TEST(test_bounds)
{
	struct smtp_parser *p;
	struct smtp_reply r;
	char *big, out[64];
	size_t used, i;
	int rc;

	/* max_line bytes are fine, with CRLF or LF; one more is not. */
	big = malloc(SMTP_MAX_LINE + 8);
	memset(big, 'x', SMTP_MAX_LINE + 8);
	memcpy(big, "250 ", 4);
	memcpy(big + SMTP_MAX_LINE, "\r\n", 3);
	ck_assert_int_eq(feed(big, 0, out, sizeof out, NULL), 1);
	memcpy(big + SMTP_MAX_LINE, "x\r\n", 4);
	ck_assert_int_eq(feed(big, 1, out, sizeof out, &p), -1);
	ck_assert_str_eq(
	    smtp_parser_error(p), "reply line of more than 4096 bytes");
	smtp_parser_free(p);
	free(big);

	/* Too many lines. */
	p = smtp_parser_new(0, 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(
		    smtp_parser_feed(p, "250-x\r\n", 7, &used, &r), 0);
	ck_assert_int_eq(smtp_parser_feed(p, "250 x\r\n", 7, &used, &r), -1);
	ck_assert_str_eq(smtp_parser_error(p), "reply of too many lines");
	smtp_parser_free(p);

	/* A NUL. */
	p = smtp_parser_new(0, 0);
	rc = smtp_parser_feed(p, "250 a\0b\r\n", 9, &used, &r);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(smtp_parser_error(p), "NUL byte in a reply");
	smtp_parser_free(p);
}
END_TEST

START_TEST(test_ehlo)
{
	const char *in = "250-smtp.example hello\r\n"
	                 "250-PIPELINING\r\n"
	                 "250-size 35882577\r\n"
	                 "250-8BITMIME\r\n"
	                 "250-SMTPUTF8\r\n"
	                 "250-STARTTLS\r\n"
	                 "250-ENHANCEDSTATUSCODES\r\n"
	                 "250-CHUNKING\r\n"
	                 "250-AUTH=LOGIN\r\n"
	                 "250 AUTH PLAIN login XOAUTH2 OAUTHBEARER NTLM\r\n";
	struct smtp_parser *p = smtp_parser_new(0, 0);
	struct smtp_reply r;
	struct smtp_ext e;
	size_t used;

	ck_assert_int_eq(smtp_parser_feed(p, in, strlen(in), &used, &r), 1);
	smtp_ext_parse(&r, &e);
	ck_assert_uint_eq(e.ext,
	    SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_8BITMIME |
	        SMTP_EXT_SMTPUTF8 | SMTP_EXT_STARTTLS |
	        SMTP_EXT_ENHANCEDSTATUSCODES | SMTP_EXT_AUTH);
	ck_assert_uint_eq(e.size, 35882577);
	ck_assert_uint_eq(e.auth,
	    SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN | SMTP_AUTH_XOAUTH2 |
	        SMTP_AUTH_OAUTHBEARER | SMTP_AUTH_OTHER);
	/* The same, as net/sasl's set: NTLM is none of its mechanisms. */
	ck_assert_uint_eq(e.sasl,
	    SASL_BIT(SASL_PLAIN) | SASL_BIT(SASL_LOGIN) |
	        SASL_BIT(SASL_XOAUTH2) | SASL_BIT(SASL_OAUTHBEARER));
	smtp_parser_free(p);

	/* SIZE without a number, or with garbage: no limit. */
	p = smtp_parser_new(0, 0);
	in = "250-x\r\n250-SIZE\r\n250 SIZEX 5\r\n";
	ck_assert_int_eq(smtp_parser_feed(p, in, strlen(in), &used, &r), 1);
	smtp_ext_parse(&r, &e);
	ck_assert_uint_eq(e.ext, SMTP_EXT_SIZE);
	ck_assert_uint_eq(e.size, 0);
	smtp_parser_free(p);

	/* The greeting line is not a keyword. */
	p = smtp_parser_new(0, 0);
	in = "250 STARTTLS\r\n";
	ck_assert_int_eq(smtp_parser_feed(p, in, strlen(in), &used, &r), 1);
	smtp_ext_parse(&r, &e);
	ck_assert_uint_eq(e.ext, 0);
	smtp_parser_free(p);
}
END_TEST

static const struct {
	const char *in, *out;
} stuff_cases[] = {
    {"", ".\r\n"},
    {"a", "a\r\n.\r\n"},
    {"a\n", "a\r\n.\r\n"},
    {"a\r\n", "a\r\n.\r\n"},
    {".", "..\r\n.\r\n"},
    {".\n..\nx.y\n", "..\r\n...\r\nx.y\r\n.\r\n"},
    {"a\rb", "a\r\nb\r\n.\r\n"},
    {"a\r", "a\r\n.\r\n"},
    {"a\r\r\n.b", "a\r\n\r\n..b\r\n.\r\n"},
    {"\n.\r\n", "\r\n..\r\n.\r\n"},
};

START_TEST(test_stuff)
{
	struct smtp_stuff st;
	const char *in = stuff_cases[_i].in;
	size_t len = strlen(in), split, o;
	char out[128];

	for (split = 0; split <= len; split++) {
		smtp_stuff_init(&st);
		o = smtp_stuff(&st, in, split, out);
		o += smtp_stuff(&st, in + split, len - split, out + o);
		o += smtp_stuff_end(&st, out + o);
		out[o] = '\0';
		ck_assert_str_eq(out, stuff_cases[_i].out);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("smtp-parse");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_edges);
	tcase_add_loop_test(tc, test_table, 0, sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_ehlo);
	tcase_add_loop_test(
	    tc, test_stuff, 0, sizeof stuff_cases / sizeof stuff_cases[0]);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
