import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '@aspora/sdk/testing';
import { annualReturn, handler, monthlyNeeded, monthsUntil } from '../../code/handler.ts';

test('planning maths', () => {
  assert.equal(annualReturn(12), 0.03);
  assert.equal(annualReturn(43), 0.05);
  assert.equal(annualReturn(84), 0.07);
  assert.equal(monthsUntil('2029-08', new Date('2026-01-15')), 43);
  assert.equal(monthlyNeeded(10_000, 20_000, 12), 0);
  const m = monthlyNeeded(67_400, 10_000, 43);
  assert.ok(m > 1000 && m < 1400, `monthly ${m}`);
});

test('plans but does not save an unconfirmed goal', async () => {
  const saved: unknown[] = [];
  const ctx = createTestContext({
    input: {
      userMessage: "15 lakh for my son's engineering by Aug 2029",
      domain: 'wealth',
      metadata: {},
    },
    user: 'u_42',
    apis: {
      user_profile_api: { getProfile: async () => ({ homeCurrency: 'AED', medianMonthlySurplus: 5000 }) },
      fx_rates_api: { getMidRate: async () => ({ rate: 0.0437 }) },
      wealth_goals_db: {
        upsertGoal: async (g: unknown) => {
          saved.push(g);
          return { ok: true };
        },
      },
    },
    model: {
      content: JSON.stringify({
        name: "Aarav's engineering degree",
        targetAmount: 1_500_000,
        targetCurrency: 'INR',
        targetDate: '2029-08',
        alreadySaved: 10_000,
        confirmed: false,
      }),
    },
  });
  const result = await handler(ctx);
  assert.equal(result.success, true);
  assert.equal(saved.length, 0);
  assert.match(result.message, /not guaranteed/);
  assert.match(result.message, /Shall I save this goal\?/);
});

test('a model answer that is not JSON: asks again, saves nothing', async () => {
  const saved: unknown[] = [];
  const ctx = createTestContext({
    input: { userMessage: 'save for a house', domain: 'wealth', metadata: {} },
    user: 'u_42',
    apis: {
      user_profile_api: { getProfile: async () => ({ homeCurrency: 'AED', medianMonthlySurplus: 5000 }) },
      wealth_goals_db: {
        upsertGoal: async (g: unknown) => {
          saved.push(g);
          return { ok: true };
        },
      },
    },
    model: { content: 'Sure! A house is a great goal.' },
  });
  const result = await handler(ctx);
  assert.equal(result.success, false);
  assert.match(result.message, /how much, in which currency, and by when/);
  assert.equal(saved.length, 0);
});
