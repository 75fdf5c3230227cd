/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/journal.c: every operation encodes and decodes back
 * to the same arguments and text, rows written by earlier versions still
 * read, and each kind of bad row is refused with a reason. */

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "xmalloc.h"
#include "cache/store.h"

/* Encode a, check the text, decode it back and compare field by field. */
static void
round_trip(const struct journal_args *a, const char *want)
{
	struct journal_args b;
	const char *err = "x";
	char *s;

	s = journal_encode(a);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, want);
	ck_assert_int_eq(
	    journal_decode(journal_op_name(a->op), s, &b, &err), 0);
	ck_assert_ptr_null(err);
	ck_assert_int_eq(b.op, a->op);
	ck_assert_str_eq(b.folder, a->folder);
	switch (a->op) {
	case JOURNAL_FLAGS:
		ck_assert_int_eq(b.u.flags.sign, a->u.flags.sign);
		ck_assert_int_eq(b.u.flags.letter, a->u.flags.letter);
		ck_assert_uint_eq(b.u.flags.modseq, a->u.flags.modseq);
		break;
	case JOURNAL_MOVE:
	case JOURNAL_COPY:
		ck_assert_str_eq(b.u.move.dest, a->u.move.dest);
		break;
	case JOURNAL_EXPUNGE:
		ck_assert_str_eq(b.u.expunge.uids, a->u.expunge.uids);
		break;
	case JOURNAL_MOVEBACK:
		ck_assert_uint_eq(b.u.moveback.uid, a->u.moveback.uid);
		ck_assert_str_eq(b.u.moveback.to, a->u.moveback.to);
		break;
	default:
		ck_abort_msg("no round trip for op %d", a->op);
	}
	journal_args_clear(&b);
	ck_assert_ptr_null(b.folder);
	free(s);
}

START_TEST(test_journal_round_trip)
{
	struct journal_args a;

	memset(&a, 0, sizeof a);
	a.op = JOURNAL_FLAGS;
	a.folder = "INBOX";
	a.u.flags.sign = '+';
	a.u.flags.letter = 'S';
	round_trip(&a, "+S\t0\tINBOX");
	a.u.flags.sign = '-';
	a.u.flags.letter = 'A';
	a.u.flags.modseq = UINT64_MAX;
	a.folder = "Archive/2024\twith a tab";
	round_trip(&a, "-A\t18446744073709551615\tArchive/2024\twith a tab");

	memset(&a, 0, sizeof a);
	a.op = JOURNAL_MOVE;
	a.folder = "INBOX";
	a.u.move.dest = "&AOQ-hnlich";
	round_trip(&a, "&AOQ-hnlich\tINBOX");
	a.op = JOURNAL_COPY;
	round_trip(&a, "&AOQ-hnlich\tINBOX");

	memset(&a, 0, sizeof a);
	a.op = JOURNAL_EXPUNGE;
	a.folder = "INBOX";
	a.u.expunge.uids = "1:3,7,9:*";
	round_trip(&a, "1:3,7,9:*\tINBOX");

	memset(&a, 0, sizeof a);
	a.op = JOURNAL_MOVEBACK;
	a.folder = "Archive";
	a.u.moveback.uid = UINT32_MAX;
	a.u.moveback.to = "INBOX";
	round_trip(&a, "4294967295\tArchive\tINBOX");
}
END_TEST

/* The helpers write what the encoder writes, rows made by earlier
 * versions (same text) read, and names go both ways. */
START_TEST(test_journal_helpers)
{
	struct journal_args a;
	char *s;

	s = journal_flags_arg('+', 'D', 12, "INBOX");
	ck_assert_str_eq(s, "+D\t12\tINBOX");
	free(s);
	s = journal_move_arg("Archive", "INBOX");
	ck_assert_str_eq(s, "Archive\tINBOX");
	free(s);
	s = journal_expunge_arg("5", "INBOX");
	ck_assert_str_eq(s, "5\tINBOX");
	free(s);
	s = journal_moveback_arg(3, "Archive", "INBOX");
	ck_assert_str_eq(s, "3\tArchive\tINBOX");
	free(s);
	ck_assert_str_eq(journal_op_name(JOURNAL_FLAGS), "flags");
	ck_assert_str_eq(journal_op_name(JOURNAL_MOVEBACK), "moveback");
	ck_assert_str_eq(journal_op_name(JOURNAL_APPEND), "append");
	ck_assert_str_eq(journal_op_name(JOURNAL_SEND), "send");
	ck_assert_ptr_null(journal_op_name(JOURNAL_UNKNOWN));
	ck_assert_ptr_null(journal_op_name((enum journal_op)99));
	/* Fields that would not read back are refused, not stored. */
	ck_assert_ptr_null(journal_flags_arg('*', 'S', 0, "INBOX"));
	ck_assert_ptr_null(journal_flags_arg('+', 'X', 0, "INBOX"));
	ck_assert_ptr_null(journal_flags_arg('+', '\0', 0, "INBOX"));
	ck_assert_ptr_null(journal_flags_arg('+', 'S', 0, ""));
	ck_assert_ptr_null(journal_move_arg("A\tB", "INBOX"));
	ck_assert_ptr_null(journal_move_arg("", "INBOX"));
	ck_assert_ptr_null(journal_expunge_arg("1 2", "INBOX"));
	ck_assert_ptr_null(journal_moveback_arg(0, "Archive", "INBOX"));
	ck_assert_ptr_null(journal_moveback_arg(1, "A\tB", "INBOX"));
	memset(&a, 0, sizeof a);
	a.op = JOURNAL_APPEND;
	a.folder = "INBOX";
	ck_assert_ptr_null(journal_encode(&a));
}
END_TEST

