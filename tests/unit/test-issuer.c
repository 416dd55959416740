/* SPDX-License-Identifier: MIT */
/*
 * lib/issuer through real HTTP on 127.0.0.1:0: golden tokens (every case
 * of the lib/claims corpus minted, signed, verified with the published
 * JWKS and compared claim by claim), faults (each earns its verifier
 * reason), the bad-request table of every endpoint, GitHub's runtime
 * protocol, rotation (also under concurrent minting), config files.
 *
 * Arguments: tests/data/claims, tests/data/keys, tests/data/issuer.
 */
#include "config.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/client.h"
#include "http/server.h"
#include "issuer/issuer.h"
#include "jose/jws.h"
#include "json/json.h"
#include "test-common.h"

struct fx {
	struct tl_issuer_config cfg;
	struct tl_issuer_service *svc;
	struct tl_http_server *srv;
	struct tl_http_client *cl;
	struct tl_http_reply reply;
	json_t *body; /* the last reply, parsed */
};

static char key_path[1024];

static void
fx_config(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	tl_issuer_config_init(&f->cfg);
	snprintf(key_path, sizeof(key_path), "%s/rsa2048.pem", tl_test_arg(1));
	ck_assert(tl_issuer_config_set_string(&f->cfg.key_file, key_path, NULL) == 0);
	f->cfg.clock_pinned = true;
	f->cfg.now_ms = 1727071187000LL;
	tl_http_reply_init(&f->reply);
}

static void
fx_start(struct fx *f)
{
	struct tl_http_server_config scfg;
	struct tl_http_client_config ccfg;
	struct tl_error err;

	tl_error_clear(&err);
	f->svc = tl_issuer_service_new(&f->cfg, &err);
	ck_assert_msg(f->svc, "service: %s: %s", err.path, err.message);
	tl_http_server_config_init(&scfg);
	f->srv = tl_http_server_new(&scfg, &err);
	ck_assert_msg(f->srv, "%s", err.message);
	ck_assert_msg(tl_issuer_service_mount(f->svc, f->srv, &err) == 0, "%s", err.message);
	ck_assert_msg(tl_http_server_start(f->srv, &err) == 0, "%s", err.message);
	tl_http_client_config_init(&ccfg);
	/* The wrong-key fault generates an RSA key: slow under valgrind. */
	ccfg.timeout_ms = 120000;
	f->cl = tl_http_client_new(&ccfg, &err);
	ck_assert(f->cl);
}

static void
fx_stop(struct fx *f)
{
	tl_http_client_free(f->cl);
	tl_http_server_free(f->srv);
	tl_issuer_service_free(f->svc);
	tl_issuer_config_finish(&f->cfg);
	tl_http_reply_finish(&f->reply);
	json_decref(f->body);
}

/* Sends a request; returns the status; f->body holds the JSON answer (or NULL). */
static long
req(struct fx *f, const char *method, const char *path, const char *const *headers,
    const char *body)
{
	char url[512];
	struct tl_error err;

	snprintf(url, sizeof(url), "%s%s", tl_http_server_url(f->srv), path);
	tl_http_reply_finish(&f->reply);
	tl_http_reply_init(&f->reply);
	json_decref(f->body);
	f->body = NULL;
	ck_assert_msg(tl_http_client_request(f->cl, method, url, headers, body,
					     body ? strlen(body) : 0, &f->reply, &err) == 0,
		      "%s %s: %s", method, path, err.message);
	f->body = json_loadb(tl_buf_str(&f->reply.body), f->reply.body.len, 0, NULL);
	return f->reply.status;
}

static long
post_json(struct fx *f, const char *path, const json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	long st = req(f, "POST", path, NULL, text);
	free(text);
	return st;
}

static struct tl_jwks *
fetch_jwks(struct fx *f, const char *prefix)
{
	char path[256];
	struct tl_error err;
	struct tl_jwks *jwks;

	snprintf(path, sizeof(path), "%s/.well-known/jwks", prefix);
	ck_assert_int_eq(req(f, "GET", path, NULL, NULL), 200);
	jwks = tl_jwks_load(tl_buf_str(&f->reply.body), f->reply.body.len, &err);
	ck_assert_msg(jwks, "%s", err.message);
	return jwks;
}

/* Verifies like mock-sts would: pinned clock, the given issuer and audience. */
static enum tl_jws_reason
verify(struct tl_jwks *jwks, const char *token, const char *iss, const char *aud, int64_t now,
       json_t **claims)
{
	struct tl_jws_expect e;
	struct tl_jws_result res;
	struct tl_clock clock;
	enum tl_jws_reason r;

	tl_jws_expect_init(&e);
	e.issuer = iss;
	e.audience = aud;
	e.allow_missing_sub = true;
	tl_clock_init_pinned(&clock, now * 1000);
	r = tl_jws_verify(token, strlen(token), jwks, &e, &clock, &res);
	if (claims)
		*claims = r == TL_JWS_OK ? json_incref(res.claims) : NULL;
	tl_jws_result_finish(&res);
	return r;
}

/* --- golden: the lib/claims corpus through the service ------------------------ */

