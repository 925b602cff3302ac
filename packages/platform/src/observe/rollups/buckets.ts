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

/** The fastest and slowest observed run (ms), when known. */
export interface Extremes {
  min: number;
  max: number;
}

/**
 * The q-quantile (0..1) of bucket counts, interpolated inside its bucket (log scale). With the
 * observed extremes, a bucket's bounds are narrowed to them: the first and last buckets are only
 * partly used, and interpolating up to a bucket's upper bound reported a p99 above the slowest run.
 */
export function quantile(counts: readonly number[], q: number, extremes?: Extremes): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (!total) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c && seen + c >= rank) {
      let lo = i === 0 ? 0 : bucketUpper(i - 1);
      let hi = bucketUpper(i);
      if (extremes) {
        // The last bucket also holds every run slower than its bound.
        hi = i === counts.length - 1 ? Math.max(lo, extremes.max) : Math.min(hi, Math.max(lo, extremes.max));
        lo = Math.min(hi, Math.max(lo, extremes.min));
      }
      const f = (rank - seen) / c;
      if (f >= 1) return hi; // exactly, not hi ± a rounding error
      return lo <= 0 ? lo + (hi - lo) * f : Math.min(hi, lo * (hi / lo) ** f);
    }
    seen += c;
  }
  return extremes ? extremes.max : bucketUpper(counts.length - 1);
}
