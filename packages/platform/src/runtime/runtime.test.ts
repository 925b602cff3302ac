import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeFixture } from './test-support.ts';

let f: Awaited<ReturnType<typeof runtimeFixture>>;
before(async () => {
  f = await runtimeFixture({ secrets: { TRM_API_KEY: 'trm-secret', OTHER_SECRET: 'nope' } });
});
after(() => f.close());

describe('TypeScript handlers in the sandbox', () => {
  test('runs a handler and records the execution', async () => {
    await f.deploy({
      name: 'echo',
      permissions: '  tools: [Read]\n  secrets: [TRM_API_KEY]',
      handler: `export const handler = async (ctx) => {
        const d = await ctx.tools.read({ path: 'DECISIONS.md' });
        ctx.log.info('read decisions', { bytes: d.length });
        console.log('plain stdout line');
        return { success: true, message: 'hi ' + ctx.input.userMessage, data: { first: d.split('\\n')[0], secrets: Object.keys(ctx.secrets), received: ctx.secrets.TRM_API_KEY === 'trm-secret', key: ctx.secrets.TRM_API_KEY }, confidence: 0.9 };
      };`,
    });
    const r = await f.runtime.run({ ref: 'test/echo', input: { userMessage: 'there', metadata: { a: 1 } } });
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.success, true);
    // The handler holds the secret; what it returns is recorded and answered with the secret scrubbed.
    assert.deepEqual(r.result, {
      success: true,
      message: 'hi there',
      data: { first: '# Decisions', secrets: ['TRM_API_KEY'], received: true, key: '[secret:TRM_API_KEY]' },
      confidence: 0.9,
    });
    assert.equal(r.version, '1.0.0');
    assert.ok(r.logs.some((l) => l.msg === 'read decisions' && l.source === 'handler'));
    assert.ok(r.logs.some((l) => l.msg === 'plain stdout line' && l.fields?.source === 'console'));
    assert.equal(r.hostCalls, 1);
    const again = await f.runtime.getExecution(r.id);
    assert.equal(again?.success, true);
  });

  test('a warm worker serves the next execution', async () => {
    await f.deploy({
      name: 'counter',
      handler: `let n = 0; export const handler = async () => ({ success: true, message: String(++n) });`,
    });
    const a = await f.runtime.run({ ref: 'test/counter', input: {} });
    const b = await f.runtime.run({ ref: 'test/counter', input: {} });
    assert.equal((a.result as { message: string }).message, '1');
    assert.equal((b.result as { message: string }).message, '2', 'same process, module state kept');
    // The first run waited for the version's build (apart from its durationMs); the second for nothing.
    assert.equal(typeof a.buildMs, 'number');
    assert.ok(a.buildMs! >= 0);
    assert.equal(b.buildMs, null);
    const stored = await f.runtime.listExecutions({ ref: 'test/counter' });
    assert.deepEqual(
      stored.map((e) => [e.id, e.buildMs]).sort(),
      [
        [a.id, a.buildMs],
        [b.id, null],
      ].sort(),
    );
  });

  test('a denied tool is a typed error naming skill, resource and rule; the handler can catch it', async () => {
    await f.deploy({
      name: 'denied',
      handler: `export const handler = async (ctx) => {
        try { await ctx.tools.write({ path: '/scratch/x', content: 'y' }); return { success: true, message: 'wrote' }; }
        catch (e) { return { success: false, message: e.code + ': ' + e.message, data: e.details }; }
      };`,
    });
    const r = await f.runtime.run({ ref: 'test/denied', input: {} });
    const res = r.result as { message: string; data: Record<string, unknown> };
    assert.match(res.message, /^PERMISSION_DENIED: skill test\/denied may not use tool Write/);
    assert.deepEqual(res.data, {
      skill: 'test/denied',
      role: null,
      resource: 'tool Write',
      rule: 'not in permissions.tools',
    });
    assert.equal(r.deniedCalls, 1);
  });

  test('a throwing handler, a bad result and a timeout end as failed executions with a reason', async () => {
    await f.deploy({
      name: 'throws',
      handler: `export const handler = async () => { throw new TypeError('kaput'); };`,
    });
    const t = await f.runtime.run({ ref: 'test/throws', input: {} });
    assert.equal(t.success, false);
    assert.equal(t.error?.code, 'HANDLER_ERROR');
    assert.match(t.error!.message, /TypeError: kaput/);
    // The stack names the skill's own file and line, not the bundle the sandbox ran.
    assert.match(String(t.error!.details?.stack), /code\/handler\.ts:1:\d+/);

    await f.deploy({ name: 'bad-result', handler: `export const handler = async () => ({ ok: 1 });` });
    const b = await f.runtime.run({ ref: 'test/bad-result', input: {} });
    assert.equal(b.error?.code, 'BAD_RESULT');

    await f.deploy({ name: 'hangs', timeout: '1s', handler: `export const handler = () => new Promise(() => {});` });
    const h = await f.runtime.run({ ref: 'test/hangs', input: {} });
    assert.equal(h.error?.code, 'TIMEOUT');
    assert.ok(h.durationMs! < 5000);
  });

  test('a handler that exits or writes garbage on the channel fails cleanly and the next run works', async () => {
    await f.deploy({ name: 'exits', handler: `export const handler = async () => { process.exit(3); };` });
    const e = await f.runtime.run({ ref: 'test/exits', input: {} });
    assert.equal(e.error?.code, 'WORKER_CRASHED');
    assert.match(e.error!.message, /exit code 3/);

    await f.deploy({
      name: 'garbage',
      handler: `import { writeSync } from 'node:fs'; export const handler = async () => { writeSync(3, 'not json\\n'); await new Promise(r => setTimeout(r, 2000)); return { success: true, message: 'x' }; };`,
    });
    const g = await f.runtime.run({ ref: 'test/garbage', input: {} });
    assert.equal(g.error?.code, 'PROTOCOL_ERROR');

    const ok = await f.runtime.run({ ref: 'test/counter', input: {} });
    assert.equal(ok.success, true);
  });

  test('context.invoke runs a child execution linked to its parent', async () => {
    await f.deploy({
      name: 'parent',
      handler: `export const handler = async (ctx) => { const r = await ctx.invoke('test/echo', { userMessage: 'child' }); return { success: true, message: 'parent got ' + r.message }; };`,
    });
    const p = await f.runtime.run({ ref: 'test/parent', input: {} });
    assert.equal((p.result as { message: string }).message, 'parent got hi child');
    await f.runtime.recorder.drain(); // rows reach the database just after the answer
    const [child] = await f.db.query<{ id: string }>('SELECT id FROM executions WHERE parent_execution_id = $1', [
      p.id,
    ]);
    assert.ok(child);
  });

  test('context.state persists per skill', async () => {
    await f.deploy({
      name: 'stateful',
      handler: `export const handler = async (ctx) => { const n = (await ctx.state.get('n')) ?? 0; await ctx.state.set('n', n + 1); return { success: true, message: String(n + 1) }; };`,
    });
    await f.runtime.run({ ref: 'test/stateful', input: {} });
    const r = await f.runtime.run({ ref: 'test/stateful', input: {} });
    assert.equal((r.result as { message: string }).message, '2');
  });
});

test('context.metrics.set reports the metrics a skill declares in monitoring.custom_metrics, and only those', async () => {
  await f.deploy({
    name: 'counting',
    handler: `export const handler = async (ctx) => { ctx.metrics.set('orders_triaged', 3); ctx.metrics.set('queue_depth', 7); ctx.metrics.set('undeclared', 1); return { success: true, message: 'ok' }; };`,
    permissions:
      '  tools: [Read]\nmonitoring:\n  custom_metrics:\n    - { name: orders_triaged, type: counter, description: Orders triaged }\n    - { name: queue_depth, type: gauge, description: Orders waiting }',
  });
  const seen: Array<{ name: string; value: number; kind: string }> = [];
  const on = (e: { name: string; value: number; kind: string }) =>
    seen.push({ name: e.name, value: e.value, kind: e.kind });
  f.runtime.on('metric', on);
  await f.runtime.run({ ref: 'test/counting', input: {} });
  f.runtime.off('metric', on);
  assert.deepEqual(seen, [
    { name: 'orders_triaged', value: 3, kind: 'counter' },
    { name: 'queue_depth', value: 7, kind: 'gauge' },
  ]);
});
