/* SPDX-License-Identifier: MIT */
/*
 * The three programs as a user runs them: --help, --version, bad flags,
 * the readiness line, serving over HTTP, and a clean exit on SIGTERM and
 * SIGINT. Paths of the built programs come from the environment (meson).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "test-common.h"

static const char *const servers[] = {"MOCK_ISSUER", "MOCK_STS"};
static const char *const names[] = {"mock-issuer", "mock-sts"};

START_TEST(help_and_version)
{
	const char *progs[] = {"MOCK_ISSUER", "MOCK_STS", "TRUSTLAB"};
	const char *pnames[] = {"mock-issuer", "mock-sts", "trustlab"};
	char out[8192], errb[1024], want[64];

	for (int i = 0; i < 3; i++) {
		char *help[] = {(char *)tl_test_program(progs[i]), "--help", NULL};
		char *version[] = {(char *)tl_test_program(progs[i]), "--version", NULL};

		ck_assert_int_eq(tl_test_run(help, 5000, out, sizeof(out), errb, sizeof(errb)), 0);
		snprintf(want, sizeof(want), "Usage: %s", pnames[i]);
		ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "%s --help: %s", pnames[i],
			      out);
		ck_assert_int_eq(tl_test_run(version, 5000, out, sizeof(out), errb, sizeof(errb)),
				 0);
		snprintf(want, sizeof(want), "%s %s\n", pnames[i], TL_VERSION);
		ck_assert_str_eq(out, want);
	}
}
END_TEST

/* clang-format off */
static const struct {
	const char *prog;
	const char *args[4];
	const char *message; /* on stderr */
} bad_flags[] = {
	{"MOCK_ISSUER", {"--listen", "localhost:80"}, "host must be a numeric IPv4 or IPv6 address"},
	{"MOCK_ISSUER", {"--listen", "127.0.0.1:99999"}, "port must be a number from 0 to 65535"},
	{"MOCK_STS", {"--threads", "0"}, "--threads '0': expected a number from 1 to 64"},
	{"MOCK_STS", {"--timeout", "ten"}, "--timeout 'ten': expected a number"},
	{"MOCK_STS", {"--bogus"}, "unknown option '--bogus'"},
	{"MOCK_STS", {"--listen"}, "option '--listen' needs a value"},
	{"MOCK_ISSUER", {"extra"}, "unexpected argument 'extra'"},
	{"TRUSTLAB", {"frobnicate"}, "unknown command 'frobnicate'"},
	{"TRUSTLAB", {"serve", "--bogus"}, "unrecognized option '--bogus'"},
};
/* clang-format on */

START_TEST(bad_flags_exit_2_with_a_message)
{
	char *argv[6] = {(char *)tl_test_program(bad_flags[_i].prog)};
	char out[1024], errb[2048];
	int n = 1;

	for (int k = 0; k < 4 && bad_flags[_i].args[k]; k++)
		argv[n++] = (char *)bad_flags[_i].args[k];
	argv[n] = NULL;
	ck_assert_int_eq(tl_test_run(argv, 5000, out, sizeof(out), errb, sizeof(errb)), 2);
	ck_assert_msg(strstr(errb, bad_flags[_i].message) != NULL, "case %d: stderr '%s'", _i,
		      errb);
}
END_TEST

START_TEST(server_serves_then_stops_cleanly)
{
	static const char health[] = "GET /_trustlab/health HTTP/1.1\r\nHost: t\r\n\r\n";
	int signals[] = {SIGTERM, SIGINT};
	char reply[2048], want[64];

	for (int s = 0; s < 2; s++) {
		char *argv[] = {(char *)tl_test_program(servers[_i]), "--listen", "127.0.0.1:0",
				"--quiet", NULL};
		struct tl_test_proc p;
		int status;

		/* Generous: mock-issuer generates nine RSA keys first (bench/README.md). */
		ck_assert_msg(tl_test_spawn_server(&p, argv, 60000) == 0, "%s did not become ready",
			      names[_i]);
		ck_assert_int_gt(p.port, 0);
		ck_assert_int_eq(strncmp(p.url, "http://127.0.0.1:", 17), 0);
		ck_assert_int_eq(tl_test_raw_http(p.port, health, sizeof(health) - 1, true, 5000,
						  reply, sizeof(reply)),
				 200);
		snprintf(want, sizeof(want), "\"service\":\"%s\"", names[_i]);
		ck_assert_msg(strstr(reply, want), "%s", reply);
		status = tl_test_stop(&p, signals[s], 10000);
		ck_assert_msg(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "%s after signal %d: wait status %d", names[_i], signals[s], status);
	}
}
END_TEST

