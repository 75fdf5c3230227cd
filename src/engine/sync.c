/* errand: a terminal mail user agent. See LICENSE.
 * The sync driver: one IMAP session, folder by folder, into the cache.
 * Per folder: SELECT (QRESYNC with the cached UIDVALIDITY and HIGHESTMODSEQ
 * when offered), apply VANISHED and changed flags, else CONDSTORE
 * CHANGEDSINCE plus UID SEARCH, else all flags; then fetch the headers of
 * new mail from the last stored UID, committing every SYNC_CHUNK messages
 * with the resume point in the same transaction. A transaction never waits
 * for the server and lasts at most SYNC_TXN_MS: another errand on the same
 * cache is never kept out for long. RFC 7162, RFC 3501. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "engine/live.h"
#include "content/mime.h"
#include "engine/session.h"
#include "engine/sync.h"
#include "content/text.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"
#include "net/conn.h"
#include "net/imap.h"

#define SYNC_CHUNK 1000 /* messages a transaction */
#define SYNC_TXN_MS 25  /* and the longest one, in ms of work */

enum sync_state {
	SYNC_CONNECT,
	SYNC_LIST,
	SYNC_SELECT,
	SYNC_FLAGS,
	SYNC_SEARCH,
	SYNC_HEADERS,
	SYNC_LOGOUT,
	SYNC_DONE,
};

struct sync_target {
	char *name; /* display name */
	char *raw;  /* server name */
	int64_t id; /* store row */
};

struct sync {
	struct session *ss;      /* the account's session */
	struct event_base *base; /* its loop */
	const struct account *account;
	struct store *st;
	struct sync_params params_copy;
	char **folders_copy; /* params_copy.folders */
	const struct sync_params *params;
	struct imap *imap;
	struct event *finish_ev; /* runs finished from the loop's top */
	struct event *commit_ev; /* commits once nothing more has arrived */
	int over;                /* on_finish ran */
	int early;               /* the first SELECT queued at the start */
	enum sync_state state;

	struct sync_target *targets;
	size_t ntargets, cur;
	char **listed; /* every folder name LIST gave */
	size_t nlisted;

	/* The folder being synced. */
	struct store_folder f; /* cached state before the SELECT */
	struct sync_folder_stats stats;
	uint32_t uidvalidity, uidnext, exists;
	uint64_t highestmodseq;
	int nomodseq, qresync;
	uint32_t fetch_from; /* first UID whose headers are wanted */
	uint32_t last_uid;   /* highest UID stored in this chunk run */
	int monotonic;       /* UIDs came in ascending order */
	size_t in_chunk;     /* messages in the open transaction */
	int64_t txn_start;   /* when it began, ms (CLOCK_MONOTONIC) */
	int started_empty;   /* no rows before: counts come from the fetch */
	int pending;         /* the journal holds changes not yet sent */
	uint32_t new_unseen; /* fetched messages without \Seen */
	uint32_t *seen;      /* full flag fetch: UIDs the server has */
	size_t nseen, seencap;

	enum sync_result result;
	char *err;
	int locked;       /* failed on another process's write lock */
	int auth_refused; /* the server refused the credentials */
};

