/**
 * The precise cron timers: a schedule calls back at each of its slots with the slot (never before
 * it, none skipped), a schedule set away stops, a changed one is re-armed; six-field expressions
 * are told apart from five-field ones.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CronTimers, hasSeconds } from './cron-timers.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('each slot once, with its time, not before it; a removed schedule stops', async () => {
  const calls: { key: string; slot: number; at: number }[] = [];
  const timers = new CronTimers<{ n: number }>((s, slot) =>
    calls.push({ key: s.key, slot: slot.getTime(), at: Date.now() }),
  );
  try {
    timers.set([{ key: 'a', cron: '* * * * * *', timezone: 'UTC', data: { n: 1 } }]);
    assert.equal(timers.size, 1);
    for (let i = 0; i < 100 && calls.length < 3; i++) await wait(100);
    assert.ok(calls.length >= 3, `fires: ${calls.length}`);
    for (const c of calls) {
      assert.equal(c.slot % 1000, 0, 'a whole second');
      assert.ok(c.at >= c.slot, 'not before its slot');
    }
    for (let i = 1; i < calls.length; i++) assert.equal(calls[i]!.slot - calls[i - 1]!.slot, 1000, 'no slot skipped');

    // A changed schedule (its data) is re-armed under its key; one set away stops.
    timers.set([{ key: 'a', cron: '* * * * * *', timezone: 'UTC', data: { n: 2 } }]);
    assert.equal(timers.size, 1);
    timers.set([]);
    assert.equal(timers.size, 0);
    const n = calls.length;
    await wait(1500);
    assert.equal(calls.length, n, 'no fire after the schedule went');
  } finally {
    timers.stop();
  }
});

test('an expression that does not parse is not armed', () => {
  const timers = new CronTimers(() => assert.fail('no fire'));
  timers.set([{ key: 'x', cron: 'not cron', timezone: 'UTC', data: {} }]);
  assert.equal(timers.size, 0);
});

test('six-field expressions have seconds; five-field ones do not', () => {
  assert.equal(hasSeconds('*/5 * * * * *'), true);
  assert.equal(hasSeconds('0 7,14,20 * * *'), false);
  assert.equal(hasSeconds('  * * * * *  '), false);
});
