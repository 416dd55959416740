/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts/query.h"
#include "sts/sts-private.h"

const struct tl_sts_query_limits tl_sts_query_default_limits = {
	.max_input = 65536,
	.max_params = 512,
	.max_key_len = 128,
	.max_value_len = 65536,
};

void
tl_sts_query_init(struct tl_sts_query *q)
{
	q->params = NULL;
	q->count = 0;
	q->cap = 0;
}

void
tl_sts_query_finish(struct tl_sts_query *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->count; i++) {
		free(q->params[i].key);
		free(q->params[i].value);
	}
	free(q->params);
	tl_sts_query_init(q);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
tl_sts_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned c = p[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n >= len - i)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* Decodes [s, s+len) (+ to space, %HH); NULL with fault on bad input. */
static char *
decode(const char *s, size_t len, size_t max, size_t offset, const char *what, size_t *out_len,
       struct tl_sts_fault *fault)
{
	char *out;
	size_t n = 0;

	if (len > max * 3 + 3) {
		tl_sts_fault_set(
			fault, TL_STS_MALFORMED_QUERY_STRING,
			"The query string contains a syntax error: %s at byte %zu is longer "
			"than %zu bytes",
			what, offset, max);
		return NULL;
	}
	out = malloc(len + 1);
	if (!out) {
		tl_sts_fault_set(fault, TL_STS_INTERNAL_FAILURE, NULL);
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				tl_sts_fault_set(
					fault, TL_STS_MALFORMED_QUERY_STRING,
					"The query string contains a syntax error: invalid "
					"%%-escape at byte %zu",
					offset + i);
				free(out);
				return NULL;
			}
			c = (char)(hi * 16 + lo);
			i += 2;
			if (c == '\0') {
				tl_sts_fault_set(
					fault, TL_STS_MALFORMED_QUERY_STRING,
					"The query string contains a syntax error: %%00 (NUL) "
					"at byte %zu",
					offset + i - 2);
				free(out);
				return NULL;
			}
		} else if (c == '\0') {
			tl_sts_fault_set(fault, TL_STS_MALFORMED_QUERY_STRING,
					 "The query string contains a syntax error: NUL byte at "
					 "byte %zu",
					 offset + i);
			free(out);
			return NULL;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	if (n > max) {
		tl_sts_fault_set(
			fault, TL_STS_MALFORMED_QUERY_STRING,
			"The query string contains a syntax error: %s at byte %zu is longer "
			"than %zu bytes",
			what, offset, max);
		free(out);
		return NULL;
	}
	if (!tl_sts_utf8_valid(out, n)) {
		tl_sts_fault_set(fault, TL_STS_MALFORMED_QUERY_STRING,
				 "The query string contains a syntax error: %s at byte %zu is not "
				 "valid UTF-8",
				 what, offset);
		free(out);
		return NULL;
	}
	*out_len = n;
	return out;
}

int
tl_sts_query_parse(struct tl_sts_query *q, const char *data, size_t len,
		   const struct tl_sts_query_limits *limits, struct tl_sts_fault *fault)
{
	const struct tl_sts_query_limits *lim = limits ? limits : &tl_sts_query_default_limits;
	size_t pos = 0;

	if (len > lim->max_input)
		return tl_sts_fault_set(
			fault, TL_STS_MALFORMED_QUERY_STRING,
			"The query string contains a syntax error: %zu bytes is more "
			"than the %zu allowed",
			len, lim->max_input);
	while (pos < len) {
		const char *seg = data + pos;
		const char *amp = memchr(seg, '&', len - pos);
		size_t seg_len = amp ? (size_t)(amp - seg) : len - pos;
		const char *eq = memchr(seg, '=', seg_len);
		size_t key_len = eq ? (size_t)(eq - seg) : seg_len;
		char *key, *value;
		size_t klen, vlen;

		if (seg_len == 0) {
			pos += 1;
			continue;
		}
		if (key_len == 0) {
			tl_sts_fault_set(
				fault, TL_STS_MALFORMED_QUERY_STRING,
				"The query string contains a syntax error: empty parameter "
				"name at byte %zu",
				pos);
			goto fail;
		}
		if (q->count >= lim->max_params) {
			tl_sts_fault_set(fault, TL_STS_MALFORMED_QUERY_STRING,
					 "The query string contains a syntax error: more than %zu "
					 "parameters",
					 lim->max_params);
			goto fail;
		}
		key = decode(seg, key_len, lim->max_key_len, pos, "parameter name", &klen, fault);
		if (!key)
			goto fail;
		if (klen == 0) {
			free(key);
			tl_sts_fault_set(
				fault, TL_STS_MALFORMED_QUERY_STRING,
				"The query string contains a syntax error: empty parameter "
				"name at byte %zu",
				pos);
			goto fail;
		}
		value = eq ? decode(eq + 1, seg_len - key_len - 1, lim->max_value_len,
				    pos + key_len + 1, "value", &vlen, fault)
			   : calloc(1, 1);
		if (!eq)
			vlen = 0;
		if (!value) {
			free(key);
			if (!eq)
				tl_sts_fault_set(fault, TL_STS_INTERNAL_FAILURE, NULL);
			goto fail;
		}
		if (tl_sts_query_get(q, key)) {
			tl_sts_fault_set(fault, TL_STS_INVALID_QUERY_PARAMETER,
					 "The parameter %s is given more than once", key);
			free(key);
			free(value);
			goto fail;
		}
		if (q->count == q->cap) {
			size_t ncap = q->cap ? q->cap * 2 : 16;
			struct tl_sts_param *np = realloc(q->params, ncap * sizeof(*np));

			if (!np) {
				free(key);
				free(value);
				tl_sts_fault_set(fault, TL_STS_INTERNAL_FAILURE, NULL);
				goto fail;
			}
			q->params = np;
			q->cap = ncap;
		}
		q->params[q->count++] = (struct tl_sts_param){key, value, vlen};
		pos += seg_len + 1;
	}
	return 0;
fail:
	tl_sts_query_finish(q);
	return -1;
}

