/* SPDX-License-Identifier: MIT */
/*
 * Scenario validation and expansion (docs/scenario-format.md). Every check
 * happens here, at load time, so nothing runs when a scenario is wrong.
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/file.h"
#include "util/random.h"

#include "claims/claims.h"
#include "issuer/issuer.h"
#include "json/json.h"
#include "policy/policy.h"
#include "scenario-private.h"
#include "scenario.h"
#include "scenario/chain.h"
#include "sts/errors.h"

#define DEFAULT_MAX_BYTES (1024 * 1024)
#define DEFAULT_MAX_CASES 10000
#define MAX_DEPTH 64
/* The fixed clock of the load-time claims build (tokens are minted later
 * with the runner's clock; only validity and refusals matter here). */
#define CHECK_NOW 1700000000
#define MAX_COERCIONS 32

struct tl_scenario {
	char *file;
	char *name;
	char *description;
	char *account;
	json_t *root;
	struct tl_scenario_provider *providers;
	size_t n_providers;
	struct tl_scenario_role *roles;
	size_t n_roles;
	struct tl_case *cases;
	size_t n_cases, cap_cases;
	struct tl_chain_set *chain; /* credential_chain cases (chain.c) */
};

struct loader {
	const char *file;
	struct tl_spos pos;
	const struct tl_scenario_options *opt;
	size_t max_cases;
	struct tl_error *err;
	size_t n_errors;
	struct tl_scenario *s;
	const struct tl_scenario_provider *default_provider;
	json_t *defaults_token;
	json_t *defaults_request;
	struct tl_rng rng;
};

/* The faults mock-issuer can inject (lib/issuer's table, one home). */
static const char *const fault_names[] = {
#define X(id, name, reason, what) name,
	TL_ISSUER_FAULTS(X)
#undef X
		NULL,
};

const char *const *
tl_scenario_fault_names(void)
{
	return fault_names;
}

/* --- errors -------------------------------------------------------------- */

static void
record(struct loader *L, struct tl_error *e)
{
	if (!e->file[0])
		tl_error_locate_file(e, L->file, 0, 0);
	if (L->n_errors == 0 && L->err)
		*L->err = *e;
	if (L->opt && L->opt->errors && L->n_errors < L->opt->max_errors)
		L->opt->errors[L->n_errors] = *e;
	L->n_errors++;
	if (L->opt && L->opt->n_errors)
		*L->opt->n_errors =
			L->opt->errors ? (L->n_errors < L->opt->max_errors ? L->n_errors
									   : L->opt->max_errors)
				       : 0;
}

static int TL_PRINTF(4, 5)
	fail(struct loader *L, enum tl_errcode code, const char *path, const char *fmt, ...)
{
	struct tl_error e;
	va_list ap;
	int line = 0, column = 0;

	tl_error_clear(&e);
	va_start(ap, fmt);
	tl_error_setv(&e, code, fmt, ap);
	va_end(ap);
	tl_error_locate_path(&e, path);
	tl_spos_locate(&L->pos, path ? path : "", &line, &column);
	tl_error_locate_file(&e, L->file, line, column);
	record(L, &e);
	return -1;
}

int
tl_scenario_loader_fail(struct loader *L, enum tl_errcode code, const char *path, const char *fmt,
			...)
{
	char msg[TL_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail(L, code, path, "%s", msg);
}

const struct tl_scenario *
tl_scenario_loader_scenario(const struct loader *L)
{
	return L->s;
}

const struct tl_scenario_provider *
tl_scenario_loader_default_provider(const struct loader *L)
{
	return L->default_provider;
}

bool
tl_scenario_loader_inline_only(const struct loader *L)
{
	return L->opt && L->opt->inline_policies_only;
}

const struct tl_chain_set *
tl_scenario_chain_set(const struct tl_scenario *s)
{
	return s->chain;
}

static int
nomem(struct loader *L)
{
	return fail(L, TL_ERR_NOMEM, NULL, "out of memory");
}

/* --- paths and typed members -------------------------------------------- */

static struct tl_jpath
jk(const struct tl_jpath *p, const char *key)
{
	struct tl_jpath c = *p;
	tl_jpath_push_key(&c, key);
	return c;
}

static struct tl_jpath
ji(const struct tl_jpath *p, size_t i)
{
	struct tl_jpath c = *p;
	tl_jpath_push_index(&c, i);
	return c;
}

static int
type_error(struct loader *L, const struct tl_jpath *p, const char *wanted, const json_t *v)
{
	return fail(L, TL_ERR_INVALID, tl_jpath_str(p), "expected %s, found %s", wanted,
		    tl_json_type_name(v));
}

/* Unknown keys are reported at the key itself. */
static int
only_keys(struct loader *L, const json_t *obj, const char *const *allowed, const struct tl_jpath *p)
{
	struct tl_error e;
	const char *key;
	json_t *v;

	tl_error_clear(&e);
	if (tl_json_only_keys(obj, allowed, p, &e) == 0)
		return 0;
	json_object_foreach((json_t *)obj, key, v)
	{
		bool known = false;
		for (const char *const *a = allowed; *a && !known; a++)
			known = strcmp(*a, key) == 0;
		if (!known) {
			struct tl_jpath kp = jk(p, key);
			return fail(L, TL_ERR_INVALID, tl_jpath_str(&kp), "%s", e.message);
		}
	}
	return fail(L, e.code, tl_jpath_str(p), "%s", e.message);
}

/*
 * A YAML plain scalar the core schema typed as a number, boolean or null
 * becomes the text written when the position wants a string.
 */
static json_t *
coerce_string(struct loader *L, json_t *parent, const char *key, size_t index, const char *path)
{
	json_t *v = key ? json_object_get(parent, key) : json_array_get(parent, index);
	if (!v || json_is_string(v))
		return v;
	const char *plain = tl_spos_plain_text(&L->pos, path);
	if (!plain)
		return v;
	json_t *s = json_string(plain);
	if (!s)
		return v;
	if (key)
		json_object_set_new(parent, key, s);
	else
		json_array_set_new(parent, index, s);
	return s;
}

/* 0 found, 1 absent, -1 error. */
static int
get_string(struct loader *L, json_t *obj, const char *key, const struct tl_jpath *p, bool required,
	   bool nonempty, const char **out)
{
	struct tl_jpath kp = jk(p, key);
	json_t *v = coerce_string(L, obj, key, 0, tl_jpath_str(&kp));

	*out = NULL;
	if (!v) {
		if (required)
			return fail(L, TL_ERR_INVALID, tl_jpath_str(p),
				    "missing required field '%s'", key);
		return 1;
	}
	if (!json_is_string(v))
		return type_error(L, &kp, "a string", v);
	if (nonempty && !*json_string_value(v))
		return fail(L, TL_ERR_INVALID, tl_jpath_str(&kp), "must not be empty");
	*out = json_string_value(v);
	return 0;
}

static int
get_int(struct loader *L, json_t *obj, const char *key, const struct tl_jpath *p, long long min,
	long long max, long long *out)
{
	struct tl_jpath kp = jk(p, key);
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 1;
	if (!json_is_integer(v))
		return type_error(L, &kp, "an integer", v);
	long long n = json_integer_value(v);
	if (n < min || n > max)
		return fail(L, TL_ERR_INVALID, tl_jpath_str(&kp),
			    "%lld is out of range (%lld to %lld)", n, min, max);
	*out = n;
	return 0;
}

static int
get_typed(struct loader *L, json_t *obj, const char *key, const struct tl_jpath *p, json_type type,
	  json_t **out)
{
	struct tl_jpath kp = jk(p, key);
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v)
		return 1;
	if (json_typeof(v) != type)
		return type_error(L, &kp, type == JSON_OBJECT ? "an object" : "an array", v);
	*out = v;
	return 0;
}

static char *
names_list(const json_t *obj)
{
	struct tl_buf b;
	const char *key;
	json_t *v;

	tl_buf_init(&b, 400);
	json_object_foreach((json_t *)obj, key, v)
	{
		if (tl_buf_printf(&b, NULL, "%s%s", b.len ? ", " : "", key) < 0) {
			tl_buf_reset(&b);
			tl_buf_append_str(&b, "...", NULL);
			break;
		}
	}
	(void)v;
	return tl_buf_steal(&b, NULL);
}

/* --- scenario accessors -------------------------------------------------- */

const char *
tl_scenario_name(const struct tl_scenario *s)
{
	return s->name;
}

const char *
tl_scenario_description(const struct tl_scenario *s)
{
	return s->description ? s->description : "";
}

