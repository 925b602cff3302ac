import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionTool } from 'openai/resources/chat/completions';
import { DEFAULT_MODELS, startOpenAIStub, type OpenAIStub } from './server.ts';

const MODEL = 'openai/gpt-4o-mini';
const DOUBLE: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'double',
    description: 'Doubles x',
    parameters: { type: 'object', properties: { x: { type: 'number' } } },
  },
};

let stub: OpenAIStub;
let client: OpenAI;

before(async () => {
  stub = await startOpenAIStub();
  client = new OpenAI({ baseURL: stub.url, apiKey: 'x', maxRetries: 0 });
});
after(() => stub.close());
beforeEach(() => stub.reset());

async function collect(s: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of s) chunks.push(c);
  return chunks;
}

const contentOf = (chunks: ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');

async function post(
  body: unknown,
  path = '/chat/completions',
): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const res = await fetch(`${stub.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

const ask = (content: string, extra: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {}, model = MODEL) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content }], ...extra });

describe('POST /v1/chat/completions (non-streamed)', () => {
  it('answers deterministically with the real response shape and token usage', async () => {
    const { data, response, request_id } = await client.chat.completions
      .create({
        model: MODEL,
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hello there' },
        ],
      })
      .withResponse();
    assert.match(data.id, /^chatcmpl-/);
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.model, MODEL);
    assert.ok(Number.isInteger(data.created) && Math.abs(data.created - Date.now() / 1000) < 5);
    assert.equal(data.choices.length, 1);
    const [choice] = data.choices;
    assert.equal(choice!.index, 0);
    assert.equal(choice!.finish_reason, 'stop');
    assert.equal(choice!.message.role, 'assistant');
    assert.equal(choice!.message.content, 'stub reply to: hello there');
    assert.equal(choice!.message.tool_calls, undefined);
    assert.deepEqual(data.usage, { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 });
    assert.match(response.headers.get('x-request-id') ?? '', /^req_/);
    assert.equal(request_id, response.headers.get('x-request-id'));
    // Same input, same answer.
    const again = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello there' },
      ],
    });
    assert.equal(again.choices[0]!.message.content, choice!.message.content);
    assert.notEqual(again.id, data.id);
  });

  it('echoes the last user message and counts text content parts', async () => {
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'second' },
            { type: 'text', text: 'question now' },
          ],
        },
      ],
    });
    assert.equal(res.choices[0]!.message.content, 'stub reply to: second question now');
    assert.equal(res.usage!.prompt_tokens, 2 + 2 + 3);
  });

  it('honours max_tokens and max_completion_tokens: truncates, finish_reason "length"', async () => {
    const res = await ask('one two three four', { max_tokens: 3 });
    assert.equal(res.choices[0]!.message.content, 'stub reply to:');
    assert.equal(res.choices[0]!.finish_reason, 'length');
    assert.equal(res.usage!.completion_tokens, 3);
    const newer = await ask('one two three four', { max_completion_tokens: 5 });
    assert.equal(newer.choices[0]!.message.content, 'stub reply to: one two');
    assert.equal(newer.choices[0]!.finish_reason, 'length');
    const roomy = await ask('one', { max_tokens: 4 });
    assert.equal(roomy.choices[0]!.message.content, 'stub reply to: one');
    assert.equal(roomy.choices[0]!.finish_reason, 'stop', 'exactly at the limit is not truncated');
  });
});

describe('POST /v1/chat/completions (streamed)', () => {
  it('streams role, content pieces, finish_reason, then the usage chunk with include_usage', async () => {
    const chunks = await collect(
      await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'stream this please' }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    assert.ok(chunks.length >= 6, `got ${chunks.length} chunks`);
    const id = chunks[0]!.id;
    assert.match(id, /^chatcmpl-/);
    for (const c of chunks) {
      assert.equal(c.object, 'chat.completion.chunk');
      assert.equal(c.id, id, 'one id for the whole stream');
      assert.equal(c.model, MODEL);
    }
    assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
    const contentChunks = chunks.filter((c) => c.choices[0]?.delta.content);
    assert.ok(contentChunks.length >= 3, 'content is split into several chunks');
    assert.equal(contentOf(chunks), 'stub reply to: stream this please');
    const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
    assert.equal(finishes.length, 1);
    assert.equal(finishes[0]!.choices[0]!.finish_reason, 'stop');
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.deepEqual(last.usage, { prompt_tokens: 3, completion_tokens: 6, total_tokens: 9 });
    assert.ok(
      chunks.slice(0, -1).every((c) => c.usage === null),
      'usage: null on the other chunks, as OpenAI does',
    );
  });

  it('sends no usage chunk without include_usage, and ends with data: [DONE] on the wire', async () => {
    const chunks = await collect(
      await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true }),
    );
    assert.ok(chunks.every((c) => c.usage === undefined && c.choices.length === 1));
    assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, 'stop');

    const raw = await post({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true });
    assert.equal(raw.status, 200);
    assert.match(raw.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = raw.text.split('\n\n').filter(Boolean);
    assert.ok(events.every((e) => e.startsWith('data: ')));
    assert.equal(events.at(-1), 'data: [DONE]');
    for (const e of events.slice(0, -1)) JSON.parse(e.slice('data: '.length));
  });

  it('truncates streams at max_tokens with finish_reason "length"', async () => {
    const chunks = await collect(
      await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'a b c d' }],
        stream: true,
        max_tokens: 4,
      }),
    );
    assert.equal(contentOf(chunks), 'stub reply to: a');
    assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, 'length');
  });

  it('works with the client stream helper (finalChatCompletion)', async () => {
    const s = client.chat.completions.stream({
      model: MODEL,
      messages: [{ role: 'user', content: 'helper' }],
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    s.on('content', (delta) => deltas.push(delta));
    const final = await s.finalChatCompletion();
    assert.equal(final.choices[0]!.message.content, 'stub reply to: helper');
    assert.equal(deltas.join(''), 'stub reply to: helper');
    assert.deepEqual(final.usage, { prompt_tokens: 1, completion_tokens: 4, total_tokens: 5 });
  });
});

describe('tool calls', () => {
  it('round trip, non-streamed: `use <tool> <json>` → tool call; tool message → "tool said: …"', async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'please use double {"x":21}' },
    ];
    const first = await client.chat.completions.create({ model: MODEL, messages, tools: [DOUBLE] });
    const choice = first.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    assert.equal(choice.message.tool_calls?.length, 1);
    const call = choice.message.tool_calls![0]!;
    assert.equal(call.type, 'function');
    assert.match(call.id, /^call_/);
    assert.ok(call.type === 'function');
    assert.equal(call.function.name, 'double');
    assert.deepEqual(JSON.parse(call.function.arguments), { x: 21 });
    assert.ok(first.usage!.completion_tokens > 0);

    messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: '{"y":42}' });
    const second = await client.chat.completions.create({ model: MODEL, messages, tools: [DOUBLE] });
    assert.equal(second.choices[0]!.message.content, 'tool said: {"y":42}');
    assert.equal(second.choices[0]!.finish_reason, 'stop');
    assert.equal(second.choices[0]!.message.tool_calls, undefined);

    // What the stub received: the tools and the whole conversation.
    const [r1, r2] = stub.chatRequests;
    assert.deepEqual(r1!.body.tools, [DOUBLE]);
    assert.equal(r2!.body.messages.length, 3);
    assert.equal(r2!.body.messages[1]!.tool_calls?.[0]?.id, call.id);
    assert.equal(r2!.body.messages[2]!.tool_call_id, call.id);
  });

  it('round trip, streamed: id/name first, then argument fragments, finish_reason "tool_calls"', async () => {
    const args = { x: 21, label: 'twenty-one', nested: { ok: true } };
    const chunks = await collect(
      await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: `use double ${JSON.stringify(args)}` }],
        tools: [DOUBLE],
        stream: true,
      }),
    );
    assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
    const toolDeltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    const [head, ...fragments] = toolDeltas;
    assert.equal(head!.index, 0);
    assert.match(head!.id ?? '', /^call_/);
    assert.equal(head!.function?.name, 'double');
    assert.ok(fragments.length >= 3, `arguments arrive in fragments (${fragments.length})`);
    assert.ok(fragments.every((f) => f.index === 0 && f.id === undefined && f.function?.name === undefined));
    assert.deepEqual(JSON.parse(toolDeltas.map((d) => d.function?.arguments ?? '').join('')), args);
    assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(contentOf(chunks), '');

    // The client's own accumulator assembles the same call.
    const final = await client.chat.completions
      .stream({
        model: MODEL,
        messages: [{ role: 'user', content: `use double ${JSON.stringify(args)}` }],
        tools: [DOUBLE],
      })
      .finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    assert.ok(call.type === 'function');
    assert.equal(call.function.name, 'double');
    assert.deepEqual(JSON.parse(call.function.arguments), args);
    const answer = await collect(
      await client.chat.completions.create({
        model: MODEL,
        stream: true,
        messages: [
          { role: 'user', content: 'use double {"x":21}' },
          final.choices[0]!.message,
          { role: 'tool', tool_call_id: call.id, content: '42' },
        ],
        tools: [DOUBLE],
      }),
    );
    assert.equal(contentOf(answer), 'tool said: 42');
  });

  it("drives the client's runTools loop to completion (streamed and not)", async () => {
    for (const stream of [false, true]) {
      const seen: unknown[] = [];
      const runner = client.chat.completions.runTools({
        model: MODEL,
        stream,
        messages: [{ role: 'user', content: 'use double {"x":21}' }],
        tools: [
          {
            type: 'function',
            function: {
              name: 'double',
              description: 'Doubles x',
              parameters: { type: 'object', properties: { x: { type: 'number' } } },
              parse: JSON.parse,
              function: (a: { x: number }) => {
                seen.push(a);
                return { y: a.x * 2 };
              },
            },
          },
        ],
      } as any);
      assert.equal(await runner.finalContent(), 'tool said: {"y":42}', `stream: ${stream}`);
      assert.deepEqual(seen, [{ x: 21 }]);
    }
  });

  it('several directives → parallel calls; parallel_tool_calls: false keeps the first', async () => {
    const HALVE: ChatCompletionTool = { type: 'function', function: { name: 'halve', parameters: { type: 'object' } } };
    const text = 'use double {"x":1} then use halve {"x":8}';
    const both = await ask(text, { tools: [DOUBLE, HALVE] });
    const calls = both.choices[0]!.message.tool_calls!;
    assert.deepEqual(
      calls.map((c) => (c.type === 'function' ? [c.function.name, c.function.arguments] : [])),
      [
        ['double', '{"x":1}'],
        ['halve', '{"x":8}'],
      ],
    );
    assert.notEqual(calls[0]!.id, calls[1]!.id);
    const one = await ask(text, { tools: [DOUBLE, HALVE], parallel_tool_calls: false });
    assert.equal(one.choices[0]!.message.tool_calls!.length, 1);
  });

  it('no call without a directive, for tools not offered, with tool_choice "none"; forced tool_choice calls', async () => {
    const plain = await ask('what is 2+2', { tools: [DOUBLE] });
    assert.equal(plain.choices[0]!.message.content, 'stub reply to: what is 2+2');
    assert.equal(plain.choices[0]!.finish_reason, 'stop');
    const notOffered = await ask('use triple {"x":1}', { tools: [DOUBLE] });
    assert.equal(notOffered.choices[0]!.message.tool_calls, undefined);
    const noTools = await ask('use double {"x":1}');
    assert.equal(noTools.choices[0]!.message.content, 'stub reply to: use double {"x":1}');
    const none = await ask('use double {"x":1}', { tools: [DOUBLE], tool_choice: 'none' });
    assert.equal(none.choices[0]!.message.tool_calls, undefined);
    const forced = await ask('just do it', {
      tools: [DOUBLE],
      tool_choice: { type: 'function', function: { name: 'double' } },
    });
    const call = forced.choices[0]!.message.tool_calls![0]!;
    assert.ok(call.type === 'function');
    assert.deepEqual([call.function.name, call.function.arguments], ['double', '{}']);
  });
});

describe('fault injection', () => {
  it('status 500/502/503 with the error envelope; `times` limits it to the next N requests', async () => {
    for (const status of [500, 502, 503] as const) {
      stub.behave('*', { status, times: 2 });
      for (let i = 0; i < 2; i++) {
        await assert.rejects(ask('x'), (e: unknown) => {
          assert.ok(e instanceof OpenAI.InternalServerError);
          assert.equal(e.status, status);
          assert.equal(e.type, 'server_error');
          return true;
        });
      }
      assert.equal((await ask('x')).choices[0]!.finish_reason, 'stop', `after ${status} × 2 it works again`);
    }
    // The client's own retries see the failures and then succeed.
    stub.reset();
    stub.behave(MODEL, { status: 503, times: 2 });
    const retrying = new OpenAI({ baseURL: stub.url, apiKey: 'x', maxRetries: 2 });
    const res = await retrying.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'retry me' }] },
      { maxRetries: 2 },
    );
    assert.equal(res.choices[0]!.message.content, 'stub reply to: retry me');
    assert.equal(stub.chatRequests.length, 3);
    assert.equal(stub.requestsByModel[MODEL], 3);
  });

  it('429 sends Retry-After, and the client waits that long before retrying', async () => {
    stub.behave('*', { status: 429, retryAfterSeconds: 1, times: 1 });
    await assert.rejects(ask('x'), (e: unknown) => {
      assert.ok(e instanceof OpenAI.RateLimitError);
      assert.equal(e.status, 429);
      assert.equal(e.headers?.get('retry-after'), '1');
      assert.equal(e.code, 'rate_limit_exceeded');
      return true;
    });
    stub.behave('*', { status: 429, retryAfterSeconds: 1, times: 1 });
    const started = Date.now();
    const res = await client.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'later' }] },
      { maxRetries: 1 },
    );
    const waited = Date.now() - started;
    assert.equal(res.choices[0]!.message.content, 'stub reply to: later');
    assert.ok(waited >= 950, `waited ${waited} ms`);
    // Without retryAfterSeconds there is no header.
    stub.behave('*', { status: 429, times: 1 });
    const raw = await post({ model: MODEL, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(raw.status, 429);
    assert.equal(raw.headers.get('retry-after'), null);
    assert.equal(raw.json.error.type, 'requests');
  });

  it('delayMs holds the first byte (client timeouts fire); chunkDelayMs spaces stream chunks', async () => {
    stub.behave('*', { delayMs: 150, times: 1 });
    let started = Date.now();
    await ask('slow');
    assert.ok(Date.now() - started >= 145, `took ${Date.now() - started} ms`);

    stub.behave('*', { delayMs: 500, times: 1 });
    await assert.rejects(
      client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }, { timeout: 100 }),
      OpenAI.APIConnectionTimeoutError,
    );

    stub.behave('*', { delayMs: 50, chunkDelayMs: 40, times: 1 });
    started = Date.now();
    const stamps: number[] = [];
    const s = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'one two' }],
      stream: true,
    });
    for await (const _ of s) stamps.push(Date.now());
    // role + 5 content pieces + finish = 7 chunks, 6 gaps of 40 ms after a 50 ms wait.
    assert.equal(stamps.length, 7);
    assert.ok(stamps[0]! - started >= 45, `first chunk after ${stamps[0]! - started} ms`);
    assert.ok(stamps.at(-1)! - stamps[0]! >= 6 * 40 - 30, `spread over ${stamps.at(-1)! - stamps[0]!} ms`);
  });

  it('malformed: a 200 body that is not JSON, a stream that breaks mid-way — the client throws', async () => {
    stub.behave('*', { malformed: true, times: 2 });
    const raw = await post({ model: MODEL, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(raw.status, 200);
    assert.match(raw.headers.get('content-type') ?? '', /json/);
    assert.throws(() => JSON.parse(raw.text));
    await assert.rejects(ask('x'));

    stub.behave('*', { malformed: true, times: 1 });
    const got: ChatCompletionChunk[] = [];
    await assert.rejects(async () => {
      for await (const c of await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
      }))
        got.push(c);
    });
    assert.ok(got.length >= 1, 'some chunks arrived before the break');
    assert.ok(!got.some((c) => c.choices[0]?.finish_reason), 'no finish_reason: the stream broke');
    assert.equal((await ask('x')).choices[0]!.finish_reason, 'stop', 'times: 1 — the next request is fine');
  });

  it('failRate: a deterministic ≈30 % of 1,000 requests answer 500 for a fixed seed', async () => {
    const run = async () => {
      stub.reset();
      stub.behave('*', { failRate: 0.3, seed: 42 });
      let failed = 0;
      const pattern: boolean[] = [];
      for (let batch = 0; batch < 1000; batch += 50) {
        const results = await Promise.allSettled(Array.from({ length: 50 }, () => ask('x')));
        for (const r of results) {
          if (r.status === 'rejected') {
            assert.ok(r.reason instanceof OpenAI.InternalServerError, String(r.reason));
            failed++;
          }
        }
      }
      // Sequential requests also fail in the same order every time.
      stub.reset();
      stub.behave('*', { failRate: 0.3, seed: 42 });
      for (let i = 0; i < 40; i++)
        pattern.push(
          await ask('x').then(
            () => false,
            () => true,
          ),
        );
      return { failed, pattern };
    };
    const a = await run();
    const b = await run();
    assert.ok(a.failed >= 250 && a.failed <= 350, `${a.failed} of 1000 failed`);
    assert.equal(a.failed, b.failed, 'same seed, same number of failures');
    assert.deepEqual(a.pattern, b.pattern);
    assert.ok(a.pattern.includes(true) && a.pattern.includes(false));
    stub.reset();
    stub.behave('*', { failRate: 0.3, seed: 43 });
    const other: boolean[] = [];
    for (let i = 0; i < 40; i++)
      other.push(
        await ask('x').then(
          () => false,
          () => true,
        ),
      );
    assert.notDeepEqual(other, a.pattern, 'another seed, another pattern');
  });

  it('reply: a fixed string, a function of the request, scripted tool calls', async () => {
    stub.behave('*', { reply: 'fixed words here', times: 1 });
    const fixed = await ask('ignored');
    assert.equal(fixed.choices[0]!.message.content, 'fixed words here');
    assert.equal(fixed.usage!.completion_tokens, 3);
    assert.equal((await ask('back')).choices[0]!.message.content, 'stub reply to: back');

    stub.behave(MODEL, {
      reply: (req) => `${req.model} got ${req.body.messages.length} message(s), auth ${req.headers.authorization}`,
    });
    const fn = await ask('x');
    assert.equal(fn.choices[0]!.message.content, `${MODEL} got 1 message(s), auth Bearer x`);
    const streamed = await collect(
      await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], stream: true }),
    );
    assert.equal(contentOf(streamed), `${MODEL} got 1 message(s), auth Bearer x`);

    stub.reset();
    stub.behave('*', {
      reply: {
        toolCalls: [
          { name: 'lookup', arguments: { q: 'a' } },
          { name: 'lookup', arguments: '{"q":"b"}' },
        ],
      },
    });
    const scripted = await ask('anything');
    assert.equal(scripted.choices[0]!.finish_reason, 'tool_calls');
    assert.deepEqual(
      scripted.choices[0]!.message.tool_calls!.map((c) => (c.type === 'function' ? c.function.arguments : '')),
      ['{"q":"a"}', '{"q":"b"}'],
    );
  });

  it('usage: false omits usage (and the include_usage chunk); cost adds usage.cost', async () => {
    stub.behave('*', { usage: false });
    assert.equal((await ask('x')).usage, undefined);
    const chunks = await collect(
      await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    assert.ok(chunks.every((c) => c.usage == null && c.choices.length === 1));
    assert.equal(contentOf(chunks), 'stub reply to: x');

    stub.reset();
    stub.behave('*', { cost: 0.00125 });
    const priced = await ask('price me');
    assert.equal((priced.usage as OpenAI.CompletionUsage & { cost?: number }).cost, 0.00125);
    assert.equal(priced.usage!.total_tokens, 2 + 5);
    const pricedChunks = await collect(
      await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    assert.equal((pricedChunks.at(-1)!.usage as { cost?: number }).cost, 0.00125);
  });

  it('behaviours are per model, compose across kinds, can be undone; failNext still works', async () => {
    const undo = stub.behave('openai/gpt-4o', { status: 503 });
    stub.behave('*', { cost: 0.5 });
    await assert.rejects(ask('x', {}, 'openai/gpt-4o'), OpenAI.InternalServerError);
    const other = await ask('x', {}, 'anthropic/claude-haiku-4-5');
    assert.equal((other.usage as { cost?: number }).cost, 0.5);
    undo();
    const healed = await ask('x', {}, 'openai/gpt-4o');
    assert.equal((healed.usage as { cost?: number }).cost, 0.5);
    assert.deepEqual(stub.requestsByModel, { 'openai/gpt-4o': 2, 'anthropic/claude-haiku-4-5': 1 });

    stub.failNext(2);
    await assert.rejects(ask('x'), OpenAI.InternalServerError);
    const emb = new OpenAI({ baseURL: stub.url, apiKey: 'x', maxRetries: 0 });
    await assert.rejects(emb.embeddings.create({ model: 'e', input: 'x' }), OpenAI.InternalServerError);
    assert.equal((await ask('x')).choices[0]!.finish_reason, 'stop');
    assert.equal((await emb.embeddings.create({ model: 'e', input: 'x' })).data[0]!.embedding.length, 256);

    assert.throws(() => stub.behave('*', { status: 404 } as never), TypeError);
    assert.throws(() => stub.behave('*', { failRate: 2 }), TypeError);
    assert.throws(() => stub.behave('*', { times: 1 } as never), TypeError);
    assert.throws(() => stub.behave('*', { status: 500, times: 0 }), TypeError);
  });
});

describe('recording', () => {
  it('records model, body and headers (Authorization, HTTP-Referer, X-Title) of each chat request', async () => {
    const openrouter = new OpenAI({
      baseURL: stub.url,
      apiKey: 'sk-or-test',
      maxRetries: 0,
      defaultHeaders: { 'HTTP-Referer': 'https://aspora.dev', 'X-Title': 'Aspora' },
    });
    await openrouter.chat.completions.create({
      model: 'anthropic/claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hello' }],
      temperature: 0.2,
    });
    await ask('second');
    assert.equal(stub.chatRequests.length, 2);
    const [r] = stub.chatRequests;
    assert.equal(r!.model, 'anthropic/claude-sonnet-4-5');
    assert.equal(r!.headers.authorization, 'Bearer sk-or-test');
    assert.equal(r!.headers['http-referer'], 'https://aspora.dev');
    assert.equal(r!.headers['x-title'], 'Aspora');
    assert.deepEqual(r!.body.messages, [{ role: 'user', content: 'hello' }]);
    assert.equal(r!.body.temperature, 0.2);
    assert.equal(stub.chatRequests[1]!.model, MODEL);
    assert.deepEqual(stub.requestsByModel, { 'anthropic/claude-sonnet-4-5': 1, [MODEL]: 1 });
    assert.equal(stub.requests, 2);
  });

  it('keeps at most recordLimit requests but counts them all', async () => {
    const small = await startOpenAIStub({ recordLimit: 3 });
    try {
      const c = new OpenAI({ baseURL: small.url, apiKey: 'x', maxRetries: 0 });
      for (let i = 0; i < 5; i++)
        await c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `n${i}` }] });
      assert.deepEqual(
        small.chatRequests.map((r) => r.body.messages[0]!.content),
        ['n2', 'n3', 'n4'],
      );
      assert.deepEqual(small.requestsByModel, { m: 5 });
    } finally {
      await small.close();
    }
  });
});

describe('GET /v1/models and model checks', () => {
  it('lists the default models and accepts any model when none were configured', async () => {
    const page = await client.models.list();
    assert.deepEqual(
      page.data.map((m) => m.id),
      [...DEFAULT_MODELS],
    );
    for (const m of page.data) {
      assert.equal(m.object, 'model');
      assert.ok(Number.isInteger(m.created));
      assert.equal(m.owned_by, m.id.split('/')[0]);
    }
    assert.equal((await ask('x', {}, 'some/unlisted-model')).model, 'some/unlisted-model');
  });

  it('with an explicit model list: lists exactly those, unknown models → 404 model_not_found', async () => {
    const strict = await startOpenAIStub({ models: ['acme/tiny', 'acme/huge'] });
    try {
      const c = new OpenAI({ baseURL: strict.url, apiKey: 'x', maxRetries: 0 });
      const ids: string[] = [];
      for await (const m of c.models.list()) ids.push(m.id);
      assert.deepEqual(ids, ['acme/tiny', 'acme/huge']);
      const ok = await c.chat.completions.create({ model: 'acme/tiny', messages: [{ role: 'user', content: 'x' }] });
      assert.equal(ok.model, 'acme/tiny');
      await assert.rejects(
        c.chat.completions.create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
        (e: unknown) => {
          assert.ok(e instanceof OpenAI.NotFoundError);
          assert.equal(e.code, 'model_not_found');
          assert.equal(e.type, 'invalid_request_error');
          assert.match(e.message, /openai\/gpt-4o/);
          return true;
        },
      );
    } finally {
      await strict.close();
    }
  });
});

describe('request validation', () => {
  it("answers bad requests with 400 and OpenAI's error envelope", async () => {
    const cases: [unknown, string | null, string | null][] = [
      [{ messages: [{ role: 'user', content: 'x' }] }, 'model', 'missing_required_parameter'],
      [{ model: '', messages: [{ role: 'user', content: 'x' }] }, 'model', 'missing_required_parameter'],
      [{ model: 7, messages: [{ role: 'user', content: 'x' }] }, 'model', 'invalid_type'],
      [{ model: MODEL }, 'messages', 'missing_required_parameter'],
      [{ model: MODEL, messages: [] }, 'messages', 'empty_array'],
      [{ model: MODEL, messages: 'hi' }, 'messages', 'invalid_type'],
      [{ model: MODEL, messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', 'invalid_value'],
      [{ model: MODEL, messages: [{ role: 'user' }] }, 'messages[0].content', 'missing_required_parameter'],
      [
        {
          model: MODEL,
          messages: [
            { role: 'user', content: 'x' },
            { role: 'tool', content: 'y' },
          ],
        },
        'messages[1].tool_call_id',
        'missing_required_parameter',
      ],
      [{ model: MODEL, messages: [{ role: 'user', content: 'x' }], tools: [] }, 'tools', 'empty_array'],
      [
        { model: MODEL, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: {} }] },
        'tools[0].function.name',
        'missing_required_parameter',
      ],
      [
        { model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 0 },
        'max_tokens',
        'integer_below_min_value',
      ],
      [
        { model: MODEL, messages: [{ role: 'user', content: 'x' }], stream_options: { include_usage: true } },
        'stream_options',
        null,
      ],
      ['{not json', null, null],
      [[1, 2], null, null],
    ];
    for (const [body, param, code] of cases) {
      const res = await post(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(Object.keys(res.json), ['error']);
      assert.deepEqual(Object.keys(res.json.error).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(res.json.error.type, 'invalid_request_error');
      assert.equal(res.json.error.param, param, JSON.stringify(body));
      assert.equal(res.json.error.code, code, JSON.stringify(body));
      assert.ok(res.json.error.message.length > 0);
    }
    const missing = await post({ model: MODEL });
    assert.equal(missing.json.error.message, "Missing required parameter: 'messages'.");
  });

  it('surfaces as BadRequestError in the client, with param and code', async () => {
    await assert.rejects(client.chat.completions.create({ model: MODEL, messages: [] }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.BadRequestError);
      assert.equal(e.param, 'messages');
      assert.equal(e.code, 'empty_array');
      return true;
    });
    const unknownRoute = await post({}, '/nope');
    assert.equal(unknownRoute.status, 404);
    assert.equal(unknownRoute.json.error.type, 'invalid_request_error');
  });
});
