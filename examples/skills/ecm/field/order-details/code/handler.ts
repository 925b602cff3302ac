import type { SkillHandler } from '@aspora/sdk';

type Section = {
  section: string;
  detail_status: string;
  detail_code: string | null;
  event_at: string;
  send_amount?: number;
  send_currency?: string;
  hours_since_update?: number;
};
type Assignment = { 'Order ID': string; 'Stuck Reason': string; Priority: string; 'Assigned Agent'?: string };

export const ORDER_ID = /\b[A-Z]{2}\d{3}[A-Z0-9]{5}\b/g;

/** Finds the `runbook:` entry for a reason code in knowledge-graph.yaml. */
export function runbookFor(graph: string, reason: string): string | null {
  const block = graph.split(/\n(?= {2}[A-Z_]+:\s*\n)/).find((b) => b.trimStart().startsWith(`${reason}:`));
  const m = block && /runbook:\s*(\S+)/.exec(block);
  return m && m[1] !== 'null' ? m[1]! : null;
}

export const handler: SkillHandler = async (context) => {
  const ids = (context.input.userMessage ?? '').toUpperCase().match(ORDER_ID) ?? [];
  const orderId = ids[0];
  if (!orderId)
    return { success: true, message: 'Which order? Send the order ID, e.g. "order AE136ABC00".', confidence: 0.6 };

  const sql = await context.tools.read({ path: '../shared/queries/ecm-order-detail-v2.sql' });
  const { rows } = (await context.apis.ecm_gateway_redshift.executeSql({ sql, params: { order_id: orderId } })) as {
    rows: Section[];
  };
  if (!rows.length) return { success: false, message: `Order ${orderId} not found in Redshift.`, confidence: 0.9 };

  // The row rule (Assigned Agent = {user.email}) returns the order's row only when it is the
  // caller's; without a signed-in agent there is no one whose rows to read.
  const mine = context.user
    ? await context.state.table<Assignment>('assignments').select({ 'Order ID': orderId }, { limit: 1 })
    : [];
  const assignment = mine[0];
  const yours = !!assignment;
  const compliance = rows.some((r) => r.section === 'compliance' && ['OPEN', 'UNDER_REVIEW'].includes(r.detail_status));
  const reason = compliance ? 'COMPLIANCE_HOLD' : (assignment?.['Stuck Reason'] ?? 'UNKNOWN');

  const graph = await context.tools.read({ path: '../shared/config/knowledge-graph.yaml' });
  const runbookPath = runbookFor(graph, reason);
  const runbook = runbookPath ? await context.tools.read({ path: `../shared/${runbookPath}` }) : null;

  const answer = await context.model.chat({
    messages: [
      {
        role: 'system',
        content:
          'You are an ECM field assistant. Follow the SKILL.md output format. Verify the stuck reason against the ' +
          'knowledge-graph signals; if the data contradicts it, say so. Show only the runbook branch that applies. Mask references to the last 4-6 chars. ' +
          (yours ? '' : 'This order is NOT assigned to the requesting agent: diagnosis only, tell them not to act.'),
      },
      {
        role: 'user',
        content: JSON.stringify({
          orderId,
          assignment,
          reason,
          rows: rows.slice(-40),
          knowledgeGraph: graph,
          runbook,
          otherIds: ids.slice(1),
        }),
      },
    ],
  });

  context.log.info('order-details', { orderId, reason, runbook: runbookPath, mine: yours });
  return {
    success: true,
    message: answer.content,
    data: { orderId, reason, runbook: runbookPath, assignedToYou: yours },
    confidence: runbook ? 0.85 : 0.6,
  };
};
