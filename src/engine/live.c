/* errand: a terminal mail user agent. See LICENSE.
 * The live session: replays the journal oldest first (STORE with
 * UNCHANGEDSINCE, MOVE/COPY, EXPUNGE; rolled back on NO), then IDLEs on the
 * open folder, with NOTIFY for the others, applying what other devices
 * change. A row is never sent into a folder whose UIDVALIDITY is not the
 * one it was made under (it is held), and a copy or move sent without an
 * answer is looked for in its destination before it goes again.
 * RFC 3501, 2177, 4315, 5465, 6851, 7162. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "engine/journal.h"
#include "engine/live.h"
#include "engine/session.h"
#include "engine/sync.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"
#include "net/imap.h"

#define LIVE_OWN 256 /* messages whose own-STORE MODSEQ is remembered */

/* One journal row being sent. */
struct live_row {
	int64_t id;
	int64_t folder;
	uint32_t uid;
	enum journal_op op;
	char opname[16]; /* as stored, for the protocol log */
	char sign;       /* flags: '+' or '-' */
	char letter;     /* flags: S F D A, '\0' for a keyword */
	char *keyword;   /* flags: the keyword, or NULL */
	uint64_t modseq;
	char *raw;            /* the folder's server name */
	char *uids;           /* expunge: the UID set; move back: its UID */
	uint32_t back_uid;    /* move back: the UID in raw */
	char *dest;           /* move, copy: the destination's server name */
	uint32_t uidvalidity; /* the UIDVALIDITY its UIDs belong to */
	char *message_id;     /* "" when none */
	int state;            /* STORE_JOURNAL_* */
	uint32_t mark;        /* SENT: the destination's UIDNEXT before */
};

struct live {
	struct event_base *base;
	const struct account *a;
	struct store *st;
	struct session *s; /* the account's: credentials */
	struct live_params p;

	struct imap *im;
	int up;        /* logged in */
	int selecting; /* a SELECT is in flight */
	int busy;      /* a journal row is in flight */
	int checking;  /* selecting a destination to look for a copy */
	int64_t sel_folder;
	char *sel_raw;
	uint32_t sel_uidvalidity; /* what the SELECT of sel_raw said */
	int64_t open_folder;
	char *open_raw;
	void (*on_open)(const char *, void *); /* live_on_open() */
	void *on_open_arg;
	struct live_row row;
	/* Rows sent with row in its UID STORE: the same flag change in the
	 * same folder, none with a MODSEQ to check (errand flag's). */
	struct live_more {
		int64_t id;
		uint32_t uid;
	} * more;
	size_t nmore;
	/* The MODSEQ our last STORE gave its message: a later row for the
	 * same message was journaled before it, and must not take our own
	 * change for another device's. */
	struct {
		int64_t folder;
		uint32_t uid;
		uint64_t modseq;
	} own[LIVE_OWN];
	size_t nown; /* entries used, the oldest replaced first */

	struct event *ev_retry, *ev_poll, *ev_drain;
	struct backoff retry;
	int64_t done_id; /* done on the server, still in the journal */
};

static void live_connect(struct live *);
static void live_lost(struct live *, const char *);
static void live_drain(struct live *);
static void live_forget(struct live *, int64_t);
static char *live_more_rows(struct live *);
static void live_watch(struct live *);
static int live_first_row(const struct store_journal *, void *);
static void live_row_decode(const struct store_journal *, struct live_row *);
static int live_row_copies(const struct live_row *);
static void live_hold(struct live *, const char *);
static int live_folder_knows(struct store *, int64_t, uint32_t, uint32_t);
static void live_check(struct live *);
static int live_finish_move(struct live *);
static void on_check(struct imap *, enum imap_err, const char *,
    const struct imap_uidset *, void *);
static void on_check_status(struct imap *, enum imap_err, const char *,
    const struct imap_status *, void *);
static void on_mark(struct imap *, enum imap_err, const char *,
    const struct imap_status *, void *);
static void live_row_clear(struct live_row *);
static void live_rollback(struct store *, const struct live_row *);
static void live_select(struct live *, int64_t, const char *);
static void on_event(struct imap *, const struct imap_event *, void *);
static void on_connect(struct imap *, enum imap_err, const char *, void *);
static void on_select(struct imap *, enum imap_err, const char *,
    const struct imap_selected *, void *);
static void on_store(struct imap *, enum imap_err, const char *,
    const struct imap_uidset *, void *);
static void on_expunge(struct imap *, enum imap_err, const char *, void *);
static void on_copy(struct imap *, enum imap_err, const char *,
    const struct imap_copied *, void *);
static void on_idle(struct imap *, enum imap_err, const char *, void *);
static void on_noop(struct imap *, enum imap_err, const char *, void *);
static void on_notify(struct imap *, enum imap_err, const char *, void *);
static void live_status(struct live *, const struct imap_status_item *);

/* A server that refuses NOTIFY leaves the counts to the folder list's
 * poll: nothing to do either way. */
static void
on_notify(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	(void)im;
	(void)e;
	(void)msg;
	(void)arg;
}

