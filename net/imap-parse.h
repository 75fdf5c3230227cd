/* errand: a terminal mail user agent. See LICENSE.
 * IMAP response parser: push-style and sans-I/O. Bytes go in, whole
 * responses (tagged, untagged, continuation) come out as a token tree held
 * in a per-response arena; interpreters turn FETCH, LIST, STATUS, SEARCH,
 * ESEARCH, VANISHED and the COPYUID, APPENDUID and MODIFIED codes into
 * structs. Every size is bounded before it is
 * allocated. RFC 3501, RFC 9051, RFC 7162 (CONDSTORE, QRESYNC), RFC 4731
 * (ESEARCH), RFC 5258/5819 (LIST-EXTENDED, LIST-STATUS), RFC 6154
 * (SPECIAL-USE), RFC 3516 (literal8), RFC 7888 (LITERAL+), RFC 4315
 * (UIDPLUS). */
#ifndef ERRAND_NET_IMAP_PARSE_H
#define ERRAND_NET_IMAP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct imap_parser;

/* Bounds; a zero field takes the default shown. */
struct imap_parse_limits {
	size_t max_literal;     /* bytes in one literal; 0: 64 MiB */
	size_t max_line;        /* bytes in one line (no literal); 0: 16 MiB */
	size_t max_response;    /* bytes in one response; 0: 96 MiB */
	unsigned int max_depth; /* nested parentheses; 0: 64 */
	size_t max_items;       /* items in one parenthesised list; 0: 100000 */
};

/* --- tokens ------------------------------------------------------------ */

enum imap_tok_type {
	IMAP_TOK_ATOM,    /* atom or number, also \Flag and section atoms such
	                   * as BODY[HEADER.FIELDS (A B)]<0>, kept whole */
	IMAP_TOK_QUOTED,  /* quoted string, unescaped */
	IMAP_TOK_LITERAL, /* {n} or ~{n} literal; may hold NUL bytes */
	IMAP_TOK_NIL,     /* NIL */
	IMAP_TOK_LIST,    /* ( ... ) */
};

/* One token. Valid until the next imap_parser_feed(); owned by the parser. */
struct imap_tok {
	enum imap_tok_type type;
	const char *s; /* bytes, NUL-terminated ("" for NIL and LIST) */
	size_t len;    /* bytes in s, without the NUL */
	int literal8;  /* LITERAL: sent as ~{n} */
	uint64_t size; /* LITERAL: the size the server sent; more than len
	                * when cut (imap_parser_set_literal_keep()) */
	size_t n;      /* LIST: number of items */
	const struct imap_tok *first; /* LIST: first item, or NULL */
	const struct imap_tok *next;  /* next item of the same list, or NULL */
};

/* 1 if tok is an atom equal to s, ignoring case. NULL tok gives 0. */
int imap_tok_is(const struct imap_tok *, const char *);

/* A number (atom of digits) into *v: 0, or -1 if not one or too big. */
int imap_tok_u32(const struct imap_tok *, uint32_t *);
int imap_tok_u64(const struct imap_tok *, uint64_t *);

/* 1 if tok is an atom, quoted string or literal (an IMAP string/astring). */
int imap_tok_is_string(const struct imap_tok *);

/* --- responses --------------------------------------------------------- */

enum imap_resp_type {
	IMAP_RESP_TAGGED,   /* "a1 OK ..." */
	IMAP_RESP_UNTAGGED, /* "* ..." */
	IMAP_RESP_CONTINUE, /* "+ ..." */
};

/* The condition of a status response; IMAP_COND_NONE for data. */
enum imap_cond {
	IMAP_COND_NONE,
	IMAP_COND_OK,
	IMAP_COND_NO,
	IMAP_COND_BAD,
	IMAP_COND_BYE,
	IMAP_COND_PREAUTH,
};

