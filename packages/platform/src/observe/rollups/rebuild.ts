/**
 * Rebuilds the rollups of a range of closed hours from the execution rows (after an import, a
 * restore, or to check them): their rollups and markers go, and each hour is finalized again.
 */
import type { Db } from '../../db/index.ts';
import { finalizeHour, openFrom } from './job.ts';

const HOUR_MS = 3_600_000;

export async function rebuildRollups(db: Db, from: Date, to: Date): Promise<{ hours: number }> {
  const start = Math.floor(from.getTime() / HOUR_MS) * HOUR_MS;
  const end = Math.min(Math.ceil(to.getTime() / HOUR_MS) * HOUR_MS, openFrom());
  const range = [new Date(start).toISOString(), new Date(end).toISOString()];
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM execution_rollups WHERE hour >= $1 AND hour < $2', range);
    await tx.query('DELETE FROM rollup_hours WHERE hour >= $1 AND hour < $2', range);
  });
  let hours = 0;
  for (let h = start; h < end; h += HOUR_MS) if (await finalizeHour(db, new Date(h))) hours++;
  return { hours };
}