#define MAX_CASES 512
static char *case_paths[MAX_CASES];
static char *case_profiles[MAX_CASES];
static int n_cases;

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
scan(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char sub[1024];
		DIR *d2;
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", root, e->d_name);
		if (!(d2 = opendir(sub)))
			continue;
		struct dirent *e2;
		while ((e2 = readdir(d2)) && n_cases < MAX_CASES) {
			size_t len = strlen(e2->d_name);
			char path[2100];
			if (len < 6 || strcmp(e2->d_name + len - 5, ".json") != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", sub, e2->d_name);
			case_paths[n_cases] = strdup(path);
			case_profiles[n_cases] = strdup(e->d_name);
			n_cases++;
		}
		closedir(d2);
	}
	closedir(d);
	/* Sort paths and profiles together: the profile is the parent directory. */
	qsort(case_paths, (size_t)n_cases, sizeof(char *), cmp_str);
	for (int i = 0; i < n_cases; i++) {
		const char *end = strrchr(case_paths[i], '/');
		const char *start = end;
		while (start > case_paths[i] && start[-1] != '/')
			start--;
		free(case_profiles[i]);
		case_profiles[i] = strndup(start, (size_t)(end - start));
	}
}

START_TEST(golden_corpus_present)
{
	ck_assert_msg(n_cases >= 100, "only %d golden cases found", n_cases);
}
END_TEST

START_TEST(golden)
{
	const char *name = strrchr(case_paths[_i], '/') + 1;
	const char *profile = case_profiles[_i];
	json_t *c, *options, *body, *want;
	const char *expect, *iss = NULL;
	char prefix[80], path[128];
	struct tl_error err;
	struct fx f;
	long st;

	c = tl_json_load_file(case_paths[_i], NULL, &err);
	ck_assert_msg(c, "case %s: %s", name, err.message);
	options = json_object_get(c, "options");
	expect = json_string_value(json_object_get(c, "expect"));
	fx_config(&f);
	ck_assert(tl_issuer_config_set_profiles(&f.cfg, profile, NULL) == 0);
	f.cfg.now_ms = json_integer_value(json_object_get(options, "now")) * 1000;
	if (json_object_get(options, "seed"))
		tl_issuer_config_set_string(
			&f.cfg.seed, json_string_value(json_object_get(options, "seed")), NULL);
	snprintf(prefix, sizeof(prefix), "/%s", profile);
	if (json_object_get(options, "issuer") || json_object_get(options, "org_sub_template") ||
	    json_object_get(options, "repo_sub_template")) {
		json_t *doc = json_pack("{s:[{s:s, s:s}]}", "issuers", "prefix", prefix, "profile",
					profile);
		json_t *def = json_array_get(json_object_get(doc, "issuers"), 0);
		if (json_object_get(options, "issuer"))
			json_object_set(def, "issuer", json_object_get(options, "issuer"));
		if (json_object_get(options, "org_sub_template"))
			json_object_set(def, "org_sub_template",
					json_object_get(options, "org_sub_template"));
		if (json_object_get(options, "repo_sub_template"))
			json_object_set(def, "repo_sub_template",
					json_object_get(options, "repo_sub_template"));
		ck_assert_msg(tl_issuer_config_load_json(&f.cfg, doc, NULL, &err) == 0,
			      "case %s: %s", name, err.message);
		json_decref(doc);
	}
	fx_start(&f);

	body = json_object();
	if (json_object_get(c, "context"))
		json_object_set(body, "context", json_object_get(c, "context"));
	if (json_object_get(options, "audience"))
		json_object_set(body, "audience", json_object_get(options, "audience"));
	snprintf(path, sizeof(path), "%s/tokens", prefix);
	st = post_json(&f, path, body);

	if (strcmp(expect, "token") == 0) {
		const char *token, *key;
		json_t *value, *claims = NULL, *aud, *answered;
		struct tl_jwks *jwks;
		int64_t now = json_integer_value(json_object_get(options, "now"));

		ck_assert_msg(st == 200, "case %s: status %ld: %s", name, st,
			      tl_buf_str(&f.reply.body));
		token = json_string_value(json_object_get(f.body, "token"));
		ck_assert_msg(token, "case %s: no token", name);
		token = strdup(token);
		answered = json_incref(json_object_get(f.body, "claims"));
		want = json_object_get(c, "claims");
		iss = json_string_value(json_object_get(want, "iss"));
		aud = json_object_get(want, "aud");
		jwks = fetch_jwks(&f, prefix);
		{
			enum tl_jws_reason r = verify(
				jwks, token, iss,
				json_is_string(aud) ? json_string_value(aud)
						    : json_string_value(json_array_get(aud, 0)),
				now, &claims);
			ck_assert_msg(r == TL_JWS_OK, "case %s: the token does not verify: %s",
				      name, tl_jws_reason_name(r));
		}
		/* Claim by claim, as the golden case states them. */
		json_object_foreach(want, key, value)
		{
			json_t *got = json_object_get(claims, key);
			char *a = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
			char *b = json_dumps(value, JSON_ENCODE_ANY);
			ck_assert_msg(got && json_equal(got, value),
				      "case %s: claim '%s' is %s, expected %s", name, key,
				      a ? a : "(absent)", b);
			free(a);
			free(b);
		}
		/* The answer's claims are the signed ones. */
		ck_assert_msg(json_equal(claims, answered),
			      "case %s: answer claims differ from the token's", name);
		json_decref(answered);
		/* Pinned clock: the same request gives the same token. */
		ck_assert_int_eq(post_json(&f, path, body), 200);
		ck_assert_msg(strcmp(token, json_string_value(json_object_get(f.body, "token"))) ==
				      0,
			      "case %s: not reproducible", name);
		json_decref(claims);
		tl_jwks_free(jwks);
		free((char *)token);
	} else if (strcmp(expect, "no-token") == 0) {
		const char *want_reason = json_string_value(json_object_get(c, "reason_contains"));
		const char *reason = json_string_value(json_object_get(f.body, "reason"));
		ck_assert_msg(st == 403, "case %s: status %ld, expected 403", name, st);
		ck_assert_msg(json_is_string(json_object_get(f.body, "error")) &&
				      strcmp(json_string_value(json_object_get(f.body, "error")),
					     "no-token") == 0,
			      "case %s: error is not no-token", name);
		ck_assert_msg(reason && (!want_reason || strstr(reason, want_reason)),
			      "case %s: reason '%s' lacks '%s'", name, reason ? reason : "",
			      want_reason);
	} else {
		const char *want_path = json_string_value(json_object_get(c, "error_path"));
		const char *got_path = json_string_value(json_object_get(f.body, "path"));
		ck_assert_msg(st == 400, "case %s: status %ld, expected 400", name, st);
		ck_assert_msg(!want_path || (got_path && strcmp(want_path, got_path) == 0),
			      "case %s: path '%s', expected '%s'", name, got_path ? got_path : "",
			      want_path);
	}
	json_decref(body);
	json_decref(c);
	fx_stop(&f);
}
END_TEST