START_TEST(port_in_use_fails_with_message)
{
	char *argv[] = {(char *)tl_test_program("MOCK_STS"), "--quiet", NULL};
	struct tl_test_proc first;
	char listen[32], out[256], errb[1024];

	ck_assert_int_eq(tl_test_spawn_server(&first, argv, 45000), 0);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", first.port);
	{
		/* Generous: mock-issuer generates its nine keys before it binds, which
		 * took more than 5 s on a 2-core machine at load average 40. */
		char *second[] = {(char *)tl_test_program("MOCK_ISSUER"), "--listen", listen, NULL};
		ck_assert_int_eq(tl_test_run(second, 60000, out, sizeof(out), errb, sizeof(errb)),
				 1);
		ck_assert_msg(strstr(errb, listen) != NULL, "stderr: %s", errb);
	}
	tl_test_stop(&first, SIGTERM, 10000);
}
END_TEST

START_TEST(trustlab_smoke_runs_embedded)
{
	char *argv[] = {(char *)tl_test_program("TRUSTLAB"), "smoke", NULL};
	char out[4096], errb[2048];

	ck_assert_int_eq(tl_test_run(argv, 20000, out, sizeof(out), errb, sizeof(errb)), 0);
	ck_assert_msg(strstr(out, "ok   push to main                     allow") &&
			      strstr(out, "ok   pull request, same repository    deny") &&
			      strstr(out, "ok   pull request from a fork         no-token") &&
			      strstr(out, "3 passed, 0 failed"),
		      "stdout: %s\nstderr: %s", out, errb);
	/* Nothing on stderr: no stray library or libmicrohttpd warnings. */
	ck_assert_msg(errb[0] == '\0', "stderr: %s", errb);
}
END_TEST

START_TEST(trustlab_smoke_reports_unreachable)
{
	/* Port 1 on loopback: nothing listens there; the check must fail, not hang. */
	char *argv[] = {(char *)tl_test_program("TRUSTLAB"),
			"smoke",
			"--issuer-url",
			"http://127.0.0.1:1",
			"--sts-url",
			"http://127.0.0.1:1",
			NULL};
	char *half[] = {(char *)tl_test_program("TRUSTLAB"), "smoke", "--issuer-url",
			"http://127.0.0.1:1", NULL};
	char out[4096], errb[2048];

	ck_assert_int_eq(tl_test_run(argv, 20000, out, sizeof(out), errb, sizeof(errb)), 1);
	ck_assert_msg(strstr(out, "FAIL setup: POST http://127.0.0.1:1/"), "stdout: %s", out);
	ck_assert_int_eq(tl_test_run(half, 20000, out, sizeof(out), errb, sizeof(errb)), 2);
	ck_assert_msg(strstr(errb, "give both --issuer-url and --sts-url, or neither"),
		      "stderr: %s", errb);
}
END_TEST

START_TEST(trustlab_serve_prints_urls)
{
	char *argv[] = {(char *)tl_test_program("TRUSTLAB"), "serve", NULL};
	static const char health[] = "GET /_trustlab/health HTTP/1.1\r\nHost: t\r\n\r\n";
	struct tl_test_proc p;
	char line[256], reply[2048];
	unsigned sts_port = 0;
	int status;

	/* The first readiness line is the issuer's, the second the STS's. */
	ck_assert_int_eq(tl_test_spawn_server(&p, argv, 45000), 0);
	ck_assert_int_eq(tl_test_raw_http(p.port, health, sizeof(health) - 1, true, 5000, reply,
					  sizeof(reply)),
			 200);
	ck_assert_ptr_nonnull(strstr(reply, "\"service\":\"mock-issuer\""));
	ck_assert_int_eq(tl_test_read_line(&p, line, sizeof(line), 5000), 0);
	ck_assert_msg(sscanf(line, "sts listening on http://127.0.0.1:%u", &sts_port) == 1, "%s",
		      line);
	ck_assert_int_eq(tl_test_raw_http((uint16_t)sts_port, health, sizeof(health) - 1, true,
					  5000, reply, sizeof(reply)),
			 200);
	ck_assert_ptr_nonnull(strstr(reply, "\"service\":\"mock-sts\""));
	ck_assert_int_eq(tl_test_read_line(&p, line, sizeof(line), 5000), 0);
	{
		char want[96];
		snprintf(want, sizeof(want), "export AWS_ENDPOINT_URL_STS=http://127.0.0.1:%u",
			 sts_port);
		ck_assert_str_eq(line, want);
	}
	status = tl_test_stop(&p, SIGTERM, 10000);
	ck_assert_msg(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d",
		      status);
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("programs");
	TCase *tc = tcase_create("cli");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, help_and_version);
	tcase_add_loop_test(tc, bad_flags_exit_2_with_a_message, 0,
			    sizeof(bad_flags) / sizeof(bad_flags[0]));
	tcase_add_loop_test(tc, server_serves_then_stops_cleanly, 0, 2);
	tcase_add_test(tc, port_in_use_fails_with_message);
	tcase_add_test(tc, trustlab_smoke_runs_embedded);
	tcase_add_test(tc, trustlab_smoke_reports_unreachable);
	tcase_add_test(tc, trustlab_serve_prints_urls);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
