import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffOutputs } from './diff.ts';

/** examples/skills/ecm/manager/triage-and-assign's scoring (copied: the example is not part of the build). */
function priority(hours: number, aed: number): string {
  const hp = hours >= 24 ? 4 : hours >= 12 ? 3 : hours >= 8 ? 2 : hours >= 4 ? 1 : 0;
  const ap = aed >= 5000 ? 3 : aed >= 1000 ? 2 : aed >= 250 ? 1 : 0;
  const p = Math.max(1, 5 - Math.min(4, hp + ap));
  return `P${aed >= 25000 ? Math.min(p, 2) : p}`;
}

const orders = Array.from({ length: 40 }, (_, i) => ({
  order_id: String(1000 + i),
  hours_stuck: (i * 7) % 30,
  amount_aed: (i * 613) % 9000,
}));
/** The example's scoring, and a candidate that ranks amount over hours (1 000 AED counts from 6 h). */
const changedPriority = (hours: number, aed: number) => (aed >= 1000 && hours >= 6 ? 'P1' : priority(hours, aed));

test('a changed triage scoring: the report names exactly the orders whose priority changed', () => {
  const stable = {
    data: {
      assignments: orders.map((o) => ({
        order_id: o.order_id,
        priority: priority(o.hours_stuck, o.amount_aed),
        agent: 'a@x',
      })),
    },
  };
  const shadow = {
    data: {
      assignments: orders.map((o) => ({
        order_id: o.order_id,
        priority: changedPriority(o.hours_stuck, o.amount_aed),
        agent: 'a@x',
      })),
    },
  };
  const expected = orders
    .filter((o) => priority(o.hours_stuck, o.amount_aed) !== changedPriority(o.hours_stuck, o.amount_aed))
    .map((o) => `data.assignments[order_id=${o.order_id}]`);
  assert.ok(expected.length > 0 && expected.length < orders.length, 'the change moves some orders, not all');
  const d = diffOutputs(stable, shadow);
  assert.deepEqual(d.changes.map((c) => c.key).sort(), expected.sort());
  assert.equal(d.compared, orders.length);
  assert.equal(d.changed, expected.length);
  assert.equal(d.percentage, Math.round((expected.length / orders.length) * 10000) / 100);
  const first = d.changes[0]!;
  assert.equal(first.kind, 'changed');
  assert.deepEqual(Object.keys(first.fields!), ['priority']);
  assert.equal(first.fields!.priority!.shadow, 'P1');
});

test('added and removed items, matched by the first key field present', () => {
  const d = diffOutputs(
    [
      { id: 1, order_id: 'a', v: 1 },
      { id: 2, v: 2 },
    ],
    [
      { id: 2, v: 2 },
      { id: 3, v: 3 },
    ],
    { keys: ['order_id', 'id'] },
  );
  // order_id is present in one element: it is the key; id-only items fall back to their index.
  assert.equal(d.compared, 3);
  const d2 = diffOutputs(
    [
      { id: 1, v: 1 },
      { id: 2, v: 2 },
    ],
    [
      { id: 2, v: 2 },
      { id: 3, v: 3 },
    ],
  );
  assert.deepEqual(
    d2.changes.map((c) => [c.key, c.kind]),
    [
      ['id=1', 'removed'],
      ['id=3', 'added'],
    ],
  );
  assert.equal(d2.compared, 3);
  assert.equal(d2.percentage, 66.67);
});

test('values outside keyed arrays compare by path; identical outputs are 0 %', () => {
  assert.equal(diffOutputs({ a: 1, b: [1, 2] }, { a: 1, b: [1, 2] }).percentage, 0);
  assert.equal(diffOutputs(null, null).percentage, 0);
  const d = diffOutputs({ a: 1, b: { c: 'x', d: true } }, { a: 2, b: { c: 'x' }, e: 5 });
  assert.equal(d.compared, 4);
  assert.deepEqual(
    d.changes.map((c) => [c.key, c.kind]),
    [
      ['a', 'changed'],
      ['b.d', 'removed'],
      ['e', 'added'],
    ],
  );
  assert.deepEqual(d.changes[0]!.fields, { a: { stable: 1, shadow: 2 } });
});

test('times inside strings compare equal (two runs at two moments), other text does not', () => {
  const a = { runId: 'triage-2026-12-05T07:00:00.123Z', at: '2026-12-05T07:00:00Z', m: 'x' };
  const b = { runId: 'triage-2026-12-05T07:00:09.9Z', at: '2026-12-05T07:00:04+04:00', m: 'y' };
  assert.deepEqual(
    diffOutputs(a, b).changes.map((c) => c.key),
    ['m'],
  );
  assert.equal(diffOutputs(a, b, { ignoreTimes: false }).changed, 3);
});

test('bounded: depth, items visited, changes and value sizes', () => {
  let deep: unknown = 1;
  let deep2: unknown = 2;
  for (let i = 0; i < 5000; i++) {
    deep = { x: deep };
    deep2 = { x: deep2 };
  }
  const d = diffOutputs(deep, deep2);
  assert.equal(d.changed, 1);
  assert.ok(d.changes[0]!.key.split('.').length <= 25);

  const big = Array.from({ length: 100_000 }, (_, i) => i);
  const big2 = big.map((i) => i + 1);
  const b = diffOutputs(big, big2);
  assert.equal(b.truncated, true);
  assert.equal(b.compared, 20_000);
  assert.equal(b.changes.length, 200);
  assert.equal(b.percentage, 100);

  const keyed = Array.from({ length: 100_000 }, (_, i) => ({ id: i, v: i }));
  const k = diffOutputs(
    keyed,
    keyed.map((x) => ({ ...x, v: -x.v - 1 })),
  );
  assert.equal(k.truncated, true);
  assert.ok(k.compared <= 20_000 && k.changed > 0 && k.changes.length === 200);

  const long = diffOutputs({ s: 'a'.repeat(100_000) }, { s: 'b'.repeat(100_000) });
  assert.ok(JSON.stringify(long).length < 1000);
  assert.ok(JSON.stringify(diffOutputs(big, big2)).length < 64 * 1024, 'the report stays small');
});

test('duplicate keys are numbered, not merged; hostile key values are cut', () => {
  const d = diffOutputs(
    [
      { id: 'k', v: 1 },
      { id: 'k', v: 2 },
    ],
    [
      { id: 'k', v: 1 },
      { id: 'k', v: 3 },
    ],
  );
  assert.deepEqual(
    d.changes.map((c) => c.key),
    ['id=k#2'],
  );
  const h = diffOutputs([{ id: 'z'.repeat(10_000) }], []);
  assert.ok(h.changes[0]!.key.length <= 110);
});
