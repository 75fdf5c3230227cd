/* errand: a terminal mail user agent. See LICENSE.
 * The IMAP session: one state machine over net/conn and the push parser.
 * Operations queue up and run in order; those that only read (LIST,
 * STATUS, FETCH, SEARCH) are pipelined, SELECT and LOGOUT wait for the
 * pipe to drain. RFC 3501, RFC 9051, RFC 2595, RFC 4959, RFC 4616,
 * RFC 5161, RFC 7162, RFC 7888, RFC 6855, RFC 5258, RFC 5819, RFC 6154,
 * RFC 4731; for the interface: RFC 4315 (UIDPLUS), RFC 6851 (MOVE),
 * RFC 2177 (IDLE). Commands that change the folder run alone. */

#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "content/text.h"
#include "xmalloc.h"
#include "conn.h"
#include "imap-parse.h"
#include "imap-utf7.h"
#include "imap.h"
#include "plog.h"

#define IMAP_MAX_TEXT 200             /* server text quoted in a message */
#define IMAP_MAX_HEADER (1024 * 1024) /* header literal cap by default */
#define IMAP_MAX_LOG 4096             /* bytes of one response in the plog */
#define IMAP_MAX_CAPS 4096            /* bytes of capability string kept */
#define IMAP_LITERAL_MINUS 4096       /* LITERAL- allows {n+} up to this */
#define IMAP_SALT_MAX 128             /* base64 of a SCRAM salt kept */
#define IMAP_CMD_PARTS 4
#define IMAP_CHUNK 65536     /* bytes of an appended file read at a time */
#define IMAP_DRAIN_LOW 65536 /* queue more of it below this much output */
#define IMAP_IDLE_RENEW 1500 /* seconds: RFC 2177 asks for under 29 min */
#define IMAP_HEADER_FIELDS                                                     \
	"DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES "           \
	"CONTENT-TYPE"

static const char *imap_state_names[] = {
    "new",
    "connecting",
    "greeting",
    "capability",
    "starttls",
    "handshake",
    "authenticate",
    "compress",
    "enable",
    "ready",
    "selecting",
    "selected",
    "logout",
    "closed",
};

enum imap_op_kind {
	IMAP_OP_CONNECT,
	IMAP_OP_LIST,
	IMAP_OP_SELECT,
	IMAP_OP_FETCH_HEADERS,
	IMAP_OP_FETCH_FLAGS,
	IMAP_OP_SEARCH,
	IMAP_OP_LOGOUT,
	IMAP_OP_FETCH_BODY,
	IMAP_OP_STORE,
	IMAP_OP_COPY,
	IMAP_OP_EXPUNGE,
	IMAP_OP_IDLE,
	IMAP_OP_NOOP,
	IMAP_OP_NOTIFY,
	IMAP_OP_MAILBOX,
	IMAP_OP_STATUS,
	IMAP_OP_APPEND,
};

enum imap_cmd_kind {
	IMAP_CMD_CAPABILITY,
	IMAP_CMD_STARTTLS,
	IMAP_CMD_AUTH,
	IMAP_CMD_ENABLE,
	IMAP_CMD_LIST,
	IMAP_CMD_LSUB,
	IMAP_CMD_STATUS,
	IMAP_CMD_SELECT,
	IMAP_CMD_FETCH,
	IMAP_CMD_SEARCH,
	IMAP_CMD_LOGOUT,
	IMAP_CMD_BODY,
	IMAP_CMD_STORE,
	IMAP_CMD_COPY,
	IMAP_CMD_EXPUNGE,
	IMAP_CMD_IDLE,
	IMAP_CMD_NOOP,
	IMAP_CMD_MAILBOX,
	IMAP_CMD_STATUS1,
	IMAP_CMD_APPEND,
	IMAP_CMD_COMPRESS,
};

/* A folder gathered by a LIST operation. */
struct imap_lfolder {
	char *raw;
	size_t raw_len;
	char delim;
	unsigned int attrs;
	enum imap_special special;
	int subscribed;
	int has_counts;
	uint32_t total, unseen;
};

/* One operation the caller asked for. */
struct imap_op {
	TAILQ_ENTRY(imap_op) entry;
	enum imap_op_kind kind;
	int started;
	int pending; /* its commands in flight */
	enum imap_err err;
	char *error;
	void *arg;
	imap_done_cb done;
	imap_folder_cb each_folder;
	imap_msg_cb each_msg;
	imap_select_cb select_cb;
	imap_uids_cb uids_cb;

	/* LIST */
	struct imap_lfolder *folders;
	size_t nfolders, capfolders;
	int list_phase; /* 0: LIST (+LSUB) sent; 1: STATUS sent */
	/* SELECT */
	struct imap_select_params sp;
	char *mailbox; /* raw name */
	char *known;   /* known uids */
	char *display; /* UTF-8 name for messages */
	struct imap_selected sel;
	int qresync_sent;
	/* FETCH */
	uint32_t lo, hi;
	uint64_t changedsince;
	/* SEARCH; STORE: the MODIFIED set */
	struct imap_range *ranges;
	size_t nranges, capranges;
	/* FETCH BODY */
	imap_body_cb body_cb;
	uint32_t uid;
	size_t max_bytes;
	char *body; /* the literal, copied */
	size_t body_len;
	uint64_t body_size;
	int got_body;
	int body_cut; /* the server sent more than max_bytes */

	/* FETCH BINARY / BODY of a part: imap_fetch_part() */
	char *section; /* the part, else NULL */
	int binary;    /* BINARY.PEEK asked for */
	int no_binary; /* NO [UNKNOWN-CTE]: BODY.PEEK from now */
	imap_part_cb part_cb;
	/* STORE, COPY, MOVE, EXPUNGE */
	imap_store_cb store_cb;
	imap_copy_cb copy_cb;
	char *uidset;
	int how;
	unsigned int flags;
	char *keywords; /* SEARCH: the criteria, NULL for ALL */
	uint64_t unchangedsince;
	int move;      /* imap_move() */
	int phase;     /* COPY: 0 copy/move sent, 1 STORE, 2 EXPUNGE */
	uint64_t nset; /* UIDs in uidset, for messages */
	struct imap_copied copied;
	struct imap_range *src, *dst; /* COPYUID, owned */
	/* IDLE */
	int idle_stop; /* DONE wanted */
	int renew;     /* send IDLE again after the OK */
	/* folder changes, STATUS, APPEND */
	const char *verb; /* "CREATE" ... */
	char *mailbox2;   /* RENAME: new raw name */
	char *display2;
	imap_status_cb status_cb;
	struct imap_status st;
	int got_status;
	imap_append_cb append_cb;
	char *msg;
	size_t msg_len;
	int file; /* imap_append_file(): fd is its file (a dup) */
	int fd;
	uint64_t off; /* bytes of msg_len sent from it */
	uint32_t append_uidvalidity, append_uid;
};

/* One command on the wire. */
struct imap_cmd {
	TAILQ_ENTRY(imap_cmd) entry;
	unsigned int tag;
	enum imap_cmd_kind kind;
	struct imap_op *op;
	char *part[IMAP_CMD_PARTS]; /* wire bytes of each piece */
	size_t partlen[IMAP_CMD_PARTS];
	char *partlog[IMAP_CMD_PARTS]; /* what the log shows, NULL: as is */
	int nparts;
	int sent;     /* pieces sent */
	int exchange; /* AUTHENTICATE waiting for challenges: nothing may
	               * follow it before its tagged answer */
	int stream;   /* IMAP_STREAM_*: the op's file is the literal
	               * after its pieces, then the line's end */
};

#define IMAP_STREAM_PLUS 1 /* {n+}: right after the pieces */
#define IMAP_STREAM_SYNC 2 /* {n}: after the "+" that follows them */

TAILQ_HEAD(imap_ops, imap_op);
TAILQ_HEAD(imap_cmds, imap_cmd);

/* A growing string used to build commands. */
struct imap_str {
	char *s;
	size_t len, cap;
};

struct imap {
	struct event_base *base;
	struct evdns_base *dns;
	struct conn_params cp; /* to connect again (strings owned) */
	struct conn *conn;
	struct plog *log;
	struct imap_parser *parser;
	struct event *deferred; /* runs failed operations' callbacks */
	char *host;
	char *user;
	sasl_secret_cb secret; /* asked for at each login, never kept */
	void *secret_arg;
	enum sasl_mech auth;       /* the account's wish */
	int auth_can;              /* SASL_CAN_* */
	unsigned int sasl_offered; /* SASL_BIT()s of the AUTH= offered */
	struct sasl *sasl;         /* the exchange under way */
	const char *mech_used;     /* after login: its name (static) */
	/* SCRAM: "scram=ITER,SALT" of the last login, kept in the hint (not
	 * secret), and the timer that hashes the password for it ahead. */
	char *scram_word;
	struct event *prep_ev;
	int starttls;
	unsigned int ignore_caps;
	int no_sasl;
	size_t max_header;
	size_t max_literal;
	struct imap_parse_limits limits;
	imap_event_cb event;
	void *event_arg;
	enum imap_compress compress;
	int zon;       /* DEFLATE on */
	int zfailed;   /* DEFLATE broke once: not asked for again */
	int zread;     /* responses read since DEFLATE went on */
	int zasked;    /* COMPRESS sent on this connection */
	int need_caps; /* logged in, capabilities to ask after COMPRESS */
	char *zwhy;    /* imap_compress_why() */
	unsigned int enabling; /* ENABLE sent, its reply not read yet */
	int early_ok;   /* implicit TLS, and AUTHENTICATE with SASL-IR was
	               * used to log in: its mechanism (PLAIN or SCRAM) */
	int early_sent; /* AUTHENTICATE went before the greeting */
	int early_pipe; /* ENABLE and the first SELECT went behind the early
	                 * AUTHENTICATE, COMPRESS after them */
	int zwait;      /* COMPRESS sent, its answer not read: nothing more
	                 * may go */
	int proof_wait; /* SCRAM: the client-final sent (what waited behind
	                 * the login with it), the server's signature not
	                 * checked yet: nothing else it says is taken */
	int ahead;      /* the empty answer to the server's proof went ahead
	                 * of it: the login cannot go again on this
	                 * connection */
	int idle_renew; /* seconds */
	struct event *idle_ev; /* renews IDLE */
	struct imap_op *idle;  /* the IDLE in force ("+" seen, no DONE) */

	enum imap_state state;
	unsigned int tag;
	unsigned int caps;    /* offered, after ignore_caps */
	unsigned int enabled; /* CONDSTORE QRESYNC UTF8_ACCEPT in force */
	int caps_known;       /* caps are current */
	char *capstr;
	int tls_done;   /* STARTTLS finished */
	int logged_in;  /* PREAUTH or auth OK */
	int condstore;  /* MODSEQ usable in the selected folder */
	char *selected; /* UTF-8 name of the selected folder */
	char *bye;      /* text of an untagged BYE */
	char *error;
	enum conn_fail conn_fail;
	struct evbuffer *logbuf; /* bytes of the response being read */

	struct imap_ops ops;
	struct imap_cmds inflight; /* sent (or being sent), awaiting a tag */
	struct imap_cmds outq;     /* not sent: behind a literal */
	struct imap_cmd *blocked;  /* waiting for "+" to send its next piece */

	/* imap_append_file() */
	struct imap_cmd *streaming; /* its literal going out from a file */
	struct event *stream_ev;    /* queues the first chunk from the loop */
	char *chunk;                /* IMAP_CHUNK bytes while streaming */

	int busy;
	int dead;
};

