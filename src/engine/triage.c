/* errand: a terminal mail user agent. See LICENSE.
 * Triage in the engine: each operation builds its change (src/engine/journal.h's
 * row and the message row's new flags), writes the row first and the
 * cache after, queueing what meets another process's lock, and wakes the
 * backend. The interface and headless commands only call these. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "engine/journal.h"
#include "engine/live.h"
#include "engine/triage.h"
#include "xmalloc.h"
#include "cache/store.h"

void
triage_init(struct triage *t, struct store *st, void (*wake)(void *),
    int (*prepare)(void *), void *arg)
{
	memset(t, 0, sizeof *t);
	t->st = st;
	t->wake = wake;
	t->prepare = prepare;
	t->arg = arg;
}

static void
triage_change_free(struct triage_change *c)
{
	free(c->keywords);
	free(c->op);
	free(c->arg);
	free(c->message_ids);
}

void
triage_set_backend(struct triage *t, struct backend *be)
{
	t->be = be;
}

void
triage_clear(struct triage *t)
{
	size_t i;

	for (i = 0; i < t->nqueue; i++)
		triage_change_free(&t->queue[i]);
	free(t->queue);
	t->queue = NULL;
	t->nqueue = 0;
	triage_undo_clear(t);
	free(t->undo);
	t->undo = NULL;
	free(t->qmap);
	t->qmap = NULL;
	t->qmaplen = 0;
}

#define TRIAGE_QMAP_MAX (1u << 21) /* bytes: UIDs up to 16 million */

/* Note that uid has a queued change. */
static void
triage_qmark(struct triage *t, uint32_t uid)
{
	size_t need = uid / 8 + 1, n;

	if (need > TRIAGE_QMAP_MAX)
		return; /* always looked for */
	if (need > t->qmaplen) {
		n = t->qmaplen == 0 ? 1024 : t->qmaplen;
		while (n < need)
			n *= 2;
		t->qmap = xreallocarray(t->qmap, n, 1);
		memset(t->qmap + t->qmaplen, 0, n - t->qmaplen);
		t->qmaplen = n;
	}
	t->qmap[uid / 8] |= (unsigned char)(1u << (uid % 8));
}

/* Whether uid may have a queued change. */
static int
triage_queued(const struct triage *t, uint32_t uid)
{
	if (t->nqueue == 0)
		return 0;
	if (uid / 8 + 1 > TRIAGE_QMAP_MAX)
		return 1;
	return uid / 8 < t->qmaplen &&
	    (t->qmap[uid / 8] & (1u << (uid % 8))) != 0;
}

/* Write one change: its journal row first, on disk by itself, then the
 * message row's flags (when set_flags). A crash between the two loses
 * nothing: the next start shows the row's change again. 0, or -1 with
 * the store's error (c->journaled says whether the row is written). */
/* The cached folder called name, or -1 and *err naming it. */
static int
triage_folder(
    struct triage *t, const char *name, struct store_folder *f, char **err)
{
	if (store_folder_get(t->st, name, f) == 0)
		return 0;
	xasprintf(err, "no folder '%s'", name);
	return -1;
}

static int
triage_write(struct triage *t, struct triage_change *c)
{
	struct store_journal j;

	memset(&j, 0, sizeof j);
	j.folder = c->folder;
	j.uid = c->uid;
	j.op = c->op;
	j.arg = c->arg;
	j.uidvalidity = c->uidvalidity;
	j.message_id = c->message_ids;
	if (t->prepare != NULL && t->prepare(t->arg) != 0)
		return -1;
	if (!c->journaled) {
		if (store_journal_put(t->st, &j, NULL) != 0)
			return -1;
		c->journaled = 1;
	}
	if (!c->set_flags)
		return 0;
	if (store_begin(t->st) != 0 ||
	    store_msg_set_flags(
	        t->st, c->folder, c->uid, c->flags, c->keywords, 0) != 0 ||
	    store_commit(t->st) != 0) {
		if (store_in_transaction(t->st))
			store_rollback(t->st);
		return -1;
	}
	return 0;
}

