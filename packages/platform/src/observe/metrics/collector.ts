/**
 * Feeds the Prometheus metrics from what the platform already reports: finished executions and
 * their host calls (runtime), handlers' declared custom metrics, every gateway call (its figures),
 * budget states, and — at scrape time — the warm pool.
 */
import type { BudgetControl } from '../../gateway/budget/control.ts';
import type { GatewayStats } from '../../gateway/stats.ts';
import type { SkillRuntime } from '../../runtime/runtime.ts';
import type { PlatformMetrics } from './registry.ts';

const domainOf = (ref: string) => ref.slice(0, Math.max(0, ref.indexOf('/'))) || ref;

/** Wires the listeners; returns what to run before each scrape (gauges read from state). */
export function collectMetrics(m: PlatformMetrics, parts: { runtime: SkillRuntime; stats: GatewayStats; budgets: BudgetControl }): () => void {
  parts.runtime.on('execution', (r, calls) => {
    const labels = { skill: r.ref, domain: domainOf(r.ref) };
    m.executions.inc({ ...labels, status: r.success ? 'success' : 'failure', code: r.error?.code ?? '' });
    if (r.durationMs !== null) m.executionSeconds.observe(labels, r.durationMs / 1000);
    for (const c of calls) m.hostCalls.inc({ ...labels, op: c.op, status: c.ok ? 'ok' : (c.code ?? 'error') });
    if (r.deniedCalls) m.denials.inc(labels, r.deniedCalls);
  });
  parts.runtime.on('metric', (e) => {
    const labels = { skill: e.ref, domain: domainOf(e.ref), metric: e.name };
    if (e.kind === 'counter') m.customTotal.inc(labels, Math.max(0, e.value));
    else if (e.kind === 'histogram') m.customObserved.observe(labels, e.value);
    else m.custom.set(labels, e.value);
  });
  // Label objects per skill × model × provider, made once: the gateway's hot path only looks them up.
  const labelSets = new Map<string, ReturnType<typeof callLabels>>();
  parts.stats.listeners.push((s) => {
    const key = `${s.skill}\0${s.model}\0${s.provider}`;
    let l = labelSets.get(key);
    if (!l) labelSets.set(key, (l = callLabels(s.skill, s.model, s.provider)));
    if (s.cache !== 'none') m.cache.inc(s.cache === 'hit' ? l.cacheHit : l.cacheMiss);
    if (s.cache === 'miss') return; // the call itself is its own sample
    m.modelCalls.inc(s.cache === 'hit' ? l.cached : s.ok ? l.ok : l.error);
    if (s.promptTokens) m.modelTokens.inc(l.prompt, s.promptTokens);
    if (s.completionTokens) m.modelTokens.inc(l.completion, s.completionTokens);
    if (s.cost) m.modelCost.inc(l.model, s.cost);
    if (s.fallback && s.ok) m.modelFallbacks.inc(l.model);
    if (s.cache === 'none') m.modelSeconds.observe(l.latency, s.latencyMs / 1000);
  });
  parts.budgets.on('status', (b) => {
    const labels = { skill: b.ref, domain: domainOf(b.ref) };
    if (b.limit) m.budgetSpent.set(labels, b.spent / b.limit);
    for (const mode of ['ok', 'throttled', 'paused'] as const) m.budgetMode.set({ ...labels, mode }, b.mode === mode ? 1 : 0);
  });
  // Read at scrape time: the pool's state is a few integers.
  return () => {
    const s = parts.runtime.stats;
    m.workers.set({ state: 'busy' }, s.workers - s.idle);
    m.workers.set({ state: 'idle' }, s.idle);
    m.workers.set({ state: 'waiting' }, s.waiting);
  };
}

/** The label sets of one skill × model × provider's gateway metrics. */
function callLabels(skill: string, model: string, provider: string) {
  const base = { skill, domain: domainOf(skill) };
  const status = (status: string) => ({ ...base, model, provider, status });
  return {
    cacheHit: { ...base, result: 'hit' },
    cacheMiss: { ...base, result: 'miss' },
    ok: status('ok'),
    error: status('error'),
    cached: status('cached'),
    prompt: { ...base, model, kind: 'prompt' },
    completion: { ...base, model, kind: 'completion' },
    model: { ...base, model },
    latency: { provider, model },
  };
}
