/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "exchange/exchange.h"
#include "http/client.h"
#include "sts/sigv4.h"

#define FORM_MAX (256 * 1024)
#define REPLY_MAX (4 * 1024 * 1024)

struct tl_exchange {
	char *issuer_url;
	char *sts_url;
	char *access_key_id;
	char *secret;
	char *region;
	const struct tl_clock *clock;
	struct tl_http_client *http;
};

static char *
dup_or(const char *s, const char *fallback)
{
	return strdup(s && *s ? s : fallback);
}

/* Drops a trailing '/' so paths can be appended. */
static void
trim_slash(char *url)
{
	size_t n = url ? strlen(url) : 0;
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
}

struct tl_exchange *
tl_exchange_new(const struct tl_exchange_config *cfg, struct tl_error *err)
{
	struct tl_http_client_config hc;
	struct tl_exchange *ex = calloc(1, sizeof(*ex));

	if (!ex) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	ex->issuer_url = dup_or(cfg->issuer_url, "");
	ex->sts_url = dup_or(cfg->sts_url, "");
	ex->access_key_id = dup_or(cfg->access_key_id, "test");
	ex->secret = dup_or(cfg->secret, "test");
	ex->region = dup_or(cfg->region, "us-east-1");
	ex->clock = cfg->clock;
	if (!ex->issuer_url || !ex->sts_url || !ex->access_key_id || !ex->secret || !ex->region) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		tl_exchange_free(ex);
		return NULL;
	}
	trim_slash(ex->issuer_url);
	trim_slash(ex->sts_url);
	tl_http_client_config_init(&hc);
	if (cfg->timeout_ms > 0)
		hc.timeout_ms = cfg->timeout_ms;
	hc.max_response = REPLY_MAX;
	ex->http = tl_http_client_new(&hc, err);
	if (!ex->http) {
		tl_exchange_free(ex);
		return NULL;
	}
	return ex;
}

void
tl_exchange_free(struct tl_exchange *ex)
{
	if (!ex)
		return;
	tl_http_client_free(ex->http);
	free(ex->issuer_url);
	free(ex->sts_url);
	free(ex->access_key_id);
	free(ex->secret);
	free(ex->region);
	free(ex);
}

void
tl_aws_reply_init(struct tl_aws_reply *r)
{
	r->status = 0;
	r->code[0] = r->message[0] = r->request_id[0] = r->decision[0] = '\0';
	tl_buf_init(&r->body, REPLY_MAX);
}

void
tl_aws_reply_finish(struct tl_aws_reply *r)
{
	if (r)
		tl_buf_finish(&r->body);
}

/* Percent-encodes as botocore does: everything but A-Z a-z 0-9 - _ . ~ */
static int
form_encode(struct tl_buf *b, const char *s, struct tl_error *err)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			if (tl_buf_putc(b, (char)*p, err) < 0)
				return -1;
		} else {
			char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			if (tl_buf_append(b, enc, 3, err) < 0)
				return -1;
		}
	}
	return 0;
}

