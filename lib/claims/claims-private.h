/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Shared helpers of the profile builders: strict reading of the context
 * object (each error's path names the field), deterministic defaults and
 * building the ordered claim object.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"
#include "util/random.h"

#include "claims/claims.h"

/* Reading a context. */
struct ctx {
	const json_t *obj; /* never NULL (an empty object for a NULL context) */
	json_t *owned; /* the empty object, when we made it */
	struct tl_error *err;
	/* Every default is drawn from its own stream, seeded by this text
	 * and the field's name, so giving one field never shifts the
	 * defaults of the others. */
	char seed[65];
};

int tl_claims_ctx_init(struct ctx *c, const json_t *context, const char *const *fields,
		       struct tl_rng *rng, struct tl_error *err);
void tl_claims_ctx_finish(struct ctx *c);

/* Fails with TL_ERR_INVALID at `context.<key>`. */
int tl_claims_ctx_bad(struct ctx *c, const char *key, const char *fmt, ...) TL_PRINTF(3, 4);

/* The member or NULL (absent; an explicit JSON null counts as absent). */
const json_t *tl_claims_ctx_get(const struct ctx *c, const char *key);

/* A string member; `dflt` (may be NULL) when absent. Borrowed. */
int tl_claims_ctx_string(struct ctx *c, const char *key, const char *dflt, const char **out);
/* A non-empty string member without control characters. */
int tl_claims_ctx_name(struct ctx *c, const char *key, const char *dflt, const char **out);
int tl_claims_ctx_bool(struct ctx *c, const char *key, bool dflt, bool *out);
int tl_claims_ctx_int(struct ctx *c, const char *key, int64_t dflt, int64_t min, int64_t max,
		      int64_t *out);
/* One of `allowed` (NULL-terminated); `dflt` when absent. */
int tl_claims_ctx_enum(struct ctx *c, const char *key, const char *const *allowed, const char *dflt,
		       const char **out);

/*
 * A numeric id: a JSON integer >= 0 or a string of 1-19 digits, written as
 * a decimal string; absent: `digits` random digits (no leading zero).
 */
#define CTX_ID_MAX 24
int tl_claims_ctx_id(struct ctx *c, const char *key, unsigned digits, char out[CTX_ID_MAX]);
/* `len` lower-case hex digits (a git sha: 40); random when absent. */
int tl_claims_ctx_hex(struct ctx *c, const char *key, unsigned len, char *out);
/* A UUID string (any case kept); random lower-case v4 when absent. */
int tl_claims_ctx_uuid(struct ctx *c, const char *key, char out[TL_UUID_LEN]);

/* Copies a context value into `buf`; too long is an error at `context.<key>`. */
int tl_claims_ctx_copy(struct ctx *c, const char *key, const char *value, char *buf, size_t size);

/* `len` characters of `alphabet` drawn for `label` (not a context field). */
int tl_claims_ctx_random(struct ctx *c, const char *label, const char *alphabet, char *out,
			 size_t len);
int tl_claims_ctx_random_uuid(struct ctx *c, const char *label, char out[TL_UUID_LEN]);

/* Building the claim object: errors are remembered and reported once. */
struct claims_out {
	json_t *obj;
	bool nomem;
};

void tl_claims_out_str(struct claims_out *o, const char *key, const char *value);
void tl_claims_out_int(struct claims_out *o, const char *key, int64_t value);
void tl_claims_out_bool_str(struct claims_out *o, const char *key, bool value); /* "true"/"false" */
void tl_claims_out_json(struct claims_out *o, const char *key, json_t *value); /* steals */
/* Returns the object or NULL with TL_ERR_NOMEM set. */
json_t *tl_claims_out_finish(struct claims_out *o, struct tl_error *err);

/*
 * `aud`: the options' audience (a non-empty string or a non-empty array of
 * them) or `dflt`; as an array when `array` is set (Kubernetes).
 */
int tl_claims_audience(const struct tl_claims_options *opt, const char *dflt, bool array,
		       json_t **out, struct tl_error *err);

int tl_claims_refuse(struct tl_claims_refusal *r, const char *fmt, ...) TL_PRINTF(2, 3);

/* Printf into a fixed buffer; fails with TL_ERR_LIMIT when it does not fit. */
int tl_claims_fmt(char *buf, size_t size, struct tl_error *err, const char *fmt, ...)
	TL_PRINTF(4, 5);

extern const struct tl_claims_profile tl_claims_github;
extern const struct tl_claims_profile tl_claims_ghes;
extern const struct tl_claims_profile tl_claims_gitlab;
extern const struct tl_claims_profile tl_claims_buildkite;
extern const struct tl_claims_profile tl_claims_circleci;
extern const struct tl_claims_profile tl_claims_terraform;
extern const struct tl_claims_profile tl_claims_kubernetes;
extern const struct tl_claims_profile tl_claims_bitbucket;
extern const struct tl_claims_profile tl_claims_spacelift;
