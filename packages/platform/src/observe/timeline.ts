/**
 * A domain's timeline (`aspora trace ecm --date 2026-02-16`): a domain's day as workflows →
 * executions → their model and tool calls, read from the local spans table. Executions that share
 * a workflow_id (a manager's triage and the field runs it started) are one workflow; a child
 * execution sits under the execution that invoked it.
 */
import { AsporaError } from '@aspora/sdk';
import type { Db } from '../db/index.ts';
import { spansOfDomain, spansOfExecution, type SpanRow } from './tracing/index.ts';
import type { Timeline, TimelineExecution } from '@aspora/api';

// The API's shapes (@aspora/api), named here for the modules that build them.
export type { Timeline, TimelineExecution };

const isExecution = (s: SpanRow) => s.attributes['gen_ai.operation.name'] === 'invoke_agent';

function build(spans: SpanRow[]): TimelineExecution[] {
  const byId = new Map<string, TimelineExecution>();
  const bySpan = new Map<string, TimelineExecution>();
  const roots: TimelineExecution[] = [];
  for (const s of spans.filter(isExecution)) {
    const e: TimelineExecution = {
      executionId: s.executionId ?? s.spanId,
      skill: s.skill ?? s.name,
      version: (s.attributes['aspora.skill.version'] as string | undefined) ?? null,
      startedAt: s.startedAt,
      durationMs: s.durationMs,
      status: s.status,
      error: s.error,
      cost: typeof s.attributes['aspora.cost_usd'] === 'number' ? (s.attributes['aspora.cost_usd'] as number) : null,
      calls: [],
      children: [],
    };
    byId.set(e.executionId, e);
    bySpan.set(s.spanId, e);
  }
  for (const s of spans) {
    if (isExecution(s)) {
      const parent = s.parentSpanId ? bySpan.get(s.parentSpanId) : undefined;
      const e = bySpan.get(s.spanId)!;
      if (parent) parent.children.push(e);
      else roots.push(e);
      continue;
    }
    const owner = s.parentSpanId ? bySpan.get(s.parentSpanId) : undefined;
    if (!owner) continue;
    owner.calls.push({
      name: s.name,
      kind: s.attributes['gen_ai.operation.name'] === 'execute_tool' ? 'tool' : 'model',
      offsetMs: Date.parse(s.startedAt) - Date.parse(owner.startedAt),
      durationMs: s.durationMs,
      status: s.status,
      error: s.error,
      attributes: s.attributes,
    });
  }
  return roots;
}

export async function domainTimeline(db: Db, domain: string, date: string): Promise<Timeline> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date)))
    throw new AsporaError('BAD_REQUEST', `--date ${date} is not a date`, { hint: 'YYYY-MM-DD (UTC)' });
  const from = new Date(`${date}T00:00:00.000Z`);
  const to = new Date(from.getTime() + 86_400_000);
  const spans = await spansOfDomain(db, domain, from.toISOString(), to.toISOString());
  const executions = build(spans);
  const groups = new Map<string | null, TimelineExecution[]>();
  const wf = new Map(spans.filter(isExecution).map((s) => [s.executionId ?? s.spanId, s.workflowId] as const));
  for (const e of executions) {
    const key = wf.get(e.executionId) ?? null;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const end = (e: TimelineExecution) => Date.parse(e.startedAt) + e.durationMs;
  const workflows = [...groups].map(([workflowId, list]) => ({
    workflowId,
    startedAt: list[0]!.startedAt,
    endedAt: new Date(Math.max(...list.map(end))).toISOString(),
    executions: list,
  }));
  workflows.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return { domain, date, workflows, executions: spans.filter(isExecution).length };
}

export async function executionTimeline(db: Db, id: string): Promise<TimelineExecution | undefined> {
  return build(await spansOfExecution(db, id))[0];
}
