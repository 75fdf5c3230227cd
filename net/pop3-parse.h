/* errand: a terminal mail user agent. See LICENSE.
 * POP3 response parser: push-style and sans-I/O. The caller says what each
 * command it sent will get back (one line, a listing, a message body);
 * bytes go in, status lines, listing lines and body pieces come out. A body
 * streams in pieces of any size, dot-unstuffed, never held whole; lines
 * and listings are bounded. RFC 1939, RFC 2449 (CAPA, response codes),
 * RFC 3206 (AUTH, SYS codes), RFC 5034 (SASL continuations). */
#ifndef ERRAND_NET_POP3_PARSE_H
#define ERRAND_NET_POP3_PARSE_H

#include <stddef.h>

struct pop3_parser;

/* Bounds; a zero field takes the default shown. */
struct pop3_parse_limits {
	size_t max_line;    /* bytes in a status or listing line, without the
	                     * line end; 0: 4096 */
	size_t max_listing; /* bytes in one CAPA/LIST/UIDL listing; 0: 32 MiB */
};

/* What the next response will be, in the order the commands were sent. */
enum pop3_expect {
	POP3_EXPECT_LINE,    /* one status line (USER, DELE, STAT, ...) */
	POP3_EXPECT_LISTING, /* status, then lines if +OK (CAPA, LIST, UIDL) */
	POP3_EXPECT_BODY,    /* status, then a message if +OK (RETR, TOP) */
	POP3_EXPECT_SASL,    /* status or a "+ " continuation (AUTH) */
};

/* A response code (RFC 2449 8, RFC 3206) in brackets after the status. */
enum pop3_code {
	POP3_CODE_NONE,
	POP3_CODE_IN_USE,      /* [IN-USE]: the mailbox is locked */
	POP3_CODE_LOGIN_DELAY, /* [LOGIN-DELAY]: logged in too recently */
	POP3_CODE_AUTH,        /* [AUTH]: the credentials are wrong */
	POP3_CODE_SYS_TEMP,    /* [SYS/TEMP]: try again later */
	POP3_CODE_SYS_PERM,    /* [SYS/PERM]: do not try again */
	POP3_CODE_OTHER,       /* any other code; see code_name */
};

enum pop3_event_type {
	POP3_EV_STATUS,   /* a +OK or -ERR line */
	POP3_EV_CONTINUE, /* a SASL "+ text" line */
	POP3_EV_LINE,     /* one line of a listing, unstuffed */
	POP3_EV_DATA,     /* a piece of a body, unstuffed, line ends kept */
	POP3_EV_END,      /* the "." that ends a listing or body */
};

/* One event. Pointers are the parser's (or into the bytes fed) and valid
 * until the next pop3_parser_feed() or pop3_parser_free(). */
struct pop3_event {
	enum pop3_event_type type;
	int ok;                /* STATUS: 1 for +OK, 0 for -ERR */
	int more;              /* STATUS: 1 when lines or a body follow */
	enum pop3_code code;   /* STATUS: the response code */
	const char *code_name; /* STATUS: the code as sent ("SYS/TEMP"), "" */
	const char *text;      /* STATUS, CONTINUE: the text after the status
	                        * and code; LINE: the line; NUL-terminated */
	const char *data;      /* DATA: the bytes (not NUL-terminated); LINE:
	                        * same as text */
	size_t len;            /* DATA, LINE: bytes in data */
	const char *line;      /* STATUS, CONTINUE, LINE: the line as sent,
	                        * without its line end, for the log */
};

/* A new parser; limits NULL for the defaults. Free with pop3_parser_free. */
struct pop3_parser *pop3_parser_new(const struct pop3_parse_limits *);

/* Free the parser; NULL is a no-op. */
void pop3_parser_free(struct pop3_parser *);

/* Queue what the next response not yet announced will be: call once for
 * each command as it is sent (the greeting is a POP3_EXPECT_LINE). */
void pop3_parser_expect(struct pop3_parser *, enum pop3_expect);

/* Feed len bytes. Consumes bytes up to the end of the first event and sets
 * *used to the bytes taken. Returns 1 with *ev filled, 0 when every byte
 * was taken and more are needed, -1 on a protocol error (see
 * pop3_parser_error(); every later call also returns -1): a line over the
 * bound, a listing over the bound, a NUL in a line, a status that is
 * neither +OK nor -ERR, or bytes when no response is expected. Never reads
 * a file descriptor. */
int pop3_parser_feed(struct pop3_parser *, const void *, size_t, size_t *used,
    struct pop3_event *);

/* The protocol error, e.g. "line of more than 4096 bytes", or NULL. Owned
 * by the parser. */
const char *pop3_parser_error(const struct pop3_parser *);

/* 1 while a response has started but is not complete. */
int pop3_parser_pending(const struct pop3_parser *);

/* Responses expected and not yet complete (the one being read included). */
size_t pop3_parser_queued(const struct pop3_parser *);

/* The code's name for messages ("IN-USE"), or NULL for NONE and OTHER. */
const char *pop3_code_name(enum pop3_code);

#endif
