/* SPDX-License-Identifier: MIT */
/*
 * In-process trust-policy evaluation speed, one thread (DESIGN.md §11:
 * >= 100,000 evaluations/s per core). Reads the workload that
 * iam-simulate.mjs also reads (a 4-statement GitHub trust policy and the
 * requests evaluated in rotation), checks every answer, and prints
 * evaluations per second without a trace, with a trace (plus rendering it
 * as text), and policy parses per second.
 *
 *   bench-policy [WORKLOAD.json] [N]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"

#include "json/json.h"
#include "policy/policy.h"

#define MAX_REQ 64

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "bench/policy/workload.json";
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 2000000;
	struct tl_error err = {0};
	struct tl_policy_context *ctx[MAX_REQ];
	enum tl_policy_decision expect[MAX_REQ];
	size_t nreq = 0;

	json_t *w = tl_json_load_file(path, &tl_json_default_limits, &err);
	if (!w) {
		fprintf(stderr, "bench-policy: %s: %s\n", path, err.message);
		return 2;
	}
	char *text = json_dumps(json_object_get(w, "policy"), JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t len = strlen(text);
	struct tl_policy *p = tl_policy_parse(text, len, NULL, &err);
	if (!p) {
		fprintf(stderr, "bench-policy: policy: %s: %s\n", err.path, err.message);
		return 2;
	}
	const json_t *reqs = json_object_get(w, "requests"), *r;
	size_t i;
	json_array_foreach(reqs, i, r)
	{
		if (nreq == MAX_REQ)
			break;
		json_t *c = json_pack("{s:{s:s}, s:O}", "principal", "Federated",
				      json_string_value(json_object_get(w, "principal")), "keys",
				      json_object_get(r, "keys"));
		ctx[nreq] = tl_policy_context_from_json(c, &err);
		json_decref(c);
		if (!ctx[nreq]) {
			fprintf(stderr, "bench-policy: request %zu: %s\n", i, err.message);
			return 2;
		}
		const char *e = json_string_value(json_object_get(r, "expect"));
		expect[nreq++] = strcmp(e, "allow") == 0  ? TL_POLICY_ALLOW
				 : strcmp(e, "deny") == 0 ? TL_POLICY_EXPLICIT_DENY
							  : TL_POLICY_IMPLICIT_DENY;
	}

	/* Correctness first: a fast wrong answer is worthless. */
	for (size_t k = 0; k < nreq; k++)
		if (tl_policy_eval(p, ctx[k], NULL) != expect[k]) {
			fprintf(stderr, "bench-policy: request %zu: wrong decision\n", k);
			return 1;
		}

	long allowed = 0;
	double t0 = now();
	for (long k = 0; k < n; k++)
		allowed += tl_policy_eval(p, ctx[k % (long)nreq], NULL) == TL_POLICY_ALLOW;
	double plain = now() - t0;

	long nt = n / 10;
	struct tl_buf b;
	tl_buf_init(&b, 1 << 20);
	t0 = now();
	for (long k = 0; k < nt; k++) {
		struct tl_policy_trace *t = NULL;
		tl_policy_eval(p, ctx[k % (long)nreq], &t);
		tl_buf_reset(&b);
		if (!t || tl_policy_trace_render_text(t, &b, NULL) < 0)
			return 1;
		tl_policy_trace_free(t);
	}
	double traced = now() - t0;
	tl_buf_finish(&b);

	long np = n / 100;
	t0 = now();
	for (long k = 0; k < np; k++)
		tl_policy_free(tl_policy_parse(text, len, NULL, NULL));
	double parsed = now() - t0;

	printf("trustlab policy: statements=%zu requests=%zu evaluations=%ld allowed=%ld "
	       "seconds=%.3f evals_per_s=%.0f ns_per_eval=%.0f\n",
	       tl_policy_statement_count(p), nreq, n, allowed, plain, (double)n / plain,
	       1e9 * plain / (double)n);
	printf("trustlab policy + trace rendered as text: evaluations=%ld evals_per_s=%.0f\n", nt,
	       (double)nt / traced);
	printf("trustlab policy parse+validate: parses=%ld parses_per_s=%.0f\n", np,
	       (double)np / parsed);

	for (size_t k = 0; k < nreq; k++)
		tl_policy_context_free(ctx[k]);
	tl_policy_free(p);
	free(text);
	json_decref(w);
	return 0;
}
