/**
 * The shared ECM queries (examples/skills/ecm/shared/queries/*.sql), answered from the ECM world
 * instead of Redshift. A query is recognised by the `-- <file>.sql` line it starts with, or, when
 * a client stripped the comments, by the tables and columns only it uses. Each answer has the
 * columns of the query's SELECT, computed the way the SQL computes them.
 */
import { optionalNumber, optionalString, requireString } from '../../args.ts';
import { REASONS, type StuckReason } from '../../fixtures/ecm.ts';
import { round } from '../../hash.ts';
import { badRequest } from '../../http.ts';
import { DAY_MS, HOUR_MS, type Args } from '../../types.ts';
import { stuckHistory } from './history.ts';
import type { Order } from './orders.ts';
import type { SheetRow, SheetStore } from './sheets.ts';

export type Value = string | number | null;
export type ResultRow = Record<string, Value>;

export interface QueryContext {
  now: number;
  /** Fixture times are hours before this instant. */
  anchor: number;
  orders: Order[];
  sheets: SheetStore;
  params: Args;
}

export interface Query {
  /** The file name without .sql */
  name: string;
  columns: readonly string[];
  /** Matched against the SQL without comments when there is no `-- <file>.sql` line. */
  signature: RegExp[];
  run(ctx: QueryContext): ResultRow[];
}

const OPEN = ['ASSIGNED', 'IN_PROGRESS'];
const WEIGHT: Record<string, number> = { P1: 3, P2: 2 };

const iso = (ms: number) => new Date(ms).toISOString();
const utcDate = (ms: number) => iso(ms).slice(0, 10);
/** TRUNC(CONVERT_TIMEZONE('Asia/Dubai', t)): Dubai is UTC+4 all year. */
const dubaiDate = (ms: number) => utcDate(ms + 4 * HOUR_MS);
/** ROUND(DATEDIFF(minute, t, GETDATE()) / 60.0, 1) */
const hoursSince = (now: number, t: number) => round(Math.floor((now - t) / 60_000) / 60, 1);
const cellNumber = (v: Value | undefined) => (v === '' || v === undefined || v === null ? null : Number(v));

const DETAIL_COLUMNS = [
  'section',
  'order_id',
  'user_id',
  'corridor',
  'send_amount',
  'send_currency',
  'receive_amount',
  'receive_currency',
  'payment_method',
  'detail_status',
  'detail_code',
  'event_at',
  'hours_since_update',
] as const;

