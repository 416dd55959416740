/* SPDX-License-Identifier: MIT */
/*
 * The probe's candidate generator: bases (intended contexts) times one
 * change each, the values from a fixed list and from the policies' own
 * literals and wildcards. See probe.h and docs/probe.md.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/random.h"

#include "claims/claims.h"
#include "probe/probe.h"

#define MAX_GENERATED 20000
#define NAME_MAX_LEN 512

static const char *const kind_names[] = {
#define X(id, name, title) name,
	TL_PROBE_FOR_EACH_KIND(X)
#undef X
};
static const char *const kind_titles[] = {
#define X(id, name, title) title,
	TL_PROBE_FOR_EACH_KIND(X)
#undef X
};

/* One sentence per kind: what closes it in the trust policy. */
static const char *const kind_hints[] = {
	[TL_PROBE_INTENDED] = "",
	[TL_PROBE_FOREIGN_OWNER] = "pin the owner: a literal 'repo:OWNER/REPO:' (GitLab "
				   "'project_path:GROUP/PROJECT:') prefix in sub, never a wildcard "
				   "in the owner or the repository's place",
	[TL_PROBE_SIBLING] = "end the repository name with ':' ('repo:acme/app:...') and list "
			     "each repository; 'repo:acme/app*' also matches acme/app-anything",
	[TL_PROBE_CASE_VARIANT] = "match the name case-sensitively (StringEquals/StringLike, not "
				  "...IgnoreCase), or use the immutable subject "
				  "'repo:OWNER@ID/REPO@ID'",
	[TL_PROBE_FORK] =
		"require the protected ref of the parent (sub with ':ref:refs/heads/main' "
		"or GitLab ref_protected true); fork pipelines must not reach this role",
	[TL_PROBE_PR_TARGET] = "do not trust 'repo:O/R:pull_request' on a privileged role: "
			       "pull_request_target from a fork gets that sub; also require the "
			       "ref condition 'refs/pull/*/merge' or use a read-only role",
	[TL_PROBE_PULL_REQUEST] = "pin the ref (':ref:refs/heads/main') or the environment; pull "
				  "and merge request subjects belong on a read-only role only",
	[TL_PROBE_TAG] = "write the full branch ref ('ref:refs/heads/main'), not 'refs/*/main' or "
			 "'*'; for release tags require protected tags (GitLab ref_protected, "
			 "GitHub tag rulesets)",
	[TL_PROBE_BRANCH] = "pin the branch in sub (':ref:refs/heads/main') instead of '*', or "
			    "gate the role on an environment with deployment-branch rules",
	[TL_PROBE_UNPROTECTED] = "require ref_protected true (GitLab sub component "
				 "'ref_protected:true' or the condition key)",
	[TL_PROBE_ENVIRONMENT] = "name the environment exactly ('environment:production', no "
				 "'*'); on GitLab also require environment_protected",
	[TL_PROBE_WORKFLOW] = "pin job_workflow_ref with StringEquals to the central repository, "
			      "workflow file and a protected ref",
	[TL_PROBE_REPOSITORY_ID] = "use the immutable subject 'repo:OWNER@OWNER_ID/REPO@REPO_ID' "
				   "or a condition on repository_id",
	[TL_PROBE_AUDIENCE] = "add StringEquals on '<provider>:aud' with the one client id "
			      "this role is for",
	[TL_PROBE_PROVIDER] = "give each provider its own statement with its own sub and aud "
			      "conditions; drop the providers this role is not for",
	[TL_PROBE_FIELD] = "pin the field exactly (StringEquals, no '*') in sub or in its "
			   "condition key",
	[TL_PROBE_OTHER_ROLE] = "if this role is not meant for that context, pin what separates "
				"them (ref, environment, event) in sub",
};

const char *
tl_probe_kind_name(enum tl_probe_kind k)
{
	return k < TL_PROBE_KIND_COUNT ? kind_names[k] : "?";
}

const char *
tl_probe_kind_title(enum tl_probe_kind k)
{
	return k < TL_PROBE_KIND_COUNT ? kind_titles[k] : "?";
}

const char *
tl_probe_kind_hint(enum tl_probe_kind k)
{
	return k < TL_PROBE_KIND_COUNT ? kind_hints[k] : "";
}

void
tl_probe_space_init(struct tl_probe_space *s)
{
	memset(s, 0, sizeof(*s));
}

void
tl_probe_space_finish(struct tl_probe_space *s)
{
	for (size_t i = 0; s && i < s->count; i++) {
		struct tl_probe_candidate *c = &s->items[i];
		free(c->profile);
		json_decref(c->context);
		free(c->audience);
		free(c->label);
		free(c->sub);
	}
	if (s) {
		free(s->items);
		json_decref(s->audiences);
		memset(s, 0, sizeof(*s));
	}
}

/* --- identity ------------------------------------------------------------ */

/* Context fields that never reach an identity claim AWS can condition on. */
static const char *const noise_fields[] = {
	"actor",
	"actor_id",
	"sha",
	"workflow_sha",
	"job_workflow_sha",
	"run_id",
	"run_number",
	"run_attempt",
	"check_run_id",
	"pr_number",
	"head_ref",
	"user_login",
	"user_id",
	"user_email",
	"pipeline_id",
	"job_id",
	"commit",
	"build_number",
	"runner_id",
	"job_timeout",
	"workflow",
	"environment_node_id",
	"vcs_sha",
	"step_uuid",
	"pipeline_uuid",
	"pod",
	"pod_uid",
	"agent_id",
	"run_id",
	"workflow_path",
	"permissions",
	NULL,
};

static bool
is_github(const char *profile)
{
	return strcmp(profile, "github") == 0 || strcmp(profile, "github-enterprise-server") == 0;
}

static const char *
str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : dflt;
}

