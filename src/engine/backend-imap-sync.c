/* errand: a terminal mail user agent. See LICENSE.
 * The IMAP backend's refresh: a sync of the open folder, then of the
 * folder list and its counts, one at a time; offline it waits for the
 * session's retry, and a cache another errand is writing is tried again
 * after a doubling wait of its own. */

#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "engine/session.h"
#include "engine/sync.h"
#include "xmalloc.h"

static void bis_folder_done(const struct sync_folder_stats *, void *);
static void bis_progress(const char *, uint32_t, uint32_t, void *);
static void bis_alert(const char *, void *);
static void bis_finished(enum sync_result, const char *, void *);

void
backend_imap_refresh(struct backend *b)
{
	struct sync_params sp;
	const char *folders[1];

	if (b->sync != NULL || (!b->want_folder && !b->want_list))
		return;
	session_retry_cancel(b->s);
	memset(&sp, 0, sizeof sp);
	if (!b->want_folder) {
		sp.list_only = 1;
		b->list_running = 1;
	} else {
		folders[0] = b->folder;
		sp.folders = folders;
		sp.nfolders = 1;
		b->list_running = 0;
	}
	sp.done = bis_folder_done;
	sp.progress = bis_progress;
	sp.alert = bis_alert;
	sp.finished = bis_finished;
	sp.arg = b;
	if (session_creds(b->s) != 1)
		return; /* backend_creds_ready() starts it */
	backend_refresh_begins(b);
	b->sync = sync_start(b->s, &sp);
	if (b->ev.state != NULL)
		b->ev.state(b->ev.arg);
}

void
backend_imap_leave(struct backend *b)
{
	if (b->sync == NULL)
		return;
	if (b->list_running)
		b->want_list = 1;
	sync_free(b->sync);
	b->sync = NULL;
}

int
backend_imap_cancel(struct backend *b)
{
	if (b->sync == NULL)
		return 0;
	sync_free(b->sync);
	b->sync = NULL;
	b->want_folder = b->want_list = 0;
	if (session_net(b->s) == SESSION_NET_SYNCING)
		session_set_net(
		    b->s, SESSION_NET_ONLINE, session_net_reason(b->s));
	else if (session_net(b->s) == SESSION_NET_CONNECTING)
		session_set_net(b->s, SESSION_NET_OFFLINE, "sync cancelled");
	backend_changed(b, BACKEND_CHANGE_NOW);
	return 1;
}

static void
bis_folder_done(const struct sync_folder_stats *st, void *arg)
{
	struct backend *b = arg;

	backend_folder_found(b);
	backend_changed(b,
	    st->added != 0 || st->changed != 0 || st->vanished != 0 || st->reset
	        ? BACKEND_CHANGE_NOW
	        : BACKEND_CHANGE_NONE);
	session_set_net(b->s, SESSION_NET_SYNCING, session_net_reason(b->s));
	if (b->ev.state != NULL)
		b->ev.state(b->ev.arg);
}

static void
bis_progress(const char *folder, uint32_t done, uint32_t total, void *arg)
{
	struct backend *b = arg;

	(void)folder;
	session_set_net(b->s, SESSION_NET_SYNCING, session_net_reason(b->s));
	if (b->ev.progress != NULL)
		b->ev.progress(done, total, 1, b->ev.arg);
}

static void
bis_alert(const char *text, void *arg)
{
	backend_message(arg, 1, "server alert: %s", text);
}

static void
bis_finished(enum sync_result r, const char *err, void *arg)
{
	struct backend *b = arg;
	int was_list = b->list_running;
	int locked = r == SYNC_FAILED && sync_locked(b->sync);
	int refused = r == SYNC_FAILED && sync_auth_refused(b->sync);
	char *why = xstrdup(err); /* err belongs to the sync */

	sync_free(b->sync);
	b->sync = NULL;
	switch (r) {
	case SYNC_OK:
		session_set_net(b->s, SESSION_NET_ONLINE, NULL);
		session_retry_reset(b->s);
		backoff_reset(&b->locked);
		if (was_list) {
			b->want_list = 0;
			if (b->ev.listed != NULL)
				b->ev.listed(1, b->ev.arg);
		} else
			b->want_folder = 0;
		backend_imap_refresh(b); /* what is still wanted */
		break;
	case SYNC_OFFLINE:
		session_set_net(b->s, SESSION_NET_OFFLINE, why);
		session_retry_later(b->s);
		break;
	case SYNC_FAILED:
		if (refused && session_creds_refused(b->s, why)) {
			/* An expired token: a new one. */
			backend_imap_refresh(b);
			break;
		}
		if (locked) {
			/* Another errand is writing to the cache (a sync
			 * from cron): not an error; what is wanted stays
			 * wanted, and the next try goes on from what was
			 * stored. */
			session_set_net(b->s, session_net(b->s), NULL);
			backend_message(b, 0,
			    "another errand is writing to the cache: syncing "
			    "again in a moment");
			session_retry_after(b->s, backoff_next(&b->locked));
			break;
		}
		session_set_net(b->s, SESSION_NET_ERROR, why);
		backend_message(b, 1, "%s", why);
		break;
	}
	free(why);
	if (b->ev.state != NULL)
		b->ev.state(b->ev.arg);
}
