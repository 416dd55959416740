/* SPDX-License-Identifier: MIT */
/*
 * trustlab explain --token (issue 10 item 4): tokens minted here with
 * lib/claims and lib/jose from a key in tests/data/keys, a JWKS file,
 * verification as STS does it (reference/sts.md §2.2), --no-verify,
 * expired and wrongly signed tokens, the condition keys and the decision.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/random.h"

#include "claims/claims.h"
#include "jose/jwks.h"
#include "jose/jws.h"
#include "jose/key.h"
#include "test-common.h"

/* iat of every token; the tests pin --now relative to it. */
#define T0 1790000000

static char dir[] = "/tmp/tl-explain-token-XXXXXX";
static char policy[1200];

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static struct tl_jose_key *
load_key(const char *name)
{
	char path[1200];
	struct tl_error err = {0};
	struct tl_jose_key *k;
	snprintf(path, sizeof(path), "%s/%s", tl_test_arg(0), name);
	k = tl_jose_key_load_file(path, &err);
	ck_assert_msg(k != NULL, "%s: %s", path, err.message);
	return k;
}

static void
write_jwks(const char *name, struct tl_jose_key *key)
{
	struct tl_error err = {0};
	struct tl_jwks *jwks = tl_jwks_new(&err);
	json_t *j;
	char *s;
	ck_assert_int_eq(tl_jwks_add(jwks, key, &err), 0);
	j = tl_jwks_to_json(jwks, &err);
	s = json_dumps(j, JSON_INDENT(2));
	write_file(name, s);
	free(s);
	json_decref(j);
	tl_jwks_free(jwks);
}

/* A GitHub token for acme/app at `ref`, signed with `key`. */
static char *
mint(struct tl_jose_key *key, const char *ref)
{
	const struct tl_claims_profile *p = tl_claims_profile_find("github");
	struct tl_claims_options opt = {.now = T0};
	struct tl_error err = {0};
	struct tl_rng rng;
	json_t *ctx = json_pack("{s:s, s:s}", "repository", "acme/app", "ref", ref);
	json_t *aud = json_string("sts.amazonaws.com"), *claims = NULL, *header;
	char *token = NULL;

	tl_rng_init_seeded(&rng, "explain-token");
	opt.rng = &rng;
	opt.audience = aud;
	ck_assert_int_eq(tl_claims_build(p, ctx, &opt, &claims, NULL, &err), 0);
	header = tl_jws_header_new(key, TL_JOSE_ALG_RS256, TL_JWS_HEADER_TYP | TL_JWS_HEADER_KID,
				   &err);
	ck_assert_ptr_nonnull(header);
	ck_assert_msg(tl_jws_sign(key, TL_JOSE_ALG_RS256, header, claims, &token, &err) == 0, "%s",
		      err.message);
	json_decref(header);
	json_decref(claims);
	json_decref(ctx);
	json_decref(aud);
	tl_rng_finish(&rng);
	return token;
}

static void
setup_files(void)
{
	struct tl_error err = {0};
	struct tl_jose_key *a, *b;
	char *main_tok, *feature_tok, *tampered;
	size_t n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	a = load_key("rsa2048.pem");
	b = load_key("rsa2048-b.pem");
	ck_assert_int_eq(tl_jose_key_set_kid(a, "key-1", &err), 0);
	ck_assert_int_eq(tl_jose_key_set_kid(b, "key-1", &err), 0); /* same kid, other key */
	write_jwks("jwks.json", a);
	write_jwks("jwks-other.json", b);
	main_tok = mint(a, "refs/heads/main");
	feature_tok = mint(a, "refs/heads/feature");
	write_file("main.jwt", main_tok);
	write_file("main-newline.jwt", main_tok);
	write_file("feature.jwt", feature_tok);
	/* One signature character changed (not the last: its spare bits matter). */
	tampered = strdup(main_tok);
	n = strlen(tampered);
	tampered[n - 10] = tampered[n - 10] == 'A' ? 'B' : 'A';
	write_file("tampered.jwt", tampered);
	write_file("main.txt", main_tok);
	free(main_tok);
	free(feature_tok);
	free(tampered);
	tl_jose_key_free(a);
	tl_jose_key_free(b);
}