/* Write a change now, or queue a copy behind those waiting when another
 * process holds the cache (or the row is written and only the cache
 * failed): 0 either way, the change is made. -1 with *err otherwise. */
static int
triage_commit(struct triage *t, struct triage_change *c, char **err)
{
	struct triage_change *q;
	int rc = 0;

	if (t->nqueue == 0 && !t->batch && triage_write(t, c) == 0)
		goto out;
	if (t->nqueue == 0 && !t->batch && !store_locked(t->st) &&
	    !c->journaled) {
		*err = xstrdup(store_error(t->st));
		return -1;
	}
	t->queue = xreallocarray(t->queue, t->nqueue + 1, sizeof *t->queue);
	q = &t->queue[t->nqueue++];
	*q = *c;
	q->keywords = c->keywords != NULL ? xstrdup(c->keywords) : NULL;
	q->op = xstrdup(c->op);
	q->arg = xstrdup(c->arg);
	q->message_ids =
	    c->message_ids != NULL ? xstrdup(c->message_ids) : NULL;
	triage_qmark(t, c->uid);
out:
	if (c->journaled && t->wake != NULL)
		t->wake(t->arg);
	return rc;
}

/* The whole queue in two commits: its rows, then the cache. 0, or -1
 * with what is written marked (the rest goes one by one). */
static int
triage_flush_all(struct triage *t)
{
	struct store_journal j;
	size_t i;
	int rows = 0;

	if (t->prepare != NULL && t->prepare(t->arg) != 0)
		return -1;
	if (store_begin(t->st) != 0)
		return -1;
	for (i = 0; i < t->nqueue; i++) {
		if (t->queue[i].journaled)
			continue;
		memset(&j, 0, sizeof j);
		j.folder = t->queue[i].folder;
		j.uid = t->queue[i].uid;
		j.op = t->queue[i].op;
		j.arg = t->queue[i].arg;
		j.uidvalidity = t->queue[i].uidvalidity;
		j.message_id = t->queue[i].message_ids;
		if (store_journal_put(t->st, &j, NULL) != 0) {
			store_rollback(t->st);
			return -1;
		}
		rows++;
	}
	if (store_commit(t->st) != 0) {
		if (store_in_transaction(t->st))
			store_rollback(t->st);
		return -1;
	}
	for (i = 0; i < t->nqueue; i++)
		t->queue[i].journaled = 1;
	if (rows > 0 && t->wake != NULL)
		t->wake(t->arg);
	if (store_begin(t->st) != 0)
		return -1;
	for (i = 0; i < t->nqueue; i++) {
		if (t->queue[i].set_flags &&
		    store_msg_set_flags(t->st, t->queue[i].folder,
		        t->queue[i].uid, t->queue[i].flags,
		        t->queue[i].keywords, 0) != 0) {
			store_rollback(t->st);
			return -1;
		}
	}
	if (store_commit(t->st) != 0) {
		if (store_in_transaction(t->st))
			store_rollback(t->st);
		return -1;
	}
	triage_clear(t);
	return 0;
}

int
triage_flush(struct triage *t)
{
	size_t i, done = 0, rows = 0;

	if (t->nqueue > 1 && triage_flush_all(t) == 0)
		return 0;

	while (done < t->nqueue) {
		i = t->queue[done].journaled;
		if (triage_write(t, &t->queue[done]) != 0) {
			rows += !i && t->queue[done].journaled;
			break;
		}
		rows += !i;
		done++;
	}
	for (i = 0; i < done; i++)
		triage_change_free(&t->queue[i]);
	t->nqueue -= done;
	if (done > 0 && t->nqueue > 0)
		memmove(
		    t->queue, t->queue + done, t->nqueue * sizeof *t->queue);
	if ((done > 0 || rows > 0) && t->wake != NULL)
		t->wake(t->arg);
	return t->nqueue == 0 ? 0 : -1;
}

