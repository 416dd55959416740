#!/bin/bash
# Mutation test of the shipped scenarios (issue 9): every scenario must
# fail, with a clear trace, when its policy is weakened or tightened in the
# way its description warns about. The catalogue is tests/data/mutations.json;
# each entry copies the scenario's directory, applies exact text
# replacements to one policy copy and requires `trustlab run` to exit 1,
# the named case to be shown as FAIL and its why: trace to contain a
# fragment. The unmutated copy of every scenario must pass first, so a
# failure is the mutation's doing. A scenario without an entry fails.
#
# usage: run-mutations.sh SOURCE_ROOT TRUSTLAB
set -u
src=${1:?usage: run-mutations.sh SOURCE_ROOT TRUSTLAB}
trustlab=${2:?usage: run-mutations.sh SOURCE_ROOT TRUSTLAB}
catalogue=$src/tests/data/mutations.json

if ! command -v jq >/dev/null; then
	echo "1..0 # SKIP jq is not installed"
	exit 77
fi
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT

if ! jq -e 'type == "array"' "$catalogue" >/dev/null; then
	echo "Bail out! $catalogue is not a JSON array"
	exit 1
fi
mapfile -t scenarios < <(cd "$src" && find scenarios -name '*.yaml' | LC_ALL=C sort)
n_mut=$(jq length "$catalogue")
echo "1..$(( ${#scenarios[@]} + n_mut ))"

# The credential-chain lessons run real SDKs (docs/credential-chain.md):
# without them those scenarios and their mutations are skipped, saying why.
chain_skip=
export TRUSTLAB_NODE_MODULES=$src/tests/clients-sts/node_modules
if ! chain_skip=$("$src/tests/clients-sts/ensure-node-modules.sh" "$src/tests/clients-sts"); then
	chain_skip=${chain_skip:-npm ci failed}
elif ! python3 -c 'import boto3' 2>/dev/null && ! /usr/bin/python3 -c 'import boto3' 2>/dev/null; then
	chain_skip="boto3 is not installed (apt-get install python3-boto3)"
else
	chain_skip=
