// SPDX-License-Identifier: MIT
// The AWS SDK for JavaScript v3 against mock-sts: STSClient with
// AWS_ENDPOINT_URL_STS, then fromTokenFile (AWS_WEB_IDENTITY_TOKEN_FILE +
// AWS_ROLE_ARN), each proving its credentials with GetCallerIdentity, and
// AWS's error codes for a denied role and a wrong audience.
// Usage: node node_flow.mjs FIXTURE_DIR ACCOUNT (AWS_ENDPOINT_URL_STS set)
import { readFileSync } from "node:fs";
import {
  STSClient,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
} from "@aws-sdk/client-sts";
import { fromTokenFile } from "@aws-sdk/credential-providers";

const [fixture, account] = process.argv.slice(2);
const region = "us-east-1";
const token = (name) => readFileSync(`${fixture}/${name}`, "utf8").trim();
const roleArn = (name) => `arn:aws:iam::${account}:role/${name}`;
const fail = (msg) => {
  console.error(msg);
  process.exit(1);
};

async function whoami(credentials) {
  const sts = new STSClient({ region, credentials, maxAttempts: 1 });
  return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
}

async function errorCode(role, tok) {
  const sts = new STSClient({ region, maxAttempts: 1 });
  try {
    await sts.send(new AssumeRoleWithWebIdentityCommand({
      RoleArn: roleArn(role), RoleSessionName: "node", WebIdentityToken: tok,
    }));
  } catch (e) {
    // Modeled errors surface as their shape name (InvalidIdentityToken ->
    // InvalidIdentityTokenException), the wire code stays in e.Error.Code.
    return e.Error?.Code ?? e.Code ?? e.name;
  }
  return "no error";
}

const sts = new STSClient({ region, maxAttempts: 1 });
const r = await sts.send(new AssumeRoleWithWebIdentityCommand({
  RoleArn: roleArn("deploy"), RoleSessionName: "node", WebIdentityToken: token("token"),
}));
const c = r.Credentials;
if (!c.AccessKeyId.startsWith("ASIA")) fail(`key id ${c.AccessKeyId}`);
let arn = await whoami({
  accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken,
});
if (arn !== `arn:aws:sts::${account}:assumed-role/deploy/node`) fail(`client-sts: ${arn}`);
console.log(`client-sts: ${arn}`);

process.env.AWS_WEB_IDENTITY_TOKEN_FILE = `${fixture}/token`;
process.env.AWS_ROLE_ARN = roleArn("deploy");
process.env.AWS_ROLE_SESSION_NAME = "fromTokenFile";
arn = await whoami(fromTokenFile({ clientConfig: { region } }));
if (arn !== `arn:aws:sts::${account}:assumed-role/deploy/fromTokenFile`) fail(`fromTokenFile: ${arn}`);
console.log(`fromTokenFile: ${arn}`);

let code = await errorCode("locked", token("token"));
if (code !== "AccessDenied") fail(`denied role: ${code}`);
code = await errorCode("deploy", token("token-wrong-aud"));
if (code !== "InvalidIdentityToken" && code !== "InvalidIdentityTokenException") {
  fail(`wrong audience: ${code}`);
}
console.log("denied role -> AccessDenied, wrong audience -> InvalidIdentityToken");
