/**
 * The ECM ops spreadsheet: three tabs with fixed headers, kept in memory. Reads filter by exact
 * cell values; writes update rows matched on one column, or append rows. Unknown columns are
 * refused, so a handler writing a misspelt column fails loudly instead of writing nowhere.
 */
import { badRequest, HttpError, notFound } from '../../http.ts';
import type { Args } from '../../types.ts';

export type Cell = string | number;
export type SheetRow = Record<string, Cell>;

export const TABS = {
  Assignments: [
    'Order ID',
    'Priority',
    'Stuck Reason',
    'Team',
    'Amount',
    'Currency',
    'Amount AED',
    'Hours Stuck',
    'Assigned Agent',
    'Assigned At',
    'Status',
    'Triage Run ID',
    'Notes',
    'Escalated To',
    'Escalation Flag',
  ],
  Resolutions: [
    'Order ID',
    'Agent',
    'Resolved At',
    'Outcome',
    'Action',
    'Notes',
    'Root Cause Code',
    'Time To Resolve (min)',
    'Hours Stuck At Resolution',
    'SLA Met',
    'Verified',
  ],
  Agents: ['Agent Email', 'Display Name', 'Team', 'Status', 'Max Open Tickets'],
} as const;
export type TabName = keyof typeof TABS;

/** The roster is maintained by hand in the sheet; no skill writes it (ECM guardrail 2). */
const READ_ONLY: ReadonlySet<TabName> = new Set(['Agents']);

export interface UpdateResult {
  ok: true;
  tab: TabName;
  updatedRows: number;
  updatedCells: number;
  appendedRows: number;
  /** A1 range of the appended rows, as the Sheets API reports it. */
  appendedRange: string | null;
}

export class SheetStore {
  readonly #tabs: Record<TabName, SheetRow[]>;

  constructor(initial: Record<TabName, SheetRow[]>) {
    this.#tabs = {
      Assignments: [...initial.Assignments],
      Resolutions: [...initial.Resolutions],
      Agents: [...initial.Agents],
    };
  }

  /** The tab's canonical name (tab names are matched case-insensitively, like Sheets ranges). */
  tab(name: string): TabName {
    const found = (Object.keys(TABS) as TabName[]).find((t) => t.toLowerCase() === name.toLowerCase());
    if (!found) throw notFound(`tab ${name} (tabs: ${Object.keys(TABS).join(', ')})`);
    return found;
  }

  /** Live rows, for the Redshift mirrors of the tabs. */
  rows(tab: TabName): readonly SheetRow[] {
    return this.#tabs[tab];
  }

  /** Copies of the rows whose cells equal every filter value; blank cells read as ''. */
  read(tab: TabName, filter: Record<string, unknown> = {}): SheetRow[] {
    this.#checkColumns(tab, Object.keys(filter), 'filter');
    return this.#tabs[tab]
      .filter((r) => Object.entries(filter).every(([k, v]) => String(r[k] ?? '') === String(v ?? '')))
      .map((r) => this.#full(tab, r));
  }

  /** `{ match, rows }` updates the rows whose `match` cell equals each given row's; `{ append }` adds rows. */
  update(tab: TabName, req: Args): UpdateResult {
    if (READ_ONLY.has(tab)) throw new HttpError(403, 'read_only', `the ${tab} tab is read-only through the gateway`);
    const updates = rowsArg(req, 'rows');
    const appends = rowsArg(req, 'append');
    if (!updates.length && !appends.length) throw badRequest('give rows (with match) to update, or append rows to add');
    for (const r of [...updates, ...appends]) this.#checkColumns(tab, Object.keys(r), 'row');

    let matches: Array<{ targets: SheetRow[]; cells: SheetRow }> = [];
    if (updates.length) {
      const match = req.match;
      if (typeof match !== 'string' || !match)
        throw badRequest('argument match (the column that identifies the rows to update) is required with rows');
      this.#checkColumns(tab, [match], 'match');
      const missing: string[] = [];
      matches = updates.map((cells) => {
        const key = cells[match];
        if (key === undefined || key === '') throw badRequest(`every row to update needs its ${match}`);
        const targets = this.#tabs[tab].filter((r) => String(r[match]) === String(key));
        if (!targets.length) missing.push(String(key));
        return { targets, cells };
      });
      // All or nothing: one unknown key leaves the tab untouched.
      if (missing.length) throw notFound(`${tab} rows with ${match} ${missing.join(', ')}`);
    }
    let updatedCells = 0;
    for (const { targets, cells } of matches) {
      for (const t of targets) {
        Object.assign(t, cells);
        updatedCells += Object.keys(cells).length;
      }
    }
    const first = this.#tabs[tab].length + 2; // row 1 is the header
    this.#tabs[tab].push(...appends.map((r) => ({ ...r })));
    const lastColumn = columnLetter(TABS[tab].length);
    return {
      ok: true,
      tab,
      updatedRows: matches.reduce((n, m) => n + m.targets.length, 0),
      updatedCells,
      appendedRows: appends.length,
      appendedRange: appends.length ? `${tab}!A${first}:${lastColumn}${first + appends.length - 1}` : null,
    };
  }

  #full(tab: TabName, r: SheetRow): SheetRow {
    return Object.fromEntries(TABS[tab].map((c) => [c, r[c] ?? '']));
  }

  #checkColumns(tab: TabName, keys: string[], what: string): void {
    const header: readonly string[] = TABS[tab];
    const unknown = keys.filter((k) => !header.includes(k));
    if (unknown.length)
      throw badRequest(
        `${what}: ${tab} has no column ${unknown.map((k) => `"${k}"`).join(', ')}; its columns: ${header.join(', ')}`,
      );
  }
}

function rowsArg(req: Args, key: string): SheetRow[] {
  const v = req[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badRequest(`argument ${key} must be an array of rows`);
  return v.map((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row))
      throw badRequest(`${key}[${i}] must be an object of column → value`);
    return Object.fromEntries(
      Object.entries(row as Record<string, unknown>).map(([k, cell]) => {
        if (cell === null) return [k, ''];
        if (typeof cell === 'string' || (typeof cell === 'number' && Number.isFinite(cell))) return [k, cell];
        if (typeof cell === 'boolean') return [k, cell ? 'TRUE' : 'FALSE'];
        throw badRequest(`${key}[${i}].${k} must be text or a number`);
      }),
    );
  });
}

/** 1 → A, 15 → O, 27 → AA */
function columnLetter(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}
