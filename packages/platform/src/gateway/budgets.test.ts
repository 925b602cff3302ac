/**
 * Model budgets end to end: per execution (a call whose worst case would pass the budget is
 * refused before it is sent), per month with the spend actions (notify 80 %, throttle 95 %, pause
 * 100 %, lift), and the atomic check: 64 concurrent calls against a nearly spent budget overspend
 * by at most one call — on PGlite, on PostgreSQL and with Redis counters.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOpenAIStub, type OpenAIStub } from '../../../../tools/openai-stub/src/server.ts';
import { runtimeFixture } from '../runtime/test-support.ts';
import { PG_URL } from '../registry/test-support.ts';
import { REDIS_URL } from '../rate-limits/test-support.ts';
import { postgres, redis, skipUnless } from '../../test/tools.ts';
import type { BudgetNotice } from './budget/control.ts';
import { monthOf } from './budget/store.ts';

let stub: OpenAIStub;
before(async () => {
  stub = await startOpenAIStub();
});
after(() => stub.close());

// $1 per million tokens both ways: a call's cost is its tokens / 1e6.
const yaml = (url: string) => `
providers:
  stub: { base_url: ${url} }
models:
  unit: { provider: stub, id: unit/model, price: { prompt: 1000, completion: 1000 } }
  cheap: { provider: stub, id: cheap/model, price: { prompt: 100, completion: 100 } }
gateway: { default_provider: stub, default_model: unit, retries: 0 }
cost_optimization:
  rate_limits: { per_skill_per_hour: 100000, per_domain_per_day: 100000, per_platform_per_month: 1000000 }
  caching: { enabled: false }
`;

const chatHandler = `export const handler = async (ctx) => { const a = await ctx.model.chat({ messages: [{ role: 'user', content: ctx.input.userMessage }], maxTokens: 20 }); return { success: true, message: a.content, data: { cost: a.usage.cost } }; };`;

async function fixture(env: NodeJS.ProcessEnv = {}) {
  const f = await runtimeFixture({ platformYaml: yaml(stub.url), env, pool: { maxWorkers: 16 } });
  return f;
}

describe('per execution', () => {
  test('a call whose worst case passes max_per_execution is refused before it is sent', async () => {
    const f = await fixture();
    try {
      await f.deploy({
        name: 'thrifty',
        extra: {},
        handler: `export const handler = async (ctx) => { const a = await ctx.model.chat({ messages: [{ role: 'user', content: 'hello' }], maxTokens: 4000 }); return { success: true, message: a.content }; };`,
        permissions: '  tools: [Read]\nmodel:\n  cost_budget: { max_per_execution: 0.5 }',
      });
      stub.reset();
      const r = await f.runtime.run({ ref: 'test/thrifty', input: {} });
      assert.equal(r.error?.code, 'BUDGET_EXCEEDED');
      assert.match(r.error!.message, /could cost up to \$4\.\d+.*\$0\.5 budget left.*max_per_execution/);
      assert.equal(stub.chatRequests.length, 0, 'nothing was sent');
    } finally {
      await f.close();
    }
  });
});

describe('per month: notify 80 %, throttle 95 %, pause 100 %, lift', () => {
  test('the actions follow the spend, once per threshold, and an admin can lift a pause', async () => {
    const f = await fixture();
    const notices: BudgetNotice[] = [];
    f.gateway.budgets.on('notice', (n) => notices.push(n));
    try {
      await f.deploy({
        name: 'monthly',
        handler: chatHandler.replace('maxTokens: 20', "maxTokens: 20, model: 'cheap'"),
        permissions: '  tools: [Read]\nmodel:\n  cost_budget: { monthly_limit: 1 }',
      });
      // Spend 0.79 of the dollar already this month.
      const store = (
        f.gateway.budgets as unknown as { store: { add(k: string, p: string, a: number): Promise<unknown> } }
      ).store;
      await store.add('skill:test/monthly', monthOf(), 0.79);
      stub.reset();
      // The provider reports each call's cost (more than the worst case reserved: that is allowed
      // to pass the limit, which is how a month can reach 100 %).
      stub.behave('*', { cost: 0.05 });
      const run = () => f.runtime.run({ ref: 'test/monthly', input: { userMessage: 'hi' } });
      assert.equal((await run()).success, true); // 0.84: past 80 %
      assert.deepEqual(
        notices.map((n) => n.action),
        ['notify_owner_team'],
      );
      assert.equal(notices[0]!.ownerTeam, 'test-team');
      await run(); // 0.89
      await run(); // 0.94
      await run(); // 0.99: past 95 %, throttled
      assert.deepEqual(
        notices.map((n) => n.action),
        ['notify_owner_team', 'throttle_skill'],
      );
      const st = await f.gateway.budgets.status({ ref: 'test/monthly', monthlyLimit: 1 });
      assert.equal(st.mode, 'throttled');
      await run(); // 1.04: paused
      assert.deepEqual(
        notices.map((n) => n.action),
        ['notify_owner_team', 'throttle_skill', 'pause_skill'],
      );
      await assert.rejects(
        run(),
        (e: Error & { code?: string }) =>
          e.code === 'BUDGET_EXCEEDED' &&
          /paused/.test(e.message) &&
          /aspora budget lift/.test((e as { hint?: string }).hint ?? ''),
      );
      const events = await f.db.query<{ action: string }>('SELECT action FROM budget_events ORDER BY threshold');
      assert.deepEqual(
        events.map((e) => e.action),
        ['notify_owner_team', 'throttle_skill', 'pause_skill'],
      );
      await f.gateway.budgets.lift('test/monthly', 'admin@aspora.com', 'quarter close');
      assert.equal((await run()).success, true, 'lifted for the rest of the month');
      assert.equal(notices.length, 3, 'no threshold twice in a month');
    } finally {
      stub.reset();
      await f.close();
    }
  });
});

describe("a release's shadow spends from a budget of its own (issue 17)", () => {
  test('a shadow past its monthly limit is paused while stable, with nothing spent, keeps running', async () => {
    const f = await fixture();
    const notices: BudgetNotice[] = [];
    f.gateway.budgets.on('notice', (n) => notices.push(n));
    try {
      await f.deploy({
        name: 'twin',
        handler: chatHandler.replace('maxTokens: 20', "maxTokens: 20, model: 'cheap'"),
        permissions: '  tools: [Read]\nmodel:\n  cost_budget: { monthly_limit: 1 }',
      });
      stub.reset();
      stub.behave('*', { cost: 0.6 });
      const shadow = () =>
        f.runtime.run({
          ref: 'test/twin',
          input: { userMessage: 'hi' },
          shadowOf: { releaseId: 1, stableExecutionId: '00000000-0000-4000-8000-000000000001' },
        });
      assert.equal((await shadow()).success, true); // 0.6
      assert.equal((await shadow()).success, true); // 1.2: the shadow's month is spent
      await assert.rejects(shadow(), (e: Error & { code?: string }) => e.code === 'BUDGET_EXCEEDED');
      const stable = await f.gateway.budgets.status({ ref: 'test/twin', monthlyLimit: 1 });
      assert.equal(stable.spent, 0, "the shadow's spend is not stable's");
      assert.equal(stable.mode, 'ok');
      const own = await f.gateway.budgets.status({ ref: 'test/twin', monthlyLimit: 1, shadow: true });
      assert.ok(Math.abs(own.spent - 1.2) < 1e-9, `shadow spent ${own.spent}`);
      assert.equal(own.mode, 'paused');
      assert.equal(notices.length, 0, 'the owner team is not told about a shadow budget');
      const run = await f.runtime.run({ ref: 'test/twin', input: { userMessage: 'hi' } });
      assert.equal(run.success, true, 'stable runs on');
    } finally {
      stub.reset();
      await f.close();
    }
  });
});

const STORES: Array<{ name: string; env: () => Promise<NodeJS.ProcessEnv | string> }> = [
  { name: 'PGlite', env: async () => ({}) },
  {
    name: 'PostgreSQL',
    env: async () => skipUnless(await postgres()) ?? { DATABASE_URL: PG_URL, ASPORA_DB_SCHEMA: `budget_${Date.now()}` },
  },
  { name: 'Redis counters', env: async () => skipUnless(await redis()) ?? { REDIS_URL } },
];

for (const s of STORES) {
  test(`64 concurrent calls against a nearly spent budget overspend by at most one call (${s.name})`, async (t) => {
    const env = await s.env();
    if (typeof env === 'string') return t.skip(env);
    const f = await fixture(env);
    try {
      const ref = `test/race-${Date.now()}`;
      await f.deploy({
        name: ref.slice(5),
        handler: chatHandler,
        permissions: '  tools: [Read]\nmodel:\n  cost_budget: { monthly_limit: 1 }',
      });
      const store = (
        f.gateway.budgets as unknown as {
          store: {
            add(k: string, p: string, a: number): Promise<unknown>;
            get(k: string, p: string): Promise<{ spent: number }>;
          };
        }
      ).store;
      await store.add(`skill:${ref}`, monthOf(), 0.9);
      stub.reset();
      const caller = { ref, domain: 'test', prefs: { monthlyLimit: 1, maxTokens: 20 } };
      const results = await Promise.allSettled(
        Array.from({ length: 64 }, (_, i) =>
          f.gateway.complete(
            { model: 'unit', messages: [{ role: 'user', content: `call ${i} of the race` }], max_tokens: 20 },
            caller,
          ),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled') as Array<
        PromiseFulfilledResult<{ usage: { cost: number } }>
      >;
      const refused = results.filter(
        (r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'BUDGET_EXCEEDED',
      );
      const oneCall = Math.max(...ok.map((r) => r.value.usage.cost));
      const spent = (await store.get(`skill:${ref}`, monthOf())).spent;
      assert.ok(ok.length >= 1, 'some fit');
      assert.equal(ok.length + refused.length, 64, 'the rest are refused as over budget');
      assert.ok(spent <= 1 + oneCall + 1e-9, `spent ${spent} with ${ok.length} calls of ≤ ${oneCall}`);
      assert.equal(stub.chatRequests.length, ok.length, 'refused calls were never sent');
    } finally {
      if (env.ASPORA_DB_SCHEMA) await f.db.query(`DROP SCHEMA "${env.ASPORA_DB_SCHEMA}" CASCADE`);
      await f.close();
    }
  });
}
