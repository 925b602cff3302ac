/**
 * Deep JSON hides no execution and wedges no worker: a result nested 8,000 deep, an input nested
 * 6,000 deep (directly or through invoke), one that cannot be serialised at all — each ends as a
 * recorded failure, and the skill's next runs succeed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getExecution } from '../../observe/executions.ts';
import { runtimeFixture } from '../test-support.ts';
import { LIMITS } from './limits.ts';

const RAW = `import { writeSync } from 'node:fs';
const pause = new Int32Array(new SharedArrayBuffer(4));
const put = (b) => { for (let off = 0; off < b.length; ) { try { off += writeSync(3, b, off); } catch (e) { if (e.code !== 'EAGAIN') throw e; Atomics.wait(pause, 0, 0, 2); } } };
`;

/** `{"d":[[[…]]]}`, `n` levels in all. */
const deep = (n: number): Record<string, unknown> => {
  let v: unknown = [];
  for (let i = 2; i < n; i++) v = [v];
  return { d: v };
};

let f: Awaited<ReturnType<typeof runtimeFixture>>;
before(async () => {
  f = await runtimeFixture();
  await f.deploy({
    name: 'plain',
    handler: `export const handler = async (ctx) => ({ success: true, message: 'ok ' + JSON.stringify(ctx.input.metadata).length });`,
  });
});
after(() => f.close());

async function serves(ref: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const r = await f.runtime.run({ ref, input: { metadata: { quiet: true } } });
    assert.equal(r.success, true, `run ${i + 1} after: ${JSON.stringify(r.error)}`);
  }
}

function journalText(): string {
  const dir = join(f.dataDir, 'journal');
  return readdirSync(dir)
    .map((n) => readFileSync(join(dir, n), 'utf8'))
    .join('');
}

describe('deep JSON', () => {
  test('a result nested 8,000 deep: the worker is stopped, the run is on record (row and journal), its state write too', async () => {
    await f.deploy({
      name: 'deep-result',
      handler: `${RAW}export const handler = async (ctx) => {
        if (ctx.input.metadata.quiet) return { success: true, message: 'quiet' };
        await ctx.state.set('written', true);
        put(Buffer.from('{"t":"result","exec":"' + ctx.executionId + '","result":{"success":true,"message":"deep","data":{"d":' + '['.repeat(8000) + ']'.repeat(8000) + '}}}\\n'));
        await new Promise(() => {});
      };`,
    });
    const r = await f.runtime.run({ ref: 'test/deep-result', input: {} });
    assert.equal(r.error?.code, 'PROTOCOL_ERROR', JSON.stringify(r.error));
    assert.match(r.error!.message, new RegExp(`nested deeper than ${LIMITS.messageDepth} levels`));
    assert.doesNotThrow(() => JSON.stringify(r), 'the API can answer with the record');
    await f.runtime.recorder.drain();
    const row = await getExecution(f.db, r.id);
    assert.equal(row?.error?.code, 'PROTOCOL_ERROR');
    assert.ok(journalText().includes(r.id), 'journaled');
    const [state] = await f.db.query<{ value: unknown }>("SELECT value FROM skill_state WHERE key = 'written'");
    assert.equal(state?.value, true);
    await serves('test/deep-result');
  });

  test('an input nested 6,000 deep is refused before the worker is taken (BAD_REQUEST); the next runs succeed', async () => {
    await f.runtime.run({ ref: 'test/plain', input: {} }); // a warm worker that a wedge would hold
    await assert.rejects(
      f.runtime.run({ ref: 'test/plain', input: { metadata: deep(6000) } }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'BAD_REQUEST');
        assert.match(e.message, /the execution input is nested deeper than 64 levels/);
        return true;
      },
    );
    await serves('test/plain');
  });

  test('an input that cannot be sent to the worker: the worker is stopped, never left busy; the next runs succeed', async () => {
    await f.runtime.run({ ref: 'test/plain', input: {} });
    const r = await f.runtime.run({ ref: 'test/plain', input: { metadata: { n: 1n as unknown as number } } });
    assert.equal(r.error?.code, 'BAD_REQUEST', JSON.stringify(r.error));
    assert.match(r.error!.message, /the execution could not be sent to the worker/);
    await serves('test/plain');
  });

  test('through invoke: an input past 64 levels is a BAD_REQUEST to the caller; one 6,000 deep stops the caller; the child serves', async () => {
    await f.deploy({
      name: 'deep-parent',
      timeout: '20s',
      handler: `${RAW}export const handler = async (ctx) => {
        if (ctx.input.metadata.quiet) return { success: true, message: 'quiet' };
        if (ctx.input.metadata.raw) {
          put(Buffer.from('{"t":"call","id":777,"exec":"' + ctx.executionId + '","op":"invoke","args":{"skill":"test/plain","input":{"metadata":{"d":' + '['.repeat(6000) + ']'.repeat(6000) + '}}}}\\n'));
          await new Promise(() => {});
        }
        let v = []; for (let i = 2; i < 66; i++) v = [v];
        try { await ctx.invoke('test/plain', { metadata: { d: v } }); return { success: true, message: 'invoked' }; }
        catch (e) { return { success: false, message: e.code + ': ' + e.message }; }
      };`,
    });
    const viaSdk = await f.runtime.run({ ref: 'test/deep-parent', input: {} });
    assert.match(
      (viaSdk.result as { message: string }).message,
      /^BAD_REQUEST: the execution input is nested deeper than 64 levels/,
    );
    await serves('test/plain');

    const raw = await f.runtime.run({ ref: 'test/deep-parent', input: { metadata: { raw: true } } });
    assert.equal(raw.error?.code, 'PROTOCOL_ERROR', JSON.stringify(raw.error));
    await serves('test/plain');
    await serves('test/deep-parent');
  });
});
