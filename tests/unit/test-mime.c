/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/content/mime.c: RFC 2047 words (neomutt's rfc2047 tests are the
 * model), raw 8-bit bytes, addresses, dates and msg-ids of a header block. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/mime.h"
#include "content/text.h"
#include "xmalloc.h"

/* Subject values: encoded, broken, raw; decoded with the default fallback. */
static const struct {
	const char *in;
	const char *out;
} words[] = {
    {"", ""},
    {"plain text", "plain text"},
    {"=?utf-8?q?caf=C3=A9?=", "caf\xc3\xa9"},
    {"=?UTF-8?Q?caf=C3=A9_au_lait?=", "caf\xc3\xa9 au lait"},
    {"=?utf-8?b?Y2Fmw6k=?=", "caf\xc3\xa9"},
    {"=?iso-8859-1?q?caf=E9?=", "caf\xc3\xa9"},
    /* adjacent words join without the space between them */
    {"=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},
    {"=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab"},
    {"=?utf-8?q?a?= b =?utf-8?q?c?=", "a b c"},
    /* padded B words side by side (jstedfast/gmime#133) */
    {"=?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=", "Hello world"},
    {"=?UTF-8?B?YQ==?= =?UTF-8?B?YQ==?= =?UTF-8?B?YQ==?=", "aaa"},
    /* a character split across two words */
    {"=?utf-8?q?=C3?= =?utf-8?q?=A9?=", "\xc3\xa9"},
    {"=?utf-8?b?b2LD?=\n =?utf-8?b?pHI=?=", "ob\xc3\xa4r"},
    /* mixed charsets */
    {"=?iso-8859-1?q?=E9?= =?koi8-r?b?8NLJ18XU?=",
        "\xc3\xa9\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"},
    {"=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=",
        "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"},
    {"=?shift_jis?B?g2WDWINn?=", "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"},
    {"=?utf-8*en?q?lang?=", "lang"},
    /* raw bytes: UTF-8 when valid, else windows-1252 */
    {"caf\xc3\xa9", "caf\xc3\xa9"},
    {"caf\xe9 \x93quoted\x94", "caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d"},
    {"\x81", TEXT_REPLACEMENT},
    /* broken words: still something readable, never worse */
    {"=?NONE?B?VEVTVA=?=", "TEST"},
    {"=?utf-8?b?VEVTVA?=", "TEST"},
    {"=?bogus-charset?q?caf=E9?=", "caf\xc3\xa9"},
    {"=?utf-8?q?caf=E9?=", "caf?"}, /* GMime's stand-in for a bad byte */
    {"=?utf-8?q?unterminated", "=?utf-8?q?unterminated"},
    {"=?utf-8?x?what?=", "=?utf-8?x?what?="},
    {"=??q?x?=", "=??q?x?="},
    {"a=?utf-8?q?b?=c", "abc"},
    /* a B word run into text goes to GMime, which decodes it (it saw the
     * word rewritten as Q, so the one after a padded B word survives) */
    {"=?utf-8?b?w6k=?=x =?utf-8?b?YQ==?=", "\xc3\xa9x a"},
    {"x=?utf-8?b?YQ==?= =?utf-8?b?YQ==?=", "xaa"},
    /* nothing for the terminal */
    {"=?utf-8?q?x=1B]0;title=07y?=", "x^[]0;title^Gy"},
    {"=?utf-8?b?G1szMW1yZWQ=?=", "^[[31mred"},
    {"tab\there", "tab here"},
};

/*
 * Issue 12's classes, each with an example made for it. Raw 8-bit bytes
 * inside an encoded word are decoded once, in the word's charset; a UTF-8
 * header with one bad byte keeps the rest; charset labels iconv does not
 * know go through the alias table; valid UTF-8 under another label is
 * UTF-8.
 */
static const struct {
	const char *why;
	const char *block;
	const char *subject;
	const char *from_name;
	const char *to;
} classes[] = {
    {"raw Latin-1 byte in a Q word (item 2)",
        "From: =?iso-8859-1?Q?J\xf6rg?= <j@x.org>\r\n"
        "To: =?iso-8859-1?Q?Fr\xf6sche?= <f@x.org>\r\n"
        "Subject: =?iso-8859-1?Q?Fr\xf6sche?= und =?iso-8859-1?Q?K=F6nig?=\r\n",
        "Fr\xc3\xb6sche und K\xc3\xb6nig", "J\xc3\xb6rg",
        "Fr\xc3\xb6sche <f@x.org>"},
    {"raw KOI8-R bytes in a KOI8-R Q word (item 2)",
        "Subject: =?koi8-r?Q?\xf0\xd2\xc9\xd7\xc5\xd4?= "
        "=?koi8-r?Q?_=F7=C1=CE?=\r\n",
        "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 "
        "\xd0\x92\xd0\xb0\xd0\xbd",
        "", ""},
    {"raw UTF-8 bytes in a Latin-1 Q word (items 2, 5)",
        "Subject: =?iso-8859-1?Q?Fr\xc3\xb6sche?=\r\n", "Fr\xc3\xb6sche", "",
        ""},
    {"raw byte in a word beside raw text in the hint's charset (item 2)",
        "Subject: \xfe\xfd =?iso-8859-9?Q?\xfe?=\r\n"
        "Content-Type: text/plain; charset=iso-8859-9\r\n",
        "\xc5\x9f\xc4\xb1 \xc5\x9f", "", ""},
    {"Cyrillic UTF-8 From with one byte cut (item 4)",
        "From: \xd0\x98\xd0\xb2\xd0\xb0\xd0 \xd0\x9f\xd0\xb5\xd1\x82\xd1\x80 "
        "<ivan@x.org>\r\n"
        "Subject: \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xff!\r\n",
        "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 " TEXT_REPLACEMENT
        "!",
        "\xd0\x98\xd0\xb2\xd0\xb0" TEXT_REPLACEMENT
        " \xd0\x9f\xd0\xb5\xd1\x82\xd1\x80",
        ""},
    {"Latin-1 is still Latin-1, not UTF-8 with bad bytes (item 4)",
        "Subject: \xe9t\xe9 \xe0 la plage\r\n",
        "\xc3\xa9t\xc3\xa9 \xc3\xa0 la plage", "", ""},
    {"CHINESEBIG5 word (item 5)", "Subject: =?CHINESEBIG5?Q?=A4=A4=A4=E5?=\r\n",
        "\xe4\xb8\xad\xe6\x96\x87", "", ""},
    {"GB2312_CHARSET word (item 5)",
        "Subject: =?GB2312_CHARSET?B?1tDOxA==?=\r\n",
        "\xe4\xb8\xad\xe6\x96\x87", "", ""},
    {"ks_c_5601-1987 name (item 5)",
        "From: =?ks_c_5601-1987?B?x9GxuQ==?= <k@x.org>\r\n", "",
        "\xed\x95\x9c\xea\xb5\xad", ""},
    {"UTF-8 in a word labelled GB2312 (item 5)",
        "Subject: =?gb2312?Q?=E4=B8=AD=E6=96=87?=\r\n",
        "\xe4\xb8\xad\xe6\x96\x87", "", ""},
    {"raw GB2312 subject, charset label from the body (item 5)",
        "Subject: \xd6\xd0\xce\xc4\r\n"
        "Content-Type: text/plain; charset=\"GB2312_CHARSET\"\r\n",
        "\xe4\xb8\xad\xe6\x96\x87", "", ""},
};

START_TEST(test_mime_classes)
{
	struct mime_headers *h;
	char *block;

	xasprintf(&block, "%s\r\n", classes[_i].block);
	h = mime_headers_decode(block, strlen(block), NULL);
	ck_assert_msg(strcmp(h->subject, classes[_i].subject) == 0,
	    "%s: subject '%s'", classes[_i].why, h->subject);
	ck_assert_msg(strcmp(h->from_name, classes[_i].from_name) == 0,
	    "%s: from '%s'", classes[_i].why, h->from_name);
	ck_assert_msg(strcmp(h->to, classes[_i].to) == 0, "%s: to '%s'",
	    classes[_i].why, h->to);
	mime_headers_free(h);
	free(block);
}
END_TEST

/* mime_decode_field(), the pager's way, gives what the index keeps. */
START_TEST(test_mime_field_same)
{
	static const char ct[] = " text/plain; charset=euc-kr";
	static const char subj[] = " \xc7\xd1\xb1\xb9\xbe\xee";
	static const char from[] = " \xb1\xe8\xc3\xb6\xbc\xf6 <kim@x.kr>";
	struct mime_headers *h;
	char *block, *s;

	xasprintf(&block, "Subject:%s\r\nFrom:%s\r\nContent-Type:%s\r\n\r\n",
	    subj, from, ct);
	h = mime_headers_decode(block, strlen(block), NULL);
	ck_assert_str_eq(h->subject, "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4");
	s = mime_decode_field("Subject", subj, strlen(subj), ct, NULL);
	ck_assert_str_eq(s, h->subject);
	free(s);
	s = mime_decode_field("FROM", from, strlen(from), ct, NULL);
	ck_assert_str_eq(s, "\xea\xb9\x80\xec\xb2\xa0\xec\x88\x98 <kim@x.kr>");
	free(s);
	s = mime_decode_field("X-Any", NULL, 3, NULL, NULL);
	ck_assert_str_eq(s, "");
	free(s);
	mime_headers_free(h);
	free(block);
}
END_TEST

/* The alias table: labels from the wild, as iconv knows them. */
START_TEST(test_mime_charset_name)
{
	static const struct {
		const char *label;
		const char *name;
	} names[] = {
	    {"CHINESEBIG5", "BIG5-HKSCS"},
	    {"GB2312_CHARSET", "GB18030"},
	    {" \"gb2312\" ", "GB18030"},
	    {"ks_c_5601-1987", "CP949"},
	    {"x-sjis", "CP932"},
	    {"ISO-8859-1", "WINDOWS-1252"},
	    {"x-unknown", ""},
	    {"unknown-8bit", ""},
	    {"koi8-r", "koi8-r"},
	    {"", ""},
	};
	char buf[MIME_CHARSET_MAX], big[200];
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		ck_assert_str_eq(
		    mime_charset_name(names[i].label, buf, sizeof buf),
		    names[i].name);
	ck_assert_str_eq(mime_charset_name(NULL, buf, sizeof buf), "");
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_str_eq(mime_charset_name(big, buf, sizeof buf), "");
	ck_assert(mime_prefer_utf8("gb2312", "\xe4\xb8\xad", 3));
	ck_assert(!mime_prefer_utf8("gb2312", "\xd6\xd0", 2));
	ck_assert(!mime_prefer_utf8("gb2312", "abc", 3));
	ck_assert(!mime_prefer_utf8("utf-16le", "\xc3\xa9", 2));
	ck_assert(!mime_prefer_utf8(NULL, "\xc3\xa9", 2));
}
END_TEST

START_TEST(test_mime_words_edge)
{
	char *s, *big;
	size_t n = 1 << 20;

	s = mime_decode_words(NULL, 3, NULL);
	ck_assert_str_eq(s, "");
	free(s);
	big = malloc(n);
	memset(big, 'x', n);
	memcpy(big, "=?utf-8?q?", 10);
	s = mime_decode_words(big, n, NULL);
	ck_assert_uint_eq(strlen(s), MIME_FIELD_MAX);
	free(s);
	free(big);
}
END_TEST

START_TEST(test_mime_words)
{
	char *s = mime_decode_words(words[_i].in, strlen(words[_i].in), NULL);

	ck_assert_str_eq(s, words[_i].out);
	free(s);
}
END_TEST

START_TEST(test_mime_fallback)
{
	char *s;

	s = mime_decode_words("\xb0\xa1", 2, "euc-kr");
	ck_assert_str_eq(s, "\xea\xb0\x80");
	free(s);
	s = mime_decode_words("\xe9", 1, "no-such-charset");
	ck_assert_str_eq(s, "\xc3\xa9"); /* ISO-8859-1 */
	free(s);
	s = mime_decode_words("caf\xe9", 4, "iso-8859-15");
	ck_assert_str_eq(s, "caf\xc3\xa9");
	free(s);
}
END_TEST

/* Address list values as the pager shows them (mime_decode_addresses). */
START_TEST(test_mime_addresses)
{
	static const struct {
		const char *in;
		const char *out;
	} lists[] = {
	    {"a@example.org,  b@example.org", "a@example.org, b@example.org"},
	    {"=?utf-8?q?Zo=C3=AB?= <zoe@example.org>,\r\n\tBob <b@example.org>",
	        "Zo\xc3\xab <zoe@example.org>, Bob <b@example.org>"},
	    {"\"Doe, Jane\" <jane@example.org>",
	        "\"Doe, Jane\" <jane@example.org>"},
	    {"Ren\xe9 <rene@example.org>", "Ren\xc3\xa9 <rene@example.org>"},
	    {"undisclosed-recipients:;", "undisclosed-recipients: ;"},
	    /* an international domain as it was written, not punycode */
	    {"\"M\xc3\xa4ry, S.\" <m@ex\xc3\xa4mple.net>, b@x.org",
	        "\"M\xc3\xa4ry, S.\" <m@ex\xc3\xa4mple.net>, b@x.org"},
	    {"Team: \"A, B\" <a@x.org>, c@x.org;",
	        "Team: \"A, B\" <a@x.org>, c@x.org;"},
	    {" \t ", ""},
	};
	char *s;
	size_t i;

	for (i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		s = mime_decode_addresses(
		    lists[i].in, strlen(lists[i].in), "windows-1252");
		ck_assert_str_eq(s, lists[i].out);
		free(s);
	}
	s = mime_decode_addresses(NULL, 5, NULL);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

/* From values and the name and address made of them. */
static const struct {
	const char *in;
	const char *name;
	const char *addr;
} froms[] = {
    {"john@example.org", "", "john@example.org"},
    {"<john@example.org>", "", "john@example.org"},
    {"John Doe <john@example.org>", "John Doe", "john@example.org"},
    {"\"Doe, John\" <john@example.org>", "Doe, John", "john@example.org"},
    {"\"Doe, John\" <j@x.org>, other@x.org", "Doe, John", "j@x.org"},
    {"=?utf-8?q?J=C3=A9r=C3=B4me?= <j@x.org>", "J\xc3\xa9r\xc3\xb4me",
        "j@x.org"},
    {"\"=?utf-8?q?J=C3=A9r=C3=B4me?=\" <j@x.org>", "J\xc3\xa9r\xc3\xb4me",
        "j@x.org"},
    {"=?UTF-8?B?U3NzxZsgTGHFgmFsYQ==?= =?UTF-8?B?bGFsYQ==?= <s@x.org>",
        "Sss\xc5\x9b La\xc5\x82"
        "alalala",
        "s@x.org"},
    {"Ren\xc3\xa9 <r@x.org>", "Ren\xc3\xa9", "r@x.org"},
    {"Ren\xe9 <r@x.org>", "Ren\xc3\xa9", "r@x.org"},
    {"j@x.org (John Q. Public)", "John Q. Public", "j@x.org"},
    {"Team: a@x.org, b@x.org;", "", "a@x.org"},
    {"undisclosed-recipients:;", "undisclosed-recipients:;", ""},
    {"MAILER DAEMON <>", "MAILER DAEMON", ""},
    {"\"Evil\x1b]0;t\x07\" <e@x.org>", "Evil^[]0;t^G", "e@x.org"},
    {"", "", ""},
};

START_TEST(test_mime_from)
{
	struct mime_headers *h;
	char *block;

	xasprintf(&block, "From: %s\r\n\r\n", froms[_i].in);
	h = mime_headers_decode(block, strlen(block), NULL);
	ck_assert_str_eq(h->from_name, froms[_i].name);
	ck_assert_str_eq(h->from_addr, froms[_i].addr);
	mime_headers_free(h);
	free(block);
}
END_TEST

/* Date values and their times. */
static const struct {
	const char *in;
	long long t;
} dates[] = {
    {"Mon, 01 Jan 2001 12:00:00 +0100", 978346800},
    {"1 Jan 2001 12:00:00 +0100", 978346800},
    {"Mon, 1 Jan 2001 12:00 +0100", 978346800},
    {"Mon, 1 Jan 01 11:00:00 GMT", 978346800},   /* obsolete: 2-digit year */
    {"Mon, 1 Jan 2001 06:00:00 EST", 978346800}, /* obsolete: zone name */
    {"Mon, 1 Jan 2001 11:00:00 UT", 978346800},
    {"Mon, 1 Jan 2001 12:00:00 +0100 (CET)", 978346800},
    {"Mon,\r\n 1 Jan 2001 12:00:00 +0100", 978346800},
    {"", 0},
    {"garbage", 0},
    {"Mon, 32 Foo 2001 99:99:99 +9999", 0},
};

START_TEST(test_mime_date)
{
	struct mime_headers *h;
	char *block;

	xasprintf(&block, "Date: %s\n\n", dates[_i].in);
	h = mime_headers_decode(block, strlen(block), NULL);
	ck_assert_msg((long long)h->date == dates[_i].t, "%s: %lld",
	    dates[_i].in, (long long)h->date);
	mime_headers_free(h);
	free(block);
}
END_TEST

START_TEST(test_mime_edge)
{
	struct mime_headers *h;
	char *big;
	size_t n = 4 << 20;

	h = mime_headers_decode(NULL, 10, NULL);
	ck_assert_str_eq(h->subject, "");
	ck_assert_str_eq(h->from_name, "");
	ck_assert_str_eq(h->from_addr, "");
	ck_assert_str_eq(h->to, "");
	ck_assert_str_eq(h->cc, "");
	ck_assert_str_eq(h->message_id, "");
	ck_assert_str_eq(h->in_reply_to, "");
	ck_assert_str_eq(h->references, "");
	ck_assert_int_eq(h->date, 0);
	ck_assert_int_eq(h->has_attachment, 0);
	mime_headers_free(h);
	mime_headers_free(NULL);

	h = mime_headers_decode("", 0, NULL);
	ck_assert_str_eq(h->subject, "");
	mime_headers_free(h);

	/* a huge folded Subject is cut at MIME_FIELD_MAX */
	big = malloc(n);
	memset(big, 'x', n);
	memcpy(big, "Subject: ", 9);
	for (size_t i = 100; i < n; i += 100)
		memcpy(big + i - 3, "\r\n ", 3);
	h = mime_headers_decode(big, n, NULL);
	ck_assert_uint_le(strlen(h->subject), MIME_FIELD_MAX);
	ck_assert_uint_gt(strlen(h->subject), MIME_FIELD_MAX / 2);
	mime_headers_free(h);
	free(big);
}
END_TEST

START_TEST(test_mime_block)
{
	static const char block[] =
	    "\xef\xbb\xbf"
	    "From junk@mbox Mon Jan  1 00:00:00 2001\r\n"
	    "Date: Mon, 1 Jan 2001 12:00:00 +0100\r\n"
	    "FROM: \"Doe, John\"\r\n <john@example.org>\r\n"
	    "To: a@b.example, =?utf-8?q?B=C3=B6b?= <bob@x.org>,\r\n"
	    "\t\"Smith, Ann\" <ann@x.org>\r\n"
	    "Cc: Team: c@x.org, d@x.org;\r\n"
	    "Subject : =?iso-8859-1?q?caf=E9?=\r\n"
	    "  =?iso-8859-1?q?_au_lait?=\r\n"
	    "Subject: the second one is ignored\r\n"
	    "Message-ID: <abc@def.example>\r\n"
	    "In-Reply-To: <x@y> (comment) <z@w>\r\n"
	    "References: <a@b>\r\n\t<x@y>\r\n"
	    "Content-Type: multipart/mixed; boundary=x\r\n"
	    "X-Other: ignored\r\n"
	    "\r\n"
	    "Subject: body, not header\r\n";
	struct mime_headers *h;

	h = mime_headers_decode(block, sizeof block - 1, NULL);
	ck_assert_str_eq(h->subject, "caf\xc3\xa9 au lait");
	ck_assert_str_eq(h->from_name, "Doe, John");
	ck_assert_str_eq(h->from_addr, "john@example.org");
	ck_assert_str_eq(h->to,
	    "a@b.example, B\xc3\xb6"
	    "b <bob@x.org>, \"Smith, Ann\" <ann@x.org>");
	ck_assert_str_eq(h->cc, "Team: c@x.org, d@x.org;");
	ck_assert_int_eq(h->date, 978346800);
	ck_assert_str_eq(h->message_id, "abc@def.example");
	ck_assert_str_eq(h->in_reply_to, "x@y");
	ck_assert_str_eq(h->references, "a@b x@y");
	ck_assert_int_eq(h->has_attachment, 1);
	mime_headers_free(h);
}
END_TEST

START_TEST(test_mime_lf_and_nul)
{
	static const char block[] = "Subject: a\0b\n c\nFrom: x@y\n";
	struct mime_headers *h;

	h = mime_headers_decode(block, sizeof block - 1, NULL);
	ck_assert_str_eq(h->subject, "ab c");
	ck_assert_str_eq(h->from_addr, "x@y");
	mime_headers_free(h);
}
END_TEST

/* Content-Type values and the attachment hint. */
static const struct {
	const char *in;
	int yes;
} types[] = {
    {"multipart/mixed; boundary=\"x\"", 1},
    {"Multipart/Mixed; boundary=x", 1},
    {"multipart/alternative; boundary=x", 0},
    {"multipart/related; boundary=x", 0},
    {"text/plain; charset=utf-8", 0},
    {"text/plain; name=notes.txt", 0},
    {"application/pdf; name=\"a.pdf\"", 1},
    {"application/pdf; name*=utf-8''%C3%A9.pdf", 1},
    {"image/png", 0},
    {"garbage", 0},
};

START_TEST(test_mime_attachment)
{
	struct mime_headers *h;
	char *block;

	xasprintf(&block, "Content-Type: %s\n\n", types[_i].in);
	h = mime_headers_decode(block, strlen(block), NULL);
	ck_assert_msg(h->has_attachment == types[_i].yes, "%s", types[_i].in);
	mime_headers_free(h);
	free(block);
}
END_TEST

START_TEST(test_mime_charset_hint)
{
	/* raw GB2312 in a header, and the body's charset says so */
	static const char block[] =
	    "Subject: \xc4\xe3\xba\xc3\n"
	    "Content-Type: text/plain; charset=gb2312\n";
	static const char latin1[] =
	    "Subject: \x93q\x94\n"
	    "Content-Type: text/plain; charset=iso-8859-1\n";
	struct mime_headers *h;

	h = mime_headers_decode(block, sizeof block - 1, NULL);
	ck_assert_str_eq(h->subject, "\xe4\xbd\xa0\xe5\xa5\xbd");
	mime_headers_free(h);

	/* ISO-8859-1 is no hint: it means windows-1252, quotes and all */
	h = mime_headers_decode(latin1, sizeof latin1 - 1, NULL);
	ck_assert_str_eq(h->subject, "\xe2\x80\x9cq\xe2\x80\x9d");
	mime_headers_free(h);
}
END_TEST

/*
 * Field values for the fast paths (Date, References, In-Reply-To and
 * Content-Type read without GMime): each decoded both ways must give the
 * same struct, and those marked fast must be read by the fast path.
 */
static const struct {
	const char *field;
	const char *in;
	int fast;
} fast[] = {
    {"Date", "Mon, 01 Jan 2001 12:00:00 +0100", 1},
    {"Date", "1 Jan 2001 12:00:00 +0100", 1},
    {"Date", "Mon, 1 Jan 2001 12:00 +0100", 1},
    {"Date", "mon, 1 jan 2001 12:00:00 -0000", 1},
    {"Date", "Tue, 29 Feb 2000 23:59:59 -1200", 1},
    {"Date", "Thu, 31 Dec 2099 00:00:00 +1400", 1},
    {"Date", "Sat, 5 Oct 2024 10:11:12 +0545", 1},
    {"Date", "Wed, 15 Jul 2015 04:05:06 -0330", 1},
    {"Date", "Mon, 1 Jan 2001 12:00:00 +0100 (CET)", 1},
    {"Date", "Mon, 1 Jan 2001 11:00:00 +0000 (UTC)", 1},
    {"Date", "Mon,\t1  Jan\t 2001   12:00:00\t+0100  ", 1},
    {"Date", "Mon,1 Jan 2001 12:00:00 +0100", 1},
    {"Date", "Thu, 1 Jan 1970 00:00:00 +0000", 1},
    {"Date", "Mon, 1 Mar 2100 01:02:03 +0000", 1},
    {"Date", "Mon, 1 Jan 2001 11:00:00 UT", 1},
    {"Date", "Mon, 1 Jan 2001 11:00:00 GMT", 1},
    {"Date", "Mon, 1 Jan 2001 11:00:00 UTC", 1},
    {"Date", "Mon, 1 Jan 2001 06:00:00 EST", 1},
    {"Date", "Mon, 1 Jul 2001 06:00:00 EDT", 1},
    {"Date", "Mon, 1 Jan 2001 06:00:00 CST", 1},
    {"Date", "Mon, 1 Jul 2001 06:00:00 CDT", 1},
    {"Date", "Mon, 1 Jan 2001 06:00:00 MST", 1},
    {"Date", "Mon, 1 Jul 2001 06:00:00 MDT", 1},
    {"Date", "Mon, 1 Jan 2001 06:00:00 PST", 1},
    {"Date", "Mon, 1 Jul 2001 06:00:00 PDT (Pacific)", 1},
    {"Date", "Mon, 1 Jan 2001 11:00:00 UTC (PST)", 0},
    {"Date", "Mon, 1 Jan 01 11:00:00 GMT", 0},
    {"Date", "Mon, 1 Jan 1969 11:00:00 GMT", 0},
    {"Date", "Mon, 30 Feb 2001 11:00:00 GMT", 0},
    {"Date", "Mon, 29 Feb 2001 11:00:00 GMT", 0},
    {"Date", "Mon, 29 Feb 1900 11:00:00 GMT", 0},
    {"Date", "Mon, 31 Apr 2001 11:00:00 GMT", 0},
    {"Date", "Mon, 1 Jan 2001 11:00:60 GMT", 0},
    {"Date", "Mon, 1 Jan 2001 24:00:00 GMT", 0},
    {"Date", "Mon, 1 Jan 2001 11:00:00 +9999", 0},
    {"Date", "Mon, 1 Jan 2001 11:00:00 +2400", 0},
    {"Date", "Mon, 1 Jan 2001 11:00:00 +01", 0},
    {"Date", "Mon, 1 Jan 2001 11:00:00 +01:00", 0},
    {"Date", "Mon, 1 Jan 2001 11:00:00 gmt", 0},
    {"Date", "Mon, 1 Jan 2001 11:00:00 Z", 0},
    {"Date", "Mon, 1 Jan 2001 11:00:00 CET", 0},
    {"Date", "Mon, 1 Jan 2001 11:00:00", 0},
    {"Date", "Mon, 1 Jan 2001 1:00:00 +0100", 0},
    {"Date", "Monday, 1 Jan 2001 11:00:00 +0100", 0},
    {"Date", "Mon, 1 January 2001 11:00:00 +0100", 0},
    {"Date", "Mon, 1-Jan-2001 11:00:00 +0100", 0},
    {"Date", "2001-01-01T11:00:00Z", 0},
    {"Date", "Mon Jan  1 11:00:00 2001", 0},
    {"Date", "Mon, 1 Jan 2001 12:00:00 +0100 (CET", 0},
    {"Date", "Mon, 1 Jan 2001 12:00:00 +0100 junk", 0},
    {"Date", "Mon, 0 Jan 2001 12:00:00 +0100", 0},
    {"Date", "Mon, 123 Jan 2001 12:00:00 +0100", 0},
    {"Date", "Mon, 1 Jan 20011 12:00:00 +0100", 0},
    {"Date", "Mon, 1 Jan 2001 12:00:00 +01000", 0},
    {"Date", "Xyz, 1 Jan 2001 12:00:00 +0100", 0},
    {"Date", "Mon, 1 Jan 2001 12:00:00.5 +0100", 0},
    {"References", "<a@b>", 1},
    {"References", "<a@b> <c.d@e.f>", 1},
    {"References", "  <a@b>\t <c@d>  <e@f.g.h>  ", 1},
    {"References", "<a@b><c@d>", 1},
    {"References", "<1700000000.0123456789abcdef@mail.example.org>", 1},
    {"References", "<a+b=c/d?e^f_g`h{i|j}k~l!#$%&'*@x-y.z>", 1},
    {"References", "", 1},
    {"References", "<a@b> (comment) <c@d>", 0},
    {"References", "<a@b> junk <c@d>", 0},
    {"References", "<\"quoted local\"@b>", 0},
    {"References", "<a@[192.0.2.1]>", 0},
    {"References", "<nodomain>", 0},
    {"References", "<nodomain> <a@b>", 0},
    {"References", "<a@b", 0},
    {"References", "<a@b> <c@d", 0},
    {"References", "<a@@b>", 0},
    {"References", "<a@b@c>", 0},
    {"References", "<@b>", 0},
    {"References", "<a@>", 0},
    {"References", "<.a@b>", 0},
    {"References", "<a.@b>", 0},
    {"References", "<a..b@c>", 0},
    {"References", "<a@b.>", 0},
    {"References", "<a@.b>", 0},
    {"References", "<a@b..c>", 0},
    {"References", "< a@b >", 0},
    {"References", "<a@b>, <c@d>", 0},
    {"References", "<caf\xc3\xa9@b>", 0},
    {"References", "a@b", 0},
    {"References", "<>", 0},
    {"References", ">", 0},
    {"Message-ID", "<a@b>", 1},
    {"Message-ID", "<1700000000.0123456789abcdef@mail.example.org>", 1},
    {"Message-ID", "<a@b> <c@d>", 1},
    {"Message-ID", "<a@b> (comment)", 1},
    {"Message-ID", "<a@b", 0},
    {"Message-ID", "a@b", 0},
    {"Message-ID", "<nodomain>", 0},
    {"Message-ID", "<\"q\"@b>", 0},
    {"Message-ID", "<a@[192.0.2.1]>", 0},
    {"Message-ID", "(comment) <a@b>", 0},
    {"Message-ID", "<a..b@c>", 0},
    {"Message-ID", "<>", 0},
    {"In-Reply-To", "<a@b>", 1},
    {"In-Reply-To", "<a@b> <c@d>", 1},
    {"In-Reply-To", "<a@b> (Jo's message of Mon, 1 Jan 2001)", 1},
    {"In-Reply-To", "<a@b> \"junk", 1},
    {"In-Reply-To", "Message from Jo <a@b>", 0},
    {"In-Reply-To", "<a@b.", 0},
    {"Content-Type", "application/pdf; name=\"a.pdf\"", 1},
    {"Content-Type", "application/pdf; name=a.pdf", 1},
    {"Content-Type", "APPLICATION/PDF;NAME=a.pdf", 1},
    {"Content-Type", "application/pdf ; name = \"a b.pdf\" ; x=y", 1},
    {"Content-Type", "application/pdf;\t name=\"a.pdf\";\t size=100", 1},
    {"Content-Type", "application/octet-stream; filename=x; xname=y", 1},
    {"Content-Type", "image/png; x-unix-mode=0644; name=\"p.png\"", 1},
    /* these two the older prefix check reads, before the fast path */
    {"Content-Type", "multipart/mixed; boundary=\"a\"; name=x", 0},
    {"Content-Type", "Text/Plain; name=\"notes.txt\"", 0},
    {"Content-Type", "application/pdf; name*=utf-8''%C3%A9.pdf", 0},
    {"Content-Type", "application/pdf; name*0=\"a\"; name*1=\".pdf\"", 0},
    {"Content-Type", "application/pdf; name=\"=?utf-8?q?a?=.pdf\"", 0},
    {"Content-Type", "application/pdf; name=\"a\\\"b.pdf\"", 0},
    {"Content-Type", "application/pdf; name=\"a.pdf", 0},
    {"Content-Type", "application/pdf; name=\"\"", 0},
    {"Content-Type", "application/pdf; name=", 0},
    {"Content-Type", "application/pdf; name=a; name=b", 0},
    {"Content-Type", "application/pdf (comment); name=a", 0},
    {"Content-Type", "application/pdf; name=a (comment)", 0},
    {"Content-Type", "application; name=a", 0},
    {"Content-Type", "application/; name=a", 0},
    {"Content-Type", "/pdf; name=a", 0},
    {"Content-Type", "application / pdf; name=a", 0},
    {"Content-Type", "application/pdf; name=a;", 0},
    {"Content-Type", "application/pdf name=a", 0},
    {"Content-Type", "application/pdf; name=a b", 0},
    {"Content-Type", "application/pdf; name=caf\xc3\xa9", 0},
    {"Content-Type", "application/pdf;; name=a", 0},
    {"Content-Type", "application/pdf; =a; name=b", 0},
};

/* Subjects in raw 8-bit bytes, so that the Content-Type charset counts. */
static const char *const fast_subjects[] = {
    "\xc4\xe3\xba\xc3", "\x93q\x94", "\xe9t\xe9", "\x8e\x9a"};

/* Content-Types for the charset hint (each with each subject above). */
static const char *const fast_charsets[] = {
    "text/plain; charset=gb2312",
    "text/plain; charset=\"GB2312\"",
    "text/plain;charset=koi8-r; format=flowed",
    "text/plain; format=flowed; charset = shift_jis",
    "text/plain; charset=iso-8859-1",
    "text/plain; charset=utf-8",
    "text/plain; charset=\"\"",
    "text/plain; charset=no-such-charset",
    "text/plain; charset=big5; charset=gb2312",
    "text/plain; charset*=us-ascii'en'koi8-r",
    "text/plain; charset=\"koi8-r\" (comment)",
    "text/plain; charset=\"koi8-r",
    "multipart/alternative; boundary=\"=_x\"; charset=koi8-r",
    ("text/plain; "
     "charset=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaa"),
};

/* Whether a and b, decoded from the same block, are the same. */
static int
same_headers(const struct mime_headers *a, const struct mime_headers *b)
{
	return strcmp(a->subject, b->subject) == 0 &&
	    strcmp(a->from_name, b->from_name) == 0 &&
	    strcmp(a->from_addr, b->from_addr) == 0 &&
	    strcmp(a->to, b->to) == 0 && strcmp(a->cc, b->cc) == 0 &&
	    a->date == b->date && strcmp(a->message_id, b->message_id) == 0 &&
	    strcmp(a->in_reply_to, b->in_reply_to) == 0 &&
	    strcmp(a->references, b->references) == 0 &&
	    a->has_attachment == b->has_attachment;
}

/* Decode block with and without the fast paths, fail on any difference,
 * and give how many values the fast paths read. */
static unsigned long
check_both(const char *block)
{
	struct mime_headers *a, *b;
	unsigned long hits;
	int same;

	(void)mime_set_fast(1);
	a = mime_headers_decode(block, strlen(block), NULL);
	hits = mime_set_fast(0);
	b = mime_headers_decode(block, strlen(block), NULL);
	(void)mime_set_fast(1);
	same = same_headers(a, b);
	ck_assert_msg(same,
	    "fast and GMime differ for [%s]: date %lld/%lld refs [%s]/[%s] "
	    "irt [%s]/[%s] att %d/%d subject [%s]/[%s]",
	    block, (long long)a->date, (long long)b->date, a->references,
	    b->references, a->in_reply_to, b->in_reply_to, a->has_attachment,
	    b->has_attachment, a->subject, b->subject);
	mime_headers_free(a);
	mime_headers_free(b);
	return hits;
}

START_TEST(test_mime_fast)
{
	char *block;
	unsigned long hits;

	xasprintf(&block, "%s: %s\n\n", fast[_i].field, fast[_i].in);
	hits = check_both(block);
	ck_assert_msg((hits > 0) == fast[_i].fast, "%s: fast path %s",
	    fast[_i].in, hits > 0 ? "taken" : "not taken");
	free(block);
}
END_TEST

/* Each value above cut short, and with each of a few bytes put in at each
 * place: whatever the fast paths take, GMime must read the same way. */
START_TEST(test_mime_fast_mutants)
{
	static const char odd[] = " \t;:=\"()<>@.,\\/-+0Z\x80";
	char *block, *v;
	size_t len, i, j;

	len = strlen(fast[_i].in);
	v = xmalloc(len + 2);
	for (i = 0; i <= len; i++) {
		memcpy(v, fast[_i].in, i);
		v[i] = '\0';
		xasprintf(&block, "%s: %s\n\n", fast[_i].field, v);
		(void)check_both(block);
		free(block);
		for (j = 0; j < sizeof odd - 1; j++) {
			memcpy(v, fast[_i].in, len + 1);
			v[i] = odd[j];
			if (i == len)
				v[i + 1] = '\0';
			xasprintf(&block, "%s: %s\n\n", fast[_i].field, v);
			(void)check_both(block);
			free(block);
			memmove(v + i + 1, fast[_i].in + i, len - i + 1);
			memcpy(v, fast[_i].in, i);
			v[i] = odd[j];
			xasprintf(&block, "%s: %s\n\n", fast[_i].field, v);
			(void)check_both(block);
			free(block);
		}
	}
	free(v);
}
END_TEST

/* Every day from 1970 to 2110 at a few times and zones, both ways. */
START_TEST(test_mime_fast_dates)
{
	static const char *const wdays[] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const char *const zones[] = {"+0000", "-0000", "+0100", "-0800",
	    "+0530", "-0930", "+1245", "+1400", "-1200", "EST", "PDT", "GMT",
	    "UT", "UTC"};
	static const int mdays[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	char *block;
	int y, m, d, n, wday = 4, leap; /* 1 Jan 1970 was a Thursday */
	unsigned long hits = 0, count = 0;

	for (y = 1970; y <= 2110; y++) {
		leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		for (m = 0; m < 12; m++) {
			n = mdays[m] + (m == 1 && leap);
			for (d = 1; d <= n; d++, wday = (wday + 1) % 7) {
				if ((d + m + y) % 7 != 0 && d != 1 && d != n)
					continue;
				xasprintf(&block,
				    "Date: %s, %d %s %d %02d:%02d:%02d %s\n\n",
				    wdays[wday], d, months[m], y,
				    (d * 7 + m) % 24, (d * 13 + y) % 60,
				    (d * 17 + m * 3) % 60,
				    zones[(d + m + y) % 14]);
				hits += check_both(block);
				count++;
				free(block);
			}
		}
	}
	ck_assert_uint_eq(hits, count);
}
END_TEST

/* The charset hint: with raw bytes in a Subject, both ways pick the same
 * charset from the Content-Type. */
START_TEST(test_mime_fast_charset)
{
	char *block;
	size_t i;

	for (i = 0; i < sizeof fast_subjects / sizeof fast_subjects[0]; i++) {
		xasprintf(&block, "Subject: %s\nContent-Type: %s\n\n",
		    fast_subjects[i], fast_charsets[_i]);
		(void)check_both(block);
		free(block);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("mime");
	SRunner *sr;
	int failed;

	mime_init();
	tcase_add_test(tc, test_mime_words_edge);
	tcase_add_loop_test(tc, test_mime_classes, 0,
	    (int)(sizeof classes / sizeof classes[0]));
	tcase_add_test(tc, test_mime_field_same);
	tcase_add_test(tc, test_mime_charset_name);
	tcase_add_test(tc, test_mime_edge);
	tcase_add_loop_test(
	    tc, test_mime_words, 0, sizeof words / sizeof words[0]);
	tcase_add_test(tc, test_mime_fallback);
	tcase_add_test(tc, test_mime_addresses);
	tcase_add_loop_test(
	    tc, test_mime_from, 0, sizeof froms / sizeof froms[0]);
	tcase_add_loop_test(
	    tc, test_mime_date, 0, sizeof dates / sizeof dates[0]);
	tcase_add_test(tc, test_mime_block);
	tcase_add_test(tc, test_mime_lf_and_nul);
	tcase_add_loop_test(
	    tc, test_mime_attachment, 0, sizeof types / sizeof types[0]);
	tcase_add_test(tc, test_mime_charset_hint);
	tcase_add_loop_test(
	    tc, test_mime_fast, 0, sizeof fast / sizeof fast[0]);
	tcase_add_loop_test(
	    tc, test_mime_fast_mutants, 0, sizeof fast / sizeof fast[0]);
	tcase_add_test(tc, test_mime_fast_dates);
	tcase_add_loop_test(tc, test_mime_fast_charset, 0,
	    sizeof fast_charsets / sizeof fast_charsets[0]);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	mime_shutdown();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
