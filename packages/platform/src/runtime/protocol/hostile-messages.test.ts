/**
 * Messages a handler writes around its SDK, raw on fd 3, whose fields are not what the protocol
 * says: the execution fails or goes on, the platform process does not. Found by fuzzing
 * (test/fuzz): `String(m.msg)` of `{"toString":1}` threw inside the socket's data listener, and
 * an execution that exited with a host answer unread reset the channel, which had no error
 * listener — each took the whole platform down.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeFixture } from '../test-support.ts';

const RAW = `import { writeSync } from 'node:fs';
const line = (m) => writeSync(3, JSON.stringify(m) + '\\n');
const spin = (ms) => { const end = Date.now() + ms; while (Date.now() < end); };
`;

let f: Awaited<ReturnType<typeof runtimeFixture>>;
// In a platform process these end it; node's test runner would only report them beside a passing test.
const uncaught: string[] = [];
const onUncaught = (e: unknown) => void uncaught.push(String(e));
process.on('uncaughtException', onUncaught);
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 300)); // what a dead worker's channel does comes late
  assert.deepEqual(uncaught.splice(0), [], 'uncaught exceptions in the platform process');
});
before(async () => {
  f = await runtimeFixture();
  await f.deploy({ name: 'plain', handler: 'export const handler = async () => ({ success: true, message: "up" });' });
});
after(async () => {
  process.off('uncaughtException', onUncaught);
  await f.close();
});

const still = async () =>
  assert.equal((await f.runtime.run({ ref: 'test/plain', input: {} })).success, true, 'the platform keeps serving');

describe('fields that are objects where the protocol has strings', () => {
  const objectish = { toString: 1, valueOf: 1 };
  for (const [name, message] of [
    ['a log message', { t: 'log', msg: objectish }],
    ['a log level', { t: 'log', level: objectish, msg: 'x' }],
    ['a call op', { t: 'call', id: 1, op: objectish, args: {} }],
    ['a metric name', { t: 'metric', name: objectish, value: 1 }],
    ['an execution id', { t: 'log', exec: objectish, msg: 'x' }],
    ['an error code and message', { t: 'error', error: { code: objectish, message: objectish } }],
  ] as const) {
    test(`${name}: the platform answers, and keeps serving`, async () => {
      const skill = `hostile-${name.replace(/\W+/g, '-')}`;
      await f.deploy({
        name: skill,
        timeout: '3s',
        handler: `${RAW}export const handler = async () => { line(${JSON.stringify(message)}); await new Promise((r) => setTimeout(r, 200)); return { success: true, message: 'done' }; };`,
      });
      const r = await f.runtime.run({ ref: `test/${skill}`, input: {} });
      assert.ok(r.completedAt, 'the execution finished');
      if (r.error) assert.ok(r.error.message.length < 2000, r.error.message);
      await still();
    });
  }
});

test('a handler that exits with a host answer unread: the execution fails, the platform keeps serving', async () => {
  await f.deploy({
    name: 'exit-unread',
    permissions: '  tools: [Read]',
    timeout: '5s',
    handler: `${RAW}export const handler = async () => { line({ t: 'call', id: 9001, op: 'tools.read', args: { path: 'SKILL.md' } }); spin(500); process.exit(0); };`,
  });
  for (let i = 0; i < 3; i++) {
    const r = await f.runtime.run({ ref: 'test/exit-unread', input: {} });
    assert.equal(r.success, false);
    assert.equal(r.error?.code, 'WORKER_CRASHED', JSON.stringify(r.error));
  }
  await still();
});