static void imap_destroy(struct imap *);
static void imap_set_state(struct imap *, enum imap_state);
static void imap_conn_cb(struct conn *, enum conn_event, void *);
static void imap_read(struct imap *);
static void imap_deferred_cb(evutil_socket_t, short, void *);
static void imap_handle(struct imap *, const struct imap_resp *);
static void imap_untagged(struct imap *, const struct imap_resp *);
static void imap_tagged(struct imap *, const struct imap_resp *);
static void imap_continue(struct imap *, const struct imap_resp *);
static void imap_greeting(struct imap *, const struct imap_resp *);
static void imap_code(struct imap *, const struct imap_resp *);
static void imap_failf(struct imap *, enum imap_err, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void imap_op_new(struct imap *, struct imap_op *);
static void imap_op_finish(struct imap *, struct imap_op *);
static void imap_op_fail(struct imap_op *, enum imap_err, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void imap_op_free(struct imap_op *);
static void imap_run(struct imap *);
static void imap_op_start(struct imap *, struct imap_op *);
static int imap_op_barrier(const struct imap_op *);
static struct imap_cmd *imap_cmd_new(
    struct imap *, enum imap_cmd_kind, struct imap_op *);
static void imap_cmd_free(struct imap_cmd *);
static void imap_cmd_end(
    struct imap_cmd *, struct imap_str *, struct imap_str *, int);
static void imap_cmd_queue(struct imap *, struct imap_cmd *);
static void imap_flush(struct imap *);
static void imap_send_part(struct imap *, struct imap_cmd *);
static void imap_expect(struct imap *);
static void imap_stream_begin(struct imap *, struct imap_cmd *);
static void imap_stream(struct imap *);
static void imap_stream_end(struct imap *);
static void imap_stream_fail(struct imap *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void imap_stream_drain_cb(struct conn *, void *);
static void imap_stream_ev_cb(evutil_socket_t, short, void *);
static struct imap_cmd *imap_oldest(struct imap *, enum imap_op_kind);
static void imap_str_add(struct imap_str *, const char *, size_t);
static void imap_str_printf(struct imap_str *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void imap_put_string(struct imap *, struct imap_cmd *, struct imap_str *,
    struct imap_str *, const char *, size_t, int);
static int imap_range_cmp(const void *, const void *);
static void imap_simple(struct imap *, enum imap_cmd_kind, struct imap_op *,
    const char *, ...) __attribute__((format(printf, 4, 5)));
static void imap_after_caps(struct imap *);
static void imap_authenticate(struct imap *);
static void imap_login_cmd(struct imap *, const char *);
static void imap_sasl_continue(struct imap *, const char *);
static void imap_sasl_fail(struct imap *, const char *);
static void imap_sasl_ahead(struct imap *);
static void imap_sasl_proof(struct imap *, const char *);
static int imap_unproven(struct imap *, const struct imap_resp *);
static int imap_is_scram(enum sasl_mech);
static unsigned int imap_auth_flags(struct imap *);
static void imap_enable(struct imap *);
static void imap_logged_in(struct imap *);
static void imap_compress_early(struct imap *);
static int imap_hint_has(const char *, const char *);
static void imap_early_auth(struct imap *);
static struct imap_op *imap_early_select(struct imap *);
static void imap_early_pipe(struct imap *);
static void imap_early_caps(struct imap *);
static const char *imap_session_hint(struct imap *, unsigned int);
static const char *imap_hint_scram(
    const char *, char *, size_t, unsigned int *);
static void imap_prep_cb(evutil_socket_t, short, void *);
static void imap_scram_keep(struct imap *);
static int imap_early_mech(int);
static int imap_early_stale(struct imap *);
static int imap_early_again(struct imap *, char *);
static int imap_compress_wanted(struct imap *, unsigned int);
static int imap_restart(struct imap *);
static void imap_ready(struct imap *);
static void imap_caps_set(struct imap *, const struct imap_tok *);
static char *imap_text(const char *);
static char *imap_display(struct imap *, const char *, size_t);
static void imap_event_send(struct imap *, struct imap_event *);
static void imap_msg_from(struct imap_msg *, const struct imap_fetch *);
static void imap_fetch_resp(struct imap *, const struct imap_resp *);
static void imap_list_resp(struct imap *, const struct imap_resp *);
static void imap_status_resp(struct imap *, const struct imap_resp *);
static void imap_search_resp(struct imap *, const struct imap_resp *);
static void imap_list_deliver(struct imap *, struct imap_op *);
static void imap_list_status(struct imap *, struct imap_op *);
static struct imap_lfolder *imap_lfolder_find(
    struct imap_op *, const char *, size_t, int);
static void imap_cmd_done(
    struct imap *, struct imap_cmd *, const struct imap_resp *);
static struct imap_op *imap_op_alloc(enum imap_op_kind, void *);
static int imap_need_selected(struct imap *, struct imap_op *, const char *);
static void imap_literal_bound(struct imap *);
static int imap_keywords_ok(const char *);
static void imap_flag_names(struct imap_str *, unsigned int, const char *);
static char *imap_why(const struct imap_resp *);
static void imap_mailbox_cmd(struct imap *, enum imap_cmd_kind,
    struct imap_op *, const char *, const char *, const char *, const char *);
static void imap_store_send(struct imap *, struct imap_op *, const char *, int,
    unsigned int, const char *, uint64_t);
static void imap_copy_done(
    struct imap *, struct imap_cmd *, const struct imap_resp *, int);
static void imap_copyuid(
    struct imap *, struct imap_op *, const struct imap_resp *);
static void imap_set_ranges(
    struct imap_range **, struct imap_uidset *, const struct imap_uidset *);
static void imap_idle_send(struct imap *, struct imap_op *);
static void imap_idle_done(struct imap *);
static void imap_idle_timer_cb(evutil_socket_t, short, void *);
static int imap_body_resp(struct imap *, const struct imap_fetch *);
static void imap_part_send(struct imap *, struct imap_op *);
static int imap_section_ok(const char *);
static void imap_merge(struct imap_op *, struct imap_uidset *);
static void imap_status_take(struct imap_op *, const struct imap_status_item *);
static void imap_copy_new(
    struct imap *, const char *, const char *, int, imap_copy_cb, void *);
static void imap_mailbox_new(struct imap *, const char *, const char *,
    const char *, imap_done_cb, void *);

struct imap *
imap_new(struct event_base *base, struct evdns_base *dns,
    const struct imap_params *p)
{
	struct imap *im;

	im = xcalloc(1, sizeof *im);
	im->base = base;
	im->dns = dns;
	im->cp = p->conn;
	im->cp.host = xstrdup(p->conn.host);
	im->cp.ca_file =
	    p->conn.ca_file != NULL ? xstrdup(p->conn.ca_file) : NULL;
	im->cp.fingerprint =
	    p->conn.fingerprint != NULL ? xstrdup(p->conn.fingerprint) : NULL;
	im->compress = p->compress;
	im->log = p->conn.log;
	im->host = xstrdup(p->conn.host);
	im->user = xstrdup(p->user != NULL ? p->user : "");
	im->secret = p->secret;
	im->secret_arg = p->secret_arg;
	im->auth = p->auth;
	im->auth_can = p->auth_can != 0 ? p->auth_can : SASL_CAN_PASSWORD;
	im->starttls = p->starttls;
	im->ignore_caps = p->ignore_caps;
	im->no_sasl = p->no_sasl;
	im->max_header = p->max_header > 0 ? p->max_header : IMAP_MAX_HEADER;
	im->event = p->event;
	im->event_arg = p->event_arg;
	im->idle_renew = p->idle_renew > 0 ? p->idle_renew : IMAP_IDLE_RENEW;
	im->parser = imap_parser_new(&p->limits);
	im->limits = p->limits;
	im->max_literal = p->limits.max_literal;
	im->capstr = xstrdup("");
	im->logbuf = evbuffer_new();
	im->deferred = event_new(base, -1, 0, imap_deferred_cb, im);
	im->idle_ev = evtimer_new(base, imap_idle_timer_cb, im);
	im->stream_ev = event_new(base, -1, 0, imap_stream_ev_cb, im);
	im->prep_ev = evtimer_new(base, imap_prep_cb, im);
	if (im->logbuf == NULL || im->deferred == NULL || im->idle_ev == NULL ||
	    im->stream_ev == NULL || im->prep_ev == NULL)
		fatalx("%s: out of memory", __func__);
	TAILQ_INIT(&im->ops);
	TAILQ_INIT(&im->inflight);
	TAILQ_INIT(&im->outq);
	im->conn = conn_take(p->early, base, dns, &p->conn, imap_conn_cb, im);
	return im;
}

void
imap_free(struct imap *im)
{
	if (im == NULL)
		return;
	im->event = NULL;
	if (im->busy) {
		im->dead = 1;
		conn_free(im->conn); /* no more conn callbacks */
		im->conn = NULL;
		return;
	}
	imap_destroy(im);
}

static void
imap_destroy(struct imap *im)
{
	struct imap_op *op;
	struct imap_cmd *cmd;

	while ((op = TAILQ_FIRST(&im->ops)) != NULL) {
		TAILQ_REMOVE(&im->ops, op, entry);
		imap_op_free(op);
	}
	while ((cmd = TAILQ_FIRST(&im->inflight)) != NULL) {
		TAILQ_REMOVE(&im->inflight, cmd, entry);
		imap_cmd_free(cmd);
	}
	while ((cmd = TAILQ_FIRST(&im->outq)) != NULL) {
		TAILQ_REMOVE(&im->outq, cmd, entry);
		imap_cmd_free(cmd);
	}
	conn_free(im->conn);
	imap_parser_free(im->parser);
	event_free(im->deferred);
	event_free(im->idle_ev);
	event_free(im->stream_ev);
	event_free(im->prep_ev);
	free(im->scram_word);
	free(im->chunk);
	evbuffer_free(im->logbuf);
	sasl_free(im->sasl);
	free(im->host);
	free(im->user);
	free(im->capstr);
	free(im->selected);
	free(im->bye);
	free(im->error);
	free(im->zwhy);
	free((char *)im->cp.host);
	free((char *)im->cp.ca_file);
	free((char *)im->cp.fingerprint);
	free(im);
}

void
imap_connect(struct imap *im, imap_done_cb done, void *arg)
{
	struct imap_op *op;

	if (im->state != IMAP_STATE_NEW)
		fatalx(
		    "%s: bad state %s", __func__, imap_state_names[im->state]);
	op = xcalloc(1, sizeof *op);
	op->kind = IMAP_OP_CONNECT;
	op->done = done;
	op->arg = arg;
	op->started = 1;
	TAILQ_INSERT_HEAD(&im->ops, op, entry);
	imap_set_state(im, IMAP_STATE_CONNECTING);
	conn_expect_reply(im->conn, 1); /* the greeting */
	conn_connect(im->conn);
}

void
imap_list(struct imap *im, imap_folder_cb each, imap_done_cb done, void *arg)
{
	struct imap_op *op = xcalloc(1, sizeof *op);

	op->kind = IMAP_OP_LIST;
	op->each_folder = each;
	op->done = done;
	op->arg = arg;
	imap_op_new(im, op);
}

void
imap_select(struct imap *im, const struct imap_select_params *sp,
    imap_select_cb cb, void *arg)
{
	struct imap_op *op = xcalloc(1, sizeof *op);

	op->kind = IMAP_OP_SELECT;
	op->select_cb = cb;
	op->arg = arg;
	op->sp = *sp;
	op->mailbox = xstrdup(sp->mailbox != NULL ? sp->mailbox : "");
	op->known = sp->known_uids != NULL ? xstrdup(sp->known_uids) : NULL;
	op->sp.mailbox = op->mailbox;
	op->sp.known_uids = op->known;
	imap_op_new(im, op);
}

void
imap_fetch_headers(struct imap *im, uint32_t lo, uint32_t hi, imap_msg_cb each,
    imap_done_cb done, void *arg)
{
	struct imap_op *op = xcalloc(1, sizeof *op);

	op->kind = IMAP_OP_FETCH_HEADERS;
	op->each_msg = each;
	op->done = done;
	op->arg = arg;
	op->lo = lo > 0 ? lo : 1;
	op->hi = hi;
	imap_op_new(im, op);
}

void
imap_fetch_flags(struct imap *im, uint64_t changedsince, imap_msg_cb each,
    imap_done_cb done, void *arg)
{
	struct imap_op *op = xcalloc(1, sizeof *op);

	op->kind = IMAP_OP_FETCH_FLAGS;
	op->each_msg = each;
	op->done = done;
	op->arg = arg;
	op->changedsince = changedsince;
	imap_op_new(im, op);
}

void
imap_search_all(struct imap *im, imap_uids_cb cb, void *arg)
{
	struct imap_op *op = xcalloc(1, sizeof *op);

	op->kind = IMAP_OP_SEARCH;
	op->uids_cb = cb;
	op->arg = arg;
	imap_op_new(im, op);
}

void
imap_search_keys(struct imap *im, const char *keys, imap_uids_cb cb, void *arg)
{
	struct imap_op *op = xcalloc(1, sizeof *op);

	op->kind = IMAP_OP_SEARCH;
	op->uids_cb = cb;
	op->arg = arg;
	if (*keys == '\0' || strpbrk(keys, "\r\n") != NULL ||
	    strlen(keys) > 8000)
		imap_op_fail(op, IMAP_ERR_NO, "cannot search: bad search keys");
	else
		op->keywords = xstrdup(keys);
	imap_op_new(im, op);
}

void
imap_search_msgid(struct imap *im, uint32_t from, const char *msgid,
    imap_uids_cb cb, void *arg)
{
	struct imap_op *op = xcalloc(1, sizeof *op);
	const char *p;

	op->kind = IMAP_OP_SEARCH;
	op->uids_cb = cb;
	op->arg = arg;
	/* A quoted string: printable ASCII without " and \ (RFC 5322 allows
	 * neither in a msg-id without quoting, and none is sent as a
	 * literal). */
	for (p = msgid; *p != '\0'; p++) {
		if (*p < 0x21 || *p > 0x7e || *p == '"' || *p == '\\')
			break;
	}
	if (*msgid == '\0' || *p != '\0' || strlen(msgid) > 998)
		imap_op_fail(op, IMAP_ERR_NO,
		    "cannot search for a Message-ID with spaces, quotes or "
		    "other than ASCII");
	else
		xasprintf(&op->keywords, "UID %u:* HEADER Message-ID \"<%s>\"",
		    from > 0 ? from : 1, msgid);
	imap_op_new(im, op);
}

void
imap_fetch_body(
    struct imap *im, uint32_t uid, size_t max_bytes, imap_body_cb cb, void *arg)
{
	struct imap_op *op = imap_op_alloc(IMAP_OP_FETCH_BODY, arg);

	op->body_cb = cb;
	op->uid = uid;
	op->max_bytes = max_bytes;
	if (uid == 0)
		imap_op_fail(op, IMAP_ERR_NO, "cannot fetch message 0");
	imap_op_new(im, op);
}

void
imap_fetch_part(struct imap *im, uint32_t uid, const char *section,
    imap_part_cb cb, void *arg)
{
	struct imap_op *op = imap_op_alloc(IMAP_OP_FETCH_BODY, arg);

	op->part_cb = cb;
	op->uid = uid;
	op->section = xstrdup(section != NULL ? section : "");
	if (uid == 0)
		imap_op_fail(op, IMAP_ERR_NO, "cannot fetch message 0");
	else if (!imap_section_ok(op->section))
		imap_op_fail(
		    op, IMAP_ERR_NO, "cannot fetch part '%s'", op->section);
	imap_op_new(im, op);
}

void
imap_store_flags(struct imap *im, const char *uidset, int how,
    unsigned int flags, const char *keywords, uint64_t unchangedsince,
    imap_store_cb cb, void *arg)
{
	struct imap_op *op = imap_op_alloc(IMAP_OP_STORE, arg);

	op->store_cb = cb;
	op->uidset = xstrdup(uidset != NULL ? uidset : "");
	op->how = how;
	op->flags = flags & ~IMAP_FLAG_RECENT;
	op->keywords = keywords != NULL ? xstrdup(keywords) : NULL;
	op->unchangedsince = unchangedsince;
	if (!imap_uidset_valid(op->uidset, &op->nset))
		imap_op_fail(op, IMAP_ERR_NO,
		    "cannot change flags: bad uid set '%s'", op->uidset);
	else if (!imap_keywords_ok(op->keywords))
		imap_op_fail(op, IMAP_ERR_NO,
		    "cannot change flags: bad keyword in '%s'", op->keywords);
	imap_op_new(im, op);
}

/* COPY or MOVE; see imap_copy() and imap_move(). */
static void
imap_copy_new(struct imap *im, const char *uidset, const char *raw, int move,
    imap_copy_cb cb, void *arg)
{
	struct imap_op *op = imap_op_alloc(IMAP_OP_COPY, arg);

	op->copy_cb = cb;
	op->move = move;
	op->copied.how = move ? IMAP_MOVE_MOVE : IMAP_MOVE_COPY;
	op->uidset = xstrdup(uidset != NULL ? uidset : "");
	op->mailbox = xstrdup(raw != NULL ? raw : "");
	if (!imap_uidset_valid(op->uidset, &op->nset))
		imap_op_fail(op, IMAP_ERR_NO,
		    "cannot %s messages: bad uid set '%s'",
		    move ? "move" : "copy", op->uidset);
	imap_op_new(im, op);
}

void
imap_copy(struct imap *im, const char *uidset, const char *raw, imap_copy_cb cb,
    void *arg)
{
	imap_copy_new(im, uidset, raw, 0, cb, arg);
}

void
imap_move(struct imap *im, const char *uidset, const char *raw, imap_copy_cb cb,
    void *arg)
{
	imap_copy_new(im, uidset, raw, 1, cb, arg);
}

void
imap_expunge(struct imap *im, const char *uidset, imap_done_cb done, void *arg)
{
	struct imap_op *op = imap_op_alloc(IMAP_OP_EXPUNGE, arg);

	op->done = done;
	if (uidset != NULL) {
		op->uidset = xstrdup(uidset);
		if (!imap_uidset_valid(op->uidset, NULL))
			imap_op_fail(op, IMAP_ERR_NO,
			    "cannot expunge: bad uid set '%s'", op->uidset);
	}
	imap_op_new(im, op);
}

void
imap_idle_start(struct imap *im, imap_done_cb started, void *arg)
{
	struct imap_op *op = imap_op_alloc(IMAP_OP_IDLE, arg);

	op->done = started;
	imap_op_new(im, op);
}

void
imap_idle_stop(struct imap *im)
{
	struct imap_op *op;

	TAILQ_FOREACH(op, &im->ops, entry)
	{
		if (op->kind == IMAP_OP_IDLE) {
			op->idle_stop = 1;
			op->renew = 0;
		}
	}
	imap_idle_done(im);
}

int
imap_idling(const struct imap *im)
{
	return im->idle != NULL;
}

void
imap_noop(struct imap *im, imap_done_cb done, void *arg)
{
	struct imap_op *op = imap_op_alloc(IMAP_OP_NOOP, arg);

	op->done = done;
	imap_op_new(im, op);
}

void
imap_notify(struct imap *im, const char *spec, imap_done_cb done, void *arg)
{
	struct imap_op *op = imap_op_alloc(IMAP_OP_NOTIFY, arg);

	op->done = done;
	op->mailbox = xstrdup(spec);
	imap_op_new(im, op);
}

char *
imap_mailbox_encode(const struct imap *im, const char *name)
{
	char *s;

	if ((s = imap_utf7_encode(name, strlen(name))) == NULL)
		return NULL; /* not valid UTF-8 */
	if (im->enabled & IMAP_CAP_UTF8_ACCEPT) {
		free(s);
		return xstrdup(name);
	}
	return s;
}

/* A folder change: verb on raw (and raw2 for RENAME). */
static void
imap_mailbox_new(struct imap *im, const char *verb, const char *raw,
    const char *raw2, imap_done_cb done, void *arg)
{
	struct imap_op *op = imap_op_alloc(IMAP_OP_MAILBOX, arg);

	op->done = done;
	op->verb = verb;
	op->mailbox = xstrdup(raw != NULL ? raw : "");
	if (raw2 != NULL)
		op->mailbox2 = xstrdup(raw2);
	imap_op_new(im, op);
}

void
imap_create(struct imap *im, const char *raw, imap_done_cb done, void *arg)
{
	imap_mailbox_new(im, "CREATE", raw, NULL, done, arg);
}

void
imap_delete(struct imap *im, const char *raw, imap_done_cb done, void *arg)
{
	imap_mailbox_new(im, "DELETE", raw, NULL, done, arg);
}

void
imap_rename(struct imap *im, const char *old_raw, const char *new_raw,
    imap_done_cb done, void *arg)
{
	imap_mailbox_new(
	    im, "RENAME", old_raw, new_raw != NULL ? new_raw : "", done, arg);
}

void
imap_subscribe(
    struct imap *im, const char *raw, int on, imap_done_cb done, void *arg)
{
	imap_mailbox_new(
	    im, on ? "SUBSCRIBE" : "UNSUBSCRIBE", raw, NULL, done, arg);
}

void
imap_status(struct imap *im, const char *raw, imap_status_cb cb, void *arg)
{
	struct imap_op *op = imap_op_alloc(IMAP_OP_STATUS, arg);

	op->status_cb = cb;
	op->mailbox = xstrdup(raw != NULL ? raw : "");
	imap_op_new(im, op);
}

void
imap_append(struct imap *im, const char *raw, unsigned int flags,
    const char *msg, size_t len, imap_append_cb cb, void *arg)
{
	struct imap_op *op = imap_op_alloc(IMAP_OP_APPEND, arg);

	op->append_cb = cb;
	op->mailbox = xstrdup(raw != NULL ? raw : "");
	op->flags = flags;
	op->msg = xmalloc(len + 1);
	if (len > 0)
		memcpy(op->msg, msg, len);
	op->msg[len] = '\0';
	op->msg_len = len;
	imap_op_new(im, op);
}

void
imap_append_file(struct imap *im, const char *raw, unsigned int flags, int fd,
    imap_append_cb cb, void *arg)
{
	struct imap_op *op = imap_op_alloc(IMAP_OP_APPEND, arg);
	struct stat sb;

	op->append_cb = cb;
	op->mailbox = xstrdup(raw != NULL ? raw : "");
	op->flags = flags;
	if ((op->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    fstat(op->fd, &sb) == -1)
		imap_op_fail(op, IMAP_ERR_NO, "cannot append to '%s': %s",
		    op->mailbox, strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		imap_op_fail(op, IMAP_ERR_NO,
		    "cannot append to '%s': the message is not a file",
		    op->mailbox);
	else
		op->msg_len = (size_t)sb.st_size;
	op->file = op->fd != -1;
	imap_op_new(im, op);
}

void
imap_logout(struct imap *im, imap_done_cb done, void *arg)
{
	struct imap_op *op = xcalloc(1, sizeof *op);

	op->kind = IMAP_OP_LOGOUT;
	op->done = done;
	op->arg = arg;
	imap_op_new(im, op);
}

enum imap_state
imap_state(const struct imap *im)
{
	return im->state;
}

unsigned int
imap_caps(const struct imap *im)
{
	return im->caps;
}

unsigned int
imap_enabled(const struct imap *im)
{
	return im->enabled;
}

const char *
imap_capability_string(const struct imap *im)
{
	return im->capstr;
}

const char *
imap_error(const struct imap *im)
{
	return im->error;
}

enum conn_fail
imap_conn_fail(const struct imap *im)
{
	return im->conn_fail;
}

int
imap_compressed(const struct imap *im)
{
	return im->zon;
}

const char *
imap_compress_why(const struct imap *im)
{
	return im->zwhy;
}

const char *
imap_tls_version(const struct imap *im)
{
	return im->conn != NULL ? conn_tls_version(im->conn) : NULL;
}

const char *
imap_auth_mech(const struct imap *im)
{
	return im->mech_used;
}

static void
imap_set_state(struct imap *im, enum imap_state s)
{
	if (im->state != s)
		plog_note(im->log, im->host, "imap: %s -> %s",
		    imap_state_names[im->state], imap_state_names[s]);
	im->state = s;
}

/* --- operations --------------------------------------------------------- */

/* Queue an operation; on a closed session it fails from the loop. */
static void
imap_op_new(struct imap *im, struct imap_op *op)
{
	struct imap_op *first;

	TAILQ_INSERT_TAIL(&im->ops, op, entry);
	/* Another operation ends IDLE first. */
	first = TAILQ_FIRST(&im->ops);
	if (first != NULL && first != op && first->kind == IMAP_OP_IDLE &&
	    first->started && op->err == IMAP_ERR_NONE) {
		first->renew = 0;
		first->idle_stop = 1;
		imap_idle_done(im);
	}
	if (im->state == IMAP_STATE_CLOSED || im->state == IMAP_STATE_LOGOUT ||
	    im->dead) {
		imap_op_fail(op, IMAP_ERR_CLOSED, "the session with %s is over",
		    im->host);
		event_active(im->deferred, 0, 0);
		return;
	}
	if (!im->busy)
		imap_run(im);
	else
		event_active(im->deferred, 0, 0);
}

/* Operations that wait for the pipe to drain and hold back the rest:
 * those that change the folder or the session. */
static int
imap_op_barrier(const struct imap_op *op)
{
	switch (op->kind) {
	case IMAP_OP_LIST:
	case IMAP_OP_FETCH_HEADERS:
	case IMAP_OP_FETCH_FLAGS:
	case IMAP_OP_SEARCH:
	case IMAP_OP_FETCH_BODY:
	case IMAP_OP_NOOP:
	case IMAP_OP_STATUS:
		return 0;
	default:
		return 1;
	}
}

/* Start what may start: in order, pipelined up to the next barrier. */
static void
imap_run(struct imap *im)
{
	struct imap_op *op, *next;
	int active = 0;

	for (op = TAILQ_FIRST(&im->ops); op != NULL && !im->dead; op = next) {
		next = TAILQ_NEXT(op, entry);
		if (im->zwait)
			return; /* what follows goes compressed, or not */
		if (op->err != IMAP_ERR_NONE && !op->started) {
			event_active(im->deferred, 0, 0); /* fails from there */
			continue;
		}
		if (op->started) {
			if (imap_op_barrier(op))
				return;
			active++;
			continue;
		}
		if (im->state != IMAP_STATE_READY &&
		    im->state != IMAP_STATE_SELECTED)
			return;
		if (imap_op_barrier(op) && active > 0)
			return;
		imap_op_start(im, op);
		if (imap_op_barrier(op))
			return;
		active++;
	}
}

static void
imap_op_start(struct imap *im, struct imap_op *op)
{
	struct imap_cmd *cmd;
	struct imap_str w = {0}, l = {0};

	op->started = 1;
	switch (op->kind) {
	case IMAP_OP_LIST:
		if ((im->caps & IMAP_CAP_LIST_EXTENDED) != 0) {
			imap_simple(im, IMAP_CMD_LIST, op,
			    "LIST \"\" \"*\" RETURN (SUBSCRIBED%s%s)",
			    (im->caps & IMAP_CAP_SPECIAL_USE) ? " SPECIAL-USE"
			                                      : "",
			    (im->caps & IMAP_CAP_LIST_STATUS)
			        ? " STATUS (MESSAGES UNSEEN)"
			        : "");
		} else {
			imap_simple(im, IMAP_CMD_LIST, op, "LIST \"\" \"*\"");
			imap_simple(im, IMAP_CMD_LSUB, op, "LSUB \"\" \"*\"");
		}
		break;
	case IMAP_OP_SELECT:
		free(im->selected);
		im->selected = NULL;
		op->display =
		    imap_display(im, op->mailbox, strlen(op->mailbox));
		cmd = imap_cmd_new(im, IMAP_CMD_SELECT, op);
		imap_str_printf(&w, "a%u %s ", cmd->tag,
		    op->sp.readonly ? "EXAMINE" : "SELECT");
		imap_str_add(&l, w.s, w.len);
		imap_put_string(
		    im, cmd, &w, &l, op->mailbox, strlen(op->mailbox), 0);
		if ((im->enabled & IMAP_CAP_QRESYNC) && op->sp.uidvalidity &&
		    op->sp.highestmodseq) {
			op->qresync_sent = 1;
			imap_str_printf(&w, " (QRESYNC (%u %llu",
			    op->sp.uidvalidity,
			    (unsigned long long)op->sp.highestmodseq);
			imap_str_printf(&l, " (QRESYNC (%u %llu",
			    op->sp.uidvalidity,
			    (unsigned long long)op->sp.highestmodseq);
			if (op->known != NULL && *op->known != '\0' &&
			    strspn(op->known, "0123456789:,*") ==
			        strlen(op->known)) {
				imap_str_printf(&w, " %s", op->known);
				imap_str_printf(&l, " %s", op->known);
			}
			imap_str_add(&w, "))", 2);
			imap_str_add(&l, "))", 2);
		} else if (im->caps & IMAP_CAP_CONDSTORE) {
			imap_str_add(&w, " (CONDSTORE)", 12);
			imap_str_add(&l, " (CONDSTORE)", 12);
		}
		imap_cmd_end(cmd, &w, &l, 0);
		imap_set_state(im, IMAP_STATE_SELECTING);
		imap_cmd_queue(im, cmd);
		break;
	case IMAP_OP_FETCH_HEADERS:
		if (im->state != IMAP_STATE_SELECTED) {
			op->started = 0;
			imap_op_fail(op, IMAP_ERR_NO,
			    "cannot fetch headers: no folder is selected");
			event_active(im->deferred, 0, 0);
			return;
		}
		op->pending++; /* counted by imap_literal_bound() */
		imap_literal_bound(im);
		op->pending--;
		if (op->hi == 0)
			imap_simple(im, IMAP_CMD_FETCH, op,
			    "UID FETCH %u:* (UID FLAGS INTERNALDATE "
			    "RFC822.SIZE%s "
			    "BODY.PEEK[HEADER.FIELDS (" IMAP_HEADER_FIELDS
			    ")])",
			    op->lo, im->condstore ? " MODSEQ" : "");
		else
			imap_simple(im, IMAP_CMD_FETCH, op,
			    "UID FETCH %u:%u (UID FLAGS INTERNALDATE "
			    "RFC822.SIZE%s BODY.PEEK[HEADER.FIELDS "
			    "(" IMAP_HEADER_FIELDS ")])",
			    op->lo, op->hi, im->condstore ? " MODSEQ" : "");
		break;
	case IMAP_OP_FETCH_FLAGS:
		if (im->state != IMAP_STATE_SELECTED) {
			op->started = 0;
			imap_op_fail(op, IMAP_ERR_NO,
			    "cannot fetch flags: no folder is selected");
			event_active(im->deferred, 0, 0);
			return;
		}
		if (im->condstore && op->changedsince > 0)
			imap_simple(im, IMAP_CMD_FETCH, op,
			    "UID FETCH 1:* (UID FLAGS MODSEQ) (CHANGEDSINCE "
			    "%llu)",
			    (unsigned long long)op->changedsince);
		else
			imap_simple(im, IMAP_CMD_FETCH, op,
			    "UID FETCH 1:* (UID FLAGS%s)",
			    im->condstore ? " MODSEQ" : "");
		break;
	case IMAP_OP_SEARCH:
		if (im->state != IMAP_STATE_SELECTED) {
			op->started = 0;
			imap_op_fail(op, IMAP_ERR_NO,
			    "cannot search: no folder is selected");
			event_active(im->deferred, 0, 0);
			return;
		}
		if (im->caps & IMAP_CAP_ESEARCH)
			imap_simple(im, IMAP_CMD_SEARCH, op,
			    "UID SEARCH RETURN (ALL) %s",
			    op->keywords != NULL ? op->keywords : "ALL");
		else
			imap_simple(im, IMAP_CMD_SEARCH, op, "UID SEARCH %s",
			    op->keywords != NULL ? op->keywords : "ALL");
		break;
	case IMAP_OP_LOGOUT:
		/* Its reply is not waited for: done runs from the loop. */
		imap_set_state(im, IMAP_STATE_LOGOUT);
		imap_simple(im, IMAP_CMD_LOGOUT, NULL, "LOGOUT");
		event_active(im->deferred, 0, 0);
		break;
	case IMAP_OP_FETCH_BODY:
		if (imap_need_selected(im, op, "fetch a message") != 0)
			return;
		if (op->section != NULL) {
			imap_part_send(im, op);
			break;
		}
		cmd = imap_cmd_new(im, IMAP_CMD_BODY, op);
		imap_literal_bound(im);
		if (op->max_bytes > 0)
			imap_str_printf(&w,
			    "a%u UID FETCH %u (UID RFC822.SIZE "
			    "BODY.PEEK[]<0.%zu>)",
			    cmd->tag, op->uid, op->max_bytes);
		else
			imap_str_printf(&w,
			    "a%u UID FETCH %u (UID RFC822.SIZE BODY.PEEK[])",
			    cmd->tag, op->uid);
		imap_cmd_end(cmd, &w, &l, 0);
		imap_cmd_queue(im, cmd);
		break;
	case IMAP_OP_STORE:
		if (imap_need_selected(im, op, "change flags") != 0)
			return;
		imap_store_send(im, op, op->uidset, op->how, op->flags,
		    op->keywords, op->unchangedsince);
		break;
	case IMAP_OP_COPY:
		if (imap_need_selected(im, op,
		        op->move ? "move messages" : "copy messages") != 0)
			return;
		op->display =
		    imap_display(im, op->mailbox, strlen(op->mailbox));
		if (op->move && (im->caps & IMAP_CAP_MOVE)) {
			op->copied.how = IMAP_MOVE_MOVE;
			imap_mailbox_cmd(im, IMAP_CMD_COPY, op, "UID MOVE",
			    op->uidset, op->mailbox, NULL);
		} else {
			op->copied.how = !op->move          ? IMAP_MOVE_COPY
			    : (im->caps & IMAP_CAP_UIDPLUS) ? IMAP_MOVE_EXPUNGE
			                                    : IMAP_MOVE_DELETED;
			imap_mailbox_cmd(im, IMAP_CMD_COPY, op, "UID COPY",
			    op->uidset, op->mailbox, NULL);
		}
		break;
	case IMAP_OP_EXPUNGE:
		if (imap_need_selected(im, op, "expunge") != 0)
			return;
		if (op->uidset != NULL && (im->caps & IMAP_CAP_UIDPLUS))
			imap_simple(im, IMAP_CMD_EXPUNGE, op, "UID EXPUNGE %s",
			    op->uidset);
		else
			imap_simple(im, IMAP_CMD_EXPUNGE, op, "EXPUNGE");
		break;
	case IMAP_OP_IDLE:
		if (!(im->caps & IMAP_CAP_IDLE)) {
			op->started = 0;
			imap_op_fail(op, IMAP_ERR_NO,
			    "cannot idle: %s does not offer IDLE", im->host);
			event_active(im->deferred, 0, 0);
			return;
		}
		imap_idle_send(im, op);
		break;
	case IMAP_OP_NOOP:
		imap_simple(im, IMAP_CMD_NOOP, op, "NOOP");
		break;
	case IMAP_OP_NOTIFY:
		if (!(im->caps & IMAP_CAP_NOTIFY)) {
			op->started = 0;
			imap_op_fail(op, IMAP_ERR_NO,
			    "cannot set NOTIFY: %s does not offer it",
			    im->host);
			event_active(im->deferred, 0, 0);
			return;
		}
		imap_simple(
		    im, IMAP_CMD_NOOP, op, "NOTIFY SET %s", op->mailbox);
		break;
	case IMAP_OP_MAILBOX:
		op->display =
		    imap_display(im, op->mailbox, strlen(op->mailbox));
		if (op->mailbox2 != NULL)
			op->display2 = imap_display(
			    im, op->mailbox2, strlen(op->mailbox2));
		imap_mailbox_cmd(im, IMAP_CMD_MAILBOX, op, op->verb, NULL,
		    op->mailbox, op->mailbox2);
		break;
	case IMAP_OP_STATUS:
		op->display =
		    imap_display(im, op->mailbox, strlen(op->mailbox));
		cmd = imap_cmd_new(im, IMAP_CMD_STATUS1, op);
		imap_str_printf(&w, "a%u STATUS ", cmd->tag);
		imap_str_add(&l, w.s, w.len);
		imap_put_string(
		    im, cmd, &w, &l, op->mailbox, strlen(op->mailbox), 0);
		imap_str_printf(&w, " (MESSAGES UNSEEN UIDNEXT UIDVALIDITY%s)",
		    (im->caps & IMAP_CAP_CONDSTORE) ? " HIGHESTMODSEQ" : "");
		imap_str_printf(&l, " (MESSAGES UNSEEN UIDNEXT UIDVALIDITY%s)",
		    (im->caps & IMAP_CAP_CONDSTORE) ? " HIGHESTMODSEQ" : "");
		imap_cmd_end(cmd, &w, &l, 0);
		imap_cmd_queue(im, cmd);
		break;
	case IMAP_OP_APPEND:
		op->display =
		    imap_display(im, op->mailbox, strlen(op->mailbox));
		cmd = imap_cmd_new(im, IMAP_CMD_APPEND, op);
		imap_str_printf(&w, "a%u APPEND ", cmd->tag);
		imap_str_add(&l, w.s, w.len);
		imap_put_string(
		    im, cmd, &w, &l, op->mailbox, strlen(op->mailbox), 0);
		imap_str_add(&w, " (", 2);
		imap_flag_names(&w, op->flags & ~IMAP_FLAG_RECENT, NULL);
		imap_str_add(&w, ") ", 2);
		imap_str_add(&l, w.s + l.len, w.len - l.len);
		if ((im->caps & IMAP_CAP_LITERALPLUS) ||
		    ((im->caps & IMAP_CAP_LITERALMINUS) &&
		        op->msg_len <= IMAP_LITERAL_MINUS)) {
			imap_str_printf(&w, "{%zu+}\r\n", op->msg_len);
			imap_str_printf(&l, "{%zu+}\r\n", op->msg_len);
		} else {
			imap_str_printf(&w, "{%zu}", op->msg_len);
			imap_str_printf(&l, "{%zu}", op->msg_len);
			imap_cmd_end(cmd, &w, &l, 1);
		}
		if (op->file) {
			/* The file follows as the output drains. */
			cmd->stream = IMAP_STREAM_SYNC;
			if (w.len > 0) {
				w.len -= 2; /* the "\r\n" imap_cmd_end() puts */
				l.len -= 2;
				imap_cmd_end(cmd, &w, &l, 1);
				cmd->stream = IMAP_STREAM_PLUS;
			}
			imap_cmd_queue(im, cmd);
			break;
		}
		imap_str_add(&w, op->msg, op->msg_len);
		imap_str_printf(&l, "<message of %zu bytes>", op->msg_len);
		imap_cmd_end(cmd, &w, &l, 0);
		imap_cmd_queue(im, cmd);
		break;
	case IMAP_OP_CONNECT:
		fatalx("%s: connect is not queued", __func__);
	}
}

/* Record the first failure of an operation. */
static void
imap_op_fail(struct imap_op *op, enum imap_err err, const char *fmt, ...)
{
	va_list ap;

	if (op->err != IMAP_ERR_NONE)
		return;
	op->err = err;
	va_start(ap, fmt);
	xvasprintf(&op->error, fmt, ap);
	va_end(ap);
}

/* Remove the operation, run its callback, free it. */
static void
imap_op_finish(struct imap *im, struct imap_op *op)
{
	static const struct imap_uidset empty;
	struct imap_uidset set;
	struct imap_body body;
	struct imap_part part;
	size_t i;

	TAILQ_REMOVE(&im->ops, op, entry);
	if (im->dead) {
		imap_op_free(op);
		return;
	}
	im->busy++;
	switch (op->kind) {
	case IMAP_OP_LIST:
		if (op->err == IMAP_ERR_NONE)
			imap_list_deliver(im, op);
		if (!im->dead && op->done != NULL)
			op->done(im, op->err, op->error, op->arg);
		break;
	case IMAP_OP_SELECT:
		if (op->select_cb != NULL)
			op->select_cb(im, op->err, op->error,
			    op->err == IMAP_ERR_NONE ? &op->sel : NULL,
			    op->arg);
		break;
	case IMAP_OP_SEARCH:
		if (op->uids_cb == NULL)
			break;
		if (op->err != IMAP_ERR_NONE) {
			op->uids_cb(im, op->err, op->error, &empty, op->arg);
			break;
		}
		memset(&set, 0, sizeof set);
		if (op->nranges > 0) {
			/* Sort and merge: answers may come in any order. */
			qsort(op->ranges, op->nranges, sizeof *op->ranges,
			    imap_range_cmp);
			for (i = 0; i < op->nranges; i++) {
				if (set.n > 0 &&
				    (uint64_t)op->ranges[i].lo <=
				        (uint64_t)op->ranges[set.n - 1].hi +
				            1) {
					if (op->ranges[i].hi >
					    op->ranges[set.n - 1].hi)
						op->ranges[set.n - 1].hi =
						    op->ranges[i].hi;
					continue;
				}
				op->ranges[set.n++] = op->ranges[i];
			}
			for (i = 0; i < set.n; i++)
				set.count += (uint64_t)op->ranges[i].hi -
				    op->ranges[i].lo + 1;
			set.r = op->ranges;
		}
		op->uids_cb(im, IMAP_ERR_NONE, NULL, &set, op->arg);
		break;
	case IMAP_OP_FETCH_BODY:
		if (op->part_cb != NULL) {
			memset(&part, 0, sizeof part);
			part.uid = op->uid;
			part.section = op->section;
			part.data = op->body != NULL ? op->body : "";
			part.len = op->body_len;
			part.decoded = op->binary;
			op->part_cb(im, op->err, op->error,
			    op->err == IMAP_ERR_NONE ? &part : NULL, op->arg);
			break;
		}
		if (op->body_cb == NULL)
			break;
		memset(&body, 0, sizeof body);
		body.uid = op->uid;
		body.data = op->body;
		body.len = op->body_len;
		body.size = op->body_size;
		body.partial = body.size > body.len || op->body_cut;
		op->body_cb(im, op->err, op->error,
		    op->err == IMAP_ERR_NONE ? &body : NULL, op->arg);
		break;
	case IMAP_OP_STORE:
		if (op->store_cb == NULL)
			break;
		memset(&set, 0, sizeof set);
		if (op->err == IMAP_ERR_NONE && op->nranges > 0) {
			set.r = op->ranges;
			set.n = op->nranges;
			for (i = 0; i < set.n; i++)
				set.count += (uint64_t)op->ranges[i].hi -
				    op->ranges[i].lo + 1;
		}
		op->store_cb(im, op->err, op->error, &set, op->arg);
		break;
	case IMAP_OP_COPY:
		if (op->copy_cb != NULL)
			op->copy_cb(
			    im, op->err, op->error, &op->copied, op->arg);
		break;
	case IMAP_OP_STATUS:
		if (op->status_cb != NULL)
			op->status_cb(im, op->err, op->error,
			    op->err == IMAP_ERR_NONE ? &op->st : NULL, op->arg);
		break;
	case IMAP_OP_APPEND:
		if (op->append_cb != NULL)
			op->append_cb(im, op->err, op->error,
			    op->err == IMAP_ERR_NONE ? op->append_uidvalidity
			                             : 0,
			    op->err == IMAP_ERR_NONE ? op->append_uid : 0,
			    op->arg);
		break;
	default:
		if (op->done != NULL)
			op->done(im, op->err, op->error, op->arg);
		break;
	}
	im->busy--;
	imap_op_free(op);
}

static int
imap_range_cmp(const void *a, const void *b)
{
	const struct imap_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

static void
imap_op_free(struct imap_op *op)
{
	size_t i;

	free(op->body);
	free(op->section);
	free(op->uidset);
	free(op->keywords);
	free(op->src);
	free(op->dst);
	free(op->mailbox2);
	free(op->display2);
	free(op->msg);
	if (op->file)
		close(op->fd);
	for (i = 0; i < op->nfolders; i++)
		free(op->folders[i].raw);
	free(op->folders);
	free(op->mailbox);
	free(op->known);
	free(op->display);
	free(op->ranges);
	free(op->error);
	free(op);
}

/* Operations that failed without reaching the wire, and queued work. */
static void
imap_deferred_cb(evutil_socket_t fd, short events, void *arg)
{
	struct imap *im = arg;
	struct imap_op *op, *next;

	im->busy++;
	for (op = TAILQ_FIRST(&im->ops); op != NULL && !im->dead; op = next) {
		next = TAILQ_NEXT(op, entry);
		if ((!op->started && op->err != IMAP_ERR_NONE) ||
		    (op->started && op->kind == IMAP_OP_LOGOUT))
			imap_op_finish(im, op);
	}
	if (!im->dead && im->state != IMAP_STATE_CLOSED)
		imap_run(im);
	im->busy--;
	if (im->dead && im->busy == 0)
		imap_destroy(im);
}

/* End the session: every operation fails, then IMAP_EV_CLOSED. */
static void
imap_failf(struct imap *im, enum imap_err err, const char *fmt, ...)
{
	struct imap_event ev;
	struct imap_op *op;
	struct imap_cmd *cmd;
	va_list ap;

	if (im->state == IMAP_STATE_CLOSED)
		return;
	va_start(ap, fmt);
	free(im->error);
	xvasprintf(&im->error, fmt, ap);
	va_end(ap);
	plog_note(im->log, im->host, "imap: session failed: %s", im->error);
	imap_set_state(im, IMAP_STATE_CLOSED);
	im->proof_wait = 0;
	if (im->conn != NULL)
		im->conn_fail = conn_fail(im->conn);
	conn_free(im->conn);
	im->conn = NULL;
	while ((cmd = TAILQ_FIRST(&im->inflight)) != NULL) {
		TAILQ_REMOVE(&im->inflight, cmd, entry);
		imap_cmd_free(cmd);
	}
	while ((cmd = TAILQ_FIRST(&im->outq)) != NULL) {
		TAILQ_REMOVE(&im->outq, cmd, entry);
		imap_cmd_free(cmd);
	}
	im->blocked = NULL;
	im->streaming = NULL;
	im->idle = NULL;
	evtimer_del(im->idle_ev);

	im->busy++;
	while ((op = TAILQ_FIRST(&im->ops)) != NULL && !im->dead) {
		imap_op_fail(
		    op, op->started ? err : IMAP_ERR_CLOSED, "%s", im->error);
		imap_op_finish(im, op);
	}
	if (!im->dead) {
		memset(&ev, 0, sizeof ev);
		ev.type = IMAP_EV_CLOSED;
		ev.err = err;
		ev.text = im->error;
		imap_event_send(im, &ev);
	}
	im->busy--;
}

/* --- commands ----------------------------------------------------------- */

static struct imap_cmd *
imap_cmd_new(struct imap *im, enum imap_cmd_kind kind, struct imap_op *op)
{
	struct imap_cmd *cmd = xcalloc(1, sizeof *cmd);

	cmd->tag = ++im->tag;
	cmd->kind = kind;
	cmd->op = op;
	if (op != NULL)
		op->pending++;
	return cmd;
}

static void
imap_cmd_free(struct imap_cmd *cmd)
{
	int i;

	for (i = 0; i < cmd->nparts; i++) {
		/* A piece logged otherwise holds a secret. */
		if (cmd->partlog[i] != NULL)
			OPENSSL_cleanse(cmd->part[i], cmd->partlen[i]);
		free(cmd->part[i]);
		free(cmd->partlog[i]);
	}
	free(cmd);
}

/* Close the piece built in w (wire) and l (log) as the command's next
 * one; more: a synchronising literal follows, else the line ends. */
static void
imap_cmd_end(
    struct imap_cmd *cmd, struct imap_str *w, struct imap_str *l, int more)
{
	if (cmd->nparts >= IMAP_CMD_PARTS)
		fatalx("%s: too many pieces", __func__);
	imap_str_add(w, "\r\n", 2);
	cmd->part[cmd->nparts] = w->s;
	cmd->partlen[cmd->nparts] = w->len;
	if (l->len != w->len - 2 || memcmp(l->s, w->s, l->len) != 0)
		cmd->partlog[cmd->nparts] = l->s;
	else
		free(l->s);
	cmd->nparts++;
	memset(w, 0, sizeof *w);
	memset(l, 0, sizeof *l);
}

/* A command without arguments that need quoting: "TAG text". */
static void
imap_simple(struct imap *im, enum imap_cmd_kind kind, struct imap_op *op,
    const char *fmt, ...)
{
	struct imap_cmd *cmd = imap_cmd_new(im, kind, op);
	struct imap_str w = {0}, l = {0};
	va_list ap;
	char *s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	imap_str_printf(&w, "a%u %s", cmd->tag, s);
	free(s);
	imap_cmd_end(cmd, &w, &l, 0);
	imap_cmd_queue(im, cmd);
}

static void
imap_cmd_queue(struct imap *im, struct imap_cmd *cmd)
{
	TAILQ_INSERT_TAIL(&im->outq, cmd, entry);
	imap_flush(im);
}

/* Send queued commands until one waits for a continuation. */
static void
imap_flush(struct imap *im)
{
	struct imap_cmd *cmd;

	while (im->blocked == NULL && im->conn != NULL &&
	    (cmd = TAILQ_FIRST(&im->outq)) != NULL) {
		TAILQ_REMOVE(&im->outq, cmd, entry);
		TAILQ_INSERT_TAIL(&im->inflight, cmd, entry);
		imap_send_part(im, cmd);
		if (cmd->sent < cmd->nparts || cmd->exchange ||
		    cmd->stream == IMAP_STREAM_SYNC)
			im->blocked = cmd;
		else if (cmd->stream == IMAP_STREAM_PLUS)
			imap_stream_begin(im, cmd);
	}
	imap_expect(im);
}

static void
imap_send_part(struct imap *im, struct imap_cmd *cmd)
{
	int i = cmd->sent++;

	if (cmd->partlog[i] != NULL)
		conn_write_secret(
		    im->conn, cmd->part[i], cmd->partlen[i], cmd->partlog[i]);
	else
		conn_write(im->conn, cmd->part[i], cmd->partlen[i]);
}

/* The idle timeout runs while a reply is awaited. */
static void
imap_expect(struct imap *im)
{
	if (im->conn != NULL && im->state >= IMAP_STATE_READY)
		conn_expect_reply(
		    im->conn, !TAILQ_EMPTY(&im->inflight) && im->idle == NULL);
}

/* The line of cmd is out up to its literal: send the op's file as the
 * output drains (net/conn caps what TLS holds of it), from the loop. */
static void
imap_stream_begin(struct imap *im, struct imap_cmd *cmd)
{
	im->blocked = cmd;
	im->streaming = cmd;
	cmd->op->off = 0;
	if (im->chunk == NULL)
		im->chunk = xmalloc(IMAP_CHUNK);
	conn_set_drain(im->conn, IMAP_DRAIN_LOW, imap_stream_drain_cb);
	event_active(im->stream_ev, 0, 0);
}

/* Queue the next pieces of the file while the output is short; the end of
 * the line once it is all sent. */
static void
imap_stream(struct imap *im)
{
	struct imap_op *op;
	ssize_t n;
	size_t want;
	char c;

	if (im->streaming == NULL || im->conn == NULL || im->dead)
		return;
	op = im->streaming->op;
	while (conn_output_length(im->conn) < IMAP_DRAIN_LOW) {
		if (op->off == op->msg_len) {
			/* Grown, its end would be cut off: the size is sent. */
			while (
			    (n = pread(op->fd, &c, 1, (off_t)op->off)) == -1 &&
			    errno == EINTR)
				;
			if (n == -1)
				imap_stream_fail(im,
				    "cannot read the message file: %s",
				    strerror(errno));
			else if (n > 0)
				imap_stream_fail(im,
				    "the message file grew past %zu bytes "
				    "while it was sent",
				    op->msg_len);
			else
				imap_stream_end(im);
			return;
		}
		want = op->msg_len - op->off;
		if (want > IMAP_CHUNK)
			want = IMAP_CHUNK;
		n = pread(op->fd, im->chunk, want, (off_t)op->off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			imap_stream_fail(im, "cannot read the message file: %s",
			    strerror(errno));
			return;
		}
		if (n == 0) {
			imap_stream_fail(im,
			    "the message file shrank from %zu to %zu bytes "
			    "while it was sent",
			    op->msg_len, (size_t)op->off);
			return;
		}
		conn_write_unlogged(im->conn, im->chunk, (size_t)n);
		op->off += (uint64_t)n;
	}
	imap_expect(im); /* each drain restarts the clock */
}

/* The file is out: end the line, and what waited behind it may go. */
static void
imap_stream_end(struct imap *im)
{
	struct imap_op *op = im->streaming->op;
	char *s;
	int n;

	conn_write_unlogged(im->conn, "\r\n", 2);
	n = xasprintf(&s, "<message of %zu bytes>", op->msg_len);
	plog_write(im->log, im->host, '>', s, (size_t)n);
	free(s);
	conn_set_drain(im->conn, 0, NULL);
	close(op->fd);
	op->file = 0;
	free(im->chunk);
	im->chunk = NULL;
	im->streaming = NULL;
	im->blocked = NULL;
	imap_flush(im);
}

/* The file cannot be sent as announced: a literal cannot be cut short,
 * so the connection goes; the operation says why. */
static void
imap_stream_fail(struct imap *im, const char *fmt, ...)
{
	struct imap_op *op = im->streaming->op;
	va_list ap;
	char *why;

	va_start(ap, fmt);
	xvasprintf(&why, fmt, ap);
	va_end(ap);
	imap_op_fail(op, IMAP_ERR_CONN,
	    "cannot append to '%s': %s; the connection to %s is dropped, "
	    "as a literal cannot be cut short",
	    op->display, why, im->host);
	conn_set_drain(im->conn, 0, NULL);
	im->streaming = NULL;
	imap_failf(im, IMAP_ERR_CONN, "%s", op->error);
	free(why);
}

static void
imap_stream_drain_cb(struct conn *c, void *arg)
{
	struct imap *im = arg;

	(void)c;
	im->busy++;
	imap_stream(im);
	im->busy--;
	if (im->dead && im->busy == 0)
		imap_destroy(im);
}

static void
imap_stream_ev_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	imap_stream_drain_cb(NULL, arg);
}

static void
imap_str_add(struct imap_str *s, const char *data, size_t n)
{
	size_t cap;

	if (s->len + n + 1 > s->cap) {
		cap = s->cap > 0 ? s->cap : 128;
		while (cap < s->len + n + 1)
			cap *= 2;
		s->s = xreallocarray(s->s, 1, cap);
		s->cap = cap;
	}
	memcpy(s->s + s->len, data, n);
	s->len += n;
	s->s[s->len] = '\0';
}

static void
imap_str_printf(struct imap_str *s, const char *fmt, ...)
{
	va_list ap;
	char *t;
	int n;

	va_start(ap, fmt);
	n = xvasprintf(&t, fmt, ap);
	va_end(ap);
	imap_str_add(s, t, (size_t)n);
	free(t);
}

/* Append s (n bytes) as a quoted string, or as a literal where a quoted
 * string cannot hold it: non-synchronising with LITERAL+ (or LITERAL- for
 * small ones), else synchronising: the piece ends at "{n}" and the bytes
 * start the next one, sent after the server's "+". The log shows
 * "<secret>" for a secret. */
static void
imap_put_string(struct imap *im, struct imap_cmd *cmd, struct imap_str *w,
    struct imap_str *l, const char *s, size_t n, int secret)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, start;
	int lit = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\0' || p[i] == '\r' || p[i] == '\n' ||
		    (p[i] >= 0x80 && !(im->enabled & IMAP_CAP_UTF8_ACCEPT)))
			lit = 1;
	}
	if (!lit) {
		start = w->len;
		imap_str_add(w, "\"", 1);
		for (i = 0; i < n; i++) {
			if (p[i] == '"' || p[i] == '\\')
				imap_str_add(w, "\\", 1);
			imap_str_add(w, s + i, 1);
		}
		imap_str_add(w, "\"", 1);
		if (secret)
			imap_str_add(l, "<secret>", 8);
		else
			imap_str_add(l, w->s + start, w->len - start);
		return;
	}
	if ((im->caps & IMAP_CAP_LITERALPLUS) ||
	    ((im->caps & IMAP_CAP_LITERALMINUS) && n <= IMAP_LITERAL_MINUS)) {
		imap_str_printf(w, "{%zu+}\r\n", n);
		imap_str_printf(l, "{%zu+}\r\n", n);
	} else {
		imap_str_printf(w, "{%zu}", n);
		imap_str_printf(l, "{%zu}", n);
		imap_cmd_end(cmd, w, l, 1);
	}
	imap_str_add(w, s, n);
	imap_str_add(l, secret ? "<secret>" : s, secret ? 8 : n);
}

/* The oldest command in flight of an operation of this kind. */
static struct imap_cmd *
imap_oldest(struct imap *im, enum imap_op_kind kind)
{
	struct imap_cmd *cmd;

	TAILQ_FOREACH(cmd, &im->inflight, entry)
	{
		if (cmd->op != NULL && cmd->op->kind == kind)
			return cmd;
	}
	return NULL;
}

/* --- input -------------------------------------------------------------- */

static void
imap_conn_cb(struct conn *c, enum conn_event ev, void *arg)
{
	struct imap *im = arg;
	const char *msg;

	im->busy++;
	switch (ev) {
	case CONN_EV_CONNECTED:
		imap_set_state(im, IMAP_STATE_GREETING);
		imap_early_auth(im);
		break;
	case CONN_EV_TLS:
		im->tls_done = 1;
		/* Capabilities from before TLS are not trusted (RFC 3501
		 * 6.2.1). */
		im->caps_known = 0;
		im->caps = 0;
		imap_set_state(im, IMAP_STATE_CAPABILITY);
		imap_simple(im, IMAP_CMD_CAPABILITY, NULL, "CAPABILITY");
		break;
	case CONN_EV_READ:
		imap_read(im);
		break;
	case CONN_EV_ERROR:
		if (im->state == IMAP_STATE_LOGOUT) {
			/* The server closed after BYE: logged out. */
			struct imap_op *op;

			im->conn = NULL;
			conn_free(c);
			imap_set_state(im, IMAP_STATE_CLOSED);
			while (
			    (op = TAILQ_FIRST(&im->ops)) != NULL && !im->dead) {
				if (op->kind != IMAP_OP_LOGOUT)
					imap_op_fail(op, IMAP_ERR_CLOSED,
					    "the session with %s is over",
					    im->host);
				imap_op_finish(im, op);
			}
			break;
		}
		if (conn_compress_broken(c) && imap_restart(im) == 0)
			break;
		im->conn_fail = conn_fail(c);
		msg = conn_error(c);
		if (conn_fail(c) == CONN_FAIL_CLOSED && im->bye != NULL)
			imap_failf(im, IMAP_ERR_PROTO,
			    "%s closed the session: %s", im->host, im->bye);
		else if (conn_fail(c) == CONN_FAIL_CLOSED &&
		    imap_parser_pending(im->parser))
			imap_failf(im, IMAP_ERR_CONN,
			    "%s closed the connection in the middle of a "
			    "response",
			    im->host);
		else
			imap_failf(im, IMAP_ERR_CONN, "%s",
			    msg != NULL ? msg : "connection failed");
		break;
	}
	im->busy--;
	if (im->dead && im->busy == 0)
		imap_destroy(im);
}

/* Feed what arrived to the parser and handle each whole response. */
static void
imap_read(struct imap *im)
{
	const struct imap_resp *resp;
	struct evbuffer *in;
	struct evbuffer_iovec v;
	size_t used, n;
	char *s;
	int rc;

	while (!im->dead && im->conn != NULL &&
	    im->state != IMAP_STATE_HANDSHAKE &&
	    im->state != IMAP_STATE_CLOSED) {
		in = conn_input(im->conn);
		if (in == NULL || evbuffer_peek(in, -1, NULL, &v, 1) < 1 ||
		    v.iov_len == 0)
			break;
		rc = imap_parser_feed(
		    im->parser, v.iov_base, v.iov_len, &used, &resp);
		if (im->log != NULL) {
			n = evbuffer_get_length(im->logbuf);
			if (n < IMAP_MAX_LOG)
				evbuffer_add(im->logbuf, v.iov_base,
				    used < IMAP_MAX_LOG - n ? used
				                            : IMAP_MAX_LOG - n);
		}
		if (rc == -1 && im->state == IMAP_STATE_GREETING) {
			/* Not IMAP at all: show what came, made harmless. */
			const char *b = v.iov_base;
			size_t k = 0;
			char *said, *shown;

			while (k < v.iov_len && k < 60 && b[k] != '\r' &&
			    b[k] != '\n' && b[k] != '\0')
				k++;
			said = xstrndup(b, k);
			shown = imap_text(said);

			evbuffer_drain(in, used);
			imap_failf(im, IMAP_ERR_PROTO,
			    "%s is not an IMAP server: it said '%s'", im->host,
			    shown);
			free(said);
			free(shown);
			return;
		}
		evbuffer_drain(in, used);
		if (rc == -1) {
			imap_failf(im, IMAP_ERR_PROTO,
			    "protocol error from %s: %s", im->host,
			    imap_parser_error(im->parser));
			return;
		}
		if (rc == 0)
			continue;
		if (im->log != NULL) {
			n = evbuffer_get_length(im->logbuf);
			s = (char *)evbuffer_pullup(im->logbuf, -1);
			if (n > 0 && s[n - 1] == '\n')
				n--;
			if (n > 0 && s[n - 1] == '\r')
				n--;
			plog_write(im->log, im->host, '<', s, n);
			if (resp->size > IMAP_MAX_LOG)
				plog_note(im->log, im->host,
				    "(%zu bytes of the response not logged)",
				    resp->size - IMAP_MAX_LOG);
			evbuffer_drain(
			    im->logbuf, evbuffer_get_length(im->logbuf));
		}
		if (im->zon)
			im->zread++;
		imap_handle(im, resp);
	}
}

static void
imap_handle(struct imap *im, const struct imap_resp *r)
{
	if (im->state == IMAP_STATE_GREETING) {
		imap_greeting(im, r);
		return;
	}
	if (imap_unproven(im, r))
		return;
	switch (r->type) {
	case IMAP_RESP_CONTINUE:
		imap_continue(im, r);
		break;
	case IMAP_RESP_TAGGED:
		imap_tagged(im, r);
		break;
	case IMAP_RESP_UNTAGGED:
		imap_untagged(im, r);
		break;
	}
}

static void
imap_greeting(struct imap *im, const struct imap_resp *r)
{
	char *text;

	if (r->type != IMAP_RESP_UNTAGGED ||
	    (r->cond != IMAP_COND_OK && r->cond != IMAP_COND_PREAUTH &&
	        r->cond != IMAP_COND_BYE)) {
		imap_failf(im, IMAP_ERR_PROTO,
		    "%s is not an IMAP server: it did not greet", im->host);
		return;
	}
	text = imap_text(r->text);
	if (r->cond == IMAP_COND_BYE) {
		imap_failf(im, IMAP_ERR_PROTO, "%s refused the connection: %s",
		    im->host, text);
		free(text);
		return;
	}
	free(text);
	if (r->cond == IMAP_COND_PREAUTH) {
		if (im->starttls || conn_tls_version(im->conn) == NULL) {
			imap_failf(im, IMAP_ERR_PROTO,
			    "%s logged in without TLS (PREAUTH); STARTTLS is "
			    "not possible",
			    im->host);
			return;
		}
		im->logged_in = 1;
	}
	imap_code(im, r);
	if (im->state == IMAP_STATE_CLOSED)
		return;
	if (im->caps_known)
		imap_after_caps(im);
	else {
		imap_set_state(im, IMAP_STATE_CAPABILITY);
		imap_simple(im, IMAP_CMD_CAPABILITY, NULL, "CAPABILITY");
	}
}

/* A response code on any status response. */
static void
imap_code(struct imap *im, const struct imap_resp *r)
{
	struct imap_event ev;
	struct imap_cmd *cmd;
	struct imap_op *sel = NULL;
	uint64_t v;

	if ((cmd = imap_oldest(im, IMAP_OP_SELECT)) != NULL)
		sel = cmd->op;
	switch (r->code) {
	case IMAP_CODE_CAPABILITY:
		imap_caps_set(im, r->code_args);
		break;
	case IMAP_CODE_ALERT:
		memset(&ev, 0, sizeof ev);
		ev.type = IMAP_EV_ALERT;
		ev.text = r->text;
		imap_event_send(im, &ev);
		break;
	case IMAP_CODE_UIDVALIDITY:
		if (sel != NULL && imap_tok_u64(r->code_args, &v) == 0 &&
		    v <= UINT32_MAX)
			sel->sel.uidvalidity = (uint32_t)v;
		break;
	case IMAP_CODE_UIDNEXT:
		if (sel != NULL && imap_tok_u64(r->code_args, &v) == 0 &&
		    v <= UINT32_MAX)
			sel->sel.uidnext = (uint32_t)v;
		break;
	case IMAP_CODE_HIGHESTMODSEQ:
		if (sel != NULL && imap_tok_u64(r->code_args, &v) == 0)
			sel->sel.highestmodseq = v;
		break;
	case IMAP_CODE_NOMODSEQ:
		if (sel != NULL)
			sel->sel.nomodseq = 1;
		break;
	case IMAP_CODE_READ_ONLY:
		if (sel != NULL && r->type == IMAP_RESP_TAGGED)
			sel->sel.readonly = 1;
		break;
	case IMAP_CODE_COPYUID:
		if (r->cond == IMAP_COND_OK &&
		    (cmd = imap_oldest(im, IMAP_OP_COPY)) != NULL &&
		    cmd->kind == IMAP_CMD_COPY)
			imap_copyuid(im, cmd->op, r);
		break;
	default:
		break;
	}
}

static void
imap_untagged(struct imap *im, const struct imap_resp *r)
{
	struct imap_event ev;
	struct imap_cmd *cmd;
	struct imap_uidset set;
	int earlier;

	if (r->cond == IMAP_COND_BYE) {
		free(im->bye);
		im->bye = imap_text(r->text);
		if (im->state != IMAP_STATE_LOGOUT)
			imap_failf(im, IMAP_ERR_PROTO,
			    "%s closed the session: %s", im->host, im->bye);
		return;
	}
	if (r->cond != IMAP_COND_NONE) {
		imap_code(im, r);
		return;
	}
	memset(&ev, 0, sizeof ev);
	switch (r->data) {
	case IMAP_DATA_CAPABILITY:
		imap_caps_set(im, r->args);
		break;
	case IMAP_DATA_ENABLED:
		for (const struct imap_tok *t = r->args; t != NULL;
		     t = t->next) {
			if (imap_tok_is(t, "CONDSTORE"))
				im->enabled |= IMAP_CAP_CONDSTORE;
			else if (imap_tok_is(t, "QRESYNC"))
				im->enabled |=
				    IMAP_CAP_QRESYNC | IMAP_CAP_CONDSTORE;
			else if (imap_tok_is(t, "UTF8=ACCEPT"))
				im->enabled |= IMAP_CAP_UTF8_ACCEPT;
		}
		break;
	case IMAP_DATA_LIST:
	case IMAP_DATA_LSUB:
		imap_list_resp(im, r);
		break;
	case IMAP_DATA_STATUS:
		imap_status_resp(im, r);
		break;
	case IMAP_DATA_SEARCH:
	case IMAP_DATA_ESEARCH:
		imap_search_resp(im, r);
		break;
	case IMAP_DATA_EXISTS:
		if ((cmd = imap_oldest(im, IMAP_OP_SELECT)) != NULL) {
			cmd->op->sel.exists = r->number;
			break;
		}
		ev.type = IMAP_EV_EXISTS;
		ev.n = r->number;
		imap_event_send(im, &ev);
		break;
	case IMAP_DATA_EXPUNGE:
		ev.type = IMAP_EV_EXPUNGE;
		ev.n = r->number;
		imap_event_send(im, &ev);
		break;
	case IMAP_DATA_VANISHED:
		if (imap_parse_vanished(im->parser, r, &earlier, &set) != 0) {
			imap_failf(im, IMAP_ERR_PROTO,
			    "protocol error from %s: %s", im->host,
			    imap_parser_error(im->parser));
			return;
		}
		ev.type = IMAP_EV_VANISHED;
		ev.uids = &set;
		ev.earlier = earlier;
		imap_event_send(im, &ev);
		break;
	case IMAP_DATA_FETCH:
		imap_fetch_resp(im, r);
		break;
	default:
		break; /* FLAGS, RECENT, ID, NAMESPACE... */
	}
}

static void
imap_continue(struct imap *im, const struct imap_resp *r)
{
	struct imap_cmd *cmd = im->blocked;

	if (im->proof_wait) {
		imap_sasl_proof(im, r->text);
		return;
	}
	if (cmd == NULL) {
		if (im->idle != NULL)
			return; /* another "+" while idle: harmless */
		imap_failf(im, IMAP_ERR_PROTO,
		    "protocol error from %s: unexpected continuation",
		    im->host);
		return;
	}
	if (im->streaming != NULL) {
		imap_failf(im, IMAP_ERR_PROTO,
		    "protocol error from %s: continuation in the middle of "
		    "a literal",
		    im->host);
		return;
	}
	if (cmd->kind == IMAP_CMD_AUTH && cmd->exchange) {
		imap_sasl_continue(im, r->text);
		return;
	}
	if (cmd->stream != 0 && cmd->sent == cmd->nparts) {
		imap_stream_begin(im, cmd); /* the "+" for the file */
		return;
	}
	if (cmd->kind == IMAP_CMD_IDLE && cmd->sent == 1) {
		/* IDLE accepted: DONE waits until it is wanted. */
		im->idle = cmd->op;
		if (cmd->op->done != NULL) {
			imap_done_cb started = cmd->op->done;

			cmd->op->done = NULL;
			im->busy++;
			started(im, IMAP_ERR_NONE, NULL, cmd->op->arg);
			im->busy--;
			if (im->dead || im->state == IMAP_STATE_CLOSED)
				return;
		}
		if (cmd->op->idle_stop || TAILQ_NEXT(cmd->op, entry) != NULL)
			imap_idle_done(im);
		else {
			struct timeval tv = {im->idle_renew, 0};

			evtimer_add(im->idle_ev, &tv);
			imap_expect(im);
		}
		return;
	}
	imap_send_part(im, cmd);
	if (cmd->sent == cmd->nparts && cmd->stream == IMAP_STREAM_PLUS)
		imap_stream_begin(im, cmd);
	else if (cmd->sent == cmd->nparts && cmd->stream == 0) {
		im->blocked = NULL;
		imap_flush(im);
	}
}

static void
imap_tagged(struct imap *im, const struct imap_resp *r)
{
	struct imap_cmd *cmd;
	unsigned long tag = 0;
	const char *p;
	char *why;
	int cut = 0;

	if (r->tag[0] == 'a' && r->tag[1] != '\0' &&
	    strspn(r->tag + 1, "0123456789") == strlen(r->tag + 1) &&
	    strlen(r->tag + 1) < 10) {
		for (p = r->tag + 1; *p != '\0'; p++)
			tag = tag * 10 + (unsigned long)(*p - '0');
	}
	TAILQ_FOREACH(cmd, &im->inflight, entry)
	{
		if (tag != 0 && cmd->tag == tag)
			break;
	}
	if (cmd == NULL) {
		imap_failf(im, IMAP_ERR_PROTO,
		    "protocol error from %s: reply to unknown command '%s'",
		    im->host, r->tag);
		return;
	}
	TAILQ_REMOVE(&im->inflight, cmd, entry);
	if (im->streaming == cmd) {
		/* An answer before the whole literal: what is left of it
		 * cannot go, nor can anything after it. */
		why = imap_why(r);
		imap_op_fail(cmd->op, IMAP_ERR_CONN,
		    "cannot append to '%s': %s answered before the message "
		    "was whole (%s); the connection is dropped",
		    cmd->op->display, im->host, why);
		free(why);
		conn_set_drain(im->conn, 0, NULL);
		im->streaming = NULL;
		cut = 1;
	}
	if (im->blocked == cmd) {
		/* Refused before the literal was sent. */
		im->blocked = NULL;
	}
	/* A login sent before the greeting and refused with an ALERT: its
	 * text goes in the error, or the login goes again without it. */
	if (cmd->kind != IMAP_CMD_AUTH || !im->early_sent ||
	    r->cond == IMAP_COND_OK || r->code != IMAP_CODE_ALERT)
		imap_code(im, r);
	if (im->state != IMAP_STATE_CLOSED)
		imap_cmd_done(im, cmd, r);
	imap_cmd_free(cmd);
	if (cut && !im->dead && im->state != IMAP_STATE_CLOSED)
		imap_failf(im, IMAP_ERR_CONN,
		    "the connection to %s was dropped in the middle of a "
		    "literal",
		    im->host);
	if (!im->dead && im->state != IMAP_STATE_CLOSED) {
		imap_flush(im);
		imap_literal_bound(im);
		imap_run(im);
	}
}

/* The tagged reply to cmd. */
static void
imap_cmd_done(struct imap *im, struct imap_cmd *cmd, const struct imap_resp *r)
{
	struct imap_op *op = cmd->op;
	char *text = imap_text(r->text);
	char *why;
	struct imap_uidset set;
	int ok = r->cond == IMAP_COND_OK;

	switch (cmd->kind) {
	case IMAP_CMD_CAPABILITY:
		if (!ok)
			imap_failf(im, IMAP_ERR_PROTO,
			    "CAPABILITY failed at %s: %s", im->host, text);
		else if (im->early_pipe)
			conn_session_set_hint(
			    im->conn, imap_session_hint(im, im->caps));
		else if (im->logged_in)
			imap_logged_in(im);
		else
			imap_after_caps(im);
		break;
	case IMAP_CMD_STARTTLS:
		if (!ok) {
			why = imap_why(r);
			imap_failf(im, IMAP_ERR_PROTO,
			    "%s refused STARTTLS: %s", im->host, why);
			free(why);
			break;
		}
		imap_set_state(im, IMAP_STATE_HANDSHAKE);
		conn_starttls(im->conn);
		break;
	case IMAP_CMD_AUTH:
		if (im->blocked == cmd) {
			im->blocked = NULL;
			cmd->exchange = 0;
		}
		if (!ok) {
			why = imap_why(r);
			if (imap_early_stale(im)) {
				if (imap_early_again(im, why))
					break;
				imap_failf(im, IMAP_ERR_AUTH,
				    "login refused by %s: %s (AUTHENTICATE %s "
				    "went before the greeting, as the server "
				    "offered it last time; the next login "
				    "waits for the greeting)",
				    im->host, why, im->mech_used);
			} else if (im->sasl != NULL &&
			    sasl_error(im->sasl) != NULL)
				imap_failf(im, IMAP_ERR_AUTH,
				    "login refused by %s: %s (%s)", im->host,
				    why, sasl_error(im->sasl));
			else
				imap_failf(im, IMAP_ERR_AUTH,
				    "login refused by %s: %s", im->host, why);
			free(why);
			break;
		}
		if (im->sasl != NULL && !sasl_complete(im->sasl)) {
			imap_failf(im, IMAP_ERR_PROTO,
			    "cannot log in to %s: the server is not trusted: "
			    "it said OK before %s finished",
			    im->host, sasl_mech_name(sasl_mech(im->sasl)));
			break;
		}
		im->mech_used = im->sasl != NULL
		    ? sasl_mech_name(sasl_mech(im->sasl))
		    : "LOGIN";
		imap_scram_keep(im);
		sasl_free(im->sasl);
		im->sasl = NULL;
		im->logged_in = 1;
		if (im->early_pipe) {
			/* ENABLE and SELECT went behind it: the session is
			 * up, the SELECT's answer follows. */
			struct imap_op *cop = TAILQ_FIRST(&im->ops);

			/* Without them in the reply, the capabilities are
			 * asked for (after COMPRESS's answer, if sent). */
			if (r->code != IMAP_CODE_CAPABILITY) {
				im->need_caps = 1;
				if (!im->zwait)
					imap_early_caps(im);
			} else
				conn_session_set_hint(
				    im->conn, imap_session_hint(im, im->caps));
			if (cop != NULL && cop->kind == IMAP_OP_CONNECT)
				imap_op_finish(im, cop);
			break;
		}
		if (im->zasked) {
			/* COMPRESS went behind it: nothing more until its
			 * answer. */
			im->need_caps = r->code != IMAP_CODE_CAPABILITY;
			imap_set_state(im, IMAP_STATE_COMPRESS);
		} else if (r->code == IMAP_CODE_CAPABILITY)
			imap_logged_in(im);
		else {
			im->caps_known = 0;
			imap_set_state(im, IMAP_STATE_CAPABILITY);
			imap_simple(
			    im, IMAP_CMD_CAPABILITY, NULL, "CAPABILITY");
		}
		break;
	case IMAP_CMD_ENABLE:
		/* A refused ENABLE only means less to use. */
		if (!ok)
			im->enabled &= ~im->enabling;
		im->enabling = 0;
		if (im->state == IMAP_STATE_ENABLE)
			imap_ready(im);
		break;
	case IMAP_CMD_COMPRESS:
		free(im->zwhy);
		im->zwait = 0;
		if (ok) {
			conn_compress(im->conn);
			im->zon = 1;
			im->zread = 0;
			im->zwhy = xstrdup("on");
		} else {
			why = imap_why(r);
			plog_note(im->log, im->host,
			    "imap: %s refused COMPRESS DEFLATE (%s); going on "
			    "without compression",
			    im->host, why);
			xasprintf(
			    &im->zwhy, "off: the server refused it: %s", why);
			free(why);
		}
		if (im->early_pipe) {
			if (im->need_caps)
				imap_early_caps(im);
			break; /* what waited goes now (imap_tagged) */
		}
		if (im->need_caps) {
			im->need_caps = 0;
			im->caps_known = 0;
			imap_set_state(im, IMAP_STATE_CAPABILITY);
			imap_simple(
			    im, IMAP_CMD_CAPABILITY, NULL, "CAPABILITY");
		} else
			imap_enable(im);
		break;
	case IMAP_CMD_LIST:
	case IMAP_CMD_LSUB:
	case IMAP_CMD_STATUS:
		if (!ok && cmd->kind == IMAP_CMD_STATUS) {
			/* A folder that cannot be counted is still listed. */
		} else if (!ok)
			imap_op_fail(
			    op, IMAP_ERR_NO, "cannot list folders: %s", text);
		if (--op->pending == 0) {
			if (op->err == IMAP_ERR_NONE && op->list_phase == 0) {
				op->list_phase = 1;
				imap_list_status(im, op);
			}
			if (op->pending == 0)
				imap_op_finish(im, op);
		}
		break;
	case IMAP_CMD_SELECT:
		op->pending--;
		if (!ok) {
			imap_op_fail(op, IMAP_ERR_NO, "cannot select '%s': %s",
			    op->display, text);
			imap_set_state(im, IMAP_STATE_READY);
			im->condstore = 0;
		} else {
			imap_set_state(im, IMAP_STATE_SELECTED);
			free(im->selected);
			im->selected = xstrdup(op->display);
			if (!(im->caps & IMAP_CAP_CONDSTORE) &&
			    !(im->enabled & IMAP_CAP_CONDSTORE))
				op->sel.nomodseq = 1;
			if (op->sel.highestmodseq == 0)
				op->sel.nomodseq = 1;
			if (op->sel.nomodseq)
				op->sel.highestmodseq = 0;
			im->condstore = !op->sel.nomodseq;
			op->sel.qresync = op->qresync_sent &&
			    op->sel.uidvalidity == op->sp.uidvalidity;
			if (r->code == IMAP_CODE_READ_ONLY)
				op->sel.readonly = 1;
		}
		imap_op_finish(im, op);
		break;
	case IMAP_CMD_FETCH:
		op->pending--;
		if (!ok)
			imap_op_fail(op, IMAP_ERR_NO,
			    "cannot fetch %s in '%s': %s",
			    op->kind == IMAP_OP_FETCH_FLAGS ? "flags"
			                                    : "headers",
			    im->selected != NULL ? im->selected : "", text);
		imap_op_finish(im, op);
		break;
	case IMAP_CMD_SEARCH:
		op->pending--;
		if (!ok)
			imap_op_fail(op, IMAP_ERR_NO, "cannot search '%s': %s",
			    im->selected != NULL ? im->selected : "", text);
		imap_op_finish(im, op);
		break;
	case IMAP_CMD_BODY:
		op->pending--;
		if (!ok && op->binary && !op->got_body &&
		    strcasecmp(r->code_name, "UNKNOWN-CTE") == 0) {
			/* RFC 3516: the server cannot decode this part's
			 * encoding; the caller decodes it from BODY. */
			op->no_binary = 1;
			imap_part_send(im, op);
			break;
		}
		if (!ok)
			imap_op_fail(op, IMAP_ERR_NO,
			    "cannot fetch message %u in '%s': %s", op->uid,
			    im->selected != NULL ? im->selected : "", text);
		else if (!op->got_body)
			imap_op_fail(op, IMAP_ERR_NO,
			    "message %u no longer exists", op->uid);
		imap_op_finish(im, op);
		break;
	case IMAP_CMD_STORE:
		op->pending--;
		if (op->kind == IMAP_OP_COPY) {
			imap_copy_done(im, cmd, r, ok);
			break;
		}
		if (!ok) {
			why = imap_why(r);
			imap_op_fail(op, IMAP_ERR_NO,
			    "cannot change flags of %llu message%s in '%s': %s",
			    (unsigned long long)op->nset,
			    op->nset == 1 ? "" : "s",
			    im->selected != NULL ? im->selected : "", why);
			free(why);
		} else if (r->code == IMAP_CODE_MODIFIED) {
			if (imap_parse_modified(im->parser, r, &set) != 0) {
				imap_failf(im, IMAP_ERR_PROTO,
				    "protocol error from %s: %s", im->host,
				    imap_parser_error(im->parser));
				break;
			}
			imap_merge(op, &set);
		}
		imap_op_finish(im, op);
		break;
	case IMAP_CMD_COPY:
	case IMAP_CMD_EXPUNGE:
		op->pending--;
		if (op->kind == IMAP_OP_COPY) {
			imap_copy_done(im, cmd, r, ok);
			break;
		}
		if (!ok)
			imap_op_fail(op, IMAP_ERR_NO, "cannot expunge '%s': %s",
			    im->selected != NULL ? im->selected : "", text);
		imap_op_finish(im, op);
		break;
	case IMAP_CMD_IDLE:
		op->pending--;
		if (im->idle == op)
			im->idle = NULL;
		evtimer_del(im->idle_ev);
		if (!ok) {
			imap_op_fail(op, IMAP_ERR_NO, "cannot idle in '%s': %s",
			    im->selected != NULL ? im->selected : "", text);
			imap_op_finish(im, op);
			break;
		}
		if (op->renew && !op->idle_stop &&
		    TAILQ_NEXT(op, entry) == NULL) {
			op->renew = 0;
			imap_idle_send(im, op);
			break;
		}
		imap_op_finish(im, op);
		break;
	case IMAP_CMD_NOOP:
		op->pending--;
		if (!ok)
			imap_op_fail(op, IMAP_ERR_NO, "%s failed at %s: %s",
			    op->kind == IMAP_OP_NOTIFY ? "NOTIFY" : "NOOP",
			    im->host, text);
		imap_op_finish(im, op);
		break;
	case IMAP_CMD_MAILBOX:
		op->pending--;
		if (!ok) {
			why = imap_why(r);
			if (op->mailbox2 != NULL)
				imap_op_fail(op, IMAP_ERR_NO,
				    "cannot rename '%s' to '%s': %s",
				    op->display, op->display2, why);
			else if (strcmp(op->verb, "SUBSCRIBE") == 0)
				imap_op_fail(op, IMAP_ERR_NO,
				    "cannot subscribe to '%s': %s", op->display,
				    why);
			else if (strcmp(op->verb, "UNSUBSCRIBE") == 0)
				imap_op_fail(op, IMAP_ERR_NO,
				    "cannot unsubscribe from '%s': %s",
				    op->display, why);
			else
				imap_op_fail(op, IMAP_ERR_NO,
				    "cannot %s '%s': %s",
				    strcmp(op->verb, "CREATE") == 0 ? "create"
				                                    : "delete",
				    op->display, why);
			free(why);
		}
		imap_op_finish(im, op);
		break;
	case IMAP_CMD_STATUS1:
		op->pending--;
		if (!ok) {
			why = imap_why(r);
			imap_op_fail(op, IMAP_ERR_NO,
			    "cannot get the status of '%s': %s", op->display,
			    why);
			free(why);
		} else if (!op->got_status)
			imap_op_fail(op, IMAP_ERR_NO,
			    "cannot get the status of '%s': no STATUS "
			    "response",
			    op->display);
		imap_op_finish(im, op);
		break;
	case IMAP_CMD_APPEND:
		op->pending--;
		if (!ok) {
			why = imap_why(r);
			imap_op_fail(op, IMAP_ERR_NO,
			    "cannot append to '%s': %s", op->display, why);
			free(why);
		} else if (r->code == IMAP_CODE_APPENDUID &&
		    imap_parse_appenduid(
		        im->parser, r, &op->append_uidvalidity, &set) == 0 &&
		    set.n == 1 && set.count == 1)
			op->append_uid = set.r[0].lo;
		else
			op->append_uidvalidity = 0;
		imap_op_finish(im, op);
		break;
	case IMAP_CMD_LOGOUT:
		conn_free(im->conn);
		im->conn = NULL;
		imap_set_state(im, IMAP_STATE_CLOSED);
		/* Anything queued behind LOGOUT is over. */
		while (!im->dead && (op = TAILQ_FIRST(&im->ops)) != NULL) {
			imap_op_fail(op, IMAP_ERR_CLOSED,
			    "the session with %s is over", im->host);
			imap_op_finish(im, op);
		}
		break;
	}
	free(text);
}

/* --- connect sequence --------------------------------------------------- */

static void
imap_after_caps(struct imap *im)
{
	if (im->starttls && !im->tls_done) {
		if (!(im->caps & IMAP_CAP_STARTTLS)) {
			imap_failf(im, IMAP_ERR_PROTO,
			    "%s does not offer STARTTLS; not sending the "
			    "password over an unencrypted connection",
			    im->host);
			return;
		}
		imap_set_state(im, IMAP_STATE_STARTTLS);
		imap_simple(im, IMAP_CMD_STARTTLS, NULL, "STARTTLS");
		return;
	}
	if (im->logged_in) {
		imap_logged_in(im);
		return;
	}
	imap_authenticate(im);
}

/* Log in: AUTHENTICATE with the mechanism net/sasl picks from those
 * offered, its initial response in the command with SASL-IR (RFC 4959),
 * else after the first "+"; the LOGIN command where the server offers no
 * SASL mechanism at all. The secret is asked for now and not kept. */
static void
imap_authenticate(struct imap *im)
{
	struct imap_cmd *cmd;
	struct imap_str w = {0}, l = {0};
	struct sasl_creds c = {0};
	unsigned char cb[CONN_CB_MAX];
	const char *secret;
	enum sasl_mech mech;
	char *why, *ir, salt[IMAP_SALT_MAX + 1];
	unsigned int flags;
	struct timeval now = {0, 0};

	sasl_free(im->sasl);
	im->sasl = NULL;
	im->proof_wait = im->ahead = 0;
	secret = im->secret != NULL ? im->secret(im->secret_arg) : NULL;
	if (secret == NULL) {
		imap_failf(im, IMAP_ERR_AUTH, "no password for %s", im->host);
		return;
	}
	flags = imap_auth_flags(im);
	if (im->no_sasl ||
	    (im->sasl_offered == 0 &&
	        (im->auth == SASL_AUTO || im->auth == SASL_PLAIN) &&
	        (flags & SASL_TLS) && (flags & SASL_CAN_PASSWORD))) {
		imap_login_cmd(im, secret);
		return;
	}
	if (sasl_choose(im->auth, im->sasl_offered, (int)flags, &mech, &why) !=
	    0) {
		imap_failf(im, IMAP_ERR_PROTO, "cannot log in to %s: %s",
		    im->host, why);
		free(why);
		return;
	}
	c.user = im->user;
	c.secret = secret;
	c.host = im->host;
	c.port = im->cp.port;
	if (conn_channel_binding(im->conn, &c.cb_type, cb, &c.cblen) == 0)
		c.cb = cb;
	c.salt = imap_hint_scram(
	    conn_session_hint(im->conn), salt, sizeof salt, &c.iter);
	im->sasl = sasl_new(mech, &c, &why);
	OPENSSL_cleanse(cb, sizeof cb);
	if (im->sasl == NULL) {
		imap_failf(im, IMAP_ERR_PROTO, "cannot log in to %s: %s",
		    im->host, why);
		free(why);
		return;
	}
	imap_set_state(im, IMAP_STATE_AUTHENTICATE);
	cmd = imap_cmd_new(im, IMAP_CMD_AUTH, NULL);
	imap_str_printf(
	    &w, "a%u AUTHENTICATE %s", cmd->tag, sasl_mech_name(mech));
	imap_str_add(&l, w.s, w.len);
	cmd->exchange = 1;
	if ((im->caps & IMAP_CAP_SASL_IR) && sasl_has_initial(im->sasl)) {
		if (sasl_step(im->sasl, NULL, &ir) == SASL_FAIL) {
			imap_cmd_free(cmd);
			free(w.s);
			free(l.s);
			imap_failf(im, IMAP_ERR_PROTO,
			    "cannot log in to %s: %s", im->host,
			    sasl_error(im->sasl));
			return;
		}
		imap_str_printf(&w, " %s", *ir != '\0' ? ir : "=");
		imap_str_add(&l, " <secret>", 9);
		sasl_wipe_free(ir);
		/* PLAIN is one line: what follows may be pipelined. */
		if (mech == SASL_PLAIN)
			cmd->exchange = 0;
		if (!im->starttls && imap_early_mech(mech))
			im->early_ok = (int)mech;
	}
	imap_cmd_end(cmd, &w, &l, 0);
	imap_cmd_queue(im, cmd);
	if (!cmd->exchange)
		imap_compress_early(im);
	/* The password is hashed for the last login's salt from the loop,
	 * once what was queued went out: the server-first is a round trip
	 * away. */
	if (imap_is_scram(mech) && c.salt != NULL)
		evtimer_add(im->prep_ev, &now);
}

/* The network waits for the server-first: hash the SCRAM password for
 * the salt the server sent last time. */
static void
imap_prep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct imap *im = arg;

	(void)fd;
	(void)what;
	if (im->sasl != NULL && sasl_prepare(im->sasl))
		plog_note(im->log, im->host,
		    "imap: %s password hashed ahead for the salt kept",
		    sasl_mech_name(sasl_mech(im->sasl)));
}

/* Logged in with SCRAM: its salt and iteration count go into the hint
 * kept with the TLS session, for the next login to hash the password
 * for them ahead (the hash itself is never kept). */
static void
imap_scram_keep(struct imap *im)
{
	unsigned int iter;
	const char *salt;

	if (im->sasl == NULL ||
	    (salt = sasl_scram_salt(im->sasl, &iter)) == NULL ||
	    strlen(salt) > IMAP_SALT_MAX ||
	    strspn(salt,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	        "0123456789+/=") != strlen(salt))
		return;
	free(im->scram_word);
	xasprintf(&im->scram_word, "scram=%u,%s", iter, salt);
	if (sasl_prepared(im->sasl))
		plog_note(im->log, im->host,
		    "imap: %s took the password hashed ahead", im->mech_used);
}

/* The salt (into buf) and iteration count of the last SCRAM login, from
 * the word "scram=ITER,SALT" of a kept hint; NULL when there is none. */
static const char *
imap_hint_scram(const char *hint, char *buf, size_t size, unsigned int *iter)
{
	const char *p, *comma;
	unsigned long n;
	size_t len;
	char *end;

	for (p = hint; p != NULL && (p = strstr(p, "scram=")) != NULL; p++) {
		if (p != hint && p[-1] != ' ')
			continue;
		p += 6;
		if (*p < '1' || *p > '9')
			return NULL;
		n = strtoul(p, &end, 10);
		if (*end != ',' || n == 0 || n > UINT_MAX)
			return NULL;
		comma = end + 1;
		len = strcspn(comma, " ");
		if (len == 0 || len >= size)
			return NULL;
		memcpy(buf, comma, len);
		buf[len] = '\0';
		*iter = (unsigned int)n;
		return buf;
	}
	return NULL;
}

/* What the account and this connection allow, for sasl_choose(). */
static unsigned int
imap_auth_flags(struct imap *im)
{
	unsigned char cb[CONN_CB_MAX];
	const char *type;
	size_t n;
	unsigned int flags = (unsigned int)im->auth_can;

	if (conn_tls_version(im->conn) != NULL)
		flags |= SASL_TLS;
	if (conn_channel_binding(im->conn, &type, cb, &n) == 0)
		flags |= SASL_CB;
	OPENSSL_cleanse(cb, sizeof cb);
	return flags;
}

/* The LOGIN command (RFC 9051 section 6.2.3), over TLS only. */
static void
imap_login_cmd(struct imap *im, const char *secret)
{
	struct imap_cmd *cmd;
	struct imap_str w = {0}, l = {0};

	if (conn_tls_version(im->conn) == NULL) {
		imap_failf(im, IMAP_ERR_PROTO,
		    "cannot log in to %s: not sending the password over an "
		    "unencrypted connection",
		    im->host);
		return;
	}
	if (im->caps & IMAP_CAP_LOGINDISABLED) {
		imap_failf(im, IMAP_ERR_PROTO,
		    "%s does not allow LOGIN (LOGINDISABLED)", im->host);
		return;
	}
	imap_set_state(im, IMAP_STATE_AUTHENTICATE);
	cmd = imap_cmd_new(im, IMAP_CMD_AUTH, NULL);
	imap_str_printf(&w, "a%u LOGIN ", cmd->tag);
	imap_str_printf(&l, "a%u LOGIN ", cmd->tag);
	imap_put_string(im, cmd, &w, &l, im->user, strlen(im->user), 0);
	imap_str_add(&w, " ", 1);
	imap_str_add(&l, " ", 1);
	imap_put_string(im, cmd, &w, &l, secret, strlen(secret), 1);
	imap_cmd_end(cmd, &w, &l, 0);
	imap_cmd_queue(im, cmd);
}

/* A "+" during AUTHENTICATE: the mechanism's answer, logged as a secret;
 * a mechanism that gives up ends the session (no "*" is worth waiting
 * for). SCRAM's client-final goes with the empty answer to the server's
 * proof and with what waited behind the login (ENABLE, SELECT, COMPRESS):
 * see imap_sasl_ahead(). Another mechanism, once satisfied, lets what
 * waited go behind its last answer. */
static void
imap_sasl_continue(struct imap *im, const char *challenge)
{
	struct imap_str w = {0};
	struct imap_cmd *cmd;
	enum sasl_res res;
	char *out;

	if (im->sasl == NULL)
		fatalx("%s: no exchange", __func__);
	if ((res = sasl_step(im->sasl, challenge, &out)) == SASL_FAIL) {
		imap_sasl_fail(im, sasl_error(im->sasl));
		return;
	}
	if (out == NULL) /* LOGIN's first "+" when asked for no answer */
		out = xstrdup("");
	imap_str_add(&w, out, strlen(out));
	imap_str_add(&w, "\r\n", 2);
	sasl_wipe_free(out);
	conn_write_secret(im->conn, w.s, w.len, "<secret>");
	OPENSSL_cleanse(w.s, w.len);
	free(w.s);
	if (res == SASL_MORE && sasl_proof_pending(im->sasl)) {
		imap_sasl_ahead(im);
		return;
	}
	if (res == SASL_OK && (cmd = im->blocked) != NULL &&
	    cmd->kind == IMAP_CMD_AUTH && cmd->exchange &&
	    !TAILQ_EMPTY(&im->outq)) {
		plog_note(im->log, im->host,
		    "imap: %s satisfied; what waited goes behind its last "
		    "answer",
		    sasl_mech_name(sasl_mech(im->sasl)));
		cmd->exchange = 0;
		im->blocked = NULL;
		imap_flush(im);
	}
}

/* SCRAM's client-final just went: send the empty answer to the server's
 * proof ahead of it, and what waited behind the login, in the same flight,
 * so that the proof, the login's OK and the batch's answers come back in
 * one: a round trip for the exchange and the open instead of three.
 *
 * Nothing the server says is taken until its signature is checked:
 * imap_unproven() refuses anything but the proof, the login's own answer
 * or a BYE until then, and the responses are read in order, so the
 * batch's answers, which an honest server sends after the proof, are not
 * even parsed when it is wrong or missing: the connection is closed with
 * "not trusted" and its operations fail, nothing stored.
 *
 * What goes before the proof reveals only the mailbox name and the
 * client's own cached state (QRESYNC's UIDVALIDITY, MODSEQ and known
 * UIDs), inside TLS to a server whose certificate was verified: an
 * impostor would need the certificate, and learns no secret. COMPRESS goes
 * too, last: a server that fails the proof is dropped whatever was asked,
 * and DEFLATE still goes on only once its answer is read, after the
 * proof; a broken stream connects again without it as before. */
static void
imap_sasl_ahead(struct imap *im)
{
	struct imap_cmd *cmd = im->blocked;

	conn_write_secret(im->conn, "\r\n", 2, "<secret>");
	im->proof_wait = im->ahead = 1;
	if (cmd == NULL || cmd->kind != IMAP_CMD_AUTH || !cmd->exchange)
		return;
	cmd->exchange = 0;
	im->blocked = NULL;
	if (TAILQ_EMPTY(&im->outq))
		return;
	plog_note(im->log, im->host,
	    "imap: what waited goes with the %s proof; its answers are "
	    "taken once the server's signature is checked",
	    sasl_mech_name(sasl_mech(im->sasl)));
	imap_flush(im);
}

/* The "+" that follows the client-final: the server's SCRAM proof, whose
 * empty answer already went. Until it checks, nothing else is taken. */
static void
imap_sasl_proof(struct imap *im, const char *challenge)
{
	enum sasl_res res;
	char *out;

	if (im->sasl == NULL)
		fatalx("%s: no exchange", __func__);
	res = sasl_step(im->sasl, challenge, &out);
	if (res == SASL_FAIL) {
		imap_sasl_fail(im, sasl_error(im->sasl));
		return;
	}
	if (res != SASL_OK || out == NULL || *out != '\0') {
		sasl_wipe_free(out);
		imap_sasl_fail(im, "the server asks for more after its proof");
		return;
	}
	sasl_wipe_free(out);
	im->proof_wait = 0;
	plog_note(im->log, im->host, "imap: the server's %s signature checked",
	    sasl_mech_name(sasl_mech(im->sasl)));
}

/* During a SCRAM exchange, until the server's proof checks: 1 (the
 * session failed) for anything but a challenge or the proof ("+"), the
 * login's own tagged answer (OK is refused there, NO is the error) or a
 * BYE; before the client-final, also status responses and CAPABILITY (the
 * greeting, when the login went before it). Mailbox data (EXISTS,
 * VANISHED, FETCH...) would reach the sync waiting behind the login. */
static int
imap_unproven(struct imap *im, const struct imap_resp *r)
{
	struct imap_cmd *cmd;
	char tag[16];

	if (!im->proof_wait &&
	    (im->sasl == NULL || sasl_complete(im->sasl) ||
	        !imap_is_scram(sasl_mech(im->sasl))))
		return 0;
	if (r->type == IMAP_RESP_CONTINUE ||
	    (r->type == IMAP_RESP_UNTAGGED && r->cond == IMAP_COND_BYE))
		return 0;
	if (r->type == IMAP_RESP_UNTAGGED && !im->proof_wait &&
	    (r->cond != IMAP_COND_NONE || r->data == IMAP_DATA_CAPABILITY))
		return 0;
	if (r->type == IMAP_RESP_TAGGED) {
		TAILQ_FOREACH(cmd, &im->inflight, entry)
		{
			if (cmd->kind != IMAP_CMD_AUTH)
				continue;
			(void)snprintf(tag, sizeof tag, "a%u", cmd->tag);
			if (strcmp(r->tag, tag) == 0)
				return 0;
		}
	}
	imap_failf(im, IMAP_ERR_PROTO,
	    "cannot log in to %s: the server is not trusted: it %s before "
	    "proving it knows the password (%s)",
	    im->host,
	    r->type == IMAP_RESP_UNTAGGED && !im->proof_wait
	        ? "sent mailbox data"
	        : "answered",
	    im->sasl != NULL ? sasl_mech_name(sasl_mech(im->sasl)) : "SASL");
	return 1;
}

static int
imap_is_scram(enum sasl_mech m)
{
	return m == SASL_SCRAM_SHA_1 || m == SASL_SCRAM_SHA_1_PLUS ||
	    m == SASL_SCRAM_SHA_256 || m == SASL_SCRAM_SHA_256_PLUS;
}

static void
imap_sasl_fail(struct imap *im, const char *why)
{
	imap_failf(im, IMAP_ERR_PROTO, "cannot log in to %s: %s", im->host,
	    why != NULL ? why : "the exchange failed");
}

/* Logged in, with the capabilities that hold now: COMPRESS first (no
 * command may follow it before its reply), then ENABLE; but when a SELECT
 * waits right behind the connect, ENABLE and it go first and COMPRESS
 * behind them, answered after the SELECT's data: a round trip less. */
static void
imap_logged_in(struct imap *im)
{
	unsigned int qr =
	    IMAP_CAP_ENABLE | IMAP_CAP_CONDSTORE | IMAP_CAP_QRESYNC;
	struct imap_op *op = TAILQ_FIRST(&im->ops);
	int z = !im->zasked && imap_compress_wanted(im, im->caps);

	if (z && (im->caps & qr) == qr && op != NULL &&
	    op->kind == IMAP_OP_CONNECT &&
	    (op = TAILQ_NEXT(op, entry)) != NULL &&
	    op->kind == IMAP_OP_SELECT && !op->started) {
		plog_note(im->log, im->host,
		    "imap: ENABLE and SELECT before COMPRESS");
		im->early_pipe = 1; /* COMPRESS's answer only turns it on */
		imap_enable(im);    /* ENABLE, ready, the SELECT sent */
		if (!im->dead && im->conn != NULL) {
			im->zasked = im->zwait = 1;
			imap_simple(
			    im, IMAP_CMD_COMPRESS, NULL, "COMPRESS DEFLATE");
		}
		return;
	}
	if (z) {
		im->zasked = 1;
		imap_set_state(im, IMAP_STATE_COMPRESS);
		imap_simple(im, IMAP_CMD_COMPRESS, NULL, "COMPRESS DEFLATE");
		return;
	}
	imap_enable(im);
}

/* Whether to ask for DEFLATE with these capabilities; says why in zwhy. */
static int
imap_compress_wanted(struct imap *im, unsigned int caps)
{
	long rtt;

	if (im->zwhy != NULL && im->zfailed)
		return 0; /* it broke on this session once */
	free(im->zwhy);
	im->zwhy = NULL;
	rtt = conn_rtt_usec(im->conn);
	if (im->compress == IMAP_COMPRESS_NO)
		im->zwhy = xstrdup("off: compress = no");
	else if (!(caps & IMAP_CAP_COMPRESS))
		im->zwhy = xstrdup("off: not offered by the server");
	else if (im->compress == IMAP_COMPRESS_AUTO &&
	    conn_is_loopback(im->conn))
		im->zwhy = xstrdup("off: the server is on a loopback address");
	else if (im->compress == IMAP_COMPRESS_AUTO && rtt >= 0 &&
	    rtt < IMAP_COMPRESS_MIN_RTT)
		xasprintf(&im->zwhy, "off: round trip %ld.%03ld ms", rtt / 1000,
		    rtt % 1000);
	else
		return 1;
	plog_note(im->log, im->host, "imap: compression %s", im->zwhy);
	return 0;
}

/* Whether a kept hint holds the word. */
static int
imap_hint_has(const char *hint, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = hint; p != NULL && (p = strstr(p, word)) != NULL; p += n) {
		if ((p == hint || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' '))
			return 1;
	}
	return 0;
}

/* On implicit TLS to a server that took AUTHENTICATE PLAIN or SCRAM with
 * SASL-IR last time (the hint kept with the TLS session), log in at once
 * instead of waiting a round trip for the greeting, which then arrives as
 * one more untagged response. SCRAM goes only where the account's wish
 * picks the same mechanism from it alone. */
static void
imap_early_auth(struct imap *im)
{
	unsigned int need = IMAP_CAP_SASL_IR | IMAP_CAP_AUTH_PLAIN;
	const char *hint = conn_session_hint(im->conn);
	enum sasl_mech mech = SASL_AUTO, m, got;
	char word[64], *why;

	if (im->starttls || im->no_sasl || im->secret == NULL ||
	    !(im->auth_can & SASL_CAN_PASSWORD) ||
	    conn_tls_version(im->conn) == NULL ||
	    (IMAP_CAP_SASL_IR & im->ignore_caps) != 0)
		return;
	if ((im->auth == SASL_AUTO || im->auth == SASL_PLAIN) &&
	    (need & ~im->ignore_caps) == need &&
	    imap_hint_has(hint, "early-auth"))
		mech = SASL_PLAIN;
	for (m = SASL_SCRAM_SHA_1; mech == SASL_AUTO && m < SASL_MECH_COUNT;
	     m++) {
		if (m == SASL_PLAIN || !imap_early_mech((int)m))
			continue;
		(void)snprintf(
		    word, sizeof word, "early-auth=%s", sasl_mech_name(m));
		if (!imap_hint_has(hint, word))
			continue;
		if (sasl_choose(im->auth, SASL_BIT(m), (int)imap_auth_flags(im),
		        &got, &why) != 0) {
			free(why);
			break;
		}
		if (got == m)
			mech = m;
	}
	if (mech == SASL_AUTO)
		return;
	plog_note(im->log, im->host,
	    "imap: logging in before the greeting (AUTHENTICATE %s with "
	    "SASL-IR offered last time)",
	    sasl_mech_name(mech));
	im->caps = mech == SASL_PLAIN ? need : IMAP_CAP_SASL_IR;
	im->sasl_offered = SASL_BIT(mech);
	im->early_sent = 1;
	im->early_pipe = imap_early_select(im) != NULL;
	imap_authenticate(im);
	if (im->early_pipe && !im->dead && im->conn != NULL)
		imap_early_pipe(im);
}

/* The SELECT queued right behind the connect, when the kept hint says the
 * server took ENABLE CONDSTORE QRESYNC after login last time: it may go
 * behind the early AUTHENTICATE. NULL when not. */
static struct imap_op *
imap_early_select(struct imap *im)
{
	const char *hint = conn_session_hint(im->conn);
	struct imap_op *op = TAILQ_FIRST(&im->ops);

	if (op == NULL || op->kind != IMAP_OP_CONNECT ||
	    (op = TAILQ_NEXT(op, entry)) == NULL ||
	    op->kind != IMAP_OP_SELECT || op->started ||
	    op->err != IMAP_ERR_NONE || !imap_hint_has(hint, "QRESYNC") ||
	    !imap_hint_has(hint, "CONDSTORE") ||
	    (im->ignore_caps &
	        (IMAP_CAP_ENABLE | IMAP_CAP_QRESYNC | IMAP_CAP_CONDSTORE)) != 0)
		return NULL;
	return op;
}

/* Logged in through the early pipe without the capabilities in the
 * reply: ask for them beside the rest (nothing waits on them). */
static void
imap_early_caps(struct imap *im)
{
	im->need_caps = 0;
	imap_simple(im, IMAP_CMD_CAPABILITY, NULL, "CAPABILITY");
}

/* Behind the early AUTHENTICATE: ENABLE and the first SELECT, as if both
 * were granted (a refused login fails them with it), then COMPRESS when it
 * was offered last time, answered after the SELECT's data: the sync's
 * warm open is one flight after TLS. */
static void
imap_early_pipe(struct imap *im)
{
	struct imap_op *op = imap_early_select(im);

	if (op == NULL) {
		im->early_pipe = 0;
		return;
	}
	plog_note(im->log, im->host,
	    "imap: ENABLE and SELECT pipelined behind the login (QRESYNC "
	    "offered after login last time)");
	im->caps |= IMAP_CAP_ENABLE | IMAP_CAP_CONDSTORE | IMAP_CAP_QRESYNC;
	imap_simple(im, IMAP_CMD_ENABLE, NULL, "ENABLE CONDSTORE QRESYNC");
	im->enabling = IMAP_CAP_CONDSTORE | IMAP_CAP_QRESYNC;
	im->enabled |= im->enabling;
	imap_op_start(im, op);
	if (imap_hint_has(conn_session_hint(im->conn), "COMPRESS=DEFLATE") &&
	    imap_compress_wanted(im, IMAP_CAP_COMPRESS)) {
		plog_note(im->log, im->host,
		    "imap: COMPRESS pipelined behind them (offered after login "
		    "last time)");
		im->zasked = im->zwait = 1;
		imap_simple(im, IMAP_CMD_COMPRESS, NULL, "COMPRESS DEFLATE");
	}
}

/* The server offered COMPRESS=DEFLATE after login last time (the hint kept
 * with the TLS session): send COMPRESS right behind a one-line
 * AUTHENTICATE, as nothing may follow it before its answer anyway. A
 * server that turns it down now answers NO or BAD, and the session goes
 * on uncompressed. */
static void
imap_compress_early(struct imap *im)
{
	const char *hint = conn_session_hint(im->conn);

	if (im->early_pipe || !imap_hint_has(hint, "COMPRESS=DEFLATE") ||
	    !imap_compress_wanted(im, IMAP_CAP_COMPRESS))
		return; /* (early_pipe: it goes behind the SELECT) */
	plog_note(im->log, im->host,
	    "imap: COMPRESS pipelined (offered after login last time)");
	im->zasked = 1;
	imap_simple(im, IMAP_CMD_COMPRESS, NULL, "COMPRESS DEFLATE");
}

/* DEFLATE broke before anything came through it: connect again without
 * it, and send what was in flight again. 0, or -1 when too late (a
 * response was already taken, or an operation that changes things was
 * sent). */
static int
imap_restart(struct imap *im)
{
	struct imap_op *op;
	struct imap_cmd *cmd;

	if (im->zfailed || im->zread > 0)
		return -1;
	TAILQ_FOREACH(op, &im->ops, entry)
	{
		if (!op->started)
			continue;
		switch (op->kind) {
		case IMAP_OP_CONNECT:
		case IMAP_OP_LIST:
		case IMAP_OP_SELECT:
		case IMAP_OP_FETCH_HEADERS:
		case IMAP_OP_FETCH_FLAGS:
		case IMAP_OP_SEARCH:
		case IMAP_OP_FETCH_BODY:
		case IMAP_OP_NOOP:
		case IMAP_OP_STATUS:
			break;
		default:
			return -1;
		}
	}
	plog_note(im->log, im->host,
	    "imap: %s; connecting again without compression",
	    conn_error(im->conn));
	free(im->zwhy);
	xasprintf(&im->zwhy, "off: %s", conn_error(im->conn));
	im->zfailed = 1;
	im->zon = im->zasked = im->need_caps = 0;
	im->early_pipe = im->zwait = 0;
	im->proof_wait = im->ahead = 0;
	conn_free(im->conn);
	im->conn = NULL;
	while ((cmd = TAILQ_FIRST(&im->inflight)) != NULL) {
		TAILQ_REMOVE(&im->inflight, cmd, entry);
		imap_cmd_free(cmd);
	}
	while ((cmd = TAILQ_FIRST(&im->outq)) != NULL) {
		TAILQ_REMOVE(&im->outq, cmd, entry);
		imap_cmd_free(cmd);
	}
	im->blocked = NULL;
	TAILQ_FOREACH(op, &im->ops, entry)
	{
		if (op->kind == IMAP_OP_CONNECT || !op->started)
			continue;
		op->started = 0;
		op->pending = 0;
		op->qresync_sent = 0;
		op->list_phase = 0;
		memset(&op->sel, 0, sizeof op->sel);
		free(op->display); /* made again when it starts */
		op->display = NULL;
	}
	im->caps = im->enabled = im->enabling = 0;
	im->caps_known = im->tls_done = im->logged_in = im->condstore = 0;
	free(im->selected);
	im->selected = NULL;
	imap_parser_free(im->parser);
	im->parser = imap_parser_new(&im->limits);
	evbuffer_drain(im->logbuf, evbuffer_get_length(im->logbuf));
	im->conn = conn_new(im->base, im->dns, &im->cp, imap_conn_cb, im);
	imap_set_state(im, IMAP_STATE_CONNECTING);
	conn_expect_reply(im->conn, 1);
	conn_connect(im->conn);
	return 0;
}

/* The hint kept with the TLS session for the next login: what this one
 * was offered after login ("-" for nothing); "early-auth" when PLAIN with
 * SASL-IR logged in, "early-auth=SCRAM-SHA-256" (say) for SCRAM. */
static const char *
imap_session_hint(struct imap *im, unsigned int caps)
{
	static char buf[128], out[128 + IMAP_SALT_MAX + 32];
	char salt[IMAP_SALT_MAX + 1];
	unsigned int iter;
	const char *h;

	static const char *const hints[] = {"-", "COMPRESS=DEFLATE",
	    "CONDSTORE QRESYNC", "COMPRESS=DEFLATE CONDSTORE QRESYNC",
	    "early-auth", "early-auth COMPRESS=DEFLATE",
	    "early-auth CONDSTORE QRESYNC",
	    "early-auth COMPRESS=DEFLATE CONDSTORE QRESYNC"};
	unsigned int qr =
	    IMAP_CAP_ENABLE | IMAP_CAP_CONDSTORE | IMAP_CAP_QRESYNC;

	h = hints[(im->early_ok == SASL_PLAIN ? 4 : 0) |
	    ((caps & qr) == qr ? 2 : 0) | ((caps & IMAP_CAP_COMPRESS) ? 1 : 0)];
	if (imap_early_mech(im->early_ok) && im->early_ok != SASL_PLAIN) {
		(void)snprintf(buf, sizeof buf, "early-auth=%s%s%s",
		    sasl_mech_name(im->early_ok), *h != '-' ? " " : "",
		    *h != '-' ? h : "");
		h = buf;
	}
	/* The salt of the last SCRAM login: this one's, or the one kept. */
	if (im->scram_word != NULL)
		(void)snprintf(out, sizeof out, "%s%s%s", *h != '-' ? h : "",
		    *h != '-' ? " " : "", im->scram_word);
	else if (im->conn != NULL &&
	    imap_hint_scram(
	        conn_session_hint(im->conn), salt, sizeof salt, &iter) != NULL)
		(void)snprintf(out, sizeof out, "%s%sscram=%u,%s",
		    *h != '-' ? h : "", *h != '-' ? " " : "", iter, salt);
	else
		return h;
	return out;
}

/* An AUTHENTICATE sent before the greeting was refused, and the greeting
 * does not offer its mechanism with SASL-IR any more: the kept hint is
 * stale and forgotten, so that the next login takes the normal path. */
static int
imap_early_stale(struct imap *im)
{
	enum sasl_mech m;

	if (!im->early_sent || !im->caps_known || im->sasl == NULL ||
	    im->conn == NULL)
		return 0;
	m = sasl_mech(im->sasl);
	if ((im->caps & IMAP_CAP_SASL_IR) && (im->sasl_offered & SASL_BIT(m)))
		return 0;
	im->mech_used = sasl_mech_name(m);
	plog_note(im->log, im->host,
	    "imap: %s no longer offers %s with SASL-IR; forgetting the hint",
	    im->host, im->mech_used);
	conn_session_set_hint(im->conn, "-");
	return 1;
}

/* After imap_early_stale(): when nothing but the AUTHENTICATE went (a
 * SCRAM exchange holds the rest until its client-final), log in again
 * with what the greeting offers, the held commands behind it as before.
 * 1 when done (why freed), 0 to fail. */
static int
imap_early_again(struct imap *im, char *why)
{
	struct imap_cmds held;
	struct imap_cmd *cmd;
	enum imap_state st = im->state;

	if (!TAILQ_EMPTY(&im->inflight) || im->ahead)
		return 0;
	plog_note(im->log, im->host,
	    "imap: %s refused %s (%s); logging in again with what the "
	    "greeting offers",
	    im->host, im->mech_used, why);
	free(why);
	im->early_sent = 0;
	TAILQ_INIT(&held);
	TAILQ_CONCAT(&held, &im->outq, entry);
	imap_authenticate(im);
	if (im->state == IMAP_STATE_CLOSED || im->conn == NULL) {
		while ((cmd = TAILQ_FIRST(&held)) != NULL) {
			TAILQ_REMOVE(&held, cmd, entry);
			imap_cmd_free(cmd);
		}
		return 1;
	}
	TAILQ_CONCAT(&im->outq, &held, entry);
	if (st != IMAP_STATE_AUTHENTICATE)
		imap_set_state(im, st);
	imap_flush(im);
	return 1;
}

/* The mechanisms sent before the greeting when the kept hint names them:
 * one line (PLAIN), or SCRAM, whose exchange holds what follows until the
 * client-final, and whose answers are taken once the server proved it
 * knows the password (imap_sasl_ahead()). */
static int
imap_early_mech(int mech)
{
	switch (mech) {
	case SASL_PLAIN:
	case SASL_SCRAM_SHA_1:
	case SASL_SCRAM_SHA_1_PLUS:
	case SASL_SCRAM_SHA_256:
	case SASL_SCRAM_SHA_256_PLUS:
		return 1;
	default:
		return 0;
	}
}

/* ENABLE what is offered, and go on at once: what follows (SELECT with
 * QRESYNC) is pipelined behind it, as if it were granted. */
static void
imap_enable(struct imap *im)
{
	struct imap_str s = {0};

	/* Kept with the TLS session: the next login may send COMPRESS
	 * right behind AUTHENTICATE, a round trip less. */
	if (im->conn != NULL)
		conn_session_set_hint(
		    im->conn, imap_session_hint(im, im->caps));

	if (im->caps & IMAP_CAP_CONDSTORE)
		imap_str_add(&s, " CONDSTORE", 10);
	if (im->caps & IMAP_CAP_QRESYNC)
		imap_str_add(&s, " QRESYNC", 8);
	if (im->caps & IMAP_CAP_UTF8_ACCEPT)
		imap_str_add(&s, " UTF8=ACCEPT", 12);
	if (!(im->caps & IMAP_CAP_ENABLE) || s.len == 0) {
		free(s.s);
		imap_ready(im);
		return;
	}
	imap_set_state(im, IMAP_STATE_ENABLE);
	imap_simple(im, IMAP_CMD_ENABLE, NULL, "ENABLE%s", s.s);
	free(s.s);
	im->enabling = 0;
	if (im->caps & IMAP_CAP_CONDSTORE)
		im->enabling |= IMAP_CAP_CONDSTORE;
	if (im->caps & IMAP_CAP_QRESYNC)
		im->enabling |= IMAP_CAP_QRESYNC | IMAP_CAP_CONDSTORE;
	if (im->caps & IMAP_CAP_UTF8_ACCEPT)
		im->enabling |= IMAP_CAP_UTF8_ACCEPT;
	im->enabled |= im->enabling;
	imap_ready(im);
}

static void
imap_ready(struct imap *im)
{
	struct imap_op *op;

	imap_set_state(im, IMAP_STATE_READY);
	op = TAILQ_FIRST(&im->ops);
	if (op != NULL && op->kind == IMAP_OP_CONNECT)
		imap_op_finish(im, op);
	if (!im->dead && im->state == IMAP_STATE_READY)
		imap_run(im);
	imap_expect(im);
}

/* The capability list in tokens (CAPABILITY data or code). */
static void
imap_caps_set(struct imap *im, const struct imap_tok *t)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} known[] = {
	    {"IMAP4rev1", IMAP_CAP_IMAP4REV1},
	    {"IMAP4rev2", IMAP_CAP_IMAP4REV2},
	    {"STARTTLS", IMAP_CAP_STARTTLS},
	    {"LOGINDISABLED", IMAP_CAP_LOGINDISABLED},
	    {"AUTH=PLAIN", IMAP_CAP_AUTH_PLAIN},
	    {"SASL-IR", IMAP_CAP_SASL_IR},
	    {"LITERAL+", IMAP_CAP_LITERALPLUS},
	    {"LITERAL-", IMAP_CAP_LITERALMINUS},
	    {"ENABLE", IMAP_CAP_ENABLE},
	    {"CONDSTORE", IMAP_CAP_CONDSTORE},
	    {"QRESYNC", IMAP_CAP_QRESYNC},
	    {"UTF8=ACCEPT", IMAP_CAP_UTF8_ACCEPT},
	    {"LIST-EXTENDED", IMAP_CAP_LIST_EXTENDED},
	    {"LIST-STATUS", IMAP_CAP_LIST_STATUS},
	    {"SPECIAL-USE", IMAP_CAP_SPECIAL_USE},
	    {"ESEARCH", IMAP_CAP_ESEARCH},
	    {"IDLE", IMAP_CAP_IDLE},
	    {"UIDPLUS", IMAP_CAP_UIDPLUS},
	    {"MOVE", IMAP_CAP_MOVE},
	    {"NOTIFY", IMAP_CAP_NOTIFY},
	    {"BINARY", IMAP_CAP_BINARY},
	    {"COMPRESS=DEFLATE", IMAP_CAP_COMPRESS},
	};
	struct imap_str s = {0};
	size_t i;
	int m;

	im->caps = 0;
	im->sasl_offered = 0;
	for (; t != NULL; t = t->next) {
		if (t->type != IMAP_TOK_ATOM)
			continue;
		if (t->len > 5 && strncasecmp(t->s, "AUTH=", 5) == 0 &&
		    (m = sasl_mech_from_name(t->s + 5, t->len - 5)) > 0)
			im->sasl_offered |= SASL_BIT(m);
		for (i = 0; i < sizeof known / sizeof known[0]; i++) {
			if (strcasecmp(t->s, known[i].name) == 0)
				im->caps |= known[i].bit;
		}
		if (s.len + t->len + 1 < IMAP_MAX_CAPS) {
			if (s.len > 0)
				imap_str_add(&s, " ", 1);
			imap_str_add(&s, t->s, t->len);
		}
	}
	/* IMAP4rev2 includes ENABLE, LITERAL-, SPECIAL-USE, ESEARCH,
	 * LIST-EXTENDED and LIST-STATUS (RFC 9051 appendix E). */
	if (im->caps & IMAP_CAP_IMAP4REV2)
		im->caps |= IMAP_CAP_ENABLE | IMAP_CAP_LITERALMINUS |
		    IMAP_CAP_SPECIAL_USE | IMAP_CAP_ESEARCH |
		    IMAP_CAP_LIST_EXTENDED | IMAP_CAP_LIST_STATUS;
	im->caps &= ~im->ignore_caps;
	if (im->ignore_caps & IMAP_CAP_AUTH_PLAIN)
		im->sasl_offered &= ~SASL_BIT(SASL_PLAIN);
	if (im->ignore_caps & IMAP_CAP_CONDSTORE)
		im->caps &= ~IMAP_CAP_QRESYNC; /* QRESYNC implies CONDSTORE */
	free(im->capstr);
	im->capstr = s.s != NULL ? s.s : xstrdup("");
	im->caps_known = 1;
}

