/**
 * A release's current window as the controller judges it: each side's numbers since the step
 * started — the same figures `aspora releases` shows (stats.ts: finished executions only, bounded
 * by the release's index) — and the database's clock, on which the step's age is measured (the
 * processes' clocks may disagree; the step started on the database's).
 */
import type { Db } from '../db/index.ts';
import { variantStats } from './stats.ts';
import type { WindowSample } from './types.ts';

export interface ReleaseWindow {
  stable: WindowSample;
  canary: WindowSample;
  now: Date;
}

/** Stable's and the canary's numbers of `releaseId` since `since` (the step's start). */
export async function readWindow(db: Db, releaseId: number, since: Date): Promise<ReleaseWindow> {
  // One after the other: on a transaction's handle the statements queue anyway.
  const stats = await variantStats(db, releaseId, since);
  const [clock] = await db.query<{ now: Date | string }>('SELECT now() AS now');
  return { stable: stats.stable, canary: stats.canary, now: new Date(clock!.now) };
}
