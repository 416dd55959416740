/* SPDX-License-Identifier: MIT */
/*
 * What probe and diff share: loading roles from the files a user has, and
 * measuring a token space against roles through the real protocols. The
 * space runs as an in-memory scenario (every case expected "deny") through
 * tl_run_scenario, the same machinery as `trustlab run`: roles created
 * through IAM, tokens minted by mock-issuer over HTTP, exchanged with
 * AssumeRoleWithWebIdentity at mock-sts; an admitted context is a
 * surprise, so it comes back with its decision trace.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/file.h"

#include "claims/claims.h"
#include "exchange/exchange.h"
#include "policy/policy.h"
#include "probe/probe.h"
#include "report/report.h"
#include "rolesrc/rolesrc.h"
#include "runner.h"
#include "scenario/scenario.h"

#define MAX_POLICY_FILE (1024 * 1024)

void
tl_role_list_finish(struct tl_role_list *l)
{
	for (size_t i = 0; l && i < l->count; i++) {
		free(l->items[i].name);
		free(l->items[i].source);
		free(l->items[i].policy_text);
	}
	if (l) {
		free(l->items);
		tl_scenario_free(l->scenario);
		memset(l, 0, sizeof(*l));
	}
}

static int
role_add(struct tl_role_list *l, const char *name, const char *source, const char *text,
	 int max_session, struct tl_error *err)
{
	struct tl_role_source *grown = realloc(l->items, (l->count + 1) * sizeof(*l->items));
	struct tl_role_source *r;

	if (!grown)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	l->items = grown;
	r = &l->items[l->count];
	r->name = strdup(name);
	r->source = strdup(source);
	r->policy_text = strdup(text);
	r->max_session_duration = max_session;
	l->count++;
	if (!r->name || !r->source || !r->policy_text)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	return 0;
}

/* A role name IAM accepts from a file name: its base name without extension. */
static void
role_name_from_path(const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n = 0;

	base = base ? base + 1 : path;
	for (const char *p = base; *p && n + 1 < size && n < 64; p++) {
		if (*p == '.' && strchr(p + 1, '.') == NULL)
			break;
		out[n++] = (strchr("_+=,.@-", *p) || (*p >= '0' && *p <= '9') ||
			    (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
				   ? *p
				   : '-';
	}
	if (n == 0)
		out[n++] = 'r';
	out[n] = '\0';
}

/* Every role of a role source other than a policy file (lib/rolesrc):
 * 1 when added, 0 for a policy file, -1 on error. */
static int
roles_from_source(const char *path, struct tl_role_list *out, struct tl_error *err)
{
	/* The embedded mock-sts account, as for scenarios without `account`. */
	const struct tl_rolesrc_options opt = {.account = "123456789012"};
	int status;
	struct tl_rolesrc *set = tl_rolesrc_open_roles(path, &opt, &status, err);

	for (size_t i = 0; set && i < tl_rolesrc_role_count(set) && status > 0; i++) {
		const struct tl_rolesrc_role *r = tl_rolesrc_role(set, i);
		char source[1200];
		struct tl_policy *policy = tl_policy_parse(r->policy, strlen(r->policy), NULL, err);
		if (!policy) {
			tl_error_prefix(err, "%s %s: ", path, r->where);
			status = -1;
			break;
		}
		tl_policy_free(policy);
		snprintf(source, sizeof(source), "%s %s", r->file, r->where);
		if (role_add(out, r->name, source, r->policy,
			     r->max_session_duration ? r->max_session_duration : 3600, err) < 0)
			status = -1;
	}
	tl_rolesrc_free(set);
	if (status < 0)
		tl_role_list_finish(out);
	return status;
}

int
tl_roles_load(const char *path, struct tl_role_list *out, struct tl_error *err)
{
	char *text = NULL;
	size_t len = 0;
	struct tl_policy *policy;
	char name[80];
	int rc;

	memset(out, 0, sizeof(*out));
	if (tl_scenario_sniff(path)) {
		const struct tl_scenario_options opt = {0};
		out->scenario = tl_scenario_load_file(path, &opt, err);
		if (!out->scenario)
			return -1;
		for (size_t i = 0; i < tl_scenario_role_count(out->scenario); i++) {
			const struct tl_scenario_role *r = tl_scenario_role(out->scenario, i);
			if (role_add(out, r->name, r->policy_file ? r->policy_file : path,
				     r->policy_text, r->max_session_duration, err) < 0)
				goto fail;
		}
		return 0;
	}
	/* Terraform plan or state, CloudFormation/CDK, IAM output: every role
	 * of the source (docs/roles-from-iac.md). A plain policy document, or
	 * a file no source format reads, takes the path below. */
	rc = roles_from_source(path, out, err);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	/* A trust policy document, as `aws iam create-role` takes it. */
	if (tl_file_read(path, MAX_POLICY_FILE, &text, &len, err) < 0)
		goto fail;
	policy = tl_policy_parse(text, len, NULL, err);
	if (!policy) {
		snprintf(err->file, sizeof(err->file), "%s", path);
		goto fail;
	}
	tl_policy_free(policy);
	role_name_from_path(path, name, sizeof(name));
	rc = role_add(out, name, path, text, 3600, err);
	free(text);
	text = NULL;
	if (rc < 0)
		goto fail;
	return 0;
fail:
	free(text);
	tl_role_list_finish(out);
	return -1;
}

void
tl_space_result_finish(struct tl_space_result *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++)
		json_decref(r[i].trace);
	free(r);
}

static int
role_index(const json_t *roles, const char *name)
{
	const char *key;
	json_t *v;
	int i = 0;

	json_object_foreach((json_t *)roles, key, v)
	{
		if (strcmp(key, name) == 0)
			return i;
		i++;
	}
	return -1;
}

struct tl_space_result *
tl_space_run(const json_t *providers, const json_t *roles, const json_t *cases, const char *account,
	     unsigned jobs, struct tl_error *err)
{
	struct tl_embedded servers = {0};
	struct tl_exchange_config cfg = {0};
	struct tl_run_selection sel = {0};
	const struct tl_scenario_options opt = {.inline_policies_only = true};
	struct tl_scenario *s = NULL;
	struct tl_report *report = NULL;
	struct tl_space_result *res = NULL;
	size_t nroles = json_object_size(roles), ncases = json_array_size(cases);
	json_t *doc;
	char *text = NULL;

	doc = json_pack("{s:i, s:s, s:O, s:O, s:O}", "trustlab", 1, "name", "token space",
			"providers", providers, "roles", roles, "cases", cases);
	if (doc && account)
		json_object_set_new(doc, "account", json_string(account));
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!text) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		goto out;
	}
	s = tl_scenario_load(text, strlen(text), "token space", TL_SCENARIO_JSON, &opt, err);
	if (!s)
		goto out;
	res = calloc(ncases * nroles + 1, sizeof(*res));
	report = tl_report_new();
	if (!res || !report) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (tl_embedded_start(&servers, NULL, err) < 0)
		goto fail;
	cfg.issuer_url = servers.issuer_url;
	cfg.sts_url = servers.sts_url;
	if (tl_run_scenario(s, &servers, &cfg, jobs, &sel, report, err) < 0)
		goto fail;
	for (size_t i = 0; i < tl_report_count(report); i++) {
		const struct tl_report_result *rr = tl_report_get(report, i);
		int ri = role_index(roles, rr->role);
		char *end;
		unsigned long ci = strtoul(rr->name + 1, &end, 10);
		struct tl_space_result *cell;
		if (ri < 0 || rr->name[0] != '#' || *end || ci >= ncases)
			continue;
		cell = &res[ci * nroles + (size_t)ri];
		cell->ran = true;
		snprintf(cell->actual, sizeof(cell->actual), "%s",
			 strcmp(rr->actual, "AccessDenied") == 0 ? "deny" : rr->actual);
		snprintf(cell->message, sizeof(cell->message), "%s",
			 rr->message ? rr->message : "");
		if (rr->trace)
			cell->trace = json_deep_copy(rr->trace);
	}
	goto out;
