/**
 * Results back where the work came from: a skill's signed webhook whose trigger names a callback
 * gets each execution's result POSTed there — signed with the trigger's secret, retried through
 * the reply queue after a 500, recorded — and a payload cannot send it anywhere else.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { bundle, jsonInit as json, okJson as ok, tempPlatform } from './helpers.ts';
import { skipUnless } from './tools.ts';
import { until as waitUntil } from './until.ts';

const skip = skipUnless('bubblewrap') ?? false;
let p: Awaited<ReturnType<typeof tempPlatform>>;
let server: Server;
let base: string;
const received: Array<{ path: string; signature: string; body: string }> = [];
/** Statuses the receiver answers, in order (then 200). */
const answers: number[] = [];

const config = (name: string, callback: string) => `skill:
  name: ${name}
  domain: ops
  version: 1.0.0
  description: "Handles ${name} deliveries. Do NOT use for anything else."
runtime:
  language: typescript
  entry_point: code/handler.ts
triggers:
  - type: alert
    sources: [webhook]
    secret: HOOK_SECRET
    callback: ${callback}
permissions:
  secrets: [HOOK_SECRET]
owner_team: ops-team
`;
const HANDLER = `export const handler = async (ctx) => ({ success: true, message: 'handled ' + ctx.input.metadata.alert.id });\n`;

const sign = (body: string) => `sha256=${createHmac('sha256', 'hook-secret').update(body).digest('hex')}`;
const deliver = (name: string, payload: Record<string, unknown>, delivery: string) => {
  const body = JSON.stringify({ title: 'Refund requested', ...payload });
  return fetch(`${p.url}/v1/webhooks/skills/ops/${name}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-aspora-signature': sign(body), 'x-aspora-delivery': delivery },
  });
};

/** Deliveries come within seconds: 20 s is a failure, not a slow machine. */
const until = <T>(what: string, f: () => Promise<T | undefined> | T | undefined) => waitUntil(what, f, 20_000);

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        signature: String(req.headers['x-aspora-signature']),
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(answers.shift() ?? 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  p = await tempPlatform({
    platformYaml: `
callbacks:
  allow_private: ['127.0.0.1']
  allow_http: true
`,
  });
  await ok(p.fetch('/v1/teams', json('POST', { name: 'ops-team' })));
  await ok(p.fetch('/v1/teams/ops-team/secrets/HOOK_SECRET', json('PUT', { value: 'hook-secret' })));
  for (const [name, callback, handler] of [
    ['refunds', `${base}/results`, HANDLER],
    ['per-job', `${base}/jobs/*`, HANDLER],
    ['broken', `${base}/broken`, `export const handler = async () => { throw new Error('ledger unreachable'); };\n`],
  ]) {
    const b = await bundle({
      domain: 'ops',
      name,
      handler,
      extra: { 'aspora.config.yaml': config(name!, callback!) },
    });
    await ok(p.fetch('/v1/bundles', { method: 'POST', body: b, headers: { 'content-type': 'application/gzip' } }));
    await ok(
      p.fetch(`/v1/skills/ops/${name}/deployments`, json('POST', { environment: 'production', version: '1.0.0' })),
    );
  }
});
after(async () => {
  await p?.cleanup();
  server?.close();
});

type Answer = { executions: Array<{ execution: string; existing: boolean }> };

test('the result is POSTed to the trigger’s callback, signed with its secret, once; recorded as delivered', {
  skip,
}, async () => {
  const r = await deliver('refunds', {}, 'refund-1');
  assert.equal(r.status, 202);
  const id = ((await r.json()) as Answer).executions[0]!.execution;
  const got = await until('the callback', () => received.find((x) => JSON.parse(x.body).execution === id));
  assert.equal(got.path, '/results');
  assert.equal(got.signature, sign(got.body), 'verifiable with the trigger’s secret');
  const body = JSON.parse(got.body);
  assert.deepEqual(
    [body.skill, body.status, body.sourceEventId, body.result.message],
    ['ops/refunds', 'done', 'refund-1', 'handled refund-1'],
  );
  const record = await until('the record', async () => {
    const d = await p.replies.record(id);
    return d?.status === 'delivered' ? d : undefined;
  });
  assert.deepEqual([record.kind, record.attempts, record.lastStatus], ['callback', 1, 200]);
  // A redelivery of the webhook runs nothing again, and nothing is sent again.
  const again = (await (await deliver('refunds', {}, 'refund-1')).json()) as Answer;
  assert.equal(again.executions[0]!.existing, true);
  await new Promise((res) => setTimeout(res, 500));
  assert.equal(received.filter((x) => JSON.parse(x.body).execution === id).length, 1);
});

test('a receiver that answers 500 gets the result again on the next attempt', { skip }, async () => {
  answers.push(500);
  const id = ((await (await deliver('refunds', {}, 'refund-2')).json()) as Answer).executions[0]!.execution;
  const record = await until('the retried delivery', async () => {
    const d = await p.replies.record(id);
    return d?.status === 'delivered' ? d : undefined;
  });
  assert.deepEqual([record.attempts, record.lastStatus], [2, 200]);
  const shown = await ok<{ reply?: { status: string; attempts: number } }>(p.fetch(`/v1/executions/${id}`));
  assert.deepEqual([shown.reply?.status, shown.reply?.attempts], ['delivered', 2], 'the execution shows it');
  const posts = received.filter((x) => JSON.parse(x.body).execution === id);
  assert.equal(posts.length, 2, 'the 500, then the 200');
});

test('a prefix lets the signed payload choose under it; anywhere else is a 400 and nothing is queued', {
  skip,
}, async () => {
  const ok202 = await deliver('per-job', { callback_url: `${base}/jobs/77` }, 'job-77');
  assert.equal(ok202.status, 202);
  const id = ((await ok202.json()) as Answer).executions[0]!.execution;
  const got = await until('the callback', () => received.find((x) => JSON.parse(x.body).execution === id));
  assert.equal(got.path, '/jobs/77');
  for (const [delivery, url] of [
    ['evil-1', 'http://169.254.169.254/latest/meta-data/'],
    ['evil-2', `${base}/admin`],
    ['evil-3', `${base.replace('127.0.0.1', 'localhost')}/jobs/1`],
  ]) {
    const r = await deliver('per-job', { callback_url: url }, delivery!);
    assert.equal(r.status, 400, url);
    assert.match(await r.text(), /callback_url/);
    const [n] = await p.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM executions WHERE source_event_id = $1',
      [delivery],
    );
    assert.equal(n!.n, 0, `${delivery}: nothing queued`);
  }
});

test('an execution that fails its last attempt sends its error, once', { skip }, async () => {
  const id = ((await (await deliver('broken', {}, 'broken-1')).json()) as Answer).executions[0]!.execution;
  const got = await until('the callback', () => received.find((x) => JSON.parse(x.body).execution === id));
  const body = JSON.parse(got.body);
  assert.deepEqual([got.path, body.status, body.success], ['/broken', 'error', false]);
  assert.match(body.error.message, /ledger unreachable/);
  const e = await ok<{ status: string; attempts: number }>(p.fetch(`/v1/executions/${id}`));
  assert.deepEqual([e.status, e.attempts], ['dead', 3], 'sent after the last of its attempts, not before');
  await new Promise((res) => setTimeout(res, 300));
  assert.equal(received.filter((x) => JSON.parse(x.body).execution === id).length, 1);
});
