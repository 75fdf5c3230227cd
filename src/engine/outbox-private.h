/* errand: a terminal mail user agent. See LICENSE.
 * What the outbox's two files share: the state file, the locks, and the
 * test hook that ends the process at a step as kill -9 would. */
#ifndef ERRAND_OUTBOX_PRIVATE_H
#define ERRAND_OUTBOX_PRIVATE_H

#include "engine/outbox.h"

struct outbox {
	char *dir;               /* the outbox */
	char *tmp;               /* dir/tmp */
	const struct account *a; /* or NULL */
	int lockfd;              /* dir/lock: each change of state */
	int sendfd;              /* dir/send.lock: a sending run */
	int checked_sent;        /* uncertain ones were looked for in Sent */
};

/* Write e's state file (tmp/, fsync, rename, directory synced). 0, or -1
 * with *err. */
int outbox_state_write(
    struct outbox *, const struct outbox_entry *, char **err);
/* Read message id's state into e (clear with outbox_entry_clear()). */
int outbox_read(
    struct outbox *, const char *id, struct outbox_entry *e, char **err);
void outbox_entry_clear(struct outbox_entry *);
/* Remove message id's files. */
int outbox_remove(struct outbox *, const char *id, char **err);
/* DIR/ID.EXT; the caller frees it. */
char *outbox_file(const struct outbox *, const char *id, const char *ext);

int outbox_lock(struct outbox *, char **err);
void outbox_unlock(struct outbox *);
int outbox_lock_send(struct outbox *, char **err);
void outbox_unlock_send(struct outbox *);

/* With ERRAND_OUTBOX_DIE_AT=step in the environment, SIGKILL here. */
void outbox_die_at(const char *step);

#endif
