/**
 * The reply queue (jobs/replies.ts): an execution that is over → its reply job → the deliverer
 * called, with a trivial deliverer (what a callback or a Slack post adds is the network's). Each
 * queue() inserts the result_deliveries row and the pg-boss job in one transaction; each delivery
 * reads the execution as the API shows it and records the outcome. Used by bench/triggers/queue.ts
 * with --replies.
 */
import { performance } from 'node:perf_hooks';
import { type Db, migrate } from '../../packages/platform/src/db/index.ts';
import { startEngine } from '../../packages/platform/src/jobs/engine.ts';
import { JobQueue } from '../../packages/platform/src/jobs/queue.ts';
import { Replies } from '../../packages/platform/src/jobs/replies.ts';
import { createLogger } from '../../packages/platform/src/observe/logger.ts';
import { SkillRegistry } from '../../packages/platform/src/registry/index.ts';
import { PG_URL, skillInput } from '../../packages/platform/src/registry/test-support.ts';

export interface ReplyRow {
  backend: string;
  n: number;
  queuedPerS: number;
  deliveredPerS: number;
  p50: number;
  p99: number;
  /** One reply at a time, none waiting before it: queue → deliver p50. */
  idleP50: number;
}

const IDLE = 30;

const log = createLogger('silent');

export async function replyThroughput(
  backend: string,
  db: Db,
  n: number,
  o: { schema?: string; producers: number },
): Promise<ReplyRow> {
  await migrate(db);
  const reg = new SkillRegistry(db);
  await reg.registerVersion(skillInput('bench', 'noop'));
  await reg.deploy('bench/noop', 'production', '1.0.0');
  const boss = await startEngine(db, log, { url: PG_URL, schema: o.schema });
  const q = new JobQueue(db, boss, log);
  await q.init();
  // Executions to reply for (rows only: no worker runs them here).
  const ids: string[] = [];
  for (let i = 0; i < n + IDLE; i++)
    ids.push((await q.enqueue({ ref: 'bench/noop', input: { userMessage: 'x' }, trigger: 'api' })).id);
  const replies = new Replies(db, boss, log);
  await replies.init();
  const queuedAt = new Map<string, number>();
  const lat: number[] = [];
  let last = 0;
  let done: () => void;
  const all = new Promise<void>((r) => (done = r));
  const waiting = new Map<string, () => void>();
  replies.register('bench', async (e) => {
    const t = performance.now();
    if (waiting.has(e.id)) {
      waiting.get(e.id)!();
      return { ok: true };
    }
    lat.push(t - (queuedAt.get(e.id) ?? t));
    last = t;
    if (lat.length === n) done();
    return { ok: true };
  });
  replies.start({ pollMs: 250, concurrency: 64 });
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: o.producers }, async () => {
      while (next < n) {
        const id = ids[next++]!;
        queuedAt.set(id, performance.now());
        await replies.queue(id, { kind: 'bench' });
      }
    }),
  );
  const queued = performance.now();
  await all;
  const idle: number[] = [];
  for (const id of ids.slice(n)) {
    const t = performance.now();
    const got = new Promise<void>((r) => waiting.set(id, r));
    await replies.queue(id, { kind: 'bench' });
    await got;
    idle.push(performance.now() - t);
  }
  idle.sort((a, b) => a - b);
  await replies.stop();
  await q.close();
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!;
  return {
    backend,
    n,
    queuedPerS: n / ((queued - t0) / 1000),
    deliveredPerS: n / ((last - t0) / 1000),
    p50: pct(50),
    p99: pct(99),
    idleP50: idle[Math.floor(idle.length / 2)]!,
  };
}
