/* SPDX-License-Identifier: MIT */
/*
 * The rule catalogue: one row per rule, the single source of the ids,
 * severities, explanations and fixes that text, JSON and SARIF print and
 * docs/lint.md documents (tests/unit/test-lint.c checks they agree).
 */
#include "config.h"

#include <string.h>

#include "lint/lint.h"

static const struct tl_lint_rule rules[] = {
	{"sub-condition-missing", TL_LINT_ERROR, "no condition pins the token's subject",
	 "An Allow statement for sts:AssumeRoleWithWebIdentity that trusts an OIDC provider "
	 "without a StringEquals/StringLike condition on <provider>:sub (or a key that names the "
	 "repository, project or pipeline) admits every token the provider issues: on GitHub, "
	 "GitLab.com, Buildkite or HCP Terraform that is every customer of the provider. AWS now "
	 "refuses to save such a policy for shared providers (reference/sts.md §3.8), but policies "
	 "saved before are not re-checked; a condition with only wildcards (\"*\") or under "
	 "ForAllValues or ...IfExists pins nothing.",
	 "Add a StringEquals condition on <provider>:sub with the exact subject, e.g. "
	 "\"repo:OWNER/REPO:ref:refs/heads/main\" (GitHub) or "
	 "\"project_path:GROUP/PROJECT:ref_type:branch:ref:main\" (GitLab)."},
	{"aud-condition-missing", TL_LINT_WARNING, "no condition on the token's audience",
	 "Without a <provider>:aud condition, a token minted for any client id registered on the "
	 "provider is accepted by this role: with two audiences on one provider (sts.amazonaws.com "
	 "and an internal one), tokens for the other service get in (reference/sts.md §3.9, "
	 "scenarios/github/missing-aud-condition.yaml).",
	 "Add \"StringEquals\": {\"<provider>:aud\": \"sts.amazonaws.com\"} (or the audience your "
	 "CI job requests)."},
	{"sub-wildcard-owner", TL_LINT_ERROR,
	 "the subject admits every repository of an owner, group or namespace",
	 "A wildcard in the owner/namespace position, or a repository position that is only a "
	 "wildcard (repo:acme/*, project_path:acme/*, system:serviceaccount:*:NAME, "
	 "org/ORG/project/*), admits every repository, project, pipeline or service account of the "
	 "tenant, including ones created later by anyone who may create one "
	 "(scenarios/github/repository-wildcards.yaml, scenarios/providers/eks-irsa.yaml).",
	 "Name the repositories (a list of exact subjects), or pin the reusable workflow with "
	 "<provider>:job_workflow_ref when many repositories deploy through one workflow."},
	{"sub-wildcard-repository", TL_LINT_ERROR,
	 "the subject admits every repository whose name starts like this one",
	 "A wildcard inside the repository, project or pipeline name (repo:acme/app*, "
	 "pipeline:deploy*) also matches acme/app-evil or deploy-sandbox: anyone who can create a "
	 "repository with that prefix gets in. The ':' after the name ends it, so "
	 "repo:acme/app:* does not have this problem "
	 "(scenarios/github/repository-wildcards.yaml, "
	 "scenarios/providers/buildkite-pipeline.yaml).",
	 "End the name with ':' before any wildcard (repo:acme/app:ref:refs/heads/main), or list "
	 "the repositories."},
	{"sub-wildcard-ref", TL_LINT_WARNING,
	 "a wildcard in a branch, tag, environment or run-phase position",
	 "'*' in the ref or environment position admits every branch (anyone with push access, "
	 "including ones without access to protected branches), every tag, every environment, or "
	 "every HCP Terraform run phase (speculative plans for pull requests get the apply role). "
	 "On GitLab the ref_protected claim closes this; GitHub tokens carry no protection that "
	 "AWS can read (reference/issuer.md §1.6, §2.2; scenarios/gitlab/protected-main.yaml, "
	 "scenarios/providers/terraform-cloud-run-phase.yaml).",
	 "Name the branch, tag or environment exactly; on GitLab add "
	 "\"StringEquals\": {\"gitlab.com:ref_protected\": \"true\"}; on GitHub prefer a "
	 "protected environment (environment:production) over a branch pattern."},
	{"ref-kind-wildcard", TL_LINT_ERROR, "a wildcard where the ref kind goes admits tags",
	 "refs/*/main matches refs/heads/main but also a tag named main (refs/tags/main) and a "
	 "branch feature/main; a GitLab subject without ref_type (project_path:P:*:ref:v*) admits "
	 "a branch named like the tags. Tags and branches are usually protected differently "
	 "(scenarios/github/ref-wildcard-tag.yaml, scenarios/gitlab/release-tags.yaml).",
	 "Write the kind: refs/heads/main, refs/tags/v1.2.3, or ref_type:tag."},
	{"stringequals-wildcard", TL_LINT_ERROR, "StringEquals with '*' or '?' never matches",
	 "Only the ...Like operators give '*' and '?' a meaning; StringEquals compares them as "
	 "characters, so \"repo:acme/app:*\" under StringEquals only matches a subject that is "
	 "literally that text: the role is unusable, and a Deny or StringNotEquals with it "
	 "protects nothing (reference/sts.md §3.3, scenarios/github/stringequals-wildcard.yaml).",
	 "Use StringLike for patterns, or write the exact value."},
	{"stringlike-no-wildcard", TL_LINT_NOTE, "StringLike without a wildcard",
	 "A StringLike value without '*' or '?' is an exact comparison written the long way; it "
	 "hides which values were meant to be patterns and invites adding one later "
	 "(reference/sts.md §3.3).",
	 "Use StringEquals for exact values."},
	{"forallvalues-absent-key", TL_LINT_ERROR, "ForAllValues is true when the key is absent",
	 "ForAllValues: is true for an empty or absent key (vacuous truth), so an Allow with "
	 "ForAllValues:StringEquals on :sub or any claim the token may lack admits tokens "
	 "without it; AWS says not to use ForAllValues with Allow unless paired with a Null "
	 "check (reference/sts.md §3.5; github/docs #15769).",
	 "Use a plain StringEquals/StringLike for single-valued keys, or add "
	 "\"Null\": {\"KEY\": \"false\"}."},
	{"condition-key-foreign-provider", TL_LINT_ERROR,
	 "a condition key of another provider than the statement's principal",
	 "AWS names web-identity keys after the provider that verified the token "
	 "(<provider-url-without-https>:claim). A key with another provider's prefix (or with "
	 "https://) is never in the request: a positive condition on it is false (the role is "
	 "unusable), a negated one is always true and silently checks nothing "
	 "(reference/sts.md §3.4, §3.9).",
	 "Use the prefix of the provider in Principal.Federated, exactly as in the provider ARN "
	 "after oidc-provider/."},
	{"condition-key-unsupported", TL_LINT_WARNING,
	 "a claim AWS does not expose as a condition key",
	 "AWS evaluates aud, sub, amr, azp and a fixed list of provider-specific claims for "
	 "AssumeRoleWithWebIdentity (reference/sts.md §3.9); any other <provider>:claim key is "
	 "absent from every request, so a positive condition on it never holds and a negated one "
	 "always does.",
	 "Move the claim into the subject (GitHub include_claim_keys, GitLab "
	 "ci_id_token_sub_claim_components) or use one of the keys AWS lists."},
	{"pull-request-and-main", TL_LINT_WARNING,
	 "pull-request subjects and main trusted by one role",
	 "A role that admits repo:O/R:pull_request and repo:O/R:ref:refs/heads/main gives code "
	 "from "
	 "any pull request (and pull_request_target runs for forks, which get the same subject) "
	 "the credentials that deploy main: plan and apply belong in two roles "
	 "(reference/issuer.md §1.6, scenarios/github/plan-apply.yaml).",
	 "Split the role: a read-only plan role for repo:O/R:pull_request and an apply role for "
	 "repo:O/R:ref:refs/heads/main (or a protected environment)."},
	{"environment-any-branch", TL_LINT_NOTE, "environment subject without a branch condition",
	 "A job that names an environment gets repo:O/R:environment:E whatever branch it runs "
	 "on (the environment wins over ref and pull_request, reference/issuer.md §1.6). The "
	 "branch is then limited only by the environment's deployment-branch rule, configured on "
	 "GitHub and invisible to the trust policy; the ref claim still carries the branch "
	 "(scenarios/github/environment-gated.yaml).",
	 "Add \"StringEquals\": {\"token.actions.githubusercontent.com:ref\": "
	 "\"refs/heads/main\"} (reference/sts.md §3.9)."},
	{"pull-request-target", TL_LINT_WARNING, "pull-request subject without a pull-request ref",
	 "Fork pull requests get no token on pull_request, but pull_request_target runs started "
	 "by a fork's pull request do, with the same subject repo:O/R:pull_request as the "
	 "repository's own pull requests and the default branch as ref "
	 "(reference/issuer.md §1.6, §1.10; scenarios/github/fork-pull-requests.yaml).",
	 "Add \"StringLike\": {\"token.actions.githubusercontent.com:ref\": "
	 "\"refs/pull/*/merge\"}: pull_request runs carry it, pull_request_target runs do not."},
	{"gitlab-ref-unprotected", TL_LINT_WARNING, "GitLab branch or tag without ref_protected",
	 "The subject names a branch or tag, but nothing requires it to be protected: before "
	 "GitLab 18.2.2 a merge request from a fork ran in the parent project with the parent's "
	 "project_path and the fork's branch name, so a fork branch named main got "
	 "project_path:P:ref_type:branch:ref:main (reference/issuer.md §2.4), and a developer "
	 "may push an unprotected branch or tag of the name "
	 "(scenarios/gitlab/merge-requests.yaml).",
	 "Add \"StringEquals\": {\"gitlab.com:ref_protected\": \"true\"}, or put "
	 "ref_protected into the sub components."},
	{"repo-name-case", TL_LINT_WARNING, "owner or repository spelt with upper-case letters",
	 "GitHub puts the owner and repository in sub with the case they have on GitHub "
	 "(reference/issuer.md §1.6: repo:PazerOP/scratch:pull_request), and StringEquals and "
	 "StringLike compare case-sensitively (reference/sts.md §3.4). Names typed by hand with "
	 "upper-case letters, or spelt in two ways in one policy, are a common cause of "
	 "AccessDenied (scenarios/github/owner-repo-case.yaml).",
	 "Copy owner and repository exactly from a real token's sub (trustlab explain --token "
	 "shows it)."},
	{"sub-ignorecase", TL_LINT_WARNING, "StringEqualsIgnoreCase on the subject",
	 "Case-insensitive matching of sub also folds branch, tag and environment names, which "
	 "are case-sensitive: refs/heads/MAIN and environment:PRODUCTION are other refs and "
	 "environments, possibly unprotected (reference/sts.md §3.4, "
	 "scenarios/github/owner-repo-case.yaml).",
	 "Use StringEquals with the exact case of the repository."},
	{"sub-mutable", TL_LINT_NOTE, "name-based subject where the immutable form is available",
	 "repo:OWNER/REPO names can be re-registered after a rename or deletion; the attacker's "
	 "repository then gets exactly the subject this policy trusts. github.com issues "
	 "repo:OWNER@OWNER_ID/REPO@REPO_ID subjects for repositories created or renamed after "
	 "2026-07-15 and on opt-in (reference/issuer.md §1.8, "
	 "scenarios/github/immutable-subject.yaml).",
	 "Opt the repository into immutable subjects and trust repo:OWNER@ID/REPO@ID:..., or add "
	 "StringEquals on <provider>:repository_id (and :repository_owner_id)."},
	{"deny-never-applies", TL_LINT_WARNING, "a Deny statement that can never apply",
	 "A Deny whose principal or action is not one any Allow statement grants, or whose "
	 "condition needs a key the request never carries (another provider's, or a StringEquals "
	 "with wildcards), never matches: it documents a protection that does not exist "
	 "(reference/sts.md §3.2, §3.4).",
	 "Use the same Principal and Action as the Allow statements and condition keys of that "
	 "provider."},
	{"statement-duplicate", TL_LINT_WARNING, "two statements say the same thing",
	 "Duplicate statements add nothing but size (the 2,048-character quota, reference/sts.md "
	 "§3.7) and mislead reviewers: an edit to one copy leaves the other in force.",
	 "Delete one of them."},
	{"statement-shadowed", TL_LINT_WARNING,
	 "an Allow statement admits nothing another does not",
	 "When another Allow statement with the same principal and action admits every request "
	 "this one does (its conditions are a subset, or its patterns cover these values), this "
	 "statement's extra conditions restrict nothing: the role is as wide as the other "
	 "statement (reference/sts.md §3.2).",
	 "Delete the wider statement or the shadowed one, whichever was not meant."},
	{"policy-size", TL_LINT_WARNING, "the policy is near or over the 2,048-character quota",
	 "IAM counts a role trust policy's non-whitespace characters against a quota of 2,048 "
	 "(raised at most to 4,096 on request; reference/sts.md §3.7): above it CreateRole and "
	 "UpdateAssumeRolePolicy fail with LimitExceeded, and the next added repository will not "
	 "fit when it is above 90 %.",
	 "Merge statements that differ only in sub values into one list, or split the roles."},
};

const struct tl_lint_rule *
tl_lint_rules(size_t *count)
{
	*count = sizeof(rules) / sizeof(rules[0]);
	return rules;
}

const struct tl_lint_rule *
tl_lint_rule_find(const char *id)
{
	for (size_t i = 0; id && i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	return NULL;
}

const char *
tl_lint_severity_name(enum tl_lint_severity s)
{
	switch (s) {
	case TL_LINT_NOTE:
		return "note";
	case TL_LINT_WARNING:
		return "warning";
	case TL_LINT_ERROR:
		return "error";
	}
	return "error";
}

int
tl_lint_severity_from_name(const char *name)
{
	for (int s = TL_LINT_NOTE; s <= TL_LINT_ERROR; s++)
		if (strcmp(name, tl_lint_severity_name(s)) == 0)
			return s;
	return -1;
}