/* --- data --------------------------------------------------------------- */

static void
imap_event_send(struct imap *im, struct imap_event *ev)
{
	if (im->event == NULL || im->dead)
		return;
	im->busy++;
	im->event(im, ev, im->event_arg);
	im->busy--;
}

static void
imap_msg_from(struct imap_msg *m, const struct imap_fetch *f)
{
	size_t i;

	memset(m, 0, sizeof *m);
	m->seq = f->seq;
	m->uid = f->uid;
	m->has_flags = f->has_flags;
	m->flags = f->flags;
	m->keywords = f->keywords;
	m->modseq = f->modseq;
	m->internaldate = f->has_internaldate ? f->internaldate : -1;
	m->size = f->size;
	for (i = 0; i < f->nbody; i++) {
		if (strncasecmp(f->body[i].section, "HEADER", 6) == 0 &&
		    f->body[i].data != NULL) {
			m->header = f->body[i].data;
			m->header_len = f->body[i].len;
		}
	}
}

static void
imap_fetch_resp(struct imap *im, const struct imap_resp *r)
{
	struct imap_fetch f;
	struct imap_msg m;
	struct imap_event ev;
	struct imap_cmd *cmd;
	struct imap_op *op = NULL;

	if (imap_parse_fetch(im->parser, r, &f) != 0) {
		imap_failf(im, IMAP_ERR_PROTO, "protocol error from %s: %s",
		    im->host, imap_parser_error(im->parser));
		return;
	}
	imap_msg_from(&m, &f);
	if (f.uid != 0 && imap_oldest(im, IMAP_OP_FETCH_BODY) != NULL &&
	    imap_body_resp(im, &f))
		return;
	if ((cmd = imap_oldest(im, IMAP_OP_FETCH_HEADERS)) != NULL &&
	    m.header != NULL && m.uid != 0)
		op = cmd->op;
	else if ((cmd = imap_oldest(im, IMAP_OP_FETCH_FLAGS)) != NULL &&
	    m.uid != 0 && m.has_flags)
		op = cmd->op;
	if (op != NULL) {
		if (m.uid < op->lo || (op->hi != 0 && m.uid > op->hi))
			return; /* "n:*" answered with the last message */
		if (op->each_msg != NULL && op->err == IMAP_ERR_NONE) {
			im->busy++;
			op->each_msg(im, &m, op->arg);
			im->busy--;
		}
		return;
	}
	memset(&ev, 0, sizeof ev);
	ev.type = IMAP_EV_FETCH;
	ev.msg = &m;
	imap_event_send(im, &ev);
}

