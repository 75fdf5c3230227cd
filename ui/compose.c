/* errand: a terminal mail user agent. See LICENSE.
 * Writing mail, as mutt: the To and Subject prompts with address
 * completion, the editor on a draft file that survives a crash, the compose
 * screen (headers, attachments, send, postpone, abort), recalling drafts,
 * and the outbox the message is queued into and sent from. */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <curses.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmd/cmd.h"
#include "config.h"
#include "content/compose.h"
#include "content/text.h"
#include "engine/addrbook.h"
#include "engine/backend.h"
#include "engine/drafts.h"
#include "engine/outbox.h"
#include "engine/session.h"
#include "private.h"
#include "xmalloc.h"

#define UI_COMPOSE_BODY_MAX (25 * 1024 * 1024)  /* an original read */
#define UI_COMPOSE_MATCHES 50                   /* addresses offered */
#define UI_COMPOSE_MATCH_ROWS 8                 /* of them shown at once */
#define UI_COMPOSE_REPLY_FIELD "X-Errand-Reply" /* "UID FOLDER" */

/* In a draft file: the Message-ID of its copy in Drafts, "<MSGID>". */
#define UI_COMPOSE_COPY_FIELD "X-Errand-Drafts-Copy"

/* A draft being queued names its outbox message; q waits so long. */
#define UI_COMPOSE_QUEUED_FIELD "X-Errand-Queued"
#define UI_SENT_LEFT_AGE 3600 /* seconds before a .eml.sent left goes */
#define UI_QUEUE_QUIT_MS 30000

/* Where the prompts of a new message stand. */
enum ui_compose_step {
	UI_STEP_TO,      /* asking To, then Subject (new) or the editor */
	UI_STEP_SUBJECT, /* asking Subject, then the editor */
	UI_STEP_SCREEN,  /* the compose screen */
};

/* The message being written. */
struct ui_compose {
	struct draft d;
	char *path;  /* the draft file */
	char *lock;  /* beside it: locked while this errand writes it */
	int lock_fd; /* -1 when not held */
	char *bad;   /* the file as edited cannot be read: why */
	size_t sel;  /* the selected attachment */
	int forward; /* a forward: asks To only */
	enum ui_compose_step step;
	enum keymap_screen from; /* where to go back to */
	struct compose_reply_info info;
};

/* A message being built and queued by a thread (y). */
struct ui_queue {
	struct ui *ui;
	struct ui_compose *c; /* the message: the thread's until it ends */
	struct outbox *ob;    /* queued into (the loop keeps it alive) */
	char *dir;            /* the drafts: built in a file unlinked there */
	const char *from;     /* the account's from, text-flowed and */
	int text_flowed;      /* send-delay, as at y */
	int delay;
	char *id;     /* its name in the outbox, said in the draft */
	char *folder; /* the message answered, or NULL */
	uint32_t uid;
	int rc; /* the thread's result: 0, or -1 with err */
	char *err;
	int pipe[2];      /* the thread writes a byte when done */
	struct event *ev; /* on pipe[0] */
	pthread_t thread;
	int threaded; /* 0: built on the loop (no thread to be had) */
	struct ui_queue *next;
};

/* What stays between messages. */
struct ui_writing {
	char *dir; /* the account's drafts, or NULL (why: dir_err) */
	char *dir_err;
	struct addrbook *ab;
	/* The matches of the last Tab, cycled through by the next ones. */
	char **matches;
	size_t nmatches, imatch;
	size_t mstart; /* where the completed word starts in the prompt */
	int cycling;   /* Tab again shows the next match */
	char *note;    /* "no address matches 'x'" above the prompt */
	/* The outbox and its sending in the background. */
	struct outbox_sender *sender;
	char *sender_err;
	char status[48];
	struct ui_queue *queue; /* the messages queuing (y), newest first */
	int quitting;           /* ui_compose_free() waits for them */
	/* The last message sent, while send-delay lets U take it back. */
	char *sent_id;
	struct draft sent_d;
	char *sent_path; /* its draft, kept */
	time_t sent_until;
	/* Drafts being offered for resuming, one question each. */
	char **resume;
	size_t nresume, iresume;
	int recalling; /* R asked, not the start */
	/* Then (R) the messages of the Drafts folder that are no draft's
	 * copy here: postponed on another device; iresume goes on past
	 * nresume through them. */
	struct drafts_msg *rdrafts;
	size_t nrdrafts;
	/* r g L f on a message not cached: done once the pager has it. */
	enum keymap_action pending;
	uint32_t pending_uid;
};

static struct ui_writing *ui_writing(struct ui *);
static char *ui_drafts_dir(const struct account *, char **);
static int ui_compose_lock(struct ui_compose *, char **);
static struct ui_compose *ui_compose_new(struct ui *, const char *path);
static void ui_compose_drop(struct ui *, int);
static int ui_compose_save(struct ui *);
static void ui_compose_edit(struct ui *);
static int ui_compose_editor(struct ui *, const char *, char **);
static int ui_compose_original(
    struct ui *, enum keymap_action, void **, size_t *, uint32_t *);
static void ui_compose_reply(struct ui *, enum compose_reply_kind);
static void ui_compose_forward(struct ui *);
static void ui_compose_send(struct ui *);
static int ui_queue_start(struct ui *, struct ui_queue *);
static void *ui_queue_main(void *);
static void ui_queue_work(struct ui_queue *);
static void ui_queue_on_done(evutil_socket_t, short, void *);
static void ui_queue_end(struct ui *, struct ui_queue *);
static void ui_queue_release(struct ui_writing *, struct ui_compose *, int);
static void ui_compose_write_quiet(struct ui_compose *);
static void ui_extra_set(char **, const char *, const char *);
static int ui_queue_left(struct ui *, const char *, const char *);
static void ui_sent_left(struct ui *, const char *);
static int ui_queue_finish(struct ui *);
static void ui_compose_postpone(struct ui *);
static char *ui_compose_copy(const struct draft *);
static void ui_compose_copy_set(struct draft *, const char *);
static void ui_compose_signature(struct ui *, struct ui_compose *);
static void ui_compose_set(char **, const char *);
static void ui_compose_reprompt(
    struct ui *, enum ui_prompt, const char *, char *);
static int ui_compose_busy(struct ui *);
static void ui_sent_forget(struct ui *);
static struct outbox *ui_outbox(struct ui *, char **);
static void ui_outbox_changed(void *);
static void ui_outbox_done(const struct outbox_result *, void *);
static void ui_outbox_wake(void *);
static int ui_outbox_prepare(void *);
static void ui_resume_scan(struct ui *, int);
static void ui_resume_offer(struct ui *);
static void ui_resume_clear(struct ui_writing *);
static void ui_resume_drafts(struct ui *);
static void ui_resume_server(struct ui *, const struct drafts_msg *);
static void ui_matches_free(struct ui_writing *);
static void ui_complete_put(struct ui *, const char *);
static void ui_complete_path(struct ui *);
static char *ui_expand_path(const char *);

static struct ui_writing *
ui_writing(struct ui *ui)
{
	if (ui->writing == NULL) {
		ui->writing = xcalloc(1, sizeof *ui->writing);
		compose_draft_init(&ui->writing->sent_d);
	}
	return ui->writing;
}

/* $XDG_STATE_HOME/errand/drafts/ACCOUNT (~/.local/state without it),
 * made 0700; the caller's, or NULL with *err (the caller's). */
