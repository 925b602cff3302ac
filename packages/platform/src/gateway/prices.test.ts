/**
 * OpenRouter's model list as the price source, against the OpenAI stub speaking OpenRouter's wire
 * format: prices per token (strings) become prices per million tokens, marked with their source
 * and fetch time; a failing, cut, misshapen or oversized answer keeps what was in use and warns.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOpenAIStub, type OpenAIStub } from '../../../../tools/openai-stub/src/server.ts';
import { SecretVault } from '../secrets/secrets.ts';
import { parsePlatformFile } from '../config/platform-file.ts';
import { ModelCatalog } from './catalog.ts';
import { OpenRouterPrices } from './prices.ts';
import { tempPlatform } from '../../test/helpers.ts';

let stub: OpenAIStub;
before(async () => {
  stub = await startOpenAIStub({
    models: ['anthropic/claude-sonnet-4-5', 'openai/gpt-4o', 'meta-llama/llama-3.1-8b-instruct', 'openrouter/auto'],
    prices: {
      'anthropic/claude-sonnet-4-5': { prompt: '0.0000033', completion: '0.0000165' },
      'openai/gpt-4o': { prompt: '0.0000025', completion: '0.00001' },
      'meta-llama/llama-3.1-8b-instruct': { prompt: '0.0000001', completion: '0.0000002' },
      'openrouter/auto': { prompt: '-1', completion: '-1' },
    },
  });
});
after(() => stub.close());

function logger() {
  const warnings: string[] = [];
  return {
    warnings,
    log: { warn: (_o: unknown, msg?: string) => void warnings.push(String(msg)), info: () => undefined },
  };
}

function catalog() {
  const file = parsePlatformFile(
    `providers:\n  openrouter: { base_url: '${stub.url}' }\ngateway: { default_provider: openrouter }\n`,
    'aspora.platform.yaml',
    {},
  );
  return new ModelCatalog(file, new SecretVault({}, {}), {});
}

test('prices per token become prices per million, with their source; the built-in table until then', async () => {
  stub.reset();
  const c = catalog();
  try {
    assert.deepEqual(c.resolve('claude-sonnet-4-5').priceSource, { source: 'built-in' }, 'before the first fetch');
    assert.deepEqual(c.resolve('claude-sonnet-4-5').price, { prompt: 3, completion: 15 });
    const { log, warnings } = logger();
    assert.equal(await c.priceList!.refresh(log), true);
    assert.deepEqual(warnings, []);
    const m = c.resolve('claude-sonnet-4-5');
    assert.deepEqual(m.price, { prompt: 3.3, completion: 16.5 });
    assert.equal(m.priceSource.source, 'openrouter');
    assert.ok('fetchedAt' in m.priceSource && Date.now() - Date.parse(m.priceSource.fetchedAt) < 60_000);
    assert.deepEqual(c.resolve('meta-llama/llama-3.1-8b-instruct').price, { prompt: 0.1, completion: 0.2 });
    assert.equal(c.resolve('openrouter/auto').unpriced, true, 'a price of -1 is no price');
    assert.deepEqual(
      c.resolve('google/gemini-2.0-flash-001').priceSource,
      { source: 'built-in' },
      'not in the list: the built-in table',
    );
  } finally {
    await c.close();
  }
});

test('a failing, cut, misshapen or oversized answer keeps the prices in use and logs a warning', async () => {
  stub.reset();
  const c = catalog();
  try {
    const { log, warnings } = logger();
    for (const fault of [500, 'garbage', 'wrong-shape', 'huge'] as const) {
      stub.failModels(fault);
      assert.equal(await c.priceList!.refresh(log), false, String(fault));
      assert.deepEqual(c.resolve('gpt-4o').priceSource, { source: 'built-in' }, `${fault}: the built-in table stays`);
    }
    assert.equal(warnings.length, 4);
    assert.match(warnings[0]!, /answered 500.*built-in price table stays in use/);
    assert.match(warnings[1]!, /not JSON/);
    assert.match(warnings[2]!, /not a model list/);
    assert.match(warnings[3]!, /more than 16777216 bytes/);
    stub.failModels(undefined);
    assert.equal(await c.priceList!.refresh(log), true);
    const at = c.resolve('gpt-4o').priceSource;
    assert.equal(at.source, 'openrouter');
    stub.failModels('garbage');
    assert.equal(await c.priceList!.refresh(log), false);
    assert.deepEqual(c.resolve('gpt-4o').priceSource, at, 'the last good list stays');
    assert.match(warnings.at(-1)!, /the list fetched at .* stays in use/);
  } finally {
    await c.close();
  }
});

test('an unreachable provider: a warning, no error, the built-in table', async () => {
  const { log, warnings } = logger();
  const p = new OpenRouterPrices('http://127.0.0.1:9/api/v1');
  assert.equal(await p.refresh(log), false);
  assert.equal(p.fetchedAt, undefined);
  assert.equal(warnings.length, 1);
});

test('start() fetches in the background; stop() ends the timer', async () => {
  stub.reset();
  const c = catalog();
  const { log } = logger();
  c.startPriceRefresh(log, 60_000);
  for (let i = 0; i < 100 && !c.priceList!.fetchedAt; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(c.priceList!.fetchedAt);
  assert.equal(stub.modelsRequests, 1);
  await c.close();
});

test('GET /v1/models shows each price with its source; ids of the fetched list are known names', async () => {
  stub.reset();
  const p = await tempPlatform({
    apiToken: 'prices-test-token-0123456',
    platformYaml: `providers:\n  openrouter: { base_url: '${stub.url}' }\nmodels:\n  mine: { id: openai/gpt-4o, price: { prompt: 1, completion: 2 } }\ngateway: { default_provider: openrouter }\n`,
  });
  try {
    // The first fetch runs in the background from the start.
    for (let i = 0; i < 100 && !p.gateway.catalog.priceList?.fetchedAt; i++)
      await new Promise((r) => setTimeout(r, 20));
    const res = await p.fetch(`/v1/models`, { headers: { authorization: 'Bearer prices-test-token-0123456' } });
    type Entry = {
      id: string;
      aspora: { price_per_million: { prompt: number }; price_source: string; price_fetched_at?: string };
    };
    const byId = new Map(((await res.json()) as { data: Entry[] }).data.map((m) => [m.id, m.aspora]));
    assert.equal(byId.get('claude-sonnet-4-5')!.price_source, 'openrouter');
    assert.equal(byId.get('claude-sonnet-4-5')!.price_per_million.prompt, 3.3);
    assert.ok(byId.get('claude-sonnet-4-5')!.price_fetched_at);
    assert.equal(byId.get('mine')!.price_source, 'config');
    assert.equal(byId.get('gemini-2.0-flash')!.price_source, 'built-in', 'not in the list');
    // In OpenRouter's list, not in the built-in table: known now. A typo of it: 400 with the listed id.
    const ask = (model: string) =>
      p.fetch(`/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer prices-test-token-0123456', 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }),
      });
    assert.equal((await ask('meta-llama/llama-3.1-8b-instruct')).status, 200);
    const typo = await ask('meta-llama/llama-3.1-8b-instruc');
    assert.equal(typo.status, 400);
    assert.match(
      ((await typo.json()) as { error: { message: string } }).error.message,
      /did you mean "meta-llama\/llama-3.1-8b-instruct"/,
    );
  } finally {
    await p.cleanup();
  }
});
