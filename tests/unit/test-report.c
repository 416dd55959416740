/* SPDX-License-Identifier: MIT */
/*
 * lib/report: every format rendered from one fixed set of results and
 * compared byte for byte with tests/data/reports/report.* (rewrite them
 * with TL_UPDATE_GOLDEN=1 and review the diff); the goldens are then
 * parsed by tests/unit/check-reports.py (JUnit and HTML as strict XML,
 * the Markdown tables' shape). Plus the API's edges.
 *
 * Argument: the tests/data/reports directory.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/file.h"

#include "report/report.h"
#include "test-common.h"

static const char trace_text[] =
	"decision: allow\n"
	"Statement[0] (Allow): applies\n"
	"  StringLike token.actions.githubusercontent.com:sub \"repo:acme/app:*\" <= "
	"\"repo:acme/app:ref:refs/heads/feature\": match & so it allows\n";

static struct tl_report *
fixture(void)
{
	struct tl_report *r = tl_report_new();
	struct tl_error err;
	json_t *trace = json_pack("{s:s, s:[{s:i, s:s, s:b}]}", "decision", "allow", "statements",
				  "index", 0, "effect", "Allow", "applies", 1);
	const struct tl_report_result results[] = {
		{.scenario = "deploy",
		 .file = "scenarios/deploy.yaml",
		 .name = "push to main",
		 .role = "deploy-prod",
		 .expected = "allow",
		 .actual = "allow",
		 .passed = true,
		 .request_id = "4c1f0f4e-0000-4000-8000-000000000001",
		 .duration_ms = 12.5},
		{.scenario = "deploy",
		 .file = "scenarios/deploy.yaml",
		 .name = "push to main",
		 .role = "deploy-staging",
		 .expected = "allow",
		 .actual = "allow",
		 .passed = true,
		 .request_id = "4c1f0f4e-0000-4000-8000-000000000002",
		 .duration_ms = 3},
		{.scenario = "deploy",
		 .file = "scenarios/deploy.yaml",
		 .name = "feature branch",
		 .role = "deploy-prod",
		 .expected = "deny",
		 .actual = "allow",
		 .passed = false,
		 .request_id = "4c1f0f4e-0000-4000-8000-000000000003",
		 .trace_text = trace_text,
		 .trace = trace,
		 .duration_ms = 4.25},
		{.scenario = "deploy",
		 .file = "scenarios/deploy.yaml",
		 .name = "feature branch",
		 .role = "deploy-staging",
		 .expected = "allow",
		 .actual = "allow",
		 .passed = true,
		 .duration_ms = 1},
		{.scenario = "deploy",
		 .file = "scenarios/deploy.yaml",
		 .name = "fork pull request",
		 .role = "deploy-prod",
		 .expected = "no-token",
		 .actual = "no-token",
		 .passed = true,
		 .message = "pull_request from a fork: no token"},
		{.scenario = "edge <cases> & | # names",
		 .name = "m: event=push ref=refs/heads/main *x* [y]",
		 .matrix = "m",
		 .role = "r|1",
		 .expected = "ExpiredTokenException",
		 .actual = "InvalidIdentityToken",
		 .passed = false,
		 .message = "The web identity token \"x\" could not be validated\x01.",
		 .trace_text = "token: signature check failed\n```\nnot a fence end\n```",
		 .duration_ms = 2},
		{.scenario = "edge <cases> & | # names",
		 .name = "deny is AccessDenied",
		 .role = "r|1",
		 .expected = "deny",
		 .actual = "AccessDenied",
		 .passed = true,
		 .request_id = "4c1f0f4e-0000-4000-8000-000000000007",
		 .duration_ms = 0.5},
		{.scenario = "edge <cases> & | # names",
		 .name = "no trace at all",
		 .role = "r2",
		 .expected = "allow",
		 .actual = "AccessDenied",
		 .passed = false},
	};
	ck_assert_ptr_nonnull(r);
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		ck_assert_int_eq(tl_report_add(r, &results[i], &err), 0);
	json_decref(trace);
	return r;
}

static char *
render(const struct tl_report *r, enum tl_report_format f, const struct tl_report_options *opt)
{
	struct tl_buf b;
	struct tl_error err;
	tl_buf_init(&b, 1 << 20);
	ck_assert_msg(tl_report_render(r, f, opt, &b, &err) == 0, "format %s: %s",
		      tl_report_format_name(f), err.message);
	return tl_buf_steal(&b, NULL);
}

static const struct {
	enum tl_report_format format;
	bool color;
	const char *file;
} goldens[] = {
	{TL_REPORT_TEXT, false, "report.txt"},	{TL_REPORT_TEXT, true, "report-color.txt"},
	{TL_REPORT_JSON, false, "report.json"}, {TL_REPORT_JUNIT, false, "report.xml"},
	{TL_REPORT_TAP, false, "report.tap"},	{TL_REPORT_MARKDOWN, false, "report.md"},
	{TL_REPORT_HTML, false, "report.html"},
};

START_TEST(golden)
{
	struct tl_report *r = fixture();
	const char *dir = tl_test_arg(0);
	for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
		struct tl_report_options opt = {.color = goldens[i].color,
						.title = "trustlab report"};
		char *got = render(r, goldens[i].format, &opt);
		char *path, *want = NULL;
		size_t len;
		struct tl_error err;
		ck_assert(asprintf(&path, "%s/%s", dir, goldens[i].file) > 0);
		if (getenv("TL_UPDATE_GOLDEN"))
			tl_file_write_atomic(path, got, strlen(got), 0644, NULL);
		ck_assert_msg(tl_file_read(path, 1 << 20, &want, &len, &err) == 0, "case %s: %s",
			      goldens[i].file, err.message);
		ck_assert_msg(strcmp(got, want) == 0, "case %s: output differs:\n%s",
			      goldens[i].file, got);
		free(want);
		free(path);
		free(got);
	}
	tl_report_free(r);
}
END_TEST

/* Issue 8: "A failed case always shows the trace", in every format. */
START_TEST(failures_show_why)
{
	struct tl_report *r = fixture();
	for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
		char *out = render(r, goldens[i].format, NULL);
		bool json = goldens[i].format == TL_REPORT_JSON;
		ck_assert_msg(strstr(out, "Statement[0] (Allow): applies") ||
				      (json && strstr(out, "\"statements\"")),
			      "case %s: no trace of the failed case", goldens[i].file);
		ck_assert_msg(strstr(out, "token: signature check failed") != NULL,
			      "case %s: no trace of the second failure", goldens[i].file);
		free(out);
	}
	tl_report_free(r);
}
END_TEST

