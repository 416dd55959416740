/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The issuer service: several OIDC issuers in one process, one per path
 * prefix (`/github`, `/gitlab`, ...), each with its own keys, provider
 * profile (lib/claims) and `iss`. Per issuer it serves discovery, the
 * JWKS, the minting API (`POST <prefix>/tokens`, with faults for
 * negative tests), key rotation, and for GitHub profiles the runtime
 * token-request protocol that `@actions/core` getIDToken() speaks
 * (reference/issuer.md §1.9). docs/issuer.md is the user's guide.
 *
 * Used by the mock-issuer program and embedded by the runner: build a
 * config, create the service, mount it on a tl_http_server, start the
 * server. Handlers run on the server's thread pool; the service is
 * safe to call from any number of threads (key sets are immutable
 * snapshots swapped under a lock, the job registry is locked).
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#include "http/server.h"

/* One issuer: where it is mounted and what it mints. All strings owned. */
struct tl_issuer_def {
	char *prefix; /* "/github": '/', then [A-Za-z0-9._-] segments */
	char *profile; /* a lib/claims profile name */
	char *issuer; /* `iss` override, or NULL (profile default / local) */
	char *key_file; /* PEM or JWK private key, or NULL (config's, else generated) */
	json_t *org_sub_template; /* GitHub sub customization bodies, or NULL */
	json_t *repo_sub_template;
};

/* A runtime job registered at start (the config file's "jobs"). */
struct tl_issuer_job_def {
	char *prefix;
	char *request_token; /* NULL: generated */
	char *audience; /* default `aud` when the request names none; NULL: profile's */
	json_t *context;
};

struct tl_issuer_config {
	/* Explicit issuers; when none, one per enabled profile at "/<name>". */
	struct tl_issuer_def *issuers;
	size_t n_issuers;
	/* Profiles enabled when `issuers` is empty; NULL = all of them. */
	char **profiles;
	size_t n_profiles;
	struct tl_issuer_job_def *jobs;
	size_t n_jobs;
	char *key_file; /* default key for every issuer; NULL: generate */
	char *key_spec; /* generated keys: "RSA-2048" (default), "P-256", ... */
	/* `iss` = the local URL of the issuer (<base><prefix>) instead of the
	 * provider's, so strict OIDC clients can run discovery end to end. */
	bool local_issuer;
	/* Base URL for discovery and local `iss`; NULL: the server's URL. */
	char *public_url;
	bool clock_pinned;
	int64_t now_ms; /* when pinned */
	/* Seed for `jti` and defaulted ids; NULL with a pinned clock means
	 * "trustlab", so pinned runs are reproducible. */
	char *seed;
	int64_t rotation_grace_seconds; /* retired keys stay this long; default 86400 */
	/* Runtime jobs kept (POST /runtime/jobs, never forgotten); past it 429.
	 * 0: 10,000. */
	size_t jobs_max;
};

void tl_issuer_config_init(struct tl_issuer_config *cfg);
void tl_issuer_config_finish(struct tl_issuer_config *cfg);

/*
 * Merges a JSON config file into `cfg` (strict: unknown members and
 * wrong types are errors naming file and JSON path). Format in
 * docs/issuer.md: {"issuers": [{"prefix", "profile", "issuer", "key",
 * "org_sub_template", "repo_sub_template"}], "profiles": [...], "key",
 * "key_spec", "local_issuer", "public_url", "now", "seed",
 * "rotation_grace_seconds", "jobs": [{"issuer", "request_token",
 * "audience", "context"}]}. Relative key paths are relative to the file.
 */
int tl_issuer_config_load_file(struct tl_issuer_config *cfg, const char *path,
			       struct tl_error *err);
/* Same from a parsed document (borrowed); `base_dir` resolves key paths. */
int tl_issuer_config_load_json(struct tl_issuer_config *cfg, const json_t *doc,
			       const char *base_dir, struct tl_error *err);

/* "github,gitlab": enables these profiles (checked against lib/claims). */
int tl_issuer_config_set_profiles(struct tl_issuer_config *cfg, const char *list,
				  struct tl_error *err);
/* "PREFIX=URL": the `iss` of the issuer at PREFIX (added from its profile
 * "/<name>" when the config names no issuers yet). */
