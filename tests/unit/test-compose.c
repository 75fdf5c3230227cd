/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/content/compose.c and compose-reply.c: messages built
 * from drafts and read back with GMime, the draft file, the reply and
 * forward rules, and every corpus message replied to and forwarded. */

#include <sys/resource.h>
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "content/compose.h"
#include "content/mime.h"
#include "xmalloc.h"

static char *tmp;

static void
setup(void)
{
	tmp = xstrdup("/tmp/errand-compose.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	mime_init();
}

static void
rm_rf(const char *path)
{
	char *cmd;

	xasprintf(&cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
	free(cmd);
}

static void
teardown(void)
{
	rm_rf(tmp);
	free(tmp);
}

static char *
tpath(const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", tmp, name);
	return p;
}

static void
put(const char *path, const char *s, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(s, 1, len, f), len);
	fclose(f);
}

static char *
get(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = xmalloc((size_t)n + 1);
	ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return s;
}

/* Build d into a file and return its bytes; NULL with *err on failure
 * (the file is then checked to be empty). */
static char *
build(const struct draft *d, const struct compose_opts *o,
    struct compose_envelope *env, char **err)
{
	char *path = tpath("out.eml"), *s;
	int fd;
	size_t len;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	if (compose_build(d, o, fd, env, err) != 0) {
		close(fd);
		s = get(path, &len);
		ck_assert_uint_eq(len, 0); /* nothing written */
		free(s);
		free(path);
		return NULL;
	}
	close(fd);
	s = get(path, NULL);
	free(path);
	return s;
}

/* The message raw read by GMime, its CRLF line ends made LF first. */
static GMimeMessage *
parse(const char *raw)
{
	char *lf = xstrdup(raw), *o = lf;
	const char *q;
	GMimeStream *s;
	GMimeParser *p;
	GMimeMessage *m;

	for (q = raw; *q != '\0'; q++)
		if (!(q[0] == '\r' && q[1] == '\n'))
			*o++ = *q;
	*o = '\0';
	s = g_mime_stream_mem_new_with_buffer(lf, strlen(lf));
	p = g_mime_parser_new_with_stream(s);
	m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(s);
	free(lf);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* The decoded content of part as a string. */
static char *
content(GMimePart *part)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *ba;
	char *s;

	g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(part), mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	s = xmalloc(ba->len + 1);
	memcpy(s, ba->data, ba->len);
	s[ba->len] = '\0';
	g_object_unref(mem);
	return s;
}

/* "type/subtype" of part, kept until the next call. */
static const char *
type_of(GMimePart *part)
{
	static char *last;

	g_free(last);
	last = g_mime_content_type_get_mime_type(
	    g_mime_object_get_content_type(GMIME_OBJECT(part)));
	return last;
}

static GMimePart *
part_n(GMimeMessage *m, int n)
{
	GMimeObject *o = g_mime_message_get_mime_part(m);

	if (GMIME_IS_MULTIPART(o))
		o = g_mime_multipart_get_part(GMIME_MULTIPART(o), n);
	ck_assert_ptr_nonnull(o);
	return GMIME_PART(o);
}

static void
draft_basic(struct draft *d, const char *body)
{
	compose_draft_init(d);
	d->from = xstrdup("Jörg Müller <jorg@example.org>");
	d->to = xstrdup("bob@example.com, \"Doe, Jane\" <jane@example.net>");
	d->cc = xstrdup("Ünal <unal@example.com>");
	d->bcc = xstrdup("secret@example.com, BOB@example.com");
	d->subject = xstrdup("Grüße aus Köln — 日本語");
	d->body = xstrdup(body);
}

START_TEST(test_build_headers)
{
	struct compose_envelope env;
	struct compose_opts o;
	struct draft d;
	GMimeMessage *m;
	InternetAddressList *l;
	char *raw, *err = NULL, *s;
	const char *id;

	draft_basic(&d, "Hello Bob.\n");
	memset(&o, 0, sizeof o);
	o.date = 1700000000;
	raw = build(&d, &o, &env, &err);
	ck_assert_msg(raw != NULL, "%s", err);
	/* Headers are ASCII: non-ASCII went into encoded words. */
	for (s = raw; *s != '\0' && strncmp(s, "\r\n\r\n", 4) != 0; s++)
		ck_assert_int_lt((unsigned char)*s, 0x80);
	ck_assert_ptr_nonnull(strstr(raw, "=?"));
	/* CRLF throughout. */
	for (s = raw; (s = strchr(s, '\n')) != NULL; s++)
		ck_assert_int_eq(s[-1], '\r');
	ck_assert_ptr_null(strstr(raw, "secret@"));
	ck_assert_ptr_null(strcasestr(raw, "\nBcc:"));
	m = parse(raw);
	ck_assert_str_eq(
	    g_mime_message_get_subject(m), "Grüße aus Köln — 日本語");
	l = g_mime_message_get_from(m);
	ck_assert_int_eq(internet_address_list_length(l), 1);
	ck_assert_str_eq(
	    internet_address_get_name(internet_address_list_get_address(l, 0)),
	    "Jörg Müller");
	l = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_CC);
	ck_assert_str_eq(
	    internet_address_get_name(internet_address_list_get_address(l, 0)),
	    "Ünal");
	l = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO);
	ck_assert_int_eq(internet_address_list_length(l), 2);
	ck_assert_str_eq(
	    internet_address_get_name(internet_address_list_get_address(l, 1)),
	    "Doe, Jane");
	id = g_mime_message_get_message_id(m);
	ck_assert_ptr_nonnull(id);
	ck_assert_ptr_nonnull(strstr(id, "@example.org"));
	ck_assert_str_eq(id, env.message_id);
	ck_assert_ptr_nonnull(g_mime_message_get_date(m));
	ck_assert_int_eq(
	    g_date_time_to_unix(g_mime_message_get_date(m)), 1700000000);
	ck_assert_str_eq(
	    g_mime_object_get_header(GMIME_OBJECT(m), "MIME-Version"), "1.0");
	ck_assert_ptr_null(g_mime_object_get_header(GMIME_OBJECT(m), "Bcc"));
	/* The envelope: all recipients, Bcc too, each once. */
	ck_assert_str_eq(env.from, "jorg@example.org");
	ck_assert_uint_eq(env.nrcpt, 4);
	ck_assert_str_eq(env.rcpt[0], "bob@example.com");
	ck_assert_str_eq(env.rcpt[1], "jane@example.net");
	ck_assert_str_eq(env.rcpt[2], "unal@example.com");
	ck_assert_str_eq(env.rcpt[3], "secret@example.com");
	g_object_unref(m);
	free(raw);
	compose_envelope_free(&env);

	/* A value set by hand with a newline starts no header, and the
	 * newline is a space, not an encoded line feed. */
	free(d.subject);
	d.subject = xstrdup("hi\nX-Injected: 1");
	d.in_reply_to = xstrdup("<a@b>\r\nX-Injected: 2");
	raw = build(&d, &o, &env, &err);
	ck_assert_msg(raw != NULL, "%s", err);
	ck_assert_ptr_null(strstr(raw, "\nX-Injected"));
	m = parse(raw);
	ck_assert_ptr_null(
	    g_mime_object_get_header(GMIME_OBJECT(m), "X-Injected"));
	ck_assert_str_eq(g_mime_message_get_subject(m), "hi X-Injected: 1");
	g_object_unref(m);
	free(raw);
	compose_envelope_free(&env);

	/* The domain of the Message-ID can be given; From from opts. */
	free(d.from);
	d.from = NULL;
	o.from = "Me <me@from.example>";
	o.msgid_domain = "ids.example";
	raw = build(&d, &o, &env, &err);
	ck_assert_msg(raw != NULL, "%s", err);
	m = parse(raw);
	ck_assert_ptr_nonnull(
	    strstr(g_mime_message_get_message_id(m), "@ids.example"));
	ck_assert_str_eq(env.from, "me@from.example");
	g_object_unref(m);
	free(raw);
	compose_envelope_free(&env);
	compose_draft_free(&d);
}
END_TEST

