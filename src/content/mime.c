/* errand: a terminal mail user agent. See LICENSE.
 * Message headers into UTF-8. The header block is split into fields here (RFC
 * 5322 2.2, unfolding 2.2.3) and only the few fields the index needs go to
 * GMime's decoders: RFC 2047 words, RFC 5322 addresses and dates, RFC 2045 and
 * RFC 2231 Content-Type; raw 8-bit bytes are UTF-8 (RFC 6532) or a fallback. */

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "content/mime.h"
#include "content/text.h"
#include "xmalloc.h"

/* The fields decoded, in the order of mime_fields[]. */
enum mime_field {
	MIME_F_SUBJECT,
	MIME_F_FROM,
	MIME_F_TO,
	MIME_F_CC,
	MIME_F_DATE,
	MIME_F_MESSAGE_ID,
	MIME_F_IN_REPLY_TO,
	MIME_F_REFERENCES,
	MIME_F_CONTENT_TYPE,
	MIME_F_COUNT
};

static const struct {
	const char *name;
	size_t len;
} mime_fields[MIME_F_COUNT] = {
    {"subject", 7},
    {"from", 4},
    {"to", 2},
    {"cc", 2},
    {"date", 4},
    {"message-id", 10},
    {"in-reply-to", 11},
    {"references", 10},
    {"content-type", 12},
};

/* Where a field's value lies in the header block: folds and all. */
struct mime_span {
	const char *start;
	const char *end;
};

/* A Content-Type in its common shape (mime_ctype_fast()): spans of s. */
struct mime_ctype {
	const char *type; /* the media type, not NUL-terminated */
	size_t tlen;
	const char *sub; /* the subtype */
	size_t slen;
	const char *val; /* the wanted parameter's value, or NULL */
	size_t vlen;
};

/* Whether the fast paths for Content-Type, msg-id lists and dates are
 * tried before GMime (mime_set_fast()), and how often they answered. */
static int mime_fast = 1;
static unsigned long mime_fast_hits;

/*
 * Byte classes for the fast paths, a table filled by mime_init(): a lookup
 * per byte, as the tests on each byte of a header showed in profiles.
 */
#define MIME_C_SPECIAL 1 /* <>()[]\":;, (RFC 5322 specials but @ and .) */
#define MIME_C_ATEXT 2   /* in an RFC 5322 atom: printable ASCII, no specials */
#define MIME_C_TOKEN 4   /* in an RFC 2045 token: printable, no tspecials */
static unsigned char mime_class[256];
#define MIME_IS(c, cls) ((mime_class[(unsigned char)(c)] & (cls)) != 0)

/* GMime and iconv state, made once and kept for the next message. */
static int mime_ready;
static GMimeParserOptions *mime_options;
static char *mime_charset; /* the fallback mime_options and cd are for */
static iconv_t mime_cd = (iconv_t)-1; /* the fallback to UTF-8, or -1 */

/*
 * Converters to UTF-8 by charset, kept open. glibc loads a charset's gconv
 * module on iconv_open() and unloads it when the last converter closes, so
 * opening one per header (GMime does, for each encoded word) costs a dlopen
 * each time; a converter held here keeps the module loaded.
 */
#define MIME_ICONV_MAX 32
static struct {
	char *charset;
	iconv_t cd; /* (iconv_t)-1: iconv does not know it */
} mime_iconv_cache[MIME_ICONV_MAX];
static size_t mime_niconv;

/*
 * Charset labels seen in mail that iconv does not know, or that name a
 * charset whose superset is what senders really write. From WHATWG's
 * Encoding Standard label list (gb2312 is read as GBK, big5 as Big5-HKSCS,
 * euc-kr as windows-949, shift_jis as windows-31j, iso-8859-1 and ascii as
 * windows-1252, iso-8859-9 as windows-1254, tis-620 as windows-874), mutt's
 * charset aliases, and the Windows font charset names some exporters write
 * (GB2312_CHARSET, CHINESEBIG5_CHARSET). Labels are compared case aside,
 * "" means "no charset said": the caller's fallback.
 */
static const struct {
	const char *label;
	const char *name;
} mime_aliases[] = {
    {"ansi_charset", "WINDOWS-1252"},
    {"ansi_x3.4-1968", "WINDOWS-1252"},
    {"arabic_charset", "WINDOWS-1256"},
    {"ascii", "WINDOWS-1252"},
    {"baltic_charset", "WINDOWS-1257"},
    {"big5", "BIG5-HKSCS"},
    {"big5-hkscs", "BIG5-HKSCS"},
    {"chinese", "GB18030"},
    {"chinesebig5", "BIG5-HKSCS"},
    {"chinesebig5_charset", "BIG5-HKSCS"},
    {"cn-big5", "BIG5-HKSCS"},
    {"cp819", "WINDOWS-1252"},
    {"cp936", "GB18030"},
    {"csbig5", "BIG5-HKSCS"},
    {"cseuckr", "CP949"},
    {"cseucpkdfmtjapanese", "EUC-JP"},
    {"csgb2312", "GB18030"},
    {"csiso58gb231280", "GB18030"},
    {"csiso88598i", "ISO-8859-8"},
    {"csisolatin1", "WINDOWS-1252"},
    {"csisolatin5", "WINDOWS-1254"},
    {"csisolatin9", "ISO-8859-15"},
    {"cskoi8r", "KOI8-R"},
    {"csksc56011987", "CP949"},
    {"csshiftjis", "CP932"},
    {"default_charset", ""},
    {"dos-874", "WINDOWS-874"},
    {"easteurope_charset", "WINDOWS-1250"},
    {"euc-cn", "GB18030"},
    {"euc-kr", "CP949"},
    {"gb2312", "GB18030"},
    {"gb2312_charset", "GB18030"},
    {"gb_2312", "GB18030"},
    {"gb_2312-80", "GB18030"},
    {"gbk", "GB18030"},
    {"greek_charset", "WINDOWS-1253"},
    {"hangeul_charset", "CP949"},
    {"hangul_charset", "CP949"},
    {"hebrew_charset", "WINDOWS-1255"},
    {"ibm819", "WINDOWS-1252"},
    {"iso-8859-1", "WINDOWS-1252"},
    {"iso-8859-11", "WINDOWS-874"},
    {"iso-8859-8-i", "ISO-8859-8"},
    {"iso-8859-9", "WINDOWS-1254"},
    {"iso-ir-100", "WINDOWS-1252"},
    {"iso-ir-148", "WINDOWS-1254"},
    {"iso-ir-149", "CP949"},
    {"iso-ir-58", "GB18030"},
    {"iso8859-1", "WINDOWS-1252"},
    {"iso8859-9", "WINDOWS-1254"},
    {"iso88591", "WINDOWS-1252"},
    {"iso88599", "WINDOWS-1254"},
    {"iso_8859-1", "WINDOWS-1252"},
    {"iso_8859-1:1987", "WINDOWS-1252"},
    {"iso_8859-9", "WINDOWS-1254"},
    {"iso_8859_1", "WINDOWS-1252"},
    {"johab_charset", "JOHAB"},
    {"koi", "KOI8-R"},
    {"koi8", "KOI8-R"},
    {"koi8-ru", "KOI8-U"},
    {"korean", "CP949"},
    {"ks_c_5601", "CP949"},
    {"ks_c_5601-1987", "CP949"},
    {"ks_c_5601-1989", "CP949"},
    {"ksc5601", "CP949"},
    {"ksc_5601", "CP949"},
    {"l1", "WINDOWS-1252"},
    {"l5", "WINDOWS-1254"},
    {"l9", "ISO-8859-15"},
    {"latin1", "WINDOWS-1252"},
    {"latin5", "WINDOWS-1254"},
    {"latin9", "ISO-8859-15"},
    {"logical", "ISO-8859-8"},
    {"mac", "MACINTOSH"},
    {"mac_charset", "MACINTOSH"},
    {"macintosh", "MACINTOSH"},
    {"ms932", "CP932"},
    {"ms936", "GB18030"},
    {"ms949", "CP949"},
    {"ms_kanji", "CP932"},
    {"russian_charset", "WINDOWS-1251"},
    {"shift-jis", "CP932"},
    {"shift_jis", "CP932"},
    {"shiftjis_charset", "CP932"},
    {"sjis", "CP932"},
    {"thai_charset", "WINDOWS-874"},
    {"tis-620", "WINDOWS-874"},
    {"turkish_charset", "WINDOWS-1254"},
    {"unicode-1-1-utf-8", "UTF-8"},
    {"unicode11utf8", "UTF-8"},
    {"unicode20utf8", "UTF-8"},
    {"unknown", ""},
    {"unknown-8bit", ""},
    {"us-ascii", "WINDOWS-1252"},
    {"utf8", "UTF-8"},
    {"utf_8", "UTF-8"},
    {"vietnamese_charset", "WINDOWS-1258"},
    {"visual", "ISO-8859-8"},
    {"windows-31j", "CP932"},
    {"windows-936", "GB18030"},
    {"windows-949", "CP949"},
    {"x-cp1250", "WINDOWS-1250"},
    {"x-cp1251", "WINDOWS-1251"},
    {"x-cp1252", "WINDOWS-1252"},
    {"x-euc-cn", "GB18030"},
    {"x-euc-jp", "EUC-JP"},
    {"x-euc-kr", "CP949"},
    {"x-gbk", "GB18030"},
    {"x-iso-8859-1", "WINDOWS-1252"},
    {"x-ks_c_5601", "CP949"},
    {"x-mac-ce", "MAC-CENTRALEUROPE"},
    {"x-mac-cyrillic", "MAC-CYRILLIC"},
    {"x-mac-roman", "MACINTOSH"},
    {"x-mac-ukrainian", "MAC-UK"},
    {"x-ms949", "CP949"},
    {"x-sjis", "CP932"},
    {"x-unicode20utf8", "UTF-8"},
    {"x-unknown", ""},
    {"x-user-defined", ""},
    {"x-windows-949", "CP949"},
    {"x-x-big5", "BIG5-HKSCS"},
};