static struct imap_lfolder *
imap_lfolder_find(struct imap_op *op, const char *name, size_t len, int add)
{
	struct imap_lfolder *f;
	size_t i;

	/* LIST-STATUS sends STATUS right after its LIST: check last first. */
	for (i = op->nfolders; i > 0; i--) {
		f = &op->folders[i - 1];
		if (f->raw_len == len && memcmp(f->raw, name, len) == 0)
			return f;
	}
	if (!add)
		return NULL;
	if (op->nfolders == op->capfolders) {
		op->capfolders = op->capfolders > 0 ? op->capfolders * 2 : 16;
		op->folders = xreallocarray(
		    op->folders, op->capfolders, sizeof *op->folders);
	}
	f = &op->folders[op->nfolders++];
	memset(f, 0, sizeof *f);
	f->raw = xmalloc(len + 1);
	memcpy(f->raw, name, len);
	f->raw[len] = '\0';
	f->raw_len = len;
	return f;
}

static void
imap_list_resp(struct imap *im, const struct imap_resp *r)
{
	struct imap_list_item li;
	struct imap_lfolder *f;
	struct imap_cmd *cmd;

	if ((cmd = imap_oldest(im, IMAP_OP_LIST)) == NULL)
		return;
	if (imap_parse_list(im->parser, r, &li) != 0) {
		imap_failf(im, IMAP_ERR_PROTO, "protocol error from %s: %s",
		    im->host, imap_parser_error(im->parser));
		return;
	}
	if (r->data == IMAP_DATA_LSUB) {
		f = imap_lfolder_find(cmd->op, li.name, li.namelen, 0);
		if (f != NULL)
			f->subscribed = 1;
		return;
	}
	if (li.attrs & IMAP_LIST_NONEXISTENT &&
	    !(li.attrs & IMAP_LIST_SUBSCRIBED))
		return;
	f = imap_lfolder_find(cmd->op, li.name, li.namelen, 1);
	f->attrs = li.attrs;
	f->special = li.special;
	f->delim = li.delim;
	if (li.attrs & IMAP_LIST_SUBSCRIBED)
		f->subscribed = 1;
}