/* The context with defaults filled where they matter and noise removed. */
static json_t *
identity(const char *profile, const json_t *ctx)
{
	json_t *o = json_is_object(ctx) ? json_deep_copy(ctx) : json_object();
	const char *key;
	json_t *v, *tmp;

	if (!o)
		return NULL;
	json_object_foreach_safe(o, tmp, key, v) if (json_is_null(v)) json_object_del(o, key);
	for (size_t i = 0; noise_fields[i]; i++)
		json_object_del(o, noise_fields[i]);
	if (is_github(profile)) {
		char event[64];
		/* Events that run on a branch name it in `ref`; these three
		 * default to the default branch, as the profile does. (A copy:
		 * setting "event" frees the old string.) */
		snprintf(event, sizeof(event), "%s", str_or(o, "event", "push"));
		if (strcmp(event, "workflow_dispatch") == 0 || strcmp(event, "schedule") == 0)
			snprintf(event, sizeof(event), "push");
		json_object_set_new(o, "event", json_string(event));
		if (!json_object_get(o, "ref") && strcmp(event, "push") == 0) {
			char ref[NAME_MAX_LEN];
			snprintf(ref, sizeof(ref), "refs/heads/%s",
				 str_or(o, "default_branch", "main"));
			json_object_set_new(o, "ref", json_string(ref));
		}
		if (json_is_false(json_object_get(o, "fork")))
			json_object_del(o, "fork");
	} else if (strcmp(profile, "gitlab") == 0) {
		char type[64], dflt[NAME_MAX_LEN];
		snprintf(type, sizeof(type), "%s", str_or(o, "ref_type", "branch"));
		snprintf(dflt, sizeof(dflt), "%s", str_or(o, "default_branch", "main"));
		if (!json_object_get(o, "ref_type"))
			json_object_set_new(o, "ref_type", json_string(type));
		if (!json_object_get(o, "pipeline_source"))
			json_object_set_new(o, "pipeline_source", json_string("push"));
		if (!json_object_get(o, "ref") && strcmp(type, "branch") == 0 &&
		    strcmp(str_or(o, "pipeline_source", "push"), "merge_request_event") != 0)
			json_object_set_new(o, "ref", json_string(dflt));
		if (!json_object_get(o, "ref_protected")) {
			const char *ref = str_or(o, "ref", "");
			json_object_set_new(o, "ref_protected",
					    json_boolean(strcmp(type, "branch") == 0 &&
							 strcmp(ref, dflt) == 0 &&
							 !json_object_get(o, "fork_project_path")));
		}
	}
	return o;
}

bool
tl_probe_same_identity(const char *profile, const json_t *a, const char *aud_a, const json_t *b,
		       const char *aud_b)
{
	json_t *ia, *ib;
	bool same;

	if (strcmp(aud_a ? aud_a : "", aud_b ? aud_b : "") != 0)
		return false;
	ia = identity(profile, a);
	ib = identity(profile, b);
	same = ia && ib && json_equal(ia, ib);
	json_decref(ia);
	json_decref(ib);
	return same;
}

const char *
tl_probe_principal_profile(const char *arn)
{
	const char *host = arn ? strstr(arn, ":oidc-provider/") : NULL;
	const struct tl_claims_profile *const *all = tl_claims_profiles();

	if (!host)
		return NULL;
	host += strlen(":oidc-provider/");
	for (size_t i = 0; all[i]; i++) {
		const char *iss = all[i]->issuer, *pct;
		size_t n;
		if (!iss || strncmp(iss, "https://", 8) != 0)
			continue;
		iss += 8;
		pct = strstr(iss, "%s");
		n = pct ? (size_t)(pct - iss) : strlen(iss);
		if (pct ? strncmp(host, iss, n) == 0 && n > 0 : strcmp(host, iss) == 0)
			return all[i]->name;
	}
	return NULL;
}

/* --- seeds: the policies' own literals and wildcards ------------------- */

struct seeds {
	json_t *repos; /* GitHub OWNER/REPO patterns */
	json_t *refs; /* GitHub full refs */
	json_t *envs; /* environment names (both providers) */
	json_t *workflows; /* job_workflow_ref values */
	json_t *projects; /* GitLab project paths */
	json_t *gl_refs; /* GitLab short refs */
	json_t *auds; /* aud values */
};

static void
seed_add(json_t *set, const char *text, size_t len)
{
	json_t *v = json_stringn(text, len);
	size_t i;
	json_t *have;

	if (!v || len == 0 || len >= NAME_MAX_LEN) {
		json_decref(v);
		return;
	}
	json_array_foreach(set, i, have) if (json_equal(have, v))
	{
		json_decref(v);
		return;
	}
	json_array_append_new(set, v);
}

/* Drops the "@ID" parts of an immutable `repo:OWNER@1/REPO@2` name. */
static void
seed_repo(json_t *set, const char *text, size_t len)
{
	char out[NAME_MAX_LEN];
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < sizeof(out); i++) {
		if (text[i] == '@') {
			while (i + 1 < len && text[i + 1] != '/')
				i++;
			continue;
		}
		out[n++] = text[i];
	}
	seed_add(set, out, n);
}

/* "key:value:key:value" pairs of a sub, each value by its key. */
static void
seed_pairs(struct seeds *s, const char *text, bool gitlab)
{
	const char *p = text;

	while (*p) {
		const char *colon = strchr(p, ':'), *vend;
		size_t klen;
		if (!colon)
			break;
		klen = (size_t)(colon - p);
		vend = strchr(colon + 1, ':');
		if (!vend)
			vend = colon + 1 + strlen(colon + 1);
#define KEY_IS(k) (klen == strlen(k) && strncmp(p, k, klen) == 0)
		if (!gitlab && KEY_IS("repo"))
			seed_repo(s->repos, colon + 1, (size_t)(vend - colon - 1));
		else if (!gitlab && KEY_IS("ref"))
			seed_add(s->refs, colon + 1, (size_t)(vend - colon - 1));
		else if (KEY_IS("environment"))
			seed_add(s->envs, colon + 1, (size_t)(vend - colon - 1));
		else if (!gitlab && KEY_IS("job_workflow_ref"))
			seed_add(s->workflows, colon + 1, (size_t)(vend - colon - 1));
		else if (gitlab && KEY_IS("project_path"))
			seed_add(s->projects, colon + 1, (size_t)(vend - colon - 1));
		else if (gitlab && KEY_IS("ref"))
			seed_add(s->gl_refs, colon + 1, (size_t)(vend - colon - 1));
#undef KEY_IS
		p = *vend ? vend + 1 : vend;
	}
}

