#!/bin/bash
# trustlab diff on the fixture pairs under tests/data/diff/<case>/: OLD
# (old.json or old.yaml), NEW (new.*), optional `args` (extra options, one
# line), `expected.txt` and `expected.md` (the whole text and Markdown
# output, byte for byte) and `exit` (the expected status: 1 when access
# widens). A case that exits 1 must exit 0 with --allow-widen. Then bad
# input: exit 2. Commands run inside the case directory, so the paths in
# the output are the bare file names. docs/diff.md.
#
# usage: run-fixtures.sh SOURCE_ROOT TRUSTLAB [--update]
set -u
src=${1:?usage: run-fixtures.sh SOURCE_ROOT TRUSTLAB}
trustlab=${2:?usage: run-fixtures.sh SOURCE_ROOT TRUSTLAB}
update=${3:-}
data=$src/tests/data/diff
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT

mapfile -t cases < <(cd "$data" && find . -mindepth 1 -maxdepth 1 -type d | sed 's|^\./||' |
	LC_ALL=C sort)
bad=(
	"one argument|old.json"
	"three arguments|old.json new.json new.json"
	"a missing file|old.json missing.json"
	"an invalid policy|old.json args"
	"an unknown format|--format xml old.json new.json"
	"an unknown provider|--provider nope old.json new.json"
	"a missing scenario|--scenario missing.yaml old.json new.json"
)
echo "1..$(( ${#cases[@]} * 3 + ${#bad[@]} ))"
t=0 failed=0
ok() { t=$((t + 1)); echo "ok $t - $1"; }
not_ok() {
	t=$((t + 1)); failed=1
	echo "not ok $t - $1"
	shift
	local line
	for line in "$@"; do printf '#   %s\n' "$line"; done
}

for c in "${cases[@]}"; do
	cd "$data/$c" || exit 1
	old=$(ls old.* | head -1) new=$(ls new.* | head -1)
	args=()
	[ -f args ] && read -r -a args < args
	want_exit=$(cat exit 2>/dev/null || echo missing)
	for fmt in text markdown; do
		ext=txt
		[ $fmt = markdown ] && ext=md
		"$trustlab" diff --format $fmt "${args[@]}" "$old" "$new" >"$out" 2>&1
		rc=$?
		if [ "$update" = --update ]; then
			cp "$out" expected.$ext
			echo $rc >exit
			want_exit=$rc
		fi
		if [ "$rc" != "$want_exit" ]; then
			not_ok "$c ($fmt): exit $rc, expected $want_exit" "$(head -c 2000 "$out")"
		elif ! diff -u expected.$ext "$out" >/dev/null 2>&1; then
			mapfile -t d < <(diff -u expected.$ext "$out" | head -40)
			not_ok "$c ($fmt): output differs from expected.$ext" "${d[@]}"
		else
			ok "$c ($fmt): exit $rc, output as expected.$ext"
		fi
	done
	"$trustlab" diff --allow-widen "${args[@]}" "$old" "$new" >"$out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$c: --allow-widen exits 0"
	else
		not_ok "$c: --allow-widen exits $rc" "$(head -c 2000 "$out")"
	fi
done

cd "$data/prefix-wildcard" || exit 1
for b in "${bad[@]}"; do
	name=${b%%|*}
	read -r -a argv <<<"${b#*|}"
	"$trustlab" diff "${argv[@]}" >"$out" 2>&1
	rc=$?
	if [ $rc -eq 2 ] && grep -q "trustlab diff" "$out"; then
		ok "$name: exit 2 with a message"
	else
		not_ok "$name: exit $rc, expected 2 with a message" "$(head -c 2000 "$out")"
	fi
done
exit $failed
