/* SPDX-License-Identifier: MIT */
/* trustlab: the user's entry point. One file per subcommand. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "util/log.h"

#include "runner.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"run", tl_cmd_run, "run scenario files through both servers and report"},
	{"validate", tl_cmd_validate, "check scenario files without running them"},
	{"matrix", tl_cmd_matrix, "print who can assume which role, measured"},
	{"roles", tl_cmd_roles, "list the roles in Terraform plans, templates, IAM snapshots"},
	{"explain", tl_cmd_explain, "evaluate a trust policy for one request and say why"},
	{"lint", tl_cmd_lint, "check trust policies for holes: wildcards, missing conditions, ..."},
	{"probe", tl_cmd_probe, "search the token space for contexts a role wrongly admits"},
	{"diff", tl_cmd_diff, "who gains or loses access between two policy versions"},
	{"token", tl_cmd_token, "mint one token as a CI provider would and print its claims"},
	{"serve", tl_cmd_serve, "run mock-issuer and mock-sts until interrupted"},
	{"smoke", tl_cmd_smoke, "one real exchange end to end, as a quick check"},
};

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: trustlab COMMAND [OPTIONS]\n"
		"\n"
		"Offline tests of AWS trust policies for CI OIDC federation: a mock OIDC\n"
		"issuer, a strict mock STS, and a runner that proves who can assume which role.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n"
		     "Options:\n"
		     "  -h, --help     show this help and exit\n"
		     "  -V, --version  show the version and exit\n"
		     "\n"
		     "Run 'trustlab COMMAND --help' for a command's options.\n"
		     "Exit status: 0 success, 1 a check failed, 2 invalid input.\n");
}

int
main(int argc, char **argv)
{
	tl_log_setup("trustlab", TL_LOG_WARNING, 50);
	if (argc < 2) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return TL_EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("trustlab %s\n", TL_VERSION);
		return TL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "trustlab: unknown command '%s'\nTry 'trustlab --help'.\n", argv[1]);
	return TL_EXIT_USAGE;
}
