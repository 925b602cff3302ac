/**
 * Figures of the platform, a domain or a skill over a window (the metrics hierarchy:
 * platform → domain → skill), with the next level down broken out: the rollups of the final hours
 * plus, for the hours not final yet (the last hour or so), their execution rows read directly —
 * exact up to the last finished execution. Windows are whole hours: "the last 24 h" starts at the
 * top of the hour 24 hours ago.
 */
import { AsporaError, parseDurationMs } from '@aspora/sdk';
import type { Db } from '../../db/index.ts';
import { emptyBuckets, quantile, type Extremes } from './buckets.ts';
import { PER_BUCKET, type BucketRow } from './sql.ts';
import type { Figures, Rollup } from '@aspora/api';

// The API's shapes (@aspora/api), named here for the modules that build them.
export type { Figures, Rollup };

const HOUR_MS = 3_600_000;

interface Row {
  domain: string;
  name: string;
  executions: number;
  successes: number;
  errors: number;
  duration_ms_sum: string | number;
  buckets: number[];
  cost: string | number;
  model_calls: number;
  prompt_tokens: string | number;
  completion_tokens: string | number;
  ratings: number;
  rating_sum: number;
  /** NULL in rollups made before they were kept (migration 010). */
  duration_ms_min: number | null;
  duration_ms_max: number | null;
}

/** Sums rollup rows and bucket rows; the job (job.ts) uses it to make an hour's rollup. */
export class Sum {
  executions = 0;
  successes = 0;
  errors = 0;
  durationMs = 0;
  buckets = emptyBuckets();
  cost = 0;
  modelCalls = 0;
  promptTokens = 0;
  completionTokens = 0;
  ratings = 0;
  ratingSum = 0;
  minMs = Infinity;
  maxMs = -Infinity;
  /** False once a rollup without extremes was added: percentiles then fall back to bucket bounds. */
  extremesKnown = true;

  /** Rows of the live part: one latency bucket each. */
  addBucket(r: BucketRow): void {
    this.executions += r.n;
    this.successes += r.ok;
    this.errors += r.err;
    this.durationMs += Number(r.d);
    this.buckets[r.b]! += r.n;
    this.cost += Number(r.c);
    this.modelCalls += r.mc;
    this.promptTokens += Number(r.pt);
    this.completionTokens += Number(r.ct);
    this.ratings += r.rn;
    this.ratingSum += r.rs;
    this.minMs = Math.min(this.minMs, r.lo);
    this.maxMs = Math.max(this.maxMs, r.hi);
  }

  add(r: Row): void {
    this.executions += r.executions;
    this.successes += r.successes;
    this.errors += r.errors;
    this.durationMs += Number(r.duration_ms_sum);
    for (const [i, c] of r.buckets.entries()) this.buckets[i]! += c;
    this.cost += Number(r.cost);
    this.modelCalls += r.model_calls;
    this.promptTokens += Number(r.prompt_tokens);
    this.completionTokens += Number(r.completion_tokens);
    this.ratings += r.ratings;
    this.ratingSum += r.rating_sum;
    if (r.executions === 0) return;
    if (r.duration_ms_min === null || r.duration_ms_max === null) this.extremesKnown = false;
    else {
      this.minMs = Math.min(this.minMs, r.duration_ms_min);
      this.maxMs = Math.max(this.maxMs, r.duration_ms_max);
    }
  }

  /** The fastest and slowest run summed, when every part kept them. */
  extremes(): Extremes | undefined {
    return this.extremesKnown && this.executions > 0 && this.maxMs >= this.minMs
      ? { min: this.minMs, max: this.maxMs }
      : undefined;
  }

  figures(): Figures {
    const n = this.executions;
    const r1 = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
    const ex = this.extremes();
    return {
      executions: n,
      successRate: n ? this.successes / n : null,
      errorRate: n ? this.errors / n : null,
      p50Ms: r1(quantile(this.buckets, 0.5, ex)),
      p95Ms: r1(quantile(this.buckets, 0.95, ex)),
      p99Ms: r1(quantile(this.buckets, 0.99, ex)),
      avgMs: n ? r1(this.durationMs / n) : null,
      cost: Math.round(this.cost * 1e6) / 1e6,
      modelCalls: this.modelCalls,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      ratings: this.ratings,
      satisfaction: this.ratings ? Math.round((this.ratingSum / this.ratings) * 100) / 100 : null,
    };
  }
}

export function windowOf(last: string, now = Date.now()): { from: Date; to: Date } {
  let ms: number;
  try {
    ms = parseDurationMs(last.replace(/d$/, '') === last ? last : `${Number(last.slice(0, -1)) * 24}h`);
  } catch {
    throw new AsporaError('BAD_REQUEST', `--last ${last} is not a duration`, { hint: 'e.g. 1h, 24h, 7d' });
  }
  if (ms < 3_600_000 || ms > 400 * 86_400_000)
    throw new AsporaError('BAD_REQUEST', `--last ${last}: between 1h and 400d`, { hint: 'rollups are hourly' });
  const to = new Date(now);
  const from = new Date(Math.floor((now - ms) / 3_600_000) * 3_600_000);
  return { from, to };
}

