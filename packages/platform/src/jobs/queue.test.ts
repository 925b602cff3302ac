/**
 * The durable queue on both databases, with plain handlers (the runtime's part is tested through
 * the API in test/async-runs.test.ts): an enqueued execution runs once, an idempotency key answers
 * the same execution, a poison job ends dead after its attempts while others flow, a skill's
 * max_concurrency holds, and a job enqueued before a stop runs after the next start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dbBackends, type OpenedBackend } from '../../test/db-backends.ts';
import { migrate, openDb, type Db } from '../db/index.ts';
import { createLogger } from '../observe/logger.ts';
import { SkillRegistry } from '../registry/index.ts';
import { PG_URL, skillInput } from '../registry/test-support.ts';
import { startEngine } from './engine.ts';
import { JobQueue, type Handler, type JobData } from './queue.ts';
import { until } from '../../test/until.ts';
import { dropSchemas } from './test-support.ts';

const log = createLogger('silent');

async function deploySkill(db: Db, name: string, config: Record<string, unknown> = {}) {
  const reg = new SkillRegistry(db);
  const input = skillInput('jobs', name);
  input.config = { ...(input.config as object), ...config };
  await reg.registerVersion(input);
  await reg.deploy(`jobs/${name}`, 'production', '1.0.0');
}

async function rowOf(db: Db, id: string) {
  const [r] = await db.query<{ status: string | null; attempts: number; success: boolean | null }>(
    'SELECT status, attempts, success FROM executions WHERE id = $1',
    [id],
  );
  return r!;
}

for (const backend of dbBackends) {
  describe(`job queue on ${backend.name}`, { skip: backend.skip }, () => {
    test('an execution runs once; the same idempotency key answers the same execution', async () => {
      const { q, cleanup } = await openQueue(await backend.open(), backend.name);
      const b = { db: q.db };
      try {
        await deploySkill(b.db, 'echo');
        const ran: string[] = [];
        q.start(async (d) => (ran.push(d.executionId), { ok: true }), { concurrency: 4, pollMs: 200 });
        const run = { ref: 'jobs/echo', input: { userMessage: 'hi' }, trigger: 'api' };
        const a = await q.enqueue(run, { idempotencyKey: 'k-1', scope: 'alice' });
        const again = await q.enqueue(run, { idempotencyKey: 'k-1', scope: 'alice' });
        const other = await q.enqueue(run, { idempotencyKey: 'k-1', scope: 'bob' });
        assert.equal(again.id, a.id);
        assert.equal(again.existing, true);
        assert.notEqual(other.id, a.id, "one caller's key never answers another's request");
        await until('both ran', async () => ran.length >= 2);
        await new Promise((r) => setTimeout(r, 500));
        assert.deepEqual(ran.sort(), [a.id, other.id].sort());
        assert.equal((await rowOf(b.db, a.id)).attempts, 1);
      } finally {
        await cleanup();
      }
    });

    test('a poison job ends dead after its attempts while other jobs flow', async () => {
      const { q, cleanup } = await openQueue(await backend.open(), backend.name);
      const b = { db: q.db };
      try {
        await deploySkill(b.db, 'poison');
        await deploySkill(b.db, 'fine');
        const done: string[] = [];
        const handler: Handler = async (d: JobData) => {
          if (d.ref === 'jobs/poison') throw new Error('always crashes');
          done.push(d.executionId);
          return { ok: true };
        };
        q.start(handler, { concurrency: 4, pollMs: 100 });
        const poison = await q.enqueue(
          { ref: 'jobs/poison', input: {}, trigger: 'api' },
          { maxAttempts: 3, backoff: { delaySeconds: 1, exponential: false } },
        );
        const fine = [];
        for (let i = 0; i < 5; i++) fine.push((await q.enqueue({ ref: 'jobs/fine', input: { i }, trigger: 'api' })).id);
        await until('the others ran', async () => done.length === 5);
        const dead = await until('the poison job is dead', async () => {
          const r = await rowOf(b.db, poison.id);
          return r.status === 'dead' && r;
        });
        assert.equal(dead.attempts, 3);
        const listed = await q.list('dead');
        assert.deepEqual(
          listed.map((x) => [x.id, x.attempts, x.maxAttempts, x.error?.message]),
          [[poison.id, 3, 3, 'always crashes']],
        );
        assert.equal((await q.list('queued')).length, 0);
      } finally {
        await cleanup();
      }
    });

    test("a skill's max_concurrency holds", async () => {
      const { q, cleanup } = await openQueue(await backend.open(), backend.name);
      const b = { db: q.db };
      try {
        await deploySkill(b.db, 'narrow', { runtime: { max_concurrency: 2 } });
        let now = 0;
        let peak = 0;
        let finished = 0;
        q.start(
          async () => {
            peak = Math.max(peak, ++now);
            await new Promise((r) => setTimeout(r, 150));
            now--;
            finished++;
            return { ok: true };
          },
          { concurrency: 8, pollMs: 50 },
        );
        for (let i = 0; i < 8; i++) await q.enqueue({ ref: 'jobs/narrow', input: { i }, trigger: 'api' });
        await until('all ran', async () => finished === 8);
        assert.equal(peak, 2);
      } finally {
        await cleanup();
      }
    });
  });
}

test('a job enqueued before a stop runs after the next start (PGlite on disk)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aspora-jobs-'));
  try {
    let db = await openDb({ dataDir: dir });
    await migrate(db);
    await deploySkill(db, 'later');
    let q = new JobQueue(db, await startEngine(db, log), log);
    await q.init();
    const { id } = await q.enqueue({ ref: 'jobs/later', input: {}, trigger: 'api' });
    await q.close();
    await db.close();

    db = await openDb({ dataDir: dir });
    q = new JobQueue(db, await startEngine(db, log), log);
    const ran: string[] = [];
    q.start(async (d) => (ran.push(d.executionId), { ok: true }), { concurrency: 2, pollMs: 100 });
    await until('it ran', async () => ran.length === 1);
    assert.deepEqual(ran, [id]);
    await q.close();
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A queue on a test database; on PostgreSQL its engine schema sits beside the test's and goes with it. */
async function openQueue(b: OpenedBackend, name: string) {
  await migrate(b.db);
  const schema =
    name === 'postgres' ? (await b.db.query<{ s: string }>('SELECT current_schema() AS s'))[0]!.s : undefined;
  const q = new JobQueue(b.db, await startEngine(b.db, log, { url: PG_URL, schema }), log);
  await q.init();
  return {
    q,
    async cleanup() {
      await q.close();
      await b.db.close();
      await b.drop();
      if (schema) await dropSchemas(schema);
    },
  };
}
