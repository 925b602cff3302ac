/**
 * The protocol reader (runtime/protocol/lines.ts readLines) on a real Unix socket, fed what a
 * hostile handler can write to its protocol fd: valid and broken JSON lines, odd and huge and deep
 * messages, random bytes, cut at random places and written with random pauses.
 *
 * Properties, stated so they keep holding when the reader gains size or depth caps:
 * - it never throws (the worker thread's uncaught-exception hook fails the case) and never hangs;
 * - every complete line is either delivered as exactly the message it encodes, or the reader
 *   reports one violation and delivers nothing after it: no line is dropped, none is altered,
 *   no bad line passes as a message, no second violation;
 * - ordinary traffic (lines up to 8 KiB, nesting up to 8) is all delivered, without a violation;
 * - memory is bounded: a flood without a newline keeps at most about one line's limit.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import * as lines from '../../../packages/platform/src/runtime/protocol/lines.ts';
import { clip, FuzzFailure, type FuzzTarget } from '../harness/target.ts';

setFlagsFromString('--expose-gc');
export const gc = runInNewContext('gc') as () => void;

/** The reader's line limit if it still exports one (another change may rename or lower it). */
const LINE_LIMIT =
  typeof (lines as Record<string, unknown>).MAX_LINE_BYTES === 'number'
    ? ((lines as Record<string, unknown>).MAX_LINE_BYTES as number)
    : 16 * 1024 * 1024;
const MiB = 1024 * 1024;

type Input =
  | {
      kind: 'lines';
      ordinary: boolean;
      parts: string[];
      raw: Uint8Array[];
      cuts: number[];
      pauses: number[];
      eol: string;
      trailing: boolean;
    }
  | { kind: 'flood'; chunk: number; factor: number };

// ---------- what a handler can write ----------

const TYPES = [
  'log',
  'result',
  'error',
  'call',
  'metric',
  'ready',
  'fatal',
  'return',
  'execute',
  '',
  'x'.repeat(300),
  '__proto__',
  'constructor',
];
const field = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"toString":1,"valueOf":1}',
    '1e400',
    '-0',
    '123456789012345678901234567890',
    '"\\ud800"',
    '"\\u0000\\u001b[2J"',
    '"\u2028\u2029"',
  ),
);
const message = fc
  .tuple(
    fc.constantFrom(...TYPES),
    fc.array(
      fc.tuple(
        fc.constantFrom(
          'msg',
          'level',
          'fields',
          'result',
          'error',
          'exec',
          'id',
          'op',
          'args',
          'value',
          'name',
          '__proto__',
          'constructor',
          't',
        ),
        field,
      ),
      { maxLength: 4 },
    ),
  )
  // Repeated keys ("t" twice, "__proto__") are legal JSON: the last one wins, as in JSON.parse.
  .map(([t, fs]) => `{"t":${JSON.stringify(t)}${fs.map(([k, v]) => `,${JSON.stringify(k)}:${v}`).join('')}}`);
const ordinaryMessage = fc
  .tuple(fc.constantFrom('log', 'result', 'metric', 'call'), fc.jsonValue({ maxDepth: 6 }))
  .map(([t, v]) => JSON.stringify({ t, v }))
  .filter((s) => s.length <= 8192);
const big = fc
  .tuple(fc.integer({ min: 10_000, max: 400_000 }), fc.constantFrom('a', 'é', '\\n', '😀'))
  .map(([n, c]) => `{"t":"log","msg":"${c.repeat(Math.ceil(n / c.length))}"}`);
const deep = fc
  .tuple(fc.integer({ min: 100, max: 100_000 }), fc.boolean())
  .map(([n, arr]) =>
    arr
      ? `{"t":"result","result":${'['.repeat(n)}${']'.repeat(n)}}`
      : `{"t":"result","result":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`,
  );
const broken = fc.oneof(
  fc.constantFrom(
    'not json',
    '[1,2]',
    '"str"',
    'null',
    '1',
    'true',
    '{"t":1}',
    '{}',
    '{"t":null}',
    '{"t":"x"',
    '{"t":"x"}}',
    '{"t":"x",}',
    "{'t':'x'}",
    '\u0000',
    '{"t":"x"}\u0000',
    '\ufeff{"t":"x"}',
    '{"t":"x"} {"t":"y"}',
  ),
  fc.string({ unit: 'binary', maxLength: 50 }),
);
const blank = fc.constantFrom('', ' ', '\t', '\r', '  \t ', '\u00a0', '\ufeff');

const line = fc.oneof(
  { weight: 10, arbitrary: message },
  { weight: 1, arbitrary: big },
  { weight: 1, arbitrary: deep },
  { weight: 3, arbitrary: broken },
  { weight: 2, arbitrary: blank },
);

