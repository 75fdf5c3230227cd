/* errand: a terminal mail user agent. See LICENSE.
 * The IMAP session on net/conn: connect (imaps, or STARTTLS which is then
 * required), capabilities, AUTHENTICATE through net/sasl, ENABLE, then the
 * operations a sync needs: list folders, select with QRESYNC or CONDSTORE,
 * stream headers and flags one message per callback, search UIDs, logout.
 * Never blocks: every operation takes a callback and an opaque argument.
 * RFC 3501, RFC 9051, RFC 2595, RFC 4959 (SASL-IR),
 * RFC 5161 (ENABLE), RFC 7162 (CONDSTORE, QRESYNC), RFC 7888 (LITERAL+/-),
 * RFC 6855 (UTF8=ACCEPT), RFC 5258 + RFC 5819 (LIST-EXTENDED,
 * LIST-STATUS), RFC 6154 (SPECIAL-USE), RFC 4731 (ESEARCH); and for the
 * interface: bodies, STORE, COPY/MOVE, EXPUNGE, IDLE, NOOP, folder
 * changes, STATUS, APPEND: RFC 4315 (UIDPLUS), RFC 6851 (MOVE),
 * RFC 2177 (IDLE). */
#ifndef ERRAND_NET_IMAP_H
#define ERRAND_NET_IMAP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conn.h"
#include "imap-parse.h"
#include "sasl.h"

struct event_base;
struct evdns_base;
struct imap;

/* Capabilities the session knows and acts on, as bits. */
#define IMAP_CAP_IMAP4REV1 0x0001
#define IMAP_CAP_IMAP4REV2 0x0002
#define IMAP_CAP_STARTTLS 0x0004
#define IMAP_CAP_LOGINDISABLED 0x0008
#define IMAP_CAP_AUTH_PLAIN 0x0010
#define IMAP_CAP_SASL_IR 0x0020
#define IMAP_CAP_LITERALPLUS 0x0040  /* LITERAL+ */
#define IMAP_CAP_LITERALMINUS 0x0080 /* LITERAL- */
#define IMAP_CAP_ENABLE 0x0100
#define IMAP_CAP_CONDSTORE 0x0200
#define IMAP_CAP_QRESYNC 0x0400
#define IMAP_CAP_UTF8_ACCEPT 0x0800
#define IMAP_CAP_LIST_EXTENDED 0x1000
#define IMAP_CAP_LIST_STATUS 0x2000
#define IMAP_CAP_SPECIAL_USE 0x4000
#define IMAP_CAP_ESEARCH 0x8000
#define IMAP_CAP_IDLE 0x10000
#define IMAP_CAP_UIDPLUS 0x20000
#define IMAP_CAP_MOVE 0x40000
#define IMAP_CAP_NOTIFY 0x80000 /* RFC 5465 */
/* RFC 3516 */
#define IMAP_CAP_BINARY 0x40000000
/* COMPRESS=DEFLATE, RFC 4978 */
#define IMAP_CAP_COMPRESS 0x100000

/* The session's state; imap_set_state() logs every change to the plog. */
enum imap_state {
	IMAP_STATE_NEW,          /* made, imap_connect() not called yet */
	IMAP_STATE_CONNECTING,   /* lookup, TCP, implicit TLS */
	IMAP_STATE_GREETING,     /* waiting for "* OK" / "* PREAUTH" */
	IMAP_STATE_CAPABILITY,   /* CAPABILITY sent */
	IMAP_STATE_STARTTLS,     /* STARTTLS sent */
	IMAP_STATE_HANDSHAKE,    /* TLS handshake after STARTTLS */
	IMAP_STATE_AUTHENTICATE, /* AUTHENTICATE (or LOGIN) sent */
	IMAP_STATE_COMPRESS,     /* COMPRESS DEFLATE sent */
	IMAP_STATE_ENABLE,       /* ENABLE sent */
	IMAP_STATE_READY,        /* authenticated, no mailbox selected */
	IMAP_STATE_SELECTING,    /* SELECT/EXAMINE in flight */
	IMAP_STATE_SELECTED,     /* a mailbox is selected */
	IMAP_STATE_LOGOUT,       /* LOGOUT sent */
	IMAP_STATE_CLOSED,       /* over: logged out or failed */
};

