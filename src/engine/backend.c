/* errand: a terminal mail user agent. See LICENSE.
 * The one place that picks a backend for an account (IMAP for an imap(s)
 * URL, local Maildir folders brought home by POP3 otherwise), and the
 * refresh every backend shares: the open folder, what is wanted, the live
 * session's news, all told to the owner through struct backend_events. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "engine/backend.h"
#include "config.h"
#include "engine/live.h"
#include "engine/maildir.h"
#include "engine/pop3-fetch.h"
#include "engine/session.h"
#include "engine/sync.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"

#define BACKEND_LOCKED_RETRY 1 /* seconds: a sync that met another's lock, */
#define BACKEND_LOCKED_MAX 8   /* doubling up to this */

static void backend_live_changed(int, void *);
static void backend_live_state(int, const char *, void *);
static void backend_live_notice(int, const char *, void *);
static void backend_live_sent(void *);
static void backend_live_counts(void *);
static void backend_live_moved(
    int64_t, uint32_t, const char *, uint32_t, uint32_t, void *);
static void backend_state(struct backend *);
static void backend_watch(struct backend *);
static void backend_on_poll(evutil_socket_t, short, void *);

struct backend *
backend_open(struct session *s, char **err)
{
	struct backend *b;

	*err = NULL;
	if (url_is_imap(session_account(s)->url.scheme))
		b = backend_imap_new(s);
	else if ((b = backend_local_new(s, err)) == NULL)
		return NULL;
	b->locked.min = BACKEND_LOCKED_RETRY;
	b->locked.max = BACKEND_LOCKED_MAX;
	return b;
}

void
backend_free(struct backend *b)
{
	if (b == NULL)
		return;
	if (b->ev_poll != NULL)
		event_free(b->ev_poll);
	b->ev_poll = NULL;
	sync_free(b->sync);
	b->sync = NULL;
	pop3_fetch_free(b->pop3);
	b->pop3 = NULL;
	maildir_close(b->pop3_md);
	b->pop3_md = NULL;
	free(b->folder);
	b->folder = NULL;
	b->ops->free(b);
}

struct live *
backend_live(const struct backend *b)
{
	return b->live;
}

struct local *
backend_local(const struct backend *b)
{
	return b->local;
}

/* --- the refresh --------------------------------------------------------- */

void
backend_events(struct backend *b, const struct backend_events *ev)
{
	b->ev = *ev;
}

static void
backend_state(struct backend *b)
{
	if (b->ev.state != NULL)
		b->ev.state(b->ev.arg);
}

void
backend_message(struct backend *b, int error, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	if (b->ev.message != NULL)
		b->ev.message(error, text, b->ev.arg);
	free(text);
}

void
backend_changed(struct backend *b, enum backend_change how)
{
	if (b->ev.changed != NULL)
		b->ev.changed(b->folder_id, how, b->ev.arg);
}

void
backend_refresh_begins(struct backend *b)
{
	enum session_net net = session_net(b->s);

	if (b->ev.progress != NULL)
		b->ev.progress(0, 0, 0, b->ev.arg);
	if (net != SESSION_NET_OFFLINE && net != SESSION_NET_CONNECTING)
		session_set_net(
		    b->s, SESSION_NET_SYNCING, session_net_reason(b->s));
}

void
backend_folder_found(struct backend *b)
{
	struct store_folder f;

	if (b->folder_id != 0 || b->folder == NULL ||
	    store_folder_get(session_store(b->s), b->folder, &f) != 0)
		return;
	b->folder_id = f.id;
	if (b->live != NULL && f.raw_name != NULL)
		live_open(b->live, f.id, f.raw_name);
	store_folder_clear(&f);
}

/* The live session watches the open folder, once it is in the cache. */
static void
backend_watch(struct backend *b)
{
	struct store_folder f;

	if (b->folder_id != 0 && b->folder != NULL && b->live != NULL &&
	    store_folder_get(session_store(b->s), b->folder, &f) == 0) {
		if (f.raw_name != NULL)
			live_open(b->live, f.id, f.raw_name);
		store_folder_clear(&f);
	}
}

void
backend_open_folder(struct backend *b, const char *name, int64_t id)
{
	b->ops->leave(b);
	free(b->folder);
	b->folder = xstrdup(name);
	b->folder_id = id;
	b->want_folder = 1;
	backend_watch(b);
}

void
backend_folder_renamed(struct backend *b, const char *name)
{
	free(b->folder);
	b->folder = xstrdup(name);
}

void
backend_want(struct backend *b, int folder, int list)
{
	if (folder)
		b->want_folder = 1;
	if (list)
		b->want_list = 1;
}

void
backend_refresh(struct backend *b, int folder, int list)
{
	backend_want(b, folder, list);
	if (b->folder != NULL)
		b->ops->refresh(b);
}

/* Every poll-interval: the other folders' unread and total counts (LIST
 * with STATUS), new POP3 mail. */
static void
backend_on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct backend *b = arg;

	(void)fd;
	(void)what;
	if (session_net(b->s) == SESSION_NET_OFFLINE ||
	    session_net(b->s) == SESSION_NET_ERROR)
		return;
	backend_refresh(b, 0, 1);
}

