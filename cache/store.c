/* errand: a terminal mail user agent. See LICENSE.
 * The SQLite cache: opening (WAL, quick_check unless the last close was
 * clean, moving a damaged file aside), the schema and its migrations, and
 * every read and write, each through a prepared statement made once and
 * kept on the store. */

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/store.h"
#include "xmalloc.h"

/* The cached statements; their SQL is in store_sql[]. */
enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SAVEPOINT,
	STMT_RELEASE,
	STMT_ROLLBACK_TO,
	STMT_FOLDER_UPSERT,
	STMT_FOLDER_ID,
	STMT_FOLDER_GET,
	STMT_FOLDER_LIST,
	STMT_FOLDER_DELETE,
	STMT_FOLDER_RENAME,
	STMT_FOLDER_SET_SYNC,
	STMT_FOLDER_SET_SYNCED,
	STMT_FOLDER_SET_STATUS,
	STMT_FOLDER_RESET,
	STMT_MSG_PUT,
	STMT_MSG_FLAGS,
	STMT_MSG_DELETE_RANGE,
	STMT_MSG_DELETE_FOLDER,
	STMT_MSG_UIDS,
	STMT_MSG_LIST_DATE,
	STMT_MSG_LIST_UID,
	STMT_MSG_GET,
	STMT_MSG_COUNT,
	STMT_MSG_UID_MAX,
	STMT_BODY_PUT,
	STMT_BODY_GET,
	STMT_BODY_DELETE_RANGE,
	STMT_BODY_DELETE_FOLDER,
	STMT_JOURNAL_ADD,
	STMT_JOURNAL_REMOVE,
	STMT_JOURNAL_LIST,
	STMT_JOURNAL_LIST_MSG,
	STMT_JOURNAL_COUNT,
	STMT_JOURNAL_PUT,
	STMT_JOURNAL_ADD_DATA,
	STMT_JOURNAL_PUT_DATA,
	STMT_JOURNAL_SET_STATE,
	STMT_JOURNAL_RETARGET,
	STMT_JOURNAL_HELD,
	STMT_POP3_ADD,
	STMT_POP3_HAS,
	STMT_POP3_REMOVE,
	STMT_POP3_GET,
	STMT_POP3_LIST,
	STMT_MDFILE_LIST,
	STMT_MDFILE_PUT,
	STMT_MDFILE_DELETE,
	STMT_MDFILE_NAME,
	STMT_MDFILE_LIST_NEW,
	STMT_FOLDER_SET_MDSTAMP,
	STMT_MDFILE_DELETE_FOLDER,
	STMT__COUNT
};

/* The columns of message in the order every SELECT of a row gives them. */
#define MSG_COLUMNS                                                            \
	"uid, modseq, flags, keywords, internaldate, size, date, from_name, "  \
	"from_addr, to_addr, cc, subject, message_id, in_reply_to, refs, "     \
	"has_attachment"

/* The columns of journal in the order every SELECT of a row gives them. */
#define JOURNAL_COLUMNS                                                        \
	"id, folder, uid, op, arg, created, uidvalidity, message_id, state, "  \
	"mark"

#define FOLDER_COLUMNS                                                         \
	"id, name, raw_name, delim, special_use, subscribed, noselect, "       \
	"uidvalidity, uidnext, highestmodseq, synced_uid_max, total, unseen, " \
	"md_stamp_cur, md_stamp_new"

static const char *const store_sql[STMT__COUNT] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_SAVEPOINT] = "SAVEPOINT store_atomic",
    [STMT_RELEASE] = "RELEASE store_atomic",
    [STMT_ROLLBACK_TO] = "ROLLBACK TO store_atomic",
    [STMT_FOLDER_UPSERT] =
        "INSERT INTO folder (name, raw_name, delim, special_use, "
        "subscribed, noselect) VALUES (?1, coalesce(?2, ?1), ?3, ?4, ?5, ?6) "
        "ON CONFLICT (name) DO UPDATE SET raw_name = excluded.raw_name, "
        "delim = excluded.delim, special_use = excluded.special_use, "
        "subscribed = excluded.subscribed, noselect = excluded.noselect",
    [STMT_FOLDER_ID] = "SELECT id FROM folder WHERE name = ?1",
    [STMT_FOLDER_GET] = "SELECT " FOLDER_COLUMNS " FROM folder WHERE name = ?1",
    [STMT_FOLDER_LIST] = "SELECT " FOLDER_COLUMNS " FROM folder ORDER BY name",
    [STMT_FOLDER_DELETE] = "DELETE FROM folder WHERE id = ?1",
    [STMT_FOLDER_RENAME] = "UPDATE folder SET name = ?2, "
                           "raw_name = coalesce(?3, raw_name) WHERE name = ?1",
    [STMT_FOLDER_SET_SYNC] = "UPDATE folder SET uidvalidity = ?2, "
                             "uidnext = ?3, highestmodseq = ?4 WHERE id = ?1",
    [STMT_FOLDER_SET_MDSTAMP] = "UPDATE folder SET md_stamp_cur = ?2, "
                                "md_stamp_new = ?3 WHERE id = ?1",
    [STMT_FOLDER_SET_SYNCED] =
        "UPDATE folder SET synced_uid_max = ?2 WHERE id = ?1",
    [STMT_FOLDER_SET_STATUS] =
        "UPDATE folder SET total = ?2, unseen = ?3 WHERE id = ?1",
    [STMT_FOLDER_RESET] = "UPDATE folder SET uidvalidity = ?2, uidnext = 0, "
                          "highestmodseq = 0, synced_uid_max = 0, "
                          "md_stamp_cur = 0, md_stamp_new = 0 WHERE id = ?1",
    /* An upsert, not INSERT OR REPLACE: with foreign keys on, REPLACE
     * costs a fifth more per row of a cold sync. */
    [STMT_MSG_PUT] =
        "INSERT INTO message (folder, " MSG_COLUMNS
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
        "?14, ?15, ?16, ?17) ON CONFLICT (folder, uid) DO UPDATE SET "
        "modseq = ?3, flags = ?4, keywords = ?5, internaldate = ?6, "
        "size = ?7, date = ?8, from_name = ?9, from_addr = ?10, "
        "to_addr = ?11, cc = ?12, subject = ?13, message_id = ?14, "
        "in_reply_to = ?15, refs = ?16, has_attachment = ?17",
    [STMT_MSG_FLAGS] = "UPDATE message SET flags = ?3, keywords = ?4, "
                       "modseq = CASE WHEN ?5 != 0 THEN ?5 ELSE modseq END "
                       "WHERE folder = ?1 AND uid = ?2 "
                       "AND (?5 = 0 OR modseq <= ?5)",
    [STMT_MSG_DELETE_RANGE] =
        "DELETE FROM message WHERE folder = ?1 AND uid BETWEEN ?2 AND ?3",
    [STMT_MSG_DELETE_FOLDER] = "DELETE FROM message WHERE folder = ?1",
    [STMT_MSG_UIDS] = "SELECT uid FROM message WHERE folder = ?1 ORDER BY uid",
    [STMT_MSG_LIST_DATE] = "SELECT " MSG_COLUMNS " FROM message "
                           "WHERE folder = ?1 ORDER BY date DESC, uid DESC",
    [STMT_MSG_LIST_UID] = "SELECT " MSG_COLUMNS " FROM message "
                          "WHERE folder = ?1 ORDER BY uid DESC",
    [STMT_MSG_GET] = "SELECT " MSG_COLUMNS " FROM message "
                     "WHERE folder = ?1 AND uid = ?2",
    [STMT_MSG_COUNT] = "SELECT count(*), total((flags & 1) = 0) "
                       "FROM message WHERE folder = ?1",
    [STMT_MSG_UID_MAX] = "SELECT max(uid) FROM message WHERE folder = ?1",
    [STMT_BODY_PUT] = "INSERT OR REPLACE INTO body (folder, uid, raw) "
                      "VALUES (?1, ?2, ?3)",
    [STMT_BODY_GET] = "SELECT raw FROM body WHERE folder = ?1 AND uid = ?2",
    [STMT_BODY_DELETE_RANGE] =
        "DELETE FROM body WHERE folder = ?1 AND uid BETWEEN ?2 AND ?3",
    [STMT_BODY_DELETE_FOLDER] = "DELETE FROM body WHERE folder = ?1",
    /* The UIDVALIDITY and Message-ID the change was made under, from the
     * cache, so that it is never sent into a different mailbox. */
    [STMT_JOURNAL_ADD] =
        "INSERT INTO journal (folder, uid, op, arg, created, uidvalidity, "
        "message_id) VALUES (?1, ?2, ?3, ?4, ?5, coalesce((SELECT "
        "uidvalidity FROM folder WHERE id = ?1), 0), CASE WHEN ?2 != 0 THEN "
        "(SELECT message_id FROM message WHERE folder = ?1 AND uid = ?2) "
        "END)",
    [STMT_JOURNAL_PUT] =
        "INSERT INTO journal (folder, uid, op, arg, created, uidvalidity, "
        "message_id, state, mark) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9)",
    /* The same into the account's data journal, with the folder's names:
     * its row id is the cache's, and a cache made again has other ids. */
    [STMT_JOURNAL_ADD_DATA] =
        "INSERT INTO data.journal (folder, uid, op, arg, created, "
        "uidvalidity, message_id, folder_name, folder_raw) VALUES (?1, ?2, "
        "?3, ?4, ?5, coalesce((SELECT uidvalidity FROM main.folder WHERE id "
        "= ?1), 0), CASE WHEN ?2 != 0 THEN (SELECT message_id FROM "
        "main.message WHERE folder = ?1 AND uid = ?2) END, (SELECT name "
        "FROM main.folder WHERE id = ?1), (SELECT raw_name FROM main.folder "
        "WHERE id = ?1))",
    [STMT_JOURNAL_PUT_DATA] =
        "INSERT INTO data.journal (folder, uid, op, arg, created, "
        "uidvalidity, message_id, state, mark, folder_name, folder_raw) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, (SELECT name FROM "
        "main.folder WHERE id = ?1), (SELECT raw_name FROM main.folder "
        "WHERE id = ?1))",
    [STMT_JOURNAL_SET_STATE] =
        "UPDATE journal SET state = ?2, mark = ?3 WHERE id = ?1",
    [STMT_JOURNAL_RETARGET] =
        "UPDATE journal SET uid = ?2, uidvalidity = ?3, "
        "arg = coalesce(?4, arg), state = 0, mark = 0 WHERE id = ?1",
    [STMT_JOURNAL_REMOVE] = "DELETE FROM journal WHERE id = ?1",
    [STMT_JOURNAL_LIST_MSG] =
        "SELECT " JOURNAL_COLUMNS " FROM journal WHERE folder = ?1 "
        "AND uid = ?2 AND state != 2 AND uidvalidity = coalesce((SELECT "
        "uidvalidity FROM folder WHERE id = ?1), 0) ORDER BY id",
    [STMT_JOURNAL_LIST] = "SELECT " JOURNAL_COLUMNS " FROM journal "
                          "ORDER BY id",
    [STMT_JOURNAL_COUNT] = "SELECT count(*) FROM journal WHERE state != 2",
    [STMT_JOURNAL_HELD] = "SELECT count(*) FROM journal WHERE state = 2",
    [STMT_POP3_ADD] = "INSERT OR REPLACE INTO pop3_seen "
                      "(uidl, fetched_at, maildir_name) VALUES (?1, ?2, ?3)",
    [STMT_POP3_HAS] = "SELECT 1 FROM pop3_seen WHERE uidl = ?1",
    [STMT_POP3_REMOVE] = "DELETE FROM pop3_seen WHERE uidl = ?1",
    [STMT_POP3_GET] = "SELECT fetched_at FROM pop3_seen WHERE uidl = ?1",
    [STMT_POP3_LIST] = "SELECT uidl, fetched_at, maildir_name FROM pop3_seen "
                       "ORDER BY uidl",
    [STMT_MDFILE_LIST] = "SELECT f.name, f.uid, f.mtime, m.flags, f.in_new "
                         "FROM maildir_file f JOIN message m "
                         "ON m.folder = f.folder AND m.uid = f.uid "
                         "WHERE f.folder = ?1",
    [STMT_MDFILE_LIST_NEW] = "SELECT f.name, f.uid, f.mtime, m.flags, f.in_new "
                             "FROM maildir_file f JOIN message m "
                             "ON m.folder = f.folder AND m.uid = f.uid "
                             "WHERE f.folder = ?1 AND f.in_new = 1",
    [STMT_MDFILE_PUT] = "INSERT OR REPLACE INTO maildir_file (folder, name, "
                        "uid, mtime, in_new) VALUES (?1, ?2, ?3, ?4, ?5)",
    [STMT_MDFILE_DELETE] = "DELETE FROM maildir_file WHERE folder = ?1 "
                           "AND name = ?2",
    [STMT_MDFILE_NAME] = "SELECT name FROM maildir_file WHERE folder = ?1 "
                         "AND uid = ?2",
    [STMT_MDFILE_DELETE_FOLDER] = "DELETE FROM maildir_file "
                                  "WHERE folder = ?1",
};

