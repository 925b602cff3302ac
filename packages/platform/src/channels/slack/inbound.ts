/**
 * Slack deliveries as durable jobs (docs/slack.md "How it runs"): before a route acknowledges, the
 * verified request — what its work needs, already parsed and bounded — is a job of its own on the
 * job engine (pg-boss), inserted in one transaction with the delivery's claim in slack_deliveries.
 * So a process that dies after the ack loses nothing (another process takes the job), and one that
 * dies before it commits has acknowledged nothing (Slack retries, and the retry finds the id free).
 * The job's work — users.info, routing, the run queued — is retried with backoff when it fails (Slack
 * down, the database busy), in whichever process takes it. As jobs/replies.ts does for answers.
 */
import type { Job, PgBoss } from 'pg-boss';
import type { Db } from '../../db/index.ts';
import { BatchedEnds } from '../../jobs/batched-ends.ts';
import { dbAdapter } from '../../jobs/engine.ts';
import { JobLoop } from '../../jobs/job-loop.ts';
import type { InboundMessage } from '../../messages/handle.ts';
import type { Logger } from '../../observe/logger.ts';
import type { SlackDeliveries } from './deliveries.ts';

export const SLACK_INBOUND_QUEUE = 'aspora-slack-inbound';
/** Attempts in all of one delivery's work (the first and four retries, about 1, 2, 4, 8 s apart). */
export const INBOUND_ATTEMPTS = 5;

/** Where an answer goes: a response_url, or a channel (and thread). */
export type Reply =
  | { kind: 'response_url'; url: string; channel: string; user: string }
  | {
      kind: 'channel';
      channel: string;
      user: string;
      thread?: string | undefined;
      ts?: string | undefined;
      /** A plain channel message: no reply when no skill answers it. */
      quiet?: boolean;
    };

/**
 * A delivery's work, as its job carries it: only fields the route checked and bounded (ids, ts,
 * text cut at 4,000 characters). Never the signing secret or the bot token: the worker reads those
 * from the vault. The response_url is here as in the run's job (it is where the answer goes) and
 * nowhere recorded.
 */
export interface InboundWork {
  /** The Slack user who typed or pressed. */
  slackUser: string;
  message: Omit<InboundMessage, 'environment'>;
  reply: Reply;
  /** Why the skill runs, in the person's terms (a button press), instead of the router's reason. */
  reason?: string | undefined;
}

/** Does a delivery's work; a throw is a failed attempt (`last`: no retry follows it). */
export type InboundHandler = (work: InboundWork, o: { attempt: number; last: boolean }) => Promise<void>;

export class SlackInbound {
  #handler: InboundHandler | undefined;
  readonly #loop: JobLoop<InboundWork>;
  /** Over (done, or failed at the last attempt) is deleted: the job holds a message's text and its response_url. */
  readonly #ends = new BatchedEnds((attempts) => this.boss.deleteJob(SLACK_INBOUND_QUEUE, attempts));

  constructor(
    private readonly db: Db,
    private readonly boss: PgBoss,
    private readonly deliveries: SlackDeliveries,
    private readonly log: Logger,
  ) {
    this.#loop = new JobLoop(boss, SLACK_INBOUND_QUEUE, log, (job) => this.#attempt(job));
  }

  async init(): Promise<void> {
    if (await this.boss.getQueue(SLACK_INBOUND_QUEUE)) return;
    await this.boss
      .createQueue(SLACK_INBOUND_QUEUE, {
        retryLimit: INBOUND_ATTEMPTS - 1,
        retryDelay: 1,
        retryBackoff: true,
        retryDelayMax: 30,
        // An attempt is a few Slack calls (10 s timeout each, the SDK's two retries): one active this
        // long died with its process, and is retried.
        expireInSeconds: 60,
        // A delivery no process took within a day is not worth answering any more.
        retentionSeconds: 86_400,
      })
      .catch(async (e: unknown) => {
        if (!(await this.boss.getQueue(SLACK_INBOUND_QUEUE))) throw e;
      });
  }

  /**
   * Takes a delivery: its claim (`key`: `event:<event_id>`, `trigger:<trigger_id>`) and its job in
   * one transaction. False: the key was claimed before (Slack's redelivery, any process) and
   * nothing is queued. Without a key (a command without trigger_id) the job is queued as is.
   */
  async accept(key: string | undefined, work: InboundWork): Promise<boolean> {
    const queued = await this.db.transaction(async (tx) => {
      if (key && !(await this.deliveries.first(key, tx))) return false;
      await this.boss.insert(SLACK_INBOUND_QUEUE, [{ data: work }], { db: dbAdapter(tx) });
      return true;
    });
    if (queued) this.#loop.wake();
    return queued;
  }

  /** Starts taking deliveries in this process (every process sharing the database may). */
  start(handler: InboundHandler, o: { pollMs: number; concurrency?: number }): void {
    this.#handler = handler;
    this.#loop.start(o);
  }

  /** Stops taking deliveries; waits for the attempts in flight. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  async #attempt(job: Job<InboundWork>): Promise<void> {
    const handler = this.#handler;
    if (!handler) return;
    const attempt = job.retryCount + 1;
    const last = attempt >= INBOUND_ATTEMPTS;
    const fence = { id: job.id, retryCount: job.retryCount };
    try {
      await handler(job.data, { attempt, last });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      const log = { job: job.id, slackUser: job.data.slackUser, attempt, error: error.slice(0, 500) };
      if (!last) {
        this.log.warn(log, 'slack: a delivery failed; retrying');
        await this.boss.fail(SLACK_INBOUND_QUEUE, fence, { error: error.slice(0, 1000) });
        return;
      }
      this.log.error(log, 'slack: a delivery failed at its last attempt; dropped');
    }
    await this.#ends.end(fence);
  }
}
