/* errand: a terminal mail user agent. See LICENSE.
 * The typed journal: the one place that knows the stored form of a change,
 * "op" plus a tab-joined argument ("+S\tMODSEQ\tFOLDER" or, for a
 * keyword, "+:Keyword\tMODSEQ\tFOLDER", "DEST\tFOLDER",
 * "UIDSET\tFOLDER", "UID\tFROM\tTO"), and turns it into struct journal_args
 * and back. The last field of each form may hold tabs; the others not. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/journal.h"
#include "engine/live.h"
#include "engine/maildir.h"
#include "xmalloc.h"
#include "cache/store.h"

static const char *const journal_names[] = {
    [JOURNAL_UNKNOWN] = NULL,
    [JOURNAL_FLAGS] = "flags",
    [JOURNAL_MOVE] = "move",
    [JOURNAL_COPY] = "copy",
    [JOURNAL_EXPUNGE] = "expunge",
    [JOURNAL_MOVEBACK] = "moveback",
    [JOURNAL_APPEND] = "append",
    [JOURNAL_SEND] = "send",
};

const char *
journal_op_name(enum journal_op op)
{
	if ((size_t)op >= sizeof journal_names / sizeof journal_names[0])
		return NULL;
	return journal_names[op];
}

static enum journal_op
journal_op_find(const char *name)
{
	size_t i;

	for (i = 1; i < sizeof journal_names / sizeof journal_names[0]; i++)
		if (strcmp(journal_names[i], name) == 0)
			return (enum journal_op)i;
	return JOURNAL_UNKNOWN;
}

/* The field of s up to the next tab: its length, and *next after the tab
 * (NULL when there is no tab). */
static size_t
journal_field(const char *s, const char **next)
{
	const char *t = strchr(s, '\t');

	if (t == NULL) {
		*next = NULL;
		return strlen(s);
	}
	*next = t + 1;
	return (size_t)(t - s);
}

