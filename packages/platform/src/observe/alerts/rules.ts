/**
 * What the alert rules look at: the platform's and each skill's executions in the window, and
 * the model cost of the last hour. One query each, grouped per skill; the rules are judged in JS.
 */
import type { AlertingConfig } from '../../config/platform-file.ts';
import type { Db } from '../../db/index.ts';

export interface SkillWindow {
  ref: string;
  domain: string;
  executions: number;
  successes: number;
  failures: number;
  errors: number;
  p95Ms: number | null;
}

export interface Judgement {
  key: string;
  rule: string;
  firing: boolean;
  severity: 'critical' | 'error' | 'warning' | 'info';
  title: string;
  text: string;
  value: number | null;
  threshold: number;
  scope: { skill?: string; domain?: string; team?: string | null };
  channels: Array<'slack' | 'pagerduty' | 'email' | 'webhook'>;
}

export interface SkillMonitoring {
  successRate?: number | undefined;
  latencyP95Ms?: number | undefined;
  alertOnFailure: boolean;
  channels: Array<'slack' | 'pagerduty' | 'email' | 'webhook'>;
  team: string | null;
}

export async function windowFigures(db: Db, windowMs: number): Promise<SkillWindow[]> {
  const rows = await db.query<{
    domain: string;
    name: string;
    n: number;
    ok: number;
    failed: number;
    errors: number;
    p95: number | null;
  }>(
    `SELECT s.domain, s.name, count(*)::int AS n, count(*) FILTER (WHERE e.success)::int AS ok, count(*) FILTER (WHERE NOT e.success)::int AS failed,
            count(*) FILTER (WHERE e.error_code IS NOT NULL)::int AS errors, percentile_cont(0.95) WITHIN GROUP (ORDER BY e.duration_ms) AS p95
     FROM executions e JOIN skills s ON s.id = e.skill_id
     WHERE e.completed_at >= now() - ($1::int * interval '1 millisecond')
       -- A shadow run is a candidate's rehearsal (releases/shadow.ts): its failures page nobody.
       AND e.variant IS DISTINCT FROM 'shadow'
     GROUP BY s.domain, s.name`,
    [windowMs],
  );
  return rows.map((r) => ({
    ref: `${r.domain}/${r.name}`,
    domain: r.domain,
    executions: r.n,
    successes: r.ok,
    failures: r.failed,
    errors: r.errors,
    p95Ms: r.p95 === null ? null : Number(r.p95),
  }));
}

export async function costLastHour(db: Db): Promise<number> {
  const [r] = await db.query<{ cost: string | null }>(
    `SELECT sum(cost) AS cost FROM model_calls WHERE created_at >= now() - interval '1 hour'`,
  );
  return Number(r?.cost ?? 0);
}

/**
 * Percentages as people read them: one decimal, more when one decimal would make a figure read as
 * its threshold (99.86 % shown as "99.9 % < 99.9 %") or as 0 / 100 % when it is not.
 */
export function pct(x: number, other?: number): string {
  const show = (v: number, d: number) => (v * 100).toFixed(d);
  let d = 1;
  const misleading = () =>
    (x !== 0 && Number(show(x, d)) === 0) ||
    (x !== 1 && Number(show(x, d)) === 100) ||
    (other !== undefined && other !== x && show(x, d) === show(other, d));
  while (d < 4 && misleading()) d++;
  return `${show(x, d)} %`;
}
/** Whole milliseconds, with a decimal when rounding would make the figure read as its threshold. */
const millis = (x: number, threshold: number) =>
  `${Math.round(x) === threshold && x !== threshold ? x.toFixed(1) : Math.round(x)} ms`;
const usd = (x: number, threshold: number) =>
  `$${x.toFixed(2) === threshold.toFixed(2) && x !== threshold ? x.toFixed(4) : x.toFixed(2)}`;
export const span = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);

