/* SPDX-License-Identifier: MIT */
/*
 * Role sources in scenarios (docs/roles-from-iac.md): top-level
 * `roles_from` and a role's `source` name a Terraform plan or state, a
 * CloudFormation/CDK template or an IAM snapshot instead of a policy file.
 * They are expanded here, before validation, into the plain role entries
 * the rest of the loader checks (an inline trust_policy, the source's
 * max_session_duration), and a provider without `audiences` takes the
 * client ids of the source's OIDC provider for its issuer.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

#include "claims/claims.h"
#include "json/json.h"
#include "rolesrc/rolesrc.h"
#include "scenario-private.h"

static int TL_PRINTF(3, 4) bad(struct tl_error *err, const struct tl_jpath *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tl_error_setv(err, TL_ERR_INVALID, fmt, ap);
	va_end(ap);
	tl_error_locate_path(err, tl_jpath_str(p));
	return -1;
}

/* Loads the source an entry names ({file, format, parameters, ...}) into `set`. */
static int
load_entry(struct tl_rolesrc *set, const json_t *e, const struct tl_scenario_source_env *env,
	   const char *const *keys, const struct tl_jpath *p, struct tl_error *err)
{
	struct tl_rolesrc_options ro = {.account = env->account};
	struct tl_jpath kp;
	char path[4096];

	if (!json_is_object(e))
		return tl_error_set_at(err, TL_ERR_INVALID, tl_jpath_str(p),
				       "expected an object ({file: ..., ...}), found %s",
				       tl_json_type_name(e));
	if (tl_json_only_keys(e, keys, p, err) < 0) {
		/* At the unknown key itself, as the rest of the loader says it. */
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)e, k, v)
		{
			bool known = false;
			for (const char *const *a = keys; *a && !known; a++)
				known = strcmp(*a, k) == 0;
			if (!known) {
				kp = *p;
				tl_jpath_push_key(&kp, k);
				tl_error_locate_path(err, tl_jpath_str(&kp));
				break;
			}
		}
		return -1;
	}
	const json_t *file = json_object_get(e, "file");
	const json_t *format = json_object_get(e, "format");
	const json_t *params = json_object_get(e, "parameters");
	kp = *p;
	tl_jpath_push_key(&kp, "file");
	if (!json_is_string(file) || !json_string_length(file))
		return bad(err, &kp, "expected the source file (a path), found %s",
			   file ? tl_json_type_name(file) : "nothing");
	if (env->inline_only)
		return bad(err, &kp, "%s",
			   "role sources are not allowed here (inline policies only)");
	kp = *p;
	tl_jpath_push_key(&kp, "format");
	if (format && (!json_is_string(format) ||
		       tl_rolesrc_format_parse(json_string_value(format), &ro.format, err) < 0)) {
		if (!json_is_string(format))
			tl_error_set(err, TL_ERR_INVALID, "expected a format name, found %s",
				     tl_json_type_name(format));
		tl_error_locate_path(err, tl_jpath_str(&kp));
		return -1;
	}
	kp = *p;
	tl_jpath_push_key(&kp, "parameters");
	if (params && !json_is_object(params))
		return bad(err, &kp,
			   "expected an object of CloudFormation parameter values, found %s",
			   tl_json_type_name(params));
	ro.parameters = params;
	kp = *p;
	tl_jpath_push_key(&kp, "file");
	if (tl_path_join_relative(env->file, json_string_value(file), path, sizeof(path), err) <
	    0) {
		tl_error_locate_path(err, tl_jpath_str(&kp));
		return -1;
	}
	if (tl_rolesrc_load_file(set, path, &ro, err) == 0)
		return 0;
	if (err && (err->code == TL_ERR_IO || err->code == TL_ERR_NOT_FOUND) &&
	    strcmp(err->file, path) == 0) {
		/* A file that cannot be read is the scenario's mistake. */
		err->file[0] = '\0';
		err->line = err->column = 0;
		tl_error_locate_path(err, tl_jpath_str(&kp));
	}
	return -1;
}