fail:
	tl_space_result_finish(res, ncases * nroles);
	res = NULL;
out:
	tl_embedded_stop(&servers);
	tl_report_free(report);
	tl_scenario_free(s);
	free(text);
	return res;
}

/* "Statement 'Sid'" or "Statement[i]" and its conditions, one line. */
char *
tl_space_explain(const json_t *trace)
{
	struct tl_buf b;
	size_t i, j, k;
	json_t *pol, *st, *cond;

	tl_buf_init(&b, 16 * 1024);
	json_array_foreach(json_object_get(trace, "policy"), i, pol)
	{
		json_array_foreach(json_object_get(pol, "statements"), j, st)
		{
			const char *sid = json_string_value(json_object_get(st, "sid"));
			const char *effect = json_string_value(json_object_get(st, "effect"));
			if (!json_is_true(json_object_get(st, "applied")) || !effect ||
			    strcmp(effect, "Allow") != 0)
				continue;
			if (b.len)
				tl_buf_append_str(&b, "; ", NULL);
			if (sid)
				tl_buf_printf(&b, NULL, "Statement '%s'", sid);
			else
				tl_buf_printf(&b, NULL, "Statement[%lld]",
					      (long long)json_integer_value(
						      json_object_get(st, "index")));
			if (json_array_size(json_object_get(st, "conditions")) == 0)
				tl_buf_append_str(&b, " (no conditions)", NULL);
			json_array_foreach(json_object_get(st, "conditions"), k, cond)
			{
				char *pv = json_dumps(json_object_get(cond, "policy_values"),
						      JSON_COMPACT);
				tl_buf_printf(&b, NULL, "%s %s %s %s", k ? "," : ":",
					      json_string_value(json_object_get(cond, "operator")),
					      json_string_value(json_object_get(cond, "key")),
					      pv ? pv : "?");
				free(pv);
			}
		}
	}
	if (b.len == 0)
		tl_buf_append_str(&b, "(no statement recorded)", NULL);
	return tl_buf_steal(&b, NULL);
}

