/* errand: a terminal mail user agent. See LICENSE.
 * errand push [ACCOUNT] [--list | --discard ID | --retarget ID]: send the
 * outbox and the journal of changes made offline to the server and say what is held (a
 * change made in a mailbox since deleted and made again, never sent as it
 * is), drop a held change, or point it at its message as it is now. */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cmd/cmd.h"
#include "engine/journal.h"
#include "engine/live.h"
#include "engine/session.h"
#include "content/text.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"
#include "net/imap.h"

static int cmd_push_exec(struct cmd_ctx *, int, char **);

const struct cmd_entry cmd_push_entry = {
    "push",
    "[-a ACCOUNT | ACCOUNT] [--list | --discard ID | --retarget ID]",
    "send changes made offline; list, drop or re-target held ones",
    cmd_push_exec,
};

/* A replay under way. */
struct push_run {
	struct cmd_ctx *ctx;
	int done;    /* nothing left that may go */
	int offline; /* the connection failed */
	char *why;   /* and why */
	int sent;    /* rows that went (or were dropped by the server) */
};

/* A re-target under way. */
struct push_retarget {
	struct cmd_ctx *ctx;
	struct store *st;
	int64_t id;
	char *raw;        /* the folder the message is in */
	char *message_id; /* what to look for */
	char **ids;       /* an expunge: each of its Message-IDs */
	size_t nids, at;  /* how many, and the one looked for now */
	char *set;        /* an expunge: the UIDs found so far */
	char *newarg;     /* the row's argument for the new UID */
	struct store_journal j;
	uint32_t uidvalidity; /* the SELECT's */
	int rc;               /* CMD_EXIT_ */
	char *err;            /* what went wrong, printed at the end */
};

/* One row found by id, copied out of the foreach. */
struct push_find {
	int64_t id;
	int found;
	struct store_journal j;
	char *op, *arg, *message_id;
};

static int push_find_cb(const struct store_journal *, void *);
static int push_find(struct store *, int64_t, struct push_find *);
static void push_find_free(struct push_find *);
static int push_list(struct store *, int held_only);
static int push_print_cb(const struct store_journal *, void *);
static char *push_bracket_ids(const char *);
static int push_discard(struct store *, int64_t);
static int push_retarget(
    struct cmd_ctx *, const struct account *, struct store *, int64_t);
static void run_state(int, const char *, void *);
static void run_notice(int, const char *, void *);
static void run_sent(void *);
static void run_drained(void *);
static void rt_connected(struct imap *, enum imap_err, const char *, void *);
static void rt_selected(struct imap *, enum imap_err, const char *,
    const struct imap_selected *, void *);
static void rt_found(struct imap *, enum imap_err, const char *,
    const struct imap_uidset *, void *);
static void rt_fail(struct push_retarget *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static const char *push_state_name(int);
static void push_split_ids(struct push_retarget *);
static int push_parse_id(const char *, int64_t *);

static const char *
push_state_name(int state)
{
	switch (state) {
	case STORE_JOURNAL_HELD:
		return "held";
	case STORE_JOURNAL_SENT:
		return "sent?";
	default:
		return "pending";
	}
}

/* A journal row id: digits only, 1 or more. */
static int
push_parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v <= 0) {
		char *t = text_clean_line(s);

		cmd_error("push: '%s' is not a change id (errand push --list "
		          "shows them)",
		    t);
		free(t);
		return -1;
	}
	*id = v;
	return 0;
}

static int
push_find_cb(const struct store_journal *j, void *arg)
{
	struct push_find *f = arg;

	if (j->id != f->id)
		return 0;
	f->found = 1;
	f->j = *j;
	f->op = xstrdup(j->op);
	f->arg = xstrdup(j->arg);
	f->message_id = xstrdup(j->message_id);
	f->j.op = f->op;
	f->j.arg = f->arg;
	f->j.message_id = f->message_id;
	return 1;
}

