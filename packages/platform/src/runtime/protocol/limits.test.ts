/**
 * One execution cannot take the platform down by memory: handlers that write raw protocol lines
 * on fd 3 (as an attacker would, around the SDK) meet the line, byte, in-flight and unread limits;
 * what is recorded is cut to size, visibly; the platform's memory stays bounded and it keeps serving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { getExecution } from '../../observe/executions.ts';
import { bufferLogger, runtimeFixture } from '../test-support.ts';
import { LIMITS } from './limits.ts';

/** Writes raw bytes on the protocol socket (non-blocking: waits out EAGAIN). */
const RAW = `import { writeSync } from 'node:fs';
const pause = new Int32Array(new SharedArrayBuffer(4));
const put = (b) => { for (let off = 0; off < b.length; ) { try { off += writeSync(3, b, off); } catch (e) { if (e.code !== 'EAGAIN') throw e; Atomics.wait(pause, 0, 0, 2); } } };
`;

const MB = 1024 * 1024;
let f: Awaited<ReturnType<typeof runtimeFixture>>;
let server: Server;
let inFlight = 0;
let maxInFlight = 0;
const logs = bufferLogger();

before(async () => {
  // A platform API that holds every request 1.5 s: its peak concurrency is the host's calls in flight.
  server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    req.resume();
    setTimeout(() => {
      inFlight--;
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    }, 1500);
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  f = await runtimeFixture({
    log: logs.log,
    platformYaml: `apis:
  slow:
    base_url: http://127.0.0.1:${port}
    methods:
      hold: { method: POST, path: /hold }
    rate_limit: { per_skill_per_hour: 10000000, per_domain_per_day: 10000000 }
`,
  });
});
after(async () => {
  server.closeAllConnections();
  server.close();
  await f.close();
});

/** Runs `fn`, sampling the platform process's RSS; resolves with its result and the peak growth in MB. */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ value: T; growthMb: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, growthMb: (peak - base) / MB };
  } finally {
    clearInterval(timer);
  }
}

async function serves(ref: string, times = 3): Promise<void> {
  for (let i = 0; i < times; i++) {
    const r = await f.runtime.run({ ref, input: { metadata: { quiet: true } } });
    assert.equal(r.success, true, `run ${i + 1} after the attack: ${JSON.stringify(r.error)}`);
  }
}