static void
imap_status_resp(struct imap *im, const struct imap_resp *r)
{
	struct imap_event ev;
	struct imap_status_item st;
	struct imap_lfolder *f;
	struct imap_cmd *cmd;
	struct imap_op *op;

	if (imap_parse_status(im->parser, r, &st) != 0) {
		imap_failf(im, IMAP_ERR_PROTO, "protocol error from %s: %s",
		    im->host, imap_parser_error(im->parser));
		return;
	}
	TAILQ_FOREACH(cmd, &im->inflight, entry)
	{
		op = cmd->op;
		if (cmd->kind != IMAP_CMD_STATUS1 || op->got_status ||
		    strlen(op->mailbox) != st.namelen ||
		    memcmp(op->mailbox, st.name, st.namelen) != 0)
			continue;
		imap_status_take(cmd->op, &st);
		return;
	}
	if ((cmd = imap_oldest(im, IMAP_OP_LIST)) == NULL) {
		/* A server may name the folder in another form (case of
		 * INBOX, UTF-8): the oldest STATUS still waiting takes it. */
		TAILQ_FOREACH(cmd, &im->inflight, entry)
		{
			if (cmd->kind == IMAP_CMD_STATUS1 &&
			    !cmd->op->got_status) {
				imap_status_take(cmd->op, &st);
				return;
			}
		}
		/* Asked for by nobody: NOTIFY news of another folder. */
		memset(&ev, 0, sizeof ev);
		ev.type = IMAP_EV_STATUS;
		ev.status = &st;
		imap_event_send(im, &ev);
		return;
	}
	if ((f = imap_lfolder_find(cmd->op, st.name, st.namelen, 0)) == NULL)
		return;
	if (st.has_messages && st.has_unseen) {
		f->has_counts = 1;
		f->total = st.messages;
		f->unseen = st.unseen;
	}
}

