/**
 * kill -9 of the platform loses no record of a run that had finished: the record is durable
 * before the result is returned. A real `aspora up` process (embedded PGlite), killed with
 * SIGKILL right after its answers, then started again on the same data folder.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upProcess } from './up-process.ts';
import { bundle } from './helpers.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'aspora-crash-'));
chmodSync(dataDir, 0o755);
after(() => rmSync(dataDir, { recursive: true, force: true }));

const up = () => upProcess(dataDir, TOKEN);

/** Requests carry the admin's token, brought the operator's way (ASPORA_ADMIN_TOKEN). */
const TOKEN = `crash-test-${randomBytes(16).toString('hex')}`;
const api = (url: string, init: RequestInit = {}) =>
  fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${TOKEN}` } });

const json = (body: unknown) => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});

test('every execution answered before a kill -9 is on record after the restart', async () => {
  let { url, child } = await up();
  await api(`${url}/v1/bundles`, {
    method: 'POST',
    body: await bundle({
      handler: `export const handler = async (ctx) => { if (ctx.input.metadata.slow) await new Promise((r) => setTimeout(r, 60_000)); return { success: true, message: 'n=' + ctx.input.metadata.n }; };`,
    }),
    headers: { 'content-type': 'application/gzip' },
  });
  await api(
    `${url}/v1/skills/fraud/block-transaction/deployments`,
    json({ environment: 'production', version: '1.0.0' }),
  );

  // One run still going when the process dies: it has no result, so nothing is owed for it.
  void api(`${url}/v1/skills/fraud/block-transaction/executions`, json({ input: { metadata: { slow: true } } })).catch(
    () => undefined,
  );
  const answered = await Promise.all(
    Array.from(
      { length: 24 },
      async (_, n) =>
        (await (
          await api(`${url}/v1/skills/fraud/block-transaction/executions`, json({ input: { metadata: { n } } }))
        ).json()) as { id: string; success: boolean },
    ),
  );
  assert.ok(answered.every((r) => r.success));
  child.kill('SIGKILL'); // no shutdown hooks, no flush: only what was durable survives
  await new Promise((r) => child.once('exit', r));

  ({ url, child } = await up());
  try {
    for (const [n, a] of answered.entries()) {
      const r = (await (await api(`${url}/v1/executions/${a.id}`)).json()) as {
        success: boolean;
        completedAt: string | null;
        result: { message: string };
      };
      assert.equal(r.success, true, `execution ${n} (${a.id}) lost`);
      assert.ok(r.completedAt);
      assert.equal(r.result.message, `n=${n}`);
    }
  } finally {
    child.kill('SIGKILL');
  }
});
