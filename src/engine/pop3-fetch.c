/* errand: a terminal mail user agent. See LICENSE.
 * The POP3 fetch driver on the event loop: connect, list the unique ids
 * and sizes (UIDL and LIST; a digest of the header from TOP n 0 where there
 * is no UIDL or it is not unique), RETR what the state (pop3-seen.c) has
 * not recorded, several in flight with PIPELINING, each streamed into tmp/
 * and committed in batches (files synced, new/ synced, one commit); DELE
 * only what is committed (pop3-keep); QUIT. RFC 1939, RFC 2449. */

#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "config.h"
#include "engine/maildir.h"
#include "engine/pop3-fetch.h"
#include "engine/pop3-seen.h"
#include "engine/session.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"
#include "net/conn.h"
#include "net/pop3.h"

#define PF_WINDOW 16      /* RETR in flight with PIPELINING */
#define PF_TMP_AGE 129600 /* seconds (36 h) before tmp/ files are stale */
#define PF_BATCH 64       /* messages committed together at most */
#define PF_BATCH_AGE 1    /* seconds a whole message may wait for it */
#define PF_SHORT_SLACK 64 /* octets a RETR may fall short beyond a line's */

enum pf_state {
	PF_CONNECT,
	PF_LIST, /* UIDL and LIST, then TOP n 0 where a digest is needed */
	PF_FETCH,
	PF_QUIT,
	PF_DONE,
};

/* One message the server lists. */
struct pf_msg {
	uint32_t n;         /* message number in this session */
	uint64_t size;      /* LIST: octets */
	char *uidl;         /* UIDL, NULL without */
	char *id;           /* the UIDL, or a digest id */
	int digest;         /* known by a digest of its header (TOP n 0) */
	int dup;            /* its UIDL or id is not unique: never deleted */
	int seen;           /* recorded in the state */
	int64_t fetched_at; /* when recorded */
};

/* A RETR or TOP under way; freed in its done callback or by the free. */
struct pf_op {
	TAILQ_ENTRY(pf_op) entry;
	struct pop3_fetch *f;
	size_t idx;
	struct maildir_delivery *d; /* RETR: the file being written */
	uint64_t bytes, lines;      /* RETR: what arrived */
	EVP_MD_CTX *md;             /* TOP: the digest of the header */
};

/* A record of the state, for the lookups after the listing. */
struct pf_seen {
	char *id;
	int64_t fetched_at;
	int listed;
};

struct pf_seen_list {
	struct pf_seen *v;
	size_t n;
};

/* A whole message waiting in tmp/ for the batch's commit. */
struct pf_ready {
	struct maildir_delivery *d;
	size_t idx;
};

struct pop3_fetch {
	struct session *s;       /* the account's session */
	struct event_base *base; /* its loop */
	const struct account *account;
	struct store *st;
	struct maildir *md;
	struct pop3_seen *ps;
	struct pop3_fetch_params params;
	struct pop3 *pop3;
	struct event *finish_ev;
	int over;         /* on_finish ran */
	int auth_refused; /* the server refused the credentials */
	enum pf_state state;
	TAILQ_HEAD(, pf_op) ops;

	struct pf_msg *msgs;
	size_t nmsgs;
	struct pop3_msginfo *uidls; /* UIDL's answer until LIST's came */
	size_t nuidls;
	int listing; /* UIDL and LIST not answered */
	struct pf_seen_list seen;
	size_t next;     /* the next message to consider for RETR */
	size_t inflight; /* RETR sent, not answered */
	size_t tops;     /* TOP not answered */
	size_t window;
	uint32_t want; /* messages to fetch */
	uint32_t dele_sent, dele_ok;
	uint32_t shorts; /* messages that arrived short */
	int stopping;    /* a local error: no new RETR, then QUIT */
	int fallback;    /* no UIDL: every id from a TOP digest */

	struct pf_ready batch[PF_BATCH];
	size_t nbatch;
	time_t batch_t0; /* when the first of the batch was whole */

	struct pop3_fetch_stats stats;
	enum pop3_fetch_result result;
	char *err;
};

static void pf_fail(struct pop3_fetch *, enum pop3_fetch_result, const char *,
    ...) __attribute__((format(printf, 3, 4)));
