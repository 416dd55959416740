/* SPDX-License-Identifier: MIT */
/*
 * trustlab validate: loads scenario files (or the scenarios in
 * directories) and reports every problem with file:line:column and the
 * JSON path, before anything runs. Exit 0 all valid, 2 otherwise.
 */
#include "config.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runner.h"
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
	if (!quiet)
		printf("ok %s (%zu case%s, %zu role%s)\n", path, tl_scenario_case_count(s),
		       tl_scenario_case_count(s) == 1 ? "" : "s", tl_scenario_role_count(s),
		       tl_scenario_role_count(s) == 1 ? "" : "s");
	tl_scenario_free(s);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Scenarios under `dir` in name order; returns the number of failures. */
static int
validate_dir(const char *dir, bool quiet, int depth, size_t *found)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	int failures = 0;
	struct dirent *de;

	if (!d) {
		fprintf(stderr, "%s: cannot open directory\n", dir);
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **grown = realloc(names, cap * sizeof(*names));
			if (!grown)
				break;
			names = grown;
		}
		size_t dl = strlen(dir);
		while (dl > 1 && dir[dl - 1] == '/')
			dl--;
		if (asprintf(&names[n], "%.*s/%s", (int)dl, dir, de->d_name) >= 0)
			n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < 32)
				failures += validate_dir(names[i], quiet, depth + 1, found);
		} else if (tl_scenario_sniff(names[i])) {
			(*found)++;
			if (validate_file(names[i], quiet) < 0)
				failures++;
		}
		free(names[i]);
	}
	free(names);
	return failures;
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
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			size_t found = 0;
			failures += validate_dir(argv[i], quiet, 0, &found);
			if (!found) {
				fprintf(stderr, "%s: no scenario files found\n", argv[i]);
				failures++;
			}
		} else if (validate_file(argv[i], quiet) < 0)
			failures++;
	}
	return failures ? TL_EXIT_USAGE : TL_EXIT_OK;
}
