/**
 * The gateway's choices and prices, called as a handler's context.model.chat is: the model per
 * task type (the built-in defaults), auto-downgrade rules, the price table, a provider's reported
 * cost, and token counts estimated (and flagged) when a provider sends none.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOpenAIStub, type OpenAIStub } from '../../../../tools/openai-stub/src/server.ts';
import { runtimeFixture } from '../runtime/test-support.ts';
import type { ModelCallRecord } from './types.ts';

let stub: OpenAIStub;
let f: Awaited<ReturnType<typeof runtimeFixture>>;
before(async () => {
  stub = await startOpenAIStub();
  f = await runtimeFixture({
    env: { ASPORA_MODEL_BASE_URL: stub.url, ASPORA_MODEL_API_KEY: 'k' },
    platformYaml: `
models:
  claude-haiku-4-5: { id: anthropic/claude-haiku-4-5, price: { prompt: 1, completion: 5 } }
cost_optimization:
  auto_downgrade:
    enabled: true
    rules:
      - if: task.input_tokens < 50 AND task.complexity == 'low'
        use: gpt-4o-mini
      - if: task.requires_reasoning == true
        use: claude-sonnet-4-5
  caching: { enabled: false }
`,
  });
});
after(async () => {
  await f.close();
  await stub.close();
});

const caller = { ref: 'test/gw', domain: 'test', prefs: {} };
const ask = async (req: Record<string, unknown>, prefs: Record<string, unknown> = {}) => {
  const calls: ModelCallRecord[] = [];
  const answer = await f.gateway.chat(
    { messages: [{ role: 'user', content: 'a short question' }], ...req },
    { ...caller, prefs },
    (c) => calls.push(c),
  );
  return { answer, calls };
};

test('each task type goes to its model: cheap for classification and routing, balanced, strong', async () => {
  for (const [taskType, model] of [
    ['classification', 'anthropic/claude-haiku-4-5'],
    ['routing', 'anthropic/claude-haiku-4-5'],
    ['skill_execution', 'anthropic/claude-sonnet-4-5'],
    ['complex_reasoning', 'anthropic/claude-opus-4-6'],
  ]) {
    assert.equal((await ask({ taskType })).answer.model, model, taskType);
  }
  assert.equal(
    (await ask({}, { primary: 'gpt-4o' })).answer.model,
    'openai/gpt-4o',
    "the skill's primary when no rule matches",
  );
  assert.equal(
    (await ask({ model: 'claude-opus-4-6' }, { primary: 'gpt-4o' })).answer.model,
    'anthropic/claude-opus-4-6',
    'a model the call names wins',
  );
});

test('auto-downgrade rules see input tokens, complexity and reasoning, and win over the primary', async () => {
  assert.equal((await ask({ complexity: 'low' }, { primary: 'claude-opus-4-6' })).answer.model, 'openai/gpt-4o-mini');
  assert.equal(
    (
      await ask(
        { complexity: 'low', messages: [{ role: 'user', content: 'x '.repeat(400) }] },
        { primary: 'claude-opus-4-6' },
      )
    ).answer.model,
    'anthropic/claude-opus-4-6',
    'too long for the rule',
  );
  assert.equal((await ask({ requiresReasoning: true })).answer.model, 'anthropic/claude-sonnet-4-5');
});

test('cost: the price table, else what the provider reports; missing usage is estimated and flagged', async () => {
  stub.reset();
  const priced = await ask({ model: 'claude-haiku-4-5' });
  const u = priced.answer.usage;
  assert.equal(u.cost, (u.promptTokens * 1 + u.completionTokens * 5) / 1e6);
  assert.equal(priced.calls[0]!.estimated, false);

  const undo = stub.behave('*', { cost: 0.0123 });
  assert.equal(
    (await ask({ model: 'claude-haiku-4-5' })).answer.usage.cost,
    0.0123,
    "the provider's reported cost wins",
  );
  undo();

  const undo2 = stub.behave('*', { usage: false });
  const est = await ask({ model: 'claude-haiku-4-5' });
  undo2();
  assert.equal(est.answer.usage.estimated, true);
  assert.ok(est.answer.usage.promptTokens > 0 && est.answer.usage.completionTokens > 0);
  assert.equal(est.calls[0]!.estimated, true);
});

test('a bad rule in aspora.platform.yaml stops the platform with the rule and the position', async () => {
  await assert.rejects(
    runtimeFixture({
      platformYaml: `cost_optimization:\n  auto_downgrade:\n    enabled: true\n    rules:\n      - if: task.type = 'x'\n        use: gpt-4o-mini\n`,
    }),
    (e: Error & { code?: string }) =>
      e.code === 'CONFIG_INVALID' && /rules\[0\]\.if: .*"==".*column 11/.test(e.message),
  );
  await assert.rejects(
    runtimeFixture({
      platformYaml: `cost_optimization:\n  auto_downgrade:\n    enabled: true\n    rules:\n      - if: task.colour == 'x'\n        use: gpt-4o-mini\n`,
    }),
    (e: Error) => /unknown field task\.colour/.test(e.message),
  );
});
