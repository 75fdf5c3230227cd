/* errand: a terminal mail user agent. See LICENSE.
 * errand send [-a ACCOUNT] [--queue] [FILE]: queue an RFC 5322 message
 * into the account's outbox and send it; errand outbox [-a ACCOUNT]
 * [--list | --discard ID | --retry ID | --take-back ID]; and the flush of
 * the outbox that push and sync run. Parsing and printing only: the
 * outbox is src/engine/outbox.c. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmd/cmd.h"
#include "engine/outbox.h"
#include "engine/session.h"
#include "content/text.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"

static int cmd_send_exec(struct cmd_ctx *, int, char **);
static int cmd_outbox_exec(struct cmd_ctx *, int, char **);

const struct cmd_entry cmd_send_entry = {
    "send",
    "[-a ACCOUNT] [--queue] [FILE]",
    "queue a message (FILE or stdin) in the outbox and send it",
    cmd_send_exec,
};

const struct cmd_entry cmd_outbox_entry = {
    "outbox",
    "[-a ACCOUNT] [--list | --discard ID | --retry ID | --take-back ID]",
    "list the outbox; drop, resend or take back a message",
    cmd_outbox_exec,
};

/* What a flush saw. */
struct flush_run {
	struct cmd_ctx *ctx;
	int finished, offline;
	int sent, held, waiting;
	char *held_why, *waiting_why; /* the first of each */
	int verbose;                  /* a line a message (errand send) */
};

static void
flush_done(const struct outbox_result *res, void *arg)
{
	struct flush_run *f = arg;
	char *t;
	size_t i;

	t = text_clean_line(res->reason != NULL ? res->reason : "");
	switch (res->state) {
	case OUTBOX_SENT:
		f->sent++;
		if (f->verbose)
			printf("sent %s to %zu recipient%s\n", res->id,
			    res->nrcpt, res->nrcpt == 1 ? "" : "s");
		break;
	case OUTBOX_HELD:
		f->held++;
		if (f->held_why == NULL)
			f->held_why = xstrdup(t);
		if (f->verbose)
			printf("held %s: %s\n", res->id, t);
		break;
	default:
		f->waiting++;
		if (f->waiting_why == NULL)
			f->waiting_why = xstrdup(t);
		if (f->verbose)
			printf("waiting %s: %s\n", res->id, t);
		break;
	}
	free(t);
	for (i = 0; i < res->nrefused; i++) {
		t = text_clean_line(res->refused[i]);
		cmd_error("%s: refused %s", res->id, t);
		free(t);
	}
	fflush(stdout);
}

static void
flush_finished(int offline, void *arg)
{
	struct flush_run *f = arg;

	f->finished = 1;
	f->offline = offline;
	event_base_loopbreak(f->ctx->base);
}

/* Something to send, a Sent copy owed, or a message that may have been
 * sent (its copy in Sent tells). */
static int
flush_wanted(struct outbox *ob)
{
	struct outbox_entry *v;
	size_t n, i;
	int want = 0;

	if (outbox_list(ob, &v, &n, NULL) != 0)
		return 0;
	for (i = 0; i < n; i++)
		want |= v[i].state == OUTBOX_QUEUED ||
		    v[i].state == OUTBOX_RETRY || v[i].state == OUTBOX_SENT ||
		    (v[i].state == OUTBOX_HELD && v[i].uncertain);
	outbox_entries_free(v, n);
	return want;
}

/* Send what is due in the account's outbox (st: its cache, or NULL) on
 * the command's loop; print "outbox: N sent, N held (WHY), N waiting
 * (WHY)" when anything was tried (verbose: a line a message instead). A
 * CMD_EXIT_ value: OK, or FAIL when something is held or waits. */
static int
outbox_flush(
    struct cmd_ctx *ctx, const struct account *a, struct store *st, int verbose)
{
	struct outbox_run_params rp;
	struct flush_run f;
	struct outbox_run *run;
	struct outbox *ob;
	struct session *s = NULL;
	struct store *own = NULL;
	char *err = NULL;
	int rc = CMD_EXIT_OK;

