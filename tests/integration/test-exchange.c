/* SPDX-License-Identifier: MIT */
/*
 * lib/exchange against the wire contracts, with stand-in servers on
 * 127.0.0.1: an IAM endpoint that verifies the SigV4 signature with
 * lib/sts exactly as mock-sts does (so a signature that curl's Host
 * header or the form encoding would break is caught here), an STS
 * endpoint that decodes the AssumeRoleWithWebIdentity form, and an issuer
 * endpoint answering the three documented shapes of POST <prefix>/tokens.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/exchange.h"
#include "http/server.h"
#include "sts/errors.h"
#include "sts/query.h"
#include "sts/sigv4.h"
#include "test-common.h"

static struct tl_http_server *srv;
static struct tl_exchange *ex;

static const char odd_token[] = "eyJ0eXAiOiJKV1QifQ.e30.sig-_+/= &x%y";

static void
aws_endpoint(void *ctx, struct tl_http_exchange *hx)
{
	size_t len;
	const char *body = tl_http_body(hx, &len);
	const char *auth = tl_http_header(hx, "Authorization");
	struct tl_sts_query q;
	struct tl_sts_fault fault = {0};
	char xml[2048];
	(void)ctx;

	tl_sts_query_init(&q);
	if (tl_sts_query_parse(&q, body, len, NULL, &fault) < 0) {
		tl_http_respond(hx, 400, "text/xml", fault.message, strlen(fault.message));
		return;
	}
	if (auth) {
		const struct tl_sts_http_header headers[] = {
			{"Content-Type", tl_http_header(hx, "Content-Type")},
			{"Host", tl_http_header(hx, "Host")},
			{"X-Amz-Date", tl_http_header(hx, "X-Amz-Date")},
			{"Authorization", auth},
		};
		const struct tl_sts_http_request req = {"POST", "/", "", headers, 4, body, len};
		struct tl_sts_sigv4 sig;
		if (tl_sts_sigv4_parse(&req, &sig, &fault) < 0 ||
		    tl_sts_sigv4_verify(&req, &sig, "s3cr3t/Key+", "iam", tl_clock_now(NULL),
					&fault) < 0) {
			/* The real envelope, with the request id the test looks for. */
			struct tl_buf b;
			tl_buf_init(&b, 64 * 1024);
			tl_sts_fault_xml(&b, &fault, "bad-sig", TL_STS_SERVICE_IAM, NULL);
			tl_http_respond(hx, tl_sts_error_info(fault.code)->status, "text/xml",
					b.data, b.len);
			tl_buf_finish(&b);
			tl_sts_query_finish(&q);
			return;
		}
		const char *action = tl_sts_query_get(&q, "Action");
		const char *name = tl_sts_query_get(&q, "RoleName");
		if (name && strcmp(name, "exists") == 0) {
			static const char exists[] =
				"<ErrorResponse><Error><Type>Sender</Type><Code>EntityAlreadyExists"
				"</Code><Message>Role with name exists already exists.</Message>"
				"</Error><RequestId>iam-9</RequestId></ErrorResponse>";
			tl_http_respond(hx, 409, "text/xml", exists, sizeof(exists) - 1);
		} else if (strcmp(action, "CreateOpenIDConnectProvider") == 0) {
			snprintf(xml, sizeof(xml),
				 "<CreateOpenIDConnectProviderResponse><"
				 "CreateOpenIDConnectProviderResult>"
				 "<OpenIDConnectProviderArn>arn:aws:iam::123456789012:oidc-"
				 "provider/%s"
				 "</OpenIDConnectProviderArn></CreateOpenIDConnectProviderResult>"
				 "<ResponseMetadata><RequestId>iam-2</RequestId></ResponseMetadata>"
				 "</CreateOpenIDConnectProviderResponse>",
				 tl_sts_query_get(&q, "Url") + strlen("https://"));
			tl_http_respond(hx, 200, "text/xml", xml, strlen(xml));
		} else {
			snprintf(xml, sizeof(xml),
				 "<%sResponse><Result><Role><RoleName>%s</RoleName>"
				 "<Arn>arn:aws:iam::123456789012:role/%s</Arn><Ids>%s/%s</Ids></"
				 "Role>"
				 "</Result><ResponseMetadata><RequestId>iam-1</RequestId>"
				 "</ResponseMetadata></%sResponse>",
				 action, name ? name : "", name ? name : "",
				 tl_sts_query_get(&q, "ClientIDList.member.2")
					 ? tl_sts_query_get(&q, "ClientIDList.member.2")
					 : "-",
				 tl_sts_query_get(&q, "MaxSessionDuration")
					 ? tl_sts_query_get(&q, "MaxSessionDuration")
					 : "-",
				 action);
			tl_http_respond(hx, 200, "text/xml", xml, strlen(xml));
		}
	} else if (strcmp(tl_sts_query_get(&q, "WebIdentityToken"), odd_token) != 0) {
		static const char denied[] =
			"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
			"<Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message>"
			"</Error><RequestId>sts-2</RequestId></ErrorResponse>";
		tl_http_add_header(hx, "x-trustlab-decision", "deny; check=trust-policy");
		tl_http_respond(hx, 403, "text/xml", denied, sizeof(denied) - 1);
	} else {
		snprintf(xml, sizeof(xml),
			 "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
			 "<SubjectFromWebIdentityToken>repo:a&amp;b/app:ref:refs/heads/main"
			 "</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience>"
			 "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/deploy/%s"
			 "</Arn><AssumedRoleId>AROAEXAMPLE:%s</AssumedRoleId></AssumedRoleUser>"
			 "<Credentials><SessionToken>tok</SessionToken><SecretAccessKey>sec"
			 "</SecretAccessKey><Expiration>2026-11-23T13:00:00Z</Expiration>"
			 "<AccessKeyId>ASIAEXAMPLE</AccessKeyId></Credentials><Provider>"
			 "arn:aws:iam::123456789012:oidc-provider/"
			 "token.actions.githubusercontent.com"
			 "</Provider><DurationSeconds>%s</DurationSeconds>"
			 "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>sts-1"
			 "</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>",
			 tl_sts_query_get(&q, "RoleSessionName"),
			 tl_sts_query_get(&q, "RoleSessionName"),
			 tl_sts_query_get(&q, "DurationSeconds") ? "set" : "absent");
		tl_http_add_header(hx, "x-trustlab-decision", "allow; statement=0");
		tl_http_respond(hx, 200, "text/xml", xml, strlen(xml));
	}
	tl_sts_query_finish(&q);
}

