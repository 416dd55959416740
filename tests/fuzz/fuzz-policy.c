/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the trust-policy parser (and, for what parses, the
 * evaluator and both trace renderers). Built two ways:
 *
 *   - with -Dfuzz=enabled and clang: a libFuzzer binary
 *     (`fuzz-policy tests/fuzz/corpus/policy`);
 *   - always: a replay program (this file plus tests/fuzz/replay.c) that
 *     runs every file of the committed corpus once, registered as a test,
 *     so gcc, the sanitizers and valgrind all see the corpus.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
exercise(const struct tl_policy *p, const char *sub)
{
	struct tl_policy_context *ctx = tl_policy_context_new();
	struct tl_policy_trace *t = NULL;
	struct tl_buf b;

	if (!ctx)
		return;
	tl_policy_context_set_principal(
		ctx, TL_PRINCIPAL_FEDERATED,
		"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
		NULL);
	tl_policy_context_add(ctx, "token.actions.githubusercontent.com:sub", sub, NULL);
	tl_policy_context_add(ctx, "token.actions.githubusercontent.com:aud", "sts.amazonaws.com",
			      NULL);
	tl_policy_context_add(ctx, "aws:TagKeys", "team", NULL);
	tl_policy_context_add(ctx, "aws:TagKeys", "env", NULL);
	tl_policy_context_add(ctx, "aws:SourceIp", "203.0.113.7", NULL);
	tl_policy_context_add(ctx, "aws:CurrentTime", "2026-11-23T12:00:00Z", NULL);
	tl_policy_context_add(ctx, "aws:SourceArn", "arn:aws:iam::123456789012:role/x", NULL);
	enum tl_policy_decision fast = tl_policy_eval(p, ctx, NULL);
	enum tl_policy_decision traced = tl_policy_eval(p, ctx, &t);
	if (fast != traced)
		abort();
	if (t) {
		tl_buf_init(&b, 1 << 20);
		tl_policy_trace_render_text(t, &b, NULL);
		tl_buf_finish(&b);
		json_decref(tl_policy_trace_to_json(t));
		tl_policy_trace_free(t);
	}
	tl_policy_context_free(ctx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_policy_limits limits = {.max_chars = TL_POLICY_SIZE_MAX};
	struct tl_error err;
	struct tl_policy *p = tl_policy_parse((const char *)data, size, &limits, &err);

	if (!p) {
		if (err.code == TL_OK)
			abort(); /* a failure must say why */
		return 0;
	}
	exercise(p, "repo:acme/app:ref:refs/heads/main");
	exercise(p, "repo:acme/app:pull_request");
	tl_policy_free(p);
	return 0;
}
