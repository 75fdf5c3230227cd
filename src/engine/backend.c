/* errand: a terminal mail user agent. See LICENSE.
 * The one place that picks a backend for an account: IMAP for an imap(s)
 * URL, local Maildir folders (brought home by POP3) otherwise. */

#include <stdlib.h>

#include "engine/backend.h"
#include "config.h"
#include "engine/session.h"
#include "url.h"

struct backend *
backend_open(struct session *s, char **err)
{
	*err = NULL;
	if (url_is_imap(session_account(s)->url.scheme))
		return backend_imap_new(s);
	return backend_local_new(s, err);
}

void
backend_free(struct backend *b)
{
	if (b != NULL)
		b->ops->free(b);
}

struct live *
backend_live(const struct backend *b)
{
	return b->live;
}

struct local *
backend_local(const struct backend *b)
{
	return b->local;
}
