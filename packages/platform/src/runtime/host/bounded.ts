/**
 * Limits of the host's file tools on what the sandbox made: a deadline per call (checked between
 * steps, and the answer comes by then whatever a step does) and reads that stop at a size even
 * when the file grows while it is read.
 */
import type { FileHandle } from 'node:fs/promises';
import { AsporaError } from '@aspora/sdk';

/** No host file tool call runs longer (nothing should block, but nothing may hold the platform either). */
export const FILE_TOOL_DEADLINE_MS = 10_000;
const CHUNK = 64 * 1024;

export class Deadline {
  readonly #at: number;
  constructor(
    readonly tool: string,
    readonly ms: number,
  ) {
    this.#at = performance.now() + ms;
  }
  error(): AsporaError {
    return new AsporaError('TIMEOUT', `${this.tool}: did not finish within ${this.ms} ms`, { hint: 'narrow the path' });
  }
  check(): void {
    if (performance.now() > this.#at) throw this.error();
  }
}

/** Runs a tool with its deadline: checked between steps, and the answer comes by then whatever a step does. */
export async function bounded<T>(
  tool: string,
  work: (d: Deadline) => Promise<T>,
  ms = FILE_TOOL_DEADLINE_MS,
): Promise<T> {
  const d = new Deadline(tool, ms);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(d.error()), ms)));
  try {
    return await Promise.race([work(d), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** At most `cap` bytes of an open regular file, however much it grows while it is read; null when it has more. */
export async function readCapped(fh: FileHandle, cap: number, d: Deadline): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    d.check();
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, cap + 1 - total));
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    if (bytesRead === 0) return Buffer.concat(chunks, total);
    chunks.push(buf.subarray(0, bytesRead));
    total += bytesRead;
    if (total > cap) return null;
  }
}
