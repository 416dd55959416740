/* SPDX-License-Identifier: MIT */
/*
 * The credential endpoints of lib/stsd on the wire (docs/credential-chain.md):
 * EC2 instance metadata (IMDSv2 token PUT, the security-credentials paths,
 * IMDSv1 refused or allowed, expired and unknown tokens, the hop limit),
 * the ECS container-credentials endpoint (Authorization token, unknown
 * task), a role that does not trust the service (IMDS's
 * AssumeRoleUnauthorizedAccess body, ECS's InvalidIdInRequest) with its
 * decision trace, and GetCallerIdentity for every kind of credentials:
 * instance and task sessions, static users, the admin key, unknown keys.
 *
 * Facts pinned: reference/sts.md §1.7 (GetCallerIdentity); the IMDS and
 * ECS answers cited in docs/credential-chain.md "The endpoints".
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

#include "http/client.h"
#include "http/server.h"
#include "sts/sigv4.h"
#include "stsd/stsd.h"
#include "test-common.h"

#define ACCOUNT "123456789012"
#define NOW 1795000000LL /* 2026-11-18T11:06:40Z */
#define NOW_ISO "2026-11-18T11:06:40Z"
#define EXPIRY_ISO "2026-11-18T17:06:40Z" /* six hours later */

static const char ec2_policy[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
	"{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}";
static const char ecs_policy[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
	"{\"Service\":\"ecs-tasks.amazonaws.com\"},\"Action\":\"sts:AssumeRole\","
	"\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":\"" ACCOUNT "\"}}}]}";
/* Trusts the service, but only for AssumeRoleWithWebIdentity. */
static const char wrong_action_policy[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
	"{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:TagSession\"}]}";

static struct {
	struct tl_clock clock;
	struct tl_stsd *svc;
	struct tl_http_server *sts, *imds;
	struct tl_http_client *cl;
	char sts_url[128], imds_url[128];
} E;

struct answer {
	long status;
	char body[8192];
	char decision[512];
	char request_id[128];
	char ctype[128];
	char ttl[32];
};

static void
request(const char *method, const char *url, const char *const *headers, const char *body,
	struct answer *a)
{
	struct tl_http_reply r;
	struct tl_error err;

	tl_http_reply_init(&r);
	ck_assert_msg(tl_http_client_request(E.cl, method, url, headers, body,
					     body ? strlen(body) : 0, &r, &err) == 0,
		      "%s %s: %s", method, url, err.message);
	a->status = r.status;
	snprintf(a->body, sizeof(a->body), "%s", tl_buf_str(&r.body));
	snprintf(a->ctype, sizeof(a->ctype), "%s", r.content_type);
	if (!tl_http_reply_header(&r, "x-trustlab-decision", a->decision, sizeof(a->decision)))
		a->decision[0] = '\0';
	if (!tl_http_reply_header(&r, "x-trustlab-request-id", a->request_id,
				  sizeof(a->request_id)))
		a->request_id[0] = '\0';
	if (!tl_http_reply_header(&r, "X-aws-ec2-metadata-token-ttl-seconds", a->ttl,
				  sizeof(a->ttl)))
		a->ttl[0] = '\0';
	tl_http_reply_finish(&r);
}

static void
imds(const char *method, const char *path, const char *header, struct answer *a)
{
	char url[512];
	const char *h[] = {header, NULL};
	snprintf(url, sizeof(url), "%s%s", E.imds_url, path);
	request(method, url, header ? h : NULL, NULL, a);
}

static void
imds_token(const char *ttl, char *out, size_t size)
{
	struct answer a;
	char h[128];
	snprintf(h, sizeof(h), "X-aws-ec2-metadata-token-ttl-seconds: %s", ttl);
	imds("PUT", "/latest/api/token", h, &a);
	ck_assert_msg(a.status == 200, "token: %ld %s", a.status, a.body);
	snprintf(out, size, "X-aws-ec2-metadata-token: %.96s", a.body);
}

static void
ecs(const char *task, const char *authorization, struct answer *a)
{
	char url[512], h[256];
	const char *hs[] = {h, NULL};
	snprintf(url, sizeof(url), "%s/_trustlab/ecs/%s", E.sts_url, task);
	snprintf(h, sizeof(h), "Authorization: %s", authorization ? authorization : "");
	request("GET", url, authorization ? hs : NULL, NULL, a);
}

/* GetCallerIdentity signed with the given credentials; the Arn or the error code. */
static void
whoami(const char *akid, const char *secret, const char *token, char *out, size_t size)
{
	static const char body[] = "Action=GetCallerIdentity&Version=2011-06-15";
	char host[64], date[TL_STS_AMZ_DATE_LEN + 1], auth[1024], hh[3][3000], url[256];
	struct tl_sts_http_header hs[4];
	struct tl_sts_http_request req;
	const char *lines[6];
	size_t n = 0;
	struct answer a;
	const char *tag, *end;

	snprintf(host, sizeof(host), "127.0.0.1:%u", tl_http_server_port(E.sts));
	tl_sts_sigv4_format_date(tl_clock_now(&E.clock), date);
	hs[n++] = (struct tl_sts_http_header){"Content-Type",
					      "application/x-www-form-urlencoded; charset=utf-8"};
	hs[n++] = (struct tl_sts_http_header){"Host", host};
	hs[n++] = (struct tl_sts_http_header){"X-Amz-Date", date};
	if (token)
		hs[n++] = (struct tl_sts_http_header){"X-Amz-Security-Token", token};
	req = (struct tl_sts_http_request){"POST", "/", "", hs, n, body, strlen(body)};
	ck_assert_int_eq(
		tl_sts_sigv4_sign(&req, akid, secret, "us-east-1", "sts", auth, sizeof(auth), NULL),
		0);
	snprintf(hh[0], sizeof(hh[0]), "X-Amz-Date: %s", date);
	snprintf(hh[1], sizeof(hh[1]), "Authorization: %s", auth);
	n = 0;
	lines[n++] = "Content-Type: application/x-www-form-urlencoded; charset=utf-8";
	lines[n++] = hh[0];
	lines[n++] = hh[1];
	if (token) {
		snprintf(hh[2], sizeof(hh[2]), "X-Amz-Security-Token: %s", token);
		lines[n++] = hh[2];
	}
	lines[n] = NULL;
	snprintf(url, sizeof(url), "%s/", E.sts_url);
	request("POST", url, lines, body, &a);
	tag = a.status == 200 ? "<Arn>" : "<Code>";
	if (!strstr(a.body, tag)) {
		snprintf(out, size, "HTTP %ld: %.400s", a.status, a.body);
		return;
	}
	tag = strstr(a.body, tag) + strlen(tag);
	end = strchr(tag, '<');
	snprintf(out, size, "%.*s", (int)(end - tag), tag);
}

/* A JSON object's members, in order: "Code,LastUpdated,...". */
static void
member_names(const char *body, char *out, size_t size)
{
	json_t *j = json_loads(body, 0, NULL);
	const char *k;
	json_t *v;

	out[0] = '\0';
	ck_assert_msg(json_is_object(j), "not a JSON object: %s", body);
	json_object_foreach(j, k, v)
	{
		(void)v;
		snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? "," : "", k);
	}
	json_decref(j);
}

static const char *
member(const char *body, const char *key, char *out, size_t size)
{
	json_t *j = json_loads(body, 0, NULL);
	const char *s = json_string_value(json_object_get(j, key));
	snprintf(out, size, "%s", s ? s : "(absent)");
	json_decref(j);
	return out;
}

static void
setup(void)
{
	struct tl_stsd_config cfg;
	struct tl_http_server_config hc;
	struct tl_error err;
	const struct tl_stsd_instance inst = {
		.id = "i-0abc", .role = "app", .tokens = TL_STSD_IMDS_REQUIRED};

	memset(&E, 0, sizeof(E));
	tl_clock_init_pinned(&E.clock, NOW * 1000);
	tl_stsd_config_init(&cfg);
	cfg.clock = &E.clock;
	cfg.seed = "credentials";
	E.svc = tl_stsd_new(&cfg, &err);
	ck_assert_msg(E.svc != NULL, "%s", err.message);
	ck_assert_int_eq(tl_stsd_create_role(E.svc, "app", NULL, ec2_policy, 0, &err), 0);
	ck_assert_int_eq(tl_stsd_create_role(E.svc, "task", NULL, ecs_policy, 0, &err), 0);
	ck_assert_int_eq(tl_stsd_create_role(E.svc, "tagger", NULL, wrong_action_policy, 0, &err),
			 0);
	ck_assert_int_eq(tl_stsd_set_instance(E.svc, &inst, &err), 0);
	ck_assert_int_eq(tl_stsd_set_task(E.svc, "t1", "task", "sekrit", &err), 0);
	ck_assert_int_eq(tl_stsd_set_task(E.svc, "t2", "app", "tok2", &err), 0);
	ck_assert_int_eq(
		tl_stsd_add_user(E.svc, "ci-legacy", "AKIAOLDKEY0000000001", "oldsecret", &err), 0);
	tl_http_server_config_init(&hc);
	E.sts = tl_http_server_new(&hc, &err);
	ck_assert_ptr_nonnull(E.sts);
	ck_assert_int_eq(tl_stsd_mount(E.svc, E.sts, &err), 0);
	ck_assert_int_eq(tl_http_server_start(E.sts, &err), 0);
	E.imds = tl_http_server_new(&hc, &err);
	ck_assert_ptr_nonnull(E.imds);
	ck_assert_int_eq(tl_stsd_mount_imds(E.svc, E.imds, &err), 0);
	ck_assert_int_eq(tl_http_server_start(E.imds, &err), 0);
	snprintf(E.sts_url, sizeof(E.sts_url), "%s", tl_http_server_url(E.sts));
	snprintf(E.imds_url, sizeof(E.imds_url), "%s", tl_http_server_url(E.imds));
	E.cl = tl_http_client_new(NULL, &err);
	ck_assert_ptr_nonnull(E.cl);
}

static void
teardown(void)
{
	tl_http_client_free(E.cl);
	tl_http_server_free(E.imds);
	tl_http_server_free(E.sts);
	tl_stsd_free(E.svc);
}

/* --- IMDS ---------------------------------------------------------------------------- */

START_TEST(imds_token_put)
{
	static const char *const bad[] = {NULL, "0", "21601", "60s", "", "-5"};
	struct answer a;
	char h[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(h, sizeof(h), "X-aws-ec2-metadata-token-ttl-seconds: %s", bad[i]);
		imds("PUT", "/latest/api/token", bad[i] ? h : NULL, &a);
		ck_assert_msg(a.status == 400, "ttl '%s': HTTP %ld", bad[i] ? bad[i] : "(none)",
			      a.status);
	}
	imds("PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 21600", &a);
	ck_assert_int_eq(a.status, 200);
	ck_assert_str_eq(a.ctype, "text/plain");
	ck_assert_str_eq(a.ttl, "21600");
	ck_assert_uint_eq(strlen(a.body), 56);
	/* A token request that went through a proxy is refused (X-Forwarded-For). */
	{
		const char *hs[] = {"X-aws-ec2-metadata-token-ttl-seconds: 60",
				    "X-Forwarded-For: 10.0.0.1", NULL};
		char url[256];
		snprintf(url, sizeof(url), "%s/latest/api/token", E.imds_url);
		request("PUT", url, hs, NULL, &a);
		ck_assert_int_eq(a.status, 403);
	}
	/* GET on the token path is not a route. */
	imds("GET", "/latest/api/token", NULL, &a);
	ck_assert_msg(a.status == 401 || a.status == 404 || a.status == 405, "%ld", a.status);
}
END_TEST

START_TEST(imds_v2_credentials)
{
	struct answer a;
	char tok[128], names[256], v[1024], akid[64], secret[64], token[600], arn[256];

	imds_token("60", tok, sizeof(tok));
	imds("GET", "/latest/meta-data/iam/security-credentials/", tok, &a);
	ck_assert_int_eq(a.status, 200);
	ck_assert_str_eq(a.body, "app");
	imds("GET", "/latest/meta-data/instance-id", tok, &a);
	ck_assert_int_eq(a.status, 200);
	ck_assert_str_eq(a.body, "i-0abc");

	imds("GET", "/latest/meta-data/iam/security-credentials/app", tok, &a);
	ck_assert_int_eq(a.status, 200);
	member_names(a.body, names, sizeof(names));
	ck_assert_str_eq(names,
			 "Code,LastUpdated,Type,AccessKeyId,SecretAccessKey,Token,Expiration");
	ck_assert_str_eq(member(a.body, "Code", v, sizeof(v)), "Success");
	ck_assert_str_eq(member(a.body, "Type", v, sizeof(v)), "AWS-HMAC");
	ck_assert_str_eq(member(a.body, "LastUpdated", v, sizeof(v)), NOW_ISO);
	ck_assert_str_eq(member(a.body, "Expiration", v, sizeof(v)), EXPIRY_ISO);
	member(a.body, "AccessKeyId", akid, sizeof(akid));
	ck_assert_msg(strncmp(akid, "ASIA", 4) == 0 && strlen(akid) == 20, "%s", akid);
	member(a.body, "SecretAccessKey", secret, sizeof(secret));
	member(a.body, "Token", token, sizeof(token));
	ck_assert_msg(strstr(a.decision, "allow; check=credentials") == a.decision, "%s",
		      a.decision);

	/* The session is the instance's: assumed-role/ROLE/INSTANCE-ID. */
	whoami(akid, secret, token, arn, sizeof(arn));
	ck_assert_str_eq(arn, "arn:aws:sts::" ACCOUNT ":assumed-role/app/i-0abc");

	/* Another role name, an unknown path: 404. */
	imds("GET", "/latest/meta-data/iam/security-credentials/other", tok, &a);
	ck_assert_int_eq(a.status, 404);
	imds("GET", "/latest/meta-data/ami-id", tok, &a);
	ck_assert_int_eq(a.status, 404);
}
END_TEST

START_TEST(imds_v1_and_tokens)
{
	struct answer a;
	char tok[128];
	struct tl_stsd_instance inst = {
		.id = "i-0abc", .role = "app", .tokens = TL_STSD_IMDS_OPTIONAL};
	struct tl_error err;

	/* HttpTokens required: no token, an unknown token, an expired token: 401. */
	imds("GET", "/latest/meta-data/iam/security-credentials/", NULL, &a);
	ck_assert_int_eq(a.status, 401);
	ck_assert_msg(strstr(a.decision, "imdsv1-refused"), "%s", a.decision);
	imds("GET", "/latest/meta-data/iam/security-credentials/",
	     "X-aws-ec2-metadata-token: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	     &a);
	ck_assert_int_eq(a.status, 401);
	ck_assert_msg(strstr(a.decision, "unknown-token"), "%s", a.decision);
	imds_token("1", tok, sizeof(tok));
	imds("GET", "/latest/meta-data/iam/security-credentials/", tok, &a);
	ck_assert_int_eq(a.status, 200);
	E.clock.pinned_ms += 1000;
	imds("GET", "/latest/meta-data/iam/security-credentials/", tok, &a);
	ck_assert_int_eq(a.status, 401);
	ck_assert_msg(strstr(a.decision, "expired-token"), "%s", a.decision);

	/* HttpTokens optional: IMDSv1 is answered; a bad token still is not. */
	ck_assert_int_eq(tl_stsd_set_instance(E.svc, &inst, &err), 0);
	imds("GET", "/latest/meta-data/iam/security-credentials/", NULL, &a);
	ck_assert_int_eq(a.status, 200);
	ck_assert_str_eq(a.body, "app");
	imds("GET", "/latest/meta-data/iam/security-credentials/", tok, &a);
	ck_assert_int_eq(a.status, 401);

	/* No instance profile: the iam paths are 404; no instance at all: 404. */
	inst.role = NULL;
	ck_assert_int_eq(tl_stsd_set_instance(E.svc, &inst, &err), 0);
	imds("GET", "/latest/meta-data/iam/security-credentials/", NULL, &a);
	ck_assert_int_eq(a.status, 404);
	ck_assert_int_eq(tl_stsd_set_instance(E.svc, NULL, &err), 0);
	imds("GET", "/latest/meta-data/instance-id", NULL, &a);
	ck_assert_int_eq(a.status, 404);
}
END_TEST

START_TEST(imds_role_not_trusting_ec2)
{
	struct answer a, d;
	char tok[128], names[256], v[512], url[512];
	struct tl_stsd_instance inst = {.id = "i-0abc", .role = "task"};
	struct tl_error err;
	json_t *j;

	ck_assert_int_eq(tl_stsd_set_instance(E.svc, &inst, &err), 0);
	imds_token("60", tok, sizeof(tok));
	imds("GET", "/latest/meta-data/iam/security-credentials/task", tok, &a);
	/* 200, a Code and no credentials (aws/aws-cli#2060). */
	ck_assert_int_eq(a.status, 200);
	member_names(a.body, names, sizeof(names));
	ck_assert_str_eq(names, "Code,Message,LastUpdated");
	ck_assert_str_eq(member(a.body, "Code", v, sizeof(v)), "AssumeRoleUnauthorizedAccess");
	ck_assert_msg(
		strstr(member(a.body, "Message", v, sizeof(v)), "EC2 cannot assume the role task."),
		"%s", v);
	ck_assert_msg(strstr(a.decision, "principal=ec2.amazonaws.com; decision=implicit-deny"),
		      "%s", a.decision);

	/* The decision is kept like a web identity one, with the policy trace. */
	ck_assert_uint_gt(strlen(a.request_id), 0);
	snprintf(url, sizeof(url), "%s/_trustlab/decisions/%s", E.sts_url, a.request_id);
	request("GET", url, NULL, NULL, &d);
	ck_assert_int_eq(d.status, 200);
	j = json_loads(d.body, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "outcome")), "deny");
	ck_assert_str_eq(json_string_value(json_object_get(j, "eventName")), "AssumeRole");
	ck_assert_str_eq(json_string_value(json_object_get(j, "invokedBy")), "ec2.amazonaws.com");
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(j, "context"), "principal"), "Service")),
		"ec2.amazonaws.com");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(j, "policy"), 0), "decision")),
			 "implicit-deny");
	json_decref(j);

	/* A role that trusts the service for another action: also refused. */
	inst.role = "tagger";
	ck_assert_int_eq(tl_stsd_set_instance(E.svc, &inst, &err), 0);
	imds("GET", "/latest/meta-data/iam/security-credentials/tagger", tok, &a);
	ck_assert_str_eq(member(a.body, "Code", v, sizeof(v)), "AssumeRoleUnauthorizedAccess");
}
END_TEST

