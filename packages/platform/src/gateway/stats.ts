/**
 * The gateway's figures per skill, model and provider — calls, tokens, cost, latency, fallbacks,
 * cache hits, errors — kept in process for the observability issue to export (Prometheus) and for
 * GET /v1/gateway/stats. Label sets stay bounded: skills, models and providers, never users.
 */
export interface CallFigures {
  /** Provider calls (each attempt, failed or not) and answers from the cache. */
  calls: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  /** Calls answered by a model after the first of their chain. */
  fallbacks: number;
  cacheHits: number;
  cacheMisses: number;
  /** Of provider calls (an answer from the cache takes none). */
  latencyMsTotal: number;
  /** Upper bounds in ms → count of provider calls at or under it (cumulative, Prometheus style). */
  latencyBuckets: Record<string, number>;
}

export const LATENCY_BUCKETS_MS = [50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];
const BUCKET_KEYS = LATENCY_BUCKETS_MS.map(String);

export interface CallSample {
  skill: string;
  model: string;
  provider: string;
  ok: boolean;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  latencyMs: number;
  fallback: boolean;
  /** 'none': a provider call; 'hit': answered from the cache; 'miss': a lookup that found nothing (its call is a sample of its own). */
  cache: 'hit' | 'miss' | 'none';
}

const empty = (): CallFigures => ({
  calls: 0,
  errors: 0,
  promptTokens: 0,
  completionTokens: 0,
  cost: 0,
  fallbacks: 0,
  cacheHits: 0,
  cacheMisses: 0,
  latencyMsTotal: 0,
  latencyBuckets: Object.fromEntries([...BUCKET_KEYS, '+Inf'].map((b) => [b, 0])),
});

export class GatewayStats {
  readonly #rows = new Map<string, { skill: string; model: string; provider: string; f: CallFigures }>();
  /** Sees every sample (the Prometheus metrics). */
  readonly listeners: Array<(s: CallSample) => void> = [];

  record(s: CallSample): void {
    for (const l of this.listeners) l(s);
    const key = `${s.skill}\0${s.model}\0${s.provider}`;
    let row = this.#rows.get(key);
    if (!row) this.#rows.set(key, (row = { skill: s.skill, model: s.model, provider: s.provider, f: empty() }));
    const f = row.f;
    if (s.cache === 'miss') {
      f.cacheMisses++;
      return;
    }
    f.calls++;
    if (!s.ok) f.errors++;
    f.promptTokens += s.promptTokens;
    f.completionTokens += s.completionTokens;
    f.cost += s.cost;
    if (s.fallback && s.ok) f.fallbacks++;
    if (s.cache === 'hit') {
      f.cacheHits++;
      return;
    }
    f.latencyMsTotal += s.latencyMs;
    for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++)
      if (s.latencyMs <= LATENCY_BUCKETS_MS[i]!) f.latencyBuckets[BUCKET_KEYS[i]!]!++;
    f.latencyBuckets['+Inf']!++;
  }

  rows(): Array<{ skill: string; model: string; provider: string } & CallFigures> {
    return [...this.#rows.values()].map((r) => ({ skill: r.skill, model: r.model, provider: r.provider, ...r.f }));
  }
}
