/**
 * The TypeScript worker keeps to the host's limits (docs/runtime-protocol.md, "Limits"): at most
 * 64 calls in flight (the rest wait), and no line over 10 MiB (an error of the one call, a cut
 * log line, a failed result) — so a handler meets an error, not a stopped worker.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('../worker/node-worker.cjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'aspora-node-worker-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function start(handler: string): {
  child: ChildProcess;
  send: (m: unknown) => void;
  next: (ms?: number) => Promise<Record<string, any> | undefined>;
} {
  const file = join(dir, `h${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, handler);
  const child = spawn(process.execPath, [WORKER, file], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const channel = child.stdio[3] as Socket;
  let buf = '';
  const queue: Record<string, any>[] = [];
  let wake: (() => void) | undefined;
  channel.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      queue.push(JSON.parse(buf.slice(0, nl)) as Record<string, any>);
      buf = buf.slice(nl + 1);
    }
    wake?.();
  });
  return {
    child,
    send: (m) => channel.write(`${JSON.stringify(m)}\n`),
    async next(ms = 5000) {
      const deadline = Date.now() + ms;
      while (!queue.length) {
        if (Date.now() > deadline) return undefined;
        await new Promise<void>((r) => ((wake = r), setTimeout(r, 50)));
      }
      return queue.shift();
    },
  };
}

const execute = (exec: string) => ({
  t: 'execute',
  exec,
  context: {
    executionId: exec,
    input: { userMessage: '', metadata: {} },
    skill: { domain: 't', name: 'n', role: null, version: '1.0.0' },
    secrets: {},
  },
});

test('at most 64 calls are in flight; the rest are sent as earlier ones return', async () => {
  const w = start(
    `export const handler = async (ctx) => { await Promise.all(Array.from({ length: 70 }, (_, i) => ctx.state.get('k' + i))); return { success: true, message: 'all returned' }; };`,
  );
  try {
    assert.equal((await w.next())?.t, 'ready');
    w.send(execute('q1'));
    const calls = [];
    for (let i = 0; i < 64; i++) calls.push(await w.next());
    assert.ok(calls.every((c) => c?.t === 'call'));
    assert.equal(await w.next(500), undefined, 'a 65th call was sent before any returned');
    for (const c of calls) w.send({ t: 'return', id: c!.id, ok: true, value: null });
    for (let i = 64; i < 70; i++) {
      const c = await w.next();
      assert.equal(c?.t, 'call');
      w.send({ t: 'return', id: c!.id, ok: true, value: null });
    }
    const end = await w.next();
    assert.equal(end?.t, 'result', JSON.stringify(end));
  } finally {
    w.child.kill();
  }
});

test('no line over 10 MiB: a call fails with PAYLOAD_TOO_LARGE, a log line is cut, a result fails', async () => {
  const w = start(`export const handler = async (ctx) => {
    const big = 'x'.repeat(11 * 1024 * 1024);
    if (ctx.executionId === 'r1') return { success: true, message: big };
    let code = '';
    try { await ctx.tools.write({ path: '/scratch/big', content: big }); } catch (e) { code = e.code; }
    console.log(big);
    return { success: true, message: code };
  };`);
  try {
    assert.equal((await w.next())?.t, 'ready');
    w.send(execute('w1'));
    const log = await w.next();
    assert.equal(log?.t, 'log');
    assert.match(log!.msg, /… \[truncated, 11534336 bytes\]$/);
    assert.deepEqual((await w.next())?.result, { success: true, message: 'PAYLOAD_TOO_LARGE' });
    w.send(execute('r1'));
    const end = await w.next();
    assert.equal(end?.t, 'error');
    assert.equal(end?.error.code, 'PAYLOAD_TOO_LARGE');
  } finally {
    w.child.kill();
  }
});
