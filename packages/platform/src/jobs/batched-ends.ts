/**
 * Ends of job attempts gathered while one statement is in flight and sent together (one statement
 * for up to 500 attempts): under load a queue's throughput is this statement's rate. Each caller
 * waits for its own attempt's statement, and sees its error.
 */
export interface Attempt {
  id: string;
  retryCount: number;
}

const BATCH = 500;

export class BatchedEnds {
  readonly #waiting: { attempt: Attempt; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #flushing = false;

  /** `send` ends a batch of attempts (pg-boss complete, or deleteJob fenced by the attempt). */
  constructor(private readonly send: (attempts: Attempt[]) => Promise<unknown>) {}

  end(attempt: Attempt): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ attempt, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#waiting.length) {
        const batch = this.#waiting.splice(0, BATCH);
        try {
          await this.send(batch.map((b) => b.attempt));
          for (const b of batch) b.resolve();
        } catch (e) {
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }
}