/* Fill f with row id: 0, or -1 after printing why not. */
static int
push_find(struct store *st, int64_t id, struct push_find *f)
{
	memset(f, 0, sizeof *f);
	f->id = id;
	if (store_journal_foreach(st, push_find_cb, f) < 0) {
		cmd_error("%s", store_error(st));
		return -1;
	}
	if (!f->found) {
		cmd_error("push: no change %lld in the journal", (long long)id);
		return -1;
	}
	return 0;
}

static void
push_find_free(struct push_find *f)
{
	free(f->op);
	free(f->arg);
	free(f->message_id);
}

/* "<a@x> <b@y>" from "a@x b@y", cleaned for the terminal; "-" for none.
 * The caller frees it. */
static char *
push_bracket_ids(const char *ids)
{
	char *clean, *out, *p;
	size_t i, n = 3;

	if (*ids == '\0')
		return xstrdup("-");
	clean = text_clean_line(ids);
	for (i = 0; clean[i] != '\0'; i++)
		n += clean[i] == ' ' ? 3 : 1;
	out = p = xmalloc(n);
	*p++ = '<';
	for (i = 0; clean[i] != '\0'; i++) {
		if (clean[i] == ' ') {
			memcpy(p, "> <", 3);
			p += 3;
		} else
			*p++ = clean[i];
	}
	*p++ = '>';
	*p = '\0';
	free(clean);
	return out;
}

static int
push_print_cb(const struct store_journal *j, void *arg)
{
	int *held_only = arg;
	char *what, *t, *mid;

	if (*held_only && j->state != STORE_JOURNAL_HELD)
		return 0;
	what = journal_describe(j);
	t = text_clean_line(what);
	mid = push_bracket_ids(j->message_id);
	printf("%lld\t%s\t%s\t%s\tUIDVALIDITY %u\n", (long long)j->id,
	    push_state_name(j->state), t, mid, j->uidvalidity);
	free(what);
	free(t);
	free(mid);
	return 0;
}

/* Print the rows (the held ones only, or all): id, state, what, the
 * Message-ID and the UIDVALIDITY they were made under. */
static int
push_list(struct store *st, int held_only)
{
	if (store_journal_foreach(st, push_print_cb, &held_only) < 0) {
		cmd_error("%s", store_error(st));
		return -1;
	}
	fflush(stdout);
	return 0;
}

static void
run_state(int online, const char *reason, void *arg)
{
	struct push_run *r = arg;

	if (online)
		return;
	r->offline = 1;
	free(r->why);
	r->why = xstrdup(reason != NULL ? reason : "connection lost");
	event_base_loopbreak(r->ctx->base);
}

static void
run_notice(int error, const char *text, void *arg)
{
	char *t;

	(void)error;
	(void)arg;
	t = text_clean_line(text);
	cmd_error("%s", t);
	free(t);
}

static void
run_sent(void *arg)
{
	((struct push_run *)arg)->sent++;
}

static void
run_drained(void *arg)
{
	struct push_run *r = arg;

	r->done = 1;
	event_base_loopbreak(r->ctx->base);
}

