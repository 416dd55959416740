/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util/clock.h"

#include "sts/arwwi.h"
#include "sts/iam.h"
#include "sts/sts-private.h"

#define PATTERN_ROLE_NAME "[\\w+=,.@-]+"
#define PATTERN_PATH "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"
#define PATTERN_PATH_PREFIX "\\u002F[\\u0021-\\u007F]*"
#define PATTERN_DESCRIPTION "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*"
#define PATTERN_MARKER "[\\u0020-\\u00FF]+"
#define PATTERN_TAG_KEY "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"
#define PATTERN_TAG_VALUE "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"

static bool
cp_description(uint32_t cp)
{
	return cp == 0x09 || cp == 0x0a || cp == 0x0d || (cp >= 0x20 && cp <= 0x7e) ||
	       (cp >= 0xa1 && cp <= 0xff);
}

static bool
cp_marker(uint32_t cp)
{
	return cp >= 0x20 && cp <= 0xff;
}

static bool
cp_path_inner(uint32_t cp)
{
	return cp >= 0x21 && cp <= 0x7e;
}

static bool
cp_path_prefix_inner(uint32_t cp)
{
	return cp >= 0x21 && cp <= 0x7f;
}

/* \p{L}\p{Z}\p{N}_.:/=+-@: every non-ASCII code point is taken as a letter
 * (no Unicode tables here; documented approximation). */
static bool
cp_tag(uint32_t cp)
{
	if (cp >= 0x80)
		return true;
	return isalnum((int)cp) || cp == ' ' || strchr("_.:/=+-@", (int)cp) != NULL;
}

static void
check_role_name(struct tl_sts_vmsg *v, const char *member, const char *name)
{
	if (!name)
		tl_sts_vmsg_add(v, member, NULL, false, "Member must not be null");
	else if (tl_sts_check_length(v, member, name, false, 1, TL_STS_ROLE_NAME_MAX))
		tl_sts_check_pattern(v, member, name, false, tl_sts_cp_name, PATTERN_ROLE_NAME);
}

static void
check_path(struct tl_sts_vmsg *v, const char *member, const char *path, bool prefix)
{
	const char *p;
	bool ok;

	if (!tl_sts_check_length(v, member, path, false, 1, TL_STS_ROLE_PATH_MAX))
		return;
	ok = path[0] == '/';
	p = path + 1;
	while (ok && *p) {
		uint32_t cp = tl_sts_utf8_next(&p);
		ok = prefix ? cp_path_prefix_inner(cp) : cp_path_inner(cp);
	}
	if (ok && !prefix)
		ok = tl_sts_role_path_valid(path);
	if (!ok)
		tl_sts_vmsg_add(v, member, path, false,
				"Member must satisfy regular expression pattern: %s",
				prefix ? PATTERN_PATH_PREFIX : PATTERN_PATH);
}

static void
check_policy(struct tl_sts_vmsg *v, const char *member, const char *doc)
{
	if (!doc)
		tl_sts_vmsg_add(v, member, NULL, false, "Member must not be null");
	else if (tl_sts_check_length(v, member, doc, false, 1, 131072))
		tl_sts_check_pattern(v, member, doc, false, tl_sts_cp_latin1,
				     TL_STS_PATTERN_POLICY);
}

static void
check_arn(struct tl_sts_vmsg *v, const char *member, const char *arn)
{
	if (!arn)
		tl_sts_vmsg_add(v, member, NULL, false, "Member must not be null");
	else if (tl_sts_check_length(v, member, arn, false, 20, TL_STS_ARN_MAX))
		tl_sts_check_pattern(v, member, arn, false, tl_sts_cp_arn, TL_STS_PATTERN_ARN);
}

/* Integer parameters: a non-integer is InvalidParameterValue (-1). */
static int
get_int(const struct tl_sts_query *q, const char *name, long *out, bool *given,
	struct tl_sts_fault *fault)
{
	const char *s = tl_sts_query_get(q, name);