/* --- ECS ----------------------------------------------------------------------------- */

START_TEST(ecs_endpoint)
{
	struct answer a;
	char names[256], v[1024], akid[64], secret[64], token[600], arn[256];

	ecs("t1", "sekrit", &a);
	ck_assert_int_eq(a.status, 200);
	ck_assert_str_eq(a.ctype, "application/json");
	member_names(a.body, names, sizeof(names));
	ck_assert_str_eq(names, "RoleArn,AccessKeyId,SecretAccessKey,Token,Expiration");
	ck_assert_str_eq(member(a.body, "RoleArn", v, sizeof(v)),
			 "arn:aws:iam::" ACCOUNT ":role/task");
	ck_assert_str_eq(member(a.body, "Expiration", v, sizeof(v)), EXPIRY_ISO);
	member(a.body, "AccessKeyId", akid, sizeof(akid));
	member(a.body, "SecretAccessKey", secret, sizeof(secret));
	member(a.body, "Token", token, sizeof(token));
	whoami(akid, secret, token, arn, sizeof(arn));
	ck_assert_str_eq(arn, "arn:aws:sts::" ACCOUNT ":assumed-role/task/t1");

	/* Missing and wrong Authorization, unknown task. */
	ecs("t1", NULL, &a);
	ck_assert_int_eq(a.status, 400);
	ck_assert_str_eq(member(a.body, "code", v, sizeof(v)), "NoAuthorizationToken");
	ecs("t1", "Sekrit", &a);
	ck_assert_int_eq(a.status, 401);
	ck_assert_str_eq(member(a.body, "code", v, sizeof(v)), "InvalidAuthorizationToken");
	ecs("t1", "sekrit2", &a);
	ck_assert_int_eq(a.status, 401);
	ecs("nope", "sekrit", &a);
	ck_assert_int_eq(a.status, 400);
	ck_assert_str_eq(member(a.body, "code", v, sizeof(v)), "InvalidIdInRequest");
	ck_assert_str_eq(member(a.body, "message", v, sizeof(v)),
			 "CredentialsV2Request: ID not found");

	/* A task whose role trusts ec2.amazonaws.com only: no credentials. */
	ecs("t2", "tok2", &a);
	ck_assert_int_eq(a.status, 400);
	member_names(a.body, names, sizeof(names));
	ck_assert_str_eq(names, "code,message,HTTPErrorCode");
	ck_assert_str_eq(member(a.body, "code", v, sizeof(v)), "InvalidIdInRequest");
	ck_assert_str_eq(member(a.body, "message", v, sizeof(v)),
			 "CredentialsV2Request: Credentials not found");
	ck_assert_msg(
		strstr(a.decision, "principal=ecs-tasks.amazonaws.com; decision=implicit-deny"),
		"%s", a.decision);

	/* A removed task is unknown. */
	ck_assert_int_eq(tl_stsd_set_task(E.svc, "t1", NULL, NULL, NULL), 0);
	ecs("t1", "sekrit", &a);
	ck_assert_int_eq(a.status, 400);
}
END_TEST

