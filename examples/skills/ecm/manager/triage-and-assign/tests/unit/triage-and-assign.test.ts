import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '@aspora/sdk/testing';
import { handler, priority } from '../../code/handler.ts';

test('priority matches the worked examples of the ECM triage rules', () => {
  assert.equal(priority(14, 721), 'P1');
  assert.equal(priority(18, 1200), 'P1');
  assert.equal(priority(6, 2100), 'P2');
  assert.equal(priority(1, 30000), 'P2');
  assert.equal(priority(1, 100), 'P5');
});

test('assigns new orders to an active agent of the owning team and skips sticky ones', async () => {
  const writes: any[] = [];
  const ctx = createTestContext({
    input: { userMessage: 'run triage', domain: 'ecm', metadata: {} },
    files: {
      '../shared/queries/ecm-pending-list.sql': 'SELECT 1',
      '../shared/queries/ecm-agent-load.sql': 'SELECT 2',
      '../shared/config/stuck-reasons.yaml': 'reasons:\n  LULU_NOT_CONFIRMED:\n    owning_team: ops\n',
    },
    apis: {
      ecm_gateway_redshift: {
        executeSql: async ({ sql }: { sql: string }) =>
          sql === 'SELECT 1'
            ? {
                rows: [
                  {
                    order_id: 'AE136ABC00',
                    stuck_reason: 'LULU_NOT_CONFIRMED',
                    amount_aed: 721,
                    hours_stuck: 14,
                    send_amount: 721,
                    send_currency: 'AED',
                    existing_assignment: null,
                  },
                  {
                    order_id: 'AE100OLD01',
                    stuck_reason: 'LULU_NOT_CONFIRMED',
                    amount_aed: 90,
                    hours_stuck: 3,
                    send_amount: 90,
                    send_currency: 'AED',
                    existing_assignment: 'row-12',
                  },
                ],
              }
            : {
                rows: [
                  {
                    agent_email: 'sarah@aspora.com',
                    team: 'ops',
                    agent_status: 'ACTIVE',
                    max_open_tickets: 10,
                    open_tickets: 2,
                    weighted_load: 4,
                  },
                  {
                    agent_email: 'alex@aspora.com',
                    team: 'ops',
                    agent_status: 'OOO',
                    max_open_tickets: 10,
                    open_tickets: 0,
                    weighted_load: 0,
                  },
                ],
              },
      },
      ecm_gateway_sheets: {
        updateCells: async (args: unknown) => {
          writes.push(args);
          return { ok: true };
        },
      },
    },
    model: { content: '🎯 ECM Triage — 1 new ticket assigned' },
  });
  const result = await handler(ctx);
  assert.equal(result.success, true);
  assert.equal(writes.length, 1);
  assert.equal(writes[0].append.length, 1);
  assert.equal(writes[0].append[0]['Assigned Agent'], 'sarah@aspora.com');
  assert.equal(writes[0].append[0].Priority, 'P1');
});
