/* SPDX-License-Identifier: MIT */
#pragma once

/* The trustlab command: one file per subcommand, dispatched from main.c. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/error.h"

#include "http/server.h"

/* Exit statuses shared by every subcommand. */
enum {
	TL_EXIT_OK = 0,
	TL_EXIT_FAILED = 1, /* an expectation failed, a check found a problem */
	TL_EXIT_USAGE = 2, /* invalid input: flags, files */
};

struct tl_issuer_service;
struct tl_stsd;

#define TL_EMBEDDED_MAPS_MAX 32

/* What the embedded servers start with. */
struct tl_embedded_options {
	const char *issuer_listen; /* NULL: 127.0.0.1:0 */
	const char *sts_listen; /* NULL: 127.0.0.1:0 */
	const char *audit_log; /* mock-sts audit log, NULL: none */
};

/*
 * mock-issuer and mock-sts, started in this process on their own HTTP
 * servers: one issuer per provider profile at "/<profile>", and an STS
 * whose issuer map sends each profile's real `iss` (a pattern for issuers
 * that carry a tenant) to that local issuer, so tokens keep their real
 * `iss` and real trust policies match byte for byte.
 */
struct tl_embedded {
	struct tl_http_server *issuer_server;
	struct tl_http_server *sts_server;
	struct tl_http_server *imds_server; /* EC2 instance metadata of mock-sts */
	struct tl_issuer_service *issuer;
	struct tl_stsd *sts;
	char issuer_url[256];
	char sts_url[256];
	char imds_url[256];
	size_t map_count;
	char map_issuer[TL_EMBEDDED_MAPS_MAX][256];
	char map_url[TL_EMBEDDED_MAPS_MAX][320];
};

/* Starts both; `opt` may be NULL. On failure everything is stopped. */
int tl_embedded_start(struct tl_embedded *e, const struct tl_embedded_options *opt,
		      struct tl_error *err);
/* Stops and frees; safe on a zeroed or half-started struct. */
void tl_embedded_stop(struct tl_embedded *e);

/*
 * The issuer path prefix serving `profile` ("/github"): the embedded
 * issuer's when `e` is not NULL, else the mock-issuer default "/<profile>".
 */
void tl_embedded_prefix(const struct tl_embedded *e, const char *profile, char *out, size_t size);

/* --- running scenarios (cmd-run.c; also used by matrix) ------------------ */

struct tl_scenario;
struct tl_report;
struct tl_exchange_config;

struct tl_run_selection {
	const char *filter; /* fnmatch glob on case id or name, NULL: all */
	unsigned shard_k, shard_n; /* shard K of N, N = 0: all */
	bool progress; /* a progress line on stderr (a terminal) */
};

/*
 * Loads every scenario named by `paths` (files or directories), printing
 * every error on stderr. Returns a NULL-terminated array (free each with
 * tl_scenario_free, then the array) or NULL when any file is invalid.
 */
struct tl_scenario **tl_run_load_scenarios(char **paths, int n, size_t *count);

/*
 * Sets up one scenario's roles at mock-sts through IAM, runs its selected
 * cases (`jobs` in parallel) through both servers, appends one result per
 * case and expected role to `report`, and removes what it created.
 * `embedded` (may be NULL) says which issuer prefix serves a profile.
 */
int tl_run_scenario(const struct tl_scenario *s, const struct tl_embedded *embedded,
		    const struct tl_exchange_config *xcfg, unsigned jobs,
		    const struct tl_run_selection *sel, struct tl_report *report,
		    struct tl_error *err);

/* Called after each scenario ran, with its results at [from, to) of `report`. */
typedef void (*tl_run_after_fn)(void *ctx, const struct tl_scenario *s,
				const struct tl_report *report, size_t from, size_t to);

/*
 * Loads the scenarios named by `paths`, starts both servers embedded unless
 * `xcfg` names running ones, runs every scenario (calling `after`, may be
 * NULL, after each) and stops the servers. Returns the report (caller
 * frees) with *status TL_EXIT_OK, or NULL with the error printed as
 * "trustlab CMD: ..." and *status TL_EXIT_USAGE (invalid scenarios) or
 * TL_EXIT_FAILED.
 */
struct tl_report *tl_run_all(const char *cmd, char **paths, int npaths,
			     struct tl_exchange_config *xcfg, unsigned jobs,
			     const struct tl_run_selection *sel, tl_run_after_fn after, void *ctx,
			     int *status);

/*
 * Runs the scenario's credential_chain cases (chain-run.c,
 * docs/credential-chain.md) against the embedded servers `e` (NULL: the
 * run uses remote servers, which these cases cannot configure: an error),
 * one result per case and SDK in `report`.
 */
int tl_run_chain(const struct tl_scenario *s, const struct tl_embedded *e,
		 const struct tl_run_selection *sel, struct tl_report *report,
		 struct tl_error *err);

/* --- roles and token spaces (space.c; probe and diff) ------------------- */

/* One role to try: what lib/rolesrc also yields. */
struct tl_role_source {
	char *name; /* the IAM role name */
	char *source; /* where it came from, for people */
	char *policy_text; /* the trust policy document */
	int max_session_duration;
};

struct tl_role_list {
	struct tl_role_source *items;
	size_t count;
	struct tl_scenario *scenario; /* when the input was a scenario file */
};

/*
 * The roles in `path`: a scenario file (every role, and the scenario
 * itself in out->scenario) or a trust-policy JSON file (one role named
 * after the file). Returns 0, or -1 with `err` naming the file.
 */