/* --- token spaces for probe and diff -------------------------------------- */

static const char *
str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : dflt;
}

int
tl_space_seed_init(struct tl_space_seed *sd)
{
	memset(sd, 0, sizeof(*sd));
	sd->bases = json_array();
	sd->registered = json_object();
	sd->issuers = json_object();
	return sd->bases && sd->registered && sd->issuers ? 0 : -1;
}

void
tl_space_seed_finish(struct tl_space_seed *sd)
{
	json_decref(sd->bases);
	json_decref(sd->registered);
	json_decref(sd->issuers);
	memset(sd, 0, sizeof(*sd));
}

json_t *
tl_space_base(const char *profile, const json_t *context, const char *aud)
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
	if (!aud)
		return;
	json_array_foreach(list, i, v) if (strcmp(json_string_value(v), aud) == 0) return;
	json_array_append_new(list, json_string(aud));
}

void
tl_space_seed_providers(struct tl_space_seed *sd, const struct tl_scenario *s)
{
	for (size_t i = 0; i < tl_scenario_provider_count(s); i++) {
		const struct tl_scenario_provider *pv = tl_scenario_provider(s, i);
		size_t j;
		json_t *a;
		add_registered(sd->registered, pv->profile->name, NULL);
		json_array_foreach(pv->audiences, j, a)
			add_registered(sd->registered, pv->profile->name, json_string_value(a));
		if (pv->issuer && !json_object_get(sd->issuers, pv->profile->name))
			json_object_set_new(sd->issuers, pv->profile->name,
					    json_string(pv->issuer));
	}
}

