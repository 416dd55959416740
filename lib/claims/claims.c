/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "util/random.h"

#include "claims/claims-private.h"
#include "json/json.h"

static const struct tl_claims_profile *const profiles[] = {
	&tl_claims_github,     &tl_claims_ghes,
	&tl_claims_gitlab,     &tl_claims_buildkite,
	&tl_claims_circleci,   &tl_claims_terraform,
	&tl_claims_kubernetes, &tl_claims_bitbucket,
	&tl_claims_spacelift,  NULL,
};

const struct tl_claims_profile *const *
tl_claims_profiles(void)
{
	return profiles;
}

const struct tl_claims_profile *
tl_claims_profile_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; profiles[i]; i++)
		if (strcmp(profiles[i]->name, name) == 0)
			return profiles[i];
	return NULL;
}

int
tl_claims_build(const struct tl_claims_profile *p, const json_t *context,
		const struct tl_claims_options *opt, json_t **claims_out,
		struct tl_claims_refusal *refusal, struct tl_error *err)
{
	struct tl_claims_refusal scratch;
	json_t *claims = NULL;
	int rc;

	if (!p || !opt || !claims_out)
		return tl_error_set(err, TL_ERR_INVALID,
				    "claims: profile, options and output are required");
	*claims_out = NULL;
	if (!opt->rng)
		return tl_error_set(err, TL_ERR_INVALID, "claims: options need a random generator");
	if (context && !json_is_object(context))
		return tl_error_set_at(err, TL_ERR_INVALID, "context",
				       "expected an object, found %s", tl_json_type_name(context));
	if (!refusal)
		refusal = &scratch;
	refusal->reason[0] = '\0';
	rc = p->build(p, context, opt, &claims, refusal, err);
	if (rc == 0)
		*claims_out = claims;
	else
		json_decref(claims);
	return rc;
}

/* --- context reading ------------------------------------------------- */

