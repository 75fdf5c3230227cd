/* errand: a terminal mail user agent. See LICENSE.
 * One message as the pager shows it, without curses: headers, the readable
 * body (RFC 5322, RFC 2045-2049 MIME, RFC 2046 alternatives, RFC 3676
 * format=flowed, RFC 1896 text/enriched, RFC 2231 file names, HTML made
 * text), wrapped to a width, every line terminal-safe UTF-8, and the list
 * of attachments (uuencoded ones in text too). */
#ifndef ERRAND_RENDER_H
#define ERRAND_RENDER_H

#include <stddef.h>

/* Bounds on the work one message may cause, whatever it holds. */
#define RENDER_DEPTH_MAX 16     /* nested multiparts and messages */
#define RENDER_PARTS_MAX 1000   /* MIME parts looked at */
#define RENDER_LINES_MAX 500000 /* lines made; the rest is dropped */

/* Text for an HTML part from the reader's viewer: html is the part as
 * UTF-8; returns the viewer's text (malloc'd, its length in *outlen), or
 * NULL for the built-in converter. */
typedef char *(*render_html_fn)(
    void *arg, const char *html, size_t len, size_t *outlen);

/* What the caller asks for; fill it in (zero it first). */
struct render_opts {
	size_t width;               /* columns to wrap at; 0 means 80; */
	                            /* kept within 10..1000 */
	const char *charset;        /* for unlabelled 8-bit text; NULL: */
	                            /* windows-1252 */
	render_html_fn html;        /* called for each HTML part shown, */
	void *html_arg;             /* in order; NULL: the built-in */
	const char *const *headers; /* header names to show, NULL-ended; */
	                            /* NULL: From To Cc Date Subject */
};

/* What a line is, for its colour. */
enum render_kind {
	RENDER_HEADER,     /* "Name: value"; name_len bytes are the name */
	RENDER_BODY,       /* body text */
	RENDER_QUOTE,      /* quoted text, level 1..n */
	RENDER_SIGNATURE,  /* from the "-- " line to the end of the part */
	RENDER_ATTACHMENT, /* an "[-- Attachment #n: ... --]" entry */
	RENDER_SEPARATOR   /* "[-- ... --]": a part or message begins */
};

/* Attributes of a character of a line (text/enriched's <bold>, <italic>,
 * <underline>), for the pager to draw as the terminal's attributes. */
#define RENDER_ATTR_BOLD 0x1
#define RENDER_ATTR_ITALIC 0x2
#define RENDER_ATTR_UNDERLINE 0x4

/* One screen line. */
struct render_line {
	const char *text;          /* UTF-8, terminal-safe, no newline */
	size_t len;                /* bytes of text */
	size_t width;              /* columns text takes, at most the width */
	enum render_kind kind;     /* what it is */
	int level;                 /* quote depth for RENDER_QUOTE, else 0 */
	size_t name_len;           /* RENDER_HEADER: bytes of "Name:", 0 on */
	                           /* a wrapped continuation line */
	const unsigned char *attr; /* NULL when the line is plain; else */
	                           /* len bytes, the RENDER_ATTR_ flags */
	                           /* of each byte of text */
};

/* One part that is not shown inline. */
struct render_attachment {
	const char *type;     /* "type/subtype", lower case */
	const char *filename; /* RFC 2231 / 2047 decoded, terminal-safe, */
	                      /* "" when it has none; never use as a path; */
	                      /* a uuencoded file's name from its "begin" */
	size_t size;          /* decoded size in bytes */
};

/* The directions of render_search(). */
#define RENDER_FORWARD 1
#define RENDER_BACKWARD (-1)

/* What render_search() gives when nothing matches. */
#define RENDER_NOT_FOUND ((size_t)-1)

struct render_doc;

/*
 * Render the len bytes of raw (a whole message, as BODY.PEEK[] gives it)
 * with opts (NULL: all defaults). Never fails: any bytes give a document,
 * the caller's, to free with render_free(). Widths come from wcwidth(3):
 * call setlocale(LC_CTYPE, ...) with a UTF-8 locale first. It runs no
 * program itself (the reader's viewer comes in through opts->html); not
 * thread-safe (GMime and mime.c are not).
 */
struct render_doc *render_message(
    const char *raw, size_t len, const struct render_opts *opts);

/* Free doc and all it holds; NULL is a no-op. */
void render_free(struct render_doc *doc);

/* The number of lines of doc. */
size_t render_nlines(const struct render_doc *doc);

/* Line i of doc, owned by doc; NULL when i is past the end. */
const struct render_line *render_line(const struct render_doc *doc, size_t i);

/* The number of attachments of doc, in the order they are listed. */
size_t render_nattachments(const struct render_doc *doc);

/* Attachment i of doc (#i+1 on screen), owned by doc; NULL past the end. */
const struct render_attachment *render_attachment(
    const struct render_doc *doc, size_t i);

/*
 * The content of attachment i (#i+1 on screen, as render_message() lists
 * it with the same opts) of the message raw, its transfer encoding or
 * uuencoding undone, for saving; its length in *outlen. NULL when there is
 * no such attachment. The result is the caller's, NUL-terminated after
 * *outlen bytes.
 */
char *render_attachment_content(const char *raw, size_t len,
    const struct render_opts *opts, size_t i, size_t *outlen);

/*
 * Attachment name as a file name of its own (no directory part), for
 * saving attachment #n: the part after its last '/' or '\\', with
 * controls, leading dots and spaces dropped and cut to 200 bytes;
 * "attachment-n" when nothing is left. The result is the caller's.
 */
char *render_safe_filename(const char *name, size_t n);

/*
 * Save attachment i of the message raw (the content
 * render_attachment_content() gives) in directory dir under
 * render_safe_filename(), never over an existing file: "name-1.ext",
 * "name-2.ext" and so on instead. The file is mode 0600. 0 with the path
 * written in *path, or -1 with *err saying what failed; either string is
 * the caller's.
 */
int render_attachment_save(const char *raw, size_t len,
    const struct render_opts *opts, size_t i, const char *dir, char **path,
    char **err);

/*
 * The first line at or after from (direction RENDER_FORWARD) or at or
 * before it (RENDER_BACKWARD) whose text holds needle, ignoring case (simple
 * one-to-one folding of UTF-8); RENDER_NOT_FOUND when none does, or needle
 * is NULL or "". It does not wrap around; for "next", pass the current line
 * plus or minus one.
 */
size_t render_search(const struct render_doc *doc, size_t from,
    const char *needle, int direction);

#endif
