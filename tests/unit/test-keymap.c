/* errand: a terminal mail user agent. See LICENSE.
 * Unit tests for src/keymap.c: every action and screen has a name that
 * reads back, key names round-trip, mutt's defaults are in place and a
 * binding replaces one. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "keymap.h"

START_TEST(test_keymap_names)
{
	const char *name;
	int a, s;

	for (a = 1; a < KEYMAP_NACTIONS; a++) {
		name = keymap_action_name((enum keymap_action)a);
		ck_assert_ptr_nonnull(name);
		ck_assert_int_eq(keymap_action_from_name(name), a);
		ck_assert_ptr_nonnull(
		    keymap_action_help((enum keymap_action)a));
		ck_assert_int_gt(
		    strlen(keymap_action_help((enum keymap_action)a)), 0);
	}
	ck_assert_int_eq(keymap_action_from_name("fly"), KEYMAP_NONE);
	for (s = 0; s < KEYMAP_NSCREENS; s++)
		ck_assert_int_eq(keymap_screen_from_name(
		                     keymap_screen_name((enum keymap_screen)s)),
		    s);
	ck_assert_int_eq(keymap_screen_from_name("inbox"), -1);
}
END_TEST

START_TEST(test_keymap_keys)
{
	static const char *const names[] = {"j", "$", "C-g", "C-l", "Down",
	    "PgDn", "Home", "Enter", "Space", "Tab", "F1", "F12", "Escape"};
	char buf[16];
	size_t i;
	int k;

	for (i = 0; i < sizeof names / sizeof *names; i++) {
		k = keymap_key_from_name(names[i]);
		ck_assert_int_ge(k, 0);
		ck_assert_str_eq(keymap_key_name(k, buf, sizeof buf), names[i]);
	}
	ck_assert_int_eq(keymap_key_from_name("Hyper-x"), -1);
	ck_assert_int_eq(keymap_key_from_name("F13"), -1);
	ck_assert_int_eq(keymap_key_from_name("C-%"), -1);
	ck_assert_int_eq(keymap_key_from_name(""), -1);
}
END_TEST

START_TEST(test_keymap_defaults)
{
	struct keymap *km = keymap_new();
	int keys[8];

	ck_assert_int_eq(keymap_lookup(km, KEYMAP_INDEX, 'j'), KEYMAP_NEXT);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_INDEX, '\r'), KEYMAP_OPEN);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_INDEX, '\n'), KEYMAP_OPEN);
	ck_assert_int_eq(
	    keymap_lookup(km, KEYMAP_PAGER, ' '), KEYMAP_PAGE_DOWN);
	ck_assert_int_eq(
	    keymap_lookup(km, KEYMAP_INDEX, 'N'), KEYMAP_TOGGLE_NEW);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_FOLDERS, 'q'), KEYMAP_QUIT);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_INDEX, 7), KEYMAP_CANCEL);
	/* Writing, as mutt: the same keys in the index and the pager, and
	 * the compose menu's c and y over the common ones. */
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_INDEX, 'm'), KEYMAP_MAIL);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_PAGER, 'r'), KEYMAP_REPLY);
	ck_assert_int_eq(
	    keymap_lookup(km, KEYMAP_PAGER, 'g'), KEYMAP_GROUP_REPLY);
	ck_assert_int_eq(
	    keymap_lookup(km, KEYMAP_INDEX, 'L'), KEYMAP_LIST_REPLY);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_INDEX, 'f'), KEYMAP_FORWARD);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_INDEX, 'R'), KEYMAP_RECALL);
	ck_assert_int_eq(
	    keymap_lookup(km, KEYMAP_COMPOSE, 'c'), KEYMAP_EDIT_CC);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_COMPOSE, 'y'), KEYMAP_SEND);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_COMPOSE, 'q'), KEYMAP_QUIT);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_COMPOSE, '/'), KEYMAP_NONE);
	ck_assert_int_eq(
	    keymap_lookup(km, KEYMAP_INDEX, 'c'), KEYMAP_CHANGE_FOLDER);
	keymap_bind(km, KEYMAP_INDEX, 'G', KEYMAP_LAST);
	keymap_bind(km, KEYMAP_INDEX, 'j', KEYMAP_NONE);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_INDEX, 'G'), KEYMAP_LAST);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_INDEX, 'j'), KEYMAP_NONE);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_PAGER, 'j'), KEYMAP_NEXT);
	ck_assert_uint_eq(
	    keymap_keys(km, KEYMAP_INDEX, KEYMAP_LAST, keys, 8), 3);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_INDEX, -1), KEYMAP_NONE);
	ck_assert_int_eq(keymap_lookup(km, KEYMAP_INDEX, 1 << 20), KEYMAP_NONE);
	keymap_free(km);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("keymap");
	TCase *tc = tcase_create("keymap");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_keymap_names);
	tcase_add_test(tc, test_keymap_keys);
	tcase_add_test(tc, test_keymap_defaults);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