/*
 * The schema, one step a version. To add version 2: bump
 * STORE_SCHEMA_VERSION in store.h and append { 2, "ALTER TABLE ...", NULL }
 * (or a function for work SQL alone cannot do). Steps run in order inside
 * one transaction that also sets user_version, so a crash leaves the old
 * version or the new one, never a mix.
 */
static int store_migrate_none(sqlite3 *);

static const struct store_migration {
	int version;
	const char *sql;
	int (*fn)(sqlite3 *); /* run after sql; SQLITE_OK or an error code */
} store_migrations[] = {
    {1,
        "CREATE TABLE folder ("
        " id INTEGER PRIMARY KEY,"
        " name TEXT NOT NULL UNIQUE,"
        " raw_name TEXT,"
        " delim TEXT,"
        " uidvalidity INTEGER NOT NULL DEFAULT 0,"
        " uidnext INTEGER NOT NULL DEFAULT 0,"
        " highestmodseq INTEGER NOT NULL DEFAULT 0,"
        " special_use TEXT,"
        " subscribed INTEGER NOT NULL DEFAULT 0,"
        " noselect INTEGER NOT NULL DEFAULT 0,"
        " total INTEGER NOT NULL DEFAULT 0,"
        " unseen INTEGER NOT NULL DEFAULT 0,"
        " synced_uid_max INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE message ("
        " folder INTEGER NOT NULL REFERENCES folder (id),"
        " uid INTEGER NOT NULL,"
        " modseq INTEGER NOT NULL DEFAULT 0,"
        " flags INTEGER NOT NULL DEFAULT 0,"
        " keywords TEXT,"
        " internaldate INTEGER NOT NULL DEFAULT 0,"
        " size INTEGER NOT NULL DEFAULT 0,"
        " date INTEGER NOT NULL DEFAULT 0,"
        " from_name TEXT,"
        " from_addr TEXT,"
        " to_addr TEXT,"
        " cc TEXT,"
        " subject TEXT,"
        " message_id TEXT,"
        " in_reply_to TEXT,"
        " refs TEXT,"
        " has_attachment INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (folder, uid)) WITHOUT ROWID;"
        /* Newest first: the index also holds the key (folder, uid). */
        "CREATE INDEX message_date ON message (folder, date);"
        /* Bodies are large: a rowid table keeps them off the key pages. */
        "CREATE TABLE body ("
        " folder INTEGER NOT NULL REFERENCES folder (id),"
        " uid INTEGER NOT NULL,"
        " raw BLOB,"
        " PRIMARY KEY (folder, uid));"
        /* No foreign key: a pending change outlives its folder's rows. */
        "CREATE TABLE journal ("
        " id INTEGER PRIMARY KEY,"
        " folder INTEGER,"
        " uid INTEGER NOT NULL DEFAULT 0,"
        " op TEXT NOT NULL,"
        " arg TEXT,"
        " created INTEGER NOT NULL);"
        "CREATE TABLE pop3_seen ("
        " uidl TEXT PRIMARY KEY,"
        " fetched_at INTEGER NOT NULL,"
        " maildir_name TEXT) WITHOUT ROWID;",
        store_migrate_none},
    /* Local folders: each Maildir file as a message row, by its name. */
    {2,
        "CREATE TABLE maildir_file ("
        " folder INTEGER NOT NULL,"
        " name TEXT NOT NULL,"
        " uid INTEGER NOT NULL,"
        " mtime INTEGER NOT NULL,"
        " PRIMARY KEY (folder, name)) WITHOUT ROWID;",
        store_migrate_none},
    /* A local folder's flag change or move finds its file by UID. */
    {3, "CREATE INDEX maildir_file_uid ON maildir_file (folder, uid);",
        store_migrate_none},
    /* A delivery into new/ alone reads new/ alone (its files marked) when
     * the stamps of the folder's new/ and cur/ say only new/ changed. */
    {4,
        "ALTER TABLE maildir_file ADD COLUMN"
        " in_new INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE folder ADD COLUMN"
        " md_stamp_cur INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE folder ADD COLUMN"
        " md_stamp_new INTEGER NOT NULL DEFAULT 0;"
        "CREATE INDEX maildir_file_new ON maildir_file (folder, uid)"
        " WHERE in_new = 1;",
        store_migrate_none},
    /* What is pending for one message, asked for each message a sync
     * stores while changes wait: by index, not a scan of the journal. */
    {5, "CREATE INDEX journal_msg ON journal (folder, uid);",
        store_migrate_none},
    /* Each row carries the UIDVALIDITY it was made under and its
     * message's Message-ID: a row whose folder was recreated on the server
     * is held, never sent, and can be re-targeted. Rows made before take
     * the folder's stored UIDVALIDITY (a move back: its source's). A copy
     * or move sent without an answer is marked, with the destination's
     * UIDNEXT, so that it is checked before it goes again. */
    {6,
        "ALTER TABLE journal ADD COLUMN"
        " uidvalidity INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE journal ADD COLUMN message_id TEXT;"
        "ALTER TABLE journal ADD COLUMN state INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE journal ADD COLUMN mark INTEGER NOT NULL DEFAULT 0;"
        "UPDATE journal SET uidvalidity = coalesce((SELECT f.uidvalidity"
        " FROM folder f WHERE f.id = journal.folder), 0),"
        " message_id = (SELECT m.message_id FROM message m"
        " WHERE m.folder = journal.folder AND m.uid = journal.uid"
        " AND journal.uid != 0);"
        /* "UID\tFROM\tTO": the UID is FROM's. */
        "UPDATE journal SET uidvalidity = coalesce((SELECT f.uidvalidity"
        " FROM folder f WHERE f.raw_name = substr(journal.arg,"
        " instr(journal.arg, char(9)) + 1, instr(substr(journal.arg,"
        " instr(journal.arg, char(9)) + 1), char(9)) - 1)), 0)"
        " WHERE op = 'moveback';",
        store_migrate_none},
};

struct store {
	sqlite3 *db;
	char *path;
	char *error;   /* the last error, for store_error() */
	char *dberr;   /* SQLite's words for the last failed statement */
	int busy;      /* a foreach is running */
	int recovered; /* a damaged file was moved aside */
	char *notice;  /* what to tell the user about it */
	char *moved;   /* where the damaged file went */
	int64_t moved_pending;  /* its journal rows, -1 when unknown */
	int64_t moved_imported; /* of them, brought into the new cache */
	char *getbuf;           /* strings of the last store_msg_get() */
	int dbcode;             /* SQLite's code behind dberr */
	int locked;             /* the last failure was another's write lock */
	int readonly;           /* opened by store_open_readonly() */
	int jattached;          /* the journal is the data one (ATTACH) */
	int checked;            /* store_open() ran quick_check */
	int damaged;            /* SQLite met a damaged page since */
	int64_t checked_at;     /* when the file last passed quick_check */
	dev_t dev;              /* the file opened, for store_mark_damaged() */
	ino_t ino;
	sqlite3_stmt *stmt[STMT__COUNT];
};

/*
 * What the side file path-clean says of the cache file. PRAGMA quick_check
 * reads every page (30 ms to a tenth of a second, and the file's size in
 * memory, for 100,000 messages, before the first screen or the first byte
 * to the server), so it runs only when something may have gone wrong since
 * the file was last known good: a clean close writes the file's identity,
 * size and times there, an open takes it away, and an open that finds
 * none, or finds the file not as recorded, checks. A crash or kill leaves
 * none; another errand still writing the file leaves frames in its -wal,
 * and the marker then counts for nothing. Damage that SQLite meets in use
 * is written there too, so the next open moves the file aside as a failed
 * check would.
 */
enum store_mark {
	STORE_MARK_NONE,    /* nothing to go by: check the file */
	STORE_MARK_CLEAN,   /* as the last clean close left it */
	STORE_MARK_DAMAGED, /* SQLite found it damaged in use */
};

