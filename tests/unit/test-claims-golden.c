/* SPDX-License-Identifier: MIT */
/*
 * Golden claim sets: tests/data/claims/<profile>/<NNN-name>.json, one
 * whole case a file:
 *
 *   {"description": "...", "reference": "issuer.md §1.6 ...",
 *    "context": {...},
 *    "options": {"now": 1727071187, "audience": "...", "seed": "...",
 *                "issuer": "...", "org_sub_template": {...},
 *                "repo_sub_template": {...}},
 *    "expect": "token" | "no-token" | "error",
 *    token:    "claims": {...}  every member compared by value, and
 *              "exact": true    the token has exactly these members in this order, or
 *              "exact_keys": [...] the token's member names in order, and
 *              "absent": [...]  members that must not be there;
 *    no-token: "reason_contains": "...";
 *    error:    "error_path": "context.ref", "error_contains": "..."}
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims/claims.h"
#include "json/json.h"
#include "test-common.h"

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
	char *dirs[64];
	int n_dirs = 0;

	if (!d)
		return;
	while ((e = readdir(d)) && n_dirs < 64)
		if (e->d_name[0] != '.')
			dirs[n_dirs++] = strdup(e->d_name);
	closedir(d);
	qsort(dirs, (size_t)n_dirs, sizeof(dirs[0]), cmp_str);
	for (int i = 0; i < n_dirs; i++) {
		char sub[1024];
		int first = n_cases;

		snprintf(sub, sizeof(sub), "%s/%s", root, dirs[i]);
		if ((d = opendir(sub))) {
			while ((e = readdir(d)) && n_cases < MAX_CASES) {
				size_t len = strlen(e->d_name);
				char path[2048];
				if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
					continue;
				snprintf(path, sizeof(path), "%s/%s", sub, e->d_name);
				case_paths[n_cases] = strdup(path);
				case_profiles[n_cases] = strdup(dirs[i]);
				n_cases++;
			}
			closedir(d);
		}
		qsort(case_paths + first, (size_t)(n_cases - first), sizeof(char *), cmp_str);
		free(dirs[i]);
	}
}

static const char *
name_of(int i)
{
	const char *slash = strrchr(case_paths[i], '/');
	return slash ? slash + 1 : case_paths[i];
}

/* Runs the case's build once; returns rc, fills claims/refusal/err. */
static int
build(const struct tl_claims_profile *p, json_t *c, json_t **claims,
      struct tl_claims_refusal *refusal, struct tl_error *err)
{
	json_t *options = json_object_get(c, "options");
	struct tl_claims_options opt = {0};
	struct tl_rng rng;
	const char *seed = json_string_value(json_object_get(options, "seed"));
	int rc;

	tl_rng_init_seeded(&rng, seed ? seed : "golden");
	opt.rng = &rng;
	opt.now = json_integer_value(json_object_get(options, "now"));
	opt.audience = json_object_get(options, "audience");
	opt.issuer = json_string_value(json_object_get(options, "issuer"));
	opt.org_sub_template = json_object_get(options, "org_sub_template");
	opt.repo_sub_template = json_object_get(options, "repo_sub_template");
	tl_error_clear(err);
	rc = tl_claims_build(p, json_object_get(c, "context"), &opt, claims, refusal, err);
	tl_rng_finish(&rng);
	return rc;
}

static void
check_keys_in_order(const char *name, const json_t *claims, const json_t *want_keys)
{
	const char *key;
	json_t *value;
	size_t i = 0;

	json_object_foreach((json_t *)claims, key, value)
	{
		const char *want = json_string_value(json_array_get(want_keys, i));
		ck_assert_msg(want, "case %s: unexpected extra claim '%s'", name, key);
		ck_assert_msg(strcmp(want, key) == 0, "case %s: claim %zu is '%s', expected '%s'",
			      name, i, key, want);
		i++;
	}
	(void)value;
	ck_assert_msg(i == json_array_size(want_keys), "case %s: missing claim '%s'", name,
		      json_string_value(json_array_get(want_keys, i)));
}