/* A decimal number of len digits, no sign, no more than max. */
static int
journal_number(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;
	size_t i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (n > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (n > max)
		return -1;
	*v = n;
	return 0;
}

/* An IMAP UID set as errand writes them: numbers, ':', ',' and '*'. */
static int
journal_uidset(const char *s, size_t len)
{
	if (len == 0)
		return -1;
	return strspn(s, "0123456789:,*") >= len ? 0 : -1;
}

/* An outbox message's name: lower-case letters, digits and '-'. */
static int
journal_outbox_id(const char *s, size_t len)
{
	if (len == 0 || len > 63)
		return -1;
	return strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz-") >= len ? 0
	                                                                 : -1;
}

static int
journal_bad(struct journal_args *a, const char **err, const char *why)
{
	journal_args_clear(a);
	if (err != NULL)
		*err = why;
	return -1;
}

int
journal_decode(
    const char *op, const char *arg, struct journal_args *a, const char **err)
{
	const char *p, *q;
	size_t n, m;
	uint64_t v;

	memset(a, 0, sizeof *a);
	if (err != NULL)
		*err = NULL;
	if (op == NULL)
		return journal_bad(a, err, "no operation");
	if (arg == NULL)
		arg = "";
	switch (journal_op_find(op)) {
	case JOURNAL_FLAGS:
		/* "+S\tMODSEQ\tFOLDER" or "+:Keyword\tMODSEQ\tFOLDER" */
		a->op = JOURNAL_FLAGS;
		n = journal_field(arg, &p);
		if (n > 2 && (arg[0] == '+' || arg[0] == '-') &&
		    arg[1] == ':') {
			a->u.flags.sign = arg[0];
			a->u.flags.keyword = xstrndup(arg + 2, n - 2);
			if (journal_keyword_bad(a->u.flags.keyword) != NULL)
				return journal_bad(a, err, "a bad keyword");
		} else if (n != 2 || (arg[0] != '+' && arg[0] != '-') ||
		    strchr("SFDA", arg[1]) == NULL || arg[1] == '\0')
			return journal_bad(a, err, "not a flag change");
		else {
			a->u.flags.sign = arg[0];
			a->u.flags.letter = arg[1];
		}
		if (p == NULL)
			return journal_bad(a, err, "no modseq");
		m = journal_field(p, &q);
		if (journal_number(p, m, UINT64_MAX, &v) != 0)
			return journal_bad(a, err, "a bad modseq");
		a->u.flags.modseq = v;
		if (q == NULL || *q == '\0')
			return journal_bad(a, err, "no folder");
		a->folder = xstrdup(q);
		return 0;
	case JOURNAL_MOVE:
	case JOURNAL_COPY:
		/* "DEST\tFOLDER" */
		a->op = journal_op_find(op);
		n = journal_field(arg, &p);
		if (n == 0)
			return journal_bad(a, err, "no destination");
		if (p == NULL || *p == '\0')
			return journal_bad(a, err, "no folder");
		a->u.move.dest = xstrndup(arg, n);
		a->folder = xstrdup(p);
		return 0;
	case JOURNAL_EXPUNGE:
		/* "UIDSET\tFOLDER" */
		a->op = JOURNAL_EXPUNGE;
		n = journal_field(arg, &p);
		if (journal_uidset(arg, n) != 0)
			return journal_bad(a, err, "a bad UID set");
		if (p == NULL || *p == '\0')
			return journal_bad(a, err, "no folder");
		a->u.expunge.uids = xstrndup(arg, n);
		a->folder = xstrdup(p);
		return 0;
	case JOURNAL_MOVEBACK:
		/* "UID\tFROM\tTO" */
		a->op = JOURNAL_MOVEBACK;
		n = journal_field(arg, &p);
		if (journal_number(arg, n, UINT32_MAX, &v) != 0 || v == 0)
			return journal_bad(a, err, "a bad UID");
		a->u.moveback.uid = (uint32_t)v;
		if (p == NULL)
			return journal_bad(a, err, "no folder");
		m = journal_field(p, &q);
		if (m == 0)
			return journal_bad(a, err, "no folder");
		if (q == NULL || *q == '\0')
			return journal_bad(a, err, "no destination");
		a->folder = xstrndup(p, m);
		a->u.moveback.to = xstrdup(q);
		return 0;
	case JOURNAL_SEND:
		/* "ID" */
		a->op = JOURNAL_SEND;
		if (journal_outbox_id(arg, strlen(arg)) != 0)
			return journal_bad(a, err, "a bad outbox message");
		a->u.send.id = xstrdup(arg);
		return 0;
	case JOURNAL_APPEND:
		/* "ID\tFOLDER" */
		a->op = JOURNAL_APPEND;
		n = journal_field(arg, &p);
		if (journal_outbox_id(arg, n) != 0)
			return journal_bad(a, err, "a bad outbox message");
		if (p == NULL || *p == '\0')
			return journal_bad(a, err, "no folder");
		a->u.append.id = xstrndup(arg, n);
		a->folder = xstrdup(p);
		return 0;
	case JOURNAL_UNKNOWN:
		break;
	}
	return journal_bad(a, err, "an unknown operation");
}

char *
journal_encode(const struct journal_args *a)
{
	char *s = NULL;

	if (a->op == JOURNAL_SEND) {
		if (a->u.send.id == NULL ||
		    journal_outbox_id(a->u.send.id, strlen(a->u.send.id)) != 0)
			return NULL;
		return xstrdup(a->u.send.id);
	}
	if (a->folder == NULL || *a->folder == '\0')
		return NULL;
	switch (a->op) {
	case JOURNAL_FLAGS:
		if (a->u.flags.keyword != NULL) {
			if ((a->u.flags.sign != '+' &&
			        a->u.flags.sign != '-') ||
			    journal_keyword_bad(a->u.flags.keyword) != NULL)
				return NULL;
			xasprintf(&s, "%c:%s\t%llu\t%s", a->u.flags.sign,
			    a->u.flags.keyword,
			    (unsigned long long)a->u.flags.modseq, a->folder);
			break;
		}
		if ((a->u.flags.sign != '+' && a->u.flags.sign != '-') ||
		    a->u.flags.letter == '\0' ||
		    strchr("SFDA", a->u.flags.letter) == NULL)
			return NULL;
		xasprintf(&s, "%c%c\t%llu\t%s", a->u.flags.sign,
		    a->u.flags.letter, (unsigned long long)a->u.flags.modseq,
		    a->folder);
		break;
	case JOURNAL_MOVE:
	case JOURNAL_COPY:
		if (a->u.move.dest == NULL || *a->u.move.dest == '\0' ||
		    strchr(a->u.move.dest, '\t') != NULL)
			return NULL;
		xasprintf(&s, "%s\t%s", a->u.move.dest, a->folder);
		break;
	case JOURNAL_EXPUNGE:
		if (a->u.expunge.uids == NULL ||
		    journal_uidset(
		        a->u.expunge.uids, strlen(a->u.expunge.uids)) != 0)
			return NULL;
		xasprintf(&s, "%s\t%s", a->u.expunge.uids, a->folder);
		break;
	case JOURNAL_MOVEBACK:
		if (a->u.moveback.uid == 0 || a->u.moveback.to == NULL ||
		    *a->u.moveback.to == '\0' ||
		    strchr(a->folder, '\t') != NULL)
			return NULL;
		xasprintf(&s, "%u\t%s\t%s", a->u.moveback.uid, a->folder,
		    a->u.moveback.to);
		break;
	case JOURNAL_APPEND:
		if (a->u.append.id == NULL ||
		    journal_outbox_id(a->u.append.id, strlen(a->u.append.id)) !=
		        0)
			return NULL;
		xasprintf(&s, "%s\t%s", a->u.append.id, a->folder);
		break;
	case JOURNAL_UNKNOWN:
	case JOURNAL_SEND:
		return NULL;
	}
	return s;
}

void
journal_args_clear(struct journal_args *a)
{
	free(a->folder);
	switch (a->op) {
	case JOURNAL_FLAGS:
		free(a->u.flags.keyword);
		break;
	case JOURNAL_MOVE:
	case JOURNAL_COPY:
		free(a->u.move.dest);
		break;
	case JOURNAL_EXPUNGE:
		free(a->u.expunge.uids);
		break;
	case JOURNAL_MOVEBACK:
		free(a->u.moveback.to);
		break;
	case JOURNAL_SEND:
		free(a->u.send.id);
		break;
	case JOURNAL_APPEND:
		free(a->u.append.id);
		break;
	default:
		break;
	}
	memset(a, 0, sizeof *a);
}

char *
journal_flags_arg(char sign, char letter, uint64_t modseq, const char *folder)
{
	struct journal_args a;

	memset(&a, 0, sizeof a);
	a.op = JOURNAL_FLAGS;
	a.folder = (char *)folder;
	a.u.flags.sign = sign;
	a.u.flags.letter = letter;
	a.u.flags.modseq = modseq;
	return journal_encode(&a);
}

char *
journal_keyword_arg(
    char sign, const char *keyword, uint64_t modseq, const char *folder)
{
	struct journal_args a;

	if (keyword == NULL)
		return NULL;
	memset(&a, 0, sizeof a);
	a.op = JOURNAL_FLAGS;
	a.folder = (char *)folder;
	a.u.flags.sign = sign;
	a.u.flags.keyword = (char *)keyword;
	a.u.flags.modseq = modseq;
	return journal_encode(&a);
}

const char *
journal_keyword_bad(const char *s)
{
	static const char *const system[] = {
	    "Seen", "Answered", "Flagged", "Deleted", "Draft", "Recent"};
	size_t i, n;

	if (s == NULL || *s == '\0')
		return "an empty keyword";
	if (*s == '\\')
		return "a system flag (use +read, +flagged, +answered, "
		       "+deleted)";
	n = strlen(s);
	if (n > 255)
		return "longer than 255 bytes";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f)
			return "only printable ASCII without spaces may be in "
			       "a keyword";
		if (strchr("(){%*\"\\]", c) != NULL)
			return "( ) { % * \" \\ ] may not be in a keyword";
	}
	for (i = 0; i < sizeof system / sizeof system[0]; i++)
		if (strcasecmp(s, system[i]) == 0)
			return "the name of a system flag (use +read, "
			       "+flagged, +answered, +deleted)";
	return NULL;
}

