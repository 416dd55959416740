#!/usr/bin/env bash
# trustlab run on 1,000 cases through both embedded servers over HTTP
# (issue 8's target: under 2 s on these 2-core machines). Generates the
# scenario (a 2 x 25 x 20 matrix, one role), runs it with the given --jobs
# values, and prints cases per second for each. Not a test.
#   bench/runner/run.sh [BUILD_DIR] [JOBS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
shift || true
jobs=("$@")
[ "${#jobs[@]}" -gt 0 ] || jobs=(1 2 4 8)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

refs=$(for i in $(seq 0 24); do printf '"refs/heads/b%d",' "$i"; done)
envs=$(for i in $(seq 1 19); do printf '"e%d",' "$i"; done)
cp "$here/../../tests/data/run/policies/main-only.json" "$work/policy.json"
cat > "$work/bench.json" <<JSON
{"trustlab": 1, "name": "bench 1000",
 "providers": {"github": {"profile": "github", "audiences": ["sts.amazonaws.com"]}},
 "roles": {"deploy": {"trust_policy": "policy.json"}},
 "defaults": {"provider": "github", "token": {"repository": "acme/app"},
              "request": {"session_name": "bench"}},
 "matrix": [{"name": "m",
   "token": {"event": ["push", "workflow_dispatch"],
             "ref": [${refs%,}],
             "environment": [null, ${envs%,}]},
   "allow": {"deploy": []}}]}
JSON
"$build/runner/trustlab" validate "$work/bench.json"
for j in "${jobs[@]}"; do
  start=$(date +%s.%N)
  "$build/runner/trustlab" run --jobs "$j" "$work/bench.json" > "$work/out.txt" || true
  end=$(date +%s.%N)
  summary=$(tail -n 1 "$work/out.txt")
  awk -v s="$start" -v e="$end" -v j="$j" -v sum="$summary" \
    'BEGIN { t = e - s; printf "trustlab run: jobs=%d cases=1000 seconds=%.2f cases_per_s=%.0f (%s)\n", j, t, 1000 / t, sum }'
done
