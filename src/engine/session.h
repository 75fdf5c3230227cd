/* errand: a terminal mail user agent. See LICENSE.
 * The account session: one per account, what every connection of it
 * shares. It holds the credentials once (got through a callback when the
 * network first needs them, wiped on free), the network state and the
 * retry backoff, and makes the parameters each IMAP or POP3 session
 * connects with. */
#ifndef ERRAND_SESSION_H
#define ERRAND_SESSION_H

struct event;
struct event_base;
struct evdns_base;
struct plog;
struct account;
struct store;
struct session;
struct imap;
struct imap_params;
struct pop3_params;
struct conn;

/* What a credential is: a password (password-command, or asked), or an
 * OAuth2 access token (oauth2-token-command, run again once when the
 * server refuses it). */
enum session_cred {
	SESSION_CRED_PASSWORD,
	SESSION_CRED_TOKEN,
};

/* Where the account is with the network, for the status line. */
enum session_net {
	SESSION_NET_CONNECTING, /* first sync not answered yet */
	SESSION_NET_SYNCING,    /* a sync is running */
	SESSION_NET_ONLINE,     /* the last sync succeeded */
	SESSION_NET_OFFLINE,    /* the server could not be reached: retrying */
	SESSION_NET_ERROR, /* the last sync failed otherwise (TLS, login) */
};

/* What an IMAP operation's failure means to the session, one
 * classification for every connection (sync, live, bodies). */
enum session_err {
	SESSION_ERR_NONE,    /* success */
	SESSION_ERR_NO,      /* the server refused this command */
	SESSION_ERR_AUTH,    /* the server refused the credentials */
	SESSION_ERR_OFFLINE, /* out of reach, or cut off: try again later */
	SESSION_ERR_LOST,    /* the connection is gone otherwise (TLS, a
	                      * protocol error, closed under the operation) */
};

/* The loop's priorities: every event has SESSION_PRIORITY_DEFAULT unless
 * set; one with SESSION_PRIORITY_IDLE runs only in a pass where nothing
 * else was ready, as the loop is about to wait. */
#define SESSION_PRIORITIES 3
#define SESSION_PRIORITY_DEFAULT 1
#define SESSION_PRIORITY_IDLE 2

/* A headless command's overall deadline, shared by what it runs: when it
 * passes the loop is stopped, and what runs the loop (sync_run(),
 * pop3_fetch_run()) stops, keeping what it has stored. */
struct session_deadline {
	int secs;                /* seconds from when it is armed; 0: none */
	int passed;              /* it passed: the loop was stopped */
	struct event *ev;        /* armed by session_deadline_arm() */
	struct event_base *base; /* and the loop it stops */
};

/* Arm the deadline on base, once; nothing when secs is 0. */
void session_deadline_arm(struct session_deadline *, struct event_base *);
/* Free its timer (it may be armed again). */
void session_deadline_clear(struct session_deadline *);

/* Filled in by the caller; copied by session_new(). */
struct session_params {
	struct event_base *base; /* the loop (with SESSION_PRIORITIES) */
	struct evdns_base *dns;  /* name lookup on it */
	struct plog *log;        /* protocol log, or NULL */
	/* A headless command's deadline (armed by the runs when they start),
	 * or NULL: none. The caller's; it must outlive the session. */
	struct session_deadline *deadline;
	const struct account *a; /* the account */
	struct store *st;        /* its cache, open */
	int own_store;           /* session_free() closes st */
	/* Run password-command waiting for it, as a headless command does
	 * (its stderr passes through), instead of on the loop (stderr kept
	 * for the message: the interface owns the screen). */
	int wait;
	/* Asked for a credential of kind when the account has no command for
	 * it: prompt is "Password for USER@HOST: " (terminal-safe). Answer
	 * with session_creds_set() or session_creds_fail(), in the call (a
	 * terminal prompt) or later from the loop (a prompt on the screen);
	 * or session_creds_later() to be asked again at the next
	 * session_creds(). */
	void (*ask)(struct session *, enum session_cred kind,
	    const char *prompt, void *arg);
	/* The end of every attempt to get the credentials: they came (err
	 * NULL) or not (err says why, valid during the call); from the loop,
	 * or inside session_creds() when it answers at once. May be NULL. */
	void (*ready)(struct session *, const char *err, void *arg);
	/* The backoff of session_retry_later() ran out: try again. */
	void (*retry)(struct session *, void *arg);
	void *arg;
};

/* A session for the account; nothing connects and nothing is asked yet.
 * Free with session_free(). */
struct session *session_new(const struct session_params *);

/* Wipe the credentials, stop a password-command, close the store when it
 * is owned, and free. NULL is a no-op. */
void session_free(struct session *);

struct event_base *session_base(const struct session *);
struct evdns_base *session_dns(const struct session *);
const struct account *session_account(const struct session *);
struct store *session_store(const struct session *);

