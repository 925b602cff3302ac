/** Which provider and id a model name means, from the environment and aspora.platform.yaml. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecretVault } from '../secrets/secrets.ts';
import { EMPTY_PLATFORM_FILE, parsePlatformFile } from '../config/platform-file.ts';
import { ModelCatalog, OPENROUTER_URL, STAND_IN_PROVIDER } from './catalog.ts';

const vault = new SecretVault({}, {});

test('without a key or a base URL no provider is configured, and the error says what to set', () => {
  const c = new ModelCatalog(EMPTY_PLATFORM_FILE, vault, {});
  assert.equal(c.configured, false);
  assert.throws(() => c.resolve('claude-sonnet-4-5'), /no model provider is configured.*/);
});

test('OpenRouter by default: the built-in aliases, its URL, key and attribution headers', () => {
  const c = new ModelCatalog(EMPTY_PLATFORM_FILE, vault, { OPENROUTER_API_KEY: 'or-key' });
  assert.deepEqual(c.resolve('claude-sonnet-4-5'), {
    name: 'claude-sonnet-4-5',
    provider: 'openrouter',
    id: 'anthropic/claude-sonnet-4-5',
    price: { prompt: 3, completion: 15 },
    unpriced: false,
    priceSource: { source: 'built-in' },
  });
  assert.equal(c.resolve('meta-llama/llama-3.1-70b').id, 'meta-llama/llama-3.1-70b', 'a provider id passes as it is');
  assert.equal(c.resolve('meta-llama/llama-3.1-70b').unpriced, true);
  const s = c.transport('openrouter').settings;
  assert.equal(s.baseURL, OPENROUTER_URL);
  assert.equal(s.apiKey, 'or-key');
  assert.deepEqual(s.headers, { 'HTTP-Referer': 'https://aspora.dev', 'X-Title': 'Aspora Skills Platform' });
});

test('ASPORA_MODEL_BASE_URL and ASPORA_MODEL_API_KEY override the default provider', () => {
  const c = new ModelCatalog(EMPTY_PLATFORM_FILE, vault, {
    ASPORA_MODEL_BASE_URL: 'http://127.0.0.1:8000/v1',
    ASPORA_MODEL_API_KEY: 'vllm',
  });
  assert.equal(c.configured, true);
  assert.equal(c.transport('openrouter').settings.baseURL, 'http://127.0.0.1:8000/v1');
  assert.equal(c.transport('openrouter').settings.apiKey, 'vllm');
});

test('providers and aliases from aspora.platform.yaml; <provider>/<id> reaches a named provider', () => {
  const file = parsePlatformFile(
    `secrets:\n  CORP: { value: corp-key }\nproviders:\n  local: { base_url: 'http://127.0.0.1:11434/v1' }\n  corp: { base_url: 'https://llm.corp.example/v1', api_key_secret: CORP }\nmodels:\n  llama: { provider: local, id: 'llama3.1:8b', price: { prompt: 0, completion: 0 } }\ngateway: { default_provider: corp }\n`,
    'aspora.platform.yaml',
    {},
  );
  const c = new ModelCatalog(file, new SecretVault(file.secrets, {}), {});
  assert.deepEqual(c.resolve('llama'), {
    name: 'llama',
    provider: 'local',
    id: 'llama3.1:8b',
    price: { prompt: 0, completion: 0 },
    unpriced: false,
    priceSource: { source: 'config' },
  });
  assert.equal(c.resolve('local/qwen2').provider, 'local');
  assert.equal(c.resolve('local/qwen2').id, 'qwen2');
  assert.equal(c.resolve('gpt-4o').provider, 'corp', 'everything else: the default provider');
  assert.equal(c.transport('corp').settings.apiKey, 'corp-key');
});

test('a model naming an undeclared provider is a configuration error with its path', () => {
  assert.throws(
    () => parsePlatformFile(`models:\n  x: { provider: nowhere, id: y }\n`, 'aspora.platform.yaml', {}),
    (e: Error & { issues?: Array<{ path?: string }> }) => e.issues?.[0]?.path === 'models.x.provider',
  );
});

