/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/probe: the seeds a policy's literals and wildcards give
 * (docs/probe.md "Seeds"), the candidates and their kinds, the identity
 * used to tell intended contexts, the cap, and principal profiles.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe.h"
#include "test-common.h"

static json_t *
policy_with(const char *op, const char *key, const char *value)
{
	json_t *p =
		json_pack("{s:s, s:[{s:s, s:{s:s}, s:s, s:{s:{s:s}}}]}", "Version", "2012-10-17",
			  "Statement", "Effect", "Allow", "Principal", "Federated",
			  "arn:aws:iam::123456789012:oidc-provider/"
			  "token.actions.githubusercontent.com",
			  "Action", "sts:AssumeRoleWithWebIdentity", "Condition", op, key, value);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* The candidates of one GitHub base (acme/app, push to main) and one policy. */
static void
generate(const json_t *policy, const json_t *registered, size_t max, struct tl_probe_space *space)
{
	json_t *ctx = json_pack("{s:s, s:s, s:s}", "repository", "acme/app", "event", "push", "ref",
				"refs/heads/main");
	const struct tl_probe_base base = {"github", ctx, "sts.amazonaws.com"};
	const json_t *pols[1] = {policy};
	struct tl_probe_options opt = {.max_contexts = max, .registered = registered};
	struct tl_error err;

	tl_probe_space_init(space);
	ck_assert_int_eq(tl_probe_generate(&base, 1, pols, policy ? 1 : 0, &opt, space, &err), 0);
	json_decref(ctx);
}

/* The candidate whose `field` is `value`, or NULL. */
static const struct tl_probe_candidate *
find(const struct tl_probe_space *s, const char *field, const char *value)
{
	for (size_t i = 0; i < s->count; i++) {
		const char *v = json_string_value(json_object_get(s->items[i].context, field));
		if (v && strcmp(v, value) == 0)
			return &s->items[i];
	}
	return NULL;
}

START_TEST(test_seed_repository_prefix)
{
	json_t *p = policy_with("StringLike", "token.actions.githubusercontent.com:sub",
				"repo:acme/app*");
	struct tl_probe_space s;
	const struct tl_probe_candidate *c;

	generate(p, NULL, 0, &s);
	/* `repo:acme/app*` instantiated: the wildcard filled with "-probe". */
	c = find(&s, "repository", "acme/app-probe");
	ck_assert_msg(c, "repo:acme/app* seeds acme/app-probe");
	ck_assert_str_eq(tl_probe_kind_name(c->kind), "sibling-repository");
	ck_assert_str_eq(c->sub, "repo:acme/app-probe:ref:refs/heads/main");
	/* The fixed list: another owner and a case variant. */
	c = find(&s, "repository", "acme-evil/app");
	ck_assert_msg(c && c->kind == TL_PROBE_FOREIGN_OWNER, "acme-evil/app is a foreign owner");
	c = find(&s, "repository", "Acme/App");
	ck_assert_msg(c && c->kind == TL_PROBE_CASE_VARIANT, "Acme/App is a case variant");
	/* The base itself comes first, intended. */
	ck_assert_uint_ge(s.count, 1);
	ck_assert_int_eq(s.items[0].kind, TL_PROBE_INTENDED);
	tl_probe_space_finish(&s);
	json_decref(p);
}
END_TEST

START_TEST(test_seed_ref_wildcard)
{
	json_t *p = policy_with("StringLike", "token.actions.githubusercontent.com:sub",
				"repo:acme/app:ref:refs/*/main");
	struct tl_probe_space s;
	const struct tl_probe_candidate *c;

	generate(p, NULL, 0, &s);
	c = find(&s, "ref", "refs/tags/main");
	ck_assert_msg(c && c->kind == TL_PROBE_TAG, "refs/*/main seeds the tag main");
	c = find(&s, "ref", "refs/heads/probe/main");
	ck_assert_msg(c && c->kind == TL_PROBE_BRANCH, "refs/*/main seeds a branch x/main");
	c = find(&s, "event", "pull_request_target");
	ck_assert_msg(c && c->kind == TL_PROBE_PR_TARGET, "pull_request_target is tried");
	ck_assert_str_eq(c->sub, "repo:acme/app:pull_request");
	tl_probe_space_finish(&s);
	json_decref(p);
}
END_TEST

START_TEST(test_seed_environment)
{
	json_t *p = policy_with("StringLike", "token.actions.githubusercontent.com:environment",
				"prod*");
	struct tl_probe_space s;
	const struct tl_probe_candidate *c;

	generate(p, NULL, 0, &s);
	c = find(&s, "environment", "prod-sandbox");
	ck_assert_msg(c && c->kind == TL_PROBE_ENVIRONMENT, "prod* seeds prod-sandbox");
	tl_probe_space_finish(&s);
	json_decref(p);
}
END_TEST

START_TEST(test_audience_and_provider)
{
	json_t *reg =
		json_pack("{s:[s, s]}", "github", "sts.amazonaws.com", "https://github.com/acme");
	struct tl_probe_space s;
	bool audience = false, provider = false;

	generate(NULL, reg, 0, &s);
	for (size_t i = 0; i < s.count; i++) {
		const struct tl_probe_candidate *c = &s.items[i];
		if (c->kind == TL_PROBE_AUDIENCE)
			audience =
				audience || (c->audience &&
					     strcmp(c->audience, "https://github.com/acme") == 0);
		if (c->kind == TL_PROBE_PROVIDER && strcmp(c->profile, "gitlab") == 0)
			provider = provider ||
				   (c->audience && strcmp(c->audience, "sts.amazonaws.com") == 0);
	}
	ck_assert_msg(audience, "the other registered client id is tried");
	ck_assert_msg(provider, "a GitLab token with the same audience is tried");
	/* Client ids to register: GitLab's for the other-provider candidate. */
	ck_assert_uint_eq(json_array_size(json_object_get(s.audiences, "gitlab")), 1);
	tl_probe_space_finish(&s);
	json_decref(reg);
}
END_TEST

START_TEST(test_cap_and_dedupe)
{
	json_t *p = policy_with("StringLike", "token.actions.githubusercontent.com:sub",
				"repo:acme/app*");
	struct tl_probe_space s, all;

	generate(p, NULL, 0, &all);
	generate(p, NULL, 3, &s);
	ck_assert_uint_eq(s.count, 3);
	ck_assert_uint_eq(s.dropped, all.count - 3);
	/* No two candidates share an identity. */
	for (size_t i = 0; i < all.count; i++)
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(!(strcmp(all.items[i].profile, all.items[j].profile) == 0 &&
					tl_probe_same_identity(
						all.items[i].profile, all.items[i].context,
						all.items[i].audience, all.items[j].context,
						all.items[j].audience)),
				      "candidates %zu (%s) and %zu (%s) are one identity", i,
				      all.items[i].label, j, all.items[j].label);
	tl_probe_space_finish(&s);
	tl_probe_space_finish(&all);
	json_decref(p);
}
END_TEST

START_TEST(test_identity)
{
	json_t *a = json_pack("{s:s}", "repository", "acme/app");
	json_t *b = json_pack("{s:s, s:s, s:s, s:s}", "repository", "acme/app", "event",
			      "workflow_dispatch", "ref", "refs/heads/main", "actor", "someone");
	json_t *c = json_pack("{s:s, s:s}", "repository", "acme/app", "ref", "refs/tags/main");
	json_t *g1 = json_pack("{s:s}", "project_path", "acme/app");
	json_t *g2 = json_pack("{s:s, s:s, s:s, s:b}", "project_path", "acme/app", "ref_type",
			       "branch", "ref", "main", "ref_protected", 1);

	/* Defaults filled, run noise ignored: a dispatch on main is a push on main. */
	ck_assert(tl_probe_same_identity("github", a, NULL, b, NULL));
	ck_assert(!tl_probe_same_identity("github", a, NULL, c, NULL));
	ck_assert(!tl_probe_same_identity("github", a, "sts.amazonaws.com", a, NULL));
	/* GitLab: the default branch is protected by default. */
	ck_assert(tl_probe_same_identity("gitlab", g1, NULL, g2, NULL));
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(g1);
	json_decref(g2);
}
END_TEST

START_TEST(test_principal_profile)
{
	ck_assert_str_eq(
		tl_probe_principal_profile(
			"arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"),
		"github");
	ck_assert_str_eq(tl_probe_principal_profile("arn:aws:iam::1:oidc-provider/gitlab.com"),
			 "gitlab");
	ck_assert_str_eq(
		tl_probe_principal_profile("arn:aws:iam::1:oidc-provider/oidc.circleci.com/org/x"),
		"circleci");
	ck_assert_ptr_null(tl_probe_principal_profile("arn:aws:iam::1:oidc-provider/example.com"));
	ck_assert_ptr_null(tl_probe_principal_profile(NULL));
}
END_TEST

START_TEST(test_policy_values)
{
	json_t *p = policy_with("StringLike", "token.actions.githubusercontent.com:sub",
				"repo:acme/app:environment:production");
	const json_t *pols[1] = {p};
	json_t *repos = tl_probe_policy_values(pols, 1, "repository");
	json_t *envs = tl_probe_policy_values(pols, 1, "environment");

	ck_assert_str_eq(json_string_value(json_array_get(repos, 0)), "acme/app");
	ck_assert_str_eq(json_string_value(json_array_get(envs, 0)), "production");
	ck_assert_ptr_null(tl_probe_policy_values(pols, 1, "nope"));
	json_decref(repos);
	json_decref(envs);
	json_decref(p);
}
END_TEST

START_TEST(test_kind_names)
{
	for (int k = 0; k < TL_PROBE_KIND_COUNT; k++) {
		ck_assert_msg(strlen(tl_probe_kind_name((enum tl_probe_kind)k)) > 0, "kind %d", k);
		ck_assert_msg(strlen(tl_probe_kind_title((enum tl_probe_kind)k)) > 0, "kind %d", k);
		if (k != TL_PROBE_INTENDED)
			ck_assert_msg(strlen(tl_probe_kind_hint((enum tl_probe_kind)k)) > 0,
				      "kind %s has a fix",
				      tl_probe_kind_name((enum tl_probe_kind)k));
	}
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("generate");

	tcase_add_test(tc, test_seed_repository_prefix);
	tcase_add_test(tc, test_seed_ref_wildcard);
	tcase_add_test(tc, test_seed_environment);
	tcase_add_test(tc, test_audience_and_provider);
	tcase_add_test(tc, test_cap_and_dedupe);
	tcase_add_test(tc, test_identity);
	tcase_add_test(tc, test_principal_profile);
	tcase_add_test(tc, test_policy_values);
	tcase_add_test(tc, test_kind_names);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
