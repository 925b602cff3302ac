/**
 * What a fuzz target is: inputs (a fast-check arbitrary), the properties one input must keep
 * (`check` throws when one is broken) and what must still hold after a whole run (`after`).
 * Targets run inside a worker thread (harness/worker.ts) so a hang or a stalled event loop is
 * seen by the watchdog of the thread that started it.
 */
import type fc from 'fast-check';

export interface FuzzTarget<Input, Ctx = void> {
  setup?(): Promise<Ctx>;
  arbitrary(ctx: Ctx): fc.Arbitrary<Input>;
  /** Throws (FuzzFailure or anything else) when the input breaks a property. */
  check(input: Input, ctx: Ctx): Promise<void> | void;
  /** What must still hold after all the runs, e.g. the platform still answers /healthz. */
  after?(ctx: Ctx): Promise<void>;
  teardown?(ctx: Ctx): Promise<void>;
  /** A short, printable picture of an input (kept for the report of a hang, so it must be cheap). */
  preview(input: Input): string;
}

/** A broken property, with a short stable `kind` (the table counts distinct kinds) and the particulars. */
export class FuzzFailure extends Error {
  constructor(
    readonly kind: string,
    detail: string,
  ) {
    super(`${kind}: ${detail}`);
    this.name = 'FuzzFailure';
  }
}

/** The kind of any thrown value: FuzzFailure's own, else the error's class, code and message without the particulars. */
export function kindOf(e: unknown): string {
  if (e instanceof FuzzFailure) return e.kind;
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  const msg = err.message
    .split('\n')[0]!
    .replace(/"[^"]*"|'[^']*'/g, '…')
    .replace(/\d+/g, 'N')
    .slice(0, 100);
  return `threw ${err.name}${typeof code === 'string' ? ` ${code}` : ''}: ${msg}`;
}

/** Printable, bounded: control characters escaped, long text cut in the middle. */
export function clip(text: string, max = 300): string {
  const s = JSON.stringify(text);
  return s.length <= max ? s : `${s.slice(0, max - 60)}…(${text.length} chars)…${s.slice(-40)}`;
}

export function hexClip(bytes: Uint8Array, max = 64): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, max));
  return `${bytes.length} bytes ${b.toString('hex')}${bytes.length > max ? '…' : ''}`;
}
