/* SPDX-License-Identifier: MIT */
/*
 * The other issuers of reference/issuer.md §3: Buildkite, CircleCI, HCP
 * Terraform, Kubernetes (EKS IRSA), Bitbucket Pipelines and Spacelift.
 * Each has a fixed `sub` grammar (§3.1) and a small claim set (§3.2).
 * Where the reference does not show a real token, the member order is
 * this file's choice (docs/providers.md says which).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims/claims-private.h"
#include "json/json.h"

static const char *const no_keys[] = {NULL};

static int
finish(struct claims_out *o, json_t **claims_out, struct tl_error *err)
{
	json_t *result = tl_claims_out_finish(o, err);
	if (!result)
		return -1;
	*claims_out = result;
	return 0;
}

/* A DNS label / subdomain as Kubernetes names are (lower case, digits, '-', '.'). */
static bool
valid_dns_name(const char *s, bool dots)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253 || s[0] == '-' || s[n - 1] == '-')
		return false;
	return strspn(s, dots ? "abcdefghijklmnopqrstuvwxyz0123456789-."
			      : "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* A slug: letters, digits, '-', '_' and '.'. */
static int
ctx_slug(struct ctx *c, const char *key, const char *dflt, const char **out)
{
	if (tl_claims_ctx_name(c, key, dflt, out) < 0)
		return -1;
	if (!*out)
		return 0;
	if (strspn(*out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
	    strlen(*out))
		return tl_claims_ctx_bad(
			c, key, "expected a slug (letters, digits, '-', '_', '.'), found '%s'",
			*out);
	return 0;
}

static int
require(struct ctx *c, const char *key, const char *what)
{
	if (!tl_claims_ctx_get(c, key))
		return tl_claims_ctx_bad(c, key, "is required (%s)", what);
	return 0;
}

/* --- Buildkite (§3.1, §3.2) ------------------------------------------ */

static const char *const buildkite_fields[] = {
	"organization_slug",
	"pipeline_slug",
	"build_number",
	"branch",
	"tag",
	"commit",
	"step_key",
	"job_id",
	"agent_id",
	"build_source",
	"runner_environment",
	"claims",
	"organization_id",
	"pipeline_id",
	"cluster_id",
	"cluster_name",
	"subject_claim",
	"lifetime",
	"aws_session_tags",
	NULL,
};
static const char *const buildkite_optional[] = {"organization_id", "pipeline_id", "cluster_id",
						 "cluster_name", NULL};

static int
buildkite_build(const struct tl_claims_profile *p, const json_t *context,
		const struct tl_claims_options *opt, json_t **claims_out,
		struct tl_claims_refusal *refusal, struct tl_error *err)
{
	static const char *const sources[] = {"webhook",     "ui",	 "api",
					      "trigger_job", "schedule", NULL};
	static const char *const envs[] = {"self-hosted", "buildkite-hosted", NULL};
	struct ctx cx, *c = &cx;
	struct claims_out o = {json_object(), false};
	const char *org, *pipeline, *branch, *tag, *step, *source, *runner, *cluster_name,
		*subject_claim;
	char commit[41], job_id[TL_UUID_LEN], agent_id[TL_UUID_LEN], org_id[TL_UUID_LEN],
		pipeline_id[TL_UUID_LEN], cluster_id[TL_UUID_LEN], sub[4096], aud_default[512];
	int64_t number, lifetime;
	const json_t *wanted;
	json_t *aud = NULL;
	bool want[4] = {false, false, false, false};
	int rc = -1;

	(void)refusal;
	if (tl_claims_ctx_init(c, context, buildkite_fields, opt->rng, err) < 0 ||
	    require(c, "organization_slug", "the organization's slug") < 0 ||
	    require(c, "pipeline_slug", "the pipeline's slug") < 0 ||
	    ctx_slug(c, "organization_slug", NULL, &org) < 0 ||
	    ctx_slug(c, "pipeline_slug", NULL, &pipeline) < 0 ||
	    tl_claims_ctx_int(c, "build_number", 42, 1, INT64_MAX, &number) < 0 ||
	    tl_claims_ctx_name(c, "branch", "main", &branch) < 0 ||
	    tl_claims_ctx_name(c, "tag", NULL, &tag) < 0 ||
	    tl_claims_ctx_hex(c, "commit", 40, commit) < 0 ||
	    ctx_slug(c, "step_key", NULL, &step) < 0 ||
	    tl_claims_ctx_uuid(c, "job_id", job_id) < 0 ||
	    tl_claims_ctx_uuid(c, "agent_id", agent_id) < 0 ||
	    tl_claims_ctx_enum(c, "build_source", sources, "webhook", &source) < 0 ||
	    tl_claims_ctx_enum(c, "runner_environment", envs, "self-hosted", &runner) < 0 ||
	    tl_claims_ctx_uuid(c, "organization_id", org_id) < 0 ||
	    tl_claims_ctx_uuid(c, "pipeline_id", pipeline_id) < 0 ||
	    tl_claims_ctx_uuid(c, "cluster_id", cluster_id) < 0 ||
	    tl_claims_ctx_name(c, "cluster_name", "default", &cluster_name) < 0 ||
	    tl_claims_ctx_name(c, "subject_claim", NULL, &subject_claim) < 0 ||
	    tl_claims_ctx_int(c, "lifetime", p->lifetime, 1, 86400, &lifetime) < 0)
		goto out;
	if ((wanted = tl_claims_ctx_get(c, "claims"))) {
		size_t i;
		json_t *item;
		if (!json_is_array(wanted)) {
			tl_claims_ctx_bad(c, "claims", "expected an array of optional claim names");
			goto out;
		}
		json_array_foreach(wanted, i, item)
		{
			size_t k = 0;
			const char *name = json_string_value(item);
			while (buildkite_optional[k] &&
			       (!name || strcmp(buildkite_optional[k], name)))
				k++;
			if (!buildkite_optional[k]) {
				tl_claims_ctx_bad(
					c, "claims",
					"item %zu: expected one of organization_id, pipeline_id, "
					"cluster_id, cluster_name",
					i);
				goto out;
			}
			want[k] = true;
		}
	}
	if (tl_claims_fmt(sub, sizeof(sub), err,
			  "organization:%s:pipeline:%s:ref:refs/%s/%s:commit:%s:step:%s", org,
			  pipeline, tag ? "tags" : "heads", tag ? tag : branch, commit,
			  step ? step : "") < 0 ||
	    tl_claims_fmt(aud_default, sizeof(aud_default), err, "https://buildkite.com/%s", org) <
		    0 ||
	    tl_claims_audience(opt, aud_default, false, &aud, err) < 0)
		goto out;

	tl_claims_out_str(&o, "iss", opt->issuer ? opt->issuer : p->issuer);
	tl_claims_out_str(&o, "sub", sub);
	tl_claims_out_json(&o, "aud", aud);
	aud = NULL;
	tl_claims_out_int(&o, "iat", opt->now);
	tl_claims_out_int(&o, "nbf", opt->now + p->nbf_offset);
	tl_claims_out_int(&o, "exp", opt->now + lifetime);
	tl_claims_out_str(&o, "organization_slug", org);
	tl_claims_out_str(&o, "pipeline_slug", pipeline);
	tl_claims_out_int(&o, "build_number", number);
	tl_claims_out_str(&o, "build_branch", branch);
	tl_claims_out_json(&o, "build_tag", tag ? json_string(tag) : json_null());
	tl_claims_out_str(&o, "build_commit", commit);
	tl_claims_out_json(&o, "step_key", step ? json_string(step) : json_null());
	tl_claims_out_str(&o, "job_id", job_id);
	tl_claims_out_str(&o, "agent_id", agent_id);
	tl_claims_out_str(&o, "build_source", source);
	tl_claims_out_str(&o, "runner_environment", runner);
	if (want[0])
		tl_claims_out_str(&o, "organization_id", org_id);
	if (want[1])
		tl_claims_out_str(&o, "pipeline_id", pipeline_id);
	if (want[2])
		tl_claims_out_str(&o, "cluster_id", cluster_id);
	if (want[3])
		tl_claims_out_str(&o, "cluster_name", cluster_name);
	if (o.nomem || !o.obj) {
		/* The lookups below need every claim in place. */
		tl_error_set(err, TL_ERR_NOMEM, "out of memory building claims");
		goto out;
	}
	if (subject_claim) {
		/* --subject-claim: one immutable claim value as the whole sub (§3.2). */
		const char *v = json_string_value(json_object_get(o.obj, subject_claim));
		if (!v || strcmp(subject_claim, "sub") == 0 || strcmp(subject_claim, "iss") == 0) {
			tl_claims_ctx_bad(
				c, "subject_claim",
				"'%s' is not a string claim of this token (optional claims must "
				"also be listed in claims)",
				subject_claim);
			goto out;
		}
		tl_claims_out_str(&o, "sub", v);
	}
	if ((wanted = tl_claims_ctx_get(c, "aws_session_tags"))) {
		/* --aws-session-tag: claims copied into AWS's session-tag claim
		 * (reference §3.2, sts.md §2.4: values are one-element arrays). */
		json_t *tags = json_object();
		size_t i;
		json_t *item;

		if (!json_is_array(wanted)) {
			json_decref(tags);
			tl_claims_ctx_bad(c, "aws_session_tags",
					  "expected an array of claim names");
			goto out;
		}
		json_array_foreach(wanted, i, item)
		{
			const char *name = json_string_value(item);
			const char *v =
				name ? json_string_value(json_object_get(o.obj, name)) : NULL;
			if (!v || strcmp(name, "sub") == 0 || strcmp(name, "iss") == 0 ||
			    strcmp(name, "aud") == 0) {
				json_decref(tags);
				tl_claims_ctx_bad(c, "aws_session_tags",
						  "item %zu: not a string claim of this token", i);
				goto out;
			}
			if (tags && json_object_set_new(tags, name, json_pack("[s]", v)) < 0)
				o.nomem = true;
		}
		tl_claims_out_json(&o, "https://aws.amazon.com/tags",
				   tags ? json_pack("{s:o}", "principal_tags", tags) : NULL);
	}
	rc = finish(&o, claims_out, err);
out:
	json_decref(o.obj);
	json_decref(aud);
	tl_claims_ctx_finish(c);
	return rc;
}

static const char *const buildkite_condition_claims[] = {
	"build_branch",	     "cluster_id",  "cluster_name",  "organization_id",
	"organization_slug", "pipeline_id", "pipeline_slug", NULL,
};
static const char *const buildkite_supported[] = {
	"iss",
	"sub",
	"aud",
	"iat",
	"nbf",
	"exp",
	"organization_slug",
	"pipeline_slug",
	"build_number",
	"build_branch",
	"build_tag",
	"build_commit",
	"step_key",
	"job_id",
	"agent_id",
	"build_source",
	"runner_environment",
	"organization_id",
	"pipeline_id",
	"cluster_id",
	"cluster_name",
	"https://aws.amazon.com/tags",
	NULL,
};

const struct tl_claims_profile tl_claims_buildkite = {
	.name = "buildkite",
	.title = "Buildkite",
	.reference = "reference/issuer.md §3.1, §3.2",
	.issuer = "https://agent.buildkite.com",
	.audience = NULL, /* https://buildkite.com/<organization_slug> */
	.jwks_path = "/.well-known/jwks",
	.alg = "RS256",
	.typ = "JWT",
	.x5t = false,
	.kid_style = TL_CLAIMS_KID_JWK_THUMBPRINT,
	.has_nbf = true,
	.nbf_offset = 0,
	.lifetime = 300,
	.aws_condition_claims = buildkite_condition_claims,
	.context_fields = buildkite_fields,
	.claims_supported = buildkite_supported,
	.build = buildkite_build,
};

/* --- CircleCI (§3.1, §3.2) ------------------------------------------- */

static const char *const circleci_fields[] = {
	"org_id",
	"project_id",
	"user_id",
	"context_ids",
	"vcs_origin",
	"vcs_ref",
	"vcs_sha",
	"ssh_rerun",
	"token_version",
	"fork",
	"pass_secrets_to_forks",
	NULL,
};

static int
circleci_build(const struct tl_claims_profile *p, const json_t *context,
	       const struct tl_claims_options *opt, json_t **claims_out,
	       struct tl_claims_refusal *refusal, struct tl_error *err)
{
	struct ctx cx, *c = &cx;
	struct claims_out o = {json_object(), false};
	char org[TL_UUID_LEN], project[TL_UUID_LEN], user[TL_UUID_LEN], sha[41], sub[1024],
		iss[256];
	const char *origin, *ref;
	const json_t *contexts;
	json_t *aud = NULL;
	int64_t version;
	bool ssh_rerun, fork, pass_secrets;
	int rc = -1;

	if (tl_claims_ctx_init(c, context, circleci_fields, opt->rng, err) < 0 ||
	    tl_claims_ctx_uuid(c, "org_id", org) < 0 ||
	    tl_claims_ctx_uuid(c, "project_id", project) < 0 ||
	    tl_claims_ctx_uuid(c, "user_id", user) < 0 ||
	    tl_claims_ctx_name(c, "vcs_origin", "github.com/acme/app", &origin) < 0 ||
	    tl_claims_ctx_name(c, "vcs_ref", "refs/heads/main", &ref) < 0 ||
	    tl_claims_ctx_hex(c, "vcs_sha", 40, sha) < 0 ||
	    tl_claims_ctx_bool(c, "ssh_rerun", false, &ssh_rerun) < 0 ||
	    tl_claims_ctx_int(c, "token_version", 1, 1, 2, &version) < 0 ||
	    tl_claims_ctx_bool(c, "fork", false, &fork) < 0 ||
	    tl_claims_ctx_bool(c, "pass_secrets_to_forks", false, &pass_secrets) < 0)
		goto out;
	if (strncmp(ref, "refs/", 5) != 0) {
		tl_claims_ctx_bad(c, "vcs_ref",
				  "expected a full ref such as refs/heads/main, found '%s'", ref);
		goto out;
	}
	if ((contexts = tl_claims_ctx_get(c, "context_ids"))) {
		size_t i;
		json_t *item;
		if (!json_is_array(contexts)) {
			tl_claims_ctx_bad(c, "context_ids", "expected an array of UUIDs");
			goto out;
		}
		json_array_foreach(contexts, i, item)
		{
			if (!json_is_string(item) || strlen(json_string_value(item)) != 36) {
				tl_claims_ctx_bad(c, "context_ids", "item %zu: expected a UUID", i);
				goto out;
			}
		}
	}
	if (fork && !pass_secrets) {
		rc = tl_claims_refuse(
			refusal,
			"a build of a forked pull request gets an OIDC token only when the "
			"project enables \"Pass secrets to builds from forked pull "
			"requests\" (reference §3.2)");
		goto out;
	}
	if (tl_claims_fmt(sub, sizeof(sub), err, "org/%s/project/%s/user/%s%s%s%s%s", org, project,
			  user, version == 2 ? "/vcs-origin/" : "", version == 2 ? origin : "",
			  version == 2 ? "/vcs-ref/" : "", version == 2 ? ref : "") < 0 ||
	    tl_claims_fmt(iss, sizeof(iss), err, "https://oidc.circleci.com/org/%s", org) < 0 ||
	    tl_claims_audience(opt, org, false, &aud, err) < 0)
		goto out;
	tl_claims_out_str(&o, "iss", opt->issuer ? opt->issuer : iss);
	tl_claims_out_str(&o, "sub", sub);
	tl_claims_out_json(&o, "aud", aud);
	aud = NULL;
	tl_claims_out_int(&o, "iat", opt->now);
	tl_claims_out_int(&o, "exp", opt->now + p->lifetime);
	tl_claims_out_str(&o, "oidc.circleci.com/project-id", project);
	tl_claims_out_json(&o, "oidc.circleci.com/context-ids",
			   contexts ? json_deep_copy(contexts) : json_array());
	tl_claims_out_str(&o, "oidc.circleci.com/vcs-origin", origin);
	tl_claims_out_str(&o, "oidc.circleci.com/vcs-ref", ref);
	tl_claims_out_str(&o, "oidc.circleci.com/vcs-sha", sha);
	tl_claims_out_json(&o, "oidc.circleci.com/ssh-rerun", json_boolean(ssh_rerun));
	rc = finish(&o, claims_out, err);
out:
	json_decref(o.obj);
	json_decref(aud);
	tl_claims_ctx_finish(c);
	return rc;
}

static const char *const circleci_condition_claims[] = {"oidc.circleci.com/project-id", NULL};
static const char *const circleci_supported[] = {
	"iss",
	"sub",
	"aud",
	"iat",
	"exp",
	"oidc.circleci.com/project-id",
	"oidc.circleci.com/context-ids",
	"oidc.circleci.com/vcs-origin",
	"oidc.circleci.com/vcs-ref",
	"oidc.circleci.com/vcs-sha",
	"oidc.circleci.com/ssh-rerun",
	NULL,
};

const struct tl_claims_profile tl_claims_circleci = {
	.name = "circleci",
	.title = "CircleCI",
	.reference = "reference/issuer.md §3.1, §3.2",
	.issuer = "https://oidc.circleci.com/org/%s",
	.audience = NULL, /* the organization id */
	.jwks_path = "/.well-known/jwks-pub.json",
	.alg = "RS256",
	.typ = "JWT",
	.x5t = false,
	.kid_style = TL_CLAIMS_KID_JWK_THUMBPRINT,
	.has_nbf = false,
	.nbf_offset = 0,
	.lifetime = 3600,
	.aws_condition_claims = circleci_condition_claims,
	.context_fields = circleci_fields,
	.claims_supported = circleci_supported,
	.build = circleci_build,
};

/* --- HCP Terraform (§3.1, §3.2) -------------------------------------- */

static const char *const terraform_fields[] = {
	"organization",	   "project",	 "workspace",	 "run_phase",
	"organization_id", "project_id", "workspace_id", "run_id",
	"speculative",	   "hostname",	 NULL,
};

static int
tf_id(struct ctx *c, const char *key, const char *prefix, char out[40])
{
	const char *given;

	if (tl_claims_ctx_name(c, key, NULL, &given) < 0)
		return -1;
	if (given) {
		size_t n = strlen(prefix);
		if (strncmp(given, prefix, n) != 0 || !given[n] || strlen(given) >= 40)
			return tl_claims_ctx_bad(c, key, "expected %sXXXXXXXXXXXXXXXX, found '%s'",
						 prefix, given);
		strcpy(out, given);
		return 0;
	}
	strcpy(out, prefix);
	return tl_claims_ctx_random(c, key,
				    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789",
				    out + strlen(prefix), 16);
}

static int
terraform_build(const struct tl_claims_profile *p, const json_t *context,
		const struct tl_claims_options *opt, json_t **claims_out,
		struct tl_claims_refusal *refusal, struct tl_error *err)
{
	static const char *const phases[] = {"plan", "apply", NULL};
	struct ctx cx, *c = &cx;
	struct claims_out o = {json_object(), false};
	const char *org, *project, *workspace, *phase, *host;
	char org_id[40], project_id[40], ws_id[40], run_id[40], full[1024], sub[1200], iss[300],
		jti[TL_UUID_LEN];
	json_t *aud = NULL;
	bool speculative, has_project;
	int rc = -1;

	(void)refusal;
	if (tl_claims_ctx_init(c, context, terraform_fields, opt->rng, err) < 0 ||
	    require(c, "organization", "the organization name") < 0 ||
	    require(c, "workspace", "the workspace name") < 0 ||
	    ctx_slug(c, "organization", NULL, &org) < 0 ||
	    ctx_slug(c, "workspace", NULL, &workspace) < 0)
		goto out;
	/* Projects came later: an explicit null project gives the older format. */
	has_project = !json_is_null(json_object_get(c->obj, "project"));
	if (tl_claims_ctx_name(c, "project", "Default Project", &project) < 0 ||
	    tl_claims_ctx_enum(c, "run_phase", phases, "plan", &phase) < 0 ||
	    tl_claims_ctx_bool(c, "speculative", false, &speculative) < 0 ||
	    tl_claims_ctx_name(c, "hostname", NULL, &host) < 0 ||
	    tf_id(c, "organization_id", "org-", org_id) < 0 ||
	    tf_id(c, "project_id", "prj-", project_id) < 0 ||
	    tf_id(c, "workspace_id", "ws-", ws_id) < 0 || tf_id(c, "run_id", "run-", run_id) < 0)
		goto out;
	if (speculative && strcmp(phase, "apply") == 0) {
		tl_claims_ctx_bad(c, "run_phase",
				  "a speculative plan (a pull request's) never applies");
		goto out;
	}
	if (host && strpbrk(host, "/:@?# ")) {
		tl_claims_ctx_bad(c, "hostname", "expected a host name, found '%s'", host);
		goto out;
	}
	if ((has_project ? tl_claims_fmt(full, sizeof(full), err,
					 "organization:%s:project:%s:workspace:%s", org, project,
					 workspace)
			 : tl_claims_fmt(full, sizeof(full), err, "organization:%s:workspace:%s",
					 org, workspace)) < 0 ||
	    tl_claims_fmt(sub, sizeof(sub), err, "%s:run_phase:%s", full, phase) < 0 ||
	    tl_claims_fmt(iss, sizeof(iss), err, "https://%s", host ? host : "app.terraform.io") <
		    0 ||
	    tl_claims_audience(opt, p->audience, false, &aud, err) < 0 ||
	    tl_claims_ctx_random_uuid(c, "jti", jti) < 0)
		goto out;
	tl_claims_out_str(&o, "jti", jti);
	tl_claims_out_str(&o, "iss", opt->issuer ? opt->issuer : iss);
	tl_claims_out_json(&o, "aud", aud);
	aud = NULL;
	tl_claims_out_int(&o, "iat", opt->now);
	tl_claims_out_int(&o, "nbf", opt->now + p->nbf_offset);
	tl_claims_out_int(&o, "exp", opt->now + p->lifetime);
	tl_claims_out_str(&o, "sub", sub);
	tl_claims_out_str(&o, "terraform_organization_id", org_id);
	tl_claims_out_str(&o, "terraform_organization_name", org);
	if (has_project) {
		tl_claims_out_str(&o, "terraform_project_id", project_id);
		tl_claims_out_str(&o, "terraform_project_name", project);
	}
	tl_claims_out_str(&o, "terraform_workspace_id", ws_id);
	tl_claims_out_str(&o, "terraform_workspace_name", workspace);
	tl_claims_out_str(&o, "terraform_full_workspace", full);
	tl_claims_out_str(&o, "terraform_run_id", run_id);
	tl_claims_out_str(&o, "terraform_run_phase", phase);
	rc = finish(&o, claims_out, err);
out:
	json_decref(o.obj);
	json_decref(aud);
	tl_claims_ctx_finish(c);
	return rc;
}

static const char *const terraform_supported[] = {
	"jti",
	"iss",
	"aud",
	"iat",
	"nbf",
	"exp",
	"sub",
	"terraform_organization_id",
	"terraform_organization_name",
	"terraform_project_id",
	"terraform_project_name",
	"terraform_workspace_id",
	"terraform_workspace_name",
	"terraform_full_workspace",
	"terraform_run_id",
	"terraform_run_phase",
	NULL,
};

const struct tl_claims_profile tl_claims_terraform = {
	.name = "terraform-cloud",
	.title = "HCP Terraform",
	.reference = "reference/issuer.md §3.1, §3.2",
	.issuer = "https://app.terraform.io",
	.audience = "aws.workload.identity",
	.jwks_path = "/.well-known/jwks",
	.alg = "RS256",
	.typ = "JWT",
	.x5t = false,
	.kid_style = TL_CLAIMS_KID_JWK_THUMBPRINT,
	.has_nbf = true,
	.nbf_offset = -5,
	.lifetime = 300,
	.aws_condition_claims = no_keys,
	.context_fields = terraform_fields,
	.claims_supported = terraform_supported,
	.build = terraform_build,
};

/* --- Kubernetes service accounts, EKS IRSA shape (§3.1, §3.2) --------- */

static const char *const kubernetes_fields[] = {
	"namespace", "service_account", "service_account_uid", "pod", "pod_uid",
	"region",    "cluster_id",	"expiration_seconds",  NULL,
};

static int
kubernetes_build(const struct tl_claims_profile *p, const json_t *context,
		 const struct tl_claims_options *opt, json_t **claims_out,
		 struct tl_claims_refusal *refusal, struct tl_error *err)
{
	struct ctx cx, *c = &cx;
	struct claims_out o = {json_object(), false};
	const char *ns, *sa, *pod_given, *region;
	char sa_uid[TL_UUID_LEN], pod_uid[TL_UUID_LEN], cluster[33], pod[300], iss[300], sub[600];
	int64_t lifetime;
	json_t *aud = NULL, *k8s = NULL;
	int rc = -1;

	(void)refusal;
	if (tl_claims_ctx_init(c, context, kubernetes_fields, opt->rng, err) < 0 ||
	    require(c, "service_account", "the pod's service account") < 0 ||
	    tl_claims_ctx_name(c, "namespace", "default", &ns) < 0 ||
	    tl_claims_ctx_name(c, "service_account", NULL, &sa) < 0 ||
	    tl_claims_ctx_uuid(c, "service_account_uid", sa_uid) < 0 ||
	    tl_claims_ctx_name(c, "pod", NULL, &pod_given) < 0 ||
	    tl_claims_ctx_uuid(c, "pod_uid", pod_uid) < 0 ||
	    tl_claims_ctx_name(c, "region", "us-west-2", &region) < 0 ||
	    tl_claims_ctx_int(c, "expiration_seconds", p->lifetime, 600, 4294967296LL, &lifetime) <
		    0)
		goto out;
	if (!valid_dns_name(ns, false) || strlen(ns) > 63) {
		tl_claims_ctx_bad(c, "namespace", "expected a DNS label, found '%s'", ns);
		goto out;
	}
	if (!valid_dns_name(sa, true)) {
		tl_claims_ctx_bad(c, "service_account", "expected a DNS subdomain name, found '%s'",
				  sa);
		goto out;
	}
	if (strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region)) {
		tl_claims_ctx_bad(c, "region", "expected an AWS region, found '%s'", region);
		goto out;
	}
	{
		const char *given;
		if (tl_claims_ctx_string(c, "cluster_id", NULL, &given) < 0)
			goto out;
		if (given) {
			if (strlen(given) != 32 ||
			    strspn(given, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 32) {
				tl_claims_ctx_bad(
					c, "cluster_id",
					"expected 32 upper-case letters and digits, found '%s'",
					given);
				goto out;
			}
			strcpy(cluster, given);
		} else if (tl_claims_ctx_random(c, "cluster_id", "0123456789ABCDEF", cluster, 32) <
			   0)
			goto out;
	}
	if (pod_given) {
		if (tl_claims_ctx_copy(c, "pod", pod_given, pod, sizeof(pod)) < 0)
			goto out;
	} else {
		int n = snprintf(pod, sizeof(pod), "%s-", sa);
		if (n < 0 || (size_t)n + 11 > sizeof(pod)) {
			tl_claims_ctx_bad(c, "service_account", "is too long to name a pod after");
			goto out;
		}
		if (tl_claims_ctx_random(c, "pod", "bcdfghjklmnpqrstvwxz2456789", pod + n, 10) < 0)
			goto out;
	}
	if (tl_claims_fmt(iss, sizeof(iss), err, "https://oidc.eks.%s.amazonaws.com/id/%s", region,
			  cluster) < 0 ||
	    tl_claims_fmt(sub, sizeof(sub), err, "system:serviceaccount:%s:%s", ns, sa) < 0 ||
	    tl_claims_audience(opt, p->audience, true, &aud, err) < 0)
		goto out;
	k8s = json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s}}", "namespace", ns, "pod", "name", pod,
			"uid", pod_uid, "serviceaccount", "name", sa, "uid", sa_uid);
	/* Extended tokens (the webhook asks for 86400 s) warn after 3607 s. */
	if (k8s && lifetime > 3607 &&
	    json_object_set_new(k8s, "warnafter", json_integer(opt->now + 3607)) < 0) {
		json_decref(k8s);
		k8s = NULL;
	}
	/* Go marshals these members in this (alphabetical) order (§3.2). */
	tl_claims_out_json(&o, "aud", aud);
	aud = NULL;
	tl_claims_out_int(&o, "exp", opt->now + lifetime);
	tl_claims_out_int(&o, "iat", opt->now);
	tl_claims_out_str(&o, "iss", opt->issuer ? opt->issuer : iss);
	tl_claims_out_json(&o, "kubernetes.io", k8s);
	tl_claims_out_int(&o, "nbf", opt->now);
	tl_claims_out_str(&o, "sub", sub);
	rc = finish(&o, claims_out, err);
