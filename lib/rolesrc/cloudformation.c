/* SPDX-License-Identifier: MIT */
/*
 * CloudFormation templates (and CDK's synthesized ones): AWS::IAM::Role,
 * AWS::IAM::OIDCProvider and CDK's Custom::AWSCDKOpenIdConnectProvider,
 * with the intrinsic functions trust policies use resolved offline.
 * Supported: Ref, Fn::Sub, Fn::Join, Fn::GetAtt (a provider's or role's
 * Arn), Fn::Select, Fn::Split, Fn::If with Conditions (Fn::Equals, And,
 * Or, Not, Condition), Fn::FindInMap, and the pseudo parameters
 * AWS::AccountId, AWS::Region, AWS::Partition, AWS::URLSuffix,
 * AWS::NoValue. Anything else is an error naming the resource and path.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "rolesrc-private.h"

#define MAX_RESOLVE_DEPTH 32

struct cfn {
	const json_t *tpl;
	const struct tl_rolesrc_options *opt;
	const char *what; /* "DeployRole (AWS::IAM::Role)" */
	struct tl_error *err;
	json_t *novalue; /* AWS::NoValue's marker, compared by address */
	unsigned depth;
};

static int TL_PRINTF(3, 4) cfail(struct cfn *x, const struct tl_jpath *p, const char *fmt, ...)
{
	char msg[TL_ERROR_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tl_error_set_at(x->err, TL_ERR_INVALID, tl_jpath_str(p), "%s: %s", x->what, msg);
}

static const char *
partition(const struct cfn *x)
{
	return x->opt->partition ? x->opt->partition : "aws";
}

static json_t *resolve(struct cfn *x, const json_t *v, struct tl_jpath *p);

static bool
is_intrinsic(const json_t *v, const char **name)
{
	if (!json_is_object(v) || json_object_size(v) != 1)
		return false;
	const char *k = json_object_iter_key(json_object_iter((json_t *)v));
	if (strcmp(k, "Ref") != 0 && strncmp(k, "Fn::", 4) != 0)
		return false;
	*name = k;
	return true;
}

/* A resolved value as text for Sub and Join: strings and numbers. */
static bool
text_of(const json_t *v, char *buf, size_t size, const char **out)
{
	if (json_is_string(v)) {
		*out = json_string_value(v);
		return true;
	}
	if (json_is_integer(v)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		*out = buf;
		return true;
	}
	return false;
}

/* --- resources the functions refer to ------------------------------------ */

static const json_t *
resource(const struct cfn *x, const char *id)
{
	return json_object_get(json_object_get(x->tpl, "Resources"), id);
}

static const char *
resource_type(const json_t *r)
{
	const char *t = json_string_value(json_object_get(r, "Type"));
	return t ? t : "";
}

static bool
is_provider_type(const char *type)
{
	return strcmp(type, "AWS::IAM::OIDCProvider") == 0 ||
	       strcmp(type, "Custom::AWSCDKOpenIdConnectProvider") == 0;
}

/* A property of another resource, resolved in its own context. */
static json_t *
property(struct cfn *x, const char *id, const char *prop, struct tl_jpath *p)
{
	const json_t *v = json_object_get(json_object_get(resource(x, id), "Properties"), prop);
	if (!v) {
		cfail(x, p, "%s has no %s", id, prop);
		return NULL;
	}
	struct tl_jpath rp;
	char root[TL_JPATH_MAX];
	snprintf(root, sizeof(root), "Resources.%s.Properties.%s", id, prop);
	tl_jpath_init(&rp, root);
	return resolve(x, v, &rp);
}

static const char *
account(struct cfn *x, struct tl_jpath *p)
{
	if (!x->opt->account)
		cfail(x, p,
		      "AWS::AccountId is not known offline: give the account the stack deploys to");
	return x->opt->account;
}

static json_t *
provider_arn(struct cfn *x, const char *id, struct tl_jpath *p)
{
	const char *acct = account(x, p);
	if (!acct)
		return NULL;
	json_t *url = property(x, id, "Url", p);
	if (!url)
		return NULL;
	if (!json_is_string(url)) {
		json_decref(url);
		cfail(x, p, "the Url of %s is not a string", id);
		return NULL;
	}
	char *arn = tl_rolesrc_provider_arn(partition(x), acct, json_string_value(url));
	json_decref(url);
	json_t *j = arn ? json_string(arn) : NULL;
	free(arn);
	return j;
}

static json_t *
role_arn(struct cfn *x, const char *id, struct tl_jpath *p)
{
	const char *acct = account(x, p);
	if (!acct)
		return NULL;
	if (!json_object_get(json_object_get(resource(x, id), "Properties"), "RoleName")) {
		cfail(x, p, "the ARN of %s is not known before deployment (it has no RoleName)",
		      id);
		return NULL;
	}
	json_t *name = property(x, id, "RoleName", p);
	if (!json_is_string(name)) {
		json_decref(name);
		return NULL;
	}
	const json_t *path_v =
		json_object_get(json_object_get(resource(x, id), "Properties"), "Path");
	const char *path = json_is_string(path_v) ? json_string_value(path_v) : "/";
	char arn[1024];
	snprintf(arn, sizeof(arn), "arn:%s:iam::%s:role%s%s", partition(x), acct, path,
		 json_string_value(name));
	json_decref(name);
	return json_string(arn);
}

/* --- Ref, GetAtt ----------------------------------------------------------- */

static json_t *
parameter_value(struct cfn *x, const char *name, const json_t *decl, struct tl_jpath *p)
{
	const json_t *given = x->opt->parameters ? json_object_get(x->opt->parameters, name) : NULL;
	const json_t *v = given ? given : json_object_get(decl, "Default");
	if (!v) {
		cfail(x, p, "parameter %s has no Default and no value was given", name);
		return NULL;
	}
	const char *type = json_string_value(json_object_get(decl, "Type"));
	if (type && json_is_string(v) &&
	    (strcmp(type, "CommaDelimitedList") == 0 || strncmp(type, "List<", 5) == 0)) {
		json_t *list = json_array();
		const char *s = json_string_value(v);
		while (list) {
			size_t n = strcspn(s, ",");
			json_array_append_new(list, json_stringn(s, n));
			if (!s[n])
				break;
			s += n + 1;
		}
		return list;
	}
	if (json_is_integer(v) || json_is_real(v)) {
		char buf[64];
		if (json_is_integer(v))
			snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		else
			snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		return json_string(buf);
	}
	return json_incref((json_t *)v);
}

static json_t *
ref(struct cfn *x, const char *name, struct tl_jpath *p)
{
	if (strcmp(name, "AWS::AccountId") == 0) {
		const char *a = account(x, p);
		return a ? json_string(a) : NULL;
	}
	if (strcmp(name, "AWS::Region") == 0)
		return json_string(x->opt->region ? x->opt->region : "us-east-1");
	if (strcmp(name, "AWS::Partition") == 0)
		return json_string(partition(x));
	if (strcmp(name, "AWS::URLSuffix") == 0)
		return json_string(strcmp(partition(x), "aws-cn") == 0 ? "amazonaws.com.cn"
								       : "amazonaws.com");
	if (strcmp(name, "AWS::NoValue") == 0)
		return json_incref(x->novalue);
	if (strncmp(name, "AWS::", 5) == 0) {
		cfail(x, p, "pseudo parameter %s is not known offline", name);
		return NULL;
	}
	const json_t *decl = json_object_get(json_object_get(x->tpl, "Parameters"), name);
	if (decl)
		return parameter_value(x, name, decl, p);
	const json_t *r = resource(x, name);
	if (!r) {
		cfail(x, p, "Ref: no parameter or resource named %s", name);
		return NULL;
	}
	const char *type = resource_type(r);
	if (is_provider_type(type))
		return provider_arn(x, name, p);
	if (strcmp(type, "AWS::IAM::Role") == 0 &&
	    json_object_get(json_object_get(r, "Properties"), "RoleName"))
		return property(x, name, "RoleName", p);
	cfail(x, p, "Ref to %s (%s) is only known after deployment", name, type);
	return NULL;
}

static json_t *
getatt(struct cfn *x, const char *id, const char *attr, struct tl_jpath *p)
{
	const json_t *r = resource(x, id);
	if (!r) {
		cfail(x, p, "Fn::GetAtt: no resource named %s", id);
		return NULL;
	}
	const char *type = resource_type(r);
	if (strcmp(attr, "Arn") == 0 && is_provider_type(type))
		return provider_arn(x, id, p);
	if (strcmp(attr, "Arn") == 0 && strcmp(type, "AWS::IAM::Role") == 0)
		return role_arn(x, id, p);
	cfail(x, p, "Fn::GetAtt %s.%s (%s) is only known after deployment", id, attr, type);
	return NULL;
}

/* --- the functions --------------------------------------------------------- */

/* Resolves argument `i` of a function's list, the path pointing at it. */
static json_t *
resolve_arg(struct cfn *x, const json_t *arg, size_t i, struct tl_jpath *p)
{
	size_t m = tl_jpath_push_index(p, i);
	json_t *v = resolve(x, json_array_get(arg, i), p);
	tl_jpath_pop(p, m);
	return v;
}

/* The buffer's text as a new JSON string; the buffer is finished. */
static json_t *
take_string(struct tl_buf *b)
{
	json_t *out = json_string(tl_buf_str(b));
	tl_buf_finish(b);
	return out;
}

static json_t *
fn_sub(struct cfn *x, const json_t *arg, struct tl_jpath *p)
{
	const json_t *tmpl = arg, *vars = NULL;
	json_t *rvars = NULL;
	if (json_is_array(arg)) {
		tmpl = json_array_get(arg, 0);
		vars = json_array_get(arg, 1);
		if (json_array_size(arg) != 2 || !json_is_object(vars)) {
			cfail(x, p, "Fn::Sub takes a string or [string, {variables}]");
			return NULL;
		}
		rvars = resolve_arg(x, arg, 1, p);
		if (!rvars)
			return NULL;
	}
	if (!json_is_string(tmpl)) {
		json_decref(rvars);
		cfail(x, p, "Fn::Sub takes a string or [string, {variables}], found %s",
		      tl_rolesrc_type_name(tmpl));
		return NULL;
	}
	struct tl_buf b;
	tl_buf_init(&b, 1024 * 1024);
	const char *s = json_string_value(tmpl);
	while (*s) {
		const char *d = strstr(s, "${");
		if (!d) {
			tl_buf_append_str(&b, s, NULL);
			break;
		}
		tl_buf_append(&b, s, (size_t)(d - s), NULL);
		if (d[2] == '!') { /* ${!Literal} is the text ${Literal} */
			tl_buf_append_str(&b, "${", NULL);
			s = d + 3;
			continue;
		}
		const char *e = strchr(d, '}');
		if (!e) {
			tl_buf_finish(&b);
			json_decref(rvars);
			cfail(x, p, "Fn::Sub: '${' without a closing '}' in \"%s\"",
			      json_string_value(tmpl));
			return NULL;
		}
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(e - d - 2), d + 2);
		json_t *v = json_object_get(rvars, name);
		if (v)
			json_incref(v);
		else if (strchr(name, '.') && strncmp(name, "AWS::", 5) != 0) {
			char *dot = strchr(name, '.');
			*dot = '\0';
			v = getatt(x, name, dot + 1, p);
		} else if (strncmp(name, "AWS::", 5) != 0 &&
			   !json_object_get(json_object_get(x->tpl, "Parameters"), name) &&
			   !resource(x, name)) {
			cfail(x, p,
			      "Fn::Sub: ${%s} names no parameter, resource or pseudo parameter "
			      "(give a variable map, [string, {%s: value}], or a parameter)",
			      name, name);
			v = NULL;
		} else
			v = ref(x, name, p);
		char num[32];
		const char *t;
		if (v && !text_of(v, num, sizeof(num), &t)) {
			cfail(x, p, "Fn::Sub: ${%s} is %s, not a string", name,
			      tl_rolesrc_type_name(v));
			json_decref(v);
			v = NULL;
		}
		if (!v) {
			tl_buf_finish(&b);
			json_decref(rvars);
			return NULL;
		}
		tl_buf_append_str(&b, t, NULL);
		json_decref(v);
		s = e + 1;
	}
	json_decref(rvars);
	return take_string(&b);
}

