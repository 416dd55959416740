#!/bin/bash
# trustlab probe over every shipped scenario, checked exactly against the
# manifest tests/data/probe/shipped.json: per scenario its --intent pairs
# (an anti-pattern role judged by its hardened role's cases) and, per role,
# the hole kinds the probe must report (an empty list: none). A scenario
# without an entry, a role missing from its entry, a kind more or less, or
# an exit status other than 1-when-a-hole fails. docs/probe.md.
#
# usage: run-shipped.sh SOURCE_ROOT TRUSTLAB
set -u
src=${1:?usage: run-shipped.sh SOURCE_ROOT TRUSTLAB}
trustlab=${2:?usage: run-shipped.sh SOURCE_ROOT TRUSTLAB}
manifest=$src/tests/data/probe/shipped.json

if ! command -v jq >/dev/null; then
	echo "1..0 # SKIP jq is not installed"
	exit 77
fi
cd "$src" || exit 1
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT

mapfile -t scenarios < <(find scenarios -name '*.yaml' | LC_ALL=C sort)
# Policy files (the intended job from the options) and bad input.
pol=scenarios/github/policies
cli=(
	"0|no hole|$pol/deploy-main.json --repository acme/app"
	"1|sibling-repository|$pol/prefix-wildcard.json --repository acme/app"
	"1|guessed from the policy|$pol/prefix-wildcard.json"
	"1|| kind | context | \`sub\` | admitted by |$pol/org-wildcard.json --format markdown"
	"1|tag 'main' of acme/app|$pol/any-ref-named-main.json --provider github --ref refs/heads/main"
	"2|expected one policy|"
	"2|No such file|missing.json"
	"2|--intent is for scenarios|--intent a=b $pol/deploy-main.json"
	"2|--intent 'nope=deploy'|--intent nope=deploy scenarios/github/deploy-main-only.yaml"
	"2|are for policy files|--repository acme/app scenarios/github/deploy-main-only.yaml"
	"2|--format 'xml'|--format xml $pol/deploy-main.json"
	"2|--max-contexts '0'|--max-contexts 0 $pol/deploy-main.json"
	"2|unknown profile|--provider nope $pol/deploy-main.json"
	"2|a buildkite policy file|--provider buildkite $pol/deploy-main.json"
)
echo "1..$(( ${#scenarios[@]} + 1 + ${#cli[@]} ))"
t=0 failed=0
ok() { t=$((t + 1)); echo "ok $t - $1"; }
not_ok() {
	t=$((t + 1)); failed=1
	echo "not ok $t - $1"
	shift
	local line
	for line in "$@"; do printf '#   %s\n' "$line"; done
}

# Every manifest entry names a shipped scenario (no stale entries).
stale=$(jq -r 'keys[]' "$manifest" | while read -r f; do [ -f "$f" ] || echo "$f"; done)
if [ -z "$stale" ]; then
	ok "manifest names only shipped scenarios"
else
	not_ok "manifest names only shipped scenarios" "stale: $stale"
fi

for f in "${scenarios[@]}"; do
	if ! jq -e --arg f "$f" 'has($f)' "$manifest" >/dev/null; then
		not_ok "$f" "no entry in $manifest"
		continue
	fi
	# A scenario the probe cannot start from (no expected-allow web-identity
	# case: the credential-chain lessons) has {"exit": 2, "refusal": TEXT}.
	if want_exit=$(jq -e --arg f "$f" '.[$f].exit' "$manifest" 2>/dev/null); then
		"$trustlab" probe --format json "$f" >"$out" 2>&1
		rc=$?
		refusal=$(jq -r --arg f "$f" '.[$f].refusal' "$manifest")
		if [ "$rc" -eq "$want_exit" ] && grep -qF -- "$refusal" "$out"; then
			ok "$f: exit $rc, refused"
		else
			not_ok "$f" "exit $rc (expected $want_exit) with: $refusal" "$(head -c 2000 "$out")"
		fi
		continue
	fi
	mapfile -t intent < <(jq -r --arg f "$f" \
		'.[$f].intent // {} | to_entries[] | "--intent=\(.key)=\(.value)"' "$manifest")
	"$trustlab" probe --format json "${intent[@]}" "$f" >"$out" 2>&1
	rc=$?
	# {role: [kinds...]} as found and as expected, both sorted.
	found=$(jq -cS '[.roles[] | {(.name): ([.groups[].kind] | sort)}] | add' "$out" 2>/dev/null)
	want=$(jq -cS --arg f "$f" '.[$f].roles | map_values(sort)' "$manifest")
	holes=$(jq '.holes' "$out" 2>/dev/null)
	if [ -z "$found" ]; then
		not_ok "$f" "probe exited $rc without a JSON report:" "$(head -c 2000 "$out")"
	elif [ "$found" != "$want" ]; then
		not_ok "$f" "found:    $found" "expected: $want"
	elif [ "$holes" -gt 0 ] && [ $rc -ne 1 ]; then
		not_ok "$f" "holes found but exit status $rc (expected 1)"
	elif [ "$holes" -eq 0 ] && [ $rc -ne 0 ]; then
		not_ok "$f" "no hole but exit status $rc (expected 0)"
	else
		ok "$f: $found"
	fi
done
for c in "${cli[@]}"; do
	want=${c%%|*} rest=${c#*|}
	fragment=${rest%|*} args=${rest##*|}
	read -r -a argv <<<"$args"
	"$trustlab" probe "${argv[@]}" >"$out" 2>&1
	rc=$?
	if [ $rc -eq "$want" ] && grep -qF -- "$fragment" "$out"; then
		ok "probe $args: exit $rc, says '$fragment'"
	else
		not_ok "probe $args: exit $rc (expected $want), output should say '$fragment'" \
			"$(head -c 2000 "$out")"
	fi
done
exit $failed
