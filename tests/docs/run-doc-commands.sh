#!/usr/bin/env bash
# Runs every command the teaching docs show, so the docs stay true.
#
# Convention (the ONE the docs follow): a fenced ```sh block is executed,
# every other fence (```text, ```console, ```yaml, ...) is not. Inside a
# ```sh block each line is one command (a line ending in a backslash
# continues on the next); blank lines and lines starting with '#' are
# skipped. A trailing comment `# exit N` states the expected exit status
# (default 0). Commands run from the repository root with the built
# `trustlab` first on PATH, one bash each, so a doc may pipe and redirect.
# A ```sh block whose first line is `# one script` runs as ONE bash script
# (`set -e`; for a server started in the background and stopped by a trap
# in the same block); its status is expected to be 0.
#
# Usage: run-doc-commands.sh SOURCE_ROOT TRUSTLAB_PATH
# Output: TAP, one line per command naming the doc file and line.
set -u

root=${1:?source root}
trustlab=${2:?path to the built trustlab}

docs=(
	docs/tutorial.md
	docs/why-denied.md
	docs/credential-chain.md
	docs/lint.md
	docs/roles-from-iac.md
	docs/probe.md
	docs/diff.md
	docs/ci.md
	docs/github.md
	docs/gitlab.md
	docs/anti-patterns.md
)

bindir=$(mktemp -d)
# Every run gets its own scratch directory: the docs write under
# "${TMPDIR:-/tmp}/...", so two concurrent runs (two build trees, two
# CI jobs on one machine) never share files.
scratch=$(mktemp -d)
trap 'rm -rf "$bindir" "$scratch"' EXIT
export TMPDIR="$scratch"
ln -s "$(cd "$(dirname "$trustlab")" && pwd)/$(basename "$trustlab")" "$bindir/trustlab"
export PATH="$bindir:$PATH"
cd "$root" || exit 2

# The commands, as four parallel arrays (a script spans lines).
r_doc=() r_line=() r_expect=() r_cmd=()
add() {
	r_doc+=("$1") r_line+=("$2") r_expect+=("$3") r_cmd+=("$4")
}
for doc in "${docs[@]}"; do
	[ -f "$doc" ] || { echo "Bail out! $doc is missing"; exit 1; }
	in_sh=0 cont="" start=0 n=0 script="" first=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		if [ $in_sh -eq 0 ]; then
			[[ $line =~ ^\`\`\`sh[[:space:]]*$ ]] && in_sh=1 first=1
			continue
		fi
		if [[ $line =~ ^\`\`\` ]]; then
			in_sh=0
			if [ -n "$script" ]; then
				add "$doc" "$start" 0 "$script"
				script=""
			fi
			continue
		fi
		if [ $first -eq 1 ]; then
			first=0
			if [[ $line =~ ^#[[:space:]]*one[[:space:]]script[[:space:]]*$ ]]; then
				start=$n
				script="set -e"
				continue
			fi
		fi
		if [ -n "$script" ]; then
			script+=$'\n'"$line"
			continue
		fi
		if [ -z "$cont" ]; then
			[[ $line =~ ^[[:space:]]*$ || $line =~ ^[[:space:]]*# ]] && continue
			start=$n
		fi
		if [[ $line == *\\ ]]; then
			cont+="${line%\\} "
			continue
		fi
		cmd="$cont$line"
		cont=""
		expect=0
		if [[ $cmd =~ \#[[:space:]]*exit[[:space:]]+([0-9]+)[[:space:]]*$ ]]; then
			expect=${BASH_REMATCH[1]}
		fi
		add "$doc" "$start" "$expect" "$cmd"
	done <"$doc"
done

echo "1..${#r_cmd[@]}"
failed=0
for ((k = 0; k < ${#r_cmd[@]}; k++)); do
	i=$((k + 1))
	doc=${r_doc[k]} line=${r_line[k]} expect=${r_expect[k]} cmd=${r_cmd[k]}
	title=${cmd%%$'\n'*}
	[ "$title" = "set -e" ] && title="(a script of $(printf '%s\n' "$cmd" | wc -l) lines)"
	out=$(timeout 120 bash -c "$cmd" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" -eq "$expect" ]; then
		echo "ok $i - $doc:$line exits $expect: $title"
	else
		failed=$((failed + 1))
		echo "not ok $i - $doc:$line exits $rc, the doc says $expect: $title"
		printf '%s\n' "$out" | tail -n 30 | sed 's/^/# /'
	fi
done
exit $((failed > 0))