/* After LIST (and LSUB): STATUS for each selectable folder without
 * counts, pipelined. */
static void
imap_list_status(struct imap *im, struct imap_op *op)
{
	struct imap_lfolder *f;
	struct imap_cmd *cmd;
	struct imap_str w = {0}, l = {0};
	size_t i;

	for (i = 0; i < op->nfolders; i++) {
		f = &op->folders[i];
		if (f->has_counts ||
		    (f->attrs & (IMAP_LIST_NOSELECT | IMAP_LIST_NONEXISTENT)))
			continue;
		cmd = imap_cmd_new(im, IMAP_CMD_STATUS, op);
		imap_str_printf(&w, "a%u STATUS ", cmd->tag);
		imap_str_add(&l, w.s, w.len);
		imap_put_string(im, cmd, &w, &l, f->raw, f->raw_len, 0);
		imap_str_add(&w, " (MESSAGES UNSEEN)", 18);
		imap_str_add(&l, " (MESSAGES UNSEEN)", 18);
		imap_cmd_end(cmd, &w, &l, 0);
		imap_cmd_queue(im, cmd);
	}
}

static void
imap_list_deliver(struct imap *im, struct imap_op *op)
{
	struct imap_folder out;
	struct imap_lfolder *f;
	char *name;
	size_t i;

	for (i = 0; i < op->nfolders && !im->dead; i++) {
		f = &op->folders[i];
		name = imap_display(im, f->raw, f->raw_len);
		memset(&out, 0, sizeof out);
		out.raw = f->raw;
		out.raw_len = f->raw_len;
		out.name = name;
		out.delim = f->delim;
		out.special = f->special;
		out.attrs = f->attrs;
		out.subscribed = f->subscribed;
		out.noselect =
		    (f->attrs & (IMAP_LIST_NOSELECT | IMAP_LIST_NONEXISTENT)) !=
		    0;
		out.has_counts = f->has_counts;
		out.total = f->total;
		out.unseen = f->unseen;
		if (op->each_folder != NULL)
			op->each_folder(im, &out, op->arg);
		free(name);
	}
}

