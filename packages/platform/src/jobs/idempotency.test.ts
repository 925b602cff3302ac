/**
 * Idempotency keys expire: within the retention a repeated key answers the first execution; after
 * it the same key queues a new one; the prune deletes expired keys (a batch at a time) and keeps
 * fresh ones. The clock is the keys' own (moved by the test), on both databases.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dbBackends } from '../../test/db-backends.ts';
import { migrate } from '../db/index.ts';
import { createLogger } from '../observe/logger.ts';
import { SkillRegistry } from '../registry/index.ts';
import { PG_URL, skillInput } from '../registry/test-support.ts';
import { startEngine } from './engine.ts';
import { DEFAULT_RETENTION_MS, MIN_RETENTION_MS } from './idempotency.ts';
import { JobQueue } from './queue.ts';
import { dropSchemas } from './test-support.ts';

const log = createLogger('silent');
const HOUR = 3_600_000;

for (const backend of dbBackends) {
  describe(`idempotency keys on ${backend.name}`, { skip: backend.skip }, () => {
    test('a key answers its first execution within the retention, runs anew after it, and is pruned', async () => {
      const b = await backend.open();
      await migrate(b.db);
      const schema =
        backend.name === 'postgres'
          ? (await b.db.query<{ s: string }>('SELECT current_schema() AS s'))[0]!.s
          : undefined;
      let clock = Date.parse('2026-12-05T10:00:00Z');
      const q = new JobQueue(b.db, await startEngine(b.db, log, { url: PG_URL, schema }), log, {
        idempotency: { now: () => clock },
      });
      try {
        await q.init();
        assert.equal(q.keys.retentionMs, DEFAULT_RETENTION_MS);
        const reg = new SkillRegistry(b.db);
        await reg.registerVersion(skillInput('jobs', 'echo'));
        await reg.deploy('jobs/echo', 'production', '1.0.0');
        const run = { ref: 'jobs/echo', input: { userMessage: 'hi' }, trigger: 'api' };
        const key = { idempotencyKey: 'order-1', scope: 'alice' };

        const first = await q.enqueue(run, key);
        assert.equal(first.existing, false);
        clock += 23 * HOUR; // within 24 h: the same execution
        assert.deepEqual(await q.enqueue(run, key), { id: first.id, existing: true });
        assert.equal(await q.reserve('alice', 'order-1', 'ffffffff-0000-4000-8000-000000000000'), first.id);

        clock += 2 * HOUR; // 25 h after the first use: a new execution, and the key names it from now on
        const later = await q.enqueue(run, key);
        assert.equal(later.existing, false);
        assert.notEqual(later.id, first.id);
        assert.deepEqual(await q.enqueue(run, key), { id: later.id, existing: true });

        // The prune: keys older than the retention go, fresh ones stay.
        const stale = Array.from({ length: 1500 }, (_, i) => `stale-${i}`);
        await b.db.query(
          `INSERT INTO execution_idempotency (scope, key, execution_id, created_at)
           SELECT 'bob', k, $2, $3 FROM unnest($1::text[]) AS k`,
          [stale, first.id, new Date(clock - 30 * HOUR)],
        );
        const count = async () =>
          (await b.db.query<{ n: number }>('SELECT count(*)::int AS n FROM execution_idempotency'))[0]!.n;
        assert.equal(await count(), 1501);
        assert.equal(await q.keys.prune(1), 1000, 'one bounded batch');
        assert.equal(await q.keys.prune(), 500);
        assert.equal(await count(), 1, 'the fresh key stays');
        assert.deepEqual(await q.enqueue(run, key), { id: later.id, existing: true });
      } finally {
        await q.close();
        await b.db.close();
        await b.drop();
        if (schema) await dropSchemas(schema);
      }
    });
  });
}

test('the retention is at least an hour', () => {
  assert.ok(MIN_RETENTION_MS >= HOUR);
});
