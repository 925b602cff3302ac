import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createTestContext } from '@aspora/sdk/testing';
import { escalationChannel, handler, overrides } from '../../code/handler.ts';

// The skill's folder, whose aspora.config.yaml's row rules the test context applies: the bundle
// under `aspora test` (which builds the tests elsewhere), else this file's folder's parent's parent.
const skillDir = process.env.ASPORA_SKILL_DIR ?? fileURLToPath(new URL('../../', import.meta.url));
const ticket = (id: string, agent: string) => ({
  'Order ID': id,
  'Assigned Agent': agent,
  Status: 'IN_PROGRESS',
  'Stuck Reason': 'FALCON_REJECTED',
  Priority: 'P1',
  Amount: 1200,
  Currency: 'AED',
});
const reasons = 'reasons:\n  FALCON_REJECTED:\n    sla_hours: 12\n    escalation_channel: "#ecm-partner-falcon"\n';

test('routing', () => {
  assert.equal(escalationChannel(reasons, 'FALCON_REJECTED'), '#ecm-partner-falcon');
  assert.equal(escalationChannel(reasons, 'NOPE'), '#ecm-ops');
  assert.deepEqual(overrides('customer opened a chargeback'), ['#fraud-disputes']);
  assert.deepEqual(overrides('third retry failed'), []);
});

function ctx(message: string, posts: unknown[]) {
  return createTestContext({
    input: { userMessage: message, domain: 'ecm', metadata: {} },
    user: 'sarah@aspora.com',
    files: { '../shared/queries/ecm-order-detail-v2.sql': 'DETAIL', '../shared/config/stuck-reasons.yaml': reasons },
    skillDir,
    tables: { assignments: [ticket('AE142XYZ99', 'sarah@aspora.com'), ticket('AE150DIN01', 'dinesh@aspora.com')] },
    apis: {
      ecm_gateway_redshift: { executeSql: async () => ({ rows: [] }) },
      slack: {
        postMessage: async (m: unknown) => {
          posts.push(m);
          return { permalink: 'https://slack/p1' };
        },
      },
    },
    model: { content: '🚨 ECM escalation [HIGH] — AE142XYZ99' },
  });
}

test('posts the handoff to the reason channel and marks ESCALATED', async () => {
  const posts: any[] = [];
  const c = ctx('escalate AE142XYZ99, third Falcon retry failed', posts);
  const result = await handler(c);
  assert.equal(result.success, true, result.message);
  assert.equal(posts[0].channel, '#ecm-partner-falcon');
  const [mine] = c.stateRows('assignments');
  assert.deepEqual([mine?.Status, mine?.['Escalated To']], ['ESCALATED', '#ecm-partner-falcon']);
  const [logged] = c.stateRows('resolutions');
  assert.deepEqual([logged?.Outcome, logged?.Agent], ['ESCALATED', 'sarah@aspora.com']);
});

test('another agent’s ticket cannot be escalated: nothing posted, nothing written', async () => {
  const posts: any[] = [];
  const c = ctx('escalate AE150DIN01, third Falcon retry failed', posts);
  const result = await handler(c);
  assert.equal(result.success, false);
  assert.match(result.message, /not an open ticket in your queue/);
  assert.equal(posts.length, 0);
  assert.equal(c.stateRows('assignments')[1]?.Status, 'IN_PROGRESS');
  // A status the write rule does not list is refused even on the agent's own row.
  await assert.rejects(
    c.state.table('assignments').update({ 'Order ID': 'AE142XYZ99' }, { Status: 'RESOLVED' }),
    /outside the write rule/,
  );
});
