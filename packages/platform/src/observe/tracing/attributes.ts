/**
 * Span names and attributes: OpenTelemetry GenAI semantic conventions, so that Langfuse, Opik,
 * Phoenix or any OTLP backend reads executions as agent runs, model calls as LLM generations and
 * host calls as tool calls; aspora.* for the rest. session.id / user.id (and aspora.caller) are on every span, since
 * backends group traces by session and filter spans by user.
 */
import type { Attributes } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { ExecutionSpanEnd, ExecutionSpanStart, ModelCallAttribution, ModelSpan, ToolSpan } from './types.ts';

// The gen_ai.*, session.id and user.id keys are still "incubating" in @opentelemetry/semantic-conventions;
// it advises copying such keys rather than importing its unstable entry point.
export const ATTR = {
  executionId: 'aspora.execution.id',
  skill: 'aspora.skill',
  domain: 'aspora.domain',
  version: 'aspora.skill.version',
  releaseVariant: 'aspora.release.variant',
  releaseId: 'aspora.release.id',
  trigger: 'aspora.trigger',
  workflowId: 'aspora.workflow.id',
  hostOp: 'aspora.host.op',
  cost: 'aspora.cost_usd',
  cached: 'aspora.cached',
  fallback: 'aspora.fallback',
  userId: 'user.id',
  /** Who called for the user (a channel's service token when it acts on a user's behalf). */
  caller: 'aspora.caller',
  sessionId: 'session.id',
  errorType: ATTR_ERROR_TYPE,
  operation: 'gen_ai.operation.name',
  system: 'gen_ai.system',
  provider: 'gen_ai.provider.name',
  agentName: 'gen_ai.agent.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  toolName: 'gen_ai.tool.name',
} as const;

/** error.type when the caller gave no code (the semantic conventions' fallback value). */
const OTHER_ERROR = '_OTHER';

// The builders below spell keys as literals (the same as ATTR): V8 makes computed-key and spread
// object literals in a slow runtime path, and these run for every span on the caller's time.

/** What every span of an execution carries: who, which skill, which session. Built once per execution. */
export interface ExecutionScope {
  executionId: string;
  skill: string;
  domain: string;
  /** Langfuse and Opik group traces by session: a workflow's executions form one. */
  sessionId: string;
  userId: string | null;
  caller: string | null;
  workflowId: string | null;
}

export const executionScope = (s: ExecutionSpanStart): ExecutionScope => ({
  executionId: s.executionId,
  skill: s.ref,
  domain: s.domain,
  sessionId: s.workflowId ?? s.executionId,
  userId: s.userId,
  caller: s.caller ?? null,
  workflowId: s.workflowId,
});

function withScope(a: Attributes, c: ExecutionScope): Attributes {
  if (c.userId) a['user.id'] = c.userId;
  if (c.caller) a['aspora.caller'] = c.caller;
  if (c.workflowId) a['aspora.workflow.id'] = c.workflowId;
  return a;
}

export const executionSpanName = (s: ExecutionSpanStart) => `skill ${s.ref}`;

export function executionStartAttributes(s: ExecutionSpanStart, c: ExecutionScope): Attributes {
  const a: Attributes = {
    'aspora.execution.id': c.executionId,
    'aspora.skill': c.skill,
    'aspora.domain': c.domain,
    'session.id': c.sessionId,
    'aspora.skill.version': s.version,
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': s.ref,
  };
  if (s.trigger) a['aspora.trigger'] = s.trigger;
  if (s.releaseVariant) a['aspora.release.variant'] = s.releaseVariant;
  if (s.releaseId !== undefined) a['aspora.release.id'] = s.releaseId;
  return withScope(a, c);
}

export function executionEndAttributes(e: ExecutionSpanEnd): Attributes {
  const a: Attributes = {
    'gen_ai.usage.input_tokens': e.promptTokens,
    'gen_ai.usage.output_tokens': e.completionTokens,
    'aspora.cost_usd': e.modelCost,
  };
  if (e.success === false) a['error.type'] = e.errorCode || OTHER_ERROR;
  return a;
}

/** The status message of a failed execution: "CODE: message", bounded (messages can carry whole outputs). */
export const executionError = (e: ExecutionSpanEnd) =>
  ([e.errorCode, e.errorMessage].filter((x): x is string => !!x).join(': ') || 'failed').slice(0, 2000);

export const modelSpanName = (m: ModelSpan) => `${m.operation ?? 'chat'} ${m.model || m.requestedModel}`;

/** A model span's attributes; `c` absent for a call outside any execution. */
export function modelAttributes(m: ModelSpan, c: ExecutionScope | null): Attributes {
  const a: Attributes = {
    'gen_ai.operation.name': m.operation ?? 'chat',
    // gen_ai.system is the older key of gen_ai.provider.name; backends still read either.
    'gen_ai.system': m.provider,
    'gen_ai.provider.name': m.provider,
    'gen_ai.request.model': m.requestedModel,
    'gen_ai.response.model': m.model,
    'gen_ai.usage.input_tokens': m.promptTokens,
    'gen_ai.usage.output_tokens': m.completionTokens,
    'aspora.cost_usd': m.cost,
    'aspora.cached': m.cached ?? false,
    'aspora.fallback': m.isFallback,
  };
  if (!m.ok) a['error.type'] = m.errorCode || OTHER_ERROR;
  if (!c) return a;
  a['aspora.execution.id'] = c.executionId;
  a['aspora.skill'] = c.skill;
  a['aspora.domain'] = c.domain;
  a['session.id'] = c.sessionId;
  return withScope(a, c);
}

/** Adds the attribution of a model call outside any execution. */
export function withAttribution(a: Attributes, attrs: ModelCallAttribution): Attributes {
  if (attrs.skill) {
    a['aspora.skill'] = attrs.skill;
    const slash = attrs.skill.indexOf('/');
    if (slash > 0) a['aspora.domain'] = attrs.skill.slice(0, slash);
  }
  if (attrs.userId) a['user.id'] = attrs.userId;
  if (attrs.sessionId) a['session.id'] = attrs.sessionId;
  return a;
}

export const toolSpanName = (t: ToolSpan) => `execute_tool ${t.name || t.op}`;

export function toolAttributes(t: ToolSpan, c: ExecutionScope): Attributes {
  const a: Attributes = {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': t.name || t.op,
    'aspora.host.op': t.op,
    'aspora.execution.id': c.executionId,
    'aspora.skill': c.skill,
    'aspora.domain': c.domain,
    'session.id': c.sessionId,
  };
  if (!t.ok) a['error.type'] = t.code || OTHER_ERROR;
  return withScope(a, c);
}
