import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '@aspora/sdk/testing';
import { handler } from '../../code/handler.ts';

function ctx(score: number, blocked: unknown[]) {
  return createTestContext({
    input: {
      userMessage: 'block this payment',
      domain: 'fraud',
      metadata: { transactionId: 'TX-88213' },
    },
    user: 'analyst@aspora.com',
    files: { 'DECISIONS.md': '# Decisions' },
    apis: {
      trm_api: { checkTransaction: async () => score },
      internal_fraud_db: {
        blockTransaction: async (args: unknown) => {
          blocked.push(args);
          return { ok: true };
        },
      },
    },
  });
}

test('blocks when the fraud score is above 0.8', async () => {
  const blocked: any[] = [];
  const result = await handler(ctx(0.93, blocked));
  assert.equal(result.success, true);
  assert.deepEqual(result.data, { fraudScore: 0.93, action: 'blocked' });
  assert.deepEqual(blocked, [{ transactionId: 'TX-88213', reason: 'High fraud score' }]);
});

test('approves at or below 0.8 without touching the fraud db', async () => {
  const blocked: any[] = [];
  const result = await handler(ctx(0.8, blocked));
  assert.equal((result.data as any).action, 'approved');
  assert.equal(blocked.length, 0);
});
