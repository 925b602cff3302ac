/**
 * A skill's row rules (permissions.sheets_access) for one execution: parsed once per skill
 * version, resolved against the execution's user, and checked in the query layer so a denial
 * names the skill, the table and the rule. PostgreSQL's policies (migration 018) enforce the same
 * resolved rules underneath, so a gap here still reads and writes nothing it should not.
 */
import {
  AsporaError,
  cellText,
  stateTableName as tableName,
  ownershipPart,
  parseRowRule,
  resolveRowRule,
  rowMatches,
  type ResolvedRule,
  type RowRule,
  type RuleUser,
} from '@aspora/sdk';
import type { Where } from './where.ts';

export type Access = 'read' | 'write';

export { stateTableName as tableName } from '@aspora/sdk';

export const TABLE_RE = /^[a-z][a-z0-9_]{0,62}$/;

export interface TableRules {
  /** The key as written in the config, for the rule's name in a denial. */
  key: string;
  read: RowRule;
  write: RowRule;
  readText: string;
  writeText: string;
}

/** Parses a version's sheets_access; a rule that no longer parses (an older validator) is none. */
export function tableRulesOf(sheets: Record<string, { read?: string; write?: string }>): Map<string, TableRules> {
  const out = new Map<string, TableRules>();
  const parse = (t: string | undefined): RowRule => {
    if (!t) return { kind: 'none' };
    try {
      return parseRowRule(t);
    } catch {
      return { kind: 'none' };
    }
  };
  for (const [key, r] of Object.entries(sheets)) {
    out.set(tableName(key), {
      key,
      read: parse(r.read),
      write: parse(r.write),
      readText: r.read ?? 'none',
      writeText: r.write ?? 'none',
    });
  }
  return out;
}

export interface ExecutionRules {
  table: string;
  rules: TableRules;
  read: ResolvedRule;
  write: ResolvedRule;
  /** The write rule's ownership terms (ownershipPart): the existing rows an update may reach. */
  own: ResolvedRule;
}

export class StateDenials {
  constructor(
    private readonly skill: string,
    private readonly role: string | null,
  ) {}

  deny(table: string, rule: string, why: string, hint: string): AsporaError {
    return new AsporaError(
      'PERMISSION_DENIED',
      `skill ${this.skill}${this.role ? ` (role ${this.role})` : ''} may not ${why} in state table ${table}: ${rule}`,
      { hint, details: { skill: this.skill, role: this.role, resource: `state table ${table}`, rule } },
    );
  }

  /** The rules of `table` for this execution's user; denied when the skill has none or they need a user it lacks. */
  resolve(all: Map<string, TableRules>, table: string, access: Access, user: RuleUser | null): ExecutionRules {
    const rules = all.get(table);
    if (!rules)
      throw this.deny(
        table,
        `permissions.sheets_access declares no ${table}_tab`,
        `${access} rows`,
        `declare permissions.sheets_access.${table}_tab.${access} in aspora.config.yaml, if the skill should have it`,
      );
    const r = (a: Access) => {
      const res = resolveRowRule(a === 'read' ? rules.read : rules.write, user);
      if (Array.isArray(res)) return res;
      // Only the access asked for must resolve: a scheduled read-all skill may have a per-user write rule.
      if (a !== access) return [];
      throw this.deny(
        table,
        `${ruleName(rules, a)} (${text(rules, a)}) needs {${res.missing}}, and this execution runs for no user`,
        `${a} rows`,
        'run it as a user (a user token, or a service token with act-as naming the user)',
      );
    };
    const read = r('read');
    const write = r('write');
    const ownRes = resolveRowRule(ownershipPart(rules.write), user);
    const own = Array.isArray(ownRes) ? ownRes : [];
    const resolved = access === 'read' ? read : write;
    if (resolved.length === 0)
      throw this.deny(
        table,
        `${ruleName(rules, access)} is none`,
        `${access} rows`,
        `set permissions.sheets_access.${rules.key}.${access} in aspora.config.yaml, if the skill should ${access} it`,
      );
    return { table, rules, read, write, own };
  }

