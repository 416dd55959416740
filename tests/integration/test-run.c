/* SPDX-License-Identifier: MIT */
/*
 * trustlab run as a user runs it: the docs examples pass, a deliberately
 * failing scenario fails with its trace, an invalid one is refused before
 * anything runs, every report format comes out parseable, and --filter,
 * --shard, --jobs and running servers (trustlab serve) give the same
 * answers.
 */
#include "config.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-common.h"

#define OUT_MAX (1024 * 1024)

static char *out, *errb;

static void
setup(void)
{
	out = malloc(OUT_MAX);
	errb = malloc(OUT_MAX);
	ck_assert(out && errb);
}

static void
teardown(void)
{
	free(out);
	free(errb);
}

static const char *
path(const char *rel)
{
	static char buf[4][1024];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", TL_SOURCE_ROOT, rel);
	return buf[i];
}

/* Runs trustlab with up to 7 arguments (NULL ends them); returns its exit status. */
static int
trustlab7(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4,
	  const char *a5, const char *a6)
{
	char *argv[9] = {(char *)tl_test_program("TRUSTLAB"),
			 (char *)a0,
			 (char *)a1,
			 (char *)a2,
			 (char *)a3,
			 (char *)a4,
			 (char *)a5,
			 (char *)a6,
			 NULL};
	return tl_test_run(argv, 120000, out, OUT_MAX, errb, OUT_MAX);
}

static int
trustlab(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4,
	 const char *a5)
{
	return trustlab7(a0, a1, a2, a3, a4, a5, NULL);
}

/* "N passed, M failed" of the text report. */
static void
counts(int *passed, int *failed)
{
	const char *line = strstr(out, " passed, ");
	ck_assert_msg(line, "no summary line in: %s", out);
	while (line > out && line[-1] >= '0' && line[-1] <= '9')
		line--;
	ck_assert_int_eq(sscanf(line, "%d passed, %d failed", passed, failed), 2);
}

START_TEST(examples_pass)
{
	int passed, failed;

	ck_assert_msg(trustlab("run", path("docs/examples"), NULL, NULL, NULL, NULL) == 0,
		      "stdout: %s\nstderr: %s", out, errb);
	counts(&passed, &failed);
	ck_assert_int_eq(failed, 0);
	ck_assert_int_eq(passed, 45); /* 29, and 16 of examples/iac (roles from IaC) */
	ck_assert_ptr_nonnull(strstr(out, "acme deploy"));
	ck_assert_ptr_nonnull(strstr(out, "gitlab release"));
}
END_TEST

START_TEST(token_faults_never_get_credentials)
{
	int passed, failed;

	ck_assert_msg(trustlab("run", path("tests/data/run/faults.yaml"), NULL, NULL, NULL, NULL) ==
			      0,
		      "stdout: %s\nstderr: %s", out, errb);
	counts(&passed, &failed);
	ck_assert_int_eq(passed, 10);
	ck_assert_int_eq(failed, 0);
}
END_TEST

START_TEST(failing_scenario_shows_why)
{
	int passed, failed;

	ck_assert_int_eq(
		trustlab("run", path("tests/data/run/failing.yaml"), NULL, NULL, NULL, NULL), 1);
	counts(&passed, &failed);
	ck_assert_int_eq(passed, 1);
	ck_assert_int_eq(failed, 1);
	ck_assert_ptr_nonnull(strstr(out, "FAIL  pull request wrongly expected to get in"));
	ck_assert_ptr_nonnull(strstr(
		out, "Statement 'MainOnly' (Allow) did not apply: "
		     "token.actions.githubusercontent.com:sub is 'repo:acme/app:pull_request', "
		     "which does not match StringEquals 'repo:acme/app:ref:refs/heads/main'"));
	/* Under it, each condition with the values that matched or not. */
	ck_assert_ptr_nonnull(strstr(out, "[no match] StringEquals "
					  "token.actions.githubusercontent.com:sub "
					  "\"repo:acme/app:pull_request\" did not match "
					  "\"repo:acme/app:ref:refs/heads/main\"\n"));
}
END_TEST

