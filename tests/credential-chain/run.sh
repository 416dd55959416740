#!/bin/sh
# SPDX-License-Identifier: MIT
# Credential chains through real SDKs (issue 14), TAP:
#  1. the real mock-sts program with --imds-listen, --instance, --task and
#     --user, and the AWS SDK for JavaScript v3 default chain and boto3's
#     reading static keys, ECS container credentials and IMDSv2 from it;
#  2. `trustlab run scenarios/credential-chain`: the shipped lessons, each
#     case with every SDK it names.
# An SDK that is not installed (or an npm registry that cannot be reached)
# is a SKIP with the reason, never a pass.
# Usage: run.sh MOCK_STS TRUSTLAB SOURCE_ROOT
set -u
mock_sts=$1 trustlab=$2 src=$3
clients=$src/tests/clients-sts
work=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "1..8"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$work/out"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

cat >"$work/ec2.json" <<'JSON'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}
JSON
cat >"$work/ecs.json" <<'JSON'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}
JSON
cat >"$work/config.json" <<'JSON'
{"roles": [{"name": "app", "trust_policy": "ec2.json"}, {"name": "task", "trust_policy": "ecs.json"}]}
JSON
"$mock_sts" --listen 127.0.0.1:0 --config "$work/config.json" --imds-listen 127.0.0.1:0 \
	--instance i-0abc=app --task t1=task:sekrit --user ci-legacy=AKIAOLDKEY0000000001:oldsecret \
	>"$work/stdout" 2>"$work/stderr" &
pid=$!
url= imds=
for _ in $(seq 1 100); do
	url=$(sed -n 's/^listening on //p' "$work/stdout" | head -n1)
	[ -n "$url" ] && break
	sleep 0.05
done
imds=$(sed -n 's/^imds listening on //p' "$work/stdout" | head -n1)
if [ -z "$url" ] || [ -z "$imds" ]; then
	echo "Bail out! mock-sts did not start: $(cat "$work/stderr")"
	exit 1
fi

# The drivers print {"outcome": ..., "arn": ...}: the scenario runner's,
# here as files so the program is driven exactly as the runner drives it.
cat >"$work/drv.cjs" <<'JS'
const { fromNodeProviderChain } = require("@aws-sdk/credential-providers");
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
(async () => {
  try {
    const sts = new STSClient({ region: "us-east-1", credentials: fromNodeProviderChain(), maxAttempts: 1 });
    console.log((await sts.send(new GetCallerIdentityCommand({}))).Arn);
  } catch (e) { console.log(`${e.name}: ${e.message}`); }
})();
JS
cat >"$work/drv.py" <<'PY'
import os, boto3, botocore.session
orig = botocore.session.Session.create_client
def create_client(self, name, *a, **kw):
    # botocore < 1.31 ignores AWS_ENDPOINT_URL_STS
    if name == "sts" and not kw.get("endpoint_url"):
        kw["endpoint_url"] = os.environ["AWS_ENDPOINT_URL_STS"]
    return orig(self, name, *a, **kw)
botocore.session.Session.create_client = create_client
try:
    print(boto3.Session().client("sts").get_caller_identity()["Arn"])
except Exception as e:
    print(type(e).__name__, e)
PY
base="HOME=$work PATH=$PATH AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_ENDPOINT_URL_STS=$url AWS_EC2_METADATA_SERVICE_ENDPOINT=$imds NODE_NO_WARNINGS=1"
acct=123456789012
# check SDK NAME EXPECTED ENV...: runs the SDK's chain with only ENV.
check() {
	sdk=$1 name=$2 want=$3
	shift 3
	if [ "$sdk" = node ]; then
		env -i $base NODE_PATH="$clients/node_modules" "$@" node "$work/drv.cjs" >"$work/out" 2>&1
	else
		env -i $base "$@" "$py" "$work/drv.py" >"$work/out" 2>&1
	fi
	if [ "$(tail -n1 "$work/out")" = "$want" ]; then ok "$sdk: $name"; else notok "$sdk: $name (want $want)"; fi
}

why=$("$clients/ensure-node-modules.sh" "$clients")
if [ -n "$why" ]; then
	for t in "static keys" "ECS container credentials" "IMDSv2 instance profile"; do
		skip "node: $t" "$why"
	done
else
	check node "static keys" "arn:aws:iam::$acct:user/ci-legacy" \
		AWS_ACCESS_KEY_ID=AKIAOLDKEY0000000001 AWS_SECRET_ACCESS_KEY=oldsecret
	check node "ECS container credentials" "arn:aws:sts::$acct:assumed-role/task/t1" \
		AWS_CONTAINER_CREDENTIALS_FULL_URI="$url/_trustlab/ecs/t1" AWS_CONTAINER_AUTHORIZATION_TOKEN=sekrit
	check node "IMDSv2 instance profile" "arn:aws:sts::$acct:assumed-role/app/i-0abc"
fi

py=
for c in /usr/bin/python3 "$(command -v python3 2>/dev/null)"; do
	if [ -n "$c" ] && [ -x "$c" ] && "$c" -c 'import boto3' 2>/dev/null; then py=$c; break; fi
done
if [ -z "$py" ]; then
	for t in "static keys" "ECS container credentials" "IMDSv2 instance profile"; do
		skip "boto3: $t" "boto3 is not installed (apt-get install python3-boto3)"
	done
else
	check boto3 "static keys" "arn:aws:iam::$acct:user/ci-legacy" \
		AWS_ACCESS_KEY_ID=AKIAOLDKEY0000000001 AWS_SECRET_ACCESS_KEY=oldsecret
	check boto3 "ECS container credentials" "arn:aws:sts::$acct:assumed-role/task/t1" \
		AWS_CONTAINER_CREDENTIALS_FULL_URI="$url/_trustlab/ecs/t1" AWS_CONTAINER_AUTHORIZATION_TOKEN=sekrit
	check boto3 "IMDSv2 instance profile" "arn:aws:sts::$acct:assumed-role/app/i-0abc"
fi

# --- the shipped lessons, through both SDKs ----------------------------------------
if [ -n "$why" ] || [ -z "$py" ]; then
	skip "trustlab run scenarios/credential-chain" "${why:-boto3 is not installed}"
else
	if TRUSTLAB_NODE_MODULES="$clients/node_modules" TRUSTLAB_PYTHON="$py" \
		"$trustlab" run "$src/scenarios/credential-chain" >"$work/out" 2>&1 &&
		grep -q ' 0 failed' "$work/out" && ! grep -q 'sdk-unavailable' "$work/out"; then
		ok "trustlab run scenarios/credential-chain: $(tail -n1 "$work/out")"
	else
		notok "trustlab run scenarios/credential-chain"
	fi
fi
# An SDK that cannot run is a failure that says so, never a pass.
if TRUSTLAB_NODE_MODULES="$work/none" "$trustlab" run --filter 'the fix, hop limit 2*' \
	"$src/scenarios/credential-chain/imdsv1-blocked.yaml" >"$work/out" 2>&1; then
	notok "a missing SDK fails the run"
elif grep -q 'sdk-unavailable' "$work/out" && grep -q 'no @aws-sdk/credential-providers' "$work/out"; then
	ok "a missing SDK fails the run, saying why"
else
	notok "a missing SDK fails the run, saying why"
fi
