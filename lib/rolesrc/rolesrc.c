/* SPDX-License-Identifier: MIT */
/*
 * Role sources: the set, format detection, and the AWS CLI outputs
 * (a policy document, get-role, get-account-authorization-details, the
 * OIDC provider listings). Terraform and CloudFormation live in their
 * own files.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/file.h"

#include "rolesrc-private.h"
#include "scenario/yaml.h"

#define DEFAULT_MAX_BYTES (16u * 1024 * 1024)
#define MAX_DEPTH 128

static const char *const format_names[] = {
	[TL_ROLESRC_AUTO] = "auto",
	[TL_ROLESRC_POLICY] = "policy",
	[TL_ROLESRC_GET_ROLE] = "get-role",
	[TL_ROLESRC_ACCOUNT_DETAILS] = "account-details",
	[TL_ROLESRC_OIDC_LIST] = "oidc-providers",
	[TL_ROLESRC_OIDC_PROVIDER] = "oidc-provider",
	[TL_ROLESRC_TERRAFORM_PLAN] = "terraform-plan",
	[TL_ROLESRC_TERRAFORM_STATE] = "terraform-state",
	[TL_ROLESRC_CLOUDFORMATION] = "cloudformation",
};
#define N_FORMATS (sizeof(format_names) / sizeof(format_names[0]))

const char *
tl_rolesrc_format_name(enum tl_rolesrc_format f)
{
	return (size_t)f < N_FORMATS ? format_names[f] : "?";
}

int
tl_rolesrc_format_parse(const char *name, enum tl_rolesrc_format *out, struct tl_error *err)
{
	for (size_t i = 0; i < N_FORMATS; i++)
		if (strcmp(name, format_names[i]) == 0) {
			*out = (enum tl_rolesrc_format)i;
			return 0;
		}
	return tl_error_set(err, TL_ERR_INVALID,
			    "unknown source format '%s' (expected one of: auto, policy, get-role, "
			    "account-details, oidc-providers, oidc-provider, terraform-plan, "
			    "terraform-state, cloudformation)",
			    name);
}

/* --- the set ------------------------------------------------------------- */

struct tl_rolesrc *
tl_rolesrc_new(void)
{
	return calloc(1, sizeof(struct tl_rolesrc));
}

static void
free_strv(const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)v[i]);
	free((void *)v);
}

static void
role_finish(struct tl_rolesrc_role *r)
{
	free((char *)r->name);
	free((char *)r->file);
	free((char *)r->where);
	free((char *)r->policy);
	free((char *)r->account);
	free((char *)r->arn);
}

static void
provider_finish(struct tl_rolesrc_provider *p)
{
	free((char *)p->url);
	free((char *)p->arn);
	free((char *)p->file);
	free((char *)p->where);
	free_strv(p->client_ids, p->n_client_ids);
	free_strv(p->thumbprints, p->n_thumbprints);
}

void
tl_rolesrc_free(struct tl_rolesrc *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n_roles; i++)
		role_finish(&set->roles[i]);
	for (size_t i = 0; i < set->n_providers; i++)
		provider_finish(&set->providers[i]);
	for (size_t i = 0; i < set->n_notes; i++)
		free(set->notes[i]);
	free(set->roles);
	free(set->providers);
	free(set->notes);
	free(set);
}

size_t
tl_rolesrc_role_count(const struct tl_rolesrc *set)
{
	return set ? set->n_roles : 0;
}

const struct tl_rolesrc_role *
tl_rolesrc_role(const struct tl_rolesrc *set, size_t i)
{
	return set && i < set->n_roles ? &set->roles[i] : NULL;
}

size_t
tl_rolesrc_provider_count(const struct tl_rolesrc *set)
{
	return set ? set->n_providers : 0;
}

const struct tl_rolesrc_provider *
tl_rolesrc_provider(const struct tl_rolesrc *set, size_t i)
{
	return set && i < set->n_providers ? &set->providers[i] : NULL;
}

size_t
tl_rolesrc_note_count(const struct tl_rolesrc *set)
{
	return set ? set->n_notes : 0;
}

const char *
tl_rolesrc_note(const struct tl_rolesrc *set, size_t i)
{
	return set && i < set->n_notes ? set->notes[i] : NULL;
}

bool
tl_rolesrc_role_matches(const struct tl_rolesrc_role *r, const char *glob)
{
	return fnmatch(glob, r->name, 0) == 0 || (*r->where && fnmatch(glob, r->where, 0) == 0);
}