/* Why an operation failed: the class the caller acts on. */
enum imap_err {
	IMAP_ERR_NONE,   /* success */
	IMAP_ERR_NO,     /* the server said NO or BAD to this command; the
	                  * session goes on */
	IMAP_ERR_AUTH,   /* the server refused the credentials; session over */
	IMAP_ERR_CONN,   /* connection lost, timed out, TLS failed; see
	                  * imap_conn_fail(); session over */
	IMAP_ERR_PROTO,  /* the server broke the protocol, exceeded a bound,
	                  * said BYE, or STARTTLS was not possible; over */
	IMAP_ERR_CLOSED, /* the session was already over, or closed by
	                  * imap_logout() before this operation ran */
};

/* Unsolicited news from the server, at any time. */
enum imap_event_type {
	IMAP_EV_EXISTS,   /* n: the selected mailbox's new message count */
	IMAP_EV_EXPUNGE,  /* n: the sequence number expunged */
	IMAP_EV_VANISHED, /* uids: expunged (QRESYNC); earlier set for the
	                   * VANISHED (EARLIER) answering SELECT's QRESYNC */
	IMAP_EV_FETCH,    /* msg: flags or modseq changed (FETCH not asked
	                   * for by a running fetch; also those answering
	                   * SELECT's QRESYNC) */
	IMAP_EV_ALERT,    /* text: an [ALERT] the user must see */
	IMAP_EV_STATUS,   /* status: another folder's counts changed (STATUS
	                   * not asked for by a running command: NOTIFY) */
	IMAP_EV_CLOSED,   /* the session ended by error (BYE, connection lost,
	                   * protocol error): err and text say why. Comes
	                   * after the done callbacks of pending operations,
	                   * never after imap_logout() or imap_free() */
};

/* One message as delivered by a fetch. Every pointer is valid only during
 * the callback. */
struct imap_msg {
	uint32_t seq;         /* sequence number */
	uint32_t uid;         /* UID; 0 in an unsolicited FETCH without one */
	int has_flags;        /* 1 when FLAGS came (flags, keywords valid) */
	unsigned int flags;   /* IMAP_FLAG_* bits (imap-parse.h) */
	const char *keywords; /* other flags, space-separated, "" if none */
	uint64_t modseq;      /* MODSEQ, 0 if none */
	time_t internaldate;  /* INTERNALDATE, -1 if none */
	uint64_t size;        /* RFC822.SIZE, 0 if none */
	const char *header;   /* raw header bytes (BODY[HEADER.FIELDS ...],
	                       * NUL-terminated), NULL if not fetched */
	size_t header_len;    /* bytes in header */
};

/* An unsolicited event; pointers valid only during the callback. */
struct imap_event {
	enum imap_event_type type;
	uint32_t n;                            /* EXISTS, EXPUNGE */
	const struct imap_uidset *uids;        /* VANISHED */
	int earlier;                           /* VANISHED (EARLIER) */
	const struct imap_msg *msg;            /* FETCH */
	const struct imap_status_item *status; /* STATUS */
	enum imap_err err;                     /* CLOSED: why */
	const char *text;                      /* ALERT, CLOSED: the message */
};

typedef void (*imap_event_cb)(struct imap *, const struct imap_event *, void *);

/* Whether to ask for COMPRESS=DEFLATE (RFC 4978) after logging in. */
enum imap_compress {
	IMAP_COMPRESS_AUTO, /* when offered, unless the server is on a
	                     * loopback address or the TCP connect took
	                     * under IMAP_COMPRESS_MIN_RTT: there it only
	                     * costs CPU */
	IMAP_COMPRESS_YES,  /* whenever offered */
	IMAP_COMPRESS_NO,   /* never */
};
#define IMAP_COMPRESS_MIN_RTT 2000 /* microseconds */