/** The platform's default rules: error rate, cost and latency across all skills. */
export function platformRules(c: AlertingConfig, skills: SkillWindow[], cost: number): Judgement[] {
  const n = skills.reduce((a, s) => a + s.executions, 0);
  const errors = skills.reduce((a, s) => a + s.errors, 0);
  // The platform's p95 from the skills': the worst skill's p95 weighted by volume is not a p95, so
  // the rule takes the largest p95 among skills carrying at least 5 % of the traffic.
  const heavy = skills.filter((s) => s.executions >= Math.max(1, 0.05 * n) && s.p95Ms !== null);
  const slowest = heavy.reduce<SkillWindow | undefined>((a, s) => (a && a.p95Ms! >= s.p95Ms! ? a : s), undefined);
  const p95 = slowest ? slowest.p95Ms : null;
  const win = span(c.window);
  const rate = n ? errors / n : 0;
  return [
    {
      key: 'platform:error_rate',
      rule: 'platform.error_rate',
      severity: 'critical',
      value: n ? rate : null,
      threshold: c.error_rate,
      firing: n >= c.min_executions && rate > c.error_rate,
      title: n
        ? `platform: error rate ${pct(rate, c.error_rate)} ${rate > c.error_rate ? '>' : '≤'} ${pct(c.error_rate)} over ${win}`
        : `platform: no executions in the last ${win}`,
      text: `${errors} of ${n} executions ended with an error in the last ${win}.`,
      scope: {},
      channels: c.channels,
    },
    {
      key: 'platform:cost_per_hour',
      rule: 'platform.cost_per_hour',
      severity: 'error',
      value: cost,
      threshold: c.cost_per_hour,
      firing: cost > c.cost_per_hour,
      title: `platform: model cost ${usd(cost, c.cost_per_hour)} in the last hour ${cost > c.cost_per_hour ? '>' : '≤'} $${c.cost_per_hour}`,
      text: 'Model calls of the last hour cost more than the platform allows (alerting.cost_per_hour).',
      scope: {},
      channels: c.channels,
    },
    {
      key: 'platform:p95',
      rule: 'platform.latency_p95',
      severity: 'error',
      value: p95,
      threshold: c.p95_ms,
      firing: n >= c.min_executions && p95 !== null && p95 > c.p95_ms,
      title: slowest
        ? `platform: p95 latency of ${slowest.ref}, the slowest busy skill, ${millis(p95!, c.p95_ms)} ${p95! > c.p95_ms ? '>' : '≤'} ${c.p95_ms} ms over ${win}`
        : `platform: no executions in the last ${win}`,
      text: `The p95 of the slowest skill among those carrying at least 5 % of the executions (${n} in the last ${win}).`,
      scope: {},
      channels: c.channels,
    },
  ];
}

/** The thresholds a skill declares in monitoring. */
export function skillRules(c: AlertingConfig, s: SkillWindow, m: SkillMonitoring): Judgement[] {
  const out: Judgement[] = [];
  const scope = { skill: s.ref, domain: s.domain, team: m.team };
  const win = span(c.window);
  if (m.successRate !== undefined) {
    const rate = s.executions ? s.successes / s.executions : 1;
    out.push({
      key: `skill:${s.ref}:success_rate`,
      rule: 'skill.success_rate',
      severity: 'error',
      value: s.executions ? rate : null,
      threshold: m.successRate,
      scope,
      channels: m.channels,
      firing: s.executions >= c.min_executions && rate < m.successRate,
      title: s.executions
        ? `${s.ref}: success rate ${pct(rate, m.successRate)} ${rate < m.successRate ? '<' : '≥'} ${pct(m.successRate)} over ${win}`
        : `${s.ref}: no executions in the last ${win}`,
      text: `${s.executions - s.successes} of ${s.executions} executions did not succeed (monitoring.success_rate_threshold).`,
    });
  }
  if (m.latencyP95Ms !== undefined) {
    out.push({
      key: `skill:${s.ref}:latency_p95`,
      rule: 'skill.latency_p95',
      severity: 'warning',
      value: s.p95Ms,
      threshold: m.latencyP95Ms,
      scope,
      channels: m.channels,
      firing: s.executions >= c.min_executions && s.p95Ms !== null && s.p95Ms > m.latencyP95Ms,
      title:
        s.p95Ms !== null
          ? `${s.ref}: p95 latency ${millis(s.p95Ms, m.latencyP95Ms)} ${s.p95Ms > m.latencyP95Ms ? '>' : '≤'} ${m.latencyP95Ms} ms over ${win}`
          : `${s.ref}: no executions in the last ${win}`,
      text: 'monitoring.latency_p95_threshold',
    });
  }
  if (m.alertOnFailure) {
    out.push({
      key: `skill:${s.ref}:failure`,
      rule: 'skill.failure',
      severity: 'error',
      value: s.failures,
      threshold: 0,
      scope,
      channels: m.channels,
      firing: s.failures > 0,
      title: `${s.ref}: ${s.failures} failed execution${s.failures === 1 ? '' : 's'} in the last ${win}`,
      text: 'monitoring.alert_on_failure is set for this skill.',
    });
  }
  return out;
}
