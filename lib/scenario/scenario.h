/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Scenario files (docs/scenario-format.md, docs/scenario.schema.json):
 * load a JSON or YAML scenario, validate it completely before anything
 * runs (schema, provider profiles, token vocabulary through lib/claims,
 * STS error codes, trust policies through lib/policy), and expand its
 * cases and matrices into an ordered list of `struct tl_case`.
 *
 * Nothing here talks HTTP: the runner takes the cases, mints tokens,
 * calls STS and compares each outcome with tl_case_expect_matches().
 *
 * Errors carry the scenario file, line and column (YAML and JSON alike)
 * and the JSON path inside the scenario (`cases[2].expect.deploy-prod`);
 * an error in a trust policy file names that file and the policy's own
 * JSON path.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct tl_claims_profile;
struct tl_policy;
struct tl_policy_limits;

/* The format version this library reads (`"trustlab": 1`). */
#define TL_SCENARIO_VERSION 1

struct tl_scenario_options {
	/* Largest scenario or trust policy file read; 0: 1 MiB. */
	size_t max_bytes;
	/* Largest number of cases one scenario may expand to; 0: 10,000. */
	size_t max_cases;
	/* Trust policy limits (size quota, shared-provider controls);
	 * NULL: lib/policy's defaults. Borrowed. */
	const struct tl_policy_limits *policy_limits;
	/* Refuse trust policy paths (only inline policies): for input that
	 * must not make the loader read other files (fuzzing, services). */
	bool inline_policies_only;
	/* Every error found, not only the first: when `errors` is not NULL,
	 * up to `max_errors` of them are stored there and *n_errors says how
	 * many. The loader goes on to the next role, case or matrix after an
	 * error in one. */
	struct tl_error *errors;
	size_t max_errors;
	size_t *n_errors;
};

enum tl_scenario_format {
	TL_SCENARIO_AUTO = 0, /* by file name: .yaml/.yml YAML, else JSON */
	TL_SCENARIO_JSON,
	TL_SCENARIO_YAML,
};

struct tl_scenario;

/*
 * Loads, validates and expands a scenario file. `opt` may be NULL.
 * Returns a new scenario or NULL with `err` set (the first error):
 * TL_ERR_IO, TL_ERR_SYNTAX (malformed JSON/YAML), TL_ERR_INVALID (schema
 * and semantics), TL_ERR_LIMIT, TL_ERR_NOMEM. err->file is `path` (or the
 * trust policy file at fault), err->line/column the position of the
 * offending value when known, err->path its JSON path.
 */
struct tl_scenario *tl_scenario_load_file(const char *path, const struct tl_scenario_options *opt,
					  struct tl_error *err);

/*
 * Same from memory: `name` is the file name used in errors and the base
 * for relative trust policy paths.
 */
struct tl_scenario *tl_scenario_load(const char *text, size_t len, const char *name,
				     enum tl_scenario_format format,
				     const struct tl_scenario_options *opt, struct tl_error *err);

void tl_scenario_free(struct tl_scenario *s);

/*
 * Whether `path` looks like a scenario: a .json, .yaml or .yml file whose
 * top-level mapping starts with the key `trustlab` (comments, blank lines
 * and a `---` before it are fine). Used to pick scenarios out of a
 * directory; reads at most the first 4 KiB.
 */
bool tl_scenario_sniff(const char *path);

/*
 * The scenario files named by `path`: the file itself (whatever its name),
 * or, for a directory, every file under it (recursively, hidden entries
 * skipped) that tl_scenario_sniff() accepts, sorted by path. Appends to
 * *files (caller frees each and the array with tl_scenario_files_free) and
 * *n. A directory without scenarios is TL_ERR_NOT_FOUND; an unreadable
 * path TL_ERR_IO or TL_ERR_NOT_FOUND; err->file names the path given.
 */
int tl_scenario_collect(const char *path, char ***files, size_t *n, struct tl_error *err);
void tl_scenario_files_free(char **files, size_t n);

/*
 * The CI sharding convention: CI_NODE_INDEX (1-based) and CI_NODE_TOTAL.
 * Returns 1 with *k and *n set when both are set and valid, 0 when neither is
 * set, -1 with `err` set when they are malformed or only one is set.
 */
int tl_scenario_shard_from_env(unsigned *k, unsigned *n, struct tl_error *err);

/* --- the loaded scenario ---------------------------------------------- */

const char *tl_scenario_name(const struct tl_scenario *s);
const char *tl_scenario_description(const struct tl_scenario *s); /* "" when absent */
const char *tl_scenario_file(const struct tl_scenario *s);
const char *tl_scenario_account(const struct tl_scenario *s);

