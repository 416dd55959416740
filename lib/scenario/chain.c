/* SPDX-License-Identifier: MIT */
/*
 * `credential_chain`: cases that name a job's environment and the identity
 * a real SDK's default credential chain must end up with
 * (docs/credential-chain.md). Validated completely at load time, like the
 * rest of a scenario; the runner builds and runs them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

#include "json/json.h"
#include "scenario-private.h"
#include "scenario/chain.h"
#include "scenario/scenario.h"

#define FILE_MAX (64 * 1024)

struct tl_chain_set {
	struct tl_chain_case *cases;
	size_t count;
	char **owned; /* strings the cases point at */
	size_t n_owned, cap_owned;
};

const char *
tl_chain_sdk_name(enum tl_chain_sdk sdk)
{
	switch (sdk) {
	case TL_CHAIN_SDK_NODE:
		return "node";
	case TL_CHAIN_SDK_BOTO3:
		return "boto3";
	}
	return NULL;
}

size_t
tl_scenario_chain_count(const struct tl_scenario *s)
{
	const struct tl_chain_set *set = tl_scenario_chain_set(s);
	return set ? set->count : 0;
}

const struct tl_chain_case *
tl_scenario_chain_case(const struct tl_scenario *s, size_t i)
{
	const struct tl_chain_set *set = tl_scenario_chain_set(s);
	return set && i < set->count ? &set->cases[i] : NULL;
}

void
tl_scenario_chain_free(struct tl_chain_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n_owned; i++)
		free(set->owned[i]);
	free(set->owned);
	free(set->cases);
	free(set);
}

/* Takes ownership of `text` (NULL: allocation failure). */
static const char *
own(struct tl_chain_set *set, char *text)
{
	if (!text)
		return NULL;
	if (set->n_owned == set->cap_owned) {
		size_t cap = set->cap_owned ? 2 * set->cap_owned : 16;
		char **o = realloc(set->owned, cap * sizeof(*o));
		if (!o) {
			free(text);
			return NULL;
		}
		set->owned = o;
		set->cap_owned = cap;
	}
	set->owned[set->n_owned++] = text;
	return text;
}

struct ctx {
	struct loader *L;
	const struct tl_scenario *s;
	struct tl_chain_set *set;
	char path[TL_ERROR_PATH_MAX];
};

#define FAIL(c, sub, ...)                                     \
	(snprintf((c)->path, sizeof((c)->path), "%s", (sub)), \
	 tl_scenario_loader_fail((c)->L, TL_ERR_INVALID, (c)->path, __VA_ARGS__))

static const char *
sub(char *buf, size_t size, const struct tl_jpath *p, const char *key)
{
	snprintf(buf, size, "%s%s%s", tl_jpath_str(p), *tl_jpath_str(p) ? "." : "", key);
	return buf;
}

/* Refuses members not in `allowed`. */
static int
only(struct ctx *c, const json_t *obj, const char *const *allowed, const struct tl_jpath *p)
{
	const char *key;
	json_t *v;
	char buf[TL_ERROR_PATH_MAX], list[512] = "";

	for (const char *const *a = allowed; *a; a++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 a == allowed ? "" : ", ", *a);
	json_object_foreach((json_t *)obj, key, v)
	{
		bool known = false;
		for (const char *const *a = allowed; *a && !known; a++)
			known = strcmp(*a, key) == 0;
		if (!known)
			return FAIL(c, sub(buf, sizeof(buf), p, key),
				    "unknown field '%s' (expected one of: %s)", key, list);
	}
	return 0;
}

/* A string member: 0 with *out, 1 when absent, -1 on a wrong type. */
static int
str(struct ctx *c, const json_t *obj, const char *key, const struct tl_jpath *p, const char **out)
{
	json_t *v = json_object_get(obj, key);
	char buf[TL_ERROR_PATH_MAX];

	*out = NULL;
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_string(v) || !*json_string_value(v))
		return FAIL(c, sub(buf, sizeof(buf), p, key),
			    "expected a non-empty string, found %s", tl_json_type_name(v));
	*out = json_string_value(v);
	return 0;
}

static const struct tl_scenario_role *
role_named(const struct tl_scenario *s, const char *name)
{
	for (size_t i = 0; i < tl_scenario_role_count(s); i++)
		if (strcmp(tl_scenario_role(s, i)->name, name) == 0)
			return tl_scenario_role(s, i);
	return NULL;
}