/* A role entry for the loader: the policy inline, the source's maximum. */
static json_t *
role_entry(const struct tl_rolesrc_role *r, json_t *over, struct tl_error *err)
{
	json_t *doc = json_loads(r->policy, JSON_REJECT_DUPLICATES, NULL);
	json_t *e = over ? json_deep_copy(over) : json_object();
	char desc[1024];
	if (!doc || !e) {
		json_decref(doc);
		json_decref(e);
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	json_object_del(e, "source");
	json_object_set_new(e, "trust_policy", doc);
	if (r->max_session_duration > 0 && !json_object_get(e, "max_session_duration"))
		json_object_set_new(e, "max_session_duration",
				    json_integer(r->max_session_duration));
	if (!json_object_get(e, "description")) {
		snprintf(desc, sizeof(desc), "from %s%s%s", r->file, *r->where ? ": " : "",
			 r->where);
		json_object_set_new(e, "description", json_string(desc));
	}
	return e;
}

static char *
names_of(const struct tl_rolesrc *set, size_t from)
{
	size_t n = 1;
	for (size_t i = from; i < tl_rolesrc_role_count(set); i++)
		n += strlen(tl_rolesrc_role(set, i)->name) + 2;
	char *s = calloc(1, n);
	for (size_t i = from; s && i < tl_rolesrc_role_count(set); i++) {
		if (i > from)
			strcat(s, ", ");
		strcat(s, tl_rolesrc_role(set, i)->name);
	}
	return s;
}

static int
expand_roles_from(json_t *root, json_t *roles, struct tl_rolesrc *set,
		  const struct tl_scenario_source_env *env, struct tl_error *err)
{
	static const char *const keys[] = {"file", "select", "format", "parameters", NULL};
	json_t *list = json_object_get(root, "roles_from");
	struct tl_jpath p;
	tl_jpath_init(&p, "roles_from");
	if (!list)
		return 0;
	if (!json_is_array(list))
		return bad(err, &p, "expected a list of role sources, found %s",
			   tl_json_type_name(list));
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);
		struct tl_jpath ip = p, sp;
		tl_jpath_push_index(&ip, i);
		size_t from = tl_rolesrc_role_count(set), added = 0;
		if (load_entry(set, e, env, keys, &ip, err) < 0)
			return -1;
		const json_t *sel = json_object_get(e, "select");
		sp = ip;
		tl_jpath_push_key(&sp, "select");
		if (sel && (!json_is_string(sel) || !json_string_length(sel)))
			return bad(err, &sp, "expected a role name or glob, found %s",
				   tl_json_type_name(sel));
		const char *glob = sel ? json_string_value(sel) : "*";
		for (size_t k = from; k < tl_rolesrc_role_count(set); k++) {
			const struct tl_rolesrc_role *r = tl_rolesrc_role(set, k);
			if (!tl_rolesrc_role_matches(r, glob))
				continue;
			if (json_object_get(roles, r->name)) {
				char msg[512];
				snprintf(msg, sizeof(msg), "role '%s' (%s%s%s) is defined twice",
					 r->name, r->file, *r->where ? ": " : "", r->where);
				return bad(err, &ip, "%s", msg);
			}
			json_t *re = role_entry(r, NULL, err);
			if (!re)
				return -1;
			json_object_set_new(roles, r->name, re);
			added++;
		}
		/* A source without roles (an OIDC provider listing) adds providers only. */
		if (!added && tl_rolesrc_role_count(set) > from) {
			char *names = names_of(set, from);
			char msg[TL_ERROR_MESSAGE_MAX];
			snprintf(msg, sizeof(msg), "'%s' matches no role of the source (roles: %s)",
				 glob, names && *names ? names : "none");
			free(names);
			return bad(err, sel ? &sp : &ip, "%s", msg);
		}
	}
	return 0;
}