static int store_fail(struct store *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void store_dberr(struct store *, int);
static sqlite3_stmt *store_stmt(struct store *, enum store_stmt);
static int store_step(struct store *, sqlite3_stmt *);
static int store_exec(struct store *, enum store_stmt);
static int store_atomic_begin(struct store *);
static int store_atomic_end(struct store *, int);
static void store_bind_int(sqlite3_stmt *, int, int64_t, int *);
static void store_bind_text(sqlite3_stmt *, int, const char *, int *);
static const char *store_col_text(sqlite3_stmt *, int);
static char *store_col_strdup(sqlite3_stmt *, int);
static void store_row_msg(sqlite3_stmt *, struct store_msg *);
static void store_row_folder(sqlite3_stmt *, struct store_folder *);
static int store_mkdirs(const char *, char **);
static int store_create_file(const char *, char **);
static int store_is_damage(int);
static int store_setup(struct store *, char **, int *);
static int store_journal_walk(struct store *, enum store_stmt, int64_t,
    uint32_t, store_journal_cb, void *);
static int store_migrate(struct store *, char **, int *);
static int store_move_aside(struct store *, char **);
static int64_t store_count_journal(const char *);
static int64_t store_import_journal(struct store *);
struct store_import;
static void store_import_read(const char *, struct store_import **, size_t *);
static int store_copy_truncated(const char *, const char *);
static void store_unlink_db(const char *);
static void store_recovery_notice(struct store *);
static void store_row_journal(sqlite3_stmt *, struct store_journal *);
static int store_journal_count_where(
    struct store *, enum store_stmt, int64_t *);
static int store_close_db(struct store *, int);
static int store_delete_range(struct store *, int64_t, uint32_t, uint32_t);
static void store_uri_path(char **, const char *);
static int store_setup_readonly(struct store *, int, char **);
static int store_quick_check(struct store *, char **, int *);
static char *store_mark_path(const char *);
static ssize_t store_mark_read(const char *, char *, size_t, struct stat *);
static int store_time_before(const struct timespec *, const struct timespec *);
static enum store_mark store_mark_take(struct store *);
static void store_mark_clean(struct store *);
static void store_mark_damaged(struct store *);

/* Keep a message made from fmt and the last SQLite error; returns -1. */
static int
store_fail(struct store *s, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	xvasprintf(&what, fmt, ap);
	va_end(ap);
	free(s->error);
	if (s->dberr != NULL)
		xasprintf(&s->error, "%s: %s", what, s->dberr);
	else
		s->error = xstrdup(what);
	free(what);
	free(s->dberr);
	s->dberr = NULL;
	s->locked = (s->dbcode & 0xff) == SQLITE_BUSY ||
	    (s->dbcode & 0xff) == SQLITE_LOCKED;
	s->dbcode = SQLITE_OK;
	return -1;
}

/* Remember SQLite's description of error rc for the next store_fail().
 * Damage met in use says what happens next and is recorded for the next
 * store_open(), which moves the file aside. */
static void
store_dberr(struct store *s, int rc)
{
	const char *what;

	free(s->dberr);
	s->dbcode = rc;
	if (s->db != NULL && sqlite3_extended_errcode(s->db) == rc)
		what = sqlite3_errmsg(s->db);
	else
		what = sqlite3_errstr(rc);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		s->dberr = xstrdup("no such folder");
	else if (store_is_damage(rc)) {
		xasprintf(&s->dberr,
		    "cache '%s' is damaged (%s); it is moved aside and made "
		    "again when errand next starts",
		    s->path, what);
		store_mark_damaged(s);
	} else
		s->dberr = xstrdup(what);
}

/* The cached statement id, prepared on first use, reset and unbound. */
static sqlite3_stmt *
store_stmt(struct store *s, enum store_stmt id)
{
	int rc;

	if (s->stmt[id] == NULL) {
		rc = sqlite3_prepare_v3(s->db, store_sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			store_dberr(s, rc);
			return NULL;
		}
	}
	return s->stmt[id];
}

/* Run a statement that returns no rows, then reset it; SQLite's code. */
static int
store_step(struct store *s, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		continue;
	if (rc != SQLITE_DONE)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Run a cached statement without parameters; 0 or -1. */
static int
store_exec(struct store *s, enum store_stmt id)
{
	sqlite3_stmt *st;

	if ((st = store_stmt(s, id)) == NULL)
		return -1;
	return store_step(s, st) == SQLITE_OK ? 0 : -1;
}

/* Start a savepoint so a call of several statements is all or nothing. */
static int
store_atomic_begin(struct store *s)
{
	return store_exec(s, STMT_SAVEPOINT);
}

/* Release the savepoint when ok is 0, or undo it; returns ok. */
static int
store_atomic_end(struct store *s, int ok)
{
	char *keep;
	int code;

	if (ok == 0)
		return store_exec(s, STMT_RELEASE);
	keep = s->dberr; /* rolling back must not replace the reason */
	code = s->dbcode;
	s->dberr = NULL;
	store_exec(s, STMT_ROLLBACK_TO);
	store_exec(s, STMT_RELEASE);
	free(s->dberr);
	s->dberr = keep;
	s->dbcode = code;
	return ok;
}

/* Bind an integer unless an earlier bind failed. */
static void
store_bind_int(sqlite3_stmt *st, int i, int64_t v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_int64(st, i, v);
}

/* Bind a string (NULL binds NULL) unless an earlier bind failed. */
static void
store_bind_text(sqlite3_stmt *st, int i, const char *v, int *rc)
{
	if (*rc != SQLITE_OK)
		return;
	if (v == NULL)
		*rc = sqlite3_bind_null(st, i);
	else
		*rc = sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* A text column, "" for NULL. */
static const char *
store_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *p;

	p = sqlite3_column_text(st, i);
	return p != NULL ? (const char *)p : "";
}

/* A copy of a text column, NULL for NULL. */
static char *
store_col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *p;

	p = sqlite3_column_text(st, i);
	return p != NULL ? xstrdup((const char *)p) : NULL;
}

/* Fill m from a row of MSG_COLUMNS; the strings are the statement's. */
static void
store_row_msg(sqlite3_stmt *st, struct store_msg *m)
{
	m->uid = (uint32_t)sqlite3_column_int64(st, 0);
	m->modseq = (uint64_t)sqlite3_column_int64(st, 1);
	m->flags = (unsigned int)sqlite3_column_int64(st, 2);
	m->keywords = store_col_text(st, 3);
	m->internaldate = sqlite3_column_int64(st, 4);
	m->size = sqlite3_column_int64(st, 5);
	m->date = sqlite3_column_int64(st, 6);
	m->from_name = store_col_text(st, 7);
	m->from_addr = store_col_text(st, 8);
	m->to_addr = store_col_text(st, 9);
	m->cc = store_col_text(st, 10);
	m->subject = store_col_text(st, 11);
	m->message_id = store_col_text(st, 12);
	m->in_reply_to = store_col_text(st, 13);
	m->refs = store_col_text(st, 14);
	m->has_attachment = sqlite3_column_int(st, 15);
}

/* Fill f from a row of FOLDER_COLUMNS with copies of the strings. */
static void
store_row_folder(sqlite3_stmt *st, struct store_folder *f)
{
	f->id = sqlite3_column_int64(st, 0);
	f->name = store_col_strdup(st, 1);
	f->raw_name = store_col_strdup(st, 2);
	f->delim = store_col_strdup(st, 3);
	f->special_use = store_col_strdup(st, 4);
	f->subscribed = sqlite3_column_int(st, 5);
	f->noselect = sqlite3_column_int(st, 6);
	f->uidvalidity = (uint32_t)sqlite3_column_int64(st, 7);
	f->uidnext = (uint32_t)sqlite3_column_int64(st, 8);
	f->highestmodseq = (uint64_t)sqlite3_column_int64(st, 9);
	f->synced_uid_max = (uint32_t)sqlite3_column_int64(st, 10);
	f->total = (uint32_t)sqlite3_column_int64(st, 11);
	f->unseen = (uint32_t)sqlite3_column_int64(st, 12);
	f->md_stamp_cur = (uint64_t)sqlite3_column_int64(st, 13);
	f->md_stamp_new = (uint64_t)sqlite3_column_int64(st, 14);
}

/* Make the directories above path, each new one mode 0700. */
static int
store_mkdirs(const char *path, char **why)
{
	char *copy, *p;

	copy = xstrdup(path);
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) == -1 && errno != EEXIST) {
			xasprintf(why, "cannot create '%s': %s", copy,
			    strerror(errno));
			free(copy);
			return -1;
		}
		*p = '/';
	}
	free(copy);
	return 0;
}

/* Create path as an empty file of mode 0600 (SQLite gives its -wal and -shm
 * files the same mode), or take an existing one down to 0600. */
static int
store_create_file(const char *path, char **why)
{
	struct stat sb;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		xasprintf(why, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == 0 && (sb.st_mode & 077) != 0)
		fchmod(fd, sb.st_mode & 0700);
	close(fd);
	return 0;
}

/* 1 when SQLite's code rc means the file itself is damaged. */
static int
store_is_damage(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
}

/* Open s->path and make it ready. On failure *why says why and *damaged is
 * 1 when moving the file aside would help. */
static int
store_setup(struct store *s, char **why, int *damaged)
{
	/* The page size holds for a new file only: 8 KiB pages make a cold
	 * sync's inserts an eighth cheaper than 4 KiB (fewer splits and WAL
	 * frames) and keep a warm sync's scattered flag updates small. */
	static const char *const pragmas[] = {
	    "PRAGMA page_size = 8192",
	    "PRAGMA journal_mode = WAL",
	    "PRAGMA synchronous = NORMAL",
	    "PRAGMA foreign_keys = ON",
	    "PRAGMA journal_size_limit = 67108864",
	    "PRAGMA mmap_size = 268435456",
	    "PRAGMA cache_size = -16384",
	};
	struct stat sb;
	enum store_mark mark;
	size_t i;
	int rc;

	*damaged = 0;
	if (store_mkdirs(s->path, why) != 0 ||
	    store_create_file(s->path, why) != 0)
		return -1;
	if ((mark = store_mark_take(s)) == STORE_MARK_DAMAGED) {
		*why = xstrdup("found damaged while errand last used it");
		*damaged = 1;
		return -1;
	}
	if (stat(s->path, &sb) == 0) {
		s->dev = sb.st_dev;
		s->ino = sb.st_ino;
	}
	/* A store is used by one thread: no mutex around every call. */
	rc = sqlite3_open_v2(s->path, &s->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_WAIT_MS);
	for (i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
		rc = sqlite3_exec(s->db, pragmas[i], NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			goto fail;
	}

	if (mark != STORE_MARK_CLEAN && store_quick_check(s, why, damaged) != 0)
		return -1;
	return store_migrate(s, why, damaged);

fail:
	rc = s->db != NULL ? sqlite3_extended_errcode(s->db) : rc;
	if (s->db != NULL && rc != SQLITE_OK)
		*why = xstrdup(sqlite3_errmsg(s->db));
	else
		*why = xstrdup(sqlite3_errstr(rc));
	*damaged = store_is_damage(rc);
	return -1;
}

/* Run PRAGMA quick_check on the open file: 0, or -1 with *why set and
 * *damaged 1 when the file is. */
static int
store_quick_check(struct store *s, char **why, int *damaged)
{
	sqlite3_stmt *st = NULL;
	const char *res;
	int rc;

	s->checked = 1;
	rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		res = store_col_text(st, 0);
		if (strcmp(res, "ok") == 0) {
			sqlite3_finalize(st);
			s->checked_at = (int64_t)time(NULL);
			return 0;
		}
		xasprintf(why, "quick_check: %s", res);
		sqlite3_finalize(st);
		*damaged = 1;
		return -1;
	}
	rc = sqlite3_extended_errcode(s->db);
	*why = xstrdup(sqlite3_errmsg(s->db));
	*damaged = store_is_damage(rc);
	sqlite3_finalize(st);
	return -1;
}

/* The marker beside the cache file at path; the caller frees it. */
static char *
store_mark_path(const char *path)
{
	char *p;

	xasprintf(&p, "%s-clean", path);
	return p;
}

/* Read the marker at path into buf (NUL-terminated), its status into *sb:
 * the bytes read, or -1 when there is none or it is not one. */
