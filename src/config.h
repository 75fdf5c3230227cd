/* errand: a terminal mail user agent. See LICENSE.
 * The configuration file: [account NAME] sections of key = value lines.
 * Every error names FILE:LINE; nothing is half-applied. errand.conf(5) is
 * the user's documentation of the format. */
#ifndef ERRAND_CONFIG_H
#define ERRAND_CONFIG_H

#include <stddef.h>

#include "url.h"

#define CONFIG_MAX_SIZE (1024 * 1024) /* larger files are refused */
#define CONFIG_MAX_LINE 4096          /* longest line accepted */
#define CONFIG_MAX_ACCOUNTS 256

struct account {
	char *name;                /* from [account NAME] */
	int line;                  /* line of the [account] header */
	struct url url;            /* source = */
	char *password_command;    /* password-command =, or NULL: prompt */
	char *ca_file;             /* ca-file =, or NULL */
	char *tls_fingerprint;     /* tls-fingerprint = "sha256:HEX", or NULL */
	int connect_timeout;       /* connect-timeout = seconds; 0: default */
	int timeout;               /* timeout = seconds; 0: default */
	int sync_timeout;          /* sync-timeout = seconds for a whole
	                            * headless command; 0: default,
	                            * CONFIG_NO_TIMEOUT: none */
	unsigned int imap_disable; /* imap-disable = CONFIG_IMAP_* bits */
	int poll_interval;         /* poll-interval = seconds; 0: 60 */
	char *fallback_charset;    /* fallback-charset = for raw 8-bit
	                            * headers, or NULL: windows-1252 */
	int pop3_keep;             /* pop3-keep = CONFIG_POP3_KEEP_ALWAYS,
	                            * _NEVER, or days (1 or more) */
	unsigned int pop3_disable; /* pop3-disable = CONFIG_POP3_* bits */
	int compress;              /* compress = CONFIG_COMPRESS_* */
	/* Logging in (net/sasl). */
	int auth;                   /* auth = CONFIG_AUTH_* */
	char *oauth2_token_command; /* oauth2-token-command =, or NULL */
	/* Writing and sending mail. */
	char *from;                  /* from = "Name <addr>", or NULL */
	char **alternates;           /* alternates = regexes (extended, case
	                              * insensitive) of the user's other
	                              * addresses, NULL-terminated, or NULL */
	char *signature;             /* signature = file, or NULL */
	char *smtp;                  /* smtp = smtp[s]://[user@]host[:port] */
	char *smtp_password_command; /* or NULL: the account's credentials */
	char *sendmail_command;      /* sendmail-command =, instead of smtp */
	int save_sent;               /* save-sent = yes (1, default) | no (0) */
	int send_delay;              /* send-delay = seconds, 0 by default */
	char *query_command;         /* query-command = (mutt's format) */
	char *attribution;           /* attribution =, or NULL: the default */
	int forward_as_attachment;   /* forward-as-attachment = yes | no */
	int text_flowed;             /* text-flowed = yes | no (default) */
};

/* auth = ...: the SASL mechanism, or CONFIG_AUTH_AUTO for the strongest
 * the server offers and the account can do. */
#define CONFIG_AUTH_AUTO 0
#define CONFIG_AUTH_PLAIN 1
#define CONFIG_AUTH_LOGIN 2
#define CONFIG_AUTH_SCRAM_SHA_256 3
#define CONFIG_AUTH_SCRAM_SHA_1 4
#define CONFIG_AUTH_OAUTHBEARER 5
#define CONFIG_AUTH_XOAUTH2 6

/* The name of an auth = value ("auto", "scram-sha-256"...). */
const char *config_auth_name(int auth);

/* compress = auto | yes | no: IMAP COMPRESS=DEFLATE. */
#define CONFIG_COMPRESS_AUTO 0 /* off loopback and links under 2 ms */
#define CONFIG_COMPRESS_YES 1
#define CONFIG_COMPRESS_NO 2

/* sync-timeout: the default, the largest value, and "none". */
#define CONFIG_SYNC_TIMEOUT 600
#define CONFIG_SYNC_TIMEOUT_MAX 86400
#define CONFIG_NO_TIMEOUT -1

/* "none" (CONFIG_NO_TIMEOUT) or a number of seconds from 1 to
 * CONFIG_SYNC_TIMEOUT_MAX, for sync-timeout and the --sync-timeout option.
 * 0, or -1 if value is neither. */
int config_parse_sync_timeout(const char *value, int *out);

/* pop3-keep = always | never | DAYS: what stays on a POP3 server once it
 * is safe in the Maildir. */
#define CONFIG_POP3_KEEP_ALWAYS 0 /* everything (the default) */
#define CONFIG_POP3_KEEP_NEVER -1 /* nothing: deleted once recorded */
#define CONFIG_POP3_KEEP_MAX_DAYS 36500

/* POP3 extensions a user can tell errand not to use (pop3-disable =). */
#define CONFIG_POP3_UIDL 0x01
#define CONFIG_POP3_PIPELINING 0x02

/* IMAP extensions a user can tell errand not to use (imap-disable =), for
 * a server that mishandles them. */
#define CONFIG_IMAP_QRESYNC 0x01
#define CONFIG_IMAP_CONDSTORE 0x02 /* implies QRESYNC */
#define CONFIG_IMAP_IDLE 0x04

/* One "KEY = ACTION" line of a [bindings SCREEN] section (keymap.h). */
struct config_binding {
	int screen; /* enum keymap_screen */
	int key;    /* key code */
	int action; /* enum keymap_action */
};

/* The index's order ([ui] sort =). */
enum config_sort {
	CONFIG_SORT_DATE,    /* oldest first, newest at the bottom */
	CONFIG_SORT_FROM,    /* sender A to Z */
	CONFIG_SORT_SUBJECT, /* subject A to Z */
	CONFIG_SORT_SIZE,    /* smallest first */
};

/* A question with a default answer, as mutt's quad-options: ask and take
 * the default on Enter, or do not ask. */
enum config_quad {
	CONFIG_QUAD_ASK_YES, /* ask, Enter says yes (the default) */
	CONFIG_QUAD_ASK_NO,  /* ask, Enter says no */
	CONFIG_QUAD_YES,     /* do it without asking */
	CONFIG_QUAD_NO,      /* never do it */
};

struct config {
	char *path;               /* the file read, for messages */
	struct account *accounts; /* in file order; the first is default */
	size_t naccounts;
	struct config_binding *bindings; /* in file order */
	size_t nbindings;
	enum config_sort sort; /* [ui] sort = */
	int sort_reverse;      /* sort = reverse-KEY */
	size_t body_max;       /* [ui] body-cache-max = bytes; 0: default */
	enum config_quad delete_quad; /* [ui] delete =: purge on quit */
};

/* Parse len bytes of buf, read from the file named path (for messages and
 * to resolve relative ca-file paths). Returns 0 and a config the caller
 * frees with config_free(), or -1 with *err = "PATH:LINE: message". */
int config_parse(const char *buf, size_t len, const char *path,
    struct config **, char **err);

/* Read and parse the file at path. Same contract as config_parse(). */
int config_load(const char *path, struct config **, char **err);

/* Free; config_free(NULL) is a no-op. */
void config_free(struct config *);

/* The account called name, or the default (first) one when name is NULL.
 * NULL when there is no such account. Owned by the config. */
struct account *config_account(struct config *, const char *name);

/* $XDG_CONFIG_HOME/errand/config, else ~/.config/errand/config; caller
 * frees. NULL when neither XDG_CONFIG_HOME nor HOME is set. */
char *config_default_path(void);

#endif
