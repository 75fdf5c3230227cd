/* errand: a terminal mail user agent. See LICENSE.
 * Configuration parser. A small INI dialect: [account NAME] sections, then
 * "key = value" lines; '#' starts a comment at the start of a line or after
 * white space. Parsing is from a buffer, so it can be fuzzed. */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "keymap.h"
#include "content/text.h"
#include "xmalloc.h"

#define CONFIG_NAME_MAX 100 /* bytes of an account name */

struct parser {
	const char *path; /* for messages */
	size_t line;      /* current line number */
	struct config *cf;
	char **err;
	enum { PARSE_NONE, PARSE_ACCOUNT, PARSE_BINDINGS, PARSE_UI } section;
	int screen; /* of [bindings SCREEN] */
};

static int parse_fail(struct parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static int parse_line(struct parser *, char *);
static int parse_section(struct parser *, char *);
static int parse_binding(struct parser *, const char *, const char *);
static int parse_ui(struct parser *, const char *, const char *);
static int parse_key(
    struct parser *, struct account *, const char *, const char *);
static int parse_seconds(struct parser *, const char *, const char *, int *);
static int parse_imap_disable(struct parser *, const char *, unsigned int *);
struct parse_name;
static int parse_bits(struct parser *, const char *, const char *,
    const struct parse_name *, size_t, const char *, unsigned int *);
static int parse_pop3_keep(struct parser *, const char *, int *);
static int parse_pop3_disable(struct parser *, const char *, unsigned int *);
static int parse_fingerprint(struct parser *, const char *, char **);
static char *resolve_path(const char *, const char *);
static char *trim(char *);
static void account_clear(struct account *);
static int parse_account_name(struct parser *, const char *);

static int
parse_fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	char *msg, *line;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	/* It quotes what the file says: terminal-safe, like all text. */
	xasprintf(&line, "%s:%zu: %s", p->path, p->line, msg);
	*p->err = text_clean_line(line);
	free(line);
	free(msg);
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* A relative path in the file is relative to the file's directory. */
static char *
resolve_path(const char *file, const char *value)
{
	const char *slash;
	char *s;

	if (value[0] == '~' && value[1] == '/' && getenv("HOME") != NULL) {
		xasprintf(&s, "%s%s", getenv("HOME"), value + 1);
		return s;
	}
	if (value[0] == '/' || (slash = strrchr(file, '/')) == NULL)
		return xstrdup(value);
	xasprintf(&s, "%.*s/%s", (int)(slash - file), file, value);
	return s;
}

static int
parse_seconds(struct parser *p, const char *key, const char *value, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (!isdigit((unsigned char)*value) || *end != '\0' || errno != 0 ||
	    v < 1 || v > 3600)
		return parse_fail(p,
		    "%s: '%s' is not a number of seconds "
		    "from 1 to 3600",
		    key, value);
	*out = (int)v;
	return 0;
}

int
config_parse_sync_timeout(const char *value, int *out)
{
	char *end;
	long v;

	if (strcasecmp(value, "none") == 0) {
		*out = CONFIG_NO_TIMEOUT;
		return 0;
	}
	errno = 0;
	v = strtol(value, &end, 10);
	if (!isdigit((unsigned char)*value) || *end != '\0' || errno != 0 ||
	    v < 1 || v > CONFIG_SYNC_TIMEOUT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* One name of a list key such as imap-disable, and its bits. */
struct parse_name {
	const char *name;
	unsigned int bits;
};

/* "QRESYNC CONDSTORE" → bits: names from the table, separated by spaces
 * or commas, any case; choices says which there are, for the error. */
static int
parse_bits(struct parser *p, const char *key, const char *value,
    const struct parse_name *names, size_t nnames, const char *choices,
    unsigned int *out)
{
	const char *s = value, *e;
	size_t i, n;

	*out = 0;
	while (*s != '\0') {
		if (*s == ' ' || *s == '\t' || *s == ',') {
			s++;
			continue;
		}
		for (e = s; *e != '\0' && *e != ' ' && *e != '\t' && *e != ',';
		     e++)
			;
		n = e - s;
		for (i = 0; i < nnames; i++) {
			if (strlen(names[i].name) == n &&
			    strncasecmp(names[i].name, s, n) == 0)
				break;
		}
		if (i == nnames)
			return parse_fail(p,
			    "%s: unknown extension '%.*s' (use %s)", key,
			    (int)n, s, choices);
		*out |= names[i].bits;
		s = e;
	}
	return 0;
}

static int
parse_imap_disable(struct parser *p, const char *value, unsigned int *out)
{
	static const struct parse_name names[] = {
	    {"QRESYNC", CONFIG_IMAP_QRESYNC},
	    {"CONDSTORE", CONFIG_IMAP_CONDSTORE | CONFIG_IMAP_QRESYNC},
	    {"IDLE", CONFIG_IMAP_IDLE},
	};

	return parse_bits(p, "imap-disable", value, names,
	    sizeof names / sizeof names[0], "QRESYNC, CONDSTORE or IDLE", out);
}

/* "always", "never" or a number of days. */
static int
parse_pop3_keep(struct parser *p, const char *value, int *out)
{
	char *end;
	long v;

	if (strcasecmp(value, "always") == 0) {
		*out = CONFIG_POP3_KEEP_ALWAYS;
		return 0;
	}
	if (strcasecmp(value, "never") == 0) {
		*out = CONFIG_POP3_KEEP_NEVER;
		return 0;
	}
	errno = 0;
	v = strtol(value, &end, 10);
	if (!isdigit((unsigned char)*value) || *end != '\0' || errno != 0 ||
	    v < 1 || v > CONFIG_POP3_KEEP_MAX_DAYS)
		return parse_fail(p,
		    "pop3-keep: '%s' is not always, never or a number of "
		    "days from 1 to %d",
		    value, CONFIG_POP3_KEEP_MAX_DAYS);
	*out = (int)v;
	return 0;
}

/* "UIDL PIPELINING" → bits. */
static int
parse_pop3_disable(struct parser *p, const char *value, unsigned int *out)
{
	static const struct parse_name names[] = {
	    {"UIDL", CONFIG_POP3_UIDL},
	    {"PIPELINING", CONFIG_POP3_PIPELINING},
	};

	return parse_bits(p, "pop3-disable", value, names,
	    sizeof names / sizeof names[0], "UIDL or PIPELINING", out);
}

/* "sha256:AB:CD:..." or "sha256:abcd..." → "sha256:abcd..." */
static int
parse_fingerprint(struct parser *p, const char *value, char **out)
{
	const char *s;
	char hex[65];
	size_t n = 0;

	if (strncasecmp(value, "sha256:", 7) != 0)
		goto bad;
	for (s = value + 7; *s != '\0'; s++) {
		if (*s == ':')
			continue;
		if (!isxdigit((unsigned char)*s) || n == 64)
			goto bad;
		hex[n++] = (char)tolower((unsigned char)*s);
	}
	if (n != 64)
		goto bad;
	hex[n] = '\0';
	xasprintf(out, "sha256:%s", hex);
	return 0;
bad:
	return parse_fail(p,
	    "tls-fingerprint: '%s' is not sha256: followed "
	    "by 64 hex digits",
	    value);
}

static const char *const auth_names[] = {
    [CONFIG_AUTH_AUTO] = "auto",
    [CONFIG_AUTH_PLAIN] = "plain",
    [CONFIG_AUTH_LOGIN] = "login",
    [CONFIG_AUTH_SCRAM_SHA_256] = "scram-sha-256",
    [CONFIG_AUTH_SCRAM_SHA_1] = "scram-sha-1",
    [CONFIG_AUTH_OAUTHBEARER] = "oauthbearer",
    [CONFIG_AUTH_XOAUTH2] = "xoauth2",
};

const char *
config_auth_name(int auth)
{
	if (auth < 0 ||
	    (size_t)auth >= sizeof auth_names / sizeof auth_names[0])
		return "?";
	return auth_names[auth];
}

static int
parse_auth(struct parser *p, const char *value, int *out)
{
	size_t i;

	for (i = 0; i < sizeof auth_names / sizeof auth_names[0]; i++) {
		if (strcasecmp(value, auth_names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return parse_fail(p,
	    "auth: '%s' is not auto, plain, login, scram-sha-256, "
	    "scram-sha-1, oauthbearer or xoauth2",
	    value);
}

/* yes | no → 1 | 0. */
static int
parse_yesno(struct parser *p, const char *key, const char *value, int *out)
{
	if (strcmp(value, "yes") == 0)
		*out = 1;
	else if (strcmp(value, "no") == 0)
		*out = 0;
	else
		return parse_fail(p, "%s: '%s' is not yes or no", key, value);
	return 0;
}

/* A string key given at most once. */
static int
parse_once(struct parser *p, const char *key, const char *value, char **out)
{
	if (*out != NULL)
		return parse_fail(p, "%s given twice", key);
	*out = xstrdup(value);
	return 0;
}

/* smtp = smtp://[USER@]HOST[:PORT] or smtps://...: checked here so a bad
 * value is named with its line; kept as written. */
static int
parse_smtp(struct parser *p, struct account *a, const char *value)
{
	struct url u;
	char *err;
	int smtp;

	if (a->smtp != NULL)
		return parse_fail(p, "smtp given twice");
	if (url_parse(value, &u, &err) != 0) {
		parse_fail(p, "smtp: %s", err);
		free(err);
		return -1;
	}
	smtp = url_is_smtp(u.scheme);
	url_clear(&u);
	if (!smtp)
		return parse_fail(p,
		    "smtp: '%s' is not a sending URL (use smtp://HOST for "
		    "port 587 with STARTTLS, or smtps://HOST for 465)",
		    value);
	a->smtp = xstrdup(value);
	return 0;
}

/* alternates = REGEX...: whitespace-separated extended regular
 * expressions, each checked here so a bad one is named with its line. */
static int
parse_alternates(struct parser *p, struct account *a, const char *value)
{
	char *copy, *s, *tok, msg[128];
	size_t n = 0;
	regex_t re;
	int rc;

	if (a->alternates != NULL)
		return parse_fail(p, "alternates given twice");
	copy = xstrdup(value);
	a->alternates = xcalloc(strlen(value) / 2 + 2, sizeof *a->alternates);
	for (s = copy; (tok = strsep(&s, " \t")) != NULL;) {
		if (*tok == '\0')
			continue;
		if ((rc = regcomp(&re, tok,
		         REG_EXTENDED | REG_ICASE | REG_NOSUB)) != 0) {
			regerror(rc, &re, msg, sizeof msg);
			parse_fail(p, "alternates: '%s': %s", tok, msg);
			free(copy);
			return -1;
		}
		regfree(&re);
		a->alternates[n++] = xstrdup(tok);
	}
	free(copy);
	return 0;
}

static int
parse_key(
    struct parser *p, struct account *a, const char *key, const char *value)
{
	struct stat sb;
	char *err;
	iconv_t cd;

	if (strcmp(key, "source") == 0) {
		if (a->url.host != NULL)
			return parse_fail(p, "source given twice");
		if (url_parse(value, &a->url, &err) != 0) {
			parse_fail(p, "source: %s", err);
			free(err);
			return -1;
		}
		if (url_is_smtp(a->url.scheme)) {
			url_clear(&a->url);
			return parse_fail(p,
			    "source: '%s' is for sending (smtp =), not a "
			    "source (use imap, imaps, pop3 or pop3s)",
			    value);
		}
		return 0;
	}
	if (strcmp(key, "password-command") == 0)
		return parse_once(p, key, value, &a->password_command);
	if (strcmp(key, "ca-file") == 0) {
		if (a->ca_file != NULL)
			return parse_fail(p, "ca-file given twice");
		a->ca_file = resolve_path(p->path, value);
		if (access(a->ca_file, R_OK) != 0)
			return parse_fail(
			    p, "ca-file '%s': %s", a->ca_file, strerror(errno));
		/* Read by OpenSSL at connect time: a FIFO would hang it. */
		if (stat(a->ca_file, &sb) != 0 || !S_ISREG(sb.st_mode))
			return parse_fail(
			    p, "ca-file '%s': not a regular file", a->ca_file);
		return 0;
	}
	if (strcmp(key, "tls-fingerprint") == 0) {
		if (a->tls_fingerprint != NULL)
			return parse_fail(p, "tls-fingerprint given twice");
		return parse_fingerprint(p, value, &a->tls_fingerprint);
	}
	if (strcmp(key, "imap-disable") == 0)
		return parse_imap_disable(p, value, &a->imap_disable);
	if (strcmp(key, "compress") == 0) {
		if (strcmp(value, "auto") == 0)
			a->compress = CONFIG_COMPRESS_AUTO;
		else if (strcmp(value, "yes") == 0)
			a->compress = CONFIG_COMPRESS_YES;
		else if (strcmp(value, "no") == 0)
			a->compress = CONFIG_COMPRESS_NO;
		else
			return parse_fail(
			    p, "compress: '%s' is not auto, yes or no", value);
		return 0;
	}
	if (strcmp(key, "fallback-charset") == 0) {
		if (a->fallback_charset != NULL)
			return parse_fail(p, "fallback-charset given twice");
		if ((cd = iconv_open("UTF-8", value)) == (iconv_t)-1)
			return parse_fail(p,
			    "fallback-charset: iconv does not know '%s'",
			    value);
		iconv_close(cd);
		a->fallback_charset = xstrdup(value);
		return 0;
	}
	if (strcmp(key, "pop3-keep") == 0)
		return parse_pop3_keep(p, value, &a->pop3_keep);
	if (strcmp(key, "pop3-disable") == 0)
		return parse_pop3_disable(p, value, &a->pop3_disable);
	if (strcmp(key, "connect-timeout") == 0)
		return parse_seconds(p, key, value, &a->connect_timeout);
	if (strcmp(key, "timeout") == 0)
		return parse_seconds(p, key, value, &a->timeout);
	if (strcmp(key, "sync-timeout") == 0) {
		if (config_parse_sync_timeout(value, &a->sync_timeout) != 0)
			return parse_fail(p,
			    "sync-timeout: '%s' is not none or a number of "
			    "seconds from 1 to %d",
			    value, CONFIG_SYNC_TIMEOUT_MAX);
		return 0;
	}
	if (strcmp(key, "poll-interval") == 0)
		return parse_seconds(p, key, value, &a->poll_interval);
	if (strcmp(key, "auth") == 0)
		return parse_auth(p, value, &a->auth);
	if (strcmp(key, "oauth2-token-command") == 0)
		return parse_once(p, key, value, &a->oauth2_token_command);
	if (strcmp(key, "from") == 0)
		return parse_once(p, key, value, &a->from);
	if (strcmp(key, "alternates") == 0)
		return parse_alternates(p, a, value);
	if (strcmp(key, "signature") == 0) {
		if (a->signature != NULL)
			return parse_fail(p, "signature given twice");
		a->signature = resolve_path(p->path, value);
		return 0;
	}
	if (strcmp(key, "smtp") == 0)
		return parse_smtp(p, a, value);
	if (strcmp(key, "smtp-password-command") == 0)
		return parse_once(p, key, value, &a->smtp_password_command);
	if (strcmp(key, "sendmail-command") == 0)
		return parse_once(p, key, value, &a->sendmail_command);
	if (strcmp(key, "save-sent") == 0)
		return parse_yesno(p, key, value, &a->save_sent);
	if (strcmp(key, "send-delay") == 0) {
		if (strcmp(value, "0") == 0) {
			a->send_delay = 0;
			return 0;
		}
		return parse_seconds(p, key, value, &a->send_delay);
	}
	if (strcmp(key, "query-command") == 0)
		return parse_once(p, key, value, &a->query_command);
	if (strcmp(key, "attribution") == 0)
		return parse_once(p, key, value, &a->attribution);
	if (strcmp(key, "forward-as-attachment") == 0)
		return parse_yesno(p, key, value, &a->forward_as_attachment);
	if (strcmp(key, "text-flowed") == 0)
		return parse_yesno(p, key, value, &a->text_flowed);
	return parse_fail(p, "unknown key '%s'", key);
}

/* An account's name is a directory's under $XDG_DATA_HOME/errand and a
 * file's under $XDG_CACHE_HOME/errand, so one plain path component: ASCII
 * letters, digits and - _ . @ only (no '/', control or other bytes a shell
 * or terminal treats specially), not "." or ".." nor hidden, not taken for
 * an option, and short. 0, or -1 with the reason. */
static int
parse_account_name(struct parser *p, const char *name)
{
	size_t i;

	if (*name == '\0')
		return parse_fail(p, "[account] needs a name");
	for (i = 0; name[i] != '\0'; i++) {
		if (!(name[i] >= 'a' && name[i] <= 'z') &&
		    !(name[i] >= 'A' && name[i] <= 'Z') &&
		    !(name[i] >= '0' && name[i] <= '9') && name[i] != '-' &&
		    name[i] != '_' && name[i] != '.' && name[i] != '@')
			return parse_fail(p,
			    "account name '%s': use letters, digits and "
			    "- _ . @",
			    name);
	}
	if (i > CONFIG_NAME_MAX)
		return parse_fail(p,
		    "account name '%.20s...': longer than %d bytes", name,
		    CONFIG_NAME_MAX);
	if (name[0] == '.')
		return parse_fail(p,
		    "account name '%s': cannot start with '.' (it names "
		    "a directory)",
		    name);
	if (name[0] == '-')
		return parse_fail(
		    p, "account name '%s': cannot start with '-'", name);
	return 0;
}

static int
parse_section(struct parser *p, char *s)
{
	struct config *cf = p->cf;
	struct account *a;
	char *end, *name;
	size_t i;

	if ((end = strchr(s, ']')) == NULL)
		return parse_fail(p, "missing ] in section header");
	if (*trim(end + 1) != '\0')
		return parse_fail(p, "junk after ] in section header");
	*end = '\0';
	s = trim(s + 1);
	if (strcmp(s, "ui") == 0) {
		p->section = PARSE_UI;
		return 0;
	}
	if (strncmp(s, "bindings", 8) == 0 &&
	    (s[8] == ' ' || s[8] == '\t' || s[8] == '\0')) {
		name = trim(s + 8);
		if ((p->screen = keymap_screen_from_name(name)) < 0)
			return parse_fail(p,
			    "[bindings %s]: unknown screen (index, pager, "
			    "folders or help)",
			    name);
		p->section = PARSE_BINDINGS;
		return 0;
	}
	if (strncmp(s, "account", 7) != 0 ||
	    (s[7] != ' ' && s[7] != '\t' && s[7] != '\0'))
		return parse_fail(p,
		    "unknown section [%s] (expected "
		    "[account NAME], [bindings SCREEN] or [ui])",
		    s);
	name = trim(s + 7);
	if (parse_account_name(p, name) != 0)
		return -1;
	for (i = 0; i < cf->naccounts; i++) {
		if (strcmp(cf->accounts[i].name, name) == 0)
			return parse_fail(p,
			    "account '%s' already defined at "
			    "line %d",
			    name, cf->accounts[i].line);
		/* On a file system that ignores case they would share one
		 * Maildir and one cache. */
		if (strcasecmp(cf->accounts[i].name, name) == 0)
			return parse_fail(p,
			    "account '%s': only the case differs from '%s' "
			    "at line %d",
			    name, cf->accounts[i].name, cf->accounts[i].line);
	}
	if (cf->naccounts == CONFIG_MAX_ACCOUNTS)
		return parse_fail(
		    p, "too many accounts (at most %d)", CONFIG_MAX_ACCOUNTS);
	cf->accounts = xreallocarray(
	    cf->accounts, cf->naccounts + 1, sizeof *cf->accounts);
	a = &cf->accounts[cf->naccounts++];
	memset(a, 0, sizeof *a);
	a->name = xstrdup(name);
	a->line = (int)p->line;
	a->save_sent = 1;
	p->section = PARSE_ACCOUNT;
	return 0;
}

/* KEY = ACTION in [bindings SCREEN]. */
static int
parse_binding(struct parser *p, const char *key, const char *value)
{
	struct config *cf = p->cf;
	struct config_binding *b;
	int k;
	enum keymap_action a;

	if ((k = keymap_key_from_name(key)) < 0)
		return parse_fail(p,
		    "unknown key '%s' (a character, C-x, F1-F12, Up, Down, "
		    "Left, Right, PgUp, PgDn, Home, End, Enter, Space, Tab, "
		    "Backspace, Delete or Escape)",
		    key);
	a = keymap_action_from_name(value);
	if (a == KEYMAP_NONE && strcmp(value, "noop") != 0)
		return parse_fail(
		    p, "unknown action '%s' (see errand.conf(5))", value);
	cf->bindings = xreallocarray(
	    cf->bindings, cf->nbindings + 1, sizeof *cf->bindings);
	b = &cf->bindings[cf->nbindings++];
	b->screen = p->screen;
	b->key = k;
	b->action = (int)a;
	return 0;
}

/* A key of the [ui] section. */
static int
parse_ui(struct parser *p, const char *key, const char *value)
{
	static const char *const sorts[] = {"date", "from", "subject", "size"};
	struct config *cf = p->cf;
	const char *v = value;
	char *end;
	unsigned long long n;
	size_t i;

	if (strcmp(key, "sort") == 0) {
		cf->sort_reverse = strncmp(v, "reverse-", 8) == 0;
		if (cf->sort_reverse)
			v += 8;
		for (i = 0; i < sizeof sorts / sizeof *sorts; i++) {
			if (strcmp(v, sorts[i]) == 0) {
				cf->sort = (enum config_sort)i;
				return 0;
			}
		}
		return parse_fail(p,
		    "sort: '%s' is not date, from, subject or size (each "
		    "may start with reverse-)",
		    value);
	}
	if (strcmp(key, "delete") == 0) {
		static const char *const quads[] = {
		    "ask-yes", "ask-no", "yes", "no"};

		for (i = 0; i < sizeof quads / sizeof *quads; i++) {
			if (strcmp(v, quads[i]) == 0) {
				cf->delete_quad = (enum config_quad)i;
				return 0;
			}
		}
		return parse_fail(
		    p, "delete: '%s' is not yes, no, ask-yes or ask-no", value);
	}
	if (strcmp(key, "body-cache-max") == 0) {
		errno = 0;
		n = strtoull(value, &end, 10);
		if (errno != 0 || end == value || n == 0 ||
		    n > 1024ULL * 1024 * 1024 ||
		    (*end != '\0' && strcmp(end, "K") != 0 &&
		        strcmp(end, "M") != 0))
			return parse_fail(p,
			    "body-cache-max: '%s' is not a size such as "
			    "25M, 512K or 1000000",
			    value);
		if (*end == 'K')
			n *= 1024;
		else if (*end == 'M')
			n *= 1024 * 1024;
		if (n > 1024ULL * 1024 * 1024)
			return parse_fail(
			    p, "body-cache-max: '%s' is over 1024M", value);
		cf->body_max = (size_t)n;
		return 0;
	}
	return parse_fail(p, "unknown key '%s' in [ui]", key);
}

static int
parse_line(struct parser *p, char *line)
{
	struct config *cf = p->cf;
	char *s, *eq, *key, *value, *c;

	s = trim(line);
	if (*s == '\0' || *s == '#')
		return 0;
	if (*s == '[')
		return parse_section(p, s);
	/* A '#' after white space starts a comment. */
	for (c = s; *c != '\0'; c++) {
		if (*c == '#' && (c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	}
	if ((eq = strchr(s, '=')) == NULL)
		return parse_fail(p, "expected key = value");
	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	if (*key == '\0')
		return parse_fail(p, "missing key before =");
	if (p->section == PARSE_NONE)
		return parse_fail(p,
		    "'%s' outside a section (start with "
		    "[account NAME])",
		    key);
	if (*value == '\0')
		return parse_fail(p, "%s: empty value", key);
	if (p->section == PARSE_BINDINGS)
		return parse_binding(p, key, value);
	if (p->section == PARSE_UI)
		return parse_ui(p, key, value);
	return parse_key(p, &cf->accounts[cf->naccounts - 1], key, value);
}

int
config_parse(const char *buf, size_t len, const char *path, struct config **out,
    char **err)
{
	struct parser p;
	struct config *cf;
	const char *s, *nl, *end = buf + len;
	char *line;
	size_t i, n;
	int rc = 0;

	*out = NULL;
	*err = NULL;
	cf = xcalloc(1, sizeof *cf);
	cf->path = xstrdup(path);
	memset(&p, 0, sizeof p);
	p.path = path;
	p.cf = cf;
	p.err = err;

	if (len > CONFIG_MAX_SIZE) {
		xasprintf(err, "%s: file too large (over %d bytes)", path,
		    CONFIG_MAX_SIZE);
		config_free(cf);
		return -1;
	}
	for (s = buf; s < end && rc == 0; s = nl + 1) {
		p.line++;
		if ((nl = memchr(s, '\n', end - s)) == NULL)
			nl = end;
		n = nl - s;
		if (n > CONFIG_MAX_LINE) {
			rc = parse_fail(&p, "line too long (over %d bytes)",
			    CONFIG_MAX_LINE);
			break;
		}
		if (memchr(s, '\0', n) != NULL) {
			rc = parse_fail(&p, "NUL byte in line");
			break;
		}
		for (i = 0; i < n; i++) {
			if ((unsigned char)s[i] < ' ' && s[i] != '\t' &&
			    s[i] != '\r') {
				rc = parse_fail(&p,
				    "control character in "
				    "line");
				break;
			}
		}
		if (rc != 0)
			break;
		line = xstrndup(s, n);
		rc = parse_line(&p, line);
		free(line);
	}
	for (i = 0; rc == 0 && i < cf->naccounts; i++) {
		if (cf->accounts[i].url.host == NULL) {
			p.line = cf->accounts[i].line;
			rc = parse_fail(&p, "account '%s' has no source",
			    cf->accounts[i].name);
		}
	}
	if (rc == 0 && cf->naccounts == 0) {
		xasprintf(err, "%s: no [account NAME] section", path);
		rc = -1;
	}
	if (rc != 0) {
		config_free(cf);
		return -1;
	}
	*out = cf;
	return 0;
}

int
config_load(const char *path, struct config **out, char **err)
{
	struct stat sb;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	*out = NULL;
	/* Not blocking: a FIFO (or a tty, a device) opens at once and is
	 * refused below, instead of waiting in open() for a writer. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		xasprintf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		xasprintf(err, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		xasprintf(err, "%s: not a regular file%s", path,
		    S_ISFIFO(sb.st_mode)      ? " (a FIFO)"
		        : S_ISDIR(sb.st_mode) ? " (a directory)"
		                              : "");
		close(fd);
		return -1;
	}
	/* A regular file: read it the ordinary way. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		xasprintf(err, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (sb.st_size > CONFIG_MAX_SIZE) {
		xasprintf(err, "%s: file too large (over %d bytes)", path,
		    CONFIG_MAX_SIZE);
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size) {
		n = read(fd, buf + len, (size_t)sb.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	rc = config_parse(buf, len, path, out, err);
	free(buf);
	return rc;
}

static void
account_clear(struct account *a)
{
	size_t i;

	free(a->name);
	url_clear(&a->url);
	free(a->password_command);
	free(a->ca_file);
	free(a->tls_fingerprint);
	free(a->fallback_charset);
	free(a->oauth2_token_command);
	free(a->from);
	if (a->alternates != NULL) {
		for (i = 0; a->alternates[i] != NULL; i++)
			free(a->alternates[i]);
		free(a->alternates);
	}
	free(a->signature);
	free(a->smtp);
	free(a->smtp_password_command);
	free(a->sendmail_command);
	free(a->query_command);
	free(a->attribution);
}

void
config_free(struct config *cf)
{
	size_t i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->naccounts; i++)
		account_clear(&cf->accounts[i]);
	free(cf->accounts);
	free(cf->bindings);
	free(cf->path);
	free(cf);
}

struct account *
config_account(struct config *cf, const char *name)
{
	size_t i;

	if (name == NULL)
		return cf->naccounts > 0 ? &cf->accounts[0] : NULL;
	for (i = 0; i < cf->naccounts; i++) {
		if (strcmp(cf->accounts[i].name, name) == 0)
			return &cf->accounts[i];
	}
	return NULL;
}

char *
config_default_path(void)
{
	const char *xdg, *home;
	char *s;

	if ((xdg = getenv("XDG_CONFIG_HOME")) != NULL && *xdg == '/') {
		xasprintf(&s, "%s/errand/config", xdg);
		return s;
	}
	if ((home = getenv("HOME")) == NULL || *home == '\0')
		return NULL;
	xasprintf(&s, "%s/.config/errand/config", home);
	return s;
}
