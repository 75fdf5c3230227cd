/* errand: a terminal mail user agent. See LICENSE.
 * The outbox: finished messages waiting to be sent, each a file in the
 * account's data (fsynced, renamed in) with its state beside it, so that a
 * message written offline is sent once the network is back, exactly once,
 * and one whose final "." went without an answer is held, never resent. */
#ifndef ERRAND_OUTBOX_H
#define ERRAND_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct account;
struct event_base;
struct session;
struct outbox;
struct outbox_run;

/* Where a message stands. Each change of state is on disk (a new state
 * file renamed in, the directory synced) before what follows it. */
enum outbox_state {
	OUTBOX_QUEUED,  /* waiting; not before not_before (send-delay) */
	OUTBOX_SENDING, /* under way; found so at start (a crash, a cut):
	                 * without dot, sent again (the server has not taken
	                 * it before its final "."); with dot, held, never
	                 * resent */
	OUTBOX_SENT,    /* accepted; the Sent copy and \Answered still to
	                 * do (then the message is removed) */
	OUTBOX_HELD,    /* refused (5xx), or it may have been sent: waits for
	                 * the user (retry, take back, discard) */
	OUTBOX_RETRY,   /* a temporary failure (4xx, network): sent again at
	                 * not_before, with the session's backoff */
};

/* What outbox_add() is told besides the message; the caller's. */
struct outbox_meta {
	const char *from;         /* envelope sender (addr-spec); NULL: the
	                           * message's From */
	const char *const *rcpts; /* envelope recipients, Bcc included;
	                           * NULL: the message's To, Cc and Bcc */
	size_t nrcpt;
	const char *reply_folder; /* display name of the folder of the
	                           * message answered (marked \Answered once
	                           * sent), or NULL */
	uint32_t reply_uid;       /* and its UID, 0: none */
	int save_sent;            /* -1: the account's save-sent; 0 or 1 */
	int delay;                /* -1: the account's send-delay; seconds */
	const char *id;           /* its name in the outbox (from
	                           * outbox_id_new()), or NULL: a new one */
	const char *subject;      /* the Subject decoded (UTF-8), or NULL:
	                           * decoded from the message */
	int draft;                /* 1: not sent, only copied (\Draft) to the
	                           * Drafts folder (\Drafts special-use,
	                           * else "Drafts"; .Drafts of the Maildir
	                           * at home without IMAP) */
	const char *replaces;     /* the Message-ID (with or without <>) of
	                           * an older copy of this draft in Drafts
	                           * (it was recalled): removed once this
	                           * one is sent or its own copy is made;
	                           * NULL: none */
};

/* One message of the outbox, as outbox_list() reads it. */
struct outbox_entry {
	char *id; /* its name in the outbox, e.g. "1733-4f2a" */
	enum outbox_state state;
	int appending;     /* OUTBOX_SENT: the Sent copy is owed */
	time_t created;    /* when queued */
	time_t not_before; /* QUEUED, RETRY: not sent before this */
	int tries;         /* sending attempts so far */
	char *reason;      /* HELD, RETRY: why, with the server's
	                           * words ("550 5.1.1 no such user"), or NULL */
	char *from;        /* envelope sender */
	char **rcpts;      /* envelope recipients */
	size_t nrcpt;
	char *subject;      /* decoded Subject, "" when none */
	char *message_id;   /* without <>, "" when none */
	char *reply_folder; /* as in struct outbox_meta, or NULL */
	uint32_t reply_uid;
	int save_sent;     /* 0 or 1 */
	int uncertain;     /* HELD: its final "." went and no answer came */
	int dot;           /* SENDING: the final "." (sendmail-command: the
	                    * command) may have gone; "state dot" on disk */
	int append_tried;  /* SENT: an APPEND went once: look before the next */
	char *sent_folder; /* SENT: where the copy goes, or NULL */
	char *in_reply_to; /* the msg-id it answers (no <>), or NULL: without
	                    * reply_folder, the cached message with it is
	                    * the one marked \Answered */
	char *path;        /* the message file (read it, never write) */
	int draft;         /* a postponed message owed to Drafts, never
	                    * sent (state sent from the start) */
	char *replaces;    /* SENT: the Message-ID (no <>) of the older
	                    * copy in Drafts still to remove, or NULL */
};

/* The outbox of the account: $XDG_DATA_HOME/errand/ACCOUNT/outbox (made
 * 0700 when missing). A message found in state sending (a crash before
 * its final ".") is queued again; one found in state dot (a crash between
 * the final "." and the answer, or while sendmail-command ran) is held at
 * once: "may have been sent: check Sent and use errand outbox --retry
 * ID". NULL with *err (the caller's). Free with outbox_free(). */
struct outbox *outbox_open(const struct account *, char **err);

/* The same for a directory of the caller's choice (tests); a the account
 * whose save-sent and send-delay apply, or NULL (no delay, save). */
struct outbox *outbox_open_dir(
    const char *dir, const struct account *a, char **err);

/* NULL is a no-op. */
void outbox_free(struct outbox *);

/* The outbox's directory (the struct's). */
const char *outbox_dir(const struct outbox *);

/* Queue the RFC 5322 message read from fd (to its end): written to tmp/,
 * fsynced, renamed in, the directory synced, then its state. A Bcc field
 * is removed from the stored copy (its addresses stay recipients); a
 * missing Date or Message-ID is added. *id (the caller frees it) names
 * it. 0, or -1 with *err (the caller's): no recipients, an unreadable
 * message, a disk error, meta->id already in the outbox. It reads only
 * the outbox's directory from the struct: with meta's from, rcpts and
 * subject given it may run in a thread other than the loop's (which keeps
 * the struct alive meanwhile), for a message built off the loop. */
