import type { SkillHandler } from '@aspora/sdk';

type Day = {
  stuck_date: string;
  stuck_reason: string;
  corridor: string;
  payout_partner: string;
  orders_stuck: number;
  trailing_28d_avg: number | null;
  trailing_28d_stddev: number | null;
};
export type Anomaly = { key: string; weekMean: number; baseline: number; z: number; weekOrders: number };

/** Flags series whose last-7-day mean is >= 2 sigma from the trailing 28-day baseline (>= 10 orders, >= 14 days history). */
export function detectAnomalies(days: Day[]): Anomaly[] {
  const series = new Map<string, Day[]>();
  for (const d of days) {
    const key = `${d.stuck_reason}|${d.corridor}|${d.payout_partner}`;
    series.set(key, [...(series.get(key) ?? []), d]);
  }
  const out: Anomaly[] = [];
  for (const [key, rows] of series) {
    if (rows.length < 14) continue;
    const sorted = [...rows].sort((a, b) => b.stuck_date.localeCompare(a.stuck_date));
    const week = sorted.slice(0, 7);
    const weekOrders = week.reduce((s, r) => s + r.orders_stuck, 0);
    const ref = sorted[7];
    if (!ref?.trailing_28d_avg || !ref.trailing_28d_stddev || weekOrders < 10) continue;
    const weekMean = weekOrders / week.length;
    const z = (weekMean - ref.trailing_28d_avg) / ref.trailing_28d_stddev;
    if (Math.abs(z) >= 2)
      out.push({ key, weekMean, baseline: ref.trailing_28d_avg, z: Math.round(z * 10) / 10, weekOrders });
  }
  return out.sort((a, b) => Math.abs(b.z) * b.weekOrders - Math.abs(a.z) * a.weekOrders);
}

export const handler: SkillHandler = async (context) => {
  const q = async (file: string, params: Record<string, unknown>) =>
    (
      (await context.apis.ecm_gateway_redshift.executeSql({
        sql: await context.tools.read({ path: `../shared/queries/${file}` }),
        params,
      })) as { rows: Record<string, unknown>[] }
    ).rows;
  const today = new Date();
  const from = new Date(today.getTime() - 28 * 86_400_000);
  const [days, resolution] = await Promise.all([
    q('ecm-stuck-reasons-summary.sql', { weeks: 4 }) as Promise<Day[]>,
    q('ecm-resolution-stats.sql', {
      from_date: from.toISOString().slice(0, 10),
      to_date: today.toISOString().slice(0, 10),
    }),
  ]);
  const anomalies = detectAnomalies(days);
  const graph = await context.tools.read({ path: '../shared/config/knowledge-graph.yaml' });

  const report = await context.model.chat({
    messages: [
      {
        role: 'system',
        content:
          'You are the ECM pattern analyst. Follow SKILL.md: max 5 findings, each with Evidence, Likely cause, Action (owner team), confidence. ' +
          'Use `related` edges in the knowledge graph to merge cascades. Name reasons that look normal. Never name agents.',
      },
      { role: 'user', content: JSON.stringify({ anomalies, resolution, knowledgeGraph: graph }) },
    ],
  });
  context.log.info('pattern report', { series: days.length, anomalies: anomalies.length, tokens: report.usage });
  return { success: true, message: report.content, data: { anomalies }, confidence: anomalies.length ? 0.75 : 0.85 };
};
