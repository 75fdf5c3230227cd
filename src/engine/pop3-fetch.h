/* errand: a terminal mail user agent. See LICENSE.
 * The POP3 fetch: bring the mail of a pop3:// or pop3s:// account home into
 * its Maildir. Each message not fetched before is streamed into tmp/; a
 * batch is fsynced and renamed into new/, and only then recorded in the
 * account's POP3 state (data, beside the Maildir: see pop3-seen.h); only
 * recorded messages with a unique id are ever deleted on the server
 * (pop3-keep), and only QUIT makes that real. RFC 1939, RFC 2449. */
#ifndef ERRAND_POP3_FETCH_H
#define ERRAND_POP3_FETCH_H

#include <stdint.h>

struct account;
struct store;
struct maildir;
struct pop3_fetch;
struct session;

enum pop3_fetch_result {
	POP3_FETCH_OK,
	POP3_FETCH_OFFLINE, /* the server could not be reached */
	POP3_FETCH_FAILED,  /* anything else: TLS, login, protocol, disk */
};

/* What a fetch did, for the summary line. */
struct pop3_fetch_stats {
	const char *name;   /* "INBOX" */
	uint32_t added;     /* messages delivered into the Maildir */
	uint32_t deleted;   /* messages deleted on the server (QUIT said OK) */
	uint32_t forgotten; /* records dropped: the server no longer has them */
	const char *method; /* "pop3" */
};

/* Filled in by the caller; every callback may be NULL. */
struct pop3_fetch_params {
	/* After QUIT was answered, when everything went well. */
	void (*done)(const struct pop3_fetch_stats *, void *);
	/* After each batch delivered: done of total to fetch. */
	void (*progress)(const char *, uint32_t, uint32_t, void *);
	/* Something the user should know once, e.g. that the server has no
	 * UIDL; the text is valid during the call. */
	void (*notice)(const char *, void *);
	/* pop3_fetch_start(): at the end, once, with the result and a
	 * message ("" on success) valid during the call; the fetch may be
	 * freed in it. */
	void (*finished)(enum pop3_fetch_result, const char *, void *);
	void *arg;
};

/* Start fetching the session's account on its loop into md with its
 * credentials (at hand: session_creds()) and return at once; params is
 * copied. The session's store (read once, to bring over the state an
 * earlier errand kept in the cache) and md stay the caller's and must
 * outlive the fetch. Free with pop3_fetch_free(). */
struct pop3_fetch *pop3_fetch_start(
    struct session *, struct maildir *, const struct pop3_fetch_params *);

/* Stop if running and free: the connection is dropped without QUIT, so
 * nothing is deleted on the server; deliveries under way are removed from
 * tmp/. NULL is a no-op. */
void pop3_fetch_free(struct pop3_fetch *);

/* Open the account's Maildir (maildir_default_path()), get the credentials
 * (session_creds(); "no password" when they fail), and fetch on the
 * session's loop until the end. On failure *err is set (the caller
 * frees it), e.g. "login refused by 127.0.0.1: -ERR [IN-USE] Mailbox is
 * locked". params->finished is not used. */
enum pop3_fetch_result pop3_fetch_run(
    struct session *, const struct pop3_fetch_params *, char **err);

#endif
