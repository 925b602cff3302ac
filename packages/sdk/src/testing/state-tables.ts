/**
 * The test context's state tables: rows in memory, and the skill's sheets_access rules applied
 * with the platform's own evaluator (config/row-rule.ts), so a unit test sees the rows its user
 * would and the denials the platform would give. The platform (row-level security in its
 * database) stays the authority; this is for fast feedback.
 */
import {
  cellText,
  ownershipPart,
  stateTableName as tableName,
  parseRowRule,
  type ResolvedRule,
  resolveRowRule,
  type RowRule,
  type RuleUser,
  rowMatches,
} from '../config/row-rule.ts';
import type { StateRow, StateTable, StateWhere } from '../handler/types.ts';

export type SheetsAccess = Record<string, { read?: string; write?: string }>;

type Stored = StateRow & { _id: number };

export class TestStateError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AsporaError';
  }
}

function matchesWhere(row: Stored, where: StateWhere): boolean {
  return Object.entries(where).every(([c, v]) => {
    const cell = Object.hasOwn(row, c) ? (row[c] ?? null) : null;
    const wanted = Array.isArray(v) ? v : [v];
    return wanted.some((w) =>
      w === null ? cell === null : cellText(cell) === cellText(w) && typeof cell === typeof w,
    );
  });
}

export function testStateTables(
  initial: Record<string, StateRow[]>,
  access: SheetsAccess | undefined,
  user: RuleUser | null,
  record: (op: string, args: unknown) => void,
) {
  let nextId = 1;
  const tables = new Map<string, Stored[]>();
  for (const [name, rows] of Object.entries(initial))
    tables.set(
      tableName(name),
      rows.map((r) => ({ ...r, _id: nextId++ })),
    );
  const rules = new Map<string, { key: string; read: RowRule; write: RowRule }>();
  for (const [key, r] of Object.entries(access ?? {}))
    rules.set(tableName(key), {
      key,
      read: r.read ? parseRowRule(r.read) : { kind: 'none' },
      write: r.write ? parseRowRule(r.write) : { kind: 'none' },
    });

  const deny = (table: string, msg: string) =>
    new TestStateError('PERMISSION_DENIED', `test context: may not ${msg} in state table ${table}`);
  /** The resolved rule, or every row when the test gives no sheets_access. */
  const ruleOf = (table: string, access: 'read' | 'write' | 'own'): ResolvedRule => {
    if (!accessGiven) return [[]];
    const r = rules.get(table);
    if (!r) throw deny(table, `${access} rows: permissions.sheets_access declares no ${table}_tab`);
    if (access === 'own') {
      const own = resolveRowRule(ownershipPart(r.write), user);
      return Array.isArray(own) ? own : [];
    }
    const res = resolveRowRule(access === 'read' ? r.read : r.write, user);
    if (!Array.isArray(res))
      throw deny(table, `${access} rows: the rule needs {${res.missing}} and the test context has no user`);
    if (res.length === 0) throw deny(table, `${access} rows: permissions.sheets_access.${r.key}.${access} is none`);
    return res;
  };
  const accessGiven = access !== undefined;
  const rowsOf = (t: string) => {
    let rows = tables.get(t);
    if (!rows) tables.set(t, (rows = []));
    return rows;
  };

  const table = <R extends StateRow>(raw: string): StateTable<R> => {
    const name = tableName(raw);
    return {
      async select(where = {}, opts = {}) {
        record('state.select', { table: raw, where, ...opts });
        const rule = ruleOf(name, 'read');
        let rows = rowsOf(name).filter((r) => rowMatches(rule, r) && matchesWhere(r, where));
        if (opts.orderBy) {
          const k = opts.orderBy;
          rows = [...rows].sort((a, b) =>
            String(a[k] ?? '').localeCompare(String(b[k] ?? ''), 'en', { numeric: true }),
          );
        }
        if (opts.desc) rows.reverse();
        return rows.slice(0, opts.limit ?? 1000).map((r) => ({ ...r })) as Array<R & { _id: number }>;
      },
      async insert(rows) {
        const list = Array.isArray(rows) ? rows : [rows];
        record('state.insert', { table: raw, rows: list });
        const rule = ruleOf(name, 'write');
        list.forEach((r, i) => {
          if (!rowMatches(rule, r)) throw deny(name, `insert row ${i + 1}: outside the write rule`);
        });
        const out = list.map((r) => ({ ...r, _id: nextId++ }) as Stored);
        rowsOf(name).push(...out);
        return out.map((r) => ({ ...r })) as Array<R & { _id: number }>;
      },
      async update(where, set) {
        record('state.update', { table: raw, where, set });
        // As on the platform: rows it may read whose ownership terms hold; each result passes the whole rule.
        const rule = ruleOf(name, 'write');
        const read = ruleOf(name, 'read');
        const own = ruleOf(name, 'own');
        const hit = rowsOf(name).filter((r) => matchesWhere(r, where));
        const mine = hit.filter((r) => rowMatches(read, r) && rowMatches(own, r));
        if (hit.length && !mine.length)
          throw deny(name, `update: the write rule excludes the ${hit.length} matching rows`);
        for (const r of mine) {
          const next = { ...r, ...set } as Stored;
          if (!rowMatches(rule, next)) throw deny(name, 'update: the new row is outside the write rule');
        }
        for (const r of mine) Object.assign(r, set);
        return mine.length;
      },
      async delete(where) {
        record('state.delete', { table: raw, where });
        const rule = ruleOf(name, 'write');
        const all = rowsOf(name);
        const hit = all.filter((r) => matchesWhere(r, where));
        const mine = hit.filter((r) => rowMatches(rule, r));
        if (hit.length && !mine.length)
          throw deny(name, `delete: the write rule excludes the ${hit.length} matching rows`);
        tables.set(
          name,
          all.filter((r) => !mine.includes(r)),
        );
        return mine.length;
      },
    };
  };
  return { table, rows: (t: string) => rowsOf(tableName(t)).map((r) => ({ ...r })) };
}
