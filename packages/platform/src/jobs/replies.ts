/**
 * Results sent back where the work came from (issue 16 part 7), durably: when a queued execution
 * is over (done, or failed for good), its reply — a webhook's callback, a Slack answer — becomes a
 * job of its own on the job engine (pg-boss), retried with backoff in whichever process takes it,
 * so a process that dies after the run does not lose the answer. One row per execution in
 * result_deliveries (migration 024), inserted with the job in one transaction: the first insert
 * wins, so a retried execution job or a second process never sends an answer twice, and the row
 * records how the delivery went (pending, delivered, failed; attempts, last status, last error).
 */
import type { PgBoss, Job } from 'pg-boss';
import type { Db } from '../db/index.ts';
import type { ExecutionRecord } from '../observe/executions.ts';
import { getExecution } from '../observe/executions.ts';
import type { Logger } from '../observe/logger.ts';
import { BatchedEnds } from './batched-ends.ts';
import { dbAdapter } from './engine.ts';
import { JobLoop } from './job-loop.ts';

export const REPLIES_QUEUE = 'aspora-replies';
/** Attempts in all of one reply (the first and four retries: 1 s, 2 s, 4 s, 8 s apart). */
export const REPLY_ATTEMPTS = 5;

/** Where a result goes: what the queued run carries (jobs/queue.ts QueuedRun.reply). Never a secret, a name at most. */
export type ReplyTarget = { kind: string } & Record<string, unknown>;

export interface ReplyJob {
  executionId: string;
  target: ReplyTarget;
}

/** One attempt at sending: delivered, or why not and whether another attempt may do better. */
export type Delivery = { ok: true; status?: number } | { ok: false; status?: number; error: string; retry: boolean };

/** Sends one kind of reply (the execution as the API shows it, the target, which attempt this is). */
export type Deliverer = (execution: ExecutionRecord, target: ReplyTarget, attempt: number) => Promise<Delivery>;

export interface DeliveryRecord {
  kind: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  error: string | null;
}

export class Replies {
  readonly #deliverers = new Map<string, Deliverer>();
  readonly #recorded = new Map<string, (t: ReplyTarget) => unknown>();
  readonly #ends = new BatchedEnds((attempts) => this.boss.complete(REPLIES_QUEUE, attempts));
  readonly #loop: JobLoop<ReplyJob>;

  constructor(
    private readonly db: Db,
    private readonly boss: PgBoss,
    private readonly log: Logger,
  ) {
    this.#loop = new JobLoop(boss, REPLIES_QUEUE, log, (job) => this.#attempt(job));
  }

  async init(): Promise<void> {
    if (await this.boss.getQueue(REPLIES_QUEUE)) return;
    await this.boss
      .createQueue(REPLIES_QUEUE, {
        retryLimit: REPLY_ATTEMPTS - 1,
        retryDelay: 1,
        retryBackoff: true,
        retryDelayMax: 60,
        expireInSeconds: 120,
        retentionSeconds: 7 * 86_400,
      })
      .catch(async (e: unknown) => {
        if (!(await this.boss.getQueue(REPLIES_QUEUE))) throw e;
      });
  }

  /**
   * Who sends a kind of reply (callback, slack). A target of a kind nobody sends fails, recorded.
   * `recorded`: what result_deliveries keeps of a target, when part of it is a credential the job
   * alone needs (a Slack response_url).
   */
  register(kind: string, deliver: Deliverer, recorded?: (t: ReplyTarget) => unknown): void {
    this.#deliverers.set(kind, deliver);
    if (recorded) this.#recorded.set(kind, recorded);
  }

  /**
   * Queues the reply of a finished execution: its row and its job in one transaction. A second
   * call for the same execution (a retried job, another process) finds the row and queues nothing.
   */
  async queue(executionId: string, target: ReplyTarget): Promise<boolean> {
    const queued = await this.db.transaction(async (tx) => {
      const rows = await tx.query(
        `INSERT INTO result_deliveries (execution_id, kind, target) VALUES ($1, $2, $3::jsonb)
         ON CONFLICT (execution_id) DO NOTHING RETURNING execution_id`,
        [executionId, target.kind, JSON.stringify(this.#recorded.get(target.kind)?.(target) ?? target)],
      );
      if (!rows.length) return false;
      await this.boss.insert(REPLIES_QUEUE, [{ data: { executionId, target } satisfies ReplyJob }], {
        db: dbAdapter(tx),
      });
      return true;
    });
    if (queued) this.#loop.wake();
    return queued;
  }

  /** How an execution's reply went, if it has one. */
  async record(executionId: string): Promise<DeliveryRecord | null> {
    const [r] = await this.db.query<Record<string, any>>(
      'SELECT kind, status, attempts, last_status, last_error FROM result_deliveries WHERE execution_id = $1',
      [executionId],
    );
    return r
      ? { kind: r.kind, status: r.status, attempts: r.attempts, lastStatus: r.last_status, error: r.last_error }
      : null;
  }

  /** Starts sending replies from this process (every process sharing the database may). */
  start(o: { pollMs: number; concurrency?: number }): void {
    this.#loop.start(o);
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Completions gathered while one is in flight go together (one statement for many replies). */
  #complete(job: Job<ReplyJob>): Promise<void> {
    return this.#ends.end({ id: job.id, retryCount: job.retryCount });
  }

  async #attempt(job: Job<ReplyJob>): Promise<void> {
    const { executionId, target } = job.data;
    const attempt = job.retryCount + 1;
    let d: Delivery;
    try {
      const deliver = this.#deliverers.get(target.kind);
      const execution = await getExecution(this.db, executionId);
      d = !deliver
        ? { ok: false, error: `no sender of ${target.kind} replies in this process`, retry: true }
        : !execution
          ? { ok: false, error: 'the execution is gone', retry: false }
          : await deliver(execution, target, attempt);
    } catch (e) {
      d = { ok: false, error: e instanceof Error ? e.message : String(e), retry: true };
    }
    const last = !d.ok && (!d.retry || attempt >= REPLY_ATTEMPTS);
    await this.db.query(
      `UPDATE result_deliveries SET status = $2, attempts = $3, last_status = $4, last_error = $5, updated_at = now()
        WHERE execution_id = $1`,
      [
        executionId,
        d.ok ? 'delivered' : last ? 'failed' : 'pending',
        attempt,
        d.status ?? null,
        d.ok ? null : d.error.slice(0, 1000),
      ],
    );
    const log = { execution: executionId, kind: target.kind, attempt, status: d.status };
    if (d.ok) {
      this.log.info(log, 'reply delivered');
      await this.#complete(job);
    } else if (last) {
      this.log.warn({ ...log, error: d.error }, 'reply failed for good');
      // Completed, not failed: pg-boss would retry a failure its retryLimit still allows.
      await this.boss.complete(REPLIES_QUEUE, { id: job.id, retryCount: job.retryCount }, { failed: d.error });
    } else {
      this.log.info({ ...log, error: d.error }, 'reply failed; retrying');
      await this.boss.fail(REPLIES_QUEUE, { id: job.id, retryCount: job.retryCount }, { error: d.error });
    }
  }
}