/* What an untagged data response is. */
enum imap_data {
	IMAP_DATA_NONE, /* status response or continuation */
	IMAP_DATA_CAPABILITY,
	IMAP_DATA_ENABLED,
	IMAP_DATA_LIST,
	IMAP_DATA_LSUB,
	IMAP_DATA_STATUS,
	IMAP_DATA_FLAGS,
	IMAP_DATA_SEARCH,
	IMAP_DATA_ESEARCH,
	IMAP_DATA_EXISTS,   /* "* n EXISTS" */
	IMAP_DATA_RECENT,   /* "* n RECENT" */
	IMAP_DATA_EXPUNGE,  /* "* n EXPUNGE" */
	IMAP_DATA_FETCH,    /* "* n FETCH (...)" */
	IMAP_DATA_VANISHED, /* "* VANISHED [(EARLIER)] uid-set" */
	IMAP_DATA_OTHER,    /* anything else: name and args kept */
};

/* A response code in [...]. Unknown codes are IMAP_CODE_OTHER. */
enum imap_code {
	IMAP_CODE_NONE,
	IMAP_CODE_ALERT,
	IMAP_CODE_CAPABILITY,
	IMAP_CODE_PERMANENTFLAGS,
	IMAP_CODE_UIDVALIDITY,
	IMAP_CODE_UIDNEXT,
	IMAP_CODE_HIGHESTMODSEQ,
	IMAP_CODE_NOMODSEQ,
	IMAP_CODE_CLOSED,
	IMAP_CODE_READ_ONLY,
	IMAP_CODE_READ_WRITE,
	IMAP_CODE_TRYCREATE,
	IMAP_CODE_UNSEEN,
	IMAP_CODE_AUTHENTICATIONFAILED,
	IMAP_CODE_COPYUID,   /* RFC 4315 */
	IMAP_CODE_APPENDUID, /* RFC 4315 */
	IMAP_CODE_MODIFIED,  /* RFC 7162 */
	IMAP_CODE_OTHER,
};

/* One whole response. Everything it points to is the parser's and valid
 * until the next imap_parser_feed() or imap_parser_free(). */
struct imap_resp {
	enum imap_resp_type type;
	const char *tag;       /* TAGGED: the tag; else "*" or "+" */
	enum imap_cond cond;   /* OK NO BAD BYE PREAUTH, or NONE for data */
	enum imap_data data;   /* UNTAGGED data: what it is */
	const char *name;      /* data: its name as sent ("FETCH"), else "" */
	uint32_t number;       /* "* n NAME": n */
	int has_number;        /* 1 when the response started with a number */
	enum imap_code code;   /* response code, IMAP_CODE_NONE if none */
	const char *code_name; /* the code's atom as sent, "" if none */
	const char *code_text; /* the code's arguments as raw text, "" */
	const struct imap_tok *code_args; /* known codes: the arguments
	                                   * tokenised, else NULL */
	const char *text; /* status and continuation: the human text, "" */
	const struct imap_tok *args; /* data: first token after the name */
	size_t nargs;                /* data: how many top-level tokens */
	size_t size;                 /* bytes this response took on the wire */
};

/* A new parser; limits NULL for the defaults. Free with imap_parser_free. */
struct imap_parser *imap_parser_new(const struct imap_parse_limits *);

/* Free the parser and every response it made; NULL is a no-op. */
void imap_parser_free(struct imap_parser *);

/* Feed len bytes of input. Consumes bytes up to the end of the first whole
 * response and sets *used to the bytes taken. Returns 1 with *resp set
 * when a response is complete (valid until the next call), 0 when every
 * byte was taken and more are needed, -1 on a protocol error (see
 * imap_parser_error(); every later call also returns -1). Never reads a
 * file descriptor. */
int imap_parser_feed(struct imap_parser *, const void *, size_t, size_t *used,
    const struct imap_resp **);

/* The bound on one literal from now on (0: the limit given at creation),
 * e.g. lower while fetching headers. */
