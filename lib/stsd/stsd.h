/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The STS/IAM service behind mock-sts (DESIGN.md §5-6, §9): the AWS query
 * protocol on `POST /` and `GET /`, AssumeRoleWithWebIdentity with the
 * token checks in AWS's order and a real trust-policy evaluation,
 * GetCallerIdentity for the credentials it issued, the IAM subset that sets
 * it up (OIDC providers and roles), and an explanation of every decision
 * (`x-trustlab-decision`, `GET /_trustlab/decisions/<RequestId>`, the
 * CloudTrail-shaped audit log).
 *
 * The library half: mock-sts (mock-sts/main.c) and the runner mount the same
 * service on a struct tl_http_server. Handlers run on the server's thread
 * pool; the service is safe for concurrent requests.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/clock.h"
#include "util/error.h"

struct tl_http_server;
struct tl_http_exchange;

/* `--issuer-map ISSUER=URL`: fetch ISSUER's discovery document and JWKS
 * from URL instead (a jwks_uri under ISSUER is rewritten to URL too). */
struct tl_stsd_issuer_map {
	const char *issuer; /* exactly as the token's iss */
	const char *url;
};

/* `--jwks-file ISSUER=FILE`: ISSUER's keys from a file, never fetched. */
struct tl_stsd_jwks_file {
	const char *issuer;
	const char *path;
};

struct tl_stsd_config {
	const char *account; /* 12 digits; default 123456789012 */
	const char *admin_access_key_id; /* default "test" */
	const char *admin_secret; /* default "test" */
	const char *region; /* for the audit log; default us-east-1 */
	const struct tl_clock *clock; /* borrowed, must outlive the service; NULL: system */
	const char *seed; /* NULL: secure randomness; else reproducible ids */
	const char *state_path; /* NULL: state in memory only */
	const char *audit_log_path; /* NULL: no audit log */
	const struct tl_stsd_issuer_map *issuer_maps;
	size_t issuer_map_count;
	const struct tl_stsd_jwks_file *jwks_files;
	size_t jwks_file_count;
	size_t policy_max_chars; /* trust-policy quota; 0: 2,048 (max 4,096) */
	int64_t skew_seconds; /* leeway for exp/nbf/iat; default 300 */
	int64_t jwks_ttl_seconds; /* JWKS cache lifetime; default 3600 */
	int64_t jwks_refetch_ms; /* minimum gap between unknown-kid refetches; default 1000 */
	long fetch_timeout_ms; /* discovery/JWKS fetch; default 5000 */
	size_t decisions_max; /* traces kept for /_trustlab/decisions; default 10,000 */
	size_t sessions_max; /* issued sessions remembered; default 100,000 */
	/* The IAM user the admin keys belong to (GetCallerIdentity answers
	 * arn:aws:iam::ACCOUNT:user/NAME); default "admin". */
	const char *admin_user;
	/* IAM quotas: RolesPerAccount (default 5,000, AWS's maximum) and
	 * OpenIdConnectProvidersPerAccount (default 100); raise them only for
	 * load tests (bench/run's scaling curves). */
	size_t roles_max;
	size_t providers_max;
};

/* Fills the defaults above. */
void tl_stsd_config_init(struct tl_stsd_config *cfg);

struct tl_stsd;

/*
 * Creates the service; the config is copied (strings too). With a
 * state_path that exists, the state is loaded from it (strictly: any error
 * names the file and JSON path); jwks_files are loaded now.
 */
struct tl_stsd *tl_stsd_new(const struct tl_stsd_config *cfg, struct tl_error *err);
/* Stop the servers it is mounted on first. Accepts NULL. */
void tl_stsd_free(struct tl_stsd *svc);

/*
 * Adds the routes (`POST /`, `GET /`, `GET /_trustlab/decisions/...`, the
 * ECS container-credentials endpoint `GET /_trustlab/ecs/<task-id>`) and
 * sets the server's error formatter to AWS's XML envelope. Before start.
 */
int tl_stsd_mount(struct tl_stsd *svc, struct tl_http_server *srv, struct tl_error *err);

