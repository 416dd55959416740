/* SPDX-License-Identifier: MIT */
/*
 * trustlab probe: search the token space an attacker or a careless
 * colleague controls for contexts a role admits that it is not meant to.
 * The candidates come from lib/probe (bases times one change, seeded from
 * the policies' literals); each is minted at the embedded mock-issuer and
 * exchanged at the embedded mock-sts (space.c, the `run` machinery). An
 * admitted context that no intended context covers is a hole, grouped by
 * kind, with the statement that admitted it and a fix. docs/probe.md.
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "claims/claims.h"
#include "probe/probe.h"
#include "runner.h"
#include "scenario/scenario.h"

#define MAX_JOBS 64

/* What the user said the roles are for (policy files). */
struct intent {
	const char *provider, *repository, *ref, *audience;
	char **pairs; /* --intent ROLE=OTHER, argv strings */
	size_t npairs;
};

/* One role under probe: its intended contexts and its results. */
struct role {
	const struct tl_role_source *src;
	json_t *policy;
	json_t *intended; /* [{profile, context, audience|null}] */
	size_t admitted_intended;
	json_t *denied_intended; /* [label] */
	json_t *holes; /* {kind: [{label, ...}]} in kind order */
	size_t nholes;
};

struct probe {
	struct tl_role_list roles;
	struct role *r;
	struct tl_probe_space space;
	json_t *bases; /* [{profile, context, audience}], the union */
	json_t *registered; /* {profile: [aud...]} */
	json_t *issuers; /* {profile: iss} from the scenario */
	const char *input;
	const char *note; /* how the intended set was chosen */
	char note_buf[512];
};

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: trustlab probe [OPTIONS] POLICY|SCENARIO\n"
		"\n"
		"Searches the token space an attacker or a careless colleague controls (other\n"
		"and similarly named repositories, forks, pull_request_target, crafted branch\n"
		"and tag names, environments, reusable workflows, other audiences and\n"
		"providers), seeded from the policy's own literals and wildcards. Every\n"
		"candidate is a real token from the embedded mock-issuer, exchanged at the\n"
		"embedded mock-sts. Lists every context that gets in and is not intended,\n"
		"grouped by kind, with the statement that admitted it and a fix.\n"
		"\n"
		"The intended set: for a scenario, each role's expected-allow cases; for a\n"
		"policy file, the --repository on --ref (default refs/heads/main), with each\n"
		"environment the policy names.\n"
		"\n"
		"Options:\n"
		"      --provider NAME     profile of a policy file's tokens (default: from\n"
		"                          the Principal, else github)\n"
		"      --repository NAME   OWNER/REPO (GitLab: the project path) the role is\n"
		"                          for (default: from the policy's sub)\n"
		"      --ref REF           the intended ref (default refs/heads/main; GitLab "
		"main)\n"
		"      --audience AUD      the intended aud (default: the policy's, else\n"
		"                          sts.amazonaws.com)\n"
		"      --intent ROLE=OTHER a scenario's ROLE is meant for what OTHER's\n"
		"                          expected-allow cases say (an anti-pattern role\n"
		"                          and its hardened version); repeatable\n"
		"  -f, --format FORMAT     text (default), json, markdown\n"
		"      --max-contexts N    candidates tried at most (default 500)\n"
		"  -j, --jobs N            exchanges in parallel (default 4)\n"
		"  -h, --help              show this help\n"
		"\n"
		"Exit status: 0 no hole, 1 a hole found, 2 invalid input. See docs/probe.md.\n");
}

static const char *
str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : dflt;
}

static json_t *
base_json(const char *profile, const json_t *context, const char *aud)
{
	return json_pack("{s:s, s:O, s:s?}", "profile", profile, "context", context, "audience",
			 aud);
}

