import type { Db, OpenDbOptions } from './types.ts';

export type { Db, OpenDbOptions } from './types.ts';
export { migrate, loadMigrations, type Migration } from './migrate.ts';

/** `url` → PostgreSQL pool; otherwise PGlite at `dataDir` (in-memory when undefined). */
export async function openDb(opts: OpenDbOptions = {}): Promise<Db> {
  // Each driver loads only when chosen: PGlite's WASM and pg both cost startup time.
  if (opts.url) return (await import('./postgres.ts')).openPostgres(opts.url, opts.schema, opts.poolSize);
  return (await import('./pglite.ts')).openPglite(opts.dataDir, opts.schema);
}