int
tl_claims_ctx_init(struct ctx *c, const json_t *context, const char *const *fields,
		   struct tl_rng *rng, struct tl_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bytes[32];
	struct tl_jpath path;

	memset(c, 0, sizeof(*c));
	c->err = err;
	if (!context) {
		c->owned = json_object();
		if (!c->owned)
			return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		context = c->owned;
	}
	c->obj = context;
	tl_jpath_init(&path, "context");
	if (tl_json_only_keys(context, fields, &path, err) < 0)
		return -1;
	if (tl_rng_bytes(rng, bytes, sizeof(bytes), err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(bytes); i++) {
		c->seed[2 * i] = hex[bytes[i] >> 4];
		c->seed[2 * i + 1] = hex[bytes[i] & 15];
	}
	c->seed[64] = '\0';
	return 0;
}

void
tl_claims_ctx_finish(struct ctx *c)
{
	json_decref(c->owned);
	c->owned = NULL;
}

int
tl_claims_ctx_bad(struct ctx *c, const char *key, const char *fmt, ...)
{
	char message[TL_ERROR_MESSAGE_MAX];
	struct tl_jpath path;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	tl_jpath_init(&path, "context");
	tl_jpath_push_key(&path, key);
	return tl_error_set_at(c->err, TL_ERR_INVALID, tl_jpath_str(&path), "%s", message);
}

const json_t *
tl_claims_ctx_get(const struct ctx *c, const char *key)
{
	const json_t *v = json_object_get(c->obj, key);
	return json_is_null(v) ? NULL : v;
}

static int
ctx_expect(struct ctx *c, const char *key, const json_t *v, json_type type)
{
	struct tl_jpath path;

	tl_jpath_init(&path, "context");
	tl_jpath_push_key(&path, key);
	return tl_json_expect(v, type, &path, c->err);
}

int
tl_claims_ctx_string(struct ctx *c, const char *key, const char *dflt, const char **out)
{
	const json_t *v = tl_claims_ctx_get(c, key);

	if (!v) {
		*out = dflt;
		return 0;
	}
	if (ctx_expect(c, key, v, JSON_STRING) < 0)
		return -1;
	*out = json_string_value(v);
	return 0;
}

int
tl_claims_ctx_name(struct ctx *c, const char *key, const char *dflt, const char **out)
{
	if (tl_claims_ctx_string(c, key, dflt, out) < 0)
		return -1;
	if (!*out)
		return 0;
	if (!**out)
		return tl_claims_ctx_bad(c, key, "must not be empty");
	for (const unsigned char *s = (const unsigned char *)*out; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			return tl_claims_ctx_bad(c, key, "must not contain control characters");
	return 0;
}

int
tl_claims_ctx_bool(struct ctx *c, const char *key, bool dflt, bool *out)
{
	const json_t *v = tl_claims_ctx_get(c, key);

	if (!v) {
		*out = dflt;
		return 0;
	}
	if (ctx_expect(c, key, v, JSON_TRUE) < 0)
		return -1;
	*out = json_is_true(v);
	return 0;
}

int
tl_claims_ctx_int(struct ctx *c, const char *key, int64_t dflt, int64_t min, int64_t max,
		  int64_t *out)
{
	const json_t *v = tl_claims_ctx_get(c, key);

	if (!v) {
		*out = dflt;
		return 0;
	}
	if (ctx_expect(c, key, v, JSON_INTEGER) < 0)
		return -1;
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return tl_claims_ctx_bad(c, key, "%lld is out of range (%lld to %lld)",
					 (long long)*out, (long long)min, (long long)max);
	return 0;
}

int
tl_claims_ctx_enum(struct ctx *c, const char *key, const char *const *allowed, const char *dflt,
		   const char **out)
{
	char list[256] = "";
	size_t used = 0;

	if (tl_claims_ctx_string(c, key, dflt, out) < 0)
		return -1;
	if (!*out)
		return 0;
	for (const char *const *a = allowed; *a; a++)
		if (strcmp(*a, *out) == 0)
			return 0;
	for (const char *const *a = allowed; *a; a++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s", a == allowed ? "" : ", ",
				 *a);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			break;
		used += (size_t)n;
	}
	return tl_claims_ctx_bad(c, key, "unknown value '%s' (expected one of: %s)", *out, list);
}

int
tl_claims_ctx_copy(struct ctx *c, const char *key, const char *value, char *buf, size_t size)
{
	size_t n = strlen(value);

	if (n >= size)
		return tl_claims_ctx_bad(c, key, "is longer than %zu bytes", size - 1);
	memcpy(buf, value, n + 1);
	return 0;
}

int
tl_claims_ctx_random(struct ctx *c, const char *label, const char *alphabet, char *out, size_t len)
{
	char seed[160];
	struct tl_rng rng;
	int rc;

	snprintf(seed, sizeof(seed), "%s/%s", c->seed, label);
	tl_rng_init_seeded(&rng, seed);
	rc = tl_rng_string(&rng, alphabet, out, len, c->err);
	tl_rng_finish(&rng);
	return rc;
}

int
tl_claims_ctx_random_uuid(struct ctx *c, const char *label, char out[TL_UUID_LEN])
{
	char seed[160];
	struct tl_rng rng;
	int rc;

	snprintf(seed, sizeof(seed), "%s/%s", c->seed, label);
	tl_rng_init_seeded(&rng, seed);
	rc = tl_rng_uuid(&rng, out, c->err);
	tl_rng_finish(&rng);
	return rc;
}

int
tl_claims_ctx_id(struct ctx *c, const char *key, unsigned digits, char out[CTX_ID_MAX])
{
	const json_t *v = tl_claims_ctx_get(c, key);

	if (!v) {
		if (digits < 1 || digits >= CTX_ID_MAX - 1)
			digits = 9;
		if (tl_claims_ctx_random(c, key, "123456789", out, 1) < 0 ||
		    tl_claims_ctx_random(c, key, "0123456789", out + 1, digits - 1) < 0)
			return -1;
		return 0;
	}
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return tl_claims_ctx_bad(c, key, "must not be negative");
		snprintf(out, CTX_ID_MAX, "%lld", (long long)json_integer_value(v));
		return 0;
	}
	if (!json_is_string(v))
		return tl_claims_ctx_bad(c, key,
					 "expected an integer or a string of digits, found %s",
					 tl_json_type_name(v));
	const char *s = json_string_value(v);
	size_t n = strlen(s);
	if (n == 0 || n > 19 || strspn(s, "0123456789") != n)
		return tl_claims_ctx_bad(c, key, "expected a numeric id, found '%s'", s);
	memcpy(out, s, n + 1);
	return 0;
}

