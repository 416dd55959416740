#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs tests/clients-sts/node_modules (npm ci from the committed lock)
# once, under a lock so parallel tests do not race. Prints the reason and
# exits 1 when node, npm or the registry is unavailable.
# Usage: ensure-node-modules.sh CLIENTS_DIR
set -u
dir=${1:?usage: ensure-node-modules.sh CLIENTS_DIR}
ready() {
	[ -d "$dir/node_modules/@aws-sdk/client-sts" ] &&
		[ -d "$dir/node_modules/@aws-sdk/credential-providers" ]
}
ready && exit 0
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "node/npm are not installed"
	exit 1
fi
log=$(mktemp)
(
	flock 9
	ready || (cd "$dir" && timeout 300 npm ci --no-audit --no-fund) >"$log" 2>&1
) 9>"$dir/.npm-lock"
if ! ready; then
	echo "npm ci failed (registry unreachable?): $(tail -n1 "$log")"
	rm -f "$log"
	exit 1
fi
rm -f "$log"
