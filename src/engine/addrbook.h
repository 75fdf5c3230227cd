/* errand: a terminal mail user agent. See LICENSE.
 * The address book behind Tab in the To, Cc and Bcc prompts: every address
 * seen in the cache (senders and recipients), ranked by how often and how
 * recently it was seen, offline; and the account's query-command (mutt's
 * query format) when one is set. */
#ifndef ERRAND_ADDRBOOK_H
#define ERRAND_ADDRBOOK_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct addrbook;

#define ADDRBOOK_SCAN_MAX 20000   /* newest cached messages read */
#define ADDRBOOK_QUERY_MAX 65536  /* bytes of query-command output read */
#define ADDRBOOK_QUERY_TIMEOUT 10 /* seconds a query-command may take */
#define ADDRBOOK_HALF_LIFE 30.0   /* days after which a sighting counts half */

/* An empty book that ranks as of now (seconds since the epoch); free it
 * with addrbook_free(). */
struct addrbook *addrbook_new(int64_t now);
void addrbook_free(struct addrbook *);

/* One sighting of addr (name may be NULL or "") at when. */
void addrbook_see(
    struct addrbook *, const char *name, const char *addr, int64_t when);

/* A sighting of every address of a header's list ("Bob <b@x>, c@y"). */
void addrbook_see_list(struct addrbook *, const char *list, int64_t when);

/* Every sender and recipient of the newest ADDRBOOK_SCAN_MAX cached
 * messages. 0, or -1 with *err set (the caller frees). */
int addrbook_load(struct addrbook *, struct store *, char **err);

/* The addresses whose address, name or a word of the name starts with
 * prefix (case-insensitive), best first, at most max, as "Name <addr>" or
 * "addr" in *out: the array and its strings are the caller's (free with
 * addrbook_list_free()). Returns how many. */
size_t addrbook_complete(
    struct addrbook *, const char *prefix, size_t max, char ***out);

/* Parse len bytes of mutt query output (a status line, then lines of
 * "address<TAB>name[<TAB>other]") into "Name <addr>" strings in *out,
 * in their order (free with addrbook_list_free()). Returns how many. */
size_t addrbook_query_parse(const char *buf, size_t len, char ***out);

/* Run query-command cmd for query (its %s replaced by it, or it appended)
 * with /bin/sh -c in a process group of its own, for at most timeout
 * seconds, and parse its output. Returns how many, or -1 with *err set
 * (the caller frees): "query-command 'abook' exited with status 1". */
int addrbook_query(
    const char *cmd, const char *query, int timeout, char ***out, char **err);

/* Free a list of n strings. */
void addrbook_list_free(char **, size_t n);

/* "Name <addr>", quoting the name where RFC 5322 needs it; the caller's. */
char *addrbook_format(const char *name, const char *addr);

#endif
