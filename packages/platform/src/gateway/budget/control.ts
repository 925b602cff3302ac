/**
 * A skill's model budgets (cost_budget in aspora.config.yaml): per execution, a call whose worst
 * case (max_tokens at the model's price) would pass max_per_execution is refused before it is
 * sent; per month, the worst case is reserved against monthly_limit atomically (BudgetStore) and
 * settled to the real cost, and the budget's actions follow the spend: notify the owner team at 80 %,
 * throttle at 95 %, pause at 100 % until the next month or until an admin lifts it.
 */
import { EventEmitter } from 'node:events';
import { AsporaError } from '@aspora/sdk';
import type { CostOptimization } from '../../config/platform-file.ts';
import type { RateLimiter } from '../../rate-limits/rate-limiter.ts';
import type { Db } from '../../db/index.ts';
import { monthOf, type BudgetStore } from './store.ts';
import type { Budget } from '@aspora/api';

export type BudgetAction = 'notify_owner_team' | 'throttle_skill' | 'pause_skill';

export interface BudgetSubject {
  ref: string;
  ownerTeam?: string | null | undefined;
  monthlyLimit?: number | null | undefined;
  /**
   * A shadow run of a release's candidate (issue 17): its spend is counted against a budget of its
   * own (the same monthly limit), so a costly candidate can pause only its shadow, never stable.
   */
  shadow?: boolean | undefined;
}

/** The store key of a subject's monthly spend, and of its cached mode. */
const keyOf = (s: BudgetSubject) => `skill:${s.ref}${s.shadow ? ':shadow' : ''}`;

export interface BudgetNotice {
  ref: string;
  ownerTeam: string | null;
  period: string;
  threshold: number;
  action: BudgetAction;
  spent: number;
  budget: number;
}

/** The contract's Budget: what GET …/budget answers. */
export type BudgetStatus = Budget;

export interface Reservation {
  key: string;
  period: string;
  amount: number;
}

const MODE_TTL_MS = 1_000;

export class BudgetControl extends EventEmitter<{ notice: [BudgetNotice]; status: [BudgetStatus] }> {
  readonly #mode = new Map<string, { at: number; status: BudgetStatus }>();
  readonly #alerts: Array<{ threshold: number; action: BudgetAction }>;

  constructor(
    private readonly store: BudgetStore,
    private readonly db: Db,
    cost: CostOptimization,
    private readonly limiter: RateLimiter,
    private readonly throttlePerMinute: number,
  ) {
    super();
    this.#alerts = [...cost.alerts].sort((a, b) => a.threshold - b.threshold);
  }

  /** Refuses a call of a paused skill; holds a throttled one to its calls per minute. */
  async admit(s: BudgetSubject): Promise<void> {
    if (!s.monthlyLimit) return;
    const st = await this.status(s);
    if (st.mode === 'paused') {
      throw new AsporaError(
        'BUDGET_EXCEEDED',
        `skill ${s.ref} spent $${st.spent.toFixed(2)} of its $${st.limit!.toFixed(2)} monthly model budget: paused until the next month`,
        {
          hint: `an admin can lift it: aspora budget lift ${s.ref} (or raise cost_budget.monthly_limit)`,
          details: { skill: s.ref, period: st.period, spent: st.spent, limit: st.limit },
        },
      );
    }
    if (st.mode === 'throttled') {
      const d = await this.limiter.hit(`throttle:${s.ref}`, this.throttlePerMinute, 60_000);
      if (!d.allowed) {
        throw new AsporaError(
          'RATE_LIMITED',
          `skill ${s.ref} is past 95 % of its monthly model budget: throttled to ${this.throttlePerMinute} model calls a minute`,
          {
            details: { skill: s.ref, retryAfterSeconds: Math.ceil(d.retryAfterMs / 1000), rule: 'budget throttle' },
          },
        );
      }
    }
  }