int
tl_claims_ctx_hex(struct ctx *c, const char *key, unsigned len, char *out)
{
	const char *s;

	if (tl_claims_ctx_string(c, key, NULL, &s) < 0)
		return -1;
	if (!s)
		return tl_claims_ctx_random(c, key, "0123456789abcdef", out, len);
	if (strlen(s) != len || strspn(s, "0123456789abcdef") != len)
		return tl_claims_ctx_bad(c, key, "expected %u lower-case hex digits, found '%s'",
					 len, s);
	memcpy(out, s, len + 1);
	return 0;
}

int
tl_claims_ctx_uuid(struct ctx *c, const char *key, char out[TL_UUID_LEN])
{
	const char *s;

	if (tl_claims_ctx_string(c, key, NULL, &s) < 0)
		return -1;
	if (!s)
		return tl_claims_ctx_random_uuid(c, key, out);
	if (strlen(s) != TL_UUID_LEN - 1)
		return tl_claims_ctx_bad(c, key, "expected a UUID, found '%s'", s);
	for (size_t i = 0; i < TL_UUID_LEN - 1; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
			return tl_claims_ctx_bad(c, key, "expected a UUID, found '%s'", s);
	}
	memcpy(out, s, TL_UUID_LEN);
	return 0;
}

/* --- output ---------------------------------------------------------- */

void
tl_claims_out_json(struct claims_out *o, const char *key, json_t *value)
{
	if (!value || !o->obj || json_object_set_new(o->obj, key, value) < 0)
		o->nomem = true;
}

void
tl_claims_out_str(struct claims_out *o, const char *key, const char *value)
{
	tl_claims_out_json(o, key, json_string(value));
}

void
tl_claims_out_int(struct claims_out *o, const char *key, int64_t value)
{
	tl_claims_out_json(o, key, json_integer(value));
}

void
tl_claims_out_bool_str(struct claims_out *o, const char *key, bool value)
{
	tl_claims_out_str(o, key, value ? "true" : "false");
}

json_t *
tl_claims_out_finish(struct claims_out *o, struct tl_error *err)
{
	json_t *obj = o->obj;

	o->obj = NULL;
	if (o->nomem || !obj) {
		json_decref(obj);
		tl_error_set(err, TL_ERR_NOMEM, "out of memory building claims");
		return NULL;
	}
	return obj;
}

int
tl_claims_audience(const struct tl_claims_options *opt, const char *dflt, bool array, json_t **out,
		   struct tl_error *err)
{
	const json_t *aud = opt->audience;
	json_t *v;

	*out = NULL;
	if (aud) {
		size_t i;
		json_t *item;

		if (json_is_string(aud)) {
			if (!*json_string_value(aud))
				return tl_error_set_at(err, TL_ERR_INVALID, "audience",
						       "must not be empty");
		} else if (json_is_array(aud)) {
			if (json_array_size(aud) == 0)
				return tl_error_set_at(err, TL_ERR_INVALID, "audience",
						       "must not be an empty array");
			json_array_foreach(aud, i, item)
			{
				if (!json_is_string(item) || !*json_string_value(item)) {
					char path[32];
					snprintf(path, sizeof(path), "audience[%zu]", i);
					return tl_error_set_at(err, TL_ERR_INVALID, path,
							       "expected a non-empty string");
				}
			}
		} else
			return tl_error_set_at(err, TL_ERR_INVALID, "audience",
					       "expected a string or an array of strings, found %s",
					       tl_json_type_name(aud));
		v = json_deep_copy(aud);
	} else
		v = json_string(dflt ? dflt : "");
	if (v && array && !json_is_array(v)) {
		json_t *a = json_array();
		if (a && json_array_append_new(a, v) == 0)
			v = a;
		else {
			json_decref(a);
			json_decref(v);
			v = NULL;
		}
	}
	if (!v)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	*out = v;
	return 0;
}

int
tl_claims_refuse(struct tl_claims_refusal *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return 1;
}

