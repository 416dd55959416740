/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The token corpus tests/data/tokens as built tokens (format: the comment
 * of test-jose-corpus.c). Test-only; every failure is a Check assertion
 * naming the case.
 */

#include <jansson.h>
#include <stddef.h>

#include "jose/jws.h"
#include "test-common.h"

#define JOSE_CASES_NOW 1795435200 /* the corpus's default pinned clock */

/* Loads every key of `keys_dir` and builds the standard JWKS (an unchecked
 * fixture); teardown frees them. */
void jose_cases_setup(const char *keys_dir);
void jose_cases_teardown(void);

/* The standard JWKS (kid = key file stem) and a key by file stem. */
const struct tl_jwks *jose_cases_default_jwks(void);
struct tl_jose_key *jose_cases_key(const char *stem);

/* The case files (*.json) of `tokens_dir`, sorted, strdup'ed into `names`
 * (at most `max`); 0 when the directory cannot be read. Callable outside a
 * test (no assertion). */
int jose_cases_list(const char *tokens_dir, char **names, int max);

/* One case, built. */
struct jose_case {
	const char *name; /* file name, borrowed */
	json_t *doc; /* the case file */
	const char *result; /* "accept" or a reason id */
	char *token; /* built and mutated as the case says */
	size_t len; /* bytes to verify (a trailing NUL with nul_suffix) */
	const struct tl_jwks *jwks; /* the case's own or the standard set */
	struct tl_jwks *own_jwks;
	struct tl_jws_expect expect;
	struct tl_clock clock;
};

void jose_case_load(const char *tokens_dir, const char *name, struct jose_case *jc);
void jose_case_finish(struct jose_case *jc);

/* The case's token before "mutate" (caller frees). */
char *jose_case_build_token(const char *name, const json_t *c);
/* Start and length of part `n` (0..) of a compact string. */
void jose_case_part_span(const char *t, int n, size_t *start, size_t *len);
/* `t` with `remove` bytes at `at` replaced by `insert`; frees `t`. */
char *jose_case_splice(char *t, size_t at, size_t remove, const char *insert);