static void
add_registered(json_t *registered, const char *profile, const char *aud)
{
	json_t *list = json_object_get(registered, profile);
	size_t i;
	json_t *v;

	if (!list) {
		list = json_array();
		json_object_set_new(registered, profile, list);
	}
	json_array_foreach(list, i, v) if (strcmp(json_string_value(v), aud) == 0) return;
	json_array_append_new(list, json_string(aud));
}

/* Each role's intended contexts from a scenario's expected-allow cases. */
static int
intended_from_scenario(struct probe *p, const struct intent *in)
{
	const struct tl_scenario *s = p->roles.scenario;

	for (size_t i = 0; i < tl_scenario_provider_count(s); i++) {
		const struct tl_scenario_provider *pv = tl_scenario_provider(s, i);
		size_t j;
		json_t *a;
		json_array_foreach(pv->audiences, j, a)
			add_registered(p->registered, pv->profile->name, json_string_value(a));
		if (!json_object_get(p->registered, pv->profile->name))
			json_object_set_new(p->registered, pv->profile->name, json_array());
		if (pv->issuer && !json_object_get(p->issuers, pv->profile->name))
			json_object_set_new(p->issuers, pv->profile->name, json_string(pv->issuer));
	}
	for (size_t i = 0; i < tl_scenario_case_count(s); i++) {
		const struct tl_case *c = tl_scenario_case(s, i);
		const char *aud = json_string_value(c->audience);
		/* Faulty or overridden tokens are not contexts a CI job has. */
		if (c->faults || c->claims || c->refused || (c->audience && !aud))
			continue;
		for (size_t e = 0; e < c->n_expect; e++) {
			if (strcmp(c->expect[e].outcome, "allow") != 0)
				continue;
			for (size_t r = 0; r < p->roles.count; r++)
				if (strcmp(p->roles.items[r].name, c->expect[e].role) == 0)
					json_array_append_new(p->r[r].intended,
							      base_json(c->provider->profile->name,
									c->token, aud));
		}
	}
	/* --intent HOLE=HARDENED: the hardened role's cases are what HOLE is for. */
	for (size_t k = 0; k < in->npairs; k++) {
		const char *eq = strchr(in->pairs[k], '=');
		int from = -1, to = -1;
		for (size_t r = 0; eq && r < p->roles.count; r++) {
			if (strlen(p->roles.items[r].name) == (size_t)(eq - in->pairs[k]) &&
			    strncmp(p->roles.items[r].name, in->pairs[k],
				    (size_t)(eq - in->pairs[k])) == 0)
				to = (int)r;
			if (strcmp(p->roles.items[r].name, eq + 1) == 0)
				from = (int)r;
		}
		if (from < 0 || to < 0) {
			fprintf(stderr,
				"trustlab probe: --intent '%s': expected ROLE=OTHER, two roles of "
				"the scenario\n",
				in->pairs[k]);
			return -1;
		}
		json_array_clear(p->r[to].intended);
		json_array_extend(p->r[to].intended, p->r[from].intended);
	}
	/* The search starts from what the roles are for, never from a recorded hole. */
	for (size_t r = 0; r < p->roles.count; r++) {
		bool replaced = false;
		for (size_t k = 0; k < in->npairs; k++)
			replaced =
				replaced || (strncmp(in->pairs[k], p->roles.items[r].name,
						     strlen(p->roles.items[r].name)) == 0 &&
					     in->pairs[k][strlen(p->roles.items[r].name)] == '=');
		if (!replaced)
			json_array_extend(p->bases, p->r[r].intended);
	}
	p->note = in->npairs ? "each role's expected-allow cases (--intent: another role's)"
			     : "each role's expected-allow cases";
	return 0;
}

