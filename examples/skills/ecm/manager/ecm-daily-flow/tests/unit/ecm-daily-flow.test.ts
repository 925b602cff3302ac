import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createTestContext } from '@aspora/sdk/testing';
import { handler, slotFor } from '../../code/handler.ts';

test('slot comes from the message first, then Dubai time', () => {
  assert.equal(slotFor(new Date('2026-02-16T03:30:00Z'), ''), 'morning'); // 07:30 Dubai
  assert.equal(slotFor(new Date('2026-02-16T10:30:00Z'), ''), 'midday'); // 14:30 Dubai
  assert.equal(slotFor(new Date('2026-02-16T16:30:00Z'), ''), 'handover'); // 20:30 Dubai
  assert.equal(slotFor(new Date('2026-02-16T03:30:00Z'), 'prep the end of day handover'), 'handover');
});

// The skill's folder, whose aspora.config.yaml's row rules the test context applies: the bundle
// under `aspora test` (which builds the tests elsewhere), else this file's folder's parent's parent.
const skillDir = process.env.ASPORA_SKILL_DIR ?? fileURLToPath(new URL('../../', import.meta.url));
const ticket = (id: string, priority: string, hours: number, status = 'IN_PROGRESS') => ({
  'Order ID': id,
  Priority: priority,
  Status: status,
  'Assigned Agent': 'sarah@aspora.com',
  'Stuck Reason': 'FALCON_REJECTED',
  'Hours Stuck': hours,
  'Triage Run ID': 'triage-old',
  'Assigned At': '2026-02-14T03:00:00Z',
  'Escalation Flag': '',
});

function ctxFor(assignments: ReturnType<typeof ticket>[]) {
  return createTestContext({
    input: { userMessage: 'morning briefing', domain: 'ecm', metadata: {} },
    user: 'lead@aspora.com',
    files: Object.fromEntries(
      ['ecm-daily-dashboard.sql', 'ecm-sla-breaches.sql', 'ecm-agent-load.sql', 'ecm-resolution-stats.sql'].map((f) => [
        `../shared/queries/${f}`,
        'SELECT 1',
      ]),
    ),
    skillDir,
    tables: { assignments },
    apis: { ecm_gateway_redshift: { executeSql: async () => ({ rows: [] }) } },
    model: { content: '⚠️ Triage 07:00 did not land' },
  });
}

test('flags P1 > 24h for lead review and reports a missing triage run', async () => {
  const ctx = ctxFor([
    ticket('AE142XYZ99', 'P1', 31),
    ticket('AE143XYZ98', 'P1', 5),
    ticket('AE144XYZ97', 'P1', 40, 'RESOLVED'),
  ]);
  const result = await handler(ctx);
  assert.equal(result.success, true);
  assert.equal((result.data as any).triageLanded, false);
  assert.deepEqual(
    ctx.stateRows('assignments').map((r) => [r['Order ID'], r['Escalation Flag']]),
    [
      ['AE142XYZ99', 'LEAD_REVIEW'],
      ['AE143XYZ98', ''],
      ['AE144XYZ97', ''],
    ],
  );
});

test('the flow may raise the lead-review flag and change nothing else', async () => {
  const ctx = ctxFor([ticket('AE142XYZ99', 'P1', 31)]);
  // Its write rule (Escalation Flag = 'LEAD_REVIEW'): moving or closing a ticket is assign-tickets' job.
  await assert.rejects(
    ctx.state.table('assignments').update({ 'Order ID': 'AE142XYZ99' }, { Status: 'RESOLVED' }),
    /outside the write rule/,
  );
  await assert.rejects(ctx.state.table('resolutions').select(), /declares no resolutions_tab/);
});
