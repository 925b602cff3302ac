import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '@aspora/sdk/testing';
import { handler, slotFor } from '../../code/handler.ts';

test('slot comes from the message first, then Dubai time', () => {
  assert.equal(slotFor(new Date('2026-02-16T03:30:00Z'), ''), 'morning'); // 07:30 Dubai
  assert.equal(slotFor(new Date('2026-02-16T10:30:00Z'), ''), 'midday'); // 14:30 Dubai
  assert.equal(slotFor(new Date('2026-02-16T16:30:00Z'), ''), 'handover'); // 20:30 Dubai
  assert.equal(slotFor(new Date('2026-02-16T03:30:00Z'), 'prep the end of day handover'), 'handover');
});

test('flags P1 > 24h for lead review and reports a missing triage run', async () => {
  const writes: any[] = [];
  const ctx = createTestContext({
    input: { userMessage: 'morning briefing', domain: 'ecm', metadata: {} },
    user: 'lead@aspora.com',
    files: Object.fromEntries(
      ['ecm-daily-dashboard.sql', 'ecm-sla-breaches.sql', 'ecm-agent-load.sql', 'ecm-resolution-stats.sql'].map((f) => [
        `../shared/queries/${f}`,
        'SELECT 1',
      ]),
    ),
    apis: {
      ecm_gateway_redshift: { executeSql: async () => ({ rows: [] }) },
      ecm_gateway_sheets: {
        getSheetData: async () => ({
          rows: [
            {
              'Order ID': 'AE142XYZ99',
              Priority: 'P1',
              Status: 'IN_PROGRESS',
              'Assigned Agent': 'sarah@aspora.com',
              'Stuck Reason': 'FALCON_REJECTED',
              'Hours Stuck': 31,
              'Triage Run ID': 'triage-old',
              'Assigned At': '2026-02-14T03:00:00Z',
            },
          ],
        }),
        updateCells: async (a: unknown) => {
          writes.push(a);
          return { ok: true };
        },
      },
    },
    model: { content: '⚠️ Triage 07:00 did not land' },
  });
  const result = await handler(ctx);
  assert.equal(result.success, true);
  assert.equal((result.data as any).triageLanded, false);
  assert.deepEqual(writes[0].rows, [{ 'Order ID': 'AE142XYZ99', 'Escalation Flag': 'LEAD_REVIEW' }]);
});