fi
is_chain() { case $1 in scenarios/credential-chain/*) return 0 ;; esac; return 1; }

t=0
failed=0
ok() { t=$((t + 1)); echo "ok $t - $1"; }
not_ok() {
	t=$((t + 1)); failed=1
	echo "not ok $t - $1"
	shift
	local line
	for line in "$@"; do printf '#   %s\n' "$line"; done
}

# copy_area SCENARIO DEST: copy the scenario's directory (the scenario and
# its policies/) to DEST; prints the scenario's path inside the copy.
copy_area() {
	local dir
	dir=$(dirname "$1")
	mkdir -p "$2" && cp -R "$src/$dir/." "$2/" && echo "$2/$(basename "$1")"
}

# section PATH: the report's section of the scenario copy at PATH (from its
# "name (PATH)" header to the blank line that ends it).
section() {
	awk -v h="($1)" '
		/^[^ ]/ && substr($0, length($0) - length(h) + 1) == h { on = 1 }
		on && /^$/ { exit }
		on { print }'
}

# fail_blocks CASE: the FAIL lines of CASE in a section, with their why:.
# Names are padded to a column, so "NAME  " never matches a longer name.
fail_blocks() {
	awk -v p="  FAIL  $1  " '
		/^  (ok|FAIL)  / || /^$/ { on = 0 }
		substr($0, 1, length(p)) == p { on = 1 }
		on { print }'
}

# One trustlab process per wave keeps the test fast (each process starts
# its embedded servers and keys: about 1 s of CPU): wave 0 runs every
# unmutated scenario, wave k the k-th mutation of every scenario. A wave
# never holds two copies of one scenario (same name, same role names).
declare -a result
mapfile -t m_scen < <(jq -r '.[] | .scenario // ""' "$catalogue")

# The baseline: every shipped scenario has an entry and passes unmutated.
copies=()
base_copies=()
for j in "${!scenarios[@]}"; do
	copies[j]=$(copy_area "${scenarios[j]}" "$work/base/$j") || copies[j]=""
	if [ -n "$chain_skip" ] && is_chain "${scenarios[j]}"; then continue; fi
	base_copies+=("${copies[j]}")
done
base_out=$("$trustlab" run "${base_copies[@]}" 2>&1)
base_rc=$?
for j in "${!scenarios[@]}"; do
	s=${scenarios[j]}
	entries=0
	for ms in "${m_scen[@]}"; do [ "$ms" = "$s" ] && entries=$((entries + 1)); done
	sec=$(section "${copies[j]}" <<<"$base_out")
	if [ -n "$chain_skip" ] && is_chain "$s"; then
		t=$((t + 1)); echo "ok $t - $s: baseline # SKIP $chain_skip"
	elif [ "$entries" -eq 0 ]; then
		not_ok "$s: baseline" "no mutation in $catalogue names this scenario"
	elif [ "$base_rc" -gt 1 ] || [ -z "$sec" ]; then
		not_ok "$s: baseline ($entries mutation(s))" "trustlab run of the unmutated copies exited $base_rc" \
			"$(head -20 <<<"$base_out")"
	elif grep -q '^  FAIL' <<<"$sec"; then
		not_ok "$s: baseline ($entries mutation(s))" "the unmutated copy fails:" \
			"$(grep -A6 '^  FAIL' <<<"$sec" | head -20)"
	else
		ok "$s: baseline ($entries mutation(s))"
	fi
done
rm -rf "$work/base"

# apply I: copy mutation I's scenario directory and apply its replacements;
# sets copy_path, or apply_error (the catalogue is out of sync).
apply() {
	local i=$1 m n_rep r from to rest text pcopy
	m=$(jq -c ".[$i]" "$catalogue")
	apply_error=""
	copy_path=""
	s=$(jq -r '.scenario // ""' <<<"$m")
	policy=$(jq -r '.policy // ""' <<<"$m")
	n_rep=$(jq '.replace | length' <<<"$m" 2>/dev/null || echo 0)
	if [ -z "$s" ] || [ -z "$policy" ] || [ "$(jq -r '.why // ""' <<<"$m")" = "" ] ||
		[ "$(jq -r '.expect_failing_case // ""' <<<"$m")" = "" ] ||
		[ "$(jq -r '.expect_trace // ""' <<<"$m")" = "" ] || [ "$n_rep" -eq 0 ]; then
		apply_error="scenario, policy, why, replace, expect_failing_case and expect_trace are all required"
		return
	fi
	if [ ! -f "$src/$s" ] || [ ! -f "$src/$policy" ] ||
		{ [ "$(dirname "$(dirname "$policy")")" != "$(dirname "$s")" ] && [ "$policy" != "$s" ]; }; then
		apply_error="$s or $policy does not exist, or the policy is neither under the scenario's policies/ nor the scenario itself"
		return
	fi
	copy_path=$(copy_area "$s" "$work/m$i") || { apply_error="copy failed"; return; }
	pcopy=$work/m$i/policies/$(basename "$policy")
	# A credential-chain fix lives in the case's environment: the scenario.
	[ "$policy" = "$s" ] && pcopy=$copy_path
	text=$(cat "$pcopy"; echo x)
	text=${text%x}
	for ((r = 0; r < n_rep; r++)); do
		from=$(jq -j ".replace[$r].from" <<<"$m")
		to=$(jq -j ".replace[$r].to" <<<"$m")
		rest=${text#*"$from"}
		if [ -z "$from" ] || [ "$rest" = "$text" ]; then
			apply_error="replace[$r].from $(jq -c ".replace[$r].from" <<<"$m") is not in $policy (the catalogue is out of sync with the policy)"
			return
		fi
		case $rest in *"$from"*)
			apply_error="replace[$r].from $(jq -c ".replace[$r].from" <<<"$m") occurs more than once in $policy"
			return ;;
		esac
		text="${text%%"$from"*}$to$rest"
	done
	printf '%s' "$text" >"$pcopy"
}

declare -a m_copy m_error m_wave
declare -A seen
max_wave=0
for ((i = 0; i < n_mut; i++)); do
	k=${m_scen[i]}
	m_wave[i]=${seen[$k]:-0}
	seen[$k]=$((m_wave[i] + 1))
	[ "${m_wave[i]}" -gt "$max_wave" ] && max_wave=${m_wave[i]}
done
for ((w = 0; w <= max_wave; w++)); do
	batch=()
	for ((i = 0; i < n_mut; i++)); do
		[ "${m_wave[i]}" -eq "$w" ] || continue
		if [ -n "$chain_skip" ] && is_chain "${m_scen[i]}"; then
			m_error[i]="SKIP"
			continue
		fi
		apply "$i"
		m_error[i]=$apply_error
		m_copy[i]=$copy_path
		[ -z "$apply_error" ] && batch+=("$copy_path")
	done
	[ "${#batch[@]}" -eq 0 ] && continue
	out=$("$trustlab" run "${batch[@]}" 2>&1)
	rc=$?
	for ((i = 0; i < n_mut; i++)); do
		[ "${m_wave[i]}" -eq "$w" ] && [ -z "${m_error[i]}" ] || continue
		m=$(jq -c ".[$i]" "$catalogue")
		name="${m_scen[i]}: $(jq -r .why <<<"$m")"
		want_case=$(jq -r .expect_failing_case <<<"$m")
		want_trace=$(jq -r .expect_trace <<<"$m")
		sec=$(section "${m_copy[i]}" <<<"$out")
		blocks=$(fail_blocks "$want_case" <<<"$sec")
		if [ "$rc" -ne 1 ] || [ -z "$sec" ]; then
			result[i]=$(printf 'not ok - %s\n#   trustlab run exited %s, want 1 (the mutation went unnoticed?)\n' "$name" "$rc"; head -20 <<<"$out" | sed 's/^/#   /')
		elif [ -z "$blocks" ]; then
			result[i]=$(printf 'not ok - %s\n#   case "%s" is not shown as FAIL; the failing cases are:\n' "$name" "$want_case"; grep '^  FAIL' <<<"$sec" | head -10 | sed 's/^/#   /'; [ -n "$(grep '^  FAIL' <<<"$sec")" ] || echo "#   (none)")
		elif ! grep -qF -- "$want_trace" <<<"$blocks"; then
			result[i]=$(printf 'not ok - %s\n#   the why: of "%s" lacks "%s":\n' "$name" "$want_case" "$want_trace"; sed 's/^/#   /' <<<"$blocks")
		else
			result[i]="ok - $name -> \"$want_case\" fails"
		fi
	done
	for ((i = 0; i < n_mut; i++)); do [ "${m_wave[i]}" -eq "$w" ] && rm -rf "$work/m$i"; done
done

for ((i = 0; i < n_mut; i++)); do
	if [ "${m_error[i]}" = SKIP ]; then
		t=$((t + 1)); echo "ok $t - ${m_scen[i]}: mutation $i # SKIP $chain_skip"
	elif [ -n "${m_error[i]}" ]; then
		not_ok "${m_scen[i]}: mutation $i" "${m_error[i]}"
	elif [ "${result[i]}" = "" ]; then
		not_ok "${m_scen[i]}: mutation $i" "never ran"
	else
		t=$((t + 1))
		case ${result[i]} in not*) failed=1 ;; esac
		first=${result[i]%%$'\n'*}
		case $first in
		"ok - "*) echo "ok $t - ${first#ok - }" ;;
		*) echo "not ok $t - ${first#not ok - }" ;;
		esac
		[ "$first" != "${result[i]}" ] && printf '%s\n' "${result[i]#*$'\n'}"
	fi
done
exit $failed