/* --- credentials --------------------------------------------------------- */

/* 1 when the credentials are at hand; 0 after starting to get them (the
 * password-command on the loop, or ask()) or while that is under way;
 * -1 when getting them failed at once (wait, or an answer inside ask()).
 * ready() is told of the end in each case, session_creds_error() keeps
 * why it failed. */
int session_creds(struct session *);

/* Why the last attempt failed, or NULL. */
const char *session_creds_error(const struct session *);

/* The answer to ask(): the secret (taken, wiped when done with), or why
 * there is none. */
void session_creds_set(struct session *, char *secret);
void session_creds_fail(struct session *, const char *err);
/* ask() could not ask now (another prompt is open): nothing is under way;
 * the next session_creds() asks again. */
void session_creds_later(struct session *);

/* Stop a running password-command: ready() is told "password-command
 * stopped". 1 when one was running, else 0. */
int session_creds_cancel(struct session *);

/* The server refused them: forget (wipe) them, so that the next
 * session_creds() asks anew. */
void session_creds_forget(struct session *);

/* The account's kind of credential: SESSION_CRED_TOKEN when auth is
 * oauthbearer or xoauth2, or auto with an oauth2-token-command. */
enum session_cred session_cred_kind(const struct session *);

/* The server refused the credentials (err: its words, for the record).
 * 1 when they were a token not yet refused since the account was last
 * online: it is forgotten, and the caller asks for a new one with
 * session_creds() (the token command runs again) and logs in again; 0
 * when that was done already (a second refusal is the end: no loop) or
 * they are a password. Being online (session_set_net()) makes the next
 * refusal count as the first again. */
int session_creds_refused(struct session *, const char *err);

/* Fill an IMAP session's parameters: transport, STARTTLS when the URL is
 * not imaps, user (else $USER), auth =, a callback that gives the
 * session's secret when a login starts (the connection does not keep it;
 * the params must not outlive the session), and the extensions
 * imap-disable turns off. */
void session_imap_params(const struct session *, struct imap_params *);

/* The same for POP3: STLS when the URL is not pop3s, and the extensions
 * pop3-disable turns off. */
void session_pop3_params(const struct session *, struct pop3_params *);

/* Start the TCP connect (and make the TLS set-up) of the account's first
 * connection now, so that the round trip of its SYN overlaps what the
 * caller does before the connection is made (opening the cache): the next
 * session_take_early() hands it over. Nothing when the credentials would
 * be asked for on the terminal (an answer may take longer than a server
 * waits for a TLS handshake) or when one was started already. */
void session_connect_early(struct session *);
/* The connection session_connect_early() started, the caller's (put it
 * in imap_params.early), or NULL. */
struct conn *session_take_early(struct session *);

/* The cache, open, for a session made without it (the session does not
 * own it). */
void session_set_store(struct session *, struct store *);

/* --- errors and the network ---------------------------------------------- */

/* The class of an IMAP operation's end e on the connection im. */
enum session_err session_imap_err(const struct imap *, int e);

/* Set the network state, with why (copied; NULL for none; may be
 * session_net_reason() itself, to keep it). */
void session_set_net(struct session *, enum session_net, const char *reason);
enum session_net session_net(const struct session *);
/* Why offline or in error, or NULL. */
const char *session_net_reason(const struct session *);
/* How many times the account came online after being offline or in
 * error: a change says the network is back, and what failed for want of
 * it may go at once. */
unsigned int session_reconnects(const struct session *);

/* --- the deadline ------------------------------------------------------- */

/* Arm the headless deadline, if any, once. */
void session_deadline_start(struct session *);
/* 1 when it has passed. */
int session_timed_out(const struct session *);
/* Its seconds, or 0. */
int session_deadline_secs(const struct session *);
/* The work ended as it passed: the end is what counts. */
void session_deadline_forgive(struct session *);

/* --- retry --------------------------------------------------------------- */

/* A doubling wait between min and max seconds: the one backoff of every
 * connection that tries again. */
struct backoff {
	int min, max; /* seconds */
	int secs;     /* the last wait, 0 before the first */
};

/* The next wait in seconds: min the first time, then twice the last, up
 * to max. */
int backoff_next(struct backoff *);
/* Start again from min (a success). */
void backoff_reset(struct backoff *);

#define SESSION_RETRY_MIN 2  /* seconds before the first retry when offline */
#define SESSION_RETRY_MAX 60 /* and the longest wait between two */

/* Offline: call retry() after the next wait of the session's backoff
 * (a retry already waiting is moved to then). */
void session_retry_later(struct session *);
/* Call retry() after secs seconds (a wait of its own, e.g. for a lock). */
void session_retry_after(struct session *, int secs);
/* Cancel a waiting retry. */
void session_retry_cancel(struct session *);
/* The network is back: the next wait starts from the minimum again. */
void session_retry_reset(struct session *);

#endif
