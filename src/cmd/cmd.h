/* errand: a terminal mail user agent. See LICENSE.
 * The headless commands (check, sync, folders, list), one file each as
 * cmd-NAME.c, behind one table, with what they share: the account, its
 * session, the event loop and the cache path. */
#ifndef ERRAND_CMD_H
#define ERRAND_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "engine/session.h"

struct event_base;
struct evdns_base;
struct plog;
struct store;
struct sync_params;
struct session;

#define CMD_EXIT_OK 0
#define CMD_EXIT_FAIL 1      /* the command failed */
#define CMD_EXIT_USAGE 2     /* usage or configuration error */
#define CMD_EXIT_TIMEOUT 124 /* sync-timeout passed (as timeout(1) says) */

/* What main() hands every command. */
struct cmd_ctx {
	struct config *cf;       /* the configuration, loaded */
	struct plog *log;        /* protocol log (-d), or NULL */
	const char *account;     /* -a ACCOUNT, or NULL for the default */
	struct event_base *base; /* the loop; made by cmd_loop() */
	struct evdns_base *dns;  /* name lookup on the loop */
	const char *command;     /* the command's name, for messages */
	int sync_timeout;        /* --sync-timeout (CONFIG_NO_TIMEOUT:
	                          * none), or 0: the account's */
	/* The deadline: its secs set by cmd_session() or cmd_deadline(),
	 * armed once by the first run; passed: the loop was stopped. */
	struct session_deadline dl;
};

struct cmd_entry {
	const char *name; /* "sync" */
	const char *args; /* "[ACCOUNT [FOLDER...]]" */
	const char *help; /* one line for --help */
	/* Run with argv[0] the command name; returns a CMD_EXIT_ value. */
	int (*exec)(struct cmd_ctx *, int argc, char **argv);
};

extern const struct cmd_entry *cmd_table[];

/* The account called name (NULL: ctx->account, else the default); prints
 * "errand: no account 'x' in FILE" and returns NULL when there is none. */
const struct account *cmd_account(struct cmd_ctx *, const char *name);

/* A session for the account over st (the caller's, not closed by it),
 * as a headless command takes its credentials: the password-command waited
 * for, else a prompt on the terminal; why they did not come is printed.
 * Free with session_free(). */
struct session *cmd_session(
    struct cmd_ctx *, const struct account *, struct store *);

/* The loop's priorities: every event has CMD_PRIORITY_DEFAULT unless set;
 * one with CMD_PRIORITY_IDLE runs only in a pass where nothing else was
 * ready, as the loop is about to wait. */
#define CMD_PRIORITIES SESSION_PRIORITIES
#define CMD_PRIORITY_DEFAULT SESSION_PRIORITY_DEFAULT
#define CMD_PRIORITY_IDLE SESSION_PRIORITY_IDLE

/* Make the event loop and resolver in ctx, once. */
void cmd_loop(struct cmd_ctx *);

/* Start the command's overall deadline for the account, once: after
 * --sync-timeout or the account's sync-timeout seconds, ctx->dl.passed is
 * set and the loop stopped. What runs the loop (sync_run(),
 * pop3_fetch_run(), check) then stops, keeping what it has stored. */
void cmd_deadline(struct cmd_ctx *, const struct account *);

/* CMD_EXIT_TIMEOUT once the deadline has passed, else CMD_EXIT_FAIL. */
int cmd_exit_failed(const struct cmd_ctx *);

/* Print why a command that talked to the server failed: "COMMAND: 'ACCOUNT'
 * timed out after 600 s; ..." when the deadline passed (err is the
 * sync's "timed out after ..." then), else "ACCOUNT: ERR". */
void cmd_error_account(
    const struct cmd_ctx *, const struct account *, const char *err);

/* Free what cmd_loop() and cmd_deadline() made. */
void cmd_loop_free(struct cmd_ctx *);

/* $XDG_CACHE_HOME/errand/ACCOUNT.db (else ~/.cache/errand/ACCOUNT.db);
 * the caller frees. NULL when neither variable is set. */
char *cmd_cache_path(const struct account *);

/* Open the account's cache, printing why not (NULL) and any notice of a
 * damaged cache moved aside. Close with store_close(). */
struct store *cmd_store_open(const struct account *);

/* The same for reading only (store_open_readonly()); a cache that does not
 * exist yet is made as by cmd_store_open(). */
struct store *cmd_store_open_readonly(const struct account *);

/* Send the account's pending changes as errand push does and print
 * "N sent, N pending, N held" (src/cmd/cmd-push.c); a CMD_EXIT_ value. */
int cmd_push_replay(struct cmd_ctx *, const struct account *, struct store *);

/* Send what is due in the account's outbox (st: its cache, or NULL) and
 * print "outbox: N sent, N held (WHY), N waiting (WHY)" when anything
 * was tried (src/cmd/cmd-send.c); CMD_EXIT_FAIL when something is held
 * or waits. */
int cmd_outbox_flush(struct cmd_ctx *, const struct account *, struct store *);

/* Sync for folders and list: 0 when synced or offline (then "offline:
 * REASON" is printed and the cache answers), -1 after printing the error. */
int cmd_sync_or_offline(struct cmd_ctx *, const struct account *,
    struct store *, const struct sync_params *);

/* What the cache commands (folders, list) share: [-a ACCOUNT] [--offline]
 * and up to some arguments. */
struct cmd_opts {
	const struct account *a; /* the account */
	struct store *st;        /* its cache, open: store_close() it */
	int offline;             /* --offline */
	int named;               /* -a ACCOUNT, here or before the command */
	int nargs;               /* arguments after the options */
	char **args;
};

/* Parse the options of a cache command (usage from ce), find the account and
 * open its cache: with --offline read-only for an IMAP account, and for a
 * POP3 account read-only when it cannot be written. CMD_EXIT_OK, or the
 * exit status after printing why. */
int cmd_open_cache(struct cmd_ctx *, const struct cmd_entry *ce, int argc,
    char **argv, int maxargs, struct cmd_opts *);

/* The account of check and sync: -a ACCOUNT (after the command or before
 * it), else the first argument when it names one (the positional form),
 * else the default. *first is set to the index in argv of the first
 * argument after the options and the account. NULL after printing why (a
 * usage error). */
const struct account *cmd_account_arg(struct cmd_ctx *,
    const struct cmd_entry *ce, int argc, char **argv, int *first);

/* For a POP3 account: fetch new mail into the Maildir (unless offline;
 * a server out of reach prints "offline: REASON" and goes on), then bring
 * the cache's local folders (src/local) up to date with the Maildir; with
 * a read-only cache, nothing. 0, or -1 after printing the error. */
int cmd_local_refresh(
    struct cmd_ctx *, const struct account *, struct store *, int offline);

/* Print one message as errand list does: UID, flag letters (from
 * STORE_FLAG_* bits), the date (seconds since the epoch, 0: none), sender
 * and subject made terminal-safe, tab-separated, on stdout. */
void cmd_list_line(uint32_t uid, unsigned int flags, int64_t date,
    const char *from, const char *subject);

/* Print "errand: " and a formatted message on stderr, made terminal-safe
 * (text_clean_line()): what it quotes may come from anyone. */
void cmd_error(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Say what was wrong with an option, after getopt_long() (called with
 * opterr 0 and a ':' in front of its option string) returned ch ('?' or
 * ':') for argv. */
void cmd_option_error(int ch, char *const *argv);

#endif
