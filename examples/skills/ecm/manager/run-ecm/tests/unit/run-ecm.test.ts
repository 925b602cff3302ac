import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '@aspora/sdk/testing';
import { handler, route } from '../../code/handler.ts';

test('routes common questions to the right query', () => {
  assert.equal(route('run ecm'), 'dashboard');
  assert.equal(route('how many orders are stuck right now?'), 'dashboard');
  assert.equal(route('show me the agent workload table'), 'workload');
  assert.equal(route('list everything that has breached SLA'), 'sla');
  assert.equal(route('resolution stats per agent for last week'), 'resolution');
});

/** A context whose Redshift answers the dashboard's rows and remembers the SQL it was sent. */
function dashboardContext(userMessage: string, metadata: Record<string, unknown> = {}) {
  const executed: string[] = [];
  const ctx = createTestContext({
    input: { userMessage, domain: 'ecm', metadata },
    user: 'lead@aspora.com',
    files: { '../shared/queries/ecm-daily-dashboard.sql': 'DASH' },
    apis: {
      ecm_gateway_redshift: {
        executeSql: async ({ sql }: { sql: string }) => {
          executed.push(sql);
          return {
            rows: [
              { metric: 'open_stuck_orders', value: 212 },
              { metric: 'open_p1', value: 23 },
            ],
          };
        },
      },
    },
  });
  return { ctx, executed };
}

test('runs the dashboard query and formats a table', async () => {
  const { ctx, executed } = dashboardContext('ecm dashboard');
  const result = await handler(ctx);
  assert.equal(result.success, true);
  assert.deepEqual(executed, ['DASH']);
  assert.match(result.message, /\| open_stuck_orders \| 212 \|/);
});

test('/ecm-dashboard with no text runs the dashboard query, no model asked', async () => {
  const { ctx, executed } = dashboardContext('', { command: { pattern: '/ecm-dashboard', args: '' } });
  const result = await handler(ctx);
  assert.equal(result.success, true);
  assert.deepEqual(executed, ['DASH']);
});
