/**
 * The release controller (issue 17 part 3, decision 019): every second it judges the current step
 * of each active traffic split and acts on the judgement.
 *
 * - fail: with rollback_on_error, the release ends rolled back at once (all traffic to stable: this
 *   process's router forgets now, the others within their 1 s cache), the owner team is told on its
 *   alert channels and the audit log has the entry; without it, the failure is recorded, the step
 *   is held (no step-up until a person promotes or rolls back) and the team is told.
 * - pass: the next step, or promotion after the last; the decision carries the numbers.
 * - wait: at most one recorded 'wait' per step per minute, so the history reads as a history.
 * - monitor_until passed without promotion: rolled back ('expire').
 *
 * One actor per release: the judgement and its action are one transaction holding a PostgreSQL
 * advisory transaction lock on the release (pg_try_advisory_xact_lock), so with several platform
 * processes the one that gets the lock acts and the others skip the release for that tick; the
 * release is re-read under the lock, so nobody acts on a step another process already moved.
 * Everything inside uses the transaction's handle (PGlite has one connection: a statement on the
 * root handle would wait for this very transaction). Shadow releases are the shadow runner's.
 */
import { isAsporaError } from '@aspora/sdk';
import type { Release } from '@aspora/api';
import type { AuditInput } from '../audit/entry.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from '../observe/logger.ts';
import type { NotificationRouter } from '../observe/notify/router.ts';
import type { Channel, Notice } from '../observe/notify/types.ts';
import type { SkillRegistry } from '../registry/index.ts';
import { judgeStep, type MonitoringThresholds } from './analysis.ts';
import { ReleaseStore } from './store.ts';
import { DEFAULT_RULES, type OpenRelease, type StepJudgement } from './types.ts';
import { readWindow } from './window.ts';

export const ANALYSIS_ACTOR = 'analysis';

export interface ControllerOptions {
  /** Between the end of one round and the start of the next (default 1 s). */
  intervalMs?: number;
  /** A 'wait' decision is recorded at most this often per step (default 1 min). */
  waitEveryMs?: number;
}

export interface ControllerDeps {
  db: Db;
  registry: Pick<SkillRegistry, 'getVersion' | 'announce'>;
  notify: Pick<NotificationRouter, 'send' | 'configuredChannels'>;
  audit: { record(e: AuditInput): Promise<unknown> };
  log: Logger;
}

/** What one round did to one release. */
export interface ControllerAction {
  releaseId: number;
  ref: string;
  action: 'wait' | 'step' | 'promote' | 'rollback' | 'hold' | 'expire' | 'skipped';
  judgement?: StepJudgement;
  release?: Release;
}

interface SkillMonitoring extends MonitoringThresholds {
  channels: Channel[];
}

// Both halves of the lock key: the platform's (one per database schema) and the release's.
const LOCK = `SELECT pg_try_advisory_xact_lock(hashtext('aspora_release:' || current_schema()), ($1::bigint % 2147483647)::int) AS ok`;

export class ReleaseController {
  readonly #intervalMs: number;
  readonly #waitEveryMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;
  /** Notices on their way to the owner teams. */
  readonly #telling = new Set<Promise<unknown>>();
  /** Versions are immutable: a canary's monitoring config is read once. */
  readonly #monitoring = new Map<string, SkillMonitoring>();

  constructor(
    private readonly deps: ControllerDeps,
    opts: ControllerOptions = {},
  ) {
    this.#intervalMs = opts.intervalMs ?? 1_000;
    this.#waitEveryMs = opts.waitEveryMs ?? 60_000;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
    await this.idle();
  }