bool
tl_space_case_is_job(const struct tl_case *c)
{
	/* Faulty or overridden tokens are not contexts a CI job has. */
	return !c->faults && !c->claims && !c->refused &&
	       (!c->audience || json_is_string(c->audience));
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

int
tl_space_seed_options(struct tl_space_seed *sd, const json_t *const *policies, size_t n,
		      const struct tl_space_intent *in, const char *cmd)
{
	const char *profile = in->provider;
	char name[256], owner_aud[300];
	const char *aud;
	json_t *auds, *envs, *ctx;
	size_t i;
	json_t *v;
	bool gitlab;

	if (!profile) {
		const json_t *st = json_object_get(policies[0], "Statement");
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
			"trustlab %s: a %s policy file: describe its intended jobs in a "
			"scenario and use that (policy files: --provider github or gitlab)\n",
			cmd, profile);
		return -1;
	}
	if (in->repository)
		snprintf(name, sizeof(name), "%s", in->repository);
	else
		guess_name(policies, n, gitlab, name, sizeof(name));
	auds = tl_probe_policy_values(policies, n, "aud");
	aud = in->audience ? in->audience : json_string_value(json_array_get(auds, 0));
	if (!aud || strpbrk(aud, "*?"))
		aud = gitlab ? "https://gitlab.com" : "sts.amazonaws.com";
	add_registered(sd->registered, profile, aud);
	/* The other client id such a provider usually has: a job's default aud. */
	if (gitlab) {
		add_registered(sd->registered, profile, "https://gitlab.com");
	} else {
		snprintf(owner_aud, sizeof(owner_aud), "https://github.com/%.*s",
			 (int)strcspn(name, "/"), name);
		add_registered(sd->registered, profile, owner_aud);
	}
	if (gitlab)
		ctx = json_pack("{s:s, s:s, s:s, s:b}", "project_path", name, "ref_type", "branch",
				"ref", in->ref ? in->ref : "main", "ref_protected", 1);
	else
		ctx = json_pack("{s:s, s:s, s:s}", "repository", name, "event", "push", "ref",
				in->ref ? in->ref : "refs/heads/main");
	json_array_append_new(sd->bases, tl_space_base(profile, ctx, aud));
	envs = tl_probe_policy_values(policies, n, "environment");
	json_array_foreach(envs, i, v)
	{
		json_t *e;
		if (strpbrk(json_string_value(v), "*?"))
			continue;
		e = json_deep_copy(ctx);
		json_object_set(e, "environment", v);
		if (gitlab)
			json_object_set_new(e, "environment_protected", json_true());
		json_array_append_new(sd->bases, tl_space_base(profile, e, aud));
		json_decref(e);
	}
	json_decref(envs);
	json_decref(auds);
	json_decref(ctx);
	snprintf(sd->note, sizeof(sd->note), "%s %s on %s%s%s", profile, name,
		 in->ref ? in->ref : (gitlab ? "main" : "refs/heads/main"),
		 json_array_size(sd->bases) > 1 ? ", with the environments the policy names" : "",
		 in->repository ? "" : " (guessed from the policy; give --repository)");
	return 0;
}

int
tl_space_generate(const struct tl_space_seed *sd, const json_t *const *policies, size_t n,
		  size_t max, struct tl_probe_space *out, struct tl_error *err)
{
	size_t nb = json_array_size(sd->bases);
	struct tl_probe_base *bases = calloc(nb + 1, sizeof(*bases));
	struct tl_probe_options popt = {.max_contexts = max, .registered = sd->registered};
	int rc;

	if (!bases)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < nb; i++) {
		const json_t *b = json_array_get(sd->bases, i);
		bases[i].profile = str_or(b, "profile", "github");
		bases[i].context = json_object_get(b, "context");
		bases[i].audience = str_or(b, "audience", NULL);
	}
	rc = tl_probe_generate(bases, nb, policies, n, &popt, out, err);
	free(bases);
	return rc;
}

