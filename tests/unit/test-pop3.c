/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for net/pop3-parse.c: edge inputs first, then status lines
 * and response codes as a table, listings and bodies fed whole, split at
 * every byte boundary and one byte at a time, a 10 MB body in small
 * pieces, pipelined replies, and the bounds and garbage that must fail. */

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/pop3-parse.h"

/* What a run of the parser gave: a transcript of events, the lines and
 * the body gathered, and the largest body piece. */
struct out {
	char ev[4096];   /* one letter an event: S+ S- C L D E */
	char text[4096]; /* status texts and lines, each then '|' */
	char *body;
	size_t bodylen, bodycap;
	size_t maxpiece;
	enum pop3_code code;
	char code_name[64];
	int rc; /* -1 on a protocol error, else 0 */
};

static void
add(char *buf, size_t size, const char *s, size_t n)
{
	size_t len = strlen(buf);

	ck_assert_msg(len + n + 1 < size, "transcript overflow");
	memcpy(buf + len, s, n);
	buf[len + n] = '\0';
}

static void
out_event(struct out *o, const struct pop3_event *ev)
{
	switch (ev->type) {
	case POP3_EV_STATUS:
		add(o->ev, sizeof o->ev, ev->ok ? "S+" : "S-", 2);
		add(o->text, sizeof o->text, ev->text, strlen(ev->text));
		add(o->text, sizeof o->text, "|", 1);
		o->code = ev->code;
		snprintf(
		    o->code_name, sizeof o->code_name, "%s", ev->code_name);
		ck_assert_ptr_nonnull(ev->line);
		break;
	case POP3_EV_CONTINUE:
		add(o->ev, sizeof o->ev, "C", 1);
		add(o->text, sizeof o->text, ev->text, strlen(ev->text));
		add(o->text, sizeof o->text, "|", 1);
		break;
	case POP3_EV_LINE:
		add(o->ev, sizeof o->ev, "L", 1);
		ck_assert_uint_eq(ev->len, strlen(ev->text));
		add(o->text, sizeof o->text, ev->text, ev->len);
		add(o->text, sizeof o->text, "|", 1);
		break;
	case POP3_EV_DATA:
		ck_assert_uint_gt(ev->len, 0);
		/* Runs of data are one letter. */
		if (o->ev[0] == '\0' || o->ev[strlen(o->ev) - 1] != 'D')
			add(o->ev, sizeof o->ev, "D", 1);
		if (o->bodylen + ev->len > o->bodycap) {
			o->bodycap = (o->bodylen + ev->len) * 2;
			o->body = realloc(o->body, o->bodycap);
			ck_assert_ptr_nonnull(o->body);
		}
		memcpy(o->body + o->bodylen, ev->data, ev->len);
		o->bodylen += ev->len;
		if (ev->len > o->maxpiece)
			o->maxpiece = ev->len;
		break;
	case POP3_EV_END:
		add(o->ev, sizeof o->ev, "E", 1);
		break;
	}
}

/* Feed in to p in pieces: at split (and the rest) when chunk is 0, else
 * chunk bytes at a time. Every byte must be taken unless an error. */
static void
run(struct pop3_parser *p, const char *in, size_t n, size_t split, size_t chunk,
    struct out *o)
{
	struct pop3_event ev;
	size_t off = 0, end, used;
	int rc;

	o->rc = 0;
	while (off < n) {
		if (chunk > 0)
			end = off + chunk < n ? off + chunk : n;
		else
			end = off < split ? split : n;
		while (off < end) {
			rc = pop3_parser_feed(
			    p, in + off, end - off, &used, &ev);
			ck_assert_uint_le(used, end - off);
			off += used;
			if (rc == -1) {
				o->rc = -1;
				ck_assert_ptr_nonnull(pop3_parser_error(p));
				return;
			}
			if (rc == 0) {
				ck_assert_uint_eq(off, end);
				break;
			}
			out_event(o, &ev);
		}
	}
}

