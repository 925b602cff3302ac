/**
 * Cron triggers (decision 014): each deployed version's enabled cron triggers, per environment,
 * are pg-boss schedules (a row each, with its time zone and missed-fire policy). Every process arms
 * a precise timer per schedule (cron-timers.ts) that queues the fire's execution at its slot, keyed
 * by the slot, so one process of many runs it, within milliseconds of its time. pg-boss sends one
 * job per occurrence a second or so later — the safety net, keyed by the same slot, which finds the
 * execution there unless no timer took it. Schedules follow deploys: a deploy or rollback in this
 * process syncs that skill; every start syncs them all; timers re-read the rows every few seconds.
 */
import { Cron } from 'croner';
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/index.ts';
import type { Logger } from '../observe/logger.ts';
import { CronTimers, hasSeconds, type TimedSchedule } from './cron-timers.ts';
import type { JobQueue } from './queue.ts';

export const CRON_QUEUE = 'aspora-cron';
const PUMP_MS = 250;
/** How often a process re-reads the schedules (a deploy in another process arms its timers here within this). */
const REFRESH_MS = 5_000;

export interface CronOptions {
  /**
   * Six-field (per-second) schedules fire each second from the timers. Off: they fire from pg-boss's
   * schedule only, at most once a minute (its slot), as five-field ones always could. For tests and
   * benchmarks (aspora.platform.yaml `jobs.cron_seconds`).
   */
  seconds?: boolean;
  /** Precise in-process timers (default on); off: pg-boss's schedule alone (1–4 s late). */
  timers?: boolean;
}

export interface CronFire {
  ref: string;
  environment: 'staging' | 'production';
  position: number;
  schedule: string;
  timezone: string;
  /** The scheduled time this fire is for (ISO), when known. */
  scheduledAt?: string;
}

/**
 * The scheduled time a fire job stands for: the schedule's latest slot at or before the job was
 * made (pg-boss sends an occurrence once it is due, within its minute). null when there is none in
 * the minute before (a fire by hand) or the schedule does not parse.
 */
export function scheduledSlot(f: Pick<CronFire, 'schedule' | 'timezone'>, createdOn: Date): string | null {
  try {
    const [prev] = new Cron(f.schedule, { timezone: f.timezone, paused: true }).previousRuns(
      1,
      new Date(createdOn.getTime() + 1),
    );
    return prev && createdOn.getTime() - prev.getTime() < 60_000 ? prev.toISOString() : null;
  } catch {
    return null;
  }
}

/** A fire's idempotency key: one execution per trigger and slot, however many processes take it. */
export function slotKey(f: Pick<CronFire, 'ref' | 'environment' | 'position'>, slot: string): string {
  return `${f.ref}:${f.environment}:${f.position}:${slot}`;
}

export interface TriggerStatus {
  ref: string;
  environment: string;
  version: string;
  position: number;
  type: string;
  schedule: string | null;
  timezone: string | null;
  enabled: boolean;
  missed: 'skip' | 'run_once' | null;
  patterns: string[];
  channels: string[];
  nextFire: string | null;
  lastResult: { executionId: string; at: string; status: string } | null;
}

interface Deployed {
  domain: string;
  name: string;
  environment: 'staging' | 'production';
  version: string;
  triggers: Record<string, unknown>[] | null;
}

