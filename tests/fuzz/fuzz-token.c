/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the token parser and verifier (and the JWKS parser, for
 * inputs that look like JSON). Two builds from this one file:
 *
 *   - with -Dfuzz=enabled (clang): a libFuzzer (or AFL++) binary,
 *     fuzz-token; run: build-fuzz/tests/fuzz/fuzz-token tests/fuzz/corpus/token
 *   - always: fuzz-token-replay (this file plus tests/fuzz/replay.c), which
 *     feeds every committed input through the same function, as a test.
 *
 * Two kinds of input:
 *
 *   - a compact token (no newline): verified as received. The JWKS is
 *     tests/fuzz/token-jwks.json (the corpus keys, kid = file stem), the
 *     clock pinned to the corpus's "now", so seeds from tests/data/tokens
 *     reach the signature and the claim checks;
 *   - HEADER "\n" PAYLOAD (raw JSON bytes): signed first with the private
 *     key of tests/data/keys the header's kid names (p256, p384, p521,
 *     rsa2048; p256 otherwise) under the header's alg (the key's default
 *     when not a JOSE name), then verified, so that the fuzzer's header and
 *     claims pass the signature and exercise every header and claim rule.
 *
 * Invariants: a verdict always names a reason with a message; an accepted
 * token has a header, claims and key; and an accepted token also passes an
 * independent, loose re-check written here with plain jansson (alg in the
 * allowlist, no crit/jku/x5u/jwk/x5c/cty, typ absent or "JWT", iss and aud
 * as expected, integer exp/iat/nbf within the 300 s leeway, sub a
 * non-empty string): the verifier never accepts what the re-check refuses.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jose/jws.h"

#define NOW 1795435200LL
#define ISSUER "https://token.actions.githubusercontent.com"
#define AUDIENCE "sts.amazonaws.com"

static struct tl_jwks *jwks;
static const char *const signer_names[] = {"p256", "p384", "p521", "rsa2048"};
static struct tl_jose_key *signers[4];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("TL_FUZZ_JWKS") ? getenv("TL_FUZZ_JWKS") : TL_FUZZ_JWKS;
	const char *keys = getenv("TL_FUZZ_KEYS") ? getenv("TL_FUZZ_KEYS") : TL_FUZZ_KEYS;
	struct tl_error err;

	(void)argc;
	(void)argv;
	jwks = tl_jwks_load_file(path, &err);
	if (!jwks) {
		fprintf(stderr, "fuzz-token: %s: %s\n", path, err.message);
		abort();
	}
	for (size_t i = 0; i < 4; i++) {
		char file[4096];
		snprintf(file, sizeof file, "%s/%s.pem", keys, signer_names[i]);
		signers[i] = tl_jose_key_load_file(file, &err);
		if (!signers[i]) {
			fprintf(stderr, "fuzz-token: %s: %s\n", file, err.message);
			abort();
		}
	}
	return 0;
}

static bool
numeric_date_ok(const json_t *claims, const char *name, bool required, bool past)
{
	const json_t *v = json_object_get(claims, name);

	if (!v)
		return !required;
	if (!json_is_integer(v))
		return false;
	/* past: must not be later than now + leeway; else not earlier than now - leeway */
	return past ? json_integer_value(v) <= NOW + 300 : json_integer_value(v) >= NOW - 300;
}

/* The loose independent re-check of an accepted token. */
static bool
recheck(const json_t *header, const json_t *claims)
{
	static const char *const refused[] = {"crit", "jku", "x5u", "jwk", "x5c", "cty"};
	const json_t *typ = json_object_get(header, "typ"), *aud = json_object_get(claims, "aud");
	const char *alg = json_string_value(json_object_get(header, "alg"));
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	bool aud_ok = false;

	if (!json_is_object(header) || !json_is_object(claims) || !alg ||
	    tl_jose_alg_from_name(alg) == TL_JOSE_ALG_INVALID)
		return false;
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (json_object_get(header, refused[i]))
			return false;
	if (typ && (!json_is_string(typ) || strcmp(json_string_value(typ), "JWT") != 0))
		return false;
	if (!iss || strcmp(iss, ISSUER) != 0 || !sub || !sub[0])
		return false;
	if (json_is_string(aud)) {
		aud_ok = strcmp(json_string_value(aud), AUDIENCE) == 0;
	} else if (json_is_array(aud)) {
		size_t i;
		const json_t *a;
		json_array_foreach(aud, i, a)
		{
			aud_ok |= json_is_string(a) && strcmp(json_string_value(a), AUDIENCE) == 0;
		}
	}
	return aud_ok && numeric_date_ok(claims, "exp", true, false) &&
	       numeric_date_ok(claims, "iat", true, true) &&
	       numeric_date_ok(claims, "nbf", false, true);
}

static void
verify(const char *token, size_t len)
{
	struct tl_jws_expect e;
	struct tl_clock clock;
	struct tl_jws_result res;
	enum tl_jws_reason r;

	tl_jws_expect_init(&e);
	e.issuer = ISSUER;
	e.audience = AUDIENCE;
	tl_clock_init_pinned(&clock, NOW * 1000);
	r = tl_jws_verify(token, len, jwks, &e, &clock, &res);
	if (r >= TL_JWS_REASON_COUNT || res.message[0] == '\0' || r != res.reason)
		abort();
	if (r == TL_JWS_OK && (!res.header || !res.claims || !res.key))
		abort();
	if (r == TL_JWS_OK && !recheck(res.header, res.claims))
		abort(); /* accepted what the independent re-check refuses */
	tl_jws_result_finish(&res);
}

/* HEADER "\n" PAYLOAD: sign, then verify. */
static void
sign_and_verify(const uint8_t *data, size_t size, const uint8_t *nl)
{
	struct tl_jws_forge f = {0};
	json_t *h = json_loadb((const char *)data, (size_t)(nl - data), 0, NULL);
	const char *kid = json_string_value(json_object_get(h, "kid"));
	const char *alg = json_string_value(json_object_get(h, "alg"));
	char *token = NULL;

	f.key = signers[0];
	for (size_t i = 0; kid && i < 4; i++)
		if (strcmp(kid, signer_names[i]) == 0)
			f.key = signers[i];
	f.alg = alg && tl_jose_alg_from_name(alg) != TL_JOSE_ALG_INVALID
			? alg
			: tl_jose_alg_name(tl_jose_key_default_alg(f.key));
	f.header = data;
	f.header_len = (size_t)(nl - data);
	f.payload = nl + 1;
	f.payload_len = size - f.header_len - 1;
	if (tl_jws_forge(&f, &token, NULL) == 0)
		verify(token, strlen(token));
	free(token);
	json_decref(h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);

	verify((const char *)data, size);
	if (nl && size <= 16384)
		sign_and_verify(data, size, nl);
	if (size > 0 && data[0] == '{') {
		struct tl_jwks *other = tl_jwks_load((const char *)data, size, NULL);
		tl_jwks_free(other);
	}
	return 0;
}
