/**
 * The gateway over HTTP, driven by the official `openai` client exactly as any OpenAI user would
 * (base URL http://<platform>/v1, the platform token as its key), against the local
 * OpenAI-compatible stub as the provider: completions streamed and not, tools, embeddings, models,
 * fallback before the first token, retries with Retry-After, the circuit breaker, the deadline,
 * routing rules, the cache, rate limits, errors in OpenAI's shape, and fault injection.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startOpenAIStub, type OpenAIStub } from '../../../../tools/openai-stub/src/server.ts';
import { bundle, tempPlatform } from '../../test/helpers.ts';

let stub: OpenAIStub;
let p: Awaited<ReturnType<typeof tempPlatform>>;
let client: OpenAI;
const TOKEN = 'platform-token-for-tests-0123';

const yaml = (stubUrl: string) => `
secrets:
  STUB_KEY: { value: stub-key }
providers:
  stub: { base_url: ${stubUrl}, api_key_secret: STUB_KEY, timeout: 5s }
models:
  fast: { provider: stub, id: openai/gpt-4o-mini, price: { prompt: 0.15, completion: 0.6 } }
  smart: { provider: stub, id: anthropic/claude-sonnet-4-5, price: { prompt: 3, completion: 15 } }
  flaky: { provider: stub, id: openai/gpt-4o, price: { prompt: 2.5, completion: 10 } }
  slow: { provider: stub, id: slow/model, price: { prompt: 1, completion: 1 } }
gateway:
  default_provider: stub
  default_model: smart
  retries: 2
  deadline: 3s
  circuit_breaker: { failures: 5, cooldown: 60s }
cost_optimization:
  auto_downgrade:
    enabled: true
    rules:
      - if: task.type == 'classification'
        use: fast
  rate_limits: { per_skill_per_hour: 40, per_domain_per_day: 100000, per_platform_per_month: 1000000 }
  caching: { enabled: true, ttl: 60 }
`;

before(async () => {
  stub = await startOpenAIStub();
  p = await tempPlatform({ apiToken: TOKEN, platformYaml: yaml(stub.url) });
  client = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: TOKEN, maxRetries: 0 });
  // A skill whose limits and preferences apply when a client names it.
  await p.fetch(`/v1/bundles`, {
    method: 'POST',
    body: await bundle({ name: 'limited' }),
    headers: { 'content-type': 'application/gzip', authorization: `Bearer ${TOKEN}` },
  });
});
after(async () => {
  await p.cleanup();
  await stub.close();
});

const skill = { headers: { 'X-Aspora-Skill': 'fraud/limited' } };

describe('an OpenAI client, unchanged', () => {
  test('a completion: the stub answers through the gateway, with usage and cost headers', async () => {
    stub.reset();
    const { data, response } = await client.chat.completions
      .create({ model: 'fast', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    assert.equal(data.choices[0]!.message.content, 'stub reply to: hello');
    assert.equal(data.model, 'openai/gpt-4o-mini');
    assert.ok(data.usage!.prompt_tokens > 0);
    assert.equal(response.headers.get('x-aspora-provider'), 'stub');
    assert.ok(Number(response.headers.get('x-aspora-cost')) > 0);
    assert.equal(
      stub.chatRequests[0]!.headers.authorization,
      'Bearer stub-key',
      'the provider key, not the platform token',
    );
  });

  test('a stream arrives chunk by chunk with usage in the last chunk when asked for', async () => {
    const stream = await client.chat.completions.create({
      model: 'fast',
      messages: [{ role: 'user', content: 'stream this please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const c of stream) {
      chunks++;
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    assert.equal(text, 'stub reply to: stream this please');
    assert.ok(chunks > 2);
    assert.ok(usage && usage.completion_tokens > 0);
  });

  test('a stream without include_usage carries no usage chunk (the gateway still meters it)', async () => {
    const stream = await client.chat.completions.create({
      model: 'fast',
      messages: [{ role: 'user', content: 'no usage' }],
      stream: true,
    });
    for await (const c of stream) assert.equal(c.usage ?? undefined, undefined);
    assert.equal(stub.chatRequests.at(-1)!.body.stream_options?.include_usage, true, 'asked of the provider');
  });

  test('tools: the model asks for one, the client answers, the model replies', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'double', parameters: { type: 'object', properties: { x: { type: 'number' } } } },
      },
    ];
    const first = await client.chat.completions.create({
      model: 'fast',
      messages: [{ role: 'user', content: 'use double {"x":21}' }],
      tools,
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    assert.equal(call.type === 'function' && call.function.name, 'double');
    const second = await client.chat.completions.create({
      model: 'fast',
      tools,
      messages: [
        { role: 'user', content: 'use double {"x":21}' },
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: '{"y":42}' },
      ],
    });
    assert.equal(second.choices[0]!.message.content, 'tool said: {"y":42}');
  });

  test('embeddings and the model list', async () => {
    const e = await client.embeddings.create({ model: 'fast', input: ['block a payment', 'refund'] });
    assert.equal(e.data.length, 2);
    const models = await client.models.list();
    const ids = models.data.map((m) => m.id);
    for (const id of ['fast', 'smart', 'claude-haiku-4-5']) assert.ok(ids.includes(id), id);
  });

  test('without the platform token: 401 in OpenAI shape', async () => {
    const anon = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await assert.rejects(
      anon.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] }),
      (e: unknown) => e instanceof OpenAI.AuthenticationError && e.status === 401,
    );
  });

  test('an unknown model name is a 400 model_not_found with the nearest name, before anything is sent or billed', async () => {
    stub.reset();
    const res = await p.fetch(`/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        'x-aspora-skill': 'fraud/limited',
      },
      body: JSON.stringify({ model: 'fsat', messages: [{ role: 'user', content: 'typo' }] }),
    });
    assert.equal(res.status, 400);
    const { error } = (await res.json()) as { error: { message: string; type: string; param: string; code: string } };
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.param, 'model');
    assert.equal(error.code, 'model_not_found');
    assert.match(error.message, /unknown model "fsat"; did you mean "fast"\?/);
    await assert.rejects(
      client.chat.completions.create({
        model: 'no/such-model',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
      }),
      OpenAI.BadRequestError,
    );
    assert.equal(stub.chatRequests.length, 0, 'nothing reached the provider');
  });

  test('malformed requests and unknown models are OpenAI-style errors; the gateway stays up', async () => {
    const bad = await p.fetch(`/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fast', messages: [] }),
    });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { error: { message: string; type: string; param: string } };
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /messages must have at least one message/);
    const notJson = await p.fetch(`/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{nope',
    });
    assert.equal(notJson.status, 400);
    const huge = await p.fetch(`/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: 'x'.repeat(16 * 1024 * 1024 + 1),
    });
    assert.equal(huge.status, 413);
    assert.equal(((await huge.json()) as { error: { code: string } }).error.code, 'request_too_large');
    // The same without a content-length (chunked): refused once the limit is read, not buffered on.
    let sent = 0;
    const mib = new Uint8Array(1024 * 1024).fill(120);
    const endless = await p.fetch(`/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: new ReadableStream({ pull: (ctl) => (sent++ < 64 ? ctl.enqueue(mib) : ctl.close()) }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(endless.status, 413);
    assert.equal(((await endless.json()) as { error: { code: string } }).error.code, 'request_too_large');
    // A chunked body (no content-length), in pieces: read whole, then parsed.
    const pieces = [JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'in pieces' }] })].flatMap(
      (t) => [t.slice(0, 10), t.slice(10)],
    );
    const chunked = await p.fetch(`/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        pull: (ctl) => (pieces.length ? ctl.enqueue(new TextEncoder().encode(pieces.shift())) : ctl.close()),
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 200);
    assert.equal(
      ((await chunked.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content,
      'stub reply to: in pieces',
    );
    const strict = await startOpenAIStub({ models: ['only/this'] });
    const q = await tempPlatform({ platformYaml: yaml(strict.url) });
    try {
      const c = new OpenAI({ baseURL: `${q.url}/v1`, apiKey: q.token, maxRetries: 0 });
      // A name the gateway knows that the provider does not serve: the provider's 404, not another model.
      await assert.rejects(
        c.chat.completions.create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
        (e: unknown) => e instanceof OpenAI.NotFoundError && /model/.test(e.message),
      );
    } finally {
      await q.cleanup();
      await strict.close();
    }
    assert.equal(
      (await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'still up' }] }))
        .choices[0]!.message.content,
      'stub reply to: still up',
    );
  });
});

describe('fallback, retries, breaker, deadline', () => {
  test('a failing primary falls back to the platform default; the answer says which model served', async () => {
    stub.reset();
    stub.behave('openai/gpt-4o', { status: 503 });
    const { data, response } = await client.chat.completions
      .create({ model: 'flaky', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    assert.equal(data.model, 'anthropic/claude-sonnet-4-5');
    assert.equal(response.headers.get('x-aspora-model'), 'smart');
    assert.equal(stub.requestsByModel['openai/gpt-4o'], 3, 'tried, then retried twice');
  });

  test('a stream falls back before its first token; a stream broken after it reaches the client', async () => {
    stub.reset();
    stub.behave('openai/gpt-4o', { status: 502 });
    const s = await client.chat.completions.create({
      model: 'flaky',
      messages: [{ role: 'user', content: 'fall back' }],
      stream: true,
    });
    let text = '';
    for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'stub reply to: fall back');
    stub.reset();
    stub.behave('openai/gpt-4o-mini', { malformed: true });
    await assert.rejects(async () => {
      const broken = await client.chat.completions.create({
        model: 'fast',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
      });
      for await (const _ of broken) void _;
    });
  });

  test('a provider framing its stream with CRLF or CR: the first token reaches the client long before the stream ends', async () => {
    for (const framing of ['crlf', 'cr'] as const) {
      stub.reset();
      // Eight events 120 ms apart: the first content is the second event, the stream ends ~840 ms in.
      stub.behave('openai/gpt-4o-mini', { framing, chunkDelayMs: 120 });
      const t0 = performance.now();
      const s = await client.chat.completions.create({
        model: 'fast',
        messages: [{ role: 'user', content: 'frame me' }],
        stream: true,
      });
      let firstAt = 0;
      let text = '';
      for await (const c of s) {
        const piece = c.choices[0]?.delta?.content ?? '';
        if (piece && !firstAt) firstAt = performance.now() - t0;
        text += piece;
      }
      const total = performance.now() - t0;
      assert.equal(text, 'stub reply to: frame me', framing);
      assert.ok(
        firstAt > 0 && firstAt < total / 2,
        `${framing}: first token at ${firstAt.toFixed(0)} ms of ${total.toFixed(0)} ms`,
      );
    }
  });

  // A stream that ends before its first token is sse.test.ts's; here the gateway around it, over CRLF.
  test('CRLF framing: a failing model falls back to one streaming CRLF; a stream broken after its first token reaches the client', async () => {
    stub.reset();
    stub.behave('*', { framing: 'crlf' });
    stub.behave('openai/gpt-4o', { status: 502 });
    const s = await client.chat.completions.create({
      model: 'flaky',
      messages: [{ role: 'user', content: 'fall back' }],
      stream: true,
    });
    let text = '';
    for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'stub reply to: fall back', 'served by the fallback model');
    stub.reset();
    stub.behave('*', { framing: 'crlf' });
    stub.behave('openai/gpt-4o-mini', { malformed: true });
    let got = '';
    await assert.rejects(async () => {
      const broken = await client.chat.completions.create({
        model: 'fast',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
      });
      for await (const c of broken) got += c.choices[0]?.delta?.content ?? '';
    });
    assert.equal(got, 'stub', 'the first token was streamed before the break, so no other model was tried');
    assert.equal(stub.requestsByModel['anthropic/claude-sonnet-4-5'] ?? 0, 0);
  });

  test('a client that leaves mid-stream: the provider stream stops at once, and the call is on record', async () => {
    stub.reset();
    // Ten chunks 150 ms apart: 1.5 s to stream in full, half the 3 s deadline.
    stub.behave('anthropic/claude-sonnet-4-5', { chunkDelayMs: 150 });
    const ctl = new AbortController();
    const res = await p.fetch(`/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        'x-aspora-skill': 'fraud/limited',
      },
      body: JSON.stringify({
        model: 'smart',
        stream: true,
        messages: [{ role: 'user', content: 'one two three four five six seven eight' }],
      }),
      signal: ctl.signal,
    });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /"content":"stub/);
    const left = Date.now();
    ctl.abort();
    for (let i = 0; i < 40 && stub.abandonedStreams === 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(stub.abandonedStreams, 1, 'the provider saw its client go');
    assert.ok(Date.now() - left < 600, `the provider stream stopped ${Date.now() - left} ms after the client left`);
    await new Promise((r) => setTimeout(r, 50));
    await p.modelCalls.flush();
    const rows = await p.db.query<{ estimated: boolean; completion_tokens: number }>(
      `SELECT m.estimated, m.completion_tokens FROM model_calls m JOIN skills s ON s.id = m.skill_id WHERE s.name = 'limited' AND m.model = 'anthropic/claude-sonnet-4-5' ORDER BY m.id DESC LIMIT 1`,
    );
    assert.equal(rows.length, 1, 'metered by what it streamed');
    assert.equal(rows[0]!.estimated, true);
    assert.ok(rows[0]!.completion_tokens > 0);
  });

  test('429 with Retry-After: the gateway waits as long as asked, then succeeds', async () => {
    stub.reset();
    stub.behave('openai/gpt-4o-mini', { status: 429, retryAfterSeconds: 1, times: 1 });
    const t = Date.now();
    const r = await client.chat.completions.create({
      model: 'fast',
      messages: [{ role: 'user', content: 'patience' }],
    });
    assert.equal(r.choices[0]!.message.content, 'stub reply to: patience');
    assert.ok(Date.now() - t >= 900, `waited ${Date.now() - t} ms`);
  });

  test('after 5 failures in a row the circuit opens: the primary is skipped at once', async () => {
    stub.reset();
    stub.behave('openai/gpt-4o', { status: 500 });
    await client.chat.completions.create({ model: 'flaky', messages: [{ role: 'user', content: 'a' }] }); // 3 failures
    await client.chat.completions.create({ model: 'flaky', messages: [{ role: 'user', content: 'b' }] }); // 5 → open
    const before = stub.requestsByModel['openai/gpt-4o'] ?? 0;
    const r = await client.chat.completions.create({ model: 'flaky', messages: [{ role: 'user', content: 'c' }] });
    assert.equal(r.model, 'anthropic/claude-sonnet-4-5');
    assert.equal(stub.requestsByModel['openai/gpt-4o'] ?? 0, before, 'not even tried');
    const stats = (await (
      await p.fetch(`/v1/gateway/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { openCircuits: string[] };
    assert.ok(stats.openCircuits.includes('stub/openai/gpt-4o'));
  });

  test('a provider slower than the deadline is a timeout, in OpenAI shape', async () => {
    stub.reset();
    stub.behave('*', { delayMs: 5000 });
    const t = Date.now();
    await assert.rejects(
      client.chat.completions.create({ model: 'slow', messages: [{ role: 'user', content: 'x' }] }),
      (e: unknown) => e instanceof OpenAI.APIError && (e.status === 504 || e.status === 502),
    );
    assert.ok(Date.now() - t < 4500, `gave up after ${Date.now() - t} ms (deadline 3 s)`);
    stub.reset();
  });

  test('fault injection: with the primary failing 30 % of calls, ≥ 99.9 % of 1,000 requests succeed', async () => {
    const q = await tempPlatform({
      platformYaml: yaml(stub.url)
        .replace(
          'circuit_breaker: { failures: 5, cooldown: 60s }',
          'circuit_breaker: { failures: 1000, cooldown: 60s }',
        )
        .replace('per_skill_per_hour: 40', 'per_skill_per_hour: 100000'),
    });
    try {
      stub.reset();
      stub.behave('openai/gpt-4o', { failRate: 0.3, seed: 7 });
      const c = new OpenAI({ baseURL: `${q.url}/v1`, apiKey: q.token, maxRetries: 0 });
      let ok = 0;
      for (let batch = 0; batch < 20; batch++) {
        const rs = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) =>
            c.chat.completions.create({ model: 'flaky', messages: [{ role: 'user', content: `n${batch}-${i}` }] }),
          ),
        );
        ok += rs.filter((r) => r.status === 'fulfilled').length;
      }
      assert.ok(ok >= 999, `${ok} of 1000 succeeded`);
      assert.ok((stub.requestsByModel['openai/gpt-4o'] ?? 0) > 1000, 'the primary did fail and was retried');
    } finally {
      stub.reset();
      await q.cleanup();
    }
  });
});

describe('routing, cache, limits', () => {
  test('model "auto" with a classification task goes to the rule\'s cheap model', async () => {
    stub.reset();
    const r = await client.chat.completions.create(
      { model: 'auto', messages: [{ role: 'user', content: 'is this spam?' }] },
      { headers: { 'X-Aspora-Task-Type': 'classification' } },
    );
    assert.equal(r.model, 'openai/gpt-4o-mini');
    const d = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'plan my week' }],
    });
    assert.equal(d.model, 'anthropic/claude-sonnet-4-5', 'no rule matched: the platform default');
  });

  test('the same temperature-0 request of a skill is answered from the cache; temperature > 0 is not', async () => {
    stub.reset();
    const ask = (temperature: number) =>
      client.chat.completions
        .create({ model: 'fast', temperature, messages: [{ role: 'user', content: 'cache me' }] }, skill)
        .withResponse();
    const a = await ask(0);
    const b = await ask(0);
    assert.equal(a.response.headers.get('x-aspora-cache'), 'miss');
    assert.equal(b.response.headers.get('x-aspora-cache'), 'hit');
    assert.equal(b.response.headers.get('x-aspora-cost'), '0.000000');
    assert.deepEqual(b.data.choices, a.data.choices);
    await ask(0.7);
    await ask(0.7);
    assert.equal(stub.chatRequests.length, 3, 'one for temperature 0, two for 0.7');
  });

  test('per skill per hour: the call past the limit is 429 with Retry-After and the rule', async () => {
    let limited: unknown;
    for (let i = 0; i < 45 && !limited; i++) {
      try {
        await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: `n${i}` }] }, skill);
      } catch (e) {
        limited = e;
      }
    }
    assert.ok(limited instanceof OpenAI.RateLimitError, String(limited));
    assert.ok(Number(limited.headers?.get('retry-after')) > 0);
    assert.match(limited.message, /40 model calls per skill per hour/);
  });

  test('every call is on record, attributed to the skill it named', async () => {
    await p.modelCalls.flush();
    const rows = await p.db.query<{ n: number; cached: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE cached)::int AS cached FROM model_calls m JOIN skills s ON s.id = m.skill_id WHERE s.name = 'limited'`,
    );
    assert.ok(rows[0]!.n >= 40, `${rows[0]!.n} rows`);
    assert.ok(rows[0]!.cached >= 1);
  });
});