static void mime_set_charset(const char *);
static char *mime_quote_raw_words(char *);
static const char *mime_charset_or(const char *, char *);
static int mime_utf8_instead(const char *, const unsigned char *, size_t);
static void mime_split(const char *, size_t, struct mime_span *);
static char *mime_unfold(const char *, const char *);
static char *mime_to_utf8(char *, const char *);
static char *mime_b_to_q(char *);
static size_t mime_base64(const char *, size_t, unsigned char *);
static char *mime_convert(const char *, size_t);
static char *mime_convert_hint(const char *, size_t, const char *);
static iconv_t mime_iconv(const char *);
static void mime_pin_words(const char *);
static char *mime_charset_hint(const char *);
static int mime_weak_hint(const char *);
static char *mime_words(const char *);
static void mime_first_mailbox(InternetAddressList *, struct mime_headers *);
static void mime_null_sender(char *, struct mime_headers *);
static InternetAddressList *mime_parse_addresses(const char *);
static char *mime_decode_value(
    const char *, size_t, const char *, const char *, char *(*)(const char *));
static char *mime_append_mailbox(
    char *, char *, size_t, const char *, const char *);
static char *mime_address_list(const char *);
static void mime_list_text(InternetAddressList *, GString *, int);
static int mime_simple(const char *);
static int mime_addr_spec(const char *);
static char *mime_squeeze(const char *, const char *);
static int mime_simple_from(const char *, struct mime_headers *);
static int mime_mailbox(const char *, const char *, char **, char **);
static char *mime_msgid(const char *);
static char *mime_references_fast(const char *, int);
static char *mime_references(const char *, int);
static int mime_ctype_fast(const char *, const char *, struct mime_ctype *);
static int mime_attachment(const char *);
static int mime_name3(const char *, const char *, int);
static int mime_digits(const char **, int, int);
static int mime_date_fast(const char *, time_t *);

unsigned long
mime_set_fast(int on)
{
	unsigned long hits = mime_fast_hits;

	mime_fast = on;
	mime_fast_hits = 0;
	return hits;
}

void
mime_init(void)
{
	int c;

	if (mime_ready)
		return;
	for (c = 0x21; c < 0x7f; c++) {
		if (strchr("<>()[]\\\":;,", c) != NULL)
			mime_class[c] = MIME_C_SPECIAL;
		else if (c != '@' && c != '.')
			mime_class[c] = MIME_C_ATEXT;
		if (mime_class[c] != MIME_C_SPECIAL && c != '@' && c != '/' &&
		    c != '?' && c != '=')
			mime_class[c] |= MIME_C_TOKEN;
	}
	g_mime_init();
	mime_ready = 1;
}

void
mime_shutdown(void)
{
	if (!mime_ready)
		return;
	if (mime_options != NULL)
		g_mime_parser_options_free(mime_options);
	mime_options = NULL;
	free(mime_charset);
	mime_charset = NULL;
	if (mime_cd != (iconv_t)-1)
		iconv_close(mime_cd);
	mime_cd = (iconv_t)-1;
	while (mime_niconv > 0) {
		mime_niconv--;
		free(mime_iconv_cache[mime_niconv].charset);
		if (mime_iconv_cache[mime_niconv].cd != (iconv_t)-1)
			iconv_close(mime_iconv_cache[mime_niconv].cd);
	}
	g_mime_shutdown();
	mime_ready = 0;
}

const char *
mime_charset_name(const char *label, char *buf, size_t size)
{
	const char *p, *end;
	size_t i, n;

	if (size == 0)
		fatalx("%s: no room", __func__);
	buf[0] = '\0';
	if (label == NULL)
		return buf;
	for (p = label; *p == ' ' || *p == '\t' || *p == '"' || *p == '\''; p++)
		;
	for (end = p + strlen(p); end > p &&
	     (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '"' ||
	         end[-1] == '\'');
	     end--)
		;
	if ((n = (size_t)(end - p)) >= size || n >= MIME_CHARSET_MAX)
		return buf;
	memcpy(buf, p, n);
	buf[n] = '\0';
	for (i = 0; i < sizeof mime_aliases / sizeof mime_aliases[0]; i++) {
		if (strcasecmp(buf, mime_aliases[i].label) == 0) {
			if (strlen(mime_aliases[i].name) >= size)
				fatalx("%s: no room", __func__);
			memcpy(buf, mime_aliases[i].name,
			    strlen(mime_aliases[i].name) + 1);
			break;
		}
	}
	return buf;
}

/* The name iconv knows for label cs, in name (MIME_CHARSET_MAX bytes), or
 * NULL when the label says nothing (x-unknown) or is too long. */
static const char *
mime_charset_or(const char *cs, char *name)
{
	mime_charset_name(cs, name, MIME_CHARSET_MAX);
	return name[0] != '\0' ? name : NULL;
}

/*
 * Whether n bytes b, said to be in charset cs, are better read as UTF-8:
 * they hold 8-bit bytes and are valid UTF-8 as a whole, which text in a
 * legacy 8-bit or multibyte charset almost never is (UTF-8 text labelled
 * GB2312 even converts without an error, as nonsense). Never for the
 * UTF-16 and UTF-32 families, whose bytes are not text of their own.
 */
static int
mime_utf8_instead(const char *cs, const unsigned char *b, size_t n)
{
	size_t i;

	if (strncasecmp(cs, "utf-16", 6) == 0 ||
	    strncasecmp(cs, "utf-32", 6) == 0 ||
	    strncasecmp(cs, "ucs-", 4) == 0 ||
	    strncasecmp(cs, "utf16", 5) == 0 ||
	    strncasecmp(cs, "utf32", 5) == 0 ||
	    strncasecmp(cs, "ucs2", 4) == 0 ||
	    strncasecmp(cs, "ucs4", 4) == 0 ||
	    strncasecmp(cs, "unicode", 7) == 0)
		return 0;
	for (i = 0; i < n && b[i] < 0x80; i++)
		;
	return i < n && text_utf8_valid((const char *)b, n);
}

int
mime_prefer_utf8(const char *charset, const char *s, size_t len)
{
	return charset != NULL &&
	    mime_utf8_instead(charset, (const unsigned char *)s, len);
}

/*
 * s (which this takes) with the raw 8-bit bytes inside each Q encoded word
 * written as =XX, so that they are decoded once, in the word's charset, and
 * not first read as the header's raw bytes (a sender that put "=?iso-8859-1?
 * Q?Fr<F6>sche?=" meant the byte F6 in ISO-8859-1).
 */
