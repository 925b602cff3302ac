import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderSchema, SCHEMA_PATH } from '../scripts/generate-schema.ts';

test('the committed JSON Schema is up to date with the zod schema', () => {
  const committed = readFileSync(SCHEMA_PATH, 'utf8');
  assert.equal(
    committed,
    renderSchema(),
    'packages/sdk/schema/aspora.config.schema.json is stale: run `npm run schema` and commit it',
  );
});

test('the JSON Schema describes the fields editors need to complete', () => {
  const s = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
  assert.equal(s.additionalProperties, false);
  assert.deepEqual(s.required.sort(), ['owner_team', 'runtime', 'skill']);
  assert.deepEqual(s.properties.runtime.properties.language.enum, ['typescript', 'python', 'go']);
  assert.ok(s.properties.runtime.properties.timeout.pattern, 'durations carry their pattern');
  const triggerTypes = s.properties.triggers.items.oneOf ?? s.properties.triggers.items.anyOf;
  assert.equal(triggerTypes.length, 4);
});