const char *
tl_scenario_file(const struct tl_scenario *s)
{
	return s->file;
}

const char *
tl_scenario_account(const struct tl_scenario *s)
{
	return s->account;
}

size_t
tl_scenario_provider_count(const struct tl_scenario *s)
{
	return s->n_providers;
}

const struct tl_scenario_provider *
tl_scenario_provider(const struct tl_scenario *s, size_t i)
{
	return i < s->n_providers ? &s->providers[i] : NULL;
}

size_t
tl_scenario_role_count(const struct tl_scenario *s)
{
	return s->n_roles;
}

const struct tl_scenario_role *
tl_scenario_role(const struct tl_scenario *s, size_t i)
{
	return i < s->n_roles ? &s->roles[i] : NULL;
}

size_t
tl_scenario_case_count(const struct tl_scenario *s)
{
	return s->n_cases;
}

const struct tl_case *
tl_scenario_case(const struct tl_scenario *s, size_t i)
{
	return i < s->n_cases ? &s->cases[i] : NULL;
}

static void
case_finish(struct tl_case *c)
{
	free((char *)c->name);
	free((char *)c->id);
	free((char *)c->where);
	free((char *)c->refusal);
	free((void *)c->expect);
	json_decref(c->token);
	json_decref(c->audience);
	json_decref(c->claims);
	json_decref(c->faults);
}

void
tl_scenario_free(struct tl_scenario *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_cases; i++)
		case_finish(&s->cases[i]);
	free(s->cases);
	for (size_t i = 0; i < s->n_roles; i++) {
		tl_policy_free(s->roles[i].policy);
		free((char *)s->roles[i].policy_text);
		free((char *)s->roles[i].policy_file);
	}
	free(s->roles);
	free(s->providers);
	json_decref(s->root);
	free(s->file);
	free(s->name);
	free(s->description);
	free(s->account);
	tl_scenario_chain_free(s->chain);
	free(s);
}

/* --- outcomes, filters, shards ------------------------------------------ */

bool
tl_scenario_outcome_valid(const char *outcome)
{
	if (!outcome)
		return false;
	if (strcmp(outcome, "allow") == 0 || strcmp(outcome, "deny") == 0 ||
	    strcmp(outcome, "no-token") == 0)
		return true;
	return tl_sts_error_from_name(outcome) != TL_STS_OK;
}

bool
tl_case_expect_matches(const char *expected, const char *actual)
{
	if (!expected || !actual)
		return false;
	if (strcmp(expected, "deny") == 0)
		expected = "AccessDenied";
	if (strcmp(actual, "deny") == 0)
		actual = "AccessDenied";
	return strcmp(expected, actual) == 0;
}

bool
tl_case_matches_filter(const struct tl_case *c, const char *glob)
{
	if (!glob || !*glob)
		return true;
	return fnmatch(glob, c->id, 0) == 0 || fnmatch(glob, c->name, 0) == 0;
}

bool
tl_case_in_shard(const struct tl_case *c, unsigned k, unsigned n)
{
	uint64_t h = 14695981039346656037ULL;
	if (n <= 1)
		return true;
	for (const char *p = c->id; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ULL;
	}
	return (unsigned)(h % n) + 1 == k;
}

int
tl_scenario_parse_shard(const char *text, unsigned *k, unsigned *n, struct tl_error *err)
{
	unsigned a, b;
	char tail;
	if (!text || sscanf(text, "%u/%u%c", &a, &b, &tail) != 2 || !isdigit((unsigned char)*text))
		return tl_error_set(err, TL_ERR_INVALID, "shard '%s': expected K/N, e.g. 2/4",
				    text ? text : "");
	if (b < 1 || b > 1000 || a < 1 || a > b)
		return tl_error_set(err, TL_ERR_INVALID, "shard '%s': need 1 <= K <= N <= 1000",
				    text);
	*k = a;
	*n = b;
	return 0;
}

/* --- sniffing ------------------------------------------------------------ */

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool
is_yaml_name(const char *path)
{
	return has_suffix(path, ".yaml") || has_suffix(path, ".yml");
}

bool
tl_scenario_sniff(const char *path)
{
	char buf[4097];
	FILE *f;
	size_t n;
	const char *p;

	if (!is_yaml_name(path) && !has_suffix(path, ".json"))
		return false;
	f = fopen(path, "rb");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = buf;
	if (!is_yaml_name(path)) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p++ != '{')
			return false;
		while (isspace((unsigned char)*p))
			p++;
		return strncmp(p, "\"trustlab\"", 10) == 0;
	}
	/* YAML: skip blank lines, comments and a document start. */
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '#' || strncmp(p, "---", 3) == 0 || strncmp(p, "%YAML", 5) == 0) {
			p = strchr(p, '\n');
			if (!p)
				return false;
			continue;
		}
		break;
	}
	if (*p == '{') {
		p++;
		while (isspace((unsigned char)*p))
			p++;
	}
	if (*p == '"' || *p == '\'')
		return strncmp(p + 1, "trustlab", 8) == 0 && p[9] == p[0];
	return strncmp(p, "trustlab", 8) == 0 && (p[8] == ':' || p[8] == ' ');
}

/* --- providers ----------------------------------------------------------- */

static const struct tl_scenario_provider *
find_provider(const struct tl_scenario *s, const char *name)
{
	for (size_t i = 0; i < s->n_providers; i++)
		if (strcmp(s->providers[i].name, name) == 0)
			return &s->providers[i];
	return NULL;
}

static int
load_providers(struct loader *L, json_t *obj, const struct tl_jpath *p)
{
	static const char *const keys[] = {"profile", "audiences", "issuer", NULL};
	const char *name;
	json_t *v;
	int rc = 0;

	L->s->providers = calloc(json_object_size(obj) + 1, sizeof(*L->s->providers));
	if (!L->s->providers)
		return nomem(L);
	json_object_foreach(obj, name, v)
	{
		struct tl_jpath pp = jk(p, name);
		struct tl_scenario_provider *pr = &L->s->providers[L->s->n_providers];
		const char *profile = NULL;
		json_t *aud = NULL;

		if (!json_is_object(v)) {
			rc = type_error(L, &pp, "an object", v);
			continue;
		}
		if (only_keys(L, v, keys, &pp) < 0 ||
		    get_string(L, v, "profile", &pp, false, true, &profile) < 0 ||
		    get_string(L, v, "issuer", &pp, false, true, &pr->issuer) < 0 ||
		    get_typed(L, v, "audiences", &pp, JSON_ARRAY, &aud) < 0) {
			rc = -1;
			continue;
		}
		if (!profile)
			profile = name;
		pr->name = name;
		pr->profile = tl_claims_profile_find(profile);
		if (!pr->profile) {
			struct tl_buf list;
			tl_buf_init(&list, 400);
			for (const struct tl_claims_profile *const *q = tl_claims_profiles(); *q;
			     q++)
				tl_buf_printf(&list, NULL, "%s%s", list.len ? ", " : "",
					      (*q)->name);
			struct tl_jpath fp = jk(&pp, "profile");
			rc = fail(L, TL_ERR_INVALID,
				  json_object_get(v, "profile") ? tl_jpath_str(&fp)
								: tl_jpath_str(&pp),
				  "unknown provider profile '%s' (expected one of: %s)", profile,
				  tl_buf_str(&list));
			tl_buf_finish(&list);
			continue;
		}
		if (aud) {
			struct tl_jpath ap = jk(&pp, "audiences");
			bool bad = false;
			if (json_array_size(aud) == 0) {
				rc = fail(L, TL_ERR_INVALID, tl_jpath_str(&ap),
					  "needs at least one audience");
				continue;
			}
			for (size_t i = 0; i < json_array_size(aud) && !bad; i++) {
				struct tl_jpath ip = ji(&ap, i);
				json_t *a = coerce_string(L, aud, NULL, i, tl_jpath_str(&ip));
				if (!json_is_string(a) || !*json_string_value(a)) {
					rc = json_is_string(a)
						     ? fail(L, TL_ERR_INVALID, tl_jpath_str(&ip),
							    "must not be empty")
						     : type_error(L, &ip, "a string", a);
					bad = true;
				}
			}
			if (bad)
				continue;
			pr->audiences = aud;
		} else {
			/* A profile whose default audience depends on the token
			 * (GitHub: the owner URL) still needs the client id list. */
			if (!pr->profile->audience) {
				rc = fail(L, TL_ERR_INVALID, tl_jpath_str(&pp),
					  "missing required field 'audiences' (profile '%s' has no "
					  "fixed default audience)",
					  pr->profile->name);
				continue;
			}
			aud = json_pack("[s]", pr->profile->audience);
			if (!aud || json_object_set_new(v, "audiences", aud) < 0)
				return nomem(L);
			pr->audiences = aud;
		}
		L->s->n_providers++;
	}
	if (rc == 0 && L->s->n_providers == 0)
		return fail(L, TL_ERR_INVALID, tl_jpath_str(p), "needs at least one provider");
	return rc;
}