static int
grow(void **items, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 8;
	void *p = realloc(*items, c * size);
	if (!p)
		return -1;
	*items = p;
	*cap = c;
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int
tl_rolesrc_fail(struct tl_rolesrc_ctx *c, enum tl_errcode code, const char *path, const char *fmt,
		...)
{
	va_list ap;
	va_start(ap, fmt);
	tl_error_setv(c->err, code, fmt, ap);
	va_end(ap);
	tl_error_locate_path(c->err, path);
	tl_error_locate_file(c->err, c->file, 0, 0);
	return -1;
}

static int
nomem(struct tl_rolesrc_ctx *c)
{
	return tl_rolesrc_fail(c, TL_ERR_NOMEM, NULL, "out of memory");
}

int
tl_rolesrc_add_note(struct tl_rolesrc_ctx *c, const char *fmt, ...)
{
	struct tl_rolesrc *s = c->set;
	char text[1024];
	int n = snprintf(text, sizeof(text), "%s: ", c->file);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	if (grow((void **)&s->notes, &s->cap_notes, s->n_notes, sizeof(*s->notes)) < 0 ||
	    !(s->notes[s->n_notes] = strdup(text)))
		return nomem(c);
	s->n_notes++;
	return 0;
}

bool
tl_rolesrc_arn_account(const char *arn, char out[13])
{
	/* arn:PARTITION:SERVICE:REGION:ACCOUNT:... */
	const char *p = arn;
	if (!arn || strncmp(arn, "arn:", 4) != 0)
		return false;
	for (int i = 0; i < 4; i++) {
		p = strchr(p, ':');
		if (!p)
			return false;
		p++;
	}
	if (strspn(p, "0123456789") != 12 || p[12] != ':')
		return false;
	memcpy(out, p, 12);
	out[12] = '\0';
	return true;
}

int
tl_rolesrc_add_role(struct tl_rolesrc_ctx *c, const char *name, const char *where,
		    const char *policy, int max_session_duration, const char *account,
		    const char *arn)
{
	struct tl_rolesrc *s = c->set;
	char acct[13];

	if (!account && arn && tl_rolesrc_arn_account(arn, acct))
		account = acct;
	if (grow((void **)&s->roles, &s->cap_roles, s->n_roles, sizeof(*s->roles)) < 0)
		return nomem(c);
	struct tl_rolesrc_role *r = &s->roles[s->n_roles];
	memset(r, 0, sizeof(*r));
	r->name = strdup(name);
	r->file = strdup(c->file);
	r->where = strdup(where ? where : "");
	r->policy = strdup(policy);
	r->account = dup_or_null(account);
	r->arn = dup_or_null(arn);
	r->max_session_duration = max_session_duration;
	if (!r->name || !r->file || !r->where || !r->policy || (account && !r->account) ||
	    (arn && !r->arn)) {
		role_finish(r);
		return nomem(c);
	}
	s->n_roles++;
	return 0;
}

static int
strv_from_json(const json_t *a, const char *const **out, size_t *n)
{
	size_t k = 0;
	const char **v = calloc(json_array_size(a) + 1, sizeof(*v));
	if (!v)
		return -1;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const char *t = json_string_value(json_array_get(a, i));
		if (!t)
			continue;
		if (!(v[k] = strdup(t))) {
			free_strv(v, k);
			return -1;
		}
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

static const char *
url_host(const char *url)
{
	return strncmp(url, "https://", 8) == 0 ? url + 8 : url;
}

char *
tl_rolesrc_provider_arn(const char *partition, const char *account, const char *url)
{
	const char *host = url_host(url);
	size_t n = strlen(partition) + strlen(account) + strlen(host) + 32;
	char *arn = malloc(n);
	if (arn)
		snprintf(arn, n, "arn:%s:iam::%s:oidc-provider/%s", partition, account, host);
	return arn;
}

static bool
same_provider(const struct tl_rolesrc_provider *p, const char *url, const char *arn)
{
	if (p->arn && arn)
		return strcmp(p->arn, arn) == 0;
	return strcmp(url_host(p->url), url_host(url)) == 0;
}

int
tl_rolesrc_add_provider(struct tl_rolesrc_ctx *c, const char *url, const char *arn,
			const json_t *client_ids, const json_t *thumbprints, const char *where)
{
	struct tl_rolesrc *s = c->set;
	char *full = NULL;

	if (strncmp(url, "https://", 8) != 0) {
		/* get-open-id-connect-provider prints the URL without its scheme. */
		size_t n = strlen(url) + 9;
		if (!(full = malloc(n)))
			return nomem(c);
		snprintf(full, n, "https://%s", url);
		url = full;
	}
	for (size_t i = 0; i < s->n_providers; i++) {
		struct tl_rolesrc_provider *p = &s->providers[i];
		if (!same_provider(p, url, arn))
			continue;
		free(full);
		if (!p->arn && arn && !(p->arn = strdup(arn)))
			return nomem(c);
		if (!p->n_client_ids && json_array_size(client_ids)) {
			free_strv(p->client_ids, 0);
			if (strv_from_json(client_ids, &p->client_ids, &p->n_client_ids) < 0)
				return nomem(c);
		}
		if (!p->n_thumbprints && json_array_size(thumbprints)) {
			free_strv(p->thumbprints, 0);
			if (strv_from_json(thumbprints, &p->thumbprints, &p->n_thumbprints) < 0)
				return nomem(c);
		}
		return 0;
	}
	if (grow((void **)&s->providers, &s->cap_providers, s->n_providers, sizeof(*s->providers)) <
	    0) {
		free(full);
		return nomem(c);
	}
	struct tl_rolesrc_provider *p = &s->providers[s->n_providers];
	memset(p, 0, sizeof(*p));
	p->url = full ? full : strdup(url);
	p->arn = dup_or_null(arn);
	p->file = strdup(c->file);
	p->where = strdup(where ? where : "");
	if (!p->url || (arn && !p->arn) || !p->file || !p->where ||
	    strv_from_json(client_ids, &p->client_ids, &p->n_client_ids) < 0 ||
	    strv_from_json(thumbprints, &p->thumbprints, &p->n_thumbprints) < 0) {
		provider_finish(p);
		return nomem(c);
	}
	s->n_providers++;
	return 0;
}

/* --- policy text --------------------------------------------------------- */

size_t
tl_rolesrc_policy_size(const char *policy)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)policy; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && (*p & 0xC0) != 0x80)
			n++;
	return n;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *
