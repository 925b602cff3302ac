/** The skill-reference rule: what users may type, and what is refused with a hint. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, isSlug, parseSkillRef } from '../src/index.ts';

test('domain/name, domain/role/name and @version', () => {
  assert.deepEqual(parseSkillRef('fraud/block-transaction'), {
    domain: 'fraud',
    name: 'block-transaction',
    id: 'fraud/block-transaction',
  });
  assert.deepEqual(parseSkillRef('ecm/field/my-tickets'), {
    domain: 'ecm',
    role: 'field',
    name: 'my-tickets',
    id: 'ecm/my-tickets',
  });
  assert.deepEqual(parseSkillRef('wealth/fx-timing@1.0.2'), {
    domain: 'wealth',
    name: 'fx-timing',
    id: 'wealth/fx-timing',
    version: '1.0.2',
  });
  assert.deepEqual(parseSkillRef(' /fraud/x/ '), { domain: 'fraud', name: 'x', id: 'fraud/x' });
});

test('anything else is a BAD_REQUEST with the rule as its hint', () => {
  for (const bad of [
    'fraud',
    'a/b/c/d',
    'Fraud/x',
    'fraud/block_transaction',
    'fraud/-x',
    'fraud/x-',
    'fraud/a--b',
    'fraud/x@',
    'fraud/x@1 0',
    `fraud/${'a'.repeat(65)}`,
    '',
    'Not A Ref',
  ]) {
    assert.throws(
      () => parseSkillRef(bad),
      (e: unknown) =>
        e instanceof ApiError && e.code === 'BAD_REQUEST' && e.status === 400 && /domain\/name/.test(e.hint ?? ''),
      bad,
    );
  }
  assert.throws(() => parseSkillRef('fraud/x@1.0.0', { version: false }), ApiError, 'no version where none is meant');
});

test('a slug is lowercase words joined by single hyphens, at most 64 characters', () => {
  assert.ok(isSlug('a') && isSlug('block-transaction') && isSlug('v2') && isSlug('a'.repeat(64)));
  assert.ok(!isSlug('a'.repeat(65)) && !isSlug('a_b') && !isSlug('') && !isSlug(undefined) && !isSlug('a/b'));
});
