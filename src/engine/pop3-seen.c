/* errand: a terminal mail user agent. See LICENSE.
 * The POP3 fetch state in the Maildir (errand-pop3.db): one SQLite table of
 * the ids safe at home, WAL with every commit synced, so that a batch of
 * messages costs one commit; and the ",P=TAG" digest errand puts in the name
 * of each file it fetches, from which the state can be rebuilt. */

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "engine/pop3-seen.h"
#include "xmalloc.h"

enum ps_stmt {
	PS_ADD,
	PS_REMOVE,
	PS_LIST,
	PS__COUNT,
};

static const char *ps_sql[PS__COUNT] = {
    [PS_ADD] = ("INSERT OR REPLACE INTO fetched (id, fetched_at) "
                "VALUES (?1, ?2)"),
    [PS_REMOVE] = "DELETE FROM fetched WHERE id = ?1",
    [PS_LIST] = "SELECT id, fetched_at FROM fetched ORDER BY id",
};

struct pop3_seen {
	char *path;
	sqlite3 *db;
	sqlite3_stmt *stmt[PS__COUNT];
	char *error;
};

static int ps_fail(struct pop3_seen *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int ps_open_db(struct pop3_seen *, char **);
static void ps_close_db(struct pop3_seen *);
static sqlite3_stmt *ps_stmt(struct pop3_seen *, enum ps_stmt);
static int ps_exec(struct pop3_seen *, const char *, const char *);

/* Keep the first line of an error: "WHAT in 'PATH': SQLITE". */
static int
ps_fail(struct pop3_seen *s, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	xvasprintf(&what, fmt, ap);
	va_end(ap);
	free(s->error);
	xasprintf(&s->error, "%s in '%s': %s", what, s->path,
	    s->db != NULL ? sqlite3_errmsg(s->db) : "not open");
	free(what);
	return -1;
}

static int
ps_exec(struct pop3_seen *s, const char *sql, const char *what)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ps_fail(s, "%s", what);
	return 0;
}

static sqlite3_stmt *
ps_stmt(struct pop3_seen *s, enum ps_stmt k)
{
	if (s->stmt[k] == NULL &&
	    sqlite3_prepare_v2(s->db, ps_sql[k], -1, &s->stmt[k], NULL) !=
	        SQLITE_OK)
		return NULL;
	return s->stmt[k];
}

/* Open, set up and check the database; 0, or -1 with *why (the caller's)
 * when it is damaged or cannot be opened. */
