/**
 * One release's numbers each side over a window: executions, successes, p95 latency, cost per
 * execution, ratings. What `aspora releases` shows side by side and what the analysis judges.
 * Only finished executions count (a running one has neither outcome nor duration yet).
 */
import type { VariantStats } from '@aspora/api';
import type { Db } from '../db/types.ts';

const EMPTY: VariantStats = {
  executions: 0,
  successes: 0,
  successRate: null,
  p95Ms: null,
  costPerExecution: null,
  ratings: 0,
  meanRating: null,
};

export async function variantStats(
  db: Db,
  releaseId: number,
  since: Date,
  until: Date = new Date('9999-12-31T00:00:00Z'),
): Promise<{ stable: VariantStats; canary: VariantStats; shadow: VariantStats }> {
  const [runs, ratings] = await Promise.all([
    db.query<Record<string, unknown>>(
      `SELECT variant, count(*)::int AS executions, count(*) FILTER (WHERE success)::int AS successes,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95, avg(cost)::float8 AS cost
       FROM executions WHERE release_id = $1 AND started_at >= $2 AND started_at < $3 AND completed_at IS NOT NULL
       GROUP BY variant`,
      [releaseId, since.toISOString(), until.toISOString()],
    ),
    db.query<Record<string, unknown>>(
      `SELECT e.variant, count(*)::int AS ratings, avg(f.rating)::float8 AS mean
       FROM feedback f JOIN executions e ON e.id = f.execution_id
       WHERE e.release_id = $1 AND e.started_at >= $2 AND e.started_at < $3 AND f.rating IS NOT NULL
       GROUP BY e.variant`,
      [releaseId, since.toISOString(), until.toISOString()],
    ),
  ]);
  const out = { stable: { ...EMPTY }, canary: { ...EMPTY }, shadow: { ...EMPTY } };
  for (const r of runs) {
    const side = out[r.variant as keyof typeof out];
    if (!side) continue;
    side.executions = Number(r.executions);
    side.successes = Number(r.successes);
    side.successRate = side.executions ? side.successes / side.executions : null;
    side.p95Ms = r.p95 === null ? null : Math.round(Number(r.p95));
    side.costPerExecution = r.cost === null ? null : Number(r.cost);
  }
  for (const r of ratings) {
    const side = out[r.variant as keyof typeof out];
    if (!side) continue;
    side.ratings = Number(r.ratings);
    side.meanRating = r.mean === null ? null : Number(r.mean);
  }
  return out;
}