const char *
tl_sts_query_get(const struct tl_sts_query *q, const char *key)
{
	for (size_t i = 0; i < q->count; i++) {
		if (strcmp(q->params[i].key, key) == 0)
			return q->params[i].value;
	}
	return NULL;
}

/* Parses a list index: decimal, no sign, no leading zero, >= 1. */
static bool
parse_index(const char *s, size_t len, size_t *out)
{
	size_t v = 0;

	if (len == 0 || len > 6 || s[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (size_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* Does `key` match `pattern` where `#` stands for a list index? */
static bool
key_matches(const char *pattern, const char *key, size_t *index)
{
	const char *hash = strchr(pattern, '#');
	size_t head, tail, klen = strlen(key);

	if (!hash)
		return strcmp(pattern, key) == 0;
	head = (size_t)(hash - pattern);
	tail = strlen(hash + 1);
	if (klen < head + tail + 1 || strncmp(pattern, key, head) != 0 ||
	    strcmp(key + klen - tail, hash + 1) != 0)
		return false;
	return parse_index(key + head, klen - head - tail, index);
}

int
tl_sts_query_list(const struct tl_sts_query *q, const char *prefix, const char *suffix,
		  const char **out, size_t max, bool dense, size_t *count,
		  struct tl_sts_fault *fault)
{
	char pattern[160];
	size_t highest = 0;

	snprintf(pattern, sizeof(pattern), "%s.member.#%s", prefix, suffix);
	for (size_t i = 0; i < max; i++)
		out[i] = NULL;
	for (size_t i = 0; i < q->count; i++) {
		size_t n;

		if (!key_matches(pattern, q->params[i].key, &n))
			continue;
		if (n > max)
			return tl_sts_fault_set(fault, TL_STS_INVALID_QUERY_PARAMETER,
						"The parameter %s is beyond the %zu members %s may "
						"have",
						q->params[i].key, max, prefix);
		out[n - 1] = q->params[i].value;
		if (n > highest)
			highest = n;
	}
	if (dense) {
		for (size_t i = 0; i < highest; i++) {
			if (!out[i])
				return tl_sts_fault_set(fault, TL_STS_INVALID_QUERY_PARAMETER,
							"The parameter %s.member.%zu%s is missing: "
							"list members are numbered 1, 2, 3, ... "
							"without gaps",
							prefix, i + 1, suffix);
		}
	}
	*count = highest;
	return 0;
}

/* clang-format off */
static const char *const params_arwwi[] = {
	"RoleArn", "RoleSessionName", "WebIdentityToken", "ProviderId", "Policy",
	"PolicyArns.member.#.arn", "DurationSeconds", NULL,
};
static const char *const params_none[] = {NULL};
static const char *const params_create_oidc[] = {
	"Url", "ClientIDList.member.#", "ThumbprintList.member.#", "Tags.member.#.Key",
	"Tags.member.#.Value", NULL,
};
static const char *const params_oidc_arn[] = {"OpenIDConnectProviderArn", NULL};
static const char *const params_add_client_id[] = {"OpenIDConnectProviderArn", "ClientID", NULL};
static const char *const params_create_role[] = {
	"Path", "RoleName", "AssumeRolePolicyDocument", "Description", "MaxSessionDuration",
	"PermissionsBoundary", "Tags.member.#.Key", "Tags.member.#.Value", NULL,
};
static const char *const params_role_name[] = {"RoleName", NULL};
static const char *const params_list_roles[] = {"PathPrefix", "Marker", "MaxItems", NULL};
static const char *const params_update_arp[] = {"RoleName", "PolicyDocument", NULL};
static const char *const params_update_role[] = {
	"RoleName", "Description", "MaxSessionDuration", NULL,
};

static const struct tl_sts_action_info actions[] = {
	{TL_STS_ACTION_ASSUME_ROLE_WITH_WEB_IDENTITY, "AssumeRoleWithWebIdentity", TL_STS_SERVICE_STS, false, params_arwwi},
	{TL_STS_ACTION_GET_CALLER_IDENTITY, "GetCallerIdentity", TL_STS_SERVICE_STS, true, params_none},
	{TL_STS_ACTION_CREATE_OPEN_ID_CONNECT_PROVIDER, "CreateOpenIDConnectProvider", TL_STS_SERVICE_IAM, true, params_create_oidc},
	{TL_STS_ACTION_GET_OPEN_ID_CONNECT_PROVIDER, "GetOpenIDConnectProvider", TL_STS_SERVICE_IAM, true, params_oidc_arn},
	{TL_STS_ACTION_LIST_OPEN_ID_CONNECT_PROVIDERS, "ListOpenIDConnectProviders", TL_STS_SERVICE_IAM, true, params_none},
	{TL_STS_ACTION_DELETE_OPEN_ID_CONNECT_PROVIDER, "DeleteOpenIDConnectProvider", TL_STS_SERVICE_IAM, true, params_oidc_arn},
	{TL_STS_ACTION_ADD_CLIENT_ID_TO_OPEN_ID_CONNECT_PROVIDER, "AddClientIDToOpenIDConnectProvider", TL_STS_SERVICE_IAM, true, params_add_client_id},
	{TL_STS_ACTION_CREATE_ROLE, "CreateRole", TL_STS_SERVICE_IAM, true, params_create_role},
	{TL_STS_ACTION_GET_ROLE, "GetRole", TL_STS_SERVICE_IAM, true, params_role_name},
	{TL_STS_ACTION_LIST_ROLES, "ListRoles", TL_STS_SERVICE_IAM, true, params_list_roles},
	{TL_STS_ACTION_DELETE_ROLE, "DeleteRole", TL_STS_SERVICE_IAM, true, params_role_name},
	{TL_STS_ACTION_UPDATE_ASSUME_ROLE_POLICY, "UpdateAssumeRolePolicy", TL_STS_SERVICE_IAM, true, params_update_arp},
	{TL_STS_ACTION_UPDATE_ROLE, "UpdateRole", TL_STS_SERVICE_IAM, true, params_update_role},
};
/* clang-format on */

const struct tl_sts_action_info *
tl_sts_action_info(enum tl_sts_action action)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (actions[i].action == action)
			return &actions[i];
	}
	return NULL;
}

static bool
param_allowed(const struct tl_sts_action_info *a, const struct tl_sts_param *p)
{
	size_t index;

	if (strcmp(p->key, "Action") == 0 || strcmp(p->key, "Version") == 0 ||
	    strncmp(p->key, "X-Amz-", 6) == 0)
		return true;
	for (const char *const *pat = a->params; *pat; pat++) {
		const char *dot = strstr(*pat, ".member.#");

		if (key_matches(*pat, p->key, &index))
			return true;
		/* botocore sends `List=` for an empty list */
		if (dot && p->value_len == 0 && strlen(p->key) == (size_t)(dot - *pat) &&
		    strncmp(*pat, p->key, (size_t)(dot - *pat)) == 0)
			return true;
	}
	return false;
}

int
tl_sts_query_action(const struct tl_sts_query *q, const struct tl_sts_action_info **action,
		    struct tl_sts_fault *fault)
{
	const char *name = tl_sts_query_get(q, "Action");
	const char *version = tl_sts_query_get(q, "Version");
	const struct tl_sts_action_info *found = NULL;

	if (!name || !*name)
		return tl_sts_fault_set(fault, TL_STS_MISSING_ACTION, "Missing Action");
	if (!version || !*version)
		return tl_sts_fault_set(fault, TL_STS_MISSING_PARAMETER,
					"The request must contain the parameter Version");
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(actions[i].name, name) == 0 &&
		    strcmp(tl_sts_service_version(actions[i].service), version) == 0) {
			found = &actions[i];
			break;
		}
	}
	if (!found)
		return tl_sts_fault_set(fault, TL_STS_INVALID_ACTION,
					"Could not find operation %s for version %s", name,
					version);
	for (size_t i = 0; i < q->count; i++) {
		if (!param_allowed(found, &q->params[i]))
			return tl_sts_fault_set(fault, TL_STS_INVALID_QUERY_PARAMETER,
						"The parameter %s is not recognized by %s",
						q->params[i].key, found->name);
	}
	*action = found;
	return 0;
}