static char *
mime_quote_raw_words(char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p, *t, *te;
	char *out, *o;
	int raw = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x80)
			break;
	}
	if (*p == '\0' || strstr(s, "=?") == NULL)
		return s;
	o = out = xreallocarray(NULL, strlen(s) + 1, 3);
	for (p = (const unsigned char *)s; *p != '\0';) {
		if (p[0] != '=' || p[1] != '?') {
			*o++ = (char)*p++;
			continue;
		}
		/* =?charset?Q?text?= with no white space or ? in text */
		t = p + 2 + strcspn((const char *)p + 2, "? \t");
		if (t == p + 2 || t[0] != '?' || (t[1] != 'q' && t[1] != 'Q') ||
		    t[2] != '?') {
			*o++ = (char)*p++;
			continue;
		}
		t += 3;
		te = t + strcspn((const char *)t, "? \t");
		if (te[0] != '?' || te[1] != '=') {
			*o++ = (char)*p++;
			continue;
		}
		memcpy(o, p, (size_t)(t - p));
		o += t - p;
		for (; t < te; t++) {
			if (*t < 0x80) {
				*o++ = (char)*t;
				continue;
			}
			*o++ = '=';
			*o++ = hex[*t >> 4];
			*o++ = hex[*t & 0xf];
			raw = 1;
		}
		memcpy(o, "?=", 2);
		o += 2;
		p = te + 2;
	}
	*o = '\0';
	if (!raw) {
		free(out);
		return s;
	}
	free(s);
	return out;
}

/* Make the parser options and the converter for fallback charset cs. */
static void
mime_set_charset(const char *cs)
{
	const char *fallbacks[3] = {"UTF-8", NULL, NULL};
	char name[MIME_CHARSET_MAX];

	if (cs == NULL)
		cs = MIME_FALLBACK_CHARSET;
	if (mime_charset != NULL && strcmp(mime_charset, cs) == 0)
		return;
	free(mime_charset);
	mime_charset = xstrdup(cs);
	if (mime_cd != (iconv_t)-1)
		iconv_close(mime_cd);
	mime_cd = mime_charset_or(cs, name) != NULL ? iconv_open("UTF-8", name)
	                                            : (iconv_t)-1;

	/* GMime falls back to these for encoded words in unknown charsets. */
	if (mime_options != NULL)
		g_mime_parser_options_free(mime_options);
	mime_options = g_mime_parser_options_new();
	fallbacks[1] = mime_cd != (iconv_t)-1 ? cs : "ISO-8859-1";
	g_mime_parser_options_set_fallback_charsets(mime_options, fallbacks);
}

/*
 * Find the first of each wanted field in the block buf: a line starting with
 * a name and a colon, with the lines after it that start with white space.
 * The block ends at an empty line; lines that are not fields are skipped.
 */
static void
mime_split(const char *buf, size_t len, struct mime_span *span)
{
	const char *p = buf, *end = buf + len, *eol, *colon, *n;
	struct mime_span *cur = NULL;
	size_t nlen;
	int i;

	memset(span, 0, MIME_F_COUNT * sizeof *span);
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* a UTF-8 byte-order mark */
	for (; p < end; p = eol < end ? eol + 1 : end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (eol == p || (eol == p + 1 && *p == '\r'))
			break; /* the empty line that ends the header */
		if (*p == ' ' || *p == '\t') {
			if (cur != NULL)
				cur->end = eol;
			continue;
		}
		cur = NULL;
		if ((colon = memchr(p, ':', (size_t)(eol - p))) == NULL)
			continue;
		for (n = colon; n > p && (n[-1] == ' ' || n[-1] == '\t'); n--)
			;
		nlen = (size_t)(n - p);
		for (i = 0; i < MIME_F_COUNT; i++) {
			if (nlen == mime_fields[i].len &&
			    strncasecmp(p, mime_fields[i].name, nlen) == 0)
				break;
		}
		if (i == MIME_F_COUNT || span[i].start != NULL)
			continue;
		cur = &span[i];
		cur->start = colon + 1;
		cur->end = eol;
	}
}

/*
 * The value between start and end unfolded (CR, LF and NUL bytes dropped),
 * without the white space around it, at most MIME_FIELD_MAX bytes; NULL when
 * start is (the field is missing). The result is the caller's.
 */
static char *
mime_unfold(const char *start, const char *end)
{
	char *out, *o;

	if (start == NULL)
		return NULL;
	while (start < end &&
	    (*start == ' ' || *start == '\t' || *start == '\r' ||
	        *start == '\n'))
		start++;
	if ((size_t)(end - start) > MIME_FIELD_MAX)
		end = start + MIME_FIELD_MAX;
	o = out = xmalloc((size_t)(end - start) + 1);
	for (; start < end; start++) {
		if (*start != '\r' && *start != '\n' && *start != '\0')
			*o++ = *start;
	}
	while (o > out && (o[-1] == ' ' || o[-1] == '\t'))
		o--;
	*o = '\0';
	return out;
}

/*
 * s (which this takes) as UTF-8: as it is when it is valid UTF-8, otherwise
 * read in the charset hint (the Content-Type charset: a sender that puts raw
 * 8-bit bytes in a header mostly writes the body in the same charset) when
 * it converts without an error, and in the fallback charset when not.
 */
static char *
mime_to_utf8(char *s, const char *hint)
{
	const unsigned char *p;
	char *out;

	for (p = (const unsigned char *)s; *p != '\0' && *p < 0x80; p++)
		;
	if (*p == '\0' || text_utf8_valid((const char *)p, strlen((char *)p)))
		return s;
	/* UTF-8 with a bad byte: only that byte is lost, not the rest. */
	if (text_utf8_likely((const char *)p, strlen((char *)p))) {
		out = text_utf8_repair(s, strlen(s));
		free(s);
		return out;
	}
	if (hint == NULL ||
	    (out = mime_convert_hint(s, strlen(s), hint)) == NULL)
		out = mime_convert(s, strlen(s));
	free(s);
	return out;
}

/* len bytes of s from charset cs into UTF-8, or NULL when iconv does not know
 * cs or a byte does not convert. */
static char *
mime_convert_hint(const char *s, size_t len, const char *cs)
{
	iconv_t cd;
	char *in = (char *)s, *out, *o;
	size_t size = len * 4 + 16, inleft = len, outleft = size - 1;

	if ((cd = mime_iconv(cs)) == (iconv_t)-1)
		return NULL;
	o = out = xmalloc(size);
	if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1 ||
	    iconv(cd, NULL, NULL, &o, &outleft) == (size_t)-1) {
		iconv(cd, NULL, NULL, NULL, NULL);
		free(out);
		return NULL;
	}
	*o = '\0';
	return out;
}

/* A converter from cs to UTF-8 in its initial state, from the cache; -1
 * when iconv does not know cs. Owned by the cache. */
static iconv_t
mime_iconv(const char *cs)
{
	char name[MIME_CHARSET_MAX];
	iconv_t cd;
	size_t i;

	for (i = 0; i < mime_niconv; i++) {
		if (strcasecmp(mime_iconv_cache[i].charset, cs) == 0) {
			cd = mime_iconv_cache[i].cd;
			if (cd != (iconv_t)-1)
				iconv(cd, NULL, NULL, NULL, NULL);
			return cd;
		}
	}
	/* Full: the last slot takes turns (a bound, whatever mail says). */
	if (mime_niconv == MIME_ICONV_MAX) {
		mime_niconv--;
		free(mime_iconv_cache[mime_niconv].charset);
		if (mime_iconv_cache[mime_niconv].cd != (iconv_t)-1)
			iconv_close(mime_iconv_cache[mime_niconv].cd);
	}
	cd = mime_charset_or(cs, name) != NULL ? iconv_open("UTF-8", name)
	                                       : (iconv_t)-1;
	mime_iconv_cache[mime_niconv].charset = xstrdup(cs);
	mime_iconv_cache[mime_niconv].cd = cd;
	mime_niconv++;
	return cd;
}

