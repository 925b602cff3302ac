import type { SkillHandler } from '@aspora/sdk';

type Ticket = {
  'Assigned Agent': string;
  'Order ID': string;
  Priority: string;
  'Stuck Reason': string;
  Amount: number;
  Currency: string;
  Status: string;
};
type Detail = { section: string; detail_status: string; hours_since_update: number };

/** Pulls `REASON: ... quick_steps: [...]` and `sla_hours` pairs out of the shared YAML files. */
export function listField(yaml: string, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  let code = '';
  for (const line of yaml.split('\n')) {
    const head = /^ {2}([A-Z_]+):\s*$/.exec(line);
    if (head) code = head[1]!;
    const m = new RegExp(`^ {4}${field}:\\s*(.+)$`).exec(line);
    if (m && code) out[code] = m[1]!.trim();
  }
  return out;
}

const TERMINAL = new Set(['COMPLETED', 'REFUNDED', 'CANCELLED']);

export const handler: SkillHandler = async (context) => {
  // The agent is whom the platform authenticated (or a channel acted for), never a name in the input.
  const agent = context.user?.email;
  if (!agent)
    return {
      success: false,
      message: 'My tickets needs a signed-in agent: run it as yourself, or through a channel that acts for you.',
      confidence: 1,
    };
  // The Assignments tab's row rule (Assigned Agent = {user.email}) keeps other agents' rows out:
  // the filter here names statuses only, never an agent.
  const open = await context.state
    .table<Ticket>('assignments')
    .select({ Status: ['ASSIGNED', 'IN_PROGRESS'] }, { limit: 1000 });
  if (!open.length)
    return {
      success: true,
      message: '🎫 Your queue is empty. Check with the ECM lead if that looks wrong.',
      data: { count: 0 },
      confidence: 0.95,
    };

  const detailSql = await context.tools.read({ path: '../shared/queries/ecm-order-detail-v2.sql' });
  const steps = listField(await context.tools.read({ path: '../shared/config/knowledge-graph.yaml' }), 'quick_steps');
  const sla = listField(await context.tools.read({ path: '../shared/config/stuck-reasons.yaml' }), 'sla_hours');

  const queue = await Promise.all(
    open.map(async (t) => {
      const { rows: d } = (await context.apis.ecm_gateway_redshift.executeSql({
        sql: detailSql,
        params: { order_id: t['Order ID'] },
      })) as { rows: Detail[] };
      const order = d.find((r) => r.section === 'order');
      const hours = order?.hours_since_update ?? 0;
      const slaLeft = Number(sla[t['Stuck Reason']] ?? 24) - hours;
      const cleared = !!order && TERMINAL.has(order.detail_status);
      const actions = cleared
        ? '✅ cleared itself — resolve it'
        : (JSON.parse(steps[t['Stuck Reason']] ?? '[]') as string[])
            .slice(0, 3)
            .map((s, i) => `${i + 1}) ${s}`)
            .join(' ');
      return { ...t, hours, slaLeft, actions };
    }),
  );
  queue.sort(
    (a, b) =>
      Number(b.slaLeft < 0) - Number(a.slaLeft < 0) || a.Priority.localeCompare(b.Priority) || b.hours - a.hours,
  );

  const lines = queue
    .slice(0, 15)
    .map(
      (t) =>
        `${t.Priority} | ${t['Order ID']} | ${t.Amount.toLocaleString('en-US')} ${t.Currency} | ${Math.round(t.hours)}h | ${t['Stuck Reason']} | ⏰ SLA ${Math.round(t.slaLeft)}h\n    → ${t.actions}`,
    );
  const breached = queue.filter((t) => t.slaLeft < 0).length;
  context.log.info('my-tickets', { agent: agent, count: queue.length, breached });
  return {
    success: true,
    message: [
      `🎫 Your Queue — ${queue.length} tickets (${breached} past SLA)`,
      ...lines,
      queue.length > 15 ? `+${queue.length - 15} more` : '',
      `Next: say "order ${queue[0]!['Order ID']}" for full details.`,
    ]
      .filter(Boolean)
      .join('\n'),
    data: { count: queue.length, breached },
    confidence: 0.92,
  };
};
