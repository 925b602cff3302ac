/** JSON lines over a stream socket (docs/runtime-protocol.md): one object per line, bounded size. */
import type { Socket } from 'node:net';

export const MAX_LINE_BYTES = 16 * 1024 * 1024;

export type Message = { t: string } & Record<string, unknown>;

/** Calls `onMessage` per parsed line; `onViolation` once, for a bad or oversized line (then stops). */
export function readLines(socket: Socket, onMessage: (m: Message) => void, onViolation: (why: string) => void): void {
  let chunks: Buffer[] = [];
  let size = 0;
  let broken = false;
  socket.on('data', (data: Buffer) => {
    if (broken) return;
    let start = 0;
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
      const line = Buffer.concat([...chunks, data.subarray(start, nl)]).toString('utf8');
      chunks = [];
      size = 0;
      start = nl + 1;
      if (!line.trim()) continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        broken = true;
        return onViolation(`not JSON: ${JSON.stringify(line.slice(0, 120))}`);
      }
      if (!msg || typeof msg !== 'object' || Array.isArray(msg) || typeof (msg as Message).t !== 'string') {
        broken = true;
        return onViolation(`not a protocol message: ${line.slice(0, 120)}`);
      }
      onMessage(msg as Message);
    }
    size += data.length - start;
    if (size > MAX_LINE_BYTES) {
      broken = true;
      return onViolation(`line longer than ${MAX_LINE_BYTES} bytes`);
    }
    if (start < data.length) chunks.push(data.subarray(start));
  });
}

export function writeMessage(socket: Socket, m: Message): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(m)}\n`);
}