static void sync_fail(struct sync *, enum sync_result, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void sync_next_folder(struct sync *);
static void sync_finish_folder(struct sync *);
static int sync_chunk_commit(struct sync *);
static void sync_store_fail(struct sync *);
static int sync_write(struct sync *);
static int64_t sync_now_ms(void);
static int sync_txn_due(struct sync *);
static void on_commit(evutil_socket_t, short, void *);

static size_t sync_lower_bound(const uint32_t *, size_t, uint32_t);
static void sync_apply_vanished(struct sync *, const struct imap_uidset *);
static void sync_apply_flags(
    struct sync *, uint32_t, unsigned int, const char *, uint64_t);

static void sync_delete_missing(
    struct sync *, const uint32_t *, size_t, uint32_t);
static void sync_delete_absent(
    struct sync *, const struct imap_uidset *, uint32_t);
static int sync_cmp_u32(const void *, const void *);
static int sync_wanted(struct sync *, const struct imap_folder *);
static void sync_fetch_headers(struct sync *);
static void sync_forget_folders(struct sync *);
static int sync_targets_cached(struct sync *, int);
static int sync_inbox(struct sync *);

static void on_event(struct imap *, const struct imap_event *, void *);
static void on_connect(struct imap *, enum imap_err, const char *, void *);
static void on_list_item(struct imap *, const struct imap_folder *, void *);
static void on_list_done(struct imap *, enum imap_err, const char *, void *);
static void on_select(struct imap *, enum imap_err, const char *,
    const struct imap_selected *, void *);
static void on_flags(struct imap *, const struct imap_msg *, void *);
static void on_flags_done(struct imap *, enum imap_err, const char *, void *);
static void on_search(struct imap *, enum imap_err, const char *,
    const struct imap_uidset *, void *);
static void on_header(struct imap *, const struct imap_msg *, void *);
static void on_headers_done(struct imap *, enum imap_err, const char *, void *);
static void on_logout(struct imap *, enum imap_err, const char *, void *);
static void on_finish(evutil_socket_t, short, void *);
static char *sync_timed_out(struct sync *);
static void sync_imap_fail(
    struct sync *, struct imap *, enum imap_err, const char *, const char *);

static void
sync_fail(struct sync *s, enum sync_result r, const char *fmt, ...)
{
	va_list ap;

	if (s->err == NULL) {
		va_start(ap, fmt);
		xvasprintf(&s->err, fmt, ap);
		va_end(ap);
		s->result = r;
	}
	if (store_in_transaction(s->st))
		store_rollback(s->st);
	s->state = SYNC_DONE;
	event_active(s->finish_ev, 0, 0);
}

/* A store call failed: its error ends the sync. */
static void
sync_store_fail(struct sync *s)
{
	if (s->err == NULL)
		s->locked = store_locked(s->st);
	sync_fail(s, SYNC_FAILED, "%s", store_error(s->st));
}

/* Open a write transaction for what has arrived, unless one is open, and
 * have on_commit() end it once nothing more is there to read. Another
 * process on the cache (a second errand) cannot write while one is open,
 * so none stays open while the server is being waited for. */
static int
sync_write(struct sync *s)
{
	if (store_in_transaction(s->st))
		return 0;
	if (store_begin(s->st) != 0) {
		sync_store_fail(s);
		return -1;
	}
	s->txn_start = sync_now_ms();
	event_active(s->commit_ev, 0, 0);
	return 0;
}

static int64_t
sync_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 when the open transaction has been held for SYNC_TXN_MS: a fast
 * server's steady stream leaves no idle pass to commit in, and another
 * process (the interface waits 50 ms) must not wait for a whole chunk. */
static int
sync_txn_due(struct sync *s)
{
	return store_in_transaction(s->st) &&
	    sync_now_ms() - s->txn_start >= SYNC_TXN_MS;
}

/* At the lowest priority: runs in a loop pass where no connection had
 * anything to read, i.e. when errand is about to wait for the server. */
static void
on_commit(evutil_socket_t fd, short what, void *arg)
{
	struct sync *s = arg;

	(void)fd;
	(void)what;
	if (s->state != SYNC_DONE && sync_chunk_commit(s) != 0)
		sync_store_fail(s);
}

/* Refused, unreachable, unknown host, timed out: read the cache instead.
 * A TLS or login failure is an error the user must see. */
unsigned int
sync_flags_from_imap(unsigned int f)
{
	unsigned int out = 0;

	if (f & IMAP_FLAG_SEEN)
		out |= STORE_FLAG_SEEN;
	if (f & IMAP_FLAG_ANSWERED)
		out |= STORE_FLAG_ANSWERED;
	if (f & IMAP_FLAG_FLAGGED)
		out |= STORE_FLAG_FLAGGED;
	if (f & IMAP_FLAG_DELETED)
		out |= STORE_FLAG_DELETED;
	if (f & IMAP_FLAG_DRAFT)
		out |= STORE_FLAG_DRAFT;
	return out;
}

static int
sync_chunk_commit(struct sync *s)
{
	if (!store_in_transaction(s->st))
		return 0;
	if (s->monotonic && s->last_uid > s->f.synced_uid_max) {
		if (store_folder_set_synced(s->st, s->f.id, s->last_uid) != 0)
			return -1;
		s->f.synced_uid_max = s->last_uid;
	}
	s->in_chunk = 0;
	return store_commit(s->st);
}

/* The first index in the sorted uids whose value is >= v. */
static size_t
sync_lower_bound(const uint32_t *uids, size_t n, uint32_t v)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (uids[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Remove the UIDs of a VANISHED set that are stored, counting them. */
static void
sync_apply_vanished(struct sync *s, const struct imap_uidset *set)
{
	uint32_t *uids;
	size_t i, n, a, b;

	if (store_msg_uids(s->st, s->f.id, &uids, &n) != 0) {
		sync_store_fail(s);
		return;
	}
	for (i = 0; i < set->n && n > 0; i++) {
		a = sync_lower_bound(uids, n, set->r[i].lo);
		b = set->r[i].hi == UINT32_MAX
		    ? n
		    : sync_lower_bound(uids, n, set->r[i].hi + 1);
		if (a == b)
			continue;
		if (sync_write(s) != 0) {
			free(uids);
			return;
		}
		if (store_msg_delete_range(
		        s->st, s->f.id, set->r[i].lo, set->r[i].hi) != 0) {
			free(uids);
			sync_store_fail(s);
			return;
		}
		s->stats.vanished += (uint32_t)(b - a);
	}
	free(uids);
}

static void
sync_apply_flags(struct sync *s, uint32_t uid, unsigned int flags,
    const char *keywords, uint64_t modseq)
{
	struct store_msg m;
	unsigned int f = sync_flags_from_imap(flags);
	char *kw = NULL;

	if (store_msg_get(s->st, s->f.id, uid, &m) != 0)
		return; /* not stored: its headers come later */
	/* Changes waiting in the journal stay shown until they are sent. */
	if (s->pending) {
		f = live_pending_flags(s->st, s->f.id, uid, f);
		keywords = kw =
		    live_pending_keywords(s->st, s->f.id, uid, keywords);
	}
	if (m.flags == f &&
	    strcmp(m.keywords, keywords != NULL ? keywords : "") == 0) {
		if (modseq != 0 && modseq != m.modseq && sync_write(s) == 0)
			store_msg_set_flags(
			    s->st, s->f.id, uid, f, keywords, modseq);
		free(kw);
		return;
	}
	if (sync_write(s) != 0) {
		free(kw);
		return;
	}
	if (store_msg_set_flags(s->st, s->f.id, uid, f, keywords, modseq) !=
	    0) {
		free(kw);
		sync_store_fail(s);
		return;
	}
	free(kw);
	s->stats.changed++;
	if (sync_txn_due(s) && sync_chunk_commit(s) != 0)
		sync_store_fail(s);
}

/* Delete the stored UIDs up to max that are not in the sorted array have. */
static void
sync_delete_missing(
    struct sync *s, const uint32_t *have, size_t nhave, uint32_t max)
{
	uint32_t *uids, *gone;
	size_t i, n, ngone = 0, j = 0;

	if (store_msg_uids(s->st, s->f.id, &uids, &n) != 0) {
		sync_store_fail(s);
		return;
	}
	gone = n > 0 ? xreallocarray(NULL, n, sizeof *gone) : NULL;
	for (i = 0; i < n && uids[i] <= max; i++) {
		while (j < nhave && have[j] < uids[i])
			j++;
		if (j == nhave || have[j] != uids[i])
			gone[ngone++] = uids[i];
	}
	if (ngone > 0 &&
	    store_msg_delete_uids(s->st, s->f.id, gone, ngone) != 0) {
		sync_store_fail(s);
	} else
		s->stats.vanished += (uint32_t)ngone;
	free(gone);
	free(uids);
}

/*
 * Delete the stored UIDs up to max that the set does not hold. The set's
 * ranges are walked against the stored UIDs, never expanded: the server
 * may say 1:4000000000 of a folder of four messages.
 */
static void
sync_delete_absent(struct sync *s, const struct imap_uidset *set, uint32_t max)
{
	uint32_t *uids;
	size_t i, n, ngone = 0, j = 0;

	if (store_msg_uids(s->st, s->f.id, &uids, &n) != 0) {
		sync_fail(s, SYNC_FAILED, "%s", store_error(s->st));
		return;
	}
	/* Both ascending: the UIDs that are gone move to the front. */
	for (i = 0; i < n && uids[i] <= max; i++) {
		while (j < set->n && set->r[j].hi < uids[i])
			j++;
		if (j == set->n || uids[i] < set->r[j].lo)
			uids[ngone++] = uids[i];
	}
	if (ngone > 0 &&
	    store_msg_delete_uids(s->st, s->f.id, uids, ngone) != 0) {
		sync_fail(s, SYNC_FAILED, "%s", store_error(s->st));
	} else
		s->stats.vanished += (uint32_t)ngone;
	free(uids);
}

static int
sync_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
on_event(struct imap *im, const struct imap_event *ev, void *arg)
{
	struct sync *s = arg;

	(void)im;
	if (s->state != SYNC_SELECT && s->state != SYNC_FLAGS &&
	    s->state != SYNC_SEARCH && s->state != SYNC_HEADERS)
		return;
	switch (ev->type) {
	case IMAP_EV_VANISHED:
		sync_apply_vanished(s, ev->uids);
		break;
	case IMAP_EV_FETCH:
		if (ev->msg->uid != 0 && ev->msg->has_flags)
			sync_apply_flags(s, ev->msg->uid, ev->msg->flags,
			    ev->msg->keywords, ev->msg->modseq);
		break;
	case IMAP_EV_ALERT:
		if (s->params->alert != NULL)
			s->params->alert(ev->text, s->params->arg);
		break;
	default:
		break;
	}
}

/* An operation failed: offline when the server could not be reached,
 * else an error naming what was being done. */
static void
sync_imap_fail(struct sync *s, struct imap *im, enum imap_err e,
    const char *what, const char *msg)
{
	if (msg == NULL)
		msg = imap_error(im) != NULL ? imap_error(im) : "failed";
	/* Unreachable, or the connection dropped half-way: the cache is
	 * consistent, so the caller may read it as offline. */
	if (session_imap_err(im, e) == SESSION_ERR_OFFLINE)
		sync_fail(s, SYNC_OFFLINE, "%s", msg);
	else if (what != NULL)
		sync_fail(s, SYNC_FAILED, "%s: %s", what, msg);
	else
		sync_fail(s, SYNC_FAILED, "%s", msg);
}

static void
on_connect(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct sync *s = arg;

	if (e != IMAP_ERR_NONE) {
		s->auth_refused = session_imap_err(im, e) == SESSION_ERR_AUTH;
		sync_imap_fail(s, im, e, NULL, msg);
		return;
	}
	if (s->early)
		return; /* its SELECT was queued at the start */
	if (sync_targets_cached(s, 1)) {
		/* Named folders the cache knows: no LIST (and no STATUS of
		 * every folder, the server's slowest answer at 100,000). */
		s->cur = 0;
		sync_next_folder(s);
		return;
	}
	s->state = SYNC_LIST;
	imap_list(im, on_list_item, on_list_done, s);
}

/* Make sure the cache has INBOX, so a first sync of it needs no LIST. */
static int
sync_inbox(struct sync *s)
{
	struct store_folder f;
	int rc;

	if ((rc = store_folder_get(s->st, "INBOX", &f)) == 0) {
		store_folder_clear(&f);
		return 0;
	}
	if (rc < 0)
		return -1;
	memset(&f, 0, sizeof f);
	f.name = "INBOX";
	f.raw_name = "INBOX";
	f.subscribed = 1;
	return store_folder_upsert(s->st, &f, NULL);
}

/* Set the targets from the cache when every folder asked for is there with
 * its server name; 0 (and no targets) when one is not. */
static int
sync_targets_cached(struct sync *s, int make_inbox)
{
	struct store_folder f;
	struct sync_target *t;
	size_t i;

	if (s->params->folders == NULL || s->params->list_only)
		return 0;
	for (i = 0; i < s->params->nfolders; i++) {
		/* INBOX is always there, by that name (RFC 3501 5.1); not
		 * made before the server answered (make_inbox 0). */
		if (strcasecmp(s->params->folders[i], "INBOX") == 0 &&
		    make_inbox && sync_inbox(s) != 0)
			break;
		if (store_folder_get(s->st, s->params->folders[i], &f) != 0)
			break;
		if (f.noselect || f.raw_name == NULL || *f.raw_name == '\0') {
			store_folder_clear(&f);
			break;
		}
		s->targets = xreallocarray(
		    s->targets, s->ntargets + 1, sizeof *s->targets);
		t = &s->targets[s->ntargets++];
		t->name = xstrdup(f.name);
		t->raw = xstrdup(f.raw_name);
		t->id = f.id;
		store_folder_clear(&f);
	}
	if (i == s->params->nfolders)
		return 1;
	while (s->ntargets > 0) {
		s->ntargets--;
		free(s->targets[s->ntargets].name);
		free(s->targets[s->ntargets].raw);
	}
	return 0;
}

static int
sync_wanted(struct sync *s, const struct imap_folder *fo)
{
	size_t i;

	if (fo->noselect)
		return 0;
	if (s->params->folders == NULL)
		return fo->subscribed || strcasecmp(fo->name, "INBOX") == 0;
	for (i = 0; i < s->params->nfolders; i++) {
		if (strcmp(s->params->folders[i], fo->name) == 0 ||
		    (strcasecmp(fo->name, "INBOX") == 0 &&
		        strcasecmp(s->params->folders[i], "INBOX") == 0))
			return 1;
	}
	return 0;
}

static void
on_list_item(struct imap *im, const struct imap_folder *fo, void *arg)
{
	struct sync *s = arg;
	struct store_folder sf;
	struct sync_target *t;
	char delim[2], *raw;
	int64_t id;

	(void)im;
	if (s->state == SYNC_DONE)
		return;
	memset(&sf, 0, sizeof sf);
	sf.name = fo->name;
	sf.raw_name = raw = xstrndup(fo->raw, fo->raw_len);
	delim[0] = fo->delim;
	delim[1] = '\0';
	sf.delim = fo->delim != '\0' ? delim : NULL;
	sf.special_use = imap_special_name(fo->special);
	sf.subscribed = fo->subscribed;
	sf.noselect = fo->noselect;
	if (store_folder_upsert(s->st, &sf, &id) != 0) {
		free(raw);
		sync_store_fail(s);
		return;
	}
	if (fo->has_counts &&
	    store_folder_set_status(s->st, id, fo->total, fo->unseen) != 0) {
		sync_store_fail(s);
		return;
	}
	s->listed = xreallocarray(s->listed, s->nlisted + 1, sizeof *s->listed);
	s->listed[s->nlisted++] = xstrdup(fo->name);
	if (s->params->list_only || !sync_wanted(s, fo)) {
		free(raw);
		return;
	}
	s->targets =
	    xreallocarray(s->targets, s->ntargets + 1, sizeof *s->targets);
	t = &s->targets[s->ntargets++];
	t->name = xstrdup(fo->name);
	t->raw = raw;
	t->id = id;
}

static void
on_list_done(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct sync *s = arg;
	size_t i, j;

	if (s->state == SYNC_DONE)
		return;
	if (e != IMAP_ERR_NONE) {
		sync_imap_fail(s, im, e, "cannot list folders", msg);
		return;
	}
	sync_forget_folders(s);
	for (i = 0; s->params->folders != NULL && i < s->params->nfolders;
	     i++) {
		for (j = 0; j < s->ntargets; j++) {
			if (strcmp(s->targets[j].name, s->params->folders[i]) ==
			        0 ||
			    (strcasecmp(s->targets[j].name, "INBOX") == 0 &&
			        strcasecmp(s->params->folders[i], "INBOX") ==
			            0))
				break;
		}
		if (j == s->ntargets) {
			sync_fail(s, SYNC_FAILED,
			    "no folder '%s' on the server",
			    s->params->folders[i]);
			return;
		}
	}
	s->cur = 0;
	sync_next_folder(s);
}

/* Folders the server no longer lists leave the cache (their journal rows
 * stay in the journal). */
static void
sync_forget_folders(struct sync *s)
{
	struct store_folder *list;
	size_t i, j, n;

	if (store_folder_list(s->st, &list, &n) != 0) {
		sync_store_fail(s);
		return;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < s->nlisted; j++) {
			if (strcmp(list[i].name, s->listed[j]) == 0)
				break;
		}
		if (j == s->nlisted &&
		    store_folder_delete(s->st, list[i].name) != 0) {
			sync_store_fail(s);
			break;
		}
	}
	store_folder_list_free(list, n);
}

static void
sync_next_folder(struct sync *s)
{
	struct imap_select_params sp;
	struct sync_target *t;
	char known[32];
	uint32_t max;
	int64_t njournal = 0;

	if (s->state == SYNC_DONE)
		return;
	store_folder_clear(&s->f);
	if (s->cur == s->ntargets) {
		s->state = SYNC_LOGOUT;
		imap_logout(s->imap, on_logout, s);
		return;
	}
	t = &s->targets[s->cur];
	if (store_folder_get(s->st, t->name, &s->f) != 0) {
		sync_store_fail(s);
		return;
	}
	if (store_msg_uid_max(s->st, s->f.id, &max) != 0) {
		sync_store_fail(s);
		return;
	}
	s->started_empty = max == 0;
	s->pending = store_journal_count(s->st, &njournal) == 0 && njournal > 0;
	s->new_unseen = 0;
	memset(&s->stats, 0, sizeof s->stats);
	s->stats.name = t->name;
	s->last_uid = 0;
	s->monotonic = 1;
	s->nseen = 0;
	memset(&sp, 0, sizeof sp);
	sp.mailbox = t->raw;
	if (s->f.uidvalidity != 0 && s->f.highestmodseq != 0 &&
	    s->f.synced_uid_max != 0) {
		sp.uidvalidity = s->f.uidvalidity;
		sp.highestmodseq = s->f.highestmodseq;
		snprintf(known, sizeof known, "1:%u", s->f.synced_uid_max);
		sp.known_uids = known;
	}
	s->state = SYNC_SELECT;
	/* Flag changes and VANISHED that come with the SELECT are written
	 * as they arrive (sync_write()), not in one transaction across the
	 * wait for its answer. */
	imap_select(s->imap, &sp, on_select, s);
}

static void
sync_fetch_headers(struct sync *s)
{
	uint32_t from;

	if (s->state == SYNC_DONE)
		return;
	if (store_in_transaction(s->st) && store_commit(s->st) != 0) {
		sync_store_fail(s);
		return;
	}
	/* UIDs end at 4294967295 (RFC 3501 2.3.1.1): once that one is
	 * stored no later message can come, and + 1 would wrap to 0, a
	 * fetch of everything. */
	from = s->f.synced_uid_max < UINT32_MAX ? s->f.synced_uid_max + 1 : 0;
	s->fetch_from = from;
	s->state = SYNC_HEADERS;
	if (from == 0 || s->exists == 0 ||
	    (s->uidnext != 0 && from >= s->uidnext)) {
		sync_finish_folder(s);
		return;
	}
	imap_fetch_headers(s->imap, from, 0, on_header, on_headers_done, s);
}

static void
on_select(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_selected *sel, void *arg)
{
	struct sync *s = arg;
	struct sync_target *t = &s->targets[s->cur];
	char *what;
	unsigned int on = imap_enabled(im);

	if (s->state == SYNC_DONE)
		return;
	if (e != IMAP_ERR_NONE) {
		xasprintf(&what, "cannot select '%s'", t->name);
		sync_imap_fail(s, im, e, what, msg);
		free(what);
		return;
	}
	s->uidvalidity = sel->uidvalidity;
	s->uidnext = sel->uidnext;
	s->exists = sel->exists;
	s->highestmodseq = sel->nomodseq ? 0 : sel->highestmodseq;
	s->qresync = sel->qresync;
	if (sync_write(s) != 0)
		return;
	if (s->f.uidvalidity != 0 && s->f.uidvalidity != sel->uidvalidity) {
		/* A new mailbox under the old name: nothing cached holds. */
		if (store_folder_reset(s->st, s->f.id, sel->uidvalidity) != 0) {
			sync_store_fail(s);
			return;
		}
		memset(&s->stats, 0, sizeof s->stats);
		s->stats.name = t->name;
		s->stats.reset = 1;
		s->started_empty = 1;
		s->f.synced_uid_max = 0;
		s->f.highestmodseq = 0;
		s->qresync = 0;
	}
	s->f.uidvalidity = sel->uidvalidity;
	/* Keep the UIDVALIDITY before any row it covers is written. */
	if (store_folder_set_sync(s->st, s->f.id, sel->uidvalidity,
	        s->f.uidnext, s->f.highestmodseq) != 0) {
		sync_store_fail(s);
		return;
	}
	if ((on & IMAP_CAP_QRESYNC) && !sel->nomodseq)
		s->stats.method = "qresync";
	else if ((on & IMAP_CAP_CONDSTORE) && !sel->nomodseq)
		s->stats.method = "condstore";
	else
		s->stats.method = "full";

	if (s->f.synced_uid_max == 0 || s->qresync) {
		sync_fetch_headers(s);
		return;
	}
	s->state = SYNC_FLAGS;
	if (s->f.highestmodseq != 0 && !sel->nomodseq &&
	    (on & IMAP_CAP_CONDSTORE)) {
		s->stats.method = "condstore";
		imap_fetch_flags(
		    im, s->f.highestmodseq, on_flags, on_flags_done, s);
	} else {
		s->stats.method = "full";
		s->f.highestmodseq = 0;
		imap_fetch_flags(im, 0, on_flags, on_flags_done, s);
	}
}

static void
on_flags(struct imap *im, const struct imap_msg *fl, void *arg)
{
	struct sync *s = arg;

	(void)im;
	if (s->state != SYNC_FLAGS || fl->uid == 0 || !fl->has_flags ||
	    fl->uid > s->f.synced_uid_max)
		return;
	if (s->f.highestmodseq == 0) {
		if (s->nseen == s->seencap) {
			s->seencap = s->seencap == 0 ? 1024 : s->seencap * 2;
			s->seen =
			    xreallocarray(s->seen, s->seencap, sizeof *s->seen);
		}
		s->seen[s->nseen++] = fl->uid;
	}
	sync_apply_flags(s, fl->uid, fl->flags, fl->keywords, fl->modseq);
}

static void
on_flags_done(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct sync *s = arg;

	if (s->state == SYNC_DONE)
		return;
	if (e != IMAP_ERR_NONE) {
		sync_imap_fail(s, im, e, "cannot fetch flags", msg);
		return;
	}
	if (s->f.highestmodseq == 0) {
		/* All flags came: a stored UID without them is expunged. */
		qsort(s->seen, s->nseen, sizeof *s->seen, sync_cmp_u32);
		sync_delete_missing(s, s->seen, s->nseen, s->f.synced_uid_max);
		sync_fetch_headers(s);
		return;
	}
	s->state = SYNC_SEARCH;
	imap_search_all(im, on_search, s);
}

static void
on_search(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_uidset *set, void *arg)
{
	struct sync *s = arg;

	if (s->state == SYNC_DONE)
		return;
	if (e != IMAP_ERR_NONE) {
		sync_imap_fail(s, im, e, "cannot search", msg);
		return;
	}
	sync_delete_absent(s, set, s->f.synced_uid_max);
	sync_fetch_headers(s);
}

static void
on_header(struct imap *im, const struct imap_msg *h, void *arg)
{
	struct sync *s = arg;
	struct mime_headers *mh;
	struct store_msg m;

	(void)im;
	/* "UID FETCH n:*" returns the last message even when its UID is
	 * below n. */
	if (s->state != SYNC_HEADERS || h->uid < s->fetch_from ||
	    h->header == NULL)
		return;
	if (sync_write(s) != 0)
		return;
	mh = mime_headers_decode(
	    h->header, h->header_len, s->account->fallback_charset);
	memset(&m, 0, sizeof m);
	m.uid = h->uid;
	m.modseq = h->modseq;
	m.flags = sync_flags_from_imap(h->flags);
	if (s->pending)
		m.flags = live_pending_flags(s->st, s->f.id, h->uid, m.flags);
	m.keywords = h->keywords;
	m.internaldate = h->internaldate;
	m.size = (int64_t)h->size;
	m.date = mh->date;
	m.from_name = mh->from_name;
	m.from_addr = mh->from_addr;
	m.to_addr = mh->to;
	m.cc = mh->cc;
	m.subject = mh->subject;
	m.message_id = mh->message_id;
	m.in_reply_to = mh->in_reply_to;
	m.refs = mh->references;
	m.has_attachment = mh->has_attachment;
	if (store_msg_put(s->st, s->f.id, &m) != 0) {
		mime_headers_free(mh);
		sync_store_fail(s);
		return;
	}
	mime_headers_free(mh);
	if (h->uid < s->last_uid)
		s->monotonic = 0;
	else
		s->last_uid = h->uid;
	s->stats.added++;
	if (!(m.flags & STORE_FLAG_SEEN))
		s->new_unseen++;
	if (++s->in_chunk >= SYNC_CHUNK || s->stats.added % SYNC_CHUNK == 0 ||
	    sync_txn_due(s)) {
		if (sync_chunk_commit(s) != 0) {
			sync_store_fail(s);
			return;
		}
		if (s->stats.added % SYNC_CHUNK == 0 &&
		    s->params->progress != NULL)
			s->params->progress(s->stats.name, s->stats.added,
			    s->exists, s->params->arg);
	}
}

static void
on_headers_done(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct sync *s = arg;

	if (s->state == SYNC_DONE)
		return;
	if (e != IMAP_ERR_NONE) {
		sync_imap_fail(s, im, e, "cannot fetch headers", msg);
		return;
	}
	if (sync_chunk_commit(s) != 0) {
		sync_store_fail(s);
		return;
	}
	sync_finish_folder(s);
}

/* Everything is stored: record the state the next sync starts from. */
static void
sync_finish_folder(struct sync *s)
{
	uint32_t total, unseen, max;

	if (store_in_transaction(s->st) && store_commit(s->st) != 0) {
		sync_store_fail(s);
		return;
	}
	if (store_msg_uid_max(s->st, s->f.id, &max) != 0 ||
	    (max > s->f.synced_uid_max &&
	        store_folder_set_synced(s->st, s->f.id, max) != 0) ||
	    store_folder_set_sync(s->st, s->f.id, s->uidvalidity, s->uidnext,
	        s->highestmodseq) != 0) {
		sync_store_fail(s);
		return;
	}
	/* Counting 100,000 rows is most of a warm sync: only when needed. */
	if (s->started_empty && s->stats.changed == 0 &&
	    s->stats.vanished == 0) {
		total = s->stats.added;
		unseen = s->new_unseen;
	} else if (s->stats.added != 0 || s->stats.changed != 0 ||
	    s->stats.vanished != 0 || s->stats.reset ||
	    s->f.total != s->exists) {
		if (store_msg_count(s->st, s->f.id, &total, &unseen) != 0) {
			sync_store_fail(s);
			return;
		}
	} else {
		total = s->f.total;
		unseen = s->f.unseen;
	}
	if (store_folder_set_status(s->st, s->f.id, total, unseen) != 0) {
		sync_store_fail(s);
		return;
	}
	if (s->params->done != NULL)
		s->params->done(&s->stats, s->params->arg);
	s->cur++;
	sync_next_folder(s);
}

static void
on_logout(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct sync *s = arg;

	(void)im;
	(void)e;
	(void)msg;
	s->state = SYNC_DONE;
	event_active(s->finish_ev, 0, 0);
}

static void
on_finish(evutil_socket_t fd, short what, void *arg)
{
	struct sync *s = arg;

	(void)fd;
	(void)what;
	s->over = 1;
	if (s->params->finished != NULL)
		s->params->finished(s->err != NULL ? s->result : SYNC_OK,
		    s->err != NULL ? s->err : "", s->params->arg);
	else
		event_base_loopbreak(s->base);
}

struct sync *
sync_start(struct session *ss, const struct sync_params *params)
{
	struct imap_params ip;
	struct sync *s;
	size_t i;

	s = xcalloc(1, sizeof *s);
	s->ss = ss;
	s->base = session_base(ss);
	s->account = session_account(ss);
	s->st = session_store(ss);
	s->params_copy = *params;
	s->params = &s->params_copy;
	if (params->folders != NULL) {
		s->folders_copy = xreallocarray(NULL,
		    params->nfolders > 0 ? params->nfolders : 1,
		    sizeof *s->folders_copy);
		for (i = 0; i < params->nfolders; i++)
			s->folders_copy[i] = xstrdup(params->folders[i]);
		s->params_copy.folders = (const char *const *)s->folders_copy;
	}
	s->result = SYNC_OK;
	s->finish_ev = event_new(s->base, -1, 0, on_finish, s);
	s->commit_ev = event_new(s->base, -1, 0, on_commit, s);
	event_priority_set(s->commit_ev, SESSION_PRIORITY_IDLE);
	session_imap_params(ss, &ip);
	ip.event = on_event;
	ip.event_arg = s;
	ip.early = session_take_early(ss);
	s->imap = imap_new(s->base, session_dns(ss), &ip);
	s->state = SYNC_CONNECT;
	imap_connect(s->imap, on_connect, s);
	/* Named folders the cache knows: no LIST (and no STATUS of every
	 * folder, the server's slowest answer at 100,000), and the first
	 * SELECT queued now, so that it may go right behind the login. */
	if (sync_targets_cached(s, 0)) {
		s->early = 1;
		s->cur = 0;
		sync_next_folder(s);
	}
	return s;
}

int
sync_locked(const struct sync *s)
{
	return s->locked;
}

int
sync_auth_refused(const struct sync *s)
{
	return s->auth_refused;
}

int
sync_flush(struct sync *s)
{
	if (s == NULL || !store_in_transaction(s->st))
		return 0;
	if (sync_chunk_commit(s) != 0) {
		sync_store_fail(s);
		return -1;
	}
	return 0;
}

void
sync_free(struct sync *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (store_in_transaction(s->st))
		store_rollback(s->st);
	imap_free(s->imap);
	event_free(s->finish_ev);
	event_free(s->commit_ev);
	store_folder_clear(&s->f);
	for (i = 0; i < s->ntargets; i++) {
		free(s->targets[i].name);
		free(s->targets[i].raw);
	}
	free(s->targets);
	for (i = 0; i < s->nlisted; i++)
		free(s->listed[i]);
	free(s->listed);
	free(s->seen);
	free(s->err);
	for (i = 0; s->folders_copy != NULL && i < s->params_copy.nfolders; i++)
		free(s->folders_copy[i]);
	free(s->folders_copy);
	free(s);
}

/* The command's deadline passed (cmd_deadline()): commit what is stored,
 * with its resume point, and say how far the folder under way got. */
static char *
sync_timed_out(struct sync *s)
{
	uint32_t total, unseen, want;
	char *msg, *name;

	if (s->state != SYNC_HEADERS || s->cur >= s->ntargets) {
		if (sync_flush(s) != 0)
			return xstrdup(s->err);
		xasprintf(
		    &msg, "timed out after %d s", session_deadline_secs(s->ss));
		return msg;
	}
	if (sync_flush(s) != 0 ||
	    store_msg_count(s->st, s->f.id, &total, &unseen) != 0)
		return xstrdup(store_error(s->st));
	/* What was stored before this run's headers, and what is new. */
	want = s->exists - (total - s->stats.added);
	if (total - s->stats.added > s->exists || want < s->stats.added)
		want = s->stats.added;
	name = text_clean_line(s->stats.name);
	xasprintf(&msg, "timed out after %d s; %u of %u headers stored in '%s'",
	    session_deadline_secs(s->ss), s->stats.added, want, name);
	free(name);
	return msg;
}

enum sync_result
sync_run(struct session *ss, const struct sync_params *params, char **err)
{
	struct event_base *base = session_base(ss);
	struct store *st = session_store(ss);
	int secs;
	struct sync_params p = *params;
	enum sync_result r;
	struct sync *s;

	*err = NULL;
again:
	if (session_creds(ss) != 1) {
		*err = xstrdup(session_cred_kind(ss) == SESSION_CRED_TOKEN
		        ? "no token"
		        : "no password");
		return SYNC_FAILED;
	}
	p.finished = NULL;
	session_deadline_start(ss);
	/* Waiting for another errand's write lock blocks the loop: no longer
	 * than the deadline. */
	secs = session_deadline_secs(ss);
	if (secs > 0 && secs < STORE_BUSY_WAIT_MS / 1000)
		store_set_busy_wait(st, secs * 1000);
	s = sync_start(ss, &p);
	while (!s->over && !session_timed_out(ss))
		event_base_dispatch(base);
	if (!s->over && s->state != SYNC_DONE) {
		*err = sync_timed_out(s);
		sync_free(s);
		return SYNC_FAILED;
	}
	/* It ended as the deadline passed: the end is what counts. */
	session_deadline_forgive(ss);
	while (!s->over)
		event_base_loop(base, EVLOOP_ONCE);
	r = s->err != NULL ? s->result : SYNC_OK;
	if (r == SYNC_FAILED && s->auth_refused &&
	    session_creds_refused(ss, s->err)) {
		/* An expired token: the token command runs again, once. */
		sync_free(s);
		goto again;
	}
	*err = s->err;
	s->err = NULL;
	sync_free(s);
	return r;
}
