/**
 * Releases through the real API: deploy --canary 50 over a live version runs both versions with
 * the right shares (each execution's record names its version and side), promote and rollback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bundle, tempPlatform } from './helpers.ts';
import { spansOfExecution } from '../src/observe/tracing/queries.ts';

let p: Awaited<ReturnType<typeof tempPlatform>>;
const ref = 'fraud/block-transaction';
const handler = 'export const handler = async () => ({ success: true, message: "ok" });\n';

async function call(method: string, path: string, body?: unknown) {
  const r = await p.fetch(path, {
    method,
    ...(body === undefined
      ? {}
      : Buffer.isBuffer(body)
        ? { body, headers: { 'content-type': 'application/gzip' } }
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: r.status, json: (await r.json()) as Record<string, any> };
}

describe('releases through the API', () => {
  before(async () => {
    p = await tempPlatform({ env: { ASPORA_UNSAFE_NO_SANDBOX: '1' } });
    for (const version of ['1.0.0', '1.1.0', '1.2.0'])
      assert.equal((await call('POST', '/v1/bundles', await bundle({ version, handler }))).status, 201);
    assert.equal(
      (await call('POST', `/v1/skills/${ref}/deployments`, { environment: 'production', version: '1.0.0' })).status,
      200,
    );
  });
  after(() => p?.cleanup());

  test('deploy --canary 50: 200 executions of 200 users, both versions, each record names its side', async () => {
    const d = await call('POST', `/v1/skills/${ref}/deployments`, {
      environment: 'production',
      version: '1.1.0',
      canary: 50,
    });
    assert.equal(d.status, 200, JSON.stringify(d.json));
    assert.equal(d.json.version, '1.0.0');
    assert.deepEqual([d.json.release.percentage, d.json.release.steps], [50, [50, 100]]);
    const seen = { '1.0.0': 0, '1.1.0': 0 } as Record<string, number>;
    for (let i = 0; i < 200; i++) {
      const r = await p.runtime.run({ ref, input: { userMessage: 'hi' }, caller: `user${i}@example.com` });
      assert.equal(r.success, true);
      seen[r.version]!++;
      assert.equal(r.releaseId, d.json.release.id);
      assert.equal(r.variant, r.version === '1.1.0' ? 'canary' : 'stable');
      assert.equal(r.environment, 'production');
    }
    assert.ok(seen['1.0.0']! >= 60 && seen['1.1.0']! >= 60, JSON.stringify(seen));
    // The same user keeps their side.
    const again = await p.runtime.run({ ref, input: {}, caller: 'user7@example.com' });
    const first = await p.runtime.run({ ref, input: {}, caller: 'user7@example.com' });
    assert.equal(again.version, first.version);
    // What was recorded says the same as what was returned.
    const stored = await p.runtime.getExecution(first.id);
    assert.deepEqual(
      [stored?.releaseId, stored?.variant, stored?.version],
      [first.releaseId, first.variant, first.version],
    );
    // Metrics name the version that served (bounded: a pinned run is 'other'); traces the side.
    await p.runtime.run({ ref, input: {}, version: '1.2.0' });
    const text = await p.metrics.registry.metrics();
    for (const version of ['1.0.0', '1.1.0', 'other'])
      assert.match(
        text,
        new RegExp(`aspora_executions_total\\{skill="${ref}",domain="fraud",version="${version}",status="success"`),
      );
    assert.doesNotMatch(text, /version="1\.2\.0"/);
    // The local span store is written in the background: wait for the execution's span.
    let span: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !span; i++) {
      [span] = (await spansOfExecution(p.db, first.id)).map((r) => r.attributes);
      if (!span) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(
      [span?.['aspora.skill.version'], span?.['aspora.release.variant'], span?.['aspora.release.id']],
      [first.version, first.variant, first.releaseId],
    );
    const listed = await call('GET', `/v1/skills/${ref}/releases`);
    assert.equal(listed.status, 200);
    const current = listed.json.releases[0].current;
    assert.equal(current.stable.executions + current.canary.executions, 202, 'the pinned run is no release’s');
  });

  test('context.invoke of a canaried skill is split too, by the same person, on the same side', async () => {
    const invoker = `export const handler = async (ctx) => {
  const r = await ctx.invoke('${ref}', { userMessage: 'from the invoker' });
  return { success: true, message: r.message };
};\n`;
    await call('POST', '/v1/bundles', await bundle({ name: 'invoker', version: '1.0.0', handler: invoker }));
    await call('POST', '/v1/skills/fraud/invoker/deployments', { environment: 'production', version: '1.0.0' });
    const sides = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const caller = `user${i}@example.com`;
      const parent = await p.runtime.run({ ref: 'fraud/invoker', input: {}, caller });
      assert.equal(parent.success, true, JSON.stringify(parent.error));
      assert.equal(parent.releaseId ?? null, null, 'the invoker has no release');
      const [child] = await p.runtime.listExecutions({ parentExecutionId: parent.id });
      const direct = await p.runtime.run({ ref, input: {}, caller });
      assert.deepEqual([child?.variant, child?.version], [direct.variant, direct.version], caller);
      sides.add(direct.variant!);
    }
    assert.deepEqual([...sides].sort(), ['canary', 'stable']);
  });

  test('promote: the environment runs the canary; a run afterwards is no release’s', async () => {
    const r = await call('POST', `/v1/skills/${ref}/promote`, { environment: 'production' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual([r.json.version, r.json.release.status], ['1.1.0', 'promoted']);
    const run = await p.runtime.run({ ref, input: {}, caller: 'user1@example.com' });
    assert.deepEqual([run.version, run.releaseId ?? null, run.variant ?? null], ['1.1.0', null, null]);
    const none = await call('POST', `/v1/skills/${ref}/promote`, { environment: 'production' });
    assert.deepEqual([none.status, none.json.error.code], [409, 'NO_RELEASE']);
  });

  test('rollback ends a release in flight: everything runs stable again', async () => {
    const d = await call('POST', `/v1/skills/${ref}/deployments`, {
      environment: 'production',
      version: '1.2.0',
      canary: 99,
    });
    assert.equal(d.json.release.percentage, 99);
    const busy = await call('POST', `/v1/skills/${ref}/deployments`, { environment: 'production', version: '1.0.0' });
    assert.deepEqual([busy.status, busy.json.error.code], [409, 'RELEASE_IN_FLIGHT']);
    const r = await call('POST', `/v1/skills/${ref}/rollback`, { environment: 'production' });
    assert.deepEqual([r.status, r.json.version, r.json.release.status], [200, '1.1.0', 'rolled_back']);
    for (let i = 0; i < 20; i++)
      assert.equal((await p.runtime.run({ ref, input: {}, caller: `user${i}@example.com` })).version, '1.1.0');
    const audit = await p.audit.query({ action: 'release.*' });
    assert.deepEqual(audit.map((a) => a.action).sort(), [
      'release.promote',
      'release.rollback',
      'release.start',
      'release.start',
    ]);
  });
});