tl_rolesrc_url_decode(const char *s, struct tl_error *err)
{
	char *out = malloc(strlen(s) + 1), *w = out;
	if (!out) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (const char *r = s; *r; r++) {
		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		int hi = r[1] ? hexval((unsigned char)r[1]) : -1;
		int lo = hi >= 0 && r[2] ? hexval((unsigned char)r[2]) : -1;
		if (hi < 0 || lo < 0) {
			tl_error_set(err, TL_ERR_SYNTAX,
				     "bad URL encoding at offset %zu: '%%' must be followed by two "
				     "hex digits, found '%.3s'",
				     (size_t)(r - s), r);
			free(out);
			return NULL;
		}
		if (hi == 0 && lo == 0) {
			tl_error_set(err, TL_ERR_SYNTAX,
				     "bad URL encoding at offset %zu: %%00 (a NUL byte)",
				     (size_t)(r - s));
			free(out);
			return NULL;
		}
		*w++ = (char)(hi * 16 + lo);
		r += 2;
	}
	*w = '\0';
	return out;
}

/*
 * The trust policy from an AssumeRolePolicyDocument member: an object
 * (the CLI decodes it), or a string, URL-encoded as the raw API returns
 * it (or plain JSON text). Returns the document text (caller frees).
 */
static char *
policy_document(struct tl_rolesrc_ctx *c, const json_t *v, const char *path)
{
	char *text = NULL;
	if (json_is_object(v)) {
		text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!text)
			nomem(c);
		return text;
	}
	if (!json_is_string(v)) {
		tl_rolesrc_fail(c, TL_ERR_INVALID, path,
				"expected the policy document (an object or a URL-encoded string), "
				"found %s",
				tl_rolesrc_type_name(v));
		return NULL;
	}
	const char *s = json_string_value(v);
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '{') {
		if (!(text = strdup(s)))
			nomem(c);
	} else if (!(text = tl_rolesrc_url_decode(s, c->err))) {
		tl_error_locate_path(c->err, path);
		tl_error_locate_file(c->err, c->file, 0, 0);
		return NULL;
	}
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	bool ok = json_is_object(doc);
	json_decref(doc);
	if (!ok) {
		free(text);
		tl_rolesrc_fail(c, TL_ERR_SYNTAX, path,
				"the decoded policy document is not a JSON object");
		return NULL;
	}
	return text;
}

