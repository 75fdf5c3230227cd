/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for cache/store.c: edge inputs first, then folders, messages,
 * listing order, UIDVALIDITY resets, damaged files moved aside, file modes,
 * a writer killed in the middle of a transaction, and when the check at
 * open runs (not after a clean close, always after an unclean one or a
 * change to the file) and damage met in use. */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/store.h"
#include "xmalloc.h"

static char *tmp; /* this test's directory */
static char *db;  /* tmp/acct.db */

static int rm_entry(const char *, const struct stat *, int, struct FTW *);
static void setup(void);
static void teardown(void);
static struct store *open_ok(const char *);
static int64_t add_folder(struct store *, const char *);
static void put(struct store *, int64_t, uint32_t, int64_t, unsigned int);
static int collect(const struct store_msg *, void *);
static int64_t sql_int(const char *, const char *);
static char *sql_text(const char *, const char *);
static void sql_exec(const char *, const char *);
static void write_file(const char *, const char *, size_t);
static char *slurp(const char *, size_t *);
static int journal_cb(const struct store_journal *, void *);
static int count_cb(const struct store_journal *, void *);
static void kill_child(int, int64_t) __attribute__((noreturn));
static int pop3_cb(const char *, int64_t, const char *, void *);
static char *mark_path(void);
static int64_t fill_and_close(int);
static void wreck_message_root(int);
static void killed_child(int, int) __attribute__((noreturn));
static void open_and_kill(int);

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static void
setup(void)
{
	const char *t;

	t = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	xasprintf(&tmp, "%s/errand-test-store-XXXXXX", t);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	xasprintf(&db, "%s/acct.db", tmp);
}

static void
teardown(void)
{
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
	free(db);
}