/* The name a policy is about: the first repository (project) literal, up to a wildcard. */
static void
guess_name(const json_t *const *policies, size_t n, bool gitlab, char *out, size_t size)
{
	json_t *names = tl_probe_policy_values(policies, n, gitlab ? "project" : "repository");
	const char *first = json_string_value(json_array_get(names, 0));
	size_t len = first ? strcspn(first, "*?") : 0;

	if (first && len > 0 && first[len - 1] != '/' && strchr(first, '/') &&
	    strchr(first, '/') < first + len)
		snprintf(out, size, "%.*s", (int)len, first);
	else if (first && len > 1 && first[len - 1] == '/')
		snprintf(out, size, "%.*sapp", (int)len, first);
	else
		snprintf(out, size, "acme/app");
	json_decref(names);
}

static int
intended_from_options(struct probe *p, const struct intent *in)
{
	const json_t **pols = calloc(p->roles.count ? p->roles.count : 1, sizeof(*pols));
	const char *profile = in->provider;
	char name[256], owner_aud[300];
	const char *aud;
	json_t *auds, *envs, *ctx;
	size_t i;
	json_t *v;
	bool gitlab;

	if (!pols)
		return -1;
	for (size_t r = 0; r < p->roles.count; r++)
		pols[r] = p->r[r].policy;
	if (!profile) {
		const json_t *st = json_object_get(p->r[0].policy, "Statement");
		if (json_is_array(st))
			st = json_array_get(st, 0);
		profile = tl_probe_principal_profile(json_string_value(
			json_object_get(json_object_get(st, "Principal"), "Federated")));
		if (!profile)
			profile = "github";
	}
	gitlab = strcmp(profile, "gitlab") == 0;
	if (!gitlab && strcmp(profile, "github") != 0 &&
	    strcmp(profile, "github-enterprise-server") != 0) {
		fprintf(stderr,
			"trustlab probe: a %s policy file: describe its intended jobs in a "
			"scenario and probe that (--provider github or gitlab for policy files)\n",
			profile);
		free(pols);
		return -1;
	}
	if (in->repository)
		snprintf(name, sizeof(name), "%s", in->repository);
	else
		guess_name(pols, p->roles.count, gitlab, name, sizeof(name));
	auds = tl_probe_policy_values(pols, p->roles.count, "aud");
	aud = in->audience ? in->audience : json_string_value(json_array_get(auds, 0));
	if (!aud || strpbrk(aud, "*?"))
		aud = gitlab ? "https://gitlab.com" : "sts.amazonaws.com";
	add_registered(p->registered, profile, aud);
	/* The other client id such a provider usually has: a workflow's default aud. */
	if (gitlab) {
		add_registered(p->registered, profile, "https://gitlab.com");
	} else {
		snprintf(owner_aud, sizeof(owner_aud), "https://github.com/%.*s",
			 (int)strcspn(name, "/"), name);
		add_registered(p->registered, profile, owner_aud);
	}
	if (gitlab)
		ctx = json_pack("{s:s, s:s, s:s, s:b}", "project_path", name, "ref_type", "branch",
				"ref", in->ref ? in->ref : "main", "ref_protected", 1);
	else
		ctx = json_pack("{s:s, s:s, s:s}", "repository", name, "event", "push", "ref",
				in->ref ? in->ref : "refs/heads/main");
	json_array_append_new(p->bases, base_json(profile, ctx, aud));
	envs = tl_probe_policy_values(pols, p->roles.count, "environment");
	json_array_foreach(envs, i, v)
	{
		json_t *e;
		if (strpbrk(json_string_value(v), "*?"))
			continue;
		e = json_deep_copy(ctx);
		json_object_set(e, "environment", v);
		if (gitlab)
			json_object_set_new(e, "environment_protected", json_true());
		json_array_append_new(p->bases, base_json(profile, e, aud));
		json_decref(e);
	}
	json_decref(envs);
	json_decref(auds);
	json_decref(ctx);
	for (size_t r = 0; r < p->roles.count; r++)
		json_array_extend(p->r[r].intended, p->bases);
	snprintf(p->note_buf, sizeof(p->note_buf), "%s %s on %s%s%s", profile, name,
		 in->ref ? in->ref : (gitlab ? "main" : "refs/heads/main"),
		 json_array_size(p->bases) > 1 ? ", with the environments the policy names" : "",
		 in->repository ? "" : " (guessed from the policy; give --repository)");
	p->note = p->note_buf;
	free(pols);
	return 0;
}

