/**
 * The job engine: pg-boss (decision 014), on PostgreSQL through its own pool, or on the embedded
 * PGlite through the platform's one connection (pg-boss's `pglite` backend with an adapter to our
 * Db). Its tables live in a schema of their own beside the platform's.
 */
import { PgBoss, type Db as IDatabase } from 'pg-boss';
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/index.ts';
import type { Logger } from '../observe/logger.ts';

export interface EngineOptions {
  /** postgres://… (PostgreSQL); absent: PGlite through `db`. */
  url?: string | undefined;
  /** The platform's schema: the engine's is `<schema>_jobs` (`aspora_jobs` without one). */
  schema?: string | undefined;
  /** How often stalled jobs (a process that stopped mid-run) are found and retried, in seconds. */
  superviseSeconds?: number;
  /** How often an instance looks for due cron fires, in seconds (1–45). */
  cronSeconds?: number;
  /** Whether this process runs maintenance and the cron passes (a one-off command does not). */
  background?: boolean;
}

export function engineSchema(schema: string | undefined): string {
  return `${schema ?? 'aspora'}_jobs`.toLowerCase();
}

/** pg-boss statements on our Db: one with parameters is a query, one without may be a script. */
export function dbAdapter(db: Db): IDatabase {
  return {
    async executeSql(text: string, values?: unknown[]) {
      if (values?.length) return { rows: await db.query(text, values) };
      if (db.script) return { rows: await db.script(text) };
      return { rows: await db.query(text) };
    },
  };
}

export async function startEngine(db: Db, log: Logger, o: EngineOptions = {}): Promise<PgBoss> {
  const background = o.background ?? true;
  const common = {
    schema: engineSchema(o.schema),
    supervise: background,
    schedule: background,
    superviseIntervalSeconds: o.superviseSeconds ?? 5,
    monitorIntervalSeconds: o.superviseSeconds ?? 5,
    cronWorkerIntervalSeconds: o.cronSeconds ?? 1,
    cronMonitorIntervalSeconds: o.cronSeconds ?? 1,
    // No LISTEN connection: our own worker loop polls and is woken by local enqueues (worker.ts).
    useListenNotify: false,
  } as const;
  const boss =
    db.dialect === 'postgres' && o.url
      ? new PgBoss({ ...common, connectionString: o.url, max: 4 })
      : new PgBoss({ ...common, db: dbAdapter(db), backend: 'pglite' });
  boss.on('error', (e: unknown) => log.error({ err: e }, 'job engine error'));
  boss.on('warning', (w: unknown) => log.debug({ warning: w }, 'job engine warning'));
  try {
    await boss.start();
  } catch (e) {
    throw new AsporaError('UNAVAILABLE', `the job engine could not start: ${e instanceof Error ? e.message : e}`, {
      hint: 'check that the database is reachable and that this user may create a schema in it',
      cause: e,
    });
  }
  return boss;
}
