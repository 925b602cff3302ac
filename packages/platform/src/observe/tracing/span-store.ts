/**
 * The spans table: every finished span, written in batches (one INSERT … jsonb_to_recordset per
 * batch) off the hot path. onEnd only queues the span; rows are built when a batch is written.
 * The queue is bounded: when the database cannot keep up, spans are dropped and counted.
 */
import type { Context } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Db } from '../../db/index.ts';
import { isExecutionId } from '../executions.ts';
import { ATTR } from './attributes.ts';
import { kindName, statusName } from './names.ts';

const INSERT = `INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, started_at, ended_at, duration_ms, status, error, attributes,
    execution_id, workflow_id, skill, domain)
  SELECT x.trace_id, x.span_id, x.parent_span_id, x.name, x.kind, to_timestamp(x.start_ms / 1000), to_timestamp(x.end_ms / 1000), x.duration_ms,
         x.status, x.error, x.attributes, x.execution_id, x.workflow_id, x.skill, x.domain
  FROM jsonb_to_recordset($1::jsonb) AS x(trace_id text, span_id text, parent_span_id text, name text, kind text, start_ms double precision,
       end_ms double precision, duration_ms double precision, status text, error text, attributes jsonb, execution_id uuid, workflow_id text,
       skill text, domain text)
  ON CONFLICT (trace_id, span_id) DO NOTHING`;

export interface LocalStoreOptions {
  flushMs?: number;
  /** Rows per INSERT. */
  batchSize?: number;
  maxQueue?: number;
  /** Spans dropped: the queue was full, or their batch could not be written. */
  dropped(n: number, reason: 'queue_full' | 'write_failed', error?: unknown): void;
}

export class LocalSpanStore implements SpanProcessor {
  #queue: ReadableSpan[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** The drain in progress; flushes chain on it so that batches are written one at a time, in order. */
  #drain: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #flushMs: number;
  readonly #batchSize: number;
  readonly #maxQueue: number;

  constructor(
    private readonly db: Db,
    private readonly opts: LocalStoreOptions,
  ) {
    this.#flushMs = opts.flushMs ?? 250;
    this.#batchSize = opts.batchSize ?? 1000;
    this.#maxQueue = opts.maxQueue ?? 20_000;
  }

  onStart(_span: Span, _parent: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#closed) return;
    // The table serves timelines of executions; a model call from an OpenAI client (no execution)
    // is exported to the collector and counted in model_calls, not written here as well.
    if (span.attributes['aspora.execution.id'] === undefined) return;
    if (this.#queue.length >= this.#maxQueue) {
      this.opts.dropped(1, 'queue_full');
      return;
    }
    this.#queue.push(span);
    if (!this.#timer) {
      this.#timer = setTimeout(() => void this.forceFlush(), this.#flushMs);
      // A pending batch must not keep the process alive; shutdown() writes it.
      this.#timer.unref();
    }
  }

  /** Resolves when every span queued before the call is written (or dropped). */
  forceFlush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#drain = this.#drain.then(() => this.#writeAll());
    return this.#drain;
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.#closed = true;
  }

  async #writeAll(): Promise<void> {
    while (this.#queue.length) {
      const batch = this.#queue.splice(0, this.#batchSize);
      try {
        await this.db.query(INSERT, [JSON.stringify(batch.map(toRow), noNul)]);
      } catch (error) {
        this.opts.dropped(batch.length, 'write_failed', error);
      }
    }
  }
}

/** jsonb has no \u0000: one NUL in a handler's error message would fail the whole batch. */
const noNul = (_key: string, v: unknown) => (typeof v === 'string' && v.includes('\0') ? v.replaceAll('\0', '') : v);

function toRow(s: ReadableSpan) {
  const a = s.attributes;
  const ctx = s.spanContext();
  const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
  const execution = text(a[ATTR.executionId]);
  return {
    trace_id: ctx.traceId,
    span_id: ctx.spanId,
    parent_span_id: s.parentSpanContext?.spanId ?? null,
    name: s.name,
    kind: kindName(s.kind),
    start_ms: hrTimeToMilliseconds(s.startTime),
    end_ms: hrTimeToMilliseconds(s.endTime),
    duration_ms: hrTimeToMilliseconds(s.duration),
    status: statusName(s.status.code),
    error: s.status.message || null,
    attributes: a,
    // A malformed id would fail the whole batch's uuid cast.
    execution_id: execution && isExecutionId(execution) ? execution : null,
    workflow_id: text(a[ATTR.workflowId]),
    skill: text(a[ATTR.skill]),
    domain: text(a[ATTR.domain]),
  };
}
