/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/config.c: every error names its line; a good file
 * gives every field. */

#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static const struct {
	const char *text;
	const char *err; /* the whole expected message */
} bad[] = {
    {"", "t.conf: no [account NAME] section"},
    {"# only a comment\n", "t.conf: no [account NAME] section"},
    {"source = imaps://h\n",
        "t.conf:1: 'source' outside a section (start with [account NAME])"},
    {"[account a]\nsource = imaps://h\nfrobnicate = 1\n",
        "t.conf:3: unknown key 'frobnicate'"},
    {"[account a]\n\n\n[account b]\nsource = imaps://h\n",
        "t.conf:1: account 'a' has no source"},
    {"[account a]\nsource = imaps://h\n[account b]\n",
        "t.conf:3: account 'b' has no source"},
    {"[account a]\nsource = gopher://h\n",
        "t.conf:2: source: unknown scheme 'gopher' (use imap, imaps, pop3 "
        "or pop3s)"},
    {"[account a]\nsource = smtps://h\n",
        "t.conf:2: source: 'smtps://h' is for sending (smtp =), not a source "
        "(use imap, imaps, pop3 or pop3s)"},
    {"[account a]\nsource = imaps://h\nsmtp = imaps://h\n",
        "t.conf:3: smtp: 'imaps://h' is not a sending URL (use smtp://HOST "
        "for port 587 with STARTTLS, or smtps://HOST for 465)"},
    {"[account a]\nsource = imaps://h\nsmtp = smtp.example.org\n",
        "t.conf:3: smtp: 'smtp.example.org' is not a URL: expected imap://, "
        "imaps://, pop3:// or pop3s://"},
    {"[account a]\nsource = imaps://h\nsmtp = smtps://h:0\n",
        "t.conf:3: smtp: 'smtps://h:0': bad port '0'"},
    {"[account a]\nsource = imaps://h:99999\n",
        "t.conf:2: source: 'imaps://h:99999': bad port '99999'"},
    {"[account a]\nsource = imaps://h\nca-file = /nonexistent/ca.pem\n",
        "t.conf:3: ca-file '/nonexistent/ca.pem': No such file or "
        "directory"},
    {"[account a]\nsource = imaps://h\nsource = imaps://g\n",
        "t.conf:3: source given twice"},
    {"[account a]\nsource = imaps://h\n[account a]\nsource = imaps://h\n",
        "t.conf:3: account 'a' already defined at line 1"},
    {"[account]\n", "t.conf:1: [account] needs a name"},
    {"[account a b]\n",
        "t.conf:1: account name 'a b': use letters, digits and - _ . @"},
    {"[options]\n",
        "t.conf:1: unknown section [options] (expected [account NAME], "
        "[bindings SCREEN] or [ui])"},
    {"[ui]\nsort = bydate\n",
        "t.conf:2: sort: 'bydate' is not date, from, subject or size (each "
        "may start with reverse-)"},
    {"[ui]\ncolour = yes\n", "t.conf:2: unknown key 'colour' in [ui]"},
    {"[ui]\ndelete = maybe\n",
        "t.conf:2: delete: 'maybe' is not yes, no, ask-yes or ask-no"},
    {"[ui]\nbody-cache-max = 2G\n",
        "t.conf:2: body-cache-max: '2G' is not a size such as 25M, 512K or "
        "1000000"},
    {"[bindings pager]\nC-% = quit\n",
        "t.conf:2: unknown key 'C-%' (a character, C-x, F1-F12, Up, Down, "
        "Left, Right, PgUp, PgDn, Home, End, Enter, Space, Tab, Backspace, "
        "Delete or Escape)"},
    {"[bindings pager]\nx = explode\n",
        "t.conf:2: unknown action 'explode' (see errand.conf(5))"},
    {"[account a]\nsource = imaps://h\nfallback-charset = klingon-8\n",
        "t.conf:3: fallback-charset: iconv does not know 'klingon-8'"},
    {"[account a\n", "t.conf:1: missing ] in section header"},
    {"[account a] x\n", "t.conf:1: junk after ] in section header"},
    {"[account a]\nsource\n", "t.conf:2: expected key = value"},
    {"[account a]\n= x\n", "t.conf:2: missing key before ="},
    {"[account a]\nsource =\n", "t.conf:2: source: empty value"},
    {"[account a]\nsource = imaps://h\ntimeout = 0\n",
        "t.conf:3: timeout: '0' is not a number of seconds from 1 to 3600"},
    {"[account a]\nsource = imaps://h\nconnect-timeout = 5s\n",
        "t.conf:3: connect-timeout: '5s' is not a number of seconds from 1 "
        "to 3600"},
    {"[account a]\nsource = imaps://h\ntls-fingerprint = md5:00\n",
        "t.conf:3: tls-fingerprint: 'md5:00' is not sha256: followed by 64 "
        "hex digits"},
    {"[account a]\nsource = imaps://h\nimap-disable = QRESYNC NOTIFY\n",
        "t.conf:3: imap-disable: unknown extension 'NOTIFY' (use QRESYNC, "
        "CONDSTORE or IDLE)"},
    {"[account a]\nsource = imaps://h\x01\n",
        "t.conf:2: control character in line"},
    {"[account a]\nsource = imaps://h\nauth = cram-md5\n",
        "t.conf:3: auth: 'cram-md5' is not auto, plain, login, "
        "scram-sha-256, scram-sha-1, oauthbearer or xoauth2"},
    {"[account a]\nsource = imaps://h\nsave-sent = maybe\n",
        "t.conf:3: save-sent: 'maybe' is not yes or no"},
    {"[account a]\nsource = imaps://h\nsend-delay = 3601\n",
        "t.conf:3: send-delay: '3601' is not a number of seconds from 1 to "
        "3600"},
    {"[account a]\nsource = imaps://h\nfrom = a@b\nfrom = c@d\n",
        "t.conf:4: from given twice"},
    {"[account a]\nsource = imaps://h\nalternates = ok@x (bad\n",
        "t.conf:3: alternates: '(bad': Unmatched ( or \\("},
};