	if ((ob = outbox_open(a, &err)) == NULL) {
		cmd_error("%s: %s", a->name, err);
		free(err);
		return CMD_EXIT_FAIL;
	}
	if (!flush_wanted(ob)) {
		outbox_free(ob);
		return CMD_EXIT_OK;
	}
	cmd_loop(ctx);
	if (st == NULL && (st = own = cmd_store_open(a)) == NULL) {
		outbox_free(ob);
		return CMD_EXIT_FAIL;
	}
	s = cmd_session(ctx, a, st);
	/* The credentials, when sending or the Sent copy will want them. */
	if (url_is_imap(a->url.scheme) ||
	    (a->sendmail_command == NULL && a->smtp != NULL &&
	        a->smtp_password_command == NULL))
		session_creds(s);
	memset(&f, 0, sizeof f);
	f.ctx = ctx;
	f.verbose = verbose;
	memset(&rp, 0, sizeof rp);
	rp.base = ctx->base;
	rp.s = s;
	rp.done = flush_done;
	rp.finished = flush_finished;
	rp.arg = &f;
	rp.now = 1;
	if ((run = outbox_run_start(ob, &rp)) != NULL) {
		cmd_deadline(ctx, a);
		while (!f.finished && !ctx->dl.passed)
			event_base_loop(ctx->base, EVLOOP_ONCE);
		outbox_run_free(run);
	}
	if (!verbose && f.sent + f.held + f.waiting > 0) {
		printf("outbox: %d sent", f.sent);
		if (f.held > 0)
			printf(", %d held (%s)", f.held, f.held_why);
		if (f.waiting > 0)
			printf(", %d waiting (%s)", f.waiting, f.waiting_why);
		printf("\n");
		fflush(stdout);
	}
	if (f.held > 0 || f.waiting > 0 || ctx->dl.passed)
		rc = ctx->dl.passed ? CMD_EXIT_TIMEOUT : CMD_EXIT_FAIL;
	free(f.held_why);
	free(f.waiting_why);
	session_free(s);
	if (own != NULL)
		store_close(own);
	outbox_free(ob);
	return rc;
}

int
cmd_outbox_flush(struct cmd_ctx *ctx, const struct account *a, struct store *st)
{
	return outbox_flush(ctx, a, st, 0);
}

static const struct account *
send_account(struct cmd_ctx *ctx, const char *aname)
{
	return cmd_account(ctx, aname);
}

static int
cmd_send_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"account", required_argument, NULL, 'a'},
	    {"queue", no_argument, NULL, 'q'},
	    {NULL, 0, NULL, 0},
	};
	struct outbox_meta meta;
	const struct account *a;
	struct outbox *ob;
	const char *aname = NULL, *file = NULL;
	char *id = NULL, *err = NULL;
	int ch, queue = 0, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":a:q", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			aname = optarg;
			break;
		case 'q':
			queue = 1;
			break;
		default:
			cmd_option_error(ch, argv);
			goto usage;
		}
	}
	if (argc - optind > 1)
		goto usage;
	if (optind < argc && strcmp(argv[optind], "-") != 0)
		file = argv[optind];
	if ((a = send_account(ctx, aname)) == NULL)
		return CMD_EXIT_USAGE;
	if ((ob = outbox_open(a, &err)) == NULL) {
		cmd_error("%s: %s", a->name, err);
		free(err);
		return CMD_EXIT_FAIL;
	}
	memset(&meta, 0, sizeof meta);
	meta.save_sent = -1;
	meta.delay = -1;
	rc = file != NULL ? outbox_add_file(ob, file, &meta, &id, &err)
	                  : outbox_add(ob, STDIN_FILENO, &meta, &id, &err);
	outbox_free(ob);
	if (rc != 0) {
		cmd_error("send: %s", err);
		free(err);
		return CMD_EXIT_FAIL;
	}
	printf("queued %s\n", id);
	fflush(stdout);
	free(id);
	if (queue)
		return CMD_EXIT_OK;
	if (a->send_delay > 0) {
		printf("sent after send-delay (%d s) by errand push, errand "
		       "sync or the interface\n",
		    a->send_delay);
		return CMD_EXIT_OK;
	}
	return outbox_flush(ctx, a, NULL, 1);

