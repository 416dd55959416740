/* SPDX-License-Identifier: MIT */
/*
 * The token corpus: tests/data/tokens/<NNN-name>.json, one file a whole
 * case. A case either carries a literal token ("token", e.g. signed by
 * another implementation) or instructions to build one at test time with
 * the committed keys of tests/data/keys (valid signatures need the
 * private keys, so tokens are made, not stored):
 *
 *   sign_with    key file stem (default "rsa2048"); also the default kid
 *   alg          how to sign: RS*, PS*, ES*, HS* (with hmac_secret or
 *                hmac_secret_file) or "none"; default: the header's alg,
 *                else the key's default
 *   der_ecdsa    write an ES signature as DER
 *   header | header_raw | header_hex | header_set, header_del
 *   claims | payload_raw | payload_hex | claims_set, claims_del, filler
 *   signature_from  {overrides}: replace the signature by the one of a
 *                second token built with these overrides
 *   mutate       [{op, part, at, text}] edits of the compact string:
 *                append, prepend, insert, replace_part, drop_part,
 *                truncate_part, std_alphabet, noncanonical, flip, high_s
 *   jwks         [key stems] | {JWKS object}; default: the standard set
 *   jwks_set     {kid: {member: value}} edits of the listed JWKs
 *   now          pinned clock (Unix seconds)
 *   expect       verifier settings on top of tl_jws_expect_init() with
 *                GitHub's issuer and sts.amazonaws.com
 *   result       "accept" or the reason id of tl_jws_reason_name()
 *
 * Every case must state "description" and "reference" (the document
 * section whose behaviour it pins). With TL_JOSE_DUMP_DIR set, each built
 * token is also written there (how tests/fuzz/corpus/token was seeded).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jose-cases.h"
#include "json/json.h"
#include "test-common.h"

#define MAX_CASES 512

static char *case_files[MAX_CASES];
static int case_count;
static const char *tokens_dir;

static void
setup_keys(void)
{
	tokens_dir = tl_test_arg(0);
	ck_assert_msg(tokens_dir && tl_test_arg(1), "usage: test-jose-corpus TOKENS_DIR KEYS_DIR");
	jose_cases_setup(tl_test_arg(1));
}

START_TEST(corpus_case)
{
	const char *name = case_files[_i];
	char path[1024];
	struct jose_case jc;
	struct tl_jws_result res;
	const char *result;

	jose_case_load(tokens_dir, name, &jc);
	result = jc.result;
	ck_assert_msg(json_string_length(json_object_get(jc.doc, "description")) > 0,
		      "case %s: no description", name);
	ck_assert_msg(json_string_length(json_object_get(jc.doc, "reference")) > 0,
		      "case %s: no reference", name);
	ck_assert_msg(strcmp(result, "accept") == 0 || tl_jws_reason_from_name(result) > 0,
		      "case %s: unknown result '%s'", name, result);

	/* TL_JOSE_DUMP_DIR: write the built token (seeds for tests/fuzz). */
	if (getenv("TL_JOSE_DUMP_DIR")) {
		FILE *out;
		snprintf(path, sizeof path, "%s/%.*s", getenv("TL_JOSE_DUMP_DIR"),
			 (int)(strlen(name) - 5), name);
		out = fopen(path, "wb");
		ck_assert_msg(out != NULL, "cannot write %s", path);
		fwrite(jc.token, 1, strlen(jc.token), out);
		fclose(out);
	}
	tl_jws_verify(jc.token, jc.len, jc.jwks, &jc.expect, &jc.clock, &res);
	ck_assert_msg(res.message[0] != '\0', "case %s: empty message", name);
	if (strcmp(result, "accept") == 0) {
		ck_assert_msg(res.reason == TL_JWS_OK, "case %s: expected accept, got %s (%s)",
			      name, tl_jws_reason_name(res.reason), res.message);
		ck_assert_msg(res.claims && res.header && res.key, "case %s: no claims/header/key",
			      name);
	} else {
		ck_assert_msg(res.reason != TL_JWS_OK, "case %s: ACCEPTED, expected %s", name,
			      result);
		ck_assert_msg(strcmp(tl_jws_reason_name(res.reason), result) == 0,
			      "case %s: expected %s, got %s (%s)", name, result,
			      tl_jws_reason_name(res.reason), res.message);
		ck_assert_msg(strncmp(res.message, tl_jws_reason_message(res.reason),
				      strlen(tl_jws_reason_message(res.reason))) == 0,
			      "case %s: message does not start with the reason's: %s", name,
			      res.message);
	}
	tl_jws_result_finish(&res);
	jose_case_finish(&jc);
}
END_TEST

static void
list_cases(void)
{
	/* No ck_assert here (not inside a test yet): an unreadable directory
	 * leaves the corpus empty, which corpus_size reports. */
	tokens_dir = tl_test_arg(0);
	case_count = jose_cases_list(tokens_dir, case_files, MAX_CASES);
}

/* Counts are part of the contract: the corpus may grow, never shrink. */
START_TEST(corpus_size)
{
	int accept = 0, reject = 0;
	unsigned algs = 0;
	bool reasons_seen[TL_JWS_REASON_COUNT] = {false};

	for (int i = 0; i < case_count; i++) {
		char path[1024];
		json_t *c;
		const char *r, *alg;
		snprintf(path, sizeof path, "%s/%s", tokens_dir, case_files[i]);
		c = tl_json_load_file(path, NULL, NULL);
		ck_assert_msg(c != NULL, "case %s does not load", case_files[i]);
		r = json_string_value(json_object_get(c, "result"));
		if (r && strcmp(r, "accept") == 0) {
			accept++;
			alg = json_string_value(json_object_get(c, "alg"));
			if (alg)
				algs |= TL_JOSE_ALG_BIT(tl_jose_alg_from_name(alg));
		} else {
			reject++;
			if (tl_jws_reason_from_name(r) > 0)
				reasons_seen[tl_jws_reason_from_name(r)] = true;
		}
		json_decref(c);
	}
	ck_assert_msg(reject >= 60, "only %d reject cases", reject);
	/* every refusal the verifier can give is pinned by at least one case */
	for (int r = 0; r < TL_JWS_REASON_COUNT; r++)
		ck_assert_msg(r == TL_JWS_OK || r == TL_JWS_INTERNAL || reasons_seen[r],
			      "no corpus case expects '%s'",
			      tl_jws_reason_name((enum tl_jws_reason)r));
	ck_assert_msg(algs == TL_JOSE_ALGS_ALL, "accept cases do not cover all nine algorithms");
	ck_assert_int_gt(accept, 9);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("jose-corpus");
	TCase *tc = tcase_create("tokens");

	list_cases();
	tcase_add_unchecked_fixture(tc, setup_keys, jose_cases_teardown);
	tcase_add_loop_test(tc, corpus_case, 0, case_count);
	tcase_add_test(tc, corpus_size);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
