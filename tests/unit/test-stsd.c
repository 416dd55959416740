/* SPDX-License-Identifier: MIT */
/*
 * lib/stsd without HTTP: configuration, the in-process setup API with
 * IAM's validation, the --config file and the state file, each refusal
 * naming what is wrong and where. The wire is in
 * tests/integration/test-stsd.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/file.h"

#include "stsd/stsd.h"
#include "test-common.h"

static const char policy[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{"
	"\"Federated\":\"arn:aws:iam::123456789012:oidc-provider/"
	"token.actions.githubusercontent.com\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\"}]}";

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-stsd-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void
write_in_dir(const char *name, const char *text, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", dir, name);
	ck_assert_int_eq(tl_file_write_atomic(path, text, strlen(text), 0600, NULL), 0);
}

static struct tl_stsd *
service(const char *state)
{
	struct tl_stsd_config cfg;
	struct tl_error err;
	struct tl_stsd *svc;

	tl_stsd_config_init(&cfg);
	cfg.state_path = state;
	svc = tl_stsd_new(&cfg, &err);
	ck_assert_msg(svc != NULL, "%s", err.message);
	return svc;
}

START_TEST(config_defaults_and_refusals)
{
	struct tl_stsd_config cfg;
	struct tl_error err;

	tl_stsd_config_init(&cfg);
	ck_assert_str_eq(cfg.account, "123456789012");
	ck_assert_str_eq(cfg.admin_access_key_id, "test");
	ck_assert_str_eq(cfg.admin_secret, "test");
	ck_assert_int_eq(cfg.skew_seconds, 300);
	cfg.account = "12345678901a";
	ck_assert_ptr_null(tl_stsd_new(&cfg, &err));
	ck_assert_msg(strstr(err.message, "12345678901a"), "%s", err.message);
	tl_stsd_config_init(&cfg);
	cfg.admin_secret = "";
	ck_assert_ptr_null(tl_stsd_new(&cfg, &err));
	tl_stsd_config_init(&cfg);
	cfg.audit_log_path = "/nonexistent-dir/audit.log";
	ck_assert_ptr_null(tl_stsd_new(&cfg, &err));
	ck_assert_msg(strstr(err.message, "/nonexistent-dir/audit.log"), "%s", err.message);
	tl_stsd_free(NULL);
}
END_TEST

START_TEST(setup_api_validates_like_iam)
{
	static const struct {
		const char *url;
		const char *why;
	} bad_urls[] = {
		{"http://token.actions.githubusercontent.com", "not https"},
		{"https://", "no host"},
		{"https://example.com:8443", "a port"},
		{"https://example.com/?a=b", "a query"},
		{"https://user@example.com", "user info"},
	};
	const char *ids[] = {"sts.amazonaws.com"};
	struct tl_stsd *svc = service(NULL);
	struct tl_error err;

	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++)
		ck_assert_msg(tl_stsd_create_provider(svc, bad_urls[i].url, ids, 1, &err) == -1,
			      "case %s: accepted", bad_urls[i].why);
	ck_assert_int_eq(tl_stsd_create_provider(svc, "https://token.actions.githubusercontent.com",
						 ids, 1, &err),
			 0);
	ck_assert_int_eq(tl_stsd_create_provider(svc, "https://token.actions.githubusercontent.com",
						 ids, 1, &err),
			 -1);
	ck_assert_int_eq(err.code, TL_ERR_EXISTS);
	ck_assert_msg(strstr(err.message, "EntityAlreadyExists"), "%s", err.message);

	ck_assert_int_eq(tl_stsd_create_role(svc, "bad name!", NULL, policy, 0, &err), -1);
	ck_assert_int_eq(tl_stsd_create_role(svc, "r", "no-slashes", policy, 0, &err), -1);
	ck_assert_int_eq(tl_stsd_create_role(svc, "r", NULL, policy, 100, &err), -1);
	ck_assert_int_eq(tl_stsd_create_role(svc, "r", NULL, "{\"Version\":1}", 0, &err), -1);
	ck_assert_msg(strstr(err.message, "MalformedPolicyDocument"), "%s", err.message);
	ck_assert_int_eq(tl_stsd_create_role(svc, "r", "/a/b/", policy, 43200, &err), 0);
	ck_assert_int_eq(tl_stsd_create_role(svc, "R", NULL, policy, 0, &err), -1);
	ck_assert_int_eq(err.code, TL_ERR_EXISTS);
	ck_assert_int_eq(tl_stsd_provider_count(svc), 1);
	ck_assert_int_eq(tl_stsd_role_count(svc), 1);
	tl_stsd_free(svc);
}
END_TEST

START_TEST(config_file_errors_name_the_place)
{
	static const struct {
		const char *text;
		const char *want; /* in message or path */
	} cases[] = {
		{"[]", "$"},
		{"{\"provider\": []}", "provider"},
		{"{\"providers\": [{\"url\": 1}]}", "providers[0]"},
		{"{\"providers\": [{\"url\": \"https://a.example.com\", \"client_ids\": [1]}]}",
		 "providers[0]"},
		{"{\"roles\": [{\"name\": \"r\"}]}", "roles[0]"},
		{"{\"roles\": [{\"name\": \"r\", \"trust_policy\": \"nope.json\"}]}", "nope.json"},
		{"{\"roles\": [{\"name\": \"r\", \"trust_policy\": \"bad.json\"}]}",
		 "MalformedPolicyDocument"},
		{"{\"roles\": [{\"name\": \"r\", \"trust_policy\": \"p.json\", \"extra\": 1}]}",
		 "extra"},
	};
	struct tl_stsd *svc = service(NULL);
	char path[256], p2[256];
	struct tl_error err;

	write_in_dir("p.json", policy, p2, sizeof(p2));
	write_in_dir("bad.json", "{\"Version\":\"2012-10-17\",\"Statement\":[]}", p2, sizeof(p2));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char all[2048];
		write_in_dir("config.json", cases[i].text, path, sizeof(path));
		ck_assert_msg(tl_stsd_load_config(svc, path, &err) == -1, "case %zu: accepted", i);
		snprintf(all, sizeof(all), "%s | %s", err.path, err.message);
		ck_assert_msg(strstr(all, cases[i].want), "case %zu: %s", i, all);
	}
	write_in_dir("config.json",
		     "{\"providers\": [{\"url\": \"https://gitlab.com\", \"client_ids\": "
		     "[\"https://gitlab.com\"]}], \"roles\": [{\"name\": \"r\", \"trust_policy\": "
		     "\"p.json\", \"max_session_duration\": 7200}]}",
		     path, sizeof(path));
	ck_assert_msg(tl_stsd_load_config(svc, path, &err) == 0, "%s", err.message);
	ck_assert_int_eq(tl_stsd_role_count(svc), 1);
	/* Loaded twice (--config with a --state that has it already): no error. */
	ck_assert_msg(tl_stsd_load_config(svc, path, &err) == 0, "%s", err.message);
	ck_assert_int_eq(tl_stsd_role_count(svc), 1);
	ck_assert_int_eq(tl_stsd_provider_count(svc), 1);
	tl_stsd_free(svc);
}
END_TEST