/* NOTIFY's STATUS of another folder: its counts into the cache. */
static void
live_status(struct live *l, const struct imap_status_item *st)
{
	struct store_folder *list;
	size_t i, n;

	if (!st->has_messages && !st->has_unseen)
		return;
	if (store_folder_list(l->st, &list, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (list[i].raw_name == NULL ||
		    strlen(list[i].raw_name) != st->namelen ||
		    memcmp(list[i].raw_name, st->name, st->namelen) != 0)
			continue;
		store_folder_set_status(l->st, list[i].id,
		    st->has_messages ? st->messages : list[i].total,
		    st->has_unseen ? st->unseen : list[i].unseen);
		if (l->p.counts != NULL)
			l->p.counts(l->p.arg);
		break;
	}
	store_folder_list_free(list, n);
}
static void on_retry(evutil_socket_t, short, void *);
static void on_poll(evutil_socket_t, short, void *);
static void on_drain(evutil_socket_t, short, void *);

unsigned int
live_flag_bit(char letter, int store)
{
	switch (letter) {
	case 'S':
		return store ? STORE_FLAG_SEEN : IMAP_FLAG_SEEN;
	case 'F':
		return store ? STORE_FLAG_FLAGGED : IMAP_FLAG_FLAGGED;
	case 'D':
		return store ? STORE_FLAG_DELETED : IMAP_FLAG_DELETED;
	case 'A':
		return store ? STORE_FLAG_ANSWERED : IMAP_FLAG_ANSWERED;
	default:
		return 0;
	}
}

struct live *
live_new(struct session *s, const struct live_params *p)
{
	struct event_base *base = session_base(s);
	struct live *l = xcalloc(1, sizeof *l);

	l->base = base;
	l->a = session_account(s);
	l->st = session_store(s);
	l->s = s;
	l->retry.min = SESSION_RETRY_MIN;
	l->retry.max = SESSION_RETRY_MAX;
	l->p = *p;
	if (l->p.poll_secs <= 0)
		l->p.poll_secs = 60;
	l->ev_retry = evtimer_new(base, on_retry, l);
	l->ev_poll = evtimer_new(base, on_poll, l);
	l->ev_drain = event_new(base, -1, 0, on_drain, l);
	live_connect(l);
	return l;
}

void
live_free(struct live *l)
{
	if (l == NULL)
		return;
	imap_free(l->im);
	event_free(l->ev_retry);
	event_free(l->ev_poll);
	event_free(l->ev_drain);
	live_row_clear(&l->row);
	free(l->more);
	free(l->sel_raw);
	free(l->open_raw);
	free(l);
}

int
live_in_flight(const struct live *l, int64_t id)
{
	return l->busy && l->row.id == id;
}

struct live_fop {
	struct live *l;
	live_folder_cb cb;
	void *arg;
};

static void
on_folder(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct live_fop *op = arg;

	if (e == IMAP_ERR_NONE)
		op->cb(NULL, op->arg);
	else
		op->cb(msg != NULL
		        ? msg
		        : (imap_error(im) != NULL ? imap_error(im) : "failed"),
		    op->arg);
	/* The command ended IDLE: back to watching (and to NOTIFY news). */
	live_kick(op->l);
	free(op);
}

int
live_folder(struct live *l, enum live_folder_op what, const char *name,
    const char *to, live_folder_cb cb, void *arg)
{
	struct live_fop *op;
	char *raw, *rawto = NULL;

	if (!l->up || l->im == NULL)
		return -1;
	op = xcalloc(1, sizeof *op);
	op->l = l;
	op->cb = cb;
	op->arg = arg;
	raw = imap_mailbox_encode(l->im, name);
	switch (what) {
	case LIVE_CREATE:
		imap_create(l->im, raw, on_folder, op);
		break;
	case LIVE_DELETE:
		/* Not while it is selected here. */
		if (l->sel_raw != NULL && strcmp(l->sel_raw, raw) == 0) {
			l->sel_folder = 0;
			free(l->sel_raw);
			l->sel_raw = NULL;
		}
		imap_delete(l->im, raw, on_folder, op);
		break;
	case LIVE_RENAME:
		rawto = imap_mailbox_encode(l->im, to);
		imap_rename(l->im, raw, rawto, on_folder, op);
		break;
	case LIVE_SUBSCRIBE:
	case LIVE_UNSUBSCRIBE:
		imap_subscribe(
		    l->im, raw, what == LIVE_SUBSCRIBE, on_folder, op);
		break;
	}
	free(raw);
	free(rawto);
	return 0;
}

void
live_open(struct live *l, int64_t folder, const char *raw)
{
	free(l->open_raw);
	l->open_raw = xstrdup(raw);
	l->open_folder = folder;
	if (l->on_open != NULL)
		l->on_open(raw, l->on_open_arg);
	live_kick(l);
}

void
live_on_open(struct live *l, void (*fn)(const char *, void *), void *arg)
{
	l->on_open = fn;
	l->on_open_arg = arg;
}

void
live_kick(struct live *l)
{
	/* From the loop's top, never inside a caller's callback. */
	event_active(l->ev_drain, 0, 0);
}

static void
on_drain(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	live_drain(arg);
}

static void
live_connect(struct live *l)
{
	struct imap_params ip;

	session_imap_params(l->s, &ip);
	ip.event = on_event;
	ip.event_arg = l;
	l->im = imap_new(l->base, session_dns(l->s), &ip);
	l->up = l->busy = l->selecting = l->checking = 0;
	l->sel_folder = 0;
	free(l->sel_raw);
	l->sel_raw = NULL;
	imap_connect(l->im, on_connect, l);
}

/* The connection is gone: say so, and try again later. */
static void
live_lost(struct live *l, const char *why)
{
	struct timeval tv;

	if (event_pending(l->ev_retry, EV_TIMEOUT, NULL))
		return; /* already lost: the CLOSED event after a failure */
	l->up = l->busy = l->selecting = l->checking = 0;
	live_row_clear(&l->row);
	l->nmore = 0; /* still in the journal: sent again */
	event_del(l->ev_poll);
	tv.tv_sec = backoff_next(&l->retry);
	tv.tv_usec = 0;
	evtimer_add(l->ev_retry, &tv);
	/* Every time: a sync that ended well meanwhile may have said
	 * "online" while this session still cannot reach the server. */
	if (l->p.state != NULL)
		l->p.state(0, why, l->p.arg);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct live *l = arg;

	(void)fd;
	(void)what;
	imap_free(l->im);
	l->im = NULL;
	live_connect(l);
}

static void
on_connect(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct live *l = arg;

	if (e != IMAP_ERR_NONE) {
		live_lost(l, msg != NULL ? msg : imap_error(im));
		return;
	}
	l->up = 1;
	backoff_reset(&l->retry);
	/* Other folders' news while idle (RFC 5465), when offered. */
	if (imap_caps(im) & IMAP_CAP_NOTIFY)
		imap_notify(im,
		    "(selected (MessageNew MessageExpunge FlagChange)) "
		    "(personal (MessageNew MessageExpunge))",
		    on_notify, l);
	if (l->p.state != NULL)
		l->p.state(1, "", l->p.arg);
	live_drain(l);
}

/* The oldest row that may go (held rows wait for errand push). */
static int
live_first_row(const struct store_journal *j, void *arg)
{
	if (j->state == STORE_JOURNAL_HELD)
		return 0;
	live_row_decode(j, arg);
	return 1;
}

/* Decode a journal row into r; free with live_row_clear(). A row that
 * does not decode has op JOURNAL_UNKNOWN and an empty raw. */
static void
live_row_decode(const struct store_journal *j, struct live_row *r)
{
	struct journal_args a;

	memset(r, 0, sizeof *r);
	r->id = j->id;
	r->folder = j->folder;
	r->uid = j->uid;
	r->uidvalidity = j->uidvalidity;
	r->message_id = xstrdup(j->message_id != NULL ? j->message_id : "");
	r->state = j->state;
	r->mark = j->mark;
	snprintf(r->opname, sizeof r->opname, "%s", j->op);
	if (journal_decode(j->op, j->arg, &a, NULL) != 0) {
		r->raw = xstrdup("");
		return;
	}
	r->op = a.op;
	r->raw = a.folder;
	a.folder = NULL;
	switch (a.op) {
	case JOURNAL_FLAGS:
		r->sign = a.u.flags.sign;
		r->letter = a.u.flags.letter;
		r->modseq = a.u.flags.modseq;
		r->keyword = a.u.flags.keyword;
		a.u.flags.keyword = NULL;
		break;
	case JOURNAL_EXPUNGE:
		r->uids = a.u.expunge.uids;
		a.u.expunge.uids = NULL;
		break;
	case JOURNAL_MOVEBACK:
		r->back_uid = a.u.moveback.uid;
		xasprintf(&r->uids, "%u", a.u.moveback.uid);
		r->dest = a.u.moveback.to;
		a.u.moveback.to = NULL;
		break;
	case JOURNAL_MOVE:
	case JOURNAL_COPY:
		r->dest = a.u.move.dest;
		a.u.move.dest = NULL;
		break;
	default:
		break;
	}
	journal_args_clear(&a);
}

/* 1 for a row that adds a message to another folder: sent twice, it
 * leaves two. */
static int
live_row_copies(const struct live_row *r)
{
	return r->op == JOURNAL_COPY || r->op == JOURNAL_MOVE ||
	    r->op == JOURNAL_MOVEBACK;
}

/* The store row of the folder with this server name, or 0. */
static int64_t
live_folder_by_raw(struct store *st, const char *raw)
{
	struct store_folder *list;
	size_t i, n;
	int64_t id = 0;

	if (store_folder_list(st, &list, &n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (list[i].raw_name != NULL &&
		    strcmp(list[i].raw_name, raw) == 0)
			id = list[i].id;
	}
	store_folder_list_free(list, n);
	return id;
}

static void
live_row_clear(struct live_row *r)
{
	free(r->message_id);
	free(r->raw);
	free(r->uids);
	free(r->dest);
	free(r->keyword);
	memset(r, 0, sizeof *r);
}

static void
live_select(struct live *l, int64_t folder, const char *raw)
{
	struct imap_select_params sp;
	struct store_folder *list;
	char known[32];
	size_t i, n;

	memset(&sp, 0, sizeof sp);
	sp.mailbox = raw;
	/* QRESYNC: what was expunged meanwhile comes first, as VANISHED
	 * (EARLIER), so no change goes for a message that is gone. */
	if (store_folder_list(l->st, &list, &n) == 0) {
		for (i = 0; i < n; i++) {
			if (list[i].id != folder || list[i].uidvalidity == 0 ||
			    list[i].highestmodseq == 0 ||
			    list[i].synced_uid_max == 0)
				continue;
			sp.uidvalidity = list[i].uidvalidity;
			sp.highestmodseq = list[i].highestmodseq;
			snprintf(known, sizeof known, "1:%u",
			    list[i].synced_uid_max);
			sp.known_uids = known;
		}
		store_folder_list_free(list, n);
	}
	l->selecting = 1;
	l->sel_folder = folder;
	free(l->sel_raw);
	l->sel_raw = xstrdup(raw);
	imap_select(l->im, &sp, on_select, l);
}

/* Row id is done (or cannot be): out of the journal. While another errand
 * holds the cache it is kept as done, and live_drain() sends nothing
 * until it is out (a COPY sent twice copies twice). */
static void
live_forget(struct live *l, int64_t id)
{
	if (store_journal_remove(l->st, id) != 0 && store_locked(l->st))
		l->done_id = id;
}

/* 1 when the cache holds the folder's messages up to uid under
 * uidvalidity: a UID it lacks there was expunged. A folder not yet synced
 * (after a damaged cache, say) knows nothing. */
static int
live_folder_knows(
    struct store *st, int64_t folder, uint32_t uidvalidity, uint32_t uid)
{
	struct store_folder *list;
	size_t i, n;
	int knows = 0;

	if (store_folder_list(st, &list, &n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (list[i].id == folder &&
		    list[i].uidvalidity == uidvalidity &&
		    list[i].synced_uid_max >= uid)
			knows = 1;
	}
	store_folder_list_free(list, n);
	return knows;
}

/* Hold the current row: never sent as it is; errand push lists it. why
 * NULL: its folder's UIDVALIDITY is not the one it was made under. */
static void
live_hold(struct live *l, const char *why)
{
	char *t;

	if (store_journal_set_state(l->st, l->row.id, STORE_JOURNAL_HELD, 0) !=
	    0) {
		if (l->p.notice != NULL)
			l->p.notice(1, store_error(l->st), l->p.arg);
		return; /* not sent either */
	}
	if (l->p.notice != NULL) {
		if (why == NULL)
			xasprintf(&t,
			    "change %lld (%s) held: '%s' is not the mailbox it "
			    "was made in (UIDVALIDITY %u, now %u); see errand "
			    "push",
			    (long long)l->row.id, l->row.opname, l->row.raw,
			    l->row.uidvalidity, l->sel_uidvalidity);
		else
			xasprintf(&t,
			    "change %lld (%s) held: %s; see errand push",
			    (long long)l->row.id, l->row.opname, why);
		l->p.notice(1, t, l->p.arg);
		free(t);
	}
	live_kick(l);
}

/* A copy or move whose answer was lost: select its destination and look
 * there for the message before sending it again. */
static void
live_check(struct live *l)
{
	if (l->sel_raw == NULL || strcmp(l->sel_raw, l->row.dest) != 0) {
		l->checking = 1;
		live_select(
		    l, live_folder_by_raw(l->st, l->row.dest), l->row.dest);
		return;
	}
	l->checking = 0;
	l->busy = 1;
	event_del(l->ev_poll);
	if (*l->row.message_id == '\0') {
		/* Nothing to look for: only a UIDNEXT that did not move says
		 * that nothing arrived. */
		imap_status(l->im, l->row.dest, on_check_status, l);
		return;
	}
	imap_search_msgid(l->im, l->row.mark, l->row.message_id, on_check, l);
}

static void
on_check_status(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_status *st, void *arg)
{
	struct live *l = arg;

	l->busy = 0;
	if (e == IMAP_ERR_CONN || e == IMAP_ERR_PROTO || e == IMAP_ERR_CLOSED) {
		live_lost(l, msg != NULL ? msg : imap_error(im));
		return;
	}
	if (st == NULL || l->row.mark == 0 || st->uidnext != l->row.mark) {
		live_hold(l,
		    "it went without an answer and the message has no "
		    "Message-ID to look for");
		return;
	}
	if (store_journal_set_state(
	        l->st, l->row.id, STORE_JOURNAL_PENDING, 0) != 0) {
		if (l->p.notice != NULL)
			l->p.notice(1, store_error(l->st), l->p.arg);
		return;
	}
	live_drain(l);
}

/* The answer to the search of a destination for a message whose copy or
 * move went without an answer: there, the row is done; not there, it
 * goes again. */
static void
on_check(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_uidset *found, void *arg)
{
	struct live *l = arg;
	uint32_t dest_uid = 0;
	size_t i;

	l->busy = 0;
	if (e == IMAP_ERR_CONN || e == IMAP_ERR_PROTO || e == IMAP_ERR_CLOSED) {
		live_lost(l, msg != NULL ? msg : imap_error(im));
		return;
	}
	if (e != IMAP_ERR_NONE) {
		live_hold(
		    l, msg != NULL ? msg : "cannot search its destination");
		return;
	}
	/* UID n:* names the highest UID even below n. */
	for (i = 0; i < found->n && dest_uid == 0; i++) {
		if (found->r[i].hi >= l->row.mark)
			dest_uid = found->r[i].lo >= l->row.mark
			    ? found->r[i].lo
			    : l->row.mark;
	}
	if (dest_uid == 0) {
		if (store_journal_set_state(
		        l->st, l->row.id, STORE_JOURNAL_PENDING, 0) != 0) {
			if (l->p.notice != NULL)
				l->p.notice(1, store_error(l->st), l->p.arg);
			return;
		}
		live_drain(l);
		return;
	}
	/* Done before the answer was lost; a move may have stopped after
	 * its copy (COPY, STORE, EXPUNGE without MOVE), so its source goes
	 * too, by UID, under its own UIDVALIDITY. */
	if (l->row.op != JOURNAL_COPY && live_finish_move(l) != 0) {
		if (l->p.notice != NULL)
			l->p.notice(1, store_error(l->st), l->p.arg);
		return;
	}
	if (l->row.op == JOURNAL_MOVE && l->p.moved != NULL)
		l->p.moved(l->row.folder, l->row.uid, l->row.dest,
		    l->sel_uidvalidity, dest_uid, l->p.arg);
	live_forget(l, l->row.id);
	if (l->p.sent != NULL)
		l->p.sent(l->p.arg);
	if (l->p.changed != NULL)
		l->p.changed(l->row.op == JOURNAL_MOVEBACK, l->p.arg);
	live_drain(l);
}

/* Queue what makes sure the source of the current move (or move back)
 * is gone: \Deleted on its UID, then UID EXPUNGE of that UID alone; both
 * do nothing when it is gone already, and are held like any row when the
 * source was made again. */
static int
live_finish_move(struct live *l)
{
	uint32_t uid = l->row.uid;
	int64_t folder = l->row.folder;

	if (l->row.op == JOURNAL_MOVEBACK) {
		uid = l->row.back_uid;
		folder = live_folder_by_raw(l->st, l->row.raw);
	}
	if (uid == 0)
		return 0;
	return journal_put_purge(l->st, folder, l->row.raw, l->row.uidvalidity,
	    uid, l->row.message_id);
}

/* The destination's UIDNEXT is known: mark the row as sent, then send. */
static void
on_mark(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_status *st, void *arg)
{
	struct live *l = arg;
	char uid[16];

	if (e == IMAP_ERR_CONN || e == IMAP_ERR_PROTO || e == IMAP_ERR_CLOSED) {
		l->busy = 0;
		live_lost(l, msg != NULL ? msg : imap_error(im));
		return;
	}
	if (store_journal_set_state(l->st, l->row.id, STORE_JOURNAL_SENT,
	        st != NULL ? st->uidnext : 0) != 0) {
		l->busy = 0;
		if (l->p.notice != NULL)
			l->p.notice(1, store_error(l->st), l->p.arg);
		return;
	}
	if (l->row.op == JOURNAL_MOVEBACK) {
		imap_move(l->im, l->row.uids, l->row.dest, on_copy, l);
		return;
	}
	snprintf(uid, sizeof uid, "%u", l->row.uid);
	if (l->row.op == JOURNAL_MOVE)
		imap_move(l->im, uid, l->row.dest, on_copy, l);
	else
		imap_copy(l->im, uid, l->row.dest, on_copy, l);
}

#define LIVE_MORE_MAX 10000 /* rows in one UID STORE */
#define LIVE_SET_MAX 8000   /* bytes of its UID set */

struct live_more_find {
	struct live *l;
	int past; /* row itself seen */
};

/* The rows right after the one being sent that change the same flag the
 * same way in the same folder, none with a MODSEQ (errand flag's): they
 * go in its UID STORE. Order is kept: the first other row stops it. */
static int
live_more_cb(const struct store_journal *j, void *arg)
{
	struct live_more_find *f = arg;
	struct live *l = f->l;
	struct live_row r;
	int same;

	if (!f->past) {
		f->past = j->id == l->row.id;
		return 0;
	}
	if (l->nmore >= LIVE_MORE_MAX || j->state != STORE_JOURNAL_PENDING ||
	    j->uid == 0 || j->folder != l->row.folder ||
	    j->uidvalidity != l->row.uidvalidity)
		return 1;
	live_row_decode(j, &r);
	same = r.op == JOURNAL_FLAGS && r.sign == l->row.sign &&
	    r.letter == l->row.letter && r.modseq == 0 &&
	    (r.keyword == NULL) == (l->row.keyword == NULL) &&
	    (r.keyword == NULL || strcmp(r.keyword, l->row.keyword) == 0) &&
	    strcmp(r.raw, l->row.raw) == 0;
	live_row_clear(&r);
	if (!same)
		return 1;
	l->more = xreallocarray(l->more, l->nmore + 1, sizeof *l->more);
	l->more[l->nmore].id = j->id;
	l->more[l->nmore++].uid = j->uid;
	return 0;
}

static int
live_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Gather the rows that go with l->row (see live_more_cb) while their
 * messages are cached and the set stays short; the UID set of all, or
 * NULL when the row goes alone. The caller frees it. */
static char *
live_more_rows(struct live *l)
{
	struct live_more_find f;
	struct store_msg m;
	uint32_t *uids;
	size_t i, j, n, len;
	char *set, *t;

	l->nmore = 0;
	if (l->row.modseq != 0)
		return NULL;
	memset(&f, 0, sizeof f);
	f.l = l;
	if (store_journal_foreach(l->st, live_more_cb, &f) < 0) {
		l->nmore = 0;
		return NULL;
	}
	/* A message no longer cached is looked at on its own. */
	for (i = 0; i < l->nmore; i++)
		if (store_msg_get(l->st, l->row.folder, l->more[i].uid, &m) !=
		    0)
			break;
	l->nmore = i;
	if (l->nmore == 0)
		return NULL;
	for (;;) {
		n = l->nmore + 1;
		uids = xreallocarray(NULL, n, sizeof *uids);
		uids[0] = l->row.uid;
		for (i = 0; i < l->nmore; i++)
			uids[i + 1] = l->more[i].uid;
		qsort(uids, n, sizeof *uids, live_uid_cmp);
		set = xstrdup("");
		for (i = 0; i < n; i = j) {
			for (j = i + 1; j < n &&
			     (uids[j] == uids[j - 1] ||
			         uids[j] == uids[j - 1] + 1);
			     j++)
				continue;
			if (uids[j - 1] == uids[i])
				xasprintf(&t, "%s%s%u", set,
				    *set != '\0' ? "," : "", uids[i]);
			else
				xasprintf(&t, "%s%s%u:%u", set,
				    *set != '\0' ? "," : "", uids[i],
				    uids[j - 1]);
			free(set);
			set = t;
		}
		free(uids);
		len = strlen(set);
		if (len <= LIVE_SET_MAX || l->nmore <= 1)
			break;
		/* Too long a line: the later half waits for the next. */
		free(set);
		l->nmore /= 2;
	}
	return set;
}

/* Send the oldest journal row, or watch the open folder when none is
 * left. */
static void
live_drain(struct live *l)
{
	struct store_msg m;
	char uid[16], *set;
	size_t i;
	int rc;

	if (!l->up || l->busy || l->selecting)
		return;
	if (l->done_id != 0) {
		struct timeval tv = {0, 200000};

		/* Never send it again: wait until the cache takes it out. */
		if (store_journal_remove(l->st, l->done_id) != 0 &&
		    store_locked(l->st)) {
			event_add(l->ev_drain, &tv);
			return;
		}
		l->done_id = 0;
		if (l->p.sent != NULL)
			l->p.sent(l->p.arg); /* one fewer pending */
	}
	live_row_clear(&l->row);
	l->nmore = 0;
	rc = store_journal_foreach(l->st, live_first_row, &l->row);
	if (rc < 0) {
		if (l->p.notice != NULL)
			l->p.notice(1, store_error(l->st), l->p.arg);
		return;
	}
	if (rc == 0) {
		if (l->p.drained != NULL)
			l->p.drained(l->p.arg);
		live_watch(l);
		return;
	}
	if (*l->row.raw == '\0' ||
	    (l->row.op != JOURNAL_FLAGS && l->row.op != JOURNAL_EXPUNGE &&
	        l->row.op != JOURNAL_MOVE && l->row.op != JOURNAL_MOVEBACK &&
	        l->row.op != JOURNAL_COPY)) {
		/* A row this version cannot send: keep nothing stuck. */
		live_forget(l, l->row.id);
		live_kick(l);
		return;
	}
	/* Sent once without an answer: it may be done already. */
	if (l->row.state == STORE_JOURNAL_SENT && live_row_copies(&l->row) &&
	    l->row.dest != NULL) {
		live_check(l);
		return;
	}
	if (l->sel_raw == NULL || strcmp(l->sel_raw, l->row.raw) != 0 ||
	    (l->row.op != JOURNAL_MOVEBACK && l->sel_folder != l->row.folder)) {
		/* A move back starts in the other folder: its own row id,
		 * so that its events touch its own cache rows. */
		live_select(l,
		    l->row.op == JOURNAL_MOVEBACK
		        ? live_folder_by_raw(l->st, l->row.raw)
		        : l->row.folder,
		    l->row.raw);
		return;
	}
	/* Made under another UIDVALIDITY: its UIDs are other messages now
	 * (the folder was deleted and made again), or unknown. */
	if (l->row.uidvalidity == 0 ||
	    l->row.uidvalidity != l->sel_uidvalidity) {
		live_hold(l, NULL);
		return;
	}
	/* Its message was expunged elsewhere while the change waited: the
	 * cache knows that UID under this UIDVALIDITY and has no row. */
	if (l->row.uid == 0 ||
	    (rc = store_msg_get(l->st, l->row.folder, l->row.uid, &m)) != 0)
		memset(&m, 0, sizeof m);
	if (l->row.uid != 0 && rc == 1 &&
	    live_folder_knows(
	        l->st, l->row.folder, l->row.uidvalidity, l->row.uid)) {
		live_forget(l, l->row.id);
		/* Deleting what is gone loses nothing: no news. */
		if (l->p.notice != NULL &&
		    !(l->row.op == JOURNAL_FLAGS && l->row.sign == '+' &&
		        l->row.letter == 'D')) {
			char *t;

			xasprintf(&t,
			    "message %u was deleted on another device: "
			    "change dropped",
			    l->row.uid);
			l->p.notice(0, t, l->p.arg);
			free(t);
		}
		if (l->p.sent != NULL)
			l->p.sent(l->p.arg);
		live_kick(l);
		return;
	}
	l->busy = 1;
	event_del(l->ev_poll);
	if (l->row.op == JOURNAL_FLAGS) {
		for (i = 0; i < LIVE_OWN && i < l->nown; i++) {
			if (l->own[i].folder == l->row.folder &&
			    l->own[i].uid == l->row.uid &&
			    l->row.modseq < l->own[i].modseq &&
			    m.modseq == l->own[i].modseq)
				l->row.modseq = l->own[i].modseq;
		}
		snprintf(uid, sizeof uid, "%u", l->row.uid);
		set = live_more_rows(l);
		imap_store_flags(l->im, set != NULL ? set : uid,
		    l->row.sign == '+' ? IMAP_STORE_ADD : IMAP_STORE_REMOVE,
		    live_flag_bit(l->row.letter, 0), l->row.keyword,
		    (imap_enabled(l->im) & IMAP_CAP_CONDSTORE) ? l->row.modseq
		                                               : 0,
		    on_store, l);
		free(set);
	} else if (live_row_copies(&l->row)) {
		/* The destination's UIDNEXT first, then the row marked as
		 * sent, then the command: after a lost answer the message is
		 * looked for from that UID on. */
		imap_status(l->im, l->row.dest, on_mark, l);
	} else
		imap_expunge(l->im, l->row.uids, on_expunge, l);
}

static void
on_copy(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_copied *c, void *arg)
{
	struct live *l = arg;
	int move = l->row.op == JOURNAL_MOVE;
	int back = l->row.op == JOURNAL_MOVEBACK;

	l->busy = 0;
	if (e == IMAP_ERR_CONN || e == IMAP_ERR_PROTO || e == IMAP_ERR_CLOSED) {
		live_lost(l, msg != NULL ? msg : imap_error(im));
		return;
	}
	if (e != IMAP_ERR_NONE) {
		live_rollback(l->st, &l->row);
		if (l->p.notice != NULL)
			l->p.notice(1, msg, l->p.arg);
	} else if (move) {
		store_msg_delete(l->st, l->row.folder, l->row.uid);
		if (l->p.moved != NULL)
			l->p.moved(l->row.folder, l->row.uid, l->row.dest,
			    c != NULL && c->dst.n > 0 ? c->uidvalidity : 0,
			    c != NULL && c->dst.n > 0 ? c->dst.r[0].lo : 0,
			    l->p.arg);
	}
	live_forget(l, l->row.id);
	if (back && e == IMAP_ERR_NONE && l->p.changed != NULL)
		l->p.changed(1, l->p.arg); /* it comes back with a new UID */
	if (l->p.sent != NULL)
		l->p.sent(l->p.arg);
	if (l->p.changed != NULL)
		l->p.changed(0, l->p.arg);
	live_drain(l);
}

/* Nothing to send: IDLE (or poll) on the open folder. */
static void
live_watch(struct live *l)
{
	struct timeval tv;

	if (l->open_raw == NULL)
		return;
	if (l->sel_folder != l->open_folder || l->sel_raw == NULL ||
	    strcmp(l->sel_raw, l->open_raw) != 0) {
		live_select(l, l->open_folder, l->open_raw);
		return;
	}
	if (imap_caps(l->im) & IMAP_CAP_IDLE) {
		if (!imap_idling(l->im))
			imap_idle_start(l->im, on_idle, l);
		return;
	}
	tv.tv_sec = l->p.poll_secs;
	tv.tv_usec = 0;
	evtimer_add(l->ev_poll, &tv);
}

static void
on_select(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_selected *sel, void *arg)
{
	struct live *l = arg;

	l->selecting = 0;
	l->sel_uidvalidity = sel != NULL ? sel->uidvalidity : 0;
	if (e == IMAP_ERR_NO && l->checking) {
		/* No destination: nothing was copied there. */
		l->checking = 0;
		l->sel_folder = 0;
		free(l->sel_raw);
		l->sel_raw = NULL;
		if (store_journal_set_state(
		        l->st, l->row.id, STORE_JOURNAL_PENDING, 0) == 0)
			live_kick(l);
		return;
	}
	if (e == IMAP_ERR_NO) {
		/* The folder is gone: its rows cannot be sent. */
		if (l->row.id != 0 && l->row.folder == l->sel_folder) {
			live_forget(l, l->row.id);
			if (l->p.notice != NULL)
				l->p.notice(1, msg, l->p.arg);
		}
		l->sel_folder = 0;
		free(l->sel_raw);
		l->sel_raw = NULL;
		if (l->row.id == 0)
			return; /* the open folder: nothing to watch */
		live_kick(l);
		return;
	}
	if (e != IMAP_ERR_NONE) {
		live_lost(l, msg != NULL ? msg : imap_error(im));
		return;
	}
	live_drain(l);
}

/* The server refused a change: put the cache back as it was. */
static void
live_rollback(struct store *st, const struct live_row *r)
{
	struct store_msg m;
	unsigned int bit = live_flag_bit(r->letter, 1), flags;
	char *kw;

	if (r->op == JOURNAL_FLAGS && r->keyword != NULL) {
		if (store_msg_get(st, r->folder, r->uid, &m) != 0 ||
		    (kw = journal_keywords_edit(
		         m.keywords, r->keyword, r->sign != '+')) == NULL)
			return;
		store_msg_set_flags(st, r->folder, r->uid, m.flags, kw, 0);
		free(kw);
		return;
	}
	if (r->op == JOURNAL_MOVE)
		bit = STORE_FLAG_HIDDEN;
	else if (r->op != JOURNAL_FLAGS)
		return;
	if (store_msg_get(st, r->folder, r->uid, &m) != 0)
		return;
	if (r->op == JOURNAL_MOVE)
		flags = m.flags & ~bit;
	else
		flags = r->sign == '+' ? m.flags & ~bit : m.flags | bit;
	store_msg_set_flags(st, r->folder, r->uid, flags, m.keywords, 0);
}

struct live_rows {
	struct live_row *r;
	size_t n;
};

static int
live_collect(const struct store_journal *j, void *arg)
{
	struct live_rows *rows = arg;

	/* A held row's UID names another message now: leave it alone. */
	if (j->state == STORE_JOURNAL_HELD)
		return 0;
	rows->r = xreallocarray(rows->r, rows->n + 1, sizeof *rows->r);
	live_row_decode(j, &rows->r[rows->n++]);
	return 0;
}

struct live_pending {
	unsigned int flags;
};

static int
live_pending_cb(const struct store_journal *j, void *arg)
{
	struct live_pending *p = arg;
	struct live_row r;
	unsigned int bit;

	live_row_decode(j, &r);
	if (r.op == JOURNAL_MOVE) {
		p->flags |= STORE_FLAG_HIDDEN;
		live_row_clear(&r);
		return 0;
	}
	if (r.op != JOURNAL_FLAGS) {
		live_row_clear(&r);
		return 0;
	}
	bit = live_flag_bit(r.letter, 1);
	p->flags = r.sign == '+' ? p->flags | bit : p->flags & ~bit;
	live_row_clear(&r);
	return 0;
}

unsigned int
live_pending_flags(
    struct store *st, int64_t folder, uint32_t uid, unsigned int flags)
{
	struct live_pending p;

	p.flags = flags;
	if (store_journal_foreach_msg(st, folder, uid, live_pending_cb, &p) !=
	    0)
		return flags;
	return p.flags;
}

struct live_pending_kw {
	char *kw;
};

static int
live_pending_kw_cb(const struct store_journal *j, void *arg)
{
	struct live_pending_kw *p = arg;
	struct live_row r;
	char *t;

	live_row_decode(j, &r);
	if (r.op == JOURNAL_FLAGS && r.keyword != NULL &&
	    (t = journal_keywords_edit(p->kw, r.keyword, r.sign == '+')) !=
	        NULL) {
		free(p->kw);
		p->kw = t;
	}
	live_row_clear(&r);
	return 0;
}

char *
live_pending_keywords(
    struct store *st, int64_t folder, uint32_t uid, const char *keywords)
{
	struct live_pending_kw p;

	p.kw = xstrdup(keywords != NULL ? keywords : "");
	store_journal_foreach_msg(st, folder, uid, live_pending_kw_cb, &p);
	return p.kw;
}

int
live_discard(struct store *st)
{
	struct live_rows rows;
	size_t i;
	int rc = 0;

	memset(&rows, 0, sizeof rows);
	if (store_journal_foreach(st, live_collect, &rows) != 0)
		rc = -1;
	/* Newest first, so each message ends as it was before its first. */
	for (i = rows.n; rc == 0 && i > 0; i--) {
		live_rollback(st, &rows.r[i - 1]);
		if (store_journal_remove(st, rows.r[i - 1].id) != 0)
			rc = -1;
	}
	for (i = 0; i < rows.n; i++)
		live_row_clear(&rows.r[i]);
	free(rows.r);
	return rc < 0 ? -1 : (int)rows.n;
}

static void
on_store(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_uidset *modified, void *arg)
{
	struct live *l = arg;
	uint32_t uid;
	size_t i;
	int batch;

	l->busy = 0;
	if (e == IMAP_ERR_CONN || e == IMAP_ERR_PROTO || e == IMAP_ERR_CLOSED) {
		live_lost(l, msg != NULL ? msg : imap_error(im));
		return;
	}
	if (e != IMAP_ERR_NONE) {
		live_rollback(l->st, &l->row);
		live_forget(l, l->row.id);
		for (i = 0; i < l->nmore; i++) {
			uid = l->row.uid;
			l->row.uid = l->more[i].uid;
			live_rollback(l->st, &l->row);
			l->row.uid = uid;
			live_forget(l, l->more[i].id);
		}
		l->nmore = 0;
		if (l->p.notice != NULL)
			l->p.notice(1, msg, l->p.arg);
		if (l->p.changed != NULL)
			l->p.changed(0, l->p.arg);
	} else {
		/* Thousands of rows: gone in one commit, not one each. */
		batch = l->nmore > 0 && !store_in_transaction(l->st) &&
		    store_begin(l->st) == 0;
		live_forget(l, l->row.id);
		for (i = 0; i < l->nmore; i++)
			live_forget(l, l->more[i].id);
		if (batch && store_commit(l->st) != 0) {
			store_rollback(l->st);
			live_forget(l, l->row.id);
			for (i = 0; i < l->nmore; i++)
				live_forget(l, l->more[i].id);
		}
		for (i = 0; i <= l->nmore; i++)
			if (l->p.sent != NULL)
				l->p.sent(l->p.arg);
		l->nmore = 0;
		/* Changed elsewhere since we looked: the server's flags win,
		 * and the next sync brings them. */
		if (modified != NULL &&
		    imap_uidset_contains(modified, l->row.uid) &&
		    l->p.changed != NULL)
			l->p.changed(1, l->p.arg);
	}
	live_drain(l);
}

static void
on_expunge(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct live *l = arg;

	l->busy = 0;
	if (e == IMAP_ERR_CONN || e == IMAP_ERR_PROTO || e == IMAP_ERR_CLOSED) {
		live_lost(l, msg != NULL ? msg : imap_error(im));
		return;
	}
	live_forget(l, l->row.id);
	if (l->p.sent != NULL)
		l->p.sent(l->p.arg);
	if (e != IMAP_ERR_NONE && l->p.notice != NULL)
		l->p.notice(1, msg, l->p.arg);
	if (l->p.changed != NULL)
		l->p.changed(1, l->p.arg);
	live_drain(l);
}

static void
on_idle(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct live *l = arg;

	if (e == IMAP_ERR_CONN || e == IMAP_ERR_PROTO || e == IMAP_ERR_CLOSED)
		live_lost(l, msg != NULL ? msg : imap_error(im));
}

static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct live *l = arg;

	(void)fd;
	(void)what;
	if (l->up && !l->busy)
		imap_noop(l->im, on_noop, l);
}

static void
on_noop(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct live *l = arg;

	if (e == IMAP_ERR_CONN || e == IMAP_ERR_PROTO || e == IMAP_ERR_CLOSED) {
		live_lost(l, msg != NULL ? msg : imap_error(im));
		return;
	}
	live_drain(l);
}

static void
on_event(struct imap *im, const struct imap_event *ev, void *arg)
{
	struct live *l = arg;
	struct store_msg m;
	unsigned int f;
	size_t i;

	(void)im;
	switch (ev->type) {
	case IMAP_EV_FETCH:
		if (ev->msg->uid == 0 ||
		    store_msg_get(l->st, l->sel_folder, ev->msg->uid, &m) != 0)
			break;
		if (!ev->msg->has_flags) {
			if (l->busy && ev->msg->uid == l->row.uid) {
				i = l->nown++ % LIVE_OWN;
				l->own[i].folder = l->sel_folder;
				l->own[i].uid = ev->msg->uid;
				l->own[i].modseq = ev->msg->modseq;
			}
			/* The MODSEQ our own STORE made (RFC 7162 3.1.3): keep
			 * it, or our next UNCHANGEDSINCE would fail on it. */
			if (ev->msg->modseq > m.modseq)
				store_msg_set_flags(l->st, l->sel_folder,
				    ev->msg->uid, m.flags, m.keywords,
				    ev->msg->modseq);
			break;
		}
		f = live_pending_flags(l->st, l->sel_folder, ev->msg->uid,
		    sync_flags_from_imap(ev->msg->flags));
		if (f == m.flags && strcmp(m.keywords, ev->msg->keywords) == 0)
			break;
		store_msg_set_flags(l->st, l->sel_folder, ev->msg->uid, f,
		    ev->msg->keywords, ev->msg->modseq);
		if (l->p.changed != NULL && l->sel_folder == l->open_folder)
			l->p.changed(0, l->p.arg);
		break;
	case IMAP_EV_VANISHED:
		/* (EARLIER): the SELECT's report of what went while away. */
		for (i = 0; i < ev->uids->n; i++)
			store_msg_delete_range(l->st, l->sel_folder,
			    ev->uids->r[i].lo, ev->uids->r[i].hi);
		if (l->p.changed != NULL && l->sel_folder == l->open_folder)
			l->p.changed(0, l->p.arg);
		break;
	case IMAP_EV_EXISTS:
	case IMAP_EV_EXPUNGE:
		if (!l->selecting && l->p.changed != NULL &&
		    l->sel_folder == l->open_folder)
			l->p.changed(1, l->p.arg);
		break;
	case IMAP_EV_ALERT:
		if (l->p.notice != NULL)
			l->p.notice(1, ev->text, l->p.arg);
		break;
	case IMAP_EV_STATUS:
		live_status(l, ev->status);
		break;
	case IMAP_EV_CLOSED:
		live_lost(l, ev->text != NULL ? ev->text : "connection closed");
		break;
	}
}