	*given = s != NULL;
	if (s && !tl_sts_parse_int(s, out))
		return tl_sts_fault_set(fault, TL_STS_INVALID_PARAMETER_VALUE,
					"Value '%s' for parameter %s is invalid. It must be an "
					"integer.",
					s, name);
	return 0;
}

static void
check_range(struct tl_sts_vmsg *v, const char *member, const struct tl_sts_query *q,
	    const char *name, long value, long min, long max)
{
	if (value < min)
		tl_sts_vmsg_add(v, member, tl_sts_query_get(q, name), false,
				"Member must have value greater than or equal to %ld", min);
	else if (value > max)
		tl_sts_vmsg_add(v, member, tl_sts_query_get(q, name), false,
				"Member must have value less than or equal to %ld", max);
}

static int
parse_tags(const struct tl_sts_query *q, struct tl_sts_vmsg *v, struct tl_sts_iam_request *req,
	   struct tl_sts_fault *fault)
{
	const char *keys[64], *values[64];
	size_t nk, nv, n;

	if (tl_sts_query_list(q, "Tags", ".Key", keys, 64, false, &nk, fault) < 0 ||
	    tl_sts_query_list(q, "Tags", ".Value", values, 64, false, &nv, fault) < 0)
		return -1;
	n = nk > nv ? nk : nv;
	for (size_t i = 0; i < n; i++) {
		if (!keys[i] && !values[i])
			return tl_sts_fault_set(fault, TL_STS_INVALID_QUERY_PARAMETER,
						"The parameter Tags.member.%zu is missing: list "
						"members are numbered 1, 2, 3, ... without gaps",
						i + 1);
	}
	if (n > TL_STS_IAM_TAGS_MAX) {
		tl_sts_vmsg_add(v, "tags", NULL, true,
				"Member must have length less than or equal to %d",
				TL_STS_IAM_TAGS_MAX);
		n = TL_STS_IAM_TAGS_MAX;
	}
	for (size_t i = 0; i < n; i++) {
		char km[48], vm[48];

		snprintf(km, sizeof(km), "tags.%zu.member.key", i + 1);
		snprintf(vm, sizeof(vm), "tags.%zu.member.value", i + 1);
		if (!keys[i])
			tl_sts_vmsg_add(v, km, NULL, false, "Member must not be null");
		else if (tl_sts_check_length(v, km, keys[i], false, 1, 128))
			tl_sts_check_pattern(v, km, keys[i], false, cp_tag, PATTERN_TAG_KEY);
		if (!values[i])
			tl_sts_vmsg_add(v, vm, NULL, false, "Member must not be null");
		else if (tl_sts_check_length(v, vm, values[i], false, 0, 256))
			tl_sts_check_pattern(v, vm, values[i], false, cp_tag, PATTERN_TAG_VALUE);
		req->tags[i] = (struct tl_sts_iam_tag){keys[i], values[i]};
	}
	req->tag_count = n;
	req->list_count = n;
	return 0;
}

/* IAM's rules for a provider URL beyond the model (reference/sts.md §2.1). */
static int
check_provider_url(struct tl_sts_iam_request *req, struct tl_sts_fault *fault)
{
	const char *host;
	size_t host_len;

	/* the prefix first: a URL shorter than it has no byte 8 to look at */
	if (strncmp(req->url, "https://", 8) != 0)
		return tl_sts_fault_set(fault, TL_STS_INVALID_INPUT,
					"Invalid URL %s: an OpenID Connect provider URL must "
					"begin with https://",
					req->url);
	host = req->url + 8;
	host_len = strcspn(host, "/");
	if (host_len == 0 || strpbrk(req->url + 8, "?#@ ") || memchr(host, ':', host_len) != NULL)
		return tl_sts_fault_set(fault, TL_STS_INVALID_INPUT,
					"Invalid URL %s: it must be https:// followed by a host "
					"name and an optional path, without a port, query string, "
					"fragment or user name",
					req->url);
	snprintf(req->url_host_path, sizeof(req->url_host_path), "%s", host);
	return 0;
}

