/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "claims/claims.h"
#include "test-common.h"

START_TEST(registry)
{
	ck_assert_ptr_nonnull(tl_claims_profile_find("github"));
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("claims");
	TCase *tc = tcase_create("registry");
	tcase_add_test(tc, registry);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
