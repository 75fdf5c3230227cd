/* errand: a terminal mail user agent. See LICENSE.
 * Protocol log: one line per protocol line, "HH:MM:SS.mmm peer > text",
 * appended to a file only the user can read. Control bytes are escaped so a
 * server cannot write terminal sequences into a log someone will cat, and
 * each entry is one write(2) so entries never interleave. */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xmalloc.h"
#include "plog.h"

/* Longest piece of one data line that is logged; the rest is counted. */
#define PLOG_MAX_DATA 4096

struct plog {
	int fd; /* open for append */
};

static void plog_line(struct plog *, const char *, char, const char *, size_t);
static size_t plog_escape(char *, const char *, size_t);

struct plog *
plog_open(const char *path, char **err)
{
	struct plog *pl;
	struct stat st;
	int fd;

	/* Not blocking: a FIFO nobody reads is refused at once, instead of
	 * waiting in open() for a reader; the writes then block as usual. */
	fd = open(
	    path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd == -1) {
		xasprintf(err, "cannot open log '%s': %s", path,
		    errno == ENXIO ? "a FIFO with no reader" : strerror(errno));
		return NULL;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		xasprintf(
		    err, "cannot open log '%s': %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	/* A log left with a wider mode by someone else is narrowed. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 077) != 0 && fchmod(fd, 0600) == -1) {
		xasprintf(err, "cannot make log '%s' private: %s", path,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	pl = xcalloc(1, sizeof *pl);
	pl->fd = fd;
	return pl;
}

void
plog_close(struct plog *pl)
{
	if (pl == NULL)
		return;
	close(pl->fd);
	free(pl);
}

void
plog_write(
    struct plog *pl, const char *peer, char dir, const char *data, size_t len)
{
	const char *nl;
	size_t n;

	if (pl == NULL || data == NULL)
		return;
	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = (nl == NULL) ? len : (size_t)(nl - data);
		/* The line end is not part of the line; a lone CR is. */
		if (nl != NULL && n > 0 && data[n - 1] == '\r')
			plog_line(pl, peer, dir, data, n - 1);
		else
			plog_line(pl, peer, dir, data, n);
		if (nl == NULL)
			break;
		data += n + 1;
		len -= n + 1;
	}
}

void
plog_note(struct plog *pl, const char *peer, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (pl == NULL)
		return;
	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	plog_write(pl, peer, '*', s, (size_t)n);
	free(s);
}

/* Write one entry: time stamp, peer, direction and the escaped text. */
static void
plog_line(
    struct plog *pl, const char *peer, char dir, const char *data, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32], *buf, *p;
	size_t shown, size, off;
	ssize_t w;

	shown = len > PLOG_MAX_DATA ? PLOG_MAX_DATA : len;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof stamp, "%02d:%02d:%02d.%03ld", tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L);
	if (peer == NULL)
		peer = "-";

	/* Each byte escapes to at most four ("\xHH"). */
	size = strlen(stamp) + strlen(peer) + 4 * shown + 64;
	buf = xmalloc(size);
	off = (size_t)snprintf(buf, size, "%s %s %c ", stamp, peer, dir);
	if (off >= size)
		fatalx("%s: log prefix overflow", __func__);
	off += plog_escape(buf + off, data, shown);
	if (shown < len)
		off += (size_t)snprintf(buf + off, size - off,
		    " [... %zu more bytes]", len - shown);
	buf[off++] = '\n';

	for (p = buf; off > 0; p += w, off -= (size_t)w) {
		w = write(pl->fd, p, off);
		if (w == -1 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			break; /* a log that cannot be written is not fatal */
	}
	free(buf);
}

/* Copy len bytes of src to dst with control bytes and backslash escaped;
 * dst holds 4 * len bytes. Returns the bytes written. */
static size_t
plog_escape(char *dst, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char ch;
	size_t i, o;

	for (i = o = 0; i < len; i++) {
		ch = (unsigned char)src[i];
		if (ch == '\\') {
			dst[o++] = '\\';
			dst[o++] = '\\';
		} else if (ch == '\r') {
			dst[o++] = '\\';
			dst[o++] = 'r';
		} else if (ch == '\n') {
			dst[o++] = '\\';
			dst[o++] = 'n';
		} else if (ch == '\t') {
			dst[o++] = '\\';
			dst[o++] = 't';
		} else if (ch < 0x20 || ch == 0x7f) {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[ch >> 4];
			dst[o++] = hex[ch & 0xf];
		} else
			dst[o++] = (char)ch;
	}
	return o;
}
