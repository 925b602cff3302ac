import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '@aspora/sdk/testing';
import { handler } from '../../code/handler.ts';

const agents = [
  { agent_email: 'sarah@aspora.com', team: 'ops', agent_status: 'ACTIVE', max_open_tickets: 10, open_tickets: 3 },
  { agent_email: 'alex@aspora.com', team: 'ops', agent_status: 'OOO', max_open_tickets: 10, open_tickets: 4 },
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
    'Order ID': 'AE999DONE1',
    'Assigned Agent': 'alex@aspora.com',
    Status: 'RESOLVED',
    Priority: 'P3',
    'Stuck Reason': 'KYC_PENDING',
    Team: 'kyc',
  },
];

function ctxFor(moves: unknown[], writes: unknown[]) {
  return createTestContext({
    input: {
      userMessage: 'alex is out, move his tickets to sarah',
      domain: 'ecm',
      metadata: {},
    },
    user: 'lead@aspora.com',
    files: { '../shared/queries/ecm-agent-load.sql': 'SELECT 1' },
    apis: {
      ecm_gateway_redshift: { executeSql: async () => ({ rows: structuredClone(agents) }) },
      ecm_gateway_sheets: {
        getSheetData: async () => ({ rows }),
        updateCells: async (a: unknown) => {
          writes.push(a);
          return { ok: true };
        },
      },
    },
    model: { content: JSON.stringify({ moves, question: null }) },
  });
}

test('moves an open ticket to an active agent and refuses a resolved one', async () => {
  const writes: any[] = [];
  const result = await handler(
    ctxFor(
      [
        { orderId: 'AE136ABC00', from: 'alex', to: 'sarah', reason: 'alex OOO' },
        { orderId: 'AE999DONE1', from: 'alex', to: 'sarah', reason: 'alex OOO' },
      ],
      writes,
    ),
  );
  assert.equal(result.success, true);
  assert.equal(writes.length, 1);
  assert.equal(writes[0].rows[0]['Assigned Agent'], 'sarah@aspora.com');
  assert.match(writes[0].rows[0].Notes, /reassigned by lead@aspora.com/);
  assert.match(result.message, /AE999DONE1 — already resolved/);
});

test('never assigns to an OOO agent', async () => {
  const writes: any[] = [];
  const result = await handler(ctxFor([{ orderId: 'AE136ABC00', to: 'alex', reason: 'test' }], writes));
  assert.equal(writes.length, 0);
  assert.match(result.message, /not active/);
});

test('a model answer that is not JSON moves nothing and says how to ask', async () => {
  const writes: unknown[] = [];
  const ctx = createTestContext({
    input: {
      userMessage: 'alex is out, move his tickets to sarah',
      domain: 'ecm',
      metadata: {},
    },
    user: 'lead@aspora.com',
    apis: {
      ecm_gateway_sheets: {
        updateCells: async (a: unknown) => {
          writes.push(a);
          return { ok: true };
        },
      },
    },
    model: { content: 'Moving them now!' },
  });
  const result = await handler(ctx);
  assert.equal(result.success, false);
  assert.match(result.message, /could not turn that into ticket moves/);
  assert.equal(writes.length, 0);
});
