/**
 * Staying up when providers are not: a circuit breaker per provider and model (after N failures
 * in a row it stops sending for a cool-down, then lets one trial through), and jittered
 * exponential backoff between retries that honours a provider's Retry-After.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

interface Circuit {
  failures: number;
  openedAt: number;
  trial: boolean;
}

export class CircuitBreakers {
  readonly #circuits = new Map<string, Circuit>();

  constructor(
    private readonly failures: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  state(key: string): BreakerState {
    const c = this.#circuits.get(key);
    if (!c || c.failures < this.failures) return 'closed';
    return this.now() - c.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** May a call go to `key` now? In half-open, only one trial at a time. */
  allow(key: string): boolean {
    const s = this.state(key);
    if (s === 'closed') return true;
    if (s === 'open') return false;
    const c = this.#circuits.get(key)!;
    if (c.trial) return false;
    c.trial = true;
    return true;
  }

  success(key: string): void {
    this.#circuits.delete(key);
  }

  failure(key: string): void {
    const c = this.#circuits.get(key) ?? { failures: 0, openedAt: 0, trial: false };
    c.failures++;
    c.trial = false;
    if (c.failures >= this.failures) c.openedAt = this.now();
    this.#circuits.set(key, c);
  }

  /** Open circuits, for the gateway's figures. */
  open(): string[] {
    return [...this.#circuits.keys()].filter((k) => this.state(k) !== 'closed');
  }
}

/**
 * How long to wait before retry `attempt` (1, 2, …): 100 ms × 2^(attempt-1), ±50 % jitter, at
 * least what Retry-After asked for, capped at 10 s.
 */
export function backoffMs(attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const base = 100 * 2 ** (attempt - 1);
  const jittered = base * (0.5 + random());
  return Math.min(10_000, Math.max(jittered, retryAfterMs ?? 0));
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