START_TEST(test_config_bad)
{
	struct config *cf;
	char *err;

	ck_assert_int_eq(config_parse(bad[_i].text, strlen(bad[_i].text),
	                     "t.conf", &cf, &err),
	    -1);
	ck_assert_ptr_null(cf);
	ck_assert_str_eq(err, bad[_i].err);
	free(err);
}
END_TEST

START_TEST(test_config_nul)
{
	static const char text[] = "[account a]\nsource = imaps://h\0x\n";
	struct config *cf;
	char *err;

	ck_assert_int_eq(
	    config_parse(text, sizeof text - 1, "t.conf", &cf, &err), -1);
	ck_assert_str_eq(err, "t.conf:2: NUL byte in line");
	free(err);
}
END_TEST

START_TEST(test_config_long_line)
{
	struct config *cf;
	char *text, *err;
	size_t n = CONFIG_MAX_LINE + 100;

	text = malloc(n + 1);
	memset(text, 'x', n);
	memcpy(text, "[account a]\n", 12);
	text[n] = '\0';
	ck_assert_int_eq(config_parse(text, n, "t.conf", &cf, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "t.conf:2: line too long"));
	free(err);
	free(text);
}
END_TEST

START_TEST(test_config_good)
{
	static const char text[] =
	    "# errand\n"
	    "[account demo]\n"
	    "source = imaps://demo@127.0.0.1:10993   # a comment\n"
	    "password-command = cat /tmp/pw#notacomment\n"
	    "tls-fingerprint = SHA256:"
	    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:"
	    "23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\n"
	    "timeout = 7\r\n"
	    "imap-disable = condstore,IDLE\n"
	    "\n"
	    "[account  other ]\n"
	    "\tsource=pop3://me@pop.example.org\n";
	struct config *cf;
	struct account *a;
	char *err;

	ck_assert_msg(
	    config_parse(text, sizeof text - 1, "t.conf", &cf, &err) == 0, "%s",
	    err);
	ck_assert_uint_eq(cf->naccounts, 2);
	a = config_account(cf, NULL);
	ck_assert_str_eq(a->name, "demo");
	ck_assert_int_eq(a->line, 2);
	ck_assert_int_eq(a->url.scheme, URL_IMAPS);
	ck_assert_str_eq(a->url.host, "127.0.0.1");
	ck_assert_int_eq(a->url.port, 10993);
	ck_assert_str_eq(a->password_command, "cat /tmp/pw#notacomment");
	ck_assert_str_eq(a->tls_fingerprint,
	    "sha256:abcdef0123456789abcdef01"
	    "23456789abcdef0123456789abcdef0123456789");
	ck_assert_int_eq(a->timeout, 7);
	ck_assert_uint_eq(a->imap_disable,
	    CONFIG_IMAP_CONDSTORE | CONFIG_IMAP_QRESYNC | CONFIG_IMAP_IDLE);
	ck_assert_int_eq(a->connect_timeout, 0);
	ck_assert_ptr_null(a->ca_file);
	a = config_account(cf, "other");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->url.scheme, URL_POP3);
	ck_assert_str_eq(a->url.user, "me");
	ck_assert_ptr_null(config_account(cf, "nosuch"));
	config_free(cf);
	config_free(NULL);
}
END_TEST

