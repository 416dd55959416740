/* SPDX-License-Identifier: MIT */
/* The issuer service's configuration: defaults, the JSON file, CLI helpers. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/file.h"

#include "claims/claims.h"
#include "issuer/issuer-private.h"
#include "json/json.h"

void
tl_issuer_config_init(struct tl_issuer_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->rotation_grace_seconds = 86400;
}

static void
def_finish(struct tl_issuer_def *d)
{
	free(d->prefix);
	free(d->profile);
	free(d->issuer);
	free(d->key_file);
	json_decref(d->org_sub_template);
	json_decref(d->repo_sub_template);
}

void
tl_issuer_config_finish(struct tl_issuer_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_issuers; i++)
		def_finish(&cfg->issuers[i]);
	free(cfg->issuers);
	for (size_t i = 0; i < cfg->n_profiles; i++)
		free(cfg->profiles[i]);
	free(cfg->profiles);
	for (size_t i = 0; i < cfg->n_jobs; i++) {
		free(cfg->jobs[i].prefix);
		free(cfg->jobs[i].request_token);
		free(cfg->jobs[i].audience);
		json_decref(cfg->jobs[i].context);
	}
	free(cfg->jobs);
	free(cfg->key_file);
	free(cfg->key_spec);
	free(cfg->public_url);
	free(cfg->seed);
	memset(cfg, 0, sizeof(*cfg));
}

int
tl_issuer_config_set_string(char **member, const char *value, struct tl_error *err)
{
	char *copy = NULL;

	if (value && !(copy = strdup(value)))
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	free(*member);
	*member = copy;
	return 0;
}

bool
tl_issuer_prefix_valid(const char *prefix)
{
	size_t len = strlen(prefix);

	if (len < 2 || len > 64 || prefix[0] != '/' || prefix[len - 1] == '/')
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = prefix[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
		if (!ok || (c == '/' && prefix[i - 1] == '/'))
			return false;
	}
	return true;
}

static struct tl_issuer_def *
def_add(struct tl_issuer_config *cfg, const char *prefix, const char *profile,
	const struct tl_jpath *path, struct tl_error *err)
{
	struct tl_issuer_def *grown, *d;

	if (!tl_issuer_prefix_valid(prefix)) {
		tl_error_set_at(err, TL_ERR_INVALID, path ? tl_jpath_str(path) : NULL,
				"bad issuer prefix '%s' (expected '/name', letters, digits, . _ -)",
				prefix);
		return NULL;
	}
	if (!tl_claims_profile_find(profile)) {
		tl_error_set_at(err, TL_ERR_NOT_FOUND, path ? tl_jpath_str(path) : NULL,
				"unknown profile '%s'", profile);
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_issuers; i++)
		if (strcmp(cfg->issuers[i].prefix, prefix) == 0) {
			tl_error_set_at(err, TL_ERR_EXISTS, path ? tl_jpath_str(path) : NULL,
					"issuer prefix '%s' is configured twice", prefix);
			return NULL;
		}
	if (cfg->n_issuers >= TL_ISSUER_MAX) {
		tl_error_set(err, TL_ERR_LIMIT, "more than %d issuers", TL_ISSUER_MAX);
		return NULL;
	}
	grown = realloc(cfg->issuers, (cfg->n_issuers + 1) * sizeof(*grown));
	if (!grown) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	cfg->issuers = grown;
	d = &grown[cfg->n_issuers];
	memset(d, 0, sizeof(*d));
	d->prefix = strdup(prefix);
	d->profile = strdup(profile);
	if (!d->prefix || !d->profile) {
		def_finish(d);
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	cfg->n_issuers++;
	return d;
}

int
tl_issuer_config_set_profiles(struct tl_issuer_config *cfg, const char *list, struct tl_error *err)
{
	const char *p = list;

	for (size_t i = 0; i < cfg->n_profiles; i++)
		free(cfg->profiles[i]);
	cfg->n_profiles = 0;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char name[64];
		char **grown;

		if (len == 0 || len >= sizeof(name))
			return tl_error_set(err, TL_ERR_INVALID, "bad profile list '%s'", list);
		memcpy(name, p, len);
		name[len] = '\0';
		if (!tl_claims_profile_find(name))
			return tl_error_set(err, TL_ERR_NOT_FOUND, "unknown profile '%s'", name);
		grown = realloc(cfg->profiles, (cfg->n_profiles + 1) * sizeof(*grown));
		if (!grown)
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		cfg->profiles = grown;
		if (!(grown[cfg->n_profiles] = strdup(name)))
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		cfg->n_profiles++;
		p += len;
		if (*p == ',')
			p++;
	}
	if (cfg->n_profiles == 0)
		return tl_error_set(err, TL_ERR_INVALID, "empty profile list");
	return 0;
}

/* Adds the default issuers ("/<profile>" for each enabled profile). */
int
tl_issuer_config_expand(struct tl_issuer_config *cfg, struct tl_error *err)
{
	if (cfg->n_issuers > 0)
		return 0;
	if (cfg->n_profiles > 0) {
		for (size_t i = 0; i < cfg->n_profiles; i++) {
			char prefix[80];
			snprintf(prefix, sizeof(prefix), "/%s", cfg->profiles[i]);
			if (!def_add(cfg, prefix, cfg->profiles[i], NULL, err))
				return -1;
		}
		return 0;
	}
	for (const struct tl_claims_profile *const *p = tl_claims_profiles(); *p; p++) {
		char prefix[80];
		snprintf(prefix, sizeof(prefix), "/%s", (*p)->name);
		if (!def_add(cfg, prefix, (*p)->name, NULL, err))
			return -1;
	}
	return 0;
}

