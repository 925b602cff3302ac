/**
 * The job engines issue 16 names, measured in one run on one machine (decision 014): pg-boss and
 * Graphile Worker on PostgreSQL, BullMQ on Redis. Trivial jobs, `--producers` sending one job at a
 * time, each engine's own worker API with `--concurrency` jobs at once; then pg-boss with the
 * platform's own fetch loop (jobs/job-loop.ts, batched completes), as the platform runs it.
 *   npm run bench:engines [-- --n 5000 --producers 64 --concurrency 32]
 * Rows: enqueues/s, jobs started/s (first enqueue → last start), enqueue → start p50/p99 (ms).
 * Engine-only: the platform's JobQueue also writes the execution's row in the enqueue's
 * transaction (npm run bench:triggers measures that).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Logger as GraphileLogger, makeWorkerUtils, run as runGraphile } from 'graphile-worker';
import { Redis } from 'ioredis';
import pg from 'pg';
import { PgBoss, type Job } from 'pg-boss';
import { BatchedEnds } from '../../packages/platform/src/jobs/batched-ends.ts';
import { JobLoop } from '../../packages/platform/src/jobs/job-loop.ts';
import { createLogger } from '../../packages/platform/src/observe/logger.ts';
import { PG_URL } from '../../packages/platform/src/registry/test-support.ts';
import { percentile } from '../registry/stats.ts';

const args = process.argv.slice(2);
const arg = (name: string, d: number) => {
  const i = args.indexOf(name);
  return i === -1 ? d : Number(args[i + 1]);
};
const N = arg('--n', 5000);
const PRODUCERS = arg('--producers', 64);
const CONCURRENCY = arg('--concurrency', 32);
const REDIS_URL = process.env.ASPORA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const step = (s: string) => process.stderr.write(`… ${s}\n`);
const run = randomBytes(3).toString('hex');

interface Payload {
  t: number;
}

/** Counts starts against their enqueue times; resolves when all `n` have started. */
class Starts {
  readonly lat: number[] = [];
  last = 0;
  #done!: () => void;
  readonly all = new Promise<void>((r) => (this.#done = r));
  constructor(private readonly n: number) {}
  start(p: Payload): void {
    const now = performance.now();
    this.lat.push(now - p.t);
    this.last = now;
    if (this.lat.length === this.n) this.#done();
  }
}

interface Engine {
  name: string;
  /** Ready to take jobs, with `onStart` called at each job's start. */
  setUp(onStart: (p: Payload) => void): Promise<{ send: (p: Payload) => Promise<unknown>; close: () => Promise<void> }>;
}

async function measure(e: Engine): Promise<Record<string, string | number>> {
  step(e.name);
  const starts = new Starts(N);
  const { send, close } = await e.setUp((p) => starts.start(p));
  try {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: PRODUCERS }, async () => {
        while (next < N) {
          next++;
          await send({ t: performance.now() });
        }
      }),
    );
    const enqueued = performance.now();
    const timeout = new Promise<never>((_, rej) =>
      setTimeout(() => rej(new Error(`${e.name}: ${starts.lat.length} of ${N} started after 120 s`)), 120_000).unref(),
    );
    await Promise.race([starts.all, timeout]);
    return {
      engine: e.name,
      jobs: N,
      'enqueued/s': Math.round(N / ((enqueued - t0) / 1000)),
      'started/s': Math.round(N / ((starts.last - t0) / 1000)),
      'p50 ms': Math.round(percentile(starts.lat, 50)),
      'p99 ms': Math.round(percentile(starts.lat, 99)),
    };
  } finally {
    await close();
  }
}

async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => c.end());
}

/** A pg-boss of its own schema with queue `noop`; `stop` stops it and drops the schema. */
async function startBoss(schema: string, notify: boolean) {
  const boss = new PgBoss({
    connectionString: PG_URL,
    schema,
    max: 10,
    supervise: false,
    schedule: false,
    useListenNotify: notify,
  });
  boss.on('error', () => undefined);
  await boss.start();
  await boss.createQueue('noop', notify ? { notify: true } : {});
  const stop = async () => {
    await boss.stop({ graceful: false });
    await dropSchema(schema);
  };
  return { boss, stop };
}

