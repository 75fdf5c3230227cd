/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/content/render.c: what the pager shows of a message. Plain,
 * flowed (RFC 3676), quoted, HTML and alternative bodies, transfer encodings
 * and charsets, wrapping by display width, inert escape sequences, RFC 2231
 * names, nested messages, huge and broken input, search, and every message
 * of tests/data/corpus at 80 columns. */

#include <check.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "content/mime.h"
#include "content/render.h"
#include "content/text.h"
#include "xmalloc.h"

#define FFFD TEXT_REPLACEMENT

static char *corpus_dir;

static const char *check_doc(const struct render_doc *, size_t);
static struct render_doc *render_str(const char *, size_t);
static char *doc_text(const struct render_doc *);
static size_t doc_find(const struct render_doc *, const char *);
static char *read_file(const char *, size_t *);

/* Why doc breaks a rule for lines at width cols, or NULL: every line valid
 * UTF-8 without controls, its width right and at most cols. */
static const char *
check_doc(const struct render_doc *doc, size_t cols)
{
	const struct render_line *l;
	const unsigned char *p;
	size_t i;

	for (i = 0; i < render_nlines(doc); i++) {
		l = render_line(doc, i);
		if (strlen(l->text) != l->len)
			return "length wrong";
		if (!text_utf8_valid(l->text, l->len))
			return "not UTF-8";
		if (l->width != text_width(l->text))
			return "width wrong";
		if (l->width > cols)
			return "too wide";
		for (p = (const unsigned char *)l->text; *p != '\0'; p++) {
			if (*p < 0x20 || *p == 0x7f)
				return "C0 control";
			if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0)
				return "C1 control";
			if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa &&
			    p[2] <= 0xae)
				return "bidi override";
		}
	}
	return NULL;
}

/* Render s at width cols with the defaults, checking every line. */
static struct render_doc *
render_str(const char *s, size_t cols)
{
	struct render_opts o;
	struct render_doc *doc;
	const char *why;

	memset(&o, 0, sizeof o);
	o.width = cols;
	doc = render_message(s, strlen(s), &o);
	why = check_doc(doc, cols);
	ck_assert_msg(why == NULL, "bad line: %s", why);
	return doc;
}

/* All lines of doc joined with newlines; the caller's. */
static char *
doc_text(const struct render_doc *doc)
{
	char *out = xstrdup(""), *t;
	size_t i;

	for (i = 0; i < render_nlines(doc); i++) {
		xasprintf(&t, "%s%s\n", out, render_line(doc, i)->text);
		free(out);
		out = t;
	}
	return out;
}

/* The first line of doc that is exactly s, or RENDER_NOT_FOUND. */
static size_t
doc_find(const struct render_doc *doc, const char *s)
{
	size_t i;

	for (i = 0; i < render_nlines(doc); i++) {
		if (strcmp(render_line(doc, i)->text, s) == 0)
			return i;
	}
	return RENDER_NOT_FOUND;
}

/* The whole file at path, NUL-terminated, or NULL. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f;
	char *buf;
	long size;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = xmalloc((size_t)size + 1);
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[size] = '\0';
	*len = (size_t)size;
	return buf;
}

START_TEST(test_render_edge)
{
	struct render_doc *doc;
	struct render_opts o;

	memset(&o, 0, sizeof o);
	doc = render_message(NULL, 10, NULL);
	ck_assert_uint_eq(render_nlines(doc), 0);
	ck_assert_ptr_null(render_line(doc, 0));
	ck_assert_uint_eq(render_nattachments(doc), 0);
	ck_assert_ptr_null(render_attachment(doc, 0));
	ck_assert_uint_eq(render_search(doc, 0, "x", 1), RENDER_NOT_FOUND);
	render_free(doc);
	doc = render_message("", 0, NULL);
	ck_assert_uint_eq(render_nlines(doc), 0);
	render_free(doc);
	render_free(NULL);
	ck_assert_uint_eq(render_nlines(NULL), 0);
	doc = render_str("no header at all, no colon", 80);
	ck_assert_ptr_nonnull(render_line(doc, 0));
	render_free(doc);
	o.width = 3; /* made the narrowest width, 10 */
	doc = render_message("Subject: a long one\r\n", 21, &o);
	ck_assert_ptr_null(check_doc(doc, 10));
	ck_assert_str_eq(render_line(doc, 0)->text, "Subject: a");
	render_free(doc);
}
END_TEST

START_TEST(test_render_plain)
{
	struct render_doc *doc;
	const struct render_line *l;
	size_t i;

	doc = render_str("From: =?utf-8?q?J=C3=A9r=C3=B4me?= <j@x.org>\r\n"
	                 "To: a@x.org, \"B, C\" <b@x.org>\r\n"
	                 "Subject: =?iso-8859-1?q?caf=E9?=\r\n"
	                 "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
	                 "X-Other: hidden\r\n"
	                 "\r\n"
	                 "Hello\r\n"
	                 "\tTabbed\r\n"
	                 "\r\n"
	                 "-- \r\n"
	                 "Sig\r\n",
	    80);
	l = render_line(doc, 0);
	ck_assert_str_eq(l->text, "From: J\xc3\xa9r\xc3\xb4me <j@x.org>");
	ck_assert_int_eq(l->kind, RENDER_HEADER);
	ck_assert_uint_eq(l->name_len, 5);
	ck_assert_str_eq(
	    render_line(doc, 1)->text, "To: a@x.org, \"B, C\" <b@x.org>");
	ck_assert_str_eq(
	    render_line(doc, 2)->text, "Date: Mon, 1 Jan 2024 10:00:00 +0000");
	ck_assert_str_eq(render_line(doc, 3)->text, "Subject: caf\xc3\xa9");
	ck_assert_str_eq(render_line(doc, 4)->text, "");
	ck_assert_uint_eq(doc_find(doc, "X-Other: hidden"), RENDER_NOT_FOUND);
	i = doc_find(doc, "Hello");
	ck_assert_uint_ne(i, RENDER_NOT_FOUND);
	ck_assert_int_eq(render_line(doc, i)->kind, RENDER_BODY);
	ck_assert_str_eq(render_line(doc, i + 1)->text, "        Tabbed");
	i = doc_find(doc, "--"); /* its space trimmed */
	ck_assert_uint_ne(i, RENDER_NOT_FOUND);
	ck_assert_int_eq(render_line(doc, i)->kind, RENDER_SIGNATURE);
	ck_assert_int_eq(render_line(doc, i + 1)->kind, RENDER_SIGNATURE);
	ck_assert_uint_eq(render_nlines(doc), i + 2);
	render_free(doc);
}
END_TEST

START_TEST(test_render_headers_opt)
{
	static const char *const names[] = {"Subject", "X-Other", NULL};
	struct render_opts o;
	struct render_doc *doc;
	const char *m =
	    "From: a@x.org\r\nSubject: s\r\nX-Other: o\r\n\r\nb\r\n";

	memset(&o, 0, sizeof o);
	o.headers = names;
	doc = render_message(m, strlen(m), &o);
	ck_assert_str_eq(render_line(doc, 0)->text, "Subject: s");
	ck_assert_str_eq(render_line(doc, 1)->text, "X-Other: o");
	ck_assert_str_eq(render_line(doc, 2)->text, "");
	ck_assert_str_eq(render_line(doc, 3)->text, "b");
	render_free(doc);
}
END_TEST

