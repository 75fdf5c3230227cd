/* errand: a terminal mail user agent. See LICENSE.
 * errand check [ACCOUNT]: connect, verify TLS, log in and log out, and say
 * how it went. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cmd.h"
#include "secret.h"
#include "url.h"
#include "xmalloc.h"
#include "net/greet.h"

struct check {
	const struct account *account;
	char *url;
	int ok;
};

static int cmd_check_exec(struct cmd_ctx *, int, char **);
static void check_done(struct greet *, const struct greet_result *, void *);

const struct cmd_entry cmd_check_entry = {
    "check",
    "[ACCOUNT]",
    "connect to the account, verify TLS, log in and report",
    cmd_check_exec,
};

static void
check_done(struct greet *g, const struct greet_result *r, void *arg)
{
	struct check *c = arg;

	if (r->ok) {
		printf("%s: ok (%s, %s, logged in)\n", c->account->name, c->url,
		    r->tls_version != NULL ? r->tls_version : "no TLS");
		c->ok = 1;
	} else
		cmd_error("%s: %s", c->account->name, r->error);
	greet_free(g);
}

static int
cmd_check_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct greet_params gp;
	struct check c;
	const struct account *a;
	char *password, *user;

	if (argc > 2) {
		cmd_error("usage: errand check [ACCOUNT]");
		return CMD_EXIT_USAGE;
	}
	if ((a = cmd_account(ctx, argc > 1 ? argv[1] : NULL)) == NULL)
		return CMD_EXIT_USAGE;
	if ((password = cmd_password(a)) == NULL)
		return CMD_EXIT_FAIL;
	cmd_loop(ctx);

	user = a->url.user != NULL ? a->url.user : getenv("USER");
	memset(&gp, 0, sizeof gp);
	cmd_conn_params(ctx, a, &gp.conn);
	gp.proto = url_is_imap(a->url.scheme) ? GREET_IMAP : GREET_POP3;
	gp.starttls = !url_is_implicit_tls(a->url.scheme);
	gp.user = user != NULL ? user : "";
	gp.password = password;

	memset(&c, 0, sizeof c);
	c.account = a;
	c.url = url_format(&a->url);
	greet_start(ctx->base, ctx->dns, &gp, check_done, &c);
	event_base_dispatch(ctx->base);
	secret_free(password);
	free(c.url);
	return c.ok ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}
