/* errand: a terminal mail user agent. See LICENSE.
 * Memory that never fails and the one way to stop on a bug. The base of every
 * layer (src/, ui/, net/, cache/ may all include it), as tmux's xmalloc.h. */
#ifndef ERRAND_XMALLOC_H
#define ERRAND_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* Allocate, or stop the process on out-of-memory; never return NULL. */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
int xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));
int xvasprintf(char **, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

/* A bug or an impossible state: print the message and abort. */
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
