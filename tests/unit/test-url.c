/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/url.c: edge inputs first, then a table of cases. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

static const struct {
	const char *in;
	int ok;
	enum url_scheme scheme;
	const char *user, *host;
	int port;
	const char *err; /* substring of the error */
} cases[] = {
    {"imaps://demo@127.0.0.1:10993", 1, URL_IMAPS, "demo", "127.0.0.1", 10993,
        NULL},
    {"imap://me@mail.example.org", 1, URL_IMAP, "me", "mail.example.org", 143,
        NULL},
    {"IMAPS://me@host/", 1, URL_IMAPS, "me", "host", 993, NULL},
    {"pop3://u@h", 1, URL_POP3, "u", "h", 110, NULL},
    {"pop3s://u@h:1995", 1, URL_POP3S, "u", "h", 1995, NULL},
    {"imaps://host", 1, URL_IMAPS, NULL, "host", 993, NULL},
    {"imaps://me@example.org@imap.example.org", 1, URL_IMAPS, "me@example.org",
        "imap.example.org", 993, NULL},
    {"imaps://me%40example.org@h", 1, URL_IMAPS, "me@example.org", "h", 993,
        NULL},
    {"imaps://u@[::1]:993", 1, URL_IMAPS, "u", "::1", 993, NULL},
    {"smtp://me@mail.example.org", 1, URL_SMTP, "me", "mail.example.org", 587,
        NULL},
    {"smtps://h", 1, URL_SMTPS, NULL, "h", 465, NULL},
    {"SMTP://u@h:2525", 1, URL_SMTP, "u", "h", 2525, NULL},
    {"http://u@h", 0, 0, NULL, NULL, 0, "unknown scheme 'http'"},
    {"u@h", 0, 0, NULL, NULL, 0, "is not a URL"},
    {"imaps://", 0, 0, NULL, NULL, 0, "no host"},
    {"imaps://u@", 0, 0, NULL, NULL, 0, "no host"},
    {"imaps://@h", 0, 0, NULL, NULL, 0, "empty user"},
    {"imaps://u@h:0", 0, 0, NULL, NULL, 0, "bad port"},
    {"imaps://u@h:65536", 0, 0, NULL, NULL, 0, "bad port"},
    {"imaps://u@h:", 0, 0, NULL, NULL, 0, "bad port"},
    {"imaps://u@h:-1", 0, 0, NULL, NULL, 0, "bad port"},
    {"imaps://u@h:99x", 0, 0, NULL, NULL, 0, "bad port"},
    {"imaps://u@h/INBOX", 0, 0, NULL, NULL, 0, "path"},
    {"imaps://u@h?x", 0, 0, NULL, NULL, 0, "path"},
    {"imaps://u%4@h", 0, 0, NULL, NULL, 0, "escape"},
    {"imaps://u%00@h", 0, 0, NULL, NULL, 0, "escape"},
    {"imaps://u@[::1", 0, 0, NULL, NULL, 0, "unterminated"},
    {"imaps://u@h ost", 0, 0, NULL, NULL, 0, "space"},
};

START_TEST(test_url_empty)
{
	struct url u;
	char *err;

	ck_assert_int_eq(url_parse("", &u, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a URL"));
	free(err);
	url_clear(&u);
}
END_TEST

START_TEST(test_url_table)
{
	struct url u;
	char *err;
	int rc;

	rc = url_parse(cases[_i].in, &u, &err);
	if (cases[_i].ok) {
		ck_assert_msg(rc == 0, "%s: %s", cases[_i].in, err);
		ck_assert_int_eq(u.scheme, cases[_i].scheme);
		if (cases[_i].user == NULL)
			ck_assert_ptr_null(u.user);
		else
			ck_assert_str_eq(u.user, cases[_i].user);
		ck_assert_str_eq(u.host, cases[_i].host);
		ck_assert_int_eq(u.port, cases[_i].port);
	} else {
		ck_assert_msg(rc == -1, "%s parsed", cases[_i].in);
		ck_assert_msg(strstr(err, cases[_i].err) != NULL,
		    "%s: error '%s' lacks '%s'", cases[_i].in, err,
		    cases[_i].err);
		free(err);
	}
	url_clear(&u);
}
END_TEST

START_TEST(test_url_format)
{
	struct url u;
	char *err, *s;

	ck_assert_int_eq(url_parse("imaps://u@[::1]", &u, &err), 0);
	s = url_format(&u);
	ck_assert_str_eq(s, "imaps://u@[::1]:993");
	free(s);
	url_clear(&u);
	ck_assert_int_eq(url_parse("pop3://h:1100", &u, &err), 0);
	s = url_format(&u);
	ck_assert_str_eq(s, "pop3://h:1100");
	free(s);
	ck_assert_int_eq(url_is_imap(u.scheme), 0);
	ck_assert_int_eq(url_is_implicit_tls(u.scheme), 0);
	url_clear(&u);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("url");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_url_empty);
	tcase_add_loop_test(
	    tc, test_url_table, 0, sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, test_url_format);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
