/* SPDX-License-Identifier: MIT */
/*
 * The policy corpus: one file per case under tests/data/policies/
 * (format in tests/data/policies/README.md).
 *
 *   eval/NNN-name.json    policy + request context + expected decision
 *   reject/NNN-name.json  a document IAM refuses to save, with the AWS
 *                         error code, the JSON path and a message fragment
 *
 * Every case also carries the AWS documentation sentence (or observation)
 * it follows, so a failure says which rule broke.
 */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "json/json.h"
#include "policy/policy.h"
#include "test-common.h"

#define MAX_CASES 1024

struct corpus {
	char dir[512];
	char *names[MAX_CASES];
	int n;
};

static struct corpus eval_cases, reject_cases;

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
scan(struct corpus *c, const char *root, const char *sub)
{
	DIR *d;
	struct dirent *e;

	snprintf(c->dir, sizeof(c->dir), "%s/%s", root, sub);
	d = opendir(c->dir);
	if (!d)
		return;
	while ((e = readdir(d)) && c->n < MAX_CASES) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0)
			c->names[c->n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(c->names, (size_t)c->n, sizeof(char *), cmp_names);
}

static void
free_corpus(void)
{
	for (int i = 0; i < eval_cases.n; i++)
		free(eval_cases.names[i]);
	for (int i = 0; i < reject_cases.n; i++)
		free(reject_cases.names[i]);
}

static json_t *
load_case(const struct corpus *c, int i)
{
	char path[1024];
	struct tl_error err = {0};
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", c->dir, c->names[i]);
	j = tl_json_load_file(path, &tl_json_default_limits, &err);
	ck_assert_msg(j != NULL, "case %s: %s", c->names[i], err.message);
	ck_assert_msg(json_is_string(json_object_get(j, "description")), "case %s: no description",
		      c->names[i]);
	ck_assert_msg(json_is_string(json_object_get(j, "doc")) &&
			      strlen(json_string_value(json_object_get(j, "doc"))) > 10,
		      "case %s: no documentation sentence in 'doc'", c->names[i]);
	return j;
}