static json_t *
fn_join(struct cfn *x, const json_t *arg, struct tl_jpath *p)
{
	if (!json_is_array(arg) || json_array_size(arg) != 2 ||
	    !json_is_string(json_array_get(arg, 0))) {
		cfail(x, p, "Fn::Join takes [delimiter, [values]]");
		return NULL;
	}
	json_t *list = resolve_arg(x, arg, 1, p);
	if (!list)
		return NULL;
	if (!json_is_array(list)) {
		json_decref(list);
		cfail(x, p, "Fn::Join: the values are not a list");
		return NULL;
	}
	struct tl_buf b;
	tl_buf_init(&b, 1024 * 1024);
	for (size_t i = 0; i < json_array_size(list); i++) {
		char num[32];
		const char *t;
		if (!text_of(json_array_get(list, i), num, sizeof(num), &t)) {
			tl_buf_finish(&b);
			json_decref(list);
			cfail(x, p, "Fn::Join: value %zu is not a string", i);
			return NULL;
		}
		if (i)
			tl_buf_append_str(&b, json_string_value(json_array_get(arg, 0)), NULL);
		tl_buf_append_str(&b, t, NULL);
	}
	json_decref(list);
	return take_string(&b);
}

static json_t *
fn_getatt(struct cfn *x, const json_t *arg, struct tl_jpath *p)
{
	char id[256];
	const char *attr = NULL;
	if (json_is_string(arg)) {
		const char *s = json_string_value(arg), *dot = strchr(s, '.');
		if (dot) {
			snprintf(id, sizeof(id), "%.*s", (int)(dot - s), s);
			attr = dot + 1;
		}
	} else if (json_is_array(arg) && json_array_size(arg) == 2 &&
		   json_is_string(json_array_get(arg, 0)) &&
		   json_is_string(json_array_get(arg, 1))) {
		snprintf(id, sizeof(id), "%s", json_string_value(json_array_get(arg, 0)));
		attr = json_string_value(json_array_get(arg, 1));
	}
	if (!attr) {
		cfail(x, p, "Fn::GetAtt takes [LogicalId, Attribute] or \"LogicalId.Attribute\"");
		return NULL;
	}
	return getatt(x, id, attr, p);
}

