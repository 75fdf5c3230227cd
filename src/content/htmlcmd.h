/* errand: a terminal mail user agent. See LICENSE.
 * The reader's HTML viewer (the mailcap's copiousoutput command) run on the
 * event loop: the HTML goes to its stdin, its stdout comes back by callback,
 * and a slow or stuck viewer never holds up the keys or the sync. */
#ifndef ERRAND_HTMLCMD_H
#define ERRAND_HTMLCMD_H

#include <stddef.h>

struct event_base;
struct htmlcmd;

#define HTMLCMD_TIMEOUT 5000      /* ms a viewer may take */
#define HTMLCMD_OUT_MAX (8 << 20) /* bytes of its output kept */

/* out: the viewer's output (the callee's to free), NULL when it could not
 * run, exited non-zero, wrote nothing, wrote more than HTMLCMD_OUT_MAX or
 * took longer than the timeout (it is then killed). */
typedef void (*htmlcmd_cb)(char *out, size_t len, void *arg);

/* Run cmd with sh -c, the len bytes of in on its stdin (a socket, so that a
 * viewer that stops reading cannot raise SIGPIPE here), stderr to
 * /dev/null; timeout_ms 0 means HTMLCMD_TIMEOUT. cb runs once, from the
 * loop, unless the run is cancelled first. NULL when it cannot start (cb
 * does not run then). */
struct htmlcmd *htmlcmd_start(struct event_base *, const char *cmd,
    const char *in, size_t len, int timeout_ms, htmlcmd_cb cb, void *arg);

/* Kill the viewer and forget it; cb does not run. NULL is a no-op. */
void htmlcmd_cancel(struct htmlcmd *);

#endif
