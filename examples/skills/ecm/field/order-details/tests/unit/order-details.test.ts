import { test } from 'node:test';
import assert from 'node:assert/strict';
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
    apis: {
      ecm_gateway_redshift: { executeSql: async () => ({ rows }) },
      ecm_gateway_sheets: {
        getSheetData: async () => ({
          rows: [{ 'Order ID': 'AE136ABC00', 'Stuck Reason': 'LULU_NOT_CONFIRMED', Priority: 'P1' }],
        }),
      },
    },
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

test('assigned to you only when the sheet names you, the signed-in agent', async () => {
  const rows = [{ section: 'order', detail_status: 'PAYOUT_SENT', event_at: '2026-02-16' }];
  const sheet = (agent: string) => ({
    getSheetData: async () => ({
      rows: [
        { 'Order ID': 'AE136ABC00', 'Stuck Reason': 'LULU_NOT_CONFIRMED', Priority: 'P1', 'Assigned Agent': agent },
      ],
    }),
  });
  const yours = (user: string | null, agent: string) =>
    handler(
      createTestContext({
        input: { userMessage: 'order AE136ABC00', domain: 'ecm', metadata: {} },
        user,
        files: {
          '../shared/queries/ecm-order-detail-v2.sql': 'DETAIL',
          '../shared/config/knowledge-graph.yaml': graph,
          '../shared/runbooks/lulu-not-confirmed.md': '# LULU',
        },
        apis: { ecm_gateway_redshift: { executeSql: async () => ({ rows }) }, ecm_gateway_sheets: sheet(agent) },
        model: { content: '🔎 AE136ABC00' },
      }),
    ).then((r) => (r.data as { assignedToYou: boolean }).assignedToYou);
  assert.equal(await yours('sarah@aspora.com', 'sarah@aspora.com'), true);
  assert.equal(await yours('dinesh@aspora.com', 'sarah@aspora.com'), false);
  assert.equal(await yours(null, 'sarah@aspora.com'), false);
});
