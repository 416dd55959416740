#!/bin/sh
# SPDX-License-Identifier: MIT
# `trustlab run scenarios/`: every shipped scenario. The credential-chain
# lessons drive real SDKs (node_modules from tests/clients-sts, boto3);
# when those cannot be had, the other scenarios still run and the lessons
# are left out with the reason on stderr (the clients-credential-chain
# test reports them as skipped).
# Usage: run-shipped.sh TRUSTLAB SOURCE_ROOT
set -u
trustlab=$1 src=$2
clients=$src/tests/clients-sts
export TRUSTLAB_NODE_MODULES=$clients/node_modules
if why=$("$clients/ensure-node-modules.sh" "$clients") &&
	{ /usr/bin/python3 -c 'import boto3' 2>/dev/null || python3 -c 'import boto3' 2>/dev/null; }; then
	exec "$trustlab" run "$src/scenarios"
fi
echo "run-shipped: scenarios/credential-chain left out: ${why:-boto3 is not installed}" >&2
set --
for d in "$src"/scenarios/*/; do
	[ "$(basename "$d")" = credential-chain ] || set -- "$@" "$d"
done
exec "$trustlab" run "$@"