int64_t
triage_pending(struct triage *t)
{
	int64_t n = 0;
	size_t i;

	if (store_journal_count(t->st, &n) != 0)
		n = 0;
	for (i = 0; i < t->nqueue; i++)
		if (!t->queue[i].journaled)
			n++;
	return n;
}

unsigned int
triage_flags(
    const struct triage *t, int64_t folder, uint32_t uid, unsigned int flags)
{
	size_t i;

	if (!triage_queued(t, uid))
		return flags;
	for (i = 0; i < t->nqueue; i++) {
		if (t->queue[i].folder == folder && t->queue[i].uid == uid &&
		    t->queue[i].set_flags)
			flags = t->queue[i].flags;
	}
	return flags;
}

/* A message's keywords as the queue will leave them: the newest queued
 * change's, else cached. */
static const char *
triage_keywords(
    const struct triage *t, int64_t folder, uint32_t uid, const char *cached)
{
	size_t i;

	if (!triage_queued(t, uid))
		return cached;
	for (i = t->nqueue; i > 0; i--) {
		if (t->queue[i - 1].folder == folder &&
		    t->queue[i - 1].uid == uid && t->queue[i - 1].set_flags)
			return t->queue[i - 1].keywords;
	}
	return cached;
}

int
triage_keyword(struct triage *t, const char *folder, uint32_t uid,
    const char *keyword, int set, char **err)
{
	struct store_folder f;
	struct store_msg m;
	struct triage_change c;
	const char *why;
	char *kw;
	int rc;

	*err = NULL;
	if ((why = journal_keyword_bad(keyword)) != NULL) {
		xasprintf(err, "bad keyword '%s': %s", keyword, why);
		return -1;
	}
	if (triage_folder(t, folder, &f, err) != 0)
		return -1;
	if (store_msg_get(t->st, f.id, uid, &m) != 0) {
		xasprintf(err, "message %u is no longer in the cache", uid);
		store_folder_clear(&f);
		return -1;
	}
	kw = journal_keywords_edit(
	    triage_keywords(t, f.id, uid, m.keywords), keyword, set);
	if (kw == NULL) {
		store_folder_clear(&f);
		return 1;
	}
	memset(&c, 0, sizeof c);
	c.arg = journal_keyword_arg(
	    set ? '+' : '-', keyword, t->batch ? 0 : m.modseq, f.raw_name);
	if (c.arg == NULL) {
		xasprintf(
		    err, "cannot journal a keyword change in '%s'", folder);
		free(kw);
		store_folder_clear(&f);
		return -1;
	}
	c.folder = f.id;
	c.uid = uid;
	c.set_flags = 1;
	c.flags = triage_flags(t, f.id, uid, m.flags);
	c.keywords = kw;
	c.op = (char *)journal_op_name(JOURNAL_FLAGS);
	c.uidvalidity = f.uidvalidity;
	c.message_ids = (char *)m.message_id;
	rc = triage_commit(t, &c, err);
	free(c.arg);
	free(kw);
	store_folder_clear(&f);
	return rc;
}

