/** Running skills over HTTP: POST …/executions, GET /v1/executions/{id}, listing, tests, and the API token. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bundle, tempPlatform } from './helpers.ts';

type P = Awaited<ReturnType<typeof tempPlatform>>;
let p: P;

const HANDLER = `export const handler = async (ctx) => {
  if (ctx.input.metadata.fail) throw new Error('asked to fail');
  const d = await ctx.tools.read({ path: 'DECISIONS.md' });
  ctx.log.info('checked', { tx: ctx.input.metadata.transactionId });
  return { success: true, message: 'checked ' + ctx.input.metadata.transactionId, data: { decisions: d.trim() }, confidence: 0.8 };
};`;

async function upload(pl: P, b: Buffer, headers: Record<string, string> = {}) {
  const r = await pl.fetch(`/v1/bundles`, {
    method: 'POST',
    body: b,
    headers: { 'content-type': 'application/gzip', ...headers },
  });
  assert.ok(r.ok, await r.text());
  const d = await pl.fetch(`/v1/skills/fraud/block-transaction/deployments`, {
    method: 'POST',
    body: JSON.stringify({ environment: 'production', version: '1.0.0' }),
    headers: { 'content-type': 'application/json', ...headers },
  });
  assert.ok(d.ok, await d.text());
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  p.fetch(`${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });

before(async () => {
  p = await tempPlatform();
  await upload(
    p,
    await bundle({
      handler: HANDLER,
      extra: {
        'tests/unit/a.test.ts': `import { test } from 'node:test'; import assert from 'node:assert/strict'; import { handler } from '../../code/handler.ts'; import { createTestContext } from '@aspora/sdk/testing';
test('checks', async () => { const r = await handler(createTestContext({ input: { metadata: { transactionId: 't1' } }, files: { 'DECISIONS.md': '# D' } })); assert.equal(r.message, 'checked t1'); });`,
      },
    }),
  );
});
after(() => p.cleanup());

describe('executions over HTTP', () => {
  test('POST runs the handler and returns the record with its id; GET reads it back', async () => {
    const res = await post('/v1/skills/fraud/block-transaction/executions', {
      input: { userMessage: 'block payment tx_123', metadata: { transactionId: 'tx_123' } },
    });
    assert.equal(res.status, 200);
    const r = (await res.json()) as Record<string, any>;
    assert.equal(r.success, true);
    assert.deepEqual(r.result, {
      success: true,
      message: 'checked tx_123',
      data: { decisions: '# Decisions' },
      confidence: 0.8,
    });
    assert.match(r.id, /^[0-9a-f-]{36}$/);
    assert.equal(r.version, '1.0.0');
    assert.equal(r.trigger, 'api');
    const back = (await (await p.fetch(`/v1/executions/${r.id}`)).json()) as Record<string, any>;
    assert.equal(back.id, r.id);
    assert.equal(back.completedAt !== null, true);
    assert.deepEqual(
      back.logs.map((l: { msg: string }) => l.msg),
      ['checked'],
    );
  });

  test('a failing handler is a 200 with success false and the error on the record', async () => {
    const r = (await (
      await post('/v1/skills/fraud/block-transaction/executions', { input: { metadata: { fail: true } } })
    ).json()) as Record<string, any>;
    assert.equal(r.success, false);
    assert.equal(r.error.code, 'HANDLER_ERROR');
    assert.match(r.error.message, /asked to fail/);
  });

  test('the list shows recent runs newest first; unknown ids and skills are 404 with a hint', async () => {
    const list = (await (await p.fetch(`/v1/skills/fraud/block-transaction/executions?limit=5`)).json()) as {
      executions: Array<{ startedAt: string }>;
    };
    assert.ok(list.executions.length >= 2);
    assert.ok(list.executions[0]!.startedAt >= list.executions[1]!.startedAt);
    const missing = await p.fetch(`/v1/executions/00000000-0000-4000-8000-000000000000`);
    assert.equal(missing.status, 404);
    const noSkill = await post('/v1/skills/fraud/nope/executions', { input: {} });
    assert.equal(noSkill.status, 404);
    assert.match(((await noSkill.json()) as { error: { hint: string } }).error.hint, /deploy it first/);
    const staging = await post('/v1/skills/fraud/block-transaction/executions', { input: {}, environment: 'staging' });
    assert.equal(staging.status, 409, 'nothing in staging');
  });

  test('a malformed body is a 400 naming the field', async () => {
    const r = await post('/v1/skills/fraud/block-transaction/executions', { input: { metadata: 'not an object' } });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: { message: string } }).error.message, /input\.metadata/);
  });

  test('an input nested too deep is a 400 with the reason, and the skill serves after', async () => {
    const nest = (n: number) => {
      let v: unknown = [];
      for (let i = 1; i < n; i++) v = [v];
      return v;
    };
    // 6,000 deep: refused on the body's text, before it is parsed.
    const deep = await p.fetch(`/v1/skills/fraud/block-transaction/executions`, {
      method: 'POST',
      body: `{"input":{"metadata":{"d":${'['.repeat(6000)}${']'.repeat(6000)}}}}`,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(deep.status, 400);
    assert.match(
      ((await deep.json()) as { error: { message: string } }).error.message,
      /request body is nested deeper than 72 levels/,
    );
    // Just past the input's 64 levels.
    const past = await post('/v1/skills/fraud/block-transaction/executions', { input: { metadata: { d: nest(64) } } });
    assert.equal(past.status, 400);
    assert.match(
      ((await past.json()) as { error: { message: string } }).error.message,
      /the execution input is nested deeper than 64 levels/,
    );
    for (let i = 0; i < 3; i++) {
      const ok = await post('/v1/skills/fraud/block-transaction/executions', {
        input: { metadata: { transactionId: `t${i}` } },
      });
      assert.equal(((await ok.json()) as { success: boolean }).success, true);
    }
  });

  test("POST …/tests runs the deployed version's unit tests in the sandbox", async () => {
    const r = (await (await post('/v1/skills/fraud/block-transaction/tests', {})).json()) as Record<string, any>;
    assert.equal(r.passed, true, r.output);
    assert.equal(r.language, 'typescript');
    assert.match(r.output, /pass 1/);
  });
});

describe('with ASPORA_API_TOKEN set', () => {
  let q: P;
  before(async () => {
    q = await tempPlatform({ apiToken: 'sekret-token-for-tests-0123' });
  });
  after(() => q.cleanup());

  test('requests without the token are 401 with a hint; with it they pass', async () => {
    const no = await fetch(`${q.url}/v1/skills`);
    assert.equal(no.status, 401);
    assert.match(((await no.json()) as { error: { hint: string } }).error.hint, /Authorization: Bearer/);
    const wrong = await q.fetch(`/v1/skills`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    const ok = await q.fetch(`/v1/skills`, { headers: { authorization: 'Bearer sekret-token-for-tests-0123' } });
    assert.equal(ok.status, 200);
    assert.equal((await fetch(`${q.url}/healthz`)).status, 200, 'health stays open for probes');
  });
});
