/**
 * The analysis of a canary step (issue 17 part 2, decision 019): stable's and the canary's numbers
 * over the step's window, judged by the release's rules into wait, pass or fail, with one line
 * naming the rule and the numbers. Pure: the same numbers give the same judgement.
 *
 * - Success rate: the Berger–Boos exact test of "canary ≥ stable − maxSuccessDropPoints" (exact-tests.ts).
 *   Before the step's final look (window elapsed, minSamples on both sides) a failure needs
 *   p < 0.001 (the Haybittle–Peto interim boundary, since the controller looks every second); at the
 *   final look p < 1 − confidence. An observed drop beyond the margin that is not significant waits
 *   for more executions: it neither passes nor fails.
 * - p95 latency, cost per execution, mean rating (both sides rated ≥ 5 times) and the skill's
 *   monitoring thresholds on the canary alone, judged at the final look.
 * - Pass: the window elapsed, minSamples on both sides, every rule holds.
 */
import type { ReleaseRules } from '@aspora/api';
import { parseDurationMs } from '@aspora/sdk';
import { belowThresholdTest, successDropTest } from './exact-tests.ts';
import type { StepJudgement, WindowSample } from './types.ts';

/** Interim looks fail only on overwhelming evidence (Haybittle 1971; Peto et al. 1976). */
export const INTERIM_ALPHA = 0.001;
/** p95 is compared once each side has this many executions (or minSamples, when smaller). */
export const P95_MIN_SAMPLES = 20;
/** A p95 increase smaller than this never fails: scheduling noise of fast handlers (2 → 3 ms is +50 %). */
export const P95_SLACK_MS = 25;
/** Likewise for cost per execution: a hundredth of a cent. */
export const COST_SLACK_USD = 0.0001;
/** Mean ratings are compared once both sides have this many. */
export const MIN_RATINGS = 5;

/** The skill's own monitoring thresholds (config `monitoring`), applied to the canary alone. */
export interface MonitoringThresholds {
  /** 0–1: monitoring.success_rate_threshold. */
  successRate?: number | undefined;
  /** Milliseconds: monitoring.latency_p95_threshold. */
  latencyP95Ms?: number | undefined;
}

export interface StepInput {
  stable: WindowSample;
  canary: WindowSample;
  rules: ReleaseRules;
  /** Time since the step started. */
  ageMs: number;
  monitoring?: MonitoringThresholds | undefined;
  /**
   * Stable served nothing to compare with (a release whose only step is 100 %): the relative rules
   * are skipped, minSamples applies to the canary alone, and the monitoring thresholds still hold.
   */
  noBaseline?: boolean | undefined;
}

