/* SPDX-License-Identifier: MIT */
/*
 * lib/stsd over HTTP, in-process: an issuer (discovery + JWKS served by a
 * tl_http_server from keys made with lib/jose) and the STS service mounted
 * on its own server, driven through lib/http's client exactly as an SDK
 * drives AWS. The clock is pinned; tokens are minted per case.
 *
 * Facts pinned here: reference/sts.md §1.2 (parameters), §1.4-1.5 (errors),
 * §1.6 (order of checks), §1.7 (GetCallerIdentity), §2.2 (token checks),
 * §2.4-2.5 (session tags, source identity), §6 (CloudTrail shape);
 * reference/reliability.md §2.5 (request / trust-policy table R1-R12).
 */
#include "config.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/file.h"

#include "http/client.h"
#include "http/server.h"
#include "jose/jwks.h"
#include "jose/jws.h"
#include "jose/key.h"
#include "sts/sigv4.h"
#include "stsd/stsd.h"
#include "test-common.h"

#define ISS "https://token.actions.githubusercontent.com"
#define ACCOUNT "123456789012"
#define PROVIDER_ARN "arn:aws:iam::" ACCOUNT ":oidc-provider/token.actions.githubusercontent.com"
#define NOW 1795000000LL /* 2026-11-18T11:06:40Z */