/* The space as an in-memory scenario: providers, roles, cases. */
static int
build_run(struct probe *p, json_t **providers, json_t **roles, json_t **cases)
{
	const char *profile;
	json_t *list;

	*providers = json_object();
	*roles = json_object();
	*cases = json_array();
	json_object_foreach(p->space.audiences, profile, list)
	{
		json_t *auds = json_array();
		json_t *have = json_object_get(p->registered, profile);
		size_t i;
		json_t *v;
		/* Registered first: a case without audience asks for the first. */
		json_array_extend(auds, have ? have : list);
		json_array_foreach(list, i, v)
		{
			size_t j;
			json_t *w;
			bool dup = false;
			json_array_foreach(auds, j, w) dup = dup || json_equal(v, w);
			if (!dup)
				json_array_append(auds, v);
		}
		if (json_array_size(auds) == 0)
			json_array_append_new(auds, json_string("sts.amazonaws.com"));
		json_object_set_new(*providers, profile,
				    json_pack("{s:s, s:o}", "profile", profile, "audiences", auds));
		if (json_object_get(p->issuers, profile))
			json_object_set(json_object_get(*providers, profile), "issuer",
					json_object_get(p->issuers, profile));
	}
	for (size_t r = 0; r < p->roles.count; r++)
		json_object_set_new(*roles, p->roles.items[r].name,
				    json_pack("{s:O, s:i}", "trust_policy", p->r[r].policy,
					      "max_session_duration",
					      p->roles.items[r].max_session_duration));
	for (size_t i = 0; i < p->space.count; i++) {
		const struct tl_probe_candidate *c = &p->space.items[i];
		char name[32];
		json_t *token = json_deep_copy(c->context);
		if (c->audience)
			json_object_set_new(token, "audience", json_string(c->audience));
		snprintf(name, sizeof(name), "#%zu", i);
		json_array_append_new(*cases, json_pack("{s:s, s:s, s:o, s:{s:s}}", "name", name,
							"provider", c->profile, "token", token,
							"expect", "*", "deny"));
	}
	return *providers && *roles && *cases ? 0 : -1;
}

static bool
is_intended(const struct role *r, const struct tl_probe_candidate *c)
{
	size_t i;
	json_t *b;

	json_array_foreach(r->intended, i, b)
	{
		if (strcmp(str_or(b, "profile", ""), c->profile) == 0 &&
		    tl_probe_same_identity(c->profile, json_object_get(b, "context"),
					   str_or(b, "audience", NULL), c->context, c->audience))
			return true;
	}
	return false;
}

static void
classify(struct probe *p, const struct tl_space_result *res)
{
	size_t nroles = p->roles.count;

	for (size_t ri = 0; ri < nroles; ri++) {
		struct role *r = &p->r[ri];
		for (size_t k = 0; k < TL_PROBE_KIND_COUNT; k++)
			json_object_set_new(r->holes, tl_probe_kind_name((enum tl_probe_kind)k),
					    json_array());
		for (size_t i = 0; i < p->space.count; i++) {
			const struct tl_probe_candidate *c = &p->space.items[i];
			const struct tl_space_result *cell = &res[i * nroles + ri];
			enum tl_probe_kind kind = c->kind;
			char *why;
			if (is_intended(r, c)) {
				if (strcmp(cell->actual, "allow") == 0)
					r->admitted_intended++;
				else
					json_array_append_new(
						r->denied_intended,
						json_pack("{s:s, s:s, s:s}", "context", c->label,
							  "sub", c->sub, "outcome", cell->actual));
				continue;
			}
			if (strcmp(cell->actual, "allow") != 0)
				continue;
			if (kind == TL_PROBE_INTENDED)
				kind = TL_PROBE_OTHER_ROLE;
			why = tl_space_explain(cell->trace);
			json_array_append_new(json_object_get(r->holes, tl_probe_kind_name(kind)),
					      json_pack("{s:s, s:s, s:O, s:s?, s:s, s:s}",
							"context", c->label, "provider", c->profile,
							"token", c->context, "audience",
							c->audience, "sub", c->sub, "admitted_by",
							why ? why : ""));
			free(why);
			r->nholes++;
		}
	}
}

