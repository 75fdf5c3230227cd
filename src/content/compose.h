/* errand: a terminal mail user agent. See LICENSE.
 * Writing mail without a terminal: the draft file the user edits, the
 * message GMime builds from it (RFC 5322, RFC 2045-2049, RFC 2047/2231,
 * RFC 3676 format=flowed), and the drafts of replies and forwards made
 * from a message as cached. Runs no program and touches no network. */
#ifndef ERRAND_COMPOSE_H
#define ERRAND_COMPOSE_H

#include <stddef.h>
#include <time.h>

/* The largest draft file read, and the longest line in its header. */
#define COMPOSE_DRAFT_MAX (64 * 1024 * 1024)
#define COMPOSE_HEADER_LINE_MAX 65536

/* References keeps at most this many msg-ids: the first and the last. */
#define COMPOSE_REFERENCES_MAX 20

/* One file to attach. */
struct compose_attachment {
	char *path;        /* the file; read when the message is built */
	char *description; /* Content-Description, or NULL */
	char *type;        /* "type/subtype", or NULL: from /etc/mime.types, */
	                   /* else libmagic */
};

/*
 * A message being written: what the draft file holds. Every string is
 * UTF-8 and the struct's own (malloc'd); NULL or "" for a field not given.
 * Address lists are as typed ("Ann <a@b>, c@d"). In the file:
 *
 *	From: ...            (also To, Cc, Bcc, Subject, Reply-To,
 *	                      In-Reply-To, References)
 *	Attach: PATH [; type=TYPE/SUB] [; DESCRIPTION]   (one a file;
 *	        PATH in "..." with \" and \\ when it holds a ';', starts
 *	        with '"' or has white space at an end; "~/" is $HOME/)
 *	Flowed: yes          (only when flowed is set)
 *
 * then an empty line and the body. Header lines may be folded (a line
 * starting with a space or tab continues the one before); other fields
 * are kept in extra and written back, but not sent.
 */
struct draft {
	char *from;        /* "Name <addr>" */
	char *to;          /* address lists, as typed */
	char *cc;          /* ... */
	char *bcc;         /* (not in the message; in the envelope) */
	char *subject;     /* the subject, UTF-8 */
	char *reply_to;    /* an address list */
	char *in_reply_to; /* "<id@host>" */
	char *references;  /* "<a@b> <c@d>" */
	struct compose_attachment *attach; /* the files to attach, */
	size_t nattach;                    /* nattach of them */
	char *body;                        /* the text, LF line ends */
	int flowed;  /* send it as format=flowed (RFC 3676) */
	char *extra; /* other header lines of the file, LF-ended, or NULL */
};

/* Zero d; call before filling it by hand. */
void compose_draft_init(struct draft *d);

/* Free what d holds and zero it; d itself is the caller's. */
void compose_draft_free(struct draft *d);

/* Add an attachment to d (copies of the strings; description and type
 * may be NULL). Checks nothing: see compose_attachment_check(). */
void compose_draft_attach(struct draft *d, const char *path,
    const char *description, const char *type);

/* Remove attachment i of d (the file stays); no-op past the end. */
void compose_draft_detach(struct draft *d, size_t i);

/*
 * Read the draft file path into d (initialised here; free it with
 * compose_draft_free() whatever the result). 0, or -1 with *err (the
 * caller's) naming the file and the line: "draft.eml:3: To: 'bob@' is not
 * an address". Address fields are checked; attachments are not (they are
 * when the message is built).
 */
int compose_draft_read(const char *path, struct draft *d, char **err);

/* The same from len bytes of buf; name is used in the errors. */
int compose_draft_parse(
    const char *buf, size_t len, const char *name, struct draft *d, char **err);

/*
 * Write d to path in the format compose_draft_read() reads: a temporary
 * file beside it, fsync'd and renamed over path, mode 0600. 0, or -1 with
 * *err (the caller's).
 */
int compose_draft_write(const struct draft *d, const char *path, char **err);

/* Whether list (as typed: "Ann <a@b>, c@d") holds only addresses and at
 * least one: 0, or -1 with *err (the caller's) naming the first bad one:
 * "'bob@' is not an address". */
int compose_addresses_check(const char *list, char **err);

/* Whether path can be attached: a readable regular file. 0, or -1 with
 * *err (the caller's): "cannot attach 'x': no such file". */
int compose_attachment_check(const char *path, char **err);

/*
 * Append the signature file path to *body (malloc'd, replaced): "-- \n"
 * and the file's text, after a newline if the body does not end in one.
 * 0, or -1 with *err (the caller's) when the file cannot be read; *body
 * is then unchanged.
 */
int compose_add_signature(char **body, const char *path, char **err);

/* How compose_build() makes the message; zero it, then fill it in. */
struct compose_opts {
	const char *from;         /* From when the draft has none, or NULL */
	int text_flowed;          /* format=flowed even if the draft does */
	                          /* not ask for it */
	const char *msgid_domain; /* Message-ID's right side; NULL: the From */
	                          /* address's domain */
	time_t date;              /* Date; 0: now */
	const char *mime_types;   /* the mime.types file; NULL: */
	                          /* /etc/mime.types */
};