/* --- GetCallerIdentity for static keys ------------------------------------------------- */

START_TEST(caller_identity_static_keys)
{
	char arn[512];
	struct tl_error err;

	whoami("AKIAOLDKEY0000000001", "oldsecret", NULL, arn, sizeof(arn));
	ck_assert_str_eq(arn, "arn:aws:iam::" ACCOUNT ":user/ci-legacy");
	whoami("test", "test", NULL, arn, sizeof(arn));
	ck_assert_str_eq(arn, "arn:aws:iam::" ACCOUNT ":user/admin");
	whoami("AKIAOLDKEY0000000001", "wrong", NULL, arn, sizeof(arn));
	ck_assert_str_eq(arn, "SignatureDoesNotMatch");
	whoami("AKIAUNKNOWN000000001", "x", NULL, arn, sizeof(arn));
	ck_assert_str_eq(arn, "InvalidClientTokenId");

	/* Invalid users are refused with the reason. */
	ck_assert_int_eq(tl_stsd_add_user(E.svc, "bad name", "AKIAOLDKEY0000000002", "s", &err),
			 -1);
	ck_assert_int_eq(tl_stsd_add_user(E.svc, "x", "short", "s", &err), -1);
	ck_assert_int_eq(tl_stsd_add_user(E.svc, "x", "test", "s", &err), -1);
	ck_assert_int_eq(tl_stsd_set_task(E.svc, "bad/id", "task", "t", &err), -1);
	ck_assert_int_eq(tl_stsd_set_task(E.svc, "ok", "task", "two\nlines", &err), -1);
}
END_TEST