type CheckStatus = 'ok' | 'fail' | 'inconclusive' | 'skipped';
interface Check {
  rule: string;
  status: CheckStatus;
  reason: string;
  numbers: Record<string, unknown>;
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
const pts = (x: number) => (x * 100).toFixed(1);
const ms = (x: number) => `${Math.round(x)} ms`;
const usd = (x: number) => `$${x < 0.01 ? x.toPrecision(2) : x.toFixed(4)}`;
const pv = (p: number) => (p < 0.0001 ? p.toExponential(1) : p.toPrecision(2));
const rate = (s: WindowSample) => (s.executions > 0 ? s.successes / s.executions : null);

export function judgeStep(input: StepInput): StepJudgement {
  const { stable, canary, rules, ageMs } = input;
  const windowMs = parseDurationMs(rules.window);
  const elapsed = ageMs >= windowMs;
  const relative = !input.noBaseline;
  const enough = (!relative || stable.executions >= rules.minSamples) && canary.executions >= rules.minSamples;
  const final = elapsed && enough;
  const alpha = final ? 1 - rules.confidence : Math.min(INTERIM_ALPHA, 1 - rules.confidence);

  const latencySamples = Math.min(rules.minSamples, P95_MIN_SAMPLES);
  const checks: Check[] = [];
  if (relative) checks.push(successRule(stable, canary, rules, alpha, final));
  if (input.monitoring?.successRate !== undefined)
    checks.push(thresholdRule(canary, input.monitoring.successRate, alpha, final));
  if (relative) checks.push(p95Rule(stable, canary, rules, final, latencySamples));
  if (input.monitoring?.latencyP95Ms !== undefined)
    checks.push(latencyThresholdRule(canary, input.monitoring.latencyP95Ms, final, latencySamples));
  if (relative) checks.push(costRule(stable, canary, rules, final), ratingRule(stable, canary, rules, final));

  const numbers: Record<string, unknown> = {
    ageMs: Math.round(ageMs),
    windowMs,
    minSamples: rules.minSamples,
    final,
    alpha,
    ...(relative ? {} : { noBaseline: true }),
    stable: sideNumbers(stable),
    canary: sideNumbers(canary),
    rules: Object.fromEntries(checks.map((c) => [c.rule, { status: c.status, ...c.numbers }])),
  };
  const failed = checks.find((c) => c.status === 'fail');
  if (failed)
    return { outcome: 'fail', reason: `${failed.reason}${final ? '' : ', before the window closed'}`, numbers };
  if (!final) {
    const parts: string[] = [];
    if (!elapsed) parts.push(`window ${span(ageMs)} of ${rules.window}`);
    if (!enough)
      parts.push(
        relative
          ? `executions stable ${stable.executions}/${rules.minSamples}, canary ${canary.executions}/${rules.minSamples}`
          : `canary executions ${canary.executions}/${rules.minSamples}`,
      );
    return { outcome: 'wait', reason: `waiting: ${parts.join('; ')}`, numbers };
  }
  const open = checks.find((c) => c.status === 'inconclusive');
  if (open) return { outcome: 'wait', reason: open.reason, numbers };
  const held = checks.filter((c) => c.status === 'ok').map((c) => c.reason);
  return {
    outcome: 'pass',
    reason: held.length
      ? `every rule holds: ${held.join('; ')}`
      : `window ${rules.window} and ${rules.minSamples} canary executions, no baseline and no monitoring threshold to judge`,
    numbers,
  };
}

function sideNumbers(s: WindowSample): Record<string, unknown> {
  return {
    executions: s.executions,
    successes: s.successes,
    successRate: rate(s),
    p95Ms: s.p95Ms,
    costPerExecution: s.costPerExecution,
    ratings: s.ratings,
    meanRating: s.meanRating,
  };
}

function span(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

function successRule(
  stable: WindowSample,
  canary: WindowSample,
  rules: ReleaseRules,
  alpha: number,
  final: boolean,
): Check {
  const margin = rules.maxSuccessDropPoints / 100;
  const rs = rate(stable);
  const rc = rate(canary);
  if (rs === null || rc === null)
    return {
      rule: 'success',
      status: 'inconclusive',
      reason: `success: no executions yet on ${rs === null ? 'stable' : 'the canary'}`,
      numbers: {},
    };
  const { p, nullRate } = successDropTest(canary, stable, margin);
  const drop = rs - rc;
  const numbers = { dropPoints: drop * 100, maxDropPoints: rules.maxSuccessDropPoints, p, alpha, nullRate };
  const head = `success ${pct(rc)} vs ${pct(rs)}`;
  if (p < alpha)
    return {
      rule: 'success',
      status: 'fail',
      reason: `${head}: ${pts(drop)} points below (max ${rules.maxSuccessDropPoints}, p=${pv(p)} < ${alpha})`,
      numbers,
    };
  if (drop > margin)
    return {
      rule: 'success',
      status: final ? 'inconclusive' : 'ok',
      reason: `${head}: ${pts(drop)} points below (max ${rules.maxSuccessDropPoints}) but not significant (p=${pv(p)}): more executions needed`,
      numbers,
    };
  return {
    rule: 'success',
    status: 'ok',
    reason: `${head} (max ${rules.maxSuccessDropPoints} points below, p=${pv(p)})`,
    numbers,
  };
}

function thresholdRule(canary: WindowSample, threshold: number, alpha: number, final: boolean): Check {
  const rc = rate(canary);
  if (rc === null)
    return { rule: 'monitoringSuccessRate', status: 'inconclusive', reason: 'no canary executions yet', numbers: {} };
  const p = belowThresholdTest(canary, threshold);
  const numbers = { threshold, successRate: rc, p, alpha };
  const head = `canary success ${pct(rc)} vs monitoring.success_rate_threshold ${pct(threshold)}`;
  if (p < alpha)
    return { rule: 'monitoringSuccessRate', status: 'fail', reason: `${head} (p=${pv(p)} < ${alpha})`, numbers };
  if (rc < threshold)
    return {
      rule: 'monitoringSuccessRate',
      status: final ? 'inconclusive' : 'ok',
      reason: `${head}: below but not significant (p=${pv(p)}): more executions needed`,
      numbers,
    };
  return { rule: 'monitoringSuccessRate', status: 'ok', reason: head, numbers };
}

function p95Rule(stable: WindowSample, canary: WindowSample, rules: ReleaseRules, final: boolean, min: number): Check {
  if (stable.p95Ms === null || canary.p95Ms === null || stable.executions < min || canary.executions < min)
    return {
      rule: 'p95',
      status: final ? 'inconclusive' : 'skipped',
      reason: `p95: fewer than ${min} executions a side`,
      numbers: { minSamples: min },
    };
  const limit = Math.max(stable.p95Ms * (1 + rules.maxP95IncreasePercent / 100), stable.p95Ms + P95_SLACK_MS);
  const increase = stable.p95Ms > 0 ? ((canary.p95Ms - stable.p95Ms) / stable.p95Ms) * 100 : null;
  const numbers = { stableMs: stable.p95Ms, canaryMs: canary.p95Ms, limitMs: limit, increasePercent: increase };
  const head = `p95 ${ms(canary.p95Ms)} vs ${ms(stable.p95Ms)}`;
  if (!final) return { rule: 'p95', status: 'skipped', reason: head, numbers };
  if (canary.p95Ms > limit)
    return {
      rule: 'p95',
      status: 'fail',
      reason: `${head}: ${increase === null ? 'above' : `${increase.toFixed(0)}% above`} (max ${rules.maxP95IncreasePercent}%, limit ${ms(limit)})`,
      numbers,
    };
  return { rule: 'p95', status: 'ok', reason: `${head} (limit ${ms(limit)})`, numbers };
}

function latencyThresholdRule(canary: WindowSample, threshold: number, final: boolean, min: number): Check {
  if (canary.p95Ms === null || canary.executions < min)
    return {
      rule: 'monitoringLatencyP95',
      status: final ? 'inconclusive' : 'skipped',
      reason: `canary p95: fewer than ${min} executions`,
      numbers: { threshold },
    };
  const numbers = { thresholdMs: threshold, canaryMs: canary.p95Ms };
  const head = `canary p95 ${ms(canary.p95Ms)} vs monitoring.latency_p95_threshold ${threshold} ms`;
  if (!final) return { rule: 'monitoringLatencyP95', status: 'skipped', reason: head, numbers };
  return canary.p95Ms > threshold
    ? { rule: 'monitoringLatencyP95', status: 'fail', reason: `${head}: above`, numbers }
    : { rule: 'monitoringLatencyP95', status: 'ok', reason: head, numbers };
}

function costRule(stable: WindowSample, canary: WindowSample, rules: ReleaseRules, final: boolean): Check {
  if (stable.costPerExecution === null || canary.costPerExecution === null)
    return { rule: 'cost', status: 'skipped', reason: 'cost: no executions', numbers: {} };
  const s = stable.costPerExecution;
  const c = canary.costPerExecution;
  const limit = Math.max(s * (1 + rules.maxCostIncreasePercent / 100), s + COST_SLACK_USD);
  const numbers = { stableUsd: s, canaryUsd: c, limitUsd: limit };
  const head = `cost/execution ${usd(c)} vs ${usd(s)}`;
  if (!final) return { rule: 'cost', status: 'skipped', reason: head, numbers };
  if (c > limit)
    return {
      rule: 'cost',
      status: 'fail',
      reason: `${head}: ${s > 0 ? `${(((c - s) / s) * 100).toFixed(0)}% ` : ''}above (max ${rules.maxCostIncreasePercent}%, limit ${usd(limit)})`,
      numbers,
    };
  return { rule: 'cost', status: 'ok', reason: `${head} (limit ${usd(limit)})`, numbers };
}

function ratingRule(stable: WindowSample, canary: WindowSample, rules: ReleaseRules, final: boolean): Check {
  if (
    stable.ratings < MIN_RATINGS ||
    canary.ratings < MIN_RATINGS ||
    stable.meanRating === null ||
    canary.meanRating === null
  )
    return {
      rule: 'rating',
      status: 'skipped',
      reason: `ratings: fewer than ${MIN_RATINGS} a side`,
      numbers: { stableRatings: stable.ratings, canaryRatings: canary.ratings },
    };
  const drop = stable.meanRating - canary.meanRating;
  const numbers = { stableMean: stable.meanRating, canaryMean: canary.meanRating, drop, maxDrop: rules.maxRatingDrop };
  const head = `rating ${canary.meanRating.toFixed(2)} vs ${stable.meanRating.toFixed(2)}`;
  if (!final) return { rule: 'rating', status: 'skipped', reason: head, numbers };
  if (drop > rules.maxRatingDrop)
    return {
      rule: 'rating',
      status: 'fail',
      reason: `${head}: ${drop.toFixed(2)} below (max ${rules.maxRatingDrop})`,
      numbers,
    };
  return { rule: 'rating', status: 'ok', reason: `${head} (max ${rules.maxRatingDrop} below)`, numbers };
}