START_TEST(invalid_scenario_refused_before_running)
{
	ck_assert_int_eq(
		trustlab("run", path("tests/data/run/invalid.yaml"), NULL, NULL, NULL, NULL), 2);
	ck_assert_ptr_nonnull(strstr(errb, "invalid.yaml:12:14: cases[0].expect.deploy: expected "
					   "one of allow, deny, no-token or an STS error code, "
					   "found \"alow\""));
	ck_assert_str_eq(out, "");
	/* Bad usage. */
	ck_assert_int_eq(trustlab("run", NULL, NULL, NULL, NULL, NULL), 2);
	ck_assert_ptr_nonnull(strstr(errb, "no scenario given"));
	ck_assert_int_eq(trustlab("run", "--issuer-url", "http://127.0.0.1:1",
				  path("docs/examples"), NULL, NULL),
			 2);
	ck_assert_ptr_nonnull(strstr(errb, "give both --issuer-url and --sts-url"));
	ck_assert_int_eq(trustlab("run", "--format", "pdf", path("docs/examples"), NULL, NULL), 2);
	ck_assert_int_eq(trustlab("run", "--jobs", "0", path("docs/examples"), NULL, NULL), 2);
	ck_assert_int_eq(trustlab("run", "--shard", "3/2", path("docs/examples"), NULL, NULL), 2);
	ck_assert_int_eq(
		trustlab("run", path("tests/data/run/nonexistent.yaml"), NULL, NULL, NULL, NULL),
		2);
	ck_assert_ptr_nonnull(strstr(errb, "nonexistent.yaml"));
}
END_TEST

START_TEST(json_report_has_every_result)
{
	json_t *doc, *results;
	json_error_t jerr;
	size_t failed = 0, i;
	json_t *r;

	ck_assert_int_eq(trustlab("run", "--format", "json", path("tests/data/run/failing.yaml"),
				  NULL, NULL),
			 1);
	doc = json_loads(out, 0, &jerr);
	ck_assert_msg(doc != NULL, "not JSON (%s): %s", jerr.text, out);
	results = json_object_get(doc, "results");
	if (!results)
		results = json_object_get(doc, "cases");
	ck_assert_msg(json_array_size(results) == 2, "%s", out);
	json_array_foreach(results, i, r)
	{
		if (!json_is_true(json_object_get(r, "passed"))) {
			failed++;
			ck_assert_str_eq(json_string_value(json_object_get(r, "actual")),
					 "AccessDenied");
			ck_assert_ptr_nonnull(json_object_get(r, "trace"));
			ck_assert_ptr_nonnull(json_string_value(json_object_get(r, "request_id")));
		}
	}
	ck_assert_int_eq(failed, 1);
	json_decref(doc);
}
END_TEST

START_TEST(junit_report_to_a_file)
{
	char file[] = "/tmp/tl-run-XXXXXX";
	int fd = mkstemp(file);
	FILE *f;
	size_t n;

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(trustlab7("run", "--format", "junit", "--output", file,
				   path("tests/data/run/failing.yaml"), NULL),
			 1);
	ck_assert_str_eq(out, "");
	f = fopen(file, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, OUT_MAX - 1, f);
	out[n] = '\0';
	fclose(f);
	unlink(file);
	ck_assert_ptr_nonnull(strstr(out, "<testsuite"));
	ck_assert_ptr_nonnull(strstr(out, "<failure"));
}
END_TEST

START_TEST(filter_shard_and_jobs_agree)
{
	int passed, failed, total, p1, f1, p2, f2;

	ck_assert_int_eq(trustlab("run", "--jobs", "1", path("docs/examples"), NULL, NULL), 0);
	counts(&passed, &failed);
	total = passed + failed;
	ck_assert_int_eq(trustlab("run", "--jobs", "8", path("docs/examples"), NULL, NULL), 0);
	counts(&passed, &failed);
	ck_assert_int_eq(passed + failed, total);

	/* The two shards split the cases between them, without overlap. */
	ck_assert_int_le(trustlab("run", "--shard", "1/2", path("docs/examples"), NULL, NULL), 1);
	counts(&p1, &f1);
	ck_assert_int_le(trustlab("run", "--shard", "2/2", path("docs/examples"), NULL, NULL), 1);
	counts(&p2, &f2);
	ck_assert_int_eq(p1 + f1 + p2 + f2, total);
	ck_assert_int_gt(p1 + f1, 0);
	ck_assert_int_gt(p2 + f2, 0);

	ck_assert_int_eq(
		trustlab("run", "--filter", "*push to main*", path("docs/examples"), NULL, NULL),
		0);
	counts(&passed, &failed);
	ck_assert_int_eq(passed, 2); /* one case, two roles */
}
END_TEST

