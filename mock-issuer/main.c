/* SPDX-License-Identifier: MIT */
/* mock-issuer: a local OIDC issuer. Flags and start-up only; the service lives in libtrustlab. */
#include "config.h"

#include "serve.h"

int
main(int argc, char **argv)
{
	static const struct tl_server_program prog = {
		.name = "mock-issuer",
		.summary = "A local OIDC issuer for offline tests of CI trust policies: discovery\n"
			   "document, JWKS, and tokens shaped like each CI provider's.",
	};
	return tl_server_program_main(&prog, argc, argv);
}