/* The quotas are configurable (bench/run raises them) and every lookup
 * goes through the name index: duplicates are found case-insensitively
 * among many roles, and after a reload from the state file. */
START_TEST(quotas_and_name_index)
{
	const char *ids[] = {"sts.amazonaws.com"};
	struct tl_stsd_config cfg;
	struct tl_stsd *svc;
	struct tl_error err;
	char name[64], path[256];

	snprintf(path, sizeof(path), "%s/quota-state.json", dir);
	tl_stsd_config_init(&cfg);
	cfg.roles_max = 300;
	cfg.providers_max = 2;
	cfg.state_path = path;
	svc = tl_stsd_new(&cfg, &err);
	ck_assert_msg(svc != NULL, "%s", err.message);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "role-%d", i);
		ck_assert_msg(tl_stsd_create_role(svc, name, NULL, policy, 0, &err) == 0,
			      "role %d: %s", i, err.message);
	}
	ck_assert_int_eq(tl_stsd_create_role(svc, "one-more", NULL, policy, 0, &err), -1);
	ck_assert_msg(strstr(err.message, "RolesPerAccount: 300"), "%s", err.message);
	ck_assert_int_eq(tl_stsd_create_provider(svc, "https://a.example.com", ids, 1, &err), 0);
	ck_assert_int_eq(tl_stsd_create_provider(svc, "https://b.example.com", ids, 1, &err), 0);
	ck_assert_int_eq(tl_stsd_create_provider(svc, "https://c.example.com", ids, 1, &err), -1);
	ck_assert_msg(strstr(err.message, "OpenIdConnectProvidersPerAccount: 2"), "%s",
		      err.message);
	tl_stsd_free(svc);

	cfg.roles_max = 400;
	svc = tl_stsd_new(&cfg, &err);
	ck_assert_msg(svc != NULL, "%s", err.message);
	ck_assert_int_eq(tl_stsd_role_count(svc), 300);
	ck_assert_int_eq(tl_stsd_create_role(svc, "ROLE-150", NULL, policy, 0, &err), -1);
	ck_assert_msg(strstr(err.message, "EntityAlreadyExists"), "%s", err.message);
	ck_assert_int_eq(tl_stsd_create_provider(svc, "https://b.example.com", ids, 1, &err), -1);
	ck_assert_int_eq(tl_stsd_create_role(svc, "role-300", NULL, policy, 0, &err), 0);
	tl_stsd_free(svc);

	/* The default stays AWS's. */
	tl_stsd_config_init(&cfg);
	ck_assert_int_eq(cfg.roles_max, 5000);
	ck_assert_int_eq(cfg.providers_max, 100);
}
END_TEST