void imap_parser_set_max_literal(struct imap_parser *, size_t);

/* Cut every literal over n bytes to its first n (the rest is read and
 * dropped, never buffered) instead of failing; 0: no cut. For a partial
 * fetch a server may answer with the whole message. */
void imap_parser_set_literal_keep(struct imap_parser *, size_t n);

/* The protocol error, e.g. "literal of 2147483648 bytes exceeds the
 * 67108864-byte limit", or NULL. Owned by the parser. */
const char *imap_parser_error(const struct imap_parser *);

/* 1 while a response has started but is not complete. */
int imap_parser_pending(const struct imap_parser *);

/* --- interpreters -----------------------------------------------------
 * Each takes the response just returned by imap_parser_feed() and fills a
 * struct whose pointers live in the parser's arena, valid until the next
 * feed. Each returns 0, or -1 with the reason in imap_parser_error() (the
 * parser stays usable: a bad FETCH is the caller's to judge). */

/* System flags as bits; other flags are keywords. */
#define IMAP_FLAG_SEEN 0x01
#define IMAP_FLAG_ANSWERED 0x02
#define IMAP_FLAG_FLAGGED 0x04
#define IMAP_FLAG_DELETED 0x08
#define IMAP_FLAG_DRAFT 0x10
#define IMAP_FLAG_RECENT 0x20

/* A UID range; hi >= lo. */
struct imap_range {
	uint32_t lo, hi;
};

/* A set of UIDs as sorted, merged, disjoint ranges. */
struct imap_uidset {
	const struct imap_range *r; /* ranges, ascending */
	size_t n;                   /* number of ranges */
	uint64_t count;             /* number of UIDs */
};

/* 1 if uid is in the set (binary search). */
int imap_uidset_contains(const struct imap_uidset *, uint32_t);

/* One BODY[...] / BINARY[...] item of a FETCH. */
struct imap_fetch_body {
	const char *section; /* between the brackets, e.g. "HEADER.FIELDS
	                      * (DATE FROM)"; "" for BODY[] */
	uint32_t origin;     /* <origin>, 0 if none */
	const char *data;    /* the bytes (NUL-terminated), NULL for NIL */
	size_t len;
	int cut; /* the server sent more; only the first len bytes kept */
};

#define IMAP_FETCH_MAX_BODIES 4

/* A FETCH response's items. has_* say which were present. */
struct imap_fetch {
	uint32_t seq;         /* message sequence number */
	uint32_t uid;         /* UID, 0 if absent */
	int has_flags;        /* FLAGS present */
	unsigned int flags;   /* IMAP_FLAG_* bits */
	const char *keywords; /* other flags, space-separated, "" if none */
	int has_modseq;       /* MODSEQ present */
	uint64_t modseq;      /* MODSEQ (n) */
	int has_internaldate; /* INTERNALDATE present and valid */
	time_t internaldate;  /* INTERNALDATE, seconds since the epoch */
	int has_size;         /* RFC822.SIZE present */
	uint64_t size;        /* RFC822.SIZE */
	const struct imap_tok *envelope;      /* ENVELOPE list, or NULL */
	const struct imap_tok *bodystructure; /* BODYSTRUCTURE/BODY list */
	struct imap_fetch_body body[IMAP_FETCH_MAX_BODIES]; /* BODY[...] */
	size_t nbody;
};

int imap_parse_fetch(
    struct imap_parser *, const struct imap_resp *, struct imap_fetch *);

/* Parse "DD-Mon-YYYY HH:MM:SS +ZZZZ" (leading space allowed) into *t:
 * 0, or -1 if malformed. */
int imap_parse_date_time(const char *, time_t *);

