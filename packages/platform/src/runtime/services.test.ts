/**
 * Host services behind a handler's context: platform APIs (declared in aspora.platform.yaml, auth
 * from the vault, rate limits), WebFetch (allow-list, redirects re-checked), and context.model
 * through the gateway to an OpenAI-compatible provider — including a custom tool the handler
 * exports, called by the model and run in the sandbox. Real HTTP servers on loopback throughout.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startOpenAIStub, type OpenAIStub } from '../../../../tools/openai-stub/src/server.ts';
import { runtimeFixture } from './test-support.ts';

let f: Awaited<ReturnType<typeof runtimeFixture>>;
let api: Server;
let apiUrl: string;
let platformApi: Server;
let platformApiPort: number;
let stub: OpenAIStub;
const seen: Array<{ method: string; url: string; auth: string | undefined; body: string }> = [];

const body = (req: IncomingMessage) =>
  new Promise<string>((r) => {
    let s = '';
    req.on('data', (d) => (s += d));
    req.on('end', () => r(s));
  });

before(async () => {
  api = createServer(async (req, res) => {
    const b = await body(req);
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body: b });
    if (req.url === '/redirect-out') return res.writeHead(302, { location: 'http://example.invalid/x' }).end();
    if (req.url === '/page') return res.writeHead(200, { 'content-type': 'text/plain' }).end('hello page');
    if (req.url?.startsWith('/tx/tx_9/score')) return res.writeHead(500).end('scoring engine down');
    if (req.url?.startsWith('/tx/'))
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(0.93));
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ok: true, got: b ? JSON.parse(b) : null }));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  // Stands in for the platform's own API on loopback: allowed by name, never by address.
  platformApi = createServer((req, res) => {
    seen.push({ method: req.method!, url: `platform-api ${req.url}`, auth: req.headers.authorization, body: '' });
    res.writeHead(200).end('{"skills":[]}');
  });
  await new Promise<void>((r) => platformApi.listen(0, '127.0.0.1', r));
  platformApiPort = (platformApi.address() as AddressInfo).port;
  stub = await startOpenAIStub();
  f = await runtimeFixture({
    env: { ASPORA_MODEL_BASE_URL: stub.url, ASPORA_MODEL_API_KEY: 'provider-key' },
    platformYaml: `
secrets:
  TRM_KEY: { value: trm-123 }
apis:
  trm:
    base_url: ${apiUrl}
    auth: { type: bearer, secret: TRM_KEY }
    methods:
      score: { method: GET, path: "/tx/{id}/score" }
      block: { method: POST, path: /block }
    rate_limit: { per_skill_per_hour: 3 }
web_fetch:
  allow_hosts: ["127.0.0.1:${new URL(apiUrl).port}", "localhost:${platformApiPort}"]
  allow_private: ["127.0.0.1:${new URL(apiUrl).port}"]
`,
  });
});
after(async () => {
  await f.close();
  await stub.close();
  await new Promise((r) => api.close(r));
  await new Promise((r) => platformApi.close(r));
});

const run = (ref: string, metadata: Record<string, unknown> = {}) =>
  f.runtime.run({ ref, input: { userMessage: 'x', metadata } });

describe('platform APIs', () => {
  test('the host calls the declared method with the vault credential; the handler never sees it', async () => {
    await f.deploy({
      name: 'scorer',
      permissions: '  apis: [trm]',
      handler: `export const handler = async (ctx) => {
        const score = await ctx.apis.trm.score({ id: ctx.input.metadata.id, verbose: true });
        const blocked = await ctx.apis.trm.block({ id: ctx.input.metadata.id, reason: 'high' });
        return { success: true, message: 'ok', data: { score, blocked, secrets: Object.keys(ctx.secrets) } };
      };`,
    });
    seen.length = 0;
    const r = await run('test/scorer', { id: 'tx_1' });
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.deepEqual((r.result as { data: unknown }).data, {
      score: 0.93,
      blocked: { ok: true, got: { id: 'tx_1', reason: 'high' } },
      secrets: [],
    });
    assert.equal(seen[0]!.url, '/tx/tx_1/score?verbose=true');
    assert.equal(seen[0]!.auth, 'Bearer trm-123');
    assert.equal(seen[1]!.method, 'POST');
  });

  test('an upstream failure is a typed error with the status; an unknown method is NOT_FOUND', async () => {
    await f.deploy({
      name: 'upstream',
      permissions: '  apis: [trm]',
      handler: `export const handler = async (ctx) => {
        const out = {};
        for (const [k, fn] of Object.entries({ down: () => ctx.apis.trm.score({ id: 'tx_9' }), nomethod: () => ctx.apis.trm.nope({}), noarg: () => ctx.apis.trm.score({}) })) {
          try { await fn(); out[k] = 'ok'; } catch (e) { out[k] = e.code + ' ' + e.message; }
        }
        return { success: true, message: 'ok', data: out };
      };`,
    });
    const d = (await run('test/upstream')).result as { data: Record<string, string> };
    assert.match(d.data.down!, /^UPSTREAM_ERROR api trm.score answered 500: scoring engine down/);
    assert.match(d.data.nomethod!, /^NOT_FOUND api trm has no method nope/);
    assert.match(d.data.noarg!, /^BAD_REQUEST skill test\/upstream: api trm.score: argument id/);
  });

  test('per skill per hour: the 4th call is RATE_LIMITED with the rule and when to retry', async () => {
    await f.deploy({
      name: 'hammer',
      permissions: '  apis: [trm]',
      handler: `export const handler = async (ctx) => {
        const out = [];
        for (let i = 0; i < 4; i++) { try { await ctx.apis.trm.block({ i }); out.push('ok'); } catch (e) { out.push(e.code + ': ' + e.message); } }
        return { success: true, message: 'ok', data: { out } };
      };`,
    });
    const out = ((await run('test/hammer')).result as { data: { out: string[] } }).data.out;
    assert.deepEqual(out.slice(0, 3), ['ok', 'ok', 'ok']);
    assert.match(
      out[3]!,
      /^RATE_LIMITED: skill test\/hammer: api trm allows 3 calls per skill per hour; try again in \d+ s/,
    );
  });

  test('an API the skill does not declare is denied before anything is sent', async () => {
    await f.deploy({
      name: 'nosy',
      permissions: '  tools: [Read]',
      handler: `export const handler = async (ctx) => { await ctx.apis.trm.block({}); return { success: true, message: 'sent' }; };`,
    });
    seen.length = 0;
    const r = await run('test/nosy');
    assert.equal(r.error?.code, 'PERMISSION_DENIED');
    assert.deepEqual(r.error?.details, {
      skill: 'test/nosy',
      role: null,
      resource: 'api trm',
      rule: 'not in permissions.apis',
    });
    assert.equal(seen.length, 0);
  });
});

describe('WebFetch', () => {
  test('allowed hosts are fetched by the host; a redirect to another host is denied', async () => {
    await f.deploy({
      name: 'fetcher',
      permissions: '  tools: [WebFetch]',
      handler: `export const handler = async (ctx) => {
        const page = await ctx.tools.webFetch({ url: ${JSON.stringify(apiUrl)} + '/page' });
        let redirect; try { await ctx.tools.webFetch({ url: ${JSON.stringify(apiUrl)} + '/redirect-out' }); redirect = 'followed'; } catch (e) { redirect = e.code + ' ' + e.details?.resource; }
        let other; try { await ctx.tools.webFetch({ url: 'http://10.0.0.1/' }); other = 'fetched'; } catch (e) { other = e.code + ' ' + e.details?.rule; }
        return { success: true, message: 'ok', data: { status: page.status, body: page.body, redirect, other } };
      };`,
    });
    const d = ((await run('test/fetcher')).result as { data: Record<string, unknown> }).data;
    assert.deepEqual(d, {
      status: 200,
      body: 'hello page',
      redirect: 'PERMISSION_DENIED host example.invalid',
      other: "PERMISSION_DENIED not in the platform's WebFetch allow-list",
    });
  });

  test('a name in the allow-list that resolves to loopback is refused at connect time, in the handler, and nothing is sent', async () => {
    await f.deploy({
      name: 'loopback-fetcher',
      permissions: '  tools: [WebFetch]',
      handler: `export const handler = async (ctx) => {
        const out = [];
        for (const url of ['http://localhost:${platformApiPort}/v1/skills', 'http://2130706433:${platformApiPort}/', 'http://[::ffff:127.0.0.1]:${platformApiPort}/']) {
          try { await ctx.tools.webFetch({ url }); out.push('fetched'); } catch (e) { out.push(e.code + ' ' + e.details?.rule); }
        }
        return { success: true, message: 'ok', data: { out } };
      };`,
    });
    seen.length = 0;
    const r = await run('test/loopback-fetcher');
    assert.equal(r.error, null, JSON.stringify(r.error));
    const d = (r.result as { data: { out: string[] } }).data.out;
    assert.deepEqual(d, [
      'PERMISSION_DENIED loopback; WebFetch connects to public addresses only',
      "PERMISSION_DENIED not in the platform's WebFetch allow-list",
      "PERMISSION_DENIED not in the platform's WebFetch allow-list",
    ]);
    assert.deepEqual(seen, []);
  });
});

describe('context.model through the gateway', () => {
  test('a chat call is priced, attributed and recorded with the execution', async () => {
    await f.deploy({
      name: 'chatty',
      handler: `export const handler = async (ctx) => { const a = await ctx.model.chat({ messages: [{ role: 'user', content: 'hello there' }], taskType: 'classification' }); return { success: true, message: a.content, data: { model: a.model, usage: a.usage } }; };`,
    });
    stub.reset();
    const r = await run('test/chatty');
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal((r.result as { message: string }).message, 'stub reply to: hello there');
    assert.equal(stub.chatRequests[0]!.model, 'anthropic/claude-haiku-4-5', 'classification goes to the cheap model');
    assert.equal(stub.chatRequests[0]!.headers.authorization, 'Bearer provider-key');
    // The default provider is OpenRouter's slot (ASPORA_MODEL_BASE_URL moved it): its attribution headers go along.
    assert.equal(stub.chatRequests[0]!.headers['http-referer'], 'https://aspora.dev');
    assert.equal(stub.chatRequests[0]!.headers['x-title'], 'Aspora Skills Platform');
    assert.equal(r.model.calls, 1);
    assert.ok(r.model.promptTokens > 0 && r.model.cost > 0);
    await f.runtime.recorder.drain(); // rows reach the database just after the answer
    const rows = await f.db.query<{ model: string; ok: boolean; is_fallback: boolean }>(
      'SELECT model, ok, is_fallback FROM model_calls WHERE execution_id = $1',
      [r.id],
    );
    assert.deepEqual(rows, [{ model: 'anthropic/claude-haiku-4-5', ok: true, is_fallback: false }]);
    assert.deepEqual(r.model.providers, ['openrouter'], 'the record names who answered');
    assert.deepEqual(
      (await f.runtime.listExecutions({ ref: 'test/chatty', limit: 1 }))[0]!.model.providers,
      ['openrouter'],
      'and so does the stored record',
    );
  });

  test('when the primary keeps failing the fallback answers, and every call is on record', async () => {
    await f.deploy({
      name: 'fallback',
      handler: `export const handler = async (ctx) => { const a = await ctx.model.chat({ messages: [{ role: 'user', content: 'hi' }], model: 'gpt-4o' }); return { success: true, message: a.model }; };`,
    });
    stub.reset();
    const undo = stub.behave('openai/gpt-4o', { status: 503 });
    const r = await run('test/fallback');
    undo();
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal((r.result as { message: string }).message, 'anthropic/claude-sonnet-4-5');
    await f.runtime.recorder.drain(); // rows reach the database just after the answer
    const rows = await f.db.query<{
      requested_model: string;
      ok: boolean;
      is_fallback: boolean;
      error_code: string | null;
    }>('SELECT requested_model, ok, is_fallback, error_code FROM model_calls WHERE execution_id = $1 ORDER BY id', [
      r.id,
    ]);
    // Two retries of the primary (jittered backoff), then the platform default.
    const failed = { requested_model: 'gpt-4o', ok: false, is_fallback: false, error_code: 'UPSTREAM_ERROR' };
    assert.deepEqual(rows, [
      failed,
      failed,
      failed,
      { requested_model: 'claude-sonnet-4-5', ok: true, is_fallback: true, error_code: null },
    ]);
  });

  test('the model calls a custom tool the handler exports; it runs in the sandbox with the skill permissions', async () => {
    await f.deploy({
      name: 'tooluser',
      permissions: '  tools: [Read]',
      handler: `export const tools = {
        firstLine: { description: 'First line of a file of the skill', parameters: { type: 'object', properties: { path: { type: 'string' } } },
          run: async ({ path }, ctx) => (await ctx.tools.read({ path })).split('\\n')[0] },
      };
      export const handler = async (ctx) => {
        const a = await ctx.model.chat({ messages: [{ role: 'user', content: 'use firstLine {"path":"DECISIONS.md"}' }], tools: true });
        return { success: true, message: a.content };
      };`,
    });
    stub.reset();
    const r = await run('test/tooluser');
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal((r.result as { message: string }).message, 'tool said: # Decisions');
    assert.equal(r.model.calls, 2);
    assert.deepEqual(stub.chatRequests[0]!.body.tools, [
      {
        type: 'function',
        function: {
          name: 'firstLine',
          description: 'First line of a file of the skill',
          parameters: { type: 'object', properties: { path: { type: 'string' } } },
        },
      },
    ]);
  });

  test('a malformed request is BAD_REQUEST naming the field', async () => {
    await f.deploy({
      name: 'badchat',
      handler: `export const handler = async (ctx) => { await ctx.model.chat({ messages: [] }); return { success: true, message: 'x' }; };`,
    });
    const r = await run('test/badchat');
    assert.equal(r.error?.code, 'BAD_REQUEST');
    assert.match(r.error!.message, /messages: at least one message/);
  });
});