static void
cleanup(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

struct tcase {
	const char *name;
	const char *args[12]; /* after "explain"; "@x" is a file in the temp dir */
	int status;
	const char *out, *out2, *err;
};

static const struct tcase cases[] = {
	{"verified token, allowed",
	 {"--token", "@main.jwt", "--jwks", "@jwks.json", "--now", "1790000060"},
	 0,
	 "token: verified offline against the JWKS (kid \"key-1\"",
	 "  token.actions.githubusercontent.com:sub = repo:acme/app:ref:refs/heads/main",
	 NULL},
	{"verified token, denied by the policy",
	 {"--token", "@feature.jwt", "--jwks", "@jwks.json", "--now", "1790000060"},
	 1,
	 "Decision: implicit-deny",
	 "token.actions.githubusercontent.com:ref = refs/heads/feature",
	 NULL},
	{"the decoded header and claims are shown",
	 {"--token", "@main.jwt", "--jwks", "@jwks.json", "--now", "1790000060"},
	 0,
	 "header:\n  {\n    \"typ\": \"JWT\",\n    \"alg\": \"RS256\",\n    \"kid\": \"key-1\"",
	 "claims:\n  {\n",
	 NULL},
	{"--no-verify: decoded, marked UNVERIFIED",
	 {"--token", "@main.jwt", "--no-verify"},
	 0,
	 "*** UNVERIFIED TOKEN (--no-verify)",
	 "Decision: allow",
	 "UNVERIFIED token (--no-verify)"},
	{"expired (exp = iat + 300, leeway 300 s): ExpiredTokenException",
	 {"--token", "@main.jwt", "--jwks", "@jwks.json", "--now", "1790000601"},
	 2,
	 NULL,
	 NULL,
	 "token refused: expired: "},
	{"not valid yet (nbf)",
	 {"--token", "@main.jwt", "--jwks", "@jwks.json", "--now", "1789999000"},
	 2,
	 NULL,
	 NULL,
	 "(STS: ExpiredTokenException)"},
	{"signed by another key with the same kid",
	 {"--token", "@main.jwt", "--jwks", "@jwks-other.json", "--now", "1790000060"},
	 2,
	 NULL,
	 NULL,
	 "token refused: signature-invalid: "},
	{"a changed signature",
	 {"--token", "@tampered.jwt", "--jwks", "@jwks.json", "--now", "1790000060"},
	 2,
	 NULL,
	 NULL,
	 "token refused: signature-invalid"},
	{"--audience that the token is not for",
	 {"--token", "@main.jwt", "--jwks", "@jwks.json", "--now", "1790000060", "--audience",
	  "other"},
	 2,
	 NULL,
	 NULL,
	 "token refused: aud-mismatch: "},
	{"--audience that the token is for",
	 {"--token", "@main.jwt", "--jwks", "@jwks.json", "--now", "1790000060", "--audience",
	  "sts.amazonaws.com"},
	 0,
	 "Decision: allow",
	 NULL,
	 NULL},
	{"not a JWS",
	 {"--token", "not-a-token", "--no-verify"},
	 2,
	 NULL,
	 NULL,
	 "token refused: token-segments: "},
	{"neither --jwks nor --no-verify",
	 {"--token", "@main.jwt"},
	 2,
	 NULL,
	 NULL,
	 "--token needs --jwks FILE"},
	{"JSON output carries the token and the keys",
	 {"--token", "@main.jwt", "--jwks", "@jwks.json", "--now", "1790000060", "--format",
	  "json"},
	 0,
	 "\"verified\": true",
	 "\"token.actions.githubusercontent.com:repository\": [\n        \"acme/app\"",
	 NULL},
};

START_TEST(explain_token)
{
	const struct tcase *c = &cases[_i];
	char *argv[24], files[12][300], out[65536], errb[8192];
	int argc = 0;

	argv[argc++] = (char *)tl_test_program("TRUSTLAB");
	argv[argc++] = "explain";
	argv[argc++] = "--role-policy";
	argv[argc++] = policy;
	for (int i = 0; i < 12 && c->args[i]; i++) {
		if (c->args[i][0] == '@') {
			snprintf(files[i], sizeof(files[i]), "%s/%s", dir, c->args[i] + 1);
			argv[argc++] = files[i];
		} else {
			argv[argc++] = (char *)c->args[i];
		}
	}
	argv[argc] = NULL;
	int status = tl_test_run(argv, 20000, out, sizeof(out), errb, sizeof(errb));
	ck_assert_msg(status == c->status,
		      "case %s: exit %d, want %d\nstdout: %.1500s\nstderr: %.800s", c->name, status,
		      c->status, out, errb);
	if (c->out)
		ck_assert_msg(strstr(out, c->out), "case %s: stdout lacks '%s':\n%.3000s", c->name,
			      c->out, out);
	if (c->out2)
		ck_assert_msg(strstr(out, c->out2), "case %s: stdout lacks '%s':\n%.3000s", c->name,
			      c->out2, out);
	if (c->err)
		ck_assert_msg(strstr(errb, c->err), "case %s: stderr lacks '%s':\n%.1500s", c->name,
			      c->err, errb);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("explain-token");
	TCase *tc = tcase_create("explain-token");

	snprintf(policy, sizeof(policy), "%s/deploy-main.json", tl_test_arg(1));
	tcase_add_unchecked_fixture(tc, setup_files, cleanup);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, explain_token, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