static struct out *
out_new(void)
{
	struct out *o = calloc(1, sizeof *o);

	ck_assert_ptr_nonnull(o);
	return o;
}

static void
out_free(struct out *o)
{
	free(o->body);
	free(o);
}

/* One response of kind e from in, fed whole (mode 0) or bytewise (1). */
static struct out *
one(enum pop3_expect e, const char *in, size_t n, int bytewise)
{
	struct pop3_parser *p = pop3_parser_new(NULL);
	struct out *o = out_new();

	pop3_parser_expect(p, e);
	run(p, in, n, 0, bytewise ? 1 : n, o);
	if (o->rc == 0) {
		ck_assert_uint_eq(pop3_parser_queued(p), 0);
		ck_assert_int_eq(pop3_parser_pending(p), 0);
	}
	pop3_parser_free(p);
	return o;
}

START_TEST(test_edge)
{
	struct pop3_parser *p = pop3_parser_new(NULL);
	struct pop3_event ev;
	size_t used = 99;

	pop3_parser_free(NULL);
	/* Nothing in, nothing out. */
	ck_assert_int_eq(pop3_parser_feed(p, NULL, 0, &used, &ev), 0);
	ck_assert_uint_eq(used, 0);
	ck_assert_ptr_null(pop3_parser_error(p));
	/* Bytes when nothing is expected. */
	ck_assert_int_eq(pop3_parser_feed(p, "+OK\r\n", 5, &used, &ev), -1);
	ck_assert_str_eq(
	    pop3_parser_error(p), "reply when none was expected: '+OK'");
	/* Failed stays failed. */
	pop3_parser_expect(p, POP3_EXPECT_LINE);
	ck_assert_int_eq(pop3_parser_feed(p, "+OK\r\n", 5, &used, &ev), -1);
	pop3_parser_free(p);

	p = pop3_parser_new(NULL);
	pop3_parser_expect(p, POP3_EXPECT_LINE);
	ck_assert_int_eq(pop3_parser_pending(p), 0);
	ck_assert_int_eq(pop3_parser_feed(p, "+O", 2, &used, &ev), 0);
	ck_assert_int_eq(pop3_parser_pending(p), 1);
	ck_assert_int_eq(pop3_parser_feed(p, "K\r\n", 3, &used, &ev), 1);
	ck_assert_int_eq(ev.type, POP3_EV_STATUS);
	ck_assert_int_eq(ev.ok, 1);
	ck_assert_int_eq(ev.more, 0);
	ck_assert_str_eq(ev.text, "");
	ck_assert_str_eq(ev.line, "+OK");
	ck_assert_int_eq(pop3_parser_pending(p), 0);
	pop3_parser_free(p);

	ck_assert_str_eq(pop3_code_name(POP3_CODE_SYS_TEMP), "SYS/TEMP");
	ck_assert_str_eq(pop3_code_name(POP3_CODE_IN_USE), "IN-USE");
	ck_assert_ptr_null(pop3_code_name(POP3_CODE_NONE));
	ck_assert_ptr_null(pop3_code_name(POP3_CODE_OTHER));
}
END_TEST