static const char deploy_policy[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"GitHubMain\",\"Effect\":\"Allow\","
	"\"Principal\":{\"Federated\":\"" PROVIDER_ARN "\"},"
	"\"Action\":\"sts:AssumeRoleWithWebIdentity\",\"Condition\":{\"StringEquals\":{"
	"\"token.actions.githubusercontent.com:aud\":\"sts.amazonaws.com\"},\"StringLike\":{"
	"\"token.actions.githubusercontent.com:sub\":\"repo:acme/app:*\"}}},"
	"{\"Sid\":\"NoForks\",\"Effect\":\"Deny\",\"Principal\":{\"Federated\":\"" PROVIDER_ARN
	"\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\",\"Condition\":{\"StringEquals\":{"
	"\"token.actions.githubusercontent.com:ref\":\"refs/heads/evil\"}}}]}";

static const char tags_policy[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
	"\"Principal\":{\"Federated\":\"" PROVIDER_ARN "\"},"
	"\"Action\":[\"sts:AssumeRoleWithWebIdentity\",\"sts:TagSession\","
	"\"sts:SetSourceIdentity\"],\"Condition\":{\"StringEquals\":{"
	"\"aws:RequestTag/team\":\"platform\"}}}]}";

/* R9: trusts another provider; R11: allows only sts:AssumeRole. */
static const char gitlab_policy[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{"
	"\"Federated\":\"arn:aws:iam::" ACCOUNT ":oidc-provider/gitlab.com\"},"
	"\"Action\":\"sts:AssumeRoleWithWebIdentity\"}]}";
static const char assume_only_policy[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{"
	"\"Federated\":\"" PROVIDER_ARN "\"},\"Action\":\"sts:AssumeRole\"}]}";

struct env {
	struct tl_jose_key *key, *other;
	struct tl_jwks *published;
	pthread_mutex_t lock;
	char *jwks_text;
	struct tl_http_server *issuer, *sts;
	struct tl_stsd *svc;
	struct tl_clock clock;
	struct tl_http_client *cl;
	char state[256];
	char audit[256];
	int jwks_fetches;
	int jwks_mode; /* 0 serve, 1 HTTP 500, 2 malformed JSON */
	uint16_t port; /* where requests go: E.sts, or a spawned mock-sts */
};

static struct env E;

static void
serve_discovery(void *ctx, struct tl_http_exchange *ex)
{
	char body[512];
	(void)ctx;
	snprintf(body, sizeof(body), "{\"issuer\":\"%s\",\"jwks_uri\":\"%s/.well-known/jwks\"}",
		 ISS, ISS);
	tl_http_respond(ex, 200, "application/json", body, strlen(body));
}

static void
serve_jwks(void *ctx, struct tl_http_exchange *ex)
{
	(void)ctx;
	pthread_mutex_lock(&E.lock);
	E.jwks_fetches++;
	if (E.jwks_mode == 1)
		tl_http_respond(ex, 500, "text/plain", "down", 4);
	else if (E.jwks_mode == 2)
		tl_http_respond(ex, 200, "application/json", "{\"keys\": [", 10);
	else
		tl_http_respond(ex, 200, "application/json", E.jwks_text, strlen(E.jwks_text));
	pthread_mutex_unlock(&E.lock);
}

static void
publish(struct tl_jose_key *const *keys, size_t n)
{
	struct tl_jwks *jwks = tl_jwks_new(NULL);
	json_t *doc;

	ck_assert_ptr_nonnull(jwks);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(tl_jwks_add(jwks, keys[i], NULL), 0);
	doc = tl_jwks_to_json(jwks, NULL);
	ck_assert_ptr_nonnull(doc);
	pthread_mutex_lock(&E.lock);
	free(E.jwks_text);
	E.jwks_text = json_dumps(doc, JSON_COMPACT);
	pthread_mutex_unlock(&E.lock);
	json_decref(doc);
	tl_jwks_free(jwks);
}

static struct tl_jose_key *
load_key(const char *file, const char *kid)
{
	char path[1024];
	struct tl_error err;
	struct tl_jose_key *k;

	snprintf(path, sizeof(path), "%s/%s", tl_test_arg(0), file);
	k = tl_jose_key_load_file(path, &err);
	ck_assert_msg(k != NULL, "%s: %s", path, err.message);
	ck_assert_int_eq(tl_jose_key_set_kid(k, kid, NULL), 0);
	return k;
}

static void
start_sts(const char *state, const char *audit)
{
	struct tl_stsd_config cfg;
	struct tl_http_server_config hc;
	struct tl_stsd_issuer_map maps[2] = {{ISS, tl_http_server_url(E.issuer)},
					     {"https://down.example.com", "http://127.0.0.1:1"}};
	struct tl_error err;

	tl_stsd_config_init(&cfg);
	cfg.clock = &E.clock;
	cfg.seed = "test-stsd";
	cfg.issuer_maps = maps;
	cfg.issuer_map_count = 2;
	cfg.jwks_refetch_ms = 0;
	cfg.fetch_timeout_ms = 2000;
	cfg.state_path = state;
	cfg.audit_log_path = audit;
	E.svc = tl_stsd_new(&cfg, &err);
	ck_assert_msg(E.svc != NULL, "tl_stsd_new: %s", err.message);
	tl_http_server_config_init(&hc);
	hc.threads = 4;
	E.sts = tl_http_server_new(&hc, &err);
	ck_assert_ptr_nonnull(E.sts);
	ck_assert_int_eq(tl_stsd_mount(E.svc, E.sts, &err), 0);
	ck_assert_msg(tl_http_server_start(E.sts, &err) == 0, "%s", err.message);
}

static void
stop_sts(void)
{
	tl_http_server_free(E.sts);
	tl_stsd_free(E.svc);
	E.sts = NULL;
	E.svc = NULL;
}

static void
setup(void)
{
	struct tl_error err;
	const char *ids[] = {"sts.amazonaws.com"};

	memset(&E, 0, sizeof(E));
	pthread_mutex_init(&E.lock, NULL);
	tl_clock_init_pinned(&E.clock, NOW * 1000);
	E.key = load_key("rsa2048.pem", "key-1");
	E.other = load_key("rsa2048-b.pem", "key-2");
	publish(&E.key, 1);
	{
		struct tl_http_server_config hc;
		tl_http_server_config_init(&hc);
		E.issuer = tl_http_server_new(&hc, &err);
		ck_assert_ptr_nonnull(E.issuer);
		ck_assert_int_eq(tl_http_server_route(E.issuer, "GET",
						      "/.well-known/openid-configuration",
						      serve_discovery, NULL, &err),
				 0);
		ck_assert_int_eq(tl_http_server_route(E.issuer, "GET", "/.well-known/jwks",
						      serve_jwks, NULL, &err),
				 0);
		ck_assert_int_eq(tl_http_server_start(E.issuer, &err), 0);
	}
	snprintf(E.audit, sizeof(E.audit), "/tmp/test-stsd-audit-%d.log", (int)getpid());
	unlink(E.audit);
	start_sts(NULL, E.audit);
	ck_assert_int_eq(tl_stsd_create_provider(E.svc, ISS, ids, 1, &err), 0);
	ck_assert_msg(tl_stsd_create_role(E.svc, "deploy", NULL, deploy_policy, 0, &err) == 0, "%s",
		      err.message);
	ck_assert_msg(tl_stsd_create_role(E.svc, "tagged", "/ci/", tags_policy, 7200, &err) == 0,
		      "%s", err.message);
	ck_assert_int_eq(tl_stsd_create_role(E.svc, "gitlab-only", NULL, gitlab_policy, 0, &err),
			 0);
	ck_assert_int_eq(
		tl_stsd_create_role(E.svc, "assume-only", NULL, assume_only_policy, 0, &err), 0);
	E.cl = tl_http_client_new(NULL, &err);
	ck_assert_ptr_nonnull(E.cl);
}

static void
teardown(void)
{
	tl_http_client_free(E.cl);
	stop_sts();
	tl_http_server_free(E.issuer);
	tl_jose_key_free(E.key);
	tl_jose_key_free(E.other);
	free(E.jwks_text);
	pthread_mutex_destroy(&E.lock);
	unlink(E.audit);
	if (E.state[0])
		unlink(E.state);
}

/* --- requests ---------------------------------------------------------------- */

static void
form_add(struct tl_buf *b, const char *key, const char *value)
{
	if (b->len)
		tl_buf_putc(b, '&', NULL);
	tl_buf_append_str(b, key, NULL);
	tl_buf_putc(b, '=', NULL);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~", *p))
			tl_buf_putc(b, (char)*p, NULL);
		else
			tl_buf_printf(b, NULL, "%%%02X", *p);
	}
}

struct answer {
	long status;
	char body[262144];
	char flat[16384]; /* the body's start on one line, for TAP messages */
	char decision[512];
	char request_id[64];
};

static uint16_t
target_port(void)
{
	return E.port ? E.port : tl_http_server_port(E.sts);
}

static void
send_raw(const char *method, const char *path, const char *const *headers, const char *body,
	 struct answer *a)
{
	struct tl_http_reply r;
	struct tl_error err;
	char url[16384];

	ck_assert_uint_lt(strlen(path), sizeof(url) - 64);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", target_port(), path);
	tl_http_reply_init(&r);
	ck_assert_msg(tl_http_client_request(E.cl, method, url, headers, body,
					     body ? strlen(body) : 0, &r, &err) == 0,
		      "%s", err.message);
	a->status = r.status;
	ck_assert_uint_lt(r.body.len, sizeof(a->body));
	snprintf(a->body, sizeof(a->body), "%s", tl_buf_str(&r.body));
	snprintf(a->flat, sizeof(a->flat), "%.16000s", a->body);
	for (char *p = a->flat; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (!tl_http_reply_header(&r, "x-trustlab-decision", a->decision, sizeof(a->decision)))
		a->decision[0] = '\0';
	if (!tl_http_reply_header(&r, "x-amzn-RequestId", a->request_id, sizeof(a->request_id)))
		a->request_id[0] = '\0';
	tl_http_reply_finish(&r);
}

static void
post_form(const char *body, struct answer *a)
{
	const char *h[] = {"Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL};
	send_raw("POST", "/", h, body, a);
}

/* Signs a form POST as botocore does. */
static void
post_signed(const char *body, const char *akid, const char *secret, const char *token,
	    const char *service, struct answer *a)
{
	char host[64], date[TL_STS_AMZ_DATE_LEN + 1], auth[1024], hh[3][5000];
	struct tl_sts_http_header hs[4];
	struct tl_sts_http_request req;
	const char *lines[7];
	size_t n = 0;

	snprintf(host, sizeof(host), "127.0.0.1:%u", target_port());
	tl_sts_sigv4_format_date(tl_clock_now(&E.clock), date);
	hs[n++] = (struct tl_sts_http_header){"Content-Type",
					      "application/x-www-form-urlencoded; charset=utf-8"};
	hs[n++] = (struct tl_sts_http_header){"Host", host};
	hs[n++] = (struct tl_sts_http_header){"X-Amz-Date", date};
	if (token)
		hs[n++] = (struct tl_sts_http_header){"X-Amz-Security-Token", token};
	req = (struct tl_sts_http_request){"POST", "/", "", hs, n, body, strlen(body)};
	ck_assert_int_eq(tl_sts_sigv4_sign(&req, akid, secret, "us-east-1", service, auth,
					   sizeof(auth), NULL),
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
	send_raw("POST", "/", lines, body, a);
}

/* A token: the default GitHub claims, with `overrides` merged (a JSON
 * null deletes the claim). */
static char *
mint_with(struct tl_jose_key *key, const char *overrides)
{
	json_t *claims = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "jti", "id-1",
				   "sub", "repo:acme/app:ref:refs/heads/main", "aud",
				   "sts.amazonaws.com", "ref", "refs/heads/main", "repository",
				   "acme/app", "iss", ISS, "nbf", (json_int_t)(NOW - 10), "iat",
				   (json_int_t)(NOW - 10), "exp", (json_int_t)(NOW + 300));
	json_t *header = tl_jws_header_new(key, TL_JOSE_ALG_RS256,
					   TL_JWS_HEADER_TYP | TL_JWS_HEADER_KID, NULL);
	char *token = NULL;
	const char *k;
	json_t *v;

	if (overrides) {
		json_t *o = json_loads(overrides, 0, NULL);
		ck_assert_msg(o != NULL, "bad overrides %s", overrides);
		json_object_foreach(o, k, v)
		{
			if (json_is_null(v))
				json_object_del(claims, k);
			else
				json_object_set(claims, k, v);
		}
		json_decref(o);
	}
	ck_assert_int_eq(tl_jws_sign(key, TL_JOSE_ALG_RS256, header, claims, &token, NULL), 0);
	json_decref(claims);
	json_decref(header);
	return token;
}

static void
arwwi(const char *role, const char *token, const char *extra, struct answer *a)
{
	struct tl_buf b;
	char arn[256];

	tl_buf_init(&b, 1 << 20);
	if (strncmp(role, "arn:", 4) == 0 || strncmp(role, "not", 3) == 0)
		snprintf(arn, sizeof(arn), "%s", role);
	else
		snprintf(arn, sizeof(arn), "arn:aws:iam::" ACCOUNT ":role/%s", role);
	form_add(&b, "Action", "AssumeRoleWithWebIdentity");
	form_add(&b, "Version", "2011-06-15");
	form_add(&b, "RoleArn", arn);
	form_add(&b, "RoleSessionName", "ci");
	form_add(&b, "WebIdentityToken", token);
	if (extra) {
		tl_buf_putc(&b, '&', NULL);
		tl_buf_append_str(&b, extra, NULL);
	}
	post_form(tl_buf_str(&b), a);
	tl_buf_finish(&b);
}

static void
xml_value(const char *body, const char *element, char *out, size_t size)
{
	char open[64], close[64];
	const char *s, *e;

	snprintf(open, sizeof(open), "<%s>", element);
	snprintf(close, sizeof(close), "</%s>", element);
	s = strstr(body, open);
	out[0] = '\0';
	if (!s)
		return;
	s += strlen(open);
	e = strstr(s, close);
	if (e)
		snprintf(out, size, "%.*s", (int)(e - s), s);
}

#define ASSERT_CODE(a, st, code, what)                                                         \
	do {                                                                                   \
		char got_[128];                                                                \
		xml_value((a)->body, "Code", got_, sizeof(got_));                              \
		ck_assert_msg((a)->status == (st) && strcmp(got_, (code)) == 0,                \
			      "%s: want %d %s, got %ld %s (%s) body %s", (what), (st), (code), \
			      (a)->status, got_, (a)->decision, (a)->flat);                    \
	} while (0)

/* --- AssumeRoleWithWebIdentity ------------------------------------------------- */

START_TEST(arwwi_allows_and_explains)
{
	struct answer a, d;
	char *tok = mint_with(E.key, NULL);
	char v[512], path[128];
	json_t *doc;

	arwwi("deploy", tok, NULL, &a);
	ck_assert_msg(a.status == 200, "status %ld: %s", a.status, a.flat);
	ck_assert_msg(strstr(a.body, "<AssumeRoleWithWebIdentityResponse xmlns=\"https://"
				     "sts.amazonaws.com/doc/2011-06-15/\">"),
		      "%s", a.flat);
	xml_value(a.body, "AccessKeyId", v, sizeof(v));
	ck_assert_msg(strncmp(v, "ASIA", 4) == 0 && strlen(v) == 20, "key id %s", v);
	xml_value(a.body, "Arn", v, sizeof(v));
	ck_assert_str_eq(v, "arn:aws:sts::" ACCOUNT ":assumed-role/deploy/ci");
	xml_value(a.body, "Provider", v, sizeof(v));
	ck_assert_str_eq(v, PROVIDER_ARN);
	xml_value(a.body, "Audience", v, sizeof(v));
	ck_assert_str_eq(v, "sts.amazonaws.com");
	xml_value(a.body, "SubjectFromWebIdentityToken", v, sizeof(v));
	ck_assert_str_eq(v, "repo:acme/app:ref:refs/heads/main");
	xml_value(a.body, "Expiration", v, sizeof(v));
	ck_assert_str_eq(v, "2026-11-18T12:06:40Z"); /* now + 3600 */
	ck_assert_str_eq(a.decision, "allow; check=credentials");
	xml_value(a.body, "RequestId", v, sizeof(v));
	ck_assert_str_eq(v, a.request_id);

	snprintf(path, sizeof(path), "/_trustlab/decisions/%s", a.request_id);
	send_raw("GET", path, NULL, NULL, &d);
	ck_assert_int_eq(d.status, 200);
	doc = json_loads(d.body, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "outcome")), "allow");
	ck_assert_int_ge(json_array_size(json_object_get(doc, "steps")), 9);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(doc, "steps"), 0), "check")),
			 "parameters");
	ck_assert_ptr_nonnull(json_object_get(doc, "policy"));
	ck_assert_ptr_nonnull(
		json_object_get(json_object_get(json_object_get(doc, "context"), "keys"),
				"token.actions.githubusercontent.com:repository"));
	ck_assert_msg(!strstr(d.body, tok), "the decision must not carry the token");
	json_decref(doc);
	{
		/* Rendered when fetched (lazily): a second fetch is the same text. */
		char *first = strdup(d.body);
		send_raw("GET", path, NULL, NULL, &d);
		ck_assert_int_eq(d.status, 200);
		ck_assert_str_eq(d.body, first);
		free(first);
	}
	send_raw("GET", "/_trustlab/decisions/no-such-id", NULL, NULL, &d);
	ck_assert_int_eq(d.status, 404);
	free(tok);
}
END_TEST

START_TEST(arwwi_get_query_form)
{
	struct answer a;
	struct tl_buf b;
	char *tok = mint_with(E.key, NULL);

	tl_buf_init(&b, 1 << 20);
	tl_buf_append_str(&b, "/?", NULL);
	{
		struct tl_buf q;
		tl_buf_init(&q, 1 << 20);
		form_add(&q, "Action", "AssumeRoleWithWebIdentity");
		form_add(&q, "Version", "2011-06-15");
		form_add(&q, "RoleArn", "arn:aws:iam::" ACCOUNT ":role/deploy");
		form_add(&q, "RoleSessionName", "get");
		form_add(&q, "WebIdentityToken", tok);
		form_add(&q, "DurationSeconds", "900");
		tl_buf_append_str(&b, tl_buf_str(&q), NULL);
		tl_buf_finish(&q);
	}
	send_raw("GET", tl_buf_str(&b), NULL, NULL, &a);
	ck_assert_msg(a.status == 200, "%ld %s %s", a.status, a.decision, a.flat);
	ck_assert_ptr_nonnull(strstr(a.body, "<Expiration>2026-11-18T11:21:40Z</Expiration>"));
	tl_buf_finish(&b);
	free(tok);
}
END_TEST

/* clang-format off */
static const struct {
	const char *name;
	const char *role;
	const char *claims; /* overrides, or a literal token with "!" prefix */
	const char *extra; /* more form parameters */
	int status;
	const char *code;
	const char *message; /* substring of <Message>, or NULL */
	const char *check; /* in x-trustlab-decision, or NULL */
} deny_cases[] = {
	/* §1.6 step 2: a missing role is AccessDenied even with a garbage token. */
	{"missing role, garbage token", "nobody", "!token", NULL, 403, "AccessDenied",
	 "Not authorized to perform sts:AssumeRoleWithWebIdentity", "check=role"},
	{"garbage token", "deploy", "!token", NULL, 400, "InvalidIdentityToken", NULL, "check=token-syntax"},
	{"two segments", "deploy", "!eyJhbGciOiJSUzI1NiJ9.e30", NULL, 400, "InvalidIdentityToken", NULL, "check=token-syntax"},
	{"alg none", "deploy", "!eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIn0.c2ln", NULL, 400, "InvalidIdentityToken", NULL, "reason=alg-none"},
	{"HS256", "deploy", "!eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIn0.c2ln", NULL, 400, "InvalidIdentityToken", NULL, "reason=alg-hmac"},
	{"unregistered issuer", "deploy", "{\"iss\":\"https://evil.example.com\"}", NULL, 400, "InvalidIdentityToken",
	 "No OpenIDConnect provider found in your account for https://evil.example.com", "check=issuer"},
	{"issuer differs by a trailing slash", "deploy", "{\"iss\":\"" ISS "/\"}", NULL, 400, "InvalidIdentityToken",
	 "No OpenIDConnect provider found", "check=issuer"},
	{"wrong audience", "deploy", "{\"aud\":\"wrong.example.com\"}", NULL, 400, "InvalidIdentityToken",
	 "Incorrect token audience", "check=audience"},
	{"missing audience", "deploy", "{\"aud\":null}", NULL, 400, "InvalidIdentityToken",
	 "Missing a required claim: aud", "check=audience"},
	{"audience array without a client id", "deploy", "{\"aud\":[\"a\",\"b\"]}", NULL, 400, "InvalidIdentityToken",
	 "Incorrect token audience", "check=audience"},
	{"expired", "deploy", "{\"exp\":1794999000,\"iat\":1794990000,\"nbf\":1794990000}", NULL, 400, "ExpiredTokenException", NULL, "check=time"},
	{"not yet valid", "deploy", "{\"nbf\":1795009000}", NULL, 400, "ExpiredTokenException", NULL, "check=time"},
	{"exp as a string", "deploy", "{\"exp\":\"1795000300\"}", NULL, 400, "InvalidIdentityToken", NULL, "check=claims"},
	{"no sub", "deploy", "{\"sub\":null}", NULL, 400, "InvalidIdentityToken", NULL, "check=claims"},
	/* R10: a condition false. */
	{"sub of another repository", "deploy", "{\"sub\":\"repo:evil/app:ref:refs/heads/main\"}", NULL, 403, "AccessDenied",
	 "Not authorized to perform sts:AssumeRoleWithWebIdentity", "check=trust-policy"},
	/* R9: the token's provider is not the trusted one. */
	{"another provider trusted", "gitlab-only", NULL, NULL, 403, "AccessDenied", NULL, "check=trust-policy"},
	/* R11: only sts:AssumeRole is allowed. */
	{"only sts:AssumeRole allowed", "assume-only", NULL, NULL, 403, "AccessDenied", NULL, "check=trust-policy"},
	/* A well-formed ARN that names no role is a missing role. */
	{"a user ARN", "arn:aws:iam::123456789012:user/deploy", NULL, NULL, 403, "AccessDenied", NULL, "check=role"},
	{"another account's role", "arn:aws:iam::210987654321:role/deploy", NULL, NULL, 403, "AccessDenied", NULL, "check=role"},
	{"the role ARN without its path", "tagged", NULL, NULL, 403, "AccessDenied", NULL, "check=role"},
	/* R1: not an ARN at all. */
	{"not an ARN", "notanarn-notanarn-notanarn", NULL, NULL, 400, "ValidationError", "is invalid", "check=parameters"},
	/* R12: an explicit Deny wins. */
	{"explicit deny", "deploy", "{\"ref\":\"refs/heads/evil\"}", NULL, 403, "AccessDenied", NULL, "statement=NoForks"},
	/* §2.4: tags need sts:TagSession; the deploy role does not allow it. */
	{"session tags without sts:TagSession", "deploy",
	 "{\"https://aws.amazon.com/tags\":{\"principal_tags\":{\"team\":[\"platform\"]}}}", NULL, 403, "AccessDenied", NULL,
	 "action=sts:TagSession"},
	{"session tag condition false", "ci/tagged",
	 "{\"https://aws.amazon.com/tags\":{\"principal_tags\":{\"team\":[\"other\"]}}}", NULL, 403, "AccessDenied", NULL, "check=trust-policy"},
	{"malformed tags claim", "ci/tagged", "{\"https://aws.amazon.com/tags\":[1]}", NULL, 400, "InvalidIdentityToken", NULL, "check=session-tags"},
	{"source identity without SetSourceIdentity", "deploy", "{\"https://aws.amazon.com/source_identity\":\"alice\"}", NULL, 403,
	 "AccessDenied", NULL, "action=sts:SetSourceIdentity"},
	{"roles claim without the role", "deploy", "{\"https://aws.amazon.com/roles\":[\"arn:aws:iam::123456789012:role/other\"]}", NULL, 400,
	 "InvalidIdentityToken", "The target role ARN is not present in the roles claim of the identity token", "check=roles-claim"},
	/* R3: over the role's maximum, after the trust policy. */
	{"duration over the role maximum", "deploy", NULL, "DurationSeconds=7200", 400, "ValidationError",
	 "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", "check=duration"},
	{"duration below 900", "deploy", NULL, "DurationSeconds=899", 400, "ValidationError", "durationSeconds", "check=parameters"},
	{"duration not a number", "deploy", NULL, "DurationSeconds=ten", 400, "InvalidParameterValue", NULL, NULL},
	/* R6 */
	{"ProviderId with an OIDC token", "deploy", NULL, "ProviderId=www.amazon.com", 400, "InvalidParameterValue", NULL, NULL},
	/* R4, R5 */
	{"empty session policy", "deploy", NULL, "Policy=", 400, "ValidationError", NULL, NULL},
	{"eleven policy ARNs", "deploy", NULL,
	 "PolicyArns.member.1.arn=arn:aws:iam::aws:policy/A1&PolicyArns.member.2.arn=arn:aws:iam::aws:policy/A2&"
	 "PolicyArns.member.3.arn=arn:aws:iam::aws:policy/A3&PolicyArns.member.4.arn=arn:aws:iam::aws:policy/A4&"
	 "PolicyArns.member.5.arn=arn:aws:iam::aws:policy/A5&PolicyArns.member.6.arn=arn:aws:iam::aws:policy/A6&"
	 "PolicyArns.member.7.arn=arn:aws:iam::aws:policy/A7&PolicyArns.member.8.arn=arn:aws:iam::aws:policy/A8&"
	 "PolicyArns.member.9.arn=arn:aws:iam::aws:policy/A9&PolicyArns.member.10.arn=arn:aws:iam::aws:policy/A10&"
	 "PolicyArns.member.11.arn=arn:aws:iam::aws:policy/A11", 400, "ValidationError", "policyArns", NULL},
	/* §1.6 step 6: session policies. */
	{"session policy not a document", "deploy", NULL, "Policy=%7Bnot%20json", 400, "MalformedPolicyDocument", NULL,
	 "check=session-policy"},
	{"session policy without Statement", "deploy", NULL, "Policy=%7B%22Version%22%3A%222012-10-17%22%7D", 400,
	 "MalformedPolicyDocument", NULL, "check=session-policy"},
	/* R8 */
	{"duplicate parameter", "deploy", NULL, "RoleSessionName=again", 400, "InvalidQueryParameter", NULL, NULL},
	{"NUL byte", "deploy", NULL, "Policy=%00", 404, "MalformedQueryString", NULL, NULL},
	{"unknown parameter", "deploy", NULL, "Tags.member.1.Key=a", 400, "InvalidQueryParameter", NULL, NULL},
};
/* clang-format on */

START_TEST(arwwi_denies_in_order)
{
	struct answer a;
	char *tok;
	char msg[1024];

	for (size_t i = 0; i < sizeof(deny_cases) / sizeof(deny_cases[0]); i++) {
		const char *claims = deny_cases[i].claims;
		tok = claims && claims[0] == '!' ? strdup(claims + 1) : mint_with(E.key, claims);
		arwwi(deny_cases[i].role, tok, deny_cases[i].extra, &a);
		ASSERT_CODE(&a, deny_cases[i].status, deny_cases[i].code, deny_cases[i].name);
		xml_value(a.body, "Message", msg, sizeof(msg));
		ck_assert_msg(!deny_cases[i].message || strstr(msg, deny_cases[i].message),
			      "case %s: message '%s'", deny_cases[i].name, msg);
		ck_assert_msg(!deny_cases[i].check || strstr(a.decision, deny_cases[i].check),
			      "case %s: decision '%s'", deny_cases[i].name, a.decision);
		ck_assert_msg(!strstr(a.body, "<Credentials>"), "case %s: credentials",
			      deny_cases[i].name);
		free(tok);
	}
}
END_TEST

START_TEST(arwwi_parameter_errors)
{
	static const struct {
		const char *name, *body, *code;
		int status;
	} cases[] = {
		{"missing Action", "Version=2011-06-15", "MissingAction", 400},
		{"missing Version", "Action=AssumeRoleWithWebIdentity", "MissingParameter", 400},
		{"unknown action", "Action=AssumeRole&Version=2011-06-15", "InvalidAction", 400},
		{"wrong version", "Action=AssumeRoleWithWebIdentity&Version=2010-05-08",
		 "InvalidAction", 400},
		{"short role ARN",
		 "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn:aws:iam::1:r&"
		 "RoleSessionName=ci&WebIdentityToken=token",
		 "ValidationError", 400},
		{"bad session name",
		 "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn:aws:iam::"
		 "123456789012:role/deploy&RoleSessionName=a:b&WebIdentityToken=token",
		 "ValidationError", 400},
		{"short token",
		 "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn:aws:iam::"
		 "123456789012:role/deploy&RoleSessionName=ci&WebIdentityToken=abc",
		 "ValidationError", 400},
		{"bad escape", "Action=Assume%zzRole&Version=2011-06-15", "MalformedQueryString",
		 404},
	};
	struct answer a;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		post_form(cases[i].body, &a);
		ASSERT_CODE(&a, cases[i].status, cases[i].code, cases[i].name);
	}
	/* A multipart body never reaches the token code (R8). */
	{
		const char *h[] = {"Content-Type: multipart/form-data; boundary=x", NULL};
		send_raw("POST", "/", h, "--x--", &a);
		ASSERT_CODE(&a, 404, "MalformedQueryString", "multipart");
	}
}
END_TEST

