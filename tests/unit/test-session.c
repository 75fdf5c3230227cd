/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/engine/session.c: the backoff first, then the credentials
 * got once through the callbacks (answered at once, later, refused, put
 * off, forgotten), a real password-command waited for and on the loop (and
 * stopped), and the one classification of IMAP failures. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cmd/cmd.h"
#include "config.h"
#include "engine/session.h"
#include "url.h"
#include "xmalloc.h"
#include "net/imap.h"
#include "net/pop3.h"

/* What the callbacks saw, and how ask() answers. */
struct seen {
	int asks;     /* ask() calls */
	int readies;  /* ready() calls */
	char *err;    /* ready()'s last err, or NULL */
	char *prompt; /* ask()'s last prompt */
	int answer;   /* 1: the password now, -1: refuse, 0: later */
	int put_off;  /* session_creds_later() instead */
	int retries;  /* retry() calls */
	struct event_base *base;
};

static struct config cf;
static struct cmd_ctx ctx;
static struct account acct;
static struct seen seen;

static void on_ask(struct session *, enum session_cred, const char *, void *);
static void on_ready(struct session *, const char *, void *);
static void on_retry(struct session *, void *);
static struct session *make(int wait, const char *command);
static struct session_deadline *deadline; /* make() passes it */
static void setup(void);
static void teardown(void);

static void
on_ask(struct session *s, enum session_cred kind, const char *prompt, void *arg)
{
	struct seen *w = arg;

	ck_assert_int_eq(kind, SESSION_CRED_PASSWORD);
	w->asks++;
	free(w->prompt);
	w->prompt = xstrdup(prompt);
	if (w->put_off)
		session_creds_later(s);
	else if (w->answer == 1)
		session_creds_set(s, xstrdup("hunter2"));
	else if (w->answer == -1)
		session_creds_fail(s, "no password given");
}

static void
on_ready(struct session *s, const char *err, void *arg)
{
	struct seen *w = arg;

	(void)s;
	w->readies++;
	free(w->err);
	w->err = err != NULL ? xstrdup(err) : NULL;
	if (w->base != NULL)
		event_base_loopbreak(w->base);
}

static void
on_retry(struct session *s, void *arg)
{
	struct seen *w = arg;

	(void)s;
	w->retries++;
	event_base_loopbreak(w->base);
}

static struct session *
make(int wait, const char *command)
{
	struct session_params p;

	free(acct.password_command);
	acct.password_command = command != NULL ? xstrdup(command) : NULL;
	memset(&p, 0, sizeof p);
	p.base = ctx.base;
	p.dns = ctx.dns;
	p.deadline = deadline;
	p.a = &acct;
	p.wait = wait;
	p.ask = on_ask;
	p.ready = on_ready;
	p.retry = on_retry;
	p.arg = &seen;
	return session_new(&p);
}

static void
setup(void)
{
	char *err;

	memset(&cf, 0, sizeof cf);
	memset(&ctx, 0, sizeof ctx);
	memset(&acct, 0, sizeof acct);
	memset(&seen, 0, sizeof seen);
	deadline = NULL;
	ctx.cf = &cf;
	acct.name = xstrdup("demo");
	acct.timeout = 5;
	ck_assert_int_eq(
	    url_parse("imap://alice@127.0.0.1:1", &acct.url, &err), 0);
	cmd_loop(&ctx);
	seen.base = ctx.base;
}

static void
teardown(void)
{
	free(seen.err);
	free(seen.prompt);
	free(acct.name);
	free(acct.password_command);
	url_clear(&acct.url);
	cmd_loop_free(&ctx);
}

START_TEST(test_session_edges)
{
	struct session *s;

	session_free(NULL);
	s = make(1, NULL);
	ck_assert_ptr_eq(session_base(s), ctx.base);
	ck_assert_ptr_eq(session_dns(s), ctx.dns);
	ck_assert_ptr_eq(session_account(s), &acct);
	ck_assert_ptr_null(session_store(s));
	ck_assert_ptr_null(session_creds_error(s));
	ck_assert_int_eq(session_creds_cancel(s), 0); /* nothing runs */
	session_creds_forget(s);                      /* nothing held */
	ck_assert_int_eq(session_net(s), SESSION_NET_CONNECTING);
	/* No deadline: never timed out. */
	session_deadline_start(s);
	ck_assert_int_eq(session_timed_out(s), 0);
	ck_assert_int_eq(session_deadline_secs(s), 0);
	ck_assert_ptr_null(session_net_reason(s));
	session_set_net(s, SESSION_NET_OFFLINE, "connection refused");
	ck_assert_int_eq(session_net(s), SESSION_NET_OFFLINE);
	ck_assert_str_eq(session_net_reason(s), "connection refused");
	/* Its own reason kept across a change of state. */
	session_set_net(s, SESSION_NET_SYNCING, session_net_reason(s));
	ck_assert_int_eq(session_net(s), SESSION_NET_SYNCING);
	ck_assert_str_eq(session_net_reason(s), "connection refused");
	session_set_net(s, SESSION_NET_ONLINE, NULL);
	ck_assert_ptr_null(session_net_reason(s));
	session_free(s);
	ck_assert_int_eq(seen.asks, 0);
}
END_TEST