/* Who a built message goes to, for SMTP's MAIL FROM and RCPT TO. */
struct compose_envelope {
	char *from;       /* the From address (bare local@domain) */
	char **rcpt;      /* To, Cc and Bcc addresses, bare, each once */
	size_t nrcpt;     /* (compared ignoring case), in that order */
	char *message_id; /* the Message-ID given, without brackets */
};

/* Free what env holds and zero it; env itself is the caller's. */
void compose_envelope_free(struct compose_envelope *env);

/*
 * Build the message of draft d with opts and write it to outfd (CRLF line
 * ends, no line over 998 octets, not dot-stuffed; Bcc is not in it). Text
 * is 7bit or quoted-printable, other attachments base64, a message/rfc822
 * 7bit or 8bit. Attachments are read from
 * disk as the message is written, never held whole in memory. env (may be
 * NULL) receives the envelope: the caller's, free it with
 * compose_envelope_free(). 0, or -1 with *err (the caller's); when a draft
 * field or an attachment is bad nothing has been written to outfd; a
 * write error may leave part of the message written.
 */
int compose_build(const struct draft *d, const struct compose_opts *opts,
    int outfd, struct compose_envelope *env, char **err);

/* Who the user is, for replies. */
struct compose_ident {
	const char *from;              /* "Name <addr>": the reply's From */
	const char *const *alternates; /* the user's other addresses: */
	                               /* regexes (extended, case */
	                               /* insensitive), NULL-ended, or NULL */
};

/* Which reply. */
enum compose_reply_kind {
	COMPOSE_REPLY, /* to the author: Reply-To, else From */
	COMPOSE_GROUP, /* to all: Mail-Followup-To, else author + To + Cc */
	COMPOSE_LIST   /* to the list: Mail-Followup-To, else List-Post */
};

/* What the UI needs to ask about a reply. */
struct compose_reply_info {
	int reply_to_differs; /* Reply-To names others than From: ask */
	                      /* mutt's "Reply to REPLY-TO?" */
	char *alt_to;         /* To and Cc to use when the user says no */
	char *alt_cc;         /* (From in place of Reply-To); else NULL */
};

/* Free what info holds and zero it. */
void compose_reply_info_free(struct compose_reply_info *info);

/* The attribution used when none is configured. */
#define COMPOSE_ATTRIBUTION "On %d, %n wrote:"

/*
 * Make in out (initialised here) the draft of a reply of kind to the len
 * bytes of raw (a message as cached), from ident, quoting the original's
 * text under attribution (NULL: COMPOSE_ATTRIBUTION), whose escapes are
 * %n the author's name (else address), %a the author's address, %d the
 * original's Date as written, %s its Subject (decoded), %% a '%'.
 * From is ident->from; To/Cc leave out the user's own addresses (ident)
 * and duplicates (a reply to the user's own message goes to its To);
 * Subject starts with one "Re: "; In-Reply-To and References are set.
 * The body is the attribution line and the text (text/plain, else the
 * HTML made text; its signature left out) with "> " before each line.
 * info (may be NULL) is filled in for the UI: free it with
 * compose_reply_info_free(). 0, or -1 with *err (the caller's), as for a
 * list reply to a message with no List-Post: mailto address.
 */
int compose_reply(const char *raw, size_t len, enum compose_reply_kind kind,
    const struct compose_ident *ident, const char *attribution,
    struct draft *out, struct compose_reply_info *info, char **err);

/*
 * Make in out (initialised here) the draft forwarding the len bytes of raw;
 * From, To and Cc are left for the caller to fill in. Subject starts with
 * one "Fwd: ". Inline (as_attachment 0): the body is a
 * "---------- Forwarded message ----------" block with From, Date,
 * Subject, To and Cc, then the original's text; the original's
 * attachments are written as files into a new private directory
 * (mode 0700) under dir, "DIR/fwd-XXXXXX/N/NAME", and attached from
 * there. As attachment: the whole message is written there as a file and
 * attached as message/rfc822. Remove those files with compose_cleanup()
 * once the message is sent or dropped. 0, or -1 with *err (the caller's).
 */
int compose_forward(const char *raw, size_t len, int as_attachment,
    const char *dir, struct draft *out, char **err);

/*
 * Turn the len bytes of raw, a message postponed to Drafts (by errand or
 * another program), back into a draft in out (initialised here): From,
 * To, Cc, Bcc, Reply-To and Subject decoded, In-Reply-To and References
 * as written, the body its text (text/plain, else the HTML made text),
 * its attachments written as files under dir as compose_forward() does
 * (remove them with compose_cleanup()). 0, or -1 with *err (the caller's).
 */
int compose_recall(const char *raw, size_t len, const char *dir,
    struct draft *out, char **err);

/* Remove the files compose_forward() made under dir for d's attachments
 * (those in a "fwd-*" directory of dir) and their directories. */
void compose_cleanup(const struct draft *d, const char *dir);

/* The subject of a reply ("Re: ") or forward ("Fwd: ") to subject (raw or
 * RFC 2047-encoded), with the prefixes already there (Re:, RE:, Aw:, SV:,
 * Re[2]:, Fwd:, Fw: ...) taken off first. The caller's. */
char *compose_reply_subject(const char *subject);
char *compose_forward_subject(const char *subject);

#endif