const orderDetail: Query = {
  name: 'ecm-order-detail-v2',
  columns: DETAIL_COLUMNS,
  signature: [/compliance\.cases/, /payments\.refunds/, /'status_timeline'/],
  run({ now, anchor, orders, params }) {
    const id = requireString(params, 'order_id');
    const o = orders.find((x) => x.orderId === id);
    if (!o) return [];
    const f = o.fixture;
    const at = (hoursAgo: number) => iso(anchor - hoursAgo * HOUR_MS);
    // Every branch of the UNION has all the columns; the ones it does not select are NULL.
    const row = (section: string, values: ResultRow): ResultRow => ({
      ...Object.fromEntries(DETAIL_COLUMNS.map((c) => [c, null])),
      section,
      order_id: id,
      ...values,
    });
    const rows: ResultRow[] = [
      row('order', {
        user_id: f.userId,
        corridor: f.corridor,
        send_amount: f.sendAmount,
        send_currency: f.sendCurrency,
        receive_amount: o.receiveAmount,
        receive_currency: f.receiveCurrency,
        payment_method: f.paymentMethod,
        detail_status: o.status,
        event_at: iso(o.createdAt),
        hours_since_update: hoursSince(now, o.stuckSince),
      }),
      ...f.timeline.map(([status, sub, h]) =>
        row('status_timeline', { detail_status: status, detail_code: sub, event_at: at(h) }),
      ),
      ...(f.checkout ?? []).map((c) =>
        row('checkout', {
          send_amount: f.sendAmount,
          send_currency: f.sendCurrency,
          payment_method: c.paymentId,
          detail_status: c.status,
          detail_code: c.errorCode,
          event_at: at(c.hoursAgo),
        }),
      ),
      ...(f.column ?? []).map((c) =>
        row('column', {
          send_amount: c.amountUsd,
          send_currency: 'USD',
          payment_method: c.requestId,
          detail_status: c.status,
          detail_code: String(c.httpStatus),
          event_at: at(c.hoursAgo),
        }),
      ),
      ...(f.payout
        ? [
            row('payout_partner', {
              receive_amount: o.receiveAmount,
              receive_currency: f.receiveCurrency,
              payment_method: `${f.payout.partner}:${f.payout.partnerRef ?? '-'}`,
              detail_status: f.payout.status,
              detail_code: f.payout.rejectionCode,
              event_at: at(f.payout.lastCallbackHoursAgo ?? f.payout.createdHoursAgo),
            }),
          ]
        : []),
      row('kyc', {
        user_id: f.userId,
        payment_method: f.kyc.tier,
        detail_status: f.kyc.status,
        detail_code: f.kyc.pendingReason,
        event_at: at(f.kyc.updatedHoursAgo),
      }),
      ...(f.compliance
        ? [
            row('compliance', {
              payment_method: f.compliance.caseId,
              detail_status: f.compliance.status,
              detail_code: f.compliance.holdReason,
              event_at: at(f.compliance.openedHoursAgo),
            }),
          ]
        : []),
      ...(f.refund
        ? [
            row('refund', {
              send_amount: f.sendAmount,
              send_currency: f.sendCurrency,
              payment_method: f.refund.refundId,
              detail_status: f.refund.status,
              detail_code: f.refund.providerError,
              event_at: at(f.refund.initiatedHoursAgo),
            }),
          ]
        : []),
    ];
    return rows.sort(
      (a, b) =>
        String(a.section).localeCompare(String(b.section)) || String(a.event_at).localeCompare(String(b.event_at)),
    );
  },
};

const pendingList: Query = {
  name: 'ecm-pending-list',
  columns: [
    'order_id',
    'user_id',
    'corridor',
    'send_amount',
    'send_currency',
    'amount_aed',
    'order_status',
    'sub_status',
    'hours_stuck',
    'payout_partner',
    'stuck_reason',
    'existing_assignment',
  ],
  signature: [/latest_status/, /dup_payments/],
  run({ now, orders, sheets, params }) {
    const minHours = optionalNumber(params, 'min_hours_stuck', { min: 0 }) ?? 2;
    const lookbackDays = optionalNumber(params, 'lookback_days', { min: 1 }) ?? 30;
    const assignments = sheets.rows('Assignments');
    return orders
      .filter(
        (o) =>
          !o.terminal &&
          o.stuckSince >= now - lookbackDays * DAY_MS &&
          Math.floor((now - o.stuckSince) / 60_000) >= minHours * 60,
      )
      .map((o) => {
        // assignment_key: the Assignments row number of an open assignment (sticky routing).
        const open = assignments.findIndex((a) => a['Order ID'] === o.orderId && OPEN.includes(String(a.Status)));
        return {
          order_id: o.orderId,
          user_id: o.fixture.userId,
          corridor: o.fixture.corridor,
          send_amount: o.fixture.sendAmount,
          send_currency: o.fixture.sendCurrency,
          amount_aed: o.amountAed,
          order_status: o.status,
          sub_status: o.subStatus,
          hours_stuck: hoursSince(now, o.stuckSince),
          payout_partner: o.fixture.payout?.partner ?? null,
          stuck_reason: o.reason,
          existing_assignment: open < 0 ? null : `row-${open + 2}`,
        };
      })
      .sort((a, b) => b.hours_stuck - a.hours_stuck || b.amount_aed - a.amount_aed);
  },
};

