/**
 * Errors that reach a caller (the handler, an API client) carry a code and an error id, never a
 * host path or a raw internal message; the server log has the detail under that id.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDigest } from '../store/index.ts';
import { scratchRoot } from './sandbox/scratch.ts';
import { bufferLogger, runtimeFixture } from './test-support.ts';

let f: Awaited<ReturnType<typeof runtimeFixture>>;
const logs = bufferLogger();
const ERROR_ID = /error id ([0-9a-f-]{36})/;

before(async () => {
  f = await runtimeFixture({ log: logs.log });
});
after(() => f.close());

/** The server log entry that carries this error id. */
function logged(id: string): Record<string, any> {
  const line = logs
    .text()
    .split('\n')
    .find((l) => l.includes(id));
  assert.ok(line, `no server log line with error id ${id}`);
  return JSON.parse(line) as Record<string, any>;
}

describe('internal errors', () => {
  test('a host call that fails unexpectedly is INTERNAL with an error id for the handler; the detail is in the server log', async () => {
    await f.deploy({
      name: 'nul-state',
      handler: `export const handler = async (ctx) => {
        try { await ctx.state.set('k', 'a\\u0000b'); return { success: true, message: 'stored' }; }
        catch (e) { return { success: false, message: e.code + ' ' + e.message, data: e.details }; }
      };`,
    });
    const r = await f.runtime.run({ ref: 'test/nul-state', input: {} });
    const res = r.result as { message: string; data: { errorId: string } };
    assert.match(res.message, /^INTERNAL internal error \(error id [0-9a-f-]{36}\)/);
    assert.doesNotMatch(res.message, /unicode|jsonb|\\u0000/i, 'the database error stays on the host');
    const id = ERROR_ID.exec(res.message)![1]!;
    assert.equal(res.data.errorId, id);
    const entry = logged(id);
    assert.equal(entry.op, 'state.set');
    assert.match(entry.err.message, /\\u0000|unicode/i);
  });

  test('a worker that cannot start says so with an error id, not the host path of its scratch folder', async () => {
    await f.deploy({ name: 'cold', handler: `export const handler = async () => ({ success: true, message: 'up' });` });
    const root = scratchRoot(f.dataDir).dir;
    rmSync(root, { recursive: true, force: true });
    writeFileSync(root, 'not a folder'); // every new worker's scratch folder fails to be made
    try {
      const r = await f.runtime.run({ ref: 'test/cold', input: {} });
      assert.equal(r.error?.code, 'INTERNAL', JSON.stringify(r.error));
      assert.ok(!r.error!.message.includes(root) && !JSON.stringify(r).includes(root), r.error!.message);
      const id = ERROR_ID.exec(r.error!.message)![1]!;
      assert.match(logged(id).err.message, new RegExp(`ENOTDIR.*${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    } finally {
      rmSync(root, { force: true });
      mkdirSync(root, { mode: 0o755 });
    }
    assert.equal((await f.runtime.run({ ref: 'test/cold', input: {} })).success, true);
  });

  test("the sandbox's own start errors name the sandbox's paths, not the host's", async () => {
    const pub = await f.deploy({
      name: 'no-bundle',
      handler: `export const handler = async () => ({ success: true, message: 'up' });`,
    });
    assert.equal((await f.runtime.run({ ref: 'test/no-bundle', input: {} })).success, true);
    f.runtime.retire('test/no-bundle');
    await new Promise((r) => setTimeout(r, 200));
    const loaded = await f.registry.loadSkill(pub.ref, { version: pub.version });
    const bundleDir = join(f.dataDir, 'runtime', 'bundles', parseDigest(loaded.version.bundleDigest).hex);
    rmSync(bundleDir, { recursive: true, force: true }); // bwrap cannot mount it: its error names the folder
    const r = await f.runtime.run({ ref: 'test/no-bundle', input: {} });
    assert.equal(r.error?.code, 'HANDLER_LOAD_FAILED', JSON.stringify(r.error));
    assert.ok(!JSON.stringify(r).includes(f.dataDir), r.error!.message);
  });
});
