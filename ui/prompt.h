/* errand: a terminal mail user agent. See LICENSE.
 * Prompts on the controlling terminal before the full-screen interface
 * starts: a password read with echo off. */
#ifndef ERRAND_UI_PROMPT_H
#define ERRAND_UI_PROMPT_H

/* Print prompt on /dev/tty and read a line with echo off. Returns the
 * line (free with secret_free()), or NULL with *err set when there is no
 * terminal or input ended. */
char *prompt_password(const char *prompt, char **err);

#endif
