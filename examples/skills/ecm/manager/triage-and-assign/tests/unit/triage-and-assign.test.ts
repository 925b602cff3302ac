import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createTestContext } from '@aspora/sdk/testing';
import { handler, priority } from '../../code/handler.ts';

test('priority matches the worked examples of the ECM triage rules', () => {
  assert.equal(priority(14, 721), 'P1');
  assert.equal(priority(18, 1200), 'P1');
  assert.equal(priority(6, 2100), 'P2');
  assert.equal(priority(1, 30000), 'P2');
  assert.equal(priority(1, 100), 'P5');
});

// The skill's folder, whose aspora.config.yaml's row rules the test context applies: the bundle
// under `aspora test` (which builds the tests elsewhere), else this file's folder's parent's parent.
const skillDir = process.env.ASPORA_SKILL_DIR ?? fileURLToPath(new URL('../../', import.meta.url));
const pending = (id: string, aed: number, hours: number, existing: string | null = null) => ({
  order_id: id,
  stuck_reason: 'LULU_NOT_CONFIRMED',
  amount_aed: aed,
  hours_stuck: hours,
  send_amount: aed,
  send_currency: 'AED',
  existing_assignment: existing,
});
const agent = (email: string, status: string) => ({
  'Agent Email': email,
  'Display Name': email.split('@')[0]!,
  Team: 'ops',
  Status: status,
  'Max Open Tickets': 10,
});

function ctxFor(orders: ReturnType<typeof pending>[], assignments: Record<string, string>[] = []) {
  return createTestContext({
    input: { userMessage: 'run triage', domain: 'ecm', metadata: {} },
    files: {
      '../shared/queries/ecm-pending-list.sql': 'SELECT 1',
      '../shared/config/stuck-reasons.yaml': 'reasons:\n  LULU_NOT_CONFIRMED:\n    owning_team: ops\n',
    },
    skillDir,
    tables: { assignments, agents: [agent('sarah@aspora.com', 'ACTIVE'), agent('alex@aspora.com', 'OOO')] },
    apis: { ecm_gateway_redshift: { executeSql: async () => ({ rows: orders }) } },
    model: { content: '🎯 ECM Triage — 1 new ticket assigned' },
  });
}

test('assigns new orders to an active agent of the owning team and skips sticky ones', async () => {
  const ctx = ctxFor([pending('AE136ABC00', 721, 14), pending('AE100OLD01', 90, 3, 'row-12')]);
  const result = await handler(ctx);
  assert.equal(result.success, true);
  const rows = ctx.stateRows('assignments');
  assert.deepEqual(
    rows.map((r) => [r['Order ID'], r['Assigned Agent'], r.Priority, r.Status]),
    [['AE136ABC00', 'sarah@aspora.com', 'P1', 'ASSIGNED']],
  );
});

test('an order already open on the live Assignments tab is not assigned again (the mirror may lag)', async () => {
  // The Redshift mirror does not know of this morning's row yet; the tab does.
  const ctx = ctxFor(
    [pending('AE136ABC00', 721, 14), pending('AE137ABC01', 300, 5)],
    [{ 'Order ID': 'AE136ABC00', 'Assigned Agent': 'sarah@aspora.com', Status: 'IN_PROGRESS', Priority: 'P1' }],
  );
  const result = await handler(ctx);
  assert.equal((result.data as { assigned: number }).assigned, 1);
  assert.deepEqual(
    ctx.stateRows('assignments').map((r) => r['Order ID']),
    ['AE136ABC00', 'AE137ABC01'],
  );
});

test('triage may add assignments, never close one (its write rule)', async () => {
  const ctx = ctxFor([]);
  await assert.rejects(
    ctx.state.table('assignments').insert({ 'Order ID': 'AE1', Status: 'RESOLVED' }),
    /outside the write rule/,
  );
});
