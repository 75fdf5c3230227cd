/* errand: a terminal mail user agent. See LICENSE.
 * Address completion: a hash of the addresses seen in the cache, each with
 * a score that adds up its sightings, a recent one counting more than an
 * old one (half as much after ADDRBOOK_HALF_LIFE days, a third after twice
 * that); and mutt's
 * query-command run with a deadline, its output parsed. */

#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "engine/addrbook.h"
#include "cache/store.h"
#include "content/text.h"
#include "xmalloc.h"

#define ADDRBOOK_BUCKETS 4096

struct addrbook_entry {
	char *addr;   /* as first seen */
	char *name;   /* the newest non-empty display name, or NULL */
	int64_t last; /* newest sighting */
	int64_t name_when;
	double score;
	struct addrbook_entry *next; /* in its bucket */
};

struct addrbook {
	int64_t now;
	struct addrbook_entry *bucket[ADDRBOOK_BUCKETS];
	size_t n;
};

static unsigned int addrbook_hash(const char *);
static int addrbook_load_cb(
    const char *, const char *, const char *, const char *, int64_t, void *);
static int addrbook_matches(const struct addrbook_entry *, const char *);
static int addrbook_rank(const void *, const void *);
static char *addrbook_trim(const char *, size_t);

struct addrbook *
addrbook_new(int64_t now)
{
	struct addrbook *ab = xcalloc(1, sizeof *ab);

	ab->now = now;
	return ab;
}

void
addrbook_free(struct addrbook *ab)
{
	struct addrbook_entry *e, *next;
	size_t i;

	if (ab == NULL)
		return;
	for (i = 0; i < ADDRBOOK_BUCKETS; i++) {
		for (e = ab->bucket[i]; e != NULL; e = next) {
			next = e->next;
			free(e->addr);
			free(e->name);
			free(e);
		}
	}
	free(ab);
}

/* FNV-1a of the address, case folded. */
static unsigned int
addrbook_hash(const char *s)
{
	unsigned int h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)tolower((unsigned char)*s)) * 16777619u;
	return h % ADDRBOOK_BUCKETS;
}

void
addrbook_see(
    struct addrbook *ab, const char *name, const char *addr, int64_t when)
{
	struct addrbook_entry *e;
	unsigned int h;
	double age;

	if (addr == NULL || strchr(addr, '@') == NULL ||
	    strpbrk(addr, " \t\r\n<>,") != NULL || strlen(addr) > 254)
		return;
	h = addrbook_hash(addr);
	for (e = ab->bucket[h]; e != NULL; e = e->next) {
		if (strcasecmp(e->addr, addr) == 0)
			break;
	}
	if (e == NULL) {
		e = xcalloc(1, sizeof *e);
		e->addr = xstrdup(addr);
		e->next = ab->bucket[h];
		ab->bucket[h] = e;
		ab->n++;
	}
	age = when > 0 && when < ab->now ? (double)(ab->now - when) / 86400 : 0;
	e->score += ADDRBOOK_HALF_LIFE / (ADDRBOOK_HALF_LIFE + age);
	if (when > e->last)
		e->last = when;
	if (name != NULL && name[0] != '\0' && strcmp(name, addr) != 0 &&
	    (e->name == NULL || when >= e->name_when)) {
		free(e->name);
		e->name = xstrdup(name);
		e->name_when = when;
	}
}

/* A copy of len bytes of s without the spaces and quotes around them. */
static char *
addrbook_trim(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s++;
		len -= 2;
	}
	return xstrndup(s, len);
}