START_TEST(matrix_command)
{
	ck_assert_int_eq(
		trustlab("matrix", path("tests/data/run/failing.yaml"), NULL, NULL, NULL, NULL), 1);
	ck_assert_str_eq(out,
			 "deliberately failing (" TL_SOURCE_ROOT "/tests/data/run/failing.yaml)\n"
			 "  case                                     deploy\n"
			 "  push to main                             allow\n"
			 "  pull request wrongly expected to get in  deny! (allow)\n"
			 "\n");
	ck_assert_int_eq(trustlab("matrix", path("docs/examples/github-deploy.yaml"), NULL, NULL,
				  NULL, NULL),
			 0);
	ck_assert_ptr_nonnull(strstr(out,
				     "  branches: event=push ref=refs/heads/main environment=prod"
				     "               deny                  allow\n"));
}
END_TEST

START_TEST(token_command)
{
	const char *dots;

	ck_assert_msg(trustlab7("token", "--provider", "github", "--repository", "acme/app",
				"--event", "push") == 0,
		      "stderr: %s", errb);
	dots = strchr(out, '.');
	ck_assert_msg(dots && strchr(dots + 1, '.') && strchr(out, '\n') > dots, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"sub\": \"repo:acme/app:ref:refs/heads/main\""));
	ck_assert_ptr_nonnull(
		strstr(out, "\"iss\": \"https://token.actions.githubusercontent.com\""));

	{
		char *argv[] = {(char *)tl_test_program("TRUSTLAB"),
				"token",
				"--provider",
				"github",
				"--repository",
				"acme/app",
				"--event",
				"pull_request",
				"--fork",
				"true",
				NULL};
		ck_assert_int_eq(tl_test_run(argv, 60000, out, OUT_MAX, errb, OUT_MAX), 1);
	}
	ck_assert_ptr_nonnull(strstr(out, "no-token: "));

	ck_assert_int_eq(trustlab7("token", "--provider", "github", "--repository", "acme/app",
				   "--evnt", "push"),
			 2);
	ck_assert_ptr_nonnull(strstr(errb, "context: unknown field 'evnt'"));
	ck_assert_int_eq(trustlab("token", "--provider", "nope", NULL, NULL, NULL), 2);
	ck_assert_ptr_nonnull(strstr(errb, "no issuer for provider 'nope'"));
	ck_assert_int_eq(trustlab("token", "--repository", "acme/app", NULL, NULL, NULL), 2);
	ck_assert_ptr_nonnull(strstr(errb, "--provider is required"));

	{
		char *argv[] = {(char *)tl_test_program("TRUSTLAB"),
				"token",
				"--provider",
				"gitlab",
				"--project-path",
				"acme/app",
				"--fault",
				"expired",
				"--token-only",
				NULL};
		ck_assert_int_eq(tl_test_run(argv, 60000, out, OUT_MAX, errb, OUT_MAX), 0);
	}
	ck_assert_ptr_null(strchr(out, '{'));
}
END_TEST

START_TEST(run_against_running_servers)
{
	char *argv[] = {(char *)tl_test_program("TRUSTLAB"), "serve", NULL};
	struct tl_test_proc p;
	char line[256], sts[128];
	int passed, failed, status;

	ck_assert_int_eq(tl_test_spawn_server(&p, argv, 20000), 0);
	ck_assert_int_eq(tl_test_read_line(&p, line, sizeof(line), 5000), 0);
	ck_assert_int_eq(sscanf(line, "sts listening on %127s", sts), 1);
	ck_assert_int_eq(
		trustlab("run", "--issuer-url", p.url, "--sts-url", sts, path("docs/examples")), 0);
	counts(&passed, &failed);
	ck_assert_int_eq(passed, 45); /* 29, and 16 of examples/iac (roles from IaC) */
	/* Twice: the first run removed what it created, so names are free again. */
	ck_assert_int_eq(
		trustlab("run", "--issuer-url", p.url, "--sts-url", sts, path("docs/examples")), 0);
	status = tl_test_stop(&p, SIGTERM, 10000);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("run");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, examples_pass);
	tcase_add_test(tc, token_faults_never_get_credentials);
	tcase_add_test(tc, failing_scenario_shows_why);
	tcase_add_test(tc, invalid_scenario_refused_before_running);
	tcase_add_test(tc, json_report_has_every_result);
	tcase_add_test(tc, junit_report_to_a_file);
	tcase_add_test(tc, filter_shard_and_jobs_agree);
	tcase_add_test(tc, matrix_command);
	tcase_add_test(tc, token_command);
	tcase_add_test(tc, run_against_running_servers);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
