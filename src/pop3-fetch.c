/* errand: a terminal mail user agent. See LICENSE.
 * The POP3 fetch driver on the event loop: connect, list the unique ids
 * (UIDL, or without it a digest of each header from TOP n 0 and the size),
 * RETR what the cache has not recorded, several in flight with PIPELINING,
 * each streamed into the Maildir and recorded only once it is safe there
 * (a row "under way" bridges the rename, so a kill never doubles one);
 * DELE only recorded messages (pop3-keep); QUIT. RFC 1939, RFC 2449. */

#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "cmd.h"
#include "config.h"
#include "maildir.h"
#include "pop3-fetch.h"
#include "secret.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"
#include "net/conn.h"
#include "net/pop3.h"

#define PF_WINDOW 16      /* RETR in flight with PIPELINING */
#define PF_TMP_AGE 129600 /* seconds (36 h) before tmp/ files are stale */

enum pf_state {
	PF_CONNECT,
	PF_LIST, /* UIDL, or LIST and TOP n 0 */
	PF_FETCH,
	PF_QUIT,
	PF_DONE,
};

/* One message the server lists. */
struct pf_msg {
	uint32_t n;         /* message number in this session */
	uint64_t size;      /* LIST: octets (fallback only) */
	char *id;           /* UIDL, or the digest id */
	int seen;           /* recorded in pop3_seen */
	int64_t fetched_at; /* when recorded */
};

/* A RETR or TOP under way; freed in its done callback or by the free. */
struct pf_op {
	TAILQ_ENTRY(pf_op) entry;
	struct pop3_fetch *f;
	size_t idx;
	struct maildir_delivery *d; /* RETR: the file being written */
	EVP_MD_CTX *md;             /* TOP: the digest of the header */
};

/* A record of pop3_seen, for the lookups after the listing. */
struct pf_seen {
	char *id;
	int64_t fetched_at;
	int listed;
	char *name; /* pf_recover(): the Maildir name under way */
};

struct pf_seen_list {
	struct pf_seen *v;
	size_t n;
};

struct pop3_fetch {
	struct cmd_ctx *ctx;
	const struct account *account;
	struct store *st;
	struct maildir *md;
	struct pop3_fetch_params params;
	struct pop3 *pop3;
	struct event *finish_ev;
	int over; /* on_finish ran */
	enum pf_state state;
	TAILQ_HEAD(, pf_op) ops;

	struct pf_msg *msgs;
	size_t nmsgs;
	size_t next;     /* the next message to consider for RETR */
	size_t inflight; /* RETR sent, not answered */
	size_t tops;     /* TOP not answered (fallback) */
	size_t window;
	uint32_t want; /* messages to fetch */
	uint32_t dele_sent, dele_ok;
	int stopping; /* a local error: no new RETR, then QUIT */
	int fallback; /* ids from TOP digests */

	struct pop3_fetch_stats stats;
	enum pop3_fetch_result result;
	char *err;
};

static void pf_fail(struct pop3_fetch *, enum pop3_fetch_result, const char *,
    ...) __attribute__((format(printf, 3, 4)));
static void pf_error(struct pop3_fetch *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void pf_session_fail(struct pop3_fetch *, const struct pop3_result *);
static void pf_listed(struct pop3_fetch *);
static void pf_fallback(struct pop3_fetch *);
static void pf_pump(struct pop3_fetch *);
static void pf_dele(struct pop3_fetch *, size_t);
static void pf_quit(struct pop3_fetch *);
static struct pf_op *pf_op_new(struct pop3_fetch *, size_t);
static void pf_op_free(struct pf_op *);
static int pf_seen_cb(const char *, int64_t, const char *, void *);
static int pf_cmp_seen(const void *, const void *);
static int pf_cmp_msg(const void *, const void *);
static int pf_pending_cb(const char *, int64_t, const char *, void *);
static int pf_recover(struct pop3_fetch *);
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

/* The end: record the first error and finish from the loop. */
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
	if (store_in_transaction(f->st))
		store_rollback(f->st);
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

static void
on_connect(struct pop3 *p, const struct pop3_result *res, void *arg)
{
	struct pop3_fetch *f = arg;

	if (f->state == PF_DONE)
		return;
	if (res->err != POP3_ERR_NONE) {
		pf_session_fail(f, res);
		return;
	}
	f->window = (pop3_caps(p) & POP3_CAP_PIPELINING) ? PF_WINDOW : 1;
	f->state = PF_LIST;
	if ((f->account->pop3_disable & CONFIG_POP3_UIDL) ||
	    (pop3_caps_known(p) && !(pop3_caps(p) & POP3_CAP_UIDL))) {
		pf_fallback(f);
		return;
	}
	pop3_uidl(p, 0, on_uidl, f);
}

static void
on_uidl(struct pop3 *p, const struct pop3_result *res, void *arg)
{
	struct pop3_fetch *f = arg;
	size_t i;

	(void)p;
	if (f->state == PF_DONE)
		return;
	if (res->err == POP3_ERR_ERR) {
		/* No CAPA, and UIDL refused: identify by the headers. */
		pf_fallback(f);
		return;
	}
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
		f->msgs[i].id = xstrdup(res->msgs[i].uidl);
	}
	f->nmsgs = res->nmsgs;
	pf_listed(f);
}

