/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for net/imap-parse.c: edge inputs first, then every response
 * form from byte strings, each fed whole and one byte at a time, then the
 * bounds and malformed input as a table. */

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/imap-parse.h"

/* Feed in whole (mode 0) or byte by byte (mode 1) until one response is
 * complete; all of in must be taken. Returns the response or NULL on a
 * protocol error. */
static const struct imap_resp *
feed(struct imap_parser *p, const char *in, size_t n, int bytewise)
{
	const struct imap_resp *r = NULL;
	size_t off = 0, used, step;
	int rc = 0;

	while (off < n) {
		step = bytewise ? 1 : n - off;
		rc = imap_parser_feed(p, in + off, step, &used, &r);
		off += used;
		if (rc == -1)
			return NULL;
		if (rc == 1)
			break;
		ck_assert_uint_eq(used, step);
	}
	ck_assert_msg(rc == 1, "no whole response from '%s'", in);
	ck_assert_uint_eq(off, n);
	return r;
}

static const struct imap_resp *
one(struct imap_parser **pp, const char *in, int bytewise)
{
	*pp = imap_parser_new(NULL);
	return feed(*pp, in, strlen(in), bytewise);
}

START_TEST(test_edge)
{
	struct imap_parser *p = imap_parser_new(NULL);
	const struct imap_resp *r;
	size_t used;

	ck_assert_int_eq(imap_parser_feed(p, NULL, 0, &used, &r), 0);
	ck_assert_uint_eq(used, 0);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(imap_parser_pending(p), 0);
	ck_assert_int_eq(imap_parser_feed(p, "* OK", 4, &used, &r), 0);
	ck_assert_int_eq(imap_parser_pending(p), 1);
	ck_assert_int_eq(imap_parser_feed(p, "\r\n", 2, &used, &r), 1);
	ck_assert_int_eq(r->cond, IMAP_COND_OK);
	ck_assert_str_eq(r->text, "");
	ck_assert_ptr_null(imap_parser_error(p));
	imap_parser_free(p);
	imap_parser_free(NULL);
	ck_assert_int_eq(imap_tok_is(NULL, "X"), 0);
	ck_assert_int_eq(imap_tok_is_string(NULL), 0);
}
END_TEST

START_TEST(test_status)
{
	struct imap_parser *p;
	const struct imap_resp *r;
	uint32_t v;

	r = one(&p, "a12 OK [READ-WRITE] SELECT completed\r\n", _i);
	ck_assert_int_eq(r->type, IMAP_RESP_TAGGED);
	ck_assert_str_eq(r->tag, "a12");
	ck_assert_int_eq(r->cond, IMAP_COND_OK);
	ck_assert_int_eq(r->code, IMAP_CODE_READ_WRITE);
	ck_assert_str_eq(r->text, "SELECT completed");
	imap_parser_free(p);

	r = one(&p, "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n", _i);
	ck_assert_int_eq(r->type, IMAP_RESP_UNTAGGED);
	ck_assert_int_eq(r->code, IMAP_CODE_UIDVALIDITY);
	ck_assert_int_eq(imap_tok_u32(r->code_args, &v), 0);
	ck_assert_uint_eq(v, 3857529045u);
	imap_parser_free(p);

	r = one(&p,
	    "* OK [PERMANENTFLAGS (\\Answered \\Seen $Junk \\*)] Limited\r\n",
	    _i);
	ck_assert_int_eq(r->code, IMAP_CODE_PERMANENTFLAGS);
	ck_assert_int_eq(r->code_args->type, IMAP_TOK_LIST);
	ck_assert_uint_eq(r->code_args->n, 4);
	ck_assert_str_eq(r->code_args->first->next->next->next->s, "\\*");
	imap_parser_free(p);

	r = one(&p, "* OK [HIGHESTMODSEQ 715194045007] Highest\r\n", _i);
	ck_assert_int_eq(r->code, IMAP_CODE_HIGHESTMODSEQ);
	imap_parser_free(p);
	r = one(&p, "* OK [NOMODSEQ] Sorry\r\n", _i);
	ck_assert_int_eq(r->code, IMAP_CODE_NOMODSEQ);
	ck_assert_ptr_null(r->code_args);
	imap_parser_free(p);
	r = one(&p, "* OK [CLOSED] Previous mailbox closed.\r\n", _i);
	ck_assert_int_eq(r->code, IMAP_CODE_CLOSED);
	imap_parser_free(p);
	r = one(&p, "* OK [ALERT] System shutdown in 10 minutes\r\n", _i);
	ck_assert_int_eq(r->code, IMAP_CODE_ALERT);
	ck_assert_str_eq(r->text, "System shutdown in 10 minutes");
	imap_parser_free(p);
	r = one(&p,
	    "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] Dovecot ready.\r\n",
	    _i);
	ck_assert_int_eq(r->code, IMAP_CODE_CAPABILITY);
	ck_assert_int_eq(
	    imap_tok_is(r->code_args->next->next, "auth=plain"), 1);
	imap_parser_free(p);

	/* Unknown codes stay generic, whatever their text holds. */
	r = one(&p, "* NO [X-WEIRD (unbalanced \"x] strange\r\n", _i);
	ck_assert_int_eq(r->code, IMAP_CODE_OTHER);
	ck_assert_str_eq(r->code_name, "X-WEIRD");
	ck_assert_str_eq(r->code_text, "(unbalanced \"x");
	ck_assert_str_eq(r->text, "strange");
	imap_parser_free(p);

	/* Text of a status response is text, even "(" or "{5}" at its end. */
	r = one(&p, "a1 NO cannot (do {5}\r\n", _i);
	ck_assert_int_eq(r->cond, IMAP_COND_NO);
	ck_assert_str_eq(r->text, "cannot (do {5}");
	imap_parser_free(p);
	r = one(&p, "* BYE Autologout; idle for too long\r\n", _i);
	ck_assert_int_eq(r->cond, IMAP_COND_BYE);
	imap_parser_free(p);
	r = one(&p, "* PREAUTH hi\n", _i); /* bare LF accepted */
	ck_assert_int_eq(r->cond, IMAP_COND_PREAUTH);
	imap_parser_free(p);
	r = one(&p, "+ Ready for literal data\r\n", _i);
	ck_assert_int_eq(r->type, IMAP_RESP_CONTINUE);
	ck_assert_str_eq(r->text, "Ready for literal data");
	imap_parser_free(p);
	r = one(&p, "+\r\n", _i);
	ck_assert_int_eq(r->type, IMAP_RESP_CONTINUE);
	ck_assert_str_eq(r->text, "");
	imap_parser_free(p);
}
END_TEST

