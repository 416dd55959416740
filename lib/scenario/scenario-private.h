/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The scenario module's room: the source reader (JSON or YAML into one
 * jansson tree) and its side table of positions.
 *
 * jansson values carry no position, so the reader records, for every
 * value, its JSON path (as struct tl_jpath prints it) with the 1-based
 * line and column where it starts in the file (a mapping member: its
 * key). Semantic errors found later look their path up (or its longest
 * recorded prefix) to say file:line:column.
 *
 * YAML plain scalars are typed by the YAML 1.2 core schema (null, ~,
 * true/false, decimal integers and floats; never yes/no/on/off); the
 * table keeps the text written for every plain scalar that became a
 * non-string, so a position the schema wants as a string gets exactly
 * that text back (tl_spos_plain_text).
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#include "json/json.h"

struct tl_spos_entry {
	char *path;
	int line;
	int column;
	char *plain; /* the plain scalar's text when typed non-string, else NULL */
};

struct tl_spos {
	struct tl_spos_entry *items;
	size_t count, cap;
	size_t *index; /* open addressing over items, SIZE_MAX empty */
	size_t index_cap;
};

void tl_spos_init(struct tl_spos *t);
void tl_spos_finish(struct tl_spos *t);
/* Records `path` (first record wins). Returns -1 on allocation failure. */
int tl_spos_add(struct tl_spos *t, const char *path, int line, int column, const char *plain);
/* The entry for `path` exactly, NULL when none. */
const struct tl_spos_entry *tl_spos_get(const struct tl_spos *t, const char *path);
/*
 * The position of `path`, or of its longest recorded prefix (cutting at
 * '.' and '['); false when nothing matches.
 */
bool tl_spos_locate(const struct tl_spos *t, const char *path, int *line, int *column);
/* The plain text a YAML scalar at `path` was written as, NULL if none. */
const char *tl_spos_plain_text(const struct tl_spos *t, const char *path);

/*
 * YAML text into a new jansson tree (caller decrefs), positions into
 * `pos`. Refuses anchors, aliases, merge keys (`<<`), explicit tags,
 * non-scalar keys, duplicate keys, more than one document, nesting
 * deeper than `max_depth`. Errors: TL_ERR_SYNTAX with err->line/column.
 */
json_t *tl_scenario_yaml_load(const char *text, size_t len, unsigned max_depth, struct tl_spos *pos,
			      struct tl_error *err);

/*
 * Records the positions of every value of `text`, a JSON document that
 * tl_json_load() accepted. `root` is the path prefix ("" for a whole
 * file). Returns -1 only on allocation failure.
 */
int tl_scenario_json_positions(const char *text, size_t len, const char *root, struct tl_spos *pos);

/* --- credential_chain cases (chain.c; docs/credential-chain.md) ------------ */

struct loader;
struct tl_scenario;
struct tl_scenario_provider;
struct tl_chain_set;

/* An error at `path` of the scenario being loaded (file, line, column). */
int tl_scenario_loader_fail(struct loader *L, enum tl_errcode code, const char *path,
			    const char *fmt, ...) TL_PRINTF(4, 5);
/* The scenario being built: name, file, account, roles and providers are set. */
const struct tl_scenario *tl_scenario_loader_scenario(const struct loader *L);
const struct tl_scenario_provider *tl_scenario_loader_default_provider(const struct loader *L);
const struct tl_chain_set *tl_scenario_chain_set(const struct tl_scenario *s);
/* Whether files other than the scenario must not be read. */
bool tl_scenario_loader_inline_only(const struct loader *L);

/* Loads `chain` (an array) into *out; every error goes through the loader. */
int tl_scenario_chain_load(struct loader *L, const json_t *chain, const struct tl_jpath *p,
			   struct tl_chain_set **out);
void tl_scenario_chain_free(struct tl_chain_set *set);
/*
 * Role sources (sources.c, docs/roles-from-iac.md): expands `roles_from`
 * and each role's `source` in `root` into plain role entries (the policy
 * inline, the source's max_session_duration), and gives a provider
 * without `audiences` the client ids of the source's provider for its
 * issuer. Returns 0, or -1 with `err` set: a scenario error carries the
 * JSON path only; an error inside a source also names its file.
 */
struct tl_scenario_source_env {
	const char *file; /* the scenario file: relative paths start there */
	const char *account; /* the scenario's account */
	bool inline_only; /* tl_scenario_options.inline_policies_only */
};
int tl_scenario_expand_sources(json_t *root, const struct tl_scenario_source_env *env,
			       struct tl_error *err);