/* --- faults ------------------------------------------------------------- */

static const struct {
	const char *fault;
	const char *reason;
} fault_table[] = {
#define X(id, name, reason, what) {name, reason},
	TL_ISSUER_FAULTS(X)
#undef X
};

#define GH_ISS "https://token.actions.githubusercontent.com"
#define K8S_BODY "{\"context\":{\"service_account\":\"deployer\"}}"
#define GITLAB_BODY "{\"context\":{\"project_path\":\"group/project\"}}"
#define PUSH_CTX "{\"repository\":\"octo/repo\",\"event\":\"push\",\"ref\":\"refs/heads/main\"}"

START_TEST(fault_earns_its_reason)
{
	const char *fault = fault_table[_i].fault;
	struct tl_jwks *jwks;
	struct fx f;
	char body[512];
	const char *token;

	fx_config(&f);
	tl_issuer_config_set_profiles(&f.cfg, "github", NULL);
	fx_start(&f);
	snprintf(body, sizeof(body),
		 "{\"context\":" PUSH_CTX
		 ",\"audience\":\"sts.amazonaws.com\",\"faults\":[\"%s\"]}",
		 fault);
	ck_assert_msg(req(&f, "POST", "/github/tokens", NULL, body) == 200, "fault %s: %s", fault,
		      tl_buf_str(&f.reply.body));
	token = strdup(json_string_value(json_object_get(f.body, "token")));
	jwks = fetch_jwks(&f, "/github");
	{
		enum tl_jws_reason r =
			verify(jwks, token, GH_ISS, "sts.amazonaws.com", 1727071187, NULL);
		ck_assert_msg(strcmp(tl_jws_reason_name(r), fault_table[_i].reason) == 0,
			      "fault %s: verifier says %s, expected %s", fault,
			      tl_jws_reason_name(r), fault_table[_i].reason);
	}
	free((char *)token);
	tl_jwks_free(jwks);
	fx_stop(&f);
}
END_TEST

START_TEST(fault_options_and_clean_token)
{
	struct tl_jwks *jwks;
	struct fx f;
	char *token;

	fx_config(&f);
	tl_issuer_config_set_profiles(&f.cfg, "github", NULL);
	fx_start(&f);
	jwks = fetch_jwks(&f, "/github");
	/* No fault: accepted. */
	ck_assert_int_eq(req(&f, "POST", "/github/tokens", NULL,
			     "{\"context\":" PUSH_CTX ",\"audience\":\"sts.amazonaws.com\"}"),
			 200);
	token = strdup(json_string_value(json_object_get(f.body, "token")));
	ck_assert_int_eq(verify(jwks, token, GH_ISS, "sts.amazonaws.com", 1727071187, NULL),
			 TL_JWS_OK);
	free(token);
	/* missing-claims with a list; wrong-issuer with a value; overrides. */
	ck_assert_int_eq(req(&f, "POST", "/github/tokens", NULL,
			     "{\"context\":" PUSH_CTX ",\"audience\":\"a\",\"faults\":[{\"fault\":"
			     "\"missing-claims\",\"claims\":[\"sub\"]},{\"fault\":\"wrong-issuer\","
			     "\"issuer\":\"https://"
			     "x.example\"}],\"claims\":{\"extra\":\"1\",\"actor\":null}}"),
			 200);
	{
		json_t *claims = json_object_get(f.body, "claims");
		ck_assert(!json_object_get(claims, "sub"));
		ck_assert(!json_object_get(claims, "actor"));
		ck_assert_str_eq(json_string_value(json_object_get(claims, "extra")), "1");
		ck_assert_str_eq(json_string_value(json_object_get(claims, "iss")),
				 "https://x.example");
	}
	tl_jwks_free(jwks);
	fx_stop(&f);
}
END_TEST

/* --- the bad-request table ----------------------------------------------- */

