/**
 * `context.state.table(name)` for one execution: the handler's arguments checked, its rules
 * resolved for its user, the query layer's checks (which name the rule), then the store, whose
 * row-level security applies the same rules underneath.
 */
import { AsporaError, type RuleUser } from '@aspora/sdk';
import { type ExecutionRules, StateDenials, TABLE_RE, type TableRules, tableName } from './rules.ts';
import { isPolicyRefusal, type SelectOptions, type StateStore, type StoredRow } from './store.ts';
import { checkColumn, checkRow, checkWhere, STATE_LIMITS } from './where.ts';
import { twinTable } from '../releases/targets.ts';

export interface StateTablesContext {
  store: StateStore;
  skill: string;
  role: string | null;
  /** The skill's owner team, whose tables these are; none: the skill has no tables. */
  team: string | null;
  rules: Map<string, TableRules>;
  user: RuleUser | null;
  /** The execution, recorded on the rows it writes. */
  executionId: string;
  /**
   * A shadow execution (issue 17): it reads stable's table as it was before the stable execution
   * it shadows (leaving out the rows that one wrote), and writes only the `_canary` twin, under the
   * same row rules (decision 020).
   */
  shadow?: { stableExecutionId: string };
}

export interface StateTables {
  select(a: Record<string, unknown>): Promise<StoredRow[]>;
  insert(a: Record<string, unknown>): Promise<StoredRow[]>;
  update(a: Record<string, unknown>): Promise<number>;
  delete(a: Record<string, unknown>): Promise<number>;
}

export function stateTables(c: StateTablesContext): StateTables {
  const denials = new StateDenials(c.skill, c.role);
  const open = (a: Record<string, unknown>, access: 'read' | 'write'): ExecutionRules & { team: string } => {
    const raw = a.table;
    if (typeof raw !== 'string' || !TABLE_RE.test(tableName(raw)))
      throw new AsporaError('BAD_REQUEST', 'table must be a lowercase name such as assignments', {
        hint: 'the tables a skill reaches are the keys of its permissions.sheets_access',
      });
    const table = tableName(raw);
    if (!c.team)
      throw denials.deny(
        table,
        'the skill has no owner team, and state tables belong to a team',
        `${access} rows`,
        'set skill.owner_team in aspora.config.yaml',
      );
    const er = denials.resolve(c.rules, table, access, c.user);
    return { ...er, table: c.shadow && access === 'write' ? twinTable(er.table) : er.table, team: c.team };
  };
  const scope = (er: ExecutionRules & { team: string }) => ({
    team: er.team,
    table: er.table,
    read: er.read,
    write: er.write,
    own: er.own,
  });
  // A write the policy refused that the checks did not foresee (an OR rule the patch breaks for some rows).
  const named = async <T>(er: ExecutionRules, verb: string, p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      if (isPolicyRefusal(e)) throw denials.policy(er, verb);
      throw e;
    }
  };

  return {
    async select(a) {
      const er = open(a, 'read');
      const where = checkWhere(a.where, false);
      denials.contradiction(er, 'read', where);
      const opts: SelectOptions = c.shadow ? { notWrittenBy: c.shadow.stableExecutionId } : {};
      if (a.limit !== undefined) {
        if (
          typeof a.limit !== 'number' ||
          !Number.isInteger(a.limit) ||
          a.limit < 1 ||
          a.limit > STATE_LIMITS.selectMax
        )
          throw new AsporaError('BAD_REQUEST', `limit is an integer from 1 to ${STATE_LIMITS.selectMax}`);
        opts.limit = a.limit;
      }
      if (a.orderBy !== undefined) opts.orderBy = checkColumn(a.orderBy as string, 'orderBy');
      if (a.desc === true) opts.desc = true;
      return c.store.select(scope(er), where, opts);
    },
    async insert(a) {
      const er = open(a, 'write');
      const list = Array.isArray(a.rows) ? a.rows : [a.rows];
      if (list.length === 0 || list.length > STATE_LIMITS.insertRows)
        throw new AsporaError('BAD_REQUEST', `rows is 1 to ${STATE_LIMITS.insertRows} rows`);
      const rows = list.map((r, i) => checkRow(r, `rows[${i}]`));
      for (const [i, r] of rows.entries()) denials.newRow(er, r, i);
      return named(er, 'insert', c.store.insert(scope(er), rows, c.executionId));
    },
    async update(a) {
      const er = open(a, 'write');
      const where = checkWhere(a.where, true);
      const set = checkRow(a.set, 'set');
      denials.contradiction(er, 'update', where);
      denials.patch(er, set);
      const n = await named(er, 'update', c.store.update(scope(er), where, set, c.executionId));
      if (n === 0) await refuseExcluded(er, where, 'update');
      return n;
    },
    async delete(a) {
      const er = open(a, 'write');
      const where = checkWhere(a.where, true);
      denials.contradiction(er, 'write', where);
      const n = await c.store.delete(scope(er), where);
      if (n === 0) await refuseExcluded(er, where, 'delete');
      return n;
    },
  };

  /**
   * A write that changed nothing, while its filter matches rows: they are rows the rule keeps
   * from the skill (sarah resolving dinesh's ticket by its order id). Denied, so it is named and
   * audited, rather than a silent 0. (A filter that matches some allowed rows changes those.)
   */
  async function refuseExcluded(
    er: ExecutionRules & { team: string },
    where: Record<string, unknown>,
    verb: 'update' | 'delete',
  ) {
    const n = await c.store.count({ team: er.team, table: er.table }, where as never);
    if (n > 0) throw denials.excluded(er, n, verb, where as never);
  }
}