/* The error formatter tl_stsd_mount installs (ctx is the service). */
void tl_stsd_http_error(void *svc, struct tl_http_exchange *ex, unsigned status,
			const char *message);

/*
 * In-process setup, with the same validation as the IAM actions (the
 * message is IAM's). `url` is https://HOST[/PATH]; `path` NULL means "/";
 * `max_session_duration` 0 means 3600.
 */
int tl_stsd_create_provider(struct tl_stsd *svc, const char *url, const char *const *client_ids,
			    size_t client_id_count, struct tl_error *err);
int tl_stsd_create_role(struct tl_stsd *svc, const char *name, const char *path,
			const char *trust_policy, int max_session_duration, struct tl_error *err);

/*
 * Preloads providers and roles from a JSON file (docs/mock-sts.md):
 * {"providers": [{"url": ..., "client_ids": [...]}],
 *  "roles": [{"name": ..., "path": ..., "trust_policy": "FILE",
 *             "max_session_duration": N}]}
 * Trust-policy paths are relative to the config file.
 */
int tl_stsd_load_config(struct tl_stsd *svc, const char *path, struct tl_error *err);

/* --- credential endpoints (docs/credential-chain.md) --------------------- */

/*
 * A static IAM user with a long-term access key (AKIA...), as a stale key
 * left in a CI environment would be: GetCallerIdentity signed with it
 * answers arn:aws:iam::ACCOUNT:user/NAME. Replaces a user of the same name.
 * `akid` is 16 to 128 of [A-Z0-9]; `secret` 1 to 128 characters.
 */
int tl_stsd_add_user(struct tl_stsd *svc, const char *name, const char *akid, const char *secret,
		     struct tl_error *err);

/* `HttpTokens` of an instance's metadata options. */
enum tl_stsd_imds_tokens {
	TL_STSD_IMDS_REQUIRED = 0, /* IMDSv2 only: a request without a token is 401 */
	TL_STSD_IMDS_OPTIONAL, /* IMDSv1 allowed too */
};

/* The one EC2 instance the IMDS listener stands for. */
struct tl_stsd_instance {
	const char *id; /* i-...; the session name of its credentials */
	const char *role; /* the instance profile's role, NULL: no profile */
	enum tl_stsd_imds_tokens tokens;
	/* HttpPutResponseHopLimit (1-64, 0: 1) and how many hops away the
	 * client is (0: 1; 2 for a container on the instance). A token
	 * response that needs more hops than the limit is lost: the PUT is
	 * answered only once the client has moved on (its next metadata
	 * request, after its own timeout), or after TL_STSD_IMDS_LOST_MS. */
	int hop_limit;
	int client_hops;
};
#define TL_STSD_IMDS_LOST_MS 30000

/* Sets (copies) the instance; NULL removes it. */
int tl_stsd_set_instance(struct tl_stsd *svc, const struct tl_stsd_instance *inst,
			 struct tl_error *err);

/*
 * An ECS task: GET /_trustlab/ecs/<id> with `Authorization: <auth_token>`
 * answers the task role's credentials (session name: the task id).
 * `role` NULL removes the task. `id` is 1 to 64 of [A-Za-z0-9_.-].
 */
int tl_stsd_set_task(struct tl_stsd *svc, const char *id, const char *role, const char *auth_token,
		     struct tl_error *err);

/*
 * Mounts EC2 instance metadata at the root of `srv` (its own listener:
 * SDKs take only the host and port of AWS_EC2_METADATA_SERVICE_ENDPOINT):
 * PUT /latest/api/token, GET /latest/meta-data/instance-id,
 * GET /latest/meta-data/iam/security-credentials/[ROLE]. Before start.
 */
int tl_stsd_mount_imds(struct tl_stsd *svc, struct tl_http_server *srv, struct tl_error *err);

/* Counts, for tests and logs. */
size_t tl_stsd_provider_count(struct tl_stsd *svc);
size_t tl_stsd_role_count(struct tl_stsd *svc);
