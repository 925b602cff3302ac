/** Log lines of a skill's executions, from their records (the live ones come from the runtime). */
import type { Db } from '../db/index.ts';
import type { LogEntry } from './executions.ts';
import { endLine } from './live-logs.ts';
import type { LogLine } from '@aspora/api';

// The API's shapes (@aspora/api), named here for the modules that build them.
export type { LogLine };

export async function pastLogs(db: Db, ref: string, since: Date, limit = 1000): Promise<LogLine[]> {
  const [domain, name] = ref.split('/');
  const rows = await db.query<{
    id: string;
    started_at: string;
    completed_at: string | null;
    logs: LogEntry[];
    success: boolean | null;
    error_code: string | null;
    error_message: string | null;
    duration_ms: number | null;
  }>(
    `SELECT e.id, e.started_at, e.completed_at, e.logs, e.success, e.error_code, e.error_message, e.duration_ms FROM executions e JOIN skills s ON s.id = e.skill_id
     WHERE s.domain = $1 AND s.name = $2 AND e.started_at >= $3 ORDER BY e.started_at DESC LIMIT $4`,
    [domain, name, since.toISOString(), Math.min(Math.max(limit, 1), 10_000)],
  );
  const lines: LogLine[] = [];
  for (const r of rows.reverse()) {
    const started = new Date(r.started_at).toISOString();
    for (const e of r.logs ?? []) lines.push({ ...e, executionId: r.id, ref, at: e.at ?? started });
    if (r.completed_at) {
      const error = r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null;
      lines.push(
        endLine({
          id: r.id,
          ref,
          success: r.success,
          durationMs: r.duration_ms,
          error,
          completedAt: new Date(r.completed_at).toISOString(),
        }),
      );
    }
  }
  return lines;
}