static int
parse_oidc_arn(const struct tl_sts_query *q, struct tl_sts_vmsg *v, struct tl_sts_iam_request *req)
{
	req->provider_arn = tl_sts_query_get(q, "OpenIDConnectProviderArn");
	check_arn(v, "openIDConnectProviderArn", req->provider_arn);
	return 0;
}

int
tl_sts_iam_parse(const struct tl_sts_query *q, enum tl_sts_action action,
		 struct tl_sts_iam_request *req, struct tl_sts_fault *fault)
{
	struct tl_sts_vmsg v;
	long session = 0, items = 100;
	bool session_given = false, items_given = false;
	int rc = -1;

	memset(req, 0, sizeof(*req));
	req->action = action;
	req->path = "/";
	req->path_prefix = "/";
	req->max_items = 100;
	if (get_int(q, "MaxSessionDuration", &session, &session_given, fault) < 0 ||
	    get_int(q, "MaxItems", &items, &items_given, fault) < 0)
		return -1;
	tl_sts_vmsg_init(&v);

	switch (action) {
	case TL_STS_ACTION_CREATE_OPEN_ID_CONNECT_PROVIDER: {
		const char *ids[128], *thumbs[16];
		size_t nids, nthumbs;

		req->url = tl_sts_query_get(q, "Url");
		if (!req->url)
			tl_sts_vmsg_add(&v, "url", NULL, false, "Member must not be null");
		else
			tl_sts_check_length(&v, "url", req->url, false, 1, TL_STS_IAM_URL_MAX);
		if (tl_sts_query_list(q, "ClientIDList", "", ids, 128, true, &nids, fault) < 0 ||
		    tl_sts_query_list(q, "ThumbprintList", "", thumbs, 16, true, &nthumbs, fault) <
			    0)
			goto out;
		for (size_t i = 0; i < nids; i++) {
			char m[48];
			snprintf(m, sizeof(m), "clientIDList.%zu.member", i + 1);
			tl_sts_check_length(&v, m, ids[i], false, 1, 255);
			if (i < TL_STS_IAM_CLIENT_IDS_MAX)
				req->client_ids[i] = ids[i];
		}
		for (size_t i = 0; i < nthumbs; i++) {
			char m[48];
			snprintf(m, sizeof(m), "thumbprintList.%zu.member", i + 1);
			tl_sts_check_length(&v, m, thumbs[i], false, 40, 40);
			if (i < TL_STS_IAM_THUMBPRINTS_MAX)
				req->thumbprints[i] = thumbs[i];
		}
		if (parse_tags(q, &v, req, fault) < 0)
			goto out;
		if (tl_sts_vmsg_fault(&v, fault) < 0)
			goto out;
		if (nids > TL_STS_IAM_CLIENT_IDS_MAX) {
			tl_sts_fault_set(
				fault, TL_STS_LIMIT_EXCEEDED,
				"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: "
				"%d",
				TL_STS_IAM_CLIENT_IDS_MAX);
			goto out;
		}
		if (nthumbs > TL_STS_IAM_THUMBPRINTS_MAX) {
			tl_sts_fault_set(fault, TL_STS_LIMIT_EXCEEDED,
					 "Cannot exceed quota for "
					 "ThumbprintsPerOpenIdConnectProvider: %d",
					 TL_STS_IAM_THUMBPRINTS_MAX);
			goto out;
		}
		for (size_t i = 0; i < nthumbs; i++) {
			for (const char *c = thumbs[i]; *c; c++) {
				if (!isxdigit((unsigned char)*c)) {
					tl_sts_fault_set(fault, TL_STS_INVALID_INPUT,
							 "Thumbprint %s is not a 40-character "
							 "hexadecimal SHA-1 fingerprint",
							 thumbs[i]);
					goto out;
				}
			}
		}
		req->client_id_count = nids;
		req->thumbprint_count = nthumbs;
		req->list_count = nids;
		if (check_provider_url(req, fault) < 0)
			goto out;
		break;
	}
	case TL_STS_ACTION_GET_OPEN_ID_CONNECT_PROVIDER:
	case TL_STS_ACTION_DELETE_OPEN_ID_CONNECT_PROVIDER:
	case TL_STS_ACTION_ADD_CLIENT_ID_TO_OPEN_ID_CONNECT_PROVIDER: {
		char url[TL_STS_ARN_MAX + 1];

		parse_oidc_arn(q, &v, req);
		if (action == TL_STS_ACTION_ADD_CLIENT_ID_TO_OPEN_ID_CONNECT_PROVIDER) {
			req->client_id = tl_sts_query_get(q, "ClientID");
			if (!req->client_id)
				tl_sts_vmsg_add(&v, "clientID", NULL, false,
						"Member must not be null");
			else
				tl_sts_check_length(&v, "clientID", req->client_id, false, 1, 255);
		}
		if (tl_sts_vmsg_fault(&v, fault) < 0)
			goto out;
		if (tl_sts_arn_oidc_provider(req->provider_arn, req->provider_account, url,
					     sizeof(url)) < 0) {
			tl_sts_fault_set(fault, TL_STS_INVALID_INPUT, "ARN %s is not valid.",
					 req->provider_arn);
			goto out;
		}
		snprintf(req->url_host_path, sizeof(req->url_host_path), "%s", url);
		break;
	}
	case TL_STS_ACTION_LIST_OPEN_ID_CONNECT_PROVIDERS:
		break;
	case TL_STS_ACTION_CREATE_ROLE:
		req->role_name = tl_sts_query_get(q, "RoleName");
		if (tl_sts_query_get(q, "Path"))
			req->path = tl_sts_query_get(q, "Path");
		req->policy_document = tl_sts_query_get(q, "AssumeRolePolicyDocument");
		req->description = tl_sts_query_get(q, "Description");
		req->permissions_boundary = tl_sts_query_get(q, "PermissionsBoundary");
		check_path(&v, "path", req->path, false);
		check_role_name(&v, "roleName", req->role_name);
		check_policy(&v, "assumeRolePolicyDocument", req->policy_document);
		if (req->description &&
		    tl_sts_check_length(&v, "description", req->description, false, 0, 1000))
			tl_sts_check_pattern(&v, "description", req->description, false,
					     cp_description, PATTERN_DESCRIPTION);
		if (session_given)
			check_range(&v, "maxSessionDuration", q, "MaxSessionDuration", session,
				    TL_STS_IAM_SESSION_MIN, TL_STS_IAM_SESSION_MAX);
		if (req->permissions_boundary)
			check_arn(&v, "permissionsBoundary", req->permissions_boundary);
		if (parse_tags(q, &v, req, fault) < 0)
			goto out;
		if (tl_sts_vmsg_fault(&v, fault) < 0)
			goto out;
		if (req->permissions_boundary) {
			struct tl_sts_arn arn;
			if (tl_sts_arn_parse(req->permissions_boundary, &arn) < 0) {
				tl_sts_fault_set(fault, TL_STS_INVALID_INPUT,
						 "ARN %s is not valid.", req->permissions_boundary);
				goto out;
			}
		}
		req->max_session_duration = session_given ? (int)session : TL_STS_IAM_SESSION_MIN;
		break;
	case TL_STS_ACTION_GET_ROLE:
	case TL_STS_ACTION_DELETE_ROLE:
		req->role_name = tl_sts_query_get(q, "RoleName");
		check_role_name(&v, "roleName", req->role_name);
		break;
	case TL_STS_ACTION_LIST_ROLES:
		if (tl_sts_query_get(q, "PathPrefix"))
			req->path_prefix = tl_sts_query_get(q, "PathPrefix");
		req->marker = tl_sts_query_get(q, "Marker");
		check_path(&v, "pathPrefix", req->path_prefix, true);
		if (req->marker && tl_sts_check_length(&v, "marker", req->marker, false, 1, 320))
			tl_sts_check_pattern(&v, "marker", req->marker, false, cp_marker,
					     PATTERN_MARKER);
		if (items_given)
			check_range(&v, "maxItems", q, "MaxItems", items, 1, 1000);
		req->max_items = (int)items;
		break;
	case TL_STS_ACTION_UPDATE_ASSUME_ROLE_POLICY:
		req->role_name = tl_sts_query_get(q, "RoleName");
		req->policy_document = tl_sts_query_get(q, "PolicyDocument");
		check_role_name(&v, "roleName", req->role_name);
		check_policy(&v, "policyDocument", req->policy_document);
		break;
	case TL_STS_ACTION_UPDATE_ROLE:
		req->role_name = tl_sts_query_get(q, "RoleName");
		req->description = tl_sts_query_get(q, "Description");
		check_role_name(&v, "roleName", req->role_name);
		if (req->description &&
		    tl_sts_check_length(&v, "description", req->description, false, 0, 1000))
			tl_sts_check_pattern(&v, "description", req->description, false,
					     cp_description, PATTERN_DESCRIPTION);
		if (session_given)
			check_range(&v, "maxSessionDuration", q, "MaxSessionDuration", session,
				    TL_STS_IAM_SESSION_MIN, TL_STS_IAM_SESSION_MAX);
		req->max_session_duration = session_given ? (int)session : 0;
		break;
	default:
		tl_sts_fault_set(fault, TL_STS_INVALID_ACTION, NULL);
		goto out;
	}
	if (tl_sts_vmsg_fault(&v, fault) < 0)
		goto out;
	rc = 0;
out:
	tl_sts_vmsg_finish(&v);
	return rc;
}

