import type { SkillHandler } from '@aspora/sdk';

type Assignment = {
  'Order ID': string;
  'Assigned Agent': string;
  Status: string;
  'Stuck Reason': string;
  Priority: string;
  Amount: number;
  Currency: string;
  'Escalated To'?: string;
};

export function escalationChannel(yaml: string, reason: string): string {
  const block = yaml.split(/\n(?= {2}[A-Z_]+:)/).find((b) => b.trimStart().startsWith(`${reason}:`)) ?? '';
  return /escalation_channel:\s*"?([^"\n]+)"?/.exec(block)?.[1] ?? '#ecm-ops';
}

/** Hard overrides from SKILL.md step 4: the reason's owner is the wrong team for these. */
export function overrides(text: string): string[] {
  const t = text.toLowerCase();
  if (/double (payout|refund)|paid twice|two (captures|payouts)/.test(t)) return ['#payments-oncall', '#ecm-lead'];
  if (/chargeback|dispute/.test(t)) return ['#fraud-disputes'];
  if (/different person|mule|not the account holder/.test(t)) return ['#ecm-beneficiary', '#fraud-ops'];
  if (/all (the )?orders|every order|partner (is )?down|outage/.test(t)) return ['#ecm-incidents'];
  return [];
}

export const handler: SkillHandler = async (context) => {
  const { userMessage = '' } = context.input;
  // The agent is whom the platform authenticated (or a channel acted for), never a name in the input.
  const agent = context.user?.email;
  if (!agent)
    return {
      success: false,
      message:
        'Escalating a ticket needs a signed-in agent: run it as yourself, or through a channel that acts for you.',
      confidence: 1,
    };
  const orderId = userMessage.toUpperCase().match(/\b[A-Z]{2}\d{3}[A-Z0-9]{5}\b/)?.[0];
  if (!orderId) return { success: true, message: 'Which order should I escalate?', confidence: 0.6 };
  const why = userMessage.replace(new RegExp(`.*?${orderId}[,:]?`, 'i'), '').trim();
  if (why.length < 8)
    return { success: true, message: `What have you tried on ${orderId}, and what's blocking?`, confidence: 0.6 };

  // Only the caller's rows are visible (Assigned Agent = {user.email}).
  const assignments = context.state.table<Assignment>('assignments');
  const [a] = await assignments.select({ 'Order ID': orderId }, { limit: 1 });
  if (!a || !['ASSIGNED', 'IN_PROGRESS'].includes(a.Status)) {
    return { success: false, message: `${orderId} is not an open ticket in your queue.`, confidence: 0.9 };
  }
  const sql = await context.tools.read({ path: '../shared/queries/ecm-order-detail-v2.sql' });
  const { rows: evidence } = (await context.apis.ecm_gateway_redshift.executeSql({
    sql,
    params: { order_id: orderId },
  })) as { rows: unknown[] };
  const reasons = await context.tools.read({ path: '../shared/config/stuck-reasons.yaml' });
  const channels = overrides(why).length ? overrides(why) : [escalationChannel(reasons, a['Stuck Reason'])];

  const handoff = await context.model.chat({
    messages: [
      {
        role: 'system',
        content:
          'Write the ECM escalation handoff using exactly the SKILL.md template (title with severity, Tried, Evidence, Ask, From). ' +
          'Severity HIGH if P1 or SLA breached. Mask references to last 4 chars. No customer names, no compliance reasons.',
      },
      {
        role: 'user',
        content: JSON.stringify({ assignment: a, agent: agent, agentNotes: why, evidence: evidence.slice(-20) }),
      },
    ],
  });

  const posts = (await Promise.all(
    channels.map((channel) => context.apis.slack.postMessage({ channel, text: handoff.content })),
  )) as { permalink?: string }[];
  const now = new Date().toISOString();
  await assignments.update({ 'Order ID': orderId }, { Status: 'ESCALATED', 'Escalated To': channels.join(' ') });
  await context.state.table('resolutions').insert({
    'Order ID': orderId,
    Agent: agent,
    'Resolved At': now,
    Outcome: 'ESCALATED',
    Action: 'ESCALATED',
    Notes: why,
    'Root Cause Code': a['Stuck Reason'],
  });
  context.log.info('escalated', { orderId, channels, agent: agent });
  return {
    success: true,
    message: `🚨 ${orderId} escalated to ${channels.join(', ')} — ${posts[0]?.permalink ?? 'posted'}. It has left your active queue.`,
    data: { orderId, channels },
    confidence: 0.9,
  };
};