static const struct {
	const char *in;
	int ok;
	enum pop3_code code;
	const char *code_name;
	const char *text;
} statuses[] = {
    {"+OK\r\n", 1, POP3_CODE_NONE, "", ""},
    {"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n", 1,
        POP3_CODE_NONE, "",
        "POP3 server ready <1896.697170952@dbc.mtview.ca.us>"},
    {"+OK 2 320\n", 1, POP3_CODE_NONE, "", "2 320"},
    {"+ok lower case\r\n", 1, POP3_CODE_NONE, "", "lower case"},
    {"-ERR\r\n", 0, POP3_CODE_NONE, "", ""},
    {"-ERR no such message\r\n", 0, POP3_CODE_NONE, "", "no such message"},
    {"-ERR [IN-USE] Mailbox locked by another session\r\n", 0, POP3_CODE_IN_USE,
        "IN-USE", "Mailbox locked by another session"},
    {"-ERR [LOGIN-DELAY] wait 900 seconds\r\n", 0, POP3_CODE_LOGIN_DELAY,
        "LOGIN-DELAY", "wait 900 seconds"},
    {"-ERR [AUTH] Authentication failed.\r\n", 0, POP3_CODE_AUTH, "AUTH",
        "Authentication failed."},
    {"-ERR [SYS/TEMP] disk full\r\n", 0, POP3_CODE_SYS_TEMP, "SYS/TEMP",
        "disk full"},
    {"-ERR [SYS/PERM] account disabled\r\n", 0, POP3_CODE_SYS_PERM, "SYS/PERM",
        "account disabled"},
    {"-ERR [sys/temp/quota] later\r\n", 0, POP3_CODE_SYS_TEMP, "sys/temp/quota",
        "later"},
    {"-ERR [AUTHX] not auth\r\n", 0, POP3_CODE_OTHER, "AUTHX", "not auth"},
    {"-ERR [UNCLOSED code\r\n", 0, POP3_CODE_NONE, "", "[UNCLOSED code"},
    {"-ERR [] empty\r\n", 0, POP3_CODE_OTHER, "", "empty"},
    {"+OK \xc3\xa9t\xe9 8-bit\r\n", 1, POP3_CODE_NONE, "",
        "\xc3\xa9t\xe9 8-bit"},
};

START_TEST(test_status)
{
	size_t i = (size_t)_i / 2;
	struct out *o;

	o = one(
	    POP3_EXPECT_LINE, statuses[i].in, strlen(statuses[i].in), _i % 2);
	ck_assert_int_eq(o->rc, 0);
	ck_assert_str_eq(o->ev, statuses[i].ok ? "S+" : "S-");
	ck_assert_int_eq(o->code, statuses[i].code);
	ck_assert_str_eq(o->code_name, statuses[i].code_name);
	o->text[strlen(o->text) - 1] = '\0';
	ck_assert_str_eq(o->text, statuses[i].text);
	out_free(o);
}
END_TEST

START_TEST(test_listing)
{
	static const char in[] = "+OK Capability list follows\r\n"
	                         "TOP\r\n"
	                         "..dotted\r\n"
	                         ".\r\n";
	struct out *o = one(POP3_EXPECT_LISTING, in, sizeof in - 1, _i);

	ck_assert_int_eq(o->rc, 0);
	ck_assert_str_eq(o->ev, "S+LLE");
	ck_assert_str_eq(o->text, "Capability list follows|TOP|.dotted|");
	out_free(o);

	/* -ERR: no listing follows; the next reply is read as such. */
	o = one(POP3_EXPECT_LISTING, "-ERR no\r\n", 9, _i);
	ck_assert_int_eq(o->rc, 0);
	ck_assert_str_eq(o->ev, "S-");
	out_free(o);

	/* An empty listing. */
	o = one(POP3_EXPECT_LISTING, "+OK\r\n.\r\n", 8, _i);
	ck_assert_int_eq(o->rc, 0);
	ck_assert_str_eq(o->ev, "S+E");
	out_free(o);
}
END_TEST