static void
seed_value(struct seeds *s, const char *key, const char *value)
{
	const char *suffix = strrchr(key, ':');

	suffix = suffix ? suffix + 1 : key;
	if (strcasecmp(suffix, "sub") == 0) {
		if (strncmp(value, "repo:", 5) == 0)
			seed_pairs(s, value, false);
		else if (strncmp(value, "project_path:", 13) == 0)
			seed_pairs(s, value, true);
	} else if (strcasecmp(suffix, "ref") == 0 && strncmp(value, "refs/", 5) == 0) {
		seed_add(s->refs, value, strlen(value));
	} else if (strcasecmp(suffix, "environment") == 0) {
		seed_add(s->envs, value, strlen(value));
	} else if (strcasecmp(suffix, "job_workflow_ref") == 0) {
		seed_add(s->workflows, value, strlen(value));
	} else if (strcasecmp(suffix, "repository") == 0) {
		seed_repo(s->repos, value, strlen(value));
	} else if (strcasecmp(suffix, "aud") == 0 && s->auds) {
		seed_add(s->auds, value, strlen(value));
	}
}

static void
seed_policy(struct seeds *s, const json_t *policy)
{
	const json_t *stmts = json_object_get(policy, "Statement");
	json_t *one = NULL;
	size_t i;
	const json_t *st;

	if (json_is_object(stmts)) {
		one = json_array();
		json_array_append(one, (json_t *)stmts);
		stmts = one;
	}
	json_array_foreach(stmts, i, st)
	{
		const char *op, *key;
		json_t *keys, *values;
		json_object_foreach((json_t *)json_object_get(st, "Condition"), op, keys)
		{
			json_object_foreach(keys, key, values)
			{
				if (json_is_string(values)) {
					seed_value(s, key, json_string_value(values));
				} else {
					size_t j;
					json_t *v;
					json_array_foreach(values, j, v) if (json_is_string(v))
						seed_value(s, key, json_string_value(v));
				}
			}
		}
	}
	json_decref(one);
}

/* `pattern` with each '*' replaced by `filler` and each '?' by 'x'. */
static void
instantiate(const char *pattern, const char *filler, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = pattern; *p && n + 1 < size; p++) {
		if (*p == '*') {
			for (const char *f = filler; *f && n + 1 < size; f++)
				out[n++] = *f;
		} else {
			out[n++] = *p == '?' ? 'x' : *p;
		}
	}
	out[n] = '\0';
}

static bool
has_wildcard(const char *s)
{
	return strpbrk(s, "*?") != NULL;
}

/* --- the space ------------------------------------------------------------ */

struct gen {
	struct tl_probe_space *out;
	const struct tl_probe_base *bases;
	size_t nbases;
	size_t max;
	json_t *seen; /* identity keys */
	const json_t *registered;
	struct tl_rng rng;
	struct tl_error *err;
	int failed;
};

static void
note_audience(struct gen *g, const char *profile, const char *aud)
{
	json_t *list = json_object_get(g->out->audiences, profile);
	size_t i;
	json_t *v;

	if (!list) {
		list = json_array();
		json_object_set_new(g->out->audiences, profile, list);
	}
	if (!aud)
		return;
	json_array_foreach(list, i, v) if (strcmp(json_string_value(v), aud) == 0) return;
	json_array_append_new(list, json_string(aud));
}

/*
 * Adds one candidate (steals `ctx`): kept when the profile builds a token
 * for it and no candidate with the same identity is there yet.
 */
static void add(struct gen *g, size_t base, const char *profile, json_t *ctx, const char *aud,
		enum tl_probe_kind kind, const char *fmt, ...) TL_PRINTF(7, 8);

static void
add(struct gen *g, size_t base, const char *profile, json_t *ctx, const char *aud,
    enum tl_probe_kind kind, const char *fmt, ...)
{
	const struct tl_claims_profile *p = tl_claims_profile_find(profile);
	struct tl_claims_options copt = {.now = 1767225600, .rng = &g->rng};
	struct tl_claims_refusal refusal;
	json_t *claims = NULL, *id = NULL, *audv = aud ? json_string(aud) : NULL;
	struct tl_probe_candidate *c;
	char *key = NULL, *idtext = NULL, label[1024];
	va_list ap;
	int rc;