START_TEST(arwwi_unknown_kid_refetches_once)
{
	struct answer a;
	struct tl_jose_key *both[2] = {E.key, E.other};
	char *tok = mint_with(E.other, NULL);
	int before;

	arwwi("deploy", tok, NULL, &a); /* first fetch; key-2 is not published */
	ASSERT_CODE(&a, 400, "InvalidIdentityToken", "unpublished key");
	ck_assert_ptr_nonnull(strstr(a.decision, "reason=kid-unknown"));
	publish(both, 2); /* rotation: the issuer now publishes key-2 */
	pthread_mutex_lock(&E.lock);
	before = E.jwks_fetches;
	pthread_mutex_unlock(&E.lock);
	arwwi("deploy", tok, NULL, &a);
	ck_assert_msg(a.status == 200, "after rotation: %ld %s", a.status, a.decision);
	arwwi("deploy", tok, NULL, &a); /* now cached */
	ck_assert_int_eq(a.status, 200);
	pthread_mutex_lock(&E.lock);
	ck_assert_int_eq(E.jwks_fetches, before + 1);
	pthread_mutex_unlock(&E.lock);
	free(tok);
}
END_TEST

START_TEST(arwwi_bad_signature_and_idp_down)
{
	struct answer a;
	struct tl_jose_key *k;
	const char *ids[] = {"sts.amazonaws.com"};
	char *tok, *forged;
	char down_policy[1024];

	/* key-1's kid on another key's signature */
	k = load_key("rsa2048-b.pem", "key-1");
	tok = mint_with(k, NULL);
	arwwi("deploy", tok, NULL, &a);
	ASSERT_CODE(&a, 400, "InvalidIdentityToken", "signature by another key");
	ck_assert_msg(strstr(a.decision, "check=signature"), "%s", a.decision);
	free(tok);
	tl_jose_key_free(k);

	/* an unreachable issuer: IDPCommunicationError */
	ck_assert_int_eq(tl_stsd_create_provider(E.svc, "https://down.example.com", ids, 1, NULL),
			 0);
	snprintf(down_policy, sizeof(down_policy),
		 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
		 "{\"Federated\":\"arn:aws:iam::%s:oidc-provider/down.example.com\"},\"Action\":"
		 "\"sts:AssumeRoleWithWebIdentity\"}]}",
		 ACCOUNT);
	ck_assert_int_eq(tl_stsd_create_role(E.svc, "down", NULL, down_policy, 0, NULL), 0);
	forged = mint_with(E.key, "{\"iss\":\"https://down.example.com\"}");
	arwwi("down", forged, NULL, &a);
	ASSERT_CODE(&a, 400, "IDPCommunicationError", "issuer down");
	ck_assert_ptr_nonnull(strstr(a.body, "Couldn't retrieve verification key"));
	free(forged);
}
END_TEST

