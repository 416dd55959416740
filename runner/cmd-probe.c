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

/* What the user said the roles are for (policy files). */
struct intent {
	struct tl_space_intent options;
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
	struct tl_space_seed seed; /* bases: the union of what the roles are for */
	const char *input;
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
		"      --intent ROLE=OTHER a scenario's ROLE is meant for what OTHER's\n"
		"                          expected-allow cases say (an anti-pattern role\n"
		"                          and its hardened version); repeatable\n");
	tl_space_usage_options(out);
	fprintf(out,
		"\n"
		"Exit status: 0 no hole, 1 a hole found, 2 invalid input. See docs/probe.md.\n");
}

static const char *
str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : dflt;
}

/* Each role's intended contexts from a scenario's expected-allow cases. */
static int
intended_from_scenario(struct probe *p, const struct intent *in)
{
	const struct tl_scenario *s = p->roles.scenario;

	tl_space_seed_providers(&p->seed, s);
	for (size_t i = 0; i < tl_scenario_case_count(s); i++) {
		const struct tl_case *c = tl_scenario_case(s, i);
		const char *aud = json_string_value(c->audience);
		if (!tl_space_case_is_job(c))
			continue;
		for (size_t e = 0; e < c->n_expect; e++) {
			if (strcmp(c->expect[e].outcome, "allow") != 0)
				continue;
			for (size_t r = 0; r < p->roles.count; r++)
				if (strcmp(p->roles.items[r].name, c->expect[e].role) == 0)
					json_array_append_new(
						p->r[r].intended,
						tl_space_base(c->provider->profile->name, c->token,
							      aud));
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
			json_array_extend(p->seed.bases, p->r[r].intended);
	}
	snprintf(p->seed.note, sizeof(p->seed.note), "%s",
		 in->npairs ? "each role's expected-allow cases (--intent: another role's)"
			    : "each role's expected-allow cases");
	return 0;
}

static int
intended_from_options(struct probe *p, const struct intent *in)
{
	const json_t **pols = calloc(p->roles.count + 1, sizeof(*pols));
	int rc = -1;

	if (!pols)
		return -1;
	for (size_t r = 0; r < p->roles.count; r++)
		pols[r] = p->r[r].policy;
	if (tl_space_seed_options(&p->seed, pols, p->roles.count, &in->options, "probe") == 0) {
		for (size_t r = 0; r < p->roles.count; r++)
			json_array_extend(p->r[r].intended, p->seed.bases);
		rc = 0;
	}
	free(pols);
	return rc;
}

static json_t *
roles_json(const struct probe *p)
{
	json_t *roles = json_object();

	for (size_t r = 0; roles && r < p->roles.count; r++)
		json_object_set_new(roles, p->roles.items[r].name,
				    json_pack("{s:O, s:i}", "trust_policy", p->r[r].policy,
					      "max_session_duration",
					      p->roles.items[r].max_session_duration));
	return roles;
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

/* The holes are grouped under kind names; back to the kind. */
static enum tl_probe_kind
kind_of(const char *name)
{
	int k = 0;
	while (k < TL_PROBE_KIND_COUNT &&
	       strcmp(tl_probe_kind_name((enum tl_probe_kind)k), name) != 0)
		k++;
	return (enum tl_probe_kind)k;
}

static void
render_text(const struct probe *p, struct tl_buf *b)
{
	size_t total = 0;

	tl_buf_printf(b, NULL, "trustlab probe %s: %zu contexts tried", p->input, p->space.count);
	if (p->space.dropped)
		tl_buf_printf(b, NULL, " (%zu more not tried: --max-contexts)", p->space.dropped);
	tl_buf_printf(b, NULL, ", %zu role%s\nintended: %s\n", p->roles.count,
		      p->roles.count == 1 ? "" : "s", p->seed.note);
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
			enum tl_probe_kind k = kind_of(kind);
			if (json_array_size(list) == 0)
				continue;
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
	tl_buf_printf(b, NULL, "; intended: %s.\n", p->seed.note);
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
				tl_space_md_cell(b, str_or(h, "context", ""));
				tl_buf_append_str(b, " | `", NULL);
				tl_space_md_cell(b, str_or(h, "sub", ""));
				tl_buf_append_str(b, "` | ", NULL);
				tl_space_md_cell(b, str_or(h, "admitted_by", ""));
				tl_buf_append_str(b, " |\n", NULL);
			}
		}
		tl_buf_append_str(b, "\nFixes:\n\n", NULL);
		json_object_foreach((json_t *)r->holes, kind, list)
		{
			enum tl_probe_kind k = kind_of(kind);
			if (json_array_size(list) == 0)
				continue;
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
			enum tl_probe_kind k = kind_of(kind);
			if (json_array_size(list) == 0)
				continue;
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
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:o}", "input", p->input, "intended",
			 p->seed.note, "tried", (json_int_t)p->space.count, "not_tried",
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
	tl_space_seed_finish(&p->seed);
}