int tl_roles_load(const char *path, struct tl_role_list *out, struct tl_error *err);
void tl_role_list_finish(struct tl_role_list *l);

/* One cell of a measured token space: a case (context) against a role. */
struct tl_space_result {
	bool ran;
	char actual[128]; /* "allow", "deny", "no-token" or the STS code */
	char message[1024];
	json_t *trace; /* the decision trace when admitted (owned) */
};

/*
 * Starts both servers embedded, runs `cases` (scenario cases named "#0",
 * "#1", ... with expect {"*": "deny"}) against `roles` (scenario roles
 * with inline trust policies) registering `providers` (scenario
 * providers), and returns ncases * nroles cells, case-major, roles in
 * the object's order (free with tl_space_result_finish), or NULL with
 * `err` set.
 */
struct tl_space_result *tl_space_run(const json_t *providers, const json_t *roles,
				     const json_t *cases, const char *account, unsigned jobs,
				     struct tl_error *err);
void tl_space_result_finish(struct tl_space_result *r, size_t n);

/* The admitting statement and its conditions from a decision trace (caller frees). */
char *tl_space_explain(const json_t *trace);

/* Where a token space starts: intended contexts and registered client ids. */
struct tl_space_seed {
	json_t *bases; /* [{profile, context, audience?}] */
	json_t *registered; /* {profile: [client id...]} */
	json_t *issuers; /* {profile: iss} overrides */
	char note[512]; /* how the bases were chosen, for people */
};

/* What a user says a policy file is for (--provider, --repository, ...). */
struct tl_space_intent {
	const char *provider, *repository, *ref, *audience;
};

/* The options probe and diff share, with their defaults. */
struct tl_space_options {
	struct tl_space_intent intent;
	const char *format; /* "text" */
	unsigned long max_contexts; /* 500 */
	unsigned long jobs; /* 4 */
};

enum {
	TL_SPACE_OPT_PROVIDER = 512,
	TL_SPACE_OPT_REPOSITORY,
	TL_SPACE_OPT_REF,
	TL_SPACE_OPT_AUDIENCE,
	TL_SPACE_OPT_MAX,
};

/* getopt_long entries of the shared options (-f and -j are short too). */
#define TL_SPACE_LONG_OPTIONS                                                     \
	{"provider", required_argument, NULL, TL_SPACE_OPT_PROVIDER},             \
		{"repository", required_argument, NULL, TL_SPACE_OPT_REPOSITORY}, \
		{"ref", required_argument, NULL, TL_SPACE_OPT_REF},               \
		{"audience", required_argument, NULL, TL_SPACE_OPT_AUDIENCE},     \
		{"max-contexts", required_argument, NULL, TL_SPACE_OPT_MAX},      \
		{"format", required_argument, NULL, 'f'},                         \
	{                                                                         \
		"jobs", required_argument, NULL, 'j'                              \
	}

void tl_space_options_init(struct tl_space_options *o);
/*
 * One shared option from getopt_long: 1 taken, 0 not a shared option, -1
 * a bad value (printed as "trustlab CMD: ...").
 */
int tl_space_option(const char *cmd, int opt, const char *arg, struct tl_space_options *o);
/* The help lines of the shared options. */
void tl_space_usage_options(FILE *out);

struct tl_case;
struct tl_probe_space;
struct tl_buf;

int tl_space_seed_init(struct tl_space_seed *sd);
void tl_space_seed_finish(struct tl_space_seed *sd);
/* {profile, context, audience} (context borrowed, copied by reference). */
json_t *tl_space_base(const char *profile, const json_t *context, const char *aud);
/* Registers the scenario's providers' client ids and issuers. */
void tl_space_seed_providers(struct tl_space_seed *sd, const struct tl_scenario *s);
/* Whether a case is a context a CI job has (no faults, claim overrides, refusal). */
bool tl_space_case_is_job(const struct tl_case *c);
/*
 * Bases for policy files: the intended repository (or guessed from the
 * policies) on its ref, with each environment the policies name. Prints
 * "trustlab CMD: ..." and returns -1 for a profile it cannot describe.
 */
int tl_space_seed_options(struct tl_space_seed *sd, const json_t *const *policies, size_t n,
			  const struct tl_space_intent *in, const char *cmd);
/* lib/probe's candidates from the seed's bases and the policies' literals. */
int tl_space_generate(const struct tl_space_seed *sd, const json_t *const *policies, size_t n,
		      size_t max, struct tl_probe_space *out, struct tl_error *err);
/* Scenario providers and cases ("#i", expect deny) for the candidates. */
int tl_space_cases(const struct tl_probe_space *space, const struct tl_space_seed *sd,
		   json_t **providers, json_t **cases);
/* Markdown table cell text: '|' escaped, newlines flattened. */
void tl_space_md_cell(struct tl_buf *b, const char *s);
/* Appends `doc` (stolen; NULL is an allocation failure) as indented JSON and
 * a newline: probe's and diff's --format json. -1 when out of memory. */
int tl_space_append_json(struct tl_buf *out, json_t *doc);

int tl_cmd_probe(int argc, char **argv);
int tl_cmd_diff(int argc, char **argv);
int tl_cmd_serve(int argc, char **argv);
int tl_cmd_smoke(int argc, char **argv);
int tl_cmd_explain(int argc, char **argv);
int tl_cmd_validate(int argc, char **argv);
int tl_cmd_run(int argc, char **argv);
int tl_cmd_token(int argc, char **argv);
int tl_cmd_matrix(int argc, char **argv);
int tl_cmd_lint(int argc, char **argv);
int tl_cmd_roles(int argc, char **argv);
