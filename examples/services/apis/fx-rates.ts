/**
 * fx_rates_api: mid rates (wealth/create-goal), customer quotes and daily-close history
 * (wealth/fx-timing). History is a seeded random walk per pair, scaled so that today's quote sits
 * at the pair's documented percentile of the last 90 closes.
 */
import { requireNumber, requireString } from '../args.ts';
import { DEMO_CREDENTIALS } from '../fixtures/credentials.ts';
import {
  CURRENCIES,
  DAILY_VOLATILITY,
  TODAY_PERCENTILE,
  TRANSFER_FEE,
  customerRate,
  isCurrency,
  midRate,
  sig6,
  AED_PER_UNIT,
  type Currency,
} from '../fixtures/fx.ts';
import { fnv1a, gaussian, round, seeded, unitHash } from '../hash.ts';
import { badRequest } from '../http.ts';
import type { ApiService, Args, Clock } from '../types.ts';

const HISTORY_DAYS = 365;
const QUOTE_TTL_MS = 30 * 60_000;

export function createFxRatesApi(clock: Clock): ApiService {
  let quotes = 0;
  return {
    api: 'fx_rates_api',
    credential: { type: 'header', name: 'authorization', value: `ApiKey ${DEMO_CREDENTIALS.fxRates}` },
    routes: [
      {
        name: 'getMidRate',
        method: 'GET',
        path: '/rates/mid',
        handle: (args) => {
          const { from, to } = pair(args);
          return {
            from,
            to,
            rate: from === to ? 1 : midRate(from, to),
            source: 'mid-market',
            asOf: new Date(clock.now()).toISOString(),
          };
        },
      },
      {
        name: 'Quote',
        method: 'POST',
        path: '/quotes',
        handle: (args) => {
          const { from, to } = pair(args);
          const amount = requireNumber(args, 'amount', { min: 0.01 });
          const rate = customerRate(from, to);
          const fee = TRANSFER_FEE[from];
          const now = clock.now();
          return {
            quoteId: `q_${from}${to}_${String(++quotes).padStart(6, '0')}`,
            from,
            to,
            amount,
            rate,
            midRate: midRate(from, to),
            fee: { amount: fee, currency: from },
            receiveAmount: round(Math.max(0, amount - fee) * rate, 2),
            rateToAED: AED_PER_UNIT[from],
            createdAt: new Date(now).toISOString(),
            expiresAt: new Date(now + QUOTE_TTL_MS).toISOString(),
          };
        },
      },
      {
        name: 'History',
        method: 'GET',
        path: '/rates/history',
        // A bare array, oldest first: fx-timing decodes it straight into []float64.
        handle: (args) => {
          const { from, to } = pair(args);
          if (from === to) throw badRequest('from and to are the same currency: there is no rate history');
          const days = requireNumber(args, 'days', { min: 2, max: HISTORY_DAYS, integer: true });
          return dailyCloses(from, to).slice(-days);
        },
      },
    ],
  };
}

function pair(args: Args): { from: Currency; to: Currency } {
  const from = requireString(args, 'from').toUpperCase();
  const to = requireString(args, 'to').toUpperCase();
  for (const c of [from, to])
    if (!isCurrency(c)) throw badRequest(`currency ${c} is not supported; supported: ${CURRENCIES.join(', ')}`);
  return { from: from as Currency, to: to as Currency };
}

export function todayPercentile(from: Currency, to: Currency): number {
  return TODAY_PERCENTILE[`${from}/${to}`] ?? 10 + Math.floor(unitHash(`${from}/${to}`) * 81);
}

const closes = new Map<string, number[]>();

/** HISTORY_DAYS daily closes of the customer rate, oldest first; the same on every call. */
export function dailyCloses(from: Currency, to: Currency): number[] {
  const key = `${from}/${to}`;
  const cached = closes.get(key);
  if (cached) return cached;
  const next = seeded(fnv1a(key));
  let level = 1;
  const walk = Array.from({ length: HISTORY_DAYS }, () => (level *= Math.exp(DAILY_VOLATILITY * gaussian(next))));

  // Scale the walk so that exactly k of the last 90 closes are below today's rate.
  const today = customerRate(from, to);
  const window = walk.slice(-90).sort((a, b) => a - b);
  const k = Math.min(89, Math.max(1, Math.round((todayPercentile(from, to) * 90) / 100)));
  const scale = today / ((window[k - 1]! + window[k]!) / 2);
  const out = walk.map((v) => sig6(v * scale));

  // Rounding to 6 digits can move a near-tie across today's rate: put such closes one step back.
  const step = 10 ** (Math.floor(Math.log10(today)) - 5);
  const tail = out.length - 90;
  const order = out
    .slice(tail)
    .map((v, i) => ({ v, i: tail + i }))
    .sort((a, b) => a.v - b.v);
  order.forEach(({ v, i }, rank) => {
    if (rank < k && v >= today) out[i] = sig6(today - step);
    if (rank >= k && v < today) out[i] = today;
  });
  closes.set(key, out);
  return out;
}