  /** Resolves once the notices sent so far have been delivered (or failed). */
  async idle(): Promise<void> {
    await Promise.all([...this.#telling]);
  }

  // A round starts after the previous one ended: a slow database never stacks rounds.
  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.tick()
        .catch((e: unknown) => this.deps.log.error({ err: e }, 'release analysis round failed'))
        .finally(() => this.#schedule());
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** One round over every active split; also what tests and the bench call directly. */
  tick(): Promise<ControllerAction[]> {
    const run = this.#tick();
    this.#running = run;
    return run;
  }

  async #tick(): Promise<ControllerAction[]> {
    const open = await new ReleaseStore(this.deps.db).openAll();
    const out: ControllerAction[] = [];
    for (const r of open) {
      if (r.mode !== 'split' || r.status !== 'active') continue;
      try {
        out.push(await this.judge(r));
      } catch (e) {
        this.deps.log.error({ err: e, release: r.id, ref: r.ref }, `release ${r.id} of ${r.ref} could not be judged`);
      }
    }
    return out;
  }

  /** Judges one release's step and acts on it, under the release's lock. */
  async judge(seen: OpenRelease): Promise<ControllerAction> {
    // Read before the transaction: the registry's queries use the root handle.
    const monitoring = await this.#monitoringOf(seen);
    let done: ControllerAction;
    try {
      done = await this.deps.db.transaction(async (tx) => {
        const [lock] = await tx.query<{ ok: boolean }>(LOCK, [seen.id]);
        if (!lock?.ok) return { releaseId: seen.id, ref: seen.ref, action: 'skipped' } satisfies ControllerAction;
        const store = new ReleaseStore(tx);
        const r = await store.open(seen.ref, seen.environment);
        if (!r || r.id !== seen.id || r.status !== 'active' || r.mode !== 'split')
          return { releaseId: seen.id, ref: seen.ref, action: 'skipped' } satisfies ControllerAction;
        return this.#act(tx, store, r, monitoring);
      });
    } catch (e) {
      // Ended by a person (or another process) between the read and the action: nothing to do.
      if (isAsporaError(e) && (e.code === 'NO_RELEASE' || e.code === 'CONFLICT'))
        return { releaseId: seen.id, ref: seen.ref, action: 'skipped' };
      throw e;
    }
    if (done.action !== 'skipped' && done.action !== 'wait') await this.#after(seen, done);
    return done;
  }

  async #act(tx: Db, store: ReleaseStore, r: OpenRelease, monitoring: SkillMonitoring): Promise<ControllerAction> {
    const base = { releaseId: r.id, ref: r.ref };
    const w = await readWindow(tx, r.id, r.stepStartedAt);
    const pct = `${r.percentage} %`;
    if (r.monitorUntil && w.now.getTime() >= r.monitorUntil.getTime()) {
      const { release } = await store.end(r.id, 'rollback', {
        outcome: 'expire',
        actor: ANALYSIS_ACTOR,
        reason: `not promoted by ${r.monitorUntil.toISOString()} (--monitor): rolled back at step ${r.stepIndex + 1} (${pct})`,
        numbers: { monitorUntil: r.monitorUntil.toISOString(), step: r.stepIndex, percentage: r.percentage },
      });
      return { ...base, action: 'expire', release };
    }
    const [history] = await tx.query<{ held: boolean | null; last_wait: Date | string | null }>(
      `SELECT bool_or(outcome = 'fail') AS held, max(at) FILTER (WHERE outcome = 'wait') AS last_wait
       FROM release_decisions WHERE release_id = $1 AND step_index = $2 AND at >= $3`,
      [r.id, r.stepIndex, r.stepStartedAt.toISOString()],
    );
    // A failed step without rollback_on_error waits for a person (aspora promote / rollback).
    if (history?.held) return { ...base, action: 'skipped' };
    // At 100 % stable serves nothing in the step: its baseline is what it served over the release.
    const full = r.percentage >= 100;
    const stable = full ? (await readWindow(tx, r.id, new Date(0))).stable : w.stable;
    const judgement = judgeStep({
      stable,
      canary: w.canary,
      // A rule missing from a stored release (an older row) takes the platform's default.
      rules: { ...DEFAULT_RULES, ...r.rules },
      ageMs: w.now.getTime() - r.stepStartedAt.getTime(),
      monitoring,
      noBaseline: full && stable.executions === 0,
    });
    // The decision row carries its step and share; the reason says what was judged.
    const decision = { actor: ANALYSIS_ACTOR, numbers: judgement.numbers };
    switch (judgement.outcome) {
      case 'fail': {
        await store.decide(r.id, { ...decision, outcome: 'fail', reason: judgement.reason });
        if (!r.rollbackOnError) return { ...base, action: 'hold', judgement, release: await store.get(r.id) };
        const { release } = await store.end(r.id, 'rollback', {
          ...decision,
          reason: `rolled back (rollback_on_error): ${judgement.reason}`,
        });
        return { ...base, action: 'rollback', judgement, release };
      }
      case 'pass': {
        const last = r.stepIndex >= r.steps.length - 1;
        if (!last) {
          const release = await store.step(r.id, r.stepIndex + 1, {
            ...decision,
            outcome: 'pass',
            reason: judgement.reason,
          });
          return { ...base, action: 'step', judgement, release };
        }
        await store.decide(r.id, { ...decision, outcome: 'pass', reason: judgement.reason });
        const { release } = await store.end(r.id, 'promote', {
          actor: ANALYSIS_ACTOR,
          reason: `every step passed: ${r.canaryVersion} promoted`,
          numbers: { steps: r.steps },
        });
        return { ...base, action: 'promote', judgement, release };
      }
      case 'wait': {
        const last = history?.last_wait ? new Date(history.last_wait).getTime() : null;
        if (last === null || w.now.getTime() - last >= this.#waitEveryMs)
          await store.decide(r.id, { ...decision, outcome: 'wait', reason: judgement.reason });
        return { ...base, action: 'wait', judgement };
      }
    }
  }

  /** After the commit: this process's caches, the audit log and the owner team. */
  async #after(r: OpenRelease, done: ControllerAction): Promise<void> {
    this.deps.registry.announce(r.ref);
    const release = done.release;
    const reason = release?.decisions.at(-1)?.reason ?? done.judgement?.reason ?? '';
    const ended = done.action === 'rollback' || done.action === 'promote' || done.action === 'expire';
    if (ended)
      // The audit log logs its own failures; the release's change is committed either way.
      await this.deps.audit
        .record({
          actor: ANALYSIS_ACTOR,
          action: `release.${done.action === 'promote' ? 'promote' : 'rollback'}`,
          target: `${r.ref}@${r.environment}`,
          outcome: 'ok',
          details: {
            release: r.id,
            mode: r.mode,
            canary: r.canaryVersion,
            stable: r.stableVersion,
            step: r.stepIndex,
            percentage: r.percentage,
            reason: reason.slice(0, 500),
            ...(done.action === 'expire' ? { expired: true } : {}),
          },
        })
        .catch(() => undefined);
    // Not awaited: a slow channel (up to its 10 s deadline) must not hold up the next release's judgement.
    if (done.action === 'rollback' || done.action === 'hold' || done.action === 'expire') {
      const told: Promise<unknown> = this.#tell(r, done, reason)
        .catch((e: unknown) => this.deps.log.error({ err: e, release: r.id }, 'release notice could not be sent'))
        .finally(() => this.#telling.delete(told));
      this.#telling.add(told);
    }
    this.deps.log.info(
      { release: r.id, ref: r.ref, environment: r.environment, action: done.action, reason },
      `release ${r.id} of ${r.ref}: ${done.action}`,
    );
  }

  async #tell(r: OpenRelease, done: ControllerAction, reason: string): Promise<void> {
    const what =
      done.action === 'rollback'
        ? 'rolled back: all traffic on stable'
        : done.action === 'expire'
          ? 'not promoted in time: rolled back'
          : 'failed its analysis: step held (rollback_on_error is off)';
    const monitoring = await this.#monitoringOf(r);
    const notice: Notice = {
      key: `release:${r.ref}:${r.environment}:${r.id}`,
      status: 'firing',
      severity: done.action === 'expire' ? 'warning' : 'error',
      title: `${r.ref}: canary ${r.canaryVersion} ${what} (${r.environment}, step ${r.stepIndex + 1} of ${r.steps.length} at ${r.percentage} %, stable ${r.stableVersion})`,
      text: `${reason}\nSee: aspora releases ${r.ref} --env ${r.environment}${
        done.action === 'hold' ? `\nDecide: aspora rollback ${r.ref} --env ${r.environment} (or aspora promote)` : ''
      }`,
      scope: { skill: r.ref, domain: r.ref.split('/')[0]!, team: r.ownerTeam },
      rule: done.action === 'expire' ? 'release.expire' : done.action === 'hold' ? 'release.fail' : 'release.rollback',
      at: new Date().toISOString(),
    };
    const channels = monitoring.channels.length
      ? monitoring.channels
      : this.deps.notify.configuredChannels(r.ownerTeam);
    await this.deps.notify.send(notice, channels);
  }

  async #monitoringOf(r: OpenRelease): Promise<SkillMonitoring> {
    const hit = this.#monitoring.get(r.canaryVersionId);
    if (hit) return hit;
    try {
      const v = await this.deps.registry.getVersion(r.ref, r.canaryVersion);
      const mon = (
        v.config as {
          monitoring?: { success_rate_threshold?: number; latency_p95_threshold?: number; alert_channels?: Channel[] };
        } | null
      )?.monitoring;
      const m: SkillMonitoring = {
        successRate: mon?.success_rate_threshold,
        latencyP95Ms: mon?.latency_p95_threshold,
        channels: mon?.alert_channels ?? [],
      };
      if (this.#monitoring.size > 1_000) this.#monitoring.clear();
      this.#monitoring.set(r.canaryVersionId, m);
      return m;
    } catch (e) {
      // Not cached: the next round reads it again.
      this.deps.log.warn({ err: e, ref: r.ref }, 'the canary’s monitoring config could not be read; judged without it');
      return { channels: [] };
    }
  }
}