int
triage_flag(struct triage *t, const char *folder, uint32_t uid, char letter,
    int set, unsigned int *flagsp, int *was, char **err)
{
	struct store_folder f;
	struct store_msg m;
	struct triage_change c;
	unsigned int bit = live_flag_bit(letter, 1), flags;
	int rc;

	*err = NULL;
	if (bit == 0) {
		xasprintf(err, "no flag '%c'", letter);
		return -1;
	}
	if (triage_folder(t, folder, &f, err) != 0)
		return -1;
	if (store_msg_get(t->st, f.id, uid, &m) != 0) {
		xasprintf(err, "message %u is no longer in the cache", uid);
		store_folder_clear(&f);
		return -1;
	}
	m.flags = triage_flags(t, f.id, uid, m.flags);
	if (set < 0)
		set = !(m.flags & bit);
	flags = set ? m.flags | bit : m.flags & ~bit;
	if (was != NULL)
		*was = (m.flags & bit) != 0;
	if (flagsp != NULL)
		*flagsp = flags;
	if (flags == m.flags) {
		store_folder_clear(&f);
		return 1;
	}
	memset(&c, 0, sizeof c);
	/* A batch (a script) says what it wants whatever changed since: no
	 * MODSEQ to check, and its rows go as one UID STORE. */
	c.arg = journal_flags_arg(
	    set ? '+' : '-', letter, t->batch ? 0 : m.modseq, f.raw_name);
	if (c.arg == NULL) {
		xasprintf(err, "cannot journal a flag change in '%s'", folder);
		store_folder_clear(&f);
		return -1;
	}
	c.folder = f.id;
	c.uid = uid;
	c.set_flags = 1;
	c.flags = flags;
	c.keywords = (char *)triage_keywords(t, f.id, uid, m.keywords);
	c.op = (char *)journal_op_name(JOURNAL_FLAGS);
	c.uidvalidity = f.uidvalidity;
	c.message_ids = (char *)m.message_id;
	rc = triage_commit(t, &c, err);
	free(c.arg);
	store_folder_clear(&f);
	return rc;
}

int
triage_move(struct triage *t, const char *folder, uint32_t uid,
    const char *dest, int copy, char **err)
{
	struct store_folder f, d;
	struct store_msg m;
	struct triage_change c;
	int rc = -1;

	*err = NULL;
	if (triage_folder(t, folder, &f, err) != 0)
		return -1;
	if (store_folder_get(t->st, dest, &d) != 0) {
		xasprintf(err, "no folder '%s'", dest);
		store_folder_clear(&f);
		return -1;
	}
	memset(&c, 0, sizeof c);
	if (d.id == f.id || d.noselect) {
		xasprintf(err, "cannot %s to '%s'%s", copy ? "copy" : "move",
		    dest,
		    d.noselect ? ": it holds folders only" : ": same folder");
		goto out;
	}
	if ((c.arg = journal_move_arg(d.raw_name, f.raw_name)) == NULL) {
		xasprintf(err, "cannot %s to '%s': cannot journal it",
		    copy ? "copy" : "move", dest);
		goto out;
	}
	if (store_msg_get(t->st, f.id, uid, &m) != 0) {
		xasprintf(err, "message %u is no longer in the cache", uid);
		goto out;
	}
	/* A move leaves the folder at once; the journal row makes it real. */
	c.folder = f.id;
	c.uid = uid;
	c.set_flags = !copy;
	c.flags = triage_flags(t, f.id, uid, m.flags) | STORE_FLAG_HIDDEN;
	c.keywords = (char *)triage_keywords(t, f.id, uid, m.keywords);
	c.op = (char *)journal_op_name(copy ? JOURNAL_COPY : JOURNAL_MOVE);
	c.uidvalidity = f.uidvalidity;
	c.message_ids = (char *)m.message_id;
	rc = triage_commit(t, &c, err);
out:
	free(c.arg);
	store_folder_clear(&f);
	store_folder_clear(&d);
	return rc;
}

int
triage_expunge(struct triage *t, const char *folder, const char *uids,
    const char *message_ids, char **err)
{
	struct store_folder f;
	struct triage_change c;
	int rc;

	*err = NULL;
	if (triage_folder(t, folder, &f, err) != 0)
		return -1;
	memset(&c, 0, sizeof c);
	if ((c.arg = journal_expunge_arg(uids, f.raw_name)) == NULL) {
		xasprintf(err, "cannot journal an expunge in '%s'", folder);
		store_folder_clear(&f);
		return -1;
	}
	/* With the messages' Message-IDs, for errand push --retarget. */
	c.folder = f.id;
	c.op = (char *)journal_op_name(JOURNAL_EXPUNGE);
	c.message_ids = (char *)message_ids;
	c.uidvalidity = f.uidvalidity;
	rc = triage_commit(t, &c, err);
	free(c.arg);
	store_folder_clear(&f);
	return rc;
}

