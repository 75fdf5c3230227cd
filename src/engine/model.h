/* errand: a terminal mail user agent. See LICENSE.
 * The view model of one folder: its messages as an array of fixed-size
 * records with their strings in one arena, loaded from the cache, sorted
 * for the index. No allocation per message or per field. */
#ifndef ERRAND_MODEL_H
#define ERRAND_MODEL_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct model;

/* The flags of struct model_msg, the cache's own bits (asserted in
 * model.c), for the interface, which reads no cache/ header. */
#define MODEL_FLAG_SEEN 0x01     /* \Seen */
#define MODEL_FLAG_ANSWERED 0x02 /* \Answered */
#define MODEL_FLAG_FLAGGED 0x04  /* \Flagged */
#define MODEL_FLAG_DELETED 0x08  /* \Deleted */

/* One message in the index. Strings are arena offsets: read them with
 * model_str(). */
struct model_msg {
	uint32_t uid;            /* IMAP UID */
	uint32_t flags;          /* MODEL_FLAG_* (STORE_FLAG_*) bits */
	int64_t date;            /* Date: or, when absent, INTERNALDATE */
	uint32_t size;           /* RFC822.SIZE, capped at 4 GiB - 1 */
	uint32_t from;           /* display name, else address */
	uint32_t from_addr;      /* address */
	uint32_t subject;        /* decoded subject */
	uint32_t to;             /* To: as the cache has it */
	uint32_t cc;             /* Cc: as the cache has it */
	uint32_t keywords;       /* IMAP keywords, space-separated */
	uint32_t has_attachment; /* 1 when the cache's hint says so */
};

/* Each key sorts ascending, as mutt's sort = KEY does; reverse-KEY is the
 * same order turned round. */
enum model_sort {
	MODEL_SORT_DATE,    /* oldest first, newest at the bottom */
	MODEL_SORT_FROM,    /* sender, A first */
	MODEL_SORT_SUBJECT, /* subject without Re:/Fwd:/AW:/SV:, A first */
	MODEL_SORT_SIZE,    /* smallest first */
	MODEL_SORT_UID,     /* lowest UID first */
};

/* Load the messages of a folder (its row id in the store) newest first.
 * Returns the model (free with model_free()), or NULL with *err set (the
 * caller frees it). */
struct model *model_load(struct store *, int64_t folder, char **err);

/* Free; model_free(NULL) is a no-op. */
void model_free(struct model *);

/* The number of messages. */
size_t model_count(const struct model *);

/* Message i, 0 <= i < model_count(); owned by the model. */
const struct model_msg *model_msg(const struct model *, size_t i);

/* The string at an arena offset from a struct model_msg; never NULL. */
const char *model_str(const struct model *, uint32_t off);

/* Sort the messages by key, ties oldest first then by UID; reverse turns
 * the whole order round. */
void model_sort(struct model *, enum model_sort key, int reverse);

/* The subject without the reply and forward prefixes mutt strips for
 * sorting ("Re:", "Re[2]:", "Fwd:", "Fw:", "AW:", "SV:", "WG:", "VS:",
 * "Antw:", any case, repeated); a pointer into s. */
const char *model_subject_base(const char *s);

/* Set the flags of message i (a triage action, before the cache is read
 * again). */
void model_set_flags(struct model *, size_t i, uint32_t flags);

/* The index of the message with this UID, or -1. */
long model_find_uid(const struct model *, uint32_t uid);

/* Keep only the messages for which keep() returns non-zero, in their
 * order (the index's limit). */
void model_keep(
    struct model *, int (*keep)(const struct model_msg *, void *), void *arg);

/* The bytes the model holds (records and arena), for the benchmark. */
size_t model_memory(const struct model *);

#endif
