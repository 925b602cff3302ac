import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '@aspora/sdk/testing';
import { handler } from '../../code/handler.ts';

const files = {
  '../shared/queries/ecm-order-detail-v2.sql': 'DETAIL',
  '../shared/config/knowledge-graph.yaml':
    'nodes:\n  LULU_NOT_CONFIRMED:\n    quick_steps: ["Check Checkout", "Check LULU", "Replay webhook"]\n',
  '../shared/config/stuck-reasons.yaml':
    'reasons:\n  LULU_NOT_CONFIRMED:\n    sla_hours: 12\n  CHECKOUT_TIMEOUT:\n    sla_hours: 6\n',
};

test('shows only open tickets, SLA-breached first, with quick steps', async () => {
  const ctx = createTestContext({
    input: { userMessage: 'my tickets', domain: 'ecm', metadata: {} },
    user: 'sarah@aspora.com',
    files,
    apis: {
      ecm_gateway_sheets: {
        getSheetData: async () => ({
          rows: [
            {
              'Order ID': 'GB201DEF44',
              Priority: 'P2',
              'Stuck Reason': 'CHECKOUT_TIMEOUT',
              Amount: 450,
              Currency: 'GBP',
              Status: 'ASSIGNED',
            },
            {
              'Order ID': 'AE136ABC00',
              Priority: 'P1',
              'Stuck Reason': 'LULU_NOT_CONFIRMED',
              Amount: 721,
              Currency: 'AED',
              Status: 'IN_PROGRESS',
            },
            {
              'Order ID': 'AE000DONE0',
              Priority: 'P3',
              'Stuck Reason': 'KYC_PENDING',
              Amount: 100,
              Currency: 'AED',
              Status: 'RESOLVED',
            },
          ],
        }),
      },
      ecm_gateway_redshift: {
        executeSql: async ({ params }: { params: { order_id: string } }) => ({
          rows: [
            {
              section: 'order',
              detail_status: 'PAYOUT_SENT',
              hours_since_update: params.order_id === 'AE136ABC00' ? 14 : 3,
            },
          ],
        }),
      },
    },
  });
  const result = await handler(ctx);
  assert.equal(result.success, true);
  assert.equal((result.data as any).count, 2);
  assert.match(result.message, /^🎫 Your Queue — 2 tickets \(1 past SLA\)/);
  const firstTicket = result.message.split('\n')[1]!;
  assert.match(firstTicket, /AE136ABC00/);
  assert.match(result.message, /1\) Check Checkout 2\) Check LULU 3\) Replay webhook/);
  assert.doesNotMatch(result.message, /AE000DONE0/);
});

test('empty queue is reported without leaking other agents', async () => {
  const ctx = createTestContext({
    input: { userMessage: 'my queue', domain: 'ecm', metadata: {} },
    user: 'new@aspora.com',
    files,
    apis: {
      ecm_gateway_sheets: { getSheetData: async () => ({ rows: [] }) },
      ecm_gateway_redshift: { executeSql: async () => ({ rows: [] }) },
    },
  });
  const result = await handler(ctx);
  assert.match(result.message, /queue is empty/);
});

test('without a signed-in agent no queue is read, whatever the input names', async () => {
  const ctx = createTestContext({
    // An input is anyone's to write: it names no agent.
    input: { userMessage: 'my tickets', domain: 'ecm', metadata: { agent: 'sarah@aspora.com' } },
    files,
    apis: { ecm_gateway_sheets: { getSheetData: async () => ({ rows: [{ 'Order ID': 'AE136ABC00' }] }) } },
  });
  const result = await handler(ctx);
  assert.equal(result.success, false);
  assert.match(result.message, /needs a signed-in agent/);
  assert.deepEqual(
    ctx.calls.filter((c) => c.op === 'apis.call'),
    [],
  );
});
