/* SPDX-License-Identifier: MIT */
/*
 * main() for every Check test binary: each binary provides
 * tl_test_add_suites(). Exits non-zero on any failure so the binary also
 * fails when run by hand or under meson's exitcode protocol.
 */
#include "config.h"

#include <stdlib.h>

#include "test-common.h"

int
main(int argc, char **argv)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

	tl_test_set_args(argc, argv);
	tl_test_add_suites(sr);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
