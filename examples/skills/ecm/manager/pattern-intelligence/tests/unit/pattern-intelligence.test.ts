import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '@aspora/sdk/testing';
import { detectAnomalies, handler } from '../../code/handler.ts';

function series(reason: string, recent: number, usual: number) {
  return Array.from({ length: 21 }, (_, i) => ({
    stuck_date: new Date(Date.UTC(2026, 1, 16 - i)).toISOString().slice(0, 10),
    stuck_reason: reason,
    corridor: 'AE-IN',
    payout_partner: 'LULU',
    orders_stuck: i < 7 ? recent : usual,
    trailing_28d_avg: usual,
    trailing_28d_stddev: 4,
  }));
}

test('flags a spiking series and ignores a stable one', () => {
  const found = detectAnomalies([...series('LULU_NOT_CONFIRMED', 41, 14), ...series('KYC_PENDING', 15, 14)]);
  assert.equal(found.length, 1);
  assert.equal(found[0]!.key, 'LULU_NOT_CONFIRMED|AE-IN|LULU');
  assert.ok(found[0]!.z >= 2);
});

test('skips series with under 14 days of history', () => {
  assert.deepEqual(detectAnomalies(series('FALCON_REJECTED', 50, 5).slice(0, 10)), []);
});

test('handler sends anomalies to the model and returns its report', async () => {
  const ctx = createTestContext({
    input: { userMessage: 'any patterns this week?', domain: 'ecm', metadata: {} },
    user: 'lead@aspora.com',
    files: {
      '../shared/queries/ecm-stuck-reasons-summary.sql': 'SUMMARY',
      '../shared/queries/ecm-resolution-stats.sql': 'STATS',
      '../shared/config/knowledge-graph.yaml': 'nodes: {}',
    },
    apis: {
      ecm_gateway_redshift: {
        executeSql: async ({ sql }: { sql: string }) => ({
          rows: sql === 'SUMMARY' ? series('LULU_NOT_CONFIRMED', 41, 14) : [],
        }),
      },
    },
    model: { content: '📈 ECM Pattern Report — 1. LULU_NOT_CONFIRMED ↑' },
  });
  const result = await handler(ctx);
  assert.equal(result.success, true);
  assert.equal((result.data as any).anomalies.length, 1);
  assert.match(result.message, /Pattern Report/);
});