/* Bodies: wire form and what the caller must get. */
static const struct {
	const char *name;
	const char *wire;
	size_t wirelen;
	const char *body;
	size_t bodylen;
} bodies[] = {
#define B(name, w, b)                                                          \
	{                                                                      \
		name, w, sizeof w - 1, b, sizeof b - 1                         \
	}
    B("plain", "+OK 12 octets\r\nSubject: x\r\n\r\nhi\r\n.\r\n",
        "Subject: x\r\n\r\nhi\r\n"),
    B("dot-stuffed", "+OK\r\n..\r\n...\r\n..x\r\na.b\r\n.\r\n",
        ".\r\n..\r\n.x\r\na.b\r\n"),
    B("dot at line start, not stuffed", "+OK\r\n.x\r\n.\r\n", "x\r\n"),
    B("empty", "+OK\r\n.\r\n", ""),
    B("no final CRLF in the message", "+OK\r\nlast line without end\r\n.\r\n",
        "last line without end\r\n"),
    B("dot then CR then data", "+OK\r\n.\rX\r\n.\r\n", "\rX\r\n"),
    B("LF line ends", "+OK\nA\n..B\n.\n", "A\n.B\n"),
    B("8-bit and NUL bytes", "+OK\r\n\x80\xff\x00\xc3\xa9\r\n\x00.\r\n.\r\n",
        "\x80\xff\x00\xc3\xa9\r\n\x00.\r\n"),
    B("CRLF.CRLF inside a line is data", "+OK\r\nab.\r\ncd\r\n.\r\n",
        "ab.\r\ncd\r\n"),
#undef B
};

static void
check_body(size_t k, struct out *o)
{
	ck_assert_msg(o->rc == 0, "%s: error", bodies[k].name);
	ck_assert_msg(o->ev[0] == 'S' && o->ev[1] == '+', "%s: %s",
	    bodies[k].name, o->ev);
	ck_assert_msg(
	    o->ev[strlen(o->ev) - 1] == 'E', "%s: %s", bodies[k].name, o->ev);
	ck_assert_msg(o->bodylen == bodies[k].bodylen,
	    "%s: %zu bytes, want %zu", bodies[k].name, o->bodylen,
	    bodies[k].bodylen);
	ck_assert_msg(
	    o->bodylen == 0 || memcmp(o->body, bodies[k].body, o->bodylen) == 0,
	    "%s: body differs", bodies[k].name);
}

START_TEST(test_body)
{
	size_t k = (size_t)_i;
	struct out *o;
	size_t split;

	/* Whole, then byte by byte. */
	o = one(POP3_EXPECT_BODY, bodies[k].wire, bodies[k].wirelen, 0);
	check_body(k, o);
	out_free(o);
	o = one(POP3_EXPECT_BODY, bodies[k].wire, bodies[k].wirelen, 1);
	check_body(k, o);
	out_free(o);
	/* Split in two at every byte boundary. */
	for (split = 1; split < bodies[k].wirelen; split++) {
		struct pop3_parser *p = pop3_parser_new(NULL);

		o = out_new();
		pop3_parser_expect(p, POP3_EXPECT_BODY);
		run(p, bodies[k].wire, bodies[k].wirelen, split, 0, o);
		check_body(k, o);
		ck_assert_uint_eq(pop3_parser_queued(p), 0);
		out_free(o);
		pop3_parser_free(p);
	}
}
END_TEST

/* 10 MB of body with long lines, dot-stuffed lines and 8-bit bytes, fed
 * in small pieces: every piece out is no larger than a piece in, so the
 * body is streamed, never gathered. */
START_TEST(test_big_body)
{
	const size_t target = 10 * 1024 * 1024;
	struct pop3_parser *p = pop3_parser_new(NULL);
	struct out *o = out_new();
	char *wire, *want;
	size_t w = 0, b = 0, i, linelen;
	unsigned int seed = 7;

	wire = malloc(target * 2 + 64);
	want = malloc(target * 2 + 64);
	ck_assert_ptr_nonnull(wire);
	ck_assert_ptr_nonnull(want);
	memcpy(wire, "+OK message follows\r\n", 21);
	w = 21;
	while (b < target) {
		seed = seed * 1103515245 + 12345;
		/* Lines from 0 bytes to 200 KB: longer than any line bound. */
		linelen = (seed >> 8) % 7 == 0 ? 200000 : (seed >> 8) % 100;
		if ((seed >> 4) % 5 == 0) {
			wire[w++] = '.'; /* a stuffed dot */
			wire[w++] = '.';
			want[b++] = '.';
		}
		for (i = 0; i < linelen; i++) {
			char ch = (char)(0x20 + (i * 31 + seed) % 0xdf);

			if (i == 0 && ch == '.')
				ch = 'x'; /* a dot here must be stuffed */
			wire[w++] = ch;
			want[b++] = ch;
		}
		memcpy(wire + w, "\r\n", 2);
		memcpy(want + b, "\r\n", 2);
		w += 2;
		b += 2;
	}
	memcpy(wire + w, ".\r\n+OK next\r\n", 13);
	w += 13;

	pop3_parser_expect(p, POP3_EXPECT_BODY);
	pop3_parser_expect(p, POP3_EXPECT_LINE);
	run(p, wire, w, 0, 1000, o);
	ck_assert_int_eq(o->rc, 0);
	ck_assert_uint_eq(o->bodylen, b);
	ck_assert_int_eq(memcmp(o->body, want, b), 0);
	ck_assert_uint_le(o->maxpiece, 1000);
	ck_assert_str_eq(o->ev, "S+DES+");
	ck_assert_uint_eq(pop3_parser_queued(p), 0);
	out_free(o);
	pop3_parser_free(p);
	free(wire);
	free(want);
}
END_TEST

