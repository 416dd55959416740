/* SPDX-License-Identifier: MIT */
/*
 * The policy engine's API: wildcard matching, the request context, traces
 * as text and JSON, limits, and evaluation from several threads. The
 * semantics case by case live in the corpus (test-policy-corpus.c).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "json/json.h"
#include "policy/policy.h"
#include "test-common.h"

#define GH "token.actions.githubusercontent.com"
#define GH_ARN "arn:aws:iam::123456789012:oidc-provider/" GH

static struct tl_policy *
parse_ok(const char *text)
{
	struct tl_error err = {0};
	struct tl_policy *p = tl_policy_parse(text, strlen(text), NULL, &err);

	ck_assert_msg(p != NULL, "%s: %s", err.path, err.message);
	return p;
}

static struct tl_policy_context *
gh_context(const char *sub)
{
	struct tl_policy_context *ctx = tl_policy_context_new();

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(tl_policy_context_set_principal(ctx, TL_PRINCIPAL_FEDERATED, GH_ARN, NULL),
			 0);
	ck_assert_int_eq(tl_policy_context_add(ctx, GH ":aud", "sts.amazonaws.com", NULL), 0);
	if (sub)
		ck_assert_int_eq(tl_policy_context_add(ctx, GH ":sub", sub, NULL), 0);
	return ctx;
}

/* StringLike semantics: reference/sts.md §3.3, reliability.md §3.3. */
/* clang-format off */
static const struct {
	const char *pattern;
	const char *subject;
	bool match;
} like_cases[] = {
	{"a*c", "abcc", true},		/* Ceph RGW's non-greedy `*` says false */
	{"a*c", "ac", true},
	{"a*c", "acb", false},		/* full-string match */
	{"repo:acme/*", "repo:acme/app:ref:refs/heads/main", true}, /* across : and / */
	{"repo:acme/*:ref:refs/heads/main", "repo:acme/app:ref:refs/heads/main", true},
	{"repo:acme/*:ref:refs/heads/main", "repo:acme/app:pull_request", false},
	{"a?c", "abc", true},
	{"a?c", "ac", false},
	{"a?c", "a\xc3\xa9" "c", true},	/* `?` is one character, not one byte */
	{"a??c", "a\xc3\xa9" "c", false},
	{"*", "", true},
	{"", "", true},
	{"", "x", false},
	{"**", "anything", true},
	{"*a*b*", "xxaxxbxx", true},
	{"*a*b*", "xxbxxaxx", false},
	{"ABC", "abc", false},		/* case-sensitive */
	{"a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
};
/* clang-format on */

START_TEST(string_like_table)
{
	char doc[512];
	snprintf(doc, sizeof(doc),
		 "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":"
		 "{\"Federated\":\"" GH_ARN "\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\","
		 "\"Condition\":{\"StringLike\":{\"" GH ":sub\":\"%s\"}}}}",
		 like_cases[_i].pattern);
	struct tl_policy *p = parse_ok(doc);
	struct tl_policy_context *ctx = gh_context(like_cases[_i].subject);
	enum tl_policy_decision d = tl_policy_eval(p, ctx, NULL);

	ck_assert_msg((d == TL_POLICY_ALLOW) == like_cases[_i].match,
		      "case %d: '%s' against '%s': got %s", _i, like_cases[_i].pattern,
		      like_cases[_i].subject, tl_policy_decision_name(d));
	tl_policy_context_free(ctx);
	tl_policy_free(p);
}
END_TEST

/* The evidence line and the deciding pair of each kind of condition outcome
 * (the trace's added fields, docs/explain.md "--format json"). */
/* clang-format off */
static const struct {
	const char *condition; /* the Condition block */
	const char *keys; /* the request's keys, JSON */
	bool matched;
	const char *evidence;
	const char *request_value; /* deciding_request_value, NULL for null */
	const char *policy_value; /* deciding_policy_value, NULL for null */
} evidence_cases[] = {
	{"{\"StringLike\":{\"" GH ":sub\":[\"repo:acme/web*\",\"repo:acme/app*\"]}}",
	 "{\"" GH ":sub\":\"repo:acme/app-evil:ref:refs/heads/main\"}", true,
	 "StringLike " GH ":sub \"repo:acme/app-evil:ref:refs/heads/main\" matched \"repo:acme/app*\"",
	 "repo:acme/app-evil:ref:refs/heads/main", "repo:acme/app*"},
	{"{\"StringEquals\":{\"" GH ":sub\":[\"a\",\"b\"]}}", "{\"" GH ":sub\":\"c\"}", false,
	 "StringEquals " GH ":sub \"c\" did not match \"a\" or \"b\"", NULL, NULL},
	{"{\"StringEquals\":{\"" GH ":amr\":\"x\"}}", "{\"" GH ":amr\":[\"p\",\"q\"]}", false,
	 "StringEquals " GH ":amr [\"p\", \"q\"] did not match \"x\"", NULL, NULL},
	{"{\"StringNotEquals\":{\"" GH ":sub\":[\"a\",\"b\"]}}", "{\"" GH ":sub\":\"b\"}", false,
	 "StringNotEquals " GH ":sub \"b\" matched \"b\", so the negated operator is false", "b", "b"},
	{"{\"StringNotEquals\":{\"" GH ":sub\":\"a\"}}", "{\"" GH ":sub\":\"c\"}", true,
	 "StringNotEquals " GH ":sub \"c\" matched none of \"a\"", NULL, NULL},
	{"{\"StringEquals\":{\"" GH ":sub\":\"a\"}}", "{}", false,
	 "StringEquals " GH ":sub is absent in the request: false", NULL, NULL},
	{"{\"StringEqualsIfExists\":{\"" GH ":sub\":\"a\"}}", "{}", true,
	 "StringEqualsIfExists " GH ":sub is absent in the request: true (IfExists)", NULL, NULL},
	{"{\"Null\":{\"" GH ":sub\":\"false\"}}", "{\"" GH ":sub\":\"x\"}", true,
	 "Null " GH ":sub is present in the request, the policy asks for \"false\": true", NULL,
	 "false"},
	{"{\"ForAllValues:StringEquals\":{\"" GH ":amr\":[\"p\",\"q\"]}}",
	 "{\"" GH ":amr\":[\"p\",\"z\"]}", false,
	 "ForAllValues:StringEquals " GH ":amr \"z\" did not match \"p\" or \"q\"", "z", NULL},
	{"{\"ForAllValues:StringEquals\":{\"" GH ":amr\":\"p\"}}", "{}", true,
	 "ForAllValues:StringEquals " GH ":amr is absent in the request: true", NULL, NULL},
	{"{\"NumericLessThan\":{\"" GH ":run\":\"5\"}}", "{\"" GH ":run\":\"x\\\"y\"}", false,
	 "NumericLessThan " GH ":run \"x\\\"y\" is not a number: false", "x\"y", NULL},
};
/* clang-format on */

START_TEST(trace_evidence_shows_the_values)
{
	char doc[1024];
	struct tl_error err = {0};
	snprintf(doc, sizeof(doc),
		 "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":"
		 "{\"Federated\":\"" GH_ARN "\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\","
		 "\"Condition\":%s}}",
		 evidence_cases[_i].condition);
	struct tl_policy *p = parse_ok(doc);
	json_t *keys = json_loads(evidence_cases[_i].keys, 0, NULL);
	json_t *cj = json_pack("{s:{s:s}, s:o}", "principal", "Federated", GH_ARN, "keys", keys);
	struct tl_policy_context *ctx = tl_policy_context_from_json(cj, &err);
	struct tl_policy_trace *t = NULL;

	ck_assert_msg(ctx != NULL, "case %d: %s", _i, err.message);
	tl_policy_eval(p, ctx, &t);
	ck_assert_ptr_nonnull(t);
	json_t *j = tl_policy_trace_to_json(t);
	json_t *c = json_array_get(
		json_object_get(json_array_get(json_object_get(j, "statements"), 0), "conditions"),
		0);
	const char *ev = json_string_value(json_object_get(c, "evidence"));
	ck_assert_msg(json_is_true(json_object_get(c, "matched")) == evidence_cases[_i].matched,
		      "case %d: matched", _i);
	ck_assert_msg(ev && strcmp(ev, evidence_cases[_i].evidence) == 0,
		      "case %d: evidence '%s', expected '%s'", _i, ev ? ev : "(none)",
		      evidence_cases[_i].evidence);
	const struct {
		const char *field, *want;
	} pair[] = {{"deciding_request_value", evidence_cases[_i].request_value},
		    {"deciding_policy_value", evidence_cases[_i].policy_value}};
	for (size_t k = 0; k < 2; k++) {
		json_t *v = json_object_get(c, pair[k].field);
		ck_assert_msg(v != NULL, "case %d: %s is missing", _i, pair[k].field);
		if (pair[k].want)
			ck_assert_msg(json_is_string(v) &&
					      strcmp(json_string_value(v), pair[k].want) == 0,
				      "case %d: %s is '%s', expected '%s'", _i, pair[k].field,
				      json_string_value(v), pair[k].want);
		else
			ck_assert_msg(json_is_null(v), "case %d: %s is not null", _i,
				      pair[k].field);
	}
	/* The original fields stay (docs/explain.md, the report formats). */
	ck_assert_msg(json_object_get(c, "reason") && json_object_get(c, "policy_values") &&
			      json_object_get(c, "request_values"),
		      "case %d: an original field is gone", _i);
	json_decref(j);
	json_decref(cj);
	tl_policy_trace_free(t);
	tl_policy_context_free(ctx);
	tl_policy_free(p);
}
END_TEST

static const char github_policy[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"GitHubMain\",\"Effect\":\"Allow\","
	"\"Principal\":{\"Federated\":\"" GH_ARN "\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\","
	"\"Condition\":{\"StringEquals\":{\"" GH ":aud\":\"sts.amazonaws.com\"},"
	"\"StringLike\":{\"" GH ":sub\":\"repo:acme/app:ref:refs/heads/main\"}}}]}";

START_TEST(trace_text_says_why)
{
	struct tl_policy *p = parse_ok(github_policy);
	struct tl_policy_context *ctx = gh_context("repo:acme/app:pull_request");
	struct tl_policy_trace *t = NULL;
	struct tl_buf b;

	ck_assert_int_eq(tl_policy_eval(p, ctx, &t), TL_POLICY_IMPLICIT_DENY);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tl_policy_trace_decision(t), TL_POLICY_IMPLICIT_DENY);
	tl_buf_init(&b, 65536);
	ck_assert_int_eq(tl_policy_trace_render_text(t, &b, NULL), 0);
	ck_assert_msg(strstr(tl_buf_str(&b),
			     "Statement 'GitHubMain' (Allow) did not apply: " GH
			     ":sub is 'repo:acme/app:pull_request', which does not match "
			     "StringLike 'repo:acme/app:ref:refs/heads/main'\n") != NULL,
		      "%s", tl_buf_str(&b));
	ck_assert_msg(strstr(tl_buf_str(&b), "Decision: implicit-deny: no statement allows "
					     "sts:AssumeRoleWithWebIdentity\n") != NULL,
		      "%s", tl_buf_str(&b));
	ck_assert_msg(strstr(tl_buf_str(&b),
			     "  [match]    " GH ":aud is 'sts.amazonaws.com', "
			     "which matches StringEquals 'sts.amazonaws.com'") != NULL,
		      "%s", tl_buf_str(&b));
	tl_buf_finish(&b);

	json_t *j = tl_policy_trace_to_json(t);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "decision")), "implicit-deny");
	json_t *st = json_array_get(json_object_get(j, "statements"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(st, "sid")), "GitHubMain");
	ck_assert(json_is_false(json_object_get(st, "applied")));
	ck_assert(json_is_true(json_object_get(st, "principal_matched")));
	json_t *c = json_array_get(json_object_get(st, "conditions"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(c, "operator")), "StringLike");
	ck_assert_str_eq(json_string_value(json_object_get(c, "key")), GH ":sub");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(c, "request_values"), 0)),
			 "repo:acme/app:pull_request");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(c, "policy_values"), 0)),
			 "repo:acme/app:ref:refs/heads/main");
	ck_assert(json_is_false(json_object_get(c, "matched")));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(c, "reason")),
				     "does not match StringLike"));
	json_decref(j);
	{
		const char *sid = "x";
		ck_assert_int_eq(tl_policy_trace_deciding(t, &sid), -1);
		ck_assert_ptr_null(sid);
	}
	tl_policy_trace_free(t);

	/* The same policy allows main. */
	tl_policy_context_free(ctx);
	ctx = gh_context("repo:acme/app:ref:refs/heads/main");
	ck_assert_int_eq(tl_policy_eval(p, ctx, &t), TL_POLICY_ALLOW);
	tl_buf_init(&b, 65536);
	ck_assert_int_eq(tl_policy_trace_render_text(t, &b, NULL), 0);
	ck_assert_msg(strstr(tl_buf_str(&b), "Decision: allow: Statement 'GitHubMain' (Allow) "
					     "allows sts:AssumeRoleWithWebIdentity") != NULL,
		      "%s", tl_buf_str(&b));
	tl_buf_finish(&b);
	{
		const char *sid = NULL;
		ck_assert_int_eq(tl_policy_trace_deciding(t, &sid), 0);
		ck_assert_str_eq(sid, "GitHubMain");
	}
	tl_policy_trace_free(t);
	tl_policy_context_free(ctx);
	tl_policy_free(p);
}
END_TEST

