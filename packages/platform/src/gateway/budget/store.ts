/**
 * Budget counters: how much of a budget (USD) a key has spent in a period, with reservations so
 * that concurrent calls cannot together pass the limit. A model call reserves its worst case
 * (max_tokens at the model's price) before it is sent and settles to its real cost after.
 * Implementations: SQL (PGlite and PostgreSQL, one row per key and period) and Redis (REDIS_URL).
 */
export interface BudgetState {
  spent: number;
  reserved: number;
}

export interface BudgetStore {
  /**
   * Atomically reserves `amount` of `key`'s budget for `period` when spent + reserved + amount
   * ≤ limit; otherwise reserves nothing. Returns whether it did, and the counters after.
   */
  reserve(key: string, period: string, amount: number, limit: number): Promise<BudgetState & { ok: boolean }>;
  /** Turns a reservation into what the call really cost (0 for a call that failed). */
  settle(key: string, period: string, reserved: number, actual: number): Promise<BudgetState>;
  /** Adds spend that had no reservation (a call without a limit to check). */
  add(key: string, period: string, amount: number): Promise<BudgetState>;
  get(key: string, period: string): Promise<BudgetState>;
}

/** Calendar month in UTC, the period of monthly budgets: "2026-12". */
export function monthOf(d: Date = new Date()): string {
  return d.toISOString().slice(0, 7);
}
