/* SPDX-License-Identifier: MIT */
/*
 * mock-issuer as a user runs it: its own flags (--config, --issuer,
 * --profiles, --now, --key, --local-issuer), the config file's jobs
 * served through the runtime protocol, and bad flags or files failing
 * with a message that names the problem.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "http/client.h"
#include "test-common.h"

static char data_dir[1024];

static long
get(const char *url, const char *auth, const char *body, char *out, size_t size)
{
	struct tl_http_client_config cfg;
	struct tl_http_client *cl;
	struct tl_http_reply r;
	struct tl_error err;
	const char *headers[2] = {auth, NULL};
	long st;

	tl_http_client_config_init(&cfg);
	cl = tl_http_client_new(&cfg, &err);
	ck_assert(cl);
	tl_http_reply_init(&r);
	ck_assert_msg(tl_http_client_request(cl, body ? "POST" : "GET", url, auth ? headers : NULL,
					     body, body ? strlen(body) : 0, &r, &err) == 0,
		      "%s: %s", url, err.message);
	st = r.status;
	snprintf(out, size, "%s", tl_buf_str(&r.body));
	tl_http_reply_finish(&r);
	tl_http_client_free(cl);
	return st;
}

START_TEST(config_file_and_flags)
{
	char config[1200], url[512], out[16384];
	char *argv[] = {(char *)tl_test_program("MOCK_ISSUER"),	   "--config", config, "--issuer",
			"/gitlab=https://gitlab.internal.example", NULL};
	struct tl_test_proc p;

	snprintf(config, sizeof(config), "%s/config.json", data_dir);
	ck_assert_int_eq(tl_test_spawn_server(&p, argv, 10000), 0);
	/* --issuer wins over the file's issuer for /gitlab. */
	snprintf(url, sizeof(url), "%s/gitlab/.well-known/openid-configuration", p.url);
	ck_assert_int_eq(get(url, NULL, NULL, out, sizeof(out)), 200);
	ck_assert_msg(strstr(out, "\"issuer\":\"https://gitlab.internal.example\""), "%s", out);
	/* Only the file's three issuers exist. */
	snprintf(url, sizeof(url), "%s/buildkite/jwks", p.url);
	ck_assert_int_eq(get(url, NULL, NULL, out, sizeof(out)), 404);
	/* The file's job answers the runtime protocol; its pinned clock shows. */
	snprintf(url, sizeof(url), "%s/github/_apis/token?api-version=2.0", p.url);
	ck_assert_int_eq(
		get(url, "Authorization: Bearer deploy-main-job-token", NULL, out, sizeof(out)),
		200);
	ck_assert_msg(strstr(out, "\"value\":\"eyJ"), "%s", out);
	ck_assert_int_eq(get(url, "Authorization: Bearer other-token", NULL, out, sizeof(out)),
			 401);
	snprintf(url, sizeof(url), "%s/ghe/octocat-inc/tokens", p.url);
	ck_assert_int_eq(get(url, NULL, "{\"context\":{\"repository\":\"o/r\"}}", out, sizeof(out)),
			 200);
	ck_assert_msg(strstr(out, "\"iat\":1727071187"), "%s", out);
	ck_assert_msg(strstr(out, "\"sub\":\"repo:o/r:ref:refs/heads/main:job_workflow_ref:"), "%s",
		      out);
	ck_assert(WIFEXITED(tl_test_stop(&p, SIGTERM, 5000)));
}
END_TEST

START_TEST(profiles_now_key_local_issuer)
{
	char key[1200], url[512], out[16384], want[256];
	char *argv[] = {(char *)tl_test_program("MOCK_ISSUER"),
			"--profiles",
			"kubernetes,gitlab",
			"--now",
			"2024-09-23T05:59:47Z",
			"--key",
			key,
			"--local-issuer",
			NULL};
	struct tl_test_proc p;

	snprintf(key, sizeof(key), "%s/../keys/rsa2048.pem", data_dir);
	ck_assert_int_eq(tl_test_spawn_server(&p, argv, 10000), 0);
	snprintf(url, sizeof(url), "%s/kubernetes/tokens", p.url);
	ck_assert_int_eq(
		get(url, NULL, "{\"context\":{\"service_account\":\"sa\"}}", out, sizeof(out)),
		200);
	snprintf(want, sizeof(want), "\"iss\":\"%s/kubernetes\"", p.url);
	ck_assert_msg(strstr(out, want), "%s", out);
	ck_assert_msg(strstr(out, "\"iat\":1727071187"), "%s", out);
	snprintf(url, sizeof(url), "%s/github/jwks", p.url);
	ck_assert_int_eq(get(url, NULL, NULL, out, sizeof(out)), 404);
	ck_assert(WIFEXITED(tl_test_stop(&p, SIGINT, 5000)));
}
END_TEST

static const struct {
	const char *args[3];
	int status;
	const char *message;
} bad[] = {
	{{"--now", "yesterday"}, 2, "yesterday"},
	{{"--profiles", "github,nope"}, 1, "unknown profile 'nope'"},
	{{"--issuer", "/nope=https://x"}, 1, "no issuer at prefix '/nope'"},
	{{"--issuer", "github"}, 1, "expected PREFIX=URL"},
	{{"--key", "/nonexistent/key.pem"}, 1, "/nonexistent/key.pem"},
	{{"--config", "/nonexistent/issuer.json"}, 1, "/nonexistent/issuer.json"},
	{{"--key-spec", "RSA-1024"}, 1, "RSA-1024"},
};

START_TEST(bad_flags_fail_with_a_message)
{
	char out[4096], errb[4096];
	char *argv[] = {(char *)tl_test_program("MOCK_ISSUER"), (char *)bad[_i].args[0],
			(char *)bad[_i].args[1], NULL};
	int rc = tl_test_run(argv, 20000, out, sizeof(out), errb, sizeof(errb));

	ck_assert_msg(rc == bad[_i].status, "case %d %s %s: exit %d, expected %d: %s", _i,
		      bad[_i].args[0], bad[_i].args[1], rc, bad[_i].status, errb);
	ck_assert_msg(strstr(errb, bad[_i].message), "case %d %s %s: stderr lacks '%s': %s", _i,
		      bad[_i].args[0], bad[_i].args[1], bad[_i].message, errb);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("issuer-program");
	TCase *tc = tcase_create("program");

	snprintf(data_dir, sizeof(data_dir), "%s", tl_test_arg(0) ? tl_test_arg(0) : ".");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, config_file_and_flags);
	tcase_add_test(tc, profiles_now_key_local_issuer);
	tcase_add_loop_test(tc, bad_flags_fail_with_a_message, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
