/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for net/sasl: PLAIN and LOGIN encodings, OAUTHBEARER and
 * XOAUTH2 against RFC 7628 section 4, SCRAM-SHA-1 and SCRAM-SHA-256 run
 * to the end against GNU SASL's own server in-process (the client nonce
 * cannot be fixed, so the RFC 5802/7677 vectors cannot be replayed), a
 * tampered server signature refused, the salted password hashed ahead
 * (used only for the salt and iteration count it was made with), and the
 * choice of mechanism. */

#include <check.h>
#include <gsasl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmalloc.h"
#include "net/sasl.h"

static char *raw_of(const char *);
static struct sasl *start(enum sasl_mech, const char *, const char *);
static void scram_run(enum sasl_mech, int);
static int scram_ahead(enum sasl_mech, const char *, const char *, unsigned int,
    const char *, unsigned int);

/* The decoded bytes of base64 text, as a string (NULs kept inside). */
static char *
raw_of(const char *b64)
{
	size_t n;
	unsigned char *r = sasl_b64_decode(b64, &n);

	ck_assert_ptr_nonnull(r);
	return (char *)r;
}

static struct sasl *
start(enum sasl_mech m, const char *user, const char *secret)
{
	struct sasl_creds c = {0};
	struct sasl *s;
	char *err;

	c.user = user;
	c.secret = secret;
	c.host = "server.example.com";
	c.port = 143;
	s = sasl_new(m, &c, &err);
	ck_assert_msg(s != NULL, "sasl_new: %s", err);
	return s;
}

