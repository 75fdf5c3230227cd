/* errand: a terminal mail user agent. See LICENSE.
 * Mailcap lookup (RFC 1524): entries are "type; command; flags...", with
 * backslash continuation lines and "\;" for a literal semicolon. Only
 * copiousoutput entries without a test= are taken: the pager wants text. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "content/mailcap.h"
#include "xmalloc.h"

#define MAILCAP_MAX_ENTRY 8192 /* longer entries are skipped */

static char *mailcap_search(const char *, const char *);
static char *mailcap_entry(char *, const char *);
static char *mailcap_field(char **);
static char *mailcap_expand(const char *, const char *);
static char *mailcap_trim(char *);

static char *
mailcap_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s &&
	    (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* The next ';'-separated field of *p (with "\;" kept as ';'), trimmed;
 * NULL at the end. */
static char *
mailcap_field(char **p)
{
	char *s = *p, *r, *w;

	if (s == NULL)
		return NULL;
	for (r = w = s; *r != '\0'; r++) {
		if (r[0] == '\\' && r[1] == ';') {
			*w++ = ';';
			r++;
			continue;
		}
		if (*r == ';')
			break;
		*w++ = *r;
	}
	*p = *r == ';' ? r + 1 : NULL;
	*w = '\0';
	return mailcap_trim(s);
}

/* The viewer of one entry line if it is for type, copiousoutput and
 * untested, else NULL. */
static char *
mailcap_entry(char *line, const char *type)
{
	char *p = line, *etype, *cmd, *flag, *slash;
	int copious = 0;
	size_t n;

	if ((etype = mailcap_field(&p)) == NULL || *etype == '#' ||
	    *etype == '\0')
		return NULL;
	if (strcasecmp(etype, type) != 0) {
		/* "text" with a star subtype, and "text" alone, match any text. */
		slash = strchr(type, '/');
		n = slash != NULL ? (size_t)(slash - type) : strlen(type);
		if (strncasecmp(etype, type, n) != 0 ||
		    (etype[n] != '\0' && strcmp(etype + n, "/*") != 0))
			return NULL;
	}
	if ((cmd = mailcap_field(&p)) == NULL || *cmd == '\0')
		return NULL;
	while ((flag = mailcap_field(&p)) != NULL) {
		if (strcasecmp(flag, "copiousoutput") == 0)
			copious = 1;
		else if (strncasecmp(flag, "test", 4) == 0 &&
		    (flag[4] == '=' || flag[4] == ' ' || flag[4] == '\t'))
			return NULL;
	}
	return copious ? mailcap_expand(cmd, type) : NULL;
}

/* cmd with %s, %t and %{charset} replaced. */
static char *
mailcap_expand(const char *cmd, const char *type)
{
	char *out, *o;
	const char *p, *rep;
	size_t size = strlen(cmd) * 4 + strlen(type) + 64, rlen;

	o = out = xmalloc(size);
	for (p = cmd; *p != '\0'; p++) {
		rep = NULL;
		rlen = 1;
		if (p[0] == '%' && p[1] == 's') {
			rep = "/dev/stdin";
			rlen = 2;
		} else if (p[0] == '%' && p[1] == 't') {
			rep = type;
			rlen = 2;
		} else if (strncmp(p, "%{charset}", 10) == 0) {
			rep = "utf-8";
			rlen = 10;
		}
		if (rep != NULL) {
			if ((size_t)(o - out) + strlen(rep) + 1 >= size)
				break;
			memcpy(o, rep, strlen(rep));
			o += strlen(rep);
			p += rlen - 1;
		} else if ((size_t)(o - out) + 2 < size)
			*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* The first matching entry of one file. */
static char *
mailcap_search(const char *path, const char *type)
{
	FILE *f;
	char line[1024], *entry, *cmd = NULL;
	size_t len = 0, n;
	int skip = 0;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	entry = xmalloc(MAILCAP_MAX_ENTRY);
	entry[0] = '\0';
	while (cmd == NULL && fgets(line, sizeof line, f) != NULL) {
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		/* A backslash at the end continues the entry. */
		if (n > 0 && line[n - 1] == '\\') {
			line[--n] = '\0';
			if (len + n + 1 < MAILCAP_MAX_ENTRY) {
				memcpy(entry + len, line, n + 1);
				len += n;
			} else
				skip = 1;
			continue;
		}
		if (len + n + 1 < MAILCAP_MAX_ENTRY) {
			memcpy(entry + len, line, n + 1);
			len += n;
		} else
			skip = 1;
		if (!skip)
			cmd = mailcap_entry(entry, type);
		len = 0;
		skip = 0;
		entry[0] = '\0';
	}
	free(entry);
	fclose(f);
	return cmd;
}

char *
mailcap_viewer_in(const char *paths, const char *type)
{
	char *list, *p, *next, *cmd = NULL;

	list = xstrdup(paths);
	for (p = list; p != NULL && cmd == NULL; p = next) {
		if ((next = strchr(p, ':')) != NULL)
			*next++ = '\0';
		if (*p != '\0')
			cmd = mailcap_search(p, type);
	}
	free(list);
	return cmd;
}

char *
mailcap_viewer(const char *type)
{
	const char *env = getenv("MAILCAPS"), *home = getenv("HOME");
	char *paths, *cmd;

	if (env != NULL && *env != '\0')
		return mailcap_viewer_in(env, type);
	xasprintf(&paths, "%s/.mailcap:/etc/mailcap",
	    home != NULL ? home : "/nonexistent");
	cmd = mailcap_viewer_in(paths, type);
	free(paths);
	return cmd;
}
