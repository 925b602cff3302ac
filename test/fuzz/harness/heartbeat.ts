/**
 * Shared memory between a fuzz worker and its watchdog: what phase the worker is in, which run,
 * since when, and a preview of the input — readable while the worker's thread is stuck.
 */
export const Phase = { Setup: 0, Case: 1, Idle: 2, After: 3 } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

const INTS = 8;
const PREVIEW_AT = 64;
const PREVIEW_BYTES = 4096;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Heartbeat {
  readonly sab: SharedArrayBuffer;
  readonly #i: Int32Array;
  readonly #t: BigInt64Array;
  readonly #preview: Uint8Array;

  constructor(sab = new SharedArrayBuffer(PREVIEW_AT + PREVIEW_BYTES)) {
    this.sab = sab;
    this.#i = new Int32Array(sab, 0, INTS);
    this.#t = new BigInt64Array(sab, INTS * 4, 1);
    this.#preview = new Uint8Array(sab, PREVIEW_AT, PREVIEW_BYTES);
  }

  phase(p: Phase): void {
    Atomics.store(this.#t, 0, BigInt(Date.now()));
    Atomics.store(this.#i, 0, p);
  }

  /** A case begins: run index (fast-check's path of it) and a preview of its input. */
  startCase(run: number, preview: string, shrinking: boolean): void {
    const { written } = encoder.encodeInto(preview, this.#preview);
    Atomics.store(this.#i, 2, run);
    Atomics.store(this.#i, 3, written);
    Atomics.store(this.#i, 4, shrinking ? 1 : 0);
    this.phase(Phase.Case);
  }

  read(): { phase: Phase; sinceMs: number; run: number; shrinking: boolean; preview: string } {
    const n = Atomics.load(this.#i, 3);
    return {
      phase: Atomics.load(this.#i, 0) as Phase,
      sinceMs: Date.now() - Number(Atomics.load(this.#t, 0)),
      run: Atomics.load(this.#i, 2),
      shrinking: Atomics.load(this.#i, 4) === 1,
      preview: decoder.decode(this.#preview.slice(0, n)),
    };
  }
}
