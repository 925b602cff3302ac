/**
 * The host's file tools against what a handler makes in /scratch. A FIFO opened blocking held one
 * of libuv's four pool threads per call: four Reads of one froze every later execution of every
 * skill (and the platform's own file I/O). And a failing tool must name the path in the sandbox,
 * never the host folder behind it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, openSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scratchRoot } from '../sandbox/scratch.ts';
import { runtimeFixture } from '../test-support.ts';

const HANDLERS = {
  python: `import asyncio
import os

from aspora_sdk import SkillResult, skill_handler


async def outcome(call):
    try:
        return {"ok": True, "value": await call}
    except Exception as e:
        return {"ok": False, "code": getattr(e, "code", type(e).__name__), "message": str(e)}


@skill_handler
async def handler(context):
    t = context.tools
    if context.input.metadata.get("uncaught"):
        await t.read("x" * 300)
    os.mkfifo("/scratch/pipe")
    os.mkdir("/scratch/dir")
    os.mkfifo("/scratch/dir/pipe")
    calls = [t.read("/scratch/pipe") for _ in range(8)]
    calls += [t.write("/scratch/pipe", "x") for _ in range(4)]
    calls += [t.grep("x", "/scratch/pipe") for _ in range(4)] + [t.grep("x", "/scratch") for _ in range(4)]
    alone = await asyncio.gather(*[outcome(c) for c in calls])
    # With its other end open in the sandbox a non-blocking open succeeds: the type check refuses it.
    r = os.open("/scratch/pipe", os.O_RDONLY | os.O_NONBLOCK)
    held = await asyncio.gather(*[outcome(t.read("/scratch/pipe")) for _ in range(4)], *[outcome(t.write("/scratch/pipe", "x")) for _ in range(4)])
    os.close(r)
    return SkillResult(success=True, message="fifo", data={"alone": alone, "held": held})
`,
  typescript: `const outcome = (p) => p.then((value) => ({ ok: true, value }), (e) => ({ ok: false, code: e.code, message: e.message }));

export const handler = async (ctx) => {
  const t = ctx.tools;
  if (ctx.input.metadata.uncaught) await t.read({ path: 'x'.repeat(300) });
  await t.bash({ command: 'mkfifo /scratch/pipe && mkdir /scratch/dir && mkfifo /scratch/dir/pipe' });
  const calls = [
    ...Array.from({ length: 8 }, () => t.read({ path: '/scratch/pipe' })),
    ...Array.from({ length: 4 }, () => t.write({ path: '/scratch/pipe', content: 'x' })),
    ...Array.from({ length: 4 }, () => t.grep({ pattern: 'x', path: '/scratch/pipe' })),
    ...Array.from({ length: 4 }, () => t.grep({ pattern: 'x', path: '/scratch' })),
  ];
  const alone = await Promise.all(calls.map(outcome));
  return { success: true, message: 'fifo', data: { alone, held: [] } };
};
`,
};

let f: Awaited<ReturnType<typeof runtimeFixture>>;
before(async () => {
  f = await runtimeFixture();
  writeFileSync(join(f.dataDir, 'probe.txt'), 'probe');
  await f.deploy({
    name: 'bystander',
    handler: 'export const handler = async () => ({ success: true, message: "still here" });',
  });
  assert.equal((await f.runtime.run({ ref: 'test/bystander', input: {} })).success, true);
});
after(async () => {
  // Should a FIFO open have blocked (the bug this guards against), open their other ends so the pool's threads come back.
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.isFIFO()) closeSync(openSync(join(d, e.name), constants.O_RDWR | constants.O_NONBLOCK));
    }
  };
  walk(scratchRoot(f.dataDir).dir);
  await f.close();
});

/** `p`, or a failure after `ms` (a frozen platform never answers). */
const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms).unref(),
    ),
  ]);

type Outcome = { ok: boolean; code?: string; message?: string; value?: unknown };

for (const lang of ['python', 'typescript'] as const) {
  describe(`a ${lang} handler that makes FIFOs in /scratch and fires Read, Write and Grep at them`, {
    timeout: 120_000,
  }, () => {
    test('each call answers (typed errors; Grep passes over them), the execution ends, and the platform still serves', async () => {
      await f.deploy({
        name: `fifo-${lang}`,
        language: lang,
        permissions: '  tools: [Read, Write, Grep, Bash]',
        timeout: '20s',
        handler: HANDLERS[lang],
      });
      const r = await within(f.runtime.run({ ref: `test/fifo-${lang}`, input: {} }), 60_000, 'the FIFO execution');
      assert.equal(r.error, null, JSON.stringify(r.error));
      const { alone, held } = (r.result as { data: { alone: Outcome[]; held: Outcome[] } }).data;
      // Python's str() of the error starts with its code.
      const notRegular = (o: Outcome) =>
        !o.ok &&
        o.code === 'BAD_REQUEST' &&
        /^(BAD_REQUEST: )?(read|write): \/scratch\/pipe is not a regular file/.test(o.message ?? '');
      assert.ok(alone.slice(0, 12).every(notRegular), JSON.stringify(alone.slice(0, 12)));
      assert.deepEqual(
        alone.slice(12),
        Array.from({ length: 8 }, () => ({ ok: true, value: [] })),
      );
      assert.ok(held.every(notRegular), JSON.stringify(held));
      // Another skill's execution and the platform's own file I/O go on.
      assert.equal(
        (await within(f.runtime.run({ ref: 'test/bystander', input: {} }), 20_000, "another skill's execution"))
          .success,
        true,
      );
      assert.equal(await within(readFile(join(f.dataDir, 'probe.txt'), 'utf8'), 10_000, 'a plain fs read'), 'probe');
    });

    test('an uncaught tool failure reaches the caller typed, naming the path in the sandbox and no host path', async () => {
      const r = await within(
        f.runtime.run({ ref: `test/fifo-${lang}`, input: { metadata: { uncaught: true } } }),
        60_000,
        'the execution',
      );
      assert.equal(r.error?.code, 'BAD_REQUEST', JSON.stringify(r.error));
      assert.match(r.error!.message, /a name in \/skill\/x+ is too long/);
      for (const leak of [f.dataDir, scratchRoot(f.dataDir).dir, '/proc/self/fd'])
        assert.ok(!JSON.stringify(r.error).includes(leak), `host path in the error: ${r.error!.message}`);
    });
  });
}