static int condition(struct cfn *x, const char *name, struct tl_jpath *p);

/* A condition expression: 1 true, 0 false, -1 error. */
static int
cond_value(struct cfn *x, const json_t *v, struct tl_jpath *p)
{
	const char *fn;
	if (json_is_object(v) && json_object_size(v) == 1 &&
	    json_is_string(json_object_get(v, "Condition")))
		return condition(x, json_string_value(json_object_get(v, "Condition")), p);
	if (!is_intrinsic(v, &fn)) {
		cfail(x, p, "expected a condition function, found %s", tl_rolesrc_type_name(v));
		return -1;
	}
	const json_t *arg = json_object_get(v, fn);
	size_t m = tl_jpath_push_key(p, fn);
	int rc = -1;
	if (strcmp(fn, "Fn::Equals") == 0 && json_array_size(arg) == 2) {
		json_t *a = resolve(x, json_array_get(arg, 0), p);
		json_t *b = a ? resolve(x, json_array_get(arg, 1), p) : NULL;
		if (a && b)
			rc = json_equal(a, b) ? 1 : 0;
		json_decref(a);
		json_decref(b);
	} else if ((strcmp(fn, "Fn::And") == 0 || strcmp(fn, "Fn::Or") == 0) &&
		   json_is_array(arg)) {
		bool and = strcmp(fn, "Fn::And") == 0;
		rc = and? 1 : 0;
		for (size_t i = 0; i < json_array_size(arg); i++) {
			size_t mi = tl_jpath_push_index(p, i);
			int c = cond_value(x, json_array_get(arg, i), p);
			tl_jpath_pop(p, mi);
			if (c < 0) {
				rc = -1;
				break;
			}
			if (and&&!c)
				rc = 0;
			if (!and&&c)
				rc = 1;
		}
	} else if (strcmp(fn, "Fn::Not") == 0 && json_array_size(arg) == 1) {
		int c = cond_value(x, json_array_get(arg, 0), p);
		rc = c < 0 ? -1 : !c;
	} else {
		cfail(x, p,
		      "%s is not a condition function (Fn::Equals, Fn::And, Fn::Or, "
		      "Fn::Not, Condition)",
		      fn);
	}
	tl_jpath_pop(p, m);
	return rc;
}