int
tl_space_cases(const struct tl_probe_space *space, const struct tl_space_seed *sd,
	       json_t **providers, json_t **cases)
{
	const char *profile;
	json_t *list;

	*providers = json_object();
	*cases = json_array();
	if (!*providers || !*cases)
		return -1;
	json_object_foreach(space->audiences, profile, list)
	{
		json_t *auds = json_array();
		json_t *have = json_object_get(sd->registered, profile);
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
		if (json_object_get(sd->issuers, profile))
			json_object_set(json_object_get(*providers, profile), "issuer",
					json_object_get(sd->issuers, profile));
	}
	for (size_t i = 0; i < space->count; i++) {
		const struct tl_probe_candidate *c = &space->items[i];
		char name[32];
		json_t *token = json_deep_copy(c->context);
		if (c->audience)
			json_object_set_new(token, "audience", json_string(c->audience));
		snprintf(name, sizeof(name), "#%zu", i);
		if (json_array_append_new(*cases, json_pack("{s:s, s:s, s:o, s:{s:s}}", "name",
							    name, "provider", c->profile, "token",
							    token, "expect", "*", "deny")) < 0)
			return -1;
	}
	return 0;
}

void
tl_space_md_cell(struct tl_buf *b, const char *s)
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

void
tl_space_options_init(struct tl_space_options *o)
{
	memset(o, 0, sizeof(*o));
	o->format = "text";
	o->max_contexts = 500;
	o->jobs = 4;
}

int
tl_space_option(const char *cmd, int opt, const char *arg, struct tl_space_options *o)
{
	char *end;

	switch (opt) {
	case TL_SPACE_OPT_PROVIDER:
		if (!tl_claims_profile_find(arg)) {
			fprintf(stderr, "trustlab %s: --provider '%s': unknown profile\n", cmd,
				arg);
			return -1;
		}
		o->intent.provider = arg;
		return 1;
	case TL_SPACE_OPT_REPOSITORY:
		o->intent.repository = arg;
		return 1;
	case TL_SPACE_OPT_REF:
		o->intent.ref = arg;
		return 1;
	case TL_SPACE_OPT_AUDIENCE:
		o->intent.audience = arg;
		return 1;
	case 'f':
		if (strcmp(arg, "text") && strcmp(arg, "json") && strcmp(arg, "markdown")) {
			fprintf(stderr,
				"trustlab %s: --format '%s': expected text, markdown or json\n",
				cmd, arg);
			return -1;
		}
		o->format = arg;
		return 1;
	case TL_SPACE_OPT_MAX:
		o->max_contexts = strtoul(arg, &end, 10);
		if (*end || o->max_contexts < 1 || o->max_contexts > 20000) {
			fprintf(stderr, "trustlab %s: --max-contexts '%s': expected 1 to 20000\n",
				cmd, arg);
			return -1;
		}
		return 1;
	case 'j':
		o->jobs = strtoul(arg, &end, 10);
		if (*end || o->jobs < 1 || o->jobs > 64) {
			fprintf(stderr, "trustlab %s: --jobs '%s': expected 1 to 64\n", cmd, arg);
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}

void
tl_space_usage_options(FILE *out)
{
	fprintf(out, "      --provider NAME     profile of a policy file's tokens (default: from\n"
		     "                          the Principal, else github)\n"
		     "      --repository NAME   OWNER/REPO (GitLab: the project path) a policy\n"
		     "                          file's role is for (default: from its sub)\n"
		     "      --ref REF           the intended ref (default refs/heads/main; GitLab\n"
		     "                          main)\n"
		     "      --audience AUD      the intended aud (default: the policy's, else\n"
		     "                          sts.amazonaws.com)\n"
		     "  -f, --format FORMAT     text (default), markdown, json\n"
		     "      --max-contexts N    generated candidates tried at most (default 500)\n"
		     "  -j, --jobs N            exchanges in parallel (default 4)\n"
		     "  -h, --help              show this help\n");
}

int
tl_space_append_json(struct tl_buf *out, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;

	json_decref(doc);
	if (!text)
		return -1;
	tl_buf_printf(out, NULL, "%s\n", text);
	free(text);
	return 0;
}
