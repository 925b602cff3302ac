/**
 * What a handler sends to the state tables, checked before any of it reaches SQL: filters, rows
 * and patches are bounded in count, size and shape, cells are scalars (a spreadsheet's cells), and
 * every name and value becomes a bound parameter, never SQL text.
 */
import { AsporaError } from '@aspora/sdk';

export type Cell = string | number | boolean | null;
export type Where = Record<string, Cell | Cell[]>;
export type Row = Record<string, Cell>;

export const STATE_LIMITS = {
  /** Columns a filter may name. */
  whereColumns: 20,
  /** Values of one IN list. */
  inValues: 1000,
  /** Columns of a row. */
  rowColumns: 100,
  /** Characters of a column name. */
  column: 64,
  /** Characters of a text cell. */
  cellChars: 10_000,
  /** Bytes of one row as JSON. */
  rowBytes: 64 * 1024,
  /** Rows one insert adds. */
  insertRows: 1000,
  /** Rows one select returns, at most and by default. */
  selectMax: 10_000,
  selectDefault: 1000,
  /** Rows a table holds. */
  tableRows: 100_000,
} as const;

const bad = (message: string, hint?: string) => new AsporaError('BAD_REQUEST', message, hint ? { hint } : {});

export function checkColumn(name: string, what: string): string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > STATE_LIMITS.column ||
    /[\u0000-\u001f\u007f]/.test(name)
  )
    throw bad(`${what}: a column name is 1 to ${STATE_LIMITS.column} printable characters`);
  return name;
}

function checkCell(v: unknown, what: string): Cell {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw bad(`${what}: numbers must be finite`);
    return v;
  }
  if (typeof v === 'string') {
    if (v.length > STATE_LIMITS.cellChars)
      throw bad(`${what}: a text cell is at most ${STATE_LIMITS.cellChars} characters`);
    return v;
  }
  throw bad(`${what}: a cell is a string, a number, a boolean or null`, 'store structured data as JSON text in a cell');
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

export function checkWhere(v: unknown, required: boolean): Where {
  if (v === undefined || v === null) {
    if (required) throw bad('where is required', 'name the rows to change, e.g. { "Order ID": "A1" }');
    return {};
  }
  if (!isObject(v)) throw bad('where must be an object of column → value (or a list of values)');
  const keys = Object.keys(v);
  if (keys.length > STATE_LIMITS.whereColumns) throw bad(`where names at most ${STATE_LIMITS.whereColumns} columns`);
  if (required && keys.length === 0)
    throw bad(
      'where must name at least one column',
      'to change every row the skill may change, say so with a column it has in common',
    );
  const out: Where = {};
  for (const k of keys) {
    checkColumn(k, 'where');
    const x = v[k];
    if (Array.isArray(x)) {
      if (x.length === 0 || x.length > STATE_LIMITS.inValues)
        throw bad(`where.${k}: a list has 1 to ${STATE_LIMITS.inValues} values`);
      out[k] = x.map((y) => checkCell(y, `where.${k}`));
    } else out[k] = checkCell(x, `where.${k}`);
    if (k === '_id' && !(Array.isArray(out[k]) ? (out[k] as Cell[]) : [out[k] as Cell]).every(isId))
      throw bad('where._id: row ids are positive integers');
  }
  return out;
}

const isId = (v: Cell) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

export function checkRow(v: unknown, what: string): Row {
  if (!isObject(v)) throw bad(`${what} must be an object of column → cell`);
  const keys = Object.keys(v);
  if (keys.length === 0 || keys.length > STATE_LIMITS.rowColumns)
    throw bad(`${what} has 1 to ${STATE_LIMITS.rowColumns} columns`);
  const out: Row = {};
  for (const k of keys) {
    checkColumn(k, what);
    if (k === '_id') throw bad(`${what}: _id is the platform's row id; it cannot be written`);
    out[k] = checkCell(v[k], `${what}.${k}`);
  }
  if (Buffer.byteLength(JSON.stringify(out)) > STATE_LIMITS.rowBytes)
    throw bad(`${what} is over ${STATE_LIMITS.rowBytes / 1024} KB as JSON`);
  return out;
}

/**
 * The filter as SQL over `data`, with its parameters appended to `params`: equality of every
 * scalar in one containment test (jsonb compares numbers as numbers), an IN list per column.
 * A null value means the cell is missing or null.
 */
export function whereSql(where: Where, params: unknown[]): string {
  const parts: string[] = [];
  const eq: Record<string, Cell> = {};
  for (const [c, v] of Object.entries(where)) {
    if (c === '_id') {
      params.push((Array.isArray(v) ? v : [v]).map(String));
      parts.push(`id = ANY($${params.length}::bigint[])`);
    } else if (Array.isArray(v)) {
      const nonNull = v.filter((x) => x !== null);
      params.push(
        c,
        nonNull.map((x) => JSON.stringify(x)),
      );
      const inList = `data -> $${params.length - 1} = ANY($${params.length}::text[]::jsonb[])`;
      parts.push(
        nonNull.length === v.length
          ? inList
          : `(${inList} OR coalesce(data -> $${params.length - 1}, 'null') = 'null')`,
      );
    } else if (v === null) {
      params.push(c);
      parts.push(`coalesce(data -> $${params.length}, 'null') = 'null'`);
    } else eq[c] = v;
  }
  if (Object.keys(eq).length) {
    params.push(JSON.stringify(eq));
    parts.push(`data @> $${params.length}::jsonb`);
  }
  return parts.length ? ` AND ${parts.join(' AND ')}` : '';
}
