/* errand: a terminal mail user agent. See LICENSE.
 * What the headless commands share: finding the account, its session
 * (credentials from password-command or the terminal), the event loop and
 * where its cache lives. */

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "cmd/cmd.h"
#include "engine/journal.h"
#include "engine/local.h"
#include "engine/maildir.h"
#include "engine/pop3-fetch.h"
#include "engine/secret.h"
#include "engine/session.h"
#include "engine/sync.h"
#include "content/text.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"
#include "net/conn.h"

static int cmd_deadline_secs(struct cmd_ctx *, const struct account *);

extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_sync_entry;
extern const struct cmd_entry cmd_folders_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_push_entry;
extern const struct cmd_entry cmd_send_entry;
extern const struct cmd_entry cmd_outbox_entry;
extern const struct cmd_entry cmd_search_entry;
extern const struct cmd_entry cmd_flag_entry;
extern const struct cmd_entry cmd_move_entry;
extern const struct cmd_entry cmd_copy_entry;
extern const struct cmd_entry cmd_delete_entry;

const struct cmd_entry *cmd_table[] = {
    &cmd_check_entry,
    &cmd_sync_entry,
    &cmd_folders_entry,
    &cmd_list_entry,
    &cmd_push_entry,
    &cmd_send_entry,
    &cmd_outbox_entry,
    &cmd_search_entry,
    &cmd_flag_entry,
    &cmd_move_entry,
    &cmd_copy_entry,
    &cmd_delete_entry,
    NULL,
};

void
cmd_error(const char *fmt, ...)
{
	va_list ap;
	char *msg, *clean;

	/* Messages quote arguments, file names and servers' words: each
	 * passes the one terminal-safe filter, as on the screen. */
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	clean = text_clean_line(msg);
	fprintf(stderr, "errand: %s\n", clean);
	free(clean);
	free(msg);
}

void
cmd_option_error(int ch, char *const *argv)
{
	if (ch == ':')
		cmd_error("option '%s' needs a value", argv[optind - 1]);
	else if (optopt > ' ' && optopt < 0x7f)
		cmd_error("unknown option '-%c'", optopt);
	else if (optopt != 0)
		cmd_error("unknown option '-' with byte 0x%02x", optopt & 0xff);
	else
		cmd_error("unknown option '%s'", argv[optind - 1]);
}

const struct account *
cmd_account(struct cmd_ctx *ctx, const char *name)
{
	const struct account *a;

	if (name == NULL)
		name = ctx->account;
	if ((a = config_account(ctx->cf, name)) == NULL)
		cmd_error("no account '%s' in %s", name, ctx->cf->path);
	return a;
}

/* The headless answer to the session's ask(): on the terminal. */
static void
cmd_ask_tty(
    struct session *s, enum session_cred kind, const char *prompt, void *arg)
{
	char *pw, *err;

	(void)kind;
	(void)arg;
	if ((pw = secret_from_tty(prompt, &err)) == NULL) {
		session_creds_fail(s, err);
		free(err);
		return;
	}
	session_creds_set(s, pw);
}

/* The end of getting the credentials: say why they did not come. */
static void
cmd_creds_ready(struct session *s, const char *err, void *arg)
{
	(void)arg;
	if (err != NULL)
		cmd_error("%s: %s", session_account(s)->name, err);
}

struct session *
cmd_session(struct cmd_ctx *ctx, const struct account *a, struct store *st)
{
	struct session_params sp;

	cmd_loop(ctx);
	if (ctx->dl.ev == NULL)
		ctx->dl.secs = cmd_deadline_secs(ctx, a);
	memset(&sp, 0, sizeof sp);
	sp.base = ctx->base;
	sp.dns = ctx->dns;
	sp.log = ctx->log;
	sp.deadline = &ctx->dl;
	sp.a = a;
	sp.st = st;
	sp.wait = 1;
	sp.ask = cmd_ask_tty;
	sp.ready = cmd_creds_ready;
	return session_new(&sp);
}

