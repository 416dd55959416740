/* SPDX-License-Identifier: MIT */
/*
 * trustlab matrix: the access matrix of scenarios, measured through both
 * servers: one row per token context (case), one column per role, each
 * cell what mock-sts actually answered. A cell that differs from the
 * scenario's expectation is marked, with the expectation beside it.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/exchange.h"
#include "report/report.h"
#include "runner.h"
#include "scenario/scenario.h"

static const char *
short_outcome(const char *actual)
{
	return strcmp(actual, "AccessDenied") == 0 ? "deny" : actual;
}

/* Prints the grid of one scenario from its results in `report`, [from, to). */
static void
print_grid(void *ctx, const struct tl_scenario *s, const struct tl_report *report, size_t from,
	   size_t to)
{
	size_t nroles = tl_scenario_role_count(s), name_width = 4;
	size_t *widths = calloc(nroles ? nroles : 1, sizeof(*widths));
	char cell[256];

	if (!widths)
		return;
	for (size_t r = 0; r < nroles; r++)
		widths[r] = strlen(tl_scenario_role(s, r)->name);
	for (size_t i = from; i < to; i++) {
		const struct tl_report_result *res = tl_report_get(report, i);
		size_t n = strlen(res->name);
		if (n > name_width)
			name_width = n;
		for (size_t r = 0; r < nroles; r++)
			if (strcmp(tl_scenario_role(s, r)->name, res->role) == 0) {
				int len = snprintf(cell, sizeof(cell),
						   res->passed ? "%s" : "%s! (%s)",
						   short_outcome(res->actual), res->expected);
				if ((size_t)len > widths[r])
					widths[r] = (size_t)len;
			}
	}
	printf("%s (%s)\n", tl_scenario_name(s), tl_scenario_file(s));
	printf("  %-*s", (int)name_width, "case");
	for (size_t r = 0; r < nroles; r++)
		printf("  %-*s", r + 1 < nroles ? (int)widths[r] : 0, tl_scenario_role(s, r)->name);
	printf("\n");
	for (size_t i = from; i < to;) {
		const char *name = tl_report_get(report, i)->name;
		size_t end = i;
		while (end < to && strcmp(tl_report_get(report, end)->name, name) == 0)
			end++;
		printf("  %-*s", (int)name_width, name);
		for (size_t r = 0; r < nroles; r++) {
			const char *text = "-";
			for (size_t k = i; k < end; k++) {
				const struct tl_report_result *res = tl_report_get(report, k);
				if (strcmp(res->role, tl_scenario_role(s, r)->name) == 0) {
					snprintf(cell, sizeof(cell),
						 res->passed ? "%s" : "%s! (%s)",
						 short_outcome(res->actual), res->expected);
					text = cell;
				}
			}
			printf("  %-*s", r + 1 < nroles ? (int)widths[r] : 0, text);
		}
		printf("\n");
		i = end;
	}
	printf("\n");
	free(widths);
}

int
tl_cmd_matrix(int argc, char **argv)
{
	enum { OPT_ISSUER_URL = 256, OPT_STS_URL };
	static const struct option options[] = {
		{"jobs", required_argument, NULL, 'j'},
		{"issuer-url", required_argument, NULL, OPT_ISSUER_URL},
		{"sts-url", required_argument, NULL, OPT_STS_URL},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tl_exchange_config xcfg = {0};
	struct tl_run_selection sel = {0};
	struct tl_report *report;
	unsigned long jobs = 4;
	int opt, status = TL_EXIT_USAGE;

	while ((opt = getopt_long(argc, argv, "j:h", options, NULL)) != -1) {
		char *end;
		switch (opt) {
		case 'j':
			jobs = strtoul(optarg, &end, 10);
			if (*end || jobs < 1 || jobs > 64) {
				fprintf(stderr, "trustlab matrix: --jobs '%s': expected 1 to 64\n",
					optarg);
				return TL_EXIT_USAGE;
			}
			break;
		case OPT_ISSUER_URL:
			xcfg.issuer_url = optarg;
			break;
		case OPT_STS_URL:
			xcfg.sts_url = optarg;
			break;
		case 'h':
			printf("Usage: trustlab matrix [--jobs N] [--issuer-url URL --sts-url URL] "
			       "SCENARIO...\n\n"
			       "Prints the access matrix of each scenario, measured through both\n"
			       "servers: a row per case (token context), a column per role, each "
			       "cell\n"
			       "the actual outcome (allow, deny, no-token or the AWS error code). "
			       "A\n"
			       "cell that differs from the expectation reads 'ACTUAL! "
			       "(EXPECTED)'.\n"
			       "\n"
			       "Exit status: 0 every cell as expected, 1 one is not, 2 invalid "
			       "input.\n");
			return TL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'trustlab matrix --help'.\n");
			return TL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr,
			"trustlab matrix: no scenario given\nTry 'trustlab matrix --help'.\n");
		return TL_EXIT_USAGE;
	}
	if (!xcfg.issuer_url != !xcfg.sts_url) {
		fprintf(stderr,
			"trustlab matrix: give both --issuer-url and --sts-url, or neither\n");
		return TL_EXIT_USAGE;
	}
	report = tl_run_all("matrix", argv + optind, argc - optind, &xcfg, (unsigned)jobs, &sel,
			    print_grid, NULL, &status);
	if (!report)
		return status;
	status = tl_report_failed(report) == 0 ? TL_EXIT_OK : TL_EXIT_FAILED;
	tl_report_free(report);
	return status;
}