static const struct bad_case {
	const char *method;
	const char *path;
	const char *auth; /* Authorization header or NULL */
	const char *body;
	long status;
	const char *contains; /* in the body */
} bad_cases[] = {
	/* POST /tokens */
	{"POST", "/github/tokens", NULL, "{", 400, "request body"},
	{"POST", "/github/tokens", NULL, "[]", 400, "JSON object"},
	{"POST", "/github/tokens", NULL, "{\"contxt\":{}}", 400, "unknown field 'contxt'"},
	{"POST", "/github/tokens", NULL, "{\"context\":[]}", 400, "\"path\":\"context\""},
	{"POST", "/github/tokens", NULL, "{\"context\":{\"repository\":\"o/r\",\"ref\":5}}", 400,
	 "context.ref"},
	{"POST", "/github/tokens", NULL, "{\"context\":{\"bogus\":1}}", 400, "bogus"},
	{"POST", "/github/tokens", NULL, "{\"audience\":\"\"}", 400, "\"path\":\"audience\""},
	{"POST", "/github/tokens", NULL, "{\"audience\":[]}", 400, "\"path\":\"audience\""},
	{"POST", "/github/tokens", NULL, "{\"audience\":[1]}", 400, "\"path\":\"audience\""},
	{"POST", "/github/tokens", NULL, "{\"claims\":[]}", 400, "\"path\":\"claims\""},
	{"POST", "/github/tokens", NULL, "{\"faults\":{}}", 400, "\"path\":\"faults\""},
	{"POST", "/github/tokens", NULL, "{\"faults\":[\"nope\"]}", 400, "faults[0]"},
	{"POST", "/github/tokens", NULL, "{\"faults\":[7]}", 400, "faults[0]"},
	{"POST", "/github/tokens", NULL, "{\"faults\":[\"expired\",\"alg-none\",\"wrong-key\"]}",
	 400, "faults[2]"},
	{"POST", "/github/tokens", NULL, "{\"faults\":[{\"claims\":[\"aud\"]}]}", 400, "faults[0]"},
	{"POST", "/github/tokens", NULL,
	 "{\"faults\":[{\"fault\":\"expired\",\"claims\":[\"a\"]}]}", 400, "faults[0]"},
	{"POST", "/github/tokens", NULL, "{\"faults\":[{\"fault\":\"expired\",\"x\":1}]}", 400,
	 "unknown field 'x'"},
	{"POST", "/github/tokens", NULL, "{\"a\":1,\"a\":2}", 400, "request body"},
	{"POST", "/github/tokens", NULL,
	 "{\"context\":{\"repository\":\"o/r\",\"event\":\"pull_request\",\"fork\":true}}", 403,
	 "no-token"},
	{"GET", "/github/tokens", NULL, NULL, 405, "not allowed"},
	{"POST", "/nowhere/tokens", NULL, "{}", 404, "no such resource"},
	{"POST", "/github/token", NULL, "{}", 404, "no such resource"},
	/* discovery and JWKS */
	{"POST", "/github/.well-known/openid-configuration", NULL, "{}", 405, "not allowed"},
	{"POST", "/github/.well-known/jwks", NULL, "{}", 405, "not allowed"},
	{"DELETE", "/github/jwks", NULL, NULL, 405, "not allowed"},
	{"GET", "/github/.well-known/jwks/", NULL, NULL, 404, "no such resource"},
	/* POST /keys/rotate */
	{"POST", "/github/keys/rotate", NULL, "{\"x\":1}", 400, "empty or {}"},
	{"GET", "/github/keys/rotate", NULL, NULL, 405, "not allowed"},
	/* POST /runtime/jobs */
	{"POST", "/github/runtime/jobs", NULL, "{\"ctx\":{}}", 400, "unknown field 'ctx'"},
	{"POST", "/github/runtime/jobs", NULL, "{\"context\":1}", 400, "\"path\":\"context\""},
	{"POST", "/github/runtime/jobs", NULL, "{\"audience\":\"\"}", 400, "\"path\":\"audience\""},
	{"POST", "/github/runtime/jobs", NULL, "{\"request_token\":\"short\"}", 400,
	 "\"path\":\"request_token\""},
	{"POST", "/github/runtime/jobs", NULL, "{\"request_token\":\"has space in it\"}", 400,
	 "\"path\":\"request_token\""},
	{"POST", "/github/runtime/jobs", NULL,
	 "{\"request_token\":\"known-job-token\",\"context\":{\"repository\":\"o/r\"}}", 409,
	 "registered already"},
	{"POST", "/github/runtime/jobs", NULL,
	 "{\"context\":{\"repository\":\"o/r\",\"permissions\":{}}}", 403, "no-token"},
	{"POST", "/github/runtime/jobs", NULL, "{", 400, "request body"},
	{"POST", "/gitlab/runtime/jobs", NULL, "{}", 404, "runtime"},
	/* GET /_apis/token */
	{"GET", "/github/_apis/token?api-version=2.0", NULL, NULL, 401, "missing Authorization"},
	{"GET", "/github/_apis/token?api-version=2.0", "Basic a25vd24=", NULL, 401, "Bearer"},
	{"GET", "/github/_apis/token?api-version=2.0", "Bearer ", NULL, 401, "Bearer"},
	{"GET", "/github/_apis/token?api-version=2.0", "Bearer wrong-token", NULL, 401, "no job"},
	{"GET", "/gitlab/_apis/token", "Bearer known-job-token", NULL, 404, "no such resource"},
	{"GET", "/github/_apis/token?api-version=2.0&audience=", "Bearer known-job-token", NULL,
	 400, "audience"},
	{"GET", "/github/_apis/token?audience=a%0Ab", "Bearer known-job-token", NULL, 400,
	 "audience"},
	{"GET", "/github/_apis/token?audience=a%00b", "Bearer known-job-token", NULL, 400,
	 "audience"},
	{"POST", "/github/_apis/token", "Bearer known-job-token", "{}", 405, "not allowed"},
};

static struct fx table_fx;

