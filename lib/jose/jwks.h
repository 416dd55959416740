/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * A JSON Web Key Set (RFC 7517 §5) of verification keys. Parsed strictly:
 * a document that is not `{"keys": [...]}` or holds more than 100 keys
 * (AWS fails past 100, reference/reliability.md §2) is an error; a single
 * entry that cannot be used (unknown kty or curve, bad point, RSA below
 * 2048 bits, `use` other than "sig", private key material, a kid that
 * another entry already has) is set aside with its reason, so the
 * verifier can answer "key-too-small" rather than just "kid-unknown".
 *
 * Immutable after construction (tl_jwks_add is for building): share one
 * parsed set between threads; every lookup is read-only.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#include "jose/key.h"

#define TL_JWKS_MAX_KEYS 100

struct tl_jwks;

/* Why an entry was set aside. */
enum tl_jwks_reject {
	TL_JWKS_REJECT_INVALID = 1, /* not a usable JWK (syntax, kty, crv, point, alg) */
	TL_JWKS_REJECT_WEAK, /* RSA modulus below 2048 bits */
	TL_JWKS_REJECT_USE, /* `use` is not "sig" */
	TL_JWKS_REJECT_PRIVATE, /* carries private key members */
	TL_JWKS_REJECT_DUPLICATE, /* its kid repeats an earlier entry's */
};

/* An empty set. */
struct tl_jwks *tl_jwks_new(struct tl_error *err);

/* Parses a JWKS document (borrowed). */
struct tl_jwks *tl_jwks_parse(const json_t *doc, struct tl_error *err);
/* Strict JSON (duplicate members rejected), at most 1 MiB. */
struct tl_jwks *tl_jwks_load(const char *text, size_t len, struct tl_error *err);
struct tl_jwks *tl_jwks_load_file(const char *path, struct tl_error *err);

void tl_jwks_free(struct tl_jwks *jwks);

/*
 * Adds a key (a new reference is taken; the caller keeps its own). A kid
 * already present is TL_ERR_EXISTS; an RSA key below 2048 bits is
 * TL_ERR_INVALID.
 */
int tl_jwks_add(struct tl_jwks *jwks, struct tl_jose_key *key, struct tl_error *err);

/* Usable keys. */
size_t tl_jwks_count(const struct tl_jwks *jwks);
const struct tl_jose_key *tl_jwks_get(const struct tl_jwks *jwks, size_t i);

/*
 * The usable key whose kid is exactly `kid` (byte comparison), or NULL.
 * When NULL and an entry with that kid was set aside, *reject (if not
 * NULL) tells why and *message (if not NULL) gives the details; otherwise
 * *reject is 0.
 */
const struct tl_jose_key *tl_jwks_find(const struct tl_jwks *jwks, const char *kid,
				       enum tl_jwks_reject *reject, const char **message);

/* Entries set aside while parsing: kid (may be NULL) and reason text. */
size_t tl_jwks_rejected_count(const struct tl_jwks *jwks);
enum tl_jwks_reject tl_jwks_rejected(const struct tl_jwks *jwks, size_t i, const char **kid,
				     const char **message);

/* `{"keys": [public JWK, ...]}` of the usable keys. New reference. */
json_t *tl_jwks_to_json(const struct tl_jwks *jwks, struct tl_error *err);
