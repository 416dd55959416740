/* SPDX-License-Identifier: MIT */
/*
 * trustlab validate: loads scenario files (or the scenarios in
 * directories) and reports every problem with file:line:column and the
 * JSON path, before anything runs. Exit 0 all valid, 2 otherwise.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "runner.h"
#include "scenario/chain.h"
#include "scenario/scenario.h"

#define MAX_REPORTED_ERRORS 50

static void
usage(FILE *out)
{
	fprintf(out, "Usage: trustlab validate [--quiet] PATH...\n"
		     "\n"
		     "Checks scenario files without running them: the schema, the provider\n"
		     "profiles, every token context against its provider's vocabulary, the\n"
		     "expectations, and every trust policy as IAM would when it is saved.\n"
		     "A directory is searched recursively for *.json, *.yaml and *.yml files\n"
		     "that start with a 'trustlab' key.\n"
		     "\n"
		     "Prints 'ok FILE (N cases, R roles)' for a valid file (not with --quiet)\n"
		     "and 'FILE:LINE:COLUMN: PATH: message' on stderr for each problem.\n"
		     "\n"
		     "  -q, --quiet  print only problems\n"
		     "\n"
		     "Exit status: 0 every file is valid, 2 a file is invalid or unreadable.\n"
		     "See docs/scenario-format.md.\n");
}

static int
validate_file(const char *path, bool quiet)
{
	struct tl_error errors[MAX_REPORTED_ERRORS];
	size_t n_errors = 0;
	struct tl_scenario_options opt = {
		.errors = errors,
		.max_errors = MAX_REPORTED_ERRORS,
		.n_errors = &n_errors,
	};
	struct tl_error err;
	char line[TL_ERROR_FILE_MAX + TL_ERROR_PATH_MAX + TL_ERROR_MESSAGE_MAX + 64];

	tl_error_clear(&err);
	struct tl_scenario *s = tl_scenario_load_file(path, &opt, &err);
	if (!s) {
		if (n_errors == 0) {
			errors[0] = err;
			n_errors = 1;
		}
		for (size_t i = 0; i < n_errors; i++) {
			tl_error_format(&errors[i], line, sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
		return -1;
	}
	if (!quiet) {
		size_t cases = tl_scenario_case_count(s) + tl_scenario_chain_count(s);
		printf("ok %s (%zu case%s, %zu role%s)\n", path, cases, cases == 1 ? "" : "s",
		       tl_scenario_role_count(s), tl_scenario_role_count(s) == 1 ? "" : "s");
	}
	tl_scenario_free(s);
	return 0;
}

int
tl_cmd_validate(int argc, char **argv)
{
	static const struct option options[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool quiet = false;
	int opt, failures = 0;

	while ((opt = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
		switch (opt) {
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return TL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'trustlab validate --help'.\n");
			return TL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "trustlab validate: no PATH given\n"
				"Try 'trustlab validate --help'.\n");
		return TL_EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		char **files = NULL;
		size_t n = 0;
		struct tl_error err;
		if (tl_scenario_collect(argv[i], &files, &n, &err) < 0) {
			char line[TL_ERROR_FILE_MAX + TL_ERROR_MESSAGE_MAX + 8];
			tl_error_format(&err, line, sizeof(line));
			fprintf(stderr, "%s\n", line);
			failures++;
		}
		for (size_t f = 0; f < n; f++)
			if (validate_file(files[f], quiet) < 0)
				failures++;
		tl_scenario_files_free(files, n);
	}
	return failures ? TL_EXIT_USAGE : TL_EXIT_OK;
}