/* --- AWS CLI outputs ----------------------------------------------------- */

static int
read_role_entry(struct tl_rolesrc_ctx *c, const json_t *role, const char *path)
{
	char p[TL_JPATH_MAX];
	const char *name = json_string_value(json_object_get(role, "RoleName"));
	const char *arn = json_string_value(json_object_get(role, "Arn"));
	json_t *msd = json_object_get(role, "MaxSessionDuration");

	if (!json_is_object(role))
		return tl_rolesrc_fail(c, TL_ERR_INVALID, path, "expected a role object, found %s",
				       tl_rolesrc_type_name(role));
	if (!name) {
		snprintf(p, sizeof(p), "%s.RoleName", path);
		return tl_rolesrc_fail(c, TL_ERR_INVALID, p, "missing the role's name");
	}
	snprintf(p, sizeof(p), "%s.AssumeRolePolicyDocument", path);
	json_t *doc = json_object_get(role, "AssumeRolePolicyDocument");
	if (!doc)
		return tl_rolesrc_fail(c, TL_ERR_INVALID, p, "role '%s' has no trust policy", name);
	char *text = policy_document(c, doc, p);
	if (!text)
		return -1;
	int rc = tl_rolesrc_add_role(c, name, path, text,
				     json_is_integer(msd) ? (int)json_integer_value(msd) : 0, NULL,
				     arn);
	free(text);
	return rc;
}

static int
read_get_role(struct tl_rolesrc_ctx *c, const json_t *doc)
{
	return read_role_entry(c, json_object_get(doc, "Role"), "Role");
}

static int
read_oidc_get(struct tl_rolesrc_ctx *c, const json_t *doc, const char *where)
{
	const char *url = json_string_value(json_object_get(doc, "Url"));
	const char *arn = json_string_value(json_object_get(doc, "Arn"));
	char *made = NULL;
	if (!url)
		return tl_rolesrc_fail(c, TL_ERR_INVALID, where, "missing the provider's Url");
	if (!arn && c->opt->account) {
		if (!(made = tl_rolesrc_provider_arn(c->opt->partition ? c->opt->partition : "aws",
						     c->opt->account, url)))
			return nomem(c);
		arn = made;
	}
	int rc = tl_rolesrc_add_provider(c, url, arn, json_object_get(doc, "ClientIDList"),
					 json_object_get(doc, "ThumbprintList"), where);
	free(made);
	return rc;
}

static int
read_oidc_list(struct tl_rolesrc_ctx *c, const json_t *doc)
{
	json_t *list = json_object_get(doc, "OpenIDConnectProviderList");
	char p[64];
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);
		const char *arn = json_string_value(json_object_get(e, "Arn"));
		snprintf(p, sizeof(p), "OpenIDConnectProviderList[%zu]", i);
		const char *host = arn ? strstr(arn, ":oidc-provider/") : NULL;
		if (json_object_get(e, "Url")) {
			if (read_oidc_get(c, e, p) < 0)
				return -1;
			continue;
		}
		if (!host)
			return tl_rolesrc_fail(c, TL_ERR_INVALID, p,
					       "expected an OIDC provider ARN "
					       "(arn:aws:iam::ACCOUNT:oidc-provider/HOST)");
		if (tl_rolesrc_add_provider(c, host + strlen(":oidc-provider/"), arn, NULL, NULL,
					    p) < 0)
			return -1;
	}
	return 0;
}

static int
read_account_details(struct tl_rolesrc_ctx *c, const json_t *doc)
{
	json_t *roles = json_object_get(doc, "RoleDetailList");
	char p[64];
	if (!json_is_array(roles))
		return tl_rolesrc_fail(c, TL_ERR_INVALID, "RoleDetailList",
				       "expected an array, found %s", tl_rolesrc_type_name(roles));
	for (size_t i = 0; i < json_array_size(roles); i++) {
		snprintf(p, sizeof(p), "RoleDetailList[%zu]", i);
		if (read_role_entry(c, json_array_get(roles, i), p) < 0)
			return -1;
	}
	/* Not in the real output; a team may merge list-open-id-connect-providers in. */
	if (json_object_get(doc, "OpenIDConnectProviderList"))
		return read_oidc_list(c, doc);
	return 0;
}

