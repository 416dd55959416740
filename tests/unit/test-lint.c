/* SPDX-License-Identifier: MIT */
/*
 * lib/lint: the rule corpus (tests/data/lint/cases, one file a case:
 * {"fact", "expect": [rule ids], "policy"}), the catalogue, positions,
 * options and the three outputs.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "json/json.h"
#include "lint/lint.h"
#include "test-common.h"

#define MAX_CASES 256

static char *names[MAX_CASES];
static int ncases;
static char dir[1024];

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
scan(const char *root)
{
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/cases", root);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d)) && ncases < MAX_CASES) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0)
			names[ncases++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)ncases, sizeof(char *), cmp_names);
}

static void
free_cases(void)
{
	for (int i = 0; i < ncases; i++)
		free(names[i]);
}

static json_t *
load_case(int i)
{
	char path[1300];
	struct tl_error err = {0};
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
	j = tl_json_load_file(path, &tl_json_default_limits, &err);
	ck_assert_msg(j != NULL, "case %s: %s", names[i], err.message);
	ck_assert_msg(json_is_string(json_object_get(j, "fact")), "case %s: no fact", names[i]);
	ck_assert_msg(json_is_array(json_object_get(j, "expect")), "case %s: no expect", names[i]);
	ck_assert_msg(json_is_object(json_object_get(j, "policy")), "case %s: no policy", names[i]);
	return j;
}

/* Lints `text` as one policy file; returns the findings. */
static void
lint_text(const char *name, const char *text, const struct tl_lint_options *opt,
	  struct tl_lint_inputs *in, struct tl_lint_findings *f)
{
	struct tl_error err = {0};
	ck_assert_int_eq(tl_lint_inputs_add(in, name, name, NULL, text, strlen(text), 0, &err), 0);
	ck_assert_msg(tl_lint_run(&in->items[in->n - 1], in->n - 1, opt, f, &err) == 0,
		      "case %s: %s", name, err.message);
}

/* The sorted, distinct rule ids of the findings, as a JSON array. */
static json_t *
rule_ids(const struct tl_lint_findings *f)
{
	size_t count;
	const struct tl_lint_rule *rules = tl_lint_rules(&count);
	json_t *ids = json_array();
	const char *sorted[64];
	size_t n = 0;

	for (size_t r = 0; r < count; r++)
		for (size_t i = 0; i < f->n; i++)
			if (f->items[i].rule == &rules[r]) {
				sorted[n++] = rules[r].id;
				break;
			}
	qsort(sorted, n, sizeof(*sorted), cmp_names);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ids, json_string(sorted[i]));
	return ids;
}