static char *
ui_drafts_dir(const struct account *a, char **err)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *base, *p, *dir;

	if (xdg != NULL && xdg[0] == '/')
		xasprintf(&base, "%s/errand/drafts", xdg);
	else if (home != NULL && home[0] == '/')
		xasprintf(&base, "%s/.local/state/errand/drafts", home);
	else {
		*err = xstrdup("neither XDG_STATE_HOME nor HOME is set");
		return NULL;
	}
	xasprintf(&dir, "%s/%s", base, a->name);
	free(base);
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			xasprintf(
			    err, "cannot make '%s': %s", dir, strerror(errno));
			free(dir);
			return NULL;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		xasprintf(err, "cannot make '%s': %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

/* Hold the draft's lock file: a second errand, and the next start after a
 * crash, tell a draft being written from one left behind by it. */
static int
ui_compose_lock(struct ui_compose *c, char **err)
{
	char pid[32];
	int fd;

	if ((fd = open(c->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		xasprintf(
		    err, "cannot open '%s': %s", c->lock, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		xasprintf(
		    err, "the draft '%s' is open in another errand", c->path);
		close(fd);
		return -1;
	}
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && write(fd, pid, strlen(pid)) < 0) {
		/* only for people looking: the lock is what counts */
	}
	c->lock_fd = fd;
	return 0;
}

/* A message being written in the draft file path (NULL: a new one in the
 * drafts), its lock held; NULL after saying why. */
static struct ui_compose *
ui_compose_new(struct ui *ui, const char *path)
{
	struct ui_writing *w = ui_writing(ui);
	struct ui_compose *c;
	static unsigned int seq;
	char stamp[32], *err;
	time_t now = time(NULL);

	if (w->dir == NULL && w->dir_err == NULL)
		w->dir = ui_drafts_dir(ui->a, &w->dir_err);
	if (w->dir == NULL) {
		ui_message(ui, 1, "cannot write: %s", w->dir_err);
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	compose_draft_init(&c->d);
	c->lock_fd = -1;
	c->from = ui->screen == KEYMAP_PAGER ? KEYMAP_PAGER : KEYMAP_INDEX;
	if (path != NULL)
		c->path = xstrdup(path);
	else {
		strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
		xasprintf(&c->path, "%s/%s-%ld-%u.eml", w->dir, stamp,
		    (long)getpid(), seq++);
	}
	xasprintf(&c->lock, "%.*s.lock", (int)(strlen(c->path) - 4), c->path);
	if (ui_compose_lock(c, &err) != 0) {
		ui_message(ui, 1, "%s", err);
		free(err);
		free(c->path);
		free(c->lock);
		free(c);
		return NULL;
	}
	return c;
}

/* Forget the message being written: with remove, its draft (and the
 * forwarded files) too; else the draft stays, postponed. */
static void
ui_compose_drop(struct ui *ui, int remove)
{
	struct ui_compose *c = ui->compose;

	if (c == NULL)
		return;
	if (remove) {
		unlink(c->path);
		compose_cleanup(&c->d, ui->writing->dir);
	}
	if (c->lock_fd != -1) {
		unlink(c->lock);
		close(c->lock_fd);
	}
	ui_show(ui,
	    c->from == KEYMAP_PAGER && ui->doc != NULL ? KEYMAP_PAGER
	                                               : KEYMAP_INDEX);
	compose_draft_free(&c->d);
	compose_reply_info_free(&c->info);
	free(c->path);
	free(c->lock);
	free(c->bad);
	free(c);
	ui->compose = NULL;
}

/* Write the draft file; 0, or -1 after saying why. */
static int
ui_compose_save(struct ui *ui)
{
	char *err;

	if (compose_draft_write(&ui->compose->d, ui->compose->path, &err) !=
	    0) {
		ui_message(ui, 1, "%s", err);
		free(err);
		return -1;
	}
	return 0;
}

/* The draft file was edited into something that cannot be read: the file
 * is what counts until it is fixed; 1 after saying so. */
static int
ui_compose_busy(struct ui *ui)
{
	if (ui->compose->bad == NULL)
		return 0;
	ui_message(ui, 1, "%s (e: edit it)", ui->compose->bad);
	return 1;
}

static void
ui_compose_set(char **field, const char *value)
{
	free(*field);
	*field = value != NULL && value[0] != '\0' ? xstrdup(value) : NULL;
}

/* Append the account's signature to a new draft's body. */
static void
ui_compose_signature(struct ui *ui, struct ui_compose *c)
{
	char *err;

	if (ui->a->signature == NULL)
		return;
	if (c->d.body == NULL)
		c->d.body = xstrdup("");
	if (compose_add_signature(&c->d.body, ui->a->signature, &err) != 0) {
		ui_message(ui, 1, "%s", err);
		free(err);
	}
}

/* Run the editor on path with the terminal handed over: 0, or -1 with
 * *err (the caller's). */
static int
ui_compose_editor(struct ui *ui, const char *path, char **err)
{
	struct sigaction ign, oint, oquit;
	const char *ed = getenv("VISUAL");
	char *q, *cmd;
	size_t i, j;
	pid_t pid;
	int status;

	if (ed == NULL || ed[0] == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || ed[0] == '\0')
		ed = "vi";
	/* The file name in single quotes, each quote in it as '\'' . */
	q = xmalloc(strlen(path) * 4 + 3);
	j = 0;
	q[j++] = '\'';
	for (i = 0; path[i] != '\0'; i++) {
		if (path[i] == '\'') {
			memcpy(q + j, "'\\''", 4);
			j += 4;
		} else
			q[j++] = path[i];
	}
	q[j++] = '\'';
	q[j] = '\0';
	xasprintf(&cmd, "%s %s", ed, q);
	free(q);

	def_prog_mode();
	endwin();
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	if ((pid = fork()) == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		closefrom(3);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	status = 0;
	if (pid != -1) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			continue;
	}
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	reset_prog_mode();
	refresh();
	ui_relayout(ui); /* the terminal may have been resized meanwhile */
	if (pid == -1) {
		xasprintf(
		    err, "cannot run the editor '%s': %s", ed, strerror(errno));
		free(cmd);
		return -1;
	}
	free(cmd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status))
			xasprintf(err,
			    "the editor '%s' exited with status %d: the draft "
			    "is kept",
			    ed, WEXITSTATUS(status));
		else
			xasprintf(err,
			    "the editor '%s' was killed by signal %d: the "
			    "draft is kept",
			    ed, WTERMSIG(status));
		return -1;
	}
	return 0;
}

/* Write the draft, run the editor on it, read it back and show the
 * compose screen. */
static void
ui_compose_edit(struct ui *ui)
{
	struct ui_compose *c = ui->compose;
	struct draft nd;
	char *err;

	if (c->bad == NULL && ui_compose_save(ui) != 0)
		return;
	c->step = UI_STEP_SCREEN;
	ui_show(ui, KEYMAP_COMPOSE);
	if (ui_compose_editor(ui, c->path, &err) != 0) {
		ui_message(ui, 1, "%s", err);
		free(err);
	}
	if (compose_draft_read(c->path, &nd, &err) != 0) {
		compose_draft_free(&nd);
		free(c->bad);
		c->bad = err;
		ui_message(ui, 1, "%s (e: edit it)", err);
		return;
	}
	free(c->bad);
	c->bad = NULL;
	compose_draft_free(&c->d);
	c->d = nd;
	if (c->sel >= c->d.nattach)
		c->sel = c->d.nattach > 0 ? c->d.nattach - 1 : 0;
	ui_dirty(ui);
}

/* The raw message the key is about (the pager's, or the index's
 * current one): 0 with it in *raw (the caller's), or -1 after saying
 * why. */
static int
ui_compose_original(
    struct ui *ui, enum keymap_action a, void **raw, size_t *len, uint32_t *uid)
{
	struct ui_writing *w = ui_writing(ui);
	const struct config *cf = ui->ctx->cf;
	char *err;
	int rc;

	*raw = NULL;
	if (ui->screen == KEYMAP_PAGER)
		*uid = ui->puid;
	else if (ui->model != NULL && ui->cur < model_count(ui->model))
		*uid = model_msg(ui->model, ui->cur)->uid;
	else {
		ui_message(ui, 1, "no message");
		return -1;
	}
	rc = ui->be->ops->body(ui->be, ui->folder, ui->folder_id, *uid,
	    cf->body_max != 0 ? cf->body_max : UI_COMPOSE_BODY_MAX, raw, len,
	    &err);
	if (rc < 0) {
		ui_message(ui, 1, "%s", err);
		free(err);
		return -1;
	}
	if (rc > 0 && ui->screen == KEYMAP_INDEX) {
		/* As mutt: the message is fetched (in the pager, where it
		 * can be read meanwhile), then the reply is written. */
		ui_pager_open(ui, *uid);
		if (ui->pstate == UI_PAGER_LOADING) {
			w->pending = a;
			w->pending_uid = *uid;
			ui_message(ui, 0, "fetching the message first");
			return -1;
		}
	}
	if (rc > 0) {
		ui_message(ui, 1,
		    "the message is not cached: it cannot be "
		    "quoted or forwarded offline");
		return -1;
	}
	return 0;
}

static void
ui_compose_reply(struct ui *ui, enum compose_reply_kind kind)
{
	struct compose_ident id;
	struct ui_compose *c;
	void *raw;
	size_t len;
	uint32_t uid;
	char *err, *extra;

	if (ui_compose_original(ui,
	        kind == COMPOSE_REPLY       ? KEYMAP_REPLY
	            : kind == COMPOSE_GROUP ? KEYMAP_GROUP_REPLY
	                                    : KEYMAP_LIST_REPLY,
	        &raw, &len, &uid) != 0)
		return;
	if ((c = ui_compose_new(ui, NULL)) == NULL) {
		free(raw);
		return;
	}
	memset(&id, 0, sizeof id);
	id.from = ui->a->from;
	id.alternates = (const char *const *)ui->a->alternates;
	if (compose_reply(raw, len, kind, &id, ui->a->attribution, &c->d,
	        &c->info, &err) != 0) {
		free(raw);
		ui->compose = c;
		ui_compose_drop(ui, 1);
		ui_message(ui, 1, "%s", err);
		free(err);
		return;
	}
	free(raw);
	if (c->d.from == NULL && ui->a->from != NULL)
		c->d.from = xstrdup(ui->a->from);
	/* Which message to mark answered once this is sent; kept in the
	 * draft so that a recalled reply still marks it. */
	xasprintf(&extra, "%s%s: %u %s\n", c->d.extra != NULL ? c->d.extra : "",
	    UI_COMPOSE_REPLY_FIELD, uid, ui->folder);
	free(c->d.extra);
	c->d.extra = extra;
	ui_compose_signature(ui, c);
	ui->compose = c;
	if (c->info.reply_to_differs) {
		char *to = text_clean_line(c->d.to != NULL ? c->d.to : "");

		ui_message(ui, 0, "Reply to %s? (y/n)", to);
		free(to);
		ui->prompt = UI_PROMPT_REPLY_TO;
		return;
	}
	ui_compose_edit(ui);
}

static void
ui_compose_forward(struct ui *ui)
{
	struct ui_compose *c;
	void *raw;
	size_t len;
	uint32_t uid;
	char *err;

	if (ui_compose_original(ui, KEYMAP_FORWARD, &raw, &len, &uid) != 0)
		return;
	if ((c = ui_compose_new(ui, NULL)) == NULL) {
		free(raw);
		return;
	}
	ui->compose = c;
	if (compose_forward(raw, len, ui->a->forward_as_attachment,
	        ui->writing->dir, &c->d, &err) != 0) {
		free(raw);
		ui_compose_drop(ui, 1);
		ui_message(ui, 1, "%s", err);
		free(err);
		return;
	}
	free(raw);
	if (c->d.from == NULL && ui->a->from != NULL)
		c->d.from = xstrdup(ui->a->from);
	ui_compose_signature(ui, c);
	c->forward = 1;
	c->step = UI_STEP_TO;
	ui_prompt_begin(ui, UI_PROMPT_TO, "");
}

void
ui_compose_fetched(struct ui *ui, int ok)
{
	struct ui_writing *w = ui->writing;
	enum keymap_action a;

	if (w == NULL || w->pending == KEYMAP_NONE)
		return;
	a = w->pending;
	w->pending = KEYMAP_NONE;
	if (!ok || ui->screen != KEYMAP_PAGER || ui->puid != w->pending_uid)
		return;
	ui_compose_key_start(ui, a);
}

int
ui_compose_key_start(struct ui *ui, enum keymap_action a)
{
	struct ui_compose *c;

	switch (a) {
	case KEYMAP_MAIL:
	case KEYMAP_REPLY:
	case KEYMAP_GROUP_REPLY:
	case KEYMAP_LIST_REPLY:
	case KEYMAP_FORWARD:
	case KEYMAP_RECALL:
		break;
	default:
		return 0;
	}
	if (ui->compose != NULL) {
		ui_show(ui, KEYMAP_COMPOSE); /* one message at a time */
		ui_message(ui, 0, "a message is being written");
		return 1;
	}
	switch (a) {
	case KEYMAP_MAIL:
		if ((c = ui_compose_new(ui, NULL)) == NULL)
			return 1;
		if (ui->a->from != NULL)
			c->d.from = xstrdup(ui->a->from);
		ui_compose_signature(ui, c);
		ui->compose = c;
		c->step = UI_STEP_TO;
		ui_prompt_begin(ui, UI_PROMPT_TO, "");
		break;
	case KEYMAP_REPLY:
		ui_compose_reply(ui, COMPOSE_REPLY);
		break;
	case KEYMAP_GROUP_REPLY:
		ui_compose_reply(ui, COMPOSE_GROUP);
		break;
	case KEYMAP_LIST_REPLY:
		ui_compose_reply(ui, COMPOSE_LIST);
		break;
	case KEYMAP_FORWARD:
		ui_compose_forward(ui);
		break;
	default:
		ui_resume_scan(ui, 1);
		break;
	}
	return 1;
}

const char *
ui_compose_label(struct ui *ui, enum ui_prompt p)
{
	(void)ui;
	switch (p) {
	case UI_PROMPT_TO:
		return "To: ";
	case UI_PROMPT_CC:
		return "Cc: ";
	case UI_PROMPT_BCC:
		return "Bcc: ";
	case UI_PROMPT_SUBJECT:
		return "Subject: ";
	case UI_PROMPT_ATTACH:
		return "Attach file: ";
	default:
		return "";
	}
}

/* The same prompt again with what was typed, and why above it: nothing
 * typed is lost. Takes err. */
static void
ui_compose_reprompt(
    struct ui *ui, enum ui_prompt p, const char *text, char *err)
{
	struct ui_writing *w = ui_writing(ui);
	char *keep = xstrdup(text);

	ui_prompt_begin(ui, p, keep);
	free(keep);
	ui_matches_free(w);
	w->note = err;
}

void
ui_compose_prompted(
    struct ui *ui, enum ui_prompt p, const char *text, int cancelled)
{
	struct ui_compose *c = ui->compose;
	char *err, *path;

	if (c == NULL)
		return;
	if (c->step != UI_STEP_SCREEN) {
		/* The prompts of a new message or forward. */
		if (cancelled || (p == UI_PROMPT_TO && text[0] == '\0')) {
			ui_compose_drop(ui, 1);
			ui_message(ui, 0,
			    cancelled ? "not written"
			              : "no recipients: not "
			                "written");
			return;
		}
		if (p == UI_PROMPT_TO) {
			if (compose_addresses_check(text, &err) != 0) {
				ui_compose_reprompt(ui, p, text, err);
				return;
			}
			ui_compose_set(&c->d.to, text);
			if (!c->forward) {
				c->step = UI_STEP_SUBJECT;
				ui_prompt_begin(ui, UI_PROMPT_SUBJECT,
				    c->d.subject != NULL ? c->d.subject : "");
				return;
			}
		} else if (p == UI_PROMPT_SUBJECT)
			ui_compose_set(&c->d.subject, text);
		ui_compose_edit(ui);
		return;
	}
	if (cancelled)
		return;
	switch (p) {
	case UI_PROMPT_TO:
	case UI_PROMPT_CC:
	case UI_PROMPT_BCC:
		if (text[0] != '\0' &&
		    compose_addresses_check(text, &err) != 0) {
			ui_compose_reprompt(ui, p, text, err);
			return;
		}
		ui_compose_set(p == UI_PROMPT_TO ? &c->d.to
		        : p == UI_PROMPT_CC      ? &c->d.cc
		                                 : &c->d.bcc,
		    text);
		break;
	case UI_PROMPT_SUBJECT:
		ui_compose_set(&c->d.subject, text);
		break;
	case UI_PROMPT_ATTACH:
		if (text[0] == '\0')
			return;
		path = ui_expand_path(text);
		if (compose_attachment_check(path, &err) != 0) {
			ui_message(ui, 1, "%s", err);
			free(err);
			free(path);
			return;
		}
		compose_draft_attach(&c->d, path, NULL, NULL);
		c->sel = c->d.nattach - 1;
		free(path);
		break;
	default:
		return;
	}
	ui_compose_save(ui);
}

void
ui_compose_answer(struct ui *ui, enum ui_prompt p, int key)
{
	struct ui_writing *w = ui_writing(ui);
	struct ui_compose *c = ui->compose;
	int yes = key == 'y' || key == 'Y';

	free(ui->msg);
	ui->msg = NULL;
	switch (p) {
	case UI_PROMPT_REPLY_TO:
		if (c == NULL)
			return;
		if (key == 0x07 || key == 0x1b) {
			ui_compose_drop(ui, 1);
			ui_message(ui, 0, "not written");
			return;
		}
		if (!yes) {
			/* To the author (From) instead. */
			ui_compose_set(&c->d.to, c->info.alt_to);
			ui_compose_set(&c->d.cc, c->info.alt_cc);
		}
		ui_compose_edit(ui);
		return;
	case UI_PROMPT_ABORT:
		if (c == NULL)
			return;
		if (yes) {
			/* Its copy in Drafts (an earlier P) is left there. */
			char *copy = ui_compose_copy(&c->d);

			ui_compose_drop(ui, 1);
			ui_message(ui, 0,
			    "message aborted: the draft is removed%s",
			    copy != NULL ? " (its copy in Drafts stays)" : "");
			free(copy);
		}
		return;
	case UI_PROMPT_RESUME:
		if (w->iresume >= w->nresume + w->nrdrafts)
			return;
		if (yes && ui->compose == NULL && w->iresume >= w->nresume) {
			ui_resume_server(
			    ui, &w->rdrafts[w->iresume - w->nresume]);
			ui_resume_clear(w);
			return;
		}
		if (yes && ui->compose == NULL) {
			struct ui_compose *nc;
			char *err;

			if ((nc = ui_compose_new(ui, w->resume[w->iresume])) ==
			    NULL)
				return;
			ui->compose = nc;
			if (compose_draft_read(nc->path, &nc->d, &err) != 0) {
				nc->bad = err;
				ui_message(ui, 1, "%s (e: edit it)", err);
			}
			nc->step = UI_STEP_SCREEN;
			ui_show(ui, KEYMAP_COMPOSE);
			ui_resume_clear(w);
			return;
		}
		if (key == 0x07 || key == 0x1b) {
			ui_resume_clear(w);
			return;
		}
		/* Not now: a draft left by a crash is postponed (R). */
		if (w->iresume < w->nresume) {
			char *lock, *path = w->resume[w->iresume];

			xasprintf(
			    &lock, "%.*s.lock", (int)(strlen(path) - 4), path);
			unlink(lock);
			free(lock);
		}
		w->iresume++;
		ui_resume_offer(ui);
		return;
	default:
		return;
	}
}

/* --- send: built and queued off the loop --------------------------------- */

/*
 * y hands the message to a thread that builds it (GMime, base64 of the
 * attachments) and writes it into the outbox (fsync, rename), so that the
 * index is back at once whatever the attachments weigh. The draft names
 * the outbox message it becomes (UI_COMPOSE_QUEUED_FIELD, written first)
 * and is removed only once that message is in the outbox: after a crash, a draft whose message is there goes (it is sent
 * once, from the outbox), one whose message is not is offered again.
 */
static void
ui_compose_send(struct ui *ui)
{
	struct ui_writing *w = ui->writing;
	struct ui_compose *c = ui->compose;
	struct ui_queue *q;
	struct outbox *ob;
	const char *fields[3] = {c->d.to, c->d.cc, c->d.bcc}, *r;
	char *err, *subject;
	unsigned long uid = 0;
	int i, any = 0;

	if (ui_compose_busy(ui))
		return;
	for (i = 0; i < 3; i++) {
		if (fields[i] == NULL || fields[i][0] == '\0')
			continue;
		if (compose_addresses_check(fields[i], &err) != 0) {
			ui_message(ui, 1, "%s", err);
			free(err);
			return;
		}
		any = 1;
	}
	if (!any) {
		ui_message(ui, 1, "no recipients (t: To)");
		return;
	}
	if (ui->a->smtp == NULL && ui->a->sendmail_command == NULL) {
		ui_message(ui, 1,
		    "cannot send: account '%s' has neither smtp nor "
		    "sendmail-command",
		    ui->a->name);
		return;
	}
	if ((ob = ui_outbox(ui, &err)) == NULL) {
		ui_message(ui, 1, "cannot send: %s", err);
		return;
	}
	q = xcalloc(1, sizeof *q);
	q->ui = ui;
	q->c = c;
	q->ob = ob;
	q->dir = xstrdup(w->dir);
	q->id = outbox_id_new();
	q->from = ui->a->from;
	q->text_flowed = ui->a->text_flowed;
	q->delay = ui->a->send_delay;
	q->pipe[0] = q->pipe[1] = -1;
	if (c->d.extra != NULL &&
	    (r = strstr(c->d.extra, UI_COMPOSE_REPLY_FIELD ": ")) != NULL) {
		char *end;
		size_t n;

		r += strlen(UI_COMPOSE_REPLY_FIELD ": ");
		uid = strtoul(r, &end, 10);
		if (*end == ' ' && uid > 0 && uid <= UINT32_MAX) {
			n = strcspn(end + 1, "\n");
			q->folder = xstrndup(end + 1, n);
			q->uid = (uint32_t)uid;
		}
	}
	q->next = w->queue;
	w->queue = q;

	/* Back where the message was started, the message the thread's. */
	ui->compose = NULL;
	ui_show(ui,
	    c->from == KEYMAP_PAGER && ui->doc != NULL ? KEYMAP_PAGER
	                                               : KEYMAP_INDEX);
	subject = text_clean_line(c->d.subject != NULL ? c->d.subject : "");
	ui_message(ui, 0, "queuing '%s'", subject);
	free(subject);
	if (ui_queue_start(ui, q) != 0) {
		/* No thread: built here, as before. */
		ui_queue_work(q);
		ui_queue_end(ui, q);
	}
	ui_dirty(ui);
}

/* Start q's thread, its end signalled on a pipe the loop watches; -1 when
 * a thread cannot be had. */
static int
ui_queue_start(struct ui *ui, struct ui_queue *q)
{
	sigset_t all, old;
	int rc;

	if (pipe(q->pipe) != 0)
		return -1;
	fcntl(q->pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(q->pipe[1], F_SETFD, FD_CLOEXEC);
	q->ev =
	    event_new(ui->ctx->base, q->pipe[0], EV_READ, ui_queue_on_done, q);
	event_add(q->ev, NULL);
	/* Signals stay the loop's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&q->thread, NULL, ui_queue_main, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		event_free(q->ev);
		q->ev = NULL;
		close(q->pipe[0]);
		close(q->pipe[1]);
		q->pipe[0] = q->pipe[1] = -1;
		return -1;
	}
	q->threaded = 1;
	return 0;
}

static void *
ui_queue_main(void *arg)
{
	struct ui_queue *q = arg;

	ui_queue_work(q);
	while (write(q->pipe[1], "", 1) == -1 && errno == EINTR)
		;
	return NULL;
}

/* The thread's work: the draft written with the message's outbox id,
 * the message built into an unlinked file among the drafts, then queued.
 * Touches only q (the message is q's while this runs) and the outbox's
 * directory. */
static void
ui_queue_work(struct ui_queue *q)
{
	struct compose_opts opts;
	struct compose_envelope env;
	struct outbox_meta meta;
	const char *hold = getenv("ERRAND_QUEUE_HOLD");
	char *tmp, *id, *copy;
	int fd, n;

	/* A test's hook: wait (up to a minute) until the file hold names
	 * exists, so that a test sees the queuing state for certain. */
	for (n = 0; hold != NULL && n < 6000 && access(hold, F_OK) != 0; n++)
		poll(NULL, 0, 10);

	/* The draft says which message it becomes, durably, first. */
	ui_extra_set(&q->c->d.extra, UI_COMPOSE_QUEUED_FIELD, q->id);
	if (compose_draft_write(&q->c->d, q->c->path, &q->err) != 0) {
		q->rc = -1;
		return;
	}
	xasprintf(&tmp, "%s/send-XXXXXX", q->dir);
	if ((fd = mkstemp(tmp)) == -1) {
		xasprintf(
		    &q->err, "cannot make '%s': %s", tmp, strerror(errno));
		free(tmp);
		q->rc = -1;
		return;
	}
	unlink(tmp);
	free(tmp);
	memset(&opts, 0, sizeof opts);
	opts.from = q->from;
	opts.text_flowed = q->text_flowed;
	memset(&env, 0, sizeof env);
	if (compose_build(&q->c->d, &opts, fd, &env, &q->err) != 0) {
		close(fd);
		compose_envelope_free(&env);
		q->rc = -1;
		return;
	}
	memset(&meta, 0, sizeof meta);
	meta.from = env.from;
	meta.rcpts = (const char *const *)env.rcpt;
	meta.nrcpt = env.nrcpt;
	meta.save_sent = -1;
	meta.delay = q->delay;
	meta.id = q->id;
	meta.subject = q->c->d.subject != NULL ? q->c->d.subject : "";
	meta.reply_folder = q->folder;
	meta.reply_uid = q->uid;
	/* The draft's copy in Drafts (a recalled draft's) goes once the
	 * message is sent. */
	meta.replaces = copy = ui_compose_copy(&q->c->d);
	if (lseek(fd, 0, SEEK_SET) == -1) {
		xasprintf(
		    &q->err, "cannot read the message: %s", strerror(errno));
		q->rc = -1;
	} else if (outbox_add(q->ob, fd, &meta, &id, &q->err) != 0)
		q->rc = -1;
	else
		free(id);
	close(fd);
	compose_envelope_free(&env);
	free(copy);
}

static void
ui_queue_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct ui_queue *q = arg;

	(void)fd;
	(void)what;
	ui_queue_end(q->ui, q);
}

/* q's thread is done (or ending): the draft goes now that the message is
 * in the outbox, or comes back with why it could not be queued. */
static void
ui_queue_end(struct ui *ui, struct ui_queue *q)
{
	struct ui_writing *w = ui->writing;
	struct ui_compose *c = q->c;
	struct ui_queue **pq;
	char *subject;

	if (q->threaded)
		pthread_join(q->thread, NULL);
	for (pq = &w->queue; *pq != NULL; pq = &(*pq)->next)
		if (*pq == q) {
			*pq = q->next;
			break;
		}
	if (q->ev != NULL)
		event_free(q->ev);
	if (q->pipe[0] != -1) {
		close(q->pipe[0]);
		close(q->pipe[1]);
	}
	if (q->rc != 0) {
		/* Not queued: the draft stays, as it was before y. */
		ui_extra_set(&c->d.extra, UI_COMPOSE_QUEUED_FIELD, NULL);
		if (c->bad == NULL)
			ui_compose_write_quiet(c);
		if (ui->compose == NULL && ui->prompt == UI_PROMPT_NONE &&
		    !w->quitting) {
			ui->compose = c;
			c->step = UI_STEP_SCREEN;
			ui_show(ui, KEYMAP_COMPOSE);
			ui_message(ui, 1, "not sent: %s", q->err);
		} else {
			subject = text_clean_line(
			    c->d.subject != NULL ? c->d.subject : "");
			if (w->quitting)
				cmd_error("'%s' not sent, kept as a draft: %s",
				    subject, q->err);
			else
				ui_message(ui, 1,
				    "'%s' not sent, kept as a draft (R): %s",
				    subject, q->err);
			free(subject);
			ui_queue_release(w, c, 0);
		}
		goto out;
	}

	/* Queued: the draft is done with, but within send-delay U takes it
	 * back, so it is kept until then. */
	ui_sent_forget(ui);
	if (q->delay > 0) {
		xasprintf(&w->sent_path, "%s.sent", c->path);
		if (rename(c->path, w->sent_path) != 0) {
			free(w->sent_path);
			w->sent_path = NULL;
		}
		w->sent_id = q->id;
		q->id = NULL;
		w->sent_d = c->d;
		compose_draft_init(&c->d);
		w->sent_until = time(NULL) + q->delay;
		ui_message(
		    ui, 0, "queued: sent in %d s (U: take it back)", q->delay);
	} else
		ui_message(ui, 0, "queued for sending");
	ui_queue_release(w, c, 1);
	if (!w->quitting)
		ui_compose_kick(ui); /* (quitting: sent at the next start) */
out:
	free(q->dir);
	free(q->id);
	free(q->folder);
	free(q->err);
	free(q);
	ui_dirty(ui);
}

/* Let a message that was queuing go: with remove its draft (and the
 * forwarded files), else the draft stays postponed (R). As
 * ui_compose_drop(), for a message not on the screen. */
static void
ui_queue_release(struct ui_writing *w, struct ui_compose *c, int remove)
{
	if (remove) {
		unlink(c->path);
		compose_cleanup(&c->d, w->dir);
	}
	if (c->lock_fd != -1) {
		unlink(c->lock);
		close(c->lock_fd);
	}
	compose_draft_free(&c->d);
	compose_reply_info_free(&c->info);
	free(c->path);
	free(c->lock);
	free(c->bad);
	free(c);
}

/* Write the draft back, quietly: the file as last written stays when it
 * cannot be. */
static void
ui_compose_write_quiet(struct ui_compose *c)
{
	char *err;

	if (compose_draft_write(&c->d, c->path, &err) != 0)
		free(err);
}

/* Set the field name of a draft's other header lines to value, or remove
 * it (value NULL). */
static void
ui_extra_set(char **extra, const char *name, const char *value)
{
	char *s = *extra, *out = NULL, *t;
	size_t nlen = strlen(name), len;
	const char *p, *eol;

	for (p = s != NULL ? s : ""; *p != '\0'; p = eol) {
		eol = strchr(p, '\n');
		eol = eol != NULL ? eol + 1 : p + strlen(p);
		len = (size_t)(eol - p);
		if (len > nlen && strncasecmp(p, name, nlen) == 0 &&
		    p[nlen] == ':')
			continue;
		t = out;
		xasprintf(&out, "%s%.*s", t != NULL ? t : "", (int)len, p);
		free(t);
	}
	if (value != NULL) {
		t = out;
		xasprintf(&out, "%s%s: %s\n", t != NULL ? t : "", name, value);
		free(t);
	}
	free(s);
	*extra = out;
}

/* A draft a crash left whose message is in the outbox (its thread had
 * queued it): it is removed, with its lock file; 1 then, else 0. */
static int
ui_queue_left(struct ui *ui, const char *path, const char *lock)
{
	struct ui_writing *w = ui->writing;
	struct draft d;
	const char *v;
	char *err, *id;
	size_t n;
	int rc = 0;

	if (w->sender == NULL)
		return 0;
	if (compose_draft_read(path, &d, &err) != 0) {
		free(err);
		compose_draft_free(&d);
		return 0;
	}
	if (d.extra != NULL &&
	    (v = strstr(d.extra, UI_COMPOSE_QUEUED_FIELD ": ")) != NULL) {
		v += strlen(UI_COMPOSE_QUEUED_FIELD ": ");
		n = strcspn(v, "\n");
		id = xstrndup(v, n);
		if (outbox_has(outbox_sender_outbox(w->sender), id)) {
			unlink(path);
			unlink(lock);
			compose_cleanup(&d, w->dir);
			rc = 1;
		}
		free(id);
	}
	compose_draft_free(&d);
	return rc;
}

/* A draft kept for U (NAME.eml.sent) that its errand never removed (it
 * crashed, or was killed): once its message is out of the outbox (sent,
 * discarded or taken back) U cannot take it back in any errand, and the
 * outbox had the message; it goes, an hour old, with its forwarded files.
 * Kept while the outbox holds the message, or when it names none. */
static void
ui_sent_left(struct ui *ui, const char *path)
{
	struct ui_writing *w = ui->writing;
	struct draft d;
	struct stat sb;
	const char *v;
	char *err, *id;

	if (w->sender == NULL ||
	    (w->sent_path != NULL && strcmp(w->sent_path, path) == 0))
		return;
	if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_mtime + UI_SENT_LEFT_AGE >= time(NULL))
		return;
	if (compose_draft_read(path, &d, &err) != 0) {
		free(err);
		compose_draft_free(&d);
		return;
	}
	if (d.extra != NULL &&
	    (v = strstr(d.extra, UI_COMPOSE_QUEUED_FIELD ": ")) != NULL) {
		v += strlen(UI_COMPOSE_QUEUED_FIELD ": ");
		id = xstrndup(v, strcspn(v, "\n"));
		if (id[0] != '\0' &&
		    !outbox_has(outbox_sender_outbox(w->sender), id) &&
		    unlink(path) == 0)
			compose_cleanup(&d, w->dir);
		free(id);
	}
	compose_draft_free(&d);
}

/* Quitting: wait (a bounded time) for the messages queuing. 0, or -1
 * when one is still under way (its draft stays, offered at the next
 * start; what it uses is not freed). */
static int
ui_queue_finish(struct ui *ui)
{
	struct ui_writing *w = ui->writing;
	struct pollfd pfd;
	struct timespec t0, t;
	long left;

	if (w->queue == NULL)
		return 0;
	w->quitting = 1;
	cmd_error("waiting for the message being queued");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (w->queue != NULL) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = UI_QUEUE_QUIT_MS - (t.tv_sec - t0.tv_sec) * 1000 -
		    (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (left <= 0) {
			cmd_error("a message is still being queued: its draft "
			          "is kept for the next start");
			return -1;
		}
		pfd.fd = w->queue->pipe[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) == 1)
			ui_queue_end(ui, w->queue);
	}
	return 0;
}

/* The Message-ID of the draft's copy in Drafts (a postponed draft's, kept
 * in its file so that it outlives a crash), or NULL. The caller's. */
static char *
ui_compose_copy(const struct draft *d)
{
	const char *p, *f = UI_COMPOSE_COPY_FIELD ": ";

	for (p = d->extra; p != NULL && *p != '\0';
	     p += strcspn(p, "\n"), p += *p == '\n')
		if (strncasecmp(p, f, strlen(f)) == 0) {
			p += strlen(f);
			return strcspn(p, "\n") > 0
			    ? xstrndup(p, strcspn(p, "\n"))
			    : NULL;
		}
	return NULL;
}

/* Record msgid (NULL: none) as the draft's copy in Drafts. */
static void
ui_compose_copy_set(struct draft *d, const char *msgid)
{
	char *v = NULL;

	if (msgid != NULL)
		xasprintf(&v, "<%s>", msgid);
	ui_extra_set(&d->extra, UI_COMPOSE_COPY_FIELD, v);
	free(v);
}

/* The message as it stands into the outbox as a draft: the outbox copies
 * it to Drafts (the server's, or the Maildir's at home), once the network
 * allows, surviving a crash as a Sent copy does; then the copy made at the
 * last P (a recalled draft's) is removed there, so that Drafts holds one
 * copy of each draft. The new copy's Message-ID goes in the draft. 0, or
 * -1 with *err. */
static int
ui_compose_to_drafts(struct ui *ui, char **err)
{
	struct ui_writing *w = ui->writing;
	struct compose_opts opts;
	struct compose_envelope env;
	struct outbox_meta meta;
	struct outbox *ob;
	char *tmp, *id, *old;
	int fd, rc;

	if ((ob = ui_outbox(ui, err)) == NULL) {
		*err = xstrdup(*err);
		return -1;
	}
	xasprintf(&tmp, "%s/draft-XXXXXX", w->dir);
	if ((fd = mkstemp(tmp)) == -1) {
		xasprintf(err, "cannot make '%s': %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	unlink(tmp);
	free(tmp);
	memset(&opts, 0, sizeof opts);
	opts.from = ui->a->from;
	opts.text_flowed = ui->a->text_flowed;
	memset(&env, 0, sizeof env);
	memset(&meta, 0, sizeof meta);
	meta.save_sent = 1;
	meta.delay = 0;
	meta.draft = 1;
	meta.replaces = old = ui_compose_copy(&ui->compose->d);
	rc = compose_build(&ui->compose->d, &opts, fd, &env, err);
	if (rc == 0 && lseek(fd, 0, SEEK_SET) == -1) {
		xasprintf(err, "cannot read the message: %s", strerror(errno));
		rc = -1;
	}
	if (rc == 0 && (rc = outbox_add(ob, fd, &meta, &id, err)) == 0) {
		free(id);
		/* The new copy is safe in the outbox: the draft names it. */
		ui_compose_copy_set(&ui->compose->d, env.message_id);
	}
	compose_envelope_free(&env);
	free(old);
	close(fd);
	return rc;
}

static void
ui_compose_postpone(struct ui *ui)
{
	char *err = NULL;
	int copied;

	if (ui->compose->bad == NULL && ui_compose_save(ui) != 0)
		return;
	copied =
	    ui->compose->bad == NULL && ui_compose_to_drafts(ui, &err) == 0;
	if (copied)
		ui_compose_save(ui); /* with its copy's Message-ID */
	ui_compose_drop(ui, 0);
	if (copied) {
		ui_message(ui, 0, "postponed to Drafts (R: recall it)");
		ui_compose_kick(ui);
	} else if (err != NULL) {
		ui_message(
		    ui, 1, "postponed here only (R: recall it): %s", err);
		free(err);
	} else
		ui_message(ui, 0, "postponed (R: recall it)");
}

void
ui_compose_key(struct ui *ui, enum keymap_action a)
{
	struct ui_compose *c = ui->compose;
	size_t top = 0;

	if (c == NULL) {
		ui_show(ui, KEYMAP_INDEX);
		return;
	}
	switch (a) {
	case KEYMAP_QUIT:
		ui_message(ui, 0, "Abort this message? (y/n)");
		ui->prompt = UI_PROMPT_ABORT;
		return;
	case KEYMAP_SEND:
		ui_compose_send(ui);
		return;
	case KEYMAP_POSTPONE:
		ui_compose_postpone(ui);
		return;
	case KEYMAP_EDIT_MESSAGE:
		ui_compose_edit(ui);
		return;
	default:
		break;
	}
	if (ui_compose_busy(ui))
		return;
	switch (a) {
	case KEYMAP_EDIT_TO:
		ui_prompt_begin(ui, UI_PROMPT_TO, c->d.to);
		break;
	case KEYMAP_EDIT_CC:
		ui_prompt_begin(ui, UI_PROMPT_CC, c->d.cc);
		break;
	case KEYMAP_EDIT_BCC:
		ui_prompt_begin(ui, UI_PROMPT_BCC, c->d.bcc);
		break;
	case KEYMAP_EDIT_SUBJECT:
		ui_prompt_begin(ui, UI_PROMPT_SUBJECT, c->d.subject);
		break;
	case KEYMAP_ATTACH:
		ui_prompt_begin(ui, UI_PROMPT_ATTACH, "");
		break;
	case KEYMAP_DETACH:
		if (c->d.nattach == 0) {
			ui_message(ui, 1, "no attachment to detach");
			return;
		}
		ui_message(ui, 0, "detached %s", c->d.attach[c->sel].path);
		compose_draft_detach(&c->d, c->sel);
		if (c->sel >= c->d.nattach && c->sel > 0)
			c->sel--;
		ui_compose_save(ui);
		break;
	default:
		if (c->d.nattach > 0 &&
		    ui_move(a, &c->sel, &top, c->d.nattach, c->d.nattach))
			ui_dirty(ui);
		return;
	}
	ui_dirty(ui);
}

void
ui_compose_draw(struct ui *ui)
{
	struct ui_compose *c = ui->compose;
	const char *names[] = {
	    "From", "To", "Cc", "Bcc", "Subject", "Reply-To"};
	const char *values[6];
	size_t i, rows = ui_list_rows(ui);
	int y = 0;
	char *line;
	struct stat sb;
	const char *p, *e;

	if (c == NULL)
		return;
	values[0] = c->d.from;
	values[1] = c->d.to;
	values[2] = c->d.cc;
	values[3] = c->d.bcc;
	values[4] = c->d.subject;
	values[5] = c->d.reply_to;
	for (i = 0; i < 6 && (size_t)y < rows; i++) {
		if (i == 5 && values[i] == NULL)
			continue;
		xasprintf(&line, "%8s: %s", names[i],
		    values[i] != NULL ? values[i] : "");
		attron(COLOR_PAIR(1));
		ui_draw(y++, 0, (size_t)ui->cols, line, 0);
		attroff(COLOR_PAIR(1));
		free(line);
	}
	if ((size_t)y < rows) {
		attron(A_BOLD);
		ui_draw(y++, 0, (size_t)ui->cols,
		    c->d.nattach > 0 ? "-- Attachments (a: attach, D: detach)"
		                     : "-- No attachments (a: attach)",
		    0);
		attroff(A_BOLD);
	}
	for (i = 0; i < c->d.nattach && (size_t)y < rows; i++) {
		char size[16] = "?";

		if (stat(c->d.attach[i].path, &sb) == 0)
			ui_size((uint64_t)sb.st_size > UINT32_MAX
			        ? UINT32_MAX
			        : (uint32_t)sb.st_size,
			    size, sizeof size);
		xasprintf(&line, "%s%2zu %s [%s] %s", i == c->sel ? "->" : "  ",
		    i + 1, c->d.attach[i].path,
		    c->d.attach[i].type != NULL ? c->d.attach[i].type : "auto",
		    size);
		if (i == c->sel)
			attron(A_REVERSE);
		ui_draw(y++, 0, (size_t)ui->cols, line, 1);
		if (i == c->sel)
			attroff(A_REVERSE);
		free(line);
	}
	if ((size_t)y < rows) {
		attron(A_BOLD);
		ui_draw(y++, 0, (size_t)ui->cols, "-- Message (e: edit)", 0);
		attroff(A_BOLD);
	}
	for (p = c->d.body; p != NULL && *p != '\0' && (size_t)y < rows;
	     p = *e != '\0' ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		line = xstrndup(p, (size_t)(e - p));
		ui_draw(y++, 0, (size_t)ui->cols, line, 0);
		free(line);
	}
}

/* --- completion ---------------------------------------------------------- */

static void
ui_matches_free(struct ui_writing *w)
{
	addrbook_list_free(w->matches, w->nmatches);
	w->matches = NULL;
	w->nmatches = w->imatch = 0;
	w->cycling = 0;
	free(w->note);
	w->note = NULL;
}

void
ui_compose_complete_end(struct ui *ui)
{
	if (ui->writing != NULL)
		ui_matches_free(ui->writing);
}

/* Put s in the prompt from where the completed word starts. */
static void
ui_complete_put(struct ui *ui, const char *s)
{
	size_t start = ui->writing->mstart, n = strlen(s);

	if (start > ui->plen)
		start = ui->plen;
	if (start + n >= sizeof ui->pbuf)
		n = sizeof ui->pbuf - 1 - start;
	memcpy(ui->pbuf + start, s, n);
	ui->plen = start + n;
	ui->pbuf[ui->plen] = '\0';
}

void
ui_compose_complete(struct ui *ui)
{
	struct ui_writing *w = ui_writing(ui);
	char **q, *err, *prefix;
	size_t start, i, j;
	int nq;

	if (ui->prompt == UI_PROMPT_ATTACH) {
		ui_complete_path(ui);
		return;
	}
	if (ui->prompt != UI_PROMPT_TO && ui->prompt != UI_PROMPT_CC &&
	    ui->prompt != UI_PROMPT_BCC)
		return;
	if (w->cycling && w->nmatches > 1) {
		w->imatch = (w->imatch + 1) % w->nmatches;
		ui_complete_put(ui, w->matches[w->imatch]);
		return;
	}
	ui_matches_free(w);
	/* The word after the last comma. */
	for (start = ui->plen; start > 0 && ui->pbuf[start - 1] != ','; start--)
		;
	while (start < ui->plen && ui->pbuf[start] == ' ')
		start++;
	w->mstart = start;
	prefix = xstrdup(ui->pbuf + start);
	if (w->ab == NULL) {
		w->ab = addrbook_new(time(NULL));
		if (addrbook_load(w->ab, session_store(ui->s), &err) != 0) {
			w->note = err; /* the query-command may still answer */
		}
	}
	w->nmatches =
	    addrbook_complete(w->ab, prefix, UI_COMPOSE_MATCHES, &w->matches);
	if (ui->a->query_command != NULL && prefix[0] != '\0') {
		nq = addrbook_query(ui->a->query_command, prefix, 0, &q, &err);
		if (nq < 0) {
			free(w->note);
			w->note = err;
		}
		for (i = 0; nq > 0 && i < (size_t)nq; i++) {
			for (j = 0; j < w->nmatches; j++) {
				if (strcmp(w->matches[j], q[i]) == 0)
					break;
			}
			if (j < w->nmatches) {
				free(q[i]);
				continue;
			}
			w->matches = xreallocarray(
			    w->matches, w->nmatches + 1, sizeof *w->matches);
			w->matches[w->nmatches++] = q[i];
		}
		free(q);
	}
	if (w->nmatches == 0) {
		if (w->note == NULL)
			xasprintf(&w->note, "no address matches '%s'", prefix);
		free(prefix);
		return;
	}
	free(prefix);
	ui_complete_put(ui, w->matches[0]);
	w->cycling = w->nmatches > 1;
}

/* A path typed: "~/" is the home directory. The caller's. */
static char *
ui_expand_path(const char *s)
{
	const char *home = getenv("HOME");
	char *p;

	if (s[0] == '~' && (s[1] == '/' || s[1] == '\0') && home != NULL) {
		xasprintf(&p, "%s%s", home, s + 1);
		return p;
	}
	return xstrdup(s);
}

/* Tab in the attach prompt: the file names that go on from what is
 * typed; one is completed, several to what they share, and shown. */
static void
ui_complete_path(struct ui *ui)
{
	struct ui_writing *w = ui->writing;
	struct dirent *de;
	struct stat sb;
	DIR *d;
	char *typed = xstrdup(ui->pbuf), *slash, *dir, *full, *base, *common;
	size_t blen, i, n;

	ui_matches_free(w);
	slash = strrchr(typed, '/');
	if (slash != NULL) {
		*slash = '\0';
		dir = ui_expand_path(typed[0] != '\0' ? typed : "/");
		base = slash + 1;
		w->mstart = (size_t)(slash - typed) + 1;
	} else {
		dir = xstrdup(".");
		base = typed;
		w->mstart = 0;
	}
	blen = strlen(base);
	if ((d = opendir(dir)) == NULL) {
		xasprintf(
		    &w->note, "cannot read '%s': %s", dir, strerror(errno));
		free(dir);
		free(typed);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (de->d_name[0] == '.' && base[0] != '.') ||
		    strncmp(de->d_name, base, blen) != 0)
			continue;
		xasprintf(&full, "%s/%s", dir, de->d_name);
		w->matches = xreallocarray(
		    w->matches, w->nmatches + 1, sizeof *w->matches);
		if (stat(full, &sb) == 0 && S_ISDIR(sb.st_mode))
			xasprintf(
			    &w->matches[w->nmatches++], "%s/", de->d_name);
		else
			w->matches[w->nmatches++] = xstrdup(de->d_name);
		free(full);
	}
	closedir(d);
	free(dir);
	if (w->nmatches == 0) {
		xasprintf(&w->note, "no file name starts with '%s'", base);
		free(typed);
		return;
	}
	common = xstrdup(w->matches[0]);
	for (i = 1; i < w->nmatches; i++) {
		for (n = 0; common[n] != '\0' && common[n] == w->matches[i][n];
		     n++)
			;
		common[n] = '\0';
	}
	ui_complete_put(ui, common);
	free(common);
	free(typed);
	if (w->nmatches == 1)
		ui_matches_free(w);
}

void
ui_compose_draw_matches(struct ui *ui)
{
	struct ui_writing *w = ui->writing;
	size_t i, first, n, top;
	int y;

	if (w == NULL)
		return;
	if (w->note != NULL && ui->rows >= 3) {
		attron(A_BOLD);
		ui_draw(ui->rows - 3, 0, (size_t)ui->cols, w->note, 1);
		attroff(A_BOLD);
		return;
	}
	if (w->nmatches < 2)
		return;
	n = w->nmatches < UI_COMPOSE_MATCH_ROWS ? w->nmatches
	                                        : UI_COMPOSE_MATCH_ROWS;
	if ((size_t)ui->rows < n + 3)
		return;
	first = w->imatch >= n ? w->imatch - n + 1 : 0;
	top = (size_t)ui->rows - 2 - n;
	for (i = 0; i < n; i++) {
		y = (int)(top + i);
		if (w->cycling && first + i == w->imatch)
			attron(A_REVERSE);
		ui_draw(y, 0, (size_t)ui->cols, w->matches[first + i], 1);
		if (w->cycling && first + i == w->imatch)
			attroff(A_REVERSE);
	}
}

/* --- drafts to resume ---------------------------------------------------- */

/* The drafts no errand is writing: at start (recall 0) only those a
 * crash left (their lock file stayed), for R every one; then ask about
 * the first. */
static void
ui_resume_scan(struct ui *ui, int recall)
{
	struct ui_writing *w = ui_writing(ui);
	struct dirent *de;
	DIR *d;
	char *path, *lock;
	size_t len;
	int fd, locked;

	if (w->dir == NULL && w->dir_err == NULL)
		w->dir = ui_drafts_dir(ui->a, &w->dir_err);
	if (w->dir == NULL) {
		if (recall)
			ui_message(ui, 1, "%s", w->dir_err);
		return;
	}
	ui_resume_clear(w);
	w->recalling = recall;
	if ((d = opendir(w->dir)) == NULL) {
		if (recall)
			ui_message(ui, 1, "cannot read '%s': %s", w->dir,
			    strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len > 9 && strcmp(de->d_name + len - 9, ".eml.sent") == 0) {
			xasprintf(&path, "%s/%s", w->dir, de->d_name);
			ui_sent_left(ui, path);
			free(path);
			continue;
		}
		if (len < 5 || strcmp(de->d_name + len - 4, ".eml") != 0)
			continue;
		xasprintf(&path, "%s/%s", w->dir, de->d_name);
		xasprintf(
		    &lock, "%s/%.*s.lock", w->dir, (int)(len - 4), de->d_name);
		locked = 0;
		if ((fd = open(lock, O_RDWR | O_CLOEXEC)) != -1) {
			/* Held: another errand (or this one) writes it. */
			locked = flock(fd, LOCK_EX | LOCK_NB) == -1;
			close(fd);
		} else if (!recall) {
			free(path); /* postponed on purpose: R */
			free(lock);
			continue;
		}
		if (locked || ui_queue_left(ui, path, lock)) {
			free(lock);
			free(path);
			continue;
		}
		free(lock);
		w->resume =
		    xreallocarray(w->resume, w->nresume + 1, sizeof *w->resume);
		w->resume[w->nresume++] = path;
	}
	closedir(d);
	if (recall)
		ui_resume_drafts(ui);
	if (w->nresume + w->nrdrafts == 0) {
		if (recall)
			ui_message(ui, 0, "no postponed messages");
		return;
	}
	ui_resume_offer(ui);
}

static void
ui_resume_clear(struct ui_writing *w)
{
	addrbook_list_free(w->resume, w->nresume);
	w->resume = NULL;
	w->nresume = w->iresume = 0;
	drafts_list_free(w->rdrafts, w->nrdrafts);
	w->rdrafts = NULL;
	w->nrdrafts = 0;
}

/* The messages of the Drafts folder (as cached) that no draft here has
 * as its copy: postponed on another device, offered after this machine's
 * drafts. */
static void
ui_resume_drafts(struct ui *ui)
{
	struct ui_writing *w = ui->writing;
	struct drafts_msg *v;
	struct draft d;
	char **ids = NULL, *err, *id;
	size_t n, i, j, k = 0, nids = 0;

	if (drafts_list(session_store(ui->s), &v, &n, &err) != 0) {
		free(err); /* this machine's drafts all the same */
		return;
	}
	for (i = 0; i < w->nresume && n > 0; i++) {
		if (compose_draft_read(w->resume[i], &d, &err) != 0)
			free(err);
		else if ((id = ui_compose_copy(&d)) != NULL) {
			ids = xreallocarray(ids, nids + 1, sizeof *ids);
			ids[nids++] = id;
		}
		compose_draft_free(&d);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < nids; j++)
			if (*v[i].message_id != '\0' &&
			    strlen(ids[j]) == strlen(v[i].message_id) + 2 &&
			    strncmp(ids[j] + 1, v[i].message_id,
			        strlen(v[i].message_id)) == 0)
				break;
		if (j < nids) {
			free(v[i].folder);
			free(v[i].message_id);
			free(v[i].to);
			free(v[i].subject);
			continue;
		}
		v[k++] = v[i];
	}
	addrbook_list_free(ids, nids);
	w->rdrafts = v;
	w->nrdrafts = k;
}

/* R, y on a message of Drafts: a new draft here, made from it, whose copy
 * in Drafts it is (P replaces it, y removes it). */
static void
ui_resume_server(struct ui *ui, const struct drafts_msg *m)
{
	const struct config *cf = ui->ctx->cf;
	struct ui_compose *c;
	void *raw;
	size_t len;
	char *err;
	int rc;

	rc = ui->be->ops->body(ui->be, m->folder, m->folder_id, m->uid,
	    cf->body_max != 0 ? cf->body_max : UI_COMPOSE_BODY_MAX, &raw, &len,
	    &err);
	if (rc < 0) {
		ui_message(ui, 1, "%s", err);
		free(err);
		return;
	}
	if (rc > 0) {
		ui_message(ui, 1,
		    "the draft is not cached: open it in '%s' first",
		    m->folder);
		return;
	}
	if ((c = ui_compose_new(ui, NULL)) == NULL) {
		free(raw);
		return;
	}
	ui->compose = c;
	rc = compose_recall(raw, len, ui->writing->dir, &c->d, &err);
	free(raw);
	if (rc != 0) {
		ui_compose_drop(ui, 1);
		ui_message(ui, 1, "cannot recall the draft: %s", err);
		free(err);
		return;
	}
	if (c->d.from == NULL && ui->a->from != NULL)
		c->d.from = xstrdup(ui->a->from);
	if (*m->message_id != '\0')
		ui_compose_copy_set(&c->d, m->message_id);
	c->step = UI_STEP_SCREEN;
	ui_compose_save(ui);
	ui_show(ui, KEYMAP_COMPOSE);
}

/* Ask about the next draft to resume. */
static void
ui_resume_offer(struct ui *ui)
{
	struct ui_writing *w = ui->writing;
	struct draft d;
	char *err, *to, *subject;

	if (w->iresume >= w->nresume + w->nrdrafts) {
		ui_resume_clear(w);
		if (w->recalling)
			ui_message(ui, 0, "no more postponed messages");
		return;
	}
	if (w->iresume >= w->nresume) {
		const struct drafts_msg *m =
		    &w->rdrafts[w->iresume - w->nresume];

		to = text_clean_line(*m->to != '\0' ? m->to : "nobody yet");
		subject = text_clean_line(m->subject);
		ui_message(ui, 0,
		    "Resume the draft to %s about '%s' from %s? (y/n)", to,
		    subject, m->folder);
		free(to);
		free(subject);
		ui->prompt = UI_PROMPT_RESUME;
		return;
	}
	if (compose_draft_read(w->resume[w->iresume], &d, &err) != 0) {
		free(err);
		to = xstrdup("?");
		subject = text_clean_line(w->resume[w->iresume]);
	} else {
		to = text_clean_line(d.to != NULL ? d.to : "nobody yet");
		subject = text_clean_line(d.subject != NULL ? d.subject : "");
	}
	compose_draft_free(&d);
	ui_message(
	    ui, 0, "Resume the draft to %s about '%s'? (y/n)", to, subject);
	free(to);
	free(subject);
	ui->prompt = UI_PROMPT_RESUME;
}

/* --- the outbox ---------------------------------------------------------- */

static struct outbox *
ui_outbox(struct ui *ui, char **err)
{
	struct ui_writing *w = ui_writing(ui);
	struct outbox_sender_params p;

	if (w->sender == NULL && w->sender_err == NULL) {
		memset(&p, 0, sizeof p);
		p.s = ui->s;
		p.changed = ui_outbox_changed;
		p.result = ui_outbox_done;
		p.wake = ui_outbox_wake;
		p.prepare = ui_outbox_prepare;
		p.arg = ui;
		w->sender = outbox_sender_new(&p, &w->sender_err);
	}
	if (w->sender == NULL) {
		*err = w->sender_err;
		return NULL;
	}
	return outbox_sender_outbox(w->sender);
}

void
ui_compose_kick(struct ui *ui)
{
	if (ui->writing != NULL && ui->writing->sender != NULL)
		outbox_sender_kick(ui->writing->sender);
}

static void
ui_outbox_changed(void *arg)
{
	ui_dirty(arg);
}

/* \Answered or a draft's older copy's purge was journaled: the live
 * session may be idle. */
static void
ui_outbox_wake(void *arg)
{
	struct ui *ui = arg;

	ui->be->ops->wake(ui->be);
}

/* Before \Answered is journaled: as for a triage key, a running sync's
 * open chunk is committed first, or the row would go into it. */
static int
ui_outbox_prepare(void *arg)
{
	struct ui *ui = arg;

	return backend_flush(ui->be);
}

static void
ui_outbox_done(const struct outbox_result *r, void *arg)
{
	struct ui *ui = arg;
	struct ui_writing *w = ui->writing;

	if (w->sent_id != NULL && strcmp(w->sent_id, r->id) == 0)
		ui_sent_forget(ui); /* too late to take it back */
	switch (r->state) {
	case OUTBOX_SENT:
		if (r->nrefused > 0)
			ui_message(ui, 1, "sent to %zu, refused: %s", r->nrcpt,
			    r->refused[0]);
		else
			ui_message(ui, 0, "sent to %zu recipient%s", r->nrcpt,
			    r->nrcpt == 1 ? "" : "s");
		break;
	case OUTBOX_HELD:
		ui_message(ui, 1, "not sent, held: %s (errand outbox)",
		    r->reason != NULL ? r->reason : "");
		break;
	default:
		ui_message(ui, 0, "not sent yet: %s",
		    r->reason != NULL ? r->reason : "");
		break;
	}
	ui_dirty(ui);
}

const char *
ui_compose_status(struct ui *ui)
{
	struct ui_writing *w = ui->writing;

	struct ui_queue *q;
	int n = 0, queuing = 0;

	if (w == NULL)
		return "";
	for (q = w->queue; q != NULL; q = q->next)
		queuing++;
	if (w->sender != NULL)
		n = outbox_sender_count(w->sender);
	if (queuing > 0 && n > 0)
		snprintf(w->status, sizeof w->status,
		    " -- outbox: %d, %d queuing", n, queuing);
	else if (queuing > 0)
		snprintf(w->status, sizeof w->status, " -- outbox: %d queuing",
		    queuing);
	else if (n > 0)
		snprintf(w->status, sizeof w->status, " -- outbox: %d", n);
	else
		return "";
	return w->status;
}

/* The last message sent cannot be taken back any more: its draft goes. */
static void
ui_sent_forget(struct ui *ui)
{
	struct ui_writing *w = ui->writing;

	if (w == NULL || w->sent_id == NULL)
		return;
	if (w->sent_path != NULL)
		unlink(w->sent_path);
	compose_cleanup(&w->sent_d, w->dir);
	compose_draft_free(&w->sent_d);
	free(w->sent_path);
	free(w->sent_id);
	w->sent_path = w->sent_id = NULL;
	w->sent_until = 0;
}

int
ui_compose_undo_send(struct ui *ui)
{
	struct ui_writing *w = ui->writing;
	struct ui_compose *c;
	char *path, *bcc, *err, *draft;
	int rc;

	if (w != NULL && w->queue != NULL && w->queue->delay > 0) {
		ui_message(ui, 0, "the message is being queued: U again soon");
		return 1;
	}
	if (w == NULL || w->sent_id == NULL)
		return 0;
	if (time(NULL) >= w->sent_until) {
		ui_sent_forget(ui);
		return 0;
	}
	if (ui->compose != NULL) {
		ui_message(
		    ui, 1, "a message is being written: finish it first");
		return 1;
	}
	rc = outbox_take_back(
	    outbox_sender_outbox(w->sender), w->sent_id, &path, &bcc, &err);
	if (rc < 0) {
		ui_message(ui, 1, "cannot take it back: %s", err);
		free(err);
		return 1;
	}
	if (rc > 0) {
		ui_sent_forget(ui);
		ui_message(ui, 1, "too late: the message is being sent or was");
		return 1;
	}
	unlink(path); /* the draft kept here has the attachments' paths */
	free(path);
	free(bcc);
	draft = xstrndup(w->sent_path, strlen(w->sent_path) - 5);
	if (rename(w->sent_path, draft) != 0 ||
	    (c = ui_compose_new(ui, draft)) == NULL) {
		ui_message(ui, 1, "cannot take it back: %s", strerror(errno));
		free(draft);
		return 1;
	}
	free(draft);
	c->d = w->sent_d;
	compose_draft_init(&w->sent_d);
	ui_extra_set(&c->d.extra, UI_COMPOSE_QUEUED_FIELD, NULL);
	free(w->sent_path);
	free(w->sent_id);
	w->sent_path = w->sent_id = NULL;
	c->step = UI_STEP_SCREEN;
	ui->compose = c;
	ui_compose_kick(ui); /* counted again */
	ui_show(ui, KEYMAP_COMPOSE);
	ui_message(ui, 0, "taken back: not sent");
	return 1;
}

/* --- start and end ------------------------------------------------------- */

void
ui_compose_init(struct ui *ui)
{
	char *err;

	/* The outbox from the start: "outbox: N" for what an earlier run
	 * left, sent once a sync finds the server. */
	if (ui_outbox(ui, &err) == NULL)
		ui_message(ui, 1, "%s", err);
	ui_resume_scan(ui, 0);
}

void
ui_compose_free(struct ui *ui)
{
	struct ui_writing *w = ui->writing;
	char *err;
	int stuck;

	/* A message queuing is waited for; one that will not end keeps what
	 * it uses (the process ends, its draft is offered next time). */
	stuck = w != NULL && ui_queue_finish(ui) != 0;
	if (ui->compose != NULL) {
		/* Quitting with a message open keeps it: R recalls it. */
		if (ui->compose->bad == NULL &&
		    compose_draft_write(
		        &ui->compose->d, ui->compose->path, &err) != 0)
			free(err); /* the file as last written stays */
		ui_compose_drop(ui, 0);
	}
	if (w == NULL || stuck)
		return;
	ui_sent_forget(ui);
	outbox_sender_free(w->sender);
	addrbook_free(w->ab);
	ui_matches_free(w);
	ui_resume_clear(w);
	free(w->dir);
	free(w->dir_err);
	free(w->sender_err);
	free(w);
	ui->writing = NULL;
}