int tl_issuer_config_override_issuer(struct tl_issuer_config *cfg, const char *assignment,
				     struct tl_error *err);
/* Pins the clock from ISO 8601 or Unix seconds text. */
int tl_issuer_config_set_now(struct tl_issuer_config *cfg, const char *text, struct tl_error *err);
/* Replaces a string member (key_file, seed, ...) with a copy of `value`. */
int tl_issuer_config_set_string(char **member, const char *value, struct tl_error *err);

struct tl_issuer_service;

/* Builds every issuer: loads or generates keys, registers the jobs. */
struct tl_issuer_service *tl_issuer_service_new(const struct tl_issuer_config *cfg,
						struct tl_error *err);
/* Accepts NULL. The server it was mounted on must be stopped first. */
void tl_issuer_service_free(struct tl_issuer_service *svc);

/*
 * Adds every route of every issuer to `srv` (before it starts). The
 * base URL is read from the server lazily, at the first request that
 * needs it. A service is mounted on at most one server.
 */
int tl_issuer_service_mount(struct tl_issuer_service *svc, struct tl_http_server *srv,
			    struct tl_error *err);

size_t tl_issuer_service_count(const struct tl_issuer_service *svc);
const char *tl_issuer_service_prefix(const struct tl_issuer_service *svc, size_t i);
const char *tl_issuer_service_profile(const struct tl_issuer_service *svc, size_t i);

/*
 * The answers of the HTTP API, in-process (the runner calls these
 * without HTTP): `request` is the JSON body of `POST <prefix>/tokens` or
 * `POST <prefix>/runtime/jobs`; *status is 200, 400, 403, 404 or 500
 * and *response the JSON body (caller decrefs). Returns -1 only when
 * not even an answer could be built (out of memory).
 */
int tl_issuer_service_mint(struct tl_issuer_service *svc, const char *prefix, const json_t *request,
			   unsigned *status, json_t **response);
int tl_issuer_service_register_job(struct tl_issuer_service *svc, const char *prefix,
				   const json_t *request, unsigned *status, json_t **response);
/* The current JWKS document of the issuer at `prefix` (new reference), NULL if none. */
json_t *tl_issuer_service_jwks(struct tl_issuer_service *svc, const char *prefix);

/*
 * The faults `POST <prefix>/tokens` can inject ("faults": ["expired",
 * {"fault": "missing-claims", "claims": ["aud", "sub"]}]): X(enum suffix,
 * name, the tl_jws_verify reason the token earns from a verifier that
 * expects the issuer's `iss`, what the token is). At most one of the
 * faults that decide the signature (wrong-key .. hs256-public-key).
 */
#define TL_ISSUER_FAULTS(X)                                                               \
	X(EXPIRED, "expired", "expired", "iat, nbf and exp moved back: exp is 900 s ago") \
	X(NOT_YET_VALID, "not-yet-valid", "nbf-future", "nbf is 900 s ahead")             \
	X(WRONG_ISSUER, "wrong-issuer", "iss-mismatch",                                   \
	  "iss is https://wrong-issuer.trustlab.invalid (or the fault's \"issuer\")")     \
	X(MISSING_CLAIMS, "missing-claims", "aud-missing",                                \
	  "the claims named by \"claims\" (default [\"aud\"]) are removed")               \
	X(WRONG_KEY, "wrong-key", "signature-invalid",                                    \
	  "signed by a key the JWKS does not hold, under the published key's kid")        \
	X(UNKNOWN_KID, "unknown-kid", "kid-unknown",                                      \
	  "signed by the right key; the header's kid is in no JWKS")                      \
	X(BAD_SIGNATURE, "bad-signature", "signature-invalid",                            \
	  "a valid token whose signature has one character changed")                      \
	X(ALG_NONE, "alg-none", "alg-none",                                               \
	  "alg \"none\" in the header, the signature part left in place")                 \
	X(HS256_PUBLIC_KEY, "hs256-public-key", "alg-hmac",                               \
	  "alg HS256, the MAC keyed with the issuer's public key PEM (key confusion)")

enum tl_issuer_fault {
#define X(id, name, reason, what) TL_ISSUER_FAULT_##id,
	TL_ISSUER_FAULTS(X)
#undef X
		TL_ISSUER_FAULT_COUNT,
};