test('without a provider the local stand-in serves, labelled local-stand-in, at no cost', async () => {
  const c = new ModelCatalog(EMPTY_PLATFORM_FILE, vault, {}, { url: 'http://127.0.0.1:9/v1', only: false });
  assert.equal(c.configured, true);
  assert.equal(c.standIn, true);
  assert.deepEqual(c.resolve('claude-sonnet-4-5'), {
    name: 'claude-sonnet-4-5',
    provider: STAND_IN_PROVIDER,
    id: 'anthropic/claude-sonnet-4-5',
    price: { prompt: 0, completion: 0 },
    unpriced: false,
    priceSource: { source: 'local-stand-in' },
  });
  assert.equal(c.transport(STAND_IN_PROVIDER).settings.baseURL, 'http://127.0.0.1:9/v1');
  assert.ok(
    c.list().length > 0 &&
      c.list().every((m) => m.provider === STAND_IN_PROVIDER && m.price.prompt === 0 && m.price.completion === 0),
  );
  await c.close();
});

test('a configured provider wins over the stand-in, unless it is the only one (--offline-models)', async () => {
  const standIn = { url: 'http://127.0.0.1:9/v1', only: false };
  for (const env of [{ OPENROUTER_API_KEY: 'or-key' }, { ASPORA_MODEL_BASE_URL: 'http://127.0.0.1:8000/v1' }]) {
    const c = new ModelCatalog(EMPTY_PLATFORM_FILE, vault, env, standIn);
    assert.equal(c.standIn, false, JSON.stringify(env));
    assert.equal(c.resolve('claude-sonnet-4-5').provider, 'openrouter');
    assert.throws(() => c.transport(STAND_IN_PROVIDER), /no model provider named local-stand-in/);
    await c.close();
  }
  const file = parsePlatformFile(
    `providers:\n  corp: { base_url: 'https://llm.corp.example/v1' }\nmodels:\n  big: { provider: corp, id: 'corp-big' }\ngateway: { default_provider: corp }\n`,
    'aspora.platform.yaml',
    {},
  );
  const fromFile = new ModelCatalog(file, vault, {}, standIn);
  assert.equal(fromFile.standIn, false, 'the platform file configures the default provider');
  await fromFile.close();
  const only = new ModelCatalog(file, vault, { OPENROUTER_API_KEY: 'or-key' }, { ...standIn, only: true });
  assert.equal(only.standIn, true);
  for (const name of ['big', 'claude-sonnet-4-5', 'corp/x', 'openrouter/y'])
    assert.equal(only.resolve(name).provider, STAND_IN_PROVIDER, name);
  assert.throws(
    () => only.transport('openrouter'),
    /no model provider named openrouter/,
    'offline: no other provider is reachable',
  );
  await only.close();
});

test('an unknown model name is a 400 with the nearest known name; known: aliases, built-in ids, <provider>/<id> of another configured provider', () => {
  const file = parsePlatformFile(
    `providers:\n  local: { base_url: 'http://127.0.0.1:11434/v1' }\nmodels:\n  llama: { provider: local, id: 'llama3.1:8b' }\n`,
    'aspora.platform.yaml',
    {},
  );
  const c = new ModelCatalog(file, new SecretVault({}, {}), { OPENROUTER_API_KEY: 'k' });
  for (const ok of ['claude-sonnet-4-5', 'llama', 'openai/gpt-4o', 'anthropic/claude-opus-4-6', 'local/qwen2:7b'])
    assert.doesNotThrow(() => c.check(ok), ok);
  const refused = (name: string, near: string | undefined) =>
    assert.throws(
      () => c.check(name),
      (e: Error & { code?: string; details?: { param?: string; code?: string; suggestion?: string } }) =>
        e.code === 'BAD_REQUEST' &&
        e.details?.param === 'model' &&
        e.details.code === 'model_not_found' &&
        e.details.suggestion === near &&
        (near ? e.message.includes(`did you mean "${near}"`) : !e.message.includes('did you mean')),
      name,
    );
  refused('claude-sonet-4-5', 'claude-sonnet-4-5');
  refused('gpt4o', 'gpt-4o');
  refused('openai/gpt-4o-minii', 'openai/gpt-4o-mini');
  refused('meta-llama/llama-3.1-70b', undefined);
  refused('x'.repeat(10_000), undefined);
});
