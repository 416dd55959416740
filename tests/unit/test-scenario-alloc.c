/* SPDX-License-Identifier: MIT */
/*
 * jansson's chaos tests for the scenario loader and the report renderers:
 * the 1st, 2nd, ... allocation fails in turn; every run must fail cleanly
 * (an error that says why, no crash) and leave the heap as it found it.
 * The failing wrappers replace glibc's malloc for this binary only; under
 * AddressSanitizer or valgrind, which own malloc, the test is a no-op.
 */
#include "config.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "report/report.h"
#include "scenario/scenario.h"
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
 * As in test-policy-alloc.c, jansson's own allocations are not failed
 * (jansson 2.14 does not survive them cleanly), nor OpenSSL's (the seeded
 * generator's hashing); trustlab's and libyaml's are.
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
	if (dladdr(caller, &info) && info.dli_fname &&
	    (strstr(info.dli_fname, "libjansson") || strstr(info.dli_fname, "libcrypto")))
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
static const char scenario[] =
	"# every part of the loader: positions, coercion, defaults, inline policy,\n"
	"# cases, a matrix with allow/exclude, claims checks and refusals\n"
	"trustlab: 1\n"
	"name: alloc\n"
	"account: 012345678901\n"
	"providers:\n"
	"  github: {audiences: [sts.amazonaws.com]}\n"
	"roles:\n"
	"  deploy:\n"
	"    max_session_duration: 7200\n"
	"    trust_policy:\n"
	"      Version: \"2012-10-17\"\n"
	"      Statement:\n"
	"        - Effect: Allow\n"
	"          Principal: {Federated: \"arn:aws:iam::123456789012:oidc-provider/"
	"token.actions.githubusercontent.com\"}\n"
	"          Action: sts:AssumeRoleWithWebIdentity\n"
	"          Condition:\n"
	"            StringLike: {\"token.actions.githubusercontent.com:sub\": "
	"\"repo:acme/app:*\"}\n"
	"  other: {trust_policy: {Version: \"2012-10-17\", Statement: [{Effect: Deny, "
	"Principal: \"*\", Action: \"sts:AssumeRoleWithWebIdentity\"}]}}\n"
	"defaults:\n"
	"  token: {repository: acme/app, audience: sts.amazonaws.com, workflow: 1.10}\n"
	"  request: {session_name: ci, duration_seconds: 900}\n"
	"cases:\n"
	"  - name: push\n"
	"    token: {event: push, ref: refs/heads/main, claims: {jti: null}, faults: [expired]}\n"
	"    expect: {\"*\": deny, deploy: allow}\n"
	"  - name: fork\n"
	"    token: {event: pull_request, fork: true}\n"
	"    expect: {\"*\": no-token}\n"
	"matrix:\n"
	"  - name: m\n"
	"    token: {event: [push, workflow_dispatch], ref: [refs/heads/main, refs/heads/dev], "
	"environment: [null, prod]}\n"
	"    allow: {deploy: [{ref: refs/heads/main}]}\n"
	"    exclude: [{event: workflow_dispatch, environment: prod}]\n";

static bool
whole_path(void)
{
	struct tl_error err = {0}, errors[4];
	size_t n_errors = 0;
	struct tl_scenario_options opt = {.errors = errors, .max_errors = 4, .n_errors = &n_errors};
	struct tl_scenario *s = tl_scenario_load(scenario, strlen(scenario), "alloc.yaml",
						 TL_SCENARIO_AUTO, &opt, &err);
	bool complete = false;

	if (!s) {
		ck_assert_msg(err.code != TL_OK && n_errors >= 1, "a failed load must say why");
		if (fail_at > (1L << 30))
			ck_abort_msg("%s:%d:%d: %s: %s", err.file, err.line, err.column, err.path,
				     err.message);
		return false;
	}
	struct tl_report *r = tl_report_new();
	if (r) {
		bool added = true;
		for (size_t i = 0; added && i < tl_scenario_case_count(s); i++) {
			const struct tl_case *c = tl_scenario_case(s, i);
			for (size_t e = 0; added && e < c->n_expect; e++) {
				struct tl_report_result res = {
					.scenario = c->scenario,
					.file = c->file,
					.name = c->name,
					.matrix = c->matrix,
					.role = c->expect[e].role,
					.expected = c->expect[e].outcome,
					.actual = "AccessDenied",
					.passed = tl_case_expect_matches(c->expect[e].outcome,
									 "AccessDenied"),
					.request_id = "r",
					.trace_text = "why\nbecause",
					.message = c->refusal,
					.duration_ms = 1};
				added = tl_report_add(r, &res, &err) == 0;
			}
		}
		complete = added;
		for (int f = TL_REPORT_TEXT; complete && f <= TL_REPORT_HTML; f++) {
			struct tl_buf b;
			tl_buf_init(&b, 1 << 20);
			complete =
				tl_report_render(r, (enum tl_report_format)f, NULL, &b, &err) == 0;
			tl_buf_finish(&b);
		}
	}
	tl_report_free(r);
	tl_scenario_free(s);
	return complete;
}
#endif

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
	fail_at = 1L << 40; /* count, never fail: one-time allocations happen here */
	ck_assert(whole_path());
	bool counts = injectable > 0;
	fail_at = -1;
	if (!counts)
		return; /* valgrind owns malloc here */
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
			ck_assert_msg(k > 50, "only %ld allocations: is the counter broken?", k);
			break;
		}
		ck_assert_msg(k < 200000, "no end to the allocations");
	}
#endif
}
END_TEST

void
tl_test_add_suites(SRunner *sr)
{
	Suite *s = suite_create("scenario-alloc");
	TCase *tc = tcase_create("chaos");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, every_allocation_failure_is_clean);
	suite_add_tcase(s, tc);
	srunner_add_suite(sr, s);
}
