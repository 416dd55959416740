/* SPDX-License-Identifier: MIT */
/*
 * Terraform's JSON (`terraform show -json`): a plan's planned_values, or
 * the state's values, module by module. aws_iam_role carries its trust
 * policy rendered (jsonencode and aws_iam_policy_document give a string);
 * a policy unknown until apply (it names a provider created in the same
 * plan) is rendered from the plan's configuration when it comes from an
 * aws_iam_policy_document data source, the references resolved from the
 * planned resources. Anything else is reported with the address.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rolesrc-private.h"

struct tf {
	struct tl_rolesrc_ctx *c;
	const json_t *doc;
	const json_t *root; /* planned_values.root_module or values.root_module */
	bool plan;
	char account[13];
	bool account_searched;
};

#define ADDR_MAX 512

/* --- the planned resources ----------------------------------------------- */

static const json_t *
find_in_module(const json_t *mod, const char *address)
{
	json_t *rs = json_object_get(mod, "resources");
	for (size_t i = 0; i < json_array_size(rs); i++) {
		const char *a =
			json_string_value(json_object_get(json_array_get(rs, i), "address"));
		if (a && strcmp(a, address) == 0)
			return json_array_get(rs, i);
	}
	json_t *kids = json_object_get(mod, "child_modules");
	for (size_t i = 0; i < json_array_size(kids); i++) {
		const json_t *r = find_in_module(json_array_get(kids, i), address);
		if (r)
			return r;
	}
	return NULL;
}

/* A resource by address: planned, else (data sources read at plan time) prior state. */
static const json_t *
find_resource(const struct tf *t, const char *address)
{
	const json_t *r = find_in_module(t->root, address);
	if (!r)
		r = find_in_module(
			json_object_get(
				json_object_get(json_object_get(t->doc, "prior_state"), "values"),
				"root_module"),
			address);
	return r;
}

static bool
after_unknown(const struct tf *t, const char *address, const char *attr)
{
	json_t *rc = json_object_get(t->doc, "resource_changes");
	for (size_t i = 0; i < json_array_size(rc); i++) {
		json_t *e = json_array_get(rc, i);
		const char *a = json_string_value(json_object_get(e, "address"));
		if (a && strcmp(a, address) == 0)
			return json_is_true(json_object_get(
				json_object_get(json_object_get(e, "change"), "after_unknown"),
				attr));
	}
	return false;
}

static void
search_account(const json_t *mod, char out[13])
{
	json_t *rs = json_object_get(mod, "resources");
	for (size_t i = 0; i < json_array_size(rs) && !out[0]; i++) {
		json_t *r = json_array_get(rs, i);
		json_t *v = json_object_get(r, "values");
		const char *type = json_string_value(json_object_get(r, "type"));
		const char *id = json_string_value(json_object_get(v, "account_id"));
		if (type && strcmp(type, "aws_caller_identity") == 0 && id &&
		    strspn(id, "0123456789") == 12 && !id[12])
			memcpy(out, id, 13);
		else if (type && strncmp(type, "aws_iam_", 8) == 0)
			tl_rolesrc_arn_account(json_string_value(json_object_get(v, "arn")), out);
	}
	json_t *kids = json_object_get(mod, "child_modules");
	for (size_t i = 0; i < json_array_size(kids) && !out[0]; i++)
		search_account(json_array_get(kids, i), out);
}

/* The account: the caller's option, else what the plan shows (an
 * aws_caller_identity data source, a known IAM ARN). NULL: unknown. */
static const char *
tf_account(struct tf *t)
{
	if (t->c->opt->account)
		return t->c->opt->account;
	if (!t->account_searched) {
		t->account_searched = true;
		search_account(t->root, t->account);
		if (!t->account[0])
			search_account(
				json_object_get(
					json_object_get(json_object_get(t->doc, "prior_state"),
							"values"),
					"root_module"),
				t->account);
	}
	return t->account[0] ? t->account : NULL;
}

static const char *
partition(const struct tf *t)
{
	return t->c->opt->partition ? t->c->opt->partition : "aws";
}

/* --- the configuration --------------------------------------------------- */

