// The peer on the same workload as bench-policy.c: @cloud-copilot/iam-simulate
// runSimulation(), in-process, one thread (reference/perf.md, sim2.mjs).
// Prints evaluations per second and how many answers match AWS semantics.
//   node iam-simulate.mjs [WORKLOAD.json] [N]
import { readFileSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const path = process.argv[2] || new URL('./workload.json', import.meta.url).pathname;
const N = Number(process.argv[3] || 20000);
const w = JSON.parse(readFileSync(path, 'utf8'));
const want = { allow: 'Allowed', deny: 'ExplicitlyDenied', 'implicit-deny': 'ImplicitlyDenied' };
const sim = (r) => ({
  request: { principal: w.principal, action: 'sts:AssumeRoleWithWebIdentity',
    resource: { resource: 'arn:aws:iam::123456789012:role/deploy', accountId: '123456789012' },
    contextVariables: r.keys },
  identityPolicies: [], serviceControlPolicies: [], resourceControlPolicies: [],
  resourcePolicy: w.policy,
});

let right = 0;
const ignored = new Set();
for (const r of w.requests) {
  const res = await runSimulation(sim(r), { simulationMode: 'Strict' });
  if (res.resultType !== 'error' && res.overallResult === want[r.expect]) right++;
  for (const k of res.result?.ignoredContextKeys ?? []) ignored.add(k);
}
for (let i = 0; i < 500; i++) await runSimulation(sim(w.requests[i % w.requests.length]), { simulationMode: 'Strict' });
const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) await runSimulation(sim(w.requests[i % w.requests.length]), { simulationMode: 'Strict' });
const dt = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`iam-simulate: evaluations=${N} seconds=${dt.toFixed(3)} evals_per_s=${(N / dt).toFixed(0)} ` +
  `right_answers=${right}/${w.requests.length} ignored_keys=${JSON.stringify([...ignored])}`);
