/* SPDX-License-Identifier: MIT */
/*
 * trustlab validate on the scenario corpus (tests/data/scenarios): every
 * invalid file exits 2 with exactly its .err file on stderr, every valid
 * one exits 0 with its `ok` line; directories are searched for scenarios.
 * Runs inside the corpus so file names in messages are relative.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/file.h"

#include "test-common.h"

#define OUT_MAX (64 * 1024)

static char out[OUT_MAX], errbuf[OUT_MAX];

static int
run(const char *a1, const char *a2, const char *a3)
{
	char *argv[] = {(char *)tl_test_program("TRUSTLAB"), (char *)a1, (char *)a2, (char *)a3,
			NULL};
	return tl_test_run(argv, 30000, out, sizeof(out), errbuf, sizeof(errbuf));
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
list(const char *dir, const char *suffix, char **names, int max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) && n < max) {
		size_t l = strlen(de->d_name), s = strlen(suffix);
		if (l > s && strcmp(de->d_name + l - s, suffix) == 0)
			ck_assert(asprintf(&names[n++], "%s/%s", dir, de->d_name) > 0);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(char *), cmp_names);
	return n;
}

START_TEST(invalid_files)
{
	char *errs[256];
	int n = list("invalid", ".err", errs, 256);
	ck_assert_int_ge(n, 30);
	for (int i = 0; i < n; i++) {
		char *want = NULL, *scenario = NULL;
		size_t len;
		struct tl_error err;
		ck_assert_int_eq(tl_file_read(errs[i], 1 << 20, &want, &len, &err), 0);
		/* The scenario is the .yaml or .json next to the .err. */
		size_t stem = strlen(errs[i]) - 4;
		static const char *const exts[] = {".yaml", ".json"};
		for (size_t e = 0; e < 2 && !scenario; e++) {
			ck_assert(asprintf(&scenario, "%.*s%s", (int)stem, errs[i], exts[e]) > 0);
			if (access(scenario, F_OK) != 0) {
				free(scenario);
				scenario = NULL;
			}
		}
		ck_assert_msg(scenario != NULL, "case %s: no scenario file", errs[i]);
		int rc = run("validate", scenario, NULL);
		ck_assert_msg(rc == 2, "case %s: exit %d", scenario, rc);
		ck_assert_msg(out[0] == '\0', "case %s: stdout '%s'", scenario, out);
		ck_assert_msg(strcmp(errbuf, want) == 0, "case %s: stderr\n%s\nwanted\n%s",
			      scenario, errbuf, want);
		free(want);
		free(scenario);
		free(errs[i]);
	}
}
END_TEST

START_TEST(valid_files)
{
	char *names[64];
	int n = list("valid", ".expected", names, 64);
	ck_assert_int_ge(n, 7);
	for (int i = 0; i < n; i++)
		free(names[i]);

	ck_assert_int_eq(run("validate", "valid/001-github-basic.yaml", NULL), 0);
	ck_assert_str_eq(out, "ok valid/001-github-basic.yaml (4 cases, 2 roles)\n");
	ck_assert_str_eq(errbuf, "");

	/* A directory: every scenario in it, in name order. */
	ck_assert_int_eq(run("validate", "valid", NULL), 0);
	ck_assert_str_eq(out, "ok valid/001-github-basic.yaml (4 cases, 2 roles)\n"
			      "ok valid/002-github-basic.json (4 cases, 2 roles)\n"
			      "ok valid/003-yaml-strict-typing.yaml (1 case, 1 role)\n"
			      "ok valid/004-matrix.yaml (8 cases, 3 roles)\n"
			      "ok valid/005-gitlab-inline.yaml (2 cases, 1 role)\n"
			      "ok valid/006-get-role.json (1 case, 2 roles)\n"
			      "ok valid/007-faults-and-codes.yaml (4 cases, 1 role)\n"
			      "ok valid/050-credential-chain.yaml (2 cases, 1 role)\n");
	ck_assert_int_eq(run("validate", "--quiet", "valid"), 0);
	ck_assert_str_eq(out, "");

	/* One bad file among good ones: exit 2, the good ones still listed. */
	ck_assert_int_eq(
		run("validate", "valid/003-yaml-strict-typing.yaml", "invalid/121-version-2.yaml"),
		2);
	ck_assert_str_eq(out, "ok valid/003-yaml-strict-typing.yaml (1 case, 1 role)\n");
	ck_assert_str_eq(errbuf, "invalid/121-version-2.yaml:2:1: trustlab: unsupported format "
				 "version 2 (this trustlab reads 1)\n");
}
END_TEST

START_TEST(usage)
{
	ck_assert_int_eq(run("validate", NULL, NULL), 2);
	ck_assert_msg(strstr(errbuf, "no PATH given") != NULL, "%s", errbuf);
	ck_assert_int_eq(run("validate", "--help", NULL), 0);
	ck_assert_msg(strstr(out, "Usage: trustlab validate") != NULL, "%s", out);
	ck_assert_int_eq(run("validate", "--bogus", NULL), 2);
	ck_assert_int_eq(run("validate", "policies", NULL), 2);
	ck_assert_str_eq(errbuf, "policies: no scenario files found\n");
	ck_assert_int_eq(run("validate", "no-such-file.yaml", NULL), 2);
	ck_assert_str_eq(errbuf, "no-such-file.yaml: No such file or directory\n");
	ck_assert_int_eq(run("--help", NULL, NULL), 0);
	ck_assert_msg(strstr(out, "validate") != NULL, "%s", out);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	const char *corpus = getenv("SCENARIO_CORPUS");
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("corpus");

	if (!corpus || chdir(corpus) != 0) {
		fprintf(stderr, "test-validate: cannot enter SCENARIO_CORPUS '%s'\n",
			corpus ? corpus : "(unset)");
		exit(1);
	}
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, invalid_files);
	tcase_add_test(tc, valid_files);
	tcase_add_test(tc, usage);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