/* --- roles and trust policies ------------------------------------------- */

static bool
valid_role_name(const char *name)
{
	size_t n = strlen(name);
	if (n < 1 || n > 64)
		return false;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_+=,.@-", *c))
			return false;
	return true;
}

static void
percent_decode(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2])) {
			char hex[3] = {r[1], r[2], 0};
			*w++ = (char)strtol(hex, NULL, 16);
			r += 2;
		} else
			*w++ = *r;
	}
	*w = '\0';
}

/*
 * A policy error: inside the scenario (inline) at `rp` + the policy's
 * path, or inside `file` with positions scanned from its text.
 */
static int
policy_fail(struct loader *L, const char *role, const struct tl_jpath *rp, const char *file,
	    const char *text, const char *prefix, const struct tl_error *pe)
{
	struct tl_error e = *pe;
	char full[TL_JPATH_MAX];
	const char *ppath = pe->path;
	const char *aws = tl_policy_aws_error(pe);

	/* A path past TL_JPATH_MAX is cut, as tl_jpath cuts its own. */
	if (!file) {
		if (snprintf(full, sizeof(full), "%s%s%s", tl_jpath_str(rp),
			     *ppath && *ppath != '[' ? "." : "", ppath) >= (int)sizeof(full))
			full[sizeof(full) - 1] = '\0';
		return fail(L, pe->code, full, "trust policy of role '%s' (%s): %s", role, aws,
			    pe->message);
	}
	if (snprintf(full, sizeof(full), "%s%s%s", prefix,
		     *prefix && *ppath && *ppath != '[' ? "." : "", ppath) >= (int)sizeof(full))
		full[sizeof(full) - 1] = '\0';
	tl_error_clear(&e);
	tl_error_set_at(&e, pe->code, full, "trust policy of role '%s' (%s): %s", role, aws,
			pe->message);
	int line = pe->line, column = pe->column;
	if (!line && text) {
		struct tl_spos pos;
		tl_spos_init(&pos);
		if (tl_scenario_json_positions(text, strlen(text), "", &pos) == 0)
			tl_spos_locate(&pos, full, &line, &column);
		tl_spos_finish(&pos);
	}
	tl_error_locate_file(&e, file, line, column);
	record(L, &e);
	return -1;
}

static int
load_policy(struct loader *L, struct tl_scenario_role *r, json_t *tp, const struct tl_jpath *rp)
{
	struct tl_error pe;
	char *text = NULL;
	const char *prefix = "";
	size_t max = L->opt && L->opt->max_bytes ? L->opt->max_bytes : DEFAULT_MAX_BYTES;

	tl_error_clear(&pe);
	if (json_is_object(tp)) {
		text = json_dumps(tp, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!text)
			return nomem(L);
	} else {
		char path[4096];
		size_t len;
		if (L->opt && L->opt->inline_policies_only)
			return fail(
				L, TL_ERR_INVALID, tl_jpath_str(rp),
				"trust policy of role '%s': only inline policies are allowed here",
				r->name);
		if (tl_path_join_relative(L->file, json_string_value(tp), path, sizeof(path), &pe) <
		    0)
			return fail(L, pe.code, tl_jpath_str(rp), "%s", pe.message);
		if (tl_file_read(path, max, &text, &len, &pe) < 0)
			return fail(L, pe.code, tl_jpath_str(rp), "trust policy of role '%s': %s",
				    r->name, pe.message);
		r->policy_file = strdup(path);
		if (!r->policy_file) {
			free(text);
			return nomem(L);
		}
		/* `aws iam get-role` output: the CLI prints the document
		 * decoded, the raw API URL-encoded. */
		json_t *doc = json_loadb(text, len, 0, NULL);
		json_t *inner =
			json_object_get(json_object_get(doc, "Role"), "AssumeRolePolicyDocument");
		if (inner) {
			char *t = NULL;
			if (json_is_object(inner)) {
				t = json_dumps(inner, JSON_COMPACT | JSON_PRESERVE_ORDER);
				prefix = "Role.AssumeRolePolicyDocument";
			} else if (json_is_string(inner)) {
				t = strdup(json_string_value(inner));
				if (t && t[0] != '{')
					percent_decode(t);
			}
			if (t) {
				/* Positions are those of the file, so keep its text
				 * for an object document. */
				if (json_is_string(inner)) {
					free(text);
					text = t;
				} else {
					struct tl_policy *pol = tl_policy_parse(
						t, strlen(t), L->opt ? L->opt->policy_limits : NULL,
						&pe);
					json_decref(doc);
					if (!pol) {
						policy_fail(L, r->name, rp, r->policy_file, text,
							    prefix, &pe);
						free(t);
						free(text);
						return -1;
					}
					free(text);
					r->policy = pol;
					r->policy_text = t;
					return 0;
				}
			}
		}
		json_decref(doc);
	}
	r->policy = tl_policy_parse(text, strlen(text), L->opt ? L->opt->policy_limits : NULL, &pe);
	if (!r->policy) {
		policy_fail(L, r->name, rp, r->policy_file, r->policy_file ? text : NULL, prefix,
			    &pe);
		free(text);
		return -1;
	}
	r->policy_text = text;
	return 0;
}

static int
load_roles(struct loader *L, json_t *obj, const struct tl_jpath *p)
{
	static const char *const keys[] = {"trust_policy", "max_session_duration", "description",
					   NULL};
	const char *name;
	json_t *v;
	int rc = 0;

	L->s->roles = calloc(json_object_size(obj) + 1, sizeof(*L->s->roles));
	if (!L->s->roles)
		return nomem(L);
	json_object_foreach(obj, name, v)
	{
		struct tl_jpath rp = jk(p, name);
		struct tl_scenario_role *r = &L->s->roles[L->s->n_roles];
		long long msd = 3600;

		if (!valid_role_name(name)) {
			rc = fail(L, TL_ERR_INVALID, tl_jpath_str(&rp),
				  "invalid role name '%s' (1 to 64 of A-Z a-z 0-9 _+=,.@-)", name);
			continue;
		}
		/* Known from here on, so that cases naming it are checked. */
		r->name = name;
		r->description = "";
		r->max_session_duration = 3600;
		L->s->n_roles++;
		if (!json_is_object(v)) {
			rc = type_error(L, &rp, "an object", v);
			continue;
		}
		if (only_keys(L, v, keys, &rp) < 0 ||
		    get_string(L, v, "description", &rp, false, false, &r->description) < 0 ||
		    get_int(L, v, "max_session_duration", &rp, 3600, 43200, &msd) < 0) {
			rc = -1;
			continue;
		}
		r->max_session_duration = (int)msd;
		if (!r->description)
			r->description = "";
		struct tl_jpath tp = jk(&rp, "trust_policy");
		json_t *t = coerce_string(L, v, "trust_policy", 0, tl_jpath_str(&tp));
		if (!t) {
			rc = fail(L, TL_ERR_INVALID, tl_jpath_str(&rp),
				  "missing required field 'trust_policy'");
			continue;
		}
		if (!json_is_object(t) && !(json_is_string(t) && *json_string_value(t))) {
			rc = type_error(L, &tp, "an object (the policy) or a file path", t);
			continue;
		}
		if (load_policy(L, r, t, &tp) < 0)
			rc = -1;
	}
	if (rc == 0 && L->s->n_roles == 0)
		return fail(L, TL_ERR_INVALID, tl_jpath_str(p), "needs at least one role");
	return rc;
}

static const struct tl_scenario_role *
find_role(const struct tl_scenario *s, const char *name)
{
	for (size_t i = 0; i < s->n_roles; i++)
		if (strcmp(s->roles[i].name, name) == 0)
			return &s->roles[i];
	return NULL;
}

static int
unknown_role(struct loader *L, const char *path, const char *name, json_t *roles)
{
	char *list = names_list(roles);
	fail(L, TL_ERR_INVALID, path, "unknown role '%s' (roles: %s)", name, list ? list : "");
	free(list);
	return -1;
}

/* --- requests ------------------------------------------------------------ */

static bool
valid_session_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_+=,.@-", *s))
			return false;
	return true;
}

