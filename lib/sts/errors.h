/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The AWS error catalogue of the STS and IAM query APIs, as one X-macro
 * table (lwan, curl; STYLE.md "one table per catalogue"). The table makes
 * the enum, the XML error envelope and docs/errors.md
 * (tools/gen-errors-md.c; a unit test fails when the committed file is
 * stale).
 *
 * Columns: enum suffix, HTTP status, wire <Code>, <Type> (Sender for 4xx,
 * Receiver for 5xx), default <Message> (verbatim from AWS where a
 * transcript exists, see reference/sts.md §1.5; services pass a specific
 * message where AWS varies it), what makes trustlab answer it, how to fix.
 */

#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/* clang-format off */
#define TL_STS_FOR_EACH_ERROR(X) \
	X(ACCESS_DENIED, 403, "AccessDenied", SENDER, \
	  "Not authorized to perform sts:AssumeRoleWithWebIdentity", \
	  "The role does not exist, or its trust policy does not allow this token (no Allow matched, an explicit Deny matched, or sts:TagSession / sts:SetSourceIdentity is not allowed while the token carries session tags / a source identity). AWS never says which; trustlab's decision trace (x-trustlab-decision, audit log) does.", \
	  "Run `trustlab explain` on the case: it names the statement, condition and value that failed. Check the role ARN, the Federated principal and the :sub/:aud conditions.") \
	X(VALIDATION_ERROR, 400, "ValidationError", SENDER, \
	  "1 validation error detected", \
	  "A parameter broke a model constraint (length, pattern, range, required), DurationSeconds exceeds the role's MaxSessionDuration, or an ARN is malformed. The message is AWS's Coral text: `N validation error(s) detected: Value '...' at 'member' failed to satisfy constraint: ...`.", \
	  "Fix the named parameter; the constraint is quoted in the message.") \
	X(INVALID_IDENTITY_TOKEN, 400, "InvalidIdentityToken", SENDER, \
	  "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.", \
	  "The token is not a well-formed JWT, its signature or algorithm is refused, no key matches, its issuer has no registered OpenID Connect provider, its audience is not in the provider's client ids, a required claim is missing, or the roles claim excludes the role.", \
	  "Compare the token's iss/aud with `aws iam get-open-id-connect-provider`; mint a fresh token; see the trace for the exact check.") \
	X(EXPIRED_TOKEN_EXCEPTION, 400, "ExpiredTokenException", SENDER, \
	  "Token expired", \
	  "The web identity token's exp is in the past (or it is not yet valid / too old) at the mock's clock.", \
	  "Mint a new token, or pin the clock (`--now`) of the scenario.") \
	X(IDP_REJECTED_CLAIM, 403, "IDPRejectedClaim", SENDER, \
	  "The identity provider rejected the claim.", \
	  "The identity provider reported an authentication failure or a revoked claim.", \
	  "Obtain a new token from the identity provider.") \
	X(IDP_COMMUNICATION_ERROR, 400, "IDPCommunicationError", SENDER, \
	  "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements", \
	  "The issuer's discovery document or JWKS could not be fetched (connection refused, timeout, bad status, malformed JSON). SDKs retry this error.", \
	  "Check that the mock issuer runs and that the provider's discovery URL mapping in mock-sts points at it.") \
	X(MALFORMED_POLICY_DOCUMENT, 400, "MalformedPolicyDocument", SENDER, \
	  "Syntax errors in policy.", \
	  "A trust policy (CreateRole, UpdateAssumeRolePolicy) or session policy (Policy) is not valid policy grammar; trustlab's message names the JSON path.", \
	  "Fix the policy at the JSON path in the message; `trustlab lint` shows every problem at once.") \
	X(PACKED_POLICY_TOO_LARGE, 400, "PackedPolicyTooLarge", SENDER, \
	  "Packed policy consumes 100% of allotted space, please use smaller policy.", \
	  "The session policy, managed policy ARNs and session tags together exceed the packed size limit.", \
	  "Pass a shorter session policy, fewer PolicyArns or fewer session tags.") \
	X(REGION_DISABLED_EXCEPTION, 403, "RegionDisabledException", SENDER, \
	  "STS is not activated in this region for account. Your account administrator can activate STS in this region using the IAM Console.", \
	  "STS is configured as not activated for the endpoint's region.", \
	  "Use another region or activate it in the mock's configuration.") \
	X(EXPIRED_TOKEN, 403, "ExpiredToken", SENDER, \
	  "The security token included in the request is expired", \
	  "A SigV4-signed call (GetCallerIdentity) used session credentials whose expiration has passed.", \
	  "Assume the role again to get fresh credentials.") \
	X(INVALID_CLIENT_TOKEN_ID, 403, "InvalidClientTokenId", SENDER, \
	  "The security token included in the request is invalid.", \
	  "A signed call used an access key id (or session token) the mock never issued, or the admin key is not the configured one.", \
	  "Use the credentials returned by AssumeRoleWithWebIdentity, or the admin credentials (`--admin-credentials`, default test/test) for IAM.") \
	X(SIGNATURE_DOES_NOT_MATCH, 403, "SignatureDoesNotMatch", SENDER, \
	  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", \
	  "The SigV4 signature differs from the one computed with the secret, the signing date is more than 15 minutes from the mock's clock (\"Signature expired: ...\"), or the credential scope names the wrong date, region or service.", \
	  "Check the secret, the system clock (or `--now`) and the region/service the client signs for (sts or iam).") \
	X(INCOMPLETE_SIGNATURE, 400, "IncompleteSignature", SENDER, \
	  "The request signature does not conform to AWS standards.", \
	  "The Authorization header (or X-Amz-* query parameters) lacks Credential, SignedHeaders or Signature, is not AWS4-HMAC-SHA256, does not sign Host, or has no X-Amz-Date.", \
	  "Sign the request with a SigV4 implementation (an AWS SDK or `trustlab`'s signer).") \
	X(MISSING_AUTHENTICATION_TOKEN, 403, "MissingAuthenticationToken", SENDER, \
	  "Request is missing Authentication Token", \
	  "An action that needs SigV4 (GetCallerIdentity, every IAM action) arrived unsigned.", \
	  "Configure credentials in the client (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).") \
	X(REQUEST_EXPIRED, 400, "RequestExpired", SENDER, \
	  "Request has expired.", \
	  "A presigned request (X-Amz-Expires) arrived after its expiry.", \
	  "Presign again with a longer X-Amz-Expires.") \
	X(INVALID_ACTION, 400, "InvalidAction", SENDER, \
	  "The action or operation requested is invalid. Verify that the action is typed correctly.", \
	  "The Action is not one mock-sts implements for the given Version (STS 2011-06-15, IAM 2010-05-08).", \
	  "Check the action name and Version; the supported actions are listed in docs/mock-sts.md.") \
	X(MISSING_ACTION, 400, "MissingAction", SENDER, \
	  "Missing Action", \
	  "The request has no Action parameter.", \
	  "Send Action=... in the form body or the query string.") \
	X(MISSING_PARAMETER, 400, "MissingParameter", SENDER, \
	  "A required parameter for the specified action is not supplied.", \
	  "The request has no Version parameter (the message is `The request must contain the parameter Version`).", \
	  "Send Version=2011-06-15 (STS) or Version=2010-05-08 (IAM).") \
	X(INVALID_PARAMETER_VALUE, 400, "InvalidParameterValue", SENDER, \
	  "An invalid or out-of-range value was supplied for the input parameter.", \
	  "A value is not of the parameter's type (DurationSeconds not an integer), or ProviderId was sent with an OpenID Connect token.", \
	  "Send the value in the documented type; leave ProviderId out for OIDC tokens.") \
	X(INVALID_PARAMETER_COMBINATION, 400, "InvalidParameterCombination", SENDER, \
	  "Parameters that must not be used together were used together.", \
	  "Two parameters that exclude each other were both given.", \
	  "Remove one of them.") \
	X(INVALID_QUERY_PARAMETER, 400, "InvalidQueryParameter", SENDER, \
	  "The AWS query string is malformed or does not adhere to AWS standards.", \
	  "A parameter is unknown to the action, given twice, or a list (.member.N) has a gap or too many entries. AWS ignores unknown parameters; trustlab refuses them so that typos cannot pass silently.", \
	  "Remove the parameter named in the message; number list members 1, 2, 3, ...") \
	X(MALFORMED_QUERY_STRING, 404, "MalformedQueryString", SENDER, \
	  "The query string contains a syntax error.", \
	  "The form body or query string has an invalid %-escape, a NUL byte, invalid UTF-8, an empty key, or exceeds a size cap.", \
	  "URL-encode the body as application/x-www-form-urlencoded in UTF-8.") \
	X(REQUEST_ENTITY_TOO_LARGE, 413, "RequestEntityTooLarge", SENDER, \
	  "Request body too large", \
	  "The request body is larger than mock-sts accepts (64 KiB by default). trustlab-specific; AWS's answer is undocumented.", \
	  "Send a smaller request; a web identity token is at most 20,000 characters.") \
	X(NO_SUCH_ENTITY, 404, "NoSuchEntity", SENDER, \
	  "The request was rejected because it referenced a resource entity that does not exist.", \
	  "IAM: the role or OpenID Connect provider named in the request does not exist.", \
	  "Create it first, or check the name / ARN and the account.") \
	X(ENTITY_ALREADY_EXISTS, 409, "EntityAlreadyExists", SENDER, \
	  "The request was rejected because it attempted to create a resource that already exists.", \
	  "IAM: a role with that name or a provider with that URL exists already.", \
	  "Delete it first, or use Update* actions.") \
	X(LIMIT_EXCEEDED, 409, "LimitExceeded", SENDER, \
	  "The request was rejected because it attempted to create resources beyond the current AWS account limits.", \
	  "IAM: the trust policy is longer than the ACLSizePerRole quota (2,048 non-whitespace characters by default), or a provider already has 100 client ids, or the account has 100 providers.", \
	  "Shorten the trust policy (or raise the quota in the mock's configuration), or remove entries.") \
	X(INVALID_INPUT, 400, "InvalidInput", SENDER, \
	  "The request was rejected because an invalid or out-of-range value was supplied for an input parameter.", \
	  "IAM: a value passed the model constraints but IAM refuses it (provider URL not https, with a port or query; duplicate client id; malformed ARN).", \
	  "Fix the value named in the message.") \
	X(DELETE_CONFLICT, 409, "DeleteConflict", SENDER, \
	  "Cannot delete entity, must detach all policies first.", \
	  "IAM: the entity still has attachments.", \
	  "Detach them first.") \
	X(OPT_IN_REQUIRED, 403, "OptInRequired", SENDER, \
	  "The AWS access key ID needs a subscription for the service.", \
	  "Not produced by mock-sts; listed because SDKs know it.", \
	  "-") \
	X(NOT_AUTHORIZED, 400, "NotAuthorized", SENDER, \
	  "You do not have permission to perform this action.", \
	  "Not produced by mock-sts; listed because SDKs know it.", \
	  "-") \
	X(THROTTLING, 400, "Throttling", SENDER, \
	  "Rate exceeded", \
	  "The mock is configured to throttle (fault injection), so clients' retry logic can be tested.", \
	  "Retry with backoff, as the SDKs do.") \
	X(INTERNAL_FAILURE, 500, "InternalFailure", RECEIVER, \
	  "The request processing has failed because of an unknown error, exception or failure.", \
	  "A bug or resource failure in mock-sts (out of memory, state file not writable).", \
	  "Check mock-sts's log; report the request id.") \
	X(SERVICE_FAILURE, 500, "ServiceFailure", RECEIVER, \
	  "The request processing has failed because of an unknown error, exception or failure.", \
	  "IAM: as InternalFailure, for IAM actions.", \
	  "Check mock-sts's log; report the request id.") \
	X(SERVICE_UNAVAILABLE, 503, "ServiceUnavailable", RECEIVER, \
	  "The request has failed due to a temporary failure of the server.", \
	  "mock-sts is shutting down or out of connections.", \
	  "Retry.")
/* clang-format on */

enum tl_sts_error {
	TL_STS_OK = 0,
#define TL_STS_X_ENUM(name_, ...) TL_STS_##name_,
	TL_STS_FOR_EACH_ERROR(TL_STS_X_ENUM)
#undef TL_STS_X_ENUM
		TL_STS_ERROR_COUNT_PLUS_ONE
};

#define TL_STS_ERROR_COUNT ((size_t)TL_STS_ERROR_COUNT_PLUS_ONE - 1)

struct tl_sts_error_info {
	enum tl_sts_error code;
	int status;
	const char *name; /* wire <Code> */
	const char *type; /* "Sender" or "Receiver" */
	const char *message;
	const char *cause;
	const char *fix;
};

/* Row of the table; NULL for TL_STS_OK or out of range. */
const struct tl_sts_error_info *tl_sts_error_info(enum tl_sts_error code);

/* Looks a wire code up ("AccessDenied"); TL_STS_OK when unknown. */
enum tl_sts_error tl_sts_error_from_name(const char *name);

/*
 * A failed request: the AWS error and the exact message to send. Library
 * calls that validate requests fill one of these (not a struct tl_error,
 * which is for the caller's own failures).
 */
#define TL_STS_MESSAGE_MAX 8192
struct tl_sts_fault {
	enum tl_sts_error code;
	char message[TL_STS_MESSAGE_MAX];
};

/* Sets `f` (if not NULL) to `code` and the formatted message (NULL fmt: the
 * table's default message). Always returns -1. */
int tl_sts_fault_set(struct tl_sts_fault *f, enum tl_sts_error code, const char *fmt, ...)
	TL_PRINTF(3, 4);

/* Which API answers: the envelope's XML namespace differs. */
enum tl_sts_service {
	TL_STS_SERVICE_STS,
	TL_STS_SERVICE_IAM,
};

/* "https://sts.amazonaws.com/doc/2011-06-15/" or the IAM one. */
const char *tl_sts_service_namespace(enum tl_sts_service service);
/* "2011-06-15" or "2010-05-08". */
const char *tl_sts_service_version(enum tl_sts_service service);

/*
 * Appends AWS's error envelope (reference/sts.md §1.4), identical for STS
 * and IAM but for the namespace:
 *
 *   <ErrorResponse xmlns="NS">
 *     <Error>
 *       <Type>Sender</Type>
 *       <Code>CODE</Code>
 *       <Message>MESSAGE</Message>
 *     </Error>
 *     <RequestId>ID</RequestId>
 *   </ErrorResponse>
 *
 * `message` NULL means the table's default. The HTTP status to send is
 * tl_sts_error_info(code)->status.
 */
int tl_sts_error_xml(struct tl_buf *out, enum tl_sts_error code, const char *message,
		     const char *request_id, enum tl_sts_service service, struct tl_error *err);

/* Appends the fault's envelope (shorthand for tl_sts_error_xml). */
int tl_sts_fault_xml(struct tl_buf *out, const struct tl_sts_fault *fault, const char *request_id,
		     enum tl_sts_service service, struct tl_error *err);

/* Appends `s` escaped for XML text content (&, <, >; characters XML 1.0
 * cannot carry become U+FFFD). AWS does not escape quotes in text. */
int tl_sts_xml_text(struct tl_buf *out, const char *s, struct tl_error *err);

/* Writes docs/errors.md: the whole catalogue as Markdown. */
int tl_sts_errors_markdown(struct tl_buf *out, struct tl_error *err);