int
tl_issuer_config_override_issuer(struct tl_issuer_config *cfg, const char *assignment,
				 struct tl_error *err)
{
	const char *eq = strchr(assignment, '=');
	char prefix[80];
	size_t len;

	if (!eq || eq == assignment || !eq[1])
		return tl_error_set(err, TL_ERR_INVALID, "expected PREFIX=URL, got '%s'",
				    assignment);
	len = (size_t)(eq - assignment);
	if (len >= sizeof(prefix))
		return tl_error_set(err, TL_ERR_INVALID, "prefix too long in '%s'", assignment);
	memcpy(prefix, assignment, len);
	prefix[len] = '\0';
	if (tl_issuer_config_expand(cfg, err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->n_issuers; i++)
		if (strcmp(cfg->issuers[i].prefix, prefix) == 0)
			return tl_issuer_config_set_string(&cfg->issuers[i].issuer, eq + 1, err);
	return tl_error_set(err, TL_ERR_NOT_FOUND, "no issuer at prefix '%s'", prefix);
}

int
tl_issuer_config_set_now(struct tl_issuer_config *cfg, const char *text, struct tl_error *err)
{
	int64_t ms;

	if (tl_time_parse(text, &ms, err) < 0)
		return -1;
	cfg->clock_pinned = true;
	cfg->now_ms = ms;
	return 0;
}

/* --- the JSON file ------------------------------------------------------ */

static int
get_string(const json_t *obj, const char *key, struct tl_jpath *path, char **out,
	   struct tl_error *err)
{
	json_t *v = json_object_get(obj, key);
	size_t mark;
	int rc = 0;

	if (!v)
		return 0;
	mark = tl_jpath_push_key(path, key);
	if (tl_json_expect(v, JSON_STRING, path, err) < 0)
		rc = -1;
	else if (json_string_length(v) == 0 ||
		 strlen(json_string_value(v)) != json_string_length(v))
		rc = tl_error_set_at(err, TL_ERR_INVALID, tl_jpath_str(path),
				     "expected a non-empty string without NUL");
	else
		rc = tl_issuer_config_set_string(out, json_string_value(v), err);
	tl_jpath_pop(path, mark);
	return rc;
}

static int
get_path(const json_t *obj, const char *key, const char *base_dir, struct tl_jpath *path,
	 char **out, struct tl_error *err)
{
	char *raw = NULL, *joined = NULL;

	if (get_string(obj, key, path, &raw, err) < 0)
		return -1;
	if (!raw)
		return 0;
	if (base_dir && raw[0] != '/') {
		size_t n = strlen(base_dir) + strlen(raw) + 2;
		joined = malloc(n);
		if (!joined) {
			free(raw);
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		}
		snprintf(joined, n, "%s/%s", base_dir, raw);
		free(raw);
		raw = joined;
	}
	free(*out);
	*out = raw;
	return 0;
}

static int
get_object(const json_t *obj, const char *key, struct tl_jpath *path, json_t **out,
	   struct tl_error *err)
{
	json_t *v = json_object_get(obj, key);
	size_t mark;