START_TEST(test_session_backoff)
{
	static const int offline[] = {2, 4, 8, 16, 32, 60, 60};
	static const int locked[] = {1, 2, 4, 8, 8};
	struct backoff b = {SESSION_RETRY_MIN, SESSION_RETRY_MAX, 0};
	size_t i;

	for (i = 0; i < sizeof offline / sizeof offline[0]; i++)
		ck_assert_int_eq(backoff_next(&b), offline[i]);
	backoff_reset(&b);
	ck_assert_int_eq(backoff_next(&b), 2);
	b.min = 1;
	b.max = 8;
	b.secs = 0;
	for (i = 0; i < sizeof locked / sizeof locked[0]; i++)
		ck_assert_int_eq(backoff_next(&b), locked[i]);
}
END_TEST

START_TEST(test_session_retry)
{
	struct session *s = make(1, NULL);

	session_retry_after(s, 0);
	event_base_dispatch(ctx.base);
	ck_assert_int_eq(seen.retries, 1);
	/* A cancelled retry does not come. */
	session_retry_after(s, 0);
	session_retry_cancel(s);
	ck_assert_int_eq(event_base_loop(ctx.base, EVLOOP_NONBLOCK), 1);
	ck_assert_int_eq(seen.retries, 1);
	session_free(s);
}
END_TEST

START_TEST(test_session_deadline)
{
	struct session_deadline dl = {1, 0, NULL, NULL};
	struct session *s;

	deadline = &dl;
	s = make(1, NULL);
	ck_assert_int_eq(session_deadline_secs(s), 1);
	session_deadline_start(s);
	session_deadline_start(s); /* once */
	ck_assert_ptr_nonnull(dl.ev);
	ck_assert_int_eq(session_timed_out(s), 0);
	event_base_dispatch(ctx.base); /* stopped when it passes */
	ck_assert_int_eq(dl.passed, 1);
	ck_assert_int_eq(session_timed_out(s), 1);
	session_deadline_forgive(s);
	ck_assert_int_eq(session_timed_out(s), 0);
	session_free(s);
	session_deadline_clear(&dl);
	ck_assert_ptr_null(dl.ev);
	/* secs 0: none armed. */
	dl.secs = 0;
	session_deadline_arm(&dl, ctx.base);
	ck_assert_ptr_null(dl.ev);
}
END_TEST

START_TEST(test_session_ask_now)
{
	struct imap_params ip;
	struct pop3_params pp;
	struct session *s = make(0, NULL);

	seen.answer = 1;
	ck_assert_int_eq(session_creds(s), 1);
	ck_assert_int_eq(seen.asks, 1);
	ck_assert_int_eq(seen.readies, 1);
	ck_assert_ptr_null(seen.err);
	ck_assert_str_eq(seen.prompt, "Password for alice@127.0.0.1: ");
	/* Held once: not asked again. */
	ck_assert_int_eq(session_creds(s), 1);
	ck_assert_int_eq(seen.asks, 1);
	session_imap_params(s, &ip);
	ck_assert_str_eq(ip.secret(ip.secret_arg), "hunter2");
	ck_assert_str_eq(ip.user, "alice");
	ck_assert_str_eq(ip.conn.host, "127.0.0.1");
	ck_assert_int_eq(ip.conn.port, 1);
	ck_assert_int_eq(ip.starttls, 1);
	session_pop3_params(s, &pp);
	ck_assert_str_eq(pp.secret(pp.secret_arg), "hunter2");
	/* Refused by the server: asked again at the next need. */
	session_creds_forget(s);
	session_imap_params(s, &ip);
	ck_assert_str_eq(ip.secret(ip.secret_arg), "");
	ck_assert_int_eq(session_creds(s), 1);
	ck_assert_int_eq(seen.asks, 2);
	session_free(s);
}
END_TEST

