/* SPDX-License-Identifier: MIT */
/*
 * The JSON ceiling for bench/run: jansson's json_loadb of a 1 KB token
 * payload (GitHub-Actions-shaped claims), next to trustlab's strict loader
 * (tl_json_load: duplicate keys refused, size and depth caps) on the same
 * bytes, one thread, each for SECONDS.
 *   jansson-parse [SECONDS]
 * Prints: bytes=N jansson_per_s=N trustlab_per_s=N
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/json.h"

static const char payload[] =
	"{\"jti\":\"0f6b1c2e-3c55-4a3b-9d6a-2f3e4d5c6b7a\",\"sub\":\"repo:acme/app:ref:refs/heads/"
	"main\",\"aud\":\"sts.amazonaws.com\",\"ref\":\"refs/heads/main\",\"sha\":"
	"\"d6a4b1f2c3e4a5b6c7d8e9f00112233445566778\",\"repository\":\"acme/app\","
	"\"repository_owner\":\"acme\",\"repository_owner_id\":\"1234567\",\"run_id\":"
	"\"9876543210\",\"run_number\":\"42\",\"run_attempt\":\"1\",\"repository_visibility\":"
	"\"private\",\"repository_id\":\"7654321\",\"actor_id\":\"1111111\",\"actor\":"
	"\"octocat\",\"workflow\":\"CI\",\"head_ref\":\"\",\"base_ref\":\"\",\"event_name\":"
	"\"push\",\"ref_protected\":\"true\",\"ref_type\":\"branch\",\"workflow_ref\":"
	"\"acme/app/.github/workflows/ci.yml@refs/heads/main\",\"workflow_sha\":"
	"\"d6a4b1f2c3e4a5b6c7d8e9f00112233445566778\",\"job_workflow_ref\":"
	"\"acme/app/.github/workflows/ci.yml@refs/heads/main\",\"job_workflow_sha\":"
	"\"d6a4b1f2c3e4a5b6c7d8e9f00112233445566778\",\"runner_environment\":\"github-hosted\","
	"\"iss\":\"https://token.actions.githubusercontent.com\",\"nbf\":1700000000,\"exp\":"
	"4102444800,\"iat\":1700000000}";

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0, t0, t;
	size_t len = strlen(payload);
	long n;
	double plain, strict;
	json_error_t je;

	/* Correctness first: both read the same document. */
	json_t *a = json_loadb(payload, len, 0, &je);
	json_t *b = tl_json_load(payload, len, &tl_json_default_limits, "payload", NULL);
	if (!a || !b || !json_equal(a, b)) {
		fprintf(stderr, "jansson-parse: the two loaders disagree\n");
		return 1;
	}
	json_decref(a);
	json_decref(b);

	n = 0;
	t0 = now_s();
	do {
		for (int i = 0; i < 64; i++, n++)
			json_decref(json_loadb(payload, len, 0, &je));
	} while ((t = now_s()) - t0 < secs);
	plain = (double)n / (t - t0);

	n = 0;
	t0 = now_s();
	do {
		for (int i = 0; i < 64; i++, n++)
			json_decref(tl_json_load(payload, len, &tl_json_default_limits, "payload",
						 NULL));
	} while ((t = now_s()) - t0 < secs);
	strict = (double)n / (t - t0);

	printf("bytes=%zu jansson_per_s=%.0f trustlab_per_s=%.0f\n", len, plain, strict);
	return 0;
}
