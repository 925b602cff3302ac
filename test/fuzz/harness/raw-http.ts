/**
 * An HTTP/1.1 request written byte by byte on a TCP socket: any method, any request target (raw
 * UTF-8, encoded `..`, control bytes), any header — what a client library would refuse to send.
 */
import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  /** Path and query as sent, bytes included. */
  target: Buffer;
  headers: [string, string | Buffer][];
  body?: Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The response was a stream (server-sent events) and was cut after its headers. */
  streamed: boolean;
}

const CRLF = Buffer.from('\r\n');

function encode(r: RawRequest): Buffer {
  const head: Buffer[] = [
    Buffer.from(`${r.method} `, 'latin1'),
    r.target,
    Buffer.from(' HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n'),
  ];
  const has = (n: string) => r.headers.some(([k]) => k.toLowerCase() === n);
  for (const [k, v] of r.headers)
    head.push(Buffer.from(`${k}: `, 'latin1'), typeof v === 'string' ? Buffer.from(v, 'latin1') : v, CRLF);
  if (r.body && !has('content-length') && !has('transfer-encoding'))
    head.push(Buffer.from(`content-length: ${r.body.length}\r\n`));
  head.push(CRLF);
  if (r.body) head.push(r.body);
  return Buffer.concat(head);
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    if (eol === -1) break;
    const n = parseInt(b.subarray(at, eol).toString('latin1'), 16);
    if (!(n > 0)) break;
    out.push(b.subarray(eol + 2, eol + 2 + n));
    at = eol + 2 + n + 2;
  }
  return Buffer.concat(out);
}

function parse(raw: Buffer, streamed: boolean): RawResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  return { status, headers, body, streamed };
}

export function rawRequest(port: number, r: RawRequest, timeoutMs: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (streamed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const res = parse(Buffer.concat(chunks), streamed);
      if (res) resolve(res);
      else reject(new Error(`no HTTP response (${Buffer.concat(chunks).length} bytes before the connection closed)`));
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms (${Buffer.concat(chunks).length} bytes so far)`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      // A stream (live logs, a streamed completion) does not end: its headers are the answer.
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end !== -1 && /content-type:\s*text\/event-stream/i.test(all.subarray(0, end).toString('latin1')))
        finish(true);
    });
    socket.on('end', () => finish(false));
    socket.on('close', () => finish(false));
    // A server that hangs up mid-request (an oversized body) still answers first; a reset after it is fine.
    socket.on('error', () => finish(false));
    socket.write(encode(r));
  });
}
