/* errand: a terminal mail user agent. See LICENSE.
 * Message bodies for the pager: one IMAP session kept open beside the sync,
 * which examines a folder (read-only, so nothing is marked read) and fetches
 * a message with BODY.PEEK[] into the cache, to be read offline later. */
#ifndef ERRAND_FETCH_H
#define ERRAND_FETCH_H

#include <stddef.h>
#include <stdint.h>

struct account;
struct store;
struct fetch;
struct session;

enum fetch_result {
	FETCH_OK,      /* the body is in the cache: store_body_get() it */
	FETCH_OFFLINE, /* the server could not be reached */
	FETCH_FAILED,  /* anything else: the message says what */
};

/* Called once a fetch ends; err is "" on FETCH_OK and valid only during
 * the call. */
typedef void (*fetch_cb)(enum fetch_result, const char *err, void *arg);

/* A fetcher for the session's account, with its credentials (at hand:
 * session_creds()); the session must outlive it. Nothing connects until
 * fetch_prepare() or the first fetch_body(). Free with fetch_free(). */
struct fetch *fetch_new(struct session *);

/* Close the session and free; no callback runs afterwards. NULL is a
 * no-op. */
void fetch_free(struct fetch *);

/* Get ready for a fetch_body() in the folder raw (NULL: none yet):
 * connect and log in now, unless connected, and examine raw, unless
 * examined. The first message opened then costs one round trip. */
void fetch_prepare(struct fetch *, const char *raw);

/* Fetch message uid of the folder (store row folder, server name raw) up
 * to max bytes and store it. A new call replaces a running one: only the
 * last one's callback runs. */
void fetch_body(struct fetch *, int64_t folder, const char *raw, uint32_t uid,
    size_t max, fetch_cb, void *arg);

#endif