static void
tokens_endpoint(void *ctx, struct tl_http_exchange *hx)
{
	size_t len;
	const char *body = tl_http_body(hx, &len);
	json_t *req = json_loadb(body, len, 0, NULL);
	const char *event =
		json_string_value(json_object_get(json_object_get(req, "context"), "event"));
	json_t *answer;
	(void)ctx;

	if (!event) {
		answer = json_pack("{s:s, s:s}", "error", "bad-request", "message",
				   "context.event: expected a string");
		tl_http_respond_json(hx, 400, answer);
	} else if (strcmp(event, "odd") == 0) {
		answer = json_pack("{s:s, s:{s:s}}", "token", odd_token, "claims", "event", event);
		tl_http_respond_json(hx, 200, answer);
	} else if (strcmp(event, "pull_request") == 0) {
		answer = json_pack("{s:s, s:s}", "error", "no-token", "reason",
				   "a fork's pull_request gets no token");
		tl_http_respond_json(hx, 403, answer);
	} else {
		answer = json_pack("{s:s, s:{s:s}}", "token", "aaa.bbb.ccc", "claims", "event",
				   event);
		tl_http_respond_json(hx, 200, answer);
	}
	json_decref(answer);
	json_decref(req);
}

static void
setup(void)
{
	struct tl_error err;
	struct tl_exchange_config cfg = {0};
	char url[128];

	srv = tl_http_server_new(NULL, &err);
	ck_assert_ptr_nonnull(srv);
	ck_assert_int_eq(tl_http_server_route(srv, "POST", "/", aws_endpoint, NULL, &err), 0);
	ck_assert_int_eq(
		tl_http_server_route(srv, "POST", "/github/tokens", tokens_endpoint, NULL, &err),
		0);
	ck_assert_int_eq(tl_http_server_start(srv, &err), 0);
	snprintf(url, sizeof(url), "%s/", tl_http_server_url(srv));
	cfg.issuer_url = url;
	cfg.sts_url = tl_http_server_url(srv);
	cfg.access_key_id = "AKIDADMIN";
	cfg.secret = "s3cr3t/Key+";
	ex = tl_exchange_new(&cfg, &err);
	ck_assert_msg(ex != NULL, "%s", err.message);
}

static void
teardown(void)
{
	tl_exchange_free(ex);
	tl_http_server_free(srv);
}

START_TEST(signed_iam_call_verifies)
{
	static const char *const params[] = {"Action",	   "CreateRole", "Version",
					     "2010-05-08", "RoleName",	 "deploy+prod=x,y.z@w-",
					     NULL};
	struct tl_aws_reply r;
	struct tl_error err;

	tl_aws_reply_init(&r);
	ck_assert_int_eq(tl_exchange_aws_call(ex, "iam", params, &r, &err), 0);
	ck_assert_msg(r.status == 200, "status %ld: %s %s", r.status, r.code, r.message);
	ck_assert_str_eq(r.request_id, "iam-1");
	ck_assert_ptr_nonnull(strstr(tl_buf_str(&r.body), "<RoleName>deploy+prod=x,y.z@w-<"));
	tl_aws_reply_finish(&r);
}
END_TEST

