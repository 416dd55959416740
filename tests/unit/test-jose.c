/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "test-common.h"
void
tl_test_add_suites(SRunner *sr)
{
	(void)sr;
}
