/** What `aspora up` tells a new user: the "Try:" lines name the platform they started, and which model provider answers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_URL, modelProviderInEnv, suggestedCommands } from '../src/commands/up.ts';

test('on the default URL the suggested commands need no ASPORA_URL', () => {
  const lines = suggestedCommands(DEFAULT_URL);
  assert.ok(lines.some((l) => l.startsWith('npx aspora run ')));
  assert.ok(lines.every((l) => !l.includes('ASPORA_URL')));
});

test('on another port every suggested command that calls the API says which platform', () => {
  const url = 'http://127.0.0.1:4100';
  const lines = suggestedCommands(url);
  for (const l of lines) {
    for (const call of l.split('&&').map((c) => c.trim())) {
      if (call.startsWith('npx aspora create')) continue; // writes files, calls nothing
      if (call.startsWith('curl')) assert.ok(call.includes(url), call);
      else assert.ok(call.startsWith(`ASPORA_URL=${url} npx aspora `), call);
    }
  }
});

test('a provider in the environment wins over the stand-in', () => {
  assert.equal(modelProviderInEnv({}), false);
  assert.equal(modelProviderInEnv({ OPENROUTER_API_KEY: '' }), false);
  assert.equal(modelProviderInEnv({ OPENROUTER_API_KEY: 'k' }), true);
  assert.equal(modelProviderInEnv({ ASPORA_MODEL_BASE_URL: 'http://127.0.0.1:8000/v1' }), true);
});
