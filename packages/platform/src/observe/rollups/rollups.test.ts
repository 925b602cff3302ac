/** Rollup buckets and percentiles, and that a rebuild from the rows agrees with what the recorder kept. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeFixture } from '../../runtime/test-support.ts';
import { bucketOf, bucketUpper, emptyBuckets, quantile } from './buckets.ts';
import { rebuildRollups } from './rebuild.ts';
import { finalizeHour, openFrom, RollupJob } from './job.ts';
import { addFeedback } from '../feedback.ts';
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

test('percentiles never exceed the slowest run nor fall below the fastest, given the extremes', () => {
  // Five runs whose two slowest share a bucket (86.7–108.4 ms): interpolating to the bucket's upper
  // bound put p99 at ~108 ms, above the slowest run (103 ms).
  const xs = [10, 12, 50, 100, 103];
  const b = emptyBuckets();
  for (const x of xs) b[bucketOf(x)]!++;
  const ex = { min: 10, max: 103 };
  assert.ok(quantile(b, 0.99)! > ex.max, 'without the extremes the old reading is above the slowest run');
  for (const q of [0, 0.01, 0.5, 0.95, 0.99, 1]) {
    const v = quantile(b, q, ex)!;
    assert.ok(v >= ex.min && v <= ex.max, `q${q}: ${v} outside [${ex.min}, ${ex.max}]`);
  }
  assert.equal(quantile(b, 1, ex), 103, 'the top of the sample is its slowest run');
  // All runs alike: every percentile is that duration, not a point inside its bucket.
  const same = emptyBuckets();
  same[bucketOf(100)] = 5;
  for (const q of [0.5, 0.95, 0.99]) assert.equal(quantile(same, q, { min: 100, max: 100 }), 100);
  // Slower than the last bucket's bound (~30 min): the slowest run bounds it, not the bucket.
  const slow = emptyBuckets();
  slow[bucketOf(3_600_000)] = 2;
  assert.ok(quantile(slow, 0.99, { min: 3_000_000, max: 3_600_000 })! > bucketUpper(64));
  // Zero-millisecond runs sit in bucket 0 (0–1 ms).
  const fast = emptyBuckets();
  fast[0] = 4;
  assert.equal(quantile(fast, 0.5, { min: 0, max: 0 }), 0);
});

test('figures read live from the rows equal the figures of the finalized hour, counted once', async () => {
  const f = await runtimeFixture({});
  try {
    await f.deploy({
      name: 'rolled',
      handler: `export const handler = async (ctx) => { if (ctx.input.metadata.fail) throw new Error('x'); await new Promise((r) => setTimeout(r, ctx.input.metadata.ms ?? 0)); return { success: true, message: 'ok' }; };`,
    });
    for (const ms of [0, 5, 20, 40]) await f.runtime.run({ ref: 'test/rolled', input: { metadata: { ms } } });
    const last = await f.runtime.run({ ref: 'test/rolled', input: { metadata: { fail: true } } });
    await f.runtime.recorder.drain(); // rows reach the database just after their answers
    await addFeedback(f.db, last.id, { rating: 2 });
    const live = await rollup(f.db, 'test/rolled', '1h');
    assert.equal(live.figures.executions, 5);
    assert.equal(live.figures.errorRate, 0.2);
    assert.equal(live.figures.satisfaction, 2);
    // The hour the executions ran in, finalized (the job does this once the hour is over).
    const hour = new Date(Math.floor(Date.parse(last.startedAt) / 3_600_000) * 3_600_000);
    assert.equal(await finalizeHour(f.db, hour), true);
    assert.equal(await finalizeHour(f.db, hour), false, 'an hour is finalized once');
    const [d] = await f.db.query<{ lo: number; hi: number }>(
      'SELECT min(duration_ms)::int AS lo, max(duration_ms)::int AS hi FROM executions',
    );
    for (const k of ['p50Ms', 'p95Ms', 'p99Ms'] as const) {
      const v = live.figures[k]!;
      assert.ok(v >= d!.lo - 0.05 && v <= d!.hi + 0.05, `${k} ${v} outside the runs' ${d!.lo}–${d!.hi} ms`);
    }
    const final = await rollup(f.db, 'test/rolled', '1h');
    assert.deepEqual(final.figures, live.figures);
    await addFeedback(f.db, last.id, { rating: 4 }); // a new rating of the same execution replaces the old one
    assert.equal((await rollup(f.db, 'test/rolled', '1h')).figures.satisfaction, 4);
    await rebuildRollups(f.db, new Date(hour.getTime() - 3_600_000), new Date(hour.getTime() + 3_600_000));
  } finally {
    await f.close();
  }
});

test('the job finalizes closed hours only, each once, whichever process runs it', async () => {
  const f = await runtimeFixture({});
  try {
    const now = Date.now();
    const a = new RollupJob(f.db, f.log, () => now);
    const b = new RollupJob(f.db, f.log, () => now);
    const [x, y] = await Promise.all([a.run(), b.run()]);
    assert.equal(x + y, 48, 'the 48 hours of the lookback, between the two');
    const [{ n } = { n: -1 }] = await f.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM rollup_hours WHERE hour >= $1',
      [new Date(openFrom(now)).toISOString()],
    );
    assert.equal(n, 0, 'the open hours are not final');
  } finally {
    await f.close();
  }
});
