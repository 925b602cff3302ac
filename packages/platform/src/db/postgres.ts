import pg from 'pg';
import { AsporaError } from '@aspora/sdk';
import type { Db } from './types.ts';
import { quoteIdent } from './ident.ts';
import { pgCode } from './sqlstate.ts';

// Deadlock / serialization failure: the transaction was rolled back, so re-running it is safe.
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 4;

export async function openPostgres(url: string, schema: string | undefined, poolSize = 10): Promise<Db> {
  if (schema) await ensureSchema(url, schema);
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    ...(schema ? { options: `-c search_path=${quoteIdent(schema)}` } : {}),
  });
  // An idle client dying (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});

  const run = async <R>(client: pg.Pool | pg.PoolClient, sql: string, params?: unknown[]) => {
    try {
      return (await client.query(sql, params)).rows as R[];
    } catch (err) {
      throw unavailable(err, url);
    }
  };

  const clientDb = (client: pg.PoolClient): Db => {
    const db: Db = {
      dialect: 'postgres',
      query: (sql, params) => run(client, sql, params),
      exec: async (sql) => void (await run(client, sql)),
      transaction: (fn) => fn(db),
      close: async () => {
        throw new Error('close() called on a transaction handle');
      },
    };
    return db;
  };

  return {
    dialect: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    exec: async (sql) => void (await run(pool, sql)),
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        let client: pg.PoolClient;
        try {
          client = await pool.connect();
        } catch (err) {
          throw unavailable(err, url);
        }
        try {
          await client.query('BEGIN');
          const out = await fn(clientDb(client));
          await client.query('COMMIT');
          return out;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          const code = pgCode(err);
          if (code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
          throw err;
        } finally {
          client.release();
        }
      }
    },
    async close() {
      await pool.end();
    },
  };
}

async function ensureSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  } catch (err) {
    // IF NOT EXISTS is not race-free: a concurrent creator may win (unique violation) — that's fine.
    if (pgCode(err) !== '23505' && pgCode(err) !== '42P06') throw unavailable(err, url);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Connection-level failures become UNAVAILABLE; SQL errors pass through untouched. */
function unavailable(err: unknown, url: string): unknown {
  const code = pgCode(err);
  const connectionLevel =
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'ETIMEDOUT' ||
    code === 'ECONNRESET' ||
    code === '57P01' ||
    code === '57P03' ||
    code === '3D000' ||
    code === '28P01';
  if (!connectionLevel) return err;
  return new AsporaError('UNAVAILABLE', `PostgreSQL is unreachable at ${redact(url)} (${code})`, {
    hint: 'start PostgreSQL or fix the database URL (ASPORA_DATABASE_URL), then retry',
    cause: err,
  });
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