const agentLoad: Query = {
  name: 'ecm-agent-load',
  columns: [
    'agent_email',
    'display_name',
    'team',
    'agent_status',
    'max_open_tickets',
    'open_tickets',
    'open_p1',
    'weighted_load',
    'utilisation',
    'oldest_assignment_at',
  ],
  signature: [/ecm\.agents_mirror/],
  run({ sheets }) {
    const assignments = sheets.rows('Assignments');
    return sheets
      .rows('Agents')
      .map((ag) => {
        const open = assignments.filter(
          (a) => a['Assigned Agent'] === ag['Agent Email'] && OPEN.includes(String(a.Status)),
        );
        const max = Number(ag['Max Open Tickets']);
        // As the SQL computes it: an agent without open tickets still has the LEFT JOIN's one
        // all-NULL row, which the weighted SUM counts as 1 (ELSE 1).
        const weighted = open.length ? open.reduce((n, a) => n + (WEIGHT[String(a.Priority)] ?? 1), 0) : 1;
        const oldest = open.map((a) => String(a['Assigned At'])).sort()[0] ?? null;
        return {
          agent_email: String(ag['Agent Email']),
          display_name: String(ag['Display Name']),
          team: String(ag.Team),
          agent_status: String(ag.Status),
          max_open_tickets: max,
          open_tickets: open.length,
          open_p1: open.filter((a) => a.Priority === 'P1').length,
          weighted_load: weighted,
          utilisation: max ? round(weighted / max, 2) : null,
          oldest_assignment_at: oldest,
        };
      })
      .sort((a, b) => (a.utilisation ?? -1) - (b.utilisation ?? -1) || a.open_p1 - b.open_p1);
  },
};

const dailyDashboard: Query = {
  name: 'ecm-daily-dashboard',
  columns: ['metric', 'value'],
  signature: [/'open_stuck_orders'/],
  run({ now, orders, sheets }) {
    const stuck = orders.filter((o) => !o.terminal);
    const assignments = sheets.rows('Assignments');
    const today = dubaiDate(now);
    const resolvedToday = sheets
      .rows('Resolutions')
      .filter((r) => dubaiDate(Date.parse(String(r['Resolved At']))) === today);
    const covered = (o: Order) =>
      assignments.some((a) => a['Order ID'] === o.orderId && [...OPEN, 'ESCALATED'].includes(String(a.Status)));
    const newToday = stuckHistory(now, 1)
      .flat()
      .reduce((n, d) => n + d.orders_stuck, 0);
    const metrics: Array<[string, number | null]> = [
      ['open_stuck_orders', stuck.length],
      [
        'open_stuck_amount_aed',
        round(
          stuck.reduce((n, o) => n + o.amountAed, 0),
          2,
        ),
      ],
      ['open_p1', assignments.filter((a) => a.Priority === 'P1' && OPEN.includes(String(a.Status))).length],
      ['unassigned', stuck.filter((o) => !covered(o)).length],
      ['escalated_open', assignments.filter((a) => a.Status === 'ESCALATED').length],
      ['new_stuck_today', newToday],
      ['resolved_today', resolvedToday.filter((r) => r.Outcome === 'RESOLVED').length],
      // AVG over every row of the day, escalations included (they count as not met), as the SQL does.
      [
        'sla_met_rate_today',
        resolvedToday.length
          ? round(resolvedToday.filter((r) => r['SLA Met'] === 'Y').length / resolvedToday.length, 3)
          : null,
      ],
      [
        'oldest_stuck_hours',
        round(Math.max(0, ...stuck.map((o) => Math.floor((now - o.stuckSince) / 60_000) / 60)), 2),
      ],
    ];
    return metrics.map(([metric, value]) => ({ metric, value }));
  },
};

