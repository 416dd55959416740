/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the scenario loader: the bytes as YAML and as JSON
 * (positions, strict typing, validation, claims check, inline policies,
 * matrix expansion). Trust policy paths are refused so that no input reads
 * other files. Built as the policy target is: a libFuzzer binary with
 * -Dfuzz=enabled and clang, and always a replay program that runs the
 * committed corpus (tests/fuzz/corpus/scenario) as a test.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/file.h"

#include "replay.h"
#include "scenario/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
load(const uint8_t *data, size_t size, enum tl_scenario_format format)
{
	struct tl_error errors[4];
	size_t n_errors = 0;
	struct tl_scenario_options opt = {
		.max_bytes = 64 * 1024,
		.max_cases = 256,
		.inline_policies_only = true,
		.errors = errors,
		.max_errors = 4,
		.n_errors = &n_errors,
	};
	struct tl_error err;
	struct tl_scenario *s =
		tl_scenario_load((const char *)data, size, "fuzz", format, &opt, &err);

	if (!s) {
		if (err.code == TL_OK || n_errors == 0)
			abort(); /* a failure must say why */
		return;
	}
	for (size_t i = 0; i < tl_scenario_case_count(s); i++) {
		const struct tl_case *c = tl_scenario_case(s, i);
		if (!c->id || !c->token || !tl_case_in_shard(c, 1, 1))
			abort();
		tl_case_matches_filter(c, "*main*");
		for (size_t e = 0; e < c->n_expect; e++)
			if (!tl_scenario_outcome_valid(c->expect[e].outcome))
				abort();
	}
	tl_scenario_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load(data, size, TL_SCENARIO_YAML);
	load(data, size, TL_SCENARIO_JSON);
	return 0;
}

#ifndef TL_LIBFUZZER
int
main(int argc, char **argv)
{
	return tl_fuzz_replay(argc, argv, LLVMFuzzerTestOneInput);
}
#endif
