import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Db } from './types.ts';
import { quoteIdent } from './ident.ts';

/**
 * PGlite is a single connection. Its `query`, `exec` and `transaction` all go through one
 * mutex, so concurrent callers queue instead of interleaving statements inside someone
 * else's transaction. Inside a transaction we must use the `tx` handle (re-entering the
 * mutex from inside would deadlock), hence nested `transaction()` reuses it.
 */
export async function openPglite(dataDir: string | undefined, schema: string | undefined): Promise<Db> {
  const pg = await PGlite.create(dataDir === undefined ? {} : { dataDir });
  if (schema) {
    // One connection, so a session-level search_path is enough.
    await pg.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}; SET search_path TO ${quoteIdent(schema)}`);
  }
  return {
    dialect: 'pglite',
    async query<R>(sql: string, params?: unknown[]) {
      return (await pg.query<R>(sql, params ?? [])).rows;
    },
    async exec(sql: string) {
      await pg.exec(sql);
    },
    transaction<T>(fn: (tx: Db) => Promise<T>) {
      return pg.transaction((tx) => fn(txDb(tx)));
    },
    async close() {
      await pg.close();
    },
  };
}

function txDb(tx: Transaction): Db {
  const db: Db = {
    dialect: 'pglite',
    async query<R>(sql: string, params?: unknown[]) {
      return (await tx.query<R>(sql, params ?? [])).rows;
    },
    async exec(sql: string) {
      await tx.exec(sql);
    },
    transaction: (fn) => fn(db),
    async close() {
      throw new Error('close() called on a transaction handle');
    },
  };
  return db;
}