	if (g->failed || !ctx || !p)
		goto out;
	if (g->out->count + g->out->dropped >= MAX_GENERATED)
		goto out;
	copt.audience = audv;
	rc = tl_claims_build(p, ctx, &copt, &claims, &refusal, NULL);
	if (rc != 0) /* not a context the provider accepts, or no token at all */
		goto out;
	id = identity(profile, ctx);
	idtext = id ? json_dumps(id, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!idtext || asprintf(&key, "%s\n%s\n%s", profile, aud ? aud : "", idtext) < 0) {
		key = NULL;
		g->failed = tl_error_set(g->err, TL_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (json_object_get(g->seen, key))
		goto out;
	json_object_set_new(g->seen, key, json_true());
	if (g->out->count >= g->max) {
		g->out->dropped++;
		goto out;
	}
	if (g->out->count == g->out->cap) {
		size_t ncap = g->out->cap ? g->out->cap * 2 : 64;
		struct tl_probe_candidate *grown =
			realloc(g->out->items, ncap * sizeof(*g->out->items));
		if (!grown) {
			g->failed = tl_error_set(g->err, TL_ERR_NOMEM, "out of memory");
			goto out;
		}
		g->out->items = grown;
		g->out->cap = ncap;
	}
	va_start(ap, fmt);
	vsnprintf(label, sizeof(label), fmt, ap);
	va_end(ap);
	c = &g->out->items[g->out->count];
	memset(c, 0, sizeof(*c));
	c->profile = strdup(profile);
	c->audience = aud ? strdup(aud) : NULL;
	c->label = strdup(label);
	c->sub = strdup(str_or(claims, "sub", ""));
	c->kind = kind;
	c->base = base;
	c->context = ctx;
	ctx = NULL;
	g->out->count++;
	if (!c->profile || !c->label || !c->sub || (aud && !c->audience))
		g->failed = tl_error_set(g->err, TL_ERR_NOMEM, "out of memory");
	note_audience(g, profile, aud);
out:
	free(key);
	free(idtext);
	json_decref(id);
	json_decref(claims);
	json_decref(audv);
	json_decref(ctx);
}

static json_t *
with(const json_t *base, const char *key, json_t *value)
{
	json_t *o = json_deep_copy(base);
	if (o)
		json_object_set_new(o, key, value);
	else
		json_decref(value);
	return o;
}

/* A repository or project name relative to the base's: which kind it is. */
static enum tl_probe_kind
name_kind(const char *base, const char *cand)
{
	const char *bs = strchr(base, '/'), *cs = strchr(cand, '/');
	size_t bo = bs ? (size_t)(bs - base) : strlen(base);
	size_t co = cs ? (size_t)(cs - cand) : strlen(cand);

	if (strcasecmp(base, cand) == 0)
		return TL_PROBE_CASE_VARIANT;
	if (bo != co || strncasecmp(base, cand, bo) != 0)
		return TL_PROBE_FOREIGN_OWNER;
	return TL_PROBE_SIBLING;
}

/* OWNER/NAME split; the name is the last path segment. */
static void
split_name(const char *full, char *owner, size_t osize, char *name, size_t nsize)
{
	const char *first = strchr(full, '/'), *last = strrchr(full, '/');

	snprintf(owner, osize, "%.*s", first ? (int)(first - full) : (int)strlen(full), full);
	snprintf(name, nsize, "%s", last ? last + 1 : full);
}

static void
cap_first(char *s)
{
	for (char *p = s; *p; p++)
		if (p == s || p[-1] == '/')
			*p = (char)toupper((unsigned char)*p);
}

/* Appends each seeded pattern to `out`: literal, or instantiated with each filler. */
static void
add_instances(json_t *out, const json_t *seeded, const char *const *fillers)
{
	char buf[NAME_MAX_LEN];
	size_t i;
	json_t *v;

	json_array_foreach(seeded, i, v)
	{
		const char *pat = json_string_value(v);
		if (!has_wildcard(pat)) {
			seed_add(out, pat, strlen(pat));
			continue;
		}
		for (size_t f = 0; fillers[f]; f++) {
			instantiate(pat, fillers[f], buf, sizeof(buf));
			seed_add(out, buf, strlen(buf));
		}
	}
}

/* The repository/project variants of `full`: fixed, then seeded. */
static json_t *
name_variants(const char *full, const json_t *seeded, const char *const *fillers)
{
	json_t *out = json_array();
	char owner[NAME_MAX_LEN / 2], name[NAME_MAX_LEN / 2], buf[NAME_MAX_LEN * 2];

	if (!out)
		return NULL;
	split_name(full, owner, sizeof(owner), name, sizeof(name));
	snprintf(buf, sizeof(buf), "%s-evil", full);
	seed_add(out, buf, strlen(buf));
	snprintf(buf, sizeof(buf), "%s2", full);
	seed_add(out, buf, strlen(buf));
	snprintf(buf, sizeof(buf), "%s-evil/%s", owner, name);
	seed_add(out, buf, strlen(buf));
	snprintf(buf, sizeof(buf), "evil/%s", name);
	seed_add(out, buf, strlen(buf));
	snprintf(buf, sizeof(buf), "%s/probe", owner);
	seed_add(out, buf, strlen(buf));
	snprintf(buf, sizeof(buf), "%s", full);
	cap_first(buf);
	seed_add(out, buf, strlen(buf));
	add_instances(out, seeded, fillers);
	return out;
}

static const char *const name_fillers[] = {"-probe", "2", "probe", "probe/app", NULL};
static const char *const ref_fillers[] = {"tags",	"heads",  "probe", "heads/probe",
					  "tags/probe", "-probe", NULL};
static const char *const env_fillers[] = {"-sandbox", "probe", NULL};
static const char *const short_fillers[] = {"-probe", "probe", NULL};

/* Every value of the seeded patterns, instantiated. */
static json_t *
instances(const json_t *seeded, const char *const *fillers)
{
	json_t *out = json_array();

	if (out)
		add_instances(out, seeded, fillers);
	return out;
}

/* --- mutation families ----------------------------------------------- */

enum family {
	FAM_NAMES,
	FAM_EVENTS,
	FAM_REFS,
	FAM_ENVS,
	FAM_WORKFLOWS,
	FAM_IDS,
	FAM_AUDIENCES,
	FAM_PROVIDERS,
	FAM_FIELDS,
	FAM_COUNT,
};

/*
 * One candidate per name of `names` other than `current`: `field` set to
 * it, the ids that belong to the old name (`id1`, `id2`) removed.
 */
static void
rename_candidates(struct gen *g, size_t bi, const char *field, const char *current,
		  const json_t *names, const char *id1, const char *id2, const char *what)
{
	const struct tl_probe_base *b = &g->bases[bi];
	size_t i;
	json_t *v;

	json_array_foreach(names, i, v)
	{
		const char *n = json_string_value(v);
		json_t *ctx;
		if (strcmp(n, current) == 0)
			continue;
		ctx = with(b->context, field, json_string(n));
		if (ctx) {
			json_object_del(ctx, id1);
			json_object_del(ctx, id2);
		}
		add(g, bi, b->profile, ctx, b->audience, name_kind(current, n), "%s '%s'", what, n);
	}
}

static void
github_names(struct gen *g, size_t bi, const struct seeds *s)
{
	const char *repo = str_or(g->bases[bi].context, "repository", NULL);
	json_t *names;

	if (!repo)
		return;
	names = name_variants(repo, s->repos, name_fillers);
	rename_candidates(g, bi, "repository", repo, names, "repository_id", "repository_owner_id",
			  "repository");
	json_decref(names);
}

static void
github_events(struct gen *g, size_t bi)
{
	const struct tl_probe_base *b = &g->bases[bi];
	const char *repo = str_or(b->context, "repository", "?");
	json_t *ctx;

	if (!json_object_get(b->context, "repository"))
		return;
	ctx = with(b->context, "event", json_string("pull_request_target"));
	if (ctx) {
		json_object_del(ctx, "ref");
		json_object_set_new(ctx, "fork", json_true());
	}
	add(g, bi, b->profile, ctx, b->audience, TL_PROBE_PR_TARGET,
	    "pull_request_target from a fork of %s", repo);
	ctx = with(b->context, "event", json_string("pull_request"));
	if (ctx) {
		json_object_del(ctx, "ref");
		json_object_del(ctx, "fork");
	}
	add(g, bi, b->profile, ctx, b->audience, TL_PROBE_PULL_REQUEST, "pull request in %s", repo);
}

static void
github_refs(struct gen *g, size_t bi, const struct seeds *s)
{
	const struct tl_probe_base *b = &g->bases[bi];
	const char *repo = str_or(b->context, "repository", NULL);
	json_t *idb = identity(b->profile, b->context);
	const char *bref = str_or(idb, "ref", "refs/heads/main");
	const char *short_name = strncmp(bref, "refs/heads/", 11) == 0	? bref + 11
				 : strncmp(bref, "refs/tags/", 10) == 0 ? bref + 10
									: "main";
	json_t *refs = instances(s->refs, ref_fillers);
	char buf[NAME_MAX_LEN];
	size_t i;
	json_t *v;

	if (!repo || !refs) {
		json_decref(refs);
		json_decref(idb);
		return;
	}
	snprintf(buf, sizeof(buf), "refs/tags/%s", short_name);
	seed_add(refs, buf, strlen(buf));
	snprintf(buf, sizeof(buf), "refs/heads/feature/%s", short_name);
	seed_add(refs, buf, strlen(buf));
	snprintf(buf, sizeof(buf), "refs/heads/%s-hotfix", short_name);
	seed_add(refs, buf, strlen(buf));
	seed_add(refs, "refs/heads/probe", strlen("refs/heads/probe"));
	seed_add(refs, "refs/tags/v1.0.0", strlen("refs/tags/v1.0.0"));
	json_array_foreach(refs, i, v)
	{
		const char *r = json_string_value(v);
		bool tag = strncmp(r, "refs/tags/", 10) == 0;
		json_t *ctx;
		if (strcmp(r, bref) == 0 || (!tag && strncmp(r, "refs/heads/", 11) != 0))
			continue;
		ctx = with(b->context, "ref", json_string(r));
		if (ctx) {
			json_object_set_new(ctx, "event", json_string("push"));
			json_object_del(ctx, "fork");
		}
		add(g, bi, b->profile, ctx, b->audience, tag ? TL_PROBE_TAG : TL_PROBE_BRANCH,
		    "%s '%s' of %s", tag ? "tag" : "branch", r + (tag ? 10 : 11), repo);
	}
	json_decref(refs);
	json_decref(idb);
}

static void
env_candidates(struct gen *g, size_t bi, const struct seeds *s)
{
	const struct tl_probe_base *b = &g->bases[bi];
	const char *env = str_or(b->context, "environment", NULL);
	json_t *envs = instances(s->envs, env_fillers);
	char buf[NAME_MAX_LEN];
	size_t i;
	json_t *v;

	if (!envs)
		return;
	if (env) {
		snprintf(buf, sizeof(buf), "%s-sandbox", env);
		seed_add(envs, buf, strlen(buf));
		json_t *ctx = json_deep_copy(b->context);
		if (ctx) {
			json_object_del(ctx, "environment");
			json_object_del(ctx, "environment_protected");
			json_object_del(ctx, "deployment_tier");
			json_object_del(ctx, "environment_branches");
		}
		add(g, bi, b->profile, ctx, b->audience, TL_PROBE_ENVIRONMENT,
		    "no environment (was '%s')", env);
	}
	if (strcmp(b->profile, "gitlab") == 0 && env &&
	    json_is_true(json_object_get(b->context, "environment_protected")))
		add(g, bi, b->profile, with(b->context, "environment_protected", json_false()),
		    b->audience, TL_PROBE_ENVIRONMENT, "unprotected environment '%s'", env);
	json_array_foreach(envs, i, v)
	{
		const char *e = json_string_value(v);
		json_t *ctx;
		if (env && strcmp(e, env) == 0)
			continue;
		ctx = with(b->context, "environment", json_string(e));
		if (ctx && strcmp(b->profile, "gitlab") == 0) {
			json_object_del(ctx, "deployment_tier");
			json_object_set_new(ctx, "environment_protected", json_false());
		}
		add(g, bi, b->profile, ctx, b->audience, TL_PROBE_ENVIRONMENT, "environment '%s'",
		    e);
	}
	json_decref(envs);
}

static void
github_workflows(struct gen *g, size_t bi, const struct seeds *s)
{
	const struct tl_probe_base *b = &g->bases[bi];
	const char *repo = str_or(b->context, "repository", NULL);
	const char *own = str_or(b->context, "job_workflow_ref", NULL);
	json_t *wfs;
	char buf[NAME_MAX_LEN];
	size_t i;
	json_t *v;

	if (!repo || (!own && json_array_size(s->workflows) == 0))
		return;
	wfs = instances(s->workflows, short_fillers);
	if (!wfs)
		return;
	if (own)
		seed_add(wfs, own, strlen(own));
	/* Each known workflow from another owner and at a branch. */
	for (size_t n = json_array_size(wfs), k = 0; k < n; k++) {
		const char *w = json_string_value(json_array_get(wfs, k));
		const char *slash = strchr(w, '/'), *at = strchr(w, '@');
		if (slash) {
			snprintf(buf, sizeof(buf), "evil%s", slash);
			seed_add(wfs, buf, strlen(buf));
		}
		if (at) {
			snprintf(buf, sizeof(buf), "%.*s@refs/heads/probe", (int)(at - w), w);
			seed_add(wfs, buf, strlen(buf));
		}
	}
	snprintf(buf, sizeof(buf), "%s/.github/workflows/deploy.yml@refs/heads/main", repo);
	seed_add(wfs, buf, strlen(buf));
	json_array_foreach(wfs, i, v)
	{
		const char *w = json_string_value(v);
		if (own && strcmp(w, own) == 0)
			continue;
		add(g, bi, b->profile, with(b->context, "job_workflow_ref", json_string(w)),
		    b->audience, TL_PROBE_WORKFLOW, "reusable workflow '%s'", w);
	}
	json_decref(wfs);
}

static void
github_ids(struct gen *g, size_t bi)
{
	const struct tl_probe_base *b = &g->bases[bi];
	json_t *ctx;

	/* Only where the intended context names its ids: otherwise ids are
	 * random per token and every name-based policy would "admit" them. */
	if (!json_object_get(b->context, "repository_id") &&
	    !json_is_true(json_object_get(b->context, "immutable_subject")))
		return;
	ctx = with(b->context, "repository_id", json_string("987654321"));
	if (ctx)
		json_object_set_new(ctx, "repository_owner_id", json_string("876543210"));
	add(g, bi, b->profile, ctx, b->audience, TL_PROBE_REPOSITORY_ID,
	    "%s re-created (other repository and owner ids)",
	    str_or(b->context, "repository", "?"));
}

static void
gitlab_names(struct gen *g, size_t bi, const struct seeds *s)
{
	const char *path = str_or(g->bases[bi].context, "project_path", NULL);
	char owner[NAME_MAX_LEN / 2], name[NAME_MAX_LEN / 2], buf[NAME_MAX_LEN * 2];
	json_t *names;

	if (!path)
		return;
	names = name_variants(path, s->projects, short_fillers);
	split_name(path, owner, sizeof(owner), name, sizeof(name));
	snprintf(buf, sizeof(buf), "%s/probe/%s", owner, name);
	seed_add(names, buf, strlen(buf));
	rename_candidates(g, bi, "project_path", path, names, "project_id", "namespace_id",
			  "project");
	json_decref(names);
}

static void
gitlab_ref(struct gen *g, size_t bi, const json_t *idb, const char *type, const char *ref,
	   bool protected_ref)
{
	const struct tl_probe_base *b = &g->bases[bi];
	const char *btype = str_or(idb, "ref_type", "branch"), *bref = str_or(idb, "ref", "main");
	bool bprot = json_is_true(json_object_get(idb, "ref_protected"));
	enum tl_probe_kind kind;
	json_t *ctx = with(b->context, "ref_type", json_string(type));

	if (ctx) {
		json_object_set_new(ctx, "ref", json_string(ref));
		json_object_set_new(ctx, "ref_protected", json_boolean(protected_ref));
		json_object_set_new(ctx, "pipeline_source", json_string("push"));
		json_object_del(ctx, "fork_project_path");
		json_object_del(ctx, "legacy_fork_semantics");
	}
	if (bprot && !protected_ref)
		kind = TL_PROBE_UNPROTECTED;
	else if (strcmp(type, btype) != 0 || strcmp(ref, bref) != 0)
		kind = strcmp(type, "tag") == 0 ? TL_PROBE_TAG : TL_PROBE_BRANCH;
	else
		kind = TL_PROBE_UNPROTECTED;
	add(g, bi, b->profile, ctx, b->audience, kind, "%s%s '%s' of %s",
	    protected_ref ? "protected " : "unprotected ", type, ref,
	    str_or(b->context, "project_path", "?"));
}

static void
gitlab_refs(struct gen *g, size_t bi, const struct seeds *s)
{
	const struct tl_probe_base *b = &g->bases[bi];
	json_t *idb = identity(b->profile, b->context);
	const char *bref = str_or(idb, "ref", "main");
	json_t *refs = instances(s->gl_refs, short_fillers);
	char buf[NAME_MAX_LEN];
	size_t i;
	json_t *v;

	if (!idb || !refs || !json_object_get(b->context, "project_path"))
		goto out;
	gitlab_ref(g, bi, idb, str_or(idb, "ref_type", "branch"), bref, false);
	gitlab_ref(g, bi, idb, "tag", bref, false);
	gitlab_ref(g, bi, idb, "tag", bref, true);
	snprintf(buf, sizeof(buf), "%s-hotfix", bref);
	gitlab_ref(g, bi, idb, "branch", buf, false);
	gitlab_ref(g, bi, idb, "branch", "probe", false);
	gitlab_ref(g, bi, idb, "branch", "probe", true);
	gitlab_ref(g, bi, idb, "tag", "v1.0.0", false);
	json_array_foreach(refs, i, v)
	{
		const char *r = json_string_value(v);
		gitlab_ref(g, bi, idb, "branch", r, false);
		gitlab_ref(g, bi, idb, "tag", r, false);
	}
out:
	json_decref(refs);
	json_decref(idb);
}

static void
gitlab_events(struct gen *g, size_t bi)
{
	const struct tl_probe_base *b = &g->bases[bi];
	const char *path = str_or(b->context, "project_path", NULL);
	char owner[NAME_MAX_LEN / 2], name[NAME_MAX_LEN / 2], fork[NAME_MAX_LEN];
	json_t *idb, *ctx;

	if (!path)
		return;
	split_name(path, owner, sizeof(owner), name, sizeof(name));
	snprintf(fork, sizeof(fork), "evil/%s", name);
	idb = identity(b->profile, b->context);
	ctx = with(b->context, "pipeline_source", json_string("merge_request_event"));
	if (ctx) {
		json_object_del(ctx, "ref");
		json_object_del(ctx, "ref_type");
		json_object_del(ctx, "ref_protected");
	}
	add(g, bi, b->profile, ctx, b->audience, TL_PROBE_PULL_REQUEST, "merge request in %s",
	    path);
	ctx = with(b->context, "pipeline_source", json_string("merge_request_event"));
	if (ctx) {
		json_object_del(ctx, "ref");
		json_object_del(ctx, "ref_type");
		json_object_del(ctx, "ref_protected");
		json_object_set_new(ctx, "fork_project_path", json_string(fork));
	}
	add(g, bi, b->profile, ctx, b->audience, TL_PROBE_FORK, "merge request from fork %s", fork);
	ctx = with(b->context, "pipeline_source", json_string("merge_request_event"));
	if (ctx) {
		json_object_set_new(ctx, "ref", json_string(str_or(idb, "ref", "main")));
		json_object_del(ctx, "ref_type");
		json_object_del(ctx, "ref_protected");
		json_object_set_new(ctx, "fork_project_path", json_string(fork));
		json_object_set_new(ctx, "legacy_fork_semantics", json_true());
	}
	add(g, bi, b->profile, ctx, b->audience, TL_PROBE_FORK,
	    "merge request from fork %s branch '%s' (legacy fork semantics)", fork,
	    str_or(idb, "ref", "main"));
	json_decref(idb);
}

static void
audiences(struct gen *g, size_t bi)
{
	const struct tl_probe_base *b = &g->bases[bi];
	const json_t *list = json_object_get(g->registered, b->profile);
	const char *mine = b->audience ? b->audience : json_string_value(json_array_get(list, 0));
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		const char *a = json_string_value(v);
		if (mine && strcmp(a, mine) == 0)
			continue;
		add(g, bi, b->profile, json_deep_copy(b->context), a, TL_PROBE_AUDIENCE,
		    "audience '%s'", a);
	}
}

static void
providers(struct gen *g, size_t bi)
{
	const struct tl_probe_base *b = &g->bases[bi];
	const char *aud = b->audience ? b->audience
				      : json_string_value(json_array_get(
						json_object_get(g->registered, b->profile), 0));
	const char *name =
		str_or(b->context, "repository", str_or(b->context, "project_path", "acme/app"));
	char owner[NAME_MAX_LEN / 2], last[NAME_MAX_LEN / 2], repo[NAME_MAX_LEN];

	if (!aud)
		return;
	split_name(name, owner, sizeof(owner), last, sizeof(last));
	snprintf(repo, sizeof(repo), "%s/%s", owner, last);
	if (!is_github(b->profile))
		add(g, bi, "github", json_pack("{s:s}", "repository", repo), aud, TL_PROBE_PROVIDER,
		    "GitHub Actions in %s, aud '%s'", repo, aud);
	if (strcmp(b->profile, "gitlab") != 0)
		add(g, bi, "gitlab", json_pack("{s:s}", "project_path", name), aud,
		    TL_PROBE_PROVIDER, "GitLab CI in %s, aud '%s'", name, aud);
}

static bool
looks_uuid(const char *s)
{
	size_t n = strlen(s);
	return (n == 36 || n == 38) && strchr(s, '-') &&
	       strspn(s, "{}-0123456789abcdefABCDEF") == n;
}

/*
 * Other providers: one field at a time, only the fields a job's author or
 * another team chooses (a project's VCS origin or a step key is not a
 * way in). Booleans only turn on (a fork build, a rerun with SSH).
 */
static const char *const free_fields[] = {
	"organization_slug",
	"pipeline_slug",
	"branch",
	"tag",
	"project_id",
	"vcs_ref",
	"fork",
	"ssh_rerun",
	"pass_secrets_to_forks",
	"organization",
	"project",
	"workspace",
	"run_phase",
	"speculative",
	"namespace",
	"service_account",
	"repository_uuid",
	"workspace_uuid",
	"deployment_environment_uuid",
	"stack_id",
	"space_id",
	"run_type",
	"caller_type",
	NULL,
};

/* The kind a change of `key` is, for the providers with generic fields. */
static enum tl_probe_kind
field_kind(const char *key, const char *value)
{
	static const char *const siblings[] = {"project_id", "pipeline_slug",	"project",
					       "workspace",  "repository_uuid", NULL};
	for (size_t i = 0; siblings[i]; i++)
		if (strcmp(key, siblings[i]) == 0)
			return TL_PROBE_SIBLING;
	if (strcmp(key, "organization_slug") == 0 || strcmp(key, "organization") == 0)
		return TL_PROBE_FOREIGN_OWNER;
	if (strcmp(key, "tag") == 0 || (value && strncmp(value, "refs/tags/", 10) == 0))
		return TL_PROBE_TAG;
	if (strcmp(key, "branch") == 0 || strcmp(key, "vcs_ref") == 0)
		return TL_PROBE_BRANCH;
	if (strcmp(key, "fork") == 0)
		return TL_PROBE_FORK;
	return TL_PROBE_FIELD;
}

static void
fields(struct gen *g, size_t bi)
{
	const struct tl_probe_base *b = &g->bases[bi];
	const char *key;
	json_t *v;

	if (is_github(b->profile) || strcmp(b->profile, "gitlab") == 0)
		return;
	json_object_foreach((json_t *)b->context, key, v)
	{
		bool free_field = false;
		for (size_t i = 0; free_fields[i]; i++)
			free_field = free_field || strcmp(key, free_fields[i]) == 0;
		if (!free_field)
			continue;
		if (json_is_false(v)) {
			add(g, bi, b->profile, with(b->context, key, json_true()), b->audience,
			    field_kind(key, NULL), "%s true", key);
		} else if (json_is_string(v)) {
			const char *s = json_string_value(v);
			char buf[NAME_MAX_LEN];
			if (looks_uuid(s)) {
				snprintf(buf, sizeof(buf), "0000beef-0000-4000-8000-00000000beef");
				add(g, bi, b->profile, with(b->context, key, json_string(buf)),
				    b->audience, field_kind(key, buf), "%s '%s'", key, buf);
				continue;
			}
			snprintf(buf, sizeof(buf), "%s-probe", s);
			add(g, bi, b->profile, with(b->context, key, json_string(buf)), b->audience,
			    field_kind(key, buf), "%s '%s'", key, buf);
			add(g, bi, b->profile, with(b->context, key, json_string("probe")),
			    b->audience, field_kind(key, "probe"), "%s 'probe'", key);
		}
	}
	/* Buildkite: a tag build of the same pipeline and branch. */
	if (strcmp(b->profile, "buildkite") == 0 && !json_object_get(b->context, "tag"))
		add(g, bi, b->profile, with(b->context, "tag", json_string("v1.0.0")), b->audience,
		    TL_PROBE_TAG, "tag build 'v1.0.0'");
	/* Terraform: a pull request's speculative plan. */
	if (strcmp(b->profile, "terraform-cloud") == 0) {
		json_t *ctx = with(b->context, "run_phase", json_string("plan"));
		if (ctx)
			json_object_set_new(ctx, "speculative", json_true());
		add(g, bi, b->profile, ctx, b->audience, TL_PROBE_FIELD,
		    "speculative plan (a pull request)");
	}
}

/* "key=value ..." of a context's identity fields, for people. */
static void
describe(const json_t *ctx, char *out, size_t size)
{
	const char *key;
	json_t *v;
	size_t n = 0;

	out[0] = '\0';
	json_object_foreach((json_t *)ctx, key, v)
	{
		bool noise = false;
		int w;
		for (size_t i = 0; noise_fields[i]; i++)
			noise = noise || strcmp(key, noise_fields[i]) == 0;
		if (noise || !(json_is_string(v) || json_is_boolean(v)))
			continue;
		w = snprintf(out + n, size - n, "%s%s=%s", n ? " " : "", key,
			     json_is_string(v) ? json_string_value(v)
			     : json_is_true(v) ? "true"
					       : "false");
		if (w < 0 || (size_t)w >= size - n) {
			out[n] = '\0';
			break;
		}
		n += (size_t)w;
	}
}

int
tl_probe_generate(const struct tl_probe_base *bases, size_t nbases, const json_t *const *policies,
		  size_t npolicies, const struct tl_probe_options *opt, struct tl_probe_space *out,
		  struct tl_error *err)
{
	struct seeds s = {
		.repos = json_array(),
		.refs = json_array(),
		.envs = json_array(),
		.workflows = json_array(),
		.projects = json_array(),
		.gl_refs = json_array(),
	};
	struct gen g = {
		.out = out,
		.bases = bases,
		.nbases = nbases,
		.max = opt && opt->max_contexts ? opt->max_contexts : 500,
		.seen = json_object(),
		.registered = opt ? opt->registered : NULL,
		.err = err,
	};
	const char *key;
	json_t *list;