START_TEST(test_fetch)
{
	static const char in[] =
	    "* 12 FETCH (UID 4827313 FLAGS (\\Seen \\Answered $Forwarded "
	    "Junk \\Recent) MODSEQ (65402) INTERNALDATE \"17-Jul-1996 "
	    "02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 "
	    "02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary\" ((\"Terry "
	    "Gray\" NIL \"gray\" \"cac.washington.edu\")) NIL NIL NIL NIL "
	    "NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODYSTRUCTURE "
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" "
	    "3028 92) \"MIXED\") BODY[HEADER.FIELDS (DATE FROM SUBJECT)]<0> "
	    "{26}\r\nSubject: hi\r\nFrom: a@b\r\n\r\n)\r\n";
	struct imap_parser *p;
	const struct imap_resp *r;
	struct imap_fetch f;

	r = one(&p, in, _i);
	ck_assert_int_eq(r->data, IMAP_DATA_FETCH);
	ck_assert_uint_eq(r->number, 12);
	ck_assert_uint_eq(r->size, sizeof in - 1);
	ck_assert_int_eq(imap_parse_fetch(p, r, &f), 0);
	ck_assert_uint_eq(f.seq, 12);
	ck_assert_uint_eq(f.uid, 4827313);
	ck_assert_int_eq(f.has_flags, 1);
	ck_assert_uint_eq(
	    f.flags, IMAP_FLAG_SEEN | IMAP_FLAG_ANSWERED | IMAP_FLAG_RECENT);
	ck_assert_str_eq(f.keywords, "$Forwarded Junk");
	ck_assert_uint_eq(f.modseq, 65402);
	ck_assert_int_eq(f.has_internaldate, 1);
	ck_assert_int_eq((long long)f.internaldate, 837596665LL);
	ck_assert_uint_eq(f.size, 4286);
	ck_assert_ptr_nonnull(f.envelope);
	ck_assert_uint_eq(f.envelope->n, 10);
	ck_assert_ptr_nonnull(f.bodystructure);
	ck_assert_uint_eq(f.nbody, 1);
	ck_assert_str_eq(
	    f.body[0].section, "HEADER.FIELDS (DATE FROM SUBJECT)");
	ck_assert_uint_eq(f.body[0].origin, 0);
	ck_assert_uint_eq(f.body[0].len, 26);
	ck_assert_str_eq(f.body[0].data, "Subject: hi\r\nFrom: a@b\r\n\r\n");
	imap_parser_free(p);

	/* literal8, a literal holding NUL and CRLF, an empty literal, NIL. */
	p = imap_parser_new(NULL);
	{
		static const char bin[] =
		    "* 1 FETCH (BINARY[1] ~{5}\r\na\0b\r\n "
		    "BODY[2] {0}\r\n BODY[3] NIL UID 7)\r\n";
		r = feed(p, bin, sizeof bin - 1, _i);
	}
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->args->first->next->literal8, 1);
	ck_assert_int_eq(imap_parse_fetch(p, r, &f), 0);
	ck_assert_uint_eq(f.nbody, 3);
	ck_assert_uint_eq(f.body[0].len, 5);
	ck_assert_int_eq(memcmp(f.body[0].data, "a\0b\r\n", 5), 0);
	ck_assert_uint_eq(f.body[1].len, 0);
	ck_assert_ptr_null(f.body[2].data);
	ck_assert_uint_eq(f.uid, 7);
	ck_assert_int_eq(f.has_flags, 0);
	imap_parser_free(p);

	/* A FETCH that does not make sense is the caller's to judge. */
	r = one(&p, "* 1 FETCH (UID x)\r\n", _i);
	ck_assert_int_eq(imap_parse_fetch(p, r, &f), -1);
	ck_assert_str_eq(imap_parser_error(p), "bad UID in FETCH response");
	imap_parser_free(p);
	r = one(&p, "* 1 FETCH (UID)\r\n", _i);
	ck_assert_int_eq(imap_parse_fetch(p, r, &f), -1);
	imap_parser_free(p);
}
END_TEST