/* Filled in by the caller; copied by imap_new(). */
struct imap_params {
	struct conn_params conn;  /* where and how; conn.tls IMPLICIT: imaps */
	int starttls;             /* 1: plain port, STARTTLS required first */
	const char *user;         /* login name */
	sasl_secret_cb secret;    /* the password or token, asked for at each
	                           * login and never kept; NULL: none */
	void *secret_arg;         /* passed to secret */
	enum sasl_mech auth;      /* the mechanism; SASL_AUTO: the strongest
	                           * offered that auth_can allows */
	int auth_can;             /* SASL_CAN_PASSWORD, SASL_CAN_TOKEN; 0 is
	                           * SASL_CAN_PASSWORD */
	unsigned int ignore_caps; /* IMAP_CAP_* to pretend absent (tests) */
	int no_sasl; /* 1: the LOGIN command even if SASL is offered (tests) */
	size_t max_header;               /* largest header literal taken by
	                       * imap_fetch_headers(); 0: 1 MiB */
	struct imap_parse_limits limits; /* parser bounds; zeros: defaults */
	int idle_renew; /* seconds before IDLE is renewed (DONE, IDLE);
	                      * 0: 1500 (RFC 2177 asks for under 29 min) */
	enum imap_compress compress; /* COMPRESS DEFLATE; 0 is AUTO */
	imap_event_cb event;         /* unsolicited events, or NULL */
	void *event_arg;             /* passed to event */
	struct conn *early; /* a connection to conn.host started before this
	                     * session was made, taken over (conn_take());
	                     * NULL: imap_connect() starts one */
};

/* The end of an operation: err IMAP_ERR_NONE, or the class and a message
 * ("cannot select 'Archive': Mailbox doesn't exist") valid only during the
 * callback. */
typedef void (*imap_done_cb)(
    struct imap *, enum imap_err, const char *, void *);

/* A new session; strings in params are copied. Nothing happens until
 * imap_connect(). Free with imap_free(). */
struct imap *imap_new(
    struct event_base *, struct evdns_base *, const struct imap_params *);

/* Close at once and free; no callback runs afterwards, pending operations
 * are dropped silently. imap_free(NULL) is a no-op; safe in any callback. */
void imap_free(struct imap *);

/* Connect, upgrade with STARTTLS if asked, read capabilities, log in and
 * ENABLE what is offered (CONDSTORE QRESYNC, UTF8=ACCEPT). done runs once:
 * IMAP_ERR_NONE in IMAP_STATE_READY. Operations may be called before it
 * finishes; they are queued until the session is ready. */
void imap_connect(struct imap *, imap_done_cb, void *);

/* --- folders ------------------------------------------------------------ */

/* One folder from imap_list(); pointers valid only during the callback. */
struct imap_folder {
	const char *raw;  /* name as the server has it: pass to imap_select */
	size_t raw_len;   /* bytes in raw */
	const char *name; /* the name in UTF-8 (decoded from modified UTF-7
	                   * unless UTF8=ACCEPT; raw if it does not decode) */
	char delim;       /* hierarchy delimiter, 0 if flat */
	enum imap_special special; /* SPECIAL-USE, IMAP_SPECIAL_NONE */
	unsigned int attrs;        /* IMAP_LIST_* bits as sent */
	int subscribed;            /* \Subscribed or in LSUB */
	int noselect;              /* \Noselect or \NonExistent */
	int has_counts;            /* 1 when total and unseen are known */
	uint32_t total;            /* STATUS MESSAGES */
	uint32_t unseen;           /* STATUS UNSEEN */
};

typedef void (*imap_folder_cb)(
    struct imap *, const struct imap_folder *, void *);

/* List every folder: LIST "" "*" RETURN (SPECIAL-USE SUBSCRIBED STATUS
 * (MESSAGES UNSEEN)) when LIST-EXTENDED and LIST-STATUS are offered, else
 * LIST, LSUB and STATUS per selectable folder. Each folder goes to each
 * once the listing is complete (in the server's order), then done runs. */