void
cmd_loop(struct cmd_ctx *ctx)
{
	if (ctx->base != NULL)
		return;
	if ((ctx->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (event_base_priority_init(ctx->base, CMD_PRIORITIES) != 0)
		fatalx("event_base_priority_init failed");
	/* Name servers are read after the base is made: with
	 * EVDNS_BASE_INITIALIZE_NAMESERVERS, libevent 2.1 keeps the loop
	 * alive after the last lookup. This also reads /etc/hosts. */
	ctx->dns = evdns_base_new(ctx->base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (ctx->dns == NULL)
		fatalx("evdns_base_new failed");
	evdns_base_resolv_conf_parse(
	    ctx->dns, DNS_OPTIONS_ALL, "/etc/resolv.conf");
}

/* The account's deadline in seconds: --sync-timeout, else its
 * sync-timeout, else the default; 0 for none. */
static int
cmd_deadline_secs(struct cmd_ctx *ctx, const struct account *a)
{
	int secs;

	secs = ctx->sync_timeout != 0 ? ctx->sync_timeout : a->sync_timeout;
	if (secs == 0)
		secs = CONFIG_SYNC_TIMEOUT;
	return secs == CONFIG_NO_TIMEOUT ? 0 : secs;
}

void
cmd_deadline(struct cmd_ctx *ctx, const struct account *a)
{
	if (ctx->dl.ev != NULL)
		return;
	cmd_loop(ctx);
	ctx->dl.secs = cmd_deadline_secs(ctx, a);
	session_deadline_arm(&ctx->dl, ctx->base);
}

int
cmd_exit_failed(const struct cmd_ctx *ctx)
{
	return ctx->dl.passed ? CMD_EXIT_TIMEOUT : CMD_EXIT_FAIL;
}

void
cmd_error_account(
    const struct cmd_ctx *ctx, const struct account *a, const char *err)
{
	if (ctx->dl.passed)
		cmd_error("%s: '%s' %s",
		    ctx->command != NULL ? ctx->command : "errand", a->name,
		    err);
	else
		cmd_error("%s: %s", a->name, err);
}

void
cmd_loop_free(struct cmd_ctx *ctx)
{
	session_deadline_clear(&ctx->dl);
	if (ctx->dns != NULL)
		evdns_base_free(ctx->dns, 0);
	conn_base_free(ctx->base);
	ctx->dns = NULL;
	ctx->base = NULL;
}

char *
cmd_cache_path(const struct account *a)
{
	const char *xdg, *home;
	char *s;

	if ((xdg = getenv("XDG_CACHE_HOME")) != NULL && *xdg == '/') {
		xasprintf(&s, "%s/errand/%s.db", xdg, a->name);
		return s;
	}
	if ((home = getenv("HOME")) == NULL || *home == '\0')
		return NULL;
	xasprintf(&s, "%s/.cache/errand/%s.db", home, a->name);
	return s;
}

struct store *
cmd_store_open(const struct account *a)
{
	struct store *st;
	char *path, *err;

	if ((path = cmd_cache_path(a)) == NULL) {
		cmd_error("neither XDG_CACHE_HOME nor HOME is set");
		return NULL;
	}
	st = store_open(path, &err);
	free(path);
	if (st == NULL) {
		cmd_error("%s", err);
		free(err);
		return NULL;
	}
	if (store_notice(st) != NULL)
		cmd_error("%s", store_notice(st));
	/* Pending changes live in the account's data, not the cache. */
	if (journal_open(st, a->name, &err) != 0) {
		cmd_error("%s", err);
		free(err);
		store_close(st);
		return NULL;
	}
	return st;
}

struct store *
cmd_store_open_readonly(const struct account *a)
{
	struct stat sb;
	struct store *st;
	char *path, *err;

	if ((path = cmd_cache_path(a)) == NULL) {
		cmd_error("neither XDG_CACHE_HOME nor HOME is set");
		return NULL;
	}
	/* No cache yet: an empty one says "sync it first" as before. */
	if (stat(path, &sb) == -1 && errno == ENOENT) {
		free(path);
		return cmd_store_open(a);
	}
	st = store_open_readonly(path, &err);
	free(path);
	if (st == NULL) {
		cmd_error("%s", err);
		free(err);
	}
	return st;
}

/* A POP3 account's cache for --offline: opened for writing when it can be
 * (the Maildir's changes are indexed into it first), else read as it is. */
static struct store *
cmd_store_open_local(const struct account *a)
{
	struct store *st;
	char *path, *err, *err2;

	if ((path = cmd_cache_path(a)) == NULL) {
		cmd_error("neither XDG_CACHE_HOME nor HOME is set");
		return NULL;
	}
	if ((st = store_open(path, &err)) != NULL) {
		free(path);
		if (store_notice(st) != NULL)
			cmd_error("%s", store_notice(st));
		return st;
	}
	st = store_open_readonly(path, &err2);
	free(path);
	if (st == NULL)
		cmd_error("%s", err);
	else
		cmd_error("%s: listing what it holds, without the Maildir's "
		          "latest changes",
		    err);
	free(err);
	free(err2);
	return st;
}

int
cmd_open_cache(struct cmd_ctx *ctx, const struct cmd_entry *ce, int argc,
    char **argv, int maxargs, struct cmd_opts *o)
{
	static const struct option longopts[] = {
	    {"account", required_argument, NULL, 'a'},
	    {"offline", no_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	const char *aname = NULL;
	int ch;

	memset(o, 0, sizeof *o);
	opterr = 0; /* getopt would echo a bad option raw */
	while ((ch = getopt_long(argc, argv, "+:a:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			aname = optarg;
			break;
		case 'o':
			o->offline = 1;
			break;
		default:
			cmd_option_error(ch, argv);
			cmd_error("usage: errand %s %s", ce->name, ce->args);
			return CMD_EXIT_USAGE;
		}
	}
	if (argc - optind > maxargs) {
		cmd_error("usage: errand %s %s", ce->name, ce->args);
		return CMD_EXIT_USAGE;
	}
	o->nargs = argc - optind;
	o->args = argv + optind;
	o->named = aname != NULL || ctx->account != NULL;
	if ((o->a = cmd_account(ctx, aname)) == NULL)
		return CMD_EXIT_USAGE;
	/* --offline only reads an IMAP account's cache: a read-only file or
	 * directory or a full disk must not stop it. A POP3 account's local
	 * folders are indexed into the cache first, where it can be. */
	if (o->offline && url_is_imap(o->a->url.scheme))
		o->st = cmd_store_open_readonly(o->a);
	else if (o->offline)
		o->st = cmd_store_open_local(o->a);
	else
		o->st = cmd_store_open(o->a);
	if (o->st == NULL)
		return CMD_EXIT_FAIL;
	return CMD_EXIT_OK;
}

const struct account *
cmd_account_arg(struct cmd_ctx *ctx, const struct cmd_entry *ce, int argc,
    char **argv, int *first)
{
	static const struct option longopts[] = {
	    {"account", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	const struct account *def;
	const char *aname = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "+a:", longopts, NULL)) != -1) {
		if (ch != 'a') {
			cmd_error("usage: errand %s %s", ce->name, ce->args);
			return NULL;
		}
		aname = optarg;
	}
	*first = optind;
	if (aname == NULL)
		aname = ctx->account;
	if (aname != NULL)
		return cmd_account(ctx, aname);
	def = config_account(ctx->cf, NULL);
	if (optind >= argc || def == NULL)
		return def; /* the config has one at least */
	/* The positional form: the first argument is the account. */
	if (config_account(ctx->cf, argv[optind]) == NULL &&
	    strcmp(ce->name, "sync") == 0) {
		/* Maybe a folder was meant: say how to name one. */
		cmd_error("no account '%s' in %s (for the folder of %s: "
		          "errand sync -a %s %s)",
		    argv[optind], ctx->cf->path, def->name, def->name,
		    argv[optind]);
		return NULL;
	}
	*first = optind + 1;
	return cmd_account(ctx, argv[optind]);
}

int
cmd_local_refresh(
    struct cmd_ctx *ctx, const struct account *a, struct store *st, int offline)
{
	struct pop3_fetch_params pp;
	enum pop3_fetch_result r;
	struct session *s;
	struct local *l;
	char *path, *err;

	if (store_readonly(st))
		return 0; /* the cache answers as it is */
	if (!offline) {
		memset(&pp, 0, sizeof pp);
		s = cmd_session(ctx, a, st);
		r = pop3_fetch_run(s, &pp, &err);
		session_free(s);
		switch (r) {
		case POP3_FETCH_OK:
			break;
		case POP3_FETCH_OFFLINE:
			cmd_error("offline: %s", err);
			free(err);
			break;
		case POP3_FETCH_FAILED:
			cmd_error_account(ctx, a, err);
			free(err);
			return -1;
		}
	}
	if ((path = maildir_default_path(a->name)) == NULL) {
		cmd_error("neither XDG_DATA_HOME nor HOME is set");
		return -1;
	}
	l = local_open(st, path, a->fallback_charset, &err);
	free(path);
	if (l == NULL || local_refresh(l, 0, &err) != 0) {
		cmd_error("%s: %s", a->name, err);
		free(err);
		local_close(l);
		return -1;
	}
	local_close(l);
	return 0;
}

int
cmd_sync_or_offline(struct cmd_ctx *ctx, const struct account *a,
    struct store *st, const struct sync_params *sp)
{
	struct session *s = cmd_session(ctx, a, st);
	enum sync_result r;
	char *err;

	r = sync_run(s, sp, &err);
	session_free(s);
	switch (r) {
	case SYNC_OK:
		return 0;
	case SYNC_OFFLINE:
		cmd_error("offline: %s", err);
		free(err);
		return 0;
	case SYNC_FAILED:
		break;
	}
	cmd_error_account(ctx, a, err);
	free(err);
	return -1;
}
