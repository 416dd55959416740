/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the JWKS parser (lib/jose/jwks.h) and, for what parses,
 * lookup, export and one verification against the set.
 *
 * Input: a JWKS document (the seeds: tests/fuzz/token-jwks.json, the JWKS
 * objects of the token corpus tests/data/tokens, single JWKs of
 * tests/data/keys; tests/fuzz/make-seeds.sh). Built with -Dfuzz=enabled as
 * a libFuzzer (or AFL++) binary, and always as fuzz-jwks-replay, which runs
 * the committed corpus tests/fuzz/corpus/jwks as a test.
 *
 * Invariants: a failure says why; every usable key is found by its kid;
 * a kid given twice finds no key at all; the exported set parses back to the same count;
 * and a fixed ES256 token signed with tests/data/keys/p256.pem (kid
 * "p256") verifies against the fuzzed set only if the set's key for
 * "p256" is that very public key (no JWKS the fuzzer can write makes a
 * foreign key accept it).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jose/jws.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1795435200LL

static char *token;
static json_t *p256_jwk; /* the signer's public JWK */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("TL_FUZZ_KEYS") ? getenv("TL_FUZZ_KEYS") : TL_FUZZ_KEYS;
	char path[4096];
	struct tl_error err;
	struct tl_jose_key *key;
	json_t *header, *claims;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof path, "%s/p256.pem", dir);
	key = tl_jose_key_load_file(path, &err);
	if (!key || tl_jose_key_set_kid(key, "p256", &err) < 0) {
		fprintf(stderr, "fuzz-jwks: %s: %s\n", path, err.message);
		abort();
	}
	header = tl_jws_header_new(key, TL_JOSE_ALG_ES256, TL_JWS_HEADER_TYP | TL_JWS_HEADER_KID,
				   &err);
	claims = json_pack("{ss ss ss sI sI}", "iss", "https://token.actions.githubusercontent.com",
			   "aud", "sts.amazonaws.com", "sub", "repo:acme/app:ref:refs/heads/main",
			   "iat", (json_int_t)(NOW - 60), "exp", (json_int_t)(NOW + 240));
	if (!header || !claims ||
	    tl_jws_sign(key, TL_JOSE_ALG_ES256, header, claims, &token, &err) < 0)
		abort();
	p256_jwk = tl_jose_key_to_jwk(key, &err);
	if (!p256_jwk)
		abort();
	json_decref(header);
	json_decref(claims);
	tl_jose_key_free(key);
	return 0;
}

static bool
same_public_key(const struct tl_jose_key *key)
{
	json_t *jwk = tl_jose_key_to_jwk(key, NULL);
	bool same = jwk &&
		    json_equal(json_object_get(jwk, "kty"), json_object_get(p256_jwk, "kty")) &&
		    json_equal(json_object_get(jwk, "crv"), json_object_get(p256_jwk, "crv")) &&
		    json_equal(json_object_get(jwk, "x"), json_object_get(p256_jwk, "x")) &&
		    json_equal(json_object_get(jwk, "y"), json_object_get(p256_jwk, "y"));

	json_decref(jwk);
	return same;
}

static void
check_set(const struct tl_jwks *jwks)
{
	size_t n = tl_jwks_count(jwks);
	json_t *doc;
	char *text;
	struct tl_jwks *again;
	struct tl_error err;

	if (n > TL_JWKS_MAX_KEYS)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct tl_jose_key *k = tl_jwks_get(jwks, i);
		const char *kid = tl_jose_key_kid(k);
		if (!k || tl_jose_key_has_private(k))
			abort();
		if (kid && tl_jwks_find(jwks, kid, NULL, NULL) != k)
			abort();
	}
	for (size_t i = 0; i < tl_jwks_rejected_count(jwks); i++) {
		const char *kid = NULL, *message = NULL;
		enum tl_jwks_reject why = tl_jwks_rejected(jwks, i, &kid, &message);
		if (why == 0 || !message || !message[0])
			abort();
		/* a kid given twice names no key at all */
		if (why == TL_JWKS_REJECT_DUPLICATE &&
		    (!kid || tl_jwks_find(jwks, kid, NULL, NULL)))
			abort();
	}
	/* export, reload: the same usable keys */
	doc = tl_jwks_to_json(jwks, &err);
	if (!doc)
		abort();
	text = json_dumps(doc, JSON_COMPACT);
	again = text ? tl_jwks_load(text, strlen(text), &err) : NULL;
	if (!again || tl_jwks_count(again) != n || tl_jwks_rejected_count(again) != 0)
		abort();
	tl_jwks_free(again);
	free(text);
	json_decref(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_error err;
	struct tl_jwks *jwks = tl_jwks_load((const char *)data, size, &err);
	struct tl_jws_expect e;
	struct tl_clock clock;
	struct tl_jws_result res;

	if (!jwks) {
		if (err.code == TL_OK || !err.message[0])
			abort(); /* a failure must say why */
		return 0;
	}
	check_set(jwks);
	tl_jws_expect_init(&e);
	e.issuer = "https://token.actions.githubusercontent.com";
	e.audience = "sts.amazonaws.com";
	tl_clock_init_pinned(&clock, NOW * 1000);
	if (tl_jws_verify(token, strlen(token), jwks, &e, &clock, &res) == TL_JWS_OK &&
	    !same_public_key(res.key))
		abort(); /* a foreign key verified the token */
	tl_jws_result_finish(&res);
	tl_jwks_free(jwks);
	return 0;
}
