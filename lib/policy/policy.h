/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * IAM role trust policies: parse and validate a document as IAM does when
 * it is saved (CreateRole / UpdateAssumeRolePolicy), then evaluate it for
 * a request with IAM's semantics and, when asked, explain the decision.
 *
 * Everything is parsed at load time (operators to an enum, values to typed
 * arrays, wildcard patterns pre-split), so evaluation parses nothing. A
 * parsed policy is immutable: any number of threads may evaluate it at
 * once. Evaluation without a trace allocates nothing.
 *
 * Semantics: reference/sts.md §3, reference/reliability.md §3; the rules
 * and the choices made where AWS is silent are listed in docs/policy.md.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct tl_buf;

/* Role trust policy length quota in non-whitespace characters. */
#define TL_POLICY_SIZE_DEFAULT 2048
#define TL_POLICY_SIZE_MAX 4096

struct tl_policy_limits {
	/* Non-whitespace characters allowed (0: the default, 2,048); values
	 * above TL_POLICY_SIZE_MAX (the raised quota, 4,096) are clamped. */
	size_t max_chars;
	/*
	 * AWS's write-time controls for shared OIDC providers
	 * (reference/sts.md §3.8): an Allow statement for
	 * sts:AssumeRoleWithWebIdentity that trusts GitHub, GitLab.com, HCP
	 * Terraform, Buildkite, ... must pin the tenant claim (`:sub`, or the
	 * provider's alternative) with StringEquals, StringLike or
	 * StringEqualsIgnoreCase to a value that is not "all". Off by default
	 * (the date AWS started to enforce it is unknown, and policies saved
	 * before are not re-checked); on, a violation is
	 * MalformedPolicyDocument with AWS's message.
	 */
	bool shared_provider_controls;
};

struct tl_policy;

/*
 * Parses and validates `len` bytes. `limits` may be NULL (defaults).
 * Returns a new policy, or NULL with `err` set: TL_ERR_LIMIT when the size
 * quota is exceeded (AWS: LimitExceeded), otherwise TL_ERR_SYNTAX or
 * TL_ERR_INVALID (AWS: MalformedPolicyDocument) with `err->path` the JSON
 * path of the offending element (`Statement[1].Condition.StringLike`) and
 * a message saying what is wrong with it; TL_ERR_NOMEM on allocation
 * failure.
 */
struct tl_policy *tl_policy_parse(const char *json, size_t len,
				  const struct tl_policy_limits *limits, struct tl_error *err);
void tl_policy_free(struct tl_policy *policy);

/*
 * The AWS error code for a failed tl_policy_parse: "LimitExceeded" or
 * "MalformedPolicyDocument".
 */
const char *tl_policy_aws_error(const struct tl_error *err);

/* Number of statements; the Version as written ("" when absent). */
size_t tl_policy_statement_count(const struct tl_policy *policy);
const char *tl_policy_version(const struct tl_policy *policy);

/* --- request context ---------------------------------------------------- */

enum tl_principal_type {
	TL_PRINCIPAL_FEDERATED, /* web identity: provider ARN or built-in name */
	TL_PRINCIPAL_AWS,
	TL_PRINCIPAL_SERVICE,
};

struct tl_policy_context;

/*
 * A request: who asks (principal), for what (action), and the condition
 * keys with one or more string values each. Key names are
 * case-insensitive; values are kept as given and typed on demand (a
 * Numeric operator parses the string). Not thread-safe while being built;
 * read-only during evaluation.
 */
struct tl_policy_context *tl_policy_context_new(void);
void tl_policy_context_free(struct tl_policy_context *ctx);

/* Copies the strings. Return 0, or -1 with `err` set (TL_ERR_NOMEM). */
int tl_policy_context_set_principal(struct tl_policy_context *ctx, enum tl_principal_type type,
				    const char *value, struct tl_error *err);
int tl_policy_context_set_action(struct tl_policy_context *ctx, const char *action,
				 struct tl_error *err);

/*
 * Adds one value to `key` (creating the key when new, matched
 * case-insensitively). `value` NULL creates the key with no value: an
 * empty set, present for Null but vacuous for ForAllValues.
 */
int tl_policy_context_add(struct tl_policy_context *ctx, const char *key, const char *value,
			  struct tl_error *err);

/*
 * Builds a context from JSON (the shape documented in docs/explain.md):
 *
 *   {"principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/..."},
 *    "action": "sts:AssumeRoleWithWebIdentity",
 *    "keys": {"token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main",
 *             "token.actions.githubusercontent.com:aud": ["sts.amazonaws.com"]}}
 *
 * `action` defaults to sts:AssumeRoleWithWebIdentity. Key values are a
 * string, number or boolean, or an array of them (a multivalued key).
 * Objects and null are refused with the JSON path (TL_ERR_INVALID): a
 * claim of the wrong shape must never turn into an absent key.
 */
struct tl_policy_context *tl_policy_context_from_json(const json_t *json, struct tl_error *err);

/* --- evaluation ---------------------------------------------------------- */

enum tl_policy_decision {
	TL_POLICY_IMPLICIT_DENY = 0, /* no statement allowed the request */
	TL_POLICY_ALLOW,
	TL_POLICY_EXPLICIT_DENY, /* a Deny statement applied */
};

/* "allow", "deny", "implicit-deny". */
const char *tl_policy_decision_name(enum tl_policy_decision d);

struct tl_policy_trace;

/*
 * Evaluates: an applicable Deny wins, else an applicable Allow, else
 * implicit deny. With `trace` not NULL, *trace receives a new trace (or
 * NULL if it could not be allocated; the decision is right either way)
 * which borrows strings from `policy` and `ctx`: free it first.
 */
enum tl_policy_decision tl_policy_eval(const struct tl_policy *policy,
				       const struct tl_policy_context *ctx,
				       struct tl_policy_trace **trace);

void tl_policy_trace_free(struct tl_policy_trace *trace);
enum tl_policy_decision tl_policy_trace_decision(const struct tl_policy_trace *trace);

/*
 * Appends the trace as text for a person: the decision, then one line per
 * statement and one per condition saying why it did or did not match.
 */
int tl_policy_trace_render_text(const struct tl_policy_trace *trace, struct tl_buf *out,
				struct tl_error *err);

/*
 * The statement that decided: the first applied statement of the deciding
 * effect (Allow for an allow, Deny otherwise), as its position in the
 * trace's statement list (the JSON "statements" array); *sid gets its Sid
 * or NULL. -1 when no statement decided (an implicit deny).
 */
long tl_policy_trace_deciding(const struct tl_policy_trace *trace, const char **sid);

/* The trace as a new JSON object (NULL on allocation failure). */
json_t *tl_policy_trace_to_json(const struct tl_policy_trace *trace);
