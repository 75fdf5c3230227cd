/* errand: a terminal mail user agent. See LICENSE.
 * errand search [-a ACCOUNT] [-f FOLDER] [--offline] PATTERN: sync the
 * folder as list does, then print the messages matching a mutt pattern
 * (src/engine/pattern.h) in list's lines. Header terms run on the cache, body
 * terms on cached bodies; online, the server searches the bodies not
 * cached (UID SEARCH), or where the pattern has no IMAP form they are
 * fetched into the cache. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cmd/cmd.h"
#include "config.h"
#include "engine/fetch.h"
#include "net/imap.h"
#include "net/imap-parse.h"
#include "engine/local.h"
#include "engine/maildir.h"
#include "engine/pattern.h"
#include "engine/session.h"
#include "engine/sync.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"

#define SEARCH_BODY_MAX (25 * 1024 * 1024) /* default body-cache-max */

/* What a search found: the UIDs that match and those whose body is not at
 * hand. */
struct search {
	uint32_t *yes, *body;
	size_t nyes, nbody, capyes, capbody;
	struct local *local; /* a POP3 account's Maildir, for bodies */
	const char *folder;
	size_t max;
	/* the running fetch */
	struct cmd_ctx *ctx;
	int done;
	enum fetch_result fr;
	char *ferr;
	uint32_t uidvalidity; /* the cache's, for the server's search */
};

/* A match to print, in list's order: Date: newest first, then UID. */
struct search_hit {
	uint32_t uid;
	unsigned int flags;
	int64_t date;  /* Date:, for the order (0 last, as list) */
	int64_t shown; /* Date:, else INTERNALDATE, as list shows */
	char *from, *subject;
};

static int cmd_search_exec(struct cmd_ctx *, int, char **);
static int search_hit_cmp(const void *, const void *);
static int search_print(struct store *, int64_t, const struct search *);
static int search_found(uint32_t, enum pattern_result, void *);
static int search_local_body(uint32_t, void **, size_t *, void *);
static void search_fetched(enum fetch_result, const char *, void *);
static size_t search_fetch(struct cmd_ctx *, const struct account *,
    struct store *, const struct store_folder *, const struct pattern *,
    struct search *);
static void search_on_connect(
    struct imap *, enum imap_err, const char *, void *);
static void search_on_select(struct imap *, enum imap_err, const char *,
    const struct imap_selected *, void *);
static void search_on_uids(struct imap *, enum imap_err, const char *,
    const struct imap_uidset *, void *);
static size_t search_server(struct cmd_ctx *, const struct account *,
    const struct store_folder *, const char *, struct search *);

const struct cmd_entry cmd_search_entry = {
    "search",
    "[-a ACCOUNT] [-f FOLDER] [--offline] PATTERN",
    "list the messages of a folder matching a mutt pattern",
    cmd_search_exec,
};

static int
search_found(uint32_t uid, enum pattern_result r, void *arg)
{
	struct search *s = arg;

	if (r == PATTERN_YES) {
		if (s->nyes == s->capyes) {
			s->capyes = s->capyes == 0 ? 256 : s->capyes * 2;
			s->yes =
			    xreallocarray(s->yes, s->capyes, sizeof *s->yes);
		}
		s->yes[s->nyes++] = uid;
	} else {
		if (s->nbody == s->capbody) {
			s->capbody = s->capbody == 0 ? 64 : s->capbody * 2;
			s->body =
			    xreallocarray(s->body, s->capbody, sizeof *s->body);
		}
		s->body[s->nbody++] = uid;
	}
	return 0;
}

/* A POP3 account's bodies are its Maildir's files. */
static int
search_local_body(uint32_t uid, void **raw, size_t *len, void *arg)
{
	struct search *s = arg;
	char *err;

	if (local_body(s->local, s->folder, uid, s->max, raw, len, &err) != 0) {
		free(err); /* its file is gone: it cannot match a body term */
		return 1;
	}
	return 0;
}

