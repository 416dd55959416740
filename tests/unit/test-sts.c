/* SPDX-License-Identifier: MIT */
/*
 * lib/sts: the AWS wire layer. Argument 0 is tests/data/sts: protocol/
 * holds one request per file with the AWS answer it must get (reference
 * sts.md §1.2-§1.6, reliability.md §2.5), sigv4/ the AWS test-suite and
 * botocore-signed vectors, golden/ byte-exact XML documents.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/file.h"
#include "util/random.h"

#include "sts/arn.h"
#include "sts/arwwi.h"
#include "sts/errors.h"
#include "sts/iam.h"
#include "sts/query.h"
#include "sts/sigv4.h"
#include "test-common.h"

/* --- case files -------------------------------------------------------- */

#define MAX_CASES 512
#define MAX_LINES 64

struct case_file {
	char name[256];
	char *text; /* owned; lines point into it */
	const char *key[MAX_LINES];
	const char *value[MAX_LINES];
	size_t count;
};

static char *case_names[2][MAX_CASES];
static size_t case_count[2];
enum { CORPUS_PROTOCOL, CORPUS_SIGV4 };
static const char *corpus_dir[2] = {"protocol", "sigv4"};

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
scan_corpus(int corpus)
{
	char path[1024];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/%s", tl_test_arg(0), corpus_dir[corpus]);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)) && case_count[corpus] < MAX_CASES) {
		size_t n = strlen(e->d_name);
		if (n > 5 && strcmp(e->d_name + n - 5, ".case") == 0)
			case_names[corpus][case_count[corpus]++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(case_names[corpus], case_count[corpus], sizeof(char *), name_cmp);
}

/* Reads `key: value` lines; `#` lines are the case's citation. */
static void
load_case(int corpus, const char *name, struct case_file *c)
{
	char path[1024];
	size_t len;
	struct tl_error err;
	char *p;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s/%s", tl_test_arg(0), corpus_dir[corpus], name);
	ck_assert_msg(tl_file_read(path, 1 << 20, &c->text, &len, &err) == 0, "case %s: %s", name,
		      err.message);
	p = c->text;
	while (*p) {
		char *eol = strchr(p, '\n');
		char *colon;

		if (eol)
			*eol = '\0';
		colon = strstr(p, ": ");
		if (*p != '#' && colon && c->count < MAX_LINES) {
			*colon = '\0';
			c->key[c->count] = p;
			c->value[c->count++] = colon + 2;
		} else if (*p != '#' && *p) {
			/* "key:" with an empty value */
			size_t n = strlen(p);
			if (n && p[n - 1] == ':' && c->count < MAX_LINES) {
				p[n - 1] = '\0';
				c->key[c->count] = p;
				c->value[c->count++] = "";
			}
		}
		if (!eol)
			break;
		p = eol + 1;
	}
}

static const char *
case_get(const struct case_file *c, const char *key)
{
	for (size_t i = 0; i < c->count; i++) {
		if (strcmp(c->key[i], key) == 0)
			return c->value[i];
	}
	return NULL;
}

/* Expands `{{c*n}}` into n copies of c (for values at length limits). */
static char *
expand(const char *s)
{
	struct tl_buf b;

	tl_buf_init(&b, 1 << 20);
	while (*s) {
		long n;
		char *end;

		if (strncmp(s, "{{", 2) == 0 && s[3] == '*' && (n = strtol(s + 4, &end, 10)) > 0 &&
		    strncmp(end, "}}", 2) == 0) {
			for (long i = 0; i < n; i++)
				tl_buf_putc(&b, s[2], NULL);
			s = end + 2;
			continue;
		}
		tl_buf_putc(&b, *s++, NULL);
	}
	return tl_buf_steal(&b, NULL);
}

/* --- errors ------------------------------------------------------------ */

START_TEST(errors_table_is_consistent)
{
	for (size_t i = 1; i <= TL_STS_ERROR_COUNT; i++) {
		const struct tl_sts_error_info *e = tl_sts_error_info((enum tl_sts_error)i);

		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(e->code, (int)i);
		ck_assert_msg(e->status >= 400 && e->status < 600, "%s: status", e->name);
		ck_assert_msg(strcmp(e->type, e->status >= 500 ? "Receiver" : "Sender") == 0,
			      "%s: Type follows the status class", e->name);
		ck_assert_msg(e->message[0] && e->cause[0] && e->fix[0], "%s: documented", e->name);
		ck_assert_int_eq(tl_sts_error_from_name(e->name), (int)i);
		for (size_t k = 1; k < i; k++)
			ck_assert_str_ne(tl_sts_error_info((enum tl_sts_error)k)->name, e->name);
	}
	ck_assert_ptr_null(tl_sts_error_info(TL_STS_OK));
	ck_assert_ptr_null(tl_sts_error_info((enum tl_sts_error)(TL_STS_ERROR_COUNT + 1)));
	ck_assert_int_eq(tl_sts_error_from_name("NoSuchCode"), TL_STS_OK);
	/* reference/sts.md §1.5 */
	ck_assert_int_eq(tl_sts_error_info(TL_STS_ACCESS_DENIED)->status, 403);
	ck_assert_int_eq(tl_sts_error_info(TL_STS_IDP_REJECTED_CLAIM)->status, 403);
	ck_assert_int_eq(tl_sts_error_info(TL_STS_EXPIRED_TOKEN_EXCEPTION)->status, 400);
	ck_assert_int_eq(tl_sts_error_info(TL_STS_INVALID_CLIENT_TOKEN_ID)->status, 403);
	ck_assert_int_eq(tl_sts_error_info(TL_STS_INTERNAL_FAILURE)->status, 500);
}
END_TEST

static void
check_golden(const char *file, const char *got)
{
	char path[1024];
	char *want;
	size_t len;
	struct tl_error err;

	snprintf(path, sizeof(path), "%s/golden/%s", tl_test_arg(0), file);
	ck_assert_msg(tl_file_read(path, 1 << 20, &want, &len, &err) == 0, "%s: %s", file,
		      err.message);
	ck_assert_msg(strcmp(want, got) == 0, "golden %s differs:\n--- want\n%s--- got\n%s", file,
		      want, got);
	free(want);
}

START_TEST(error_envelope_matches_aws)
{
	struct tl_buf b;
	struct tl_sts_fault f;

	tl_buf_init(&b, 65536);
	/* reference/sts.md §1.4, values of its example */
	ck_assert_int_eq(tl_sts_error_xml(&b, TL_STS_ACCESS_DENIED, NULL,
					  "c6104cbe-af31-11e0-8154-cbc7ccf896c7",
					  TL_STS_SERVICE_STS, NULL),
			 0);
	check_golden("error-access-denied.xml", tl_buf_str(&b));
	tl_buf_reset(&b);
	tl_sts_fault_set(&f, TL_STS_NO_SUCH_ENTITY, "The role with name %s cannot be found.",
			 "deploy<&>");
	ck_assert_int_eq(tl_sts_fault_xml(&b, &f, "req-1", TL_STS_SERVICE_IAM, NULL), 0);
	check_golden("error-iam-no-such-entity.xml", tl_buf_str(&b));
	/* an unknown code is refused and leaves the buffer alone */
	tl_buf_reset(&b);
	ck_assert_int_eq(tl_sts_error_xml(&b, TL_STS_OK, NULL, "x", TL_STS_SERVICE_STS, NULL), -1);
	ck_assert_uint_eq(b.len, 0);
	/* a full buffer rolls back */
	tl_buf_finish(&b);
	tl_buf_init(&b, 40);
	ck_assert_int_eq(
		tl_sts_error_xml(&b, TL_STS_ACCESS_DENIED, NULL, "x", TL_STS_SERVICE_STS, NULL),
		-1);
	ck_assert_uint_eq(b.len, 0);
	tl_buf_finish(&b);
}
END_TEST

START_TEST(xml_text_escapes_only_what_xml_needs)
{
	struct tl_buf b;

	tl_buf_init(&b, 1024);
	ck_assert_int_eq(tl_sts_xml_text(&b, "a<b>&'\"\x01\xff\xc3\xa9\xf0\x9f\x98\x80", NULL), 0);
	ck_assert_str_eq(tl_buf_str(&b), "a&lt;b&gt;&amp;'\"\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9"
					 "\xf0\x9f\x98\x80");
	tl_buf_finish(&b);
}
END_TEST

START_TEST(errors_md_is_current)
{
	struct tl_buf b;
	char *committed;
	size_t len;
	struct tl_error err;

	tl_buf_init(&b, 1 << 20);
	ck_assert_int_eq(tl_sts_errors_markdown(&b, NULL), 0);
	ck_assert_msg(tl_file_read(TL_SOURCE_ROOT "/docs/errors.md", 1 << 20, &committed, &len,
				   &err) == 0,
		      "docs/errors.md: %s", err.message);
	ck_assert_msg(strcmp(committed, tl_buf_str(&b)) == 0,
		      "docs/errors.md is stale: run `ninja -C build docs-errors` (or "
		      "build/tools/gen-errors-md docs/errors.md)");
	for (size_t i = 1; i <= TL_STS_ERROR_COUNT; i++) {
		char anchor[128];
		snprintf(anchor, sizeof(anchor), "## %s\n",
			 tl_sts_error_info((enum tl_sts_error)i)->name);
		ck_assert_msg(strstr(committed, anchor), "docs/errors.md lacks %s", anchor);
	}
	free(committed);
	tl_buf_finish(&b);
}
END_TEST

/* --- ARNs and names ---------------------------------------------------- */

START_TEST(arn_role_parsing)
{
	char account[13], path[513], name[65], url[256];
	char out[512];

	ck_assert_int_eq(
		tl_sts_arn_role("arn:aws:iam::123456789012:role/deploy", account, path, name), 0);
	ck_assert_str_eq(account, "123456789012");
	ck_assert_str_eq(path, "/");
	ck_assert_str_eq(name, "deploy");
	ck_assert_int_eq(tl_sts_arn_role("arn:aws:iam::123456789012:role/application_abc/"
					 "component_xyz/S3Access",
					 account, path, name),
			 0);
	ck_assert_str_eq(path, "/application_abc/component_xyz/");
	ck_assert_str_eq(name, "S3Access");

	static const char *const bad[] = {
		"arn:aws:iam::123456789012:role/",
		"arn:aws:iam::12345678901:role/x",
		"arn:aws:iam:us-east-1:123456789012:role/x",
		"arn:aws:sts::123456789012:role/x",
		"arn:aws:iam::123456789012:user/x",
		"arn:aws:iam::123456789012:role/a b",
		"arn:aws:iam::123456789012:role//x",
		"arn:other:iam::123456789012:role/x",
		"arn:aws:iam::123456789012",
		"urn:aws:iam::123456789012:role/x",
		"arn:aws:iam::123456789012:role/" /* 65 chars */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(tl_sts_arn_role(bad[i], account, path, name) < 0, "case %zu: %s", i,
			      bad[i]);

	ck_assert_int_eq(tl_sts_arn_oidc_provider("arn:aws:iam::123456789012:oidc-provider/"
						  "token.actions.githubusercontent.com",
						  account, url, sizeof(url)),
			 0);
	ck_assert_str_eq(url, "token.actions.githubusercontent.com");
	ck_assert_int_eq(tl_sts_arn_oidc_provider("arn:aws:iam::123456789012:oidc-provider/"
						  "oidc.eks.us-west-1.amazonaws.com/id/ABC",
						  account, url, sizeof(url)),
			 0);
	ck_assert_str_eq(url, "oidc.eks.us-west-1.amazonaws.com/id/ABC");
	ck_assert_int_lt(tl_sts_arn_oidc_provider("arn:aws:iam::123456789012:role/x", account, url,
						  sizeof(url)),
			 0);
	ck_assert_int_lt(tl_sts_arn_oidc_provider("arn:aws:iam::123456789012:oidc-provider/",
						  account, url, sizeof(url)),
			 0);

	tl_sts_arn_format_role(out, sizeof(out), "123456789012", "/ci/", "deploy");
	ck_assert_str_eq(out, "arn:aws:iam::123456789012:role/ci/deploy");
	/* the assumed-role ARN drops the path (reference/sts.md §1.3) */
	tl_sts_arn_format_assumed_role(out, sizeof(out), "123456789012", "deploy", "gh-1");
	ck_assert_str_eq(out, "arn:aws:sts::123456789012:assumed-role/deploy/gh-1");
	tl_sts_arn_format_oidc_provider(out, sizeof(out), "123456789012",
					"https://gitlab.example.com/group");
	ck_assert_str_eq(out, "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com/group");

	ck_assert(tl_sts_role_path_valid("/"));
	ck_assert(tl_sts_role_path_valid("/a/b/"));
	ck_assert(!tl_sts_role_path_valid("//"));
	ck_assert(!tl_sts_role_path_valid("/a"));
	ck_assert(!tl_sts_role_path_valid("a/"));
	ck_assert(!tl_sts_role_path_valid("/a b/"));
	ck_assert(tl_sts_session_name_valid("ab"));
	ck_assert(!tl_sts_session_name_valid("a"));
	ck_assert(!tl_sts_session_name_valid("a:b"));
}
END_TEST

/* --- credentials and success XML --------------------------------------- */

static bool
all_in(const char *s, const char *alphabet)
{
	return strspn(s, alphabet) == strlen(s);
}

START_TEST(credentials_are_shaped_and_reproducible)
{
	struct tl_rng a, b, c;
	struct tl_sts_credentials x, y, z;
	char role_id[TL_STS_ROLE_ID_LEN + 1];

	tl_rng_init_seeded(&a, "seed");
	tl_rng_init_seeded(&b, "seed");
	tl_rng_init_seeded(&c, "other");
	ck_assert_int_eq(tl_sts_credentials_generate(&a, 1000, &x, NULL), 0);
	ck_assert_int_eq(tl_sts_credentials_generate(&b, 1000, &y, NULL), 0);
	ck_assert_int_eq(tl_sts_credentials_generate(&c, 1000, &z, NULL), 0);
	ck_assert_str_eq(x.access_key_id, y.access_key_id);
	ck_assert_str_eq(x.secret_access_key, y.secret_access_key);
	ck_assert_str_eq(x.session_token, y.session_token);
	ck_assert_int_eq(x.expiration, 1000);
	ck_assert_str_ne(x.access_key_id, z.access_key_id);
	ck_assert_uint_eq(strlen(x.access_key_id), 20);
	ck_assert(strncmp(x.access_key_id, "ASIA", 4) == 0);
	ck_assert(all_in(x.access_key_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
	ck_assert_uint_eq(strlen(x.secret_access_key), 40);
	ck_assert(all_in(x.secret_access_key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					      "0123456789+/"));
	ck_assert_uint_eq(strlen(x.session_token), TL_STS_SESSION_TOKEN_LEN);
	ck_assert(strncmp(x.session_token, "IQoJb3JpZ2luX2Vj", 16) == 0);
	ck_assert_int_eq(tl_sts_role_id_generate(&a, role_id, NULL), 0);
	ck_assert_uint_eq(strlen(role_id), 21);
	ck_assert(strncmp(role_id, "AROA", 4) == 0);
	tl_rng_finish(&a);
	tl_rng_finish(&b);
	tl_rng_finish(&c);
}
END_TEST

START_TEST(arwwi_response_matches_aws_sample)
{
	struct tl_buf b;
	/* the values of AWS's API reference sample, reference/sts.md §1.3 */
	struct tl_sts_arwwi_response r = {
		.subject = "amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A",
		.audience = "client.5498841531868486423.1548@apps.example.com",
		.provider = "www.amazon.com",
		.source_identity = "SourceIdentityValue",
		.assumed_role_arn = "arn:aws:sts::123456789012:assumed-role/"
				    "FederatedWebIdentityRole/app1",
		.assumed_role_id = "AROACLKWSDQRAOEXAMPLE:app1",
		.access_key_id = "ASgeIAIOSFODNN7EXAMPLE",
		.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
		.session_token = "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE",
		.expiration = 1414191623, /* 2014-10-24T23:00:23Z */
		.packed_policy_size = -1,
	};

	tl_buf_init(&b, 65536);
	ck_assert_int_eq(
		tl_sts_arwwi_response_xml(&b, &r, "ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE", NULL), 0);
	check_golden("arwwi-response.xml", tl_buf_str(&b));

	/* no source identity, a session policy: PackedPolicySize appears */
	tl_buf_reset(&b);
	r.source_identity = NULL;
	r.packed_policy_size = 6;
	r.provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
	ck_assert_int_eq(tl_sts_arwwi_response_xml(&b, &r, "req", NULL), 0);
	ck_assert_ptr_null(strstr(tl_buf_str(&b), "<SourceIdentity>"));
	ck_assert_ptr_nonnull(strstr(tl_buf_str(&b),
				     "    </Credentials>\n"
				     "    <PackedPolicySize>6</PackedPolicySize>\n"));

	tl_buf_reset(&b);
	ck_assert_int_eq(tl_sts_caller_identity_xml(&b,
						    "arn:aws:sts::123456789012:assumed-role/"
						    "deploy/gh-1",
						    "AROACLKWSDQRAOEXAMPLE:gh-1", "123456789012",
						    "01234567-89ab-cdef-0123-456789abcdef", NULL),
			 0);
	check_golden("get-caller-identity.xml", tl_buf_str(&b));
	tl_buf_finish(&b);
}
END_TEST

START_TEST(iam_documents_match_aws_samples)
{
	struct tl_buf b;
	static const char *const thumbs[] = {"c3768084dfb3d2b68b7897bf5f565da8eEXAMPLE"};
	static const char *const ids[] = {"my-application-ID"};
	static const char *const arns[] = {"arn:aws:iam::123456789012:oidc-provider/"
					   "server.example.com"};
	/* the values of the IAM API reference samples */
	struct tl_sts_iam_oidc_provider p = {"server.example.com", ids,	 1, thumbs, 1,
					     1412825571,	   NULL, 0};
	struct tl_sts_iam_role r = {
		.path = "/application_abc/component_xyz/",
		.name = "S3Access",
		.id = "AROADBQP57FF2AEXAMPLE",
		.arn = "arn:aws:iam::123456789012:role/application_abc/component_xyz/S3Access",
		.assume_role_policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
				      "\"Allow\",\"Principal\":{\"Service\":[\"ec2.amazonaws."
				      "com\"]},\"Action\":[\"sts:AssumeRole\"]}]}",
		.max_session_duration = 3600,
		.create_date = 1336520041,
	};
	const char *rid = "4a93ceee-9966-11e1-b624-b1aEXAMPLE7c";

	tl_buf_init(&b, 65536);
	ck_assert_int_eq(tl_sts_iam_get_oidc_provider_xml(&b, &p, rid, NULL), 0);
	ck_assert_int_eq(tl_sts_iam_create_oidc_provider_xml(&b, arns[0], rid, NULL), 0);
	ck_assert_int_eq(tl_sts_iam_list_oidc_providers_xml(&b, arns, 1, rid, NULL), 0);
	check_golden("iam-oidc.xml", tl_buf_str(&b));
	tl_buf_reset(&b);
	/* the policy document is URL-encoded, as botocore's json_decode_policies expects */
	ck_assert_int_eq(tl_sts_iam_role_xml(&b, TL_STS_ACTION_GET_ROLE, &r, rid, NULL), 0);
	ck_assert_int_eq(tl_sts_iam_list_roles_xml(&b, &r, 1, NULL, rid, NULL), 0);
	ck_assert_int_eq(tl_sts_iam_empty_xml(&b, TL_STS_ACTION_UPDATE_ROLE, rid, NULL), 0);
	ck_assert_int_eq(tl_sts_iam_empty_xml(&b, TL_STS_ACTION_DELETE_ROLE, rid, NULL), 0);
	check_golden("iam-role.xml", tl_buf_str(&b));
	ck_assert_int_eq(tl_sts_iam_empty_xml(&b, TL_STS_ACTION_GET_CALLER_IDENTITY, rid, NULL),
			 -1);
	ck_assert_uint_eq(tl_sts_iam_policy_size(" { \"a\" :\n\t1 } "), 7);
	tl_buf_finish(&b);
}
END_TEST

/* --- the protocol corpus ------------------------------------------------ */

/* Runs a request through the wire layer the way lib/stsd will. */
static void
run_protocol(const struct case_file *c, const char *body, struct tl_sts_fault *fault,
	     struct tl_buf *facts)
{
	struct tl_sts_query q;
	const struct tl_sts_action_info *action = NULL;
	const char *max = case_get(c, "max-session-duration");

	tl_sts_query_init(&q);
	fault->code = TL_STS_OK;
	fault->message[0] = '\0';
	if (tl_sts_query_parse(&q, body, strlen(body), NULL, fault) < 0)
		goto out;
	if (tl_sts_query_action(&q, &action, fault) < 0)
		goto out;
	tl_buf_printf(facts, NULL, "action=%s\n", action->name);
	if (action->action == TL_STS_ACTION_ASSUME_ROLE_WITH_WEB_IDENTITY) {
		struct tl_sts_arwwi_request req;

		if (tl_sts_arwwi_parse(&q, NULL, &req, fault) < 0)
			goto out;
		if (max && tl_sts_arwwi_check_duration(&req, atoi(max), fault) < 0)
			goto out;
		tl_buf_printf(facts, NULL, "duration=%d\npolicy_arns=%zu\n", req.duration_seconds,
			      req.policy_arn_count);
	} else if (action->service == TL_STS_SERVICE_IAM) {
		struct tl_sts_iam_request req;

		if (tl_sts_iam_parse(&q, action->action, &req, fault) < 0)
			goto out;
		tl_buf_printf(facts, NULL, "items=%zu\n", req.list_count);
		tl_sts_iam_request_finish(&req);
	}
out:
	tl_sts_query_finish(&q);
}

START_TEST(protocol_case)
{
	struct case_file c;
	struct tl_sts_fault fault;
	struct tl_buf facts, xml;
	const char *code, *message, *status;
	char *body;

	load_case(CORPUS_PROTOCOL, case_names[CORPUS_PROTOCOL][_i], &c);
	code = case_get(&c, "code");
	message = case_get(&c, "message");
	status = case_get(&c, "status");
	ck_assert_msg(code && case_get(&c, "body"), "case %s: needs code: and body:", c.name);
	body = expand(case_get(&c, "body"));
	tl_buf_init(&facts, 4096);
	run_protocol(&c, body, &fault, &facts);
	if (strcmp(code, "OK") == 0) {
		ck_assert_msg(fault.code == TL_STS_OK, "case %s: expected success, got %s: %s",
			      c.name, tl_sts_error_info(fault.code)->name, fault.message);
	} else {
		const struct tl_sts_error_info *info = tl_sts_error_info(fault.code);

		ck_assert_msg(info, "case %s: expected %s, got success", c.name, code);
		ck_assert_msg(strcmp(info->name, code) == 0, "case %s: expected %s, got %s: %s",
			      c.name, code, info->name, fault.message);
		if (status)
			ck_assert_msg(info->status == atoi(status), "case %s: status %d", c.name,
				      info->status);
		if (message) {
			char *want = expand(message);
			ck_assert_msg(strcmp(want, fault.message) == 0,
				      "case %s: message\n want: %s\n  got: %s", c.name, want,
				      fault.message);
			free(want);
		}
		tl_buf_init(&xml, 65536);
		ck_assert_int_eq(tl_sts_fault_xml(&xml, &fault, "r", TL_STS_SERVICE_STS, NULL), 0);
		tl_buf_finish(&xml);
	}
	for (size_t i = 0; i < c.count; i++) {
		char line[512];
		if (strcmp(c.key[i], "fact") != 0)
			continue;
		snprintf(line, sizeof(line), "%s\n", c.value[i]);
		ck_assert_msg(strstr(tl_buf_str(&facts), line), "case %s: fact %s not in\n%s",
			      c.name, c.value[i], tl_buf_str(&facts));
	}
	tl_buf_finish(&facts);
	free(body);
	free(c.text);
}
END_TEST

START_TEST(query_parse_basics)
{
	struct tl_sts_query q;
	struct tl_sts_fault f;
	const char *list[5];
	size_t n;
	static const char body[] = "b=%E2%82%AC+x&a=&c&&d=1%2B1&L.member.2=y&L.member.1=x&";

	tl_sts_query_init(&q);
	ck_assert_int_eq(tl_sts_query_parse(&q, body, strlen(body), NULL, &f), 0);
	ck_assert_uint_eq(q.count, 6);
	ck_assert_str_eq(tl_sts_query_get(&q, "b"), "\xe2\x82\xac x");
	ck_assert_str_eq(tl_sts_query_get(&q, "a"), "");
	ck_assert_str_eq(tl_sts_query_get(&q, "c"), "");
	ck_assert_str_eq(tl_sts_query_get(&q, "d"), "1+1");
	ck_assert_ptr_null(tl_sts_query_get(&q, "B"));
	ck_assert_int_eq(tl_sts_query_list(&q, "L", "", list, 5, true, &n, &f), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0], "x");
	ck_assert_str_eq(list[1], "y");
	ck_assert_int_eq(tl_sts_query_list(&q, "L", "", list, 1, true, &n, &f), -1);
	ck_assert_int_eq(f.code, TL_STS_INVALID_QUERY_PARAMETER);
	tl_sts_query_finish(&q);

	/* an embedded NUL byte in the raw input is refused too */
	ck_assert_int_eq(tl_sts_query_parse(&q, "a=b\0c", 5, NULL, &f), -1);
	ck_assert_int_eq(f.code, TL_STS_MALFORMED_QUERY_STRING);
	ck_assert_uint_eq(q.count, 0);

	/* caps */
	struct tl_sts_query_limits lim = {
		.max_input = 16, .max_params = 2, .max_key_len = 3, .max_value_len = 4};
	ck_assert_int_eq(tl_sts_query_parse(&q, "a=1&b=2&c=3", 11, &lim, &f), -1);
	ck_assert_str_eq(f.message,
			 "The query string contains a syntax error: more than 2 parameters");
	ck_assert_int_eq(tl_sts_query_parse(&q, "abcd=1", 6, &lim, &f), -1);
	ck_assert_int_eq(tl_sts_query_parse(&q, "a=12345", 7, &lim, &f), -1);
	ck_assert_int_eq(tl_sts_query_parse(&q, "a=%31%32%33%34", 14, &lim, &f), 0);
	tl_sts_query_finish(&q);
	ck_assert_int_eq(tl_sts_query_parse(&q, "a=12345678901234567", 19, &lim, &f), -1);
	ck_assert_int_eq(f.code, TL_STS_MALFORMED_QUERY_STRING);
}
END_TEST

/* --- SigV4 -------------------------------------------------------------- */

struct vector {
	struct case_file c;
	struct tl_sts_http_header headers[16];
	struct tl_sts_http_request req;
	const char *authorization;
};

static void
load_vector(const char *name, struct vector *v)
{
	size_t h = 0;
	const char *body;

	load_case(CORPUS_SIGV4, name, &v->c);
	v->authorization = NULL;
	for (size_t i = 0; i < v->c.count && h < 16; i++) {
		char *colon;

		if (strcmp(v->c.key[i], "header") != 0)
			continue;
		colon = strstr((char *)v->c.value[i], ": ");
		ck_assert_msg(colon, "vector %s: bad header line", name);
		*colon = '\0';
		v->headers[h].name = v->c.value[i];
		v->headers[h].value = colon + 2;
		if (strcmp(v->headers[h].name, "Authorization") == 0)
			v->authorization = colon + 2;
		h++;
	}
	body = case_get(&v->c, "body");
	v->req = (struct tl_sts_http_request){
		.method = case_get(&v->c, "method"),
		.path = case_get(&v->c, "path"),
		.query = case_get(&v->c, "query"),
		.headers = v->headers,
		.header_count = h,
		.body = body,
		.body_len = body ? strlen(body) : 0,
	};
}

START_TEST(sigv4_vector)
{
	struct vector v;
	struct tl_sts_sigv4 sig;
	struct tl_sts_fault f;
	struct tl_sts_http_header unsigned_headers[16];
	struct tl_sts_http_request unsigned_req;
	char auth[1024];
	const char *name = case_names[CORPUS_SIGV4][_i];
	const char *secret, *service, *creq_hash;
	size_t n = 0;
	struct tl_error err;

	load_vector(name, &v);
	secret = case_get(&v.c, "secret");
	service = case_get(&v.c, "service");
	ck_assert_msg(secret && service && v.authorization, "vector %s: incomplete", name);

	ck_assert_msg(tl_sts_sigv4_parse(&v.req, &sig, &f) == 0, "vector %s: parse: %s", name,
		      f.message);
	ck_assert_msg(tl_sts_sigv4_verify(&v.req, &sig, secret, service, sig.signed_at, &f) == 0,
		      "vector %s: verify: %s", name, f.message);

	creq_hash = case_get(&v.c, "creq-sha256");
	if (creq_hash) {
		struct tl_buf creq, sts;
		char h[65];
		tl_buf_init(&creq, 65536);
		tl_buf_init(&sts, 65536);
		ck_assert_int_eq(tl_sts_sigv4_canonical_request(&v.req, sig.signed_headers, false,
								&creq, NULL),
				 0);
		tl_sts_sha256_hex(tl_buf_str(&creq), creq.len, h);
		ck_assert_msg(strcmp(h, creq_hash) == 0, "vector %s: canonical request\n%s", name,
			      tl_buf_str(&creq));
		tl_buf_finish(&creq);
		tl_buf_finish(&sts);
	}

	/* the signer reproduces the vector's Authorization header exactly */
	for (size_t i = 0; i < v.req.header_count; i++) {
		if (strcmp(v.headers[i].name, "Authorization") != 0)
			unsigned_headers[n++] = v.headers[i];
	}
	unsigned_req = v.req;
	unsigned_req.headers = unsigned_headers;
	unsigned_req.header_count = n;
	ck_assert_msg(tl_sts_sigv4_sign(&unsigned_req, sig.access_key_id, secret, sig.region,
					service, auth, sizeof(auth), &err) == 0,
		      "vector %s: sign: %s", name, err.message);
	ck_assert_msg(strcmp(auth, v.authorization) == 0, "vector %s:\n want %s\n  got %s", name,
		      v.authorization, auth);

	/* one byte of body changed, or another secret: SignatureDoesNotMatch */
	if (v.req.body_len) {
		char *tampered = strdup(v.req.body);
		struct tl_sts_http_request t = v.req;
		tampered[0] ^= 1;
		t.body = tampered;
		ck_assert_int_eq(tl_sts_sigv4_verify(&t, &sig, secret, service, sig.signed_at, &f),
				 -1);
		ck_assert_int_eq(f.code, TL_STS_SIGNATURE_DOES_NOT_MATCH);
		free(tampered);
	}
	ck_assert_int_eq(tl_sts_sigv4_verify(&v.req, &sig, "wrong", service, sig.signed_at, &f),
			 -1);
	ck_assert_str_eq(f.message, tl_sts_error_info(TL_STS_SIGNATURE_DOES_NOT_MATCH)->message);
	free(v.c.text);
}
END_TEST

/* A GetCallerIdentity request signed at `at` with the given headers. */
struct signed_call {
	struct tl_sts_http_header headers[8];
	struct tl_sts_http_request req;
	char date[TL_STS_AMZ_DATE_LEN + 1];
	char auth[1024];
};

static const char SECRET[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
static const char GCI[] = "Action=GetCallerIdentity&Version=2011-06-15";

static void
make_call(struct signed_call *s, int64_t at, const char *service)
{
	tl_sts_sigv4_format_date(at, s->date);
	s->headers[0] = (struct tl_sts_http_header){"Host", "127.0.0.1:4566"};
	s->headers[1] =
		(struct tl_sts_http_header){"Content-Type", "application/x-www-form-urlencoded"};
	s->headers[2] = (struct tl_sts_http_header){"X-Amz-Date", s->date};
	s->headers[3] = (struct tl_sts_http_header){"User-Agent", "aws-cli/2"};
	s->req = (struct tl_sts_http_request){"POST", "/", "", s->headers, 4, GCI, strlen(GCI)};
	ck_assert_int_eq(tl_sts_sigv4_sign(&s->req, "AKIDEXAMPLE", SECRET, "us-east-1", service,
					   s->auth, sizeof(s->auth), NULL),
			 0);
	s->headers[4] = (struct tl_sts_http_header){"Authorization", s->auth};
	s->req.header_count = 5;
}

START_TEST(sigv4_time_window)
{
	const int64_t t = 1795953600; /* 2026-11-29T12:00:00Z */
	struct signed_call s;
	struct tl_sts_sigv4 sig;
	struct tl_sts_fault f;

	make_call(&s, t, "sts");
	ck_assert_int_eq(tl_sts_sigv4_parse(&s.req, &sig, &f), 0);
	/* User-Agent is not signed, as botocore does */
	ck_assert_str_eq(sig.signed_headers, "content-type;host;x-amz-date");
	ck_assert_str_eq(sig.access_key_id, "AKIDEXAMPLE");
	ck_assert_int_eq(tl_sts_sigv4_verify(&s.req, &sig, SECRET, "sts", t + 900, &f), 0);
	ck_assert_int_eq(tl_sts_sigv4_verify(&s.req, &sig, SECRET, "sts", t - 900, &f), 0);
	ck_assert_int_eq(tl_sts_sigv4_verify(&s.req, &sig, SECRET, "sts", t + 901, &f), -1);
	ck_assert_int_eq(f.code, TL_STS_SIGNATURE_DOES_NOT_MATCH);
	/* the text AWS sends, e.g. aws/aws-cli #6676 */
	ck_assert_str_eq(f.message, "Signature expired: 20261129T120000Z is now earlier than "
				    "20261129T120001Z (20261129T121501Z - 15 min.)");
	ck_assert_int_eq(tl_sts_sigv4_verify(&s.req, &sig, SECRET, "sts", t - 901, &f), -1);
	ck_assert_str_eq(f.message, "Signature not yet current: 20261129T120000Z is still later "
				    "than 20261129T115959Z (20261129T114459Z + 15 min.)");
	ck_assert_int_eq(tl_sts_sigv4_verify(&s.req, &sig, SECRET, "iam", t, &f), -1);
	ck_assert_str_eq(f.message, "Credential should be scoped to correct service: 'iam'. ");
}
END_TEST

START_TEST(sigv4_malformed)
{
	const int64_t t = 1795953600;
	struct signed_call s;
	struct tl_sts_sigv4 sig;
	struct tl_sts_fault f;
	static const struct {
		const char *auth;
		enum tl_sts_error code;
		const char *message;
	} cases[] = {
		{"AWS4-HMAC-SHA512 Credential=a/20261129/us-east-1/sts/aws4_request, "
		 "SignedHeaders=host, Signature=00",
		 TL_STS_INCOMPLETE_SIGNATURE, "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'"},
		{"AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date", TL_STS_INCOMPLETE_SIGNATURE,
		 "Authorization header requires 'Credential' parameter. Authorization header "
		 "requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 "
		 "SignedHeaders=host;x-amz-date"},
		{"AWS4-HMAC-SHA256 Credential=a/20261129/us-east-1/sts/aws4_requesx, "
		 "SignedHeaders=host;x-amz-date, Signature="
		 "0000000000000000000000000000000000000000000000000000000000000000",
		 TL_STS_INCOMPLETE_SIGNATURE,
		 "Credential should be scoped with a valid terminator: 'aws4_request', not "
		 "'aws4_requesx'. "},
		{"AWS4-HMAC-SHA256 Credential=a/20261129/us-east-1/aws4_request, "
		 "SignedHeaders=host;x-amz-date, Signature="
		 "0000000000000000000000000000000000000000000000000000000000000000",
		 TL_STS_INCOMPLETE_SIGNATURE, "Credential should be scoped to a valid region. "},
		{"AWS4-HMAC-SHA256 Credential=a/20261129/us-east-1/sts/aws4_request, "
		 "SignedHeaders=content-type;x-amz-date, Signature="
		 "0000000000000000000000000000000000000000000000000000000000000000",
		 TL_STS_INCOMPLETE_SIGNATURE,
		 "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{"AWS4-HMAC-SHA256 Credential=a/20261129/us-east-1/sts/aws4_request, "
		 "SignedHeaders=host;x-amz-date, Signature=xyz",
		 TL_STS_SIGNATURE_DOES_NOT_MATCH, NULL},
	};

	make_call(&s, t, "sts");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s.headers[4].value = cases[i].auth;
		ck_assert_msg(tl_sts_sigv4_parse(&s.req, &sig, &f) == -1, "case %zu", i);
		ck_assert_msg(f.code == cases[i].code, "case %zu: %s", i, f.message);
		if (cases[i].message)
			ck_assert_msg(strcmp(f.message, cases[i].message) == 0,
				      "case %zu:\n want %s\n  got %s", i, cases[i].message,
				      f.message);
	}
	/* scope date and X-Amz-Date disagree */
	s.headers[4].value = "AWS4-HMAC-SHA256 Credential=a/20261128/us-east-1/sts/aws4_request, "
			     "SignedHeaders=host;x-amz-date, Signature="
			     "0000000000000000000000000000000000000000000000000000000000000000";
	ck_assert_int_eq(tl_sts_sigv4_parse(&s.req, &sig, &f), 0);
	ck_assert_int_eq(tl_sts_sigv4_verify(&s.req, &sig, SECRET, "sts", t, &f), -1);
	ck_assert_str_eq(f.message,
			 "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
			 "version of date from HTTP: '20261128' != '20261129', from "
			 "'20261129T120000Z'.");
	/* a bad X-Amz-Date */
	s.headers[2].value = "2026-11-29T08:00:00Z";
	ck_assert_int_eq(tl_sts_sigv4_parse(&s.req, &sig, &f), -1);
	ck_assert_str_eq(f.message,
			 "Date must be in ISO-8601 'basic format'. Got "
			 "'2026-11-29T08:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601");
	/* unsigned */
	s.req.header_count = 4;
	ck_assert_int_eq(tl_sts_sigv4_parse(&s.req, &sig, &f), -1);
	ck_assert_int_eq(f.code, TL_STS_MISSING_AUTHENTICATION_TOKEN);
	ck_assert_str_eq(f.message, "Request is missing Authentication Token");
}
END_TEST

START_TEST(sigv4_presigned_get)
{
	const int64_t t = 1795953600;
	struct tl_sts_http_header headers[] = {{"Host", "sts.amazonaws.com"}};
	struct tl_sts_http_request req = {"GET", "/", NULL, headers, 1, NULL, 0};
	char query[2048], signed_query[2200], sig_hex[65];
	struct tl_sts_sigv4 sig;
	struct tl_sts_fault f;

	snprintf(query, sizeof(query),
		 "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&"
		 "X-Amz-Credential=AKIDEXAMPLE%%2F20261129%%2Fus-east-1%%2Fsts%%2Faws4_request&"
		 "X-Amz-Date=20261129T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host");
	req.query = query;
	ck_assert_int_eq(tl_sts_sigv4_signature(&req, "host", true, SECRET, "20261129T120000Z",
						"us-east-1", "sts", sig_hex, NULL),
			 0);
	snprintf(signed_query, sizeof(signed_query), "%s&X-Amz-Signature=%s", query, sig_hex);
	req.query = signed_query;
	ck_assert_int_eq(tl_sts_sigv4_parse(&req, &sig, &f), 0);
	ck_assert(sig.presigned);
	ck_assert_int_eq(sig.expires, 60);
	ck_assert_int_eq(tl_sts_sigv4_verify(&req, &sig, SECRET, "sts", t + 60, &f), 0);
	ck_assert_int_eq(tl_sts_sigv4_verify(&req, &sig, SECRET, "sts", t + 61, &f), -1);
	ck_assert_int_eq(f.code, TL_STS_REQUEST_EXPIRED);
	ck_assert_int_eq(tl_sts_sigv4_verify(&req, &sig, "other", "sts", t, &f), -1);
	ck_assert_int_eq(f.code, TL_STS_SIGNATURE_DOES_NOT_MATCH);
	/* missing parts */
	req.query = "Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date="
		    "20261129T120000Z";
	ck_assert_int_eq(tl_sts_sigv4_parse(&req, &sig, &f), -1);
	ck_assert_str_eq(f.message, "AWS query-string parameters must include "
				    "'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders'. "
				    "Re-examine the query-string parameters.");
}
END_TEST

START_TEST(sigv4_dates)
{
	int64_t t;
	char out[TL_STS_AMZ_DATE_LEN + 1];

	ck_assert_int_eq(tl_sts_sigv4_parse_date("20150830T123600Z", &t), 0);
	ck_assert_int_eq(t, 1440938160);
	ck_assert_int_eq(tl_sts_sigv4_format_date(t, out), 0);
	ck_assert_str_eq(out, "20150830T123600Z");
	ck_assert_int_eq(tl_sts_sigv4_parse_date("20150231T123600Z", &t), -1);
	ck_assert_int_eq(tl_sts_sigv4_parse_date("20150830T123600", &t), -1);
	ck_assert_int_eq(tl_sts_sigv4_parse_date("2015083OT123600Z", &t), -1);
	ck_assert_int_eq(tl_sts_sigv4_parse_date("20150830T246000Z", &t), -1);
}
END_TEST

/* A corpus that vanished must fail, not pass vacuously. */
START_TEST(corpora_are_present)
{
	ck_assert_msg(case_count[CORPUS_PROTOCOL] >= 40, "protocol corpus: %zu cases",
		      case_count[CORPUS_PROTOCOL]);
	ck_assert_msg(case_count[CORPUS_SIGV4] >= 6, "sigv4 corpus: %zu cases",
		      case_count[CORPUS_SIGV4]);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("sts");
	TCase *tc = tcase_create("core");

	scan_corpus(CORPUS_PROTOCOL);
	scan_corpus(CORPUS_SIGV4);
	tcase_add_test(tc, errors_table_is_consistent);
	tcase_add_test(tc, error_envelope_matches_aws);
	tcase_add_test(tc, xml_text_escapes_only_what_xml_needs);
	tcase_add_test(tc, errors_md_is_current);
	tcase_add_test(tc, arn_role_parsing);
	tcase_add_test(tc, credentials_are_shaped_and_reproducible);
	tcase_add_test(tc, arwwi_response_matches_aws_sample);
	tcase_add_test(tc, query_parse_basics);
	tcase_add_test(tc, iam_documents_match_aws_samples);
	tcase_add_test(tc, sigv4_time_window);
	tcase_add_test(tc, sigv4_malformed);
	tcase_add_test(tc, sigv4_presigned_get);
	tcase_add_test(tc, sigv4_dates);
	tcase_add_test(tc, corpora_are_present);
	tcase_add_loop_test(tc, protocol_case, 0, (int)case_count[CORPUS_PROTOCOL]);
	tcase_add_loop_test(tc, sigv4_vector, 0, (int)case_count[CORPUS_SIGV4]);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
