/** The test context's context.user: none unless the test gives one, then every field the platform sends. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '../src/testing/index.ts';

test('context.user is null unless the test gives one', () => {
  assert.equal(createTestContext().user, null);
  assert.equal(createTestContext({ user: null }).user, null);
});

test('an email is a user whose id is the email; given fields are kept, the rest are null', () => {
  assert.deepEqual(createTestContext({ user: 'sarah@example.com' }).user, {
    id: 'sarah@example.com',
    email: 'sarah@example.com',
    name: null,
    team: null,
    role: null,
  });
  assert.deepEqual(
    createTestContext({ user: { id: 'u-7', email: 'sarah@example.com', team: 'ecm-ops', role: 'field' } }).user,
    { id: 'u-7', email: 'sarah@example.com', name: null, team: 'ecm-ops', role: 'field' },
  );
});
