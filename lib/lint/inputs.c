/* SPDX-License-Identifier: MIT */
/*
 * Lint inputs: the one place files become {name, source, policy text,
 * max session duration}: policy files, scenarios, and the role sources of
 * lib/rolesrc (Terraform plans, CloudFormation, get-role output).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

#include "lint/lint.h"
#include "policy/policy.h"
#include "rolesrc/rolesrc.h"
#include "scenario/scenario.h"

#define INPUT_FILE_MAX (1024 * 1024)

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int
tl_lint_inputs_add(struct tl_lint_inputs *in, const char *name, const char *file, const char *where,
		   const char *text, size_t len, int max_session_duration, struct tl_error *err)
{
	struct tl_lint_input *it;

	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 8;
		void *p = realloc(in->items, cap * sizeof(*in->items));
		if (!p)
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		in->items = p;
		in->cap = cap;
	}
	it = &in->items[in->n];
	memset(it, 0, sizeof(*it));
	it->name = strdup(name);
	it->file = strdup(file);
	it->where = dup_or_null(where);
	it->policy_text = malloc(len + 1);
	if (!it->name || !it->file || (where && !it->where) || !it->policy_text) {
		free(it->name);
		free(it->file);
		free(it->where);
		free(it->policy_text);
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	}
	memcpy(it->policy_text, text, len);
	it->policy_text[len] = '\0';
	it->policy_len = len;
	it->max_session_duration = max_session_duration;
	in->n++;
	return 0;
}

void
tl_lint_inputs_finish(struct tl_lint_inputs *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->n; i++) {
		free(in->items[i].name);
		free(in->items[i].file);
		free(in->items[i].where);
		free(in->items[i].policy_text);
	}
	free(in->items);
	memset(in, 0, sizeof(*in));
}

/* Whether the role's policy text is the whole policy file (positions apply). */
static bool
text_is_file(const char *path, const char *text)
{
	char *data = NULL;
	size_t len;
	bool same;

	if (tl_file_read(path, INPUT_FILE_MAX, &data, &len, NULL) < 0)
		return false;
	same = len == strlen(text) && memcmp(data, text, len) == 0;
	free(data);
	return same;
}

static int
load_scenario(struct tl_lint_inputs *in, const char *path, struct tl_error *err)
{
	/* Room for policy-size to report policies over the default quota. */
	struct tl_policy_limits limits = {.max_chars = TL_POLICY_SIZE_MAX};
	struct tl_scenario_options opt = {.policy_limits = &limits};
	struct tl_scenario *s = tl_scenario_load_file(path, &opt, err);
	int rc = 0;

	if (!s)
		return -1;
	for (size_t i = 0; i < tl_scenario_role_count(s) && rc == 0; i++) {
		const struct tl_scenario_role *r = tl_scenario_role(s, i);
		char name[1024], where[600];
		const char *file = path, *w = where;

		snprintf(name, sizeof(name), "%s role %s", path, r->name);
		snprintf(where, sizeof(where), "roles.%s.trust_policy", r->name);
		if (r->policy_file) {
			file = r->policy_file;
			w = text_is_file(r->policy_file, r->policy_text)
				    ? NULL
				    : "Role.AssumeRolePolicyDocument";
		}
		rc = tl_lint_inputs_add(in, name, file, w, r->policy_text, strlen(r->policy_text),
					r->max_session_duration, err);
	}
	tl_scenario_free(s);
	return rc;
}

/* Every role of a role source other than a policy file (lib/rolesrc):
 * 1 when added, 0 for a policy file, -1 on error. */
static int
load_source(struct tl_lint_inputs *in, const char *path, struct tl_error *err)
{
	/* The account ARNs left to AWS resolve to (mock-sts's default). */
	const struct tl_rolesrc_options opt = {.account = "123456789012"};
	int status;
	struct tl_rolesrc *set = tl_rolesrc_open_roles(path, &opt, &status, err);

	for (size_t i = 0; set && i < tl_rolesrc_role_count(set) && status > 0; i++) {
		const struct tl_rolesrc_role *r = tl_rolesrc_role(set, i);
		char name[1200];
		snprintf(name, sizeof(name), "%s role %s (%s)", path, r->name, r->where);
		if (tl_lint_inputs_add(in, name, path, r->where, r->policy, strlen(r->policy),
				       r->max_session_duration, err) < 0)
			status = -1;
	}
	tl_rolesrc_free(set);
	return status;
}

int
tl_lint_inputs_load(struct tl_lint_inputs *in, const char *path, struct tl_error *err)
{
	char *data = NULL;
	size_t len;
	int rc;

	if (tl_scenario_sniff(path))
		return load_scenario(in, path, err);
	rc = load_source(in, path, err);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	if (tl_file_read(path, INPUT_FILE_MAX, &data, &len, err) < 0) {
		if (err && !err->file[0])
			snprintf(err->file, sizeof(err->file), "%s", path);
		return -1;
	}
	rc = tl_lint_inputs_add(in, path, path, NULL, data, len, 0, err);
	free(data);
	return rc;
}