START_TEST(test_data)
{
	struct imap_parser *p;
	const struct imap_resp *r;
	struct imap_uidset set;
	struct imap_list_item li;
	struct imap_status_item st;
	int earlier;

	r = one(&p, "* 23 EXISTS\r\n", _i);
	ck_assert_int_eq(r->data, IMAP_DATA_EXISTS);
	ck_assert_uint_eq(r->number, 23);
	imap_parser_free(p);
	r = one(&p, "* 5 EXPUNGE\r\n", _i);
	ck_assert_int_eq(r->data, IMAP_DATA_EXPUNGE);
	imap_parser_free(p);

	r = one(
	    &p, "* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n", _i);
	ck_assert_int_eq(imap_parse_vanished(p, r, &earlier, &set), 0);
	ck_assert_int_eq(earlier, 1);
	ck_assert_uint_eq(set.n, 5);
	ck_assert_uint_eq(set.count, 1 + 74 + 1 + 92 + 327);
	ck_assert_int_eq(imap_uidset_contains(&set, 42), 0);
	ck_assert_int_eq(imap_uidset_contains(&set, 540), 1);
	imap_parser_free(p);
	r = one(&p, "* VANISHED 405,407,410:425\r\n", _i);
	ck_assert_int_eq(imap_parse_vanished(p, r, &earlier, &set), 0);
	ck_assert_int_eq(earlier, 0);
	ck_assert_uint_eq(set.count, 18);
	imap_parser_free(p);

	r = one(&p, "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n", _i);
	ck_assert_int_eq(imap_parse_list(p, r, &li), 0);
	ck_assert_int_eq(li.special, IMAP_SPECIAL_SENT);
	ck_assert_uint_eq(li.attrs, IMAP_LIST_HASNOCHILDREN);
	ck_assert_int_eq(li.delim, '/');
	ck_assert_str_eq(li.name, "Sent");
	imap_parser_free(p);
	r = one(&p,
	    "* LIST (\\Noselect \\Subscribed \\Archive) NIL {10}\r\nEntw&APw-r "
	    "(\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n",
	    _i);
	ck_assert_int_eq(imap_parse_list(p, r, &li), 0);
	ck_assert_uint_eq(li.attrs, IMAP_LIST_NOSELECT | IMAP_LIST_SUBSCRIBED);
	ck_assert_int_eq(li.special, IMAP_SPECIAL_ARCHIVE);
	ck_assert_int_eq(li.delim, 0);
	ck_assert_str_eq(li.name, "Entw&APw-r");
	imap_parser_free(p);
	r = one(&p, "* LIST () \"\\\\\" \"a \\\"q\\\"\"\r\n", _i);
	ck_assert_int_eq(imap_parse_list(p, r, &li), 0);
	ck_assert_int_eq(li.delim, '\\');
	ck_assert_str_eq(li.name, "a \"q\"");
	imap_parser_free(p);

	r = one(&p,
	    "* STATUS \"blurdybloop\" (MESSAGES 231 UIDNEXT 44292 UNSEEN 3 "
	    "UIDVALIDITY 7 HIGHESTMODSEQ 90060115205545359)\r\n",
	    _i);
	ck_assert_int_eq(imap_parse_status(p, r, &st), 0);
	ck_assert_str_eq(st.name, "blurdybloop");
	ck_assert_uint_eq(st.messages, 231);
	ck_assert_uint_eq(st.uidnext, 44292);
	ck_assert_uint_eq(st.unseen, 3);
	ck_assert_uint_eq(st.uidvalidity, 7);
	ck_assert_uint_eq(st.highestmodseq, 90060115205545359ULL);
	imap_parser_free(p);

	r = one(&p, "* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI\r\n", _i);
	ck_assert_int_eq(r->data, IMAP_DATA_CAPABILITY);
	ck_assert_uint_eq(r->nargs, 3);
	imap_parser_free(p);
	r = one(&p, "* ENABLED CONDSTORE QRESYNC\r\n", _i);
	ck_assert_int_eq(r->data, IMAP_DATA_ENABLED);
	ck_assert_int_eq(imap_tok_is(r->args->next, "QRESYNC"), 1);
	imap_parser_free(p);

	r = one(&p, "* SEARCH 2 3 6 4 5 9 (MODSEQ 917162500)\r\n", _i);
	ck_assert_int_eq(imap_parse_search(p, r, &set), 0);
	ck_assert_uint_eq(set.n, 2);
	ck_assert_uint_eq(set.r[0].lo, 2);
	ck_assert_uint_eq(set.r[0].hi, 6);
	ck_assert_uint_eq(set.count, 6);
	imap_parser_free(p);
	r = one(&p, "* SEARCH\r\n", _i);
	ck_assert_int_eq(imap_parse_search(p, r, &set), 0);
	ck_assert_uint_eq(set.count, 0);
	imap_parser_free(p);
	r = one(&p, "* ESEARCH (TAG \"a5\") UID COUNT 5 ALL 4:7,9\r\n", _i);
	ck_assert_int_eq(imap_parse_search(p, r, &set), 0);
	ck_assert_uint_eq(set.count, 5);
	imap_parser_free(p);
	r = one(&p, "* ESEARCH (TAG \"a5\") UID\r\n", _i);
	ck_assert_int_eq(imap_parse_search(p, r, &set), 0);
	ck_assert_uint_eq(set.count, 0);
	imap_parser_free(p);

	/* An unknown response with free text is kept as text. */
	r = one(&p, "* XAPPLE some (odd\" text\r\n", _i);
	ck_assert_int_eq(r->data, IMAP_DATA_OTHER);
	ck_assert_str_eq(r->text, "some (odd\" text");
	imap_parser_free(p);
	r = one(&p, "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n", _i);
	ck_assert_int_eq(r->data, IMAP_DATA_OTHER);
	ck_assert_uint_eq(r->nargs, 3);
	imap_parser_free(p);
}
END_TEST