static int
search_hit_cmp(const void *a, const void *b)
{
	const struct search_hit *x = a, *y = b;

	if (x->date != y->date)
		return x->date > y->date ? -1 : 1;
	return x->uid > y->uid ? -1 : x->uid < y->uid;
}

/* Print the matches as list does (only they are read: a search over a
 * big folder need not load all of it). */
static int
search_print(struct store *st, int64_t folder, const struct search *s)
{
	struct search_hit *h;
	struct store_msg m;
	size_t i, n = 0;
	int rc = 0;

	h = xreallocarray(NULL, s->nyes > 0 ? s->nyes : 1, sizeof *h);
	for (i = 0; i < s->nyes; i++) {
		if ((rc = store_msg_get(st, folder, s->yes[i], &m)) == -1)
			break;
		if (rc == 1)
			continue; /* gone since */
		h[n].uid = m.uid;
		h[n].flags = m.flags;
		h[n].date = m.date;
		h[n].shown = m.date != 0 ? m.date : m.internaldate;
		h[n].from =
		    xstrdup(*m.from_name != '\0' ? m.from_name : m.from_addr);
		h[n].subject = xstrdup(m.subject);
		n++;
	}
	if (rc != -1) {
		qsort(h, n, sizeof *h, search_hit_cmp);
		for (i = 0; i < n; i++)
			cmd_list_line(h[i].uid, h[i].flags, h[i].shown,
			    h[i].from, h[i].subject);
	}
	for (i = 0; i < n; i++) {
		free(h[i].from);
		free(h[i].subject);
	}
	free(h);
	return rc == -1 ? -1 : 0;
}

static void
search_fetched(enum fetch_result r, const char *err, void *arg)
{
	struct search *s = arg;

	s->done = 1;
	s->fr = r;
	free(s->ferr);
	s->ferr = xstrdup(err);
	event_base_loopbreak(s->ctx->base);
}

static void
search_on_connect(struct imap *im, enum imap_err e, const char *msg, void *arg)
{
	(void)im;
	(void)e;
	(void)msg;
	(void)arg; /* the search queued behind fails on its own */
}

static void
search_on_select(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_selected *sel, void *arg)
{
	struct search *s = arg;

	(void)im;
	(void)msg;
	/* Other UIDs than the cache's: the answer would name other mail. */
	if (e == IMAP_ERR_NONE && sel->uidvalidity != s->uidvalidity) {
		free(s->ferr);
		xasprintf(&s->ferr, "'%s' changed on the server (UIDVALIDITY)",
		    s->folder);
	}
}

static void
search_on_uids(struct imap *im, enum imap_err e, const char *msg,
    const struct imap_uidset *set, void *arg)
{
	struct search *s = arg;
	size_t i;

	(void)im;
	s->done = 1;
	s->fr = FETCH_FAILED;
	if (e != IMAP_ERR_NONE && s->ferr == NULL)
		s->ferr = xstrdup(msg != NULL ? msg : "the search failed");
	if (e == IMAP_ERR_NONE && s->ferr == NULL) {
		s->fr = FETCH_OK;
		for (i = 0; i < s->nbody; i++) {
			if (imap_uidset_contains(set, s->body[i]))
				search_found(s->body[i], PATTERN_YES, s);
		}
	}
	event_base_loopbreak(s->ctx->base);
}

/* Let the server search the bodies the cache lacks with keys, from
 * pattern_imap(); returns how many are left unsearched (all of them when
 * the search failed, after saying why). */