static int
check_request(struct loader *L, json_t *req, const struct tl_jpath *p)
{
	static const char *const keys[] = {"session_name", "duration_seconds", NULL};
	const char *sn;
	long long d;

	if (!json_is_object(req))
		return type_error(L, p, "an object", req);
	if (only_keys(L, req, keys, p) < 0 ||
	    get_string(L, req, "session_name", p, false, false, &sn) < 0 ||
	    get_int(L, req, "duration_seconds", p, 900, 43200, &d) < 0)
		return -1;
	if (sn && !valid_session_name(sn)) {
		struct tl_jpath sp = jk(p, "session_name");
		return fail(L, TL_ERR_INVALID, tl_jpath_str(&sp),
			    "'%s' is not a valid RoleSessionName (2 to 64 of A-Z a-z 0-9 _+=,.@-)",
			    sn);
	}
	return 0;
}

/* --- token contexts ------------------------------------------------------ */

static bool
reserved_token_key(const char *key)
{
	return strcmp(key, "audience") == 0 || strcmp(key, "claims") == 0 ||
	       strcmp(key, "faults") == 0;
}

/* Sets merged[key] = v (borrowed; null removes) with its origin path. */
static int
merge_value(struct loader *L, json_t *merged, json_t *origin, const char *key, json_t *v,
	    const char *path)
{
	if (json_is_null(v) && !reserved_token_key(key)) {
		json_object_del(merged, key);
		json_object_del(origin, key);
		return 0;
	}
	if (json_object_set(merged, key, v) < 0 ||
	    json_object_set_new(origin, key, json_string(path)) < 0)
		return nomem(L);
	return 0;
}

static int
merge_layer(struct loader *L, json_t *merged, json_t *origin, json_t *src, const struct tl_jpath *p)
{
	const char *key;
	json_t *v;
	json_object_foreach(src, key, v)
	{
		struct tl_jpath kp = jk(p, key);
		if (merge_value(L, merged, origin, key, v, tl_jpath_str(&kp)) < 0)
			return -1;
	}
	return 0;
}

static const char *
origin_of(json_t *origin, const char *key, const char *fallback)
{
	json_t *o = json_object_get(origin, key);
	return json_is_string(o) ? json_string_value(o) : fallback;
}

/* Splits the first path component off `rest` ("." key, ["key"] or [n]). */
static const char *
next_component(const char *rest, char *key, size_t size, bool *is_index)
{
	size_t n = 0;
	*is_index = false;
	if (*rest == '.') {
		rest++;
		while (*rest && *rest != '.' && *rest != '[' && n + 1 < size)
			key[n++] = *rest++;
	} else if (rest[0] == '[' && rest[1] == '"') {
		rest += 2;
		while (*rest && *rest != '"' && n + 1 < size) {
			if (*rest == '\\' && rest[1])
				rest++;
			key[n++] = *rest++;
		}
		if (*rest == '"')
			rest++;
		if (*rest == ']')
			rest++;
	} else if (*rest == '[') {
		rest++;
		*is_index = true;
		while (*rest && *rest != ']' && n + 1 < size)
			key[n++] = *rest++;
		if (*rest == ']')
			rest++;
	} else
		return NULL;
	key[n] = '\0';
	return rest;
}

/*
 * Tries to give a plain YAML scalar at `rest` (below the top key `top` of
 * the context) its text back. True when something changed.
 */
static bool
coerce_context(struct loader *L, json_t *ctx, const char *top, const char *rest, const char *opath)
{
	char comp[TL_JPATH_MAX], full[TL_JPATH_MAX];
	json_t *parent = ctx;
	const char *key = top;
	size_t index = 0;
	bool is_index = false;

	snprintf(full, sizeof(full), "%s%s", opath, rest);
	const char *plain = tl_spos_plain_text(&L->pos, full);
	if (!plain)
		return false;
	while (*rest) {
		json_t *child =
			is_index ? json_array_get(parent, index) : json_object_get(parent, key);
		if (!child)
			return false;
		parent = child;
		rest = next_component(rest, comp, sizeof(comp), &is_index);
		if (!rest)
			return false;
		key = comp;
		index = is_index ? strtoul(comp, NULL, 10) : 0;
	}
	json_t *v = is_index ? json_array_get(parent, index) : json_object_get(parent, key);
	if (!v || json_is_string(v))
		return false;
	json_t *s = json_string(plain);
	if (!s)
		return false;
	if (is_index)
		json_array_set_new(parent, index, s);
	else
		json_object_set_new(parent, key, s);
	return true;
}

struct pending_case {
	const char *name; /* borrowed */
	const char *where;
	const char *matrix;
	const struct tl_scenario_provider *provider;
	json_t *merged; /* borrowed */
	json_t *origin;
	const char *token_path; /* for errors without a field */
	json_t *request; /* merged request, borrowed */
	struct tl_case_expect *expect; /* stolen */
	size_t n_expect;
};

/* Maps a lib/claims error path to the scenario. */
static void
claims_error_path(const struct pending_case *pc, const struct tl_error *ce, char *out, size_t size,
		  char *top, size_t top_size, const char **rest_out)
{
	const char *path = ce->path;
	*rest_out = "";
	top[0] = '\0';
	if (strncmp(path, "context", 7) == 0) {
		const char *rest = path + 7;
		bool is_index;
		if (!*rest) {
			const char *q = strstr(ce->message, "unknown field '");
			if (q) {
				q += 15;
				size_t n = strcspn(q, "'");
				if (n >= top_size)
					n = top_size - 1;
				memcpy(top, q, n);
				top[n] = '\0';
			}
		} else {
			rest = next_component(rest, top, top_size, &is_index);
			*rest_out = rest ? rest : "";
		}
		if (top[0]) {
			snprintf(out, size, "%s%s", origin_of(pc->origin, top, pc->token_path),
				 *rest_out);
			return;
		}
		snprintf(out, size, "%s", pc->token_path);
		return;
	}
	if (strncmp(path, "audience", 8) == 0) {
		snprintf(out, size, "%s%s", origin_of(pc->origin, "audience", pc->token_path),
			 path + 8);
		return;
	}
	snprintf(out, size, "%s", pc->token_path);
}

static int
check_audience(struct loader *L, json_t *merged, json_t *origin, const char *tpath)
{
	json_t *a = json_object_get(merged, "audience");
	const char *ap = origin_of(origin, "audience", tpath);
	if (!a)
		return 0;
	if (json_is_array(a)) {
		if (json_array_size(a) == 0)
			return fail(L, TL_ERR_INVALID, ap, "needs at least one audience");
		json_t *copy = json_copy(a);
		if (!copy || json_object_set_new(merged, "audience", copy) < 0)
			return nomem(L);
		for (size_t i = 0; i < json_array_size(copy); i++) {
			char ip[TL_JPATH_MAX];
			snprintf(ip, sizeof(ip), "%s[%zu]", ap, i);
			json_t *s = coerce_string(L, copy, NULL, i, ip);
			if (!json_is_string(s))
				return fail(L, TL_ERR_INVALID, ip, "expected a string, found %s",
					    tl_json_type_name(s));
		}
		return 0;
	}
	a = coerce_string(L, merged, "audience", 0, ap);
	if (!json_is_string(a))
		return fail(L, TL_ERR_INVALID, ap,
			    "expected a string or an array of strings, found %s",
			    tl_json_type_name(a));
	return 0;
}