int
tl_cmd_probe(int argc, char **argv)
{
	enum { OPT_INTENT = 256 };
	static const struct option options[] = {
		TL_SPACE_LONG_OPTIONS,
		{"intent", required_argument, NULL, OPT_INTENT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct intent in = {0};
	struct tl_space_options so;
	struct probe p;
	struct tl_space_result *res = NULL;
	json_t *providers = NULL, *roles = NULL, *cases = NULL;
	struct tl_error err;
	struct tl_buf out;
	char line[TL_ERROR_FILE_MAX + TL_ERROR_PATH_MAX + TL_ERROR_MESSAGE_MAX + 64];
	int opt, status = TL_EXIT_USAGE, taken;

	memset(&p, 0, sizeof(p));
	tl_space_options_init(&so);
	tl_buf_init(&out, 256 * 1024 * 1024);
	while ((opt = getopt_long(argc, argv, "f:j:h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_INTENT: {
			char **grown = realloc(in.pairs, (in.npairs + 1) * sizeof(*grown));
			if (!grown)
				goto nomem;
			in.pairs = grown;
			in.pairs[in.npairs++] = optarg;
			break;
		}
		case 'h':
			usage(stdout);
			status = TL_EXIT_OK;
			goto out;
		default:
			taken = tl_space_option("probe", opt, optarg, &so);
			if (taken < 0)
				goto out;
			if (taken == 0) {
				fprintf(stderr, "Try 'trustlab probe --help'.\n");
				goto out;
			}
		}
	}
	in.options = so.intent;
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
	if (p.roles.scenario && (in.options.provider || in.options.repository || in.options.ref ||
				 in.options.audience)) {
		fprintf(stderr, "trustlab probe: --provider, --repository, --ref and --audience "
				"are for policy files; a scenario declares its intended cases\n");
		goto out;
	}
	p.r = calloc(p.roles.count, sizeof(*p.r));
	if (!p.r || tl_space_seed_init(&p.seed) < 0)
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
	if (p.roles.scenario && json_array_size(p.seed.bases) == 0) {
		/* Credential-chain scenarios, or only deny cases: no job to vary. */
		fprintf(stderr,
			"trustlab probe: %s: no web-identity case is expected to be allowed, so "
			"there is no job to start the search from; probe a role's policy file "
			"with --provider and --repository instead\n",
			p.input);
		goto out;
	}
	{
		const json_t **pols = calloc(p.roles.count + 1, sizeof(*pols));
		int rc;
		if (!pols)
			goto nomem;
		for (size_t i = 0; i < p.roles.count; i++)
			pols[i] = p.r[i].policy;
		rc = tl_space_generate(&p.seed, pols, p.roles.count, so.max_contexts, &p.space,
				       &err);
		free(pols);
		if (rc < 0)
			goto nomem;
	}
	status = TL_EXIT_FAILED;
	roles = roles_json(&p);
	if (!roles || tl_space_cases(&p.space, &p.seed, &providers, &cases) < 0)
		goto nomem;
	res = tl_space_run(providers, roles, cases,
			   p.roles.scenario ? tl_scenario_account(p.roles.scenario) : NULL,
			   (unsigned)so.jobs, &err);
	if (!res) {
		tl_error_format(&err, line, sizeof(line));
		fprintf(stderr, "trustlab probe: %s\n", line);
		goto out;
	}
	classify(&p, res);
	if (strcmp(so.format, "json") == 0) {
		if (tl_space_append_json(&out, render_json(&p)) < 0)
			goto nomem;
	} else if (strcmp(so.format, "markdown") == 0) {
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
