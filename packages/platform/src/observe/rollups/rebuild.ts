/**
 * Rebuilds the hourly rollups of a time range from the execution rows (after an import, a
 * restore, or to check them). The recorder keeps them current; this recomputes them from scratch.
 */
import type { Db } from '../../registry/index.ts';
import { BUCKET_FACTOR, BUCKETS, emptyBuckets } from './buckets.ts';

export async function rebuildRollups(db: Db, from: Date, to: Date): Promise<{ hours: number }> {
  const range = [from.toISOString(), to.toISOString()];
  const groups = await db.query<Record<string, any>>(
    `SELECT skill_id, date_trunc('hour', started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour,
            count(*)::int AS executions, count(*) FILTER (WHERE success)::int AS successes, count(*) FILTER (WHERE error_code IS NOT NULL)::int AS errors,
            COALESCE(sum(duration_ms), 0)::bigint AS duration_ms_sum, COALESCE(sum(cost), 0) AS cost, COALESCE(sum(model_calls), 0)::int AS model_calls,
            COALESCE(sum(prompt_tokens), 0)::bigint AS prompt_tokens, COALESCE(sum(completion_tokens), 0)::bigint AS completion_tokens
     FROM executions WHERE completed_at IS NOT NULL AND started_at >= $1 AND started_at < $2 GROUP BY 1, 2`,
    range,
  );
  // Same buckets as the recorder's bucketOf(): 0 up to 1 ms, then ceil(log_1.25(ms)), capped.
  const counts = await db.query<{ skill_id: string; hour: string; i: number; n: number }>(
    `SELECT skill_id, date_trunc('hour', started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour,
            CASE WHEN COALESCE(duration_ms, 0) <= 1 THEN 0 ELSE LEAST(${BUCKETS - 1}, CEIL(LN(duration_ms) / LN(${BUCKET_FACTOR})))::int END AS i, count(*)::int AS n
     FROM executions WHERE completed_at IS NOT NULL AND started_at >= $1 AND started_at < $2 GROUP BY 1, 2, 3`,
    range,
  );
  const buckets = new Map<string, number[]>();
  for (const c of counts) {
    const key = `${c.skill_id}|${new Date(c.hour).toISOString()}`;
    const b = buckets.get(key) ?? emptyBuckets();
    b[c.i] = c.n;
    buckets.set(key, b);
  }
  const rows = groups.map((g) => {
    const hour = new Date(g.hour).toISOString();
    return { ...g, hour, buckets: `{${(buckets.get(`${g.skill_id}|${hour}`) ?? emptyBuckets()).join(',')}}` };
  });
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM execution_rollups WHERE hour >= $1 AND hour < $2', range);
    for (let i = 0; i < rows.length; i += 2000) {
      await tx.query(
        `INSERT INTO execution_rollups (skill_id, hour, executions, successes, errors, duration_ms_sum, cost, model_calls, prompt_tokens, completion_tokens, buckets)
         SELECT skill_id, hour, executions, successes, errors, duration_ms_sum, cost, model_calls, prompt_tokens, completion_tokens, buckets::int[]
         FROM jsonb_to_recordset($1::jsonb) AS x(skill_id uuid, hour timestamptz, executions int, successes int, errors int, duration_ms_sum bigint, cost numeric, model_calls int, prompt_tokens bigint, completion_tokens bigint, buckets text)`,
        [JSON.stringify(rows.slice(i, i + 2000))],
      );
    }
    // Ratings count in the hour their execution ran.
    await tx.query(
      `UPDATE execution_rollups r SET ratings = f.n, rating_sum = f.s FROM (
         SELECT e.skill_id, date_trunc('hour', e.started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour, count(*)::int AS n, sum(f.rating)::int AS s
         FROM feedback f JOIN executions e ON e.id = f.execution_id WHERE f.rating IS NOT NULL AND e.started_at >= $1 AND e.started_at < $2 GROUP BY 1, 2) f
       WHERE r.skill_id = f.skill_id AND r.hour = f.hour`,
      range,
    );
  });
  return { hours: rows.length };
}
