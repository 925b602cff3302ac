/** Rollup buckets and percentiles, and that a rebuild from the rows agrees with what the recorder kept. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeFixture } from '../../runtime/test-support.ts';
import { bucketOf, bucketUpper, emptyBuckets, quantile } from './buckets.ts';
import { rebuildRollups } from './rebuild.ts';
import { rollup } from './query.ts';

test('percentiles from buckets stay within one bucket (25 %) of the exact ones', () => {
  const xs = Array.from({ length: 10_000 }, (_, i) => 1 + ((i * 7919) % 5000) * 1.7);
  const b = emptyBuckets();
  for (const x of xs) b[bucketOf(x)]!++;
  const sorted = [...xs].sort((a, c) => a - c);
  for (const q of [0.5, 0.95, 0.99]) {
    const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
    const est = quantile(b, q)!;
    assert.ok(Math.abs(est - exact) / exact < 0.25, `q${q}: ${est} vs ${exact}`);
  }
  assert.equal(quantile(emptyBuckets(), 0.5), null);
  assert.ok(bucketUpper(64) > 1_000_000, 'the last bucket reaches past 16 minutes');
});

test('a rebuild from the execution rows gives the figures the recorder kept', async () => {
  const f = await runtimeFixture({});
  try {
    await f.deploy({ name: 'rolled', handler: `export const handler = async (ctx) => { if (ctx.input.metadata.fail) throw new Error('x'); await new Promise((r) => setTimeout(r, ctx.input.metadata.ms ?? 0)); return { success: true, message: 'ok' }; };` });
    for (const ms of [0, 5, 20, 40]) await f.runtime.run({ ref: 'test/rolled', input: { metadata: { ms } } });
    await f.runtime.run({ ref: 'test/rolled', input: { metadata: { fail: true } } });
    const kept = await rollup(f.db, 'test/rolled', '1h');
    assert.equal(kept.figures.executions, 5);
    assert.equal(kept.figures.errorRate, 0.2);
    await rebuildRollups(f.db, new Date(Date.now() - 3_600_000 * 2), new Date(Date.now() + 60_000));
    const rebuilt = await rollup(f.db, 'test/rolled', '1h');
    assert.deepEqual(rebuilt.figures, kept.figures);
  } finally {
    await f.close();
  }
});
