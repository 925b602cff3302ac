/** The SQL both the hour finalizer and the live part of a query use: execution rows summed per skill and hour. */
import { BUCKET_FACTOR, BUCKETS } from './buckets.ts';

const BUCKET = `CASE WHEN COALESCE(e.duration_ms, 0) <= 1 THEN 0 ELSE LEAST(${BUCKETS - 1}, CEIL(LN(e.duration_ms) / LN(${BUCKET_FACTOR})))::int END`;
const HOUR = `date_trunc('hour', e.started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;

/**
 * Finished executions started in [$1, $2) (and, with `where`, more conditions), per skill, hour
 * and latency bucket; the caller folds buckets into arrays. A release's shadow runs served nobody:
 * they are in the shadow report (aspora diff), not in the skill's serving figures.
 */
export const PER_BUCKET = (where = '') => `
  SELECT e.skill_id, ${HOUR} AS hour, ${BUCKET} AS b,
         count(*)::int AS n, count(*) FILTER (WHERE e.success)::int AS ok, count(*) FILTER (WHERE e.error_code IS NOT NULL)::int AS err,
         COALESCE(sum(e.duration_ms), 0)::bigint AS d, COALESCE(sum(e.cost), 0) AS c, COALESCE(sum(e.model_calls), 0)::int AS mc,
         COALESCE(sum(e.prompt_tokens), 0)::bigint AS pt, COALESCE(sum(e.completion_tokens), 0)::bigint AS ct,
         count(e.user_rating)::int AS rn, COALESCE(sum(e.user_rating), 0)::int AS rs,
         min(COALESCE(e.duration_ms, 0))::int AS lo, max(COALESCE(e.duration_ms, 0))::int AS hi
  FROM executions e
  WHERE e.completed_at IS NOT NULL AND e.started_at >= $1 AND e.started_at < $2
    AND e.variant IS DISTINCT FROM 'shadow' ${where}
  GROUP BY 1, 2, 3`;

export interface BucketRow {
  skill_id: string;
  hour: string | Date;
  b: number;
  n: number;
  ok: number;
  err: number;
  d: string | number;
  c: string | number;
  mc: number;
  pt: string | number;
  ct: string | number;
  rn: number;
  rs: number;
  /** Fastest and slowest run of the group (ms). */
  lo: number;
  hi: number;
}
