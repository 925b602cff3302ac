/**
 * The OTLP/HTTP span exporter for a config: http/protobuf or http/json. Every setting is passed
 * to the constructor, because the exporters' own fallback is process.env and a tracer's env may
 * be another one. (Caveat of the SDK, which has no switch for it: it still merges any
 * OTEL_EXPORTER_OTLP_*HEADERS of process.env under ours, and reads its TLS files from there.)
 */
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { OtlpConfig } from './config.ts';

type ExporterOptions = NonNullable<ConstructorParameters<typeof ProtoTraceExporter>[0]>;

export function createOtlpExporter(c: OtlpConfig): SpanExporter {
  const options: ExporterOptions = {
    url: c.url,
    headers: c.headers,
    timeoutMillis: c.timeoutMillis,
    // The SDK's enum has exactly these two string values.
    compression: c.compression as NonNullable<ExporterOptions['compression']>,
  };
  return c.protocol === 'http/json' ? new JsonTraceExporter(options) : new ProtoTraceExporter(options);
}