/* The journal row of a move of uid not yet sent: its id, or 0. */
struct triage_find {
	int64_t folder, id;
	uint32_t uid;
};

static int
triage_find_cb(const struct store_journal *j, void *arg)
{
	struct triage_find *f = arg;

	if (j->folder == f->folder && j->uid == f->uid &&
	    strcmp(j->op, journal_op_name(JOURNAL_MOVE)) == 0)
		f->id = j->id;
	return 0;
}

int
triage_unmove(struct triage *t, const char *folder, uint32_t uid,
    const char *dest_raw, uint32_t dest_uid, uint32_t dest_uidvalidity,
    int (*in_flight)(int64_t, void *), void *arg, char **err)
{
	struct store_folder f;
	struct store_msg m;
	struct store_journal j;
	struct triage_find fm;
	int rc;

	*err = NULL;
	if (triage_folder(t, folder, &f, err) != 0)
		return -1;
	memset(&fm, 0, sizeof fm);
	fm.folder = f.id;
	fm.uid = uid;
	if ((t->prepare != NULL && t->prepare(t->arg) != 0) ||
	    store_journal_foreach(t->st, triage_find_cb, &fm) < 0) {
		*err = xstrdup(store_error(t->st));
		store_folder_clear(&f);
		return -1;
	}
	if (fm.id != 0 && in_flight != NULL && in_flight(fm.id, arg)) {
		store_folder_clear(&f);
		return 1;
	}
	if (fm.id != 0) {
		/* Not sent: the row goes, the message shows again. */
		rc = store_journal_remove(t->st, fm.id);
		if (rc == 0 && store_msg_get(t->st, f.id, uid, &m) == 0)
			rc = store_msg_set_flags(t->st, f.id, uid,
			    m.flags & ~STORE_FLAG_HIDDEN, m.keywords, 0);
		if (rc != 0)
			*err = xstrdup(store_error(t->st));
		store_folder_clear(&f);
		return rc != 0 ? -1 : 0;
	}
	/* Done on the server: move it back from there. */
	if (dest_raw == NULL || dest_uid == 0) {
		*err = xstrdup("the server did not say where the message went "
		               "(no UIDPLUS)");
		store_folder_clear(&f);
		return -1;
	}
	memset(&j, 0, sizeof j);
	j.arg = journal_moveback_arg(dest_uid, dest_raw, f.raw_name);
	if (j.arg == NULL) {
		xasprintf(err, "cannot journal a move back to '%s'", folder);
		store_folder_clear(&f);
		return -1;
	}
	/* The UID is the destination's, under its UIDVALIDITY (COPYUID). */
	j.folder = f.id;
	j.op = journal_op_name(JOURNAL_MOVEBACK);
	j.uidvalidity = dest_uidvalidity;
	rc = store_journal_put(t->st, &j, NULL);
	free((char *)j.arg);
	store_folder_clear(&f);
	if (rc != 0) {
		*err = xstrdup(store_error(t->st));
		return -1;
	}
	if (t->wake != NULL)
		t->wake(t->arg);
	return 0;
}

/* --- through the backend, with undo -------------------------------------- */

/* Remember a change for undo (not while undoing). */
static void
triage_undo_note(struct triage *t, uint32_t uid, char letter, int was_set)
{
	if (t->undoing)
		return;
	t->undo = xreallocarray(t->undo, t->nundo + 1, sizeof *t->undo);
	memset(&t->undo[t->nundo], 0, sizeof *t->undo);
	t->undo[t->nundo].uid = uid;
	t->undo[t->nundo].letter = letter;
	t->undo[t->nundo].was_set = was_set;
	t->nundo++;
}

/* Forget the change just noted: it was not made. */
static void
triage_undo_drop(struct triage *t)
{
	if (!t->undoing && t->nundo > 0)
		free(t->undo[--t->nundo].dest_raw);
}

