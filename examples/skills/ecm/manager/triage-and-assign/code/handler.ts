import type { SkillHandler } from '@aspora/sdk';

type Order = {
  order_id: string;
  stuck_reason: string;
  amount_aed: number;
  hours_stuck: number;
  send_amount: number;
  send_currency: string;
  existing_assignment: string | null;
};
type AgentRow = { 'Agent Email': string; Team: string; Status: string; 'Max Open Tickets': number };
type Assignment = { 'Order ID': string; 'Assigned Agent': string; Status: string; Priority: string };

/** Open tickets: what counts against an agent's capacity, and what a new triage run leaves alone. */
const OPEN = ['ASSIGNED', 'IN_PROGRESS'];

export function priority(hours: number, aed: number): string {
  const hp = hours >= 24 ? 4 : hours >= 12 ? 3 : hours >= 8 ? 2 : hours >= 4 ? 1 : 0;
  const ap = aed >= 5000 ? 3 : aed >= 1000 ? 2 : aed >= 250 ? 1 : 0;
  const p = Math.max(1, 5 - Math.min(4, hp + ap));
  return `P${aed >= 25000 ? Math.min(p, 2) : p}`;
}

/** Minimal reader for stuck-reasons.yaml: reason code -> owning_team. */
export function owningTeams(yaml: string): Record<string, string> {
  const out: Record<string, string> = {};
  let code = '';
  for (const line of yaml.split('\n')) {
    const r = /^ {2}([A-Z_]+):\s*$/.exec(line);
    if (r) code = r[1]!;
    const t = /^ {4}owning_team:\s*(\w+)/.exec(line);
    if (t && code) out[code] = t[1]!;
  }
  return out;
}

const WEIGHT: Record<string, number> = { P1: 3, P2: 2 };

export const handler: SkillHandler = async (context) => {
  const runId = `triage-${new Date().toISOString()}`;
  const sql = await context.tools.read({ path: '../shared/queries/ecm-pending-list.sql' });
  const { rows: orders } = (await context.apis.ecm_gateway_redshift.executeSql({
    sql,
    params: { min_hours_stuck: 2, lookback_days: 30 },
  })) as { rows: Order[] };
  if (!orders.length)
    return { success: false, message: 'Pending list returned 0 rows — triage not written.', confidence: 0.5 };

  const teams = owningTeams(await context.tools.read({ path: '../shared/config/stuck-reasons.yaml' }));
  // Load and existing assignments from the live tabs, not the Redshift mirrors (synced every 15
  // minutes): a second run within them must not assign the same orders again.
  const [roster, assignments] = await Promise.all([
    context.state.table<AgentRow>('agents').select({}, { limit: 10_000 }),
    context.state.table<Assignment>('assignments').select({ Status: [...OPEN, 'ESCALATED'] }, { limit: 10_000 }),
  ]);
  const taken = new Set(assignments.map((a) => a['Order ID']));
  const agents = roster.map((g) => {
    const open = assignments.filter((a) => a['Assigned Agent'] === g['Agent Email'] && OPEN.includes(a.Status));
    return {
      agent_email: g['Agent Email'],
      team: g.Team,
      agent_status: g.Status,
      max_open_tickets: Number(g['Max Open Tickets']),
      open_tickets: open.length,
      weighted_load: open.reduce((n, a) => n + (WEIGHT[a.Priority] ?? 1), 0),
    };
  });

  const fresh = orders
    .filter((o) => !o.existing_assignment && !taken.has(o.order_id))
    .map((o) => ({ ...o, priority: priority(o.hours_stuck, o.amount_aed) }))
    .sort((a, b) => a.priority.localeCompare(b.priority) || b.hours_stuck - a.hours_stuck);

  const rows = fresh.map((o) => {
    const team = teams[o.stuck_reason] ?? 'ops';
    const pick = agents
      .filter((a) => a.agent_status === 'ACTIVE' && a.team === team && a.open_tickets < a.max_open_tickets)
      .sort((a, b) => a.weighted_load / a.max_open_tickets - b.weighted_load / b.max_open_tickets)[0];
    if (pick) {
      pick.open_tickets += 1;
      pick.weighted_load += WEIGHT[o.priority] ?? 1;
    }
    return {
      'Order ID': o.order_id,
      Priority: o.priority,
      'Stuck Reason': o.stuck_reason,
      Amount: o.send_amount,
      Currency: o.send_currency,
      'Amount AED': o.amount_aed,
      'Hours Stuck': o.hours_stuck,
      'Assigned Agent': pick?.agent_email ?? 'UNASSIGNED',
      'Assigned At': new Date().toISOString(),
      Status: pick ? 'ASSIGNED' : 'UNASSIGNED',
      'Triage Run ID': runId,
    };
  });
  // The write rule (Status IN ('ASSIGNED', 'UNASSIGNED')) lets triage add new rows, never close or move one.
  if (rows.length) await context.state.table('assignments').insert(rows);

  const perAgent: Record<string, string[]> = {};
  for (const r of rows) (perAgent[r['Assigned Agent']] ??= []).push(r.Priority);
  const summary = await context.model.chat({
    messages: [
      { role: 'system', content: 'Write the ECM triage Slack summary in the format of SKILL.md. Order IDs only.' },
      { role: 'user', content: JSON.stringify({ runId, perAgent, openTotal: orders.length }) },
    ],
  });
  context.log.info('triage complete', { runId, orders: orders.length, assigned: rows.length });
  return { success: true, message: summary.content, data: { runId, assigned: rows.length, perAgent }, confidence: 0.9 };
};