static ssize_t
store_mark_read(const char *path, char *buf, size_t size, struct stat *sb)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode) ||
	    sb->st_size >= (off_t)size) {
		close(fd);
		return -1;
	}
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* 1 when time a is before time b. */
static int
store_time_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * What the marker says of the file at s->path, taken away unless it
 * records damage (store_move_aside() removes that one): whoever opens the
 * file next must not trust it while this store may be writing. Clean
 * means: no -wal with frames beside the file (no one is writing it, no
 * crash left one; a reader's leaves it empty),
 * the same inode, size and times as at the clean close, both older than
 * the marker itself, and a check less than STORE_CHECK_INTERVAL ago.
 */
static enum store_mark
store_mark_take(struct store *s)
{
	struct stat db, mk, wal;
	unsigned long long dev, ino;
	long long size, ms, mns, cs, cns, at;
	enum store_mark v = STORE_MARK_NONE;
	char buf[256], *mark, *walp;
	ssize_t n;
	int end = -1, busy;
	time_t now;

	mark = store_mark_path(s->path);
	if ((n = store_mark_read(mark, buf, sizeof buf, &mk)) < 0) {
		free(mark);
		return STORE_MARK_NONE;
	}
	if (stat(s->path, &db) == -1)
		goto out;
	if (sscanf(buf, "damaged %llu %llu\n%n", &dev, &ino, &end) == 2 &&
	    end == n) {
		if (dev != (unsigned long long)db.st_dev ||
		    ino != (unsigned long long)db.st_ino)
			goto out; /* about a file since replaced */
		free(mark);
		return STORE_MARK_DAMAGED;
	}
	end = -1;
	if (sscanf(buf, "clean %llu %llu %lld %lld %lld %lld %lld %lld\n%n",
	        &dev, &ino, &size, &ms, &mns, &cs, &cns, &at, &end) != 8 ||
	    end != n)
		goto out;
	xasprintf(&walp, "%s-wal", s->path);
	busy = lstat(walp, &wal) == 0 && wal.st_size > 0;
	free(walp);
	now = time(NULL);
	if (busy || dev != (unsigned long long)db.st_dev ||
	    ino != (unsigned long long)db.st_ino || size != db.st_size ||
	    ms != db.st_mtim.tv_sec || mns != db.st_mtim.tv_nsec ||
	    cs != db.st_ctim.tv_sec || cns != db.st_ctim.tv_nsec)
		goto out;
	if (!store_time_before(&db.st_mtim, &mk.st_mtim) ||
	    !store_time_before(&db.st_ctim, &mk.st_mtim))
		goto out;
	if (at > (long long)now || (long long)now - at >= STORE_CHECK_INTERVAL)
		goto out;
	s->checked_at = at;
	v = STORE_MARK_CLEAN;
out:
	unlink(mark);
	free(mark);
	return v;
}

/*
 * Record the file as this close leaves it, when no one else is writing it
 * (SQLite removed the -wal as the last one closed, or a reader left it
 * empty) and it is still the file opened. A change to the file in the
 * clock tick of the close would leave its times as recorded: the marker
 * must be written in a later tick than the file, so this waits for the
 * clock to move on (a few milliseconds) or, on a file system with coarse
 * times, gives up.
 */
static void
store_mark_clean(struct store *s)
{
	static const struct timespec tick = {0, 1000000};
	struct stat db, mk, wal;
	char buf[256], *mark, *walp;
	int fd, i, len, busy;

	xasprintf(&walp, "%s-wal", s->path);
	busy = lstat(walp, &wal) == 0 && wal.st_size > 0;
	free(walp);
	if (busy || stat(s->path, &db) == -1 || db.st_dev != s->dev ||
	    db.st_ino != s->ino)
		return;
	mark = store_mark_path(s->path);
	/* Damage another errand met stays recorded. */
	if (store_mark_read(mark, buf, sizeof buf, &mk) > 0 &&
	    strncmp(buf, "damaged ", 8) == 0) {
		free(mark);
		return;
	}
	len = snprintf(buf, sizeof buf,
	    "clean %llu %llu %lld %lld %lld %lld %lld %lld\n",
	    (unsigned long long)db.st_dev, (unsigned long long)db.st_ino,
	    (long long)db.st_size, (long long)db.st_mtim.tv_sec,
	    (long long)db.st_mtim.tv_nsec, (long long)db.st_ctim.tv_sec,
	    (long long)db.st_ctim.tv_nsec, (long long)s->checked_at);
	fd = open(
	    mark, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		free(mark);
		return;
	}
	if (len <= 0 || len >= (int)sizeof buf || write(fd, buf, len) != len)
		goto fail;
	for (i = 0;; i++) {
		if (fstat(fd, &mk) == -1)
			goto fail;
		if (store_time_before(&db.st_mtim, &mk.st_mtim) &&
		    store_time_before(&db.st_ctim, &mk.st_mtim))
			break;
		if (i == 50)
			goto fail;
		nanosleep(&tick, NULL);
		if (futimens(fd, NULL) == -1)
			goto fail;
	}
	close(fd);
	free(mark);
	return;
fail:
	close(fd);
	unlink(mark);
	free(mark);
}

/* Note that SQLite met a damaged page, for the next store_open(). */
static void
store_mark_damaged(struct store *s)
{
	char buf[64], *mark;
	int fd, len;

	if (s->damaged)
		return;
	s->damaged = 1;
	if (s->ino == 0)
		return;
	len = snprintf(buf, sizeof buf, "damaged %llu %llu\n",
	    (unsigned long long)s->dev, (unsigned long long)s->ino);
	mark = store_mark_path(s->path);
	fd = open(
	    mark, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd != -1) {
		if (write(fd, buf, len) != len)
			unlink(mark);
		close(fd);
	}
	free(mark);
}

/* Bring the schema up to STORE_SCHEMA_VERSION in one transaction. */
static int
store_migrate(struct store *s, char **why, int *damaged)
{
	const struct store_migration *m;
	sqlite3_stmt *st;
	char *sql;
	size_t i;
	int rc, version;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		goto fail;
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > STORE_SCHEMA_VERSION) {
		xasprintf(why,
		    "schema version %d is newer than this errand's (%d)",
		    version, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (version == STORE_SCHEMA_VERSION)
		return 0;

	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	for (i = 0; i < sizeof store_migrations / sizeof store_migrations[0];
	     i++) {
		m = &store_migrations[i];
		if (m->version <= version)
			continue;
		rc = sqlite3_exec(s->db, m->sql, NULL, NULL, NULL);
		if (rc == SQLITE_OK && m->fn != NULL)
			rc = m->fn(s->db);
		if (rc != SQLITE_OK)
			goto undo;
	}
	xasprintf(&sql, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	free(sql);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;

undo:
	xasprintf(why, "migrating to schema version %d: %s",
	    STORE_SCHEMA_VERSION, sqlite3_errmsg(s->db));
	*damaged = store_is_damage(sqlite3_extended_errcode(s->db));
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;

fail:
	*why = xstrdup(sqlite3_errmsg(s->db));
	*damaged = store_is_damage(sqlite3_extended_errcode(s->db));
	return -1;
}

/* Version 1 needs nothing beyond its SQL. */
static int
store_migrate_none(sqlite3 *db)
{
	return SQLITE_OK;
}

/* Move the damaged s->path (with its -wal) to path.corrupt-YYYYmmddHHMMSS
 * and note it on the store. */
static int
store_move_aside(struct store *s, char **why)
{
	struct stat sb;
	struct tm tm;
	time_t now;
	char stamp[32], *to, *from_x, *to_x;
	int n;

	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm) == 0)
		fatalx("%s: cannot format the time", __func__);
	xasprintf(&to, "%s.corrupt-%s", s->path, stamp);
	for (n = 1; lstat(to, &sb) == 0; n++) {
		free(to);
		xasprintf(&to, "%s.corrupt-%s-%d", s->path, stamp, n);
	}
	if (rename(s->path, to) == -1) {
		xasprintf(
		    why, "cannot move it to '%s': %s", to, strerror(errno));
		free(to);
		return -1;
	}
	/* The -wal may hold the newest journal rows: it goes along. */
	xasprintf(&from_x, "%s-wal", s->path);
	xasprintf(&to_x, "%s-wal", to);
	rename(from_x, to_x);
	free(from_x);
	free(to_x);
	xasprintf(&from_x, "%s-journal", s->path);
	xasprintf(&to_x, "%s-journal", to);
	rename(from_x, to_x);
	free(from_x);
	free(to_x);
	xasprintf(&from_x, "%s-shm", s->path);
	unlink(from_x);
	free(from_x);
	from_x = store_mark_path(s->path);
	unlink(from_x);
	free(from_x);

	s->recovered = 1;
	s->moved = to;
	s->moved_pending = store_count_journal(to);
	store_recovery_notice(s);
	return 0;
}

/* What to tell the user after a recovery: where the file went and what
 * became of the changes it held. */
static void
store_recovery_notice(struct store *s)
{
	char *pending, *rest = NULL;
	int64_t n = s->moved_imported, left;

	left = s->moved_pending - n;
	if (s->moved_pending < 0 && n == 0)
		xasprintf(&rest,
		    "; its pending changes could not be read (any there "
		    "stay in '%s')",
		    s->moved);
	else if (left > 0 && n == 0)
		xasprintf(&rest, "; %lld pending change%s kept in '%s'",
		    (long long)left, left == 1 ? "" : "s", s->moved);
	else if (left > 0)
		xasprintf(&rest, "; others could not be read and stay in '%s'",
		    s->moved);
	else if (s->moved_pending < 0)
		xasprintf(&rest,
		    "; any others could not be read and stay in "
		    "'%s'",
		    s->moved);
	if (n > 0)
		xasprintf(&pending,
		    "; %lld pending change%s carried over, to be checked "
		    "against the server before sending (errand push)%s",
		    (long long)n, n == 1 ? "" : "s", rest != NULL ? rest : "");
	else
		pending = xstrdup(rest != NULL ? rest : "");
	free(rest);
	free(s->notice);
	xasprintf(&s->notice,
	    "cache '%s' was damaged and moved to '%s'; a new one was made%s",
	    s->path, s->moved, pending);
	free(pending);
}

/* One damaged-file journal row, read before anything is written. */
struct store_import {
	struct store_journal j; /* strings below, folder the old id */
	char *op, *arg, *message_id, *name, *raw;
};

/*
 * Bring the journal rows that can still be read from the damaged file into
 * the new cache, each with its own UIDVALIDITY (the new cache knows none
 * yet: the server's SELECT decides whether it goes or is held). Their
 * folders are found again by name, else by the server name in the row.
 * Rows past the first damaged page are lost; the count says how many came.
 */
static int64_t
store_import_journal(struct store *s)
{
	struct store_import *rows = NULL, *r;
	struct store_folder f;
	const char *tab;
	char *copy;
	size_t i, n = 0;
	int64_t done = 0, id;

	if (s->moved == NULL)
		return 0;
	store_import_read(s->moved, &rows, &n);
	if (n == 0) {
		/* Cut short: its header counts pages the file no longer has,
		 * and SQLite reads none. A copy of the length the header says
		 * gives the rows on the pages that are left. */
		xasprintf(&copy, "%s.reading", s->moved);
		store_unlink_db(copy); /* left by a run that died here */
		if (store_copy_truncated(s->moved, copy) == 0)
			store_import_read(copy, &rows, &n);
		store_unlink_db(copy);
		free(copy);
	}
	if (n == 0)
		return 0;

	if (store_begin(s) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		r = &rows[i];
		/* Every row's argument ends with the folder's server name. */
		if (r->raw == NULL && r->arg != NULL &&
		    (tab = strrchr(r->arg, '\t')) != NULL && tab[1] != '\0')
			r->raw = xstrdup(tab + 1);
		if (r->name == NULL && r->raw != NULL)
			r->name = xstrdup(r->raw);
		if (r->name == NULL)
			continue;
		memset(&f, 0, sizeof f);
		if (store_folder_get(s, r->name, &f) == 0)
			id = f.id;
		else {
			f.name = r->name;
			f.raw_name = r->raw;
			if (store_folder_upsert(s, &f, &id) != 0) {
				memset(&f, 0, sizeof f);
				continue;
			}
			memset(&f, 0, sizeof f);
		}
		store_folder_clear(&f);
		r->j.folder = id;
		r->j.op = r->op;
		r->j.arg = r->arg;
		r->j.message_id = r->message_id;
		if (r->j.state != STORE_JOURNAL_SENT &&
		    r->j.state != STORE_JOURNAL_HELD)
			r->j.state = STORE_JOURNAL_PENDING;
		if (store_journal_put(s, &r->j, NULL) == 0)
			done++;
	}
	if (store_commit(s) != 0) {
		store_rollback(s);
		done = 0;
	}
out:
	for (i = 0; i < n; i++) {
		free(rows[i].op);
		free(rows[i].arg);
		free(rows[i].message_id);
		free(rows[i].name);
		free(rows[i].raw);
	}
	free(rows);
	return done;
}

/* Copy the database at from to a new file to (mode 0600), as long as its
 * header says it is: SQLite refuses a schema whose tables start past the
 * end of the file, but reads the pages that are left once the missing ones
 * are there (as zeros, a sparse hole). 0 or -1. */
static int
store_copy_truncated(const char *from, const char *to)
{
	unsigned char buf[65536];
	uint32_t pagesize, pages;
	off_t size = 0;
	ssize_t got;
	int in, out, rc = -1;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	out = open(
	    to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out == -1) {
		close(in);
		return -1;
	}
	while ((got = read(in, buf, sizeof buf)) > 0) {
		if (write(out, buf, (size_t)got) != got)
			goto done;
		size += got;
	}
	if (got < 0 || size < 100 || pread(in, buf, 32, 0) != 32)
		goto done;
	pagesize = (uint32_t)buf[16] << 8 | buf[17];
	if (pagesize == 1)
		pagesize = 65536;
	pages = (uint32_t)buf[28] << 24 | (uint32_t)buf[29] << 16 |
	    (uint32_t)buf[30] << 8 | buf[31];
	if (pagesize < 512 || (pagesize & (pagesize - 1)) != 0 ||
	    (off_t)pages * pagesize <= size ||
	    (off_t)pages * pagesize > ((off_t)1 << 40))
		goto done;
	if (ftruncate(out, (off_t)pages * pagesize) == 0)
		rc = 0;
done:
	close(in);
	close(out);
	return rc;
}

/* Remove a database file with its -wal and -shm. */
static void
store_unlink_db(const char *path)
{
	char *x;

	unlink(path);
	xasprintf(&x, "%s-wal", path);
	unlink(x);
	free(x);
	xasprintf(&x, "%s-shm", path);
	unlink(x);
	free(x);
}

/* The journal rows that can be read from the database at path, added to
 * *rows (*n of them); the rows past the first damaged page are lost. */
static void
store_import_read(const char *path, struct store_import **rows, size_t *n)
{
	static const char *const sql[] = {
	    "SELECT j.folder, j.uid, j.op, j.arg, j.created, j.uidvalidity, "
	    "j.message_id, j.state, j.mark, f.name, f.raw_name FROM journal j "
	    "LEFT JOIN folder f ON f.id = j.folder ORDER BY j.id",
	    /* before schema 6 */
	    "SELECT j.folder, j.uid, j.op, j.arg, j.created, "
	    "coalesce(f.uidvalidity, 0), NULL, 0, 0, f.name, f.raw_name "
	    "FROM journal j LEFT JOIN folder f ON f.id = j.folder "
	    "ORDER BY j.id",
	    /* the folder table unreadable */
	    "SELECT folder, uid, op, arg, created, uidvalidity, message_id, "
	    "state, mark, NULL, NULL FROM journal ORDER BY id",
	    "SELECT folder, uid, op, arg, created, 0, NULL, 0, 0, NULL, NULL "
	    "FROM journal ORDER BY id",
	};
	struct store_import *r;
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	size_t k;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		return;
	}
	for (k = 0; k < sizeof sql / sizeof sql[0] && *n == 0; k++) {
		if (sqlite3_prepare_v2(db, sql[k], -1, &st, NULL) != SQLITE_OK)
			continue;
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (sqlite3_column_text(st, 2) == NULL)
				continue;
			*rows = xreallocarray(*rows, *n + 1, sizeof **rows);
			r = &(*rows)[(*n)++];
			memset(r, 0, sizeof *r);
			r->j.folder = sqlite3_column_int64(st, 0);
			r->j.uid = (uint32_t)sqlite3_column_int64(st, 1);
			r->op = store_col_strdup(st, 2);
			r->arg = store_col_strdup(st, 3);
			r->j.created = sqlite3_column_int64(st, 4);
			r->j.uidvalidity =
			    (uint32_t)sqlite3_column_int64(st, 5);
			r->message_id = store_col_strdup(st, 6);
			r->j.state = sqlite3_column_int(st, 7);
			r->j.mark = (uint32_t)sqlite3_column_int64(st, 8);
			r->name = store_col_strdup(st, 9);
			r->raw = store_col_strdup(st, 10);
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

/* The rows of the journal in the database at path, -1 if unreadable. */
static int64_t
store_count_journal(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	/* A cache whose journal moved to the account's data has none. */
	if (sqlite3_prepare_v2(db,
	        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
	        "name = 'journal'",
	        -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto out;
	if (sqlite3_column_int64(st, 0) == 0) {
		n = 0;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(
	        db, "SELECT count(*) FROM journal", -1, &st, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Finalize the statements and close the database; damaged skips the
 * checkpoint so the -wal stays whole beside a file about to move. 0, or -1
 * when SQLite could not close it. */
static int
store_close_db(struct store *s, int damaged)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < STMT__COUNT; i++) {
		sqlite3_finalize(s->stmt[i]);
		s->stmt[i] = NULL;
	}
	if (s->db == NULL)
		return 0;
	if (damaged)
		sqlite3_db_config(
		    s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	else if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (sqlite3_close(s->db) != SQLITE_OK)
		rc = -1;
	s->db = NULL;
	return rc;
}

struct store *
store_open(const char *path, char **err)
{
	struct store *s;
	char *why = NULL, *why2 = NULL;
	int damaged;

	*err = NULL;
	if (path == NULL || *path == '\0') {
		*err = xstrdup("cannot open cache: no path");
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	if (store_setup(s, &why, &damaged) == 0)
		return s;
	store_close_db(s, damaged);
	if (!damaged)
		goto fail;
	if (store_move_aside(s, &why2) != 0) {
		free(why);
		xasprintf(&why, "damaged, and %s", why2);
		free(why2);
		goto fail;
	}
	free(why);
	why = NULL;
	if (store_setup(s, &why, &damaged) == 0) {
		s->moved_imported = store_import_journal(s);
		store_recovery_notice(s);
		return s;
	}
	store_close_db(s, damaged);

fail:
	xasprintf(err, "cannot open cache '%s': %s", path, why);
	free(why);
	store_close(s);
	return NULL;
}

/* Append path to *uri with the characters a URI file name may not hold
 * as they are written as %XX (SQLite's URI file names, RFC 3986). */
static void
store_uri_path(char **uri, const char *path)
{
	const unsigned char *p;
	size_t len, cap;
	char *u;

	len = strlen(*uri);
	cap = len + 3 * strlen(path) + 1;
	u = xreallocarray(*uri, cap, 1);
	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' ||
		    *p >= 0x7f) {
			snprintf(u + len, cap - len, "%%%02X", *p);
			len += 3;
		} else
			u[len++] = (char)*p;
	}
	u[len] = '\0';
	*uri = u;
}

/* Open s->path for reading only, as an immutable file when immutable is
 * set; check its schema. On failure *why says why. */
static int
store_setup_readonly(struct store *s, int immutable, char **why)
{
	struct stat sb;
	sqlite3_stmt *st = NULL;
	char *uri, *path;
	int rc, version = -1;

	path = xstrdup("");
	store_uri_path(&path, s->path);
	xasprintf(&uri, "file:%s%s", path, immutable ? "?immutable=1" : "");
	free(path);
	rc = sqlite3_open_v2(uri, &s->db,
	    SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	free(uri);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_WAIT_MS);
	/* The first read opens the -wal and -shm: where they cannot be
	 * made, this is what fails. */
	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		goto fail;
	if (version != STORE_SCHEMA_VERSION) {
		xasprintf(why,
		    "schema version %d, not this errand's (%d): run errand "
		    "once without --offline",
		    version, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (stat(s->path, &sb) == 0) {
		s->dev = sb.st_dev;
		s->ino = sb.st_ino;
	}
	return 0;

fail:
	if (s->db != NULL && sqlite3_extended_errcode(s->db) != SQLITE_OK)
		*why = xstrdup(sqlite3_errmsg(s->db));
	else
		*why = xstrdup(sqlite3_errstr(rc));
	return -1;
}

struct store *
store_open_readonly(const char *path, char **err)
{
	struct stat sb;
	struct store *s;
	char *why = NULL;

	*err = NULL;
	if (path == NULL || *path == '\0') {
		*err = xstrdup("cannot open cache: no path");
		return NULL;
	}
	/* Nothing is made: a missing cache is an error here. */
	if (stat(path, &sb) == -1) {
		xasprintf(
		    err, "cannot open cache '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		xasprintf(
		    err, "cannot open cache '%s': not a regular file", path);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	s->readonly = 1;
	if (store_setup_readonly(s, 0, &why) == 0)
		return s;
	store_close_db(s, 0);
	/* A read-only directory, a full disk: no -shm can be made. An
	 * immutable open reads the file alone; changes still in another
	 * process's -wal are not seen. */
	free(why);
	why = NULL;
	if (store_setup_readonly(s, 1, &why) == 0)
		return s;
	store_close_db(s, 0);
	xasprintf(err, "cannot open cache '%s' read-only: %s", path, why);
	free(why);
	store_close(s);
	return NULL;
}

int
store_readonly(const struct store *s)
{
	return s->readonly;
}

void
store_set_busy_wait(struct store *s, int ms)
{
	sqlite3_busy_timeout(s->db, ms);
}

int
store_locked(const struct store *s)
{
	return s->locked;
}

void
store_close(struct store *s)
{
	int clean;

	if (s == NULL)
		return;
	/* SQLite's advice before closing, the limit included: without it the
	 * ANALYZE that follows a cold sync of 100,000 messages reads every row
	 * (20 ms of the sync's end); sampled stats serve these queries. */
	if (s->db != NULL && !s->readonly && sqlite3_get_autocommit(s->db)) {
		/* Best effort: not worth waiting for another's write. */
		sqlite3_busy_timeout(s->db, 100);
		sqlite3_exec(s->db,
		    "PRAGMA analysis_limit = 400; PRAGMA optimize", NULL, NULL,
		    NULL);
	}
	clean = s->db != NULL && !s->readonly && !s->damaged;
	if (store_close_db(s, s->damaged) == 0 && clean)
		store_mark_clean(s);
	free(s->path);
	free(s->error);
	free(s->dberr);
	free(s->notice);
	free(s->moved);
	free(s->getbuf);
	free(s);
}

const char *
store_error(const struct store *s)
{
	return s->error != NULL ? s->error : "";
}

const char *
store_path(const struct store *s)
{
	return s->path;
}

int
store_checked(const struct store *s)
{
	return s->checked;
}

int
store_damaged(const struct store *s)
{
	return s->damaged;
}

int
store_recovered(const struct store *s)
{
	return s->recovered;
}

const char *
store_notice(const struct store *s)
{
	return s->notice;
}

const char *
store_moved_path(const struct store *s)
{
	return s->moved;
}

int64_t
store_moved_pending(const struct store *s)
{
	return s->recovered ? s->moved_pending : 0;
}

int64_t
store_moved_imported(const struct store *s)
{
	return s->recovered ? s->moved_imported : 0;
}

int
store_begin(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		return store_fail(s, "cannot begin: a transaction is open");
	if (store_exec(s, STMT_BEGIN) != 0)
		return store_fail(s, "cannot begin a transaction");
	return 0;
}

int
store_commit(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return store_fail(s, "cannot commit: no transaction is open");
	if (store_exec(s, STMT_COMMIT) != 0)
		return store_fail(s, "cannot commit");
	return 0;
}

int
store_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return store_fail(
		    s, "cannot roll back: no transaction is open");
	if (store_exec(s, STMT_ROLLBACK) != 0)
		return store_fail(s, "cannot roll back");
	return 0;
}

int
store_in_transaction(const struct store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

int
store_folder_upsert(struct store *s, const struct store_folder *f, int64_t *id)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if (f->name == NULL || *f->name == '\0')
		return store_fail(s, "cannot add a folder without a name");
	if ((st = store_stmt(s, STMT_FOLDER_UPSERT)) == NULL)
		goto fail;
	store_bind_text(st, 1, f->name, &rc);
	store_bind_text(st, 2, f->raw_name, &rc);
	store_bind_text(st, 3, f->delim, &rc);
	store_bind_text(st, 4, f->special_use, &rc);
	store_bind_int(st, 5, f->subscribed != 0, &rc);
	store_bind_int(st, 6, f->noselect != 0, &rc);
	if (rc != SQLITE_OK)
		store_dberr(s, rc);
	if (rc != SQLITE_OK || store_step(s, st) != SQLITE_OK)
		goto fail;
	if (id == NULL)
		return 0;
	if ((st = store_stmt(s, STMT_FOLDER_ID)) == NULL)
		goto fail;
	store_bind_text(st, 1, f->name, &rc);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
fail:
	return store_fail(s, "cannot store folder '%s'", f->name);
}

int
store_folder_get(struct store *s, const char *name, struct store_folder *f)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	memset(f, 0, sizeof *f);
	if (name == NULL)
		return store_fail(s, "cannot read a folder without a name");
	if ((st = store_stmt(s, STMT_FOLDER_GET)) == NULL)
		goto fail;
	store_bind_text(st, 1, name, &rc);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		store_row_folder(st, f);
	else if (rc != SQLITE_DONE)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
fail:
	return store_fail(s, "cannot read folder '%s'", name);
}

void
store_folder_clear(struct store_folder *f)
{
	if (f == NULL)
		return;
	free((void *)f->name);
	free((void *)f->raw_name);
	free((void *)f->delim);
	free((void *)f->special_use);
	memset(f, 0, sizeof *f);
}

int
store_folder_list(struct store *s, struct store_folder **list, size_t *n)
{
	sqlite3_stmt *st;
	struct store_folder *l = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*list = NULL;
	*n = 0;
	if ((st = store_stmt(s, STMT_FOLDER_LIST)) == NULL)
		return store_fail(s, "cannot list folders");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			l = xreallocarray(l, cap, sizeof *l);
		}
		store_row_folder(st, &l[len++]);
	}
	if (rc != SQLITE_DONE)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_folder_list_free(l, len);
		return store_fail(s, "cannot list folders");
	}
	*list = l;
	*n = len;
	return 0;
}

void
store_folder_list_free(struct store_folder *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		store_folder_clear(&list[i]);
	free(list);
}

int
store_folder_delete(struct store *s, const char *name)
{
	struct store_folder f;
	enum store_stmt ids[] = {STMT_BODY_DELETE_FOLDER,
	    STMT_MSG_DELETE_FOLDER, STMT_MDFILE_DELETE_FOLDER,
	    STMT_FOLDER_DELETE};
	sqlite3_stmt *st;
	size_t i;
	int rc, ok = 0;

	if (name == NULL)
		return store_fail(s, "cannot delete a folder without a name");
	if ((rc = store_folder_get(s, name, &f)) != 0)
		return rc == 1 ? 0 : -1;
	if (store_atomic_begin(s) != 0)
		goto fail;
	for (i = 0; i < sizeof ids / sizeof ids[0] && ok == 0; i++) {
		rc = SQLITE_OK;
		if ((st = store_stmt(s, ids[i])) == NULL) {
			ok = -1;
			break;
		}
		store_bind_int(st, 1, f.id, &rc);
		if (store_step(s, st) != SQLITE_OK)
			ok = -1;
	}
	if (store_atomic_end(s, ok) != 0)
		goto fail;
	store_folder_clear(&f);
	return 0;
fail:
	store_folder_clear(&f);
	return store_fail(s, "cannot delete folder '%s'", name);
}

int
store_folder_rename(
    struct store *s, const char *from, const char *to, const char *raw_to)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if (from == NULL || to == NULL || *to == '\0')
		return store_fail(s,
		    "cannot rename folder '%s' to '%s': "
		    "no name",
		    from != NULL ? from : "", to != NULL ? to : "");
	if ((st = store_stmt(s, STMT_FOLDER_RENAME)) == NULL)
		goto fail;
	store_bind_text(st, 1, from, &rc);
	store_bind_text(st, 2, to, &rc);
	store_bind_text(st, 3, raw_to, &rc);
	if ((rc = store_step(s, st)) == SQLITE_OK) {
		if (sqlite3_changes(s->db) == 0)
			return store_fail(s,
			    "cannot rename folder '%s': "
			    "no such folder",
			    from);
		return 0;
	}
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		free(s->dberr);
		s->dberr = NULL;
		return store_fail(s,
		    "cannot rename folder '%s' to '%s': '%s' exists", from, to,
		    to);
	}
fail:
	return store_fail(s, "cannot rename folder '%s' to '%s'", from, to);
}

int
store_folder_set_sync(struct store *s, int64_t folder, uint32_t uidvalidity,
    uint32_t uidnext, uint64_t highestmodseq)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if ((st = store_stmt(s, STMT_FOLDER_SET_SYNC)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	store_bind_int(st, 2, uidvalidity, &rc);
	store_bind_int(st, 3, uidnext, &rc);
	store_bind_int(st, 4, (int64_t)highestmodseq, &rc);
	if (store_step(s, st) == SQLITE_OK)
		return 0;
fail:
	return store_fail(
	    s, "cannot save the sync state of folder %lld", (long long)folder);
}

int
store_folder_set_synced(struct store *s, int64_t folder, uint32_t uid)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if ((st = store_stmt(s, STMT_FOLDER_SET_SYNCED)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	store_bind_int(st, 2, uid, &rc);
	if (store_step(s, st) == SQLITE_OK)
		return 0;
fail:
	return store_fail(
	    s, "cannot save the sync state of folder %lld", (long long)folder);
}

int
store_folder_set_status(
    struct store *s, int64_t folder, uint32_t total, uint32_t unseen)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if ((st = store_stmt(s, STMT_FOLDER_SET_STATUS)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	store_bind_int(st, 2, total, &rc);
	store_bind_int(st, 3, unseen, &rc);
	if (store_step(s, st) == SQLITE_OK)
		return 0;
fail:
	return store_fail(
	    s, "cannot save the counts of folder %lld", (long long)folder);
}

int
store_folder_reset(struct store *s, int64_t folder, uint32_t uidvalidity)
{
	enum store_stmt ids[] = {STMT_BODY_DELETE_FOLDER,
	    STMT_MSG_DELETE_FOLDER, STMT_MDFILE_DELETE_FOLDER,
	    STMT_FOLDER_RESET};
	sqlite3_stmt *st;
	size_t i;
	int rc, ok = 0;

	if (store_atomic_begin(s) != 0)
		goto fail;
	for (i = 0; i < sizeof ids / sizeof ids[0] && ok == 0; i++) {
		rc = SQLITE_OK;
		if ((st = store_stmt(s, ids[i])) == NULL) {
			ok = -1;
			break;
		}
		store_bind_int(st, 1, folder, &rc);
		if (ids[i] == STMT_FOLDER_RESET)
			store_bind_int(st, 2, uidvalidity, &rc);
		if (store_step(s, st) != SQLITE_OK)
			ok = -1;
	}
	if (store_atomic_end(s, ok) == 0)
		return 0;
fail:
	return store_fail(s, "cannot reset folder %lld", (long long)folder);
}

int
store_msg_put(struct store *s, int64_t folder, const struct store_msg *m)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if (m->uid == 0)
		return store_fail(s,
		    "cannot store message 0 in folder %lld: "
		    "UID 0 is not valid",
		    (long long)folder);
	if ((st = store_stmt(s, STMT_MSG_PUT)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	store_bind_int(st, 2, m->uid, &rc);
	store_bind_int(st, 3, (int64_t)m->modseq, &rc);
	store_bind_int(st, 4, m->flags, &rc);
	store_bind_text(st, 5, m->keywords, &rc);
	store_bind_int(st, 6, m->internaldate, &rc);
	store_bind_int(st, 7, m->size, &rc);
	store_bind_int(st, 8, m->date, &rc);
	store_bind_text(st, 9, m->from_name, &rc);
	store_bind_text(st, 10, m->from_addr, &rc);
	store_bind_text(st, 11, m->to_addr, &rc);
	store_bind_text(st, 12, m->cc, &rc);
	store_bind_text(st, 13, m->subject, &rc);
	store_bind_text(st, 14, m->message_id, &rc);
	store_bind_text(st, 15, m->in_reply_to, &rc);
	store_bind_text(st, 16, m->refs, &rc);
	store_bind_int(st, 17, m->has_attachment != 0, &rc);
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		sqlite3_clear_bindings(st);
		goto fail;
	}
	if (store_step(s, st) == SQLITE_OK)
		return 0;
fail:
	return store_fail(s, "cannot store message %u in folder %lld", m->uid,
	    (long long)folder);
}

int
store_msg_set_flags(struct store *s, int64_t folder, uint32_t uid,
    unsigned int flags, const char *keywords, uint64_t modseq)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if ((st = store_stmt(s, STMT_MSG_FLAGS)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	store_bind_int(st, 2, uid, &rc);
	store_bind_int(st, 3, flags, &rc);
	store_bind_text(st, 4, keywords, &rc);
	store_bind_int(st, 5, (int64_t)modseq, &rc);
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		sqlite3_clear_bindings(st);
		goto fail;
	}
	if (store_step(s, st) == SQLITE_OK)
		return 0;
fail:
	return store_fail(s,
	    "cannot set the flags of message %u in folder %lld", uid,
	    (long long)folder);
}

/* Delete messages lo to hi and their bodies, in the caller's savepoint. */
static int
store_delete_range(struct store *s, int64_t folder, uint32_t lo, uint32_t hi)
{
	enum store_stmt ids[] = {STMT_BODY_DELETE_RANGE, STMT_MSG_DELETE_RANGE};
	sqlite3_stmt *st;
	size_t i;
	int rc;

	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		rc = SQLITE_OK;
		if ((st = store_stmt(s, ids[i])) == NULL)
			return -1;
		store_bind_int(st, 1, folder, &rc);
		store_bind_int(st, 2, lo, &rc);
		store_bind_int(st, 3, hi, &rc);
		if (store_step(s, st) != SQLITE_OK)
			return -1;
	}
	return 0;
}

int
store_msg_delete(struct store *s, int64_t folder, uint32_t uid)
{
	return store_msg_delete_range(s, folder, uid, uid);
}

int
store_msg_delete_uids(
    struct store *s, int64_t folder, const uint32_t *uids, size_t n)
{
	size_t i;
	int ok = 0;

	if (n == 0)
		return 0;
	if (store_atomic_begin(s) != 0)
		goto fail;
	for (i = 0; i < n && ok == 0; i++)
		ok = store_delete_range(s, folder, uids[i], uids[i]);
	if (store_atomic_end(s, ok) == 0)
		return 0;
fail:
	return store_fail(
	    s, "cannot delete messages in folder %lld", (long long)folder);
}

int
store_msg_delete_range(
    struct store *s, int64_t folder, uint32_t lo, uint32_t hi)
{
	int ok;

	if (store_atomic_begin(s) != 0)
		goto fail;
	ok = store_delete_range(s, folder, lo, hi);
	if (store_atomic_end(s, ok) == 0)
		return 0;
fail:
	if (lo == hi)
		return store_fail(s, "cannot delete message %u in folder %lld",
		    lo, (long long)folder);
	return store_fail(s, "cannot delete messages %u:%u in folder %lld", lo,
	    hi, (long long)folder);
}

int
store_msg_uids(struct store *s, int64_t folder, uint32_t **uids, size_t *n)
{
	sqlite3_stmt *st;
	uint32_t *u = NULL;
	size_t len = 0, cap = 0;
	int rc = SQLITE_OK;

	*uids = NULL;
	*n = 0;
	if ((st = store_stmt(s, STMT_MSG_UIDS)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap == 0 ? 1024 : cap * 2;
			u = xreallocarray(u, cap, sizeof *u);
		}
		u[len++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE) {
		*uids = u;
		*n = len;
		return 0;
	}
	free(u);
fail:
	return store_fail(
	    s, "cannot list the UIDs of folder %lld", (long long)folder);
}

int
store_msg_foreach(struct store *s, int64_t folder, enum store_order order,
    store_msg_cb cb, void *arg)
{
	sqlite3_stmt *st;
	struct store_msg m;
	int rc = SQLITE_OK, stop = 0;

	if (s->busy)
		fatalx("%s: called from a foreach callback", __func__);
	st = store_stmt(s,
	    order == STORE_ORDER_UID ? STMT_MSG_LIST_UID : STMT_MSG_LIST_DATE);
	if (st == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	s->busy = 1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_row_msg(st, &m);
		if ((stop = cb(&m, arg)) != 0)
			break;
	}
	s->busy = 0;
	if (rc != SQLITE_DONE && stop == 0)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (stop != 0)
		return stop;
	if (rc == SQLITE_DONE)
		return 0;
fail:
	return store_fail(
	    s, "cannot list the messages of folder %lld", (long long)folder);
}

int
store_msg_get(
    struct store *s, int64_t folder, uint32_t uid, struct store_msg *m)
{
	sqlite3_stmt *st;
	const char **fields[] = {&m->keywords, &m->from_name, &m->from_addr,
	    &m->to_addr, &m->cc, &m->subject, &m->message_id, &m->in_reply_to,
	    &m->refs};
	size_t i, len, off;
	int rc = SQLITE_OK;

	memset(m, 0, sizeof *m);
	if ((st = store_stmt(s, STMT_MSG_GET)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	store_bind_int(st, 2, uid, &rc);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* Copy the strings into one buffer kept until the next get. */
		store_row_msg(st, m);
		len = 0;
		for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
			len += strlen(*fields[i]) + 1;
		free(s->getbuf);
		s->getbuf = xmalloc(len);
		off = 0;
		for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
			len = strlen(*fields[i]) + 1;
			memcpy(s->getbuf + off, *fields[i], len);
			*fields[i] = s->getbuf + off;
			off += len;
		}
	} else if (rc != SQLITE_DONE)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
fail:
	return store_fail(
	    s, "cannot read message %u in folder %lld", uid, (long long)folder);
}

int
store_msg_count(
    struct store *s, int64_t folder, uint32_t *total, uint32_t *unseen)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	*total = *unseen = 0;
	if ((st = store_stmt(s, STMT_MSG_COUNT)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*total = (uint32_t)sqlite3_column_int64(st, 0);
		*unseen = (uint32_t)sqlite3_column_int64(st, 1);
	} else
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
fail:
	return store_fail(
	    s, "cannot count the messages of folder %lld", (long long)folder);
}

int
store_msg_uid_max(struct store *s, int64_t folder, uint32_t *uid)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	*uid = 0;
	if ((st = store_stmt(s, STMT_MSG_UID_MAX)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*uid = (uint32_t)sqlite3_column_int64(st, 0);
	else
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
fail:
	return store_fail(
	    s, "cannot read the highest UID of folder %lld", (long long)folder);
}

int
store_msg_foreach_cols(struct store *s, int64_t folder, unsigned int cols,
    store_msg_cb cb, void *arg)
{
	static const struct {
		unsigned int col;
		const char *name;
	} names[] = {
	    {STORE_COL_KEYWORDS, "keywords"},
	    {STORE_COL_FROM, "from_name"},
	    {STORE_COL_FROM, "from_addr"},
	    {STORE_COL_TO, "to_addr"},
	    {STORE_COL_CC, "cc"},
	    {STORE_COL_SUBJECT, "subject"},
	    {STORE_COL_IDS, "message_id"},
	    {STORE_COL_IDS, "in_reply_to"},
	    {STORE_COL_IDS, "refs"},
	};
	const char **fields[9];
	sqlite3_stmt *st = NULL;
	struct store_msg m;
	char *sql, *cat;
	size_t i, n = 0;
	int rc = SQLITE_OK, stop = 0;

	if (s->busy)
		fatalx("%s: called from a foreach callback", __func__);
	memset(&m, 0, sizeof m);
	fields[0] = &m.keywords;
	fields[1] = &m.from_name;
	fields[2] = &m.from_addr;
	fields[3] = &m.to_addr;
	fields[4] = &m.cc;
	fields[5] = &m.subject;
	fields[6] = &m.message_id;
	fields[7] = &m.in_reply_to;
	fields[8] = &m.refs;
	/* Only the strings asked for: the others cost a row's worth of
	 * reading for nothing. */
	sql = xstrdup("SELECT uid, modseq, flags, internaldate, size, date, "
	              "has_attachment");
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		*fields[i] = "";
		if (!(cols & names[i].col))
			continue;
		xasprintf(&cat, "%s, %s", sql, names[i].name);
		free(sql);
		sql = cat;
	}
	xasprintf(
	    &cat, "%s FROM message WHERE folder = ?1 ORDER BY uid DESC", sql);
	free(sql);
	sql = cat;
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		goto fail;
	}
	rc = sqlite3_bind_int64(st, 1, folder);
	s->busy = 1;
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		m.uid = (uint32_t)sqlite3_column_int64(st, 0);
		m.modseq = (uint64_t)sqlite3_column_int64(st, 1);
		m.flags = (unsigned int)sqlite3_column_int64(st, 2);
		m.internaldate = sqlite3_column_int64(st, 3);
		m.size = sqlite3_column_int64(st, 4);
		m.date = sqlite3_column_int64(st, 5);
		m.has_attachment = sqlite3_column_int(st, 6);
		for (i = 0, n = 7; i < sizeof names / sizeof names[0]; i++) {
			if (cols & names[i].col)
				*fields[i] = store_col_text(st, (int)n++);
		}
		if ((stop = cb(&m, arg)) != 0)
			break;
		rc = SQLITE_OK;
	}
	s->busy = 0;
	if (rc != SQLITE_DONE && stop == 0)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_finalize(st);
	if (stop != 0)
		return stop;
	if (rc == SQLITE_DONE)
		return 0;
fail:
	return store_fail(
	    s, "cannot list the messages of folder %lld", (long long)folder);
}

int
store_body_put(
    struct store *s, int64_t folder, uint32_t uid, const void *raw, size_t len)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if ((st = store_stmt(s, STMT_BODY_PUT)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	store_bind_int(st, 2, uid, &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob64(
		    st, 3, raw != NULL ? raw : "", len, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		sqlite3_clear_bindings(st);
		goto fail;
	}
	if (store_step(s, st) == SQLITE_OK)
		return 0;
fail:
	return store_fail(s,
	    "cannot store the body of message %u in folder "
	    "%lld",
	    uid, (long long)folder);
}

int
store_body_get(
    struct store *s, int64_t folder, uint32_t uid, void **raw, size_t *len)
{
	sqlite3_stmt *st;
	const void *p;
	size_t n;
	int rc = SQLITE_OK;

	*raw = NULL;
	*len = 0;
	if ((st = store_stmt(s, STMT_BODY_GET)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	store_bind_int(st, 2, uid, &rc);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p = sqlite3_column_blob(st, 0);
		n = (size_t)sqlite3_column_bytes(st, 0);
		*raw = xmalloc(n + 1);
		if (n > 0)
			memcpy(*raw, p, n);
		((char *)*raw)[n] = '\0';
		*len = n;
	} else if (rc != SQLITE_DONE)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
fail:
	return store_fail(s,
	    "cannot read the body of message %u in folder "
	    "%lld",
	    uid, (long long)folder);
}

int
store_journal_add(struct store *s, int64_t folder, uint32_t uid, const char *op,
    const char *arg, int64_t *id)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if (op == NULL || *op == '\0')
		return store_fail(s, "cannot add to the journal: no operation");
	if ((st = store_stmt(
	         s, s->jattached ? STMT_JOURNAL_ADD_DATA : STMT_JOURNAL_ADD)) ==
	    NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	store_bind_int(st, 2, uid, &rc);
	store_bind_text(st, 3, op, &rc);
	store_bind_text(st, 4, arg, &rc);
	store_bind_int(st, 5, (int64_t)time(NULL), &rc);
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		sqlite3_clear_bindings(st);
		goto fail;
	}
	if (store_step(s, st) == SQLITE_OK) {
		if (id != NULL)
			*id = sqlite3_last_insert_rowid(s->db);
		return 0;
	}
fail:
	return store_fail(s, "cannot add '%s' to the journal", op);
}

int
store_journal_put(struct store *s, const struct store_journal *j, int64_t *id)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if (j->op == NULL || *j->op == '\0')
		return store_fail(s, "cannot add to the journal: no operation");
	if ((st = store_stmt(
	         s, s->jattached ? STMT_JOURNAL_PUT_DATA : STMT_JOURNAL_PUT)) ==
	    NULL)
		goto fail;
	store_bind_int(st, 1, j->folder, &rc);
	store_bind_int(st, 2, j->uid, &rc);
	store_bind_text(st, 3, j->op, &rc);
	store_bind_text(st, 4, j->arg, &rc);
	store_bind_int(
	    st, 5, j->created != 0 ? j->created : (int64_t)time(NULL), &rc);
	store_bind_int(st, 6, j->uidvalidity, &rc);
	store_bind_text(st, 7,
	    j->message_id != NULL && *j->message_id != '\0' ? j->message_id
	                                                    : NULL,
	    &rc);
	store_bind_int(st, 8, j->state, &rc);
	store_bind_int(st, 9, j->mark, &rc);
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		sqlite3_clear_bindings(st);
		goto fail;
	}
	if (store_step(s, st) == SQLITE_OK) {
		if (id != NULL)
			*id = sqlite3_last_insert_rowid(s->db);
		return 0;
	}
fail:
	return store_fail(s, "cannot add '%s' to the journal", j->op);
}

int
store_journal_set_state(struct store *s, int64_t id, int state, uint32_t mark)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if ((st = store_stmt(s, STMT_JOURNAL_SET_STATE)) == NULL)
		goto fail;
	store_bind_int(st, 1, id, &rc);
	store_bind_int(st, 2, state, &rc);
	store_bind_int(st, 3, mark, &rc);
	if (rc == SQLITE_OK && store_step(s, st) == SQLITE_OK)
		return 0;
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		sqlite3_clear_bindings(st);
	}
fail:
	return store_fail(s, "cannot update journal entry %lld", (long long)id);
}