void
tl_sts_iam_request_finish(struct tl_sts_iam_request *req)
{
	(void)req;
}

size_t
tl_sts_iam_policy_size(const char *document)
{
	size_t n = 0;

	for (const char *p = document; *p;) {
		uint32_t cp = tl_sts_utf8_next(&p);
		if (!(cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r'))
			n++;
	}
	return n;
}

int
tl_sts_iam_check_policy_size(const char *document, size_t quota, struct tl_sts_fault *fault)
{
	if (tl_sts_iam_policy_size(document) > quota)
		return tl_sts_fault_set(fault, TL_STS_LIMIT_EXCEEDED,
					"Cannot exceed quota for ACLSizePerRole: %zu", quota);
	return 0;
}

int
tl_sts_iam_url_encode(struct tl_buf *out, const char *s, struct tl_error *err)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int rc = isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~'
				 ? tl_buf_putc(out, (char)*p, err)
				 : tl_buf_printf(out, err, "%%%02X", *p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
element(struct tl_buf *out, int indent, const char *tag, const char *text, struct tl_error *err)
{
	if (tl_buf_printf(out, err, "%*s<%s>", indent, "", tag) < 0 ||
	    tl_sts_xml_text(out, text, err) < 0 || tl_buf_printf(out, err, "</%s>\n", tag) < 0)
		return -1;
	return 0;
}

static int
open_doc(struct tl_buf *out, const char *action, bool result, struct tl_error *err)
{
	if (tl_buf_printf(out, err, "<%sResponse xmlns=\"%s\">\n", action,
			  tl_sts_service_namespace(TL_STS_SERVICE_IAM)) < 0)
		return -1;
	return result ? tl_buf_printf(out, err, "  <%sResult>\n", action) : 0;
}

static int
close_doc(struct tl_buf *out, const char *action, const char *request_id, struct tl_error *err)
{
	if (tl_buf_printf(out, err, "  </%sResult>\n", action) < 0)
		return -1;
	return tl_sts_xml_metadata(out, action, request_id, err);
}

static int
rollback(struct tl_buf *out, size_t start)
{
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	return -1;
}

static int
members(struct tl_buf *out, int indent, const char *tag, const char *const *items, size_t n,
	struct tl_error *err)
{
	if (tl_buf_printf(out, err, "%*s<%s>\n", indent, "", tag) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (element(out, indent + 2, "member", items[i], err) < 0)
			return -1;
	}
	return tl_buf_printf(out, err, "%*s</%s>\n", indent, "", tag);
}

static int
tags_xml(struct tl_buf *out, int indent, const struct tl_sts_iam_tag *tags, size_t n,
	 struct tl_error *err)
{
	if (n == 0)
		return 0;
	if (tl_buf_printf(out, err, "%*s<Tags>\n", indent, "") < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (tl_buf_printf(out, err, "%*s<member>\n", indent + 2, "") < 0 ||
		    element(out, indent + 4, "Key", tags[i].key, err) < 0 ||
		    element(out, indent + 4, "Value", tags[i].value, err) < 0 ||
		    tl_buf_printf(out, err, "%*s</member>\n", indent + 2, "") < 0)
			return -1;
	}
	return tl_buf_printf(out, err, "%*s</Tags>\n", indent, "");
}

int
tl_sts_iam_create_oidc_provider_xml(struct tl_buf *out, const char *arn, const char *request_id,
				    struct tl_error *err)
{
	size_t start = out->len;
	static const char action[] = "CreateOpenIDConnectProvider";

	if (open_doc(out, action, true, err) < 0 ||
	    element(out, 4, "OpenIDConnectProviderArn", arn, err) < 0 ||
	    close_doc(out, action, request_id, err) < 0)
		return rollback(out, start);
	return 0;
}

int
tl_sts_iam_get_oidc_provider_xml(struct tl_buf *out, const struct tl_sts_iam_oidc_provider *p,
				 const char *request_id, struct tl_error *err)
{
	size_t start = out->len;
	static const char action[] = "GetOpenIDConnectProvider";
	char date[TL_TIME_ISO8601_LEN];

	tl_time_format_iso8601(p->create_date, date);
	/* element order of AWS's API reference sample */
	if (open_doc(out, action, true, err) < 0 ||
	    members(out, 4, "ThumbprintList", p->thumbprints, p->thumbprint_count, err) < 0 ||
	    element(out, 4, "CreateDate", date, err) < 0 ||
	    members(out, 4, "ClientIDList", p->client_ids, p->client_id_count, err) < 0 ||
	    element(out, 4, "Url", p->url, err) < 0 ||
	    tags_xml(out, 4, p->tags, p->tag_count, err) < 0 ||
	    close_doc(out, action, request_id, err) < 0)
		return rollback(out, start);
	return 0;
}

int
tl_sts_iam_list_oidc_providers_xml(struct tl_buf *out, const char *const *arns, size_t count,
				   const char *request_id, struct tl_error *err)
{
	size_t start = out->len;
	static const char action[] = "ListOpenIDConnectProviders";

	if (open_doc(out, action, true, err) < 0 ||
	    tl_buf_append_str(out, "    <OpenIDConnectProviderList>\n", err) < 0)
		return rollback(out, start);
	for (size_t i = 0; i < count; i++) {
		if (tl_buf_append_str(out, "      <member>\n", err) < 0 ||
		    element(out, 8, "Arn", arns[i], err) < 0 ||
		    tl_buf_append_str(out, "      </member>\n", err) < 0)
			return rollback(out, start);
	}
	if (tl_buf_append_str(out, "    </OpenIDConnectProviderList>\n", err) < 0 ||
	    close_doc(out, action, request_id, err) < 0)
		return rollback(out, start);
	return 0;
}

/* One <Role> (or <member>) body at `indent`. */
static int
role_fields(struct tl_buf *out, int indent, const struct tl_sts_iam_role *r, struct tl_error *err)
{
	char date[TL_TIME_ISO8601_LEN];

	tl_time_format_iso8601(r->create_date, date);
	if (element(out, indent, "Path", r->path, err) < 0 ||
	    element(out, indent, "Arn", r->arn, err) < 0 ||
	    element(out, indent, "RoleName", r->name, err) < 0 ||
	    tl_buf_printf(out, err, "%*s<AssumeRolePolicyDocument>", indent, "") < 0 ||
	    tl_sts_iam_url_encode(out, r->assume_role_policy, err) < 0 ||
	    tl_buf_append_str(out, "</AssumeRolePolicyDocument>\n", err) < 0)
		return -1;
	if (r->description && element(out, indent, "Description", r->description, err) < 0)
		return -1;
	if (tl_buf_printf(out, err, "%*s<MaxSessionDuration>%d</MaxSessionDuration>\n", indent, "",
			  r->max_session_duration) < 0 ||
	    element(out, indent, "CreateDate", date, err) < 0 ||
	    element(out, indent, "RoleId", r->id, err) < 0 ||
	    tags_xml(out, indent, r->tags, r->tag_count, err) < 0)
		return -1;
	return 0;
}

int
tl_sts_iam_role_xml(struct tl_buf *out, enum tl_sts_action action,
		    const struct tl_sts_iam_role *role, const char *request_id,
		    struct tl_error *err)
{
	size_t start = out->len;
	const char *name = action == TL_STS_ACTION_CREATE_ROLE ? "CreateRole" : "GetRole";

	if (action != TL_STS_ACTION_CREATE_ROLE && action != TL_STS_ACTION_GET_ROLE)
		return tl_error_set(err, TL_ERR_INVALID, "not a role action");
	if (open_doc(out, name, true, err) < 0 || tl_buf_append_str(out, "    <Role>\n", err) < 0 ||
	    role_fields(out, 6, role, err) < 0 ||
	    tl_buf_append_str(out, "    </Role>\n", err) < 0 ||
	    close_doc(out, name, request_id, err) < 0)
		return rollback(out, start);
	return 0;
}

int
tl_sts_iam_list_roles_xml(struct tl_buf *out, const struct tl_sts_iam_role *roles, size_t count,
			  const char *next_marker, const char *request_id, struct tl_error *err)
{
	size_t start = out->len;
	static const char action[] = "ListRoles";

	if (open_doc(out, action, true, err) < 0 ||
	    tl_buf_printf(out, err, "    <IsTruncated>%s</IsTruncated>\n",
			  next_marker ? "true" : "false") < 0 ||
	    (next_marker && element(out, 4, "Marker", next_marker, err) < 0) ||
	    tl_buf_append_str(out, "    <Roles>\n", err) < 0)
		return rollback(out, start);
	for (size_t i = 0; i < count; i++) {
		if (tl_buf_append_str(out, "      <member>\n", err) < 0 ||
		    role_fields(out, 8, &roles[i], err) < 0 ||
		    tl_buf_append_str(out, "      </member>\n", err) < 0)
			return rollback(out, start);
	}
	if (tl_buf_append_str(out, "    </Roles>\n", err) < 0 ||
	    close_doc(out, action, request_id, err) < 0)
		return rollback(out, start);
	return 0;
}

int
tl_sts_iam_empty_xml(struct tl_buf *out, enum tl_sts_action action, const char *request_id,
		     struct tl_error *err)
{
	const struct tl_sts_action_info *info = tl_sts_action_info(action);
	size_t start = out->len;

	if (!info || info->service != TL_STS_SERVICE_IAM)
		return tl_error_set(err, TL_ERR_INVALID, "not an IAM action");
	if (open_doc(out, info->name, false, err) < 0 ||
	    (action == TL_STS_ACTION_UPDATE_ROLE &&
	     tl_buf_append_str(out, "  <UpdateRoleResult/>\n", err) < 0) ||
	    tl_sts_xml_metadata(out, info->name, request_id, err) < 0)
		return rollback(out, start);
	return 0;
}
