#!/bin/sh
# SPDX-License-Identifier: MIT
# Real AWS clients against a real mock-sts (issue 7): the Debian `aws` CLI,
# Debian python3-boto3, and npm @aws-sdk/client-sts + credential-providers.
# Each assumes a role with a token minted by lib/jose (sts-fixture), proves
# the credentials with GetCallerIdentity, and sees AccessDenied for a denied
# role and InvalidIdentityToken for a wrong audience. TAP; a client that is
# not installed (or an npm registry that cannot be reached) is a SKIP with
# the reason, never a silent pass.
# Usage: test-sts-clients.sh MOCK_STS STS_FIXTURE CLIENTS_SRC_DIR
set -u
mock_sts=$1 fixture=$2 clients=$3
account=123456789012
work=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "1..7"
if ! "$fixture" "$work"; then
	echo "Bail out! sts-fixture failed"
	exit 1
fi
"$mock_sts" --listen 127.0.0.1:0 --config "$work/config.json" \
	--jwks-file "https://token.actions.githubusercontent.com=$work/jwks.json" \
	--audit-log "$work/audit.log" >"$work/stdout" 2>"$work/stderr" &
pid=$!
url=
for _ in $(seq 1 100); do
	url=$(sed -n 's/^listening on //p' "$work/stdout" | head -n1)
	[ -n "$url" ] && break
	sleep 0.05
done
if [ -z "$url" ]; then
	echo "Bail out! mock-sts did not start: $(cat "$work/stderr")"
	exit 1
fi

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$work/out"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# A clean environment: no user config, no real credentials, no IMDS.
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE

# --- Debian awscli -----------------------------------------------------------
awscli=
for c in /usr/bin/aws "$(command -v aws 2>/dev/null)"; do
	if [ -n "$c" ] && [ -x "$c" ] && "$c" --version >/dev/null 2>&1; then awscli=$c; break; fi
done
if [ -z "$awscli" ]; then
	for t in "aws cli: assume, get-caller-identity" "aws cli: AccessDenied, InvalidIdentityToken" \
		"aws cli: iam create/get/delete role"; do
		skip "$t" "the aws CLI is not installed (apt-get install awscli)"
	done
else
	a() { "$awscli" --endpoint-url "$url" --output text "$@"; }
	creds=$(a sts assume-role-with-web-identity --role-arn "arn:aws:iam::$account:role/deploy" \
		--role-session-name cli --web-identity-token "file://$work/token" \
		--query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' 2>"$work/out")
	set -- $creds
	arn=
	if [ $# -eq 3 ]; then
		arn=$(AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=$2 AWS_SESSION_TOKEN=$3 \
			a sts get-caller-identity --query Arn 2>>"$work/out")
	fi
	if [ "$arn" = "arn:aws:sts::$account:assumed-role/deploy/cli" ]; then
		ok "aws cli: assume, get-caller-identity ($arn)"
	else
		echo "got '$arn'" >>"$work/out"; notok "aws cli: assume, get-caller-identity"
	fi
	a sts assume-role-with-web-identity --role-arn "arn:aws:iam::$account:role/locked" \
		--role-session-name cli --web-identity-token "file://$work/token" >"$work/out" 2>&1
	a sts assume-role-with-web-identity --role-arn "arn:aws:iam::$account:role/deploy" \
		--role-session-name cli --web-identity-token "file://$work/token-wrong-aud" \
		>>"$work/out" 2>&1
	if grep -q '(AccessDenied) when calling the AssumeRoleWithWebIdentity' "$work/out" &&
		grep -q '(InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity' "$work/out"; then
		ok "aws cli: AccessDenied, InvalidIdentityToken"
	else
		notok "aws cli: AccessDenied, InvalidIdentityToken"
	fi
	export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
	{
		a iam create-role --role-name cli-made --path /ci/ \
			--assume-role-policy-document "file://$work/trust-policy.json" --query Role.Arn &&
		a iam update-role --role-name cli-made --max-session-duration 7200 &&
		a iam get-role --role-name cli-made --query Role.MaxSessionDuration &&
		a iam delete-role --role-name cli-made &&
		a iam get-role --role-name cli-made
	} >"$work/out" 2>&1
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	if grep -q "arn:aws:iam::$account:role/ci/cli-made" "$work/out" && grep -qx 7200 "$work/out" &&
		grep -q '(NoSuchEntity) when calling the GetRole' "$work/out"; then
		ok "aws cli: iam create/get/delete role"
	else
		notok "aws cli: iam create/get/delete role"
	fi
fi

# --- Debian python3-boto3 ------------------------------------------------------
py=
for c in /usr/bin/python3 "$(command -v python3 2>/dev/null)"; do
	if [ -n "$c" ] && [ -x "$c" ] && "$c" -c 'import boto3' 2>/dev/null; then py=$c; break; fi
done
if [ -z "$py" ]; then
	skip "boto3: assume, get-caller-identity, errors" "boto3 is not installed (apt-get install python3-boto3)"
elif "$py" "$clients/boto3_flow.py" "$url" "$work" "$account" >"$work/out" 2>&1; then
	ok "boto3: assume, get-caller-identity, AccessDenied, InvalidIdentityToken"
else
	notok "boto3: assume, get-caller-identity, errors"
fi

# --- npm @aws-sdk/client-sts, @aws-sdk/credential-providers ----------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	skip "node: client-sts" "node/npm are not installed"
	skip "node: fromTokenFile" "node/npm are not installed"
else
	if [ ! -d "$clients/node_modules/@aws-sdk/client-sts" ] ||
		[ ! -d "$clients/node_modules/@aws-sdk/credential-providers" ]; then
		(cd "$clients" && timeout 300 npm ci --no-audit --no-fund) >"$work/npm" 2>&1
	fi
	if [ ! -d "$clients/node_modules/@aws-sdk/credential-providers" ]; then
		why="npm ci failed (registry unreachable?): $(tail -n1 "$work/npm")"
		skip "node: client-sts" "$why"
		skip "node: fromTokenFile" "$why"
	elif AWS_ENDPOINT_URL_STS=$url node "$clients/node_flow.mjs" "$work" "$account" \
		>"$work/out" 2>&1; then
		ok "node: client-sts with AWS_ENDPOINT_URL_STS, AccessDenied, InvalidIdentityToken"
		ok "node: fromTokenFile (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN)"
	else
		notok "node: client-sts"
		notok "node: fromTokenFile"
	fi
fi

# --- the audit log holds no secret ---------------------------------------------------
if [ -s "$work/audit.log" ] && ! grep -q "$(cut -c1-40 "$work/token")" "$work/audit.log" &&
	! grep -q 'SecretAccessKey\|secretAccessKey\|sessionToken' "$work/audit.log" &&
	grep -q '"eventName":"AssumeRoleWithWebIdentity"' "$work/audit.log"; then
	ok "audit log: CloudTrail events, no token, secret or session token"
else
	cp "$work/audit.log" "$work/out" 2>/dev/null; notok "audit log: CloudTrail events, no secrets"
fi
