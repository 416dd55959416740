/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The token space an attacker or a careless colleague controls, as a list
 * of CI job contexts to mint and exchange: `trustlab probe` and
 * `trustlab diff` try each one against real roles. Nothing here talks
 * HTTP: this module only generates and classifies.
 *
 * The search starts from the intended contexts (the declared repository on
 * its protected ref, or a scenario's expected-allow cases), the "bases",
 * and applies one change at a time, each change a hole kind: another
 * repository of the organisation or a similarly named one, a case variant,
 * a pull request, `pull_request_target` from a fork, a tag or another
 * branch, another environment, a reusable workflow from elsewhere, another
 * audience, another provider. The values come from a fixed list and from
 * the trust policies' own literals and wildcards (seeds): `repo:acme/app*`
 * gives `acme/app-probe`, a ref pattern with `*` for the kind gives the
 * tag `main`, an environment `prod*` gives `prod-sandbox`.
 *
 * Every candidate is checked with the provider profile (lib/claims) and
 * kept only when it is a context the real provider accepts; duplicates
 * (by identity: the fields that reach the token's identity claims) are
 * dropped, first one kept.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* An intended context: a token the role is meant to admit. */
struct tl_probe_base {
	const char *profile; /* lib/claims profile name */
	const json_t *context; /* token context (borrowed) */
	const char *audience; /* aud requested, NULL: the provider's first */
};

/* The hole kinds, in the order reports list them. */
#define TL_PROBE_FOR_EACH_KIND(X)                                                                \
	X(INTENDED, "intended", "an intended context")                                           \
	X(FOREIGN_OWNER, "foreign-owner", "a repository or project of another owner")            \
	X(SIBLING, "sibling-repository", "another repository or project of the same owner")      \
	X(CASE_VARIANT, "case-variant", "the same name in other letter case")                    \
	X(FORK, "fork", "a fork's pipeline or pull request")                                     \
	X(PR_TARGET, "pull-request-target", "pull_request_target (runs for fork pull requests)") \
	X(PULL_REQUEST, "pull-request", "a pull request or merge request pipeline")              \
	X(TAG, "tag", "a tag (anyone with push access creates one)")                             \
	X(BRANCH, "branch", "another branch")                                                    \
	X(UNPROTECTED, "unprotected-ref", "an unprotected branch or tag")                        \
	X(ENVIRONMENT, "environment", "another or unprotected environment")                      \
	X(WORKFLOW, "reusable-workflow", "a workflow from another repository or ref")            \
	X(REPOSITORY_ID, "recreated-repository", "the same name with other ids")                 \
	X(AUDIENCE, "audience", "a token for another registered audience")                       \
	X(PROVIDER, "other-provider", "another CI provider's token with the same audience")      \
	X(FIELD, "other-value", "another value of a provider field")                             \
	X(OTHER_ROLE, "other-role-context", "a context meant for another role of the scenario")

enum tl_probe_kind {
#define TL_PROBE_KIND_ENUM(id, name, title) TL_PROBE_##id,
	TL_PROBE_FOR_EACH_KIND(TL_PROBE_KIND_ENUM)
#undef TL_PROBE_KIND_ENUM
		TL_PROBE_KIND_COUNT
};

const char *tl_probe_kind_name(enum tl_probe_kind k);
const char *tl_probe_kind_title(enum tl_probe_kind k);
/* How to close a hole of this kind in a trust policy, one sentence. */
const char *tl_probe_kind_hint(enum tl_probe_kind k);

struct tl_probe_candidate {
	char *profile;
	json_t *context; /* owned */
	char *audience; /* NULL: the provider's first */
	enum tl_probe_kind kind;
	char *label; /* "tag 'main' of acme/app" */
	char *sub; /* the `sub` the provider signs, "" when it refuses a token */
	size_t base; /* the base it was derived from */
};

struct tl_probe_space {
	struct tl_probe_candidate *items;
	size_t count, cap;
	size_t dropped; /* over max_contexts, not kept */
	/* Audiences each profile's candidates ask for: an object
	 * {"github": ["sts.amazonaws.com", ...]}, the client ids to register. */
	json_t *audiences;
};

struct tl_probe_options {
	size_t max_contexts; /* 0: 500 */
	/* Client ids already registered per profile ({"github": [...]}), or
	 * NULL: for the audience mutation; borrowed. */
	const json_t *registered;
};

void tl_probe_space_init(struct tl_probe_space *s);
void tl_probe_space_finish(struct tl_probe_space *s);

/*
 * Fills `out` (initialised) with the bases themselves (kind
 * TL_PROBE_INTENDED) and their mutations seeded from the `npolicies`
 * trust policies (parsed JSON, borrowed). Returns 0, or -1 with `err` set
 * (allocation failure).
 */
int tl_probe_generate(const struct tl_probe_base *bases, size_t nbases,
		      const json_t *const *policies, size_t npolicies,
		      const struct tl_probe_options *opt, struct tl_probe_space *out,
		      struct tl_error *err);

/*
 * Whether two contexts of `profile` are the same identity: equal after
 * defaults are filled and the fields that never reach an identity claim
 * (actor, run ids, shas, ...) are ignored. Audiences compare as given
 * (NULL: the provider's first).
 */
bool tl_probe_same_identity(const char *profile, const json_t *a, const char *aud_a,
			    const json_t *b, const char *aud_b);

/*
 * The profile of a trust policy's federated principal
 * ("arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com" →
 * "github"), NULL when none matches.
 */
const char *tl_probe_principal_profile(const char *federated_arn);

/*
 * The values the policies' conditions give for `what`, wildcards kept, in
 * order of appearance without duplicates: "repository" (GitHub OWNER/REPO
 * from `sub` or `:repository`), "project" (GitLab project_path from
 * `sub`), "ref" (GitHub full refs), "environment", "job_workflow_ref",
 * "aud". A new array, NULL for an unknown `what` or no memory.
 */
json_t *tl_probe_policy_values(const json_t *const *policies, size_t n, const char *what);
