#!/bin/sh
# Client tests: real npm packages (jose, openid-client, @actions/core)
# against the built mock-issuer. Installs tests/clients/node_modules with
# `npm ci` when missing; exits 77 (skip) when node/npm or the registry is
# not available, so the suite never passes without running.
# Usage: run.sh MOCK_ISSUER CLIENTS_DIR CLAIMS_DIR
set -u
mi=$1 dir=$2 claims=$3

command -v node >/dev/null 2>&1 || { echo "SKIP: node is not installed"; exit 77; }
command -v npm >/dev/null 2>&1 || { echo "SKIP: npm is not installed"; exit 77; }
if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
   ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.trustlab-lock"; then
	if ! (cd "$dir" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >&2; then
		echo "SKIP: npm ci failed (is the npm registry reachable?)"
		exit 77
	fi
	cp "$dir/package-lock.json" "$dir/node_modules/.trustlab-lock"
fi

tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# Starts mock-issuer with the given flags; its URL goes to $tmp/NAME.url.
# (Not in a command substitution: the PID must reach `pids` here.)
start() {
	name=$1
	shift
	"$mi" --listen 127.0.0.1:0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pids="$pids $!"
	i=0
	while ! grep -q '^listening on ' "$tmp/$name.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ]; then
			echo "mock-issuer ($name) did not start:" >&2
			cat "$tmp/$name.err" >&2
			exit 1
		fi
		sleep 0.05
	done
	sed -n 's/^listening on //p' "$tmp/$name.out" >"$tmp/$name.url"
}

start default
start local --local-issuer
default_url=$(cat "$tmp/default.url")
local_url=$(cat "$tmp/local.url")
cd "$dir" && node clients.mjs "$default_url" "$local_url" "$claims"
