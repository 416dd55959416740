/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Credential-chain cases of a scenario (`credential_chain`,
 * docs/credential-chain.md, docs/scenario-format.md): the environment a
 * job would have (static keys, a web identity token file and role, ECS
 * container credentials, EC2 instance metadata, shared config files,
 * AWS_PROFILE, a profile hard-coded in the program) and the identity a
 * real SDK's default chain must end up with. The runner builds that
 * environment against its embedded servers and asks each SDK named for
 * GetCallerIdentity.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct tl_scenario;
struct tl_scenario_provider;

/* The SDKs a case runs with (a bit set). */
enum tl_chain_sdk {
	TL_CHAIN_SDK_NODE = 1 << 0, /* AWS SDK for JavaScript v3, fromNodeProviderChain */
	TL_CHAIN_SDK_BOTO3 = 1 << 1, /* boto3 / botocore's default chain */
};
#define TL_CHAIN_SDK_ALL (TL_CHAIN_SDK_NODE | TL_CHAIN_SDK_BOTO3)

/* "node", "boto3"; NULL for anything else. */
const char *tl_chain_sdk_name(enum tl_chain_sdk sdk);

enum tl_chain_expect {
	TL_CHAIN_EXPECT_ROLE, /* an assumed-role session of `expect_name` */
	TL_CHAIN_EXPECT_USER, /* the IAM user `expect_name` (static keys) */
	TL_CHAIN_EXPECT_NONE, /* the chain finds no credentials */
};

struct tl_chain_case {
	const char *scenario;
	const char *file;
	const char *name;
	const char *id; /* "SCENARIO/NAME" */
	const char *where; /* "credential_chain[2]" */
	unsigned sdks; /* enum tl_chain_sdk bits */

	/* environment.static_keys: AWS_ACCESS_KEY_ID of this IAM user, or NULL */
	const char *static_user;
	/* environment.web_identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN */
	const char *wi_role; /* NULL: none */
	const struct tl_scenario_provider *wi_provider;
	json_t *wi_token; /* the token context, borrowed */
	const char *wi_session; /* AWS_ROLE_SESSION_NAME, NULL: not set */
	/* environment.container: AWS_CONTAINER_CREDENTIALS_FULL_URI (+ token) */
	const char *task_role; /* NULL: none */
	const char *task_id;
	const char *task_authorization; /* "match", "wrong" or "missing" */
	/* environment.instance: AWS_EC2_METADATA_SERVICE_ENDPOINT */
	bool instance;
	const char *instance_id;
	const char *instance_role; /* NULL: no instance profile */
	bool imds_optional; /* http_tokens: optional (IMDSv1 allowed) */
	int hop_limit;
	bool in_container; /* the job runs in a container: two hops */
	/* environment.config_file / credentials_file: the text, placeholders
	 * not yet expanded; NULL: none (an empty file is written) */
	const char *config_text;
	const char *credentials_text;
	const char *aws_profile; /* environment.profile: AWS_PROFILE */
	const char *sdk_profile; /* hard-coded in the program */

	enum tl_chain_expect expect;
	const char *expect_name;
};

size_t tl_scenario_chain_count(const struct tl_scenario *s);
const struct tl_chain_case *tl_scenario_chain_case(const struct tl_scenario *s, size_t i);