/* "module.a[0].module.b" -> the configuration module of b. */
static const json_t *
config_module(const struct tf *t, const char *module_addr)
{
	const json_t *m = json_object_get(json_object_get(t->doc, "configuration"), "root_module");
	const char *p = module_addr;
	while (m && *p) {
		if (strncmp(p, "module.", 7) != 0)
			return NULL;
		p += 7;
		size_t n = strcspn(p, ".[");
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		p += n;
		if (*p == '[') {
			const char *e = strchr(p, ']');
			if (!e)
				return NULL;
			p = e + 1;
		}
		if (*p == '.')
			p++;
		m = json_object_get(json_object_get(json_object_get(m, "module_calls"), name),
				    "module");
	}
	return m;
}

static const json_t *
config_resource(const json_t *cmod, const char *rel_address)
{
	char base[ADDR_MAX];
	/* Instances share one configuration block: drop the index. */
	snprintf(base, sizeof(base), "%s", rel_address);
	char *br = strchr(base, '[');
	if (br)
		*br = '\0';
	json_t *rs = json_object_get(cmod, "resources");
	for (size_t i = 0; i < json_array_size(rs); i++) {
		const char *a =
			json_string_value(json_object_get(json_array_get(rs, i), "address"));
		if (a && strcmp(a, base) == 0)
			return json_array_get(rs, i);
	}
	return NULL;
}

/* The module part of a resource address ("module.ci" of
 * "module.ci.aws_iam_role.x"); "" at the root. */
static void
split_address(const char *address, char *module, size_t size, const char **rel)
{
	const char *p = address, *last = address;
	while (strncmp(p, "module.", 7) == 0) {
		p += 7;
		p += strcspn(p, ".[");
		if (*p == '[') {
			const char *e = strchr(p, ']');
			p = e ? e + 1 : p + strlen(p);
		}
		if (*p == '.')
			p++;
		last = p;
	}
	size_t n = (size_t)(last - address);
	if (n && address[n - 1] == '.')
		n--;
	snprintf(module, size, "%.*s", (int)n, address);
	*rel = last;
}

struct scope {
	struct tf *t;
	const char *module_addr; /* "" at the root */
	const json_t *cmod; /* its configuration */
	const char *what; /* the resource being read, for messages */
};

static json_t *eval_expr(struct scope *s, const json_t *expr, const char *path);