static void
table_setup(void)
{
	json_t *doc =
		json_pack("{s:[{s:s, s:s, s:{s:s}}]}", "jobs", "issuer", "/github", "request_token",
			  "known-job-token", "context", "repository", "octo/repo");
	struct tl_error err;

	fx_config(&table_fx);
	tl_issuer_config_set_profiles(&table_fx.cfg, "github,gitlab", NULL);
	ck_assert_msg(tl_issuer_config_load_json(&table_fx.cfg, doc, NULL, &err) == 0, "%s",
		      err.message);
	json_decref(doc);
	fx_start(&table_fx);
}

static void
table_teardown(void)
{
	fx_stop(&table_fx);
}

START_TEST(bad_request)
{
	const struct bad_case *c = &bad_cases[_i];
	char auth[256];
	const char *headers[2] = {NULL, NULL};
	long st;

	/* A fixture per case: forked children must not inherit a server. */
	table_setup();
	if (c->auth) {
		snprintf(auth, sizeof(auth), "Authorization: %s", c->auth);
		headers[0] = auth;
	}
	st = req(&table_fx, c->method, c->path, headers, c->body);
	ck_assert_msg(st == c->status, "case %d %s %s %s: status %ld, expected %ld: %s", _i,
		      c->method, c->path, c->body ? c->body : "", st, c->status,
		      tl_buf_str(&table_fx.reply.body));
	ck_assert_msg(strstr(tl_buf_str(&table_fx.reply.body), c->contains),
		      "case %d %s %s %s: body lacks '%s': %s", _i, c->method, c->path,
		      c->body ? c->body : "", c->contains, tl_buf_str(&table_fx.reply.body));
	ck_assert_msg(strncmp(table_fx.reply.content_type, "application/json", 16) == 0,
		      "case %d: content type '%s'", _i, table_fx.reply.content_type);
	if (st == 401) {
		char www[64];
		ck_assert_msg(
			tl_http_reply_header(&table_fx.reply, "WWW-Authenticate", www, sizeof(www)),
			"case %d: 401 without WWW-Authenticate", _i);
	}
	table_teardown();
}
END_TEST

/* --- discovery, JWKS, runtime, rotation --------------------------------------- */

START_TEST(discovery_and_jwks_documents)
{
	struct fx f;
	char cc[128], url[256];
	json_t *doc;

	fx_config(&f);
	fx_start(&f);
	/* One issuer per profile by default. */
	ck_assert_uint_ge(tl_issuer_service_count(f.svc), 9);
	ck_assert_int_eq(req(&f, "GET", "/github/.well-known/openid-configuration", NULL, NULL),
			 200);
	ck_assert_str_eq(f.reply.content_type, "application/json");
	ck_assert(tl_http_reply_header(&f.reply, "Cache-Control", cc, sizeof(cc)));
	ck_assert_str_eq(cc, "public, max-age=60");
	doc = f.body;
	ck_assert_str_eq(json_string_value(json_object_get(doc, "issuer")), GH_ISS);
	snprintf(url, sizeof(url), "%s/github/.well-known/jwks", tl_http_server_url(f.srv));
	ck_assert_str_eq(json_string_value(json_object_get(doc, "jwks_uri")), url);
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(doc, "id_token_signing_alg_values_supported"), 0)),
			 "RS256");
	ck_assert(json_array_size(json_object_get(doc, "claims_supported")) > 20);
	ck_assert(json_object_get(doc, "subject_types_supported"));
	ck_assert(json_object_get(doc, "response_types_supported"));
	ck_assert(json_object_get(doc, "scopes_supported"));
	/* GitLab: its own iss and JWKS path (also served), thumbprint kids. */
	ck_assert_int_eq(req(&f, "GET", "/gitlab/.well-known/openid-configuration", NULL, NULL),
			 200);
	ck_assert_str_eq(json_string_value(json_object_get(f.body, "issuer")),
			 "https://gitlab.com");
	ck_assert_int_eq(req(&f, "GET", "/gitlab/oauth/discovery/keys", NULL, NULL), 200);
	ck_assert_int_eq(req(&f, "GET", "/gitlab/jwks", NULL, NULL), 200);
	ck_assert_int_eq(json_array_size(json_object_get(f.body, "keys")), 1);
	ck_assert_int_eq(strlen(json_string_value(json_object_get(
				 json_array_get(json_object_get(f.body, "keys"), 0), "kid"))),
			 43);
	/* GitHub's JWK: kid upper-case hex SHA-1, x5t, x5c (§1.3). */
	ck_assert_int_eq(req(&f, "GET", "/github/jwks", NULL, NULL), 200);
	{
		json_t *k = json_array_get(json_object_get(f.body, "keys"), 0);
		ck_assert_int_eq(strlen(json_string_value(json_object_get(k, "kid"))), 40);
		ck_assert(json_object_get(k, "x5t"));
		ck_assert(json_object_get(k, "x5c"));
		ck_assert_str_eq(json_string_value(json_object_get(k, "alg")), "RS256");
		ck_assert_str_eq(json_string_value(json_object_get(k, "use")), "sig");
	}
	ck_assert_int_eq(req(&f, "HEAD", "/github/jwks", NULL, NULL), 200);
	fx_stop(&f);
}
END_TEST

