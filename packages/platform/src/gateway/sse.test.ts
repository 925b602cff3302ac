/**
 * SseMeter over a provider stream the test feeds by hand: whatever the framing (LF, CRLF, a lone
 * CR, events split across reads, a UTF-8 character split between chunks), the first token is
 * found while the provider's stream is still open, and the client gets LF-framed events.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_EVENT_CHARS, SseMeter } from './sse.ts';
import { ProviderError } from './transport.ts';

/** A provider stream that yields what push() is given and ends only when end() is called. */
function feed() {
  const queue: Buffer[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  let returned = false;
  const source: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<Buffer>> {
        for (;;) {
          const v = queue.shift();
          if (v) return { value: v, done: false };
          if (ended) return { value: undefined, done: true };
          await new Promise<void>((r) => (wake = r));
        }
      },
      async return(): Promise<IteratorResult<Buffer>> {
        returned = true;
        return { value: undefined, done: true };
      },
    }),
  };
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    source,
    push: (s: string | Buffer) => (queue.push(typeof s === 'string' ? Buffer.from(s) : s), poke()),
    end: () => ((ended = true), poke()),
    get returned() {
      return returned;
    },
  };
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}`;
const usage = `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } })}`;

/** Resolves with what the promise gave, or rejects when it has not settled within `ms` (it would hang forever otherwise). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<string> {
  let s = '';
  for await (const c of it) s += Buffer.from(c).toString('utf8');
  return s;
}

describe('SseMeter finds the first token while the stream is open, whatever the framing', () => {
  for (const [name, eol] of [
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ] as const) {
    test(`${name} framing`, async () => {
      const f = feed();
      const meter = new SseMeter(f.source, { keepUsage: false });
      f.push(`${chunk({ role: 'assistant', content: '' })}${eol}${eol}`);
      // The first content arrives split across two reads, its blank line in the second.
      const first = `${chunk({ content: 'héllo' })}${eol}${eol}`;
      const bytes = Buffer.from(first);
      const cut = bytes.indexOf('é') + 1; // inside the two bytes of é
      f.push(bytes.subarray(0, cut));
      f.push(bytes.subarray(cut));
      await within(meter.firstToken(), 2000, 'the first token');
      // The provider has not ended its stream: the client already has the token.
      const out = meter.chunks()[Symbol.asyncIterator]();
      const got = await within(out.next(), 2000, 'the held events');
      const text = Buffer.from(got.value as Uint8Array).toString('utf8');
      assert.match(text, /"content":"héllo"/);
      assert.ok(!text.includes('\r'), 'the client gets LF framing');
      assert.equal(text.split('\n\n').filter(Boolean).length, 2, 'two events, each closed by a blank line');

      f.push(`${chunk({}, 'stop')}${eol}${eol}${usage}${eol}${eol}data: [DONE]${eol}${eol}`);
      f.end();
      let rest = '';
      for (let r = await out.next(); !r.done; r = await out.next()) rest += Buffer.from(r.value).toString('utf8');
      assert.match(rest, /"finish_reason":"stop"/);
      assert.ok(!rest.includes('"usage"'), 'the usage-only chunk is hidden from a client that did not ask for it');
      assert.ok(rest.endsWith('data: [DONE]\n\n'));
      const done = await meter.done;
      assert.deepEqual(done.usage, { prompt_tokens: 3, completion_tokens: 2 });
      assert.equal(done.text, 'héllo');
    });
  }

  test('a CRLF stream that ends before its first token fails retryably (so the gateway falls back)', async () => {
    const f = feed();
    const meter = new SseMeter(f.source, { keepUsage: true });
    f.push(`: OPENROUTER PROCESSING\r\n\r\n${chunk({ role: 'assistant', content: '' })}\r\n\r\n`);
    f.end();
    await assert.rejects(
      meter.firstToken(),
      (e: unknown) => e instanceof ProviderError && e.retryable && /before its first token/.test(e.message),
    );
  });

  test('an event without its closing blank line at the end of the stream still counts', async () => {
    const f = feed();
    const meter = new SseMeter(f.source, { keepUsage: true });
    f.push(`${chunk({ content: 'a' })}\r\n\r\n${usage}`);
    f.end();
    await meter.firstToken();
    const all = await collect(meter.chunks());
    assert.match(all, /"completion_tokens":2/);
    assert.deepEqual((await meter.done).usage, { prompt_tokens: 3, completion_tokens: 2 });
  });

  test('comments, event names, ids and multi-line data are passed on as SSE', async () => {
    const f = feed();
    const meter = new SseMeter(f.source, { keepUsage: true });
    f.push(
      ': keep-alive\r\n\r\nevent: message\r\nid: 7\r\ndata: {"choices":\r\ndata: [{"delta":{"content":"x"}}]}\r\n\r\n',
    );
    f.end();
    await meter.firstToken();
    assert.equal(
      await collect(meter.chunks()),
      ': keep-alive\n\nevent: message\nid: 7\ndata: {"choices":\ndata: [{"delta":{"content":"x"}}]}\n\n',
    );
  });

  test('an event that is not JSON fails the stream; so does a line that never ends', async () => {
    const bad = feed();
    const m1 = new SseMeter(bad.source, { keepUsage: true });
    bad.push('data: {not json\r\n\r\n');
    await assert.rejects(m1.firstToken(), /not JSON/);

    const endless = feed();
    const m2 = new SseMeter(endless.source, { keepUsage: true });
    const piece = `data: ${'x'.repeat(1024 * 1024)}`;
    for (let i = 0; i <= MAX_EVENT_CHARS / piece.length + 1; i++)
      endless.push(i === 0 ? piece : 'x'.repeat(1024 * 1024));
    await assert.rejects(
      within(m2.firstToken(), 5000, 'the size check'),
      (e: unknown) => e instanceof ProviderError && /more than/.test(e.message),
    );
  });

  test('cancel() stops the provider stream', async () => {
    const f = feed();
    const meter = new SseMeter(f.source, { keepUsage: true });
    f.push(`${chunk({ content: 'a' })}\n\n`);
    await meter.firstToken();
    meter.cancel();
    assert.equal(f.returned, true);
  });
});
