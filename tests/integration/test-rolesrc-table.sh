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
echo "1..$((${#files[@]} + 1))"

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
  if [ -s "$tmp/reference" ] && diff -u "$tmp/reference" "$tmp/got" >"$tmp/diff"; then
    echo "ok $n - $(basename "$f"): the same access table as plan-apply.yaml ($(wc -l <"$tmp/got") results)"
  else
    echo "not ok $n - $(basename "$f"): the access table differs from plan-apply.yaml"
    sed 's/^/# /' "$tmp/diff"
  fi
done
