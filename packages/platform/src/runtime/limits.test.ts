/**
 * Resource caps and bad handlers: memory, processes, disk, CPU time and concurrency. Each ends as
 * a failed execution with a clear reason, and the platform keeps serving.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { runtimeFixture } from './test-support.ts';

let f: Awaited<ReturnType<typeof runtimeFixture>>;
before(async () => {
  f = await runtimeFixture({ pool: { maxWorkers: 3 } });
  await f.deploy({ name: 'ok', handler: `export const handler = async () => ({ success: true, message: 'fine' });` });
});
after(() => f.close());

const ok = async () =>
  assert.equal((await f.runtime.run({ ref: 'test/ok', input: {} })).success, true, 'the platform keeps serving');

test('the sandbox has a cgroup of its own here (memory, pids), or rlimits where there is none', () => {
  assert.equal(f.runtime.mode, 'bwrap');
  // This machine has writable cgroups (v1 or v2): the caps below are exact, not rlimit approximations.
  assert.ok(f.runtime.cgroups, 'cgroups detected');
});

test('a memory bomb is killed at runtime.memory and says so', async () => {
  await f.deploy({
    name: 'membomb',
    memory: '128MB',
    handler: `export const handler = async () => { const a = []; for (;;) a.push(Buffer.alloc(8 << 20, 1)); };`,
  });
  const r = await f.runtime.run({ ref: 'test/membomb', input: {} });
  assert.equal(r.success, false);
  assert.equal(r.error?.code, 'WORKER_CRASHED');
  assert.match(r.error!.message, /more than its 128 MB of memory \(runtime\.memory\)/);
  await ok();
});

test('a fork bomb stops at the process cap; the execution fails or reports it, nothing is left', async () => {
  await f.deploy({
    name: 'forkbomb',
    timeout: '5s',
    handler: `import cp from 'node:child_process';
      export const handler = async () => {
        let made = 0, failed = 0;
        for (let i = 0; i < 1000; i++) { try { cp.spawn('/bin/sleep', ['30']).on('error', () => failed++); made++; } catch { failed++; } }
        await new Promise((r) => setTimeout(r, 500));
        return { success: true, message: 'spawned', data: { made, failed } };
      };`,
  });
  const r = await f.runtime.run({ ref: 'test/forkbomb', input: {} });
  if (r.success) assert.ok((r.result as { data: { failed: number } }).data.failed > 500, JSON.stringify(r.result));
  // On a loaded machine a thousand spawns can outlast the 5 s timeout: stopped all the same.
  else assert.match(r.error!.code, /WORKER_CRASHED|HANDLER_ERROR|TIMEOUT/);
  await ok();
  // The sleeps belong to the worker: they end with it when it is stopped.
  f.runtime.retire('test/forkbomb');
  await new Promise((res) => setTimeout(res, 500));
  const { execSync } = await import('node:child_process');
  assert.deepEqual(
    execSync('ps -eo args')
      .toString()
      .split('\n')
      .filter((l) => l === '/bin/sleep 30'),
    [],
  );
});

test('filling /scratch ends at the worker memory cap, not on the host disk', async () => {
  const before = statfsSync('/').bavail;
  await f.deploy({
    name: 'diskfill',
    memory: '128MB',
    handler: `import fs from 'node:fs';
      export const handler = async () => { const chunk = Buffer.alloc(16 << 20, 7); let n = 0; try { for (;;) fs.writeFileSync('/scratch/f' + n++, chunk); } catch (e) { return { success: false, message: e.code + ' after ' + n }; } };`,
  });
  const r = await f.runtime.run({ ref: 'test/diskfill', input: {} });
  assert.equal(r.success, false);
  // Killed by the memory cap (tmpfs pages count against it), or refused a write first.
  assert.match(r.error?.message ?? (r.result as { message: string }).message, /runtime\.memory|ENOSPC|ENOMEM/);
  const lostMb = ((before - statfsSync('/').bavail) * statfsSync('/').bsize) / 1e6;
  assert.ok(lostMb < 100, `host disk lost ${lostMb.toFixed(0)} MB`);
  await ok();
});

test('a CPU spin is stopped at the timeout and the worker is replaced', async () => {
  await f.deploy({ name: 'spin', timeout: '1s', handler: `export const handler = async () => { for (;;) {} };` });
  const r = await f.runtime.run({ ref: 'test/spin', input: {} });
  assert.equal(r.error?.code, 'TIMEOUT');
  const again = await f.runtime.run({ ref: 'test/spin', input: {} });
  assert.equal(again.error?.code, 'TIMEOUT', 'a fresh worker, same verdict');
  await ok();
});

test('more executions than workers: they queue, each worker runs one at a time, all finish', async () => {
  await f.deploy({
    name: 'slow',
    handler: `let busy = 0; export const handler = async () => { busy++; const overlap = busy; await new Promise((r) => setTimeout(r, 150)); busy--; return { success: true, message: String(overlap) }; };`,
  });
  const runs = await Promise.all(Array.from({ length: 9 }, () => f.runtime.run({ ref: 'test/slow', input: {} })));
  assert.ok(
    runs.every((r) => r.success),
    JSON.stringify(runs.map((r) => r.error)),
  );
  assert.ok(
    runs.every((r) => (r.result as { message: string }).message === '1'),
    'never two executions in one worker',
  );
  assert.ok(f.runtime.stats.workers <= 3);
});

test('a worker that prints a flood of output is capped and the execution still ends', async () => {
  await f.deploy({
    name: 'chatter',
    handler: `export const handler = async () => { for (let i = 0; i < 20000; i++) process.stdout.write('line ' + i + '\\n'); return { success: true, message: 'done' }; };`,
  });
  const r = await f.runtime.run({ ref: 'test/chatter', input: {} });
  assert.equal(r.success, true);
  const printed = r.logs.filter((l) => l.source !== 'platform');
  assert.ok(printed.length <= 500, `${printed.length} log lines kept`);
  // How much of the output is read before the result arrives varies; when the budget was reached, a note closes the logs.
  if (printed.length === 500)
    assert.match(r.logs.at(-1)!.msg, /^\[truncated: [\d,]+ more log entries/, 'a closing note says lines were dropped');
});

test('a process a handler leaves behind does not live into the next execution', async () => {
  await f.deploy({
    name: 'leaver',
    handler: `import cp from 'node:child_process'; let n = 0; export const handler = async () => { n++; if (n === 1) cp.spawn('/bin/sleep', ['611'], { detached: true, stdio: 'ignore' }).unref(); return { success: true, message: String(n) }; };`,
  });
  const first = await f.runtime.run({ ref: 'test/leaver', input: {} });
  assert.equal(first.success, true);
  const { execSync } = await import('node:child_process');
  assert.deepEqual(
    execSync('ps -eo args')
      .toString()
      .split('\n')
      .filter((l) => l === '/bin/sleep 611'),
    [],
  );
  const second = await f.runtime.run({ ref: 'test/leaver', input: {} });
  assert.equal(
    (second.result as { message: string }).message,
    '1',
    'a fresh worker: the one that had a leftover was not reused',
  );
});
