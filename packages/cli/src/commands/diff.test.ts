import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changeLine } from './diff.ts';

// Colours off: the lines as a terminal without colour shows them.
process.env.NO_COLOR = '1';

test('a change reads as key, field, stable → shadow', () => {
  assert.equal(
    changeLine({
      key: 'order_id=1042',
      kind: 'changed',
      fields: { priority: { stable: 3, shadow: 5 }, agent: { stable: 'a@x', shadow: 'b@x' } },
    }).replace(/\x1b\[[0-9;]*m/g, ''),
    'order_id=1042  priority 3 → 5, agent a@x → b@x',
  );
  assert.equal(changeLine({ key: 'order_id=7', kind: 'added' }).replace(/\x1b\[[0-9;]*m/g, ''), 'order_id=7  added');
  assert.equal(
    changeLine({ key: 'data.runId', kind: 'changed', fields: { 'data.runId': { stable: 'a', shadow: null } } }).replace(
      /\x1b\[[0-9;]*m/g,
      '',
    ),
    'data.runId  a → null',
  );
});
