/* errand: a terminal mail user agent. See LICENSE.
 * Protocol log: what was sent to and received from each server, line by
 * line, for debugging (errand -d FILE). Secrets never reach it: a writer
 * that sends one passes the text to log in its place. */
#ifndef ERRAND_NET_PLOG_H
#define ERRAND_NET_PLOG_H

#include <stddef.h>

struct plog;

/* Open (create or append, mode 0600) the log at path. On failure returns
 * NULL and sets *err to a message the caller frees. */
struct plog *plog_open(const char *path, char **err);

/* Close the log; plog_close(NULL) is a no-op. */
void plog_close(struct plog *);

/* Log data sent ('>'), received ('<') or a note ('*') for peer, one log
 * line per line of data, control bytes escaped. NULL log: no-op. */
void plog_write(
    struct plog *, const char *peer, char dir, const char *data, size_t len);

/* A formatted note ('*'), e.g. "TLS established: TLSv1.3". */
void plog_note(struct plog *, const char *peer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