void
triage_undo_clear(struct triage *t)
{
	size_t i;

	for (i = 0; i < t->nundo; i++)
		free(t->undo[i].dest_raw);
	t->nundo = 0;
}

void
triage_moved(struct triage *t, uint32_t uid, const char *dest_raw,
    uint32_t dest_uidvalidity, uint32_t dest_uid)
{
	size_t i;

	for (i = 0; i < t->nundo; i++) {
		if (t->undo[i].letter == 'M' && t->undo[i].uid == uid) {
			free(t->undo[i].dest_raw);
			t->undo[i].dest_raw = xstrdup(dest_raw);
			t->undo[i].dest_uid = dest_uid;
			t->undo[i].dest_uidvalidity = dest_uidvalidity;
		}
	}
}

int
triage_mark(struct triage *t, const char *folder, uint32_t uid, char letter,
    int set, unsigned int *flagsp, char **err)
{
	struct store_folder f;
	struct store_msg m;
	unsigned int bit = live_flag_bit(letter, 1), flags;
	int rc;

	*err = NULL;
	if (bit == 0) {
		xasprintf(err, "no flag '%c'", letter);
		return -1;
	}
	if (triage_folder(t, folder, &f, err) != 0)
		return -1;
	rc = store_msg_get(t->st, f.id, uid, &m);
	if (rc != 0) {
		xasprintf(err, "message %u is no longer in the cache", uid);
		store_folder_clear(&f);
		return -1;
	}
	/* The flags as the queue will leave them: the cache's are stale
	 * while changes to the message wait. */
	m.flags = triage_flags(t, f.id, uid, m.flags);
	store_folder_clear(&f);
	if (set < 0)
		set = !(m.flags & bit);
	flags = set ? m.flags | bit : m.flags & ~bit;
	if (flags == m.flags)
		return 1;
	triage_undo_note(t, uid, letter, (m.flags & bit) != 0);
	rc = t->be != NULL
	    ? t->be->ops->set_flags(t->be, folder, uid, flags, err)
	    : 1;
	if (rc == 1 &&
	    triage_flag(t, folder, uid, letter, set, &flags, NULL, err) < 0)
		rc = -1;
	if (rc < 0) {
		triage_undo_drop(t);
		return -1;
	}
	if (flagsp != NULL)
		*flagsp = flags;
	return 0;
}

int
triage_file(struct triage *t, const char *folder, uint32_t uid,
    const char *dest, int copy, char **dest_name, char **err)
{
	struct store_folder f, d;
	uint32_t duid = 0;
	int rc;

	*err = NULL;
	*dest_name = NULL;
	if (triage_folder(t, folder, &f, err) != 0)
		return -1;
	if (store_folder_get(t->st, dest, &d) != 0) {
		xasprintf(err, "no folder '%s'", dest);
		store_folder_clear(&f);
		return -1;
	}
	if (d.id == f.id || d.noselect) {
		xasprintf(err, "cannot %s to '%s'%s", copy ? "copy" : "move",
		    dest,
		    d.noselect ? ": it holds folders only" : ": same folder");
		store_folder_clear(&f);
		store_folder_clear(&d);
		return -1;
	}
	store_folder_clear(&f);
	rc = t->be != NULL
	    ? t->be->ops->move(t->be, folder, uid, d.name, copy, &duid, err)
	    : 1;
	if (rc == 1 && triage_move(t, folder, uid, d.name, copy, err) != 0)
		rc = -1;
	if (rc < 0) {
		store_folder_clear(&d);
		return -1;
	}
	if (!copy) {
		triage_undo_note(t, uid, 'M', 0);
		/* Done at home: where it went is known now. */
		if (rc == 0)
			triage_moved(t, uid, d.name, 0, duid);
	}
	*dest_name = xstrdup(d.name);
	store_folder_clear(&d);
	return 0;
}

/* The UIDs as a set ("12,40,41") and their Message-IDs, space separated
 * (*ids NULL when one has none, or one a search could not name). */
