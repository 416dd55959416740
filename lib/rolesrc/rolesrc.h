/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Role sources (docs/roles-from-iac.md): the IAM roles and OIDC providers
 * where teams keep them, read offline into one shape.
 *
 *   - a trust policy document (a plain JSON file);
 *   - `aws iam get-role` output (the document decoded, or URL-encoded as
 *     the raw IAM API returns it);
 *   - `aws iam get-account-authorization-details` (RoleDetailList), with
 *     `aws iam list-open-id-connect-providers` and
 *     `aws iam get-open-id-connect-provider` as companions (the snapshot
 *     itself carries no OIDC providers);
 *   - a Terraform plan (`terraform show -json PLAN`) and Terraform state
 *     (`terraform show -json`, or the raw `terraform state pull`):
 *     aws_iam_role, aws_iam_openid_connect_provider,
 *     with values unknown until apply resolved from the planned resources
 *     where the plan allows it;
 *   - CloudFormation templates in JSON or YAML (CDK's cdk.out too):
 *     AWS::IAM::Role, AWS::IAM::OIDCProvider and CDK's
 *     Custom::AWSCDKOpenIdConnectProvider, with the intrinsic functions
 *     trust policies use resolved.
 *
 * One set collects any number of sources. Errors name the file, the
 * resource (address or logical id) and the JSON path; nothing is guessed:
 * a value that cannot be known offline is an error, never a placeholder.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

enum tl_rolesrc_format {
	TL_ROLESRC_AUTO = 0, /* detect (tl_rolesrc_detect) */
	TL_ROLESRC_POLICY, /* "policy": a trust policy document */
	TL_ROLESRC_GET_ROLE, /* "get-role" */
	TL_ROLESRC_ACCOUNT_DETAILS, /* "account-details" */
	TL_ROLESRC_OIDC_LIST, /* "oidc-providers": list-open-id-connect-providers */
	TL_ROLESRC_OIDC_PROVIDER, /* "oidc-provider": get-open-id-connect-provider */
	TL_ROLESRC_TERRAFORM_PLAN, /* "terraform-plan" */
	TL_ROLESRC_TERRAFORM_STATE, /* "terraform-state" */
	TL_ROLESRC_CLOUDFORMATION, /* "cloudformation": JSON or YAML */
};

/* The format's name as above ("terraform-plan"); "auto" for AUTO. */
const char *tl_rolesrc_format_name(enum tl_rolesrc_format f);
/* Parses a name; returns 0, or -1 with `err` listing the names. */
int tl_rolesrc_format_parse(const char *name, enum tl_rolesrc_format *out, struct tl_error *err);

struct tl_rolesrc_options {
	enum tl_rolesrc_format format; /* AUTO: detect */
	/* The account for ARNs the source leaves to AWS (${AWS::AccountId},
	 * a provider created in the same plan); NULL: unknown, and a value
	 * that needs it is an error. */
	const char *account;
	const char *region; /* ${AWS::Region}; NULL: us-east-1 */
	const char *partition; /* ${AWS::Partition}; NULL: aws */
	/* CloudFormation parameter values by name (an object of strings),
	 * over the template's Defaults. Borrowed; may be NULL. */
	const json_t *parameters;
	size_t max_bytes; /* largest source file; 0: 16 MiB */
};

struct tl_rolesrc_role {
	const char *name; /* the IAM role name (or the logical id / address label) */
	const char *file; /* the source file */
	/* Where in the file: a Terraform address (module.ci.aws_iam_role.x),
	 * a CloudFormation logical id, a JSON path (RoleDetailList[2]); ""
	 * for a plain policy file. */
	const char *where;
	const char *policy; /* the trust policy document, decoded JSON text */
	int max_session_duration; /* seconds; 0: not given (IAM's default, 3600) */
	const char *account; /* 12 digits, NULL when the source does not say */
	const char *arn; /* NULL when not known before apply */
};

struct tl_rolesrc_provider {
	const char *url; /* https://HOST[/PATH] */
	const char *
		arn; /* arn:PARTITION:iam::ACCOUNT:oidc-provider/HOST[/PATH]; NULL: account unknown */
	const char *const *client_ids;
	size_t n_client_ids;
	const char *const *thumbprints;
	size_t n_thumbprints;
	const char *file;
	const char *where;
};

struct tl_rolesrc;

struct tl_rolesrc *tl_rolesrc_new(void);
void tl_rolesrc_free(struct tl_rolesrc *set);

/*
 * Which format `doc` (a parsed JSON or YAML document) is, from its keys:
 *   Version + Statement                        policy
 *   Role.AssumeRolePolicyDocument              get-role
 *   RoleDetailList                             account-details
 *   OpenIDConnectProviderList                  oidc-providers
 *   Url + ClientIDList                         oidc-provider
 *   format_version + planned_values, resource_changes, configuration
 *     or prior_state                           terraform-plan
 *   format_version + values, or format_version alone
 *                                              terraform-state
 *   lineage + terraform_version + resources    terraform-state (raw:
 *                                              terraform state pull)
 *   Resources or AWSTemplateFormatVersion      cloudformation
 * AUTO when none fits.
 */
enum tl_rolesrc_format tl_rolesrc_detect(const json_t *doc);

/*
 * Reads one source and adds its roles and providers to `set`. A file
 * named .yaml or .yml, or whose first non-blank byte is not '{', is read as
 * YAML (CloudFormation's short-form tags accepted); otherwise as JSON. A
 * directory adds every *.template.json in it (CDK's cdk.out), sorted.
 * Returns 0, or -1 with `err` set (err->file the source, err->path the
 * JSON path, the message naming the resource): TL_ERR_IO, TL_ERR_SYNTAX,
 * TL_ERR_INVALID, TL_ERR_LIMIT, TL_ERR_NOMEM. On error `set` is left as
 * it was.
 */
int tl_rolesrc_load_file(struct tl_rolesrc *set, const char *path,
			 const struct tl_rolesrc_options *opt, struct tl_error *err);

/* The same from memory; `name` is the file name used in results and errors. */
int tl_rolesrc_load(struct tl_rolesrc *set, const char *text, size_t len, const char *name,
		    const struct tl_rolesrc_options *opt, struct tl_error *err);

/*
 * For commands that take "a policy file or any role source" (lint, probe,
 * diff): a new set holding the roles of `path` when it is a role source
 * other than a plain policy document (*status 1). NULL with *status 0 when
 * `path` is a plain policy document or no source format reads it: the
 * caller reads it as a policy file and reports its own errors. NULL with
 * *status -1 and `err` set when a source format recognised the file and
 * refused it, or found no role in it.
 */
struct tl_rolesrc *tl_rolesrc_open_roles(const char *path, const struct tl_rolesrc_options *opt,
					 int *status, struct tl_error *err);
size_t tl_rolesrc_role_count(const struct tl_rolesrc *set);
const struct tl_rolesrc_role *tl_rolesrc_role(const struct tl_rolesrc *set, size_t i);
size_t tl_rolesrc_provider_count(const struct tl_rolesrc *set);
const struct tl_rolesrc_provider *tl_rolesrc_provider(const struct tl_rolesrc *set, size_t i);

/*
 * Notes on what was skipped ("FILE: ADDRESS: skipped: ..."), in order:
 * resources of types that hold no role, data sources, deleted roles.
 */
size_t tl_rolesrc_note_count(const struct tl_rolesrc *set);
const char *tl_rolesrc_note(const struct tl_rolesrc *set, size_t i);

/*
 * Whether `glob` (fnmatch(3), '/' ordinary) matches the role's name or
 * its `where` (a Terraform address or logical id).
 */
bool tl_rolesrc_role_matches(const struct tl_rolesrc_role *r, const char *glob);

/*
 * The providers a role's policy trusts: each distinct Principal.Federated
 * value of its statements, in order, as a new array of strings (caller
 * decrefs); NULL when the policy is not JSON or out of memory.
 */
json_t *tl_rolesrc_role_federated(const struct tl_rolesrc_role *r);

/*
 * The policy's size as IAM counts it against the ACLSizePerRole quota:
 * characters, whitespace not counted (reference/sts.md §3.1).
 */
size_t tl_rolesrc_policy_size(const char *policy);

/*
 * Decodes the percent escapes of a policy document as the raw IAM API
 * returns it ("%7B%22Version%22...", RFC 3986): %XX to the byte, every
 * other character as it is ('+' stays '+'). Returns a new string (caller frees), or NULL
 * with `err` set: TL_ERR_SYNTAX for a '%' not followed by two hex digits
 * (the message gives the offset) or a decoded NUL, TL_ERR_NOMEM.
 */
char *tl_rolesrc_url_decode(const char *s, struct tl_error *err);