int
store_journal_retarget(struct store *s, int64_t id, uint32_t uid,
    uint32_t uidvalidity, const char *arg)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if ((st = store_stmt(s, STMT_JOURNAL_RETARGET)) == NULL)
		goto fail;
	store_bind_int(st, 1, id, &rc);
	store_bind_int(st, 2, uid, &rc);
	store_bind_int(st, 3, uidvalidity, &rc);
	store_bind_text(st, 4, arg, &rc);
	if (rc == SQLITE_OK && store_step(s, st) == SQLITE_OK)
		return 0;
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		sqlite3_clear_bindings(st);
	}
fail:
	return store_fail(
	    s, "cannot re-target journal entry %lld", (long long)id);
}

int
store_journal_remove(struct store *s, int64_t id)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if ((st = store_stmt(s, STMT_JOURNAL_REMOVE)) == NULL)
		goto fail;
	store_bind_int(st, 1, id, &rc);
	if (store_step(s, st) == SQLITE_OK)
		return 0;
fail:
	return store_fail(s, "cannot remove journal entry %lld", (long long)id);
}

int
store_journal_foreach(struct store *s, store_journal_cb cb, void *arg)
{
	return store_journal_walk(s, STMT_JOURNAL_LIST, 0, 0, cb, arg);
}