static int
role_ref(struct ctx *c, const json_t *obj, const struct tl_jpath *p, bool required,
	 const char **out)
{
	char buf[TL_ERROR_PATH_MAX];
	int rc = str(c, obj, "role", p, out);

	if (rc < 0)
		return -1;
	if (rc == 1)
		return required ? FAIL(c, tl_jpath_str(p), "missing required field 'role'") : 0;
	if (!role_named(c->s, *out))
		return FAIL(c, sub(buf, sizeof(buf), p, "role"),
			    "no role named '%s' in this scenario's roles", *out);
	return 0;
}

/* `config_file` / `credentials_file`: a path relative to the scenario, or {text: ...}. */
static int
file_text(struct ctx *c, const json_t *env, const char *key, const struct tl_jpath *p,
	  const char **out)
{
	json_t *v = json_object_get(env, key);
	char buf[TL_ERROR_PATH_MAX], full[4096];
	struct tl_error e;
	char *data;
	size_t len;

	*out = NULL;
	if (!v)
		return 0;
	sub(buf, sizeof(buf), p, key);
	if (json_is_object(v)) {
		json_t *t = json_object_get(v, "text");
		if (json_object_size(v) != 1 || !json_is_string(t))
			return FAIL(c, buf, "expected {text: \"...\"} or a file path");
		*out = json_string_value(t);
		return 0;
	}
	if (!json_is_string(v) || !*json_string_value(v))
		return FAIL(c, buf, "expected a file path or {text: \"...\"}, found %s",
			    tl_json_type_name(v));
	if (tl_scenario_loader_inline_only(c->L))
		return FAIL(c, buf, "only inline files ({text: ...}) are allowed here");
	if (tl_path_join_relative(tl_scenario_file(c->s), json_string_value(v), full, sizeof(full),
				  &e) < 0 ||
	    tl_file_read(full, FILE_MAX, &data, &len, &e) < 0)
		return FAIL(c, buf, "%s", e.message);
	if (strlen(data) != len) {
		free(data);
		return FAIL(c, buf, "'%s' holds a NUL byte", full);
	}
	*out = own(c->set, data);
	return *out ? 0 : FAIL(c, buf, "out of memory");
}

