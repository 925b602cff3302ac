/** GET /v1/platform/offers: the names skills may declare, from aspora.platform.yaml and the vault; never a value. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tempPlatform } from './helpers.ts';

const TOKEN = 'offers-test-token-0123456';
const platformYaml = `
secrets:
  DEMO_TOKEN: { value: demo-secret-value }
  TRM_API_KEY: { value: trm-credential-value }
apis:
  trm_api:
    base_url: https://api.trm.example/v2
    auth: { type: bearer, secret: TRM_API_KEY }
    methods:
      checkTransaction: { method: GET, path: /score }
  fraud_db:
    base_url: https://fraud.example
    auth: { type: none }
    methods:
      lookup: { method: GET, path: /lookup }
`;

let p: Awaited<ReturnType<typeof tempPlatform>>;
before(async () => {
  p = await tempPlatform({ apiToken: TOKEN, platformYaml, env: { ASPORA_SECRET_SLACK_TOKEN: 'slack-secret-value' } });
});
after(async () => p.cleanup());

test('the platform lists its APIs and the secrets a handler can be given, by name only', async () => {
  const res = await p.fetch(`/v1/platform/offers`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.deepEqual(JSON.parse(text), { apis: ['fraud_db', 'trm_api'], secrets: ['DEMO_TOKEN', 'SLACK_TOKEN'] });
  // An API's credential is the platform's own: not offered to skills, and no value is in the answer.
  for (const v of ['demo-secret-value', 'trm-credential-value', 'slack-secret-value']) assert.ok(!text.includes(v));
});

test('the list is behind the API token like the rest of /v1, and documented in /openapi.json', async () => {
  assert.equal((await fetch(`${p.url}/v1/platform/offers`)).status, 401);
  const doc = (await (await p.fetch(`/openapi.json`)).json()) as { paths: Record<string, unknown> };
  assert.ok(doc.paths['/v1/platform/offers']);
});
