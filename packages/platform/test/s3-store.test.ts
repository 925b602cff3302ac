/**
 * Platforms on the S3 bundle store: two processes on one PostgreSQL schema and one bucket serve the
 * same skills (deploy through A, run through B), a failed upload registers nothing, and a store that
 * is down stops the start with a sentence naming it. Uses the machine's PostgreSQL and a real S3
 * wire-protocol server (s3rver) started here; A reaches it through a proxy that can fail requests.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { AsporaError } from '@aspora/sdk';
import { PG_URL, pgDown } from '../src/registry/test-support.ts';
import {
  deadEndpoint,
  startFaultyProxy,
  startS3,
  type FaultyProxy,
  type TestS3,
} from '../src/store/s3-test-support.ts';
import { bundle, tempPlatform } from './helpers.ts';

type P = Awaited<ReturnType<typeof tempPlatform>>;
let s3: TestS3;
let proxy: FaultyProxy;
let a: P;
let b: P;
const schema = `aspora_s3_${randomBytes(4).toString('hex')}`;
const STORE_URL = 's3://aspora-shared/skills';
const ref = 'fraud/block-transaction';
const json = (body: unknown) => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});
const upload = (p: P, bytes: Buffer) =>
  p.fetch(`/v1/bundles`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/gzip' } });
const versions = async (p: P) =>
  ((await (await p.fetch(`/v1/skills/${ref}`)).json()) as { versions: { version: string }[] }).versions
    .map((v) => v.version)
    .sort();

before(async () => {
  const down = await pgDown();
  if (down) throw new Error(down);
  s3 = await startS3(['aspora-shared']);
  proxy = await startFaultyProxy(s3.endpoint);
  const shared = { databaseUrl: PG_URL, databaseSchema: schema };
  a = await tempPlatform({ ...shared, env: { ASPORA_STORE_URL: STORE_URL, ...s3.env(proxy.endpoint) } });
  b = await tempPlatform({ ...shared, env: { ASPORA_STORE_URL: STORE_URL, ...s3.env() } });
});

after(async () => {
  await a?.cleanup();
  await b?.cleanup();
  await proxy?.close();
  await s3?.stop();
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
});

test('a skill deployed through one process runs on another: one database, one bucket', async () => {
  assert.equal(a.store.kind, 's3');
  const handler = `export const handler = async (ctx) => ({ success: true, message: 'ran ' + ctx.input.metadata.n });`;
  const bytes = await bundle({ handler });
  const up = await upload(a, bytes);
  assert.equal(up.status, 201, await up.clone().text());
  const { digest } = (await up.json()) as { digest: string };
  assert.ok((await a.fetch(`/v1/skills/${ref}/deployments`, json({ environment: 'production', version: '1.0.0' }))).ok);

  // B never received the upload: its bundle comes from the bucket.
  const ran = await b.fetch(`/v1/skills/${ref}/executions`, json({ input: { metadata: { n: 7 } } }));
  assert.equal(ran.status, 200, await ran.clone().text());
  const rec = (await ran.json()) as { status: string; result?: { success: boolean; message: string } };
  assert.equal(rec.result?.message, 'ran 7', JSON.stringify(rec));
  const fetched = await b.fetch(`/v1/bundles/${digest}`);
  assert.equal(fetched.status, 200);
  assert.ok(Buffer.from(await fetched.arrayBuffer()).equals(bytes), 'B serves the bytes A uploaded');
  for (const p of [a, b])
    assert.equal(existsSync(join(p.dataDir, 'bundles')), false, 'no local bundle folder when the store is S3');

  // The same bytes through B: stored once, the version already registered.
  const again = await upload(b, bytes);
  assert.equal(again.status, 200);
  assert.equal(((await again.json()) as { created: boolean }).created, false);
});

test('an upload the S3 server fails (500s, or the connection cut mid-body) registers no version; once it answers, the deploy works', async () => {
  const v2 = await bundle({ version: '2.0.0' });
  for (const action of ['error', 'cut'] as const) {
    proxy.reset((req) => (req.method === 'PUT' ? action : 'pass'));
    const r = await upload(a, v2);
    assert.equal(r.status, 503, `${action}: ${await r.clone().text()}`);
    const { error } = (await r.json()) as { error: { code: string; message: string; hint: string } };
    assert.equal(error.code, 'UNAVAILABLE');
    assert.ok(error.message.includes(proxy.endpoint), error.message);
    assert.match(error.hint, /nothing was registered/);
    assert.ok(
      proxy.seen.some((s) => s.startsWith('PUT')),
      `${action}: the upload was attempted`,
    );
    assert.deepEqual(await versions(b), ['1.0.0'], `${action}: no half-registered version`);
  }
  proxy.reset();
  assert.equal((await upload(a, v2)).status, 201);
  assert.deepEqual(await versions(b), ['1.0.0', '2.0.0']);
});

test('a version whose bundle cannot be fetched (the store went down) fails its run with UNAVAILABLE naming the store', async () => {
  const v3 = await bundle({ version: '3.0.0' });
  assert.equal((await upload(a, v3)).status, 201);
  assert.ok((await a.fetch(`/v1/skills/${ref}/deployments`, json({ environment: 'production', version: '3.0.0' }))).ok);
  await s3.stop(); // B has never fetched 3.0.0
  // B re-reads the environment's pointer once its cached one is a second old (runtime/resolver.ts).
  await new Promise((r) => setTimeout(r, 1100));
  const ran = await b.fetch(`/v1/skills/${ref}/executions`, json({ input: { metadata: { n: 1 } } }));
  const text = await ran.text();
  assert.equal(ran.status, 503, text);
  const { error } = JSON.parse(text) as { error: { code: string; message: string } };
  assert.equal(error.code, 'UNAVAILABLE');
  assert.ok(error.message.includes(s3.endpoint), error.message);
});

test('a platform whose S3 store is down does not start: UNAVAILABLE naming the endpoint, not a stack', async () => {
  const dead = await deadEndpoint();
  const started = Date.now();
  await assert.rejects(
    tempPlatform({
      databaseUrl: PG_URL,
      databaseSchema: schema,
      env: { ASPORA_STORE_URL: STORE_URL, ...s3.env(dead) },
    }),
    (e: unknown) => {
      assert.ok(e instanceof AsporaError, String(e));
      assert.equal(e.code, 'UNAVAILABLE');
      assert.ok(e.message.includes(dead), e.message);
      assert.doesNotMatch(e.message, /\n\s+at /);
      return true;
    },
  );
  assert.ok(Date.now() - started < 15_000, 'in seconds, not at a TCP timeout');
});