void imap_list(struct imap *, imap_folder_cb each, imap_done_cb done, void *);

/* --- select ------------------------------------------------------------- */

/* What the caller knows of the folder; copied by imap_select(). */
struct imap_select_params {
	const char *mailbox;    /* raw name (imap_folder.raw), NUL-terminated */
	int readonly;           /* 1: EXAMINE */
	uint32_t uidvalidity;   /* cached UIDVALIDITY, 0 if none */
	uint64_t highestmodseq; /* cached HIGHESTMODSEQ, 0 if none: with both
	                         * set and QRESYNC enabled, SELECT (QRESYNC) */
	const char *known_uids; /* cached UIDs as a uid-set ("1:90,95"), or
	                         * NULL; sent with QRESYNC */
};

/* The selected folder; valid only during the callback. */
struct imap_selected {
	uint32_t uidvalidity;   /* UIDVALIDITY */
	uint32_t uidnext;       /* UIDNEXT, 0 if the server did not say */
	uint32_t exists;        /* messages in the folder */
	uint64_t highestmodseq; /* HIGHESTMODSEQ, 0 with nomodseq */
	int nomodseq;           /* no mod-sequences here (NOMODSEQ, or no
	                         * CONDSTORE) */
	int qresync;            /* 1: SELECT (QRESYNC) was sent with the same
	                         * uidvalidity: the VANISHED (EARLIER) and FETCH
	                         * events before this callback are the changes
	                         * since highestmodseq */
	int readonly;           /* [READ-ONLY] */
};

typedef void (*imap_select_cb)(struct imap *, enum imap_err, const char *,
    const struct imap_selected *, void *);

/* Select a folder: SELECT (QRESYNC (...)) when enabled and the cache has
 * uidvalidity and highestmodseq, else SELECT (CONDSTORE) when offered,
 * else a plain SELECT. Changes reported during it go to the event
 * callback. On a NO the session is left with no folder selected. */
void imap_select(
    struct imap *, const struct imap_select_params *, imap_select_cb, void *);

/* --- fetch -------------------------------------------------------------- */

typedef void (*imap_msg_cb)(struct imap *, const struct imap_msg *, void *);

/* Fetch the headers of UIDs lo..hi (hi 0: up to the last), one message per
 * call of each, streamed as they arrive: UID FETCH lo:hi (UID FLAGS
 * INTERNALDATE RFC822.SIZE [MODSEQ] BODY.PEEK[HEADER.FIELDS (DATE FROM TO
 * CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE)]). Messages
 * below lo (a server answers lo:* with the last message) are not passed.
 * Calls may be made back to back for chunks; they are pipelined. */
void imap_fetch_headers(struct imap *, uint32_t lo, uint32_t hi,
    imap_msg_cb each, imap_done_cb done, void *);

/* Fetch flags of every message: UID FETCH 1:* (UID FLAGS), with MODSEQ
 * and (CHANGEDSINCE changedsince) when CONDSTORE is on and changedsince is
 * not 0. One message per call of each. */
void imap_fetch_flags(struct imap *, uint64_t changedsince, imap_msg_cb each,
    imap_done_cb done, void *);

/* --- search ------------------------------------------------------------- */

/* The set is valid only during the callback; empty on an error. */
typedef void (*imap_uids_cb)(struct imap *, enum imap_err, const char *,
    const struct imap_uidset *, void *);

/* Every UID in the selected folder: UID SEARCH RETURN (ALL) ALL with
 * ESEARCH, else UID SEARCH ALL. For expunge detection without QRESYNC. */
void imap_search_all(struct imap *, imap_uids_cb, void *);

/* The UIDs from from on (UID from:*, which also names the highest UID:
 * check the set against from) of the messages whose Message-ID header
 * holds <msgid> (given without <>), in the selected folder. */
void imap_search_msgid(
    struct imap *, uint32_t from, const char *msgid, imap_uids_cb, void *);