usage:
	cmd_error("usage: errand send %s", cmd_send_entry.args);
	return CMD_EXIT_USAGE;
}

/* ID, state, when, recipients, subject, why: one line a message. */
static int
outbox_print(struct outbox *ob)
{
	struct outbox_entry *v;
	size_t n, i, j;
	char *err = NULL, *t, *to = NULL, *subj, *why, *w;
	time_t now = time(NULL);

	if (outbox_list(ob, &v, &n, &err) != 0) {
		cmd_error("%s", err);
		free(err);
		return CMD_EXIT_FAIL;
	}
	for (i = 0; i < n; i++) {
		to = xstrdup("");
		for (j = 0; j < v[i].nrcpt; j++) {
			t = to;
			xasprintf(
			    &to, "%s%s%s", t, j > 0 ? "," : "", v[i].rcpts[j]);
			free(t);
		}
		t = text_clean_line(to);
		subj = text_clean_line(v[i].subject);
		why = text_clean_line(v[i].reason != NULL ? v[i].reason : "");
		w = NULL;
		if ((v[i].state == OUTBOX_QUEUED ||
		        v[i].state == OUTBOX_RETRY) &&
		    v[i].not_before > now)
			xasprintf(
			    &w, "in %llds", (long long)(v[i].not_before - now));
		printf("%s\t%s%s%s\t%s\t%s\t%s\n", v[i].id,
		    outbox_state_name(v[i].state), w != NULL ? " " : "",
		    w != NULL ? w : "", t, subj, why);
		free(w);
		free(t);
		free(to);
		free(subj);
		free(why);
	}
	outbox_entries_free(v, n);
	fflush(stdout);
	return CMD_EXIT_OK;
}

static int
cmd_outbox_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"account", required_argument, NULL, 'a'},
	    {"list", no_argument, NULL, 'l'},
	    {"discard", required_argument, NULL, 'D'},
	    {"retry", required_argument, NULL, 'R'},
	    {"take-back", required_argument, NULL, 'T'},
	    {NULL, 0, NULL, 0},
	};
	const struct account *a;
	struct outbox *ob;
	const char *aname = NULL, *id = NULL;
	char *err = NULL, *path = NULL, *bcc = NULL;
	int ch, what = 0, rc = CMD_EXIT_OK, r;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":a:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			aname = optarg;
			break;
		case 'l':
		case 'D':
		case 'R':
		case 'T':
			if (what != 0)
				goto usage;
			what = ch;
			id = optarg;
			break;
		default:
			cmd_option_error(ch, argv);
			goto usage;
		}
	}
	if (optind < argc)
		goto usage;
	if ((a = cmd_account(ctx, aname)) == NULL)
		return CMD_EXIT_USAGE;
	if ((ob = outbox_open(a, &err)) == NULL) {
		cmd_error("%s: %s", a->name, err);
		free(err);
		return CMD_EXIT_FAIL;
	}
	switch (what) {
	case 'D':
		if (outbox_discard(ob, id, &err) != 0)
			rc = CMD_EXIT_FAIL;
		else
			printf("discarded %s\n", id);
		break;
	case 'R':
		if (outbox_retry(ob, id, &err) != 0)
			rc = CMD_EXIT_FAIL;
		else
			printf("queued %s again; errand push sends it\n", id);
		break;
	case 'T':
		if ((r = outbox_take_back(ob, id, &path, &bcc, &err)) != 0)
			rc = CMD_EXIT_FAIL;
		else {
			printf("%s\n", path);
			if (bcc != NULL)
				printf("Bcc: %s\n", bcc);
		}
		break;
	default:
		rc = outbox_print(ob);
		break;
	}
	if (err != NULL) {
		cmd_error("outbox: %s", err);
		free(err);
	}
	free(path);
	free(bcc);
	outbox_free(ob);
	return rc;

usage:
	cmd_error("usage: errand outbox %s", cmd_outbox_entry.args);
	return CMD_EXIT_USAGE;
}
