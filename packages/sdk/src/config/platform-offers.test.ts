import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAgainstOffers } from './platform-offers.ts';

const config = `skill:
  name: s
  domain: d
  version: 1.0.0
  description: x
runtime:
  language: typescript
  entry_point: h.ts
permissions:
  apis: [trm_api, fraud_dbb]
  secrets:
    - SLACK_TOKEN
    - MISSING_ONE
owner_team: t
`;

test('declared APIs and secrets the platform does not offer are errors at their line, with "did you mean"', () => {
  const issues = checkAgainstOffers(
    config,
    'a/aspora.config.yaml',
    { apis: ['trm_api', 'fraud_db'], secrets: ['SLACK_TOKEN', 'OTHER'] },
    'http://p:4000',
  );
  assert.deepEqual(
    issues.map((i) => [i.file, i.line, i.column, i.path, i.message, i.hint]),
    [
      [
        'a/aspora.config.yaml',
        10,
        19,
        'permissions.apis[1]',
        'API "fraud_dbb" is not offered by the platform at http://p:4000',
        'did you mean "fraud_db"? (offered: trm_api, fraud_db)',
      ],
      [
        'a/aspora.config.yaml',
        13,
        7,
        'permissions.secrets[1]',
        'secret "MISSING_ONE" is not offered by the platform at http://p:4000',
        'offered: SLACK_TOKEN, OTHER',
      ],
    ],
  );
});

test('a platform that offers nothing says where names come from; one that offers all declared names gives no issue', () => {
  const none = checkAgainstOffers(config, 'c.yaml', { apis: [], secrets: [] }, 'http://p');
  assert.equal(none.length, 4);
  assert.match(none[0]!.hint!, /declares no APIs/);
  assert.match(none[2]!.hint!, /ASPORA_SECRET_<NAME>/);
  assert.deepEqual(
    checkAgainstOffers(
      config,
      'c.yaml',
      { apis: ['trm_api', 'fraud_dbb'], secrets: ['SLACK_TOKEN', 'MISSING_ONE'] },
      'http://p',
    ),
    [],
  );
});

test('an answer with absurd lists is bounded, not trusted', () => {
  const huge = {
    apis: [...Array.from({ length: 5000 }, (_, i) => `api_${i}`), 'x'.repeat(10_000)],
    secrets: 'not a list' as unknown as string[],
  };
  const issues = checkAgainstOffers(config, 'c.yaml', huge, 'http://p');
  assert.equal(issues.length, 4);
  assert.ok(issues.every((i) => (i.hint ?? '').length < 1000));
});