static char *
triage_uid_set(struct triage *t, int64_t folder, const uint32_t *uids, size_t n,
    char **ids)
{
	struct store_msg m;
	size_t i, len = 0, cap = 0, ilen = 0, icap = 0, need;
	char *s = NULL, *id = NULL;
	int w, named = 1;

	for (i = 0; i < n; i++) {
		/* One growing buffer: "12,40,41" for any count. */
		if (len + 12 > cap) {
			cap = cap == 0 ? 256 : cap * 2;
			s = xreallocarray(s, cap, 1);
		}
		w = snprintf(
		    s + len, cap - len, "%s%u", len > 0 ? "," : "", uids[i]);
		len += (size_t)w;
		if (!named)
			continue;
		if (store_msg_get(t->st, folder, uids[i], &m) != 0 ||
		    *m.message_id == '\0' ||
		    strpbrk(m.message_id, " \t") != NULL) {
			named = 0;
			continue;
		}
		need = ilen + strlen(m.message_id) + 2;
		if (need > icap) {
			icap = need > icap * 2 ? need : icap * 2;
			id = xreallocarray(id, icap, 1);
		}
		if (ilen > 0)
			id[ilen++] = ' ';
		memcpy(id + ilen, m.message_id, strlen(m.message_id) + 1);
		ilen += strlen(m.message_id);
	}
	if (!named) {
		free(id);
		id = NULL;
	}
	*ids = id;
	return s;
}

int
triage_purge(struct triage *t, const char *folder, const uint32_t *uids,
    size_t n, uint32_t *count, char **err)
{
	struct store_folder f;
	char *set, *ids;
	int rc;

	*err = NULL;
	*count = (uint32_t)n;
	rc = t->be != NULL ? t->be->ops->expunge(t->be, folder, count, err) : 1;
	if (rc != 1) {
		triage_undo_clear(t);
		return rc < 0 ? -1 : 0;
	}
	if (triage_folder(t, folder, &f, err) != 0)
		return -1;
	set = triage_uid_set(t, f.id, uids, n, &ids);
	store_folder_clear(&f);
	rc = triage_expunge(t, folder, set, ids, err);
	free(set);
	free(ids);
	return rc < 0 ? -1 : 1;
}

/* Whether the backend is sending the journal row id right now. */
static int
triage_in_flight(int64_t id, void *arg)
{
	struct triage *t = arg;

	return t->be != NULL && backend_in_flight(t->be, id);
}

enum triage_undo_result
triage_undo(struct triage *t, const char *folder, char **err)
{
	struct triage_undo *u;
	unsigned int flags;
	size_t i;
	char *why;
	int rc;

	*err = NULL;
	if (t->nundo == 0)
		return TRIAGE_UNDO_NONE;
	t->undoing = 1;
	for (i = t->nundo; i > 0; i--) {
		u = &t->undo[i - 1];
		if (u->letter != 'M') {
			/* What fails stays as it is; the rest goes back. */
			if (triage_mark(t, folder, u->uid, u->letter,
			        u->was_set, &flags, &why) < 0)
				free(why);
			continue;
		}
		/* Local folders: the file goes back at once (0); IMAP
		 * through the journal (1). */
		rc = u->dest_raw != NULL && t->be != NULL
		    ? t->be->ops->move(
		          t->be, u->dest_raw, u->dest_uid, folder, 0, NULL, err)
		    : 1;
		if (rc < 0) {
			t->undoing = 0;
			triage_undo_clear(t);
			return TRIAGE_UNDO_FAILED;
		}
		if (rc == 0)
			continue;
		rc = triage_unmove(t, folder, u->uid, u->dest_raw, u->dest_uid,
		    u->dest_uidvalidity, triage_in_flight, t, &why);
		if (rc == 1) {
			t->undoing = 0;
			return TRIAGE_UNDO_BUSY;
		}
		if (rc != 0)
			free(why);
	}
	t->undoing = 0;
	triage_undo_clear(t);
	return TRIAGE_UNDONE;
}
