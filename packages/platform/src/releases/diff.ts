/**
 * The structured diff of a shadow run (issue 17 part 4): stable's and the shadow's outputs compared
 * as JSON. Arrays of objects are matched item by item by their first key field present (the
 * release's keys, e.g. order_id), and each item is reported added, removed or changed with its
 * changed fields (path → stable, shadow); any other value is compared by its path. Pure and
 * bounded (depth, items visited, changes kept, value sizes): both outputs come from skill code.
 *
 * Percentage = changed items ÷ compared items × 100, where an item is one element of a keyed
 * array (matched by key; one only on a side counts as compared and changed) or one leaf value
 * outside keyed arrays (a string, number, boolean or null at a path; a property only on one side
 * counts once). Two empty outputs compare as 0 %.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { ShadowChangeSchema } from '@aspora/api';

export type ShadowChange = z.infer<typeof ShadowChangeSchema>;

export const DEFAULT_KEYS = ['id', 'order_id', 'key', 'name'] as const;

export interface DiffOptions {
  /** Fields that identify an item of an array of objects, tried in order (default DEFAULT_KEYS). */
  keys?: readonly string[];
  /** Deeper values are compared whole (as bounded JSON text), not by path. */
  maxDepth?: number;
  /** Items and leaves visited at most; past this the diff stops and says so (truncated). */
  maxItems?: number;
  /** Changes kept in the report (all are counted). */
  maxChanges?: number;
  /** Changed fields kept per change. */
  maxFields?: number;
  /**
   * ISO-8601 date-times inside strings compare equal (`triage-2026-12-05T07:00:00Z` = the same
   * with another time): two runs at two moments are not a change of behaviour. Default true.
   */
  ignoreTimes?: boolean;
}

export interface DiffResult {
  percentage: number;
  compared: number;
  changed: number;
  changes: ShadowChange[];
  /** The diff stopped at maxItems: the figures cover what was compared. */
  truncated: boolean;
}

export const DIFF_LIMITS = { maxDepth: 24, maxItems: 20_000, maxChanges: 200, maxFields: 20 } as const;
/** A value shown in a change is cut to this many characters of JSON. */
const SHOWN_CHARS = 200;
/** A value compared whole (past maxDepth) is compared by its first this many characters of JSON, then a hash. */
const WHOLE_CHARS = 64 * 1024;
const TIME_RE = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?/g;

type Obj = Record<string, unknown>;

export function diffOutputs(stable: unknown, shadow: unknown, o: DiffOptions = {}): DiffResult {
  const opts = {
    keys: o.keys?.length ? o.keys : DEFAULT_KEYS,
    maxDepth: o.maxDepth ?? DIFF_LIMITS.maxDepth,
    maxItems: o.maxItems ?? DIFF_LIMITS.maxItems,
    maxChanges: o.maxChanges ?? DIFF_LIMITS.maxChanges,
    maxFields: o.maxFields ?? DIFF_LIMITS.maxFields,
    ignoreTimes: o.ignoreTimes ?? true,
  };
  const out: DiffResult = { percentage: 0, compared: 0, changed: 0, changes: [], truncated: false };
  let visited = 0;
  /** An array longer than the items bound was indexed in part. */
  let cut = false;
  const full = () => {
    if (visited >= opts.maxItems) out.truncated = true;
    return out.truncated;
  };
  const record = (c: ShadowChange) => {
    out.changed++;
    if (out.changes.length < opts.maxChanges) out.changes.push(c);
  };

  /** Leaf-by-leaf differences of two values under `path` (within one item, or at the top). */
  const fields = (
    a: unknown,
    b: unknown,
    path: string,
    depth: number,
    onLeaf: (p: string, x: unknown, y: unknown, same: boolean) => void,
  ) => {
    if (full()) return;
    if (depth >= opts.maxDepth) {
      visited++;
      onLeaf(path, a, b, whole(a) === whole(b));
      return;
    }
    if (isObj(a) && isObj(b)) {
      for (const k of unionKeys(a, b)) {
        if (full()) return;
        const p = join(path, k);
        if (!Object.hasOwn(a, k) || !Object.hasOwn(b, k)) {
          visited++;
          onLeaf(p, Object.hasOwn(a, k) ? a[k] : undefined, Object.hasOwn(b, k) ? b[k] : undefined, false);
        } else fields(a[k], b[k], p, depth + 1, onLeaf);
      }
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const key = keyField(a, b, opts.keys);
      if (key && onLeaf === top) return keyed(a, b, key, path, depth);
      const n = Math.max(a.length, b.length);
      for (let i = 0; i < n; i++) {
        if (full()) return;
        const p = `${path}[${i}]`;
        if (i >= a.length || i >= b.length) {
          visited++;
          onLeaf(p, a[i], b[i], false);
        } else fields(a[i], b[i], p, depth + 1, onLeaf);
      }
      return;
    }
    visited++;
    onLeaf(path, a, b, same(a, b, opts.ignoreTimes));
  };

  /** A leaf outside keyed arrays: one compared item. */
  const top = (p: string, a: unknown, b: unknown, eq: boolean) => {
    out.compared++;
    if (eq) return;
    const kind = a === undefined ? 'added' : b === undefined ? 'removed' : 'changed';
    record({ key: p || '$', kind, ...(kind === 'changed' ? { fields: { [p || '$']: shown(a, b) } } : {}) });
  };

  /** Items of two arrays matched by `key`: each one compared item. */
  const keyed = (a: unknown[], b: unknown[], key: string, path: string, depth: number) => {
    // Indexed up to the items bound: a huge array costs no more than the diff may visit.
    if (a.length > opts.maxItems || b.length > opts.maxItems) cut = true;
    const left = byKey(a.length > opts.maxItems ? a.slice(0, opts.maxItems) : a, key, path);
    const right = byKey(b.length > opts.maxItems ? b.slice(0, opts.maxItems) : b, key, path);
    for (const [id, x] of left) {
      if (full()) return;
      visited++;
      out.compared++;
      const y = right.get(id);
      if (y === undefined) {
        record({ key: id, kind: 'removed' });
        continue;
      }
      const changed: Record<string, { stable: unknown; shadow: unknown }> = {};
      let n = 0;
      fields(x, y, '', depth + 1, (p, s, t, eq) => {
        if (eq) return;
        if (n++ < opts.maxFields) changed[p || '$'] = shown(s, t);
      });
      if (n) record({ key: id, kind: 'changed', fields: changed });
    }
    for (const id of right.keys()) {
      if (left.has(id)) continue;
      if (full()) return;
      visited++;
      out.compared++;
      record({ key: id, kind: 'added' });
    }
  };

  fields(stable, shadow, '', 0, top);
  out.truncated ||= cut;
  out.percentage = out.compared ? round((out.changed / out.compared) * 100) : 0;
  return out;
}

