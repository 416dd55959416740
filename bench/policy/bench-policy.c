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
 *
 * With --scaling, the cost of one decision as the policy grows to the
 * trust-policy quota (4,096 non-whitespace characters, reference/sts.md
 * §3.1): GitHub-shaped statements one by one, one statement with more and
 * more `sub` patterns, and each padded to exactly the quota. One line a
 * point: series=... statements=... values=... chars=... ns_deny=...
 * ns_allow=... (deny: nothing matches, every statement is evaluated;
 * allow: the last statement or pattern matches).
 *   bench-policy --scaling [SECONDS_PER_POINT]
 */
#include "config.h"

#include <stdbool.h>
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

#define QUOTA 4096

static size_t
nonspace(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s != ' ' && *s != '\n' && *s != '\t' && *s != '\r';
	return n;
}

/* k statements of `values` sub patterns each; the first Sid padded by `pad`. */
static void
policy_text(struct tl_buf *b, int k, int values, size_t pad)
{
	tl_buf_reset(b);
	tl_buf_append_str(b, "{\"Version\":\"2012-10-17\",\"Statement\":[", NULL);
	for (int i = 0; i < k; i++) {
		tl_buf_printf(b, NULL, "%s{\"Sid\":\"S%d", i ? "," : "", i);
		for (size_t j = 0; i == 0 && j < pad; j++)
			tl_buf_putc(b, 'P', NULL);
		tl_buf_append_str(
			b,
			"\",\"Effect\":\"Allow\",\"Principal\":{\"Federated\":"
			"\"arn:aws:iam::123456789012:oidc-provider/"
			"token.actions.githubusercontent.com\"},\"Action\":"
			"\"sts:AssumeRoleWithWebIdentity\",\"Condition\":{\"StringEquals\":"
			"{\"token.actions.githubusercontent.com:aud\":\"sts.amazonaws.com\"},"
			"\"StringLike\":{\"token.actions.githubusercontent.com:sub\":[",
			NULL);
		for (int v = 0; v < values; v++)
			tl_buf_printf(b, NULL, "%s\"repo:acme/app%d-%d:ref:refs/heads/*\"",
				      v ? "," : "", i, v);
		tl_buf_append_str(b, "]}}}", NULL);
	}
	tl_buf_append_str(b, "]}", NULL);
}

static struct tl_policy_context *
sub_context(const char *sub)
{
	json_t *c = json_pack("{s:{s:s}, s:{s:s, s:s}}", "principal", "Federated",
			      "arn:aws:iam::123456789012:oidc-provider/"
			      "token.actions.githubusercontent.com",
			      "keys", "token.actions.githubusercontent.com:sub", sub,
			      "token.actions.githubusercontent.com:aud", "sts.amazonaws.com");
	struct tl_policy_context *ctx = tl_policy_context_from_json(c, NULL);
	json_decref(c);
	return ctx;
}

static double
ns_per_eval(const struct tl_policy *p, const struct tl_policy_context *ctx, double secs,
	    enum tl_policy_decision want)
{
	long n = 0;
	double t0 = now(), t;
	if (tl_policy_eval(p, ctx, NULL) != want)
		return -1;
	do {
		for (int i = 0; i < 256; i++, n++)
			(void)tl_policy_eval(p, ctx, NULL);
	} while ((t = now()) - t0 < secs);
	return 1e9 * (t - t0) / (double)n;
}

static int
point(const char *series, int k, int values, size_t pad, double secs)
{
	static const struct tl_policy_limits limits = {.max_chars = QUOTA};
	struct tl_buf b;
	struct tl_error err = {0};
	char sub[128];
	int rc = 0;

	tl_buf_init(&b, 1 << 20);
	policy_text(&b, k, values, pad);
	if (nonspace(tl_buf_str(&b)) > QUOTA) {
		tl_buf_finish(&b);
		return 1;
	}
	struct tl_policy *p = tl_policy_parse(tl_buf_str(&b), b.len, &limits, &err);
	if (!p) {
		fprintf(stderr, "bench-policy: %s %d: %s\n", series, k, err.message);
		tl_buf_finish(&b);
		return -1;
	}
	snprintf(sub, sizeof(sub), "repo:acme/app%d-%d:ref:refs/heads/main", k - 1, values - 1);
	struct tl_policy_context *allow = sub_context(sub);
	struct tl_policy_context *deny = sub_context("repo:other/app:ref:refs/heads/main");
	double d = ns_per_eval(p, deny, secs, TL_POLICY_IMPLICIT_DENY);
	double a = ns_per_eval(p, allow, secs, TL_POLICY_ALLOW);
	if (d < 0 || a < 0) {
		fprintf(stderr, "bench-policy: %s %d: wrong decision\n", series, k);
		rc = -1;
	} else {
		printf("series=%s statements=%d values=%d chars=%zu ns_deny=%.0f ns_allow=%.0f\n",
		       series, k, values, nonspace(tl_buf_str(&b)), d, a);
	}
	tl_policy_context_free(allow);
	tl_policy_context_free(deny);
	tl_policy_free(p);
	tl_buf_finish(&b);
	return rc;
}

/* The largest count that fits, then that policy padded to exactly the quota. */
static int
series(const char *name, bool by_statements, double secs)
{
	int last = 0, rc;
	struct tl_buf b;
	char at[64];

	for (int k = 1; k <= 200; k++) {
		if (!by_statements && k > 10 && k % 5)
			continue;
		rc = by_statements ? point(name, k, 1, 0, secs) : point(name, 1, k, 0, secs);
		if (rc < 0)
			return -1;
		if (rc > 0)
			break;
		last = k;
	}
	if (!last)
		return -1;
	tl_buf_init(&b, 1 << 20);
	policy_text(&b, by_statements ? last : 1, by_statements ? 1 : last, 0);
	size_t pad = QUOTA - nonspace(tl_buf_str(&b));
	tl_buf_finish(&b);
	snprintf(at, sizeof(at), "%s-at-quota", name);
	return by_statements ? point(at, last, 1, pad, secs) : point(at, 1, last, pad, secs);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--scaling") == 0) {
		double secs = argc > 2 ? atof(argv[2]) : 0.2;
		return series("statements", true, secs) < 0 || series("patterns", false, secs) < 0;
	}
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
