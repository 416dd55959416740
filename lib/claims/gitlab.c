/* SPDX-License-Identifier: MIT */
/*
 * GitLab CI `id_tokens` (reference/issuer.md §2): ids as strings,
 * runner_id an integer, nbf = iat - 5, exp = iat + job timeout, `sub`
 * from `ci_id_token_sub_claim_components` (§2.3) and the fork merge
 * request identities of §2.4.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "claims/claims-private.h"
#include "json/json.h"

static const char *const sub_components[] = {
	"project_path",
	"ref_type",
	"ref",
	"ref_protected",
	"environment_protected",
	"deployment_tier",
	"job_project_path",
	"job_project_id",
	"source_project_path",
	"source_project_id",
	NULL,
};

static int
check_components(const json_t *components, const char *path, struct tl_error *err)
{
	char at[TL_ERROR_PATH_MAX];
	size_t i;
	json_t *item;

	if (!json_is_array(components))
		return tl_error_set_at(err, TL_ERR_INVALID, path, "expected an array, found %s",
				       tl_json_type_name(components));
	if (json_array_size(components) == 0)
		return tl_error_set_at(err, TL_ERR_INVALID, path, "must not be empty");
	json_array_foreach(components, i, item)
	{
		const char *k = json_string_value(item);
		bool known = false;

		snprintf(at, sizeof(at), "%s[%zu]", path, i);
		if (!k)
			return tl_error_set_at(err, TL_ERR_INVALID, at,
					       "expected a string, found %s",
					       tl_json_type_name(item));
		for (const char *const *c = sub_components; *c && !known; c++)
			known = strcmp(*c, k) == 0;
		if (!known)
			return tl_error_set_at(err, TL_ERR_INVALID, at,
					       "unknown sub claim component '%s'", k);
		if (i == 0 && strcmp(k, "project_path") != 0)
			return tl_error_set_at(
				err, TL_ERR_INVALID, at,
				"the first component must be project_path, found '%s' "
				"(reference §2.3)",
				k);
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_string_value(json_array_get(components, j)), k) == 0)
				return tl_error_set_at(err, TL_ERR_INVALID, at,
						       "component '%s' appears twice", k);
	}
	return 0;
}

int
tl_claims_gitlab_sub(const json_t *claims, const json_t *components, char **sub,
		     struct tl_error *err)
{
	static const char *const defaults[] = {"project_path", "ref_type", "ref"};
	size_t n = components ? json_array_size(components) : 3;
	struct tl_buf b;
	bool first = true;
	int rc = -1;

	*sub = NULL;
	if (components && check_components(components, "ci_id_token_sub_claim_components", err) < 0)
		return -1;
	tl_buf_init(&b, 8192);
	for (size_t i = 0; i < n; i++) {
		const char *k =
			components ? json_string_value(json_array_get(components, i)) : defaults[i];
		const char *claim = strcmp(k, "source_project_path") == 0 ? "project_path"
				    : strcmp(k, "source_project_id") == 0 ? "project_id"
									  : k;
		const json_t *v = json_object_get(claims, claim);

		if (!v &&
		    (strcmp(k, "environment_protected") == 0 || strcmp(k, "deployment_tier") == 0))
			continue; /* they apply when the job has an environment (§2.3) */
		if (!json_is_string(v)) {
			tl_error_set(err, TL_ERR_INVALID,
				     "sub component '%s' needs a string claim '%s'", k, claim);
			goto out;
		}
		if ((!first && tl_buf_putc(&b, ':', err) < 0) ||
		    tl_buf_printf(&b, err, "%s:%s", k, json_string_value(v)) < 0)
			goto out;
		first = false;
	}
	*sub = tl_buf_steal(&b, NULL);
	if (!*sub) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	tl_buf_finish(&b);
	return rc;
}