START_TEST(arwwi_session_policy_packed_size)
{
	struct answer a;
	char *tok = mint_with(E.key, NULL);

	arwwi("deploy", tok,
	      "Policy=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A"
	      "%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D",
	      &a);
	ck_assert_msg(a.status == 200, "%ld %s", a.status, a.flat);
	ck_assert_msg(strstr(a.body, "<PackedPolicySize>5</PackedPolicySize>"), "%s", a.flat);
	arwwi("deploy", tok, NULL, &a);
	ck_assert_msg(!strstr(a.body, "PackedPolicySize"), "%s", a.flat);
	free(tok);
}
END_TEST

START_TEST(arwwi_tags_and_source_identity_allowed)
{
	struct answer a, d;
	char *tok = mint_with(E.key, "{\"https://aws.amazon.com/tags\":{\"principal_tags\":{"
				     "\"team\":[\"platform\"]},\"transitive_tag_keys\":[\"team\"]},"
				     "\"https://aws.amazon.com/source_identity\":\"alice\"}");
	char v[256], path[128];

	arwwi("ci/tagged", tok, "DurationSeconds=7200", &a);
	ck_assert_msg(a.status == 200, "%ld %s %s", a.status, a.decision, a.flat);
	xml_value(a.body, "SourceIdentity", v, sizeof(v));
	ck_assert_str_eq(v, "alice");
	xml_value(a.body, "Arn", v, sizeof(v));
	ck_assert_str_eq(v, "arn:aws:sts::" ACCOUNT ":assumed-role/tagged/ci");
	snprintf(path, sizeof(path), "/_trustlab/decisions/%s", a.request_id);
	send_raw("GET", path, NULL, NULL, &d);
	ck_assert_ptr_nonnull(strstr(d.body, "\"aws:RequestTag/team\":[\"platform\"]"));
	ck_assert_ptr_nonnull(strstr(d.body, "\"sts:TransitiveTagKeys\":[\"team\"]"));
	ck_assert_ptr_nonnull(strstr(d.body, "\"sts:SourceIdentity\":[\"alice\"]"));
	free(tok);
}
END_TEST

