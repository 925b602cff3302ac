import type { Redis } from 'ioredis';
import { AsporaError } from '@aspora/sdk';
import type { RateDecision, RateLimiter } from './rate-limiter.ts';

export interface RedisRateLimiterOptions {
  /** Prepended to every key; isolates deployments (and tests) sharing one Redis. */
  prefix?: string;
  /** Clock (ms since epoch), for tests; windows are aligned to it. */
  now?: () => number;
}

/**
 * Extra lifetime of a window's key past the window's end. The key names its window, so expiry
 * only collects garbage; the margin covers processes whose clocks run slightly behind, which
 * must still find the count (not a fresh key) during their last moments of the window.
 */
const EXPIRY_MARGIN_MS = 5_000;

// Atomic: Redis runs the script with no other command in between, so concurrent hits from any
// number of processes cannot together pass the limit, and a refused hit changes nothing.
/** KEYS[1] window key · ARGV limit, ttl ms → {allowed, count} */
const HIT = `
local n = tonumber(redis.call('GET', KEYS[1]) or 0)
if n >= tonumber(ARGV[1]) then return {0, n} end
n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, n}`;

interface RateCommands {
  asporaRateHit(key: string, limit: number, ttlMs: number): Promise<[number, number]>;
}

/**
 * Fixed, clock-aligned windows shared through Redis — the same semantics as MemoryRateLimiter,
 * for several platform processes. One key per key, window size and window start.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis & RateCommands;
  readonly #prefix: string;
  readonly #now: () => number;

  constructor(redis: Redis, opts: RedisRateLimiterOptions = {}) {
    // defineCommand sends EVALSHA and falls back to EVAL once when Redis lacks the script.
    redis.defineCommand('asporaRateHit', { numberOfKeys: 1, lua: HIT });
    this.#redis = redis as Redis & RateCommands;
    this.#prefix = opts.prefix ?? 'aspora:rl:';
    this.#now = opts.now ?? Date.now;
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    if (!Number.isSafeInteger(limit) || limit < 0 || !Number.isSafeInteger(windowMs) || windowMs <= 0) {
      throw new AsporaError('BAD_REQUEST', `invalid rate limit ${limit} per ${windowMs} ms`, {
        hint: 'the limit is a whole number ≥ 0 and the window a whole number of milliseconds > 0',
      });
    }
    const t = this.#now();
    const start = t - (t % windowMs);
    const retryAfterMs = start + windowMs - t;
    // Relative expiry (not PEXPIREAT): Redis's clock may differ from ours, and an expiry in
    // Redis's past would delete the key and reset the count mid-window.
    const [allowed, count] = await this.#redis.asporaRateHit(
      `${this.#prefix}${windowMs}:${start}:${key}`,
      limit,
      retryAfterMs + EXPIRY_MARGIN_MS,
    );
    return { allowed: allowed === 1, count, limit, retryAfterMs };
  }
}
