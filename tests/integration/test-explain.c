/* SPDX-License-Identifier: MIT */
/*
 * `trustlab explain` as a user runs it: the decision and trace on stdout,
 * exit 0 for allow, 1 for deny, 2 for bad input with the AWS error code
 * and JSON path on stderr. Data: tests/data/policies/explain/.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-common.h"

/* clang-format off */
static const struct {
	const char *args[6]; /* after `trustlab explain`; "@x" is a data file */
	int status;
	const char *out; /* on stdout, or NULL */
	const char *err; /* on stderr, or NULL */
} cases[] = {
	{{"--policy", "@github-policy.json", "--context", "@context-main.json"}, 0,
	 "Decision: allow: Statement 'GitHubMain' (Allow) allows sts:AssumeRoleWithWebIdentity", NULL},
	{{"--policy", "@github-policy.json", "--context", "@context-pull-request.json"}, 1,
	 "Statement 'GitHubMain' (Allow) did not apply: token.actions.githubusercontent.com:sub is "
	 "'repo:acme/app:pull_request', which does not match StringLike 'repo:acme/app:ref:refs/heads/main'", NULL},
	{{"--policy", "@github-policy.json", "--context", "@context-evil.json"}, 1,
	 "Decision: deny: Statement 'NoForks' (Deny) explicitly denies", NULL},
	{{"--policy", "@github-policy.json", "--context", "@context-main.json", "--format", "json"}, 0,
	 "\"decision\": \"allow\"", NULL},
	{{"--policy", "@github-policy.json", "--context", "@context-pull-request.json", "--format", "json"}, 1,
	 "\"request_values\": [\n            \"repo:acme/app:pull_request\"", NULL},
	{{"--policy", "@get-role.json", "--context", "@context-main.json"}, 0, "Decision: allow", NULL},
	{{"--policy", "@malformed-policy.json", "--context", "@context-main.json"}, 2, NULL,
	 "MalformedPolicyDocument: Statement[0].Condition.StringLikee: unknown condition operator 'StringLikee'"},
	{{"--policy", "@malformed-policy.json", "--context", "@context-main.json", "--format", "json"}, 2,
	 "\"code\": \"MalformedPolicyDocument\"", NULL},
	{{"--policy", "@oversize-policy.json", "--context", "@context-main.json"}, 2, NULL,
	 "LimitExceeded: Cannot exceed quota for ACLSizePerRole: 2048"},
	{{"--policy", "@oversize-policy.json", "--context", "@context-main.json", "--max-size", "4096"}, 0,
	 "Decision: allow", NULL},
	{{"--policy", "@github-policy.json", "--context", "@context-bad-shape.json"}, 2, NULL,
	 "keys[\"token.actions.githubusercontent.com:sub\"]: a key's value is a string"},
	{{"--policy", "@github-policy.json", "--context", "@no-such-file.json"}, 2, NULL, "no-such-file.json"},
	{{"--policy", "@github-policy.json"}, 2, NULL, "--policy and --context are required"},
	{{"--policy", "@github-policy.json", "--context", "@context-main.json", "--format", "xml"}, 2, NULL,
	 "--format 'xml': expected text or json"},
	{{"--max-size", "9000"}, 2, NULL, "expected a number from 1 to 4096"},
	{{"--policy", "@unpinned-policy.json", "--context", "@context-main.json"}, 0, "Decision: allow", NULL},
	{{"--policy", "@unpinned-policy.json", "--context", "@context-main.json", "--shared-provider-controls"}, 2, NULL,
	 "MalformedPolicyDocument: Statement[0]: Trust policy with trusted principal "
	 "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com must evaluate"},
	{{"--help"}, 0, "Usage: trustlab explain", NULL},
};
/* clang-format on */

START_TEST(explain_cases)
{
	const char *dir = getenv("POLICY_EXPLAIN_DATA");
	char paths[6][1024];
	char *argv[10] = {(char *)tl_test_program("TRUSTLAB"), "explain"};
	int n = 2;
	static char out[65536], errb[8192];

	ck_assert_ptr_nonnull(dir);
	for (int k = 0; k < 6 && cases[_i].args[k]; k++) {
		const char *a = cases[_i].args[k];
		if (a[0] == '@') {
			snprintf(paths[k], sizeof(paths[k]), "%s/%s", dir, a + 1);
			argv[n++] = paths[k];
		} else {
			argv[n++] = (char *)a;
		}
	}
	argv[n] = NULL;
	int status = tl_test_run(argv, 10000, out, sizeof(out), errb, sizeof(errb));
	ck_assert_msg(status == cases[_i].status,
		      "case %d: exit %d, want %d\nstdout: %.1500s\nstderr: %.1500s", _i, status,
		      cases[_i].status, out, errb);
	if (cases[_i].out)
		ck_assert_msg(strstr(out, cases[_i].out) != NULL,
			      "case %d: stdout lacks '%s':\n%.2500s", _i, cases[_i].out, out);
	if (cases[_i].err)
		ck_assert_msg(strstr(errb, cases[_i].err) != NULL,
			      "case %d: stderr lacks '%s':\n%.2500s", _i, cases[_i].err, errb);
}
END_TEST

/* docs/explain.md shows this transcript; the golden file keeps it honest. */
START_TEST(explain_matches_the_documented_transcript)
{
	const char *dir = getenv("POLICY_EXPLAIN_DATA");
	char policy[1024], context[1024], golden[1024];
	static char out[65536], errb[4096], want[65536];

	ck_assert_ptr_nonnull(dir);
	snprintf(policy, sizeof(policy), "%s/github-policy.json", dir);
	snprintf(context, sizeof(context), "%s/context-pull-request.json", dir);
	snprintf(golden, sizeof(golden), "%s/context-pull-request.expected.txt", dir);
	char *argv[] = {(char *)tl_test_program("TRUSTLAB"),
			"explain",
			"--policy",
			policy,
			"--context",
			context,
			NULL};
	ck_assert_int_eq(tl_test_run(argv, 10000, out, sizeof(out), errb, sizeof(errb)), 1);
	FILE *f = fopen(golden, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(want, 1, sizeof(want) - 1, f);
	want[n] = '\0';
	fclose(f);
	ck_assert_str_eq(out, want);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("explain");
	TCase *tc = tcase_create("cli");

	tcase_add_loop_test(tc, explain_cases, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, explain_matches_the_documented_transcript);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