static int
load_env(struct ctx *c, struct tl_chain_case *cc, const json_t *env, const struct tl_jpath *p)
{
	static const char *const keys[] = {
		"static_keys", "web_identity",	   "container", "instance",
		"config_file", "credentials_file", "profile",	NULL};
	static const char *const sk_keys[] = {"user", NULL};
	static const char *const wi_keys[] = {"role", "provider", "token", "session_name", NULL};
	static const char *const ct_keys[] = {"role", "task", "authorization", NULL};
	static const char *const in_keys[] = {"role",	   "id",	   "http_tokens",
					      "hop_limit", "in_container", NULL};
	char buf[TL_ERROR_PATH_MAX];
	json_t *v;
	int rc = 0;

	if (!json_is_object(env))
		return FAIL(c, tl_jpath_str(p), "expected an object (the job's environment)");
	if (only(c, env, keys, p) < 0)
		return -1;
	if ((v = json_object_get(env, "static_keys"))) {
		struct tl_jpath q = *p;
		tl_jpath_push_key(&q, "static_keys");
		if (!json_is_object(v) || only(c, v, sk_keys, &q) < 0)
			return json_is_object(v)
				       ? -1
				       : FAIL(c, tl_jpath_str(&q), "expected {user: NAME}");
		if (str(c, v, "user", &q, &cc->static_user) != 0)
			return cc->static_user ? -1 : FAIL(c, tl_jpath_str(&q), "missing 'user'");
	}
	if ((v = json_object_get(env, "web_identity"))) {
		struct tl_jpath q = *p;
		const char *prov = NULL;
		tl_jpath_push_key(&q, "web_identity");
		if (!json_is_object(v))
			return FAIL(c, tl_jpath_str(&q),
				    "expected an object {role, provider, token}");
		if (only(c, v, wi_keys, &q) < 0 || role_ref(c, v, &q, true, &cc->wi_role) < 0 ||
		    str(c, v, "provider", &q, &prov) < 0 ||
		    str(c, v, "session_name", &q, &cc->wi_session) < 0)
			return -1;
		cc->wi_provider = tl_scenario_loader_default_provider(c->L);
		if (prov) {
			cc->wi_provider = NULL;
			for (size_t i = 0; i < tl_scenario_provider_count(c->s); i++)
				if (strcmp(tl_scenario_provider(c->s, i)->name, prov) == 0)
					cc->wi_provider = tl_scenario_provider(c->s, i);
			if (!cc->wi_provider)
				return FAIL(c, sub(buf, sizeof(buf), &q, "provider"),
					    "no provider named '%s'", prov);
		}
		if (!cc->wi_provider)
			return FAIL(c, tl_jpath_str(&q), "name the provider (the scenario has %zu)",
				    tl_scenario_provider_count(c->s));
		cc->wi_token = json_object_get(v, "token");
		if (cc->wi_token && !json_is_object(cc->wi_token))
			return FAIL(c, sub(buf, sizeof(buf), &q, "token"),
				    "expected an object (the token context)");
	}
	if ((v = json_object_get(env, "container"))) {
		struct tl_jpath q = *p;
		tl_jpath_push_key(&q, "container");
		if (!json_is_object(v))
			return FAIL(c, tl_jpath_str(&q), "expected an object {role, task}");
		if (only(c, v, ct_keys, &q) < 0 || role_ref(c, v, &q, true, &cc->task_role) < 0 ||
		    str(c, v, "task", &q, &cc->task_id) < 0 ||
		    str(c, v, "authorization", &q, &cc->task_authorization) < 0)
			return -1;
		if (!cc->task_id)
			cc->task_id = "task-1";
		if (!cc->task_authorization)
			cc->task_authorization = "match";
		if (strcmp(cc->task_authorization, "match") &&
		    strcmp(cc->task_authorization, "wrong") &&
		    strcmp(cc->task_authorization, "missing"))
			return FAIL(c, sub(buf, sizeof(buf), &q, "authorization"),
				    "expected match, wrong or missing, found '%s'",
				    cc->task_authorization);
	}
	if ((v = json_object_get(env, "instance"))) {
		struct tl_jpath q = *p;
		const char *tokens = NULL;
		json_t *h, *ic;
		tl_jpath_push_key(&q, "instance");
		if (!json_is_object(v))
			return FAIL(c, tl_jpath_str(&q), "expected an object {role, http_tokens}");
		if (only(c, v, in_keys, &q) < 0 ||
		    role_ref(c, v, &q, false, &cc->instance_role) < 0 ||
		    str(c, v, "id", &q, &cc->instance_id) < 0 ||
		    str(c, v, "http_tokens", &q, &tokens) < 0)
			return -1;
		cc->instance = true;
		if (!cc->instance_id)
			cc->instance_id = "i-0123456789abcdef0";
		if (tokens && strcmp(tokens, "required") && strcmp(tokens, "optional"))
			return FAIL(c, sub(buf, sizeof(buf), &q, "http_tokens"),
				    "expected required (IMDSv2 only) or optional, found '%s'",
				    tokens);
		cc->imds_optional = tokens && strcmp(tokens, "optional") == 0;
		cc->hop_limit = 2;
		h = json_object_get(v, "hop_limit");
		if (h && (!json_is_integer(h) || json_integer_value(h) < 1 ||
			  json_integer_value(h) > 64))
			return FAIL(c, sub(buf, sizeof(buf), &q, "hop_limit"),
				    "expected an integer from 1 to 64");
		if (h)
			cc->hop_limit = (int)json_integer_value(h);
		ic = json_object_get(v, "in_container");
		if (ic && !json_is_boolean(ic))
			return FAIL(c, sub(buf, sizeof(buf), &q, "in_container"),
				    "expected true or false");
		cc->in_container = json_is_true(ic);
	}
	if (file_text(c, env, "config_file", p, &cc->config_text) < 0 ||
	    file_text(c, env, "credentials_file", p, &cc->credentials_text) < 0)
		rc = -1;
	if (str(c, env, "profile", p, &cc->aws_profile) < 0)
		rc = -1;
	return rc;
}

static int
load_expect(struct ctx *c, struct tl_chain_case *cc, const json_t *v, const struct tl_jpath *p)
{
	const char *name = NULL;
	const char *hint = "expected {role: NAME}, {user: NAME} or no-credentials";

	if (!v)
		return FAIL(c, tl_jpath_str(p), "missing required field 'expect' (%s)", hint + 9);
	if (json_is_string(v)) {
		if (strcmp(json_string_value(v), "no-credentials") != 0)
			return FAIL(c, tl_jpath_str(p), "%s, found \"%s\"", hint,
				    json_string_value(v));
		cc->expect = TL_CHAIN_EXPECT_NONE;
		return 0;
	}
	if (!json_is_object(v) || json_object_size(v) != 1)
		return FAIL(c, tl_jpath_str(p), "%s", hint);
	if (json_object_get(v, "role")) {
		if (role_ref(c, v, p, true, &name) < 0)
			return -1;
		cc->expect = TL_CHAIN_EXPECT_ROLE;
	} else if (json_object_get(v, "user")) {
		if (str(c, v, "user", p, &name) != 0)
			return name ? -1 : FAIL(c, tl_jpath_str(p), "%s", hint);
		cc->expect = TL_CHAIN_EXPECT_USER;
	} else {
		return FAIL(c, tl_jpath_str(p), "%s", hint);
	}
	cc->expect_name = name;
	return 0;
}