/* Keep the charsets of the encoded words in s loaded (see mime_iconv). */
static void
mime_pin_words(const char *s)
{
	char cs[64];
	const char *p, *q;
	size_t n;

	for (p = strstr(s, "=?"); p != NULL; p = strstr(q, "=?")) {
		p += 2;
		for (q = p; *q != '\0' && *q != '?' && *q != '*'; q++)
			;
		n = (size_t)(q - p);
		if (*q == '\0')
			break;
		if (n == 0 || n >= sizeof cs)
			continue;
		memcpy(cs, p, n);
		cs[n] = '\0';
		if (strcasecmp(cs, "UTF-8") != 0 &&
		    strcasecmp(cs, "US-ASCII") != 0)
			(void)mime_iconv(cs);
	}
}

/*
 * Whether charset cs says nothing about raw header bytes: ASCII and UTF-8
 * (the bytes are not UTF-8, or they would not need a hint), and ISO-8859-1,
 * which mostly means windows-1252 (as WHATWG reads it) and would turn its
 * quotes into C1 controls.
 */
static int
mime_weak_hint(const char *cs)
{
	static const char *weak[] = {"", "us-ascii", "ascii", "utf-8", "utf8",
	    "iso-8859-1", "iso_8859-1", "latin1", "l1"};
	size_t i;

	for (i = 0; i < sizeof weak / sizeof weak[0]; i++) {
		if (strcasecmp(cs, weak[i]) == 0)
			return 1;
	}
	return 0;
}

/* The charset parameter of Content-Type s when it names one that raw 8-bit
 * header bytes may be in (not ASCII or UTF-8), or NULL. The caller's. */
static char *
mime_charset_hint(const char *s)
{
	GMimeContentType *ct;
	struct mime_ctype fast;
	const char *cs;
	char *hint = NULL;

	if (s == NULL || strcasestr(s, "charset") == NULL)
		return NULL;
	if (mime_fast && mime_ctype_fast(s, "charset", &fast) == 0) {
		mime_fast_hits++;
		if (fast.val == NULL || fast.vlen >= 64)
			return NULL;
		hint = xstrndup(fast.val, fast.vlen);
		if (mime_weak_hint(hint)) {
			free(hint);
			hint = NULL;
		}
		return hint;
	}
	if ((ct = g_mime_content_type_parse(mime_options, s)) == NULL)
		return NULL;
	cs = g_mime_content_type_get_parameter(ct, "charset");
	if (cs != NULL && strlen(cs) < 64 && !mime_weak_hint(cs))
		hint = xstrdup(cs);
	g_object_unref(ct);
	return hint;
}

/*
 * Decode len base64 characters of s into out (room for len * 3 / 4 + 3
 * bytes): leniently, as the bytes of a broken encoded word are still worth
 * showing. Characters outside the alphabet are skipped, missing padding is
 * no error, and the bits of a last, short quantum still make their bytes.
 */
static size_t
mime_base64(const char *s, size_t len, unsigned char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                               "abcdefghijklmnopqrstuvwxyz0123456789+/";
	static signed char value[256];
	static int ready;
	uint32_t bits = 0;
	size_t i, n = 0;
	int nbits = 0;

	if (!ready) {
		memset(value, -1, sizeof value);
		for (i = 0; i < 64; i++)
			value[(unsigned char)alphabet[i]] = (signed char)i;
		ready = 1;
	}
	for (i = 0; i < len; i++) {
		if (value[(unsigned char)s[i]] < 0)
			continue;
		bits = (bits << 6) | (uint32_t)value[(unsigned char)s[i]];
		if ((nbits += 6) >= 8) {
			nbits -= 8;
			out[n++] = (unsigned char)(bits >> nbits);
			bits &= (1U << nbits) - 1;
		}
	}
	return n;
}

/*
 * s (which this takes) with each B encoded word rewritten as the Q encoded
 * word of the same bytes. GMime 3.2.13 joins adjacent B words into one
 * base64 stream and loses everything after the first word's padding
 * (jstedfast/gmime#133), and nearly every encoder pads each word; its Q
 * words join correctly, a character split across two words included.
 */
static char *
mime_b_to_q(char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *p, *cs, *q, *text, *e;
	unsigned char *bytes;
	char *out, *o;
	size_t n, i, size;

	if (strstr(s, "?b?") == NULL && strstr(s, "?B?") == NULL)
		return s;
	size = strlen(s) * 3 + 1; /* a B word's bytes take 12/4 chars as Q */
	o = out = xmalloc(size);
	bytes = xmalloc(strlen(s) + 3);
	for (p = s; *p != '\0';) {
		if (p[0] != '=' || p[1] != '?') {
			*o++ = *p++;
			continue;
		}
		cs = p + 2;
		q = cs + strcspn(cs, "? \t");
		if (q == cs || q[0] != '?' || (q[1] != 'b' && q[1] != 'B') ||
		    q[2] != '?') {
			*o++ = *p++;
			continue;
		}
		text = q + 3;
		if ((e = strstr(text, "?=")) == NULL ||
		    (size_t)(e - text) != strcspn(text, "? \t")) {
			*o++ = *p++;
			continue;
		}
		n = mime_base64(text, (size_t)(e - text), bytes);
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, "?Q?", 3);
		o += 3;
		for (i = 0; i < n; i++) {
			*o++ = '=';
			*o++ = hex[bytes[i] >> 4];
			*o++ = hex[bytes[i] & 0xf];
		}
		memcpy(o, "?=", 2);
		o += 2;
		p = e + 2;
	}
	*o = '\0';
	free(bytes);
	free(s);
	return out;
}

/*
 * len bytes of s from the fallback charset into UTF-8, each byte that does
 * not convert as U+FFFD; ISO-8859-1 when iconv does not know the charset.
 */
static char *
mime_convert(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	char *in = (char *)s, *out, *o;
	size_t size = len * 4 + 16, inleft = len, outleft, i, done;

	out = xmalloc(size);
	if (mime_cd == (iconv_t)-1) {
		for (o = out, i = 0; i < len; i++) {
			if (u[i] < 0x80)
				*o++ = (char)u[i];
			else {
				*o++ = (char)(0xc0 | (u[i] >> 6));
				*o++ = (char)(0x80 | (u[i] & 0x3f));
			}
		}
		*o = '\0';
		return out;
	}
	iconv(mime_cd, NULL, NULL, NULL, NULL);
	o = out;
	outleft = size - 1;
	while (inleft > 0) {
		if (iconv(mime_cd, &in, &inleft, &o, &outleft) != (size_t)-1)
			break;
		if (errno == E2BIG || outleft < 8) {
			done = (size_t)(o - out);
			out = xreallocarray(out, 2, size);
			size *= 2;
			o = out + done;
			outleft = size - done - 1;
			continue;
		}
		/* EILSEQ or EINVAL: a byte that does not convert. */
		memcpy(o, TEXT_REPLACEMENT, 3);
		o += 3;
		outleft -= 3;
		in++;
		inleft--;
		iconv(mime_cd, NULL, NULL, NULL, NULL);
	}
	iconv(mime_cd, NULL, NULL, &o, &outleft);
	*o = '\0';
	return out;
}

/*
 * Convert the n bytes of an encoded word run in charset cs, appending to
 * *o; 0, or -1 when cs is unknown or a byte does not convert (GMime, with
 * its fallbacks, then has the whole value).
 */
static int
mime_flush_word(const char *cs, const unsigned char *b, size_t n, char **o)
{
	iconv_t cd;
	char *in = (char *)b;
	size_t inleft = n, outleft = n * 4 + 8;

	if (n == 0)
		return 0;
	if (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "US-ASCII") == 0 ||
	    mime_utf8_instead(cs, b, n)) {
		if (!text_utf8_valid(in, n) || memchr(in, '\0', n) != NULL)
			return -1;
		memcpy(*o, in, n);
		*o += n;
		return 0;
	}
	if ((cd = mime_iconv(cs)) == (iconv_t)-1)
		return -1;
	if (iconv(cd, &in, &inleft, o, &outleft) == (size_t)-1 ||
	    iconv(cd, NULL, NULL, o, &outleft) == (size_t)-1)
		return -1;
	return 0;
}

