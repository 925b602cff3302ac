import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createTestContext } from '@aspora/sdk/testing';
import { handler } from '../../code/handler.ts';

// The skill's folder, whose aspora.config.yaml's row rules the test context applies: the bundle
// under `aspora test` (which builds the tests elsewhere), else this file's folder's parent's parent.
const skillDir = process.env.ASPORA_SKILL_DIR ?? fileURLToPath(new URL('../../', import.meta.url));
const agent = (email: string, status: string, max = 10) => ({
  'Agent Email': email,
  'Display Name': email.split('@')[0]!,
  Team: 'ops',
  Status: status,
  'Max Open Tickets': max,
});
const agents = [
  agent('sarah@aspora.com', 'ACTIVE'),
  agent('alex@aspora.com', 'OOO'),
  agent('dinesh@aspora.com', 'ACTIVE', 1),
];
const rows = [
  {
    'Order ID': 'AE136ABC00',
    'Assigned Agent': 'alex@aspora.com',
    Status: 'ASSIGNED',
    Priority: 'P1',
    'Stuck Reason': 'LULU_NOT_CONFIRMED',
    Team: 'ops',
  },
  {
    'Order ID': 'AE150DIN01',
    'Assigned Agent': 'dinesh@aspora.com',
    Status: 'IN_PROGRESS',
    Priority: 'P2',
    'Stuck Reason': 'LULU_NOT_CONFIRMED',
    Team: 'ops',
  },
  {
    'Order ID': 'AE999DONE1',
    'Assigned Agent': 'alex@aspora.com',
    Status: 'RESOLVED',
    Priority: 'P3',
    'Stuck Reason': 'KYC_PENDING',
    Team: 'kyc',
  },
];

function ctxFor(moves: unknown[]) {
  return createTestContext({
    input: {
      userMessage: 'alex is out, move his tickets to sarah',
      domain: 'ecm',
      metadata: {},
    },
    user: 'lead@aspora.com',
    skillDir,
    tables: { assignments: rows, agents },
    model: { content: JSON.stringify({ moves, question: null }) },
  });
}
const byOrder = (ctx: ReturnType<typeof ctxFor>) =>
  Object.fromEntries(ctx.stateRows('assignments').map((r) => [r['Order ID'], r]));

test('moves an open ticket to an active agent and refuses a resolved one', async () => {
  const ctx = ctxFor([
    { orderId: 'AE136ABC00', from: 'alex', to: 'sarah', reason: 'alex OOO' },
    { orderId: 'AE999DONE1', from: 'alex', to: 'sarah', reason: 'alex OOO' },
  ]);
  const result = await handler(ctx);
  assert.equal(result.success, true);
  const after = byOrder(ctx);
  assert.equal(after.AE136ABC00?.['Assigned Agent'], 'sarah@aspora.com');
  assert.match(String(after.AE136ABC00?.Notes), /reassigned by lead@aspora.com/);
  assert.equal(after.AE999DONE1?.['Assigned Agent'], 'alex@aspora.com');
  assert.match(result.message, /AE999DONE1 — already resolved/);
});

test('never assigns to an OOO agent, nor past an agent’s capacity (counted on the live tab)', async () => {
  const ooo = ctxFor([{ orderId: 'AE136ABC00', to: 'alex', reason: 'test' }]);
  assert.match((await handler(ooo)).message, /not active/);
  assert.equal(byOrder(ooo).AE136ABC00?.Notes, undefined);
  // dinesh has one open ticket of one.
  const full = ctxFor([{ orderId: 'AE136ABC00', to: 'dinesh', reason: 'test' }]);
  assert.match((await handler(full)).message, /dinesh@aspora\.com is at capacity/);
  assert.equal(byOrder(full).AE136ABC00?.['Assigned Agent'], 'alex@aspora.com');
});

test('its write rule keeps a resolved ticket closed, whatever the handler sends', async () => {
  const ctx = ctxFor([]);
  await assert.rejects(
    ctx.state.table('assignments').update({ 'Order ID': 'AE136ABC00' }, { Status: 'RESOLVED' }),
    /outside the write rule/,
  );
  await assert.rejects(ctx.state.table('agents').update({ Team: 'ops' }, { Status: 'ACTIVE' }), /write is none/);
});

test('a model answer that is not JSON moves nothing and says how to ask', async () => {
  const ctx = createTestContext({
    input: {
      userMessage: 'alex is out, move his tickets to sarah',
      domain: 'ecm',
      metadata: {},
    },
    user: 'lead@aspora.com',
    skillDir,
    tables: { assignments: rows, agents },
    model: { content: 'Moving them now!' },
  });
  const result = await handler(ctx);
  assert.equal(result.success, false);
  assert.match(result.message, /could not turn that into ticket moves/);
  assert.deepEqual(
    ctx.calls.filter((c) => c.op.startsWith('state.')),
    [],
  );
});
