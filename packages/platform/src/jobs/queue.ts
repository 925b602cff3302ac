/**
 * Executions from a durable queue (decision 014). `enqueue` writes the execution's row as
 * 'queued' and its job in one transaction; workers in any platform process take jobs, mark the row
 * 'running' with the attempt, run it, and complete or fail the job. pg-boss keeps the job through
 * restarts, retries a failed or stalled attempt with backoff, moves a job whose attempts are spent
 * to the dead-letter queue (the row says 'dead'), and holds each skill to its max_concurrency across
 * processes (a job group per skill).
 */
import { randomUUID } from 'node:crypto';
import type { PgBoss, Job, JobInsert } from 'pg-boss';
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/index.ts';
import type { Logger } from '../observe/logger.ts';
import type { ExecutionUser } from '../runtime/end-user.ts';
import { BatchedEnds } from './batched-ends.ts';
import { dbAdapter } from './engine.ts';
import type { ReplyTarget } from './replies.ts';
import { IdempotencyKeys, type IdempotencyOptions } from './idempotency.ts';

export const EXECUTIONS_QUEUE = 'aspora-executions';
export const DEAD_QUEUE = 'aspora-executions-dead';
/** max_concurrency's bound (the SDK's schema): a tier per limit, `c<n>` allows n at once. */
const MAX_CONCURRENCY = 100;
const TIERS = Object.fromEntries(Array.from({ length: MAX_CONCURRENCY }, (_, i) => [`c${i + 1}`, i + 1]));
/** An attempt not heard from (heartbeat) for this long is taken to have died with its process. */
const HEARTBEAT_SECONDS = 10;
export const MAX_ATTEMPTS = 10;
const TARGET_TTL_MS = 1000;

interface Item {
  id: string;
  run: QueuedRun;
  o: EnqueueOptions;
  maxAttempts: number;
  target: Target;
}

interface Target {
  skillId: string;
  versionId: string;
  timeoutMs: number;
  maxConcurrency: number | undefined;
}

/** What a queued execution runs: the run request, as the job carries it. */
export interface QueuedRun {
  ref: string;
  input: Record<string, unknown>;
  environment?: 'staging' | 'production';
  version?: string;
  trigger: string;
  user?: ExecutionUser | undefined;
  caller?: string;
  workflowId?: string;
  /** Where the work came from (its event id, its channel), recorded on the execution. */
  source?: { eventId?: string | undefined; channel?: string | undefined };
  /** Where the result goes once the execution is over (jobs/replies.ts): a callback URL, a Slack answer. */
  reply?: ReplyTarget;
}

export interface JobData extends QueuedRun {
  executionId: string;
  maxAttempts: number;
}

export interface EnqueueOptions {
  /** With `scope`: a repeated key answers the first execution instead of queueing another. */
  idempotencyKey?: string | undefined;
  /** Whose keys these are (the caller): one caller's key never answers another's request. */
  scope?: string;
  /** Attempts in all (1: no retry). Default 3. */
  maxAttempts?: number;
  /** Seconds before the first retry; doubled each attempt when exponential (the default). */
  backoff?: { delaySeconds: number; exponential?: boolean };
}

export interface Enqueued {
  id: string;
  /** True when an earlier request with the same idempotency key made it. */
  existing: boolean;
}

/** What a worker's attempt came to: done (complete the job), or failed (retry, or dead at the last). */
export type Attempt =
  | { ok: true }
  /** `final`: the request cannot run at all (the skill is gone or paused, the input is bad): no retry. */
  | { ok: false; error: { code: string; message: string }; final?: boolean };
export type Handler = (job: JobData, attempt: number) => Promise<Attempt>;

export interface QueuedExecution {
  id: string;
  ref: string;
  status: 'queued' | 'running' | 'dead';
  trigger: string | null;
  attempts: number;
  maxAttempts: number | null;
  queuedAt: string;
  error: { code: string; message: string } | null;
}

export interface WorkerOptions {
  /** Executions this process runs at once. */
  concurrency: number;
  /** How often an idle worker looks for jobs others enqueued (local enqueues wake it at once). */
  pollMs: number;
  /**
   * An execution is over (done, refused, or dead after its last attempt): its row says so. Called
   * before its job completes — and again for a job whose execution was already over when it was
   * taken (its end lost with a process) — so what follows a run (its reply, jobs/replies.ts) is
   * never lost; it must be idempotent. Its failure is logged, never the run's.
   */
  done?: (job: JobData) => Promise<void>;
}