static size_t
search_server(struct cmd_ctx *ctx, const struct account *a,
    const struct store_folder *f, const char *keys, struct search *s)
{
	struct imap_select_params sp;
	struct imap_params ip;
	struct session *ss;
	struct imap *im;

	ss = cmd_session(ctx, a, NULL);
	if (session_creds(ss) != 1) {
		session_free(ss);
		return s->nbody;
	}
	cmd_loop(ctx);
	cmd_deadline(ctx, a);
	session_imap_params(ss, &ip);
	im = imap_new(ctx->base, ctx->dns, &ip);
	s->ctx = ctx;
	s->done = 0;
	s->uidvalidity = f->uidvalidity;
	imap_connect(im, search_on_connect, s);
	memset(&sp, 0, sizeof sp);
	sp.mailbox = f->raw_name != NULL ? f->raw_name : f->name;
	sp.readonly = 1;
	imap_select(im, &sp, search_on_select, s);
	imap_search_keys(im, keys, search_on_uids, s);
	while (!s->done && !ctx->dl.passed)
		event_base_dispatch(ctx->base);
	imap_free(im);
	session_free(ss); /* after the connection: it asks it for the secret */
	if (s->done && s->fr == FETCH_OK)
		return 0;
	cmd_error("%s: cannot search the bodies on the server: %s", a->name,
	    s->done ? s->ferr : "timed out");
	return s->nbody;
}

/* Fetch the bodies the cache lacks, one at a time, into the cache, and
 * match them; returns how many are left unsearched. */
static size_t
search_fetch(struct cmd_ctx *ctx, const struct account *a, struct store *st,
    const struct store_folder *f, const struct pattern *pat, struct search *s)
{
	struct pattern_row row;
	struct store_msg m;
	struct session *ss;
	struct fetch *fe;
	void *raw;
	size_t i, len;

	ss = cmd_session(ctx, a, st);
	if (session_creds(ss) != 1) {
		session_free(ss);
		return s->nbody;
	}
	cmd_loop(ctx);
	cmd_deadline(ctx, a);
	fe = fetch_new(ss);
	s->ctx = ctx;
	for (i = 0; i < s->nbody; i++) {
		s->done = 0;
		fetch_body(fe, f->id, f->raw_name, s->body[i], s->max,
		    search_fetched, s);
		while (!s->done && !ctx->dl.passed)
			event_base_dispatch(ctx->base);
		if (!s->done || s->fr == FETCH_OFFLINE) {
			cmd_error("%s: cannot fetch the bodies to search: %s",
			    a->name, s->done ? s->ferr : "timed out");
			break;
		}
		if (s->fr != FETCH_OK) /* gone from the server, say */
			continue;
		if (store_msg_get(st, f->id, s->body[i], &m) != 0 ||
		    store_body_get(st, f->id, s->body[i], &raw, &len) != 0)
			continue;
		memset(&row, 0, sizeof row);
		row.raw = raw != NULL ? raw : "";
		row.rawlen = len;
		if (pattern_match(pat, &m, &row) == PATTERN_YES)
			search_found(s->body[i], PATTERN_YES, s);
		free(raw);
	}
	fetch_free(fe);
	session_free(ss);
	return s->nbody - i;
}