START_TEST(lint_case)
{
	json_t *c = load_case(_i), *ids;
	char *text = json_dumps(json_object_get(c, "policy"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	struct tl_lint_inputs in = {0};
	struct tl_lint_findings f = {0};

	lint_text(names[_i], text, NULL, &in, &f);
	ids = rule_ids(&f);
	if (!json_equal(ids, json_object_get(c, "expect"))) {
		char *got = json_dumps(ids, 0), *want = json_dumps(json_object_get(c, "expect"), 0);
		ck_abort_msg("case %s: expected %s, found %s (%s)", names[_i], want, got,
			     f.n ? f.items[0].message : "no finding");
	}
	/* Every finding in a policy file has a position and a known rule. */
	for (size_t i = 0; i < f.n; i++) {
		ck_assert_msg(f.items[i].line > 0 && f.items[i].column > 0,
			      "case %s: finding %s at '%s' has no position", names[_i],
			      f.items[i].rule->id, f.items[i].path);
		ck_assert_msg(f.items[i].message[0], "case %s: empty message", names[_i]);
	}
	json_decref(ids);
	free(text);
	tl_lint_findings_finish(&f);
	tl_lint_inputs_finish(&in);
	json_decref(c);
}
END_TEST

/* Issue 10 item 5: every rule has a triggering and a clean fixture. */
START_TEST(every_rule_has_cases)
{
	size_t count;
	const struct tl_lint_rule *rules = tl_lint_rules(&count);

	ck_assert_int_ge(ncases, (int)(2 * count));
	for (size_t r = 0; r < count; r++) {
		char trig[128], clean[128];
		bool has_trig = false, has_clean = false;
		snprintf(trig, sizeof(trig), "%s-trigger.json", rules[r].id);
		snprintf(clean, sizeof(clean), "%s-clean", rules[r].id);
		for (int i = 0; i < ncases; i++) {
			json_t *c, *e;
			size_t k;
			bool listed = false;
			bool is_trig = strcmp(names[i], trig) == 0;
			bool is_clean = strncmp(names[i], clean, strlen(clean)) == 0;
			if (!is_trig && !is_clean)
				continue;
			c = load_case(i);
			json_array_foreach(json_object_get(c, "expect"), k, e) listed |=
				strcmp(json_string_value(e), rules[r].id) == 0;
			if (is_trig)
				has_trig = listed;
			if (is_clean && !listed)
				has_clean = true;
			json_decref(c);
		}
		ck_assert_msg(has_trig, "rule %s: no %s expecting it", rules[r].id, trig);
		ck_assert_msg(has_clean, "rule %s: no %s*.json without it", rules[r].id, clean);
	}
}
END_TEST

START_TEST(catalogue)
{
	size_t count;
	const struct tl_lint_rule *rules = tl_lint_rules(&count);

	ck_assert_int_ge(count, 16);
	for (size_t r = 0; r < count; r++) {
		const char *id = rules[r].id;
		ck_assert_msg(strspn(id, "abcdefghijklmnopqrstuvwxyz-") == strlen(id),
			      "rule %s: not kebab-case", id);
		ck_assert_ptr_eq(tl_lint_rule_find(id), &rules[r]);
		ck_assert_msg(rules[r].title[0] && rules[r].explanation[0] && rules[r].fix[0],
			      "rule %s: missing text", id);
		ck_assert_msg(strstr(rules[r].explanation, "reference/") ||
				      strstr(rules[r].explanation, "scenarios/"),
			      "rule %s: the explanation cites no source", id);
		for (size_t o = 0; o < r; o++)
			ck_assert_msg(strcmp(rules[o].id, id) != 0, "rule %s twice", id);
	}
	ck_assert_ptr_null(tl_lint_rule_find("no-such-rule"));
	ck_assert_str_eq(tl_lint_severity_name(TL_LINT_WARNING), "warning");
	ck_assert_int_eq(tl_lint_severity_from_name("note"), TL_LINT_NOTE);
	ck_assert_int_eq(tl_lint_severity_from_name("fatal"), -1);
}
END_TEST

START_TEST(locate)
{
	static const char text[] = "{\n  \"Statement\": [\n    {\"Condition\": {\"StringLike\": "
				   "{\"a:sub\": [\"x\", \"y\"]}}}\n  ]\n}\n";
	int line = 0, col = 0;

	ck_assert_int_eq(tl_lint_locate(text, strlen(text), "", &line, &col), 0);
	ck_assert_int_eq(line, 1);
	ck_assert_int_eq(col, 1);
	ck_assert_int_eq(tl_lint_locate(text, strlen(text), "Statement[0]", &line, &col), 0);
	ck_assert_int_eq(line, 3);
	ck_assert_int_eq(col, 5);
	ck_assert_int_eq(tl_lint_locate(text, strlen(text),
					"Statement[0].Condition.StringLike[\"a:sub\"][1]", &line,
					&col),
			 0);
	ck_assert_int_eq(line, 3);
	ck_assert_int_eq(col, 50);
	ck_assert_int_eq(tl_lint_locate(text, strlen(text), "Statement[1]", &line, &col), -1);
	ck_assert_int_eq(tl_lint_locate("{\"a\": [1,", 9, "b", &line, &col), -1);
}
END_TEST

static const char org_wildcard[] =
	"{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\",\n"
	" \"Principal\": {\"Federated\": "
	"\"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com\"},\n"
	" \"Action\": \"sts:AssumeRoleWithWebIdentity\",\n"
	" \"Condition\": {\"StringLike\": {\"token.actions.githubusercontent.com:sub\": "
	"\"repo:acme/*\"}}}]}";

START_TEST(disable_and_outputs)
{
	static const char *const off[] = {"aud-condition-missing", "pull-request-and-main",
					  "pull-request-target", NULL};
	struct tl_lint_options opt = {.disabled = off};
	struct tl_lint_inputs in = {0};
	struct tl_lint_findings f = {0};
	struct tl_error err = {0};
	struct tl_buf buf;
	json_t *j, *run, *res;

	lint_text("p.json", org_wildcard, &opt, &in, &f);
	ck_assert_int_eq(f.n, 1);
	ck_assert_str_eq(f.items[0].rule->id, "sub-wildcard-owner");
	ck_assert_int_eq(f.items[0].line, 4);
	ck_assert_int_eq(tl_lint_findings_max(&f), TL_LINT_ERROR);

	tl_buf_init(&buf, 1 << 20);
	ck_assert_int_eq(tl_lint_render_text(&in, &f, &buf, &err), 0);
	ck_assert_msg(strstr(tl_buf_str(&buf),
			     "p.json:4:74: Statement[0].Condition.StringLike[\"token.actions."
			     "githubusercontent.com:sub\"]: error sub-wildcard-owner: ") != NULL,
		      "text: %s", tl_buf_str(&buf));
	ck_assert_ptr_nonnull(strstr(tl_buf_str(&buf), "    fix: "));
	tl_buf_finish(&buf);

	j = tl_lint_to_json(&in, &f);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(
		json_integer_value(json_object_get(json_object_get(j, "summary"), "errors")), 1);
	json_decref(j);

	j = tl_lint_to_sarif(&in, &f);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "version")), "2.1.0");
	run = json_array_get(json_object_get(j, "runs"), 0);
	res = json_array_get(json_object_get(run, "results"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(res, "ruleId")), "sub-wildcard-owner");
	ck_assert_str_eq(json_string_value(json_object_get(res, "level")), "error");
	json_decref(j);
	tl_lint_findings_finish(&f);
	tl_lint_inputs_finish(&in);
}
END_TEST

