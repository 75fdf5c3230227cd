/* errand: a terminal mail user agent. See LICENSE.
 * What compose.c and compose-reply.c share: a growing string and the
 * checks and guesses both make. Not for other modules. */
#ifndef ERRAND_COMPOSE_PRIVATE_H
#define ERRAND_COMPOSE_PRIVATE_H

#include <stddef.h>

/* A growing NUL-terminated string; zero it to start. */
struct compose_sbuf {
	char *s;     /* the text, or NULL while empty */
	size_t len;  /* bytes of s */
	size_t size; /* bytes allocated */
};

/* Append len bytes of s, or the string s, to b. */
void compose_sbuf_add(struct compose_sbuf *b, const char *s, size_t len);
void compose_sbuf_str(struct compose_sbuf *b, const char *s);

/* The text of b (the caller's, "" when empty); b is empty again. */
char *compose_sbuf_take(struct compose_sbuf *b);

/* Whether addr (a bare address) looks like local@domain. */
int compose_addr_valid(const char *addr);

/* The type of the file path: by its extension in mime_types (NULL:
 * /etc/mime.types), else libmagic, else application/octet-stream. The
 * caller's. */
char *compose_guess_type(const char *path, const char *mime_types);

#endif