/* Several responses in one buffer come out one at a time. */
START_TEST(test_stream)
{
	static const char in[] = "* 1 EXISTS\r\n* 2 FETCH (UID 9 BODY[] {3}\r\n"
	                         "abc)\r\na1 OK done\r\n";
	struct imap_parser *p = imap_parser_new(NULL);
	const struct imap_resp *r;
	size_t off = 0, used, n = sizeof in - 1;
	int count = 0;

	while (off < n) {
		ck_assert_int_ne(
		    imap_parser_feed(p, in + off, n - off, &used, &r), -1);
		off += used;
		if (r != NULL)
			count++;
	}
	ck_assert_int_eq(count, 3);
	ck_assert_int_eq(r->type, IMAP_RESP_TAGGED);
	imap_parser_free(p);
}
END_TEST

static const struct {
	const char *in;
	const char *err; /* substring of the error */
	size_t len;      /* bytes of in, 0: strlen */
} bad[] = {
    {"* 1 FETCH (BODY[] {2147483648}\r\n",
        "literal of 2147483648 bytes exceeds the 67108864-byte limit", 0},
    {"* 1 FETCH (BODY[] {99999999999999999999999}\r\n", "too large", 0},
    {"* 1 FETCH (UID 1\r\n", "unbalanced parentheses", 0},
    {"* 1 FETCH (UID 1))\r\n", "unexpected ')'", 0},
    {"* LIST () \"/\" \"unterminated\r\n", "unterminated quoted string", 0},
    {"* 1 FETCH (BODY[HEADER UID 1)\r\n", "unterminated section", 0},
    {"* OK [UIDVALIDITY 1 text\r\n", "unterminated response code", 0},
    {"a1 FOO bar\r\n", "without OK, NO or BAD", 0},
    {"* OK a\0b\r\n", "NUL byte", 10},
    {"*\r\n", "nothing after its tag", 0},
    {"* 99999999999 EXISTS\r\n", "bad message number", 0},
    {"* 1 FETCH (X \001)\r\n", "unexpected character 0x01", 0},
    {"* 1 FETCH (X {3} Y)\r\n", "malformed literal", 0},
};