START_TEST(wrong_secret_is_refused)
{
	static const char *const params[] = {"Action",	 "CreateRole", "Version", "2010-05-08",
					     "RoleName", "r",	       NULL};
	struct tl_exchange_config cfg = {.sts_url = tl_http_server_url(srv), .secret = "wrong"};
	struct tl_exchange *bad = tl_exchange_new(&cfg, NULL);
	struct tl_aws_reply r;

	tl_aws_reply_init(&r);
	ck_assert_int_eq(tl_exchange_aws_call(bad, "iam", params, &r, NULL), 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.code, "SignatureDoesNotMatch");
	ck_assert_str_eq(r.request_id, "bad-sig");
	tl_aws_reply_finish(&r);
	tl_exchange_free(bad);
}
END_TEST

START_TEST(assume_round_trips_the_form)
{
	struct tl_aws_reply r;
	struct tl_assumed a;
	struct tl_error err;

	tl_aws_reply_init(&r);
	ck_assert_int_eq(tl_exchange_assume(ex, "arn:aws:iam::123456789012:role/deploy", "ci run#1",
					    odd_token, 900, &r, &a, &err),
			 0);
	ck_assert_msg(r.status == 200, "status %ld: %s", r.status, tl_buf_str(&r.body));
	ck_assert_str_eq(a.assumed_role_arn,
			 "arn:aws:sts::123456789012:assumed-role/deploy/ci run#1");
	ck_assert_str_eq(a.assumed_role_id, "AROAEXAMPLE:ci run#1");
	ck_assert_str_eq(a.access_key_id, "ASIAEXAMPLE");
	ck_assert_str_eq(a.secret_access_key, "sec");
	ck_assert_str_eq(a.session_token, "tok");
	ck_assert_str_eq(a.expiration, "2026-11-23T13:00:00Z");
	ck_assert_str_eq(a.subject, "repo:a&b/app:ref:refs/heads/main");
	ck_assert_str_eq(a.audience, "sts.amazonaws.com");
	ck_assert_str_eq(
		a.provider,
		"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com");
	ck_assert_str_eq(r.decision, "allow; statement=0");
	ck_assert_str_eq(r.code, "");
	ck_assert_ptr_nonnull(strstr(tl_buf_str(&r.body), "<DurationSeconds>set<"));

	/* Without a duration the parameter is left out; a changed token is denied. */
	ck_assert_int_eq(tl_exchange_assume(ex, "arn:aws:iam::123456789012:role/deploy", "ci",
					    "other.token.x", 0, &r, &a, &err),
			 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.code, "AccessDenied");
	ck_assert_str_eq(r.message, "Not authorized to perform sts:AssumeRoleWithWebIdentity");
	ck_assert_str_eq(r.request_id, "sts-2");
	ck_assert_str_eq(r.decision, "deny; check=trust-policy");
	ck_assert_str_eq(a.access_key_id, "");
	tl_aws_reply_finish(&r);
}
END_TEST

START_TEST(mint_reads_the_three_answers)
{
	struct tl_mint_result m;
	struct tl_error err;
	json_t *req;

	req = json_pack("{s:{s:s}}", "context", "event", "push");
	ck_assert_int_eq(tl_exchange_mint(ex, "/github", req, &m, &err), 0);
	ck_assert_int_eq(m.status, 200);
	ck_assert_str_eq(m.token, "aaa.bbb.ccc");
	ck_assert_str_eq(json_string_value(json_object_get(m.claims, "event")), "push");
	tl_mint_result_finish(&m);
	json_decref(req);

	req = json_pack("{s:{s:s}}", "context", "event", "pull_request");
	ck_assert_int_eq(tl_exchange_mint(ex, "/github", req, &m, &err), 0);
	ck_assert_int_eq(m.status, 403);
	ck_assert_ptr_null(m.token);
	ck_assert_str_eq(m.reason, "a fork's pull_request gets no token");
	tl_mint_result_finish(&m);
	json_decref(req);

	req = json_pack("{s:{}}", "context");
	ck_assert_int_eq(tl_exchange_mint(ex, "/github", req, &m, &err), 0);
	ck_assert_int_eq(m.status, 400);
	ck_assert_str_eq(m.reason, "context.event: expected a string");
	tl_mint_result_finish(&m);

	/* A prefix nothing serves: the server's JSON 404 is read, not misread. */
	ck_assert_int_eq(tl_exchange_mint(ex, "/nope", req, &m, &err), 0);
	ck_assert_int_eq(m.status, 404);
	tl_mint_result_finish(&m);
	json_decref(req);
}
END_TEST

