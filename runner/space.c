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

#include "exchange/exchange.h"
#include "policy/policy.h"
#include "report/report.h"
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
