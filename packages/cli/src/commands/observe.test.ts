/** How `aspora metrics` shows rates: never a rounding that reads as a perfect or a spotless record. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pct, usd } from './observe.ts';

test('rates near 0 or 100 % get the decimals that keep them from reading as 0 or 100 %', () => {
  assert.equal(pct(null), '–');
  assert.equal(pct(0.95), '95.0 %');
  assert.equal(pct(0.9996), '99.96 %', 'four failures in 10,000 are not a 100.0 % success rate');
  assert.equal(pct(0.00004), '0.004 %');
  assert.equal(pct(1), '100.0 %');
  assert.equal(pct(0), '0.0 %');
});

test('a cost too small for four decimals is not shown as $0.0000', () => {
  assert.equal(usd(0), '$0.0000');
  assert.equal(usd(0.00002), '<$0.0001');
  assert.equal(usd(1.23456), '$1.2346');
});