START_TEST(golden)
{
	static const char *const fields[] = {
		"description", "reference",	 "context",    "options", "expect",
		"claims",      "exact",		 "exact_keys", "absent",  "reason_contains",
		"error_path",  "error_contains", NULL};
	const char *name = name_of(_i);
	const struct tl_claims_profile *p = tl_claims_profile_find(case_profiles[_i]);
	struct tl_claims_refusal refusal;
	struct tl_error err;
	json_t *c, *claims = NULL, *again = NULL;
	const char *expect;
	int rc;

	ck_assert_msg(p, "case %s: no profile '%s'", name, case_profiles[_i]);
	tl_error_clear(&err);
	c = tl_json_load_file(case_paths[_i], NULL, &err);
	ck_assert_msg(c, "case %s: %s", name, err.message);
	ck_assert_msg(tl_json_only_keys(c, fields, NULL, &err) == 0, "case %s: %s", name,
		      err.message);
	ck_assert_msg(json_is_string(json_object_get(c, "description")) &&
			      json_is_string(json_object_get(c, "reference")),
		      "case %s: needs description and reference", name);
	expect = json_string_value(json_object_get(c, "expect"));
	ck_assert_msg(expect, "case %s: needs expect", name);

	rc = build(p, c, &claims, &refusal, &err);
	if (strcmp(expect, "token") == 0) {
		const json_t *want = json_object_get(c, "claims");
		const char *key;
		json_t *value;

		ck_assert_msg(rc == 0, "case %s: rc %d, refusal '%s', error %s: %s", name, rc,
			      refusal.reason, err.path, err.message);
		ck_assert_msg(json_is_object(want), "case %s: needs claims", name);
		json_object_foreach((json_t *)want, key, value)
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
		if (json_is_true(json_object_get(c, "exact"))) {
			json_t *keys = json_array();
			json_object_foreach((json_t *)want, key, value)
			{
				json_array_append_new(keys, json_string(key));
			}
			check_keys_in_order(name, claims, keys);
			json_decref(keys);
		}
		if (json_object_get(c, "exact_keys"))
			check_keys_in_order(name, claims, json_object_get(c, "exact_keys"));
		{
			size_t i;
			json_t *k;
			json_array_foreach(json_object_get(c, "absent"), i, k)
			{
				ck_assert_msg(!json_object_get(claims, json_string_value(k)),
					      "case %s: claim '%s' must be absent", name,
					      json_string_value(k));
			}
		}
		/* Same seed, same claims: golden tokens are reproducible. */
		ck_assert_msg(build(p, c, &again, &refusal, &err) == 0 && json_equal(claims, again),
			      "case %s: not deterministic", name);
	} else if (strcmp(expect, "no-token") == 0) {
		const char *want = json_string_value(json_object_get(c, "reason_contains"));
		ck_assert_msg(rc == 1, "case %s: rc %d (%s: %s), expected a refusal", name, rc,
			      err.path, err.message);
		ck_assert_msg(want && strstr(refusal.reason, want),
			      "case %s: reason '%s' lacks '%s'", name, refusal.reason,
			      want ? want : "(reason_contains missing)");
		ck_assert_msg(!claims, "case %s: refusal with claims", name);
	} else if (strcmp(expect, "error") == 0) {
		const char *path = json_string_value(json_object_get(c, "error_path"));
		const char *want = json_string_value(json_object_get(c, "error_contains"));
		ck_assert_msg(rc == -1, "case %s: rc %d, expected an error", name, rc);
		ck_assert_msg(path && strcmp(err.path, path) == 0,
			      "case %s: path '%s', expected '%s'", name, err.path,
			      path ? path : "(error_path missing)");
		ck_assert_msg(want && strstr(err.message, want), "case %s: message '%s' lacks '%s'",
			      name, err.message, want ? want : "(error_contains missing)");
	} else
		ck_abort_msg("case %s: unknown expect '%s'", name, expect);
	json_decref(claims);
	json_decref(again);
	json_decref(c);
}
END_TEST

START_TEST(corpus_present)
{
	/* Every profile has golden cases, and the corpus was found at all. */
	const struct tl_claims_profile *const *all = tl_claims_profiles();

	ck_assert_msg(n_cases > 0, "no cases under %s", tl_test_arg(0));
	for (size_t i = 0; all[i]; i++) {
		bool found = false;
		for (int k = 0; k < n_cases && !found; k++)
			found = strcmp(case_profiles[k], all[i]->name) == 0;
		ck_assert_msg(found, "profile %s has no golden case", all[i]->name);
	}
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("claims-golden");
	TCase *tc = tcase_create("golden");

	if (tl_test_arg(0))
		scan(tl_test_arg(0));
	tcase_add_test(tc, corpus_present);
	if (n_cases > 0)
		tcase_add_loop_test(tc, golden, 0, n_cases);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
