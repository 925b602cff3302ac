/** The tracing seam the runtime and the gateway call: plain records in, no OpenTelemetry types out. */
import type { ModelCallRecord } from '../../gateway/types.ts';

/** A span's identity, enough to continue its trace elsewhere (a child execution). */
export interface SpanContextRef {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
}

export interface ExecutionSpanStart {
  executionId: string;
  /** domain/name */
  ref: string;
  domain: string;
  version: string;
  /** Which side of a release in flight served it (releases): stable, canary or shadow; absent: no release. */
  releaseVariant?: 'stable' | 'canary' | 'shadow';
  releaseId?: number;
  trigger: string | null;
  /** The end user's email. */
  userId: string | null;
  /** Who called (a user's email, or service:<team>/<token> acting for the user); absent: not known. */
  caller?: string | null;
  workflowId: string | null;
  /** A child execution (context.invoke) continues its parent's trace. */
  parent?: SpanContextRef;
  /** Epoch ms. */
  startTime: number;
}

export interface ExecutionSpanEnd {
  /** null: the outcome is unknown (cancelled, lost worker). */
  success: boolean | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  /** Epoch ms. */
  endTime: number;
  modelCost: number;
  promptTokens: number;
  completionTokens: number;
}

/** A model call as a span: the gateway's record of it, with its own start and end. */
export interface ModelSpan extends Omit<ModelCallRecord, 'estimated' | 'latencyMs'> {
  /** Epoch ms. */
  startTime: number;
  endTime: number;
  operation?: 'chat' | 'embeddings';
}

export interface ToolSpan {
  /** The host call: tools.read, apis.call … */
  op: string;
  /** The tool or api.method, when the op names one. */
  name?: string;
  ok: boolean;
  code?: string;
  /** Epoch ms. */
  startTime: number;
  endTime: number;
}

/** Attribution of a model call made outside any execution (an OpenAI client on the gateway). */
export interface ModelCallAttribution {
  /** domain/name */
  skill?: string;
  userId?: string;
  sessionId?: string;
}

/** The open span of one execution. Every method is cheap and never throws. */
export interface ExecutionTrace {
  readonly context: SpanContextRef;
  /** A finished child span with explicit start/end times. */
  modelCall(m: ModelSpan): void;
  /** A finished child span. */
  toolCall(t: ToolSpan): void;
  /** Ends the execution span; later calls are ignored. */
  end(e: ExecutionSpanEnd): void;
}
