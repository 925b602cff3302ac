/** Reads of the spans table (the CLI's `aspora trace`): typed rows, in start order. */
import type { Db } from '../../db/index.ts';
import { isExecutionId } from '../executions.ts';
import type { SpanKindName, SpanStatusName } from './names.ts';

export interface SpanRow {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: SpanKindName;
  /** ISO 8601. */
  startedAt: string;
  endedAt: string;
  durationMs: number;
  status: SpanStatusName;
  error: string | null;
  attributes: Record<string, unknown>;
  executionId: string | null;
  workflowId: string | null;
  /** domain/name */
  skill: string | null;
  domain: string | null;
}

/** At equal start times the enclosing (longer) span comes first, so parents precede children. */
const ORDER = 'ORDER BY started_at, duration_ms DESC, span_id';
const LIMIT = 10_000;

/** Spans of a domain's skills that started in [fromIso, toIso). */
export async function spansOfDomain(
  db: Db,
  domain: string,
  fromIso: string,
  toIso: string,
  limit = LIMIT,
): Promise<SpanRow[]> {
  return select(db, 'domain = $1 AND started_at >= $2 AND started_at < $3', [domain, fromIso, toIso], limit);
}

/** Every span of a workflow's executions. */
export async function spansOfWorkflow(db: Db, workflowId: string, limit = LIMIT): Promise<SpanRow[]> {
  return select(db, 'workflow_id = $1', [workflowId], limit);
}

/** One execution's span and its model and tool spans (a child execution has its own id). */
export async function spansOfExecution(db: Db, executionId: string, limit = LIMIT): Promise<SpanRow[]> {
  if (!isExecutionId(executionId)) return [];
  return select(db, 'execution_id = $1', [executionId], limit);
}

/** A whole trace: an execution with its child executions. */
export async function spansOfTrace(db: Db, traceId: string, limit = LIMIT): Promise<SpanRow[]> {
  return select(db, 'trace_id = $1', [traceId], limit);
}

async function select(db: Db, where: string, params: unknown[], limit: number): Promise<SpanRow[]> {
  const rows = await db.query<Record<string, any>>(
    `SELECT * FROM spans WHERE ${where} ${ORDER} LIMIT $${params.length + 1}`,
    [...params, Math.min(Math.max(Math.trunc(limit), 1), LIMIT)],
  );
  return rows.map(fromRow);
}

function fromRow(r: Record<string, any>): SpanRow {
  return {
    traceId: r.trace_id,
    spanId: r.span_id,
    parentSpanId: r.parent_span_id,
    name: r.name,
    kind: r.kind,
    startedAt: new Date(r.started_at).toISOString(),
    endedAt: new Date(r.ended_at).toISOString(),
    durationMs: Number(r.duration_ms),
    status: r.status,
    error: r.error,
    attributes: r.attributes ?? {},
    executionId: r.execution_id,
    workflowId: r.workflow_id,
    skill: r.skill,
    domain: r.domain,
  };
}
