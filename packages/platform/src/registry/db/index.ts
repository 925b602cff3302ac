import type { Db, OpenDbOptions } from './types.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';

export type { Db, OpenDbOptions } from './types.ts';

/** `url` → PostgreSQL pool; otherwise PGlite at `dataDir` (in-memory when undefined). */
export function openDb(opts: OpenDbOptions = {}): Promise<Db> {
  if (opts.url) return openPostgres(opts.url, opts.schema, opts.poolSize);
  return openPglite(opts.dataDir, opts.schema);
}
