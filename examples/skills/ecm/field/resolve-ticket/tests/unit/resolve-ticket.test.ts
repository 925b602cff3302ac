import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createTestContext } from '@aspora/sdk/testing';
import { handler, maskNumbers, slaHours } from '../../code/handler.ts';

test('helpers', () => {
  assert.equal(maskNumbers('card 4111111111111111 refunded'), 'card …1111 refunded');
  assert.equal(slaHours('reasons:\n  LULU_NOT_CONFIRMED:\n    sla_hours: 12\n', 'LULU_NOT_CONFIRMED'), 12);
});

// The skill's folder, whose aspora.config.yaml's row rules the test context applies: the bundle
// under `aspora test` (which builds the tests elsewhere), else this file's folder's parent's parent.
const skillDir = process.env.ASPORA_SKILL_DIR ?? fileURLToPath(new URL('../../', import.meta.url));

function ctx(message: string, orderStatus: string, model = '{"action":"WEBHOOK_REPLAY","verifiedOutcome":false}') {
  const assignedAt = new Date(Date.now() - 6 * 60_000).toISOString();
  const ticket = (id: string, agent: string, status: string) => ({
    'Order ID': id,
    'Assigned Agent': agent,
    Status: status,
    'Stuck Reason': 'LULU_NOT_CONFIRMED',
    'Assigned At': assignedAt,
  });
  return createTestContext({
    input: { userMessage: message, domain: 'ecm', metadata: {} },
    user: 'sarah@aspora.com',
    files: {
      '../shared/queries/ecm-order-detail-v2.sql': 'DETAIL',
      '../shared/config/stuck-reasons.yaml': 'reasons:\n  LULU_NOT_CONFIRMED:\n    sla_hours: 12\n',
    },
    skillDir,
    tables: {
      assignments: [
        ticket('AE136ABC00', 'sarah@aspora.com', 'IN_PROGRESS'),
        ticket('AE137ABC01', 'sarah@aspora.com', 'ASSIGNED'),
        ticket('AE900DIN00', 'dinesh@aspora.com', 'IN_PROGRESS'),
      ],
      resolutions: [],
    },
    apis: {
      ecm_gateway_redshift: {
        executeSql: async () => ({ rows: [{ section: 'order', detail_status: orderStatus, hours_since_update: 14 }] }),
      },
    },
    model: { content: model },
  });
}
const status = (c: ReturnType<typeof ctx>) =>
  Object.fromEntries(c.stateRows('assignments').map((r) => [r['Order ID'], r.Status]));

test('resolves a completed order and logs the resolution', async () => {
  const c = ctx('resolve AE136ABC00 replayed webhook, LULU confirmed', 'COMPLETED');
  const result = await handler(c);
  assert.equal(result.success, true, result.message);
  const [logged] = c.stateRows('resolutions');
  assert.equal(logged?.Agent, 'sarah@aspora.com');
  assert.equal(logged?.['SLA Met'], 'N');
  assert.equal(logged?.Verified, 'REDSHIFT');
  assert.deepEqual(status(c), { AE136ABC00: 'RESOLVED', AE137ABC01: 'ASSIGNED', AE900DIN00: 'IN_PROGRESS' });
  assert.match(result.message, /resolved in 6min \| stuck 14h \| SLA MISSED \(12h\) \| WEBHOOK_REPLAY \| 1 remaining/);
});

test('another agent’s ticket is not in the queue, and the write rule refuses it', async () => {
  const c = ctx(
    'resolve AE900DIN00 replayed webhook, LULU confirmed',
    'COMPLETED',
    '{"action":"WEBHOOK_REPLAY","verifiedOutcome":true}',
  );
  const result = await handler(c);
  assert.equal(result.success, false);
  assert.match(result.message, /AE900DIN00 is not in your queue/);
  // Even a handler that tried: the rule (Assigned Agent = {user.email} …) denies the write.
  await assert.rejects(
    c.state.table('assignments').update({ 'Order ID': 'AE900DIN00' }, { Status: 'RESOLVED' }),
    /write rule excludes the 1 matching rows/,
  );
  // And a resolution may be written only in the agent's own name (Agent = {user.email}).
  await assert.rejects(
    c.state.table('resolutions').insert({ 'Order ID': 'AE900DIN00', Agent: 'dinesh@aspora.com' }),
    /outside the write rule/,
  );
  assert.deepEqual(status(c), { AE136ABC00: 'IN_PROGRESS', AE137ABC01: 'ASSIGNED', AE900DIN00: 'IN_PROGRESS' });
  assert.deepEqual(c.stateRows('resolutions'), []);
});

test('refuses when the order is not terminal and the notes are only a plan', async () => {
  const c = ctx('resolve AE136ABC00 will replay later', 'PAYOUT_SENT');
  const result = await handler(c);
  assert.equal(result.success, false);
  assert.equal(status(c).AE136ABC00, 'IN_PROGRESS');
  assert.deepEqual(c.stateRows('resolutions'), []);
});

test('a classification that is not JSON resolves nothing; a fenced JSON answer is read', async () => {
  const c = ctx('resolve AE136ABC00 replayed webhook, LULU confirmed', 'COMPLETED', 'It looks fixed to me.');
  const garbled = await handler(c);
  assert.equal(garbled.success, false);
  assert.match(garbled.message, /Could not classify the fix for AE136ABC00/);
  assert.deepEqual(c.stateRows('resolutions'), []);
  const fenced = await handler(
    ctx(
      'resolve AE136ABC00 replayed webhook, LULU confirmed',
      'COMPLETED',
      '```json\n{"action":"WEBHOOK_REPLAY","verifiedOutcome":true}\n```',
    ),
  );
  assert.equal(fenced.success, true, fenced.message);
});
