/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/engine/outbox.c against a real temporary directory:
 * a message queued (Bcc kept as a recipient, gone from the copy; Date and
 * Message-ID added; modes 0700/0600), under a name the caller gave, bad
 * messages refused with a reason,
 * a crash while sending held as uncertain, take back within send-delay,
 * discard, retry; and a run through sendmail-command: sent, held with the
 * command's words, waiting after exit 75; \Answered journaled outside a
 * sync's open chunk; drafts copied to the Maildir at home, a recalled one
 * replacing its older copy; the cached Drafts that R offers
 * (src/engine/drafts.c); an ID.eml a crash left without its state removed
 * at open once an hour old. */

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <event2/event.h>

#include "config.h"
#include "engine/drafts.h"
#include "engine/journal.h"
#include "engine/outbox-private.h"
#include "engine/outbox.h"
#include "engine/session.h"
#include "xmalloc.h"
#include "cache/store.h"

static char *dir, *obdir;

static const char msg[] = "From: Me <me@example.org>\n"
                          "To: a@example.org, \"B\" <b@example.org>\n"
                          "Bcc: hidden@example.org,\n"
                          " other@example.org\n"
                          "Subject: =?UTF-8?Q?caf=C3=A9?=\n"
                          "\n"
                          "body line\n";

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(p);
}

static void
setup(void)
{
	char tmpl[] = "/tmp/errand-outbox-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	dir = xstrdup(tmpl);
	xasprintf(&obdir, "%s/data/outbox", dir);
}

static void
teardown(void)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	free(obdir);
}

