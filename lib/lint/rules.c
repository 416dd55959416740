/* SPDX-License-Identifier: MIT */
/*
 * The rule checks. The policy is first validated by lib/policy exactly as
 * IAM would save it; the checks then read the JSON tree, so every finding
 * can name the element it is about. Subjects are split into positions per
 * provider (docs/providers.md, reference/issuer.md): owner or namespace,
 * repository or project, ref, environment, run phase.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "claims/claims.h"
#include "lint/lint.h"
#include "policy/policy.h"

#define MAX_PROV 8
#define MAX_CONDS 64
#define PROV_MAX 512

enum opkind {
	K_EQ,
	K_EQ_ICASE,
	K_LIKE,
	K_OTHER,
};

struct cond {
	const char *op; /* as written */
	char base[64]; /* without ForAllValues:/ForAnyValue: and IfExists */
	bool all, if_exists, negated;
	enum opkind kind;
	const char *key;
	char prefix[PROV_MAX]; /* lower-case, up to the first ':' */
	const char *claim; /* after the first ':' ("" when none) */
	const json_t *values;
	char path[TL_JPATH_MAX];
};

struct stmt {
	char path[TL_JPATH_MAX];
	const json_t *obj;
	bool allow;
	bool any_principal;
	char prov[MAX_PROV][PROV_MAX]; /* Federated providers, lower-case */
	size_t nprov;
	bool web_identity;
	struct cond conds[MAX_CONDS];
	size_t nconds;
};

struct lint {
	const struct tl_lint_input *in;
	size_t index;
	const struct tl_lint_options *opt;
	struct tl_lint_findings *out;
	struct stmt *stmts;
	size_t nstmts;
};

/* --- helpers ------------------------------------------------------------ */

static bool
has_wild(const char *s)
{
	return strpbrk(s, "*?") != NULL;
}

static bool
only_wild(const char *s)
{
	return *s && strspn(s, "*?") == strlen(s) && strchr(s, '*');
}

static bool
has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++)
		if (isupper((unsigned char)s[i]))
			return true;
	return false;
}

