import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '@aspora/sdk/testing';
import { escalationChannel, handler, overrides } from '../../code/handler.ts';

const reasons = 'reasons:\n  FALCON_REJECTED:\n    sla_hours: 12\n    escalation_channel: "#ecm-partner-falcon"\n';

test('routing', () => {
  assert.equal(escalationChannel(reasons, 'FALCON_REJECTED'), '#ecm-partner-falcon');
  assert.equal(escalationChannel(reasons, 'NOPE'), '#ecm-ops');
  assert.deepEqual(overrides('customer opened a chargeback'), ['#fraud-disputes']);
  assert.deepEqual(overrides('third retry failed'), []);
});

test('posts the handoff to the reason channel and marks ESCALATED', async () => {
  const writes: any[] = [];
  const posts: any[] = [];
  const ctx = createTestContext({
    input: {
      userMessage: 'escalate AE142XYZ99, third Falcon retry failed',
      domain: 'ecm',
      metadata: {},
    },
    user: 'sarah@aspora.com',
    files: { '../shared/queries/ecm-order-detail-v2.sql': 'DETAIL', '../shared/config/stuck-reasons.yaml': reasons },
    apis: {
      ecm_gateway_sheets: {
        getSheetData: async () => ({
          rows: [
            {
              'Order ID': 'AE142XYZ99',
              'Assigned Agent': 'sarah@aspora.com',
              Status: 'IN_PROGRESS',
              'Stuck Reason': 'FALCON_REJECTED',
              Priority: 'P1',
              Amount: 1200,
              Currency: 'AED',
            },
          ],
        }),
        updateCells: async (a: unknown) => {
          writes.push(a);
          return { ok: true };
        },
      },
      ecm_gateway_redshift: { executeSql: async () => ({ rows: [] }) },
      slack: {
        postMessage: async (m: unknown) => {
          posts.push(m);
          return { permalink: 'https://slack/p1' };
        },
      },
    },
    model: { content: '🚨 ECM escalation [HIGH] — AE142XYZ99' },
  });
  const result = await handler(ctx);
  assert.equal(result.success, true);
  assert.equal(posts[0].channel, '#ecm-partner-falcon');
  assert.equal(writes[0].rows[0].Status, 'ESCALATED');
  assert.equal(writes[1].append[0].Outcome, 'ESCALATED');
});
