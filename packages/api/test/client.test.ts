/** The client's handling of what comes back: typed errors from error bodies, unreachable servers, paths and queries. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, createClient } from '../src/client.ts';

let server: Server;
let url = '';
const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '{}' };

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('a route function fills the path, the query and the body from its schemas, with token and actor', async () => {
  answer = {
    status: 200,
    type: 'application/json',
    body: JSON.stringify({
      id: 1,
      ref: 'fraud/x',
      environment: 'staging',
      version: '1.0.0',
      previousVersion: null,
      action: 'deploy',
      actor: 'ana',
      createdAt: 'now',
      changed: true,
    }),
  };
  const c = createClient({ url: `${url}/`, token: 't0k', actor: 'ana' });
  const d = await c.deploy({
    params: { domain: 'fraud', name: 'x' },
    body: { environment: 'staging', version: '1.0.0' },
  });
  assert.equal(d.changed, true);
  const r = seen.at(-1)!;
  assert.equal(r.method, 'POST');
  assert.equal(r.url, '/v1/skills/fraud/x/deployments');
  assert.deepEqual(JSON.parse(r.body), { environment: 'staging', version: '1.0.0' });
  assert.equal(r.headers.authorization, 'Bearer t0k');
  assert.equal(r.headers['x-aspora-actor'], 'ana');
  answer = { status: 200, type: 'application/json', body: '{"skills":[]}' };
  await c.listSkills({ query: { domain: 'ecm', role: undefined, limit: 5 } });
  assert.equal(seen.at(-1)!.url, '/v1/skills?domain=ecm&limit=5');
  // A path parameter is encoded: it cannot add a path segment.
  answer = { status: 404, type: 'application/json', body: '{"error":{"code":"NOT_FOUND","message":"no"}}' };
  await assert.rejects(c.getExecution({ params: { id: '../../healthz' } }), ApiError);
  assert.equal(seen.at(-1)!.url, '/v1/executions/..%2F..%2Fhealthz');
});

test('an error body becomes an ApiError with its code, hint, issues and status', async () => {
  answer = {
    status: 422,
    type: 'application/json',
    body: JSON.stringify({
      error: {
        code: 'BUNDLE_INVALID',
        message: 'bad skill',
        hint: 'fix it',
        issues: [{ file: 'aspora.config.yaml', line: 3, message: 'nope' }],
      },
    }),
  };
  const c = createClient({ url });
  await assert.rejects(c.publishBundle({ body: new Uint8Array([1, 2, 3]) }), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.deepEqual([e.code, e.status, e.hint, e.issues[0]?.line], ['BUNDLE_INVALID', 422, 'fix it', 3]);
    return true;
  });
  assert.equal(seen.at(-1)!.headers['content-type'], 'application/gzip');
  answer = { status: 502, type: 'text/html', body: '<html>bad gateway</html>' };
  await assert.rejects(
    c.health(),
    (e: unknown) =>
      e instanceof ApiError && e.code === 'UNAVAILABLE' && e.status === 502 && /Aspora platform/.test(e.hint ?? ''),
  );
});

test('checkResponses refuses an answer outside the contract', async () => {
  answer = { status: 200, type: 'application/json', body: '{"status":"maybe"}' };
  await assert.rejects(
    createClient({ url, checkResponses: true }).health(),
    (e: unknown) => e instanceof ApiError && e.code === 'PROTOCOL_ERROR' && /status/.test(e.message),
  );
  assert.deepEqual(await createClient({ url }).health(), { status: 'maybe' }, 'not checked unless asked');
});

test('text and event-stream routes: YAML as text, log lines as they come (CRLF framing too)', async () => {
  answer = { status: 200, type: 'application/yaml', body: '- description: x\n' };
  const c = createClient({ url });
  assert.equal(await c.exportFeedback({ params: { domain: 'fraud', name: 'x' } }), '- description: x\n');
  const line = (msg: string) =>
    JSON.stringify({ level: 'info', msg, source: 'handler', executionId: 'e', ref: 'fraud/x', at: 'now' });
  answer = {
    status: 200,
    type: 'text/event-stream',
    body: `event: log\r\ndata: ${line('one')}\r\n\r\n: keep-alive\r\n\r\nevent: log\ndata: ${line('two')}\n\n`,
  };
  const got: string[] = [];
  for await (const l of c.followLogs({ params: { domain: 'fraud', name: 'x' }, query: { since: '1h' } }))
    got.push(l.msg);
  assert.deepEqual(got, ['one', 'two']);
  assert.equal(seen.at(-1)!.url, '/v1/skills/fraud/x/logs?since=1h&follow=true');
});

test('a server that is not there is UNAVAILABLE, with what to do', async () => {
  await assert.rejects(
    createClient({ url: 'http://127.0.0.1:9' }).listSkills(),
    (e: unknown) =>
      e instanceof ApiError &&
      e.code === 'UNAVAILABLE' &&
      /127\.0\.0\.1:9/.test(e.message) &&
      /aspora up/.test(e.hint ?? ''),
  );
});