int
store_journal_foreach_msg(struct store *s, int64_t folder, uint32_t uid,
    store_journal_cb cb, void *arg)
{
	return store_journal_walk(
	    s, STMT_JOURNAL_LIST_MSG, folder, uid, cb, arg);
}

/* The rows of a journal statement, to cb; folder and uid are bound for
 * STMT_JOURNAL_LIST_MSG. */
static int
store_journal_walk(struct store *s, enum store_stmt id, int64_t folder,
    uint32_t uid, store_journal_cb cb, void *arg)
{
	sqlite3_stmt *st;
	struct store_journal j;
	int rc = SQLITE_OK, stop = 0;

	if (s->busy)
		fatalx("%s: called from a foreach callback", __func__);
	if ((st = store_stmt(s, id)) == NULL)
		goto fail;
	if (id == STMT_JOURNAL_LIST_MSG) {
		store_bind_int(st, 1, folder, &rc);
		store_bind_int(st, 2, uid, &rc);
		if (rc != SQLITE_OK) {
			store_dberr(s, rc);
			sqlite3_clear_bindings(st);
			goto fail;
		}
	}
	s->busy = 1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_row_journal(st, &j);
		if ((stop = cb(&j, arg)) != 0)
			break;
	}
	s->busy = 0;
	if (rc != SQLITE_DONE && stop == 0)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	if (stop != 0)
		return stop;
	if (rc == SQLITE_DONE)
		return 0;
