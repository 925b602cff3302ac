/**
 * A release's current window, each side: the executions it served since the step started, as
 * the analysis reads them. One aggregate query per release (the executions_release_idx index
 * bounds it to the release and the step), so the controller's tick costs the same whether a step
 * saw ten executions or a million. Rows still running (written early, not finished) and queued
 * rows have no outcome yet and are left out; a rating counts once (the execution's latest).
 */
import type { VariantStats } from '@aspora/api';
import type { Db } from '../db/index.ts';
import type { WindowSample } from './types.ts';

export interface ReleaseWindow {
  stable: WindowSample;
  canary: WindowSample;
  /** The database's clock when the window was read: the step's age is measured on it, not on a process's. */
  now: Date;
}

const EMPTY: VariantStats = {
  executions: 0,
  successes: 0,
  successRate: null,
  p95Ms: null,
  costPerExecution: null,
  ratings: 0,
  meanRating: null,
};

interface Row {
  now: Date | string;
  variant: 'stable' | 'canary' | null;
  n: number | null;
  ok: number | null;
  p95: number | string | null;
  cost: number | string | null;
  ratings: number | null;
  rating: number | string | null;
}

const num = (v: number | string | null) => (v === null ? null : Number(v));

/** Stable's and the canary's numbers of `releaseId` since `since` (the step's start). */
export async function readWindow(db: Db, releaseId: number, since: Date): Promise<ReleaseWindow> {
  const rows = await db.query<Row>(
    `WITH w AS (
       SELECT variant, count(*)::int AS n, count(*) FILTER (WHERE success)::int AS ok,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95, avg(cost) AS cost,
              count(user_rating)::int AS ratings, avg(user_rating) AS rating
       FROM executions
       WHERE release_id = $1 AND variant IN ('stable', 'canary') AND started_at >= $2
         AND completed_at IS NOT NULL AND success IS NOT NULL
       GROUP BY variant)
     SELECT now() AS now, w.* FROM (SELECT 1) AS one LEFT JOIN w ON true`,
    [releaseId, since.toISOString()],
  );
  const out: ReleaseWindow = { stable: { ...EMPTY }, canary: { ...EMPTY }, now: new Date(rows[0]!.now) };
  for (const r of rows) {
    if (!r.variant || !r.n) continue;
    out[r.variant] = {
      executions: r.n,
      successes: r.ok ?? 0,
      successRate: (r.ok ?? 0) / r.n,
      p95Ms: num(r.p95),
      costPerExecution: num(r.cost),
      ratings: r.ratings ?? 0,
      meanRating: r.ratings ? num(r.rating) : null,
    };
  }
  return out;
}