START_TEST(test_session_ask_refused)
{
	struct session *s = make(0, NULL);

	seen.answer = -1;
	ck_assert_int_eq(session_creds(s), -1);
	ck_assert_int_eq(seen.readies, 1);
	ck_assert_str_eq(seen.err, "no password given");
	ck_assert_str_eq(session_creds_error(s), "no password given");
	/* $ tries again: asked again. */
	seen.answer = 1;
	ck_assert_int_eq(session_creds(s), 1);
	ck_assert_int_eq(seen.asks, 2);
	ck_assert_ptr_null(session_creds_error(s));
	session_free(s);
}
END_TEST

START_TEST(test_session_ask_later)
{
	struct session *s = make(0, NULL);

	/* Another prompt is open: put off, nothing under way. */
	seen.put_off = 1;
	ck_assert_int_eq(session_creds(s), 0);
	ck_assert_int_eq(seen.readies, 0);
	seen.put_off = 0;
	/* Asked; the answer comes from the loop later. */
	seen.answer = 0;
	ck_assert_int_eq(session_creds(s), 0);
	ck_assert_int_eq(seen.asks, 2);
	ck_assert_int_eq(session_creds(s), 0); /* under way: not again */
	ck_assert_int_eq(seen.asks, 2);
	session_creds_set(s, xstrdup("typed"));
	ck_assert_int_eq(seen.readies, 1);
	ck_assert_ptr_null(seen.err);
	ck_assert_int_eq(session_creds(s), 1);
	session_free(s);
}
END_TEST

START_TEST(test_session_command_wait)
{
	struct imap_params ip;
	struct session *s = make(1, "echo 'pass word'; echo second");

	ck_assert_int_eq(session_creds(s), 1);
	ck_assert_int_eq(seen.asks, 0);
	ck_assert_int_eq(seen.readies, 1);
	session_imap_params(s, &ip);
	ck_assert_str_eq(ip.secret(ip.secret_arg), "pass word");
	session_free(s);

	s = make(1, "exit 3");
	ck_assert_int_eq(session_creds(s), -1);
	ck_assert_str_eq(seen.err, "password-command exited with status 3");
	ck_assert_int_eq(seen.asks, 0);
	session_free(s);
}
END_TEST

/* An OAuth2 token: from oauth2-token-command, never asked for; a refusal
 * runs the command again once, a second one is final, and being online
 * makes the next refusal a first one again. */
