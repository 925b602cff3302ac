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
export function readLines(socket: Socket, onMessage: (m: Message, bytes: number) => void, onViolation: (why: string) => void): void {
  let chunks: Buffer[] = [];
  let size = 0;
  let broken = false;
  const violation = (why: string) => {
    broken = true;
    chunks = [];
    onViolation(why);
  };
  socket.on('data', (data: Buffer) => {
    if (broken) return;
    let start = 0;
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
      const bytes = size + nl - start;
      if (bytes > MAX_LINE_BYTES) return violation(`a line of more than ${MAX_LINE_BYTES} bytes`);
      const line = (chunks.length ? Buffer.concat([...chunks, data.subarray(start, nl)]) : data.subarray(start, nl)).toString('utf8');
      chunks = [];
      size = 0;
      start = nl + 1;
      if (!line.trim()) continue;
      // Before parsing: a deep line is refused in one cheap pass, never built.
      if (textDeeperThan(line, LIMITS.messageDepth)) return violation(`a message nested deeper than ${LIMITS.messageDepth} levels`);
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
    size += data.length - start;
    if (size > MAX_LINE_BYTES) return violation(`a line of more than ${MAX_LINE_BYTES} bytes`);
    if (start < data.length) chunks.push(data.subarray(start));
  });
}

/** Sends one message; throws (nothing sent) when it cannot be serialised. */
export function writeMessage(socket: Socket, m: Message): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(m)}\n`);
}
