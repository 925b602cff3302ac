/**
 * Spans to the collector without ever holding up an execution: the SDK's BatchSpanProcessor
 * buffers them (bounded) and exports in the background. Around it, this pipeline counts every
 * span that does not reach the collector, which the SDK only reports to its diag logger:
 * - queue overflow: the gate mirrors the processor's buffer and drops (and counts) before it
 *   would, so the count is exact;
 * - failed exports: the exporter wrapper counts the spans of every batch that failed.
 * It also moves serialization off the caller: the processor calls export synchronously from
 * span.end() when its buffer reaches a batch; the wrapper defers that to the next turn.
 */
import type { Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { BatchConfig } from './config.ts';

export interface ExportPipelineEvents {
  /** Spans dropped because the buffer was full. */
  overflow(n: number): void;
  /** Spans of a batch the collector did not take. */
  failed(n: number, error: unknown): void;
}

export class ExportPipeline implements SpanProcessor {
  readonly #bsp: BatchSpanProcessor;
  readonly #max: number;
  /** Spans handed to the batch processor and not yet taken by the exporter: its buffer length. */
  #buffered = 0;

  constructor(
    exporter: SpanExporter,
    batch: BatchConfig,
    private readonly events: ExportPipelineEvents,
  ) {
    this.#max = batch.maxQueueSize;
    const counting = new CountingExporter(exporter, (n) => (this.#buffered -= n), events.failed);
    this.#bsp = new BatchSpanProcessor(counting, { ...batch });
  }

  onStart(_span: Span, _parent: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#buffered >= this.#max) {
      this.events.overflow(1);
      return;
    }
    this.#buffered++;
    this.#bsp.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.#bsp.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#bsp.shutdown();
  }
}

class CountingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly taken: (n: number) => void,
    private readonly failed: (n: number, error: unknown) => void,
  ) {}

  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.taken(spans.length);
    setImmediate(() => {
      const finish = (r: ExportResult) => {
        if (r.code !== ExportResultCode.SUCCESS) this.failed(spans.length, r.error);
        done(r);
      };
      try {
        this.inner.export(spans, finish);
      } catch (error) {
        finish({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