START_TEST(context_keys_are_case_insensitive)
{
	struct tl_policy_context *ctx = tl_policy_context_new();
	struct tl_policy *p = parse_ok(github_policy);

	tl_policy_context_set_principal(ctx, TL_PRINCIPAL_FEDERATED, GH_ARN, NULL);
	ck_assert_int_eq(tl_policy_context_add(ctx, "Token.Actions.GitHubUserContent.com:AUD",
					       "sts.amazonaws.com", NULL),
			 0);
	ck_assert_int_eq(
		tl_policy_context_add(ctx, GH ":SUB", "repo:acme/app:ref:refs/heads/main", NULL),
		0);
	ck_assert_int_eq(tl_policy_eval(p, ctx, NULL), TL_POLICY_ALLOW);
	/* Values are not: a second, different-case value is another value. */
	tl_policy_context_free(ctx);
	ctx = gh_context("repo:ACME/app:ref:refs/heads/main");
	ck_assert_int_eq(tl_policy_eval(p, ctx, NULL), TL_POLICY_IMPLICIT_DENY);
	tl_policy_context_free(ctx);
	tl_policy_free(p);
}
END_TEST

/* clang-format off */
static const struct {
	const char *json;
	const char *path;
	const char *message;
} bad_contexts[] = {
	{"{\"keys\": {\"a:sub\": {\"x\": 1}}}", "keys[\"a:sub\"]", "not an object"},
	{"{\"keys\": {\"a:sub\": null}}", "keys[\"a:sub\"]", "never treated as absent"},
	{"{\"keys\": {\"a:sub\": [\"x\", [1]]}}", "keys[\"a:sub\"][1]", "not an array"},
	{"{\"keys\": {\"a:sub\": \"x\", \"A:SUB\": \"y\"}}", "keys[\"A:SUB\"]", "case-insensitive"},
	{"{\"principal\": {\"Federated\": \"x\", \"AWS\": \"y\"}}", "principal", "exactly one"},
	{"{\"principal\": {\"Federated\": 1}}", "principal.Federated", "expected a string"},
	{"{\"action\": [\"sts:AssumeRole\"]}", "action", "expected a string"},
	{"{\"key\": {}}", "", "unknown field 'key'"},
	{"[]", "", "expected an object"},
};
/* clang-format on */

