/**
 * The execution queue, enqueue → start, with trivial handlers: PGlite (embedded, one connection)
 * and PostgreSQL (127.0.0.1, a schema of its own), through the platform's JobQueue — each
 * enqueue writes the execution's row and its pg-boss job in one transaction, as the API does.
 *   npm run bench:triggers [-- --n 5000 --pglite-n 600 --producers 64 --concurrency 256] [--cron --fires 60] [--webhooks]
 *     [--replies --replies-n 2000]
 * Rows: enqueues/s (producers in parallel), executions started/s from the first enqueue to the last
 * start, and enqueue → start latency p50/p99.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { migrate, openDb, type Db } from '../../packages/platform/src/db/index.ts';
import { startEngine } from '../../packages/platform/src/jobs/engine.ts';
import { JobQueue } from '../../packages/platform/src/jobs/queue.ts';
import { createLogger } from '../../packages/platform/src/observe/logger.ts';
import { SkillRegistry } from '../../packages/platform/src/registry/index.ts';
import { PG_URL, skillInput } from '../../packages/platform/src/registry/test-support.ts';
import { percentile } from '../registry/stats.ts';
import { cronJitter } from './cron.ts';
import { dropSchemas } from '../../packages/platform/src/jobs/test-support.ts';
import { type ReplyRow, replyThroughput } from './replies.ts';
import { webhookLatency } from './webhooks.ts';

const args = process.argv.slice(2);
const arg = (name: string, d: number) => {
  const i = args.indexOf(name);
  return i === -1 ? d : Number(args[i + 1]);
};
const N = arg('--n', 5000);
const PGLITE_N = arg('--pglite-n', 600);
const PRODUCERS = arg('--producers', 64);
const CONCURRENCY = arg('--concurrency', 256);
const log = createLogger('silent');
const step = (s: string) => process.stderr.write(`… ${s}\n`);

interface Row {
  backend: string;
  n: number;
  enqueuePerS: number;
  startPerS: number;
  p50: number;
  p99: number;
}

async function measure(backend: string, db: Db, n: number, schema?: string): Promise<Row> {
  await migrate(db);
  const reg = new SkillRegistry(db);
  await reg.registerVersion(skillInput('bench', 'noop'));
  await reg.deploy('bench/noop', 'production', '1.0.0');
  const q = new JobQueue(db, await startEngine(db, log, { url: PG_URL, schema }), log);
  await q.init();
  const enqueuedAt = new Map<string, number>();
  const lat: number[] = [];
  let started = 0;
  let lastStart = 0;
  let done: () => void;
  const all = new Promise<void>((r) => (done = r));
  q.start(
    async (d) => {
      const t = performance.now();
      lat.push(t - (enqueuedAt.get(d.executionId) ?? t));
      lastStart = t;
      if (++started === n) done();
      return { ok: true };
    },
    { concurrency: CONCURRENCY, pollMs: 250 },
  );
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (next < n) {
        next++;
        const before = performance.now();
        const { id } = await q.enqueue({ ref: 'bench/noop', input: { userMessage: 'x' }, trigger: 'api' });
        // Set after the commit: the handler may have started already (its latency counts from here then).
        if (!enqueuedAt.has(id)) enqueuedAt.set(id, before);
      }
    }),
  );
  const enqueued = performance.now();
  await all;
  await q.close();
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!;
  return {
    backend,
    n,
    enqueuePerS: n / ((enqueued - t0) / 1000),
    startPerS: n / ((lastStart - t0) / 1000),
    p50: pct(50),
    p99: pct(99),
  };
}

const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const rows: Row[] = [];
// --no-queue: only the other rows (cron, webhooks).
if (!args.includes('--no-queue')) {
  step(`PGlite: ${PGLITE_N} executions`);
  {
    const db = await openDb();
    rows.push(await measure('PGlite (embedded)', db, PGLITE_N));
    await db.close();
  }
  step(`PostgreSQL: ${N} executions`);
  {
    const schema = `aspora_bench_${randomBytes(4).toString('hex')}`;
    const db = await openDb({ url: PG_URL, schema, poolSize: 16 });
    try {
      rows.push(await measure('PostgreSQL', db, N, schema));
    } finally {
      await db.close();
      await dropSchemas(schema);
    }
  }

  process.stdout.write(
    `\nExecution queue, enqueue → start (trivial handlers; ${PRODUCERS} producers, ${CONCURRENCY} at once)\n\n`,
  );
  process.stdout.write('| database | executions | enqueued/s | started/s | enqueue→start p50 ms | p99 ms |\n');
  process.stdout.write('|---|---:|---:|---:|---:|---:|\n');
  for (const r of rows)
    process.stdout.write(
      `| ${r.backend} | ${r.n} | ${f(r.enqueuePerS)} | ${f(r.startPerS)} | ${f(r.p50)} | ${f(r.p99)} |\n`,
    );
}

// Cron fire jitter (a minute or more per row), with --cron; pg-boss's schedule alone with --cron-baseline.
if (args.includes('--cron') || args.includes('--cron-baseline')) {
  const baseline = args.includes('--cron-baseline');
  const res = await cronJitter(arg('--fires', baseline ? 3 : 60), baseline);
  process.stdout.write(
    baseline
      ? "\nCron fire jitter, pg-boss's schedule alone (every-minute schedule): slot → handler start\n\n"
      : '\nCron fire jitter (per-second schedule, precise timers): slot → handler start\n\n',
  );
  process.stdout.write('| database | platforms | fires | p50 ms | p99 ms | max ms | worst three ms | doubles |\n');
  process.stdout.write('|---|---:|---:|---:|---:|---:|---|---:|\n');
  for (const r of res)
    process.stdout.write(
      `| ${r.backend} | ${r.processes} | ${r.late.length} | ${f(percentile(r.late, 50))} | ${f(percentile(r.late, 99))} | ${f(Math.max(...r.late))} | ${[
        ...r.late,
      ]
        .sort((a, b) => b - a)
        .slice(0, 3)
        .map((x) => x.toFixed(0))
        .join(', ')} | ${r.doubles} |\n`,
    );
}

// Webhook → execution start, with --webhooks (a real platform, the sandbox running the handler).
if (args.includes('--webhooks')) {
  const res = await webhookLatency(arg('--deliveries', 100));
  process.stdout.write(
    '\nSigned PagerDuty V3 webhook → execution start (handler first line, sandboxed), one delivery every ~150 ms\n\n',
  );
  process.stdout.write(
    '| database | deliveries | 202 p50 ms | 202 p99 ms | start p50 ms | start p99 ms | start max ms |\n',
  );
  process.stdout.write('|---|---:|---:|---:|---:|---:|---:|\n');
  for (const r of res)
    process.stdout.write(
      `| ${r.backend} | ${r.deliveries} | ${f(percentile(r.answered, 50))} | ${f(percentile(r.answered, 99))} | ${f(percentile(r.start, 50))} | ${f(percentile(r.start, 99))} | ${f(Math.max(...r.start))} |\n`,
    );
}

// The reply queue (results back to callbacks and Slack), with --replies.
if (args.includes('--replies')) {
  const rn = arg('--replies-n', 2000);
  const res: ReplyRow[] = [];
  step(`replies, PGlite: ${Math.min(rn, PGLITE_N)}`);
  {
    const db = await openDb();
    res.push(await replyThroughput('PGlite (embedded)', db, Math.min(rn, PGLITE_N), { producers: PRODUCERS }));
    await db.close();
  }
  step(`replies, PostgreSQL: ${rn}`);
  {
    const schema = `aspora_bench_${randomBytes(4).toString('hex')}`;
    const db = await openDb({ url: PG_URL, schema, poolSize: 16 });
    try {
      res.push(await replyThroughput('PostgreSQL', db, rn, { schema, producers: PRODUCERS }));
    } finally {
      await db.close();
      await dropSchemas(schema);
    }
  }
  process.stdout.write(
    `\nReply queue, execution over → reply delivered (a trivial deliverer; ${PRODUCERS} producers, 64 at once)\n\n`,
  );
  process.stdout.write(
    '| database | replies | queued/s | delivered/s | queue→deliver p50 ms (burst) | p99 ms (burst) | p50 ms (one at a time) |\n',
  );
  process.stdout.write('|---|---:|---:|---:|---:|---:|---:|\n');
  for (const r of res)
    process.stdout.write(
      `| ${r.backend} | ${r.n} | ${f(r.queuedPerS)} | ${f(r.deliveredPerS)} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.idleP50)} |\n`,
    );
}
