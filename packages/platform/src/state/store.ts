/**
 * The state tables of teams (migration 018). Every statement runs in a transaction that first
 * sets the team, the table and the resolved read and write rules as transaction-local settings
 * (and, on a superuser connection, the aspora_state role, which row-level security binds): the
 * policies then decide which rows a statement sees and which rows it may write, whatever its SQL.
 */
import { AsporaError, type ResolvedRule } from '@aspora/sdk';
import type { Db } from '../db/index.ts';
import { pgCode } from '../db/sqlstate.ts';
import { toJsonPath } from './jsonpath.ts';
import { type Cell, type Row, STATE_LIMITS, type Where, whereSql } from './where.ts';

export interface Scope {
  team: string;
  table: string;
  read: ResolvedRule;
  write: ResolvedRule;
  /** The write rule's ownership terms: which existing rows an update may reach. */
  own: ResolvedRule;
}

export interface StoredRow extends Record<string, Cell> {
  _id: number;
}

/** What an operator (an admin, an import) reaches: every row of the table. */
export const ALL: ResolvedRule = [[]];

/** A policy's refusal of a written row (new row violates row-level security policy). */
export const POLICY_REFUSED = '42501';

export interface SelectOptions {
  /** Rows this execution wrote last are left out (a shadow reads stable's table as it was before stable's run). */
  notWrittenBy?: string;
  limit?: number;
  orderBy?: string;
  desc?: boolean;
}

export class StateStore {
  /** Whether statements must switch to aspora_state (a superuser connection bypasses row security). */
  private role: Promise<boolean> | undefined;

  constructor(private readonly db: Db) {}

  private switchRole(): Promise<boolean> {
    this.role ??= this.db
      .query<{ su: boolean; has: boolean }>(
        `SELECT rolsuper AS su, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aspora_state') AS has
           FROM pg_roles WHERE rolname = current_user`,
      )
      .then(([r]) => {
        if (r?.su && !r.has)
          throw new AsporaError('UNAVAILABLE', 'state tables need the aspora_state role, which this database lacks', {
            hint: 'a superuser connection creates it at migration; run the migrations again',
          });
        return !!r?.su;
      });
    return this.role;
  }

  /** Runs `fn` with the scope's settings in force. */
  private async scoped<T>(scope: Scope, fn: (tx: Db) => Promise<T>, before?: (tx: Db) => Promise<void>): Promise<T> {
    const role = await this.switchRole();
    return this.db.transaction(async (tx) => {
      if (before) await before(tx);
      return this.scopedIn(tx, role, scope, () => fn(tx));
    });
  }

  /** Sets the scope (and the role) for the rest of the transaction `tx`, then runs `fn`. */
  private async scopedIn<T>(tx: Db, role: boolean, scope: Scope, fn: () => Promise<T>): Promise<T> {
    await tx.query(
      `SELECT ${role ? `set_config('role', 'aspora_state', true), ` : ''}set_config('aspora.state_team', $1, true),
              set_config('aspora.state_tab', $2, true), set_config('aspora.state_read', $3, true),
              set_config('aspora.state_write', $4, true), set_config('aspora.state_own', $5, true)`,
      [scope.team, scope.table, toJsonPath(scope.read), toJsonPath(scope.write), toJsonPath(scope.own)],
    );
    return fn();
  }

  async select(scope: Scope, where: Where, opts: SelectOptions = {}): Promise<StoredRow[]> {
    const params: unknown[] = [scope.team, scope.table];
    let filter = whereSql(where, params);
    if (opts.notWrittenBy) {
      params.push(opts.notWrittenBy);
      filter += ` AND updated_by IS DISTINCT FROM $${params.length}`;
    }
    const limit = Math.min(Math.max(1, Math.trunc(opts.limit ?? STATE_LIMITS.selectDefault)), STATE_LIMITS.selectMax);
    let order = 'id';
    if (opts.orderBy && opts.orderBy !== '_id') {
      params.push(opts.orderBy);
      order = `data -> $${params.length} ${opts.desc ? 'DESC NULLS LAST' : 'ASC NULLS LAST'}, id`;
    } else if (opts.desc) order = 'id DESC';
    params.push(limit);
    const rows = await this.scoped(scope, (tx) =>
      tx.query<{ id: string | number; data: Row }>(
        `SELECT id, data FROM state_rows WHERE team = $1 AND tab = $2${filter} ORDER BY ${order} LIMIT $${params.length}`,
        params,
      ),
    );
    return rows.map(toStored);
  }

  /** The rows one execution wrote last (state_rows.updated_by), whatever the rules: the shadow report's compare tab. */
  async writtenBy(scope: Pick<Scope, 'team' | 'table'>, executionId: string, limit: number): Promise<StoredRow[]> {
    const rows = await this.scoped({ ...scope, read: ALL, write: [], own: [] }, (tx) =>
      tx.query<{ id: string | number; data: Row }>(
        'SELECT id, data FROM state_rows WHERE team = $1 AND tab = $2 AND updated_by = $3 ORDER BY id LIMIT $4',
        [scope.team, scope.table, executionId, Math.min(Math.max(1, Math.trunc(limit)), STATE_LIMITS.selectMax)],
      ),
    );
    return rows.map(toStored);
  }