/* Send what may go; then list what is held. */
int
cmd_push_replay(struct cmd_ctx *ctx, const struct account *a, struct store *st)
{
	struct live_params lp;
	struct push_run r;
	struct session *s;
	struct live *l;
	int64_t pending = 0, held = 0;

	if (store_journal_count(st, &pending) != 0 ||
	    store_journal_held(st, &held) != 0) {
		cmd_error("%s", store_error(st));
		return CMD_EXIT_FAIL;
	}
	memset(&r, 0, sizeof r);
	r.ctx = ctx;
	if (pending > 0) {
		s = cmd_session(ctx, a, st);
		if (session_creds(s) != 1) {
			session_free(s);
			return CMD_EXIT_FAIL;
		}
		memset(&lp, 0, sizeof lp);
		lp.state = run_state;
		lp.notice = run_notice;
		lp.sent = run_sent;
		lp.drained = run_drained;
		lp.arg = &r;
		l = live_new(s, &lp);
		/* A row is removed when the server says OK: what is not done
		 * at the deadline stays for the next push. */
		cmd_deadline(ctx, a);
		while (!r.done && !r.offline && !ctx->dl.passed)
			event_base_dispatch(ctx->base);
		live_free(l);
		session_free(s);
	}
	if (store_journal_count(st, &pending) != 0 ||
	    store_journal_held(st, &held) != 0) {
		cmd_error("%s", store_error(st));
		free(r.why);
		return CMD_EXIT_FAIL;
	}
	if (ctx->dl.passed) {
		char *t;

		xasprintf(&t, "timed out after %d s; %lld change%s not sent",
		    ctx->dl.secs, (long long)pending, pending == 1 ? "" : "s");
		cmd_error_account(ctx, a, t);
		free(t);
	} else if (r.offline) {
		char *t = text_clean_line(r.why);

		cmd_error("%s: offline: %s", a->name, t);
		free(t);
	}
	printf("%d sent, %lld pending, %lld held\n", r.sent, (long long)pending,
	    (long long)held);
	if (held > 0) {
		push_list(st, 1);
		cmd_error("%lld change%s held: made in a mailbox since deleted "
		          "and made again; errand push --retarget ID looks the "
		          "message up by Message-ID, --discard ID drops it",
		    (long long)held, held == 1 ? "" : "s");
	}
	free(r.why);
	if (pending == 0 && held == 0)
		return CMD_EXIT_OK;
	return pending > 0 ? cmd_exit_failed(ctx) : CMD_EXIT_FAIL;
}

static int
push_discard(struct store *st, int64_t id)
{
	struct push_find f;

	if (push_find(st, id, &f) != 0)
		return CMD_EXIT_FAIL;
	if (f.j.state != STORE_JOURNAL_HELD) {
		cmd_error("push: change %lld is not held (errand push sends "
		          "it)",
		    (long long)id);
		push_find_free(&f);
		return CMD_EXIT_FAIL;
	}
	push_find_free(&f);
	/* The cache is not rolled back: its UID names another message. */
	if (store_journal_remove(st, id) != 0) {
		cmd_error("%s", store_error(st));
		return CMD_EXIT_FAIL;
	}
	printf("change %lld discarded\n", (long long)id);
	return CMD_EXIT_OK;
}

static void
rt_fail(struct push_retarget *rt, const char *fmt, ...)
{
	va_list ap;

	if (rt->err == NULL) {
		va_start(ap, fmt);
		xvasprintf(&rt->err, fmt, ap);
		va_end(ap);
	}
	rt->rc = CMD_EXIT_FAIL;
	event_base_loopbreak(rt->ctx->base);
}

static void
rt_connected(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	struct push_retarget *rt = arg;
	struct imap_select_params sp;

	if (e != IMAP_ERR_NONE) {
		rt_fail(rt, "offline: %s", msg != NULL ? msg : imap_error(im));
		return;
	}
	memset(&sp, 0, sizeof sp);
	sp.mailbox = rt->raw;
	imap_select(im, &sp, rt_selected, rt);
}

static void
rt_selected(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_selected *sel, void *arg)
{
	struct push_retarget *rt = arg;

	if (e != IMAP_ERR_NONE) {
		rt_fail(rt, "%s", msg != NULL ? msg : imap_error(im));
		return;
	}
	rt->uidvalidity = sel->uidvalidity;
	imap_search_msgid(
	    im, 1, rt->nids > 0 ? rt->ids[0] : rt->message_id, rt_found, rt);
}

