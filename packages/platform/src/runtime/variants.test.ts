/**
 * The same skill in three languages (examples/skills/fraud/block-transaction and its Python and Go
 * variants under examples/variants) deployed from their folders and run on one platform against
 * the same APIs: each returns the same SkillResult, with its own execution record.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { packFolder } from '../store/index.ts';
import { runtimeFixture } from './test-support.ts';

const EXAMPLES = fileURLToPath(new URL('../../../../examples/', import.meta.url));
const FOLDERS = {
  typescript: `${EXAMPLES}skills/fraud/block-transaction`,
  python: `${EXAMPLES}variants/fraud/block-transaction-python`,
  go: `${EXAMPLES}variants/fraud/block-transaction-go`,
};
const haveGo = !spawnSync(process.env.ASPORA_GO || 'go', ['version']).error;

let f: Awaited<ReturnType<typeof runtimeFixture>>;
let api: Server;
const blocked: unknown[] = [];

before(async () => {
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.headers.authorization !== 'Bearer trm-demo') return res.writeHead(401).end();
      if (req.url?.startsWith('/trm/transactions/')) return res.writeHead(200, { 'content-type': 'application/json' }).end(req.url.includes('tx_123') ? '0.93' : '0.12');
      if (req.url === '/fraud-db/blocks') return blocked.push(JSON.parse(body)), res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
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
    if (lang === 'go' && !haveGo) continue;
    const pub = await f.publisher.publish(Buffer.from((await packFolder(dir)).bytes));
    await f.publisher.deploy(pub.ref, 'production', pub.version);
  }
});
after(async () => {
  await f.close();
  await new Promise((r) => api.close(r));
});

for (const tx of ['tx_123', 'tx_456']) {
  test(`${tx}: the TypeScript, Python and Go variants return the same SkillResult`, async () => {
    const refs = ['fraud/block-transaction', 'fraud/block-transaction-python', ...(haveGo ? ['fraud/block-transaction-go'] : [])];
    blocked.length = 0;
    const runs = await Promise.all(refs.map((ref) => f.runtime.run({ ref, input: { userMessage: `block payment ${tx}`, metadata: { transactionId: tx } } })));
    for (const r of runs) assert.equal(r.error, null, `${r.ref}: ${JSON.stringify(r.error)}`);
    const expected = tx === 'tx_123'
      ? { success: true, message: '🚫 Transaction blocked due to high fraud score', data: { fraudScore: 0.93, action: 'blocked' }, confidence: 0.95 }
      : { success: true, message: '✅ Transaction approved', data: { fraudScore: 0.12, action: 'approved' }, confidence: 0.85 };
    for (const r of runs) assert.deepEqual(r.result, expected, r.ref);
    assert.equal(new Set(runs.map((r) => r.id)).size, runs.length, 'one execution each');
    assert.equal(blocked.length, tx === 'tx_123' ? runs.length : 0);
    for (const r of runs) assert.equal(r.hostCalls, tx === 'tx_123' ? 3 : 2, `${r.ref}: Read, checkTransaction${tx === 'tx_123' ? ', blockTransaction' : ''}`);
  });
}
