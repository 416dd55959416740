#!/bin/sh
# AssumeRoleWithWebIdentity throughput and latency of mock-sts with every
# check on (strict token verification with RS256, issuer and audience,
# trust-policy evaluation with a trace kept per request, credentials
# issued), keep-alive, against two ceilings measured in the same run:
# a minimal libmicrohttpd server (same threading, fixed answer) driven by
# the same load client, and RSA-2048 verification alone (`openssl speed`).
#   bench/sts/run.sh BUILD_DIR      (env: SECONDS_PER_RUN=5 CONNECTIONS=16 THREADS=2)
set -eu
build=$(cd "${1:-build}" && pwd)
secs=${SECONDS_PER_RUN:-5}
conns=${CONNECTIONS:-16}
threads=${THREADS:-2}
work=$(mktemp -d)
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT INT TERM

wait_url() { # FILE
	for _ in $(seq 1 100); do
		u=$(sed -n 's/^listening on http:\/\/127.0.0.1://p' "$1" | head -n1)
		[ -n "$u" ] && { echo "$u"; return 0; }
		sleep 0.05
	done
	echo "server did not start" >&2; return 1
}

"$build/tests/integration/sts-fixture" "$work"
token=$(cat "$work/token")
printf 'Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%%3Aaws%%3Aiam%%3A%%3A123456789012%%3Arole%%2Fdeploy&RoleSessionName=bench&WebIdentityToken=%s' "$token" >"$work/body"

"$build/mock-sts/mock-sts" --quiet --threads "$threads" --max-connections 1024 \
	--config "$work/config.json" \
	--jwks-file "https://token.actions.githubusercontent.com=$work/jwks.json" >"$work/sts.out" &
pids="$pids $!"
port=$(wait_url "$work/sts.out")
"$build/bench/sts/bench-sts-load" "$port" "$work/body" 2 1 >/dev/null # warm up
sts=$("$build/bench/sts/bench-sts-load" "$port" "$work/body" "$conns" "$secs")

"$build/bench/sts/bench-mhd-minimal" "$threads" >"$work/mhd.out" &
pids="$pids $!"
port=$(wait_url "$work/mhd.out")
mhd=$("$build/bench/sts/bench-sts-load" "$port" "$work/body" "$conns" "$secs")

rsa1=$(openssl speed -seconds "$secs" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $7}')
rsa2=$(openssl speed -multi "$threads" -seconds "$secs" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $7}')

val() { echo "$1" | sed -n "s/.*$2=\([0-9.]*\).*/\1/p"; }
s_rps=$(val "$sts" req_per_s) m_rps=$(val "$mhd" req_per_s)
cat <<TABLE
mock-sts ARWWI benchmark ($conns keep-alive connections, $threads server threads, ${secs}s each, $(nproc) cores)

| what                                | req/s       | p50 ms | p99 ms | notes |
| ----------------------------------- | ----------- | ------ | ------ | ----- |
| mock-sts AssumeRoleWithWebIdentity  | $s_rps | $(val "$sts" p50_ms) | $(val "$sts" p99_ms) | $(echo "$sts" | sed 's/.*ok=/ok=/') |
| minimal libmicrohttpd (ceiling)     | $m_rps | $(val "$mhd" p50_ms) | $(val "$mhd" p99_ms) | fixed 200 |
| openssl speed rsa2048 verify, 1 core | $rsa1 | | | |
| openssl speed rsa2048 verify, -multi $threads | $rsa2 | | | |

ratio mock-sts / minimal MHD:         $(awk "BEGIN { printf \"%.3f\", $s_rps / $m_rps }")
ratio mock-sts / RSA verify (-multi): $(awk "BEGIN { printf \"%.3f\", $s_rps / $rsa2 }")
target: >= 10000 req/s and p99 <= 10 ms
TABLE