/* No UIDL: LIST for the numbers and sizes, then TOP n 0 of each. */
static void
pf_fallback(struct pop3_fetch *f)
{
	char *text;

	f->fallback = 1;
	if (f->params.notice != NULL) {
		xasprintf(&text,
		    "%s does not support UIDL; messages are known by a digest "
		    "of their header and size",
		    f->account->url.host);
		f->params.notice(text, f->params.arg);
		free(text);
	}
	pop3_list(f->pop3, 0, on_list, f);
}

static void
on_list(struct pop3 *p, const struct pop3_result *res, void *arg)
{
	struct pop3_fetch *f = arg;
	struct pf_op *op;
	size_t i;

	if (f->state == PF_DONE)
		return;
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
	if (f->nmsgs == 0) {
		pf_listed(f);
		return;
	}
	for (i = 0; i < f->nmsgs; i++) {
		op = pf_op_new(f, i);
		if ((op->md = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(op->md, EVP_sha256(), NULL) != 1)
			fatalx("%s: cannot make a SHA-256 context", __func__);
		f->tops++;
		pop3_top(p, f->msgs[i].n, 0, on_top_data, on_top_done, op);
	}
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
	xasprintf(&m->id, "sha256:%s-%llu", hex, (unsigned long long)m->size);
	pf_op_free(op);
	if (f->tops == 0)
		pf_listed(f);
}

static int
pf_seen_cb(const char *id, int64_t at, const char *name, void *arg)
{
	struct pf_seen_list *l = arg;

	(void)name;
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n].id = xstrdup(id);
	l->v[l->n].fetched_at = at;
	l->v[l->n].listed = 0;
	l->v[l->n].name = NULL;
	l->n++;
	return 0;
}

static int
pf_pending_cb(const char *id, int64_t at, const char *name, void *arg)
{
	struct pf_seen_list *l = arg;

	(void)at;
	if (strncmp(name, "tmp/", 4) != 0)
		return 0;
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n].id = xstrdup(id);
	l->v[l->n].name = xstrdup(name + 4);
	l->n++;
	return 0;
}

/* Settle the deliveries a run that died left under way: recorded when the
 * message reached new/ or cur/, forgotten (to be fetched again) when not.
 * 0, or -1 after pf_fail(). */
static int
pf_recover(struct pop3_fetch *f)
{
	struct pf_seen_list l = {NULL, 0};
	size_t i;
	int rc, there;

	rc = store_pop3_seen_foreach(f->st, pf_pending_cb, &l);
	if (rc == 0 && l.n > 0)
		rc = store_begin(f->st);
	for (i = 0; rc == 0 && i < l.n; i++) {
		if ((there = maildir_exists(f->md, l.v[i].name)) < 0) {
			pf_fail(
			    f, POP3_FETCH_FAILED, "%s", maildir_error(f->md));
			rc = -2;
		} else if (there)
			rc = store_pop3_seen_add(f->st, l.v[i].id, l.v[i].name);
		else
			rc = store_pop3_seen_remove(f->st, l.v[i].id);
	}
	if (rc == 0 && l.n > 0)
		rc = store_commit(f->st);
	if (rc == -1)
		pf_fail(f, POP3_FETCH_FAILED, "%s", store_error(f->st));
	for (i = 0; i < l.n; i++) {
		free(l.v[i].id);
		free(l.v[i].name);
	}
	free(l.v);
	return rc == 0 ? 0 : -1;
}

