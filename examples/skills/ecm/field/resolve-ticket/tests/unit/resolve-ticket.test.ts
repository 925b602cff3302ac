import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '@aspora/sdk/testing';
import { handler, maskNumbers, slaHours } from '../../code/handler.ts';

test('helpers', () => {
  assert.equal(maskNumbers('card 4111111111111111 refunded'), 'card …1111 refunded');
  assert.equal(slaHours('reasons:\n  LULU_NOT_CONFIRMED:\n    sla_hours: 12\n', 'LULU_NOT_CONFIRMED'), 12);
});

function ctx(
  message: string,
  orderStatus: string,
  writes: any[],
  model = '{"action":"WEBHOOK_REPLAY","verifiedOutcome":false}',
) {
  const assignedAt = new Date(Date.now() - 6 * 60_000).toISOString();
  return createTestContext({
    input: { userMessage: message, domain: 'ecm', metadata: {} },
    user: 'sarah@aspora.com',
    files: {
      '../shared/queries/ecm-order-detail-v2.sql': 'DETAIL',
      '../shared/config/stuck-reasons.yaml': 'reasons:\n  LULU_NOT_CONFIRMED:\n    sla_hours: 12\n',
    },
    apis: {
      ecm_gateway_sheets: {
        getSheetData: async () => ({
          rows: [
            {
              'Order ID': 'AE136ABC00',
              'Assigned Agent': 'sarah@aspora.com',
              Status: 'IN_PROGRESS',
              'Stuck Reason': 'LULU_NOT_CONFIRMED',
              'Assigned At': assignedAt,
            },
          ],
        }),
        updateCells: async (a: unknown) => {
          writes.push(a);
          return { ok: true };
        },
      },
      ecm_gateway_redshift: {
        executeSql: async () => ({ rows: [{ section: 'order', detail_status: orderStatus, hours_since_update: 14 }] }),
      },
    },
    model: { content: model },
  });
}

test('resolves a completed order and logs the resolution', async () => {
  const writes: any[] = [];
  const result = await handler(ctx('resolve AE136ABC00 replayed webhook, LULU confirmed', 'COMPLETED', writes));
  assert.equal(result.success, true);
  assert.equal(writes[0].tab, 'Resolutions');
  assert.equal(writes[0].append[0]['SLA Met'], 'N');
  assert.equal(writes[0].append[0].Verified, 'REDSHIFT');
  assert.deepEqual(writes[1].rows, [{ 'Order ID': 'AE136ABC00', Status: 'RESOLVED' }]);
  assert.match(result.message, /resolved in 6min \| stuck 14h \| SLA MISSED \(12h\)/);
});

test('refuses when the order is not terminal and the notes are only a plan', async () => {
  const writes: any[] = [];
  const result = await handler(ctx('resolve AE136ABC00 will replay later', 'PAYOUT_SENT', writes));
  assert.equal(result.success, false);
  assert.equal(writes.length, 0);
});

test('a classification that is not JSON resolves nothing; a fenced JSON answer is read', async () => {
  const writes: any[] = [];
  const garbled = await handler(
    ctx('resolve AE136ABC00 replayed webhook, LULU confirmed', 'COMPLETED', writes, 'It looks fixed to me.'),
  );
  assert.equal(garbled.success, false);
  assert.match(garbled.message, /Could not classify the fix for AE136ABC00/);
  assert.equal(writes.length, 0);
  const fenced = await handler(
    ctx(
      'resolve AE136ABC00 replayed webhook, LULU confirmed',
      'COMPLETED',
      writes,
      '```json\n{"action":"WEBHOOK_REPLAY","verifiedOutcome":true}\n```',
    ),
  );
  assert.equal(fenced.success, true, fenced.message);
});