START_TEST(local_issuer_mode)
{
	struct fx f;
	char want[256];

	fx_config(&f);
	f.cfg.local_issuer = true;
	tl_issuer_config_set_profiles(&f.cfg, "github,kubernetes", NULL);
	fx_start(&f);
	snprintf(want, sizeof(want), "%s/kubernetes", tl_http_server_url(f.srv));
	ck_assert_int_eq(req(&f, "GET", "/kubernetes/.well-known/openid-configuration", NULL, NULL),
			 200);
	ck_assert_str_eq(json_string_value(json_object_get(f.body, "issuer")), want);
	ck_assert_int_eq(req(&f, "POST", "/kubernetes/tokens", NULL, K8S_BODY), 200);
	ck_assert_str_eq(
		json_string_value(json_object_get(json_object_get(f.body, "claims"), "iss")), want);
	fx_stop(&f);
}
END_TEST

START_TEST(runtime_protocol)
{
	struct fx f;
	struct tl_jwks *jwks;
	char auth[128], url[512], *token;
	const char *headers[3] = {auth, "Accept: application/json", NULL};
	json_t *claims;

	fx_config(&f);
	tl_issuer_config_set_profiles(&f.cfg, "github", NULL);
	fx_start(&f);
	ck_assert_int_eq(req(&f, "POST", "/github/runtime/jobs", NULL,
			     "{\"context\":{\"repository\":\"octo/repo\",\"event\":\"push\","
			     "\"ref\":\"refs/heads/main\",\"environment\":\"prod\"}}"),
			 200);
	snprintf(auth, sizeof(auth), "Authorization: bearer %s",
		 json_string_value(json_object_get(f.body, "request_token")));
	snprintf(url, sizeof(url), "%s",
		 json_string_value(json_object_get(json_object_get(f.body, "env"),
						   "ACTIONS_ID_TOKEN_REQUEST_URL")));
	ck_assert_msg(strstr(url, "/github/_apis/token?api-version=2.0"), "url %s", url);
	/* @actions/core appends &audience=... to the URL as given. */
	ck_assert_int_eq(
		req(&f, "GET",
		    strstr(url, "/github/_apis/token?api-version=2.0&audience=")
			    ? url
			    : "/github/_apis/token?api-version=2.0&audience=sts.amazonaws.com",
		    headers, NULL),
		200);
	ck_assert_int_eq(json_integer_value(json_object_get(f.body, "count")), 1);
	token = strdup(json_string_value(json_object_get(f.body, "value")));
	jwks = fetch_jwks(&f, "/github");
	ck_assert_int_eq(verify(jwks, token, GH_ISS, "sts.amazonaws.com", 1727071187, &claims),
			 TL_JWS_OK);
	ck_assert_str_eq(json_string_value(json_object_get(claims, "sub")),
			 "repo:octo/repo:environment:prod");
	json_decref(claims);
	free(token);
	/* No audience: GitHub's default https://github.com/<owner>. */
	ck_assert_int_eq(req(&f, "GET", "/github/_apis/token?api-version=2.0", headers, NULL), 200);
	token = strdup(json_string_value(json_object_get(f.body, "value")));
	ck_assert_int_eq(verify(jwks, token, GH_ISS, "https://github.com/octo", 1727071187, NULL),
			 TL_JWS_OK);
	free(token);
	tl_jwks_free(jwks);
	fx_stop(&f);
}
END_TEST

START_TEST(rotation_keeps_old_key_for_grace)
{
	struct fx f;
	struct tl_jwks *jwks;
	char *old_token, *new_token, old_kid[64];

	fx_config(&f);
	tl_issuer_config_set_profiles(&f.cfg, "github,gitlab", NULL);
	fx_start(&f);
	ck_assert_int_eq(req(&f, "POST", "/github/tokens", NULL, "{\"context\":" PUSH_CTX "}"),
			 200);
	old_token = strdup(json_string_value(json_object_get(f.body, "token")));
	ck_assert_int_eq(req(&f, "GET", "/github/jwks", NULL, NULL), 200);
	snprintf(old_kid, sizeof(old_kid), "%s",
		 json_string_value(json_object_get(
			 json_array_get(json_object_get(f.body, "keys"), 0), "kid")));
	ck_assert_int_eq(req(&f, "POST", "/github/keys/rotate", NULL, NULL), 200);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(f.body, "published"), 0)),
			 old_kid);
	ck_assert_int_eq(req(&f, "POST", "/github/tokens", NULL, "{\"context\":" PUSH_CTX "}"),
			 200);
	new_token = strdup(json_string_value(json_object_get(f.body, "token")));
	jwks = fetch_jwks(&f, "/github");
	ck_assert_int_eq(tl_jwks_count(jwks), 2);
	ck_assert_int_eq(verify(jwks, old_token, GH_ISS, NULL, 1727071187, NULL), TL_JWS_OK);
	ck_assert_int_eq(verify(jwks, new_token, GH_ISS, NULL, 1727071187, NULL), TL_JWS_OK);
	ck_assert_str_ne(tl_jose_key_kid(tl_jwks_get(jwks, 0)), old_kid);
	tl_jwks_free(jwks);
	/* Other issuers keep their own keys. */
	jwks = fetch_jwks(&f, "/gitlab");
	ck_assert_int_eq(tl_jwks_count(jwks), 1);
	tl_jwks_free(jwks);
	free(old_token);
	free(new_token);
	fx_stop(&f);

	/* Grace 0: the old key leaves at once; its tokens no longer verify. */
	fx_config(&f);
	tl_issuer_config_set_profiles(&f.cfg, "gitlab", NULL);
	f.cfg.rotation_grace_seconds = 0;
	fx_start(&f);
	ck_assert_int_eq(req(&f, "POST", "/gitlab/tokens", NULL, GITLAB_BODY), 200);
	old_token = strdup(json_string_value(json_object_get(f.body, "token")));
	ck_assert_int_eq(req(&f, "POST", "/gitlab/keys/rotate", NULL, "{}"), 200);
	jwks = fetch_jwks(&f, "/gitlab");
	ck_assert_int_eq(tl_jwks_count(jwks), 1);
	ck_assert_int_eq(verify(jwks, old_token, "https://gitlab.com", NULL, 1727071187, NULL),
			 TL_JWS_KID_UNKNOWN);
	tl_jwks_free(jwks);
	free(old_token);
	fx_stop(&f);
}
END_TEST

