/**
 * Cron fire jitter: how late after its slot a fire's (trivial) handler starts — the timer, the
 * execution queued under the slot's key, a worker taking it. A per-second schedule
 * (`* * * * * *`, `jobs.cron_seconds`, for benchmarks) so that ≥ 60 fires take a minute; on PGlite
 * with one platform, on PostgreSQL with one and with three (each its own engine and pool, as three
 * processes would have: every one arms the timer, one claims each slot). Doubles: slots run twice.
 *   npm run bench:triggers -- --cron [--fires 60]
 * With --cron-baseline: pg-boss's schedule alone (no timers), an every-minute schedule, a few fires.
 */
import { randomBytes } from 'node:crypto';
import { migrate, openDb, type Db } from '../../packages/platform/src/db/index.ts';
import { CronTriggers } from '../../packages/platform/src/jobs/cron.ts';
import { startEngine } from '../../packages/platform/src/jobs/engine.ts';
import { JobQueue } from '../../packages/platform/src/jobs/queue.ts';
import { createLogger } from '../../packages/platform/src/observe/logger.ts';
import { SkillRegistry } from '../../packages/platform/src/registry/index.ts';
import { PG_URL, skillInput } from '../../packages/platform/src/registry/test-support.ts';
import { dropSchemas } from '../../packages/platform/src/jobs/test-support.ts';

const log = createLogger('silent');

export interface JitterRow {
  backend: string;
  processes: number;
  /** ms after the slot, one per slot (its first start). */
  late: number[];
  doubles: number;
}

async function jitter(
  open: () => Promise<Db>,
  processes: number,
  fires: number,
  o: { schema?: string; baseline?: boolean },
): Promise<{ late: number[]; doubles: number }> {
  const dbs = [await open()];
  await migrate(dbs[0]!);
  const reg = new SkillRegistry(dbs[0]!);
  const input = skillInput('bench', 'tick');
  const schedule = o.baseline ? '* * * * *' : '* * * * * *';
  input.config = { ...(input.config as object), triggers: [{ type: 'cron', schedule }] };
  await reg.registerVersion(input);
  await reg.deploy('bench/tick', 'production', '1.0.0');
  for (let i = 1; i < processes; i++) dbs.push(await open());
  const late = new Map<string, number>();
  let doubles = 0;
  let done: () => void;
  const all = new Promise<void>((r) => (done = r));
  const parts: { q: JobQueue; cron: CronTriggers }[] = [];
  for (const db of dbs) {
    const q = new JobQueue(
      db,
      await startEngine(db, log, { url: o.schema ? PG_URL : undefined, schema: o.schema }),
      log,
    );
    await q.init();
    const cron = new CronTriggers(db, q.boss, q, log, { seconds: true, timers: !o.baseline });
    await cron.init();
    parts.push({ q, cron });
  }
  await parts[0]!.cron.sync();
  const t0 = Date.now();
  for (const { q, cron } of parts) {
    q.start(
      async (d) => {
        const now = Date.now();
        const slot = (d.input.metadata as { scheduledAt?: string }).scheduledAt;
        if (!slot || Date.parse(slot) < t0) return { ok: true };
        if (late.has(slot)) doubles++;
        else late.set(slot, now - Date.parse(slot));
        if (late.size === fires) done();
        return { ok: true };
      },
      { concurrency: 4, pollMs: 250 },
    );
    cron.start();
  }
  await all;
  await new Promise((r) => setTimeout(r, 1500)); // a double would start within this
  for (const { q, cron } of parts) {
    await cron.stop();
    await q.close();
  }
  for (const db of dbs) await db.close();
  return { late: [...late.values()], doubles };
}

export async function cronJitter(fires: number, baseline = false): Promise<JitterRow[]> {
  const out: JitterRow[] = [];
  process.stderr.write(`… cron on PGlite: ${fires} fires${baseline ? ' (one a minute, no timers)' : ''}\n`);
  out.push({ backend: 'PGlite (embedded)', processes: 1, ...(await jitter(() => openDb(), 1, fires, { baseline })) });
  for (const processes of baseline ? [1] : [1, 3]) {
    process.stderr.write(`… cron on PostgreSQL, ${processes} platform(s): ${fires} fires\n`);
    const schema = `aspora_bench_${randomBytes(4).toString('hex')}`;
    try {
      const r = await jitter(() => openDb({ url: PG_URL, schema, poolSize: 4 }), processes, fires, {
        schema,
        baseline,
      });
      out.push({ backend: 'PostgreSQL', processes, ...r });
    } finally {
      await dropSchemas(schema);
    }
  }
  return out;
}