const slaBreaches: Query = {
  name: 'ecm-sla-breaches',
  columns: [
    'order_id',
    'priority',
    'stuck_reason',
    'assigned_agent',
    'status',
    'amount_aed',
    'hours_stuck',
    'sla_hours',
    'hours_over_sla',
    'sla_state',
  ],
  signature: [/sla_state/, /ecm\.assignments_mirror/],
  run({ now, orders, sheets, params }) {
    const warn = optionalNumber(params, 'warn_hours', { min: 0 }) ?? 2;
    const rows: ResultRow[] = [];
    for (const a of sheets.rows('Assignments')) {
      if (!['ASSIGNED', 'IN_PROGRESS', 'ESCALATED'].includes(String(a.Status))) continue;
      const o = orders.find((x) => x.orderId === a['Order ID'] && !x.terminal);
      const sla = REASONS[a['Stuck Reason'] as StuckReason]?.slaHours;
      if (!o || sla === undefined) continue;
      const minutes = Math.floor((now - o.stuckSince) / 60_000);
      if (minutes < (sla - warn) * 60) continue;
      rows.push({
        order_id: o.orderId,
        priority: String(a.Priority),
        stuck_reason: String(a['Stuck Reason']),
        assigned_agent: String(a['Assigned Agent']),
        status: String(a.Status),
        amount_aed: cellNumber(a['Amount AED']),
        hours_stuck: round(minutes / 60, 1),
        sla_hours: sla,
        hours_over_sla: round(minutes / 60 - sla, 1),
        sla_state: minutes >= sla * 60 ? 'BREACHED' : 'AT_RISK',
      });
    }
    // ORDER BY sla_state (AT_RISK sorts before BREACHED), hours_over_sla DESC, amount_aed DESC
    return rows.sort(
      (a, b) =>
        String(a.sla_state).localeCompare(String(b.sla_state)) ||
        Number(b.hours_over_sla) - Number(a.hours_over_sla) ||
        Number(b.amount_aed) - Number(a.amount_aed),
    );
  },
};

const resolutionStats: Query = {
  name: 'ecm-resolution-stats',
  columns: [
    'agent',
    'stuck_reason',
    'outcomes',
    'resolved',
    'escalated',
    'escalation_rate',
    'median_ttr_min',
    'p90_ttr_min',
    'sla_met_rate',
    'avg_hours_stuck_at_resolution',
  ],
  signature: [/ecm\.resolutions_mirror/, /PERCENTILE_CONT/i],
  run({ now, sheets, params }) {
    // The gateway's default window when a caller gives none: the last 7 days.
    const to = dateParam(params, 'to_date') ?? utcDate(now);
    const from = dateParam(params, 'from_date') ?? utcDate(Date.parse(to) - 6 * DAY_MS);
    const rows = sheets.rows('Resolutions').filter((r) => {
      const d = utcDate(Date.parse(String(r['Resolved At'])));
      return d >= from && d <= to;
    });
    if (!rows.length) return [];
    // GROUP BY ROLLUP (agent, stuck_reason): per pair, per agent, and the grand total.
    const groups = new Map<string, { agent: string | null; reason: string | null; rows: SheetRow[] }>();
    const add = (agent: string | null, reason: string | null, r: SheetRow) => {
      const key = `${agent}|${reason}`;
      const g = groups.get(key) ?? { agent, reason, rows: [] };
      g.rows.push(r);
      groups.set(key, g);
    };
    for (const r of rows) {
      add(String(r.Agent), String(r['Root Cause Code']), r);
      add(String(r.Agent), null, r);
      add(null, null, r);
    }
    return (
      [...groups.values()]
        .map(({ agent, reason, rows: rs }) => {
          const resolved = rs.filter((r) => r.Outcome === 'RESOLVED').length;
          const escalated = rs.filter((r) => r.Outcome === 'ESCALATED').length;
          const ttr = rs
            .map((r) => cellNumber(r['Time To Resolve (min)']))
            .filter((v): v is number => v !== null)
            .sort((a, b) => a - b);
          const stuckAt = rs
            .map((r) => cellNumber(r['Hours Stuck At Resolution']))
            .filter((v): v is number => v !== null);
          return {
            agent,
            stuck_reason: reason,
            outcomes: rs.length,
            resolved,
            escalated,
            escalation_rate: round(escalated / rs.length, 3),
            median_ttr_min: percentileCont(ttr, 0.5),
            p90_ttr_min: percentileCont(ttr, 0.9),
            sla_met_rate: round(rs.filter((r) => r['SLA Met'] === 'Y').length / rs.length, 3),
            avg_hours_stuck_at_resolution: stuckAt.length
              ? round(stuckAt.reduce((a, b) => a + b, 0) / stuckAt.length, 1)
              : null,
          };
        })
        // ORDER BY agent NULLS LAST, outcomes DESC; on a tie the agent's subtotal first.
        .sort(
          (a, b) =>
            Number(a.agent === null) - Number(b.agent === null) ||
            String(a.agent).localeCompare(String(b.agent)) ||
            b.outcomes - a.outcomes ||
            Number(b.stuck_reason === null) - Number(a.stuck_reason === null),
        )
    );
  },
};

