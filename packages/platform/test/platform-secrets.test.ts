/**
 * The platform's own credentials in the encrypted vault: aspora.platform.yaml declares an API's
 * credential `{ sealed: true }`, an admin seals its value through the API, and the host's call to
 * the API carries it — while the value is never answered, and only admins reach the routes.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { bundle, tempPlatform } from './helpers.ts';
import { skipUnless } from './tools.ts';

const skip = skipUnless('bubblewrap') ?? false;
let p: Awaited<ReturnType<typeof tempPlatform>>;
let server: Server;
const seen: Array<string | undefined> = [];

const CONFIG = `skill:
  name: score
  domain: fraud
  version: 1.0.0
  description: "Scores a transaction with the TRM API. Do NOT use for refunds."
runtime:
  language: typescript
  entry_point: code/handler.ts
permissions:
  apis: [trm_api]
owner_team: fraud-team
`;
const HANDLER = `export const handler = async (ctx) => {
  const r = await ctx.apis.trm_api.score({});
  return { success: true, message: 'scored', data: r };
};
`;

before(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ score: 7 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  p = await tempPlatform({
    platformYaml: `
secrets:
  TRM_SERVICE_KEY: { sealed: true }
apis:
  trm_api:
    base_url: http://127.0.0.1:${port}
    auth: { type: bearer, secret: TRM_SERVICE_KEY }
    methods:
      score: { method: GET, path: /score }
web_fetch:
  allow_private: ["127.0.0.1"]
`,
  });
  await p.fetch('/v1/teams', {
    method: 'POST',
    body: JSON.stringify({ name: 'fraud-team' }),
    headers: { 'content-type': 'application/json' },
  });
  const b = await bundle({ name: 'score', handler: HANDLER, extra: { 'aspora.config.yaml': CONFIG } });
  const pub = await p.fetch('/v1/bundles', {
    method: 'POST',
    body: b,
    headers: { 'content-type': 'application/gzip' },
  });
  assert.ok(pub.ok, await pub.text());
  const dep = await p.fetch('/v1/skills/fraud/score/deployments', {
    method: 'POST',
    body: JSON.stringify({ environment: 'production', version: '1.0.0' }),
    headers: { 'content-type': 'application/json' },
  });
  assert.ok(dep.ok, await dep.text());
});
after(async () => {
  await p.cleanup();
  server.close();
});

type Listed = { secrets: Array<{ set: boolean; updatedBy: string | null }> };
const put = (name: string, value: string) =>
  p.fetch(`/v1/platform/secrets/${name}`, {
    method: 'PUT',
    body: JSON.stringify({ value }),
    headers: { 'content-type': 'application/json' },
  });

test('an admin seals an API credential; the host’s call carries it; no answer shows it', { skip }, async () => {
  const before = await (await p.fetch('/v1/platform/secrets')).json();
  assert.deepEqual(before, { secrets: [{ name: 'TRM_SERVICE_KEY', set: false, updatedAt: null, updatedBy: null }] });

  const set = await put('TRM_SERVICE_KEY', 'sealed-trm-credential');
  const text = await set.text();
  assert.equal(set.status, 200, text);
  assert.ok(!text.includes('sealed-trm-credential'));

  const run = await p.fetch('/v1/skills/fraud/score/executions', {
    method: 'POST',
    body: JSON.stringify({ input: { userMessage: 'score it' } }),
    headers: { 'content-type': 'application/json' },
  });
  const record = await run.text();
  assert.equal(run.status, 200, record);
  assert.equal(JSON.parse(record).result?.data?.score, 7, record);
  assert.equal(seen.at(-1), 'Bearer sealed-trm-credential');
  assert.ok(!record.includes('sealed-trm-credential'));

  const listed = (await (await p.fetch('/v1/platform/secrets')).json()) as Listed;
  assert.equal(listed.secrets[0]?.set, true);
  assert.equal(listed.secrets[0]?.updatedBy, 'admin@localhost');
  // Stored sealed: the database has no clear text of it.
  const [row] = await p.db.query<{ sealed: Uint8Array }>(`SELECT sealed FROM vault_secrets WHERE team = '@platform'`);
  assert.ok(row && !Buffer.from(row.sealed).toString('latin1').includes('sealed-trm-credential'));

  await p.audit.flush();
  const audit = (await (await p.fetch('/v1/audit?action=secret.set&limit=5')).json()) as {
    entries: Array<{ target: string }>;
  };
  assert.ok(audit.entries.some((e: { target: string }) => e.target === 'platform'));
});

test('only a declared sealed name is set; removing it leaves the API without a credential', { skip }, async () => {
  const other = await put('SOMETHING_ELSE', 'x');
  assert.equal(other.status, 400);
  assert.match(await other.text(), /not a sealed platform credential.*sealed: true/);
  const rm = await p.fetch('/v1/platform/secrets/TRM_SERVICE_KEY', { method: 'DELETE' });
  assert.deepEqual(await rm.json(), { removed: true });
  const listed = (await (await p.fetch('/v1/platform/secrets')).json()) as Listed;
  assert.equal(listed.secrets[0]?.set, false);
});