void
addrbook_see_list(struct addrbook *ab, const char *list, int64_t when)
{
	const char *p = list, *start, *lt, *gt;
	char *name, *addr;
	int quoted, angle;

	if (list == NULL)
		return;
	while (*p != '\0') {
		start = p;
		quoted = angle = 0;
		for (; *p != '\0'; p++) {
			if (*p == '"' && !angle)
				quoted = !quoted;
			else if (*p == '<' && !quoted)
				angle = 1;
			else if (*p == '>' && !quoted)
				angle = 0;
			else if ((*p == ',' || *p == ';') && !quoted && !angle)
				break;
		}
		lt = memchr(start, '<', (size_t)(p - start));
		gt = lt != NULL ? memchr(lt, '>', (size_t)(p - lt)) : NULL;
		if (lt != NULL && gt != NULL) {
			name = addrbook_trim(start, (size_t)(lt - start));
			addr = addrbook_trim(lt + 1, (size_t)(gt - lt - 1));
		} else {
			name = NULL;
			addr = addrbook_trim(start, (size_t)(p - start));
		}
		addrbook_see(ab, name, addr, when);
		free(name);
		free(addr);
		if (*p != '\0')
			p++;
	}
}

static int
addrbook_load_cb(const char *from_name, const char *from_addr, const char *to,
    const char *cc, int64_t date, void *arg)
{
	struct addrbook *ab = arg;

	addrbook_see(ab, from_name, from_addr, date);
	addrbook_see_list(ab, to, date);
	addrbook_see_list(ab, cc, date);
	return 0;
}

int
addrbook_load(struct addrbook *ab, struct store *st, char **err)
{
	if (store_addresses(st, ADDRBOOK_SCAN_MAX, addrbook_load_cb, ab) != 0) {
		*err = xstrdup(store_error(st));
		return -1;
	}
	return 0;
}

/* 1 when the address, the name or a word of the name starts with prefix. */
static int
addrbook_matches(const struct addrbook_entry *e, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p;

	if (strncasecmp(e->addr, prefix, n) == 0)
		return 1;
	if (e->name == NULL)
		return 0;
	for (p = e->name; *p != '\0'; p++) {
		if ((p == e->name || strchr(" .-_\"'(", p[-1]) != NULL) &&
		    strncasecmp(p, prefix, n) == 0)
			return 1;
	}
	return 0;
}

/* Best first: the higher score, then the newer, then by address. */
static int
addrbook_rank(const void *va, const void *vb)
{
	const struct addrbook_entry *a =
	    *(const struct addrbook_entry *const *)va;
	const struct addrbook_entry *b =
	    *(const struct addrbook_entry *const *)vb;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->last != b->last)
		return a->last > b->last ? -1 : 1;
	return strcasecmp(a->addr, b->addr);
}

size_t
addrbook_complete(
    struct addrbook *ab, const char *prefix, size_t max, char ***out)
{
	struct addrbook_entry **m = NULL, *e;
	size_t n = 0, i;

	*out = NULL;
	for (i = 0; i < ADDRBOOK_BUCKETS; i++) {
		for (e = ab->bucket[i]; e != NULL; e = e->next) {
			if (!addrbook_matches(e, prefix))
				continue;
			m = xreallocarray(m, n + 1, sizeof *m);
			m[n++] = e;
		}
	}
	if (n == 0)
		return 0;
	qsort(m, n, sizeof *m, addrbook_rank);
	if (n > max)
		n = max;
	*out = xcalloc(n, sizeof **out);
	for (i = 0; i < n; i++)
		(*out)[i] = addrbook_format(m[i]->name, m[i]->addr);
	free(m);
	return n;
}

char *
addrbook_format(const char *name, const char *addr)
{
	char *s, *q;
	size_t i, j;

	if (name == NULL || name[0] == '\0')
		return xstrdup(addr);
	if (strpbrk(name, "()<>[]:;@\\,.\"") == NULL) {
		xasprintf(&s, "%s <%s>", name, addr);
		return s;
	}
	q = xmalloc(strlen(name) * 2 + 1);
	for (i = j = 0; name[i] != '\0'; i++) {
		if (name[i] == '"' || name[i] == '\\')
			q[j++] = '\\';
		q[j++] = name[i];
	}
	q[j] = '\0';
	xasprintf(&s, "\"%s\" <%s>", q, addr);
	free(q);
	return s;
}

