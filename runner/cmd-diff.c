/* SPDX-License-Identifier: MIT */
/*
 * trustlab diff: the access matrix of two versions of the same roles over
 * one token space, measured through real exchanges, and only the cells
 * that change. The space is a scenario's cases (--scenario) or the
 * probe's generated candidates seeded from both versions' literals. Both
 * versions run side by side in one in-memory scenario (roles "old.NAME"
 * and "new.NAME") through space.c. docs/diff.md.
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/random.h"

#include "claims/claims.h"
#include "probe/probe.h"
#include "runner.h"
#include "scenario/scenario.h"

struct side {
	const char *path;
	struct tl_role_list roles;
	json_t **policies; /* parsed, one per role */
};

/* A role in either version; -1 where a version lacks it. */
struct pair {
	const char *name;
	int old_role, new_role; /* index in the side's roles */
	int old_col, new_col; /* column in the measured space */
};

struct diff {
	struct side old, new;
	struct pair *pairs;
	size_t npairs;
	json_t *labels; /* per case: {label, sub?} */
	const char *space_note;
	char note_buf[600];
	json_t *changes; /* [{...}] */
	size_t widened, narrowed; /* contexts */
};

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: trustlab diff [OPTIONS] OLD NEW\n"
		"\n"
		"Measures who can assume each role before and after a change, over the same\n"
		"token space, through real exchanges with the embedded servers, and prints\n"
		"only the cells that change: a context that gains access (widens) or loses it\n"
		"(narrows), with the statement that decides. OLD and NEW are trust-policy\n"
		"files or scenario files (roles paired by name).\n"
		"\n"
		"The token space: the cases of --scenario, or else the candidates trustlab\n"
		"probe generates, seeded from both versions' literals and wildcards.\n"
		"\n"
		"Options:\n"
		"      --scenario FILE     measure over this scenario's cases\n"
		"      --allow-widen       exit 0 even when access widens\n");
	tl_space_usage_options(out);
	fprintf(out, "\n"
		     "Exit status: 0 access does not widen (or --allow-widen), 1 it widens,\n"
		     "2 invalid input. See docs/diff.md.\n");
}

static const char *
str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : dflt;
}

static int
side_load(struct side *s, const char *path)
{
	struct tl_error err;
	char line[TL_ERROR_FILE_MAX + TL_ERROR_PATH_MAX + TL_ERROR_MESSAGE_MAX + 64];

	s->path = path;
	if (tl_roles_load(path, &s->roles, &err) < 0) {
		tl_error_format(&err, line, sizeof(line));
		fprintf(stderr, "trustlab diff: %s\n", line);
		return -1;
	}
	s->policies = calloc(s->roles.count + 1, sizeof(*s->policies));
	if (!s->policies)
		return -1;
	for (size_t i = 0; i < s->roles.count; i++) {
		s->policies[i] = json_loads(s->roles.items[i].policy_text, 0, NULL);
		if (!s->policies[i])
			return -1;
	}
	return 0;
}

static void
side_finish(struct side *s)
{
	for (size_t i = 0; s->policies && i < s->roles.count; i++)
		json_decref(s->policies[i]);
	free(s->policies);
	tl_role_list_finish(&s->roles);
}

