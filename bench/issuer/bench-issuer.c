/* SPDX-License-Identifier: MIT */
/*
 * In-process cost of one mint (claims + JSON + RS256 sign) against the
 * bare RS256 signature, one thread: shows what HTTP adds in run.sh.
 *   bench-issuer KEY.pem [N]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "issuer/issuer.h"
#include "jose/jws.h"
#include "jose/key.h"

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
	struct tl_issuer_config cfg;
	struct tl_issuer_service *svc;
	struct tl_error err;
	json_t *req, *claims, *header;
	struct tl_jose_key *key;
	int n = argc > 2 ? atoi(argv[2]) : 2000;
	double t0, t1, t2;

	if (argc < 2) {
		fprintf(stderr, "usage: bench-issuer KEY.pem [N]\n");
		return 2;
	}
	tl_issuer_config_init(&cfg);
	tl_issuer_config_set_string(&cfg.key_file, argv[1], NULL);
	if (tl_issuer_config_set_profiles(&cfg, "github", &err) < 0 ||
	    !(svc = tl_issuer_service_new(&cfg, &err)) ||
	    !(key = tl_jose_key_load_file(argv[1], &err))) {
		fprintf(stderr, "bench-issuer: %s\n", err.message);
		return 1;
	}
	req = json_pack("{s:{s:s, s:s, s:s}, s:s}", "context", "repository", "octo/app", "event",
			"push", "ref", "refs/heads/main", "audience", "sts.amazonaws.com");
	claims = json_pack("{s:s}", "sub", "repo:octo/app:ref:refs/heads/main");
	header = tl_jws_header_new(key, TL_JOSE_ALG_RS256, TL_JWS_HEADER_TYP, &err);
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		unsigned st;
		json_t *ans = NULL;
		if (tl_issuer_service_mint(svc, "/github", req, &st, &ans) < 0 || st != 200)
			return 1;
		json_decref(ans);
	}
	t1 = now_s();
	for (int i = 0; i < n; i++) {
		char *tok;
		if (tl_jws_sign(key, TL_JOSE_ALG_RS256, header, claims, &tok, &err) < 0)
			return 1;
		free(tok);
	}
	t2 = now_s();
	printf("trustlab issuer in-process, 1 thread: mint_per_s=%.0f sign_per_s=%.0f "
	       "overhead_us=%.1f\n",
	       n / (t1 - t0), n / (t2 - t1), ((t1 - t0) - (t2 - t1)) / n * 1e6);
	json_decref(req);
	json_decref(claims);
	json_decref(header);
	tl_jose_key_free(key);
	tl_issuer_service_free(svc);
	tl_issuer_config_finish(&cfg);
	return 0;
}
