import type { SkillHandler } from '@aspora/sdk';

type Assignment = {
  'Order ID': string;
  'Assigned Agent': string;
  Status: string;
  'Stuck Reason': string;
  'Assigned At': string;
};
const TERMINAL = new Set(['COMPLETED', 'REFUNDED', 'CANCELLED']);
const ACTIONS = [
  'WEBHOOK_REPLAY',
  'RETRY_PAYOUT',
  'RETRY_FUNDING',
  'DATA_FIX',
  'CUSTOMER_ACTION',
  'REFUND_SUBMITTED',
  'CANCELLED',
  'SELF_CLEARED',
  'OTHER',
];

export const maskNumbers = (s: string) => s.replace(/\d{8,}/g, (m) => `…${m.slice(-4)}`);

export function slaHours(yaml: string, reason: string): number {
  const block = yaml.split(/\n(?= {2}[A-Z_]+:)/).find((b) => b.trimStart().startsWith(`${reason}:`)) ?? '';
  return Number(/sla_hours:\s*(\d+)/.exec(block)?.[1] ?? 24);
}

export const handler: SkillHandler = async (context) => {
  const { userMessage = '' } = context.input;
  // The agent is whom the platform authenticated (or a channel acted for), never a name in the input.
  const agent = context.user?.email;
  if (!agent)
    return {
      success: false,
      message:
        'Resolving a ticket needs a signed-in agent: run it as yourself, or through a channel that acts for you.',
      confidence: 1,
    };
  const orderId = userMessage.toUpperCase().match(/\b[A-Z]{2}\d{3}[A-Z0-9]{5}\b/)?.[0];
  const notes = maskNumbers(
    userMessage
      .replace(/^(resolve|close|done with|mark)\s*/i, '')
      .replace(new RegExp(orderId ?? '^$', 'i'), '')
      .trim(),
  );
  if (!orderId)
    return {
      success: true,
      message: 'Which order? e.g. "resolve AE136ABC00 replayed webhook, LULU confirmed"',
      confidence: 0.6,
    };
  if (notes.length < 5)
    return { success: true, message: `What did you do to fix ${orderId}? Notes are required.`, confidence: 0.6 };

  // Only the caller's rows are visible (Assigned Agent = {user.email}): another agent's order is
  // simply not found here, and a write to it would be denied by the write rule.
  const assignments = context.state.table<Assignment>('assignments');
  const [a] = await assignments.select({ 'Order ID': orderId }, { limit: 1 });
  if (!a) return { success: false, message: `${orderId} is not in your queue.`, confidence: 0.9 };
  if (!['ASSIGNED', 'IN_PROGRESS'].includes(a.Status))
    return { success: false, message: `${orderId} is already ${a.Status}.`, confidence: 0.9 };

  const sql = await context.tools.read({ path: '../shared/queries/ecm-order-detail-v2.sql' });
  const { rows: detail } = (await context.apis.ecm_gateway_redshift.executeSql({
    sql,
    params: { order_id: orderId },
  })) as { rows: { section: string; detail_status: string; hours_since_update: number }[] };
  const order = detail.find((r) => r.section === 'order');
  const classified = await context.model.chat({
    messages: [
      {
        role: 'system',
        content:
          `Classify the fix into one of ${ACTIONS.join(', ')}. Reply JSON {"action":"…","verifiedOutcome":true|false} ` +
          '— verifiedOutcome is true only if the notes state a completed, checkable outcome (not a plan or a wait).',
      },
      { role: 'user', content: notes },
    ],
  });
  const fix = parseJson<{ action: string; verifiedOutcome: boolean }>(classified.content);
  // Nothing is marked resolved on an answer the skill cannot read.
  if (!fix)
    return {
      success: false,
      message: `Could not classify the fix for ${orderId}: describe what was done (e.g. "LULU callback received, payout confirmed") and resolve again.`,
      confidence: 0,
    };
  const { action, verifiedOutcome } = fix;
  const verified = order && TERMINAL.has(order.detail_status) ? 'REDSHIFT' : verifiedOutcome ? 'AGENT_STATED' : null;
  if (!verified)
    return {
      success: false,
      message: `${orderId} is still at ${order?.detail_status ?? 'unknown'} — resolve when it completes, or escalate.`,
      confidence: 0.85,
    };

  const now = new Date();
  const ttrMin = Math.round((now.getTime() - Date.parse(a['Assigned At'])) / 60_000);
  const sla = slaHours(await context.tools.read({ path: '../shared/config/stuck-reasons.yaml' }), a['Stuck Reason']);
  const hoursStuck = order?.hours_since_update ?? 0;
  const slaMet = hoursStuck <= sla;
  await context.state.table('resolutions').insert({
    'Order ID': orderId,
    Agent: agent,
    'Resolved At': now.toISOString(),
    Outcome: 'RESOLVED',
    Action: ACTIONS.includes(action) ? action : 'OTHER',
    Notes: notes,
    'Root Cause Code': a['Stuck Reason'],
    'Time To Resolve (min)': ttrMin,
    'Hours Stuck At Resolution': hoursStuck,
    'SLA Met': slaMet ? 'Y' : 'N',
    Verified: verified,
  });
  await assignments.update({ 'Order ID': orderId }, { Status: 'RESOLVED' });
  const remaining = (await assignments.select({ Status: ['ASSIGNED', 'IN_PROGRESS'] })).length;
  context.log.info('resolved', { orderId, agent: agent, ttrMin, slaMet, verified });
  return {
    success: true,
    message: `✅ ${orderId} resolved in ${ttrMin}min | stuck ${Math.round(hoursStuck)}h | SLA ${slaMet ? 'MET' : `MISSED (${sla}h)`} | ${action} | ${remaining} remaining`,
    data: { orderId, ttrMin, slaMet, verified, remaining },
    confidence: 0.93,
  };
};

/** The model's JSON answer (a ```json fence allowed), or undefined when it is not JSON. */
function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text.trim().replace(/^```(?:json)?\s*|\s*```$/g, '')) as T;
  } catch {
    return undefined;
  }
}