static int
check_faults(struct loader *L, json_t *faults, const char *fp)
{
	if (!json_is_array(faults))
		return fail(L, TL_ERR_INVALID, fp, "expected an array of fault names, found %s",
			    tl_json_type_name(faults));
	for (size_t i = 0; i < json_array_size(faults); i++) {
		json_t *f = json_array_get(faults, i), *name = f;
		char ip[TL_JPATH_MAX];
		bool known = false;
		snprintf(ip, sizeof(ip), "%s[%zu]", fp, i);
		/* A name, or mock-issuer's object form with its parameters:
		 * {fault: missing-claims, claims: [sub]}, {fault: wrong-issuer,
		 * issuer: URL} (docs/issuer.md). */
		if (json_is_object(f)) {
			static const char *const keys[] = {"fault", "claims", "issuer", NULL};
			struct tl_jpath jp;
			struct tl_error e;
			json_t *claims = json_object_get(f, "claims");
			json_t *issuer = json_object_get(f, "issuer");
			tl_jpath_init(&jp, ip);
			if (tl_json_only_keys(f, keys, &jp, &e) < 0)
				return fail(L, TL_ERR_INVALID, ip, "%s", e.message);
			if (claims && !json_is_array(claims))
				return fail(L, TL_ERR_INVALID, ip,
					    "'claims' must be a list of claim names, found %s",
					    tl_json_type_name(claims));
			for (size_t k = 0; k < json_array_size(claims); k++)
				if (!json_is_string(json_array_get(claims, k)))
					return fail(L, TL_ERR_INVALID, ip,
						    "'claims' must be a list of claim names");
			if (issuer && !json_is_string(issuer))
				return fail(L, TL_ERR_INVALID, ip,
					    "'issuer' must be a string, found %s",
					    tl_json_type_name(issuer));
			name = json_object_get(f, "fault");
		}
		for (const char *const *n = fault_names; json_is_string(name) && *n && !known; n++)
			known = strcmp(*n, json_string_value(name)) == 0;
		if (!known) {
			struct tl_buf list;
			tl_buf_init(&list, 400);
			for (const char *const *n = fault_names; *n; n++)
				tl_buf_printf(&list, NULL, "%s%s", list.len ? ", " : "", *n);
			fail(L, TL_ERR_INVALID, ip, "unknown fault %s%s%s (expected one of: %s)",
			     json_is_string(name) ? "'" : "",
			     json_is_string(name) ? json_string_value(name)
						  : tl_json_type_name(name ? name : f),
			     json_is_string(name) ? "'" : "", tl_buf_str(&list));
			tl_buf_finish(&list);
			return -1;
		}
	}
	return 0;
}

/* Validates the merged context through lib/claims and appends the case. */
static int
add_case(struct loader *L, struct pending_case *pc)
{
	struct tl_scenario *s = L->s;
	json_t *merged = pc->merged;
	json_t *claims_over = NULL, *faults = NULL, *audience = NULL, *ctx = NULL;
	struct tl_claims_refusal refusal;
	struct tl_error ce;
	int rc = -1;

	if (check_audience(L, merged, pc->origin, pc->token_path) < 0)
		goto out;
	audience = json_incref(json_object_get(merged, "audience"));
	claims_over = json_incref(json_object_get(merged, "claims"));
	faults = json_incref(json_object_get(merged, "faults"));
	if (claims_over && !json_is_object(claims_over)) {
		fail(L, TL_ERR_INVALID, origin_of(pc->origin, "claims", pc->token_path),
		     "expected an object (claim name: value), found %s",
		     tl_json_type_name(claims_over));
		goto out;
	}
	if (json_is_null(claims_over)) {
		json_decref(claims_over);
		claims_over = NULL;
	}
	if (faults && check_faults(L, faults, origin_of(pc->origin, "faults", pc->token_path)) < 0)
		goto out;

	ctx = json_object();
	if (!ctx) {
		nomem(L);
		goto out;
	}
	{
		const char *key;
		json_t *v;
		json_object_foreach(merged, key, v)
		{
			if (!reserved_token_key(key) && json_object_set(ctx, key, v) < 0) {
				nomem(L);
				goto out;
			}
		}
	}

	struct tl_claims_options copt = {
		.issuer = pc->provider->issuer,
		.audience = audience ? audience : json_array_get(pc->provider->audiences, 0),
		.now = CHECK_NOW,
		.rng = &L->rng,
	};
	int built = -1;
	for (int attempt = 0; attempt <= MAX_COERCIONS; attempt++) {
		json_t *claims = NULL;
		tl_error_clear(&ce);
		memset(&refusal, 0, sizeof(refusal));
		built = tl_claims_build(pc->provider->profile, ctx, &copt, &claims, &refusal, &ce);
		json_decref(claims);
		if (built >= 0 || ce.code == TL_ERR_NOMEM)
			break;
		char top[TL_JPATH_MAX], mapped[TL_JPATH_MAX];
		const char *rest;
		claims_error_path(pc, &ce, mapped, sizeof(mapped), top, sizeof(top), &rest);
		if (!top[0] || !strstr(ce.message, "expected a string") ||
		    !coerce_context(L, ctx, top, rest, origin_of(pc->origin, top, pc->token_path)))
			break;
	}
	if (built < 0) {
		char top[TL_JPATH_MAX], mapped[TL_JPATH_MAX];
		const char *rest;
		if (ce.code == TL_ERR_NOMEM) {
			nomem(L);
			goto out;
		}
		claims_error_path(pc, &ce, mapped, sizeof(mapped), top, sizeof(top), &rest);
		if (pc->matrix)
			fail(L, ce.code, mapped, "%s (in '%s')", ce.message, pc->name);
		else
			fail(L, ce.code, mapped, "%s", ce.message);
		goto out;
	}

	if (s->n_cases == s->cap_cases) {
		size_t cap = s->cap_cases ? s->cap_cases * 2 : 16;
		struct tl_case *cases = realloc(s->cases, cap * sizeof(*cases));
		if (!cases) {
			nomem(L);
			goto out;
		}
		s->cases = cases;
		s->cap_cases = cap;
	}
	struct tl_case *c = &s->cases[s->n_cases];
	memset(c, 0, sizeof(*c));
	c->scenario = s->name;
	c->file = s->file;
	c->name = strdup(pc->name);
	c->where = strdup(pc->where);
	size_t id_len = strlen(s->name) + strlen(pc->name) + 2;
	char *id = malloc(id_len);
	if (id)
		snprintf(id, id_len, "%s/%s", s->name, pc->name);
	c->id = id;
	c->refusal = built == 1 ? strdup(refusal.reason) : NULL;
	if (!c->name || !c->where || !c->id || (built == 1 && !c->refusal)) {
		case_finish(c);
		nomem(L);
		goto out;
	}
	s->n_cases++;
	c->matrix = pc->matrix;
	c->provider = pc->provider;
	c->token = ctx;
	ctx = NULL;
	c->audience = audience;
	c->claims = claims_over;
	c->faults = faults;
	audience = claims_over = faults = NULL;
	c->refused = built == 1;
	json_t *sn = json_object_get(pc->request, "session_name");
	c->session_name = json_is_string(sn) ? json_string_value(sn) : NULL;
	c->duration_seconds =
		(int)json_integer_value(json_object_get(pc->request, "duration_seconds"));
	c->expect = pc->expect;
	c->n_expect = pc->n_expect;
	pc->expect = NULL;
	rc = 0;
out:
	json_decref(ctx);
	json_decref(audience);
	json_decref(claims_over);
	json_decref(faults);
	free(pc->expect);
	pc->expect = NULL;
	return rc;
}

/* --- cases ---------------------------------------------------------------- */

static const struct tl_scenario_provider *
case_provider(struct loader *L, json_t *obj, const struct tl_jpath *p)
{
	const char *name;
	if (get_string(L, obj, "provider", p, false, true, &name) < 0)
		return NULL;
	if (!name) {
		if (L->default_provider)
			return L->default_provider;
		fail(L, TL_ERR_INVALID, tl_jpath_str(p),
		     "no provider: set 'provider' here or in defaults (the scenario has %zu)",
		     L->s->n_providers);
		return NULL;
	}
	const struct tl_scenario_provider *pr = find_provider(L->s, name);
	if (!pr) {
		struct tl_jpath pp = jk(p, "provider");
		char *list = names_list(json_object_get(L->s->root, "providers"));
		fail(L, TL_ERR_INVALID, tl_jpath_str(&pp), "unknown provider '%s' (providers: %s)",
		     name, list ? list : "");
		free(list);
	}
	return pr;
}

/* defaults.request then the case's, key by key. New reference. */
static json_t *
merged_request(struct loader *L, json_t *obj, const struct tl_jpath *p, int *bad)
{
	json_t *req = json_object_get(obj, "request");
	struct tl_jpath rp = jk(p, "request");
	json_t *m = json_object();
	*bad = 0;
	if (!m) {
		*bad = nomem(L);
		return NULL;
	}
	if (L->defaults_request)
		json_object_update(m, L->defaults_request);
	if (req) {
		if (check_request(L, req, &rp) < 0) {
			*bad = -1;
			json_decref(m);
			return NULL;
		}
		json_object_update(m, req);
	}
	return m;
}

static int
case_names_unique(struct loader *L, const char *name, const char *path)
{
	for (size_t i = 0; i < L->s->n_cases; i++)
		if (strcmp(L->s->cases[i].name, name) == 0)
			return fail(L, TL_ERR_INVALID, path,
				    "duplicate case name '%s' (first at %s)", name,
				    L->s->cases[i].where);
	return 0;
}