export class JobQueue {
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** A wake that came while the loop was fetching: it fetches again instead of waiting the poll. */
  #poked = false;
  readonly #active = new Map<string, Job<JobData>>();
  #beat: NodeJS.Timeout | undefined;
  #lastDeadSweep = 0;
  readonly #ends = new BatchedEnds((attempts) => this.boss.deleteJob(EXECUTIONS_QUEUE, attempts));
  #pending: { item: Item; resolve: (id: string) => void; reject: (e: unknown) => void }[] = [];
  #writing = false;
  /** ref|target → the skill's resolution, for a second (a deploy shows within it). */
  readonly #targets = new Map<string, { at: number; value: Promise<Target> }>();

  /** Idempotency keys, with their retention and prune. */
  readonly keys: IdempotencyKeys;

  constructor(
    readonly db: Db,
    readonly boss: PgBoss,
    private readonly log: Logger,
    o: { idempotency?: IdempotencyOptions } = {},
  ) {
    this.keys = new IdempotencyKeys(db, o.idempotency);
  }

  /** Makes the queues (idempotent; concurrent starters race harmlessly). */
  async init(): Promise<void> {
    for (const [name, opts] of [
      [DEAD_QUEUE, { retentionSeconds: 14 * 86_400 }],
      [EXECUTIONS_QUEUE, { deadLetter: DEAD_QUEUE, heartbeatSeconds: HEARTBEAT_SECONDS }],
    ] as const) {
      if (await this.boss.getQueue(name)) continue;
      await this.boss.createQueue(name, opts).catch(async (e: unknown) => {
        if (!(await this.boss.getQueue(name))) throw e;
      });
    }
  }