  /** Rows matching `where` whatever the rules: for naming a write that reached none of its rows. */
  async count(scope: Pick<Scope, 'team' | 'table'>, where: Where): Promise<number> {
    const params: unknown[] = [scope.team, scope.table];
    const filter = whereSql(where, params);
    const [r] = await this.scoped({ ...scope, read: ALL, write: [], own: [] }, (tx) =>
      tx.query<{ n: string | number }>(
        `SELECT count(*) AS n FROM state_rows WHERE team = $1 AND tab = $2${filter}`,
        params,
      ),
    );
    return Number(r?.n ?? 0);
  }

  async insert(scope: Scope, rows: Row[], by: string | null): Promise<StoredRow[]> {
    return this.scoped(
      scope,
      (tx) => this.insertRows(tx, scope, rows, by),
      // Counted before the role switch (the role has only state_rows): the count row also
      // serialises a table's inserts, so its bound holds under concurrency.
      (tx) => this.grow(tx, scope, rows.length),
    );
  }

  private async insertRows(tx: Db, scope: Scope, rows: Row[], by: string | null): Promise<StoredRow[]> {
    const out = await tx.query<{ id: string | number; data: Row }>(
      `INSERT INTO state_rows (team, tab, data, updated_by)
         SELECT $1, $2, x, $4 FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS r(x, n) ORDER BY n
         RETURNING id, data`,
      [scope.team, scope.table, JSON.stringify(rows), by],
    );
    return out.map(toStored).sort((a, b) => a._id - b._id);
  }

  private async grow(tx: Db, scope: Pick<Scope, 'team' | 'table'>, n: number): Promise<void> {
    const [r] = await tx.query<{ row_count: string | number }>(
      `INSERT INTO state_tables (team, tab, row_count) VALUES ($1, $2, $3)
       ON CONFLICT (team, tab) DO UPDATE SET row_count = state_tables.row_count + EXCLUDED.row_count
       RETURNING row_count`,
      [scope.team, scope.table, n],
    );
    if (Number(r?.row_count) > STATE_LIMITS.tableRows)
      throw new AsporaError(
        'PAYLOAD_TOO_LARGE',
        `state table ${scope.table} is full (${STATE_LIMITS.tableRows} rows)`,
        {
          hint: 'delete rows it no longer needs',
        },
      );
  }

  async update(scope: Scope, where: Where, set: Row, by: string | null): Promise<number> {
    const params: unknown[] = [scope.team, scope.table];
    const filter = whereSql(where, params);
    params.push(JSON.stringify(set), by);
    const rows = await this.scoped(scope, (tx) =>
      tx.query(
        `UPDATE state_rows SET data = data || $${params.length - 1}::jsonb, updated_at = now(), updated_by = $${params.length}
          WHERE team = $1 AND tab = $2${filter} RETURNING id`,
        params,
      ),
    );
    return rows.length;
  }

  async delete(scope: Scope, where: Where): Promise<number> {
    const params: unknown[] = [scope.team, scope.table];
    const filter = whereSql(where, params);
    return this.scoped(scope, async (tx) => {
      const rows = await tx.query(`DELETE FROM state_rows WHERE team = $1 AND tab = $2${filter} RETURNING id`, params);
      if (rows.length) {
        // Back as the connection's own user: the role may touch only state_rows.
        await tx.query(`SELECT set_config('role', 'none', true)`);
        await tx.query('UPDATE state_tables SET row_count = greatest(row_count - $3, 0) WHERE team = $1 AND tab = $2', [
          scope.team,
          scope.table,
          rows.length,
        ]);
      }
      return rows.length;
    });
  }

  /** An operator's load: optionally every row out first, then `rows` in, in one transaction. */
  async load(scope: Scope, rows: Row[], replace: boolean, by: string): Promise<{ inserted: number; removed: number }> {
    const role = await this.switchRole();
    return this.db.transaction(async (tx) => {
      let removed = 0;
      if (replace) {
        await tx.query('UPDATE state_tables SET row_count = 0 WHERE team = $1 AND tab = $2', [scope.team, scope.table]);
        removed = (
          await this.scopedIn(tx, role, scope, () =>
            tx.query('DELETE FROM state_rows WHERE team = $1 AND tab = $2 RETURNING id', [scope.team, scope.table]),
          )
        ).length;
        await tx.query(`SELECT set_config('role', 'none', true)`);
      }
      await this.grow(tx, scope, rows.length);
      const inserted = await this.scopedIn(tx, role, scope, () => this.insertRows(tx, scope, rows, by));
      return { inserted: inserted.length, removed };
    });
  }

  /** A team's tables and their row counts. */
  tables(team: string): Promise<Array<{ table: string; rows: number }>> {
    return this.db
      .query<{ tab: string; row_count: string | number }>(
        'SELECT tab, row_count FROM state_tables WHERE team = $1 ORDER BY tab',
        [team],
      )
      .then((rows) => rows.map((r) => ({ table: r.tab, rows: Number(r.row_count) })));
  }
}

const toStored = (r: { id: string | number; data: Row }): StoredRow => ({ _id: Number(r.id), ...r.data });

/** Whether an error is PostgreSQL's row-level security refusing a written row. */
export const isPolicyRefusal = (e: unknown) => pgCode(e) === POLICY_REFUSED;
