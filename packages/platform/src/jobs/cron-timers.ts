/**
 * Precise cron fires (decision 014, "Cron at its second"): an in-process timer per schedule that
 * calls back at each slot, with the slot. Every platform process arms the same timers; the fire is
 * keyed by its slot (cron.ts), so the first process to claim it queues the execution and the
 * others find it. pg-boss's own schedule stays as the safety net (a process down at the slot, the
 * missed-fire policy after downtime): it fires a second or so later and finds the slot taken.
 */
import { Cron } from 'croner';

export interface TimedSchedule<T> {
  key: string;
  cron: string;
  timezone: string;
  data: T;
}

/** A slot more than this far in the past (a blocked event loop, a suspended machine) is not caught up here. */
const CATCH_UP_MS = 60_000;
/** setTimeout's delay is bounded; a far slot is approached in steps. */
const MAX_DELAY_MS = 3_600_000;

/** Whether an expression has a seconds field (six or seven fields): finer than a minute. */
export function hasSeconds(expr: string): boolean {
  return expr.trim().split(/\s+/).length > 5;
}

interface Armed<T> {
  s: TimedSchedule<T>;
  cron: Cron;
  timer: NodeJS.Timeout | undefined;
  next: Date | null;
}

export class CronTimers<T> {
  readonly #armed = new Map<string, Armed<T>>();

  constructor(
    private readonly onSlot: (s: TimedSchedule<T>, slot: Date) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Arms these schedules (a changed one is re-armed), disarms the others. */
  set(schedules: TimedSchedule<T>[]): void {
    const want = new Map(schedules.map((s) => [s.key, s]));
    for (const [key, a] of this.#armed) {
      const w = want.get(key);
      if (
        !w ||
        w.cron !== a.s.cron ||
        w.timezone !== a.s.timezone ||
        JSON.stringify(w.data) !== JSON.stringify(a.s.data)
      )
        this.#disarm(key);
    }
    for (const s of schedules) {
      if (this.#armed.has(s.key)) continue;
      let cron: Cron;
      try {
        cron = new Cron(s.cron, { timezone: s.timezone, paused: true });
      } catch {
        continue; // refused at deploy already; the safety net warns about it
      }
      const a: Armed<T> = { s, cron, timer: undefined, next: cron.nextRun(new Date(this.now())) };
      this.#armed.set(s.key, a);
      this.#arm(a);
    }
  }

  get size(): number {
    return this.#armed.size;
  }

  stop(): void {
    for (const key of [...this.#armed.keys()]) this.#disarm(key);
  }

  #disarm(key: string): void {
    const a = this.#armed.get(key);
    if (!a) return;
    clearTimeout(a.timer);
    a.cron.stop();
    this.#armed.delete(key);
  }

  #arm(a: Armed<T>): void {
    if (!a.next) return;
    const delay = Math.min(Math.max(a.next.getTime() - this.now(), 0), MAX_DELAY_MS);
    a.timer = setTimeout(() => this.#due(a), delay);
    a.timer.unref();
  }

  #due(a: Armed<T>): void {
    if (this.#armed.get(a.s.key) !== a || !a.next) return;
    const now = this.now();
    const slot = a.next;
    // A timer may wake a millisecond early (libuv's cached loop time against the wall clock), or
    // mid-way to a far slot: armed again, so a slot never fires before its time.
    if (slot.getTime() > now) return this.#arm(a);
    // The next slot after this one; after a long stall, from now (the safety net owns older ones).
    a.next = a.cron.nextRun(now - slot.getTime() > CATCH_UP_MS ? new Date(now) : slot);
    if (now - slot.getTime() <= CATCH_UP_MS) this.onSlot(a.s, slot);
    this.#arm(a);
  }
}
