/**
 * Warm workers per skill version. An idle worker only ever serves the next execution of the same
 * version (never another version or skill) and runs one execution at a time. Live workers are
 * capped in number and in declared memory (runtime.memory of each); when the caps are reached,
 * least recently used idle workers of other versions make room, and when every worker is busy a
 * request waits in line (FIFO) until one is free or its wait times out. A version keeps as many
 * warm workers as its load needed; beyond `maxIdlePerVersion` they are stopped once they have been
 * idle for `trimAfterMs` (a burst does not leave a crowd behind, steady load does not churn).
 */
import { AsporaError } from '@aspora/sdk';

export interface PooledWorker {
  readonly key: string;
  readonly memoryMb: number;
  readonly alive: boolean;
  lastUsed: number;
  shutdown(): void;
  kill(): void;
}

export interface PoolLimits {
  maxWorkers: number;
  maxMemoryMb: number;
  maxIdlePerVersion: number;
  idleTimeoutMs: number;
  /** How long an execution may wait for a free worker. */
  queueTimeoutMs: number;
  /** Idle workers beyond maxIdlePerVersion are stopped after this long unused. */
  trimAfterMs?: number;
}

interface Waiter<W> {
  key: string;
  memoryMb: number;
  start: () => Promise<W>;
  resolve: (w: W) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class WorkerPool<W extends PooledWorker> {
  readonly #idle = new Map<string, W[]>();
  readonly #live = new Set<W>();
  #starting = 0;
  #startingMb = 0;
  #waiters: Array<Waiter<W>> = [];
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(private readonly limits: PoolLimits) {
    this.#sweeper = setInterval(() => this.#sweepIdle(), Math.min(1000, this.#trimAfter, limits.idleTimeoutMs / 2));
    this.#sweeper.unref();
  }

  /** Live workers (busy and idle) plus those starting. */
  get size(): number {
    return this.#live.size + this.#starting;
  }

  get memoryMb(): number {
    let mb = this.#startingMb;
    for (const w of this.#live) mb += w.memoryMb;
    return mb;
  }

  get idle(): number {
    let n = 0;
    for (const l of this.#idle.values()) n += l.length;
    return n;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** A warm idle worker of `key`, or a new one from `start` once there is room. */
  acquire(key: string, memoryMb: number, start: () => Promise<W>): Promise<W> {
    if (this.#closed) return Promise.reject(new AsporaError('UNAVAILABLE', 'the runtime is shutting down'));
    const warm = this.#takeIdle(key);
    if (warm) return Promise.resolve(warm);
    if (memoryMb > this.limits.maxMemoryMb) {
      return Promise.reject(
        new AsporaError(
          'UNAVAILABLE',
          `the skill asks for ${memoryMb} MB (runtime.memory) and this platform allows ${this.limits.maxMemoryMb} MB of workers in all`,
          { hint: 'lower runtime.memory, or raise runtime.max_memory in aspora.platform.yaml' },
        ),
      );
    }
    if (this.#makeRoom(memoryMb)) return this.#start(memoryMb, start);
    return new Promise<W>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.timer !== timer);
        reject(
          new AsporaError(
            'UNAVAILABLE',
            `no worker became free within ${this.limits.queueTimeoutMs} ms: all ${this.size} workers are busy`,
            { hint: 'try again shortly; a platform admin can raise runtime.max_workers' },
          ),
        );
      }, this.limits.queueTimeoutMs);
      this.#waiters.push({ key, memoryMb, start, resolve, reject, timer });
    });
  }

  /** Back from an execution: to a waiter of the same version, to the idle list, or stopped. */
  release(w: W): void {
    w.lastUsed = Date.now();
    if (!w.alive || this.#closed) {
      this.#drop(w);
      return this.#serveWaiters();
    }
    const i = this.#waiters.findIndex((x) => x.key === w.key);
    if (i >= 0) {
      const [waiter] = this.#waiters.splice(i, 1);
      clearTimeout(waiter!.timer);
      return waiter!.resolve(w);
    }
    const list = this.#idle.get(w.key) ?? [];
    list.push(w);
    this.#idle.set(w.key, list);
    this.#serveWaiters();
  }

  /** Applies the idle rules now (tests; otherwise a timer does it). */
  sweep(now?: number): void {
    this.#sweepIdle(now);
  }

  /** Stops the idle workers of one version (a new version was deployed, say). */
  retire(key: string): void {
    for (const w of this.#idle.get(key) ?? []) {
      this.#live.delete(w);
      w.shutdown();
    }
    this.#idle.delete(key);
    this.#serveWaiters();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const w of this.#live) w.kill();
    this.#live.clear();
    this.#idle.clear();
    for (const x of this.#waiters.splice(0)) {
      clearTimeout(x.timer);
      x.reject(new AsporaError('UNAVAILABLE', 'the runtime is shutting down'));
    }
  }

  #takeIdle(key: string): W | undefined {
    const list = this.#idle.get(key);
    while (list?.length) {
      const w = list.pop()!;
      if (w.alive) return w;
      this.#live.delete(w);
    }
    return undefined;
  }

