/**
 * Warm workers per skill version: an idle worker is reused for the next execution of the same
 * version only (never shared between versions or skills); least recently used idle workers are
 * stopped when the total passes the cap.
 */
import type { Worker } from './worker.ts';

export class WorkerPool {
  readonly #idle = new Map<string, Worker[]>();
  #total = 0;

  constructor(
    private readonly maxWorkers: number,
    private readonly maxIdlePerVersion = 4,
  ) {}

  get size(): number {
    return this.#total;
  }

  take(key: string): Worker | undefined {
    const list = this.#idle.get(key);
    while (list?.length) {
      const w = list.pop()!;
      if (w.alive) return w;
      this.#total--;
    }
    return undefined;
  }

  /** A new worker is about to start: make room by stopping the least recently used idle ones. */
  reserve(): void {
    this.#total++;
    while (this.#total > this.maxWorkers && this.#evictOne()) {
      /* evicted one */
    }
  }

  give(w: Worker): void {
    const list = this.#idle.get(w.key) ?? [];
    if (!w.alive || list.length >= this.maxIdlePerVersion) {
      w.shutdown();
      this.#total--;
      return;
    }
    list.push(w);
    this.#idle.set(w.key, list);
  }

  /** A worker that died or was never started. */
  forget(): void {
    this.#total--;
  }

  #evictOne(): boolean {
    let oldest: { key: string; i: number; at: number } | undefined;
    for (const [key, list] of this.#idle) list.forEach((w, i) => (!oldest || w.lastUsed < oldest.at) && (oldest = { key, i, at: w.lastUsed }));
    if (!oldest) return false;
    const [w] = this.#idle.get(oldest.key)!.splice(oldest.i, 1);
    w!.shutdown();
    this.#total--;
    return true;
  }

  close(): void {
    for (const list of this.#idle.values()) for (const w of list) w.kill();
    this.#idle.clear();
    this.#total = 0;
  }
}