static int
condition(struct cfn *x, const char *name, struct tl_jpath *p)
{
	const json_t *c = json_object_get(json_object_get(x->tpl, "Conditions"), name);
	if (!c) {
		cfail(x, p, "no condition named %s in Conditions", name);
		return -1;
	}
	if (++x->depth > MAX_RESOLVE_DEPTH) {
		cfail(x, p, "condition %s refers to itself", name);
		return -1;
	}
	struct tl_jpath cp;
	char root[TL_JPATH_MAX];
	snprintf(root, sizeof(root), "Conditions.%s", name);
	tl_jpath_init(&cp, root);
	int rc = cond_value(x, c, &cp);
	x->depth--;
	return rc;
}

static json_t *
fn_if(struct cfn *x, const json_t *arg, struct tl_jpath *p)
{
	if (json_array_size(arg) != 3 || !json_is_string(json_array_get(arg, 0))) {
		cfail(x, p, "Fn::If takes [condition, value if true, value if false]");
		return NULL;
	}
	int c = condition(x, json_string_value(json_array_get(arg, 0)), p);
	if (c < 0)
		return NULL;
	json_t *v = resolve_arg(x, arg, c ? 1 : 2, p);
	return v;
}

static json_t *
fn_select(struct cfn *x, const json_t *arg, struct tl_jpath *p)
{
	json_t *idx = json_array_size(arg) == 2 ? resolve(x, json_array_get(arg, 0), p) : NULL;
	long long i = -1;
	if (json_is_integer(idx))
		i = json_integer_value(idx);
	else if (json_is_string(idx))
		i = strtoll(json_string_value(idx), NULL, 10);
	json_decref(idx);
	if (i < 0) {
		cfail(x, p, "Fn::Select takes [index, [values]]");
		return NULL;
	}
	json_t *list = resolve_arg(x, arg, 1, p);
	if (!list)
		return NULL;
	json_t *v = json_array_get(list, (size_t)i);
	if (!v) {
		cfail(x, p, "Fn::Select: index %lld is out of range (%zu values)", i,
		      json_array_size(list));
		json_decref(list);
		return NULL;
	}
	json_incref(v);
	json_decref(list);
	return v;
}