START_TEST(inline_has_no_position)
{
	struct tl_lint_inputs in = {0};
	struct tl_lint_findings f = {0};
	struct tl_error err = {0};

	ck_assert_int_eq(tl_lint_inputs_add(&in, "s.yaml role r", "s.yaml", "roles.r.trust_policy",
					    org_wildcard, strlen(org_wildcard), 3600, &err),
			 0);
	ck_assert_int_eq(tl_lint_run(&in.items[0], 0, NULL, &f, &err), 0);
	ck_assert_int_ge(f.n, 1);
	for (size_t i = 0; i < f.n; i++)
		ck_assert_int_eq(f.items[i].line, 0);
	tl_lint_findings_finish(&f);
	tl_lint_inputs_finish(&in);
}
END_TEST

START_TEST(invalid_policy)
{
	static const char bad[] =
		"{\"Version\": \"2012-10-17\",\n \"Statement\": [{\"Effect\": "
		"\"Allow\", \"Principal\": \"*\", \"Action\": \"sts:AssumeRoleWithWebIdentity\",\n "
		"\"Condition\": {\"StringLikeish\": {\"a\": \"b\"}}}]}";
	struct tl_lint_inputs in = {0};
	struct tl_lint_findings f = {0};
	struct tl_error err = {0};

	ck_assert_int_eq(
		tl_lint_inputs_add(&in, "bad.json", "bad.json", NULL, bad, strlen(bad), 0, &err),
		0);
	ck_assert_int_eq(tl_lint_run(&in.items[0], 0, NULL, &f, &err), -1);
	ck_assert_str_eq(err.file, "bad.json");
	ck_assert_msg(strstr(err.path, "Condition") != NULL, "path: %s", err.path);
	ck_assert_int_eq(err.line, 3);

	tl_error_clear(&err);
	ck_assert_int_eq(tl_lint_inputs_add(&in, "syntax.json", "syntax.json", NULL, "{\n \"a\": ]",
					    9, 0, &err),
			 0);
	ck_assert_int_eq(tl_lint_run(&in.items[1], 1, NULL, &f, &err), -1);
	ck_assert_str_eq(err.file, "syntax.json");
	ck_assert_int_eq(err.line, 2);
	tl_lint_findings_finish(&f);
	tl_lint_inputs_finish(&in);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("lint");
	TCase *tc = tcase_create("lint");

	if (tl_test_arg(0))
		scan(tl_test_arg(0));
	atexit(free_cases);
	tcase_add_test(tc, catalogue);
	tcase_add_test(tc, every_rule_has_cases);
	tcase_add_test(tc, locate);
	tcase_add_test(tc, disable_and_outputs);
	tcase_add_test(tc, inline_has_no_position);
	tcase_add_test(tc, invalid_policy);
	tcase_add_loop_test(tc, lint_case, 0, ncases);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