static int
find_role(const struct side *s, const char *name)
{
	for (size_t i = 0; i < s->roles.count; i++)
		if (strcmp(s->roles.items[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Roles paired by name; two single-policy files pair whatever their names. */
static int
pair_roles(struct diff *d)
{
	size_t cap = d->old.roles.count + d->new.roles.count;

	d->pairs = calloc(cap + 1, sizeof(*d->pairs));
	if (!d->pairs)
		return -1;
	if (!d->old.roles.scenario && !d->new.roles.scenario) {
		d->pairs[0] = (struct pair){d->new.roles.items[0].name, 0, 0, -1, -1};
		d->npairs = 1;
		return 0;
	}
	for (size_t i = 0; i < d->old.roles.count; i++) {
		const char *name = d->old.roles.items[i].name;
		d->pairs[d->npairs++] =
			(struct pair){name, (int)i, find_role(&d->new, name), -1, -1};
	}
	for (size_t i = 0; i < d->new.roles.count; i++) {
		const char *name = d->new.roles.items[i].name;
		if (find_role(&d->old, name) < 0)
			d->pairs[d->npairs++] = (struct pair){name, -1, (int)i, -1, -1};
	}
	return 0;
}

static json_t *
role_json(const struct side *s, int i)
{
	return json_pack("{s:O, s:i}", "trust_policy", s->policies[i], "max_session_duration",
			 s->roles.items[i].max_session_duration);
}

/* Both versions as roles "old.NAME" and "new.NAME", columns recorded. */
static json_t *
roles_json(struct diff *d)
{
	json_t *roles = json_object();
	int col = 0;

	for (size_t p = 0; roles && p < d->npairs; p++) {
		struct pair *pr = &d->pairs[p];
		char name[80];
		if (pr->old_role >= 0) {
			snprintf(name, sizeof(name), "old.%.59s", pr->name);
			json_object_set_new(roles, name, role_json(&d->old, pr->old_role));
			pr->old_col = col++;
		}
		if (pr->new_role >= 0) {
			snprintf(name, sizeof(name), "new.%.59s", pr->name);
			json_object_set_new(roles, name, role_json(&d->new, pr->new_role));
			pr->new_col = col++;
		}
	}
	return roles;
}

/* The `sub` the provider signs for a case, "" when it gives no token. */
static char *
case_sub(const struct tl_case *c)
{
	struct tl_rng rng;
	struct tl_claims_options copt = {.now = 1767225600, .rng = &rng};
	struct tl_claims_refusal refusal;
	json_t *claims = NULL;
	char *sub;

	tl_rng_init_seeded(&rng, "trustlab diff");
	copt.audience = c->audience ? c->audience : json_array_get(c->provider->audiences, 0);
	copt.issuer = c->provider->issuer;
	if (tl_claims_build(c->provider->profile, c->token, &copt, &claims, &refusal, NULL) != 0)
		claims = NULL;
	sub = strdup(str_or(claims, "sub", ""));
	json_decref(claims);
	tl_rng_finish(&rng);
	return sub;
}

/* The cases of a scenario, as they are (audience, claims, faults, request). */
static int
scenario_space(struct diff *d, const char *path, json_t **providers, json_t **cases)
{
	const struct tl_scenario_options opt = {0};
	struct tl_error err;
	char line[TL_ERROR_FILE_MAX + TL_ERROR_PATH_MAX + TL_ERROR_MESSAGE_MAX + 64];
	struct tl_scenario *s = tl_scenario_load_file(path, &opt, &err);

	if (!s) {
		tl_error_format(&err, line, sizeof(line));
		fprintf(stderr, "trustlab diff: %s\n", line);
		return -1;
	}
	*providers = json_object();
	*cases = json_array();
	for (size_t i = 0; i < tl_scenario_provider_count(s); i++) {
		const struct tl_scenario_provider *pv = tl_scenario_provider(s, i);
		json_t *o = json_pack("{s:s, s:O}", "profile", pv->profile->name, "audiences",
				      pv->audiences);
		if (o && pv->issuer)
			json_object_set_new(o, "issuer", json_string(pv->issuer));
		json_object_set_new(*providers, pv->name, o);
	}
	for (size_t i = 0; i < tl_scenario_case_count(s); i++) {
		const struct tl_case *c = tl_scenario_case(s, i);
		json_t *token = json_deep_copy(c->token), *req = json_object();
		char name[32];
		if (c->audience)
			json_object_set(token, "audience", c->audience);
		if (c->claims)
			json_object_set(token, "claims", c->claims);
		if (c->faults)
			json_object_set(token, "faults", c->faults);
		if (c->session_name)
			json_object_set_new(req, "session_name", json_string(c->session_name));
		if (c->duration_seconds)
			json_object_set_new(req, "duration_seconds",
					    json_integer(c->duration_seconds));
		snprintf(name, sizeof(name), "#%zu", i);
		json_array_append_new(*cases,
				      json_pack("{s:s, s:s, s:o, s:o, s:{s:s}}", "name", name,
						"provider", c->provider->name, "token", token,
						"request", req, "expect", "*", "deny"));
		char *sub = case_sub(c);
		json_array_append_new(d->labels, json_pack("{s:s, s:s*}", "label", c->name, "sub",
							   sub && *sub ? sub : NULL));
		free(sub);
	}
	snprintf(d->note_buf, sizeof(d->note_buf), "the %zu cases of %s", tl_scenario_case_count(s),
		 path);
	d->space_note = d->note_buf;
	tl_scenario_free(s);
	return 0;
}

/* The probe's candidates, seeded from both versions. */
static int
generated_space(struct diff *d, const struct tl_space_intent *in, size_t max, json_t **providers,
		json_t **cases)
{
	struct tl_space_seed seed;
	struct tl_probe_space space;
	const json_t **pols;
	size_t n = 0;
	struct tl_error err;
	int rc = -1;

	tl_probe_space_init(&space);
	pols = calloc(d->old.roles.count + d->new.roles.count + 1, sizeof(*pols));
	if (!pols || tl_space_seed_init(&seed) < 0) {
		free(pols);
		return -1;
	}
	for (size_t i = 0; i < d->old.roles.count; i++)
		pols[n++] = d->old.policies[i];
	for (size_t i = 0; i < d->new.roles.count; i++)
		pols[n++] = d->new.policies[i];
	if (d->old.roles.scenario || d->new.roles.scenario) {
		/* What either version's scenario says its roles are for. */
		const struct tl_scenario *both[2] = {d->old.roles.scenario, d->new.roles.scenario};
		for (int k = 0; k < 2; k++) {
			if (!both[k])
				continue;
			tl_space_seed_providers(&seed, both[k]);
			for (size_t i = 0; i < tl_scenario_case_count(both[k]); i++) {
				const struct tl_case *c = tl_scenario_case(both[k], i);
				bool allow = false;
				for (size_t e = 0; e < c->n_expect; e++)
					allow = allow || strcmp(c->expect[e].outcome, "allow") == 0;
				if (allow && tl_space_case_is_job(c))
					json_array_append_new(
						seed.bases,
						tl_space_base(c->provider->profile->name, c->token,
							      json_string_value(c->audience)));
			}
		}
		snprintf(seed.note, sizeof(seed.note), "the scenarios' expected-allow cases");
	} else if (tl_space_seed_options(&seed, pols, n, in, "diff") < 0) {
		rc = -2;
		goto out;
	}
	if (tl_space_generate(&seed, pols, n, max, &space, &err) < 0 ||
	    tl_space_cases(&space, &seed, providers, cases) < 0)
		goto out;
	for (size_t i = 0; i < space.count; i++)
		json_array_append_new(d->labels,
				      json_pack("{s:s, s:s}", "label", space.items[i].label, "sub",
						space.items[i].sub));
	snprintf(d->note_buf, sizeof(d->note_buf),
		 "%zu contexts generated from both versions' literals, starting from %s",
		 space.count, seed.note);
	d->space_note = d->note_buf;
	rc = 0;
out:
	tl_probe_space_finish(&space);
	tl_space_seed_finish(&seed);
	free(pols);
	return rc;
}

static void
compare(struct diff *d, const struct tl_space_result *res, size_t ncols)
{
	for (size_t i = 0; i < json_array_size(d->labels); i++) {
		const json_t *label = json_array_get(d->labels, i);
		bool widened = false, narrowed = false;
		for (size_t p = 0; p < d->npairs; p++) {
			const struct pair *pr = &d->pairs[p];
			const struct tl_space_result *o =
				pr->old_col >= 0 ? &res[i * ncols + (size_t)pr->old_col] : NULL;
			const struct tl_space_result *n =
				pr->new_col >= 0 ? &res[i * ncols + (size_t)pr->new_col] : NULL;
			const char *oa = o ? o->actual : "absent", *na = n ? n->actual : "absent";
			bool oallow = strcmp(oa, "allow") == 0, nallow = strcmp(na, "allow") == 0;
			char *by;
			if (oallow == nallow)
				continue;
			by = tl_space_explain(nallow ? n->trace : o->trace);
			json_array_append_new(
				d->changes,
				json_pack("{s:s, s:s, s:s, s:s*, s:s, s:s, s:s}", "change",
					  nallow ? "widens" : "narrows", "role", pr->name,
					  "context", str_or(label, "label", ""), "sub",
					  str_or(label, "sub", NULL), "old", oa, "new", na,
					  nallow ? "allowed_by_new" : "allowed_by_old",
					  by ? by : ""));
			free(by);
			widened = widened || nallow;
			narrowed = narrowed || !nallow;
		}
		d->widened += widened;
		d->narrowed += narrowed;
	}
}

static const char *
deciding(const json_t *c)
{
	const char *by = str_or(c, "allowed_by_new", NULL);
	return by ? by : str_or(c, "allowed_by_old", "");
}

static void
summary(const struct diff *d, struct tl_buf *b)
{
	if (d->widened)
		tl_buf_printf(b, NULL, "access widens for %zu context%s", d->widened,
			      d->widened == 1 ? "" : "s");
	if (d->widened && d->narrowed)
		tl_buf_printf(b, NULL, " and narrows for %zu", d->narrowed);
	else if (d->narrowed)
		tl_buf_printf(b, NULL, "access narrows for %zu context%s", d->narrowed,
			      d->narrowed == 1 ? "" : "s");
	else if (!d->widened)
		tl_buf_append_str(b, "no change in access", NULL);
}

static void
render_text(const struct diff *d, struct tl_buf *b)
{
	size_t i;
	json_t *c;

	tl_buf_printf(b, NULL, "trustlab diff %s -> %s: %zu role%s over %s\n", d->old.path,
		      d->new.path, d->npairs, d->npairs == 1 ? "" : "s", d->space_note);
	json_array_foreach(d->changes, i, c)
	{
		tl_buf_printf(b, NULL, "%-7s %s: %s", str_or(c, "change", ""),
			      str_or(c, "role", ""), str_or(c, "context", ""));
		if (json_object_get(c, "sub"))
			tl_buf_printf(b, NULL, " (sub %s)", str_or(c, "sub", ""));
		tl_buf_printf(b, NULL, ": %s -> %s\n        %s by %s\n", str_or(c, "old", ""),
			      str_or(c, "new", ""),
			      json_object_get(c, "allowed_by_new") ? "allowed" : "was allowed",
			      deciding(c));
	}
	summary(d, b);
	tl_buf_append_str(b, "\n", NULL);
}

static void
render_markdown(const struct diff *d, struct tl_buf *b)
{
	size_t i;
	json_t *c;

	tl_buf_append_str(b, "### trustlab diff: ", NULL);
	summary(d, b);
	tl_buf_printf(b, NULL,
		      "\n\n`%s` → `%s`, %zu role%s, measured through real token "
		      "exchanges over %s.\n\n",
		      d->old.path, d->new.path, d->npairs, d->npairs == 1 ? "" : "s",
		      d->space_note);
	if (json_array_size(d->changes) == 0) {
		tl_buf_append_str(b, "No context changes access.\n", NULL);
		return;
	}
	tl_buf_append_str(b,
			  "| change | role | context | `sub` | old | new | deciding statement |\n"
			  "| --- | --- | --- | --- | --- | --- | --- |\n",
			  NULL);
	json_array_foreach(d->changes, i, c)
	{
		bool widens = strcmp(str_or(c, "change", ""), "widens") == 0;
		tl_buf_printf(b, NULL, "| %s | `", widens ? "**widens**" : "narrows");
		tl_space_md_cell(b, str_or(c, "role", ""));
		tl_buf_append_str(b, "` | ", NULL);
		tl_space_md_cell(b, str_or(c, "context", ""));
		tl_buf_append_str(b, " | ", NULL);
		if (json_object_get(c, "sub")) {
			tl_buf_append_str(b, "`", NULL);
			tl_space_md_cell(b, str_or(c, "sub", ""));
			tl_buf_append_str(b, "`", NULL);
		}
		tl_buf_printf(b, NULL, " | %s | %s | %s", str_or(c, "old", ""),
			      str_or(c, "new", ""), widens ? "new " : "old ");
		tl_space_md_cell(b, deciding(c));
		tl_buf_append_str(b, " |\n", NULL);
	}
	tl_buf_append_str(b, "\n**", NULL);
	summary(d, b);
	tl_buf_append_str(b, "**.\n", NULL);
}

int
tl_cmd_diff(int argc, char **argv)
{
	enum { OPT_SCENARIO = 256, OPT_ALLOW_WIDEN };
	static const struct option options[] = {
		TL_SPACE_LONG_OPTIONS,
		{"scenario", required_argument, NULL, OPT_SCENARIO},
		{"allow-widen", no_argument, NULL, OPT_ALLOW_WIDEN},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct diff d;
	struct tl_space_options so;
	struct tl_space_result *res = NULL;
	json_t *providers = NULL, *roles = NULL, *cases = NULL;
	const char *scenario = NULL;
	bool allow_widen = false;
	struct tl_error err;
	struct tl_buf out;
	char line[TL_ERROR_FILE_MAX + TL_ERROR_PATH_MAX + TL_ERROR_MESSAGE_MAX + 64];
	int opt, status = TL_EXIT_USAGE, rc, taken;

	memset(&d, 0, sizeof(d));
	tl_space_options_init(&so);
	tl_buf_init(&out, 256 * 1024 * 1024);
	while ((opt = getopt_long(argc, argv, "f:j:h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_SCENARIO:
			scenario = optarg;
			break;
		case OPT_ALLOW_WIDEN:
			allow_widen = true;
			break;
		case 'h':
			usage(stdout);
			status = TL_EXIT_OK;
			goto out;
		default:
			taken = tl_space_option("diff", opt, optarg, &so);
			if (taken < 0)
				goto out;
			if (taken == 0) {
				fprintf(stderr, "Try 'trustlab diff --help'.\n");
				goto out;
			}
		}
	}
	if (optind + 2 != argc) {
		fprintf(stderr, "trustlab diff: expected OLD and NEW\nTry 'trustlab diff "
				"--help'.\n");
		goto out;
	}
	if (side_load(&d.old, argv[optind]) < 0 || side_load(&d.new, argv[optind + 1]) < 0 ||
	    pair_roles(&d) < 0)
		goto out;
	d.labels = json_array();
	d.changes = json_array();
	roles = roles_json(&d);
	if (!d.labels || !d.changes || !roles)
		goto nomem;
	rc = scenario ? scenario_space(&d, scenario, &providers, &cases)
		      : generated_space(&d, &so.intent, so.max_contexts, &providers, &cases);
	if (rc == -2 || (rc < 0 && scenario))
		goto out;
	if (rc < 0)
		goto nomem;
	status = TL_EXIT_FAILED;
	res = tl_space_run(providers, roles, cases,
			   d.new.roles.scenario ? tl_scenario_account(d.new.roles.scenario) : NULL,
			   (unsigned)so.jobs, &err);
	if (!res) {
		tl_error_format(&err, line, sizeof(line));
		fprintf(stderr, "trustlab diff: %s\n", line);
		goto out;
	}
	compare(&d, res, json_object_size(roles));
	if (strcmp(so.format, "json") == 0) {
		json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:O}", "old", d.old.path,
					"new", d.new.path, "space", d.space_note, "contexts",
					(json_int_t)json_array_size(d.labels), "widened",
					(json_int_t)d.widened, "narrowed", (json_int_t)d.narrowed,
					"changes", d.changes);
		if (tl_space_append_json(&out, doc) < 0)
			goto nomem;
	} else if (strcmp(so.format, "markdown") == 0) {
		render_markdown(&d, &out);
	} else {
		render_text(&d, &out);
	}
	fwrite(tl_buf_str(&out), 1, out.len, stdout);
	fflush(stdout);
	status = d.widened && !allow_widen ? TL_EXIT_FAILED : TL_EXIT_OK;
	goto out;
nomem:
	fprintf(stderr, "trustlab diff: out of memory\n");
	status = TL_EXIT_FAILED;
out:
	tl_space_result_finish(res, json_array_size(d.labels) * json_object_size(roles));
	json_decref(providers);
	json_decref(roles);
	json_decref(cases);
	json_decref(d.labels);
	json_decref(d.changes);
	free(d.pairs);
	side_finish(&d.old);
	side_finish(&d.new);
	tl_buf_finish(&out);
	return status;
}