/* Replies to pipelined commands in one buffer, each as expected. */
START_TEST(test_pipelined)
{
	static const char in[] = "+OK 2 messages\r\n"
	                         "+OK\r\nfirst\r\n.\r\n"
	                         "-ERR [SYS/TEMP] cannot read\r\n"
	                         "+OK\r\n1 abc\r\n2 def\r\n.\r\n"
	                         "+OK bye\r\n";
	struct pop3_parser *p = pop3_parser_new(NULL);
	struct out *o = out_new();

	pop3_parser_expect(p, POP3_EXPECT_LINE);
	pop3_parser_expect(p, POP3_EXPECT_BODY);
	pop3_parser_expect(p, POP3_EXPECT_BODY);
	pop3_parser_expect(p, POP3_EXPECT_LISTING);
	pop3_parser_expect(p, POP3_EXPECT_LINE);
	ck_assert_uint_eq(pop3_parser_queued(p), 5);
	run(p, in, sizeof in - 1, 0, (size_t)_i + 1, o);
	ck_assert_int_eq(o->rc, 0);
	ck_assert_str_eq(o->ev, "S+S+DES-S+LLES+");
	ck_assert_str_eq(o->text, "2 messages||cannot read||1 abc|2 def|bye|");
	ck_assert_uint_eq(o->bodylen, 7);
	ck_assert_uint_eq(pop3_parser_queued(p), 0);
	out_free(o);
	pop3_parser_free(p);
}
END_TEST

START_TEST(test_sasl)
{
	static const char in[] = "+ \r\n+\r\n-ERR [AUTH] bad\r\n";
	struct out *o = one(POP3_EXPECT_SASL, in, sizeof in - 1, _i);

	ck_assert_int_eq(o->rc, 0);
	ck_assert_str_eq(o->ev, "CCS-");
	ck_assert_int_eq(o->code, POP3_CODE_AUTH);
	out_free(o);
	/* "+ " is not a continuation for other commands. */
	o = one(POP3_EXPECT_LINE, "+ go on\r\n", 9, _i);
	ck_assert_int_eq(o->rc, -1);
	out_free(o);
}
END_TEST

