/**
 * A warning that is logged at most once per interval: a collector that is down fails every batch,
 * and one line a minute (with how many were suppressed) says as much as thousands would.
 */
import type { Logger } from '../logger.ts';

export class ThrottledWarning {
  #last = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(
    private readonly log: Pick<Logger, 'warn'>,
    private readonly msg: string,
    private readonly intervalMs = 60_000,
  ) {}

  warn(fields: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.#last < this.intervalMs) {
      this.#suppressed++;
      return;
    }
    this.#last = now;
    this.log.warn({ ...fields, ...(this.#suppressed ? { suppressed: this.#suppressed } : {}) }, this.msg);
    this.#suppressed = 0;
  }
}