	if (!v)
		return 0;
	mark = tl_jpath_push_key(path, key);
	if (tl_json_expect(v, JSON_OBJECT, path, err) < 0)
		return -1;
	tl_jpath_pop(path, mark);
	json_decref(*out);
	*out = json_deep_copy(v);
	return *out ? 0 : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
}

static int
load_issuers(struct tl_issuer_config *cfg, const json_t *arr, const char *base_dir,
	     struct tl_jpath *path, struct tl_error *err)
{
	static const char *const keys[] = {"prefix",	       "profile",	    "issuer", "key",
					   "org_sub_template", "repo_sub_template", NULL};
	size_t i;
	json_t *item;

	if (tl_json_expect(arr, JSON_ARRAY, path, err) < 0)
		return -1;
	json_array_foreach(arr, i, item)
	{
		size_t mark = tl_jpath_push_index(path, i);
		char *prefix = NULL, *profile = NULL;
		struct tl_issuer_def *d;
		int rc;

		if (tl_json_expect(item, JSON_OBJECT, path, err) < 0 ||
		    tl_json_only_keys(item, keys, path, err) < 0)
			return -1;
		rc = get_string(item, "profile", path, &profile, err);
		if (rc == 0 && !profile)
			rc = tl_error_set_at(err, TL_ERR_INVALID, tl_jpath_str(path),
					     "missing field 'profile'");
		if (rc == 0)
			rc = get_string(item, "prefix", path, &prefix, err);
		if (rc == 0 && !prefix) {
			size_t n = strlen(profile) + 2;
			if ((prefix = malloc(n)))
				snprintf(prefix, n, "/%s", profile);
			else
				rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		}
		d = rc == 0 ? def_add(cfg, prefix, profile, path, err) : NULL;
		free(prefix);
		free(profile);
		if (!d || get_string(item, "issuer", path, &d->issuer, err) < 0 ||
		    get_path(item, "key", base_dir, path, &d->key_file, err) < 0 ||
		    get_object(item, "org_sub_template", path, &d->org_sub_template, err) < 0 ||
		    get_object(item, "repo_sub_template", path, &d->repo_sub_template, err) < 0)
			return -1;
		tl_jpath_pop(path, mark);
	}
	return 0;
}

static int
load_jobs(struct tl_issuer_config *cfg, const json_t *arr, struct tl_jpath *path,
	  struct tl_error *err)
{
	static const char *const keys[] = {"issuer", "request_token", "audience", "context", NULL};
	size_t i;
	json_t *item;

	if (tl_json_expect(arr, JSON_ARRAY, path, err) < 0)
		return -1;
	json_array_foreach(arr, i, item)
	{
		size_t mark = tl_jpath_push_index(path, i);
		struct tl_issuer_job_def *grown, *j;

		if (tl_json_expect(item, JSON_OBJECT, path, err) < 0 ||
		    tl_json_only_keys(item, keys, path, err) < 0)
			return -1;
		grown = realloc(cfg->jobs, (cfg->n_jobs + 1) * sizeof(*grown));
		if (!grown)
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		cfg->jobs = grown;
		j = &grown[cfg->n_jobs++];
		memset(j, 0, sizeof(*j));
		if (get_string(item, "issuer", path, &j->prefix, err) < 0 ||
		    get_string(item, "request_token", path, &j->request_token, err) < 0 ||
		    get_string(item, "audience", path, &j->audience, err) < 0 ||
		    get_object(item, "context", path, &j->context, err) < 0)
			return -1;
		if (!j->prefix)
			return tl_error_set_at(err, TL_ERR_INVALID, tl_jpath_str(path),
					       "missing field 'issuer' (the issuer's prefix)");
		tl_jpath_pop(path, mark);
	}
	return 0;
}

int
tl_issuer_config_load_json(struct tl_issuer_config *cfg, const json_t *doc, const char *base_dir,
			   struct tl_error *err)
{
	static const char *const keys[] = {"issuers",
					   "profiles",
					   "key",
					   "key_spec",
					   "local_issuer",
					   "public_url",
					   "now",
					   "seed",
					   "rotation_grace_seconds",
					   "jobs",
					   NULL};
	struct tl_jpath path;
	json_t *v;

