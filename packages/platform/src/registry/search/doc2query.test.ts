/**
 * doc2query at deploy, against the OpenAI-compatible stand-in the gateway tests use: a new version
 * asks the model (task type classification) for example requests, and search finds the skill by
 * them; a model that fails never fails the deploy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OpenAIStub, startOpenAIStub } from '../../../../../tools/openai-stub/src/server.ts';
import { runtimeFixture } from '../../runtime/test-support.ts';
import { parseRequests } from './doc2query.ts';

const HANDLER = 'export default async () => ({ ok: true });\n';

describe('doc2query at deploy', () => {
  let stub: OpenAIStub;
  let f: Awaited<ReturnType<typeof runtimeFixture>>;
  before(async () => {
    stub = await startOpenAIStub();
    f = await runtimeFixture({ env: { ASPORA_MODEL_BASE_URL: stub.url, ASPORA_MODEL_API_KEY: 'k' } });
  });
  after(async () => {
    await f?.close();
    await stub?.close();
  });

  it('indexes the requests the model writes for a new version, and search finds the skill by them', async () => {
    stub.behave('*', {
      reply:
        '1. my croissant order never showed up\n- "where is the bakery delivery"\n\n* pastries missing from the box',
      times: 1,
    });
    await f.deploy({ domain: 'bakery', name: 'late-order', handler: HANDLER });
    const asked = stub.chatRequests.at(-1)!;
    assert.match(JSON.stringify(asked.body), /bakery\/late-order/);
    const examples = await f.registry.learnedExamples('bakery/late-order');
    assert.deepEqual(examples.map((e) => e.text).sort(), [
      'my croissant order never showed up',
      'pastries missing from the box',
      'where is the bakery delivery',
    ]);
    assert.ok(examples.every((e) => e.source === 'doc2query' && e.polarity === 'positive'));
    const hits = await f.registry.searchSkills('croissant never showed up');
    assert.equal(hits[0]?.skill.ref, 'bakery/late-order');
  });

  it('a failing model leaves the deploy intact, without examples', async () => {
    stub.behave('*', { status: 500 });
    try {
      const pub = await f.deploy({ domain: 'bakery', name: 'cake-order', handler: HANDLER });
      assert.equal(pub.created, true);
      assert.deepEqual(await f.registry.learnedExamples('bakery/cake-order'), []);
    } finally {
      stub.reset();
    }
  });
});

describe('parseRequests', () => {
  it('reads one request per line, drops list markers, quotes, blanks and repeats, and bounds the answer', () => {
    assert.deepEqual(parseRequests('1) "a b c"\n2. a b c\n\n- ok then\nok'), ['a b c', 'ok then']);
    const many = Array.from({ length: 100 }, (_, i) => `request number ${i} ${'z'.repeat(500)}`).join('\n');
    const got = parseRequests(many);
    assert.equal(got.length, 40);
    assert.ok(got.every((l) => l.length <= 200));
  });
});