START_TEST(state_file_round_trip_and_refusals)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{"{\"version\": 2, \"account\": \"123456789012\", \"providers\": [], \"roles\": "
		 "[]}",
		 "version"},
		{"{\"version\": 1, \"account\": \"210987654321\", \"providers\": [], \"roles\": "
		 "[]}",
		 "account"},
		{"{\"version\": 1, \"account\": \"123456789012\", \"providers\": [], \"roles\": "
		 "[], "
		 "\"sessions\": []}",
		 "sessions"},
		{"{\"version\": 1, \"account\": \"123456789012\", \"providers\": [{\"url\": "
		 "\"a.example.com\", \"client_ids\": [], \"thumbprints\": [], \"create_date\": 0, "
		 "\"tags\": [], \"x\": 1}], \"roles\": []}",
		 "x"},
		{"{\"version\": 1, \"account\": \"123456789012\", \"providers\": [], \"roles\": "
		 "[{\"name\": \"r\", \"path\": \"/\", \"id\": \"AROAAAAAAAAAAAAAAAAAA\", "
		 "\"trust_policy\": \"{}\", \"max_session_duration\": 3600, \"create_date\": 0, "
		 "\"tags\": []}]}",
		 "roles[0].trust_policy"},
	};
	const char *ids[] = {"a", "b"};
	char path[256];
	struct tl_stsd *svc;
	struct tl_error err;

	snprintf(path, sizeof(path), "%s/state.json", dir);
	svc = service(path); /* no file yet: a new state */
	ck_assert_int_eq(tl_stsd_create_provider(svc, "https://a.example.com/x", ids, 2, &err), 0);
	ck_assert_int_eq(tl_stsd_create_role(svc, "r", "/p/", policy, 7200, &err), 0);
	tl_stsd_free(svc);
	svc = service(path);
	ck_assert_int_eq(tl_stsd_provider_count(svc), 1);
	ck_assert_int_eq(tl_stsd_role_count(svc), 1);
	tl_stsd_free(svc);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tl_stsd_config cfg;
		char all[2048];
		write_in_dir("state.json", cases[i].text, path, sizeof(path));
		tl_stsd_config_init(&cfg);
		cfg.state_path = path;
		ck_assert_msg(tl_stsd_new(&cfg, &err) == NULL, "case %zu: accepted", i);
		snprintf(all, sizeof(all), "%s | %s", err.path, err.message);
		ck_assert_msg(strstr(all, cases[i].want), "case %zu: %s", i, all);
	}
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("stsd");
	TCase *tc = tcase_create("api");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, config_defaults_and_refusals);
	tcase_add_test(tc, setup_api_validates_like_iam);
	tcase_add_test(tc, config_file_errors_name_the_place);
	tcase_add_test(tc, state_file_round_trip_and_refusals);
	tcase_add_test(tc, quotas_and_name_index);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