/*
 * The common shape of a value with encoded words, decoded without GMime
 * (its decoder was a sixth of a cold sync): whole words between white
 * space, B or Q, in a charset iconv knows, adjacent words of one charset
 * joined before conversion (a character may be split across them), the
 * white space between two words dropped (RFC 2047 6.2). NULL for anything
 * else: words inside other text, unknown charsets, bytes that do not
 * convert. The result is the caller's, not yet made terminal-safe.
 */
static char *
mime_words_fast(const char *s)
{
	char cs[64], pend_cs[64] = "";
	const char *p = s, *gap = NULL, *c, *e, *t, *te;
	unsigned char *bytes;
	char *out, *o;
	size_t n, len = strlen(s), npend = 0;
	int last_word = 0, hi, lo;

	o = out = xmalloc(len * 4 + 16);
	bytes = xmalloc(len + 3);
	while (*p != '\0') {
		if (*p == ' ' || *p == '\t') {
			if (gap == NULL)
				gap = p;
			p++;
			continue;
		}
		if (p[0] == '=' && p[1] == '?' &&
		    (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			c = p + 2;
			e = c + strcspn(c, "?* \t");
			n = (size_t)(e - c);
			if (*e == '*')
				e += strcspn(e, "? \t");
			if (n == 0 || n >= sizeof cs || e[0] != '?' ||
			    strchr("BbQq", e[1]) == NULL || e[1] == '\0' ||
			    e[2] != '?')
				goto literal;
			t = e + 3;
			te = t + strcspn(t, "? \t");
			if (te[0] != '?' || te[1] != '=' ||
			    (te[2] != '\0' && te[2] != ' ' && te[2] != '\t'))
				goto literal;
			memcpy(cs, c, n);
			cs[n] = '\0';
			if (!last_word || strcasecmp(cs, pend_cs) != 0) {
				if (mime_flush_word(
				        pend_cs, bytes, npend, &o) != 0)
					goto slow;
				npend = 0;
				if (gap != NULL && !last_word) {
					memcpy(o, gap, (size_t)(p - gap));
					o += p - gap;
				}
				memcpy(pend_cs, cs, n + 1);
			}
			gap = NULL;
			if (e[1] == 'B' || e[1] == 'b')
				npend += mime_base64(
				    t, (size_t)(te - t), bytes + npend);
			else {
				for (; t < te; t++) {
					if (*t == '_')
						bytes[npend++] = ' ';
					else if (*t == '=' && t + 2 < te &&
					    (hi = g_ascii_xdigit_value(t[1])) >=
					        0 &&
					    (lo = g_ascii_xdigit_value(t[2])) >=
					        0) {
						bytes[npend++] =
						    (unsigned char)(hi * 16 +
						        lo);
						t += 2;
					} else
						bytes[npend++] =
						    (unsigned char)*t;
				}
			}
			last_word = 1;
			p = te + 2;
			continue;
		}
	literal:
		if (mime_flush_word(pend_cs, bytes, npend, &o) != 0)
			goto slow;
		npend = 0;
		if (gap != NULL) {
			memcpy(o, gap, (size_t)(p - gap));
			o += p - gap;
			gap = NULL;
		}
		if (p[0] == '=' && p[1] == '?' && p != s && p[-1] != ' ' &&
		    p[-1] != '\t')
			goto slow; /* a word inside text: GMime's call */
		*o++ = *p++;
		last_word = 0;
	}
	if (mime_flush_word(pend_cs, bytes, npend, &o) != 0)
		goto slow;
	if (gap != NULL) {
		memcpy(o, gap, (size_t)(p - gap));
		o += p - gap;
	}
	*o = '\0';
	free(bytes);
	return out;
slow:
	free(bytes);
	free(out);
	return NULL;
}

/* The UTF-8 value s with its encoded words decoded, made terminal-safe. */
static char *
mime_words(const char *s)
{
	char *d, *out, *q;

	if (strstr(s, "=?") == NULL)
		return text_clean_line(s);
	if ((d = mime_words_fast(s)) != NULL) {
		out = text_clean_line(d);
		free(d);
		return out;
	}
	mime_pin_words(s);
	q = mime_b_to_q(xstrdup(s));
	d = g_mime_utils_header_decode_text(mime_options, q);
	free(q);
	if (d == NULL)
		return text_clean_line(s);
	out = text_clean_line(d);
	g_free(d);
	return out;
}

/* Set h's from_name and from_addr to the first mailbox in list, also one
 * inside a group. */
static void
mime_first_mailbox(InternetAddressList *list, struct mime_headers *h)
{
	InternetAddress *ia;
	int i, n;

	n = internet_address_list_length(list);
	for (i = 0; i < n && h->from_addr == NULL; i++) {
		ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			mime_first_mailbox(internet_address_group_get_members(
			                       INTERNET_ADDRESS_GROUP(ia)),
			    h);
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		h->from_name = text_clean_line(internet_address_get_name(ia));
		h->from_addr =
		    text_clean_line(internet_address_mailbox_get_addr(
		        INTERNET_ADDRESS_MAILBOX(ia)));
	}
}

/* From without a mailbox: "Name <>" (a bounce) is a name and no address;
 * anything else is shown as the name, so that there is something to see. */
static void
mime_null_sender(char *s, struct mime_headers *h)
{
	size_t len = strlen(s);

	free(h->from_name);
	if (len >= 2 && strcmp(s + len - 2, "<>") == 0) {
		for (len -= 2;
		     len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t');
		     len--)
			;
		s[len] = '\0';
		if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
			s[len - 1] = '\0';
			s++;
		}
	}
	h->from_name = mime_words(s);
	h->from_addr = xstrdup("");
}

/*
 * Whether s is an address field simple enough to read without GMime: printable
 * ASCII with no quoted string, comment, encoded word, group or route, which
 * is most From, To and Cc fields. GMime would give the same, but for keeping
 * runs of white space in a name.
 */
static int
mime_simple(const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '(' ||
		    *p == ')' || *p == '\\' || *p == ':' || *p == ';' ||
		    *p == '[' || (p[0] == '=' && p[1] == '?'))
			return 0;
	}
	return 1;
}

/* Whether s is one plain local@domain: one @, text on both sides, no space. */
static int
mime_addr_spec(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && at[1] != '\0' &&
	    strchr(at + 1, '@') == NULL && strpbrk(s, " \t<>,") == NULL;
}

/* A copy of start to end, trimmed, each run of white space one space. */
static char *
mime_squeeze(const char *start, const char *end)
{
	char *out, *o;

	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	o = out = xmalloc((size_t)(end - start) + 1);
	for (; start < end; start++) {
		if (*start == ' ' || *start == '\t') {
			if (o > out && o[-1] != ' ')
				*o++ = ' ';
		} else
			*o++ = *start;
	}
	*o = '\0';
	return out;
}

/* Set h's From fields from a simple (mime_simple()) s holding one mailbox,
 * addr or Name <addr>; 0 when s is not that. */
static int
mime_simple_from(const char *s, struct mime_headers *h)
{
	const char *lt, *gt;
	char *addr;

	if (!mime_simple(s) || strchr(s, ',') != NULL)
		return 0;
	lt = strchr(s, '<');
	gt = strchr(s, '>');
	if (lt == NULL && gt == NULL) {
		if (!mime_addr_spec(s))
			return 0;
		h->from_name = xstrdup("");
		h->from_addr = xstrdup(s);
		return 1;
	}
	if (lt == NULL || gt == NULL || gt < lt || gt[1] != '\0' ||
	    strchr(lt + 1, '<') != NULL)
		return 0;
	addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	if (!mime_addr_spec(addr)) {
		free(addr);
		return 0;
	}
	h->from_name = mime_squeeze(s, lt);
	h->from_addr = addr;
	return 1;
}

/*
 * The common mailbox forms without GMime's address parser (which also runs
 * every domain through IDNA, a third of a cold sync's time): start to end
 * holding addr, or Name <addr>, or "Name" <addr>, the name maybe in encoded
 * words, the address plain ASCII and not IDNA-encoded. Sets the decoded
 * *name ("" if none) and *addr, the caller's; 0 when it is not that form.
 */