static int
cmd_search_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"account", required_argument, NULL, 'a'},
	    {"folder", required_argument, NULL, 'f'},
	    {"offline", no_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	struct pattern_opts po;
	struct sync_params sp;
	struct store_folder f;
	struct search s;
	struct pattern *pat;
	struct cmd_opts o;
	const char *folder = "INBOX", *aname = NULL;
	char *text = NULL, *err, *root, *keys, *oargv[5];
	size_t i, left = 0;
	int ch, offline = 0, oargc = 0, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:a:f:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			aname = optarg;
			break;
		case 'f':
			folder = optarg;
			break;
		case 'o':
			offline = 1;
			break;
		default:
			cmd_option_error(ch, argv);
			cmd_error(
			    "usage: errand search %s", cmd_search_entry.args);
			return CMD_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cmd_error("usage: errand search %s", cmd_search_entry.args);
		return CMD_EXIT_USAGE;
	}
	/* The words of the pattern, as one: errand search ~f alice. */
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		if (text == NULL)
			text = xstrdup(argv[i]);
		else {
			xasprintf(&err, "%s %s", text, argv[i]);
			free(text);
			text = err;
		}
	}
	/* The account and the cache as list opens them. */
	oargv[oargc++] = argv[0];
	if (aname != NULL) {
		oargv[oargc++] = (char *)"-a";
		oargv[oargc++] = (char *)aname;
	}
	if (offline)
		oargv[oargc++] = (char *)"--offline";
	oargv[oargc] = NULL;
	optind = 0;
	if ((rc = cmd_open_cache(
	         ctx, &cmd_search_entry, oargc, oargv, 0, &o)) != CMD_EXIT_OK) {
		free(text);
		return rc;
	}
	memset(&po, 0, sizeof po);
	po.user = o.a->url.user;
	if ((pat = pattern_compile(text, &po, &err)) == NULL) {
		cmd_error("%s", err);
		free(err);
		free(text);
		store_close(o.st);
		return CMD_EXIT_USAGE;
	}
	free(text);

	memset(&s, 0, sizeof s);
	s.folder = folder;
	s.max = ctx->cf->body_max != 0 ? ctx->cf->body_max : SEARCH_BODY_MAX;
	rc = 0;
	if (!url_is_imap(o.a->url.scheme)) {
		if (cmd_local_refresh(ctx, o.a, o.st, offline) != 0)
			rc = cmd_exit_failed(ctx);
	} else if (!offline) {
		memset(&sp, 0, sizeof sp);
		sp.folders = &folder;
		sp.nfolders = 1;
		if (cmd_sync_or_offline(ctx, o.a, o.st, &sp) != 0)
			rc = cmd_exit_failed(ctx);
	}
	if (rc != 0) {
		pattern_free(pat);
		store_close(o.st);
		return rc;
	}
	if ((rc = store_folder_get(o.st, folder, &f)) != 0) {
		if (rc == 1)
			cmd_error("%s: no folder '%s' in the cache%s",
			    o.a->name, folder,
			    offline ? " (sync it first)" : "");
		else
			cmd_error("%s", store_error(o.st));
		pattern_free(pat);
		store_close(o.st);
		return CMD_EXIT_FAIL;
	}
	if (!url_is_imap(o.a->url.scheme) && pattern_needs_body(pat) &&
	    (root = maildir_default_path(o.a->name)) != NULL) {
		s.local = local_open(o.st, root, o.a->fallback_charset, &err);
		if (s.local == NULL)
			free(err);
		free(root);
	}
	if (pattern_scan(o.st, f.id, pat, NULL,
	        s.local != NULL ? search_local_body : NULL, search_found,
	        &s) != 0) {
		cmd_error("%s", store_error(o.st));
		local_close(s.local);
		store_folder_clear(&f);
		pattern_free(pat);
		store_close(o.st);
		free(s.yes);
		free(s.body);
		return CMD_EXIT_FAIL;
	}
	left = s.nbody;
	if (s.nbody > 0 && url_is_imap(o.a->url.scheme) && !offline) {
		/* The server searches what it can say; the rest is fetched. */
		if ((keys = pattern_imap(pat, &err)) != NULL) {
			left = search_server(ctx, o.a, &f, keys, &s);
			free(keys);
		} else {
			free(err);
			if (!store_readonly(o.st))
				left =
				    search_fetch(ctx, o.a, o.st, &f, pat, &s);
		}
	}
	if (left > 0)
		fprintf(stderr,
		    "errand: %zu message%s not searched: %s not in the "
		    "cache%s\n",
		    left, left == 1 ? "" : "s",
		    left == 1 ? "its body is" : "their bodies are",
		    offline ? " (without --offline the server searches them)"
		            : "");
	if (search_print(o.st, f.id, &s) != 0) {
		cmd_error("%s", store_error(o.st));
		rc = CMD_EXIT_FAIL;
	}
	local_close(s.local);
	store_folder_clear(&f);
	pattern_free(pat);
	store_close(o.st);
	free(s.yes);
	free(s.body);
	free(s.ferr);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cmd_error("writing the list: %s", "output error");
		return CMD_EXIT_FAIL;
	}
	return rc;
}
