import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createTestContext } from '@aspora/sdk/testing';
import { handler } from '../../code/handler.ts';

// The skill's folder, whose aspora.config.yaml's row rules the test context applies: the bundle
// under `aspora test` (which builds the tests elsewhere), else this file's folder's parent's parent.
const skillDir = process.env.ASPORA_SKILL_DIR ?? fileURLToPath(new URL('../../', import.meta.url));

const files = {
  '../shared/queries/ecm-order-detail-v2.sql': 'DETAIL',
  '../shared/config/knowledge-graph.yaml':
    'nodes:\n  LULU_NOT_CONFIRMED:\n    quick_steps: ["Check Checkout", "Check LULU", "Replay webhook"]\n',
  '../shared/config/stuck-reasons.yaml':
    'reasons:\n  LULU_NOT_CONFIRMED:\n    sla_hours: 12\n  CHECKOUT_TIMEOUT:\n    sla_hours: 6\n',
};

const ticket = (id: string, agent: string, status: string, priority = 'P2', reason = 'CHECKOUT_TIMEOUT') => ({
  'Order ID': id,
  Priority: priority,
  'Stuck Reason': reason,
  Amount: 450,
  Currency: 'GBP',
  'Assigned Agent': agent,
  Status: status,
});
const assignments = [
  ticket('GB201DEF44', 'sarah@aspora.com', 'ASSIGNED'),
  {
    ...ticket('AE136ABC00', 'sarah@aspora.com', 'IN_PROGRESS', 'P1', 'LULU_NOT_CONFIRMED'),
    Amount: 721,
    Currency: 'AED',
  },
  ticket('AE000DONE0', 'sarah@aspora.com', 'RESOLVED', 'P3', 'KYC_PENDING'),
  // Another agent's open ticket: the read rule (Assigned Agent = {user.email}) keeps it out.
  ticket('AE999DIN01', 'dinesh@aspora.com', 'ASSIGNED', 'P1'),
];
const redshift = {
  executeSql: async ({ params }: { params: { order_id: string } }) => ({
    rows: [
      {
        section: 'order',
        detail_status: 'PAYOUT_SENT',
        hours_since_update: params.order_id === 'AE136ABC00' ? 14 : 3,
      },
    ],
  }),
};

test('shows only the agent’s own open tickets, SLA-breached first, with quick steps', async () => {
  const ctx = createTestContext({
    input: { userMessage: 'my tickets', domain: 'ecm', metadata: {} },
    user: 'sarah@aspora.com',
    files,
    skillDir,
    tables: { assignments },
    apis: { ecm_gateway_redshift: redshift },
  });
  const result = await handler(ctx);
  assert.equal(result.success, true);
  assert.equal((result.data as any).count, 2);
  assert.match(result.message, /^🎫 Your Queue — 2 tickets \(1 past SLA\)/);
  const firstTicket = result.message.split('\n')[1]!;
  assert.match(firstTicket, /AE136ABC00/);
  assert.match(result.message, /1\) Check Checkout 2\) Check LULU 3\) Replay webhook/);
  assert.doesNotMatch(result.message, /AE000DONE0/);
  assert.doesNotMatch(result.message, /AE999DIN01/, 'another agent’s ticket');
  // The handler names no agent in its filter: the rule, not the handler, keeps the queue personal.
  const select = ctx.calls.find((c) => c.op === 'state.select')!.args as { where: Record<string, unknown> };
  assert.deepEqual(Object.keys(select.where), ['Status']);
});

test('another agent sees only their own queue; the Agents tab is read-only to the skill', async () => {
  const ctx = createTestContext({
    input: { userMessage: 'my tickets', domain: 'ecm', metadata: {} },
    user: 'dinesh@aspora.com',
    files,
    skillDir,
    tables: { assignments },
    apis: { ecm_gateway_redshift: redshift },
  });
  const result = await handler(ctx);
  assert.equal((result.data as any).count, 1);
  assert.match(result.message, /AE999DIN01/);
  assert.doesNotMatch(result.message, /GB201DEF44|AE136ABC00/);
  // my-tickets' write rule for the Assignments tab is its own; its Agents tab is read-only.
  await assert.rejects(
    ctx.state.table('agents').insert({ 'Agent Email': 'x@aspora.com' }),
    /agents_tab\.write is none/,
  );
});

test('empty queue is reported without leaking other agents', async () => {
  const ctx = createTestContext({
    input: { userMessage: 'my queue', domain: 'ecm', metadata: {} },
    user: 'new@aspora.com',
    files,
    skillDir,
    tables: { assignments },
    apis: { ecm_gateway_redshift: { executeSql: async () => ({ rows: [] }) } },
  });
  const result = await handler(ctx);
  assert.match(result.message, /queue is empty/);
});

test('without a signed-in agent no queue is read, whatever the input names', async () => {
  const ctx = createTestContext({
    // An input is anyone's to write: it names no agent.
    input: { userMessage: 'my tickets', domain: 'ecm', metadata: { agent: 'sarah@aspora.com' } },
    files,
    skillDir,
    tables: { assignments },
  });
  const result = await handler(ctx);
  assert.equal(result.success, false);
  assert.match(result.message, /needs a signed-in agent/);
  assert.deepEqual(
    ctx.calls.filter((c) => c.op === 'apis.call' || c.op.startsWith('state.')),
    [],
  );
});
