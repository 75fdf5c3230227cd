/* errand: a terminal mail user agent. See LICENSE.
 * Terminal-safe text: the one filter between message text and the screen
 * (C0/C1 controls and so ECMA-48 escape sequences shown inert, bidi
 * overrides, invalid UTF-8 per RFC 3629), and display width through
 * wcwidth(3). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "content/text.h"
#include "xmalloc.h"

static size_t text_decode(const unsigned char *, size_t, uint32_t *);
static size_t text_char_width(const unsigned char *, size_t, size_t *);

/* One UTF-8 character at p: its length, or 0 when it is not valid. */
static size_t
text_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
	uint32_t c = p[0], min;
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xc2)
		return 0; /* a continuation byte, or an overlong lead */
	if (c < 0xe0) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c < 0xf0) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c < 0xf5) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/*
 * A control shown inert, as mutt shows it: ESC as "^[", a C0 control or DEL
 * in caret notation ("^G", "^?"), a C1 control as the 7-bit form of it, ESC
 * and a letter ("^[[" for CSI). The text after it is ordinary text.
 */
#define TEXT_CARET(o, c)                                                       \
	do {                                                                   \
		*(o)++ = '^';                                                  \
		*(o)++ = (char)((c) ^ 0x40);                                   \
	} while (0)

char *
text_clean(const char *s, size_t len, int flags)
{
	const unsigned char *p = (const unsigned char *)s, *end;
	char *out, *o;
	uint32_t cp;
	size_t i, n;

	if (s == NULL)
		return xstrdup("");
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] >= 0x7f)
			break;
	}
	if (i == len)
		return xstrndup(s, len);

	/* At worst each byte becomes a three-byte U+FFFD. */
	out = xreallocarray(NULL, len + 1, 3);
	memcpy(out, s, i);
	o = out + i;
	end = p + len;
	p += i;
	while (p < end) {
		if (*p >= 0x20 && *p < 0x7f) {
			*o++ = (char)*p++;
			continue;
		}
		if (*p < 0x80) {
			if (*p == '\t')
				*o++ = (flags & TEXT_KEEP_TAB) ? '\t' : ' ';
			else if (*p == '\n')
				*o++ = (flags & TEXT_KEEP_NEWLINE) ? '\n' : ' ';
			else if (*p == '\r') {
				/* CRLF is a newline; a lone CR is removed */
				if (!(flags & TEXT_KEEP_NEWLINE) &&
				    (p + 1 == end || p[1] != '\n'))
					*o++ = ' ';
			} else
				TEXT_CARET(o, *p);
			p++;
			continue;
		}
		if ((n = text_decode(p, (size_t)(end - p), &cp)) == 0) {
			memcpy(o, TEXT_REPLACEMENT, 3);
			o += 3;
			p++;
			continue;
		}
		p += n;
		if (cp < 0xa0) { /* C1 controls, as UTF-8: ESC Fe */
			TEXT_CARET(o, 0x1b);
			*o++ = (char)(cp - 0x40);
			continue;
		}
		if ((cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			continue;
		if (cp == 0x2028 || cp == 0x2029) {
			*o++ = (flags & TEXT_KEEP_NEWLINE) ? '\n' : ' ';
			continue;
		}
		memcpy(o, p - n, n);
		o += n;
	}
	*o = '\0';
	return out;
}

char *
text_clean_line(const char *s)
{
	if (s == NULL)
		return xstrdup("");
	return text_clean(s, strlen(s), 0);
}

char *
text_clean_max(const char *s, size_t max)
{
	size_t len = s != NULL ? strlen(s) : 0;
	char *cut, *out;

	if (len <= max)
		return text_clean_line(s);
	cut = text_clean(s, max, 0);
	xasprintf(&out, "%s...", cut);
	free(cut);
	return out;
}

int
text_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t w;
	uint32_t cp;
	size_t i = 0, n;

	while (i < len) {
		/* ASCII eight bytes at a time: most text is mostly ASCII. */
		while (len - i >= 8) {
			memcpy(&w, p + i, 8);
			if ((w & UINT64_C(0x8080808080808080)) != 0)
				break;
			i += 8;
		}
		if (i == len)
			break;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = text_decode(p + i, len - i, &cp)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* The width of the character at p (its length in *n, at least 1). */
static size_t
text_char_width(const unsigned char *p, size_t len, size_t *n)
{
	uint32_t cp;
	int w;

	if (*p < 0x80) {
		*n = 1;
		return (*p >= 0x20 && *p < 0x7f) ? 1 : 0;
	}
	if ((*n = text_decode(p, len, &cp)) == 0) {
		*n = 1;
		return 1; /* shown as U+FFFD */
	}
	if (cp < 0xa0)
		return 0;
	if ((w = wcwidth((wchar_t)cp)) < 0)
		return 1; /* unassigned: most terminals draw something */
	return (size_t)w;
}

size_t
text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i = 0, n, width = 0;

	if (s == NULL)
		return 0;
	len = strlen(s);
	while (i < len) {
		width += text_char_width(p + i, len - i, &n);
		i += n;
	}
	return width;
}

size_t
text_fit(const char *s, size_t cols, size_t *width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i = 0, n, w, used = 0;

	if (s == NULL) {
		if (width != NULL)
			*width = 0;
		return 0;
	}
	len = strlen(s);
	while (i < len) {
		w = text_char_width(p + i, len - i, &n);
		if (used + w > cols)
			break;
		used += w;
		i += n;
	}
	if (width != NULL)
		*width = used;
	return i;
}

char *
text_truncate(const char *s, size_t cols)
{
	char *out;
	size_t n;

	if (s == NULL || cols == 0)
		return xstrdup("");
	n = text_fit(s, cols, NULL);
	if (s[n] == '\0')
		return xstrdup(s);
	n = text_fit(s, cols - 1, NULL);
	out = xmalloc(n + sizeof "\xe2\x80\xa6");
	memcpy(out, s, n);
	memcpy(out + n, "\xe2\x80\xa6", sizeof "\xe2\x80\xa6");
	return out;
}

int
text_utf8_likely(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t i = 0, n, good = 0, bad = 0;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = text_decode(p + i, len - i, &cp)) == 0) {
			bad++;
			i++;
			continue;
		}
		good++;
		i += n;
	}
	return good > 0 && bad <= good;
}

char *
text_utf8_repair(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;
	uint32_t cp;
	size_t i = 0, n;

	o = out = xreallocarray(NULL, len + 1, 3);
	while (i < len) {
		if (p[i] < 0x80)
			n = 1;
		else if ((n = text_decode(p + i, len - i, &cp)) == 0) {
			memcpy(o, TEXT_REPLACEMENT, 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(o, p + i, n);
		o += n;
		i += n;
	}
	*o = '\0';
	return out;
}