static json_t *
fn_split(struct cfn *x, const json_t *arg, struct tl_jpath *p)
{
	const char *delim = json_string_value(json_array_get(arg, 0));
	if (json_array_size(arg) != 2 || !delim || !*delim) {
		cfail(x, p, "Fn::Split takes [delimiter, string]");
		return NULL;
	}
	json_t *s = resolve_arg(x, arg, 1, p);
	if (!json_is_string(s)) {
		if (s)
			cfail(x, p, "Fn::Split: the value is not a string");
		json_decref(s);
		return NULL;
	}
	json_t *out = json_array();
	const char *t = json_string_value(s);
	while (out) {
		const char *e = strstr(t, delim);
		json_array_append_new(out, json_stringn(t, e ? (size_t)(e - t) : strlen(t)));
		if (!e)
			break;
		t = e + strlen(delim);
	}
	json_decref(s);
	return out;
}

static json_t *
fn_findinmap(struct cfn *x, const json_t *arg, struct tl_jpath *p)
{
	json_t *keys[3] = {NULL, NULL, NULL};
	json_t *v = NULL;
	if (json_array_size(arg) != 3) {
		cfail(x, p, "Fn::FindInMap takes [map, top-level key, second-level key]");
		return NULL;
	}
	for (size_t i = 0; i < 3; i++) {
		keys[i] = resolve_arg(x, arg, i, p);
		if (!keys[i])
			goto out;
		if (!json_is_string(keys[i])) {
			cfail(x, p, "Fn::FindInMap: key %zu is not a string", i);
			goto out;
		}
	}
	v = json_object_get(json_object_get(json_object_get(json_object_get(x->tpl, "Mappings"),
							    json_string_value(keys[0])),
					    json_string_value(keys[1])),
			    json_string_value(keys[2]));
	if (!v)
		cfail(x, p, "Fn::FindInMap: Mappings.%s.%s.%s does not exist",
		      json_string_value(keys[0]), json_string_value(keys[1]),
		      json_string_value(keys[2]));
	else
		v = resolve(x, v, p);
out:
	for (size_t i = 0; i < 3; i++)
		json_decref(keys[i]);
	return v;
}