/* `text` (len bytes, not NUL-terminated) is the document as written, or
 * NULL to serialise `doc` (a YAML source). */
static int
read_policy(struct tl_rolesrc_ctx *c, const json_t *doc, const char *text, size_t len)
{
	char name[256];
	const char *base = strrchr(c->file, '/');
	snprintf(name, sizeof(name), "%s", base ? base + 1 : c->file);
	char *dot = strrchr(name, '.');
	if (dot && dot != name)
		*dot = '\0';
	/* malloc + memcpy, not strndup: ASan's strict_string_checks (CI) treats
	 * strndup's source as a C string and reads past `len` looking for NUL. */
	char *dumped = text ? malloc(len + 1) : json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!dumped)
		return nomem(c);
	if (text) {
		memcpy(dumped, text, len);
		dumped[len] = '\0';
	}
	int rc = tl_rolesrc_add_role(c, name, "", dumped, 0, NULL, NULL);
	free(dumped);
	return rc;
}

/* --- detection and loading ----------------------------------------------- */

enum tl_rolesrc_format
tl_rolesrc_detect(const json_t *doc)
{
	if (!json_is_object(doc))
		return TL_ROLESRC_AUTO;
#define HAS(k) (json_object_get(doc, k) != NULL)
	if (HAS("Statement") && HAS("Version"))
		return TL_ROLESRC_POLICY;
	if (json_object_get(json_object_get(doc, "Role"), "AssumeRolePolicyDocument"))
		return TL_ROLESRC_GET_ROLE;
	if (HAS("RoleDetailList"))
		return TL_ROLESRC_ACCOUNT_DETAILS;
	if (HAS("OpenIDConnectProviderList"))
		return TL_ROLESRC_OIDC_LIST;
	if (HAS("Url") && HAS("ClientIDList"))
		return TL_ROLESRC_OIDC_PROVIDER;
	if (HAS("format_version")) {
		if (HAS("planned_values") || HAS("resource_changes") || HAS("configuration") ||
		    HAS("prior_state"))
			return TL_ROLESRC_TERRAFORM_PLAN;
		return TL_ROLESRC_TERRAFORM_STATE;
	}
	if (HAS("lineage") && HAS("terraform_version") && HAS("resources"))
		return TL_ROLESRC_TERRAFORM_STATE; /* terraform state pull, terraform.tfstate */
	if (HAS("Resources") || HAS("AWSTemplateFormatVersion"))
		return TL_ROLESRC_CLOUDFORMATION;
#undef HAS
	return TL_ROLESRC_AUTO;
}

/* CloudFormation's YAML short forms (the function name without "Fn::"). */
static const struct tl_yaml_tag cfn_tags[] = {
	{"!Ref", "Ref"},
	{"!Sub", "Fn::Sub"},
	{"!GetAtt", "Fn::GetAtt"},
	{"!Join", "Fn::Join"},
	{"!If", "Fn::If"},
	{"!Equals", "Fn::Equals"},
	{"!And", "Fn::And"},
	{"!Or", "Fn::Or"},
	{"!Not", "Fn::Not"},
	{"!Condition", "Condition"},
	{"!Select", "Fn::Select"},
	{"!Split", "Fn::Split"},
	{"!FindInMap", "Fn::FindInMap"},
	{"!ImportValue", "Fn::ImportValue"},
	{"!GetAZs", "Fn::GetAZs"},
	{"!Base64", "Fn::Base64"},
	{"!Cidr", "Fn::Cidr"},
	{"!Transform", "Fn::Transform"},
	{NULL, NULL},
};

