/**
 * Model-call rate limits shared by several platform processes through Redis (REDIS_URL): two
 * platforms, one skill, a limit of 5 per hour — 5 calls in all pass, whichever process takes them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOpenAIStub, type OpenAIStub } from '../../../../tools/openai-stub/src/server.ts';
import { runtimeFixture } from '../runtime/test-support.ts';
import { REDIS_URL } from '../rate-limits/test-support.ts';
import { haveOrSkip, redis } from '../../test/tools.ts';

let stub: OpenAIStub;
before(async () => {
  stub = await startOpenAIStub();
});
after(() => stub.close());

test('two platform processes on one Redis share the per-skill limit', async (t) => {
  if (!haveOrSkip(t, await redis())) return;
  const skill = `shared${Date.now()}`;
  const yaml = `providers:\n  stub: { base_url: ${stub.url} }\ngateway: { default_provider: stub }\ncost_optimization:\n  rate_limits: { per_skill_per_hour: 5 }\n  caching: { enabled: false }\n`;
  const env = { REDIS_URL };
  const [a, b] = await Promise.all([
    runtimeFixture({ platformYaml: yaml, env }),
    runtimeFixture({ platformYaml: yaml, env }),
  ]);
  try {
    const caller = { ref: `test/${skill}`, domain: 'test', prefs: {} };
    const outcomes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const g = (i % 2 ? a : b).gateway;
      await g.complete({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `n${i}` }] }, caller).then(
        () => outcomes.push('ok'),
        (e: { code: string; message: string }) => outcomes.push(`${e.code}: ${e.message}`),
      );
    }
    assert.deepEqual(outcomes.slice(0, 5), ['ok', 'ok', 'ok', 'ok', 'ok']);
    for (const o of outcomes.slice(5))
      assert.match(
        o,
        /^RATE_LIMITED: skill test\/shared\d+: the gateway allows 5 model calls per skill per hour; try again in \d+ s$/,
      );
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
