/** JSON lines over a stream socket (docs/runtime-protocol.md): one object per line, bounded in size and depth. */
import type { Socket } from 'node:net';
import { textDeeperThan } from './json-depth.ts';
import { LIMITS } from './limits.ts';

export const MAX_LINE_BYTES = LIMITS.lineBytes;

export type Message = { t: string } & Record<string, unknown>;

/**
 * Calls `onMessage` per parsed line (with its size in bytes); `onViolation` once, for a bad,
 * oversized or too deeply nested line (then stops reading).
 */
export function readLines(
  socket: Socket,
  onMessage: (m: Message, bytes: number) => void,
  onViolation: (why: string) => void,
): void {
  const pending = new Pending();
  let broken = false;
  const violation = (why: string) => {
    broken = true;
    pending.clear();
    onViolation(why);
  };
  socket.on('data', (data: Buffer) => {
    if (broken) return;
    let start = 0;
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
      const bytes = pending.size + nl - start;
      if (bytes > MAX_LINE_BYTES) return violation(`a line of more than ${MAX_LINE_BYTES} bytes`);
      const line = pending.take(data.subarray(start, nl)).toString('utf8');
      start = nl + 1;
      if (!line.trim()) continue;
      // Before parsing: a deep line is refused in one cheap pass, never built.
      if (textDeeperThan(line, LIMITS.messageDepth))
        return violation(`a message nested deeper than ${LIMITS.messageDepth} levels`);
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        return violation(`not JSON: ${JSON.stringify(line.slice(0, 120))}`);
      }
      if (!msg || typeof msg !== 'object' || Array.isArray(msg) || typeof (msg as Message).t !== 'string') {
        return violation(`not a protocol message: ${JSON.stringify(line.slice(0, 120))}`);
      }
      onMessage(msg as Message, bytes);
      if (broken || socket.destroyed) return; // the message ended the worker
    }
    if (pending.size + data.length - start > MAX_LINE_BYTES)
      return violation(`a line of more than ${MAX_LINE_BYTES} bytes`);
    if (start < data.length) pending.add(data.subarray(start));
  });
}

const SMALL = 4 * 1024;
const TAIL = 64 * 1024;

/**
 * The unfinished line. Reads are kept as they are, except small ones, which are copied together
 * into a tail of 64 KiB: kept one by one, a line sent a byte per read held a Buffer object per
 * byte (~200 bytes of heap each). So memory stays near the line's own bytes however it is cut.
 */
class Pending {
  #chunks: Buffer[] = [];
  #tail: Buffer | undefined;
  #tailLen = 0;
  size = 0;

  add(part: Buffer): void {
    this.size += part.length;
    if (part.length >= SMALL) {
      this.#flush();
      this.#chunks.push(part);
      return;
    }
    if (this.#tailLen + part.length > TAIL) this.#flush();
    this.#tail ??= Buffer.allocUnsafe(TAIL);
    part.copy(this.#tail, this.#tailLen);
    this.#tailLen += part.length;
  }

  /** The whole line, ending with `last`; empties what was kept. */
  take(last: Buffer): Buffer {
    if (this.size === 0) return last;
    this.#flush();
    const line = Buffer.concat([...this.#chunks, last]);
    this.clear();
    return line;
  }

  clear(): void {
    this.#chunks = [];
    this.#tail = undefined;
    this.#tailLen = 0;
    this.size = 0;
  }

  #flush(): void {
    if (!this.#tailLen) return;
    // A copy of just what is there: the tail itself is reused.
    this.#chunks.push(Buffer.from(this.#tail!.subarray(0, this.#tailLen)));
    this.#tailLen = 0;
  }
}

/** Sends one message; throws (nothing sent) when it cannot be serialised. */
export function writeMessage(socket: Socket, m: Message): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(m)}\n`);
}