START_TEST(context_from_json_refuses_bad_shapes)
{
	struct tl_error err = {0};
	json_t *j = json_loads(bad_contexts[_i].json, 0, NULL);

	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_null(tl_policy_context_from_json(j, &err));
	ck_assert_msg(strcmp(err.path, bad_contexts[_i].path) == 0, "case %d: path '%s'", _i,
		      err.path);
	ck_assert_msg(strstr(err.message, bad_contexts[_i].message) != NULL,
		      "case %d: message '%s'", _i, err.message);
	json_decref(j);
}
END_TEST

START_TEST(size_limit_counts_non_whitespace)
{
	/* A policy padded with whitespace to 10 KB is still small. */
	struct tl_buf b;
	struct tl_error err = {0};
	struct tl_policy_limits lim = {.max_chars = 100000};

	tl_buf_init(&b, 1 << 20);
	tl_buf_append_str(&b, github_policy, NULL);
	for (int i = 0; i < 10000; i++)
		tl_buf_putc(&b, i % 2 ? ' ' : '\n', NULL);
	struct tl_policy *p = tl_policy_parse(tl_buf_str(&b), b.len, NULL, &err);
	ck_assert_msg(p != NULL, "%s", err.message);
	ck_assert_str_eq(tl_policy_version(p), "2012-10-17");
	ck_assert_int_eq(tl_policy_statement_count(p), 1);
	tl_policy_free(p);

	/* The quota is clamped to 4,096. */
	tl_buf_reset(&b);
	tl_buf_append_str(&b, "{\"Id\":\"", NULL);
	for (int i = 0; i < 4200; i++)
		tl_buf_putc(&b, 'x', NULL);
	tl_buf_append_str(&b, "\",\"Statement\":[]}", NULL);
	ck_assert_ptr_null(tl_policy_parse(tl_buf_str(&b), b.len, &lim, &err));
	ck_assert_int_eq(err.code, TL_ERR_LIMIT);
	ck_assert_str_eq(tl_policy_aws_error(&err), "LimitExceeded");
	ck_assert_ptr_nonnull(strstr(err.message, "Cannot exceed quota for ACLSizePerRole: 4096"));
	tl_buf_finish(&b);

	ck_assert_ptr_null(tl_policy_parse("{", 1, NULL, &err));
	ck_assert_str_eq(tl_policy_aws_error(&err), "MalformedPolicyDocument");
	ck_assert_ptr_null(tl_policy_parse(NULL, 0, NULL, &err));
}
END_TEST

