#!/usr/bin/env bash
# Issue 13's "done when": a scenario whose roles come from a Terraform plan,
# Terraform state, a CloudFormation template (JSON, YAML), cdk.out, aws iam
# get-role or an account snapshot proves the same access table as the
# shipped scenario with the extracted policy files
# (scenarios/github/plan-apply.yaml): same cases, same roles, same outcomes.
# Usage: test-rolesrc-table.sh TRUSTLAB SOURCE_ROOT
set -uo pipefail
trustlab=$1
root=$2
reference=$root/scenarios/github/plan-apply.yaml
data=$root/tests/data/rolesrc
if ! command -v jq >/dev/null; then
  echo "1..0 # SKIP jq is not installed (apt-get install jq)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mapfile -t files < <(ls "$data"/from-*.yaml | sort)
n_cli=11
echo "1..$((${#files[@]} + 1 + n_cli))"

# One run: both servers start once for every scenario.
"$trustlab" run --format json "$reference" "${files[@]}" >"$tmp/report.json" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -eq 0 ]; then
  echo "ok 1 - every expectation holds in the reference and the ${#files[@]} source scenarios"
else
  echo "not ok 1 - trustlab run exited $rc"
  sed 's/^/# /' "$tmp/stderr"
fi

table() { # scenario name -> sorted "case | role | actual" lines
  jq -r --arg s "$1" '.results[] | select(.scenario == $s) | "\(.case) | \(.role) | \(.actual)"' \
    "$tmp/report.json" | sort
}
ref_name=$(sed -n 's/^name: //p' "$reference")
table "$ref_name" >"$tmp/reference"
if [ ! -s "$tmp/reference" ]; then
  echo "# the reference scenario '$ref_name' gave no results"
fi

n=1
for f in "${files[@]}"; do
  n=$((n + 1))
  name=$(sed -n 's/^name: //p' "$f")
  table "$name" >"$tmp/got"
  : >"$tmp/diff"
  if [ -s "$tmp/reference" ] && diff -u "$tmp/reference" "$tmp/got" >"$tmp/diff"; then
    echo "ok $n - $(basename "$f"): the same access table as plan-apply.yaml ($(wc -l <"$tmp/got") results)"
  else
    echo "not ok $n - $(basename "$f"): the access table differs from plan-apply.yaml"
    sed 's/^/# /' "$tmp/diff"
  fi
done

# trustlab roles: the quota, the selection, the formats, exit statuses.
check() { # description, expected status, grep pattern on stdout+stderr, command...
  local what=$1 want=$2 pattern=$3
  shift 3
  n=$((n + 1))
  "$@" >"$tmp/out" 2>&1
  local got=$?
  if [ "$got" -eq "$want" ] && grep -q -- "$pattern" "$tmp/out"; then
    echo "ok $n - roles: $what"
  else
    echo "not ok $n - roles: $what (exit $got, want $want; pattern '$pattern')"
    sed 's/^/# /' "$tmp/out"
  fi
}
check "a policy over the 2,048 quota exits 1" 1 \
  "over-quota .*2979/2048 .*OVER QUOTA" "$trustlab" roles "$data/over-quota.json"
check "the raised quota holds it" 0 "2979/4096" \
  "$trustlab" roles --quota 4096 "$data/over-quota.json"
check "no role matches --role" 2 "no role matches --role deploy-\\*" \
  "$trustlab" roles --role 'deploy-*' "$data/plan.json"
check "an unknown --source-format" 2 "unknown source format 'hcl'" \
  "$trustlab" roles --source-format hcl "$data/plan.json"
check "a forced format that does not fit" 2 "expected the template's Resources" \
  "$trustlab" roles --source-format cloudformation "$data/plan.json"
# Issue 13 item 2: lint, probe and diff read the same sources.
iac=$root/docs/examples/iac
check "diff of two plans shows the widening and exits 1" 1 \
  "widens  app-deploy-prod: pull_request_target from a fork of acme/app" \
  "$trustlab" diff "$iac/deploy.tfplan.json" "$iac/deploy-widened.tfplan.json"
check "diff --allow-widen exits 0" 0 "access widens for" \
  "$trustlab" diff --allow-widen "$iac/deploy.tfplan.json" "$iac/deploy-widened.tfplan.json"
check "lint names the plan's role and its address" 0 \
  "role app-deploy-prod (aws_iam_role.deploy_prod): .*pull-request-target" \
  "$trustlab" lint "$iac/deploy-widened.tfplan.json"
check "probe of a plan finds the pull_request_target hole" 1 \
  "role app-deploy-prod (.*aws_iam_role.deploy_prod): [0-9]* hole" \
  "$trustlab" probe --repository acme/app "$iac/deploy-widened.tfplan.json"
check "a source without roles is an error" 2 "no IAM role in this source" \
  "$trustlab" lint "$data/iam/oidc-providers.json"
n=$((n + 1))
if "$trustlab" roles --format json --role 'terraform-a*' "$data/plan.json" 2>/dev/null |
  jq -e '(.roles | length) == 1 and .roles[0].name == "terraform-apply"
         and .roles[0].max_session_duration == 7200 and .roles[0].size == 375
         and (.providers[0].client_ids == ["sts.amazonaws.com"])
         and (.notes | length) == 2' >/dev/null; then
  echo "ok $n - roles: --format json, selected, with providers and notes"
else
  echo "not ok $n - roles: --format json output"
fi