char *
journal_keywords_edit(const char *kw, const char *word, int set)
{
	const char *p, *e;
	char *s = xstrdup(""), *t;
	size_t n = strlen(word);
	int had = 0;

	for (p = kw != NULL ? kw : ""; *p != '\0'; p = e) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' '; e++)
			continue;
		if ((size_t)(e - p) == n && strncasecmp(p, word, n) == 0) {
			had = 1;
			continue;
		}
		xasprintf(
		    &t, "%s%s%.*s", s, *s != '\0' ? " " : "", (int)(e - p), p);
		free(s);
		s = t;
	}
	if (had == set) {
		free(s);
		return NULL;
	}
	if (set) {
		xasprintf(&t, "%s%s%s", s, *s != '\0' ? " " : "", word);
		free(s);
		s = t;
	}
	return s;
}

char *
journal_move_arg(const char *dest, const char *folder)
{
	struct journal_args a;

	memset(&a, 0, sizeof a);
	a.op = JOURNAL_MOVE;
	a.folder = (char *)folder;
	a.u.move.dest = (char *)dest;
	return journal_encode(&a);
}

char *
journal_expunge_arg(const char *uids, const char *folder)
{
	struct journal_args a;

	memset(&a, 0, sizeof a);
	a.op = JOURNAL_EXPUNGE;
	a.folder = (char *)folder;
	a.u.expunge.uids = (char *)uids;
	return journal_encode(&a);
}