static int
parse_expect(struct loader *L, json_t *obj, const struct tl_jpath *p, struct tl_case_expect **out,
	     size_t *n_out)
{
	struct tl_jpath ep = jk(p, "expect");
	json_t *ex = json_object_get(obj, "expect");
	const char *key;
	json_t *v;

	if (!ex)
		return fail(L, TL_ERR_INVALID, tl_jpath_str(p), "missing required field 'expect'");
	if (!json_is_object(ex))
		return type_error(L, &ep, "an object (role: outcome)", ex);
	if (json_object_size(ex) == 0)
		return fail(L, TL_ERR_INVALID, tl_jpath_str(&ep),
			    "needs at least one role (or \"*\" for all roles)");
	json_object_foreach(ex, key, v)
	{
		struct tl_jpath kp = jk(&ep, key);
		if (strcmp(key, "*") != 0 && !find_role(L->s, key))
			return unknown_role(L, tl_jpath_str(&kp), key,
					    json_object_get(L->s->root, "roles"));
		v = coerce_string(L, ex, key, 0, tl_jpath_str(&kp));
		if (!json_is_string(v) || !tl_scenario_outcome_valid(json_string_value(v))) {
			char *shown = json_dumps(v, JSON_ENCODE_ANY);
			fail(L, TL_ERR_INVALID, tl_jpath_str(&kp),
			     "expected one of allow, deny, no-token or an STS error code, found %s",
			     shown ? shown : "?");
			free(shown);
			return -1;
		}
	}
	struct tl_case_expect *e = calloc(L->s->n_roles + 1, sizeof(*e));
	size_t n = 0;
	if (!e)
		return nomem(L);
	json_t *all = json_object_get(ex, "*");
	for (size_t i = 0; i < L->s->n_roles; i++) {
		json_t *o = json_object_get(ex, L->s->roles[i].name);
		if (!o)
			o = all;
		if (o) {
			e[n].role = L->s->roles[i].name;
			e[n].outcome = json_string_value(o);
			n++;
		}
	}
	*out = e;
	*n_out = n;
	return 0;
}

static int
load_case(struct loader *L, json_t *obj, const struct tl_jpath *p)
{
	static const char *const keys[] = {"name",    "description", "provider", "token",
					   "request", "expect",	     NULL};
	struct pending_case pc;
	const char *desc;
	json_t *token, *req = NULL, *merged = NULL, *origin = NULL;
	int bad, rc = -1;

	memset(&pc, 0, sizeof(pc));
	if (!json_is_object(obj))
		return type_error(L, p, "an object", obj);
	if (only_keys(L, obj, keys, p) < 0 ||
	    get_string(L, obj, "name", p, true, true, &pc.name) < 0 ||
	    get_string(L, obj, "description", p, false, false, &desc) < 0 ||
	    get_typed(L, obj, "token", p, JSON_OBJECT, &token) < 0)
		return -1;
	struct tl_jpath np = jk(p, "name");
	if (case_names_unique(L, pc.name, tl_jpath_str(&np)) < 0)
		return -1;
	pc.provider = case_provider(L, obj, p);
	if (!pc.provider)
		return -1;
	req = merged_request(L, obj, p, &bad);
	if (bad < 0)
		return -1;
	if (parse_expect(L, obj, p, &pc.expect, &pc.n_expect) < 0)
		goto out;
	merged = json_object();
	origin = json_object();
	if (!merged || !origin) {
		nomem(L);
		goto out;
	}
	struct tl_jpath dp, tp = jk(p, "token");
	tl_jpath_init(&dp, "defaults.token");
	if ((L->defaults_token && merge_layer(L, merged, origin, L->defaults_token, &dp) < 0) ||
	    (token && merge_layer(L, merged, origin, token, &tp) < 0))
		goto out;
	pc.where = tl_jpath_str(p);
	pc.merged = merged;
	pc.origin = origin;
	pc.token_path = token ? tl_jpath_str(&tp) : tl_jpath_str(p);
	pc.request = req;
	rc = add_case(L, &pc);
out:
	free(pc.expect);
	json_decref(merged);
	json_decref(origin);
	json_decref(req);
	return rc;
}

/* --- matrices ------------------------------------------------------------- */

struct axis {
	const char *key;
	json_t *values; /* array of alternatives, borrowed */
	bool listed; /* written as a list: named in case names */
};

static int
append_value_text(struct tl_buf *b, const json_t *v)
{
	if (json_is_string(v))
		return tl_buf_append_str(b, json_string_value(v), NULL);
	char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	int rc = t ? tl_buf_append_str(b, t, NULL) : -1;
	free(t);
	return rc;
}

static bool
pattern_matches(json_t *pattern, json_t *combination)
{
	const char *key;
	json_t *want;
	json_object_foreach(pattern, key, want)
	{
		json_t *have = json_object_get(combination, key);
		if (!have)
			have = json_null();
		bool ok = false;
		if (json_is_array(want)) {
			for (size_t i = 0; i < json_array_size(want) && !ok; i++)
				ok = json_equal(json_array_get(want, i), have);
		} else
			ok = json_equal(want, have);
		if (!ok)
			return false;
	}
	return true;
}

/* A list of token patterns: objects whose keys are the matrix's fields. */
static int
check_patterns(struct loader *L, json_t *pats, json_t *token, const struct tl_jpath *p)
{
	if (!json_is_array(pats))
		return type_error(L, p, "an array of token patterns", pats);
	for (size_t i = 0; i < json_array_size(pats); i++) {
		struct tl_jpath ip = ji(p, i);
		json_t *pat = json_array_get(pats, i);
		const char *key;
		json_t *v;
		if (!json_is_object(pat))
			return type_error(L, &ip, "an object (token field: value)", pat);
		json_object_foreach(pat, key, v)
		{
			struct tl_jpath kp = jk(&ip, key);
			if (reserved_token_key(key) || !json_object_get(token, key))
				return fail(L, TL_ERR_INVALID, tl_jpath_str(&kp),
					    "'%s' is not a token field of this matrix", key);
			(void)v;
		}
	}
	return 0;
}

static bool
any_pattern_matches(json_t *pats, json_t *combination)
{
	for (size_t i = 0; i < json_array_size(pats); i++)
		if (pattern_matches(json_array_get(pats, i), combination))
			return true;
	return false;
}

static int
check_allow(struct loader *L, json_t *allow, json_t *token, const struct tl_jpath *ap,
	    json_t *roles_filter)
{
	const char *role;
	json_t *pats;

	if (!json_is_object(allow))
		return type_error(L, ap, "an object (role: list of token patterns)", allow);
	json_object_foreach(allow, role, pats)
	{
		struct tl_jpath rp = jk(ap, role);
		if (!find_role(L->s, role))
			return unknown_role(L, tl_jpath_str(&rp), role,
					    json_object_get(L->s->root, "roles"));
		if (roles_filter) {
			bool listed = false;
			for (size_t i = 0; i < json_array_size(roles_filter) && !listed; i++)
				listed = strcmp(json_string_value(json_array_get(roles_filter, i)),
						role) == 0;
			if (!listed)
				return fail(L, TL_ERR_INVALID, tl_jpath_str(&rp),
					    "role '%s' is not in this matrix's roles", role);
		}
		if (check_patterns(L, pats, token, &rp) < 0)
			return -1;
	}
	return 0;
}