/** pg-boss with its own worker API: `work()` polls (or is woken by NOTIFY) and completes each batch. */
const pgBossWork = (notify: boolean): Engine => ({
  name: `pg-boss 12 work()${notify ? ', LISTEN/NOTIFY' : ', polling 0.5 s'}`,
  async setUp(onStart) {
    const { boss, stop } = await startBoss(`bench_boss_${notify ? 'n' : 'p'}_${run}`, notify);
    await boss.work<Payload>(
      'noop',
      { batchSize: 50, pollingIntervalSeconds: 0.5, localConcurrency: Math.max(1, Math.round(CONCURRENCY / 8)) },
      async (jobs) => {
        for (const j of jobs) onStart(j.data);
      },
    );
    return { send: (p) => boss.send('noop', p), close: stop };
  },
});

/** pg-boss as the platform runs it: fetch as slots free, woken by local sends, completes batched. */
const pgBossPlatformLoop: Engine = {
  name: 'pg-boss 12 + the platform’s loop (JobLoop)',
  async setUp(onStart) {
    const { boss, stop } = await startBoss(`bench_boss_l_${run}`, false);
    const ends = new BatchedEnds((attempts) => boss.complete('noop', attempts));
    const loop = new JobLoop<Payload>(boss, 'noop', createLogger('silent'), async (j: Job<Payload>) => {
      onStart(j.data);
      await ends.end({ id: j.id, retryCount: j.retryCount });
    });
    loop.start({ pollMs: 250, concurrency: CONCURRENCY });
    return {
      send: async (p) => {
        await boss.send('noop', p);
        loop.wake();
      },
      close: async () => {
        await loop.stop();
        await stop();
      },
    };
  },
};

/** Graphile Worker: LISTEN/NOTIFY wakes its workers; `addJob` through its worker utils. */
const graphile: Engine = {
  name: 'Graphile Worker 0.16 run()',
  async setUp(onStart) {
    const schema = `bench_gw_${run}`;
    // Its enqueues get a pool as large as the other engines' producers use (the default is 10).
    const utils = await makeWorkerUtils({
      connectionString: PG_URL,
      schema,
      maxPoolSize: PRODUCERS,
      logger: new GraphileLogger(() => () => undefined),
    });
    await utils.migrate();
    const runner = await runGraphile({
      connectionString: PG_URL,
      schema,
      concurrency: CONCURRENCY,
      maxPoolSize: CONCURRENCY + 2,
      pollInterval: 500,
      noHandleSignals: true,
      // Quiet: its default logger prints every job.
      logger: new GraphileLogger(() => () => undefined),
      taskList: { noop: async (payload) => onStart(payload as Payload) },
    });
    return {
      send: (p) => utils.addJob('noop', p),
      close: async () => {
        await runner.stop();
        await utils.release();
        await dropSchema(schema);
      },
    };
  },
};

/** BullMQ: a Worker blocks on Redis for the next job; `Queue.add` one at a time. */
const bullmq: Engine = {
  name: 'BullMQ 6 Worker (Redis)',
  async setUp(onStart) {
    const name = `bench-${run}`;
    const connection = () => new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue<Payload>(name, { connection: connection() });
    const worker = new Worker<Payload>(name, async (job) => onStart(job.data), {
      connection: connection(),
      concurrency: CONCURRENCY,
      removeOnComplete: { count: 0 },
    });
    await worker.waitUntilReady();
    return {
      send: (p) => queue.add('noop', p, { removeOnComplete: true }),
      close: async () => {
        await worker.close(true);
        await queue.obliterate({ force: true });
        await queue.close();
      },
    };
  },
};

const rows = [];
for (const e of [pgBossWork(false), pgBossWork(true), pgBossPlatformLoop, graphile, bullmq])
  rows.push(await measure(e));
console.log(
  `\nJob engines, enqueue → start, ${N} trivial jobs, ${PRODUCERS} producers, concurrency ${CONCURRENCY}, one run on this machine`,
);
console.table(rows);
process.exit(0);
