#!/bin/sh
# Runs the trustlab policy benchmark and, when installed, iam-simulate on the
# same workload, one after the other, and prints the ratio.
#   bench/policy/run.sh BUILD_DIR
# iam-simulate (AGPL-3.0) is not vendored; install it next to this script:
#   npm install --no-save --prefix bench/policy @cloud-copilot/iam-simulate@0.1.173
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
ours=$("$build/bench/policy/bench-policy" "$here/workload.json" "${N:-2000000}")
echo "$ours"
if [ -d "$here/node_modules/@cloud-copilot/iam-simulate" ]; then
	peer=$(node "$here/iam-simulate.mjs" "$here/workload.json" "${PEER_N:-20000}")
	echo "$peer"
	a=$(echo "$ours" | sed -n 's/^trustlab policy: .*evals_per_s=\([0-9]*\).*/\1/p')
	b=$(echo "$peer" | sed -n 's/.*evals_per_s=\([0-9]*\).*/\1/p')
	echo "ratio trustlab/iam-simulate: $(awk "BEGIN { printf \"%.0f\", $a / $b }")x"
else
	echo "iam-simulate: not installed (see the comment in $0)"
fi