START_TEST(test_session_token)
{
	struct imap_params ip;
	struct session *s;
	char *count;
	int fd;

	xasprintf(&count, "%s/errand-test-session.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert_int_ne(fd = mkstemp(count), -1);
	fclose(fdopen(fd, "w"));
	free(acct.oauth2_token_command);
	xasprintf(&acct.oauth2_token_command,
	    "echo run >>%s; echo tok-$(wc -l <%s)", count, count);
	acct.auth = CONFIG_AUTH_XOAUTH2;
	s = make(1, "echo not-this");
	ck_assert_int_eq(session_cred_kind(s), SESSION_CRED_TOKEN);
	ck_assert_int_eq(session_creds(s), 1);
	ck_assert_int_eq(seen.asks, 0);
	session_imap_params(s, &ip);
	ck_assert_str_eq(ip.secret(ip.secret_arg), "tok-1");
	ck_assert_int_eq(session_creds(s), 1); /* held: not run again */

	ck_assert_int_eq(session_creds_refused(s, "NO expired"), 1);
	ck_assert_int_eq(session_creds(s), 1);
	ck_assert_str_eq(ip.secret(ip.secret_arg), "tok-2");
	/* The new one refused too: the end, no third run. */
	ck_assert_int_eq(session_creds_refused(s, "NO revoked"), 0);
	ck_assert_int_eq(session_creds(s), 1);
	ck_assert_str_eq(ip.secret(ip.secret_arg), "tok-2");

	/* Online with it; an hour later it expires: once more. */
	session_set_net(s, SESSION_NET_ONLINE, NULL);
	ck_assert_int_eq(session_creds_refused(s, "NO expired"), 1);
	ck_assert_int_eq(session_creds(s), 1);
	ck_assert_str_eq(ip.secret(ip.secret_arg), "tok-3");
	session_free(s);

	/* auto with a token command is a token; a password is never
	 * renewed by a refusal. */
	acct.auth = CONFIG_AUTH_AUTO;
	s = make(1, NULL);
	ck_assert_int_eq(session_cred_kind(s), SESSION_CRED_TOKEN);
	session_free(s);
	free(acct.oauth2_token_command);
	acct.oauth2_token_command = NULL;
	s = make(1, "echo pw");
	ck_assert_int_eq(session_cred_kind(s), SESSION_CRED_PASSWORD);
	ck_assert_int_eq(session_creds(s), 1);
	ck_assert_int_eq(session_creds_refused(s, "NO"), 0);
	session_free(s);

	/* Named when it prints nothing; none at all for xoauth2. */
	acct.auth = CONFIG_AUTH_OAUTHBEARER;
	acct.oauth2_token_command = xstrdup("true");
	s = make(1, NULL);
	ck_assert_int_eq(session_creds(s), -1);
	ck_assert_str_eq(
	    seen.err, "oauth2-token-command 'true' printed no token");
	session_free(s);
	free(acct.oauth2_token_command);
	acct.oauth2_token_command = NULL;
	s = make(1, NULL);
	ck_assert_int_eq(session_creds(s), -1);
	ck_assert_int_eq(seen.asks, 0);
	session_free(s);
	acct.auth = CONFIG_AUTH_AUTO;
	remove(count);
	free(count);
}
END_TEST

START_TEST(test_session_command_loop)
{
	struct imap_params ip;
	struct session *s = make(0, "echo hunter3");

	ck_assert_int_eq(session_creds(s), 0);
	ck_assert_int_eq(session_creds(s), 0); /* running: not twice */
	event_base_dispatch(ctx.base);
	ck_assert_int_eq(seen.readies, 1);
	ck_assert_ptr_null(seen.err);
	ck_assert_int_eq(session_creds(s), 1);
	session_imap_params(s, &ip);
	ck_assert_str_eq(ip.secret(ip.secret_arg), "hunter3");
	session_free(s);

	/* Ctrl-G stops a command that hangs. */
	s = make(0, "sleep 60");
	ck_assert_int_eq(session_creds(s), 0);
	ck_assert_int_eq(session_creds_cancel(s), 1);
	ck_assert_int_eq(seen.readies, 2);
	ck_assert_str_eq(seen.err, "password-command stopped");
	ck_assert_int_eq(session_creds_cancel(s), 0);
	session_free(s);
	/* Freed while one runs: it is stopped, ready() does not come. */
	s = make(0, "sleep 60");
	ck_assert_int_eq(session_creds(s), 0);
	session_free(s);
	ck_assert_int_eq(seen.readies, 2);
}
END_TEST

/* The connection's end as IMAP gives it to each session. */
static void
on_connect(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	enum session_err *out = arg;

	(void)msg;
	*out = session_imap_err(im, e);
	event_base_loopbreak(ctx.base);
}

START_TEST(test_session_imap_err)
{
	ck_assert_int_eq(
	    session_imap_err(NULL, IMAP_ERR_NONE), SESSION_ERR_NONE);
	ck_assert_int_eq(session_imap_err(NULL, IMAP_ERR_NO), SESSION_ERR_NO);
	ck_assert_int_eq(
	    session_imap_err(NULL, IMAP_ERR_AUTH), SESSION_ERR_AUTH);
	ck_assert_int_eq(
	    session_imap_err(NULL, IMAP_ERR_PROTO), SESSION_ERR_LOST);
	ck_assert_int_eq(
	    session_imap_err(NULL, IMAP_ERR_CONN), SESSION_ERR_LOST);
	ck_assert_int_eq(
	    session_imap_err(NULL, IMAP_ERR_CLOSED), SESSION_ERR_LOST);
}
END_TEST

START_TEST(test_session_imap_refused)
{
	struct imap_params ip;
	struct session *s = make(0, NULL);
	enum session_err got = SESSION_ERR_NONE;
	struct imap *im;

	/* Port 1 on loopback refuses: out of reach, for every session. */
	seen.answer = 1;
	ck_assert_int_eq(session_creds(s), 1);
	session_imap_params(s, &ip);
	ip.starttls = 0;
	im = imap_new(ctx.base, ctx.dns, &ip);
	imap_connect(im, on_connect, &got);
	event_base_dispatch(ctx.base);
	ck_assert_int_eq(got, SESSION_ERR_OFFLINE);
	imap_free(im);
	session_free(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_session_edges);
	tcase_add_test(tc, test_session_backoff);
	tcase_add_test(tc, test_session_retry);
	tcase_add_test(tc, test_session_deadline);
	tcase_add_test(tc, test_session_ask_now);
	tcase_add_test(tc, test_session_ask_refused);
	tcase_add_test(tc, test_session_ask_later);
	tcase_add_test(tc, test_session_command_wait);
	tcase_add_test(tc, test_session_command_loop);
	tcase_add_test(tc, test_session_token);
	tcase_add_test(tc, test_session_imap_err);
	tcase_add_test(tc, test_session_imap_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