/** `target`: undefined (the platform), `domain`, or `domain/name`. */
/** `visible` leaves out the skills a caller may not see, from the figures as well as the children. */
export async function rollup(
  db: Db,
  target: string | undefined,
  last = '24h',
  visible: (ref: string) => boolean = () => true,
): Promise<Rollup> {
  const { from, to } = windowOf(last);
  const [domain, name] = (target ?? '').split('/');
  const scope: Rollup['scope'] = name ? 'skill' : domain ? 'domain' : 'platform';
  const range = [from.toISOString(), to.toISOString()];
  const params: unknown[] = [...range];
  let skillFilter = '';
  if (domain) params.push(domain), (skillFilter += ` AND s.domain = $${params.length}`);
  if (name) params.push(name), (skillFilter += ` AND s.name = $${params.length}`);
  const finalHours = new Set(
    (
      await db.query<{ hour: string | Date }>('SELECT hour FROM rollup_hours WHERE hour >= $1 AND hour < $2', range)
    ).map((r) => new Date(r.hour).getTime()),
  );
  const rows = finalHours.size
    ? await db.query<Row>(
        `SELECT s.domain, s.name, r.executions, r.successes, r.errors, r.duration_ms_sum, r.buckets, r.cost, r.model_calls, r.prompt_tokens, r.completion_tokens, r.ratings, r.rating_sum, r.duration_ms_min, r.duration_ms_max
         FROM execution_rollups r JOIN rollup_hours h ON h.hour = r.hour JOIN skills s ON s.id = r.skill_id WHERE r.hour >= $1 AND r.hour < $2 ${skillFilter}`,
        params,
      )
    : [];
  // Hours not final yet, as contiguous ranges of rows.
  const live: Array<[number, number]> = [];
  for (let h = from.getTime(); h < to.getTime(); h += HOUR_MS) {
    if (finalHours.has(h)) continue;
    const last = live.at(-1);
    if (last && last[1] === h) last[1] = h + HOUR_MS;
    else live.push([h, h + HOUR_MS]);
  }
  const skillIds = new Map(
    (
      await db.query<{ id: string; domain: string; name: string }>(
        `SELECT s.id, s.domain, s.name FROM skills s WHERE true ${skillFilter.replace(/\$(\d)/g, (_, d: string) => `$${Number(d) - 2}`)}`,
        params.slice(2),
      )
    )
      .filter((r) => visible(`${r.domain}/${r.name}`))
      .map((r) => [r.id, r]),
  );
  const liveRows: Array<BucketRow & { domain: string; name: string }> = [];
  for (const [a, b] of live) {
    const ids = [...skillIds.keys()];
    if (!ids.length) break;
    // The skill ids even for the whole platform: executions are indexed by (skill_id, started_at),
    // and one range per skill reads only the open hours' rows instead of scanning the table.
    const part = await db.query<BucketRow>(PER_BUCKET('AND e.skill_id = ANY($3::uuid[])'), [
      new Date(a).toISOString(),
      new Date(Math.min(b, to.getTime())).toISOString(),
      ids,
    ]);
    for (const r of part) {
      const sk = skillIds.get(r.skill_id);
      if (sk) liveRows.push({ ...r, domain: sk.domain, name: sk.name });
    }
  }
  if (scope !== 'platform' && skillIds.size === 0)
    throw new AsporaError(
      name ? 'SKILL_NOT_FOUND' : 'NOT_FOUND',
      `no ${name ? `skill ${target}` : `domain ${domain}`}`,
      { hint: 'aspora list shows the skills' },
    );
  const total = new Sum();
  const parts = new Map<string, Sum>();
  const part = (r: { domain: string; name: string }) => {
    if (scope === 'skill') return undefined;
    const key = scope === 'platform' ? r.domain : `${r.domain}/${r.name}`;
    let p = parts.get(key);
    if (!p) parts.set(key, (p = new Sum()));
    return p;
  };
  for (const r of rows) {
    if (!visible(`${r.domain}/${r.name}`)) continue;
    total.add(r);
    part(r)?.add(r);
  }
  for (const r of liveRows) {
    total.addBucket(r);
    part(r)?.addBucket(r);
  }
  return {
    scope,
    name: target ?? 'platform',
    window: { from: from.toISOString(), to: to.toISOString(), last },
    figures: total.figures(),
    children: [...parts]
      .map(([n, s]) => ({ name: n, figures: s.figures() }))
      .sort((a, b) => b.figures.executions - a.figures.executions),
  };
}