static int
mime_mailbox(const char *start, const char *end, char **name, char **addr)
{
	const char *lt, *p, *ns, *ne;
	char *raw;

	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (start == end)
		return 0;
	if (end[-1] != '>') {
		lt = start - 1;
	} else {
		for (lt = end - 2; lt >= start && *lt != '<'; lt--)
			;
		if (lt < start)
			return 0;
	}
	for (p = lt + 1; p < end - (end[-1] == '>'); p++) {
		if (*p <= 0x20 || *p > 0x7e || MIME_IS(*p, MIME_C_SPECIAL))
			return 0;
	}
	*addr = xstrndup(lt + 1, (size_t)(end - (end[-1] == '>') - lt - 1));
	if (!mime_addr_spec(*addr) || strstr(*addr, "xn--") != NULL) {
		free(*addr);
		*addr = NULL;
		return 0;
	}
	ns = start;
	ne = lt > start ? lt : start;
	while (ne > ns && (ne[-1] == ' ' || ne[-1] == '\t'))
		ne--;
	if (ne - ns >= 2 && *ns == '"' && ne[-1] == '"') {
		ns++;
		ne--;
	}
	for (p = ns; p < ne; p++) {
		if ((unsigned char)*p < 0x20 || MIME_IS(*p, MIME_C_SPECIAL) ||
		    (*p == '=' && p + 1 < ne && p[1] == '?' && *start == '"')) {
			free(*addr);
			*addr = NULL;
			return 0;
		}
	}
	raw = mime_squeeze(ns, ne);
	*name = mime_words(raw);
	free(raw);
	return 1;
}

/* GMime's parse of the address list s, its B words read as Q first. */
static InternetAddressList *
mime_parse_addresses(const char *s)
{
	InternetAddressList *list;
	char *q = mime_b_to_q(xstrdup(s));

	list = internet_address_list_parse(mime_options, q);
	free(q);
	return list;
}

/* Append ", " (unless o is out), then "name <addr>", or addr when name is
 * "", at o in out of size bytes; the new end, NUL-terminated, or NULL when
 * that would not fit. */
static char *
mime_append_mailbox(
    char *out, char *o, size_t size, const char *name, const char *addr)
{
	size_t nlen = strlen(name), alen = strlen(addr);

	if ((size_t)(o - out) + nlen + alen + 6 > size)
		return NULL;
	if (o != out) {
		memcpy(o, ", ", 2);
		o += 2;
	}
	if (nlen > 0) {
		memcpy(o, name, nlen);
		o += nlen;
		memcpy(o, " <", 2);
		o += 2;
	}
	memcpy(o, addr, alen);
	o += alen;
	if (nlen > 0)
		*o++ = '>';
	*o = '\0';
	return o;
}

/* The address list s for reading: names decoded, no encoded words. */
static char *
mime_address_list(const char *s)
{
	InternetAddressList *list;
	const char *p, *comma;
	char *out, *o, *item, *name, *addr;
	GString *str;
	size_t n, size;

	if (strchr(s, '"') == NULL) {
		/* Mailboxes split at commas: "Name <addr>" or "addr". */
		size = strlen(s) * 4 + 16;
		o = out = xmalloc(size);
		for (p = s; *p != '\0';
		     p = *comma == '\0' ? comma : comma + 1) {
			comma = p + strcspn(p, ",");
			if (strspn(p, " \t") >= (size_t)(comma - p))
				continue;
			if (!mime_mailbox(p, comma, &name, &addr)) {
				free(out);
				goto fallback;
			}
			o = mime_append_mailbox(out, o, size, name, addr);
			free(name);
			free(addr);
			if (o == NULL) {
				free(out);
				goto fallback;
			}
		}
		*o = '\0';
		return out;
	}
fallback:
	if (mime_simple(s) && strpbrk(s, "<>") == NULL) {
		/* Bare addresses: one ", " between, empty ones dropped. */
		o = out = xmalloc(strlen(s) * 2 + 1);
		for (p = s; *p != '\0';
		     p = *comma == '\0' ? comma : comma + 1) {
			comma = p + strcspn(p, ",");
			item = mime_squeeze(p, comma);
			if ((n = strlen(item)) > 0 && !mime_addr_spec(item)) {
				free(item);
				free(out);
				goto slow;
			}
			if (n > 0) {
				if (o != out) {
					memcpy(o, ", ", 2);
					o += 2;
				}
				memcpy(o, item, n);
				o += n;
			}
			free(item);
		}
		*o = '\0';
		return out;
	}
slow:
	if ((list = mime_parse_addresses(s)) == NULL)
		return mime_words(s);
	str = g_string_new(NULL);
	mime_list_text(list, str, 0);
	g_object_unref(list);
	out = text_clean_line(str->str);
	g_string_free(str, TRUE);
	return out;
}

/*
 * Append list to str as a reader reads it: "Name <addr>" or "addr", a name
 * quoted when it holds specials, a group as "Name: members;". Not GMime's
 * internet_address_list_to_string(), which writes an international domain
 * in punycode (xn--...) even when not encoding.
 */
static void
mime_list_text(InternetAddressList *list, GString *str, int depth)
{
	InternetAddress *ia;
	const char *name, *p;
	int i, n = internet_address_list_length(list);

	for (i = 0; i < n; i++) {
		ia = internet_address_list_get_address(list, i);
		if (i > 0)
			g_string_append(str, ", ");
		name = internet_address_get_name(ia);
		if (name != NULL && *name != '\0') {
			if (strpbrk(name, "()<>[]:;@\\,.\"") == NULL)
				g_string_append(str, name);
			else {
				g_string_append_c(str, '"');
				for (p = name; *p != '\0'; p++) {
					if (*p == '"' || *p == '\\')
						g_string_append_c(str, '\\');
					g_string_append_c(str, *p);
				}
				g_string_append_c(str, '"');
			}
		}
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			g_string_append(str, ": ");
			if (depth < 4)
				mime_list_text(
				    internet_address_group_get_members(
				        INTERNET_ADDRESS_GROUP(ia)),
				    str, depth + 1);
			g_string_append_c(str, ';');
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			if (name != NULL && *name != '\0')
				g_string_append(str, " <");
			g_string_append(str,
			    internet_address_mailbox_get_addr(
			        INTERNET_ADDRESS_MAILBOX(ia)));
			if (name != NULL && *name != '\0')
				g_string_append_c(str, '>');
		}
	}
}

/* The msg-id in s without its brackets, terminal-safe; "" when none. */
static char *
mime_msgid(const char *s)
{
	char *d, *out;

	/* <local@domain>, the first msg-id of a list (see below) */
	if (mime_fast && (d = mime_references_fast(s, 1)) != NULL) {
		if (*d != '\0') {
			mime_fast_hits++;
			return d; /* printable ASCII already */
		}
		free(d);
	}
	if ((d = g_mime_utils_decode_message_id(s)) == NULL)
		return xstrdup("");
	out = text_clean_line(d);
	g_free(d);
	return out;
}

/* Whether c is white space inside an unfolded value. */
#define MIME_WS(c) ((c) == ' ' || (c) == '\t')

#define MIME_ATEXT(c) MIME_IS(c, MIME_C_ATEXT)
#define MIME_TOKEN(c) MIME_IS(c, MIME_C_TOKEN)

/*
 * The common shape of References and In-Reply-To without GMime: msg-ids
 * <local@domain>, both sides dot-atoms, with white space between them and
 * nothing else (no comments, quotes, domain literals, phrases or 8-bit
 * bytes). The ids without brackets, space-separated (only the first one if
 * first), as GMime gives them; NULL for any other shape. The result, the
 * caller's, is printable ASCII.
 */
static char *
mime_references_fast(const char *s, int first)
{
	const char *p = s, *id, *at;
	char *out, *o;

	o = out = xmalloc(strlen(s) + 1);
	for (;;) {
		while (MIME_WS(*p))
			p++;
		if (*p == '\0')
			break;
		if (*p != '<')
			goto slow;
		id = ++p;
		at = NULL;
		for (; *p != '>'; p++) {
			if (*p == '@') {
				if (at != NULL || p == id || p[-1] == '.')
					goto slow;
				at = p;
			} else if (*p == '.') {
				if (p == id || p[-1] == '.' || p[-1] == '@')
					goto slow;
			} else if (!MIME_ATEXT(*p))
				goto slow; /* the NUL of an unclosed id too */
		}
		if (at == NULL || p == at + 1 || p[-1] == '.')
			goto slow;
		if (o != out)
			*o++ = ' ';
		memcpy(o, id, (size_t)(p - id));
		o += p - id;
		p++;
		if (first)
			break;
	}
	*o = '\0';
	return out;
slow:
	free(out);
	return NULL;
}

