/* SPDX-License-Identifier: MIT */
#pragma once

/* The rolesrc module's room: the set and the per-format readers. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#include "json/json.h"
#include "rolesrc.h"

struct tl_rolesrc {
	struct tl_rolesrc_role *roles;
	size_t n_roles, cap_roles;
	struct tl_rolesrc_provider *providers;
	size_t n_providers, cap_providers;
	char **notes;
	size_t n_notes, cap_notes;
};

/* What one source reader gets: the document, where it came from, and the
 * set to add to. */
struct tl_rolesrc_ctx {
	struct tl_rolesrc *set;
	const char *file;
	const struct tl_rolesrc_options *opt;
	struct tl_error *err;
};

/*
 * Adds a role (copies every string; account/arn may be NULL). `policy`
 * is the document text; it must be a JSON object. Returns 0 or -1 with
 * the error set at `where`.
 */
int tl_rolesrc_add_role(struct tl_rolesrc_ctx *c, const char *name, const char *where,
			const char *policy, int max_session_duration, const char *account,
			const char *arn);

/*
 * Adds a provider (copies; `client_ids`/`thumbprints` arrays of strings
 * or NULL). A provider with the same ARN, or the same URL when either ARN
 * is unknown, is merged: lists filled where empty, ARN where unknown.
 */
int tl_rolesrc_add_provider(struct tl_rolesrc_ctx *c, const char *url, const char *arn,
			    const json_t *client_ids, const json_t *thumbprints, const char *where);

int tl_rolesrc_add_note(struct tl_rolesrc_ctx *c, const char *fmt, ...) TL_PRINTF(2, 3);

/* Fails with TL_ERR_INVALID at `path` in the source: "WHAT: message". */
int tl_rolesrc_fail(struct tl_rolesrc_ctx *c, enum tl_errcode code, const char *path,
		    const char *fmt, ...) TL_PRINTF(4, 5);

/* "arn:PARTITION:iam::ACCOUNT:oidc-provider/HOST[/PATH]" for a provider
 * URL (with or without https://); caller frees. NULL on NOMEM. */
char *tl_rolesrc_provider_arn(const char *partition, const char *account, const char *url);

/* The account of an IAM ARN into out[13]; false when `arn` has none. */
bool tl_rolesrc_arn_account(const char *arn, char out[13]);

/* tl_json_type_name(), and "nothing" for an absent value. */
static inline const char *
tl_rolesrc_type_name(const json_t *v)
{
	return v ? tl_json_type_name(v) : "nothing";
}

/* Terraform plan or state, CloudFormation template. */
int tl_rolesrc_terraform(struct tl_rolesrc_ctx *c, const json_t *doc, bool plan);
int tl_rolesrc_cloudformation(struct tl_rolesrc_ctx *c, const json_t *doc);

/*
 * The CloudFormation intrinsic resolver, for tests: resolves every
 * intrinsic function in `value` against `template` (its Parameters,
 * Conditions, Mappings and Resources). Returns a new value, or NULL with
 * `err` set at `path` + the path inside `value`, the message starting with
 * `what` (the resource).
 */
json_t *tl_rolesrc_cfn_resolve(const json_t *template_doc, const json_t *value,
			       const struct tl_rolesrc_options *opt, const char *what,
			       const char *path, struct tl_error *err);
