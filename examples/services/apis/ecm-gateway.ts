/**
 * The ECM gateway: one service in front of Redshift (ecm_gateway_redshift.executeSql, read-only,
 * shared queries only) and the ops spreadsheet (ecm_gateway_sheets.getSheetData / updateCells).
 * Both see one in-memory world, so a triage run's Sheets writes show up in the next agent-load or
 * pending-list query (the real Redshift mirrors sync from Sheets every 15 minutes).
 */
import { optionalObject, requireString } from '../args.ts';
import { DEMO_CREDENTIALS, ECM_SPREADSHEET_ID } from '../fixtures/credentials.ts';
import { AGENTS, ASSIGNMENTS, REASONS, RESOLUTIONS, TRIAGE_RUNS, type AssignmentFixture } from '../fixtures/ecm.ts';
import { round } from '../hash.ts';
import { badRequest, notFound } from '../http.ts';
import { HOUR_MS, type ApiService, type Clock, type Credential, type RequestInfo } from '../types.ts';
import { buildOrders, type Order } from './ecm/orders.ts';
import { recognise } from './ecm/queries.ts';
import { SheetStore, type SheetRow } from './ecm/sheets.ts';

export function createEcmGateway(clock: Clock): { redshift: ApiService; sheets: ApiService } {
  const orders = buildOrders(clock);
  const store = new SheetStore(initialTabs(clock, orders));
  const credential: Credential = { type: 'bearer', token: DEMO_CREDENTIALS.ecmGateway };

  const redshift: ApiService = {
    api: 'ecm_gateway_redshift',
    credential,
    routes: [
      {
        name: 'executeSql',
        method: 'POST',
        path: '/sql/execute',
        handle: (args) => {
          const query = recognise(requireString(args, 'sql'));
          const params = optionalObject(args, 'params') ?? {};
          const started = clock.now();
          const rows = query.run({ now: started, anchor: clock.anchor, orders, sheets: store, params });
          return {
            query: `${query.name}.sql`,
            columns: query.columns,
            rows,
            rowCount: rows.length,
            executedAt: new Date(started).toISOString(),
          };
        },
      },
    ],
  };

  const sheets: ApiService = {
    api: 'ecm_gateway_sheets',
    credential,
    routes: [
      {
        name: 'getSheetData',
        method: 'GET',
        path: '/sheets/{tab}/rows',
        handle: (args, req) => {
          spreadsheet(req);
          const tab = store.tab(String(args.tab));
          const rows = store.read(tab, optionalObject(args, 'filter') ?? {});
          return { spreadsheetId: ECM_SPREADSHEET_ID, tab, rows, rowCount: rows.length };
        },
      },
      {
        name: 'updateCells',
        method: 'POST',
        path: '/sheets/{tab}/update',
        handle: (args, req) => {
          spreadsheet(req);
          const { tab, ...change } = args;
          return {
            spreadsheetId: ECM_SPREADSHEET_ID,
            ...store.update(store.tab(String(tab)), change),
            updatedAt: new Date(clock.now()).toISOString(),
          };
        },
      },
    ],
  };
  return { redshift, sheets };
}

/** The gateway fronts several spreadsheets; the platform sends which one as a fixed header. */
function spreadsheet(req: RequestInfo): void {
  const id = req.headers['x-spreadsheet-id'];
  if (!id)
    throw badRequest(
      'the X-Spreadsheet-Id header is required (apis.ecm_gateway_sheets.headers in aspora.platform.yaml)',
    );
  if (id !== ECM_SPREADSHEET_ID) throw notFound(`spreadsheet ${String(id)}`);
}

export function initialTabs(
  clock: Clock,
  orders: Order[],
): { Assignments: SheetRow[]; Resolutions: SheetRow[]; Agents: SheetRow[] } {
  const iso = (hoursAgo: number) => new Date(clock.anchor - hoursAgo * HOUR_MS).toISOString();
  const assignment = (a: AssignmentFixture): SheetRow => {
    const o = orders.find((x) => x.orderId === a.orderId);
    if (!o) throw new Error(`fixtures/ecm.ts: assignment for unknown order ${a.orderId}`);
    // Hours stuck when triage wrote the row: since the last status change before the assignment.
    const since = o.fixture.timeline.filter(([, , h]) => h >= a.assignedHoursAgo).at(-1)![2];
    return {
      'Order ID': a.orderId,
      Priority: a.priority,
      'Stuck Reason': a.reason,
      Team: REASONS[a.reason].team,
      Amount: o.fixture.sendAmount,
      Currency: o.fixture.sendCurrency,
      'Amount AED': o.amountAed,
      'Hours Stuck': round(since - a.assignedHoursAgo, 1),
      'Assigned Agent': a.agent,
      'Assigned At': iso(a.assignedHoursAgo),
      Status: a.status,
      'Triage Run ID': a.run ? `triage-${iso(TRIAGE_RUNS[a.run])}` : '',
      Notes: a.notes ?? '',
      'Escalated To': a.escalatedTo ?? '',
      'Escalation Flag': '',
    };
  };
  return {
    Agents: AGENTS.map((g) => ({
      'Agent Email': g.email,
      'Display Name': g.name,
      Team: g.team,
      Status: g.status,
      'Max Open Tickets': g.maxOpenTickets,
    })),
    Assignments: ASSIGNMENTS.map(assignment),
    Resolutions: RESOLUTIONS.map((r) => ({
      'Order ID': r.orderId,
      Agent: r.agent,
      'Resolved At': iso(r.hoursAgo),
      Outcome: r.outcome,
      Action: r.action,
      Notes: r.notes,
      'Root Cause Code': r.reason,
      'Time To Resolve (min)': r.ttrMin ?? '',
      'Hours Stuck At Resolution': r.hoursStuck ?? '',
      'SLA Met': r.slaMet ?? '',
      Verified: r.verified ?? '',
    })),
  };
}
