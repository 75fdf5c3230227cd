/* errand: a terminal mail user agent. See LICENSE.
 * The typed journal: what each pending change does, as an operation with
 * its own arguments, and the one encoder and decoder between that and the
 * stored form (an op name and a tab-joined argument). */
#ifndef ERRAND_JOURNAL_H
#define ERRAND_JOURNAL_H

#include <stdint.h>

struct store;
struct store_journal;

enum journal_op {
	JOURNAL_UNKNOWN = 0, /* a row this errand cannot read */
	JOURNAL_FLAGS,       /* add or remove one flag or keyword of the
	                      * row's UID */
	JOURNAL_MOVE,        /* the row's UID to another folder */
	JOURNAL_COPY,        /* the row's UID copied to another folder */
	JOURNAL_EXPUNGE,     /* a UID set */
	JOURNAL_MOVEBACK,    /* undo of a move: a UID of the destination back */
	JOURNAL_APPEND,      /* an outbox message copied to a folder */
	JOURNAL_SEND,        /* an outbox message to send */
};

/* One change with its arguments. Strings are the struct's own (free with
 * journal_args_clear()); server names as stored. */
struct journal_args {
	enum journal_op op;
	char *folder; /* server name of the folder whose UIDs it names */
	union {
		struct {
			char sign;       /* '+' or '-' */
			char letter;     /* S, F, D, A (\Answered); '\0'
			                  * for a keyword */
			uint64_t modseq; /* cached MODSEQ, 0 when unknown */
			char *keyword;   /* an IMAP keyword (an atom, see
			                  * journal_keyword_bad()), or NULL */
		} flags;
		struct {
			char *dest; /* destination's server name */
		} move;             /* JOURNAL_MOVE and JOURNAL_COPY */
		struct {
			char *uids; /* an IMAP UID set */
		} expunge;
		struct {
			uint32_t uid; /* the message's UID in folder */
			char *to;     /* where it goes back to */
		} moveback;
		struct {
			char *id; /* the outbox message (folder: unused) */
		} send;
		struct {
			char *id; /* the outbox message, to folder */
		} append;
	} u;
};

/* The stored name of an operation ("flags", "move"...), NULL for
 * JOURNAL_UNKNOWN. */
const char *journal_op_name(enum journal_op);

/* Decode a stored row (op and arg as read; arg NULL means ""). Returns 0,
 * or -1 when op is unknown or reserved or arg is not of its form: then
 * a->op is JOURNAL_UNKNOWN and *err (when not NULL) says what is wrong.
 * Clear a with journal_args_clear() either way. */
int journal_decode(
    const char *op, const char *arg, struct journal_args *a, const char **err);

/* The stored argument of a (the op column is journal_op_name(a->op)), or
 * NULL when a cannot be stored: unknown or reserved op, a field that would
 * not decode back (a tab where the form has none, an empty folder). The
 * caller frees the result. */
char *journal_encode(const struct journal_args *a);

/* Free a's strings and zero it. */
void journal_args_clear(struct journal_args *a);

/* Encoders for each op, for callers building rows. NULL as journal_encode. */
char *journal_flags_arg(
    char sign, char letter, uint64_t modseq, const char *folder);
char *journal_keyword_arg(
    char sign, const char *keyword, uint64_t modseq, const char *folder);
char *journal_move_arg(const char *dest, const char *folder);
char *journal_expunge_arg(const char *uids, const char *folder);
char *journal_moveback_arg(uint32_t uid, const char *from, const char *to);

/* Queue the purge of message uid of folder (row id; server name raw),
 * under uidvalidity: \Deleted on its UID, then UID EXPUNGE of that UID
 * alone (both do nothing when it is gone already; held when the folder
 * was made again, to be re-targeted by message_id, may be NULL). 0, or
 * -1 (store_error() says why). */
int journal_put_purge(struct store *, int64_t folder, const char *raw,
    uint32_t uidvalidity, uint32_t uid, const char *message_id);

/* Why s cannot be a keyword of errand flag +KEYWORD, or NULL when it
 * can: an IMAP atom (RFC 9051: no space, control, "(){%*\"\\]"), not a
 * system flag's name (Seen, Answered...), at most 255 bytes. */
const char *journal_keyword_bad(const char *s);

/* The space-separated keyword list kw with word added (set 1) or taken
 * out (0), compared without case as IMAP does; NULL when that changes
 * nothing. The caller frees it. */
char *journal_keywords_edit(const char *kw, const char *word, int set);

/* What a journal row does, in words for errand push: "flags +D of UID 5
 * in 'INBOX'", "move of UID 5 from 'INBOX' to 'Archive'"... Server names
 * are as stored (clean them before printing). The caller frees it. */
char *journal_describe(const struct store_journal *);

/* The argument of a row re-targeted to message uid: a flag change forgets
 * its modseq, a move back names the new UID; a row that does not decode
 * keeps its argument. The caller frees it. */
char *journal_retarget_arg(const struct store_journal *, uint32_t uid);

/* The server name of the folder whose UIDs a row names (a move back's
 * source); NULL when the row has none. The caller frees it. */
char *journal_folder(const struct store_journal *);

/* Where the account's journal lives: errand-journal.db in
 * $XDG_DATA_HOME/errand/ACCOUNT (~/.local/share without it); NULL when
 * neither is set. The caller frees it. */
char *journal_path(const char *account);

/* Keep the account's journal in its data, not in the cache st (moving the
 * cache's rows there), then bring the cache in line with what the journal
 * still holds: pending flag changes shown, pending moves hidden. 0, or -1
 * with *err (the caller's). */
int journal_open(struct store *st, const char *account, char **err);

#endif