static const struct {
	const char *op, *arg, *why;
} bad[] = {
    {"", "", "an unknown operation"},
    {"delete", "1\tINBOX", "an unknown operation"},
    {"FLAGS", "+S\t0\tINBOX", "an unknown operation"},
    {"append", "INBOX", "not known to this errand yet"},
    {"send", "", "not known to this errand yet"},
    {"flags", "", "not a flag change"},
    {"flags", "+D", "no modseq"},
    {"flags", "+X\t0\tINBOX", "not a flag change"},
    {"flags", "S+\t0\tINBOX", "not a flag change"},
    {"flags", "+SF\t0\tINBOX", "not a flag change"},
    {"flags", "+S\t\tINBOX", "a bad modseq"},
    {"flags", "+S\t-1\tINBOX", "a bad modseq"},
    {"flags", "+S\t18446744073709551616\tINBOX", "a bad modseq"},
    {"flags", "+S\t0", "no folder"},
    {"flags", "+S\t0\t", "no folder"},
    {"move", "", "no destination"},
    {"move", "\t", "no destination"},
    {"move", "Archive", "no folder"},
    {"copy", "Archive\t", "no folder"},
    {"expunge", "", "a bad UID set"},
    {"expunge", "1 2\tINBOX", "a bad UID set"},
    {"expunge", "5", "no folder"},
    {"moveback", "12\tArchive", "no destination"},
    {"moveback", "0\tArchive\tINBOX", "a bad UID"},
    {"moveback", "4294967296\tArchive\tINBOX", "a bad UID"},
    {"moveback", "x\tArchive\tINBOX", "a bad UID"},
    {"moveback", "12", "no folder"},
    {"moveback", "12\t\tINBOX", "no folder"},
};

START_TEST(test_journal_bad)
{
	struct journal_args a;
	const char *err;

	err = NULL;
	ck_assert_int_eq(journal_decode(bad[_i].op, bad[_i].arg, &a, &err), -1);
	ck_assert_int_eq(a.op, JOURNAL_UNKNOWN);
	ck_assert_ptr_null(a.folder);
	ck_assert_msg(err != NULL && strcmp(err, bad[_i].why) == 0,
	    "'%s' '%s': '%s', not '%s'", bad[_i].op, bad[_i].arg,
	    err != NULL ? err : "(none)", bad[_i].why);
	journal_args_clear(&a);
}
END_TEST

/* What errand push prints and re-targets, from rows. */
START_TEST(test_journal_rows)
{
	struct store_journal j;
	char *s;

	memset(&j, 0, sizeof j);
	j.uid = 5;
	j.op = "flags";
	j.arg = "+D\t77\tINBOX";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "flags +D of UID 5 in 'INBOX'");
	free(s);
	s = journal_retarget_arg(&j, 9);
	ck_assert_str_eq(s, "+D\t0\tINBOX"); /* the modseq is forgotten */
	free(s);
	s = journal_folder(&j);
	ck_assert_str_eq(s, "INBOX");
	free(s);

	j.op = "moveback";
	j.arg = "12\tArchive\tINBOX";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "move back of UID 12 from 'Archive' to 'INBOX'");
	free(s);
	s = journal_retarget_arg(&j, 30);
	ck_assert_str_eq(s, "30\tArchive\tINBOX");
	free(s);
	s = journal_folder(&j);
	ck_assert_str_eq(s, "Archive");
	free(s);

	j.op = "copy";
	j.arg = "Archive\tINBOX";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "copy of UID 5 from 'INBOX' to 'Archive'");
	free(s);

	j.op = "expunge";
	j.arg = "1:4\tINBOX";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "expunge of UIDs 1:4 in 'INBOX'");
	free(s);

	j.op = "delete";
	j.arg = "x";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "delete (unknown to this errand)");
	free(s);
	ck_assert_ptr_null(journal_folder(&j));
	s = journal_retarget_arg(&j, 9);
	ck_assert_str_eq(s, "x"); /* kept as it is */
	free(s);

	j.op = "flags";
	j.arg = "+D";
	s = journal_describe(&j);
	ck_assert_str_eq(s, "flags (unreadable to this errand)");
	free(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_journal_round_trip);
	tcase_add_test(tc, test_journal_helpers);
	tcase_add_loop_test(
	    tc, test_journal_bad, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, test_journal_rows);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
