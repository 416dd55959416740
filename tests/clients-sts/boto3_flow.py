# SPDX-License-Identifier: MIT
"""boto3 against mock-sts: assume a role with a web identity token, prove the
credentials with GetCallerIdentity, and see AWS's error codes for a denied
role and a wrong audience. Usage: boto3_flow.py ENDPOINT FIXTURE_DIR ACCOUNT"""
import sys

import boto3
import botocore.config
import botocore.exceptions

endpoint, fixture, account = sys.argv[1:4]
cfg = botocore.config.Config(retries={"max_attempts": 1})


def sts(**kw):
    return boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", config=cfg, **kw)


def token(name):
    with open(f"{fixture}/{name}") as f:
        return f.read().strip()


def assume(role, tok):
    # ARWWI is unsigned: boto3 sends no Authorization header for it.
    anon = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                        config=botocore.config.Config(retries={"max_attempts": 1},
                                                      signature_version=botocore.UNSIGNED))
    return anon.assume_role_with_web_identity(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="boto3",
        WebIdentityToken=tok, DurationSeconds=900)


def code_of(role, tok):
    try:
        assume(role, tok)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return "no error"


r = assume("deploy", token("token"))
c = r["Credentials"]
assert c["AccessKeyId"].startswith("ASIA"), c
assert r["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/deploy/boto3", r
me = sts(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
         aws_session_token=c["SessionToken"]).get_caller_identity()
want = f"arn:aws:sts::{account}:assumed-role/deploy/boto3"
assert me["Arn"] == want, me
assert me["Account"] == account, me
print("assume and get-caller-identity:", me["Arn"])

got = code_of("locked", token("token"))
assert got == "AccessDenied", got
got = code_of("deploy", token("token-wrong-aud"))
assert got == "InvalidIdentityToken", got
print("denied role -> AccessDenied, wrong audience -> InvalidIdentityToken")
