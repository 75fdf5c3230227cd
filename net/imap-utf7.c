/* errand: a terminal mail user agent. See LICENSE.
 * Modified UTF-7 for mailbox names (RFC 3501 5.1.3): printable ASCII
 * stands for itself, "&-" for "&", and "&...-" holds UTF-16 in base64 with
 * "," for "/". Both directions refuse anything the RFC does not allow. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "imap-utf7.h"

static int imap_utf7_b64(unsigned char);
static size_t imap_utf8_put(char *, uint32_t);
static int imap_utf8_get(const unsigned char *, size_t, uint32_t *);

static const char imap_utf7_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
imap_utf7_b64(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/* Write code point u as UTF-8; returns the bytes written (1 to 4). */
static size_t
imap_utf8_put(char *out, uint32_t u)
{
	if (u < 0x80) {
		out[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		out[0] = (char)(0xc0 | (u >> 6));
		out[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		out[0] = (char)(0xe0 | (u >> 12));
		out[1] = (char)(0x80 | ((u >> 6) & 0x3f));
		out[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (u >> 18));
	out[1] = (char)(0x80 | ((u >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((u >> 6) & 0x3f));
	out[3] = (char)(0x80 | (u & 0x3f));
	return 4;
}

/* Read one UTF-8 sequence: its length, or -1 if malformed. */
static int
imap_utf8_get(const unsigned char *s, size_t n, uint32_t *u)
{
	uint32_t min;
	int len, i;

	if (s[0] < 0x80) {
		*u = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		*u = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		*u = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		*u = s[0] & 0x07;
		min = 0x10000;
	} else
		return -1;
	if ((size_t)len > n)
		return -1;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		*u = (*u << 6) | (s[i] & 0x3f);
	}
	if (*u < min || *u > 0x10ffff || (*u >= 0xd800 && *u <= 0xdfff))
		return -1;
	return len;
}

char *
imap_utf7_decode(const char *in, size_t n)
{
	const unsigned char *s = (const unsigned char *)in;
	char *out, *o;
	uint32_t bits, u, hi;
	size_t i;
	int nbits, v, nunits;

	/* Each input byte gives at most 3 bytes of UTF-8 (6 bits of a
	 * 16-bit unit in base64 -> <= 2 bytes; ASCII -> 1). */
	o = out = xmalloc(n * 3 + 1);
	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			goto bad;
		if (s[i] != '&') {
			*o++ = (char)s[i];
			continue;
		}
		if (i + 1 < n && s[i + 1] == '-') {
			*o++ = '&';
			i++;
			continue;
		}
		bits = 0;
		nbits = 0;
		nunits = 0;
		hi = 0;
		for (i++; i < n && s[i] != '-'; i++) {
			if ((v = imap_utf7_b64(s[i])) == -1)
				goto bad;
			bits = (bits << 6) | (uint32_t)v;
			nbits += 6;
			if (nbits < 16)
				continue;
			nbits -= 16;
			u = (bits >> nbits) & 0xffff;
			bits &= (1u << nbits) - 1;
			nunits++;
			if (hi != 0) {
				if (u < 0xdc00 || u > 0xdfff)
					goto bad;
				u = 0x10000 + ((hi - 0xd800) << 10) +
				    (u - 0xdc00);
				hi = 0;
			} else if (u >= 0xd800 && u <= 0xdbff) {
				hi = u;
				continue;
			} else if (u >= 0xdc00 && u <= 0xdfff)
				goto bad;
			else if (u >= 0x20 && u <= 0x7e)
				goto bad; /* must have been plain ASCII */
			o += imap_utf8_put(o, u);
		}
		/* Ended by '-', with no half unit, zero padding bits, and at
		 * least one unit ("&-" is the only empty shift). */
		if (i >= n || hi != 0 || nbits >= 6 || bits != 0 || nunits == 0)
			goto bad;
		/* "&AGE-&AGE-" is two shifts where one would do. */
		if (i + 1 < n && s[i + 1] == '&' &&
		    !(i + 2 < n && s[i + 2] == '-'))
			goto bad;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

char *
imap_utf7_encode(const char *in, size_t n)
{
	const unsigned char *s = (const unsigned char *)in;
	char *out, *o;
	uint32_t u, bits = 0, units[2];
	size_t i;
	int len, nbits = 0, shifted = 0, k, nu;

	/* Worst case: 4 bytes of UTF-8 -> 2 units -> 32 bits -> 6 chars,
	 * plus '&' and '-' around each: at most 4 per input byte + 2. */
	o = out = xmalloc(n * 4 + 3);
	for (i = 0; i < n; i += (size_t)len) {
		if (s[i] == '\0' || (len = imap_utf8_get(s + i, n - i, &u)) < 0)
			goto bad;
		if (u >= 0x20 && u <= 0x7e) {
			if (shifted) {
				if (nbits > 0)
					*o++ = imap_utf7_alphabet[(bits << (6 -
					                               nbits)) &
					    0x3f];
				*o++ = '-';
				shifted = 0;
				bits = 0;
				nbits = 0;
			}
			*o++ = (char)u;
			if (u == '&')
				*o++ = '-';
			continue;
		}
		if (!shifted) {
			*o++ = '&';
			shifted = 1;
		}
		if (u >= 0x10000) {
			units[0] = 0xd800 + ((u - 0x10000) >> 10);
			units[1] = 0xdc00 + ((u - 0x10000) & 0x3ff);
			nu = 2;
		} else {
			units[0] = u;
			nu = 1;
		}
		for (k = 0; k < nu; k++) {
			bits = (bits << 16) | units[k];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				*o++ =
				    imap_utf7_alphabet[(bits >> nbits) & 0x3f];
			}
			bits &= (1u << nbits) - 1;
		}
	}
	if (shifted) {
		if (nbits > 0)
			*o++ = imap_utf7_alphabet[(bits << (6 - nbits)) & 0x3f];
		*o++ = '-';
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}
