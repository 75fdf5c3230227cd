/* errand: a terminal mail user agent. See LICENSE.
 * The outbox: each message is ID.eml beside ID.state in the account's
 * outbox directory, both written to tmp/, fsynced and renamed in; the state
 * file opens with the message's journal row (send, or append once sent
 * while the Sent copy is owed) and every change of state is a new file
 * renamed over it. The sending run lives in outbox-send.c. */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "config.h"
#include "engine/journal.h"
#include "engine/maildir.h"
#include "engine/outbox.h"
#include "engine/outbox-private.h"
#include "content/mime.h"
#include "content/text.h"
#include "xmalloc.h"

#define OUTBOX_HEADER_MAX (1024 * 1024) /* longest header section */
#define OUTBOX_STATE_MAX (256 * 1024)   /* longest state file read */
#define OUTBOX_ORPHAN_AGE 3600          /* seconds before tmp/ leftovers go */

static const char *const outbox_state_names[] = {
    [OUTBOX_QUEUED] = "queued",
    [OUTBOX_SENDING] = "sending",
    [OUTBOX_SENT] = "sent",
    [OUTBOX_HELD] = "held",
    [OUTBOX_RETRY] = "retry",
};

static int outbox_fail(char **, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int outbox_mkdir(const char *, char **);
static int outbox_sync_dir(const char *, char **);
static int outbox_write_all(int, const void *, size_t);
static char *outbox_one_line(const char *);
static void outbox_recover(struct outbox *);
static void outbox_clean_tmp(struct outbox *);
static void outbox_clean_orphans(struct outbox *);
static void outbox_add_rcpts(const char *, char ***, size_t *, int);
static char *outbox_msgid(const char *);
static char *outbox_date(time_t);
static int outbox_valid_id(const char *);
static void outbox_take_bcc(const struct outbox_entry *, char **);

const char *
outbox_state_name(enum outbox_state s)
{
	if ((size_t)s >=
	    sizeof outbox_state_names / sizeof outbox_state_names[0])
		return "unknown";
	return outbox_state_names[s];
}

static int
outbox_fail(char **err, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		xvasprintf(err, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
outbox_mkdir(const char *path, char **err)
{
	char *p, *s;

	s = xstrdup(path);
	for (p = s + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(s, 0700) == -1 && errno != EEXIST) {
			outbox_fail(
			    err, "cannot make '%s': %s", s, strerror(errno));
			free(s);
			return -1;
		}
		*p = '/';
	}
	free(s);
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return outbox_fail(
		    err, "cannot make '%s': %s", path, strerror(errno));
	return 0;
}

static int
outbox_sync_dir(const char *dir, char **err)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return outbox_fail(
		    err, "cannot open '%s': %s", dir, strerror(errno));
	if (fsync(fd) == -1) {
		outbox_fail(err, "cannot sync '%s': %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
outbox_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* s on one line: CR, LF and tabs become spaces (a state file's values). */
static char *
outbox_one_line(const char *s)
{
	char *t, *p;

	t = xstrdup(s != NULL ? s : "");
	for (p = t; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	return t;
}

void
outbox_die_at(const char *step)
{
	const char *at = getenv("ERRAND_OUTBOX_DIE_AT");

	/* A test's hook: the process ends here as a kill -9 would end it. */
	if (at != NULL && strcmp(at, step) == 0)
		raise(SIGKILL);
}

struct outbox *
outbox_open_dir(const char *dir, const struct account *a, char **err)
{
	struct outbox *ob;
	char *tmp;

	*err = NULL;
	xasprintf(&tmp, "%s/tmp", dir);
	if (outbox_mkdir(tmp, err) != 0) {
		free(tmp);
		return NULL;
	}
	ob = xcalloc(1, sizeof *ob);
	ob->dir = xstrdup(dir);
	ob->tmp = tmp;
	ob->a = a;
	ob->lockfd = ob->sendfd = -1;
	mime_init();
	outbox_recover(ob);
	outbox_clean_tmp(ob);
	outbox_clean_orphans(ob);
	return ob;
}

struct outbox *
outbox_open(const struct account *a, char **err)
{
	struct outbox *ob;
	char *root, *dir;

	*err = NULL;
	if ((root = maildir_default_path(a->name)) == NULL) {
		*err = xstrdup("neither XDG_DATA_HOME nor HOME is set");
		return NULL;
	}
	xasprintf(&dir, "%s/outbox", root);
	free(root);
	ob = outbox_open_dir(dir, a, err);
	free(dir);
	return ob;
}

void
outbox_free(struct outbox *ob)
{
	if (ob == NULL)
		return;
	if (ob->lockfd != -1)
		close(ob->lockfd);
	if (ob->sendfd != -1)
		close(ob->sendfd);
	free(ob->dir);
	free(ob->tmp);
	free(ob);
}

const char *
outbox_dir(const struct outbox *ob)
{
	return ob->dir;
}

/* The short lock around every change of state, so that two processes
 * (the interface and errand outbox) never both act on one message. */
int
outbox_lock(struct outbox *ob, char **err)
{
	char *path;

	if (ob->lockfd == -1) {
		xasprintf(&path, "%s/lock", ob->dir);
		ob->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (ob->lockfd == -1) {
			outbox_fail(
			    err, "cannot open '%s': %s", path, strerror(errno));
			free(path);
			return -1;
		}
		free(path);
	}
	while (flock(ob->lockfd, LOCK_EX) == -1)
		if (errno != EINTR)
			return outbox_fail(
			    err, "cannot lock the outbox: %s", strerror(errno));
	return 0;
}

void
outbox_unlock(struct outbox *ob)
{
	if (ob->lockfd != -1)
		flock(ob->lockfd, LOCK_UN);
}

/* The lock a sending run holds from start to end: 0 taken, 1 another
 * process sends, -1 with *err. */
int
outbox_lock_send(struct outbox *ob, char **err)
{
	char *path;

	if (ob->sendfd == -1) {
		xasprintf(&path, "%s/send.lock", ob->dir);
		ob->sendfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (ob->sendfd == -1) {
			outbox_fail(
			    err, "cannot open '%s': %s", path, strerror(errno));
			free(path);
			return -1;
		}
		free(path);
	}
	if (flock(ob->sendfd, LOCK_EX | LOCK_NB) == -1)
		return errno == EWOULDBLOCK
		    ? 1
		    : outbox_fail(
		          err, "cannot lock the outbox: %s", strerror(errno));
	return 0;
}

void
outbox_unlock_send(struct outbox *ob)
{
	if (ob->sendfd != -1)
		flock(ob->sendfd, LOCK_UN);
}

/* Nobody sends: a message left in state sending never reached its final
 * "." (RFC 5321: the server takes a message only with its reply to the
 * ".") and is queued again. One left in state dot went to the server (or
 * to sendmail-command) and nobody knows whether it arrived: it is held,
 * never resent by itself. */
static void
outbox_recover(struct outbox *ob)
{
	struct outbox_entry *v;
	size_t n, i;
	char *err = NULL;

	if (outbox_lock_send(ob, &err) != 0) {
		free(err);
		return;
	}
	if (outbox_lock(ob, &err) != 0) {
		free(err);
		outbox_unlock_send(ob);
		return;
	}
	if (outbox_list(ob, &v, &n, &err) == 0) {
		for (i = 0; i < n; i++) {
			if (v[i].state != OUTBOX_SENDING)
				continue;
			free(v[i].reason);
			v[i].reason = NULL;
			if (!v[i].dot)
				v[i].state = OUTBOX_QUEUED;
			else {
				v[i].state = OUTBOX_HELD;
				v[i].uncertain = 1;
				xasprintf(&v[i].reason,
				    "may have been sent: check Sent and use "
				    "errand outbox --retry %s",
				    v[i].id);
			}
			v[i].dot = 0;
			if (outbox_state_write(ob, &v[i], &err) != 0) {
				free(err);
				err = NULL;
			}
		}
		outbox_entries_free(v, n);
	}
	free(err);
	outbox_unlock(ob);
	outbox_unlock_send(ob);
}

/* tmp/ files an hour old are what a crash in outbox_add() left. */
static void
outbox_clean_tmp(struct outbox *ob)
{
	struct dirent *de;
	struct stat sb;
	DIR *d;
	char *p;
	time_t now = time(NULL);

	if ((d = opendir(ob->tmp)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		/* A message taken back is the caller's to remove. */
		if (de->d_name[0] == '.' ||
		    strstr(de->d_name, ".taken.") != NULL)
			continue;
		xasprintf(&p, "%s/%s", ob->tmp, de->d_name);
		if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_mtime + OUTBOX_ORPHAN_AGE < now)
			unlink(p);
		free(p);
	}
	closedir(d);
}

/* An ID.eml without its ID.state, an hour old, is garbage: a crash in
 * outbox_add() between renaming the message in and writing its state
 * (the message was never queued: the caller still has it, the interface's
 * draft is offered again at the next start), or in outbox_remove()
 * between the two unlinks (the message was sent, discarded or taken
 * back). The age keeps an outbox_add() under way in another process. */
static void
outbox_clean_orphans(struct outbox *ob)
{
	struct dirent *de;
	struct stat sb;
	DIR *d;
	char *id, *eml, *state;
	size_t len;
	time_t now = time(NULL);
	int removed = 0;

	if ((d = opendir(ob->dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 4 || strcmp(de->d_name + len - 4, ".eml") != 0)
			continue;
		id = xstrndup(de->d_name, len - 4);
		if (!outbox_valid_id(id)) {
			free(id);
			continue;
		}
		eml = outbox_file(ob, id, "eml");
		state = outbox_file(ob, id, "state");
		if (lstat(state, &sb) == -1 && errno == ENOENT &&
		    lstat(eml, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_mtime + OUTBOX_ORPHAN_AGE < now && unlink(eml) == 0)
			removed = 1;
		free(id);
		free(eml);
		free(state);
	}
	closedir(d);
	if (removed) {
		char *err = NULL;

		outbox_sync_dir(ob->dir, &err);
		free(err);
	}
}

static int
outbox_valid_id(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n < 64 &&
	    strspn(id, "0123456789abcdefghijklmnopqrstuvwxyz-") == n;
}

char *
outbox_id_new(void)
{
	unsigned char r[4];
	char *s;

	if (getentropy(r, sizeof r) != 0) {
		r[0] = (unsigned char)getpid();
		r[1] = (unsigned char)(getpid() >> 8);
		r[2] = (unsigned char)clock();
		r[3] = (unsigned char)(time(NULL) >> 3);
	}
	xasprintf(&s, "%lld-%02x%02x%02x%02x", (long long)time(NULL), r[0],
	    r[1], r[2], r[3]);
	return s;
}

int
outbox_has(struct outbox *ob, const char *id)
{
	struct stat sb;
	char *p;
	int rc;

	if (!outbox_valid_id(id))
		return 0;
	p = outbox_file(ob, id, "state");
	rc = stat(p, &sb) == 0;
	free(p);
	return rc;
}

char *
outbox_file(const struct outbox *ob, const char *id, const char *ext)
{
	char *s;

	xasprintf(&s, "%s/%s.%s", ob->dir, id, ext);
	return s;
}

/* --- the state file ------------------------------------------------------ */

int
outbox_state_write(struct outbox *ob, const struct outbox_entry *e, char **err)
{
	struct journal_args ja;
	char *row, *tmp, *dst, *s = NULL, *t, *v;
	size_t i;
	int fd, rc = -1;

	memset(&ja, 0, sizeof ja);
	if (e->state == OUTBOX_SENT && e->appending) {
		ja.op = JOURNAL_APPEND;
		ja.folder = (char *)(e->sent_folder != NULL ? e->sent_folder
		        : e->draft                          ? "Drafts"
		                                            : "Sent");
		ja.u.append.id = e->id;
	} else {
		ja.op = JOURNAL_SEND;
		ja.u.send.id = e->id;
	}
	if ((row = journal_encode(&ja)) == NULL)
		return outbox_fail(err, "cannot record message %s", e->id);
	xasprintf(&s,
	    "journal %s\t%s\nstate %s\ncreated %lld\nnot-before %lld\n"
	    "tries %d\nsave-sent %d\nappending %d\nuncertain %d\n"
	    "append-tried %d\nreply-uid %u\n",
	    journal_op_name(ja.op), row,
	    e->state == OUTBOX_SENDING && e->dot ? "dot"
	                                         : outbox_state_name(e->state),
	    (long long)e->created, (long long)e->not_before, e->tries,
	    e->save_sent, e->appending, e->uncertain, e->append_tried,
	    e->reply_uid);
	free(row);
#define OUTBOX_KV(k, val)                                                      \
	do {                                                                   \
		v = outbox_one_line(val);                                      \
		t = s;                                                         \
		xasprintf(&s, "%s%s %s\n", t, k, v);                           \
		free(t);                                                       \
		free(v);                                                       \
	} while (0)
	OUTBOX_KV("from", e->from);
	for (i = 0; i < e->nrcpt; i++)
		OUTBOX_KV("rcpt", e->rcpts[i]);
	OUTBOX_KV("subject", e->subject);
	OUTBOX_KV("message-id", e->message_id);
	if (e->reply_folder != NULL)
		OUTBOX_KV("reply-folder", e->reply_folder);
	if (e->sent_folder != NULL)
		OUTBOX_KV("sent-folder", e->sent_folder);
	if (e->in_reply_to != NULL)
		OUTBOX_KV("in-reply-to", e->in_reply_to);
	if (e->draft)
		OUTBOX_KV("draft", "1");
	if (e->replaces != NULL)
		OUTBOX_KV("replaces", e->replaces);
	if (e->reason != NULL)
		OUTBOX_KV("reason", e->reason);
#undef OUTBOX_KV
	xasprintf(&tmp, "%s/%s.state", ob->tmp, e->id);
	dst = outbox_file(ob, e->id, "state");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		outbox_fail(err, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (outbox_write_all(fd, s, strlen(s)) != 0 || fsync(fd) != 0) {
		outbox_fail(err, "cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, dst) == -1) {
		outbox_fail(
		    err, "cannot rename '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = outbox_sync_dir(ob->dir, err);
out:
	free(s);
	free(tmp);
	free(dst);
	return rc;
}

static int
outbox_state_parse(const char *id, char *buf, struct outbox_entry *e)
{
	char *line, *next, *v;
	size_t i;
	int have = 0;

	memset(e, 0, sizeof *e);
	e->id = xstrdup(id);
	e->save_sent = 1;
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((v = strchr(line, ' ')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(line, "state") == 0) {
			for (i = 0; i < sizeof outbox_state_names /
			         sizeof outbox_state_names[0];
			     i++)
				if (strcmp(v, outbox_state_names[i]) == 0) {
					e->state = (enum outbox_state)i;
					have = 1;
				}
			if (strcmp(v, "dot") == 0) {
				e->state = OUTBOX_SENDING;
				e->dot = 1;
				have = 1;
			}
		} else if (strcmp(line, "created") == 0)
			e->created = (time_t)strtoll(v, NULL, 10);
		else if (strcmp(line, "not-before") == 0)
			e->not_before = (time_t)strtoll(v, NULL, 10);
		else if (strcmp(line, "tries") == 0)
			e->tries = (int)strtol(v, NULL, 10);
		else if (strcmp(line, "save-sent") == 0)
			e->save_sent = strcmp(v, "0") != 0;
		else if (strcmp(line, "appending") == 0)
			e->appending = strcmp(v, "0") != 0;
		else if (strcmp(line, "uncertain") == 0)
			e->uncertain = strcmp(v, "0") != 0;
		else if (strcmp(line, "append-tried") == 0)
			e->append_tried = strcmp(v, "0") != 0;
		else if (strcmp(line, "reply-uid") == 0)
			e->reply_uid = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(line, "from") == 0) {
			free(e->from);
			e->from = xstrdup(v);
		} else if (strcmp(line, "rcpt") == 0) {
			e->rcpts = xreallocarray(
			    e->rcpts, e->nrcpt + 1, sizeof *e->rcpts);
			e->rcpts[e->nrcpt++] = xstrdup(v);
		} else if (strcmp(line, "subject") == 0) {
			free(e->subject);
			e->subject = xstrdup(v);
		} else if (strcmp(line, "message-id") == 0) {
			free(e->message_id);
			e->message_id = xstrdup(v);
		} else if (strcmp(line, "reply-folder") == 0) {
			free(e->reply_folder);
			e->reply_folder = xstrdup(v);
		} else if (strcmp(line, "in-reply-to") == 0) {
			free(e->in_reply_to);
			e->in_reply_to = xstrdup(v);
		} else if (strcmp(line, "sent-folder") == 0) {
			free(e->sent_folder);
			e->sent_folder = xstrdup(v);
		} else if (strcmp(line, "draft") == 0)
			e->draft = strcmp(v, "0") != 0;
		else if (strcmp(line, "replaces") == 0) {
			free(e->replaces);
			e->replaces = *v != '\0' ? xstrdup(v) : NULL;
		} else if (strcmp(line, "reason") == 0) {
			free(e->reason);
			e->reason = xstrdup(v);
		}
	}
	if (e->from == NULL)
		e->from = xstrdup("");
	if (e->subject == NULL)
		e->subject = xstrdup("");
	if (e->message_id == NULL)
		e->message_id = xstrdup("");
	if (!have ||
	    (e->nrcpt == 0 && !(e->draft && e->state == OUTBOX_SENT))) {
		/* Never sent as it is: the user decides. */
		e->state = OUTBOX_HELD;
		free(e->reason);
		e->reason = xstrdup("its state file cannot be read");
	}
	return 0;
}

int
outbox_read(
    struct outbox *ob, const char *id, struct outbox_entry *e, char **err)
{
	char *path, *buf;
	ssize_t n;
	size_t len = 0;
	int fd;

	path = outbox_file(ob, id, "state");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			outbox_fail(err, "no message %s in the outbox", id);
		else
			outbox_fail(
			    err, "cannot read '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	buf = xmalloc(OUTBOX_STATE_MAX + 1);
	while (len < OUTBOX_STATE_MAX) {
		n = read(fd, buf + len, OUTBOX_STATE_MAX - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	outbox_state_parse(id, buf, e);
	e->path = outbox_file(ob, id, "eml");
	free(buf);
	free(path);
	return 0;
}

static int
outbox_entry_cmp(const void *a, const void *b)
{
	const struct outbox_entry *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

int
outbox_list(struct outbox *ob, struct outbox_entry **v, size_t *n, char **err)
{
	struct dirent *de;
	DIR *d;
	char *id;
	size_t len;

	*v = NULL;
	*n = 0;
	if ((d = opendir(ob->dir)) == NULL)
		return outbox_fail(
		    err, "cannot read '%s': %s", ob->dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 6 || strcmp(de->d_name + len - 6, ".state") != 0)
			continue;
		id = xstrndup(de->d_name, len - 6);
		if (outbox_valid_id(id)) {
			*v = xreallocarray(*v, *n + 1, sizeof **v);
			if (outbox_read(ob, id, &(*v)[*n], NULL) == 0)
				(*n)++;
		}
		free(id);
	}
	closedir(d);
	if (*n > 1)
		qsort(*v, *n, sizeof **v, outbox_entry_cmp);
	return 0;
}

void
outbox_entry_clear(struct outbox_entry *e)
{
	size_t i;

	free(e->id);
	free(e->reason);
	free(e->from);
	for (i = 0; i < e->nrcpt; i++)
		free(e->rcpts[i]);
	free(e->rcpts);
	free(e->subject);
	free(e->message_id);
	free(e->reply_folder);
	free(e->sent_folder);
	free(e->in_reply_to);
	free(e->replaces);
	free(e->path);
	memset(e, 0, sizeof *e);
}

void
outbox_entries_free(struct outbox_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		outbox_entry_clear(&v[i]);
	free(v);
}

int
outbox_count(const struct account *a)
{
	struct outbox_entry *v;
	struct outbox *ob;
	size_t n, i;
	char *err = NULL;
	int c = 0;

	if ((ob = outbox_open(a, &err)) == NULL) {
		free(err);
		return 0;
	}
	if (outbox_list(ob, &v, &n, &err) == 0) {
		for (i = 0; i < n; i++)
			c += v[i].state != OUTBOX_SENT;
		outbox_entries_free(v, n);
	}
	free(err);
	outbox_free(ob);
	return c;
}

/* Remove a message's files: the state first (then it is gone from the
 * list), the message after. */
int
outbox_remove(struct outbox *ob, const char *id, char **err)
{
	char *p;

	p = outbox_file(ob, id, "state");
	if (unlink(p) == -1 && errno != ENOENT) {
		outbox_fail(err, "cannot remove '%s': %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	p = outbox_file(ob, id, "eml");
	unlink(p);
	free(p);
	return outbox_sync_dir(ob->dir, err);
}

/* --- adding -------------------------------------------------------------- */

/* Append addr to *v unless it is there (case aside). */
static void
outbox_rcpt_push(char ***v, size_t *n, const char *addr)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcasecmp((*v)[i], addr) == 0)
			return;
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = xstrdup(addr);
}

/* Append the addr-specs of an address list value to *v, each once. */
static void
outbox_add_rcpts(const char *value, char ***v, size_t *n, int first_only)
{
	InternetAddressList *l, *m;
	InternetAddress *ia;
	const char *addr;
	int i, j, len, mlen;

	if ((l = internet_address_list_parse(NULL, value)) == NULL)
		return;
	len = internet_address_list_length(l);
	for (i = 0; i < len; i++) {
		ia = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			m = internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia));
			mlen = m != NULL ? internet_address_list_length(m) : 0;
			for (j = 0; j < mlen; j++) {
				InternetAddress *x =
				    internet_address_list_get_address(m, j);
				if (!INTERNET_ADDRESS_IS_MAILBOX(x))
					continue;
				addr = internet_address_mailbox_get_addr(
				    INTERNET_ADDRESS_MAILBOX(x));
				if (addr == NULL || *addr == '\0')
					continue;
				outbox_rcpt_push(v, n, addr);
			}
			continue;
		}
		addr = internet_address_mailbox_get_addr(
		    INTERNET_ADDRESS_MAILBOX(ia));
		if (addr == NULL || *addr == '\0')
			continue;
		outbox_rcpt_push(v, n, addr);
		if (first_only)
			break;
	}
	g_object_unref(l);
}

/* A Message-ID for a message from from: <TIME.RANDOM@DOMAIN>. */
static char *
outbox_msgid(const char *from)
{
	const char *at = from != NULL ? strrchr(from, '@') : NULL;
	unsigned char r[8];
	char *s;
	size_t i;
	char hex[17];

	if (getentropy(r, sizeof r) != 0)
		memset(r, 0x5a, sizeof r);
	for (i = 0; i < sizeof r; i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	xasprintf(&s, "%lld.%s@%s", (long long)time(NULL), hex,
	    at != NULL && at[1] != '\0' ? at + 1 : "errand.invalid");
	return s;
}

/* An RFC 5322 date, in English whatever the locale. */
static char *
outbox_date(time_t t)
{
	static const char *const days[] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	long off;
	char *s;

	localtime_r(&t, &tm);
	off = tm.tm_gmtoff / 60;
	xasprintf(&s, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    labs(off) / 60, labs(off) % 60);
	return s;
}

/* The header fields this module reads. */
struct outbox_fields {
	char *from, *to, *cc, *bcc, *subject, *msgid, *date, *irt;
};

static void
outbox_fields_clear(struct outbox_fields *f)
{
	free(f->from);
	free(f->to);
	free(f->cc);
	free(f->bcc);
	free(f->subject);
	free(f->msgid);
	free(f->date);
	free(f->irt);
	memset(f, 0, sizeof *f);
}

/* Join another field of the same name (To twice) with ", ". */
static void
outbox_field_keep(char **slot, const char *v, size_t len, int join)
{
	char *t;

	if (*slot == NULL) {
		*slot = xstrndup(v, len);
		return;
	}
	if (!join)
		return;
	t = *slot;
	xasprintf(slot, "%s, %.*s", t, (int)len, v);
	free(t);
}

/* Walk the header section hdr (len bytes, up to and without the empty
 * line): read the fields of f, and write every field but Bcc to out
 * (when not NULL). */
static void
outbox_fields_read(const char *hdr, size_t len, struct outbox_fields *f,
    char **out, size_t *outlen)
{
	const char *p = hdr, *end = hdr + len, *eol, *colon, *fend;
	char *un;
	size_t nlen, i, j;
	int skip;

	while (p < end) {
		/* One field: its first line and every continuation line. */
		fend = p;
		do {
			eol = memchr(fend, '\n', (size_t)(end - fend));
			fend = eol != NULL ? eol + 1 : end;
		} while (fend < end && (*fend == ' ' || *fend == '\t'));
		colon = memchr(p, ':', (size_t)(fend - p));
		skip = 0;
		if (colon != NULL) {
			nlen = (size_t)(colon - p);
			while (nlen > 0 &&
			    (p[nlen - 1] == ' ' || p[nlen - 1] == '\t'))
				nlen--;
			/* The value unfolded. */
			un = xstrndup(colon + 1, (size_t)(fend - colon - 1));
			for (i = j = 0; un[i] != '\0'; i++)
				if (un[i] != '\r' && un[i] != '\n')
					un[j++] = un[i];
			un[j] = '\0';
#define OUTBOX_IS(name)                                                        \
	(nlen == strlen(name) && strncasecmp(p, name, nlen) == 0)
			if (OUTBOX_IS("From"))
				outbox_field_keep(&f->from, un, j, 0);
			else if (OUTBOX_IS("To"))
				outbox_field_keep(&f->to, un, j, 1);
			else if (OUTBOX_IS("Cc"))
				outbox_field_keep(&f->cc, un, j, 1);
			else if (OUTBOX_IS("Bcc")) {
				outbox_field_keep(&f->bcc, un, j, 1);
				skip = 1;
			} else if (OUTBOX_IS("Subject"))
				outbox_field_keep(&f->subject, un, j, 0);
			else if (OUTBOX_IS("Message-ID"))
				outbox_field_keep(&f->msgid, un, j, 0);
			else if (OUTBOX_IS("Date"))
				outbox_field_keep(&f->date, un, j, 0);
			else if (OUTBOX_IS("In-Reply-To"))
				outbox_field_keep(&f->irt, un, j, 0);
#undef OUTBOX_IS
			free(un);
		}
		if (!skip && out != NULL) {
			*out = xreallocarray(
			    *out, *outlen + (size_t)(fend - p) + 1, 1);
			memcpy(*out + *outlen, p, (size_t)(fend - p));
			*outlen += (size_t)(fend - p);
		}
		p = fend;
	}
}

/* The msg-id in v without <> and blanks, or NULL. */
static char *
outbox_strip_msgid(const char *v)
{
	const char *p, *q;

	if (v == NULL)
		return NULL;
	if ((p = strchr(v, '<')) != NULL && (q = strchr(p, '>')) != NULL &&
	    q > p + 1)
		return xstrndup(p + 1, (size_t)(q - p - 1));
	p = v + strspn(v, " \t");
	q = p + strcspn(p, " \t");
	return q > p ? xstrndup(p, (size_t)(q - p)) : NULL;
}

int
outbox_add(struct outbox *ob, int fd, const struct outbox_meta *meta, char **id,
    char **err)
{
	struct outbox_fields f;
	struct outbox_entry e;
	char *hdr = NULL, *out = NULL, *tmp = NULL, *dst = NULL, *t;
	char *sep, *lf, buf[65536];
	size_t hlen = 0, outlen = 0, body = 0, i;
	ssize_t n;
	int wfd = -1, rc = -1, eof = 0, crlf = 0, delay, save;

	*id = NULL;
	*err = NULL;
	memset(&f, 0, sizeof f);
	memset(&e, 0, sizeof e);
	/* The header section, up to its empty line. */
	for (;;) {
		lf = memmem(hdr != NULL ? hdr : "", hlen, "\n\n", 2);
		sep = memmem(hdr != NULL ? hdr : "", hlen, "\n\r\n", 3);
		if (sep != NULL && (lf == NULL || sep < lf)) {
			body = (size_t)(sep - hdr) + 1;
			crlf = 1;
			break;
		}
		if (lf != NULL) {
			body = (size_t)(lf - hdr) + 1;
			break;
		}
		if (eof) {
			body = hlen;
			break;
		}
		if (hlen >= OUTBOX_HEADER_MAX) {
			outbox_fail(err,
			    "cannot queue the message: its header is over "
			    "%d bytes",
			    OUTBOX_HEADER_MAX);
			goto out;
		}
		hdr = xreallocarray(hdr, hlen + sizeof buf, 1);
		n = read(fd, hdr + hlen, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			outbox_fail(err, "cannot read the message: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			eof = 1;
		hlen += (size_t)n;
	}
	if (hlen == 0) {
		outbox_fail(err, "cannot queue an empty message");
		goto out;
	}
	outbox_fields_read(hdr, body, &f, &out, &outlen);
	if (f.from == NULL && meta->from == NULL &&
	    (ob->a == NULL || ob->a->from == NULL)) {
		outbox_fail(err,
		    "cannot queue the message: it has no From "
		    "and the account no from =");
		goto out;
	}
	/* The envelope. */
	if (meta->from != NULL)
		e.from = xstrdup(meta->from);
	else {
		char **v = NULL;
		size_t nv = 0;

		outbox_add_rcpts(
		    f.from != NULL ? f.from : ob->a->from, &v, &nv, 1);
		e.from = nv > 0 ? v[0] : xstrdup("");
		for (i = 1; i < nv; i++)
			free(v[i]);
		free(v);
	}
	if (meta->rcpts != NULL) {
		for (i = 0; i < meta->nrcpt; i++) {
			e.rcpts = xreallocarray(
			    e.rcpts, e.nrcpt + 1, sizeof *e.rcpts);
			e.rcpts[e.nrcpt++] = xstrdup(meta->rcpts[i]);
		}
	} else {
		if (f.to != NULL)
			outbox_add_rcpts(f.to, &e.rcpts, &e.nrcpt, 0);
		if (f.cc != NULL)
			outbox_add_rcpts(f.cc, &e.rcpts, &e.nrcpt, 0);
		if (f.bcc != NULL)
			outbox_add_rcpts(f.bcc, &e.rcpts, &e.nrcpt, 0);
	}
	if (e.nrcpt == 0 && !meta->draft) {
		outbox_fail(err,
		    "cannot queue the message: no recipients "
		    "(no address in To, Cc or Bcc)");
		goto out;
	}
	/* What the server will want: a Date and a Message-ID. */
	if (f.date == NULL) {
		t = outbox_date(time(NULL));
		xasprintf(&sep, "Date: %s%s", t, crlf ? "\r\n" : "\n");
		free(t);
		out = xreallocarray(out, outlen + strlen(sep) + 1, 1);
		memmove(out + strlen(sep), out, outlen);
		memcpy(out, sep, strlen(sep));
		outlen += strlen(sep);
		free(sep);
	}
	if ((e.message_id = outbox_strip_msgid(f.msgid)) == NULL) {
		e.message_id = outbox_msgid(e.from);
		xasprintf(&sep, "Message-ID: <%s>%s", e.message_id,
		    crlf ? "\r\n" : "\n");
		out = xreallocarray(out, outlen + strlen(sep) + 1, 1);
		memmove(out + strlen(sep), out, outlen);
		memcpy(out, sep, strlen(sep));
		outlen += strlen(sep);
		free(sep);
	}
	if (meta->subject != NULL)
		e.subject = xstrdup(meta->subject);
	else
		e.subject = f.subject != NULL
		    ? mime_decode_words(f.subject, strlen(f.subject), NULL)
		    : xstrdup("");
	if (meta->id != NULL) {
		if (!outbox_valid_id(meta->id) || outbox_has(ob, meta->id)) {
			outbox_fail(err,
			    "cannot queue the message: '%s' is taken in the "
			    "outbox",
			    meta->id);
			goto out;
		}
		e.id = xstrdup(meta->id);
	} else
		e.id = outbox_id_new();
	e.created = time(NULL);
	delay = meta->delay >= 0 ? meta->delay
	                         : (ob->a != NULL ? ob->a->send_delay : 0);
	save = meta->save_sent >= 0 ? meta->save_sent
	                            : (ob->a != NULL ? ob->a->save_sent : 1);
	e.not_before = e.created + delay;
	e.save_sent = save;
	e.state = OUTBOX_QUEUED;
	if (meta->draft) {
		/* Postponed: nothing to send, only the copy in Drafts. */
		e.draft = 1;
		e.state = OUTBOX_SENT;
		e.save_sent = e.appending = 1;
		e.not_before = e.created;
	}
	e.in_reply_to = outbox_strip_msgid(f.irt);
	if (meta->replaces != NULL)
		e.replaces = outbox_strip_msgid(meta->replaces);
	if (meta->reply_folder != NULL && meta->reply_uid != 0) {
		e.reply_folder = xstrdup(meta->reply_folder);
		e.reply_uid = meta->reply_uid;
	}
	/* The message: tmp/, fsynced, renamed in; then its state. */
	xasprintf(&tmp, "%s/%s.eml", ob->tmp, e.id);
	dst = outbox_file(ob, e.id, "eml");
	wfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (wfd == -1) {
		outbox_fail(err, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (outbox_write_all(wfd, out, outlen) != 0 ||
	    outbox_write_all(wfd, hdr + body, hlen - body) != 0)
		goto write_err;
	while (!eof) {
		n = read(fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			outbox_fail(err, "cannot read the message: %s",
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (outbox_write_all(wfd, buf, (size_t)n) != 0)
			goto write_err;
	}
	if (fsync(wfd) != 0)
		goto write_err;
	close(wfd);
	wfd = -1;
	if (rename(tmp, dst) == -1) {
		outbox_fail(
		    err, "cannot rename '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	if (outbox_state_write(ob, &e, err) != 0) {
		unlink(dst);
		goto out;
	}
	outbox_die_at("queued");
	*id = xstrdup(e.id);
	rc = 0;
	goto out;
write_err:
	outbox_fail(err, "cannot write '%s': %s", tmp, strerror(errno));
fail:
	if (wfd != -1)
		close(wfd);
	wfd = -1;
	unlink(tmp);
out:
	if (wfd != -1)
		close(wfd);
	outbox_fields_clear(&f);
	outbox_entry_clear(&e);
	free(hdr);
	free(out);
	free(tmp);
	free(dst);
	return rc;
}

int
outbox_add_file(struct outbox *ob, const char *path,
    const struct outbox_meta *meta, char **id, char **err)
{
	int fd, rc;

	*id = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return outbox_fail(
		    err, "cannot read '%s': %s", path, strerror(errno));
	rc = outbox_add(ob, fd, meta, id, err);
	close(fd);
	return rc;
}

/* --- the user's decisions ------------------------------------------------ */

/* The recipients of e that are in no To or Cc of its message: its Bcc. */
static void
outbox_take_bcc(const struct outbox_entry *e, char **bcc)
{
	struct outbox_fields f;
	char **v = NULL, buf[65536], *t;
	size_t nv = 0, i, j, len = 0;
	ssize_t n;
	int fd, seen;

	*bcc = NULL;
	if ((fd = open(e->path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	while (len < sizeof buf - 1 &&
	    (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	if ((t = strstr(buf, "\n\n")) != NULL ||
	    (t = strstr(buf, "\n\r\n")) != NULL)
		len = (size_t)(t - buf) + 1;
	memset(&f, 0, sizeof f);
	outbox_fields_read(buf, len, &f, NULL, NULL);
	if (f.to != NULL)
		outbox_add_rcpts(f.to, &v, &nv, 0);
	if (f.cc != NULL)
		outbox_add_rcpts(f.cc, &v, &nv, 0);
	for (i = 0; i < e->nrcpt; i++) {
		for (seen = 0, j = 0; j < nv && !seen; j++)
			seen = strcasecmp(v[j], e->rcpts[i]) == 0;
		if (seen)
			continue;
		t = *bcc;
		xasprintf(bcc, "%s%s%s", t != NULL ? t : "",
		    t != NULL ? ", " : "", e->rcpts[i]);
		free(t);
	}
	for (j = 0; j < nv; j++)
		free(v[j]);
	free(v);
	outbox_fields_clear(&f);
}

int
outbox_take_back(
    struct outbox *ob, const char *id, char **path, char **bcc, char **err)
{
	struct outbox_entry e;
	char *dst;
	int rc = -1;

	*path = NULL;
	if (bcc != NULL)
		*bcc = NULL;
	if (!outbox_valid_id(id))
		return outbox_fail(err, "no message %s in the outbox", id);
	if (outbox_lock(ob, err) != 0)
		return -1;
	if (outbox_read(ob, id, &e, err) != 0)
		goto out_unlock;
	if (e.state == OUTBOX_SENDING || e.state == OUTBOX_SENT) {
		outbox_fail(err, "message %s is %s: too late to take it back",
		    id, e.state == OUTBOX_SENT ? "sent" : "being sent");
		rc = 1;
		goto out;
	}
	if (bcc != NULL)
		outbox_take_bcc(&e, bcc);
	xasprintf(&dst, "%s/%s.taken.eml", ob->tmp, id);
	if (rename(e.path, dst) == -1) {
		outbox_fail(
		    err, "cannot take back '%s': %s", e.path, strerror(errno));
		free(dst);
		goto out;
	}
	if (outbox_remove(ob, id, err) != 0) {
		free(dst);
		goto out;
	}
	*path = dst;
	rc = 0;
out:
	outbox_entry_clear(&e);
out_unlock:
	outbox_unlock(ob);
	return rc;
}

int
outbox_discard(struct outbox *ob, const char *id, char **err)
{
	struct outbox_entry e;
	int rc = -1;

	if (!outbox_valid_id(id))
		return outbox_fail(err, "no message %s in the outbox", id);
	if (outbox_lock(ob, err) != 0)
		return -1;
	if (outbox_read(ob, id, &e, err) != 0)
		goto out_unlock;
	if (e.state == OUTBOX_SENDING)
		outbox_fail(err, "message %s is being sent", id);
	else
		rc = outbox_remove(ob, id, err);
	outbox_entry_clear(&e);
out_unlock:
	outbox_unlock(ob);
	return rc;
}

int
outbox_retry(struct outbox *ob, const char *id, char **err)
{
	struct outbox_entry e;
	int rc = -1;

	if (!outbox_valid_id(id))
		return outbox_fail(err, "no message %s in the outbox", id);
	if (outbox_lock(ob, err) != 0)
		return -1;
	if (outbox_read(ob, id, &e, err) != 0)
		goto out_unlock;
	if (e.state == OUTBOX_SENDING || e.state == OUTBOX_SENT)
		outbox_fail(err, "message %s is %s", id,
		    e.state == OUTBOX_SENT ? "sent" : "being sent");
	else {
		e.state = OUTBOX_QUEUED;
		e.not_before = 0;
		e.uncertain = 0;
		free(e.reason);
		e.reason = NULL;
		rc = outbox_state_write(ob, &e, err);
	}
	outbox_entry_clear(&e);
out_unlock:
	outbox_unlock(ob);
	return rc;
}

time_t
outbox_next_due(struct outbox *ob)
{
	struct outbox_entry *v;
	size_t n, i;
	time_t t = 0;

	if (outbox_list(ob, &v, &n, NULL) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((v[i].state == OUTBOX_QUEUED ||
		        v[i].state == OUTBOX_RETRY) &&
		    (t == 0 || v[i].not_before < t))
			t = v[i].not_before > 0 ? v[i].not_before : 1;
	outbox_entries_free(v, n);
	return t;
}