/* The UIDs of the messages in the selected folder that keys (RFC 3501
 * search keys, e.g. from pattern_imap(), copied) select: UID SEARCH
 * RETURN (ALL) keys with ESEARCH, else UID SEARCH keys. Keys with a CR or
 * LF, or over 8000 bytes, fail. */
void imap_search_keys(struct imap *, const char *keys, imap_uids_cb, void *);

/* --- message bodies ----------------------------------------------------- */

/* A message as fetched by imap_fetch_body(); valid only during the
 * callback. */
struct imap_body {
	uint32_t uid;     /* the UID asked for */
	const char *data; /* the raw bytes, NUL-terminated (may hold NULs) */
	size_t len;       /* bytes in data, without the NUL */
	uint64_t size;    /* RFC822.SIZE: the whole message, 0 if not sent */
	int partial;      /* 1 when len < size (cut at max_bytes) */
};

/* The end of a body fetch: body is NULL on an error. */
typedef void (*imap_body_cb)(struct imap *, enum imap_err, const char *,
    const struct imap_body *, void *);

/* Fetch the raw message with UID uid: UID FETCH uid (UID RFC822.SIZE
 * BODY.PEEK[]<0.max_bytes>) (max_bytes 0: the whole message, bounded by
 * the parser's literal limit); a server that sends more is cut to max_bytes
 * as it arrives, never buffered whole. A message that is gone gives
 * IMAP_ERR_NO "message N no longer exists". Pipelined. */
void imap_fetch_body(
    struct imap *, uint32_t uid, size_t max_bytes, imap_body_cb, void *);

/* One MIME part as fetched by imap_fetch_part(); valid only during the
 * callback. */
struct imap_part {
	uint32_t uid;        /* the UID asked for */
	const char *section; /* the part asked for, "2" or "1.3" */
	const char *data;    /* its bytes, NUL-terminated (may hold NULs) */
	size_t len;          /* bytes in data, without the NUL */
	int decoded;         /* 1: BINARY, the transfer encoding undone by */
	                     /* the server; 0: BODY, as the message has it */
};

/* The end of a part fetch: part is NULL on an error. */
typedef void (*imap_part_cb)(struct imap *, enum imap_err, const char *,
    const struct imap_part *, void *);

/* Fetch part section (an RFC 3501 section-part: digits and dots) of message
 * uid: UID FETCH uid (UID BINARY.PEEK[section]) when the server offers
 * BINARY (RFC 3516), else, or when it answers NO [UNKNOWN-CTE], BODY.PEEK
 * [section]; part->decoded says which. Bounded by the parser's literal
 * limit. A message that is gone gives IMAP_ERR_NO. Pipelined. */
void imap_fetch_part(
    struct imap *, uint32_t uid, const char *section, imap_part_cb, void *);

/* --- changes to messages ------------------------------------------------ */

/* How imap_store_flags() changes the flags. */
#define IMAP_STORE_ADD 1     /* +FLAGS */
#define IMAP_STORE_REMOVE -1 /* -FLAGS */
#define IMAP_STORE_REPLACE 0 /* FLAGS */

/* The end of a STORE: modified is the set the server refused to change
 * because its MODSEQ passed unchangedsince ([MODIFIED]); empty if none.
 * Valid only during the callback. */
typedef void (*imap_store_cb)(struct imap *, enum imap_err, const char *,
    const struct imap_uidset *modified, void *);

/* UID STORE uidset [(UNCHANGEDSINCE n)] {+,-,}FLAGS.SILENT (...) on the
 * selected folder: flags are IMAP_FLAG_* bits (not RECENT), keywords more
 * flags, space-separated, or NULL. unchangedsince is used when CONDSTORE
 * is on in the folder and it is not 0. The FETCH responses the change
 * causes (new MODSEQ) go to the event callback as IMAP_EV_FETCH. */
void imap_store_flags(struct imap *, const char *uidset, int how,
    unsigned int flags, const char *keywords, uint64_t unchangedsince,
    imap_store_cb, void *);