static int
pf_cmp_msg(const void *a, const void *b)
{
	const struct pf_msg *x = *(struct pf_msg *const *)a;
	const struct pf_msg *y = *(struct pf_msg *const *)b;
	int c = strcmp(x->id, y->id);

	return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

/* An id listed twice (two copies of one message without UIDL, or a broken
 * server) becomes "ID+2", "ID+3" in message order, so each is fetched once
 * and the names hold from run to run. */
static void
pf_unique_ids(struct pop3_fetch *f)
{
	struct pf_msg **v;
	const char *base;
	size_t i, k = 1;
	char *id;

	if (f->nmsgs < 2)
		return;
	v = xreallocarray(NULL, f->nmsgs, sizeof *v);
	for (i = 0; i < f->nmsgs; i++)
		v[i] = &f->msgs[i];
	qsort(v, f->nmsgs, sizeof *v, pf_cmp_msg);
	base = v[0]->id; /* the first of a run keeps its id */
	for (i = 1; i < f->nmsgs; i++) {
		if (strcmp(v[i]->id, base) != 0) {
			base = v[i]->id;
			k = 1;
			continue;
		}
		xasprintf(&id, "%s+%zu", base, ++k);
		free(v[i]->id);
		v[i]->id = id;
	}
	free(v);
}

static int
pf_cmp_seen(const void *a, const void *b)
{
	return strcmp(
	    ((const struct pf_seen *)a)->id, ((const struct pf_seen *)b)->id);
}

/* The listing is complete: match it with the records, forget what the
 * server no longer has, delete what pop3-keep says, then fetch. */
static void
pf_listed(struct pop3_fetch *f)
{
	struct pf_seen_list l = {NULL, 0};
	struct pf_seen *seen, key, *hit;
	size_t nseen, i;
	int64_t cutoff = 0;
	int rc;

	if (pf_recover(f) != 0)
		return;
	pf_unique_ids(f);
	rc = store_pop3_seen_foreach(f->st, pf_seen_cb, &l);
	seen = l.v;
	nseen = l.n;
	if (rc != 0) {
		pf_fail(f, POP3_FETCH_FAILED, "%s", store_error(f->st));
		goto out;
	}
	/* The store's order is SQLite's BINARY, the same as strcmp(). */
	if (nseen > 0)
		qsort(seen, nseen, sizeof *seen, pf_cmp_seen);
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
	if (store_begin(f->st) != 0)
		rc = -1;
	for (i = 0; rc == 0 && i < nseen; i++) {
		if (seen[i].listed)
			continue;
		if (store_pop3_seen_remove(f->st, seen[i].id) != 0)
			rc = -1;
		else
			f->stats.forgotten++;
	}
	if (rc != 0 || store_commit(f->st) != 0) {
		f->stats.forgotten = 0;
		pf_fail(f, POP3_FETCH_FAILED, "%s", store_error(f->st));
		goto out;
	}
	/* Messages recorded before are safe at home. */
	if (f->account->pop3_keep > 0)
		cutoff = (int64_t)time(NULL) -
		    (int64_t)f->account->pop3_keep * 86400;
	for (i = 0; i < f->nmsgs; i++) {
		if (!f->msgs[i].seen)
			continue;
		if (f->account->pop3_keep == CONFIG_POP3_KEEP_NEVER ||
		    (f->account->pop3_keep > 0 &&
		        f->msgs[i].fetched_at < cutoff))
			pf_dele(f, i);
	}
	f->state = PF_FETCH;
	pf_pump(f);
out:
	for (i = 0; i < nseen; i++)
		free(seen[i].id);
	free(seen);
}

/* Keep up to the window of RETR in flight; QUIT when all are answered. */
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
	if (f->inflight == 0 && (f->stopping || f->next == f->nmsgs))
		pf_quit(f);
}

static void
on_retr_data(struct pop3 *p, const char *data, size_t len, void *arg)
{
	struct pf_op *op = arg;
	struct pop3_fetch *f = op->f;

	(void)p;
	if (f->state != PF_FETCH || f->stopping)
		return;
	if (op->d == NULL &&
	    (op->d = maildir_deliver_begin(f->md, 1)) == NULL) {
		pf_error(f, "%s", maildir_error(f->md));
		f->stopping = 1;
		return;
	}
	if (maildir_deliver_write(op->d, data, len) != 0) {
		pf_error(f, "%s", maildir_error(f->md));
		f->stopping = 1;
	}
}

static void
on_retr_done(struct pop3 *p, const struct pop3_result *res, void *arg)
{
	struct pf_op *op = arg;
	struct pop3_fetch *f = op->f;
	struct pf_msg *m = &f->msgs[op->idx];
	struct maildir_delivery *d;
	char *name;
	int rc;

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
	if (op->d == NULL &&
	    (op->d = maildir_deliver_begin(f->md, 1)) == NULL) {
		pf_error(f, "%s", maildir_error(f->md));
		f->stopping = 1;
		pf_op_free(op);
		pf_pump(f);
		return;
	}
	d = op->d;
	op->d = NULL;
	/* Killed between the rename and the record, the next run would fetch
	 * the message again: the row says "tmp/NAME" (under way, not safe)
	 * until the file is in new/, and pf_recover() settles such rows. */
	xasprintf(&name, "tmp/%s", maildir_deliver_name(d));
	rc = store_pop3_seen_add(f->st, m->id, name);
	free(name);
	if (rc != 0) {
		maildir_deliver_abort(d);
		pf_error(f, "%s", store_error(f->st));
		f->stopping = 1;
		pf_op_free(op);
		pf_pump(f);
		return;
	}
	if (maildir_deliver_commit(d, &name) != 0) {
		/* The row stays under way: pf_recover() looks next time. */
		pf_error(f, "%s", maildir_error(f->md));
		f->stopping = 1;
		pf_op_free(op);
		pf_pump(f);
		return;
	}
	/* Safe on disk: now, and only now, recorded. */
	rc = store_begin(f->st);
	if (rc == 0)
		rc = store_pop3_seen_add(f->st, m->id, name);
	if (rc == 0)
		rc = store_commit(f->st);
	free(name);
	if (rc != 0) {
		if (store_in_transaction(f->st))
			store_rollback(f->st);
		pf_error(f, "%s", store_error(f->st));
		f->stopping = 1;
		pf_op_free(op);
		pf_pump(f);
		return;
	}
	m->seen = 1;
	f->stats.added++;
	if (f->params.progress != NULL)
		f->params.progress(
		    f->stats.name, f->stats.added, f->want, f->params.arg);
	if (f->account->pop3_keep == CONFIG_POP3_KEEP_NEVER)
		pf_dele(f, op->idx);
	pf_op_free(op);
	pf_pump(f);
}

