/* SPDX-License-Identifier: MIT */
/* mock-sts: AWS STS and the IAM subset it needs. Flags and start-up only. */
#include "config.h"

#include "serve.h"

int
main(int argc, char **argv)
{
	static const struct tl_server_program prog = {
		.name = "mock-sts",
		.summary = "A local AWS STS (AssumeRoleWithWebIdentity, GetCallerIdentity) and the "
			   "IAM\n"
			   "subset to set it up; verifies tokens strictly and evaluates real trust "
			   "policies.",
	};
	return tl_server_program_main(&prog, argc, argv);
}