/* The msg-ids in s, space-separated, or only the first one. */
static char *
mime_references(const char *s, int first)
{
	GMimeReferences *refs;
	const char *id;
	char *out, *o;
	size_t size;
	int i, n;

	if (mime_fast && (out = mime_references_fast(s, first)) != NULL) {
		mime_fast_hits++;
		return out; /* printable ASCII already */
	}
	if ((refs = g_mime_references_parse(mime_options, s)) == NULL)
		return xstrdup("");
	n = g_mime_references_length(refs);
	if (first && n > 1)
		n = 1;
	size = 1;
	for (i = 0; i < n; i++)
		size += strlen(g_mime_references_get_message_id(refs, i)) + 1;
	o = out = xmalloc(size);
	for (i = 0; i < n; i++) {
		id = g_mime_references_get_message_id(refs, i);
		if (o != out)
			*o++ = ' ';
		memcpy(o, id, strlen(id));
		o += strlen(id);
	}
	*o = '\0';
	g_mime_references_free(refs);
	o = text_clean_line(out);
	free(out);
	return o;
}

/*
 * The common shape of a Content-Type without GMime: type/subtype, then
 * "; name=value" parameters with white space around the ; and =, each value
 * a token or a quoted string without backslashes; all printable ASCII, no
 * comments, no RFC 2231 (name*=) or RFC 2047 (=?) in them, and the
 * parameter want at most once. Sets ct's spans into s (ct->val NULL when
 * there is no parameter want); -1 for any other shape: GMime's call.
 */
static int
mime_ctype_fast(const char *s, const char *want, struct mime_ctype *ct)
{
	const char *p = s, *name, *v;
	size_t wlen = strlen(want), nlen, vlen;

	memset(ct, 0, sizeof *ct);
	while (MIME_WS(*p))
		p++;
	for (ct->type = p; MIME_TOKEN(*p); p++)
		;
	if ((ct->tlen = (size_t)(p - ct->type)) == 0 || *p != '/')
		return -1;
	for (ct->sub = ++p; MIME_TOKEN(*p); p++)
		;
	if ((ct->slen = (size_t)(p - ct->sub)) == 0)
		return -1;
	for (;;) {
		while (MIME_WS(*p))
			p++;
		if (*p == '\0')
			return 0;
		if (*p++ != ';')
			return -1;
		while (MIME_WS(*p))
			p++;
		if (*p == '\0')
			return -1; /* a trailing ; is GMime's call */
		for (name = p; MIME_TOKEN(*p) && *p != '*'; p++)
			;
		if ((nlen = (size_t)(p - name)) == 0)
			return -1;
		while (MIME_WS(*p))
			p++;
		if (*p++ != '=')
			return -1;
		while (MIME_WS(*p))
			p++;
		if (*p == '"') {
			for (v = ++p; *p != '"'; p++) {
				if (*p < 0x20 || *p > 0x7e || *p == '\\' ||
				    (p[0] == '=' && p[1] == '?'))
					return -1; /* the NUL of "... too */
			}
			vlen = (size_t)(p++ - v);
		} else {
			for (v = p; MIME_TOKEN(*p); p++)
				;
			vlen = (size_t)(p - v);
		}
		if (vlen == 0)
			return -1;
		if (nlen == wlen && strncasecmp(name, want, wlen) == 0) {
			if (ct->val != NULL)
				return -1;
			ct->val = v;
			ct->vlen = vlen;
		}
	}
}

/* Whether the Content-Type s hints at an attachment. */
static int
mime_attachment(const char *s)
{
	GMimeContentType *ct;
	struct mime_ctype fast;
	int yes;

	/* The common cases without GMime (and its objects). */
	if (strncasecmp(s, "multipart/", 10) == 0)
		return strncasecmp(s + 10, "mixed", 5) == 0 &&
		    strchr("; \t", s[15]) != NULL;
	if (strncasecmp(s, "text/", 5) == 0 || strcasestr(s, "name") == NULL)
		return 0;
	if (mime_fast && mime_ctype_fast(s, "name", &fast) == 0) {
		mime_fast_hits++;
		if (fast.tlen == 9 &&
		    strncasecmp(fast.type, "multipart", 9) == 0)
			return fast.slen == 5 &&
			    strncasecmp(fast.sub, "mixed", 5) == 0;
		if (fast.tlen == 4 && strncasecmp(fast.type, "text", 4) == 0)
			return 0;
		return fast.val != NULL;
	}
	if ((ct = g_mime_content_type_parse(mime_options, s)) == NULL)
		return 0;
	if (g_mime_content_type_is_type(ct, "multipart", "mixed"))
		yes = 1;
	else if (g_mime_content_type_is_type(ct, "multipart", "*") ||
	    g_mime_content_type_is_type(ct, "text", "*"))
		yes = 0;
	else
		yes = g_mime_content_type_get_parameter(ct, "name") != NULL;
	g_object_unref(ct);
	return yes;
}

/* Which of the n three-letter names in names (case aside) p starts with,
 * or -1. */
static int
mime_name3(const char *p, const char *names, int n)
{
	const char *name;
	int i;

	for (i = 0; i < n; i++) {
		name = names + 3 * i; /* lower case */
		if ((p[0] | 0x20) == name[0] && (p[1] | 0x20) == name[1] &&
		    (p[2] | 0x20) == name[2])
			return i;
	}
	return -1;
}

/* The number of min to max digits at *p, which this moves past them; -1
 * when there are fewer or more. */
static int
mime_digits(const char **p, int min, int max)
{
	const char *s = *p;
	int v = 0, n = 0;

	for (; n < max && s[n] >= '0' && s[n] <= '9'; n++)
		v = v * 10 + (s[n] - '0');
	if (n < min || (s[n] >= '0' && s[n] <= '9'))
		return -1;
	*p = s + n;
	return v;
}

/*
 * The common shape of a Date without GMime (and without mktime() or a time
 * zone database): [Day, ]D Mon YYYY HH:MM[:SS] zone [(comment)], the zone
 * +hhmm or -hhmm or one of RFC 5322's names. Sets *t as GMime would; -1 for
 * anything else (two-digit years, years before 1970, seconds of 60, days
 * the month does not have, odd zones): GMime's call.
 */