static void pf_error(struct pop3_fetch *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void pf_notice(struct pop3_fetch *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void pf_session_fail(struct pop3_fetch *, const struct pop3_result *);
static void pf_identify(struct pop3_fetch *);
static void pf_listed(struct pop3_fetch *);
static void pf_pump(struct pop3_fetch *);
static void pf_commit(struct pop3_fetch *, int);
static void pf_dele(struct pop3_fetch *, size_t);
static void pf_quit(struct pop3_fetch *);
static struct pf_op *pf_op_new(struct pop3_fetch *, size_t);
static void pf_op_free(struct pf_op *);
static int pf_seen_cb(const char *, int64_t, void *);
static int pf_cmp_seen(const void *, const void *);
static int pf_cmp_msg(const void *, const void *);
static int pf_cmp_uidl(const void *, const void *);
static int pf_cmp_info(const void *, const void *);
static int pf_seen_prefix(struct pop3_fetch *, const char *);
static int pf_migrate(struct pop3_fetch *);
static int pf_migrate_cb(const char *, int64_t, const char *, void *);
static int pf_cmp_entry_name(const void *, const void *);
static int pf_scan(struct pop3_fetch *);
static void pf_unique_ids(struct pop3_fetch *);

static void on_connect(struct pop3 *, const struct pop3_result *, void *);
static void on_uidl(struct pop3 *, const struct pop3_result *, void *);
static void on_list(struct pop3 *, const struct pop3_result *, void *);
static void on_top_data(struct pop3 *, const char *, size_t, void *);
static void on_top_done(struct pop3 *, const struct pop3_result *, void *);
static void on_retr_data(struct pop3 *, const char *, size_t, void *);
static void on_retr_done(struct pop3 *, const struct pop3_result *, void *);
static void on_dele(struct pop3 *, const struct pop3_result *, void *);
static void on_quit(struct pop3 *, const struct pop3_result *, void *);
static void on_finish(evutil_socket_t, short, void *);

/* The end: record the first error and finish from the loop. Whole
 * messages waiting for their commit are committed (nothing deleted). */
static void
pf_fail(struct pop3_fetch *f, enum pop3_fetch_result r, const char *fmt, ...)
{
	va_list ap;

	if (f->err == NULL) {
		va_start(ap, fmt);
		xvasprintf(&f->err, fmt, ap);
		va_end(ap);
		f->result = r;
	}
	if (f->state != PF_DONE)
		pf_commit(f, 0);
	if (f->ps != NULL)
		pop3_seen_rollback(f->ps);
	f->state = PF_DONE;
	event_active(f->finish_ev, 0, 0);
}

/* An error that does not end the fetch at once: keep the first, let what
 * is safe finish (no new RETR), then QUIT. */
static void
pf_error(struct pop3_fetch *f, const char *fmt, ...)
{
	va_list ap;

	if (f->err == NULL) {
		va_start(ap, fmt);
		xvasprintf(&f->err, fmt, ap);
		va_end(ap);
		f->result = POP3_FETCH_FAILED;
	}
}

/* Something the user should know, through params.notice. */
static void
pf_notice(struct pop3_fetch *f, const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (f->params.notice == NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	f->params.notice(text, f->params.arg);
	free(text);
}

/* The session is over or an operation failed for good. */
static void
pf_session_fail(struct pop3_fetch *f, const struct pop3_result *res)
{
	const char *msg = res->error != NULL ? res->error : "failed";

	if (res->err == POP3_ERR_CONN && f->state == PF_CONNECT &&
	    conn_fail_is_offline(pop3_conn_fail(f->pop3)))
		pf_fail(f, POP3_FETCH_OFFLINE, "%s", msg);
	else
		pf_fail(f, POP3_FETCH_FAILED, "%s", msg);
}

static struct pf_op *
pf_op_new(struct pop3_fetch *f, size_t idx)
{
	struct pf_op *op = xcalloc(1, sizeof *op);

	op->f = f;
	op->idx = idx;
	TAILQ_INSERT_TAIL(&f->ops, op, entry);
	return op;
}

static void
pf_op_free(struct pf_op *op)
{
	TAILQ_REMOVE(&op->f->ops, op, entry);
	maildir_deliver_abort(op->d);
	if (op->md != NULL)
		EVP_MD_CTX_free(op->md);
	free(op);
}

/* Logged in: UIDL (unless the server has none) and LIST, back to back
 * with PIPELINING; LIST's sizes check every RETR. */
static void
on_connect(struct pop3 *p, const struct pop3_result *res, void *arg)
{
	struct pop3_fetch *f = arg;

	if (f->state == PF_DONE)
		return;
	if (res->err != POP3_ERR_NONE) {
		f->auth_refused = res->err == POP3_ERR_AUTH;
		pf_session_fail(f, res);
		return;
	}
	f->window = (pop3_caps(p) & POP3_CAP_PIPELINING) ? PF_WINDOW : 1;
	f->state = PF_LIST;
	if ((f->account->pop3_disable & CONFIG_POP3_UIDL) ||
	    (pop3_caps_known(p) && !(pop3_caps(p) & POP3_CAP_UIDL)))
		f->fallback = 1;
	else {
		f->listing++;
		pop3_uidl(p, 0, on_uidl, f);
	}
	f->listing++;
	pop3_list(p, 0, on_list, f);
}

static void
on_uidl(struct pop3 *p, const struct pop3_result *res, void *arg)
{
	struct pop3_fetch *f = arg;
	size_t i;

	(void)p;
	if (f->state == PF_DONE)
		return;
	f->listing--;
	if (res->err == POP3_ERR_ERR) {
		/* No CAPA, and UIDL refused: identify by the headers. */
		f->fallback = 1;
	} else if (res->err != POP3_ERR_NONE) {
		pf_session_fail(f, res);
		return;
	} else {
		f->uidls = res->nmsgs > 0
		    ? xreallocarray(NULL, res->nmsgs, sizeof *f->uidls)
		    : NULL;
		for (i = 0; i < res->nmsgs; i++) {
			f->uidls[i].n = res->msgs[i].n;
			f->uidls[i].size = 0;
			f->uidls[i].uidl = xstrdup(res->msgs[i].uidl);
		}
		f->nuidls = res->nmsgs;
	}
	if (f->listing == 0)
		pf_identify(f);
}

static void
on_list(struct pop3 *p, const struct pop3_result *res, void *arg)
{
	struct pop3_fetch *f = arg;
	size_t i;

	(void)p;
	if (f->state == PF_DONE)
		return;
	f->listing--;
	if (res->err != POP3_ERR_NONE) {
		pf_session_fail(f, res);
		return;
	}
	f->msgs = res->nmsgs > 0
	    ? xreallocarray(NULL, res->nmsgs, sizeof *f->msgs)
	    : NULL;
	for (i = 0; i < res->nmsgs; i++) {
		memset(&f->msgs[i], 0, sizeof f->msgs[i]);
		f->msgs[i].n = res->msgs[i].n;
		f->msgs[i].size = res->msgs[i].size;
	}
	f->nmsgs = res->nmsgs;
	if (f->listing == 0)
		pf_identify(f);
}

static int
pf_cmp_info(const void *a, const void *b)
{
	const struct pop3_msginfo *x = a, *y = b;

	return (x->n > y->n) - (x->n < y->n);
}

static int
pf_cmp_uidl(const void *a, const void *b)
{
	const struct pf_msg *x = *(struct pf_msg *const *)a;
	const struct pf_msg *y = *(struct pf_msg *const *)b;

	return strcmp(x->uidl, y->uidl);
}

static int
pf_seen_cb(const char *id, int64_t at, void *arg)
{
	struct pf_seen_list *l = arg;

	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n].id = xstrdup(id);
	l->v[l->n].fetched_at = at;
	l->v[l->n].listed = 0;
	l->n++;
	return 0;
}

static int
pf_cmp_seen(const void *a, const void *b)
{
	return strcmp(
	    ((const struct pf_seen *)a)->id, ((const struct pf_seen *)b)->id);
}

/* 1 when a record's id begins with prefix. */
static int
pf_seen_prefix(struct pop3_fetch *f, const char *prefix)
{
	size_t lo = 0, hi = f->seen.n, mid, len = strlen(prefix);

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(f->seen.v[mid].id, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->seen.n && strncmp(f->seen.v[lo].id, prefix, len) == 0;
}

/* Both listings are in: give each message its id. A UIDL listed twice is
 * no identity (positions change when another client deletes): those
 * messages, and those once recorded so, are known by "UIDL sha256:DIGEST-
 * SIZE" (a UIDL has no space), a digest of their header and size, and are
 * never deleted while the UIDL is not unique. */
static void
pf_identify(struct pop3_fetch *f)
{
	struct pop3_msginfo key, *u;
	struct pf_msg **v = NULL, *m;
	struct pf_op *op;
	size_t i, j, nv = 0, ndup = 0;
	char *prefix;
	int rc;

	rc = pop3_seen_foreach(f->ps, pf_seen_cb, &f->seen);
	if (rc != 0) {
		pf_fail(f, POP3_FETCH_FAILED, "%s", pop3_seen_error(f->ps));
		return;
	}
	/* The state's order is SQLite's BINARY, the same as strcmp(). */
	if (f->seen.n > 0)
		qsort(f->seen.v, f->seen.n, sizeof *f->seen.v, pf_cmp_seen);
	if (f->fallback)
		pf_notice(f,
		    "%s does not support UIDL; messages are known by a digest "
		    "of their header and size",
		    f->account->url.host);
	if (f->nuidls > 0)
		qsort(f->uidls, f->nuidls, sizeof *f->uidls, pf_cmp_info);
	if (f->nmsgs > 0)
		v = xreallocarray(NULL, f->nmsgs, sizeof *v);
	for (i = 0; i < f->nmsgs; i++) {
		m = &f->msgs[i];
		key.n = m->n;
		u = f->fallback || f->nuidls == 0
		    ? NULL
		    : bsearch(&key, f->uidls, f->nuidls, sizeof *f->uidls,
		          pf_cmp_info);
		if (u == NULL) {
			m->digest = 1;
			continue;
		}
		m->uidl = xstrdup(u->uidl);
		v[nv++] = m;
	}
	if (nv > 1)
		qsort(v, nv, sizeof *v, pf_cmp_uidl);
	for (i = 0; i < nv; i = j) {
		for (j = i + 1; j < nv && strcmp(v[j]->uidl, v[i]->uidl) == 0;
		     j++)
			;
		if (j - i > 1) {
			for (; i < j; i++) {
				v[i]->digest = v[i]->dup = 1;
				ndup++;
			}
			continue;
		}
		xasprintf(&prefix, "%s ", v[i]->uidl);
		if (pf_seen_prefix(f, prefix))
			v[i]->digest = 1;
		else
			v[i]->id = xstrdup(v[i]->uidl);
		free(prefix);
	}
	free(v);
	if (ndup > 0)
		pf_notice(f,
		    "%zu messages on %s share their UIDL with another; they "
		    "are known by a digest of their header and size, and are "
		    "not deleted from the server",
		    ndup, f->account->url.host);
	for (i = 0; i < f->nmsgs; i++) {
		if (!f->msgs[i].digest)
			continue;
		op = pf_op_new(f, i);
		if ((op->md = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(op->md, EVP_sha256(), NULL) != 1)
			fatalx("%s: cannot make a SHA-256 context", __func__);
		f->tops++;
		pop3_top(
		    f->pop3, f->msgs[i].n, 0, on_top_data, on_top_done, op);
	}
	if (f->tops == 0)
		pf_listed(f);
}

static void
on_top_data(struct pop3 *p, const char *data, size_t len, void *arg)
{
	struct pf_op *op = arg;

	(void)p;
	EVP_DigestUpdate(op->md, data, len);
}

static void
on_top_done(struct pop3 *p, const struct pop3_result *res, void *arg)
{
	struct pf_op *op = arg;
	struct pop3_fetch *f = op->f;
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;
	char hex[33];
	struct pf_msg *m;

	(void)p;
	f->tops--;
	if (f->state == PF_DONE) {
		pf_op_free(op);
		return;
	}
	if (res->err != POP3_ERR_NONE) {
		pf_op_free(op);
		pf_session_fail(f, res);
		return;
	}
	m = &f->msgs[op->idx];
	EVP_DigestFinal_ex(op->md, dg, &dlen);
	for (i = 0; i < 16 && i < dlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", dg[i]);
	hex[2 * i] = '\0';
	if (m->uidl != NULL)
		xasprintf(&m->id, "%s sha256:%s-%llu", m->uidl, hex,
		    (unsigned long long)m->size);
	else
		xasprintf(
		    &m->id, "sha256:%s-%llu", hex, (unsigned long long)m->size);
	pf_op_free(op);
	if (f->tops == 0)
		pf_listed(f);
}

static int
pf_cmp_msg(const void *a, const void *b)
{
	const struct pf_msg *x = *(struct pf_msg *const *)a;
	const struct pf_msg *y = *(struct pf_msg *const *)b;
	int c = strcmp(x->id, y->id);

	return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

/* An id listed twice (two copies of one message) becomes "ID+2", "ID+3" in
 * message order, so each is fetched once; such a suffix names a position,
 * not a message, so none of them is ever deleted. */
static void
pf_unique_ids(struct pop3_fetch *f)
{
	struct pf_msg **v;
	size_t i, j, k;
	char *id;

	if (f->nmsgs < 2)
		return;
	v = xreallocarray(NULL, f->nmsgs, sizeof *v);
	for (i = 0; i < f->nmsgs; i++)
		v[i] = &f->msgs[i];
	qsort(v, f->nmsgs, sizeof *v, pf_cmp_msg);
	for (i = 0; i < f->nmsgs; i = j) {
		for (j = i + 1; j < f->nmsgs && strcmp(v[j]->id, v[i]->id) == 0;
		     j++)
			;
		if (j - i == 1)
			continue;
		v[i]->dup = 1; /* the first of a run keeps its id */
		for (k = i + 1; k < j; k++) {
			xasprintf(&id, "%s+%zu", v[i]->id, k - i + 1);
			free(v[k]->id);
			v[k]->id = id;
			v[k]->dup = 1;
		}
	}
	free(v);
}

/* A row of the state an older errand kept in the cache. */
struct pf_old {
	char *id;
	int64_t at;
	char *name;    /* its unique name in the Maildir, or NULL */
	int under_way; /* "tmp/NAME": safe only if it reached new/ */
};

struct pf_old_list {
	struct pf_old *v;
	size_t n;
};

static int
pf_migrate_cb(const char *id, int64_t at, const char *name, void *arg)
{
	struct pf_old_list *l = arg;
	struct pf_old *o;

	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	o = &l->v[l->n++];
	o->id = xstrdup(id);
	o->at = at;
	o->under_way = strncmp(name, "tmp/", 4) == 0;
	o->name = *name != '\0' ? xstrdup(name + (o->under_way ? 4 : 0)) : NULL;
	return 0;
}

static int
pf_cmp_entry_name(const void *a, const void *b)
{
	return strcmp((*(struct maildir_entry *const *)a)->name,
	    (*(struct maildir_entry *const *)b)->name);
}

/* A new state: bring over what an older errand recorded in the cache, and
 * put the tag of its id in the name of each of its files, so that the
 * Maildir alone can tell them from then on. 0, or -1 after pf_fail(). */
static int
pf_migrate(struct pop3_fetch *f)
{
	struct pf_old_list l = {NULL, 0};
	struct maildir_entry *list = NULL, **byname = NULL, key, *kp, **hit;
	char suffix[POP3_SEEN_TAG_LEN + 4], tag[POP3_SEEN_TAG_LEN + 1];
	char *path;
	size_t n = 0, i, renamed = 0;
	int rc;

	if (store_pop3_seen_foreach(f->st, pf_migrate_cb, &l) != 0) {
		pf_fail(f, POP3_FETCH_FAILED, "%s", store_error(f->st));
		rc = -1;
		goto out;
	}
	if (l.n == 0)
		return 0;
	if (maildir_list(f->md, &list, &n) != 0) {
		pf_fail(f, POP3_FETCH_FAILED, "%s", maildir_error(f->md));
		rc = -1;
		goto out;
	}
	if (n > 0) {
		byname = xreallocarray(NULL, n, sizeof *byname);
		for (i = 0; i < n; i++)
			byname[i] = &list[i];
		qsort(byname, n, sizeof *byname, pf_cmp_entry_name);
	}
	rc = pop3_seen_begin(f->ps);
	for (i = 0; rc == 0 && i < l.n; i++) {
		hit = NULL;
		if (l.v[i].name != NULL && n > 0) {
			key.name = l.v[i].name;
			kp = &key;
			hit = bsearch(
			    &kp, byname, n, sizeof *byname, pf_cmp_entry_name);
		}
		if (hit == NULL && l.v[i].under_way)
			continue; /* never got home: to be fetched again */
		rc = pop3_seen_add(f->ps, l.v[i].id, l.v[i].at);
		/* Tagged below; the entry stands for this id now. */
		if (rc == 0 && hit != NULL &&
		    !pop3_seen_name_tag((*hit)->name, tag)) {
			free(l.v[i].name);
			l.v[i].name = xstrdup((*hit)->path);
		} else {
			free(l.v[i].name);
			l.v[i].name = NULL;
		}
	}
	if (rc == 0)
		rc = pop3_seen_commit(f->ps);
	if (rc != 0) {
		pf_fail(f, POP3_FETCH_FAILED, "%s", pop3_seen_error(f->ps));
		goto out;
	}
	/* Best effort: a file not tagged is still recorded. */
	for (i = 0; i < l.n; i++) {
		if (l.v[i].name == NULL)
			continue;
		pop3_seen_suffix(l.v[i].id, suffix);
		if (maildir_add_suffix(f->md, l.v[i].name, suffix, &path) == 0)
			renamed++;
		free(path);
	}
	if (renamed > 0)
		(void)maildir_sync(f->md);
out:
	for (i = 0; i < l.n; i++) {
		free(l.v[i].id);
		free(l.v[i].name);
	}
	free(l.v);
	free(byname);
	maildir_list_free(list, n);
	return rc == 0 ? 0 : -1;
}

/* A message to fetch: its tag, to look for in the Maildir's names. */
struct pf_tag {
	char tag[POP3_SEEN_TAG_LEN + 1];
	size_t idx;
};

static int
pf_cmp_tag(const void *a, const void *b)
{
	return strcmp(
	    ((const struct pf_tag *)a)->tag, ((const struct pf_tag *)b)->tag);
}

/* Messages not recorded may still be home: a run that died between its
 * files and their commit, or a state lost. Each file errand fetched has
 * the tag of its id in its name; those found are recorded (inside the
 * caller's transaction) once new/ and cur/ are synced. The number found,
 * or -1 (after pf_error() for the Maildir; the state's error is set). */
static int
pf_scan(struct pop3_fetch *f)
{
	struct maildir_entry *list;
	struct pf_tag *tags, key, *hit;
	struct pf_msg *m;
	size_t n, i, ntags = 0, *found, nfound = 0;
	char *end;
	long long at;
	int rc = 0;

	tags = xreallocarray(NULL, f->want, sizeof *tags);
	for (i = 0; i < f->nmsgs && ntags < f->want; i++) {
		if (f->msgs[i].seen)
			continue;
		pop3_seen_tag(f->msgs[i].id, tags[ntags].tag);
		tags[ntags++].idx = i;
	}
	qsort(tags, ntags, sizeof *tags, pf_cmp_tag);
	if (maildir_list(f->md, &list, &n) != 0) {
		pf_error(f, "%s", maildir_error(f->md));
		free(tags);
		return -1;
	}
	found = xreallocarray(NULL, ntags, sizeof *found);
	for (i = 0; i < n; i++) {
		if (!pop3_seen_name_tag(list[i].name, key.tag))
			continue;
		hit = bsearch(&key, tags, ntags, sizeof *tags, pf_cmp_tag);
		if (hit == NULL || f->msgs[hit->idx].seen)
			continue;
		m = &f->msgs[hit->idx];
		/* The name begins with the time of the delivery. */
		at = strtoll(list[i].name, &end, 10);
		m->fetched_at = end != list[i].name && *end == '.' && at > 0
		    ? (int64_t)at
		    : (int64_t)time(NULL);
		m->seen = 1;
		found[nfound++] = hit->idx;
	}
	maildir_list_free(list, n);
	free(tags);
	/* A file renamed before a crash may not be in its directory for
	 * good yet: make sure before it counts as home. */
	if (nfound > 0 && maildir_sync(f->md) != 0) {
		pf_error(f, "%s", maildir_error(f->md));
		rc = -1;
	}
	for (i = 0; rc == 0 && i < nfound; i++) {
		m = &f->msgs[found[i]];
		if (pop3_seen_add(f->ps, m->id, m->fetched_at) != 0)
			rc = -1;
	}
	free(found);
	if (rc != 0)
		return -1;
	f->want -= (uint32_t)nfound;
	return (int)nfound;
}

/* The ids are known: match them with the records (and the Maildir),
 * forget what the server no longer has, delete what pop3-keep says, then
 * fetch. */
static void
pf_listed(struct pop3_fetch *f)
{
	struct pf_seen *seen = f->seen.v, key, *hit;
	size_t nseen = f->seen.n, i;
	int64_t cutoff = 0;
	int rc = 0;

	pf_unique_ids(f);
	for (i = 0; i < f->nmsgs; i++) {
		key.id = f->msgs[i].id;
		hit = nseen > 0
		    ? bsearch(&key, seen, nseen, sizeof *seen, pf_cmp_seen)
		    : NULL;
		if (hit != NULL) {
			hit->listed = 1;
			f->msgs[i].seen = 1;
			f->msgs[i].fetched_at = hit->fetched_at;
		} else
			f->want++;
	}
	if (pop3_seen_begin(f->ps) != 0)
		rc = -1;
	if (rc == 0 && f->want > 0 && pf_scan(f) < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < nseen; i++) {
		if (seen[i].listed)
			continue;
		if (pop3_seen_remove(f->ps, seen[i].id) != 0)
			rc = -1;
		else
			f->stats.forgotten++;
	}
	if (rc != 0 || pop3_seen_commit(f->ps) != 0) {
		f->stats.forgotten = 0;
		pf_fail(f, POP3_FETCH_FAILED, "%s", pop3_seen_error(f->ps));
		return;
	}
	/* Messages recorded before are safe at home. */
	if (f->account->pop3_keep > 0)
		cutoff = (int64_t)time(NULL) -
		    (int64_t)f->account->pop3_keep * 86400;
	for (i = 0; i < f->nmsgs; i++) {
		if (!f->msgs[i].seen || f->msgs[i].dup)
			continue;
		if (f->account->pop3_keep == CONFIG_POP3_KEEP_NEVER ||
		    (f->account->pop3_keep > 0 &&
		        f->msgs[i].fetched_at < cutoff))
			pf_dele(f, i);
	}
	f->state = PF_FETCH;
	pf_pump(f);
}

/* Keep up to the window of RETR in flight; when all are answered, commit
 * what is whole and QUIT. */
static void
pf_pump(struct pop3_fetch *f)
{
	struct pf_op *op;

	if (f->state != PF_FETCH)
		return;
	while (!f->stopping && f->inflight < f->window && f->next < f->nmsgs) {
		if (f->msgs[f->next].seen) {
			f->next++;
			continue;
		}
		op = pf_op_new(f, f->next++);
		f->inflight++;
		pop3_retr(f->pop3, f->msgs[op->idx].n, on_retr_data,
		    on_retr_done, op);
	}
	if (f->inflight == 0 && (f->stopping || f->next == f->nmsgs)) {
		pf_commit(f, 1);
		pf_quit(f);
	}
}

/* Make the batch safe: the files synced and in new/, new/ synced once,
 * one commit of the state; then, and only then, DELE them (when dele and
 * pop3-keep say so). A failure stops the fetch; files already in new/ are
 * found by their tag next time. */
static void
pf_commit(struct pop3_fetch *f, int dele)
{
	struct maildir_delivery *v[PF_BATCH];
	char *names[PF_BATCH];
	struct pf_msg *m;
	size_t i, ok, n = f->nbatch;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (n == 0)
		return;
	f->nbatch = 0;
	for (i = 0; i < n; i++)
		v[i] = f->batch[i].d;
	if (maildir_deliver_commit_many(v, n, names, &ok) != 0) {
		pf_error(f, "%s", maildir_error(f->md));
		f->stopping = 1;
	}
	if (ok == 0)
		goto out;
	rc = pop3_seen_begin(f->ps);
	for (i = 0; rc == 0 && i < ok; i++)
		rc = pop3_seen_add(f->ps, f->msgs[f->batch[i].idx].id, now);
	if (rc == 0)
		rc = pop3_seen_commit(f->ps);
	if (rc != 0) {
		pop3_seen_rollback(f->ps);
		pf_error(f, "%s", pop3_seen_error(f->ps));
		f->stopping = 1;
		goto out;
	}
	for (i = 0; i < ok; i++) {
		m = &f->msgs[f->batch[i].idx];
		m->seen = 1;
		m->fetched_at = now;
		f->stats.added++;
		if (dele && !m->dup &&
		    f->account->pop3_keep == CONFIG_POP3_KEEP_NEVER)
			pf_dele(f, f->batch[i].idx);
	}
	if (f->params.progress != NULL)
		f->params.progress(
		    f->stats.name, f->stats.added, f->want, f->params.arg);
out:
	for (i = 0; i < n; i++)
		free(names[i]);
}

static void
on_retr_data(struct pop3 *p, const char *data, size_t len, void *arg)
{
	struct pf_op *op = arg;
	struct pop3_fetch *f = op->f;
	char suffix[POP3_SEEN_TAG_LEN + 4];
	const char *s = data, *e = data + len;

	(void)p;
	if (f->state != PF_FETCH || f->stopping)
		return;
	op->bytes += len;
	while ((s = memchr(s, '\n', (size_t)(e - s))) != NULL) {
		op->lines++;
		s++;
	}
	if (op->d == NULL) {
		pop3_seen_suffix(f->msgs[op->idx].id, suffix);
		if ((op->d = maildir_deliver_begin_suffix(f->md, 1, suffix)) ==
		    NULL) {
			pf_error(f, "%s", maildir_error(f->md));
			f->stopping = 1;
			return;
		}
	}
	if (maildir_deliver_write(op->d, data, len) != 0) {
		pf_error(f, "%s", maildir_error(f->md));
		f->stopping = 1;
	}
}

/* 1 when far fewer octets arrived than LIST (or RETR's "+OK n octets")
 * announced: a message cut short by the server is not a message to keep
 * in place of the original. Servers count line ends (CRLF or LF) and
 * stuffed dots differently, so a line's worth each is allowed. */
static int
pf_short(const struct pf_op *op, uint64_t announced)
{
	return announced > op->bytes &&
	    announced - op->bytes > op->lines + PF_SHORT_SLACK;
}

static void
on_retr_done(struct pop3 *p, const struct pop3_result *res, void *arg)
{
	struct pf_op *op = arg;
	struct pop3_fetch *f = op->f;
	struct pf_msg *m = &f->msgs[op->idx];
	char suffix[POP3_SEEN_TAG_LEN + 4];
	uint64_t announced;

	(void)p;
	f->inflight--;
	if (f->state != PF_FETCH) {
		pf_op_free(op);
		return;
	}
	if (res->err == POP3_ERR_ERR) {
		/* This message only (say, deleted by another client). */
		pf_error(f, "%s", res->error);
		pf_op_free(op);
		pf_pump(f);
		return;
	}
	if (res->err != POP3_ERR_NONE) {
		pf_op_free(op);
		pf_session_fail(f, res);
		return;
	}
	if (f->stopping) {
		pf_op_free(op);
		pf_pump(f);
		return;
	}
	announced = res->size > m->size ? res->size : m->size;
	if (pf_short(op, announced)) {
		f->shorts++;
		if (m->uidl != NULL)
			pf_notice(f,
			    "message %u (UIDL '%s') arrived short: %llu of "
			    "%llu "
			    "octets; it is kept on the server and not stored",
			    m->n, m->uidl, (unsigned long long)op->bytes,
			    (unsigned long long)announced);
		else
			pf_notice(f,
			    "message %u arrived short: %llu of %llu octets; it "
			    "is kept on the server and not stored",
			    m->n, (unsigned long long)op->bytes,
			    (unsigned long long)announced);
		pf_op_free(op);
		pf_pump(f);
		return;
	}
	if (op->d == NULL) {
		pop3_seen_suffix(m->id, suffix);
		if ((op->d = maildir_deliver_begin_suffix(f->md, 1, suffix)) ==
		    NULL) {
			pf_error(f, "%s", maildir_error(f->md));
			f->stopping = 1;
			pf_op_free(op);
			pf_pump(f);
			return;
		}
	}
	if (f->nbatch == 0)
		f->batch_t0 = time(NULL);
	f->batch[f->nbatch].d = op->d;
	f->batch[f->nbatch].idx = op->idx;
	f->nbatch++;
	op->d = NULL;
	pf_op_free(op);
	if (f->nbatch == PF_BATCH || time(NULL) - f->batch_t0 >= PF_BATCH_AGE)
		pf_commit(f, 1);
	pf_pump(f);
}

/* DELE a message that is recorded and unique; QUIT makes it real. */
static void
pf_dele(struct pop3_fetch *f, size_t idx)
{
	if (!f->msgs[idx].seen || f->msgs[idx].dup)
		fatalx("%s: message %u is not recorded or not unique", __func__,
		    f->msgs[idx].n);
	f->dele_sent++;
	pop3_dele(f->pop3, f->msgs[idx].n, on_dele, f);
}

static void
on_dele(struct pop3 *p, const struct pop3_result *res, void *arg)
{
	struct pop3_fetch *f = arg;

	(void)p;
	if (f->state == PF_DONE)
		return;
	if (res->err == POP3_ERR_NONE)
		f->dele_ok++;
	else if (res->err == POP3_ERR_ERR)
		pf_error(f, "%s", res->error);
	else
		pf_session_fail(f, res);
}

static void
pf_quit(struct pop3_fetch *f)
{
	if (f->state != PF_FETCH)
		return;
	f->state = PF_QUIT;
	pop3_quit(f->pop3, on_quit, f);
}

static void
on_quit(struct pop3 *p, const struct pop3_result *res, void *arg)
{
	struct pop3_fetch *f = arg;

	(void)p;
	if (f->state == PF_DONE)
		return;
	if (res->err != POP3_ERR_NONE) {
		/* Deletions are not known to be made: none counted. */
		pf_fail(f, POP3_FETCH_FAILED, "%s", res->error);
		return;
	}
	f->stats.deleted = f->dele_ok;
	if (f->err == NULL && f->params.done != NULL)
		f->params.done(&f->stats, f->params.arg);
	if (f->shorts > 0)
		pf_error(f,
		    "%u message%s arrived short and %s kept on the server",
		    f->shorts, f->shorts == 1 ? "" : "s",
		    f->shorts == 1 ? "was" : "were");
	f->state = PF_DONE;
	event_active(f->finish_ev, 0, 0);
}

static void
on_finish(evutil_socket_t fd, short what, void *arg)
{
	struct pop3_fetch *f = arg;

	(void)fd;
	(void)what;
	f->over = 1;
	if (f->params.finished != NULL)
		f->params.finished(f->err != NULL ? f->result : POP3_FETCH_OK,
		    f->err != NULL ? f->err : "", f->params.arg);
	else
		event_base_loopbreak(f->base);
}

struct pop3_fetch *
pop3_fetch_start(struct session *s, struct maildir *md,
    const struct pop3_fetch_params *params)
{
	struct pop3_params pp;
	struct pop3_fetch *f;
	size_t removed;
	char *note, *err;
	int created;

	f = xcalloc(1, sizeof *f);
	f->s = s;
	f->base = session_base(s);
	f->account = session_account(s);
	f->st = session_store(s);
	f->md = md;
	f->params = *params;
	f->stats.name = "INBOX";
	f->stats.method = "pop3";
	f->result = POP3_FETCH_OK;
	TAILQ_INIT(&f->ops);
	f->finish_ev = event_new(f->base, -1, 0, on_finish, f);
	/* What a run that died left in tmp/ a day and a half ago is not
	 * going to be finished. */
	maildir_clean_tmp(md, PF_TMP_AGE, &removed);
	f->ps = pop3_seen_open(maildir_path(md), &created, &note, &err);
	if (note != NULL) {
		pf_notice(f, "%s", note);
		free(note);
	}
	if (f->ps == NULL) {
		pf_fail(f, POP3_FETCH_FAILED, "%s", err);
		free(err);
		return f;
	}
	/* The state used to live in the cache: brought over once. */
	if (created && pf_migrate(f) != 0)
		return f;
	session_pop3_params(s, &pp);
	pp.early_ready = 1; /* UIDL and LIST go out behind the login */
	f->pop3 = pop3_new(f->base, session_dns(s), &pp);
	f->state = PF_CONNECT;
	pop3_connect(f->pop3, on_connect, f);
	return f;
}

void
pop3_fetch_free(struct pop3_fetch *f)
{
	struct pf_op *op;
	size_t i;

	if (f == NULL)
		return;
	pop3_free(f->pop3); /* no QUIT: nothing is deleted */
	while ((op = TAILQ_FIRST(&f->ops)) != NULL)
		pf_op_free(op);
	for (i = 0; i < f->nbatch; i++)
		maildir_deliver_abort(f->batch[i].d);
	event_free(f->finish_ev);
	pop3_seen_close(f->ps);
	for (i = 0; i < f->nmsgs; i++) {
		free(f->msgs[i].id);
		free(f->msgs[i].uidl);
	}
	free(f->msgs);
	for (i = 0; i < f->nuidls; i++)
		free((char *)f->uidls[i].uidl);
	free(f->uidls);
	for (i = 0; i < f->seen.n; i++)
		free(f->seen.v[i].id);
	free(f->seen.v);
	free(f->err);
	free(f);
}

enum pop3_fetch_result
pop3_fetch_run(
    struct session *s, const struct pop3_fetch_params *params, char **err)
{
	struct event_base *base = session_base(s);
	const struct account *a = session_account(s);
	struct pop3_fetch_params p = *params;
	enum pop3_fetch_result r;
	struct pop3_fetch *f;
	struct maildir *md;
	char *path;

	*err = NULL;
	if ((path = maildir_default_path(a->name)) == NULL) {
		*err = xstrdup("neither XDG_DATA_HOME nor HOME is set");
		return POP3_FETCH_FAILED;
	}
	md = maildir_open(path, err);
	free(path);
	if (md == NULL)
		return POP3_FETCH_FAILED;
again:
	if (session_creds(s) != 1) {
		maildir_close(md);
		*err = xstrdup(session_cred_kind(s) == SESSION_CRED_TOKEN
		        ? "no token"
		        : "no password");
		return POP3_FETCH_FAILED;
	}
	p.finished = NULL;
	session_deadline_start(s);
	f = pop3_fetch_start(s, md, &p);
	while (!f->over && !session_timed_out(s))
		event_base_dispatch(base);
	if (!f->over && f->state != PF_DONE) {
		/* The command's deadline: whole messages are committed, what
		 * is in the Maildir and recorded stays; without QUIT the
		 * server deletes nothing. */
		pf_commit(f, 0);
		xasprintf(err, "timed out after %d s; %u of %u messages stored",
		    session_deadline_secs(s), f->stats.added,
		    f->want > f->stats.added ? f->want : f->stats.added);
		pop3_fetch_free(f);
		maildir_close(md);
		return POP3_FETCH_FAILED;
	}
	session_deadline_forgive(s); /* it ended as the deadline passed */
	while (!f->over)
		event_base_loop(base, EVLOOP_ONCE);
	r = f->err != NULL ? f->result : POP3_FETCH_OK;
	if (r == POP3_FETCH_FAILED && f->auth_refused &&
	    session_creds_refused(s, f->err)) {
		/* An expired token: the token command runs again, once. */
		pop3_fetch_free(f);
		goto again;
	}
	*err = f->err;
	f->err = NULL;
	pop3_fetch_free(f);
	maildir_close(md);
	return r;
}
