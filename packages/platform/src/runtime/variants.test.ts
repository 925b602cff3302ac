/**
 * The same skill in three languages (examples/skills/fraud/block-transaction and its Python and Go
 * variants under examples/variants) deployed from their folders and run on one platform against
 * the same APIs: each returns the same SkillResult, with its own execution record, and each
 * variant's own unit tests pass in the sandbox. Without Go its variant is skipped, counted (under
 * CI=true that is a failure: test/tools.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { packFolder } from '../store/index.ts';
import { runtimeFixture } from './test-support.ts';
import { skipUnless } from '../../test/tools.ts';

const EXAMPLES = fileURLToPath(new URL('../../../../examples/', import.meta.url));
const FOLDERS = {
  typescript: `${EXAMPLES}skills/fraud/block-transaction`,
  python: `${EXAMPLES}variants/fraud/block-transaction-python`,
  go: `${EXAMPLES}variants/fraud/block-transaction-go`,
};
const noGo = skipUnless('go');

let f: Awaited<ReturnType<typeof runtimeFixture>>;
let api: Server;
const blocked: unknown[] = [];

before(async () => {
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.headers.authorization !== 'Bearer trm-demo') return res.writeHead(401).end();
      if (req.url?.startsWith('/trm/transactions/'))
        return res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(req.url.includes('tx_123') ? '0.93' : '0.12');
      if (req.url === '/fraud-db/blocks')
        return (
          blocked.push(JSON.parse(body)), res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
        );
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  f = await runtimeFixture({
    platformYaml: `
secrets:
  TRM_KEY: { value: trm-demo }
apis:
  trm_api:
    base_url: ${base}/trm
    auth: { type: bearer, secret: TRM_KEY }
    methods:
      checkTransaction: { method: GET, path: "/transactions/{transactionId}/score" }
  internal_fraud_db:
    base_url: ${base}/fraud-db
    auth: { type: bearer, secret: TRM_KEY }
    methods:
      blockTransaction: { method: POST, path: /blocks }
`,
  });
  for (const [lang, dir] of Object.entries(FOLDERS)) {
    if (lang === 'go' && noGo) continue; // its tests below are skipped, counted
    const pub = await f.publisher.publish(Buffer.from((await packFolder(dir)).bytes));
    await f.publisher.deploy(pub.ref, 'production', pub.version);
  }
});
after(async () => {
  await f.close();
  await new Promise((r) => api.close(r));
});

const VARIANTS = [
  { lang: 'typescript', ref: 'fraud/block-transaction', skip: undefined },
  { lang: 'python', ref: 'fraud/block-transaction-python', skip: undefined },
  { lang: 'go', ref: 'fraud/block-transaction-go', skip: noGo },
] as const;

for (const tx of ['tx_123', 'tx_456']) {
  for (const { lang, ref, skip } of VARIANTS) {
    test(`${tx}: the ${lang} variant returns the same SkillResult as the others`, { skip }, async () => {
      blocked.length = 0;
      const r = await f.runtime.run({
        ref,
        input: { userMessage: `block payment ${tx}`, metadata: { transactionId: tx } },
      });
      assert.equal(r.error, null, `${r.ref}: ${JSON.stringify(r.error)}`);
      const expected =
        tx === 'tx_123'
          ? {
              success: true,
              message: '🚫 Transaction blocked due to high fraud score',
              data: { fraudScore: 0.93, action: 'blocked' },
              confidence: 0.95,
            }
          : {
              success: true,
              message: '✅ Transaction approved',
              data: { fraudScore: 0.12, action: 'approved' },
              confidence: 0.85,
            };
      assert.deepEqual(r.result, expected, r.ref);
      assert.equal(blocked.length, tx === 'tx_123' ? 1 : 0);
      assert.equal(
        r.hostCalls,
        tx === 'tx_123' ? 3 : 2,
        `${r.ref}: Read, checkTransaction${tx === 'tx_123' ? ', blockTransaction' : ''}`,
      );
    });
  }
}

test('the variants run at once are an execution each', async () => {
  const deployed = VARIANTS.filter((v) => !v.skip);
  const runs = await Promise.all(
    deployed.map(({ ref }) =>
      f.runtime.run({ ref, input: { userMessage: 'block payment tx_456', metadata: { transactionId: 'tx_456' } } }),
    ),
  );
  for (const r of runs) assert.equal(r.error, null, `${r.ref}: ${JSON.stringify(r.error)}`);
  assert.deepEqual(
    runs.map((r) => r.ref),
    deployed.map((v) => v.ref),
  );
  assert.equal(new Set(runs.map((r) => r.id)).size, runs.length, 'one execution each');
});

// The variants' own unit tests (Go's handler_test.go, Python's unittest), as `aspora test` runs them.
for (const { lang, ref, skip } of VARIANTS) {
  test(`the ${lang} variant's own tests (tests/unit) pass in the sandbox`, { skip }, async () => {
    const r = await f.runtime.testSkill(ref, { environment: 'production' });
    assert.equal(r.language, lang);
    assert.equal(r.passed, true, `${ref} (${r.language}):\n${r.output.slice(-2000)}`);
  });
}