  /**
   * A filter that pins a column to values the rule excludes cannot mean rows the skill may reach:
   * it is denied rather than answered with nothing, so a probe (sarah asking for dinesh's rows) is
   * named and audited. Rows outside the rule never come back either way.
   */
  contradiction(er: ExecutionRules, access: Access | 'update', where: Where): void {
    // An update's filter names rows as they are: the ownership terms bind them, the rest what they become.
    const rule = access === 'read' ? er.read : access === 'update' ? er.own : er.write;
    const named: Access = access === 'read' ? 'read' : 'write';
    const pinned = new Map<string, Array<string | null>>();
    for (const [c, v] of Object.entries(where))
      if (c !== '_id') pinned.set(c, (Array.isArray(v) ? v : [v]).map(cellText));
    if (!pinned.size) return;
    const possible = rule.some((alt) =>
      alt.every((t) => {
        const vals = pinned.get(t.c);
        if (!vals) return true;
        return vals.some((v) => v !== null && ('in' in t ? t.in.includes(v) : !t.out.includes(v)));
      }),
    );
    if (!possible)
      throw this.deny(
        er.table,
        `${ruleName(er.rules, named)} (${text(er.rules, named)})`,
        `${named} rows matching ${describe(where)}`,
        `the rule limits which rows the skill reaches; ask for rows it allows`,
      );
  }

  /** A new row (insert) must pass the write rule. */
  newRow(er: ExecutionRules, row: Record<string, unknown>, index: number): void {
    if (!rowMatches(er.write, row))
      throw this.deny(
        er.table,
        `${ruleName(er.rules, 'write')} (${text(er.rules, 'write')})`,
        `insert row ${index + 1}`,
        'a written row must satisfy the write rule',
      );
  }

  /** A patch that sets a ruled column to a value no alternative allows can never pass the write rule. */
  patch(er: ExecutionRules, set: Record<string, unknown>): void {
    const possible = er.write.some((alt) =>
      alt.every((t) => {
        if (!Object.hasOwn(set, t.c)) return true;
        const v = cellText(set[t.c]);
        return v !== null && ('in' in t ? t.in.includes(v) : !t.out.includes(v));
      }),
    );
    if (!possible)
      throw this.deny(
        er.table,
        `${ruleName(er.rules, 'write')} (${text(er.rules, 'write')})`,
        `set ${describe(set as Where)}`,
        'a written row must satisfy the write rule',
      );
  }

  /** A write whose filter matched rows, none of which the write rule lets the skill touch. */
  excluded(er: ExecutionRules, count: number, verb: 'update' | 'delete', where: Where): AsporaError {
    return this.deny(
      er.table,
      `${ruleName(er.rules, 'write')} (${text(er.rules, 'write')}) excludes the ${count} row${count === 1 ? '' : 's'} matching ${describe(where)}`,
      verb,
      'the rule limits which rows the skill may change',
    );
  }

  /** What PostgreSQL's policy refused (a case the checks above could not see coming). */
  policy(er: ExecutionRules, verb: string): AsporaError {
    return this.deny(
      er.table,
      `${ruleName(er.rules, 'write')} (${text(er.rules, 'write')})`,
      verb,
      'a written row must satisfy the write rule',
    );
  }
}

const ruleName = (r: TableRules, a: Access) => `permissions.sheets_access.${r.key}.${a}`;
const text = (r: TableRules, a: Access) => (a === 'read' ? r.readText : r.writeText);

function describe(where: Where): string {
  const s = Object.entries(where)
    .map(
      ([c, v]) =>
        `${c} ${Array.isArray(v) ? `IN (${v.map((x) => JSON.stringify(x)).join(', ')})` : `= ${JSON.stringify(v)}`}`,
    )
    .join(' AND ');
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}