START_TEST(xml_text_extraction)
{
	char out[16];

	ck_assert(tl_xml_element_text("<a><Code>X&lt;&amp;&gt;&quot;&apos;</Code></a>", "Code", out,
				      sizeof(out)));
	ck_assert_str_eq(out, "X<&>\"'");
	ck_assert(!tl_xml_element_text("<a><Code>open", "Code", out, sizeof(out)));
	ck_assert(!tl_xml_element_text("<a/>", "Code", out, sizeof(out)));
	ck_assert(tl_xml_element_text("<C>0123456789abcdefXYZ</C>", "C", out, sizeof(out)));
	ck_assert_str_eq(out, "0123456789abcde"); /* cut to fit */
}
END_TEST

START_TEST(iam_setup_calls)
{
	static const char *const ids[] = {"sts.amazonaws.com", "second", NULL};
	struct tl_aws_reply r;
	struct tl_error err;
	char arn[256];

	tl_aws_reply_init(&r);
	ck_assert_int_eq(tl_exchange_create_provider(ex,
						     "https://token.actions.githubusercontent.com",
						     ids, arn, sizeof(arn), &r, &err),
			 0);
	ck_assert_str_eq(
		arn, "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com");
	ck_assert_int_eq(tl_exchange_create_role(ex, "deploy", "{\"Version\":\"2012-10-17\"}", 7200,
						 arn, sizeof(arn), &r, &err),
			 0);
	ck_assert_str_eq(arn, "arn:aws:iam::123456789012:role/deploy");
	ck_assert_ptr_nonnull(strstr(tl_buf_str(&r.body), "<Ids>-/7200</Ids>"));
	ck_assert_int_eq(tl_exchange_delete_role(ex, "deploy", &r, &err), 0);
	ck_assert_int_eq(tl_exchange_delete_provider(ex, "arn:x", &r, &err), 0);

	/* An IAM error is an error naming the AWS code. */
	ck_assert_int_eq(tl_exchange_create_role(ex, "exists", "{}", 0, NULL, 0, &r, &err), -1);
	ck_assert_str_eq(
		err.message,
		"IAM CreateRole: EntityAlreadyExists: Role with name exists already exists.");
	tl_aws_reply_finish(&r);
}
END_TEST

static int
run(const char *event, struct tl_exchange_outcome *o, struct tl_error *err)
{
	json_t *req = event ? json_pack("{s:{s:s}, s:s}", "context", "event", event, "audience",
					"sts.amazonaws.com")
			    : json_pack("{s:{}}", "context");
	const struct tl_exchange_case c = {
		.issuer_prefix = "/github",
		.mint_request = req,
		.role_arn = "arn:aws:iam::123456789012:role/deploy",
		.session_name = "case",
	};
	int rc = tl_exchange_run_case(ex, &c, o, err);
	json_decref(req);
	return rc;
}

START_TEST(run_case_outcomes)
{
	struct tl_exchange_outcome o;
	struct tl_error err;

	ck_assert_int_eq(run("odd", &o, &err), 0);
	ck_assert_str_eq(o.outcome, "allow");
	ck_assert_str_eq(o.assumed_role_arn, "arn:aws:sts::123456789012:assumed-role/deploy/case");
	ck_assert_str_eq(o.request_id, "sts-1");
	ck_assert_str_eq(json_string_value(json_object_get(o.claims, "event")), "odd");
	tl_exchange_outcome_finish(&o);

	ck_assert_int_eq(run("push", &o, &err), 0);
	ck_assert_str_eq(o.outcome, "deny");
	ck_assert_str_eq(o.detail, "Not authorized to perform sts:AssumeRoleWithWebIdentity");
	ck_assert_str_eq(o.decision, "deny; check=trust-policy");
	tl_exchange_outcome_finish(&o);

	ck_assert_int_eq(run("pull_request", &o, &err), 0);
	ck_assert_str_eq(o.outcome, "no-token");
	ck_assert_str_eq(o.detail, "a fork's pull_request gets no token");
	ck_assert_str_eq(o.request_id, "");
	ck_assert_ptr_null(o.claims);
	tl_exchange_outcome_finish(&o);

	ck_assert_int_eq(run(NULL, &o, &err), -1);
	ck_assert_str_eq(err.message, "the issuer refused the token request (HTTP 400): "
				      "context.event: expected a string");
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("exchange");
	TCase *tc = tcase_create("wire");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, signed_iam_call_verifies);
	tcase_add_test(tc, wrong_secret_is_refused);
	tcase_add_test(tc, assume_round_trips_the_form);
	tcase_add_test(tc, mint_reads_the_three_answers);
	tcase_add_test(tc, xml_text_extraction);
	tcase_add_test(tc, iam_setup_calls);
	tcase_add_test(tc, run_case_outcomes);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
