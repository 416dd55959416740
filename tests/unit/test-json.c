/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "test-common.h"

/* clang-format off */
static const struct {
	const char *name;
	const char *text;
	enum tl_errcode code; /* TL_OK: must load */
	int line, column;     /* where the error is, when checked (0: not checked) */
	const char *message;  /* a fragment of the message */
} load_cases[] = {
	{"object", "{\"a\": 1}", TL_OK, 0, 0, NULL},
	{"array at top", "[1, 2]", TL_OK, 0, 0, NULL},
	{"duplicate key", "{\"sub\": \"a\", \"sub\": \"b\"}", TL_ERR_SYNTAX, 1, 18, "duplicate object key"},
	{"nested duplicate", "{\"a\": {\n \"x\": 1,\n \"x\": 2}}", TL_ERR_SYNTAX, 3, 4, "duplicate"},
	{"trailing comma", "{\"a\": 1,}", TL_ERR_SYNTAX, 1, 9, "invalid JSON"},
	{"truncated", "{\"a\": ", TL_ERR_SYNTAX, 0, 0, "invalid JSON"},
	{"NUL escape", "{\"a\": \"x\\u0000y\"}", TL_ERR_SYNTAX, 0, 0, "invalid JSON"},
	{"garbage after", "{} x", TL_ERR_SYNTAX, 0, 0, "end of file expected"},
	{"depth 64 ok", NULL, TL_OK, 0, 0, NULL},
	{"depth 65 refused", NULL, TL_ERR_LIMIT, 0, 0, "deeper than the limit of 64"},
	{"brackets inside strings do not count", NULL, TL_OK, 0, 0, NULL},
	{"empty", "", TL_ERR_SYNTAX, 0, 0, "invalid JSON"},
	{"NUL after a value", NULL, TL_ERR_SYNTAX, 0, 0, "NUL byte at offset 7"},
};
/* clang-format on */

static char *
nested(unsigned depth)
{
	char *s = malloc(depth * 2 + 1);
	for (unsigned i = 0; i < depth; i++) {
		s[i] = '[';
		s[depth * 2 - 1 - i] = ']';
	}
	s[depth * 2] = '\0';
	return s;
}

START_TEST(load_table)
{
	struct tl_error err;
	char *owned = NULL;
	const char *text = load_cases[_i].text;
	json_t *v;

	size_t len;
	if (!text && strstr(load_cases[_i].name, "NUL")) {
		static const char nul_doc[] = "{\"a\": 2\0}";
		text = nul_doc;
		len = sizeof(nul_doc) - 1;
	} else if (!text) {
		if (strstr(load_cases[_i].name, "65"))
			text = owned = nested(65);
		else if (strstr(load_cases[_i].name, "strings")) {
			owned = malloc(400);
			strcpy(owned, "{\"a\": \"");
			for (int k = 0; k < 100; k++)
				strcat(owned, "[");
			strcat(owned, "\"}");
			text = owned;
		} else
			text = owned = nested(64);
	}
	if (!strstr(load_cases[_i].name, "NUL after"))
		len = strlen(text);
	tl_error_clear(&err);
	v = tl_json_load(text, len, NULL, "case.json", &err);
	if (load_cases[_i].code == TL_OK) {
		ck_assert_msg(v != NULL, "case %d (%s): %s", _i, load_cases[_i].name, err.message);
		ck_assert_int_eq(err.code, TL_OK); /* untouched on success */
	} else {
		ck_assert_msg(v == NULL, "case %d (%s) should fail", _i, load_cases[_i].name);
		ck_assert_msg(err.code == load_cases[_i].code, "case %d (%s): code %s", _i,
			      load_cases[_i].name, tl_errcode_name(err.code));
		ck_assert_msg(strstr(err.message, load_cases[_i].message), "case %d (%s): '%s'", _i,
			      load_cases[_i].name, err.message);
		ck_assert_str_eq(err.file, "case.json");
		if (load_cases[_i].line)
			ck_assert_msg(err.line == load_cases[_i].line &&
					      err.column == load_cases[_i].column,
				      "case %d (%s): at %d:%d", _i, load_cases[_i].name, err.line,
				      err.column);
	}
	json_decref(v);
	free(owned);
}
END_TEST

START_TEST(load_size_cap)
{
	struct tl_json_limits small = {.max_bytes = 8, .max_depth = 4};
	struct tl_error err;

	ck_assert_ptr_null(tl_json_load("{\"a\": 12345}", 12, &small, NULL, &err));
	ck_assert_int_eq(err.code, TL_ERR_LIMIT);
	ck_assert_ptr_nonnull(strstr(err.message, "limit of 8"));
}
END_TEST

