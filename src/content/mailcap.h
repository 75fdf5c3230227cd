/* errand: a terminal mail user agent. See LICENSE.
 * The user's mailcap (RFC 1524): the copiousoutput viewer for a type, as a
 * shell command that reads the part on standard input, for the pager's
 * HTML. Entries with a test= are skipped (errand does not run them). */
#ifndef ERRAND_MAILCAP_H
#define ERRAND_MAILCAP_H

/* The files searched: $MAILCAPS (colon-separated), else ~/.mailcap,
 * /etc/mailcap. The first copiousoutput entry for type ("text/html"; an
 * entry for every text subtype matches too) wins; "%s" in it becomes
 * /dev/stdin, "%t" the type, "%{charset}" utf-8. Returns the command (the
 * caller frees it) or NULL when there is none. */
char *mailcap_viewer(const char *type);

/* The same, searching only the colon-separated list of files paths. */
char *mailcap_viewer_in(const char *paths, const char *type);

#endif
