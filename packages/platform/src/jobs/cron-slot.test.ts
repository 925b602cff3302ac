import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scheduledSlot } from './cron.ts';

test('a fire job stands for its scheduled time, whenever in the minute it was made', () => {
  const every = { schedule: '* * * * *', timezone: 'UTC' };
  for (const made of ['2026-12-05T18:25:00.000Z', '2026-12-05T18:25:00.400Z', '2026-12-05T18:25:41.000Z'])
    assert.equal(scheduledSlot(every, new Date(made)), '2026-12-05T18:25:00.000Z', made);
  // Seed 003's triage, in Dubai (UTC+4): the 07:00 fire made a few seconds late.
  const triage = { schedule: '0 7,14,20 * * *', timezone: 'Asia/Dubai' };
  assert.equal(scheduledSlot(triage, new Date('2026-12-05T03:00:03.000Z')), '2026-12-05T03:00:00.000Z');
  // A job made outside any slot (a fire by hand) has none; nor has a schedule that does not parse.
  assert.equal(scheduledSlot(triage, new Date('2026-12-05T05:30:00.000Z')), null);
  assert.equal(scheduledSlot({ schedule: 'nope', timezone: 'UTC' }, new Date()), null);
});
