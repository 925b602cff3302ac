/**
 * Feeds the Prometheus metrics from what the platform already reports: finished executions and
 * their host calls (runtime), handlers' declared custom metrics, every gateway call (its figures),
 * budget states, and — at scrape time — the warm pool.
 */
import type { BudgetControl } from '../../gateway/budget/control.ts';
import type { GatewayStats } from '../../gateway/stats.ts';
import type { SkillRuntime } from '../../runtime/runtime.ts';
import type { PlatformMetrics } from './prometheus-registry.ts';

const domainOf = (ref: string) => ref.slice(0, Math.max(0, ref.indexOf('/'))) || ref;

/**
 * The `version` label stays bounded: an environment's run (its live version, or a release's stable
 * or canary) and a release's shadow run name their version; a run pinned to any version is 'other'
 * (anyone may run any registered version: one series each would grow without end).
 */
export const versionLabel = (r: {
  version: string;
  environment: string | null;
  releaseId?: number | null | undefined;
}) => (r.environment !== null || (r.releaseId ?? null) !== null ? r.version : 'other');

/** Wires the listeners; returns what to run before each scrape (gauges read from state). */
export function collectMetrics(
  m: PlatformMetrics,
  parts: { runtime: SkillRuntime; stats: GatewayStats; budgets: BudgetControl },
): () => void {
  parts.runtime.on('execution', (r, calls) => {
    const labels = { skill: r.ref, domain: domainOf(r.ref) };
    const served = { ...labels, version: versionLabel(r) };
    m.executions.inc({ ...served, status: r.success ? 'success' : 'failure', code: r.error?.code ?? '' });
    if (r.durationMs !== null) m.executionSeconds.observe(served, r.durationMs / 1000);
    for (const c of calls) m.hostCalls.inc({ ...labels, op: c.op, status: c.ok ? 'ok' : (c.code ?? 'error') });
    if (r.deniedCalls) m.denials.inc(labels, r.deniedCalls);
  });
  parts.runtime.on('metric', (e) => {
    const labels = { skill: e.ref, domain: domainOf(e.ref), metric: e.name };
    if (e.kind === 'counter') m.customTotal.inc(labels, Math.max(0, e.value));
    else if (e.kind === 'histogram') m.customObserved.observe(labels, e.value);
    else m.custom.set(labels, e.value);
  });
  // Gateway calls: the latency histogram is observed per call; the counters are the gateway's own
  // figures (GatewayStats), copied at scrape time, so a call costs one prom-client update, not six.
  const latencyLabels = new Map<string, { provider: string; model: string }>();
  parts.stats.listeners.push((s) => {
    if (s.cache !== 'none') return;
    const key = `${s.provider}\0${s.model}`;
    let l = latencyLabels.get(key);
    if (!l) latencyLabels.set(key, (l = { provider: s.provider, model: s.model }));
    m.modelSeconds.observe(l, s.latencyMs / 1000);
  });
  parts.budgets.on('status', (b) => {
    const labels = { skill: b.ref, domain: domainOf(b.ref) };
    if (b.limit) m.budgetSpent.set(labels, b.spent / b.limit);
    for (const mode of ['ok', 'throttled', 'paused'] as const)
      m.budgetMode.set({ ...labels, mode }, b.mode === mode ? 1 : 0);
  });
  // Read at scrape time: the pool's state is a few integers, the gateway's figures a row per skill × model × provider.
  return () => {
    gatewayCounters(m, parts.stats);
    const s = parts.runtime.stats;
    m.workers.set({ state: 'busy' }, s.workers - s.idle);
    m.workers.set({ state: 'idle' }, s.idle);
    m.workers.set({ state: 'waiting' }, s.waiting);
  };
}

/** The gateway's counters, set from its figures (counters only grow, so a series appears at its first non-zero value). */
function gatewayCounters(m: PlatformMetrics, stats: GatewayStats): void {
  for (const c of [m.modelCalls, m.modelTokens, m.modelCost, m.modelFallbacks, m.cache]) c.reset();
  const add = (
    c: { inc(labels: Record<string, string>, v: number): void },
    labels: Record<string, string>,
    v: number,
  ) => v > 0 && c.inc(labels, v);
  for (const r of stats.rows()) {
    const base = { skill: r.skill, domain: domainOf(r.skill) };
    const call = { ...base, model: r.model, provider: r.provider };
    add(m.modelCalls, { ...call, status: 'ok' }, r.calls - r.errors - r.cacheHits);
    add(m.modelCalls, { ...call, status: 'error' }, r.errors);
    add(m.modelCalls, { ...call, status: 'cached' }, r.cacheHits);
    add(m.modelTokens, { ...base, model: r.model, kind: 'prompt' }, r.promptTokens);
    add(m.modelTokens, { ...base, model: r.model, kind: 'completion' }, r.completionTokens);
    add(m.modelCost, { ...base, model: r.model }, r.cost);
    add(m.modelFallbacks, { ...base, model: r.model }, r.fallbacks);
    add(m.cache, { ...base, result: 'hit' }, r.cacheHits);
    add(m.cache, { ...base, result: 'miss' }, r.cacheMisses);
  }
}