START_TEST(test_config_compose)
{
	static const char text[] =
	    "[account a]\n"
	    "source = imaps://me@h\n"
	    "auth = SCRAM-SHA-256\n"
	    "oauth2-token-command = errand-oauth2 token me\n"
	    "from = Me <me@example.org>\n"
	    "alternates = me@old\\.example\\.org   ^me\\+.*@example\\.org$\n"
	    "signature = /sig\n"
	    "smtp = smtp://me@h:587\n"
	    "smtp-password-command = pass smtp\n"
	    "sendmail-command = msmtp -t\n"
	    "save-sent = no\n"
	    "send-delay = 0\n"
	    "query-command = abook --mutt-query '%s'\n"
	    "attribution = %n wrote:\n"
	    "forward-as-attachment = yes\n"
	    "text-flowed = yes\n"
	    "[account b]\n"
	    "source = imaps://h\n"
	    "send-delay = 30\n";
	struct config *cf;
	struct account *a;
	char *err;

	ck_assert_msg(
	    config_parse(text, sizeof text - 1, "t.conf", &cf, &err) == 0, "%s",
	    err);
	a = config_account(cf, "a");
	ck_assert_int_eq(a->auth, CONFIG_AUTH_SCRAM_SHA_256);
	ck_assert_str_eq(config_auth_name(a->auth), "scram-sha-256");
	ck_assert_str_eq(a->oauth2_token_command, "errand-oauth2 token me");
	ck_assert_str_eq(a->from, "Me <me@example.org>");
	ck_assert_str_eq(a->alternates[0], "me@old\\.example\\.org");
	ck_assert_str_eq(a->alternates[1], "^me\\+.*@example\\.org$");
	ck_assert_ptr_null(a->alternates[2]);
	ck_assert_str_eq(a->signature, "/sig");
	ck_assert_str_eq(a->smtp, "smtp://me@h:587");
	ck_assert_str_eq(a->smtp_password_command, "pass smtp");
	ck_assert_str_eq(a->sendmail_command, "msmtp -t");
	ck_assert_int_eq(a->save_sent, 0);
	ck_assert_int_eq(a->send_delay, 0);
	ck_assert_str_eq(a->query_command, "abook --mutt-query '%s'");
	ck_assert_str_eq(a->attribution, "%n wrote:");
	ck_assert_int_eq(a->forward_as_attachment, 1);
	ck_assert_int_eq(a->text_flowed, 1);
	a = config_account(cf, "b");
	ck_assert_int_eq(a->auth, CONFIG_AUTH_AUTO);
	ck_assert_int_eq(a->save_sent, 1);
	ck_assert_int_eq(a->send_delay, 30);
	ck_assert_ptr_null(a->from);
	ck_assert_ptr_null(a->alternates);
	config_free(cf);
}
END_TEST

START_TEST(test_config_delete)
{
	static const struct {
		const char *text;
		enum config_quad want;
	} t[] = {
	    {"[account a]\nsource = imaps://h\n"
	     "[ui]\n",
	        CONFIG_QUAD_ASK_YES},
	    {"[account a]\nsource = imaps://h\n"
	     "[ui]\ndelete = ask-yes\n",
	        CONFIG_QUAD_ASK_YES},
	    {"[account a]\nsource = imaps://h\n"
	     "[ui]\ndelete = ask-no\n",
	        CONFIG_QUAD_ASK_NO},
	    {"[account a]\nsource = imaps://h\n"
	     "[ui]\ndelete = yes\n",
	        CONFIG_QUAD_YES},
	    {"[account a]\nsource = imaps://h\n"
	     "[ui]\ndelete = no\n",
	        CONFIG_QUAD_NO},
	};
	struct config *cf;
	char *err;
	size_t i;

	for (i = 0; i < sizeof t / sizeof *t; i++) {
		ck_assert_msg(config_parse(t[i].text, strlen(t[i].text),
		                  "t.conf", &cf, &err) == 0,
		    "%s", err);
		ck_assert_int_eq(cf->delete_quad, t[i].want);
		config_free(cf);
	}
}
END_TEST

START_TEST(test_config_relative_ca)
{
	static const char text[] = "[account a]\nsource = imaps://h\n"
	                           "ca-file = t.conf\n";
	struct config *cf;
	char *err, *dir, path[4096];
	FILE *f;

	dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	snprintf(
	    path, sizeof path, "%s/errand-test-config-%d", dir, (int)getpid());
	ck_assert_int_eq(mkdir(path, 0700), 0);
	strncat(path, "/t.conf", sizeof path - strlen(path) - 1);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	ck_assert_msg(config_load(path, &cf, &err) == 0, "%s", err);
	ck_assert_str_eq(cf->accounts[0].ca_file, path);
	config_free(cf);
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
}
END_TEST

START_TEST(test_config_load_missing)
{
	struct config *cf;
	char *err;

	ck_assert_int_eq(
	    config_load("/nonexistent/errand.conf", &cf, &err), -1);
	ck_assert_str_eq(err,
	    "/nonexistent/errand.conf: No such file or "
	    "directory");
	free(err);
}
END_TEST

START_TEST(test_config_default_path)
{
	char *p;

	setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
	p = config_default_path();
	ck_assert_str_eq(p, "/x/cfg/errand/config");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/u", 1);
	p = config_default_path();
	ck_assert_str_eq(p, "/home/u/.config/errand/config");
	free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_config_bad, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(tc, test_config_nul);
	tcase_add_test(tc, test_config_long_line);
	tcase_add_test(tc, test_config_good);
	tcase_add_test(tc, test_config_compose);
	tcase_add_test(tc, test_config_delete);
	tcase_add_test(tc, test_config_relative_ca);
	tcase_add_test(tc, test_config_load_missing);
	tcase_add_test(tc, test_config_default_path);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