static int
expand_role_sources(json_t *roles, struct tl_rolesrc *set, const struct tl_scenario_source_env *env,
		    struct tl_error *err)
{
	static const char *const keys[] = {"file", "role", "format", "parameters", NULL};
	const char *name;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(roles, tmp, name, v)
	{
		json_t *src = json_object_get(v, "source");
		if (!src)
			continue;
		struct tl_jpath rp, sp, kp;
		tl_jpath_init(&rp, "roles");
		tl_jpath_push_key(&rp, name);
		sp = rp;
		tl_jpath_push_key(&sp, "source");
		if (json_object_get(v, "trust_policy"))
			return bad(err, &sp, "%s", "give either trust_policy or source, not both");
		size_t from = tl_rolesrc_role_count(set);
		if (load_entry(set, src, env, keys, &sp, err) < 0)
			return -1;
		const json_t *want = json_object_get(src, "role");
		kp = sp;
		tl_jpath_push_key(&kp, "role");
		const char *glob = json_is_string(want) ? json_string_value(want) : name;
		if (want && (!json_is_string(want) || !json_string_length(want)))
			return bad(err, &kp, "expected a role name, address or glob, found %s",
				   tl_json_type_name(want));
		const struct tl_rolesrc_role *found = NULL;
		size_t matches = 0;
		for (size_t k = from; k < tl_rolesrc_role_count(set); k++)
			if (tl_rolesrc_role_matches(tl_rolesrc_role(set, k), glob)) {
				found = found ? found : tl_rolesrc_role(set, k);
				matches++;
			}
		if (matches != 1) {
			char *names = names_of(set, from);
			char msg[TL_ERROR_MESSAGE_MAX];
			if (matches)
				snprintf(msg, sizeof(msg),
					 "'%s' matches %zu roles of the source (%s): name one",
					 glob, matches, names ? names : "");
			else
				snprintf(msg, sizeof(msg),
					 "'%s' matches no role of the source (roles: %s)", glob,
					 names && *names ? names : "none");
			free(names);
			return bad(err, want ? &kp : &sp, "%s", msg);
		}
		json_t *re = role_entry(found, v, err);
		if (!re)
			return -1;
		json_object_set_new(roles, name, re);
	}
	return 0;
}

/* A provider without `audiences` takes the client ids of the source's
 * provider for its issuer. */
static void
fill_audiences(json_t *root, const struct tl_rolesrc *set)
{
	const char *name;
	json_t *v;
	json_object_foreach(json_object_get(root, "providers"), name, v)
	{
		if (!json_is_object(v) || json_object_get(v, "audiences"))
			continue;
		const char *iss = json_string_value(json_object_get(v, "issuer"));
		const char *prof = json_string_value(json_object_get(v, "profile"));
		const struct tl_claims_profile *cp = tl_claims_profile_find(prof ? prof : name);
		if (!iss && cp)
			iss = cp->issuer;
		if (!iss || strchr(iss, '%'))
			continue;
		const char *host = strncmp(iss, "https://", 8) == 0 ? iss + 8 : iss;
		for (size_t i = 0; i < tl_rolesrc_provider_count(set); i++) {
			const struct tl_rolesrc_provider *p = tl_rolesrc_provider(set, i);
			const char *ph = strncmp(p->url, "https://", 8) == 0 ? p->url + 8 : p->url;
			if (strcmp(ph, host) != 0 || !p->n_client_ids)
				continue;
			json_t *a = json_array();
			for (size_t k = 0; a && k < p->n_client_ids; k++)
				json_array_append_new(a, json_string(p->client_ids[k]));
			json_object_set_new(v, "audiences", a);
			break;
		}
	}
}

int
tl_scenario_expand_sources(json_t *root, const struct tl_scenario_source_env *env,
			   struct tl_error *err)
{
	json_t *roles = json_object_get(root, "roles");
	bool any = json_object_get(root, "roles_from") != NULL;
	const char *name;
	json_t *v;
	json_object_foreach(roles, name, v) any |= json_object_get(v, "source") != NULL;
	if (!any)
		return 0;
	if (roles && !json_is_object(roles))
		return 0; /* the loader reports the type */
	if (!roles) {
		roles = json_object();
		if (!roles || json_object_set_new(root, "roles", roles) < 0)
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	}
	struct tl_rolesrc *set = tl_rolesrc_new();
	if (!set)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	int rc = expand_role_sources(roles, set, env, err);
	if (rc == 0)
		rc = expand_roles_from(root, roles, set, env, err);
	if (rc == 0)
		fill_audiences(root, set);
	tl_rolesrc_free(set);
	return rc;
}
