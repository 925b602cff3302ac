import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TABLE_RE } from '../state/rules.ts';
import { compareTables, shadowFetchRefusal, twinStateKey, twinTable } from './targets.ts';

test('a table’s twin is a valid table name, distinct for long names that share a prefix', () => {
  assert.equal(twinTable('assignments'), 'assignments_canary');
  assert.equal(twinTable('assignments_canary'), 'assignments_canary', 'a twin is its own twin');
  const a = `${'x'.repeat(60)}_a`;
  const b = `${'x'.repeat(60)}_b`;
  for (const t of [a, b, 'y'.repeat(63), 'z'.repeat(56), 'z'.repeat(57)]) {
    assert.ok(TABLE_RE.test(twinTable(t)), `${twinTable(t)} (${twinTable(t).length})`);
    assert.ok(twinTable(t).endsWith('_canary'));
  }
  assert.notEqual(twinTable(a), twinTable(b));
  assert.equal(twinTable('z'.repeat(56)), `${'z'.repeat(56)}_canary`);
});

test('a compare tab as written names stable’s table and its twin', () => {
  for (const written of ['Assignments_canary', 'assignments_tab', 'assignments', ' Assignments '])
    assert.deepEqual(compareTables(written), { stable: 'assignments', twin: 'assignments_canary' });
});

test('a shadow’s WebFetch sends reads only; its state keys are twins', () => {
  assert.equal(shadowFetchRefusal('a/b', undefined), null);
  assert.equal(shadowFetchRefusal('a/b', 'head'), null);
  const e = shadowFetchRefusal('a/b', 'POST');
  assert.equal(e?.code, 'PERMISSION_DENIED');
  assert.match(e!.message, /runs in shadow: WebFetch POST refused/);
  assert.equal(twinStateKey('cursor'), 'canary:cursor');
});