const linesCase = (parts: fc.Arbitrary<string[]>, ordinary: boolean) =>
  fc.record({
    kind: fc.constant('lines' as const),
    ordinary: fc.constant(ordinary),
    parts,
    // Raw bytes (invalid UTF-8 among them) that stand for one more line, now and then.
    raw: ordinary
      ? fc.constant<Uint8Array[]>([])
      : fc.array(
          fc.uint8Array({ maxLength: 40 }).map((b) => b.map((x) => (x === 10 ? 32 : x))),
          { maxLength: 2 },
        ),
    cuts: fc.array(fc.nat(), { maxLength: 12 }),
    pauses: fc.array(fc.nat(3), { maxLength: 12 }),
    eol: fc.constantFrom('\n', '\n', '\r\n'),
    trailing: ordinary ? fc.constant(true) : fc.boolean(),
  });

const arbitrary: fc.Arbitrary<Input> = fc.oneof(
  { weight: 12, arbitrary: linesCase(fc.array(line, { maxLength: 12 }), false) },
  { weight: 6, arbitrary: linesCase(fc.array(ordinaryMessage, { minLength: 1, maxLength: 20 }), true) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('flood' as const),
      chunk: fc.integer({ min: 1024, max: 512 * 1024 }),
      factor: fc.constantFrom(2, 3),
    }),
  },
);

function bytesOf(x: Extract<Input, { kind: 'lines' }>): Buffer {
  const eol = Buffer.from(x.eol);
  const out: Buffer[] = [];
  x.parts.forEach((p, i) => {
    out.push(Buffer.from(p));
    if (i < x.parts.length - 1 || x.trailing || x.raw.length) out.push(eol);
  });
  x.raw.forEach((r, i) => {
    out.push(Buffer.from(r));
    if (i < x.raw.length - 1 || x.trailing) out.push(eol);
  });
  return Buffer.concat(out);
}

// ---------- the model: what each complete line must become ----------

type Expect = { blank: true } | { bad: string } | { msg: unknown };

function model(bytes: Buffer): Expect[] {
  const out: Expect[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, start)) {
    const text = bytes.subarray(start, nl).toString('utf8');
    start = nl + 1;
    if (!text.trim()) {
      out.push({ blank: true });
      continue;
    }
    try {
      const v = JSON.parse(text) as unknown;
      out.push(
        v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { t?: unknown }).t === 'string'
          ? { msg: v }
          : { bad: text.slice(0, 80) },
      );
    } catch {
      out.push({ bad: text.slice(0, 80) });
    }
  }
  return out; // the bytes after the last newline are no line yet
}

// ---------- the socket pair ----------

export interface Ctx {
  dir: string;
  server: Server;
  next: (() => void) | undefined;
  accepted: Socket[];
}

/** Until the socket takes more, or is gone (events.once would leave its 'error' listener to reject later). */
export function writable(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      s.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    s.on('drain', done).on('close', done).on('error', done);
  });
}

/** Equality of JSON values without recursion (a message may nest 100 000 deep). */
function sameJson(a: unknown, b: unknown): boolean {
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length) {
    const [x, y] = stack.pop()!;
    if (Object.is(x, y)) continue;
    if (
      typeof x !== 'object' ||
      typeof y !== 'object' ||
      x === null ||
      y === null ||
      Array.isArray(x) !== Array.isArray(y)
    )
      return false;
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (kx.length !== ky.length || Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) return false;
    for (let i = 0; i < kx.length; i++) {
      if (kx[i] !== ky[i]) return false;
      stack.push([(x as Record<string, unknown>)[kx[i]!], (y as Record<string, unknown>)[kx[i]!]]);
    }
  }
  return true;
}

function show(v: unknown, max = 160): string {
  try {
    return clip(JSON.stringify(v) ?? String(v), max);
  } catch {
    return '(too deep to print)';
  }
}

export async function pair(ctx: Ctx): Promise<{ reader: Socket; writer: Socket }> {
  const accepted = new Promise<Socket>((resolve) => {
    ctx.next = () => resolve(ctx.accepted.shift()!);
    if (ctx.accepted.length) ctx.next();
  });
  const writer = createConnection(join(ctx.dir, 'fd3.sock'));
  writer.on('error', () => {}); // the reader may hang up first, after a violation
  await once(writer, 'connect');
  const reader = await accepted;
  // The socket's owner handles its errors (a reset when the other end goes); readLines reads lines.
  reader.on('error', () => {});
  return { reader, writer };
}

type Event = { m: unknown } | { v: string };

async function feed(ctx: Ctx, chunks: Buffer[], pauses: number[]): Promise<{ events: Event[]; reader: Socket }> {
  const { reader, writer } = await pair(ctx);
  const events: Event[] = [];
  const ended = new Promise<void>((resolve) => {
    reader.once('end', resolve);
    reader.once('close', resolve);
  });
  lines.readLines(
    reader,
    (m) => events.push({ m }),
    (why) => {
      events.push({ v: why });
      reader.destroy(); // as the worker does: a worker that broke the protocol is killed
    },
  );
  for (let i = 0; i < chunks.length && !writer.destroyed; i++) {
    if (!writer.write(chunks[i]!)) await writable(writer);
    const p = pauses[i] ?? 0;
    if (p === 1) await tick();
    else if (p === 2) await new Promise((r) => setTimeout(r, 1));
  }
  writer.end();
  await ended;
  writer.destroy();
  return { events, reader };
}