static const char *const pipeline_sources[] = {
	"api",
	"chat",
	"external",
	"external_pull_request_event",
	"merge_request_event",
	"ondemand_dast_scan",
	"ondemand_dast_validation",
	"parent_pipeline",
	"pipeline",
	"push",
	"schedule",
	"security_orchestration_policy",
	"trigger",
	"web",
	"webide",
	NULL,
};
static const char *const ref_types[] = {"branch", "tag", NULL};
static const char *const visibilities[] = {"public", "internal", "private", NULL};
static const char *const access_levels[] = {"guest",	  "planner", "reporter", "developer",
					    "maintainer", "owner",   NULL};
static const char *const tiers[] = {"production",  "staging", "testing",
				    "development", "other",   NULL};
static const char *const actions[] = {"start", "prepare", "stop", "verify", "access", NULL};
static const char *const runner_environments[] = {"gitlab-hosted", "self-hosted", NULL};

static const char *const gitlab_fields[] = {
	"project_path",
	"project_id",
	"namespace_id",
	"project_visibility",
	"default_branch",
	"ref",
	"ref_type",
	"ref_protected",
	"sha",
	"pipeline_source",
	"pipeline_id",
	"job_id",
	"job_timeout",
	"user_id",
	"user_login",
	"user_email",
	"user_access_level",
	"user_identities",
	"groups_direct",
	"environment",
	"environment_protected",
	"deployment_tier",
	"environment_action",
	"runner_id",
	"runner_environment",
	"ci_config_ref_uri",
	"ci_config_external",
	"id_tokens",
	"id_token",
	"fork_project_path",
	"fork_project_id",
	"fork_namespace_id",
	"fork_pipeline_in_parent",
	"legacy_fork_semantics",
	"ci_id_token_sub_claim_components",
	"reclaimed_path",
	NULL,
};

static bool
valid_project_path(const char *s)
{
	size_t n = strlen(s);

	if (n < 3 || s[0] == '/' || s[n - 1] == '/' || strstr(s, "//") || !strchr(s, '/'))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") == n;
}

