/* SPDX-License-Identifier: MIT */
/*
 * trustlab smoke: one real exchange end to end, as a quick proof that the
 * whole chain works. Starts both servers embedded (or uses running ones),
 * registers GitHub's OIDC provider and a role that trusts pushes to main
 * through the IAM API, then mints three tokens and exchanges them:
 * a push to main (allowed), a pull request of the same repository
 * (denied), and a fork's pull request (no token at all).
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "exchange/exchange.h"
#include "runner.h"

#define GITHUB_ISS "https://token.actions.githubusercontent.com"

static const char smoke_policy[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"GitHubMain\",\"Effect\":\"Allow\","
	"\"Principal\":{\"Federated\":\"arn:aws:iam::123456789012:oidc-provider/"
	"token.actions.githubusercontent.com\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\","
	"\"Condition\":{\"StringEquals\":{\"token.actions.githubusercontent.com:aud\":"
	"\"sts.amazonaws.com\",\"token.actions.githubusercontent.com:sub\":"
	"\"repo:acme/app:ref:refs/heads/main\"}}}]}";

static const struct {
	const char *name;
	const char *context; /* JSON */
	const char *expect;
} smoke_cases[] = {
	{"push to main",
	 "{\"repository\":\"acme/app\",\"event\":\"push\",\"ref\":\"refs/heads/main\"}", "allow"},
	{"pull request, same repository",
	 "{\"repository\":\"acme/app\",\"event\":\"pull_request\",\"ref\":\"refs/pull/7/merge\"}",
	 "deny"},
	{"pull request from a fork",
	 "{\"repository\":\"acme/app\",\"event\":\"pull_request\",\"ref\":\"refs/pull/8/merge\","
	 "\"fork\":true}",
	 "no-token"},
};

#define N_CASES (sizeof(smoke_cases) / sizeof(smoke_cases[0]))

/* Registers the provider and the role; -1 (printed) when IAM refuses. */
static int
setup(struct tl_exchange *ex, char *role_arn, size_t size)
{
	static const char *const audiences[] = {"sts.amazonaws.com", NULL};
	struct tl_aws_reply r;
	struct tl_error err;
	int rc = 0;

	tl_aws_reply_init(&r);
	if (tl_exchange_create_provider(ex, GITHUB_ISS, audiences, NULL, 0, &r, &err) < 0 &&
	    strcmp(r.code, "EntityAlreadyExists") != 0) {
		printf("FAIL setup: %s\n", err.message);
		rc = -1;
	} else if (tl_exchange_create_role(ex, "trustlab-smoke", smoke_policy, 0, role_arn, size,
					   &r, &err) < 0) {
		if (strcmp(r.code, "EntityAlreadyExists") == 0)
			snprintf(role_arn, size, "arn:aws:iam::123456789012:role/trustlab-smoke");
		else {
			printf("FAIL setup: %s\n", err.message);
			rc = -1;
		}
	}
	tl_aws_reply_finish(&r);
	return rc;
}

static bool
run_one(struct tl_exchange *ex, size_t i, const char *role_arn)
{
	struct tl_exchange_outcome out;
	struct tl_error err;
	json_t *context = json_loads(smoke_cases[i].context, 0, NULL);
	json_t *request =
		json_pack("{s:o, s:s}", "context", context, "audience", "sts.amazonaws.com");
	const struct tl_exchange_case c = {
		.issuer_prefix = "/github",
		.mint_request = request,
		.role_arn = role_arn,
		.session_name = "trustlab-smoke",
	};
	bool passed = false;

	if (!request || tl_exchange_run_case(ex, &c, &out, &err) < 0) {
		printf("FAIL %-32s %s\n", smoke_cases[i].name,
		       request ? err.message : "out of memory");
	} else {
		passed = strcmp(out.outcome, smoke_cases[i].expect) == 0;
		printf("%s %-32s %-9s %s\n", passed ? "ok  " : "FAIL", smoke_cases[i].name,
		       out.outcome,
		       out.decision[0] ? out.decision
		       : out.detail[0] ? out.detail
				       : "");
		tl_exchange_outcome_finish(&out);
	}
	json_decref(request);
	return passed;
}

int
tl_cmd_smoke(int argc, char **argv)
{
	static const struct option options[] = {
		{"issuer-url", required_argument, NULL, 'i'},
		{"sts-url", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tl_exchange_config cfg = {0};
	struct tl_embedded servers = {0};
	struct tl_exchange *ex = NULL;
	struct tl_error err;
	char role_arn[512];
	int opt, passed = 0, status = TL_EXIT_FAILED;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'i':
			cfg.issuer_url = optarg;
			break;
		case 's':
			cfg.sts_url = optarg;
			break;
		case 'h':
			printf("Usage: trustlab smoke [--issuer-url URL --sts-url URL]\n\n"
			       "One real exchange end to end: registers GitHub's OIDC provider and "
			       "a role\n"
			       "that trusts pushes to main (IAM API), mints three tokens and "
			       "calls\n"
			       "AssumeRoleWithWebIdentity with each: a push to main (allowed), a "
			       "pull\n"
			       "request (denied), a fork's pull request (GitHub gives it no "
			       "token).\n"
			       "Starts mock-issuer and mock-sts embedded on 127.0.0.1 unless both "
			       "URLs\n"
			       "are given (mock-sts must then map GitHub's issuer to the "
			       "mock-issuer).\n");
			return TL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'trustlab smoke --help'.\n");
			return TL_EXIT_USAGE;
		}
	}
	if (optind < argc || !cfg.issuer_url != !cfg.sts_url) {
		fprintf(stderr,
			"trustlab smoke: give both --issuer-url and --sts-url, or neither\n");
		return TL_EXIT_USAGE;
	}
	if (!cfg.issuer_url) {
		if (tl_embedded_start(&servers, NULL, &err) < 0) {
			fprintf(stderr, "trustlab smoke: %s\n", err.message);
			return TL_EXIT_FAILED;
		}
		cfg.issuer_url = servers.issuer_url;
		cfg.sts_url = servers.sts_url;
	}
	printf("issuer %s\nsts    %s\n", cfg.issuer_url, cfg.sts_url);
	ex = tl_exchange_new(&cfg, &err);
	if (!ex) {
		fprintf(stderr, "trustlab smoke: %s\n", err.message);
		goto out;
	}
	if (setup(ex, role_arn, sizeof(role_arn)) < 0)
		goto out;
	for (size_t i = 0; i < N_CASES; i++)
		passed += run_one(ex, i, role_arn);
	printf("%d passed, %d failed\n", passed, (int)N_CASES - passed);
	status = passed == (int)N_CASES ? TL_EXIT_OK : TL_EXIT_FAILED;
out:
	tl_exchange_free(ex);
	tl_embedded_stop(&servers);
	return status;
}