int
journal_put_purge(struct store *st, int64_t folder, const char *raw,
    uint32_t uidvalidity, uint32_t uid, const char *message_id)
{
	struct store_journal j;
	char *arg, uids[16];
	int rc;

	memset(&j, 0, sizeof j);
	j.folder = folder;
	j.uid = uid;
	j.uidvalidity = uidvalidity;
	j.message_id = message_id != NULL ? message_id : "";
	j.op = journal_op_name(JOURNAL_FLAGS);
	if ((j.arg = arg = journal_flags_arg('+', 'D', 0, raw)) == NULL)
		return 0;
	rc = store_journal_put(st, &j, NULL);
	free(arg);
	if (rc != 0)
		return -1;
	j.uid = 0;
	j.op = journal_op_name(JOURNAL_EXPUNGE);
	snprintf(uids, sizeof uids, "%u", uid);
	if ((j.arg = arg = journal_expunge_arg(uids, raw)) == NULL)
		return 0;
	rc = store_journal_put(st, &j, NULL);
	free(arg);
	return rc;
}

char *
journal_moveback_arg(uint32_t uid, const char *from, const char *to)
{
	struct journal_args a;

	memset(&a, 0, sizeof a);
	a.op = JOURNAL_MOVEBACK;
	a.folder = (char *)from;
	a.u.moveback.uid = uid;
	a.u.moveback.to = (char *)to;
	return journal_encode(&a);
}

char *
journal_describe(const struct store_journal *j)
{
	struct journal_args a;
	const char *why;
	char *s;

	if (journal_decode(j->op, j->arg, &a, &why) != 0) {
		xasprintf(&s, "%s (%s to this errand)",
		    j->op != NULL && *j->op != '\0' ? j->op : "a change",
		    journal_op_find(j->op != NULL ? j->op : "") ==
		            JOURNAL_UNKNOWN
		        ? "unknown"
		        : "unreadable");
		return s;
	}
	switch (a.op) {
	case JOURNAL_FLAGS:
		if (a.u.flags.keyword != NULL)
			xasprintf(&s, "keyword %c%s of UID %u in '%s'",
			    a.u.flags.sign, a.u.flags.keyword, j->uid,
			    a.folder);
		else
			xasprintf(&s, "flags %c%c of UID %u in '%s'",
			    a.u.flags.sign, a.u.flags.letter, j->uid, a.folder);
		break;
	case JOURNAL_EXPUNGE:
		xasprintf(&s, "expunge of UIDs %s in '%s'", a.u.expunge.uids,
		    a.folder);
		break;
	case JOURNAL_MOVEBACK:
		xasprintf(&s, "move back of UID %u from '%s' to '%s'",
		    a.u.moveback.uid, a.folder, a.u.moveback.to);
		break;
	case JOURNAL_MOVE:
	case JOURNAL_COPY:
		xasprintf(&s, "%s of UID %u from '%s' to '%s'",
		    journal_op_name(a.op), j->uid, a.folder, a.u.move.dest);
		break;
	case JOURNAL_SEND:
		xasprintf(&s, "send of outbox message %s", a.u.send.id);
		break;
	case JOURNAL_APPEND:
		xasprintf(&s, "append of outbox message %s to '%s'",
		    a.u.append.id, a.folder);
		break;
	default:
		xasprintf(&s, "%s (unknown to this errand)", j->op);
		break;
	}
	journal_args_clear(&a);
	return s;
}

