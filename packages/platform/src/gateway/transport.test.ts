/**
 * The wire to one provider, against the OpenAI stub over real HTTP: answers parsed, provider
 * failures typed (retryable or not, Retry-After kept), garbage and unreachable providers named,
 * and a deadline that answers the caller on time and frees the connection for the next call.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startOpenAIStub, type OpenAIStub } from '../../../../tools/openai-stub/src/server.ts';
import { Deadline } from './deadline.ts';
import { ProviderError, ProviderTransport } from './transport.ts';

let stub: OpenAIStub;
let t: ProviderTransport;
before(async () => {
  stub = await startOpenAIStub();
  t = new ProviderTransport({
    name: 'stub',
    baseURL: stub.url,
    apiKey: 'k',
    headers: { 'x-title': 'Aspora' },
    timeoutMs: 10_000,
  });
});
after(async () => {
  await t.close();
  await stub.close();
});

const chat = (model = 'openai/gpt-4o-mini') =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }] });

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  const e = await p.then(
    () => assert.fail('expected the call to fail'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof ProviderError, `expected a ProviderError, got ${String(e)}`);
  return e;
}

test('a completion is parsed, and the key and provider headers are sent', async () => {
  stub.reset();
  const d = new Deadline(5000);
  const out = await t.json('/chat/completions', chat(), d);
  d.clear();
  assert.equal((out.choices as Array<{ message: { content: string } }>)[0]!.message.content, 'stub reply to: hello');
  assert.equal(stub.chatRequests.length, 1);
});

test('429 is a retryable RATE_LIMITED with its Retry-After; 500 a retryable UPSTREAM_ERROR', async () => {
  stub.reset();
  stub.behave('m-429', { status: 429, retryAfterSeconds: 2 });
  stub.behave('m-500', { status: 500 });
  const limited = await rejection(t.json('/chat/completions', chat('m-429'), new Deadline(5000)));
  assert.equal(limited.code, 'RATE_LIMITED');
  assert.equal(limited.retryable, true);
  assert.equal(limited.retryAfterMs, 2000);
  const failed = await rejection(t.json('/chat/completions', chat('m-500'), new Deadline(5000)));
  assert.equal(failed.code, 'UPSTREAM_ERROR');
  assert.equal(failed.retryable, true);
  assert.match(failed.message, /stub answered 500/);
});

test('a body that is not JSON is named, and retryable', async () => {
  stub.reset();
  stub.behave('*', { malformed: true, times: 1 });
  const e = await rejection(t.json('/chat/completions', chat(), new Deadline(5000)));
  assert.equal(e.code, 'UPSTREAM_ERROR');
  assert.match(e.message, /not JSON/);
  assert.equal(e.retryable, true);
});

test('the deadline answers the caller on time, and the next call goes through', async () => {
  stub.reset();
  stub.behave('*', { delayMs: 2000, times: 1 });
  const start = Date.now();
  const e = await rejection(t.json('/chat/completions', chat(), new Deadline(150)));
  const took = Date.now() - start;
  assert.equal(e.code, 'TIMEOUT');
  assert.ok(took >= 140 && took < 1000, `timed out after ${took} ms (deadline 150 ms)`);
  const out = await t.json('/chat/completions', chat(), new Deadline(5000));
  assert.ok(Array.isArray(out.choices));
});

test('a deadline that passed before the call is a timeout without a request', async () => {
  stub.reset();
  const d = new Deadline(1);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(d.expired, true);
  const e = await rejection(t.json('/chat/completions', chat(), d));
  assert.equal(e.code, 'TIMEOUT');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(stub.chatRequests.length, 0);
  // Whoever asks for the signal of a passed deadline gets an aborted one.
  assert.equal(d.signal.aborted, true);
});

test('a provider nobody listens on is UPSTREAM_ERROR "unreachable"', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const dead = new ProviderTransport({
    name: 'dead',
    baseURL: `http://127.0.0.1:${port}/v1`,
    headers: {},
    timeoutMs: 2000,
  });
  try {
    const e = await rejection(dead.json('/chat/completions', chat(), new Deadline(5000)));
    assert.equal(e.code, 'UPSTREAM_ERROR');
    assert.match(e.message, /dead is unreachable: ECONNREFUSED/);
  } finally {
    await dead.close();
  }
});

test('Deadline: onExpire runs at the deadline, a cancelled one does not, clear stops both', async () => {
  const d = new Deadline(30);
  const seen: string[] = [];
  d.onExpire(() => seen.push('a'));
  const cancel = d.onExpire(() => seen.push('b'));
  cancel();
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(seen, ['a']);
  assert.equal(d.signal.aborted, true);
  const e = new Deadline(30);
  e.onExpire(() => seen.push('c'));
  e.clear();
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(seen, ['a']);
  assert.equal(e.expired, false);
});

describe('streams', () => {
  const streamBody = (content = 'hello', model = 'openai/gpt-4o-mini') =>
    JSON.stringify({ model, stream: true, messages: [{ role: 'user', content }] });
  const drain = async (it: AsyncIterable<Buffer>) => {
    let text = '';
    for await (const c of it) text += c.toString('utf8');
    return text;
  };

  test('the SSE bytes of an accepted stream, to [DONE]', async () => {
    stub.reset();
    const d = new Deadline(5000);
    const text = await drain(await t.stream('/chat/completions', streamBody(), d));
    d.clear();
    assert.match(text, /"content":"stub/);
    assert.match(text, /data: \[DONE\]\n\n$/);
  });

  test('a provider that refuses the stream rejects it with its typed error, before any byte', async () => {
    stub.reset();
    stub.behave('*', { status: 429, retryAfterSeconds: 3, times: 1 });
    const e = await rejection(t.stream('/chat/completions', streamBody(), new Deadline(5000)));
    assert.equal(e.code, 'RATE_LIMITED');
    assert.equal(e.retryAfterMs, 3000);
  });

  test('a slow reader gets every chunk: the provider socket pauses and resumes', async () => {
    stub.reset();
    stub.behave('*', { reply: Array.from({ length: 120 }, (_, i) => `w${i}`).join(' '), chunkDelayMs: 1 });
    const d = new Deadline(10_000);
    const it = await t.stream('/chat/completions', streamBody(), d);
    await new Promise((r) => setTimeout(r, 400)); // far more than 16 chunks arrive meanwhile
    const text = await drain(it);
    d.clear();
    for (const w of ['w0', 'w60', 'w119']) assert.match(text, new RegExp(`"content":"(?: )?${w}`), w);
    assert.match(text, /data: \[DONE\]\n\n$/);
  });

  test('the deadline mid-stream reaches the reader; return() stops the provider at once', async () => {
    stub.reset();
    stub.behave('*', { chunkDelayMs: 300 });
    const it = await t.stream('/chat/completions', streamBody('one two three four five six'), new Deadline(500));
    const e = await drain(it).then(
      () => assert.fail('expected the deadline'),
      (err: unknown) => err as ProviderError,
    );
    assert.equal(e.code, 'TIMEOUT');

    stub.reset();
    stub.behave('*', { chunkDelayMs: 100 });
    const d = new Deadline(10_000);
    const source = (await t.stream('/chat/completions', streamBody('one two three four five six'), d))[
      Symbol.asyncIterator
    ]();
    assert.equal((await source.next()).done, false);
    await source.return!();
    d.clear();
    for (let i = 0; i < 40 && stub.abandonedStreams === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(stub.abandonedStreams, 1);
    assert.deepEqual(await source.next(), { value: undefined, done: true });
  });
});