  #fits(memoryMb: number): boolean {
    return this.size + 1 <= this.limits.maxWorkers && this.memoryMb + memoryMb <= this.limits.maxMemoryMb;
  }

  /** Evicts least recently used idle workers until a worker of `memoryMb` fits; false if it cannot. */
  #makeRoom(memoryMb: number): boolean {
    while (!this.#fits(memoryMb)) {
      const victim = this.#oldestIdle();
      if (!victim) return false;
      this.#idle.set(
        victim.key,
        this.#idle.get(victim.key)!.filter((w) => w !== victim),
      );
      this.#drop(victim);
      victim.shutdown();
    }
    return true;
  }

  #oldestIdle(): W | undefined {
    let oldest: W | undefined;
    for (const list of this.#idle.values())
      for (const w of list) if (!oldest || w.lastUsed < oldest.lastUsed) oldest = w;
    return oldest;
  }

  async #start(memoryMb: number, start: () => Promise<W>): Promise<W> {
    this.#starting++;
    this.#startingMb += memoryMb;
    try {
      const w = await start();
      this.#live.add(w);
      return w;
    } finally {
      this.#starting--;
      this.#startingMb -= memoryMb;
      // A failed start freed its slot; a successful one changes nothing for waiters.
      queueMicrotask(() => this.#serveWaiters());
    }
  }

  #drop(w: W): void {
    this.#live.delete(w);
    const list = this.#idle.get(w.key);
    if (list?.includes(w))
      this.#idle.set(
        w.key,
        list.filter((x) => x !== w),
      );
  }

  #serveWaiters(): void {
    while (this.#waiters.length) {
      const next = this.#waiters[0]!;
      const warm = this.#takeIdle(next.key);
      if (warm) {
        this.#waiters.shift();
        clearTimeout(next.timer);
        next.resolve(warm);
        continue;
      }
      if (!this.#makeRoom(next.memoryMb)) return;
      this.#waiters.shift();
      clearTimeout(next.timer);
      this.#start(next.memoryMb, next.start).then(next.resolve, next.reject);
    }
  }

  get #trimAfter(): number {
    return this.limits.trimAfterMs ?? 5_000;
  }

  #sweepIdle(now = Date.now()): void {
    const cutoff = now - this.limits.idleTimeoutMs;
    const trim = now - this.#trimAfter;
    for (const [key, list] of this.#idle) {
      // Most recently used last: the extra ones to trim are at the front.
      const extra = Math.max(0, list.length - this.limits.maxIdlePerVersion);
      const keep = list.filter((w, i) => w.alive && w.lastUsed >= cutoff && !(i < extra && w.lastUsed < trim));
      for (const w of list) if (!keep.includes(w)) this.#live.delete(w), w.shutdown();
      if (keep.length) this.#idle.set(key, keep);
      else this.#idle.delete(key);
    }
  }
}
