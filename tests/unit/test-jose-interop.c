/* SPDX-License-Identifier: MIT */
/*
 * Interop with an independent implementation: libjwt 1.10.2 (Debian).
 * libjwt is used here ONLY as a second opinion on signatures (tokens
 * trustlab signs verify in libjwt; tokens libjwt signs verify in
 * trustlab), never as a verifier trustlab relies on: it takes the
 * algorithm from the token and checks no claims (reference/reliability.md
 * §1.2-1.4). The last tests pin those traps next to trustlab's refusal of
 * the same tokens, so the reason for the rule stays visible.
 * libjwt 1.10.2 has no PS256 (§1.8): PS* interop is the openssl-CLI
 * literal tokens of the corpus and, later, the npm `jose` client tests.
 */
#include "config.h"

#include <errno.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jose/jws.h"
#include "test-common.h"

static const struct {
	const char *stem;
	enum tl_jose_alg alg;
	jwt_alg_t jalg;
} cases[] = {
	{"rsa2048", TL_JOSE_ALG_RS256, JWT_ALG_RS256},
	{"rsa3072", TL_JOSE_ALG_RS384, JWT_ALG_RS384},
	{"rsa4096", TL_JOSE_ALG_RS512, JWT_ALG_RS512},
	{"p256", TL_JOSE_ALG_ES256, JWT_ALG_ES256},
	{"p384", TL_JOSE_ALG_ES384, JWT_ALG_ES384},
	{"p521", TL_JOSE_ALG_ES512, JWT_ALG_ES512},
};

static struct tl_jose_key *
load_key(const char *stem, char **pem, size_t *pem_len)
{
	char path[1024];
	struct tl_error err;
	struct tl_jose_key *key;

	snprintf(path, sizeof path, "%s/%s.pem", tl_test_arg(0), stem);
	tl_error_clear(&err);
	key = tl_jose_key_load_file(path, &err);
	ck_assert_msg(key != NULL, "%s: %s", path, err.message);
	ck_assert_int_eq(tl_jose_key_set_kid(key, stem, &err), 0);
	if (pem)
		ck_assert_int_eq(tl_jose_key_to_pem(key, false, pem, pem_len, &err), 0);
	return key;
}

static json_t *
claims_now(void)
{
	json_int_t now = (json_int_t)time(NULL);
	return json_pack("{ss ss ss sI sI sI}", "iss",
			 "https://token.actions.githubusercontent.com", "aud", "sts.amazonaws.com",
			 "sub", "repo:o/r:ref:refs/heads/main", "iat", now, "nbf", now - 600, "exp",
			 now + 300);
}

static void
expect_github(struct tl_jws_expect *e)
{
	tl_jws_expect_init(e);
	e->issuer = "https://token.actions.githubusercontent.com";
	e->audience = "sts.amazonaws.com";
}

/* trustlab signs, libjwt verifies with the public PEM. */
START_TEST(trustlab_to_libjwt)
{
	char *pem = NULL, *token = NULL;
	size_t pem_len = 0;
	struct tl_jose_key *k = load_key(cases[_i].stem, &pem, &pem_len);
	struct tl_error err;
	json_t *h =
		tl_jws_header_new(k, cases[_i].alg, TL_JWS_HEADER_TYP | TL_JWS_HEADER_KID, &err);
	json_t *claims = claims_now();
	jwt_t *j = NULL;
	int rc;

	ck_assert_int_eq(tl_jws_sign(k, cases[_i].alg, h, claims, &token, &err), 0);
	rc = jwt_decode(&j, token, (const unsigned char *)pem, (int)pem_len);
	ck_assert_msg(rc == 0, "case %s: libjwt refused trustlab's token (%d)", cases[_i].stem, rc);
	/* the post-check of reliability.md §1.9 step 8 */
	ck_assert_int_eq(jwt_get_alg(j), cases[_i].jalg);
	ck_assert_str_eq(jwt_get_grant(j, "sub"), "repo:o/r:ref:refs/heads/main");
	ck_assert_str_eq(jwt_get_header(j, "kid"), cases[_i].stem);
	jwt_free(j);
	free(token);
	free(pem);
	json_decref(h);
	json_decref(claims);
	tl_jose_key_free(k);
}
END_TEST

static char *
libjwt_sign(const char *stem, jwt_alg_t alg, const char *kid)
{
	char path[1024];
	FILE *f;
	unsigned char key[16384];
	size_t n;
	jwt_t *j = NULL;
	json_t *claims = claims_now();
	char *grants = json_dumps(claims, JSON_COMPACT), *token;

	snprintf(path, sizeof path, "%s/%s.pem", tl_test_arg(0), stem);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	n = fread(key, 1, sizeof key, f);
	fclose(f);
	ck_assert_int_eq(jwt_new(&j), 0);
	ck_assert_int_eq(jwt_add_grants_json(j, grants), 0);
	if (kid)
		ck_assert_int_eq(jwt_add_header(j, "kid", kid), 0);
	ck_assert_int_eq(jwt_set_alg(j, alg, key, (int)n), 0);
	token = jwt_encode_str(j);
	ck_assert_msg(token != NULL, "libjwt could not sign with %s", stem);
	jwt_free(j);
	free(grants);
	json_decref(claims);
	return token;
}

