/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * ARNs and IAM names as IAM writes and validates them:
 * `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, role ARNs
 * `arn:aws:iam::123456789012:role/PATH/NAME` (path kept in the role ARN,
 * dropped from the assumed-role ARN, reference/sts.md §1.3), OIDC provider
 * ARNs `arn:aws:iam::123456789012:oidc-provider/HOST/PATH` (§2.1).
 */

#include <stdbool.h>
#include <stddef.h>

#define TL_STS_ACCOUNT_LEN 12
#define TL_STS_ARN_MAX 2048
#define TL_STS_ROLE_NAME_MAX 64
#define TL_STS_ROLE_PATH_MAX 512

struct tl_sts_arn {
	char partition[32];
	char service[32];
	char region[32];
	char account[32];
	char resource[TL_STS_ARN_MAX + 1];
};

/* Splits an ARN into its six parts: `arn`, non-empty partition, service
 * and resource; the resource may contain colons. -1 when not an ARN. */
int tl_sts_arn_parse(const char *text, struct tl_sts_arn *arn);

/* 12 ASCII digits. */
bool tl_sts_account_valid(const char *account);
/* IAM role name: [\w+=,.@-]{1,64}. */
bool tl_sts_role_name_valid(const char *name);
/* IAM path: `/` or `/[\x21-\x7E]+/`, at most 512 characters. */
bool tl_sts_role_path_valid(const char *path);
/* RoleSessionName / SourceIdentity: [\w+=,.@-]{2,64}. */
bool tl_sts_session_name_valid(const char *name);

/*
 * A role ARN `arn:aws:iam::ACCOUNT:role/PATH/NAME` (partitions aws,
 * aws-cn, aws-us-gov): fills account (13 bytes), path (with leading and
 * trailing `/`, at least "/") and name. -1 when it is not a valid role ARN.
 */
int tl_sts_arn_role(const char *text, char account[TL_STS_ACCOUNT_LEN + 1],
		    char path[TL_STS_ROLE_PATH_MAX + 1], char name[TL_STS_ROLE_NAME_MAX + 1]);

/* An OIDC provider ARN: fills account and the provider URL without the
 * `https://` (host and optional path). -1 when it is not one. */
int tl_sts_arn_oidc_provider(const char *text, char account[TL_STS_ACCOUNT_LEN + 1], char *url,
			     size_t url_size);

/* Writers; each returns the snprintf length (>= size means truncated). */
int tl_sts_arn_format_role(char *out, size_t size, const char *account, const char *path,
			   const char *name);
int tl_sts_arn_format_assumed_role(char *out, size_t size, const char *account,
				   const char *role_name, const char *session_name);
/* `url` with or without `https://`. */
int tl_sts_arn_format_oidc_provider(char *out, size_t size, const char *account, const char *url);
