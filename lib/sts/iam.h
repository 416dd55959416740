/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The IAM subset mock-sts serves on the same endpoint (DESIGN.md §5): the
 * request side parsed into validated structs with IAM's model constraints
 * (Coral ValidationError messages) and IAM's own write-time checks
 * (InvalidInput, LimitExceeded), and the response documents in the shape
 * of AWS's API reference samples (namespace
 * https://iam.amazonaws.com/doc/2010-05-08/). Stateless: NoSuchEntity and
 * EntityAlreadyExists belong to the service that holds the state; policy
 * grammar (MalformedPolicyDocument) to the policy engine.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

#include "sts/arn.h"
#include "sts/errors.h"
#include "sts/query.h"

#define TL_STS_IAM_CLIENT_IDS_MAX 100
#define TL_STS_IAM_THUMBPRINTS_MAX 5
#define TL_STS_IAM_TAGS_MAX 50
#define TL_STS_IAM_URL_MAX 255
#define TL_STS_IAM_SESSION_MIN 3600
#define TL_STS_IAM_SESSION_MAX 43200
#define TL_STS_IAM_TRUST_POLICY_QUOTA 2048 /* ACLSizePerRole default */

struct tl_sts_iam_tag {
	const char *key;
	const char *value;
};

/* A validated IAM request; strings borrowed from the tl_sts_query. */
struct tl_sts_iam_request {
	enum tl_sts_action action;
	/* CreateOpenIDConnectProvider */
	const char *url; /* as given, https://... */
	char url_host_path[TL_STS_ARN_MAX + 1]; /* without https://, as IAM stores it */
	const char *client_ids[TL_STS_IAM_CLIENT_IDS_MAX];
	size_t client_id_count;
	const char *thumbprints[TL_STS_IAM_THUMBPRINTS_MAX];
	size_t thumbprint_count;
	/* Get/Delete/AddClientIDTo OpenIDConnectProvider */
	const char *provider_arn;
	char provider_account[TL_STS_ACCOUNT_LEN + 1];
	const char *client_id;
	/* roles */
	const char *role_name;
	const char *path; /* "/" when absent */
	const char *policy_document; /* AssumeRolePolicyDocument / PolicyDocument */
	const char *description; /* NULL when absent */
	int max_session_duration; /* 0 when absent (CreateRole default 3600) */
	const char *permissions_boundary;
	struct tl_sts_iam_tag tags[TL_STS_IAM_TAGS_MAX];
	size_t tag_count;
	/* ListRoles */
	const char *path_prefix; /* "/" when absent */
	const char *marker;
	int max_items; /* 100 when absent */
	/* the length of the action's main list (client ids, tags), for logs */
	size_t list_count;
};

/*
 * Validates the parameters of IAM `action` (the query went through
 * tl_sts_query_action). Model constraints first, all gathered into one
 * ValidationError; then IAM's checks: provider URL (https, a host, no
 * port, query, fragment or user info: InvalidInput), thumbprints (40 hex:
 * InvalidInput), provider ARN syntax (InvalidInput "ARN ... is not
 * valid."), more than 100 client ids or 5 thumbprints (LimitExceeded).
 */
int tl_sts_iam_parse(const struct tl_sts_query *q, enum tl_sts_action action,
		     struct tl_sts_iam_request *req, struct tl_sts_fault *fault);

/* Releases nothing today; call it anyway (the struct may grow owners). */
void tl_sts_iam_request_finish(struct tl_sts_iam_request *req);

/*
 * IAM's trust-policy size quota: characters other than whitespace
 * (reference/sts.md §3.1). Over `quota`: LimitExceeded "Cannot exceed
 * quota for ACLSizePerRole: QUOTA".
 */
size_t tl_sts_iam_policy_size(const char *document);
int tl_sts_iam_check_policy_size(const char *document, size_t quota, struct tl_sts_fault *fault);

/* What the responses describe; strings borrowed. */
struct tl_sts_iam_oidc_provider {
	const char *url; /* host/path, without https:// (as GetOpenIDConnectProvider shows it) */
	const char *const *client_ids;
	size_t client_id_count;
	const char *const *thumbprints;
	size_t thumbprint_count;
	int64_t create_date; /* Unix seconds */
	const struct tl_sts_iam_tag *tags;
	size_t tag_count;
};

struct tl_sts_iam_role {
	const char *path;
	const char *name;
	const char *id; /* AROA... */
	const char *arn;
	const char *assume_role_policy; /* the JSON as stored; URL-encoded on output */
	const char *description; /* NULL: left out */
	int max_session_duration;
	int64_t create_date;
	const struct tl_sts_iam_tag *tags;
	size_t tag_count;
};

int tl_sts_iam_create_oidc_provider_xml(struct tl_buf *out, const char *arn, const char *request_id,
					struct tl_error *err);
int tl_sts_iam_get_oidc_provider_xml(struct tl_buf *out, const struct tl_sts_iam_oidc_provider *p,
				     const char *request_id, struct tl_error *err);
int tl_sts_iam_list_oidc_providers_xml(struct tl_buf *out, const char *const *arns, size_t count,
				       const char *request_id, struct tl_error *err);
/* CreateRole or GetRole: `<{Create,Get}RoleResult><Role>...</Role>`. */
int tl_sts_iam_role_xml(struct tl_buf *out, enum tl_sts_action action,
			const struct tl_sts_iam_role *role, const char *request_id,
			struct tl_error *err);
int tl_sts_iam_list_roles_xml(struct tl_buf *out, const struct tl_sts_iam_role *roles, size_t count,
			      const char *next_marker, const char *request_id,
			      struct tl_error *err);
/* Actions that answer only ResponseMetadata (Delete*, AddClientID...,
 * UpdateAssumeRolePolicy) and UpdateRole (an empty UpdateRoleResult). */
int tl_sts_iam_empty_xml(struct tl_buf *out, enum tl_sts_action action, const char *request_id,
			 struct tl_error *err);

/* Percent-encodes all but RFC 3986 unreserved characters (space as %20),
 * as IAM returns policy documents and botocore's unquote() expects. */
int tl_sts_iam_url_encode(struct tl_buf *out, const char *s, struct tl_error *err);
