/* errand: a terminal mail user agent. See LICENSE.
 * Drawing helpers: every string reaches curses through ui_draw(), which
 * makes it terminal-safe (src/content/text.h) and fits it to its columns by display
 * width; and the index's short forms of counts, sizes and dates. */

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "private.h"
#include "content/text.h"

size_t
ui_draw(int y, int x, size_t cols, const char *s, int pad)
{
	char *clean;
	size_t n, width = 0;

	if (cols == 0)
		return 0;
	clean = text_clean_line(s);
	n = text_fit(clean, cols, &width);
	mvaddnstr(y, x, clean, (int)n);
	free(clean);
	if (pad) {
		for (; width < cols; width++)
			addch(' ');
	}
	return width;
}

const char *
ui_count(uint32_t n, char *buf, size_t size)
{
	if (n >= 1000000)
		snprintf(buf, size, "%u,%03u,%03u", n / 1000000,
		    n / 1000 % 1000, n % 1000);
	else if (n >= 1000)
		snprintf(buf, size, "%u,%03u", n / 1000, n % 1000);
	else
		snprintf(buf, size, "%u", n);
	return buf;
}

const char *
ui_size(uint32_t n, char *buf, size_t size)
{
	if (n < 1000)
		snprintf(buf, size, "%u", n);
	else if (n < 1000 * 1024)
		snprintf(buf, size, "%uK", (n + 1023) / 1024);
	else if (n < 10 * 1024 * 1024)
		snprintf(buf, size, "%.1fM", n / (1024.0 * 1024.0));
	else
		snprintf(buf, size, "%uM", n / (1024 * 1024));
	return buf;
}

const char *
ui_date(int64_t t, char *buf, size_t size)
{
	time_t now = time(NULL), when = (time_t)t;
	struct tm tn, tw;

	if (t <= 0 || localtime_r(&when, &tw) == NULL ||
	    localtime_r(&now, &tn) == NULL) {
		snprintf(buf, size, "%s", "");
		return buf;
	}
	if (tw.tm_year == tn.tm_year && tw.tm_yday == tn.tm_yday)
		strftime(buf, size, "%H:%M", &tw);
	else if (tw.tm_year == tn.tm_year)
		strftime(buf, size, "%b %d", &tw);
	else
		strftime(buf, size, "%Y-%m-%d", &tw);
	return buf;
}
