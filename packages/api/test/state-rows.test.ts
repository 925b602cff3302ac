/**
 * A rows file for a state table: a JSON array or JSON Lines, every row checked before any is sent,
 * a bad one named by its row or line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../src/errors.ts';
import { parseStateRows } from '../src/state-rows.ts';

const fails = (text: string, re: RegExp) =>
  assert.throws(
    () => parseStateRows(text, 'rows.json'),
    (e: unknown) => e instanceof ApiError && e.code === 'BAD_REQUEST' && re.test(e.message) && !!e.hint,
  );

test('a JSON array and JSON Lines give the same rows, in order', () => {
  const rows = [{ 'Order ID': 'A1', Amount: 721, Paid: false, Note: null }, { 'Order ID': 'B2' }];
  assert.deepEqual(parseStateRows(JSON.stringify(rows), 'rows.json'), rows);
  assert.deepEqual(parseStateRows(`\uFEFF${rows.map((r) => JSON.stringify(r)).join('\r\n')}\n\n`, 'rows.jsonl'), rows);
});

test('a bad file or row is named by its row or line', () => {
  fails('', /holds no rows/);
  fails('[]', /holds no rows/);
  fails('[{"a":1},', /is not valid JSON/);
  fails('{"a":1}\n{"a":', /line 2 is not JSON/);
  fails('[{"a":1},[1,2]]', /row 2: a row is a JSON object/);
  fails('{"a":1}\n"text"\n', /line 2: a row is a JSON object/);
  fails('[{"a":{"nested":true}}]', /row 1 \(a\):/);
  fails(JSON.stringify([{ a: 'x'.repeat(10_001) }]), /row 1 \(a\):.*at most 10000 characters/);
  fails(JSON.stringify([{ ['c'.repeat(65)]: 1 }]), /row 1/);
});