out:
	json_decref(o.obj);
	json_decref(aud);
	tl_claims_ctx_finish(c);
	return rc;
}

static const char *const kubernetes_supported[] = {"aud",	    "exp", "iat", "iss",
						   "kubernetes.io", "nbf", "sub", NULL};

const struct tl_claims_profile tl_claims_kubernetes = {
	.name = "kubernetes",
	.title = "Kubernetes service account (EKS IRSA)",
	.reference = "reference/issuer.md §3.1, §3.2",
	.issuer = "https://oidc.eks.%s.amazonaws.com/id/%s",
	.audience = "sts.amazonaws.com",
	.jwks_path = "/openid/v1/jwks",
	.alg = "RS256",
	.typ = NULL, /* Kubernetes sends no typ */
	.x5t = false,
	.kid_style = TL_CLAIMS_KID_JWK_THUMBPRINT,
	.has_nbf = true,
	.nbf_offset = 0,
	.lifetime = 86400,
	.aws_condition_claims = no_keys,
	.context_fields = kubernetes_fields,
	.claims_supported = kubernetes_supported,
	.build = kubernetes_build,
};

/* --- Bitbucket Pipelines (§3.1, §3.2) -------------------------------- */

static const char *const bitbucket_fields[] = {
	"workspace",
	"workspace_uuid",
	"repository_uuid",
	"step_uuid",
	"pipeline_uuid",
	"account_uuid",
	"branch",
	"deployment_environment_uuid",
	"oidc",
	NULL,
};

