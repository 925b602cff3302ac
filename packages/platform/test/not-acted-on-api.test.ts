/** The API reports config fields it accepts but does not act on yet, as warnings of a successful upload. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { bundle, tempPlatform } from './helpers.ts';

let p: Awaited<ReturnType<typeof tempPlatform>>;
before(async () => {
  p = await tempPlatform();
});
after(async () => p.cleanup());

const upload = async (b: Buffer) => {
  const res = await p.fetch(`/v1/bundles`, {
    method: 'POST',
    body: new Uint8Array(b),
    headers: { 'content-type': 'application/gzip' },
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      warnings: { file: string; line?: number; column?: number; path?: string; message: string; hint?: string }[];
    },
  };
};

test('an upload that sets not-acted-on fields succeeds and answers each as a positioned warning', async () => {
  const config = `skill:
  name: block-transaction
  domain: fraud
  version: 1.0.0
  description: Blocks suspicious transactions.
runtime:
  language: typescript
  entry_point: code/handler.ts
triggers:
  - type: cron
    schedule: "0 7 * * *"
cost_center: fraud-ops
owner_team: fraud-team
`;
  const r = await upload(await bundle({ extra: { 'aspora.config.yaml': config } }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const mine = r.body.warnings.filter((w) => w.message.startsWith('accepted, not acted on yet'));
  assert.deepEqual(
    mine.map((w) => [w.file, w.line, w.column, w.path, w.message]),
    [['aspora.config.yaml', 12, 1, 'cost_center', 'accepted, not acted on yet: cost_center']],
  );
  assert.ok(mine.every((w) => w.hint));
});

test('an upload that sets none gets no such warning', async () => {
  const r = await upload(await bundle({ version: '2.0.0' }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(
    r.body.warnings.filter((w) => w.message.startsWith('accepted, not acted on yet')),
    [],
  );
});