  /** Reserves the worst case against the monthly limit; undefined when the skill has none. */
  async reserve(s: BudgetSubject, amount: number): Promise<Reservation | undefined> {
    if (!s.monthlyLimit) return undefined;
    const period = monthOf();
    const key = keyOf(s);
    const lifted = (await this.status(s)).lifted;
    // A lifted budget keeps being counted, but no longer refuses.
    const r = await this.store.reserve(key, period, amount, lifted ? Number.MAX_SAFE_INTEGER : s.monthlyLimit);
    if (!r.ok) {
      await this.#cross(s, period, r.spent + r.reserved);
      throw new AsporaError(
        'BUDGET_EXCEEDED',
        `skill ${s.ref}: this call could cost up to $${amount.toFixed(4)} and only $${Math.max(0, s.monthlyLimit - r.spent - r.reserved).toFixed(4)} of its monthly model budget is left`,
        {
          hint: 'lower max_tokens, use a cheaper model, or raise cost_budget.monthly_limit',
          details: { skill: s.ref, period, spent: r.spent, reserved: r.reserved, limit: s.monthlyLimit },
        },
      );
    }
    return { key, period, amount };
  }

  /** The call is over: its real cost replaces the reservation, and thresholds are checked. */
  async settle(s: BudgetSubject, r: Reservation | undefined, actual: number): Promise<void> {
    if (!s.monthlyLimit) return;
    const after = r
      ? await this.store.settle(r.key, r.period, r.amount, actual)
      : await this.store.add(keyOf(s), monthOf(), actual);
    await this.#cross(s, r?.period ?? monthOf(), after.spent);
  }

  async status(s: BudgetSubject): Promise<BudgetStatus> {
    const key = keyOf(s);
    const cached = this.#mode.get(key);
    if (cached && Date.now() - cached.at < MODE_TTL_MS && cached.status.period === monthOf()) return cached.status;
    const period = monthOf();
    const [state, lifts] = await Promise.all([
      this.store.get(key, period),
      this.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM budget_lifts WHERE budget_key = $1 AND period = $2',
        [key, period],
      ),
    ]);
    const lifted = (lifts[0]?.n ?? 0) > 0;
    const limit = s.monthlyLimit ?? null;
    const share = limit ? (state.spent / limit) * 100 : 0;
    const action = lifted ? undefined : this.#alerts.filter((a) => share >= a.threshold).at(-1)?.action;
    const status: BudgetStatus = {
      ref: s.ref,
      period,
      spent: state.spent,
      reserved: state.reserved,
      limit,
      lifted,
      mode: action === 'pause_skill' ? 'paused' : action === 'throttle_skill' ? 'throttled' : 'ok',
    };
    this.#mode.set(key, { at: Date.now(), status });
    // The shadow's budget is its own business: no gauge, no notice to the owner team.
    if (!s.shadow) this.emit('status', status);
    return status;
  }

  /** An admin lets a paused (or throttled) skill go on for the rest of this month. */
  async lift(ref: string, by: string | undefined, reason?: string): Promise<void> {
    await this.db.query(
      `INSERT INTO budget_lifts (budget_key, period, lifted_by, reason) VALUES ($1, $2, $3, $4)
       ON CONFLICT (budget_key, period) DO UPDATE SET lifted_by = EXCLUDED.lifted_by, reason = EXCLUDED.reason, lifted_at = now()`,
      [`skill:${ref}`, monthOf(), by ?? null, reason ?? null],
    );
    this.#mode.delete(`skill:${ref}`);
  }

  /** Records (once per month) each threshold the spend has reached, and tells listeners. */
  async #cross(s: BudgetSubject, period: string, spent: number): Promise<void> {
    this.#mode.delete(keyOf(s));
    if (s.shadow) return;
    const limit = s.monthlyLimit!;
    const reached = this.#alerts.filter((a) => (spent / limit) * 100 >= a.threshold);
    for (const a of reached) {
      const rows = await this.db.query(
        `INSERT INTO budget_events (budget_key, period, threshold, action, spent, budget) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (budget_key, period, threshold) DO NOTHING RETURNING threshold`,
        [`skill:${s.ref}`, period, a.threshold, a.action, spent, limit],
      );
      if (rows.length)
        this.emit('notice', {
          ref: s.ref,
          ownerTeam: s.ownerTeam ?? null,
          period,
          threshold: a.threshold,
          action: a.action,
          spent,
          budget: limit,
        });
    }
  }
}
