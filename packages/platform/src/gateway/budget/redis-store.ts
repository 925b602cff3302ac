import type { Redis } from 'ioredis';
import { AsporaError } from '@aspora/sdk';
import type { BudgetState, BudgetStore } from './store.ts';

export interface RedisBudgetStoreOptions {
  /** Prepended to every key; isolates deployments (and tests) sharing one Redis. */
  prefix?: string;
  /** Counters expire this long after their last change: a month plus margin for late settles. */
  ttlSeconds?: number;
}

const DAY_S = 86_400;

// Each script reads and writes one hash (fields `spent`, `reserved`, integer micro-dollars) and
// runs atomically: Redis executes a script start to finish with no other command interleaved.
// Integers keep repeated additions exact (no float drift); HINCRBY is int64, Lua's doubles are
// exact below 2^53 micro-dollars (~9e9 USD). A number computed in Lua goes back to Redis through
// '%d': Lua's own formatting would send -0 or 1e+14, which HINCRBY rejects.

/** KEYS[1] hash · ARGV amount, limit, ttl → {ok, spent, reserved} */
const RESERVE = `
local c = redis.call('HMGET', KEYS[1], 'spent', 'reserved')
local spent, reserved = tonumber(c[1] or 0), tonumber(c[2] or 0)
local amount = tonumber(ARGV[1])
if spent + reserved + amount > tonumber(ARGV[2]) then return {0, spent, reserved} end
reserved = redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, spent, reserved}`;

/** KEYS[1] hash · ARGV release, actual, ttl → {spent, reserved}; never releases more than is held. */
const SETTLE = `
local held = tonumber(redis.call('HGET', KEYS[1], 'reserved') or 0)
local release = math.min(tonumber(ARGV[1]), held)
local reserved = redis.call('HINCRBY', KEYS[1], 'reserved', string.format('%d', -release))
local spent = redis.call('HINCRBY', KEYS[1], 'spent', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {spent, reserved}`;

interface BudgetCommands {
  asporaBudgetReserve(key: string, amount: string, limit: string, ttl: number): Promise<[number, number, number]>;
  asporaBudgetSettle(key: string, release: string, actual: string, ttl: number): Promise<[number, number]>;
}

/** Budget counters in Redis (REDIS_URL): shared by every platform process, one hash per key and period. */
export class RedisBudgetStore implements BudgetStore {
  readonly #redis: Redis & BudgetCommands;
  readonly #prefix: string;
  readonly #ttl: number;

  constructor(redis: Redis, opts: RedisBudgetStoreOptions = {}) {
    // defineCommand sends EVALSHA and falls back to EVAL once when Redis lacks the script.
    redis.defineCommand('asporaBudgetReserve', { numberOfKeys: 1, lua: RESERVE });
    redis.defineCommand('asporaBudgetSettle', { numberOfKeys: 1, lua: SETTLE });
    this.#redis = redis as Redis & BudgetCommands;
    this.#prefix = opts.prefix ?? 'aspora:budget:';
    this.#ttl = opts.ttlSeconds ?? 40 * DAY_S;
  }

  async reserve(key: string, period: string, amount: number, limit: number): Promise<BudgetState & { ok: boolean }> {
    const [ok, spent, reserved] = await this.#redis.asporaBudgetReserve(
      this.#key(key, period),
      micros('amount', amount),
      micros('limit', limit),
      this.#ttl,
    );
    return { ok: ok === 1, spent: usd(spent), reserved: usd(reserved) };
  }

  async settle(key: string, period: string, reserved: number, actual: number): Promise<BudgetState> {
    const [spent, held] = await this.#redis.asporaBudgetSettle(
      this.#key(key, period),
      micros('reserved', reserved),
      micros('actual', actual),
      this.#ttl,
    );
    return { spent: usd(spent), reserved: usd(held) };
  }

  add(key: string, period: string, amount: number): Promise<BudgetState> {
    return this.settle(key, period, 0, amount);
  }

  async get(key: string, period: string): Promise<BudgetState> {
    const [spent, reserved] = await this.#redis.hmget(this.#key(key, period), 'spent', 'reserved');
    return { spent: usd(Number(spent ?? 0)), reserved: usd(Number(reserved ?? 0)) };
  }

  /** Encoding the period keeps the first ':' after the prefix an unambiguous separator. */
  #key(key: string, period: string): string {
    return `${this.#prefix}${encodeURIComponent(period)}:${key}`;
  }
}

function micros(name: string, value: number): string {
  const m = Math.round(value * 1e6);
  if (!Number.isFinite(value) || value < 0 || !Number.isSafeInteger(m)) {
    throw new AsporaError('BAD_REQUEST', `budget ${name} must be a finite USD amount ≥ 0, got ${value}`, {
      hint: 'pass costs and limits in USD as non-negative numbers below 9e9',
    });
  }
  return String(m);
}

const usd = (m: number): number => m / 1e6;