START_TEST(test_bad)
{
	struct imap_parser *p = imap_parser_new(NULL);
	const struct imap_resp *r;
	const char *in = bad[_i].in;
	size_t n = bad[_i].len ? bad[_i].len : strlen(in), used, off = 0;
	int rc = 0;

	while (off < n && rc != -1) {
		rc = imap_parser_feed(p, in + off, n - off, &used, &r);
		off += used;
		if (rc == 0 && used == 0)
			break;
	}
	ck_assert_msg(rc == -1, "'%s' parsed", in);
	ck_assert_msg(strstr(imap_parser_error(p), bad[_i].err) != NULL,
	    "'%s': error '%s' lacks '%s'", in, imap_parser_error(p),
	    bad[_i].err);
	/* Once failed, always failed. */
	ck_assert_int_eq(imap_parser_feed(p, "* OK\r\n", 6, &used, &r), -1);
	imap_parser_free(p);
}
END_TEST

/* Bounds from the limits, each hit with a clear message and no crash. */
START_TEST(test_limits)
{
	struct imap_parse_limits lim = {0};
	struct imap_parser *p;
	const struct imap_resp *r;
	char *s;
	size_t used, i;

	lim.max_line = 100;
	lim.max_depth = 3;
	lim.max_items = 4;
	lim.max_literal = 10;
	lim.max_response = 200;
	p = imap_parser_new(&lim);
	s = malloc(300);
	memset(s, 'x', 300);
	ck_assert_int_eq(imap_parser_feed(p, s, 300, &used, &r), -1);
	ck_assert_str_eq(
	    imap_parser_error(p), "response line of more than 100 bytes");
	imap_parser_free(p);
	free(s);

	p = imap_parser_new(&lim);
	ck_assert_ptr_null(feed(p, "* FLAGS ((((a))))\r\n", 19, 0));
	ck_assert_str_eq(
	    imap_parser_error(p), "lists nested deeper than 3 levels");
	imap_parser_free(p);
	p = imap_parser_new(&lim);
	ck_assert_ptr_null(feed(p, "* FLAGS (a b c d e)\r\n", 21, 0));
	ck_assert_str_eq(imap_parser_error(p), "list of more than 4 items");
	imap_parser_free(p);
	p = imap_parser_new(&lim);
	ck_assert_ptr_null(feed(p, "* X {11}\r\n", 10, 0));
	ck_assert_str_eq(imap_parser_error(p),
	    "literal of 11 bytes exceeds the 10-byte limit");
	imap_parser_free(p);

	/* A lower cap for one command, then back. */
	p = imap_parser_new(NULL);
	imap_parser_set_max_literal(p, 4);
	ck_assert_ptr_null(feed(p, "* X {5}\r\n", 9, 0));
	imap_parser_free(p);
	p = imap_parser_new(NULL);
	imap_parser_set_max_literal(p, 4);
	imap_parser_set_max_literal(p, 0);
	ck_assert_ptr_nonnull(feed(p, "* X {5}\r\nabcde\r\n", 16, 0));
	imap_parser_free(p);

	/* Many literals of 9 bytes: the response bound ends it. */
	p = imap_parser_new(&lim);
	for (i = 0; i < 30; i++) {
		if (imap_parser_feed(
		        p, "* X {9}\r\n123456789", 18, &used, &r) == -1)
			break;
	}
	ck_assert_int_lt(i, 30);
	ck_assert_ptr_nonnull(strstr(imap_parser_error(p), "response of more"));
	imap_parser_free(p);
}
END_TEST

static const struct {
	const char *in;
	long long t; /* -1: malformed */
} dates[] = {
    {"17-Jul-1996 02:44:25 -0700", 837596665LL},
    {" 7-Jul-1996 02:44:25 +0000", 836707465LL},
    {"01-Jan-1970 00:00:00 +0000", 0},
    {"29-Feb-2024 23:59:59 +0100", 1709247599LL},
    {"1-jan-2000 00:00:00 +0000", 946684800LL},
    {"17-Foo-1996 02:44:25 -0700", -1},
    {"17-Jul-1996 02:44:25", -1},
    {"17-Jul-1996 25:44:25 -0700", -1},
    {"", -1},
    {"17-Jul-96 02:44:25 -0700", -1},
};

START_TEST(test_dates)
{
	time_t t = 0;
	int rc = imap_parse_date_time(dates[_i].in, &t);

	if (dates[_i].t == -1)
		ck_assert_msg(rc == -1, "'%s' parsed", dates[_i].in);
	else {
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq((long long)t, dates[_i].t);
	}
}
END_TEST