START_TEST(test_render_flowed)
{
	struct render_doc *doc;
	const struct render_line *l;
	size_t i;

	doc = render_str("Content-Type: text/plain; format=flowed\r\n\r\n"
	                 "Hello \r\n"
	                 "world, this \r\n"
	                 "is one paragraph.\r\n"
	                 " >stuffed\r\n"
	                 "> quoted \r\n"
	                 "> text\r\n"
	                 ">> deeper\r\n"
	                 "-- \r\n"
	                 "sig \r\n"
	                 "line\r\n",
	    80);
	ck_assert_uint_ne(doc_find(doc, "Hello world, this is one paragraph."),
	    RENDER_NOT_FOUND);
	i = doc_find(doc, ">stuffed");
	ck_assert_uint_ne(i, RENDER_NOT_FOUND);
	ck_assert_int_eq(render_line(doc, i)->kind, RENDER_BODY);
	l = render_line(doc, i + 1);
	ck_assert_str_eq(l->text, "> quoted text");
	ck_assert_int_eq(l->kind, RENDER_QUOTE);
	ck_assert_int_eq(l->level, 1);
	l = render_line(doc, i + 2);
	ck_assert_str_eq(l->text, ">> deeper");
	ck_assert_int_eq(l->level, 2);
	ck_assert_int_eq(render_line(doc, i + 3)->kind, RENDER_SIGNATURE);
	ck_assert_str_eq(render_line(doc, i + 4)->text, "sig line");
	ck_assert_int_eq(render_line(doc, i + 4)->kind, RENDER_SIGNATURE);
	render_free(doc);

	/* A quoted signature separator is not flowed, and does not make
	 * the reply after it a signature. */
	doc = render_str("Content-Type: text/plain; format=flowed\r\n\r\n"
	                 "> text\r\n"
	                 "> -- \r\n"
	                 "> their sig\r\n"
	                 "reply\r\n",
	    80);
	i = doc_find(doc, "> --");
	ck_assert_uint_ne(i, RENDER_NOT_FOUND);
	ck_assert_str_eq(render_line(doc, i + 1)->text, "> their sig");
	ck_assert_int_eq(render_line(doc, i + 2)->kind, RENDER_BODY);
	render_free(doc);

	/* DelSp=yes: the space before the break is not the text's. */
	doc = render_str("Content-Type: text/plain; format=flowed; "
	                 "delsp=yes\r\n\r\n"
	                 "Verylong \r\n"
	                 "word \r\n"
	                 "here\r\n",
	    80);
	ck_assert_uint_ne(doc_find(doc, "Verylongwordhere"), RENDER_NOT_FOUND);
	render_free(doc);

	/* A long flowed quote is rewrapped with its prefix on every line. */
	doc = render_str("Content-Type: text/plain; format=flowed\r\n\r\n"
	                 "> aaaa bbbb cccc dddd \r\n"
	                 "> eeee ffff gggg hhhh\r\n",
	    20);
	for (i = 0; i < render_nlines(doc); i++) {
		l = render_line(doc, i);
		if (l->kind == RENDER_QUOTE)
			ck_assert_msg(
			    strncmp(l->text, "> ", 2) == 0, "%s", l->text);
	}
	ck_assert_uint_ne(doc_find(doc, "> aaaa bbbb cccc"), RENDER_NOT_FOUND);
	render_free(doc);
}
END_TEST

START_TEST(test_render_quotes)
{
	struct render_doc *doc;
	size_t i;

	doc = render_str("Subject: q\r\n\r\n"
	                 "> one\r\n"
	                 ">> two\r\n"
	                 "> > two too\r\n"
	                 ">>> > four\r\n"
	                 "none > here\r\n",
	    80);
	i = doc_find(doc, "> one");
	ck_assert_int_eq(render_line(doc, i)->kind, RENDER_QUOTE);
	ck_assert_int_eq(render_line(doc, i)->level, 1);
	ck_assert_int_eq(render_line(doc, i + 1)->level, 2);
	ck_assert_int_eq(render_line(doc, i + 2)->level, 2);
	ck_assert_int_eq(render_line(doc, i + 3)->level, 4);
	ck_assert_int_eq(render_line(doc, i + 4)->kind, RENDER_BODY);
	ck_assert_int_eq(render_line(doc, i + 4)->level, 0);
	render_free(doc);

	/* A long quoted line wraps with its marks. */
	doc = render_str("Subject: q\r\n\r\n"
	                 ">> aaaa bbbb cccc dddd eeee\r\n",
	    16);
	i = doc_find(doc, ">> aaaa bbbb");
	ck_assert_uint_ne(i, RENDER_NOT_FOUND);
	ck_assert_str_eq(render_line(doc, i + 1)->text, ">> cccc dddd");
	ck_assert_int_eq(render_line(doc, i + 1)->level, 2);
	ck_assert_str_eq(render_line(doc, i + 2)->text, ">> eeee");
	render_free(doc);
}
END_TEST

static const char html_msg[] =
    "Content-Type: text/html; charset=utf-8\r\n\r\n"
    "<html><head><title>T</title><style>p { color: red }</style>"
    "<script>alert('x')</script></head><body>"
    "<p>First&nbsp;para &amp; more&#33; &#x263A; &eacute;</p>"
    "<p>Second\n   line<br>broken</p>"
    "<ul><li>one</li><li>two</li></ul>"
    "<ol><li>first</li><li>second</li></ol>"
    "<a href=\"https://example.org/x?a=1&amp;b=2\">link</a> "
    "<a href=\"https://same.org\">https://same.org</a>"
    "<blockquote>quoted</blockquote>"
    "<!-- <p>comment</p> -->"
    "<div>&lt;tag&gt; &bogus; &#0; &#27;</div>"
    "</body></html>";

