/**
 * Tracing settings from the standard OpenTelemetry environment variables, read from the env the
 * tracer is given (not only process.env) so that two tracers in one process can differ.
 * https://opentelemetry.io/docs/specs/otel/protocol/exporter/ and …/configuration/sdk-environment-variables/
 */
import { parseKeyPairsIntoRecord } from '@opentelemetry/core';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpConfig {
  protocol: OtlpProtocol;
  /** The full traces URL (…/v1/traces). */
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
  compression: 'gzip' | 'none';
}

export interface BatchConfig {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

export interface TracingConfig {
  /** null: no OTLP export (no endpoint, disabled, or invalid); the local table still gets every span. */
  otlp: OtlpConfig | null;
  /** Export switched off (OTEL_SDK_DISABLED=true, OTEL_TRACES_EXPORTER=none): not even to an injected exporter. */
  disabled: boolean;
  batch: BatchConfig;
  serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES without service.name (that is serviceName). */
  resource: Record<string, string>;
  /** Settings that were ignored, for one log line at start. */
  warnings: string[];
}

type Env = Record<string, string | undefined>;

const TRACES_PATH = 'v1/traces';

export function readTracingConfig(env: Env, serviceName = 'aspora-platform'): TracingConfig {
  const warnings: string[] = [];
  const str = (k: string) => {
    const v = env[k]?.trim();
    return v ? v : undefined;
  };
  const positive = (what: string, raw: string | undefined, fallback: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (Number.isFinite(n) && n > 0) return n;
    warnings.push(`${what}=${raw} is not a positive number: using ${fallback}`);
    return fallback;
  };
  const num = (k: string, fallback: number) => positive(k, str(k), fallback);
  // Signal-specific variables win over the generic ones.
  const pick = (suffix: string) => str(`OTEL_EXPORTER_OTLP_TRACES_${suffix}`) ?? str(`OTEL_EXPORTER_OTLP_${suffix}`);

  const batch: BatchConfig = {
    maxQueueSize: num('OTEL_BSP_MAX_QUEUE_SIZE', 2048),
    maxExportBatchSize: num('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512),
    scheduledDelayMillis: num('OTEL_BSP_SCHEDULE_DELAY', 5000),
    exportTimeoutMillis: num('OTEL_BSP_EXPORT_TIMEOUT', 30_000),
  };
  batch.maxExportBatchSize = Math.min(batch.maxExportBatchSize, batch.maxQueueSize);

  // The operator's OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) wins over the code's default.
  const resource = parseKeyPairsIntoRecord(str('OTEL_RESOURCE_ATTRIBUTES'));
  const name = str('OTEL_SERVICE_NAME') ?? resource['service.name'] ?? serviceName;
  delete resource['service.name'];
  const base = { batch, serviceName: name, resource, warnings, disabled: false };
  const off = { ...base, otlp: null, disabled: true };

  if (str('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return off;
  const exporters = (str('OTEL_TRACES_EXPORTER') ?? 'otlp').split(',').map((s) => s.trim().toLowerCase());
  if (!exporters.includes('otlp')) {
    if (!exporters.every((e) => e === 'none'))
      warnings.push(`OTEL_TRACES_EXPORTER=${exporters.join(',')}: only otlp is supported, no export`);
    return off;
  }

  const url = tracesUrl(str('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'), str('OTEL_EXPORTER_OTLP_ENDPOINT'), warnings);
  if (!url) return { ...base, otlp: null };

  const headers = {
    ...parseKeyPairsIntoRecord(str('OTEL_EXPORTER_OTLP_HEADERS')),
    ...parseKeyPairsIntoRecord(str('OTEL_EXPORTER_OTLP_TRACES_HEADERS')),
  };
  const compression = pick('COMPRESSION') ?? 'none';
  if (compression !== 'gzip' && compression !== 'none')
    warnings.push(`OTLP compression ${compression} is not supported: sending uncompressed`);
  return {
    ...base,
    otlp: {
      protocol: protocolOf(pick('PROTOCOL'), warnings),
      url,
      headers,
      timeoutMillis: positive('OTEL_EXPORTER_OTLP_TIMEOUT', pick('TIMEOUT'), 10_000),
      compression: compression === 'gzip' ? 'gzip' : 'none',
    },
  };
}

/** The signal endpoint is used as given; the generic one is a base URL that gets /v1/traces (spec). */
export function tracesUrl(
  specific: string | undefined,
  generic: string | undefined,
  warnings: string[] = [],
): string | undefined {
  const raw = specific ?? (generic ? `${generic.replace(/\/+$/, '')}/${TRACES_PATH}` : undefined);
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.href;
  } catch {
    // fall through
  }
  warnings.push(`OTLP endpoint ${raw} is not an http(s) URL: no export`);
  return undefined;
}

function protocolOf(raw: string | undefined, warnings: string[]): OtlpProtocol {
  if (raw === undefined || raw === 'http/protobuf') return 'http/protobuf';
  if (raw === 'http/json') return 'http/json';
  warnings.push(`OTLP protocol ${raw} is not supported (http/protobuf, http/json): using http/protobuf`);
  return 'http/protobuf';
}

/** The endpoint without credentials or query, for logs. */
export const redactUrl = (url: string) => {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
};