static int TL_PRINTF(3, 4) fail(struct scope *s, const char *path, const char *fmt, ...)
{
	char msg[TL_ERROR_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The path names the resource; say which role it was read for. */
	size_t n = strlen(s->what);
	if (path && strncmp(path, s->what, n) == 0 && (path[n] == '.' || !path[n]))
		return tl_rolesrc_fail(s->t->c, TL_ERR_INVALID, path, "%s", msg);
	return tl_rolesrc_fail(s->t->c, TL_ERR_INVALID, path, "%s (for %s)", msg, s->what);
}

/* The parent scope of a module instance and the call's name. */
static bool
parent_scope(const struct scope *s, struct scope *parent, char *pbuf, size_t psize, char *call,
	     size_t csize)
{
	const char *last = strstr(s->module_addr, "module.");
	const char *q;
	while (last && (q = strstr(last + 7, ".module.")))
		last = q + 1;
	if (!last)
		return false;
	size_t n = (size_t)(last - s->module_addr);
	snprintf(pbuf, psize, "%.*s", (int)(n ? n - 1 : 0), s->module_addr);
	size_t cl = strcspn(last + 7, ".[");
	snprintf(call, csize, "%.*s", (int)cl, last + 7);
	*parent = *s;
	parent->module_addr = pbuf;
	parent->cmod = config_module(s->t, pbuf);
	return parent->cmod != NULL;
}

static json_t *
resolve_var(struct scope *s, const char *name, const char *ref, const char *path)
{
	if (!*s->module_addr) {
		json_t *v = json_object_get(
			json_object_get(json_object_get(s->t->doc, "variables"), name), "value");
		if (v)
			return json_incref(v);
		fail(s, path, "%s has no value in the plan's variables", ref);
		return NULL;
	}
	struct scope parent;
	char pbuf[ADDR_MAX], call[256];
	if (!parent_scope(s, &parent, pbuf, sizeof(pbuf), call, sizeof(call))) {
		fail(s, path, "cannot find the module call that sets %s", ref);
		return NULL;
	}
	json_t *expr = json_object_get(
		json_object_get(json_object_get(json_object_get(parent.cmod, "module_calls"), call),
				"expressions"),
		name);
	if (expr)
		return eval_expr(&parent, expr, path);
	json_t *def = json_object_get(json_object_get(json_object_get(s->cmod, "variables"), name),
				      "default");
	if (def)
		return json_incref(def);
	fail(s, path, "%s is not set by the module call", ref);
	return NULL;
}

static json_t *
resolve_ref(struct scope *s, const char *ref, const char *path)
{
	char res[ADDR_MAX], full[ADDR_MAX + 8];
	const char *attr;

	if (strncmp(ref, "var.", 4) == 0)
		return resolve_var(s, ref + 4, ref, path);
	if (strncmp(ref, "local.", 6) == 0 || strncmp(ref, "module.", 7) == 0 ||
	    strncmp(ref, "each.", 5) == 0 || strncmp(ref, "count.", 6) == 0 ||
	    strncmp(ref, "path.", 5) == 0) {
		fail(s, path,
		     "%s is not in the plan JSON (it records resources and variables, not "
		     "locals, module outputs or each/count values)",
		     ref);
		return NULL;
	}
	/* TYPE.NAME[KEY].ATTR or data.TYPE.NAME.ATTR: the attribute is the
	 * last component outside brackets. */
	const char *dot = NULL;
	int depth = 0;
	for (const char *p = ref; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		else if (*p == '.' && depth == 0)
			dot = p;
	}
	bool data = strncmp(ref, "data.", 5) == 0;
	int dots = 0;
	for (const char *p = ref; p < (dot ? dot : ref); p++)
		dots += *p == '.';
	if (!dot || dots != (data ? 2 : 1)) {
		fail(s, path,
		     "cannot resolve %s (a resource attribute, TYPE.NAME.ATTRIBUTE, is needed)",
		     ref);
		return NULL;
	}
	snprintf(res, sizeof(res), "%.*s", (int)(dot - ref), ref);
	attr = dot + 1;
	snprintf(full, sizeof(full), "%s%s%s", s->module_addr, *s->module_addr ? "." : "", res);
	const json_t *r = find_resource(s->t, full);
	if (!r) {
		fail(s, path, "%s: no resource %s in the planned values", ref, full);
		return NULL;
	}
	json_t *values = json_object_get(r, "values");
	json_t *v = json_object_get(values, attr);
	if (v && !after_unknown(s->t, full, attr))
		return json_incref(v);
	const char *type = json_string_value(json_object_get(r, "type"));
	if (type && strcmp(attr, "arn") == 0 && !data) {
		const char *acct = tf_account(s->t);
		const char *url = json_string_value(json_object_get(values, "url"));
		const char *name = json_string_value(json_object_get(values, "name"));
		if (!acct) {
			fail(s, path,
			     "%s is unknown until apply and the account is not known (give the "
			     "account)",
			     ref);
			return NULL;
		}
		char *arn = NULL;
		if (strcmp(type, "aws_iam_openid_connect_provider") == 0 && url) {
			arn = tl_rolesrc_provider_arn(partition(s->t), acct, url);
		} else if (strcmp(type, "aws_iam_role") == 0 && name) {
			const char *rp = json_string_value(json_object_get(values, "path"));
			size_t n = strlen(name) + 64 + (rp ? strlen(rp) : 0);
			if ((arn = malloc(n)))
				snprintf(arn, n, "arn:%s:iam::%s:role%s%s", partition(s->t), acct,
					 rp ? rp : "/", name);
		} else {
			fail(s, path,
			     "%s is unknown until apply (only the ARNs of OIDC providers "
			     "and roles are derived from their planned url and name)",
			     ref);
			return NULL;
		}
		json_t *j = arn ? json_string(arn) : NULL;
		free(arn);
		if (!j)
			tl_rolesrc_fail(s->t->c, TL_ERR_NOMEM, path, "out of memory");
		return j;
	}
	fail(s, path, "%s is unknown until apply", ref);
	return NULL;
}

/* An expression of the configuration: a constant, or exactly one reference. */
static json_t *
eval_expr(struct scope *s, const json_t *expr, const char *path)
{
	json_t *cv = json_object_get(expr, "constant_value");
	if (cv)
		return json_incref(cv);
	json_t *refs = json_object_get(expr, "references");
	const char *primary = NULL;
	char list[512] = "";
	size_t n = 0;
	for (size_t i = 0; i < json_array_size(refs); i++) {
		const char *r = json_string_value(json_array_get(refs, i));
		bool implied = false;
		/* "x.y" is listed next to "x.y.arn": the longer one is meant. */
		for (size_t k = 0; r && k < json_array_size(refs) && !implied; k++) {
			const char *o = json_string_value(json_array_get(refs, k));
			size_t l = strlen(r);
			implied = o && k != i && strncmp(o, r, l) == 0 &&
				  (o[l] == '.' || o[l] == '[');
		}
		if (!r || implied)
			continue;
		primary = r;
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%s", n ? ", " : "", r);
		n++;
	}
	if (n == 1)
		return resolve_ref(s, primary, path);
	if (n == 0)
		fail(s, path, "the value is not in the plan's configuration");
	else
		fail(s, path,
		     "the value combines %s: the plan JSON records the references, not how they "
		     "combine",
		     list);
	return NULL;
}

/* --- aws_iam_policy_document, rendered as the data source does --------------- */

/*
 * The data source's arguments with the unknowns filled in: `v` is the
 * planned value (resource_changes' `after`), `unk` its after_unknown
 * markers, `cfg` the configuration of the same shape (a block: an object
 * of expressions and nested block lists). NULL `v`: everything from the
 * configuration.
 */
static json_t *
fill(struct scope *s, const json_t *v, const json_t *unk, const json_t *cfg, struct tl_jpath *p)
{
	bool expr = json_object_get(cfg, "constant_value") || json_object_get(cfg, "references");

	if (json_is_true(unk) || (!v && expr)) {
		if (!cfg) {
			fail(s, tl_jpath_str(p),
			     "unknown until apply and not in the configuration");
			return NULL;
		}
		return eval_expr(s, cfg, tl_jpath_str(p));
	}
	bool any_unknown = false;
	for (size_t i = 0; json_is_array(unk) && i < json_array_size(unk); i++)
		any_unknown |= json_is_true(json_array_get(unk, i));
	if (any_unknown && expr) {
		/* A list attribute with unknown elements: the configuration
		 * says which reference, not which element, so only a list of
		 * one is filled. */
		if (json_array_size(unk) != 1) {
			fail(s, tl_jpath_str(p),
			     "%zu values, some unknown until apply: the plan does not say which "
			     "reference is which",
			     json_array_size(unk));
			return NULL;
		}
		json_t *e = eval_expr(s, cfg, tl_jpath_str(p));
		if (e && !json_is_array(e)) {
			json_t *a = json_array();
			if (a)
				json_array_append(a, e);
			json_decref(e);
			e = a;
		}
		return e;
	}
	if (json_is_array(cfg) || json_is_array(v)) {
		/* Blocks, index by index. */
		size_t n = v ? json_array_size(v) : json_array_size(cfg);
		json_t *out = json_array();
		for (size_t i = 0; out && i < n; i++) {
			size_t m = tl_jpath_push_index(p, i);
			json_t *e = fill(s, v ? json_array_get(v, i) : NULL, json_array_get(unk, i),
					 json_array_get(cfg, i), p);
			tl_jpath_pop(p, m);
			if (!e || json_array_append_new(out, e) < 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	if (json_is_object(v) || (!v && json_is_object(cfg))) {
		json_t *out = json_object();
		const char *k;
		json_t *e;
		json_object_foreach((json_t *)(v ? v : cfg), k, e)
		{
			/* Unknown and not an argument: computed (json, id). */
			if (json_is_true(json_object_get(unk, k)) && !json_object_get(cfg, k))
				continue;
			size_t m = tl_jpath_push_key(p, k);
			json_t *f = fill(s, v ? e : NULL, json_object_get(unk, k),
					 json_object_get(cfg, k), p);
			tl_jpath_pop(p, m);
			if (!f || !out || json_object_set_new(out, k, f) < 0) {
				json_decref(out);
				return NULL;
			}
		}
		if (v)
			json_object_foreach((json_t *)unk, k, e)
			{
				if (json_object_get(v, k) || !json_is_true(e) ||
				    !json_object_get(cfg, k))
					continue;
				size_t m = tl_jpath_push_key(p, k);
				json_t *f = fill(s, NULL, e, json_object_get(cfg, k), p);
				tl_jpath_pop(p, m);
				if (!f || !out || json_object_set_new(out, k, f) < 0) {
					json_decref(out);
					return NULL;
				}
			}
		return out;
	}
	return v ? json_incref((json_t *)v) : json_null();
}

/* One value or the list, as the data source writes single elements. */
static json_t *
one_or_list(const json_t *v)
{
	if (json_is_array(v) && json_array_size(v) == 1)
		return json_incref(json_array_get(v, 0));
	return json_incref((json_t *)v);
}

static bool
nonempty(const json_t *v)
{
	return (json_is_string(v) && json_string_length(v)) || json_array_size(v) > 0;
}

static json_t *
as_array(const json_t *v)
{
	if (json_is_array(v))
		return json_incref((json_t *)v);
	json_t *a = json_array();
	if (a && v && !json_is_null(v))
		json_array_append(a, (json_t *)v);
	return a;
}

static int
render_principals(struct scope *s, const json_t *blocks, const char *path, json_t *stmt,
		  const char *key)
{
	json_t *pr = json_object();
	for (size_t i = 0; pr && i < json_array_size(blocks); i++) {
		const json_t *b = json_array_get(blocks, i);
		const char *t = json_string_value(json_object_get(b, "type"));
		json_t *ids = as_array(json_object_get(b, "identifiers"));
		if (!t || !json_array_size(ids)) {
			json_decref(ids);
			json_decref(pr);
			return fail(s, path, "principals block %zu needs type and identifiers", i);
		}
		if (strcmp(t, "*") == 0) {
			json_decref(ids);
			json_decref(pr);
			return json_object_set_new(stmt, key, json_string("*"));
		}
		json_t *have = json_object_get(pr, t);
		if (have)
			json_array_extend(have, ids);
		else
			json_object_set(pr, t, ids);
		json_decref(ids);
	}
	const char *k;
	json_t *v;
	json_object_foreach(pr, k, v) json_object_set_new(pr, k, one_or_list(v));
	return json_object_set_new(stmt, key, pr);
}

static int
render_conditions(struct scope *s, const json_t *blocks, const char *path, json_t *stmt)
{
	json_t *cond = json_object();
	for (size_t i = 0; cond && i < json_array_size(blocks); i++) {
		const json_t *b = json_array_get(blocks, i);
		const char *test = json_string_value(json_object_get(b, "test"));
		const char *var = json_string_value(json_object_get(b, "variable"));
		json_t *vals = as_array(json_object_get(b, "values"));
		if (!test || !var || !vals) {
			json_decref(vals);
			json_decref(cond);
			return fail(s, path, "condition block %zu needs test, variable and values",
				    i);
		}
		json_t *op = json_object_get(cond, test);
		if (!op) {
			op = json_object();
			json_object_set_new(cond, test, op);
		}
		json_t *have = json_object_get(op, var);
		if (have)
			json_array_extend(have, vals);
		else
			json_object_set(op, var, vals);
		json_decref(vals);
	}
	const char *op, *k;
	json_t *m, *v;
	json_object_foreach(cond, op, m)
	{
		json_object_foreach(m, k, v) json_object_set_new(m, k, one_or_list(v));
	}
	return json_object_set_new(stmt, "Condition", cond);
}

/* The document from the data source's arguments (values, unknowns filled). */
static char *
render_policy_document(struct scope *s, const json_t *args, const char *path)
{
	static const struct {
		const char *attr, *key;
	} lists[] = {{"actions", "Action"},
		     {"not_actions", "NotAction"},
		     {"resources", "Resource"},
		     {"not_resources", "NotResource"}};
	static const char *const unsupported[] = {"source_policy_documents",
						  "override_policy_documents", "source_json",
						  "override_json", NULL};
	char p[2 * ADDR_MAX + 64];

	for (const char *const *u = unsupported; *u; u++)
		if (nonempty(json_object_get(args, *u))) {
			snprintf(p, sizeof(p), "%s.%s", path, *u);
			fail(s, p, "%s is not supported when the document is unknown until apply",
			     *u);
			return NULL;
		}
	json_t *doc = json_object(), *stmts = json_array();
	const json_t *version = json_object_get(args, "version");
	const json_t *id = json_object_get(args, "policy_id");
	json_object_set_new(doc, "Version",
			    nonempty(version) ? json_incref((json_t *)version)
					      : json_string("2012-10-17"));
	if (nonempty(id))
		json_object_set(doc, "Id", (json_t *)id);
	json_t *blocks = json_object_get(args, "statement");
	for (size_t i = 0; doc && stmts && i < json_array_size(blocks); i++) {
		const json_t *b = json_array_get(blocks, i);
		json_t *st = json_object();
		const json_t *sid = json_object_get(b, "sid"), *eff = json_object_get(b, "effect");
		json_array_append_new(stmts, st);
		snprintf(p, sizeof(p), "%s.statement[%zu]", path, i);
		if (nonempty(sid))
			json_object_set(st, "Sid", (json_t *)sid);
		json_object_set_new(st, "Effect",
				    nonempty(eff) ? json_incref((json_t *)eff)
						  : json_string("Allow"));
		for (size_t k = 0; k < 4; k++) {
			const json_t *l = json_object_get(b, lists[k].attr);
			if (nonempty(l))
				json_object_set_new(st, lists[k].key, one_or_list(l));
		}
		if (json_array_size(json_object_get(b, "principals")) &&
		    render_principals(s, json_object_get(b, "principals"), p, st, "Principal") < 0)
			goto fail;
		if (json_array_size(json_object_get(b, "not_principals")) &&
		    render_principals(s, json_object_get(b, "not_principals"), p, st,
				      "NotPrincipal") < 0)
			goto fail;
		if (json_array_size(json_object_get(b, "condition")) &&
		    render_conditions(s, json_object_get(b, "condition"), p, st) < 0)
			goto fail;
	}
	json_object_set_new(doc, "Statement", stmts);
	stmts = NULL;
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		tl_rolesrc_fail(s->t->c, TL_ERR_NOMEM, path, "out of memory");
	return text;
fail:
	json_decref(doc);
	json_decref(stmts);
	return NULL;
}

static const json_t *
change_of(const struct tf *t, const char *address)
{
	json_t *rc = json_object_get(t->doc, "resource_changes");
	for (size_t i = 0; i < json_array_size(rc); i++) {
		json_t *e = json_array_get(rc, i);
		const char *a = json_string_value(json_object_get(e, "address"));
		if (a && strcmp(a, address) == 0)
			return json_object_get(e, "change");
	}
	return NULL;
}

/* The trust policy of a role whose assume_role_policy is unknown until apply. */
static char *
unknown_policy(struct tf *t, const char *address, const json_t *res)
{
	char module[ADDR_MAX], path[2 * ADDR_MAX + 64];
	const char *rel;
	split_address(address, module, sizeof(module), &rel);
	struct scope s = {
		.t = t, .module_addr = module, .cmod = config_module(t, module), .what = address};
	const json_t *cfg = config_resource(s.cmod, rel);
	json_t *expr = json_object_get(json_object_get(cfg, "expressions"), "assume_role_policy");
	(void)res;
	snprintf(path, sizeof(path), "%s.assume_role_policy", address);
	if (!expr) {
		fail(&s, path, "unknown until apply, and the plan has no configuration for it");
		return NULL;
	}
	json_t *refs = json_object_get(expr, "references");
	const char *doc_ref = NULL;
	char list[512] = "";
	for (size_t i = 0; i < json_array_size(refs); i++) {
		const char *r = json_string_value(json_array_get(refs, i));
		size_t l = r ? strlen(r) : 0;
		if (r && strncmp(r, "data.aws_iam_policy_document.", 29) == 0 && l > 5 &&
		    strcmp(r + l - 5, ".json") == 0)
			doc_ref = r;
		size_t used = strlen(list);
		if (r)
			snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", r);
	}
	if (!doc_ref) {
		fail(&s, path,
		     "unknown until apply (it uses %s) and the plan JSON does not carry the "
		     "expression; render the policy with a "
		     "data.aws_iam_policy_document, or read the state after apply",
		     *list ? list : "values known only after apply");
		return NULL;
	}
	char dres[ADDR_MAX], daddr[2 * ADDR_MAX + 8];
	snprintf(dres, sizeof(dres), "%.*s", (int)(strlen(doc_ref) - 5), doc_ref);
	snprintf(daddr, sizeof(daddr), "%s%s%s", module, *module ? "." : "", dres);
	const json_t *planned = find_resource(t, daddr);
	const char *known =
		json_string_value(json_object_get(json_object_get(planned, "values"), "json"));
	if (known && !after_unknown(t, daddr, "json"))
		return strdup(known);
	const json_t *dcfg = config_resource(s.cmod, dres);
	if (!dcfg) {
		fail(&s, path, "%s is unknown until apply and not in the plan's configuration",
		     daddr);
		return NULL;
	}
	/* The planned arguments (known parts evaluated by Terraform), the
	 * unknown ones filled from the configuration's references. */
	const json_t *change = change_of(t, daddr);
	const json_t *after = json_object_get(change, "after");
	struct tl_jpath jp;
	tl_jpath_init(&jp, daddr);
	json_t *args = fill(&s, json_is_object(after) ? after : NULL,
			    json_object_get(change, "after_unknown"),
			    json_object_get(dcfg, "expressions"), &jp);
	if (!args)
		return NULL;
	char *text = render_policy_document(&s, args, daddr);
	json_decref(args);
	return text;
}

/* --- reading resources ----------------------------------------------------- */

static int
read_role(struct tf *t, const char *address, const json_t *res)
{
	json_t *v = json_object_get(res, "values");
	const char *name = json_string_value(json_object_get(v, "name"));
	const char *arn = json_string_value(json_object_get(v, "arn"));
	json_t *msd = json_object_get(v, "max_session_duration");
	const char *policy = json_string_value(json_object_get(v, "assume_role_policy"));
	char *owned = NULL;
	char path[ADDR_MAX + 32];

	if (!name)
		name = json_string_value(json_object_get(v, "name_prefix"));
	if (!name)
		name = json_string_value(json_object_get(res, "name"));
	if (!name)
		name = address;
	snprintf(path, sizeof(path), "%s.assume_role_policy", address);
	if (!policy || !*policy) {
		if (!t->plan)
			return tl_rolesrc_fail(t->c, TL_ERR_INVALID, path,
					       "%s: the state has no assume_role_policy", address);
		if (!(owned = unknown_policy(t, address, res)))
			return -1;
		policy = owned;
	}
	json_t *doc = json_loads(policy, JSON_REJECT_DUPLICATES, NULL);
	bool ok = json_is_object(doc);
	json_decref(doc);
	if (!ok) {
		free(owned);
		return tl_rolesrc_fail(t->c, TL_ERR_SYNTAX, path,
				       "%s: assume_role_policy is not a JSON object", address);
	}
	const char *acct = arn ? NULL : tf_account(t);
	int rc = tl_rolesrc_add_role(t->c, name, address, policy,
				     json_is_integer(msd) ? (int)json_integer_value(msd) : 0, acct,
				     arn);
	free(owned);
	return rc;
}

static int
read_provider(struct tf *t, const char *address, const json_t *res)
{
	json_t *v = json_object_get(res, "values");
	const char *url = json_string_value(json_object_get(v, "url"));
	const char *arn = json_string_value(json_object_get(v, "arn"));
	char *made = NULL;
	char path[ADDR_MAX + 8];

	if (!url) {
		snprintf(path, sizeof(path), "%s.url", address);
		return tl_rolesrc_fail(t->c, TL_ERR_INVALID, path, "%s: the provider's url is %s",
				       address, t->plan ? "unknown until apply" : "missing");
	}
	if (!arn && tf_account(t)) {
		if (!(made = tl_rolesrc_provider_arn(partition(t), tf_account(t), url)))
			return tl_rolesrc_fail(t->c, TL_ERR_NOMEM, NULL, "out of memory");
		arn = made;
	}
	int rc = tl_rolesrc_add_provider(t->c, url, arn, json_object_get(v, "client_id_list"),
					 json_object_get(v, "thumbprint_list"), address);
	free(made);
	return rc;
}

static int
walk(struct tf *t, const json_t *mod)
{
	json_t *rs = json_object_get(mod, "resources");
	for (size_t i = 0; i < json_array_size(rs); i++) {
		json_t *r = json_array_get(rs, i);
		const char *address = json_string_value(json_object_get(r, "address"));
		const char *type = json_string_value(json_object_get(r, "type"));
		const char *mode = json_string_value(json_object_get(r, "mode"));
		if (!address || !type)
			continue;
		bool managed = !mode || strcmp(mode, "managed") == 0;
		int rc = 0;
		if (managed && strcmp(type, "aws_iam_role") == 0)
			rc = read_role(t, address, r);
		else if (managed && strcmp(type, "aws_iam_openid_connect_provider") == 0)
			rc = read_provider(t, address, r);
		else if (!managed && strcmp(type, "aws_iam_role") == 0)
			rc = tl_rolesrc_add_note(
				t->c,
				"%s: skipped: a data source reads a role that exists "
				"already (snapshot it with aws iam get-role)",
				address);
		else if (managed)
			rc = tl_rolesrc_add_note(t->c, "%s: skipped: type %s holds no trust policy",
						 address, type);
		if (rc < 0)
			return -1;
	}
	json_t *kids = json_object_get(mod, "child_modules");
	for (size_t i = 0; i < json_array_size(kids); i++)
		if (walk(t, json_array_get(kids, i)) < 0)
			return -1;
	return 0;
}

/*
 * The raw state (`terraform state pull`, terraform.tfstate: version 4,
 * resources with their instances) in the shape of `terraform show -json`:
 * one module whose resources carry their full address and attributes as
 * values.
 */
static json_t *
raw_state_module(const json_t *doc)
{
	json_t *mod = json_object(), *list = json_array();
	json_t *rs = json_object_get(doc, "resources");
	if (!mod || !list || json_object_set_new(mod, "resources", list) < 0) {
		json_decref(mod);
		json_decref(list);
		return NULL;
	}
	for (size_t i = 0; i < json_array_size(rs); i++) {
		json_t *r = json_array_get(rs, i), *inst = json_object_get(r, "instances");
		const char *module = json_string_value(json_object_get(r, "module"));
		const char *mode = json_string_value(json_object_get(r, "mode"));
		const char *type = json_string_value(json_object_get(r, "type"));
		const char *name = json_string_value(json_object_get(r, "name"));
		if (!mode || !type || !name)
			continue;
		for (size_t k = 0; k < json_array_size(inst); k++) {
			json_t *in = json_array_get(inst, k),
			       *key = json_object_get(in, "index_key");
			char addr[ADDR_MAX], index[ADDR_MAX / 2] = "";
			if (json_is_integer(key))
				snprintf(index, sizeof(index), "[%lld]",
					 (long long)json_integer_value(key));
			else if (json_is_string(key))
				snprintf(index, sizeof(index), "[\"%s\"]", json_string_value(key));
			snprintf(addr, sizeof(addr), "%s%s%s%s.%s%s", module ? module : "",
				 module ? "." : "", strcmp(mode, "data") == 0 ? "data." : "", type,
				 name, index);
			json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:O?}", "address", addr, "mode",
					      mode, "type", type, "name", name, "values",
					      json_object_get(in, "attributes"));
			if (!e || json_array_append_new(list, e) < 0) {
				json_decref(mod);
				return NULL;
			}
		}
	}
	return mod;
}

int
tl_rolesrc_terraform(struct tl_rolesrc_ctx *c, const json_t *doc, bool plan)
{
	struct tf t = {.c = c, .doc = doc, .plan = plan};
	if (!plan && !json_object_get(doc, "values") &&
	    json_is_array(json_object_get(doc, "resources"))) {
		json_t *mod = raw_state_module(doc);
		if (!mod)
			return tl_rolesrc_fail(c, TL_ERR_NOMEM, NULL, "out of memory");
		t.root = mod;
		int rc = walk(&t, mod);
		json_decref(mod);
		return rc;
	}
	if (plan) {
		json_t *pv = json_object_get(doc, "planned_values");
		if (!json_is_object(pv))
			return tl_rolesrc_fail(c, TL_ERR_INVALID, "planned_values",
					       "not a usable Terraform plan: 'planned_values' is "
					       "missing (write the plan with terraform show -json "
					       "PLANFILE)");
		t.root = json_object_get(pv, "root_module");
	} else {
		t.root = json_object_get(json_object_get(doc, "values"), "root_module");
	}
	return walk(&t, t.root);
}