/* "{uuid}" from a UUID given with or without braces, or a random one. */
static int
braced_uuid(struct ctx *c, const char *key, char out[TL_UUID_LEN + 2])
{
	const char *given;
	char plain[TL_UUID_LEN];

	if (tl_claims_ctx_string(c, key, NULL, &given) < 0)
		return -1;
	if (given) {
		size_t n = strlen(given);
		bool braced = n == 38 && given[0] == '{' && given[37] == '}';
		const char *u = braced ? given + 1 : given;
		if (!(braced || n == 36) || u[8] != '-' || u[13] != '-' || u[18] != '-' ||
		    u[23] != '-' || strspn(u, "0123456789abcdefABCDEF-") < 36)
			return tl_claims_ctx_bad(
				c, key, "expected a UUID ({...} braces optional), found '%s'",
				given);
		memcpy(plain, u, 36);
		plain[36] = '\0';
	} else if (tl_claims_ctx_random_uuid(c, key, plain) < 0)
		return -1;
	snprintf(out, TL_UUID_LEN + 2, "{%s}", plain);
	return 0;
}

static int
bitbucket_build(const struct tl_claims_profile *p, const json_t *context,
		const struct tl_claims_options *opt, json_t **claims_out,
		struct tl_claims_refusal *refusal, struct tl_error *err)
{
	struct ctx cx, *c = &cx;
	struct claims_out o = {json_object(), false};
	const char *workspace, *branch;
	char ws[TL_UUID_LEN + 2], repo[TL_UUID_LEN + 2], step[TL_UUID_LEN + 2],
		pipeline[TL_UUID_LEN + 2], account[TL_UUID_LEN + 2], env[TL_UUID_LEN + 2], sub[200],
		iss[400], aud_default[200];
	bool oidc, has_env;
	json_t *aud = NULL;
	int rc = -1;

