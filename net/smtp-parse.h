/* errand: a terminal mail user agent. See LICENSE.
 * SMTP reply parser: push-style and sans-I/O. Bytes go in, whole replies
 * (one line or several "250-" lines ending with "250 ") come out with their
 * code, enhanced status code and text; EHLO replies are read into the
 * extensions the session acts on. Lines and replies are bounded.
 * RFC 5321 4.2 (replies), RFC 3463 and RFC 2034 (enhanced status codes),
 * RFC 1870 (SIZE), RFC 4954 (AUTH), RFC 2920, RFC 6152, RFC 6531. */
#ifndef ERRAND_NET_SMTP_PARSE_H
#define ERRAND_NET_SMTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct smtp_parser;

#define SMTP_MAX_LINE                                                          \
	4096                 /* default bytes of a reply line (RFC 5321
                              * says 512; servers exceed it) */
#define SMTP_MAX_LINES 200   /* default lines of one reply */
#define SMTP_MAX_REPLY 65536 /* default bytes of one reply's text */

/* One whole reply. Pointers are the parser's, valid until the next
 * smtp_parser_feed() or smtp_parser_free(). */
struct smtp_reply {
	int code;                 /* 200..599 */
	const char *enhanced;     /* "5.7.1" from the first line, or "" */
	const char *text;         /* the lines' texts (after the code and the
	                       * enhanced code) joined by "\n", as sent,
	                       * NUL-terminated; not cleaned */
	const char *const *lines; /* each line's text, as in text */
	size_t nlines;            /* lines in the reply, at least 1 */
};

/* A new parser; max_line and max_lines 0 for the defaults. Free with
 * smtp_parser_free(). */
struct smtp_parser *smtp_parser_new(size_t max_line, size_t max_lines);

/* Free the parser; NULL is a no-op. */
void smtp_parser_free(struct smtp_parser *);

/* Feed len bytes. Takes bytes up to the end of the first whole reply and
 * sets *used to the bytes taken. Returns 1 with *reply filled, 0 when every
 * byte was taken and more are needed, -1 on a protocol error (see
 * smtp_parser_error(); every later call also returns -1): a line over the
 * bound, too many lines, a NUL, a line that does not start with a reply
 * code, or a multi-line reply whose lines disagree on the code. CRLF or a
 * bare LF ends a line. Never reads a file descriptor. */
int smtp_parser_feed(struct smtp_parser *, const void *, size_t, size_t *used,
    struct smtp_reply *);

/* The protocol error, e.g. "reply line of more than 4096 bytes", or NULL.
 * Owned by the parser. */
const char *smtp_parser_error(const struct smtp_parser *);

/* 1 while a reply has started (bytes or lines taken) but is not whole. */
int smtp_parser_pending(const struct smtp_parser *);

/* EHLO extensions the session acts on, as bits. */
#define SMTP_EXT_PIPELINING 0x0001
#define SMTP_EXT_8BITMIME 0x0002
#define SMTP_EXT_SMTPUTF8 0x0004
#define SMTP_EXT_SIZE 0x0008
#define SMTP_EXT_STARTTLS 0x0010
#define SMTP_EXT_AUTH 0x0020
#define SMTP_EXT_ENHANCEDSTATUSCODES 0x0040

/* AUTH mechanisms, as bits. */
#define SMTP_AUTH_PLAIN 0x01
#define SMTP_AUTH_LOGIN 0x02
#define SMTP_AUTH_XOAUTH2 0x04
#define SMTP_AUTH_OAUTHBEARER 0x08
#define SMTP_AUTH_CRAM_MD5 0x10
#define SMTP_AUTH_OTHER 0x80

/* What an EHLO reply offered. */
struct smtp_ext {
	unsigned int ext;  /* SMTP_EXT_* */
	unsigned int auth; /* SMTP_AUTH_* offered with AUTH (or AUTH=) */
	unsigned int sasl; /* the same as net/sasl's SASL_BIT()s */
	uint64_t size;     /* SIZE n; 0 when absent or given without a
	                    * number (no limit announced) */
};

/* Read a 250 reply to EHLO: the first line is the greeting, each other
 * line a keyword and its parameters (case-insensitive; unknown keywords
 * such as CHUNKING are ignored). A SIZE that is not a number is taken as
 * no limit. */
void smtp_ext_parse(const struct smtp_reply *, struct smtp_ext *);

/* The DATA encoder (RFC 5321 4.5.2): LF, CR and CRLF line ends become
 * CRLF, a line that starts with "." has it doubled, and the end adds the
 * line end a last line lacked and the final ".". Kept between pieces, so
 * a message streams through it in pieces of any size. */
struct smtp_stuff {
	int bol; /* at the start of a line */
	int cr;  /* a CR was the last byte seen */
};

void smtp_stuff_init(struct smtp_stuff *);

/* Encode n bytes of in into out, which has room for 2 * n + 2 bytes;
 * returns the bytes written. */
size_t smtp_stuff(struct smtp_stuff *, const char *in, size_t n, char *out);

/* End the message: out has room for 5 bytes; returns the bytes written. */
size_t smtp_stuff_end(struct smtp_stuff *, char *out);

/* The class of a code: 2, 3, 4 or 5. */
#define SMTP_CLASS(code) ((code) / 100)

#endif
