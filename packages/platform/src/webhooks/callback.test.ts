/** Callback URLs: only where the trigger allows; the POST signed, bounded, and refused at private addresses. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { ExecutionRecord } from '../observe/executions.ts';
import { callbackBody, callbackDeliverer, callbackUrl, MAX_CALLBACK_BYTES } from './callback.ts';

test('callbackUrl: the trigger’s URL, or the payload’s under the trigger’s prefix, never another', () => {
  assert.equal(callbackUrl(undefined, undefined), null);
  assert.throws(() => callbackUrl(undefined, 'https://evil.test/'), /names no callback/);
  assert.equal(callbackUrl('https://hooks.example.com/r', undefined), 'https://hooks.example.com/r');
  assert.equal(
    callbackUrl('https://hooks.example.com/r', 'https://hooks.example.com/r'),
    'https://hooks.example.com/r',
  );
  assert.throws(() => callbackUrl('https://hooks.example.com/r', 'https://evil.test/'), /its own callback/);
  const prefix = 'https://hooks.example.com/aspora/*';
  assert.equal(callbackUrl(prefix, undefined), null);
  assert.equal(
    callbackUrl(prefix, 'https://hooks.example.com/aspora/job/42'),
    'https://hooks.example.com/aspora/job/42',
  );
  for (const bad of [
    'https://hooks.example.com.evil.test/aspora/x',
    'https://hooks.example.com/other',
    'http://hooks.example.com/aspora/x',
    'https://user:pw@hooks.example.com/aspora/x',
    'https://hooks.example.com:8443/aspora/x',
    'https://hooks.example.com/aspora/../admin',
    '/aspora/x',
  ])
    assert.throws(() => callbackUrl(prefix, bad), /callback_url/, bad);
  assert.throws(() => callbackUrl(prefix, 42), /not a string/);
});

const execution = (over: Partial<ExecutionRecord> = {}): ExecutionRecord =>
  ({
    id: '3f0c8f8e-5d3a-4c1e-9d59-2f8a4a0f1c2b',
    ref: 'ops/disputes',
    version: '1.0.0',
    trigger: 'alert',
    sourceEventId: 'cko-1',
    success: true,
    error: null,
    result: { success: true, message: 'handled' },
    completedAt: '2026-12-05T10:00:00.000Z',
    ...over,
  }) as ExecutionRecord;

test('callbackBody: the outcome, and no result when it would pass the bound', () => {
  const b = JSON.parse(callbackBody(execution(), new Date(0)));
  assert.deepEqual(
    [b.execution, b.skill, b.status, b.result.message, b.sourceEventId],
    ['3f0c8f8e-5d3a-4c1e-9d59-2f8a4a0f1c2b', 'ops/disputes', 'done', 'handled', 'cko-1'],
  );
  const big = callbackBody(execution({ result: { data: 'x'.repeat(MAX_CALLBACK_BYTES) } }), new Date(0));
  assert.ok(Buffer.byteLength(big) < MAX_CALLBACK_BYTES);
  assert.equal(JSON.parse(big).resultTruncated, true);
});

let server: Server;
let url: string;
const received: Array<{ path: string; headers: Record<string, unknown>; body: string }> = [];
let answers: number[] = [];

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      const status = answers.shift() ?? 200;
      res.writeHead(status, status === 302 ? { location: 'http://127.0.0.1:1/' } : {}).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const secretOf = async () => 'hook-secret';
const target = (path: string) => ({ kind: 'callback', url: `${url}${path}`, secret: 'HOOK', ownerTeam: null });

test('a delivery is signed with the trigger’s secret; 5xx is retried, 4xx and redirects are not', async () => {
  const deliver = callbackDeliverer({ allowPrivate: ['127.0.0.1'], allowHttp: true, timeoutMs: 5000 }, secretOf);
  assert.deepEqual(await deliver(execution(), target('/ok'), 1), { ok: true, status: 200 });
  const got = received.at(-1)!;
  const want = `sha256=${createHmac('sha256', 'hook-secret').update(got.body).digest('hex')}`;
  assert.equal(got.headers['x-aspora-signature'], want);
  assert.equal(got.headers['x-aspora-delivery'], execution().id);
  assert.equal(JSON.parse(got.body).result.message, 'handled');
  answers = [500];
  assert.deepEqual(await deliver(execution(), target('/busy'), 1), {
    ok: false,
    status: 500,
    error: 'the receiver answered 500',
    retry: true,
  });
  answers = [404];
  assert.equal(((await deliver(execution(), target('/gone'), 1)) as { retry: boolean }).retry, false);
  answers = [302];
  const redirected = await deliver(execution(), target('/moved'), 1);
  assert.deepEqual([redirected.ok, (redirected as { retry: boolean }).retry], [false, false]);
  assert.equal(received.filter((r) => r.path === '/').length, 0, 'the redirect was not followed');
});

test('a private address is refused unless callbacks.allow_private names it; http only when allowed', async () => {
  const before = received.length;
  const strict = callbackDeliverer({ allowPrivate: [], allowHttp: true, timeoutMs: 5000 }, secretOf);
  const r = await strict(execution(), target('/private'), 1);
  assert.equal(r.ok, false);
  assert.match((r as { error: string }).error, /loopback/);
  assert.equal((r as { retry: boolean }).retry, false);
  const httpsOnly = callbackDeliverer({ allowPrivate: ['127.0.0.1'], allowHttp: false, timeoutMs: 5000 }, secretOf);
  assert.match(
    ((await httpsOnly(execution(), target('/plain'), 1)) as { error: string }).error,
    /https:\/\/ URLs only/,
  );
  assert.equal(received.length, before, 'nothing reached the receiver');
});
