/**
 * Work Slack must not wait for: it wants an answer within 3 seconds, so the route acknowledges and
 * the work (users.info, routing, the run, the post) happens here, in this process. This is the one
 * place to move onto the durable job queue (jobs/queue.ts, JobQueue.enqueue(run, { idempotencyKey:
 * the event id, scope: 'slack' })): that needs the queued run to carry `source` and where to answer
 * (channel, thread, response_url), and a hook when the job completes that posts the answer. Until
 * then a process that dies mid-run loses that run (its event id is taken, so Slack's retry does not
 * repeat it).
 */
import type { Logger } from '../../observe/logger.ts';

export class Background {
  readonly #pending = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  /** Runs `work` after the answer is sent; a failure is logged under `what` (it has no caller to reach). */
  run(what: string, work: () => Promise<void>): void {
    const p = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((e: unknown) => this.log.error({ err: e, what }, 'slack: background work failed'))
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Resolves when everything started so far has finished (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.#pending.size) await Promise.all([...this.#pending]);
  }
}