const stuckReasonsSummary: Query = {
  name: 'ecm-stuck-reasons-summary',
  columns: [
    'stuck_date',
    'stuck_reason',
    'corridor',
    'payout_partner',
    'orders_stuck',
    'amount_aed_stuck',
    'avg_hours_to_clear',
    'orders_stuck_same_day_last_week',
    'trailing_28d_avg',
    'trailing_28d_stddev',
  ],
  signature: [/ecm\.stuck_orders_history/, /trailing_28d_avg/],
  run({ now, params }) {
    const weeks = optionalNumber(params, 'weeks', { min: 1, max: 12, integer: true }) ?? 4;
    const out: ResultRow[] = [];
    for (const series of stuckHistory(now, weeks * 7)) {
      series.forEach((d, i) => {
        // Window functions over the series' rows: LAG(…, 7) and ROWS BETWEEN 27 PRECEDING AND 1 PRECEDING.
        const before = series.slice(Math.max(0, i - 27), i).map((x) => x.orders_stuck);
        const { daysAgo: _, ...cols } = d;
        out.push({
          ...cols,
          orders_stuck_same_day_last_week: series[i - 7]?.orders_stuck ?? null,
          trailing_28d_avg: before.length ? round(mean(before), 2) : null,
          trailing_28d_stddev: before.length > 1 ? round(stddevSamp(before), 2) : null,
        });
      });
    }
    return out.sort(
      (a, b) =>
        String(b.stuck_date).localeCompare(String(a.stuck_date)) || Number(b.orders_stuck) - Number(a.orders_stuck),
    );
  },
};

export const QUERIES: readonly Query[] = [
  orderDetail,
  pendingList,
  agentLoad,
  dailyDashboard,
  slaBreaches,
  resolutionStats,
  stuckReasonsSummary,
];

/** Which shared query this SQL is; a 400 for anything else (the gateway runs nothing ad hoc). */
export function recognise(sql: string): Query {
  const code = sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
  const statements = code
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  if (statements.length !== 1 || !/^(select|with)\b/i.test(statements[0]!)) {
    throw badRequest('executeSql runs one read-only statement (SELECT or WITH): Redshift is read-only for skills');
  }
  const marker = /^\s*--\s*([\w.-]+)\.sql\b/.exec(sql)?.[1];
  const found = marker
    ? QUERIES.find((q) => q.name === marker)
    : QUERIES.find((q) => q.signature.every((re) => re.test(code)));
  if (!found) {
    throw badRequest(
      `${marker ? `${marker}.sql is not a shared ECM query` : 'unrecognised SQL'}: executeSql runs only the queries in ecm/shared/queries/ (${QUERIES.map((q) => `${q.name}.sql`).join(', ')}); send the file's text as it is`,
    );
  }
  return found;
}

function dateParam(params: Args, key: string): string | undefined {
  const v = optionalString(params, key);
  if (v !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(v))
    throw badRequest(`parameter ${key} must be a date, YYYY-MM-DD; got "${v}"`);
  return v;
}

/** PERCENTILE_CONT: linear interpolation between the closest ranks; null for no values. */
function percentileCont(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return round(sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo), 1);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stddevSamp = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};
