import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '@aspora/sdk/testing';
import { baseMix, drift, handler } from '../../code/handler.ts';

test('base models and glide path', () => {
  assert.deepEqual(baseMix(60, 'balanced'), { equity: 45, debt: 40, gold: 10, cash: 5 });
  assert.deepEqual(baseMix(120, 'growth'), { equity: 75, debt: 15, gold: 5, cash: 5 });
  const near = baseMix(6, 'growth');
  assert.equal(near.equity + near.cash, 45);
  assert.ok(near.equity < 30);
});

test('drift reports only moves above 5 points', () => {
  assert.deepEqual(drift({ equity: 45, debt: 40, gold: 10, cash: 5 }, { equity: 15, debt: 70, gold: 8, cash: 7 }), {
    equity: -30,
    debt: 30,
  });
});

test('always appends the disclaimer', async () => {
  const ctx = createTestContext({
    input: {
      userMessage: 'how should I invest for my house goal?',
      domain: 'wealth',
      metadata: { goalId: 'g1' },
    },
    user: 'u_42',
    apis: {
      user_profile_api: {
        getProfile: async () => ({
          riskProfile: 'balanced',
          emergencyFundMonths: 6,
          holdingsPct: { equity: 15, debt: 70, gold: 0, cash: 15 },
        }),
      },
      wealth_goals_db: { getGoal: async () => ({ name: 'House in Kerala', horizonMonths: 60, targetCurrency: 'INR' }) },
    },
    model: { content: '📊 Suggested mix — Equity 45%' },
  });
  const result = await handler(ctx);
  assert.match(result.message, /not personalised financial advice/);
  assert.deepEqual((result.data as any).target, { equity: 45, debt: 40, gold: 10, cash: 5 });
});

test('asks the risk check when no risk profile is set', async () => {
  const ctx = createTestContext({
    input: { userMessage: 'where should I put my savings', domain: 'wealth', metadata: {} },
    user: 'u_7',
    apis: {
      user_profile_api: {
        getProfile: async () => ({ emergencyFundMonths: 2, holdingsPct: { equity: 0, debt: 0, gold: 0, cash: 100 } }),
      },
    },
  });
  const result = await handler(ctx);
  assert.equal((result.data as any).needsRiskCheck, true);
});

test('without a signed-in customer, or one the profile service does not know: the general balanced mix, said to be general', async () => {
  for (const user of [null, 'new@example.com']) {
    const ctx = createTestContext({
      input: { userMessage: 'how should I invest?', domain: 'wealth', metadata: { goalId: 'g1' } },
      user,
      apis: {
        user_profile_api: {
          getProfile: async () => {
            throw Object.assign(new Error('no profile'), { code: 'NOT_FOUND' });
          },
        },
      },
      model: { content: '📊 A general mix — Equity 45%' },
    });
    const result = await handler(ctx);
    assert.equal(result.success, true, result.message);
    assert.deepEqual(result.data, {
      target: { equity: 45, debt: 40, gold: 10, cash: 5 },
      drift: {},
      horizon: 60,
      personalised: false,
    });
    assert.equal(ctx.calls.filter((c) => c.op === 'apis.call').length, user ? 1 : 0, 'no profile asked without a user');
  }
});
