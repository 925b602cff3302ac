/**
 * Seed 003's hybrid rule end to end: a cron-triggered skill with `canary_strategy: hybrid` deployed
 * over a live version starts a shadow release (an interactive one a split); its cron run is
 * shadowed, compared, and with identical behaviour and `on_pass: promote` the candidate is promoted.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runtimeFixture, skillFiles } from '../runtime/test-support.ts';
import { packFiles } from '../store/index.ts';
import { planDeploy } from './plan.ts';

const config = (version: string, cron: boolean) => `skill:
  name: nightly
  domain: ecm
  version: ${version}
  description: "Nightly triage. Use when testing the hybrid rule."
runtime:
  language: typescript
  entry_point: code/handler.ts
  timeout: 10s
  memory: 256MB
triggers:
${cron ? '  - type: cron\n    schedule: "0 7 * * *"' : '  - type: message\n    patterns: ["nightly"]'}
permissions:
  tools: [Read]
versioning:
  canary_strategy: hybrid
  shadow_config:
    keys: [order_id]
    max_diff_percentage: 5
    runs: 1
    on_pass: promote
owner_team: ecm-ops
`;
const HANDLER = `export const handler = async (ctx) => ({ success: true, message: 'at ' + new Date().toISOString(),
  data: { assignments: [{ order_id: '1', priority: 'P2' }, { order_id: '2', priority: 'P4' }] } });
`;

let f: Awaited<ReturnType<typeof runtimeFixture>>;
before(async () => {
  f = await runtimeFixture();
  for (const v of ['1.0.0', '1.1.0']) {
    const files = skillFiles({ name: 'nightly', domain: 'ecm', version: v, handler: HANDLER });
    files.set('aspora.config.yaml', Buffer.from(config(v, true)));
    await f.publisher.publish(Buffer.from((await packFiles(files)).bytes));
  }
  await f.publisher.deploy('ecm/nightly', 'production', '1.0.0');
});
after(() => f?.close());

test('hybrid: shadow for a cron-triggered skill, a traffic split for an interactive one', () => {
  const versioning = { canary_strategy: 'hybrid' as const };
  const cron = planDeploy({}, { versioning, triggers: [{ type: 'cron' }] }, { runsOther: true });
  const chat = planDeploy({}, { versioning, triggers: [{ type: 'message' }] }, { runsOther: true });
  assert.equal(cron.kind === 'release' && cron.mode, 'shadow');
  assert.equal(chat.kind === 'release' && chat.mode, 'split');
});

test('a hybrid cron skill’s deploy starts a shadow release; its cron run is shadowed and the candidate promoted', async () => {
  const answer = await f.releases.deploy('ecm/nightly', 'production', '1.1.0', {}, 'test');
  assert.equal(answer.release?.mode, 'shadow');
  assert.equal(answer.release?.shadow?.onPass, 'promote');
  assert.equal(answer.version, '1.0.0', 'the environment keeps running stable');
  const stable = await f.runtime.run({ ref: 'ecm/nightly', input: { userMessage: '' }, trigger: 'cron' });
  assert.equal(stable.version, '1.0.0');
  await f.runtime.shadows.idle();
  const r = await f.releases.store.get(answer.release!.id);
  assert.equal(r.status, 'promoted', JSON.stringify(r.decisions));
  assert.deepEqual(r.decisions.at(-1)?.numbers.diffs, [0]);
  assert.equal((await f.runtime.run({ ref: 'ecm/nightly', input: { userMessage: '' } })).version, '1.1.0');
});
