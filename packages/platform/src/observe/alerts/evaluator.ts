/**
 * Alert rules, evaluated every `alerting.interval`: the platform's default rules and each skill's
 * monitoring thresholds. An alert fires once (the alerts row is the dedup: with several platform
 * processes only the one that flips the row notifies), stays firing while the rule holds, and is
 * resolved — and notified as resolved — when the rule is healthy again. Budget notices of the
 * gateway go out the same way, to the skill's owner team.
 */
import type { AlertingConfig } from '../../config/platform-file.ts';
import type { BudgetNotice } from '../../gateway/budget/control.ts';
import type { SkillRegistry } from '../../registry/index.ts';
import type { Db } from '../../db/index.ts';
import type { Logger } from '../logger.ts';
import type { PlatformMetrics } from '../metrics/prometheus-registry.ts';
import type { NotificationRouter } from '../notify/router.ts';
import type { Notice } from '../notify/types.ts';
import {
  costLastHour,
  platformRules,
  skillRules,
  span,
  windowFigures,
  type Judgement,
  type SkillMonitoring,
} from './rules.ts';

const MONITORING_TTL_MS = 60_000;

export interface AlertRow {
  key: string;
  rule: string;
  status: 'firing' | 'resolved';
  severity: string;
  title: string;
  value: number | null;
  threshold: number | null;
  scope: Record<string, unknown>;
  firedAt: string;
  resolvedAt: string | null;
}

export class AlertEvaluator {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  readonly #monitoring = new Map<string, { at: number; m: SkillMonitoring | null }>();

  constructor(
    private readonly db: Db,
    private readonly registry: SkillRegistry,
    private readonly router: NotificationRouter,
    private readonly config: AlertingConfig,
    private readonly log: Logger,
    private readonly metrics?: PlatformMetrics,
  ) {}

  start(): void {
    if (!this.config.enabled || this.#timer) return;
    this.#timer = setInterval(
      () => void this.evaluate().catch((e: unknown) => this.log.error({ err: e }, 'alert evaluation failed')),
      this.config.interval,
    );
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One round; returns the alerts that changed state (fired or resolved). */
  evaluate(): Promise<AlertRow[]> {
    const run = this.#evaluate();
    this.#running = run;
    return run;
  }

  async #evaluate(): Promise<AlertRow[]> {
    const [skills, cost] = await Promise.all([windowFigures(this.db, this.config.window), costLastHour(this.db)]);
    const judged: Judgement[] = platformRules(this.config, skills, cost);
    for (const s of skills) {
      const m = await this.#monitoringOf(s.ref);
      if (m) judged.push(...skillRules(this.config, s, m));
    }
    // A skill with a firing alert and no executions in the window is healthy now.
    const firing = await this.db.query<{ key: string }>("SELECT key FROM alerts WHERE status = 'firing'");
    const seen = new Set(judged.map((j) => j.key));
    for (const { key } of firing) {
      if (seen.has(key) || !key.startsWith('skill:')) continue;
      const ref = key.split(':')[1]!;
      const rule = `skill.${key.split(':').at(-1)}`;
      const m = await this.#monitoringOf(ref);
      judged.push({
        key,
        rule,
        firing: false,
        severity: 'info',
        title: `${ref}: no executions in the last ${span(this.config.window)} (${rule})`,
        text: '',
        value: null,
        threshold: 0,
        scope: { skill: ref, domain: ref.split('/')[0]!, team: m?.team ?? null },
        channels: m?.channels ?? this.config.channels,
      });
    }
    const changed: AlertRow[] = [];
    for (const j of judged) {
      const row = j.firing ? await this.#fire(j) : await this.#resolve(j);
      if (row) {
        changed.push(row);
        await this.#notify(j, row);
      }
    }
    if (this.metrics) {
      const counts = await this.db.query<{ rule: string; n: number }>(
        "SELECT rule, count(*)::int AS n FROM alerts WHERE status = 'firing' GROUP BY rule",
      );
      this.metrics.alertsFiring.reset();
      for (const c of counts) this.metrics.alertsFiring.set({ rule: c.rule }, c.n);
    }
    return changed;
  }

