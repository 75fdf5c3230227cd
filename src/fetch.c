/* errand: a terminal mail user agent. See LICENSE.
 * Message bodies for the pager: a second IMAP session beside the sync,
 * opened on the first request, that EXAMINEs the folder (read-only: no
 * flag changes) and fetches BODY.PEEK[] into the cache. Requests queue on
 * the session in order; only the latest one's callback runs. */

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "fetch.h"
#include "secret.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"
#include "net/imap.h"

struct fetch_req {
	struct fetch *f;
	unsigned int gen; /* the request number: stale ones call nobody */
	int64_t folder;
	uint32_t uid;
	size_t max; /* bytes to keep, 0: all */
	fetch_cb cb;
	void *arg;
	struct fetch_req *next;
};

struct fetch {
	struct cmd_ctx *ctx;
	const struct account *a;
	struct store *st;
	char *password;
	struct imap *im;
	int dead;       /* the session failed: a new one on the next request */
	char *selected; /* the folder examined (raw name), or NULL */
	unsigned int gen;
	struct fetch_req *reqs; /* in flight */
};

static void fetch_connect(struct fetch *);
static void fetch_finish(struct fetch_req *, enum fetch_result, const char *);
static void fetch_on_connect(
    struct imap *, enum imap_err, const char *, void *);
static void fetch_on_select(struct imap *, enum imap_err, const char *,
    const struct imap_selected *, void *);
static void fetch_on_body(struct imap *, enum imap_err, const char *,
    const struct imap_body *, void *);
static enum fetch_result fetch_class(struct fetch *, enum imap_err);

struct fetch *
fetch_new(struct cmd_ctx *ctx, const struct account *a, struct store *st,
    const char *password)
{
	struct fetch *f = xcalloc(1, sizeof *f);

	f->ctx = ctx;
	f->a = a;
	f->st = st;
	f->password = xstrdup(password != NULL ? password : "");
	return f;
}

void
fetch_free(struct fetch *f)
{
	struct fetch_req *r;

	if (f == NULL)
		return;
	imap_free(f->im);
	while ((r = f->reqs) != NULL) {
		f->reqs = r->next;
		free(r);
	}
	free(f->selected);
	secret_free(f->password);
	free(f);
}

/* A failure's class: offline when the server cannot be reached. */
static enum fetch_result
fetch_class(struct fetch *f, enum imap_err e)
{
	/* An operation queued behind a failed connect ends CLOSED. */
	if (e != IMAP_ERR_CONN && e != IMAP_ERR_CLOSED)
		return FETCH_FAILED;
	return conn_fail_is_offline(imap_conn_fail(f->im)) ? FETCH_OFFLINE
	                                                   : FETCH_FAILED;
}

static void
fetch_connect(struct fetch *f)
{
	struct imap_params ip;

	cmd_imap_params(f->ctx, f->a, f->password, &ip);
	f->im = imap_new(f->ctx->base, f->ctx->dns, &ip);
	f->dead = 0;
	free(f->selected);
	f->selected = NULL;
	imap_connect(f->im, fetch_on_connect, f);
}

static void
fetch_on_connect(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct fetch *f = arg;

	(void)im;
	(void)msg;
	if (e != IMAP_ERR_NONE)
		f->dead = 1; /* the queued operations fail on their own */
}

/* Call the request's callback if it is the latest, and forget it. */
static void
fetch_finish(struct fetch_req *r, enum fetch_result res, const char *err)
{
	struct fetch *f = r->f;
	struct fetch_req **p;

	for (p = &f->reqs; *p != NULL; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			break;
		}
	}
	if (r->gen == f->gen && r->cb != NULL)
		r->cb(res, err != NULL ? err : "", r->arg);
	free(r);
}

static void
fetch_on_select(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_selected *sel, void *arg)
{
	struct fetch *f = arg;

	(void)im;
	(void)msg;
	(void)sel;
	if (e != IMAP_ERR_NONE) {
		free(f->selected);
		f->selected = NULL;
		if (e != IMAP_ERR_NO)
			f->dead = 1;
	}
}

static void
fetch_on_body(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_body *b, void *arg)
{
	struct fetch_req *r = arg;
	struct fetch *f = r->f;

	(void)im;
	if (e != IMAP_ERR_NONE) {
		if (e != IMAP_ERR_NO)
			f->dead = 1;
		fetch_finish(r, fetch_class(f, e),
		    msg != NULL ? msg : "cannot fetch the message");
		return;
	}
	/* body-cache-max holds whatever the server sent. */
	if (store_body_put(f->st, r->folder, r->uid, b->data,
	        r->max > 0 && b->len > r->max ? r->max : b->len) != 0) {
		fetch_finish(r, FETCH_FAILED, store_error(f->st));
		return;
	}
	fetch_finish(r, FETCH_OK, "");
}

void
fetch_body(struct fetch *f, int64_t folder, const char *raw, uint32_t uid,
    size_t max, fetch_cb cb, void *arg)
{
	struct imap_select_params sp;
	struct fetch_req *r;

	if (f->im != NULL &&
	    (f->dead || imap_state(f->im) == IMAP_STATE_CLOSED)) {
		/* Requests it still held are dropped with it. */
		imap_free(f->im);
		f->im = NULL;
		while ((r = f->reqs) != NULL) {
			f->reqs = r->next;
			free(r);
		}
	}
	if (f->im == NULL)
		fetch_connect(f);
	if (f->selected == NULL || strcmp(f->selected, raw) != 0) {
		memset(&sp, 0, sizeof sp);
		sp.mailbox = raw;
		sp.readonly = 1;
		free(f->selected);
		f->selected = xstrdup(raw);
		imap_select(f->im, &sp, fetch_on_select, f);
	}
	r = xcalloc(1, sizeof *r);
	r->f = f;
	r->gen = ++f->gen;
	r->folder = folder;
	r->uid = uid;
	r->max = max;
	r->cb = cb;
	r->arg = arg;
	r->next = f->reqs;
	f->reqs = r;
	imap_fetch_body(f->im, uid, max, fetch_on_body, r);
}