/** The first key field any object element of either array has (checking a bounded prefix of each). */
function keyField(a: unknown[], b: unknown[], keys: readonly string[]): string | undefined {
  const sample = [...a.slice(0, 50), ...b.slice(0, 50)].filter(isObj);
  if (!sample.length) return undefined;
  return keys.find((k) => sample.some((x) => isKeyValue(x[k])));
}

/** Items by `path[key=value]` (the bare `key=value` at the top); items without the key by index, duplicates numbered. */
function byKey(list: unknown[], key: string, path: string): Map<string, unknown> {
  const m = new Map<string, unknown>();
  list.forEach((x, i) => {
    const v = isObj(x) ? x[key] : undefined;
    const base = isKeyValue(v) ? `${key}=${String(v).slice(0, 100)}` : `#${i}`;
    let id = path ? `${path}[${base}]` : base;
    for (let n = 2; m.has(id); n++) id = `${path ? `${path}[${base}]` : base}#${n}`;
    m.set(id, x);
  });
  return m;
}

function same(a: unknown, b: unknown, ignoreTimes: boolean): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a === 'string' && typeof b === 'string' && ignoreTimes)
    return a.replace(TIME_RE, '<t>') === b.replace(TIME_RE, '<t>');
  return false;
}

let unserialisable = 0;

/** A subtree past the depth bound, as bounded comparable text. */
function whole(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? 'undefined';
  } catch {
    // Too deep even for JSON (a hostile output): never equal to anything, so it shows as a change.
    return `unserialisable ${++unserialisable}`;
  }
  return s.length > WHOLE_CHARS ? createHash('sha256').update(s).digest('hex') : s;
}

function shown(a: unknown, b: unknown): { stable: unknown; shadow: unknown } {
  return { stable: cut(a), shadow: cut(b) };
}

/** Scalars as they are (long strings cut); objects and arrays as their JSON, cut. */
function cut(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'string') return v.length > SHOWN_CHARS ? `${v.slice(0, SHOWN_CHARS)}…` : v;
  if (v === null || typeof v !== 'object') return v;
  const s = whole(v);
  return s.length > SHOWN_CHARS ? `${s.slice(0, SHOWN_CHARS)}…` : v;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isKeyValue = (v: unknown) => (typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isFinite(v));
const unionKeys = (a: Obj, b: Obj) => [...new Set([...Object.keys(a), ...Object.keys(b)])];
const join = (path: string, k: string) =>
  /^[A-Za-z_$][\w$]*$/.test(k) ? (path ? `${path}.${k}` : k) : `${path}[${JSON.stringify(k)}]`;
const round = (x: number) => Math.round(x * 100) / 100;
