/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "runner.h"

int
tl_cmd_diff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return TL_EXIT_USAGE;
}