static int
load_matrix(struct loader *L, json_t *obj, const struct tl_jpath *p)
{
	static const char *const keys[] = {"name",  "description", "provider", "token", "request",
					   "roles", "allow",	   "exclude",  NULL};
	const struct tl_scenario_provider *provider;
	const char *name, *desc, *key;
	json_t *token, *roles = NULL, *allow = NULL, *exclude = NULL, *req = NULL, *v;
	struct axis *axes = NULL;
	size_t n_axes = 0, total = 1;
	int bad, rc = -1;

	if (!json_is_object(obj))
		return type_error(L, p, "an object", obj);
	if (only_keys(L, obj, keys, p) < 0 ||
	    get_string(L, obj, "name", p, true, true, &name) < 0 ||
	    get_string(L, obj, "description", p, false, false, &desc) < 0 ||
	    get_typed(L, obj, "token", p, JSON_OBJECT, &token) < 0 ||
	    get_typed(L, obj, "roles", p, JSON_ARRAY, &roles) < 0)
		return -1;
	struct tl_jpath tp = jk(p, "token"), ap = jk(p, "allow"), rlp = jk(p, "roles"),
			xp = jk(p, "exclude");
	if (!token)
		return fail(L, TL_ERR_INVALID, tl_jpath_str(p), "missing required field 'token'");
	for (size_t i = 0; roles && i < json_array_size(roles); i++) {
		struct tl_jpath ip = ji(&rlp, i);
		json_t *r = coerce_string(L, roles, NULL, i, tl_jpath_str(&ip));
		if (!json_is_string(r))
			return type_error(L, &ip, "a role name", r);
		if (!find_role(L->s, json_string_value(r)))
			return unknown_role(L, tl_jpath_str(&ip), json_string_value(r),
					    json_object_get(L->s->root, "roles"));
	}
	for (size_t i = 0; i < L->s->n_cases; i++)
		if (L->s->cases[i].matrix && strcmp(L->s->cases[i].matrix, name) == 0) {
			struct tl_jpath np = jk(p, "name");
			return fail(L, TL_ERR_INVALID, tl_jpath_str(&np),
				    "duplicate matrix name '%s'", name);
		}
	allow = json_object_get(obj, "allow");
	if (allow && check_allow(L, allow, token, &ap, roles) < 0)
		return -1;
	exclude = json_object_get(obj, "exclude");
	if (exclude && check_patterns(L, exclude, token, &xp) < 0)
		return -1;
	provider = case_provider(L, obj, p);
	if (!provider)
		return -1;
	req = merged_request(L, obj, p, &bad);
	if (bad < 0)
		return -1;

	axes = calloc(json_object_size(token) + 1, sizeof(*axes));
	if (!axes) {
		nomem(L);
		goto out;
	}
	json_object_foreach(token, key, v)
	{
		if (reserved_token_key(key))
			continue;
		struct axis *a = &axes[n_axes++];
		a->key = key;
		a->listed = json_is_array(v);
		if (a->listed && json_array_size(v) == 0) {
			struct tl_jpath kp = jk(&tp, key);
			fail(L, TL_ERR_INVALID, tl_jpath_str(&kp),
			     "needs at least one value (a list of alternatives)");
			goto out;
		}
		a->values = v;
		size_t n = a->listed ? json_array_size(v) : 1;
		if (total > L->max_cases / n) {
			fail(L, TL_ERR_LIMIT, tl_jpath_str(&tp),
			     "expands to more than %zu combinations", L->max_cases);
			goto out;
		}
		total *= n;
	}
	if (L->s->n_cases + total > L->max_cases) {
		fail(L, TL_ERR_LIMIT, tl_jpath_str(&tp),
		     "the scenario expands to more than %zu cases", L->max_cases);
		goto out;
	}

	size_t *idx = calloc(n_axes + 1, sizeof(*idx));
	if (!idx) {
		nomem(L);
		goto out;
	}
	rc = 0;
	for (size_t done = 0; done < total && rc == 0; done++) {
		struct pending_case pc;
		struct tl_buf cname;
		json_t *merged = json_object(), *origin = json_object(), *combo = json_object();
		struct tl_jpath dp;

		memset(&pc, 0, sizeof(pc));
		tl_buf_init(&cname, 4096);
		tl_jpath_init(&dp, "defaults.token");
		rc = -1;
		if (!merged || !origin || !combo || tl_buf_printf(&cname, NULL, "%s:", name) < 0) {
			nomem(L);
			goto next;
		}
		if (L->defaults_token && merge_layer(L, merged, origin, L->defaults_token, &dp) < 0)
			goto next;
		/* Fixed fields (audience, claims, faults) first, then the axes. */
		json_object_foreach(token, key, v)
		{
			if (!reserved_token_key(key))
				continue;
			struct tl_jpath kp = jk(&tp, key);
			if (merge_value(L, merged, origin, key, v, tl_jpath_str(&kp)) < 0)
				goto next;
		}
		for (size_t a = 0; a < n_axes; a++) {
			json_t *val = axes[a].listed ? json_array_get(axes[a].values, idx[a])
						     : axes[a].values;
			struct tl_jpath kp = jk(&tp, axes[a].key);
			if (axes[a].listed)
				kp = ji(&kp, idx[a]);
			if (merge_value(L, merged, origin, axes[a].key, val, tl_jpath_str(&kp)) <
				    0 ||
			    json_object_set(combo, axes[a].key, val) < 0)
				goto next;
			if (axes[a].listed &&
			    (tl_buf_printf(&cname, NULL, " %s=", axes[a].key) < 0 ||
			     append_value_text(&cname, val) < 0)) {
				nomem(L);
				goto next;
			}
		}
		if (exclude && any_pattern_matches(exclude, combo)) {
			rc = 0;
			goto next;
		}
		pc.name = tl_buf_str(&cname);
		pc.where = tl_jpath_str(p);
		pc.matrix = name;
		pc.provider = provider;
		pc.merged = merged;
		pc.origin = origin;
		pc.token_path = tl_jpath_str(&tp);
		pc.request = req;
		pc.expect = calloc(L->s->n_roles + 1, sizeof(*pc.expect));
		if (!pc.expect) {
			nomem(L);
			goto next;
		}
		{
			struct tl_jpath np = jk(p, "name");
			if (case_names_unique(L, pc.name, tl_jpath_str(&np)) < 0)
				goto next;
		}
		size_t before = L->s->n_cases;
		struct tl_case_expect *ex = pc.expect;
		for (size_t r = 0; r < L->s->n_roles; r++) {
			const char *role = L->s->roles[r].name;
			bool checked = !roles;
			for (size_t i = 0; roles && i < json_array_size(roles) && !checked; i++)
				checked = strcmp(json_string_value(json_array_get(roles, i)),
						 role) == 0;
			if (!checked)
				continue;
			ex[pc.n_expect].role = role;
			ex[pc.n_expect].outcome = "deny";
			if (any_pattern_matches(json_object_get(allow, role), combo))
				ex[pc.n_expect].outcome = "allow";
			pc.n_expect++;
		}
		rc = add_case(L, &pc);
		if (rc == 0 && L->s->cases[before].refused)
			for (size_t i = 0; i < L->s->cases[before].n_expect; i++)
				if (strcmp(L->s->cases[before].expect[i].outcome, "deny") == 0)
					((struct tl_case_expect *)L->s->cases[before].expect)[i]
						.outcome = "no-token";
	next:
		free(pc.expect);
		tl_buf_finish(&cname);
		json_decref(merged);
		json_decref(origin);
		json_decref(combo);
		/* Odometer: the last axis varies fastest. */
		for (size_t a = n_axes; a-- > 0;) {
			size_t n = axes[a].listed ? json_array_size(axes[a].values) : 1;
			if (++idx[a] < n)
				break;
			idx[a] = 0;
		}
	}
	free(idx);
out:
	free(axes);
	json_decref(req);
	return rc;
}

/* --- the whole file ----------------------------------------------------- */

static int
load_defaults(struct loader *L, json_t *d, const struct tl_jpath *p)
{
	static const char *const keys[] = {"provider", "token", "request", NULL};
	json_t *token, *req;

	if (!json_is_object(d))
		return type_error(L, p, "an object", d);
	if (only_keys(L, d, keys, p) < 0 || get_typed(L, d, "token", p, JSON_OBJECT, &token) < 0)
		return -1;
	const char *pname;
	if (get_string(L, d, "provider", p, false, true, &pname) < 0)
		return -1;
	if (pname) {
		L->default_provider = case_provider(L, d, p);
		if (!L->default_provider)
			return -1;
	}
	L->defaults_token = token;
	req = json_object_get(d, "request");
	if (req) {
		struct tl_jpath rp = jk(p, "request");
		if (check_request(L, req, &rp) < 0)
			return -1;
		L->defaults_request = req;
	}
	return 0;
}

/* `roles_from` and role `source`s become plain roles (sources.c). */
static int
expand_sources(struct loader *L)
{
	struct tl_error e;
	const char *account = json_string_value(json_object_get(L->s->root, "account"));
	if (!account)
		account = tl_spos_plain_text(&L->pos, "account");
	struct tl_scenario_source_env env = {
		.file = L->file,
		.account = account ? account : "123456789012",
		.inline_only = L->opt && L->opt->inline_policies_only,
	};
	tl_error_clear(&e);
	if (tl_scenario_expand_sources(L->s->root, &env, &e) == 0) {
		json_object_del(L->s->root, "roles_from");
		return 0;
	}
	if (e.file[0]) {
		record(L, &e);
		return -1;
	}
	return fail(L, e.code, e.path, "%s", e.message);
}

