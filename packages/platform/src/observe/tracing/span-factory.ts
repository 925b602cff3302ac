/**
 * Makes the spans: an execution's (open until end()) and finished model and tool spans with the
 * caller's own start/end times. No global context manager: parents are passed as explicit
 * contexts. Tracing must never fail an execution, so every entry point swallows (and reports)
 * its own errors.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import * as A from './attributes.ts';
import type {
  ExecutionSpanEnd,
  ExecutionSpanStart,
  ExecutionTrace,
  ModelCallAttribution,
  ModelSpan,
  SpanContextRef,
  ToolSpan,
} from './types.ts';

export class SpanFactory {
  constructor(
    private readonly tracer: Tracer,
    private readonly fault: (error: unknown) => void,
  ) {}

  execution(s: ExecutionSpanStart): ExecutionTrace {
    try {
      const scope = A.executionScope(s);
      const span = this.tracer.startSpan(
        A.executionSpanName(s),
        { kind: SpanKind.INTERNAL, startTime: s.startTime, attributes: A.executionStartAttributes(s, scope) },
        s.parent ? parentContext(s.parent) : ROOT_CONTEXT,
      );
      return new ActiveExecution(this, span, scope);
    } catch (error) {
      this.fault(error);
      return NOOP_EXECUTION;
    }
  }

  endExecution(span: Span, e: ExecutionSpanEnd): void {
    try {
      span.setAttributes(A.executionEndAttributes(e));
      if (e.success === false) span.setStatus({ code: SpanStatusCode.ERROR, message: A.executionError(e) });
      else if (e.success) span.setStatus(OK);
      span.end(e.endTime);
    } catch (error) {
      this.fault(error);
    }
  }

  model(m: ModelSpan, parent: Context, scope: A.ExecutionScope): void {
    try {
      this.#finished(
        A.modelSpanName(m),
        SpanKind.CLIENT,
        A.modelAttributes(m, scope),
        parent,
        m,
        m.ok ? undefined : m.errorCode || 'model call failed',
      );
    } catch (error) {
      this.fault(error);
    }
  }

  /** A model call outside any execution: a trace of its own. */
  modelCall(m: ModelSpan, attrs: ModelCallAttribution): void {
    try {
      const a = A.withAttribution(A.modelAttributes(m, null), attrs);
      this.#finished(
        A.modelSpanName(m),
        SpanKind.CLIENT,
        a,
        ROOT_CONTEXT,
        m,
        m.ok ? undefined : m.errorCode || 'model call failed',
      );
    } catch (error) {
      this.fault(error);
    }
  }

  tool(t: ToolSpan, parent: Context, scope: A.ExecutionScope): void {
    try {
      this.#finished(
        A.toolSpanName(t),
        SpanKind.INTERNAL,
        A.toolAttributes(t, scope),
        parent,
        t,
        t.ok ? undefined : t.code || 'tool call failed',
      );
    } catch (error) {
      this.fault(error);
    }
  }

  /** A span that has already happened: its own start and end times, OK or ERROR with `error`. */
  #finished(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    parent: Context,
    at: { startTime: number; endTime: number },
    error: string | undefined,
  ): void {
    const span = this.tracer.startSpan(name, { kind, startTime: at.startTime, attributes }, parent);
    span.setStatus(error === undefined ? OK : { code: SpanStatusCode.ERROR, message: error });
    span.end(at.endTime);
  }
}

const OK = { code: SpanStatusCode.OK } as const;

/** A parent handed over as ids (a child execution's): the same trace, sampled. */
function parentContext(p: SpanContextRef): Context {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: p.traceId,
    spanId: p.spanId,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: false,
  });
}

class ActiveExecution implements ExecutionTrace {
  readonly context: SpanContextRef;
  /** The parent of the execution's children, built once. */
  readonly #children: Context;
  #ended = false;

  constructor(
    private readonly spans: SpanFactory,
    private readonly span: Span,
    private readonly scope: A.ExecutionScope,
  ) {
    const c = span.spanContext();
    this.context = { traceId: c.traceId, spanId: c.spanId };
    this.#children = trace.setSpan(ROOT_CONTEXT, span);
  }

  modelCall(m: ModelSpan): void {
    this.spans.model(m, this.#children, this.scope);
  }

  toolCall(t: ToolSpan): void {
    this.spans.tool(t, this.#children, this.scope);
  }

  end(e: ExecutionSpanEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.spans.endExecution(this.span, e);
  }
}

const NOOP_EXECUTION: ExecutionTrace = {
  context: { traceId: '0'.repeat(32), spanId: '0'.repeat(16) },
  modelCall() {},
  toolCall() {},
  end() {},
};