void
addrbook_list_free(char **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

size_t
addrbook_query_parse(const char *buf, size_t len, char ***out)
{
	const char *p = buf, *end = buf + len, *eol, *tab, *tab2;
	char *addr, *name;
	size_t n = 0;
	int first = 1;

	*out = NULL;
	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (first) { /* mutt's status line */
			first = 0;
			p = eol + 1;
			continue;
		}
		tab = memchr(p, '\t', (size_t)(eol - p));
		addr =
		    addrbook_trim(p, (size_t)((tab != NULL ? tab : eol) - p));
		name = NULL;
		if (tab != NULL) {
			tab2 = memchr(tab + 1, '\t', (size_t)(eol - tab - 1));
			name = addrbook_trim(tab + 1,
			    (size_t)((tab2 != NULL ? tab2 : eol) - tab - 1));
		}
		if (strchr(addr, '@') != NULL &&
		    strpbrk(addr, " <>,\r") == NULL &&
		    text_utf8_valid(addr, strlen(addr)) &&
		    (name == NULL || text_utf8_valid(name, strlen(name)))) {
			*out = xreallocarray(*out, n + 1, sizeof **out);
			(*out)[n++] = addrbook_format(name, addr);
		}
		free(addr);
		free(name);
		p = eol + 1;
	}
	return n;
}

int
addrbook_query(
    const char *cmd, const char *query, int timeout, char ***out, char **err)
{
	char *full, *buf, *clean;
	const char *pct;
	size_t len = 0;
	struct pollfd pfd;
	struct timespec start, now;
	int fds[2], devnull, status, ms, left, n;
	pid_t pid;

	*out = NULL;
	clean = text_clean_line(cmd);
	/* The query goes inside the command's own quotes, as in mutt's
	 * "abook --mutt-query '%s'": nothing in it may end them. */
	if (strpbrk(query, "'\"`$\\\n") != NULL) {
		xasprintf(
		    err, "query-command '%s': the query has quotes", clean);
		free(clean);
		return -1;
	}
	if ((pct = strstr(cmd, "%s")) != NULL)
		xasprintf(
		    &full, "%.*s%s%s", (int)(pct - cmd), cmd, query, pct + 2);
	else
		xasprintf(&full, "%s '%s'", cmd, query);
	if (pipe2(fds, O_CLOEXEC) == -1) {
		xasprintf(err, "query-command: pipe: %s", strerror(errno));
		free(full);
		free(clean);
		return -1;
	}
	if ((pid = fork()) == -1) {
		xasprintf(err, "query-command: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		free(full);
		free(clean);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		if ((devnull = open("/dev/null", O_RDWR)) != -1) {
			dup2(devnull, STDIN_FILENO);
			dup2(
			    devnull, STDERR_FILENO); /* the screen is curses' */
		}
		dup2(fds[1], STDOUT_FILENO);
		closefrom(3);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", full, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	free(full);
	close(fds[1]);
	buf = xmalloc(ADDRBOOK_QUERY_MAX);
	clock_gettime(CLOCK_MONOTONIC, &start);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	ms = (timeout > 0 ? timeout : ADDRBOOK_QUERY_TIMEOUT) * 1000;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = ms -
		    (int)((now.tv_sec - start.tv_sec) * 1000 +
		        (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(fds[0]);
			free(buf);
			xasprintf(err,
			    "query-command '%s' did not finish in %d second%s",
			    clean, ms / 1000, ms == 1000 ? "" : "s");
			free(clean);
			return -1;
		}
		if ((n = poll(&pfd, 1, left)) == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		if (n == 0)
			continue; /* the deadline, checked above */
		if (len == ADDRBOOK_QUERY_MAX)
			break; /* enough: the rest is not read */
		n = (int)read(fds[0], buf + len, ADDRBOOK_QUERY_MAX - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	kill(-pid, SIGTERM); /* what it left behind */
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		continue;
	/* mutt's queries exit 1 when nothing matched: not an error. */
	if (WIFEXITED(status) && WEXITSTATUS(status) > 1) {
		xasprintf(err, "query-command '%s' exited with status %d",
		    clean, WEXITSTATUS(status));
		free(clean);
		free(buf);
		return -1;
	}
	free(clean);
	n = (int)addrbook_query_parse(buf, len, out);
	free(buf);
	return n;
}