static char *
write_file(const char *name, const char *text)
{
	char *p;
	FILE *fp;

	xasprintf(&p, "%s/%s", dir, name);
	fp = fopen(p, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	return p;
}

static char *
read_file(const char *path)
{
	char *buf = xcalloc(1, 65536);
	FILE *fp = fopen(path, "r");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_ge(fread(buf, 1, 65535, fp), 0);
	fclose(fp);
	return buf;
}

static struct outbox_meta
meta_default(int delay)
{
	struct outbox_meta m;

	memset(&m, 0, sizeof m);
	m.save_sent = 0;
	m.delay = delay;
	return m;
}

static char *
add(struct outbox *ob, const char *text, int delay)
{
	struct outbox_meta m = meta_default(delay);
	char *p, *id = NULL, *err = NULL;

	p = write_file("in.eml", text);
	ck_assert_msg(outbox_add_file(ob, p, &m, &id, &err) == 0, "%s", err);
	free(p);
	return id;
}

START_TEST(test_outbox_add)
{
	struct outbox_entry *v;
	struct outbox *ob;
	struct stat sb;
	char *err = NULL, *id, *text;
	size_t n;

	ob = outbox_open_dir(obdir, NULL, &err);
	ck_assert_ptr_nonnull(ob);
	ck_assert_int_eq(stat(obdir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	id = add(ob, msg, 0);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0].id, id);
	ck_assert_int_eq(v[0].state, OUTBOX_QUEUED);
	ck_assert_str_eq(v[0].from, "me@example.org");
	ck_assert_uint_eq(v[0].nrcpt, 4);
	ck_assert_str_eq(v[0].rcpts[0], "a@example.org");
	ck_assert_str_eq(v[0].rcpts[1], "b@example.org");
	ck_assert_str_eq(v[0].rcpts[2], "hidden@example.org");
	ck_assert_str_eq(v[0].rcpts[3], "other@example.org");
	ck_assert_str_eq(v[0].subject, "café");
	ck_assert_int_ne(strlen(v[0].message_id), 0);
	ck_assert_ptr_nonnull(strstr(v[0].message_id, "@example.org"));
	ck_assert_int_eq(stat(v[0].path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	text = read_file(v[0].path);
	ck_assert_ptr_null(strstr(text, "Bcc"));
	ck_assert_ptr_null(strstr(text, "other@example.org"));
	ck_assert_ptr_nonnull(strstr(text, "Date: "));
	ck_assert_ptr_nonnull(strstr(text, "Message-ID: <"));
	ck_assert_ptr_nonnull(strstr(text, "\n\nbody line\n"));
	ck_assert_ptr_nonnull(strstr(text, "To: a@example.org"));
	free(text);
	outbox_entries_free(v, n);
	free(id);
	outbox_free(ob);
}
END_TEST

/* The caller names the message (a draft says which message it became)
 * and gives its subject decoded; a name taken or not valid is refused. */
START_TEST(test_outbox_add_id)
{
	struct outbox_meta m = meta_default(0);
	struct outbox_entry *v;
	struct outbox *ob;
	char *err = NULL, *id = NULL, *want, *p;
	size_t n;

	ob = outbox_open_dir(obdir, NULL, &err);
	ck_assert_ptr_nonnull(ob);
	want = outbox_id_new();
	ck_assert_int_eq(outbox_has(ob, want), 0);
	p = write_file("in.eml", msg);
	m.id = want;
	m.subject = "given subject";
	ck_assert_msg(outbox_add_file(ob, p, &m, &id, &err) == 0, "%s", err);
	ck_assert_str_eq(id, want);
	free(id);
	ck_assert_int_eq(outbox_has(ob, want), 1);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0].id, want);
	ck_assert_str_eq(v[0].subject, "given subject");
	outbox_entries_free(v, n);
	/* Taken: refused, nothing added. */
	ck_assert_int_eq(outbox_add_file(ob, p, &m, &id, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "is taken"));
	free(err);
	err = NULL;
	m.id = "../escape";
	ck_assert_int_eq(outbox_add_file(ob, p, &m, &id, &err), -1);
	free(err);
	err = NULL;
	ck_assert_int_eq(outbox_has(ob, "../escape"), 0);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	outbox_entries_free(v, n);
	ck_assert_int_eq(outbox_discard(ob, want, &err), 0);
	ck_assert_int_eq(outbox_has(ob, want), 0);
	free(want);
	free(p);
	outbox_free(ob);
}
END_TEST

/* CRLF lines (a body with bare LF blank lines too), a recipient twice. */
START_TEST(test_outbox_add_crlf)
{
	struct outbox_entry *v;
	struct outbox *ob;
	char *err = NULL, *id, *text;
	size_t n;

	ob = outbox_open_dir(obdir, NULL, &err);
	id = add(ob,
	    "From: me@example.org\r\nTo: b@example.org, B@Example.org\r\n"
	    "Cc: c@example.org\r\nBcc: b@example.org\r\n\r\n"
	    "one\n\ntwo\r\n",
	    0);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(v[0].nrcpt, 2);
	ck_assert_str_eq(v[0].rcpts[0], "b@example.org");
	ck_assert_str_eq(v[0].rcpts[1], "c@example.org");
	text = read_file(v[0].path);
	ck_assert_ptr_null(strstr(text, "Bcc"));
	ck_assert_ptr_nonnull(strstr(text, "Cc: c@example.org\r\n\r\none\n"));
	ck_assert_ptr_nonnull(strstr(text, "Date: "));
	/* The added Date ends as the message's lines do. */
	ck_assert_int_eq(strncmp(text, "Message-ID: <", 13), 0);
	ck_assert_int_eq(strchr(text, '\n')[-1], '\r');
	ck_assert_int_eq(strchr(strstr(text, "\nDate: "), '\n')[-1], '\r');
	free(text);
	outbox_entries_free(v, n);
	free(id);
	outbox_free(ob);
}
END_TEST

START_TEST(test_outbox_bad)
{
	struct outbox_meta m = meta_default(0);
	struct outbox *ob;
	char *err = NULL, *id = NULL, *p;

	ob = outbox_open_dir(obdir, NULL, &err);
	ck_assert_ptr_nonnull(ob);
	p = write_file("none.eml", "From: me@example.org\nSubject: x\n\nhi\n");
	ck_assert_int_eq(outbox_add_file(ob, p, &m, &id, &err), -1);
	ck_assert_ptr_null(id);
	ck_assert_ptr_nonnull(strstr(err, "no recipients"));
	free(err);
	free(p);
	p = write_file("nofrom.eml", "To: a@example.org\n\nhi\n");
	ck_assert_int_eq(outbox_add_file(ob, p, &m, &id, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no From"));
	free(err);
	free(p);
	p = write_file("empty.eml", "");
	ck_assert_int_eq(outbox_add_file(ob, p, &m, &id, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	free(err);
	free(p);
	ck_assert_int_eq(
	    outbox_add_file(ob, "/nonexistent/x", &m, &id, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot read '/nonexistent/x'"));
	free(err);
	ck_assert_int_eq(outbox_discard(ob, "../etc", &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no message"));
	free(err);
	outbox_free(ob);
}
END_TEST

/* A crash before the final ".": queued again, sent by the next run. */
START_TEST(test_outbox_crash_before_dot)
{
	struct outbox_entry e, *v;
	struct outbox *ob;
	char *err = NULL, *id, *text, *path;
	size_t n;

	ob = outbox_open_dir(obdir, NULL, &err);
	id = add(ob, msg, 0);
	ck_assert_int_eq(outbox_read(ob, id, &e, &err), 0);
	e.state = OUTBOX_SENDING;
	e.tries = 1;
	ck_assert_int_eq(outbox_state_write(ob, &e, &err), 0);
	outbox_entry_clear(&e);
	xasprintf(&path, "%s/%s.state", obdir, id);
	text = read_file(path);
	ck_assert_ptr_nonnull(strstr(text, "\nstate sending\n"));
	free(text);
	outbox_free(ob);
	/* The next start queues it again: the server took nothing. */
	ob = outbox_open_dir(obdir, NULL, &err);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(v[0].state, OUTBOX_QUEUED);
	ck_assert_int_eq(v[0].uncertain, 0);
	ck_assert_int_eq(v[0].dot, 0);
	ck_assert_int_eq(v[0].tries, 1);
	ck_assert_ptr_null(v[0].reason);
	outbox_entries_free(v, n);
	ck_assert_int_ne(outbox_next_due(ob), 0);
	free(path);
	free(id);
	outbox_free(ob);
}
END_TEST

/* A crash between the final "." and the answer: held, never resent. */
START_TEST(test_outbox_crash_sending)
{
	struct outbox_entry e, *v;
	struct outbox *ob;
	char *err = NULL, *id, *path, *text;
	size_t n;

	ob = outbox_open_dir(obdir, NULL, &err);
	id = add(ob, msg, 0);
	ck_assert_int_eq(outbox_read(ob, id, &e, &err), 0);
	e.state = OUTBOX_SENDING;
	e.dot = 1;
	ck_assert_int_eq(outbox_state_write(ob, &e, &err), 0);
	outbox_entry_clear(&e);
	/* On disk as dot, read back so. */
	xasprintf(&path, "%s/%s.state", obdir, id);
	text = read_file(path);
	ck_assert_ptr_nonnull(strstr(text, "\nstate dot\n"));
	free(text);
	free(path);
	ck_assert_int_eq(outbox_read(ob, id, &e, &err), 0);
	ck_assert_int_eq(e.state, OUTBOX_SENDING);
	ck_assert_int_eq(e.dot, 1);
	outbox_entry_clear(&e);
	/* Too late to take back or discard while it is being sent. */
	ck_assert_int_eq(outbox_take_back(ob, id, &path, NULL, &err), 1);
	ck_assert_ptr_nonnull(strstr(err, "too late"));
	free(err);
	ck_assert_int_eq(outbox_discard(ob, id, &err), -1);
	free(err);
	outbox_free(ob);
	/* The next start finds it. */
	ob = outbox_open_dir(obdir, NULL, &err);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(v[0].state, OUTBOX_HELD);
	ck_assert_int_eq(v[0].uncertain, 1);
	ck_assert_ptr_nonnull(strstr(v[0].reason, "may have been sent"));
	ck_assert_ptr_nonnull(strstr(v[0].reason, id));
	outbox_entries_free(v, n);
	/* A run does not send it. */
	ck_assert_int_eq(outbox_next_due(ob), 0);
	/* The user says so: queued again. */
	ck_assert_int_eq(outbox_retry(ob, id, &err), 0);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_int_eq(v[0].state, OUTBOX_QUEUED);
	ck_assert_ptr_null(v[0].reason);
	outbox_entries_free(v, n);
	free(id);
	outbox_free(ob);
}
END_TEST

/* ID.eml without ID.state (a crash in outbox_add() before the state was
 * written): removed at open once an hour old; a fresh one (an add under
 * way elsewhere) and one with its state stay. */
START_TEST(test_outbox_orphan)
{
	struct outbox_entry *v;
	struct outbox *ob;
	struct utimbuf ut;
	struct stat sb;
	char *err = NULL, *id, *old, *fresh, *kept, *state;
	size_t n;

	ob = outbox_open_dir(obdir, NULL, &err);
	ck_assert_ptr_nonnull(ob);
	id = add(ob, msg, 0);
	outbox_free(ob);
	xasprintf(&old, "%s/1000-deadbeef.eml", obdir);
	xasprintf(&fresh, "%s/2000-cafebabe.eml", obdir);
	xasprintf(&kept, "%s/%s.eml", obdir, id);
	xasprintf(&state, "%s/%s.state", obdir, id);
	free(write_file("data/outbox/1000-deadbeef.eml", msg));
	free(write_file("data/outbox/2000-cafebabe.eml", msg));
	ut.actime = ut.modtime = time(NULL) - 2 * 3600;
	ck_assert_int_eq(utime(old, &ut), 0);
	ck_assert_int_eq(utime(kept, &ut), 0);
	ck_assert_int_eq(utime(state, &ut), 0);

	ob = outbox_open_dir(obdir, NULL, &err);
	ck_assert_ptr_nonnull(ob);
	ck_assert_msg(stat(old, &sb) == -1, "the old orphan stayed");
	ck_assert_msg(stat(fresh, &sb) == 0, "the fresh one went");
	ck_assert_msg(stat(kept, &sb) == 0, "the queued message went");
	ck_assert_msg(stat(state, &sb) == 0, "its state went");
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0].id, id);
	outbox_entries_free(v, n);
	outbox_free(ob);
	free(old);
	free(fresh);
	free(kept);
	free(state);
	free(id);
}
END_TEST

START_TEST(test_outbox_take_back)
{
	struct outbox_entry *v;
	struct outbox *ob;
	char *err = NULL, *id, *path = NULL, *bcc = NULL, *text;
	size_t n;

	ob = outbox_open_dir(obdir, NULL, &err);
	id = add(ob, msg, 60);
	ck_assert_int_ge(outbox_next_due(ob), time(NULL) + 59);
	ck_assert_int_eq(outbox_take_back(ob, id, &path, &bcc, &err), 0);
	ck_assert_ptr_nonnull(path);
	ck_assert_str_eq(bcc, "hidden@example.org, other@example.org");
	text = read_file(path);
	ck_assert_ptr_nonnull(strstr(text, "\n\nbody line\n"));
	free(text);
	unlink(path);
	free(path);
	free(bcc);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
	ck_assert_int_eq(outbox_take_back(ob, id, &path, &bcc, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no message"));
	free(err);
	free(id);
	/* Discard. */
	id = add(ob, msg, 60);
	ck_assert_int_eq(outbox_discard(ob, id, &err), 0);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
	free(id);
	outbox_free(ob);
}
END_TEST

struct run_result {
	int finished;
	enum outbox_state state;
	char *reason;
	size_t nrcpt;
};

static void
run_done(const struct outbox_result *r, void *arg)
{
	struct run_result *rr = arg;

	rr->state = r->state;
	free(rr->reason);
	rr->reason = r->reason != NULL ? xstrdup(r->reason) : NULL;
	rr->nrcpt = r->nrcpt;
}

static void
run_finished(int offline, void *arg)
{
	(void)offline;
	((struct run_result *)arg)->finished = 1;
}

/* Send what is due with sendmail-command cmd; the one message's end. */
static void
run_with(struct outbox *ob, struct event_base *base, struct run_result *rr)
{
	struct outbox_run_params p;
	struct outbox_run *run;

	memset(&p, 0, sizeof p);
	p.base = base;
	p.done = run_done;
	p.finished = run_finished;
	p.arg = rr;
	p.now = 1;
	rr->finished = 0;
	run = outbox_run_start(ob, &p);
	ck_assert_ptr_nonnull(run);
	while (!rr->finished)
		event_base_loop(base, EVLOOP_ONCE);
	outbox_run_free(run);
}

START_TEST(test_outbox_sendmail)
{
	struct run_result rr;
	struct outbox_entry *v;
	struct event_base *base;
	struct account a;
	struct outbox *ob;
	char *err = NULL, *id, *got, *text, *cmd;
	size_t n;

	memset(&a, 0, sizeof a);
	memset(&rr, 0, sizeof rr);
	a.name = "t";
	a.save_sent = 0;
	base = event_base_new();
	ob = outbox_open_dir(obdir, &a, &err);
	xasprintf(&got, "%s/got", dir);
	/* A refusal: held with the command's first line. */
	a.sendmail_command =
	    "cat >/dev/null; echo '550 5.1.1 no such user' >&2; exit 1";
	id = add(ob, msg, 0);
	run_with(ob, base, &rr);
	ck_assert_int_eq(rr.state, OUTBOX_HELD);
	ck_assert_str_eq(rr.reason,
	    "sendmail-command exited with status 1: 550 5.1.1 no such user");
	ck_assert_ptr_null(outbox_run_start(
	    ob, &(struct outbox_run_params){.base = base, .now = 1}));
	ck_assert_int_eq(outbox_discard(ob, id, &err), 0);
	free(id);
	/* A temporary failure: waits, with a backoff. */
	a.sendmail_command = "cat >/dev/null; echo 'try later' >&2; exit 75";
	id = add(ob, msg, 0);
	run_with(ob, base, &rr);
	ck_assert_int_eq(rr.state, OUTBOX_RETRY);
	ck_assert_ptr_nonnull(strstr(rr.reason, "status 75: try later"));
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_int_eq(v[0].state, OUTBOX_RETRY);
	ck_assert_int_gt(v[0].not_before, time(NULL));
	ck_assert_int_eq(v[0].tries, 1);
	outbox_entries_free(v, n);
	/* Then it goes: the message on stdin, recipients as arguments. */
	xasprintf(&cmd, "cat >%s; printf '%%s\\n' >%s.args", got, got);
	a.sendmail_command = cmd;
	run_with(ob, base, &rr);
	ck_assert_int_eq(rr.state, OUTBOX_SENT);
	ck_assert_uint_eq(rr.nrcpt, 4);
	text = read_file(got);
	ck_assert_ptr_nonnull(strstr(text, "Subject: =?UTF-8?Q?caf=C3=A9?="));
	ck_assert_ptr_null(strstr(text, "Bcc"));
	free(text);
	free(got);
	xasprintf(&got, "%s/got.args", dir);
	text = read_file(got);
	ck_assert_str_eq(text,
	    "a@example.org\nb@example.org\n"
	    "hidden@example.org\nother@example.org\n");
	free(text);
	/* Sent and gone. */
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
	free(id);
	free(cmd);
	free(got);
	free(rr.reason);
	outbox_free(ob);
	event_base_free(base);
}
END_TEST

struct sender_seen {
	int changed, sent;
	struct event_base *base;
};

static void
sender_changed(void *arg)
{
	((struct sender_seen *)arg)->changed++;
}

static void
sender_result(const struct outbox_result *r, void *arg)
{
	((struct sender_seen *)arg)->sent += r->state == OUTBOX_SENT;
}

/* A postponed message: no recipients needed, never sent, only copied to
 * the Drafts of the Maildir at home (a POP3 account) as seen and a draft,
 * then gone from the outbox. */
START_TEST(test_outbox_draft)
{
	static const char draft[] = "From: Me <me@example.org>\n"
	                            "Subject: later\n\nNot done yet.\n";
	struct outbox_meta m = meta_default(0);
	struct run_result rr;
	struct outbox_entry *v;
	struct event_base *base;
	struct account a;
	struct outbox *ob;
	struct dirent *de;
	DIR *d;
	char *err = NULL, *id, *path, *cur, *got = NULL, *text;
	size_t n;
	int fd;

	memset(&a, 0, sizeof a);
	memset(&rr, 0, sizeof rr);
	a.name = "t";
	a.url.scheme = URL_POP3S;
	a.sendmail_command = "exit 1"; /* never run */
	ck_assert_int_eq(setenv("XDG_DATA_HOME", dir, 1), 0);
	base = event_base_new();
	ob = outbox_open_dir(obdir, &a, &err);
	ck_assert_msg(ob != NULL, "%s", err);
	path = write_file("draft.eml", draft);
	fd = open(path, O_RDONLY);
	ck_assert_int_ne(fd, -1);
	m.draft = 1;
	ck_assert_msg(outbox_add(ob, fd, &m, &id, &err) == 0, "%s", err);
	close(fd);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(v[0].state, OUTBOX_SENT);
	ck_assert_int_eq(v[0].draft, 1);
	ck_assert_int_eq(v[0].appending, 1);
	outbox_entries_free(v, n);
	ck_assert_int_eq(outbox_count(&a), 0);
	run_with(ob, base, &rr);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
	xasprintf(&cur, "%s/errand/t/.Drafts/cur", dir);
	ck_assert_ptr_nonnull(d = opendir(cur));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			ck_assert_ptr_null(got);
			xasprintf(&got, "%s/%s", cur, de->d_name);
		}
	closedir(d);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got + strlen(got) - 5, ":2,DS");
	text = read_file(got);
	ck_assert_ptr_nonnull(strstr(text, "Not done yet."));
	free(text);
	free(got);
	free(cur);
	free(path);
	free(id);
	free(rr.reason);
	outbox_free(ob);
	event_base_free(base);
	unsetenv("XDG_DATA_HOME");
}
END_TEST

/* The messages of the Drafts Maildir at home holding needle. */
static int
drafts_with(const char *needle)
{
	static const char *const sub[] = {"cur", "new"};
	struct dirent *de;
	DIR *d;
	char *path, *f, *text;
	int n = 0;
	size_t i;

	for (i = 0; i < 2; i++) {
		xasprintf(&path, "%s/errand/t/.Drafts/%s", dir, sub[i]);
		if ((d = opendir(path)) == NULL) {
			free(path);
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			xasprintf(&f, "%s/%s", path, de->d_name);
			text = read_file(f);
			n += strstr(text, needle) != NULL;
			free(text);
			free(f);
		}
		closedir(d);
		free(path);
	}
	return n;
}

/* Queue text as a draft (replacing the copy with Message-ID replaces, or
 * none) or, draft 0, to send; its id. */
static char *
add_replacing(
    struct outbox *ob, const char *text, int draft, const char *replaces)
{
	struct outbox_meta m = meta_default(0);
	char *p, *id = NULL, *err = NULL;

	m.draft = draft;
	m.replaces = replaces;
	p = write_file("in.eml", text);
	ck_assert_msg(outbox_add_file(ob, p, &m, &id, &err) == 0, "%s", err);
	free(p);
	return id;
}

/* A recalled draft postponed again replaces its copy in the Drafts of
 * the Maildir at home (another draft stays); sent, it leaves none, but
 * only once it is sent: refused, the copy stays. */
START_TEST(test_outbox_draft_replaces)
{
	static const char one[] = "From: Me <me@example.org>\n"
	                          "Message-ID: <one@example.org>\n"
	                          "Subject: later\n\nFirst text.\n";
	static const char two[] = "From: Me <me@example.org>\n"
	                          "Message-ID: <two@example.org>\n"
	                          "Subject: later\n\nSecond text.\n";
	static const char other[] = "From: Me <me@example.org>\n"
	                            "Message-ID:\n <other@example.org>\n"
	                            "Subject: another\n\nOther text.\n";
	static const char sent[] = "From: Me <me@example.org>\n"
	                           "To: a@example.org\n"
	                           "Message-ID: <three@example.org>\n"
	                           "Subject: later\n\nThird text.\n";
	struct run_result rr;
	struct outbox_entry *v;
	struct event_base *base;
	struct account a;
	struct outbox *ob;
	char *err = NULL, *id;
	size_t n;

	memset(&a, 0, sizeof a);
	memset(&rr, 0, sizeof rr);
	a.name = "t";
	a.url.scheme = URL_POP3S;
	a.sendmail_command = "cat >/dev/null; echo 'no' >&2; exit 1";
	ck_assert_int_eq(setenv("XDG_DATA_HOME", dir, 1), 0);
	base = event_base_new();
	ob = outbox_open_dir(obdir, &a, &err);
	ck_assert_msg(ob != NULL, "%s", err);
	free(add_replacing(ob, other, 1, NULL));
	free(add_replacing(ob, one, 1, NULL));
	run_with(ob, base, &rr);
	ck_assert_int_eq(drafts_with("First text."), 1);
	ck_assert_int_eq(drafts_with("Other text."), 1);

	/* P again: the old copy to remove is on disk with the new one. */
	free(add_replacing(ob, two, 1, "<one@example.org>"));
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0].replaces, "one@example.org");
	outbox_entries_free(v, n);
	run_with(ob, base, &rr);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
	ck_assert_int_eq(drafts_with("First text."), 0);
	ck_assert_int_eq(drafts_with("Second text."), 1);
	ck_assert_int_eq(drafts_with("Other text."), 1);

	/* y, refused: not sent, so the copy stays. */
	id = add_replacing(ob, sent, 0, "two@example.org");
	run_with(ob, base, &rr);
	ck_assert_int_eq(rr.state, OUTBOX_HELD);
	ck_assert_int_eq(drafts_with("Second text."), 1);
	/* Sent: no copy left; the other draft stays. */
	a.sendmail_command = "cat >/dev/null; :";
	ck_assert_int_eq(outbox_retry(ob, id, &err), 0);
	run_with(ob, base, &rr);
	ck_assert_msg(rr.state == OUTBOX_SENT, "%s", rr.reason);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
	ck_assert_int_eq(drafts_with("Second text."), 0);
	ck_assert_int_eq(drafts_with("Other text."), 1);
	free(id);
	free(rr.reason);
	outbox_free(ob);
	event_base_free(base);
	unsetenv("XDG_DATA_HOME");
}
END_TEST

/* Killed right after the new copy of a recalled draft is made, before
 * the old one goes: the next run removes the old one and makes the new
 * one no second time. */
START_TEST(test_outbox_draft_replaces_crash)
{
	static const char one[] = "From: Me <me@example.org>\n"
	                          "Message-ID: <one@example.org>\n"
	                          "Subject: later\n\nFirst text.\n";
	static const char two[] = "From: Me <me@example.org>\n"
	                          "Message-ID: <two@example.org>\n"
	                          "Subject: later\n\nSecond text.\n";
	struct run_result rr;
	struct outbox_entry *v;
	struct event_base *base;
	struct account a;
	struct outbox *ob;
	char *err = NULL;
	size_t n;
	pid_t pid;
	int status;

	memset(&a, 0, sizeof a);
	memset(&rr, 0, sizeof rr);
	a.name = "t";
	a.url.scheme = URL_POP3S;
	ck_assert_int_eq(setenv("XDG_DATA_HOME", dir, 1), 0);
	base = event_base_new();
	ob = outbox_open_dir(obdir, &a, &err);
	ck_assert_msg(ob != NULL, "%s", err);
	free(add_replacing(ob, one, 1, NULL));
	run_with(ob, base, &rr);
	free(add_replacing(ob, two, 1, "one@example.org"));
	outbox_free(ob);
	event_base_free(base);
	if ((pid = fork()) == 0) {
		setenv("ERRAND_OUTBOX_DIE_AT", "forget", 1);
		base = event_base_new();
		ob = outbox_open_dir(obdir, &a, &err);
		run_with(ob, base, &rr);
		_exit(0); /* not killed: the test fails */
	}
	ck_assert_int_ne(pid, -1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(drafts_with("First text."), 1);
	ck_assert_int_eq(drafts_with("Second text."), 1);
	base = event_base_new();
	ob = outbox_open_dir(obdir, &a, &err);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(v[0].appending, 0);
	ck_assert_str_eq(v[0].replaces, "one@example.org");
	outbox_entries_free(v, n);
	run_with(ob, base, &rr);
	ck_assert_int_eq(outbox_list(ob, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
	ck_assert_int_eq(drafts_with("First text."), 0);
	ck_assert_int_eq(drafts_with("Second text."), 1);
	free(rr.reason);
	outbox_free(ob);
	event_base_free(base);
	unsetenv("XDG_DATA_HOME");
}
END_TEST

/* The Drafts folder as cached, for R: the \Drafts special use before a
 * folder named Drafts, deleted messages left out, newest first. */
START_TEST(test_drafts_list)
{
	struct store_folder f = {.name = "Drafts", .raw_name = "Drafts"};
	struct store_msg m;
	struct drafts_msg *v;
	struct store *st;
	char *path, *err = NULL;
	int64_t plain, special;
	size_t n;

	xasprintf(&path, "%s/cache.db", dir);
	st = store_open(path, &err);
	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_int_eq(drafts_list(st, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(store_folder_upsert(st, &f, &plain), 0);
	f.name = "Entwürfe";
	f.raw_name = "Entw&APw-rfe";
	f.special_use = "\\Drafts";
	ck_assert_int_eq(store_folder_upsert(st, &f, &special), 0);
	memset(&m, 0, sizeof m);
	m.uid = 1;
	m.subject = "not this one";
	ck_assert_int_eq(store_msg_put(st, plain, &m), 0);
	m.subject = "old";
	m.message_id = "old@example.org";
	m.to_addr = "Bob <bob@example.org>";
	m.date = 100;
	ck_assert_int_eq(store_msg_put(st, special, &m), 0);
	m.uid = 2;
	m.subject = "new";
	m.message_id = "new@example.org";
	m.date = 200;
	ck_assert_int_eq(store_msg_put(st, special, &m), 0);
	m.uid = 3;
	m.subject = "gone";
	m.flags = STORE_FLAG_DELETED;
	ck_assert_int_eq(store_msg_put(st, special, &m), 0);
	ck_assert_int_eq(drafts_list(st, &v, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0].subject, "new");
	ck_assert_str_eq(v[0].message_id, "new@example.org");
	ck_assert_str_eq(v[0].folder, "Entwürfe");
	ck_assert_int_eq(v[0].folder_id, special);
	ck_assert_uint_eq(v[0].uid, 2);
	ck_assert_str_eq(v[1].to, "Bob <bob@example.org>");
	ck_assert_uint_eq(v[1].uid, 1);
	drafts_list_free(v, n);
	drafts_list_free(NULL, 0);
	store_close(st);
	free(path);
}
END_TEST

/* The interface's sender: nothing while offline; online, a message goes
 * when its send-delay has passed, by the sender's own timer. */
START_TEST(test_outbox_sender)
{
	struct outbox_sender_params op;
	struct session_params sp;
	struct sender_seen seen;
	struct outbox_sender *os;
	struct session *s;
	struct account a;
	char *err = NULL, *data, *cmd, *got, *id, *p;
	struct outbox_meta m = meta_default(1);
	time_t deadline;

	memset(&a, 0, sizeof a);
	memset(&seen, 0, sizeof seen);
	a.name = "t";
	a.url.scheme = URL_POP3;
	xasprintf(&data, "%s/xdg", dir);
	setenv("XDG_DATA_HOME", data, 1);
	xasprintf(&got, "%s/got", dir);
	xasprintf(&cmd, "cat >%s; :", got);
	a.sendmail_command = cmd;
	seen.base = event_base_new();
	memset(&sp, 0, sizeof sp);
	sp.base = seen.base;
	sp.a = &a;
	s = session_new(&sp);
	memset(&op, 0, sizeof op);
	op.s = s;
	op.changed = sender_changed;
	op.result = sender_result;
	op.arg = &seen;
	os = outbox_sender_new(&op, &err);
	ck_assert_msg(os != NULL, "%s", err);
	ck_assert_int_eq(outbox_sender_count(os), 0);
	p = write_file("in.eml", msg);
	ck_assert_int_eq(
	    outbox_add_file(outbox_sender_outbox(os), p, &m, &id, &err), 0);
	session_set_net(s, SESSION_NET_OFFLINE, "no network");
	outbox_sender_kick(os);
	ck_assert_int_eq(outbox_sender_count(os), 1);
	ck_assert_int_ge(seen.changed, 1);
	session_set_net(s, SESSION_NET_ONLINE, NULL);
	outbox_sender_kick(os);
	ck_assert_int_eq(access(got, F_OK), -1); /* within send-delay */
	deadline = time(NULL) + 10;
	while ((seen.sent == 0 || outbox_sender_count(os) != 0) &&
	    time(NULL) < deadline)
		event_base_loop(seen.base, EVLOOP_ONCE);
	ck_assert_int_eq(seen.sent, 1);
	ck_assert_int_eq(outbox_sender_count(os), 0);
	ck_assert_int_eq(access(got, F_OK), 0);
	outbox_sender_free(os);
	session_free(s);
	event_base_free(seen.base);
	free(id);
	free(p);
	free(cmd);
	free(got);
	free(data);
}
END_TEST

struct answered_sync {
	struct run_result rr; /* first: run_done() and run_finished() */
	struct store *st;
	int prepared; /* prepare() calls that found the chunk open */
};

/* What the interface's prepare does (backend_flush(), sync_flush()): the
 * running sync's open chunk is committed. */
static int
answered_prepare(void *arg)
{
	struct answered_sync *as = arg;

	if (!store_in_transaction(as->st))
		return 0;
	as->prepared++;
	return store_commit(as->st);
}

static int
answered_rows_cb(const struct store_journal *j, void *arg)
{
	char **acc = arg, *s;

	xasprintf(&s, "%s%s %u %s;", *acc, j->op, j->uid, j->arg);
	free(*acc);
	*acc = s;
	return 0;
}

/* A reply sent while a sync holds its chunk open (it waits for the
 * server between two commits): the \Answered row of the message answered
 * is written after prepare() committed the chunk, not inside it, so the
 * sync's rollback (cancelled, connection lost) cannot take it away. */
START_TEST(test_outbox_answered_sync)
{
	struct store_folder f = {.name = "INBOX", .raw_name = "INBOX"};
	struct store_msg m = {.subject = "s", .message_id = "orig@x"};
	struct outbox_run_params p;
	struct session_params sp;
	struct answered_sync as;
	struct event_base *base;
	struct outbox_run *run;
	struct outbox_meta meta = meta_default(0);
	struct session *s;
	struct outbox *ob;
	struct account a;
	int64_t inbox;
	char *err = NULL, *data, *cache, *path, *id = NULL, *rows;

	memset(&a, 0, sizeof a);
	memset(&as, 0, sizeof as);
	a.name = "t";
	a.url.scheme = URL_IMAPS;
	a.sendmail_command = "cat >/dev/null; :";
	xasprintf(&data, "%s/xdg", dir);
	setenv("XDG_DATA_HOME", data, 1);
	xasprintf(&cache, "%s/cache.db", dir);
	as.st = store_open(cache, &err);
	ck_assert_msg(as.st != NULL, "%s", err);
	ck_assert_msg(journal_open(as.st, "t", &err) == 0, "%s", err);
	ck_assert_int_eq(store_folder_upsert(as.st, &f, &inbox), 0);
	m.uid = 1;
	ck_assert_int_eq(store_msg_put(as.st, inbox, &m), 0);
	base = event_base_new();
	memset(&sp, 0, sizeof sp);
	sp.base = base;
	sp.a = &a;
	sp.st = as.st;
	s = session_new(&sp);
	ob = outbox_open_dir(obdir, &a, &err);
	ck_assert_msg(ob != NULL, "%s", err);
	meta.reply_folder = "INBOX";
	meta.reply_uid = 1;
	path = write_file("in.eml", msg);
	ck_assert_msg(
	    outbox_add_file(ob, path, &meta, &id, &err) == 0, "%s", err);
	/* The sync's chunk: a header stored, the commit not yet due. */
	ck_assert_int_eq(store_begin(as.st), 0);
	m.uid = 2;
	m.message_id = "new@x";
	ck_assert_int_eq(store_msg_put(as.st, inbox, &m), 0);
	memset(&p, 0, sizeof p);
	p.base = base;
	p.s = s;
	p.done = run_done;
	p.finished = run_finished;
	p.prepare = answered_prepare;
	p.arg = &as;
	p.now = 1;
	run = outbox_run_start(ob, &p);
	ck_assert_ptr_nonnull(run);
	while (!as.rr.finished)
		event_base_loop(base, EVLOOP_ONCE);
	outbox_run_free(run);
	ck_assert_msg(as.rr.state == OUTBOX_SENT, "%s", as.rr.reason);
	/* The sync is cancelled: what it holds open is rolled back. */
	if (store_in_transaction(as.st))
		store_rollback(as.st);
	rows = xstrdup("");
	ck_assert_int_eq(
	    store_journal_foreach(as.st, answered_rows_cb, &rows), 0);
	ck_assert_str_eq(rows, "flags 1 +A\t0\tINBOX;");
	free(rows);
	ck_assert_int_eq(store_msg_get(as.st, inbox, 1, &m), 0);
	ck_assert_uint_eq(m.flags & STORE_FLAG_ANSWERED, STORE_FLAG_ANSWERED);
	/* And the sync's own chunk was committed with it. */
	ck_assert_int_eq(as.prepared, 1);
	ck_assert_int_eq(store_msg_get(as.st, inbox, 2, &m), 0);
	outbox_free(ob);
	session_free(s);
	store_close(as.st);
	event_base_free(base);
	free(path);
	free(id);
	free(as.rr.reason);
	free(cache);
	free(data);
}
END_TEST

/* The journal rows of the outbox read back. */
START_TEST(test_outbox_journal_rows)
{
	struct journal_args a, b;
	struct store_journal j;
	char *s, *d;

	memset(&a, 0, sizeof a);
	a.op = JOURNAL_SEND;
	a.u.send.id = "1733-4f2a";
	s = journal_encode(&a);
	ck_assert_str_eq(s, "1733-4f2a");
	ck_assert_int_eq(journal_decode("send", s, &b, NULL), 0);
	ck_assert_str_eq(b.u.send.id, "1733-4f2a");
	journal_args_clear(&b);
	free(s);
	a.op = JOURNAL_APPEND;
	a.folder = "Sent Items";
	a.u.append.id = "1733-4f2a";
	s = journal_encode(&a);
	ck_assert_str_eq(s, "1733-4f2a\tSent Items");
	ck_assert_int_eq(journal_decode("append", s, &b, NULL), 0);
	ck_assert_str_eq(b.u.append.id, "1733-4f2a");
	ck_assert_str_eq(b.folder, "Sent Items");
	journal_args_clear(&b);
	memset(&j, 0, sizeof j);
	j.op = "append";
	j.arg = s;
	d = journal_describe(&j);
	ck_assert_str_eq(
	    d, "append of outbox message 1733-4f2a to 'Sent Items'");
	free(d);
	free(s);
	j.op = "send";
	j.arg = "1733-4f2a";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "send of outbox message 1733-4f2a");
	free(s);
	a.u.append.id = "../x";
	ck_assert_ptr_null(journal_encode(&a));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("outbox");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_outbox_add);
	tcase_add_test(tc, test_outbox_add_id);
	tcase_add_test(tc, test_outbox_add_crlf);
	tcase_add_test(tc, test_outbox_bad);
	tcase_add_test(tc, test_outbox_crash_before_dot);
	tcase_add_test(tc, test_outbox_crash_sending);
	tcase_add_test(tc, test_outbox_take_back);
	tcase_add_test(tc, test_outbox_orphan);
	tcase_add_test(tc, test_outbox_sendmail);
	tcase_add_test(tc, test_outbox_journal_rows);
	tcase_add_test(tc, test_outbox_sender);
	tcase_add_test(tc, test_outbox_answered_sync);
	tcase_add_test(tc, test_outbox_draft);
	tcase_add_test(tc, test_outbox_draft_replaces);
	tcase_add_test(tc, test_outbox_draft_replaces_crash);
	tcase_add_test(tc, test_drafts_list);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
