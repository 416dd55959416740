/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * CI provider profiles: a token context in the provider's own vocabulary
 * (GitHub: repository, event, ref, environment, fork, ...; GitLab:
 * project_path, ref_type, ref, pipeline_source, ...) becomes the exact
 * claim set the real provider would sign, or a refusal where the real
 * provider gives the job no token at all. Nothing here signs or talks
 * HTTP: the issuer service calls tl_claims_build() and signs the result.
 *
 * Facts come from reference/issuer.md (§1 GitHub, §2 GitLab, §3 others);
 * docs/providers.md lists each profile's vocabulary and rules.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/random.h"

/* How the issuer names its signing key in the JWS header and JWKS. */
enum tl_claims_kid_style {
	/* Upper-case hex SHA-1 of the certificate DER, with `x5t` the
	 * base64url of the same bytes (GitHub, reference §1.3). */
	TL_CLAIMS_KID_CERT_SHA1_HEX,
	/* RFC 7638 JWK thumbprint (GitLab and most others). */
	TL_CLAIMS_KID_JWK_THUMBPRINT,
};

struct tl_claims_profile;

struct tl_claims_options {
	/* `iss`; NULL = the profile's (or the context's, e.g. a GitHub
	 * enterprise slug issuer or a GHES host). Borrowed. */
	const char *issuer;
	/* `aud`: a string or an array of strings; NULL = the profile's
	 * default (GitHub: https://github.com/<owner>). Borrowed. */
	const json_t *audience;
	/* `iat`, Unix seconds (from the caller's tl_clock). */
	int64_t now;
	/* Draws `jti` and every defaulted id, sha and uuid. Required; a
	 * seeded one makes golden tokens reproducible. Borrowed. */
	struct tl_rng *rng;
	/* GitHub: the bodies of PUT /orgs/{org}/actions/oidc/customization/sub
	 * ({"include_claim_keys": [...]}) and PUT /repos/{o}/{r}/...
	 * ({"use_default": bool, "include_claim_keys": [...]}) as configured
	 * on the issuer; a context's `sub_template` replaces them. NULL =
	 * none. Borrowed. */
	const json_t *org_sub_template;
	const json_t *repo_sub_template;
};

#define TL_CLAIMS_REASON_MAX 512
/* Why the real provider would give the job no token ("no-token"). */
struct tl_claims_refusal {
	char reason[TL_CLAIMS_REASON_MAX];
};

typedef int (*tl_claims_build_fn)(const struct tl_claims_profile *p, const json_t *context,
				  const struct tl_claims_options *opt, json_t **claims_out,
				  struct tl_claims_refusal *refusal, struct tl_error *err);

struct tl_claims_profile {
	const char *name; /* "github", "gitlab", ... */
	const char *title; /* "GitHub Actions" */
	const char *reference; /* "reference/issuer.md §1" */
	/* Default `iss`; a "%s" marks a part that comes from the context
	 * (CircleCI's org id, an EKS cluster), shown here as documentation
	 * only: the build function fills it. */
	const char *issuer;
	/* Default `aud`, NULL when derived from the context. */
	const char *audience;
	const char *jwks_path; /* appended to `iss`: "/.well-known/jwks" */
	/* Header: `alg` and `typ` as the provider sends them; whether `x5t`
	 * accompanies `kid`. */
	const char *alg;
	const char *typ;
	bool x5t;
	enum tl_claims_kid_style kid_style;
	/* Timing defaults: nbf = iat + nbf_offset (when has_nbf), exp = iat +
	 * lifetime. Contexts may change the lifetime where the provider does
	 * (GitLab job timeout, Kubernetes expirationSeconds). */
	bool has_nbf;
	int64_t nbf_offset;
	int64_t lifetime;
	/* Claims AWS exposes as `<provider>:<claim>` condition keys beyond
	 * aud/sub (reference/sts.md §3.9), NULL-terminated. */
	const char *const *aws_condition_claims;
	/* The context vocabulary (field names), NULL-terminated. */
	const char *const *context_fields;
	/* Discovery `claims_supported`, NULL-terminated. */
	const char *const *claims_supported;
	tl_claims_build_fn build; /* call through tl_claims_build() */
};

/* A profile by name ("github", "gitlab", ...), NULL when unknown. */
const struct tl_claims_profile *tl_claims_profile_find(const char *name);

/* The registry in a stable order, NULL-terminated. */
const struct tl_claims_profile *const *tl_claims_profiles(void);