	if (tl_claims_ctx_init(c, context, bitbucket_fields, opt->rng, err) < 0 ||
	    ctx_slug(c, "workspace", "acme", &workspace) < 0 ||
	    braced_uuid(c, "workspace_uuid", ws) < 0 ||
	    braced_uuid(c, "repository_uuid", repo) < 0 || braced_uuid(c, "step_uuid", step) < 0 ||
	    braced_uuid(c, "pipeline_uuid", pipeline) < 0 ||
	    braced_uuid(c, "account_uuid", account) < 0 ||
	    braced_uuid(c, "deployment_environment_uuid", env) < 0 ||
	    tl_claims_ctx_name(c, "branch", "main", &branch) < 0 ||
	    tl_claims_ctx_bool(c, "oidc", true, &oidc) < 0)
		goto out;
	has_env = tl_claims_ctx_get(c, "deployment_environment_uuid") != NULL;
	if (!oidc) {
		rc = tl_claims_refuse(refusal,
				      "the step does not set oidc: true, so Bitbucket puts no "
				      "BITBUCKET_STEP_OIDC_TOKEN in it (reference §3.1)");
		goto out;
	}
	/* The aud carries the workspace UUID without its braces (§3.1). */
	if (tl_claims_fmt(sub, sizeof(sub), err, "%s%s%s:%s", repo, has_env ? ":" : "",
			  has_env ? env : "", step) < 0 ||
	    tl_claims_fmt(
		    iss, sizeof(iss), err,
		    "https://api.bitbucket.org/2.0/workspaces/%s/pipelines-config/identity/oidc",
		    workspace) < 0 ||
	    tl_claims_fmt(aud_default, sizeof(aud_default), err,
			  "ari:cloud:bitbucket::workspace/%.36s", ws + 1) < 0 ||
	    tl_claims_audience(opt, aud_default, false, &aud, err) < 0)
		goto out;
	tl_claims_out_str(&o, "iss", opt->issuer ? opt->issuer : iss);
	tl_claims_out_str(&o, "sub", sub);
	tl_claims_out_json(&o, "aud", aud);
	aud = NULL;
	tl_claims_out_int(&o, "iat", opt->now);
	tl_claims_out_int(&o, "exp", opt->now + p->lifetime);
	tl_claims_out_str(&o, "accountUuid", account);
	tl_claims_out_str(&o, "branchName", branch);
	if (has_env)
		tl_claims_out_str(&o, "deploymentEnvironmentUuid", env);
	tl_claims_out_str(&o, "pipelineUuid", pipeline);
	tl_claims_out_str(&o, "repositoryUuid", repo);
	tl_claims_out_str(&o, "stepUuid", step);
	tl_claims_out_str(&o, "workspaceUuid", ws);
	rc = finish(&o, claims_out, err);
out:
	json_decref(o.obj);
	json_decref(aud);
	tl_claims_ctx_finish(c);
	return rc;
}