	tl_rng_init_seeded(&g.rng, "trustlab probe");
	out->audiences = json_object();
	if (!s.repos || !s.refs || !s.envs || !s.workflows || !s.projects || !s.gl_refs ||
	    !g.seen || !out->audiences) {
		g.failed = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_object_foreach((json_t *)g.registered, key, list)
	{
		size_t i;
		json_t *v;
		json_array_foreach(list, i, v) note_audience(&g, key, json_string_value(v));
	}
	for (size_t i = 0; i < npolicies; i++)
		seed_policy(&s, policies[i]);
	for (size_t i = 0; i < nbases; i++) {
		char what[512];
		describe(bases[i].context, what, sizeof(what));
		add(&g, i, bases[i].profile, json_deep_copy(bases[i].context), bases[i].audience,
		    TL_PROBE_INTENDED, "%s %s", bases[i].profile, what);
	}
	/* Family by family over every base, so a cap cuts the rarest last. */
	for (int f = 0; f < FAM_COUNT && !g.failed; f++)
		for (size_t i = 0; i < nbases && !g.failed; i++) {
			bool gh = is_github(bases[i].profile);
			bool gl = strcmp(bases[i].profile, "gitlab") == 0;
			switch ((enum family)f) {
			case FAM_NAMES:
				if (gh)
					github_names(&g, i, &s);
				else if (gl)
					gitlab_names(&g, i, &s);
				break;
			case FAM_EVENTS:
				if (gh)
					github_events(&g, i);
				else if (gl)
					gitlab_events(&g, i);
				break;
			case FAM_REFS:
				if (gh)
					github_refs(&g, i, &s);
				else if (gl)
					gitlab_refs(&g, i, &s);
				break;
			case FAM_ENVS:
				if (gh || gl)
					env_candidates(&g, i, &s);
				break;
			case FAM_WORKFLOWS:
				if (gh)
					github_workflows(&g, i, &s);
				break;
			case FAM_IDS:
				if (gh)
					github_ids(&g, i);
				break;
			case FAM_AUDIENCES:
				audiences(&g, i);
				break;
			case FAM_PROVIDERS:
				providers(&g, i);
				break;
			case FAM_FIELDS:
				fields(&g, i);
				break;
			case FAM_COUNT:
				break;
			}
		}
out:
	tl_rng_finish(&g.rng);
	json_decref(g.seen);
	json_decref(s.repos);
	json_decref(s.refs);
	json_decref(s.envs);
	json_decref(s.workflows);
	json_decref(s.projects);
	json_decref(s.gl_refs);
	return g.failed ? -1 : 0;
}

json_t *
tl_probe_policy_values(const json_t *const *policies, size_t n, const char *what)
{
	struct seeds s = {
		.repos = json_array(),
		.refs = json_array(),
		.envs = json_array(),
		.workflows = json_array(),
		.projects = json_array(),
		.gl_refs = json_array(),
		.auds = json_array(),
	};
	json_t *out = NULL;

	if (s.repos && s.refs && s.envs && s.workflows && s.projects && s.gl_refs && s.auds) {
		for (size_t i = 0; i < n; i++)
			seed_policy(&s, policies[i]);
		if (strcmp(what, "repository") == 0)
			out = json_incref(s.repos);
		else if (strcmp(what, "project") == 0)
			out = json_incref(s.projects);
		else if (strcmp(what, "environment") == 0)
			out = json_incref(s.envs);
		else if (strcmp(what, "job_workflow_ref") == 0)
			out = json_incref(s.workflows);
		else if (strcmp(what, "aud") == 0)
			out = json_incref(s.auds);
		else if (strcmp(what, "ref") == 0)
			out = json_incref(s.refs);
	}
	json_decref(s.repos);
	json_decref(s.refs);
	json_decref(s.envs);
	json_decref(s.workflows);
	json_decref(s.projects);
	json_decref(s.gl_refs);
	json_decref(s.auds);
	return out;
}