/* SPECIAL-USE of a mailbox (RFC 6154). */
enum imap_special {
	IMAP_SPECIAL_NONE,
	IMAP_SPECIAL_ALL,
	IMAP_SPECIAL_ARCHIVE,
	IMAP_SPECIAL_DRAFTS,
	IMAP_SPECIAL_FLAGGED,
	IMAP_SPECIAL_JUNK,
	IMAP_SPECIAL_SENT,
	IMAP_SPECIAL_TRASH,
};

/* LIST attribute bits. */
#define IMAP_LIST_NOSELECT 0x01      /* \Noselect */
#define IMAP_LIST_NONEXISTENT 0x02   /* \NonExistent */
#define IMAP_LIST_NOINFERIORS 0x04   /* \Noinferiors */
#define IMAP_LIST_HASCHILDREN 0x08   /* \HasChildren */
#define IMAP_LIST_HASNOCHILDREN 0x10 /* \HasNoChildren */
#define IMAP_LIST_MARKED 0x20        /* \Marked */
#define IMAP_LIST_UNMARKED 0x40      /* \Unmarked */
#define IMAP_LIST_SUBSCRIBED 0x80    /* \Subscribed */
#define IMAP_LIST_REMOTE 0x100       /* \Remote */

/* A LIST or LSUB response. */
struct imap_list_item {
	unsigned int attrs;        /* IMAP_LIST_* bits */
	enum imap_special special; /* special use, from the attributes */
	char delim;                /* hierarchy delimiter, 0 for NIL */
	const char *name;          /* mailbox name as sent (mUTF-7 or UTF-8) */
	size_t namelen;            /* bytes in name (a literal may hold NUL) */
};

int imap_parse_list(
    struct imap_parser *, const struct imap_resp *, struct imap_list_item *);

/* The special use for an attribute such as "\\Sent", or NONE. */
enum imap_special imap_special_from_attr(const char *);

/* Its attribute name ("\\Sent"), or NULL for NONE. */
const char *imap_special_name(enum imap_special);

/* A STATUS response. */
struct imap_status_item {
	const char *name; /* mailbox as sent */
	size_t namelen;
	int has_messages, has_unseen, has_uidnext, has_uidvalidity,
	    has_highestmodseq, has_recent;
	uint32_t messages, unseen, uidnext, uidvalidity, recent;
	uint64_t highestmodseq;
};

int imap_parse_status(
    struct imap_parser *, const struct imap_resp *, struct imap_status_item *);

/* A uid-set string ("1:3,7,9:*") into *set; '*' counts as star. */
int imap_parse_uidset(
    struct imap_parser *, const char *, uint32_t star, struct imap_uidset *);

/* Whether s is a uid set as imap_parse_uidset() reads one, '*' allowed
 * (for sets errand sends); *count, when not NULL, the UIDs its ranges name,
 * a range with '*' as one. */
int imap_uidset_valid(const char *s, uint64_t *count);

/* VANISHED: *earlier set for "(EARLIER)". */
int imap_parse_vanished(struct imap_parser *, const struct imap_resp *,
    int *earlier, struct imap_uidset *);

/* [COPYUID uidvalidity source-set dest-set] (RFC 4315): the sets are
 * sorted and merged, so with a non-ascending source set the pairing by
 * position is lost. */
int imap_parse_copyuid(struct imap_parser *, const struct imap_resp *,
    uint32_t *uidvalidity, struct imap_uidset *src, struct imap_uidset *dst);

/* [APPENDUID uidvalidity uid-set] (RFC 4315). */
int imap_parse_appenduid(struct imap_parser *, const struct imap_resp *,
    uint32_t *uidvalidity, struct imap_uidset *);

/* [MODIFIED set] (RFC 7162): the UIDs a conditional STORE left alone. */
int imap_parse_modified(
    struct imap_parser *, const struct imap_resp *, struct imap_uidset *);

/* SEARCH (numbers) or ESEARCH (the ALL item; none: empty set). */
int imap_parse_search(
    struct imap_parser *, const struct imap_resp *, struct imap_uidset *);

#endif
