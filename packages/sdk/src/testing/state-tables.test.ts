import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestContext } from './index.ts';

const sheetsAccess = {
  assignments_tab: {
    read: 'Assigned Agent = {user.email}',
    write: "Assigned Agent = {user.email} AND Status IN ('IN_PROGRESS', 'RESOLVED')",
  },
  agents_tab: { read: 'all', write: 'none' },
};
const tables = {
  assignments: [
    { 'Order ID': 'A1', 'Assigned Agent': 'sarah@example.com', Status: 'ASSIGNED' },
    { 'Order ID': 'B1', 'Assigned Agent': 'dinesh@example.com', Status: 'ASSIGNED' },
  ],
  agents_tab: [{ Agent: 'sarah@example.com' }],
};

test('the test context applies the skill’s row rules as the platform does', async () => {
  const ctx = createTestContext({ user: 'sarah@example.com', tables, sheetsAccess, skillDir: false });
  const t = ctx.state.table('assignments');
  assert.deepEqual(
    (await t.select()).map((r) => r['Order ID']),
    ['A1'],
  );
  assert.equal(
    await t.update({ 'Order ID': 'A1' }, { Status: 'RESOLVED' }),
    1,
    'from ASSIGNED to a status the rule writes',
  );
  await assert.rejects(
    t.update({ 'Order ID': 'B1' }, { Status: 'RESOLVED' }),
    /write rule excludes the 1 matching rows/,
  );
  await assert.rejects(t.update({ 'Order ID': 'A1' }, { Status: 'CLOSED' }), /outside the write rule/);
  await assert.rejects(ctx.state.table('agents').insert({ Agent: 'x' }), /agents_tab\.write is none/);
  await assert.rejects(ctx.state.table('payroll').select(), /declares no payroll_tab/);
  assert.deepEqual(
    ctx.stateRows('assignments').map((r) => r.Status),
    ['RESOLVED', 'ASSIGNED'],
  );
  assert.deepEqual(
    ctx.calls.map((c) => c.op),
    ['state.select', 'state.update', 'state.update', 'state.update', 'state.insert', 'state.select'],
  );
});

test('without sheets_access (none given, no config) every row is reachable', async () => {
  const ctx = createTestContext({ tables, skillDir: false });
  assert.equal((await ctx.state.table('assignments_tab').select({ Status: 'ASSIGNED' })).length, 2);
  const [row] = await ctx.state.table('notes').insert({ text: 'hi' });
  assert.equal(typeof row?._id, 'number');
});