/* GitLab guesses a tier from the environment's name when none is set. */
static const char *
guess_tier(const char *env)
{
	static const struct {
		const char *tier;
		const char *words[10];
	} rules[] = {
		{"development", {"dev", "review", "trunk", NULL}},
		{"testing",
		 {"test", "tst", "int", "acpt", "accept", "qa", "qc", "control", "quality", NULL}},
		{"staging", {"stag", "stg", "model", "modl", "pre", "demo", "non", NULL}},
		{"production", {"prod", "prd", "live", NULL}},
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		for (size_t w = 0; rules[i].words[w]; w++)
			if (strcasestr(env, rules[i].words[w]))
				return rules[i].tier;
	return "other";
}

/* The aud from the job's id_tokens; 1 refused, -1 error. */
static int
id_tokens_audience(struct ctx *c, const json_t **aud, struct tl_claims_refusal *refusal)
{
	const json_t *tokens = tl_claims_ctx_get(c, "id_tokens");
	const char *name, *chosen = NULL;
	const json_t *decl, *v;

	*aud = NULL;
	if (tl_claims_ctx_name(c, "id_token", NULL, &chosen) < 0)
		return -1;
	if (!tokens) {
		if (chosen)
			return tl_claims_ctx_bad(c, "id_token", "needs id_tokens");
		return 0;
	}
	if (!json_is_object(tokens))
		return tl_claims_ctx_bad(c, "id_tokens",
					 "expected an object of NAME: {aud: ...}, found %s",
					 tl_json_type_name(tokens));
	if (json_object_size(tokens) == 0)
		return tl_claims_refuse(
			refusal, "the job declares no id_tokens, so GitLab puts no ID token in "
				 "its variables (reference §2.1)");
	json_object_foreach((json_t *)tokens, name, decl)
	{
		static const char *const fields[] = {"aud", NULL};
		char at[160];
		struct tl_jpath jp;

		snprintf(at, sizeof(at), "context.id_tokens");
		tl_jpath_init(&jp, at);
		tl_jpath_push_key(&jp, name);
		if (tl_json_expect(decl, JSON_OBJECT, &jp, c->err) < 0 ||
		    tl_json_only_keys(decl, fields, &jp, c->err) < 0)
			return -1;
		v = json_object_get(decl, "aud");
		tl_jpath_push_key(&jp, "aud");
		if (!v)
			return tl_error_set_at(c->err, TL_ERR_INVALID, tl_jpath_str(&jp),
					       "is required");
		if (!(json_is_string(v) && *json_string_value(v)) &&
		    !(json_is_array(v) && json_array_size(v) > 0))
			return tl_error_set_at(c->err, TL_ERR_INVALID, tl_jpath_str(&jp),
					       "expected a string or a non-empty array of strings");
		if (json_is_array(v)) {
			size_t i;
			json_t *item;
			json_array_foreach(v, i, item)
			{
				if (!json_is_string(item) || !*json_string_value(item))
					return tl_error_set_at(
						c->err, TL_ERR_INVALID, tl_jpath_str(&jp),
						"item %zu: expected a non-empty string", i);
			}
		}
	}
	if (!chosen && json_object_size(tokens) > 1)
		return tl_claims_ctx_bad(c, "id_token",
					 "the job declares %zu id_tokens; name the one to mint",
					 json_object_size(tokens));
	if (chosen) {
		decl = json_object_get(tokens, chosen);
		if (!decl)
			return tl_claims_ctx_bad(c, "id_token",
						 "'%s' is not one of the job's id_tokens", chosen);
	} else {
		void *it = json_object_iter((json_t *)tokens);
		decl = json_object_iter_value(it);
	}
	*aud = json_object_get(decl, "aud");
	return 0;
}

static int
gitlab_build(const struct tl_claims_profile *p, const json_t *context,
	     const struct tl_claims_options *opt, json_t **claims_out,
	     struct tl_claims_refusal *refusal, struct tl_error *err)
{
	struct ctx cx, *c = &cx;
	struct claims_out o = {json_object(), false};
	char project_id[CTX_ID_MAX], namespace_id[CTX_ID_MAX], fork_project_id[CTX_ID_MAX],
		fork_namespace_id[CTX_ID_MAX], user_id[CTX_ID_MAX], pipeline_id[CTX_ID_MAX],
		job_id[CTX_ID_MAX], sha[41], jti[TL_UUID_LEN];
	char issuer[512], host[512], ref_path[1024], namespace_path[512], job_namespace_path[512],
		config_uri[2048], email[512];
	const char *project_path, *visibility, *default_branch, *ref, *ref_type, *source, *login,
		*email_given, *access, *environment, *tier, *action, *runner_env, *fork_path,
		*config_given;
	const char *claim_project_path, *claim_project_id, *claim_namespace_id;
	const json_t *components, *id_aud = NULL, *v;
	json_t *aud = NULL, *result = NULL;
	struct tl_claims_options aud_opt;
	int64_t runner_id, timeout;
	bool protected_ref, protected_given, env_protected, config_external, fork_in_parent, legacy,
		reclaimed, job_project_claims = true;
	char *sub = NULL;
	int rc = -1;

	if (tl_claims_ctx_init(c, context, gitlab_fields, opt->rng, err) < 0)
		goto out;
	if (!tl_claims_ctx_get(c, "project_path")) {
		tl_claims_ctx_bad(c, "project_path", "is required (GROUP/PROJECT)");
		goto out;
	}
	if (tl_claims_ctx_string(c, "project_path", NULL, &project_path) < 0)
		goto out;
	if (!valid_project_path(project_path)) {
		tl_claims_ctx_bad(c, "project_path",
				  "expected GROUP[/SUBGROUP...]/PROJECT, found '%s'", project_path);
		goto out;
	}
	if (tl_claims_ctx_id(c, "project_id", 8, project_id) < 0 ||
	    tl_claims_ctx_id(c, "namespace_id", 8, namespace_id) < 0 ||
	    tl_claims_ctx_enum(c, "project_visibility", visibilities, "private", &visibility) < 0 ||
	    tl_claims_ctx_name(c, "default_branch", "main", &default_branch) < 0 ||
	    tl_claims_ctx_enum(c, "pipeline_source", pipeline_sources, "push", &source) < 0 ||
	    tl_claims_ctx_enum(c, "ref_type", ref_types, "branch", &ref_type) < 0 ||
	    tl_claims_ctx_name(c, "ref", NULL, &ref) < 0 ||
	    tl_claims_ctx_hex(c, "sha", 40, sha) < 0 ||
	    tl_claims_ctx_id(c, "pipeline_id", 10, pipeline_id) < 0 ||
	    tl_claims_ctx_id(c, "job_id", 10, job_id) < 0 ||
	    tl_claims_ctx_int(c, "job_timeout", 300, 1, 30 * 86400, &timeout) < 0 ||
	    tl_claims_ctx_id(c, "user_id", 7, user_id) < 0 ||
	    tl_claims_ctx_name(c, "user_login", "gitlab-user", &login) < 0 ||
	    tl_claims_ctx_name(c, "user_email", NULL, &email_given) < 0 ||
	    tl_claims_ctx_enum(c, "user_access_level", access_levels, "developer", &access) < 0 ||
	    tl_claims_ctx_name(c, "environment", NULL, &environment) < 0 ||
	    tl_claims_ctx_bool(c, "environment_protected", false, &env_protected) < 0 ||
	    tl_claims_ctx_enum(c, "deployment_tier", tiers, NULL, &tier) < 0 ||
	    tl_claims_ctx_enum(c, "environment_action", actions, "start", &action) < 0 ||
	    tl_claims_ctx_int(c, "runner_id", 0, 1, INT64_MAX, &runner_id) < 0 ||
	    tl_claims_ctx_enum(c, "runner_environment", runner_environments, "gitlab-hosted",
			       &runner_env) < 0 ||
	    tl_claims_ctx_name(c, "ci_config_ref_uri", NULL, &config_given) < 0 ||
	    tl_claims_ctx_bool(c, "ci_config_external", false, &config_external) < 0 ||
	    tl_claims_ctx_name(c, "fork_project_path", NULL, &fork_path) < 0 ||
	    tl_claims_ctx_id(c, "fork_project_id", 8, fork_project_id) < 0 ||
	    tl_claims_ctx_id(c, "fork_namespace_id", 8, fork_namespace_id) < 0 ||
	    tl_claims_ctx_bool(c, "fork_pipeline_in_parent", false, &fork_in_parent) < 0 ||
	    tl_claims_ctx_bool(c, "legacy_fork_semantics", false, &legacy) < 0 ||
	    tl_claims_ctx_bool(c, "reclaimed_path", false, &reclaimed) < 0)
		goto out;
	protected_given = tl_claims_ctx_get(c, "ref_protected") != NULL;
	if (tl_claims_ctx_bool(c, "ref_protected", false, &protected_ref) < 0)
		goto out;
	if (!tl_claims_ctx_get(c, "runner_id")) {
		char digits[8];
		if (tl_claims_ctx_random(c, "runner_id", "123456789", digits, 6) < 0)
			goto out;
		runner_id = strtoll(digits, NULL, 10);
	}

	/* Refs are short names here (§2.2). */
	if (ref &&
	    (strncmp(ref, "refs/", 5) == 0 || strpbrk(ref, " ~^:?*[\\") || strstr(ref, ".."))) {
		tl_claims_ctx_bad(c, "ref", "expected a short %s name such as 'main', found '%s'",
				  ref_type, ref);
		goto out;
	}
	if (strcmp(source, "merge_request_event") == 0) {
		if (strcmp(ref_type, "branch") != 0) {
			tl_claims_ctx_bad(c, "ref_type",
					  "a merge request pipeline runs on its source branch");
			goto out;
		}
		if (!ref)
			ref = "feature-branch";
	}
	if (!ref)
		ref = strcmp(ref_type, "tag") == 0 ? "v1.0.0" : default_branch;
	if (fork_path) {
		if (strcmp(source, "merge_request_event") != 0) {
			tl_claims_ctx_bad(
				c, "fork_project_path",
				"a fork's pipeline reaches the parent only as a merge request "
				"pipeline (pipeline_source merge_request_event)");
			goto out;
		}
		if (!valid_project_path(fork_path) || strcmp(fork_path, project_path) == 0) {
			tl_claims_ctx_bad(c, "fork_project_path",
					  "expected the fork's GROUP/PROJECT, found '%s'",
					  fork_path);
			goto out;
		}
	} else if (fork_in_parent || tl_claims_ctx_get(c, "fork_project_id") ||
		   tl_claims_ctx_get(c, "fork_namespace_id")) {
		tl_claims_ctx_bad(c,
				  fork_in_parent ? "fork_pipeline_in_parent"
				  : tl_claims_ctx_get(c, "fork_project_id") ? "fork_project_id"
									    : "fork_namespace_id",
				  "needs fork_project_path");
		goto out;
	}
	if (legacy && !fork_in_parent) {
		tl_claims_ctx_bad(c, "legacy_fork_semantics", "needs fork_pipeline_in_parent");
		goto out;
	}
	if (!environment) {
		static const char *const env_fields[] = {"environment_protected", "deployment_tier",
							 "environment_action", NULL};
		for (const char *const *f = env_fields; *f; f++)
			if (tl_claims_ctx_get(c, *f)) {
				tl_claims_ctx_bad(c, *f, "needs an environment");
				goto out;
			}
	} else if (!tier)
		tier = guess_tier(environment);

	if (reclaimed) {
		rc = tl_claims_refuse(refusal,
				      "ID token issuance is disabled for projects at reclaimed "
				      "paths (reference §2.3)");
		goto out;
	}
	if ((rc = id_tokens_audience(c, &id_aud, refusal)) != 0)
		goto out;
	rc = -1;

	/* Whose identity (§2.4): the source project in fork MR pipelines,
	 * except the legacy (before 18.2.2) parent-run semantics. */
	claim_project_path = project_path;
	claim_project_id = project_id;
	claim_namespace_id = namespace_id;
	if (fork_path && !(fork_in_parent && legacy)) {
		claim_project_path = fork_path;
		claim_project_id = fork_project_id;
		claim_namespace_id = fork_namespace_id;
	}
	if (fork_in_parent && legacy)
		job_project_claims = false; /* job_project_* arrived in 18.4 */
	if (!protected_given)
		protected_ref = !fork_path && strcmp(ref_type, "branch") == 0 &&
				strcmp(ref, default_branch) == 0;
	else if (protected_ref && fork_path && !(fork_in_parent && legacy)) {
		tl_claims_ctx_bad(c, "ref_protected",
				  "a fork's source branch is not protected in the parent");
		goto out;
	}

	/* Issuer and the host part used by ci_config_ref_uri. */
	if (tl_claims_fmt(issuer, sizeof(issuer), err, "%s",
			  opt->issuer ? opt->issuer : p->issuer) < 0)
		goto out;
	{
		const char *h = strstr(issuer, "://");
		h = h ? h + 3 : issuer;
		snprintf(host, sizeof(host), "%.*s", (int)strcspn(h, "/"), h);
	}
	if (tl_claims_fmt(ref_path, sizeof(ref_path), err, "refs/%s/%s",
			  strcmp(ref_type, "tag") == 0 ? "tags" : "heads", ref) < 0 ||
	    tl_claims_fmt(namespace_path, sizeof(namespace_path), err, "%.*s",
			  (int)(strrchr(claim_project_path, '/') - claim_project_path),
			  claim_project_path) < 0 ||
	    tl_claims_fmt(job_namespace_path, sizeof(job_namespace_path), err, "%.*s",
			  (int)(strrchr(project_path, '/') - project_path), project_path) < 0)
		goto out;
	if (config_given) {
		if (tl_claims_ctx_copy(c, "ci_config_ref_uri", config_given, config_uri,
				       sizeof(config_uri)) < 0)
			goto out;
	} else if (tl_claims_fmt(config_uri, sizeof(config_uri), err, "%s/%s//.gitlab-ci.yml@%s",
				 host, claim_project_path, ref_path) < 0)
		goto out;
	if (email_given) {
		if (tl_claims_ctx_copy(c, "user_email", email_given, email, sizeof(email)) < 0)
			goto out;
	} else if (tl_claims_fmt(email, sizeof(email), err, "%s@example.com", login) < 0)
		goto out;

	tl_claims_out_str(&o, "namespace_id", claim_namespace_id);
	tl_claims_out_str(&o, "namespace_path", namespace_path);
	tl_claims_out_str(&o, "project_id", claim_project_id);
	tl_claims_out_str(&o, "project_path", claim_project_path);
	if (job_project_claims) {
		/* The project that runs the job: the fork, unless run in the parent. */
		bool in_fork = fork_path && !fork_in_parent;
		tl_claims_out_str(&o, "job_project_id", in_fork ? fork_project_id : project_id);
		tl_claims_out_str(&o, "job_project_path", in_fork ? fork_path : project_path);
		tl_claims_out_str(&o, "job_namespace_id",
				  in_fork ? fork_namespace_id : namespace_id);
		tl_claims_out_str(&o, "job_namespace_path",
				  in_fork ? namespace_path : job_namespace_path);
	}
	tl_claims_out_str(&o, "user_id", user_id);
	tl_claims_out_str(&o, "user_login", login);
	tl_claims_out_str(&o, "user_email", email);
	tl_claims_out_str(&o, "user_access_level", access);
	if ((v = tl_claims_ctx_get(c, "user_identities"))) {
		size_t i;
		json_t *item;
		if (!json_is_array(v)) {
			tl_claims_ctx_bad(c, "user_identities",
					  "expected an array of {provider, extern_uid}");
			goto out;
		}
		json_array_foreach(v, i, item)
		{
			if (!json_is_object(item) || json_object_size(item) != 2 ||
			    !json_is_string(json_object_get(item, "provider")) ||
			    !json_is_string(json_object_get(item, "extern_uid"))) {
				tl_claims_ctx_bad(
					c, "user_identities",
					"item %zu: expected {provider: string, extern_uid: string}",
					i);
				goto out;
			}
		}
		tl_claims_out_json(&o, "user_identities", json_deep_copy(v));
	}
	tl_claims_out_str(&o, "pipeline_id", pipeline_id);
	tl_claims_out_str(&o, "pipeline_source", source);
	tl_claims_out_str(&o, "job_id", job_id);
	tl_claims_out_str(&o, "ref", ref);
	tl_claims_out_str(&o, "ref_type", ref_type);
	tl_claims_out_str(&o, "ref_path", ref_path);
	tl_claims_out_bool_str(&o, "ref_protected", protected_ref);
	if ((v = tl_claims_ctx_get(c, "groups_direct"))) {
		size_t i;
		json_t *item;
		if (!json_is_array(v) || json_array_size(v) > 200) {
			tl_claims_ctx_bad(c, "groups_direct",
					  "expected an array of at most 200 group paths");
			goto out;
		}
		json_array_foreach(v, i, item)
		{
			if (!json_is_string(item)) {
				tl_claims_ctx_bad(c, "groups_direct", "item %zu: expected a string",
						  i);
				goto out;
			}
		}
		tl_claims_out_json(&o, "groups_direct", json_deep_copy(v));
	}
	if (environment) {
		tl_claims_out_str(&o, "environment", environment);
		tl_claims_out_bool_str(&o, "environment_protected", env_protected);
		tl_claims_out_str(&o, "deployment_tier", tier);
		tl_claims_out_str(&o, "environment_action", action);
	}
	tl_claims_out_int(&o, "runner_id", runner_id);
	tl_claims_out_str(&o, "runner_environment", runner_env);
	tl_claims_out_str(&o, "sha", sha);
	tl_claims_out_str(&o, "project_visibility", visibility);
	tl_claims_out_json(&o, "ci_config_ref_uri",
			   config_external ? json_null() : json_string(config_uri));
	tl_claims_out_json(&o, "ci_config_sha", config_external ? json_null() : json_string(sha));
	if (tl_claims_ctx_random_uuid(c, "jti", jti) < 0)
		goto out;
	tl_claims_out_str(&o, "jti", jti);
	tl_claims_out_str(&o, "iss", issuer);
	tl_claims_out_int(&o, "iat", opt->now);
	tl_claims_out_int(&o, "nbf", opt->now + p->nbf_offset);
	tl_claims_out_int(&o, "exp", opt->now + timeout);

	components = tl_claims_ctx_get(c, "ci_id_token_sub_claim_components");
	if (components &&
	    check_components(components, "context.ci_id_token_sub_claim_components", err) < 0)
		goto out;
	if (o.nomem || !o.obj) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory building claims");
		goto out;
	}
	if (tl_claims_gitlab_sub(o.obj, components, &sub, err) < 0)
		goto out;
	tl_claims_out_str(&o, "sub", sub ? sub : "");

	aud_opt = *opt;
	if (!aud_opt.audience)
		aud_opt.audience = id_aud;
	if (tl_claims_audience(&aud_opt, issuer, false, &aud, err) < 0)
		goto out;
	tl_claims_out_json(&o, "aud", aud);
	aud = NULL;
	if (!(result = tl_claims_out_finish(&o, err)))
		goto out;
	*claims_out = result;
	rc = 0;
out:
	json_decref(o.obj);
	json_decref(aud);
	free(sub);
	tl_claims_ctx_finish(c);
	return rc;
}