static void
imap_search_resp(struct imap *im, const struct imap_resp *r)
{
	struct imap_uidset set;
	struct imap_cmd *cmd;
	struct imap_op *op;
	size_t need;

	if ((cmd = imap_oldest(im, IMAP_OP_SEARCH)) == NULL)
		return;
	op = cmd->op;
	if (imap_parse_search(im->parser, r, &set) != 0) {
		imap_failf(im, IMAP_ERR_PROTO, "protocol error from %s: %s",
		    im->host, imap_parser_error(im->parser));
		return;
	}
	need = op->nranges + set.n;
	if (need > op->capranges) {
		op->capranges = need * 2;
		op->ranges = xreallocarray(
		    op->ranges, op->capranges, sizeof *op->ranges);
	}
	if (set.n > 0)
		memcpy(op->ranges + op->nranges, set.r, set.n * sizeof *set.r);
	op->nranges += set.n;
}

/* --- helpers ------------------------------------------------------------ */

/* The UTF-8 form of a raw mailbox name; the caller frees it. */
static char *
imap_display(struct imap *im, const char *raw, size_t len)
{
	char *s;

	if (!(im->enabled & IMAP_CAP_UTF8_ACCEPT) &&
	    (s = imap_utf7_decode(raw, len)) != NULL)
		return s;
	s = xmalloc(len + 1);
	memcpy(s, raw, len);
	s[len] = '\0';
	return s;
}