static json_t *
intrinsic(struct cfn *x, const char *fn, const json_t *arg, struct tl_jpath *p)
{
	if (strcmp(fn, "Ref") == 0) {
		if (!json_is_string(arg)) {
			cfail(x, p, "Ref takes a name, found %s", tl_rolesrc_type_name(arg));
			return NULL;
		}
		return ref(x, json_string_value(arg), p);
	}
	if (strcmp(fn, "Fn::Sub") == 0)
		return fn_sub(x, arg, p);
	if (strcmp(fn, "Fn::Join") == 0)
		return fn_join(x, arg, p);
	if (strcmp(fn, "Fn::GetAtt") == 0)
		return fn_getatt(x, arg, p);
	if (strcmp(fn, "Fn::If") == 0)
		return fn_if(x, arg, p);
	if (strcmp(fn, "Fn::Select") == 0)
		return fn_select(x, arg, p);
	if (strcmp(fn, "Fn::Split") == 0)
		return fn_split(x, arg, p);
	if (strcmp(fn, "Fn::FindInMap") == 0)
		return fn_findinmap(x, arg, p);
	cfail(x, p,
	      "%s is not supported (trustlab resolves Ref, Fn::Sub, Fn::Join, Fn::GetAtt, "
	      "Fn::If, Fn::Select, Fn::Split, Fn::FindInMap)",
	      fn);
	return NULL;
}

/* Resolves a member into `out` (an object with `key`, else an array);
 * AWS::NoValue leaves it out. */
static bool
resolve_into(struct cfn *x, json_t *out, const char *key, const json_t *v, struct tl_jpath *p)
{
	json_t *r = resolve(x, v, p);
	if (!r)
		return false;
	if (r == x->novalue) {
		json_decref(r);
		return true;
	}
	return (key ? json_object_set_new(out, key, r) : json_array_append_new(out, r)) == 0;
}

static json_t *
resolve(struct cfn *x, const json_t *v, struct tl_jpath *p)
{
	const char *fn;
	if (x->depth >= MAX_RESOLVE_DEPTH) {
		cfail(x, p, "references nest deeper than %d levels (a cycle?)", MAX_RESOLVE_DEPTH);
		return NULL;
	}
	x->depth++;
	json_t *out = NULL;
	if (is_intrinsic(v, &fn)) {
		size_t m = tl_jpath_push_key(p, fn);
		out = intrinsic(x, fn, json_object_get(v, fn), p);
		tl_jpath_pop(p, m);
	} else if (json_is_object(v)) {
		const char *k;
		json_t *e;
		out = json_object();
		json_object_foreach((json_t *)v, k, e)
		{
			size_t m = tl_jpath_push_key(p, k);
			bool ok = out && resolve_into(x, out, k, e, p);
			tl_jpath_pop(p, m);
			if (!ok) {
				json_decref(out);
				out = NULL;
				break;
			}
		}
	} else if (json_is_array(v)) {
		out = json_array();
		for (size_t i = 0; out && i < json_array_size(v); i++) {
			size_t m = tl_jpath_push_index(p, i);
			bool ok = resolve_into(x, out, NULL, json_array_get(v, i), p);
			tl_jpath_pop(p, m);
			if (!ok) {
				json_decref(out);
				out = NULL;
			}
		}
	} else {
		out = json_incref((json_t *)v);
	}
	x->depth--;
	if (!out && x->err && x->err->code == TL_OK)
		tl_error_set_at(x->err, TL_ERR_NOMEM, tl_jpath_str(p), "out of memory");
	return out;
}