bool
tl_xml_element_text(const char *xml, const char *name, char *out, size_t size)
{
	char open[160], close[160];
	const char *start, *end;
	size_t n = 0;

	if (size == 0)
		return false;
	out[0] = '\0';
	snprintf(open, sizeof(open), "<%s>", name);
	snprintf(close, sizeof(close), "</%s>", name);
	start = strstr(xml, open);
	if (!start)
		return false;
	start += strlen(open);
	end = strstr(start, close);
	if (!end)
		return false;
	for (const char *p = start; p < end && n + 1 < size; p++) {
		static const struct {
			const char *entity;
			char c;
		} entities[] = {{"&lt;", '<'},
				{"&gt;", '>'},
				{"&amp;", '&'},
				{"&quot;", '"'},
				{"&apos;", '\''}};
		char c = *p;
		if (*p == '&') {
			for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++) {
				size_t len = strlen(entities[i].entity);
				if ((size_t)(end - p) >= len &&
				    strncmp(p, entities[i].entity, len) == 0) {
					c = entities[i].c;
					p += len - 1;
					break;
				}
			}
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return true;
}

/* "http://HOST:PORT/..." -> "HOST:PORT", as curl sends it in Host. */
static void
host_of(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p ? p + 3 : url;
	n = strcspn(p, "/?#");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

int
tl_exchange_aws_call(struct tl_exchange *ex, const char *service, const char *const *params,
		     struct tl_aws_reply *reply, struct tl_error *err)
{
	static const char content_type[] = "application/x-www-form-urlencoded; charset=utf-8";
	struct tl_buf form;
	struct tl_http_reply http;
	char url[1024], host[256], amz_date[TL_STS_AMZ_DATE_LEN + 1], auth[1024];
	char h_type[128], h_date[64], h_auth[1200];
	const char *headers[4] = {h_type, NULL, NULL, NULL};
	int rc = -1;

	tl_buf_init(&form, FORM_MAX);
	tl_http_reply_init(&http);
	for (size_t i = 0; params[i] && params[i + 1]; i += 2) {
		if ((i > 0 && tl_buf_putc(&form, '&', err) < 0) ||
		    form_encode(&form, params[i], err) < 0 || tl_buf_putc(&form, '=', err) < 0 ||
		    form_encode(&form, params[i + 1], err) < 0)
			goto out;
	}
	snprintf(url, sizeof(url), "%s/", ex->sts_url);
	snprintf(h_type, sizeof(h_type), "Content-Type: %s", content_type);
	if (service) {
		host_of(ex->sts_url, host, sizeof(host));
		tl_sts_sigv4_format_date(tl_clock_now(ex->clock), amz_date);
		const struct tl_sts_http_header signed_headers[] = {
			{"Content-Type", content_type},
			{"Host", host},
			{"X-Amz-Date", amz_date},
		};
		const struct tl_sts_http_request req = {
			.method = "POST",
			.path = "/",
			.query = "",
			.headers = signed_headers,
			.header_count = 3,
			.body = tl_buf_str(&form),
			.body_len = form.len,
		};
		if (tl_sts_sigv4_sign(&req, ex->access_key_id, ex->secret, ex->region, service,
				      auth, sizeof(auth), err) < 0)
			goto out;
		snprintf(h_date, sizeof(h_date), "X-Amz-Date: %s", amz_date);
		snprintf(h_auth, sizeof(h_auth), "Authorization: %s", auth);
		headers[1] = h_date;
		headers[2] = h_auth;
	}
	if (tl_http_client_request(ex->http, "POST", url, headers, tl_buf_str(&form), form.len,
				   &http, err) < 0)
		goto out;

	reply->status = http.status;
	tl_buf_reset(&reply->body);
	if (tl_buf_append(&reply->body, tl_buf_str(&http.body), http.body.len, err) < 0)
		goto out;
	tl_xml_element_text(tl_buf_str(&http.body), "RequestId", reply->request_id,
			    sizeof(reply->request_id));
	reply->code[0] = reply->message[0] = '\0';
	if (http.status != 200) {
		tl_xml_element_text(tl_buf_str(&http.body), "Code", reply->code,
				    sizeof(reply->code));
		tl_xml_element_text(tl_buf_str(&http.body), "Message", reply->message,
				    sizeof(reply->message));
	}
	if (!tl_http_reply_header(&http, "x-trustlab-decision", reply->decision,
				  sizeof(reply->decision)))
		reply->decision[0] = '\0';
	rc = 0;
out:
	tl_http_reply_finish(&http);
	tl_buf_finish(&form);
	return rc;
}

void
tl_mint_result_finish(struct tl_mint_result *r)
{
	if (!r)
		return;
	free(r->token);
	json_decref(r->claims);
	r->token = NULL;
	r->claims = NULL;
}

int
tl_exchange_mint(struct tl_exchange *ex, const char *prefix, const json_t *request,
		 struct tl_mint_result *res, struct tl_error *err)
{
	static const char *const headers[] = {"Content-Type: application/json", NULL};
	struct tl_http_reply http;
	char url[1024];
	char *body = json_dumps(request, JSON_COMPACT);
	json_t *doc = NULL;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	tl_http_reply_init(&http);
	if (!body) {
		tl_error_set(err, TL_ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(url, sizeof(url), "%s%s/tokens", ex->issuer_url, prefix);
	if (tl_http_client_request(ex->http, "POST", url, headers, body, strlen(body), &http, err) <
	    0)
		goto out;
	res->status = http.status;
	doc = json_loadb(tl_buf_str(&http.body), http.body.len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		tl_error_set(err, TL_ERR_NETWORK, "POST %s: HTTP %ld with a body that is not JSON",
			     url, http.status);
		goto out;
	}
	if (http.status == 200) {
		const char *token = json_string_value(json_object_get(doc, "token"));
		if (!token) {
			tl_error_set(err, TL_ERR_NETWORK, "POST %s: answer without \"token\"", url);
			goto out;
		}
		res->token = strdup(token);
		res->claims = json_incref(json_object_get(doc, "claims"));
		if (!res->token) {
			tl_error_set(err, TL_ERR_NOMEM, "out of memory");
			goto out;
		}
	} else {
		const char *why = json_string_value(json_object_get(doc, "reason"));
		const char *where = json_string_value(json_object_get(doc, "path"));
		if (!why)
			why = json_string_value(json_object_get(doc, "message"));
		/* A 400 names the field at fault: keep it in front of the message. */
		if (where && *where && why && strncmp(why, where, strlen(where)) != 0)
			snprintf(res->reason, sizeof(res->reason), "%s: %s", where, why);
		else
			snprintf(res->reason, sizeof(res->reason), "%s", why ? why : "");
	}
	rc = 0;
out:
	json_decref(doc);
	free(body);
	tl_http_reply_finish(&http);
	if (rc < 0)
		tl_mint_result_finish(res);
	return rc;
}

int
tl_exchange_assume(struct tl_exchange *ex, const char *role_arn, const char *session_name,
		   const char *token, long duration_seconds, struct tl_aws_reply *reply,
		   struct tl_assumed *out, struct tl_error *err)
{
	char duration[32];
	const char *params[13] = {
		"Action",
		"AssumeRoleWithWebIdentity",
		"Version",
		"2011-06-15",
		"RoleArn",
		role_arn,
		"RoleSessionName",
		session_name,
		"WebIdentityToken",
		token,
		NULL,
		NULL,
		NULL,
	};

	/* A NULL value would end the list early and silently drop what follows. */
	if (!role_arn || !session_name || !token)
		return tl_error_set(err, TL_ERR_INVALID,
				    "AssumeRoleWithWebIdentity needs a role ARN, a session name "
				    "and a token");
	if (duration_seconds > 0) {
		snprintf(duration, sizeof(duration), "%ld", duration_seconds);
		params[10] = "DurationSeconds";
		params[11] = duration;
	}
	if (tl_exchange_aws_call(ex, NULL, params, reply, err) < 0)
		return -1;
	if (out) {
		const char *xml = tl_buf_str(&reply->body);
		memset(out, 0, sizeof(*out));
		if (reply->status == 200) {
			/* AssumedRoleUser holds Arn and AssumedRoleId; it comes
			 * before Provider, whose own element is not an Arn. */
			const char *user = strstr(xml, "<AssumedRoleUser>");
			tl_xml_element_text(user ? user : xml, "Arn", out->assumed_role_arn,
					    sizeof(out->assumed_role_arn));
			tl_xml_element_text(xml, "AssumedRoleId", out->assumed_role_id,
					    sizeof(out->assumed_role_id));
			tl_xml_element_text(xml, "AccessKeyId", out->access_key_id,
					    sizeof(out->access_key_id));
			tl_xml_element_text(xml, "SecretAccessKey", out->secret_access_key,
					    sizeof(out->secret_access_key));
			tl_xml_element_text(xml, "SessionToken", out->session_token,
					    sizeof(out->session_token));
			tl_xml_element_text(xml, "Expiration", out->expiration,
					    sizeof(out->expiration));
			tl_xml_element_text(xml, "SubjectFromWebIdentityToken", out->subject,
					    sizeof(out->subject));
			tl_xml_element_text(xml, "Audience", out->audience, sizeof(out->audience));
			tl_xml_element_text(xml, "Provider", out->provider, sizeof(out->provider));
		}
	}
	return 0;
}

/* Fails unless the IAM call answered 200; the error names the AWS code. */
static int
iam_call(struct tl_exchange *ex, const char *const *params, struct tl_aws_reply *reply,
	 struct tl_error *err)
{
	if (tl_exchange_aws_call(ex, "iam", params, reply, err) < 0)
		return -1;
	if (reply->status != 200 && !reply->code[0])
		return tl_error_set(err, TL_ERR_INVALID,
				    "IAM %s: HTTP status %ld without an AWS error (is %s an STS?)",
				    params[1], (long)reply->status, ex->sts_url);
	if (reply->status != 200)
		return tl_error_set(err, TL_ERR_INVALID, "IAM %s: %s: %s", params[1], reply->code,
				    reply->message);
	return 0;
}

int
tl_exchange_create_provider(struct tl_exchange *ex, const char *url, const char *const *client_ids,
			    char *arn, size_t arn_size, struct tl_aws_reply *reply,
			    struct tl_error *err)
{
	enum { MAX_IDS = 100 };
	const char *params[8 + 2 * MAX_IDS + 1];
	char keys[MAX_IDS][40];
	size_t n = 0, i = 0;

	params[n++] = "Action";
	params[n++] = "CreateOpenIDConnectProvider";
	params[n++] = "Version";
	params[n++] = "2010-05-08";
	params[n++] = "Url";
	params[n++] = url;
	for (; client_ids && client_ids[i]; i++) {
		if (i == MAX_IDS)
			return tl_error_set(err, TL_ERR_LIMIT, "more than %d client ids", MAX_IDS);
		snprintf(keys[i], sizeof(keys[i]), "ClientIDList.member.%zu", i + 1);
		params[n++] = keys[i];
		params[n++] = client_ids[i];
	}
	params[n] = NULL;
	if (iam_call(ex, params, reply, err) < 0)
		return -1;
	if (arn && !tl_xml_element_text(tl_buf_str(&reply->body), "OpenIDConnectProviderArn", arn,
					arn_size))
		return tl_error_set(err, TL_ERR_NETWORK,
				    "CreateOpenIDConnectProvider answered without an ARN");
	return 0;
}

int
tl_exchange_delete_provider(struct tl_exchange *ex, const char *arn, struct tl_aws_reply *reply,
			    struct tl_error *err)
{
	const char *const params[] = {"Action",	    "DeleteOpenIDConnectProvider", "Version",
				      "2010-05-08", "OpenIDConnectProviderArn",	   arn,
				      NULL};
	return iam_call(ex, params, reply, err);
}

int
tl_exchange_create_role(struct tl_exchange *ex, const char *name, const char *policy,
			long max_session_duration, char *arn, size_t arn_size,
			struct tl_aws_reply *reply, struct tl_error *err)
{
	char duration[32];
	const char *params[11] = {"Action",
				  "CreateRole",
				  "Version",
				  "2010-05-08",
				  "RoleName",
				  name,
				  "AssumeRolePolicyDocument",
				  policy};

	if (max_session_duration > 0) {
		snprintf(duration, sizeof(duration), "%ld", max_session_duration);
		params[8] = "MaxSessionDuration";
		params[9] = duration;
	}
	if (iam_call(ex, params, reply, err) < 0)
		return -1;
	if (arn && !tl_xml_element_text(tl_buf_str(&reply->body), "Arn", arn, arn_size))
		return tl_error_set(err, TL_ERR_NETWORK, "CreateRole answered without an ARN");
	return 0;
}

int
tl_exchange_delete_role(struct tl_exchange *ex, const char *name, struct tl_aws_reply *reply,
			struct tl_error *err)
{
	const char *const params[] = {"Action",	  "DeleteRole", "Version", "2010-05-08",
				      "RoleName", name,		NULL};
	return iam_call(ex, params, reply, err);
}

void
tl_exchange_outcome_finish(struct tl_exchange_outcome *o)
{
	if (!o)
		return;
	json_decref(o->claims);
	o->claims = NULL;
}

int
tl_exchange_run_case(struct tl_exchange *ex, const struct tl_exchange_case *c,
		     struct tl_exchange_outcome *out, struct tl_error *err)
{
	struct tl_mint_result mint;
	struct tl_aws_reply reply;
	struct tl_assumed assumed;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (tl_exchange_mint(ex, c->issuer_prefix, c->mint_request, &mint, err) < 0)
		return -1;
	if (mint.status == 403) {
		snprintf(out->outcome, sizeof(out->outcome), "no-token");
		snprintf(out->detail, sizeof(out->detail), "%s", mint.reason);
		tl_mint_result_finish(&mint);
		return 0;
	}
	if (mint.status != 200) {
		tl_error_set(err, TL_ERR_INVALID,
			     "the issuer refused the token request (HTTP %ld): %s", mint.status,
			     mint.reason);
		tl_mint_result_finish(&mint);
		return -1;
	}
	out->claims = mint.claims;
	mint.claims = NULL;

	tl_aws_reply_init(&reply);
	if (tl_exchange_assume(ex, c->role_arn, c->session_name, mint.token, c->duration_seconds,
			       &reply, &assumed, err) < 0)
		goto done;
	snprintf(out->request_id, sizeof(out->request_id), "%s", reply.request_id);
	snprintf(out->decision, sizeof(out->decision), "%s", reply.decision);
	if (reply.status == 200) {
		snprintf(out->outcome, sizeof(out->outcome), "allow");
		snprintf(out->assumed_role_arn, sizeof(out->assumed_role_arn), "%s",
			 assumed.assumed_role_arn);
	} else if (reply.code[0]) {
		snprintf(out->outcome, sizeof(out->outcome), "%s",
			 strcmp(reply.code, "AccessDenied") == 0 ? "deny" : reply.code);
		snprintf(out->detail, sizeof(out->detail), "%s", reply.message);
	} else {
		tl_error_set(err, TL_ERR_NETWORK,
			     "AssumeRoleWithWebIdentity answered HTTP %ld without an AWS error",
			     reply.status);
		goto done;
	}
	rc = 0;
done:
	tl_aws_reply_finish(&reply);
	tl_mint_result_finish(&mint);
	if (rc < 0)
		tl_exchange_outcome_finish(out);
	return rc;
}

json_t *
tl_exchange_decision(struct tl_exchange *ex, const char *request_id, struct tl_error *err)
{
	struct tl_http_reply http;
	char url[1024];
	json_t *doc = NULL;

	tl_http_reply_init(&http);
	snprintf(url, sizeof(url), "%s/_trustlab/decisions/%s", ex->sts_url, request_id);
	if (tl_http_client_request(ex->http, "GET", url, NULL, NULL, 0, &http, err) == 0) {
		if (http.status == 200)
			doc = json_loadb(tl_buf_str(&http.body), http.body.len, 0, NULL);
		if (!doc)
			tl_error_set(err, TL_ERR_NOT_FOUND, "GET %s: HTTP %ld", url, http.status);
	}
	tl_http_reply_finish(&http);
	return doc;
}
