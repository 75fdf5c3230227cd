/* errand: a terminal mail user agent. See LICENSE.
 * errand flag, move, copy and delete: triage the messages of a folder that
 * match a mutt pattern (src/engine/pattern.h), from a script. Each change is
 * journaled through src/engine/triage.c; online the folder is synced first and
 * the changes are then sent as errand push sends them, offline
 * (--offline) they wait for the next push, sync or interface. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "config.h"
#include "engine/journal.h"
#include "engine/pattern.h"
#include "engine/sync.h"
#include "engine/triage.h"
#include "url.h"
#include "xmalloc.h"
#include "cache/store.h"

enum tcmd {
	TCMD_FLAG,
	TCMD_MOVE,
	TCMD_COPY,
	TCMD_DELETE,
};

/* A flag change asked for: +read, -flagged..., or a keyword's: +Work. */
struct tflag {
	char sign, letter; /* letter '\0': keyword */
	const char *keyword;
	const char *word;
};

struct tmatch {
	uint32_t *uids;
	size_t n, cap;
};

static int cmd_flag_exec(struct cmd_ctx *, int, char **);
static int cmd_move_exec(struct cmd_ctx *, int, char **);
static int cmd_copy_exec(struct cmd_ctx *, int, char **);
static int cmd_delete_exec(struct cmd_ctx *, int, char **);

const struct cmd_entry cmd_flag_entry = {
    "flag",
    "[-a ACCOUNT] [-f FOLDER] [--offline] +FLAG|-FLAG|+KEYWORD|-KEYWORD... "
    "PATTERN",
    "set or clear flags (read, flagged, answered, deleted) or IMAP "
    "keywords of the matches",
    cmd_flag_exec,
};
const struct cmd_entry cmd_move_entry = {
    "move",
    "[-a ACCOUNT] [-f FOLDER] [--offline] DEST PATTERN",
    "move the messages matching a pattern to the folder DEST",
    cmd_move_exec,
};
const struct cmd_entry cmd_copy_entry = {
    "copy",
    "[-a ACCOUNT] [-f FOLDER] [--offline] DEST PATTERN",
    "copy the messages matching a pattern to the folder DEST",
    cmd_copy_exec,
};
const struct cmd_entry cmd_delete_entry = {
    "delete",
    "[-a ACCOUNT] [-f FOLDER] [--offline] [--expunge] PATTERN",
    "mark the messages matching a pattern deleted (and expunge them)",
    cmd_delete_exec,
};

/* +read, -read, +flagged... into sign and letter, +Keyword into sign and
 * keyword; 0, or -1 with *why (why a keyword is not one). */
static int
tflag_parse(const char *s, struct tflag *f, const char **why)
{
	static const struct {
		const char *word;
		char letter;
	} words[] = {
	    {"read", 'S'},
	    {"flagged", 'F'},
	    {"answered", 'A'},
	    {"deleted", 'D'},
	};
	size_t i;

	if (s[0] != '+' && s[0] != '-')
		return -1;
	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strcmp(s + 1, words[i].word) == 0) {
			f->sign = s[0];
			f->letter = words[i].letter;
			f->keyword = NULL;
			f->word = s;
			return 0;
		}
	}
	if ((*why = journal_keyword_bad(s + 1)) != NULL)
		return -1;
	f->sign = s[0];
	f->letter = '\0';
	f->keyword = s + 1;
	f->word = s;
	return 0;
}

static int
tmatch_cb(uint32_t uid, enum pattern_result r, void *arg)
{
	struct tmatch *m = arg;

	if (r != PATTERN_YES)
		return 0; /* a body term on a body not cached: not matched */
	if (m->n == m->cap) {
		m->cap = m->cap == 0 ? 256 : m->cap * 2;
		m->uids = xreallocarray(m->uids, m->cap, sizeof *m->uids);
	}
	m->uids[m->n++] = uid;
	return 0;
}

/* The UIDs as an IMAP set, lowest first, runs as a:b. */
static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static char *
tmatch_set(struct tmatch *m)
{
	char *s = xstrdup(""), *t;
	size_t i, j;

	if (m->n > 1)
		qsort(m->uids, m->n, sizeof *m->uids, uid_cmp);
	for (i = 0; i < m->n; i = j) {
		for (j = i + 1; j < m->n && m->uids[j] == m->uids[j - 1] + 1;
		     j++)
			continue;
		if (j - 1 == i)
			xasprintf(
			    &t, "%s%s%u", s, *s != '\0' ? "," : "", m->uids[i]);
		else
			xasprintf(&t, "%s%s%u:%u", s, *s != '\0' ? "," : "",
			    m->uids[i], m->uids[j - 1]);
		free(s);
		s = t;
	}
	return s;
}

static int
tcmd_usage(const struct cmd_entry *ce)
{
	cmd_error("usage: errand %s %s", ce->name, ce->args);
	return CMD_EXIT_USAGE;
}

