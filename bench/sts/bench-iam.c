/* SPDX-License-Identifier: MIT */
/*
 * Sets mock-sts up through its IAM API, as a setup script does (SigV4
 * signed, one call per entity), for bench/run's memory figures:
 *   bench-iam STS_URL roles N POLICY_FILE      CreateRole bench-0 .. bench-(N-1)
 *   bench-iam STS_URL providers N              CreateOpenIDConnectProvider
 *                                              https://p-0.example.com ..
 * Prints: created=N seconds=S calls_per_s=R; exit 1 on the first refusal.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/file.h"

#include "exchange/exchange.h"

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
	struct tl_exchange_config cfg = {0};
	struct tl_exchange *ex;
	struct tl_error err;
	char *policy = NULL;
	size_t plen;
	long n;
	bool roles;
	double t0, t1;
	int rc = 0;

	if (argc < 4 || (strcmp(argv[2], "roles") == 0 && argc < 5)) {
		fprintf(stderr, "usage: bench-iam STS_URL roles N POLICY_FILE | providers N\n");
		return 2;
	}
	roles = strcmp(argv[2], "roles") == 0;
	n = strtol(argv[3], NULL, 10);
	if (roles && tl_file_read(argv[4], 64 * 1024, &policy, &plen, &err) < 0) {
		fprintf(stderr, "bench-iam: %s\n", err.message);
		return 1;
	}
	cfg.sts_url = argv[1];
	ex = tl_exchange_new(&cfg, &err);
	if (!ex) {
		fprintf(stderr, "bench-iam: %s\n", err.message);
		free(policy);
		return 1;
	}
	t0 = now_s();
	for (long i = 0; i < n && rc == 0; i++) {
		struct tl_aws_reply reply;
		char name[128];
		int r;

		tl_aws_reply_init(&reply);
		if (roles) {
			snprintf(name, sizeof(name), "bench-%ld", i);
			r = tl_exchange_create_role(ex, name, policy, 0, NULL, 0, &reply, &err);
		} else {
			const char *ids[] = {"sts.amazonaws.com", NULL};
			snprintf(name, sizeof(name), "https://p-%ld.example.com", i);
			r = tl_exchange_create_provider(ex, name, ids, NULL, 0, &reply, &err);
		}
		if (r < 0 || reply.status != 200) {
			fprintf(stderr, "bench-iam: %s: %s %s\n", name,
				r < 0 ? err.message : reply.code, r < 0 ? "" : reply.message);
			rc = 1;
		}
		tl_aws_reply_finish(&reply);
	}
	t1 = now_s();
	if (rc == 0)
		printf("created=%ld seconds=%.3f calls_per_s=%.0f\n", n, t1 - t0,
		       (double)n / (t1 - t0));
	tl_exchange_free(ex);
	free(policy);
	return rc;
}
