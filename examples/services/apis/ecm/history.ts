/**
 * ecm.stuck_orders_history, aggregated per day and series: counts come from STUCK_SERIES with
 * variation that depends on the series and the day offset only, so every run sees the same history.
 */
import { STUCK_SERIES, type StuckSeries } from '../../fixtures/ecm.ts';
import { round, unitHash } from '../../hash.ts';
import { DAY_MS } from '../../types.ts';

export interface StuckDay {
  /** 0 = today (UTC) */
  daysAgo: number;
  stuck_date: string;
  stuck_reason: string;
  corridor: string;
  payout_partner: string;
  orders_stuck: number;
  amount_aed_stuck: number;
  avg_hours_to_clear: number;
}

/** The days with at least one newly stuck order, per series, oldest first. */
export function stuckHistory(now: number, days: number): StuckDay[][] {
  return STUCK_SERIES.map((s) => {
    const out: StuckDay[] = [];
    for (let daysAgo = days - 1; daysAgo >= 0; daysAgo--) {
      const count = countOn(s, daysAgo);
      if (count === 0) continue; // GROUP BY only yields days that have rows
      const key = `${s.reason}|${s.corridor}|${s.partner}|${daysAgo}`;
      out.push({
        daysAgo,
        stuck_date: new Date(now - daysAgo * DAY_MS).toISOString().slice(0, 10),
        stuck_reason: s.reason,
        corridor: s.corridor,
        payout_partner: s.partner,
        orders_stuck: count,
        amount_aed_stuck: round(count * s.avgAmountAed * (0.85 + 0.3 * unitHash(`${key}|amount`)), 2),
        avg_hours_to_clear: round(s.hoursToClear * (0.8 + 0.4 * unitHash(`${key}|clear`)), 1),
      });
    }
    return out;
  });
}

/**
 * A weekly rhythm (quieter on two days of the week) times ±10% jitter. The rhythm averages out
 * over any 7 days, so a series without a lastWeek level has no week-over-week anomaly.
 */
const WEEKLY_RHYTHM = [1.25, 1.1, 1.0, 0.95, 1.05, 0.7, 0.95];

function countOn(s: StuckSeries, daysAgo: number): number {
  if (s.onlyToday !== undefined) return daysAgo === 0 ? s.onlyToday : 0;
  const base = daysAgo < 7 && s.lastWeek !== undefined ? s.lastWeek : s.usual;
  const jitter = 0.9 + 0.2 * unitHash(`${s.reason}|${s.corridor}|${s.partner}|${daysAgo}`);
  return Math.round(base * WEEKLY_RHYTHM[daysAgo % 7]! * jitter);
}
