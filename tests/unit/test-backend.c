/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/backend*.c: the choice by URL, then each backend
 * through the vtable alone on a real cache (and for local folders a real
 * Maildir) in a temporary directory: folder operations, bodies, flags,
 * moves and expunge, and what goes through the journal instead; then the
 * refresh every backend runs for its owner (src/engine/backend.c), its
 * events recorded, against servers out of reach. */

#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine/backend.h"
#include "cmd/cmd.h"
#include "config.h"
#include "engine/local.h"
#include "engine/maildir.h"
#include "engine/session.h"
#include "engine/view.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"

static char *tmp; /* this test's directory, also $XDG_DATA_HOME */
static struct config cf;
static struct cmd_ctx ctx;
static struct account account;
static struct store *st;
static struct session *s;

/* What a body fetch's callback saw. */
struct fetched {
	int calls;
	enum fetch_result r;
	char *err;
};

/* What a folder operation's callback saw. */
struct done {
	int calls;
	char *err;
};

/* What the backend told its owner (struct backend_events). */
struct heard {
	int changed, changed_now, progress, listed, listed_synced, state;
	int messages, errors;
	int64_t id;            /* the last changed()'s folder row */
	char *last;            /* the last message */
	int stop_when_offline; /* break the loop once the session is offline */
	int stop_on_progress;  /* break it when a refresh starts */
};

static struct heard heard;
static int with_password; /* setup_account(): ask() answers "secret" */

static int rm_entry(const char *, const struct stat *, int, struct FTW *);
static void setup_account(const char *url);
static void setup(void);
static void teardown(void);
static void on_done(const char *, void *);
static void on_fetched(enum fetch_result, const char *, void *);
static void deliver(const char *folder_dir, const char *text);
static void on_ask(struct session *, enum session_cred, const char *, void *);
static void ev_changed(int64_t, enum backend_change, void *);
static void ev_progress(uint32_t, uint32_t, int, void *);
static void ev_listed(int, void *);
static void ev_state(void *);
static void ev_message(int, const char *, void *);
static void listen_to(struct backend *);

static void
on_ask(
    struct session *ss, enum session_cred kind, const char *prompt, void *arg)
{
	(void)kind;
	(void)prompt;
	(void)arg;
	session_creds_set(ss, xstrdup("secret"));
}

static void
ev_changed(int64_t id, enum backend_change how, void *arg)
{
	(void)arg;
	heard.changed++;
	heard.changed_now += how == BACKEND_CHANGE_NOW;
	heard.id = id;
}

static void
ev_progress(uint32_t done, uint32_t total, int stored, void *arg)
{
	(void)done;
	(void)total;
	(void)stored;
	(void)arg;
	heard.progress++;
	if (heard.stop_on_progress)
		event_base_loopbreak(ctx.base);
}

static void
ev_listed(int synced, void *arg)
{
	(void)arg;
	heard.listed++;
	heard.listed_synced += synced;
}

static void
ev_state(void *arg)
{
	(void)arg;
	heard.state++;
	if (heard.stop_when_offline && session_net(s) == SESSION_NET_OFFLINE)
		event_base_loopbreak(ctx.base);
}

static void
ev_message(int error, const char *text, void *arg)
{
	(void)arg;
	heard.messages++;
	heard.errors += error;
	free(heard.last);
	heard.last = xstrdup(text);
}

/* Record what b tells its owner. */
static void
listen_to(struct backend *b)
{
	struct backend_events ev;

	memset(&heard, 0, sizeof heard);
	memset(&ev, 0, sizeof ev);
	ev.changed = ev_changed;
	ev.progress = ev_progress;
	ev.listed = ev_listed;
	ev.state = ev_state;
	ev.message = ev_message;
	backend_events(b, &ev);
}

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
on_done(const char *err, void *arg)
{
	struct done *d = arg;

	d->calls++;
	free(d->err);
	d->err = err != NULL ? xstrdup(err) : NULL;
}

static void
on_fetched(enum fetch_result r, const char *err, void *arg)
{
	struct fetched *f = arg;

	f->calls++;
	f->r = r;
	free(f->err);
	f->err = xstrdup(err);
	event_base_loopbreak(ctx.base);
}

static void
setup_account(const char *url)
{
	struct session_params p;
	char *err, *db;

	ck_assert_int_eq(url_parse(url, &account.url, &err), 0);
	xasprintf(&db, "%s/cache.db", tmp);
	st = store_open(db, &err);
	free(db);
	ck_assert_ptr_nonnull(st);
	memset(&p, 0, sizeof p);
	p.base = ctx.base;
	p.dns = ctx.dns;
	p.a = &account;
	p.st = st;
	p.own_store = 1;
	if (with_password)
		p.ask = on_ask;
	s = session_new(&p);
}