static bool
yaml_named(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/* Moves what `tmp` holds into `set` (providers merged). */
static int
commit(struct tl_rolesrc *set, struct tl_rolesrc *tmp, struct tl_rolesrc_ctx *c)
{
	struct tl_rolesrc_ctx mc = *c;
	mc.set = set;
	if (grow((void **)&set->roles, &set->cap_roles, set->n_roles + tmp->n_roles,
		 sizeof(*set->roles)) < 0 ||
	    grow((void **)&set->notes, &set->cap_notes, set->n_notes + tmp->n_notes,
		 sizeof(*set->notes)) < 0)
		return nomem(c);
	for (size_t i = 0; i < tmp->n_providers; i++) {
		const struct tl_rolesrc_provider *p = &tmp->providers[i];
		json_t *ids = json_array(), *tps = json_array();
		for (size_t k = 0; ids && k < p->n_client_ids; k++)
			json_array_append_new(ids, json_string(p->client_ids[k]));
		for (size_t k = 0; tps && k < p->n_thumbprints; k++)
			json_array_append_new(tps, json_string(p->thumbprints[k]));
		mc.file = p->file;
		int rc = ids && tps
				 ? tl_rolesrc_add_provider(&mc, p->url, p->arn, ids, tps, p->where)
				 : nomem(c);
		json_decref(ids);
		json_decref(tps);
		if (rc < 0)
			return -1;
	}
	if (tmp->n_roles)
		memcpy(set->roles + set->n_roles, tmp->roles, tmp->n_roles * sizeof(*tmp->roles));
	set->n_roles += tmp->n_roles;
	tmp->n_roles = 0;
	if (tmp->n_notes)
		memcpy(set->notes + set->n_notes, tmp->notes, tmp->n_notes * sizeof(*tmp->notes));
	set->n_notes += tmp->n_notes;
	tmp->n_notes = 0;
	return 0;
}

int
tl_rolesrc_load(struct tl_rolesrc *set, const char *text, size_t len, const char *name,
		const struct tl_rolesrc_options *opt, struct tl_error *err)
{
	static const struct tl_rolesrc_options no_options;
	struct tl_rolesrc_ctx c = {
		.file = name ? name : "<source>", .opt = opt ? opt : &no_options, .err = err};
	size_t max = c.opt->max_bytes ? c.opt->max_bytes : DEFAULT_MAX_BYTES;
	json_t *doc;
	int rc = -1;

	if (len > max)
		return tl_rolesrc_fail(&c, TL_ERR_LIMIT, NULL, "larger than %zu bytes", max);
	size_t i = 0;
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	bool yaml = yaml_named(c.file) || (i < len && text[i] != '{' && text[i] != '[');
	if (yaml) {
		doc = tl_scenario_yaml_parse(text, len, cfn_tags, err);
		if (!doc && err && strncmp(err->message, "tags (", 6) == 0) {
			size_t used = strlen(err->message);
			snprintf(err->message + used, sizeof(err->message) - used,
				 " (trustlab reads CloudFormation's short forms:");
			for (const struct tl_yaml_tag *t = cfn_tags; t->tag; t++) {
				used = strlen(err->message);
				snprintf(err->message + used, sizeof(err->message) - used, " %s",
					 t->tag);
			}
			used = strlen(err->message);
			snprintf(err->message + used, sizeof(err->message) - used, ")");
		}
	} else {
		struct tl_json_limits lim = {.max_bytes = max, .max_depth = MAX_DEPTH};
		doc = tl_json_load(text, len, &lim, NULL, err);
	}
	if (!doc) {
		tl_error_locate_file(err, c.file, 0, 0);
		return -1;
	}
	enum tl_rolesrc_format f = c.opt->format ? c.opt->format : tl_rolesrc_detect(doc);
	struct tl_rolesrc *tmp = tl_rolesrc_new();
	if (!tmp) {
		json_decref(doc);
		return nomem(&c);
	}
	c.set = tmp;
	switch (f) {
	case TL_ROLESRC_POLICY:
		rc = read_policy(&c, doc, yaml ? NULL : text, len);
		break;
	case TL_ROLESRC_GET_ROLE:
		rc = read_get_role(&c, doc);
		break;
	case TL_ROLESRC_ACCOUNT_DETAILS:
		rc = read_account_details(&c, doc);
		break;
	case TL_ROLESRC_OIDC_LIST:
		rc = read_oidc_list(&c, doc);
		break;
	case TL_ROLESRC_OIDC_PROVIDER:
		rc = read_oidc_get(&c, doc, "");
		break;
	case TL_ROLESRC_TERRAFORM_PLAN:
	case TL_ROLESRC_TERRAFORM_STATE:
		rc = tl_rolesrc_terraform(&c, doc, f == TL_ROLESRC_TERRAFORM_PLAN);
		break;
	case TL_ROLESRC_CLOUDFORMATION:
		rc = tl_rolesrc_cloudformation(&c, doc);
		break;
	case TL_ROLESRC_AUTO:
		rc = tl_rolesrc_fail(
			&c, TL_ERR_INVALID, NULL,
			"not a role source trustlab knows (a trust policy, aws iam get-role, "
			"get-account-authorization-details or OIDC provider output, a Terraform "
			"plan or state from terraform show -json, or a CloudFormation template); "
			"name the format to override the detection");
		break;
	}
	json_decref(doc);
	if (rc == 0)
		rc = commit(set, tmp, &c);
	tl_rolesrc_free(tmp);
	return rc;
}

static int
load_dir(struct tl_rolesrc *set, const char *path, const struct tl_rolesrc_options *opt,
	 struct tl_error *err)
{
	DIR *d = opendir(path);
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d) {
		tl_error_set(err, TL_ERR_IO, "cannot open the directory");
		tl_error_locate_file(err, path, 0, 0);
		return -1;
	}
	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l <= 14 || strcmp(e->d_name + l - 14, ".template.json"))
			continue;
		if (grow((void **)&names, &cap, n, sizeof(*names)) < 0 ||
		    !(names[n] = strdup(e->d_name))) {
			rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (rc == 0 && n == 0) {
		tl_error_set(err, TL_ERR_NOT_FOUND,
			     "no *.template.json in the directory (a CDK cdk.out holds them)");
		tl_error_locate_file(err, path, 0, 0);
		rc = -1;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			if (strcmp(names[k], names[i]) < 0) {
				char *t = names[i];
				names[i] = names[k];
				names[k] = t;
			}
	for (size_t i = 0; i < n && rc == 0; i++) {
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		rc = tl_rolesrc_load_file(set, full, opt, err);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int
tl_rolesrc_load_file(struct tl_rolesrc *set, const char *path, const struct tl_rolesrc_options *opt,
		     struct tl_error *err)
{
	size_t max = opt && opt->max_bytes ? opt->max_bytes : DEFAULT_MAX_BYTES;
	struct stat st;
	char *data = NULL;
	size_t len = 0;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return load_dir(set, path, opt, err);
	if (tl_file_read(path, max, &data, &len, err) < 0) {
		tl_error_locate_file(err, path, 0, 0);
		return -1;
	}
	int rc = tl_rolesrc_load(set, data, len, path, opt, err);
	free(data);
	return rc;
}

/* --- what a policy trusts ------------------------------------------------- */

static void
add_federated(json_t *out, const json_t *v)
{
	if (json_is_string(v)) {
		for (size_t i = 0; i < json_array_size(out); i++)
			if (strcmp(json_string_value(json_array_get(out, i)),
				   json_string_value(v)) == 0)
				return;
		json_array_append(out, (json_t *)v);
	}
	for (size_t i = 0; json_is_array(v) && i < json_array_size(v); i++)
		add_federated(out, json_array_get(v, i));
}

json_t *
tl_rolesrc_role_federated(const struct tl_rolesrc_role *r)
{
	json_t *doc = json_loads(r->policy, 0, NULL);
	json_t *out = doc ? json_array() : NULL;
	json_t *st = json_object_get(doc, "Statement");
	if (out && json_is_object(st))
		add_federated(out, json_object_get(json_object_get(st, "Principal"), "Federated"));
	for (size_t i = 0; out && json_is_array(st) && i < json_array_size(st); i++)
		add_federated(out,
			      json_object_get(json_object_get(json_array_get(st, i), "Principal"),
					      "Federated"));
	json_decref(doc);
	return out;
}

struct tl_rolesrc *
tl_rolesrc_open_roles(const char *path, const struct tl_rolesrc_options *opt, int *status,
		      struct tl_error *err)
{
	struct tl_rolesrc *set = tl_rolesrc_new();
	struct tl_error serr;

	*status = -1;
	if (!set) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	tl_error_clear(&serr);
	if (tl_rolesrc_load_file(set, path, opt, &serr) < 0) {
		/* Not JSON/YAML, or no known shape: a policy file's errors say more. */
		if (serr.code == TL_ERR_IO || serr.code == TL_ERR_SYNTAX ||
		    strstr(serr.message, "format") != NULL)
			*status = 0;
		else if (err)
			*err = serr;
		tl_rolesrc_free(set);
		return NULL;
	}
	if (tl_rolesrc_role_count(set) > 0 && !tl_rolesrc_role(set, 0)->where[0]) {
		*status = 0; /* a plain policy document */
		tl_rolesrc_free(set);
		return NULL;
	}
	if (tl_rolesrc_role_count(set) == 0) {
		tl_error_set(err, TL_ERR_NOT_FOUND, "%s: no IAM role in this source", path);
		tl_rolesrc_free(set);
		return NULL;
	}
	*status = 1;
	return set;
}
