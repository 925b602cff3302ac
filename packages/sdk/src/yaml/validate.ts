/**
 * Validate a YAML document against a zod schema and turn every problem into an Issue with
 * file, line, column, field path, message and hint. All problems are reported at once.
 */
import type { z } from 'zod';
import type { Issue } from '../errors/index.ts';
import { locate, parseYaml, type ParsedYaml } from './locate.ts';
import { closest } from './suggest.ts';
import { boundIssues, clipText, YAML_LIMITS } from './limits.ts';

export interface YamlValidation<T> {
  value?: T;
  issues: Issue[];
  parsed: ParsedYaml;
}

export function validateYaml<S extends z.ZodType>(
  schema: S,
  text: string,
  file: string,
  lineOffset = 0,
): YamlValidation<z.output<S>> {
  const parsed = parseYaml(text, file, lineOffset);
  if (parsed.issues.length) return { issues: boundIssues(parsed.issues, file), parsed };
  const input = parsed.value ?? {};
  const res = schema.safeParse(input);
  if (res.success) return { value: res.data, issues: [], parsed };
  // Only as many problems as are shown are positioned: each one scans its map (n keys × n issues).
  const found = res.error.issues;
  const total = found.reduce((n, i) => n + (i.code === 'unrecognized_keys' ? i.keys.length : 1), 0);
  const issues: Issue[] = [];
  for (const i of found) {
    const room = YAML_LIMITS.maxIssues - issues.length;
    if (room <= 0) break;
    issues.push(
      ...toIssues(
        i.code === 'unrecognized_keys' ? { ...i, keys: i.keys.slice(0, room) } : i,
        schema,
        input,
        parsed,
        file,
        lineOffset,
      ),
    );
  }
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { issues: boundIssues(issues, file, total), parsed };
}

type ZIssue = z.core.$ZodIssue;

function toIssues(
  i: ZIssue,
  schema: z.ZodType,
  input: unknown,
  parsed: ParsedYaml,
  file: string,
  off: number,
): Issue[] {
  const path = i.path as PropertyKey[];
  const dotted = formatPath(path);
  const at = (p: PropertyKey[], key?: string) => locate(parsed, p, key, off) ?? {};
  const value = getAt(input, path);

  if (i.code === 'unrecognized_keys') {
    const known = keysAt(schema, path, input);
    return i.keys.map((k) => {
      const guess = closest(k, known);
      return {
        file,
        ...at(path, k),
        path: clipText(formatPath([...path, k])),
        message: `unknown key ${quote(k)}`,
        hint: guess
          ? `did you mean "${guess}"?`
          : known.length
            ? `remove it; allowed here: ${known.join(', ')}`
            : 'remove it',
      };
    });
  }
  if (i.code === 'invalid_type' && value === undefined) {
    const parent = path.slice(0, -1);
    const where = parent.length ? at(parent.slice(0, -1), String(parent[parent.length - 1])) : at([]);
    return [
      {
        file,
        ...where,
        path: dotted,
        message: `missing required field "${String(path[path.length - 1] ?? '')}"`,
        hint: `add ${dotted} (expected ${i.expected})`,
      },
    ];
  }
  if (i.code === 'invalid_value') {
    const allowed = i.values.map(String);
    const guess = typeof value === 'string' ? closest(value, allowed) : undefined;
    return [
      {
        file,
        ...at(path),
        path: dotted,
        message: `${quote(value)} is not allowed`,
        hint: guess ? `did you mean "${guess}"?` : `use one of: ${allowed.join(', ')}`,
      },
    ];
  }
  if (i.code === 'invalid_union') {
    // Discriminated unions (triggers) report the discriminator path and its allowed values.
    const options = ((i as { options?: unknown[] }).options ?? []).map(String);
    if (options.length) {
      const guess = typeof value === 'string' ? closest(value, options) : undefined;
      return [
        {
          file,
          ...at(path),
          path: dotted,
          message:
            value === undefined
              ? `missing "${String(path[path.length - 1])}"`
              : `unknown ${String(path[path.length - 1])} ${quote(value)}`,
          hint: guess ? `did you mean "${guess}"?` : `use one of: ${options.join(', ')}`,
        },
      ];
    }
  }
  const hint = hintFor(i, value);
  return [{ file, ...at(path), path: dotted, message: cleanMessage(i.message), ...(hint ? { hint } : {}) }];
}

/** A value as an issue quotes it: JSON, cut short (a value may be a whole document, or aliases of one). */
function quote(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    /* a BigInt, or too deep to print */
  }
  return clipText(s ?? String(v), 80);
}

function cleanMessage(m: string): string {
  return m.replace(/^Invalid input: /, '');
}

function hintFor(i: ZIssue, value: unknown): string | undefined {
  switch (i.code) {
    case 'invalid_type':
      if (i.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean'))
        return `put it in quotes (YAML read it as the ${typeof value} ${String(value)})`;
      return `write a ${i.expected} here`;
    case 'too_small':
      return `use a value of at least ${String(i.minimum)}${i.origin === 'array' ? ' item(s)' : i.origin === 'string' ? ' character(s)' : ''}`;
    case 'too_big':
      return `use a value of at most ${String(i.maximum)}${i.origin === 'string' ? ' character(s)' : ''}`;
    case 'custom':
      return typeof i.params?.hint === 'string' ? i.params.hint : undefined;
    default:
      return undefined; // format messages already say what is expected
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)),
    '',
  );
}

function getAt(v: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur = v;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

// --- walking the schema to learn which keys are allowed where (for "did you mean") ---

/** A zod v4 schema's definition, as far as the walks over the config schema read it. */
export type ZodDef = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  discriminator?: string;
  values?: unknown[];
};
type Def = ZodDef;
/** The definition behind a zod v4 schema (its internal `_zod.def`). */
export const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (let d = defOf(cur); ; d = defOf(cur)) {
    const next = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
    if (!next) return cur;
    cur = next;
  }
}

function schemaAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>, input: unknown): z.ZodType | undefined {
  let cur: z.ZodType | undefined = unwrap(schema);
  let val = input;
  for (const seg of path) {
    if (!cur) return undefined;
    cur = pickUnionMember(cur, val);
    const d = defOf(cur);
    val = val && typeof val === 'object' ? (val as Record<PropertyKey, unknown>)[seg] : undefined;
    if (d.type === 'object') cur = d.shape?.[String(seg)];
    else if (d.type === 'array') cur = d.element;
    else if (d.type === 'record') cur = d.valueType;
    else return undefined;
    cur = cur ? unwrap(cur) : undefined;
  }
  return cur ? pickUnionMember(cur, val) : undefined;
}

function pickUnionMember(s: z.ZodType, val: unknown): z.ZodType {
  const d = defOf(s);
  if (d.type !== 'union' || !d.options) return s;
  const disc = d.discriminator;
  if (disc && val && typeof val === 'object') {
    const want = (val as Record<string, unknown>)[disc];
    const hit = d.options.find((o) => literalOf(o, disc) === want);
    if (hit) return unwrap(hit);
  }
  return s;
}

function literalOf(o: z.ZodType, key: string): unknown {
  const lit = defOf(unwrap(o)).shape?.[key];
  return lit ? (defOf(lit) as unknown as { values?: unknown[] }).values?.[0] : undefined;
}

function keysAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>, input: unknown): string[] {
  const s = schemaAt(schema, path, input);
  return s && defOf(s).type === 'object' ? Object.keys(defOf(s).shape ?? {}) : [];
}
