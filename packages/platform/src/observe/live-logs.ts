/**
 * Live log lines for `aspora logs --follow`: handlers' log lines and each execution's end, per
 * skill, as they happen. In one process they go from the runtime to the followers directly. With
 * Redis (REDIS_URL: several platform processes behind one address) a follower sees the lines of
 * every process: they travel over Redis pub/sub, one channel per skill. Nothing is published for a
 * skill nobody follows: a process with followers announces the skills it follows every few
 * seconds on a control channel, and the others publish those skills' lines only.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { ExecutionRecord, LogEntry } from './executions.ts';
import type { Logger } from './logger.ts';
import type { LogLine } from './logs.ts';

const PREFIX = 'aspora:logs:';
const CONTROL = `${PREFIX}followed`;
/** The channel of one skill's lines is LINE + its ref. */
const LINE = `${PREFIX}line:`;
/** How often a process says which skills it follows, and how long others believe it. */
const ANNOUNCE_MS = 5_000;
const BELIEVE_MS = 3 * ANNOUNCE_MS;

/** The line that closes an execution, as the past logs (logs.ts) give it too. */
export function endLine(
  r: Pick<ExecutionRecord, 'id' | 'ref' | 'success' | 'durationMs' | 'error' | 'completedAt'>,
): LogLine {
  return {
    level: r.success ? 'info' : 'error',
    msg: r.success
      ? `execution finished in ${r.durationMs} ms`
      : `execution failed: ${r.error?.code ?? 'unsuccessful'} ${r.error?.message ?? ''}`.trim(),
    source: 'platform',
    executionId: r.id,
    ref: r.ref,
    at: r.completedAt ?? new Date().toISOString(),
  };
}

export class LiveLogs {
  readonly #local = new EventEmitter().setMaxListeners(0);
  /** Skills followed in this process → number of followers. */
  readonly #mine = new Map<string, number>();
  /** Skills followed in other processes → until when we believe it. */
  readonly #theirs = new Map<string, number>();
  #sub: Redis | undefined;
  /** Tells this process's announcements from the others'. */
  readonly #self = randomUUID();
  #announcer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    private readonly redis?: Redis,
  ) {}

  /** Starts listening to the other processes (with Redis). */
  async start(): Promise<void> {
    if (!this.redis) return;
    this.#sub = this.redis.duplicate();
    this.#sub.on('error', () => undefined); // reconnects by itself; publishers fall back to local delivery
    this.#sub.on('message', (channel: string, message: string) => {
      if (channel === CONTROL) {
        const { from, refs } = JSON.parse(message) as { from: string; refs: string[] };
        if (from !== this.#self) for (const ref of refs) this.#theirs.set(ref, Date.now() + BELIEVE_MS);
        return;
      }
      this.#local.emit(channel.slice(LINE.length), JSON.parse(message) as LogLine);
    });
    await this.#sub.subscribe(CONTROL);
    this.#announcer = setInterval(() => void this.#announce(), ANNOUNCE_MS).unref();
  }

  /** Whether anyone, here or in another process, follows the skill (else its lines are not built). */
  wanted(ref: string): boolean {
    if (this.#mine.has(ref)) return true;
    const until = this.#theirs.get(ref);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#theirs.delete(ref);
    return false;
  }

  /** Sends a line of a skill someone follows (the caller checked wanted()). */
  #publish(line: LogLine): void {
    // With Redis, this process's followers get the line back from it, like everyone else's.
    if (this.#sub)
      void this.redis!.publish(LINE + line.ref, JSON.stringify(line)).catch(() => this.#local.emit(line.ref, line));
    else this.#local.emit(line.ref, line);
  }

  /** Wires the runtime's events: handlers' log lines and each execution's end. */
  fromRuntime(runtime: EventEmitter): void {
    runtime.on('log', (e: { ref: string; executionId: string; entry: LogEntry & { at?: string } }) => {
      if (this.wanted(e.ref))
        this.#publish({
          ...e.entry,
          executionId: e.executionId,
          ref: e.ref,
          at: e.entry.at ?? new Date().toISOString(),
        });
    });
    runtime.on('execution', (r: ExecutionRecord) => {
      if (this.wanted(r.ref)) this.#publish(endLine(r));
    });
  }

  /** Calls `fn` with every live line of the skill until the returned function is called. */
  async follow(ref: string, fn: (l: LogLine) => void): Promise<() => Promise<void>> {
    this.#local.on(ref, fn);
    const first = !this.#mine.has(ref);
    this.#mine.set(ref, (this.#mine.get(ref) ?? 0) + 1);
    if (first && this.#sub) {
      await this.#sub
        .subscribe(LINE + ref)
        .catch((e: unknown) =>
          this.log.warn({ err: e, ref }, 'live logs: Redis subscribe failed; only this process’s lines are followed'),
        );
      await this.#announce([ref]);
    }
    let stopped = false;
    return async () => {
      if (stopped) return;
      stopped = true;
      this.#local.off(ref, fn);
      const n = (this.#mine.get(ref) ?? 1) - 1;
      if (n > 0) return void this.#mine.set(ref, n);
      this.#mine.delete(ref);
      await this.#sub?.unsubscribe(LINE + ref).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    if (this.#announcer) clearInterval(this.#announcer);
    this.#sub?.disconnect();
    this.#sub = undefined;
  }

  async #announce(refs = [...this.#mine.keys()]): Promise<void> {
    if (!refs.length || !this.redis) return;
    await this.redis.publish(CONTROL, JSON.stringify({ from: this.#self, refs })).catch(() => undefined);
  }
}
