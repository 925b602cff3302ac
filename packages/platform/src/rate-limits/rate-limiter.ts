/**
 * Fixed-window counters: "at most N per hour / per day". A window is aligned to the clock
 * (hour, day), so every process that shares a counter store agrees on when it resets.
 */
export interface RateDecision {
  allowed: boolean;
  /** Count in the current window after this hit (not incremented when refused). */
  count: number;
  limit: number;
  /** When the window resets (ms from now). */
  retryAfterMs: number;
}

export interface RateLimiter {
  /** Counts one hit against `key` unless the window already holds `limit`. */
  hit(key: string, limit: number, windowMs: number): Promise<RateDecision>;
}

/** In-process counters: the default for one platform process. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();
  #sweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    const t = this.now();
    const start = t - (t % windowMs);
    const k = `${key}|${windowMs}`;
    let w = this.#windows.get(k);
    if (!w || w.start !== start) {
      w = { start, count: 0 };
      this.#windows.set(k, w);
    }
    const retryAfterMs = start + windowMs - t;
    if (++this.#sweep % 10_000 === 0) this.#dropExpired(t);
    if (w.count >= limit) return { allowed: false, count: w.count, limit, retryAfterMs };
    w.count++;
    return { allowed: true, count: w.count, limit, retryAfterMs };
  }

  #dropExpired(t: number): void {
    for (const [k, w] of this.#windows) {
      const windowMs = Number(k.slice(k.lastIndexOf('|') + 1));
      if (w.start + windowMs <= t) this.#windows.delete(k);
    }
  }
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