/* Server text made safe to quote (text_clean), length capped. */
static char *
imap_text(const char *s)
{
	return text_clean_max(s, IMAP_MAX_TEXT);
}

/* --- interface operations ----------------------------------------------- */

static struct imap_op *
imap_op_alloc(enum imap_op_kind kind, void *arg)
{
	struct imap_op *op = xcalloc(1, sizeof *op);

	op->kind = kind;
	op->arg = arg;
	return op;
}

/* 0 if a folder is selected, else fail op from the loop and -1. */
static int
imap_need_selected(struct imap *im, struct imap_op *op, const char *what)
{
	if (im->state == IMAP_STATE_SELECTED)
		return 0;
	op->started = 0;
	imap_op_fail(op, IMAP_ERR_NO, "cannot %s: no folder is selected", what);
	event_active(im->deferred, 0, 0);
	return -1;
}

/* The literal bound: the header cap while only header fetches run, the
 * full one while a body is on its way. While only partial body fetches
 * run, a longer literal is cut to the largest part asked for, not
 * buffered whole. */
static void
imap_literal_bound(struct imap *im)
{
	struct imap_op *op;
	int headers = 0, body = 0, whole = 0;
	size_t keep = 0;

	TAILQ_FOREACH(op, &im->ops, entry)
	{
		if (!op->started || op->pending == 0)
			continue;
		if (op->kind == IMAP_OP_FETCH_HEADERS)
			headers = 1;
		else if (op->kind == IMAP_OP_FETCH_BODY) {
			body = 1;
			if (op->max_bytes == 0)
				whole = 1;
			else if (op->max_bytes > keep)
				keep = op->max_bytes;
		}
	}
	imap_parser_set_max_literal(
	    im->parser, headers && !body ? im->max_header : im->max_literal);
	/* Never below the header cap: a header fetch beside it is whole. */
	if (keep > 0 && keep < im->max_header)
		keep = im->max_header;
	imap_parser_set_literal_keep(im->parser, body && !whole ? keep : 0);
}

/* 1 if every space-separated keyword is an atom (NULL and "" too). */
static int
imap_keywords_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; p != NULL && *p != '\0'; p++) {
		if (*p < 0x21 && *p != ' ')
			return 0;
		if (*p >= 0x7f || strchr("(){%*\"\\]", *p) != NULL)
			return 0;
	}
	return 1;
}

/* The flag list's inside: "\Seen \Flagged kw1 kw2". */
static void
imap_flag_names(struct imap_str *w, unsigned int flags, const char *keywords)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
	    {IMAP_FLAG_SEEN, "\\Seen"},
	    {IMAP_FLAG_ANSWERED, "\\Answered"},
	    {IMAP_FLAG_FLAGGED, "\\Flagged"},
	    {IMAP_FLAG_DELETED, "\\Deleted"},
	    {IMAP_FLAG_DRAFT, "\\Draft"},
	};
	const char *p, *e;
	size_t i;
	int any = 0;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!(flags & names[i].bit))
			continue;
		if (any++)
			imap_str_add(w, " ", 1);
		imap_str_add(w, names[i].name, strlen(names[i].name));
	}
	for (p = keywords; p != NULL && *p != '\0'; p = e) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		e = p + strcspn(p, " ");
		if (any++)
			imap_str_add(w, " ", 1);
		imap_str_add(w, p, (size_t)(e - p));
	}
}

/* The server's reason for a NO, with a code that explains it ("[TRYCREATE]
 * Mailbox doesn't exist"); the caller frees it. */
static char *
imap_why(const struct imap_resp *r)
{
	char *text = imap_text(r->text), *out, *code;

	if (*r->code_name == '\0' || *r->code_text != '\0' ||
	    r->code == IMAP_CODE_READ_ONLY || r->code == IMAP_CODE_READ_WRITE ||
	    r->code == IMAP_CODE_CLOSED)
		return text;
	code = imap_text(r->code_name);
	xasprintf(&out, "[%s] %s", code, text);
	free(code);
	free(text);
	return out;
}

/* "TAG VERB [uidset ]mailbox[ mailbox2]", names quoted or as literals. */
static void
imap_mailbox_cmd(struct imap *im, enum imap_cmd_kind kind, struct imap_op *op,
    const char *verb, const char *uidset, const char *mailbox,
    const char *mailbox2)
{
	struct imap_cmd *cmd = imap_cmd_new(im, kind, op);
	struct imap_str w = {0}, l = {0};

	imap_str_printf(&w, "a%u %s ", cmd->tag, verb);
	if (uidset != NULL)
		imap_str_printf(&w, "%s ", uidset);
	imap_str_add(&l, w.s, w.len);
	imap_put_string(im, cmd, &w, &l, mailbox, strlen(mailbox), 0);
	if (mailbox2 != NULL) {
		imap_str_add(&w, " ", 1);
		imap_str_add(&l, " ", 1);
		imap_put_string(im, cmd, &w, &l, mailbox2, strlen(mailbox2), 0);
	}
	imap_cmd_end(cmd, &w, &l, 0);
	imap_cmd_queue(im, cmd);
}

/* UID STORE for op (a STORE, or the \Deleted step of a move). */
static void
imap_store_send(struct imap *im, struct imap_op *op, const char *uidset,
    int how, unsigned int flags, const char *keywords, uint64_t unchangedsince)
{
	struct imap_cmd *cmd = imap_cmd_new(im, IMAP_CMD_STORE, op);
	struct imap_str w = {0}, l = {0};

	imap_str_printf(&w, "a%u UID STORE %s ", cmd->tag, uidset);
	if (unchangedsince > 0 && im->condstore)
		imap_str_printf(&w, "(UNCHANGEDSINCE %llu) ",
		    (unsigned long long)unchangedsince);
	imap_str_printf(&w, "%sFLAGS.SILENT (",
	    how > 0       ? "+"
	        : how < 0 ? "-"
	                  : "");
	imap_flag_names(&w, flags, keywords);
	imap_str_add(&w, ")", 1);
	imap_cmd_end(cmd, &w, &l, 0);
	imap_cmd_queue(im, cmd);
}

/* The steps of a copy or move: COPY/MOVE, then \Deleted, then EXPUNGE. */
static void
imap_copy_done(
    struct imap *im, struct imap_cmd *cmd, const struct imap_resp *r, int ok)
{
	struct imap_op *op = cmd->op;
	char *why;
	const char *s = op->nset == 1 ? "" : "s";

	if (!ok) {
		why = imap_why(r);
		if (op->phase == 0)
			imap_op_fail(op, IMAP_ERR_NO,
			    "cannot %s %llu message%s to '%s': %s",
			    op->move ? "move" : "copy",
			    (unsigned long long)op->nset, s, op->display, why);
		else
			imap_op_fail(op, IMAP_ERR_NO,
			    "copied %llu message%s to '%s' but cannot %s the "
			    "originals: %s",
			    (unsigned long long)op->nset, s, op->display,
			    op->phase == 1 ? "mark deleted" : "expunge", why);
		free(why);
		imap_op_finish(im, op);
		return;
	}
	if (op->phase == 0 && r->code == IMAP_CODE_COPYUID)
		imap_copyuid(im, op, r);
	if (op->phase == 0 &&
	    (op->copied.how == IMAP_MOVE_EXPUNGE ||
	        op->copied.how == IMAP_MOVE_DELETED)) {
		op->phase = 1;
		imap_store_send(
		    im, op, op->uidset, 1, IMAP_FLAG_DELETED, NULL, 0);
		return;
	}
	if (op->phase == 1 && op->copied.how == IMAP_MOVE_EXPUNGE) {
		op->phase = 2;
		imap_simple(
		    im, IMAP_CMD_EXPUNGE, op, "UID EXPUNGE %s", op->uidset);
		return;
	}
	imap_op_finish(im, op);
}

/* [COPYUID v src dst] on a COPY's tagged OK or before a MOVE's. */
static void
imap_copyuid(struct imap *im, struct imap_op *op, const struct imap_resp *r)
{
	struct imap_uidset src, dst;
	uint32_t v;

	if (imap_parse_copyuid(im->parser, r, &v, &src, &dst) != 0)
		return; /* the copy happened; only the map is lost */
	op->copied.uidvalidity = v;
	imap_set_ranges(&op->src, &op->copied.src, &src);
	imap_set_ranges(&op->dst, &op->copied.dst, &dst);
}

/* Copy set's ranges into *r (owned) and point out at them. */
static void
imap_set_ranges(struct imap_range **r, struct imap_uidset *out,
    const struct imap_uidset *set)
{
	free(*r);
	*r = xreallocarray(NULL, set->n > 0 ? set->n : 1, sizeof **r);
	if (set->n > 0)
		memcpy(*r, set->r, set->n * sizeof **r);
	out->r = *r;
	out->n = set->n;
	out->count = set->count;
}

/* The counts of a STATUS operation's folder. */
static void
imap_status_take(struct imap_op *op, const struct imap_status_item *st)
{
	op->got_status = 1;
	op->st.total = st->messages;
	op->st.unseen = st->unseen;
	op->st.uidnext = st->uidnext;
	op->st.uidvalidity = st->uidvalidity;
	op->st.highestmodseq = st->highestmodseq;
}

/* Keep the [MODIFIED] set of a STORE. */
static void
imap_merge(struct imap_op *op, struct imap_uidset *set)
{
	free(op->ranges);
	op->ranges =
	    xreallocarray(NULL, set->n > 0 ? set->n : 1, sizeof *op->ranges);
	if (set->n > 0)
		memcpy(op->ranges, set->r, set->n * sizeof *op->ranges);
	op->nranges = op->capranges = set->n;
}

/* "TAG IDLE", then "DONE" as a second piece sent only when wanted. */
static void
imap_idle_send(struct imap *im, struct imap_op *op)
{
	struct imap_cmd *cmd = imap_cmd_new(im, IMAP_CMD_IDLE, op);
	struct imap_str w = {0}, l = {0};

	imap_str_printf(&w, "a%u IDLE", cmd->tag);
	imap_cmd_end(cmd, &w, &l, 1);
	imap_str_add(&w, "DONE", 4);
	imap_cmd_end(cmd, &w, &l, 0);
	imap_cmd_queue(im, cmd);
}

/* End IDLE now if it is in force: send DONE; the tagged OK follows. */
static void
imap_idle_done(struct imap *im)
{
	struct imap_cmd *cmd = im->blocked;

	if (im->idle == NULL || cmd == NULL || cmd->kind != IMAP_CMD_IDLE ||
	    im->conn == NULL)
		return;
	evtimer_del(im->idle_ev);
	im->idle = NULL;
	imap_send_part(im, cmd);
	im->blocked = NULL;
	imap_expect(im); /* a server that never answers DONE times out */
}

/* Renew IDLE before the server's inactivity timer ends the session. */
static void
imap_idle_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct imap *im = arg;

	if (im->idle == NULL)
		return;
	plog_note(im->log, im->host, "imap: renewing IDLE");
	im->idle->renew = 1;
	imap_idle_done(im);
}

/* BODY[] of a message, or BINARY[n] or BODY[n] of a part, that a body
 * fetch asked for: 1 when the response was one (taken or not), 0 when it
 * holds no such item. */
static int
imap_body_resp(struct imap *im, const struct imap_fetch *f)
{
	struct imap_cmd *cmd;
	struct imap_op *op;
	const char *want;
	size_t i;
	int any = 0;

	for (i = 0; i < f->nbody; i++)
		if (f->body[i].section[0] == '\0')
			any = 1;
	TAILQ_FOREACH(cmd, &im->inflight, entry)
	{
		op = cmd->op;
		if (cmd->kind != IMAP_CMD_BODY || op->uid != f->uid ||
		    op->got_body)
			continue;
		want = op->section != NULL ? op->section : "";
		for (i = 0; i < f->nbody; i++) {
			if (strcasecmp(f->body[i].section, want) != 0)
				continue;
			op->got_body = 1;
			op->body_len =
			    f->body[i].data != NULL ? f->body[i].len : 0;
			op->body_cut = f->body[i].cut;
			/* BODY[]<0.n> answered with more: keep n. */
			if (op->max_bytes > 0 && op->body_len > op->max_bytes) {
				op->body_len = op->max_bytes;
				op->body_cut = 1;
			}
			op->body = xmalloc(op->body_len + 1);
			if (op->body_len > 0)
				memcpy(op->body, f->body[i].data, op->body_len);
			op->body[op->body_len] = '\0';
			op->body_size = f->has_size ? f->size : 0;
			return 1;
		}
	}
	return any;
}

/* UID FETCH of op's part: BINARY.PEEK when the server offers it and has
 * not refused this part's encoding, else BODY.PEEK. */
static void
imap_part_send(struct imap *im, struct imap_op *op)
{
	struct imap_cmd *cmd = imap_cmd_new(im, IMAP_CMD_BODY, op);
	struct imap_str w = {0}, l = {0};

	op->binary = (im->caps & IMAP_CAP_BINARY) && !op->no_binary;
	imap_literal_bound(im);
	imap_str_printf(&w, "a%u UID FETCH %u (UID %s.PEEK[%s])", cmd->tag,
	    op->uid, op->binary ? "BINARY" : "BODY", op->section);
	imap_cmd_end(cmd, &w, &l, 0);
	imap_cmd_queue(im, cmd);
}

/* 1 if s is an RFC 3501 section-part: numbers, not 0, with dots between. */
static int
imap_section_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (;;) {
		if (*s < '1' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
		if (*s == '\0')
			return 1;
		if (*s++ != '.')
			return 0;
	}
}