static int
mime_date_fast(const char *s, time_t *t)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	static const char wdays[] = "sunmontuewedthufrisat";
	static const unsigned char mdays[] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	static const struct {
		const char *name;
		int minutes;
	} zones[] = {{"UT", 0}, {"GMT", 0}, {"EST", -300}, {"EDT", -240},
	    {"CST", -360}, {"CDT", -300}, {"MST", -420}, {"MDT", -360},
	    {"PST", -480}, {"PDT", -420}};
	const char *p = s, *q;
	int day, mon, year, hh, mm, ss = 0, zone, i, utc = 0;
	long long y, era, yoe, doy, doe;

	while (MIME_WS(*p))
		p++;
	if (mime_name3(p, wdays, 7) >= 0 && p[3] == ',')
		p += 4;
	while (MIME_WS(*p))
		p++;
	if ((day = mime_digits(&p, 1, 2)) < 1 || !MIME_WS(*p))
		return -1;
	while (MIME_WS(*p))
		p++;
	if ((mon = mime_name3(p, months, 12) + 1) < 1 || !MIME_WS(p[3]))
		return -1;
	for (p += 3; MIME_WS(*p); p++)
		;
	if ((year = mime_digits(&p, 4, 4)) < 1970 || !MIME_WS(*p))
		return -1;
	while (MIME_WS(*p))
		p++;
	if ((hh = mime_digits(&p, 2, 2)) < 0 || *p++ != ':' ||
	    (mm = mime_digits(&p, 2, 2)) < 0)
		return -1;
	if (*p == ':') {
		p++;
		if ((ss = mime_digits(&p, 2, 2)) < 0)
			return -1;
	}
	if (hh > 23 || mm > 59 || ss > 59 || !MIME_WS(*p))
		return -1;
	while (MIME_WS(*p))
		p++;
	if (*p == '+' || *p == '-') {
		q = p + 1;
		if ((zone = mime_digits(&q, 4, 4)) < 0 || zone / 100 > 14 ||
		    zone % 100 > 59)
			return -1;
		zone = (zone / 100 * 60 + zone % 100) * (*p == '-' ? -1 : 1);
		p = q;
	} else {
		for (q = p; *q >= 'A' && *q <= 'Z'; q++)
			;
		if (q - p == 3 && strncmp(p, "UTC", 3) == 0) {
			utc =
			    1; /* not in GMime's table: a zone after it counts */
			zone = 0;
		} else {
			for (i = 0; i < (int)(sizeof zones / sizeof zones[0]);
			     i++) {
				if (strlen(zones[i].name) == (size_t)(q - p) &&
				    strncmp(
				        p, zones[i].name, (size_t)(q - p)) == 0)
					break;
			}
			if (i == (int)(sizeof zones / sizeof zones[0]))
				return -1;
			zone = zones[i].minutes;
		}
		p = q;
	}
	if (*p != '\0' && !MIME_WS(*p))
		return -1;
	while (MIME_WS(*p))
		p++;
	if (*p == '(') {
		if (utc)
			return -1;
		for (p++; *p != ')'; p++) {
			if (*p == '\0' || *p == '(' || *p == '\\')
				return -1;
		}
		for (p++; MIME_WS(*p); p++)
			;
	}
	if (*p != '\0' || day > mdays[mon - 1])
		return -1;
	if (mon == 2 && day == 29 &&
	    (year % 4 != 0 || (year % 100 == 0 && year % 400 != 0)))
		return -1;

	/* Days from 1970-01-01 to the date (Howard Hinnant's
	 * days_from_civil), in a year that starts on 1 March. */
	y = year - (mon <= 2);
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*t = (time_t)((era * 146097 + doe - 719468) * 86400 + hh * 3600 +
	    mm * 60 + ss - zone * 60);
	return 0;
}

struct mime_headers *
mime_headers_decode(const char *buf, size_t len, const char *fallback_charset)
{
	struct mime_span span[MIME_F_COUNT];
	struct mime_headers *h;
	char *v[MIME_F_COUNT], *hint = NULL;
	GDateTime *dt;
	InternetAddressList *list;
	int i, hinted = 0;

	mime_init();
	mime_set_charset(fallback_charset);
	h = xcalloc(1, sizeof *h);
	if (buf == NULL)
		len = 0;
	mime_split(buf, len, span);
	for (i = 0; i < MIME_F_COUNT; i++)
		v[i] = mime_unfold(span[i].start, span[i].end);
	for (i = 0; i < MIME_F_COUNT; i++) {
		if (v[i] == NULL)
			continue;
		v[i] = mime_quote_raw_words(v[i]);
		if (text_utf8_valid(v[i], strlen(v[i])))
			continue;
		if (!hinted) {
			hint = mime_charset_hint(v[MIME_F_CONTENT_TYPE]);
			hinted = 1;
		}
		v[i] = mime_to_utf8(v[i], hint);
	}
	free(hint);

	if (v[MIME_F_SUBJECT] != NULL)
		h->subject = mime_words(v[MIME_F_SUBJECT]);
	if (v[MIME_F_FROM] != NULL && !mime_simple_from(v[MIME_F_FROM], h) &&
	    (strchr(v[MIME_F_FROM], ',') != NULL ||
	        !mime_mailbox(v[MIME_F_FROM],
	            v[MIME_F_FROM] + strlen(v[MIME_F_FROM]), &h->from_name,
	            &h->from_addr))) {
		list = mime_parse_addresses(v[MIME_F_FROM]);
		if (list != NULL) {
			mime_first_mailbox(list, h);
			g_object_unref(list);
		}
		if (h->from_addr == NULL)
			mime_null_sender(v[MIME_F_FROM], h);
	}
	if (v[MIME_F_TO] != NULL)
		h->to = mime_address_list(v[MIME_F_TO]);
	if (v[MIME_F_CC] != NULL)
		h->cc = mime_address_list(v[MIME_F_CC]);
	if (v[MIME_F_DATE] != NULL && mime_fast &&
	    mime_date_fast(v[MIME_F_DATE], &h->date) == 0)
		mime_fast_hits++;
	else if (v[MIME_F_DATE] != NULL &&
	    (dt = g_mime_utils_header_decode_date(v[MIME_F_DATE])) != NULL) {
		h->date = (time_t)g_date_time_to_unix(dt);
		g_date_time_unref(dt);
	}
	if (v[MIME_F_MESSAGE_ID] != NULL)
		h->message_id = mime_msgid(v[MIME_F_MESSAGE_ID]);
	if (v[MIME_F_IN_REPLY_TO] != NULL)
		h->in_reply_to = mime_references(v[MIME_F_IN_REPLY_TO], 1);
	if (v[MIME_F_REFERENCES] != NULL)
		h->references = mime_references(v[MIME_F_REFERENCES], 0);
	if (v[MIME_F_CONTENT_TYPE] != NULL)
		h->has_attachment = mime_attachment(v[MIME_F_CONTENT_TYPE]);
	for (i = 0; i < MIME_F_COUNT; i++)
		free(v[i]);

	if (h->subject == NULL)
		h->subject = xstrdup("");
	if (h->from_name == NULL)
		h->from_name = xstrdup("");
	if (h->from_addr == NULL)
		h->from_addr = xstrdup("");
	if (h->to == NULL)
		h->to = xstrdup("");
	if (h->cc == NULL)
		h->cc = xstrdup("");
	if (h->message_id == NULL)
		h->message_id = xstrdup("");
	if (h->in_reply_to == NULL)
		h->in_reply_to = xstrdup("");
	if (h->references == NULL)
		h->references = xstrdup("");
	return h;
}

void
mime_headers_free(struct mime_headers *h)
{
	if (h == NULL)
		return;
	free(h->subject);
	free(h->from_name);
	free(h->from_addr);
	free(h->to);
	free(h->cc);
	free(h->message_id);
	free(h->in_reply_to);
	free(h->references);
	free(h);
}

/* Decode one field value of len bytes with decode (mime_words or
 * mime_address_list), after unfolding it and making it UTF-8 as
 * mime_headers_decode() does, with the charset hint of the Content-Type
 * value ct (NULL: none); "" for a NULL s. */
static char *
mime_decode_value(const char *s, size_t len, const char *fallback_charset,
    const char *ct, char *(*decode)(const char *))
{
	char *v, *out, *hint = NULL, *uct;

	if (s == NULL)
		return xstrdup("");
	mime_init();
	mime_set_charset(fallback_charset);
	v = mime_quote_raw_words(mime_unfold(s, s + len));
	if (ct != NULL && !text_utf8_valid(v, strlen(v))) {
		uct = mime_unfold(ct, ct + strlen(ct));
		hint = mime_charset_hint(uct);
		free(uct);
	}
	v = mime_to_utf8(v, hint);
	free(hint);
	out = decode(v);
	free(v);
	return out;
}

char *
mime_decode_field(const char *name, const char *value, size_t len,
    const char *content_type, const char *fallback_charset)
{
	static const char *addr[] = {"from", "to", "cc", "bcc", "reply-to",
	    "sender", "resent-from", "resent-to", "resent-cc", "resent-bcc",
	    "resent-sender", "mail-followup-to", "mail-reply-to",
	    "return-receipt-to", "disposition-notification-to"};
	char *out;
	size_t i;

	for (i = 0; name != NULL && i < sizeof addr / sizeof addr[0]; i++) {
		if (strcasecmp(name, addr[i]) != 0)
			continue;
		out = mime_decode_value(value, len, fallback_charset,
		    content_type, mime_address_list);
		if (*out != '\0')
			return out;
		free(out); /* no address: show the text */
		break;
	}
	return mime_decode_value(
	    value, len, fallback_charset, content_type, mime_words);
}

char *
mime_decode_addresses(const char *s, size_t len, const char *fallback_charset)
{
	return mime_decode_value(
	    s, len, fallback_charset, NULL, mime_address_list);
}

char *
mime_decode_words(const char *s, size_t len, const char *fallback_charset)
{
	return mime_decode_value(s, len, fallback_charset, NULL, mime_words);
}
