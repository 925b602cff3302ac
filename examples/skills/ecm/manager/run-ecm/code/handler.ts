import type { SkillHandler } from '@aspora/sdk';

export const QUERIES = {
  dashboard: 'ecm-daily-dashboard.sql',
  workload: 'ecm-agent-load.sql',
  sla: 'ecm-sla-breaches.sql',
  resolution: 'ecm-resolution-stats.sql',
  reasons: 'ecm-stuck-reasons-summary.sql',
  pending: 'ecm-pending-list.sql',
} as const;
type QueryKey = keyof typeof QUERIES;

/** Keyword routing first (free, deterministic); the model is only asked when nothing matches. */
export function route(message: string): QueryKey | null {
  const m = message.toLowerCase();
  if (/workload|capacity|overload|per agent load|who has/.test(m)) return 'workload';
  if (/breach|at risk|overdue/.test(m)) return 'sla';
  if (/resolved|resolution|ttr|time to resolve|last week|per agent/.test(m)) return 'resolution';
  if (/by reason|by corridor|by partner|over the last|trend/.test(m)) return 'reasons';
  if (/list (all|every)|full list|pending list/.test(m)) return 'pending';
  if (/run ecm|dashboard|how many|right now|sla met|backlog|at risk/.test(m)) return 'dashboard';
  return null;
}

export const handler: SkillHandler = async (context) => {
  // `/ecm-dashboard` sent with no text: the slash command's name is the question.
  const command = context.input.metadata?.command as { pattern?: string } | undefined;
  const message = context.input.userMessage || (command?.pattern === '/ecm-dashboard' ? 'dashboard' : '');
  let key = route(message);
  if (!key) {
    const pick = await context.model.chat({
      messages: [
        { role: 'system', content: `Answer with one word from: ${Object.keys(QUERIES).join(', ')}, or "none".` },
        { role: 'user', content: message },
      ],
    });
    key = (pick.content.trim() in QUERIES ? pick.content.trim() : null) as QueryKey | null;
  }
  if (!key) {
    return {
      success: false,
      message: `No ECM query covers that. Available: ${Object.values(QUERIES).join(', ')}`,
      confidence: 0.6,
    };
  }
  const params = (context.input.metadata?.params ?? {}) as Record<string, unknown>;
  const sql = await context.tools.read({ path: `../shared/queries/${QUERIES[key]}` });
  const { rows } = (await context.apis.ecm_gateway_redshift.executeSql({ sql, params })) as {
    rows: Record<string, unknown>[];
  };

  const shown = rows.slice(0, 15);
  const cols = Object.keys(shown[0] ?? {});
  const table = cols.length
    ? [`| ${cols.join(' | ')} |`, ...shown.map((r) => `| ${cols.map((c) => String(r[c] ?? '')).join(' | ')} |`)]
    : ['(no rows)'];
  const more = rows.length > 15 ? [`+${rows.length - 15} more rows`] : [];
  context.log.info('run-ecm', { query: QUERIES[key], rows: rows.length });
  return {
    success: true,
    message: [`📊 ${QUERIES[key]} — ${rows.length} rows`, ...table, ...more].join('\n'),
    data: { query: QUERIES[key], rows: rows.length },
    confidence: 0.95,
  };
};