	tl_jpath_init(&path, NULL);
	if (tl_json_expect(doc, JSON_OBJECT, &path, err) < 0 ||
	    tl_json_only_keys(doc, keys, &path, err) < 0)
		return -1;
	if ((v = json_object_get(doc, "profiles"))) {
		size_t mark = tl_jpath_push_key(&path, "profiles");
		size_t i;
		json_t *p;
		struct tl_buf list;
		int rc = 0;

		if (tl_json_expect(v, JSON_ARRAY, &path, err) < 0)
			return -1;
		tl_buf_init(&list, 4096);
		json_array_foreach(v, i, p)
		{
			size_t m2 = tl_jpath_push_index(&path, i);
			if (tl_json_expect(p, JSON_STRING, &path, err) < 0) {
				rc = -1;
				break;
			}
			if (!tl_claims_profile_find(json_string_value(p))) {
				rc = tl_error_set_at(err, TL_ERR_NOT_FOUND, tl_jpath_str(&path),
						     "unknown profile '%s'", json_string_value(p));
				break;
			}
			if ((i && tl_buf_putc(&list, ',', err) < 0) ||
			    tl_buf_append_str(&list, json_string_value(p), err) < 0) {
				rc = -1;
				break;
			}
			tl_jpath_pop(&path, m2);
		}
		if (rc == 0)
			rc = tl_issuer_config_set_profiles(cfg, tl_buf_str(&list), err);
		tl_buf_finish(&list);
		if (rc < 0)
			return -1;
		tl_jpath_pop(&path, mark);
	}
	if ((v = json_object_get(doc, "issuers"))) {
		size_t mark = tl_jpath_push_key(&path, "issuers");
		if (load_issuers(cfg, v, base_dir, &path, err) < 0)
			return -1;
		tl_jpath_pop(&path, mark);
	}
	if (get_path(doc, "key", base_dir, &path, &cfg->key_file, err) < 0 ||
	    get_string(doc, "key_spec", &path, &cfg->key_spec, err) < 0 ||
	    get_string(doc, "public_url", &path, &cfg->public_url, err) < 0 ||
	    get_string(doc, "seed", &path, &cfg->seed, err) < 0)
		return -1;
	if ((v = json_object_get(doc, "local_issuer"))) {
		if (!json_is_boolean(v))
			return tl_error_set_at(err, TL_ERR_INVALID, "local_issuer",
					       "expected true or false, found %s",
					       tl_json_type_name(v));
		cfg->local_issuer = json_is_true(v);
	}
	if ((v = json_object_get(doc, "now"))) {
		char text[32];
		const char *t = text;

		if (json_is_integer(v))
			snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
		else if (json_is_string(v))
			t = json_string_value(v);
		else
			return tl_error_set_at(err, TL_ERR_INVALID, "now",
					       "expected ISO 8601 text or Unix seconds, found %s",
					       tl_json_type_name(v));
		if (tl_issuer_config_set_now(cfg, t, err) < 0) {
			if (err)
				snprintf(err->path, sizeof(err->path), "now");
			return -1;
		}
	}
	if ((v = json_object_get(doc, "rotation_grace_seconds"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 366LL * 86400)
			return tl_error_set_at(err, TL_ERR_INVALID, "rotation_grace_seconds",
					       "expected an integer from 0 to 31622400");
		cfg->rotation_grace_seconds = json_integer_value(v);
	}
	if ((v = json_object_get(doc, "jobs"))) {
		size_t mark = tl_jpath_push_key(&path, "jobs");
		if (load_jobs(cfg, v, &path, err) < 0)
			return -1;
		tl_jpath_pop(&path, mark);
	}
	return 0;
}

int
tl_issuer_config_load_file(struct tl_issuer_config *cfg, const char *path, struct tl_error *err)
{
	json_t *doc = tl_json_load_file(path, NULL, err);
	char dir[1024];
	const char *slash = strrchr(path, '/');
	int rc;

	if (!doc)
		return -1;
	if (slash && (size_t)(slash - path) < sizeof(dir)) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		if (!dir[0])
			strcpy(dir, "/");
	} else {
		strcpy(dir, ".");
	}
	rc = tl_issuer_config_load_json(cfg, doc, dir, err);
	if (rc < 0 && err)
		tl_error_prefix(err, "%s", path);
	json_decref(doc);
	return rc;
}