START_TEST(test_render_html)
{
	struct render_doc *doc;
	char *t;
	size_t i;

	doc = render_str(html_msg, 80);
	t = doc_text(doc);
	ck_assert_ptr_null(strstr(t, "alert"));
	ck_assert_ptr_null(strstr(t, "color"));
	ck_assert_ptr_null(strstr(t, "comment"));
	ck_assert_ptr_null(strstr(t, "<p>"));
	ck_assert_msg(doc_find(doc,
	                  "First para & more! \xe2\x98\xba "
	                  "\xc3\xa9") != RENDER_NOT_FOUND,
	    "%s", t);
	ck_assert_msg(
	    doc_find(doc, "Second line") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_msg(doc_find(doc, "broken") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_msg(doc_find(doc, "* one") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_msg(doc_find(doc, "* two") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_msg(doc_find(doc, "1. first") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_msg(doc_find(doc, "2. second") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_msg(strstr(t,
	                  "link <https://example.org/x?a=1&b=2> "
	                  "https://same.org\n") != NULL,
	    "%s", t);
	i = doc_find(doc, "> quoted");
	ck_assert_msg(i != RENDER_NOT_FOUND, "%s", t);
	ck_assert_int_eq(render_line(doc, i)->kind, RENDER_QUOTE);
	ck_assert_msg(doc_find(doc, "<tag> &bogus; " TEXT_REPLACEMENT) !=
	        RENDER_NOT_FOUND,
	    "%s", t);
	free(t);
	render_free(doc);
}
END_TEST

/* An html function for the tests: "CMD:" and the part's first bytes, or
 * NULL (the built-in) when arg says so; counts its calls. */
static int html_calls;

static char *
html_fn(void *arg, const char *html, size_t len, size_t *outlen)
{
	char *out;

	html_calls++;
	if (arg != NULL)
		return NULL;
	xasprintf(&out, "CMD:%.*s\n", (int)(len < 6 ? len : 6), html);
	*outlen = strlen(out);
	return out;
}

START_TEST(test_render_html_viewer)
{
	static const char two[] =
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/html\r\n\r\n<html>one</html>\r\n"
	    "--b\r\nContent-Type: text/html\r\n\r\n<p>two</p>\r\n--b--\r\n";
	struct render_opts o;
	struct render_doc *doc;
	char *t;

	memset(&o, 0, sizeof o);
	o.html = html_fn;
	html_calls = 0;
	doc = render_message(html_msg, strlen(html_msg), &o);
	t = doc_text(doc);
	ck_assert_msg(strstr(t, "CMD:<html>") != NULL, "%s", t);
	ck_assert_ptr_null(strstr(t, "* one"));
	ck_assert_ptr_null(check_doc(doc, 80));
	ck_assert_int_eq(html_calls, 1);
	free(t);
	render_free(doc);

	/* Each HTML part shown, in order. */
	html_calls = 0;
	doc = render_message(two, strlen(two), &o);
	t = doc_text(doc);
	ck_assert_msg(strstr(t, "CMD:<html>") != NULL &&
	        strstr(t, "CMD:<p>two") > strstr(t, "CMD:<html>"),
	    "%s", t);
	ck_assert_int_eq(html_calls, 2);
	free(t);
	render_free(doc);

	/* NULL from it: the built-in converter. */
	o.html_arg = &o;
	doc = render_message(html_msg, strlen(html_msg), &o);
	ck_assert_uint_ne(doc_find(doc, "* one"), RENDER_NOT_FOUND);
	render_free(doc);
}
END_TEST

START_TEST(test_render_alternative)
{
	struct render_doc *doc;
	char *t;
	const char *both =
	    "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nplain version\r\n"
	    "--b\r\nContent-Type: text/html\r\n\r\n<p>html version</p>\r\n"
	    "--b--\r\n";
	const char *html =
	    "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: multipart/related; boundary=c\r\n\r\n"
	    "--c\r\nContent-Type: text/html\r\n\r\n<p>only html</p>\r\n"
	    "--c\r\nContent-Type: image/png\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
	    "--c--\r\n--b--\r\n";

	doc = render_str(both, 80);
	t = doc_text(doc);
	ck_assert_msg(strstr(t, "plain version") != NULL, "%s", t);
	ck_assert_msg(strstr(t, "html version") == NULL, "%s", t);
	ck_assert_uint_eq(render_nattachments(doc), 0);
	free(t);
	render_free(doc);
	doc = render_str(html, 80);
	t = doc_text(doc);
	ck_assert_msg(doc_find(doc, "only html") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_uint_eq(render_nattachments(doc), 1);
	ck_assert_str_eq(render_attachment(doc, 0)->type, "image/png");
	ck_assert_uint_eq(render_attachment(doc, 0)->size, 8);
	free(t);
	render_free(doc);
}
END_TEST

START_TEST(test_render_encodings)
{
	struct render_doc *doc;

	doc = render_str("Content-Type: text/plain; charset=utf-8\r\n"
	                 "Content-Transfer-Encoding: base64\r\n\r\n"
	                 "Y2Fmw6kgYmFzZTY0Cg==\r\n",
	    80);
	ck_assert_uint_ne(
	    doc_find(doc, "caf\xc3\xa9 base64"), RENDER_NOT_FOUND);
	render_free(doc);
	doc = render_str("Content-Type: text/plain; charset=utf-8\r\n"
	                 "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	                 "caf=C3=A9 soft=\r\n break =3D\r\n",
	    80);
	ck_assert_uint_ne(
	    doc_find(doc, "caf\xc3\xa9 soft break ="), RENDER_NOT_FOUND);
	render_free(doc);
	/* broken base64: what decodes is shown, nothing worse */
	doc = render_str("Content-Type: text/plain\r\n"
	                 "Content-Transfer-Encoding: base64\r\n\r\n"
	                 "aGVsbG8*** !!\r\nd29y\r\n",
	    80);
	render_free(doc);
}
END_TEST

/* Bodies in a charset and what they are in UTF-8. */
static const struct {
	const char *charset;
	const char *body;
	const char *utf8;
} charsets[] = {
    {"iso-8859-1", "caf\xe9", "caf\xc3\xa9"},
    {"ISO-8859-1", "\x93q\x94", "\xe2\x80\x9cq\xe2\x80\x9d"}, /* as 1252 */
    {"koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4",
        "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"},
    {"shift_jis", "\x83\x65\x83\x58\x83\x67",
        "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"},
    {"gb2312", "\xc4\xe3\xba\xc3", "\xe4\xbd\xa0\xe5\xa5\xbd"},
    {"iso-2022-jp", "\x1b$B%F%9%H\x1b(B",
        "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"},
    {"x-no-such-charset", "caf\xe9 \x93", "caf\xc3\xa9 \xe2\x80\x9c"},
    {"us-ascii", "caf\xe9", "caf\xc3\xa9"}, /* 8-bit in ASCII: fallback */
    {"utf-8", "caf\xe9", "caf" TEXT_REPLACEMENT},
    {"utf-8", "ok \xc3\xa9", "ok \xc3\xa9"},
    /* issue 12, item 5: labels from the wild, and labels that lie */
    {"CHINESEBIG5", "\xa4\xa4\xa4\xe5", "\xe4\xb8\xad\xe6\x96\x87"},
    {"GB2312_CHARSET", "\xd6\xd0\xce\xc4", "\xe4\xb8\xad\xe6\x96\x87"},
    {"ks_c_5601-1987", "\xc7\xd1\xb1\xb9", "\xed\x95\x9c\xea\xb5\xad"},
    {"x-sjis", "\x83\x65\x83\x58\x83\x67",
        "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"},
    {"gb2312", "\xe4\xb8\xad\xe6\x96\x87 UTF-8",
        "\xe4\xb8\xad\xe6\x96\x87 UTF-8"}, /* converts, as nonsense */
    {"iso-8859-1", "na\xc3\xafve", "na\xc3\xafve"},
    {"koi8-r", "\xd0\x9f\xd1\x80\xd0\xb8", "\xd0\x9f\xd1\x80\xd0\xb8"},
    {"x-unknown", "caf\xc3\xa9", "caf\xc3\xa9"},
};

START_TEST(test_render_charset)
{
	struct render_doc *doc;
	char *m;

	xasprintf(&m,
	    "Content-Type: text/plain; charset=\"%s\"\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n",
	    charsets[_i].charset, charsets[_i].body);
	doc = render_str(m, 80);
	ck_assert_msg(doc_find(doc, charsets[_i].utf8) != RENDER_NOT_FOUND,
	    "%s: got '%s'", charsets[_i].charset,
	    render_nlines(doc) > 1 ? render_line(doc, 1)->text : "");
	render_free(doc);
	free(m);
}
END_TEST

START_TEST(test_render_fallback_charset)
{
	struct render_opts o;
	struct render_doc *doc;
	const char *m = "Content-Type: text/plain\r\n\r\n\xb0\xa1\r\n";

	memset(&o, 0, sizeof o);
	o.charset = "euc-kr";
	doc = render_message(m, strlen(m), &o);
	ck_assert_uint_ne(doc_find(doc, "\xea\xb0\x80"), RENDER_NOT_FOUND);
	render_free(doc);
	o.charset = "no-such-charset";
	doc = render_message(m, strlen(m), &o);
	ck_assert_ptr_null(check_doc(doc, 80));
	render_free(doc);
}
END_TEST

/*
 * Issue 12, items 1-3: a line of spaces before the headers; raw 8-bit bytes
 * inside encoded words; the pager's headers are the index's (the same
 * mime.c path, the same charset hint).
 */
START_TEST(test_render_decoding_classes)
{
	static const char *raw[] = {
	    "Subject: =?iso-8859-1?Q?Fr\xf6sche?= und "
	    "=?iso-8859-1?Q?K=F6nig?=\r\n"
	    "From: =?iso-8859-1?Q?J\xf6rg?= <j@x.org>\r\n"
	    "To: =?iso-8859-1?Q?Fr\xf6sche?= <f@x.org>\r\n",
	    "Subject: \xc7\xd1\xb1\xb9\xbe\xee \xc1\xa6\xb8\xf1\r\n"
	    "From: \xb1\xe8\xc3\xb6\xbc\xf6 <kim@x.kr>\r\n"
	    "Content-Type: text/plain; charset=euc-kr\r\n",
	    "Subject: \xc7ok g\xfczel \xfe\xfd\r\n"
	    "From: \xd0\x98\xd0\xb2\xd0\xb0\xd0 \xd0\x9f\xd0\xb5\xd1\x82 "
	    "<i@x.ru>\r\n"
	    "Content-Type: text/plain; charset=iso-8859-9\r\n",
	    ("Subject: \xd6\xd0\xce\xc4\r\n"
	     "Content-Type: text/plain; charset=GB2312_CHARSET\r\n"),
	};
	struct render_doc *doc;
	struct mime_headers *h;
	char *m, *want, *t;
	size_t i;

	/* Item 1: a line of white space first is not the end of the header. */
	doc = render_str(" \t \r\n"
	                 "From: Ann <ann@x.org>\r\n"
	                 "Subject: spaced\r\n"
	                 "MIME-Version: 1.0\r\n"
	                 "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	                 "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
	                 "--b\r\nContent-Type: application/pdf; name=a.pdf\r\n"
	                 "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n"
	                 "--b--\r\n",
	    80);
	t = doc_text(doc);
	ck_assert_msg(
	    doc_find(doc, "Subject: spaced") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_msg(strstr(t, "--b") == NULL, "%s", t);
	ck_assert_msg(strstr(t, "MIME-Version") == NULL, "%s", t);
	ck_assert_uint_ne(doc_find(doc, "hello"), RENDER_NOT_FOUND);
	ck_assert_uint_eq(render_nattachments(doc), 1);
	ck_assert_str_eq(render_attachment(doc, 0)->filename, "a.pdf");
	free(t);
	render_free(doc);

	/* Items 2-4: the pager's Subject and To lines are the index's. */
	for (i = 0; i < sizeof raw / sizeof raw[0]; i++) {
		xasprintf(&m, "%s\r\nbody\r\n", raw[i]);
		h = mime_headers_decode(m, strlen(m), NULL);
		doc = render_str(m, 200);
		t = doc_text(doc);
		xasprintf(&want, "Subject: %s", h->subject);
		ck_assert_msg(doc_find(doc, want) != RENDER_NOT_FOUND,
		    "%zu: index '%s', pager:\n%s", i, h->subject, t);
		ck_assert_msg(strstr(t, "\xc3\x83") == NULL, "%zu: %s", i, t);
		free(want);
		if (*h->to != '\0') {
			xasprintf(&want, "To: %s", h->to);
			ck_assert_msg(doc_find(doc, want) != RENDER_NOT_FOUND,
			    "%zu: %s", i, t);
			free(want);
		}
		if (*h->from_name != '\0') {
			xasprintf(
			    &want, "From: %s <%s>", h->from_name, h->from_addr);
			ck_assert_msg(doc_find(doc, want) != RENDER_NOT_FOUND,
			    "%zu: %s", i, t);
			free(want);
		}
		free(t);
		render_free(doc);
		mime_headers_free(h);
		free(m);
	}

	/* And what they are. */
	doc = render_str(raw[0], 80);
	ck_assert_uint_ne(
	    doc_find(doc, "Subject: Fr\xc3\xb6sche und K\xc3\xb6nig"),
	    RENDER_NOT_FOUND);
	ck_assert_uint_ne(
	    doc_find(doc, "To: Fr\xc3\xb6sche <f@x.org>"), RENDER_NOT_FOUND);
	render_free(doc);
	doc = render_str(raw[1], 80);
	ck_assert_uint_ne(doc_find(doc,
	                      "Subject: \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 "
	                      "\xec\xa0\x9c\xeb\xaa\xa9"),
	    RENDER_NOT_FOUND);
	render_free(doc);
	doc = render_str(raw[2], 80);
	ck_assert_uint_ne(doc_find(doc,
	                      "Subject: \xc3\x87ok g\xc3\xbczel "
	                      "\xc5\x9f\xc4\xb1"),
	    RENDER_NOT_FOUND);
	ck_assert_uint_ne(doc_find(doc,
	                      "From: \xd0\x98\xd0\xb2\xd0\xb0" FFFD
	                      " \xd0\x9f\xd0\xb5\xd1\x82 <i@x.ru>"),
	    RENDER_NOT_FOUND);
	render_free(doc);
}
END_TEST

/* The attributes of the first line of doc that is exactly text, as a
 * string of digits (one a byte), "-" for a plain line, NULL when none. */
static char *
doc_attr(const struct render_doc *doc, const char *text)
{
	const struct render_line *l;
	size_t at = doc_find(doc, text), i;
	char *out;

	if (at == RENDER_NOT_FOUND)
		return NULL;
	l = render_line(doc, at);
	if (l->attr == NULL)
		return xstrdup("-");
	out = xmalloc(l->len + 1);
	for (i = 0; i < l->len; i++)
		out[i] = (char)('0' + l->attr[i]);
	out[l->len] = '\0';
	return out;
}

/* Issue 12, item 6: text/enriched (RFC 1896) is text, not markup. */
START_TEST(test_render_enriched)
{
	struct render_doc *doc;
	char *t, *a;

	doc = render_str("Subject: rich\r\n"
	                 "Content-Type: text/enriched; charset=us-ascii\r\n\r\n"
	                 "<bold>Bold</bold> and <italic>slanted</italic>\r\n"
	                 "words, <underline>one line</underline>.\r\n"
	                 "\r\n"
	                 "<<not a tag> <x-unknown>kept</x-unknown> "
	                 "<color><param>red</param>plain</color>\r\n"
	                 "\r\n\r\n"
	                 "<BOLD><Italic>both</Italic></BOLD>\r\n"
	                 "<excerpt>a quote\r\nsame line</excerpt>\r\n"
	                 "<nofill>one\r\ntwo</nofill>\r\n",
	    80);
	t = doc_text(doc);
	ck_assert_msg(strchr(t, '<') == strstr(t, "<not a tag>"), "%s", t);
	ck_assert_msg(strstr(t, "red") == NULL, "%s", t);
	/* one newline is a space, two a line break, three two */
	ck_assert_msg(strstr(t,
	                  "\nBold and slanted words, one line.\n"
	                  "<not a tag> kept plain\n\nboth\n") != NULL,
	    "%s", t);
	ck_assert_msg(strstr(t, "\n> a quote same line\n") != NULL, "%s", t);
	ck_assert_msg(strstr(t, "\none\ntwo\n") != NULL, "%s", t);
	ck_assert_int_eq(
	    render_line(doc, doc_find(doc, "> a quote same line"))->kind,
	    RENDER_QUOTE);
	a = doc_attr(doc, "Bold and slanted words, one line.");
	ck_assert_str_eq(a,
	    "111100000"
	    "2222222"
	    "00000000"
	    "44444444"
	    "0");
	free(a);
	a = doc_attr(doc, "both");
	ck_assert_str_eq(a, "3333");
	free(a);
	a = doc_attr(doc, "<not a tag> kept plain");
	ck_assert_str_eq(a, "-");
	free(a);
	free(t);
	render_free(doc);

	/* Attributes follow a wrapped line; a tag cut short is text. */
	doc = render_str("Content-Type: text/enriched\r\n\r\n"
	                 "<bold>aaaa bbbb cccc</bold> dddd <bold",
	    12);
	a = doc_attr(doc, "aaaa bbbb");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a, "111111111");
	free(a);
	a = doc_attr(doc, "cccc dddd");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a, "111100000");
	free(a);
	ck_assert_uint_ne(doc_find(doc, "<bold"), RENDER_NOT_FOUND);
	render_free(doc);
}
END_TEST

/* Text labelled base64 that is not: shown as it is, not as nonsense. */
/*
 * Issue 12, item 7: text in charsets that are not ASCII-compatible (UTF-16
 * with a BOM in base64, big-endian UTF-16 without one sent as binary, NULs
 * and all, UTF-32 in base64) shows as its lines; a binary file's bytes are
 * saved as they are. (The parts come whole from BINARY[n]: src/engine/fetch.c.)
 */
START_TEST(test_render_wide)
{
	static const char head[] = "MIME-Version: 1.0\r\n"
	                           "Content-Type: multipart/mixed; boundary=b"
	                           "\r\n\r\n--b\r\n";
	static const char parts[] =
	    "Content-Type: text/plain; charset=utf-16\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "//5HAHIA/"
	    "ADfAGUAIABhAHUAcwAgAEsA9gBsAG4ALgANAAoAWgB3AGUAaQB0AGUAIABa"
	    "AGUAaQBsAGUAIADlZSxnLgANAAoA\r\n"
	    "--b\r\n"
	    "Content-Type: text/plain; charset=utf-32le\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "RwAAAHIAAAD8AAAA3wAAAGUAAAAgAAAAYQAAAHUAAABzAAAAIAAAAEsAAAD2AAAAbA"
	    "AA"
	    "AG4AAAAuAAAADQAAAAoAAABaAAAAdwAAAGUAAABpAAAAdAAAAGUAAAAgAAAAWgAAAG"
	    "UA"
	    "AABpAAAAbAAAAGUAAAAgAAAA5WUAACxnAAAuAAAADQAAAAoAAAA=\r\n"
	    "--b\r\n"
	    "Content-Type: text/plain; charset=UTF-16\r\n"
	    "Content-Transfer-Encoding: binary\r\n\r\n";
	/* "Grüße aus Köln.\r\nZweite Zeile 日本.\r\n", UTF-16BE, no BOM */
	static const char be[] =
	    "\x00\x47\x00\x72\x00\xfc\x00\xdf\x00\x65\x00\x20\x00\x61\x00\x75"
	    "\x00\x73\x00\x20\x00\x4b\x00\xf6\x00\x6c\x00\x6e\x00\x2e\x00\x0d"
	    "\x00\x0a\x00\x5a\x00\x77\x00\x65\x00\x69\x00\x74\x00\x65\x00\x20"
	    "\x00\x5a\x00\x65\x00\x69\x00\x6c\x00\x65\x00\x20\x65\xe5\x67\x2c"
	    "\x00\x2e\x00\x0d\x00\x0a";
	static const char file[] = "\x00\x01\r\x00\n\xff\x00";
	static const char att[] =
	    "\r\n--b\r\n"
	    "Content-Type: application/octet-stream; name=x.bin\r\n"
	    "Content-Transfer-Encoding: binary\r\n\r\n";
	static const char tail[] = "\r\n--b--\r\n";
	struct render_doc *doc;
	char *m, *text, *data;
	size_t len = 0, n, i, first, second;

	m = xmalloc(sizeof head + sizeof parts + sizeof be + sizeof file +
	    sizeof att + sizeof tail);
#define PUT(a, k)                                                              \
	do {                                                                   \
		memcpy(m + len, (a), (k));                                     \
		len += (k);                                                    \
	} while (0)
	PUT(head, sizeof head - 1);
	PUT(parts, sizeof parts - 1);
	PUT(be, sizeof be - 1);
	PUT(att, sizeof att - 1);
	PUT(file, sizeof file - 1);
	PUT(tail, sizeof tail - 1);
#undef PUT
	doc = render_message(m, len, NULL);
	ck_assert_ptr_null(check_doc(doc, 80));
	text = doc_text(doc);
	/* Three parts, each two lines, the second right after the first. */
	for (n = 0, i = 0; i < render_nlines(doc); i = first + 1) {
		first = RENDER_NOT_FOUND;
		for (; i < render_nlines(doc); i++)
			if (strcmp(render_line(doc, i)->text,
			        "Gr\xc3\xbc\xc3\x9f"
			        "e aus K\xc3\xb6ln.") == 0) {
				first = i;
				break;
			}
		if (first == RENDER_NOT_FOUND)
			break;
		second = first + 1;
		ck_assert_msg(second < render_nlines(doc) &&
		        strcmp(render_line(doc, second)->text,
		            "Zweite Zeile \xe6\x97\xa5\xe6\x9c\xac.") == 0,
		    "part %zu, line 2 wrong in:\n%s", n + 1, text);
		n++;
	}
	ck_assert_msg(n == 3, "%zu of 3 wide parts right in:\n%s", n, text);
	ck_assert_uint_eq(render_nattachments(doc), 1);
	ck_assert_uint_eq(render_attachment(doc, 0)->size, sizeof file - 1);
	data = render_attachment_content(m, len, NULL, 0, &n);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(n, sizeof file - 1);
	ck_assert_mem_eq(data, file, n);
	free(data);
	free(text);
	render_free(doc);
	free(m);
}
END_TEST

START_TEST(test_render_not_base64)
{
	struct render_doc *doc;

	doc = render_str("Content-Type: text/plain; charset=utf-8\r\n"
	                 "Content-Transfer-Encoding: base64\r\n\r\n"
	                 "Plain words  that were never encoded\r\n"
	                 "and a second line of them\r\n",
	    80);
	ck_assert_uint_ne(doc_find(doc, "Plain words  that were never encoded"),
	    RENDER_NOT_FOUND);
	render_free(doc);
	/* real base64, with a stray character, is still decoded */
	doc = render_str("Content-Type: text/plain\r\n"
	                 "Content-Transfer-Encoding: base64\r\n\r\n"
	                 "SGVsbG8gV29y\r\nbGQh\r\n",
	    80);
	ck_assert_uint_ne(doc_find(doc, "Hello World!"), RENDER_NOT_FOUND);
	render_free(doc);
}
END_TEST

/* Issue 12, item 8: uuencoded files in text are attachments. */
START_TEST(test_render_uuencode)
{
	/* "hello uu\n" and the bytes 00 ff 80, encoded by hand (and checked
	 * against Python's binascii.b2a_uu) */
	static const char m[] =
	    "Subject: uu\r\n"
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\n"
	    "Two files:\r\n"
	    "begin 644 greeting.txt\r\n"
	    "):&5L;&\\@=74*\r\n"
	    "`\r\n"
	    "end\r\n"
	    "and\r\n"
	    "begin 600 bytes.bin\r\n"
	    "#`/^`\r\n"
	    "`\r\n"
	    "end\r\n"
	    "Bye.\r\n"
	    "--b\r\nContent-Type: application/pdf; name=doc.pdf\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n"
	    "--b--\r\n";
	struct render_doc *doc;
	char *t, *data;
	size_t len;

	doc = render_str(m, 80);
	t = doc_text(doc);
	ck_assert_msg(strstr(t, "Two files:\nand\nBye.\n") != NULL, "%s", t);
	ck_assert_msg(strstr(t, "begin") == NULL, "%s", t);
	ck_assert_uint_eq(render_nattachments(doc), 3);
	ck_assert_str_eq(render_attachment(doc, 0)->filename, "greeting.txt");
	ck_assert_uint_eq(render_attachment(doc, 0)->size, 9);
	ck_assert_str_eq(render_attachment(doc, 1)->filename, "bytes.bin");
	ck_assert_str_eq(
	    render_attachment(doc, 1)->type, "application/octet-stream");
	ck_assert_uint_eq(render_attachment(doc, 1)->size, 3);
	ck_assert_str_eq(render_attachment(doc, 2)->filename, "doc.pdf");
	ck_assert_msg(
	    doc_find(doc,
	        "[-- Attachment #1: greeting.txt, "
	        "application/octet-stream, 9 bytes --]") != RENDER_NOT_FOUND,
	    "%s", t);
	free(t);
	render_free(doc);

	/* What is saved is the file. */
	data = render_attachment_content(m, strlen(m), NULL, 0, &len);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(len, 9);
	ck_assert_mem_eq(data, "hello uu\n", 9);
	free(data);
	data = render_attachment_content(m, strlen(m), NULL, 1, &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(data, "\x00\xff\x80", 3);
	free(data);
	data = render_attachment_content(m, strlen(m), NULL, 2, &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(data, "%PDF", 4);
	free(data);
	ck_assert_ptr_null(
	    render_attachment_content(m, strlen(m), NULL, 3, &len));

	/* Not uuencode: a line that does not decode, no "end", no mode. */
	doc = render_str("Content-Type: text/plain\r\n\r\n"
	                 "begin 644 a.txt\r\nnot uuencode at all\r\nend\r\n"
	                 "begin 644 b.txt\r\n#`/^`\r\n"
	                 "begin the beguine\r\n",
	    80);
	ck_assert_uint_eq(render_nattachments(doc), 0);
	ck_assert_uint_ne(doc_find(doc, "begin 644 a.txt"), RENDER_NOT_FOUND);
	ck_assert_uint_ne(doc_find(doc, "#`/^`"), RENDER_NOT_FOUND);
	ck_assert_uint_ne(doc_find(doc, "begin the beguine"), RENDER_NOT_FOUND);
	render_free(doc);
}
END_TEST

/* Saving: a name is never a path, an existing file is never replaced. */
START_TEST(test_render_save)
{
	static const struct {
		const char *in;
		const char *out;
	} names[] = {
	    {"report.pdf", "report.pdf"},
	    {"../../etc/passwd", "passwd"},
	    {"C:\\Users\\x\\evil.exe", "evil.exe"},
	    {".bashrc", "bashrc"},
	    {"a\x1b[31mb.txt", "a[31mb.txt"},
	    {"", "attachment-3"},
	    {"/", "attachment-3"},
	    {"..", "attachment-3"},
	    {"caf\xc3\xa9 menu.txt", "caf\xc3\xa9 menu.txt"},
	};
	static const char m[] = "Content-Type: text/plain\r\n\r\n"
	                        "begin 644 ../up/greeting.txt\r\n"
	                        "):&5L;&\\@=74*\r\n`\r\nend\r\n";
	char dir[] = "/tmp/errand-test-save.XXXXXX", *s, *path, *err, *want;
	char buf[32];
	FILE *f;
	size_t i, n;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		s = render_safe_filename(names[i].in, 3);
		ck_assert_str_eq(s, names[i].out);
		free(s);
	}
	s = render_safe_filename(NULL, 1);
	ck_assert_str_eq(s, "attachment-1");
	free(s);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(render_attachment_save(
		                     m, strlen(m), NULL, 0, dir, &path, &err),
		    0);
		if (i == 0)
			xasprintf(&want, "%s/greeting.txt", dir);
		else
			xasprintf(&want, "%s/greeting-%zu.txt", dir, i);
		ck_assert_str_eq(path, want);
		ck_assert_ptr_nonnull(f = fopen(path, "rb"));
		n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		ck_assert_uint_eq(n, 9);
		ck_assert_mem_eq(buf, "hello uu\n", 9);
		/* it stays: the next one may not replace it */
		free(want);
		free(path);
	}
	ck_assert_int_eq(
	    render_attachment_save(m, strlen(m), NULL, 1, dir, &path, &err),
	    -1);
	ck_assert_str_eq(err, "no attachment #2");
	free(err);
	ck_assert_int_eq(render_attachment_save(m, strlen(m), NULL, 0,
	                     "/nonexistent/dir", &path, &err),
	    -1);
	ck_assert_msg(strstr(err,
	                  "cannot save 'greeting.txt' in "
	                  "'/nonexistent/dir'") == err,
	    "%s", err);
	free(err);
	xasprintf(&s, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(s), 0);
	free(s);
}
END_TEST

START_TEST(test_render_wrap_cjk)
{
	struct render_doc *doc;
	const struct render_line *l;
	char *m, *body;
	size_t i, n = 0, cols[] = {80, 79, 11, 10};
	int c;

	/* 101 wide characters (202 columns), one word. */
	body = xmalloc(101 * 3 + 1);
	for (i = 0; i < 101; i++)
		memcpy(body + i * 3, "\xe4\xbd\xa0", 3);
	body[303] = '\0';
	xasprintf(&m,
	    "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"
	    "e\xcc\x81\xcc\x81 comb\r\n",
	    body);
	for (c = 0; c < 4; c++) {
		doc = render_str(m, cols[c]);
		for (i = n = 0; i < render_nlines(doc); i++) {
			l = render_line(doc, i);
			if (strncmp(l->text, "\xe4\xbd\xa0", 3) != 0)
				continue;
			ck_assert_uint_eq(l->width,
			    (cols[c] / 2) * 2 < 202 - n ? (cols[c] / 2) * 2
			                                : 202 - n);
			n += l->width;
		}
		ck_assert_uint_eq(n, 202);
		ck_assert_uint_ne(
		    doc_find(doc, "e\xcc\x81\xcc\x81 comb"), RENDER_NOT_FOUND);
		render_free(doc);
	}
	free(m);
	free(body);

	/* Words wrap at spaces; a long ASCII word is cut. */
	doc = render_str("Subject: w\r\n\r\naaa bbb ccc ddd eee "
	                 "xxxxxxxxxxxxxxxxxxxxxxxxx\r\n",
	    12);
	ck_assert_uint_ne(doc_find(doc, "aaa bbb ccc"), RENDER_NOT_FOUND);
	ck_assert_uint_ne(doc_find(doc, "ddd eee"), RENDER_NOT_FOUND);
	ck_assert_uint_ne(doc_find(doc, "xxxxxxxxxxxx"), RENDER_NOT_FOUND);
	ck_assert_uint_ne(doc_find(doc, "x"), RENDER_NOT_FOUND);
	render_free(doc);
}
END_TEST

START_TEST(test_render_escapes)
{
	struct render_doc *doc;
	char *t;

	doc = render_str("Subject: =?utf-8?q?a=1B]0;evil=07b?=\r\n"
	                 "Content-Type: text/plain; charset=utf-8\r\n\r\n"
	                 "x\x1b]0;title\x07y\r\n"
	                 "\x1b[2Jclear\r\n"
	                 "c1\xc2\x9b"
	                 "31mred\r\n"
	                 "bidi\xe2\x80\xae"
	                 "txet\xe2\x81\xa6!\r\n"
	                 "bell\x07 del\x7f\r\n"
	                 "nul\0byte\r\n",
	    80);
	t = doc_text(doc);
	/* Shown inert, as mutt shows them: ESC is ^[, BEL ^G, C1 CSI ^[[. */
	ck_assert_msg(strstr(t, "Subject: a^[]0;evil^Gb\n") != NULL, "%s", t);
	ck_assert_msg(
	    doc_find(doc, "x^[]0;title^Gy") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_msg(doc_find(doc, "^[[2Jclear") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_msg(
	    doc_find(doc, "c1^[[31mred") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_msg(doc_find(doc, "bidi txet!") == RENDER_NOT_FOUND, "%s", t);
	ck_assert_msg(doc_find(doc, "biditxet!") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_msg(
	    doc_find(doc, "bell^G del^?") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_ptr_null(strchr(t, '\x1b'));
	free(t);
	render_free(doc);

	/* The same in HTML, with numeric references. */
	doc = render_str("Content-Type: text/html\r\n\r\n"
	                 "<p>a&#27;]0;t&#7;b \x1b[2J &#x9b;c &#x202e;d</p>\r\n",
	    80);
	render_free(doc);
}
END_TEST

START_TEST(test_render_attachments)
{
	struct render_doc *doc;
	const struct render_attachment *a;
	char *t;

	doc = render_str(
	    "Content-Type: multipart/mixed; boundary=\"xx\"\r\n\r\n"
	    "--xx\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
	    "--xx\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment;\r\n"
	    " filename*=utf-8''caf%C3%A9%20menu.pdf\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n"
	    "--xx\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment;\r\n"
	    " filename*0*=iso-8859-1''na%EFve;\r\n"
	    " filename*1=\"-long.bin\"\r\n\r\nxyz\r\n"
	    "--xx\r\nContent-Type: text/plain; name=\"notes.txt\"\r\n"
	    "Content-Disposition: attachment\r\n\r\nnot shown\r\n"
	    "--xx\r\nContent-Type: image/gif; name==?utf-8?q?\x1b[31m.gif?=\r\n"
	    "\r\nGIF\r\n"
	    "--xx--\r\n",
	    80);
	t = doc_text(doc);
	ck_assert_uint_eq(render_nattachments(doc), 4);
	a = render_attachment(doc, 0);
	ck_assert_str_eq(a->filename, "caf\xc3\xa9 menu.pdf");
	ck_assert_str_eq(a->type, "application/pdf");
	ck_assert_uint_eq(a->size, 3);
	a = render_attachment(doc, 1);
	ck_assert_str_eq(a->filename, "na\xc3\xafve-long.bin");
	ck_assert_uint_eq(a->size, 3);
	ck_assert_str_eq(render_attachment(doc, 2)->filename, "notes.txt");
	ck_assert_ptr_null(strchr(render_attachment(doc, 3)->filename, 0x1b));
	ck_assert_msg(strstr(t, "not shown") == NULL, "%s", t);
	ck_assert_msg(doc_find(doc,
	                  "[-- Attachment #1: caf\xc3\xa9 menu.pdf, "
	                  "application/pdf, 3 bytes --]") != RENDER_NOT_FOUND,
	    "%s", t);
	ck_assert_int_eq(
	    render_line(doc, render_nlines(doc) - 1)->kind, RENDER_ATTACHMENT);
	free(t);
	render_free(doc);
}
END_TEST

START_TEST(test_render_rfc822)
{
	struct render_doc *doc;
	char *t;
	size_t i;

	doc = render_str(
	    "From: outer@x.org\r\nSubject: Fwd: inner\r\n"
	    "Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	    "--o\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
	    "--o\r\nContent-Type: message/rfc822\r\n\r\n"
	    "From: =?utf-8?b?w4lsaXNl?= <e@x.org>\r\n"
	    "Subject: inner\r\n"
	    "Content-Type: multipart/mixed; boundary=i\r\n\r\n"
	    "--i\r\nContent-Type: text/plain\r\n\r\ninner body\r\n"
	    "--i\r\nContent-Type: image/png; name=p.png\r\n\r\nPNG\r\n"
	    "--i--\r\n"
	    "--o--\r\n",
	    80);
	t = doc_text(doc);
	i = doc_find(doc, "[-- Attached message --]");
	ck_assert_msg(i != RENDER_NOT_FOUND, "%s", t);
	ck_assert_int_eq(render_line(doc, i)->kind, RENDER_SEPARATOR);
	i = doc_find(doc, "From: \xc3\x89lise <e@x.org>");
	ck_assert_msg(i != RENDER_NOT_FOUND, "%s", t);
	ck_assert_int_eq(render_line(doc, i)->kind, RENDER_HEADER);
	ck_assert_msg(doc_find(doc, "inner body") != RENDER_NOT_FOUND, "%s", t);
	ck_assert_uint_eq(render_nattachments(doc), 1);
	ck_assert_str_eq(render_attachment(doc, 0)->filename, "p.png");
	free(t);
	render_free(doc);
}
END_TEST

START_TEST(test_render_huge)
{
	struct render_doc *doc;
	char *m;
	size_t i, n = 5 << 20, hdr;
	clock_t start = clock();

	/* 5 MB of short lines, then 5 MB in one line. */
	m = xmalloc(n + 1);
	hdr = (size_t)snprintf(m, n, "Subject: big\r\n\r\n");
	for (i = hdr; i < n; i++)
		m[i] = (i % 70 == 0) ? '\n' : (char)('a' + i % 26);
	m[n] = '\0';
	doc = render_str(m, 80);
	ck_assert_uint_gt(render_nlines(doc), 70000);
	render_free(doc);
	for (i = hdr; i < n; i++)
		m[i] = (i % 7 == 0) ? ' ' : 'x';
	doc = render_str(m, 80);
	ck_assert_uint_gt(render_nlines(doc), 60000);
	render_free(doc);
	/* 2.6 million short lines: cut at RENDER_LINES_MAX, and said so. */
	for (i = hdr; i < n; i++)
		m[i] = (i % 2 == 0) ? '\n' : 'a';
	doc = render_str(m, 80);
	ck_assert_uint_eq(render_nlines(doc), RENDER_LINES_MAX + 1);
	ck_assert_int_eq(
	    render_line(doc, RENDER_LINES_MAX)->kind, RENDER_SEPARATOR);
	render_free(doc);
	/* No spaces, and wide characters, in one line. */
	for (i = hdr; i + 3 <= n; i += 3)
		memcpy(m + i, "\xe4\xbd\xa0", 3);
	m[i] = '\0';
	doc = render_str(m, 80);
	render_free(doc);
	free(m);
	ck_assert_msg((clock() - start) / CLOCKS_PER_SEC < 20, "too slow");
}
END_TEST

START_TEST(test_render_broken)
{
	static const char *broken[] = {
	    /* no closing boundary, cut in a header */
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	    "Content-Type: text/pl",
	    /* boundary never appears */
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\nhello\r\n",
	    /* no boundary parameter */
	    "Content-Type: multipart/alternative\r\n\r\n--x\r\n\r\nhi\r\n",
	    /* cut in base64 */
	    "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n"
	    "\r\naGVsbG8gd29y",
	    /* cut in quoted-printable */
	    "Content-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\nabc=C",
	    /* garbage Content-Type and encoding */
	    "Content-Type: ;;;===\r\nContent-Transfer-Encoding: x-what\r\n\r\n"
	    "body\r\n",
	    "Content-Type: text/plain; charset=\r\n\r\nbody\r\n",
	    "Content-Type: message/rfc822\r\n\r\n",
	    "Content-Type: message/rfc822\r\n\r\nnot: a message\r\n",
	    "Content-Type: text/html\r\n\r\n<a href=\"x<b <<<&#99999999999;"
	    "&#x; <script>never ends",
	    "Content-Type: text/html\r\n\r\n<blockquote><blockquote><ol><li>"
	    "<ol><li><ol><li><ol><li><ol><li><ol><li><ol><li><ol><li><ol><li>"
	    "<ol><li>deep",
	    "\r\n\r\n\r\n",
	    ":\r\n:\r\n\r\n",
	    "From \xff\xfe\r\n\x80\x81\r\n",
	};
	struct render_doc *doc;
	size_t i;

	for (i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		doc = render_str(broken[i], 80);
		render_free(doc);
		doc = render_str(broken[i], 10);
		render_free(doc);
	}
}
END_TEST

START_TEST(test_render_deep)
{
	struct render_doc *doc;
	char *m, *t;
	size_t i, n = 2000;

	/* 2000 nested multiparts: bounded, and said so. */
	m = xstrdup("");
	for (i = 0; i < n; i++) {
		xasprintf(&t,
		    "%sContent-Type: multipart/mixed; boundary=b%zu\r\n\r\n"
		    "--b%zu\r\n",
		    m, i, i);
		free(m);
		m = t;
	}
	xasprintf(&t, "%sContent-Type: text/plain\r\n\r\ndeep\r\n", m);
	free(m);
	doc = render_str(t, 80);
	ck_assert_uint_ne(
	    doc_find(doc, "[-- parts nested too deep: not shown --]"),
	    RENDER_NOT_FOUND);
	render_free(doc);
	free(t);

	/* 3000 parts side by side. */
	m = xstrdup("Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (i = 0; i < 3000; i++) {
		xasprintf(&t,
		    "%s--b\r\nContent-Type: application/x-%zu\r\n\r\nx\r\n", m,
		    i);
		free(m);
		m = t;
	}
	doc = render_str(m, 80);
	ck_assert_uint_lt(render_nattachments(doc), RENDER_PARTS_MAX);
	render_free(doc);
	free(m);
}
END_TEST

START_TEST(test_render_search)
{
	struct render_doc *doc;
	size_t a, b;

	doc = render_str("Subject: s\r\nContent-Type: text/plain; "
	                 "charset=utf-8\r\n\r\n"
	                 "first \xc3\x89T\xc3\x89 line\r\n"
	                 "middle\r\n"
	                 "last \xc3\xa9t\xc3\xa9 LINE\r\n",
	    80);
	a = doc_find(doc, "first \xc3\x89T\xc3\x89 line");
	b = doc_find(doc, "last \xc3\xa9t\xc3\xa9 LINE");
	ck_assert_uint_eq(render_search(doc, 0, "\xc3\xa9t\xc3\xa9", 1), a);
	ck_assert_uint_eq(
	    render_search(doc, a + 1, "\xc3\x89T\xc3\x89", RENDER_FORWARD), b);
	ck_assert_uint_eq(
	    render_search(doc, b + 1, "x", RENDER_FORWARD), RENDER_NOT_FOUND);
	ck_assert_uint_eq(render_search(doc, 1000, "line", RENDER_BACKWARD), b);
	ck_assert_uint_eq(
	    render_search(doc, b - 1, "LINE", RENDER_BACKWARD), a);
	ck_assert_uint_eq(render_search(doc, a - 1, "line", RENDER_BACKWARD),
	    RENDER_NOT_FOUND);
	ck_assert_uint_eq(render_search(doc, 0, "subject:", 1), 0);
	ck_assert_uint_eq(render_search(doc, 0, "", 1), RENDER_NOT_FOUND);
	ck_assert_uint_eq(render_search(doc, 0, NULL, 1), RENDER_NOT_FOUND);
	render_free(doc);
}
END_TEST

/* Every corpus message at 80 columns: no line too wide, no control. */
START_TEST(test_render_corpus)
{
	struct render_doc *doc;
	struct render_opts o;
	char *path, *index, *buf, *p, *eol;
	const char *why;
	size_t len, ilen, n = 0, bad = 0;

	memset(&o, 0, sizeof o);
	o.width = 80;
	xasprintf(&path, "%s/INDEX.txt", corpus_dir);
	index = read_file(path, &ilen);
	ck_assert_msg(index != NULL, "cannot read %s", path);
	free(path);
	for (p = index; *p != '\0'; p = *eol != '\0' ? eol + 1 : eol) {
		eol = p + strcspn(p, "\n");
		if (eol == p)
			continue;
		*eol = '\0';
		xasprintf(&path, "%s/messages/%s", corpus_dir, p);
		*eol = '\n';
		if ((buf = read_file(path, &len)) == NULL) {
			printf("# %s: cannot read\n", path);
			bad++;
			free(path);
			continue;
		}
		doc = render_message(buf, len, &o);
		if ((why = check_doc(doc, 80)) != NULL) {
			printf("# %s: %s\n", path, why);
			bad++;
		}
		n++;
		render_free(doc);
		free(buf);
		free(path);
	}
	free(index);
	printf("# corpus: %zu messages rendered, %zu bad\n", n, bad);
	ck_assert_uint_gt(n, 200);
	ck_assert_uint_eq(bad, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("render");
	SRunner *sr;
	int failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL &&
	    setlocale(LC_CTYPE, "en_US.UTF-8") == NULL) {
		puts("1..0 # SKIP no UTF-8 locale for wcwidth");
		return EXIT_SUCCESS;
	}
	if (getenv("top_srcdir") != NULL)
		xasprintf(
		    &corpus_dir, "%s/tests/data/corpus", getenv("top_srcdir"));
	else
		corpus_dir = xstrdup("tests/data/corpus");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_render_edge);
	tcase_add_test(tc, test_render_plain);
	tcase_add_test(tc, test_render_headers_opt);
	tcase_add_test(tc, test_render_flowed);
	tcase_add_test(tc, test_render_quotes);
	tcase_add_test(tc, test_render_html);
	tcase_add_test(tc, test_render_html_viewer);
	tcase_add_test(tc, test_render_alternative);
	tcase_add_test(tc, test_render_encodings);
	tcase_add_loop_test(
	    tc, test_render_charset, 0, sizeof charsets / sizeof charsets[0]);
	tcase_add_test(tc, test_render_fallback_charset);
	tcase_add_test(tc, test_render_decoding_classes);
	tcase_add_test(tc, test_render_enriched);
	tcase_add_test(tc, test_render_wide);
	tcase_add_test(tc, test_render_not_base64);
	tcase_add_test(tc, test_render_uuencode);
	tcase_add_test(tc, test_render_save);
	tcase_add_test(tc, test_render_wrap_cjk);
	tcase_add_test(tc, test_render_escapes);
	tcase_add_test(tc, test_render_attachments);
	tcase_add_test(tc, test_render_rfc822);
	tcase_add_test(tc, test_render_huge);
	tcase_add_test(tc, test_render_broken);
	tcase_add_test(tc, test_render_deep);
	tcase_add_test(tc, test_render_search);
	tcase_add_test(tc, test_render_corpus);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	mime_shutdown();
	free(corpus_dir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
