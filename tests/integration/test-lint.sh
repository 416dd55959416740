#!/usr/bin/env bash
# trustlab lint as a user runs it: the shipped policies against the
# manifest tests/data/lint/shipped.json (exactly, both ways), the text,
# JSON and SARIF outputs (SARIF against a committed schema subset), exit
# statuses, --fail-on, --disable, --output, scenario files, bad input.
# Needs jq; the SARIF schema check needs python3-jsonschema (skipped
# with a message when absent, the structural jq checks run anyway).
# Usage: test-lint.sh TRUSTLAB SOURCE_ROOT
set -uo pipefail
trustlab=$1 src=$2
if ! command -v jq >/dev/null 2>&1; then
  echo "1..0 # SKIP jq is not installed (apt-get install jq)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$src" || exit 1
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }

# 1. Every shipped policy draws exactly the rule ids the manifest lists.
manifest=tests/data/lint/shipped.json
listed=$(jq -r '.policies | keys[]' "$manifest" | sort)
shipped=$(ls scenarios/*/policies/*.json | sort)
check "the manifest lists every shipped policy and nothing else" '[ "$listed" = "$shipped" ]'
bad=""
for f in $shipped; do
  "$trustlab" lint --format json --fail-on never "$f" > "$work/one.json" 2> "$work/err"
  rc=$?
  got=$(jq -c '[.findings[].rule] | unique' "$work/one.json" 2>/dev/null)
  want=$(jq -c --arg f "$f" '.policies[$f] | sort' "$manifest")
  if [ "$rc" -ne 0 ] || [ "$got" != "$want" ]; then
    bad="$bad $f"
    echo "# $f: exit $rc, expected $want, found $got"
  fi
done
check "every shipped policy draws exactly its manifest rule ids" '[ -z "$bad" ]'
holes=$(jq '[.policies[] | select(length > 0)] | length' "$manifest")
check "the anti-pattern policies draw findings ($holes files)" '[ "$holes" -ge 20 ]'

# 2. Text output and exit statuses.
"$trustlab" lint scenarios/github/policies/org-wildcard.json > "$work/text" 2> "$work/err"
rc=$?
check "an error finding exits 1" '[ "$rc" -eq 1 ]'
check "text names file:line:col, path, severity and rule" \
  'grep -q "^scenarios/github/policies/org-wildcard.json:15:54: Statement\[0\].Condition.StringLike\[\"token.actions.githubusercontent.com:sub\"\]: error sub-wildcard-owner: " "$work/text"'
check "text gives the fix" 'grep -q "^    fix: Name the repositories" "$work/text"'
check "text ends with a summary" 'tail -n 1 "$work/text" | grep -q "^1 error(s), 0 warning(s), 0 note(s) in 1 policy$"'

"$trustlab" lint scenarios/github/policies/deploy-any-branch.json > /dev/null 2>&1
check "warnings and notes only exit 0" '[ $? -eq 0 ]'
"$trustlab" lint --fail-on warning scenarios/github/policies/deploy-any-branch.json > /dev/null 2>&1
check "--fail-on warning exits 1 on a warning" '[ $? -eq 1 ]'
"$trustlab" lint --fail-on never scenarios/github/policies/org-wildcard.json > /dev/null 2>&1
check "--fail-on never exits 0 on an error" '[ $? -eq 0 ]'
"$trustlab" lint --disable sub-mutable scenarios/github/policies/deploy-main.json > "$work/text" 2>&1
check "--disable drops the rule (a clean policy: exit 0, no finding)" \
  '[ $? -eq 0 ] && grep -q "^0 error(s), 0 warning(s), 0 note(s) in 1 policy$" "$work/text"'

# 3. JSON.
"$trustlab" lint --format json --output "$work/out.json" scenarios/providers/policies/irsa-any-namespace.json
rc=$?
check "--output writes the report (exit 1)" '[ "$rc" -eq 1 ] && [ -s "$work/out.json" ]'
check "JSON findings have rule, severity, path, line, message and fix" \
  'jq -e ".findings[0] | .rule == \"sub-wildcard-owner\" and .severity == \"error\" and .line == 15 and .column > 0 and (.path | startswith(\"Statement[0].Condition.StringLike\")) and (.fix | length > 0)" "$work/out.json" > /dev/null'
check "JSON summary counts" 'jq -e ".summary.errors == 1 and .summary.policies == 1" "$work/out.json" > /dev/null'

# 4. SARIF.
"$trustlab" lint --format sarif --fail-on never scenarios/github/policies/*.json > "$work/out.sarif"
check "SARIF: version, schema, tool driver with every rule" \
  'jq -e ".version == \"2.1.0\" and (.\"\$schema\" | test(\"sarif-2.1.0\")) and .runs[0].tool.driver.name == \"trustlab\" and (.runs[0].tool.driver.rules | length) == ($("$trustlab" lint --list-rules | wc -l))" "$work/out.sarif" > /dev/null'
check "SARIF: every result has ruleId, level, message, a file uri and a line" \
  'jq -e "(.runs[0].results | length) as \$n | [.runs[0].results[] | select(.ruleId and (.level | IN(\"error\",\"warning\",\"note\")) and (.message.text | length > 0) and (.locations[0].physicalLocation.artifactLocation.uri | startswith(\"scenarios/\")) and .locations[0].physicalLocation.region.startLine >= 1 and .locations[0].physicalLocation.region.startColumn >= 1)] | length == \$n and \$n > 10" "$work/out.sarif" > /dev/null'
check "SARIF: the prefix-wildcard result points at line 15, column 54" \
  'jq -e "(.runs[0].results | length) as \$n | [.runs[0].results[] | select(.ruleId == \"sub-wildcard-repository\")][0].locations[0].physicalLocation | .artifactLocation.uri == \"scenarios/github/policies/prefix-wildcard.json\" and .region.startLine == 15 and .region.startColumn == 54" "$work/out.sarif" > /dev/null'
if python3 -c "import jsonschema" > /dev/null 2>&1; then
  if python3 - "$src/tests/data/lint/sarif-2.1.0-subset.schema.json" "$work/out.sarif" <<'EOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
jsonschema.validate(json.load(open(sys.argv[2])), schema)
EOF
  then ok "SARIF validates against the SARIF 2.1.0 schema subset"
  else nok "SARIF does not validate against the schema subset"; fi
else
  n=$((n + 1)); echo "ok $n # SKIP python3-jsonschema is not installed"
fi

# 5. Scenario files: every role, named "FILE role NAME".
"$trustlab" lint --fail-on never scenarios/github/repository-wildcards.yaml > "$work/text" 2>&1
check "a scenario lints every role, findings named by role" \
  'grep -q "^scenarios/github/repository-wildcards.yaml role org-wildcard: scenarios/github/policies/org-wildcard.json:15:54: .* error sub-wildcard-owner" "$work/text" && grep -q "role prefix-wildcard: .*sub-wildcard-repository" "$work/text"'
cat > "$work/inline.yaml" <<'EOF'
trustlab: 1
name: inline
providers:
  github: {audiences: [sts.amazonaws.com]}
roles:
  deploy:
    trust_policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {Federated: arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com}
          Action: sts:AssumeRoleWithWebIdentity
          Condition:
            StringLike: {"token.actions.githubusercontent.com:sub": "repo:acme/*"}
cases:
  - name: one
    token: {repository: acme/app}
    expect: {deploy: allow}
EOF
"$trustlab" lint --format sarif "$work/inline.yaml" > "$work/inline.sarif" 2>&1
rc=$?
check "an inline policy: exit 1, located in the scenario file" \
  '[ "$rc" -eq 1 ] && jq -e "[.runs[0].results[] | select(.ruleId == \"sub-wildcard-owner\")][0].locations[0].physicalLocation.artifactLocation.uri | endswith(\"inline.yaml\")" "$work/inline.sarif" > /dev/null'

# 6. Bad input: exit 2 with the file and position.
printf '{\n  "Version": "2012-10-17",\n  "Statement": [\n' > "$work/broken.json"
"$trustlab" lint "$work/broken.json" > /dev/null 2> "$work/err"
rc=$?
check "malformed JSON exits 2 naming file:line:col" \
  '[ "$rc" -eq 2 ] && grep -q "broken.json:4:" "$work/err"'
printf '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Allow", "Principal": "*",\n  "Action": "sts:AssumeRoleWithWebIdentity", "Resource": "*"}]}\n' > "$work/resource.json"
"$trustlab" lint "$work/resource.json" > /dev/null 2> "$work/err"
rc=$?
check "a policy IAM refuses exits 2: MalformedPolicyDocument with file, line and path" \
  '[ "$rc" -eq 2 ] && grep -q "MalformedPolicyDocument: .*resource.json:2:16: Statement\[0\]: Has prohibited field Resource" "$work/err"'
"$trustlab" lint "$work/nonexistent.json" > /dev/null 2> "$work/err"
check "a missing file exits 2" '[ $? -eq 2 ] && grep -q "nonexistent.json" "$work/err"'
"$trustlab" lint --disable no-such-rule scenarios/github/policies/deploy-main.json > /dev/null 2> "$work/err"
check "an unknown --disable rule exits 2" '[ $? -eq 2 ] && grep -q "no such rule" "$work/err"'
"$trustlab" lint --format xml scenarios/github/policies/deploy-main.json > /dev/null 2>&1
check "an unknown --format exits 2" '[ $? -eq 2 ]'
"$trustlab" lint > /dev/null 2>&1
check "no file exits 2" '[ $? -eq 2 ]'

# 7. docs/lint.md documents every rule.
missing=""
for id in $("$trustlab" lint --list-rules | awk '{print $1}'); do
  grep -q "^### \`$id\`" docs/lint.md || missing="$missing $id"
done
check "docs/lint.md has a section per rule${missing:+ (missing:$missing)}" '[ -z "$missing" ]'

echo "1..$n"
exit $failed
