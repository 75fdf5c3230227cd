/* errand: a terminal mail user agent. See LICENSE.
 * Mailbox names in modified UTF-7 (RFC 3501 5.1.3), to and from UTF-8.
 * Strict both ways: malformed input is refused, never guessed at. */
#ifndef ERRAND_NET_IMAP_UTF7_H
#define ERRAND_NET_IMAP_UTF7_H

#include <stddef.h>

/* Decode a modified UTF-7 name of len bytes to UTF-8. Returns a string the
 * caller frees, or NULL when the input is not valid modified UTF-7 (bad
 * base64, a non-minimal or unterminated shift, an unpaired surrogate, a
 * byte outside printable ASCII, an encoded printable ASCII character). */
char *imap_utf7_decode(const char *, size_t);

/* Encode a UTF-8 name of len bytes to modified UTF-7. Returns a string the
 * caller frees, or NULL when the input is not valid UTF-8 (overlong forms,
 * surrogates, NUL, values past U+10FFFF). */
char *imap_utf7_encode(const char *, size_t);

#endif