static void
setup(void)
{
	const char *t;

	t = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	xasprintf(&tmp, "%s/errand-test-backend-XXXXXX", t);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	setenv("XDG_DATA_HOME", tmp, 1);
	memset(&cf, 0, sizeof cf);
	memset(&ctx, 0, sizeof ctx);
	memset(&account, 0, sizeof account);
	ctx.cf = &cf;
	account.name = xstrdup("demo");
	cmd_loop(&ctx);
	s = NULL;
	with_password = 0;
}

static void
teardown(void)
{
	session_free(s);
	free(heard.last);
	heard.last = NULL;
	free(account.name);
	url_clear(&account.url);
	cmd_loop_free(&ctx);
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
}

/* A message into a Maildir's new/ (dir: the Maildir). */
static void
deliver(const char *dir, const char *text)
{
	static int n;
	char *path;
	FILE *f;

	xasprintf(&path, "%s/new/%d.M1P1.test", dir, ++n);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	free(path);
}

START_TEST(test_backend_edges)
{
	backend_free(NULL);
}
END_TEST

START_TEST(test_backend_local)
{
	struct store_folder f;
	struct backend *b;
	struct done d = {0, NULL};
	char *err, *inbox;
	void *raw;
	size_t len;
	uint32_t n, duid;

	setup_account("pop3://alice@127.0.0.1");
	ck_assert_ptr_nonnull(b = backend_open(s, &err));
	ck_assert_str_eq(b->ops->name, "maildir");
	ck_assert_int_eq(b->ops->local_flags, 1);
	ck_assert_str_eq(b->ops->refresh_verb, "fetching");
	ck_assert_ptr_nonnull(backend_local(b));
	ck_assert_ptr_null(backend_live(b));
	b->ops->connect(b, NULL); /* nothing to watch */
	ck_assert_ptr_null(backend_live(b));

	/* INBOX's Maildir under $XDG_DATA_HOME/errand/ACCOUNT. */
	xasprintf(&inbox, "%s/errand/demo", tmp);
	deliver(inbox, "From: a@example.org\nSubject: one\n\nbody one\n");
	ck_assert_int_eq(b->ops->refresh_all(b, &err), 0);
	ck_assert_int_eq(b->ops->open(b, "INBOX", 0, NULL, &err), 0);
	ck_assert_int_eq(store_folder_get(st, "INBOX", &f), 0);

	/* A body: the Maildir's own copy, never "not cached". */
	ck_assert_int_eq(
	    b->ops->body(b, "INBOX", f.id, 1, 65536, &raw, &len, &err), 0);
	ck_assert_ptr_nonnull(memmem(raw, len, "body one", 8));
	free(raw);
	ck_assert_int_eq(
	    b->ops->body(b, "INBOX", f.id, 99, 65536, &raw, &len, &err), -1);
	ck_assert_ptr_nonnull(err);
	free(err);

	/* Flags, at home at once. */
	ck_assert_int_eq(b->ops->set_flags(b, "INBOX", 1,
	                     STORE_FLAG_SEEN | STORE_FLAG_DELETED, &err),
	    0);

	/* Folders: the callback runs before folder_op returns. */
	ck_assert_int_eq(b->ops->folder_op(b, BACKEND_FOLDER_CREATE, "Work",
	                     NULL, on_done, &d),
	    0);
	ck_assert_int_eq(d.calls, 1);
	ck_assert_ptr_null(d.err);
	ck_assert_int_eq(b->ops->folder_op(b, BACKEND_FOLDER_SUBSCRIBE, "Work",
	                     NULL, on_done, &d),
	    0);
	ck_assert_int_eq(d.calls, 2);
	ck_assert_str_eq(d.err, "local folders are always subscribed");

	/* A copy to Work, then the deleted original expunged. */
	ck_assert_int_eq(
	    b->ops->move(b, "INBOX", 1, "Work", 1, &duid, &err), 0);
	ck_assert_uint_eq(duid, 1);
	ck_assert_int_eq(b->ops->expunge(b, "INBOX", &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	b->ops->wake(b); /* nothing journaled: nothing to do */
	ck_assert_int_eq(b->ops->cancel(b), 0);

	ck_assert_int_eq(b->ops->folder_op(b, BACKEND_FOLDER_RENAME, "Work",
	                     "Old", on_done, &d),
	    0);
	ck_assert_ptr_null(d.err);
	ck_assert_int_eq(b->ops->folder_op(b, BACKEND_FOLDER_DELETE, "Old",
	                     NULL, on_done, &d),
	    0);
	ck_assert_ptr_null(d.err);
	ck_assert_int_eq(d.calls, 4);
	/* Deleting what is not there says so. */
	ck_assert_int_eq(b->ops->folder_op(b, BACKEND_FOLDER_DELETE, "Old",
	                     NULL, on_done, &d),
	    0);
	ck_assert_ptr_nonnull(d.err);

	/* Nothing to fetch from. */
	{
		struct fetched fe = {0, FETCH_OK, NULL};

		b->ops->fetch(b, f.id, "INBOX", 1, 100, on_fetched, &fe);
		ck_assert_int_eq(fe.calls, 1);
		ck_assert_int_eq(fe.r, FETCH_FAILED);
		free(fe.err);
	}

	/* Not yet: said through the callback. */
	ck_assert_int_eq(b->ops->append(b, "INBOX", "x", 1, 0, on_done, &d), 0);
	ck_assert_str_eq(d.err, "append is not supported yet");
	store_folder_clear(&f);
	free(d.err);
	free(inbox);
	backend_free(b);
}
END_TEST

START_TEST(test_backend_imap)
{
	struct backend *b;
	struct done d = {0, NULL};
	char *err;
	void *raw;
	size_t len;
	uint32_t n, duid = 7;

	setup_account("imap://alice@127.0.0.1:1");
	ck_assert_ptr_nonnull(b = backend_open(s, &err));
	ck_assert_str_eq(b->ops->name, "imap");
	ck_assert_int_eq(b->ops->local_flags, 0);
	ck_assert_str_eq(b->ops->refresh_verb, "syncing");
	ck_assert_str_eq(b->ops->connect_verb, "connecting");
	ck_assert_ptr_null(backend_local(b));
	ck_assert_ptr_null(backend_live(b)); /* not connected yet */
	ck_assert_int_eq(b->ops->refresh_all(b, &err), 0);
	ck_assert_int_eq(b->ops->open(b, "INBOX", 1, "INBOX", &err), 0);
	/* Not in the cache: from the server. */
	ck_assert_int_eq(
	    b->ops->body(b, "INBOX", 1, 1, 0, &raw, &len, &err), 1);
	/* Changes go through the journal. */
	ck_assert_int_eq(
	    b->ops->set_flags(b, "INBOX", 1, STORE_FLAG_SEEN, &err), 1);
	ck_assert_int_eq(
	    b->ops->move(b, "INBOX", 1, "Work", 0, &duid, &err), 1);
	ck_assert_uint_eq(duid, 0);
	ck_assert_int_eq(b->ops->expunge(b, "INBOX", &n, &err), 1);
	b->ops->wake(b); /* no live session yet: nothing */
	/* Folder operations need the server. */
	ck_assert_int_eq(b->ops->folder_op(b, BACKEND_FOLDER_CREATE, "Work",
	                     NULL, on_done, &d),
	    -1);
	ck_assert_int_eq(d.calls, 0);
	ck_assert_int_eq(b->ops->cancel(b), 0);
	/* A body from a server out of reach (port 1 refuses): offline, once,
	 * from the loop. */
	{
		struct fetched fe = {0, FETCH_OK, NULL};

		b->ops->fetch(b, 1, "INBOX", 1, 100, on_fetched, &fe);
		ck_assert_int_eq(fe.calls, 0);
		event_base_dispatch(ctx.base);
		ck_assert_int_eq(fe.calls, 1);
		ck_assert_int_eq(fe.r, FETCH_OFFLINE);
		free(fe.err);
	}
	backend_free(b);
}
END_TEST

/* Local folders: the open folder indexed when wanted, the list and a
 * POP3 fetch with it; the fetch's end (offline here) told as events. */
START_TEST(test_backend_local_refresh)
{
	struct store_folder f;
	struct backend *b;
	char *err, *inbox;

	with_password = 1;
	setup_account("pop3://alice@127.0.0.1:1");
	ck_assert_ptr_nonnull(b = backend_open(s, &err));
	listen_to(b);
	xasprintf(&inbox, "%s/errand/demo", tmp);
	ck_assert_int_eq(b->ops->refresh_all(b, &err), 0);
	ck_assert_int_eq(store_folder_get(st, "INBOX", &f), 0);

	/* Nothing running: nothing to stop. */
	ck_assert_str_eq(backend_stop(b), "nothing to cancel");

	/* The folder alone: indexed, new mail shown at once, no fetch. */
	backend_open_folder(b, "INBOX", 0);
	deliver(inbox, "From: a@example.org\nSubject: one\n\nbody one\n");
	backend_refresh(b, 0, 0);
	ck_assert_int_eq(heard.changed_now, 1);
	ck_assert_int_eq(heard.id, f.id);
	ck_assert_int_eq(heard.listed, 0);
	ck_assert_ptr_null(b->pop3);
	ck_assert_int_eq(backend_busy(b), 0); /* no sync: $ goes on */
	/* Again with nothing new: not told. */
	backend_refresh(b, 1, 0);
	ck_assert_int_eq(heard.changed_now, 1);

	/* The list: every folder, then a fetch (which asks for the
	 * password) that finds the server out of reach. */
	backend_refresh(b, 0, 1);
	ck_assert_int_eq(heard.listed, 1);
	ck_assert_int_eq(heard.listed_synced, 0);
	ck_assert_ptr_nonnull(b->pop3);
	ck_assert_int_ge(heard.progress, 1); /* 0 of 0: one starts */
	/* A second refresh while it runs starts nothing new. */
	backend_refresh(b, 0, 1);
	heard.stop_when_offline = 1;
	event_base_dispatch(ctx.base);
	ck_assert_int_eq(session_net(s), SESSION_NET_OFFLINE);
	ck_assert_ptr_null(b->pop3);
	ck_assert_int_eq(b->want_list, 1); /* tried again when back */
	ck_assert_int_eq(heard.listed, 3); /* and the counts after it */
	session_retry_cancel(s);

	/* Ctrl-G stops a fetch under way. */
	backend_refresh(b, 0, 1);
	ck_assert_ptr_nonnull(b->pop3);
	ck_assert_str_eq(backend_stop(b), "fetch stopped ($ to fetch again)");
	ck_assert_ptr_null(b->pop3);
	ck_assert_str_eq(backend_stop(b), "nothing to cancel");
	session_retry_cancel(s);
	store_folder_clear(&f);
	free(inbox);
	backend_free(b);
}
END_TEST

/* IMAP: a sync of the open folder first, then of the list; offline it
 * waits for the retry; Ctrl-G and opening another folder stop it. */
START_TEST(test_backend_imap_refresh)
{
	struct backend *b;
	struct done d = {0, NULL};
	char *err;

	with_password = 1;
	setup_account("imap://alice@127.0.0.1:1");
	ck_assert_ptr_nonnull(b = backend_open(s, &err));
	listen_to(b);
	/* No folder open yet: nothing starts. */
	backend_refresh(b, 1, 1);
	ck_assert_int_eq(backend_busy(b), 0);

	backend_open_folder(b, "INBOX", 0);
	backend_refresh(b, 0, 0);
	ck_assert_int_eq(backend_busy(b), 1);
	ck_assert_int_eq(b->list_running, 0); /* the folder first */
	ck_assert_int_eq(heard.progress, 1);
	/* Another folder: the sync of the old one stops; the list stays
	 * wanted. */
	backend_open_folder(b, "Work", 0);
	ck_assert_int_eq(backend_busy(b), 0);
	ck_assert_int_eq(b->want_list, 1);
	ck_assert_int_eq(b->want_folder, 1);
	backend_refresh(b, 0, 0);
	ck_assert_int_eq(backend_busy(b), 1);
	ck_assert_str_eq(backend_stop(b), "sync cancelled ($ to sync again)");
	ck_assert_int_eq(backend_busy(b), 0);
	ck_assert_int_eq(b->want_list, 0);
	ck_assert_int_eq(heard.changed_now, 1); /* shown as it stands */
	ck_assert_str_eq(backend_stop(b), "nothing to cancel");

	/* Offline: the session's state says so, the retry waits. */
	backend_refresh(b, 1, 1);
	heard.stop_when_offline = 1;
	event_base_dispatch(ctx.base);
	ck_assert_int_eq(session_net(s), SESSION_NET_OFFLINE);
	ck_assert_int_eq(backend_busy(b), 0);
	ck_assert_int_eq(b->want_folder, 1);
	ck_assert_int_eq(b->want_list, 1);
	ck_assert_int_eq(backend_flush(b), 0);
	ck_assert_int_eq(backend_in_flight(b, 1), 0);
	session_retry_cancel(s);

	/* Folder operations need the live session: refused, nothing kept. */
	ck_assert_int_eq(backend_folder_op(b, BACKEND_FOLDER_CREATE, "New",
	                     NULL, on_done, &d),
	    -1);
	ck_assert_int_eq(d.calls, 0);
	ck_assert_int_eq(backend_discard(b, &err), 0);
	backend_free(b);
}
END_TEST

/* What the interface reads of the cache: copies of the folders. */
START_TEST(test_view)
{
	struct store_folder f = {.name = "Lists/errand",
	    .raw_name = "Lists.errand",
	    .delim = ".",
	    .special_use = "\\Archive",
	    .total = 12,
	    .unseen = 3};
	struct view_folder v, *list;
	struct fetched fe = {0, FETCH_OK, NULL};
	struct backend *b;
	int64_t id, held = -1;
	size_t n;
	char *err;

	setup_account("imap://alice@127.0.0.1:1");
	ck_assert_ptr_nonnull(b = backend_open(s, &err));
	ck_assert_int_eq(view_folder_get(s, "Lists/errand", &v), 1);
	ck_assert_ptr_null(v.name);
	ck_assert_int_eq(store_folder_upsert(st, &f, &id), 0);
	ck_assert_int_eq(store_folder_set_status(st, id, 12, 3), 0);
	f.name = f.raw_name = "INBOX";
	f.special_use = NULL;
	ck_assert_int_eq(store_folder_upsert(st, &f, NULL), 0);
	ck_assert_int_eq(view_folder_get(s, "Lists/errand", &v), 0);
	ck_assert_int_eq(v.id, id);
	ck_assert_str_eq(v.name, "Lists/errand");
	ck_assert_str_eq(v.delim, ".");
	ck_assert_str_eq(v.special_use, "\\Archive");
	ck_assert_uint_eq(v.total, 12);
	ck_assert_uint_eq(v.unseen, 3);
	view_folder_clear(&v);
	ck_assert_ptr_null(v.name);
	view_folder_clear(NULL);
	ck_assert_int_eq(view_folder_list(s, &list, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0].name, "INBOX"); /* sorted by name */
	ck_assert_ptr_null(list[0].special_use);
	ck_assert_str_eq(list[1].name, "Lists/errand");
	view_folder_list_free(list, n);
	view_folder_list_free(NULL, 0);
	ck_assert_int_eq(view_held(s, &held), 0);
	ck_assert_int_eq(held, 0);
	ck_assert_ptr_nonnull(view_error(s));
	ck_assert_int_eq(view_locked(s), 0);
	view_busy_wait(s, 10);
	/* A body of a folder the cache does not have: nothing asked. */
	ck_assert_int_eq(
	    backend_fetch_body(b, "Nope", 1, 100, on_fetched, &fe), -1);
	ck_assert_int_eq(fe.calls, 0);
	backend_free(b);
}
END_TEST

/* The poll: every poll-interval the list is refreshed, unless offline. */
START_TEST(test_backend_poll)
{
	struct backend *b;
	char *err;

	with_password = 1;
	setup_account("imap://alice@127.0.0.1:1");
	account.poll_interval = 1;
	ck_assert_ptr_nonnull(b = backend_open(s, &err));
	listen_to(b);
	backend_open_folder(b, "INBOX", 0);
	b->want_folder = 0; /* nothing wanted: only the poll starts one */
	session_set_net(s, SESSION_NET_OFFLINE, "test");
	backend_poll_start(b);
	backend_poll_start(b); /* once */
	/* Offline: the poll leaves it to the retry. */
	{
		struct timeval tv = {1, 500000};

		event_base_loopexit(ctx.base, &tv);
		event_base_dispatch(ctx.base);
	}
	ck_assert_int_eq(heard.progress, 0);
	ck_assert_int_eq(backend_busy(b), 0);
	session_set_net(s, SESSION_NET_ONLINE, NULL);
	heard.stop_on_progress = 1;
	event_base_dispatch(ctx.base);
	ck_assert_int_eq(heard.progress, 1);
	ck_assert_int_eq(backend_busy(b), 1);
	ck_assert_int_eq(b->list_running, 1);
	backend_free(b); /* stops the sync and the timer */
	account.poll_interval = 0;
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("backend");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_backend_edges);
	tcase_add_test(tc, test_backend_local);
	tcase_add_test(tc, test_backend_imap);
	tcase_add_test(tc, test_backend_local_refresh);
	tcase_add_test(tc, test_backend_imap_refresh);
	tcase_add_test(tc, test_view);
	tcase_add_test(tc, test_backend_poll);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