static const char *const bitbucket_supported[] = {
	"iss",		"sub",
	"aud",		"iat",
	"exp",		"accountUuid",
	"branchName",	"deploymentEnvironmentUuid",
	"pipelineUuid", "repositoryUuid",
	"stepUuid",	"workspaceUuid",
	NULL,
};

const struct tl_claims_profile tl_claims_bitbucket = {
	.name = "bitbucket",
	.title = "Bitbucket Pipelines",
	.reference = "reference/issuer.md §3.1, §3.2",
	.issuer = "https://api.bitbucket.org/2.0/workspaces/%s/pipelines-config/identity/oidc",
	.audience = NULL, /* ari:cloud:bitbucket::workspace/<WORKSPACE_UUID> */
	.jwks_path = "/.well-known/jwks.json",
	.alg = "RS256",
	.typ = "JWT",
	.x5t = false,
	.kid_style = TL_CLAIMS_KID_JWK_THUMBPRINT,
	.has_nbf = false,
	.nbf_offset = 0,
	.lifetime = 3600, /* [UNK] in the reference */
	.aws_condition_claims = no_keys,
	.context_fields = bitbucket_fields,
	.claims_supported = bitbucket_supported,
	.build = bitbucket_build,
};

/* --- Spacelift (§3.1, §3.2) ------------------------------------------ */

