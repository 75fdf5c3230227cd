/* errand: a terminal mail user agent. See LICENSE.
 * mutt's patterns: one parser and matcher used by T, l and / in the index
 * and by errand search. Header terms run on the cache's rows, body terms on
 * cached bodies; a pattern also translates to IMAP SEARCH keys (RFC 3501
 * section 6.4.4) for the bodies a server holds and the cache does not. */
#ifndef ERRAND_PATTERN_H
#define ERRAND_PATTERN_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct store_msg;
struct pattern;

/* What a compiled pattern needs besides its text. */
struct pattern_opts {
	const char *user; /* the account's user (URL user), for ~P and ~p;
	                   * NULL or "" when unknown: they match nothing */
	int64_t now;      /* "now" for relative dates (<3d), 0: time(NULL) */
};

/* The result of a match: pattern_match() says PATTERN_BODY when the answer
 * depends on the message's text and none was given. */
enum pattern_result {
	PATTERN_NO = 0,   /* does not match */
	PATTERN_YES = 1,  /* matches */
	PATTERN_BODY = 2, /* cannot tell without the body */
};

/* What a row carries besides its headers. */
struct pattern_row {
	int tagged;      /* 1 when tagged in the index (~T) */
	const char *raw; /* the message as cached (RFC 5322), NULL if not */
	size_t rawlen;   /* its length */
};

/* Compile s. Returns the pattern (free with pattern_free()), or NULL with
 * *err set to a message the caller frees, naming the 1-based column, e.g.
 * "pattern: unknown term '~Z' at column 5". opts may be NULL. */
struct pattern *pattern_compile(
    const char *s, const struct pattern_opts *opts, char **err);

/* Free; NULL is a no-op. */
void pattern_free(struct pattern *);

/* Whether message m (a store row; row may be NULL: not tagged, no body)
 * matches. Allocates nothing. */
enum pattern_result pattern_match(const struct pattern *,
    const struct store_msg *m, const struct pattern_row *row);

/* 1 when some term reads the message's text (~b ~B ~h ~e). */
int pattern_needs_body(const struct pattern *);

/* 1 when some term reads the index's tags (~T). */
int pattern_needs_tags(const struct pattern *);

/* The pattern as IMAP UID SEARCH keys ("OR FROM \"a\" SUBJECT \"a\""),
 * with "CHARSET UTF-8 " in front when a string is not ASCII; the caller
 * frees it. NULL with *err set (the caller frees) when a term has no IMAP
 * form: "cannot translate '~T' at column 1 to an IMAP search". The server
 * compares strings as substrings ignoring case. */
char *pattern_imap(const struct pattern *, char **err);

/* Called by pattern_scan() for each message that matches (PATTERN_YES), or
 * that would need a body the cache does not hold (PATTERN_BODY). Return 0
 * to go on, anything else to stop. */
typedef int (*pattern_scan_cb)(uint32_t uid, enum pattern_result, void *arg);

/* Whether the message uid is tagged, for ~T; NULL: none is. */
typedef int (*pattern_tagged_fn)(uint32_t uid, void *arg);

/* The text of message uid where it is at hand, in *raw (the caller frees)
 * and *len: 0, 1 when it is not, -1 to stop the scan. NULL: the cache's
 * (store_body_get()); a local folder's Maildir gives its own. */
typedef int (*pattern_body_fn)(
    uint32_t uid, void **raw, size_t *len, void *arg);

/* Match every message of a folder (highest UID first, the table's order,
 * which costs no sort; rows hidden by a pending move left out), reading a
 * body only where the headers cannot decide. Returns 0, -1 (store_error()
 * says why, unless body failed), or what cb stopped with. tagged and body
 * may be NULL; arg is passed to each. */
int pattern_scan(struct store *, int64_t folder, const struct pattern *,
    pattern_tagged_fn tagged, pattern_body_fn body, pattern_scan_cb cb,
    void *arg);

#endif
