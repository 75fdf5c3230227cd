/* errand: a terminal mail user agent. See LICENSE.
 * Terminal-safe text. Every string that reaches the screen or stdout passes
 * text_clean(): it shows control characters inert in caret notation (so an
 * escape sequence is shown as "^[[31m", never sent), removes bidi overrides
 * and repairs invalid UTF-8. Also display width (wcwidth, UAX #11) and
 * truncation to a number of columns. */
#ifndef ERRAND_TEXT_H
#define ERRAND_TEXT_H

#include <stddef.h>

/* Flags for text_clean(). With none, the result is one line of text. */
#define TEXT_KEEP_NEWLINE 0x1 /* keep LF; CRLF becomes LF, a lone CR goes */
#define TEXT_KEEP_TAB 0x2     /* keep TAB (else it becomes a space) */

/* The replacement for bytes that are not UTF-8: U+FFFD. */
#define TEXT_REPLACEMENT "\xef\xbf\xbd"

/*
 * Make len bytes of s terminal-safe UTF-8; the result is the caller's, free
 * it with free(); s may be NULL (the result is then ""). What is done:
 * - every C0 control and DEL is shown inert in caret notation, as mutt and
 *   less show it: ESC as "^[", BEL as "^G", NUL as "^@", DEL as "^?"; the
 *   rest of an escape sequence is then plain text ("^[]0;title^G");
 * - a C1 control (U+0080-U+009F) is shown as its 7-bit form, "^[" and a
 *   character ("^[[" for U+009B CSI);
 * - except TAB and LF: each becomes a space unless its TEXT_KEEP_ flag is
 *   given; CR is removed (CRLF and a lone CR are a space without
 *   TEXT_KEEP_NEWLINE); U+2028 and U+2029 are treated as LF;
 * - the bidi embedding, override and isolate controls (U+202A-U+202E,
 *   U+2066-U+2069) are removed, so that text cannot reorder what follows it;
 * - each invalid, overlong or surrogate UTF-8 sequence, and each code point
 *   over U+10FFFF, becomes U+FFFD (TEXT_REPLACEMENT).
 * Printable ASCII is copied as it is, so clean text is unchanged, and the
 * result holds no byte below 0x20 but TAB and LF, no DEL and no C1.
 */
char *text_clean(const char *s, size_t len, int flags);

/* Like text_clean(s, strlen(s), 0); NULL gives "". The result is the
 * caller's. */
char *text_clean_line(const char *s);

/* Like text_clean_line() on at most max bytes of s, with "..." after it
 * when s was longer: a server's words in a message to the user. */
char *text_clean_max(const char *s, size_t max);

/* Whether len bytes of s are valid UTF-8 (no overlong forms, surrogates or
 * code points over U+10FFFF); NUL bytes count as valid. */
int text_utf8_valid(const char *s, size_t len);

/*
 * Whether len bytes of s are UTF-8 with a few bad bytes rather than text in
 * another charset: they hold at least one valid multi-byte sequence and no
 * more invalid bytes than such sequences (a legacy 8-bit charset seldom
 * makes even one valid sequence by chance, and then many invalid bytes).
 */
int text_utf8_likely(const char *s, size_t len);

/* len bytes of s with each invalid UTF-8 byte made U+FFFD and nothing else
 * changed (controls stay); the caller's, NUL-terminated. */
char *text_utf8_repair(const char *s, size_t len);

/*
 * The number of terminal columns the UTF-8 string s takes: wide (East Asian)
 * characters count two, combining and zero-width ones none; an invalid byte
 * counts one, like the U+FFFD text_clean() makes of it; a control character
 * none. Needs setlocale(LC_CTYPE, ...) with a UTF-8 locale first, since it
 * asks wcwidth(3). NULL gives 0.
 */
size_t text_width(const char *s);

/*
 * The number of bytes of s that fit in cols columns, never cutting a
 * character and keeping the zero-width characters after the last one that
 * fits; their width goes to *width when it is not NULL.
 */
size_t text_fit(const char *s, size_t cols, size_t *width);

/*
 * s cut to at most cols columns: when it is wider, the end is replaced by
 * U+2026 HORIZONTAL ELLIPSIS (when cols is at least 1). The result is the
 * caller's, free it with free(); NULL gives "".
 */
char *text_truncate(const char *s, size_t cols);

#endif