struct tl_scenario_provider {
	const char *name; /* the key in `providers` */
	const struct tl_claims_profile *profile;
	json_t *audiences; /* array of strings (the provider's client ids) */
	const char *issuer; /* `iss` override, NULL: the profile's */
};

struct tl_scenario_role {
	const char *name;
	/* The trust policy as a document text for CreateRole (the file's
	 * bytes, or the compact JSON of an inline or get-role policy). */
	const char *policy_text;
	struct tl_policy *policy; /* parsed and validated */
	const char *policy_file; /* resolved path, NULL when inline */
	int max_session_duration; /* seconds, 3600 when not given */
	const char *description; /* "" when absent */
};

size_t tl_scenario_provider_count(const struct tl_scenario *s);
const struct tl_scenario_provider *tl_scenario_provider(const struct tl_scenario *s, size_t i);
size_t tl_scenario_role_count(const struct tl_scenario *s);
const struct tl_scenario_role *tl_scenario_role(const struct tl_scenario *s, size_t i);

/* --- cases -------------------------------------------------------------- */

/* One expectation: the outcome a role must give for a case. */
struct tl_case_expect {
	const char *role;
	/* "allow", "deny" (AccessDenied), "no-token" or an STS error code
	 * as written in the scenario ("InvalidIdentityToken", ...). */
	const char *outcome;
};

struct tl_case {
	const char *scenario; /* the scenario's name */
	const char *file; /* the scenario file */
	/* The case's name: as written for `cases`; for a matrix
	 * "MATRIX: key=value key=value" over the token fields it varies, in
	 * the order written (strings bare, other values as JSON). */
	const char *name;
	/* "SCENARIO/NAME": the identity used by filters and shards. */
	const char *id;
	/* The JSON path of the case in the scenario (`cases[3]`,
	 * `matrix[0]`), for messages. */
	const char *where;
	const char *matrix; /* the matrix's name, NULL for `cases` */
	const struct tl_scenario_provider *provider;
	/* The merged token context (defaults.token, then the case's fields;
	 * a null removes a field) in the provider's vocabulary, without the
	 * scenario-level keys below. Never NULL. */
	json_t *token;
	/* `aud` to request: a string or an array; NULL: the provider's first
	 * audience. */
	json_t *audience;
	/* Raw claim overrides (an object, NULL when none): set after the
	 * profile built the claims; a null value removes the claim. */
	json_t *claims;
	/* Token faults (array of names from tl_scenario_fault_names()), NULL
	 * when none. */
	json_t *faults;
	/* Whether lib/claims says the provider refuses this context a token,
	 * and why (from a load-time build with a fixed clock). */
	bool refused;
	const char *refusal;
	/* ARWWI parameters: RoleSessionName, DurationSeconds (0: not sent). */
	const char *session_name;
	int duration_seconds;
	size_t n_expect;
	const struct tl_case_expect *expect; /* role order of the scenario */
};

/* The cases in a stable order: `cases` as written, then each matrix's
 * combinations, the first token field varying slowest. */
size_t tl_scenario_case_count(const struct tl_scenario *s);
const struct tl_case *tl_scenario_case(const struct tl_scenario *s, size_t i);

/*
 * Whether an actual outcome ("allow", "no-token" or the STS error code,
 * e.g. "AccessDenied") satisfies an expected one: equal, or "deny" for
 * "AccessDenied".
 */
bool tl_case_expect_matches(const char *expected, const char *actual);

/*
 * Whether `glob` (fnmatch(3) syntax, no special meaning for '/') matches
 * the case's id ("SCENARIO/NAME") or its name.
 */
bool tl_case_matches_filter(const struct tl_case *c, const char *glob);

/*
 * Shard K of N (1 <= k <= n, CI_NODE_INDEX/CI_NODE_TOTAL convention):
 * whether the case belongs to it. A case's shard is the 64-bit FNV-1a
 * hash of its id modulo n, plus one: the same case always lands in the
 * same shard, whatever other cases or files exist.
 */
bool tl_case_in_shard(const struct tl_case *c, unsigned k, unsigned n);

/* Parses "K/N" (1 <= K <= N <= 1000). Returns 0, or -1 with `err` set. */
int tl_scenario_parse_shard(const char *text, unsigned *k, unsigned *n, struct tl_error *err);

/* Token fault names the format accepts, NULL-terminated. */
const char *const *tl_scenario_fault_names(void);

/* Whether `outcome` is a valid expectation ("allow", "deny", "no-token",
 * or a code in lib/sts's error table). */
bool tl_scenario_outcome_valid(const char *outcome);