/*
 * No malformed token is ever answered with credentials: every single-byte
 * change, every truncation and every appended byte of a valid token is
 * refused (reference/reliability.md §4.6, the per-byte mutation sweep).
 */
START_TEST(arwwi_mutation_sweep_never_allows)
{
	static const char alphabet[] = "AZaz09-_.=+/ ";
	struct answer a;
	char *tok = mint_with(E.key, NULL);
	size_t len = strlen(tok), tried = 0;
	char *m = malloc(len + 2);

	arwwi("deploy", tok, NULL, &a);
	ck_assert_int_eq(a.status, 200);
	for (size_t i = 0; i < len; i += 3) {
		for (size_t k = i % 4; k < sizeof(alphabet) - 1; k += 4) {
			if (tok[i] == alphabet[k])
				continue;
			memcpy(m, tok, len + 1);
			m[i] = alphabet[k];
			arwwi("deploy", m, NULL, &a);
			ck_assert_msg(a.status != 200 && !strstr(a.body, "<Credentials>"),
				      "byte %zu -> '%c' was accepted", i, alphabet[k]);
			tried++;
		}
	}
	for (size_t cut = 1; cut < len; cut += 37) {
		memcpy(m, tok, cut);
		m[cut] = '\0';
		arwwi("deploy", m, NULL, &a);
		ck_assert_msg(a.status != 200, "truncated to %zu was accepted", cut);
	}
	memcpy(m, tok, len);
	m[len] = 'A';
	m[len + 1] = '\0';
	arwwi("deploy", m, NULL, &a);
	ck_assert_msg(a.status != 200, "an appended byte was accepted");
	ck_assert_uint_gt(tried, 500);
	free(m);
	free(tok);
}
END_TEST

/* --- GetCallerIdentity ------------------------------------------------------------- */

START_TEST(caller_identity_with_issued_credentials)
{
	static const char gci[] = "Action=GetCallerIdentity&Version=2011-06-15";
	struct answer a;
	char akid[64], secret[64], token[600], v[256];
	char *tok = mint_with(E.key, NULL);

	arwwi("deploy", tok, "DurationSeconds=900", &a);
	ck_assert_int_eq(a.status, 200);
	xml_value(a.body, "AccessKeyId", akid, sizeof(akid));
	xml_value(a.body, "SecretAccessKey", secret, sizeof(secret));
	xml_value(a.body, "SessionToken", token, sizeof(token));

	post_signed(gci, akid, secret, token, "sts", &a);
	ck_assert_msg(a.status == 200, "%ld %s", a.status, a.flat);
	xml_value(a.body, "Arn", v, sizeof(v));
	ck_assert_str_eq(v, "arn:aws:sts::" ACCOUNT ":assumed-role/deploy/ci");
	xml_value(a.body, "Account", v, sizeof(v));
	ck_assert_str_eq(v, ACCOUNT);
	xml_value(a.body, "UserId", v, sizeof(v));
	ck_assert_msg(strncmp(v, "AROA", 4) == 0 && strstr(v, ":ci"), "%s", v);

	post_signed(gci, akid, "wrong-secret-wrong-secret-wrong-secret-x", token, "sts", &a);
	ASSERT_CODE(&a, 403, "SignatureDoesNotMatch", "wrong secret");
	post_signed(gci, "ASIAAAAAAAAAAAAAAAAA", secret, token, "sts", &a);
	ASSERT_CODE(&a, 403, "InvalidClientTokenId", "unknown key id");
	post_signed(gci, akid, secret, NULL, "sts", &a);
	ASSERT_CODE(&a, 403, "InvalidClientTokenId", "no session token");
	post_form(gci, &a);
	ASSERT_CODE(&a, 403, "MissingAuthenticationToken", "unsigned");
	post_signed(gci, "test", "test", NULL, "sts", &a);
	ck_assert_int_eq(a.status, 200);
	ck_assert_ptr_nonnull(strstr(a.body, "<Arn>arn:aws:iam::" ACCOUNT ":user/admin</Arn>"));

	/* 901 s later the 900 s session has expired. */
	E.clock.pinned_ms += 901 * 1000;
	post_signed(gci, akid, secret, token, "sts", &a);
	ASSERT_CODE(&a, 403, "ExpiredToken", "expired session");
	ck_assert_ptr_nonnull(
		strstr(a.body, "The security token included in the request is expired"));
	free(tok);
}
END_TEST

/* --- IAM ------------------------------------------------------------------------------ */

static void
iam(const char *body, struct answer *a)
{
	post_signed(body, "test", "test", NULL, "iam", a);
}

