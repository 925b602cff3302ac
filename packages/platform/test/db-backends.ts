/**
 * The two databases a store's tests run on: PGlite in memory, and PostgreSQL in a schema of its
 * own (dropped afterwards; `another` opens a second pool on it, as another platform process would).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDb } from '../src/db/index.ts';
import type { Db } from '../src/db/types.ts';
import { PG_URL } from '../src/registry/test-support.ts';
import { postgres, skipUnless } from './tools.ts';

export interface OpenedBackend {
  db: Db;
  /** A second pool on the same database (PostgreSQL only). */
  another: (() => Promise<Db>) | undefined;
  drop: () => Promise<void>;
}

const pgSkip = skipUnless(await postgres()) ?? false;

export const dbBackends: { name: 'pglite' | 'postgres'; skip: string | false; open: () => Promise<OpenedBackend> }[] = [
  { name: 'pglite', skip: false, open: async () => ({ db: await openDb(), another: undefined, drop: async () => {} }) },
  {
    name: 'postgres',
    skip: pgSkip,
    open: async () => {
      const schema = `aspora_t_${randomBytes(6).toString('hex')}`;
      const db = await openDb({ url: PG_URL, schema, poolSize: 4 });
      const drop = async () => {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => c.end());
      };
      return { db, another: () => openDb({ url: PG_URL, schema, poolSize: 4 }), drop };
    },
  },
];