/* --- the admin API ------------------------------------------------------------------------ */

static void
admin(const char *method, const char *path, const char *auth, const char *body, struct answer *a)
{
	char url[512], h[256];
	const char *hs[] = {h, "Content-Type: application/json", NULL};
	snprintf(url, sizeof(url), "%s/_trustlab/%s", E.sts_url, path);
	snprintf(h, sizeof(h), "Authorization: %s", auth);
	request(method, url, hs, body, a);
}

START_TEST(admin_api)
{
	struct answer a;
	char tok[128], arn[256], v[256];

	/* The admin secret (test) is required. */
	admin("PUT", "tasks/web-9", "Bearer nope", "{\"role\":\"task\"}", &a);
	ck_assert_int_eq(a.status, 401);
	admin("PUT", "tasks/web-9", "test", "{\"role\":\"task\"}", &a);
	ck_assert_int_eq(a.status, 401);

	admin("PUT", "tasks/web-9", "Bearer test",
	      "{\"role\":\"task\",\"authorization_token\":\"abc\"}", &a);
	ck_assert_msg(a.status == 200, "%ld %s", a.status, a.body);
	ecs("web-9", "abc", &a);
	ck_assert_int_eq(a.status, 200);
	admin("DELETE", "tasks/web-9", "Bearer test", NULL, &a);
	ck_assert_int_eq(a.status, 200);
	ecs("web-9", "abc", &a);
	ck_assert_int_eq(a.status, 400);

	/* Bad requests name the problem. */
	admin("PUT", "tasks/web-9", "Bearer test", "{\"role\":\"task\",\"token\":\"x\"}", &a);
	ck_assert_int_eq(a.status, 400);
	ck_assert_msg(strstr(member(a.body, "message", v, sizeof(v)), "unknown field 'token'"),
		      "%s", v);
	admin("PUT", "tasks/web-9", "Bearer test", "[1]", &a);
	ck_assert_int_eq(a.status, 400);
	admin("PUT", "instance", "Bearer test", "{\"id\":\"i-1\",\"http_tokens\":\"v1\"}", &a);
	ck_assert_int_eq(a.status, 400);
	admin("PUT", "nothing", "Bearer test", "{}", &a);
	ck_assert_msg(a.status == 404 || a.status == 405, "%ld", a.status);

	/* An instance with IMDSv1 allowed; a user. */
	admin("PUT", "instance", "Bearer test",
	      "{\"id\":\"i-0def\",\"role\":\"app\",\"http_tokens\":\"optional\"}", &a);
	ck_assert_msg(a.status == 200, "%ld %s", a.status, a.body);
	imds("GET", "/latest/meta-data/instance-id", NULL, &a);
	ck_assert_int_eq(a.status, 200);
	ck_assert_str_eq(a.body, "i-0def");
	admin("DELETE", "instance", "Bearer test", NULL, &a);
	ck_assert_int_eq(a.status, 200);
	imds_token("60", tok, sizeof(tok));
	imds("GET", "/latest/meta-data/instance-id", tok, &a);
	ck_assert_int_eq(a.status, 404);

	admin("PUT", "users/deployer", "Bearer test",
	      "{\"access_key_id\":\"AKIADEPLOYER00000001\",\"secret_access_key\":\"s3\"}", &a);
	ck_assert_msg(a.status == 200, "%ld %s", a.status, a.body);
	whoami("AKIADEPLOYER00000001", "s3", NULL, arn, sizeof(arn));
	ck_assert_str_eq(arn, "arn:aws:iam::" ACCOUNT ":user/deployer");
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("credentials");
	TCase *tc = tcase_create("endpoints");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, imds_token_put);
	tcase_add_test(tc, imds_v2_credentials);
	tcase_add_test(tc, imds_v1_and_tokens);
	tcase_add_test(tc, imds_role_not_trusting_ec2);
	tcase_add_test(tc, ecs_endpoint);
	tcase_add_test(tc, caller_identity_static_keys);
	tcase_add_test(tc, admin_api);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