struct minter {
	struct tl_issuer_service *svc;
	int ok;
};

static void *
mint_many(void *arg)
{
	struct minter *m = arg;
	json_t *req = json_pack("{s:{s:s}}", "context", "repository", "octo/repo");

	for (int i = 0; i < 40; i++) {
		unsigned st;
		json_t *ans = NULL;
		if (tl_issuer_service_mint(m->svc, "/github", req, &st, &ans) == 0 && st == 200)
			m->ok++;
		json_decref(ans);
	}
	json_decref(req);
	return NULL;
}

START_TEST(rotation_under_concurrent_minting)
{
	struct fx f;
	pthread_t th[3];
	struct minter m[3];
	int ok = 0;

	fx_config(&f);
	tl_issuer_config_set_profiles(&f.cfg, "github", NULL);
	tl_issuer_config_set_string(&f.cfg.key_spec, "P-256", NULL);
	tl_issuer_config_set_string(&f.cfg.key_file, NULL, NULL);
	fx_start(&f);
	for (int i = 0; i < 3; i++) {
		m[i].svc = f.svc;
		m[i].ok = 0;
		pthread_create(&th[i], NULL, mint_many, &m[i]);
	}
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(req(&f, "POST", "/github/keys/rotate", NULL, NULL), 200);
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		ok += m[i].ok;
	}
	ck_assert_int_eq(ok, 120);
	ck_assert_int_eq(req(&f, "GET", "/github/jwks", NULL, NULL), 200);
	ck_assert_int_eq(json_array_size(json_object_get(f.body, "keys")), 5);
	ck_assert_int_eq(req(&f, "GET", "/github/.well-known/openid-configuration", NULL, NULL),
			 200);
	ck_assert_str_eq(
		json_string_value(json_array_get(
			json_object_get(f.body, "id_token_signing_alg_values_supported"), 0)),
		"ES256");
	fx_stop(&f);
}
END_TEST

/* --- config ------------------------------------------------------------------ */

/* Anyone who reaches the port can register jobs and they are never
 * forgotten: past the cap the answer is 429, not more memory (issue 11). */
START_TEST(runtime_jobs_are_capped)
{
	struct fx f;

	fx_config(&f);
	tl_issuer_config_set_profiles(&f.cfg, "github", NULL);
	f.cfg.jobs_max = 3;
	fx_start(&f);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(req(&f, "POST", "/github/runtime/jobs", NULL,
				  "{\"context\":{\"repository\":\"octo/repo\"}}") == 200,
			      "job %d", i);
	ck_assert_int_eq(req(&f, "POST", "/github/runtime/jobs", NULL,
			     "{\"context\":{\"repository\":\"octo/repo\"}}"),
			 429);
	ck_assert_str_eq(json_string_value(json_object_get(f.body, "error")), "too-many-jobs");
	fx_stop(&f);
}
END_TEST

START_TEST(config_file_loads)
{
	char path[1024];
	struct tl_issuer_config cfg;
	struct tl_error err;
	struct tl_issuer_service *svc;
	unsigned st;
	json_t *ans = NULL, *req;

	snprintf(path, sizeof(path), "%s/config.json", tl_test_arg(2));
	tl_issuer_config_init(&cfg);
	ck_assert_msg(tl_issuer_config_load_file(&cfg, path, &err) == 0, "%s: %s", err.path,
		      err.message);
	ck_assert_int_eq(cfg.n_issuers, 3);
	ck_assert(cfg.clock_pinned);
	svc = tl_issuer_service_new(&cfg, &err);
	ck_assert_msg(svc, "%s: %s", err.path, err.message);
	ck_assert_str_eq(tl_issuer_service_prefix(svc, 2), "/ghe/octocat-inc");
	req = json_pack("{s:{s:s}}", "context", "repository", "octo/repo");
	ck_assert_int_eq(tl_issuer_service_mint(svc, "/ghe/octocat-inc", req, &st, &ans), 0);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ans, "claims"), "iss")),
			 "https://token.actions.githubusercontent.com/octocat-inc");
	json_decref(ans);
	json_decref(req);
	tl_issuer_service_free(svc);
	tl_issuer_config_finish(&cfg);
}
END_TEST