static int
ps_open_db(struct pop3_seen *s, char **why)
{
	static const char *setup[] = {
	    "PRAGMA journal_mode = WAL",
	    /* Every commit on disk: a DELE follows it. */
	    "PRAGMA synchronous = FULL",
	    "CREATE TABLE IF NOT EXISTS fetched ("
	    " id TEXT PRIMARY KEY,"
	    " fetched_at INTEGER NOT NULL) WITHOUT ROWID",
	};
	sqlite3_stmt *st = NULL;
	const char *ok;
	size_t i;
	int rc;

	*why = NULL;
	rc = sqlite3_open_v2(s->path, &s->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(s->db, 10000);
	rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		ok = (const char *)sqlite3_column_text(st, 0);
		if (ok == NULL || strcmp(ok, "ok") != 0) {
			xasprintf(why, "%s", ok != NULL ? ok : "damaged");
			sqlite3_finalize(st);
			return -1;
		}
	} else
		rc = sqlite3_errcode(s->db);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		goto fail;
	for (i = 0; i < sizeof setup / sizeof setup[0]; i++) {
		rc = sqlite3_exec(s->db, setup[i], NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			goto fail;
	}
	return 0;
fail:
	xasprintf(why, "%s",
	    s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return -1;
}

static void
ps_close_db(struct pop3_seen *s)
{
	size_t i;

	for (i = 0; i < PS__COUNT; i++) {
		sqlite3_finalize(s->stmt[i]);
		s->stmt[i] = NULL;
	}
	if (s->db != NULL && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(s->db);
	s->db = NULL;
}

struct pop3_seen *
pop3_seen_open(const char *path, int *created, char **note, char **err)
{
	static const char *side[] = {"", "-wal", "-shm"};
	struct pop3_seen *s;
	struct stat sb;
	char *why, *from, *to, *aside;
	size_t i;
	int rc;

	*err = NULL;
	if (note != NULL)
		*note = NULL;
	s = xcalloc(1, sizeof *s);
	xasprintf(&s->path, "%s/%s", path, POP3_SEEN_FILE);
	s->error = xstrdup("");
	rc = stat(s->path, &sb);
	if (created != NULL)
		*created = rc != 0 && errno == ENOENT;
	if (ps_open_db(s, &why) == 0)
		return s;
	ps_close_db(s);
	if (rc != 0) { /* not there, and cannot be made */
		xasprintf(err, "cannot open '%s': %s", s->path, why);
		goto fail;
	}
	/* Damaged: aside, and a new one (rebuilt from the Maildir). */
	xasprintf(&aside, "%s.damaged-%lld", s->path, (long long)time(NULL));
	for (i = 0; i < sizeof side / sizeof side[0]; i++) {
		xasprintf(&from, "%s%s", s->path, side[i]);
		xasprintf(&to, "%s%s", aside, side[i]);
		if (rename(from, to) != 0 && errno != ENOENT && i == 0) {
			xasprintf(err,
			    "cannot open '%s': %s; cannot move it aside: %s",
			    s->path, why, strerror(errno));
			free(from);
			free(to);
			free(aside);
			goto fail;
		}
		free(from);
		free(to);
	}
	if (note != NULL)
		xasprintf(note,
		    "'%s' was damaged (%s) and was moved to '%s'; the POP3 "
		    "state is rebuilt from the Maildir",
		    s->path, why, aside);
	free(aside);
	free(why);
	if (created != NULL)
		*created = 1;
	if (ps_open_db(s, &why) == 0)
		return s;
	xasprintf(err, "cannot open '%s': %s", s->path, why);
fail:
	free(why);
	pop3_seen_close(s);
	return NULL;
}

void
pop3_seen_close(struct pop3_seen *s)
{
	if (s == NULL)
		return;
	ps_close_db(s);
	free(s->path);
	free(s->error);
	free(s);
}

const char *
pop3_seen_error(const struct pop3_seen *s)
{
	return s->error;
}

int
pop3_seen_begin(struct pop3_seen *s)
{
	return ps_exec(s, "BEGIN IMMEDIATE", "cannot begin a transaction");
}

int
pop3_seen_commit(struct pop3_seen *s)
{
	return ps_exec(s, "COMMIT", "cannot commit the POP3 state");
}

void
pop3_seen_rollback(struct pop3_seen *s)
{
	if (s->db != NULL && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int
pop3_seen_add(struct pop3_seen *s, const char *id, int64_t fetched_at)
{
	sqlite3_stmt *st;
	int rc;

	if (id == NULL || *id == '\0')
		return ps_fail(s, "cannot record a POP3 message without id");
	if ((st = ps_stmt(s, PS_ADD)) == NULL)
		return ps_fail(s, "cannot record POP3 message '%s'", id);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, fetched_at);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return ps_fail(s, "cannot record POP3 message '%s'", id);
	return 0;
}

int
pop3_seen_remove(struct pop3_seen *s, const char *id)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = ps_stmt(s, PS_REMOVE)) == NULL)
		return ps_fail(s, "cannot forget POP3 message '%s'", id);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return ps_fail(s, "cannot forget POP3 message '%s'", id);
	return 0;
}

int
pop3_seen_foreach(struct pop3_seen *s, pop3_seen_cb cb, void *arg)
{
	sqlite3_stmt *st;
	const char *id;
	int rc, stop = 0;

	if ((st = ps_stmt(s, PS_LIST)) == NULL)
		return ps_fail(s, "cannot read the POP3 state");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		if (id != NULL &&
		    (stop = cb(id, sqlite3_column_int64(st, 1), arg)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (stop != 0)
		return stop;
	if (rc != SQLITE_DONE)
		return ps_fail(s, "cannot read the POP3 state");
	return 0;
}

void
pop3_seen_tag(const char *id, char tag[POP3_SEEN_TAG_LEN + 1])
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;

	if (EVP_Digest(id, strlen(id), dg, &dlen, EVP_sha256(), NULL) != 1 ||
	    dlen < POP3_SEEN_TAG_LEN / 2)
		fatalx("%s: SHA-256 failed", __func__);
	for (i = 0; i < POP3_SEEN_TAG_LEN / 2; i++)
		snprintf(tag + 2 * i, 3, "%02x", dg[i]);
	tag[POP3_SEEN_TAG_LEN] = '\0';
}

void
pop3_seen_suffix(const char *id, char suffix[POP3_SEEN_TAG_LEN + 4])
{
	memcpy(suffix, ",P=", 3);
	pop3_seen_tag(id, suffix + 3);
}

int
pop3_seen_name_tag(const char *name, char tag[POP3_SEEN_TAG_LEN + 1])
{
	const char *p, *hit = NULL, *end;
	size_t i;

	/* The unique part ends at the info (":2,..."). */
	if ((end = strchr(name, ':')) == NULL)
		end = name + strlen(name);
	for (p = name; (p = strstr(p, ",P=")) != NULL && p < end; p++)
		hit = p + 3;
	if (hit == NULL || (size_t)(end - hit) < POP3_SEEN_TAG_LEN)
		return 0;
	for (i = 0; i < POP3_SEEN_TAG_LEN; i++) {
		if (!((hit[i] >= '0' && hit[i] <= '9') ||
		        (hit[i] >= 'a' && hit[i] <= 'f')))
			return 0;
	}
	if (hit + i != end && hit[i] != ',')
		return 0;
	memcpy(tag, hit, POP3_SEEN_TAG_LEN);
	tag[POP3_SEEN_TAG_LEN] = '\0';
	return 1;
}