/* The transfer encoding of the body by its content. */
START_TEST(test_build_encodings)
{
	struct draft d;
	GMimeMessage *m;
	GMimeContentEncoding enc;
	char *raw, *err = NULL, *line, *body, *got, *s;
	size_t i;

	/* Pure ASCII: 7bit, no header needed. */
	draft_basic(&d, "plain ascii text\n");
	raw = build(&d, NULL, NULL, &err);
	ck_assert_msg(raw != NULL, "%s", err);
	m = parse(raw);
	enc = g_mime_part_get_content_encoding(part_n(m, 0));
	ck_assert(enc == GMIME_CONTENT_ENCODING_DEFAULT ||
	    enc == GMIME_CONTENT_ENCODING_7BIT);
	ck_assert_str_eq(g_mime_object_get_content_type_parameter(
	                     GMIME_OBJECT(part_n(m, 0)), "charset"),
	    "utf-8");
	g_object_unref(m);
	free(raw);
	compose_draft_free(&d);

	/* UTF-8: quoted-printable (7-bit safe), decoding back the same. */
	draft_basic(&d, "Grüße, schöne Straße.\n");
	raw = build(&d, NULL, NULL, &err);
	ck_assert_msg(raw != NULL, "%s", err);
	ck_assert_ptr_nonnull(
	    strstr(raw, "Content-Transfer-Encoding: quoted-printable"));
	m = parse(raw);
	got = content(part_n(m, 0));
	ck_assert_str_eq(got, "Grüße, schöne Straße.\n");
	free(got);
	g_object_unref(m);
	free(raw);
	compose_draft_free(&d);

	/* A 2000-character line: quoted-printable, no line over 998. */
	line = xmalloc(2002);
	for (i = 0; i < 2000; i++)
		line[i] = (char)('a' + i % 26);
	line[2000] = '\n';
	line[2001] = '\0';
	draft_basic(&d, line);
	raw = build(&d, NULL, NULL, &err);
	ck_assert_msg(raw != NULL, "%s", err);
	ck_assert_ptr_nonnull(
	    strstr(raw, "Content-Transfer-Encoding: quoted-printable"));
	for (body = raw; (s = strstr(body, "\r\n")) != NULL; body = s + 2)
		ck_assert_int_lt(s - body, 998);
	m = parse(raw);
	got = content(part_n(m, 0));
	ck_assert_str_eq(got, line);
	free(got);
	g_object_unref(m);
	free(raw);
	free(line);
	compose_draft_free(&d);
}
END_TEST

