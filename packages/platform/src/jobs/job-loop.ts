/**
 * A queue's worker loop in one process: up to `concurrency` jobs in flight, each slot refilled as it
 * frees, so a slow job (a receiver's deadline, a Slack call) holds its own slot and not the others'.
 * Between empty polls it sleeps `pollMs`, or less when `wake()` says work was just queued here.
 * Shared by the reply and Slack-inbound queues; the runs have their own (jobs/queue.ts).
 */
import type { Job, PgBoss } from 'pg-boss';
import type { Logger } from '../observe/logger.ts';

export class JobLoop<T extends object> {
  #stopped = true;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(
    private readonly boss: PgBoss,
    private readonly queue: string,
    private readonly log: Logger,
    /** One attempt at a job; a throw is logged (the attempt settles its job itself). */
    private readonly attempt: (job: Job<T>) => Promise<void>,
  ) {}

  start(o: { pollMs: number; concurrency?: number }): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run(o.pollMs, o.concurrency ?? 8);
  }

  /** Stops taking jobs; waits for the attempts in flight. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  /** Work was queued by this process: poll now rather than at the next tick. */
  wake(): void {
    this.#wake?.();
  }

  async #run(pollMs: number, concurrency: number): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (!this.#stopped) {
      const free = concurrency - inFlight.size;
      let got = 0;
      if (free > 0) {
        try {
          const jobs = await this.boss.fetch<T>(this.queue, { batchSize: free });
          got = jobs.length;
          for (const j of jobs) {
            const p: Promise<void> = this.attempt(j)
              .catch((e: unknown) =>
                this.log.error({ err: e, queue: this.queue, job: j.id }, 'a job could not be settled'),
              )
              .finally(() => {
                inFlight.delete(p);
                this.#wake?.();
              });
            inFlight.add(p);
          }
        } catch (e) {
          if (this.#stopped) break;
          this.log.warn({ err: e, queue: this.queue }, 'the job engine could not be read; trying again');
        }
      }
      if (got > 0 && got === free) continue;
      await new Promise<void>((r) => {
        const t = setTimeout(r, pollMs);
        this.#wake = () => (clearTimeout(t), r());
      });
      this.#wake = undefined;
    }
    await Promise.allSettled([...inFlight]);
  }
}
