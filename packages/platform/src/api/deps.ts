import type { Logger } from '../observe/logger.ts';
import type { SkillRegistry } from '../registry/index.ts';
import type { BundleStore } from '../store/index.ts';
import type { Publisher } from '../publish/publisher.ts';
import type { SkillRuntime } from '../runtime/runtime.ts';
import type { ModelGateway } from '../gateway/gateway.ts';
import type { ModelCallLog } from '../observe/model-calls.ts';
import type { PlatformMetrics } from '../observe/metrics/prometheus-registry.ts';
import type { AlertEvaluator } from '../observe/alerts/evaluator.ts';
import type { PlatformTracer } from '../observe/tracing/index.ts';
import type { RollupJob } from '../observe/rollups/job.ts';
import type { LiveLogs } from '../observe/live-logs.ts';
import type { TeamSecrets } from '../secrets/team-secrets.ts';

/** What the HTTP layer needs; assembled by platform.ts. */
export interface ApiDeps {
  registry: SkillRegistry;
  store: BundleStore;
  publisher: Publisher;
  runtime: SkillRuntime;
  gateway: ModelGateway;
  modelCalls: ModelCallLog;
  metrics: PlatformMetrics;
  /** Sets the gauges read from state, before a scrape. */
  refreshMetrics: () => void;
  alerts: AlertEvaluator;
  tracer: PlatformTracer;
  rollups: RollupJob;
  /** Live log lines of every platform process (Redis pub/sub) or of this one. */
  liveLogs: LiveLogs;
  log: Logger;
  /** Teams' own secrets, sealed (routes/secrets.ts). */
  teamSecrets: TeamSecrets;
  /** When set, /v1 requires `Authorization: Bearer <apiToken>`. */
  apiToken?: string | undefined;
  /** GET /metrics is served on its own listener (ASPORA_METRICS_LISTEN), not here. */
  metricsElsewhere?: boolean;
  limits: { maxBundleBytes: number; maxJsonBytes: number };
  readiness: Record<string, () => Promise<unknown>>;
  /** Names (never values) of the APIs and secrets skills may declare; absent in an app without a platform file. */
  offers?: () => { apis: string[]; secrets: string[] };
  version: string;
}