fail:
	return store_fail(s, "cannot read the journal");
}

/* Fill j from a row of JOURNAL_COLUMNS; the strings are the statement's. */
static void
store_row_journal(sqlite3_stmt *st, struct store_journal *j)
{
	j->id = sqlite3_column_int64(st, 0);
	j->folder = sqlite3_column_int64(st, 1);
	j->uid = (uint32_t)sqlite3_column_int64(st, 2);
	j->op = store_col_text(st, 3);
	j->arg = store_col_text(st, 4);
	j->created = sqlite3_column_int64(st, 5);
	j->uidvalidity = (uint32_t)sqlite3_column_int64(st, 6);
	j->message_id = store_col_text(st, 7);
	j->state = sqlite3_column_int(st, 8);
	j->mark = (uint32_t)sqlite3_column_int64(st, 9);
}

int
store_journal_count(struct store *s, int64_t *n)
{
	return store_journal_count_where(s, STMT_JOURNAL_COUNT, n);
}

int
store_journal_held(struct store *s, int64_t *n)
{
	return store_journal_count_where(s, STMT_JOURNAL_HELD, n);
}

/* The single count a journal statement gives, in *n. */
static int
store_journal_count_where(struct store *s, enum store_stmt id, int64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if ((st = store_stmt(s, id)) == NULL)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
fail:
	return store_fail(s, "cannot count the journal");
}

int
store_pop3_seen_add(struct store *s, const char *uidl, const char *maildir_name)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if (uidl == NULL || *uidl == '\0')
		return store_fail(s, "cannot record a POP3 message: no UIDL");
	if ((st = store_stmt(s, STMT_POP3_ADD)) == NULL)
		goto fail;
	store_bind_text(st, 1, uidl, &rc);
	store_bind_int(st, 2, (int64_t)time(NULL), &rc);
	store_bind_text(st, 3, maildir_name, &rc);
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		sqlite3_clear_bindings(st);
		goto fail;
	}
	if (store_step(s, st) == SQLITE_OK)
		return 0;
fail:
	return store_fail(s, "cannot record POP3 message '%s'", uidl);
}

int
store_pop3_seen_has(struct store *s, const char *uidl)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if (uidl == NULL)
		return store_fail(s, "cannot look up a POP3 message: no UIDL");
	if ((st = store_stmt(s, STMT_POP3_HAS)) == NULL)
		goto fail;
	store_bind_text(st, 1, uidl, &rc);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
fail:
	return store_fail(s, "cannot look up POP3 message '%s'", uidl);
}

