/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * AssumeRoleWithWebIdentity and GetCallerIdentity on the wire: parameter
 * validation exactly as reference/sts.md §1.2 (AWS's Coral messages), the
 * issued credentials, and the success XML of §1.3 and §1.7. No token
 * verification and no policy evaluation here: the service (lib/stsd) does
 * those between parse and response.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/random.h"

#include "sts/errors.h"
#include "sts/query.h"

#define TL_STS_POLICY_ARNS_MAX 10
#define TL_STS_DURATION_MIN 900
#define TL_STS_DURATION_MAX 43200
#define TL_STS_DURATION_DEFAULT 3600

/* A validated request; strings are borrowed from the tl_sts_query. */
struct tl_sts_arwwi_request {
	const char *role_arn;
	const char *role_session_name;
	const char *web_identity_token;
	const char *provider_id; /* NULL when absent */
	const char *policy; /* NULL when absent */
	const char *policy_arns[TL_STS_POLICY_ARNS_MAX];
	size_t policy_arn_count;
	int duration_seconds; /* TL_STS_DURATION_DEFAULT when absent */
	bool duration_given;
};

struct tl_sts_arwwi_options {
	/* ProviderId is for OAuth 2.0 access tokens of www.amazon.com and
	 * graph.facebook.com only; AWS says "do not specify" it for OIDC.
	 * false (default): any ProviderId is InvalidParameterValue. */
	bool allow_provider_id;
};

/*
 * Validates the parameters of an AssumeRoleWithWebIdentity query (already
 * through tl_sts_query_action). Every model constraint failure is gathered
 * into one ValidationError ("N validation errors detected: ...", members in
 * model order: roleArn, roleSessionName, webIdentityToken, providerId,
 * policyArns, policy, durationSeconds); a RoleArn that passes the model but
 * is not an ARN is ValidationError "ARN is invalid". `opts` may be NULL.
 */
int tl_sts_arwwi_parse(const struct tl_sts_query *q, const struct tl_sts_arwwi_options *opts,
		       struct tl_sts_arwwi_request *req, struct tl_sts_fault *fault);

/* The role-maximum check (after the trust policy, §1.6 step 5):
 * ValidationError "The requested DurationSeconds exceeds the
 * MaxSessionDuration set for this role." */
int tl_sts_arwwi_check_duration(const struct tl_sts_arwwi_request *req, int max_session_duration,
				struct tl_sts_fault *fault);

/* Temporary credentials as STS issues them. */
#define TL_STS_ACCESS_KEY_ID_LEN 20 /* "ASIA" + 16 of [A-Z2-7] */
#define TL_STS_SECRET_ACCESS_KEY_LEN 40 /* [A-Za-z0-9+/] */
#define TL_STS_SESSION_TOKEN_LEN 400 /* "IQoJb3JpZ2luX2Vj" + base64 */
#define TL_STS_ROLE_ID_LEN 21 /* "AROA" + 17 of [A-Z2-7] */

struct tl_sts_credentials {
	char access_key_id[TL_STS_ACCESS_KEY_ID_LEN + 1];
	char secret_access_key[TL_STS_SECRET_ACCESS_KEY_LEN + 1];
	char session_token[TL_STS_SESSION_TOKEN_LEN + 1];
	int64_t expiration; /* Unix seconds */
};

/* Fills `out` from `rng` (reproducible when seeded). */
int tl_sts_credentials_generate(struct tl_rng *rng, int64_t expiration,
				struct tl_sts_credentials *out, struct tl_error *err);

/* A role's unique id, "AROA" + 17 characters. */
int tl_sts_role_id_generate(struct tl_rng *rng, char out[TL_STS_ROLE_ID_LEN + 1],
			    struct tl_error *err);

/* What the success response says; strings borrowed. */
struct tl_sts_arwwi_response {
	const char *subject; /* SubjectFromWebIdentityToken: the token's sub */
	const char *audience; /* the token's aud */
	const char *provider; /* the OIDC provider ARN (reference/sts.md §0.4) */
	const char *source_identity; /* NULL: element left out */
	const char *assumed_role_arn; /* arn:aws:sts::ACCT:assumed-role/NAME/SESSION */
	const char *assumed_role_id; /* AROA...:SESSION */
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;
	int64_t expiration; /* Unix seconds */
	int packed_policy_size; /* < 0: element left out (no session policy) */
};

/*
 * Appends the AssumeRoleWithWebIdentityResponse document in the element
 * order of AWS's API reference sample (reference/sts.md §1.3), two-space
 * indented, with PackedPolicySize after Credentials when present.
 */
int tl_sts_arwwi_response_xml(struct tl_buf *out, const struct tl_sts_arwwi_response *r,
			      const char *request_id, struct tl_error *err);

/* Appends the GetCallerIdentityResponse document (§1.7). */
int tl_sts_caller_identity_xml(struct tl_buf *out, const char *arn, const char *user_id,
			       const char *account, const char *request_id, struct tl_error *err);

/* Appends `<ResponseMetadata>` + closing tag shared by every response:
 * used by iam.c as well. */
int tl_sts_xml_metadata(struct tl_buf *out, const char *action, const char *request_id,
			struct tl_error *err);
