/**
 * Execution records. A row is written when an execution starts and completed before its result
 * is returned to anyone, so a crash of the platform loses no record of a finished run.
 */
import type { Db } from '../registry/index.ts';
import type { LogEntry } from './worker.ts';

export interface ExecutionStart {
  skillId: string;
  versionId: string;
  environment: string | null;
  trigger: string;
  userId: string | null;
  workflowId: string | null;
  parentExecutionId: string | null;
  input: unknown;
}

export interface ExecutionEnd {
  success: boolean;
  errorCode: string | null;
  errorMessage: string | null;
  result: unknown;
  logs: LogEntry[];
  hostCalls: number;
  deniedCalls: number;
  durationMs: number;
}

export interface ExecutionRecord {
  id: string;
  ref: string;
  version: string;
  environment: string | null;
  trigger: string | null;
  userId: string | null;
  workflowId: string | null;
  parentExecutionId: string | null;
  startedAt: string;
  completedAt: string | null;
  durationMs: number | null;
  success: boolean | null;
  error: { code: string; message: string } | null;
  input: unknown;
  result: unknown;
  logs: LogEntry[];
  hostCalls: number;
  deniedCalls: number;
}

export async function startExecution(db: Db, s: ExecutionStart): Promise<string> {
  const [row] = await db.query<{ id: string }>(
    `INSERT INTO executions (skill_id, version_id, environment, trigger_type, user_id, workflow_id, parent_execution_id, input)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [s.skillId, s.versionId, s.environment, s.trigger, s.userId, s.workflowId, s.parentExecutionId, JSON.stringify(s.input ?? null)],
  );
  return row!.id;
}

export async function finishExecution(db: Db, id: string, e: ExecutionEnd): Promise<void> {
  await db.query(
    `UPDATE executions SET completed_at = now(), duration_ms = $2, success = $3, error_code = $4, error_message = $5,
       result = $6, logs = $7, host_calls = $8, denied_calls = $9 WHERE id = $1`,
    [id, Math.round(e.durationMs), e.success, e.errorCode, e.errorMessage, JSON.stringify(e.result ?? null), JSON.stringify(e.logs), e.hostCalls, e.deniedCalls],
  );
}

export async function getExecution(db: Db, id: string): Promise<ExecutionRecord | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const [r] = await db.query<Record<string, any>>(
    `SELECT e.*, s.domain, s.name, v.version FROM executions e JOIN skills s ON s.id = e.skill_id
       LEFT JOIN skill_versions v ON v.id = e.version_id WHERE e.id = $1`,
    [id],
  );
  if (!r) return undefined;
  const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);
  return {
    id: r.id,
    ref: `${r.domain}/${r.name}`,
    version: r.version,
    environment: r.environment,
    trigger: r.trigger_type,
    userId: r.user_id,
    workflowId: r.workflow_id,
    parentExecutionId: r.parent_execution_id,
    startedAt: iso(r.started_at)!,
    completedAt: iso(r.completed_at),
    durationMs: r.duration_ms,
    success: r.success,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    input: r.input,
    result: r.result,
    logs: r.logs ?? [],
    hostCalls: r.host_calls,
    deniedCalls: r.denied_calls,
  };
}