static void
render_text(const struct probe *p, struct tl_buf *b)
{
	size_t total = 0;

	tl_buf_printf(b, NULL, "trustlab probe %s: %zu contexts tried", p->input, p->space.count);
	if (p->space.dropped)
		tl_buf_printf(b, NULL, " (%zu more not tried: --max-contexts)", p->space.dropped);
	tl_buf_printf(b, NULL, ", %zu role%s\nintended: %s\n", p->roles.count,
		      p->roles.count == 1 ? "" : "s", p->note);
	for (size_t ri = 0; ri < p->roles.count; ri++) {
		const struct role *r = &p->r[ri];
		const char *kind;
		json_t *list;
		size_t i;
		json_t *h;

		tl_buf_printf(b, NULL, "\nrole %s (%s): ", r->src->name, r->src->source);
		if (r->nholes == 0)
			tl_buf_printf(b, NULL, "no hole; %zu intended context%s admitted\n",
				      r->admitted_intended, r->admitted_intended == 1 ? "" : "s");
		else
			tl_buf_printf(b, NULL, "%zu hole%s; %zu intended context%s admitted\n",
				      r->nholes, r->nholes == 1 ? "" : "s", r->admitted_intended,
				      r->admitted_intended == 1 ? "" : "s");
		json_array_foreach(r->denied_intended, i, h)
			tl_buf_printf(b, NULL, "  note: intended %s is denied (%s)\n",
				      str_or(h, "context", ""), str_or(h, "outcome", ""));
		json_object_foreach((json_t *)r->holes, kind, list)
		{
			enum tl_probe_kind k = 0;
			if (json_array_size(list) == 0)
				continue;
			while (k < TL_PROBE_KIND_COUNT && strcmp(tl_probe_kind_name(k), kind) != 0)
				k++;
			tl_buf_printf(b, NULL, "  %s: %s (%zu)\n", kind, tl_probe_kind_title(k),
				      json_array_size(list));
			/* Contexts under the statement that admitted them. */
			json_array_foreach(list, i, h)
			{
				const char *by = str_or(h, "admitted_by", "");
				size_t j;
				json_t *o;
				bool first = true;
				for (j = 0; j < i && first; j++)
					first = strcmp(str_or(json_array_get(list, j),
							      "admitted_by", ""),
						       by) != 0;
				if (!first)
					continue;
				tl_buf_printf(b, NULL, "    admitted by %s\n", by);
				json_array_foreach(list, j, o)
				{
					if (j < i || strcmp(str_or(o, "admitted_by", ""), by) != 0)
						continue;
					tl_buf_printf(b, NULL, "      %s: %s\n",
						      str_or(o, "context", ""),
						      str_or(o, "sub", ""));
				}
			}
			tl_buf_printf(b, NULL, "    fix: %s\n", tl_probe_kind_hint(k));
		}
		total += r->nholes;
	}
	tl_buf_printf(b, NULL, "\n%zu hole%s found\n", total, total == 1 ? "" : "s");
}

static void
md_cell(struct tl_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			tl_buf_append_str(b, "\\|", NULL);
		else if (*s == '\n')
			tl_buf_putc(b, ' ', NULL);
		else
			tl_buf_putc(b, *s, NULL);
	}
}

