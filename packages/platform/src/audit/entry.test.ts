/** What an audit entry keeps of its input: bounded, credential-named keys redacted, one canonical encoding. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsporaError } from '@aspora/sdk';
import { boundDetails, canonicalJson, cleanText, entryHash, GENESIS, LIMITS, normalise, REDACTED } from './entry.ts';
import { parseSince } from './since.ts';

test('details over 8 KiB are cut to fit, and say which keys were dropped', () => {
  const big: Record<string, unknown> = {};
  for (let i = 0; i < 20; i++) big[`k${i}`] = 'x'.repeat(2000);
  const out = boundDetails(big);
  assert.ok(Buffer.byteLength(JSON.stringify(out)) <= LIMITS.detailsBytes);
  assert.equal((out.k0 as string).length, LIMITS.string, 'long strings are cut');
  assert.ok((out.k0 as string).endsWith('…'));
  assert.match(out['…truncated'] as string, /k19/);
});

test('lists, key counts and nesting are bounded', () => {
  const deep = { a: { b: { c: { d: { e: { f: 'too deep' } } } } } };
  const out = boundDetails({
    list: Array.from({ length: 80 }, (_, i) => i),
    deep,
    many: Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, i])),
  });
  assert.equal((out.list as unknown[]).length, LIMITS.items + 1);
  assert.equal((out.list as unknown[]).at(-1), '[30 more]');
  assert.equal(
    JSON.stringify(out.deep),
    '{"a":{"b":{"c":{"d":"[too deep]"}}}}',
    'five levels of objects, details included',
  );
  assert.equal((out.many as Record<string, unknown>)['…'], '20 more keys');
});

test('values under credential-like keys are redacted, however deep; bytes are never shown', () => {
  const out = boundDetails({
    secret: 'ECM_GATEWAY_KEY',
    nested: { Token: 'asp_live_abc', Authorization: 'Bearer x', password: 'hunter2', name: 'kept' },
    key: Buffer.from('sk-raw-bytes'),
  });
  assert.equal(out.secret, REDACTED);
  assert.deepEqual(out.nested, { Token: REDACTED, Authorization: REDACTED, password: REDACTED, name: 'kept' });
  assert.equal(out.key, '[12 bytes]');
  assert.ok(!JSON.stringify(out).includes('asp_live') && !JSON.stringify(out).includes('hunter2'));
});

test('what JSON and the database cannot keep is made into what they can', () => {
  const out = boundDetails({
    nul: 'a\u0000b',
    lone: 'x\ud800y',
    n: Number.NaN,
    inf: Number.POSITIVE_INFINITY,
    big: 10n,
    when: new Date('2026-01-01T00:00:00Z'),
    fn: () => 1,
    undef: undefined,
    ['__proto__']: 'data, not a prototype',
  } as Record<string, unknown>);
  assert.deepEqual(JSON.parse(JSON.stringify(out)), {
    nul: 'ab',
    lone: 'x\ufffdy',
    n: 'NaN',
    inf: 'Infinity',
    big: '10',
    when: '2026-01-01T00:00:00.000Z',
    ['__proto__']: 'data, not a prototype',
  });
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
});

test('actor, action and target are bounded and cleaned too', () => {
  const e = normalise({ actor: 'a'.repeat(400), action: 'x.y\u0000', target: 't\udc00', outcome: 'ok' });
  assert.equal(e.actor.length, LIMITS.actor);
  assert.equal(e.action, 'x.y');
  assert.equal(e.target, 't\ufffd');
  assert.equal(normalise({ actor: 'a', action: 'b', outcome: 'ok' }).target, null);
  assert.equal(cleanText(`${'a'.repeat(9)}\ud83d\ude00`, 10), `${'a'.repeat(9)}…`, 'a cut pair leaves no half');
});

test('the canonical encoding does not depend on key order; the hash covers every field and the link', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } }),
    '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}',
  );
  const f = {
    seq: 1,
    at: '2026-01-01T00:00:00.000Z',
    actor: 'sarah@example.com',
    action: 'skill.deploy',
    target: 'fraud/x@production',
    outcome: 'ok' as const,
    details: { version: '1.0.0', env: 'production' },
  };
  const h = entryHash(GENESIS, f);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(entryHash(GENESIS, { ...f, details: { env: 'production', version: '1.0.0' } }), h);
  for (const change of [
    { seq: 2 },
    { at: '2026-01-01T00:00:00.001Z' },
    { actor: 'dinesh@example.com' },
    { action: 'skill.rollback' },
    { target: null },
    { outcome: 'failed' as const },
    { details: { version: '1.0.1', env: 'production' } },
  ])
    assert.notEqual(entryHash(GENESIS, { ...f, ...change }), h, JSON.stringify(change));
  assert.notEqual(entryHash('1'.repeat(64), f), h, 'the previous hash is part of it');
  // A field's text cannot shift into the next one's.
  assert.notEqual(
    entryHash(GENESIS, { ...f, actor: 'a', action: 'b.c' }),
    entryHash(GENESIS, { ...f, actor: 'a","b', action: 'c' }),
  );
});

test('since: a duration back or an ISO time; anything else is a BAD_REQUEST with a hint', () => {
  const now = Date.parse('2026-03-10T12:00:00Z');
  assert.equal(parseSince('90m', now).toISOString(), '2026-03-10T10:30:00.000Z');
  assert.equal(parseSince('24h', now).toISOString(), '2026-03-09T12:00:00.000Z');
  assert.equal(parseSince('7d', now).toISOString(), '2026-03-03T12:00:00.000Z');
  assert.equal(parseSince('30s', now).toISOString(), '2026-03-10T11:59:30.000Z');
  assert.equal(parseSince('2026-03-01T08:00:00Z').toISOString(), '2026-03-01T08:00:00.000Z');
  assert.equal(parseSince('2026-03-01T08:00:00+02:00').toISOString(), '2026-03-01T06:00:00.000Z');
  assert.equal(parseSince('2026-03-01').toISOString(), '2026-03-01T00:00:00.000Z');
  for (const bad of ['yesterday', '24', 'h', '-1h', '1.5h', '2026-13-45', 'March 1, 2026', '1e9d', ''])
    assert.throws(
      () => parseSince(bad, now),
      (e: unknown) => e instanceof AsporaError && e.code === 'BAD_REQUEST' && /24h/.test(e.hint ?? ''),
      bad,
    );
});
