/**
 * The platform's Prometheus metrics (GET /metrics, prom-client). Labels are bounded: skill,
 * domain, model, provider, operation and status — never users, executions or inputs. `version`
 * (on executions) names only versions an environment or a release serves: a pinned run of any
 * other version counts as 'other' (collector.ts). Platform and
 * domain figures are sums over the skill series (the dashboards and rules in deploy/ do that).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class PlatformMetrics {
  readonly registry = new Registry();

  readonly executions = new Counter({
    name: 'aspora_executions_total',
    help: 'Skill executions, by outcome (success, failure, error code) and the version that served them.',
    labelNames: ['skill', 'domain', 'version', 'status', 'code'],
    registers: [this.registry],
  });
  readonly executionSeconds = new Histogram({
    name: 'aspora_execution_duration_seconds',
    help: 'Wall-clock duration of skill executions, by the version that served them.',
    labelNames: ['skill', 'domain', 'version'],
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly hostCalls = new Counter({
    name: 'aspora_host_calls_total',
    help: 'Host calls of handlers (tools, APIs, model, state, invoke), by operation and outcome.',
    labelNames: ['skill', 'domain', 'op', 'status'],
    registers: [this.registry],
  });
  readonly denials = new Counter({
    name: 'aspora_permission_denials_total',
    help: 'Host calls refused by the permission guard.',
    labelNames: ['skill', 'domain'],
    registers: [this.registry],
  });
  readonly modelCalls = new Counter({
    name: 'aspora_model_calls_total',
    help: 'Model calls through the gateway, by outcome (ok, error, cached).',
    labelNames: ['skill', 'domain', 'model', 'provider', 'status'],
    registers: [this.registry],
  });
  readonly modelTokens = new Counter({
    name: 'aspora_model_tokens_total',
    help: 'Tokens of model calls, prompt and completion.',
    labelNames: ['skill', 'domain', 'model', 'kind'],
    registers: [this.registry],
  });
  readonly modelCost = new Counter({
    name: 'aspora_model_cost_usd_total',
    help: 'Cost of model calls in USD.',
    labelNames: ['skill', 'domain', 'model'],
    registers: [this.registry],
  });
  readonly modelFallbacks = new Counter({
    name: 'aspora_model_fallbacks_total',
    help: 'Model calls answered by a fallback model.',
    labelNames: ['skill', 'domain', 'model'],
    registers: [this.registry],
  });
  readonly modelSeconds = new Histogram({
    name: 'aspora_model_call_duration_seconds',
    help: 'Latency of provider calls.',
    labelNames: ['provider', 'model'],
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly cache = new Counter({
    name: 'aspora_model_cache_total',
    help: 'Response cache lookups, hit or miss.',
    labelNames: ['skill', 'domain', 'result'],
    registers: [this.registry],
  });
  readonly budgetSpent = new Gauge({
    name: 'aspora_budget_spent_ratio',
    help: "Share of a skill's monthly model budget spent (1 = 100 %).",
    labelNames: ['skill', 'domain'],
    registers: [this.registry],
  });
  readonly budgetMode = new Gauge({
    name: 'aspora_budget_mode',
    help: "1 for a skill's current budget mode (ok, throttled, paused).",
    labelNames: ['skill', 'domain', 'mode'],
    registers: [this.registry],
  });
  readonly custom = new Gauge({
    name: 'aspora_skill_metric',
    help: 'Gauges a skill declares in monitoring.custom_metrics, set by its handler (context.metrics.set).',
    labelNames: ['skill', 'domain', 'metric'],
    registers: [this.registry],
  });
  readonly customTotal = new Counter({
    name: 'aspora_skill_metric_total',
    help: 'Counters a skill declares in monitoring.custom_metrics, increased by its handler (context.metrics.set adds the value).',
    labelNames: ['skill', 'domain', 'metric'],
    registers: [this.registry],
  });
  readonly customObserved = new Histogram({
    name: 'aspora_skill_metric_observed',
    help: 'Histograms a skill declares in monitoring.custom_metrics: each context.metrics.set is one observation.',
    labelNames: ['skill', 'domain', 'metric'],
    buckets: [0.001, 0.01, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 100, 1000, 10_000],
    registers: [this.registry],
  });
  readonly workers = new Gauge({
    name: 'aspora_workers',
    help: 'Sandboxed workers by state (busy, idle) and executions waiting for one.',
    labelNames: ['state'],
    registers: [this.registry],
  });
  readonly spansDropped = new Counter({
    name: 'aspora_spans_dropped_total',
    help: 'Trace spans dropped because the collector did not take them.',
    registers: [this.registry],
  });
  readonly alertsFiring = new Gauge({
    name: 'aspora_alerts_firing',
    help: 'Alerts firing now, by rule.',
    labelNames: ['rule'],
    registers: [this.registry],
  });

  constructor(opts: { defaults?: boolean } = {}) {
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry, prefix: 'aspora_process_' });
  }

  /** Every metric family name this platform exports (the dashboards and alert rules may use only these). */
  names(): string[] {
    return this.registry.getMetricsAsArray().map((m) => m.name);
  }
}
