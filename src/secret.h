/* errand: a terminal mail user agent. See LICENSE.
 * Passwords: run the account's password-command and take the first line of
 * its output. A password is wiped from memory when freed and never logged. */
#ifndef ERRAND_SECRET_H
#define ERRAND_SECRET_H

#define SECRET_MAX 4096 /* longest password-command output read */

/* Run cmd with /bin/sh -c (the user wrote it), stdin from /dev/null and
 * stderr passed through. Returns 0 and the first line of its output in
 * *password (free with secret_free()), or -1 with *err set (caller frees):
 * "password-command exited with status 1". */
int secret_from_command(const char *cmd, char **password, char **err);

/* Wipe and free; secret_free(NULL) is a no-op. */
void secret_free(char *);

#endif