START_TEST(json_round_trip)
{
	struct tl_report *r = fixture();
	char *out = render(r, TL_REPORT_JSON, NULL);
	json_error_t jerr;
	json_t *doc = json_loads(out, 0, &jerr);
	ck_assert_msg(doc != NULL, "%s", jerr.text);
	ck_assert_int_eq(
		json_integer_value(json_object_get(json_object_get(doc, "summary"), "failed")), 3);
	json_t *results = json_object_get(doc, "results");
	ck_assert_uint_eq(json_array_size(results), 8);
	json_t *third = json_array_get(results, 2);
	ck_assert_str_eq(json_string_value(json_object_get(third, "case")), "feature branch");
	ck_assert(json_is_false(json_object_get(third, "passed")));
	ck_assert_str_eq(
		json_string_value(json_object_get(json_object_get(third, "trace"), "decision")),
		"allow");
	ck_assert_str_eq(json_string_value(json_object_get(third, "request_id")),
			 "4c1f0f4e-0000-4000-8000-000000000003");
	/* Without trace JSON the text trace is given; without either, null. */
	ck_assert(json_is_string(json_object_get(json_array_get(results, 5), "trace")));
	ck_assert(json_is_null(json_object_get(json_array_get(results, 7), "trace")));
	json_decref(doc);
	free(out);
	tl_report_free(r);
}
END_TEST

START_TEST(api)
{
	struct tl_report *r = tl_report_new();
	struct tl_error err;
	enum tl_report_format f;
	static const char *const names[] = {"text", "json", "junit", "tap", "markdown", "html"};

	for (size_t i = 0; i < 6; i++) {
		ck_assert_int_eq(tl_report_format_parse(names[i], &f, &err), 0);
		ck_assert_str_eq(tl_report_format_name(f), names[i]);
	}
	ck_assert_int_eq(tl_report_format_parse("md", &f, &err), 0);
	ck_assert_int_eq(f, TL_REPORT_MARKDOWN);
	ck_assert_int_eq(tl_report_format_parse("xml", &f, &err), -1);
	ck_assert_msg(strstr(err.message, "unknown report format 'xml'") != NULL, "%s",
		      err.message);
	ck_assert_int_eq(tl_report_format_parse(NULL, &f, &err), -1);
	ck_assert_str_eq(tl_report_format_name((enum tl_report_format)99), "?");

	struct tl_report_result bad = {.scenario = "s", .name = "n", .role = "r"};
	ck_assert_int_eq(tl_report_add(r, &bad, &err), -1);
	ck_assert_int_eq(err.code, TL_ERR_INVALID);
	ck_assert_uint_eq(tl_report_count(r), 0);
	ck_assert_ptr_null(tl_report_get(r, 0));

	/* An empty report still renders a summary and valid documents. */
	char *text = render(r, TL_REPORT_TEXT, NULL);
	ck_assert_str_eq(text, "0 passed, 0 failed\n");
	free(text);
	char *junit = render(r, TL_REPORT_JUNIT, NULL);
	ck_assert_msg(strstr(junit, "tests=\"0\" failures=\"0\"") != NULL, "%s", junit);
	free(junit);
	char *tap = render(r, TL_REPORT_TAP, NULL);
	ck_assert_str_eq(tap, "TAP version 14\n1..0\n# 0 passed, 0 failed\n");
	free(tap);
	tl_report_free(r);
	tl_report_free(NULL);

	r = fixture();
	ck_assert_uint_eq(tl_report_count(r), 8);
	ck_assert_uint_eq(tl_report_failed(r), 3);
	ck_assert_str_eq(tl_report_get(r, 2)->trace_text, trace_text);
	ck_assert_int_eq(tl_report_render(r, (enum tl_report_format)99, NULL, NULL, &err), -1);
	tl_report_free(r);
}
END_TEST

/* A capped buffer: the render fails as a whole, earlier content stays. */
START_TEST(buffer_cap)
{
	struct tl_report *r = fixture();
	for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
		struct tl_buf b;
		struct tl_error err;
		tl_buf_init(&b, 200);
		tl_buf_append_str(&b, "before|", NULL);
		ck_assert_msg(tl_report_render(r, goldens[i].format, NULL, &b, &err) == -1,
			      "case %s: fitted in 200 bytes", goldens[i].file);
		ck_assert_int_eq(err.code, TL_ERR_LIMIT);
		ck_assert_str_eq(tl_buf_str(&b), "before|");
		tl_buf_finish(&b);
	}
	tl_report_free(r);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("formats");
	tcase_add_test(tc, golden);
	tcase_add_test(tc, failures_show_why);
	tcase_add_test(tc, json_round_trip);
	tcase_add_test(tc, api);
	tcase_add_test(tc, buffer_cap);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