/* Open path, failing the test with the message when it cannot. */
static struct store *
open_ok(const char *path)
{
	struct store *s;
	char *err;

	s = store_open(path, &err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_ptr_null(err);
	return s;
}

static int64_t
add_folder(struct store *s, const char *name)
{
	struct store_folder f = {.name = name, .delim = "/"};
	int64_t id = 0;

	ck_assert_msg(
	    store_folder_upsert(s, &f, &id) == 0, "%s", store_error(s));
	ck_assert_int_gt(id, 0);
	return id;
}

/* Store a message whose subject is "s<uid>". */
static void
put(struct store *s, int64_t folder, uint32_t uid, int64_t date,
    unsigned int flags)
{
	struct store_msg m = {.uid = uid, .date = date, .flags = flags};
	char subject[32];

	snprintf(subject, sizeof subject, "s%u", uid);
	m.subject = subject;
	m.from_addr = "a@example.org";
	ck_assert_msg(store_msg_put(s, folder, &m) == 0, "%s", store_error(s));
}

/* A foreach callback appending UIDs to an array of 64 (stops at 64). */
struct seen {
	uint32_t uid[64];
	size_t n;
	size_t stop_after; /* 0: never */
};

static int
collect(const struct store_msg *m, void *arg)
{
	struct seen *sn = arg;

	ck_assert_ptr_nonnull(m->subject);
	ck_assert_ptr_nonnull(m->cc);
	if (sn->n == 64)
		return 1;
	sn->uid[sn->n++] = m->uid;
	if (sn->stop_after != 0 && sn->n == sn->stop_after)
		return 7;
	return 0;
}

/* One integer from a query on the database at path, opened directly. */
static int64_t
sql_int(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int64_t v;

	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* One string from a query, the caller's. */
static char *
sql_text(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	char *v;

	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* Run SQL that returns nothing on the database at path. */
static void
sql_exec(const char *path, const char *sql)
{
	sqlite3 *h;

	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	int fd;

	ck_assert_int_ne(fd = open(path, O_WRONLY | O_TRUNC), -1);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* The whole file at path; the caller frees it. */
static char *
slurp(const char *path, size_t *len)
{
	struct stat sb;
	char *data;
	int fd;

	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	data = xmalloc((size_t)sb.st_size + 1);
	ck_assert_int_eq(read(fd, data, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return data;
}

START_TEST(test_store_open_edge)
{
	char *err, *path;

	ck_assert_ptr_null(store_open(NULL, &err));
	ck_assert_str_eq(err, "cannot open cache: no path");
	free(err);
	ck_assert_ptr_null(store_open("", &err));
	ck_assert_str_eq(err, "cannot open cache: no path");
	free(err);

	/* A file where a directory should be. */
	xasprintf(&path, "%s/file", tmp);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	free(path);
	xasprintf(&path, "%s/file/sub/acct.db", tmp);
	ck_assert_ptr_null(store_open(path, &err));
	ck_assert_ptr_nonnull(strstr(err, "cannot open cache '"));
	ck_assert_ptr_nonnull(strstr(err, "Not a directory"));
	free(err);
	free(path);

	/* A directory where the database should be. */
	ck_assert_ptr_null(store_open(tmp, &err));
	ck_assert_ptr_nonnull(strstr(err, "cannot open cache '"));
	free(err);

	store_close(NULL);
	store_folder_clear(NULL);
	store_folder_list_free(NULL, 0);
}
END_TEST

START_TEST(test_store_edge_inputs)
{
	struct store *s;
	struct store_folder f = {0};
	struct store_msg m = {0};
	struct seen sn = {.n = 0};
	uint32_t *uids, total, unseen, max;
	size_t n;
	void *raw;
	size_t len;
	int64_t id;

	s = open_ok(db);
	ck_assert_str_eq(store_error(s), "");
	ck_assert_str_eq(store_path(s), db);
	ck_assert_int_eq(store_recovered(s), 0);
	ck_assert_ptr_null(store_notice(s));
	ck_assert_ptr_null(store_moved_path(s));
	ck_assert_int_eq(store_moved_pending(s), 0);

	/* Folders without names, and folders that do not exist. */
	ck_assert_int_eq(store_folder_upsert(s, &f, NULL), -1);
	ck_assert_str_eq(store_error(s), "cannot add a folder without a name");
	f.name = "";
	ck_assert_int_eq(store_folder_upsert(s, &f, NULL), -1);
	ck_assert_int_eq(store_folder_get(s, NULL, &f), -1);
	ck_assert_int_eq(store_folder_get(s, "", &f), 1);
	ck_assert_int_eq(store_folder_get(s, "nosuch", &f), 1);
	ck_assert_ptr_null(f.name);
	ck_assert_int_eq(f.id, 0);
	ck_assert_int_eq(store_folder_delete(s, "nosuch"), 0);
	ck_assert_int_eq(store_folder_delete(s, NULL), -1);
	ck_assert_int_eq(store_folder_rename(s, "nosuch", "x", NULL), -1);
	ck_assert_str_eq(
	    store_error(s), "cannot rename folder 'nosuch': no such folder");
	ck_assert_int_eq(store_folder_rename(s, NULL, "x", NULL), -1);
	ck_assert_int_eq(store_folder_rename(s, "x", "", NULL), -1);

	/* Messages in a folder that does not exist, and UID 0. */
	m.uid = 1;
	ck_assert_int_eq(store_msg_put(s, 999, &m), -1);
	ck_assert_str_eq(store_error(s),
	    "cannot store message 1 in folder 999: no such folder");
	id = add_folder(s, "INBOX");
	m.uid = 0;
	ck_assert_int_eq(store_msg_put(s, id, &m), -1);
	ck_assert_str_eq(store_error(s),
	    "cannot store message 0 in folder 1: UID 0 is not valid");
	ck_assert_int_eq(store_msg_set_flags(s, 999, 5, 1, NULL, 0), 0);
	ck_assert_int_eq(store_msg_set_flags(s, id, 5, 1, NULL, 0), 0);
	ck_assert_int_eq(store_msg_delete(s, id, 5), 0);
	ck_assert_int_eq(store_msg_delete(s, 999, 0), 0);
	ck_assert_int_eq(store_msg_delete_uids(s, id, NULL, 0), 0);
	ck_assert_int_eq(store_msg_delete_range(s, id, 10, 1), 0);
	ck_assert_int_eq(store_msg_uids(s, 999, &uids, &n), 0);
	ck_assert_ptr_null(uids);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(
	    store_msg_foreach(s, 999, STORE_ORDER_DATE, collect, &sn), 0);
	ck_assert_uint_eq(sn.n, 0);
	ck_assert_int_eq(store_msg_count(s, 999, &total, &unseen), 0);
	ck_assert_uint_eq(total, 0);
	ck_assert_uint_eq(unseen, 0);
	ck_assert_int_eq(store_msg_uid_max(s, 999, &max), 0);
	ck_assert_uint_eq(max, 0);
	ck_assert_int_eq(store_msg_get(s, id, 0, &m), 1);
	ck_assert_int_eq(store_body_get(s, id, 1, &raw, &len), 1);
	ck_assert_ptr_null(raw);
	ck_assert_int_eq(store_body_put(s, 999, 1, "x", 1), -1);
	ck_assert_int_eq(store_folder_set_synced(s, 999, 5), 0);
	ck_assert_int_eq(store_folder_reset(s, 999, 5), 0);

	/* NULL strings come back as "". */
	memset(&m, 0, sizeof m);
	m.uid = 1;
	ck_assert_int_eq(store_msg_put(s, id, &m), 0);
	ck_assert_int_eq(store_msg_get(s, id, 1, &m), 0);
	ck_assert_str_eq(m.subject, "");
	ck_assert_str_eq(m.refs, "");
	ck_assert_str_eq(m.keywords, "");

	/* Transactions used wrongly. */
	ck_assert_int_eq(store_commit(s), -1);
	ck_assert_str_eq(
	    store_error(s), "cannot commit: no transaction is open");
	ck_assert_int_eq(store_rollback(s), -1);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_in_transaction(s), 1);
	ck_assert_int_eq(store_begin(s), -1);
	ck_assert_str_eq(store_error(s), "cannot begin: a transaction is open");
	ck_assert_int_eq(store_commit(s), 0);
	ck_assert_int_eq(store_in_transaction(s), 0);

	/* Journal and POP3 without their keys. */
	ck_assert_int_eq(store_journal_add(s, id, 1, NULL, NULL, NULL), -1);
	ck_assert_int_eq(store_journal_add(s, id, 1, "", NULL, NULL), -1);
	ck_assert_int_eq(store_journal_remove(s, 12345), 0);
	ck_assert_int_eq(store_pop3_seen_add(s, NULL, NULL), -1);
	ck_assert_int_eq(store_pop3_seen_add(s, "", NULL), -1);
	ck_assert_int_eq(store_pop3_seen_has(s, NULL), -1);
	ck_assert_int_eq(store_pop3_seen_has(s, "nosuch"), 0);
	ck_assert_int_eq(store_pop3_seen_remove(s, NULL), -1);
	ck_assert_int_eq(store_pop3_seen_remove(s, "nosuch"), 0);

	/* A transaction left open is rolled back by close. */
	ck_assert_int_eq(store_begin(s), 0);
	put(s, id, 2, 0, 0);
	store_close(s);
	s = open_ok(db);
	ck_assert_int_eq(store_msg_get(s, id, 2, &m), 1);
	store_close(s);
}
END_TEST

START_TEST(test_store_huge)
{
	struct store *s;
	struct store_msg m = {.uid = 4294967295u, .modseq = INT64_MAX};
	size_t big = 4u << 20, len;
	char *subject, *body;
	void *raw;
	int64_t id;

	subject = xmalloc(big + 1);
	memset(subject, 'x', big);
	subject[big] = '\0';
	body = xmalloc(big);
	memset(body, '\0', big);
	memcpy(body, "Subject: hi\r\n\r\n", 15);

	s = open_ok(db);
	id = add_folder(s, subject); /* a huge folder name too */
	m.subject = subject;
	m.refs = subject;
	ck_assert_int_eq(store_msg_put(s, id, &m), 0);
	ck_assert_int_eq(store_body_put(s, id, m.uid, body, big), 0);
	ck_assert_int_eq(store_msg_get(s, id, 4294967295u, &m), 0);
	ck_assert_uint_eq(m.uid, 4294967295u);
	ck_assert_uint_eq(m.modseq, INT64_MAX);
	ck_assert_uint_eq(strlen(m.subject), big);
	ck_assert_int_eq(store_body_get(s, id, m.uid, &raw, &len), 0);
	ck_assert_uint_eq(len, big);
	ck_assert_int_eq(memcmp(raw, body, big), 0);
	free(raw);

	/* An empty body is stored and is not "no body". */
	ck_assert_int_eq(store_body_put(s, id, 7, NULL, 0), 0);
	ck_assert_int_eq(store_body_get(s, id, 7, &raw, &len), 0);
	ck_assert_ptr_nonnull(raw);
	ck_assert_uint_eq(len, 0);
	free(raw);
	store_close(s);
	free(subject);
	free(body);
}
END_TEST

START_TEST(test_store_reopen)
{
	struct store *s;
	struct store_folder f;
	struct store_msg m;
	char *mode;
	int64_t id;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	put(s, id, 42, 1000, STORE_FLAG_SEEN);
	ck_assert_int_eq(store_folder_set_sync(s, id, 7, 43, 99), 0);
	store_close(s);

	ck_assert_int_eq(
	    sql_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(STORE_SCHEMA_VERSION, 6);

	s = open_ok(db);
	ck_assert_int_eq(store_recovered(s), 0);
	ck_assert_int_eq(store_folder_get(s, "INBOX", &f), 0);
	ck_assert_int_eq(f.id, id);
	ck_assert_uint_eq(f.uidvalidity, 7);
	ck_assert_uint_eq(f.uidnext, 43);
	ck_assert_uint_eq(f.highestmodseq, 99);
	store_folder_clear(&f);
	ck_assert_int_eq(store_msg_get(s, id, 42, &m), 0);
	ck_assert_str_eq(m.subject, "s42");
	ck_assert_uint_eq(m.flags, STORE_FLAG_SEEN);
	store_close(s);

	mode = sql_text(db, "PRAGMA journal_mode");
	ck_assert_str_eq(mode, "wal");
	free(mode);
	mode = sql_text(db, "PRAGMA quick_check");
	ck_assert_str_eq(mode, "ok");
	free(mode);
}
END_TEST

/* A version 1 cache (before local folders) is migrated, its rows kept; the
 * Maildir file table then records and forgets names. */
static int
mdfile_cb(const char *name, uint32_t uid, int64_t mtime, unsigned int flags,
    int in_new, void *arg)
{
	int *n = arg;

	ck_assert_str_eq(name, "1700000000.M1P2.host");
	ck_assert_uint_eq(uid, 42);
	ck_assert_int_eq(mtime, 1700000001);
	ck_assert_uint_eq(flags, STORE_FLAG_SEEN);
	ck_assert_int_eq(in_new, 1);
	(*n)++;
	return 0;
}

START_TEST(test_store_migrate_v1)
{
	struct store *s;
	struct store_folder f;
	struct store_msg m;
	char *name;
	int64_t id;
	int n = 0;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	put(s, id, 42, 1000, STORE_FLAG_SEEN);
	store_close(s);
	sql_exec(db,
	    "DROP TABLE maildir_file; ALTER TABLE folder DROP md_stamp_cur; "
	    "ALTER TABLE folder DROP md_stamp_new; DROP INDEX journal_msg; "
	    "ALTER TABLE journal DROP uidvalidity; "
	    "ALTER TABLE journal DROP message_id; "
	    "ALTER TABLE journal DROP state; ALTER TABLE journal DROP mark; "
	    "PRAGMA user_version = 1");
	s = open_ok(db);
	ck_assert_int_eq(
	    sql_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(store_msg_get(s, id, 42, &m), 0);
	ck_assert_int_eq(
	    store_mdfile_put(s, id, "1700000000.M1P2.host", 42, 1700000001, 1),
	    0);
	/* A file whose message row is gone is not listed: indexed anew. */
	ck_assert_int_eq(
	    store_mdfile_put(s, id, "1700000000.M9P2.host", 7, 1700000001, 0),
	    0);
	ck_assert_int_eq(store_mdfile_foreach(s, id, 0, mdfile_cb, &n), 0);
	ck_assert_int_eq(n, 1);
	n = 0;
	ck_assert_int_eq(store_mdfile_foreach(s, id, 1, mdfile_cb, &n), 0);
	ck_assert_int_eq(n, 1);
	/* The stamps of a local folder's directories. */
	ck_assert_int_eq(store_folder_set_mdstamp(s, id, 11, 12), 0);
	ck_assert_int_eq(store_folder_get(s, "INBOX", &f), 0);
	ck_assert_uint_eq(f.md_stamp_cur, 11);
	ck_assert_uint_eq(f.md_stamp_new, 12);
	store_folder_clear(&f);
	ck_assert_int_eq(store_mdfile_name(s, id, 42, &name), 0);
	ck_assert_str_eq(name, "1700000000.M1P2.host");
	free(name);
	ck_assert_int_eq(store_mdfile_name(s, id, 8, &name), 1);
	ck_assert_ptr_null(name);
	ck_assert_int_eq(store_mdfile_delete(s, id, "1700000000.M1P2.host"), 0);
	n = 0;
	ck_assert_int_eq(store_mdfile_foreach(s, id, 0, mdfile_cb, &n), 0);
	ck_assert_int_eq(n, 0);
	store_close(s);
}
END_TEST

START_TEST(test_store_newer_schema)
{
	struct store *s;
	char *err, *want;

	s = open_ok(db);
	store_close(s);
	sql_exec(db, "PRAGMA user_version = 99");
	ck_assert_ptr_null(store_open(db, &err));
	xasprintf(&want,
	    "cannot open cache '%s': schema version 99 is newer than this "
	    "errand's (%d)",
	    db, STORE_SCHEMA_VERSION);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	ck_assert_int_eq(access(db, F_OK), 0); /* left where it was */
}
END_TEST

START_TEST(test_store_folders)
{
	struct store *s;
	struct store_folder f = {0}, *l;
	size_t n;
	int64_t a, b, again;

	s = open_ok(db);
	f.name = "Archive";
	f.raw_name = "Archiv&AOQ-";
	f.delim = ".";
	f.special_use = "\\Archive";
	f.subscribed = 1;
	ck_assert_int_eq(store_folder_upsert(s, &f, &a), 0);
	b = add_folder(s, "INBOX");
	ck_assert_int_ne(a, b);
	ck_assert_int_eq(store_folder_set_sync(s, a, 11, 12, 13), 0);
	ck_assert_int_eq(store_folder_set_synced(s, a, 10), 0);
	ck_assert_int_eq(store_folder_set_status(s, a, 100, 5), 0);

	/* Upsert again: attributes change, sync state stays, id stays. */
	f.special_use = NULL;
	f.subscribed = 0;
	f.noselect = 1;
	ck_assert_int_eq(store_folder_upsert(s, &f, &again), 0);
	ck_assert_int_eq(again, a);
	memset(&f, 0, sizeof f);
	ck_assert_int_eq(store_folder_get(s, "Archive", &f), 0);
	ck_assert_str_eq(f.raw_name, "Archiv&AOQ-");
	ck_assert_str_eq(f.delim, ".");
	ck_assert_ptr_null(f.special_use);
	ck_assert_int_eq(f.subscribed, 0);
	ck_assert_int_eq(f.noselect, 1);
	ck_assert_uint_eq(f.uidvalidity, 11);
	ck_assert_uint_eq(f.uidnext, 12);
	ck_assert_uint_eq(f.highestmodseq, 13);
	ck_assert_uint_eq(f.synced_uid_max, 10);
	ck_assert_uint_eq(f.total, 100);
	ck_assert_uint_eq(f.unseen, 5);
	store_folder_clear(&f);
	ck_assert_ptr_null(f.name);

	/* raw_name defaults to the name. */
	ck_assert_int_eq(store_folder_get(s, "INBOX", &f), 0);
	ck_assert_str_eq(f.raw_name, "INBOX");
	store_folder_clear(&f);

	/* Rename: to a name in use fails, else keeps id and messages. */
	put(s, a, 1, 0, 0);
	ck_assert_int_eq(store_folder_rename(s, "Archive", "INBOX", NULL), -1);
	ck_assert_str_eq(store_error(s),
	    "cannot rename folder 'Archive' to 'INBOX': 'INBOX' exists");
	ck_assert_int_eq(store_folder_rename(s, "Archive", "Old", "Old"), 0);
	ck_assert_int_eq(store_folder_get(s, "Archive", &f), 1);
	ck_assert_int_eq(store_folder_get(s, "Old", &f), 0);
	ck_assert_int_eq(f.id, a);
	ck_assert_str_eq(f.raw_name, "Old");
	store_folder_clear(&f);

	ck_assert_int_eq(store_folder_list(s, &l, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(l[0].name, "INBOX");
	ck_assert_str_eq(l[1].name, "Old");
	ck_assert_uint_eq(l[1].uidvalidity, 11);
	store_folder_list_free(l, n);

	/* Delete takes the messages and bodies along, journal rows stay. */
	ck_assert_int_eq(store_body_put(s, a, 1, "x", 1), 0);
	ck_assert_int_eq(store_journal_add(s, a, 1, "flags", "+S", NULL), 0);
	ck_assert_int_eq(store_folder_delete(s, "Old"), 0);
	ck_assert_int_eq(store_folder_get(s, "Old", &f), 1);
	ck_assert_int_eq(store_folder_list(s, &l, &n), 0);
	ck_assert_uint_eq(n, 1);
	store_folder_list_free(l, n);
	store_close(s);
	ck_assert_int_eq(sql_int(db, "SELECT count(*) FROM message"), 0);
	ck_assert_int_eq(sql_int(db, "SELECT count(*) FROM body"), 0);
	ck_assert_int_eq(sql_int(db, "SELECT count(*) FROM journal"), 1);
}
END_TEST

START_TEST(test_store_messages)
{
	static const uint32_t gone[] = {9, 3, 7, 1000};
	struct store *s;
	struct store_msg m = {0};
	uint32_t *uids, max;
	size_t n, len;
	void *raw;
	int64_t id;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	m.uid = 5;
	m.modseq = 17;
	m.flags = STORE_FLAG_FLAGGED | STORE_FLAG_DRAFT;
	m.keywords = "$Label1 work";
	m.internaldate = 1700000000;
	m.size = 1234;
	m.date = 1699999999;
	m.from_name = "Zoë";
	m.from_addr = "zoe@example.org";
	m.to_addr = "me@example.org";
	m.cc = "you@example.org";
	m.subject = "héllo";
	m.message_id = "id5@example.org";
	m.in_reply_to = "id4@example.org";
	m.refs = "id3@example.org id4@example.org";
	m.has_attachment = 1;
	ck_assert_int_eq(store_msg_put(s, id, &m), 0);
	ck_assert_int_eq(store_body_put(s, id, 5, "raw5", 4), 0);
	memset(&m, 0, sizeof m);
	ck_assert_int_eq(store_msg_get(s, id, 5, &m), 0);
	ck_assert_uint_eq(m.uid, 5);
	ck_assert_uint_eq(m.modseq, 17);
	ck_assert_uint_eq(m.flags, STORE_FLAG_FLAGGED | STORE_FLAG_DRAFT);
	ck_assert_str_eq(m.keywords, "$Label1 work");
	ck_assert_int_eq(m.internaldate, 1700000000);
	ck_assert_int_eq(m.size, 1234);
	ck_assert_int_eq(m.date, 1699999999);
	ck_assert_str_eq(m.from_name, "Zoë");
	ck_assert_str_eq(m.from_addr, "zoe@example.org");
	ck_assert_str_eq(m.to_addr, "me@example.org");
	ck_assert_str_eq(m.cc, "you@example.org");
	ck_assert_str_eq(m.subject, "héllo");
	ck_assert_str_eq(m.message_id, "id5@example.org");
	ck_assert_str_eq(m.in_reply_to, "id4@example.org");
	ck_assert_str_eq(m.refs, "id3@example.org id4@example.org");
	ck_assert_int_eq(m.has_attachment, 1);

	/* Replace: the row changes, the body stays. */
	memset(&m, 0, sizeof m);
	m.uid = 5;
	m.subject = "replaced";
	ck_assert_int_eq(store_msg_put(s, id, &m), 0);
	ck_assert_int_eq(store_msg_get(s, id, 5, &m), 0);
	ck_assert_str_eq(m.subject, "replaced");
	ck_assert_str_eq(m.from_name, "");
	ck_assert_int_eq(store_body_get(s, id, 5, &raw, &len), 0);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(memcmp(raw, "raw5", 4), 0);
	free(raw);

	/* Flags: modseq 0 keeps the stored one. */
	ck_assert_int_eq(
	    store_msg_set_flags(s, id, 5, STORE_FLAG_SEEN, "$Forwarded", 30),
	    0);
	ck_assert_int_eq(store_msg_get(s, id, 5, &m), 0);
	ck_assert_uint_eq(m.flags, STORE_FLAG_SEEN);
	ck_assert_str_eq(m.keywords, "$Forwarded");
	ck_assert_uint_eq(m.modseq, 30);
	ck_assert_int_eq(
	    store_msg_set_flags(s, id, 5, STORE_FLAG_ANSWERED, NULL, 0), 0);
	ck_assert_int_eq(store_msg_get(s, id, 5, &m), 0);
	ck_assert_uint_eq(m.flags, STORE_FLAG_ANSWERED);
	ck_assert_str_eq(m.keywords, "");
	ck_assert_uint_eq(m.modseq, 30);
	/* News older than what is stored (another connection's, late) is
	 * ignored; newer news applies. */
	ck_assert_int_eq(
	    store_msg_set_flags(s, id, 5, STORE_FLAG_FLAGGED, NULL, 29), 0);
	ck_assert_int_eq(store_msg_get(s, id, 5, &m), 0);
	ck_assert_uint_eq(m.flags, STORE_FLAG_ANSWERED);
	ck_assert_uint_eq(m.modseq, 30);
	ck_assert_int_eq(
	    store_msg_set_flags(s, id, 5, STORE_FLAG_FLAGGED, NULL, 31), 0);
	ck_assert_int_eq(store_msg_get(s, id, 5, &m), 0);
	ck_assert_uint_eq(m.flags, STORE_FLAG_FLAGGED);
	ck_assert_uint_eq(m.modseq, 31);
	ck_assert_int_eq(
	    store_msg_set_flags(s, id, 5, STORE_FLAG_ANSWERED, NULL, 0), 0);

	/* Delete one, a list, a range; bodies go with them. */
	for (uint32_t u = 1; u <= 20; u++) {
		put(s, id, u, 0, 0);
		ck_assert_int_eq(store_body_put(s, id, u, "b", 1), 0);
	}
	ck_assert_int_eq(store_msg_delete(s, id, 5), 0);
	ck_assert_int_eq(store_body_get(s, id, 5, &raw, &len), 1);
	ck_assert_int_eq(store_msg_delete_uids(s, id, gone, 4), 0);
	ck_assert_int_eq(store_msg_delete_range(s, id, 15, 4294967295u), 0);
	ck_assert_int_eq(store_msg_uids(s, id, &uids, &n), 0);
	ck_assert_uint_eq(n, 10);
	{
		static const uint32_t want[] = {
		    1, 2, 4, 6, 8, 10, 11, 12, 13, 14};
		for (size_t i = 0; i < n; i++)
			ck_assert_uint_eq(uids[i], want[i]);
	}
	free(uids);
	ck_assert_int_eq(store_msg_uid_max(s, id, &max), 0);
	ck_assert_uint_eq(max, 14);
	ck_assert_int_eq(store_body_get(s, id, 9, &raw, &len), 1);
	ck_assert_int_eq(store_body_get(s, id, 20, &raw, &len), 1);
	ck_assert_int_eq(store_body_get(s, id, 14, &raw, &len), 0);
	free(raw);
	store_close(s);
}
END_TEST

START_TEST(test_store_listing)
{
	/* uid, date: ties on date go by the higher UID first. */
	static const struct {
		uint32_t uid;
		int64_t date;
	} rows[] = {{1, 300}, {2, 100}, {3, 300}, {4, 200}, {5, 0}, {6, 300}};
	static const uint32_t by_date[] = {6, 3, 1, 4, 2, 5};
	static const uint32_t by_uid[] = {6, 5, 4, 3, 2, 1};
	struct store *s;
	struct seen sn = {.n = 0};
	int64_t id, other;
	size_t i;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	other = add_folder(s, "Other");
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
		put(s, id, rows[i].uid, rows[i].date, 0);
	put(s, other, 99, 999, 0);

	ck_assert_int_eq(
	    store_msg_foreach(s, id, STORE_ORDER_DATE, collect, &sn), 0);
	ck_assert_uint_eq(sn.n, 6);
	for (i = 0; i < sn.n; i++)
		ck_assert_uint_eq(sn.uid[i], by_date[i]);
	sn.n = 0;
	ck_assert_int_eq(
	    store_msg_foreach(s, id, STORE_ORDER_UID, collect, &sn), 0);
	ck_assert_uint_eq(sn.n, 6);
	for (i = 0; i < sn.n; i++)
		ck_assert_uint_eq(sn.uid[i], by_uid[i]);

	/* A callback stops the walk with its own value; the next one works. */
	sn.n = 0;
	sn.stop_after = 2;
	ck_assert_int_eq(
	    store_msg_foreach(s, id, STORE_ORDER_DATE, collect, &sn), 7);
	ck_assert_uint_eq(sn.n, 2);
	sn.n = 0;
	sn.stop_after = 0;
	ck_assert_int_eq(
	    store_msg_foreach(s, other, STORE_ORDER_DATE, collect, &sn), 0);
	ck_assert_uint_eq(sn.n, 1);
	ck_assert_uint_eq(sn.uid[0], 99);
	store_close(s);
}
END_TEST

START_TEST(test_store_counts)
{
	struct store *s;
	uint32_t total, unseen, u;
	int64_t id, other;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	other = add_folder(s, "Other");
	for (u = 1; u <= 10; u++)
		put(s, id, u, 0,
		    u <= 3 ? STORE_FLAG_SEEN | STORE_FLAG_FLAGGED : 0);
	put(s, other, 1, 0, 0);
	ck_assert_int_eq(store_msg_count(s, id, &total, &unseen), 0);
	ck_assert_uint_eq(total, 10);
	ck_assert_uint_eq(unseen, 7);
	ck_assert_int_eq(
	    store_msg_set_flags(s, id, 10, STORE_FLAG_SEEN, NULL, 0), 0);
	ck_assert_int_eq(store_msg_count(s, id, &total, &unseen), 0);
	ck_assert_uint_eq(unseen, 6);
	ck_assert_int_eq(store_msg_count(s, other, &total, &unseen), 0);
	ck_assert_uint_eq(total, 1);
	ck_assert_uint_eq(unseen, 1);
	store_close(s);
}
END_TEST

START_TEST(test_store_uidvalidity_reset)
{
	struct store *s;
	struct store_folder f;
	uint32_t total, unseen;
	void *raw;
	size_t len;
	int64_t id, other;
	int64_t pending;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	other = add_folder(s, "Other");
	for (uint32_t u = 1; u <= 5; u++) {
		put(s, id, u, 0, 0);
		put(s, other, u, 0, 0);
		ck_assert_int_eq(store_body_put(s, id, u, "b", 1), 0);
		ck_assert_int_eq(store_body_put(s, other, u, "b", 1), 0);
	}
	ck_assert_int_eq(store_folder_set_sync(s, id, 100, 6, 50), 0);
	ck_assert_int_eq(store_folder_set_synced(s, id, 5), 0);
	ck_assert_int_eq(store_folder_set_sync(s, other, 200, 6, 60), 0);
	ck_assert_int_eq(store_journal_add(s, id, 3, "flags", "+S", NULL), 0);

	ck_assert_int_eq(store_folder_reset(s, id, 101), 0);
	ck_assert_int_eq(store_msg_count(s, id, &total, &unseen), 0);
	ck_assert_uint_eq(total, 0);
	ck_assert_int_eq(store_body_get(s, id, 1, &raw, &len), 1);
	ck_assert_int_eq(store_folder_get(s, "INBOX", &f), 0);
	ck_assert_uint_eq(f.uidvalidity, 101);
	ck_assert_uint_eq(f.uidnext, 0);
	ck_assert_uint_eq(f.highestmodseq, 0);
	ck_assert_uint_eq(f.synced_uid_max, 0);
	store_folder_clear(&f);

	/* The other folder is untouched, and so is the journal. */
	ck_assert_int_eq(store_msg_count(s, other, &total, &unseen), 0);
	ck_assert_uint_eq(total, 5);
	ck_assert_int_eq(store_body_get(s, other, 5, &raw, &len), 0);
	free(raw);
	ck_assert_int_eq(store_folder_get(s, "Other", &f), 0);
	ck_assert_uint_eq(f.uidvalidity, 200);
	ck_assert_uint_eq(f.highestmodseq, 60);
	store_folder_clear(&f);
	ck_assert_int_eq(store_journal_count(s, &pending), 0);
	ck_assert_int_eq(pending, 1);

	/* Inside the caller's transaction, a rollback undoes the reset. */
	put(s, id, 1, 0, 0);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_folder_reset(s, id, 102), 0);
	ck_assert_int_eq(store_in_transaction(s), 1);
	ck_assert_int_eq(store_rollback(s), 0);
	ck_assert_int_eq(store_msg_count(s, id, &total, &unseen), 0);
	ck_assert_uint_eq(total, 1);
	store_close(s);
}
END_TEST

START_TEST(test_store_transactions)
{
	static const uint32_t vanished[] = {2, 3};
	struct store *s;
	struct store_folder f;
	uint32_t total, unseen;
	int64_t id;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	ck_assert_int_eq(store_begin(s), 0);
	put(s, id, 1, 0, 0);
	put(s, id, 2, 0, 0);
	put(s, id, 3, 0, 0);
	ck_assert_int_eq(store_folder_set_synced(s, id, 3), 0);
	ck_assert_int_eq(store_commit(s), 0);

	ck_assert_int_eq(store_begin(s), 0);
	put(s, id, 4, 0, 0);
	ck_assert_int_eq(store_msg_delete_uids(s, id, vanished, 2), 0);
	ck_assert_int_eq(store_folder_set_synced(s, id, 4), 0);
	ck_assert_int_eq(store_rollback(s), 0);

	ck_assert_int_eq(store_msg_count(s, id, &total, &unseen), 0);
	ck_assert_uint_eq(total, 3);
	ck_assert_int_eq(store_folder_get(s, "INBOX", &f), 0);
	ck_assert_uint_eq(f.synced_uid_max, 3);
	store_folder_clear(&f);
	store_close(s);
}
END_TEST

/* Another process holds the write lock: a call that meets it fails at
 * once with store_locked() set, and works once the lock goes. */
START_TEST(test_store_locked)
{
	struct store_folder f = {.name = "Other"};
	struct store *s;
	sqlite3 *h;
	int64_t id;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(
	    sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	store_set_busy_wait(s, 0);
	ck_assert_int_eq(store_begin(s), -1);
	ck_assert_int_eq(store_locked(s), 1);
	ck_assert_msg(strstr(store_error(s), "database is locked") != NULL,
	    "%s", store_error(s));
	ck_assert_int_eq(store_in_transaction(s), 0);
	ck_assert_int_eq(store_folder_upsert(s, &f, NULL), -1);
	ck_assert_int_eq(store_locked(s), 1);
	/* Reading is not stopped. */
	ck_assert_int_eq(store_folder_get(s, "INBOX", &f), 0);
	ck_assert_int_eq(f.id, id);
	store_folder_clear(&f);
	f.name = "Other";

	ck_assert_int_eq(
	    sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(store_begin(s), 0);
	ck_assert_int_eq(store_folder_upsert(s, &f, NULL), 0);
	ck_assert_int_eq(store_commit(s), 0);
	/* Another failure is not a lock. */
	ck_assert_int_eq(store_commit(s), -1);
	ck_assert_int_eq(store_locked(s), 0);
	sqlite3_close(h);
	store_close(s);
}
END_TEST

/* Read-only: what is there reads, nothing writes, nothing is made. */
START_TEST(test_store_readonly)
{
	struct store_folder f = {.name = "New"};
	struct store *s;
	struct stat sb;
	uint32_t total, unseen;
	char *odd, *err;
	int64_t id;

	s = store_open_readonly(db, &err);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);
	free(err);
	ck_assert_int_eq(stat(db, &sb), -1);

	/* A name that needs escaping in a URI. */
	xasprintf(&odd, "%s/a b%%3F#?.db", tmp);
	s = open_ok(odd);
	id = add_folder(s, "INBOX");
	put(s, id, 1, 0, 0);
	put(s, id, 2, 0, STORE_FLAG_SEEN);
	store_close(s);

	s = store_open_readonly(odd, &err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(store_readonly(s), 1);
	ck_assert_int_eq(store_msg_count(s, id, &total, &unseen), 0);
	ck_assert_uint_eq(total, 2);
	ck_assert_uint_eq(unseen, 1);
	ck_assert_int_eq(store_folder_upsert(s, &f, NULL), -1);
	ck_assert_msg(
	    strstr(store_error(s), "readonly") != NULL, "%s", store_error(s));
	store_close(s);
	s = open_ok(odd);
	ck_assert_int_eq(store_readonly(s), 0);
	ck_assert_int_eq(store_folder_get(s, "New", &f), 1);
	store_close(s);

	/* Another schema: not read. */
	sql_exec(odd, "PRAGMA user_version = 4");
	s = store_open_readonly(odd, &err);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "schema version 4") != NULL, "%s", err);
	free(err);
	free(odd);
}
END_TEST

/* A journal callback counting entries. */
static int
count_cb(const struct store_journal *j, void *arg)
{
	(void)j;
	(*(int *)arg)++;
	return 0;
}

/* A journal callback counting entries and checking the first. */
static int
journal_cb(const struct store_journal *j, void *arg)
{
	int *n = arg;

	if ((*n)++ == 0) {
		ck_assert_str_eq(j->op, "move");
		ck_assert_str_eq(j->arg, "Archive");
		ck_assert_uint_eq(j->uid, 9);
		ck_assert_int_gt(j->created, 0);
	} else
		ck_assert_str_eq(j->arg, "");
	return 0;
}

START_TEST(test_store_journal_pop3)
{
	struct store *s;
	int64_t id, j1, j2, n;
	int seen = 0;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	ck_assert_int_eq(
	    store_journal_add(s, id, 9, "move", "Archive", &j1), 0);
	ck_assert_int_eq(store_journal_add(s, id, 0, "expunge", NULL, &j2), 0);
	ck_assert_int_gt(j2, j1);
	ck_assert_int_eq(store_journal_foreach(s, journal_cb, &seen), 0);
	ck_assert_int_eq(seen, 2);
	/* One message's rows alone, by its folder and UID. */
	seen = 0;
	ck_assert_int_eq(
	    store_journal_foreach_msg(s, id, 9, journal_cb, &seen), 0);
	ck_assert_int_eq(seen, 1);
	seen = 0;
	ck_assert_int_eq(
	    store_journal_foreach_msg(s, id + 1, 9, journal_cb, &seen), 0);
	ck_assert_int_eq(seen, 0);
	ck_assert_int_eq(store_journal_remove(s, j1), 0);
	ck_assert_int_eq(store_journal_count(s, &n), 0);
	ck_assert_int_eq(n, 1);

	ck_assert_int_eq(store_pop3_seen_add(s, "uidl-1", "1.M1P2.host"), 0);
	ck_assert_int_eq(store_pop3_seen_add(s, "uidl-1", NULL), 0);
	ck_assert_int_eq(store_pop3_seen_has(s, "uidl-1"), 1);
	ck_assert_int_eq(store_pop3_seen_has(s, "uidl-2"), 0);
	ck_assert_int_eq(store_pop3_seen_remove(s, "uidl-1"), 0);
	ck_assert_int_eq(store_pop3_seen_has(s, "uidl-1"), 0);
	store_close(s);
}
END_TEST

/* Appends "uidl:name;" for each row; stops at "stop". */
static int
pop3_cb(const char *uidl, int64_t at, const char *name, void *arg)
{
	char **acc = arg, *t;

	ck_assert_int_gt(at, 0);
	if (strcmp(uidl, "stop") == 0)
		return 7;
	xasprintf(&t, "%s%s:%s;", *acc, uidl, name);
	free(*acc);
	*acc = t;
	return 0;
}

START_TEST(test_store_pop3_get_foreach)
{
	struct store *s;
	int64_t at, before;
	char *acc;

	s = open_ok(db);
	ck_assert_int_eq(store_pop3_seen_get(s, NULL, &at), -1);
	at = 5;
	ck_assert_int_eq(store_pop3_seen_get(s, "none", &at), 0);
	ck_assert_int_eq(at, 0);
	acc = xstrdup("");
	ck_assert_int_eq(store_pop3_seen_foreach(s, pop3_cb, &acc), 0);
	ck_assert_str_eq(acc, "");

	before = (int64_t)time(NULL);
	ck_assert_int_eq(store_pop3_seen_add(s, "b", "2.M2P2.h"), 0);
	ck_assert_int_eq(store_pop3_seen_add(s, "a", NULL), 0);
	ck_assert_int_eq(store_pop3_seen_get(s, "b", &at), 1);
	ck_assert_int_ge(at, before);
	ck_assert_int_le(at, (int64_t)time(NULL));
	sql_exec(db, "UPDATE pop3_seen SET fetched_at = 1000 WHERE uidl = 'a'");
	ck_assert_int_eq(store_pop3_seen_get(s, "a", &at), 1);
	ck_assert_int_eq(at, 1000);
	ck_assert_int_eq(store_pop3_seen_foreach(s, pop3_cb, &acc), 0);
	ck_assert_str_eq(acc, "a:;b:2.M2P2.h;");

	/* A callback that stops: its value comes back. */
	ck_assert_int_eq(store_pop3_seen_add(s, "stop", NULL), 0);
	ck_assert_int_eq(store_pop3_seen_foreach(s, pop3_cb, &acc), 7);
	free(acc);
	store_close(s);
}
END_TEST

START_TEST(test_store_corrupt_garbage)
{
	struct store *s;
	struct store_folder f;
	char garbage[8192], *want;
	int64_t id;

	s = open_ok(db);
	add_folder(s, "INBOX");
	store_close(s);
	memset(garbage, 'G', sizeof garbage);
	write_file(db, garbage, sizeof garbage);

	s = open_ok(db);
	ck_assert_int_eq(store_recovered(s), 1);
	ck_assert_ptr_nonnull(store_moved_path(s));
	ck_assert_int_eq(strncmp(store_moved_path(s), db, strlen(db)), 0);
	ck_assert_ptr_nonnull(
	    strstr(store_moved_path(s) + strlen(db), ".corrupt-"));
	ck_assert_uint_eq(strlen(store_moved_path(s)),
	    strlen(db) + strlen(".corrupt-YYYYmmddHHMMSS"));
	ck_assert_int_eq(access(store_moved_path(s), F_OK), 0);
	ck_assert_int_eq(store_moved_pending(s), -1);
	xasprintf(&want,
	    "cache '%s' was damaged and moved to '%s'; a new one was made; "
	    "its pending changes could not be read (any there stay in '%s')",
	    db, store_moved_path(s), store_moved_path(s));
	ck_assert_str_eq(store_notice(s), want);
	free(want);

	/* The new one is empty and works. */
	ck_assert_int_eq(store_folder_get(s, "INBOX", &f), 1);
	id = add_folder(s, "INBOX");
	put(s, id, 1, 0, 0);
	store_close(s);
	s = open_ok(db);
	ck_assert_int_eq(store_recovered(s), 0);
	ck_assert_ptr_null(store_notice(s));
	store_close(s);
}
END_TEST

START_TEST(test_store_corrupt_journal)
{
	struct store *s;
	struct store_msg m = {
	    .uid = 2, .subject = "x", .message_id = "m2@example.org"};
	char page[8192], *want;
	int64_t id, root, size, n;
	uint32_t u;
	int fd;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	ck_assert_int_eq(store_folder_set_sync(s, id, 31, 0, 0), 0);
	ck_assert_int_eq(store_begin(s), 0);
	for (u = 1; u <= 3000; u++)
		put(s, id, u, u, 0);
	ck_assert_int_eq(store_msg_put(s, id, &m), 0);
	ck_assert_int_eq(store_journal_add(s, id, 1, "flags", "+S", NULL), 0);
	ck_assert_int_eq(store_journal_add(s, id, 2, "flags", "+S", NULL), 0);
	ck_assert_int_eq(store_journal_add(s, id, 3, "delete", NULL, NULL), 0);
	ck_assert_int_eq(store_commit(s), 0);
	store_close(s);

	/* Wreck the root page of the message table, keep the journal's. */
	root = sql_int(db,
	    "SELECT rootpage FROM sqlite_schema "
	    "WHERE name = 'message'");
	size = sql_int(db, "PRAGMA page_size");
	ck_assert_int_eq(size, sizeof page);
	memset(page, 0xff, sizeof page);
	ck_assert_int_ne(fd = open(db, O_WRONLY), -1);
	ck_assert_int_eq(
	    pwrite(fd, page, sizeof page, (root - 1) * size), sizeof page);
	close(fd);

	s = open_ok(db);
	ck_assert_int_eq(store_recovered(s), 1);
	ck_assert_int_eq(store_moved_pending(s), 3);
	ck_assert_int_eq(store_moved_imported(s), 3);
	xasprintf(&want,
	    "cache '%s' was damaged and moved to '%s'; a new one was made; 3 "
	    "pending changes carried over, to be checked against the server "
	    "before sending (errand push)",
	    db, store_moved_path(s));
	ck_assert_str_eq(store_notice(s), want);
	free(want);
	ck_assert_int_eq(
	    sql_int(store_moved_path(s), "SELECT count(*) FROM journal"), 3);
	/* In the new cache, with their folder and UIDVALIDITY. */
	ck_assert_int_eq(store_journal_count(s, &n), 0);
	ck_assert_int_eq(n, 3);
	store_close(s);
	ck_assert_int_eq(sql_int(db,
	                     "SELECT count(*) FROM journal j JOIN folder f "
	                     "ON f.id = j.folder WHERE f.name = 'INBOX' "
	                     "AND j.uidvalidity = 31 AND j.state = 0"),
	    3);
	ck_assert_int_eq(sql_int(db,
	                     "SELECT count(*) FROM journal WHERE "
	                     "message_id = 'm2@example.org' AND uid = 2"),
	    1);
	/* The new cache knows nothing of the folder's sync yet. */
	ck_assert_int_eq(
	    sql_int(db, "SELECT uidvalidity FROM folder WHERE name = 'INBOX'"),
	    0);
}
END_TEST

/* A cache file cut short (a full disk, a copy stopped half way): the rows
 * that can still be read come over, and the notice says so. */
START_TEST(test_store_truncated_journal)
{
	struct store *s;
	struct store_msg m = {0};
	char mid[32];
	int64_t id, n, size;
	uint32_t u;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	ck_assert_int_eq(store_folder_set_sync(s, id, 31, 0, 0), 0);
	m.subject = "x";
	ck_assert_int_eq(store_begin(s), 0);
	for (u = 1; u <= 2000; u++) {
		m.uid = u;
		snprintf(mid, sizeof mid, "m%u@example.org", u);
		m.message_id = mid;
		ck_assert_int_eq(store_msg_put(s, id, &m), 0);
		if (u <= 2)
			ck_assert_int_eq(store_journal_add(s, id, u, "flags",
			                     "+S\t0\tINBOX", NULL),
			    0);
	}
	ck_assert_int_eq(store_commit(s), 0);
	store_close(s);
	size =
	    sql_int(db, "PRAGMA page_count") * sql_int(db, "PRAGMA page_size");
	ck_assert_int_eq(truncate(db, size / 2), 0);

	s = open_ok(db);
	ck_assert_int_eq(store_recovered(s), 1);
	ck_assert_int_eq(store_moved_imported(s), 2);
	ck_assert_ptr_nonnull(strstr(store_notice(s),
	    "2 pending changes "
	    "carried over"));
	ck_assert_int_eq(store_journal_count(s, &n), 0);
	ck_assert_int_eq(n, 2);
	store_close(s);
}
END_TEST

/* Every row carries the UIDVALIDITY and Message-ID it was made under; a
 * row of a folder since reset no longer applies to the cached messages,
 * a held row is not counted as pending, and a re-target revives it. */
START_TEST(test_store_journal_uidvalidity)
{
	struct store *s;
	struct store_msg m = {
	    .uid = 3, .subject = "x", .message_id = "three@example.org"};
	struct store_journal j = {0};
	int64_t id, r1, r2, n;
	int seen = 0;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	ck_assert_int_eq(store_folder_set_sync(s, id, 100, 4, 0), 0);
	ck_assert_int_eq(store_msg_put(s, id, &m), 0);
	ck_assert_int_eq(
	    store_journal_add(s, id, 3, "flags", "+D\t0\tINBOX", &r1), 0);
	ck_assert_int_eq(
	    sql_int(db, "SELECT uidvalidity FROM journal WHERE uid = 3"), 100);
	ck_assert_int_eq(sql_int(db,
	                     "SELECT count(*) FROM journal WHERE message_id = "
	                     "'three@example.org'"),
	    1);
	ck_assert_int_eq(
	    store_journal_foreach_msg(s, id, 3, count_cb, &seen), 0);
	ck_assert_int_eq(seen, 1);

	/* The mailbox was made again: the row stays, but names no cached
	 * message. */
	ck_assert_int_eq(store_folder_reset(s, id, 200), 0);
	seen = 0;
	ck_assert_int_eq(
	    store_journal_foreach_msg(s, id, 3, count_cb, &seen), 0);
	ck_assert_int_eq(seen, 0);
	ck_assert_int_eq(store_journal_count(s, &n), 0);
	ck_assert_int_eq(n, 1);

	ck_assert_int_eq(
	    store_journal_set_state(s, r1, STORE_JOURNAL_HELD, 0), 0);
	ck_assert_int_eq(store_journal_count(s, &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(store_journal_held(s, &n), 0);
	ck_assert_int_eq(n, 1);

	ck_assert_int_eq(
	    store_journal_retarget(s, r1, 9, 200, "+D\t0\tINBOX"), 0);
	ck_assert_int_eq(store_journal_held(s, &n), 0);
	ck_assert_int_eq(n, 0);
	seen = 0;
	ck_assert_int_eq(
	    store_journal_foreach_msg(s, id, 9, count_cb, &seen), 0);
	ck_assert_int_eq(seen, 1);

	/* Explicit rows: another UIDVALIDITY, a mark. */
	j.folder = id;
	j.op = "copy";
	j.arg = "Archive\tINBOX";
	j.uid = 9;
	j.uidvalidity = 200;
	j.message_id = "nine@example.org";
	j.state = STORE_JOURNAL_SENT;
	j.mark = 77;
	ck_assert_int_eq(store_journal_put(s, &j, &r2), 0);
	ck_assert_int_gt(r2, r1);
	ck_assert_int_eq(
	    sql_int(db, "SELECT mark FROM journal WHERE state = 1"), 77);
	store_close(s);
}
END_TEST

/* A cache of schema 5 with rows waiting: they take the folder's stored
 * UIDVALIDITY and their message's Message-ID. */
START_TEST(test_store_migrate_v5_journal)
{
	struct store *s;
	struct store_msg m = {
	    .uid = 4, .subject = "x", .message_id = "four@example.org"};
	int64_t id;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	ck_assert_int_eq(store_folder_set_sync(s, id, 55, 5, 0), 0);
	ck_assert_int_eq(store_msg_put(s, id, &m), 0);
	store_close(s);
	sql_exec(db,
	    "ALTER TABLE journal DROP uidvalidity; "
	    "ALTER TABLE journal DROP message_id; "
	    "ALTER TABLE journal DROP state; ALTER TABLE journal DROP mark; "
	    "INSERT INTO journal (folder, uid, op, arg, created) VALUES "
	    "(1, 4, 'flags', '+S\t0\tINBOX', 1); "
	    "PRAGMA user_version = 5");
	s = open_ok(db);
	store_close(s);
	ck_assert_int_eq(sql_int(db,
	                     "SELECT count(*) FROM journal WHERE uidvalidity "
	                     "= 55 AND message_id = 'four@example.org' "
	                     "AND state = 0"),
	    1);
}
END_TEST

START_TEST(test_store_modes)
{
	struct store *s;
	struct stat sb;
	char *path, *dir, *wal;

	umask(0);
	xasprintf(&dir, "%s/a/b", tmp);
	xasprintf(&path, "%s/c/acct.db", dir);
	xasprintf(&wal, "%s-wal", path);
	s = open_ok(path);
	ck_assert_int_eq(stat(dir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0700);
	*strrchr(path, '/') = '\0';
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0700);
	path[strlen(path)] = '/';
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	store_close(s);

	/* An existing file open to others is taken down to 0600. */
	ck_assert_int_eq(chmod(path, 0644), 0);
	s = open_ok(path);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	store_close(s);
	free(wal);
	free(path);
	free(dir);
}
END_TEST

/* In a child: commit UIDs 1-500, then write 501-3000 with bodies (more than
 * the page cache holds, so pages reach the WAL), mark them synced, tell the
 * parent and wait to be killed. */
static void
kill_child(int fd, int64_t id)
{
	struct store *s;
	char *err, body[4096];
	uint32_t u;

	memset(body, 'b', sizeof body);
	if ((s = store_open(db, &err)) == NULL)
		_exit(2);
	for (u = 1; u <= 3000; u++) {
		if ((u == 1 || u == 501) && store_begin(s) != 0)
			_exit(3);
		put(s, id, u, u, 0);
		if (store_body_put(s, id, u, body, sizeof body) != 0)
			_exit(4);
		if (u == 500 &&
		    (store_folder_set_synced(s, id, 500) != 0 ||
		        store_commit(s) != 0))
			_exit(5);
	}
	if (store_folder_set_synced(s, id, 3000) != 0)
		_exit(6);
	if (write(fd, "k", 1) != 1)
		_exit(7);
	for (;;)
		pause();
}

START_TEST(test_store_kill_mid_transaction)
{
	struct store *s;
	struct store_folder f;
	uint32_t total, unseen, max;
	void *raw;
	size_t len;
	int64_t id;
	int fds[2], status;
	pid_t pid;
	char c;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	store_close(s);

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		close(fds[0]);
		kill_child(fds[1], id);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	s = open_ok(db);
	ck_assert_int_eq(store_checked(s), 1);   /* killed: checked, */
	ck_assert_int_eq(store_recovered(s), 0); /* and quick_check passed */
	ck_assert_int_eq(store_msg_count(s, id, &total, &unseen), 0);
	ck_assert_uint_eq(total, 500);
	ck_assert_int_eq(store_msg_uid_max(s, id, &max), 0);
	ck_assert_uint_eq(max, 500);
	ck_assert_int_eq(store_folder_get(s, "INBOX", &f), 0);
	ck_assert_uint_eq(f.synced_uid_max, 500);
	store_folder_clear(&f);
	ck_assert_int_eq(store_body_get(s, id, 500, &raw, &len), 0);
	ck_assert_uint_eq(len, 4096);
	free(raw);
	ck_assert_int_eq(store_body_get(s, id, 501, &raw, &len), 1);

	/* And it takes the next chunk. */
	ck_assert_int_eq(store_begin(s), 0);
	put(s, id, 501, 0, 0);
	ck_assert_int_eq(store_folder_set_synced(s, id, 501), 0);
	ck_assert_int_eq(store_commit(s), 0);
	store_close(s);
}
END_TEST

/* The side file a clean close leaves; the caller frees it. */
static char *
mark_path(void)
{
	char *p;

	xasprintf(&p, "%s-clean", db);
	return p;
}

/* A cache of 3000 messages in INBOX, closed cleanly; the folder id. With
 * journal set, three journal rows too. */
static int64_t
fill_and_close(int journal)
{
	struct store *s;
	int64_t id;
	uint32_t u;

	s = open_ok(db);
	id = add_folder(s, "INBOX");
	ck_assert_int_eq(store_begin(s), 0);
	for (u = 1; u <= 3000; u++)
		put(s, id, u, u, 0);
	for (u = 1; journal && u <= 3; u++)
		ck_assert_int_eq(
		    store_journal_add(s, id, u, "flags", "+S", NULL), 0);
	ck_assert_int_eq(store_commit(s), 0);
	store_close(s);
	return id;
}

/* Write 0xff over the message table's root page, keeping the file's size;
 * with keep_mtime its modification time is put back as it was (a copy
 * that keeps times, a disk that rots: nothing a stat would show). */
static void
wreck_message_root(int keep_mtime)
{
	struct stat sb;
	struct timespec ts[2];
	char page[8192];
	int64_t root, size;
	int fd;

	root = sql_int(
	    db, "SELECT rootpage FROM sqlite_schema WHERE name = 'message'");
	size = sql_int(db, "PRAGMA page_size");
	ck_assert_int_eq(size, sizeof page);
	ck_assert_int_eq(stat(db, &sb), 0);
	memset(page, 0xff, sizeof page);
	ck_assert_int_ne(fd = open(db, O_WRONLY), -1);
	ck_assert_int_eq(
	    pwrite(fd, page, sizeof page, (root - 1) * size), sizeof page);
	close(fd);
	if (keep_mtime) {
		ts[0] = sb.st_atim;
		ts[1] = sb.st_mtim;
		ck_assert_int_eq(utimensat(AT_FDCWD, db, ts, 0), 0);
	}
}

/* A clean close records the file; the next open trusts it and does not
 * check (a tenth of a second on a large cache), and takes the record
 * away while it has the file open. */
START_TEST(test_store_clean_close_skips_check)
{
	struct store *s;
	struct store_folder f;
	char *mark, *err;
	int64_t id;

	mark = mark_path();
	s = open_ok(db);
	ck_assert_int_eq(store_checked(s), 1); /* a new file */
	ck_assert_int_eq(access(mark, F_OK), -1);
	id = add_folder(s, "INBOX");
	put(s, id, 1, 0, 0);
	store_close(s);
	ck_assert_int_eq(access(mark, F_OK), 0);

	s = open_ok(db);
	ck_assert_int_eq(store_checked(s), 0);
	ck_assert_int_eq(store_recovered(s), 0);
	ck_assert_int_eq(access(mark, F_OK), -1);
	ck_assert_int_eq(store_folder_get(s, "INBOX", &f), 0);
	ck_assert_int_eq(f.id, id);
	store_folder_clear(&f);
	put(s, id, 2, 0, 0);
	store_close(s);

	s = open_ok(db);
	ck_assert_int_eq(store_checked(s), 0);
	store_close(s);
	/* Read-only opens leave the record alone. */
	s = store_open_readonly(db, &err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(store_checked(s), 0);
	store_close(s);
	ck_assert_int_eq(access(mark, F_OK), 0);
	s = open_ok(db);
	ck_assert_int_eq(store_checked(s), 0);
	store_close(s);
	free(mark);
}
END_TEST

/* In a child: open the cache (writing a row when write is set), tell the
 * parent, wait to be killed. */
static void
killed_child(int fd, int write_row)
{
	struct store *s;
	struct store_folder f = {.name = "Killed", .delim = "/"};
	char *err;

	if ((s = store_open(db, &err)) == NULL)
		_exit(2);
	if (write_row && store_folder_upsert(s, &f, NULL) != 0)
		_exit(3);
	if (write(fd, "k", 1) != 1)
		_exit(4);
	for (;;)
		pause();
}

/* Run killed_child() and kill it with SIGKILL once it has the file. */
static void
open_and_kill(int write_row)
{
	int fds[2], status;
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		close(fds[0]);
		killed_child(fds[1], write_row);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* A run that was killed, whether it wrote or only read, leaves no record:
 * the next open checks; a file damaged meanwhile is moved aside. */
START_TEST(test_store_unclean_close_checks)
{
	struct store *s;
	struct store_folder f;
	char *mark;

	mark = mark_path();
	fill_and_close(0);
	ck_assert_int_eq(access(mark, F_OK), 0);

	open_and_kill(0); /* read only: the file is as the close left it */
	ck_assert_int_eq(access(mark, F_OK), -1);
	s = open_ok(db);
	ck_assert_int_eq(store_checked(s), 1);
	ck_assert_int_eq(store_recovered(s), 0);
	store_close(s);

	open_and_kill(1);
	s = open_ok(db);
	ck_assert_int_eq(store_checked(s), 1);
	ck_assert_int_eq(store_recovered(s), 0);
	ck_assert_int_eq(store_folder_get(s, "Killed", &f), 0);
	store_folder_clear(&f);
	store_close(s);

	/* Killed, then damaged before the next run. */
	open_and_kill(0);
	wreck_message_root(1);
	s = open_ok(db);
	ck_assert_int_eq(store_checked(s), 1);
	ck_assert_int_eq(store_recovered(s), 1);
	ck_assert_ptr_nonnull(strstr(store_notice(s), "was damaged and moved"));
	ck_assert_int_eq(store_folder_get(s, "INBOX", &f), 1);
	store_close(s);
	free(mark);
}
END_TEST

/* Damage done while errand was not running, after a clean close, is found
 * although the record of that close is there: the file's times, size and
 * inode are not as recorded. Putting its modification time back does not
 * hide it (the change time moves on), nor does damage within the clock
 * tick of the close (the record is made a tick later than the file). */
START_TEST(test_store_damaged_after_clean_close)
{
	struct store *s;
	char *mark;
	int keep;

	mark = mark_path();
	for (keep = 0; keep <= 1; keep++) {
		fill_and_close(1);
		ck_assert_int_eq(access(mark, F_OK), 0);
		wreck_message_root(keep);
		ck_assert_int_eq(access(mark, F_OK), 0);
		s = open_ok(db);
		ck_assert_int_eq(store_checked(s), 1);
		ck_assert_int_eq(store_recovered(s), 1);
		ck_assert_int_eq(store_moved_imported(s), 3);
		ck_assert_ptr_nonnull(
		    strstr(store_notice(s), "was damaged and moved"));
		ck_assert_int_eq(access(mark, F_OK), -1);
		store_close(s);
		ck_assert_int_eq(unlink(db), 0);
		ck_assert_int_eq(unlink(mark), 0);
	}

	/* Cut short: the size differs. */
	fill_and_close(0);
	ck_assert_int_eq(truncate(db, 8192 * 3), 0);
	s = open_ok(db);
	ck_assert_int_eq(store_checked(s), 1);
	ck_assert_int_eq(store_recovered(s), 1);
	store_close(s);
	free(mark);
}
END_TEST

/* Two stores on one file: the second finds no record (the first took it)
 * and checks; the first to close leaves none (the other still writes);
 * the last does. */
START_TEST(test_store_two_open)
{
	struct store *s1, *s2, *s3;
	char *mark;
	int64_t id;

	mark = mark_path();
	id = fill_and_close(0);
	s1 = open_ok(db);
	ck_assert_int_eq(store_checked(s1), 0);
	s2 = open_ok(db);
	ck_assert_int_eq(store_checked(s2), 1);
	put(s2, id, 5000, 0, 0);
	store_close(s1);
	ck_assert_int_eq(access(mark, F_OK), -1);
	s3 = open_ok(db);
	ck_assert_int_eq(store_checked(s3), 1);
	store_close(s3);
	ck_assert_int_eq(access(mark, F_OK), -1);
	put(s2, id, 5001, 0, 0);
	store_close(s2);
	ck_assert_int_eq(access(mark, F_OK), 0);
	s1 = open_ok(db);
	ck_assert_int_eq(store_checked(s1), 0);
	store_close(s1);
	free(mark);
}
END_TEST

/* Damage that SQLite meets in use (past the check, or with none) fails
 * the call with a message that says what happens, and the next open moves
 * the file aside as a failed check does. */
START_TEST(test_store_damage_in_use)
{
	struct store *s;
	uint32_t total, unseen;
	char *want, *orig;
	size_t len;
	int64_t id;

	id = fill_and_close(1);
	s = open_ok(db);
	ck_assert_int_eq(store_checked(s), 0);
	ck_assert_int_eq(store_damaged(s), 0);
	wreck_message_root(0);
	ck_assert_int_eq(store_msg_count(s, id, &total, &unseen), -1);
	ck_assert_int_eq(store_damaged(s), 1);
	xasprintf(&want,
	    "cache '%s' is damaged (database disk image is malformed); it is "
	    "moved aside and made again when errand next starts",
	    db);
	ck_assert_msg(
	    strstr(store_error(s), want) != NULL, "%s", store_error(s));
	free(want);
	store_close(s);

	s = open_ok(db);
	ck_assert_int_eq(store_recovered(s), 1);
	ck_assert_int_eq(store_moved_imported(s), 3);
	ck_assert_ptr_nonnull(strstr(store_notice(s), "was damaged and moved"));
	ck_assert_int_eq(store_damaged(s), 0);
	store_close(s);
	s = open_ok(db);
	ck_assert_int_eq(store_recovered(s), 0);
	ck_assert_int_eq(store_checked(s), 0);
	store_close(s);
	ck_assert_int_eq(unlink(db), 0);

	/* Recorded, not found again: damage gone by the next start (a disk
	 * that failed a read once) that no check would see still has the
	 * file moved aside. */
	id = fill_and_close(0);
	orig = slurp(db, &len);
	s = open_ok(db);
	wreck_message_root(0);
	ck_assert_int_eq(store_msg_count(s, id, &total, &unseen), -1);
	ck_assert_int_eq(store_damaged(s), 1);
	write_file(db, orig, len);
	store_close(s);
	free(orig);
	orig = sql_text(db, "PRAGMA quick_check");
	ck_assert_str_eq(orig, "ok");
	free(orig);
	s = open_ok(db);
	ck_assert_int_eq(store_recovered(s), 1);
	ck_assert_int_eq(store_msg_count(s, id, &total, &unseen), 0);
	ck_assert_uint_eq(total, 0);
	store_close(s);
}
END_TEST

/* However clean the closes, the file is checked again once the last check
 * is STORE_CHECK_INTERVAL old. */
START_TEST(test_store_check_interval)
{
	struct store *s;
	char buf[256], *mark, *sp;
	ssize_t n;
	int fd;

	mark = mark_path();
	fill_and_close(0);
	ck_assert_int_ne(fd = open(mark, O_RDWR), -1);
	ck_assert_int_gt(n = read(fd, buf, sizeof buf - 1), 0);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(sp = strrchr(buf, ' '));
	snprintf(sp, sizeof buf - (size_t)(sp - buf), " %lld\n",
	    (long long)time(NULL) - STORE_CHECK_INTERVAL);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(pwrite(fd, buf, strlen(buf), 0), (ssize_t)strlen(buf));
	close(fd);
	s = open_ok(db);
	ck_assert_int_eq(store_checked(s), 1);
	store_close(s);
	/* That check counts from now. */
	s = open_ok(db);
	ck_assert_int_eq(store_checked(s), 0);
	store_close(s);
	free(mark);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_store_open_edge);
	tcase_add_test(tc, test_store_edge_inputs);
	tcase_add_test(tc, test_store_huge);
	tcase_add_test(tc, test_store_reopen);
	tcase_add_test(tc, test_store_newer_schema);
	tcase_add_test(tc, test_store_migrate_v1);
	tcase_add_test(tc, test_store_folders);
	tcase_add_test(tc, test_store_messages);
	tcase_add_test(tc, test_store_listing);
	tcase_add_test(tc, test_store_counts);
	tcase_add_test(tc, test_store_uidvalidity_reset);
	tcase_add_test(tc, test_store_transactions);
	tcase_add_test(tc, test_store_locked);
	tcase_add_test(tc, test_store_readonly);
	tcase_add_test(tc, test_store_journal_pop3);
	tcase_add_test(tc, test_store_pop3_get_foreach);
	tcase_add_test(tc, test_store_corrupt_garbage);
	tcase_add_test(tc, test_store_corrupt_journal);
	tcase_add_test(tc, test_store_truncated_journal);
	tcase_add_test(tc, test_store_journal_uidvalidity);
	tcase_add_test(tc, test_store_migrate_v5_journal);
	tcase_add_test(tc, test_store_modes);
	tcase_add_test(tc, test_store_kill_mid_transaction);
	tcase_add_test(tc, test_store_clean_close_skips_check);
	tcase_add_test(tc, test_store_unclean_close_checks);
	tcase_add_test(tc, test_store_damaged_after_clean_close);
	tcase_add_test(tc, test_store_two_open);
	tcase_add_test(tc, test_store_damage_in_use);
	tcase_add_test(tc, test_store_check_interval);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
