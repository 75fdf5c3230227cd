/* errand: a terminal mail user agent. See LICENSE.
 * The POP3 fetch state: which messages (by UIDL, or by a digest id) are
 * safe in the account's Maildir. It is data, not cache: a small SQLite
 * database inside the Maildir (errand-pop3.db), every commit synced, and
 * rebuilt from the Maildir itself, where each fetched file carries a digest
 * of its id in its unique name (",P=HEX"). */
#ifndef ERRAND_POP3_SEEN_H
#define ERRAND_POP3_SEEN_H

#include <stddef.h>
#include <stdint.h>

struct pop3_seen;

/* The state file's name inside the Maildir. */
#define POP3_SEEN_FILE "errand-pop3.db"

/* Hex digits of the tag of an id in a Maildir name. */
#define POP3_SEEN_TAG_LEN 32

/* Open the state of the Maildir at path (PATH/errand-pop3.db), making it
 * when missing: *created (when not NULL) is then 1. A file that is not a
 * database or fails its check is moved aside as
 * errand-pop3.db.damaged-TIME and a new one made; *note (when not NULL)
 * then says so and where (the caller frees it). NULL with *err set (the caller's)
 * when it cannot be opened or made. Close with pop3_seen_close(). */
struct pop3_seen *pop3_seen_open(
    const char *path, int *created, char **note, char **err);

/* Close; NULL is a no-op. An open transaction is rolled back. */
void pop3_seen_close(struct pop3_seen *);

/* The last error, e.g. "cannot record POP3 message 'X' in '/p': disk I/O
 * error"; owned by the state. */
const char *pop3_seen_error(const struct pop3_seen *);

/* A transaction; the commit is on disk (synced) when it returns 0. */
int pop3_seen_begin(struct pop3_seen *);
int pop3_seen_commit(struct pop3_seen *);
void pop3_seen_rollback(struct pop3_seen *);

/* Record id as safe at home since fetched_at (seconds since the epoch);
 * replaces an earlier record. Forget id. 0 or -1. */
int pop3_seen_add(struct pop3_seen *, const char *id, int64_t fetched_at);
int pop3_seen_remove(struct pop3_seen *, const char *id);

/* Called once a record: its id and time, valid during the call; return 0
 * to go on, anything else to stop (returned by foreach). */
typedef int (*pop3_seen_cb)(const char *, int64_t, void *);

/* Every record in id order (byte order, as strcmp()); cb must not write
 * to the state. 0, the callback's value, or -1. */
int pop3_seen_foreach(struct pop3_seen *, pop3_seen_cb, void *);

/* The tag of id for a Maildir name: POP3_SEEN_TAG_LEN lower-case hex
 * digits of its SHA-256, NUL-terminated in tag. */
void pop3_seen_tag(const char *id, char tag[POP3_SEEN_TAG_LEN + 1]);

/* The Maildir name suffix errand gives a file fetched as id: ",P=TAG" in
 * suffix. */
void pop3_seen_suffix(const char *id, char suffix[POP3_SEEN_TAG_LEN + 4]);

/* The tag in a Maildir file name ("BASE,P=TAG" with or without ":2,..."):
 * 1 with tag filled, 0 when there is none. */
int pop3_seen_name_tag(const char *name, char tag[POP3_SEEN_TAG_LEN + 1]);

#endif