int outbox_add(
    struct outbox *, int fd, const struct outbox_meta *, char **id, char **err);

/* A new name for a message, for meta->id: known before the message is
 * queued, so that a draft can say which message it became. The
 * caller's. */
char *outbox_id_new(void);

/* 1 when message id (valid or not) is in the outbox (queued, waiting,
 * held or sent with its Sent copy owed), else 0. */
int outbox_has(struct outbox *, const char *id);

/* The same from a file. */
int outbox_add_file(struct outbox *, const char *path,
    const struct outbox_meta *, char **id, char **err);

/* Every message, oldest first, in *v (the caller's: free with
 * outbox_entries_free()). 0, or -1 with *err. */
int outbox_list(
    struct outbox *, struct outbox_entry **v, size_t *n, char **err);
void outbox_entries_free(struct outbox_entry *, size_t);

/* The messages not yet sent (any state but sent), for the status line's
 * "outbox: N". The account's outbox is read each call; 0 when none or
 * it cannot be read. */
int outbox_count(const struct account *);

/* Undo send: a message queued and still within its send-delay, or held,
 * leaves the outbox; *path (the caller frees it and removes the file) is
 * a copy for editing again (Bcc no longer in it: *bcc, the caller's, is
 * the recipients that were in no To or Cc, comma separated, or NULL).
 * 0; 1 when it is too late (it is being sent or was); -1 with *err. */
int outbox_take_back(
    struct outbox *, const char *id, char **path, char **bcc, char **err);

/* Remove a message not being sent. 0, or -1 with *err. */
int outbox_discard(struct outbox *, const char *id, char **err);

/* A held or waiting message is queued again, to go now. 0, or -1 with
 * *err. */
int outbox_retry(struct outbox *, const char *id, char **err);

/* --- sending ------------------------------------------------------------- */

/* The end of one message's attempt. */
struct outbox_result {
	const char *id;
	enum outbox_state state; /* SENT (then removed), HELD or RETRY */
	const char *reason;      /* HELD, RETRY: why, with the server's words */
	size_t nrcpt;            /* recipients it went to (SENT) */
	const char *const *refused; /* recipients refused, "addr: 550 ..." */
	size_t nrefused;
};

struct outbox_run_params {
	struct event_base *base;
	/* The account's session (credentials for SMTP without
	 * smtp-password-command, the cache for \Answered, IMAP for the Sent
	 * copy), or NULL: sendmail-command, Sent copy and \Answered later. */
	struct session *s;
	/* Each message's end; may be NULL. */
	void (*done)(const struct outbox_result *, void *arg);
	/* The run's end: nothing due is left (or it was stopped). May be
	 * NULL. offline: the server could not be reached (the rest waits). */
	void (*finished)(int offline, void *arg);
	/* A journal row was written (\Answered on the message answered,
	 * the purge of a recalled draft's older copy in Drafts): the
	 * account's backend may send it now. May be NULL. */
	void (*wake)(void *arg);
	/* Before that row is written: a running sync's open chunk is
	 * committed (backend_flush()), 0 to go on. May be NULL. */
	int (*prepare)(void *arg);
	void *arg;
	/* 1: a message waiting after a temporary failure goes now (the user
	 * asked: errand push, errand send); send-delay is still kept. */
	int now;
};

/* Send the messages that are due, one after the other, through smtp =
 * or sendmail-command =; then the owed Sent copies and \Answered flags.
 * NULL when nothing is due (finished() is not called). Stop with
 * outbox_run_free(). */
struct outbox_run *outbox_run_start(
    struct outbox *, const struct outbox_run_params *);

/* Stop (a message in the middle of sending stays as it is on disk: a cut
 * before the final "." sends it again, after it holds it). NULL no-op. */
void outbox_run_free(struct outbox_run *);

/* The earliest not_before of a queued or waiting message, 0 when none:
 * when the loop should call outbox_run_start() again. */
time_t outbox_next_due(struct outbox *);

/* --- the interface's sender ---------------------------------------------- */

/* What the interface keeps for the life of an account's screen: the outbox,
 * a run when something is due and the account online, and a timer for the
 * next send-delay or retry. */
struct outbox_sender;

struct outbox_sender_params {
	struct session *s; /* the account's session: loop, store, network */
	/* The outbox changed (a message queued, sent, held): redraw the
	 * status line's "outbox: N". May be NULL. */
	void (*changed)(void *arg);
	/* One message's end, for a message on the screen ("sent", "held:
	 * 550 ..."). May be NULL. */
	void (*result)(const struct outbox_result *, void *arg);
	/* A journal row was written (\Answered, a draft's older copy
	 * purged): wake the backend, which may be idle on the server. May
	 * be NULL. */
	void (*wake)(void *arg);
	/* Before that row is written: commit a running sync's open chunk
	 * (backend_flush()), 0 to go on. May be NULL. */
	int (*prepare)(void *arg);
	void *arg;
};

/* NULL with *err (the caller's) when the outbox cannot be made. */
struct outbox_sender *outbox_sender_new(
    const struct outbox_sender_params *, char **err);
/* Stop (a message being sent stays as the outbox says) and free. */
void outbox_sender_free(struct outbox_sender *);
/* Send what is due now when the session is online: call it after a sync
 * succeeded and after queuing a message (y). */
void outbox_sender_kick(struct outbox_sender *);
/* The messages not yet sent, for "outbox: N" (no disk access). */
int outbox_sender_count(const struct outbox_sender *);
/* The outbox, for outbox_add(), outbox_take_back()...; call
 * outbox_sender_kick() after a change. */
struct outbox *outbox_sender_outbox(struct outbox_sender *);

/* The state's name, as errand outbox --list prints it. */
const char *outbox_state_name(enum outbox_state);

#endif