json_t *
tl_rolesrc_cfn_resolve(const json_t *template_doc, const json_t *value,
		       const struct tl_rolesrc_options *opt, const char *what, const char *path,
		       struct tl_error *err)
{
	static const struct tl_rolesrc_options none;
	struct tl_error local;
	struct cfn x = {.tpl = template_doc,
			.opt = opt ? opt : &none,
			.what = what,
			.err = err ? err : &local,
			.novalue = json_object()};
	struct tl_jpath p;
	tl_error_clear(x.err);
	if (!x.novalue) {
		tl_error_set(x.err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	tl_jpath_init(&p, path);
	json_t *out = resolve(&x, value, &p);
	if (out == x.novalue) {
		json_decref(out);
		out = NULL;
		tl_error_set_at(x.err, TL_ERR_INVALID, path, "%s: the value is AWS::NoValue", what);
	}
	json_decref(x.novalue);
	return out;
}

/* --- reading the template -------------------------------------------------- */

struct reader {
	struct tl_rolesrc_ctx *c;
	const json_t *tpl;
};

static json_t *
prop(struct reader *r, const char *id, const char *what, const json_t *props, const char *key,
     bool required)
{
	char path[TL_JPATH_MAX];
	struct tl_jpath jp;
	snprintf(path, sizeof(path), "Resources.%s.Properties", id);
	tl_jpath_init(&jp, path);
	tl_jpath_push_key(&jp, key);
	const json_t *v = json_object_get(props, key);
	if (!v) {
		if (required)
			tl_rolesrc_fail(r->c, TL_ERR_INVALID, tl_jpath_str(&jp), "%s: missing %s",
					what, key);
		return NULL;
	}
	json_t *out =
		tl_rolesrc_cfn_resolve(r->tpl, v, r->c->opt, what, tl_jpath_str(&jp), r->c->err);
	if (!out)
		tl_error_locate_file(r->c->err, r->c->file, 0, 0);
	return out;
}

static int
read_role(struct reader *r, const char *id, const json_t *props)
{
	char what[512], path[TL_JPATH_MAX];
	snprintf(what, sizeof(what), "%s (AWS::IAM::Role)", id);
	snprintf(path, sizeof(path), "Resources.%s.Properties.AssumeRolePolicyDocument", id);
	json_t *doc = prop(r, id, what, props, "AssumeRolePolicyDocument", true);
	if (!doc)
		return -1;
	json_t *name = NULL, *msd = NULL;
	char *text = NULL;
	int rc = -1;
	if (json_is_string(doc)) {
		json_t *parsed = json_loads(json_string_value(doc), JSON_REJECT_DUPLICATES, NULL);
		json_decref(doc);
		doc = parsed;
	}
	if (!json_is_object(doc)) {
		tl_rolesrc_fail(r->c, TL_ERR_INVALID, path, "%s: the policy is not a JSON object",
				what);
		goto out;
	}
	/* (json_is_string evaluates its argument twice: assign first.) */
	if (json_object_get(props, "RoleName"))
		name = prop(r, id, what, props, "RoleName", false);
	if (json_object_get(props, "RoleName") && !json_is_string(name)) {
		if (name) {
			snprintf(path, sizeof(path), "Resources.%s.Properties.RoleName", id);
			tl_rolesrc_fail(r->c, TL_ERR_INVALID, path, "%s: RoleName is not a string",
					what);
		}
		goto out;
	}
	long long seconds = 0;
	if (json_object_get(props, "MaxSessionDuration")) {
		if (!(msd = prop(r, id, what, props, "MaxSessionDuration", false)))
			goto out;
		if (json_is_integer(msd))
			seconds = json_integer_value(msd);
		else if (json_is_string(msd))
			seconds = strtoll(json_string_value(msd), NULL, 10);
		if (seconds < 3600 || seconds > 43200) {
			snprintf(path, sizeof(path), "Resources.%s.Properties.MaxSessionDuration",
				 id);
			tl_rolesrc_fail(r->c, TL_ERR_INVALID, path,
					"%s: MaxSessionDuration must be 3600 to 43200 seconds",
					what);
			goto out;
		}
	}
	if (!(text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
		tl_rolesrc_fail(r->c, TL_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	char *arn = NULL;
	const char *acct = r->c->opt->account;
	const char *rname = name ? json_string_value(name) : id;
	if (name && acct) {
		const json_t *pv = json_object_get(props, "Path");
		const char *rp = json_is_string(pv) ? json_string_value(pv) : "/";
		size_t n = strlen(rname) + strlen(rp) + 64;
		if ((arn = malloc(n)))
			snprintf(arn, n, "arn:%s:iam::%s:role%s%s",
				 r->c->opt->partition ? r->c->opt->partition : "aws", acct, rp,
				 rname);
	}
	rc = tl_rolesrc_add_role(r->c, rname, id, text, (int)seconds, acct, arn);
	free(arn);
out:
	free(text);
	json_decref(doc);
	json_decref(name);
	json_decref(msd);
	return rc;
}

static int
read_provider(struct reader *r, const char *id, const char *type, const json_t *props)
{
	char what[512], path[TL_JPATH_MAX];
	bool cdk = strcmp(type, "AWS::IAM::OIDCProvider") != 0;
	snprintf(what, sizeof(what), "%s (%s)", id, type);
	json_t *url = prop(r, id, what, props, "Url", true);
	json_t *ids = NULL, *tps = NULL, *arn = NULL;
	int rc = -1;
	if (!url)
		return -1;
	if (!json_is_string(url)) {
		snprintf(path, sizeof(path), "Resources.%s.Properties.Url", id);
		tl_rolesrc_fail(r->c, TL_ERR_INVALID, path, "%s: Url is not a string", what);
		goto out;
	}
	const char *ids_key = cdk ? "ClientIDList" : "ClientIdList";
	if (json_object_get(props, ids_key) && !(ids = prop(r, id, what, props, ids_key, false)))
		goto out;
	if (json_object_get(props, "ThumbprintList") &&
	    !(tps = prop(r, id, what, props, "ThumbprintList", false)))
		goto out;
	if (r->c->opt->account) {
		char *a =
			tl_rolesrc_provider_arn(r->c->opt->partition ? r->c->opt->partition : "aws",
						r->c->opt->account, json_string_value(url));
		arn = a ? json_string(a) : NULL;
		free(a);
	}
	rc = tl_rolesrc_add_provider(r->c, json_string_value(url), json_string_value(arn), ids, tps,
				     id);
out:
	json_decref(url);
	json_decref(ids);
	json_decref(tps);
	json_decref(arn);
	return rc;
}

int
tl_rolesrc_cloudformation(struct tl_rolesrc_ctx *c, const json_t *doc)
{
	struct reader r = {.c = c, .tpl = doc};
	const json_t *res = json_object_get(doc, "Resources");
	const char *id;
	json_t *v;

	if (!json_is_object(res))
		return tl_rolesrc_fail(c, TL_ERR_INVALID, "Resources",
				       "expected the template's Resources (an object), found %s",
				       tl_rolesrc_type_name(res));
	json_object_foreach((json_t *)res, id, v)
	{
		const char *type = resource_type(v);
		const json_t *props = json_object_get(v, "Properties");
		const char *cond = json_string_value(json_object_get(v, "Condition"));
		bool role = strcmp(type, "AWS::IAM::Role") == 0;
		int rc = 0;
		if (!role && !is_provider_type(type)) {
			if (tl_rolesrc_add_note(c, "%s: skipped: type %s holds no trust policy", id,
						*type ? type : "(none)") < 0)
				return -1;
			continue;
		}
		if (cond) {
			struct cfn x = {.tpl = doc, .opt = c->opt, .what = id, .err = c->err};
			struct tl_jpath p;
			char root[TL_JPATH_MAX];
			snprintf(root, sizeof(root), "Resources.%s.Condition", id);
			tl_jpath_init(&p, root);
			int on = condition(&x, cond, &p);
			if (on < 0) {
				tl_error_locate_file(c->err, c->file, 0, 0);
				return -1;
			}
			if (!on) {
				if (tl_rolesrc_add_note(c, "%s: skipped: condition %s is false", id,
							cond) < 0)
					return -1;
				continue;
			}
		}
		if (!json_is_object(props)) {
			char path[TL_JPATH_MAX];
			snprintf(path, sizeof(path), "Resources.%s.Properties", id);
			return tl_rolesrc_fail(c, TL_ERR_INVALID, path, "%s (%s): no Properties",
					       id, type);
		}
		rc = role ? read_role(&r, id, props) : read_provider(&r, id, type, props);
		if (rc < 0)
			return -1;
	}
	return 0;
}
