/**
 * Row rules of `permissions.sheets_access` (seed 003): which rows of a state table a skill may
 * read or write, such as
 *
 *   Assigned Agent = {user.email} AND Status IN ('IN_PROGRESS', 'RESOLVED')
 *
 * The language is deliberately small, so that a rule means the same thing in the config
 * validator, the host's query layer and PostgreSQL's row-level security policy:
 *   rule   := all | none | [WHERE] alt (OR alt)*
 *   alt    := term (AND term)*
 *   term   := column (= | != | <>) value | column [NOT] IN ( value, … )
 *   column := words (Assigned Agent), "double quoted" or `back-quoted`
 *   value  := 'quoted' ('' is a quote) | number | true | false | {user.email|id|name|team|role}
 * AND binds tighter than OR; there are no parentheses, so every rule is already a disjunction of
 * conjunctions, which is what the policy evaluates. A column missing from a row matches no term.
 */

export const USER_FIELDS = ['email', 'id', 'name', 'team', 'role'] as const;
export type UserField = (typeof USER_FIELDS)[number];

export type RuleValue = { lit: string } | { user: UserField };
export interface RuleTerm {
  column: string;
  /** in: the column's value is one of `values`; not_in: it is present and none of them. */
  op: 'in' | 'not_in';
  values: RuleValue[];
}
export type RowRule = { kind: 'all' } | { kind: 'none' } | { kind: 'where'; any: RuleTerm[][] };

export const ROW_RULE_LIMITS = { chars: 1000, alternatives: 8, terms: 16, values: 64, column: 64 } as const;

export class RowRuleError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
    this.name = 'RowRuleError';
  }
}

type Tok =
  | { t: 'word'; v: string; at: number }
  | { t: 'col'; v: string; at: number }
  | { t: 'str'; v: string; at: number }
  | { t: 'num'; v: string; at: number }
  | { t: 'user'; v: UserField; at: number }
  | { t: 'op'; v: '=' | '!='; at: number }
  | { t: 'p'; v: '(' | ')' | ','; at: number };

const KEYWORDS = new Set(['AND', 'OR', 'IN', 'NOT', 'WHERE', 'TRUE', 'FALSE']);

function tokens(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new RowRuleError('a quoted value is not closed', at);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += src[i++];
      }
      out.push({ t: 'str', v, at });
    } else if (c === '"' || c === '`') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new RowRuleError('a quoted column is not closed', at);
      out.push({ t: 'col', v: src.slice(i + 1, end), at });
      i = end + 1;
    } else if (c === '{') {
      const end = src.indexOf('}', i);
      const name = end < 0 ? '' : src.slice(i + 1, end).trim();
      const field = name.startsWith('user.') ? name.slice(5) : '';
      if (!(USER_FIELDS as readonly string[]).includes(field))
        throw new RowRuleError(`unknown placeholder {${name}}: use {user.${USER_FIELDS.join('}, {user.')}}`, at);
      out.push({ t: 'user', v: field as UserField, at });
      i = end + 1;
    } else if (c === '=') {
      out.push({ t: 'op', v: '=', at });
      i++;
    } else if (src.startsWith('!=', i) || src.startsWith('<>', i)) {
      out.push({ t: 'op', v: '!=', at });
      i += 2;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: 'p', v: c, at });
      i++;
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(src.slice(i));
      if (!m) throw new RowRuleError(`unexpected "${c}"`, at);
      out.push({ t: 'num', v: String(Number(m[0])), at });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i))!;
      out.push({ t: 'word', v: m[0], at });
      i += m[0].length;
    } else {
      throw new RowRuleError(`unexpected "${c}"`, at);
    }
  }
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const isKw = (t: Tok | undefined, kw: string) => t?.t === 'word' && t.v.toUpperCase() === kw;