static int
load_one(struct ctx *c, struct tl_chain_case *cc, const json_t *item, const struct tl_jpath *p)
{
	static const char *const keys[] = {"name",	  "description", "sdks", "environment",
					   "sdk_profile", "expect",	 NULL};
	char buf[TL_ERROR_PATH_MAX], id[1024];
	json_t *sdks, *e;
	size_t i;

	if (!json_is_object(item))
		return FAIL(c, tl_jpath_str(p), "expected an object (a credential-chain case)");
	if (only(c, item, keys, p) < 0)
		return -1;
	if (str(c, item, "name", p, &cc->name) != 0)
		return cc->name ? -1 : FAIL(c, tl_jpath_str(p), "missing required field 'name'");
	for (i = 0; i < tl_scenario_case_count(c->s); i++)
		if (strcmp(tl_scenario_case(c->s, i)->name, cc->name) == 0)
			return FAIL(c, sub(buf, sizeof(buf), p, "name"),
				    "a case named '%s' already exists", cc->name);
	for (i = 0; i < c->set->count; i++)
		if (strcmp(c->set->cases[i].name, cc->name) == 0)
			return FAIL(c, sub(buf, sizeof(buf), p, "name"),
				    "a case named '%s' already exists", cc->name);
	cc->scenario = tl_scenario_name(c->s);
	cc->file = tl_scenario_file(c->s);
	snprintf(id, sizeof(id), "%s/%s", cc->scenario, cc->name);
	cc->id = own(c->set, strdup(id));
	cc->where = own(c->set, strdup(tl_jpath_str(p)));
	if (!cc->id || !cc->where)
		return FAIL(c, tl_jpath_str(p), "out of memory");

	sdks = json_object_get(item, "sdks");
	cc->sdks = sdks ? 0 : TL_CHAIN_SDK_ALL;
	if (sdks && (!json_is_array(sdks) || json_array_size(sdks) == 0))
		return FAIL(c, sub(buf, sizeof(buf), p, "sdks"),
			    "expected a non-empty list of: node, boto3");
	json_array_foreach(sdks, i, e)
	{
		const char *n = json_string_value(e);
		if (n && strcmp(n, "node") == 0)
			cc->sdks |= TL_CHAIN_SDK_NODE;
		else if (n && strcmp(n, "boto3") == 0)
			cc->sdks |= TL_CHAIN_SDK_BOTO3;
		else
			return FAIL(c, sub(buf, sizeof(buf), p, "sdks"),
				    "unknown SDK %s%s%s (expected node or boto3)", n ? "'" : "",
				    n ? n : tl_json_type_name(e), n ? "'" : "");
	}
	if (str(c, item, "sdk_profile", p, &cc->sdk_profile) < 0)
		return -1;
	{
		struct tl_jpath q = *p;
		tl_jpath_push_key(&q, "environment");
		if (!json_object_get(item, "environment"))
			return FAIL(c, tl_jpath_str(p), "missing required field 'environment'");
		if (load_env(c, cc, json_object_get(item, "environment"), &q) < 0)
			return -1;
	}
	{
		struct tl_jpath q = *p;
		tl_jpath_push_key(&q, "expect");
		return load_expect(c, cc, json_object_get(item, "expect"), &q);
	}
}

int
tl_scenario_chain_load(struct loader *L, const json_t *chain, const struct tl_jpath *p,
		       struct tl_chain_set **out)
{
	struct ctx c = {.L = L, .s = tl_scenario_loader_scenario(L)};
	size_t n = json_array_size(chain);
	int rc = 0;

	*out = NULL;
	c.set = calloc(1, sizeof(*c.set));
	if (!c.set || !(c.set->cases = calloc(n ? n : 1, sizeof(*c.set->cases)))) {
		tl_scenario_chain_free(c.set);
		return tl_scenario_loader_fail(L, TL_ERR_NOMEM, tl_jpath_str(p), "out of memory");
	}
	*out = c.set;
	for (size_t i = 0; i < n; i++) {
		struct tl_jpath q = *p;
		tl_jpath_push_index(&q, i);
		if (load_one(&c, &c.set->cases[c.set->count], json_array_get(chain, i), &q) < 0)
			rc = -1;
		else
			c.set->count++;
	}
	return rc;
}