START_TEST(test_base64)
{
	size_t n;
	unsigned char *r;
	char *b;

	b = sasl_b64_encode("\0tim\0tanstaaftanstaaf", 21);
	ck_assert_str_eq(b, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	free(b);
	r = sasl_b64_decode("AHRpbQB0YW5zdGFhZnRhbnN0YWFm", &n);
	ck_assert_uint_eq(n, 21);
	ck_assert_int_eq(memcmp(r, "\0tim\0tanstaaftanstaaf", 21), 0);
	free(r);
	r = sasl_b64_decode("QQ==", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq((char *)r, "A");
	free(r);
	r = sasl_b64_decode("", &n);
	ck_assert_uint_eq(n, 0);
	free(r);
	ck_assert_ptr_null(sasl_b64_decode("QQ=", &n));
	ck_assert_ptr_null(sasl_b64_decode("Q$==", &n));
	ck_assert_ptr_null(sasl_b64_decode("QQ=A", &n));
}
END_TEST

/* RFC 4616 section 4: "\0tim\0tanstaaftanstaaf", sent at once. */
START_TEST(test_plain)
{
	struct sasl *s = start(SASL_PLAIN, "tim", "tanstaaftanstaaf");
	char *out, *c;

	ck_assert(sasl_has_initial(s));
	ck_assert_int_eq(sasl_step(s, NULL, &out), SASL_OK);
	ck_assert_str_eq(out, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	ck_assert(sasl_complete(s));
	sasl_wipe_free(out);
	/* More after PLAIN is refused. */
	ck_assert_int_eq(sasl_step(s, "", &out), SASL_FAIL);
	ck_assert_ptr_nonnull(strstr(sasl_error(s), "more after the PLAIN"));
	sasl_free(s);

	/* Without SASL-IR the first empty challenge gets the response. */
	s = start(SASL_PLAIN, "tim", "tanstaaftanstaaf");
	ck_assert_int_eq(sasl_step(s, "", &out), SASL_OK);
	c = raw_of(out);
	ck_assert_int_eq(memcmp(c, "\0tim\0tanstaaftanstaaf", 21), 0);
	free(c);
	sasl_wipe_free(out);
	sasl_free(s);
}
END_TEST

START_TEST(test_login)
{
	struct sasl *s = start(SASL_LOGIN, "tim", "secret");
	char *out;

	ck_assert(!sasl_has_initial(s));
	ck_assert_int_eq(sasl_step(s, NULL, &out), SASL_MORE);
	ck_assert_ptr_null(out);
	/* "Username:" */
	ck_assert_int_eq(sasl_step(s, "VXNlcm5hbWU6", &out), SASL_MORE);
	ck_assert_str_eq(out, "dGlt");
	sasl_wipe_free(out);
	ck_assert(!sasl_complete(s));
	ck_assert(!sasl_proof_pending(s)); /* the password is still to go */
	/* "Password:" */
	ck_assert_int_eq(sasl_step(s, "UGFzc3dvcmQ6", &out), SASL_MORE);
	ck_assert_str_eq(out, "c2VjcmV0");
	sasl_wipe_free(out);
	ck_assert(sasl_complete(s));
	ck_assert_int_eq(sasl_step(s, "UGFzc3dvcmQ6", &out), SASL_FAIL);
	ck_assert_ptr_null(out);
	sasl_free(s);
}
END_TEST

/* RFC 7628 section 4.1 (the example's token and host). */
START_TEST(test_oauthbearer)
{
	struct sasl *s = start(SASL_OAUTHBEARER, "user@example.com",
	    "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
	const char want[] = "n,a=user@example.com,\001host=server.example.com"
	                    "\001port=143\001auth=Bearer "
	                    "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
	                    "\001\001";
	char *out, *c;

	ck_assert_int_eq(sasl_step(s, NULL, &out), SASL_OK);
	c = raw_of(out);
	ck_assert_str_eq(c, want);
	free(c);
	/* The RFC's base64 of the same message. */
	ck_assert_str_eq(out,
	    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcn"
	    "Q9"
	    "MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRX"
	    "VZ"
	    "Mjl0Q2c9PQEB");
	sasl_wipe_free(out);
	ck_assert_ptr_null(sasl_oauth_status(s));
	sasl_free(s);

	/* The user is an RFC 5801 saslname: "," and "=" escaped. */
	s = start(SASL_OAUTHBEARER, "a,b=c", "t");
	ck_assert_int_eq(sasl_step(s, NULL, &out), SASL_OK);
	c = raw_of(out);
	ck_assert_msg(strncmp(c, "n,a=a=2Cb=3Dc,\001", 15) == 0, "%s", c);
	free(c);
	sasl_wipe_free(out);
	sasl_free(s);
}
END_TEST

/* RFC 7628 section 4.3: the error JSON gets a single ^A, and its status
 * is kept for the caller. */
START_TEST(test_oauthbearer_error)
{
	struct sasl *s = start(SASL_OAUTHBEARER, "user@example.com", "tok");
	char *out, *c;
	char *json = sasl_b64_encode(
	    "{\"status\":\"invalid_token\",\"scope\":\"example_scope\","
	    "\"openid-configuration\":\"https://example.com/.well-known/"
	    "openid-configuration\"}",
	    116);

	ck_assert_int_eq(sasl_step(s, NULL, &out), SASL_OK);
	sasl_wipe_free(out);
	ck_assert_int_eq(sasl_step(s, json, &out), SASL_MORE);
	c = raw_of(out);
	ck_assert_str_eq(c, "\001");
	ck_assert_str_eq(out, "AQ==");
	free(c);
	sasl_wipe_free(out);
	ck_assert_str_eq(sasl_oauth_status(s), "invalid_token");
	ck_assert_ptr_nonnull(strstr(sasl_error(s), "example_scope"));
	/* Only once. */
	ck_assert_int_eq(sasl_step(s, json, &out), SASL_FAIL);
	free(json);
	sasl_free(s);
}
END_TEST

START_TEST(test_xoauth2)
{
	struct sasl *s = start(SASL_XOAUTH2, "someuser@example.com",
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
	char *out, *c;
	char *json = sasl_b64_encode("{\"status\":\"401\"}", 16);

	ck_assert_int_eq(sasl_step(s, NULL, &out), SASL_OK);
	c = raw_of(out);
	ck_assert_str_eq(c,
	    "user=someuser@example.com\001auth=Bearer "
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\001\001");
	free(c);
	sasl_wipe_free(out);
	ck_assert_int_eq(sasl_step(s, json, &out), SASL_MORE);
	ck_assert_str_eq(out, "");
	sasl_wipe_free(out);
	ck_assert_str_eq(sasl_oauth_status(s), "401");
	free(json);
	sasl_free(s);
}
END_TEST

/* Run a SCRAM exchange against GNU SASL's server side; tamper: flip a
 * byte of the server's signature before the client sees it. */
static void
scram_run(enum sasl_mech m, int tamper)
{
	static const unsigned char cb[32] = {1, 2, 3, 4, 5};
	Gsasl *ctx;
	Gsasl_session *srv;
	struct sasl_creds c = {0};
	struct sasl *s;
	char *out, *err, *sout = NULL, *cbb;
	unsigned char *raw;
	size_t n;
	int rc;
	enum sasl_res res;

	c.user = "user";
	c.secret = "pencil";
	if (m == SASL_SCRAM_SHA_256_PLUS || m == SASL_SCRAM_SHA_1_PLUS) {
		c.cb_type = "tls-exporter";
		c.cb = cb;
		c.cblen = sizeof cb;
	}
	ck_assert_int_eq(gsasl_init(&ctx), GSASL_OK);
	ck_assert_int_eq(
	    gsasl_server_start(ctx, sasl_mech_name(m), &srv), GSASL_OK);
	gsasl_property_set(srv, GSASL_PASSWORD, "pencil");
	if (c.cb != NULL) {
		cbb = sasl_b64_encode(cb, sizeof cb);
		gsasl_property_set(srv, GSASL_CB_TLS_EXPORTER, cbb);
		free(cbb);
	}
	s = sasl_new(m, &c, &err);
	ck_assert_msg(s != NULL, "sasl_new: %s", err);

	/* client-first */
	ck_assert(!sasl_proof_pending(s));
	ck_assert_int_eq(sasl_step(s, NULL, &out), SASL_MORE);
	ck_assert(!sasl_proof_pending(s));
	raw = sasl_b64_decode(out, &n);
	ck_assert_ptr_nonnull(raw);
	ck_assert_msg(strncmp((char *)raw, c.cb != NULL ? "p=" : "n,", 2) == 0,
	    "gs2 header: %s", raw);
	free(raw);
	rc = gsasl_step64(srv, out, &sout);
	ck_assert_int_eq(rc, GSASL_NEEDS_MORE);
	sasl_wipe_free(out);
	/* server-first -> client-final */
	ck_assert_int_eq(sasl_step(s, sout, &out), SASL_MORE);
	gsasl_free(sout);
	sout = NULL;
	rc = gsasl_step64(srv, out, &sout);
	ck_assert_int_eq(rc, GSASL_OK); /* the client's proof holds */
	sasl_wipe_free(out);
	ck_assert(!sasl_complete(s));
	/* only the server's proof is to come: its answer may go ahead */
	ck_assert(sasl_proof_pending(s));
	/* server-final: "v=" and the signature */
	if (tamper) {
		raw = sasl_b64_decode(sout, &n);
		ck_assert_uint_gt(n, 4);
		raw[4] = raw[4] == 'A' ? 'B' : 'A';
		gsasl_free(sout);
		sout = sasl_b64_encode(raw, n);
		free(raw);
	}
	res = sasl_step(s, sout, &out);
	if (tamper) {
		ck_assert_int_eq(res, SASL_FAIL);
		ck_assert_ptr_null(out);
		ck_assert_msg(strstr(sasl_error(s), "not trusted") != NULL,
		    "%s", sasl_error(s));
		ck_assert(!sasl_complete(s));
		ck_assert(!sasl_proof_pending(s));
		free(sout);
	} else {
		ck_assert_msg(res == SASL_OK, "%s", sasl_error(s));
		ck_assert_str_eq(out, "");
		ck_assert(sasl_complete(s));
		ck_assert(!sasl_proof_pending(s));
		sasl_wipe_free(out);
		gsasl_free(sout);
	}
	sasl_free(s);
	gsasl_finish(srv);
	gsasl_done(ctx);
}

START_TEST(test_scram_sha_1)
{
	scram_run(SASL_SCRAM_SHA_1, 0);
}
END_TEST

START_TEST(test_scram_sha_256)
{
	scram_run(SASL_SCRAM_SHA_256, 0);
}
END_TEST

START_TEST(test_scram_sha_256_plus)
{
	scram_run(SASL_SCRAM_SHA_256_PLUS, 0);
}
END_TEST

START_TEST(test_scram_tampered)
{
	scram_run(SASL_SCRAM_SHA_256, 1);
	scram_run(SASL_SCRAM_SHA_1, 1);
}
END_TEST

/* A wrong password: the server refuses the proof; the client has not
 * finished. */
START_TEST(test_scram_garbage)
{
	struct sasl *s = start(SASL_SCRAM_SHA_256, "user", "pencil");
	char *out;

	ck_assert_int_eq(sasl_step(s, NULL, &out), SASL_MORE);
	sasl_wipe_free(out);
	ck_assert_int_eq(sasl_step(s, "bm9uc2Vuc2U=", &out), SASL_FAIL);
	ck_assert_ptr_nonnull(sasl_error(s));
	sasl_free(s);
}
END_TEST

/* A SCRAM exchange against GNU SASL's server, which sends salt (base64)
 * and iter, with the salted password made ahead for pre and pre_iter
 * (sasl_prepare()); the server checks the client's proof and the client
 * the server's. Returns whether the value made ahead was taken. */
static int
scram_ahead(enum sasl_mech m, const char *password, const char *salt,
    unsigned int iter, const char *pre, unsigned int pre_iter)
{
	struct sasl_creds c = {0};
	Gsasl *ctx;
	Gsasl_session *srv;
	struct sasl *s;
	char *out, *err, *sout = NULL, its[16];
	const char *got;
	unsigned int got_iter = 0;
	enum sasl_res res;
	int used;

	c.user = "user";
	c.secret = password;
	c.salt = pre;
	c.iter = pre_iter;
	ck_assert_int_eq(gsasl_init(&ctx), GSASL_OK);
	ck_assert_int_eq(
	    gsasl_server_start(ctx, sasl_mech_name(m), &srv), GSASL_OK);
	gsasl_property_set(srv, GSASL_PASSWORD, password);
	gsasl_property_set(srv, GSASL_SCRAM_SALT, salt);
	(void)snprintf(its, sizeof its, "%u", iter);
	gsasl_property_set(srv, GSASL_SCRAM_ITER, its);
	s = sasl_new(m, &c, &err);
	ck_assert_msg(s != NULL, "sasl_new: %s", err);
	ck_assert_ptr_null(sasl_scram_salt(s, &got_iter));

	ck_assert_int_eq(sasl_step(s, NULL, &out), SASL_MORE);
	ck_assert_int_eq(sasl_prepare(s), pre != NULL && *pre != '\0');
	ck_assert_int_eq(sasl_prepare(s), 0); /* once */
	ck_assert_int_eq(gsasl_step64(srv, out, &sout), GSASL_NEEDS_MORE);
	sasl_wipe_free(out);
	ck_assert_int_eq(sasl_step(s, sout, &out), SASL_MORE);
	ck_assert_int_eq(sasl_prepare(s), 0); /* too late */
	gsasl_free(sout);
	sout = NULL;
	/* the client's proof holds */
	ck_assert_int_eq(gsasl_step64(srv, out, &sout), GSASL_OK);
	sasl_wipe_free(out);
	ck_assert_ptr_null(sasl_scram_salt(s, &got_iter));
	res = sasl_step(s, sout, &out);
	ck_assert_msg(res == SASL_OK, "%s", sasl_error(s));
	ck_assert(sasl_complete(s));
	sasl_wipe_free(out);
	gsasl_free(sout);
	/* what the next login hashes ahead with */
	got = sasl_scram_salt(s, &got_iter);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, salt);
	ck_assert_uint_eq(got_iter, iter);
	used = sasl_prepared(s);
	sasl_free(s);
	gsasl_finish(srv);
	gsasl_done(ctx);
	return used;
}

/* The same salt and iteration count: the value made ahead is taken
 * (sasl_prepared()), and the proofs check both ways. How much CPU that
 * saves is the benchmark's to show (make bench-wan), not a unit test's. */
START_TEST(test_scram_ahead)
{
	static const char salt[] = "c2FsdHNhbHRzYWx0c2FsdA==";

	ck_assert(
	    scram_ahead(SASL_SCRAM_SHA_256, "pencil", salt, 4096, salt, 4096));
	ck_assert(
	    scram_ahead(SASL_SCRAM_SHA_1, "pencil", salt, 4096, salt, 4096));
	ck_assert(scram_ahead(SASL_SCRAM_SHA_256, "p\xc3\xa4ssw\xc2\xaaord",
	    salt, 4096, salt, 4096));
	ck_assert(
	    !scram_ahead(SASL_SCRAM_SHA_256, "pencil", salt, 4096, NULL, 0));
}
END_TEST

/* Another salt or count than the one hashed ahead: the value is not
 * taken (it would be wrong: the server would refuse the proof) and the
 * exchange goes the normal way. */
START_TEST(test_scram_ahead_stale)
{
	static const char salt[] = "c2FsdHNhbHRzYWx0c2FsdA==";
	static const char other[] = "b3RoZXJzYWx0b3RoZXJzYQ==";

	ck_assert(!scram_ahead(
	    SASL_SCRAM_SHA_256, "pencil", salt, 4096, other, 4096));
	ck_assert(
	    !scram_ahead(SASL_SCRAM_SHA_256, "pencil", salt, 4096, salt, 4097));
	ck_assert(
	    !scram_ahead(SASL_SCRAM_SHA_1, "pencil", salt, 4096, other, 4096));
	/* not base64, or out of bounds: nothing made */
	ck_assert(
	    !scram_ahead(SASL_SCRAM_SHA_256, "pencil", salt, 4096, "", 4096));
	ck_assert(
	    !scram_ahead(SASL_SCRAM_SHA_256, "pencil", salt, 4096, NULL, 4096));
}
END_TEST

START_TEST(test_choose)
{
	unsigned int all = 0, pl = SASL_BIT(SASL_PLAIN) | SASL_BIT(SASL_LOGIN);
	enum sasl_mech m;
	char *why;
	int i;

	for (i = SASL_LOGIN; i < SASL_MECH_COUNT; i++)
		all |= SASL_BIT(i);
	ck_assert_int_eq(
	    sasl_mech_from_name("scram-sha-256", 13), SASL_SCRAM_SHA_256);
	ck_assert_int_eq(sasl_mech_from_name("SCRAM-SHA-256-PLUS", 18),
	    SASL_SCRAM_SHA_256_PLUS);
	ck_assert_int_eq(sasl_mech_from_name("GSSAPI", 6), -1);

	/* auto: the strongest the account can do. */
	ck_assert_int_eq(sasl_choose(SASL_AUTO, all,
	                     SASL_CAN_PASSWORD | SASL_TLS | SASL_CB, &m, &why),
	    0);
	ck_assert_int_eq(m, SASL_SCRAM_SHA_256_PLUS);
	ck_assert_int_eq(
	    sasl_choose(SASL_AUTO, all, SASL_CAN_PASSWORD | SASL_TLS, &m, &why),
	    0);
	ck_assert_int_eq(m, SASL_SCRAM_SHA_256);
	ck_assert_int_eq(sasl_choose(SASL_AUTO,
	                     all & ~SASL_BIT(SASL_SCRAM_SHA_256) &
	                         ~SASL_BIT(SASL_SCRAM_SHA_256_PLUS),
	                     SASL_CAN_PASSWORD | SASL_TLS, &m, &why),
	    0);
	ck_assert_int_eq(m, SASL_SCRAM_SHA_1);
	ck_assert_int_eq(
	    sasl_choose(SASL_AUTO, pl, SASL_CAN_PASSWORD | SASL_TLS, &m, &why),
	    0);
	ck_assert_int_eq(m, SASL_PLAIN);
	ck_assert_int_eq(
	    sasl_choose(SASL_AUTO, all, SASL_CAN_TOKEN | SASL_TLS, &m, &why),
	    0);
	ck_assert_int_eq(m, SASL_OAUTHBEARER);
	/* Tokens only with a token command. */
	ck_assert_int_eq(sasl_choose(SASL_AUTO,
	                     SASL_BIT(SASL_OAUTHBEARER) | SASL_BIT(SASL_PLAIN),
	                     SASL_CAN_PASSWORD | SASL_TLS, &m, &why),
	    0);
	ck_assert_int_eq(m, SASL_PLAIN);

	/* No PLAIN or LOGIN in the clear, even when asked for. */
	ck_assert_int_eq(
	    sasl_choose(SASL_AUTO, pl, SASL_CAN_PASSWORD, &m, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "unencrypted"));
	free(why);
	ck_assert_int_eq(
	    sasl_choose(SASL_PLAIN, pl, SASL_CAN_PASSWORD, &m, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "unencrypted"));
	free(why);
	/* SCRAM without TLS is fine. */
	ck_assert_int_eq(
	    sasl_choose(SASL_AUTO, all, SASL_CAN_PASSWORD, &m, &why), 0);
	ck_assert_int_eq(m, SASL_SCRAM_SHA_256);

	/* A named one not offered names what is. */
	ck_assert_int_eq(sasl_choose(SASL_SCRAM_SHA_256, pl,
	                     SASL_CAN_PASSWORD | SASL_TLS, &m, &why),
	    -1);
	ck_assert_str_eq(why,
	    "the server does not offer SCRAM-SHA-256 (it offers PLAIN LOGIN)");
	free(why);
	/* A named SCRAM takes -PLUS when it can. */
	ck_assert_int_eq(sasl_choose(SASL_SCRAM_SHA_1, all,
	                     SASL_CAN_PASSWORD | SASL_TLS | SASL_CB, &m, &why),
	    0);
	ck_assert_int_eq(m, SASL_SCRAM_SHA_1_PLUS);
	ck_assert_int_eq(sasl_choose(SASL_XOAUTH2, all,
	                     SASL_CAN_PASSWORD | SASL_TLS, &m, &why),
	    -1);
	ck_assert_ptr_nonnull(strstr(why, "oauth2-token-command"));
	free(why);
}
END_TEST

static Suite *
sasl_suite(void)
{
	Suite *s = suite_create("sasl");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_base64);
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_login);
	tcase_add_test(tc, test_oauthbearer);
	tcase_add_test(tc, test_oauthbearer_error);
	tcase_add_test(tc, test_xoauth2);
	tcase_add_test(tc, test_scram_sha_1);
	tcase_add_test(tc, test_scram_sha_256);
	tcase_add_test(tc, test_scram_sha_256_plus);
	tcase_add_test(tc, test_scram_tampered);
	tcase_add_test(tc, test_scram_garbage);
	tcase_add_test(tc, test_scram_ahead);
	tcase_add_test(tc, test_scram_ahead_stale);
	tcase_add_test(tc, test_choose);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sasl_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
