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
#
# Usage: run-doc-commands.sh SOURCE_ROOT TRUSTLAB_PATH
# Output: TAP, one line per command naming the doc file and line.
set -u

root=${1:?source root}
trustlab=${2:?path to the built trustlab}

docs=(
	docs/tutorial.md
)

bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
ln -s "$(cd "$(dirname "$trustlab")" && pwd)/$(basename "$trustlab")" "$bindir/trustlab"
export PATH="$bindir:$PATH"
cd "$root" || exit 2

# Collect "file<TAB>line<TAB>expected<TAB>command" records.
cmds=()
for doc in "${docs[@]}"; do
	[ -f "$doc" ] || { echo "Bail out! $doc is missing"; exit 1; }
	in_sh=0 cont="" start=0 n=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		if [ $in_sh -eq 0 ]; then
			[[ $line =~ ^\`\`\`sh[[:space:]]*$ ]] && in_sh=1
			continue
		fi
		if [[ $line =~ ^\`\`\` ]]; then
			in_sh=0
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
		cmds+=("$doc"$'\t'"$start"$'\t'"$expect"$'\t'"$cmd")
	done <"$doc"
done

echo "1..${#cmds[@]}"
i=0
failed=0
for rec in "${cmds[@]}"; do
	i=$((i + 1))
	IFS=$'\t' read -r doc line expect cmd <<<"$rec"
	out=$(timeout 120 bash -c "$cmd" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" -eq "$expect" ]; then
		echo "ok $i - $doc:$line exits $expect: $cmd"
	else
		failed=$((failed + 1))
		echo "not ok $i - $doc:$line exits $rc, the doc says $expect: $cmd"
		printf '%s\n' "$out" | tail -n 30 | sed 's/^/# /'
	fi
done
exit $((failed > 0))
