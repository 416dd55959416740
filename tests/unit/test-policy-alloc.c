/* SPDX-License-Identifier: MIT */
/*
 * Evaluation without a trace allocates nothing (policy.h's contract, and
 * what makes it cheap enough to run per request): malloc, calloc and
 * realloc are counted around tl_policy_eval(). The counting wrappers
 * replace glibc's for this binary only; under AddressSanitizer, which
 * owns malloc, the test is skipped.
 */
#include "config.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "test-common.h"

#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNTING 0
#endif
#endif
#ifndef COUNTING
#define COUNTING 1
#endif

#if COUNTING
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

static atomic_long allocations;
/*
 * The injected failure: the fail_at-th allocation made outside jansson.
 * jansson's own allocations are exempt (see jansson_malloc below); the
 * whole-parse failure lib/json makes of them is tested in test-json.c.
 */
static atomic_long injectable;
static atomic_long fail_at = -1;

static bool
inject(void *caller)
{
	Dl_info info;

	allocations++;
	if (fail_at < 0)
		return false;
	if (dladdr(caller, &info) && info.dli_fname && strstr(info.dli_fname, "libjansson"))
		return false;
	return injectable++ == fail_at;
}

/* Exported, so that shared libraries see the counters too. */
#define EXPORT __attribute__((visibility("default")))

EXPORT void *
malloc(size_t size)
{
	if (inject(__builtin_return_address(0)))
		return NULL;
	return __libc_malloc(size);
}

EXPORT void *
calloc(size_t n, size_t size)
{
	if (inject(__builtin_return_address(0)))
		return NULL;
	return __libc_calloc(n, size);
}

EXPORT void *
realloc(void *p, size_t size)
{
	if (inject(__builtin_return_address(0)))
		return NULL;
	return __libc_realloc(p, size);
}
#endif

#if COUNTING
#define GH "token.actions.githubusercontent.com"
#define GH_ARN "arn:aws:iam::123456789012:oidc-provider/" GH

/* Every operator family, a set qualifier and a policy variable. */
static const char policy[] =
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"A\",\"Effect\":\"Allow\","
	"\"Principal\":{\"Federated\":\"" GH_ARN "\"},\"Action\":\"sts:AssumeRole*\","
	"\"Condition\":{\"StringEquals\":{\"" GH ":aud\":\"sts.amazonaws.com\"},"
	"\"StringLike\":{\"" GH ":sub\":[\"repo:${" GH ":repository}:*\",\"x\"]},"
	"\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"team\",\"env\"]},"
	"\"NumericLessThan\":{\"aws:RequestTag/size\":\"10\"},"
	"\"DateGreaterThan\":{\"aws:CurrentTime\":\"2020-01-01T00:00:00Z\"},"
	"\"Bool\":{\"aws:SecureTransport\":\"true\"},"
	"\"BinaryEqualsIfExists\":{\"aws:RequestTag/blob\":\"QmluYXJ5\"},"
	"\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"},"
	"\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:iam::*:role/*\"},"
	"\"Null\":{\"aws:TagKeys\":\"false\"}}},"
	"{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRoleWithWebIdentity\","
	"\"Condition\":{\"StringNotLike\":{\"" GH ":sub\":\"repo:acme/*\"}}}]}";

#endif

START_TEST(eval_without_trace_allocates_nothing)
{
#if COUNTING
	struct tl_error err = {0};
	struct tl_policy *p = tl_policy_parse(policy, strlen(policy), NULL, &err);
	struct tl_policy_context *ctx = tl_policy_context_new();

	ck_assert_msg(p != NULL, "%s: %s", err.path, err.message);
	tl_policy_context_set_principal(ctx, TL_PRINCIPAL_FEDERATED, GH_ARN, NULL);
	tl_policy_context_add(ctx, GH ":aud", "sts.amazonaws.com", NULL);
	tl_policy_context_add(ctx, GH ":sub", "repo:acme/app:ref:refs/heads/main", NULL);
	tl_policy_context_add(ctx, GH ":repository", "acme/app", NULL);
	tl_policy_context_add(ctx, "aws:TagKeys", "team", NULL);
	tl_policy_context_add(ctx, "aws:RequestTag/size", "3", NULL);
	tl_policy_context_add(ctx, "aws:CurrentTime", "2026-11-23T12:00:00Z", NULL);
	tl_policy_context_add(ctx, "aws:SecureTransport", "true", NULL);
	tl_policy_context_add(ctx, "aws:SourceIp", "203.0.113.9", NULL);
	tl_policy_context_add(ctx, "aws:SourceArn", "arn:aws:iam::123456789012:role/x", NULL);

	/* Valgrind replaces malloc in the executable too, bypassing the
	 * counters: check they count (a trace allocates) before relying on
	 * them. */
	struct tl_policy_trace *t = NULL;
	long before = allocations;
	ck_assert_int_eq(tl_policy_eval(p, ctx, &t), TL_POLICY_ALLOW);
	bool counted = allocations - before > 0;

	before = allocations;
	enum tl_policy_decision d = TL_POLICY_IMPLICIT_DENY;
	for (int i = 0; i < 1000; i++)
		d = tl_policy_eval(p, ctx, NULL);
	long during = allocations - before;
	ck_assert_int_eq(d, TL_POLICY_ALLOW);
	ck_assert_msg(!counted || during == 0, "%ld allocations in 1000 evaluations", during);
	tl_policy_trace_free(t);
	tl_policy_context_free(ctx);
	tl_policy_free(p);
#endif
}
END_TEST