START_TEST(load_file_errors_name_the_file)
{
	struct tl_error err;

	ck_assert_ptr_null(tl_json_load_file("/nonexistent/policy.json", NULL, &err));
	ck_assert_int_eq(err.code, TL_ERR_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/policy.json"));
}
END_TEST

START_TEST(jpath_builds_and_pops)
{
	struct tl_jpath p;
	size_t m1, m2;

	tl_jpath_init(&p, NULL);
	ck_assert_str_eq(tl_jpath_str(&p), "");
	m1 = tl_jpath_push_key(&p, "Statement");
	tl_jpath_push_index(&p, 1);
	m2 = tl_jpath_push_key(&p, "Condition");
	tl_jpath_push_key(&p, "StringLike");
	tl_jpath_push_key(&p, "token.actions.githubusercontent.com:sub");
	ck_assert_str_eq(
		tl_jpath_str(&p),
		"Statement[1].Condition.StringLike[\"token.actions.githubusercontent.com:sub\"]");
	tl_jpath_pop(&p, m2);
	ck_assert_str_eq(tl_jpath_str(&p), "Statement[1]");
	tl_jpath_pop(&p, m1);
	ck_assert_str_eq(tl_jpath_str(&p), "");

	tl_jpath_init(&p, "roles");
	tl_jpath_push_key(&p, "deploy-prod");
	tl_jpath_push_key(&p, "quote\"d");
	ck_assert_str_eq(tl_jpath_str(&p), "roles.deploy-prod[\"quote\\\"d\"]");
}
END_TEST

START_TEST(jpath_truncates_without_overflow)
{
	struct tl_jpath p;

	tl_jpath_init(&p, NULL);
	for (int i = 0; i < 100; i++)
		tl_jpath_push_key(&p, "abcdefghij");
	ck_assert(p.truncated);
	ck_assert_uint_lt(strlen(tl_jpath_str(&p)), TL_JPATH_MAX);
}
END_TEST

START_TEST(expect_and_only_keys)
{
	struct tl_jpath p;
	struct tl_error err;
	json_t *obj = json_pack("{s:s, s:i}", "name", "x", "roel", 1);

	tl_jpath_init(&p, "roles.deploy");
	ck_assert_int_eq(tl_json_expect(json_object_get(obj, "name"), JSON_STRING, &p, &err), 0);
	ck_assert_int_eq(tl_json_expect(obj, JSON_ARRAY, &p, &err), -1);
	ck_assert_str_eq(err.message, "expected an array, found an object");
	ck_assert_str_eq(err.path, "roles.deploy");

	static const char *const allowed[] = {"name", "role", NULL};
	ck_assert_int_eq(tl_json_only_keys(obj, allowed, &p, &err), -1);
	ck_assert_str_eq(err.message, "unknown field 'roel' (expected one of: name, role)");
	json_decref(obj);
}
END_TEST

/* Allocation-failure injection (jansson's chaos tests): the n-th allocation fails. */
static int allocs_left;

static void *
failing_malloc(size_t size)
{
	if (allocs_left-- <= 0)
		return NULL;
	return malloc(size);
}

START_TEST(load_survives_every_allocation_failure)
{
	static const char doc[] = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": "
				  "\"Allow\", \"Condition\": {\"StringLike\": {\"k\": [\"a\", "
				  "\"b\", \"c\"]}}}]}";
	int failures_seen = 0, n;

	for (n = 0; n < 1000; n++) {
		struct tl_error err;
		json_t *v;

		tl_error_clear(&err);
		allocs_left = n;
		json_set_alloc_funcs(failing_malloc, free);
		v = tl_json_load(doc, sizeof(doc) - 1, NULL, NULL, &err);
		json_set_alloc_funcs(malloc, free);
		if (v) {
			/* Enough allocations for the whole document: it must be whole. */
			char *back = json_dumps(v, JSON_COMPACT);
			ck_assert_str_eq(back,
					 "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
					 "\"Allow\",\"Condition\":{\"StringLike\":{\"k\":[\"a\","
					 "\"b\",\"c\"]}}}]}");
			free(back);
			json_decref(v);
			break;
		}
		/* jansson 2.14 may report a failure inside its string lexer as a
		 * syntax error, or drop a character and go on; lib/json turns every
		 * one into out-of-memory, never a partial document. Nothing may
		 * leak (the ASan and valgrind gears check that). */
		ck_assert_msg(err.code == TL_ERR_NOMEM, "failing allocation %d: %s (%s)", n,
			      tl_errcode_name(err.code), err.message);
		failures_seen++;
	}
	ck_assert_int_gt(failures_seen, 5);
	ck_assert_int_lt(n, 1000);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("load");

	tcase_add_loop_test(tc, load_table, 0, sizeof(load_cases) / sizeof(load_cases[0]));
	tcase_add_test(tc, load_size_cap);
	tcase_add_test(tc, load_file_errors_name_the_file);
	tcase_add_test(tc, load_survives_every_allocation_failure);
	suite_add_tcase(s, tc);

	tc = tcase_create("path");
	tcase_add_test(tc, jpath_builds_and_pops);
	tcase_add_test(tc, jpath_truncates_without_overflow);
	tcase_add_test(tc, expect_and_only_keys);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
