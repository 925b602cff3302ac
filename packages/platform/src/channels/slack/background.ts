/**
 * Work Slack must not wait for: it wants an answer within 3 seconds, so the route acknowledges and
 * the work that decides what to run (users.info, routing) happens here, in this process, after the
 * answer. The run itself goes onto the durable job queue and its answer comes back through the
 * reply queue (channel.ts `deliver`), in whichever process takes them; only this short step is lost
 * with a process that dies inside it (its event id is taken, so Slack's retry does not repeat it).
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
