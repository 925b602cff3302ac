/** For tests and benches on PostgreSQL: drops a run's schema and its job engine's (both IF EXISTS). */
import pg from 'pg';
import { PG_URL } from '../registry/test-support.ts';
import { engineSchema } from './engine.ts';

export async function dropSchemas(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.query(`DROP SCHEMA IF EXISTS "${engineSchema(schema)}" CASCADE`);
  } finally {
    await c.end();
  }
}