#if COUNTING
#include "util/buf.h"

#include "json/json.h"

static const char context_json[] =
	"{\"principal\":{\"Federated\":\"" GH_ARN "\"},\"keys\":{\"" GH
	":sub\":\"repo:acme/app:ref:refs/heads/main\",\"" GH ":aud\":[\"sts.amazonaws.com\"],"
	"\"" GH ":repository\":\"acme/app\",\"aws:TagKeys\":[\"team\"]}}";

/* Parses, builds the context, evaluates with a trace and renders it. */
static bool
whole_path(void)
{
	struct tl_error err = {0};
	struct tl_policy *p = tl_policy_parse(policy, strlen(policy), NULL, &err);
	json_t *cj = tl_json_load(context_json, strlen(context_json), NULL, NULL, &err);
	struct tl_policy_context *ctx = cj ? tl_policy_context_from_json(cj, &err) : NULL;
	struct tl_policy_trace *t = NULL;
	bool complete = false;

	if (p && ctx) {
		tl_policy_eval(p, ctx, &t);
		if (t) {
			struct tl_buf b;
			tl_buf_init(&b, 1 << 20);
			json_t *j = tl_policy_trace_to_json(t);
			complete = tl_policy_trace_render_text(t, &b, &err) == 0 && j;
			json_decref(j);
			tl_buf_finish(&b);
		}
	}
	if (!p)
		ck_assert_msg(err.code != TL_OK, "a failed parse must say why");
	tl_policy_trace_free(t);
	tl_policy_context_free(ctx);
	json_decref(cj);
	tl_policy_free(p);
	return complete;
}
#endif

/*
 * jansson's chaos tests, for the policy path: fail the 1st, 2nd, ...
 * allocation in turn. Each run must fail cleanly (an error, no crash) and
 * leave the heap as it found it.
 */
#if COUNTING
/*
 * jansson's own allocations stay exempt, as the comment above says: once
 * lib/json wraps jansson's allocator (to fail a parse whole), jansson
 * allocates through libtrustlab, so dladdr no longer sees libjansson as
 * the caller. Handing jansson the libc allocator directly keeps it out of
 * the injection.
 */
static void *
jansson_malloc(size_t size)
{
	return __libc_malloc(size);
}
#endif

START_TEST(every_allocation_failure_is_clean)
{
#if COUNTING
	json_set_alloc_funcs(jansson_malloc, free);
	/* Warm-up, counting: one-time allocations of libc (dladdr's among
	 * them), jansson and Check happen here, not in the runs compared. */
	fail_at = 1L << 40; /* count, never fail */
	whole_path();
	bool counts = injectable > 0;
	fail_at = -1;
	if (!counts)
		return; /* valgrind owns malloc here */
	/* Fail allocation k = 0, 1, ... until a run completes because it
	 * made fewer than k + 1 allocations. */
	for (long k = 0;; k++) {
		size_t before = mallinfo2().uordblks;
		injectable = 0;
		fail_at = k;
		bool complete = whole_path();
		long made = injectable;
		fail_at = -1;
		ck_assert_msg(mallinfo2().uordblks == before,
			      "failing allocation %ld leaked %zu bytes", k,
			      mallinfo2().uordblks - before);
		if (complete) {
			ck_assert_msg(made <= k, "failing allocation %ld went unnoticed", k);
			ck_assert_msg(k > 20, "only %ld allocations: is the counter broken?", k);
			break;
		}
		ck_assert_msg(k < 100000, "no end to the allocations");
	}
#endif
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("policy-alloc");
	TCase *tc = tcase_create("hot-path");

	tcase_add_test(tc, eval_without_trace_allocates_nothing);
	tcase_add_test(tc, every_allocation_failure_is_clean);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