int
tl_claims_fmt(char *buf, size_t size, struct tl_error *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return tl_error_set(err, TL_ERR_LIMIT, "claim value longer than %zu bytes",
				    size - 1);
	return 0;
}

static bool
host_is(const char *url, const char *host)
{
	size_t n = strlen(host);
	return strncmp(url, host, n) == 0 && (url[n] == '\0' || url[n] == '/');
}

/* The host (up to the first '/') is PREFIX...SUFFIX with something in between. */
static bool
host_matches(const char *url, const char *prefix, const char *suffix)
{
	const char *slash = strchr(url, '/');
	size_t len = slash ? (size_t)(slash - url) : strlen(url);
	size_t pl = strlen(prefix), sl = strlen(suffix);
	return len > pl + sl && strncmp(url, prefix, pl) == 0 &&
	       strncmp(url + len - sl, suffix, sl) == 0;
}

const struct tl_claims_profile *
tl_claims_profile_for_provider(const char *url)
{
	if (!url)
		return NULL;
	/* Issuer hosts and key prefixes: reference/sts.md §3.8-3.9, issuer.md §3. */
	if (host_is(url, "token.actions.githubusercontent.com") ||
	    host_matches(url, "token.actions.", ".ghe.com") ||
	    strncmp(url, "github.com/enterprises/", 23) == 0)
		return &tl_claims_github;
	if (host_is(url, "gitlab.com"))
		return &tl_claims_gitlab;
	if (host_is(url, "agent.buildkite.com") || host_matches(url, "agent.", ".buildkite.dev") ||
	    host_matches(url, "agent.", ".buildkite.site"))
		return &tl_claims_buildkite;
	if (strncmp(url, "oidc.circleci.com/org/", 22) == 0)
		return &tl_claims_circleci;
	if (host_is(url, "app.terraform.io"))
		return &tl_claims_terraform;
	if (host_matches(url, "oidc.eks.", ".amazonaws.com") && strstr(url, "/id/"))
		return &tl_claims_kubernetes;
	if (strncmp(url, "api.bitbucket.org/2.0/workspaces/", 33) == 0)
		return &tl_claims_bitbucket;
	if (host_matches(url, "", ".app.spacelift.io"))
		return &tl_claims_spacelift;
	return NULL;
}

/* Text of a scalar claim value, or NULL for objects, arrays and null. */
static const char *
scalar(const json_t *v, char *buf, size_t size)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, size, "%.17g", json_real_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

/* `prefix:name` from the claim `v` when it is a scalar or an array of them. */
static void
key_from_claim(const char *prefix, const char *name, const json_t *v, tl_claims_key_fn add,
	       void *ctx)
{
	char key[600], buf[64];
	const char *text;
	const json_t *e;
	size_t i;

	if (!v)
		return;
	snprintf(key, sizeof(key), "%s:%s", prefix, name);
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) if ((text = scalar(e, buf, sizeof(buf))))
			add(ctx, key, text);
		return;
	}
	if ((text = scalar(v, buf, sizeof(buf))))
		add(ctx, key, text);
}

void
tl_claims_aws_keys(const char *provider, const json_t *claims, tl_claims_key_fn add, void *ctx)
{
	const json_t *aud = json_object_get(claims, "aud");
	const struct tl_claims_profile *p = tl_claims_profile_for_provider(provider);

	if (strcmp(provider, "accounts.google.com") == 0) {
		const json_t *azp = json_object_get(claims, "azp");
		key_from_claim(provider, "aud", azp ? azp : aud, add, ctx);
		key_from_claim(provider, "oaud", aud, add, ctx);
	} else {
		key_from_claim(provider, "aud", aud, add, ctx);
		key_from_claim(provider, "azp", json_object_get(claims, "azp"), add, ctx);
	}
	key_from_claim(provider, "sub", json_object_get(claims, "sub"), add, ctx);
	key_from_claim(provider, "amr", json_object_get(claims, "amr"), add, ctx);
	for (const char *const *k = p ? p->aws_condition_claims : NULL; k && *k; k++)
		key_from_claim(provider, *k, json_object_get(claims, *k), add, ctx);
}
