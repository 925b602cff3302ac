/** The one database seam of the registry: identical surface for PGlite (embedded) and PostgreSQL (pg.Pool). */
export interface Db {
  readonly dialect: 'pglite' | 'postgres';
  /** One statement, `$1…` parameters. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Several statements without parameters (migration scripts). */
  exec(sql: string): Promise<void>;
  /** Several statements without parameters, with the rows of all of them (PGlite only: the job engine's scripts). */
  script?<R = Record<string, unknown>>(sql: string): Promise<R[]>;
  /** Runs `fn` inside BEGIN/COMMIT; nested calls reuse the outer transaction. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** postgres://… → PostgreSQL; absent → PGlite. */
  url?: string;
  /** PGlite data directory; undefined → in-memory (tests). */
  dataDir?: string;
  /** Schema to use (created when missing) — isolates tests and tenants. */
  schema?: string;
  /** pg pool size (PostgreSQL only). */
  poolSize?: number;
}
