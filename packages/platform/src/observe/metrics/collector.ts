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
  parts.stats.listeners.push((s) => {
    const base = { skill: s.skill, domain: domainOf(s.skill) };
    if (s.cache !== 'none') m.cache.inc({ ...base, result: s.cache });
    if (s.cache === 'miss') return; // the call itself is its own sample
    m.modelCalls.inc({ ...base, model: s.model, provider: s.provider, status: s.cache === 'hit' ? 'cached' : s.ok ? 'ok' : 'error' });
    if (s.promptTokens) m.modelTokens.inc({ ...base, model: s.model, kind: 'prompt' }, s.promptTokens);
    if (s.completionTokens) m.modelTokens.inc({ ...base, model: s.model, kind: 'completion' }, s.completionTokens);
    if (s.cost) m.modelCost.inc({ ...base, model: s.model }, s.cost);
    if (s.fallback && s.ok) m.modelFallbacks.inc({ ...base, model: s.model });
    if (s.cache === 'none') m.modelSeconds.observe({ provider: s.provider, model: s.model }, s.latencyMs / 1000);
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
