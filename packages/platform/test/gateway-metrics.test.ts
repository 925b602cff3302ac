/**
 * The gateway's Prometheus counters and GET /v1/gateway/stats agree with what happened: calls by
 * outcome (ok, error, cached), tokens, cost, answers by a fallback model, cache hits and misses,
 * and the latency histogram of provider calls only. The counters are copied from the gateway's
 * figures at scrape time, so this is the test that they are copied right.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OpenAIStub } from '../../../tools/openai-stub/src/server.ts';
import { bundle, platformOnStub, type tempPlatform } from './helpers.ts';

let stub: OpenAIStub;
let p: Awaited<ReturnType<typeof tempPlatform>>;
let cleanup: () => Promise<void>;
const TOKEN = 'metrics-token-for-tests-0123';
const auth = { authorization: `Bearer ${TOKEN}` };

before(async () => {
  ({ stub, p, cleanup } = await platformOnStub(TOKEN, {
    models: {
      fast: { provider: 'stub', id: 'openai/gpt-4o-mini', price: { prompt: 1, completion: 2 } },
      flaky: { provider: 'stub', id: 'openai/gpt-4o', price: { prompt: 1, completion: 2 } },
    },
    gateway: { default_model: 'fast', retries: 1 },
    cost_optimization: { caching: { enabled: true, ttl: 60 } },
  }));
  await p.fetch(`/v1/bundles`, {
    method: 'POST',
    body: await bundle({ name: 'metered' }),
    headers: { 'content-type': 'application/gzip', ...auth },
  });
});
after(() => cleanup());

const chat = (model: string, content: string) =>
  p.fetch(`/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-aspora-skill': 'fraud/metered', ...auth },
    body: JSON.stringify({ model, temperature: 0, messages: [{ role: 'user', content }] }),
  });

/** The value of one series of /metrics text, 0 when it is absent. */
function series(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.indexOf('}'));
    if (want.every((w) => inner.split(',').includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

test('calls, tokens, cost, fallbacks, cache and latency, as counted', async () => {
  // One provider call and a cache miss, then two hits of the same request.
  for (let i = 0; i < 3; i++) assert.equal((await chat('fast', 'the same question')).status, 200);
  // flaky fails twice (the call and its retry), then the platform default answers: a fallback.
  stub.behave('openai/gpt-4o', { status: 500 });
  const fell = await chat('flaky', 'another question');
  assert.equal(fell.status, 200);
  assert.equal(fell.headers.get('x-aspora-model'), 'fast');

  const text = await (await p.fetch(`/metrics`, { headers: auth })).text();
  const skill = { skill: 'fraud/metered', domain: 'fraud' };
  const calls = (model: string, status: string) =>
    series(text, 'aspora_model_calls_total', { ...skill, model, provider: 'stub', status });
  assert.equal(calls('fast', 'ok'), 2, 'the first question and the fallback answer');
  assert.equal(calls('fast', 'cached'), 2);
  assert.equal(calls('flaky', 'error'), 2);
  assert.equal(series(text, 'aspora_model_fallbacks_total', { ...skill, model: 'fast' }), 1);
  assert.equal(series(text, 'aspora_model_fallbacks_total', { ...skill, model: 'flaky' }), 0);
  assert.equal(series(text, 'aspora_model_cache_total', { ...skill, result: 'hit' }), 2);
  assert.equal(
    series(text, 'aspora_model_cache_total', { ...skill, result: 'miss' }),
    2,
    'the first question and the one that fell back',
  );
  const prompt = series(text, 'aspora_model_tokens_total', { ...skill, model: 'fast', kind: 'prompt' });
  const completion = series(text, 'aspora_model_tokens_total', { ...skill, model: 'fast', kind: 'completion' });
  assert.ok(prompt > 0 && completion > 0);
  // $1 and $2 per million tokens, for the provider's answers only: an answer from the cache is free.
  const cost = series(text, 'aspora_model_cost_usd_total', { ...skill, model: 'fast' });
  assert.ok(cost > 0 && cost < (prompt + 2 * completion) / 1e6, `cost ${cost}`);
  // Provider calls only: two answers of fast and two failures of flaky; hits took no provider time.
  assert.equal(series(text, 'aspora_model_call_duration_seconds_count', { provider: 'stub', model: 'fast' }), 2);
  assert.equal(series(text, 'aspora_model_call_duration_seconds_count', { provider: 'stub', model: 'flaky' }), 2);

  // A second scrape shows the same (the counters are set from the figures, not added to).
  const again = await (await p.fetch(`/metrics`, { headers: auth })).text();
  assert.equal(
    series(again, 'aspora_model_calls_total', { ...skill, model: 'fast', provider: 'stub', status: 'ok' }),
    2,
  );

  const { rows } = (await (await p.fetch(`/v1/gateway/stats`, { headers: auth })).json()) as {
    rows: Array<{
      skill: string;
      model: string;
      calls: number;
      errors: number;
      fallbacks: number;
      cacheHits: number;
      cacheMisses: number;
      latencyBuckets: Record<string, number>;
    }>;
  };
  const fast = rows.find((r) => r.skill === 'fraud/metered' && r.model === 'fast')!;
  assert.deepEqual([fast.calls, fast.errors, fast.fallbacks, fast.cacheHits], [4, 0, 1, 2]);
  assert.equal(fast.latencyBuckets['+Inf'], 2, 'latency of provider calls only');
  const flaky = rows.find((r) => r.skill === 'fraud/metered' && r.model === 'flaky')!;
  assert.deepEqual([flaky.calls, flaky.errors, flaky.fallbacks], [2, 2, 0]);
});
