/* errand: a terminal mail user agent. See LICENSE.
 * Message headers into UTF-8: a header block as IMAP fetches it, decoded
 * into the fields the index and the cache need. RFC 5322 (fields, folding,
 * addresses, dates), RFC 2047 (encoded words), RFC 2231 (parameters),
 * RFC 2045 (Content-Type), RFC 6532 (raw UTF-8). Built on GMime 3. */
#ifndef ERRAND_MIME_H
#define ERRAND_MIME_H

#include <stddef.h>
#include <time.h>

/* The longest field value decoded; the rest of a longer one is dropped. */
#define MIME_FIELD_MAX 65536

/* The longest charset label looked at; a longer one is unknown. */
#define MIME_CHARSET_MAX 64

/* The charset raw 8-bit header bytes are read in when they are not UTF-8. */
#define MIME_FALLBACK_CHARSET "windows-1252"

/*
 * The decoded header fields of one message. Every string is UTF-8 that
 * text_clean() has made terminal-safe (one line, no controls), never NULL,
 * and "" when the field is missing. When a field is given twice, the first
 * counts.
 */
struct mime_headers {
	char *subject;     /* Subject, encoded words decoded, unfolded */
	char *from_name;   /* first From mailbox's display name, or "" */
	char *from_addr;   /* first From mailbox's address (local@domain) */
	char *to;          /* To as a readable list: Name <a@b>, c@d */
	char *cc;          /* Cc, the same way */
	time_t date;       /* Date as a time, 0 when missing or unparsable */
	char *message_id;  /* Message-ID without its angle brackets */
	char *in_reply_to; /* the first msg-id in In-Reply-To, no brackets */
	char *references;  /* References' msg-ids, no brackets, space between */
	int has_attachment; /* a hint: multipart/mixed, or a named non-text */
};

/* Initialise GMime; mime_headers_decode() does it itself when needed. Call
 * from one thread: this module is not thread-safe. */
void mime_init(void);

/* Release what mime_init() and the decoders hold (for leak checkers). */
void mime_shutdown(void);

/*
 * Decode the header block buf of len bytes (CRLF or LF lines, folded or
 * not, ending at the first empty line or at len; NUL bytes are ignored).
 * Raw 8-bit bytes are taken as UTF-8 when they are valid UTF-8, otherwise
 * read in fallback_charset (NULL means MIME_FALLBACK_CHARSET; an unknown
 * one means ISO-8859-1). Never fails: any bytes give a struct, the caller's,
 * to free with mime_headers_free().
 */
struct mime_headers *mime_headers_decode(
    const char *buf, size_t len, const char *fallback_charset);

/* Free h and its strings; NULL is a no-op. */
void mime_headers_free(struct mime_headers *h);

/*
 * Decode the RFC 2047 encoded words in an unstructured field value (such as
 * a Subject) of len bytes, unfolding it, with raw bytes handled as by
 * mime_headers_decode(). The result is terminal-safe UTF-8, the caller's,
 * free it with free(); s may be NULL (the result is then "").
 */
char *mime_decode_words(
    const char *s, size_t len, const char *fallback_charset);

/*
 * Decode an address list field value (From, To, Cc, Reply-To...) of len
 * bytes as mime_headers_decode() reads To: "Name <addr>, addr", names
 * decoded. Terminal-safe UTF-8, the caller's; "" when s is NULL or holds no
 * address.
 */
char *mime_decode_addresses(
    const char *s, size_t len, const char *fallback_charset);

/*
 * Decode the value of field name (len bytes, as in the message) for showing
 * it, exactly as mime_headers_decode() decodes the fields it keeps, so the
 * pager and the index agree: an address field (From, To, Cc, Reply-To,
 * Sender, Resent-*, ...) as mime_decode_addresses() reads it when it holds
 * an address, any other as mime_decode_words() does. Raw 8-bit bytes that
 * are not UTF-8 are read in the charset of content_type (the raw value of
 * the same header's Content-Type, NULL when there is none) when they
 * convert in it, else in fallback_charset. Terminal-safe UTF-8, the
 * caller's; "" when value is NULL.
 */
char *mime_decode_field(const char *name, const char *value, size_t len,
    const char *content_type, const char *fallback_charset);

/*
 * The name iconv knows for a charset label from mail, written into buf of
 * size bytes (at least MIME_CHARSET_MAX) and returned: labels iconv does not
 * know and labels that stand for a superset (WHATWG's Encoding Standard:
 * gb2312 is GBK, iso-8859-1 is windows-1252, ks_c_5601-1987 is windows-949;
 * CHINESEBIG5, GB2312_CHARSET and the like) go through an alias table,
 * white space and quotes around the label are dropped, any other label is
 * given as it is. "" when label is NULL, too long, or says nothing
 * (x-unknown, unknown-8bit): the caller's fallback then applies.
 */
const char *mime_charset_name(const char *label, char *buf, size_t size);

/*
 * Whether len bytes of s, labelled charset, are better read as UTF-8: they
 * hold 8-bit bytes and are valid UTF-8 as a whole, which text in any legacy
 * charset almost never is (UTF-8 labelled GB2312 even converts cleanly, as
 * nonsense). Never for the UTF-16 and UTF-32 families; 0 for a NULL
 * charset.
 */
int mime_prefer_utf8(const char *charset, const char *s, size_t len);

/*
 * For tests: on 0, Content-Type, References, In-Reply-To and Date go to
 * GMime's parsers alone; on 1 (the default) their common shapes are read
 * without it first. Returns how many values those fast paths have read since
 * the last call, so a test can compare the two ways and see both taken.
 */
unsigned long mime_set_fast(int on);

#endif
