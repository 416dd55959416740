/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The client side of trustlab's two protocols, spoken over real HTTP the
 * way a CI job and an AWS SDK speak them: ask mock-issuer for a token
 * (`POST <prefix>/tokens`), set up mock-sts through the IAM query API
 * (SigV4-signed like botocore), and call AssumeRoleWithWebIdentity
 * (unsigned, form-encoded). The runner, `trustlab smoke` and the tools on
 * top of them use this; nothing here knows the servers' code, only their
 * wire contracts. One `struct tl_exchange` per thread.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"

struct tl_exchange;

struct tl_exchange_config {
	const char *issuer_url; /* mock-issuer base URL, "http://127.0.0.1:PORT" */
	const char *sts_url; /* mock-sts base URL */
	const char *access_key_id; /* IAM admin credentials; default "test" */
	const char *secret; /* default "test" */
	const char *region; /* default "us-east-1" */
	const struct tl_clock *clock; /* X-Amz-Date; NULL: system time */
	long timeout_ms; /* per request; default 10000 */
};

/* Copies the strings it needs. */
struct tl_exchange *tl_exchange_new(const struct tl_exchange_config *cfg, struct tl_error *err);
void tl_exchange_free(struct tl_exchange *ex);

/* What an AWS query call answered. */
struct tl_aws_reply {
	long status;
	char code[128]; /* <Error><Code>, "" on success */
	char message[1024]; /* <Error><Message> */
	char request_id[128]; /* <RequestId> */
	char decision[512]; /* x-trustlab-decision header, "" when absent */
	struct tl_buf body; /* the XML */
};

void tl_aws_reply_init(struct tl_aws_reply *r);
void tl_aws_reply_finish(struct tl_aws_reply *r);

/*
 * POSTs an AWS query request to mock-sts: `params` is a NULL-terminated
 * list of key, value, key, value, ... (Action and Version included).
 * `service` "iam" or "sts" signs the request with the admin credentials
 * (SigV4, as botocore does); NULL sends it unsigned. Any HTTP status is a
 * success here (-1 only when no reply came); read reply->status and code.
 */
int tl_exchange_aws_call(struct tl_exchange *ex, const char *service, const char *const *params,
			 struct tl_aws_reply *reply, struct tl_error *err);

/* The first <name>...</name> element's text, XML-unescaped, into `out`; false if absent. */
bool tl_xml_element_text(const char *xml, const char *name, char *out, size_t size);

/* What mock-issuer answered for a token request. */
struct tl_mint_result {
	long status; /* 200 token, 403 no-token, 400 bad request */
	char *token; /* on 200; owned */
	json_t *claims; /* on 200; owned reference */
	char reason[512]; /* on 403: why the provider gives no token; on 400: the message */
};

void tl_mint_result_finish(struct tl_mint_result *r);

/*
 * POST <issuer_url><prefix>/tokens with `request` (borrowed) as the body:
 * {"context": {...}, "audience": ..., "claims": {...}, "faults": [...]}.
 * -1 only for transport failures or a reply that is not the documented
 * JSON.
 */
int tl_exchange_mint(struct tl_exchange *ex, const char *prefix, const json_t *request,
		     struct tl_mint_result *res, struct tl_error *err);

/* What AssumeRoleWithWebIdentity gave, when it gave credentials. */
struct tl_assumed {
	char assumed_role_arn[512];
	char assumed_role_id[256];
	char access_key_id[64];
	char secret_access_key[128];
	char session_token[2048];
	char expiration[40];
	char subject[512];
	char audience[512];
	char provider[512];
};

/*
 * Calls AssumeRoleWithWebIdentity as an SDK does (unsigned form POST).
 * `duration_seconds` 0 leaves DurationSeconds out. On HTTP 200 `out` (may
 * be NULL) is filled from the response XML; otherwise reply->code says
 * which AWS error it was.
 */
int tl_exchange_assume(struct tl_exchange *ex, const char *role_arn, const char *session_name,
		       const char *token, long duration_seconds, struct tl_aws_reply *reply,
		       struct tl_assumed *out, struct tl_error *err);

/* --- IAM setup, as a user's setup script does it ----------------------- */

/*
 * CreateOpenIDConnectProvider for `url` (e.g.
 * https://token.actions.githubusercontent.com) with the NULL-terminated
 * `client_ids`. `arn` (may be NULL) receives the provider's ARN.
 */
int tl_exchange_create_provider(struct tl_exchange *ex, const char *url,
				const char *const *client_ids, char *arn, size_t arn_size,
				struct tl_aws_reply *reply, struct tl_error *err);
int tl_exchange_delete_provider(struct tl_exchange *ex, const char *arn, struct tl_aws_reply *reply,
				struct tl_error *err);

/*
 * CreateRole `name` with the trust policy text; `max_session_duration` 0
 * leaves IAM's default. `arn` (may be NULL) receives the role's ARN.
 */
int tl_exchange_create_role(struct tl_exchange *ex, const char *name, const char *policy,
			    long max_session_duration, char *arn, size_t arn_size,
			    struct tl_aws_reply *reply, struct tl_error *err);
int tl_exchange_delete_role(struct tl_exchange *ex, const char *name, struct tl_aws_reply *reply,
			    struct tl_error *err);

/* --- one case, end to end ------------------------------------------------ */

struct tl_exchange_case {
	const char *issuer_prefix; /* "/github" */
	const json_t *mint_request; /* body of POST <prefix>/tokens (borrowed) */
	const char *role_arn;
	const char *session_name;
	long duration_seconds; /* 0: left out */
};

struct tl_exchange_outcome {
	/* "allow", "deny" (AccessDenied), "no-token", or the AWS error code
	 * (InvalidIdentityToken, ExpiredTokenException, ValidationError, ...) */
	char outcome[128];
	char detail[1024]; /* the no-token reason or the AWS error message */
	char request_id[128]; /* mock-sts's RequestId, "" for no-token */
	char decision[512]; /* x-trustlab-decision */
	char assumed_role_arn[512];
	json_t *claims; /* the minted claims (owned), NULL for no-token */
};

void tl_exchange_outcome_finish(struct tl_exchange_outcome *o);

/*
 * Mints the case's token over HTTP and, when the provider gives one,
 * exchanges it with AssumeRoleWithWebIdentity. -1 only when a server could
 * not be reached or answered outside its contract (a 400 from the issuer
 * is such an answer: the case itself is malformed).
 */
int tl_exchange_run_case(struct tl_exchange *ex, const struct tl_exchange_case *c,
			 struct tl_exchange_outcome *out, struct tl_error *err);

/*
 * GET <sts>/_trustlab/decisions/<request_id>: the full decision trace
 * (a new reference) or NULL with err set.
 */
json_t *tl_exchange_decision(struct tl_exchange *ex, const char *request_id, struct tl_error *err);
