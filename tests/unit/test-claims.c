/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/claims: the registry, the `sub` builders one by one,
 * strict context errors with their exact messages, determinism, and
 * allocation failure. The claim sets themselves are pinned by the golden
 * corpus (test-claims-golden.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/file.h"

#include "claims/claims.h"
#include "json/json.h"
#include "test-common.h"

static json_t *
parse(const char *text)
{
	struct tl_error err;
	json_t *v;

	tl_error_clear(&err);
	v = tl_json_load(text, strlen(text), NULL, "test", &err);
	ck_assert_msg(v, "bad test JSON %s: %s", text, err.message);
	return v;
}

static int
build_text(const char *profile, const char *context, const char *seed, json_t **claims,
	   struct tl_claims_refusal *refusal, struct tl_error *err)
{
	const struct tl_claims_profile *p = tl_claims_profile_find(profile);
	struct tl_claims_options opt = {0};
	struct tl_rng rng;
	json_t *ctx = context ? parse(context) : NULL;
	int rc;

	ck_assert_msg(p, "no profile %s", profile);
	tl_rng_init_seeded(&rng, seed);
	opt.rng = &rng;
	opt.now = 1700000000;
	tl_error_clear(err);
	*claims = NULL;
	rc = tl_claims_build(p, ctx, &opt, claims, refusal, err);
	tl_rng_finish(&rng);
	json_decref(ctx);
	return rc;
}

/* --- registry -------------------------------------------------------- */

static const char *const names[] = {"github",	  "github-enterprise-server",
				    "gitlab",	  "buildkite",
				    "circleci",	  "terraform-cloud",
				    "kubernetes", "bitbucket",
				    "spacelift",  NULL};

START_TEST(registry_find)
{
	const struct tl_claims_profile *const *all = tl_claims_profiles();
	size_t n = 0;

	for (size_t i = 0; names[i]; i++) {
		const struct tl_claims_profile *p = tl_claims_profile_find(names[i]);
		ck_assert_msg(p && strcmp(p->name, names[i]) == 0, "profile %s", names[i]);
	}
	while (all[n])
		n++;
	ck_assert_uint_eq(n, sizeof(names) / sizeof(names[0]) - 1);
	ck_assert_ptr_null(tl_claims_profile_find("GitHub"));
	ck_assert_ptr_null(tl_claims_profile_find("jenkins"));
	ck_assert_ptr_null(tl_claims_profile_find(NULL));
}
END_TEST

START_TEST(registry_fields)
{
	const struct tl_claims_profile *p = tl_claims_profiles()[_i];

	ck_assert_msg(p->title && p->reference && p->issuer && p->jwks_path, "profile %s", p->name);
	ck_assert_msg(strncmp(p->issuer, "https://", 8) == 0, "profile %s: issuer", p->name);
	ck_assert_msg(strcmp(p->alg, "RS256") == 0, "profile %s: alg", p->name);
	ck_assert_msg(p->lifetime > 0 && p->nbf_offset <= 0, "profile %s: timing", p->name);
	ck_assert_msg(p->aws_condition_claims && p->context_fields && p->claims_supported &&
			      p->build,
		      "profile %s: lists", p->name);
}
END_TEST

START_TEST(registry_timing_and_header)
{
	/* reference §1.3, §1.4, §2.1, §3.1 */
	const struct tl_claims_profile *gh = tl_claims_profile_find("github");
	const struct tl_claims_profile *gl = tl_claims_profile_find("gitlab");
	const struct tl_claims_profile *tf = tl_claims_profile_find("terraform-cloud");

	ck_assert(gh->x5t && gh->kid_style == TL_CLAIMS_KID_CERT_SHA1_HEX);
	ck_assert_str_eq(gh->typ, "JWT");
	ck_assert_int_eq(gh->nbf_offset, -600);
	ck_assert_int_eq(gh->lifetime, 300);
	ck_assert_str_eq(gh->jwks_path, "/.well-known/jwks");
	ck_assert(!gl->x5t && gl->kid_style == TL_CLAIMS_KID_JWK_THUMBPRINT);
	ck_assert_int_eq(gl->nbf_offset, -5);
	ck_assert_int_eq(tf->nbf_offset, -5);
	ck_assert_str_eq(tf->audience, "aws.workload.identity");
	ck_assert_str_eq(gh->aws_condition_claims[0], "actor");
}
END_TEST

/* Minimal contexts; every emitted claim must be in claims_supported. */
static const char *const minimal[][2] = {
	{"github", "{\"repository\": \"acme/app\", \"environment\": \"prod\", \"enterprise\": "
		   "\"acme\"}"},
	{"github-enterprise-server", "{\"repository\": \"acme/app\"}"},
	{"gitlab", "{\"project_path\": \"acme/app\", \"environment\": \"prod\", "
		   "\"groups_direct\": [\"acme\"], \"user_identities\": [{\"provider\": "
		   "\"github\", \"extern_uid\": \"1\"}]}"},
	{"buildkite", "{\"organization_slug\": \"a\", \"pipeline_slug\": \"b\", "
		      "\"aws_session_tags\": [\"build_branch\"], \"claims\": "
		      "[\"organization_id\", \"pipeline_id\", \"cluster_id\", \"cluster_name\"]}"},
	{"circleci", "{}"},
	{"terraform-cloud", "{\"organization\": \"o\", \"workspace\": \"w\"}"},
	{"kubernetes", "{\"service_account\": \"sa\"}"},
	{"bitbucket", "{\"deployment_environment_uuid\": "
		      "\"12345678-1234-4234-8234-123456789abc\"}"},
	{"spacelift", "{}"},
};

START_TEST(claims_supported_complete)
{
	const struct tl_claims_profile *p = tl_claims_profile_find(minimal[_i][0]);
	struct tl_claims_refusal refusal;
	struct tl_error err;
	json_t *claims;
	const char *key;
	json_t *value;

	ck_assert_msg(build_text(minimal[_i][0], minimal[_i][1], "s", &claims, &refusal, &err) == 0,
		      "profile %s: %s %s", minimal[_i][0], err.path, err.message);
	json_object_foreach(claims, key, value)
	{
		bool found = false;
		for (size_t k = 0; p->claims_supported[k] && !found; k++)
			found = strcmp(p->claims_supported[k], key) == 0;
		ck_assert_msg(found, "profile %s: claim %s not in claims_supported", p->name, key);
		ck_assert_msg(strcmp(key, "sub") != 0 || json_is_string(value), "profile %s: sub",
			      p->name);
	}
	ck_assert_msg(json_is_string(json_object_get(claims, "iss")) &&
			      json_is_integer(json_object_get(claims, "iat")) &&
			      json_is_integer(json_object_get(claims, "exp")),
		      "profile %s: iss/iat/exp", p->name);
	for (size_t k = 0; p->aws_condition_claims[k]; k++)
		ck_assert_msg(json_object_get(claims, p->aws_condition_claims[k]) ||
				      strcmp(p->name, "github") == 0,
			      "profile %s: condition claim %s never emitted", p->name,
			      p->aws_condition_claims[k]);
	json_decref(claims);
}
END_TEST

START_TEST(github_ids_are_strings)
{
	/* reference §0.2: every GitHub custom claim is a JSON string. */
	struct tl_claims_refusal refusal;
	struct tl_error err;
	json_t *claims;
	const char *key;
	json_t *value;

	ck_assert_int_eq(build_text("github", minimal[0][1], "s", &claims, &refusal, &err), 0);
	json_object_foreach(claims, key, value)
	{
		bool timing = !strcmp(key, "iat") || !strcmp(key, "nbf") || !strcmp(key, "exp");
		ck_assert_msg(timing ? json_is_integer(value) : json_is_string(value),
			      "claim %s has type %s", key, tl_json_type_name(value));
	}
	json_decref(claims);
}
END_TEST

/* --- GitHub sub builders --------------------------------------------- */

static const struct {
	const char *in, *out;
} escapes[] = {
	{"Production", "Production"},
	{"Production:V1", "Production%3AV1"},
	{"::", "%3A%3A"},
	{"100%", "100%"}, /* GitHub escapes ':' only (§1.6) */
	{"", ""},
	{"Déploiement 🚀:x", "Déploiement 🚀%3Ax"},
};

START_TEST(github_escape)
{
	struct tl_buf b;

	tl_buf_init(&b, 256);
	ck_assert_int_eq(tl_claims_github_escape(&b, escapes[_i].in, NULL), 0);
	ck_assert_msg(strcmp(tl_buf_str(&b), escapes[_i].out) == 0, "case %d: '%s' gave '%s'", _i,
		      escapes[_i].in, tl_buf_str(&b));
	tl_buf_finish(&b);
}
END_TEST

START_TEST(github_prefix)
{
	json_t *c = parse("{\"repository\": \"Octo-Org/octo.repo\", \"repository_owner_id\": "
			  "\"12\", \"repository_id\": \"34\"}");
	json_t *bare = parse("{\"repository\": \"o/r\"}");
	struct tl_error err;
	struct tl_buf b;

	tl_buf_init(&b, 256);
	ck_assert_int_eq(tl_claims_github_sub_prefix(c, false, &b, NULL), 0);
	ck_assert_str_eq(tl_buf_str(&b), "repo:Octo-Org/octo.repo"); /* case kept (§1.6) */
	tl_buf_reset(&b);
	ck_assert_int_eq(tl_claims_github_sub_prefix(c, true, &b, NULL), 0);
	ck_assert_str_eq(tl_buf_str(&b), "repo:Octo-Org@12/octo.repo@34");
	tl_buf_reset(&b);
	tl_error_clear(&err);
	ck_assert_int_eq(tl_claims_github_sub_prefix(bare, true, &b, &err), -1);
	ck_assert_str_eq(err.message,
			 "the immutable subject needs repository_owner_id and repository_id");
	tl_buf_finish(&b);
	json_decref(c);
	json_decref(bare);
}
END_TEST

static const struct {
	const char *claims, *context;
} contexts[] = {
	{"{\"event_name\": \"push\", \"ref\": \"refs/heads/main\"}", "ref:refs/heads/main"},
	{"{\"event_name\": \"push\", \"ref\": \"refs/tags/v1\"}", "ref:refs/tags/v1"},
	{"{\"event_name\": \"pull_request\", \"ref\": \"refs/pull/1/merge\"}", "pull_request"},
	{"{\"event_name\": \"pull_request_target\", \"ref\": \"refs/heads/main\"}", "pull_request"},
	{"{\"event_name\": \"pull_request_review\", \"ref\": \"refs/pull/1/merge\"}",
	 "pull_request"},
	{"{\"event_name\": \"pull_request\", \"ref\": \"refs/pull/1/merge\", \"environment\": "
	 "\"e:1\"}",
	 "environment:e%3A1"},
	{"{\"event_name\": \"deployment\", \"ref\": \"\", \"environment\": \"staging\"}",
	 "environment:staging"},
	{"{\"event_name\": \"deployment\", \"ref\": \"\"}", "ref:"},
	{"{\"event_name\": \"workflow_run\", \"ref\": \"refs/heads/main\"}", "ref:refs/heads/main"},
};

START_TEST(github_context_precedence)
{
	json_t *c = parse(contexts[_i].claims);
	struct tl_buf b;

	tl_buf_init(&b, 256);
	ck_assert_int_eq(tl_claims_github_sub_context(c, &b, NULL), 0);
	ck_assert_msg(strcmp(tl_buf_str(&b), contexts[_i].context) == 0, "case %d: '%s'", _i,
		      tl_buf_str(&b));
	tl_buf_finish(&b);
	json_decref(c);
}
END_TEST

/* Template resolution (§1.7 repo-level semantics table). */
static const struct {
	const char *org, *repo;
	const char *keys; /* the chosen include_claim_keys dumped, NULL = default */
	const char *path, *message; /* error */
} templates[] = {
	{NULL, NULL, NULL, NULL, NULL},
	{"{\"include_claim_keys\": [\"repo\"]}", NULL, NULL, NULL, NULL},
	{"{\"include_claim_keys\": [\"repo\"]}", "{\"use_default\": true}", NULL, NULL, NULL},
	{"{\"include_claim_keys\": [\"repo\"]}", "{\"use_default\": false}", "[\"repo\"]", NULL,
	 NULL},
	{"{\"include_claim_keys\": [\"repo\"]}",
	 "{\"use_default\": false, \"include_claim_keys\": []}", "[\"repo\"]", NULL, NULL},
	{"{\"include_claim_keys\": [\"repo\"]}",
	 "{\"use_default\": false, \"include_claim_keys\": [\"actor\"]}", "[\"actor\"]", NULL,
	 NULL},
	{NULL, "{\"use_default\": false}", NULL, NULL, NULL},
	{NULL, "{\"use_default\": true, \"include_claim_keys\": [\"actor\"]}", NULL, NULL, NULL},
	{NULL, "{\"use_default\": \"no\"}", NULL, "t.repo.use_default",
	 "expected a boolean, found a string"},
	{NULL, "{\"use_default\": false, \"include_claim_keys\": \"repo\"}", NULL,
	 "t.repo.include_claim_keys", "expected an array, found a string"},
	{"{}", NULL, NULL, "t.org", "include_claim_keys is required"},
	{"{\"include_claim_keys\": [\"aud\"]}", NULL, NULL, "t.org.include_claim_keys[0]",
	 "GitHub does not accept 'aud' in a sub template"},
	{"{\"include_claim_keys\": [\"enterprise_id\"]}", NULL, NULL, "t.org.include_claim_keys[0]",
	 "GitHub does not accept 'enterprise_id' in a sub template"},
	{"{\"include_claim_keys\": [\"repo-name\"]}", NULL, NULL, "t.org.include_claim_keys[0]",
	 "claim key 'repo-name' must be letters, digits and '_'"},
	{"{\"include_claim_keys\": [3]}", NULL, NULL, "t.org.include_claim_keys[0]",
	 "expected a string, found a number"},
	{"{\"include_claim_keys\": [], \"use_default\": false}", NULL, NULL, "t.org",
	 "unknown field 'use_default' (expected one of: include_claim_keys)"},
	{NULL, "{\"use_default\": false, \"sub_claim_prefix\": \"x\"}", NULL, "t.repo",
	 "unknown field 'sub_claim_prefix' (expected one of: use_default, include_claim_keys)"},
	{"[]", NULL, NULL, "t.org", "expected an object, found an array"},
};

START_TEST(github_template)
{
	json_t *org = templates[_i].org ? parse(templates[_i].org) : NULL;
	json_t *repo = templates[_i].repo ? parse(templates[_i].repo) : NULL;
	const json_t *keys = (const json_t *)1;
	struct tl_error err;
	int rc;

	tl_error_clear(&err);
	rc = tl_claims_github_template(org, repo, "t", &keys, &err);
	if (templates[_i].message) {
		ck_assert_msg(rc == -1, "case %d: accepted", _i);
		ck_assert_msg(strcmp(err.path, templates[_i].path) == 0, "case %d: path %s", _i,
			      err.path);
		ck_assert_msg(strcmp(err.message, templates[_i].message) == 0, "case %d: '%s'", _i,
			      err.message);
	} else {
		ck_assert_msg(rc == 0, "case %d: %s", _i, err.message);
		if (!templates[_i].keys)
			ck_assert_msg(keys == NULL, "case %d: expected the default", _i);
		else {
			char *got = keys ? json_dumps(keys, JSON_COMPACT) : NULL;
			ck_assert_msg(got && strcmp(got, templates[_i].keys) == 0,
				      "case %d: keys %s", _i, got ? got : "(default)");
			free(got);
		}
	}
	json_decref(org);
	json_decref(repo);
}
END_TEST

START_TEST(github_sub_render)
{
	json_t *c = parse("{\"repository\": \"o/r\", \"repository_owner\": \"o\", \"event_name\": "
			  "\"push\", \"ref\": \"refs/heads/main\", \"head_ref\": \"\", "
			  "\"workflow\": \"Deploy: prod\", \"repository_owner_id\": \"1\", "
			  "\"repository_id\": \"2\"}");
	json_t *keys = parse("[\"workflow\", \"head_ref\", \"repo\", \"context\"]");
	json_t *env_keys = parse("[\"repo\", \"environment_node_id\"]");
	json_t *prop_keys = parse("[\"repo_property_team\"]");
	struct tl_claims_refusal refusal;
	struct tl_error err;
	char *sub;

	ck_assert_int_eq(tl_claims_github_sub(c, false, NULL, &sub, &refusal, NULL), 0);
	ck_assert_str_eq(sub, "repo:o/r:ref:refs/heads/main");
	free(sub);
	ck_assert_int_eq(tl_claims_github_sub(c, true, keys, &sub, &refusal, NULL), 0);
	/* An empty value renders as "key:" (§1.7: [UNK], the mock's choice). */
	ck_assert_str_eq(sub, "workflow:Deploy%3A prod:head_ref::repo:o@1/r@2:ref:refs/heads/main");
	free(sub);
	ck_assert_int_eq(tl_claims_github_sub(c, false, env_keys, &sub, &refusal, NULL), 1);
	ck_assert_ptr_null(sub);
	ck_assert_str_eq(refusal.reason,
			 "the sub template names 'environment_node_id', so an environment is "
			 "required and must be provided; the job has none (reference §1.7)");
	ck_assert_int_eq(tl_claims_github_sub(c, false, prop_keys, &sub, &refusal, NULL), 1);
	ck_assert_str_eq(refusal.reason, "the sub template names 'repo_property_team', which this "
					 "job's token does not carry (reference §1.7)");
	json_decref(keys);
	keys = parse("[1]");
	tl_error_clear(&err);
	ck_assert_int_eq(tl_claims_github_sub(c, false, keys, &sub, &refusal, &err), -1);
	ck_assert_str_eq(err.message, "template keys must be strings");
	json_decref(c);
	json_decref(keys);
	json_decref(env_keys);
	json_decref(prop_keys);
}
END_TEST

/* --- GitLab sub builder ---------------------------------------------- */

START_TEST(gitlab_sub)
{
	json_t *c = parse("{\"project_path\": \"g/p\", \"project_id\": \"7\", \"ref_type\": "
			  "\"branch\", \"ref\": \"main\", \"ref_protected\": \"true\", "
			  "\"job_project_path\": \"parent/p\"}");
	json_t *comp = parse("[\"project_path\", \"ref\", \"ref_protected\", "
			     "\"deployment_tier\", \"job_project_path\", \"source_project_id\"]");
	json_t *bad = parse("[\"ref\"]");
	json_t *dup = parse("[\"project_path\", \"ref\", \"ref\"]");
	json_t *unknown = parse("[\"project_path\", \"user_login\"]");
	struct tl_error err;
	char *sub;

	ck_assert_int_eq(tl_claims_gitlab_sub(c, NULL, &sub, NULL), 0);
	ck_assert_str_eq(sub, "project_path:g/p:ref_type:branch:ref:main");
	free(sub);
	/* deployment_tier is skipped without an environment; source_project_* name the
	 * project_* claims. */
	ck_assert_int_eq(tl_claims_gitlab_sub(c, comp, &sub, NULL), 0);
	ck_assert_str_eq(sub, "project_path:g/p:ref:main:ref_protected:true:job_project_path:"
			      "parent/p:source_project_id:7");
	free(sub);
	tl_error_clear(&err);
	ck_assert_int_eq(tl_claims_gitlab_sub(c, bad, &sub, &err), -1);
	ck_assert_str_eq(err.path, "ci_id_token_sub_claim_components[0]");
	ck_assert_str_eq(err.message,
			 "the first component must be project_path, found 'ref' (reference §2.3)");
	ck_assert_int_eq(tl_claims_gitlab_sub(c, dup, &sub, &err), -1);
	ck_assert_str_eq(err.message, "component 'ref' appears twice");
	ck_assert_int_eq(tl_claims_gitlab_sub(c, unknown, &sub, &err), -1);
	ck_assert_str_eq(err.message, "unknown sub claim component 'user_login'");
	json_decref(c);
	json_decref(comp);
	json_decref(bad);
	json_decref(dup);
	json_decref(unknown);
}
END_TEST

/* --- bad contexts, exact messages ------------------------------------ */

static const struct {
	const char *profile, *context, *path, *message;
} bad[] = {
	{"github", "{}", "context.repository", "is required (OWNER/REPO)"},
	{"github", "{\"repository\": \"acme/app\", \"repo\": 1}", "context",
	 "unknown field 'repo' (expected one of: repository, repository_id, ..."},
	{"github", "{\"repository\": \"acme\"}", "context.repository",
	 "expected OWNER/REPO, found 'acme'"},
	{"github", "{\"repository\": \"-acme/app\"}", "context.repository",
	 "expected OWNER/REPO, found '-acme/app'"},
	{"github", "{\"repository\": \"acme/a/b\"}", "context.repository",
	 "expected OWNER/REPO, found 'acme/a/b'"},
	{"github", "{\"repository\": 7}", "context.repository",
	 "expected a string, found a number"},
	{"github", "{\"repository\": \"acme/app\", \"ref\": \"main\"}", "context.ref",
	 "expected a full ref (refs/heads/BRANCH or refs/tags/TAG), found 'main'"},
	{"github", "{\"repository\": \"acme/app\", \"ref\": \"refs/heads/a:b\"}", "context.ref",
	 "expected a full ref (refs/heads/BRANCH or refs/tags/TAG), found 'refs/heads/a:b'"},
	{"github", "{\"repository\": \"acme/app\", \"ref\": \"\"}", "context.ref",
	 "may be empty only for deployment events"},
	{"github",
	 "{\"repository\": \"acme/app\", \"event\": \"release\", \"ref\": "
	 "\"refs/heads/main\"}",
	 "context.ref", "a release job runs on a tag ref, found 'refs/heads/main'"},
	{"github",
	 "{\"repository\": \"acme/app\", \"event\": \"pull_request\", \"ref\": "
	 "\"refs/pull/3/merge\", \"pr_number\": 4}",
	 "context.pr_number", "4 does not match ref 'refs/pull/3/merge'"},
	{"github", "{\"repository\": \"acme/app\", \"pr_number\": 0}", "context.pr_number",
	 "0 is out of range (1 to 999999999)"},
	{"github", "{\"repository\": \"acme/app\", \"fork\": true}", "context.fork",
	 "applies only to pull request events"},
	{"github", "{\"repository\": \"acme/app\", \"repository_id\": \"12a\"}",
	 "context.repository_id", "expected a numeric id, found '12a'"},
	{"github", "{\"repository\": \"acme/app\", \"repository_id\": -1}", "context.repository_id",
	 "must not be negative"},
	{"github", "{\"repository\": \"acme/app\", \"repository_id\": 1.5}",
	 "context.repository_id", "expected an integer or a string of digits, found a number"},
	{"github", "{\"repository\": \"acme/app\", \"sha\": \"ABC\"}", "context.sha",
	 "expected 40 lower-case hex digits, found 'ABC'"},
	{"github", "{\"repository\": \"acme/app\", \"repository_visibility\": \"secret\"}",
	 "context.repository_visibility",
	 "unknown value 'secret' (expected one of: public, private, internal)"},
	{"github", "{\"repository\": \"acme/app\", \"environment\": \"\"}", "context.environment",
	 "must not be empty"},
	{"github", "{\"repository\": \"acme/app\", \"environment_node_id\": \"EN_x\"}",
	 "context.environment_node_id", "needs an environment"},
	{"github", "{\"repository\": \"acme/app\", \"environment_branches\": [\"main\"]}",
	 "context.environment_branches", "needs an environment"},
	{"github", "{\"repository\": \"acme/app\", \"permissions\": {\"idtoken\": \"write\"}}",
	 "context.permissions", "unknown permission 'idtoken'"},
	{"github", "{\"repository\": \"acme/app\", \"permissions\": \"all\"}",
	 "context.permissions", "expected read-all, write-all or an object, found 'all'"},
	{"github", "{\"repository\": \"acme/app\", \"job_workflow_ref\": \"o/r/x.yml\"}",
	 "context.job_workflow_ref",
	 "expected OWNER/REPO/PATH@REF (the called workflow), found 'o/r/x.yml'"},
	{"github", "{\"repository\": \"acme/app\", \"include_enterprise_slug\": true}",
	 "context.include_enterprise_slug", "needs an enterprise"},
	{"github", "{\"repository\": \"acme/app\", \"sub_template\": {\"repos\": {}}}",
	 "context.sub_template", "unknown field 'repos' (expected one of: org, repo)"},
	{"github",
	 "{\"repository\": \"acme/app\", \"event\": \"schedule\", \"ref\": "
	 "\"refs/heads/dev\"}",
	 "context.ref",
	 "a schedule job runs on the default branch (refs/heads/main), found 'refs/heads/dev' "
	 "(set default_branch instead)"},
	{"github", "{\"repository\": \"acme/app\", \"repo_properties\": {\"a\": 1}}",
	 "context.repo_properties",
	 "property 'a': expected a string, boolean or array, found a "
	 "number"},
	{"github-enterprise-server", "{\"repository\": \"acme/app\", \"hostname\": \"x/y\"}",
	 "context.hostname", "expected a host name, found 'x/y'"},
	{"github-enterprise-server", "{\"repository\": \"acme/app\", \"ghe_subdomain\": \"x\"}",
	 "context",
	 "unknown field 'ghe_subdomain' (expected one of: repository, repository_id, ..."},
	{"gitlab", "{}", "context.project_path", "is required (GROUP/PROJECT)"},
	{"gitlab", "{\"project_path\": \"a//b\"}", "context.project_path",
	 "expected GROUP[/SUBGROUP...]/PROJECT, found 'a//b'"},
	{"gitlab", "{\"project_path\": \"a/b\", \"ref_type\": \"commit\"}", "context.ref_type",
	 "unknown value 'commit' (expected one of: branch, tag)"},
	{"gitlab", "{\"project_path\": \"a/b\", \"deployment_tier\": \"production\"}",
	 "context.deployment_tier", "needs an environment"},
	{"gitlab", "{\"project_path\": \"a/b\", \"legacy_fork_semantics\": true}",
	 "context.legacy_fork_semantics", "needs fork_pipeline_in_parent"},
	{"gitlab", "{\"project_path\": \"a/b\", \"fork_pipeline_in_parent\": true}",
	 "context.fork_pipeline_in_parent", "needs fork_project_path"},
	{"gitlab",
	 "{\"project_path\": \"a/b\", \"pipeline_source\": \"merge_request_event\", "
	 "\"ref_type\": \"tag\"}",
	 "context.ref_type", "a merge request pipeline runs on its source branch"},
	{"gitlab", "{\"project_path\": \"a/b\", \"id_tokens\": []}", "context.id_tokens",
	 "expected an object of NAME: {aud: ...}, found an array"},
	{"gitlab", "{\"project_path\": \"a/b\", \"id_tokens\": {\"A\": {\"aud\": []}}}",
	 "context.id_tokens.A.aud", "expected a string or a non-empty array of strings"},
	{"gitlab", "{\"project_path\": \"a/b\", \"id_token\": \"A\"}", "context.id_token",
	 "needs id_tokens"},
	{"gitlab", "{\"project_path\": \"a/b\", \"job_timeout\": 0}", "context.job_timeout",
	 "0 is out of range (1 to 2592000)"},
	{"gitlab", "{\"project_path\": \"a/b\", \"ci_id_token_sub_claim_components\": []}",
	 "context.ci_id_token_sub_claim_components", "must not be empty"},
	{"gitlab",
	 "{\"project_path\": \"a/b\", \"pipeline_source\": \"merge_request_event\", "
	 "\"fork_project_path\": \"c/b\", \"ref_protected\": true}",
	 "context.ref_protected", "a fork's source branch is not protected in the parent"},
	{"buildkite", "{\"organization_slug\": \"a b\", \"pipeline_slug\": \"p\"}",
	 "context.organization_slug",
	 "expected a slug (letters, digits, '-', '_', '.'), found 'a b'"},
	{"buildkite",
	 "{\"organization_slug\": \"a\", \"pipeline_slug\": \"p\", \"claims\": "
	 "[\"queue\"]}",
	 "context.claims",
	 "item 0: expected one of organization_id, pipeline_id, cluster_id, cluster_name"},
	{"buildkite",
	 "{\"organization_slug\": \"a\", \"pipeline_slug\": \"p\", \"job_id\": "
	 "\"123\"}",
	 "context.job_id", "expected a UUID, found '123'"},
	{"circleci", "{\"vcs_ref\": \"main\"}", "context.vcs_ref",
	 "expected a full ref such as refs/heads/main, found 'main'"},
	{"circleci", "{\"token_version\": 3}", "context.token_version",
	 "3 is out of range (1 to 2)"},
	{"terraform-cloud",
	 "{\"organization\": \"o\", \"workspace\": \"w\", \"workspace_id\": "
	 "\"w-1\"}",
	 "context.workspace_id", "expected ws-XXXXXXXXXXXXXXXX, found 'w-1'"},
	{"kubernetes", "{\"service_account\": \"Bad_SA\"}", "context.service_account",
	 "expected a DNS subdomain name, found 'Bad_SA'"},
	{"kubernetes", "{\"service_account\": \"sa\", \"expiration_seconds\": 60}",
	 "context.expiration_seconds", "60 is out of range (600 to 4294967296)"},
	{"spacelift", "{\"run_type\": \"PROPOSED\", \"stage\": \"applying\"}", "context.stage",
	 "applies only to TRACKED runs"},
	{"spacelift", "{\"run_id\": \"0123456789012345678901234567890123456789\"}",
	 "context.run_id", "is longer than 39 bytes"},
	{"github",
	 "{\"repository\": \"acme/app\", \"environment\": \"e\", "
	 "\"environment_node_id\": "
	 "\"EN_0123456789012345678901234567890123456789012345678901234567890123456789012"
	 "345678901234567890123456789012345678901234567890123456789\"}",
	 "context.environment_node_id", "is longer than 127 bytes"},
};

START_TEST(bad_context)
{
	struct tl_claims_refusal refusal;
	struct tl_error err;
	json_t *claims;
	int rc = build_text(bad[_i].profile, bad[_i].context, "s", &claims, &refusal, &err);
	size_t len;

	ck_assert_msg(rc == -1, "case %d (%s %s): rc %d", _i, bad[_i].profile, bad[_i].context, rc);
	ck_assert_ptr_null(claims);
	ck_assert_msg(err.code == TL_ERR_INVALID, "case %d: code %s", _i,
		      tl_errcode_name(err.code));
	ck_assert_msg(strcmp(err.path, bad[_i].path) == 0, "case %d (%s): path '%s'", _i,
		      bad[_i].context, err.path);
	/* A message ending in "..." is compared up to there (tl_json_only_keys
	 * cuts its list of expected fields at a fixed size). */
	len = strlen(bad[_i].message);
	if (len > 3 && strcmp(bad[_i].message + len - 3, "...") == 0)
		len -= 3;
	else
		len = strlen(err.message) + 1;
	ck_assert_msg(strncmp(err.message, bad[_i].message, len) == 0, "case %d (%s): message '%s'",
		      _i, bad[_i].context, err.message);
}
END_TEST

START_TEST(bad_arguments)
{
	const struct tl_claims_profile *p = tl_claims_profile_find("spacelift");
	struct tl_claims_options opt = {0};
	struct tl_error err;
	json_t *claims = (json_t *)1, *arr = json_array();

	tl_error_clear(&err);
	ck_assert_int_eq(tl_claims_build(p, NULL, &opt, &claims, NULL, &err), -1);
	ck_assert_str_eq(err.message, "claims: options need a random generator");
	ck_assert_ptr_null(claims);
	ck_assert_int_eq(tl_claims_build(NULL, NULL, &opt, &claims, NULL, &err), -1);
	{
		struct tl_rng rng;
		tl_rng_init_secure(&rng);
		opt.rng = &rng;
		ck_assert_int_eq(tl_claims_build(p, arr, &opt, &claims, NULL, &err), -1);
		ck_assert_str_eq(err.path, "context");
		ck_assert_str_eq(err.message, "expected an object, found an array");
		/* A secure generator and no context: a complete random token. */
		ck_assert_int_eq(tl_claims_build(p, NULL, &opt, &claims, NULL, &err), 0);
		ck_assert(json_is_string(json_object_get(claims, "runId")));
		json_decref(claims);
		tl_rng_finish(&rng);
	}
	json_decref(arr);
}
END_TEST

/* --- determinism ----------------------------------------------------- */

START_TEST(defaults_independent)
{
	/* Giving one field must not shift the defaults of the others. */
	struct tl_claims_refusal refusal;
	struct tl_error err;
	json_t *a, *b, *c;

	ck_assert_int_eq(
		build_text("github", "{\"repository\": \"acme/app\"}", "x", &a, &refusal, &err), 0);
	ck_assert_int_eq(build_text("github",
				    "{\"repository\": \"acme/app\", \"repository_id\": \"5\", "
				    "\"environment\": \"e\"}",
				    "x", &b, &refusal, &err),
			 0);
	ck_assert_int_eq(
		build_text("github", "{\"repository\": \"acme/app\"}", "y", &c, &refusal, &err), 0);
	ck_assert(json_equal(json_object_get(a, "run_id"), json_object_get(b, "run_id")));
	ck_assert(json_equal(json_object_get(a, "sha"), json_object_get(b, "sha")));
	ck_assert(json_equal(json_object_get(a, "jti"), json_object_get(b, "jti")));
	ck_assert(!json_equal(json_object_get(a, "jti"), json_object_get(c, "jti")));
	ck_assert(!json_equal(json_object_get(a, "sha"), json_object_get(c, "sha")));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}
END_TEST

/* --- allocation failure ---------------------------------------------- */

static long alloc_budget = -1;

static void *
failing_malloc(size_t n)
{
	if (alloc_budget == 0)
		return NULL;
	if (alloc_budget > 0)
		alloc_budget--;
	return malloc(n);
}

START_TEST(alloc_failure)
{
	/* Every jansson allocation in turn fails; builds must fail cleanly
	 * (ASan and valgrind check for leaks) and finally succeed. */
	static const char *const cases[][2] = {
		{"github",
		 "{\"repository\": \"acme/app\", \"environment\": \"e\", \"enterprise\": "
		 "\"x\", \"repo_properties\": {\"a\": \"b\"}, \"sub_template\": {\"repo\": "
		 "{\"use_default\": false, \"include_claim_keys\": [\"repo\", "
		 "\"context\"]}}}"},
		{"gitlab", "{\"project_path\": \"a/b\", \"environment\": \"e\", \"groups_direct\": "
			   "[\"g\"], \"id_tokens\": {\"A\": {\"aud\": [\"x\"]}}}"},
		{"kubernetes", "{\"service_account\": \"sa\"}"},
		{"buildkite", "{\"organization_slug\": \"a\", \"pipeline_slug\": \"b\", "
			      "\"aws_session_tags\": [\"pipeline_slug\"], \"step_key\": \"s\"}"},
		{"circleci", "{}"},
		{"terraform-cloud", "{\"organization\": \"o\", \"workspace\": \"w\"}"},
		{"bitbucket", "{}"},
		{"spacelift", "{}"},
	};
	const struct tl_claims_profile *p = tl_claims_profile_find(cases[_i][0]);
	json_t *ctx = parse(cases[_i][1]);
	bool done = false;

	for (long budget = 0; budget < 5000 && !done; budget++) {
		struct tl_claims_options opt = {0};
		struct tl_claims_refusal refusal;
		struct tl_error err;
		struct tl_rng rng;
		json_t *claims = NULL;
		int rc;

		tl_rng_init_seeded(&rng, "chaos");
		opt.rng = &rng;
		opt.now = 1;
		tl_error_clear(&err);
		json_set_alloc_funcs(failing_malloc, free);
		alloc_budget = budget;
		rc = tl_claims_build(p, ctx, &opt, &claims, &refusal, &err);
		alloc_budget = -1;
		json_set_alloc_funcs(malloc, free);
		if (rc == 0) {
			done = true;
			json_decref(claims);
		} else {
			ck_assert_msg(rc == -1 && err.code == TL_ERR_NOMEM && !claims,
				      "%s budget %ld: rc %d, %s", cases[_i][0], budget, rc,
				      err.message);
		}
		tl_rng_finish(&rng);
	}
	ck_assert_msg(done, "%s never succeeded", cases[_i][0]);
	json_decref(ctx);
}
END_TEST

/* --- docs/providers.md stays true to the code ------------------------ */

START_TEST(docs_vocabulary)
{
	const struct tl_claims_profile *p = tl_claims_profiles()[_i];
	char path[512], heading[160], *doc = NULL, *section, *end;
	size_t len;
	struct tl_error err;

	snprintf(path, sizeof(path), "%s/docs/providers.md", TL_SOURCE_ROOT);
	ck_assert_msg(tl_file_read(path, 1 << 20, &doc, &len, &err) == 0, "%s: %s", path,
		      err.message);
	snprintf(heading, sizeof(heading), "\n## `%s`", p->name);
	section = strstr(doc, heading);
	ck_assert_msg(section, "docs/providers.md has no section '## `%s`'", p->name);
	end = strstr(section + 1, "\n## ");
	if (end)
		*end = '\0';
	for (size_t i = 0; p->context_fields[i]; i++) {
		char field[128];
		snprintf(field, sizeof(field), "| `%s` |", p->context_fields[i]);
		ck_assert_msg(strstr(section, field), "docs/providers.md: %s lacks a row for %s",
			      p->name, p->context_fields[i]);
	}
	free(doc);
}
END_TEST

/* Provider URL (the condition-key prefix) -> profile, reference/sts.md §3.8-3.9. */
START_TEST(profile_for_provider)
{
	static const struct {
		const char *url, *profile;
	} cases[] = {
		{"token.actions.githubusercontent.com", "github"},
		{"token.actions.githubusercontent.com/acme", "github"},
		{"token.actions.octo.ghe.com", "github"},
		{"github.com/enterprises/acme", "github"},
		{"gitlab.com", "gitlab"},
		{"agent.buildkite.com", "buildkite"},
		{"agent.eu.buildkite.dev", "buildkite"},
		{"oidc.circleci.com/org/6f1f3c1e", "circleci"},
		{"app.terraform.io", "terraform-cloud"},
		{"oidc.eks.us-west-2.amazonaws.com/id/ABC", "kubernetes"},
		{"api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc",
		 "bitbucket"},
		{"acme.app.spacelift.io", "spacelift"},
		{"gitlab.example.com", NULL},
		{"token.actions.githubusercontent.com.evil.com", NULL},
		{"gitlab.com.evil", NULL},
		{"accounts.google.com", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tl_claims_profile *p = tl_claims_profile_for_provider(cases[i].url);
		if (!cases[i].profile)
			ck_assert_msg(p == NULL, "case %s: found %s", cases[i].url,
				      p ? p->name : "");
		else
			ck_assert_msg(p && strcmp(p->name, cases[i].profile) == 0,
				      "case %s: found %s, want %s", cases[i].url,
				      p ? p->name : "none", cases[i].profile);
	}
}
END_TEST

static void
collect(void *ctx, const char *key, const char *value)
{
	json_t *o = ctx, *a = json_object_get(o, key);
	if (!a) {
		a = json_array();
		json_object_set_new(o, key, a);
	}
	json_array_append_new(a, json_string(value));
}

/* The keys mock-sts and explain --token build (reference/sts.md §3.9). */
START_TEST(aws_keys)
{
	json_t *claims = json_pack("{s:s, s:[s,s], s:s, s:s, s:i, s:{}, s:s}", "sub",
				   "repo:acme/app:ref:refs/heads/main", "aud", "a", "b",
				   "repository", "acme/app", "repository_owner", "acme",
				   "run_number", 7, "nested", "azp", "a");
	json_t *got = json_object(), *want;

	tl_claims_aws_keys("token.actions.githubusercontent.com", claims, collect, got);
	want = json_pack(
		"{s:[s,s], s:[s], s:[s], s:[s]}", "token.actions.githubusercontent.com:aud", "a",
		"b", "token.actions.githubusercontent.com:azp", "a",
		"token.actions.githubusercontent.com:sub", "repo:acme/app:ref:refs/heads/main",
		"token.actions.githubusercontent.com:repository", "acme/app");
	ck_assert_msg(json_equal(got, want), "github keys: %s", json_dumps(got, JSON_COMPACT));
	json_decref(got);
	json_decref(want);

	/* Google: :aud is azp when present, :oaud the aud. */
	got = json_object();
	tl_claims_aws_keys("accounts.google.com", claims, collect, got);
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(got, "accounts.google.com:aud"), 0)),
			 "a");
	ck_assert_int_eq(json_array_size(json_object_get(got, "accounts.google.com:oaud")), 2);
	ck_assert_ptr_null(json_object_get(got, "accounts.google.com:repository"));
	json_decref(got);
	json_decref(claims);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("claims");
	TCase *tc;
	int n_profiles = 0;

	while (tl_claims_profiles()[n_profiles])
		n_profiles++;

	tc = tcase_create("registry");
	tcase_add_test(tc, registry_find);
	tcase_add_test(tc, profile_for_provider);
	tcase_add_test(tc, aws_keys);
	tcase_add_loop_test(tc, registry_fields, 0, n_profiles);
	tcase_add_test(tc, registry_timing_and_header);
	tcase_add_loop_test(tc, claims_supported_complete, 0,
			    (int)(sizeof(minimal) / sizeof(minimal[0])));
	tcase_add_test(tc, github_ids_are_strings);
	tcase_add_loop_test(tc, docs_vocabulary, 0, n_profiles);
	suite_add_tcase(s, tc);

	tc = tcase_create("sub");
	tcase_add_loop_test(tc, github_escape, 0, (int)(sizeof(escapes) / sizeof(escapes[0])));
	tcase_add_test(tc, github_prefix);
	tcase_add_loop_test(tc, github_context_precedence, 0,
			    (int)(sizeof(contexts) / sizeof(contexts[0])));
	tcase_add_loop_test(tc, github_template, 0,
			    (int)(sizeof(templates) / sizeof(templates[0])));
	tcase_add_test(tc, github_sub_render);
	tcase_add_test(tc, gitlab_sub);
	suite_add_tcase(s, tc);

	tc = tcase_create("context");
	tcase_add_loop_test(tc, bad_context, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, defaults_independent);
	tcase_add_loop_test(tc, alloc_failure, 0, 8);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
