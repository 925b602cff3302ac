/**
 * The TypeScript worker reproduces every conversation of sdks/protocol-vectors.json with the
 * script handler, as a real child process with the protocol socket on fd 3.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

interface Step {
  send?: Record<string, unknown>;
  expect?: Record<string, unknown>;
  messageContains?: string;
}
interface Vector {
  name: string;
  steps: Step[];
  exitCode?: number;
}

const VECTORS = JSON.parse(readFileSync(new URL('../../../sdks/protocol-vectors.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
};
const WORKER = fileURLToPath(new URL('../worker/node-worker.cjs', import.meta.url));
const HANDLER = fileURLToPath(new URL('./fixtures/script-handler.mjs', import.meta.url));

/** Objects match as subsets; arrays element-wise with equal length; pid and stack are ignored. */
function subset(want: unknown, got: unknown): boolean {
  if (Array.isArray(want))
    return Array.isArray(got) && got.length === want.length && want.every((w, i) => subset(w, got[i]));
  if (want && typeof want === 'object') {
    if (!got || typeof got !== 'object') return false;
    return Object.entries(want).every(
      ([k, v]) => k in (got as object) && subset(v, (got as Record<string, unknown>)[k]),
    );
  }
  return want === got;
}

function reader(channel: Socket) {
  let buf = '';
  const queue: Record<string, unknown>[] = [];
  let wake: (() => void) | undefined;
  channel.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) queue.push(JSON.parse(line) as Record<string, unknown>);
    }
    wake?.();
  });
  return async (): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 5000;
    while (!queue.length) {
      if (Date.now() > deadline) throw new Error('no message from the worker within 5 s');
      await new Promise<void>((r) => ((wake = r), setTimeout(r, 100)));
    }
    return queue.shift()!;
  };
}

for (const v of VECTORS.vectors) {
  test(`vector: ${v.name}`, async () => {
    const child = spawn(process.execPath, [WORKER, HANDLER], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const channel = child.stdio[3] as Socket;
    const next = reader(channel);
    try {
      for (const step of v.steps) {
        if (step.send) channel.write(`${JSON.stringify(step.send)}\n`);
        if (step.expect) {
          const got = await next();
          assert.ok(
            subset(step.expect, got),
            `expected ${JSON.stringify(step.expect)}\n     got ${JSON.stringify(got)}\n${stderr}`,
          );
          if (step.messageContains)
            assert.match(String((got.error as { message?: string })?.message), new RegExp(step.messageContains));
        }
      }
      if (v.exitCode !== undefined) {
        const code = await new Promise<number | null>((r) => child.once('exit', r));
        assert.equal(code, v.exitCode);
      }
    } finally {
      child.kill('SIGKILL');
    }
  });
}