static void
render_markdown(const struct probe *p, struct tl_buf *b)
{
	size_t total = 0;

	for (size_t ri = 0; ri < p->roles.count; ri++)
		total += p->r[ri].nholes;
	tl_buf_printf(b, NULL, "## trustlab probe: %zu hole%s\n\n", total, total == 1 ? "" : "s");
	tl_buf_printf(b, NULL, "`%s`: %zu contexts tried through real exchanges", p->input,
		      p->space.count);
	if (p->space.dropped)
		tl_buf_printf(b, NULL, " (%zu more not tried)", p->space.dropped);
	tl_buf_printf(b, NULL, "; intended: %s.\n", p->note);
	for (size_t ri = 0; ri < p->roles.count; ri++) {
		const struct role *r = &p->r[ri];
		const char *kind;
		json_t *list;

		tl_buf_printf(b, NULL, "\n### role `%s`: %s\n\n", r->src->name,
			      r->nholes ? "holes" : "no hole");
		if (r->nholes == 0) {
			tl_buf_printf(b, NULL, "%zu intended contexts admitted, nothing else.\n",
				      r->admitted_intended);
			continue;
		}
		tl_buf_append_str(b,
				  "| kind | context | `sub` | admitted by |\n"
				  "| --- | --- | --- | --- |\n",
				  NULL);
		json_object_foreach((json_t *)r->holes, kind, list)
		{
			size_t i;
			json_t *h;
			json_array_foreach(list, i, h)
			{
				tl_buf_printf(b, NULL, "| %s | ", kind);
				md_cell(b, str_or(h, "context", ""));
				tl_buf_append_str(b, " | `", NULL);
				md_cell(b, str_or(h, "sub", ""));
				tl_buf_append_str(b, "` | ", NULL);
				md_cell(b, str_or(h, "admitted_by", ""));
				tl_buf_append_str(b, " |\n", NULL);
			}
		}
		tl_buf_append_str(b, "\nFixes:\n\n", NULL);
		json_object_foreach((json_t *)r->holes, kind, list)
		{
			enum tl_probe_kind k = 0;
			if (json_array_size(list) == 0)
				continue;
			while (k < TL_PROBE_KIND_COUNT && strcmp(tl_probe_kind_name(k), kind) != 0)
				k++;
			tl_buf_printf(b, NULL, "- **%s**: %s\n", kind, tl_probe_kind_hint(k));
		}
	}
}

static json_t *
render_json(const struct probe *p)
{
	json_t *roles = json_array();
	size_t total = 0;

	for (size_t ri = 0; ri < p->roles.count; ri++) {
		const struct role *r = &p->r[ri];
		json_t *groups = json_array();
		const char *kind;
		json_t *list;
		json_object_foreach((json_t *)r->holes, kind, list)
		{
			enum tl_probe_kind k = 0;
			if (json_array_size(list) == 0)
				continue;
			while (k < TL_PROBE_KIND_COUNT && strcmp(tl_probe_kind_name(k), kind) != 0)
				k++;
			json_array_append_new(groups,
					      json_pack("{s:s, s:s, s:s, s:O}", "kind", kind,
							"title", tl_probe_kind_title(k), "fix",
							tl_probe_kind_hint(k), "contexts", list));
		}
		json_array_append_new(
			roles, json_pack("{s:s, s:s, s:I, s:I, s:O, s:o}", "name", r->src->name,
					 "source", r->src->source, "holes", (json_int_t)r->nholes,
					 "intended_admitted", (json_int_t)r->admitted_intended,
					 "intended_denied", r->denied_intended, "groups", groups));
		total += r->nholes;
	}
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:o}", "input", p->input, "intended", p->note,
			 "tried", (json_int_t)p->space.count, "not_tried",
			 (json_int_t)p->space.dropped, "holes", (json_int_t)total, "roles", roles);
}