void
backend_poll_start(struct backend *b)
{
	int secs = session_account(b->s)->poll_interval;
	struct timeval tv = {secs > 0 ? secs : 60, 0};

	if (b->ev_poll != NULL)
		return;
	b->ev_poll =
	    event_new(session_base(b->s), -1, EV_PERSIST, backend_on_poll, b);
	event_add(b->ev_poll, &tv);
}

void
backend_creds_ready(struct backend *b)
{
	struct live_params lp;

	if (b->live == NULL) {
		memset(&lp, 0, sizeof lp);
		lp.changed = backend_live_changed;
		lp.state = backend_live_state;
		lp.notice = backend_live_notice;
		lp.sent = backend_live_sent;
		lp.counts = backend_live_counts;
		lp.moved = backend_live_moved;
		lp.arg = b;
		lp.poll_secs = session_account(b->s)->poll_interval;
		b->ops->connect(b, &lp);
		backend_watch(b);
	}
	backend_refresh(b, 0, 1);
	backend_state(b);
}

const char *
backend_stop(struct backend *b)
{
	if (!b->ops->cancel(b))
		return "nothing to cancel";
	return b->ops->cancel_text;
}

int
backend_busy(const struct backend *b)
{
	return b->sync != NULL;
}

int
backend_flush(struct backend *b)
{
	return sync_flush(b->sync);
}

int
backend_in_flight(const struct backend *b, int64_t id)
{
	return b->live != NULL && live_in_flight(b->live, id);
}

int
backend_discard(struct backend *b, char **err)
{
	struct store *st = session_store(b->s);

	*err = NULL;
	if (backend_flush(b) != 0 || live_discard(st) < 0) {
		*err = xstrdup(store_error(st));
		return -1;
	}
	return 0;
}

/* A folder operation under way, to follow it in the cache. */
struct backend_fop {
	struct backend *b;
	enum backend_folder_op what;
	char *name, *to;
	backend_done_cb cb;
	void *arg;
};

static void
backend_folder_done(const char *err, void *arg)
{
	struct backend_fop *op = arg;
	struct backend *b = op->b;

	/* The server's folders: the cache follows (local ones did). */
	if (err == NULL && !b->ops->folders_cached) {
		if (op->what == BACKEND_FOLDER_DELETE)
			store_folder_delete(session_store(b->s), op->name);
		else if (op->what == BACKEND_FOLDER_RENAME)
			store_folder_rename(
			    session_store(b->s), op->name, op->to, NULL);
	}
	op->cb(err, op->arg);
	free(op->name);
	free(op->to);
	free(op);
}

int
backend_folder_op(struct backend *b, enum backend_folder_op what,
    const char *name, const char *to, backend_done_cb cb, void *arg)
{
	struct backend_fop *op = xcalloc(1, sizeof *op);

	op->b = b;
	op->what = what;
	op->name = xstrdup(name);
	op->to = to != NULL ? xstrdup(to) : NULL;
	op->cb = cb;
	op->arg = arg;
	if (b->ops->folder_op(b, what, name, to, backend_folder_done, op) !=
	    0) {
		free(op->name);
		free(op->to);
		free(op);
		return -1;
	}
	return 0;
}

int
backend_fetch_body(struct backend *b, const char *folder, uint32_t uid,
    size_t max, fetch_cb cb, void *arg)
{
	struct store_folder f;

	if (store_folder_get(session_store(b->s), folder, &f) != 0)
		return -1;
	b->ops->fetch(b, f.id, f.raw_name, uid, max, cb, arg);
	store_folder_clear(&f);
	return 0;
}

/* --- the live session's news --------------------------------------------- */

static void
backend_live_changed(int need_sync, void *arg)
{
	struct backend *b = arg;

	/* One reload for a burst of changes (another device marking 1,000
	 * messages read sends 1,000 FETCHes), before the next key or draw. */
	backend_changed(b, BACKEND_CHANGE_SOON);
	if (need_sync)
		backend_refresh(b, 1, 0);
	backend_state(b);
}

static void
backend_live_state(int online, const char *reason, void *arg)
{
	struct backend *b = arg;

	if (online) {
		/* Back: catch up with what changed meanwhile. */
		if (session_net(b->s) == SESSION_NET_OFFLINE ||
		    session_net(b->s) == SESSION_NET_ERROR) {
			session_retry_reset(b->s);
			backend_refresh(b, 1, 0);
		}
	} else if (b->sync == NULL && session_net(b->s) != SESSION_NET_ERROR)
		session_set_net(b->s, SESSION_NET_OFFLINE, reason);
	backend_state(b);
}

static void
backend_live_sent(void *arg)
{
	backend_state(arg);
}

static void
backend_live_moved(int64_t folder, uint32_t uid, const char *dest_raw,
    uint32_t dest_uidvalidity, uint32_t dest_uid, void *arg)
{
	struct backend *b = arg;

	if (b->ev.moved != NULL)
		b->ev.moved(folder, uid, dest_raw, dest_uidvalidity, dest_uid,
		    b->ev.arg);
}

static void
backend_live_counts(void *arg)
{
	struct backend *b = arg;

	if (b->ev.listed != NULL)
		b->ev.listed(0, b->ev.arg);
	backend_state(b);
}

static void
backend_live_notice(int error, const char *text, void *arg)
{
	backend_message(arg, error, "%s", text);
}
