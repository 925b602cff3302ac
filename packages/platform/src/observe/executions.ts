/**
 * Execution records: what ran (skill, version, trigger, user and caller, workflow, parent), when, how it
 * ended, its logs, host calls and model usage. Written by the recorder (recorder.ts); read here.
 */
import type { Db } from '../db/index.ts';
import type { Execution, LogEntry } from '@aspora/api';

// The API's shapes (@aspora/api), named here for the modules that build them.
export type { LogEntry };

export interface ModelUsageTotals {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  /** Providers that answered its model calls (`local-stand-in` for the local stand-in). */
  providers?: string[];
}

/** The contract's Execution: what the API returns for a run. */
export type ExecutionRecord = Execution;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isExecutionId = (id: string) => UUID.test(id);

const SELECT = `SELECT e.*, s.domain, s.name, v.version,
  (SELECT jsonb_agg(DISTINCT mc.provider) FROM model_calls mc WHERE mc.execution_id = e.id) AS providers
  FROM executions e JOIN skills s ON s.id = e.skill_id
  LEFT JOIN skill_versions v ON v.id = e.version_id`;

export async function getExecution(db: Db, id: string): Promise<ExecutionRecord | undefined> {
  if (!isExecutionId(id)) return undefined;
  const [r] = await db.query<Record<string, any>>(`${SELECT} WHERE e.id = $1`, [id]);
  return r ? fromRow(r) : undefined;
}

export interface ListExecutionsOptions {
  /** domain/name */
  ref?: string;
  workflowId?: string;
  parentExecutionId?: string;
  limit?: number;
}

/** Newest first. */
export async function listExecutions(db: Db, o: ListExecutionsOptions): Promise<ExecutionRecord[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => (params.push(v), where.push(sql.replace('?', `$${params.length}`)));
  if (o.ref) {
    const [domain, name] = o.ref.split('/');
    add('s.domain = ?', domain);
    add('s.name = ?', name);
  }
  if (o.workflowId) add('e.workflow_id = ?', o.workflowId);
  if (o.parentExecutionId) add('e.parent_execution_id = ?', o.parentExecutionId);
  params.push(Math.min(Math.max(o.limit ?? 20, 1), 500));
  const rows = await db.query<Record<string, any>>(
    `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY e.started_at DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map(fromRow);
}

function fromRow(r: Record<string, any>): ExecutionRecord {
  const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);
  return {
    id: r.id,
    ref: `${r.domain}/${r.name}`,
    version: r.version,
    environment: r.environment,
    trigger: r.trigger_type,
    userId: r.user_id,
    caller: r.caller ?? null,
    sourceEventId: r.source_event_id ?? null,
    channel: r.channel ?? null,
    workflowId: r.workflow_id,
    parentExecutionId: r.parent_execution_id,
    startedAt: iso(r.started_at)!,
    completedAt: iso(r.completed_at),
    durationMs: r.duration_ms,
    success: r.success,
    error: r.error_code
      ? { code: r.error_code, message: r.error_message ?? '', ...(r.error_details ? { details: r.error_details } : {}) }
      : null,
    input: r.input,
    result: r.result,
    logs: r.logs ?? [],
    hostCalls: r.host_calls,
    deniedCalls: r.denied_calls,
    model: {
      calls: r.model_calls,
      promptTokens: r.prompt_tokens,
      completionTokens: r.completion_tokens,
      cost: Number(r.cost),
      providers: r.providers ?? [],
    },
    buildMs: r.build_ms ?? null,
    status: statusOf(r),
    attempts: r.attempts ?? 0,
    releaseId: r.release_id == null ? null : Number(r.release_id),
    variant: r.variant ?? null,
  };
}

/**
 * Where an execution is: a queued one's row says queued, running (its attempt) or dead; a
 * finished run is done or error whichever way it came (a retry waiting keeps 'queued' over the
 * failed attempt's end).
 */
function statusOf(r: Record<string, any>): NonNullable<ExecutionRecord['status']> {
  if (r.status === 'dead' || r.status === 'queued') return r.status;
  if (r.completed_at) return r.success ? 'done' : 'error';
  return 'running';
}