static const struct {
	const char *in;
	uint64_t count; /* UINT64_MAX: malformed */
	size_t n;
} sets[] = {
    {"1", 1, 1},
    {"1:3,7,9:10", 6, 3},
    {"5:3", 3, 1},
    {"3,1,2", 3, 1},
    {"1:4,2:6", 6, 1},
    {"4294967295", 1, 1},
    {"1:4294967295", 4294967295ULL, 1},
    {"0", UINT64_MAX, 0},
    {"4294967296", UINT64_MAX, 0},
    {"1,,2", UINT64_MAX, 0},
    {"", UINT64_MAX, 0},
    {"1:", UINT64_MAX, 0},
    {"a", UINT64_MAX, 0},
};

START_TEST(test_uidsets)
{
	struct imap_parser *p = imap_parser_new(NULL);
	struct imap_uidset set;
	int rc = imap_parse_uidset(p, sets[_i].in, 0, &set);

	if (sets[_i].count == UINT64_MAX)
		ck_assert_msg(rc == -1, "'%s' parsed", sets[_i].in);
	else {
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(set.count, sets[_i].count);
		ck_assert_uint_eq(set.n, sets[_i].n);
	}
	/* The check of sets errand sends agrees with the parser. */
	ck_assert_int_eq(imap_uidset_valid(sets[_i].in, NULL), rc == 0);
	imap_parser_free(p);
}
END_TEST

