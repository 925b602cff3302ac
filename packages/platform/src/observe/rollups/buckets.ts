/**
 * Latency buckets of the hourly rollups: log-spaced, each 25 % wider than the one before, from
 * 1 ms to ~30 min (65 buckets), so a percentile read from them is within ~12 % of the exact one,
 * whatever the scale. Counts add across hours and skills, which exact percentiles do not.
 */
export const BUCKET_FACTOR = 1.25;
export const BUCKETS = 65;

/** Upper bound (ms) of bucket i. */
export const bucketUpper = (i: number) => BUCKET_FACTOR ** i;

export function bucketOf(ms: number): number {
  if (ms <= 1) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms) / Math.log(BUCKET_FACTOR)));
}

export const emptyBuckets = () => new Array<number>(BUCKETS).fill(0);

/** The q-quantile (0..1) of bucket counts, interpolated inside its bucket (log scale). */
export function quantile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (!total) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c && seen + c >= rank) {
      const lo = i === 0 ? 0 : bucketUpper(i - 1);
      const hi = bucketUpper(i);
      const f = (rank - seen) / c;
      return i === 0 ? hi * f : lo * (hi / lo) ** f;
    }
    seen += c;
  }
  return bucketUpper(counts.length - 1);
}