  /**
   * Queues one execution: its row ('queued') and its job in one transaction. Resolves the skill
   * and version now (an unknown skill or an empty environment is refused here, not later).
   */
  async enqueue(run: QueuedRun, o: EnqueueOptions = {}): Promise<Enqueued> {
    const maxAttempts = o.maxAttempts ?? 3;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS)
      throw new AsporaError('BAD_REQUEST', `maxAttempts must be a whole number from 1 to ${MAX_ATTEMPTS}`);
    const item: Item = { id: randomUUID(), run, o, maxAttempts, target: await this.#cachedTarget(run) };
    if (o.idempotencyKey === undefined) return { id: await this.#gather(item), existing: false };
    const out = await this.db.transaction(async (tx) => {
      const first = await this.keys.claim(tx, o.scope ?? '', o.idempotencyKey!, item.id);
      if (first !== item.id) return { id: first, existing: true };
      await this.#write(tx, [item]);
      return { id: item.id, existing: false };
    });
    if (!out.existing) this.#poke();
    return out;
  }

  /**
   * Group commit (as the execution recorder's, decision 006): enqueues that arrive while a write
   * is in flight go together in the next transaction. A batch that fails is written item by item,
   * so one bad item fails only its own caller.
   */
  #gather(item: Item): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#writing) void this.#flushPending();
    });
  }

  async #flushPending(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#pending.length) {
        const batch = this.#pending.splice(0, 500);
        try {
          await this.db.transaction((tx) =>
            this.#write(
              tx,
              batch.map((b) => b.item),
            ),
          );
          for (const b of batch) b.resolve(b.item.id);
        } catch (e) {
          if (batch.length === 1) batch[0]!.reject(e);
          else
            for (const b of batch)
              await this.db.transaction((tx) => this.#write(tx, [b.item])).then(() => b.resolve(b.item.id), b.reject);
        }
        this.#poke();
      }
    } finally {
      this.#writing = false;
    }
  }

  /** The rows ('queued') and their jobs: two statements for any number of executions. */
  async #write(tx: Db, items: Item[]): Promise<void> {
    const rows = items.map(({ id, run, target, maxAttempts }) => ({
      id,
      skill_id: target.skillId,
      version_id: target.versionId,
      environment: run.version ? null : (run.environment ?? 'production'),
      trigger_type: run.trigger,
      user_id: run.user?.email ?? null,
      caller: run.caller ?? null,
      source_event_id: run.source?.eventId?.slice(0, 200) ?? null,
      channel: run.source?.channel?.slice(0, 200) ?? null,
      workflow_id: run.workflowId ?? null,
      // Not the input as sent: the job carries it (the handler needs it whole); the record gets it
      // redacted when the first attempt runs (decision 014, "Where a queued input lives").
      input: null,
      max_attempts: maxAttempts,
    }));
    await tx.query(
      `INSERT INTO executions (id, skill_id, version_id, environment, trigger_type, user_id, caller, source_event_id, channel,
         workflow_id, input, status, max_attempts)
       SELECT id, skill_id, version_id, environment, trigger_type, user_id, caller, source_event_id, channel, workflow_id, input,
         'queued', max_attempts
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, skill_id uuid, version_id uuid, environment text, trigger_type text,
           user_id text, caller text, source_event_id text, channel text, workflow_id text, input jsonb, max_attempts int)`,
      [JSON.stringify(rows)],
    );
    const jobs: JobInsert[] = items.map(({ id, run, o, target, maxAttempts }) => {
      const exponential = o.backoff?.exponential ?? true;
      return {
        id,
        data: { ...run, executionId: id, maxAttempts } satisfies JobData,
        retryLimit: maxAttempts - 1,
        retryDelay: o.backoff?.delaySeconds ?? 1,
        retryBackoff: exponential,
        ...(exponential ? { retryDelayMax: 300 } : {}),
        // A run longer than its skill's timeout is stuck; a little over it, pg-boss fails it for a retry.
        expireInSeconds: Math.ceil(target.timeoutMs / 1000) + 60,
        ...(target.maxConcurrency ? { group: { id: run.ref, tier: `c${target.maxConcurrency}` } } : {}),
      };
    });
    await this.boss.insert(EXECUTIONS_QUEUE, jobs, { db: dbAdapter(tx) });
  }

  /**
   * For a synchronous run with an Idempotency-Key: the id the key already names, or `id` now
   * reserved for this run.
   */
  async reserve(scope: string, key: string, id: string): Promise<string> {
    return this.keys.claim(this.db, scope, key, id);
  }

  /** Frees a key whose run was refused before it had a record. */
  async release(scope: string, key: string, id: string): Promise<void> {
    await this.keys.release(scope, key, id);
  }

  #cachedTarget(run: QueuedRun): Promise<Target> {
    const key = `${run.ref}|${run.version ?? ''}|${run.environment ?? ''}`;
    const hit = this.#targets.get(key);
    if (hit && Date.now() - hit.at < TARGET_TTL_MS) return hit.value;
    if (this.#targets.size > 1000) this.#targets.clear();
    const value = this.#target(run);
    this.#targets.set(key, { at: Date.now(), value });
    value.catch(() => this.#targets.delete(key));
    return value;
  }

  async #target(run: QueuedRun): Promise<Target> {
    const [domain, name] = run.ref.split('/');
    const rows = await this.db.query<{
      skill_id: string;
      version_id: string | null;
      timeout_ms: number | null;
      max_c: string | null;
    }>(
      `SELECT s.id AS skill_id, v.id AS version_id, v.timeout_ms, v.config->'runtime'->>'max_concurrency' AS max_c
         FROM skills s
         LEFT JOIN environments e ON e.skill_id = s.id AND e.name = $3
         LEFT JOIN skill_versions v ON v.skill_id = s.id AND v.id = CASE WHEN $4::text IS NULL THEN e.version_id
           ELSE (SELECT id FROM skill_versions WHERE skill_id = s.id AND version = $4) END
        WHERE s.domain = $1 AND s.name = $2`,
      [domain, name, run.environment ?? 'production', run.version ?? null],
    );
    const r = rows[0];
    if (!r) throw new AsporaError('SKILL_NOT_FOUND', `no skill ${run.ref}`, { hint: 'aspora list' });
    if (!r.version_id)
      throw run.version
        ? new AsporaError('VERSION_NOT_FOUND', `${run.ref} has no version ${run.version}`, {
            hint: `aspora show ${run.ref}`,
          })
        : new AsporaError(
            'ENVIRONMENT_EMPTY',
            `nothing of ${run.ref} is deployed to ${run.environment ?? 'production'}`,
            { hint: `aspora deploy ${run.ref} --env ${run.environment ?? 'production'}` },
          );
    const c = r.max_c === null ? undefined : Number(r.max_c);
    return {
      skillId: r.skill_id,
      versionId: r.version_id,
      timeoutMs: Number(r.timeout_ms ?? 30_000),
      maxConcurrency: c && Number.isInteger(c) ? Math.min(Math.max(c, 1), MAX_CONCURRENCY) : undefined,
    };
  }

  /** Starts taking jobs in this process. */
  start(handler: Handler, o: WorkerOptions): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run(handler, o);
    // Each attempt in flight says it is alive; one whose process died stops saying so and is retried.
    this.#beat = setInterval(
      () => {
        const jobs = [...this.#active.values()];
        if (jobs.length)
          void this.boss
            .touch(
              EXECUTIONS_QUEUE,
              jobs.map((j) => ({ id: j.id, retryCount: j.retryCount })),
            )
            .catch((e: unknown) => this.log.warn({ err: e }, 'job heartbeat failed'));
      },
      (HEARTBEAT_SECONDS * 1000) / 3,
    );
    this.#beat.unref();
  }

  /** Stops taking jobs and waits for the attempts in flight (they complete or fail as usual). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#beat);
    this.#poke();
    await this.#loop;
  }

  /** Stops the engine: workers, then pg-boss (its pool on PostgreSQL). */
  async close(): Promise<void> {
    await this.stop();
    await this.boss.stop({ graceful: false, close: true, timeout: 1000 }).catch(() => undefined);
  }

  /** Wakes the worker loop: at once when it waits, after its fetch when it is fetching. */
  #poke(): void {
    this.#poked = true;
    this.#wake?.();
  }

  get running(): number {
    return this.#active.size;
  }

  async #run(handler: Handler, o: WorkerOptions): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (!this.#stopped) {
      this.#poked = false;
      const free = o.concurrency - this.#active.size;
      let got = 0;
      if (free > 0) {
        try {
          const jobs = await this.boss.fetch<JobData>(EXECUTIONS_QUEUE, {
            batchSize: free,
            groupConcurrency: { default: MAX_CONCURRENCY, tiers: TIERS },
          });
          got = jobs.length;
          const runnable = await this.#markRunning(jobs);
          for (const job of jobs) {
            if (!runnable.has(job.id)) {
              void this.#done(o, job.data)
                .then(() => this.#complete(job))
                .catch((e: unknown) =>
                  this.log.warn({ err: e, execution: job.id }, 'a finished job could not be completed'),
                );
              continue;
            }
            this.#active.set(job.id, job);
            const p = this.#attempt(handler, job, o).finally(() => {
              this.#active.delete(job.id);
              inFlight.delete(p);
              this.#poke();
            });
            inFlight.add(p);
          }
          if (Date.now() - this.#lastDeadSweep > 1000) await this.#sweepDead(o);
        } catch (e) {
          if (this.#stopped) break;
          this.log.warn({ err: e }, 'the job engine could not be read; trying again');
        }
      }
      // A full batch: there may be more at once. An empty one while a local enqueue committed (a cron
      // fire at its slot): fetch again, not after the poll. Otherwise wait for a wake (a local
      // enqueue, a finished job) or the poll — under a burst wakes come often enough, and fetching
      // on every one would crowd PGlite's one connection.
      if ((got > 0 && got === free) || (got === 0 && this.#poked)) continue;
      await new Promise<void>((r) => {
        const t = setTimeout(r, o.pollMs);
        this.#wake = () => (clearTimeout(t), r());
      });
      this.#wake = undefined;
    }
    await Promise.allSettled([...inFlight]);
  }

  /**
   * One statement marks a batch's attempts 'running', except executions that need none: never
   * twice to completion (a retry of an attempt that had finished, its ack lost), and a dead one
   * stays dead. Resolves to the ids to run.
   */
  async #markRunning(jobs: Job<JobData>[]): Promise<Set<string>> {
    if (!jobs.length) return new Set();
    const rows = await this.db.query<{ id: string }>(
      `UPDATE executions e SET status = 'running', attempts = x.attempt, completed_at = NULL, success = NULL,
         error_code = NULL, error_message = NULL
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, attempt int)
        WHERE e.id = x.id AND e.status IS DISTINCT FROM 'dead'
          AND NOT (e.completed_at IS NOT NULL AND e.success AND e.status IS DISTINCT FROM 'queued')
        RETURNING e.id::text AS id`,
      [JSON.stringify(jobs.map((j) => ({ id: j.data.executionId, attempt: j.retryCount + 1 })))],
    );
    const run = new Set(rows.map((r) => r.id));
    return new Set(jobs.filter((j) => run.has(j.data.executionId)).map((j) => j.id));
  }

  async #done(o: WorkerOptions, d: JobData): Promise<void> {
    await o
      .done?.(d)
      .catch((e: unknown) =>
        this.log.error({ err: e, execution: d.executionId }, 'what follows an execution (its reply) failed'),
      );
  }

  async #attempt(handler: Handler, job: Job<JobData>, o: WorkerOptions): Promise<void> {
    const d = job.data;
    const attempt = job.retryCount + 1;
    let outcome: Attempt;
    try {
      outcome = await handler(d, attempt);
    } catch (e) {
      outcome = { ok: false, error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } };
    }
    try {
      if (outcome.ok) {
        await this.#done(o, d);
        await this.#complete(job);
        return;
      }
      const last = attempt >= d.maxAttempts;
      // The attempt's error, unless its record (the runtime's) says more already. A final refusal
      // is an error, not a death: nothing was tried.
      await this.db.query(
        `UPDATE executions SET status = $2, success = false, completed_at = COALESCE(completed_at, now()),
           error_code = COALESCE(error_code, $3), error_message = COALESCE(error_message, $4) WHERE id = $1`,
        [
          d.executionId,
          outcome.final ? null : last ? 'dead' : 'queued',
          outcome.error.code,
          outcome.error.message.slice(0, 2000),
        ],
      );
      if (outcome.final || last) await this.#done(o, d);
      if (outcome.final) await this.#complete(job);
      else await this.boss.fail(EXECUTIONS_QUEUE, { id: job.id, retryCount: job.retryCount }, outcome.error);
    } catch (e) {
      // The job stays active; the supervisor retries it once its heartbeat stops.
      this.log.error({ err: e, execution: d.executionId }, 'an attempt could not be settled in the job engine');
    }
  }

  /**
   * Completing is deleting (fenced: this attempt's, while active): a finished job's data is the
   * input as sent, and the execution's row is the record (decision 014). Batched (batched-ends.ts).
   */
  #complete(job: Job<JobData>): Promise<void> {
    return this.#ends.end({ id: job.id, retryCount: job.retryCount });
  }

  /**
   * Jobs pg-boss moved to the dead-letter queue: their rows say 'dead' (an attempt lost with its
   * process is only found there: no worker of ours saw it fail).
   */
  async #sweepDead(o: WorkerOptions): Promise<void> {
    this.#lastDeadSweep = Date.now();
    const jobs = await this.boss.fetch<JobData>(DEAD_QUEUE, { batchSize: 100 });
    if (!jobs.length) return;
    await this.db.query(
      `UPDATE executions SET status = 'dead', success = COALESCE(success, false),
         completed_at = COALESCE(completed_at, now()),
         error_code = COALESCE(error_code, 'WORKER_CRASHED'),
         error_message = COALESCE(error_message, 'its last attempt stopped with its process')
       WHERE id = ANY($1::uuid[])`,
      [jobs.map((j) => j.data.executionId)],
    );
    // Over for good: what follows (its reply: "failed") still happens (idempotent, as for any end).
    for (const j of jobs) await this.#done(o, j.data);
    // Both copies of a dead job's input: the dead-letter one and the failed original.
    await this.boss.deleteJob(
      DEAD_QUEUE,
      jobs.map((j) => j.id),
    );
    await this.boss.deleteJob(
      EXECUTIONS_QUEUE,
      jobs.map((j) => j.data.executionId),
    );
  }

  /** What waits ('queued', with retries waiting for their backoff) or failed for good ('dead'), newest first. */
  async list(status: 'queued' | 'dead', limit = 50): Promise<QueuedExecution[]> {
    const rows = await this.db.query<Record<string, any>>(
      `SELECT e.id, s.domain, s.name, e.status, e.trigger_type, e.attempts, e.max_attempts, e.started_at, e.error_code, e.error_message
         FROM executions e JOIN skills s ON s.id = e.skill_id
        WHERE e.status = $1 ORDER BY e.started_at DESC LIMIT $2`,
      [status, Math.min(Math.max(limit, 1), 500)],
    );
    return rows.map((r) => ({
      id: r.id,
      ref: `${r.domain}/${r.name}`,
      status: r.status,
      trigger: r.trigger_type,
      attempts: r.attempts,
      maxAttempts: r.max_attempts,
      queuedAt: new Date(r.started_at).toISOString(),
      error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    }));
  }
}