/* Sets errand sends: '*' allowed, the count for "n messages" texts. */
START_TEST(test_uidset_valid)
{
	static const char *const malformed[] = {"", ",", "1,", ",1", "1::3",
	    ":3", "1:2:3", "1:*:3", "0:5", "*,", "1 2", "1,*a", "-1",
	    "4294967296:1"};
	uint64_t n = 0;
	size_t i;

	ck_assert_int_eq(imap_uidset_valid("1:3,7", &n), 1);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(imap_uidset_valid("9:7", &n), 1);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(imap_uidset_valid("5:*", &n), 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(imap_uidset_valid("*", &n), 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(imap_uidset_valid("2,5:*,9", &n), 1);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		ck_assert_msg(!imap_uidset_valid(malformed[i], &n),
		    "'%s' accepted", malformed[i]);
}
END_TEST

START_TEST(test_special)
{
	ck_assert_int_eq(imap_special_from_attr("\\trash"), IMAP_SPECIAL_TRASH);
	ck_assert_int_eq(imap_special_from_attr("\\All"), IMAP_SPECIAL_ALL);
	ck_assert_int_eq(
	    imap_special_from_attr("\\Flagged"), IMAP_SPECIAL_FLAGGED);
	ck_assert_int_eq(imap_special_from_attr("\\Junk"), IMAP_SPECIAL_JUNK);
	ck_assert_int_eq(
	    imap_special_from_attr("\\Drafts"), IMAP_SPECIAL_DRAFTS);
	ck_assert_int_eq(
	    imap_special_from_attr("\\Noselect"), IMAP_SPECIAL_NONE);
	ck_assert_str_eq(imap_special_name(IMAP_SPECIAL_SENT), "\\Sent");
	ck_assert_ptr_null(imap_special_name(IMAP_SPECIAL_NONE));
}
END_TEST

/* UIDPLUS and CONDSTORE response codes: edge inputs, then a table. */
START_TEST(test_uid_codes_edge)
{
	struct imap_parser *p;
	const struct imap_resp *r;
	struct imap_uidset a, b;
	uint32_t v = 1;

	/* Not the code asked for. */
	r = one(&p, "a1 OK [READ-WRITE] done\r\n", 0);
	ck_assert_int_eq(imap_parse_copyuid(p, r, &v, &a, &b), -1);
	ck_assert_uint_eq(v, 0);
	ck_assert_uint_eq(a.n, 0);
	ck_assert_int_eq(imap_parse_appenduid(p, r, &v, &a), -1);
	ck_assert_int_eq(imap_parse_modified(p, r, &a), -1);
	ck_assert_ptr_nonnull(imap_parser_error(p));
	imap_parser_free(p);
	/* No arguments. */
	r = one(&p, "a1 OK [MODIFIED] done\r\n", 0);
	ck_assert_int_eq(r->code, IMAP_CODE_MODIFIED);
	ck_assert_int_eq(imap_parse_modified(p, r, &a), -1);
	imap_parser_free(p);
	/* The parser stays usable after a soft error. */
	r = one(&p, "a1 OK [APPENDUID 0 5] done\r\n", 0);
	ck_assert_int_eq(imap_parse_appenduid(p, r, &v, &a), -1);
	r = feed(p, "a2 OK [APPENDUID 38505 3955] done\r\n",
	    strlen("a2 OK [APPENDUID 38505 3955] done\r\n"), 0);
	ck_assert_int_eq(imap_parse_appenduid(p, r, &v, &a), 0);
	ck_assert_uint_eq(v, 38505);
	ck_assert_uint_eq(a.count, 1);
	ck_assert_uint_eq(a.r[0].lo, 3955);
	imap_parser_free(p);
}
END_TEST

/* A literal over the keep bound is cut to it: the rest is read and
 * dropped, the response goes on after it, and the cut is reported. */
START_TEST(test_literal_keep)
{
	static const char in[] =
	    "* 1 FETCH (UID 5 BODY[]<0> {10}\r\n0123456789 BODY[TEXT] {4}\r\n"
	    "abcd FLAGS (\\Seen))\r\n"
	    "* 2 FETCH (UID 6 BODY[] {12}\r\nabcdefghijkl)\r\n";
	struct imap_parser *p = imap_parser_new(NULL);
	const struct imap_resp *r;
	struct imap_fetch f;
	size_t first = strstr(in, "* 2") - in;

	imap_parser_set_literal_keep(p, 4);
	r = feed(p, in, first, _i);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(imap_parse_fetch(p, r, &f), 0);
	ck_assert_uint_eq(f.uid, 5);
	ck_assert_uint_eq(f.nbody, 2);
	ck_assert_uint_eq(f.body[0].len, 4);
	ck_assert_str_eq(f.body[0].data, "0123");
	ck_assert_int_eq(f.body[0].cut, 1);
	ck_assert_uint_eq(f.body[1].len, 4); /* exactly the bound: whole */
	ck_assert_str_eq(f.body[1].data, "abcd");
	ck_assert_int_eq(f.body[1].cut, 0);
	ck_assert_uint_eq(f.flags, IMAP_FLAG_SEEN);
	ck_assert_uint_eq(r->size, first);
	/* Off again: the next literal is whole. */
	imap_parser_set_literal_keep(p, 0);
	r = feed(p, in + first, strlen(in) - first, _i);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(imap_parse_fetch(p, r, &f), 0);
	ck_assert_uint_eq(f.body[0].len, 12);
	ck_assert_int_eq(f.body[0].cut, 0);
	imap_parser_free(p);
}
END_TEST

/* Sets a server sends that name billions of UIDs stay a few ranges: none
 * is expanded, whatever its count (issue: "1:4000000000" took 16 GB). */
static const struct {
	const char *in;
	size_t n;        /* ranges */
	uint64_t count;  /* UIDs */
	uint32_t lo, hi; /* the last range */
} huge[] = {
    {"* ESEARCH (TAG \"a5\") UID ALL 1:4000000000\r\n", 1, 4000000000u, 1,
        4000000000u},
    {"* ESEARCH (TAG \"a5\") UID ALL 1:2,4:4294967295\r\n", 2, 4294967294u, 4,
        4294967295u},
    {"* ESEARCH (TAG \"a5\") UID ALL 4294967295:1\r\n", 1, 4294967295u, 1,
        4294967295u},
    {"* VANISHED (EARLIER) 1:4294967295\r\n", 1, 4294967295u, 1, 4294967295u},
    {"* VANISHED 7,200000000:1\r\n", 1, 200000000u, 1, 200000000u},
    {"* SEARCH 4294967295 1 2 3\r\n", 2, 4, 4294967295u, 4294967295u},
    {"a1 OK [COPYUID 9 1:4000000000 1:4000000000] Done\r\n", 1, 4000000000u, 1,
        4000000000u},
    {"a1 OK [APPENDUID 9 2:4294967295] Done\r\n", 1, 4294967294u, 2,
        4294967295u},
    {"a1 NO [MODIFIED 1:4294967295] Done\r\n", 1, 4294967295u, 1, 4294967295u},
};

START_TEST(test_huge_sets)
{
	struct imap_parser *p;
	const struct imap_resp *r;
	struct imap_uidset set, dst;
	uint32_t v;
	int earlier, rc;

	r = one(&p, huge[_i].in, 0);
	ck_assert_ptr_nonnull(r);
	if (r->data == IMAP_DATA_VANISHED)
		rc = imap_parse_vanished(p, r, &earlier, &set);
	else if (r->data == IMAP_DATA_SEARCH || r->data == IMAP_DATA_ESEARCH)
		rc = imap_parse_search(p, r, &set);
	else if (r->code == IMAP_CODE_COPYUID)
		rc = imap_parse_copyuid(p, r, &v, &dst, &set);
	else if (r->code == IMAP_CODE_APPENDUID)
		rc = imap_parse_appenduid(p, r, &v, &set);
	else
		rc = imap_parse_modified(p, r, &set);
	ck_assert_msg(rc == 0, "'%s': %s", huge[_i].in, imap_parser_error(p));
	ck_assert_uint_eq(set.n, huge[_i].n);
	ck_assert_uint_eq(set.count, huge[_i].count);
	ck_assert_uint_eq(set.r[set.n - 1].lo, huge[_i].lo);
	ck_assert_uint_eq(set.r[set.n - 1].hi, huge[_i].hi);
	ck_assert_int_eq(imap_uidset_contains(&set, huge[_i].hi), 1);
	ck_assert_int_eq(imap_uidset_contains(&set, huge[_i].lo), 1);
	if (huge[_i].hi < UINT32_MAX)
		ck_assert_int_eq(
		    imap_uidset_contains(&set, huge[_i].hi + 1), 0);
	imap_parser_free(p);
}
END_TEST

static const struct {
	const char *in;
	int rc;         /* 0 or -1 */
	uint32_t v;     /* uidvalidity (COPYUID, APPENDUID) */
	uint64_t count; /* UIDs in the (destination) set */
	uint32_t lo;    /* its first UID */
} codes[] = {
    {"a1 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n", 0, 38505, 3, 3956},
    {"* OK [COPYUID 9 3 17] Moved UIDs.\r\n", 0, 9, 1, 17},
    {"a1 OK [COPYUID 9 1:3 17] Done\r\n", -1, 0, 0, 0}, /* counts differ */
    {"a1 OK [COPYUID 9 1:3] Done\r\n", -1, 0, 0, 0},
    {"a1 OK [COPYUID x 1 2] Done\r\n", -1, 0, 0, 0},
    {"a1 OK [COPYUID 4294967296 1 2] Done\r\n", -1, 0, 0, 0},
    {"a1 OK [COPYUID 9 1 2 3] Done\r\n", -1, 0, 0, 0},
    {"a1 OK [APPENDUID 38505 3955] APPEND completed\r\n", 0, 38505, 1, 3955},
    {"a1 OK [APPENDUID 1 5:7] MULTIAPPEND\r\n", 0, 1, 3, 5},
    {"a1 OK [APPENDUID 1] Done\r\n", -1, 0, 0, 0},
    {"a1 OK [APPENDUID 1 0] Done\r\n", -1, 0, 0, 0},
    {"a1 OK [MODIFIED 7,9] Conditional STORE failed\r\n", 0, 0, 2, 7},
    {"a1 NO [MODIFIED 2,4:5] Conditional STORE failed\r\n", 0, 0, 3, 2},
    {"a1 OK [MODIFIED 1:x] Done\r\n", -1, 0, 0, 0},
    {"a1 OK [MODIFIED 1 2] Done\r\n", -1, 0, 0, 0},
};

START_TEST(test_uid_codes)
{
	struct imap_parser *p;
	const struct imap_resp *r;
	struct imap_uidset a, b, *set = &a;
	uint32_t v = 0;
	int rc;

	r = one(&p, codes[_i].in, 0);
	ck_assert_ptr_nonnull(r);
	switch (r->code) {
	case IMAP_CODE_COPYUID:
		rc = imap_parse_copyuid(p, r, &v, &a, &b);
		set = &b;
		if (rc == 0)
			ck_assert_uint_eq(a.count, b.count);
		break;
	case IMAP_CODE_APPENDUID:
		rc = imap_parse_appenduid(p, r, &v, &a);
		break;
	case IMAP_CODE_MODIFIED:
		rc = imap_parse_modified(p, r, &a);
		break;
	default:
		ck_abort_msg("code not recognised in '%s'", codes[_i].in);
		return;
	}
	ck_assert_msg(rc == codes[_i].rc, "'%s': rc %d", codes[_i].in, rc);
	if (rc == 0) {
		ck_assert_uint_eq(v, codes[_i].v);
		ck_assert_uint_eq(set->count, codes[_i].count);
		ck_assert_uint_eq(set->r[0].lo, codes[_i].lo);
	} else
		ck_assert_uint_eq(set->n, 0);
	imap_parser_free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("imap-parse");
	TCase *tc = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_edge);
	/* _i 0: fed whole; 1: fed one byte at a time. */
	tcase_add_loop_test(tc, test_status, 0, 2);
	tcase_add_loop_test(tc, test_fetch, 0, 2);
	tcase_add_loop_test(tc, test_data, 0, 2);
	tcase_add_test(tc, test_stream);
	tcase_add_loop_test(tc, test_bad, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(tc, test_limits);
	tcase_add_loop_test(tc, test_dates, 0, sizeof dates / sizeof dates[0]);
	tcase_add_test(tc, test_uidset_valid);
	tcase_add_loop_test(tc, test_uidsets, 0, sizeof sets / sizeof sets[0]);
	tcase_add_test(tc, test_special);
	tcase_add_test(tc, test_uid_codes_edge);
	tcase_add_loop_test(tc, test_literal_keep, 0, 2);
	tcase_add_loop_test(
	    tc, test_huge_sets, 0, sizeof huge / sizeof huge[0]);
	tcase_add_loop_test(
	    tc, test_uid_codes, 0, sizeof codes / sizeof codes[0]);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
