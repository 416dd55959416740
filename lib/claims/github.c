/* SPDX-License-Identifier: MIT */
/*
 * GitHub Actions (reference/issuer.md §1): the claim set of §1.5 with
 * every custom claim a JSON string, `sub` by precedence (environment >
 * pull request events > ref, §1.6), custom templates (§1.7), the
 * immutable subject (§1.8) and the token eligibility rules (§1.10).
 * The same builder serves GitHub Enterprise Server ("github-enterprise-server").
 */
#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "claims/claims-private.h"
#include "json/json.h"

#define SUB_MAX 8192

static bool
is_pr_family(const char *event)
{
	/* The events that run on refs/pull/N/merge with the fork rules. */
	return strcmp(event, "pull_request") == 0 || strcmp(event, "pull_request_review") == 0 ||
	       strcmp(event, "pull_request_review_comment") == 0;
}

static bool
is_pr_event(const char *event)
{
	/* `sub` says "pull_request" for these (pull_request_target: §1.6 [INF, moderate]). */
	return is_pr_family(event) || strcmp(event, "pull_request_target") == 0;
}

/* --- sub builders ---------------------------------------------------- */

int
tl_claims_github_escape(struct tl_buf *out, const char *value, struct tl_error *err)
{
	for (const char *s = value; *s; s++) {
		int rc = *s == ':' ? tl_buf_append_str(out, "%3A", err) : tl_buf_putc(out, *s, err);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static const char *
claim_str(const json_t *claims, const char *key)
{
	return json_string_value(json_object_get(claims, key));
}

int
tl_claims_github_sub_prefix(const json_t *claims, bool immutable, struct tl_buf *out,
			    struct tl_error *err)
{
	const char *repository = claim_str(claims, "repository");
	const char *slash;

	if (!repository || !(slash = strchr(repository, '/')))
		return tl_error_set(err, TL_ERR_INVALID, "claims need a repository OWNER/REPO");
	if (!immutable)
		return tl_buf_printf(out, err, "repo:%s", repository);
	const char *owner_id = claim_str(claims, "repository_owner_id");
	const char *repo_id = claim_str(claims, "repository_id");
	if (!owner_id || !repo_id)
		return tl_error_set(
			err, TL_ERR_INVALID,
			"the immutable subject needs repository_owner_id and repository_id");
	return tl_buf_printf(out, err, "repo:%.*s@%s/%s@%s", (int)(slash - repository), repository,
			     owner_id, slash + 1, repo_id);
}

int
tl_claims_github_sub_context(const json_t *claims, struct tl_buf *out, struct tl_error *err)
{
	const char *environment = claim_str(claims, "environment");
	const char *event = claim_str(claims, "event_name");
	const char *ref = claim_str(claims, "ref");

	if (environment)
		return tl_buf_append_str(out, "environment:", err) < 0
			       ? -1
			       : tl_claims_github_escape(out, environment, err);
	if (event && is_pr_event(event))
		return tl_buf_append_str(out, "pull_request", err);
	if (!ref)
		return tl_error_set(err, TL_ERR_INVALID, "claims need a ref");
	if (tl_buf_append_str(out, "ref:", err) < 0)
		return -1;
	return tl_claims_github_escape(out, ref, err);
}

/* Claims a template may name (§1.5 "In sub template?"). */
static const char *const template_claims[] = {
	"actor",
	"actor_id",
	"base_ref",
	"check_run_id",
	"environment",
	"environment_node_id",
	"event_name",
	"head_ref",
	"job_workflow_ref",
	"job_workflow_sha",
	"ref",
	"ref_protected",
	"ref_type",
	"repository",
	"repository_id",
	"repository_owner",
	"repository_owner_id",
	"repository_visibility",
	"run_attempt",
	"run_id",
	"run_number",
	"runner_environment",
	"workflow",
	"workflow_ref",
	"workflow_sha",
	NULL,
};

static int
check_template_keys(const json_t *keys, const char *path, struct tl_error *err)
{
	char at[TL_ERROR_PATH_MAX];
	size_t i;
	json_t *key;

	snprintf(at, sizeof(at), "%s.include_claim_keys", path);
	if (!json_is_array(keys))
		return tl_error_set_at(err, TL_ERR_INVALID, at, "expected an array, found %s",
				       tl_json_type_name(keys));
	json_array_foreach(keys, i, key)
	{
		const char *k = json_string_value(key);
		bool known = false;

		snprintf(at, sizeof(at), "%s.include_claim_keys[%zu]", path, i);
		if (!k)
			return tl_error_set_at(err, TL_ERR_INVALID, at,
					       "expected a string, found %s",
					       tl_json_type_name(key));
		if (!*k ||
		    strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
			    strlen(k))
			return tl_error_set_at(err, TL_ERR_INVALID, at,
					       "claim key '%s' must be letters, digits and '_'", k);
		if (strcmp(k, "aud") == 0 || strcmp(k, "sha") == 0 ||
		    strcmp(k, "enterprise") == 0 || strcmp(k, "enterprise_id") == 0)
			return tl_error_set_at(err, TL_ERR_INVALID, at,
					       "GitHub does not accept '%s' in a sub template", k);
		known = strcmp(k, "repo") == 0 || strcmp(k, "context") == 0 ||
			(strncmp(k, "repo_property_", 14) == 0 && k[14]);
		for (const char *const *c = template_claims; *c && !known; c++)
			known = strcmp(*c, k) == 0;
		if (!known)
			return tl_error_set_at(err, TL_ERR_INVALID, at,
					       "unknown claim key '%s' (expected repo, context, "
					       "repo_property_NAME or a claim of reference §1.5)",
					       k);
	}
	return 0;
}

int
tl_claims_github_template(const json_t *org, const json_t *repo, const char *path,
			  const json_t **keys, struct tl_error *err)
{
	static const char *const org_fields[] = {"include_claim_keys", NULL};
	static const char *const repo_fields[] = {"use_default", "include_claim_keys", NULL};
	const json_t *org_keys = NULL, *repo_keys = NULL, *use_default;
	char at[TL_ERROR_PATH_MAX];
	struct tl_jpath jp;

	*keys = NULL;
	if (!path)
		path = "sub_template";
	if (org) {
		snprintf(at, sizeof(at), "%s.org", path);
		tl_jpath_init(&jp, at);
		if (tl_json_expect(org, JSON_OBJECT, &jp, err) < 0 ||
		    tl_json_only_keys(org, org_fields, &jp, err) < 0)
			return -1;
		org_keys = json_object_get(org, "include_claim_keys");
		if (!org_keys)
			return tl_error_set_at(err, TL_ERR_INVALID, at,
					       "include_claim_keys is required");
		if (check_template_keys(org_keys, at, err) < 0)
			return -1;
	}
	if (!repo)
		return 0; /* an org template reaches only repos that opt out of the default */
	snprintf(at, sizeof(at), "%s.repo", path);
	tl_jpath_init(&jp, at);
	if (tl_json_expect(repo, JSON_OBJECT, &jp, err) < 0 ||
	    tl_json_only_keys(repo, repo_fields, &jp, err) < 0)
		return -1;
	use_default = json_object_get(repo, "use_default");
	if (!use_default)
		return tl_error_set_at(err, TL_ERR_INVALID, at, "use_default is required");
	tl_jpath_push_key(&jp, "use_default");
	if (tl_json_expect(use_default, JSON_TRUE, &jp, err) < 0)
		return -1;
	repo_keys = json_object_get(repo, "include_claim_keys");
	if (repo_keys && check_template_keys(repo_keys, at, err) < 0)
		return -1;
	if (json_is_true(use_default))
		return 0;
	if (repo_keys && json_array_size(repo_keys) > 0)
		*keys = repo_keys;
	else if (org_keys && json_array_size(org_keys) > 0)
		*keys = org_keys;
	return 0;
}

int
tl_claims_github_sub(const json_t *claims, bool immutable, const json_t *keys, char **sub,
		     struct tl_claims_refusal *refusal, struct tl_error *err)
{
	struct tl_buf b;
	size_t i;
	json_t *key;
	int rc = -1;

	*sub = NULL;
	tl_buf_init(&b, SUB_MAX);
	if (!keys) {
		if (tl_claims_github_sub_prefix(claims, immutable, &b, err) < 0 ||
		    tl_buf_putc(&b, ':', err) < 0 ||
		    tl_claims_github_sub_context(claims, &b, err) < 0)
			goto out;
	} else {
		json_array_foreach(keys, i, key)
		{
			const char *k = json_string_value(key);
			const char *v;

			if (!k) {
				tl_error_set(err, TL_ERR_INVALID, "template keys must be strings");
				goto out;
			}
			if (i > 0 && tl_buf_putc(&b, ':', err) < 0)
				goto out;
			if (strcmp(k, "repo") == 0) {
				if (tl_claims_github_sub_prefix(claims, immutable, &b, err) < 0)
					goto out;
				continue;
			}
			if (strcmp(k, "context") == 0) {
				if (tl_claims_github_sub_context(claims, &b, err) < 0)
					goto out;
				continue;
			}
			v = claim_str(claims, k);
			if (!v) {
				if (strncmp(k, "environment", 11) == 0)
					rc = tl_claims_refuse(
						refusal,
						"the sub template names '%s', so an "
						"environment is required and must be "
						"provided; the job has none (reference §1.7)",
						k);
				else
					rc = tl_claims_refuse(
						refusal,
						"the sub template names '%s', which this "
						"job's token does not carry (reference §1.7)",
						k);
				goto out;
			}
			if (tl_buf_printf(&b, err, "%s:", k) < 0 ||
			    tl_claims_github_escape(&b, v, err) < 0)
				goto out;
		}
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

/* --- the profile ----------------------------------------------------- */

static const char *const events[] = {
	"branch_protection_rule",
	"check_run",
	"check_suite",
	"create",
	"delete",
	"deployment",
	"deployment_status",
	"discussion",
	"discussion_comment",
	"fork",
	"gollum",
	"issue_comment",
	"issues",
	"label",
	"merge_group",
	"milestone",
	"page_build",
	"public",
	"pull_request",
	"pull_request_review",
	"pull_request_review_comment",
	"pull_request_target",
	"push",
	"registry_package",
	"release",
	"repository_dispatch",
	"schedule",
	"status",
	"watch",
	"workflow_dispatch",
	"workflow_run",
	NULL,
};

static const char *const visibilities[] = {"public", "private", "internal", NULL};
static const char *const runner_environments[] = {"github-hosted", "self-hosted", NULL};

static const char *const permission_names[] = {
	"actions",
	"attestations",
	"checks",
	"contents",
	"deployments",
	"discussions",
	"id-token",
	"issues",
	"models",
	"packages",
	"pages",
	"pull-requests",
	"repository-projects",
	"security-events",
	"statuses",
	NULL,
};

#define GITHUB_FIELDS                                                                              \
	"repository", "repository_id", "repository_owner_id", "repository_visibility",             \
		"default_branch", "event", "ref", "ref_protected", "sha", "pr_number", "head_ref", \
		"base_ref", "fork", "actor", "actor_id", "workflow", "workflow_path",              \
		"workflow_sha", "job_workflow_ref", "job_workflow_sha", "environment",             \
		"environment_node_id", "environment_branches", "permissions",                      \
		"runner_environment", "run_id", "run_number", "run_attempt", "check_run_id",       \
		"enterprise", "enterprise_id", "repo_properties", "sub_template",                  \
		"immutable_subject"

static const char *const github_fields[] = {GITHUB_FIELDS, "include_enterprise_slug",
					    "ghe_subdomain", NULL};
static const char *const ghes_fields[] = {GITHUB_FIELDS, "hostname", NULL};

static bool
valid_owner(const char *s, size_t n)
{
	if (n == 0 || n > 39 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
			    s[i]))
			return false;
	return true;
}

static bool
valid_repo_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 100 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

/* git check-ref-format, the parts that matter here. */
static bool
valid_ref_chars(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c <= 0x20 || *c == 0x7f || strchr("~^:?*[\\", *c))
			return false;
	return !strstr(s, "..") && !strstr(s, "//") && !strstr(s, "@{");
}

/* N of refs/pull/N/merge, or 0. */
static long
pull_number(const char *ref)
{
	char *end;
	long n;

	if (strncmp(ref, "refs/pull/", 10) != 0 || ref[10] < '1' || ref[10] > '9')
		return 0;
	n = strtol(ref + 10, &end, 10);
	return strcmp(end, "/merge") == 0 && n > 0 ? n : 0;
}

struct gh {
	struct ctx c;
	const struct tl_claims_profile *p;
	const struct tl_claims_options *opt;
	bool ghes;
	const char *repository, *event, *environment, *default_branch, *enterprise;
	char owner[64];
	const char *repo_name;
	char ref[1024];
	char base_ref[512], head_ref[512];
	char sha[41];
	int64_t pr_number;
	bool fork, immutable;
	char issuer[512], audience[512];
};

static int
read_repository(struct gh *g)
{
	const char *slash;

	if (tl_claims_ctx_get(&g->c, "repository") == NULL)
		return tl_claims_ctx_bad(&g->c, "repository", "is required (OWNER/REPO)");
	if (tl_claims_ctx_string(&g->c, "repository", NULL, &g->repository) < 0)
		return -1;
	slash = strchr(g->repository, '/');
	if (!slash || !valid_owner(g->repository, (size_t)(slash - g->repository)) ||
	    !valid_repo_name(slash + 1))
		return tl_claims_ctx_bad(&g->c, "repository", "expected OWNER/REPO, found '%s'",
					 g->repository);
	memcpy(g->owner, g->repository, (size_t)(slash - g->repository));
	g->owner[slash - g->repository] = '\0';
	g->repo_name = slash + 1;
	return 0;
}

static int
read_ref(struct gh *g)
{
	struct ctx *c = &g->c;
	const char *ref;
	bool pr_given = tl_claims_ctx_get(c, "pr_number") != NULL;
	char def[600];

	if (tl_claims_ctx_name(c, "default_branch", "main", &g->default_branch) < 0 ||
	    tl_claims_ctx_int(c, "pr_number", 1, 1, 999999999, &g->pr_number) < 0 ||
	    tl_claims_ctx_string(c, "ref", NULL, &ref) < 0 ||
	    tl_claims_ctx_hex(c, "sha", 40, g->sha) < 0)
		return -1;
	if (!valid_ref_chars(g->default_branch))
		return tl_claims_ctx_bad(c, "default_branch", "'%s' is not a valid branch name",
					 g->default_branch);
	if (tl_claims_fmt(def, sizeof(def), c->err, "refs/heads/%s", g->default_branch) < 0)
		return -1;
	if (ref && strlen(ref) >= sizeof(g->ref))
		return tl_claims_ctx_bad(c, "ref", "longer than %zu bytes", sizeof(g->ref) - 1);

	if (is_pr_family(g->event)) {
		if (ref) {
			long n = pull_number(ref);
			if (!n)
				return tl_claims_ctx_bad(
					c, "ref",
					"a %s job runs on refs/pull/<N>/merge, found '%s' "
					"(give the source branch as head_ref)",
					g->event, ref);
			if (pr_given && n != g->pr_number)
				return tl_claims_ctx_bad(c, "pr_number",
							 "%lld does not match ref '%s'",
							 (long long)g->pr_number, ref);
			g->pr_number = n;
			strcpy(g->ref, ref);
		} else
			snprintf(g->ref, sizeof(g->ref), "refs/pull/%lld/merge",
				 (long long)g->pr_number);
		return 0;
	}
	if (strcmp(g->event, "pull_request_target") == 0 || strcmp(g->event, "schedule") == 0 ||
	    strcmp(g->event, "workflow_run") == 0 || strcmp(g->event, "issue_comment") == 0) {
		/* These run the default branch's workflow (§1.6, §1.10). */
		if (ref && strcmp(ref, def) != 0)
			return tl_claims_ctx_bad(
				c, "ref",
				"a %s job runs on the default branch (%s), found '%s' "
				"(set default_branch instead)",
				g->event, def, ref);
		strcpy(g->ref, def);
		return 0;
	}
	if (strcmp(g->event, "merge_group") == 0) {
		if (ref && strncmp(ref, "refs/heads/gh-readonly-queue/", 29) != 0)
			return tl_claims_ctx_bad(
				c, "ref",
				"a merge_group job runs on "
				"refs/heads/gh-readonly-queue/<base>/pr-<N>-<sha>, found '%s'",
				ref);
		if (ref)
			strcpy(g->ref, ref);
		else if (tl_claims_fmt(g->ref, sizeof(g->ref), c->err,
				       "refs/heads/gh-readonly-queue/%s/pr-%lld-%s",
				       g->default_branch, (long long)g->pr_number, g->sha) < 0)
			return -1;
		return 0;
	}
	if (!ref) {
		strcpy(g->ref, strcmp(g->event, "release") == 0 ? "refs/tags/v1.0.0" : def);
		return 0;
	}
	if (!*ref) {
		/* A deployment created for a bare SHA has ref "" (§1.5). */
		if (strcmp(g->event, "deployment") != 0 &&
		    strcmp(g->event, "deployment_status") != 0)
			return tl_claims_ctx_bad(c, "ref",
						 "may be empty only for deployment events");
		g->ref[0] = '\0';
		return 0;
	}
	if (!((strncmp(ref, "refs/heads/", 11) == 0 && ref[11]) ||
	      (strncmp(ref, "refs/tags/", 10) == 0 && ref[10])) ||
	    !valid_ref_chars(ref))
		return tl_claims_ctx_bad(
			c, "ref",
			"expected a full ref (refs/heads/BRANCH or refs/tags/TAG), found '%s'",
			ref);
	if (strcmp(g->event, "release") == 0 && strncmp(ref, "refs/tags/", 10) != 0)
		return tl_claims_ctx_bad(c, "ref", "a release job runs on a tag ref, found '%s'",
					 ref);
	strcpy(g->ref, ref);
	return 0;
}

static int
read_pr_refs(struct gh *g)
{
	struct ctx *c = &g->c;
	const char *head, *base;

	if (tl_claims_ctx_name(c, "head_ref", NULL, &head) < 0 ||
	    tl_claims_ctx_name(c, "base_ref", NULL, &base) < 0)
		return -1;
	if (!is_pr_event(g->event)) {
		/* GITHUB_HEAD_REF/BASE_REF exist only for pull request events. */
		if (head)
			return tl_claims_ctx_bad(c, "head_ref",
						 "is set only for pull request events");
		if (base)
			return tl_claims_ctx_bad(c, "base_ref",
						 "is set only for pull request events");
		if (g->fork)
			return tl_claims_ctx_bad(c, "fork", "applies only to pull request events");
		g->head_ref[0] = g->base_ref[0] = '\0';
		return 0;
	}
	if (tl_claims_fmt(g->head_ref, sizeof(g->head_ref), c->err, "%s",
			  head ? head : "feature-branch") < 0 ||
	    tl_claims_fmt(g->base_ref, sizeof(g->base_ref), c->err, "%s",
			  base ? base : g->default_branch) < 0)
		return -1;
	return 0;
}

/* 0 granted, 1 refused, -1 bad value. */
static int
read_permissions(struct gh *g, struct tl_claims_refusal *refusal)
{
	struct ctx *c = &g->c;
	const json_t *perm = tl_claims_ctx_get(c, "permissions");
	const char *key;
	const json_t *v;
	const char *idtoken = NULL;

	if (!perm)
		return 0; /* the case asks for a token: assume the job grants id-token: write */
	if (json_is_string(perm)) {
		const char *s = json_string_value(perm);
		if (strcmp(s, "write-all") == 0)
			return 0;
		if (strcmp(s, "read-all") != 0)
			return tl_claims_ctx_bad(
				c, "permissions",
				"expected read-all, write-all or an object, found '%s'", s);
		idtoken = "read";
	} else if (json_is_object(perm)) {
		json_object_foreach((json_t *)perm, key, v)
		{
			bool known = false;
			char at[128];

			for (const char *const *n = permission_names; *n && !known; n++)
				known = strcmp(*n, key) == 0;
			snprintf(at, sizeof(at), "permissions.%s", key);
			if (!known)
				return tl_claims_ctx_bad(c, "permissions",
							 "unknown permission '%s'", key);
			if (!json_is_string(v) || (strcmp(json_string_value(v), "read") != 0 &&
						   strcmp(json_string_value(v), "write") != 0 &&
						   strcmp(json_string_value(v), "none") != 0))
				return tl_error_set_at(
					c->err, TL_ERR_INVALID,
					strcmp(key, "id-token") == 0
						? "context.permissions[\"id-token\"]"
						: "context.permissions",
					"permission '%s' must be read, write or none", key);
			if (strcmp(key, "id-token") == 0)
				idtoken = json_string_value(v);
		}
	} else
		return tl_claims_ctx_bad(c, "permissions",
					 "expected a string or an object, found %s",
					 tl_json_type_name(perm));
	if (idtoken && strcmp(idtoken, "write") == 0)
		return 0;
	return tl_claims_refuse(
		refusal,
		"the job's permissions give id-token: %s, not write, so the runner sets "
		"no ACTIONS_ID_TOKEN_REQUEST_URL and the job cannot request a token "
		"(reference §1.10)",
		idtoken ? idtoken : "none");
}

/* Deployment-branch rules of the job's environment (§1.6 "Environment protection gate"). */
static int
check_environment_branches(struct gh *g, struct tl_claims_refusal *refusal)
{
	struct ctx *c = &g->c;
	const json_t *rules = tl_claims_ctx_get(c, "environment_branches");
	const char *name;
	size_t i;
	json_t *rule;

	if (!rules)
		return 0;
	if (!json_is_array(rules))
		return tl_claims_ctx_bad(c, "environment_branches",
					 "expected an array of branch patterns");
	if (!g->environment)
		return tl_claims_ctx_bad(c, "environment_branches", "needs an environment");
	json_array_foreach(rules, i, rule)
	{
		if (!json_is_string(rule) || !*json_string_value(rule))
			return tl_claims_ctx_bad(c, "environment_branches",
						 "item %zu: expected a non-empty string", i);
	}
	/* pull_request jobs are checked against refs/pull/N/merge. */
	name = strncmp(g->ref, "refs/heads/", 11) == 0	? g->ref + 11
	       : strncmp(g->ref, "refs/tags/", 10) == 0 ? g->ref + 10
	       : strncmp(g->ref, "refs/", 5) == 0	? g->ref + 5
							: g->ref;
	json_array_foreach(rules, i, rule)
	{
		if (fnmatch(json_string_value(rule), name, FNM_PATHNAME) == 0)
			return 0;
	}
	return tl_claims_refuse(
		refusal,
		"environment '%s' allows deployments only from matching branches, and "
		"'%s' (checked for a %s job) matches none, so the job never starts "
		"(reference §1.6, changelog 2025-11-07)",
		g->environment, g->ref, g->event);
}

static int
read_issuer(struct gh *g)
{
	struct ctx *c = &g->c;
	bool slug = false;
	const char *host = NULL, *sub = NULL;

	if (g->ghes) {
		if (tl_claims_ctx_name(c, "hostname", "github.example.com", &host) < 0)
			return -1;
		if (strpbrk(host, "/:@?# "))
			return tl_claims_ctx_bad(c, "hostname", "expected a host name, found '%s'",
						 host);
		if (tl_claims_fmt(g->issuer, sizeof(g->issuer), c->err,
				  "https://%s/_services/token", host) < 0 ||
		    tl_claims_fmt(g->audience, sizeof(g->audience), c->err, "https://%s/%s", host,
				  g->owner) < 0)
			return -1;
	} else {
		if (tl_claims_ctx_bool(c, "include_enterprise_slug", false, &slug) < 0 ||
		    tl_claims_ctx_name(c, "ghe_subdomain", NULL, &sub) < 0)
			return -1;
		if (sub && strspn(sub, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(sub))
			return tl_claims_ctx_bad(c, "ghe_subdomain",
						 "expected a subdomain, found '%s'", sub);
		if (slug && !sub && !g->enterprise)
			return tl_claims_ctx_bad(c, "include_enterprise_slug",
						 "needs an enterprise");
		if (sub) {
			/* GHE.com data residency; the enterprise issuer adds /<SUBDOMAIN>. */
			if (tl_claims_fmt(g->issuer, sizeof(g->issuer), c->err,
					  "https://token.actions.%s.ghe.com%s%s", sub,
					  slug ? "/" : "", slug ? sub : "") < 0 ||
			    tl_claims_fmt(g->audience, sizeof(g->audience), c->err,
					  "https://%s.ghe.com/%s", sub, g->owner) < 0)
				return -1;
		} else if (tl_claims_fmt(g->issuer, sizeof(g->issuer), c->err, "%s%s%s",
					 g->p->issuer, slug ? "/" : "",
					 slug ? g->enterprise : "") < 0 ||
			   tl_claims_fmt(g->audience, sizeof(g->audience), c->err,
					 "https://github.com/%s", g->owner) < 0)
			return -1;
	}
	if (g->opt->issuer &&
	    tl_claims_fmt(g->issuer, sizeof(g->issuer), c->err, "%s", g->opt->issuer) < 0)
		return -1;
	return 0;
}

static int
repo_properties(struct gh *g, struct claims_out *o)
{
	struct ctx *c = &g->c;
	const json_t *props = tl_claims_ctx_get(c, "repo_properties");
	const char *name;
	json_t *v;

	if (!props)
		return 0;
	if (!json_is_object(props))
		return tl_claims_ctx_bad(c, "repo_properties", "expected an object, found %s",
					 tl_json_type_name(props));
	json_object_foreach((json_t *)props, name, v)
	{
		char key[160], value[2048] = "";

		if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789_-") != strlen(name))
			return tl_claims_ctx_bad(c, "repo_properties", "bad property name '%s'",
						 name);
		if (tl_claims_fmt(key, sizeof(key), c->err, "repo_property_%s", name) < 0)
			return -1;
		if (json_is_string(v)) {
			if (tl_claims_ctx_copy(c, "repo_properties", json_string_value(v), value,
					       sizeof(value)) < 0)
				return -1;
		} else if (json_is_boolean(v))
			strcpy(value, json_is_true(v) ? "true" : "false");
		else if (json_is_array(v)) {
			/* Multi-select properties are joined with ',' (§1.5). */
			size_t i, used = 0;
			json_t *item;
			json_array_foreach(v, i, item)
			{
				if (!json_is_string(item))
					return tl_claims_ctx_bad(
						c, "repo_properties",
						"property '%s' item %zu: expected a string", name,
						i);
				int n = snprintf(value + used, sizeof(value) - used, "%s%s",
						 i ? "," : "", json_string_value(item));
				if (n < 0 || (size_t)n >= sizeof(value) - used)
					return tl_claims_ctx_bad(c, "repo_properties",
								 "property '%s' is too long", name);
				used += (size_t)n;
			}
		} else
			return tl_claims_ctx_bad(
				c, "repo_properties",
				"property '%s': expected a string, boolean or array, found %s",
				name, tl_json_type_name(v));
		tl_claims_out_str(o, key, value);
	}
	return 0;
}

static int
github_build(const struct tl_claims_profile *p, const json_t *context,
	     const struct tl_claims_options *opt, json_t **claims_out,
	     struct tl_claims_refusal *refusal, struct tl_error *err)
{
	struct gh g;
	struct ctx *c = &g.c;
	struct claims_out body = {json_object(), false}, all = {json_object(), false};
	char repo_id[CTX_ID_MAX], owner_id[CTX_ID_MAX], actor_id[CTX_ID_MAX], run_id[CTX_ID_MAX],
		run_number[CTX_ID_MAX], run_attempt[CTX_ID_MAX], check_run_id[CTX_ID_MAX],
		enterprise_id[CTX_ID_MAX], workflow_sha[41], job_workflow_sha[41], jti[TL_UUID_LEN];
	char workflow_ref[2048], env_node_id[128];
	const char *visibility, *actor, *workflow, *workflow_path, *job_workflow_ref, *runner_env,
		*env_node_given;
	const json_t *keys = NULL, *tmpl;
	json_t *aud = NULL, *bodyobj = NULL, *result = NULL;
	char *sub = NULL;
	bool ref_protected;
	int rc = -1;

	memset(&g, 0, sizeof(g));
	g.p = p;
	g.opt = opt;
	g.ghes = p == &tl_claims_ghes;
	if (tl_claims_ctx_init(c, context, g.ghes ? ghes_fields : github_fields, opt->rng, err) < 0)
		goto out;
	if (read_repository(&g) < 0 ||
	    tl_claims_ctx_enum(c, "event", events, "push", &g.event) < 0 ||
	    tl_claims_ctx_bool(c, "fork", false, &g.fork) < 0 || read_ref(&g) < 0 ||
	    read_pr_refs(&g) < 0 || tl_claims_ctx_id(c, "repository_id", 9, repo_id) < 0 ||
	    tl_claims_ctx_id(c, "repository_owner_id", 8, owner_id) < 0 ||
	    tl_claims_ctx_enum(c, "repository_visibility", visibilities, "private", &visibility) <
		    0 ||
	    tl_claims_ctx_name(c, "actor", g.owner, &actor) < 0 ||
	    tl_claims_ctx_id(c, "actor_id", 8, actor_id) < 0 ||
	    tl_claims_ctx_name(c, "workflow", "CI", &workflow) < 0 ||
	    tl_claims_ctx_name(c, "workflow_path", ".github/workflows/ci.yml", &workflow_path) <
		    0 ||
	    tl_claims_ctx_name(c, "job_workflow_ref", NULL, &job_workflow_ref) < 0 ||
	    tl_claims_ctx_name(c, "environment", NULL, &g.environment) < 0 ||
	    tl_claims_ctx_name(c, "environment_node_id", NULL, &env_node_given) < 0 ||
	    tl_claims_ctx_enum(c, "runner_environment", runner_environments, "github-hosted",
			       &runner_env) < 0 ||
	    tl_claims_ctx_id(c, "run_id", 11, run_id) < 0 ||
	    tl_claims_ctx_id(c, "run_number", 2, run_number) < 0 ||
	    tl_claims_ctx_id(c, "check_run_id", 11, check_run_id) < 0 ||
	    tl_claims_ctx_bool(c, "ref_protected", false, &ref_protected) < 0 ||
	    tl_claims_ctx_name(c, "enterprise", NULL, &g.enterprise) < 0 ||
	    tl_claims_ctx_id(c, "enterprise_id", 5, enterprise_id) < 0 ||
	    tl_claims_ctx_bool(c, "immutable_subject", false, &g.immutable) < 0)
		goto out;
	/* Defaults that follow other fields rather than the seed. */
	if (!tl_claims_ctx_get(c, "actor_id") && strcmp(actor, g.owner) == 0)
		strcpy(actor_id, owner_id);
	if (!tl_claims_ctx_get(c, "run_attempt"))
		strcpy(run_attempt, "1");
	else if (tl_claims_ctx_id(c, "run_attempt", 1, run_attempt) < 0)
		goto out;
	if (!tl_claims_ctx_get(c, "workflow_sha"))
		strcpy(workflow_sha, g.sha);
	else if (tl_claims_ctx_hex(c, "workflow_sha", 40, workflow_sha) < 0)
		goto out;
	if (!tl_claims_ctx_get(c, "job_workflow_sha") && !job_workflow_ref)
		strcpy(job_workflow_sha, workflow_sha);
	else if (tl_claims_ctx_hex(c, "job_workflow_sha", 40, job_workflow_sha) < 0)
		goto out;
	if (tl_claims_ctx_get(c, "enterprise_id") && !g.enterprise) {
		tl_claims_ctx_bad(c, "enterprise_id", "needs an enterprise");
		goto out;
	}
	if (env_node_given && !g.environment) {
		tl_claims_ctx_bad(c, "environment_node_id", "needs an environment");
		goto out;
	}
	if (g.ghes && g.immutable) {
		tl_claims_ctx_bad(c, "immutable_subject",
				  "is not available on GitHub Enterprise Server");
		goto out;
	}
	if (strchr(workflow_path, '@') || workflow_path[0] == '/') {
		tl_claims_ctx_bad(c, "workflow_path",
				  "expected a path such as .github/workflows/ci.yml");
		goto out;
	}
	if (job_workflow_ref && !strchr(job_workflow_ref, '@')) {
		tl_claims_ctx_bad(c, "job_workflow_ref",
				  "expected OWNER/REPO/PATH@REF (the called workflow), found '%s'",
				  job_workflow_ref);
		goto out;
	}
	if (read_issuer(&g) < 0)
		goto out;

	/* Eligibility (§1.10): a fork's pull_request never sees the request URL. */
	if (g.fork && is_pr_family(g.event)) {
		rc = tl_claims_refuse(
			refusal,
			"%s from a fork: GitHub caps id-token at none for pull requests "
			"from forks, ACTIONS_ID_TOKEN_REQUEST_URL is unset and no token "
			"can be requested (reference §1.10)",
			g.event);
		goto out;
	}
	if (is_pr_family(g.event) && strcmp(actor, "dependabot[bot]") == 0) {
		rc = tl_claims_refuse(
			refusal,
			"%s opened by Dependabot runs like a fork's: read-only token, no "
			"id-token (reference §1.10)",
			g.event);
		goto out;
	}
	if ((rc = read_permissions(&g, refusal)) != 0)
		goto out;
	rc = -1;
	if (g.environment && (rc = check_environment_branches(&g, refusal)) != 0)
		goto out;
	rc = -1;
	if (!g.environment && tl_claims_ctx_get(c, "environment_branches")) {
		tl_claims_ctx_bad(c, "environment_branches", "needs an environment");
		goto out;
	}

	/* workflow_ref: the top-level workflow file at the run's ref (or SHA). */
	if (tl_claims_fmt(workflow_ref, sizeof(workflow_ref), err, "%s/%s@%s", g.repository,
			  workflow_path, g.ref[0] ? g.ref : g.sha) < 0)
		goto out;
	if (g.environment) {
		if (env_node_given) {
			if (tl_claims_ctx_copy(c, "environment_node_id", env_node_given,
					       env_node_id, sizeof(env_node_id)) < 0)
				goto out;
		} else {
			strcpy(env_node_id, "EN_kwDO");
			if (tl_claims_ctx_random(
				    c, "environment_node_id",
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456"
				    "789",
				    env_node_id + 7, 12) < 0)
				goto out;
		}
	}

	/* The claims after sub/aud, in the order of the real tokens (§1.5). */
	tl_claims_out_str(&body, "ref", g.ref);
	tl_claims_out_str(&body, "sha", g.sha);
	tl_claims_out_str(&body, "repository", g.repository);
	tl_claims_out_str(&body, "repository_owner", g.owner);
	tl_claims_out_str(&body, "repository_owner_id", owner_id);
	tl_claims_out_str(&body, "run_id", run_id);
	tl_claims_out_str(&body, "run_number", run_number);
	tl_claims_out_str(&body, "run_attempt", run_attempt);
	tl_claims_out_str(&body, "repository_visibility", visibility);
	tl_claims_out_str(&body, "repository_id", repo_id);
	tl_claims_out_str(&body, "actor_id", actor_id);
	tl_claims_out_str(&body, "actor", actor);
	tl_claims_out_str(&body, "workflow", workflow);
	tl_claims_out_str(&body, "head_ref", g.head_ref);
	tl_claims_out_str(&body, "base_ref", g.base_ref);
	tl_claims_out_str(&body, "event_name", g.event);
	tl_claims_out_bool_str(&body, "ref_protected", ref_protected);
	tl_claims_out_str(&body, "ref_type",
			  strncmp(g.ref, "refs/tags/", 10) == 0 ? "tag" : "branch");
	tl_claims_out_str(&body, "workflow_ref", workflow_ref);
	tl_claims_out_str(&body, "workflow_sha", workflow_sha);
	if (g.environment) {
		tl_claims_out_str(&body, "environment", g.environment);
		tl_claims_out_str(&body, "environment_node_id", env_node_id);
	}
	tl_claims_out_str(&body, "job_workflow_ref",
			  job_workflow_ref ? job_workflow_ref : workflow_ref);
	tl_claims_out_str(&body, "job_workflow_sha", job_workflow_sha);
	tl_claims_out_str(&body, "runner_environment", runner_env);
	if (g.enterprise) {
		tl_claims_out_str(&body, "enterprise", g.enterprise);
		tl_claims_out_str(&body, "enterprise_id", enterprise_id);
	}
	if (repo_properties(&g, &body) < 0)
		goto out;
	tl_claims_out_str(&body, "check_run_id", check_run_id);
	if (!(bodyobj = tl_claims_out_finish(&body, err)))
		goto out;

	/* sub: the context's template, else the issuer's configured ones. */
	tmpl = tl_claims_ctx_get(c, "sub_template");
	if (tmpl) {
		static const char *const parts[] = {"org", "repo", NULL};
		struct tl_jpath jp;

		tl_jpath_init(&jp, "context.sub_template");
		if (tl_json_expect(tmpl, JSON_OBJECT, &jp, err) < 0 ||
		    tl_json_only_keys(tmpl, parts, &jp, err) < 0 ||
		    tl_claims_github_template(json_object_get(tmpl, "org"),
					      json_object_get(tmpl, "repo"), "context.sub_template",
					      &keys, err) < 0)
			goto out;
	} else if (tl_claims_github_template(opt->org_sub_template, opt->repo_sub_template,
					     "options.sub_template", &keys, err) < 0)
		goto out;
	if ((rc = tl_claims_github_sub(bodyobj, g.immutable, keys, &sub, refusal, err)) != 0)
		goto out;
	rc = -1;
	if (tl_claims_audience(opt, g.audience, false, &aud, err) < 0 ||
	    tl_claims_ctx_random_uuid(c, "jti", jti) < 0)
		goto out;

	tl_claims_out_str(&all, "jti", jti);
	tl_claims_out_str(&all, "sub", sub);
	tl_claims_out_json(&all, "aud", aud);
	aud = NULL;
	if (all.obj && json_object_update(all.obj, bodyobj) < 0)
		all.nomem = true;
	tl_claims_out_str(&all, "iss", g.issuer);
	tl_claims_out_int(&all, "nbf", opt->now + p->nbf_offset);
	tl_claims_out_int(&all, "exp", opt->now + p->lifetime);
	tl_claims_out_int(&all, "iat", opt->now);
	if (!(result = tl_claims_out_finish(&all, err)))
		goto out;
	*claims_out = result;
	rc = 0;
out:
	json_decref(body.obj);
	json_decref(all.obj);
	json_decref(bodyobj);
	json_decref(aud);
	free(sub);
	tl_claims_ctx_finish(c);
	return rc;
}

static const char *const github_condition_claims[] = {
	"actor", "actor_id",   "enterprise_id", "environment",	       "job_workflow_ref",
	"ref",	 "repository", "repository_id", "repository_owner_id", "workflow",
	NULL,
};

/* AWS has no GHES-specific keys (reference/sts.md §3.9): only aud/sub. */
static const char *const ghes_condition_claims[] = {NULL};

/* §1.2's list plus the claims it lags behind on. */
static const char *const github_claims_supported[] = {
	"sub",
	"aud",
	"exp",
	"iat",
	"iss",
	"jti",
	"nbf",
	"ref",
	"sha",
	"repository",
	"repository_id",
	"repository_owner",
	"repository_owner_id",
	"enterprise",
	"enterprise_id",
	"run_id",
	"run_number",
	"run_attempt",
	"actor",
	"actor_id",
	"workflow",
	"workflow_ref",
	"workflow_sha",
	"head_ref",
	"base_ref",
	"event_name",
	"ref_type",
	"ref_protected",
	"environment",
	"environment_node_id",
	"job_workflow_ref",
	"job_workflow_sha",
	"repository_visibility",
	"runner_environment",
	"check_run_id",
	NULL,
};

const struct tl_claims_profile tl_claims_github = {
	.name = "github",
	.title = "GitHub Actions",
	.reference = "reference/issuer.md §1",
	.issuer = "https://token.actions.githubusercontent.com",
	.audience = NULL, /* https://github.com/<owner> */
	.jwks_path = "/.well-known/jwks",
	.alg = "RS256",
	.typ = "JWT",
	.x5t = true,
	.kid_style = TL_CLAIMS_KID_CERT_SHA1_HEX,
	.has_nbf = true,
	.nbf_offset = -600,
	.lifetime = 300,
	.aws_condition_claims = github_condition_claims,
	.context_fields = github_fields,
	.claims_supported = github_claims_supported,
	.build = github_build,
};

const struct tl_claims_profile tl_claims_ghes = {
	.name = "github-enterprise-server",
	.title = "GitHub Enterprise Server",
	.reference = "reference/issuer.md §1.1",
	.issuer = "https://%s/_services/token",
	.audience = NULL, /* https://<hostname>/<owner> */
	.jwks_path = "/.well-known/jwks",
	.alg = "RS256",
	.typ = "JWT",
	.x5t = true,
	.kid_style = TL_CLAIMS_KID_CERT_SHA1_HEX,
	.has_nbf = true,
	.nbf_offset = -600,
	.lifetime = 300,
	.aws_condition_claims = ghes_condition_claims,
	.context_fields = ghes_fields,
	.claims_supported = github_claims_supported,
	.build = github_build,
};