static const char *const spacelift_fields[] = {
	"account", "space", "caller_type", "caller_id", "run_type", "run_id", "stage", NULL,
};

static int
spacelift_build(const struct tl_claims_profile *p, const json_t *context,
		const struct tl_claims_options *opt, json_t **claims_out,
		struct tl_claims_refusal *refusal, struct tl_error *err)
{
	static const char *const callers[] = {"stack", "module", NULL};
	static const char *const run_types[] = {"PROPOSED", "TRACKED", "TASK",
						"TESTING",  "DESTROY", NULL};
	static const char *const stages[] = {"planning", "applying", NULL};
	struct ctx cx, *c = &cx;
	struct claims_out o = {json_object(), false};
	const char *account, *space, *caller_type, *caller_id, *run_type, *stage, *run_given;
	char run_id[40], sub[1024], iss[300], aud_default[300];
	const char *scope;
	json_t *aud = NULL;
	int rc = -1;

	(void)refusal;
	if (tl_claims_ctx_init(c, context, spacelift_fields, opt->rng, err) < 0 ||
	    ctx_slug(c, "account", "acme", &account) < 0 ||
	    ctx_slug(c, "space", "root", &space) < 0 ||
	    tl_claims_ctx_enum(c, "caller_type", callers, "stack", &caller_type) < 0 ||
	    ctx_slug(c, "caller_id", "my-stack", &caller_id) < 0 ||
	    tl_claims_ctx_enum(c, "run_type", run_types, "TRACKED", &run_type) < 0 ||
	    tl_claims_ctx_enum(c, "stage", stages, NULL, &stage) < 0 ||
	    ctx_slug(c, "run_id", NULL, &run_given) < 0)
		goto out;
	if (stage && strcmp(run_type, "TRACKED") != 0) {
		tl_claims_ctx_bad(c, "stage", "applies only to TRACKED runs");
		goto out;
	}
	if (run_given) {
		if (tl_claims_ctx_copy(c, "run_id", run_given, run_id, sizeof(run_id)) < 0)
			goto out;
	} else if (tl_claims_ctx_random(c, "run_id", "0123456789ABCDEFGHJKMNPQRSTVWXYZ", run_id,
					26) < 0)
		goto out;
	/* PROPOSED (pull request) runs read; a tracked run reads while it
	 * plans and writes when it applies (§3.2). */
	scope = strcmp(run_type, "PROPOSED") == 0 || (strcmp(run_type, "TRACKED") == 0 && stage &&
						      strcmp(stage, "planning") == 0)
			? "read"
			: "write";
	if (tl_claims_fmt(sub, sizeof(sub), err, "space:%s:%s:%s:run_type:%s:scope:%s", space,
			  caller_type, caller_id, run_type, scope) < 0 ||
	    tl_claims_fmt(iss, sizeof(iss), err, "https://%s.app.spacelift.io", account) < 0 ||
	    tl_claims_fmt(aud_default, sizeof(aud_default), err, "%s.app.spacelift.io", account) <
		    0 ||
	    tl_claims_audience(opt, aud_default, false, &aud, err) < 0)
		goto out;
	tl_claims_out_str(&o, "iss", opt->issuer ? opt->issuer : iss);
	tl_claims_out_str(&o, "sub", sub);
	tl_claims_out_json(&o, "aud", aud);
	aud = NULL;
	tl_claims_out_int(&o, "iat", opt->now);
	tl_claims_out_int(&o, "nbf", opt->now);
	tl_claims_out_int(&o, "exp", opt->now + p->lifetime);
	tl_claims_out_str(&o, "spaceId", space);
	tl_claims_out_str(&o, "callerType", caller_type);
	tl_claims_out_str(&o, "callerId", caller_id);
	tl_claims_out_str(&o, "runType", run_type);
	tl_claims_out_str(&o, "runId", run_id);
	tl_claims_out_str(&o, "scope", scope);
	rc = finish(&o, claims_out, err);
out:
	json_decref(o.obj);
	json_decref(aud);
	tl_claims_ctx_finish(c);
	return rc;
}

static const char *const spacelift_supported[] = {
	"iss",	      "sub",	  "aud",     "iat",   "nbf",   "exp", "spaceId",
	"callerType", "callerId", "runType", "runId", "scope", NULL,
};

const struct tl_claims_profile tl_claims_spacelift = {
	.name = "spacelift",
	.title = "Spacelift",
	.reference = "reference/issuer.md §3.1, §3.2",
	.issuer = "https://%s.app.spacelift.io",
	.audience = NULL, /* <account>.app.spacelift.io */
	.jwks_path = "/.well-known/jwks",
	.alg = "RS256",
	.typ = "JWT",
	.x5t = false,
	.kid_style = TL_CLAIMS_KID_JWK_THUMBPRINT,
	.has_nbf = true,
	.nbf_offset = 0,
	.lifetime = 3600,
	.aws_condition_claims = no_keys,
	.context_fields = spacelift_fields,
	.claims_supported = spacelift_supported,
	.build = spacelift_build,
};