/* The Message-IDs of the matches, space separated (for errand push
 * --retarget of an expunge). */
static char *
tmatch_ids(struct store *st, int64_t folder, const struct tmatch *m)
{
	struct store_msg msg;
	char *s = NULL, *t;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (store_msg_get(st, folder, m->uids[i], &msg) != 0 ||
		    msg.message_id == NULL || *msg.message_id == '\0' ||
		    strpbrk(msg.message_id, " \t") != NULL)
			continue;
		if (s == NULL)
			s = xstrdup(msg.message_id);
		else {
			xasprintf(&t, "%s %s", s, msg.message_id);
			free(s);
			s = t;
		}
	}
	return s;
}

static int
tcmd_run(struct cmd_ctx *ctx, const struct cmd_entry *ce, enum tcmd what,
    int argc, char **argv)
{
	struct tflag flags[8];
	struct pattern_opts po;
	struct sync_params sp;
	struct store_folder f;
	struct triage t;
	struct tmatch m;
	struct pattern *pat = NULL;
	const struct account *a;
	struct store *st = NULL;
	const char *folder = "INBOX", *aname = NULL, *dest = NULL;
	char *text = NULL, *err, *s, *set;
	size_t nflags = 0, i, done = 0, same = 0;
	int offline = 0, expunge = 0, rc = CMD_EXIT_FAIL, k, r, txn;

	/* By hand, not getopt: -read is a flag change, not options. */
	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--") == 0) {
			k++;
			break;
		} else if (strcmp(argv[k], "-a") == 0 ||
		    strcmp(argv[k], "--account") == 0) {
			if (++k >= argc)
				return tcmd_usage(ce);
			aname = argv[k];
		} else if (strcmp(argv[k], "-f") == 0 ||
		    strcmp(argv[k], "--folder") == 0) {
			if (++k >= argc)
				return tcmd_usage(ce);
			folder = argv[k];
		} else if (strcmp(argv[k], "--offline") == 0)
			offline = 1;
		else if (what == TCMD_DELETE &&
		    strcmp(argv[k], "--expunge") == 0)
			expunge = 1;
		else if (what == TCMD_FLAG &&
		    (argv[k][0] == '+' || argv[k][0] == '-') &&
		    argv[k][1] != '\0' && argv[k][1] != '-') {
			const char *why = NULL;

			if (nflags == sizeof flags / sizeof flags[0]) {
				cmd_error("%s: at most %zu flag changes at "
				          "once",
				    argv[k], sizeof flags / sizeof flags[0]);
				return CMD_EXIT_USAGE;
			}
			if (tflag_parse(argv[k], &flags[nflags], &why) != 0) {
				cmd_error("%s: not a flag change (+read, "
				          "-read, +flagged, -flagged, "
				          "+answered, -answered, +deleted, "
				          "-deleted) nor a keyword: %s",
				    argv[k], why);
				return CMD_EXIT_USAGE;
			}
			nflags++;
		} else if (argv[k][0] == '-' && argv[k][1] == '-') {
			cmd_error("unknown option '%s'", argv[k]);
			return tcmd_usage(ce);
		} else
			break;
	}
	if ((what == TCMD_MOVE || what == TCMD_COPY) && k < argc)
		dest = argv[k++];
	if (k >= argc || (what == TCMD_FLAG && nflags == 0) ||
	    ((what == TCMD_MOVE || what == TCMD_COPY) && dest == NULL))
		return tcmd_usage(ce);
	/* The words of the pattern, as one: errand flag +read ~f alice. */
	for (; k < argc; k++) {
		if (text == NULL)
			text = xstrdup(argv[k]);
		else {
			xasprintf(&s, "%s %s", text, argv[k]);
			free(text);
			text = s;
		}
	}
	if (aname == NULL)
		aname = ctx->account;
	if ((a = cmd_account(ctx, aname)) == NULL) {
		free(text);
		return CMD_EXIT_USAGE;
	}
	if (!url_is_imap(a->url.scheme)) {
		cmd_error("%s: errand %s is for IMAP accounts (a POP3 "
		          "account's Maildir is changed from the interface)",
		    a->name, ce->name);
		free(text);
		return CMD_EXIT_USAGE;
	}
	memset(&po, 0, sizeof po);
	po.user = a->url.user;
	if ((pat = pattern_compile(text, &po, &err)) == NULL) {
		cmd_error("%s", err);
		free(err);
		free(text);
		return CMD_EXIT_USAGE;
	}
	free(text);
	if ((st = cmd_store_open(a)) == NULL)
		goto out;
	if (!offline) {
		memset(&sp, 0, sizeof sp);
		sp.folders = &folder;
		sp.nfolders = 1;
		if (cmd_sync_or_offline(ctx, a, st, &sp) != 0) {
			rc = cmd_exit_failed(ctx);
			goto out;
		}
	}
	if ((r = store_folder_get(st, folder, &f)) != 0) {
		if (r == 1)
			cmd_error("%s: no folder '%s' in the cache%s", a->name,
			    folder, offline ? " (sync it first)" : "");
		else
			cmd_error("%s", store_error(st));
		goto out;
	}
	memset(&m, 0, sizeof m);
	if (pattern_scan(st, f.id, pat, NULL, NULL, tmatch_cb, &m) != 0) {
		cmd_error("%s", store_error(st));
		store_folder_clear(&f);
		free(m.uids);
		goto out;
	}
	triage_init(&t, st, NULL, NULL, NULL);
	t.batch = 1; /* every row in one commit, then the cache in one */
	rc = CMD_EXIT_OK;
	/* The batch only reads until triage_flush(): one transaction for
	 * its thousands of reads, not a lock taken and dropped for each. */
	txn = store_begin(st) == 0;
	for (i = 0; i < m.n && rc == CMD_EXIT_OK; i++) {
		size_t j;

		switch (what) {
		case TCMD_FLAG:
		case TCMD_DELETE:
			for (j = 0; j < (what == TCMD_DELETE ? 1 : nflags);
			     j++) {
				if (what == TCMD_FLAG &&
				    flags[j].keyword != NULL)
					r = triage_keyword(&t, folder,
					    m.uids[i], flags[j].keyword,
					    flags[j].sign == '+', &err);
				else
					r = triage_flag(&t, folder, m.uids[i],
					    what == TCMD_DELETE
					        ? 'D'
					        : flags[j].letter,
					    what == TCMD_DELETE
					        ? 1
					        : flags[j].sign == '+',
					    NULL, NULL, &err);
				if (r < 0) {
					cmd_error("%s: %s", a->name, err);
					free(err);
					rc = CMD_EXIT_FAIL;
					break;
				}
				if (r == 0)
					done++;
				else
					same++;
			}
			break;
		case TCMD_MOVE:
		case TCMD_COPY:
			if (triage_move(&t, folder, m.uids[i], dest,
			        what == TCMD_COPY, &err) != 0) {
				cmd_error("%s: %s", a->name, err);
				free(err);
				rc = CMD_EXIT_FAIL;
			} else
				done++;
			break;
		}
	}
	if (txn && store_commit(st) != 0)
		store_rollback(st);
	set = tmatch_set(&m);
	if (rc == CMD_EXIT_OK && expunge && m.n > 0) {
		s = tmatch_ids(st, f.id, &m);
		if (triage_expunge(&t, folder, set, s, &err) != 0) {
			cmd_error("%s: %s", a->name, err);
			free(err);
			rc = CMD_EXIT_FAIL;
		}
		free(s);
	}
	/* The cache waited for another errand: written before going on. */
	if (triage_flush(&t) != 0) {
		cmd_error("%s: %zu change%s not written: %s", a->name, t.nqueue,
		    t.nqueue == 1 ? "" : "s", store_error(st));
		rc = CMD_EXIT_FAIL;
	}
	triage_clear(&t);
	switch (what) {
	case TCMD_FLAG:
		printf("%zu message%s", m.n, m.n == 1 ? "" : "s");
		for (i = 0; i < nflags; i++)
			printf(" %s", flags[i].word);
		break;
	case TCMD_DELETE:
		printf("%zu message%s %s", m.n, m.n == 1 ? "" : "s",
		    expunge ? "deleted and expunged" : "deleted");
		break;
	case TCMD_MOVE:
	case TCMD_COPY:
		printf("%zu message%s %s to '%s'", done, done == 1 ? "" : "s",
		    what == TCMD_MOVE ? "moved" : "copied", dest);
		break;
	}
	/* A long set is said by its ends. */
	if (strlen(set) > 64) {
		free(set);
		xasprintf(&set, "%u to %u", m.uids[0], m.uids[m.n - 1]);
	}
	printf(" in '%s'%s%s (%zu change%s%s)\n", folder,
	    *set != '\0' ? ", UIDs " : "", set, done, done == 1 ? "" : "s",
	    same > 0 ? ", the rest already so" : "");
	free(set);
	free(m.uids);
	store_folder_clear(&f);
	/* Online: sent now, as errand push sends them. */
	if (!offline && rc == CMD_EXIT_OK && (done > 0 || expunge)) {
		fflush(stdout);
		rc = cmd_push_replay(ctx, a, st);
	}
out:
	pattern_free(pat);
	store_close(st);
	return rc;
}

static int
cmd_flag_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return tcmd_run(ctx, &cmd_flag_entry, TCMD_FLAG, argc, argv);
}

static int
cmd_move_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return tcmd_run(ctx, &cmd_move_entry, TCMD_MOVE, argc, argv);
}

static int
cmd_copy_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return tcmd_run(ctx, &cmd_copy_entry, TCMD_COPY, argc, argv);
}

static int
cmd_delete_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return tcmd_run(ctx, &cmd_delete_entry, TCMD_DELETE, argc, argv);
}
