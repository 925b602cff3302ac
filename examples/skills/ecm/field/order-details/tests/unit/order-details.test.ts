import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createTestContext } from '@aspora/sdk/testing';
import { handler, runbookFor } from '../../code/handler.ts';

const graph = [
  'nodes:',
  '  LULU_NOT_CONFIRMED:',
  '    runbook: runbooks/lulu-not-confirmed.md',
  '  COMPLIANCE_HOLD:',
  '    runbook: runbooks/compliance-hold.md',
  '  UNKNOWN:',
  '    runbook: null',
  '',
].join('\n');

// The skill's folder, whose aspora.config.yaml's row rules the test context applies: the bundle
// under `aspora test` (which builds the tests elsewhere), else this file's folder's parent's parent.
const skillDir = process.env.ASPORA_SKILL_DIR ?? fileURLToPath(new URL('../../', import.meta.url));
const row = (agent: string) => ({
  'Order ID': 'AE136ABC00',
  'Stuck Reason': 'LULU_NOT_CONFIRMED',
  Priority: 'P1',
  'Assigned Agent': agent,
  Status: 'IN_PROGRESS',
});

test('knowledge graph lookup', () => {
  assert.equal(runbookFor(graph, 'LULU_NOT_CONFIRMED'), 'runbooks/lulu-not-confirmed.md');
  assert.equal(runbookFor(graph, 'UNKNOWN'), null);
});

function ctx(message: string, rows: unknown[], files: Record<string, string> = {}) {
  return createTestContext({
    input: { userMessage: message, domain: 'ecm', metadata: {} },
    user: 'sarah@aspora.com',
    files: {
      '../shared/queries/ecm-order-detail-v2.sql': 'DETAIL',
      '../shared/config/knowledge-graph.yaml': graph,
      '../shared/runbooks/lulu-not-confirmed.md': '# LULU',
      '../shared/runbooks/compliance-hold.md': '# COMPLIANCE',
      ...files,
    },
    skillDir,
    tables: { assignments: [row('sarah@aspora.com')] },
    apis: { ecm_gateway_redshift: { executeSql: async () => ({ rows }) } },
    model: { content: '🔎 AE136ABC00 — LULU_NOT_CONFIRMED' },
  });
}

test('loads the runbook for the stuck reason', async () => {
  const result = await handler(
    ctx('why is ae136abc00 stuck?', [{ section: 'order', detail_status: 'PAYOUT_SENT', event_at: '2026-02-16' }]),
  );
  assert.equal((result.data as any).runbook, 'runbooks/lulu-not-confirmed.md');
});

test('a compliance case overrides the sheet reason', async () => {
  const result = await handler(
    ctx('order AE136ABC00', [
      { section: 'order', detail_status: 'ON_HOLD_COMPLIANCE', event_at: '2026-02-16' },
      { section: 'compliance', detail_status: 'OPEN', event_at: '2026-02-16' },
    ]),
  );
  assert.equal((result.data as any).reason, 'COMPLIANCE_HOLD');
});

test('asks for an order id when none is given', async () => {
  const result = await handler(ctx('why is my order stuck', []));
  assert.match(result.message, /Which order\?/);
});

test('assigned to you only when the row is the signed-in agent’s: the row rule hides anyone else’s', async () => {
  const rows = [{ section: 'order', detail_status: 'PAYOUT_SENT', event_at: '2026-02-16' }];
  const run = (user: string | null, agent: string) => {
    const ctx = createTestContext({
      input: { userMessage: 'order AE136ABC00', domain: 'ecm', metadata: {} },
      user,
      files: {
        '../shared/queries/ecm-order-detail-v2.sql': 'DETAIL',
        '../shared/config/knowledge-graph.yaml': graph,
        '../shared/runbooks/lulu-not-confirmed.md': '# LULU',
      },
      skillDir,
      tables: { assignments: [row(agent)] },
      apis: { ecm_gateway_redshift: { executeSql: async () => ({ rows }) } },
      model: (req) => `🔎 AE136ABC00 ${JSON.stringify(req.messages)}`,
    });
    return handler(ctx).then((r) => ({ yours: (r.data as { assignedToYou: boolean }).assignedToYou, r }));
  };
  assert.equal((await run('sarah@aspora.com', 'sarah@aspora.com')).yours, true);
  // dinesh asks about sarah's order: diagnosis only, and the model is not shown her row.
  const other = await run('dinesh@aspora.com', 'sarah@aspora.com');
  assert.equal(other.yours, false);
  assert.doesNotMatch(other.r.message, /sarah@aspora\.com/);
  assert.match(other.r.message, /NOT assigned to the requesting agent/);
  assert.equal((await run(null, 'sarah@aspora.com')).yours, false);
});
