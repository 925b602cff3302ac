/**
 * The platform's tracer: spans of executions, model calls and host (tool) calls, kept in the local
 * spans table and, when an OTLP endpoint is configured, exported to a collector (Jaeger, Tempo,
 * Langfuse, Opik …). A provider of its own, never registered globally: the platform's tracing
 * neither sees nor disturbs a skill's or a library's OpenTelemetry setup.
 */
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Db } from '../../db/index.ts';
import type { Logger } from '../logger.ts';
import type { PlatformMetrics } from '../metrics/prometheus-registry.ts';
import { readTracingConfig, redactUrl } from './config.ts';
import { ExportPipeline } from './export-pipeline.ts';
import { LocalSpanStore, type LocalStoreOptions } from './span-store.ts';
import { createOtlpExporter } from './otlp-exporter.ts';
import { SpanFactory } from './span-factory.ts';
import { ThrottledWarning } from './throttled-log.ts';
import type { ExecutionSpanStart, ExecutionTrace, ModelCallAttribution, ModelSpan } from './types.ts';

export interface PlatformTracerOptions {
  db: Db;
  log: Logger;
  metrics?: PlatformMetrics;
  /** Where the OTEL_* settings are read: process.env when absent. */
  env?: NodeJS.ProcessEnv;
  /** service.name unless OTEL_SERVICE_NAME says otherwise; 'aspora-platform' by default. */
  serviceName?: string;
  /** Replaces the OTLP exporter (tests). */
  exporter?: SpanExporter;
  /** How long shutdown() waits for the collector to take the last spans. */
  shutdownTimeoutMs?: number;
  /** The spans table writer's batching (tests, benchmarks). */
  local?: Omit<LocalStoreOptions, 'dropped'>;
}

export interface TracerStats {
  /** Spans the collector did not get: buffer full or export failed. */
  exportDropped: number;
  /** Spans the spans table did not get: queue full or insert failed. */
  localDropped: number;
}

export class PlatformTracer {
  readonly #provider: BasicTracerProvider;
  readonly #spans: SpanFactory;
  readonly #local: LocalSpanStore;
  readonly #shutdownMs: number;
  readonly #stats: TracerStats = { exportDropped: 0, localDropped: 0 };
  /** Where spans are exported (redacted), or null for the local table only. */
  readonly exportTarget: string | null;
  #stopping: Promise<void> | undefined;

  constructor(opts: PlatformTracerOptions) {
    const { log, metrics } = opts;
    const cfg = readTracingConfig(opts.env ?? process.env, opts.serviceName);
    for (const w of cfg.warnings) log.warn({}, `tracing: ${w}`);
    this.#shutdownMs = opts.shutdownTimeoutMs ?? 5000;

    // Every dropped span is counted, whichever sink lost it; the log says which and why.
    const drop = (sink: keyof TracerStats, n: number) => {
      this.#stats[sink] += n;
      metrics?.spansDropped.inc(n);
    };
    const exportFailed = new ThrottledWarning(log, 'trace export failed: spans dropped');
    const exportFull = new ThrottledWarning(log, 'trace export buffer full (collector slow or down): spans dropped');
    const localFull = new ThrottledWarning(log, 'spans table writer cannot keep up: spans dropped');
    const localFailed = new ThrottledWarning(log, 'spans could not be written to the spans table');
    const fault = new ThrottledWarning(log, 'tracing error ignored');

    this.#local = new LocalSpanStore(opts.db, {
      ...opts.local,
      dropped: (n, reason, error) => {
        drop('localDropped', n);
        if (reason === 'queue_full') localFull.warn({ dropped: this.#stats.localDropped });
        else localFailed.warn({ spans: n, err: errorText(error) });
      },
    });
    const processors: SpanProcessor[] = [this.#local];

    const exporter = cfg.disabled
      ? undefined
      : (opts.exporter ?? (cfg.otlp ? createOtlpExporter(cfg.otlp) : undefined));
    this.exportTarget = exporter
      ? opts.exporter
        ? 'custom exporter'
        : `${cfg.otlp!.protocol} ${redactUrl(cfg.otlp!.url)}`
      : null;
    if (exporter) {
      const target = this.exportTarget;
      processors.push(
        new ExportPipeline(exporter, cfg.batch, {
          overflow: (n) => {
            drop('exportDropped', n);
            exportFull.warn({ target, dropped: this.#stats.exportDropped });
          },
          failed: (n, error) => {
            drop('exportDropped', n);
            exportFailed.warn({ target, spans: n, dropped: this.#stats.exportDropped, err: errorText(error) });
          },
        }),
      );
      log.info({ target }, 'tracing: exporting spans over OTLP');
    }

    this.#provider = new BasicTracerProvider({
      resource: defaultResource().merge(
        resourceFromAttributes({ ...cfg.resource, [ATTR_SERVICE_NAME]: cfg.serviceName }),
      ),
      // Every span is kept: the local table is the execution's record, not a sample.
      sampler: new AlwaysOnSampler(),
      spanLimits: { attributeCountLimit: 128, attributeValueLengthLimit: 4096 },
      spanProcessors: processors,
    });
    this.#spans = new SpanFactory(this.#provider.getTracer('aspora'), (error) => fault.warn({ err: errorText(error) }));
  }

  /** Opens the root (or child) span of an execution. Cheap: no I/O on this path. */
  startExecution(s: ExecutionSpanStart): ExecutionTrace {
    return this.#spans.execution(s);
  }

  /** A model call outside any execution (an OpenAI client on the gateway), attributed to a skill or none. */
  recordModelCall(m: ModelSpan, attrs: ModelCallAttribution = {}): void {
    this.#spans.modelCall(m, attrs);
  }

  stats(): TracerStats {
    return { ...this.#stats };
  }

  /** For tests/bench: waits until everything queued so far is written locally. */
  flushLocal(): Promise<void> {
    return this.#local.forceFlush();
  }

  /**
   * Writes the local table's last batch, then lets the collector take the last spans; both within
   * shutdownTimeoutMs in all, so that a hung database or collector cannot hold up a stop.
   */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#shutdownMs)));
      const stop = async () => {
        await this.#local.shutdown();
        await this.#provider.shutdown();
      };
      await Promise.race([stop().catch(() => {}), timeout]);
      clearTimeout(timer);
    })();
    return this.#stopping;
  }
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : e === undefined ? undefined : String(e));