/* DELE a message that is recorded; QUIT makes it real. */
static void
pf_dele(struct pop3_fetch *f, size_t idx)
{
	if (!f->msgs[idx].seen)
		fatalx(
		    "%s: message %u is not recorded", __func__, f->msgs[idx].n);
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
		event_base_loopbreak(f->ctx->base);
}

struct pop3_fetch *
pop3_fetch_start(struct cmd_ctx *ctx, const struct account *a, struct store *st,
    struct maildir *md, const char *password,
    const struct pop3_fetch_params *params)
{
	struct pop3_params pp;
	struct pop3_fetch *f;
	size_t removed;

	f = xcalloc(1, sizeof *f);
	f->ctx = ctx;
	f->account = a;
	f->st = st;
	f->md = md;
	f->params = *params;
	f->stats.name = "INBOX";
	f->stats.method = "pop3";
	f->result = POP3_FETCH_OK;
	TAILQ_INIT(&f->ops);
	cmd_loop(ctx);
	f->finish_ev = event_new(ctx->base, -1, 0, on_finish, f);
	/* What a run that died left in tmp/ a day and a half ago is not
	 * going to be finished. */
	maildir_clean_tmp(md, PF_TMP_AGE, &removed);
	cmd_pop3_params(ctx, a, password, &pp);
	f->pop3 = pop3_new(ctx->base, ctx->dns, &pp);
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
	if (store_in_transaction(f->st))
		store_rollback(f->st);
	pop3_free(f->pop3); /* no QUIT: nothing is deleted */
	while ((op = TAILQ_FIRST(&f->ops)) != NULL)
		pf_op_free(op);
	event_free(f->finish_ev);
	for (i = 0; i < f->nmsgs; i++)
		free(f->msgs[i].id);
	free(f->msgs);
	free(f->err);
	free(f);
}

enum pop3_fetch_result
pop3_fetch_run(struct cmd_ctx *ctx, const struct account *a, struct store *st,
    const struct pop3_fetch_params *params, char **err)
{
	struct pop3_fetch_params p = *params;
	enum pop3_fetch_result r;
	struct pop3_fetch *f;
	struct maildir *md;
	char *path, *password;

	*err = NULL;
	if ((path = maildir_default_path(a->name)) == NULL) {
		*err = xstrdup("neither XDG_DATA_HOME nor HOME is set");
		return POP3_FETCH_FAILED;
	}
	md = maildir_open(path, err);
	free(path);
	if (md == NULL)
		return POP3_FETCH_FAILED;
	if ((password = cmd_password(a)) == NULL) {
		maildir_close(md);
		*err = xstrdup("no password");
		return POP3_FETCH_FAILED;
	}
	p.finished = NULL;
	cmd_deadline(ctx, a);
	f = pop3_fetch_start(ctx, a, st, md, password, &p);
	secret_free(password);
	while (!f->over && !ctx->timed_out)
		event_base_dispatch(ctx->base);
	if (!f->over && f->state != PF_DONE) {
		/* The command's deadline: what is in the Maildir and recorded
		 * stays; without QUIT the server deletes nothing. */
		xasprintf(err, "timed out after %d s; %u of %u messages stored",
		    ctx->deadline_secs, f->stats.added,
		    f->want > f->stats.added ? f->want : f->stats.added);
		pop3_fetch_free(f);
		maildir_close(md);
		return POP3_FETCH_FAILED;
	}
	ctx->timed_out = 0; /* it ended as the deadline passed */
	while (!f->over)
		event_base_loop(ctx->base, EVLOOP_ONCE);
	r = f->err != NULL ? f->result : POP3_FETCH_OK;
	*err = f->err;
	f->err = NULL;
	pop3_fetch_free(f);
	maildir_close(md);
	return r;
}