char *
journal_folder(const struct store_journal *j)
{
	struct journal_args a;
	char *s;

	if (journal_decode(j->op, j->arg, &a, NULL) != 0)
		return NULL;
	s = a.folder;
	a.folder = NULL;
	journal_args_clear(&a);
	return s;
}

char *
journal_retarget_arg(const struct store_journal *j, uint32_t uid)
{
	struct journal_args a;
	char *s = NULL;

	if (journal_decode(j->op, j->arg, &a, NULL) == 0) {
		if (a.op == JOURNAL_FLAGS)
			a.u.flags.modseq = 0;
		else if (a.op == JOURNAL_MOVEBACK && uid != 0)
			a.u.moveback.uid = uid;
		s = journal_encode(&a);
		journal_args_clear(&a);
	}
	return s != NULL ? s : xstrdup(j->arg != NULL ? j->arg : "");
}

char *
journal_path(const char *account)
{
	char *dir, *s;

	if ((dir = maildir_default_path(account)) == NULL)
		return NULL;
	xasprintf(&s, "%s/errand-journal.db", dir);
	free(dir);
	return s;
}

struct journal_msgs {
	struct {
		int64_t folder;
		uint32_t uid;
	} * m;
	size_t n;
};

/* The messages whose cached flags pending rows change. */
static int
journal_collect(const struct store_journal *j, void *arg)
{
	struct journal_msgs *ms = arg;
	const char *op = j->op != NULL ? j->op : "";

	if (j->state == STORE_JOURNAL_HELD || j->uid == 0 ||
	    (strcmp(op, journal_names[JOURNAL_FLAGS]) != 0 &&
	        strcmp(op, journal_names[JOURNAL_MOVE]) != 0))
		return 0;
	if (ms->n > 0 && ms->m[ms->n - 1].folder == j->folder &&
	    ms->m[ms->n - 1].uid == j->uid)
		return 0;
	ms->m = xreallocarray(ms->m, ms->n + 1, sizeof *ms->m);
	ms->m[ms->n].folder = j->folder;
	ms->m[ms->n++].uid = j->uid;
	return 0;
}

int
journal_open(struct store *st, const char *account, char **err)
{
	struct journal_msgs ms;
	struct store_msg m;
	unsigned int flags;
	char *path, *kw;
	size_t i;
	int rc = 0;

	*err = NULL;
	if ((path = journal_path(account)) == NULL) {
		*err = xstrdup("neither XDG_DATA_HOME nor HOME is set");
		return -1;
	}
	rc = store_journal_attach(st, path, err);
	free(path);
	if (rc != 0)
		return -1;
	/* A change whose row was written but not its cache change (a crash
	 * between the two, a cache made again) shows again. */
	memset(&ms, 0, sizeof ms);
	if (store_journal_foreach(st, journal_collect, &ms) < 0) {
		*err = xstrdup(store_error(st));
		return -1;
	}
	for (i = 0; i < ms.n && rc == 0; i++) {
		if (store_msg_get(st, ms.m[i].folder, ms.m[i].uid, &m) != 0)
			continue;
		flags = live_pending_flags(
		    st, ms.m[i].folder, ms.m[i].uid, m.flags);
		kw = live_pending_keywords(
		    st, ms.m[i].folder, ms.m[i].uid, m.keywords);
		if ((flags != m.flags || strcmp(kw, m.keywords) != 0) &&
		    store_msg_set_flags(
		        st, ms.m[i].folder, ms.m[i].uid, flags, kw, 0) != 0) {
			*err = xstrdup(store_error(st));
			rc = -1;
		}
		free(kw);
	}
	free(ms.m);
	return rc;
}