/* IAM's *-and-? match (no policy variables). */
static bool
glob(const char *p, const char *s, bool icase)
{
	const char *star = NULL, *back = NULL;
	while (*s) {
		if (*p == '*') {
			star = ++p;
			back = s;
		} else if (*p &&
			   (*p == '?' || *p == *s ||
			    (icase && tolower((unsigned char)*p) == tolower((unsigned char)*s)))) {
			p++;
			s++;
		} else if (star) {
			p = star;
			s = ++back;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static size_t
nvalues(const json_t *v)
{
	return json_is_array(v) ? json_array_size(v) : 1;
}

/* The i-th value as text, NULL when it is not a string. */
static const char *
value_at(const json_t *v, size_t i)
{
	const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
	return json_is_string(e) ? json_string_value(e) : NULL;
}

static void
value_path(const struct cond *c, size_t i, char *out, size_t size)
{
	if (json_is_array(c->values))
		snprintf(out, size, "%s[%zu]", c->path, i);
	else
		snprintf(out, size, "%s", c->path);
}

static void TL_PRINTF(4, 5)
	emit(struct lint *l, const char *id, const char *path, const char *fmt, ...)
{
	const struct tl_lint_rule *rule = tl_lint_rule_find(id);
	struct tl_lint_findings *out = l->out;
	struct tl_lint_finding *f;
	va_list ap;

	if (!rule)
		return;
	for (const char *const *d = l->opt ? l->opt->disabled : NULL; d && *d; d++)
		if (strcmp(*d, id) == 0)
			return;
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 16;
		void *p = realloc(out->items, cap * sizeof(*out->items));
		if (!p) {
			out->nomem = true;
			return;
		}
		out->items = p;
		out->cap = cap;
	}
	f = &out->items[out->n++];
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	f->severity = rule->severity;
	f->input = l->index;
	snprintf(f->path, sizeof(f->path), "%s", path);
	if (!l->in->where &&
	    tl_lint_locate(l->in->policy_text, l->in->policy_len, path, &f->line, &f->column) < 0)
		f->line = f->column = 0;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

/* --- reading statements -------------------------------------------------- */

static void
lower_copy(char *out, size_t size, const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n && i + 1 < size && s[i]; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

static void
read_principal(struct stmt *st)
{
	const json_t *p = json_object_get(st->obj, "Principal"), *fed;
	size_t i;

	if (json_is_string(p)) {
		st->any_principal = strcmp(json_string_value(p), "*") == 0;
		return;
	}
	if (json_is_string(json_object_get(p, "AWS")) &&
	    strcmp(json_string_value(json_object_get(p, "AWS")), "*") == 0)
		st->any_principal = true;
	fed = json_object_get(p, "Federated");
	for (i = 0; i < nvalues(fed) && st->nprov < MAX_PROV; i++) {
		const char *v = value_at(fed, i), *o;
		if (!v || strstr(v, ":saml-provider/"))
			continue;
		o = strstr(v, ":oidc-provider/");
		o = o ? o + strlen(":oidc-provider/") : v;
		lower_copy(st->prov[st->nprov++], PROV_MAX, o, strlen(o));
	}
}

static bool
action_covers(const json_t *actions, const char *action)
{
	for (size_t i = 0; i < nvalues(actions); i++) {
		const char *a = value_at(actions, i);
		if (a && glob(a, action, true))
			return true;
	}
	return false;
}

static void
read_conditions(struct stmt *st)
{
	const json_t *cond = json_object_get(st->obj, "Condition"), *keys, *vals;
	const char *op, *key;

	json_object_foreach((json_t *)cond, op, keys)
	{
		json_object_foreach((json_t *)keys, key, vals)
		{
			struct cond *c;
			const char *base = op, *colon;
			size_t blen;
			struct tl_jpath p;

			if (st->nconds == MAX_CONDS)
				return;
			c = &st->conds[st->nconds++];
			memset(c, 0, sizeof(*c));
			c->op = op;
			c->key = key;
			c->values = vals;
			if (strncasecmp(base, "ForAllValues:", 13) == 0) {
				c->all = true;
				base += 13;
			} else if (strncasecmp(base, "ForAnyValue:", 12) == 0) {
				base += 12;
			}
			blen = strlen(base);
			if (blen > 8 && strcmp(base + blen - 8, "IfExists") == 0) {
				c->if_exists = true;
				blen -= 8;
			}
			snprintf(c->base, sizeof(c->base), "%.*s", (int)blen, base);
			c->negated = strstr(c->base, "Not") != NULL;
			if (strcmp(c->base, "StringEquals") == 0 ||
			    strcmp(c->base, "StringNotEquals") == 0)
				c->kind = K_EQ;
			else if (strcmp(c->base, "StringEqualsIgnoreCase") == 0 ||
				 strcmp(c->base, "StringNotEqualsIgnoreCase") == 0)
				c->kind = K_EQ_ICASE;
			else if (strcmp(c->base, "StringLike") == 0 ||
				 strcmp(c->base, "StringNotLike") == 0)
				c->kind = K_LIKE;
			else
				c->kind = K_OTHER;
			colon = strchr(key, ':');
			lower_copy(c->prefix, sizeof(c->prefix), key,
				   colon ? (size_t)(colon - key) : strlen(key));
			c->claim = colon ? colon + 1 : "";
			tl_jpath_init(&p, st->path);
			tl_jpath_push_key(&p, "Condition");
			tl_jpath_push_key(&p, op);
			tl_jpath_push_key(&p, key);
			snprintf(c->path, sizeof(c->path), "%s", tl_jpath_str(&p));
		}
	}
}

/* Whether the condition restricts the key to something (not "all"). */
static bool
cond_pins(const struct cond *c)
{
	/* ForAllValues counts: forallvalues-absent-key reports it. */
	if (c->negated || c->if_exists || c->kind == K_OTHER)
		return false;
	for (size_t i = 0; i < nvalues(c->values); i++) {
		const char *v = value_at(c->values, i);
		if (v && c->kind == K_LIKE && only_wild(v))
			return false;
	}
	return true;
}

static bool
prov_is(const struct cond *c, const char *prov)
{
	return strcmp(c->prefix, prov) == 0;
}

/* A pinning condition on PROV:CLAIM, or NULL. */
static const struct cond *
pinned(const struct stmt *st, const char *prov, const char *claim)
{
	for (size_t i = 0; i < st->nconds; i++) {
		const struct cond *c = &st->conds[i];
		if (prov_is(c, prov) && strcasecmp(c->claim, claim) == 0 && cond_pins(c))
			return c;
	}
	return NULL;
}

/* A pinning condition on PROV:CLAIM whose values are all VALUE. */
static bool
pinned_to(const struct stmt *st, const char *prov, const char *claim, const char *value)
{
	const struct cond *c = pinned(st, prov, claim);
	if (!c || c->kind == K_LIKE || nvalues(c->values) == 0)
		return false;
	for (size_t i = 0; i < nvalues(c->values); i++) {
		const char *v = value_at(c->values, i);
		if (!v || strcmp(v, value) != 0)
			return false;
	}
	return true;
}

static const char *
profile_name(const char *prov)
{
	const struct tl_claims_profile *p = tl_claims_profile_for_provider(prov);
	return p ? p->name : "";
}

/* --- sub-condition-missing, aud-condition-missing ------------------------ */

/* Keys that name the tenant's repository, project or pipeline as well as
 * :sub does, per profile; a group is "+"-separated keys all pinned. */
static const char *const *
sub_alternatives(const char *profile)
{
	static const char *const github[] = {"job_workflow_ref", "repository", "repository_id",
					     NULL};
	static const char *const gitlab[] = {"project_id", NULL};
	static const char *const buildkite[] = {"pipeline_id", "organization_slug+pipeline_slug",
						"organization_id+pipeline_slug", NULL};
	static const char *const circleci[] = {"oidc.circleci.com/project-id", NULL};
	if (strcmp(profile, "github") == 0)
		return github;
	if (strcmp(profile, "gitlab") == 0)
		return gitlab;
	if (strcmp(profile, "buildkite") == 0)
		return buildkite;
	if (strcmp(profile, "circleci") == 0)
		return circleci;
	return NULL;
}

static bool
group_pinned(const struct stmt *st, const char *prov, const char *group)
{
	char buf[128], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", group);
	for (char *k = strtok_r(buf, "+", &save); k; k = strtok_r(NULL, "+", &save))
		if (!pinned(st, prov, k))
			return false;
	return true;
}

static bool
shared_provider(const char *profile)
{
	return strcmp(profile, "github") == 0 || strcmp(profile, "gitlab") == 0 ||
	       strcmp(profile, "buildkite") == 0 || strcmp(profile, "terraform-cloud") == 0;
}

static void
check_pins(struct lint *l, const struct stmt *st)
{
	char path[TL_JPATH_MAX];

	if (!st->allow || !st->web_identity)
		return;
	snprintf(path, sizeof(path), "%s%s", st->path,
		 json_object_get(st->obj, "Condition") ? ".Condition" : "");
	for (size_t p = 0; p < st->nprov; p++) {
		const char *prov = st->prov[p], *profile = profile_name(prov);
		const char *const *alt = sub_alternatives(profile);
		bool ok = pinned(st, prov, "sub") != NULL;

		for (; !ok && alt && *alt; alt++)
			ok = group_pinned(st, prov, *alt);
		/* Cognito's tenant is the identity pool, pinned by :aud (§3.8). */
		if (!ok && strcmp(prov, "cognito-identity.amazonaws.com") != 0)
			emit(l, "sub-condition-missing", path,
			     "the statement trusts %s but no StringEquals/StringLike condition "
			     "pins "
			     "%s:sub: every token this provider issues can assume the role%s",
			     prov, prov,
			     shared_provider(profile)
				     ? ", from any of its customers (AWS refuses to save this for "
				       "shared providers, reference/sts.md §3.8)"
				     : "");
		if (!pinned(st, prov, "aud"))
			emit(l, "aud-condition-missing", path,
			     "the statement trusts %s without a condition on %s:aud: a token "
			     "minted "
			     "for any client id registered on the provider is accepted",
			     prov, prov);
	}
}

/* --- operators ------------------------------------------------------------ */

static void
check_operators(struct lint *l, const struct stmt *st)
{
	char path[TL_JPATH_MAX];

	for (size_t i = 0; i < st->nconds; i++) {
		const struct cond *c = &st->conds[i];
		bool exact = c->kind == K_LIKE;
		for (size_t j = 0; j < nvalues(c->values); j++) {
			const char *v = value_at(c->values, j);
			if (!v || strstr(v, "${") || has_wild(v))
				exact = false;
			if (!v || strstr(v, "${"))
				continue;
			value_path(c, j, path, sizeof(path));
			if ((c->kind == K_EQ || c->kind == K_EQ_ICASE) && has_wild(v))
				emit(l, "stringequals-wildcard", path,
				     "%s compares \"%s\" character by character: '*' and '?' are "
				     "not "
				     "wildcards here, so no real token matches",
				     c->op, v);
		}
		/* Exact values beside patterns in one list are fine: a key may
		 * appear once per operator. */
		if (exact)
			emit(l, "stringlike-no-wildcard", c->path,
			     "no %s value of %s has a wildcard: it is an exact comparison", c->op,
			     c->key);
		if (c->all && st->allow) {
			bool guarded = false;
			for (size_t k = 0; k < st->nconds; k++) {
				const struct cond *n = &st->conds[k];
				if (strcmp(n->base, "Null") == 0 &&
				    strcasecmp(n->key, c->key) == 0 && nvalues(n->values) == 1 &&
				    value_at(n->values, 0) &&
				    strcmp(value_at(n->values, 0), "false") == 0)
					guarded = true;
			}
			if (!guarded)
				emit(l, "forallvalues-absent-key", c->path,
				     "%s on %s is true when the request has no %s at all (an empty "
				     "set "
				     "satisfies ForAllValues)",
				     c->op, c->key, c->key);
		}
		if (c->kind == K_EQ_ICASE && !c->negated && strcasecmp(c->claim, "sub") == 0 &&
		    st->nprov)
			emit(l, "sub-ignorecase", c->path,
			     "%s on %s also folds the case of branch, tag and environment names, "
			     "which are case-sensitive",
			     c->op, c->key);
	}
}

/* --- condition keys ---------------------------------------------------------- */

static bool
known_claim(const char *prov, const char *claim)
{
	static const char *const generic[] = {"aud", "sub", "amr", "azp", NULL};
	const struct tl_claims_profile *p;

	for (const char *const *k = generic; *k; k++)
		if (strcasecmp(*k, claim) == 0)
			return true;
	if (strcmp(prov, "accounts.google.com") == 0)
		return strcasecmp(claim, "oaud") == 0 ||
		       strcasecmp(claim, "google/organization_number") == 0;
	if (strcmp(prov, "graph.facebook.com") == 0 || strcmp(prov, "www.amazon.com") == 0)
		return true;
	p = tl_claims_profile_for_provider(prov);
	if (!p)
		return true; /* unknown provider: cannot tell */
	for (const char *const *k = p->aws_condition_claims; k && *k; k++)
		if (strcasecmp(*k, claim) == 0)
			return true;
	return false;
}

/* Whether the key names a web-identity provider (host.name[/path]:claim). */
static bool
provider_key(const struct cond *c)
{
	return strncasecmp(c->key, "https://", 8) == 0 || strncasecmp(c->key, "http://", 7) == 0 ||
	       strchr(c->prefix, '.') || strchr(c->prefix, '/');
}

static bool
stmt_has_prov(const struct stmt *st, const char *prov)
{
	for (size_t p = 0; p < st->nprov; p++)
		if (strcmp(st->prov[p], prov) == 0)
			return true;
	return false;
}

/* Why a condition key can never be in this statement's requests, or NULL. */
static const char *
key_absent_reason(const struct stmt *st, const struct cond *c, char *buf, size_t size)
{
	if (!provider_key(c))
		return NULL;
	if (strncasecmp(c->key, "http", 4) == 0) {
		snprintf(buf, size, "condition keys never carry the scheme: AWS names it %s",
			 strstr(c->key, "://") + 3);
		return buf;
	}
	if (!stmt_has_prov(st, c->prefix)) {
		snprintf(buf, size,
			 "%.200s belongs to the provider %.200s, but the statement trusts %.200s",
			 c->key, c->prefix, st->nprov ? st->prov[0] : "no OIDC provider");
		return buf;
	}
	return NULL;
}

static void
check_keys(struct lint *l, const struct stmt *st)
{
	char why[700];

	for (size_t i = 0; i < st->nconds; i++) {
		const struct cond *c = &st->conds[i];
		const char *always = c->negated || c->if_exists || c->all
					     ? "always true, so it checks "
					       "nothing"
					     : "never true, so the "
					       "statement never applies";
		if (key_absent_reason(st, c, why, sizeof(why)))
			emit(l, "condition-key-foreign-provider", c->path,
			     "%s: the key is never in the request and this %s condition is %s", why,
			     c->op, always);
		else if (provider_key(c) && !known_claim(c->prefix, c->claim))
			emit(l, "condition-key-unsupported", c->path,
			     "AWS does not expose the claim '%s' of %s as a condition key "
			     "(reference/sts.md §3.9): this %s condition is %s",
			     c->claim, c->prefix, c->op, always);
	}
}

/* --- subjects ---------------------------------------------------------------- */

#define SUB_PARTS 24
#define POS_MAX 256

struct subject {
	bool tenant_known; /* the value has an owner/namespace position */
	bool leading_gap; /* a wildcard before the owner position */
	char tenant[POS_MAX], name[POS_MAX];
	char ref[POS_MAX], ref_type[POS_MAX], env[POS_MAX], phase[POS_MAX], repo_raw[POS_MAX];
	char tier[POS_MAX];
	bool has_ref, has_ref_type, has_env, has_phase, immutable, ref_protected;
	bool has_tier, env_protected;
	const char *ref_label; /* "ref", "vcs-ref" */
};

struct part {
	const char *label; /* NULL: a gap (a token that is not a label) */
	char value[POS_MAX];
	bool has_value;
};

/* "label:value" pairs; labels in `novalue` take no value (GitHub's pull_request). */
static size_t
split_labelled(const char *v, const char *const *novalue, struct part *parts, size_t max)
{
	char buf[1024], *save = NULL, *tok;
	size_t n = 0;
	const char *pending = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ":", &save); tok && n < max; tok = strtok_r(NULL, ":", &save)) {
		if (pending) {
			parts[n - 1].has_value = true;
			snprintf(parts[n - 1].value, POS_MAX, "%s", tok);
			pending = NULL;
			continue;
		}
		memset(&parts[n], 0, sizeof(parts[n]));
		if (has_wild(tok)) {
			parts[n].label = NULL;
			snprintf(parts[n].value, POS_MAX, "%s", tok);
			n++;
			continue;
		}
		/* Labels point into `v` (stable), not into buf. */
		parts[n].label = v + (tok - buf);
		parts[n].value[0] = '\0';
		n++;
		bool nv = false;
		for (const char *const *k = novalue; k && *k; k++)
			if (strcmp(*k, tok) == 0)
				nv = true;
		if (!nv)
			pending = tok;
	}
	return n;
}

static bool
label_is(const struct part *p, const char *label)
{
	size_t n = strlen(label);
	return p->label && strncmp(p->label, label, n) == 0 && (p->label[n] == ':' || !p->label[n]);
}

static void
set_pos(char *dst, size_t size, const char *s, size_t n)
{
	snprintf(dst, size, "%.*s", (int)n, s);
}

static void
split_owner_name(struct subject *s, const char *v, bool last_slash)
{
	const char *slash = last_slash ? strrchr(v, '/') : strchr(v, '/');
	s->tenant_known = true;
	if (!slash) {
		set_pos(s->tenant, sizeof(s->tenant), v, strlen(v));
		s->name[0] = '\0';
		return;
	}
	set_pos(s->tenant, sizeof(s->tenant), v, (size_t)(slash - v));
	set_pos(s->name, sizeof(s->name), slash + 1, strlen(slash + 1));
}

/* GitHub immutable ids: "acme@1001" -> "acme". */
static void
strip_id(char *s, bool *immutable)
{
	char *at = strchr(s, '@');
	if (at) {
		*at = '\0';
		*immutable = true;
	}
}

static void
parse_subject(const char *profile, const char *v, struct subject *s)
{
	static const char *const github_novalue[] = {"pull_request", NULL};
	struct part parts[SUB_PARTS];
	size_t n, i;
	bool seen_label = false;

	memset(s, 0, sizeof(*s));
	s->ref_label = "ref";
	if (strcmp(profile, "kubernetes") == 0) {
		const char *pre = "system:serviceaccount:";
		if (strncmp(v, pre, strlen(pre)) == 0) {
			const char *ns = v + strlen(pre), *c = strchr(ns, ':');
			s->tenant_known = true;
			set_pos(s->tenant, sizeof(s->tenant), ns,
				c ? (size_t)(c - ns) : strlen(ns));
			if (c)
				set_pos(s->name, sizeof(s->name), c + 1, strlen(c + 1));
		} else if (has_wild(v) && strncmp(v, pre, strspn(v, "system:serviceacount")) == 0) {
			s->leading_gap = true;
		}
		return;
	}
	if (strcmp(profile, "circleci") == 0) {
		/* org/ORG/project/PROJECT/user/USER[/vcs-origin/ORIGIN/vcs-ref/REF] */
		const char *p = strstr(v, "/project/"), *r = strstr(v, "/vcs-ref/");
		if (p) {
			const char *e = strchr(p + 9, '/');
			s->tenant_known = true;
			strcpy(s->tenant, "org");
			set_pos(s->name, sizeof(s->name), p + 9,
				e ? (size_t)(e - p - 9) : strlen(p + 9));
		} else if (has_wild(v)) {
			s->leading_gap = true;
		}
		if (r) {
			s->has_ref = true;
			s->ref_label = "vcs-ref";
			set_pos(s->ref, sizeof(s->ref), r + 9, strlen(r + 9));
		}
		return;
	}
	n = split_labelled(v, strcmp(profile, "github") == 0 ? github_novalue : NULL, parts,
			   SUB_PARTS);
	for (i = 0; i < n; i++) {
		struct part *p = &parts[i];
		if (!p->label) {
			if (!seen_label)
				s->leading_gap = true;
			continue;
		}
		seen_label = true;
		if (strcmp(profile, "github") == 0) {
			if (label_is(p, "repo")) {
				snprintf(s->repo_raw, sizeof(s->repo_raw), "%s", p->value);
				split_owner_name(s, p->value, false);
				strip_id(s->tenant, &s->immutable);
				strip_id(s->name, &s->immutable);
			} else if (label_is(p, "ref")) {
				s->has_ref = true;
				snprintf(s->ref, sizeof(s->ref), "%s", p->value);
			} else if (label_is(p, "environment")) {
				s->has_env = true;
				snprintf(s->env, sizeof(s->env), "%s", p->value);
			}
		} else if (strcmp(profile, "gitlab") == 0) {
			if (label_is(p, "project_path"))
				split_owner_name(s, p->value, true);
			else if (label_is(p, "ref")) {
				s->has_ref = true;
				snprintf(s->ref, sizeof(s->ref), "%s", p->value);
			} else if (label_is(p, "ref_type")) {
				s->has_ref_type = true;
				snprintf(s->ref_type, sizeof(s->ref_type), "%s", p->value);
			} else if (label_is(p, "environment")) {
				s->has_env = true;
				snprintf(s->env, sizeof(s->env), "%s", p->value);
			} else if (label_is(p, "ref_protected") && strcmp(p->value, "true") == 0) {
				s->ref_protected = true;
			} else if (label_is(p, "deployment_tier")) {
				s->has_tier = true;
				snprintf(s->tier, sizeof(s->tier), "%s", p->value);
			} else if (label_is(p, "environment_protected") &&
				   strcmp(p->value, "true") == 0) {
				s->env_protected = true;
			}
		} else if (strcmp(profile, "buildkite") == 0 ||
			   strcmp(profile, "terraform-cloud") == 0) {
			bool bk = profile[0] == 'b';
			if (label_is(p, "organization")) {
				s->tenant_known = true;
				snprintf(s->tenant, sizeof(s->tenant), "%s", p->value);
			} else if (label_is(p, bk ? "pipeline" : "workspace")) {
				snprintf(s->name, sizeof(s->name), "%s", p->value);
			} else if (bk && label_is(p, "ref")) {
				s->has_ref = true;
				snprintf(s->ref, sizeof(s->ref), "%s", p->value);
			} else if (!bk && label_is(p, "run_phase")) {
				s->has_phase = true;
				snprintf(s->phase, sizeof(s->phase), "%s", p->value);
			}
		}
	}
	/* A whole-value wildcard ("*") has every position open. */
	if (n == 0 || (!seen_label && has_wild(v)))
		s->leading_gap = true;
}

/* What the name position holds, per provider. */
static const char *
unit_name(const char *profile)
{
	if (strcmp(profile, "github") == 0)
		return "repository";
	if (strcmp(profile, "gitlab") == 0 || strcmp(profile, "circleci") == 0)
		return "project";
	if (strcmp(profile, "kubernetes") == 0)
		return "service account";
	if (strcmp(profile, "buildkite") == 0)
		return "pipeline";
	if (strcmp(profile, "terraform-cloud") == 0)
		return "workspace";
	return "subject";
}

enum ref_class {
	REF_OK,
	REF_WILD, /* a wildcard in the branch or tag name */
	REF_KIND, /* a wildcard where heads/tags goes */
};

static enum ref_class
classify_ref(const char *r)
{
	if (!has_wild(r))
		return REF_OK;
	if (strncmp(r, "refs/heads/", 11) == 0 || strncmp(r, "refs/tags/", 10) == 0)
		return REF_WILD;
	if (strncmp(r, "refs/pull/", 10) == 0)
		return strcmp(r, "refs/pull/*/merge") == 0 || strcmp(r, "refs/pull/*/head") == 0
			       ? REF_OK
			       : REF_WILD;
	return REF_KIND;
}

static void
report_ref(struct lint *l, const char *path, const char *what, const char *r)
{
	switch (classify_ref(r)) {
	case REF_OK:
		break;
	case REF_WILD:
		emit(l, "sub-wildcard-ref", path,
		     "%s \"%s\" admits every branch or tag whose name fits the pattern", what, r);
		break;
	case REF_KIND:
		emit(l, "ref-kind-wildcard", path,
		     "%s \"%s\" has a wildcard where refs/heads/ or refs/tags/ goes: it admits a "
		     "tag "
		     "(refs/tags/...) as well as a branch of that name",
		     what, r);
		break;
	}
}

/* A GitHub statement that pins the reusable workflow (no wildcard before '@'). */
static bool
workflow_pinned(const struct stmt *st, const char *prov)
{
	const struct cond *c = pinned(st, prov, "job_workflow_ref");
	if (!c)
		return false;
	for (size_t i = 0; i < nvalues(c->values); i++) {
		const char *v = value_at(c->values, i), *at;
		if (!v)
			return false;
		at = strchr(v, '@');
		if (c->kind == K_LIKE && has_wild(v) && (!at || strpbrk(v, "*?") < at))
			return false;
	}
	return true;
}

static bool
value_admits(const struct cond *c, const char *v, const char *sub)
{
	return c->kind == K_LIKE ? glob(v, sub, false)
	       : c->kind == K_EQ ? strcmp(v, sub) == 0
				 : strcasecmp(v, sub) == 0;
}

/* Whether :ref is pinned to pull request refs (refs/pull/N/merge). */
static bool
ref_pins_pull(const struct stmt *st, const char *prov)
{
	const struct cond *c = pinned(st, prov, "ref");
	if (!c)
		return false;
	for (size_t i = 0; i < nvalues(c->values); i++) {
		const char *v = value_at(c->values, i);
		if (!v || strncmp(v, "refs/pull/", 10) != 0)
			return false;
	}
	return true;
}

static bool stmt_admits_sub(const struct stmt *st, const char *prov, const char *sub);

static bool
github_com(const char *prov)
{
	return strncmp(prov, "token.actions.githubusercontent.com", 35) == 0 ||
	       strncmp(prov, "github.com/enterprises/", 23) == 0;
}

static void
check_subject_value(struct lint *l, const struct stmt *st, const char *prov, const char *profile,
		    const struct cond *c, const char *v, const char *path, bool *mutable_done)
{
	struct subject s;
	bool like = c->kind == K_LIKE;
	bool github = strcmp(profile, "github") == 0, gitlab = strcmp(profile, "gitlab") == 0;
	bool wide = false;

	parse_subject(profile, v, &s);
	if (like &&
	    (s.leading_gap || (s.tenant_known && (has_wild(s.tenant) || only_wild(s.name))))) {
		wide = true;
		if (!(github && workflow_pinned(st, prov)))
			emit(l, "sub-wildcard-owner", path, "\"%s\" admits every %s of %s", v,
			     unit_name(profile),
			     s.leading_gap || !s.tenant_known || has_wild(s.tenant) ? "every tenant"
										    : s.tenant);
	} else if (like && s.tenant_known && has_wild(s.name)) {
		wide = true;
		if (!(github && workflow_pinned(st, prov)))
			emit(l, "sub-wildcard-repository", path,
			     "\"%s\" admits every name that starts like \"%s\" (e.g. %.*s-evil)", v,
			     s.name, (int)strcspn(s.name, "*?"), s.name);
	}
	if (gitlab && s.has_ref) {
		bool open = pinned_to(st, prov, "ref_protected", "true") || s.ref_protected ||
			    pinned_to(st, prov, "pipeline_source", "merge_request_event");
		if (like && has_wild(s.ref) && !open)
			emit(l, "sub-wildcard-ref", path,
			     "\"%s\" admits every %s whose name fits \"%s\", protected or not", v,
			     s.has_ref_type && !has_wild(s.ref_type) ? s.ref_type : "ref", s.ref);
		else if (!has_wild(s.ref) && !open)
			emit(l, "gitlab-ref-unprotected", path,
			     "\"%s\" does not require ref_protected: a fork's merge request with a "
			     "branch named %s ran in the parent with this subject before GitLab "
			     "18.2.2, "
			     "and anyone who may push an unprotected %s of that name gets in",
			     v, s.ref, s.has_ref_type ? s.ref_type : "ref");
	} else if (like && s.has_ref) {
		report_ref(l, path, s.ref_label, s.ref);
	}
	if (gitlab && s.has_tier && !s.env_protected && !s.has_env)
		emit(l, "sub-wildcard-ref", path,
		     "\"%s\" admits every environment of the %s tier, protected or not, whatever "
		     "its name",
		     v, s.tier);
	if (github && s.has_env && !has_wild(s.env) && !pinned(st, prov, "ref"))
		emit(l, "environment-any-branch", path,
		     "\"%s\" admits a job on any branch that names the environment %s: only the "
		     "environment's deployment-branch rule on GitHub, which AWS cannot see, "
		     "limits the branch",
		     v, s.env);
	if (github && s.repo_raw[0] && !has_wild(s.repo_raw)) {
		char pr[POS_MAX + 32];
		snprintf(pr, sizeof(pr), "repo:%s:pull_request", s.repo_raw);
		if (value_admits(c, v, pr) && stmt_admits_sub(st, prov, pr) &&
		    !ref_pins_pull(st, prov))
			emit(l, "pull-request-target", path,
			     "\"%s\" admits %s, the subject pull_request_target runs get too: a "
			     "workflow on pull_request_target started by a fork's pull request",
			     v, pr);
	}
	if (like && gitlab && s.has_ref && (!s.has_ref_type || has_wild(s.ref_type)))
		emit(l, "ref-kind-wildcard", path,
		     "\"%s\" does not fix ref_type: a branch named like the tag (or a tag named "
		     "like "
		     "the branch) is admitted too",
		     v);
	if (like && s.has_env && has_wild(s.env))
		emit(l, "sub-wildcard-ref", path,
		     "\"%s\" admits every environment named like \"%s\"", v, s.env);
	if (like && s.has_phase && has_wild(s.phase))
		emit(l, "sub-wildcard-ref", path,
		     "\"%s\" admits every run phase, so speculative plans (pull requests) get "
		     "this role",
		     v);
	if (github && s.tenant_known && c->kind != K_EQ_ICASE &&
	    (has_upper(s.tenant, strlen(s.tenant)) || has_upper(s.name, strlen(s.name))))
		emit(l, "repo-name-case", path,
		     "\"%s\" has upper-case letters in owner or repository: sub carries the exact "
		     "case GitHub has, and %s is case-sensitive",
		     v, c->op);
	if (github && github_com(prov) && s.tenant_known && !s.immutable && !wide &&
	    !*mutable_done && !pinned(st, prov, "repository_id") &&
	    !pinned(st, prov, "repository_owner_id")) {
		*mutable_done = true;
		emit(l, "sub-mutable", path,
		     "\"%s\" names the repository by name: after a rename or deletion, whoever "
		     "registers %s/%s gets this subject",
		     v, s.tenant, s.name);
	}
}

static void
check_subjects(struct lint *l, const struct stmt *st)
{
	char path[TL_JPATH_MAX];

	if (!st->allow)
		return;
	for (size_t p = 0; p < st->nprov; p++) {
		const char *prov = st->prov[p], *profile = profile_name(prov);
		bool mutable_done = false;
		for (size_t i = 0; i < st->nconds; i++) {
			const struct cond *c = &st->conds[i];
			if (!prov_is(c, prov) || c->negated || c->kind == K_OTHER)
				continue;
			for (size_t j = 0; j < nvalues(c->values); j++) {
				const char *v = value_at(c->values, j);
				if (!v || strstr(v, "${"))
					continue;
				value_path(c, j, path, sizeof(path));
				if (strcasecmp(c->claim, "sub") == 0) {
					if ((c->kind == K_EQ || c->kind == K_EQ_ICASE) &&
					    has_wild(v))
						continue; /* stringequals-wildcard says it */
					check_subject_value(l, st, prov, profile, c, v, path,
							    &mutable_done);
					continue;
				}
				if (c->kind != K_LIKE || strcmp(profile, "github") != 0 ||
				    !has_wild(v)) {
					if (c->kind == K_LIKE && has_wild(v) &&
					    strcmp(profile, "buildkite") == 0 &&
					    strcasecmp(c->claim, "build_branch") == 0)
						emit(l, "sub-wildcard-ref", path,
						     "build_branch \"%s\" admits every branch "
						     "named "
						     "like it",
						     v);
					continue;
				}
				if (strcasecmp(c->claim, "ref") == 0)
					report_ref(l, path, "ref", v);
				else if (strcasecmp(c->claim, "environment") == 0)
					emit(l, "sub-wildcard-ref", path,
					     "environment \"%s\" admits every environment named "
					     "like it",
					     v);
				else if (strcasecmp(c->claim, "job_workflow_ref") == 0) {
					const char *at = strchr(v, '@');
					report_ref(l, path, "job_workflow_ref's ref",
						   at ? at + 1 : v);
				}
			}
		}
	}
}

/* --- pull-request-and-main ----------------------------------------------------- */

/* Whether the statement's :sub conditions (it has some) admit `sub`. */
static bool
stmt_admits_sub(const struct stmt *st, const char *prov, const char *sub)
{
	bool any = false;
	for (size_t i = 0; i < st->nconds; i++) {
		const struct cond *c = &st->conds[i];
		bool ok = false;
		if (!prov_is(c, prov) || strcasecmp(c->claim, "sub") != 0)
			continue;
		if (c->negated || c->kind == K_OTHER)
			continue;
		any = true;
		for (size_t j = 0; j < nvalues(c->values) && !ok; j++) {
			const char *v = value_at(c->values, j);
			if (!v)
				continue;
			ok = c->kind == K_LIKE ? glob(v, sub, false)
			     : c->kind == K_EQ ? strcmp(v, sub) == 0
					       : strcasecmp(v, sub) == 0;
		}
		if (!ok)
			return false;
	}
	return any;
}

/* The path of the first :sub value of an Allow statement admitting `sub`. */
static bool
admitted(const struct lint *l, const char *prov, const char *sub, char *path, size_t size)
{
	for (size_t s = 0; s < l->nstmts; s++) {
		const struct stmt *st = &l->stmts[s];
		if (!st->allow || !stmt_has_prov(st, prov) || !stmt_admits_sub(st, prov, sub))
			continue;
		for (size_t i = 0; i < st->nconds; i++) {
			const struct cond *c = &st->conds[i];
			if (!prov_is(c, prov) || strcasecmp(c->claim, "sub") != 0 || c->negated)
				continue;
			for (size_t j = 0; j < nvalues(c->values); j++) {
				const char *v = value_at(c->values, j);
				if (v &&
				    (c->kind == K_LIKE ? glob(v, sub, false) : !strcmp(v, sub))) {
					value_path(c, j, path, size);
					return true;
				}
			}
		}
		snprintf(path, size, "%s", st->path);
		return true;
	}
	return false;
}

static void
check_pr_and_main(struct lint *l)
{
	char seen[16][POS_MAX];
	size_t nseen = 0;

	for (size_t s = 0; s < l->nstmts; s++) {
		const struct stmt *st = &l->stmts[s];
		if (!st->allow)
			continue;
		for (size_t p = 0; p < st->nprov; p++) {
			const char *prov = st->prov[p];
			if (strcmp(profile_name(prov), "github") != 0)
				continue;
			for (size_t i = 0; i < st->nconds; i++) {
				const struct cond *c = &st->conds[i];
				if (!prov_is(c, prov) || strcasecmp(c->claim, "sub") != 0 ||
				    c->negated || c->kind == K_OTHER)
					continue;
				for (size_t j = 0; j < nvalues(c->values); j++) {
					const char *v = value_at(c->values, j);
					struct subject sb;
					char repo[POS_MAX], pr[POS_MAX + 32], mn[POS_MAX + 32];
					char ppath[TL_JPATH_MAX], mpath[TL_JPATH_MAX];
					bool dup = false;

					if (!v)
						continue;
					parse_subject("github", v, &sb);
					if (!sb.repo_raw[0])
						continue;
					/* Wildcard repositories have worse findings of their own. */
					if (has_wild(sb.repo_raw))
						continue;
					snprintf(repo, sizeof(repo), "%s", sb.repo_raw);
					for (size_t k = 0; k < nseen; k++)
						dup |= strcmp(seen[k], repo) == 0;
					if (dup || nseen == 16)
						continue;
					snprintf(seen[nseen++], POS_MAX, "%s", repo);
					snprintf(pr, sizeof(pr), "repo:%s:pull_request", repo);
					snprintf(mn, sizeof(mn), "repo:%s:ref:refs/heads/main",
						 repo);
					if (admitted(l, prov, pr, ppath, sizeof(ppath)) &&
					    admitted(l, prov, mn, mpath, sizeof(mpath)))
						emit(l, "pull-request-and-main", ppath,
						     "the role admits %s (this value) and %s (%s): "
						     "pull "
						     "requests get main's credentials",
						     pr, mn,
						     strcmp(ppath, mpath) ? mpath
									  : "the same value");
				}
			}
		}
	}
}

/* --- Deny, duplicates, shadowing, size -------------------------------------------- */

static void
check_deny(struct lint *l, const struct stmt *d)
{
	const json_t *dact = json_object_get(d->obj, "Action");
	bool any_allow = false, prov_ok = d->nprov == 0 || d->any_principal, act_ok = false;
	char why[700];

	for (size_t s = 0; s < l->nstmts; s++) {
		const struct stmt *a = &l->stmts[s];
		const json_t *aact = json_object_get(a->obj, "Action");
		if (!a->allow)
			continue;
		any_allow = true;
		if (a->any_principal)
			prov_ok = true;
		for (size_t p = 0; p < a->nprov; p++)
			prov_ok |= stmt_has_prov(d, a->prov[p]);
		if (!dact || !aact)
			act_ok = true;
		for (size_t i = 0; dact && aact && i < nvalues(aact); i++) {
			const char *x = value_at(aact, i);
			if (x && (action_covers(dact, x)))
				act_ok = true;
			for (size_t j = 0; x && j < nvalues(dact); j++) {
				const char *y = value_at(dact, j);
				if (y && glob(x, y, true))
					act_ok = true;
			}
		}
	}
	if (!any_allow)
		return;
	if (!prov_ok) {
		emit(l, "deny-never-applies", d->path,
		     "the Deny trusts %s, which no Allow statement trusts: it never applies",
		     d->prov[0]);
		return;
	}
	if (!act_ok) {
		emit(l, "deny-never-applies", d->path,
		     "the Deny's actions are none of the actions the Allow statements grant: it "
		     "never applies");
		return;
	}
	for (size_t i = 0; i < d->nconds; i++) {
		const struct cond *c = &d->conds[i];
		bool positive = !c->negated && !c->if_exists && !c->all;
		if (!positive)
			continue;
		if (key_absent_reason(d, c, why, sizeof(why)) ||
		    (provider_key(c) && !known_claim(c->prefix, c->claim))) {
			emit(l, "deny-never-applies", c->path,
			     "the Deny needs %s, which is never in the request: it never applies",
			     c->key);
			return;
		}
		if (c->kind == K_EQ || c->kind == K_EQ_ICASE) {
			bool all_wild = nvalues(c->values) > 0;
			for (size_t j = 0; j < nvalues(c->values); j++) {
				const char *v = value_at(c->values, j);
				all_wild &= v && has_wild(v) && !strstr(v, "${");
			}
			if (all_wild) {
				emit(l, "deny-never-applies", c->path,
				     "the Deny's %s values contain wildcards %s does not expand: "
				     "no "
				     "real token matches, it never applies",
				     c->key, c->op);
				return;
			}
		}
	}
}

static json_t *
without_sid(const json_t *obj)
{
	json_t *c = json_copy((json_t *)obj);
	if (c)
		json_object_del(c, "Sid");
	return c;
}

/* Whether `b`'s condition is implied by one of `a`'s (b admits whatever a admits). */
static bool
cond_implied(const struct stmt *a, const struct cond *cb)
{
	for (size_t i = 0; i < a->nconds; i++) {
		const struct cond *ca = &a->conds[i];
		bool all = true;
		bool plain = ca->kind != K_OTHER && cb->kind != K_OTHER && !ca->negated &&
			     !cb->negated && !ca->all && !cb->all && !ca->if_exists &&
			     !cb->if_exists && (ca->kind == K_EQ_ICASE) == (cb->kind == K_EQ_ICASE);
		if (strcasecmp(ca->key, cb->key) != 0 ||
		    (!plain && strcasecmp(ca->op, cb->op) != 0))
			continue;
		if (cb->negated || cb->kind == K_OTHER || cb->all || cb->if_exists) {
			if (json_equal((json_t *)ca->values, (json_t *)cb->values))
				return true;
			continue;
		}
		for (size_t j = 0; j < nvalues(ca->values) && all; j++) {
			const char *va = value_at(ca->values, j);
			bool hit = false;
			for (size_t k = 0; va && k < nvalues(cb->values) && !hit; k++) {
				const char *vb = value_at(cb->values, k);
				if (!vb)
					continue;
				hit = cb->kind == K_LIKE ? glob(vb, va, false)
				      : cb->kind == K_EQ ? strcmp(vb, va) == 0
							 : strcasecmp(vb, va) == 0;
			}
			all = hit;
		}
		if (all)
			return true;
	}
	return false;
}

static void
check_statements(struct lint *l)
{
	for (size_t i = 0; i < l->nstmts; i++) {
		for (size_t j = 0; j < l->nstmts; j++) {
			const struct stmt *a = &l->stmts[i], *b = &l->stmts[j];
			json_t *ca, *cb;
			bool same, implied = true;

			if (i == j)
				continue;
			ca = without_sid(a->obj);
			cb = without_sid(b->obj);
			same = ca && cb && json_equal(ca, cb);
			json_decref(ca);
			json_decref(cb);
			if (same) {
				if (j < i)
					emit(l, "statement-duplicate", a->path,
					     "the statement repeats %s", b->path);
				if (j < i)
					break;
				continue;
			}
			if (!a->allow || !b->allow ||
			    !json_equal(json_object_get(a->obj, "Principal"),
					json_object_get(b->obj, "Principal")) ||
			    !json_equal(json_object_get(a->obj, "Action"),
					json_object_get(b->obj, "Action")) ||
			    !json_object_get(a->obj, "Principal") ||
			    !json_object_get(a->obj, "Action"))
				continue;
			for (size_t k = 0; k < b->nconds && implied; k++)
				implied = cond_implied(a, &b->conds[k]);
			/* Mutual implication: report only the later statement. */
			if (implied && j > i) {
				bool back = true;
				for (size_t k = 0; k < a->nconds && back; k++)
					back = cond_implied(b, &a->conds[k]);
				if (back)
					continue;
			}
			if (implied) {
				emit(l, "statement-shadowed", a->path,
				     "%s admits every request this statement admits, so this "
				     "statement's conditions restrict nothing",
				     b->path);
				break;
			}
		}
	}
}

static void
check_size(struct lint *l)
{
	size_t n = 0;
	for (size_t i = 0; i < l->in->policy_len; i++)
		if (!isspace((unsigned char)l->in->policy_text[i]))
			n++;
	if (n > TL_POLICY_SIZE_DEFAULT) {
		emit(l, "policy-size", "",
		     "%zu non-whitespace characters: over the default quota of %d (LimitExceeded "
		     "unless the quota was raised, at most to %d)",
		     n, TL_POLICY_SIZE_DEFAULT, TL_POLICY_SIZE_MAX);
		if (l->out->n &&
		    l->out->items[l->out->n - 1].rule == tl_lint_rule_find("policy-size"))
			l->out->items[l->out->n - 1].severity = TL_LINT_ERROR;
	} else if (n * 10 >= TL_POLICY_SIZE_DEFAULT * 9) {
		emit(l, "policy-size", "",
		     "%zu of %d non-whitespace characters (%zu %%): little room for another "
		     "statement or subject",
		     n, TL_POLICY_SIZE_DEFAULT, n * 100 / TL_POLICY_SIZE_DEFAULT);
	}
}

/* --- running -------------------------------------------------------------------- */

static int
cmp_position(const void *x, const void *y)
{
	const struct tl_lint_finding *a = x, *b = y;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->column != b->column)
		return a->column < b->column ? -1 : 1;
	return 0;
}

int
tl_lint_run(const struct tl_lint_input *in, size_t index, const struct tl_lint_options *opt,
	    struct tl_lint_findings *out, struct tl_error *err)
{
	struct tl_policy_limits limits = {.max_chars = TL_POLICY_SIZE_MAX};
	struct lint l = {.in = in, .index = index, .opt = opt, .out = out};
	struct tl_policy *policy;
	const json_t *stmts;
	json_t *doc;
	size_t from = out->n, count;

	doc = tl_json_load(in->policy_text, in->policy_len, NULL, in->file, err);
	if (!doc)
		goto bad;
	policy = tl_policy_parse(in->policy_text, in->policy_len, &limits, err);
	if (!policy) {
		json_decref(doc);
		if (err && err->path[0] && !in->where &&
		    tl_lint_locate(in->policy_text, in->policy_len, err->path, &err->line,
				   &err->column) < 0)
			err->line = err->column = 0;
		goto bad;
	}
	tl_policy_free(policy);

	stmts = json_object_get(doc, "Statement");
	count = json_is_array(stmts) ? json_array_size(stmts) : 1;
	l.stmts = calloc(count ? count : 1, sizeof(*l.stmts));
	if (!l.stmts) {
		json_decref(doc);
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	}
	l.nstmts = count;
	for (size_t i = 0; i < count; i++) {
		struct stmt *st = &l.stmts[i];
		const json_t *act;
		st->obj = json_is_array(stmts) ? json_array_get(stmts, i) : stmts;
		if (json_is_array(stmts))
			snprintf(st->path, sizeof(st->path), "Statement[%zu]", i);
		else
			snprintf(st->path, sizeof(st->path), "Statement");
		st->allow =
			strcmp(json_string_value(json_object_get(st->obj, "Effect")), "Allow") == 0;
		read_principal(st);
		act = json_object_get(st->obj, "Action");
		st->web_identity = act ? action_covers(act, "sts:AssumeRoleWithWebIdentity")
				       : !action_covers(json_object_get(st->obj, "NotAction"),
							"sts:AssumeRoleWithWebIdentity");
		read_conditions(st);
	}
	for (size_t i = 0; i < count; i++) {
		const struct stmt *st = &l.stmts[i];
		check_pins(&l, st);
		check_operators(&l, st);
		check_keys(&l, st);
		check_subjects(&l, st);
		if (!st->allow)
			check_deny(&l, st);
	}
	check_pr_and_main(&l);
	check_statements(&l);
	check_size(&l);
	free(l.stmts);
	json_decref(doc);
	if (out->nomem)
		return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
	/* Document order, stable (an insertion sort: a policy has few findings). */
	for (size_t i = from + 1; !in->where && i < out->n; i++) {
		struct tl_lint_finding tmp = out->items[i];
		size_t j = i;
		for (; j > from && cmp_position(&out->items[j - 1], &tmp) > 0; j--)
			out->items[j] = out->items[j - 1];
		out->items[j] = tmp;
	}
	return 0;
bad:
	if (err)
		snprintf(err->file, sizeof(err->file), "%s", in->file);
	return -1;
}

void
tl_lint_findings_finish(struct tl_lint_findings *f)
{
	if (!f)
		return;
	free(f->items);
	memset(f, 0, sizeof(*f));
}

int
tl_lint_findings_max(const struct tl_lint_findings *f)
{
	int max = -1;
	for (size_t i = 0; i < f->n; i++)
		if ((int)f->items[i].severity > max)
			max = (int)f->items[i].severity;
	return max;
}