/* Input that must fail, fed whole and bytewise, with small bounds. */
static const struct {
	enum pop3_expect expect;
	const char *in;
	const char *error;
} bad[] = {
    {POP3_EXPECT_LINE, "* OK IMAP4rev1 ready\r\n",
        "reply is neither +OK nor -ERR: '* OK IMAP4rev1 ready'"},
    {POP3_EXPECT_LINE, "\x16\x03\x01garbage\x7f\xff here\r\n",
        "reply is neither +OK nor -ERR: '???garbage?? here'"},
    {POP3_EXPECT_LINE, "+OKAY\r\n", "reply is neither +OK nor -ERR: '+OKAY'"},
    {POP3_EXPECT_LINE, "-ERROR\r\n", "reply is neither +OK nor -ERR: '-ERROR'"},
    {POP3_EXPECT_LINE, "\r\n", "reply is neither +OK nor -ERR: ''"},
    {POP3_EXPECT_BODY, "RETR data without status\r\n.\r\n",
        "reply is neither +OK nor -ERR: 'RETR data without status'"},
    {POP3_EXPECT_LINE, "+OK 0123456789012345678901234567890123456789x\r\n",
        "line of more than 40 bytes"},
    {POP3_EXPECT_LINE, "+OK no line end at all, ever, and it goes on and on",
        "line of more than 40 bytes"},
    {POP3_EXPECT_LISTING,
        "+OK\r\n1 0123456789012345678901234567890123456789\r\n",
        "line of more than 40 bytes"},
    {POP3_EXPECT_LISTING,
        "+OK\r\n1 aaaaaaaaaa\r\n2 bbbbbbbbbb\r\n3 cccccccccc\r\n4 ddd\r\n",
        "listing of more than 48 bytes"},
    {POP3_EXPECT_LINE, "+OK a\0b\r\n", "NUL byte in a line"},
};

START_TEST(test_bad)
{
	struct pop3_parse_limits lim = {40, 48};
	size_t k = (size_t)_i / 2, n;
	struct pop3_parser *p = pop3_parser_new(&lim);
	struct out *o = out_new();

	n = strlen(bad[k].in);
	if (strcmp(bad[k].error, "NUL byte in a line") == 0)
		n = 9;
	pop3_parser_expect(p, bad[k].expect);
	run(p, bad[k].in, n, 0, _i % 2 ? 1 : n, o);
	ck_assert_msg(o->rc == -1, "case %zu parsed: %s", k, o->ev);
	ck_assert_str_eq(pop3_parser_error(p), bad[k].error);
	out_free(o);
	pop3_parser_free(p);
}
END_TEST

/* The bounds are exact: a line of max_line bytes is taken. */
START_TEST(test_limits)
{
	struct pop3_parse_limits lim = {10, 0};
	struct pop3_parser *p = pop3_parser_new(&lim);
	struct out *o = out_new();
	static const char in[] = "+OK 123456\r\n+OK 1234567\r\n";

	pop3_parser_expect(p, POP3_EXPECT_LINE);
	pop3_parser_expect(p, POP3_EXPECT_LINE);
	run(p, in, sizeof in - 1, 0, (size_t)_i + 1, o);
	ck_assert_int_eq(o->rc, -1);
	ck_assert_str_eq(o->ev, "S+");
	ck_assert_str_eq(pop3_parser_error(p), "line of more than 10 bytes");
	out_free(o);
	pop3_parser_free(p);

	/* Body lines are not bounded by max_line. */
	p = pop3_parser_new(&lim);
	o = out_new();
	pop3_parser_expect(p, POP3_EXPECT_BODY);
	run(p, "+OK\r\n0123456789012345678901234567890\r\n.\r\n", 41, 0,
	    (size_t)_i + 1, o);
	ck_assert_int_eq(o->rc, 0);
	ck_assert_uint_eq(o->bodylen, 33);
	out_free(o);
	pop3_parser_free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pop3-parse");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_edge);
	/* _i even: fed whole; odd: one byte at a time. */
	tcase_add_loop_test(
	    tc, test_status, 0, 2 * sizeof statuses / sizeof statuses[0]);
	tcase_add_loop_test(tc, test_listing, 0, 2);
	tcase_add_loop_test(tc, test_body, 0, sizeof bodies / sizeof bodies[0]);
	tcase_add_test(tc, test_big_body);
	/* _i + 1: the size of the pieces fed. */
	tcase_add_loop_test(tc, test_pipelined, 0, 8);
	tcase_add_loop_test(tc, test_sasl, 0, 2);
	tcase_add_loop_test(tc, test_bad, 0, 2 * sizeof bad / sizeof bad[0]);
	tcase_add_loop_test(tc, test_limits, 0, 3);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