/** Parses a rule; throws RowRuleError (with the offending position) when it is not one. */
export function parseRowRule(text: string): RowRule {
  const src = text.trim();
  if (src.length > ROW_RULE_LIMITS.chars)
    throw new RowRuleError(`a rule is at most ${ROW_RULE_LIMITS.chars} characters`, ROW_RULE_LIMITS.chars);
  // Lone surrogates cannot be written in the SQL/JSON path the database evaluates.
  if (LONE_SURROGATE.test(src)) throw new RowRuleError('a rule must be well-formed Unicode text', 0);
  if (/^all$/i.test(src)) return { kind: 'all' };
  if (/^none$/i.test(src)) return { kind: 'none' };
  const toks = tokens(src);
  let p = 0;
  if (isKw(toks[0], 'WHERE')) p++;
  const end = (): never => {
    throw new RowRuleError('the rule ends too early: expected a column, an operator and a value', src.length);
  };
  const value = (): RuleValue => {
    const t = toks[p++] ?? end();
    if (t.t === 'str' || t.t === 'num') return { lit: t.v };
    if (t.t === 'user') return { user: t.v };
    if (isKw(t, 'TRUE') || isKw(t, 'FALSE')) return { lit: t.v.toLowerCase() };
    throw new RowRuleError(`expected a value ('text', a number, true, false or {user.email}) at "${show(t)}"`, t.at);
  };
  const column = (): string => {
    const first = toks[p] ?? end();
    let name: string;
    if (first.t === 'col') {
      p++;
      name = first.v;
    } else {
      const words: string[] = [];
      while (toks[p]?.t === 'word' && !KEYWORDS.has((toks[p] as { v: string }).v.toUpperCase()))
        words.push((toks[p++] as { v: string }).v);
      if (!words.length) throw new RowRuleError(`expected a column name at "${show(first)}"`, first.at);
      name = words.join(' ');
    }
    if (!name || name.length > ROW_RULE_LIMITS.column || /[\u0000-\u001f]/.test(name))
      throw new RowRuleError(`a column name is 1 to ${ROW_RULE_LIMITS.column} printable characters`, first.at);
    return name;
  };
  const term = (): RuleTerm => {
    const col = column();
    const t = toks[p] ?? end();
    if (t.t === 'op') {
      p++;
      return { column: col, op: t.v === '=' ? 'in' : 'not_in', values: [value()] };
    }
    let negate = false;
    if (isKw(t, 'NOT')) {
      negate = true;
      p++;
    }
    if (!isKw(toks[p], 'IN'))
      throw new RowRuleError(`expected =, !=, IN or NOT IN after "${col}"`, (toks[p] ?? t).at ?? src.length);
    p++;
    const open = toks[p++];
    if (!(open?.t === 'p' && open.v === '('))
      throw new RowRuleError('IN takes a list in parentheses', open?.at ?? src.length);
    const values: RuleValue[] = [value()];
    while (toks[p]?.t === 'p' && (toks[p] as { v: string }).v === ',') {
      p++;
      values.push(value());
      if (values.length > ROW_RULE_LIMITS.values)
        throw new RowRuleError(`an IN list has at most ${ROW_RULE_LIMITS.values} values`, toks[p - 1]!.at);
    }
    const close = toks[p++];
    if (!(close?.t === 'p' && close.v === ')'))
      throw new RowRuleError('an IN list is not closed with ")"', close?.at ?? src.length);
    return { column: col, op: negate ? 'not_in' : 'in', values };
  };
  const any: RuleTerm[][] = [[term()]];
  let count = 1;
  while (p < toks.length) {
    const t = toks[p]!;
    if (isKw(t, 'AND')) any[any.length - 1]!.push((p++, term()));
    else if (isKw(t, 'OR')) any.push([(p++, term())]);
    else throw new RowRuleError(`expected AND or OR at "${show(t)}"`, t.at);
    if (++count > ROW_RULE_LIMITS.terms)
      throw new RowRuleError(`a rule has at most ${ROW_RULE_LIMITS.terms} conditions`, t.at);
    if (any.length > ROW_RULE_LIMITS.alternatives)
      throw new RowRuleError(`a rule has at most ${ROW_RULE_LIMITS.alternatives} OR alternatives`, t.at);
  }
  return { kind: 'where', any };
}

function show(t: Tok): string {
  return t.t === 'user' ? `{user.${t.v}}` : t.t === 'str' ? `'${t.v}'` : String(t.v);
}

/**
 * The part of a write rule that says whose a row is: its terms that name the user. An update may
 * change only rows that already pass it (and the new row must pass the whole rule), so "Status IN
 * (…)" bounds what a row may become without freezing a row whose status is outside the list,
 * while "Assigned Agent = {user.email}" keeps the rows of others out of reach before and after.
 */
export function ownershipPart(rule: RowRule): RowRule {
  if (rule.kind !== 'where') return rule;
  return { kind: 'where', any: rule.any.map((alt) => alt.filter((t) => t.values.some((v) => 'user' in v))) };
}

/** A rule with the user's fields filled in: alternatives of terms over literal strings. */
export type ResolvedTerm = { c: string; in: string[] } | { c: string; out: string[] };
export type ResolvedRule = ResolvedTerm[][];

export type RuleUser = Partial<Record<UserField, string | null>>;

/**
 * Fills in the user's fields. A rule that names a field the execution has no value for (a
 * scheduled run has no user) cannot be applied: the field is returned instead, for the caller to
 * refuse with its name.
 */
export function resolveRowRule(rule: RowRule, user: RuleUser | null): ResolvedRule | { missing: string } {
  if (rule.kind === 'all') return [[]];
  if (rule.kind === 'none') return [];
  const out: ResolvedRule = [];
  for (const alt of rule.any) {
    const terms: ResolvedTerm[] = [];
    for (const t of alt) {
      const values: string[] = [];
      for (const v of t.values) {
        if ('lit' in v) values.push(v.lit);
        else {
          const u = user?.[v.user];
          if (typeof u !== 'string' || !u) return { missing: `user.${v.user}` };
          values.push(u);
        }
      }
      terms.push(t.op === 'in' ? { c: t.column, in: values } : { c: t.column, out: values });
    }
    out.push(terms);
  }
  return out;
}

/** `assignments_tab` (seed 003's spelling of a sheets_access key) and `assignments` name the same state table. */
export function stateTableName(key: string): string {
  return key.endsWith('_tab') && key.length > 4 ? key.slice(0, -4) : key;
}

/** The text a row's value compares as: what PostgreSQL's `->>` gives for the same JSON. */
export function cellText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Whether a row passes a resolved rule: the host's check, and the fake's in the SDK's testing harness. */
export function rowMatches(rule: ResolvedRule, row: Record<string, unknown>): boolean {
  return rule.some((alt) =>
    alt.every((t) => {
      const v = Object.hasOwn(row, t.c) ? cellText(row[t.c]) : null;
      if (v === null) return false;
      return 'in' in t ? t.in.includes(v) : !t.out.includes(v);
    }),
  );
}