static int
load_root(struct loader *L)
{
	static const char *const keys[] = {
		"trustlab", "name",  "description", "account",		"providers", "roles",
		"defaults", "cases", "matrix",	    "credential_chain", NULL};
	struct tl_scenario *s = L->s;
	json_t *root = s->root, *providers, *roles, *defaults = NULL, *cases, *matrix, *chain;
	struct tl_jpath p;
	const char *name, *desc, *account;
	long long version = 0;
	int rc = 0;

	tl_jpath_init(&p, NULL);
	if (!json_is_object(root))
		return fail(L, TL_ERR_INVALID, "", "expected an object at the top, found %s",
			    tl_json_type_name(root));
	if (!json_object_get(root, "trustlab"))
		return fail(L, TL_ERR_INVALID, "",
			    "missing required field 'trustlab' (the format version, 1)");
	if (get_int(L, root, "trustlab", &p, 0, 1000000, &version) < 0)
		return -1;
	if (version != TL_SCENARIO_VERSION)
		return fail(L, TL_ERR_INVALID, "trustlab",
			    "unsupported format version %lld (this trustlab reads %d)", version,
			    TL_SCENARIO_VERSION);
	if (expand_sources(L) < 0)
		return -1;
	if (only_keys(L, root, keys, &p) < 0)
		return -1;
	if (get_string(L, root, "name", &p, true, true, &name) < 0 ||
	    get_string(L, root, "description", &p, false, false, &desc) < 0 ||
	    get_string(L, root, "account", &p, false, false, &account) < 0)
		return -1;
	if (!account)
		account = "123456789012";
	if (strlen(account) != 12 || strspn(account, "0123456789") != 12)
		return fail(L, TL_ERR_INVALID, "account",
			    "'%s' is not an AWS account id (12 digits)", account);
	s->name = strdup(name);
	s->description = strdup(desc ? desc : "");
	s->account = strdup(account);
	if (!s->name || !s->description || !s->account)
		return nomem(L);

	if (get_typed(L, root, "providers", &p, JSON_OBJECT, &providers) < 0 ||
	    get_typed(L, root, "roles", &p, JSON_OBJECT, &roles) < 0 ||
	    get_typed(L, root, "cases", &p, JSON_ARRAY, &cases) < 0 ||
	    get_typed(L, root, "matrix", &p, JSON_ARRAY, &matrix) < 0 ||
	    get_typed(L, root, "credential_chain", &p, JSON_ARRAY, &chain) < 0)
		return -1;
	/* Credential-chain cases need no OIDC provider (an instance or a task
	 * role alone); web identity cases and ordinary cases do. */
	if (!providers && !chain)
		return fail(L, TL_ERR_INVALID, "", "missing required field 'providers'");
	if (!roles)
		return fail(L, TL_ERR_INVALID, "", "missing required field 'roles'");
	struct tl_jpath pp = jk(&p, "providers"), rp = jk(&p, "roles");
	if (providers && load_providers(L, providers, &pp) < 0)
		rc = -1;
	/* A role with a bad policy still has a name: go on checking cases. */
	if (load_roles(L, roles, &rp) < 0)
		rc = -1;
	if ((providers && s->n_providers == 0) || s->n_roles == 0)
		return -1;
	if (s->n_providers == 1)
		L->default_provider = &s->providers[0];
	defaults = json_object_get(root, "defaults");
	if (defaults) {
		struct tl_jpath dp = jk(&p, "defaults");
		if (load_defaults(L, defaults, &dp) < 0)
			return -1;
	}
	if (rc < 0 && L->n_errors == 0)
		return -1;
	if (json_array_size(cases) + json_array_size(matrix) + json_array_size(chain) == 0)
		return fail(L, TL_ERR_INVALID, "",
			    "a scenario needs at least one entry in 'cases', 'matrix' or "
			    "'credential_chain'");
	if (chain) {
		struct tl_jpath chp = jk(&p, "credential_chain");
		if (tl_scenario_chain_load(L, chain, &chp, &s->chain) < 0)
			rc = -1;
	}
	struct tl_jpath cp = jk(&p, "cases"), mp = jk(&p, "matrix");
	for (size_t i = 0; i < json_array_size(cases); i++) {
		struct tl_jpath ip = ji(&cp, i);
		if (L->s->n_cases >= L->max_cases) {
			fail(L, TL_ERR_LIMIT, tl_jpath_str(&ip),
			     "the scenario expands to more than %zu cases", L->max_cases);
			return -1;
		}
		if (load_case(L, json_array_get(cases, i), &ip) < 0)
			rc = -1;
	}
	for (size_t i = 0; i < json_array_size(matrix); i++) {
		struct tl_jpath ip = ji(&mp, i);
		if (load_matrix(L, json_array_get(matrix, i), &ip) < 0)
			rc = -1;
	}
	return rc;
}

struct tl_scenario *
tl_scenario_load(const char *text, size_t len, const char *name, enum tl_scenario_format format,
		 const struct tl_scenario_options *opt, struct tl_error *err)
{
	struct loader L;
	struct tl_error e;
	size_t max = opt && opt->max_bytes ? opt->max_bytes : DEFAULT_MAX_BYTES;
	/* jansson mutators that fail are not all checked one by one: any
	 * failed jansson allocation during the load fails it whole. */
	unsigned long json_failures = tl_json_alloc_failures();

	memset(&L, 0, sizeof(L));
	L.file = name ? name : "<scenario>";
	L.opt = opt;
	L.err = err;
	L.max_cases = opt && opt->max_cases ? opt->max_cases : DEFAULT_MAX_CASES;
	if (opt && opt->n_errors)
		*opt->n_errors = 0;
	tl_spos_init(&L.pos);
	tl_rng_init_seeded(&L.rng, "trustlab scenario check");
	tl_error_clear(&e);

	L.s = calloc(1, sizeof(*L.s));
	if (!L.s || !(L.s->file = strdup(L.file))) {
		nomem(&L);
		goto fail;
	}
	if (format == TL_SCENARIO_AUTO)
		format = is_yaml_name(L.file) ? TL_SCENARIO_YAML : TL_SCENARIO_JSON;
	if (len > max) {
		fail(&L, TL_ERR_LIMIT, NULL, "larger than %zu bytes", max);
		goto fail;
	}
	if (format == TL_SCENARIO_YAML) {
		L.s->root = tl_scenario_yaml_load(text, len, MAX_DEPTH, &L.pos, &e);
	} else if (memchr(text, '\0', len)) {
		/* jansson lets a NUL after a number pass; JSON has no place for one. */
		const char *nul = memchr(text, '\0', len);
		int line = 1, column = 1;
		for (const char *c = text; c < nul; c++) {
			if (*c == '\n') {
				line++;
				column = 1;
			} else if (((unsigned char)*c & 0xC0) != 0x80)
				column++;
		}
		tl_error_set(&e, TL_ERR_SYNTAX, "invalid JSON: NUL byte");
		tl_error_locate_file(&e, L.file, line, column);
	} else {
		struct tl_json_limits lim = {.max_bytes = max, .max_depth = MAX_DEPTH};
		L.s->root = tl_json_load(text, len, &lim, NULL, &e);
		if (L.s->root && tl_scenario_json_positions(text, len, "", &L.pos) < 0) {
			nomem(&L);
			goto fail;
		}
	}
	if (!L.s->root) {
		tl_error_locate_file(&e, L.file, 0, 0);
		record(&L, &e);
		goto fail;
	}
	if (load_root(&L) < 0 || L.n_errors)
		goto fail;
	if (tl_json_alloc_failures() != json_failures) {
		nomem(&L);
		goto fail;
	}
	tl_spos_finish(&L.pos);
	tl_rng_finish(&L.rng);
	return L.s;
fail:
	if (L.n_errors == 0)
		nomem(&L);
	tl_spos_finish(&L.pos);
	tl_rng_finish(&L.rng);
	tl_scenario_free(L.s);
	return NULL;
}

struct tl_scenario *
tl_scenario_load_file(const char *path, const struct tl_scenario_options *opt, struct tl_error *err)
{
	size_t max = opt && opt->max_bytes ? opt->max_bytes : DEFAULT_MAX_BYTES;
	char *data = NULL;
	size_t len = 0;

	if (tl_file_read(path, max, &data, &len, err) < 0) {
		tl_error_locate_file(err, path, 0, 0);
		if (opt && opt->errors && opt->max_errors && opt->n_errors) {
			if (err)
				opt->errors[0] = *err;
			*opt->n_errors = err ? 1 : 0;
		}
		return NULL;
	}
	struct tl_scenario *s = tl_scenario_load(data, len, path, TL_SCENARIO_AUTO, opt, err);
	free(data);
	return s;
}
