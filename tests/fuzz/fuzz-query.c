/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the AWS query/form parser (lib/sts/query.h) and what
 * mock-sts does next with a parsed request: the Action/Version allowlist,
 * AssumeRoleWithWebIdentity or IAM parameter validation, list collection,
 * and the XML error envelope of whatever fault came out (every message
 * carries bytes of the input, so this also runs the XML escaping).
 *
 * Input: a form body (or a GET query string), as the seeds built from
 * tests/data/sts by tests/fuzz/make-seeds.sh. Built with -Dfuzz=enabled as
 * a libFuzzer (or AFL++) binary, and always as fuzz-query-replay, which
 * runs the committed corpus tests/fuzz/corpus/query as a test.
 *
 * Invariants: a failure names a fault with a message; every parsed value
 * is NUL-free valid text of the length reported; a key is never repeated.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts/arwwi.h"
#include "sts/iam.h"
#include "sts/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
render_fault(const struct tl_sts_fault *f, enum tl_sts_service service)
{
	struct tl_buf b;

	if (f->code == TL_STS_OK || f->message[0] == '\0')
		abort(); /* a failure must say why */
	tl_buf_init(&b, 64 * 1024);
	if (tl_sts_fault_xml(&b, f, "00000000-0000-0000-0000-000000000000", service, NULL) < 0)
		abort();
	tl_buf_finish(&b);
}

static void
check_params(const struct tl_sts_query *q)
{
	for (size_t i = 0; i < q->count; i++) {
		const struct tl_sts_param *p = &q->params[i];
		if (p->key[0] == '\0' || strlen(p->value) != p->value_len)
			abort();
		if (tl_sts_query_get(q, p->key) != p->value)
			abort(); /* duplicates are refused, so the first is the only one */
	}
}

static void
validate(const struct tl_sts_query *q)
{
	const struct tl_sts_action_info *info = NULL;
	struct tl_sts_fault f = {0};
	const char *arns[TL_STS_POLICY_ARNS_MAX];
	size_t count = 0;

	if (tl_sts_query_action(q, &info, &f) < 0) {
		render_fault(&f, TL_STS_SERVICE_STS);
		return;
	}
	if (!info || !info->name)
		abort();
	if (tl_sts_query_list(q, "PolicyArns", ".arn", arns, TL_STS_POLICY_ARNS_MAX, true, &count,
			      &f) < 0)
		render_fault(&f, info->service);
	if (info->action == TL_STS_ACTION_ASSUME_ROLE_WITH_WEB_IDENTITY) {
		struct tl_sts_arwwi_request req;
		struct tl_sts_arwwi_options opts = {.allow_provider_id = false};
		f = (struct tl_sts_fault){0};
		if (tl_sts_arwwi_parse(q, &opts, &req, &f) < 0) {
			render_fault(&f, TL_STS_SERVICE_STS);
			return;
		}
		if (!req.role_arn || !req.role_session_name || !req.web_identity_token)
			abort();
		f = (struct tl_sts_fault){0};
		if (tl_sts_arwwi_check_duration(&req, 3600, &f) < 0)
			render_fault(&f, TL_STS_SERVICE_STS);
	} else if (info->service == TL_STS_SERVICE_IAM) {
		struct tl_sts_iam_request req;
		f = (struct tl_sts_fault){0};
		if (tl_sts_iam_parse(q, info->action, &req, &f) < 0)
			render_fault(&f, TL_STS_SERVICE_IAM);
		else if (req.policy_document &&
			 tl_sts_iam_check_policy_size(req.policy_document,
						      TL_STS_IAM_TRUST_POLICY_QUOTA, &f) < 0)
			render_fault(&f, TL_STS_SERVICE_IAM);
		tl_sts_iam_request_finish(&req);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the defaults, then tight limits so that every limit is reachable */
	static const struct tl_sts_query_limits tight = {
		.max_input = 512, .max_params = 8, .max_key_len = 24, .max_value_len = 64};
	const struct tl_sts_query_limits *limits[] = {NULL, &tight};

	for (size_t l = 0; l < 2; l++) {
		struct tl_sts_query q;
		struct tl_sts_fault f = {0};

		tl_sts_query_init(&q);
		if (tl_sts_query_parse(&q, (const char *)data, size, limits[l], &f) < 0) {
			if (q.count != 0)
				abort(); /* emptied on failure */
			render_fault(&f, TL_STS_SERVICE_STS);
		} else {
			check_params(&q);
			if (l == 0)
				validate(&q);
		}
		tl_sts_query_finish(&q);
	}
	return 0;
}
