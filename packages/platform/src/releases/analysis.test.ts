/**
 * The release analysis against known values: the distributions against SciPy 1.17
 * (scipy.stats.binom / beta), the Berger–Boos test against the same formula computed in SciPy, and
 * the step judgements on the cases issue 17 names (a 20 %-failing canary fails before its window;
 * a healthy one passes only once the window elapsed with minSamples on both sides).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReleaseRules } from '@aspora/api';
import { judgeStep } from './analysis.ts';
import { betaCdf, betaQuantile, binomialCdf, clopperPearsonLower, lnGamma, successDropTest } from './exact-tests.ts';
import { DEFAULT_RULES, type WindowSample } from './types.ts';

const close = (actual: number, expected: number, rel = 1e-6) =>
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), 1e-300),
    `${actual} is not ${expected} (±${rel * 100}%)`,
  );

test('lnGamma, the incomplete beta and the binomial CDF match SciPy', () => {
  close(lnGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12);
  close(lnGamma(10), Math.log(362_880), 1e-12);
  close(binomialCdf(3, 10, 0.5), 0.171875, 1e-10); // binom.cdf(3, 10, .5)
  close(betaCdf(0.3, 2.5, 4), 0.3521975859067672, 1e-9); // beta.cdf(.3, 2.5, 4)
  close(binomialCdf(40, 50, 0.9), 0.02453793570459139, 1e-8); // binom.cdf(40, 50, .9)
  close(binomialCdf(9800, 10_000, 0.985), 5.007716022161729e-5, 1e-6); // large n: binom.cdf(9800, 10000, .985)
  close(binomialCdf(85, 100, 0.95), 0.00013585423899229295, 1e-6);
  assert.equal(binomialCdf(-1, 10, 0.5), 0);
  assert.equal(binomialCdf(10, 10, 0.5), 1);
});

test('Clopper–Pearson: the 95 % interval of 8 of 10 starts at 0.4439 (beta.ppf(.025, 8, 3))', () => {
  close(clopperPearsonLower(8, 10, 0.025), 0.4439045376923585, 1e-7);
  close(betaQuantile(0.3521975859067672, 2.5, 4), 0.3, 1e-7);
  assert.equal(clopperPearsonLower(0, 10, 0.025), 0);
  // All successes: the bound is γ^(1/n).
  close(clopperPearsonLower(200, 200, 1e-4), 1e-4 ** (1 / 200), 1e-7);
});

test('Berger–Boos success test: known p-values (SciPy, same formula)', () => {
  const t = (xc: number, nc: number, xs: number, ns: number) =>
    successDropTest({ successes: xc, executions: nc }, { successes: xs, executions: ns }, 0.02);
  // The example: 5 failures of 10 against stable at 99 %.
  close(t(5, 10, 990, 1000).p, 0.00014990074335047363, 1e-5);
  close(t(5, 10, 990, 1000).nullRate, 0.9524834026291135, 1e-6);
  // A 20 %-failing canary at a 10 % split: 40 of 50 against 450 of 450.
  close(t(40, 50, 450, 450).p, 0.00012612004876285255, 1e-5);
  // Healthy: 49 of 50 against 495 of 500 is nowhere near a failure.
  close(t(49, 50, 495, 500).p, 0.951185599476667, 1e-6);
  // One failure of one execution is not evidence (an asymptotic score test would say p < 0.001).
  close(t(0, 1, 99, 100).p, 0.13154774666054014, 1e-5);
  assert.equal(t(0, 0, 10, 10).p, 1);
});

const rules: ReleaseRules = { ...DEFAULT_RULES, window: '10m', minSamples: 50 };
const side = (executions: number, successes: number, more: Partial<WindowSample> = {}): WindowSample => ({
  executions,
  successes,
  successRate: executions ? successes / executions : null,
  p95Ms: executions ? 100 : null,
  costPerExecution: executions ? 0.002 : null,
  ratings: 0,
  meanRating: null,
  ...more,
});

test('a clearly worse canary fails before minSamples and before its window', () => {
  const j = judgeStep({ stable: side(1000, 990), canary: side(10, 5), rules, ageMs: 30_000 });
  assert.equal(j.outcome, 'fail');
  assert.match(j.reason, /^success 50\.0% vs 99\.0%: 49\.0 points below \(max 2, p=0\.00015 < 0\.001\)/);
  assert.match(j.reason, /before the window closed/);
  const n = j.numbers as { final: boolean; rules: { success: { p: number; status: string } } };
  assert.equal(n.final, false);
  assert.equal(n.rules.success.status, 'fail');
});

test('interim looks need p < 0.001: 3 failures of 20 against 99 % waits', () => {
  const j = judgeStep({ stable: side(200, 198), canary: side(20, 17), rules, ageMs: 30_000 });
  assert.equal(j.outcome, 'wait');
  assert.match(j.reason, /^waiting: window 30s of 10m; executions stable 200\/50, canary 20\/50/);
});

test('a healthy canary waits for the window and the samples, then passes with its numbers', () => {
  const early = judgeStep({ stable: side(450, 450), canary: side(50, 50), rules, ageMs: 60_000 });
  assert.equal(early.outcome, 'wait');
  assert.match(early.reason, /window 60s of 10m/);
  const few = judgeStep({ stable: side(450, 450), canary: side(40, 40), rules, ageMs: 700_000 });
  assert.equal(few.outcome, 'wait');
  assert.match(few.reason, /canary 40\/50/);
  const j = judgeStep({ stable: side(450, 449), canary: side(50, 50), rules, ageMs: 600_000 });
  assert.equal(j.outcome, 'pass');
  assert.match(j.reason, /^every rule holds: success 100\.0% vs 99\.8%/);
  assert.match(j.reason, /p95 100 ms vs 100 ms/);
});

test('at the final look a drop beyond the margin that is not significant waits for more executions', () => {
  // 47 of 50 (94 %) against 99.6 %: 5.6 points below, p ≈ 0.1.
  const j = judgeStep({ stable: side(500, 498), canary: side(50, 47), rules, ageMs: 600_000 });
  assert.equal(j.outcome, 'wait');
  assert.match(j.reason, /5\.6 points below \(max 2\) but not significant/);
  // The same rates with enough evidence fail at the final level (p < 0.05).
  const more = judgeStep({ stable: side(5000, 4980), canary: side(500, 470), rules, ageMs: 600_000 });
  assert.equal(more.outcome, 'fail');
  assert.doesNotMatch(more.reason, /before the window/);
});

test('p95, cost and ratings fail at the final look with the numbers in the reason', () => {
  const slow = judgeStep({
    stable: side(100, 100, { p95Ms: 400 }),
    canary: side(60, 60, { p95Ms: 600 }),
    rules,
    ageMs: 600_000,
  });
  assert.equal(slow.outcome, 'fail');
  assert.equal(slow.reason, 'p95 600 ms vs 400 ms: 50% above (max 20%, limit 480 ms)');
  // Within the slack: 2 → 20 ms is +900 % but not a regression anyone feels.
  const fast = judgeStep({
    stable: side(100, 100, { p95Ms: 2 }),
    canary: side(60, 60, { p95Ms: 20 }),
    rules,
    ageMs: 600_000,
  });
  assert.equal(fast.outcome, 'pass');
  const dear = judgeStep({
    stable: side(100, 100, { costPerExecution: 0.01 }),
    canary: side(60, 60, { costPerExecution: 0.02 }),
    rules,
    ageMs: 600_000,
  });
  assert.equal(dear.outcome, 'fail');
  assert.match(dear.reason, /^cost\/execution \$0\.0200 vs \$0\.0100: 100% above \(max 50%/);
  const disliked = judgeStep({
    stable: side(100, 100, { ratings: 10, meanRating: 4.5 }),
    canary: side(60, 60, { ratings: 6, meanRating: 3.5 }),
    rules,
    ageMs: 600_000,
  });
  assert.equal(disliked.outcome, 'fail');
  assert.equal(disliked.reason, 'rating 3.50 vs 4.50: 1.00 below (max 0.5)');
  // Four ratings on the canary: the rule is skipped, not judged on them.
  const unrated = judgeStep({
    stable: side(100, 100, { ratings: 10, meanRating: 4.5 }),
    canary: side(60, 60, { ratings: 4, meanRating: 1 }),
    rules,
    ageMs: 600_000,
  });
  assert.equal(unrated.outcome, 'pass');
});

test("the skill's monitoring thresholds apply to the canary alone", () => {
  // Stable fails as often as the canary, so the relative rule holds; the threshold does not.
  const j = judgeStep({
    stable: side(500, 425),
    canary: side(100, 85),
    rules,
    ageMs: 600_000,
    monitoring: { successRate: 0.95 },
  });
  assert.equal(j.outcome, 'fail');
  assert.match(j.reason, /^canary success 85\.0% vs monitoring\.success_rate_threshold 95\.0% \(p=0\.00014 < 0\.05/);
  const slow = judgeStep({
    stable: side(100, 100, { p95Ms: 900 }),
    canary: side(60, 60, { p95Ms: 900 }),
    rules,
    ageMs: 600_000,
    monitoring: { latencyP95Ms: 500 },
  });
  assert.equal(slow.outcome, 'fail');
  assert.equal(slow.reason, 'canary p95 900 ms vs monitoring.latency_p95_threshold 500 ms: above');
});

test('no executions on a side is never a pass', () => {
  const j = judgeStep({ stable: side(0, 0), canary: side(0, 0), rules: { ...rules, minSamples: 1 }, ageMs: 600_000 });
  assert.equal(j.outcome, 'wait');
});

test('without a baseline (a release straight to 100 %) the canary is judged alone', () => {
  const waiting = judgeStep({ stable: side(0, 0), canary: side(10, 10), rules, ageMs: 600_000, noBaseline: true });
  assert.equal(waiting.outcome, 'wait');
  assert.equal(waiting.reason, 'waiting: canary executions 10/50');
  const ok = judgeStep({
    stable: side(0, 0),
    canary: side(60, 60),
    rules,
    ageMs: 600_000,
    noBaseline: true,
    monitoring: { successRate: 0.9 },
  });
  assert.equal(ok.outcome, 'pass');
  assert.match(ok.reason, /^every rule holds: canary success 100\.0% vs monitoring/);
  const bad = judgeStep({
    stable: side(0, 0),
    canary: side(60, 30),
    rules,
    ageMs: 60_000,
    noBaseline: true,
    monitoring: { successRate: 0.9 },
  });
  assert.equal(bad.outcome, 'fail');
});
