/**
 * One call's deadline: one timer, cleared when the call ends, and callbacks for when it passes.
 * The AbortSignal that fetch-style APIs want is made only when something asks for it: making one
 * per request (an EventTarget, plus the listener each consumer adds) cost ~3 % of the gateway's
 * CPU, and a non-streamed completion needs none (transport.ts aborts undici directly). Node 20's
 * AbortSignal.timeout is avoided too: it keeps each signal alive until a full GC.
 */
export interface Expiring {
  readonly expired: boolean;
  /** Calls `fn` once the deadline passes (at once if it has); the returned function cancels that. */
  onExpire(fn: () => void): () => void;
}

export class Deadline implements Expiring {
  readonly at: number;
  readonly #timer: NodeJS.Timeout;
  #expired = false;
  #listeners: Array<() => void> | undefined;
  #ctl: AbortController | undefined;

  constructor(ms: number) {
    this.at = Date.now() + ms;
    this.#timer = setTimeout(() => this.#expire(), ms);
    this.#timer.unref();
  }

  get expired(): boolean {
    return this.#expired;
  }

  onExpire(fn: () => void): () => void {
    if (this.#expired) {
      fn();
      return () => undefined;
    }
    (this.#listeners ??= []).push(fn);
    return () => {
      const i = this.#listeners?.indexOf(fn) ?? -1;
      if (i !== -1) this.#listeners!.splice(i, 1);
    };
  }

  /** Aborted when the deadline passes. */
  get signal(): AbortSignal {
    if (!this.#ctl) {
      this.#ctl = new AbortController();
      if (this.#expired) this.#ctl.abort(timeoutReason());
    }
    return this.#ctl.signal;
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#listeners = undefined;
  }

  #expire(): void {
    this.#expired = true;
    this.#ctl?.abort(timeoutReason());
    const ls = this.#listeners;
    this.#listeners = undefined;
    for (const fn of ls ?? []) fn();
  }
}

const timeoutReason = () => new DOMException('deadline', 'TimeoutError');