static const struct {
	const char *json;
	const char *path;
	const char *contains;
} bad_configs[] = {
	{"[]", "", "expected an object"},
	{"{\"issuer\":[]}", "", "unknown field 'issuer'"},
	{"{\"issuers\":{}}", "issuers", "expected an array"},
	{"{\"issuers\":[{\"prefix\":\"/a\"}]}", "issuers[0]", "missing field 'profile'"},
	{"{\"issuers\":[{\"profile\":\"nope\"}]}", "issuers[0]", "unknown profile"},
	{"{\"issuers\":[{\"profile\":\"github\",\"prefix\":\"github\"}]}", "issuers[0]",
	 "bad issuer prefix"},
	{"{\"issuers\":[{\"profile\":\"github\",\"prefix\":\"/a//b\"}]}", "issuers[0]",
	 "bad issuer prefix"},
	{"{\"issuers\":[{\"profile\":\"github\"},{\"profile\":\"github\"}]}", "issuers[1]",
	 "twice"},
	{"{\"issuers\":[{\"profile\":\"github\",\"issuer\":5}]}", "issuers[0].issuer",
	 "expected a string"},
	{"{\"issuers\":[{\"profile\":\"github\",\"repo_sub_template\":[]}]}",
	 "issuers[0].repo_sub_template", "expected an object"},
	{"{\"issuers\":[{\"profile\":\"github\",\"extra\":1}]}", "issuers[0]",
	 "unknown field 'extra'"},
	{"{\"profiles\":[\"github\",\"nope\"]}", "profiles[1]", "unknown profile"},
	{"{\"local_issuer\":\"yes\"}", "local_issuer", "true or false"},
	{"{\"now\":\"yesterday\"}", "now", ""},
	{"{\"now\":[]}", "now", "ISO 8601"},
	{"{\"rotation_grace_seconds\":-1}", "rotation_grace_seconds", "integer"},
	{"{\"jobs\":[{\"context\":{}}]}", "jobs[0]", "missing field 'issuer'"},
	{"{\"jobs\":[{\"issuer\":\"/github\",\"token\":\"x\"}]}", "jobs[0]",
	 "unknown field 'token'"},
	{"{\"seed\":\"\"}", "seed", "non-empty"},
};

START_TEST(config_rejects)
{
	struct tl_issuer_config cfg;
	struct tl_error err;
	json_t *doc = json_loads(bad_configs[_i].json, 0, NULL);

	ck_assert_msg(doc, "case %d: test JSON", _i);
	tl_issuer_config_init(&cfg);
	tl_error_clear(&err);
	ck_assert_msg(tl_issuer_config_load_json(&cfg, doc, NULL, &err) < 0,
		      "case %d (%s): accepted", _i, bad_configs[_i].json);
	ck_assert_msg(strcmp(err.path, bad_configs[_i].path) == 0,
		      "case %d (%s): path '%s', expected '%s'", _i, bad_configs[_i].json, err.path,
		      bad_configs[_i].path);
	ck_assert_msg(strstr(err.message, bad_configs[_i].contains),
		      "case %d (%s): message '%s' lacks '%s'", _i, bad_configs[_i].json,
		      err.message, bad_configs[_i].contains);
	json_decref(doc);
	tl_issuer_config_finish(&cfg);
}
END_TEST

START_TEST(config_service_rejects)
{
	struct tl_issuer_config cfg;
	struct tl_error err;
	json_t *doc = json_pack("{s:[{s:s, s:{s:s, s:s, s:b}}]}", "jobs", "issuer", "/github",
				"context", "repository", "o/r", "event", "pull_request", "fork", 1);

	/* A job the profile refuses cannot be registered; unknown prefixes neither. */
	tl_issuer_config_init(&cfg);
	snprintf(key_path, sizeof(key_path), "%s/rsa2048.pem", tl_test_arg(1));
	tl_issuer_config_set_string(&cfg.key_file, key_path, NULL);
	tl_issuer_config_set_profiles(&cfg, "github", NULL);
	ck_assert(tl_issuer_config_load_json(&cfg, doc, NULL, &err) == 0);
	ck_assert(!tl_issuer_service_new(&cfg, &err));
	ck_assert_msg(strstr(err.message, "job 0"), "%s", err.message);
	ck_assert(tl_issuer_config_override_issuer(&cfg, "/nope=https://x", &err) < 0);
	ck_assert(tl_issuer_config_override_issuer(&cfg, "novalue", &err) < 0);
	ck_assert(tl_issuer_config_override_issuer(&cfg, "/github=https://x", &err) == 0);
	ck_assert(tl_issuer_config_set_profiles(&cfg, "github,,gitlab", &err) < 0);
	ck_assert(tl_issuer_config_set_profiles(&cfg, "nope", &err) < 0);
	json_decref(doc);
	tl_issuer_config_finish(&cfg);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("issuer");
	TCase *tc = tcase_create("golden");
	TCase *api = tcase_create("api");
	TCase *table = tcase_create("bad-request");

	if (tl_test_arg(0))
		scan(tl_test_arg(0));
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, golden_corpus_present);
	if (n_cases > 0)
		tcase_add_loop_test(tc, golden, 0, n_cases);
	suite_add_tcase(s, tc);

	tcase_set_timeout(api, 60);
	tcase_add_loop_test(api, fault_earns_its_reason, 0,
			    (int)(sizeof(fault_table) / sizeof(fault_table[0])));
	tcase_add_test(api, fault_options_and_clean_token);
	tcase_add_test(api, discovery_and_jwks_documents);
	tcase_add_test(api, local_issuer_mode);
	tcase_add_test(api, runtime_protocol);
	tcase_add_test(api, runtime_jobs_are_capped);
	tcase_add_test(api, rotation_keeps_old_key_for_grace);
	tcase_add_test(api, rotation_under_concurrent_minting);
	tcase_add_test(api, config_file_loads);
	tcase_add_loop_test(api, config_rejects, 0,
			    (int)(sizeof(bad_configs) / sizeof(bad_configs[0])));
	tcase_add_test(api, config_service_rejects);
	suite_add_tcase(s, api);

	tcase_set_timeout(table, 60);
	tcase_add_loop_test(table, bad_request, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	suite_add_tcase(s, table);
	srunner_add_suite(sr, s);
}
