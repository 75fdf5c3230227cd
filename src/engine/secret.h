/* errand: a terminal mail user agent. See LICENSE.
 * Passwords and OAuth2 access tokens: run the account's password-command
 * or oauth2-token-command on the event loop and take the first line of its
 * output, or ask on the terminal. A secret is wiped from memory when freed
 * and never logged. */
#ifndef ERRAND_SECRET_H
#define ERRAND_SECRET_H

struct event_base;
struct secret_run;

#define SECRET_MAX 4096    /* longest password-command output read */
#define SECRET_TIMEOUT 60  /* seconds when the account sets no timeout */
#define SECRET_ERR_MAX 200 /* bytes of its stderr kept for an error */

/* What a command prints, for its messages: a password-command's
 * password, or an oauth2-token-command's access token. */
enum secret_kind {
	SECRET_PASSWORD,
	SECRET_TOKEN,
};

/* The end of a run: the password (the callee's: free it with
 * secret_free()), or NULL and why, valid during the call only:
 * "password-command 'pass mail' did not finish in 5 seconds". */
typedef void (*secret_cb)(char *password, const char *err, void *arg);

/* Run cmd with /bin/sh -c (the user wrote it) in a process group of its
 * own, stdin from /dev/null, on base's loop, and return at once. The first
 * line of its output is the password: once it is read the pipe is closed
 * (a command that writes on is then ended by SIGPIPE, not a failure)
 * and only the command itself is waited for, not what it left running in
 * the background. If it has not printed a line and exited within timeout
 * seconds (0: SECRET_TIMEOUT), its process group is killed. quiet: its
 * stderr is kept (the first SECRET_ERR_MAX bytes end an error message)
 * instead of passed through, for a caller that owns the terminal. cb runs
 * once, from the loop, unless secret_run_cancel() comes first. */
struct secret_run *secret_run_start(struct event_base *, const char *cmd,
    int timeout, int quiet, secret_cb, void *arg);

/* The same for a command of kind: the messages name its config key
 * ("oauth2-token-command 'get-token' printed no token"). */
struct secret_run *secret_run_start_as(struct event_base *,
    enum secret_kind kind, const char *cmd, int timeout, int quiet, secret_cb,
    void *arg);

/* Kill the command (its process group) and forget it: cb does not run.
 * NULL is a no-op. */
void secret_run_cancel(struct secret_run *);

/* The same, waiting for the end on a loop of its own. Returns 0 and the
 * password in *password (free with secret_free()), or -1 with *err set
 * (the caller frees): "password-command exited with status 1". */
int secret_from_command(
    const char *cmd, int timeout, char **password, char **err);

/* The same for a command of kind. */
int secret_from_command_as(enum secret_kind kind, const char *cmd, int timeout,
    char **password, char **err);

/* Print prompt on /dev/tty and read a line with echo off; the terminal
 * mode is restored whatever happens and the typed text wiped from the
 * stack. Returns the line (free with secret_free()), or NULL with *err set
 * (the caller frees) when there is no terminal or input ended. */
char *secret_from_tty(const char *prompt, char **err);

/* Wipe and free; secret_free(NULL) is a no-op. */
void secret_free(char *);

#endif