export class CronTriggers {
  #timer: NodeJS.Timeout | undefined;
  #refresher: NodeJS.Timeout | undefined;
  #pumping: Promise<void> | undefined;
  #stopped = true;
  readonly #timers = new CronTimers<CronFire>((s, slot) => this.#onSlot(s, slot));
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Db,
    private readonly boss: PgBoss,
    private readonly jobs: JobQueue,
    private readonly log: Logger,
    private readonly o: CronOptions = {},
  ) {}

  async init(): Promise<void> {
    if (await this.boss.getQueue(CRON_QUEUE)) return;
    await this.boss.createQueue(CRON_QUEUE, { retryLimit: 5, retryDelay: 1 }).catch(async (e: unknown) => {
      if (!(await this.boss.getQueue(CRON_QUEUE))) throw e;
    });
  }

  async #deployed(ref?: string): Promise<Deployed[]> {
    const [domain, name] = ref?.split('/') ?? [];
    return this.db.query<Deployed>(
      `SELECT s.domain, s.name, e.name AS environment, v.version, v.config->'triggers' AS triggers
         FROM environments e JOIN skills s ON s.id = e.skill_id JOIN skill_versions v ON v.id = e.version_id
        ${ref ? 'WHERE s.domain = $1 AND s.name = $2' : ''} ORDER BY s.domain, s.name, e.name`,
      ref ? [domain, name] : [],
    );
  }

  /** Makes the schedules those deployed: added, changed, and gone ones (a trigger removed, disabled, undeployed). */
  async sync(ref?: string): Promise<number> {
    const want = new Map<string, { cron: string; fire: CronFire; missed: 'skip' | 'once' }>();
    for (const d of await this.#deployed(ref)) {
      const r = `${d.domain}/${d.name}`;
      (d.triggers ?? []).forEach((t, position) => {
        if (t.type !== 'cron' || t.enabled === false || typeof t.schedule !== 'string') return;
        const timezone = typeof t.timezone === 'string' ? t.timezone : 'UTC';
        want.set(keyOf(r, d.environment, position), {
          cron: t.schedule,
          fire: { ref: r, environment: d.environment, position, schedule: t.schedule, timezone },
          missed: t.missed === 'run_once' ? 'once' : 'skip',
        });
      });
    }
    const have = (await this.boss.getSchedules(CRON_QUEUE)).filter((s) => !ref || s.key.startsWith(`${ref}/`));
    for (const s of have) if (!want.has(s.key)) await this.boss.unschedule(CRON_QUEUE, s.key);
    for (const [key, w] of want) {
      const same = have.find(
        (s) => s.key === key && s.cron === w.cron && s.timezone === w.fire.timezone && s.options?.missed === w.missed,
      );
      if (same) continue;
      await this.boss.schedule(CRON_QUEUE, w.cron, w.fire as unknown as object, {
        tz: w.fire.timezone,
        key,
        missed: w.missed,
      });
    }
    if (!this.#stopped) await this.#refresh();
    return want.size;
  }

  /** Arms this process's timers from the schedules (every process's, whoever wrote them). */
  async #refresh(): Promise<void> {
    if (this.o.timers === false) return;
    const rows = await this.boss.getSchedules(CRON_QUEUE);
    if (this.#stopped) return;
    this.#timers.set(
      rows
        .filter((r) => this.o.seconds || !hasSeconds(r.cron))
        .map((r) => ({ key: r.key, cron: r.cron, timezone: r.timezone ?? 'UTC', data: r.data as unknown as CronFire })),
    );
  }

  /** A slot is due: queue its execution now, keyed by the slot (the first process to claim it runs it). */
  #onSlot(s: TimedSchedule<CronFire>, slot: Date): void {
    const scheduledAt = slot.toISOString();
    const p = this.fire({ ...s.data, scheduledAt }, { idempotencyKey: slotKey(s.data, scheduledAt) })
      .catch((e: unknown) =>
        this.log.warn(
          { err: e, ref: s.data.ref, slot: scheduledAt },
          'a cron fire could not be queued at its time; the schedule retries it',
        ),
      )
      .finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  /** Arms the timers and takes fires (every process does; each slot is one execution). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const refresh = () => {
      if (this.#stopped) return;
      void this.#refresh()
        .catch((e: unknown) => this.log.warn({ err: e }, 'cron schedules could not be read; trying again'))
        .finally(() => {
          if (!this.#stopped) this.#refresher = setTimeout(refresh, REFRESH_MS).unref();
        });
    };
    refresh();
    const tick = () => {
      if (this.#stopped) return;
      this.#pumping = this.#pump()
        .catch((e: unknown) => this.log.warn({ err: e }, 'cron fires could not be taken; trying again'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, PUMP_MS);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#refresher);
    this.#timers.stop();
    await this.#pumping;
    await Promise.allSettled([...this.#inFlight]);
  }

  async #pump(): Promise<void> {
    for (;;) {
      const fires = await this.boss.fetch<CronFire>(CRON_QUEUE, { batchSize: 50, includeMetadata: true });
      if (!fires.length) return;
      for (const f of fires) {
        try {
          // Keyed by the scheduled time, not by pg-boss's job: should two fire jobs of one slot
          // exist (processes evaluating the schedule either side of a boundary, under load), the
          // second finds the first's execution.
          // The timers of some process have usually queued the slot already: this finds it.
          const slot = scheduledSlot(f.data, (f as { createdOn?: Date }).createdOn ?? new Date());
          await this.fire(
            { ...f.data, ...(slot ? { scheduledAt: slot } : {}) },
            { idempotencyKey: slot ? slotKey(f.data, slot) : f.id, firedAt: f.id },
          );
          await this.boss.complete(CRON_QUEUE, { id: f.id, retryCount: f.retryCount });
        } catch (e) {
          this.log.error({ err: e, ref: f.data.ref }, 'a cron fire could not be queued; it is retried');
          await this.boss.fail(CRON_QUEUE, { id: f.id, retryCount: f.retryCount }).catch(() => undefined);
        }
      }
    }
  }

  /** Queues one cron execution of a skill (a scheduled fire, or `aspora trigger fire` for testing). */
  async fire(
    f: Pick<CronFire, 'ref' | 'environment'> & Partial<CronFire>,
    o: { idempotencyKey?: string; firedAt?: string; caller?: string } = {},
  ): Promise<{ id: string; existing: boolean }> {
    return this.jobs.enqueue(
      {
        ref: f.ref,
        environment: f.environment,
        trigger: 'cron',
        caller: o.caller ?? 'cron',
        input: {
          userMessage: '',
          metadata: {
            trigger: 'cron',
            ...(f.schedule ? { schedule: f.schedule, timezone: f.timezone } : {}),
            ...(f.scheduledAt ? { scheduledAt: f.scheduledAt } : {}),
            firedAt: new Date().toISOString(),
          },
        },
      },
      o.idempotencyKey ? { idempotencyKey: `cron:${o.idempotencyKey}`, scope: 'cron' } : {},
    );
  }

  /** Every trigger of the deployed versions, with a cron trigger's next fire and last result. */
  async list(domain?: string): Promise<TriggerStatus[]> {
    const out: TriggerStatus[] = [];
    const deployed = (await this.#deployed()).filter((d) => !domain || d.domain === domain);
    const last = new Map(
      (
        await this.db.query<{
          ref: string;
          environment: string;
          id: string;
          at: Date;
          ok: boolean | null;
          status: string | null;
          done: boolean;
        }>(
          `SELECT DISTINCT ON (s.id, e.environment) s.domain || '/' || s.name AS ref, e.environment, e.id::text AS id,
                  e.started_at AS at, e.success AS ok, e.status, e.completed_at IS NOT NULL AS done
             FROM executions e JOIN skills s ON s.id = e.skill_id
            WHERE e.trigger_type = 'cron' AND e.variant IS DISTINCT FROM 'shadow' ${domain ? 'AND s.domain = $1' : ''}
            ORDER BY s.id, e.environment, e.started_at DESC`,
          domain ? [domain] : [],
        )
      ).map((r) => [
        `${r.ref}|${r.environment}`,
        {
          executionId: r.id,
          at: new Date(r.at).toISOString(),
          status:
            r.status === 'queued' || r.status === 'dead' ? r.status : r.done ? (r.ok ? 'done' : 'error') : 'running',
        },
      ]),
    );
    for (const d of deployed) {
      const ref = `${d.domain}/${d.name}`;
      (d.triggers ?? []).forEach((t, position) => {
        const cron = t.type === 'cron' && typeof t.schedule === 'string';
        const timezone = cron ? (typeof t.timezone === 'string' ? t.timezone : 'UTC') : null;
        const enabled = t.enabled !== false;
        out.push({
          ref,
          environment: d.environment,
          version: d.version,
          position,
          type: String(t.type),
          schedule: cron ? (t.schedule as string) : null,
          timezone,
          enabled,
          missed: cron ? (t.missed === 'run_once' ? 'run_once' : 'skip') : null,
          patterns: Array.isArray(t.patterns) ? (t.patterns as string[]).slice(0, 50) : [],
          channels: Array.isArray(t.channels) ? (t.channels as string[]).slice(0, 20) : [],
          nextFire: cron && enabled ? nextFire(t.schedule as string, timezone!) : null,
          lastResult: cron ? (last.get(`${ref}|${d.environment}`) ?? null) : null,
        });
      });
    }
    return out;
  }
}

/** A schedule's key: a skill's environment's trigger, by its position in the config. */
function keyOf(ref: string, environment: string, position: number): string {
  return `${ref}/${environment}/${position}`;
}

export function nextFire(schedule: string, timezone: string, from = new Date()): string | null {
  try {
    return new Cron(schedule, { timezone, paused: true }).nextRun(from)?.toISOString() ?? null;
  } catch {
    return null;
  }
}
