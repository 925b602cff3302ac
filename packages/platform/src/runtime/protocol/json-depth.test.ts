import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { textDeeperThan, valueDeeperThan } from './json-depth.ts';

const nest = (n: number): unknown => {
  let v: unknown = {};
  for (let i = 1; i < n; i++) v = i % 2 ? [v] : { k: v };
  return v;
};

/** A small seeded generator (mulberry32): the same values every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('JSON depth', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    assert.equal(textDeeperThan(JSON.stringify(nest(10)), 10), false);
    assert.equal(textDeeperThan(JSON.stringify(nest(11)), 10), true);
    const tricky = JSON.stringify({
      s: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
      q: 'a\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
      e: '\\\\',
    });
    assert.equal(textDeeperThan(tricky, 1), false);
    assert.equal(valueDeeperThan(nest(64), 64), false);
    assert.equal(valueDeeperThan(nest(65), 64), true);
    assert.equal(valueDeeperThan('[[[[', 1), false);
  });

  it('measures 6,000 levels without recursion', () => {
    const text = `${'['.repeat(6000)}${']'.repeat(6000)}`;
    assert.equal(textDeeperThan(text, 72), true);
    assert.equal(valueDeeperThan(JSON.parse(text), 64), true);
  });

  it('the text and the parsed value agree, over random JSON with strings full of brackets and escapes', () => {
    const next = rng(13);
    const pieces = ['[', ']', '{', '}', '"', '\\', 'a', ' ', '\n'];
    const value = (depth: number): unknown => {
      const r = next();
      if (depth > 12 || r < 0.3)
        return Array.from({ length: Math.floor(next() * 6) }, () => pieces[Math.floor(next() * pieces.length)]).join(
          '',
        );
      if (r < 0.65) return Array.from({ length: Math.floor(next() * 3) + 1 }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(next() * 3) + 1 }, (_, i) => [
          `k${i}${pieces[Math.floor(next() * pieces.length)]}`,
          value(depth + 1),
        ]),
      );
    };
    for (let i = 0; i < 2000; i++) {
      const v = value(0);
      const text = JSON.stringify(v);
      for (const max of [0, 1, 3, 6])
        assert.equal(textDeeperThan(text, max), valueDeeperThan(v, max), `${text} at ${max}`);
    }
  });
});
