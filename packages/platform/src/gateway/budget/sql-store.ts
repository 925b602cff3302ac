import { AsporaError } from '@aspora/sdk';
import type { Db } from '../../db/types.ts';
import type { BudgetState, BudgetStore } from './store.ts';

/**
 * Budget counters in `budget_counters` (migration 005), on PGlite and PostgreSQL alike.
 *
 * Every change is ONE statement, so it is atomic without an explicit transaction: on PostgreSQL
 * INSERT … ON CONFLICT DO UPDATE takes the row lock and evaluates its WHERE against the latest
 * committed row (concurrent reservers queue on that lock), and PGlite is a single connection
 * that runs one statement at a time. Amounts travel as decimal strings rounded to micro-dollars,
 * the column's scale, so the database compares exact decimals rather than floats.
 */
export class SqlBudgetStore implements BudgetStore {
  constructor(private readonly db: Db) {}

  async reserve(key: string, period: string, amount: number, limit: number): Promise<BudgetState & { ok: boolean }> {
    // No row yet: the INSERT … SELECT inserts only when the amount alone fits. A row: the
    // conflict branch adds the amount only when it still fits; otherwise nothing is returned.
    const rows = await this.db.query<Row>(
      `INSERT INTO budget_counters AS b (key, period, reserved)
       SELECT $1, $2, $3::numeric WHERE $3::numeric <= $4::numeric
       ON CONFLICT (key, period) DO UPDATE
         SET reserved = b.reserved + EXCLUDED.reserved, updated_at = now()
         WHERE b.spent + b.reserved + EXCLUDED.reserved <= $4::numeric
       RETURNING b.spent, b.reserved`,
      [key, period, usd('amount', amount), usd('limit', limit)],
    );
    if (rows[0]) return { ok: true, ...state(rows[0]) };
    // Refused: the counters are read right after (informational; the decision above was atomic).
    return { ok: false, ...(await this.get(key, period)) };
  }

  async settle(key: string, period: string, reserved: number, actual: number): Promise<BudgetState> {
    // GREATEST: releasing more than is held (a double settle, a reservation from before a
    // restore) must not give budget back to other callers or trip the CHECK.
    const rows = await this.db.query<Row>(
      `INSERT INTO budget_counters AS b (key, period, spent) VALUES ($1, $2, $4::numeric)
       ON CONFLICT (key, period) DO UPDATE
         SET reserved = GREATEST(b.reserved - $3::numeric, 0), spent = b.spent + EXCLUDED.spent, updated_at = now()
       RETURNING b.spent, b.reserved`,
      [key, period, usd('reserved', reserved), usd('actual', actual)],
    );
    return state(rows[0]);
  }

  add(key: string, period: string, amount: number): Promise<BudgetState> {
    return this.settle(key, period, 0, amount);
  }

  async get(key: string, period: string): Promise<BudgetState> {
    const rows = await this.db.query<Row>(
      'SELECT spent, reserved FROM budget_counters WHERE key = $1 AND period = $2',
      [key, period],
    );
    return state(rows[0]);
  }
}

/** numeric columns come back as strings from pg and PGlite. */
interface Row {
  spent: string;
  reserved: string;
}

function state(row: Row | undefined): BudgetState {
  return row ? { spent: Number(row.spent), reserved: Number(row.reserved) } : { spent: 0, reserved: 0 };
}

/** A USD amount as the decimal string of numeric(14, 6). */
function usd(name: string, value: number): string {
  if (!Number.isFinite(value) || value < 0) {
    throw new AsporaError('BAD_REQUEST', `budget ${name} must be a finite USD amount ≥ 0, got ${value}`, {
      hint: 'pass costs and limits in USD as non-negative numbers',
    });
  }
  return value.toFixed(6);
}