/* gitlab.com keys in the SAR (reference/sts.md §3.9); self-managed issuers get only sub. */
static const char *const gitlab_condition_claims[] = {
	"namespace_id",	     "pipeline_source", "project_id", "ref_protected", "runner_environment",
	"user_access_level", "user_email",	"user_id",    "user_login",    NULL,
};

static const char *const gitlab_claims_supported[] = {
	"iss",
	"sub",
	"aud",
	"exp",
	"iat",
	"nbf",
	"jti",
	"namespace_id",
	"namespace_path",
	"project_id",
	"project_path",
	"job_project_id",
	"job_project_path",
	"job_namespace_id",
	"job_namespace_path",
	"user_id",
	"user_login",
	"user_email",
	"user_access_level",
	"user_identities",
	"pipeline_id",
	"pipeline_source",
	"job_id",
	"ref",
	"ref_type",
	"ref_path",
	"ref_protected",
	"groups_direct",
	"environment",
	"environment_protected",
	"deployment_tier",
	"environment_action",
	"runner_id",
	"runner_environment",
	"sha",
	"project_visibility",
	"ci_config_ref_uri",
	"ci_config_sha",
	NULL,
};

const struct tl_claims_profile tl_claims_gitlab = {
	.name = "gitlab",
	.title = "GitLab CI id_tokens",
	.reference = "reference/issuer.md §2",
	.issuer = "https://gitlab.com",
	.audience = NULL, /* the id_tokens aud; the issuer URL when the context has none */
	.jwks_path = "/oauth/discovery/keys",
	.alg = "RS256",
	.typ = "JWT",
	.x5t = false,
	.kid_style = TL_CLAIMS_KID_JWK_THUMBPRINT,
	.has_nbf = true,
	.nbf_offset = -5,
	.lifetime = 300,
	.aws_condition_claims = gitlab_condition_claims,
	.context_fields = gitlab_fields,
	.claims_supported = gitlab_claims_supported,
	.build = gitlab_build,
};
