/* errand: a terminal mail user agent. See LICENSE.
 * errand check [ACCOUNT]: connect, verify TLS, log in and log out with the
 * same IMAP or POP3 session the other commands use, and say how it went;
 * then the same for the account's SMTP server (EHLO, STARTTLS, AUTH, QUIT:
 * nothing sent). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cmd/cmd.h"
#include "engine/session.h"
#include "content/text.h"
#include "url.h"
#include "xmalloc.h"
#include "net/imap.h"
#include "net/pop3.h"
#include "net/smtp.h"

struct check {
	struct cmd_ctx *ctx;
	const struct account *account;
	struct imap *imap;
	struct pop3 *pop3;
	struct session *s;
	char *url;
	char *tls;  /* the TLS version, taken while connected */
	char *mech; /* the SASL mechanism the login used, or NULL */
	char *zip;  /* IMAP: "compression on", or off and why */
	int ok;     /* 1: logged in; -1: the deadline passed first */
	int ended;  /* check_end() ran */
	int again;  /* a refused token: log in again with a new one */
};

static int cmd_check_exec(struct cmd_ctx *, int, char **);
static void check_end(struct check *, const char *);
static int check_refused(struct check *, int, const char *);
static void check_imap_in(struct imap *, enum imap_err, const char *, void *);
static void check_imap_out(struct imap *, enum imap_err, const char *, void *);
static void check_pop3_in(struct pop3 *, const struct pop3_result *, void *);
static void check_pop3_out(struct pop3 *, const struct pop3_result *, void *);
static int check_smtp(
    struct cmd_ctx *, const struct account *, sasl_secret_cb, void *, int, int);
static void check_smtp_done(const struct smtp_result *, void *);

const struct cmd_entry cmd_check_entry = {
    "check",
    "[-a ACCOUNT | ACCOUNT]",
    "connect to the account, verify TLS, log in and report",
    cmd_check_exec,
};

/* Say how it went (error NULL: it went well) and stop the loop. */
static void
check_end(struct check *c, const char *error)
{
	char *url, *tls;

	if (error == NULL) {
		/* The URL is the config file's words: terminal-safe. */
		url = text_clean_line(c->url);
		tls = text_clean_line(c->tls != NULL ? c->tls : "no TLS");
		printf("%s: ok (%s, %s, %s)\n", c->account->name, url, tls,
		    c->mech != NULL ? c->mech : "logged in");
		if (c->zip != NULL)
			printf("%s: %s\n", c->account->name, c->zip);
		free(url);
		free(tls);
		c->ok = 1;
	} else
		cmd_error("%s: %s", c->account->name, error);
	c->ended = 1;
	event_base_loopbreak(c->ctx->base);
}

/* The server refused an OAuth2 token (auth): stop, to log in again with a
 * new one, once. */
static int
check_refused(struct check *c, int auth, const char *error)
{
	if (!auth || !session_creds_refused(c->s, error))
		return 0;
	c->again = 1;
	event_base_loopbreak(c->ctx->base);
	return 1;
}

static void
check_imap_in(struct imap *im, enum imap_err err, const char *msg, void *arg)
{
	struct check *c = arg;
	const char *v;
	char *z;

	if (err != IMAP_ERR_NONE) {
		if (!check_refused(c, err == IMAP_ERR_AUTH, msg))
			check_end(c, msg);
		return;
	}
	if ((v = imap_tls_version(im)) != NULL)
		c->tls = xstrdup(v);
	if ((v = imap_auth_mech(im)) != NULL)
		c->mech = xstrdup(v);
	if ((v = imap_compress_why(im)) != NULL) {
		z = text_clean_line(v); /* it may quote the server */
		xasprintf(&c->zip, "compression %s", z);
		free(z);
	}
	imap_logout(im, check_imap_out, c);
}

static void
check_imap_out(struct imap *im, enum imap_err err, const char *msg, void *arg)
{
	(void)im;
	/* Logged in is what was asked; a server that drops the line at
	 * LOGOUT has still said yes. */
	(void)err;
	(void)msg;
	check_end(arg, NULL);
}

static void
check_pop3_in(struct pop3 *p, const struct pop3_result *r, void *arg)
{
	struct check *c = arg;
	const char *v;

	if (r->err != POP3_ERR_NONE) {
		if (!check_refused(c, r->err == POP3_ERR_AUTH, r->error))
			check_end(c, r->error);
		return;
	}
	if ((v = pop3_tls_version(p)) != NULL)
		c->tls = xstrdup(v);
	if ((v = pop3_auth_mech(p)) != NULL)
		c->mech = xstrdup(v);
	pop3_quit(p, check_pop3_out, c);
}

static void
check_pop3_out(struct pop3 *p, const struct pop3_result *r, void *arg)
{
	(void)p;
	(void)r;
	check_end(arg, NULL);
}

static int
cmd_check_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct imap_params ip;
	struct pop3_params pp;
	struct check c;
	const struct account *a;
	struct session *s;
	int first, rc;

	if ((a = cmd_account_arg(ctx, &cmd_check_entry, argc, argv, &first)) ==
	    NULL)
		return CMD_EXIT_USAGE;
	if (first < argc) {
		cmd_error("usage: errand check %s", cmd_check_entry.args);
		return CMD_EXIT_USAGE;
	}
	s = cmd_session(ctx, a, NULL);
	if (session_creds(s) != 1) {
		session_free(s);
		return CMD_EXIT_FAIL;
	}
	cmd_loop(ctx);
	cmd_deadline(ctx, a);

	memset(&c, 0, sizeof c);
	c.ctx = ctx;
	c.account = a;
	c.url = url_format(&a->url);
	c.s = s;