/*
 * Builds the claim set for `context` (a JSON object in the profile's
 * vocabulary; NULL means {}). Unknown fields and wrong types are errors
 * whose path names the field (`context.sub_template.repo.use_default`).
 *
 * Returns 0 with *claims_out a new object (caller json_decref()s) whose
 * members are in the order the real provider emits them and whose types
 * are the real ones (GitHub sends ids as strings, GitLab's runner_id is an
 * integer, ...); 1 when the real provider would give no token, with
 * `refusal->reason` saying why; -1 with `err` set for a bad context or
 * options.
 */
int tl_claims_build(const struct tl_claims_profile *p, const json_t *context,
		    const struct tl_claims_options *opt, json_t **claims_out,
		    struct tl_claims_refusal *refusal, struct tl_error *err);

/* --- `sub` builders, exposed for tests, `explain` and lint ------------ */

/*
 * GitHub's escaping of a `sub` value: every ':' becomes "%3A" (reference
 * §1.6; a literal '%' is left alone, as GitHub documents).
 */
int tl_claims_github_escape(struct tl_buf *out, const char *value, struct tl_error *err);

/*
 * "repo:O/R" or, immutable, "repo:O@OWNER_ID/R@REPO_ID" (§1.8), from the
 * claims `repository`, `repository_owner_id`, `repository_id`.
 */
int tl_claims_github_sub_prefix(const json_t *claims, bool immutable, struct tl_buf *out,
				struct tl_error *err);

/*
 * The default context segment by precedence (§1.6): "environment:E" when
 * the claims carry an environment, else "pull_request" for the pull
 * request events, else "ref:REF".
 */
int tl_claims_github_sub_context(const json_t *claims, struct tl_buf *out, struct tl_error *err);

/*
 * The effective `include_claim_keys` from the org and repo
 * customization bodies (§1.7): NULL (the default format) unless the repo
 * says use_default:false; then the repo's keys, or the org's when the
 * repo gives none. Validates both bodies; `path` prefixes error paths.
 * *keys is borrowed from the bodies.
 */
int tl_claims_github_template(const json_t *org, const json_t *repo, const char *path,
			      const json_t **keys, struct tl_error *err);

/*
 * The whole GitHub `sub`: the default format when `keys` is NULL, else
 * "key:value" pairs in template order with the `repo` and `context`
 * pseudo-keys. Returns 0 with *sub (caller frees), 1 with `refusal` set
 * when a template names a claim the job does not have (`environment`
 * without an environment), -1 on error.
 */
int tl_claims_github_sub(const json_t *claims, bool immutable, const json_t *keys, char **sub,
			 struct tl_claims_refusal *refusal, struct tl_error *err);

/*
 * GitLab's `sub` from `ci_id_token_sub_claim_components` (§2.3); NULL
 * means [project_path, ref_type, ref]. "key:value" joined by ':', no
 * escaping. Returns 0 with *sub (caller frees), -1 on error.
 */
int tl_claims_gitlab_sub(const json_t *claims, const json_t *components, char **sub,
			 struct tl_error *err);

/* --- what AWS sees of a token (reference/sts.md §3.9) ------------------ */

/*
 * The profile whose tokens an IAM OIDC provider stands for, from the
 * provider's URL without the scheme (`token.actions.githubusercontent.com`,
 * `gitlab.com`, `oidc.circleci.com/org/ORG`, `oidc.eks.REGION.amazonaws.com/id/X`,
 * ...; the condition-key prefix). NULL for hosts no profile owns
 * (self-managed GitLab, GHES: any host can be one).
 */
const struct tl_claims_profile *tl_claims_profile_for_provider(const char *provider);

/*
 * The web-identity condition keys AWS derives from a token's claims for
 * AssumeRoleWithWebIdentity, in the order mock-sts adds them:
 * `<provider>:aud` (for accounts.google.com: `azp` when present, with
 * `:oaud` the `aud`), `:azp`, `:sub`, `:amr`, then the provider-specific
 * keys of the profile tl_claims_profile_for_provider() finds. A claim that
 * is an array gives one call per scalar element (a multivalued key);
 * objects and null give none. `add` is called once per (key, value).
 * mock-sts and `trustlab explain --token` both build their context with it.
 */
typedef void (*tl_claims_key_fn)(void *ctx, const char *key, const char *value);
void tl_claims_aws_keys(const char *provider, const json_t *claims, tl_claims_key_fn add,
			void *ctx);