static void
rt_found(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_uidset *found, void *arg)
{
	struct push_retarget *rt = arg;
	uint64_t n = 0;
	size_t i;
	char *t;

	if (e != IMAP_ERR_NONE) {
		rt_fail(rt, "%s", msg != NULL ? msg : imap_error(im));
		return;
	}
	for (i = 0; i < found->n; i++)
		n += (uint64_t)found->r[i].hi - found->r[i].lo + 1;
	if (n != 1) {
		rt_fail(rt,
		    "cannot re-target change %lld: %s message%s with "
		    "Message-ID <%s> in '%s'",
		    (long long)rt->id, n == 0 ? "no" : "more than one",
		    n == 0 ? "" : "s",
		    rt->nids > 0 ? rt->ids[rt->at] : rt->message_id, rt->raw);
		return;
	}
	if (rt->nids > 0) {
		/* An expunge: every message found, then one new UID set. */
		t = rt->set;
		xasprintf(&rt->set, "%s%s%u", t != NULL ? t : "",
		    t != NULL ? "," : "", found->r[0].lo);
		free(t);
		if (++rt->at < rt->nids) {
			imap_search_msgid(im, 1, rt->ids[rt->at], rt_found, rt);
			return;
		}
		xasprintf(&rt->newarg, "%s\t%s", rt->set, rt->raw);
		if (store_journal_retarget(
		        rt->st, rt->id, 0, rt->uidvalidity, rt->newarg) != 0) {
			rt_fail(rt, "%s", store_error(rt->st));
			return;
		}
		printf("change %lld now names UIDs %s in '%s' (UIDVALIDITY "
		       "%u); errand push sends it\n",
		    (long long)rt->id, rt->set, rt->raw, rt->uidvalidity);
		rt->rc = CMD_EXIT_OK;
		event_base_loopbreak(rt->ctx->base);
		return;
	}
	rt->newarg = journal_retarget_arg(&rt->j, found->r[0].lo);
	if (store_journal_retarget(rt->st, rt->id, found->r[0].lo,
	        rt->uidvalidity, rt->newarg) != 0) {
		rt_fail(rt, "%s", store_error(rt->st));
		return;
	}
	printf("change %lld now names UID %u in '%s' (UIDVALIDITY %u); "
	       "errand push sends it\n",
	    (long long)rt->id, found->r[0].lo, rt->raw, rt->uidvalidity);
	rt->rc = CMD_EXIT_OK;
	event_base_loopbreak(rt->ctx->base);
}

/* An expunge's Message-IDs, space separated, into rt->ids. */
static void
push_split_ids(struct push_retarget *rt)
{
	const char *p = rt->message_id, *q;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if ((q = strchr(p, ' ')) == NULL)
			q = p + strlen(p);
		rt->ids = xreallocarray(rt->ids, rt->nids + 1, sizeof *rt->ids);
		rt->ids[rt->nids++] = xstrndup(p, (size_t)(q - p));
		p = q;
	}
}

/* Look the held row's message up by Message-ID in its folder as it is
 * now, and point the row at it (an expunge: each of its messages). */
static int
push_retarget(
    struct cmd_ctx *ctx, const struct account *a, struct store *st, int64_t id)
{
	struct push_retarget rt;
	struct imap_params ip;
	struct push_find f;
	struct imap *im;
	struct session *s = NULL;
	char *t;
	size_t i;

