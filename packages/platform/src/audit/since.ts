import { AsporaError } from '@aspora/sdk';

const DURATION = /^(\d{1,6})(s|m|h|d|w)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
// A date, or a date and time with an optional zone: what Date.parse reads the same everywhere.
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** `since` of an audit query: a duration back from `now` (90m, 24h, 7d) or an ISO time. */
export function parseSince(text: string, now = Date.now()): Date {
  const s = text.trim();
  const d = DURATION.exec(s);
  if (d) return new Date(now - Number(d[1]) * UNIT_MS[d[2] as keyof typeof UNIT_MS]);
  if (ISO.test(s)) {
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new AsporaError('BAD_REQUEST', `since=${s.slice(0, 40)} is neither a duration nor an ISO time`, {
    hint: 'a duration back (90m, 24h, 7d) or an ISO time (2026-01-31 or 2026-01-31T09:00:00Z)',
  });
}