int
store_pop3_seen_remove(struct store *s, const char *uidl)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if (uidl == NULL)
		return store_fail(s, "cannot forget a POP3 message: no UIDL");
	if ((st = store_stmt(s, STMT_POP3_REMOVE)) == NULL)
		goto fail;
	store_bind_text(st, 1, uidl, &rc);
	if (store_step(s, st) == SQLITE_OK)
		return 0;
fail:
	return store_fail(s, "cannot forget POP3 message '%s'", uidl);
}

int
store_pop3_seen_get(struct store *s, const char *uidl, int64_t *fetched_at)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	*fetched_at = 0;
	if (uidl == NULL)
		return store_fail(s, "cannot look up a POP3 message: no UIDL");
	if ((st = store_stmt(s, STMT_POP3_GET)) == NULL)
		goto fail;
	store_bind_text(st, 1, uidl, &rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*fetched_at = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
fail:
	return store_fail(s, "cannot look up POP3 message '%s'", uidl);
}

int
store_pop3_seen_foreach(struct store *s, store_pop3_cb cb, void *arg)
{
	sqlite3_stmt *st;
	int rc, stop = 0;

	if (s->busy)
		fatalx("%s: called from a foreach callback", __func__);
	if ((st = store_stmt(s, STMT_POP3_LIST)) == NULL)
		goto fail;
	s->busy = 1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((stop = cb(store_col_text(st, 0),
		         sqlite3_column_int64(st, 1), store_col_text(st, 2),
		         arg)) != 0)
			break;
	}
	s->busy = 0;
	if (rc != SQLITE_DONE && stop == 0)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	if (stop != 0)
		return stop;
	if (rc == SQLITE_DONE)
		return 0;
fail:
	return store_fail(s, "cannot read the POP3 messages fetched");
}

int
store_mdfile_foreach(struct store *s, int64_t folder, int only_new,
    store_mdfile_cb cb, void *arg)
{
	sqlite3_stmt *st;
	int rc, stop = 0;

	if (s->busy)
		fatalx("%s: called from a foreach callback", __func__);
	if ((st = store_stmt(s,
	         only_new ? STMT_MDFILE_LIST_NEW : STMT_MDFILE_LIST)) == NULL)
		goto fail;
	rc = SQLITE_OK;
	store_bind_int(st, 1, folder, &rc);
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		sqlite3_clear_bindings(st);
		goto fail;
	}
	s->busy = 1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((stop = cb(store_col_text(st, 0),
		         (uint32_t)sqlite3_column_int64(st, 1),
		         sqlite3_column_int64(st, 2),
		         (unsigned int)sqlite3_column_int64(st, 3),
		         sqlite3_column_int(st, 4), arg)) != 0)
			break;
	}
	s->busy = 0;
	if (rc != SQLITE_DONE && stop == 0)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	if (stop != 0)
		return stop;
	if (rc == SQLITE_DONE)
		return 0;
fail:
	return store_fail(s, "cannot read the Maildir files of folder %lld",
	    (long long)folder);
}

int
store_mdfile_put(struct store *s, int64_t folder, const char *name,
    uint32_t uid, int64_t mtime, int in_new)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if ((st = store_stmt(s, STMT_MDFILE_PUT)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	store_bind_text(st, 2, name, &rc);
	store_bind_int(st, 3, uid, &rc);
	store_bind_int(st, 4, mtime, &rc);
	store_bind_int(st, 5, in_new != 0, &rc);
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		sqlite3_clear_bindings(st);
		goto fail;
	}
	if (store_step(s, st) == SQLITE_OK)
		return 0;
fail:
	return store_fail(s, "cannot record Maildir file '%s'", name);
}

int
store_mdfile_delete(struct store *s, int64_t folder, const char *name)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if ((st = store_stmt(s, STMT_MDFILE_DELETE)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	store_bind_text(st, 2, name, &rc);
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		sqlite3_clear_bindings(st);
		goto fail;
	}
	if (store_step(s, st) == SQLITE_OK)
		return 0;
fail:
	return store_fail(s, "cannot forget Maildir file '%s'", name);
}

int
store_mdfile_name(struct store *s, int64_t folder, uint32_t uid, char **name)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	*name = NULL;
	if ((st = store_stmt(s, STMT_MDFILE_NAME)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	store_bind_int(st, 2, uid, &rc);
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		sqlite3_clear_bindings(st);
		goto fail;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*name = store_col_strdup(st, 0);
	else if (rc != SQLITE_DONE)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
fail:
	return store_fail(
	    s, "cannot find the Maildir file of message %u", (unsigned int)uid);
}

int
store_folder_set_mdstamp(
    struct store *s, int64_t folder, uint64_t cur, uint64_t new_stamp)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if ((st = store_stmt(s, STMT_FOLDER_SET_MDSTAMP)) == NULL)
		goto fail;
	store_bind_int(st, 1, folder, &rc);
	store_bind_int(st, 2, (int64_t)cur, &rc);
	store_bind_int(st, 3, (int64_t)new_stamp, &rc);
	if (store_step(s, st) == SQLITE_OK)
		return 0;
fail:
	return store_fail(s, "cannot save the Maildir stamps of folder %lld",
	    (long long)folder);
}

/* A statement of the attach, on failure "WHAT in 'PATH': SQLITE". */
static int
store_jexec(struct store *s, const char *sql, const char *path, char **err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	xasprintf(err, "cannot open the journal '%s': %s", path,
	    sqlite3_errmsg(s->db));
	return -1;
}

/* 1 when the cache file still has its own journal table. */
static int
store_main_journal(struct store *s)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(s->db,
	        "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND "
	        "name = 'journal'",
	        -1, &st, NULL) != SQLITE_OK)
		return 0;
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* Point each data row at its folder's row in this cache by server name,
 * making the folder's row when the cache has none (a cache made again). */
static int
store_journal_refolder(struct store *s)
{
	sqlite3_stmt *st;
	struct store_folder f, g;
	char **names = NULL, **raws = NULL;
	size_t i, n = 0;
	int rc = 0;

	if (sqlite3_prepare_v2(s->db,
	        "SELECT DISTINCT coalesce(folder_name, folder_raw), folder_raw "
	        "FROM data.journal j WHERE folder_raw IS NOT NULL AND NOT "
	        "EXISTS (SELECT 1 FROM main.folder f WHERE f.raw_name = "
	        "j.folder_raw)",
	        -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		names = xreallocarray(names, n + 1, sizeof *names);
		raws = xreallocarray(raws, n + 1, sizeof *raws);
		names[n] = store_col_strdup(st, 0);
		raws[n++] = store_col_strdup(st, 1);
	}
	sqlite3_finalize(st);
	for (i = 0; i < n; i++) {
		memset(&f, 0, sizeof f);
		f.name = names[i];
		f.raw_name = raws[i];
		/* A name taken by another folder: the server's name. */
		if (store_folder_get(s, names[i], &g) == 0) {
			store_folder_clear(&g);
			f.name = raws[i];
		}
		if (store_folder_upsert(s, &f, NULL) != 0)
			rc = -1;
		free(names[i]);
		free(raws[i]);
	}
	free(names);
	free(raws);
	if (rc == 0 &&
	    sqlite3_exec(s->db,
	        "UPDATE data.journal SET folder = (SELECT f.id FROM "
	        "main.folder f WHERE f.raw_name = journal.folder_raw) WHERE "
	        "folder_raw IS NOT NULL AND folder IS NOT (SELECT f.id FROM "
	        "main.folder f WHERE f.raw_name = journal.folder_raw)",
	        NULL, NULL, NULL) != SQLITE_OK)
		rc = -1;
	return rc;
}

int
store_journal_attach(struct store *s, const char *path, char **err)
{
	static const char *const setup[] = {
	    "PRAGMA data.journal_mode = WAL",
	    /* A change is safe once its row is: every commit on disk. */
	    "PRAGMA data.synchronous = FULL",
	    "CREATE TABLE IF NOT EXISTS data.journal ("
	    " id INTEGER PRIMARY KEY,"
	    " folder INTEGER,"
	    " uid INTEGER NOT NULL DEFAULT 0,"
	    " op TEXT NOT NULL,"
	    " arg TEXT,"
	    " created INTEGER NOT NULL,"
	    " uidvalidity INTEGER NOT NULL DEFAULT 0,"
	    " message_id TEXT,"
	    " state INTEGER NOT NULL DEFAULT 0,"
	    " mark INTEGER NOT NULL DEFAULT 0,"
	    " folder_name TEXT,"
	    " folder_raw TEXT)",
	    ("CREATE INDEX IF NOT EXISTS data.journal_msg ON journal "
	     "(folder, uid)"),
	};
	sqlite3_stmt *st;
	const char *ok;
	char *why = NULL;
	size_t i;
	int rc;

	*err = NULL;
	if (s->jattached)
		return 0;
	if (store_mkdirs(path, &why) != 0 ||
	    store_create_file(path, &why) != 0) {
		xasprintf(err, "cannot open the journal '%s': %s", path, why);
		free(why);
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, "ATTACH DATABASE ?1 AS data", -1, &st,
	        NULL) != SQLITE_OK)
		return store_jexec(s, "SELECT no_such_thing", path, err);
	sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		xasprintf(err, "cannot open the journal '%s': %s", path,
		    sqlite3_errmsg(s->db));
		return -1;
	}
	rc =
	    sqlite3_prepare_v2(s->db, "PRAGMA data.quick_check", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    ((ok = (const char *)sqlite3_column_text(st, 0)) == NULL ||
	        strcmp(ok, "ok") != 0)) {
		xasprintf(err, "cannot open the journal '%s': %s", path,
		    ok != NULL ? ok : "damaged");
		sqlite3_finalize(st);
		goto detach;
	}
	sqlite3_finalize(st);
	for (i = 0; i < sizeof setup / sizeof setup[0]; i++)
		if (store_jexec(s, setup[i], path, err) != 0)
			goto detach;
	/* The cache's own rows (schema 6, those brought over from a damaged
	 * cache too) move to the data journal: written there durably first,
	 * then gone from the cache. A run that dies between the two finds
	 * them there already and does not copy them twice. */
	if (store_main_journal(s)) {
		if (store_jexec(s,
		        "INSERT INTO data.journal (folder, uid, op, arg, "
		        "created, uidvalidity, message_id, state, mark, "
		        "folder_name, folder_raw) SELECT j.folder, j.uid, "
		        "j.op, "
		        "j.arg, j.created, j.uidvalidity, j.message_id, "
		        "j.state, j.mark, f.name, f.raw_name FROM main.journal "
		        "j LEFT JOIN main.folder f ON f.id = j.folder WHERE "
		        "NOT "
		        "EXISTS (SELECT 1 FROM data.journal d WHERE d.op = "
		        "j.op "
		        "AND d.arg IS j.arg AND d.uid = j.uid AND d.created = "
		        "j.created AND d.uidvalidity = j.uidvalidity) ORDER BY "
		        "j.id",
		        path, err) != 0 ||
		    store_jexec(s, "DROP TABLE main.journal", path, err) != 0)
			goto detach;
	}
	if (store_journal_refolder(s) != 0) {
		xasprintf(err, "cannot open the journal '%s': %s", path,
		    s->error != NULL ? s->error : sqlite3_errmsg(s->db));
		goto detach;
	}
	s->jattached = 1;
	return 0;
detach:
	sqlite3_exec(s->db, "DETACH DATABASE data", NULL, NULL, NULL);
	return -1;
}

int
store_addresses(struct store *s, size_t max, store_addr_cb cb, void *arg)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(s->db,
	    "SELECT from_name, from_addr, to_addr, cc, date FROM message "
	    "ORDER BY date DESC LIMIT ?",
	    -1, &st, NULL);
	if (rc != SQLITE_OK) {
		store_dberr(s, rc);
		return store_fail(s, "cannot read the addresses");
	}
	sqlite3_bind_int64(st, 1, (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb(store_col_text(st, 0), store_col_text(st, 1),
		        store_col_text(st, 2), store_col_text(st, 3),
		        sqlite3_column_int64(st, 4), arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		store_dberr(s, sqlite3_extended_errcode(s->db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0
	                         : store_fail(s, "cannot read the addresses");
}