	if (push_find(st, id, &f) != 0)
		return CMD_EXIT_FAIL;
	memset(&rt, 0, sizeof rt);
	rt.rc = CMD_EXIT_FAIL;
	if (f.j.state != STORE_JOURNAL_HELD)
		xasprintf(&rt.err,
		    "change %lld is not held (errand push sends it)",
		    (long long)id);
	else if (*f.j.message_id == '\0' &&
	    strcmp(f.j.op, journal_op_name(JOURNAL_EXPUNGE)) == 0)
		xasprintf(&rt.err,
		    "cannot re-target change %lld: it expunges a message "
		    "without a Message-ID (--discard it and expunge again)",
		    (long long)id);
	else if (*f.j.message_id == '\0')
		xasprintf(&rt.err,
		    "cannot re-target change %lld: its message had no "
		    "Message-ID",
		    (long long)id);
	else if ((rt.raw = journal_folder(&f.j)) == NULL)
		xasprintf(&rt.err,
		    "cannot re-target change %lld: it names no "
		    "folder",
		    (long long)id);
	if (rt.err != NULL)
		goto out;
	s = cmd_session(ctx, a, st);
	if (session_creds(s) != 1)
		goto out;
	rt.ctx = ctx;
	rt.st = st;
	rt.id = id;
	rt.j = f.j;
	rt.message_id = f.message_id;
	if (strcmp(f.j.op, journal_op_name(JOURNAL_EXPUNGE)) == 0)
		push_split_ids(&rt);
	cmd_loop(ctx);
	session_imap_params(s, &ip);
	im = imap_new(ctx->base, ctx->dns, &ip);
	imap_connect(im, rt_connected, &rt);
	cmd_deadline(ctx, a);
	event_base_dispatch(ctx->base);
	if (ctx->dl.passed && rt.rc != CMD_EXIT_OK && rt.err == NULL) {
		xasprintf(&rt.err,
		    "cannot re-target change %lld: timed out "
		    "after %d s",
		    (long long)id, ctx->dl.secs);
		rt.rc = CMD_EXIT_TIMEOUT;
	}
	imap_free(im);
out:
	if (rt.err != NULL) {
		t = text_clean_line(rt.err);
		cmd_error("push: %s", t);
		free(t);
	}
	free(rt.err);
	free(rt.raw);
	free(rt.newarg);
	free(rt.set);
	for (i = 0; i < rt.nids; i++)
		free(rt.ids[i]);
	free(rt.ids);
	push_find_free(&f);
	session_free(s);
	return rt.rc;
}

static int
cmd_push_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"account", required_argument, NULL, 'a'},
	    {"list", no_argument, NULL, 'l'},
	    {"discard", required_argument, NULL, 'D'},
	    {"retarget", required_argument, NULL, 'R'},
	    {NULL, 0, NULL, 0},
	};
	const struct account *a;
	struct store *st;
	const char *idarg = NULL, *aname = NULL;
	int64_t id = 0;
	int ch, what = 0, rc, ob;

	while ((ch = getopt_long(argc, argv, "a:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			aname = optarg;
			break;
		case 'l':
		case 'D':
		case 'R':
			if (what != 0)
				goto usage;
			what = ch;
			idarg = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind > (aname != NULL ? 0 : 1))
		goto usage;
	if (idarg != NULL && push_parse_id(idarg, &id) != 0)
		return CMD_EXIT_USAGE;
	if (aname == NULL && optind < argc)
		aname = argv[optind];
	if ((a = cmd_account(ctx, aname)) == NULL)
		return CMD_EXIT_USAGE;
	if (!url_is_imap(a->url.scheme)) {
		/* Local flags change the Maildir at once: no journal. */
		rc = what == 0 ? cmd_outbox_flush(ctx, a, NULL) : CMD_EXIT_OK;
		printf("0 sent, 0 pending, 0 held\n");
		return rc;
	}
	if ((st = cmd_store_open(a)) == NULL)
		return CMD_EXIT_FAIL;
	switch (what) {
	case 'l':
		rc = push_list(st, 0) == 0 ? CMD_EXIT_OK : CMD_EXIT_FAIL;
		break;
	case 'D':
		rc = push_discard(st, id);
		break;
	case 'R':
		rc = push_retarget(ctx, a, st, id);
		break;
	default:
		/* The outbox first: its \\Answered rows go with the rest. */
		ob = cmd_outbox_flush(ctx, a, st);
		rc = cmd_push_replay(ctx, a, st);
		if (rc == CMD_EXIT_OK)
			rc = ob;
		break;
	}
	store_close(st);
	return rc;

usage:
	cmd_error("usage: errand push %s", cmd_push_entry.args);
	return CMD_EXIT_USAGE;
}