START_TEST(test_build_attachments)
{
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01"
	                          "\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
	struct draft d;
	GMimeMessage *m;
	GMimePart *p;
	char *raw, *err = NULL, *bin, *pdf, *noext, *name8, *got, *types;
	char data[3000];
	size_t i;

	for (i = 0; i < sizeof data; i++)
		data[i] = (char)(i * 7 + 3);
	bin = tpath("data.bin");
	put(bin, data, sizeof data);
	pdf = tpath("report.pdf");
	put(pdf, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", 15);
	noext = tpath("picture");
	put(noext, png, sizeof png - 1);
	name8 = tpath("Grüße résumé.txt");
	put(name8, "hello\n", 6);
	types = tpath("mime.types");
	put(types, "# test\napplication/x-errand-test  bin  dat\n", 42);

	draft_basic(&d, "see attached\n");
	compose_draft_attach(&d, bin, "some bytes", NULL);
	compose_draft_attach(&d, pdf, NULL, NULL);
	compose_draft_attach(&d, noext, NULL, NULL);
	compose_draft_attach(&d, name8, NULL, NULL);
	compose_draft_attach(&d, bin, NULL, "application/x-given");
	raw = build(&d, NULL, NULL, &err);
	ck_assert_msg(raw != NULL, "%s", err);
	/* RFC 2231 for the non-ASCII file name, never raw 8-bit. */
	ck_assert_ptr_nonnull(strstr(raw, "filename*=iso-8859-1''Gr%FC%DFe"));
	ck_assert_ptr_null(strstr(raw, "filename=\"=?"));
	m = parse(raw);
	ck_assert(GMIME_IS_MULTIPART(g_mime_message_get_mime_part(m)));
	/* Binary: base64, the bytes back the same. */
	p = part_n(m, 1);
	ck_assert_int_eq(
	    g_mime_part_get_content_encoding(p), GMIME_CONTENT_ENCODING_BASE64);
	ck_assert_str_eq(g_mime_part_get_filename(p), "data.bin");
	ck_assert_str_eq(g_mime_part_get_content_description(p), "some bytes");
	got = content(p);
	ck_assert_mem_eq(got, data, sizeof data);
	free(got);
	/* .pdf by /etc/mime.types, no extension by libmagic. */
	ck_assert_str_eq(type_of(part_n(m, 2)), "application/pdf");
	ck_assert_str_eq(type_of(part_n(m, 3)), "image/png");
	p = part_n(m, 4);
	ck_assert_str_eq(g_mime_part_get_filename(p), "Grüße résumé.txt");
	ck_assert_str_eq(type_of(p), "text/plain");
	/* A type given in the draft wins. */
	ck_assert_str_eq(type_of(part_n(m, 5)), "application/x-given");
	g_object_unref(m);
	free(raw);
	compose_draft_free(&d);

	/* A mime.types of our choosing is read. */
	{
		struct compose_opts o;

		memset(&o, 0, sizeof o);
		o.mime_types = types;
		draft_basic(&d, "x\n");
		compose_draft_attach(&d, bin, NULL, NULL);
		raw = build(&d, &o, NULL, &err);
		ck_assert_msg(raw != NULL, "%s", err);
		m = parse(raw);
		ck_assert_str_eq(
		    type_of(part_n(m, 1)), "application/x-errand-test");
		g_object_unref(m);
		free(raw);
		compose_draft_free(&d);
	}
	free(bin);
	free(pdf);
	free(noext);
	free(name8);
	free(types);
}
END_TEST

/* A missing, a directory or an unreadable attachment: an error naming
 * it, and nothing written. */
START_TEST(test_build_attachment_errors)
{
	struct draft d;
	char *err = NULL, *raw, *secret, *missing;

	missing = tpath("missing.txt");
	draft_basic(&d, "x\n");
	compose_draft_attach(&d, missing, NULL, NULL);
	raw = build(&d, NULL, NULL, &err);
	ck_assert_ptr_null(raw);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(strstr(err, missing));
	ck_assert_ptr_nonnull(strstr(err, "no such file"));
	free(err);
	compose_draft_free(&d);

	draft_basic(&d, "x\n");
	compose_draft_attach(&d, tmp, NULL, NULL);
	raw = build(&d, NULL, NULL, &err);
	ck_assert_ptr_null(raw);
	ck_assert_ptr_nonnull(strstr(err, "is a directory"));
	free(err);
	compose_draft_free(&d);

	secret = tpath("secret");
	put(secret, "x", 1);
	chmod(secret, 0);
	if (geteuid() != 0) {
		ck_assert_int_eq(compose_attachment_check(secret, &err), -1);
		ck_assert_ptr_nonnull(strstr(err, "Permission denied"));
		free(err);
	}
	ck_assert_int_eq(compose_attachment_check(missing, &err), -1);
	free(err);
	free(secret);
	free(missing);

	/* A bad address or no recipient: nothing written either. */
	draft_basic(&d, "x\n");
	free(d.to);
	d.to = xstrdup("bob@");
	raw = build(&d, NULL, NULL, &err);
	ck_assert_ptr_null(raw);
	ck_assert_str_eq(err, "To: 'bob@' is not an address");
	free(err);
	compose_draft_free(&d);
	compose_draft_init(&d);
	d.from = xstrdup("a@example.org");
	raw = build(&d, NULL, NULL, &err);
	ck_assert_ptr_null(raw);
	ck_assert_str_eq(err, "To: no recipient");
	free(err);
	compose_draft_free(&d);
}
END_TEST

START_TEST(test_build_flowed)
{
	static const char *body =
	    "This paragraph is much longer than seventy-eight characters, so "
	    "it is broken into lines that end in a space and flow.\n"
	    "From the start of a line.\n"
	    " An indented line.\n"
	    "> a quoted line that is also far longer than seventy-eight "
	    "characters, as replies have\n"
	    "trailing spaces   \n"
	    "-- \n"
	    "sig\n";
	struct draft d;
	GMimeMessage *m;
	GMimePart *p;
	char *raw, *err = NULL, *got, *s, *e;
	struct compose_opts o;

	draft_basic(&d, body);
	memset(&o, 0, sizeof o);
	o.text_flowed = 1;
	raw = build(&d, &o, NULL, &err);
	ck_assert_msg(raw != NULL, "%s", err);
	m = parse(raw);
	p = part_n(m, 0);
	ck_assert_str_eq(
	    g_mime_object_get_content_type_parameter(GMIME_OBJECT(p), "format"),
	    "flowed");
	ck_assert_str_eq(
	    g_mime_object_get_content_type_parameter(GMIME_OBJECT(p), "delsp"),
	    "no");
	got = content(p);
	/* Every line fits; soft breaks end in a space. */
	for (s = got; (e = strchr(s, '\n')) != NULL; s = e + 1)
		ck_assert_int_le(e - s, 78);
	ck_assert_ptr_nonnull(strstr(got, "This paragraph is much longer "));
	ck_assert_ptr_nonnull(strstr(got, "broken into lines "));
	ck_assert_ptr_nonnull(strstr(got, "\n From the start of a line.\n"));
	ck_assert_ptr_nonnull(strstr(got, "\n  An indented line.\n"));
	ck_assert_ptr_nonnull(strstr(got, "\n> a quoted line that "));
	ck_assert_ptr_nonnull(strstr(got, "\ntrailing spaces\n"));
	ck_assert_ptr_nonnull(strstr(got, "\n-- \nsig\n"));
	/* Unflowed (RFC 3676 4.2), it is the text again. */
	{
		char *flat = xstrdup(got), *o2 = flat, *q;

		for (q = got; *q != '\0'; q++) {
			if (*q == '\n' && q > got && q[-1] == ' ' &&
			    !(q - got >= 3 && strncmp(q - 3, "-- ", 3) == 0 &&
			        (q - got == 3 || q[-4] == '\n')) &&
			    q[1] != '\0') {
				/* a soft break: join, skipping the quote marks
				 * of the next line */
				q++;
				while (*q == '>')
					q++;
				if (*q == ' ')
					q++;
				q--;
				continue;
			}
			*o2++ = *q;
		}
		*o2 = '\0';
		ck_assert_ptr_nonnull(strstr(flat,
		    "This paragraph is much longer than seventy-eight "
		    "characters, so it is broken into lines that end in a "
		    "space and flow.\n"));
		ck_assert_ptr_nonnull(strstr(flat,
		    "> a quoted line that is also far longer "
		    "than seventy-eight characters, as replies "
		    "have\n"));
		free(flat);
	}
	free(got);
	g_object_unref(m);
	free(raw);

	/* Not flowed: the text as it is, no format parameter. */
	raw = build(&d, NULL, NULL, &err);
	m = parse(raw);
	ck_assert_ptr_null(g_mime_object_get_content_type_parameter(
	    GMIME_OBJECT(part_n(m, 0)), "format"));
	got = content(part_n(m, 0));
	ck_assert_str_eq(got, body);
	free(got);
	g_object_unref(m);
	free(raw);
	compose_draft_free(&d);
}
END_TEST

/* A 20 MB attachment streams: building it costs far less memory than one
 * copy of it (ru_maxrss, this test's own process). */
START_TEST(test_build_large_streams)
{
	struct rusage ru;
	struct draft d;
	char *big, *err = NULL, buf[65536];
	long before, after;
	size_t i;
	int fd;

	big = tpath("big.bin");
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	for (i = 0; i < sizeof buf; i++)
		buf[i] = (char)(i * 31 + (i >> 8));
	for (i = 0; i < 20 * 1024 * 1024 / sizeof buf; i++)
		ck_assert_int_eq(
		    write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
	close(fd);
	draft_basic(&d, "big\n");
	compose_draft_attach(&d, big, NULL, NULL);
	getrusage(RUSAGE_SELF, &ru);
	before = ru.ru_maxrss;
	fd = open("/dev/null", O_WRONLY);
	ck_assert_int_eq(compose_build(&d, NULL, fd, NULL, &err), 0);
	close(fd);
	getrusage(RUSAGE_SELF, &ru);
	after = ru.ru_maxrss;
	fprintf(stderr, "# 20 MB attachment: peak RSS %ld kB, +%ld kB\n", after,
	    after - before);
	ck_assert_int_lt(after - before, 8 * 1024); /* kB */
	compose_draft_free(&d);
	free(big);
}
END_TEST

START_TEST(test_draft_roundtrip)
{
	struct draft d, r;
	struct stat st;
	char *path, *err = NULL, *text;
	size_t i;

	path = tpath("draft.eml");
	draft_basic(&d, "Body line one.\n\nFrom line three.\n");
	d.reply_to = xstrdup("list@example.org");
	d.in_reply_to = xstrdup("<a@b>");
	d.references = xstrdup("<x@y> <a@b>");
	d.flowed = 1;
	compose_draft_attach(&d, "/tmp/a file.pdf", "the report", NULL);
	compose_draft_attach(&d, "/tmp/m.eml", NULL, "message/rfc822");
	ck_assert_int_eq(compose_draft_write(&d, path, &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	text = get(path, NULL);
	ck_assert_ptr_nonnull(
	    strstr(text, "Attach: /tmp/a file.pdf; the report\n"));
	ck_assert_ptr_nonnull(
	    strstr(text, "Attach: /tmp/m.eml; type=message/rfc822\n"));
	free(text);
	ck_assert_msg(compose_draft_read(path, &r, &err) == 0, "%s", err);
	ck_assert_str_eq(r.from, d.from);
	ck_assert_str_eq(r.to, d.to);
	ck_assert_str_eq(r.cc, d.cc);
	ck_assert_str_eq(r.bcc, d.bcc);
	ck_assert_str_eq(r.subject, d.subject);
	ck_assert_str_eq(r.reply_to, d.reply_to);
	ck_assert_str_eq(r.in_reply_to, d.in_reply_to);
	ck_assert_str_eq(r.references, d.references);
	ck_assert_str_eq(r.body, d.body);
	ck_assert_int_eq(r.flowed, 1);
	ck_assert_uint_eq(r.nattach, 2);
	for (i = 0; i < 2; i++)
		ck_assert_str_eq(r.attach[i].path, d.attach[i].path);
	ck_assert_str_eq(r.attach[0].description, "the report");
	ck_assert_ptr_null(r.attach[0].type);
	ck_assert_ptr_null(r.attach[1].description);
	ck_assert_str_eq(r.attach[1].type, "message/rfc822");
	compose_draft_detach(&r, 0);
	ck_assert_uint_eq(r.nattach, 1);
	ck_assert_str_eq(r.attach[0].path, "/tmp/m.eml");
	compose_draft_free(&r);
	compose_draft_free(&d);

	/* Paths with ';', quotes, backslashes or spaces at an end: quoted. */
	{
		static const char *const odd[] = {"/tmp/a;b.txt",
		    "\"quoted\" \\ name", " lead and trail ", "/tmp/x\\"};

		compose_draft_init(&d);
		for (i = 0; i < 4; i++)
			compose_draft_attach(&d, odd[i], i == 0 ? "d; e" : NULL,
			    i == 1 ? "text/plain" : NULL);
		ck_assert_int_eq(compose_draft_write(&d, path, &err), 0);
		ck_assert_msg(
		    compose_draft_read(path, &r, &err) == 0, "%s", err);
		ck_assert_uint_eq(r.nattach, 4);
		for (i = 0; i < 4; i++)
			ck_assert_str_eq(r.attach[i].path, odd[i]);
		ck_assert_str_eq(r.attach[0].description, "d; e");
		ck_assert_str_eq(r.attach[1].type, "text/plain");
		compose_draft_free(&r);
		compose_draft_free(&d);
	}

	/* CRLF, folded lines, other fields kept. */
	{
		const char *crlf = "To: a@example.org,\r\n"
		                   "  b@example.org\r\n"
		                   "X-Mine: kept\r\n"
		                   "\r\nbody\r\n";

		ck_assert_msg(
		    compose_draft_parse(crlf, strlen(crlf), "d", &r, &err) == 0,
		    "%s", err);
	}
	ck_assert_str_eq(r.to, "a@example.org,  b@example.org");
	ck_assert_str_eq(r.extra, "X-Mine: kept\n");
	ck_assert_str_eq(r.body, "body\n");
	compose_draft_free(&r);
	free(path);
}
END_TEST

static const struct {
	const char *text;
	const char *err;
} bad_drafts[] = {
    {"From: me@example.org\nSubject: hi\nTo: bob@\n\nx",
        "draft.eml:3: To: 'bob@' is not an address"},
    {"To: a@example.org\nCc: Ann <ann@>\n\n",
        "draft.eml:2: Cc: 'Ann <ann@>' is not an address"},
    {"To: a@example.org\nthis is not a header\n\nbody",
        "draft.eml:2: 'this is not a header' is not a header field (an "
        "empty line ends the header)"},
    {" folded first\n\n",
        "draft.eml:1: a continuation line with no field before it"},
    {"Subject: a\nTo: x@example.org\nSubject: b\n\n",
        "draft.eml:3: Subject: given twice"},
    {"Subject: \xe9t\xe9\n\n", "draft.eml:1: not UTF-8 text"},
    {"To: a@example.org\n\nline\n\xff\n", "draft.eml:4: not UTF-8 text"},
    {"Attach: \n\n", "draft.eml:1: Attach: no file named"},
    {"Attach: /x; type=nonsense\n\n",
        "draft.eml:1: Attach: 'nonsense' is not a content type"},
    {"Flowed: maybe\n\n", "draft.eml:1: Flowed: 'maybe' is not yes or no"},
    {"To: a@example.org\nAttach: \"/x;y\n\n",
        "draft.eml:2: Attach: no closing quote"},
    {"Attach: \"/x\" junk\n\n",
        "draft.eml:1: Attach: 'junk' after the quoted file name"},
};

START_TEST(test_draft_errors)
{
	struct draft d;
	char *path = tpath("draft.eml"), *err = NULL;

	put(path, bad_drafts[_i].text, strlen(bad_drafts[_i].text));
	ck_assert_int_eq(compose_draft_read(path, &d, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(err, bad_drafts[_i].err);
	free(err);
	compose_draft_free(&d);
	free(path);
}
END_TEST

START_TEST(test_draft_misc)
{
	struct draft d;
	char *err = NULL, *path, *sig, *body;

	/* A missing file; an empty one is an empty draft. */
	path = tpath("none.eml");
	ck_assert_int_eq(compose_draft_read(path, &d, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "none.eml"));
	free(err);
	put(path, "", 0);
	ck_assert_int_eq(compose_draft_read(path, &d, &err), 0);
	ck_assert_str_eq(d.body, "");
	compose_draft_free(&d);
	free(path);

	/* The signature. */
	sig = tpath("sig");
	put(sig, "Jörg\nexample.org", 17);
	body = xstrdup("Hello");
	ck_assert_int_eq(compose_add_signature(&body, sig, &err), 0);
	ck_assert_str_eq(body, "Hello\n-- \nJörg\nexample.org\n");
	free(body);
	body = NULL;
	ck_assert_int_eq(compose_add_signature(&body, sig, &err), 0);
	ck_assert_str_eq(body, "-- \nJörg\nexample.org\n");
	free(sig);
	sig = tpath("nosig");
	ck_assert_int_eq(compose_add_signature(&body, sig, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "nosig"));
	ck_assert_str_eq(body, "-- \nJörg\nexample.org\n");
	free(err);
	free(body);
	free(sig);

	ck_assert_int_eq(compose_addresses_check("a@b.c, D <d@e.f>", &err), 0);
	ck_assert_int_eq(compose_addresses_check("a@b.c, x", &err), -1);
	ck_assert_str_eq(err, "'x' is not an address");
	free(err);
	ck_assert_int_eq(compose_addresses_check("", &err), -1);
	free(err);
}
END_TEST

static const struct {
	const char *in;
	const char *re;
	const char *fwd;
} subjects[] = {
    {"hello", "Re: hello", "Fwd: hello"},
    {"Re: hello", "Re: hello", "Fwd: Re: hello"},
    {"RE: hello", "Re: hello", "Fwd: RE: hello"},
    {"Aw: hello", "Re: hello", "Fwd: Aw: hello"},
    {"AW: Re: hello", "Re: hello", "Fwd: AW: Re: hello"},
    {"SV: hello", "Re: hello", "Fwd: SV: hello"},
    {"Re[2]: hello", "Re: hello", "Fwd: Re[2]: hello"},
    {"Re: Re: Re:hello", "Re: hello", "Fwd: Re: Re: Re:hello"},
    {"RE : hello", "Re: hello", "Fwd: RE : hello"},
    {"Fwd: hello", "Re: Fwd: hello", "Fwd: hello"},
    {"Fw: FWD: hello", "Re: Fw: FWD: hello", "Fwd: hello"},
    {"=?UTF-8?Q?Re:_gr=C3=BC=C3=9Fe?=", "Re: grüße", "Fwd: Re: grüße"},
    {"=?iso-8859-1?q?AW=3A_M=FCller?=", "Re: Müller", "Fwd: AW: Müller"},
    {"Regarding the plan", "Re: Regarding the plan", "Fwd: Regarding the plan"},
    {"", "Re: ", "Fwd: "},
};

START_TEST(test_subjects)
{
	char *s;

	s = compose_reply_subject(subjects[_i].in);
	ck_assert_str_eq(s, subjects[_i].re);
	free(s);
	s = compose_forward_subject(subjects[_i].in);
	ck_assert_str_eq(s, subjects[_i].fwd);
	free(s);
}
END_TEST

#define ORIG_HEAD                                                              \
	"Date: Mon, 2 Jan 2023 10:00:00 +0100\n"                               \
	"Message-ID: <orig@example.com>\n"                                     \
	"Subject: The plan\n"

static const char *const alts[] = {"^me\\.too@", "@mine\\.example$", NULL};

static const struct {
	const char *head; /* headers besides ORIG_HEAD */
	enum compose_reply_kind kind;
	const char *to, *cc; /* the reply's */
	int differs;
	const char *alt_to, *alt_cc;
} replies[] = {
    /* To the author. */
    {"From: Ann <ann@example.com>\nTo: me@example.org\n", COMPOSE_REPLY,
        "Ann <ann@example.com>", "", 0, NULL, NULL},
    /* Reply-To honoured, and the question asked. */
    {"From: Ann <ann@example.com>\nReply-To: list@example.net\n"
     "To: me@example.org\n",
        COMPOSE_REPLY, "list@example.net", "", 1, "Ann <ann@example.com>", ""},
    /* Reply-To the same as From: no question. */
    {"From: Ann <ann@example.com>\nReply-To: ANN@example.com\n"
     "To: me@example.org\n",
        COMPOSE_REPLY, "ANN@example.com", "", 0, NULL, NULL},
    /* A message of mine: the reply goes to its To. */
    {"From: Me <me@example.org>\nTo: bob@example.com\n", COMPOSE_REPLY,
        "bob@example.com", "", 0, NULL, NULL},
    /* Group: author + To + Cc, without me, my alternates or twice. */
    {"From: Ann <ann@example.com>\nTo: me@example.org, bob@example.com, "
     "me.too@example.org\nCc: Carl <carl@example.com>, ann@example.com, "
     "x@mine.example, BOB@example.com\n",
        COMPOSE_GROUP, "Ann <ann@example.com>, bob@example.com",
        "Carl <carl@example.com>", 0, NULL, NULL},
    /* Group with Reply-To: both sets for the question. */
    {"From: Ann <ann@example.com>\nReply-To: team@example.com\n"
     "To: me@example.org, bob@example.com\nCc: carl@example.com\n",
        COMPOSE_GROUP, "team@example.com, bob@example.com", "carl@example.com",
        1, "Ann <ann@example.com>, bob@example.com", "carl@example.com"},
    /* Group with Mail-Followup-To: that alone. */
    {"From: Ann <ann@example.com>\nTo: list@example.net\n"
     "Cc: bob@example.com\n"
     "Mail-Followup-To: list@example.net, me@example.org\n",
        COMPOSE_GROUP, "list@example.net", "", 0, NULL, NULL},
    /* List: List-Post. */
    {"From: Ann <ann@example.com>\nTo: list@example.net\n"
     "List-Post: <mailto:list@example.net?subject=x>\n",
        COMPOSE_LIST, "list@example.net", "", 0, NULL, NULL},
    /* List: Mail-Followup-To first. */
    {"From: Ann <ann@example.com>\nTo: list@example.net\n"
     "List-Post: <mailto:list@example.net>\n"
     "Mail-Followup-To: list@example.net, ann@example.com\n",
        COMPOSE_LIST, "list@example.net, ann@example.com", "", 0, NULL, NULL},
    /* Group where all but me is in Cc: Cc moves up to To. */
    {"From: Me <me@example.org>\nTo: me.too@example.org\n"
     "Cc: dan@example.com\n",
        COMPOSE_GROUP, "dan@example.com", "", 0, NULL, NULL},
};

START_TEST(test_reply_rules)
{
	struct compose_ident id = {"Me <me@example.org>", alts};
	struct compose_reply_info info;
	struct draft d;
	char *raw, *err = NULL;

	xasprintf(&raw, "%s%s\nThe text.\n", ORIG_HEAD, replies[_i].head);
	ck_assert_msg(compose_reply(raw, strlen(raw), replies[_i].kind, &id,
	                  NULL, &d, &info, &err) == 0,
	    "%s", err);
	ck_assert_str_eq(d.to, replies[_i].to);
	ck_assert_str_eq(d.cc, replies[_i].cc);
	ck_assert_str_eq(d.from, "Me <me@example.org>");
	ck_assert_int_eq(info.reply_to_differs, replies[_i].differs);
	if (replies[_i].alt_to == NULL)
		ck_assert_ptr_null(info.alt_to);
	else {
		ck_assert_str_eq(info.alt_to, replies[_i].alt_to);
		ck_assert_str_eq(info.alt_cc, replies[_i].alt_cc);
	}
	ck_assert_str_eq(d.subject, "Re: The plan");
	ck_assert_str_eq(d.in_reply_to, "<orig@example.com>");
	ck_assert_str_eq(d.references, "<orig@example.com>");
	compose_reply_info_free(&info);
	compose_draft_free(&d);
	free(raw);
}
END_TEST

START_TEST(test_reply_body)
{
	struct compose_ident id = {"Me <me@example.org>", NULL};
	struct draft d;
	char *raw, *err = NULL, *refs = NULL, *tmpr;
	int i;

	/* No List-Post: an error for a list reply. */
	raw = xstrdup("From: a@example.com\nTo: b@example.com\n"
	              "Subject: x\n\nhi\n");
	ck_assert_int_eq(compose_reply(raw, strlen(raw), COMPOSE_LIST, &id,
	                     NULL, &d, NULL, &err),
	    -1);
	ck_assert_str_eq(err,
	    "cannot reply to the list: the message has no "
	    "List-Post: mailto: address");
	free(err);
	free(raw);

	/* 30 References and a Message-ID: the first and the last 19. */
	for (i = 1; i <= 30; i++) {
		xasprintf(&tmpr, "%s <r%d@example.com>", refs ? refs : "", i);
		free(refs);
		refs = tmpr;
	}
	xasprintf(&raw,
	    "From: =?UTF-8?Q?J=C3=B6rg?= <jorg@example.com>\n"
	    "To: me@example.org\n"
	    "Date: Mon, 2 Jan 2023 10:00:00 +0100\n"
	    "Subject: =?UTF-8?Q?Re:_gr=C3=BC=C3=9Fe?=\n"
	    "Message-ID: <m31@example.com>\n"
	    "References:%s\n"
	    "Content-Type: text/plain; charset=utf-8; format=flowed\n"
	    "Content-Transfer-Encoding: 8bit\n\n"
	    "Hallo,\n\nsch\xc3\xb6n \n"
	    "geflossen.\n> earlier\n-- \nJ\xc3\xb6rg\n",
	    refs);
	free(refs);
	ck_assert_msg(
	    compose_reply(raw, strlen(raw), COMPOSE_REPLY, &id,
	        "%n <%a> wrote on %d about '%s' (100%%):", &d, NULL, &err) == 0,
	    "%s", err);
	ck_assert_str_eq(d.subject, "Re: grüße");
	ck_assert_str_eq(d.to, "Jörg <jorg@example.com>");
	ck_assert_str_eq(d.in_reply_to, "<m31@example.com>");
	ck_assert_ptr_nonnull(
	    strstr(d.references, "<r1@example.com> <r13@example.com>"));
	ck_assert_ptr_null(strstr(d.references, "<r12@example.com>"));
	ck_assert_ptr_nonnull(
	    strstr(d.references, "<r30@example.com> <m31@example.com>"));
	{
		int n = 0;
		const char *p;

		for (p = d.references; (p = strchr(p, '<')) != NULL; p++)
			n++;
		ck_assert_int_eq(n, COMPOSE_REFERENCES_MAX);
	}
	/* The attribution, then the text quoted (flowed lines joined),
	 * without the signature. */
	ck_assert_str_eq(d.body,
	    "Jörg <jorg@example.com> wrote on Mon, 2 Jan 2023 10:00:00 +0100 "
	    "about 'Re: grüße' (100%):\n"
	    "> Hallo,\n"
	    ">\n"
	    "> schön geflossen.\n"
	    ">> earlier\n");
	compose_draft_free(&d);
	free(raw);

	/* The default attribution; HTML-only mail quoted as text. */
	raw = xstrdup("From: Ann <ann@example.com>\nTo: me@example.org\n"
	              "Date: Tue, 3 Jan 2023 09:00:00 +0000\nSubject: x\n"
	              "Content-Type: text/html\n\n"
	              "<html><body><p>Hello <b>there</b></p></body></html>\n");
	ck_assert_int_eq(compose_reply(raw, strlen(raw), COMPOSE_REPLY, &id,
	                     NULL, &d, NULL, &err),
	    0);
	ck_assert_str_eq(d.body,
	    "On Tue, 3 Jan 2023 09:00:00 +0000, Ann wrote:\n"
	    "> Hello there\n");
	ck_assert_ptr_null(d.in_reply_to);
	ck_assert_str_eq(d.references, "");
	compose_draft_free(&d);
	free(raw);
}
END_TEST

static const char fwd_msg[] =
    "From: Ann <ann@example.com>\n"
    "To: Bob <bob@example.com>\n"
    "Cc: carl@example.com\n"
    "Date: Mon, 2 Jan 2023 10:00:00 +0100\n"
    "Subject: =?UTF-8?Q?Fw:_Gr=C3=BC=C3=9Fe?=\n"
    "Message-ID: <f@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=XX\n\n"
    "--XX\n"
    "Content-Type: text/plain; charset=utf-8\n\n"
    "See the files.\n"
    "--XX\n"
    "Content-Type: application/pdf; name=a.pdf\n"
    "Content-Disposition: attachment; filename=a.pdf\n"
    "Content-Transfer-Encoding: base64\n\n"
    "JVBERi0xLjQK\n"
    "--XX\n"
    "Content-Type: text/plain; name*=utf-8''%C3%BC.txt\n"
    "Content-Disposition: attachment; filename*=utf-8''%C3%BC.txt\n\n"
    "umlaut\n"
    "--XX--\n";

START_TEST(test_forward_inline)
{
	struct draft d;
	GMimeMessage *m;
	char *err = NULL, *raw, *got, *dir;
	struct stat st;

	ck_assert_msg(
	    compose_forward(fwd_msg, sizeof fwd_msg - 1, 0, tmp, &d, &err) == 0,
	    "%s", err);
	ck_assert_str_eq(d.subject, "Fwd: Grüße");
	ck_assert_str_eq(d.body,
	    "\n---------- Forwarded message ----------\n"
	    "From: Ann <ann@example.com>\n"
	    "Date: Mon, 2 Jan 2023 10:00:00 +0100\n"
	    "Subject: Fw: Grüße\n"
	    "To: Bob <bob@example.com>\n"
	    "Cc: carl@example.com\n"
	    "\n"
	    "See the files.\n");
	ck_assert_uint_eq(d.nattach, 2);
	ck_assert_ptr_nonnull(strstr(d.attach[0].path, "/fwd-"));
	ck_assert_str_eq(strrchr(d.attach[0].path, '/'), "/a.pdf");
	ck_assert_str_eq(strrchr(d.attach[1].path, '/'), "/ü.txt");
	ck_assert_str_eq(d.attach[0].type, "application/pdf");
	ck_assert_int_eq(stat(d.attach[0].path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* Built: the attachments carried, names and bytes. */
	d.to = xstrdup("dan@example.com");
	d.from = xstrdup("me@example.org");
	raw = build(&d, NULL, NULL, &err);
	ck_assert_msg(raw != NULL, "%s", err);
	m = parse(raw);
	ck_assert_str_eq(g_mime_part_get_filename(part_n(m, 1)), "a.pdf");
	got = content(part_n(m, 1));
	ck_assert_str_eq(got, "%PDF-1.4\n");
	free(got);
	ck_assert_str_eq(g_mime_part_get_filename(part_n(m, 2)), "ü.txt");
	got = content(part_n(m, 2));
	ck_assert_str_eq(got, "umlaut");
	free(got);
	g_object_unref(m);
	free(raw);
	/* Cleaned up: the files and their directories. */
	dir = xstrdup(d.attach[0].path);
	*strstr(dir + strlen(tmp) + 1, "/") = '\0';
	compose_cleanup(&d, tmp);
	ck_assert_int_ne(stat(d.attach[0].path, &st), 0);
	ck_assert_int_ne(stat(dir, &st), 0);
	ck_assert_int_eq(stat(tmp, &st), 0);
	free(dir);
	compose_draft_free(&d);
}
END_TEST

START_TEST(test_forward_attachment)
{
	struct draft d;
	GMimeMessage *m, *inner;
	GMimeObject *o;
	char *err = NULL, *raw;

	ck_assert_msg(
	    compose_forward(fwd_msg, sizeof fwd_msg - 1, 1, tmp, &d, &err) == 0,
	    "%s", err);
	ck_assert_str_eq(d.subject, "Fwd: Grüße");
	ck_assert_str_eq(d.body, "");
	ck_assert_uint_eq(d.nattach, 1);
	ck_assert_str_eq(d.attach[0].type, "message/rfc822");
	d.to = xstrdup("dan@example.com");
	d.from = xstrdup("me@example.org");
	raw = build(&d, NULL, NULL, &err);
	ck_assert_msg(raw != NULL, "%s", err);
	m = parse(raw);
	o = g_mime_multipart_get_part(
	    GMIME_MULTIPART(g_mime_message_get_mime_part(m)), 1);
	ck_assert(GMIME_IS_MESSAGE_PART(o));
	inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
	ck_assert_str_eq(g_mime_message_get_subject(inner), "Fw: Grüße");
	ck_assert_str_eq(g_mime_message_get_message_id(inner), "f@example.com");
	g_object_unref(m);
	free(raw);
	compose_cleanup(&d, tmp);
	compose_draft_free(&d);
}
END_TEST

/* A message postponed to Drafts by another program: back into a draft,
 * its attachments files again, and built the same. */
START_TEST(test_recall)
{
	static const char msg[] =
	    "From: Ann <ann@example.com>\n"
	    "To: Bob <bob@example.com>, =?UTF-8?Q?J=C3=BCrgen?= "
	    "<j@example.de>\n"
	    "Cc: carl@example.com\n"
	    "Bcc: hidden@example.com\n"
	    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= again\n"
	    "In-Reply-To: <orig@example.com>\n"
	    "References: <first@example.com> <orig@example.com>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=XX\n\n"
	    "--XX\n"
	    "Content-Type: text/plain; charset=utf-8\n\n"
	    "Half written.\n"
	    "--XX\n"
	    "Content-Type: application/pdf; name=a.pdf\n"
	    "Content-Disposition: attachment; filename=a.pdf\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "JVBERi0xLjQK\n"
	    "--XX--\n";
	struct draft d;
	GMimeMessage *m;
	char *err = NULL, *raw, *got;
	struct stat st;

	ck_assert_msg(
	    compose_recall(msg, sizeof msg - 1, tmp, &d, &err) == 0, "%s", err);
	ck_assert_str_eq(d.from, "Ann <ann@example.com>");
	ck_assert_str_eq(
	    d.to, "Bob <bob@example.com>, J\xc3\xbcrgen <j@example.de>");
	ck_assert_str_eq(d.cc, "carl@example.com");
	ck_assert_str_eq(d.bcc, "hidden@example.com");
	ck_assert_str_eq(d.subject,
	    "Gr\xc3\xbc\xc3\x9f"
	    "e again");
	ck_assert_str_eq(d.in_reply_to, "<orig@example.com>");
	ck_assert_str_eq(
	    d.references, "<first@example.com> <orig@example.com>");
	ck_assert_ptr_nonnull(strstr(d.body, "Half written."));
	ck_assert_uint_eq(d.nattach, 1);
	ck_assert_str_eq(strrchr(d.attach[0].path, '/'), "/a.pdf");
	ck_assert_str_eq(d.attach[0].type, "application/pdf");
	ck_assert_int_eq(stat(d.attach[0].path, &st), 0);
	raw = build(&d, NULL, NULL, &err);
	ck_assert_msg(raw != NULL, "%s", err);
	m = parse(raw);
	ck_assert_str_eq(g_mime_part_get_filename(part_n(m, 1)), "a.pdf");
	got = content(part_n(m, 1));
	ck_assert_str_eq(got, "%PDF-1.4\n");
	free(got);
	g_object_unref(m);
	free(raw);
	compose_cleanup(&d, tmp);
	ck_assert_int_ne(stat(d.attach[0].path, &st), 0);
	compose_draft_free(&d);

	/* No header at all, no text: an empty draft, not a failure. */
	ck_assert_msg(compose_recall("\n", 1, tmp, &d, &err) == 0, "%s", err);
	ck_assert_ptr_null(d.to);
	ck_assert_ptr_null(d.subject);
	ck_assert_uint_eq(d.nattach, 0);
	compose_draft_free(&d);
}
END_TEST

/* Every corpus message replied to three ways and forwarded two, each
 * draft written, read back and built: no crash, no bad draft. */
START_TEST(test_corpus)
{
	static const enum compose_reply_kind kinds[] = {
	    COMPOSE_REPLY, COMPOSE_GROUP, COMPOSE_LIST};
	struct compose_ident id = {"Me <me@example.org>", alts};
	struct compose_reply_info info;
	char *top, *index, *line, *save = NULL, *path, *raw, *err, *dp;
	struct draft d, r;
	size_t len, n = 0, lists = 0, k;
	int fd, w;

	top = getenv("top_srcdir") != NULL ? getenv("top_srcdir") : ".";
	xasprintf(&path, "%s/tests/data/corpus/INDEX.txt", top);
	index = get(path, NULL);
	free(path);
	dp = tpath("d.eml");
	fd = open("/dev/null", O_WRONLY);
	for (line = strtok_r(index, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		xasprintf(&path, "%s/tests/data/corpus/messages/%s", top, line);
		raw = get(path, &len);
		for (k = 0; k < 5; k++) {
			err = NULL;
			if (k < 3) {
				if (compose_reply(raw, len, kinds[k], &id, NULL,
				        &d, &info, &err) != 0) {
					ck_assert_msg(kinds[k] == COMPOSE_LIST,
					    "%s: %s", line, err);
					free(err);
					continue;
				}
				lists += kinds[k] == COMPOSE_LIST;
				compose_reply_info_free(&info);
			} else {
				w = compose_forward(
				    raw, len, k == 4, tmp, &d, &err);
				ck_assert_msg(w == 0, "%s: %s", line, err);
			}
			ck_assert_msg(compose_draft_write(&d, dp, &err) == 0,
			    "%s: %s", line, err);
			ck_assert_msg(compose_draft_read(dp, &r, &err) == 0,
			    "%s: %s", line, err);
			ck_assert_str_eq(r.body, d.body);
			ck_assert_uint_eq(r.nattach, d.nattach);
			if (r.to == NULL || *r.to == '\0') {
				free(r.to);
				r.to = xstrdup("x@example.com");
			}
			free(r.from);
			r.from = xstrdup("me@example.org");
			ck_assert_msg(
			    compose_build(&r, NULL, fd, NULL, &err) == 0,
			    "%s: %s", line, err);
			compose_cleanup(&d, tmp);
			compose_draft_free(&r);
			compose_draft_free(&d);
		}
		free(raw);
		free(path);
		n++;
	}
	close(fd);
	ck_assert_uint_ge(n, 250);
	ck_assert_uint_ge(lists, 1);
	free(dp);
	free(index);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("compose");
	TCase *tc = tcase_create("compose");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_build_headers);
	tcase_add_test(tc, test_build_encodings);
	tcase_add_test(tc, test_build_attachments);
	tcase_add_test(tc, test_build_attachment_errors);
	tcase_add_test(tc, test_build_flowed);
	tcase_add_test(tc, test_build_large_streams);
	tcase_add_test(tc, test_draft_roundtrip);
	tcase_add_loop_test(
	    tc, test_draft_errors, 0, sizeof bad_drafts / sizeof bad_drafts[0]);
	tcase_add_test(tc, test_draft_misc);
	tcase_add_loop_test(
	    tc, test_subjects, 0, sizeof subjects / sizeof subjects[0]);
	tcase_add_loop_test(
	    tc, test_reply_rules, 0, sizeof replies / sizeof replies[0]);
	tcase_add_test(tc, test_reply_body);
	tcase_add_test(tc, test_forward_inline);
	tcase_add_test(tc, test_forward_attachment);
	tcase_add_test(tc, test_recall);
	tcase_add_test(tc, test_corpus);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
