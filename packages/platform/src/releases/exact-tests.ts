/**
 * The few distributions the release analysis needs, exact and dependency-free: the regularized
 * incomplete beta function (Numerical Recipes' continued fraction, Lentz's method), the binomial
 * CDF through it, the one-sided Clopper–Pearson bound, and the Berger–Boos p-value of the
 * success-rate rule (decision 019).
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7: ~15 significant digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  const EPS = 1e-15;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  // Converges in O(√max(a, b)) terms; the bound only guards against a NaN loop.
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** I_x(a, b), the regularized incomplete beta function (the Beta(a, b) CDF at x). */
export function betaCdf(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`beta parameters must be positive (a=${a}, b=${b})`);
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** The x with I_x(a, b) = q (bisection: the CDF is monotone, and 60 halvings reach double precision). */
export function betaQuantile(q: number, a: number, b: number): number {
  if (q <= 0) return 0;
  if (q >= 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (betaCdf(mid, a, b) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  return betaCdf(1 - p, n - k, k + 1);
}

/**
 * The one-sided Clopper–Pearson lower bound of a success probability: the smallest p that still
 * makes `successes` of `n` or more likely at level `gamma` (P(X ≥ successes | p) = gamma).
 */
export function clopperPearsonLower(successes: number, n: number, gamma: number): number {
  if (n <= 0 || successes <= 0) return 0;
  return betaQuantile(gamma, successes, n - successes + 1);
}

/**
 * γ of the Berger–Boos test: the confidence interval of stable's rate is (1 − γ), and γ is added to
 * the p-value (Berger & Boos 1994). Small, so the test keeps nearly its whole power; fixed, so one
 * p-value is compared with both the interim and the final level.
 */
export const BERGER_BOOS_GAMMA = 1e-4;

export interface SuccessTest {
  /** One-sided p-value of "canary success ≥ stable success − margin" (small: the canary is worse). */
  p: number;
  /** Stable's success rate at its lower (1 − γ) bound, less the margin: the null's worst case. */
  nullRate: number;
}

/**
 * The success-rate rule's test (decision 019). H0: p_canary ≥ p_stable − margin; H1: the canary is
 * worse than allowed. p_stable is a nuisance parameter; Berger & Boos take the supremum of the
 * exact binomial tail of the canary over a (1 − γ) Clopper–Pearson interval of p_stable and add γ.
 * The tail P(X_c ≤ x_c | p) falls as p rises, so the supremum is at the interval's lower end.
 * Exact (valid at any sample size, including the first few executions), conservative when
 * stable's own sample is small.
 */
export function successDropTest(
  canary: { successes: number; executions: number },
  stable: { successes: number; executions: number },
  margin: number,
  gamma = BERGER_BOOS_GAMMA,
): SuccessTest {
  if (canary.executions <= 0 || stable.executions <= 0) return { p: 1, nullRate: 0 };
  const lower = clopperPearsonLower(stable.successes, stable.executions, gamma);
  const nullRate = Math.max(0, lower - margin);
  const tail = binomialCdf(canary.successes, canary.executions, nullRate);
  return { p: Math.min(1, tail + gamma), nullRate };
}

/** One-sided exact p-value of "success rate ≥ threshold" for one side alone (the skill's monitoring threshold). */
export function belowThresholdTest(side: { successes: number; executions: number }, threshold: number): number {
  if (side.executions <= 0) return 1;
  return binomialCdf(side.successes, side.executions, threshold);
}