describe('protocol limits', () => {
  test('480 lines of 15 MB on the protocol fd: the worker is killed at the line limit, the platform stays small and serves', async (t) => {
    await f.deploy({
      name: 'flood-lines',
      memory: '512MB',
      timeout: '60s',
      handler: `${RAW}export const handler = async (ctx) => {
        if (ctx.input.metadata.quiet) return { success: true, message: 'quiet' };
        const line = Buffer.from(JSON.stringify({ t: 'log', exec: ctx.executionId, level: 'info', msg: 'x'.repeat(15_000_000) }) + '\\n');
        for (let i = 0; i < ${480}; i++) put(line);
        return { success: true, message: 'sent' };
      };`,
    });
    const { value: r, growthMb } = await peakRss(() => f.runtime.run({ ref: 'test/flood-lines', input: {} }));
    assert.equal(r.error?.code, 'PROTOCOL_ERROR', JSON.stringify(r.error));
    assert.match(r.error!.message, new RegExp(`a line of more than ${LIMITS.lineBytes} bytes`));
    assert.equal(r.logs.length, 0);
    t.diagnostic(`the platform's RSS grew by at most ${growthMb.toFixed(0)} MB`);
    assert.ok(growthMb < 400, `the platform grew by ${growthMb.toFixed(0)} MB`);
    await serves('test/flood-lines');
  });

  test('lines under the line limit: each log entry is cut to 8 KiB, the worker is stopped at 128 MiB sent', async (t) => {
    await f.deploy({
      name: 'flood-bytes',
      memory: '512MB',
      timeout: '60s',
      handler: `${RAW}export const handler = async (ctx) => {
        if (ctx.input.metadata.quiet) return { success: true, message: 'quiet' };
        const line = Buffer.from(JSON.stringify({ t: 'log', exec: ctx.executionId, level: 'info', msg: 'y'.repeat(9_000_000), fields: { big: 'z'.repeat(100_000) } }) + '\\n');
        for (let i = 0; i < 480; i++) put(line);
        return { success: true, message: 'sent' };
      };`,
    });
    const { value: r, growthMb } = await peakRss(() => f.runtime.run({ ref: 'test/flood-bytes', input: {} }));
    assert.equal(r.error?.code, 'PROTOCOL_ERROR', JSON.stringify(r.error));
    assert.match(r.error!.message, /sent more than 128 MiB in one execution/);
    assert.ok(r.logs.length > 0 && r.logs.length <= Math.ceil(LIMITS.executionBytes / 9_000_000));
    for (const l of r.logs) {
      assert.ok(l.msg.endsWith('… [truncated, 9,000,000 bytes]'), l.msg.slice(-60));
      assert.ok(Buffer.byteLength(l.msg) <= LIMITS.logMessageBytes + 40);
      assert.match(String(l.fields?.truncated), /… \[truncated, 100,01\d bytes\]$/);
    }
    await f.runtime.recorder.drain();
    const row = await getExecution(f.db, r.id);
    assert.ok(JSON.stringify(row).length < 2 * LIMITS.logBytes, 'the recorded row is bounded');
    t.diagnostic(`the platform's RSS grew by at most ${growthMb.toFixed(0)} MB`);
    assert.ok(growthMb < 400, `the platform grew by ${growthMb.toFixed(0)} MB`);
    await serves('test/flood-bytes');
  });

  test('log entries past 500 or 1 MiB per execution are dropped with a note saying how many', async () => {
    await f.deploy({
      name: 'chatty',
      handler: `export const handler = async (ctx) => { for (let i = 0; i < 2000; i++) ctx.log.info('line ' + i + ' ' + 'w'.repeat(1000)); return { success: true, message: 'ok' }; };`,
    });
    const r = await f.runtime.run({ ref: 'test/chatty', input: {} });
    assert.equal(r.success, true);
    const note = r.logs.at(-1)!;
    assert.equal(note.source, 'platform');
    assert.match(
      note.msg,
      /^\[truncated: 1,500 more log entries \(.* bytes or more\) over the limit of 500 entries and 1,048,576 bytes per execution were not recorded\]$/,
    );
    assert.equal(r.logs.length, 501);
  });

  test('an 8 MB error message (and a 1 MB stack) is cut in the record, the API answer and the server log', async (t) => {
    await f.deploy({
      name: 'big-error',
      handler: `${RAW}export const handler = async (ctx) => {
        if (ctx.input.metadata.quiet) return { success: true, message: 'quiet' };
        if (ctx.input.metadata.sdk) throw new Error('E'.repeat(8_000_000));
        put(Buffer.from(JSON.stringify({ t: 'error', exec: ctx.executionId, error: { code: 'HANDLER_ERROR', message: 'M'.repeat(8_000_000), stack: 'S'.repeat(1_000_000), details: { d: 'D'.repeat(200_000) } } }) + '\\n'));
        await new Promise(() => {});
      };`,
    });
    const { value: r, growthMb } = await peakRss(() => f.runtime.run({ ref: 'test/big-error', input: {} }));
    assert.equal(r.error?.code, 'HANDLER_ERROR');
    assert.ok(r.error!.message.startsWith('MMMM'));
    assert.ok(r.error!.message.endsWith('… [truncated, 8,000,000 bytes]'), r.error!.message.slice(-50));
    assert.ok(Buffer.byteLength(r.error!.message) <= LIMITS.errorMessageBytes + 40);
    assert.ok(String(r.error!.details!.stack).endsWith('… [truncated, 1,000,000 bytes]'));
    assert.ok(Buffer.byteLength(String(r.error!.details!.stack)) <= LIMITS.errorStackBytes + 40);
    assert.match(String(r.error!.details!.truncated), /… \[truncated, 200,0\d\d bytes\]$/);
    // The API answers with the record: it is small.
    assert.ok(JSON.stringify(r).length < 200_000, `answer of ${JSON.stringify(r).length} bytes`);
    await f.runtime.recorder.drain();
    const row = await getExecution(f.db, r.id);
    assert.equal(row?.error?.message, r.error!.message);
    // No line of the server log carries the message whole.
    const longest = Math.max(
      ...logs
        .text()
        .split('\n')
        .map((l) => l.length),
    );
    assert.ok(longest < 64 * 1024, `a server log line of ${longest} bytes`);
    t.diagnostic(`the platform's RSS grew by at most ${growthMb.toFixed(0)} MB`);
    assert.ok(growthMb < 400, `the platform grew by ${growthMb.toFixed(0)} MB`);

    // Thrown through the SDK: the same limits.
    const s = await f.runtime.run({ ref: 'test/big-error', input: { metadata: { sdk: true } } });
    assert.equal(s.error?.code, 'HANDLER_ERROR');
    assert.match(s.error!.message, /^Error: EEEE.*… \[truncated, [\d,]+ bytes\]$/s);
    assert.ok(Buffer.byteLength(s.error!.message) <= LIMITS.errorMessageBytes + 40);
    await serves('test/big-error');
  });

  test('100,000 concurrent host calls: at most 64 are carried out at once, the rest refused; the platform stays small', async (t) => {
    await f.deploy({
      name: 'call-storm',
      memory: '512MB',
      timeout: '60s',
      permissions: '  apis: [slow]',
      handler: `${RAW}export const handler = async (ctx) => {
        if (ctx.input.metadata.quiet) return { success: true, message: 'quiet' };
        const n = ${100_000};
        for (let i = 0; i < n; i += 1000) {
          let s = '';
          for (let j = i; j < i + 1000; j++) s += JSON.stringify({ t: 'call', id: 1e6 + j, exec: ctx.executionId, op: 'apis.call', args: { api: 'slow', method: 'hold', args: {} } }) + '\\n';
          put(Buffer.from(s));
        }
        await new Promise((r) => setTimeout(r, 2000));
        return { success: true, message: 'fired ' + n };
      };`,
    });
    maxInFlight = 0;
    const { value: r, growthMb } = await peakRss(() => f.runtime.run({ ref: 'test/call-storm', input: {} }));
    assert.equal(r.success, true, JSON.stringify(r.error));
    await new Promise((res) => setTimeout(res, 3000)); // calls the host accepted reach the API after the run, if at all
    assert.ok(maxInFlight > 0 && maxInFlight <= LIMITS.callsInFlight, `the API saw ${maxInFlight} calls at once`);
    assert.ok(r.hostCalls < 100_000 / 10, `${r.hostCalls} calls were carried out`);
    t.diagnostic(`the platform's RSS grew by at most ${growthMb.toFixed(0)} MB`);
    assert.ok(growthMb < 400, `the platform grew by ${growthMb.toFixed(0)} MB`);
    await serves('test/call-storm');
  });

  test('a worker that stops reading the host answers is stopped past 64 MiB unread', async (t) => {
    await f.deploy({
      name: 'deaf',
      memory: '512MB',
      timeout: '30s',
      handler: `${RAW}export const handler = async (ctx) => {
        if (ctx.input.metadata.quiet) return { success: true, message: 'quiet' };
        await ctx.state.set('big', 'q'.repeat(8_000_000));
        let s = '';
        for (let i = 0; i < 20; i++) s += JSON.stringify({ t: 'call', id: 2e6 + i, exec: ctx.executionId, op: 'state.get', args: { key: 'big' } }) + '\\n';
        put(Buffer.from(s));
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 15000); // the event loop, and the channel's reading, stop
        return { success: true, message: 'never read' };
      };`,
    });
    const { value: r, growthMb } = await peakRss(() => f.runtime.run({ ref: 'test/deaf', input: {} }));
    assert.equal(r.error?.code, 'PROTOCOL_ERROR', JSON.stringify(r.error));
    assert.match(r.error!.message, /left more than 64 MiB of the host's answers unread/);
    t.diagnostic(`the platform's RSS grew by at most ${growthMb.toFixed(0)} MB`);
    assert.ok(growthMb < 400, `the platform grew by ${growthMb.toFixed(0)} MB`);
    await serves('test/deaf');
  });
});