  /** The gateway's 80/95/100 % notices, to the owner team on the skill's alert channels. */
  async budgetNotice(n: BudgetNotice): Promise<void> {
    const m = await this.#monitoringOf(n.ref);
    const verb = n.action === 'pause_skill' ? 'paused' : n.action === 'throttle_skill' ? 'throttled' : 'at';
    const notice: Notice = {
      key: `budget:${n.ref}:${n.period}:${n.threshold}`,
      status: 'firing',
      severity: n.action === 'pause_skill' ? 'error' : 'warning',
      title: `${n.ref}: ${n.threshold} % of its monthly model budget spent (${verb === 'at' ? 'owner team notified' : verb})`,
      text: `$${n.spent.toFixed(2)} of $${n.budget.toFixed(2)} in ${n.period}.${n.action === 'pause_skill' ? ` Its model calls and executions are refused until next month, or until an admin lifts it: aspora budget lift ${n.ref}` : ''}`,
      scope: { skill: n.ref, domain: n.ref.split('/')[0]!, team: n.ownerTeam },
      rule: `budget.${n.threshold}`,
      value: n.spent,
      threshold: n.budget,
      at: new Date().toISOString(),
    };
    await this.router.send(notice, m?.channels.length ? m.channels : this.router.configuredChannels());
  }

  async list(status?: 'firing' | 'resolved'): Promise<AlertRow[]> {
    const rows = await this.db.query<Record<string, any>>(
      `SELECT * FROM alerts ${status ? 'WHERE status = $1' : ''} ORDER BY updated_at DESC LIMIT 200`,
      status ? [status] : [],
    );
    return rows.map(toRow);
  }

  async #fire(j: Judgement): Promise<AlertRow | undefined> {
    const rows = await this.db.query<Record<string, any>>(
      `INSERT INTO alerts (key, rule, scope, status, severity, title, value, threshold) VALUES ($1, $2, $3, 'firing', $4, $5, $6, $7)
       ON CONFLICT (key) DO UPDATE SET status = 'firing', fired_at = now(), resolved_at = NULL, severity = EXCLUDED.severity, title = EXCLUDED.title,
         value = EXCLUDED.value, threshold = EXCLUDED.threshold, updated_at = now() WHERE alerts.status = 'resolved'
       RETURNING *`,
      [j.key, j.rule, JSON.stringify(j.scope), j.severity, j.title, j.value, j.threshold],
    );
    if (rows[0]) return toRow(rows[0]);
    // Still firing: the row carries today's figure, in its value and its title alike.
    await this.db.query(
      'UPDATE alerts SET value = $2, title = $3, severity = $4, threshold = $5, updated_at = now() WHERE key = $1',
      [j.key, j.value, j.title, j.severity, j.threshold],
    );
    return undefined;
  }

  async #resolve(j: Judgement): Promise<AlertRow | undefined> {
    const rows = await this.db.query<Record<string, any>>(
      `UPDATE alerts SET status = 'resolved', resolved_at = now(), updated_at = now(), value = $2, title = $3 WHERE key = $1 AND status = 'firing' RETURNING *`,
      [j.key, j.value, j.title],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  async #notify(j: Judgement, row: AlertRow): Promise<void> {
    await this.router.send(
      {
        key: j.key,
        status: row.status,
        severity: j.severity,
        // The judgement of this round, never the row's title from when it first fired: a resolve
        // notice reading "success rate 0.0 % < 95.0 %" contradicted its own status and value.
        title: j.title,
        text:
          row.status === 'resolved'
            ? `Healthy again (firing since ${row.firedAt}).${j.text ? ` ${j.text}` : ''}`
            : j.text,
        scope: j.scope,
        rule: j.rule,
        ...(j.value !== null ? { value: j.value } : {}),
        threshold: j.threshold,
        at: new Date().toISOString(),
      },
      j.channels,
    );
  }

  async #monitoringOf(ref: string): Promise<SkillMonitoring | null> {
    const hit = this.#monitoring.get(ref);
    if (hit && Date.now() - hit.at < MONITORING_TTL_MS) return hit.m;
    let m: SkillMonitoring | null = null;
    try {
      const l = await this.registry.loadSkill(ref, {});
      const mon = (
        l.version.config as {
          monitoring?: {
            success_rate_threshold?: number;
            latency_p95_threshold?: number;
            alert_on_failure?: boolean;
            alert_channels?: SkillMonitoring['channels'];
          };
        } | null
      )?.monitoring;
      if (mon)
        m = {
          successRate: mon.success_rate_threshold,
          latencyP95Ms: mon.latency_p95_threshold,
          alertOnFailure: mon.alert_on_failure ?? false,
          channels: mon.alert_channels ?? [],
          team: l.version.ownerTeam,
        };
    } catch {
      m = null; // a skill removed since: no rules
    }
    this.#monitoring.set(ref, { at: Date.now(), m });
    return m;
  }
}

function toRow(r: Record<string, any>): AlertRow {
  return {
    key: r.key,
    rule: r.rule,
    status: r.status,
    severity: r.severity,
    title: r.title,
    value: r.value === null ? null : Number(r.value),
    threshold: r.threshold === null ? null : Number(r.threshold),
    scope: r.scope,
    firedAt: new Date(r.fired_at).toISOString(),
    resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
  };
}