/* How a move was done. */
enum imap_move_how {
	IMAP_MOVE_COPY,    /* imap_copy(): COPY only */
	IMAP_MOVE_MOVE,    /* UID MOVE (RFC 6851) */
	IMAP_MOVE_EXPUNGE, /* COPY, \Deleted, UID EXPUNGE of just those */
	IMAP_MOVE_DELETED, /* COPY and \Deleted: the originals stay until
	                    * an expunge */
};

/* What a copy or move did; valid only during the callback. */
struct imap_copied {
	enum imap_move_how how; /* what was sent */
	uint32_t uidvalidity;   /* COPYUID: the destination's, 0 if none */
	struct imap_uidset src; /* COPYUID: source UIDs (empty if none) */
	struct imap_uidset dst; /* COPYUID: their UIDs in the destination */
};

typedef void (*imap_copy_cb)(struct imap *, enum imap_err, const char *,
    const struct imap_copied *, void *);

/* Copy the UIDs in uidset ("1:3,7") of the selected folder to the folder
 * with raw name mailbox_raw: UID COPY. A missing destination gives
 * IMAP_ERR_NO with "[TRYCREATE]" in the message. copied is never NULL. */
void imap_copy(struct imap *, const char *uidset, const char *mailbox_raw,
    imap_copy_cb, void *);

/* Move them: UID MOVE when offered; else UID COPY, UID STORE +FLAGS.SILENT
 * (\Deleted) and, with UIDPLUS, UID EXPUNGE of the set; else the copies
 * are made and the originals only marked \Deleted (how says which). */
void imap_move(struct imap *, const char *uidset, const char *mailbox_raw,
    imap_copy_cb, void *);

/* Expunge: UID EXPUNGE uidset with UIDPLUS and a set, else EXPUNGE (every
 * \Deleted message). The expunged messages come as IMAP_EV_EXPUNGE or
 * IMAP_EV_VANISHED events before done. */
void imap_expunge(struct imap *, const char *uidset, imap_done_cb, void *);

/* --- idle and polling --------------------------------------------------- */

/* IDLE (RFC 2177) in the selected folder. started runs once: IMAP_ERR_NONE
 * when the server has accepted ("+"), or why not (IMAP_ERR_NO when IDLE
 * is not offered or no folder is selected). While idle, EXISTS, EXPUNGE,
 * FETCH and VANISHED go to the event callback. The session renews IDLE
 * itself (idle_renew in the params). Any other operation ends IDLE first
 * (DONE, then the tagged OK, then the operation); call imap_idle_start()
 * again to resume. */
void imap_idle_start(struct imap *, imap_done_cb started, void *);

/* Leave IDLE: send DONE; a no-op when not idle. */
void imap_idle_stop(struct imap *);

/* 1 while IDLE is in force (accepted and DONE not sent). */
int imap_idling(const struct imap *);

/* NOOP, for polling where IDLE is not offered: news comes as events. */
void imap_noop(struct imap *, imap_done_cb, void *);

/* NOTIFY SET spec (RFC 5465), e.g. "(selected (MessageNew MessageExpunge
 * FlagChange)) (personal (MessageNew MessageExpunge))": the server then
 * reports other folders' changes as STATUS (IMAP_EV_STATUS) while idle.
 * Fails with IMAP_ERR_NO when NOTIFY is not offered. */
void imap_notify(struct imap *, const char *spec, imap_done_cb, void *);

/* --- folder changes ----------------------------------------------------- */

/* The raw (server) name for a UTF-8 folder name: modified UTF-7 unless
 * UTF8=ACCEPT is enabled. Returns a string the caller frees, or NULL if
 * name is not valid UTF-8. */
char *imap_mailbox_encode(const struct imap *, const char *name);

/* CREATE, DELETE, RENAME, SUBSCRIBE or UNSUBSCRIBE a folder by raw name;
 * on a NO, done is passed "cannot create 'Name': ...". */
void imap_create(struct imap *, const char *raw, imap_done_cb, void *);
void imap_delete(struct imap *, const char *raw, imap_done_cb, void *);
void imap_rename(struct imap *, const char *old_raw, const char *new_raw,
    imap_done_cb, void *);