function cutsOf(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => (bytes.length ? c % bytes.length : 0)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    if (c > prev) out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

function checkLines(x: Extract<Input, { kind: 'lines' }>, events: Event[]): void {
  const want = model(bytesOf(x));
  const violations = events.filter((e) => 'v' in e);
  if (violations.length > 1) throw new FuzzFailure('more than one violation', JSON.stringify(violations).slice(0, 300));
  const vAt = events.findIndex((e) => 'v' in e);
  if (vAt !== -1 && vAt !== events.length - 1)
    throw new FuzzFailure('a message after the violation', JSON.stringify(events[vAt + 1]).slice(0, 200));
  for (const v of violations)
    if (typeof (v as { v: unknown }).v !== 'string' || (v as { v: string }).v.length > 2000)
      throw new FuzzFailure('violation reason not a bounded string', clip(String((v as { v: unknown }).v)));

  // Walk the model along the delivered messages: each must be the next non-blank line, and a good one.
  let i = 0;
  for (const e of events) {
    if (!('m' in e)) break;
    while (i < want.length && 'blank' in want[i]!) i++;
    const w = want[i];
    if (!w) throw new FuzzFailure('a message no complete line encodes', show(e.m));
    if ('bad' in w) throw new FuzzFailure('a bad line delivered as a message', `line ${i}: ${clip(w.bad)}`);
    const want1 = (w as { msg: unknown }).msg;
    if (!sameJson(e.m, want1))
      throw new FuzzFailure('a message altered or a line dropped', `line ${i}: got ${show(e.m)} want ${show(want1)}`);
    i++;
  }
  if (vAt === -1) {
    const rest = want.slice(i).filter((w) => !('blank' in w));
    if (rest.length)
      throw new FuzzFailure(
        rest.some((w) => 'bad' in w) ? 'a bad line without a violation' : 'a line dropped without a violation',
        `line ${i}+: ${show(rest[0], 200)}`,
      );
  } else if (x.ordinary) {
    throw new FuzzFailure('ordinary traffic refused', `${(violations[0] as { v: string }).v.slice(0, 200)}`);
  }
}

async function flood(ctx: Ctx, x: Extract<Input, { kind: 'flood' }>): Promise<void> {
  gc();
  const before = process.memoryUsage().arrayBuffers;
  const { reader, writer } = await pair(ctx);
  const events: Event[] = [];
  lines.readLines(
    reader,
    (m) => events.push({ m }),
    (why) => events.push({ v: why }),
  );
  const chunk = Buffer.alloc(x.chunk, 0x61);
  const total = LINE_LIMIT * x.factor + MiB;
  let peak = 0;
  for (let sent = 0; sent < total && !writer.destroyed; sent += chunk.length) {
    if (!writer.write(chunk)) await writable(writer);
    // Every ~4 MiB: what the reader keeps, once garbage is gone.
    if (sent % (4 * MiB) < chunk.length) {
      await tick();
      gc();
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
  }
  await tick();
  gc();
  peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
  writer.destroy();
  reader.destroy();
  if (events.some((e) => 'm' in e)) throw new FuzzFailure('a message out of a line with no end', '');
  if (events.filter((e) => 'v' in e).length !== 1)
    throw new FuzzFailure(
      'a line past the limit is not one violation',
      `${events.length} events after ${total} bytes without a newline`,
    );
  if (peak > LINE_LIMIT + 8 * MiB)
    throw new FuzzFailure(
      'memory grows with a line that never ends',
      `${Math.round(peak / MiB)} MiB kept while ${Math.round(total / MiB)} MiB came without a newline (line limit ${LINE_LIMIT / MiB} MiB)`,
    );
}

export async function socketServer(): Promise<Ctx> {
  const dir = mkdtempSync(join(tmpdir(), 'aspora-fuzz-protocol-'));
  const ctx: Ctx = { dir, server: createServer(), next: undefined, accepted: [] };
  ctx.server.on('connection', (s) => {
    ctx.accepted.push(s);
    ctx.next?.();
  });
  ctx.server.listen(join(dir, 'fd3.sock'));
  await once(ctx.server, 'listening');
  return ctx;
}

export async function closeServer(ctx: Ctx): Promise<void> {
  ctx.server.close();
  rmSync(ctx.dir, { recursive: true, force: true });
}

const target: FuzzTarget<Input, Ctx> = {
  setup: socketServer,
  teardown: closeServer,
  arbitrary: () => arbitrary,
  preview: (x) =>
    x.kind === 'flood'
      ? `flood of ${x.factor}× the line limit + 1 MiB, no newline, in ${x.chunk}-byte writes`
      : `${x.ordinary ? 'ordinary ' : ''}lines ${clip(JSON.stringify(x.parts), 400)} raw ${x.raw.map((r) => Buffer.from(r).toString('hex')).join(',')} eol ${JSON.stringify(x.eol)} trailing ${x.trailing} cuts ${x.cuts.join(',')}`,
  async check(x, ctx) {
    if (x.kind === 'flood') return flood(ctx, x);
    const bytes = bytesOf(x);
    const { events } = await feed(ctx, cutsOf(bytes, x.cuts), x.pauses);
    checkLines(x, events);
  },
};

export default target;
