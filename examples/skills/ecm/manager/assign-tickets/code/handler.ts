import type { SkillHandler } from '@aspora/sdk';

type Move = { orderId: string; to?: string; from?: string; priority?: string; reason: string };
const OPEN = ['ASSIGNED', 'IN_PROGRESS'];

type AgentRow = { 'Agent Email': string; Team: string; Status: string; 'Max Open Tickets': number };
type Row = {
  'Order ID': string;
  'Assigned Agent': string;
  Status: string;
  Priority: string;
  'Stuck Reason': string;
  Team?: string;
  Notes?: string;
};

export const handler: SkillHandler = async (context) => {
  const { userMessage } = context.input;
  // Who reassigns, as the platform authenticated them (a schedule or service has no user).
  const by = context.user?.email ?? 'a service';
  const assignments = context.state.table<Row>('assignments');

  // 1. The model turns free text into structured moves (no writes happen here).
  const parsed = await context.model.chat({
    messages: [
      {
        role: 'system',
        content:
          'Extract ECM assignment operations as JSON {"moves":[{"orderId","to","from","priority","reason"}],"question":null}. ' +
          'If an order or agent is ambiguous, set "question" and return no moves.',
      },
      { role: 'user', content: userMessage },
    ],
  });
  const plan = parseJson<{ moves: Move[]; question: string | null }>(parsed.content);
  // No moves from an answer the skill cannot read: the manager restates the request.
  if (!plan)
    return {
      success: false,
      message:
        'I could not turn that into ticket moves. Say which orders (or whose tickets) go to whom, e.g. "move alex\'s tickets to dinesh".',
      confidence: 0,
    };
  if (plan.question)
    return { success: true, message: plan.question, data: { needsClarification: true }, confidence: 0.6 };

  // The live tabs, not the Redshift mirror (synced every 15 minutes): a move made a minute ago counts.
  const [roster, current] = await Promise.all([
    context.state.table<AgentRow>('agents').select({}, { limit: 10_000 }),
    assignments.select({}, { limit: 10_000 }),
  ]);
  const agents = roster.map((g) => ({
    agent_email: g['Agent Email'],
    team: g.Team,
    agent_status: g.Status,
    max_open_tickets: Number(g['Max Open Tickets']),
    open_tickets: current.filter((a) => a['Assigned Agent'] === g['Agent Email'] && OPEN.includes(a.Status)).length,
  }));

  const done: Move[] = [];
  const refused: { orderId: string; why: string }[] = [];
  for (const m of plan.moves) {
    const row = current.find((r) => r['Order ID'] === m.orderId);
    if (!row) {
      refused.push({ orderId: m.orderId, why: 'not on the Assignments tab' });
      continue;
    }
    if (row.Status === 'RESOLVED') {
      refused.push({ orderId: m.orderId, why: 'already resolved' });
      continue;
    }
    if (m.to) {
      const agent = agents.find((a) => a.agent_email.startsWith(m.to!));
      if (agent?.agent_status !== 'ACTIVE') {
        refused.push({ orderId: m.orderId, why: `${m.to} is not active` });
        continue;
      }
      if (row.Team && agent.team !== row.Team) {
        refused.push({ orderId: m.orderId, why: `${agent.agent_email} is not on team ${row.Team}` });
        continue;
      }
      if (agent.open_tickets >= agent.max_open_tickets) {
        refused.push({ orderId: m.orderId, why: `${agent.agent_email} is at capacity` });
        continue;
      }
      agent.open_tickets += 1;
      m.to = agent.agent_email;
    }
    done.push(m);
  }
  if (done.length > 20 && !/\bconfirm\b/i.test(userMessage)) {
    return {
      success: true,
      message: `This moves ${done.length} tickets. Reply "confirm" to apply.`,
      data: { plan: done, refused },
      confidence: 0.7,
    };
  }
  const note = (m: Move) => `reassigned by ${by} at ${new Date().toISOString()}: ${m.reason}`;
  // One update per move; the write rule keeps a closed (RESOLVED) ticket closed whatever a move says.
  for (const m of done) {
    const row = current.find((r) => r['Order ID'] === m.orderId)!;
    await assignments.update(
      { 'Order ID': m.orderId },
      {
        ...(m.to ? { 'Assigned Agent': m.to } : {}),
        ...(m.to && row.Status === 'UNASSIGNED' ? { Status: 'ASSIGNED' } : {}),
        ...(m.priority ? { Priority: m.priority } : {}),
        Notes: note(m),
      },
    );
  }
  context.log.info('assignments changed', { moved: done.length, refused: refused.length, by });
  const lines = done.map((m) => `| ${m.orderId} | ${m.priority ?? '-'} | ${m.from ?? '-'} | ${m.to ?? '-'} |`);
  const message = [
    `✅ ${done.length} tickets updated`,
    ...lines,
    ...refused.map((r) => `⛔ Not moved: ${r.orderId} — ${r.why}`),
  ].join('\n');
  return { success: true, message, data: { moved: done, refused }, confidence: 0.9 };
};

/** The model's JSON answer (a ```json fence allowed), or undefined when it is not JSON. */
function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text.trim().replace(/^```(?:json)?\s*|\s*```$/g, '')) as T;
  } catch {
    return undefined;
  }
}