static void
probe_finish(struct probe *p)
{
	for (size_t i = 0; p->r && i < p->roles.count; i++) {
		json_decref(p->r[i].policy);
		json_decref(p->r[i].intended);
		json_decref(p->r[i].denied_intended);
		json_decref(p->r[i].holes);
	}
	free(p->r);
	tl_probe_space_finish(&p->space);
	tl_role_list_finish(&p->roles);
	json_decref(p->bases);
	json_decref(p->registered);
	json_decref(p->issuers);
}

int
tl_cmd_probe(int argc, char **argv)
{
	enum { OPT_PROVIDER = 256, OPT_REPOSITORY, OPT_REF, OPT_AUDIENCE, OPT_MAX, OPT_INTENT };
	static const struct option options[] = {
		{"provider", required_argument, NULL, OPT_PROVIDER},
		{"repository", required_argument, NULL, OPT_REPOSITORY},
		{"ref", required_argument, NULL, OPT_REF},
		{"audience", required_argument, NULL, OPT_AUDIENCE},
		{"format", required_argument, NULL, 'f'},
		{"max-contexts", required_argument, NULL, OPT_MAX},
		{"intent", required_argument, NULL, OPT_INTENT},
		{"jobs", required_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct intent in = {0};
	struct probe p;
	struct tl_probe_options popt = {0};
	struct tl_space_result *res = NULL;
	json_t *providers = NULL, *roles = NULL, *cases = NULL;
	const char *format = "text";
	unsigned long jobs = 4, max = 500;
	struct tl_error err;
	struct tl_buf out;
	char line[TL_ERROR_FILE_MAX + TL_ERROR_PATH_MAX + TL_ERROR_MESSAGE_MAX + 64];
	int opt, status = TL_EXIT_USAGE;
	char *end;

	memset(&p, 0, sizeof(p));
	tl_buf_init(&out, 256 * 1024 * 1024);
	while ((opt = getopt_long(argc, argv, "f:j:h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_PROVIDER:
			if (!tl_claims_profile_find(optarg)) {
				fprintf(stderr,
					"trustlab probe: --provider '%s': unknown profile\n",
					optarg);
				goto out;
			}
			in.provider = optarg;
			break;
		case OPT_REPOSITORY:
			in.repository = optarg;
			break;
		case OPT_REF:
			in.ref = optarg;
			break;
		case OPT_AUDIENCE:
			in.audience = optarg;
			break;
		case OPT_INTENT: {
			char **grown = realloc(in.pairs, (in.npairs + 1) * sizeof(*grown));
			if (!grown)
				goto nomem;
			in.pairs = grown;
			in.pairs[in.npairs++] = optarg;
			break;
		}
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json") &&
			    strcmp(optarg, "markdown")) {
				fprintf(stderr,
					"trustlab probe: --format '%s': expected text, json or "
					"markdown\n",
					optarg);
				goto out;
			}
			format = optarg;
			break;
		case OPT_MAX:
			max = strtoul(optarg, &end, 10);
			if (*end || max < 1 || max > 20000) {
				fprintf(stderr,
					"trustlab probe: --max-contexts '%s': expected 1 to "
					"20000\n",
					optarg);
				goto out;
			}
			break;
		case 'j':
			jobs = strtoul(optarg, &end, 10);
			if (*end || jobs < 1 || jobs > MAX_JOBS) {
				fprintf(stderr, "trustlab probe: --jobs '%s': expected 1 to %d\n",
					optarg, MAX_JOBS);
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			status = TL_EXIT_OK;
			goto out;
		default:
			fprintf(stderr, "Try 'trustlab probe --help'.\n");
			goto out;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "trustlab probe: expected one policy or scenario file\nTry "
				"'trustlab probe --help'.\n");
		goto out;
	}
	p.input = argv[optind];
	if (tl_roles_load(p.input, &p.roles, &err) < 0) {
		tl_error_format(&err, line, sizeof(line));
		fprintf(stderr, "trustlab probe: %s\n", line);
		goto out;
	}
	if (!p.roles.scenario && in.npairs) {
		fprintf(stderr, "trustlab probe: --intent is for scenarios\n");
		goto out;
	}
	if (p.roles.scenario && (in.provider || in.repository || in.ref || in.audience)) {
		fprintf(stderr, "trustlab probe: --provider, --repository, --ref and --audience "
				"are for policy files; a scenario declares its intended cases\n");
		goto out;
	}
	p.r = calloc(p.roles.count, sizeof(*p.r));
	p.bases = json_array();
	p.registered = json_object();
	p.issuers = json_object();
	if (!p.r || !p.bases || !p.registered || !p.issuers)
		goto nomem;
	for (size_t i = 0; i < p.roles.count; i++) {
		p.r[i].src = &p.roles.items[i];
		p.r[i].policy = json_loads(p.roles.items[i].policy_text, 0, NULL);
		p.r[i].intended = json_array();
		p.r[i].denied_intended = json_array();
		p.r[i].holes = json_object();
		if (!p.r[i].policy || !p.r[i].intended || !p.r[i].denied_intended || !p.r[i].holes)
			goto nomem;
	}
	if ((p.roles.scenario ? intended_from_scenario(&p, &in) : intended_from_options(&p, &in)) <
	    0)
		goto out;
	{
		size_t nb = json_array_size(p.bases);
		struct tl_probe_base *bases = calloc(nb ? nb : 1, sizeof(*bases));
		const json_t **pols = calloc(p.roles.count, sizeof(*pols));
		int rc;
		if (!bases || !pols) {
			free(bases);
			free(pols);
			goto nomem;
		}
		for (size_t i = 0; i < nb; i++) {
			const json_t *b = json_array_get(p.bases, i);
			bases[i].profile = str_or(b, "profile", "github");
			bases[i].context = json_object_get(b, "context");
			bases[i].audience = str_or(b, "audience", NULL);
		}
		for (size_t i = 0; i < p.roles.count; i++)
			pols[i] = p.r[i].policy;
		popt.max_contexts = max;
		popt.registered = p.registered;
		rc = tl_probe_generate(bases, nb, (const json_t *const *)pols, p.roles.count, &popt,
				       &p.space, &err);
		free(bases);
		free(pols);
		if (rc < 0)
			goto nomem;
	}
	status = TL_EXIT_FAILED;
	if (build_run(&p, &providers, &roles, &cases) < 0)
		goto nomem;
	res = tl_space_run(providers, roles, cases,
			   p.roles.scenario ? tl_scenario_account(p.roles.scenario) : NULL,
			   (unsigned)jobs, &err);
	if (!res) {
		tl_error_format(&err, line, sizeof(line));
		fprintf(stderr, "trustlab probe: %s\n", line);
		goto out;
	}
	classify(&p, res);
	if (strcmp(format, "json") == 0) {
		json_t *doc = render_json(&p);
		char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
		json_decref(doc);
		if (!text)
			goto nomem;
		tl_buf_printf(&out, NULL, "%s\n", text);
		free(text);
	} else if (strcmp(format, "markdown") == 0) {
		render_markdown(&p, &out);
	} else {
		render_text(&p, &out);
	}
	fwrite(tl_buf_str(&out), 1, out.len, stdout);
	fflush(stdout);
	status = TL_EXIT_OK;
	for (size_t i = 0; i < p.roles.count; i++)
		if (p.r[i].nholes)
			status = TL_EXIT_FAILED;
	goto out;
nomem:
	fprintf(stderr, "trustlab probe: out of memory\n");
	status = TL_EXIT_FAILED;
out:
	tl_space_result_finish(res, p.space.count * p.roles.count);
	json_decref(providers);
	json_decref(roles);
	json_decref(cases);
	probe_finish(&p);
	tl_buf_finish(&out);
	free(in.pairs);
	return status;
}
