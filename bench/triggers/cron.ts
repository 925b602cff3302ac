/**
 * Cron fire jitter: an every-minute schedule (`* * * * *`), through pg-boss's cron pass, the fire
 * taken into the execution queue, and the (trivial) handler started — how late after the minute.
 *   npm run bench:triggers -- --cron [--fires 3]
 * Run by queue.ts with --cron (it takes minutes: one fire a minute, on each database).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openDb, type Db } from '../../packages/platform/src/db/index.ts';
import { CronTriggers } from '../../packages/platform/src/jobs/cron.ts';
import { engineSchema, startEngine } from '../../packages/platform/src/jobs/engine.ts';
import { JobQueue } from '../../packages/platform/src/jobs/queue.ts';
import { createLogger } from '../../packages/platform/src/observe/logger.ts';
import { SkillRegistry } from '../../packages/platform/src/registry/index.ts';
import { PG_URL, skillInput } from '../../packages/platform/src/registry/test-support.ts';

const log = createLogger('silent');

async function jitter(db: Db, fires: number, schema?: string): Promise<number[]> {
  await migrate(db);
  const reg = new SkillRegistry(db);
  const input = skillInput('bench', 'tick');
  input.config = { ...(input.config as object), triggers: [{ type: 'cron', schedule: '* * * * *' }] };
  await reg.registerVersion(input);
  await reg.deploy('bench/tick', 'production', '1.0.0');
  const q = new JobQueue(db, await startEngine(db, log, { url: PG_URL, schema }), log);
  await q.init();
  const cron = new CronTriggers(db, q.boss, q, log);
  await cron.init();
  await cron.sync();
  const late: number[] = [];
  let done: () => void;
  const all = new Promise<void>((r) => (done = r));
  q.start(
    async () => {
      const now = Date.now();
      late.push(now - Math.floor(now / 60_000) * 60_000);
      if (late.length === fires) done();
      return { ok: true };
    },
    { concurrency: 4, pollMs: 250 },
  );
  cron.start();
  await all;
  await cron.stop();
  await q.close();
  return late;
}

export async function cronJitter(fires: number): Promise<{ backend: string; late: number[] }[]> {
  const out = [];
  process.stderr.write(`… cron on PGlite: ${fires} fires (one a minute)\n`);
  const lite = await openDb();
  out.push({ backend: 'PGlite (embedded)', late: await jitter(lite, fires) });
  await lite.close();
  process.stderr.write(`… cron on PostgreSQL: ${fires} fires\n`);
  const schema = `aspora_bench_${randomBytes(4).toString('hex')}`;
  const db = await openDb({ url: PG_URL, schema, poolSize: 4 });
  try {
    out.push({ backend: 'PostgreSQL', late: await jitter(db, fires, schema) });
  } finally {
    await db.close();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.query(`DROP SCHEMA IF EXISTS "${engineSchema(schema)}" CASCADE`);
    await c.end();
  }
  return out;
}