/* The policy as text: `policy_text` verbatim, or `policy` re-serialised. */
static char *
policy_text(const json_t *j, const char *name)
{
	const json_t *t = json_object_get(j, "policy_text");

	if (t) {
		ck_assert_msg(json_is_string(t), "case %s: policy_text is a string", name);
		return strdup(json_string_value(t));
	}
	ck_assert_msg(json_object_get(j, "policy") != NULL, "case %s: no policy", name);
	return json_dumps(json_object_get(j, "policy"),
			  JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

static struct tl_policy_limits
case_limits(const json_t *j)
{
	struct tl_policy_limits l = {0};
	const json_t *m = json_object_get(j, "max_chars");

	if (json_is_integer(m))
		l.max_chars = (size_t)json_integer_value(m);
	l.shared_provider_controls = json_is_true(json_object_get(j, "shared_provider_controls"));
	return l;
}

START_TEST(eval_case)
{
	const char *name = eval_cases.names[_i];
	json_t *j = load_case(&eval_cases, _i);
	char *text = policy_text(j, name);
	struct tl_policy_limits limits = case_limits(j);
	struct tl_error err = {0};
	struct tl_policy *pol = tl_policy_parse(text, strlen(text), &limits, &err);

	ck_assert_msg(pol != NULL, "case %s: policy refused: %s: %s", name, err.path, err.message);
	struct tl_policy_context *ctx =
		tl_policy_context_from_json(json_object_get(j, "context"), &err);
	ck_assert_msg(ctx != NULL, "case %s: context refused: %s: %s", name, err.path, err.message);

	const char *expect = json_string_value(json_object_get(j, "expect"));
	ck_assert_msg(expect != NULL, "case %s: no expect", name);
	ck_assert_msg(strcmp(expect, "allow") == 0 || strcmp(expect, "deny") == 0 ||
			      strcmp(expect, "implicit-deny") == 0,
		      "case %s: expect is allow, deny or implicit-deny", name);

	struct tl_policy_trace *trace = NULL;
	enum tl_policy_decision fast = tl_policy_eval(pol, ctx, NULL);
	enum tl_policy_decision traced = tl_policy_eval(pol, ctx, &trace);
	ck_assert_msg(trace != NULL, "case %s: no trace", name);

	struct tl_buf buf;
	tl_buf_init(&buf, 1 << 20);
	ck_assert_msg(tl_policy_trace_render_text(trace, &buf, &err) == 0, "case %s: render", name);
	ck_assert_msg(strcmp(tl_policy_decision_name(fast), expect) == 0,
		      "case %s: expected %s, got %s\n%s", name, expect,
		      tl_policy_decision_name(fast), tl_buf_str(&buf));
	ck_assert_msg(fast == traced, "case %s: traced evaluation disagrees (%s)", name,
		      tl_policy_decision_name(traced));

	const json_t *want = json_object_get(j, "trace_contains");
	for (size_t k = 0; want && k < (json_is_array(want) ? json_array_size(want) : 1); k++) {
		const json_t *w = json_is_array(want) ? json_array_get(want, k) : want;
		ck_assert_msg(strstr(tl_buf_str(&buf), json_string_value(w)) != NULL,
			      "case %s: trace lacks '%s':\n%s", name, json_string_value(w),
			      tl_buf_str(&buf));
	}

	json_t *tj = tl_policy_trace_to_json(trace);
	ck_assert_msg(tj != NULL, "case %s: trace to JSON", name);
	ck_assert_msg(strcmp(json_string_value(json_object_get(tj, "decision")), expect) == 0,
		      "case %s: JSON trace decision", name);
	json_decref(tj);
	tl_buf_finish(&buf);
	tl_policy_trace_free(trace);
	tl_policy_context_free(ctx);
	tl_policy_free(pol);
	free(text);
	json_decref(j);
}
END_TEST

START_TEST(reject_case)
{
	const char *name = reject_cases.names[_i];
	json_t *j = load_case(&reject_cases, _i);
	char *text = policy_text(j, name);
	struct tl_policy_limits limits = case_limits(j);
	struct tl_error err = {0};
	struct tl_policy *pol = tl_policy_parse(text, strlen(text), &limits, &err);

	ck_assert_msg(pol == NULL, "case %s: policy accepted", name);
	const char *code = json_string_value(json_object_get(j, "error"));
	ck_assert_msg(code != NULL, "case %s: no error code", name);
	ck_assert_msg(strcmp(tl_policy_aws_error(&err), code) == 0,
		      "case %s: error %s, want %s (%s)", name, tl_policy_aws_error(&err), code,
		      err.message);
	const json_t *path = json_object_get(j, "path");
	if (path)
		ck_assert_msg(strcmp(err.path, json_string_value(path)) == 0,
			      "case %s: path '%s', want '%s' (%s)", name, err.path,
			      json_string_value(path), err.message);
	const char *msg = json_string_value(json_object_get(j, "message_contains"));
	ck_assert_msg(msg != NULL, "case %s: no message_contains", name);
	ck_assert_msg(strstr(err.message, msg) != NULL, "case %s: message '%s' lacks '%s'", name,
		      err.message, msg);
	free(text);
	json_decref(j);
}
END_TEST

START_TEST(corpus_is_big_enough)
{
	/* Issue 5: at least 150 evaluation cases and 50 must-reject documents. */
	ck_assert_msg(eval_cases.n >= 150, "only %d eval cases in %s", eval_cases.n,
		      eval_cases.dir);
	ck_assert_msg(reject_cases.n >= 50, "only %d reject cases in %s", reject_cases.n,
		      reject_cases.dir);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("policy-corpus");
	TCase *tc = tcase_create("corpus");
	const char *root = tl_test_arg(0);

	if (root) {
		scan(&eval_cases, root, "eval");
		scan(&reject_cases, root, "reject");
	}
	atexit(free_corpus);
	tcase_add_test(tc, corpus_is_big_enough);
	tcase_add_loop_test(tc, eval_case, 0, eval_cases.n);
	tcase_add_loop_test(tc, reject_case, 0, reject_cases.n);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