/* libjwt signs, trustlab verifies. */
START_TEST(libjwt_to_trustlab)
{
	struct tl_jose_key *k = load_key(cases[_i].stem, NULL, NULL);
	struct tl_error err;
	struct tl_jwks *jwks = tl_jwks_new(&err);
	struct tl_jws_expect e;
	struct tl_jws_result res;
	char *token = libjwt_sign(cases[_i].stem, cases[_i].jalg, cases[_i].stem);

	tl_jwks_add(jwks, k, &err);
	expect_github(&e);
	ck_assert_msg(tl_jws_verify(token, strlen(token), jwks, &e, NULL, &res) == TL_JWS_OK,
		      "case %s: trustlab refused libjwt's token: %s", cases[_i].stem, res.message);
	ck_assert_int_eq(res.alg, cases[_i].alg);
	tl_jws_result_finish(&res);
	free(token);
	tl_jwks_free(jwks);
	tl_jose_key_free(k);
}
END_TEST

/*
 * reliability.md §1.3 row 3: libjwt accepts HS256 signed with the RSA
 * public key PEM as HMAC secret. trustlab refuses the same token.
 */
START_TEST(trap_alg_confusion)
{
	char *pem = NULL;
	size_t pem_len = 0;
	struct tl_jose_key *k = load_key("rsa2048", &pem, &pem_len);
	struct tl_error err;
	struct tl_jwks *jwks = tl_jwks_new(&err);
	struct tl_jws_expect e;
	struct tl_jws_result res;
	json_t *claims = claims_now();
	char *payload = json_dumps(claims, JSON_COMPACT), *token = NULL;
	const char *header = "{\"typ\":\"JWT\",\"alg\":\"HS256\",\"kid\":\"rsa2048\"}";
	struct tl_jws_forge f = {
		.header = header,
		.header_len = strlen(header),
		.payload = payload,
		.payload_len = strlen(payload),
		.alg = "HS256",
		.hmac_secret = pem,
		.hmac_secret_len = pem_len,
	};
	jwt_t *j = NULL;

	ck_assert_int_eq(tl_jws_forge(&f, &token, &err), 0);
	/* the trap: libjwt says yes */
	ck_assert_int_eq(jwt_decode(&j, token, (const unsigned char *)pem, (int)pem_len), 0);
	ck_assert_int_eq(jwt_get_alg(j), JWT_ALG_HS256);
	jwt_free(j);
	/* trustlab says no, and why */
	tl_jwks_add(jwks, k, &err);
	expect_github(&e);
	ck_assert_int_eq(tl_jws_verify(token, strlen(token), jwks, &e, NULL, &res),
			 TL_JWS_ALG_HMAC);
	tl_jws_result_finish(&res);
	free(token);
	free(payload);
	free(pem);
	json_decref(claims);
	tl_jwks_free(jwks);
	tl_jose_key_free(k);
}
END_TEST

/* §1.3 rows 5 and 10: alg none with no key, and a trailing dot, pass libjwt. */
START_TEST(trap_none_and_trailing_dot)
{
	struct tl_jose_key *k = load_key("rsa2048", NULL, NULL);
	struct tl_error err;
	struct tl_jwks *jwks = tl_jwks_new(&err);
	struct tl_jws_expect e;
	struct tl_jws_result res;
	char *token = libjwt_sign("rsa2048", JWT_ALG_RS256, "rsa2048"), *dotted;
	const char *none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
	jwt_t *j = NULL;
	char *pem = NULL;
	size_t pem_len;

	ck_assert_int_eq(jwt_decode(&j, none, NULL, 0), 0);
	ck_assert_int_eq(jwt_get_alg(j), JWT_ALG_NONE);
	jwt_free(j);
	tl_jwks_add(jwks, k, &err);
	expect_github(&e);
	ck_assert_int_ne(tl_jws_verify(none, strlen(none), jwks, &e, NULL, &res), TL_JWS_OK);
	tl_jws_result_finish(&res);

	dotted = malloc(strlen(token) + 2);
	sprintf(dotted, "%s.", token);
	ck_assert_int_eq(tl_jose_key_to_pem(k, false, &pem, &pem_len, &err), 0);
	ck_assert_int_eq(jwt_decode(&j, dotted, (const unsigned char *)pem, (int)pem_len), 0);
	jwt_free(j);
	ck_assert_int_eq(tl_jws_verify(dotted, strlen(dotted), jwks, &e, NULL, &res),
			 TL_JWS_TOKEN_SEGMENTS);
	tl_jws_result_finish(&res);
	free(pem);
	free(dotted);
	free(token);
	tl_jwks_free(jwks);
	tl_jose_key_free(k);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("jose-interop");
	TCase *tc = tcase_create("libjwt");

	tcase_add_loop_test(tc, trustlab_to_libjwt, 0, sizeof cases / sizeof cases[0]);
	tcase_add_loop_test(tc, libjwt_to_trustlab, 0, sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, trap_alg_confusion);
	tcase_add_test(tc, trap_none_and_trailing_dot);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
