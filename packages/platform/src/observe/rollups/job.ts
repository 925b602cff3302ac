/**
 * Makes the rollups of closed hours: once an hour is over (plus a grace period for executions
 * still running across its end: rows are filed by start), its execution rows are summed per skill
 * with their latency buckets, in one transaction, by whichever process claims the hour first
 * (rollup_hours). Nothing of this is on an execution's path; until an hour is final, queries read
 * its rows directly (query.ts). Runs every minute, and on demand.
 */
import type { Db } from '../../db/index.ts';
import type { Logger } from '../logger.ts';
import { PER_BUCKET, type BucketRow } from './sql.ts';
import { Sum } from './query.ts';

const HOUR_MS = 3_600_000;
/** An execution that started in an hour may still be finishing this long after its end. */
export const GRACE_MS = 15 * 60_000;
/** How far back the job looks for hours not final yet (older ones: rebuildRollups). */
const LOOKBACK_HOURS = 48;

/** The start of the first hour that is not final yet at `now`. */
export function openFrom(now = Date.now()): number {
  return Math.floor((now - GRACE_MS) / HOUR_MS) * HOUR_MS;
}

export class RollupJob {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(intervalMs = 60_000): void {
    if (this.#timer) return;
    void this.run().catch((e: unknown) => this.log.error({ err: e }, 'rollups failed'));
    this.#timer = setInterval(
      () => void this.run().catch((e: unknown) => this.log.error({ err: e }, 'rollups failed')),
      intervalMs,
    );
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => 0);
  }

  /** Finalizes every closed hour of the lookback not final yet; returns how many. */
  run(): Promise<number> {
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #run(): Promise<number> {
    const end = openFrom(this.now());
    const start = end - LOOKBACK_HOURS * HOUR_MS;
    const done = new Set(
      (
        await this.db.query<{ hour: string | Date }>('SELECT hour FROM rollup_hours WHERE hour >= $1 AND hour < $2', [
          new Date(start).toISOString(),
          new Date(end).toISOString(),
        ])
      ).map((r) => new Date(r.hour).getTime()),
    );
    let n = 0;
    for (let h = start; h < end; h += HOUR_MS) if (!done.has(h) && (await finalizeHour(this.db, new Date(h)))) n++;
    return n;
  }
}

/** Sums one hour into the rollups, unless another process already did; true when this one did. */
export async function finalizeHour(db: Db, hour: Date): Promise<boolean> {
  const from = hour.toISOString();
  const to = new Date(hour.getTime() + HOUR_MS).toISOString();
  return db.transaction(async (tx) => {
    const claimed = await tx.query(
      'INSERT INTO rollup_hours (hour) VALUES ($1) ON CONFLICT (hour) DO NOTHING RETURNING hour',
      [from],
    );
    if (!claimed.length) return false;
    const rows = await tx.query<BucketRow>(PER_BUCKET(), [from, to]);
    const perSkill = new Map<string, Sum>();
    for (const r of rows) {
      let g = perSkill.get(r.skill_id);
      if (!g) perSkill.set(r.skill_id, (g = new Sum()));
      g.addBucket(r);
    }
    const out = [...perSkill].map(([skill_id, g]) => ({
      skill_id,
      hour: from,
      executions: g.executions,
      successes: g.successes,
      errors: g.errors,
      duration_ms_sum: g.durationMs,
      cost: g.cost,
      model_calls: g.modelCalls,
      prompt_tokens: g.promptTokens,
      completion_tokens: g.completionTokens,
      ratings: g.ratings,
      rating_sum: g.ratingSum,
      duration_ms_min: g.extremes()?.min ?? null,
      duration_ms_max: g.extremes()?.max ?? null,
      buckets: `{${g.buckets.join(',')}}`,
    }));
    if (out.length) {
      await tx.query(
        `INSERT INTO execution_rollups (skill_id, hour, executions, successes, errors, duration_ms_sum, cost, model_calls, prompt_tokens, completion_tokens, ratings, rating_sum, duration_ms_min, duration_ms_max, buckets)
         SELECT skill_id, hour, executions, successes, errors, duration_ms_sum, cost, model_calls, prompt_tokens, completion_tokens, ratings, rating_sum, duration_ms_min, duration_ms_max, buckets::int[]
         FROM jsonb_to_recordset($1::jsonb) AS x(skill_id uuid, hour timestamptz, executions int, successes int, errors int, duration_ms_sum bigint, cost numeric, model_calls int,
              prompt_tokens bigint, completion_tokens bigint, ratings int, rating_sum int, duration_ms_min int, duration_ms_max int, buckets text)`,
        [JSON.stringify(out)],
      );
    }
    await tx.query('UPDATE rollup_hours SET executions = $2 WHERE hour = $1', [
      from,
      out.reduce((a, g) => a + g.executions, 0),
    ]);
    return true;
  });
}