void imap_subscribe(
    struct imap *, const char *raw, int on, imap_done_cb, void *);

/* A folder's counts from STATUS; valid only during the callback. */
struct imap_status {
	uint32_t total;         /* MESSAGES */
	uint32_t unseen;        /* UNSEEN */
	uint32_t uidnext;       /* UIDNEXT */
	uint32_t uidvalidity;   /* UIDVALIDITY */
	uint64_t highestmodseq; /* HIGHESTMODSEQ, 0 without CONDSTORE */
};

typedef void (*imap_status_cb)(struct imap *, enum imap_err, const char *,
    const struct imap_status *, void *);

/* STATUS raw (MESSAGES UNSEEN UIDNEXT UIDVALIDITY [HIGHESTMODSEQ]).
 * Pipelined; status is NULL on an error. */
void imap_status(struct imap *, const char *raw, imap_status_cb, void *);

/* --- append ------------------------------------------------------------- */

/* The end of an APPEND: APPENDUID (UIDPLUS) gives the folder's
 * uidvalidity and the new UID, else both are 0. */
typedef void (*imap_append_cb)(struct imap *, enum imap_err, const char *,
    uint32_t uidvalidity, uint32_t uid, void *);

/* APPEND raw (flags) {len} msg: a non-synchronising literal with LITERAL+
 * (or LITERAL- up to 4096 bytes), else the session waits for "+". flags
 * are IMAP_FLAG_* bits. msg is copied. */
void imap_append(struct imap *, const char *raw, unsigned int flags,
    const char *msg, size_t len, imap_append_cb, void *);

/* The same with the message read from the file fd as it is sent, never
 * held whole: the literal is the file's size now (fstat), and its bytes
 * go out in pieces as the connection's output drains. fd is duplicated:
 * the caller may close its own at once; the session reads it with pread()
 * from offset 0. A file that cannot be read, or that shrinks or grows
 * before its last byte is sent, cannot cut the literal short: the session
 * is dropped and the operation fails with IMAP_ERR_CONN saying so
 * (imap_conn_fail() CONN_FAIL_NONE: the server is not out of reach). So
 * does an answer that comes before the whole message. */
void imap_append_file(struct imap *, const char *raw, unsigned int flags,
    int fd, imap_append_cb, void *);

/* --- logout ------------------------------------------------------------- */

/* LOGOUT, once what is queued before it is done; done runs once it is
 * sent, without waiting for the reply (imap_free() pushes it out): a
 * headless command has committed its work by then. Operations queued
 * behind it fail with IMAP_ERR_CLOSED. */
void imap_logout(struct imap *, imap_done_cb, void *);

/* --- state -------------------------------------------------------------- */

enum imap_state imap_state(const struct imap *);

/* IMAP_CAP_* bits offered (after ignore_caps) and, for CONDSTORE, QRESYNC
 * and UTF8_ACCEPT, enabled. */
unsigned int imap_caps(const struct imap *);
unsigned int imap_enabled(const struct imap *);

/* The server's capability list as sent, space-separated; owned by the
 * session. */
const char *imap_capability_string(const struct imap *);

/* The error that ended the session, or NULL; owned by the session. */
const char *imap_error(const struct imap *);

/* The transport's failure class when the session ended with IMAP_ERR_CONN. */
enum conn_fail imap_conn_fail(const struct imap *);

/* "TLSv1.3", or NULL before TLS. */
const char *imap_tls_version(const struct imap *);

/* The mechanism the login used ("SCRAM-SHA-256", "LOGIN" for the LOGIN
 * command), or NULL before a login or after PREAUTH. */
const char *imap_auth_mech(const struct imap *);

/* Whether DEFLATE is on, and why or why not: "on", "off: the server is on
 * a loopback address", "off: not offered by the server", ...; owned by
 * the session, NULL before it was decided. */
int imap_compressed(const struct imap *);
const char *imap_compress_why(const struct imap *);

#endif