again:
	if (url_is_imap(a->url.scheme)) {
		session_imap_params(s, &ip);
		c.imap = imap_new(ctx->base, ctx->dns, &ip);
		imap_connect(c.imap, check_imap_in, &c);
	} else {
		session_pop3_params(s, &pp);
		c.pop3 = pop3_new(ctx->base, ctx->dns, &pp);
		pop3_connect(c.pop3, check_pop3_in, &c);
	}
	event_base_dispatch(ctx->base);
	if (c.again) {
		c.again = 0;
		imap_free(c.imap);
		pop3_free(c.pop3);
		c.imap = NULL;
		c.pop3 = NULL;
		if (session_creds(s) == 1)
			goto again;
	}
	if (ctx->dl.passed && !c.ok && !c.ended) {
		cmd_error("%s: '%s' timed out after %d s", ctx->command,
		    a->name, ctx->dl.secs);
		c.ok = -1;
	}
	rc = c.ok == 1   ? CMD_EXIT_OK
	    : c.ok == -1 ? CMD_EXIT_TIMEOUT
	                 : CMD_EXIT_FAIL;
	if (a->smtp != NULL && c.ok != -1) {
		/* The account's credentials, unless smtp-password-command
		 * says otherwise (not run here yet: AUTH then fails). */
		session_imap_params(s, &ip);
		if (a->smtp_password_command != NULL)
			ip.secret = NULL;
		if (check_smtp(ctx, a, ip.secret, ip.secret_arg, (int)ip.auth,
		        a->smtp_password_command != NULL
		            ? SASL_CAN_PASSWORD
		            : ip.auth_can) != CMD_EXIT_OK &&
		    rc == CMD_EXIT_OK)
			rc = CMD_EXIT_FAIL;
	}
	imap_free(c.imap);
	pop3_free(c.pop3);
	session_free(s);
	free(c.url);
	free(c.tls);
	free(c.mech);
	free(c.zip);
	return rc;
}

/* The SMTP half of a check. */
struct check_smtp {
	const struct account *account;
	struct event_base *base;
	char *url;
	int ok; /* 1 went well, 0 failed, -1 not finished */
};

static void
check_smtp_done(const struct smtp_result *r, void *arg)
{
	struct check_smtp *cs = arg;
	char *url, *tls;

	if (r->status == SMTP_OK) {
		url = text_clean_line(cs->url);
		tls = text_clean_line(
		    r->tls_version != NULL ? r->tls_version : "no TLS");
		printf("%s smtp: ok (%s, %s, %s)\n", cs->account->name, url,
		    tls, r->mech != NULL ? r->mech : "no AUTH");
		free(url);
		free(tls);
		cs->ok = 1;
	} else {
		cmd_error("%s smtp: %s", cs->account->name, r->text);
		cs->ok = 0;
	}
	event_base_loopbreak(cs->base);
}

/* Connect to the account's smtp server, EHLO, STARTTLS, AUTH and QUIT. */
static int
check_smtp(struct cmd_ctx *ctx, const struct account *a, sasl_secret_cb secret,
    void *secret_arg, int auth, int auth_can)
{
	struct smtp_params sp;
	struct check_smtp cs;
	struct smtp *sm;
	struct url u;
	char *err;

	if (url_parse(a->smtp, &u, &err) != 0 || !url_is_smtp(u.scheme)) {
		/* config.c checked it; say so rather than crash. */
		cmd_error(
		    "%s smtp: '%s' is not an smtp:// URL", a->name, a->smtp);
		free(err);
		url_clear(&u);
		return CMD_EXIT_FAIL;
	}
	memset(&cs, 0, sizeof cs);
	cs.account = a;
	cs.base = ctx->base;
	cs.url = url_format(&u);
	cs.ok = -1;
	memset(&sp, 0, sizeof sp);
	sp.host = u.host;
	sp.port = u.port;
	sp.tls = u.scheme == URL_SMTPS ? SMTP_TLS_IMPLICIT : SMTP_TLS_STARTTLS;
	sp.user = u.user != NULL ? u.user : a->url.user;
	if (sp.user == NULL)
		sp.user = getenv("USER");
	sp.secret = secret;
	sp.secret_arg = secret_arg;
	sp.ca_file = a->ca_file;
	sp.tls_fingerprint = a->tls_fingerprint;
	sp.connect_timeout = a->connect_timeout;
	sp.timeout = a->timeout;
	sp.log = ctx->log;
	sp.dns = ctx->dns;
	sp.auth = auth;
	sp.auth_can = auth_can;
	sm = smtp_check(ctx->base, &sp, check_smtp_done, &cs);
	event_base_dispatch(ctx->base);
	if (cs.ok == -1) {
		smtp_cancel(sm);
		cmd_error("%s smtp: '%s' timed out after %d s", ctx->command,
		    a->name, ctx->dl.secs);
	}
	free(cs.url);
	url_clear(&u);
	return cs.ok == 1 ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}