struct worker {
	const struct tl_policy *p;
	const struct tl_policy_context *allow, *deny;
	int wrong;
};

static void *
work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 20000; i++) {
		if (tl_policy_eval(w->p, w->allow, NULL) != TL_POLICY_ALLOW)
			w->wrong++;
		if (tl_policy_eval(w->p, w->deny, NULL) != TL_POLICY_IMPLICIT_DENY)
			w->wrong++;
	}
	return NULL;
}

START_TEST(threads_share_a_policy)
{
	struct tl_policy *p = parse_ok(github_policy);
	struct tl_policy_context *allow = gh_context("repo:acme/app:ref:refs/heads/main");
	struct tl_policy_context *deny = gh_context("repo:acme/app:pull_request");
	struct worker w[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){p, allow, deny, 0};
		ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].wrong, 0);
	}
	tl_policy_context_free(allow);
	tl_policy_context_free(deny);
	tl_policy_free(p);
}
END_TEST

START_TEST(free_accepts_null)
{
	tl_policy_free(NULL);
	tl_policy_context_free(NULL);
	tl_policy_trace_free(NULL);
	ck_assert_str_eq(tl_policy_decision_name(TL_POLICY_ALLOW), "allow");
	ck_assert_str_eq(tl_policy_decision_name(TL_POLICY_EXPLICIT_DENY), "deny");
	ck_assert_str_eq(tl_policy_decision_name(TL_POLICY_IMPLICIT_DENY), "implicit-deny");
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("match");

	tcase_add_loop_test(tc, string_like_table, 0, sizeof(like_cases) / sizeof(like_cases[0]));
	tcase_add_test(tc, context_keys_are_case_insensitive);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_test(tc, trace_text_says_why);
	tcase_add_loop_test(tc, trace_evidence_shows_the_values, 0,
			    (int)(sizeof(evidence_cases) / sizeof(evidence_cases[0])));
	tcase_add_loop_test(tc, context_from_json_refuses_bad_shapes, 0,
			    sizeof(bad_contexts) / sizeof(bad_contexts[0]));
	tcase_add_test(tc, size_limit_counts_non_whitespace);
	tcase_add_test(tc, threads_share_a_policy);
	tcase_add_test(tc, free_accepts_null);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
