import type { SkillHandler } from '@aspora/sdk';

type Slot = 'morning' | 'midday' | 'handover';
type Assignment = {
  'Order ID': string;
  Priority: string;
  Status: string;
  'Assigned Agent': string;
  'Stuck Reason': string;
  'Hours Stuck': number;
  'Triage Run ID'?: string;
  'Assigned At': string;
  'Escalation Flag'?: string;
};

export function slotFor(date: Date, message = ''): Slot {
  if (/handover|end of (day|shift)|carry/i.test(message)) return 'handover';
  if (/midday|on track/i.test(message)) return 'midday';
  if (/morning|start/i.test(message)) return 'morning';
  const dubaiHour = (date.getUTCHours() + 4) % 24;
  return dubaiHour < 12 ? 'morning' : dubaiHour < 18 ? 'midday' : 'handover';
}

export const handler: SkillHandler = async (context) => {
  const now = new Date();
  const slot = slotFor(now, context.input.userMessage ?? '');
  const redshift = context.apis.ecm_gateway_redshift;
  const assignmentsTab = context.state.table<Assignment>('assignments');
  const run = async (file: string, params: Record<string, unknown> = {}) =>
    (
      (await redshift.executeSql({ sql: await context.tools.read({ path: `../shared/queries/${file}` }), params })) as {
        rows: Record<string, unknown>[];
      }
    ).rows;

  const assignments = await assignmentsTab.select({}, { limit: 10_000 });
  const lastRun = assignments
    .filter((a) => a['Triage Run ID'])
    .map((a) => a['Assigned At'])
    .sort()
    .at(-1);
  const triageLanded = !!lastRun && now.getTime() - Date.parse(lastRun) < 45 * 60_000;

  const [dashboard, breaches, load] = await Promise.all([
    run('ecm-daily-dashboard.sql'),
    run('ecm-sla-breaches.sql', { warn_hours: 2 }),
    run('ecm-agent-load.sql'),
  ]);
  const stats =
    slot === 'handover'
      ? await run('ecm-resolution-stats.sql', {
          from_date: now.toISOString().slice(0, 10),
          to_date: now.toISOString().slice(0, 10),
        })
      : [];

  const escalate = assignments.filter(
    (a) =>
      a.Priority === 'P1' &&
      a['Hours Stuck'] > 24 &&
      a.Status !== 'ESCALATED' &&
      a.Status !== 'RESOLVED' &&
      !a['Escalation Flag'],
  );
  // The write rule (Escalation Flag = 'LEAD_REVIEW') lets the flow raise this flag and nothing else.
  if (escalate.length)
    await assignmentsTab.update(
      { 'Order ID': escalate.map((a) => a['Order ID']) },
      { 'Escalation Flag': 'LEAD_REVIEW' },
    );

  const reply = await context.model.chat({
    messages: [
      {
        role: 'system',
        content: `Write the ECM ${slot} message in the SKILL.md format. Missing triage first. Max 10 lines per section. Recommend moves via assign-tickets; never claim you moved tickets.`,
      },
      {
        role: 'user',
        content: JSON.stringify({ slot, triageLanded, lastRun, dashboard, breaches, load, stats, escalate }),
      },
    ],
  });
  context.log.info('daily flow', { slot, triageLanded, flagged: escalate.length });
  return {
    success: true,
    message: reply.content,
    data: { slot, triageLanded, flagged: escalate.map((a) => a['Order ID']) },
    confidence: triageLanded ? 0.9 : 0.7,
  };
};
