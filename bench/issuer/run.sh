#!/bin/sh
# Issuer benchmark, one run, same machine, same load generator (wrk from
# Debian: apt-get install wrk):
#   - RS256 signing ceiling: openssl speed -multi 2 rsa2048 (sign/s);
#   - mock-issuer: POST /github/tokens (RS256 mint over HTTP, keep-alive)
#     and GET /github/.well-known/jwks;
#   - bench-issuer: one core in-process, a mint beside a bare signature;
#   - oauth2-mock-server (npm, installed here with `npm ci` into the
#     ignored bench/issuer/node_modules): POST /token and GET /jwks.
# Prints a table with ratios. Not a test: nothing is asserted.
#   bench/issuer/run.sh [BUILD_DIR]      (DURATION=10 seconds per run)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
d=${DURATION:-10}
load="wrk -t2 -c32 -d${d}s"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

rate() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1" | cut -d. -f1; }
non2xx() { sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$1"; }

echo "openssl speed -multi 2 rsa2048 ..." >&2
openssl speed -seconds "$d" -multi 2 rsa2048 >"$tmp/speed" 2>/dev/null
# "rsa 2048 bits 0.000350s 0.000010s 2858.0 100000.0": the sign/s column.
sign=$(awk '/^rsa 2048 bits/ { v = $6 } END { printf "%d", v }' "$tmp/speed")

"$build/mock-issuer/mock-issuer" --quiet --threads 2 --max-connections 256 --profiles github \
	--key "$root/tests/data/keys/rsa2048.pem" >"$tmp/mi.out" 2>"$tmp/mi.err" &
mi_pid=$!
pids="$pids $mi_pid"
while ! grep -q '^listening on ' "$tmp/mi.out"; do sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$tmp/mi.out")
# CPU ticks (utime + stime) of the server: on a shared machine, tokens per
# CPU-second of the server against signatures per core-second is the
# figure that other processes do not move.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
echo "mock-issuer tokens ..." >&2
t0=$(ticks "$mi_pid")
$load -s "$here/token.lua" "$url/github/tokens" >"$tmp/mi-tok"
t1=$(ticks "$mi_pid")
echo "mock-issuer jwks ..." >&2
$load "$url/github/.well-known/jwks" >"$tmp/mi-jwks"
mi_tok=$(rate "$tmp/mi-tok")
mi_jwks=$(rate "$tmp/mi-jwks")
mi_bad="$(non2xx "$tmp/mi-tok")$(non2xx "$tmp/mi-jwks")"

peer_tok=- peer_jwks=-
if [ ! -d "$here/node_modules/oauth2-mock-server" ]; then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2 || true
fi
if [ -d "$here/node_modules/oauth2-mock-server" ]; then
	port=$((20000 + $$ % 20000))
	(cd "$here" && exec node node_modules/oauth2-mock-server/dist/oauth2-mock-server.mjs \
		-a 127.0.0.1 -p "$port") >"$tmp/peer.out" 2>&1 &
	pids="$pids $!"
	i=0
	while ! curl -sf "http://127.0.0.1:$port/jwks" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05
	done
	echo "oauth2-mock-server tokens ..." >&2
	$load -s "$here/peer-token.lua" "http://127.0.0.1:$port/token" >"$tmp/p-tok"
	echo "oauth2-mock-server jwks ..." >&2
	$load "http://127.0.0.1:$port/jwks" >"$tmp/p-jwks"
	peer_tok=$(rate "$tmp/p-tok")
	peer_jwks=$(rate "$tmp/p-jwks")
fi

hz=$(getconf CLK_TCK)
mi_cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
mi_per_cpu=$(awk -v r="$mi_tok" -v d="$d" -v c="$mi_cpu" 'BEGIN { if (c > 0) printf "%d", r * d / c; else print 0 }')
# One core, back to back in one process: a mint beside a bare signature.
inproc=$("$build/bench/issuer/bench-issuer" "$root/tests/data/keys/rsa2048.pem" 2000)
sign_per_core=$(echo "$inproc" | sed -n 's/.*sign_per_s=\([0-9]*\).*/\1/p')
mint_per_core=$(echo "$inproc" | sed -n 's/.*mint_per_s=\([0-9]*\).*/\1/p')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
printf '%-44s %12s %12s\n' "measure (wrk -t2 -c32 -d${d}s, keep-alive)" "per second" "ratio"
printf '%-44s %12s %12s\n' "openssl speed -multi 2 rsa2048 sign" "$sign" "1.00"
printf '%-44s %12s %12s\n' "mock-issuer RS256 mint over HTTP" "$mi_tok" "$(ratio "$mi_tok" "$sign")"
printf '%-44s %12s %12s\n' "  per server CPU-second ($mi_cpu s used)" "$mi_per_cpu" "$(ratio "$mi_per_cpu" "$sign_per_core")"
printf '%-44s %12s %12s\n' "bare RS256 sign, 1 core, in-process" "$sign_per_core" "(CPU ref)"
printf '%-44s %12s %12s\n' "mint (claims+JSON+sign), 1 core, in-process" "$mint_per_core" "$(ratio "$mint_per_core" "$sign_per_core")"
printf '%-44s %12s %12s\n' "oauth2-mock-server RS256 /token" "$peer_tok" "$(ratio "$peer_tok" "$sign")"
printf '%-44s %12s %12s\n' "mock-issuer JWKS GET" "$mi_jwks" "-"
printf '%-44s %12s %12s\n' "oauth2-mock-server JWKS GET" "$peer_jwks" "-"
printf '%-44s %12s\n' "mock-issuer tokens / oauth2-mock-server" "$(ratio "$mi_tok" "$peer_tok")"
printf '%-44s %12s\n' "mock-issuer JWKS / oauth2-mock-server" "$(ratio "$mi_jwks" "$peer_jwks")"
printf 'targets: mint >= 0.70 x sign and >= 2000/s; JWKS >= 50000/s\n'
[ -z "$mi_bad" ] || echo "WARNING: non-2xx answers from mock-issuer: $mi_bad"
