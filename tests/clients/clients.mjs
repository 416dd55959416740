// Real OIDC clients against a running mock-issuer (started by run.sh):
//   1. jose: createRemoteJWKSet + jwtVerify accept a token for every
//      golden case of tests/data/claims (every profile and trigger), and
//      reject every fault token;
//   2. openid-client: discovery end to end in --local-issuer mode;
//   3. @actions/core: getIDToken() through GitHub's runtime protocol.
// Usage: node clients.mjs DEFAULT_URL LOCAL_URL CLAIMS_DIR
// Prints TAP; exits 1 on any failure.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as jose from 'jose';
import * as oidc from 'openid-client';

const require = createRequire(import.meta.url);
const core = require('@actions/core');

const [defaultUrl, localUrl, claimsDir] = process.argv.slice(2);
let n = 0;
let failed = 0;
const ok = (cond, name, detail) => {
  n++;
  if (cond) console.log(`ok ${n} - ${name}`);
  else {
    failed++;
    console.log(`not ok ${n} - ${name}${detail ? `: ${detail}` : ''}`);
  }
};

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const jwksCache = new Map();
async function jwksFor(base, prefix) {
  const key = base + prefix;
  if (!jwksCache.has(key)) {
    const disc = await (await fetch(`${key}/.well-known/openid-configuration`)).json();
    jwksCache.set(key, jose.createRemoteJWKSet(new URL(disc.jwks_uri)));
  }
  return jwksCache.get(key);
}

// 1. jose, every golden case.
for (const profile of fs.readdirSync(claimsDir).sort()) {
  const dir = path.join(claimsDir, profile);
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const c = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    if (c.expect !== 'token') continue;
    const opts = c.options || {};
    const plain = !opts.issuer && !opts.org_sub_template && !opts.repo_sub_template;
    const body = {};
    if (c.context) body.context = c.context;
    if (opts.audience) body.audience = opts.audience;
    const name = `jose accepts ${profile}/${file}`;
    try {
      const r = await post(`${defaultUrl}/${profile}/tokens`, body);
      if (r.status !== 200) {
        ok(false, name, `status ${r.status} ${JSON.stringify(r.json)}`);
        continue;
      }
      const iss = plain ? c.claims.iss : r.json.claims.iss;
      const aud = Array.isArray(r.json.claims.aud) ? r.json.claims.aud[0] : r.json.claims.aud;
      const { payload, protectedHeader } = await jose.jwtVerify(
        r.json.token, await jwksFor(defaultUrl, `/${profile}`), { issuer: iss, audience: aud });
      let why = '';
      if (plain && c.claims.sub !== undefined && payload.sub !== c.claims.sub)
        why = `sub ${payload.sub} != ${c.claims.sub}`;
      if (!protectedHeader.kid) why = 'no kid';
      ok(!why, name, why);
    } catch (e) {
      ok(false, name, String(e));
    }
  }
}

// ... and rejects every fault token.
const pushCtx = { repository: 'octo/repo', event: 'push', ref: 'refs/heads/main' };
for (const fault of ['expired', 'not-yet-valid', 'wrong-issuer', 'missing-claims', 'wrong-key',
  'unknown-kid', 'bad-signature', 'alg-none', 'hs256-public-key']) {
  const r = await post(`${defaultUrl}/github/tokens`,
    { context: pushCtx, audience: 'sts.amazonaws.com', faults: [fault] });
  try {
    await jose.jwtVerify(r.json.token, await jwksFor(defaultUrl, '/github'), {
      issuer: 'https://token.actions.githubusercontent.com',
      audience: 'sts.amazonaws.com',
      requiredClaims: ['aud', 'sub', 'exp', 'iat'],
      algorithms: ['RS256'],
    });
    ok(false, `jose rejects fault ${fault}`, 'accepted');
  } catch (e) {
    ok(true, `jose rejects fault ${fault} (${e.code})`);
  }
}

// 2. openid-client discovery, local-issuer mode, every profile.
for (const profile of fs.readdirSync(claimsDir).sort()) {
  const issuer = `${localUrl}/${profile}`;
  try {
    const config = await oidc.discovery(new URL(issuer), 'trustlab-client', undefined, undefined,
      { execute: [oidc.allowInsecureRequests] });
    const meta = config.serverMetadata();
    ok(meta.issuer === issuer && meta.jwks_uri.startsWith(issuer),
      `openid-client discovers ${profile}`, JSON.stringify(meta).slice(0, 200));
    // The discovered keys verify a token whose iss is the discovered issuer.
    const ctx = JSON.parse(fs.readFileSync(path.join(claimsDir, profile,
      fs.readdirSync(path.join(claimsDir, profile)).sort()
        .find((f) => JSON.parse(fs.readFileSync(path.join(claimsDir, profile, f))).expect === 'token')))).context;
    const r = await post(`${issuer}/tokens`, { context: ctx, audience: 'trustlab-client' });
    const { payload } = await jose.jwtVerify(r.json.token,
      jose.createRemoteJWKSet(new URL(meta.jwks_uri)), { issuer: meta.issuer, audience: 'trustlab-client' });
    ok(payload.iss === issuer, `discovered ${profile} keys verify its token`);
  } catch (e) {
    ok(false, `openid-client discovers ${profile}`, String(e));
  }
}

// 3. @actions/core getIDToken() through the runtime protocol.
{
  const job = await post(`${defaultUrl}/github/runtime/jobs`, {
    context: { repository: 'octo/app', event: 'push', ref: 'refs/heads/main', environment: 'production' },
  });
  ok(job.status === 200, 'runtime job registered', JSON.stringify(job.json));
  Object.assign(process.env, job.json.env);
  try {
    const token = await core.getIDToken('sts.amazonaws.com');
    const { payload } = await jose.jwtVerify(token, await jwksFor(defaultUrl, '/github'), {
      issuer: 'https://token.actions.githubusercontent.com', audience: 'sts.amazonaws.com' });
    ok(payload.sub === 'repo:octo/app:environment:production', '@actions/core getIDToken(aud)', payload.sub);
    const dflt = await core.getIDToken();
    const p2 = jose.decodeJwt(dflt);
    ok(p2.aud === 'https://github.com/octo', '@actions/core getIDToken() default audience', p2.aud);
  } catch (e) {
    ok(false, '@actions/core getIDToken', String(e));
  }
  // A wrong request token: 401, which the toolkit reports and does not retry.
  process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'not-a-job-token';
  try {
    await core.getIDToken('sts.amazonaws.com');
    ok(false, '@actions/core with a wrong request token fails', 'got a token');
  } catch (e) {
    ok(/401/.test(String(e)), '@actions/core with a wrong request token fails with 401', String(e));
  }
  // A fork pull_request job: no token, so the runner exports no variables.
  const fork = await post(`${defaultUrl}/github/runtime/jobs`, {
    context: { repository: 'octo/app', event: 'pull_request', fork: true } });
  ok(fork.status === 403 && fork.json.error === 'no-token' && !fork.json.env,
    'fork pull_request job gets no variables', JSON.stringify(fork.json));
  delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  delete process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  try {
    await core.getIDToken('sts.amazonaws.com');
    ok(false, '@actions/core without variables fails');
  } catch (e) {
    ok(/ACTIONS_ID_TOKEN_REQUEST_URL/.test(String(e)), '@actions/core without variables fails as on GitHub', String(e));
  }
}

console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
