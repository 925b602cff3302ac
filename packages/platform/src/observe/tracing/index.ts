/** Traces of executions, model calls and tool calls: OTLP/HTTP export and the local spans table. */
export { PlatformTracer, type PlatformTracerOptions, type TracerStats } from './tracer.ts';
export { spansOfDomain, spansOfExecution, spansOfTrace, spansOfWorkflow, type SpanRow } from './queries.ts';
export { readTracingConfig, tracesUrl, type OtlpConfig, type TracingConfig } from './config.ts';
export type { SpanKindName, SpanStatusName } from './names.ts';
export type * from './types.ts';