START_TEST(iam_actions_over_the_wire)
{
	struct answer a;
	struct tl_buf b;
	char *tok;

	iam("Action=ListOpenIDConnectProviders&Version=2010-05-08", &a);
	ck_assert_int_eq(a.status, 200);
	ck_assert_ptr_nonnull(strstr(a.body, "<Arn>" PROVIDER_ARN "</Arn>"));
	iam("Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url=https%3A%2F%2Fgitlab.com&"
	    "ClientIDList.member.1=https%3A%2F%2Fgitlab.com",
	    &a);
	ck_assert_msg(a.status == 200, "%s", a.flat);
	ck_assert_ptr_nonnull(strstr(
		a.body,
		"<OpenIDConnectProviderArn>arn:aws:iam::123456789012:oidc-provider/gitlab.com"));
	iam("Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url=https%3A%2F%2Fgitlab.com&"
	    "ClientIDList.member.1=x",
	    &a);
	ASSERT_CODE(&a, 409, "EntityAlreadyExists", "provider twice");
	iam("Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url=http%3A%2F%2Fgitlab.com&"
	    "ClientIDList.member.1=x",
	    &a);
	ASSERT_CODE(&a, 400, "InvalidInput", "provider over http");
	iam("Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url=https%3A%2F%2Fa.example.com&"
	    "ClientIDList.member.1=x&ClientIDList.member.2=x",
	    &a);
	ASSERT_CODE(&a, 400, "InvalidInput", "duplicate client id");
	{
		const char *h[] = {"Content-Type: application/x-www-form-urlencoded",
				   "Authorization: AWS4-HMAC-SHA256 Credential=test/20261118/"
				   "us-east-1/iam/aws4_request",
				   NULL};
		send_raw("POST", "/", h, "Action=ListRoles&Version=2010-05-08", &a);
		ASSERT_CODE(&a, 400, "IncompleteSignature", "no SignedHeaders, no Signature");
	}
	iam("Action=AddClientIDToOpenIDConnectProvider&Version=2010-05-08&"
	    "OpenIDConnectProviderArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Aoidc-provider%2Fgitlab."
	    "com&"
	    "ClientID=second",
	    &a);
	ck_assert_int_eq(a.status, 200);
	iam("Action=GetOpenIDConnectProvider&Version=2010-05-08&"
	    "OpenIDConnectProviderArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Aoidc-provider%2Fgitlab."
	    "com",
	    &a);
	ck_assert_msg(a.status == 200 && strstr(a.body, "<member>second</member>"), "%s", a.flat);
	iam("Action=DeleteOpenIDConnectProvider&Version=2010-05-08&"
	    "OpenIDConnectProviderArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Aoidc-provider%2Fgitlab."
	    "com",
	    &a);
	ck_assert_int_eq(a.status, 200);
	iam("Action=GetOpenIDConnectProvider&Version=2010-05-08&"
	    "OpenIDConnectProviderArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Aoidc-provider%2Fgitlab."
	    "com",
	    &a);
	ASSERT_CODE(&a, 404, "NoSuchEntity", "deleted provider");

	tl_buf_init(&b, 1 << 20);
	form_add(&b, "Action", "CreateRole");
	form_add(&b, "Version", "2010-05-08");
	form_add(&b, "RoleName", "bad");
	form_add(&b, "AssumeRolePolicyDocument",
		 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{"
		 "\"Federated\":\"" PROVIDER_ARN "\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\","
		 "\"Condition\":{\"StringEqualz\":{\"a\":\"b\"}}}]}");
	iam(tl_buf_str(&b), &a);
	ASSERT_CODE(&a, 400, "MalformedPolicyDocument", "unknown operator");
	ck_assert_msg(strstr(a.body, "Statement[0].Condition"), "path in the message: %s", a.body);
	tl_buf_reset(&b);
	{
		char pol[8000], sid[2101];
		memset(sid, 'a', sizeof(sid) - 1);
		sid[sizeof(sid) - 1] = '\0';
		snprintf(pol, sizeof(pol),
			 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"%s\","
			 "\"Effect\":\"Allow\",\"Principal\":{\"Federated\":\"" PROVIDER_ARN
			 "\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\"}]}",
			 sid);
		form_add(&b, "Action", "CreateRole");
		form_add(&b, "Version", "2010-05-08");
		form_add(&b, "RoleName", "big");
		form_add(&b, "AssumeRolePolicyDocument", pol);
	}
	iam(tl_buf_str(&b), &a);
	ASSERT_CODE(&a, 409, "LimitExceeded", "policy over 2048");
	ck_assert_ptr_nonnull(strstr(a.body, "Cannot exceed quota for ACLSizePerRole: 2048"));

	tl_buf_reset(&b);
	form_add(&b, "Action", "CreateRole");
	form_add(&b, "Version", "2010-05-08");
	form_add(&b, "RoleName", "Deploy"); /* names are unique ignoring case */
	form_add(&b, "AssumeRolePolicyDocument", deploy_policy);
	iam(tl_buf_str(&b), &a);
	ASSERT_CODE(&a, 409, "EntityAlreadyExists", "role twice");
	iam("Action=GetRole&Version=2010-05-08&RoleName=nobody", &a);
	ASSERT_CODE(&a, 404, "NoSuchEntity", "missing role");
	iam("Action=GetRole&Version=2010-05-08&RoleName=deploy", &a);
	ck_assert_msg(a.status == 200 && strstr(a.body, "<MaxSessionDuration>3600<"), "%s", a.flat);
	iam("Action=UpdateRole&Version=2010-05-08&RoleName=deploy&MaxSessionDuration=7200", &a);
	ck_assert_int_eq(a.status, 200);
	iam("Action=ListRoles&Version=2010-05-08&PathPrefix=%2Fci%2F", &a);
	ck_assert_msg(strstr(a.body, "<RoleName>tagged</RoleName>") &&
			      !strstr(a.body, "<RoleName>deploy</RoleName>"),
		      "%s", a.flat);
	iam("Action=ListRoles&Version=2010-05-08&MaxItems=1", &a);
	ck_assert_msg(strstr(a.body, "<IsTruncated>true</IsTruncated>"), "%s", a.flat);

	/* UpdateAssumeRolePolicy takes effect for the next ARWWI. */
	tok = mint_with(E.key, NULL);
	arwwi("deploy", tok, "DurationSeconds=7200", &a);
	ck_assert_int_eq(a.status, 200);
	tl_buf_reset(&b);
	form_add(&b, "Action", "UpdateAssumeRolePolicy");
	form_add(&b, "Version", "2010-05-08");
	form_add(&b, "RoleName", "deploy");
	form_add(&b, "PolicyDocument", tags_policy);
	iam(tl_buf_str(&b), &a);
	ck_assert_msg(a.status == 200, "%s", a.flat);
	arwwi("deploy", tok, NULL, &a);
	ASSERT_CODE(&a, 403, "AccessDenied", "after the policy changed");
	iam("Action=DeleteRole&Version=2010-05-08&RoleName=deploy", &a);
	ck_assert_int_eq(a.status, 200);
	arwwi("deploy", tok, NULL, &a);
	ASSERT_CODE(&a, 403, "AccessDenied", "deleted role");
	ck_assert_ptr_nonnull(strstr(a.decision, "check=role"));

	/* Authentication of IAM calls. */
	post_form("Action=ListRoles&Version=2010-05-08", &a);
	ASSERT_CODE(&a, 403, "MissingAuthenticationToken", "unsigned IAM");
	post_signed("Action=ListRoles&Version=2010-05-08", "test", "nope", NULL, "iam", &a);
	ASSERT_CODE(&a, 403, "SignatureDoesNotMatch", "wrong admin secret");
	post_signed("Action=ListRoles&Version=2010-05-08", "test", "test", NULL, "sts", &a);
	ASSERT_CODE(&a, 403, "SignatureDoesNotMatch", "IAM signed for sts");
	tl_buf_finish(&b);
	free(tok);
}
END_TEST

START_TEST(iam_with_session_credentials_is_denied)
{
	struct answer a;
	char akid[64], secret[64], token[600];
	char *tok = mint_with(E.key, NULL);

	arwwi("deploy", tok, NULL, &a);
	xml_value(a.body, "AccessKeyId", akid, sizeof(akid));
	xml_value(a.body, "SecretAccessKey", secret, sizeof(secret));
	xml_value(a.body, "SessionToken", token, sizeof(token));
	post_signed("Action=ListRoles&Version=2010-05-08", akid, secret, token, "iam", &a);
	ASSERT_CODE(&a, 403, "AccessDenied", "IAM with session credentials");
	free(tok);
}
END_TEST

/* --- framework errors, state, audit, concurrency ------------------------------------ */

START_TEST(framework_errors_are_aws_xml)
{
	struct answer a;
	char *big = malloc(70 * 1024);

	memset(big, 'a', 70 * 1024 - 1);
	big[70 * 1024 - 1] = '\0';
	memcpy(big, "Action=", 7);
	post_form(big, &a);
	ASSERT_CODE(&a, 413, "RequestEntityTooLarge", "body over 64 KiB");
	send_raw("GET", "/nothing-here", NULL, NULL, &a);
	ck_assert_int_eq(a.status, 404);
	ck_assert_ptr_nonnull(strstr(a.body, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/"));
	free(big);
}
END_TEST

START_TEST(state_survives_restart)
{
	struct tl_error err;
	struct answer a;
	char *tok;
	const char *ids[] = {"sts.amazonaws.com"};

	snprintf(E.state, sizeof(E.state), "/tmp/test-stsd-state-%d.json", (int)getpid());
	unlink(E.state);
	stop_sts();
	start_sts(E.state, NULL);
	ck_assert_int_eq(tl_stsd_create_provider(E.svc, ISS, ids, 1, &err), 0);
	ck_assert_int_eq(tl_stsd_create_role(E.svc, "deploy", NULL, deploy_policy, 0, &err), 0);
	iam("Action=UpdateRole&Version=2010-05-08&RoleName=deploy&MaxSessionDuration=7200", &a);
	ck_assert_int_eq(a.status, 200);
	stop_sts();
	start_sts(E.state, NULL);
	ck_assert_int_eq(tl_stsd_provider_count(E.svc), 1);
	ck_assert_int_eq(tl_stsd_role_count(E.svc), 1);
	tok = mint_with(E.key, NULL);
	arwwi("deploy", tok, "DurationSeconds=7200", &a);
	ck_assert_msg(a.status == 200, "after reload: %s", a.decision);
	free(tok);

	/* A broken file is refused with its name, never half-loaded. */
	stop_sts();
	ck_assert_int_eq(tl_file_write_atomic(E.state, "{\"version\":1,", 13, 0600, NULL), 0);
	{
		struct tl_stsd_config cfg;
		struct tl_stsd *svc;
		tl_stsd_config_init(&cfg);
		cfg.state_path = E.state;
		svc = tl_stsd_new(&cfg, &err);
		ck_assert_ptr_null(svc);
		ck_assert_msg(strstr(err.message, "test-stsd-state"), "%s", err.message);
		{
			const char bad[] = "{\"version\":1,\"account\":\"123456789012\","
					   "\"providers\":[],\"roles\":[{\"name\":\"x\"}]}";
			ck_assert_int_eq(
				tl_file_write_atomic(E.state, bad, strlen(bad), 0600, NULL), 0);
		}
		svc = tl_stsd_new(&cfg, &err);
		ck_assert_ptr_null(svc);
		ck_assert_msg(strstr(err.path, "roles[0]"), "%s / %s", err.path, err.message);
	}
	start_sts(NULL, NULL);
}
END_TEST

START_TEST(audit_log_is_cloudtrail_shaped)
{
	struct answer a;
	char *tok = mint_with(E.key, NULL), *deny = mint_with(E.key, "{\"sub\":\"repo:x/y:z\"}");
	char *text = NULL;
	size_t len;
	json_t *ev;

	arwwi("deploy", tok, NULL, &a);
	ck_assert_int_eq(a.status, 200);
	arwwi("deploy", deny, NULL, &a);
	ck_assert_int_eq(a.status, 403);
	ck_assert_int_eq(tl_file_read(E.audit, 1 << 22, &text, &len, NULL), 0);
	ck_assert_msg(!strstr(text, tok) && !strstr(text, "SecretAccessKey") &&
			      !strstr(text, "secretAccessKey") && !strstr(text, "sessionToken"),
		      "a secret in the audit log");
	{
		char *nl = strchr(text, '\n');
		ck_assert_ptr_nonnull(nl);
		ev = json_loadb(text, (size_t)(nl - text), 0, NULL);
		ck_assert_ptr_nonnull(ev);
		ck_assert_str_eq(json_string_value(json_object_get(
					 json_object_get(ev, "userIdentity"), "type")),
				 "WebIdentityUser");
		ck_assert_str_eq(json_string_value(json_object_get(ev, "eventSource")),
				 "sts.amazonaws.com");
		ck_assert_ptr_nonnull(json_object_get(
			json_object_get(json_object_get(ev, "responseElements"), "credentials"),
			"accessKeyId"));
		ck_assert_str_eq(json_string_value(json_object_get(
					 json_object_get(json_object_get(ev, "responseElements"),
							 "credentials"),
					 "expiration")),
				 "Nov 18, 2026, 12:06:40 PM");
		ck_assert_ptr_nonnull(json_object_get(ev, "trustlab"));
		json_decref(ev);
		ev = json_loads(nl + 1, JSON_DISABLE_EOF_CHECK, NULL);
		ck_assert_ptr_nonnull(ev);
		ck_assert_str_eq(json_string_value(json_object_get(ev, "errorCode")),
				 "AccessDenied");
		ck_assert_str_eq(json_string_value(json_object_get(ev, "errorMessage")),
				 "An unknown error occurred");
		ck_assert(json_is_null(json_object_get(ev, "responseElements")));
		ck_assert_str_eq(json_string_value(json_object_get(
					 json_object_get(ev, "userIdentity"), "userName")),
				 "repo:x/y:z");
		json_decref(ev);
	}
	free(text);
	free(tok);
	free(deny);
}
END_TEST

struct worker {
	int allowed, other;
	char *token;
};

static void *
hammer(void *arg)
{
	struct worker *w = arg;
	struct tl_http_client *cl = tl_http_client_new(NULL, NULL);
	char url[256];
	struct tl_buf b;

	snprintf(url, sizeof(url), "%s/", tl_http_server_url(E.sts));
	tl_buf_init(&b, 1 << 20);
	form_add(&b, "Action", "AssumeRoleWithWebIdentity");
	form_add(&b, "Version", "2011-06-15");
	form_add(&b, "RoleArn", "arn:aws:iam::" ACCOUNT ":role/deploy");
	form_add(&b, "RoleSessionName", "ci");
	form_add(&b, "WebIdentityToken", w->token);
	for (int i = 0; i < 40; i++) {
		struct tl_http_reply r;
		tl_http_reply_init(&r);
		if (tl_http_client_request(cl, "POST", url, NULL, tl_buf_str(&b), b.len, &r,
					   NULL) == 0 &&
		    r.status == 200)
			w->allowed++;
		else
			w->other++;
		tl_http_reply_finish(&r);
	}
	tl_buf_finish(&b);
	tl_http_client_free(cl);
	return NULL;
}

START_TEST(concurrent_requests_and_writes)
{
	pthread_t t[4];
	struct worker w[4];
	struct answer a;
	char *tok = mint_with(E.key, NULL);

	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){0, 0, tok};
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
	}
	for (int i = 0; i < 20; i++) {
		iam(i % 2 ? "Action=UpdateRole&Version=2010-05-08&RoleName=deploy&"
			    "MaxSessionDuration=7200"
			  : "Action=UpdateRole&Version=2010-05-08&RoleName=deploy&"
			    "MaxSessionDuration=3600",
		    &a);
		ck_assert_int_eq(a.status, 200);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(w[i].allowed == 40, "worker %d: %d allowed, %d other", i,
			      w[i].allowed, w[i].other);
	}
	free(tok);
}
END_TEST

START_TEST(config_file_preloads)
{
	char dir[] = "/tmp/test-stsd-config-XXXXXX", path[512], pol[512];
	struct tl_error err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(pol, sizeof(pol), "%s/trust.json", dir);
	ck_assert_int_eq(
		tl_file_write_atomic(pol, deploy_policy, strlen(deploy_policy), 0644, NULL), 0);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	{
		const char cfg[] = "{\"providers\":[{\"url\":\"https://gitlab.com\",\"client_ids\":"
				   "[\"https://gitlab.com\"]}],\"roles\":[{\"name\":\"from-file\","
				   "\"path\":\"/x/\",\"trust_policy\":\"trust.json\","
				   "\"max_session_duration\":7200}]}";
		ck_assert_int_eq(tl_file_write_atomic(path, cfg, strlen(cfg), 0644, NULL), 0);
	}
	ck_assert_msg(tl_stsd_load_config(E.svc, path, &err) == 0, "%s", err.message);
	ck_assert_int_eq(tl_stsd_provider_count(E.svc), 2);
	ck_assert_int_eq(tl_stsd_role_count(E.svc), 5);
	{
		const char cfg[] =
			"{\"roles\":[{\"name\":\"r\",\"trust_policy\":\"missing.json\"}]}";
		ck_assert_int_eq(tl_file_write_atomic(path, cfg, strlen(cfg), 0644, NULL), 0);
	}
	ck_assert_int_eq(tl_stsd_load_config(E.svc, path, &err), -1);
	ck_assert_msg(strstr(err.message, "missing.json"), "%s", err.message);
	unlink(path);
	unlink(pol);
	rmdir(dir);
}
END_TEST

START_TEST(idp_failures_are_idp_communication_errors)
{
	struct answer a, d;
	char *tok = mint_with(E.key, NULL), path[128];

	for (int mode = 1; mode <= 2; mode++) {
		E.jwks_mode = mode;
		arwwi("deploy", tok, NULL, &a);
		ck_assert_msg(a.status == 400 && strstr(a.body, "IDPCommunicationError"),
			      "mode %d: %ld %s", mode, a.status, a.flat);
		snprintf(path, sizeof(path), "/_trustlab/decisions/%s", a.request_id);
		send_raw("GET", path, NULL, NULL, &d);
		/* The trace names the URL that failed. */
		ck_assert_msg(strstr(d.body, "/.well-known/jwks"), "mode %d: %s", mode, d.flat);
	}
	E.jwks_mode = 0; /* the issuer is back: nothing bad was cached */
	arwwi("deploy", tok, NULL, &a);
	ck_assert_msg(a.status == 200, "%ld %s", a.status, a.decision);
	free(tok);
}
END_TEST

/* --- the program ----------------------------------------------------------------- */

static void
spawn(struct tl_test_proc *p, const char *const *args)
{
	char *argv[24];
	size_t n = 0;

	argv[n++] = (char *)tl_test_program("MOCK_STS");
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--now"; /* the clock the requests are signed with */
	argv[n++] = "1795000000";
	for (; *args && n < 22; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	ck_assert_msg(tl_test_spawn_server(p, argv, 10000) == 0, "mock-sts did not start");
	E.port = p->port;
}

START_TEST(program_flags)
{
	static const struct {
		const char *args[4];
		int status;
		const char *message;
	} bad[] = {
		{{"--admin-credentials", "nocolon"}, 2, "expected AKID:SECRET"},
		{{"--issuer-map", "https://x.example.com"}, 2, "expected ISSUER=VALUE"},
		{{"--now", "yesterday"}, 2, "--now"},
		{{"--policy-max-size", "5000"}, 2, "1-4096"},
		{{"--account", "12"}, 1, "is not 12 digits"},
		{{"--config", "/nonexistent/config.json"}, 1, "/nonexistent/config.json"},
		{{"--jwks-file", "https://x.example.com=/nonexistent.json"}, 1, "nonexistent"},
	};
	char out[4096], errb[4096];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[8] = {(char *)tl_test_program("MOCK_STS"), "--listen", "127.0.0.1:0"};
		size_t n = 3;
		for (size_t k = 0; bad[i].args[k]; k++)
			argv[n++] = (char *)bad[i].args[k];
		argv[n] = NULL;
		ck_assert_msg(tl_test_run(argv, 10000, out, sizeof(out), errb, sizeof(errb)) ==
				      bad[i].status,
			      "case %zu (%s): status, stderr %s", i, bad[i].args[0], errb);
		ck_assert_msg(strstr(errb, bad[i].message), "case %zu (%s): stderr %s", i,
			      bad[i].args[0], errb);
	}
	{
		char *help[] = {(char *)tl_test_program("MOCK_STS"), "--help", NULL};
		ck_assert_int_eq(tl_test_run(help, 5000, out, sizeof(out), errb, sizeof(errb)), 0);
		ck_assert_msg(strstr(out, "--issuer-map") && strstr(out, "/_trustlab/decisions/"),
			      "%s", out);
	}
}
END_TEST

START_TEST(program_admin_credentials_and_seed)
{
	const char *args[] = {"--admin-credentials", "AKIDADMIN:s3cret", "--seed", "fixed", NULL};
	struct tl_test_proc p;
	struct answer a;
	char id1[64], id2[64];

	for (int run = 0; run < 2; run++) {
		spawn(&p, args);
		post_signed("Action=ListRoles&Version=2010-05-08", "test", "test", NULL, "iam", &a);
		ASSERT_CODE(&a, 403, "InvalidClientTokenId", "default admin refused");
		{
			struct tl_buf b;
			tl_buf_init(&b, 1 << 16);
			form_add(&b, "Action", "CreateRole");
			form_add(&b, "Version", "2010-05-08");
			form_add(&b, "RoleName", "r");
			form_add(&b, "AssumeRolePolicyDocument", deploy_policy);
			post_signed(tl_buf_str(&b), "AKIDADMIN", "s3cret", NULL, "iam", &a);
			tl_buf_finish(&b);
		}
		ck_assert_msg(a.status == 200, "%ld %s", a.status, a.flat);
		xml_value(a.body, "RoleId", run ? id2 : id1, sizeof(id1));
		ck_assert_int_eq(WIFEXITED(tl_test_stop(&p, SIGTERM, 5000)), 1);
	}
	ck_assert_str_eq(id1, id2); /* --seed: the same ids */
	E.port = 0;
}
END_TEST

/*
 * kill -9 while IAM writes stream in: the state file is always the old or
 * the new version, and the next start loads it.
 */
START_TEST(program_state_survives_kill_9)
{
	char state[256];
	const char *args[] = {"--state", state, NULL};
	struct tl_test_proc p;
	struct answer a;
	int last = 0;

	snprintf(state, sizeof(state), "/tmp/test-stsd-kill-%d.json", (int)getpid());
	snprintf(E.state, sizeof(E.state), "%s", state);
	unlink(state);
	for (int round = 0; round < 6; round++) {
		char body[2048];
		int made = 0, roles;
		spawn(&p, args);
		post_signed("Action=ListRoles&Version=2010-05-08&MaxItems=1000", "test", "test",
			    NULL, "iam", &a);
		ck_assert_msg(a.status == 200 && !strstr(a.body, "<IsTruncated>true"),
			      "round %d: reload failed: %s", round, a.flat);
		roles = 0;
		for (const char *q = a.body; (q = strstr(q, "<RoleName>")); q++)
			roles++;
		ck_assert_msg(roles >= last, "round %d: %d roles, %d before", round, roles, last);
		/* A burst of writes; SIGKILL lands somewhere inside it. */
		{
			pid_t killer = fork();
			if (killer == 0) {
				usleep((useconds_t)(2000 + round * 3000));
				kill(p.pid, SIGKILL);
				_exit(0);
			}
			for (int i = 0; i < 200; i++) {
				struct tl_http_reply r;
				char url[64], date[TL_STS_AMZ_DATE_LEN + 1], auth[1024], host[64],
					hd[2][1100];
				struct tl_sts_http_header hs[3];
				struct tl_sts_http_request req;
				const char *lines[4];

				{
					struct tl_buf b;
					char name[32];
					tl_buf_init(&b, sizeof(body) - 1);
					snprintf(name, sizeof(name), "r%d-%d", round, i);
					form_add(&b, "Action", "CreateRole");
					form_add(&b, "Version", "2010-05-08");
					form_add(&b, "RoleName", name);
					form_add(&b, "AssumeRolePolicyDocument", tags_policy);
					snprintf(body, sizeof(body), "%s", tl_buf_str(&b));
					tl_buf_finish(&b);
				}
				snprintf(host, sizeof(host), "127.0.0.1:%u", p.port);
				tl_sts_sigv4_format_date(tl_clock_now(&E.clock), date);
				hs[0] = (struct tl_sts_http_header){"Host", host};
				hs[1] = (struct tl_sts_http_header){"X-Amz-Date", date};
				hs[2] = (struct tl_sts_http_header){
					"Content-Type", "application/x-www-form-urlencoded"};
				req = (struct tl_sts_http_request){"POST", "/",	 "",	      hs,
								   3,	   body, strlen(body)};
				tl_sts_sigv4_sign(&req, "test", "test", "us-east-1", "iam", auth,
						  sizeof(auth), NULL);
				snprintf(hd[0], sizeof(hd[0]), "X-Amz-Date: %s", date);
				snprintf(hd[1], sizeof(hd[1]), "Authorization: %s", auth);
				lines[0] = "Content-Type: application/x-www-form-urlencoded";
				lines[1] = hd[0];
				lines[2] = hd[1];
				lines[3] = NULL;
				snprintf(url, sizeof(url), "http://127.0.0.1:%u/", p.port);
				tl_http_reply_init(&r);
				if (tl_http_client_request(E.cl, "POST", url, lines, body,
							   strlen(body), &r, NULL) < 0) {
					tl_http_reply_finish(&r);
					break;
				}
				if (r.status == 200)
					made++;
				tl_http_reply_finish(&r);
			}
			waitpid(killer, NULL, 0);
		}
		tl_test_stop(&p, SIGKILL, 5000);
		/* The file parses, whatever moment the kill hit. */
		{
			json_error_t je;
			json_t *doc = json_load_file(state, JSON_REJECT_DUPLICATES, &je);
			if (roles + made > 0)
				ck_assert_msg(doc != NULL, "round %d: broken state: %s", round,
					      je.text);
			json_decref(doc);
		}
		last = roles + made; /* acknowledged writes are durable */
	}
	E.port = 0;
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("stsd");
	TCase *tc = tcase_create("service");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, arwwi_allows_and_explains);
	tcase_add_test(tc, arwwi_get_query_form);
	tcase_add_test(tc, arwwi_denies_in_order);
	tcase_add_test(tc, arwwi_parameter_errors);
	tcase_add_test(tc, arwwi_unknown_kid_refetches_once);
	tcase_add_test(tc, arwwi_bad_signature_and_idp_down);
	tcase_add_test(tc, arwwi_tags_and_source_identity_allowed);
	tcase_add_test(tc, arwwi_session_policy_packed_size);
	tcase_add_test(tc, arwwi_mutation_sweep_never_allows);
	tcase_add_test(tc, caller_identity_with_issued_credentials);
	tcase_add_test(tc, iam_actions_over_the_wire);
	tcase_add_test(tc, iam_with_session_credentials_is_denied);
	tcase_add_test(tc, framework_errors_are_aws_xml);
	tcase_add_test(tc, state_survives_restart);
	tcase_add_test(tc, audit_log_is_cloudtrail_shaped);
	tcase_add_test(tc, concurrent_requests_and_writes);
	tcase_add_test(tc, config_file_preloads);
	tcase_add_test(tc, idp_failures_are_idp_communication_errors);
	tcase_add_test(tc, program_flags);
	tcase_add_test(tc, program_admin_credentials_and_seed);
	tcase_add_test(tc, program_state_survives_kill_9);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
